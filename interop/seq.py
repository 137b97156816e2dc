"""PyTorch's answers for the inputs of sequence models, as one JSON object
(NaN as the string "nan"): F.embedding's lookup and gradient, with and
without padding_idx; F.cross_entropy over [N, T, C] logits with
ignore_index (the default -100, a class as the ignore index, and every
position ignored); the sinusoidal positional encoding as PyTorch's
transformer tutorial computes it. With the argument MODEL JSON it loads
the sequence model backprop saved in MODEL (embed, posembed, sinpos,
flatten, linear) into torch.nn modules with load_state_dict(strict=True),
runs it on the indices of JSON and compares its logits with Go's there,
printing "ok" or exiting 1. interop/seq_test.go computes the same in Go
and compares. Run with Debian's python3-torch: /usr/bin/python3 seq.py
"""
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch import nn

from pytorch_model import PositionalEmbedding, SinusoidalPositions, load_safetensors, tutorial_pe

torch.set_num_threads(1)


def enc(xs):
    return ["nan" if math.isnan(x) else x for x in xs]


def vals(n, mod, scale):
    """n exact small rationals, the same in Go: ((i·37 + 11) mod m − m/2)/scale."""
    return [((i * 37 + 11) % mod - mod // 2) / scale for i in range(n)]


def t64(xs, *shape):
    return torch.tensor(xs, dtype=torch.float64).reshape(*shape)


def embedding(padding_idx):
    w = t64(vals(7 * 5, 23, 8.0), 7, 5).requires_grad_()
    idx = torch.tensor([[2, 4, 2, 0], [6, 3, 3, 2]])
    y = F.embedding(idx, w, padding_idx=padding_idx)
    y.backward(t64(vals(2 * 4 * 5, 19, 4.0), 2, 4, 5))
    return {"value": enc(y.reshape(-1).tolist()), "grad": enc(w.grad.reshape(-1).tolist())}


def cross_entropy(targets, ignore_index):
    x = t64(vals(3 * 5 * 11, 29, 5.0), 3, 5, 11).requires_grad_()
    t = torch.tensor(targets).reshape(3, 5)
    loss = F.cross_entropy(x.reshape(-1, 11), t.reshape(-1), ignore_index=ignore_index)
    loss.backward()
    return {"value": enc([loss.item()]), "grad": enc(x.grad.reshape(-1).tolist())}


TARGETS = [3, -100, 10, 0, 2, -100, -100, 7, 2, 2, 5, 1, -100, 9, 4]


def answers():
    return {
        "embedding": embedding(None),
        "embedding_pad": embedding(3),
        "embedding_pad_neg": embedding(-2),
        "ce_ignore": cross_entropy(TARGETS, -100),
        "ce_ignore_class": cross_entropy([t if t >= 0 else 2 for t in TARGETS], 2),
        "ce_all_ignored": cross_entropy([-100] * 15, -100),
        "sinpos_9x6": tutorial_pe(9, 6),
        "sinpos_130x64": tutorial_pe(130, 64),
    }


def build(arch, t):
    mods, d = [], None
    for word in arch.split():
        name, _, rest = word.partition("(")
        args = [a for a in rest.rstrip(")").split(",") if a]
        pos = [float(a) if "." in a else int(a) for a in args if "=" not in a]
        opts = dict(a.split("=") for a in args if "=" in a)
        if name == "embed":
            d = pos[0]
            mods.append(nn.Embedding(int(opts.get("vocab", 256)), d))
        elif name == "posembed":
            mods.append(PositionalEmbedding(pos[0], d))
        elif name == "sinpos":
            mods.append(SinusoidalPositions())
        elif name == "dropout":
            mods.append(nn.Dropout(float(pos[0]) if pos else 0.5))
        elif name == "flatten":
            mods.append(nn.Flatten())
            d = t * d
        elif name == "linear":
            mods.append(nn.Linear(d, pos[0]))
            d = pos[0]
        else:
            raise SystemExit(f"seq.py: unknown word {name!r}")
    return nn.Sequential(*mods)


def check(model_path, json_path):
    state, meta = load_safetensors(model_path)
    with open(json_path) as f:
        ref = json.load(f)
    idx = torch.tensor(ref["indices"])
    model = build(meta["architecture"], idx.shape[1]).eval()
    model.load_state_dict(state)  # strict: the names and shapes must match
    with torch.no_grad():
        logits = model(idx)
    diff = (logits - torch.tensor(ref["logits"])).abs().max().item()
    print(f"{model_path}: {meta['architecture']}: max |torch - backprop| = {diff:.3g}")
    if diff > 1e-5:
        print("MISMATCH")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3:
        sys.exit(check(sys.argv[1], sys.argv[2]))
    print(json.dumps(answers()))
