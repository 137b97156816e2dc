#!/usr/bin/env bash
# The project's test command: formatting, vet, every test, and the race
# detector on the engine packages. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go test ./...
go test -tags purego ./internal/... ./tensor/...
go test -race ./tensor/... ./ag/... ./gradcheck/...
