"""Exact runs on all of R^n and unbounded polyhedra above the vertex engine's dimensions: the
H-representation engine's one run on the homogenised cube (:func:`~tropnet.regions.domains.
homogenised_cube`: counts, activation and linear) and exact region sets there
(:mod:`tropnet.regions.hrep_exact_regions`: facets, neighbours, points, boundedness).  Checked
against known answers of hyperplane arrangements in 17-18-D (Zaslavsky), against the exact vertex
engine and the float counts where they run (the cutoffs lowered to force one engine or the
other), on random, zeroed and cancelled nets."""

from math import comb

import numpy as np
import pytest
from testnets import merging_mlp, scaled_copies_net

import tropnet
from tropnet import Network, Polyhedron, random_mlp
from tropnet.regions import hrep
from tropnet.regions.plan import make_plan


def _arrangement(d, k, rank, seed, central, how=None):
    """``k`` generic hyperplanes of R^d whose normals span a ``rank``-dimensional subspace
    (random normals in the first ``rank`` coordinates; through the origin when ``central``),
    read by one output: ``"zeroed"``, the output weight of unit 0 set to 0; ``"dup"``, unit 1
    twice unit 0, read with -1/2 its weight (the two cancel)."""
    rng = np.random.default_rng(seed)
    W = np.zeros((k, d))
    W[:, :rank] = rng.normal(size=(k, rank))
    b = np.zeros(k) if central else rng.normal(size=k)
    w2 = rng.normal(size=(1, k))
    if how == "zeroed":
        w2[0, 0] = 0.0
    if how == "dup":
        W[1], b[1], w2[0, 1] = 2 * W[0], 2 * b[0], -w2[0, 0] / 2
    return Network.from_arrays([W, w2], [b, np.zeros(1)])


def _central(k, r):
    """Regions of ``k`` generic hyperplanes through the origin spanning rank ``r``."""
    return 2 * sum(comb(k - 1, i) for i in range(r))


def _affine(k, r):
    """Regions of ``k`` generic affine hyperplanes whose normals span rank ``r``."""
    return sum(comb(k, i) for i in range(r + 1))


@pytest.mark.parametrize("d,k,rank,central", [(17, 5, 17, True), (18, 7, 3, True), (17, 6, 4, True),
                                              (17, 6, 17, False), (18, 7, 3, False)])
def test_arrangements_above_16_inputs_in_one_run(d, k, rank, central):
    net = _arrangement(d, k, rank, d + k, central)
    want = _central(k, rank) if central else _affine(k, rank)
    plan = make_plan(net, None, want="count", kind="activation", exact=True)
    assert plan.engine == "hrep" and len(plan.domain.pieces) == 1  # one run, not 2d + 1
    assert plan.domain.describe() == "the homogenised cube in one run"
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == want
    assert tropnet.count_linear_regions(net, None, exact=True) == want
    assert tropnet.count_linear_regions(net, None, kind="activation") == want  # float, one run too


@pytest.mark.parametrize("how,cells,regions", [("zeroed", 32, 16), ("dup", 16, 8)])
def test_zeroed_and_cancelled_units_above_16_inputs(how, cells, regions):
    net = _arrangement(18, 5, 18, 3, True, how)
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == cells
    assert tropnet.count_linear_regions(net, None, exact=True) == regions
    rs = tropnet.linear_regions(net, None, exact=True)
    assert len(rs) == regions and rs.num_cells == cells
    assert sorted(len(r.cells) for r in rs) == [cells // regions] * regions
    assert not any(r.bounded for r in rs)


def test_exact_region_sets_of_a_central_arrangement_in_17_d():
    # 7 generic planes through the origin spanning 3 of the 17 dimensions: the regions of 7 great
    # circles on the sphere times R^14 (44 cells, every one unbounded); each circle is cut into
    # 2 x 6 arcs by the others: 84 pairs of neighbours, each across one unit facet
    net = _arrangement(17, 7, 3, 1, True)
    rs = tropnet.linear_regions(net, None, kind="activation", exact=True)
    assert len(rs) == _central(7, 3) == 44
    assert not any(r.bounded for r in rs)
    assert len(rs.adjacency()) == 84
    for r in rs:
        x = r.interior_point
        assert all(sum(a * v for a, v in zip(row, x)) < b for row, b in zip(r.A, r.b))
        assert len(r.b) >= 2
        with pytest.raises(ValueError, match="unbounded"):
            r.volume()


def test_exact_region_sets_with_bounded_cells_on_an_unbounded_polyhedron_in_17_d():
    # on the orthant x >= 0 of R^17 the units sum x - 1, sum x - 2 and x1 - x2: the simplex
    # sum x < 1 and the slab 1 < sum x < 2 (bounded), split by x1 = x2, and sum x > 2
    # (unbounded) split too: 6 cells, 4 bounded
    d = 17
    W = np.vstack([np.ones(d), np.ones(d), np.eye(d)[0] - np.eye(d)[1]])
    net = Network.from_arrays([W, np.array([[1.0, -2.0, 1.0]])], [np.array([-1.0, -2.0, 0.0]), np.zeros(1)])
    orthant = Polyhedron(-np.eye(d), np.zeros(d))
    rs = tropnet.linear_regions(net, orthant, kind="activation", exact=True)
    assert len(rs) == 6
    bounded = {r.pattern: r.bounded for r in rs}
    assert bounded == {(0, 0, 0): True, (0, 0, 1): True, (1, 0, 0): True, (1, 0, 1): True,
                       (1, 1, 0): False, (1, 1, 1): False}
    inner = next(r for r in rs if r.pattern == (0, 0, 1))
    with pytest.raises(NotImplementedError, match="vertices"):
        inner.volume()
    # its facets: the orthant's 17 rows (x1 >= 0 is not one: x1 > x2 >= 0), x1 = x2 and sum x = 1
    assert len(inner.b) == 18
    assert tropnet.count_linear_regions(net, orthant, kind="activation", exact=True) == 6


def _summary(rs):
    """Per cell, by pattern: its facets (primitive halfspaces) with the pattern across, its map,
    whether it is bounded."""
    from fractions import Fraction

    out = {}
    for r in rs._activation_view():
        c = r.cell_indices[0]
        nb = rs._facet_nbr[rs._facet_off[c] : rs._facet_off[c + 1]]
        facets = {}
        for a, b, n in zip(r.A, r.b, nb):
            m = max(abs(Fraction(v)) for v in a)
            facets[tuple(Fraction(v) / m for v in list(a) + [b])] = tuple(rs._patterns[n]) if n >= 0 else None
        W, cm = r.affine_map
        out[r.pattern] = (facets, tuple(map(Fraction, np.ravel(W))), tuple(map(Fraction, np.ravel(cm))), r.bounded)
    return out


NETS = [random_mlp([3, 5, 4, 1], seed=0), merging_mlp([4, 6, 6, 1], "sparse", 2),
        merging_mlp([3, 8, 6, 1], "zeroed", 1), scaled_copies_net(1, 4, 5, [2], cancel=True, zero_bias=True)]


@pytest.mark.parametrize("net", NETS)
def test_exact_region_sets_on_r_n_equal_the_vertex_engines(net, monkeypatch):
    d = net.input_dim
    for dom in (None, Polyhedron(np.ones((1, d)), np.array([0.5])), Polyhedron(-np.eye(d)[:2], np.zeros(2))):
        for kind in ("activation", "linear"):
            ref = tropnet.linear_regions(net, dom, kind=kind, exact=True)
            with monkeypatch.context() as mp:
                mp.setattr(hrep, "EXACT_MAX_DIM", 1)  # the exact H-representation engine
                assert make_plan(net, dom, kind=kind, exact=True).engine == "hrep"
                mine = tropnet.linear_regions(net, dom, kind=kind, exact=True)
            assert len(mine) == len(ref)
            assert _summary(mine) == _summary(ref)
            assert sorted(sorted(r.pattern for r in g.cells) for g in mine) == \
                sorted(sorted(r.pattern for r in g.cells) for g in ref)


@pytest.mark.parametrize("net", [random_mlp([5, 6, 4, 1], seed=0), merging_mlp([5, 6, 6, 1], "zeroed", 3),
                                 scaled_copies_net(2, 5, 5, [2], cancel=True)])
def test_exact_counts_in_one_run_equal_the_vertex_engine_and_float(net, monkeypatch):
    d = net.input_dim
    half = Polyhedron(np.array([[1.0, 1.0] + [0.0] * (d - 2)]), np.array([0.5]))
    for dom in (None, half):
        want = [tropnet.count_linear_regions(net, dom, kind=k, exact=True) for k in ("activation", "linear")]
        with monkeypatch.context() as mp:  # the H-representation engine, exact and float
            mp.setattr(hrep, "EXACT_COUNT_DIM", 1)
            mp.setattr(hrep, "HREP_COUNT_DIMS", dict.fromkeys(hrep.HREP_COUNT_DIMS, 1))
            assert len(make_plan(net, dom, want="count", exact=True).domain.pieces) == 1
            got = [tropnet.count_linear_regions(net, dom, kind=k, exact=True) for k in ("activation", "linear")]
            flt = tropnet.count_linear_regions(net, dom, kind="activation")
        assert got == want and flt == want[0]
