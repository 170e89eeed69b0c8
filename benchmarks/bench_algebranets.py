"""AlgebraNets benchmark: the comparison table at equal parameters and at equal FLOPs, and the
cost of lowering and of the two forward passes.  A script, not a test: prints Markdown tables.

    .venv/bin/python benchmarks/bench_algebranets.py [--seeds 5] [--quick]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

import tropnet
from tropnet import AlgebraLinear, compare_algebras
from tropnet.algebras import ALGEBRAS


def table(rows: list[dict], monomials: bool) -> str:
    head = ["algebra", "widths", "real widths", "params", "mults", "act. regions", "lin. regions",
            "R net, same real widths", "regions/param"]
    if monomials:
        head += ["monomials before", "after"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["algebra"], str(list(r["widths"])), str(list(r["real_widths"])), str(r["parameters"]),
                 str(r["real_mults"]),
                 f"{r['activation_regions']:.1f} ± {r['activation_regions_std']:.1f}",
                 f"{r['linear_regions']:.1f} ± {r['linear_regions_std']:.1f}",
                 f"{r['real_baseline_regions']:.1f}",
                 f"{r['regions_per_parameter']:.2f}"]
        if monomials:
            cells += [f"{r['monomials_before']:.0f}", f"{r['monomials_after']:.0f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def timed(fn, repeat: int = 3) -> float:
    fn()
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small budgets only")
    args = ap.parse_args()
    seeds = range(args.seeds)
    domain = tropnet.Box(-10, 10)
    algs = list(ALGEBRAS.values())
    print(f"# AlgebraNets benchmark ({platform.processor() or platform.machine()}, numpy {np.__version__})\n")
    runs = [("parameters <= 150", dict(param_budget=150), True),
            ("real mults <= 200", dict(flop_budget=200), True)]
    if not args.quick:
        runs += [("parameters <= 400", dict(param_budget=400), False),
                 ("real mults <= 600", dict(flop_budget=600), False)]
    for title, budget, mono in runs:
        t = time.perf_counter()
        rows = compare_algebras(algs, 2, 2, seeds=seeds, domain=domain, monomials=mono, as_frame=False,
                                baseline=True, **budget)
        dt = time.perf_counter() - t
        print(f"## depth 2, input 2, {title}, [-10,10]^2, {len(seeds)} seeds ({dt:.1f} s)\n")
        print(table(rows, mono) + "\n")

    print("## one 64x64-feature layer: lower(), direct algebra forward, lowered forward (batch 256)\n")
    print("| algebra | real shape | lower() ms | algebra forward ms | real forward ms | max abs diff |")
    print("|---|---|---|---|---|---|")
    x_rng = np.random.default_rng(0)
    for alg in algs:
        layer = AlgebraLinear(alg, 64, 64, seed=0)
        lin = layer.lower()
        x = x_rng.normal(size=(256, layer.in_features))
        t_low = timed(layer.lower)
        t_alg = timed(lambda: layer.forward(x))  # noqa: B023
        t_real = timed(lambda: lin.forward(x))  # noqa: B023
        diff = np.abs(layer.forward(x) - lin.forward(x)).max()
        print(f"| {alg.name} | {lin.weight.shape} | {1e3 * t_low:.1f} | {1e3 * t_alg:.1f} | "
              f"{1e3 * t_real:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
