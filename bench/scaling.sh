#!/usr/bin/env bash
# The tables of docs/scaling.md: measures the MLP's training step at the
# per-rank batches of a global batch of 128 split over N = 1 … 64 ranks
# (`backprop bench train`, THREADS threads, default all cores: one rank
# per machine) and feeds them to bench/scaling.py with the GFLOP/s
# assumed for the CNNs (GFLOPS, default 100: our float32 GEMM on one
# core, BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/backprop" ./cmd/backprop
for b in 128 64 32 16 8 4 2; do
	"$tmp/backprop" bench train --batch "$b" --threads "$threads" --time "${TIME:-2s}" --json
done | tee "$tmp/train.jsonl" >&2
/usr/bin/python3 bench/scaling.py "${GFLOPS:-100}" <"$tmp/train.jsonl"
