"""The step of `backprop bench train`, in PyTorch, for comparison.

One training step of a float32 MLP on a fixed random batch: forward,
softmax cross-entropy, backward, SGD with momentum 0.9 (lr 0.01). The
network is 784-H...-10 with ReLU on MNIST-shaped inputs, or with --arch
TEXT any network of backprop's architecture language (built as
interop/pytorch_model.py builds it, for [1, 28, 28] images and 10
classes; the text itself, not a preset's name; a next-byte model, one
that starts with embed, on windows of --context random bytes with a
cross-entropy over every position), or with --tiny
micrograd's demo network: 2-16-16-1 with ReLU on 100 points, the loss
mean(relu(1 - y*score)) + 1e-4*sum(p^2). Inference is the forward pass
under torch.no_grad() with the model in eval mode.

usage: python3 bench/train_torch.py [--batch B] [--threads T]
           [--hidden 512,256 | --arch TEXT | --tiny] [--time SECONDS]

Steps are timed in rounds of at least TIME/10 seconds for at least TIME
seconds (at least 5 rounds) after a warm-up, and the median round's mean
is reported, as backprop bench train does. Prints one JSON object with the
keys of backprop bench train --json. Run it with OMP_WAIT_POLICY=PASSIVE:
without it two-thread PyTorch is slower than one on this machine.
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn


def time_rounds(total, f):
    for _ in range(3):
        f()
    rnd = total / 10
    means, calls = [], 0
    start = time.perf_counter()
    while len(means) < 5 or time.perf_counter() - start < total:
        t0 = time.perf_counter()
        n = 0
        while n == 0 or time.perf_counter() - t0 < rnd:
            f()
            n += 1
        means.append((time.perf_counter() - t0) / n * 1e3)
        calls += n
    means.sort()
    return means[len(means) // 2], calls


class PosEmbed(nn.Module):
    """backprop's posembed(context): a learned vector per position, added."""

    def __init__(self, context, d):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(context, d))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


def text_model(arch, shape):
    """The torch.nn.Sequential of a next-byte model of backprop's language
    for windows of shape [T]: embed and posembed here, the other words as
    interop/pytorch_model.py builds them."""
    import pytorch_model
    modules, x = [], torch.zeros(2, *shape, dtype=torch.long)
    for _, tok in pytorch_model.word_tokens(arch):
        word, _, rest = tok.partition("(")
        args = [v for v in rest.rstrip(")").split(",") if v] if rest else []
        if word == "embed":
            m = nn.Embedding(256, int(args[0]))
        elif word == "posembed":
            m = PosEmbed(int(args[0]), x.shape[-1])
        else:
            [(w, v)] = pytorch_model.parse_arch(tok)
            m = pytorch_model.module_for(w, v, list(x.shape[1:]))
        m.eval()
        with torch.no_grad():
            x = m(x)
        modules.append(m)
    return nn.Sequential(*modules)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", default="512,256")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--arch", default="")
    ap.add_argument("--net", default="", help="the name to report (a preset's)")
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--time", type=float, default=2.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    hidden = [int(h) for h in a.hidden.split(",") if h.strip()]
    batch, n_in, classes = a.batch, 784, 10
    if a.tiny:
        batch, n_in, classes, hidden = 100, 2, 1, [16, 16]
    sizes = [n_in] + hidden + [classes]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    text = a.arch.startswith("embed(")
    if a.arch:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
        import pytorch_model
        build = text_model if text else pytorch_model.build_arch
        model, sizes, hidden = build(a.arch, [a.context] if text else [1, 28, 28]), [], []
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    if a.tiny:
        x = torch.randn(batch, n_in)
        y = (torch.randint(0, 2, (batch, 1)) * 2 - 1).float()
    elif text:
        x = torch.randint(0, 256, (batch, a.context))
        labels = torch.randint(0, 256, (batch * a.context,))
    else:
        x = torch.rand(batch, n_in)
        labels = torch.randint(0, classes, (batch,))
    ce = nn.CrossEntropyLoss()

    def step():
        model.train()
        opt.zero_grad()
        out = model(x)
        if a.tiny:
            loss = torch.relu(1 - y * out).mean() + 1e-4 * sum((p * p).sum() for p in params)
        else:
            loss = ce(out.reshape(-1, out.shape[-1]), labels)
        loss.backward()
        opt.step()

    def infer():
        model.eval()
        with torch.no_grad():
            model(x)

    ms, steps = time_rounds(a.time, step)
    inf, _ = time_rounds(a.time, infer)
    print(json.dumps({"op": "train", "impl": "pytorch", "net": a.net or ("tiny" if a.tiny else "mlp"),
                      "sizes": sizes, "batch": batch, "threads": a.threads,
                      "hidden": hidden, "arch": a.arch, "context": a.context if text else 0, "steps": steps, "ms_per_step": ms, "inference_ms": inf}))


if __name__ == "__main__":
    main()
