#!/usr/bin/env bash
# MPI all-reduce time against message size between processes on this
# machine (Open MPI, shared memory), as data-parallel training sums its
# gradient buckets: `mpirun -np N backprop bench allreduce` for N = 2 and
# 3, float32 buffers from 4 B to 64 MiB, the median of at least TIME of
# calls per size, and the fit time ≈ latency + 2(N−1)/N · bytes / bandwidth.
# The result, with the date, the machine and its load, replaces the
# "## All-reduce" section of BENCHMARKS.md (appended the first time).
#
# Usage: bench/allreduce.sh [--no-write]
#   TIME=0.2s   measuring time per size
#   NP="2 3"    the process counts
# Needs Open MPI (apt-get install openmpi-bin libopenmpi-dev) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

TIME=${TIME:-0.2s}
NP=${NP:-2 3}
write=1
for a in "$@"; do
	case "$a" in
	--no-write) write=0 ;;
	*) echo "allreduce.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags mpi -o "$tmp/backprop" ./cmd/backprop
mpi=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root)

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for np in $NP; do
	"${mpi[@]}" -np "$np" "$tmp/backprop" bench allreduce --time "$TIME" --json
done >"$tmp/out.json"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

out=$(/usr/bin/python3 - "$tmp/out.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
nps = sorted({r["ranks"] for r in rows})
sizes = sorted({r["bytes"] for r in rows if r["op"] == "allreduce"})
def size(b):
    for unit, n in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= n:
            return f"{b // n} {unit}"
    return f"{b} B"
cell = {(r["ranks"], r["bytes"]): r for r in rows if r["op"] == "allreduce"}
print("Median time of one MPI_Allreduce (sum, float32, in place); bus bandwidth = 2(N−1)/N · bytes / time.")
print()
print("| bytes | " + " | ".join(f"N={n} µs | N={n} bus GB/s" for n in nps) + " |")
print("|---:|" + "---:|---:|" * len(nps))
for b in sizes:
    print(f"| {size(b)} | " + " | ".join(f"{cell[n, b]['seconds'] * 1e6:.1f} | {cell[n, b]['busbw_gbs']:.2f}" for n in nps) + " |")
print()
for r in rows:
    if r["op"] == "allreduce-fit":
        print(f"Fit, N={r['ranks']}: time ≈ {r['latency_seconds'] * 1e6:.1f} µs + 2(N−1)/N · bytes / ({r['bandwidth_gbs']:.2f} GB/s).")
PY
)
echo "$out"

if [ $write = 1 ]; then
	machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) hardware threads"
	section=$(printf '## All-reduce\n\n%s, %s, %s, Go %s. Produced by `bench/allreduce.sh`\n(`mpirun -np N backprop bench allreduce`, the ranks on one machine,\ncommunicating through shared memory). Load average (1, 5, 15 min) before:\n%s, after: %s.\n\n%s\n' \
		"$(date -u +%F)" "$machine" "$(mpirun --version | head -1)" "$(go env GOVERSION)" "$load0" "$load1" "$out")
	SECTION="$section" /usr/bin/python3 - BENCHMARKS.md <<'PY'
import os, re, sys
path = sys.argv[1]
section = os.environ["SECTION"].rstrip("\n") + "\n"
text = open(path).read()
m = re.search(r"^## All-reduce\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
	echo "wrote the All-reduce section of BENCHMARKS.md" >&2
fi
