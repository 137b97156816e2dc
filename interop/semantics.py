"""Prints PyTorch's answers to the semantic edge cases that backprop
follows, as one JSON object (non-finite numbers as the strings "nan",
"inf" and "-inf"): NaN through relu, abs, maximum, minimum and the max
and min reductions, ties of maximum and minimum, pow at 0^0 and x^0,
float64 exp and log at the ends of their range, matmul with 1-d operands,
and Adam and AdamW trajectories in float32 on a fixed sequence of
gradients. interop/semantics_test.go computes the same in Go and
compares. Run with Debian's python3-torch: /usr/bin/python3 semantics.py
"""
import json
import math

import torch

torch.set_num_threads(1)
NAN = float("nan")


def enc(x):
    if isinstance(x, list):
        return [enc(v) for v in x]
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def case(f, *inputs, dtype=torch.float64):
    xs = [torch.tensor(x, dtype=dtype, requires_grad=True) for x in inputs]
    y = f(*xs)
    y.backward(torch.ones_like(y))
    return {"value": enc(y.reshape(-1).tolist()),
            "grads": [enc(x.grad.reshape(-1).tolist()) for x in xs]}


out = {}
v4 = [NAN, -1.0, 0.0, 2.0]
out["relu"] = case(torch.relu, v4)
out["abs"] = case(torch.abs, v4)
out["maximum"] = case(torch.maximum, [NAN, 1.0, 2.0, 3.0, 1.0], [1.0, NAN, 2.0, 1.0, 3.0])
out["minimum"] = case(torch.minimum, [NAN, 1.0, 2.0, 3.0, 1.0], [1.0, NAN, 2.0, 1.0, 3.0])
out["max_nan"] = case(lambda x: x.max(), [1.0, NAN, 3.0])
out["max_ties"] = case(lambda x: x.max(), [3.0, 1.0, 3.0])
out["min_ties"] = case(lambda x: x.min(), [1.0, 4.0, 1.0, 1.0])
out["pow"] = case(torch.pow, [0.0, 0.0, 2.0, -1.0, 0.0, 1.5, 0.0], [0.0, 2.0, 0.0, 0.0, -1.0, 2.0, 0.5])
out["exp"] = case(torch.exp, [709.0, 709.5, 709.78, -700.0, -740.0, -745.0, 0.5])
out["log"] = case(torch.log, [5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 3.0])

v3 = [0.5, -1.0, 2.0]
m32 = [[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]]
b232 = [[[1.0, 0.0], [0.5, -2.0], [1.5, 1.0]], [[-1.0, 2.0], [0.0, 0.75], [2.0, -0.5]]]
w2 = [1.5, -0.5]
out["vecmat"] = case(torch.matmul, v3, m32)
out["matvec"] = case(torch.matmul, m32, w2)
out["vecvec"] = case(torch.matmul, v3, [2.0, 1.0, -3.0])
out["batchvec"] = case(torch.matmul, b232, w2)
out["vecbatch"] = case(torch.matmul, v3, b232)


def grad_at(t, i):
    # Exact small rationals, the same in Go.
    return ((t * 7 + i * 3) % 11 - 5) / 4.0


def trajectory(make):
    p = torch.nn.Parameter(torch.tensor([0.5, -1.25, 2.0, 0.0, 3.5], dtype=torch.float32))
    opt = make([p])
    for t in range(200):
        p.grad = torch.tensor([grad_at(t, i) for i in range(5)], dtype=torch.float32)
        opt.step()
    return [float(v) for v in p.detach().tolist()]


out["adam"] = trajectory(lambda ps: torch.optim.Adam(ps, lr=0.01))
out["adam_l2"] = trajectory(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1))
out["adamw"] = trajectory(lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.01))
print(json.dumps(out))
