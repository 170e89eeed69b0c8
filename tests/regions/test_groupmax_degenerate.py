"""GroupMax (Maxout) layers with ties at a vertex: the vertex engine (``refine``) against
the planar engine and against an independent exact evaluation of the network.

Regression: the copies of a cell made for a group share vertex ids, and a tie ``z_o = z_w``
recorded while cutting the copy with winner ``o`` was taken for a facet of the copy with
winner ``w`` before that copy had been clipped by ``z_o <= z_w``; the adjacency tests then
joined non-adjacent vertices (cells lost vertices, 12 cells instead of 16 below).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import GroupMax, LeakyReLU, Linear, Maxout, Network, ReLU
from tropnet.networks.layers import Threshold
from tropnet.regions import planar, refine

LO, HI = -2 * np.ones(2), 2 * np.ones(2)


def _lead_net():
    rng = np.random.default_rng(130)

    def ii(*s):
        return rng.integers(-2, 3, size=s)

    L1 = Linear(ii(6, 2), ii(6))
    L2 = Linear(ii(6, 2), ii(6))
    L3 = Linear(ii(1, 6))
    return L1, Network([L1, Maxout(3), L2, LeakyReLU(Fraction(1, 4)), L3])


# ----------------------------------------------------------------- independent exact checks


def _exact_forward(net, x):
    """Pattern at the point ``x`` (Fractions) by direct evaluation of the lowered layers, and
    whether the point is generic (no unit at its threshold, no tie between distinct members)."""
    z = [Fraction(v) for v in x]
    pat, generic = [], True
    for layer in net.lowered().to_exact().layers:
        if isinstance(layer, Linear):
            W, b = layer.weight, layer.bias
            z = [sum((W[i, j] * z[j] for j in range(len(z))), Fraction(0)) + b[i] for i in range(W.shape[0])]
        elif isinstance(layer, Threshold):
            t = Fraction(layer.t)
            generic &= all(v != t for v in z)
            pat += [int(v > t) for v in z]
            z = [max(v, t) for v in z]
        elif isinstance(layer, LeakyReLU):
            a = Fraction(layer.alpha)
            generic &= all(v != 0 for v in z)
            pat += [int(v > 0) for v in z]
            z = [v if v > 0 else a * v for v in z]
        elif isinstance(layer, GroupMax):
            out = []
            for row in layer.groups.tolist():
                vals = [z[j] for j in row]
                m = max(vals)
                pat.append(vals.index(m))
                generic &= len({j for j in row if z[j] == m}) == 1
                out.append(m)
            z = out
        else:  # pragma: no cover
            raise TypeError(layer)
    return tuple(pat), generic


def _closed_cell_contains(net, pattern, x):
    """``x`` lies in the closure of the cell with ``pattern``: every unit's pre-activation
    (continuous in ``x``) is on the pattern's side or on the boundary."""
    z = [Fraction(v) for v in x]
    pos = 0
    for layer in net.lowered().to_exact().layers:
        if isinstance(layer, Linear):
            W, b = layer.weight, layer.bias
            z = [sum((W[i, j] * z[j] for j in range(len(z))), Fraction(0)) + b[i] for i in range(W.shape[0])]
        elif isinstance(layer, (Threshold, LeakyReLU)):
            t = Fraction(layer.t) if isinstance(layer, Threshold) else Fraction(0)
            for v in z:
                if (pattern[pos] == 1 and v < t) or (pattern[pos] == 0 and v > t):
                    return False
                pos += 1
            z = [max(v, t) for v in z] if isinstance(layer, Threshold) else [
                v if v > 0 else Fraction(layer.alpha) * v for v in z
            ]
        else:
            out = []
            for row in layer.groups.tolist():
                w = z[row[pattern[pos]]]
                if any(z[j] > w for j in row):
                    return False
                pos += 1
                out.append(max(z[j] for j in row))
            z = out
    return True


def _hull_area(P):
    """Shoelace area of the convex hull of 2D points (monotone chain; exact on Fractions)."""
    P = sorted(set(P))
    if len(P) < 3:
        return 0

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def chain(pts):
        h = []
        for p in pts:
            while len(h) >= 2 and cross(h[-2], h[-1], p) <= 0:
                h.pop()
            h.append(p)
        return h[:-1]

    H = chain(P) + chain(P[::-1])
    return sum(H[i][0] * H[(i + 1) % len(H)][1] - H[(i + 1) % len(H)][0] * H[i][1] for i in range(len(H))) / 2


def _check_cells_2d(net, cells, exact):
    """Every cell: distinct vertices of affine rank 3, all in the closed cell, an interior
    point with the cell's pattern; areas sum to the box area."""
    total = 0
    for c in range(len(cells)):
        V = cells.cell_vertices(c)
        pts = [tuple(Fraction(v) for v in row) for row in V]
        if exact:
            assert len(set(pts)) == len(pts), f"cell {c}: repeated vertex in {pts}"
        else:
            D = np.abs(np.asarray(V, float)[:, None, :] - np.asarray(V, float)[None, :, :]).max(axis=2)
            assert (D + np.eye(len(V)) > 1e-9).all(), f"cell {c}: repeated vertex in {V.tolist()}"
        M = np.hstack([np.asarray(V, float), np.ones((len(V), 1))])
        assert np.linalg.matrix_rank(M) == 3, f"cell {c}: vertices {V.tolist()} are not full-dimensional"
        area = _hull_area(pts)
        assert area > 0
        total += area
        pattern = tuple(int(v) for v in cells.patterns[c])
        assert _exact_forward(net, cells.points[c])[0] == pattern
        if exact:
            assert all(_closed_cell_contains(net, pattern, p) for p in pts), f"cell {c}: vertex outside"
    if exact:
        assert total == 16
    else:
        assert abs(float(total) - 16) < 1e-9


def _patterns(cells):
    return {tuple(p) for p in cells.patterns.tolist()}


# ----------------------------------------------------------------- the reported network


@pytest.mark.parametrize("exact", [False, True])
def test_reported_network_has_16_cells(exact):
    _, net = _lead_net()
    cr = refine.enumerate_cells(net.lowered(), LO, HI, exact=exact)
    cp = planar.enumerate_cells(net.lowered(), LO, HI)
    assert len(cr) == 16
    assert _patterns(cr) == _patterns(cp)
    _check_cells_2d(net, cr, exact)


def test_reported_network_exact_count():
    _, net = _lead_net()
    box = tropnet.Box(-2, 2)
    assert tropnet.count_linear_regions(net, box, kind="activation", exact=True) == 16
    assert len(tropnet.linear_regions(net, box, kind="activation", exact=True)) == 16


@pytest.mark.parametrize("exact", [False, True])
def test_first_layer_vertices(exact):
    # at (-2/3, -2/3) group 1 ties z0 = z2 and group 2 ties z3 = z4 (z3 is identically 0)
    L1, _ = _lead_net()
    net1 = Network([L1, Maxout(3), Linear(np.eye(2, dtype=np.int64))])
    cr = refine.enumerate_cells(net1.lowered(), LO, HI, exact=exact)
    assert len(cr) == 6
    byp = {tuple(cr.patterns[c].tolist()): cr.cell_vertices(c) for c in range(len(cr))}
    t = Fraction(-2, 3)

    def vset(V):
        return sorted(tuple(Fraction(v).limit_denominator(1000) for v in row) for row in V)

    assert vset(byp[(0, 1)]) == sorted([(2, 2), (-2, 2), (t, t)])
    assert vset(byp[(0, 0)]) == sorted([(-2, 2), (-2, 0), (-1, -1), (t, t)])
    _check_cells_2d(net1, cr, exact)


# ----------------------------------------------------------------- random degenerate nets

_w = st.integers(-2, 2)


@st.composite
def _groupmax_nets(draw, d=2):
    k = draw(st.integers(2, 4))
    m = draw(st.integers(1, 3))
    n1 = k * m
    W1 = draw(st.lists(st.lists(_w, min_size=d, max_size=d), min_size=n1, max_size=n1))
    b1 = draw(st.lists(_w, min_size=n1, max_size=n1))
    layers = [Linear(np.array(W1, dtype=np.int64), np.array(b1, dtype=np.int64))]
    if draw(st.booleans()):
        layers.append(Maxout(k))
        width = m
    else:  # overlapping groups, repeated members allowed
        g = draw(st.integers(1, 3))
        groups = draw(st.lists(st.lists(st.integers(0, n1 - 1), min_size=k, max_size=k), min_size=g, max_size=g))
        layers.append(GroupMax(np.array(groups, dtype=np.int64), n1))
        width = g
    second = draw(st.sampled_from(["none", "leaky", "relu", "maxout"]))
    if second != "none":
        n2 = draw(st.integers(1, 3)) * (2 if second == "maxout" else 1)
        W2 = draw(st.lists(st.lists(_w, min_size=width, max_size=width), min_size=n2, max_size=n2))
        b2 = draw(st.lists(_w, min_size=n2, max_size=n2))
        layers.append(Linear(np.array(W2, dtype=np.int64), np.array(b2, dtype=np.int64)))
        layers.append({"leaky": LeakyReLU(Fraction(1, 4)), "relu": ReLU(), "maxout": Maxout(2)}[second])
        width = n2 // 2 if second == "maxout" else n2
    W3 = draw(st.lists(st.lists(_w, min_size=width, max_size=width), min_size=1, max_size=1))
    layers.append(Linear(np.array(W3, dtype=np.int64)))
    return Network(layers)


@settings(max_examples=150, deadline=None)
@given(_groupmax_nets(), st.booleans())
def test_refine_matches_planar_on_degenerate_groupmax_nets(net, exact):
    cr = refine.enumerate_cells(net.lowered(), LO, HI, exact=exact)
    cp = planar.enumerate_cells(net.lowered(), LO, HI)
    assert _patterns(cr) == _patterns(cp)
    assert len(cr) == len(_patterns(cr))
    _check_cells_2d(net, cr, exact)


def test_seed_sweep_maxout4():
    # one Maxout(4) layer: a tie line through two box corners (which tripped the old engine in
    # 7 of these 200 nets) is common with weights in -2..2 on [-2, 2]^2
    for seed in range(200):
        rng = np.random.default_rng(seed)
        net = Network([Linear(rng.integers(-2, 3, (8, 2)), rng.integers(-2, 3, 8)), Maxout(4), Linear([[1, -1]])])
        cr = refine.enumerate_cells(net.lowered(), LO, HI)
        assert _patterns(cr) == _patterns(planar.enumerate_cells(net.lowered(), LO, HI)), seed
        _check_cells_2d(net, cr, False)


@pytest.mark.parametrize("exact", [False, True])
def test_seed_sweep_maxout4_three_inputs(exact):
    # the old engine failed on 22 of the first 150 of these nets (float mode)
    from scipy.spatial import ConvexHull

    lo, hi = -2 * np.ones(3), 2 * np.ones(3)
    for seed in range(12 if exact else 60):
        rng = np.random.default_rng(seed)
        net = Network([Linear(rng.integers(-2, 3, (8, 3)), rng.integers(-2, 3, 8)), Maxout(4), Linear([[1, -1]])])
        cr = refine.enumerate_cells(net.lowered(), lo, hi, exact=exact)
        vol = sum(ConvexHull(np.asarray(cr.cell_vertices(c), float)).volume for c in range(len(cr)))
        assert abs(vol - 64) < 1e-9, seed
        for c in range(len(cr)):
            pattern = tuple(cr.patterns[c].tolist())
            assert _exact_forward(net, cr.points[c])[0] == pattern, seed
            if exact:
                assert all(_closed_cell_contains(net, pattern, v) for v in cr.cell_vertices(c)), seed


@settings(max_examples=12, deadline=None)
@given(_groupmax_nets(d=3))
def test_three_inputs_against_exact_evaluation(net):
    from scipy.spatial import ConvexHull

    lo, hi = -2 * np.ones(3), 2 * np.ones(3)
    cr = refine.enumerate_cells(net.lowered(), lo, hi, exact=True)
    pats = _patterns(cr)
    assert len(pats) == len(cr)
    # every cell's interior point has the cell's pattern, its vertices lie in the closed cell
    for c in range(len(cr)):
        pattern = tuple(cr.patterns[c].tolist())
        assert _exact_forward(net, cr.points[c])[0] == pattern
        assert all(_closed_cell_contains(net, pattern, v) for v in cr.cell_vertices(c))
    # volumes sum to the box's
    vol = sum(ConvexHull(np.asarray(cr.cell_vertices(c), float)).volume for c in range(len(cr)))
    assert abs(vol - 64) < 1e-9
    # a grid point that is generic (no tie anywhere) lies inside a full-dimensional cell
    g = [Fraction(i, 2) + Fraction(1, 97) - 2 for i in range(8)]
    for x in g:
        for y in g:
            for z in g:
                pattern, generic = _exact_forward(net, (x, y, z + Fraction(1, 89)))
                if generic:
                    assert pattern in pats
