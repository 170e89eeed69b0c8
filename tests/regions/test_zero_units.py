"""Units whose pre-activation is exactly 0 on the whole domain (zero weights and bias, or reading
only units that are off on it, with bias 0) are inactive and make no boundary: the stable-unit
analysis (:func:`tropnet.regions.stable.stable_units`) finds them by exact logic and prunes them
as off, so the engines never meet a unit tight at every vertex.  Counts with such a unit equal
the counts of the network without it (float and exact, both kinds, region sets)."""

import warnings

import numpy as np
import pytest

import tropnet
from tropnet import Box
from tropnet.regions.program import stages_from_network
from tropnet.regions.stable import stable_units


def _arrays(net):
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    return W, B


def _variants(seed, d=3, w=8, integer=False):
    """``(plain, with a unit zero everywhere (zero weights and bias, read), with a unit zero
    on [-2, 2]^d after its inputs are pruned (it reads two units off there; bias 0), with a
    zero last-hidden unit read by the output)``."""
    if integer:
        rng = np.random.default_rng(seed)
        W = [rng.integers(-3, 4, size=(w, d)).astype(float), rng.integers(-3, 4, size=(w, w)).astype(float),
             rng.integers(-3, 4, size=(1, w)).astype(float)]
        B = [rng.integers(-3, 4, size=w).astype(float), rng.integers(-3, 4, size=w).astype(float), np.zeros(1)]
    else:
        W, B = _arrays(tropnet.random_mlp([d, w, w, 1], seed=seed))
    plain = tropnet.Network.from_arrays(W, B)
    zero = tropnet.Network.from_arrays(
        [np.vstack([W[0], np.zeros((1, d))]), np.hstack([W[1], np.ones((w, 1))]), W[2]],
        [np.r_[B[0], 0.0], B[1], B[2]])
    off = np.vstack([np.ones(d), np.r_[1.0, 2.0, -np.ones(d - 2)]])  # two units, bias -100: off
    W1 = np.vstack([W[0], off])
    W2 = np.vstack([np.hstack([W[1], np.zeros((w, 2))]), np.r_[np.zeros(w), 1.0, 2.0]])
    pruned = tropnet.Network.from_arrays([W1, W2, np.hstack([W[2], np.ones((1, 1))])],
                                         [np.r_[B[0], -100.0, -100.0], np.r_[B[1], 0.0], B[2]])
    last = tropnet.Network.from_arrays([W[0], np.vstack([W[1], np.zeros((1, w))]),
                                        np.hstack([W[2], np.full((1, 1), 3.0)])], [B[0], np.r_[B[1], 0.0], B[2]])
    return plain, zero, pruned, last


def _count(net, kind, exact):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, Box(-2, 2), kind=kind, exact=exact, progress=False)


@pytest.mark.parametrize("seed,integer", [(0, False), (1, False), (0, True), (2, True)])
@pytest.mark.parametrize("exact", [False, True], ids=["float", "exact"])
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_a_unit_zero_everywhere_counts_as_none(seed, integer, exact, kind):
    plain, *zeroed = _variants(seed, integer=integer)
    want = _count(plain, kind, exact)
    for net in zeroed:
        assert _count(net, kind, exact) == want


@pytest.mark.parametrize("seed", [0, 3])
def test_region_sets_with_a_zero_unit_have_its_column_off(seed):
    plain, zero, pruned, _ = _variants(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = tropnet.linear_regions(plain, Box(-2, 2), kind="activation", progress=False)
        got = tropnet.linear_regions(zero, Box(-2, 2), kind="activation", progress=False)
        assert len(got) == len(want)
        P = np.asarray(got.patterns)
        assert P.shape[1] == np.asarray(want.patterns).shape[1] + 1 and not P[:, 8].any()  # inactive
        lin = tropnet.linear_regions(pruned, Box(-2, 2), kind="linear", progress=False)
        assert len(lin) == len(tropnet.linear_regions(plain, Box(-2, 2), kind="linear", progress=False))


def test_the_stable_analysis_marks_exact_zeros_off():
    _, zero, pruned, last = _variants(0)
    for net, units in ((zero, [8]), (pruned, [8, 9, 18]), (last, [16])):
        s = stable_units(stages_from_network(net), Box(-2, 2), 3)
        off = np.concatenate([x for x in s.off if x is not None])
        assert off[units].all()
        on = np.concatenate([x for x in s.on if x is not None])
        assert not on[units].any()
    # a unit that is 0 only up to rounding is not exactly 0: never pruned by this rule
    W, B = _arrays(tropnet.random_mlp([3, 8, 8, 1], seed=0))
    W1 = np.vstack([W[0], [[1e-300, 0.0, 0.0]]])
    net = tropnet.Network.from_arrays([W1, np.hstack([W[1], np.ones((8, 1))]), W[2]], [np.r_[B[0], 0.0], B[1], B[2]])
    s = stable_units(stages_from_network(net), Box(-2, 2), 3)
    assert not s.off[0][8] and not s.on[0][8]
