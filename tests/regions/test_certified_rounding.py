"""The certified pass on exact layers that are not floats (a slice's first layer: the network's
weights times the slice's directions): rounded with a rigorous bound
(:func:`tropnet.regions.exactness._stage_to_float`), its forward passes in float64 for wide
layers (:func:`tropnet.regions.exactness._affine_float64`), and the last layer's few values
within their bound of zero decided at the exact vertex
(:func:`tropnet.regions.planar_count._exact_values`).  Checked against rational arithmetic and
the rational pass, never the certified pass's own output."""

import warnings
from fractions import Fraction as F

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network, Plane
from tropnet.kernels.certify import CERT_DTYPE, UNIT_ROUNDOFF
from tropnet.networks.layers import Linear, ReLU
from tropnet.regions import exactness
from tropnet.regions.exactness import Exactness, _forward_with_error, _rounded, _stage_to_float
from tropnet.regions.plan import make_plan
from tropnet.regions.planar_count import count_last_layer_2d
from tropnet.regions.program import Stage, stages_from_network


def _exact(v) -> F:
    return F(*v.as_integer_ratio()) if isinstance(v, (np.floating, float)) else F(v)


def test_rounded_entries_are_within_their_bound():
    rng = np.random.default_rng(0)
    vals = [F(int(p), int(q)) * F(2) ** int(e) for p, q, e in
            zip(rng.integers(-10**12, 10**12, 500), rng.integers(1, 10**9, 500), rng.integers(-300, 300, 500))]
    out = _rounded(np.array(vals, dtype=object))
    assert out.dtype == CERT_DTYPE
    for v, r in zip(vals, out):
        assert abs(_exact(r) - v) <= 2 * F(UNIT_ROUNDOFF) * abs(_exact(r))
    st = _stage_to_float(Stage("affine", W=np.array([[F(1, 3)]], dtype=object), b=np.array([F(0)], dtype=object)))
    assert st.rounding > 0
    assert _stage_to_float(Stage("affine", W=np.array([[0.5]]), b=np.array([0.25]))).rounding == 0


def _exact_forward(stages, X):
    z = [[_exact(v) for v in row] for row in X]
    for st in stages:
        if st.kind == "affine":
            W = [[_exact(v) for v in row] for row in np.asarray(st.W, dtype=object)]
            b = [_exact(v) for v in np.asarray(st.b, dtype=object)]
            z = [[sum((w * x for w, x in zip(Wr, row)), F(0)) + bi for Wr, bi in zip(W, b)] for row in z]
        else:
            z = [[max(v, F(0)) if i in set(st.idx.tolist()) else v for i, v in enumerate(row)] for row in z]
    return z


@pytest.mark.parametrize("blas", [False, True])
def test_forward_bounds_hold_against_rationals(monkeypatch, blas):
    # an exact first layer of thirds and sevenths (rounded), then float layers 64 wide; the
    # float64 path (BLAS) on or off
    if blas:
        monkeypatch.setattr(exactness, "BLAS_MIN_WORK", 0)
    else:
        monkeypatch.setattr(exactness, "BLAS_MIN_INPUTS", 10**9)
    rng = np.random.default_rng(1)
    W1 = np.array([[F(int(p), int(q)) for p, q in zip(rng.integers(-9, 10, 2), rng.choice([3, 7, 21], 2))]
                   for _ in range(64)], dtype=object)
    b1 = np.array([F(int(p), 3) for p in rng.integers(-9, 10, 64)], dtype=object)
    net = Network([Linear(W1, b1), ReLU(), Linear(rng.normal(size=(64, 64)), rng.normal(size=64)), ReLU(),
                   Linear(rng.normal(size=(3, 64)), rng.normal(size=3))])
    exact_stages = stages_from_network(net, stored=True)
    cert = [_stage_to_float(st) for st in exact_stages]
    assert cert[0].rounding > 0
    X = rng.uniform(-2, 2, size=(12, 2)).astype(CERT_DTYPE)
    Z, err = _forward_with_error(cert, X, np.zeros(len(X), dtype=CERT_DTYPE))
    Zx = _exact_forward(exact_stages, X)
    for i in range(len(X)):
        gap = max(abs(_exact(Z[i, j]) - Zx[i][j]) for j in range(Z.shape[1]))
        assert gap <= _exact(err[i])
        assert err[i] < 1e-9  # and the bound is a bound, not a wall


def _rational_count(net, dom) -> int:
    plan = make_plan(net, dom, want="count", kind="activation", exact=True)
    return len(plan.find(Exactness(True, False, False)))


def _count(net, dom, exact=True, kind="activation"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind=kind, exact=exact, progress=False)


def test_an_exact_first_layer_is_not_rounded_away():
    # x = 1/3, y = 1/3 and x/3 + y/3 = 2/9 meet in one point: 6 regions; their float64
    # roundings do not (a thin triangle, 7): an exact count of the network, whose other layers
    # are floats, used to count the rounded one
    W1 = np.array([[F(1), F(0)], [F(0), F(1)], [F(1, 3), F(1, 3)]], dtype=object)
    b1 = np.array([F(-1, 3), F(-1, 3), F(-2, 9)], dtype=object)
    mixed = Network([Linear(W1, b1), ReLU(), Linear(np.array([[1.0, 1.0, 1.0]]), np.array([0.0]))])
    assert not mixed.exact
    assert _count(mixed, Box(-1, 1)) == _count(mixed.to_exact(), Box(-1, 1)) == 6


@pytest.mark.parametrize("tiny", [2.0**-70, -(2.0**-70), 2.0**-40, 0.0])
def test_values_within_their_bound_are_decided_exactly(tiny):
    # a second-layer line 2^-70 from the vertex (1/3, 1/3) of an exact first layer: inside the
    # certified bound there, decided at the exact vertex (0: an exact tie, the engine decides)
    W1 = np.array([[F(1), F(0)], [F(0), F(1)], [F(1), F(-2)]], dtype=object)
    b1 = np.array([F(-1, 3), F(-1, 3), F(1, 5)], dtype=object)
    W2 = np.array([[1.0, -1.0, 0.5], [1.0, 1.0, -1.0], [0.0, 1.0, 1.0]])
    net = Network([Linear(W1, b1), ReLU(), Linear(W2, np.array([tiny, -1.0, -0.25])), ReLU(),
                   Linear(np.ones((1, 3)), np.zeros(1))])
    ref = _rational_count(net, Box(-2, 2))
    fast = count_last_layer_2d(net, Box(-2, 2))
    if tiny != 0:
        assert fast == ref  # the certified path decided it
    else:
        assert fast is None
    assert _count(net, Box(-2, 2)) == ref


@pytest.mark.parametrize("seed", range(4))
def test_exact_counts_on_planes_through_rational_points(seed):
    # the slice's first layer has denominators far beyond float64: rounded, certified
    rng = np.random.default_rng(seed)
    net = tropnet.random_mlp([6, 12, 12, 1], seed=seed)
    pts = [[F(int(v), 3 ** int(k)) for v, k in zip(rng.integers(-9, 10, 6), rng.integers(1, 4, 6))] for _ in range(3)]
    pl = Plane.through(*[np.array(p, dtype=object) for p in pts])
    sliced = tropnet.networks.embed.slice_network(net, pl, exact=True)
    assert _count(net, pl) == _rational_count(sliced, pl.domain)
    assert _count(net, pl, kind="linear") == _count(sliced.to_exact(), pl.domain, kind="linear")


@pytest.mark.parametrize("block", [512, 7])
@pytest.mark.parametrize("case", ["box 0", "box 1", "rational plane"])
def test_root_vertex_bounds_hold_against_exact_vertices(case, block, monkeypatch):
    # every root vertex an exact linear count hands the certificate: the exact vertex (solved
    # from its tight ids in rationals) within dx of its coordinates, its exact last-layer values
    # within Ev of the values given (``block``: vertex_bounds' blocks of vertices, a partial one last)
    from tropnet.regions import vertex_bounds
    from tropnet.regions.planar_count import _certificate

    monkeypatch.setattr(vertex_bounds, "BLOCK", block)

    if case == "rational plane":
        net = tropnet.random_mlp([5, 10, 10, 1], seed=3)
        pts = [np.array([F(k + i, 3 + i) for i in range(5)], dtype=object) for k in range(3)]
        pl = Plane.through(pts[0], pts[1], pts[2] + np.array([F(1, 7), 0, 0, 0, 0], dtype=object))
        net, dom = tropnet.networks.embed.slice_network(net, pl, exact=True), Box(-2, 2)  # a dyadic box
    else:
        net, dom = tropnet.random_mlp([2, 10, 10, 1], seed=int(case[-1])), Box(-3, 3)
    stats = {"last_layer": None}
    n = count_last_layer_2d(net, dom, stats=stats)
    assert n == _rational_count(net, dom)
    last = stats["last_layer"]
    assert last is not None
    problem = last["problem"]
    ties = _certificate(problem, last["exact_stages"])
    st = last["exact_stages"][last["si"]]
    for k in range(len(last["coords"])):
        got = ties.vertex(last["vertex_T"][k], last["pat"][last["vertex_cell"][k]], last["si"])
        x, M, c = got
        assert max(abs(F(float(v)) - F(int(xv.p), int(xv.q))) for v, xv in zip(last["coords"][k], x)) <= F(last["dx"][k])
        for j, u in enumerate(st.idx):
            z = c[u] + sum((M[u, i] * x[i] for i in range(2)), 0)
            assert abs(F(float(last["s"][k, j])) - F(int(z.p), int(z.q))) <= F(last["Ev"][k])
