"""The pattern just beyond a point along a ray (:func:`tropnet.regions.affine.patterns_beyond`),
checked against the plain pattern at an exact point ``P + 2^-100 V``: with small integer
weights, points and directions every entry along the ray is ``a + b eps`` with ``a`` zero or at
least ``1/4`` in size and ``|b|`` far below ``2^90``, so no entry changes sign before
``2^-100``; integer points put many units exactly on their hyperplanes (the ties the
lexicographic rule decides)."""

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet.networks.layers import GroupMax, LeakyReLU, Linear, Maxout, ReLU, Threshold
from tropnet.networks.network import Network
from tropnet.regions.affine import patterns_at, patterns_beyond
from tropnet.regions.program import stages_from_network


def _network(seed: int) -> Network:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4))
    width, layers = n, []
    for _ in range(int(rng.integers(1, 4))):
        kind = rng.choice(["relu", "threshold", "leaky", "maxout", "groupmax"])
        out = int(rng.integers(1, 4)) * (2 if kind == "maxout" else 1)
        W = np.array([[Fraction(int(v)) for v in r] for r in rng.integers(-2, 3, size=(out, width))], dtype=object)
        b = np.array([Fraction(int(v)) for v in rng.integers(-2, 3, size=out)], dtype=object)
        layers.append(Linear(W, b))
        width = out
        if kind == "relu":
            layers.append(ReLU())
        elif kind == "threshold":
            layers.append(Threshold(Fraction(int(rng.integers(-2, 3)), 2)))
        elif kind == "leaky":
            layers.append(LeakyReLU(Fraction(int(rng.integers(0, 4)), 4)))
        elif kind == "maxout":
            layers.append(Maxout(2))
            width //= 2
        else:
            k = int(rng.integers(1, 4))
            layers.append(GroupMax(rng.integers(0, width, size=(k, int(rng.integers(1, 3)))), width))
            width = k
    layers.append(Linear(np.array([[Fraction(1)] * width], dtype=object), np.array([Fraction(0)], dtype=object)))
    return Network(layers)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_pattern_beyond_is_the_pattern_a_tiny_step_along(seed):
    net = _network(seed)
    stages = stages_from_network(net, exact=True)
    rng = np.random.default_rng(seed + 1)
    n = net.input_dim
    P = np.array([[Fraction(int(v)) for v in r] for r in rng.integers(-2, 3, size=(20, n))], dtype=object)
    V = np.array([[Fraction(int(v)) for v in r] for r in rng.integers(-2, 3, size=(20, n))], dtype=object)
    V[(V == 0).all(axis=1), 0] = Fraction(1)
    assert (patterns_beyond(stages, P, V) == patterns_at(stages, P + V * Fraction(1, 2**100))).all()
