"""The exact 2-D count with the last layer counted by chords (regions.planar_count) against the
certified engine through the last layer, and its refusals on degenerate input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import Box, LeakyReLU, Linear, Network, Threshold, random_mlp
from tropnet.regions.plan import find_cells
from tropnet.regions.planar_count import count_last_layer_2d


def engine_count(net, box):
    return len(find_cells(net, box, exact=True, certify=True))


@settings(max_examples=15)
@given(seed=st.integers(0, 10**6), w1=st.integers(1, 12), w2=st.integers(1, 12), deep=st.booleans())
def test_equals_the_certified_engine_on_random_networks(seed, w1, w2, deep):
    widths = [2, w1, w2, 5, 1] if deep else [2, w1, w2, 1]
    net = random_mlp(widths, seed=seed)
    n = count_last_layer_2d(net, Box(-3, 3))
    assert n is None or n == engine_count(net, Box(-3, 3))


@pytest.mark.parametrize("widths", [[2, 8, 8, 1], [2, 16, 16, 1], [2, 6, 6, 6, 1], [2, 32, 32, 1]])
def test_known_counts_and_the_shortcut_runs(widths):
    net = random_mlp(widths, seed=0)
    n = count_last_layer_2d(net, Box(-10, 10))
    assert n is not None and n == engine_count(net, Box(-10, 10))
    assert tropnet.count_linear_regions(net, Box(-10, 10), kind="activation", exact=True) == n


def test_leaky_and_threshold_last_layers():
    rng = np.random.default_rng(4)
    for act in (LeakyReLU(0.25), Threshold(0.5)):
        net = Network([Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), act,
                       Linear(rng.normal(size=(5, 6)), rng.normal(size=5)), act, Linear(np.ones((1, 5)))])
        n = count_last_layer_2d(net, Box(-2, 2))
        assert n is not None and n == engine_count(net, Box(-2, 2))


def test_three_lines_through_one_point_are_not_counted_as_three_pairs():
    # relu(x), relu(y), relu(x - y): three lines through the origin make 6 cells, not 1 + 3 + 3
    net = Network.from_arrays([[[1, 0], [0, 1], [1, -1]], [[1, 1, 1]]])
    assert count_last_layer_2d(net, Box(-1, 1)) is None
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 6


def test_a_line_through_a_corner_of_a_cell_is_refused():
    # x + y = 2 passes through the corner (1, 1) of the box
    net = Network.from_arrays([[[1, 1], [1, -1]], [[1, 1]]], [[-2, 0], [0]])
    assert count_last_layer_2d(net, Box(-1, 1)) is None
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 2


def test_not_applicable():
    from tropnet import Maxout

    rng = np.random.default_rng(0)
    maxout = Network([Linear(rng.normal(size=(6, 2)), rng.normal(size=6)), Maxout(3), Linear(np.ones((1, 2)))])
    assert count_last_layer_2d(maxout, Box(-1, 1)) is None
    assert count_last_layer_2d(random_mlp([3, 4, 1], seed=0), Box(-1, 1)) is None
    assert count_last_layer_2d(random_mlp([2, 4, 1], seed=0), None) is None


def test_exact_2d_counts_refuse_a_box_of_the_wrong_dimension():
    with pytest.raises(ValueError, match="dimension 3"):
        tropnet.count_linear_regions(random_mlp([2, 4, 1]), Box([0, 0, 0], [1, 1, 1]), kind="activation",
                                     exact=True)
