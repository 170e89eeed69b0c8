"""Input symmetry (issue 8): the DeepSets experiment of Lezeau et al. (2024), done exactly.

For permutation-invariant DeepSets networks on n = 2..6 set elements (10 random models each,
the box [-20, 20]^n):

* the full exact count and the count on the fundamental domain x_1 <= ... <= x_n only
  (``symmetry=symmetric_group(n)``), which must be equal, their times and the speed-up;
* the paper's sampling estimate: 10^n points in the box, i.e. 10^n / n! in the fundamental
  domain, distinct gradients weighted by n! / prod m_k! (``weight="gradient"``), against the
  exact linear count; and the exact-orbit estimate (distinct activation patterns weighted by
  their exact orbit sizes, same samples) against the exact activation count.

Models: "paper" is sum_i ReLU((alpha I + gamma 1 1^T) x)_i (``deepsets(n, (1, 1),
relu_before_pool=True)``); "(1, k, 1)" is ``deepsets(n, (1, k, 1))`` (two equivariant layers).

Run:  .venv/bin/python benchmarks/bench_symmetry.py [--quick]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

import tropnet
from tropnet import Box, count_linear_regions, deepsets, symmetric_group
from tropnet.regions.symmetric import estimate_linear_regions_symmetric, linear_regions_symmetric

QUICK = "--quick" in sys.argv
MODELS = 3 if QUICK else 10


def _timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def main() -> None:
    print("(timings on a shared 2-core machine; noisy; medians over the models)\n")
    print(
        "| model | n | models | full count (mean) | symmetric == full | representatives (mean) | N/n! "
        "| full s | symmetric s | speed-up | paper estimate / exact linear "
        "| orbit estimate / exact activation |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    dom = Box(-20, 20)
    configs = [
        ("paper", (1, 1), True, range(2, 7)),
        ("(1, 2, 1)", (1, 2, 1), False, range(2, 7)),
        ("(1, 4, 1)", (1, 4, 1), False, range(2, 6 if QUICK else 7)),
    ]
    for name, ch, relu, ns in configs:
        for n in ns:
            models = MODELS if not (name == "(1, 4, 1)" and n == 6) else 1
            G = symmetric_group(n)
            full, sym, reps, tf, ts, paper, orbit = [], [], [], [], [], [], []
            for seed in range(models):
                net = deepsets(n, ch, seed=seed, relu_before_pool=relu)
                a, t1 = _timed(count_linear_regions, net, dom)
                S, t2 = _timed(linear_regions_symmetric, net, dom, G)
                full.append(a)
                sym.append(len(S))
                reps.append(len(S.representatives))
                tf.append(t1)
                ts.append(t2)
                samples = max(10**n // math.factorial(n), 10)
                est = estimate_linear_regions_symmetric(
                    net, dom, samples, G, seed=seed, weight="gradient", check=False
                )
                paper.append(est / a)
                act = count_linear_regions(net, dom, kind="activation", symmetry=G)
                est2 = estimate_linear_regions_symmetric(net, dom, samples, G, seed=seed, check=False)
                orbit.append(est2 / act)
            eq = sum(int(x == y) for x, y in zip(full, sym))
            speed = float(np.median(np.array(tf) / np.array(ts)))
            print(
                f"| {name} | {n} | {models} | {np.mean(full):.1f} | {eq}/{models} | {np.mean(reps):.1f} "
                f"| {np.mean(full) / math.factorial(n):.1f} | {np.median(tf):.3f} | {np.median(ts):.3f} "
                f"| {speed:.2f} | {np.mean(paper):.3f} | {np.mean(orbit):.3f} |"
            )
    print()
    tent = tropnet.Network.from_arrays(
        [[[1, -1], [-1, 1], [1, -1], [-1, 1]], [[1, 1, -1, -1]]], [[-1, -1, -2, -2], [0]]
    )
    G = symmetric_group(2)
    print(
        "Undercount of the paper's weight: f = h(x1 - x2), h even, flat for |t| > 2, on [-10, 10]^2: "
        f"exact {count_linear_regions(tent, Box(-10, 10))}, symmetric exact "
        f"{count_linear_regions(tent, Box(-10, 10), symmetry=G)}, paper's estimate (4000 samples) "
        f"{estimate_linear_regions_symmetric(tent, Box(-10, 10), 4000, G, weight='gradient')}"
    )


def cyclic() -> None:
    """Groups without reflections: the cyclic shift C_n (pieces glued across the walls)."""
    from tropnet import cyclic_group

    print(
        "| model | group | n | models | full count (mean) | symmetric == full | representatives (mean) "
        "| full s | symmetric s | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    dom = Box(-20, 20)
    for n in (3, 4, 5):
        G = cyclic_group(n)
        full, sym, reps, tf, ts = [], [], [], [], []
        for seed in range(MODELS):
            net = deepsets(n, (1, 2, 1), seed=seed)
            a, t1 = _timed(count_linear_regions, net, dom)
            S, t2 = _timed(linear_regions_symmetric, net, dom, G)
            full.append(a)
            sym.append(len(S))
            reps.append(len(S.representatives))
            tf.append(t1)
            ts.append(t2)
        eq = sum(int(x == y) for x, y in zip(full, sym))
        print(
            f"| (1, 2, 1) | C_{n} | {n} | {MODELS} | {np.mean(full):.1f} | {eq}/{MODELS} "
            f"| {np.mean(reps):.1f} "
            f"| {np.median(tf):.3f} | {np.median(ts):.3f} | {np.median(np.array(tf) / np.array(ts)):.2f} |"
        )


if __name__ == "__main__":
    if "--cyclic" in sys.argv:
        cyclic()
    else:
        main()
        print()
        cyclic()
