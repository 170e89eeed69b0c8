"""Residual networks trained on scikit-learn's 8x8 digits: conversion, forward agreement,
tropical form and regions on a plane of the input space.

Two small models are trained with torch (seed 0, full-batch Adam): a residual MLP
``64 -> 32 -> [x + W2 relu(W1 x)] -> 10`` and a small CNN with a residual block
``conv 1->4, relu, [y + conv(relu(conv y))], relu, maxpool 2, linear 64 -> 10``.  For each:
test accuracy, :meth:`tropnet.Network.from_torch` time (torch.fx tracing + forward check),
the largest difference between the torch and tropnet forward passes on the test set, the
lowered program (stages, activation units), and, on the plane through the mean digit spanned
by the first two principal directions (``tropnet.AffineSlice``; box [-4, 4]^2 in those
coordinates), the monomials of the tropical form of the first logit and the number of
activation and linear regions (float; activation also exact).

Run: ``python benchmarks/bench_digits.py``; prints a Markdown table.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F

import tropnet
from tropnet import AffineSlice, Box, Network
from tropnet.networks.embed import slice_network
from tropnet.regions.cells import RegionLimitError


class ResMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp, self.fc1, self.fc2, self.out = (
            nn.Linear(64, 32),
            nn.Linear(32, 32),
            nn.Linear(32, 32),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = h + self.fc2(F.relu(self.fc1(h)))
        return self.out(F.relu(h))


class ResCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1, self.c2, self.c3 = (
            nn.Conv2d(1, 4, 3, padding=1),
            nn.Conv2d(4, 4, 3, padding=1),
            nn.Conv2d(4, 4, 3, padding=1),
        )
        self.pool, self.out = nn.MaxPool2d(2), nn.Linear(64, 10)

    def forward(self, x):
        y = F.relu(self.c1(x))
        y = F.relu(y + self.c3(F.relu(self.c2(y))))
        return self.out(torch.flatten(self.pool(y), 1))


class _Skipped(Exception):
    """The tropical form was not asked for."""


def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, epochs: int = 100) -> nn.Module:
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
    return model.eval()


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--exact", default="mlp", help="models whose exact activation count is also run")
    ap.add_argument("--radius", type=float, default=4.0, help="the plane's box is [-radius, radius]^2")
    ap.add_argument("--no-compile", action="store_true", help="skip the tropical form")
    ap.add_argument("--budget", type=float, default=600.0,
                    help="max_seconds of each region count; past it the row says what the engine reached")
    args = ap.parse_args()
    short = {"residual MLP": "mlp", "residual CNN": "cnn"}
    exact_for = {k for k, v in short.items() if v in args.exact.split(",")}
    torch.manual_seed(0)
    d = load_digits()
    X = (d.data / 16.0).astype(np.float64)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(X))
    tr, te = perm[:1400], perm[1400:]
    mean = X[tr].mean(axis=0)
    _, _, vt = np.linalg.svd(X[tr] - mean, full_matrices=False)
    R = args.radius
    plane = AffineSlice(mean, vt[:2], Box(-R, R))
    print(
        f"# digits residual networks (load {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n"
    )
    print(
        "| model | test acc | from_torch (s) | max abs diff to torch | lowered stages / act. units | "
        "monomials f0 on plane | act. regions (float / exact) | linear regions | regions time (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, model, shape in (("residual MLP", ResMLP(), (64,)), ("residual CNN", ResCNN(), (1, 8, 8))):
        if short[name] not in args.models.split(","):
            continue
        model = model.double()
        Xt = torch.tensor(X[tr]).reshape(-1, *shape)
        train(model, Xt, torch.tensor(d.target[tr]))
        Xe = torch.tensor(X[te]).reshape(-1, *shape)
        with torch.no_grad():
            logits = model(Xe).numpy()
        acc = float((logits.argmax(1) == d.target[te]).mean())
        t = time.perf_counter()
        net = Network.from_torch(model, input_shape=shape)
        t_conv = time.perf_counter() - t
        diff = float(np.abs(net(X[te]) - logits).max())
        low = net.lowered(passthrough=True)
        units = sum(
            len(p.units) if getattr(p, "units", None) is not None else low.widths[i]
            for i, p in enumerate(low.layers)
            if not isinstance(p, tropnet.Linear)
        )
        sub = slice_network(net, plane)
        try:
            if args.no_compile:
                raise _Skipped
            t = time.perf_counter()
            f0 = tropnet.tropicalize(sub, max_monomials=100_000, max_seconds=120)[0]
            mono = f"{len(f0.numerator)} + {len(f0.denominator)} ({time.perf_counter() - t:.1f} s)"
        except _Skipped:
            mono = "skipped (--no-compile)"
        except (MemoryError, ValueError, TimeoutError) as err:
            mono = f"not feasible ({type(err).__name__})"
        def count(sub=sub, **kw):
            try:
                return tropnet.count_linear_regions(sub, Box(-R, R), max_seconds=args.budget, **kw)
            except RegionLimitError as err:  # how far the engine got within the budget
                return f"stopped at {args.budget:.0f} s, reached {err.reached}"

        try:
            t = time.perf_counter()
            act = count(kind="activation")
            act_exact = count(kind="activation", exact=True) if name in exact_for else "-"
            lin = count()
            regs = f"{act} / {act_exact} | {lin} | {time.perf_counter() - t:.1f}"
        except NotImplementedError as err:
            regs = f"n/a ({str(err)[:60]}) | | "
        print(
            f"| {name} | {acc:.3f} | {t_conv:.2f} | {diff:.1e} | {len(low.layers)} / {units} | {mono} | "
            f"{regs} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
