#!/usr/bin/env python3
"""PyTorch interop for backprop's attention: nn.MultiheadAttention and the
pre-LN transformer block, both ways. Needs torch and numpy only.

  python3 interop/attention.py check FILE
      FILE (written by interop/attention_torch_test.go) holds, in
      safetensors, the weights of a Go nn.MultiheadAttention under "mha."
      and of a Go nn.Block under "block.", with PyTorch's names, an input
      "x" [N, T, E], an upstream gradient "u" and what Go computed from
      them under "out." and the names below. The script loads the weights
      into torch.nn.MultiheadAttention (batch_first=True) and into the
      Block module of pytorch_model.py with load_state_dict(strict=True), computes the
      same and exits 1 if any value differs by more than 1e-5:
        mha.causal.y, mha.causal.dx, mha.causal.d_in_proj_weight,
        mha.causal.d_out_proj.weight   causal self-attention and the
                                       gradients of sum(u ⊙ y)
        mha.full.y                     no mask
        mha.pad.y                      a key padding mask (metadata
                                       "key_padding", N·T 0/1 flags)
        block.y, block.dx              the causal block and ∂sum(u ⊙ y)/∂x

  python3 interop/attention.py write FILE
      Builds the same two modules in PyTorch (torch.manual_seed(0), its own
      initialisation, non-zero biases) and writes their weights, an input
      "x" and their outputs "out.mha.causal.y" and "out.block.y" to FILE for
      the Go test to load and match.

The metadata gives "embed", "heads" and "hidden".
"""
import json
import sys

import torch
from torch import nn

from pytorch_model import Block, load_safetensors, save_safetensors

TOL = 1e-5


def causal_mask(t):
    return torch.triu(torch.full((t, t), float("-inf")), 1)


def sub_state(state, prefix):
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def modules(meta):
    e, heads, hidden = int(meta["embed"]), int(meta["heads"]), int(meta["hidden"])
    return nn.MultiheadAttention(e, heads, batch_first=True), Block(e, heads, hidden)


def check(path):
    state, meta = load_safetensors(path)
    mha, block = modules(meta)
    mha.load_state_dict(sub_state(state, "mha."), strict=True)
    block.load_state_dict(sub_state(state, "block."), strict=True)
    mha.eval()
    block.eval()
    x, u = state["x"], state["u"]
    t = x.shape[1]
    got = {}

    xg = x.clone().requires_grad_(True)
    y = mha(xg, xg, xg, attn_mask=causal_mask(t), need_weights=False)[0]
    (y * u).sum().backward()
    got["mha.causal.y"] = y
    got["mha.causal.dx"] = xg.grad
    got["mha.causal.d_in_proj_weight"] = mha.in_proj_weight.grad
    got["mha.causal.d_out_proj.weight"] = mha.out_proj.weight.grad
    with torch.no_grad():
        got["mha.full.y"] = mha(x, x, x, need_weights=False)[0]
        pad = torch.tensor(json.loads(meta["key_padding"]), dtype=torch.bool).reshape(x.shape[0], t)
        got["mha.pad.y"] = mha(x, x, x, key_padding_mask=pad, need_weights=False)[0]
    xg = x.clone().requires_grad_(True)
    y = block(xg)
    (y * u).sum().backward()
    got["block.y"] = y
    got["block.dx"] = xg.grad

    worst = 0
    for name, v in got.items():
        d = (v.detach() - state["out." + name]).abs().max().item()
        ok = d <= TOL
        worst = max(worst, d)
        print(f"{name}: {'ok' if ok else 'DIFFERS'} (max difference {d:.3g}, tolerance {TOL:g})")
    return 0 if worst <= TOL else 1


def write(path):
    torch.manual_seed(0)
    meta = {"embed": "16", "heads": "4", "hidden": "40"}
    mha, block = modules(meta)
    with torch.no_grad():  # biases PyTorch initialises to zero, made visible
        for m in (mha, block.attn):
            m.in_proj_bias.normal_(0, 0.1)
            m.out_proj.bias.normal_(0, 0.1)
        block.ln1.weight.normal_(1, 0.1)
        block.ln2.bias.normal_(0, 0.1)
    mha.eval()
    block.eval()
    x = torch.randn(3, 6, 16)
    with torch.no_grad():
        y = mha(x, x, x, attn_mask=causal_mask(6), need_weights=False)[0]
        b = block(x)
    state = {"mha." + k: v for k, v in mha.state_dict().items()}
    state.update({"block." + k: v for k, v in block.state_dict().items()})
    state.update({"x": x, "out.mha.causal.y": y, "out.block.y": b})
    save_safetensors(path, state, meta)
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "check":
        return check(argv[1])
    if len(argv) == 2 and argv[0] == "write":
        return write(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
