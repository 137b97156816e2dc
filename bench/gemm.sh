#!/usr/bin/env bash
# GEMM speed of backprop against OpenBLAS (through NumPy), side by side.
#
# For every shape, dtype and thread count it runs `backprop bench gemm` (A)
# and the same product in NumPy (B) alternately, A B A B …, for ROUNDS
# rounds, and prints the median GFLOP/s of each and their ratio
# (ours / OpenBLAS). The result, with the date and the machine, replaces
# the "## GEMM" section of BENCHMARKS.md (other sections are kept).
#
# Usage: bench/gemm.sh [--quick] [--no-write]
#   ROUNDS=5 TIME=0.2s   rounds per case and measuring time per run
#   --quick              fewer shapes, for a smoke test
#   --no-write           print the table only
# Needs /usr/bin/python3 with python3-numpy and libopenblas0-pthread.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
TIME=${TIME:-0.2s}
quick=0
write=1
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	--no-write) write=0 ;;
	*) echo "gemm.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/backprop" ./cmd/backprop

cat >"$tmp/np.py" <<'PY'
import json, sys, time
import numpy as np
m, n, k, dtype, threads, ta, tb, secs = sys.argv[1:]
m, n, k, ta, tb, secs = int(m), int(n), int(k), ta == "1", tb == "1", float(secs)
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(dtype)
b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(dtype)
a, b = (a.T if ta else a), (b.T if tb else b)  # views: BLAS gets the flags
c = np.empty((m, n), dtype=dtype)
np.matmul(a, b, out=c)
reps, start = 0, time.perf_counter()
while True:
    np.matmul(a, b, out=c)
    reps += 1
    el = time.perf_counter() - start
    if el >= secs:
        break
print(json.dumps({"gflops": 2 * m * n * k * reps / el / 1e9, "seconds": el / reps}))
PY

# The BLAS NumPy runs, as the shared objects it has loaded.
blas=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 -c '
import numpy as np
np.ones((64, 64), dtype=np.float32) @ np.ones((64, 64), dtype=np.float32)
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()})
cfg = getattr(np, "__config__", None)
print(", ".join(libs), "(numpy", np.__version__ + ")")')
case "$blas" in
*openblas*) ;;
*) echo "gemm.sh: NumPy does not run OpenBLAS: $blas" >&2; exit 1 ;;
esac

# Cases: name m n k dtype threads transA transB.
cases=()
sq="64 128 256 512 1024 2048"
sq64="256 512 1024"
if [ $quick = 1 ]; then sq="64 256"; sq64="256"; fi
for t in 1 2; do
	for n in $sq; do cases+=("$n $n $n float32 $t 0 0"); done
	for n in $sq64; do cases+=("$n $n $n float64 $t 0 0"); done
	if [ $quick = 0 ]; then
		# The MLP 784-512-256-10 at batch 64 and 256, with W stored in×out:
		# forward x·W, backward dX = dY·Wᵀ and dW = Xᵀ·dY; and with W stored
		# out×in, as nn.Linear does: forward x·Wᵀ, backward dX = dY·W and
		# dW = dYᵀ·X.
		for bs in 64 256; do
			for layer in "784 512" "512 256" "256 10"; do
				set -- $layer
				cases+=("$bs $2 $1 float32 $t 0 0" "$bs $1 $2 float32 $t 0 1" "$1 $2 $bs float32 $t 1 0")
				cases+=("$bs $2 $1 float32 $t 0 1" "$bs $1 $2 float32 $t 0 0" "$2 $1 $bs float32 $t 1 0")
			done
		done
	fi
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A ours theirs
for r in $(seq "$ROUNDS"); do
	for i in "${!cases[@]}"; do
		read -r m n k dt t ta tb <<<"${cases[$i]}"
		flags=()
		[ "$ta" = 1 ] && flags+=(--transA)
		[ "$tb" = 1 ] && flags+=(--transB)
		g=$("$tmp/backprop" bench gemm --m "$m" --n "$n" --k "$k" --dtype "$dt" --threads "$t" --time "$TIME" "${flags[@]}" --json |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["gflops"])')
		ours[$i]+="$g "
		g=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$t" \
			/usr/bin/python3 "$tmp/np.py" "$m" "$n" "$k" "$dt" "$t" "$ta" "$tb" "${TIME%s}" |
			/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["gflops"])')
		theirs[$i]+="$g "
	done
	echo "round $r of $ROUNDS done" >&2
done

table() {
	echo "Medians of $ROUNDS alternating runs of ${TIME} each, GFLOP/s (2·m·n·k per product)."
	echo "OpenBLAS: $blas."
	echo
	echo "| m×n×k | op | dtype | threads | backprop | OpenBLAS | ratio |"
	echo "|---|---|---|---:|---:|---:|---:|"
	for i in "${!cases[@]}"; do
		read -r m n k dt t ta tb <<<"${cases[$i]}"
		op="A·B"
		[ "$ta" = 1 ] && op="Aᵀ·B"
		[ "$tb" = 1 ] && op="A·Bᵀ"
		/usr/bin/python3 - "$m×$n×$k" "$op" "$dt" "$t" "${ours[$i]}" "${theirs[$i]}" <<'PY'
import statistics, sys
shape, op, dt, t, a, b = sys.argv[1:]
a = statistics.median(map(float, a.split()))
b = statistics.median(map(float, b.split()))
print(f"| {shape} | {op} | {dt} | {t} | {a:.1f} | {b:.1f} | {a / b:.2f} |")
PY
	done
}
load1=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(table)
echo "$out"

if [ $write = 1 ]; then
	machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores ($(lscpu | sed -n 's/^Flags:.*\(avx512f\).*/AVX-512/p'))"
	section=$(printf '## GEMM\n\n%s, %s, Go %s. Produced by `bench/gemm.sh`.\nLoad average (1, 5, 15 min) before: %s, after: %s (the machine is shared:\nother work runs beside the benchmark, which alternates the two libraries so\nthat both see it).\n\n%s\n' \
		"$(date -u +%F)" "$machine" "$(go env GOVERSION)" "$load0" "$load1" "$out")
	SECTION="$section" /usr/bin/python3 - BENCHMARKS.md <<'PY'
import os, re, sys
path = sys.argv[1]
section = os.environ["SECTION"].rstrip("\n") + "\n"
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n"
m = re.search(r"^## GEMM\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
	echo "wrote the GEMM section of BENCHMARKS.md" >&2
fi
