"""The cost model of a data-parallel training step, docs/scaling.md.

    T(N) = compute(B/N) + Σ_buckets [2(N−1)/N · bytes/bandwidth + 2(N−1)·α]

with the global batch B fixed (N ranks train what one process trains),
one node per rank, ring all-reduce (each rank sends and receives
2(N−1)/N of every bucket, in 2(N−1) messages of latency α), the gradient
buckets of train (from the last layer back, the first at most 1 MiB, then
4 MiB) and one more small all-reduce per step for the loss and flags. No
overlap of communication with backward is assumed: T is an upper bound
(the lower bound is max(compute, communication)).

Reads on stdin the JSON lines of `backprop bench train --batch b` for the
MLP's per-rank batches (the measured compute), estimates the CNNs' compute
from their FLOPs at the GFLOP/s given, and prints Markdown tables.

Usage: python3 bench/scaling.py GFLOPS < bench-train.jsonl
"""
import json
import math
import sys

B = 128
NS = [1, 2, 4, 8, 16, 32, 64]
NETS = {  # bandwidth in Gb/s, per-message latency α in µs
    "10 Gb/s Ethernet (TCP), α = 25 µs": (10, 25),
    "25 Gb/s Ethernet (TCP), α = 15 µs": (25, 15),
    "100 Gb/s InfiniBand (RDMA), α = 2 µs": (100, 2),
}


def linear(i, o):
    return [("w", i * o), ("b", o)], 2 * i * o


def conv(ci, co, k, hw_out):
    return [("w", co * ci * k * k), ("b", co)], 2 * co * hw_out * hw_out * ci * k * k


def model(layers):
    """layers: (params, forward FLOPs per example, needs input gradient)."""
    params, fwd, bwd = [], 0, 0
    for ps, f, input_grad in layers:
        params += [n for _, n in ps]
        fwd += f
        bwd += f * (2 if input_grad else 1)  # weight gradient, and input gradient
    return params, fwd, fwd + bwd


MODELS = {
    "MLP 784-512-256-10": model([(*linear(784, 512), False), (*linear(512, 256), True), (*linear(256, 10), True)]),
    "LeNet-5": model([(*conv(1, 6, 5, 28), False), (*conv(6, 16, 5, 10), True),
                      (*linear(400, 120), True), (*linear(120, 84), True), (*linear(84, 10), True)]),
    "PyTorch MNIST CNN": model([(*conv(1, 32, 3, 26), False), (*conv(32, 64, 3, 24), True),
                                (*linear(9216, 128), True), (*linear(128, 10), True)]),
}


def buckets(params, first=1 << 20, cap=4 << 20):
    out, cur, limit = [], 0, first
    for n in reversed(params):
        b = 4 * n
        if cur and cur + b > limit:
            out.append(cur)
            cur, limit = 0, cap
        cur += b
    out.append(cur)
    return out


def comm(bks, n, gbps, alpha_us):
    if n == 1:
        return 0.0
    bw = gbps * 1e9 / 8
    t = sum(2 * (n - 1) / n * b / bw + 2 * (n - 1) * alpha_us * 1e-6 for b in bks)
    return t + 2 * (n - 1) * alpha_us * 1e-6  # the loss and flags


def main():
    gflops = float(sys.argv[1])
    if len(sys.argv) == 4:
        fixed, per = float(sys.argv[2]) * 1e-3, float(sys.argv[3]) * 1e-3
        mlp = lambda b: fixed + per * b
        how = f"{fixed * 1e3:g} ms + {per * 1e6:g} µs · batch"
    else:
        runs = {}
        for line in sys.stdin:
            if line.startswith("{"):
                r = json.loads(line)
                runs.setdefault(r["batch"], []).append(r["ms_per_step"] * 1e-3)
        # The fastest round: on a shared machine, the one least disturbed.
        measured = {b: min(ts) for b, ts in runs.items()}
        mlp = lambda b: measured[b]
        how = f"measured (`backprop bench train`, fastest of {len(runs[B])} rounds)"
    print(f"Global batch {B}; compute per rank at batch ⌈{B}/N⌉. MLP: {how};")
    print(f"CNNs: estimated as training FLOPs / {gflops:g} GFLOP/s.\n")
    print("| model | parameters | MiB | buckets | training MFLOP/example | compute at batch 128, ms |")
    print("|---|---:|---:|---|---:|---:|")
    computes = {}
    for name, (params, fwd, train) in MODELS.items():
        if name.startswith("MLP"):
            c = mlp
        else:
            c = lambda b, train=train: b * train / (gflops * 1e9)
        computes[name] = c
        bks = buckets(params)
        print(f"| {name} | {sum(params):,} | {4 * sum(params) / 2**20:.2f} | {len(bks)}: "
              + " + ".join(f"{b / 2**20:.2f}" for b in bks) + f" MiB | {train / 1e6:.2f} | {c(B) * 1e3:.2f} |")
    for net, (gbps, alpha) in NETS.items():
        print(f"\n**{net}** — step time in ms (speed-up over one process)\n")
        print("| model | " + " | ".join(f"N={n}" for n in NS) + " | best N | efficiency < 50% from |")
        print("|---|" + "---:|" * len(NS) + "---:|---:|")
        for name, (params, _, _) in MODELS.items():
            bks = buckets(params)
            t1 = computes[name](B)
            ts = [computes[name](math.ceil(B / n)) + comm(bks, n, gbps, alpha) for n in NS]
            best = NS[min(range(len(NS)), key=lambda i: ts[i])]
            half = next((n for n, t in zip(NS, ts) if t1 / t / n < 0.5), f"> {NS[-1]}")
            print(f"| {name} | " + " | ".join(f"{t * 1e3:.2f} ({t1 / t:.1f}×)" for t in ts) + f" | {best} | {half} |")


main()
