#!/usr/bin/env bash
# One training step and one inference pass of convolutional networks in
# backprop (`backprop bench train --arch`) and in PyTorch
# (bench/train_torch.py --arch, the same torch.nn.Sequential that
# interop/pytorch_model.py builds from the architecture text): LeNet-5
# (preset lenet5), the PyTorch MNIST example's CNN (preset mnistcnn) and the
# time-to-accuracy network (preset fast), at batch 64 and 256 on 1 and 2
# threads. A step is forward, softmax cross-entropy, backward and SGD with
# momentum 0.9 in float32 on a fixed random batch of [1 28 28] images, in
# training mode (dropout on, batch statistics); inference is the forward pass
# in evaluation mode without gradients. The two alternate ROUNDS times
# (default 5), each measuring for TIME seconds (default 1); prints the
# medians and our time over PyTorch's (below 1 means faster than PyTorch).
#
# Usage: bench/cnn.sh [NET…]   (default: lenet5 mnistcnn fast)
#
# Needs Debian's python3-torch and libopenblas0-pthread; runs PyTorch with
# /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE (without it two-thread PyTorch
# is slower than one here) and without OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, which slow a current OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
secs=${TIME:-1}
nets=("$@")
[ ${#nets[@]} -gt 0 ] || nets=(lenet5 mnistcnn fast)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/backprop
go build -o "$bin" ./cmd/backprop
declare -A text
for net in "${nets[@]}"; do
	# The architecture text of each preset, as backprop spells it out.
	text[$net]=$("$bin" bench train --arch "$net" --batch 2 --time 0s --json |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["arch"])')
done
torch() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$1" \
		/usr/bin/python3 bench/train_torch.py --threads "$@" --time "$secs"
}
for _ in $(seq "$rounds"); do
	for net in "${nets[@]}"; do
		for threads in 1 2; do
			for batch in 64 256; do
				"$bin" bench train --arch "$net" --batch "$batch" --threads "$threads" --time "${secs}s" --json | sed 's/^{/{"impl": "backprop", /'
				torch "$threads" --batch "$batch" --arch "${text[$net]}" --net "$net"
			done
		done
	done
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
groups = {}
for r in rows:
    groups.setdefault((r["net"], r["batch"], r["threads"]), {}).setdefault(r["impl"], []).append(r)
print("CNN training step: forward, softmax cross-entropy, backward, SGD momentum 0.9; float32, [1 28 28] images")
print("medians of %d alternating runs each, ms; ratio = backprop / PyTorch (target <= 0.75)" % len(next(iter(groups.values()))["backprop"]))
print("%-16s %7s | %9s %9s %6s | %9s %9s %6s" % ("network", "threads", "step bp", "step pt", "ratio", "infer bp", "infer pt", "ratio"))
for (net, batch, threads), g in groups.items():
    s = {i: statistics.median(r["ms_per_step"] for r in g[i]) for i in g}
    f = {i: statistics.median(r["inference_ms"] for r in g[i]) for i in g}
    print("%-16s %7d | %9.3f %9.3f %6.2f | %9.3f %9.3f %6.2f" % ("%s b=%d" % (net, batch), threads,
          s["backprop"], s["pytorch"], s["backprop"] / s["pytorch"],
          f["backprop"], f["pytorch"], f["backprop"] / f["pytorch"]))
'
