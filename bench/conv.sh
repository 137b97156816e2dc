#!/usr/bin/env bash
# Convolution layers of backprop against PyTorch 1.13, side by side.
#
# For the four layers of the issue's networks -- LeNet-5's conv 1→6 5×5
# pad 2 on 28×28 (lenet1) and conv 6→16 5×5 on 14×14 (lenet2), the PyTorch
# MNIST example's conv 1→32 3×3 on 28×28 (mnist1) and conv 32→64 3×3 on
# 26×26 (mnist2) -- at batch 64 and 256, on 1 and 2 threads, it runs
# `backprop bench conv` (A) and bench/conv_torch.py (B) alternately,
# A B A B …, for ROUNDS rounds, each measuring the forward pass and both
# products of the backward pass for TIME each, and prints the medians in
# GFLOP/s and the ratio of the times (ours / PyTorch: below 1 is faster
# than PyTorch). It also prints our fraction of the machine's FP32 peak on
# the same number of threads, measured by bench/peak.c at the start (the
# issue's target: 80% on mnist2).
#
# Usage: bench/conv.sh [--quick]
#   ROUNDS=5 TIME=0.5   rounds and measuring seconds per product and run
#   PEAK1=… PEAK2=…     the FP32 peak on 1 and 2 threads in GFLOP/s,
#                       instead of measuring it
#   --quick             mnist2 at batch 64 only, for a smoke test
# PyTorch runs with /usr/bin/python3 (Debian's python3-torch), without
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which slow a current OpenBLAS,
# and with OMP_WAIT_POLICY=PASSIVE, without which two-thread PyTorch is
# slower than one here.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
TIME=${TIME:-0.5}
quick=0
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	*) echo "conv.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/backprop" ./cmd/backprop
if [ -z "${PEAK1:-}" ] || [ -z "${PEAK2:-}" ]; then
	# The widest vectors the CPU has, float32, on 1 and 2 threads.
	gcc -O2 -Wno-psabi -pthread -o "$tmp/peak" bench/peak.c
	"$tmp/peak" >"$tmp/peak.txt"
	kind=avx512
	grep -q '^avx512 float32' "$tmp/peak.txt" || kind=avx2
	PEAK1=$(sed -n "s/^$kind float32 1 thread *: *\([0-9.]*\).*/\1/p" "$tmp/peak.txt")
	PEAK2=$(sed -n "s/^$kind float32 2 threads: *\([0-9.]*\).*/\1/p" "$tmp/peak.txt")
	echo "FP32 peak ($kind, bench/peak.c): $PEAK1 GFLOP/s on 1 thread, $PEAK2 on 2" >&2
fi

# name c h w k r pad
layers=("lenet1 1 28 28 6 5 2" "lenet2 6 14 14 16 5 0" "mnist1 1 28 28 32 3 0" "mnist2 32 26 26 64 3 0")
batches="64 256"
if [ $quick = 1 ]; then layers=("mnist2 32 26 26 64 3 0"); batches=64; fi

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
	for l in "${layers[@]}"; do
		read -r name c h w k ks pad <<<"$l"
		for b in $batches; do
			for t in 1 2; do
				"$tmp/backprop" bench conv --layer "$name" --batch "$b" --threads "$t" --time "${TIME}s" --json |
					sed "s/^{/{\"impl\": \"backprop\", \"name\": \"$name\", /"
				env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$t" \
					/usr/bin/python3 bench/conv_torch.py --n "$b" --c "$c" --h "$h" --w "$w" --k "$k" --r "$ks" --s "$ks" \
					--pad "$pad" --threads "$t" --time "$TIME" |
					sed "s/^{/{\"name\": \"$name\", /"
			done
		done
	done
	echo "round $r of $ROUNDS done" >&2
done >"$tmp/runs.jsonl"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

echo "$(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(go env GOVERSION);" \
	"load average before: $load0, after: $load1"
echo "FP32 peak: $PEAK1 GFLOP/s on 1 thread, $PEAK2 on 2 (bench/peak.c unless given)"
PEAK1="$PEAK1" PEAK2="$PEAK2" /usr/bin/python3 - "$tmp/runs.jsonl" "$ROUNDS" "$TIME" <<'PY'
import json, os, statistics, sys
path, rounds, secs = sys.argv[1:]
peaks = {1: float(os.environ["PEAK1"]), 2: float(os.environ["PEAK2"])}
groups = {}
for line in open(path):
    if not line.strip().startswith("{"):
        continue
    r = json.loads(line)
    key = (r["name"], r["batch"], r["threads"], r["product"])
    groups.setdefault(key, {}).setdefault(r["impl"], []).append(r)
print(f"convolution layers, float32; medians of {rounds} alternating runs of {secs}s per product")
print("GFLOP/s of 2·N·K·OH·OW·C·R·S; ratio = backprop time / PyTorch time (below 1: faster)")
head = f"{'layer':8} {'batch':>5} {'threads':>7} {'product':8} {'backprop':>9} {'pytorch':>9} {'ratio':>6} {'of peak':>8}"
print(head)
for (name, batch, threads, prod), g in groups.items():
    ours = statistics.median(x["gflops"] for x in g["backprop"])
    theirs = statistics.median(x["gflops"] for x in g["pytorch"])
    row = f"{name:8} {batch:5d} {threads:7d} {prod:8} {ours:9.1f} {theirs:9.1f} {theirs / ours:6.2f} {100 * ours / peaks[threads]:7.0f}%"
    print(row)
PY
