"""A run of `backprop train --arch`, in PyTorch, for comparison.

The same network (torch.nn.Sequential built from backprop's architecture
text by interop/pytorch_model.py), the same data and the same recipe as
backprop train: inputs standardized with the training set's mean and std,
the last VAL training images held out for validation (none with --val 0),
weights He-uniform (Xavier-uniform before tanh or sigmoid) with zero biases
and batch norm at γ = 1, β = 0, as backprop's Build draws them; a linear
warm-up of WARMUP steps and a cosine decay to 0; shuffled every epoch; with
--augment, random shifts of up to ±2 pixels with the background filling
what they uncover (and, for fashion, left-right flips with probability ½),
drawn afresh for every batch. Optimizers: adam, adamw, sgd, nesterov.

usage: python3 bench/recipe_torch.py --data DIR --arch TEXT [--dataset mnist|fashion]
           [--epochs N] [--batch N] [--optimizer NAME] [--lr RATE] [--momentum M]
           [--weight-decay W] [--warmup N] [--val N] [--augment] [--threads T] [--seed S]

Prints one line per epoch on stderr and a JSON object like backprop train
--json on stdout; "seconds" is the training loop's wall time (with the
per-epoch validation when there is a validation set), as backprop's.
"""
import argparse
import gzip
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


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def find(d, name):
    for p in (f"{d}/{name}.gz", f"{d}/{name}"):
        if os.path.exists(p):
            return p
    raise SystemExit(f"recipe_torch.py: {d}: no {name}[.gz]")


def init(model):
    """backprop's Build: each weight layer takes the first activation after it."""
    mods = list(model)
    for i, m in enumerate(mods):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            act = next((n for n in mods[i + 1:] if isinstance(n, (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Linear, nn.Conv2d))), None)
            if isinstance(act, (nn.Tanh, nn.Sigmoid)):
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def augment(xb, flip, fill, gen):
    """Shift each image of xb [N, 784] by up to ±2 pixels, filling with fill, and flip."""
    n = xb.shape[0]
    img = xb.view(n, 1, 28, 28)
    pad = torch.nn.functional.pad(img, (2, 2, 2, 2), value=fill)
    dy = torch.randint(0, 5, (n,), generator=gen)
    dx = torch.randint(0, 5, (n,), generator=gen)
    rows = (torch.arange(28).view(1, 28) + dy.view(n, 1))  # [N, 28]
    cols = (torch.arange(28).view(1, 28) + dx.view(n, 1))
    out = pad[torch.arange(n).view(n, 1, 1), 0, rows.view(n, 28, 1), cols.view(n, 1, 28)]
    if flip:
        f = torch.randint(0, 2, (n,), generator=gen).bool()
        out[f] = out[f].flip(-1)
    return out.reshape(n, 784)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=None)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--val", type=int, default=5000)
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    lr = a.lr if a.lr is not None else {"adam": 2e-3, "adamw": 2e-3, "sgd": 0.05, "nesterov": 0.05}[a.optimizer]
    wd = a.weight_decay if a.weight_decay is not None else (0.01 if a.optimizer == "adamw" else 0.0)

    d = a.data
    x = torch.tensor(idx(find(d, "train-images-idx3-ubyte")).reshape(-1, 784), dtype=torch.float32) / 255
    y = torch.tensor(idx(find(d, "train-labels-idx1-ubyte")).astype(np.int64))
    xt = torch.tensor(idx(find(d, "t10k-images-idx3-ubyte")).reshape(-1, 784), dtype=torch.float32) / 255
    yt = torch.tensor(idx(find(d, "t10k-labels-idx1-ubyte")).astype(np.int64))
    if a.val > 0:
        xtr, ytr, xv, yv = x[:-a.val], y[:-a.val], x[-a.val:], y[-a.val:]
    else:
        xtr, ytr, xv, yv = x, y, None, None
    mean, std = xtr.mean(), xtr.std(unbiased=False)
    xtr, xt = (xtr - mean) / std, (xt - mean) / std
    if xv is not None:
        xv = (xv - mean) / std
    fill = float(-mean / std)

    model = pytorch_model.build_arch(a.arch, [1, 28, 28])
    init(model)
    steps_per_epoch = math.ceil(len(xtr) / a.batch)
    total = a.epochs * steps_per_epoch
    warm = min(a.warmup, total // 2)
    params = model.parameters()
    if a.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
    elif a.optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=a.momentum, nesterov=a.optimizer == "nesterov", weight_decay=wd)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, total) / total)) * ((t + 1) / warm if t < warm else 1))
    lossf = nn.CrossEntropyLoss()

    def evaluate(xs, ys):
        model.eval()
        with torch.no_grad():
            loss, right = 0.0, 0
            for i in range(0, len(xs), 1000):
                out = model(xs[i:i + 1000])
                loss += lossf(out, ys[i:i + 1000]).item() * len(out)
                right += (out.argmax(1) == ys[i:i + 1000]).sum().item()
            return loss / len(xs), right / len(xs)

    start = time.perf_counter()
    train_secs = 0.0
    for e in range(1, a.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), a.batch):
            idxs = perm[i:i + a.batch]
            xb = xtr[idxs]
            if a.augment:
                xb = augment(xb, a.dataset == "fashion", fill, gen)
            opt.zero_grad()
            loss = lossf(model(xb), ytr[idxs])
            loss.backward()
            opt.step()
            sched.step()
        secs = time.perf_counter() - t0
        train_secs += secs
        line = f"pytorch epoch {e}/{a.epochs}: {len(xtr) / secs:.0f} samples/s, {secs:.1f}s"
        if xv is not None:
            vl, va = evaluate(xv, yv)
            line += f", validation loss {vl:.4f}, validation accuracy {100 * va:.2f}%"
        print(line, file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start
    tl, ta = evaluate(xt, yt)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "test_accuracy": ta, "test_loss": tl, "epochs": a.epochs,
                      "seconds": round(seconds, 3), "training_seconds": round(train_secs, 3),
                      "samples_per_second": round(len(xtr) * a.epochs / train_secs)}))


if __name__ == "__main__":
    main()
