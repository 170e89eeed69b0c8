"""Every engine's ``max_regions`` stop raises the one named error, ``tropnet.RegionLimitError``,
with ``limit`` and ``reached`` saying how far the run got (issue 18: "raise the named
RegionLimitError with what was reached")."""

import pytest

import tropnet
from tropnet import Box, Polyhedron, Segment

NET2 = tropnet.random_mlp([2, 8, 8, 1], seed=0)
NET3 = tropnet.random_mlp([3, 8, 8, 1], seed=0)
LIMIT = 5


@pytest.mark.parametrize("call", [
    lambda: tropnet.count_linear_regions(NET2, Box(-10, 10), kind="activation", max_regions=LIMIT),  # planar count
    lambda: tropnet.linear_regions(NET2, Box(-10, 10), kind="activation", max_regions=LIMIT),  # planar cells
    lambda: tropnet.count_linear_regions(NET3, Box(-10, 10), kind="activation", max_regions=LIMIT),  # streamed
    lambda: tropnet.linear_regions(NET3, Box(-10, 10), max_regions=LIMIT),  # vertex engine
    lambda: tropnet.count_linear_regions(NET3, kind="activation", max_regions=LIMIT),  # R^n, joined facets
    lambda: tropnet.linear_regions(NET3, Polyhedron([[1, 1, 1]], [1]), max_regions=LIMIT),  # unbounded
    lambda: tropnet.count_linear_regions(NET2, Segment([-10, -10], [10, 10]), kind="activation", max_regions=LIMIT),
    lambda: tropnet.count_linear_regions(NET3, Box(-10, 10), kind="activation", exact=True, max_regions=LIMIT),
], ids=["planar-count", "planar", "streamed", "vertex", "Rn", "unbounded", "segment", "exact"])
def test_max_regions_says_what_was_reached(call):
    assert tropnet.RegionLimitError is tropnet.regions.cells.RegionLimitError
    with pytest.raises(tropnet.RegionLimitError, match="max_regions") as info:
        call()
    assert info.value.limit == "max_regions"
    reached = info.value.reached.get("cells", info.value.reached.get("regions"))
    assert reached is not None and reached > LIMIT
