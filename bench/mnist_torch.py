"""The default recipe of `backprop train`, in PyTorch, for comparison.

784-512-256-10 ReLU MLP, He-uniform weights and zero biases, inputs
standardized with the training set's mean and std, the last 5,000 training
digits held out for validation, Adam (lr 2e-3) with 100 steps of linear
warm-up and a cosine decay to 0, batch 128, shuffled every epoch.

usage: python3 bench/mnist_torch.py MNIST_DIR [EPOCHS] [THREADS]

Prints one line per epoch on stderr and a JSON object like backprop
train --json on stdout.
"""
import gzip
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn


def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    d = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    torch.manual_seed(1)
    x = torch.tensor(idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    y = torch.tensor(idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.tensor(idx(f"{d}/t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    yt = torch.tensor(idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    xtr, ytr, xv, yv = x[:-5000], y[:-5000], x[-5000:], y[-5000:]
    mean, std = xtr.mean(), xtr.std(unbiased=False)
    xtr, xv, xt = (xtr - mean) / std, (xv - mean) / std, (xt - mean) / std

    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    batch, lr = 128, 2e-3
    steps_per_epoch = math.ceil(len(xtr) / batch)
    total = epochs * steps_per_epoch
    warm = min(100, total // 2)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, total) / total)) * ((t + 1) / warm if t < warm else 1))
    lossf = nn.CrossEntropyLoss()

    def evaluate(xs, ys):
        model.eval()
        with torch.no_grad():
            out = model(xs)
            return lossf(out, ys).item(), (out.argmax(1) == ys).float().mean().item()

    start = time.perf_counter()
    train_secs = 0.0
    for e in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idxs = perm[i:i + batch]
            opt.zero_grad()
            loss = lossf(model(xtr[idxs]), ytr[idxs])
            loss.backward()
            opt.step()
            sched.step()
        secs = time.perf_counter() - t0
        train_secs += secs
        vl, va = evaluate(xv, yv)
        print(f"pytorch epoch {e}/{epochs}: validation loss {vl:.4f}, validation accuracy {100 * va:.2f}%, "
              f"{len(xtr) / secs:.0f} samples/s, {secs:.1f}s", file=sys.stderr, flush=True)
    tl, ta = evaluate(xt, yt)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "test_accuracy": ta, "test_loss": tl, "epochs": epochs,
                      "seconds": round(time.perf_counter() - start, 3), "training_seconds": round(train_secs, 3),
                      "samples_per_second": round(len(xtr) * epochs / train_secs)}))


if __name__ == "__main__":
    main()
