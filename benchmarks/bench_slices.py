"""Regions where the data lives: planes, segments, local complexity, a training curve.

tropnet against regioncam (``Regioncam.through_points`` in float32, 2-D and 1-D) in one process:

* **planes** through three images: MLPs trained on scikit-learn's digits (8x8 inputs, widths
  64-512, 2-3 hidden layers) and random MNIST-sized MLPs (784 inputs, ``random_mlp(seed=0)``,
  plane through three random points of [0, 1]^784).  Columns: tropnet activation count,
  linear count (the default kind; ratio to the activation count), exact activation count
  (selected rows), regioncam's time and face count on the *same* plane and box (its own
  ``through_points`` plane: tropnet runs on ``AffineSlice(plane.bias, plane.weight, box)``,
  with the network rounded to float32 as regioncam computes);
* **segments** between digit pairs: tropnet's 1-D path (float and exact breakpoints) against
  ``Regioncam1D.through_points``, CPU time per call (best of 5 loops of 10 calls; the activation
  count, the linear count, ``linear_regions`` with the breakpoints, each with the numpy kernels
  and with the compiled one; exact breakpoints: one call on each of the first three segments,
  compared with the float ones);
* **local complexity** of 1,000 digits (k = 2 and 3, cross-polytope of radius 0.5 in pixel
  units 0-16) with wall and CPU time and CPU time per point;
* **a training curve**: a digits MLP over 10 checkpoints (``partial_fit`` epochs),
  :func:`tropnet.studies.complexity_curve` on 200 points;
* **cross**: linear counts on cross-polytopes kept whole (the lifted H-representation cells and
  facets) against the same counts on the polytope of its ``2^n`` facets (the vertex engine), on
  networks whose cells merge, 5-7 inputs; activation and linear counts around a digit in
  all 64 inputs (no other route: 2^64 facets); and linear counts on ``AffineSlice.around``
  (k = 5-12, its ``2^k`` rows listed) through ``local_complexity`` and called directly;
* **cutoff** (``--only cutoff --dims 4,5,6``): a float count on a cross-polytope in 4-8 inputs,
  activation and linear, with the ball kept whole against the vertex engine on its ``2^d`` rows
  (the measurement behind ``hrep.CROSS_HREP_COUNT_DIM``);
* **balls**: region sets and Dask counts on cross-polytopes above 7 inputs (digits [64, 64]
  around a digit in 64-D, and ``AffineSlice.around`` with k = 8, 12), CPU and traced peak memory.

Every contender runs on one thread (``OPENBLAS_NUM_THREADS=1``); timings are single warm
calls (the machine is shared; note the load printed at the top).
Run ``python benchmarks/bench_slices.py`` (``--quick`` for the small rows only).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time
import warnings

import numpy as np

import tropnet
from tropnet import AffineSlice, Box, Network, Segment
from tropnet.regions.local import local_complexity

#: exact breakpoints on the first this many segments of each row (one call each)
EXACT_SEGMENTS = 3

#: linear regions only below this many activation cells (since the merge reads the maps first,
#: issue 21, every row here runs)
LINEAR_CAP = 1_000_000


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data.astype(np.float64), d.target


def train_digits(hidden, seed=0, max_iter=60):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = digits()
    clf = MLPClassifier(hidden_layer_sizes=hidden, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X / 16.0, y)
    return clf


def to_network(clf) -> Network:
    """The MLP on raw pixel values 0-16 (the 1/16 scaling folded into the first layer)."""
    Ws = [w.T.astype(np.float64) for w in clf.coefs_]
    Ws[0] = Ws[0] / 16.0
    return Network.from_arrays(Ws, [b.astype(np.float64) for b in clf.intercepts_])


def regioncam_plane(net: Network, P: np.ndarray):
    import regioncam

    rc = regioncam.Regioncam.through_points(P.astype(np.float32))
    half = float(np.abs(np.asarray(rc.vertex_inputs)).max())
    lins = [layer for layer in net.layers if isinstance(layer, tropnet.Linear)]
    t = time.perf_counter()
    for i, lin in enumerate(lins):
        rc.linear(lin.float_weight.T.astype("f4"), lin.float_bias.astype("f4"))
        if i < len(lins) - 1:
            rc.relu()
    secs = time.perf_counter() - t
    slc = AffineSlice(
        np.asarray(rc.plane.bias, dtype=np.float32).astype(np.float64),
        np.asarray(rc.plane.weight, dtype=np.float32).astype(np.float64),
        Box(-half, half),
    )
    return rc.num_faces, secs, slc


def net32(net: Network) -> Network:
    lins = [layer for layer in net.layers if isinstance(layer, tropnet.Linear)]
    return Network.from_arrays(
        [lin.float_weight.astype(np.float32).astype(np.float64) for lin in lins],
        [lin.float_bias.astype(np.float32).astype(np.float64) for lin in lins],
    )


def plane_row(name, net, P, exact=False):
    faces, rc_s, slc = regioncam_plane(net, P)
    n32 = net32(net)
    act, t_act = timed(tropnet.count_linear_regions, n32, slc, kind="activation")
    if act > LINEAR_CAP:
        lin = None
    else:
        lin, t_lin = timed(tropnet.count_linear_regions, n32, slc, kind="linear")
    ex = t_ex = None
    if exact:
        ex, t_ex = timed(tropnet.count_linear_regions, n32, slc, kind="activation", exact=True)
    cells = f"{act}" + ("" if act == faces else f" (regioncam {faces})")
    exs = f"{ex} / {t_ex:.2f}" if ex is not None else "-"
    lins = f"skipped (> {LINEAR_CAP} cells)"
    if lin is not None:
        lins = f"{lin} / {t_lin:.2f} ({t_lin / t_act:.1f}x)"
    print(f"| {name} | {cells} | {t_act:.2f} | {lins} | {exs} | "
          f"{rc_s:.2f} | {t_act / rc_s:.2f} |", flush=True)


def per_call(fn, reps=5, inner=10):
    """CPU seconds per call of ``fn``: the best of ``reps`` loops of ``inner`` calls (one warm
    call first); CPU time, not wall time, so that the shared machine's other processes count
    less (every contender runs on one thread)."""
    out = fn()
    best = float("inf")
    for _ in range(reps):
        t = time.process_time()
        for _ in range(inner):
            fn()
        best = min(best, (time.process_time() - t) / inner)
    return out, best


def _kernels():
    """The float 1-D engine's kernels to time: numpy, and the compiled one when numba is there."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return ["numpy"]
    return ["numpy", "numba"]


def segment_rows(name, net, pairs):
    """tropnet's 1-D path against Regioncam1D on regioncam's own segment (``through_points``
    puts the two points inside a longer segment: m +- h u), counts compared.  Regioncam1D gets
    its float32 weights converted once, outside its timing.  tropnet's float calls are timed
    with the numpy kernels and with the compiled one (``pool.use_kernels``; by default the
    compiled kernel is loaded after 1 s of float segment runs in a process)."""
    import regioncam

    from tropnet.regions import pool

    lins = [layer for layer in net.layers if isinstance(layer, tropnet.Linear)]
    w32 = [(lin.float_weight.T.astype("f4"), lin.float_bias.astype("f4")) for lin in lins]
    ks = _kernels()
    tot = {(what, k): 0.0 for what in ("f", "lin", "r") for k in ks}
    tot.update(e=0.0, rc=0.0)
    counts, agree, same = [], 0, 0
    for a, b in pairs:
        P = np.stack([a, b]).astype(np.float32)

        def rc_run(P=P):
            rc = regioncam.Regioncam1D.through_points(P)
            for i, (w, bias) in enumerate(w32):
                rc.linear(w, bias)
                if i < len(w32) - 1:
                    rc.relu()
            return rc

        rc, t = per_call(rc_run)
        tot["rc"] += t
        half = float(np.abs(np.asarray(rc.inputs)).max())
        m, u = (a + b) / 2, (b - a) / np.linalg.norm(b - a)
        seg = Segment(m - half * u, m + half * u)
        for k in ks:
            old = pool.use_kernels(k)
            try:
                n, t = per_call(lambda seg=seg: tropnet.count_linear_regions(net, seg, kind="activation"))
                tot["f", k] += t
                _, t = per_call(lambda seg=seg: tropnet.count_linear_regions(net, seg))
                tot["lin", k] += t
                rs, t = per_call(lambda seg=seg: tropnet.linear_regions(net, seg, kind="activation"))
                tot["r", k] += t
            finally:
                pool.use_kernels(old)
        if len(counts) < EXACT_SEGMENTS:  # exact breakpoints (one call) on the first segments
            t = time.process_time()
            rse = tropnet.linear_regions(net, seg, kind="activation", exact=True)
            tot["e"] += time.process_time() - t
            agree += int(len(rse) == len(rs) == n and np.allclose(
                np.asarray(rse.breakpoints, dtype=float), np.asarray(rs.breakpoints, dtype=float)))
        counts.append(n)
        same += int(n == rc.num_edges)
    k = len(pairs)
    ke = min(k, EXACT_SEGMENTS)

    def ms(what):
        return " / ".join(f"{1e3 * tot[what, kk] / k:.3f}" for kk in ks)

    def ratio(what):
        return " / ".join(f"{tot[what, kk] / tot['rc']:.2f}" for kk in ks)

    print(f"| {name} | {k} | {np.mean(counts):.1f} | {same}/{k} | {ms('f')} | {ms('lin')} | {ms('r')} | "
          f"{1e3 * tot['e'] / ke:.1f} | {1e3 * tot['rc'] / k:.3f} | {ratio('f')} | {ratio('lin')} | "
          f"{ratio('r')} | {agree}/{ke} |", flush=True)


def point_rows(name, net, X):
    """region_at: one point (pattern + map; + halfspaces), a batch, one exact point."""
    tropnet.region_at(net, X[0])
    _, t1 = timed(lambda: [tropnet.region_at(net, x) for x in X[:20]])
    _, th = timed(lambda: [tropnet.region_at(net, x).halfspaces() for x in X[:5]])
    _, tb = timed(tropnet.region_at, net, X)
    _, te = timed(tropnet.region_at, net, X[0], exact=True)
    _, teh = timed(lambda: tropnet.region_at(net, X[1], exact=True).halfspaces())
    print(f"| {name} | {1e3 * t1 / 20:.2f} | {1e3 * th / 5:.1f} | {len(X)} | {tb:.2f} | "
          f"{1e3 * tb / len(X):.2f} | {te:.2f} | {teh:.2f} |", flush=True)


def _box_run(net, dom, *, cap=None, cells=None, highs=False):
    """One activation count on a full-dimensional neighbourhood: ``(count or "> cells", CPU s,
    wall s, plan)``; ``highs=True`` puts every side LP on HiGHS (the engine before the compiled
    LPs: the same decisions)."""
    from tropnet.regions.plan import make_plan

    if highs:
        os.environ["TROPNET_NO_JIT_LP"] = "1"
    try:
        plan = make_plan(net, dom, want="count", kind="activation", max_seconds=cap, max_regions=cells,
                         progress=False)
        t, c = time.perf_counter(), time.process_time()
        try:
            out = str(plan.run())
        except tropnet.RegionLimitError as err:
            out = f"> {err.reached.get('cells', '?')}"
        return out, time.process_time() - c, time.perf_counter() - t, plan
    finally:
        os.environ.pop("TROPNET_NO_JIT_LP", None)


def box_rows(name, net, x, halfwidths, cap, scale=16.0, first=20_000):
    """Full-dimensional neighbourhoods of a point: ``Box.around(x, scale h)`` and the
    cross-polytope of the same volume (``CrossPolytope(x, R)``, ``R = scale h (n!)^(1/n)``),
    stable units removed first, then the H-representation engine; ``cap`` seconds at most per
    domain (a stopped run reports the cells it had reached).  The last columns compare the side
    LPs on the compiled dual simplex with HiGHS on the same first ``first`` cells (or the whole
    count when it is smaller): CPU seconds in one process, same decisions."""
    from math import lgamma

    try:  # numba's import (and a first compile) once, outside the timings
        from tropnet.regions.jit_lp import maximise

        maximise(np.ones((1, 1)), np.ones(1), np.ones(1), np.zeros(1), np.ones(1))
    except ImportError:
        pass
    n = len(x)
    same_volume = float(np.exp(lgamma(n + 1) / n))  # (n!)^(1/n): |y|_1 <= R h has the volume of |y|_inf <= h
    for hw in halfwidths:
        for shape in ("box", "cross"):
            r = scale * hw if shape == "box" else scale * hw * same_volume
            dom = Box.around(x, r) if shape == "box" else tropnet.CrossPolytope(x, r)
            load = os.getloadavg()[0]
            cs, cpu, wall, plan = _box_run(net, dom, cap=cap)
            done = not cs.startswith(">")
            if done and int(cs) <= first:
                jit_c, highs_c = cpu, _box_run(net, dom, highs=True)[1]
                k = cs
            else:
                jit_c = _box_run(net, dom, cells=first)[1]
                highs_c = _box_run(net, dom, cells=first, highs=True)[1]
                k = f"first {first:,}"
            s = plan.stable
            ts = f"{cpu:.1f}" if done else f"> {cpu:.0f} (stopped at {cap:.0f} s wall)"
            print(f"| {name} | {shape} | {hw} | {r:.3g} | {s.num_stable} / {s.num_units} | {cs} | {ts} | "
                  f"{wall:.1f} | {k} | {highs_c:.1f} | {jit_c:.1f} | {highs_c / max(jit_c, 1e-9):.1f} | "
                  f"{load:.1f} |", flush=True)


def merging(d: int, seed: int) -> Network:
    """``random_mlp([d, 8, 8, 1], seed)`` with first-layer unit 1 twice unit 0, read with -1/2 its
    weights (they cancel; a unit the linear count's pruning keeps), and unit 3 of the second layer
    doubling unit 2 the same way: many cells share a map."""
    net = tropnet.random_mlp([d, 8, 8, 1], seed=seed)
    lin = [layer for layer in net.layers if hasattr(layer, "float_weight")]
    W = [np.array(layer.float_weight) for layer in lin]
    b = [np.array(layer.float_bias) for layer in lin]
    W[0][1], b[0][1] = 2 * W[0][0], 2 * b[0][0]
    W[1][:, 1] = -W[1][:, 0] / 2
    W[1][3], b[1][3] = 2 * W[1][2], 2 * b[1][2]
    W[2][0, 3] = -W[2][0, 2] / 2
    return Network.from_arrays(W, b)


def cross_rows(trained, X) -> None:
    from tropnet import CrossPolytope

    count = tropnet.count_linear_regions
    print("| network | inputs | radius | activation regions | linear regions | act. CPU s | "
          "lin. CPU s (lifted) | lin. CPU s (2^n facets) | lin./act. | facets / lifted | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for d in (5, 6, 7):
        for seed in range(2):
            net = merging(d, seed)
            cp = CrossPolytope(np.full(d, 0.3), 2.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ta, na = best_cpu(3, count, net, cp, kind="activation", progress=False)
                tl, nl = best_cpu(3, count, net, cp, progress=False)
                if d <= 6:  # 7-D: minutes on the 128 facets (411 s for seed 0 once)
                    tf, nf = best_cpu(1, count, net, listed(*cp.halfspaces(d)), progress=False)
                    assert nl == nf, (nl, nf)
            facets = f"{tf:.2f} | {tl / ta:.2f} | {tf / tl:.0f}" if d <= 6 else f"- | {tl / ta:.2f} | -"
            print(f"| merging [{d}, 8, 8, 1] seed {seed} | {d} | 2.0 | {na} | {nl} | {ta:.2f} | {tl:.2f} | "
                  f"{facets} | {os.getloadavg()[0]:.1f} |", flush=True)
    net = trained[(64, 64)][1]
    for r in (4.0, 8.0):  # pixel units (0-16)
        cp = CrossPolytope(X[0], r)
        ta, na = best_cpu(3, count, net, cp, kind="activation", progress=False)
        tl, nl = best_cpu(3, count, net, cp, progress=False)
        print(f"| digits [64, 64], digit 0 | 64 | {r} | {na} | {nl} | {ta:.2f} | {tl:.2f} | - | "
              f"{tl / ta:.2f} | - | {os.getloadavg()[0]:.1f} |", flush=True)
    print("\n### AffineSlice.around: local_complexity and direct calls (digits [64, 64], first 4 digits, "
          "radius 4.0; CPU s for the 4 points, best of 3)\n")
    print("| k | linear counts | local_complexity linear | direct linear | direct activation | "
          "direct / act. | load |")
    print("|---|---|---|---|---|---|---|")
    from tropnet.regions.local import local_slices

    pts = X[:4]
    for k in (5, 6, 8, 12):
        slices = local_slices(pts, 4.0, k=k)
        tc, lc = best_cpu(3, tropnet.local_complexity, net, pts, 4.0, k=k, kind="linear")
        td, nd = best_cpu(3, counts, net, slices, "linear")
        ta, _ = best_cpu(3, counts, net, slices, "activation")
        assert lc.tolist() == nd, (lc.tolist(), nd)
        print(f"| {k} | {nd} | {tc:.2f} | {td:.2f} | {ta:.2f} | {td / ta:.2f} | {os.getloadavg()[0]:.1f} |",
              flush=True)


def cutoff_rows(dims, cap: float) -> None:
    """The float count's two routes on ``CrossPolytope(0.3, 2.0)`` in ``dims`` inputs, activation
    and linear: the ball kept whole (the H-representation engine, lifted LPs; forced here by
    setting ``CROSS_HREP_COUNT_DIM`` to 0) against the vertex engine on its ``2^d`` listed rows
    (``listed``), best CPU seconds of 2 calls; a listed run past ``cap`` wall seconds is stopped
    (``max_seconds``) and shown as ``> cap``.  Networks ``[d, 8, 8, 1]``: ``random_mlp`` seeds
    0-1, the sparse ones of ``bench_linear.merging`` (80% of the middle weights 0) and
    :func:`merging` (a unit doubled and cancelled), seeds 0-1."""
    from bench_linear import merging as linear_merging

    from tropnet import CrossPolytope
    from tropnet.regions import hrep

    count = tropnet.count_linear_regions
    print("| network | inputs | cells | kind | count | whole CPU s | listed CPU s | listed / whole | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    keep = hrep.CROSS_HREP_COUNT_DIM
    for d in dims:
        w = [d, 8, 8, 1]
        nets = [(f"random_mlp {w} seed {s}", tropnet.random_mlp(w, seed=s)) for s in (0, 1)]
        nets += [(f"sparse {w} seed {s}", linear_merging(w, "sparse", s)) for s in (0, 1)]
        nets += [(f"merging {w} seed {s}", merging(d, s)) for s in (0, 1)]
        cp = CrossPolytope(np.full(d, 0.3), 2.0)
        rows = listed(*cp.halfspaces(d))
        for name, net in nets:
            cells = None
            for kind in ("activation", "linear"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    hrep.CROSS_HREP_COUNT_DIM = 0
                    try:
                        tw, nw = best_cpu(2, count, net, cp, kind=kind, progress=False)
                    finally:
                        hrep.CROSS_HREP_COUNT_DIM = keep
                    try:
                        tl, nl = best_cpu(2, count, net, rows, kind=kind, progress=False, max_seconds=cap)
                        assert nl == nw, (name, kind, nl, nw)
                        listed_s, ratio = f"{tl:.3f}", f"{tl / tw:.2f}"
                    except tropnet.RegionLimitError:
                        listed_s, ratio = f"> {cap:.0f} (wall)", "-"
                cells = nw if kind == "activation" else cells
                print(f"| {name} | {d} | {cells} | {kind} | {nw} | {tw:.3f} | {listed_s} | {ratio} | "
                      f"{os.getloadavg()[0]:.1f} |", flush=True)


def ball_region_rows(net, X) -> None:
    """Region sets and Dask counts on cross-polytopes above 7 inputs (the ball kept whole):
    digits [64, 64] around digit 0 in all 64 inputs, and ``AffineSlice.around`` (k = 8, 12, its
    ``2^k`` rows) around the first 4 digits; CPU s (best of 2) of the count, the region set and
    the Dask count (``parallel=None``: its one task in this process), and the traced peak memory
    (``tracemalloc``) of the count and the region set."""
    import tracemalloc

    from tropnet import CrossPolytope
    from tropnet.regions.local import local_slices

    def peak(fn, *a, **kw):
        tracemalloc.start()
        try:
            fn(*a, **kw)
            return tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()

    print("| domain | kind | regions | count CPU s | region set CPU s | Dask count CPU s | "
          "count peak MB | region set peak MB | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    doms = [(f"CrossPolytope(digit 0, {r}), 64-D", [CrossPolytope(X[0], r)]) for r in (4.0, 8.0)]
    doms += [(f"AffineSlice.around(digits 0-3, 4.0, k={k})", local_slices(X[:4], 4.0, k=k)) for k in (8, 12)]
    runs = (_ball_count, _ball_regions, _ball_dask)
    for name, ds in doms:
        for kind in ("activation", "linear"):
            (tc, n), (tr, m), (tp, k) = (best_cpu(2, run, net, ds, kind) for run in runs)
            assert n == m == k, (n, m, k)
            pc, pr = (peak(run, net, ds, kind) for run in runs[:2])
            print(f"| {name} | {kind} | {n} | {tc:.2f} | {tr:.2f} | {tp:.2f} | {pc:.1f} | {pr:.1f} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)


def ball_dask_rows(radii=(0.3, 0.5)) -> None:
    """A count on ``CrossPolytope(x, r)`` for ``random_mlp([64, 64, 64, 1], seed=0)`` and a
    random point of [0, 1]^64, serial against Dask (``parallel="local"``: a local cluster with
    one single-threaded worker per core, started by the call; the engine in parts, see
    ``parallel._hrep_split``): wall seconds and this process's CPU seconds, one call each."""
    from tropnet import CrossPolytope
    from tropnet.parallel import count_parallel

    net = tropnet.random_mlp([64, 64, 64, 1], seed=0)
    x = np.random.default_rng(0).uniform(0, 1, 64)
    print("| radius | kind | cells | serial wall s | serial CPU s | Dask wall s | driver CPU s | tasks | "
          "serial / Dask wall | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in radii:
        for kind in ("activation", "linear"):
            dom = CrossPolytope(x, r)
            c0, t0 = time.process_time(), time.perf_counter()
            n = tropnet.count_linear_regions(net, dom, kind=kind, progress=False)
            cs, ws = time.process_time() - c0, time.perf_counter() - t0
            stats: dict = {}
            c0, t0 = time.process_time(), time.perf_counter()
            m = count_parallel(net, dom, kind=kind, parallel="local", stats=stats)
            cd, wd = time.process_time() - c0, time.perf_counter() - t0
            assert n == m, (n, m)
            print(f"| {r} | {kind} | {n} | {ws:.2f} | {cs:.2f} | {wd:.2f} | {cd:.2f} | "
                  f"{stats.get('tasks')} | {ws / wd:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)


def _ball_count(net, doms, kind):
    return sum(tropnet.count_linear_regions(net, d, kind=kind, progress=False) for d in doms)


def _ball_regions(net, doms, kind):
    return sum(len(tropnet.linear_regions(net, d, kind=kind, progress=False)) for d in doms)


def _ball_dask(net, doms, kind):
    from tropnet.parallel import count_parallel

    return sum(count_parallel(net, d, kind=kind, parallel=None) for d in doms)


def counts(net, slices, kind):
    return [tropnet.count_linear_regions(net, s, kind=kind, progress=False) for s in slices]


def listed(A, b):
    """The polyhedron ``A x <= b`` with its first row repeated at twice the scale (the same set):
    a float count does not take it for a cross-polytope, so the vertex engine runs on the rows."""
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return tropnet.Polyhedron(np.vstack([A, 2 * A[:1]]), np.r_[b, 2 * b[:1]])


def best_cpu(repeat, fn, *args, **kw):
    """Best CPU seconds of ``repeat`` calls ``fn(*args, **kw)`` and its result."""
    t, out = float("inf"), None
    for _ in range(repeat):
        c = time.process_time()
        out = fn(*args, **kw)
        t = min(t, time.process_time() - c)
    return t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="planes,segments,points,boxes,local,curve,cross,balls",
                    help="comma list of sections to run")
    ap.add_argument("--box-cap", type=float, default=120.0, help="seconds per full-dimensional neighbourhood")
    ap.add_argument("--dims", default="4,5,6,7,8", help="input dimensions of the cutoff section")
    ap.add_argument("--cutoff-cap", type=float, default=30.0, help="wall seconds per listed-rows count")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(f"load average: {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if only == {"balldask"}:  # (no digits needed)
        print("\n## Counts on a 64-D cross-polytope, serial against Dask (2 local workers)\n")
        ball_dask_rows()
        return
    if only == {"cutoff"}:  # (no digits needed)
        print("\n## Cross-polytope counts: the ball kept whole against its 2^d listed rows\n")
        cutoff_rows([int(v) for v in args.dims.split(",")], args.cutoff_cap)
        return
    X, y = digits()
    rng = np.random.default_rng(0)
    # one image per class 0, 1, 2 for planes; digit pairs for segments
    idx = [int(np.flatnonzero(y == c)[0]) for c in range(10)]
    P = X[idx[:3]]
    hidden_list = [(64, 64), (128, 128), (256, 256), (64, 64, 64)] if args.quick else [
        (64, 64), (128, 128), (256, 256), (512, 512), (64, 64, 64), (256, 256, 256), (512, 512, 512)
    ]
    if only <= {"cross", "balls"}:  # (those sections read digits [64, 64] only)
        hidden_list = [(64, 64)]
    trained = {}
    for h in hidden_list:
        clf = train_digits(h)
        trained[h] = (clf, to_network(clf))
    mnist = [[784, 256, 256, 10]] if args.quick else [[784, 256, 256, 10], [784, 512, 512, 10],
                                                      [784, 512, 512, 512, 10]]
    if "planes" in only:
        print("\n## Planes through three digits (0, 1, 2); box = regioncam's through_points square\n")
        print("| network | activation regions | s | linear regions / s (ratio) | exact act. / s | "
              "regioncam s | tropnet / regioncam |")
        print("|---|---|---|---|---|---|---|")
        for h in hidden_list:
            clf, net = trained[h]
            plane_row(f"digits {list(h)} (acc {clf.score(X / 16, y):.2f})", net, P, exact=h[0] <= 128)
        for w in mnist:
            net = tropnet.random_mlp(w, seed=0)
            Q = rng.uniform(0, 1, size=(3, 784))
            plane_row(f"random {w}", net, Q, exact=False)
    if "segments" in only:
        print("\n## Segments between digit pairs (i -> i+1) on Regioncam1D's segment, 1-D path vs "
              "Regioncam1D\n")
        kn = " / ".join(_kernels())
        print(f"tropnet columns: {kn} kernels\n")
        print("| network | segments | mean regions | = regioncam | count ms | linear count ms | "
              "linear_regions ms | exact ms | regioncam ms | count / regioncam | linear count / regioncam | "
              "linear_regions / regioncam | exact = float |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        pairs = [(X[idx[i]], X[idx[i + 1]]) for i in range(9)]
        for h in hidden_list:
            segment_rows(f"digits {list(h)}", trained[h][1], pairs)
        for w in mnist[:2]:
            net = tropnet.random_mlp(w, seed=0)
            Q = rng.uniform(0, 1, size=(10, 784))
            segment_rows(f"random {w}", net, [(Q[i], Q[i + 1]) for i in range(9)])
    if "points" in only:
        print("\n## The region at a point (region_at)\n")
        print("| network | one point ms | + halfspaces ms | batch | batch s | ms / point | exact point s | "
              "exact + halfspaces s |")
        print("|---|---|---|---|---|---|---|---|")
        point_rows("digits [64, 64]", trained[(64, 64)][1], X[:1000])
        for w in mnist[:2]:
            point_rows(f"random {w}", tropnet.random_mlp(w, seed=0), rng.uniform(0, 1, size=(1000, 784)))
    if "boxes" in only:
        print("\n## Full-dimensional neighbourhoods (64 inputs): digit 0 of digits [64, 64] (h of the pixel "
              "range 0-16) and a random point of [0, 1]^64 for random_mlp([64, 64, 64, 1], seed=0)\n")
        print("| network | domain | h | radius | stable units | activation regions | CPU s | wall s | "
              "cells compared | HiGHS CPU s | compiled CPU s | ratio | load |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        box_rows("digits [64, 64]", trained[(64, 64)][1], X[0], [0.02, 0.05, 0.1], args.box_cap)
        box_rows("random [64, 64, 64, 1]", tropnet.random_mlp([64, 64, 64, 1], seed=0),
                 np.random.default_rng(0).uniform(0, 1, 64), [0.05, 0.1], args.box_cap, scale=1.0)
    if "local" in only:
        print("\n## Local complexity of 1,000 digits (cross-polytope radius 0.5, pixel units)\n")
        print("| network | k | mean | max | s | CPU s | CPU ms / point |")
        print("|---|---|---|---|---|---|---|")
        pts = X[:1000] if not args.quick else X[:200]
        for h in [(64, 64), (256, 256)] if not args.quick else [(64, 64)]:
            for k in (2, 3):
                c = time.process_time()
                lc, t = timed(local_complexity, trained[h][1], pts, 0.5, k=k)
                c = time.process_time() - c
                print(f"| digits {list(h)} | {k} | {lc.mean():.2f} | {lc.max()} | {t:.2f} | {c:.2f} | "
                      f"{1e3 * c / len(pts):.2f} |", flush=True)
    if "cross" in only:
        print("\n## Linear counts on cross-polytopes kept whole (lifted) against their 2^n facets\n")
        cross_rows(trained, X)
    if "balls" in only:
        print("\n## Region sets and Dask counts on cross-polytopes above 7 inputs (digits [64, 64])\n")
        ball_region_rows(trained[(64, 64)][1], X)
        print("\n## Counts on a 64-D cross-polytope, serial against Dask (2 local workers)\n")
        ball_dask_rows()
    if "curve" in only:
        print("\n## Training curve: digits [64, 64], 10 checkpoints (one epoch each), 200 points\n")
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(hidden_layer_sizes=(64, 64), random_state=0, learning_rate_init=3e-3)
        cks = []
        for _ in range(10):
            clf.partial_fit(X / 16.0, y, classes=np.arange(10))
            cks.append(to_network(clf))
        c = time.process_time()
        table, t = timed(tropnet.studies.complexity_curve, cks, X[:200], radius=0.5, as_frame=False)
        print(f"{t:.1f} s ({time.process_time() - c:.1f} s CPU) for 10 checkpoints")
        print("| checkpoint | lc mean | lc max | regions per segment | regions on the plane |")
        print("|---|---|---|---|---|")
        for i in range(10):
            print(f"| {i} | {table['lc_mean'][i]:.2f} | {table['lc_max'][i]} | "
                  f"{table['segment_mean'][i]:.1f} | {table['plane_regions'][i]} |")


if __name__ == "__main__":
    main()
