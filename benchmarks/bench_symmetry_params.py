"""Parameter-space symmetry: timings of canonical_form, equivalent, align, same_function,
and the size limit of the convolution lowering.

Run:  .venv/bin/python benchmarks/bench_symmetry_params.py [--quick]

Prints three tables (markdown):

1. weight-space functions on random ReLU MLPs ``[784, w, w, 10]`` (``random_mlp``, seed 0)
   and a random permuted + rescaled copy of each: ``canonical_form``, ``equivalent`` (two
   canonical forms), ``align`` (weight matching, with ``rescale=True``), and whether the
   copy was recognised / recovered;
2. ``same_function`` (exact tropical forms) on small MLPs, for a permuted copy (equal) and
   a perturbed copy (different, with a witness);
3. the convolution lowering: dense ``Linear`` size, memory, time to lower, and the forward
   pass of the convolution vs its lowered ``Linear`` on a batch of 64.

Timings are medians of ``repeat`` runs after one warm-up run, wall-clock on one core.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

import tropnet
from tropnet import Conv2d, align, canonical_form, equivalent, random_equivalent, random_mlp, same_function


def timed(fn, repeat=3):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def same_params(a, b, tol=1e-9):
    pa = [(layer.weight, layer.bias) for layer in a.layers if hasattr(layer, "weight")]
    pb = [(layer.weight, layer.bias) for layer in b.layers if hasattr(layer, "weight")]
    return all(
        np.allclose(np.asarray(x, float), np.asarray(y, float), atol=tol * max(1.0, np.abs(x).max()))
        for (wa, ba), (wb, bb) in zip(pa, pb)
        for x, y in ((wa, wb), (ba, bb))
    )


def weight_space(widths, repeat):
    print("\n### Weight-space functions on [784, w, w, 10] (a permuted and rescaled copy)\n")
    print(
        "| w | parameters | canonical_form (s) | equivalent (s) | align rescale=True (s) "
        "| recognised | recovered |"
    )
    print("|---|---|---|---|---|---|---|")
    for w in widths:
        net = random_mlp([784, w, w, 10], seed=0)
        other = random_equivalent(net, seed=1, rescale=True)
        t_can, _ = timed(lambda net=net: canonical_form(net), repeat)
        t_eq, same = timed(lambda net=net, other=other: equivalent(net, other), repeat)
        t_al, (back, _) = timed(lambda net=net, other=other: align(net, other, rescale=True), repeat)
        print(
            f"| {w} | {net.num_parameters} | {t_can:.3f} | {t_eq:.3f} | {t_al:.3f} | {same} | "
            f"{same_params(back, net)} |"
        )


def with_unused_unit(net):
    """The same function with one more first-layer unit whose outgoing weights are zero
    (another architecture: only the tropical forms can tell it is the same function)."""
    first, nxt = net.layers[0], net.layers[2]
    w0 = np.vstack([np.array(first.weight), np.ones((1, first.weight.shape[1]))])
    layers = [tropnet.Linear(w0, np.r_[np.array(first.bias), 0.5]), net.layers[1]]
    w1 = np.hstack([np.array(nxt.weight), np.zeros((nxt.weight.shape[0], 1))])
    layers.append(tropnet.Linear(w1, nxt.bias))
    return tropnet.Network(layers + list(net.layers[3:]))


def exact_functions(archs, repeat):
    print("\n### same_function on small MLPs\n")
    print(
        "| widths | permuted copy (s) | perturbed copy (s) | witness | one unused extra unit: exact "
        "tropical decision (s) | same, method='regions' (s) | verdicts |"
    )
    print("|---|---|---|---|---|---|---|")
    for widths in archs:
        net = random_mlp(widths, seed=0)
        perm = random_equivalent(net, seed=1)
        last = net.layers[-1]
        pert = tropnet.Network([*net.layers[:-1], tropnet.Linear(last.weight, np.array(last.bias) + 1e-3)])
        wider = with_unused_unit(net)
        t_eq, r_eq = timed(lambda net=net, perm=perm: same_function(net, perm), repeat)
        t_ne, r_ne = timed(lambda net=net, pert=pert: same_function(net, pert), repeat)
        t_tr, r_tr = timed(lambda net=net, wider=wider: same_function(net, wider), 1)
        t_rg, r_rg = timed(lambda net=net, wider=wider: same_function(net, wider, method="regions"), 1)
        assert r_eq.equal and not r_ne.equal and r_tr.equal and r_rg.equal
        print(
            f"| {widths} | {t_eq:.4f} | {t_ne:.4f} | {r_ne.witness is not None} | {t_tr:.2f} | {t_rg:.2f} "
            f"| {r_tr.equal}, {r_rg.equal} |"
        )


def conv_lowering(cases, repeat):
    print("\n### Convolution lowering (3x3 kernel, padding 1, float64)\n")
    print(
        "| input (C, H, W) | filters | dense Linear (rows x cols) | entries | MB | lower (s) "
        "| conv forward, 64 (s) | Linear forward, 64 (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for shape, f in cases:
        conv = Conv2d(rng.normal(size=(f, shape[0], 3, 3)), rng.normal(size=f), input_shape=shape, padding=1)
        rows, cols = int(np.prod(conv.output_shape)), int(np.prod(shape))
        entries = rows * cols
        if entries * 8 > 2e9:
            mb = entries * 8 / 1e6
            print(f"| {shape} | {f} | {rows} x {cols} | {entries:.2e} | {mb:.0f} | too large (> 2 GB) | | |")
            continue
        t_low, (lin,) = timed(lambda conv=conv, cols=cols: conv.lower(cols), max(1, repeat - 2))
        x = rng.normal(size=(64, cols))
        t_cf, _ = timed(lambda conv=conv, x=x: conv.forward(x), repeat)
        t_lf, _ = timed(lambda lin=lin, x=x: lin.forward(x), repeat)
        print(
            f"| {shape} | {f} | {rows} x {cols} | {entries:.2e} | {entries * 8 / 1e6:.0f} | {t_low:.3f} "
            f"| {t_cf:.4f} | {t_lf:.4f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    args = ap.parse_args()
    day = time.strftime("%Y-%m-%d")
    print(f"tropnet {tropnet.__version__}, numpy {np.__version__}, {platform.machine()}, {day}")
    if args.quick:
        weight_space([32], 1)
        exact_functions([[2, 4, 1]], 1)
        conv_lowering([((1, 8, 8), 4)], 1)
        return
    weight_space([32, 64, 128, 256, 512], 3)
    exact_functions([[2, 4, 1], [2, 8, 1], [2, 6, 6, 1], [3, 6, 6, 1], [2, 8, 8, 1]], 3)
    conv_lowering(
        [((1, 8, 8), 8), ((1, 28, 28), 8), ((1, 28, 28), 32), ((3, 32, 32), 16), ((16, 32, 32), 32)],
        3,
    )


if __name__ == "__main__":
    main()
