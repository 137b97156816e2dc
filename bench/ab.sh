#!/usr/bin/env bash
# Before and after: the engine's costs at two revisions of this repository,
# measured in one run, alternating A B A B. For each revision it builds the
# CLI and the ag test binary, then runs ROUNDS times (default 5):
#   - the scalar chain of 100,000 gates (BenchmarkScalarChain) without a
#     graph, and with its memory recycled (BenchmarkScalarChainGraph, or
#     BenchmarkScalarChainScoped at revisions that had ag.Scope);
#   - `backprop bench train`: a step of the 784-512-256-10 MLP at batch 64
#     and 256 on 1 and 2 threads, for TIME seconds each (default 1).
# Prints the medians and the ratio after/before (below 1: faster after).
#
#   bash bench/ab.sh [BEFORE [AFTER]]    (default: HEAD~1 and the working tree)
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:-HEAD~1}
after=${2:-}
rounds=${ROUNDS:-5}
secs=${TIME:-1}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" 2>/dev/null || true; rm -rf "$work"' EXIT

build() { # build REV DIR: the binaries of REV (the working tree if REV is empty) into DIR
	local src=.
	if [ -n "$1" ]; then
		git worktree add -q --detach "$2/src" "$1"
		src=$2/src
	fi
	(cd "$src" && go build -o "$2/backprop" ./cmd/backprop && go test -c -o "$2/ag.test" ./ag)
	if [ -n "$1" ]; then git worktree remove --force "$2/src"; fi
}
mkdir -p "$work/before" "$work/after"
build "$before" "$work/before"
build "$after" "$work/after"

run() { # run NAME DIR: one round of every measurement, as JSON lines
	local name=$1 dir=$2
	"$dir/ag.test" -test.run '^$' -test.bench '^BenchmarkScalarChain(Scoped|Graph)?$' -test.benchtime 20x |
		awk -v impl="$name" '/^BenchmarkScalarChain/ {
			kind = ($1 ~ /Scoped|Graph/) ? "chain, recycled" : "chain"
			for (i = 1; i <= NF; i++) if ($i == "ns/gate") v = $(i-1)
			printf "{\"impl\": \"%s\", \"what\": \"%s ns/gate\", \"value\": %s}\n", impl, kind, v }'
	for threads in 1 2; do
		for batch in 64 256; do
			"$dir/backprop" bench train --batch "$batch" --threads "$threads" --time "${secs}s" --json |
				/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
for k, label in (("ms_per_step", "step"), ("inference_ms", "inference")):
    print(json.dumps({"impl": sys.argv[1], "what": "MLP %s b=%d %dT ms" % (label, r["batch"], r["threads"]), "value": r[k]}))
' "$name"
		done
	done
}

for _ in $(seq "$rounds"); do
	run before "$work/before"
	run after "$work/after"
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
groups = {}
for r in rows:
    groups.setdefault(r["what"], {}).setdefault(r["impl"], []).append(r["value"])
n = len(next(iter(groups.values()))["before"])
print("medians of %d alternating rounds; ratio = after / before" % n)
print("%-28s %10s %10s %7s" % ("", "before", "after", "ratio"))
for what, g in groups.items():
    b, a = statistics.median(g["before"]), statistics.median(g["after"])
    print("%-28s %10.3f %10.3f %7.3f" % (what, b, a, a / b))
'
