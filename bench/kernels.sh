#!/usr/bin/env bash
# Element-wise kernels: every variant of internal/kernel (the Go variant is
# the plain Go loop) on 4 Ki elements (in cache) and 16 Mi elements (64 MiB
# per slice, larger than the caches), ROUNDS rounds; within a round the
# variants of one kernel and size run back to back, so they alternate.
# Prints the median ns/op and GB/s of each and the speed-up over plain Go.
# One goroutine (GOMAXPROCS=1): the kernels are single-threaded.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
filter=${FILTER:-.}
bin=$(mktemp -d)/kernel.test
go test -c -o "$bin" ./internal/kernel

for _ in $(seq "$rounds"); do
	GOMAXPROCS=1 "$bin" -test.run '^$' -test.bench "^BenchmarkKernel/$filter" -test.benchtime "${BENCHTIME:-100ms}"
done | python3 -c '
import re, sys, statistics
from collections import defaultdict
ns, mbs = defaultdict(list), defaultdict(list)
order = []
for line in sys.stdin:
    m = re.match(r"BenchmarkKernel/(\S+?)/(\S+?)/(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) MB/s", line)
    if not m:
        continue
    key = (m.group(1), m.group(2))
    if key not in order:
        order.append(key)
    ns[key + (m.group(3),)].append(float(m.group(5)))
    mbs[key + (m.group(3),)].append(float(m.group(6)))
variants = [v for v in ("go", "avx2", "avx512") if any(k[2] == v for k in ns)]
print("median of %d alternating runs; ns/op; GB/s = bytes read + written per second; xN = speed-up over plain Go" % len(next(iter(ns.values()))))
hdr = "%-13s %5s" % ("kernel", "size") + "".join("%12s" % (v + " ns") for v in variants)
hdr += "".join("%10s" % ("x " + v) for v in variants if v != "go") + "".join("%12s" % (v + " GB/s") for v in variants if v != "go")
print(hdr)
for key in order:
    med = {v: statistics.median(ns[key + (v,)]) for v in variants}
    gbs = {v: statistics.median(mbs[key + (v,)]) / 1000 for v in variants}
    row = "%-13s %5s" % key + "".join("%12.0f" % med[v] for v in variants)
    row += "".join("%9.1fx" % (med["go"] / med[v]) for v in variants if v != "go")
    row += "".join("%12.1f" % gbs[v] for v in variants if v != "go")
    print(row)
'
