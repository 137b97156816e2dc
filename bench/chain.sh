#!/usr/bin/env bash
# Engine overhead per gate, backprop against PyTorch, in one run: the scalar
# chain x = x*1.0001 + 0.5 (100,000 gates), forward and backward, the two
# implementations alternating ROUNDS times. Prints the medians and ratios.
# backprop-graph is the same chain built in an ag.Graph, which recycles the
# previous round's memory instead of allocating.
#
# Needs Debian's python3-torch (apt-get install -y python3-torch); runs it
# with /usr/bin/python3 on one thread.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-7}
bin=$(mktemp -d)/ag.test
go test -c -o "$bin" ./ag

{
	for _ in $(seq "$rounds"); do
		"$bin" -test.run '^$' -test.bench '^BenchmarkScalarChain(Graph)?$' -test.benchtime 40x |
			awk '/^BenchmarkScalarChain/ {
				impl = ($1 ~ /Graph/) ? "backprop-graph" : "backprop"
				for (i = 1; i <= NF; i++) { if ($i == "fwd-ns/gate") f = $(i-1); if ($i == "bwd-ns/gate") b = $(i-1) }
				printf "{\"impl\": \"%s\", \"fwd_ns\": %s, \"bwd_ns\": %s}\n", impl, f, b }'
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 /usr/bin/python3 bench/chain.py 1
	done
} | /usr/bin/python3 bench/summarize.py
