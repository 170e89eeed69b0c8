"""Regions of graph networks (skip connections, concatenations): known answers from line
arrangements, float vs exact, enumeration vs sampling."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import Box, Concat, Graph, Linear, Maxout, Network, ReLU, Residual


def _arrangement_count(lines, lo, hi):
    """Cells of an arrangement of lines a x + c = 0 (general position) in the open box
    [lo, hi]^2: 1 + (lines meeting the box) + (crossings inside the box), in Fractions."""
    corners = [(Fraction(x), Fraction(y)) for x in (lo, hi) for y in (lo, hi)]
    inside = []
    for a0, a1, c in lines:
        vals = [a0 * x + a1 * y + c for x, y in corners]
        if min(vals) < 0 < max(vals):
            inside.append((a0, a1, c))
    points = 0
    for (a0, a1, c), (b0, b1, d) in combinations(inside, 2):
        det = a0 * b1 - a1 * b0
        if det == 0:
            continue
        x = Fraction(-c * b1 + a1 * d, det)
        y = Fraction(-a0 * d + c * b0, det)
        if lo < x < hi and lo < y < hi:
            points += 1
    return 1 + len(inside) + points


def _general_position(lines, lo, hi):
    """No three lines through one point and no crossing on the box boundary."""
    pts = []
    for (a0, a1, c), (b0, b1, d) in combinations(lines, 2):
        det = a0 * b1 - a1 * b0
        if det == 0:
            if a0 * d == b0 * c and a1 * d == b1 * c:  # the same line twice
                return False
            continue
        p = (Fraction(-c * b1 + a1 * d, det), Fraction(-a0 * d + c * b0, det))
        if p in pts or any(v in (lo, hi) for v in p):
            return False
        pts.append(p)
    return all(a0 != 0 and a1 != 0 for a0, a1, _ in lines)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000))
def test_identity_skip_around_a_relu_layer_has_the_cells_of_its_lines(seed):
    rng = np.random.default_rng(seed)
    k = 5
    W = rng.integers(-4, 5, size=(k, 2))
    b = rng.integers(-3, 4, size=k)
    lines = [(int(W[i, 0]), int(W[i, 1]), int(b[i])) for i in range(k)]
    if not _general_position(lines, -3, 3):
        return
    V = rng.integers(-2, 3, size=(2, k))
    net = Network([Residual([Linear(W, b), ReLU(), Linear(V)])])
    want = _arrangement_count(lines, -3, 3)
    assert tropnet.count_linear_regions(net, Box(-3, 3), kind="activation", exact=True) == want
    assert tropnet.count_linear_regions(net, Box(-3, 3), kind="activation") == want
    assert len(tropnet.linear_regions(net, Box(-3, 3), kind="activation")) == want


def test_max_pool_next_to_a_carried_branch_has_the_cells_of_its_tie_lines():
    # out = concat(maxout_2(W x + b), x): the pattern is which member wins each pair,
    # so the cells are those of the lines (W_0 - W_1) x + (b_0 - b_1) = 0 of the pairs
    W = np.array([[1, 2], [-1, 1], [3, -1], [1, 1], [2, 5], [-2, 1]])
    b = np.array([0, 1, -1, 2, 1, -1])
    g = Graph([("a", Linear(W, b), "input"), ("m", Maxout(2), "a"), ("out", Concat(), ("m", "input"))])
    net = Network([g, Linear(np.ones((1, 5), dtype=np.int64))])
    lines = [tuple(int(v) for v in (*(W[2 * i] - W[2 * i + 1]), b[2 * i] - b[2 * i + 1])) for i in range(3)]
    want = _arrangement_count(lines, -4, 4)
    assert tropnet.count_linear_regions(net, Box(-4, 4), kind="activation", exact=True) == want
    assert tropnet.count_linear_regions(net, Box(-4, 4), kind="activation") == want


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_graph_regions_agree_with_sampling_and_exact_maps(seed):
    rng = np.random.default_rng(seed)
    block = Residual([Linear(rng.normal(size=(6, 3)), rng.normal(size=6)), ReLU(),
                      Linear(rng.normal(size=(3, 6)))], shortcut=Linear(rng.normal(size=(3, 3))))
    g = Graph([("r", block, "input"), ("p", tropnet.LeakyReLU([0.5, 0.0, 0.25]), "r"),
               ("q", Linear(rng.normal(size=(2, 3))), "input"), ("c", Concat(), ("p", "q"))])
    net = Network([g, ReLU(), Linear(rng.normal(size=(1, 5)))])
    box = Box(-2, 2)
    regs = tropnet.linear_regions(net, box, kind="activation")
    est = tropnet.estimate_linear_regions(net, box, 4000, seed=seed)
    assert est <= len(regs)
    assert tropnet.count_linear_regions(net, box, kind="activation", exact=True) == len(regs)
    for reg in list(regs)[:20]:  # the map of each region is the network's map at its point
        W, c = reg.affine_map
        p = np.asarray(reg.interior_point, dtype=float)
        assert np.allclose(np.asarray(W, float) @ p + np.asarray(c, float), net(p), atol=1e-8)


def test_graph_network_linear_regions_on_all_of_the_plane():
    net = Network([Residual([Linear([[1, 0], [0, 1]], [0, -1]), ReLU(), Linear([[1, 1], [1, -1]])])])
    # pieces: kinks x = 0 and y = 1, two lines crossing: 4 activation cells, each its own map
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == 4
    assert tropnet.count_linear_regions(net, None, exact=True) == 4


def test_graph_network_on_a_polyhedron():
    net = Network([Residual([Linear([[1, 0], [0, 1]], [0, -1]), ReLU(), Linear([[1, 1], [1, -1]])])])
    tri = tropnet.Polyhedron([[1, 0], [0, 1], [-1, -1]], [3, 3, 3])  # the kinks x = 0, y = 1 cross inside
    assert tropnet.count_linear_regions(net, tri, kind="activation", exact=True) == 4
    assert len(tropnet.linear_regions(net, tri, exact=True)) == 4


def test_graph_network_on_a_segment():
    net = Network([Residual([Linear([[1, 0], [0, 1]], [0, -1]), ReLU(), Linear([[1, 1], [1, -1]])])])
    seg = tropnet.Segment([-2, -2], [2, 3])  # crosses x = 0 at t = 1/2 and y = 1 at t = 3/5
    assert tropnet.count_linear_regions(net, seg, kind="activation", exact=True) == 3
    assert tropnet.count_linear_regions(net, seg, kind="activation") == 3
