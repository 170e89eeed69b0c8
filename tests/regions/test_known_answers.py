"""Known region counts (reference: theory notes section C, python_peers.md)."""

from fractions import Fraction as F
from math import comb

import numpy as np
import pytest

import tropnet
from tropnet import Box, Linear, Network, ReLU, count_linear_regions, random_mlp
from tropnet.algebra.polynomial import variables


def zaslavsky(d, n):
    return sum(comb(n, i) for i in range(d + 1))


def one_hidden_layer(d, n, seed):
    rng = np.random.default_rng(seed)
    return Network.from_arrays(
        [rng.normal(size=(n, d)), rng.normal(size=(1, n)) + 3.0], [rng.normal(size=n), [0.0]]
    )


@pytest.mark.parametrize("d,n", [(1, 3), (2, 4), (2, 5), (3, 6)])
def test_zaslavsky_one_hidden_layer(d, n):
    net = one_hidden_layer(d, n, seed=d * 10 + n)
    expected = zaslavsky(d, n)
    assert count_linear_regions(net, kind="activation") == expected
    assert count_linear_regions(net) == expected


def test_zaslavsky_exact():
    net = one_hidden_layer(2, 4, seed=3)
    assert count_linear_regions(net, exact=True) == 11


def test_tropical_polynomials():
    x, y = variables("x y")
    assert count_linear_regions(x + y + 0) == 3
    assert count_linear_regions(x + y + 0, exact=True) == 3
    (t,) = variables("t")
    p = t + t**2 + t**3
    assert count_linear_regions(p) == 2
    assert count_linear_regions(p, kind="activation") == 2


def test_polynomial_matches_num_linear_regions():
    x, y = variables("x y")
    # degree 3, strictly concave coefficients: (d+1)(d+2)/2 regions
    p = None
    for i in range(4):
        for j in range(4 - i):
            m = (x**i) * (y**j) * F(-(i * i + i * j + j * j))
            p = m if p is None else p + m
    assert p.num_linear_regions() == 10
    assert count_linear_regions(p) == 10
    assert count_linear_regions(p, exact=True) == 10


def test_rational_functions():
    (x,) = variables("x")
    r = (0 + x + x**2 * (-2)) / (0 + x**2 * (-2))
    assert count_linear_regions(r, kind="activation") == 4
    assert count_linear_regions(r) == 4  # two outer regions share the map 0 but no facet
    x, y = variables("x y")
    r2 = (0 + x + y) / (0 + x)
    assert count_linear_regions(r2) == 3
    assert count_linear_regions(r2, exact=True) == 3
    g = 0 + x + y
    assert count_linear_regions(g / g) == 1


def test_relu_of_difference():
    net = Network([Linear([[1, 0], [0, 1]]), ReLU(), Linear([[-1, 1]]), ReLU(), Linear([[1]])])
    assert count_linear_regions(net) == 3
    assert count_linear_regions(net, exact=True) == 3


def test_swap_network_has_four():
    net = Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])
    assert count_linear_regions(net) == 4
    assert count_linear_regions(net, exact=True) == 4


def sawtooth(L):
    Ws, bs = [[[1], [1]]], [[0, F(-1, 2)]]
    for _ in range(2, L + 1):
        Ws.append([[2, -4], [2, -4]])
        bs.append([0, F(-1, 2)])
    Ws.append([[2, -4]])
    bs.append([0])
    return Network.from_arrays(Ws, bs)


@pytest.mark.parametrize("L", range(1, 9))
def test_sawtooth(L):
    net = sawtooth(L)
    assert count_linear_regions(net, Box(0, 1)) == 2**L
    assert count_linear_regions(net.to_float(), Box(0, 1), kind="activation") == 2**L
    on_r = 3 if L == 1 else 2**L + 2
    assert count_linear_regions(net) == on_r
    if L <= 4:
        assert count_linear_regions(net, Box(0, 1), exact=True) == 2**L
        assert count_linear_regions(net, exact=True) == on_r


def test_net_reaching_eleven():
    net = Network.from_arrays([[[2, 2], [-1, 1]], [[1, 2], [-3, -1]], [[1, 1]]], [[1, 3], [-1, 1], [0]])
    assert count_linear_regions(net, kind="activation") == 11
    assert count_linear_regions(net) == 10
    assert count_linear_regions(net, exact=True) == 10


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("domain", [None, Box(-1, 1)])
def test_degenerate_first_layer(exact, domain):
    # units x, 2x, x - y, y - x: two distinct lines through the origin
    net = Network.from_arrays([[[1, 0], [2, 0], [1, -1], [-1, 1]], [[1, 1, 1, 1]]])
    if not exact:
        net = net.to_float()
    assert count_linear_regions(net, domain, kind="activation", exact=exact) == 4


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("domain", [None, Box(-1, 1)])
def test_peers_degenerate_probe(exact, domain):
    # rows (1,0), (0,1), (1,1), zero bias; relu(x) - relu(y); unit 2 is 0 on the third quadrant
    net = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, -1, 0]], [[1]]])
    if not exact:
        net = net.to_float()
    assert count_linear_regions(net, domain, kind="activation", exact=exact) == 7


@pytest.mark.parametrize("exact", [False, True])
def test_zero_rows_duplicates_and_concurrent_lines(exact):
    # a zero unit, a duplicate, a parallel line, and three lines through (1, 1)
    W = [[0, 0], [1, 0], [1, 0], [1, 0], [0, 1], [1, 1], [1, -1]]
    b = [0, -1, -1, 1, -1, -2, 0]
    net = Network.from_arrays([W, [[1] * 7]], [b, [0]])
    if not exact:
        net = net.to_float()
    # distinct lines: x=1, x=-1, y=1, x+y=2, x=y: the three through (1,1) plus two more
    # arrangement of lines x=1, x=-1, y=1, x+y=2, x-y=0 on R^2
    # count = 1 + lines + intersection points (with multiplicity by Zaslavsky for concurrency)
    # vertices: (1,1) [x=1,y=1,x+y=2,x=y], (-1,1), (-1,-1), (-1,3)
    # regions = 1 + 5 + sum over vertices (lines through it - 1) = 1 + 5 + 3 + 1 + 1 + 1 = 12
    assert count_linear_regions(net, kind="activation", exact=exact) == 12


def test_unit_zero_on_open_set_is_inactive():
    # relu(relu(x) - relu(x)) is identically 0: one cell split by x = 0 only
    net = Network([Linear([[1], [1]]), ReLU(), Linear([[1, -1]]), ReLU(), Linear([[1]])])
    assert count_linear_regions(net, kind="activation") == 2
    assert count_linear_regions(net) == 1


@pytest.mark.parametrize("widths,expected", [([2, 8, 8, 1], 113), ([2, 16, 16, 1], 442)])
def test_peer_counts_on_rd(widths, expected):
    assert count_linear_regions(random_mlp(widths, seed=0), kind="activation") == expected


@pytest.mark.parametrize("widths,expected", [([2, 8, 8, 1], 105), ([2, 16, 16, 1], 414)])
def test_peer_counts_on_box(widths, expected):
    assert count_linear_regions(random_mlp(widths, seed=0), Box(-10, 10), kind="activation") == expected
    assert (
        tropnet.count_linear_regions(
            random_mlp(widths, seed=0), Box(-10, 10), kind="activation", progress=False
        )
        == expected
    )


def test_peer_count_3d():
    # [3,8,8,1] seed 1 on [-5,5]^3: 580 cells (regions_prototypes.md, equal to affinitree)
    assert count_linear_regions(random_mlp([3, 8, 8, 1], seed=1), Box(-5, 5), kind="activation") == 580


@pytest.mark.parametrize("widths", [[2, 16, 16, 1], [3, 10, 10, 1]])
def test_zero_bias_network_cells_are_cones(widths):
    # without biases the network is positively homogeneous: every cell is a cone with apex 0,
    # so every cell meets [-1, 1]^d and the box count equals the R^d count; all hyperplanes of
    # the first layer pass through the origin (a maximally degenerate vertex)
    Ws = [layer.weight for layer in random_mlp(widths, seed=0).layers if hasattr(layer, "weight")]
    net = Network.from_arrays(Ws, [np.zeros(W.shape[0]) for W in Ws])
    on_box = count_linear_regions(net, Box(-1, 1), kind="activation")
    assert on_box == count_linear_regions(net, kind="activation")
    assert on_box == count_linear_regions(net.to_exact(), Box(-1, 1), kind="activation", exact=True)
