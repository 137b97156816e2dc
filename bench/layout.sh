#!/usr/bin/env bash
# The time of Graphviz's dot layout (viz.SVG, WebAssembly in pure Go)
# against viz.Graph.LayoutCost, for graphs with fan-out (one value read by
# every gate, as in x^x^…^x) and without (chains), at sizes up to a cost
# of about 2,500. Prints one line per graph: the family, the terms, the
# gates, the cost and the median layout time of ROUNDS runs. The limits of
# viz (DefaultMaxLayout) and of the page's server (web.MaxLayout) are set
# from these figures (BENCHMARKS.md, "Graph layout").
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
bin=$(mktemp -d)/viz.test
go test -c -o "$bin" ./viz
for _ in $(seq "$rounds"); do
	"$bin" -test.run '^$' -test.bench '^BenchmarkLayout$' -test.benchtime 1x
done | awk '
	/^BenchmarkLayout\// {
		name = $1; sub(/^BenchmarkLayout\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 1; i <= NF; i++) { if ($i == "ns/op") ns = $(i-1); if ($i == "cost") c = $(i-1) }
		if (!(name in cost)) order[++n] = name
		cost[name] = c; t[name] = t[name] " " ns
	}
	END {
		printf "%-28s %8s %10s\n", "graph", "cost", "median ms"
		for (k = 1; k <= n; k++) {
			name = order[k]; m = split(substr(t[name], 2), v, " ")
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { x = v[i]; v[i] = v[j]; v[j] = x }
			printf "%-28s %8d %10.1f\n", name, cost[name], v[int((m + 1) / 2)] / 1e6
		}
	}'
