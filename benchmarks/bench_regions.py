"""Linear-region enumeration: tropnet against regioncam and affinitree, in one process.

Networks: ``tropnet.random_mlp(widths, seed=0)`` (He-normal weights then biases per layer from
``default_rng(0)``, ReLU between layers, last layer affine) -- the networks of
``peers_bench.py``.  2D rows on the box [-10, 10]^2, higher-dimensional rows on [-5, 5]^d.
Counted: full-dimensional activation cells (what every peer counts; adjacent cells with one
affine map are not merged).

Timings are warm: one untimed call of every contender first, then ``--repeats`` rounds in
which the contenders run one after the other (alternating), and the median per contender.
A contender whose untimed call took more than ``--slow`` seconds is timed by that call
alone (marked ``*``).  Columns:

* ``count`` -- ``tropnet.count_linear_regions(net, Box, kind="activation")``;
* ``engine`` -- the enumeration engine alone (``tropnet.regions.planar.count_cells`` in 2D,
  ``tropnet.regions.refine.refine`` otherwise), without the API's bookkeeping;
* ``cells-engine`` (2D) -- ``tropnet.regions.planar.enumerate_cells``: every cell's polygon,
  what regioncam builds;
* ``regions`` -- ``tropnet.linear_regions(net, Box, kind="activation")`` (builds the
  :class:`RegionSet`: halfspaces, vertices, maps);
* ``exact`` -- ``count_linear_regions(..., exact=True)`` (one call; only the rows listed
  by ``--exact-rows`` or all with ``--exact-all``);
* ``linear`` / ``exact-linear`` (the same rows) -- ``linear_regions(net, Box)`` with the
  default ``kind="linear"`` (halfspaces, maps, adjacency and the merge are all built), float
  and ``exact=True``, warm medians of 3; the issue's target is exact <= 10x float;
* ``regioncam`` (0.5.x, float32, 2D only) and ``affinitree`` (box precondition; its
  decision-tree leaves).  relucent (needs gurobipy) and parx (needs Julia) are not installed.

Every contender runs on one thread: the peers are single-threaded, and this script sets
``OPENBLAS_NUM_THREADS=1`` (unless already set) before numpy loads -- on a shared 2-core
machine a multi-threaded BLAS call waits for a busy core and inflates tropnet's wall times
several-fold.

Run ``python benchmarks/bench_regions.py`` (``--quick`` skips the slowest rows and peers).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: see the docstring

import argparse
import contextlib
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from importlib.metadata import PackageNotFoundError, version

import numpy as np

import tropnet
from tropnet import Box

ROWS_2D = [[2, 16, 16, 1], [2, 32, 32, 1], [2, 64, 64, 1], [2, 128, 128, 1]]
ROWS_HD = [[4, 16, 16, 1], [6, 12, 12, 1], [8, 10, 10, 1]]
QUICK_SKIP = {(6, 12, 12, 1), (8, 10, 10, 1)}
# affinitree needs ~10 s at [2,64,64,1] and minutes beyond; skipped there unless --slow-peers
AFFINITREE_SKIP = {(2, 128, 128, 1), (8, 10, 10, 1)}


def radius(widths):
    return 10.0 if widths[0] == 2 else 5.0


def hidden_layers(net):
    """(W, b) of every Linear layer as float64 arrays."""
    return [(L.float_weight, L.float_bias) for L in net.layers if isinstance(L, tropnet.Linear)]


@contextlib.contextmanager
def quiet_stdout():
    """affinitree's Rust core prints progress lines on fd 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def run_regioncam(net, R):
    import regioncam

    rc = regioncam.Regioncam(size=R)
    layers = hidden_layers(net)
    for W, b in layers[:-1]:  # regioncam computes x @ weight + bias, float32 only
        rc.linear(np.ascontiguousarray(W.T, dtype=np.float32), b.astype(np.float32))
        rc.relu()
    return int(rc.num_faces)


def run_affinitree(net, R):
    from affinitree import AffFunc, AffTree, Architecture, Polytope, builder

    layers = hidden_layers(net)
    d = net.input_dim
    with quiet_stdout():
        arch = Architecture(d)
        for i, (W, b) in enumerate(layers):
            arch.linear(AffFunc.from_mats(W, b))
            if i < len(layers) - 1:
                arch.relu()
        pre = AffTree.from_poly(Polytope.hyperrectangle(d, [(-R, R)] * d), AffFunc.identity(d), None)
        tree = builder.from_layers(arch, pre)
        n = tree.num_terminals()
    return int(n)


def run_engine(net, R, *, cells):
    """The engine alone: in 2D ``count_cells`` or (``cells=True``) ``enumerate_cells``."""
    d = net.input_dim
    if d == 2:
        from tropnet.regions.planar import count_cells, enumerate_cells

        return len(enumerate_cells(net, [-R, -R], [R, R])) if cells else count_cells(net, [-R, -R], [R, R])
    from tropnet.regions.refine import refine, stages_from_network

    return len(refine(stages_from_network(net.lowered()), d, np.full(d, -R), np.full(d, R)))


def contenders(net, widths, args):
    R = radius(widths)
    box = Box(-R, R)
    out = {
        "count": lambda: tropnet.count_linear_regions(net, box, kind="activation"),
        "engine": lambda: run_engine(net, R, cells=False),
        "regions": lambda: len(tropnet.linear_regions(net, box, kind="activation")),
    }
    if widths[0] == 2:  # in n-D the engine builds the cells either way
        out["cells"] = lambda: run_engine(net, R, cells=True)
    if widths[0] == 2:
        out["regioncam"] = lambda: run_regioncam(net, R)
    skip = tuple(widths) in AFFINITREE_SKIP or (args.quick and widths == [2, 64, 64, 1])
    if args.slow_peers or not skip:
        out["affinitree"] = lambda: run_affinitree(net, R)
    return out


def time_row(widths, args):
    net = tropnet.random_mlp(widths, seed=0)
    fns = contenders(net, widths, args)
    counts, first, samples = {}, {}, {k: [] for k in fns}
    linear_counts = {}
    for name, fn in fns.items():
        t = time.perf_counter()
        counts[name] = fn()
        first[name] = time.perf_counter() - t
    slow = {k for k, v in first.items() if v > args.slow}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            if name in slow:
                continue
            t = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t)
    times = {k: (first[k] if k in slow else statistics.median(samples[k])) for k in fns}
    if args.exact_all or str(widths) in args.exact_rows:
        R = radius(widths)
        t = time.perf_counter()
        counts["exact"] = tropnet.count_linear_regions(net, Box(-R, R), kind="activation", exact=True)
        times["exact"] = time.perf_counter() - t
        slow.add("exact")
        for name, ex in (("linear", False), ("exact-linear", True)):
            fn = lambda ex=ex: tropnet.linear_regions(net, Box(-R, R), exact=ex, progress=False)  # noqa: E731
            fn()
            ts = []
            for _ in range(3):
                t = time.perf_counter()
                rs = fn()
                ts.append(time.perf_counter() - t)
            times[name] = statistics.median(ts)
            linear_counts[name] = len(rs)
    if len(set(linear_counts.values())) > 1:
        raise AssertionError(f"float and exact linear region counts differ: {linear_counts}")
    return counts, times, slow


def fmt_t(t, starred):
    s = f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"
    return s + ("*" if starred else "")


def memory_4d(widths):
    """Peak traced memory of linear_regions and the arrays held by the RegionSet."""
    net = tropnet.random_mlp(widths, seed=0)
    tracemalloc.start()
    t = time.perf_counter()
    rs = tropnet.linear_regions(net, Box(-5, 5), kind="activation")
    secs = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held = sum(v.nbytes for v in vars(rs).values() if isinstance(v, np.ndarray))
    return rs.num_cells if hasattr(rs, "num_cells") else len(rs), held, peak, secs


def pkg(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def main():
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # affinitree uses numpy.core
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the slowest rows and peer runs")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--slow", type=float, default=3.0, help="time a contender by one call above this")
    ap.add_argument("--slow-peers", action="store_true", help="run affinitree on every row")
    ap.add_argument("--exact-rows", nargs="*", default=["[2, 16, 16, 1]", "[2, 32, 32, 1]"])
    ap.add_argument("--exact-all", action="store_true")
    ap.add_argument("--only-2d", action="store_true", help="the 2D rows only")
    ap.add_argument("--memory", default="[4, 20, 20, 1]", help="RegionSet memory line ('' = off)")
    args = ap.parse_args()
    if args.quick:
        args.repeats = min(args.repeats, 3)

    print("# tropnet linear regions vs peers (activation cells; warm medians; * = one call)")
    print(f"# date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.platform()}")
    print("# versions: " + ", ".join(f"{p}=={pkg(p)}" for p in
                                     ("numpy", "tropnet", "regioncam", "affinitree", "relucent", "parx")))
    print(f"# repeats={args.repeats}, slow threshold {args.slow} s, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}; relucent needs gurobipy and parx needs Julia: "
          "neither is installed")
    print()
    head = ["network", "cells", "count", "engine", "cells-engine", "regions", "regioncam", "affinitree",
            "count/rc", "engine/rc", "cells-engine/rc", "regions/rc", "count/at", "engine/at", "regions/at",
            "exact", "exact/count", "linear", "exact-linear", "exact-linear/linear"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    tiny = tropnet.random_mlp([2, 4, 1], seed=1)  # first calls load code: not part of any row
    run_regioncam(tiny, 1.0), run_affinitree(tiny, 1.0), run_engine(tiny, 1.0, cells=True)
    tropnet.linear_regions(tiny, Box(-1, 1), kind="activation")
    agree_all = True
    for widths in ROWS_2D + ([] if args.only_2d else ROWS_HD):
        if args.quick and tuple(widths) in QUICK_SKIP:
            continue
        counts, times, slow = time_row(widths, args)
        n = counts["count"]
        disagree = {k: v for k, v in counts.items() if v != n}
        agree_all &= not disagree

        def col(k, times=times, slow=slow):
            return fmt_t(times[k], k in slow) if k in times else "n/a"

        def ratio(a, b, times=times):
            return f"{times[a] / times[b]:.2f}" if a in times and b in times else "n/a"

        cells = str(n) + ("" if not disagree else f" (DISAGREE: {disagree})")
        row = [str(widths), cells] + [col(k) for k in ("count", "engine", "cells", "regions", "regioncam")]
        row += [col("affinitree")] + [ratio(k, "regioncam") for k in ("count", "engine", "cells", "regions")]
        row += [ratio(k, "affinitree") for k in ("count", "engine", "regions")]
        row += [col("exact"), ratio("exact", "count")]
        row += [col("linear"), col("exact-linear"), ratio("exact-linear", "linear")]
        print("| " + " | ".join(row) + " |", flush=True)
    print()
    print("counts: " + ("every contender agrees on every row" if agree_all else "DISAGREEMENT (see rows)"))
    if args.memory and not args.quick and not args.only_2d:
        widths = [int(v) for v in args.memory.strip("[]").split(",")]
        ncell, held, peak, secs = memory_4d(widths)
        print(f"memory: linear_regions({widths}, [-5,5]^4, kind='activation'): {ncell} cells in "
              f"{secs:.1f} s; RegionSet arrays {held / 2**20:.1f} MiB, peak traced {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
