"""Region sets and Dask counts on cross-polytopes kept whole (the 1-norm ball lifted in the
H-representation engine's LPs, never its ``2^n`` facets): above 7 inputs, and on a polyhedron of
a cross-polytope's rows.  Checked against an independent count of a one-layer arrangement's
flats and facets, patterns at sampled points, the vertex engine on the ``2^n`` listed rows (in
5 dimensions, with the cutoff lowered), and serial against Dask."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import flats_meeting, listed_rows, merging_net, sparse_net

import tropnet
from tropnet import CrossPolytope, Polyhedron, random_mlp
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions import hrep
from tropnet.regions.at_point import region_at
from tropnet.regions.plan import make_plan


def _patterns_at(net, X):
    return {tuple(int(v) for v in p) for p in region_at(net, X).patterns.reshape(len(X), -1).tolist()}


@pytest.mark.parametrize("d", [8, 11])
def test_region_sets_above_7_d_equal_a_one_layer_arrangement(d):
    # the cells of a generic one-layer arrangement in the open ball are the subsets of
    # hyperplanes whose flat meets it, and their facets sum(|S|) over those subsets
    net = random_mlp([d, 8, 1], seed=d)
    W, b = net.layers[0].float_weight, net.layers[0].float_bias
    c = np.random.default_rng(d).normal(size=d) * 0.3
    cp = CrossPolytope(c, 1.5)
    assert make_plan(net, cp, want="regions").engine == "hrep"
    rs = tropnet.linear_regions(net, cp, kind="activation")
    subsets = flats_meeting(W, b, c, 1.5, "cross", subsets=True)
    assert len(rs) == len(subsets) > 30
    assert len(rs.adjacency()) == sum(len(S) for S in subsets)
    # each interior point is inside the ball, strictly inside its cell's rows, with its pattern
    P = rs.interior_points
    assert np.all(np.abs(P - c).sum(axis=1) < 1.5)
    assert [tuple(p) for p in rs.patterns.tolist()] == [tuple(p) for p in region_at(net, P).patterns.tolist()]
    for r in rs:
        assert r.ball is not None and r.bounded and np.all(r.A @ r.interior_point < r.b)
        assert 0 < r.inradius < 1.5 / np.sqrt(d)
    # every pattern met by points sampled in the ball is a cell
    rng = np.random.default_rng(0)
    E = rng.exponential(size=(4000, d + 1))
    Y = c + 1.5 * E[:, :d] / E.sum(axis=1, keepdims=True) * rng.choice([-1.0, 1.0], size=(4000, d))
    assert _patterns_at(net, Y) <= {tuple(p) for p in rs.patterns.tolist()}
    # the linear set: every unit bends the function, so one region per cell
    assert len(tropnet.linear_regions(net, cp)) == len(rs) == tropnet.count_linear_regions(net, cp)


@pytest.mark.parametrize("seed", range(2))
def test_region_sets_with_the_ball_kept_whole_equal_those_on_its_listed_rows(seed, monkeypatch):
    # at 5 inputs (the cutoff lowered) the ball kept whole against the vertex engine on the 32
    # listed rows: the same cells, linear regions, adjacency and inradii (the listed cells have
    # the ball's facets among their rows; the whole-ball ones take them from the lifted LP)
    net = merging_net(seed, 8, 5, scale=2)
    cp = CrossPolytope(np.full(5, 0.3), 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tropnet.AmbiguousGeometryWarning)  # (the vertex engine's corners)
        ref = tropnet.linear_regions(net, listed_rows(*cp.halfspaces(5)))
    monkeypatch.setattr(hrep, "CROSS_HREP_DIM", 4)
    for dom in (cp, Polyhedron(*cp.halfspaces(5))):  # the rows are taken for the ball too
        assert make_plan(net, dom, want="regions").engine == "hrep"
        got = tropnet.linear_regions(net, dom)
        assert got.ball is not None and ref.ball is None
        key = {tuple(p): i for i, p in enumerate(ref.patterns.tolist())}
        order = np.array([key[tuple(p)] for p in got.patterns.tolist()])
        assert sorted(order.tolist()) == list(range(ref.num_cells))
        # the same partition of the cells into linear regions
        pairs = set(zip(got.labels.tolist(), ref.labels[order].tolist()))
        assert len(got) == len(ref) == len(pairs) < ref.num_cells
        # the same adjacency of the cells
        ga, ra = got._activation_view().adjacency(), ref._activation_view().adjacency()
        assert {tuple(sorted(order[e])) for e in ga.tolist()} == {tuple(e) for e in ra.tolist()}
        ina = np.array([got._activation_view()[i].inradius for i in range(got.num_cells)])
        inb = np.array([ref._activation_view()[int(order[i])].inradius for i in range(got.num_cells)])
        assert np.allclose(ina, inb, rtol=1e-6, atol=1e-9)


def test_region_sets_on_around_slices_keep_the_ball_whole():
    # AffineSlice.around(x, r, k=8) is a polyhedron of 256 rows: its region set takes it for the
    # ball, as the count does, and equals the set on the CrossPolytope of the composed network
    net = random_mlp([20, 10, 10, 1], seed=4)
    x = np.random.default_rng(4).normal(size=20) * 0.2
    s = tropnet.AffineSlice.around(x, 0.6, k=8, seed=1)
    assert isinstance(s.domain, Polyhedron) and len(s.domain.b) == 256
    rs = tropnet.linear_regions(net, s, kind="activation")
    assert rs.ball is not None and np.allclose(rs.ball[0], 0) and np.isclose(rs.ball[1], 0.6)
    assert len(rs) == tropnet.count_linear_regions(net, s, kind="activation")
    sub = tropnet.networks.embed.slice_network(net, s)
    other = tropnet.linear_regions(sub, CrossPolytope(np.zeros(8), 0.6), kind="activation")
    assert sorted(map(tuple, rs.patterns.tolist())) == sorted(map(tuple, other.patterns.tolist()))
    assert rs.input_points.shape == (len(rs), 20)


def test_what_needs_every_facet_is_refused_clearly():
    rs = tropnet.linear_regions(random_mlp([9, 4, 1], seed=0), CrossPolytope(np.zeros(9), 1.0))
    with pytest.raises(ValueError, match="complex\\(\\) needs every facet.*2\\^9 rows per cell"):
        rs.complex()
    pytest.importorskip("polytope")
    with pytest.raises(ValueError, match="to_polytope\\(\\) needs every facet"):
        rs[0].to_polytope()


def test_exact_region_sets_above_7_d_run_on_the_exact_h_representation_engine():
    # (the ball kept whole: the cells list their unit facets, as the float region sets do)
    net, cp = random_mlp([8, 4, 1]), CrossPolytope(np.zeros(8), 1)
    rs, ref = tropnet.linear_regions(net, cp, exact=True), tropnet.linear_regions(net, cp)
    assert len(rs) == len(ref) == tropnet.count_linear_regions(net, cp, exact=True)
    assert rs.ball is not None and rs.adjacency().tolist() == ref.adjacency().tolist()


NETS = [(random_mlp([8, 8, 8, 1], seed=0), CrossPolytope(np.zeros(8), 1.0)),
        (random_mlp([10, 6, 6, 6, 1], seed=3), CrossPolytope(np.full(10, -0.1), 1.2)),
        (sparse_net([9, 8, 8, 1], 1), CrossPolytope(np.full(9, 0.1), 1.5)),
        (random_mlp([16, 8, 1], seed=2), Polyhedron(*CrossPolytope(np.zeros(8), 0.8).halfspaces(8)))]


@pytest.mark.parametrize("k", range(len(NETS)))
def test_dask_counts_and_regions_on_cross_polytopes_equal_serial(k):
    net, dom = NETS[k]
    if isinstance(dom, Polyhedron):  # the rows of an 8-D ball, for a slice of a 16-input net
        net = tropnet.networks.embed.slice_network(net, tropnet.AffineSlice.around(np.zeros(16), 0.8, k=8))
    for kind in ("activation", "linear"):
        serial = tropnet.count_linear_regions(net, dom, kind=kind)
        stats: dict = {}
        assert count_parallel(net, dom, kind=kind, parallel=None, stats=stats) == serial
        if k < 3:  # two or more hidden layers: the engine ran in parts (one layer: one task)
            assert stats["tasks"] > 1 and stats["split_cells"] >= stats["tasks"]
        got = regions_parallel(net, dom, kind=kind, parallel=None)
        ref = tropnet.linear_regions(net, dom, kind=kind)
        assert len(got) == len(ref) == serial
        assert sorted(map(tuple, got.patterns.tolist())) == sorted(map(tuple, ref.patterns.tolist()))


def test_dask_counts_on_cross_polytopes_with_a_client():
    dd = pytest.importorskip("dask.distributed")
    net, dom = NETS[2]
    with dd.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
        assert count_parallel(net, dom, client=client) == tropnet.count_linear_regions(net, dom)
        assert tropnet.count_linear_regions(net, dom, kind="activation", client=client) == \
            tropnet.count_linear_regions(net, dom, kind="activation")
        with pytest.raises(tropnet.RegionLimitError, match="more than max_regions=3"):
            count_parallel(net, dom, client=client, max_regions=3)
        rs = regions_parallel(net, dom, client=client, kind="activation")
        ref = tropnet.linear_regions(net, dom, kind="activation")
        assert sorted(map(tuple, rs.patterns.tolist())) == sorted(map(tuple, ref.patterns.tolist()))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 6), st.integers(0, 10**6), st.floats(0.1, 3.0))
def test_l1_chebyshev_centre_equals_the_one_on_the_listed_rows(n, m, seed, r):
    # the largest Euclidean ball in {A x <= b} cut by |x - c|_1 <= r: one lifted LP against the
    # Chebyshev LP on the cross-polytope's 2^n rows listed
    from tropnet.kernels.lp import chebyshev_center, l1_chebyshev_center

    rng = np.random.default_rng(seed)
    A, c = rng.normal(size=(m, n)), rng.normal(size=n)
    b = A @ c + rng.normal(size=m) * r
    Ab, bb = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(c, r).halfspaces(n))
    x0, r0 = chebyshev_center(np.vstack([A, Ab]), np.r_[b, bb])
    x1, r1 = l1_chebyshev_center(A, b, c, r, ball_facets=True)
    assert abs(max(r0, 0.0) - max(r1, 0.0)) <= 1e-7 * (1 + r)
    if r1 > 1e-9:  # its centre is that far inside every row and inside the ball by r1 sqrt(n)
        assert np.all(A @ x1 + r1 * np.linalg.norm(A, axis=1) <= b + 1e-7)
        assert np.abs(x1 - c).sum() + r1 * np.sqrt(n) <= r + 1e-7
