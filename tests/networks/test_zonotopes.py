"""Zonotopes of a ReLU layer (Zhang et al. 2018, Sect. 5) against the compiler's Newton polytopes."""

from __future__ import annotations

import numpy as np
import pytest

import tropnet
from tropnet import LeakyReLU, Linear, Network, ReLU, Zonotope, layer_zonotopes


def _rows(a):
    return sorted(tuple(int(v) for v in r) for r in np.asarray(a).tolist())


@pytest.mark.parametrize(("d", "k", "out", "seed"), [(2, 5, 1, 0), (2, 6, 2, 1), (3, 5, 2, 2)])
def test_zonotopes_are_the_compiled_newton_polytopes(d, k, out, seed):
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(k, d)).tolist()
    W2 = rng.integers(-3, 4, size=(out, k)).tolist()
    net = Network([Linear(W1, rng.integers(-2, 3, size=k).tolist()), ReLU(), Linear(W2)])
    f = tropnet.tropicalize(net)
    for unit, (num, den) in enumerate(layer_zonotopes(net, 2)):
        assert _rows(num.vertices()) == _rows(f[unit].numerator.newton_polytope())
        assert _rows(den.vertices()) == _rows(f[unit].denominator.newton_polytope())
        assert num.num_vertices <= num.max_vertices()


def test_relu_layer_units_are_segments():
    net = Network([Linear([[1, -2], [0, 3]], [1, 0]), ReLU(), Linear([[1, 1]])])
    zs = layer_zonotopes(net, 1)
    assert [(z.shift.tolist(), z.generators.tolist()) for z, _ in zs] == [([0, 2], [[1, -2]]), ([0, 0], [[0, 3]])]
    assert [d.generators.shape[0] for _, d in zs] == [0, 0]
    # consecutive Linear layers before the ReLU compose
    net2 = Network([Linear([[1, 0], [0, 1]]), Linear([[1, -2], [0, 3]], [1, 0]), ReLU()])
    assert [z.generators.tolist() for z, _ in layer_zonotopes(net2, 2)] == [[[1, -2]], [[0, 3]]]


def test_generic_generators_reach_the_vertex_bound():
    Z = Zonotope([0, 0, 0], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, 2, 3]])
    assert Z.num_vertices == Z.max_vertices() == 2 * (1 + 4 + 6)


def test_float_network():
    net = tropnet.random_mlp([2, 4, 1], seed=3)
    num, den = layer_zonotopes(net, 2)[0]
    assert num.vertices().dtype == np.float64 and len(num.generators) + len(den.generators) == 4


def test_bad_input():
    net = tropnet.random_mlp([2, 3, 3, 1], seed=0)
    with pytest.raises(ValueError, match="second ReLU"):
        layer_zonotopes(net, 4)
    with pytest.raises(ValueError, match="LeakyReLU"):
        layer_zonotopes(Network([Linear([[1.0, 2.0]]), LeakyReLU(0.1)]), 1)
    with pytest.raises(IndexError):
        layer_zonotopes(net, 9)
    with pytest.raises(TypeError):
        layer_zonotopes("net", 0)
    with pytest.raises(ValueError, match="shape"):
        Zonotope([0, 0], [[1, 2, 3]])
