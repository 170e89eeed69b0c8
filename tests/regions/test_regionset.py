"""Region / RegionSet: halfspaces, points, maps, vertices, adjacency, exact cross-checks."""

from fractions import Fraction as F

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network, Polyhedron, Region, RegionSet, linear_regions, random_mlp
from tropnet.algebra.polynomial import variables


def small_net(seed=0, widths=(2, 5, 4, 1)):
    return random_mlp(list(widths), seed=seed)


def test_regionset_is_a_sequence_of_regions():
    rs = linear_regions(small_net(), Box(-3, 3), kind="activation")
    assert isinstance(rs, RegionSet)
    assert all(isinstance(r, Region) for r in rs)
    assert len(rs[:3]) == 3
    assert rs[-1].pattern == tuple(rs.patterns[-1])
    with pytest.raises(IndexError):
        rs[len(rs)]


def test_interior_points_satisfy_halfspaces_and_patterns():
    net = small_net(1)
    rs = linear_regions(net, Box(-3, 3), kind="activation")
    from tropnet.regions.affine import patterns_at
    from tropnet.regions.program import stages_from_network

    st = stages_from_network(net)
    pts = np.array([r.interior_point for r in rs])
    assert (patterns_at(st, pts) == rs.patterns).all()
    for r in rs:
        assert np.all(r.A @ r.interior_point < r.b)
        W, c = r.affine_map
        assert np.allclose(net(r.interior_point), W @ r.interior_point + c)


def test_halfspaces_are_irredundant_and_vertices_tight():
    rs = linear_regions(small_net(2), Box(-3, 3), kind="activation")
    for r in rs[:20]:
        V = r.vertices()
        slack = r.A @ V.T - r.b[:, None]
        assert slack.max() <= 1e-9
        # each facet is tight at >= 2 vertices in 2D (a real edge)
        assert ((np.abs(slack) <= 1e-9).sum(axis=1) >= 2).all()


def test_volumes_sum_to_domain():
    rs = linear_regions(small_net(3), Box(-2, 2), kind="activation")
    assert sum(r.volume() for r in rs) == pytest.approx(16.0)
    rs3 = linear_regions(random_mlp([3, 4, 1], seed=0), Box(-1, 1), kind="activation")
    assert sum(r.volume() for r in rs3) == pytest.approx(8.0)


def test_exact_volumes_sum_exactly():
    net = Network.from_arrays([[[1, 2], [3, -1], [1, 1]], [[1, 1, 1]]], [[F(1, 3), 0, -1], [0]])
    rs = linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert sum(r.volume() for r in rs) == 4
    assert all(isinstance(v, F) for v in rs[0].interior_point)


def test_unbounded_regions_on_rd():
    rs = linear_regions(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]), kind="activation")
    assert len(rs) == 2 and not any(r.bounded for r in rs)
    with pytest.raises(ValueError, match="bounded"):
        rs[0].volume()
    assert rs[0].inradius == float("inf")


def test_adjacency_of_quadrants():
    net = Network.from_arrays([[[1, 0], [0, 1]], [[1, 2]]])
    rs = linear_regions(net, kind="activation")
    assert len(rs) == 4
    e = rs.adjacency()
    assert len(e) == 4  # a 4-cycle: opposite quadrants only touch at the origin
    deg = np.bincount(e.ravel(), minlength=4)
    assert (deg == 2).all()
    g = rs.adjacency_graph()
    assert g.number_of_edges() == 4


def test_linear_region_cells_and_union_errors():
    x, y = variables("x y")
    rs = linear_regions((0 + x + y) / (0 + x))
    assert len(rs) == 3 and rs.num_cells == 4
    big = [r for r in rs if len(r.cells) == 2]
    assert len(big) == 1
    with pytest.raises(ValueError, match="union"):
        _ = big[0].A
    W, c = big[0].affine_map
    assert np.allclose(W, 0) and np.allclose(c, 0)


def test_linear_at_most_activation_random():
    for seed in range(4):
        net = random_mlp([2, 4, 3, 1], seed=seed)
        act = tropnet.count_linear_regions(net, kind="activation")
        lin = tropnet.count_linear_regions(net)
        assert lin <= act


@pytest.mark.parametrize("seed", range(3))
def test_exact_equals_float_on_random_nets(seed):
    net = random_mlp([2, 5, 5, 1], seed=seed)
    for dom in (None, Box(-4, 4)):
        f = linear_regions(net, dom, kind="activation")
        e = linear_regions(net, dom, kind="activation", exact=True)
        assert sorted(map(tuple, f.patterns.tolist())) == sorted(map(tuple, e.patterns.tolist()))
        assert tropnet.count_linear_regions(net, dom) == tropnet.count_linear_regions(net, dom, exact=True)


def test_exact_3d_equals_float():
    net = random_mlp([3, 5, 4, 1], seed=4)
    f = tropnet.count_linear_regions(net, Box(-2, 2), kind="activation")
    e = tropnet.count_linear_regions(net, Box(-2, 2), kind="activation", exact=True)
    assert f == e


def test_vertices_match_exact_cdd():
    cdd_gmp = pytest.importorskip("cdd.gmp")
    import cdd

    net = random_mlp([3, 4, 4, 1], seed=2)
    rs = linear_regions(net, Box(-2, 2), kind="activation", exact=True)
    for r in list(rs)[:: max(1, len(rs) // 6)]:
        H = [[bi] + [-a for a in row] for row, bi in zip(r.A.tolist(), r.b.tolist())]
        P = cdd_gmp.polyhedron_from_matrix(cdd_gmp.matrix_from_array(H, rep_type=cdd.RepType.INEQUALITY))
        gens = cdd_gmp.copy_generators(P).array
        ref = sorted(tuple(g[1:]) for g in gens)
        got = sorted(tuple(v) for v in r.vertices().tolist())
        assert got == ref


def test_polyhedron_domains():
    net = random_mlp([2, 6, 1], seed=5)
    # the triangle x >= -1, y >= -1, x + y <= 1
    tri = Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])
    rs = linear_regions(net, tri, kind="activation")
    assert sum(r.volume() for r in rs) == pytest.approx(4.5)  # vertices (-1,-1), (2,-1), (-1,2)
    # an unbounded polyhedron: the half-plane x >= 0 holds the cells of R^2 that meet it
    half = Polyhedron([[-1, 0]], [0])
    n_half = tropnet.count_linear_regions(net, half, kind="activation")
    assert 1 <= n_half <= tropnet.count_linear_regions(net, kind="activation")
    assert tropnet.count_linear_regions(net, half, kind="activation", exact=True) == n_half


def test_maxout_and_leaky_networks():
    from tropnet import LeakyReLU, Linear, Maxout

    rng = np.random.default_rng(0)
    net = Network(
        [Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), Maxout(3), Linear(rng.normal(size=(1, 2)))]
    )
    n_f = tropnet.count_linear_regions(net, kind="activation")
    assert n_f == tropnet.count_linear_regions(net, kind="activation", exact=True)
    # each maxout unit of 3 affine pieces in general position has 3 regions; two units <= 3*3
    assert 3 <= n_f <= 9
    leaky = Network(
        [Linear(rng.normal(size=(3, 2)), rng.normal(size=3)), LeakyReLU(0.1), Linear(np.ones((1, 3)))]
    )
    assert tropnet.count_linear_regions(leaky, kind="activation") == 7  # 3 generic lines


def test_region_to_polytope():
    pytest.importorskip("polytope")
    rs = linear_regions(small_net(), Box(-1, 1), kind="activation")
    p = rs[0].to_polytope()
    assert p.contains(np.asarray(rs[0].interior_point, dtype=float)[:, None])


def test_regionset_stays_light():
    # the issue asks for 10^5 cells in 4D under 200 MB: measure bytes per cell on a smaller set
    rs = linear_regions(random_mlp([4, 8, 8, 1], seed=0), Box(-5, 5), kind="activation")
    assert len(rs) > 500
    assert rs.nbytes / len(rs) * 1e5 < 200e6


def test_vertices_of_unbounded_cells():
    # quadrants of relu(x) + relu(y): each cell has the single vertex (0, 0)
    net = Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    for exact in (False, True):
        rs = linear_regions(net, kind="activation", exact=exact)
        assert len(rs) == 4
        for r in rs:
            V = r.vertices()
            assert V.shape == (1, 2) and np.all(np.asarray(V, dtype=float) == 0)
            assert len(r.b) == 2 and not r.bounded


def test_rational_map_common_refinement():
    from tropnet.algebra.rational import TropicalRationalMap

    x, y = variables("x y")
    # (max(0, x), max(0, y)): four quadrants, four different joint maps
    f = TropicalRationalMap([x + 0, y + 0])
    assert tropnet.count_linear_regions(f) == 4
    assert tropnet.count_linear_regions(f, exact=True) == 4
    # (max(0, x), max(0, x)): the same line twice, two regions
    g = TropicalRationalMap([x + 0, x + 0])
    assert tropnet.count_linear_regions(g) == 2
    rs = tropnet.linear_regions(f)
    W, c = rs[0].affine_map
    assert W.shape == (2, 2) and c.shape == (2,)


def test_region_repr_and_inradius():
    rs = linear_regions(Network.from_arrays([[[1.0, 0.0]], [[1.0]]]), Box(-1, 1), kind="activation")
    assert len(rs) == 2
    assert "Region" in repr(rs[0]) and "RegionSet" in repr(rs)
    assert [round(r.inradius, 9) for r in rs] == [0.5, 0.5]


def test_region_limit_error_names_max_regions_not_max_cells():
    # issue 18: the message told users to raise max_cells, which is not a parameter
    import tropnet
    from tropnet.regions.cells import RegionLimitError

    for n, kw in (([2, 16, 16, 1], {}), ([2, 16, 16, 1], {"exact": True}), ([3, 8, 1], {})):
        net = tropnet.random_mlp(n, seed=0)
        with pytest.raises(RegionLimitError) as info:
            tropnet.count_linear_regions(net, tropnet.Box(-1, 1), max_regions=5, **kw)
        assert "max_cells" not in str(info.value) and "max_regions=5" in str(info.value)


def test_bad_index_and_exact_flag_are_refused():
    # issue 18: regions[1.5] and exact='yes' were accepted
    import tropnet

    net = tropnet.random_mlp([2, 4, 1], seed=0)
    regs = tropnet.linear_regions(net, tropnet.Box(-1, 1))
    for bad in (1.5, "0", True, None):
        with pytest.raises(TypeError, match="indexed by integers"):
            regs[bad]
    regs[np.int64(0)], regs[-1]  # numpy and negative integers still index
    for bad in ("yes", 1, None, "False"):
        with pytest.raises(TypeError, match="exact must be True or False"):
            tropnet.count_linear_regions(net, exact=bad)
    for bad in (0, -3, 2.5, "10", True):
        with pytest.raises((TypeError, ValueError), match="max_regions"):
            tropnet.count_linear_regions(net, max_regions=bad)
