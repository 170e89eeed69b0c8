"""Exact region sets on the exact H-representation engine (every cell's facets, neighbours,
points and maps decided exactly: :mod:`tropnet.regions.hrep_exact_regions`).  Checked against
the exact vertex engine where both run (3-6-D boxes, cross-polytopes and a polyhedron, the route
forced by lowering the cutoffs) on random and merging nets, and against known answers above 16
inputs."""

from fractions import Fraction

import numpy as np
import pytest
from testnets import merging_mlp, merging_net, scaled_copies_net

import tropnet
from tropnet import Box, CrossPolytope, Network, Polyhedron, random_mlp
from tropnet.regions import hrep
from tropnet.regions.plan import make_plan


def _plane(a, b):
    """A halfspace ``a x <= b`` as its primitive direction: ``(a, b)`` over their largest entry."""
    m = max(abs(Fraction(v)) for v in list(a))
    return tuple(Fraction(v) / m for v in list(a) + [b])


def _summary(rs):
    """Per cell, by pattern: its facets (as halfspaces), the patterns across them, its map."""
    cells = rs._activation_view()
    out = {}
    for i in range(len(cells)):
        r = cells[i]
        c = r.cell_indices[0]
        lo, hi = rs._facet_off[c], rs._facet_off[c + 1]
        nb = rs._facet_nbr[lo:hi]
        facets = {_plane(a, b): (tuple(rs._patterns[n]) if n >= 0 else None) for a, b, n in zip(r.A, r.b, nb)}
        W, cm = r.affine_map
        out[r.pattern] = (facets, tuple(map(Fraction, np.ravel(W))), tuple(map(Fraction, np.ravel(cm))))
    return out


def _regions(net, dom, kind, hrep_engine, monkeypatch):
    with pytest.MonkeyPatch.context() as mp:
        if hrep_engine:
            mp.setattr(hrep, "EXACT_MAX_DIM", 1)
            mp.setattr(hrep, "CROSS_EXACT_MAX_DIM", 1)
        want = "hrep" if hrep_engine else "vertex"
        assert make_plan(net, dom, kind=kind, exact=True).engine == want
        return tropnet.linear_regions(net, dom, kind=kind, exact=True)


def _inside(r):
    x = r.interior_point
    return all(sum(a * v for a, v in zip(row, x)) < b for row, b in zip(r.A, r.b))


NETS = [random_mlp([3, 5, 4, 1], seed=0), random_mlp([4, 6, 4, 2], seed=1), merging_mlp([3, 8, 6, 1], "zeroed", 1),
        merging_mlp([4, 6, 6, 1], "sparse", 2), merging_net(0, 9, 3, scale=2),
        scaled_copies_net(1, 4, 5, [2], cancel=True, zero_bias=True)]


@pytest.mark.parametrize("net,dom", [(NETS[0], "box"), (NETS[1], "cross"), (NETS[2], "poly"), (NETS[3], "box"),
                                     (NETS[4], "cross"), (NETS[4], "box"), (NETS[5], "poly"), (NETS[5], "box")])
def test_exact_hrep_region_sets_equal_the_vertex_engines(net, dom, monkeypatch):
    d = net.input_dim
    domain = {"box": Box(-1, 1), "cross": CrossPolytope(np.zeros(d), Fraction(3, 2)),
              "poly": Polyhedron(np.vstack([np.eye(d), -np.eye(d), np.ones((1, d))]),
                                 np.r_[np.ones(2 * d), 0.5])}[dom]
    for kind in ("activation", "linear"):
        ref = _regions(net, domain, kind, False, monkeypatch)
        mine = _regions(net, domain, kind, True, monkeypatch)
        assert len(mine) == len(ref)
        if dom == "cross":  # a cross-polytope kept whole lists its unit facets only (RegionSet.ball)
            assert mine.ball is not None
            ref_s = {p: ({h: n for h, n in f.items() if n is not None}, W, c) for p, (f, W, c) in _summary(ref).items()}
            assert {p: ({h: n for h, n in f.items() if n is not None}, W, c)
                    for p, (f, W, c) in _summary(mine).items()} == ref_s
        else:
            assert _summary(mine) == _summary(ref)
        # the same linear regions (as sets of cells' patterns), the same adjacency
        def parts(rs):
            return sorted(sorted(tuple(rs._patterns[c]) for c in r.cell_indices) for r in rs)
        assert parts(mine) == parts(ref)
        assert all(_inside(c) for r in mine for c in r.cells)
        assert all(isinstance(v, Fraction) for r in mine for v in r.interior_point)


def test_exact_region_sets_above_16_inputs_known_answers():
    # relu(x1) + relu(x2) - relu(x2) on [-1, 1]^17: 4 cells (x1 = 0, x2 = 0), 2 linear regions
    # (x1 < 0, x1 > 0); a cell has 34 facets: the box's but x1 = +-1 and x2 = +-1 on its side of
    # the units, which x1 = 0 and x2 = 0 replace (one row for the two units on x2 = 0)
    d = 17
    e1, e2 = np.eye(d)[0], np.eye(d)[1]
    net = Network.from_arrays([np.array([e1, e2, 2 * e2]), np.array([[1.0, 1, -0.5]])], [np.zeros(3), np.zeros(1)])
    assert make_plan(net, Box(-1, 1), exact=True).engine == "hrep"
    cells = tropnet.linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert len(cells) == 4
    for r in cells:
        assert len(r.b) == 2 * d
        assert _inside(r)
        assert len([n for n in r._rs._facet_nbr[r._rs._facet_off[r._i]: r._rs._facet_off[r._i + 1]] if n >= 0]) == 2
    assert cells.adjacency().shape == (4, 2)
    lin = tropnet.linear_regions(net, Box(-1, 1), exact=True)
    assert len(lin) == 2 and sorted(len(r.cells) for r in lin) == [2, 2]
    assert len(lin.adjacency()) == 1
    # on a cross-polytope in 17-D: the ball kept whole, the cells list their unit facets only
    cp = tropnet.linear_regions(net, CrossPolytope(np.zeros(d), 1), kind="activation", exact=True)
    assert len(cp) == 4 and cp.ball is not None and all(len(r.b) == 2 for r in cp)


def test_exact_region_sets_on_dask_above_16_inputs_stay_refused():
    net = random_mlp([17, 3, 1], seed=0)
    for dom in (None, Box(-1, 1), Polyhedron(np.eye(17)[:1], np.array([0.0]))):
        with pytest.raises(ValueError, match="exact region sets on Dask"):
            make_plan(net, dom, exact=True, kind="activation", mode="parallel")
