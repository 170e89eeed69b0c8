"""Compile random ReLU MLPs to tropical rational maps: monomial counts and compile times.

For every architecture, ``--nets`` networks ``random_mlp(widths, seed)`` (seeds 0, 1, ...) are
compiled with :func:`tropnet.tropicalize` in float and in exact mode (``exact=True``: the
dyadic rationals the float weights store).  Columns, means over the networks (output 0):

* ``full``   monomials (numerator + denominator) of the unsimplified form
  (``simplify=False``: equal exponents merged, nothing pruned); ``>limit`` when one product
  would exceed ``--max-monomials`` monomials;
* ``last``   ``TropicalRationalMap.monomials_before`` of the simplified compile: the
  candidates it held (one per activation cell of R^n for the numerator and for the
  denominator; before 2026-12-05 the last layer's Minkowski expansion before its final pruning);
* ``after``  monomials after simplification (upper-hull vertices only);
* ``t_simpl``, ``t_full``  mean compile times in seconds with and without simplification.

Each (architecture, mode) gets a wall-clock budget (``--budget`` seconds, default 600);
networks not started within it are reported as not done, and a compile still running when
the budget ends is interrupted.

Usage::

    python benchmarks/bench_compile.py                  # everything (long: exact mode is slow)
    python benchmarks/bench_compile.py --quick          # 5 networks, 120 s budgets
    python benchmarks/bench_compile.py --archs 2,16,16,1 --modes float
    python benchmarks/bench_compile.py --targets        # the issue-21 targets only (see below)

``--targets`` times the float compile of ``random_mlp(widths, seed=0)`` for [3,16,16,1],
[2,32,32,1] and [4,16,16,1] (targets: 5 s, 5 s, 60 s), and the exact compile against the float
one on [2,16,16,1], [3,8,8,1] and [2,8,8,8,1] (seeds 0-4, alternating in one process; target:
exact within 10x float).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import time

from tropnet import random_mlp, tropicalize

PAPER = [[2, 6, 1], [3, 5, 1], [4, 4, 1], [5, 3, 1], [6, 2, 1], [3, 2, 2, 1], [3, 3, 2, 1]]
LARGE = [[2, 16, 16, 1], [3, 8, 8, 1], [2, 8, 8, 8, 1]]


class _Budget(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001
    raise _Budget


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run_one(widths: list[int], exact: bool, nets: int, budget: float, max_monomials: int) -> dict:
    rows = []
    start = time.perf_counter()
    interrupted = False
    signal.signal(signal.SIGALRM, _alarm)
    for seed in range(nets):
        left = budget - (time.perf_counter() - start)
        if left <= 0:
            break
        net = random_mlp(widths, seed=seed)
        signal.setitimer(signal.ITIMER_REAL, left)
        try:
            f, t_simpl = _timed(tropicalize, net, exact=exact)
            try:
                g, t_full = _timed(tropicalize, net, simplify=False, exact=exact, max_monomials=max_monomials)
                full = g.num_monomials[0]
            except MemoryError:
                full, t_full = None, None
        except _Budget:
            interrupted = True
            break
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        rows.append(dict(full=full, last=f.monomials_before[0], after=f.num_monomials[0], t_simpl=t_simpl,
                         t_full=t_full))
    return dict(rows=rows, interrupted=interrupted, elapsed=time.perf_counter() - start)


def _mean(values, fmt):
    vals = [v for v in values if v is not None]
    if not vals:
        return "—"
    text = format(statistics.fmean(vals), fmt)
    return text if len(vals) == len(values) else f"{text} ({len(vals)}/{len(values)})"


TARGET_FLOAT = [([3, 16, 16, 1], 5.0), ([2, 32, 32, 1], 5.0), ([4, 16, 16, 1], 60.0)]
TARGET_RATIO = [[2, 16, 16, 1], [3, 8, 8, 1], [2, 8, 8, 8, 1]]


def targets(seeds: int = 5) -> None:
    import os

    print(f"load average: {os.getloadavg()[0]:.1f}")
    print()
    print("| network (seed 0) | float compile (s) | target (s) | monomials (num + den) |")
    print("|---|---|---|---|")
    for widths, goal in TARGET_FLOAT:
        f, t = _timed(tropicalize, random_mlp(widths, seed=0))
        print(f"| {widths} | {t:.2f} | {goal:.0f} | {f.num_monomials[0]} |", flush=True)
    print()
    print(f"| network | float (s, mean of seeds 0-{seeds - 1}) | exact (s) | exact / float |")
    print("|---|---|---|---|")
    for widths in TARGET_RATIO:
        tf, te = [], []
        for seed in range(seeds):
            net = random_mlp(widths, seed=seed)
            f, t = _timed(tropicalize, net)
            tf.append(t)
            g, t = _timed(tropicalize, net, exact=True)
            te.append(t)
            assert f.num_monomials[0] >= g.num_monomials[0]
        a, b = statistics.fmean(tf), statistics.fmean(te)
        print(f"| {widths} | {a:.3f} | {b:.3f} | {b / a:.1f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", type=int, default=25)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per (architecture, mode)")
    ap.add_argument("--max-monomials", type=int, default=2_000_000)
    ap.add_argument("--modes", default="float,exact")
    ap.add_argument("--archs", nargs="*", help="e.g. 2,6,1 3,3,2,1 (default: paper + large)")
    ap.add_argument("--quick", action="store_true", help="5 networks, 120 s budgets")
    ap.add_argument("--targets", action="store_true", help="only the issue-21 speed targets")
    args = ap.parse_args(argv)
    if args.targets:
        targets()
        return
    if args.quick:
        args.nets, args.budget = 5, 120.0
    archs = [[int(w) for w in a.split(",")] for a in args.archs] if args.archs else PAPER + LARGE
    modes = args.modes.split(",")
    print(f"bench_compile: {args.nets} networks per architecture, budget {args.budget:.0f} s per "
          f"(architecture, mode), max_monomials {args.max_monomials}")
    print()
    print("| architecture | mode | nets done | full | last | after | t_simpl (s) | t_full (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for widths in archs:
        for mode in modes:
            res = run_one(widths, mode == "exact", args.nets, args.budget, args.max_monomials)
            rows = res["rows"]
            done = f"{len(rows)}/{args.nets}" + (" (budget)" if len(rows) < args.nets else "")
            if not rows:
                print(f"| {widths} | {mode} | {done} | — | — | — | — | — |", flush=True)
                continue
            full = [r["full"] for r in rows]
            full_text = _mean(full, ".1f") if any(v is not None for v in full) else ">limit"
            cols = [
                full_text,
                _mean([r["last"] for r in rows], ".1f"),
                _mean([r["after"] for r in rows], ".1f"),
                _mean([r["t_simpl"] for r in rows], ".3f"),
                _mean([r["t_full"] for r in rows], ".3f"),
            ]
            print(f"| {widths} | {mode} | {done} | " + " | ".join(cols) + " |", flush=True)


if __name__ == "__main__":
    main()
