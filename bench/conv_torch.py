"""One convolution product in PyTorch, timed: the counterpart of
`backprop bench conv` for bench/conv.sh.

    python3 conv_torch.py --n 64 --c 32 --h 26 --w 26 --k 64 --r 3 --s 3 \
        [--stride 1] [--pad 0] [--op forward|data|weight|all] --threads T --time SECONDS

forward is torch.nn.functional.conv2d; data and weight are the two
products of its backward pass, aten.convolution_backward with the output
mask of the one wanted (what autograd calls). Like `backprop bench conv`,
each product is warmed up, then repeated in rounds of at least a tenth of
--time for at least --time, and the median round's mean is reported: one
JSON line per product with the seconds per call and the GFLOP/s of
2·N·K·OH·OW·C·R·S.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
for name in ("n", "c", "h", "w", "k", "r", "s"):
    ap.add_argument("--" + name, type=int, required=True)
ap.add_argument("--stride", type=int, default=1)
ap.add_argument("--pad", type=int, default=0)
ap.add_argument("--op", choices=("forward", "data", "weight", "all"), default="all")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--time", type=float, default=0.5)
a = ap.parse_args()
torch.set_num_threads(a.threads)
g = torch.Generator().manual_seed(1)
x = torch.rand(a.n, a.c, a.h, a.w, generator=g) * 2 - 1
w = torch.rand(a.k, a.c, a.r, a.s, generator=g) * 2 - 1
st, pd = (a.stride, a.stride), (a.pad, a.pad)
y = F.conv2d(x, w, stride=st, padding=pd)
dy = torch.rand(y.shape, generator=g) * 2 - 1
oh, ow = y.shape[2], y.shape[3]
flops = 2 * a.n * a.k * oh * ow * a.c * a.r * a.s
masks = {"data": [True, False, False], "weight": [False, True, False]}


def product(op):
    if op == "forward":
        return lambda: F.conv2d(x, w, stride=st, padding=pd)
    m = masks[op]
    return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, st, pd, (1, 1), False, (0, 0), 1, m)


def median_round(f, total):
    for _ in range(3):
        f()
    means, start = [], time.perf_counter()
    while len(means) < 5 or time.perf_counter() - start < total:
        t0, n = time.perf_counter(), 0
        while n == 0 or time.perf_counter() - t0 < total / 10:
            f()
            n += 1
        means.append((time.perf_counter() - t0) / n)
    means.sort()
    return means[len(means) // 2]


with torch.no_grad():
    for op in ("forward", "data", "weight") if a.op == "all" else (a.op,):
        sec = median_round(product(op), a.time)
        print(json.dumps({"impl": "pytorch", "product": op, "threads": a.threads, "batch": a.n,
                          "seconds": sec, "gflops": flops / sec / 1e9}))
