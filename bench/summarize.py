"""Reads JSON lines {"impl", "fwd_ns", "bwd_ns"} from stdin and prints the
medians per implementation and PyTorch's time over ours."""
import json
import statistics
import sys

rows = [json.loads(line) for line in sys.stdin if line.strip()]
med = {}
for impl in ("backprop", "backprop-graph", "pytorch"):
    r = [x for x in rows if x["impl"] == impl]
    if not r:
        continue
    med[impl] = {
        "fwd": statistics.median(x["fwd_ns"] for x in r),
        "bwd": statistics.median(x["bwd_ns"] for x in r),
        "total": statistics.median(x["fwd_ns"] + x["bwd_ns"] for x in r),
        "n": len(r),
    }
print("scalar chain x = x*1.0001 + 0.5, 100,000 gates, float64, one thread")
print("medians of %d alternating runs each, ns per gate" % med["backprop"]["n"])
print("%-16s %9s %9s %9s" % ("", "forward", "backward", "total"))
for impl, m in med.items():
    print("%-16s %9.0f %9.0f %9.0f" % (impl, m["fwd"], m["bwd"], m["total"]))
p = med["pytorch"]
for impl in ("backprop", "backprop-graph"):
    if impl in med:
        b = med[impl]
        label = "PyTorch/" + impl.replace("backprop", "ours")
        print("%-16s %8.1fx %8.1fx %8.1fx" % (label, p["fwd"] / b["fwd"], p["bwd"] / b["bwd"], p["total"] / b["total"]))
