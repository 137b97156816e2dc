#!/usr/bin/env bash
# The machine's floating-point peak, the yardstick of the GEMM and
# convolution figures: bench/peak.c (register-only fused multiply-add
# chains) built with gcc and run on 1 and 2 threads, AVX-512 and AVX2,
# float32 and float64, best of 3. Prints the CPU and the load average too.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -Wno-psabi -pthread -o "$tmp/peak" bench/peak.c
echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) hardware threads; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/peak"
