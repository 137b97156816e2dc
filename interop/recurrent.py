"""Prints PyTorch's outputs, final states and gradients of two-layer
torch.nn.LSTM, GRU and RNN (batch_first and time-major) in float64, on
inputs and weights that interop/recurrent_test.go makes the same way in
Go, as one JSON object. Run with Debian's python3-torch:
/usr/bin/python3 recurrent.py
"""
import json
import math

import torch

torch.set_num_threads(1)
N, T, I, H, L = 2, 3, 5, 4, 2


def fill(shape, salt):
    """Exact small rationals, the same in Go: ((i·7 + salt·13) mod 23 − 11)/20."""
    n = math.prod(shape)
    v = [((i * 7 + salt * 13) % 23 - 11) / 20 for i in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def flat(t):
    return t.detach().reshape(-1).tolist()


def run(cls, batch_first):
    m = cls(I, H, num_layers=L, batch_first=batch_first).double()
    with torch.no_grad():
        for k, (_, p) in enumerate(m.named_parameters()):
            p.copy_(fill(list(p.shape), 10 + k))
    x = fill([N, T, I] if batch_first else [T, N, I], 1).requires_grad_()
    h0 = fill([L, N, H], 2).requires_grad_()
    c0 = fill([L, N, H], 3).requires_grad_()
    if cls is torch.nn.LSTM:
        y, (hn, cn) = m(x, (h0, c0))
        states = [hn, cn]
        inputs = [x, h0, c0]
    else:
        y, hn = m(x, h0)
        states = [hn]
        inputs = [x, h0]
    loss = (y * fill(list(y.shape), 4)).sum()
    for k, s in enumerate(states):
        loss = loss + (s * fill(list(s.shape), 5 + k)).sum()
    loss.backward()
    return {
        "outputs": [flat(y)] + [flat(s) for s in states],
        "input_grads": [flat(v.grad) for v in inputs],
        "param_grads": {name: flat(p.grad) for name, p in m.named_parameters()},
    }


out = {}
for name, cls in (("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU), ("rnn", torch.nn.RNN)):
    for bf in (True, False):
        out[f"{name}_{'batch_first' if bf else 'time_major'}"] = run(cls, bf)
print(json.dumps(out))
