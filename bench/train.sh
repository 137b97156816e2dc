#!/usr/bin/env bash
# One training step of the 784-512-256-10 ReLU MLP (softmax cross-entropy,
# SGD momentum 0.9, float32, a random MNIST-shaped batch) in backprop
# (`backprop bench train`) and in PyTorch (bench/train_torch.py), at batch
# 64 and 256 on 1 and 2 threads, plus micrograd's tiny 2-16-16-1 network
# (100 points, full batch) on one thread. The two alternate ROUNDS times
# (default 5), each measuring for TIME seconds (default 1); prints the
# medians of step and inference time and our time over PyTorch's (below 1
# means faster than PyTorch).
#
# Needs Debian's python3-torch and libopenblas0-pthread; runs PyTorch with
# /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE (without it two-thread PyTorch
# is slower than one here) and without OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, which slow a current OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
secs=${TIME:-1}
bin=$(mktemp -d)/backprop
go build -o "$bin" ./cmd/backprop
torch() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$1" \
		/usr/bin/python3 bench/train_torch.py --threads "$@" --time "$secs"
}
for _ in $(seq "$rounds"); do
	for threads in 1 2; do
		for batch in 64 256; do
			"$bin" bench train --batch "$batch" --threads "$threads" --time "${secs}s" --json | sed 's/^{/{"impl": "backprop", /'
			torch "$threads" --batch "$batch"
		done
	done
	"$bin" bench train --tiny --threads 1 --time "${secs}s" --json | sed 's/^{/{"impl": "backprop", /'
	torch 1 --tiny
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
groups = {}
for r in rows:
    groups.setdefault((r["net"], r["batch"], r["threads"]), {}).setdefault(r["impl"], []).append(r)
print("training step: forward, softmax cross-entropy, backward, SGD momentum 0.9; float32")
print("medians of %d alternating runs each, ms; ratio = backprop / PyTorch (target <= 0.75, tiny <= 0.1)" % len(next(iter(groups.values()))["backprop"]))
print("%-24s %7s | %9s %9s %6s | %9s %9s %6s" % ("network", "threads", "step bp", "step pt", "ratio", "infer bp", "infer pt", "ratio"))
for (net, batch, threads), g in groups.items():
    name = "784-512-256-10 b=%d" % batch if net == "mlp" else "tiny 2-16-16-1 b=%d" % batch
    s = {i: statistics.median(r["ms_per_step"] for r in g[i]) for i in g}
    f = {i: statistics.median(r["inference_ms"] for r in g[i]) for i in g}
    print("%-24s %7d | %9.3f %9.3f %6.2f | %9.3f %9.3f %6.2f" % (name, threads,
          s["backprop"], s["pytorch"], s["backprop"] / s["pytorch"],
          f["backprop"], f["pytorch"], f["backprop"] / f["pytorch"]))
'
