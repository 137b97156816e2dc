#!/usr/bin/env python3
"""PyTorch interop for backprop's saved models (safetensors, state_dict names).

Two directions, with nothing but torch, numpy, json and struct (no
`safetensors` package):

  python3 interop/pytorch_mlp.py write [DIR]
      Builds a 784-32-10 ReLU MLP in PyTorch (torch.manual_seed(0)), saves it
      as DIR/torch_mlp.safetensors in the format `backprop eval/predict` read
      (tensor names 0.weight, 0.bias, 2.weight, 2.bias; the architecture in
      the metadata), and writes the logits for the fixed input below to
      DIR/torch_logits.json. DIR defaults to interop/testdata. The Go test
      interop/interop_test.go loads both and matches the logits to 1e-5.

  python3 interop/pytorch_mlp.py check MODEL [LOGITS] [MODEL LOGITS ...]
      Loads a model written by backprop (`backprop train --model MODEL`, or
      interop/testdata/go_mlp.safetensors written by the Go test with
      -update), rebuilds it as a torch.nn.Sequential from its metadata, and
      prints its logits for the fixed input. With LOGITS (a JSON file like
      interop/testdata/go_logits.json, the logits backprop computed) it
      compares them and exits 1 if any differs by more than 1e-5. Several
      MODEL LOGITS pairs are checked in one run.

The fixed input is 4 rows of 784 values, x[i][j] = ((i*784 + j) * 37 % 101) / 100,
rounded to float32.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

TOL = 1e-5


def fixed_input(features=784, rows=4):
    v = [((i * features + j) * 37 % 101) / 100 for i in range(rows) for j in range(features)]
    return torch.tensor(v, dtype=torch.float64).reshape(rows, features).float()


class Maxout(nn.Module):
    """The maximum over groups of k consecutive features, as nn.Maxout in Go."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x.view(x.shape[0], x.shape[1] // self.k, self.k).max(dim=-1).values


def build(spec):
    """The torch.nn.Sequential that backprop's nn.MLP builds for spec."""
    sizes, act = spec["sizes"], spec.get("activation") or "relu"
    k = spec.get("k") or 2
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers.append(nn.Linear(a, b * k if act == "maxout" else b))
        layers.append({
            "relu": lambda: nn.ReLU(),
            "leaky_relu": lambda: nn.LeakyReLU(spec.get("slope") or 0.01),
            "elu": lambda: nn.ELU(spec.get("alpha") or 1.0),
            "tanh": lambda: nn.Tanh(),
            "sigmoid": lambda: nn.Sigmoid(),
            "maxout": lambda: Maxout(k),
        }[act]())
        if spec.get("dropout"):
            layers.append(nn.Dropout(spec["dropout"]))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def save_safetensors(path, state, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in state.items():
        a = t.detach().cpu().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": "<f4", "F64": "<f8"}
    state = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        state[name] = torch.from_numpy(a.astype(np.float32))
    return state, meta


def write(outdir):
    torch.manual_seed(0)
    spec = {"sizes": [784, 32, 10], "activation": "relu"}
    model = build(spec).eval()
    meta = {
        "format_version": "1",
        "architecture": json.dumps(spec, separators=(",", ":")),
        "preprocessing": json.dumps({"mean": 0, "std": 1}),
        "dataset": json.dumps({"name": "mnist"}),
        "format": "pt",
    }
    save_safetensors(f"{outdir}/torch_mlp.safetensors", model.state_dict(), meta)
    with torch.no_grad():
        logits = model(fixed_input())
    with open(f"{outdir}/torch_logits.json", "w") as f:
        json.dump({"torch": torch.__version__, "logits": logits.tolist()}, f, indent=1)
        f.write("\n")
    print(f"wrote {outdir}/torch_mlp.safetensors and {outdir}/torch_logits.json")


def check(model_path, logits_path=None):
    state, meta = load_safetensors(model_path)
    version = meta.get("format_version", "1")
    if version != "1":
        raise SystemExit(f"{model_path}: model format version {version!r}: this script reads version 1")
    spec = json.loads(meta["architecture"])
    model = build(spec).eval()
    model.load_state_dict(state)  # strict: the names and shapes must match
    with torch.no_grad():
        logits = model(fixed_input(spec["sizes"][0]))
    print(f"{model_path}: {model}")
    print("torch logits, class per row:", logits.argmax(dim=1).tolist())
    if logits_path is None:
        print(json.dumps(logits.tolist()))
        return 0
    with open(logits_path) as f:
        want = torch.tensor(json.load(f)["logits"], dtype=torch.float32)
    diff = (logits - want).abs().max().item()
    ok = logits.shape == want.shape and diff <= TOL
    print(f"max |torch - backprop| = {diff:.3g}: {'ok' if ok else 'MISMATCH'} (tolerance {TOL})")
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 1 and argv[0] == "write" and len(argv) <= 2:
        write(argv[1] if len(argv) == 2 else "interop/testdata")
        return 0
    if len(argv) == 2 and argv[0] == "check":
        return check(argv[1])
    if len(argv) >= 3 and len(argv) % 2 == 1 and argv[0] == "check":
        return max(check(m, l) for m, l in zip(argv[1::2], argv[2::2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
