"""The sampling estimator: a lower bound that reaches easy exact counts."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import Box, Linear, Maxout, Network, Polyhedron, random_mlp
from tropnet.algebra import TropicalPolynomial, TropicalRationalMap, variables
from tropnet.regions.estimate import estimate_linear_regions
from tropnet.regions.planar import count_cells


def test_never_above_the_exact_count():
    # exact counts agreed by every peer (python_peers.md section 4)
    for widths, exact in (([2, 8, 8, 1], 105), ([2, 16, 16, 1], 414)):
        net = random_mlp(widths, seed=0)
        est = estimate_linear_regions(net, Box(-10, 10), 50_000)
        assert 0.7 * exact < est <= exact
        assert estimate_linear_regions(net, Box(-10, 10), 50_000, kind="linear") <= est


@given(st.integers(0, 10_000))
def test_lower_bound_on_random_small_networks(seed):
    rng = np.random.default_rng(seed)
    net = Network.from_arrays(
        [rng.integers(-2, 3, size=(4, 2)), rng.integers(-2, 3, size=(3, 4)), rng.normal(size=(1, 3))],
        [rng.integers(-2, 3, size=4), rng.integers(-2, 3, size=3), [0.0]],
    )
    est = estimate_linear_regions(net, Box(-2, 2), 3000, seed=seed)
    assert est <= count_cells(net, [-2, -2], [2, 2])
    assert estimate_linear_regions(net, Box(-2, 2), 3000, seed=seed, kind="linear") <= est


def test_equal_on_easy_cases():
    relu_sum = Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    assert estimate_linear_regions(relu_sum, Box(-1, 1), 2000) == 4
    assert estimate_linear_regions(relu_sum, Box(-1, 1), 2000, kind="linear") == 4
    # lines x = 0, y = 0, x + y = 1, x - y = 2 meet in 6 points inside: 1 + 4 + 6 = 11 cells
    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 1, 1, 1]]], [[0, 0, -1, -2], [0]])
    assert count_cells(net, [-3, -3], [3, 3]) == 11
    assert estimate_linear_regions(net, Box(-3, 3), 20_000) == 11
    # a dead unit is not a boundary: relu(x) - relu(x) has one map on two cells
    dead = Network.from_arrays([[[1, 0], [1, 0]], [[1, -1]]])
    assert estimate_linear_regions(dead, Box(-1, 1), 1000) == 2
    assert estimate_linear_regions(dead, Box(-1, 1), 1000, kind="linear") == 1


def test_tropical_objects():
    x, y = variables("x y")
    p = x + y + 0  # max(x, y, 0)
    assert estimate_linear_regions(p, Box(-1, 1), 2000) == 3 == p.num_linear_regions()
    q = TropicalPolynomial([[0, 0], [1, 0], [0, 1], [1, 1], [2, 0]], [0, 1, 1, 0, -1])
    assert estimate_linear_regions(q, Box(-10, 10), 50_000) == q.num_linear_regions()
    r = (x + y + 0) / (x + 0)  # 4 activation cells, 3 linear regions
    assert estimate_linear_regions(r, Box(-1, 1), 5000) == 4
    assert estimate_linear_regions(r, Box(-1, 1), 5000, kind="linear") == 3
    m = TropicalRationalMap([x + 0, y + 0])
    assert estimate_linear_regions(m, Box(-1, 1), 5000) == 4


def test_disjoint_regions_with_one_map_count_once():
    # max(0, x, 2x - 2) - max(0, 2x - 2) = relu(x) + relu(x - 2) - relu(2x - 2):
    # 4 linear regions, the two outer ones with the map 0
    net = Network.from_arrays([[[1], [1], [2]], [[1, 1, -1]]], [[0, -2, -2], [0]])
    assert estimate_linear_regions(net, Box(-1, 3), 5000) == 4
    assert estimate_linear_regions(net, Box(-1, 3), 5000, kind="linear") == 3


def test_polyhedron_and_group_max():
    tri = Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])
    net = random_mlp([2, 8, 8, 1], seed=1)
    est = estimate_linear_regions(net, tri, 20_000)
    assert est <= count_cells(net, [-1, -1], [2, 2], halfspaces=(tri.A, tri.b))
    assert est < estimate_linear_regions(net, Box(-1, 2), 20_000)
    rng = np.random.default_rng(0)
    mx = Network([Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), Maxout(3), Linear(np.ones((1, 2)))])
    assert estimate_linear_regions(mx, Box(-3, 3), 20_000) <= count_cells(mx, [-3, -3], [3, 3])


def test_seeded():
    net = random_mlp([3, 8, 8, 1], seed=0)
    a = estimate_linear_regions(net, Box(-5, 5), 5000, seed=7)
    assert a == estimate_linear_regions(net, Box(-5, 5), 5000, seed=7)


def test_bad_input():
    net = random_mlp([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="bounded"):
        estimate_linear_regions(net, None, 10)
    with pytest.raises(ValueError, match="unbounded"):
        estimate_linear_regions(net, Polyhedron([[1, 0]], [1]), 10)
    with pytest.raises(ValueError, match="kind"):
        estimate_linear_regions(net, Box(-1, 1), 10, kind="affine")
    with pytest.raises(ValueError, match="n_samples"):
        estimate_linear_regions(net, Box(-1, 1), 0)
    with pytest.raises(TypeError, match="domain"):
        estimate_linear_regions(net, (-1, 1), 10)
    with pytest.raises(ValueError, match="dimension"):
        estimate_linear_regions(net, Box([0, 0, 0], [1, 1, 1]), 10)
    with pytest.raises(TypeError):
        estimate_linear_regions("net", Box(-1, 1), 10)
