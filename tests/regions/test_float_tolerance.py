"""Float mode is never silently wrong (issue 18, item 3): the tie tolerance is local (a small
cell far from the domain's largest values is decided at its own scale), the cube of R^n is not
sized by a unit with near-zero weights, and a decision left inside its tolerance band above
rounding noise raises tropnet.AmbiguousGeometryWarning."""

import warnings

import pytest

import tropnet
from tropnet import Box, Network, random_mlp


def _float_count(net, dom):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = tropnet.count_linear_regions(net, dom, kind="activation")
    return n, any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)


@pytest.mark.parametrize("dom", [None, Box(-1e8, 1e8), Box(-1e10, 1e10)])
def test_large_boxes_keep_the_small_cells(dom):
    # issue 18: 69 on R^2, 67 on Box(-1e8, 1e8), 25 on Box(-1e10, 1e10); exact 69 everywhere
    net = random_mlp([2, 6, 6, 1], seed=3)
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == 69
    assert _float_count(net, dom) == (69, False)


def test_a_unit_with_tiny_weights_does_not_size_the_cube():
    # four lines in general position: 11 regions on R^2 (float said 10)
    net = Network.from_arrays([[[1, .5], [-.3, 1], [.7, -.2], [1e-8, 0]], [[1, -1, .5, 2]]],
                              [[.1, -.2, .3, 1], [0]])
    assert tropnet.count_linear_regions(net, kind="activation", exact=True) == 11
    assert _float_count(net, None) == (11, False)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_units_on_rn_are_right_or_warn(seed):
    net = random_mlp([3, 5, 5, 1], seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[seed % 5] *= 1e-9
    net = Network([tropnet.Linear(W, b)] + list(net.layers[1:]), input_dim=3)
    exact = tropnet.count_linear_regions(net, kind="activation", exact=True)
    got, warned = _float_count(net, None)
    assert got == exact or warned


def test_a_sliver_inside_the_band_warns():
    # units x and x - 1e-10 in 3-D: a slab of width 1e-10, decided at the vertices' own scale
    # (coordinate by coordinate: the unit's terms near x = 0 are small); units x and x - 3e-14:
    # inside the float tolerance (1e-9 of the unit's terms, floored at 1e-4 of the cell's) yet
    # above rounding noise (64 units of roundoff of the cell's terms): merged, and said so
    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]], [[0.0, -1e-10], [0.0]])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation") == 3
    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]], [[0.0, -3e-14], [0.0]])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="exact=True"):
        assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation") == 2


def test_parallel_tasks_report_their_ambiguous_decisions():
    from tropnet.parallel import count_parallel

    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]], [[0.0, -3e-14], [0.0]])
    with pytest.warns(tropnet.AmbiguousGeometryWarning):
        assert count_parallel(net, Box(-1, 1), kind="activation", parallel=None) == 2


@pytest.mark.parametrize("widths", [[2, 6, 6, 1], [3, 6, 6, 1]])
@pytest.mark.parametrize("dom", [Box(-1e300, 1e300), Box(-1e150, 1e150), Box(0, 1e-300)])
def test_extreme_boxes_are_refused_in_float_and_counted_exactly(widths, dom):
    # issue 18 item 8: 2-D huge/tiny boxes were refused as "empty or lower-dimensional", 3-D huge
    # boxes gave wrong counts; float mode cannot resolve them, exact mode can
    net = random_mlp(widths, seed=1)
    with pytest.raises(ValueError, match=r"float mode cannot resolve this domain: its coordinates reach"):
        tropnet.count_linear_regions(net, dom, kind="activation")
    if widths[0] == 2:
        expected = 1 if dom.exact_bounds(2)[0][0] == 0 else tropnet.count_linear_regions(net, kind="activation")
        assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == expected


def test_huge_weights_are_refused_in_float():
    net = random_mlp([3, 4, 1], seed=0)
    big = Network([tropnet.Linear(net.layers[0].float_weight * 1e300, net.layers[0].float_bias * 1e300)]
                  + list(net.layers[1:]), input_dim=3)
    with pytest.raises(ValueError, match="cannot resolve this network"):
        tropnet.count_linear_regions(big, Box(-1, 1), kind="activation")
