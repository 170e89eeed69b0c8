# ruff: noqa: B023
"""Timings of the n-D vertex engine (tropnet.regions.refine) and of the exact mode.

Run: ``python benchmarks/bench_regions_nd.py [2,4,6] [--cpu]``.  Warm timings (one untimed
call), medians; ``--cpu`` reports process CPU time instead of wall time (steadier on a shared
machine).  The peers' times are in ``benchmarks/bench_regions.py`` (same networks, same seed).
"""

import sys
import time

import numpy as np

sys.path.insert(0, ".")

from tropnet import Box, count_linear_regions, linear_regions, random_mlp  # noqa: E402
from tropnet.regions.refine import enumerate_cells  # noqa: E402

CLOCK = time.process_time if "--cpu" in sys.argv else time.perf_counter


def median_time(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t = CLOCK()
        out = fn()
        ts.append(CLOCK() - t)
    return out, float(np.median(ts))


def main(which="all"):
    rows = []
    cases = [([2, 64, 64, 1], 10, 5), ([4, 16, 16, 1], 5, 5), ([6, 12, 12, 1], 5, 3)]
    if which != "all":
        cases = [c for c in cases if str(c[0][0]) in which.split(",")]
    for widths, r, reps in cases:
        net = random_mlp(widths, seed=0)
        d = widths[0]
        lo, hi = -r * np.ones(d), r * np.ones(d)
        c, t_engine = median_time(lambda: enumerate_cells(net, lo, hi), reps)
        rows.append((widths, f"[-{r},{r}]^{d}", "engine (float)", len(c), t_engine))
        if d <= 4:
            n, t = median_time(lambda: count_linear_regions(net, kind="activation"), 1)
            rows.append((widths, "R^d", "count activation (float)", n, t))
            rs, t = median_time(lambda: linear_regions(net, Box(-r, r), kind="activation"), 1)
            rows.append((widths, f"[-{r},{r}]^{d}", "linear_regions activation (float)", len(rs), t))
        print(*rows[-1], flush=True)
    for widths, r in [([2, 16, 16, 1], 10), ([3, 8, 8, 1], 5), ([4, 16, 16, 1], 5), ([6, 12, 12, 1], 5)]:
        net = random_mlp(widths, seed=0)
        d = widths[0]
        nf, tf = median_time(lambda: count_linear_regions(net, Box(-r, r), kind="activation"), 3)
        ne, te = median_time(lambda: count_linear_regions(net, Box(-r, r), kind="activation", exact=True), 3)
        dom = f"[-{r},{r}]^{d}"
        rows.append((widths, dom, "count float / exact", f"{nf} / {ne}", f"{tf:.3f} / {te:.3f}"))
        print(*rows[-1], flush=True)
    # exact regions (issue 11 target: exact <= 10x float); "path" says whether the certified
    # float pass decided every sign (fast exact geometry) or the rational pass ran
    from tropnet.regions.plan import find_cells

    for widths, r in [([2, 16, 16, 1], 10), ([2, 32, 32, 1], 10), ([3, 8, 8, 1], 5), ([4, 8, 8, 1], 5),
                      ([4, 12, 12, 1], 5), ([2, 16, 16, 1], None), ([3, 8, 8, 1], None)]:
        if which != "all" and str(widths[0]) not in which.split(","):
            continue
        net = random_mlp(widths, seed=0)
        box = None if r is None else Box(-r, r)
        dom = f"R^{widths[0]}" if r is None else f"[-{r},{r}]^{widths[0]}"
        certified = find_cells(net, box, exact=True, codes=True).vert_codes is not None
        path = "certified" if certified else "rational"
        for what, fn in (
            ("linear_regions float / exact", lambda ex: len(linear_regions(net, box, exact=ex))),
            ("count kind=linear float / exact", lambda ex: count_linear_regions(net, box, exact=ex)),
        ):
            nf, tf = median_time(lambda: fn(False), 3)
            ne, te = median_time(lambda: fn(True), 3)
            times = f"{tf:.3f} / {te:.3f} ({te / tf:.1f}x)"
            rows.append((widths, dom, f"{what} ({path})", f"{nf} / {ne}", times))
            print(*rows[-1], flush=True)
    print()
    print("| network | domain | what | regions | seconds |")
    print("|---|---|---|---|---|")
    for w, dom, what, n, t in rows:
        print(f"| {w} | {dom} | {what} | {n} | {t if isinstance(t, str) else f'{t:.3f}'} |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "all")
