#!/usr/bin/env python3
"""PyTorch interop for backprop's saved models (safetensors, state_dict names).

Any model file backprop writes — an MLP, a convolutional network with
batch, layer or group normalisation, LSTM, GRU and RNN layers, or
transformer blocks on sequences, a next-byte model of text with its
embedding and learned or sinusoidal positions (the lstm and gpt presets)
— becomes a torch.nn.Sequential with the same state_dict, and PyTorch's
models come back the same way. Nothing but torch, numpy, json and struct
is needed (no `safetensors` package).

  python3 interop/pytorch_model.py write [DIR]
      Builds three models in PyTorch (torch.manual_seed(0)) and saves each in
      the format `backprop eval/predict` and nn.Load read, with the logits
      for the fixed input below:
        DIR/torch_mlp.safetensors, DIR/torch_logits.json
            a 784-32-10 ReLU MLP (format version 1, as older files are);
        DIR/torch_cnn.safetensors, DIR/torch_cnn_logits.json
            a small CNN with batch normalisation for [1, 28, 28] images,
            its running statistics moved by a few training-mode batches;
        DIR/torch_rnn.safetensors, DIR/torch_rnn_logits.json
            a sequence model of LSTM, GRU and RNN layers for [7, 3]
            sequences.
      DIR defaults to interop/testdata. The Go test interop/interop_test.go
      loads them and matches the logits to 1e-5.

  python3 interop/pytorch_model.py check MODEL [LOGITS] [MODEL LOGITS ...]
      Loads a model written by backprop (`backprop train --model MODEL`, or
      the files the Go test interop/torch_test.go writes), rebuilds it as a
      torch.nn.Sequential from its metadata, loads its tensors with
      load_state_dict(strict=True), and prints its logits for the fixed
      input. With LOGITS (a JSON file like interop/testdata/go_logits.json,
      the logits backprop computed in evaluation mode, and optionally under
      "train_logits" those of training mode, batch statistics in batch
      normalisation) it compares them and exits 1 if any differs by more
      than 1e-5. Several MODEL LOGITS pairs are checked in
      one run.

The fixed input is 4 examples of n values, x[i][j] = ((i*n + j) * 37 % 101) / 100,
rounded to float32, flat: the networks take flat examples, as backprop's
do, and the first layer of a convolutional one is an Unflatten to the
model's input_shape. A model whose first layer is embed takes indices
instead, x[i][j] = (i*n + j) * 37 % 101 % vocab, and its logits [4, T, C]
are compared flat, [4, T·C].

Version 2 model files store the architecture in backprop's architecture
language (see the nn package), e.g.
"conv(8,5) batchnorm relu maxpool(2) flatten linear(10)", and the shape of
one example under "input_shape"; version 1 files store an MLP as JSON,
{"sizes": [...], "activation": "relu"}.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
from torch import nn

TOL = 1e-5


def fixed_input(shape, rows=4):
    """The fixed input, flat: [rows, the product of shape]."""
    n = math.prod(shape)
    v = [((i * n + j) * 37 % 101) / 100 for i in range(rows) for j in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(rows, n).float()


def fixed_indices(shape, vocab, rows=4):
    """The fixed input of a model that starts with embed: [rows, T] indices."""
    n = math.prod(shape)
    v = [(i * n + j) * 37 % 101 % vocab for i in range(rows) for j in range(n)]
    return torch.tensor(v, dtype=torch.float32).reshape(rows, n)


class Embed(nn.Embedding):
    """The word embed: nn.Embedding for indices held as float values, as
    backprop's networks take them; its state_dict name is weight."""

    def forward(self, x):
        return super().forward(x.long())


def tutorial_pe(t, d):
    """PositionalEncoding of PyTorch's "Language modeling with nn.Transformer" tutorial."""
    position = torch.arange(t, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(t, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe.reshape(-1).tolist()


class PositionalEmbedding(nn.Module):
    """x + W[:T] for x [N, T, D], W [context, D]: the word posembed."""

    def __init__(self, context, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(context, d))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


class SinusoidalPositions(nn.Module):
    """x + the tutorial's encoding: the word sinpos."""

    def forward(self, x):
        return x + torch.tensor(tutorial_pe(x.shape[1], x.shape[2]), dtype=x.dtype).reshape(x.shape[1], x.shape[2])


class Maxout(nn.Module):
    """The maximum over groups of k consecutive features, as nn.Maxout in Go."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x.view(x.shape[0], x.shape[1] // self.k, self.k).max(dim=-1).values


def output_only(cls):
    """A subclass of torch's recurrent layer cls whose forward returns the
    output sequence alone, as backprop's layers in a Sequential do; its
    state_dict names are cls's (weight_ih_l0, ...)."""

    class Seq(cls):
        def forward(self, x):
            return super().forward(x)[0]

    Seq.__name__ = cls.__name__
    return Seq


RECURRENT = {"lstm": output_only(nn.LSTM), "gru": output_only(nn.GRU), "rnn": output_only(nn.RNN)}


class Block(nn.Module):
    """backprop's nn.Block, the word block: a pre-LN transformer block on
    sequences [N, T, E], x + attn(ln1(x)), then x + mlp(ln2(x)), with
    the names of backprop's state_dict."""

    def __init__(self, e, heads, hidden, dropout=0.0, causal=True):
        super().__init__()
        self.causal = causal
        self.ln1 = nn.LayerNorm(e)
        self.attn = nn.MultiheadAttention(e, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(e)
        self.mlp = nn.Sequential(nn.Linear(e, hidden), nn.GELU(), nn.Linear(hidden, e), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), 1) if self.causal else None
        h = self.ln1(x)
        x = x + self.drop(self.attn(h, h, h, attn_mask=mask, need_weights=False)[0])
        return x + self.mlp(self.ln2(x))


class GlobalAvgPool(nn.Module):
    """The mean over each channel's H×W: [N, C, H, W] → [N, C], as the word gap."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


# The MLP of a version 1 file.

def build_spec(spec):
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


# The architecture language of a version 2 file: words, positional
# parameters first, then name=value options with their defaults.

WORDS = {
    "conv": (["out", "k"], {"stride": 1, "pad": 0, "dilation": 1, "groups": 1, "bias": True}),
    "maxpool": (["k"], {"stride": 0, "pad": 0, "dilation": 1}),
    "avgpool": (["k"], {"stride": 0, "pad": 0, "count_pad": True}),
    "gap": ([], {}),
    "flatten": ([], {}),
    "linear": (["out"], {"bias": True}),
    "relu": ([], {}),
    "tanh": ([], {}),
    "sigmoid": ([], {}),
    "leakyrelu": (["slope"], {"slope": 0.01}),
    "elu": (["alpha"], {"alpha": 1.0}),
    "maxout": (["k"], {"k": 2}),
    "dropout": (["p"], {"p": 0.5}),
    "batchnorm": ([], {"momentum": 0.1, "eps": 1e-5, "affine": True}),
    "layernorm": ([], {"axes": 0, "eps": 1e-5, "affine": True}),
    "groupnorm": (["g"], {"eps": 1e-5, "affine": True}),
    "lstm": (["hidden", "layers"], {"layers": 1, "dropout": 0.0}),
    "gru": (["hidden", "layers"], {"layers": 1, "dropout": 0.0}),
    "rnn": (["hidden", "layers"], {"layers": 1, "dropout": 0.0}),
    "gelu": ([], {"tanh": False}),
    "block": (["heads"], {"hidden": 0, "dropout": 0.0, "causal": True}),
    "embed": (["dim"], {"vocab": 256}),
    "posembed": (["context"], {}),
    "sinpos": ([], {}),
}


def parse_value(s):
    if s in ("true", "false"):
        return s == "true"
    for sep in ("x", "\u00d7"):
        if sep in s:
            h, w = s.split(sep)
            return (int(h), int(w))
    try:
        return int(s)
    except ValueError:
        return float(s)


def parse_arch(text):
    """[(word, {param: value}), ...] for the text of an architecture."""
    layers = []
    for col, tok in word_tokens(text):
        word, _, rest = tok.partition("(")
        args = [a for a in rest.rstrip(")").split(",") if a] if rest else []
        if word == "unflatten":
            layers.append((word, {"dims": [int(a) for a in args]}))
            continue
        if word not in WORDS:
            raise SystemExit(f"col {col}: unknown layer {word!r}: this script knows {', '.join(sorted(WORDS))}")
        pos, opts = WORDS[word]
        vals = dict(opts)
        for i, a in enumerate(args):
            if "=" in a:
                name, v = a.split("=", 1)
            else:
                name, v = pos[i], a
            vals[name] = parse_value(v)
        layers.append((word, vals))
    return layers


def word_tokens(text):
    """The layers of text with their 1-based columns: words split at white
    space outside parentheses."""
    out, depth, start = [], 0, None
    for i, ch in enumerate(text + " "):
        if ch.isspace() and depth == 0:
            if start is not None:
                out.append((start + 1, "".join(text[start:i].split())))
                start = None
            continue
        if start is None:
            start = i
        depth += ch == "("
        depth -= ch == ")"
    return out


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def module_for(word, v, shape):
    """The torch module of one layer for an input of shape (one example's)."""
    if word == "conv":
        return nn.Conv2d(shape[0], v["out"], pair(v["k"]), stride=pair(v["stride"]), padding=pair(v["pad"]),
                         dilation=pair(v["dilation"]), groups=v["groups"], bias=v["bias"])
    if word in ("maxpool", "avgpool"):
        k = pair(v["k"])
        stride = k if pair(v["stride"]) == (0, 0) else pair(v["stride"])
        if word == "maxpool":
            return nn.MaxPool2d(k, stride=stride, padding=pair(v["pad"]), dilation=pair(v["dilation"]))
        return nn.AvgPool2d(k, stride=stride, padding=pair(v["pad"]), count_include_pad=v["count_pad"])
    if word == "gap":
        return GlobalAvgPool()
    if word == "flatten":
        return nn.Flatten()
    if word == "unflatten":
        return nn.Unflatten(1, v["dims"])
    if word == "linear":  # on flat examples [D], or on every step of [T D]
        return nn.Linear(shape[-1], v["out"], bias=v["bias"])
    if word in RECURRENT:  # batch-first sequences [T D]
        return RECURRENT[word](shape[1], v["hidden"], v["layers"], batch_first=True, dropout=v["dropout"])
    if word == "relu":
        return nn.ReLU()
    if word == "tanh":
        return nn.Tanh()
    if word == "sigmoid":
        return nn.Sigmoid()
    if word == "leakyrelu":
        return nn.LeakyReLU(v["slope"])
    if word == "elu":
        return nn.ELU(v["alpha"])
    if word == "maxout":
        return Maxout(v["k"])
    if word == "dropout":
        return nn.Dropout(v["p"])
    if word == "batchnorm":
        bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return bn(shape[0], eps=v["eps"], momentum=v["momentum"], affine=v["affine"])
    if word == "layernorm":
        axes = v["axes"] if 0 < v["axes"] <= len(shape) else len(shape)
        return nn.LayerNorm(list(shape[len(shape) - axes:]), eps=v["eps"], elementwise_affine=v["affine"])
    if word == "groupnorm":
        return nn.GroupNorm(v["g"], shape[0], eps=v["eps"], affine=v["affine"])
    if word == "gelu":
        return nn.GELU(approximate="tanh" if v["tanh"] else "none")
    if word == "embed":  # indices [T] → [T dim]
        return Embed(v["vocab"], v["dim"])
    if word == "posembed":
        return PositionalEmbedding(v["context"], shape[-1])
    if word == "sinpos":
        return SinusoidalPositions()
    if word == "block":
        e = shape[-1]
        return Block(e, v["heads"], v["hidden"] or 4 * e, v["dropout"], v["causal"])
    raise SystemExit(f"unknown layer {word!r}")


# The words that take any shape, and those that want images or any shape
# but flat examples (the others want flat examples).
ANY_SHAPE = {"relu", "tanh", "sigmoid", "gelu", "leakyrelu", "elu", "maxout", "dropout"}
SHAPED = {"conv", "maxpool", "avgpool", "gap", "batchnorm", "layernorm", "groupnorm", "lstm", "gru", "rnn", "block",
          "posembed", "sinpos"}


def build_arch(text, input_shape):
    """The torch.nn.Sequential of an architecture for examples of input_shape,
    each layer sized by running a zero example through the layers before it.

    As in backprop, the network takes flat examples [N, D]: when the first
    layer that cares about shapes wants images (or sequences, for the
    recurrent layers), an Unflatten to input_shape
    comes first (and is layer 0 of the state_dict's names)."""
    layers = parse_arch(text)
    if len(input_shape) > 1:
        first = next((w for w, _ in layers if w not in ANY_SHAPE), None)
        if first in SHAPED:
            layers.insert(0, ("unflatten", {"dims": list(input_shape)}))
    modules, x = [], torch.zeros(2, math.prod(input_shape))
    for word, v in layers:
        m = module_for(word, v, list(x.shape[1:]))
        m.eval()
        with torch.no_grad():
            x = m(x)
        modules.append(m)
    return nn.Sequential(*modules)


def build(meta):
    """The model and the shape of one example that a file's metadata describe."""
    version = meta.get("format_version", "1")
    if version == "1":
        spec = json.loads(meta["architecture"])
        return build_spec(spec), [spec["sizes"][0]]
    if version == "2":
        shape = json.loads(meta["input_shape"])
        return build_arch(meta["architecture"], shape), shape
    raise SystemExit(f"model format version {version!r}: this script reads versions 1 and 2")


# The files.

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
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
    state = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        state[name] = torch.from_numpy(a.astype(np.float32))
    return state, meta


def write_logits(path, logits):
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "logits": logits.tolist()}, f, indent=1)
        f.write("\n")


# The architecture of the CNN that `write` saves: every layer kind with
# weights or buffers that a convolutional network uses.
CNN_ARCH = "conv(6,5,pad=2) batchnorm relu maxpool(2) conv(8,3,stride=2,groups=2) groupnorm(4) tanh avgpool(2) flatten linear(16) layernorm leakyrelu(0.1) linear(10)"

# The architecture of the sequence model that `write` saves: stacked
# LSTM, GRU and RNN layers (batch-first) over sequences of 7 steps of 3
# values, a linear layer on every step.
RNN_ARCH = "lstm(8,2) gru(6,1) rnn(5,1) linear(4) tanh flatten linear(10)"


def write(outdir):
    torch.manual_seed(0)
    spec = {"sizes": [784, 32, 10], "activation": "relu"}
    model = build_spec(spec).eval()
    meta = {
        "format_version": "1",
        "architecture": json.dumps(spec, separators=(",", ":")),
        "preprocessing": json.dumps({"mean": 0, "std": 1}),
        "dataset": json.dumps({"name": "mnist"}),
        "format": "pt",
    }
    save_safetensors(f"{outdir}/torch_mlp.safetensors", model.state_dict(), meta)
    with torch.no_grad():
        write_logits(f"{outdir}/torch_logits.json", model(fixed_input([784])))

    torch.manual_seed(0)
    shape = [1, 28, 28]
    cnn = build_arch(CNN_ARCH, shape)
    cnn.train()
    with torch.no_grad():
        for _ in range(3):  # move the running statistics off their initial values
            cnn(torch.rand(8, math.prod(shape)) * 2 + 0.5)
    cnn.eval()
    # Affine parameters away from 1 and 0, so that a swap would show.
    with torch.no_grad():
        for name, p in cnn.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.uniform_(0.5, 1.5)
            elif name.endswith("bias") and p.dim() == 1:
                p.uniform_(-0.5, 0.5)
    meta = {
        "format_version": "2",
        "architecture": CNN_ARCH,
        "input_shape": json.dumps(shape),
        "preprocessing": json.dumps({"mean": 0, "std": 1}),
        "format": "pt",
    }
    save_safetensors(f"{outdir}/torch_cnn.safetensors", cnn.state_dict(), meta)
    with torch.no_grad():
        write_logits(f"{outdir}/torch_cnn_logits.json", cnn(fixed_input(shape)))

    torch.manual_seed(0)
    shape = [7, 3]
    seq = build_arch(RNN_ARCH, shape).eval()
    meta = {
        "format_version": "2",
        "architecture": RNN_ARCH,
        "input_shape": json.dumps(shape),
        "preprocessing": json.dumps({"mean": 0, "std": 1}),
        "format": "pt",
    }
    save_safetensors(f"{outdir}/torch_rnn.safetensors", seq.state_dict(), meta)
    with torch.no_grad():
        write_logits(f"{outdir}/torch_rnn_logits.json", seq(fixed_input(shape)))
    print(f"wrote {outdir}/torch_mlp.safetensors, {outdir}/torch_cnn.safetensors, {outdir}/torch_rnn.safetensors and their logits")


def check(model_path, logits_path=None):
    state, meta = load_safetensors(model_path)
    try:
        model, shape = build(meta)
    except SystemExit as e:
        raise SystemExit(f"{model_path}: {e}")
    model.eval()
    model.load_state_dict(state)  # strict: the names and shapes must match
    first = model[0] if len(model) else None
    x = fixed_indices(shape, first.num_embeddings) if isinstance(first, Embed) else fixed_input(shape)
    with torch.no_grad():
        logits = model(x).flatten(1)
    print(f"{model_path}: {model}")
    print("torch logits, largest per row:", logits.argmax(dim=1).tolist())
    if logits_path is None:
        print(json.dumps(logits.tolist()))
        return 0
    with open(logits_path) as f:
        ref = json.load(f)
    ok = compare(logits, ref["logits"], "eval mode")
    if "train_logits" in ref:
        # Training mode: batch normalisation by the batch's statistics
        # (after the evaluation above, as it moves the running ones).
        model.train()
        with torch.no_grad():
            ok = compare(model(x).flatten(1), ref["train_logits"], "train mode") and ok
    return 0 if ok else 1


def compare(logits, want, mode):
    want = torch.tensor(want, dtype=torch.float32)
    diff = (logits - want).abs().max().item() if logits.shape == want.shape else float("inf")
    ok = diff <= TOL
    print(f"{mode}: max |torch - backprop| = {diff:.3g}: {'ok' if ok else 'MISMATCH'} (tolerance {TOL})")
    return ok


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
