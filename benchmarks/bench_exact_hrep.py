"""Exact runs in high input dimension: exact activation counts on the H-representation engine
with every decision exact (:mod:`tropnet.regions.hrep_exact`) against the float counts of the
same engine, and the exact vertex engine against the exact H-representation engine where both
run (the crossover that sets ``hrep.EXACT_MAX_DIM`` and ``hrep.CROSS_EXACT_MAX_DIM``).

Rows (``--only``):

* **high** : ``[8, 6, 1]``, ``[10, 8, 1]``, ``[12, 8, 1]``, ``[12, 8, 8, 1]`` and ``[20, 8, 8, 1]``
  on cross-polytopes ``CrossPolytope(0.05, 1)`` in their input dimension, ``[20, 8, 1]`` and
  ``[20, 8, 8, 1]`` on the box ``[-1, 1]^20``: exact and float activation counts, best CPU
  seconds of ``--repeat`` calls, the counts asserted equal;
* **crossover** : random ``[d, 8, 8, 1]`` (seeds 0, 1) and integer zero-bias ``[d, 6, 6, 1]``
  networks on ``CrossPolytope(0.05, 1)`` for ``d`` in ``--dims`` (default 4-7) and on boxes
  ``[-1, 1]^d`` for ``d`` in ``--box-dims`` (default 8, 12, 16): the exact count on the vertex
  engine (the default there) against the exact H-representation engine (forced by lowering the
  cutoffs), counts asserted equal;
* **linear** : exact linear counts against exact activation counts (both on the H-representation
  engine: the linear merge's facets decided exactly, :mod:`tropnet.regions.hrep_exact_facets`) on
  ``random_mlp([8, 8, 8, 1])``, ``[10, 6, 4, 1]``, ``[12, 6, 6, 1]`` (seed 3) on ``[-1, 1]^d``,
  ``[20, 8, 8, 1]`` (seed 0) on ``[-1, 1]^20``, ``[8, 8, 8, 1]`` (seed 3) on
  ``CrossPolytope(0.05, 1)`` in 8-D, the first with its output weight 0 zeroed (a unit the count
  drops), and nets with a scaled duplicate unit cancelled (cells of one map that merge: facets
  decided); up to ``--vertex-dims`` inputs (default 8) also the exact linear count on the vertex
  engine (before).

* **unbounded** : exact linear counts on all of R^n and the unbounded polyhedron
  ``x1 + x2 <= 1/2`` (one run on the homogenised cube, the cells' facets decided with no box):
  central arrangements in 17-18-D with known counts (asserted: ``2^k`` cells, halved by a unit the
  output ignores or a cancelled pair), random ``[17, 4, 4, 1]``, 8-D and 5-D rows (at 5 inputs also
  the exact vertex engine's linear count, the route there; counts asserted equal).

* **rn** : exact and float activation counts on all of R^n and an unbounded polyhedron above 16
  inputs (and one 8-D row): the H-representation engine's one run on the homogenised cube
  (:func:`~tropnet.regions.domains.homogenised_cube`, the route now) against its ``2n + 1`` runs on
  the cube's facets joined by pattern (:func:`facet_runs`, the route before), counts asserted
  equal; then exact region sets there (were refused) against the float region sets of the same
  engine, cells, facets and bounded cells asserted equal.

* **regionset** : exact region sets (activation; every facet of every cell decided exactly,
  :mod:`tropnet.regions.hrep_exact_regions`) against the float region sets of the same engine
  on random nets in 17-20-D (boxes) and 12-20-D (cross-polytopes), the counts of cells and facets
  asserted equal; at 8-10 inputs against the exact vertex engine (the default there).

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_exact_hrep.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings

import numpy as np

import tropnet
from tropnet import Box, CrossPolytope, Linear, Network, Polyhedron, ReLU, random_mlp
from tropnet.regions import hrep

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_slices import best_cpu  # noqa: E402


def count(net, dom, exact):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind="activation", exact=exact, progress=False)


def integer_net(dims, seed):
    """Integer weights in -2..2, zero biases (exact ties: hyperplanes through the centre)."""
    rng = np.random.default_rng(seed)
    mods = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        mods.append(Linear(rng.integers(-2, 3, size=(b, a)), np.zeros(b, dtype=np.int64)))
        if i < len(dims) - 2:
            mods.append(ReLU())
    return Network(mods)


def bounded_domain(kind: str, d: int):
    """The bench's bounded domain in ``d`` inputs and its name: ``"cross"`` the cross-polytope
    of radius 1 around ``(0.05, ..., 0.05)``, else the box ``[-1, 1]^d``.

    >>> bounded_domain("cross", 3)[1], bounded_domain("box", 3)[1]
    ('CrossPolytope(0.05, 1) in 3-D', '[-1, 1]^3')
    """
    if kind == "cross":
        return CrossPolytope(np.full(d, 0.05), 1.0), f"CrossPolytope(0.05, 1) in {d}-D"
    return Box(-1, 1), f"[-1, 1]^{d}"


def float_and_exact(repeat: int, run, dims: list, seed: int, kind: str) -> tuple:
    """``random_mlp(dims, seed)`` on :func:`bounded_domain` ``(kind, dims[0])``: ``run``'s best
    CPU time float and exact (their answers checked equal): ``(net, dom, name, tf, te, answer)``."""
    net = random_mlp(dims, seed=seed)
    dom, name = bounded_domain(kind, dims[0])
    tf, nf = best_cpu(repeat, run, net, dom, False)
    te, ne = best_cpu(repeat, run, net, dom, True)
    assert nf == ne, (dims, kind, nf, ne)
    return net, dom, name, tf, te, ne


def high_rows(repeat: int) -> None:
    rows = [([8, 6, 1], "cross"), ([10, 8, 1], "cross"), ([12, 8, 1], "cross"), ([12, 8, 8, 1], "cross"),
            ([20, 8, 8, 1], "cross"), ([20, 8, 1], "box"), ([20, 8, 8, 1], "box")]
    print("| network | domain | cells | float CPU s | exact CPU s | exact / float | load |")
    print("|---|---|---|---|---|---|---|")
    for dims, kind in rows:
        net, dom, name, tf, te, ne = float_and_exact(repeat, count, dims, 0, kind)
        print(f"| random_mlp {dims} seed 0 | {name} | {ne} | {tf:.3f} | {te:.3f} | {te / tf:.2f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


def crossover_rows(dims, box_dims, repeat: int) -> None:
    print("| network | domain | cells | exact vertex CPU s | exact H-rep CPU s | H-rep / vertex | load |")
    print("|---|---|---|---|---|---|---|")
    keep = hrep.EXACT_MAX_DIM, hrep.CROSS_EXACT_MAX_DIM
    cases = [(d, "cross") for d in dims] + [(d, "box") for d in box_dims]
    for d, kind in cases:
        nets = [(f"random_mlp [{d}, 8, 8, 1] seed {s}", random_mlp([d, 8, 8, 1], seed=s)) for s in (0, 1)]
        nets.append((f"integer zero-bias [{d}, 6, 6, 1]", integer_net([d, 6, 6, 1], d)))
        dom, name = bounded_domain(kind, d)
        for label, net in nets:
            tv, nv = best_cpu(repeat, count, net, dom, True)
            hrep.EXACT_MAX_DIM, hrep.CROSS_EXACT_MAX_DIM = 0, 0
            try:
                th, nh = best_cpu(repeat, count, net, dom, True)
            finally:
                hrep.EXACT_MAX_DIM, hrep.CROSS_EXACT_MAX_DIM = keep
            assert nv == nh, (label, d, kind, nv, nh)
            load = os.getloadavg()[0]
            print(f"| {label} | {name} | {nv} | {tv:.3f} | {th:.3f} | {th / tv:.2f} | {load:.1f} |",
                  flush=True)


def linear_count(net, dom, exact=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind="linear", exact=exact, progress=False)


def altered(net, how):
    """``net`` with the last layer's weight from its hidden unit 0 set to 0 (``"zeroed"``: a unit
    the linear count drops), or its first-layer unit 1 twice unit 0 and read with -1/2 its weights
    (``"duplicate"``: the two cancel, their common hyperplane splits cells of one map, which the
    merge joins across exact facets)."""
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    if how == "zeroed":
        W[-1][:, 0] = 0.0
    else:
        W[0][1], B[0][1] = 2 * W[0][0], 2 * B[0][0]
        W[1][:, 1] = -W[1][:, 0] / 2
    return Network.from_arrays(W, B)


def linear_rows(repeat: int, vertex_dims: int) -> None:
    rows = [([8, 8, 8, 1], 3, "box", None), ([10, 6, 4, 1], 3, "box", None),
            ([12, 6, 6, 1], 3, "box", None), ([20, 8, 8, 1], 0, "box", None),
            ([8, 8, 8, 1], 3, "cross", None), ([8, 8, 8, 1], 3, "box", "zeroed"),
            ([8, 8, 8, 1], 3, "box", "duplicate"), ([10, 8, 6, 1], 3, "box", "duplicate"),
            ([12, 8, 8, 1], 3, "box", "duplicate"), ([20, 8, 8, 1], 0, "box", "duplicate")]
    print("| network | domain | cells | linear regions | exact act. CPU s | exact linear CPU s "
          "| linear / act. | exact linear, vertex engine CPU s | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for dims, seed, kind, how in rows:
        d = dims[0]
        net = random_mlp(dims, seed=seed)
        if how:
            net = altered(net, how)
        dom, name = bounded_domain(kind, d)
        ta, na = best_cpu(repeat, count, net, dom, True)
        tl, nl = best_cpu(repeat, linear_count, net, dom)
        vertex = "-"
        if kind == "box" and d <= vertex_dims:
            with exact_count_dim(hrep.EXACT_MAX_DIM):  # (the exact vertex engine)
                tv, nv = best_cpu(1, linear_count, net, dom)
            assert nv == nl, (dims, nv, nl)
            vertex = f"{tv:.3f}"
        label = f"random_mlp {dims} seed {seed}" + {None: "", "zeroed": ", output weight 0 zeroed",
                                                     "duplicate": ", unit 1 = 2 x unit 0, cancelled"}[how]
        print(f"| {label} | {name} | {na} | {nl} | {ta:.3f} | {tl:.3f} | {tl / ta:.2f} | {vertex} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


@contextlib.contextmanager
def exact_count_dim(d: int):
    """Exact counts take the exact H-representation engine above ``d`` inputs while inside."""
    keep = hrep.EXACT_COUNT_DIM
    hrep.EXACT_COUNT_DIM = d
    try:
        yield
    finally:
        hrep.EXACT_COUNT_DIM = keep


def central_net(d, k, seed, how=None):
    """``k`` generic hyperplanes through the origin of R^d read by one output (a central
    arrangement: ``2^k`` cells for ``k <= d``); ``how`` as :func:`altered` (``"zeroed"``,
    ``"duplicate"``)."""
    rng = np.random.default_rng(seed)
    W, w2 = rng.normal(size=(k, d)), rng.normal(size=(1, k))
    net = Network.from_arrays([W, w2], [np.zeros(k), np.zeros(1)])
    return altered(net, how) if how else net


def unbounded_rows(repeat: int) -> None:
    """Exact linear counts on all of R^n and an unbounded polyhedron (one run on the homogenised
    cube, the cells' facets decided with no box) against the exact activation count; at 5
    inputs also the exact vertex engine's linear count (the route below 8 inputs, and before
    this one up to 16), the H-representation engine forced there."""
    rows = [("central [18, 5, 1]", lambda: central_net(18, 5, 3), None, "32 / 32"),
            ("central [18, 5, 1], output weight 0 zeroed", lambda: central_net(18, 5, 3, "zeroed"), None,
             "32 / 16"),
            ("central [18, 5, 1], unit 1 = 2 x unit 0, cancelled", lambda: central_net(18, 5, 3, "duplicate"),
             None, "16 / 8"),
            ("central [17, 4, 1], output weight 0 zeroed", lambda: central_net(17, 4, 4, "zeroed"), "half",
             "16 / 8"),
            ("random_mlp [17, 4, 4, 1] seed 0", lambda: random_mlp([17, 4, 4, 1], seed=0), None, "-"),
            ("random_mlp [8, 6, 4, 1] seed 0", lambda: random_mlp([8, 6, 4, 1], seed=0), None, "-"),
            ("random_mlp [8, 6, 4, 1] seed 0, unit 1 = 2 x unit 0, cancelled",
             lambda: altered(random_mlp([8, 6, 4, 1], seed=0), "duplicate"), "half", "-"),
            ("random_mlp [5, 6, 4, 1] seed 0", lambda: random_mlp([5, 6, 4, 1], seed=0), None, "-"),
            ("random_mlp [5, 6, 4, 1] seed 0, unit 1 = 2 x unit 0, cancelled",
             lambda: altered(random_mlp([5, 6, 4, 1], seed=0), "duplicate"), "half", "-")]
    print("| network | domain | cells | linear regions | known | exact act. CPU s | exact linear CPU s "
          "| linear / act. | exact linear, vertex engine CPU s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, build, dom, known in rows:
        net = build()
        d = net.input_dim
        domain = None if dom is None else half_space(d)
        with exact_count_dim(min(hrep.EXACT_COUNT_DIM, d - 1)):  # (the H-representation engine)
            ta, na = best_cpu(repeat, count, net, domain, True)
            tl, nl = best_cpu(repeat, linear_count, net, domain)
        vertex = "-"
        if d <= 5:  # (at 8 inputs the vertex engine on the cube's 17 facets ran past 20 minutes)
            with exact_count_dim(hrep.EXACT_MAX_DIM):  # (the exact vertex engine)
                tv, nv = best_cpu(1, linear_count, net, domain)
            assert nv == nl, (label, nv, nl)
            vertex = f"{tv:.3f}"
        if known != "-":
            assert known == f"{na} / {nl}", (label, known, na, nl)
        name = f"R^{d}" if dom is None else f"x1 + x2 <= 1/2 in R^{d}"
        print(f"| {label} | {name} | {na} | {nl} | {known} | {ta:.3f} | {tl:.3f} | {tl / ta:.2f} | {vertex} "
              f"| {os.getloadavg()[0]:.1f} |", flush=True)


def facet_runs(net, dom, exact):
    """The activation count on all of R^n or an unbounded polyhedron as the H-representation engine
    ran it before session 11: one run on each of the ``2n + 1`` facets of the homogenised cube
    (:func:`~tropnet.regions.domains.cube_facets`), the cells joined by pattern."""
    from tropnet.regions.domains import domain_pieces
    from tropnet.regions.hrep import refine_hrep

    dp = domain_pieces(net, dom, exact, count=True)
    pats = [refine_hrep(p.stages, dp.n, p.lo, p.hi, halfspaces=p.halfspaces, exact=exact).patterns
            for p in dp.pieces]
    return len(np.unique(np.vstack(pats), axis=0))


def half_space(d):
    """The unbounded polyhedron ``x1 + x2 <= 1/2`` of R^d."""
    return Polyhedron(np.eye(d)[:1] + np.eye(d)[1:2], np.array([0.5]))


def rn_rows(repeat: int) -> None:
    """Activation counts on all of R^n above 16 inputs, one run against the ``2n + 1`` facet runs
    (exact and float), then exact region sets there against the float ones."""
    rows = [("random_mlp [17, 4, 4, 1] seed 0", lambda: random_mlp([17, 4, 4, 1], seed=0), None),
            ("random_mlp [17, 4, 4, 1] seed 0", lambda: random_mlp([17, 4, 4, 1], seed=0), "half"),
            ("central [18, 5, 1]", lambda: central_net(18, 5, 3), None),
            ("random_mlp [18, 6, 4, 1] seed 0", lambda: random_mlp([18, 6, 4, 1], seed=0), None),
            ("random_mlp [20, 6, 6, 1] seed 0", lambda: random_mlp([20, 6, 6, 1], seed=0), None),
            ("random_mlp [8, 6, 4, 1] seed 0", lambda: random_mlp([8, 6, 4, 1], seed=0), None)]
    print("| network | domain | cells | exact, 2n + 1 runs CPU s | exact, one run CPU s | one / 2n + 1 "
          "| float, 2n + 1 runs CPU s | float, one run CPU s | one / 2n + 1 | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, build, dom in rows:
        net = build()
        d = net.input_dim
        domain = None if dom is None else half_space(d)
        keep = hrep.HREP_COUNT_DIMS
        hrep.HREP_COUNT_DIMS = dict(keep, **{"cube facets": min(keep["cube facets"], d - 1)})  # (float: too)
        try:
            with exact_count_dim(min(hrep.EXACT_COUNT_DIM, d - 1)):  # (the H-representation engine)
                te, ne = best_cpu(repeat, count, net, domain, True)
                tef, nef = best_cpu(1, facet_runs, net, domain, True)
            tf, nf = best_cpu(repeat, count, net, domain, False)
            tff, nff = best_cpu(1, facet_runs, net, domain, False)
        finally:
            hrep.HREP_COUNT_DIMS = keep
        assert ne == nef == nf == nff, (label, ne, nef, nf, nff)
        name = f"R^{d}" if dom is None else f"x1 + x2 <= 1/2 in R^{d}"
        print(f"| {label} | {name} | {ne} | {tef:.3f} | {te:.3f} | {te / tef:.3f} | {tff:.3f} | {tf:.3f} "
              f"| {tf / tff:.3f} | {os.getloadavg()[0]:.1f} |", flush=True)
    print()
    print("| network | domain | cells | facets | bounded | float CPU s | exact CPU s | exact / float "
          "| load |")
    print("|---|---|---|---|---|---|---|---|---|")
    sets = [("random_mlp [17, 4, 1] seed 0", random_mlp([17, 4, 1], seed=0), None),
            ("random_mlp [18, 6, 1] seed 0", random_mlp([18, 6, 1], seed=0), None),
            ("random_mlp [17, 4, 4, 1] seed 0", random_mlp([17, 4, 4, 1], seed=0), None),
            ("random_mlp [17, 4, 4, 1] seed 0", random_mlp([17, 4, 4, 1], seed=0), "half"),
            ("random_mlp [18, 6, 4, 1] seed 0", random_mlp([18, 6, 4, 1], seed=0), None)]
    for label, net, dom in sets:
        d = net.input_dim
        domain = None if dom is None else half_space(d)
        tf, nf = best_cpu(repeat, regions, net, domain, False, bounded=True)
        te, ne = best_cpu(repeat, regions, net, domain, True, bounded=True)
        assert nf == ne, (label, nf, ne)
        name = f"R^{d}" if dom is None else f"x1 + x2 <= 1/2 in R^{d}"
        print(f"| {label} | {name} | {ne[0]} | {ne[1]} | {ne[2]} | {tf:.3f} | {te:.3f} | {te / tf:.2f} "
              f"| {os.getloadavg()[0]:.1f} |", flush=True)


def regions(net, dom, exact, kind="activation", bounded=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = tropnet.linear_regions(net, dom, kind=kind, exact=exact, progress=False)
        rs._g()  # the geometry (facets, neighbours, maps) is lazy: computed here
        out = len(rs), int(np.diff(rs._facet_off).sum())
        return (*out, sum(r.bounded for r in rs)) if bounded else out


def regionset_rows(repeat: int) -> None:
    """Exact region sets on the exact H-representation engine (every cell's facets decided
    exactly: :mod:`tropnet.regions.hrep_exact_regions`) against the float region sets of the same
    engine above 16 inputs (7 on a cross-polytope), and against the exact vertex engine at 8-10
    inputs (the H-representation engine forced by lowering the cutoff)."""
    rows = [([17, 4, 1], 0, "box"), ([18, 6, 1], 0, "box"), ([20, 8, 1], 0, "box"), ([18, 6, 4, 1], 0, "box"),
            ([12, 8, 1], 0, "cross"), ([20, 8, 8, 1], 0, "cross")]
    print("| network | domain | cells | facets | float CPU s | exact CPU s | exact / float | load |")
    print("|---|---|---|---|---|---|---|---|")
    for dims, seed, kind in rows:
        net, dom, name, tf, te, ne = float_and_exact(repeat, regions, dims, seed, kind)
        print(f"| random_mlp {dims} seed {seed} | {name} | {ne[0]} | {ne[1]} | {tf:.3f} | {te:.3f} "
              f"| {te / tf:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)
    print()
    print("| network | domain | cells | facets | exact vertex CPU s | exact H-rep CPU s | H-rep / vertex "
          "| load |")
    print("|---|---|---|---|---|---|---|---|")
    keep = hrep.EXACT_MAX_DIM
    for dims, seed in (([8, 6, 4, 1], 0), ([10, 6, 1], 0)):
        net, dom = random_mlp(dims, seed=seed), Box(-1, 1)
        tv, nv = best_cpu(1, regions, net, dom, True)
        hrep.EXACT_MAX_DIM = 0
        try:
            th, nh = best_cpu(repeat, regions, net, dom, True)
        finally:
            hrep.EXACT_MAX_DIM = keep
        assert nv == nh, (dims, nv, nh)
        print(f"| random_mlp {dims} seed {seed} | [-1, 1]^{dims[0]} | {nv[0]} | {nv[1]} | {tv:.3f} "
              f"| {th:.3f} | {th / tv:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="high,crossover,linear,unbounded,rn,regionset")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dims", default="4,5,6,7")
    ap.add_argument("--box-dims", default="8,12,16")
    ap.add_argument("--vertex-dims", type=int, default=8,
                    help="linear rows: the exact vertex engine's linear count up to this many inputs "
                         "(its [12, 8, 8, 1] duplicate row ran past 12 minutes)")
    a = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    if "high" in a.only:
        high_rows(a.repeat)
    if "crossover" in a.only:
        crossover_rows([int(v) for v in a.dims.split(",") if v], [int(v) for v in a.box_dims.split(",") if v],
                       a.repeat)
    if "linear" in a.only:
        linear_rows(a.repeat, a.vertex_dims)
    if "unbounded" in a.only:
        unbounded_rows(a.repeat)
    if "rn" in a.only.split(","):
        rn_rows(a.repeat)
    if "regionset" in a.only:
        regionset_rows(a.repeat)


if __name__ == "__main__":
    main()
