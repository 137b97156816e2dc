#!/usr/bin/env bash
# The same validation loss after the same steps? backprop train --dataset
# gosrc against PyTorch 1.13 (bench/text_torch.py) on the same corpus
# split, architecture, initial weights and recipe (Adam 2e-3, warm-up,
# cosine, batches of 32 windows of 128 bytes, STEPS steps, default 400),
# both on THREADS threads (default 2), for the presets lstm and gpt (or
# those given). Both trained models are then measured by the same code on
# the same 1,000 fixed windows of the validation files: it prints the two
# losses in nats and bits per byte, their ratio (target: within 2%), and
# the two training wall times (target: ours less).
#
# Usage: bench/text.sh [PRESET…]
# Needs Debian's python3-torch and libopenblas0-pthread; runs PyTorch with
# /usr/bin/python3, OMP_WAIT_POLICY=PASSIVE and without OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE, as the other scripts here.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-400}
spe=$((steps < 100 ? steps : 100)) # steps per epoch: validation every 100 steps, as train does
threads=${THREADS:-2}
nets=("$@")
[ ${#nets[@]} -gt 0 ] || nets=(lstm gpt)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/backprop
go build -o "$bin" ./cmd/backprop
goroot=$(go env GOROOT)
echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $threads threads, $steps steps; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for net in "${nets[@]}"; do
	# The initial weights of the run: one step at a rate too small to move them.
	"$bin" train --dataset gosrc --arch "$net" --epochs 1 --steps-per-epoch 1 --lr 1e-30 --warmup 0 \
		--threads "$threads" --model "$tmp/$net-init.safetensors" --json >/dev/null 2>&1
	"$bin" train --dataset gosrc --arch "$net" --epochs $((steps / spe)) --steps-per-epoch "$spe" \
		--threads "$threads" --model "$tmp/$net.safetensors" --json 2>"$tmp/log" | sed "s/^{/{\"impl\": \"backprop\", \"net\": \"$net\", /"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$threads" \
		/usr/bin/python3 bench/text_torch.py "$goroot" "$tmp/$net-init.safetensors" "$tmp/$net.safetensors" "$steps" "$threads" 2>"$tmp/log" |
		sed "s/^{/{\"net\": \"$net\", /"
done | /usr/bin/python3 -c '
import json, math, sys
rows = [json.loads(l) for l in sys.stdin if l.strip().startswith("{")]
by = {}
for r in rows:
    by.setdefault(r["net"], {})[r["impl"].split()[0]] = r
print("next-byte models on the Go source, same split, initial weights and recipe; validation on 1,000 fixed windows")
print("%-6s %6s | %12s %12s %7s | %9s %9s %7s" % ("preset", "steps", "val bp", "val pt", "bp/pt", "wall bp", "wall pt", "pt/bp"))
for net, g in by.items():
    b, p = g["backprop"], g["pytorch"]
    lb, lp = p["val_loss_backprop"], p["val_loss_pytorch"]
    print("%-6s %6d | %5.4f/%5.3fb %5.4f/%5.3fb %7.3f | %8.1fs %8.1fs %6.2fx" % (net, p["steps"], lb, lb / math.log(2), lp, lp / math.log(2),
          lb / lp, b["seconds"], p["seconds"], p["seconds"] / b["seconds"]))
print("(nats/bits per byte; bp/pt within 1.02 is the target, and pt/bp > 1 means ours took less wall time)")
'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
