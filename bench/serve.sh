#!/usr/bin/env bash
# Load test of the prediction server on this machine: trains the default
# MNIST model (784-512-256-10 ReLU; or takes MODEL=FILE), starts
# `backprop serve --model` on a free port of 127.0.0.1, and runs
# bench/loadgen against it — for 1, 4, 16 and 64 concurrent clients,
# each measurement bounded to REQUESTS requests (default 2000) and
# DURATION (default 10s), the digit of docs/digit-7.png sent as one JSON
# row and as a PNG. Prints the table and writes it, dated, into
# BENCHMARKS.md ("## Prediction server"), replacing the previous run's.
# The server and the clients share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/backprop" ./cmd/backprop
go build -o "$tmp/loadgen" ./bench/loadgen
model=${MODEL:-}
if [ -z "$model" ]; then
	echo "training the default model..." >&2
	"$tmp/backprop" train --model "$tmp/model.safetensors" >"$tmp/train.out"
	model=$tmp/model.safetensors
fi
"$tmp/backprop" serve --addr 127.0.0.1:0 --model "$model" >"$tmp/serve.out" 2>&1 &
server=$!
url=
for _ in $(seq 100); do
	url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve.out" | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.out" >&2; exit 1; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
"$tmp/loadgen" -url "$url" -clients "${CLIENTS:-1,4,16,64}" -requests "${REQUESTS:-2000}" -duration "${DURATION:-10s}" >"$tmp/table"
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
cat "$tmp/table"
arch=$(grep -o '(.*parameters)' "$tmp/serve.out" | head -1)
{
	echo "## Prediction server"
	echo
	echo "\`bash bench/serve.sh\` — $(date +%Y-%m-%d), $(nproc) cores, $(go env GOVERSION)."
	echo "\`backprop serve --model\` with the default \`backprop train\` model $arch,"
	echo "on 127.0.0.1, and \`bench/loadgen\` on the same cores: POST /v1/predict"
	echo "of the digit in docs/digit-7.png as one JSON row and as the PNG itself, each"
	echo "client on a connection of its own; every measurement at most ${REQUESTS:-2000} requests"
	echo "and ${DURATION:-10s}. Load average (1, 5, 15 min) before: $load_before, after: $load_after."
	echo
	echo '```'
	cat "$tmp/table"
	echo '```'
} >"$tmp/section"
python3 - "$tmp/section" <<'PY'
import re, sys
section = open(sys.argv[1]).read()
doc = open("BENCHMARKS.md").read()
m = re.search(r"^## Prediction server\n.*?(?=^## |\Z)", doc, re.S | re.M)
if m:
    doc = doc[:m.start()] + section + ("\n" if doc[m.end():] else "") + doc[m.end():]
else:
    doc = doc.rstrip("\n") + "\n\n" + section
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md updated" >&2
