"""Linear regions against activation regions, in one process (issue 21 / issue 17 speed targets).

For each network and domain (box, all of R^n, a plane slice of an MNIST-sized network) and
each mode (float, exact), the time of

* ``count_linear_regions(kind="activation")`` and ``kind="linear"`` (the same call otherwise),
* ``linear_regions(kind="activation")`` and ``kind="linear"`` (not for the exact
  ``[784, 128, 128, 10]`` plane: counts only, its exact region sets take tens of seconds),

and the ratios linear / activation.  Random networks ``random_mlp(widths, seed=0)``; planes
through three random points of ``[0, 1]^784`` (``Plane.through``).  CPU seconds of this process
(``time.process_time``: the machine is shared, wall times swing 2-10x with the load), best of
``--repeat`` warm calls, one BLAS thread; the load average is printed with the table.

A second table: networks whose cells really merge (:func:`merging`: an output weight zeroed, or
sparse middle layers), float and exact, on a 2-D box, a 4-D box, R^3 and planes.

Run ``python benchmarks/bench_linear.py`` (``--quick``: the small rows only; ``--big``: also both
kinds of the ``[784, 512, 512, 512, 10]`` plane, one call each, wall and CPU seconds;
``--merging-only`` / ``--no-merging``: one of the two tables; ``--scaled-only``: only the
integer networks with a scaled duplicate unit, :func:`scaled_duplicate`; ``--exact-planes``: only
the exact counts of the ``[784, 128, 128, 10]`` and ``[784, 256, 256, 10]`` planes;
``--planes-only``: only the rows of the ``[12, 16, 16, 2]`` planes, standard, zeroed and sparse;
``--large``: only the streamed counts of a few hundred thousand cells, ``LARGE_ROWS``, on boxes
and all of R^n, each call in a fresh process, with its peak resident memory; ``--large --rn``:
only the rows of R^n).

Every row runs with one state of the compiled kernels, chosen once at the start and printed
with the table (``--kernels``): ``numba`` (the default: numba loaded first, the state every row
after the first large cut of the vertex engine would otherwise run in, so that a row does not
depend on the rows before it) or ``numpy`` (``pool.use_kernels("numpy")``: the pure-numpy path
of an install without numba).  Each timed function runs once untimed first (its code paths
warm), then ``--repeat`` times.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time
import warnings

import numpy as np

import tropnet
from tropnet import Box, Plane

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from testnets import merging_mlp as merging  # noqa: E402  (the networks whose cells merge)


def best(fn, repeat):
    t, out = float("inf"), fn()  # (untimed: the code paths warm)
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        t = min(t, time.process_time() - t0)
    return t, out


def plane(widths, seed=0):
    rng = np.random.default_rng(seed)
    return Plane.through(*rng.uniform(0, 1, size=(3, widths[0])))


def scaled_duplicate(widths, seed=0):
    """An integer network ``widths = [d, w, w, 1]`` (weights in -3..3) whose first-layer unit 5 is
    twice unit 4, read with -1/2 its weights: the two cancel, but the count keeps both (a scaled
    copy is not an equal unit), and their common hyperplane splits cells of one map -- facets of
    two units, whose neighbours are read across the facet (``regions.across``)."""
    d, w = widths[0], widths[1]
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(w, d)).astype(float)
    b1 = rng.integers(-3, 4, size=w).astype(float)
    W1[5], b1[5] = 2 * W1[4], 2 * b1[4]
    W2 = rng.integers(-3, 4, size=(w, w)).astype(float)
    W2[:, 5] = -W2[:, 4] / 2
    W3 = rng.integers(-3, 4, size=(1, w)).astype(float)
    b2 = rng.integers(-3, 4, size=w).astype(float)
    return tropnet.Network.from_arrays([W1, W2, W3], [b1, b2, np.zeros(1)])


def row(name, dom_name, net, dom, exact, repeat, counts_only=False):
    kw = dict(exact=exact, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ta, na = best(lambda: tropnet.count_linear_regions(net, dom, kind="activation", **kw), repeat)
        tl, nl = best(lambda: tropnet.count_linear_regions(net, dom, kind="linear", **kw), repeat)
        if counts_only:  # the region sets take tens of seconds (exact geometry of every cell)
            print(f"| {name} | {dom_name} | {exact} | {na} | {nl} | {ta:.4f} | {tl:.4f} | "
                  f"**{tl / ta:.2f}** | - | - | - |", flush=True)
            return
        tra, ra = best(lambda: len(tropnet.linear_regions(net, dom, kind="activation", **kw)), repeat)
        trl, rl = best(lambda: len(tropnet.linear_regions(net, dom, kind="linear", **kw)), repeat)
    assert na == ra and nl == rl, (na, ra, nl, rl)
    print(f"| {name} | {dom_name} | {exact} | {na} | {nl} | {ta:.4f} | {tl:.4f} | **{tl / ta:.2f}** | "
          f"{tra:.4f} | {trl:.4f} | **{trl / tra:.2f}** |", flush=True)


def _kernels(choice: str) -> str:
    """Put the compiled kernels in one state for every row (see the module docstring)."""
    from tropnet.regions import pool

    if choice == "numpy":
        pool.use_kernels("numpy")
        return "numpy only (pool.use_kernels('numpy'))"
    if pool._load_jit() is None:
        return "numpy only (numba is not installed)"
    return "numba loaded before the first row (default choice: compiled loops for every certificate)"


def _planes(repeat: int) -> None:
    """The float and exact counts of the [12, 16, 16, 2] plane: standard, zeroed and sparse."""
    print("| network | domain | exact | activation regions | linear regions | count act. CPU s | "
          "count lin. CPU s | count lin./act. | regions act. CPU s | regions lin. CPU s | "
          "regions lin./act. |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    widths = [12, 16, 16, 2]
    for name, net in (("", tropnet.random_mlp(widths, seed=0)), ("zeroed ", merging(widths, "zeroed")),
                      ("sparse ", merging(widths, "sparse"))):
        for exact in (False, True):
            row(f"{name}{widths}", "plane", net, plane(widths), exact, repeat)


#: --large: streamed float linear counts of a few hundred thousand cells (session 10: the
#: [7, 12, 12, 1] count ran the engine twice, its parts past the memory guard); all of R^n
#: (half-width None; session 11: the cube facets' cells joined by pattern as they stream)
LARGE_ROWS = [([7, 12, 12, 1], "[-5,5]^7", 5.0), ([6, 14, 14, 1], "[-5,5]^6", 5.0),
              ([5, 12, 12, 1], "R^5", None), ([6, 14, 14, 1], "R^6", None)]


def _one(widths: str, half: str, kind: str) -> None:
    """One count in this (fresh) process: its CPU seconds, answer and peak resident memory
    (``half``: the box's half-width, ``"None"``: all of R^n)."""
    import resource

    net = tropnet.random_mlp([int(w) for w in widths.split(",")], seed=0)
    dom = None if half == "None" else Box(-float(half), float(half))
    t = time.process_time()
    n = tropnet.count_linear_regions(net, dom, kind=kind, progress=False)
    t = time.process_time() - t
    print(f"{n} {t:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")


def _large(repeat: int, rn_only: bool = False) -> None:
    """The large rows: each call in a fresh process (its own peak memory), activation and linear
    calls alternating, best CPU time of ``repeat`` each (``rn_only``: the rows of all of R^n)."""
    import subprocess

    print(f"load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"best of {repeat} calls in fresh processes (default kernels)\n")
    print("| network | domain | activation cells | linear regions | count act. CPU s | count lin. CPU s | "
          "count lin./act. | peak RSS act. MB | peak RSS lin. MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for widths, dname, half in LARGE_ROWS:
        if rn_only and half is not None:
            continue
        best_t, peak, out = {}, {}, {}
        for _ in range(repeat):
            for kind in ("activation", "linear"):
                res = subprocess.run([sys.executable, os.path.abspath(__file__), "--one",
                                      ",".join(map(str, widths)), str(half), kind],
                                     capture_output=True, text=True, check=True)
                n, t, mb = res.stdout.split()[-3:]
                out[kind] = int(n)
                best_t[kind] = min(best_t.get(kind, float("inf")), float(t))
                peak[kind] = max(peak.get(kind, 0), int(mb))
        ta, tl = best_t["activation"], best_t["linear"]
        print(f"| {widths} | {dname} | {out['activation']} | {out['linear']} | {ta:.2f} | {tl:.2f} | "
              f"**{tl / ta:.2f}** | {peak['activation']} | {peak['linear']} |", flush=True)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        _one(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="also the [784, 512, 512, 512, 10] plane")
    ap.add_argument("--no-merging", action="store_true", help="without the networks whose cells merge")
    ap.add_argument("--merging-only", action="store_true", help="only the networks whose cells merge")
    ap.add_argument("--scaled-only", action="store_true",
                    help="only the integer networks with scaled duplicates")
    ap.add_argument("--exact-planes", action="store_true", help="only the exact counts of the MNIST planes")
    ap.add_argument("--planes-only", action="store_true", help="only the [12, 16, 16, 2] plane rows")
    ap.add_argument("--large", action="store_true",
                    help="only the large streamed counts (LARGE_ROWS), each call in a fresh process")
    ap.add_argument("--rn", action="store_true", help="with --large: only the rows of all of R^n")
    ap.add_argument("--kernels", choices=("numba", "numpy"), default="numba",
                    help="numba loaded before the first row (default), or the pure-numpy kernels")
    args = ap.parse_args()
    if args.scaled_only:
        args.merging_only = args.no_merging = True
    if args.large:
        _large(args.repeat, args.rn)
        return
    kernels = _kernels(args.kernels)
    print(f"load average {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"best of {args.repeat} (after one untimed call); kernels: {kernels}\n")
    if args.planes_only:
        _planes(args.repeat)
        return
    if not args.merging_only:
        print("| network | domain | exact | activation regions | linear regions | count act. CPU s | "
              "count lin. CPU s | count lin./act. | regions act. CPU s | regions lin. CPU s | "
              "regions lin./act. |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = [([4, 16, 16, 1], "[-5,5]^4", Box(-5, 5), (False, True)),
            ([3, 16, 16, 1], "R^3", None, (False, True)),
            ([2, 64, 64, 1], "[-5,5]^2", Box(-5, 5), (False, True)),
            ([2, 64, 64, 1], "R^2", None, (False, True)),
            ([12, 16, 16, 2], "plane", "plane", (False, True)),
            ([784, 128, 128, 10], "plane", "plane", (False, "exact counts")),
            ([784, 256, 256, 10], "plane", "plane", (False, "exact counts"))]
    if not args.quick:
        rows += [([2, 128, 128, 1], "[-5,5]^2", Box(-5, 5), (False,)),
                 ([6, 12, 12, 1], "[-5,5]^6", Box(-5, 5), (False,)),
                 ([784, 512, 512, 10], "plane", "plane", (False,))]
    if args.merging_only:
        rows = []
    if args.exact_planes:
        rows = [(w, "plane", "plane", ("exact counts",)) for w in ([784, 128, 128, 10], [784, 256, 256, 10])]
        args.no_merging = True
    for widths, dname, dom, modes in rows:
        net = tropnet.random_mlp(widths, seed=0)
        if dom == "plane":
            dom = plane(widths)
        for exact in modes:
            if exact == "exact counts":
                row(str(widths), dname, net, dom, True, args.repeat, counts_only=True)
            else:
                row(str(widths), dname, net, dom, exact, args.repeat)
    if not args.no_merging:  # issue 21: networks whose cells really merge (exact and float)
        print("\nNetworks whose cells merge (`merging(widths, how)`: zeroed = one output weight 0, "
              "sparse = 80% of the middle weights 0):\n")
        print("| network | domain | exact | activation regions | linear regions | count act. CPU s | "
              "count lin. CPU s | count lin./act. | regions act. CPU s | regions lin. CPU s | "
              "regions lin./act. |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        merging_rows = [([2, 64, 64, 1], "[-5,5]^2", Box(-5, 5)), ([4, 16, 16, 1], "[-5,5]^4", Box(-5, 5)),
                        ([3, 16, 16, 1], "R^3", None), ([12, 16, 16, 2], "plane", "plane"),
                        ([784, 128, 128, 10], "plane", "plane")]
        for widths, dname, dom in merging_rows:
            for how in ("zeroed", "sparse"):
                net = merging(widths, how)
                d = plane(widths) if dom == "plane" else dom
                for exact in (False, True):
                    row(f"{how} {widths}", dname, net, d, exact, args.repeat, counts_only=widths[0] == 784)
    if args.scaled_only or not args.no_merging:  # issue 21: facets of two units (integer networks)
        print("\nInteger networks with a scaled duplicate unit (`scaled_duplicate(widths, seed)`), counts:\n")
        print("| network | domain | exact | activation regions | linear regions | count act. CPU s | "
              "count lin. CPU s | count lin./act. | - | - | - |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        scaled_rows = [([3, 16, 16, 1], 1, "[-5,5]^3", Box(-5, 5)), ([3, 16, 16, 1], 1, "R^3", None),
                       ([4, 10, 10, 1], 0, "R^4", None), ([3, 12, 12, 1], 0, "R^3", None)]
        for widths, seed, dname, dom in scaled_rows:
            for exact in (True, False):
                net = scaled_duplicate(widths, seed)
                row(f"scaled {widths} seed {seed}", dname, net, dom, exact, args.repeat, counts_only=True)
    if args.big:  # issue 17: both kinds of the [784, 512, 512, 512, 10] plane in under 60 s (one call each)
        widths = [784, 512, 512, 512, 10]
        net, dom = tropnet.random_mlp(widths, seed=0), plane(widths)
        for kind in ("activation", "linear"):
            w0, c0 = time.perf_counter(), time.process_time()
            n = tropnet.count_linear_regions(net, dom, kind=kind, progress=False)
            print(f"\n{widths} plane, count {kind}: {n} regions, {time.perf_counter() - w0:.1f} s wall, "
                  f"{time.process_time() - c0:.1f} s CPU (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
