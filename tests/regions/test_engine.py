"""The n-D engine: agreement with the 2D engine, limits, bad input."""

import importlib.util
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network, Polyhedron, count_linear_regions, random_mlp
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.plan import find_cells, make_plan
from tropnet.regions.refine import enumerate_cells

HAS_PLANAR = importlib.util.find_spec("tropnet.regions.planar") is not None


def cell_set(cells):
    return sorted(map(tuple, cells.patterns.tolist()))


@pytest.mark.skipif(not HAS_PLANAR, reason="2D engine not built yet")
@pytest.mark.parametrize("seed", range(4))
def test_planar_and_nd_engines_give_the_same_cells(seed):
    from tropnet.regions import planar

    net = random_mlp([2, 6, 5, 1], seed=seed)
    lo, hi = -4 * np.ones(2), 4 * np.ones(2)
    a = planar.enumerate_cells(net, lo, hi)
    b = enumerate_cells(net, lo, hi)
    assert cell_set(a) == cell_set(b)
    # and the same vertex sets, cell by cell
    ia = {tuple(p): i for i, p in enumerate(a.patterns.tolist())}
    for j, p in enumerate(b.patterns.tolist()):
        va = np.unique(np.round(a.cell_vertices(ia[tuple(p)]), 9), axis=0)
        vb = np.unique(np.round(b.cell_vertices(j), 9), axis=0)
        assert va.shape == vb.shape and np.allclose(va, vb)


@pytest.mark.skipif(not HAS_PLANAR, reason="2D engine not built yet")
def test_planar_and_nd_engines_agree_on_degenerate_input():
    from tropnet.regions import planar

    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1], [2, 2]], [[1, -1, 0, 1]], [[1]]])
    lo, hi = -np.ones(2), np.ones(2)
    assert cell_set(planar.enumerate_cells(net, lo, hi)) == cell_set(enumerate_cells(net, lo, hi))


def test_engine_choice_does_not_change_counts():
    net = random_mlp([2, 8, 8, 1], seed=0)
    auto = find_cells(net, Box(-10, 10))
    nd = find_cells(net, Box(-10, 10), engine="refine")
    assert sorted(map(tuple, auto.patterns.tolist())) == sorted(map(tuple, nd.patterns.tolist()))


def test_cells_have_interior_points_and_vertices():
    net = random_mlp([3, 5, 1], seed=1)
    c = enumerate_cells(net, -np.ones(3), np.ones(3))
    assert len(c) == c.points.shape[0]
    for i in range(len(c)):
        V = c.cell_vertices(i)
        assert V.shape[0] >= 4  # a 3-polytope
        assert np.all(V >= -1 - 1e-12) and np.all(V <= 1 + 1e-12)


def test_max_regions():
    net = random_mlp([2, 16, 16, 1], seed=0)
    with pytest.raises(RegionLimitError, match="max_regions"):
        count_linear_regions(net, Box(-10, 10), kind="activation", max_regions=50)
    with pytest.raises(ValueError):
        count_linear_regions(net, kind="activation", max_regions=50)
    assert count_linear_regions(net, Box(-10, 10), kind="activation", max_regions=1000) == 414


def test_bad_domains():
    net = random_mlp([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match="dimension"):
        count_linear_regions(net, Box([0, 0, 0], [1, 1, 1]))
    with pytest.raises(ValueError):
        count_linear_regions(net, Polyhedron([[1, 0], [-1, 0]], [0, -1]))  # empty
    with pytest.raises(ValueError):
        count_linear_regions(net, Polyhedron([[1, 0], [-1, 0]], [0, 0]))  # a line
    with pytest.raises(ValueError, match="NaN"):
        Polyhedron([[np.nan, 0]], [1])
    with pytest.raises(ValueError):
        Box(1, 0)
    with pytest.raises(TypeError, match="domain"):
        count_linear_regions(net, [(-1, 1), (-1, 1)])
    with pytest.raises(ValueError, match="dimension"):
        count_linear_regions(net, Polyhedron([[1, 0, 0]], [1]))


def test_bad_objects_and_kinds():
    with pytest.raises(TypeError, match="Network"):
        count_linear_regions(np.eye(2))
    with pytest.raises(ValueError, match="kind"):
        count_linear_regions(random_mlp([2, 3, 1]), kind="affine")


def test_progress_bar_runs():
    net = random_mlp([2, 4, 1], seed=0)
    assert tropnet.count_linear_regions(net, kind="activation", progress=True) == 11


def test_exact_mode_decides_a_sliver_float_mode_merges():
    # units x and x - 2^-40: a sliver of width 2^-40, thinner than the float tolerance
    from fractions import Fraction

    eps = Fraction(1, 2**40)
    net = Network.from_arrays([[[1, 0], [1, 0]], [[1, 1]]], [[0, -eps], [0]])
    assert count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    rs = tropnet.linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert len(rs) == 3
    assert min(r.volume() for r in rs) == 2 * eps  # the sliver, exactly
    # float mode decides it at the vertices' own scale (the terms of x near x = 0 are small)
    assert count_linear_regions(net.to_float(), Box(-1, 1), kind="activation") == 3


def test_certified_float_pass_agrees_with_the_rational_pass():
    from tropnet.regions.refine import refine, stages_from_network

    for widths, box in (([2, 6, 6, 1], 4), ([3, 5, 4, 1], 2)):
        net = random_mlp(widths, seed=1)
        d = widths[0]
        st = stages_from_network(net, exact=True)
        lo, hi = [-box] * d, [box] * d
        certified = refine(st, d, lo, hi, exact=True, certify=True)
        rational = refine(st, d, lo, hi, exact=True)
        assert certified.points.dtype == np.float64  # the float pass was certified
        assert rational.points.dtype == object
        assert cell_set(certified) == cell_set(rational)


def test_certified_pass_falls_back_on_ties():
    from tropnet.regions.refine import refine, stages_from_network

    # three lines through the origin: the signs at the origin cannot be certified in floats;
    # those cells go to the rational pass (or the whole run does) and the answer stays exact
    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]])
    st = stages_from_network(net, exact=True)
    out = refine(st, 2, [-1, -1], [1, 1], exact=True, certify=True)
    assert len(out) == 6
    assert cell_set(out) == cell_set(refine(st, 2, [-1, -1], [1, 1], exact=True))
    # and a deeper degenerate net: ties only inside some cells
    net2 = Network.from_arrays([[[1, 0], [0, 1], [1, 1], [2, -1]], [[1, -1, 0, 1], [0, 1, 1, -1]], [[1, 1]]])
    st2 = stages_from_network(net2, exact=True)
    a = refine(st2, 2, [-2, -2], [2, 2], exact=True, certify=True)
    b = refine(st2, 2, [-2, -2], [2, 2], exact=True)
    assert cell_set(a) == cell_set(b)


def test_hrep_engine_agrees_with_the_vertex_engine():
    from tropnet.regions.hrep import refine_hrep
    from tropnet.regions.refine import refine, stages_from_network

    # [4,6,6,1] seed 2 on [-5,5]^4 has 258 cells (regions_prototypes.md, equal to affinitree)
    st = stages_from_network(random_mlp([4, 6, 6, 1], seed=2))
    lo, hi = -5 * np.ones(4), 5 * np.ones(4)
    a, b = refine_hrep(st, 4, lo, hi), refine(st, 4, lo, hi)
    assert len(a) == 258 and cell_set(a) == cell_set(b)


def test_high_dimension_counts_use_the_hrep_engine():
    net = random_mlp([13, 3, 1], seed=0)
    # one hidden layer of 3 generic units in R^13: 2^3 cells on a large enough box
    assert count_linear_regions(net, Box(-100, 100), kind="activation") == 8
    # regions come with their facets (LPs), here the box's 26 sides and the cell's units
    rs = tropnet.linear_regions(net, Box(-100, 100), kind="activation")
    assert len(rs) == 8 and all(len(r.b) >= 26 + 1 for r in rs)


def test_exact_above_the_hrep_dimension_uses_the_exact_vertex_engine():
    # 13 inputs: float runs take the H-representation engine, exact ones the vertex engine
    net = random_mlp([13, 3, 1], seed=0)
    assert count_linear_regions(net, Box(-100, 100), kind="activation", exact=True) == 8
    rs = tropnet.linear_regions(net, Box(-100, 100), exact=True)
    assert len(rs) == 8 and all(isinstance(v, Fraction) for v in rs[0].b)


def test_very_high_dimension_exact_is_exact_or_refused_not_approximated():
    # above 16 inputs exact counts take the H-representation engine with exact decisions (linear
    # counts: the facets between cells of one map, exactly, on R^n too; region sets serially, the
    # cells' boundedness decided exactly); what it does not decide in parallel is refused
    net = random_mlp([17, 2, 1], seed=0)
    n = count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert n == count_linear_regions(net, Box(-1, 1), kind="activation")
    assert count_linear_regions(net, Box(-1, 1), exact=True) == count_linear_regions(net, Box(-1, 1))
    assert count_linear_regions(net, None, exact=True) == count_linear_regions(net, None) == 4
    rs = tropnet.linear_regions(net, None, exact=True)
    assert len(rs) == 4 and not any(r.bounded for r in rs)
    with pytest.raises(ValueError, match="exact region sets on Dask"):
        make_plan(net, None, exact=True, mode="parallel")


@pytest.mark.parametrize("engine", ["hrep", "nonsense", None])
def test_an_unknown_engine_is_refused_by_name(engine):
    with pytest.raises(ValueError, match="engine must be 'auto' or 'refine'"):
        make_plan(tropnet.random_mlp([2, 3, 1]), None, want="count", engine=engine)
