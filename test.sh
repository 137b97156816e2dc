#!/usr/bin/env bash
# The project's test command: formatting, vet, every test, and the race
# detector on the engine packages. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")"

# The interop test loads our model files in PyTorch: Debian's python3-torch
# for /usr/bin/python3. Install it on a machine that lacks it.
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
	echo "test.sh: installing python3-torch and python3-numpy for the interop test" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread >/dev/null
fi

# The browser test of "backprop serve" drives Debian's Chromium headless.
if [ ! -x /usr/bin/chromium ]; then
	echo "test.sh: installing chromium for the browser test" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Data-parallel training runs on Open MPI: its mpirun and the headers and
# pkg-config file that the mpi build tag compiles against.
if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi-c 2>/dev/null; then
	echo "test.sh: installing Open MPI for the distributed tests" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev pkg-config >/dev/null
fi

# Fashion-MNIST, the second image data set, from Debian's package.
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte ]; then
	echo "test.sh: installing dataset-fashion-mnist for the Fashion-MNIST tests" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go vet -tags torch,browser,mpi,fashion ./...
go test ./...
# The tests that need an outside program: PyTorch (interop, tensor) and Chromium
# (the page). They fail, never skip, when the program is missing.
go test -tags torch,browser ./interop/... ./viz/web/... ./tensor/
# The tests that read the installed Fashion-MNIST.
go test -tags fashion ./data/mnist/
# The distributed tests run as several processes under mpirun, with 2 and 3
# ranks (--allow-run-as-root: CI runs as root; --oversubscribe: 3 ranks on
# 2 cores). Containers often forbid the cross-memory attach that Open MPI's
# shared-memory transport uses for large messages; plain copies work
# everywhere.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpitest=$(mktemp -d)
go test -c -tags mpi -o "$mpitest/dist.test" ./dist
go test -c -tags mpi -o "$mpitest/train.test" ./train
for np in 2 3; do
	mpirun --allow-run-as-root --oversubscribe -np "$np" "$mpitest/dist.test" -test.timeout 2m
	mpirun --allow-run-as-root --oversubscribe -np "$np" "$mpitest/train.test" -test.run DataParallel -test.timeout 5m
done
rm -rf "$mpitest"
go test -tags mpi -run MPI ./cmd/backprop
go test -tags purego ./...
go test -race ./...

# go generate must reproduce the generated assembly exactly.
generated() { grep -rl --include='*.s' --include='*.go' '^// Code generated' internal | sort | xargs md5sum; }
before=$(generated)
go generate ./...
if [ "$(generated)" != "$before" ]; then
	echo "go generate changed generated files: commit its output" >&2
	exit 1
fi
