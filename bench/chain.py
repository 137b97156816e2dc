"""Engine overhead per gate in PyTorch: the scalar chain x = x*1.0001 + 0.5
repeated STEPS times (2*STEPS gates), forward then backward. Prints one JSON
line per repetition: {"impl": "pytorch", "fwd_ns": …, "bwd_ns": …} per gate."""
import json
import sys
import time

import torch

STEPS = 50_000
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 3

torch.set_num_threads(1)
w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
for _ in range(1000):  # warm up the allocator and dispatcher
    w = w * 1.0001 + 0.5
w.backward()
for _ in range(REPS):
    t0 = time.perf_counter()
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(STEPS):
        y = y * 1.0001 + 0.5
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    gates = 2 * STEPS
    print(json.dumps({"impl": "pytorch", "fwd_ns": (t1 - t0) * 1e9 / gates,
                      "bwd_ns": (t2 - t1) * 1e9 / gates}), flush=True)
