#!/usr/bin/env bash
# The tables of docs/scaling.md: measures the MLP's training step at the
# per-rank batches of a global batch of 128 split over N = 1 … 64 ranks
# (`backprop bench train`, THREADS threads, default all cores: one rank
# per machine), ROUNDS rounds (default 5) of TIME each (default 1s), and
# feeds them to bench/scaling.py, which takes the fastest round (the
# least disturbed on a shared machine), with the
# GFLOP/s assumed for the CNNs (GFLOPS, default 100: our float32 GEMM on
# one core, BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/backprop" ./cmd/backprop
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for _ in $(seq "${ROUNDS:-5}"); do
	for b in 128 64 32 16 8 4 2; do
		"$tmp/backprop" bench train --batch "$b" --threads "$threads" --time "${TIME:-1s}" --json
	done
done | tee "$tmp/train.jsonl" >&2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 bench/scaling.py "${GFLOPS:-100}" <"$tmp/train.jsonl"
