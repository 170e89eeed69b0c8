"""The 2D polygon path: known counts, degenerate arrangements, an independent exact check."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import GroupMax, LeakyReLU, Linear, Maxout, Network, Threshold, random_mlp
from tropnet.regions.planar import count_cells, enumerate_cells

BOX10 = ([-10.0, -10.0], [10.0, 10.0])
UNIT = ([-1, -1], [1, 1])


# --------------------------------------------------------------------------- helpers
def exact_patterns(net: Network, x: np.ndarray) -> list[tuple]:
    """Activation patterns at points, in rational arithmetic (an independent forward pass)."""
    z = np.vectorize(Fraction, otypes=[object])(np.asarray(x, dtype=np.float64))
    pats = []
    for layer in net.lowered().to_exact().layers:
        if isinstance(layer, Threshold):
            pats.append((z > layer.t).astype(np.int64))
        elif isinstance(layer, LeakyReLU):
            pats.append((z > 0).astype(np.int64))
        elif isinstance(layer, GroupMax):
            vals = z[:, layer.groups]  # first index attaining the maximum
            best = vals.max(axis=2)
            pats.append(np.argmax(vals == best[:, :, None], axis=2))
        z = layer.forward(z)
    if not pats:
        return [()] * len(x)
    return list(map(tuple, np.hstack(pats).tolist()))


def polygon_areas(cells) -> np.ndarray:
    areas = []
    for i in range(len(cells)):
        v = cells.cell_vertices(i)
        areas.append(0.5 * np.sum(v[:, 0] * np.roll(v[:, 1], -1) - np.roll(v[:, 0], -1) * v[:, 1]))
    return np.array(areas)


def check_cells(net, lo, hi, domain_area, halfspaces=None, n_samples=1000):
    """Independent checks of a complete, correct cell list; returns the number of cells."""
    cells = enumerate_cells(net, lo, hi, halfspaces=halfspaces)
    pats = [tuple(p) for p in cells.patterns.tolist()]
    assert len(set(pats)) == len(pats), "two cells with one pattern"
    # each cell's interior point really has the cell's pattern (exact forward pass)
    assert exact_patterns(net, cells.points) == pats
    # counter-clockwise convex polygons that tile the domain
    areas = polygon_areas(cells)
    assert np.all(areas > 0)
    assert areas.sum() == pytest.approx(domain_area, rel=1e-9)
    for i in range(len(cells)):
        v = cells.cell_vertices(i)
        e = np.roll(v, -1, axis=0) - v
        cross = e[:, 0] * np.roll(e[:, 1], -1) - e[:, 1] * np.roll(e[:, 0], -1)
        assert np.all(cross > -1e-9 * np.abs(v).max() ** 2)
    # every pattern met by random points is among the cells
    rng = np.random.default_rng(1)
    x = rng.uniform(np.broadcast_to(lo, 2), np.broadcast_to(hi, 2), size=(n_samples, 2))
    if halfspaces is not None:
        A, b = (np.asarray(a, float) for a in halfspaces)
        x = x[np.all(x @ A.T < b, axis=1)]
    assert set(exact_patterns(net, x)) <= set(pats)
    assert count_cells(net, lo, hi, halfspaces=halfspaces) == len(cells)
    return len(cells)


def integer_net(seed: int, widths: list[int], span: int = 2) -> Network:
    """Small integer weights: zero rows, duplicate, parallel and concurrent lines abound."""
    rng = np.random.default_rng(seed)
    ws = [rng.integers(-span, span + 1, size=(o, i)).tolist() for i, o in zip(widths[:-1], widths[1:])]
    bs = [rng.integers(-span, span + 1, size=o).tolist() for o in widths[1:]]
    return Network.from_arrays(ws, bs)


# --------------------------------------------------------------------------- known answers
@pytest.mark.parametrize("widths, n", [([2, 8, 8, 1], 105), ([2, 16, 16, 1], 414), ([2, 32, 32, 1], 1789)])
def test_random_mlp_counts_agree_with_the_peers(widths, n):
    # regioncam, relucent, affinitree and parx all report these (python_peers.md section 4)
    net = random_mlp(widths, seed=0)
    assert count_cells(net, *BOX10) == n
    cells = enumerate_cells(net, *BOX10)
    assert len(cells) == n
    assert polygon_areas(cells).sum() == pytest.approx(400.0, rel=1e-12)


def test_thinnest_cells_are_real():
    # the slivers of [2, 64, 64, 1] (areas down to 1.4e-11 in a box of area 400) have points
    # inside whose exact pattern is the cell's
    net = random_mlp([2, 64, 64, 1], seed=0)
    cells = enumerate_cells(net, *BOX10)
    thin = np.argsort(polygon_areas(cells))[:4]
    assert polygon_areas(cells)[thin[0]] < 1e-8
    assert exact_patterns(net, cells.points[thin]) == [tuple(cells.patterns[i]) for i in thin]


def test_random_mlp_cells_are_exactly_right():
    assert check_cells(random_mlp([2, 6, 5, 1], seed=3), *BOX10, 400.0) > 20


def test_one_hidden_layer_in_general_position():
    # n generic lines all meeting inside the box: 1 + n + C(n, 2) cells
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 2))
    net = Network.from_arrays([W, np.ones((1, 5))], [rng.normal(size=5) * 0.01, [0.0]])
    assert count_cells(net, *BOX10) == 1 + 5 + 10
    assert len(enumerate_cells(net, *BOX10)) == 16


def test_identical_and_opposite_lines_through_one_point():
    # units x, 2x, x - y, y - x: two distinct lines through the origin, 4 cells
    net = Network.from_arrays([[[1, 0], [2, 0], [1, -1], [-1, 1]], [[1, 1, 1, 1]]])
    assert check_cells(net, *UNIT, 4.0) == 4


def test_peers_degenerate_probe():
    # relu(x) - relu(y) after units x, y, x + y: the second-layer unit is identically zero
    # on the third quadrant; 7 cells (python_peers.md section 4)
    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, -1, 0]], [[1]]])
    assert check_cells(net, *UNIT, 4.0) == 7
    assert count_cells(net, *BOX10) == 7


def test_many_lines_through_one_point_and_parallel_lines():
    # four lines through the origin: 8 sectors
    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 1, 1, 1]]])
    assert check_cells(net, *UNIT, 4.0) == 8
    # three parallel lines and one crossing them: 4 * 2 cells
    net = Network.from_arrays([[[2, 0], [2, 0], [2, 0], [0, 1]], [[1, 1, 1, 1]]], [[-1, 0, 1, 0], [0]])
    assert check_cells(net, *UNIT, 4.0) == 8


def test_zero_rows_and_lines_on_the_boundary():
    # a zero row (constant unit), a line along the box edge x = 1, a line through a corner
    net = Network.from_arrays([[[0, 0], [1, 0], [1, 1]], [[1, 1, 1]]], [[1, -1, -2], [0]])
    assert check_cells(net, *UNIT, 4.0) == 1
    zero = Network.from_arrays([[[0, 0], [0, 0]], [[1, 1]]], [[0, -1], [0]])
    cells = enumerate_cells(zero, *UNIT)
    assert cells.patterns.tolist() == [[0, 0]]


def test_lines_concurrent_with_second_layer_kinks():
    # second-layer lines through the vertex where first-layer lines meet
    net = Network.from_arrays([[[1, 0], [0, 1]], [[1, 1], [1, -1], [2, 1]], [[1, 1, 1]]])
    assert check_cells(net, *UNIT, 4.0) == check_cells(net, [-3, -2], [1, 4], 24.0)


@given(st.integers(0, 10_000))
def test_integer_networks_degenerate_everywhere(seed):
    net = integer_net(seed, [2, 4, 3, 2])
    check_cells(net, [-2, -2], [2, 2], 16.0, n_samples=400)


def test_other_activations():
    rng = np.random.default_rng(5)
    layers = [Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), LeakyReLU(0.1),
              Linear(rng.normal(size=(4, 6)), rng.normal(size=4)), Threshold(0.5),
              Linear(rng.normal(size=(1, 4)))]
    assert check_cells(Network(layers), [-3, -3], [3, 3], 36.0) > 10


def test_maxout_and_group_max():
    rng = np.random.default_rng(2)
    net = Network([Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), Maxout(3),
                   Linear(rng.normal(size=(4, 2)), rng.normal(size=4)), Maxout(2), Linear(np.ones((1, 2)))])
    assert check_cells(net, [-3, -3], [3, 3], 36.0) > 5
    # ties on an open set keep the earlier index: max(x, x, y) has cells 0 and 2 only
    tie = Network([Linear([[1, 0], [1, 0], [0, 1]]), GroupMax([[0, 1, 2]])])
    assert sorted(enumerate_cells(tie, *UNIT).patterns.ravel().tolist()) == [0, 2]
    for seed in range(3):
        check_cells(Network([Linear(integer_net(seed, [2, 6]).layers[0].weight,
                                    integer_net(seed, [2, 6]).layers[0].bias),
                             Maxout(2), Linear(np.ones((1, 3)))]), [-2, -2], [2, 2], 16.0)


def test_tropical_polynomial_dominance_cells():
    # one GroupMax group of hundreds of monomials: the cells are the upper-hull monomials'
    # dominance regions (all of them meet the box)
    api = pytest.importorskip("tropnet.regions.api")
    from tropnet import TropicalPolynomial

    rng = np.random.default_rng(0)
    p = TropicalPolynomial(rng.integers(0, 30, size=(300, 2)).tolist(), rng.integers(-50, 50, size=300).tolist())
    net = api.as_network(p)
    assert count_cells(net, -1e4, 1e4) == p.num_linear_regions()
    cells = enumerate_cells(net, -1e4, 1e4)
    assert len(cells) == p.num_linear_regions()
    assert exact_patterns(net, cells.points) == [tuple(r) for r in cells.patterns.tolist()]


def test_polyhedral_domain():
    # the triangle x >= -1, y >= -1, x + y <= 1 inside the box [-5, 5]^2
    A, b = [[-1, 0], [0, -1], [1, 1]], [1, 1, 1]
    net = random_mlp([2, 8, 8, 1], seed=1)
    assert check_cells(net, [-5, -5], [5, 5], 4.5, halfspaces=(A, b)) > 3


def test_scale_invariance():
    net = random_mlp([2, 16, 16, 1], seed=0)
    (W1, b1), (W2, b2), (W3, b3) = [(L.weight, L.bias) for L in net.layers if isinstance(L, Linear)]
    n = count_cells(net, *BOX10)
    shrunk = Network.from_arrays([W1 * 1e6, W2 * 1e-3, W3], [b1, b2 * 1e-3, b3])
    assert count_cells(shrunk, [-1e-5, -1e-5], [1e-5, 1e-5]) == n
    assert len(enumerate_cells(shrunk, [-1e-5, -1e-5], [1e-5, 1e-5])) == n


def test_same_cells_as_the_general_path():
    refine = pytest.importorskip("tropnet.regions.refine")

    def general(net, r):  # the n-D engine, called directly (the public API sends d = 2 here)
        return set(map(tuple, refine.enumerate_cells(net, np.full(2, -r), np.full(2, r)).patterns.tolist()))

    rng = np.random.default_rng(0)
    maxout = Network([Linear(rng.normal(size=(8, 2)), rng.normal(size=8)), Maxout(2),
                      Linear(rng.normal(size=(6, 4)), rng.normal(size=6)), LeakyReLU(0.2),
                      Linear(rng.normal(size=(1, 6)))])
    for net, r in ((random_mlp([2, 8, 8, 1], seed=0), 10.0), (random_mlp([2, 12, 10, 6, 1], seed=4), 10.0),
                   (integer_net(7, [2, 5, 4, 1]), 2.0), (maxout, 3.0)):
        mine = set(map(tuple, enumerate_cells(net, -r, r).patterns.tolist()))
        assert general(net, r) == mine


def test_exact_inputs_and_progress_bar(capsys):
    net = random_mlp([2, 8, 8, 1], seed=0).to_exact()
    lo, hi = [Fraction(-10), Fraction(-10)], [Fraction(10), Fraction(10)]
    A, b = np.array([[Fraction(1), Fraction(1)]], dtype=object), np.array([Fraction(100)], dtype=object)
    assert count_cells(net, lo, hi, halfspaces=(A, b), progress=True) == 105
    assert len(enumerate_cells(net, lo, hi, progress=True)) == 105


def test_no_activation_layer_is_one_cell():
    net = Network([Linear([[1, 2]])])
    assert count_cells(net, *UNIT) == 1
    assert enumerate_cells(net, *UNIT).patterns.shape == (1, 0)


# --------------------------------------------------------------------------- bad input
def test_bad_input():
    net = random_mlp([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="2 inputs"):
        enumerate_cells(random_mlp([3, 4, 1]), [-1] * 3, [1] * 3)
    with pytest.raises(TypeError, match="Network"):
        count_cells("net", -1, 1)
    with pytest.raises(ValueError, match="empty or lower-dimensional"):
        count_cells(net, [1, 0], [0, 1])
    with pytest.raises(ValueError, match="finite"):
        count_cells(net, [np.nan, 0], [1, 1])
    with pytest.raises(ValueError, match="NaN"):
        count_cells(net, -1, 1, halfspaces=([[1, np.nan]], [0]))
    with pytest.raises(ValueError, match="shape"):
        count_cells(net, -1, 1, halfspaces=([[1, 0, 0]], [0]))
    with pytest.raises(ValueError, match="empty or lower-dimensional"):
        count_cells(net, -1, 1, halfspaces=([[1, 0]], [-2]))
    with pytest.raises(ValueError, match="empty or lower-dimensional"):
        count_cells(net, -1, 1, halfspaces=([[1, 0], [-1, 0]], [0, 0]))
    with pytest.raises(ValueError, match="more than 50 cells|exceed the limit of 50"):
        enumerate_cells(random_mlp([2, 16, 16, 1]), *BOX10, max_cells=50)
    with pytest.raises(ValueError, match="more than 50 cells|exceed the limit of 50"):
        count_cells(random_mlp([2, 16, 16, 1]), *BOX10, max_cells=50)
    with pytest.raises(ValueError, match="max_cells"):
        count_cells(net, *BOX10, max_cells=0)
