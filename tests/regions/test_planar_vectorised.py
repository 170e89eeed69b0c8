"""The 2-D linear certificate's numpy loops, batched (session 11: no reduction or gather over a
short last axis, flat gathers, one slope bound per polygon first, the walk along the edges by
prefixes) -- a pure speed change, checked against plain loops written here, the compiled loops
(:mod:`tropnet.regions.planar_jit`, their Python bodies where numba is missing the compiled ones),
and exact linear counts in rationals, on random, degenerate and coincident networks, boxes,
triangles, R^2 and planes through data points."""

import importlib.util
import warnings

import numpy as np
import pytest
from testnets import activated, degenerate_net, scaled_copies_net, sparse_net, unit_classes_net

import tropnet
from tropnet import Box, Plane, Polyhedron
from tropnet.regions import planar_linear, planar_merge, pool
from tropnet.regions.plan import make_plan
from tropnet.regions.planar import count_cells
from tropnet.regions.planar_stretches import _row_max, _Stretches

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
_KERNELS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed"))]


def _coincident(widths, seed, scale, eps=0.0):
    """``random_mlp(widths, seed)`` whose last hidden layer's unit 1 is ``scale`` times unit 0 (plus
    ``eps`` noise in its weights): coincident (or nearly) lines of the last layer in root polygons."""
    net = tropnet.random_mlp(widths, seed=seed)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[-2][1] = scale * W[-2][0] + eps * np.random.default_rng(seed).normal(size=W[-2].shape[1])
    B[-2][1] = scale * B[-2][0]
    return tropnet.Network.from_arrays(W, B)


_TRIANGLE = Polyhedron([[1.0, 1.0], [-1.0, 0.2], [0.1, -1.0]], [3.0, 2.0, 2.5])


def _cases():
    out = []
    for seed in range(4):
        w = 5 + seed
        out += [
            (f"random {seed}", tropnet.random_mlp([2, w, w, 1 + seed % 2], seed=seed), Box(-4, 4)),
            (f"random triangle {seed}", tropnet.random_mlp([2, w, w, 1], seed=seed), _TRIANGLE),
            (f"sparse {seed}", sparse_net([2, w, w, 1], seed, keep=0.3), Box(-3, 3)),
            (f"degenerate {seed}", degenerate_net(seed, 2, w, 1 + seed % 2), Box(-3, 3)),
            (f"scaled copies {seed}", scaled_copies_net(seed, 2, w, [2, -1][: 1 + seed % 2], bool(seed % 2)), Box(-3, 3)),
            (f"unit classes {seed}", unit_classes_net(seed, 2, max(w, 6), 2, 3, zero_bias=bool(seed % 2)), Box(-3, 3)),
            (f"coincident {seed}", _coincident([2, w, w, 1], seed, (2.0, -1.0, 0.5, 3.0)[seed]), Box(-3, 3)),
            (f"nearly coincident {seed}", _coincident([2, w, w, 1], seed, 2.0, 10.0 ** -(5 + 2 * seed)), Box(-3, 3)),
            (f"leaky sparse {seed}", activated(sparse_net([2, w, w, 1], seed, keep=0.3), "leaky"), Box(-3, 3)),
            (f"threshold {seed}", activated(tropnet.random_mlp([2, w, w, 1], seed=seed), "threshold"), Box(-3, 3)),
        ]
        rng = np.random.default_rng(seed)
        d = 3 + seed
        pts = rng.integers(-1, 2, size=(3, d)).astype(float)  # data points on the integer grid
        if np.linalg.matrix_rank(pts[1:] - pts[0]) == 2:
            out.append((f"plane through data {seed}", degenerate_net(seed, d, w, 1), Plane.through(*pts, margin=0.5)))
        out.append((f"sparse plane {seed}", sparse_net([d, w, w, 2], seed, keep=0.3),
                    Plane.through(*rng.uniform(0, 1, size=(3, d)))))
    return out


_CASES = _cases()


def _last_layer(net, dom):
    plan = make_plan(net, dom, want="count", kind="linear")
    piece = plan.domain.pieces[0]
    stats = {"last_layer": None}
    cells = count_cells(plan.net.lowered(), piece.lo, piece.hi, halfspaces=piece.halfspaces, stats=stats)
    return plan.domain.stages, stats["last_layer"], piece, cells


def _certificate(net, dom):
    """The float certificate's answer and the failed edges it hands to the joins."""
    stages, last, piece, cells = _last_layer(net, dom)
    failed = []
    ok = planar_linear.no_shared_maps(stages, last, piece.lo, piece.hi, piece.halfspaces, failed=failed)
    edges = [tuple(np.asarray(rec[k]).tolist() for k in ("p", "q", "A", "B")) for rec in failed]
    flips = [None if rec.get("flips") is None else tuple(np.asarray(a).tolist() for a in rec["flips"])
             for rec in failed]
    return ok, edges, flips, planar_merge.certified_count(stages, last, cells, piece.lo, piece.hi, piece.halfspaces)


@pytest.mark.parametrize("name,net,dom", _CASES, ids=[c[0] for c in _CASES])
def test_numpy_certificate_equals_the_compiled_one_and_exact_counts(name, net, dom, monkeypatch):
    """The numpy certificate (every check, the failed edges and the crossings it hands on) equals
    the compiled loops' (where numba is installed); the float and exact linear counts are the
    same on both kernels, and the exact count equals the exact region set's merge in rationals."""
    counts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kernels in ("numpy", "numba") if HAVE_NUMBA else ("numpy",):
            monkeypatch.setitem(pool._KERNELS, "choice", kernels)
            counts[kernels] = (_certificate(net, dom), tropnet.count_linear_regions(net, dom, progress=False),
                               tropnet.count_linear_regions(net, dom, exact=True, progress=False))
        exact = len(tropnet.linear_regions(net, dom, exact=True, progress=False))
    assert len({repr(c) for c in counts.values()}) == 1, counts
    cert, float_count, exact_count = counts["numpy"]
    assert exact_count == exact
    assert cert[3] is None or cert[3] == float_count  # (the count without the merge, where it has one)


def test_some_cases_fail_inside_and_some_on_edges(monkeypatch):
    """The cases reach every branch: coincident lines refused inside a root polygon, failed root
    edges handed to the joins, certificates that hold."""
    monkeypatch.setitem(pool._KERNELS, "choice", "numpy")
    seen = {"inside": 0, "edges": 0, "held": 0}
    real = planar_linear._inside_ok

    def spy(*a, **k):
        out = real(*a, **k)
        seen["inside"] += out is None
        return out

    monkeypatch.setattr(planar_linear, "_inside_ok", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, net, dom in _CASES:
            ok, edges, _, _ = _certificate(net, dom)
            seen["held"] += ok
            seen["edges"] += bool(edges)
    assert all(seen.values()), seen


def _inside_reference(s, coords, ids, pr, pu, Ez, wmax, jump, need):
    """:func:`planar_linear._inside_ok`'s tests pair by pair in plain Python (its documented rule):
    whether it certifies, and each pair's slope bound (the value compared with ``need``)."""
    U = planar_linear._U
    norm, bound = [], []
    for r, u in zip(pr, pu):
        vals = [float(s[ids[r, k], u]) for k in range(ids.shape[1])]
        kmax, kmin = int(np.argmax(vals)), int(np.argmin(vals))
        a, b = ids[r, kmax], ids[r, kmin]
        dx = abs(coords[a, 0] - coords[b, 0]) + abs(coords[a, 1] - coords[b, 1])
        slope = (vals[kmax] - vals[kmin] - 2 * Ez[u]) * (1 - 4 * U) / (dx * (1 + 4 * U))
        bound.append(jump * wmax[u] * slope * (1 - 4 * U))
        sgn = -1.0 if vals[0] < 0 else 1.0
        top = max(abs(v) for v in vals)
        norm.append([v / sgn / top for v in vals])
    if not all(x > need for x in bound):
        return False, bound
    for i in range(len(pr)):
        for j in range(i + 1, len(pr)):
            if pr[i] == pr[j] and all((x > 0) == (y > 0) for x, y in zip(norm[i], norm[j])):
                if max(abs(x - y) for x, y in zip(norm[i], norm[j])) <= 1e-6:
                    return False, bound
    return True, bound


@pytest.mark.parametrize("seed", range(12))
def test_inside_ok_equals_plain_loops(seed):
    """The batched test of the facets inside root polygons (a slope bound from each polygon's box
    first, the vertices' own where it fails) equals the same tests written pair by pair, on engine
    runs whose last layer has coincident, nearly coincident and general lines, with a ``need``
    below every pair's bound, at the smallest bound and between bounds."""
    scale, eps = [(2.0, 0.0), (-1.0, 0.0), (0.5, 1e-9), (3.0, 1e-4), (1.0, 1e-7), (2.0, 1e-5)][seed % 6]
    net = _coincident([2, 6 + seed % 5, 6 + seed % 5, 1], seed, scale, eps)
    dom = Box(-3, 3) if seed % 3 else _TRIANGLE
    stages, last, piece, _ = _last_layer(net, dom)
    if last is None or last.get("pairs") is None or not len(last["pairs"][0]):
        pytest.skip("no root polygon crossed")
    s, coords, rows, cnt = last["s"], last["coords"], last["rows"], last["cnt"]
    Wa = np.asarray(stages[-1].W, dtype=np.float64)
    Ez = np.full(s.shape[1], 1e-12)
    ids = planar_linear._padded(rows, cnt)
    pr, pu = last["pairs"]
    wmax = np.abs(Wa).max(axis=0)
    bound = np.array(_inside_reference(s, coords, ids, pr, pu, Ez, wmax, 1.0, 0.0)[1])
    old = pool.use_kernels("numpy")
    try:
        for need in (1e-9, float(np.nextafter(bound.min(), -1.0)), float(bound.min()), float(np.median(bound))):
            got = planar_linear._inside_ok(s, last["on"], coords, rows, cnt, Ez, Wa, 1.0, need, (pr, pu))
            assert (got is not None) == _inside_reference(s, coords, ids, pr, pu, Ez, wmax, 1.0, need)[0]
            if got is not None:  # the units crossing each polygon, by polygon
                ptr, units = got
                assert ptr[-1] == len(pr) and np.array_equal(units, pu)
    finally:
        pool.use_kernels(old)


def _walk_reference(v, wf, ev, fe, fu, sign, Wa, jump, need):
    """:meth:`_Stretches._walk` edge by edge and crossing by crossing (the sums in the same order)."""
    U = planar_linear._U
    ok = []
    for e in range(len(v)):
        ve = v[e].copy()
        acc = np.abs(ve)
        good = (np.max(acc) - ev[e]) * (1 - 4 * U) > need
        for j, f in enumerate(np.flatnonzero(fe == e)):
            dj = sign[f] * jump * wf[f] * Wa[:, fu[f]]
            ve = ve + dj
            acc = acc + (np.abs(dj) + np.abs(ve) * U)
            lower = np.max(np.abs(ve) - planar_linear._gamma(j + 2) * acc) - ev[e]
            good = good and lower * (1 - 4 * U) > need
        ok.append(bool(good))
    return np.array(ok)


@pytest.mark.parametrize("seed", range(10))
def test_walk_equals_plain_loops(seed):
    """The walk along the edges (edges with the most crossings first, by prefixes) equals the same
    sums edge by edge, with one or several outputs, NaN and inf among the values."""
    rng = np.random.default_rng(seed)
    k, nL, out = int(rng.integers(1, 40)), 6, 1 + seed % 3
    Wa = rng.normal(size=(out, nL))
    nflip = rng.geometric(0.5, size=k) - 1
    fe = np.repeat(np.arange(k), nflip)
    fu = rng.integers(0, nL, size=len(fe))
    sign = rng.choice([-1.0, 1.0], size=len(fe))
    wf = rng.normal(size=len(fe)) * 10.0 ** rng.integers(-3, 3, size=len(fe))
    v = rng.normal(size=(k, out))
    ev = np.abs(rng.normal(size=k)) * 0.1
    if seed % 4 == 3 and len(fe):
        wf[0] = np.nan
        v[-1, 0] = np.inf
    st = _Stretches.__new__(_Stretches)
    st.need, st.Wa, st.jump = 0.05, Wa, 0.75
    with np.errstate(invalid="ignore", over="ignore"):
        got = st._walk(v.copy(), wf, ev, fe, fu, sign)
        want = _walk_reference(v, wf, ev, fe, fu, sign, Wa, 0.75, 0.05)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("cols", [1, 2, 3, 11])
def test_row_max_is_numpys_max(cols):
    """Row maxima by ``argmax``: numpy's ``max(axis=1)``, NaN where a row has one."""
    rng = np.random.default_rng(cols)
    a = rng.normal(size=(50, cols))
    a[rng.random(a.shape) < 0.1] = np.nan
    a[3] = 1.0  # ties
    assert np.array_equal(_row_max(a), a.max(axis=1), equal_nan=True)


def test_best_vertex_is_argmax():
    """The far vertex of each edge among candidates: the first of the largest score, or the
    first NaN (numpy's ``argmax`` over the candidates)."""
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(30, 2))
    coords[5] = coords[6]  # a repeated vertex: tied scores
    p = rng.integers(0, 30, size=200)
    t = rng.normal(size=(200, 2))
    t[:5] = 0.0  # NaN scores (0 / 0)
    R = rng.integers(0, 30, size=(4, 200))
    R[1, :50] = 5
    R[2, :50] = 6
    tt = t[:, 0] * t[:, 0] + t[:, 1] * t[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        a, score = planar_linear._best(coords, R, p, t, tt)
        rel = coords[R] - coords[p]
        sc = np.abs(t[:, 0] * rel[..., 1] - t[:, 1] * rel[..., 0]) / (np.abs(rel[..., 0] * t[:, 0] + rel[..., 1] * t[:, 1]) + tt)
    k = sc.argmax(axis=0)
    assert np.array_equal(a, R[k, np.arange(200)])
    assert np.array_equal(score, sc[k, np.arange(200)], equal_nan=True)
