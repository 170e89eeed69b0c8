"""Ties of the H-representation engine (issue 18): decided locally at each unit's own scale by
the vertex engine's rule, and never silently: a decision inside the tolerance band above
rounding noise raises :class:`tropnet.AmbiguousGeometryWarning`.  Checked against exact counts
(the vertex engine in rational arithmetic) and against a theorem (k hyperplanes in general
position in R^n, n >= k, make all 2^k sign patterns)."""

import warnings

import numpy as np
import pytest

import tropnet
from tropnet import Box, random_mlp
from tropnet.regions import hrep


def _scaled_unit(widths, seed, factor=1e-9):
    net = random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[0] *= factor
    b[0] *= factor
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


def _quiet_count(net, dom):
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        return tropnet.count_linear_regions(net, dom, kind="activation")


def test_a_unit_with_tiny_weights_counts_in_high_dimension():
    # all weights and the bias of one unit scaled by 1e-9: the same hyperplane; the box-wide
    # tolerance took it for a unit identically at its threshold (8 cells instead of 16)
    net = _scaled_unit([13, 4, 1], seed=0)
    assert hrep.uses_hrep(13, False)
    assert _quiet_count(net, None) == 16


@pytest.mark.parametrize("seed", [0, 1])
def test_tiny_unit_equals_the_exact_count(seed, force_hrep):
    net = _scaled_unit([3, 5, 5, 1], seed)
    exact = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    force_hrep()  # the H-representation engine
    assert _quiet_count(net, Box(-1, 1)) == exact


def test_exact_ties_do_not_warn(force_hrep):
    # no biases: every first-layer plane through the origin (children that are only a point)
    net = random_mlp([3, 5, 4, 1], seed=2)
    net = tropnet.Network([tropnet.Linear(layer.float_weight, 0 * layer.float_bias)
                           if isinstance(layer, tropnet.Linear) else layer for layer in net.layers], input_dim=3)
    exact = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    force_hrep()
    assert _quiet_count(net, Box(-1, 1)) == exact


def test_a_sliver_inside_the_band_warns(force_hrep):
    # the second unit is the first shifted by 1e-10: a sliver thinner than the tolerance
    net = random_mlp([3, 5, 1], seed=0)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], b[0] + 1e-10
    net = tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=3)
    exact = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    force_hrep()
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="exact=True"):
        got = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation")
    assert got < exact
    # moved apart (1e-3): decided, right and quiet
    b[1] = b[0] + 1e-3
    net = tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=3)
    assert _quiet_count(net, Box(-1, 1)) == tropnet.count_linear_regions(net, Box(-1, 1), kind="activation",
                                                                         exact=True)
    assert np.isfinite(got)
