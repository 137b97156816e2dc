#!/usr/bin/env bash
# One training step and one inference pass of the next-byte models of
# `backprop train --dataset gosrc` in backprop (`backprop bench train --arch
# NET --context 128`) and in PyTorch (bench/train_torch.py --arch TEXT
# --context 128: nn.Embedding, a learned position table, nn.LSTM
# (batch-first) and interop/pytorch_model.py's pre-LN Block around
# nn.MultiheadAttention): the presets lstm (embed 64, 2-layer LSTM 256) and
# gpt (embed 128, learned positions, 4 blocks of 4 heads, width 128), at
# batch 32 × context 128 on 1 and 2 threads. A step is forward,
# cross-entropy over every position, backward and SGD with momentum 0.9 in
# float32 on a fixed batch of random bytes; inference is the forward pass
# in evaluation mode without gradients. The two alternate ROUNDS times
# (default 5), each measuring for TIME seconds (default 2); prints the
# medians and our time over PyTorch's (below 1 means faster than PyTorch).
#
# Usage: bench/seq.sh [NET…]   (default: lstm gpt)
#   BATCH=32 CONTEXT=128
#
# Needs Debian's python3-torch and libopenblas0-pthread; runs PyTorch with
# /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE and without OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE, as the other scripts here.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
secs=${TIME:-2}
batch=${BATCH:-32}
context=${CONTEXT:-128}
nets=("$@")
[ ${#nets[@]} -gt 0 ] || nets=(lstm gpt)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/backprop
go build -o "$bin" ./cmd/backprop
declare -A text
for net in "${nets[@]}"; do
	text[$net]=$("$bin" bench train --arch "$net" --batch 1 --context 2 --time 0s --json |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["arch"])')
done
torch() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$1" \
		/usr/bin/python3 bench/train_torch.py --threads "$@" --time "$secs"
}
echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$rounds"); do
	for net in "${nets[@]}"; do
		for threads in 1 2; do
			"$bin" bench train --arch "$net" --batch "$batch" --context "$context" --threads "$threads" --time "${secs}s" --json | sed 's/^{/{"impl": "backprop", /'
			torch "$threads" --batch "$batch" --context "$context" --arch "${text[$net]}" --net "$net"
		done
	done
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
groups = {}
for r in rows:
    groups.setdefault((r["net"], r["batch"], r["context"], r["threads"]), {}).setdefault(r["impl"], []).append(r)
print("next-byte model training step: forward, cross-entropy over every position, backward, SGD momentum 0.9; float32")
print("medians of %d alternating runs each, ms; ratio = backprop / PyTorch (target <= 0.75)" % len(next(iter(groups.values()))["backprop"]))
print("%-20s %7s | %9s %9s %6s | %9s %9s %6s" % ("network", "threads", "step bp", "step pt", "ratio", "infer bp", "infer pt", "ratio"))
for (net, batch, context, threads), g in groups.items():
    s = {i: statistics.median(r["ms_per_step"] for r in g[i]) for i in g}
    f = {i: statistics.median(r["inference_ms"] for r in g[i]) for i in g}
    print("%-20s %7d | %9.2f %9.2f %6.2f | %9.2f %9.2f %6.2f" % ("%s %dx%d" % (net, batch, context), threads,
          s["backprop"], s["pytorch"], s["backprop"] / s["pytorch"],
          f["backprop"], f["pytorch"], f["backprop"] / f["pytorch"]))
'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
