"""The fast exact geometry (certified float cells + exact integer rows) against the rational
pass, an exact forward pass and cdd.gmp."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import Box, LeakyReLU, Linear, Maxout, Network, Polyhedron, Threshold, random_mlp
from tropnet.regions import geometry
from tropnet.regions.exactness import _Inconsistent
from tropnet.regions.geometry import build_region_set
from tropnet.regions.plan import find_cells


def _mixed_net(seed: int) -> Network:
    """Leaky slope 1/4, a threshold at 1/2 and a maxout layer (dyadic, so certifiable)."""
    rng = np.random.default_rng(seed)
    return Network(
        [
            Linear(rng.normal(size=(6, 2)), rng.normal(size=6)),
            LeakyReLU(0.25),
            Linear(rng.normal(size=(6, 6)), rng.normal(size=6)),
            Maxout(2),
            Linear(rng.normal(size=(4, 3)), rng.normal(size=4)),
            Threshold(0.5),
            Linear(rng.normal(size=(2, 4))),
        ]
    )


CASES = [
    (random_mlp([2, 6, 6, 1], seed=1), Box(-3, 3)),
    (random_mlp([2, 6, 6, 1], seed=2), None),
    (random_mlp([2, 5, 5, 2], seed=3), Polyhedron([[-1, 0], [0, -1], [1, 1]], [2, 2, 2])),
    (random_mlp([2, 5, 5, 1], seed=5), Polyhedron([[-1, 0]], [0])),
    (random_mlp([3, 5, 5, 1], seed=5), Box(-2, 2)),
    (random_mlp([3, 6, 6, 1], seed=0), None),
    (random_mlp([4, 5, 4, 1], seed=7), Box(-2, 2)),
    (_mixed_net(8), Box(-2, 2)),
    (_mixed_net(9), None),
]


def _facet_set(r):
    return sorted(zip(map(tuple, r.A.tolist()), r.b.tolist()))


@pytest.mark.parametrize("net, dom", CASES)
def test_certified_geometry_equals_the_rational_pass(net, dom):
    found = find_cells(net, dom, exact=True, codes=True)
    assert found.vert_codes is not None  # the fast path really ran
    fast = build_region_set(found, "linear")
    slow = build_region_set(find_cells(net, dom, exact=True), "linear")
    assert len(fast) == len(slow) and fast.num_cells == slow.num_cells
    where = {tuple(p): i for i, p in enumerate(slow.patterns.tolist())}
    fa, sa = fast._activation_view(), slow._activation_view()
    exact_net = net.to_exact()
    d = fast.dim
    for j, p in enumerate(fast.patterns.tolist()):
        i = where[tuple(p)]
        rf, rs = fa[j], sa[i]
        assert _facet_set(rf) == _facet_set(rs)
        Wf, cf = rf.affine_map
        Ws, cs = rs.affine_map
        assert (Wf == Ws).all() and (cf == cs).all()
        assert rf.bounded == rs.bounded
        x = rf.interior_point
        assert all(isinstance(v, Fraction) for v in x)
        assert all(rf.A[k].dot(x) < rf.b[k] for k in range(len(rf.b)))
        # the map is the network's: an exact forward pass at the interior point
        assert list(Wf.dot(x) + cf) == list(exact_net(x))
        if d <= 3 and j % 3 == 0:
            assert sorted(map(tuple, rf.vertices().tolist())) == sorted(map(tuple, rs.vertices().tolist()))
    # the same linear regions: the two labelings are the same partition of the patterns
    pairs = {(fast.labels[j], slow.labels[where[tuple(p)]]) for j, p in enumerate(fast.patterns.tolist())}
    assert len(pairs) == len(fast) == len(slow)
    # the same adjacency, as pairs of patterns
    def adj(rs):
        cells = rs._activation_view()
        e = cells.adjacency()
        return {frozenset((tuple(cells.patterns[a]), tuple(cells.patterns[b]))) for a, b in e.tolist()}

    assert adj(fast) == adj(slow)


@settings(max_examples=12)
@given(
    seed=st.integers(0, 10**6),
    d=st.integers(1, 3),
    w1=st.integers(1, 5),
    w2=st.integers(1, 4),
    out=st.integers(1, 2),
    rn=st.booleans(),
)
def test_certified_equals_rational_on_random_networks(seed, d, w1, w2, out, rn):
    net = random_mlp([d, w1, w2, out], seed=seed)
    dom = None if rn else Box(-2, 3)
    slow = build_region_set(find_cells(net, dom, exact=True), "linear")  # the rational pass only
    fast = tropnet.linear_regions(net, dom, exact=True)  # whatever path the public call takes
    where = {tuple(p): i for i, p in enumerate(slow.patterns.tolist())}
    assert sorted(where) == sorted(map(tuple, fast.patterns.tolist()))
    fa, sa = fast._activation_view(), slow._activation_view()
    for j, p in enumerate(fast.patterns.tolist()):
        assert _facet_set(fa[j]) == _facet_set(sa[where[tuple(p)]])
    pairs = {(fast.labels[j], slow.labels[where[tuple(p)]]) for j, p in enumerate(fast.patterns.tolist())}
    assert len(pairs) == len(fast) == len(slow)


def test_rn_pieces_that_need_the_rational_pass_do_not_mix_with_certified_ones():
    # on R^2 some facet pieces of the homogenised run are certified and one is not (a unit
    # vanishes at infinity): their float and exact vertex pools were joined, the exact facet
    # test found no facets on the float vertices, and 7 linear regions came out instead of 6
    net = random_mlp([2, 2, 2, 1], seed=628)
    assert find_cells(net, None, exact=True, codes=True).vert_codes is None
    rational = build_region_set(find_cells(net, None, exact=True), "linear")
    assert tropnet.count_linear_regions(net, exact=True) == len(rational) == 6
    assert tropnet.count_linear_regions(net) == 6


def test_certified_vertices_match_cdd():
    cdd_gmp = pytest.importorskip("cdd.gmp")
    import cdd

    rs = tropnet.linear_regions(random_mlp([3, 5, 5, 1], seed=11), Box(-2, 2), kind="activation", exact=True)
    assert rs._vert_facets is not None  # certified set: vertices solved from the facets
    for r in list(rs)[:: max(1, len(rs) // 8)]:
        H = [[bi] + [-a for a in row] for row, bi in zip(r.A.tolist(), r.b.tolist())]
        P = cdd_gmp.polyhedron_from_matrix(cdd_gmp.matrix_from_array(H, rep_type=cdd.RepType.INEQUALITY))
        ref = sorted(tuple(g[1:]) for g in cdd_gmp.copy_generators(P).array)
        assert sorted(map(tuple, r.vertices().tolist())) == ref


@pytest.mark.parametrize("d", [2, 3])
def test_certified_volumes_tile_the_box(d):
    rs = tropnet.linear_regions(random_mlp([d, 5, 5, 1], seed=d), Box(-1, 2), kind="activation", exact=True)
    assert rs._vert_facets is not None
    assert sum((r.volume() for r in rs), Fraction(0)) == Fraction(3) ** d


def test_bounded_cells_on_rn_report_only_true_vertices():
    # bounded cells of R^n can cross the cube of the homogenised run: its cut points are not
    # vertices (they were reported as such before); float and exact agree with cdd's count
    net = random_mlp([3, 6, 6, 1], seed=0)
    for exact in (False, True):
        rs = tropnet.linear_regions(net, kind="activation", exact=exact)
        for r in rs:
            if not r.bounded:
                continue
            V = np.asarray(r.vertices(), dtype=np.float64)
            A, b = np.asarray(r.A, dtype=np.float64), np.asarray(r.b, dtype=np.float64)
            tight = np.abs(V.dot(A.T) - b) <= 1e-9 * (1 + np.abs(b))
            assert all(np.linalg.matrix_rank(A[t]) == 3 for t in tight)


def test_non_dyadic_input_falls_back_to_the_rational_pass():
    rng = np.random.default_rng(3)
    W = [[Fraction(int(v), 3) for v in row] for row in rng.integers(-5, 6, size=(4, 2))]
    net = Network([Linear(W, [Fraction(1, 3)] * 4), LeakyReLU(Fraction(1, 3)), Linear([[1, -1, 1, 2]])])
    # thirds are not floats: the rational pass runs (and still reports tight codes when its
    # vertices are simple, so the geometry comes from the codes)
    rs = tropnet.linear_regions(net, Box(-2, 2), exact=True)
    slow = build_region_set(find_cells(net, Box(-2, 2), exact=True), "linear")
    assert tropnet.count_linear_regions(net, Box(-2, 2), exact=True) == len(rs) == len(slow) >= 1
    where = {tuple(p): i for i, p in enumerate(slow.patterns.tolist())}
    for j, p in enumerate(rs.patterns.tolist()):
        assert _facet_set(rs._activation_view()[j]) == _facet_set(slow._activation_view()[where[tuple(p)]])


def test_an_inconsistent_certificate_reruns_the_rational_pass(monkeypatch):
    net = random_mlp([2, 6, 6, 1], seed=5)
    ref = tropnet.linear_regions(net, Box(-3, 3), exact=True)

    def broken(found):
        raise _Inconsistent

    monkeypatch.setattr(geometry, "_code_facets", broken)
    rs = tropnet.linear_regions(net, Box(-3, 3), exact=True)
    assert rs._vert_facets is None and len(rs) == len(ref)


def test_rational_forward_pass_equals_the_entrywise_products():
    # the exact engine's forward passes (program.forward_stages on python-flint rationals) go
    # through one fmpq_mat product per affine stage: equal, entry by entry, to numpy's loop of
    # rational products and sums; Fraction entries keep numpy's loop and give the same values
    from flint import fmpq

    from tropnet.regions.exactness import _stage_to_q
    from tropnet.regions.program import _apply, forward_stages, stages_from_network

    exact_stages = stages_from_network(random_mlp([3, 9, 7, 2], seed=4).to_exact(), exact=True)  # Fractions
    stages = [_stage_to_q(s) for s in exact_stages]
    rng = np.random.default_rng(0)
    X = np.empty((300, 3), dtype=object)
    X.ravel()[:] = [fmpq(int(p), int(q)) for p, q in zip(rng.integers(-10**6, 10**6, 900), rng.integers(1, 10**6, 900))]
    want = X
    for s in stages:  # numpy's object loop, stage by stage
        want = want.dot(s.W.T) + s.b if s.kind == "affine" else _apply(s, want)
    got = forward_stages(stages, X)
    assert got.shape == want.shape == (300, 2) and (got == want).all()
    fr = np.vectorize(lambda v: Fraction(int(v.p), int(v.q)), otypes=[object])
    assert (forward_stages(exact_stages, fr(X)) == fr(want)).all()
