"""A next-byte run of `backprop train --dataset gosrc`, in PyTorch, and the
validation loss of both runs measured the same way.

It reads the same corpus as backprop's data/text: the .go files under
GOROOT/src (regular files without a NUL byte, in the walk's order), split
by the FNV-1a 64-bit hash of each relative path (validation below 5% of
2^64). It starts from the initial weights backprop drew (INIT, a model
file of the same architecture and seed trained for one step at a learning
rate of 1e-30, so unchanged), and trains them with backprop train's text
recipe: Adam (lr 2e-3), 100 steps of linear warm-up then a cosine decay to
0, batches of 32 random windows of 128 bytes, the cross-entropy of the
next byte at every position, STEPS steps, validating on 100 windows after
every 100 steps as backprop does (so that both wall times include the
same work). Then it measures the loss of its model and of backprop's
trained model (GO, loaded into the same torch.nn.Sequential) on the same
fixed 1,000 windows of the validation files.

usage: python3 bench/text_torch.py GOROOT INIT GO STEPS THREADS
Prints one JSON object.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import pytorch_model  # noqa: E402


def fnv1a64(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h ^= c
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def corpus(root):
    train, valid = [], []

    def walk(d, rel):
        for name in sorted(os.listdir(d)):  # WalkDir's order: by name, depth-first
            p, r = os.path.join(d, name), rel + name
            if os.path.islink(p):
                if r.endswith(".go"):
                    continue  # not a regular file: skipped
                continue
            if os.path.isdir(p):
                walk(p, r + "/")
            elif r.endswith(".go") and os.path.isfile(p):
                b = open(p, "rb").read()
                if b"\0" in b:
                    continue
                (valid if fnv1a64(r) < 0.05 * 2.0 ** 64 else train).append(b)

    walk(root, "")
    return np.frombuffer(b"".join(train), dtype=np.uint8), np.frombuffer(b"".join(valid), dtype=np.uint8)


def windows(data, starts, t):
    idx = starts[:, None] + np.arange(t + 1)[None, :]
    w = torch.from_numpy(data[idx].astype(np.int64))
    return w[:, :-1], w[:, 1:]


def loss_on(model, data, starts, t):
    model.eval()
    lossf, total = nn.CrossEntropyLoss(reduction="sum"), 0.0
    with torch.no_grad():
        for i in range(0, len(starts), 32):
            x, y = windows(data, starts[i:i + 32], t)
            out = model(x.float())
            total += lossf(out.reshape(-1, out.shape[-1]), y.reshape(-1)).item()
    return total / (len(starts) * t)


def load(path):
    state, meta = pytorch_model.load_safetensors(path)
    model, shape = pytorch_model.build(meta)
    model.load_state_dict(state)
    return model, shape[0]


def main():
    goroot, init, gofile, steps, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    tr, va = corpus(os.path.join(goroot, "src"))
    model, t = load(init)
    batch, lr, warm = 32, 2e-3, min(100, steps // 2)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)) * ((s + 1) / warm if s < warm else 1))
    lossf = nn.CrossEntropyLoss()
    epoch_val = rng.integers(0, len(va) - t - 1, 100)
    start = time.perf_counter()
    for s in range(steps):
        model.train()
        x, y = windows(tr, rng.integers(0, len(tr) - t - 1, batch), t)
        opt.zero_grad()
        out = model(x.float())
        loss = lossf(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        sched.step()
        if (s + 1) % min(100, steps) == 0:
            v = loss_on(model, va, epoch_val, t)
            print(f"pytorch step {s + 1}: loss {loss.item():.4f}, validation {v:.4f}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    fixed = np.random.default_rng(12345).integers(0, len(va) - t - 1, 1000)
    ours, _ = load(gofile)
    vt, vg = loss_on(model, va, fixed, t), loss_on(ours, va, fixed, t)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "seconds": round(seconds, 3), "steps": steps,
                      "val_loss_pytorch": vt, "val_loss_backprop": vg,
                      "train_bytes": int(len(tr)), "valid_bytes": int(len(va))}))


if __name__ == "__main__":
    main()
