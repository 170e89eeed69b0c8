"""A float linear count on one bounded piece of the vertex engine runs the engine part by part
(as the streamed activation count does), keeps the parts, and reads the vertex lists of only
the cells whose map another cell shares (:meth:`tropnet.regions.plan.Plan._find_streamed`): the
count must equal the merge over one unstreamed run."""

import warnings

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan


def _one_run(net, dom) -> int:
    plan = make_plan(net, dom, want="count")
    plan._prune_stable()
    return int(linear_labels(plan.find()).max()) + 1


@pytest.mark.parametrize("widths, seed", [([5, 12, 12, 2], 1), ([3, 16, 16, 1], 0)])
def test_streamed_linear_count_equals_one_run(widths, seed):
    """[5, 12, 12, 2]: 39,561 cells, more than one part holds, and 15 real merges; [3, 16, 16, 1]:
    one part."""
    net = tropnet.random_mlp(widths, seed=seed)
    dom = Box(-4, 4) if widths[0] == 5 else Box(-5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom)
        assert n == _one_run(net, dom)
        assert n <= tropnet.count_linear_regions(net, dom, kind="activation")


def test_streamed_linear_count_with_many_merges():
    """Duplicated units read with opposite weights, a unit nobody reads, an ignored unit: most
    cells merge (the vertex lists of most cells are read back)."""
    rng = np.random.default_rng(3)
    W1 = rng.integers(-3, 4, size=(10, 3)).astype(float)
    b1 = rng.integers(-3, 4, size=10).astype(float)
    W1[5], b1[5] = W1[4], b1[4]
    W2 = rng.integers(-3, 4, size=(10, 10)).astype(float)
    W2[:, 5] = -W2[:, 4]
    W2[:, 7] = 0.0
    W3 = rng.integers(-3, 4, size=(1, 10)).astype(float)
    W3[0, 3] = 0.0
    net = Network.from_arrays([W1, W2, W3], [b1, rng.integers(-3, 4, size=10).astype(float), np.zeros(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, Box(-3, 3))
        cells = tropnet.count_linear_regions(net, Box(-3, 3), kind="activation")
        assert n == _one_run(net, Box(-3, 3)) == len(tropnet.linear_regions(net, Box(-3, 3)))
    assert n < cells


def test_kept_parts_count_towards_max_memory():
    """The kept parts are arrays of the run: a memory limit below them stops the count, with the
    error of every other limit."""
    from tropnet.regions.cells import RegionLimitError

    net = tropnet.random_mlp([5, 12, 12, 2], seed=1)
    with pytest.raises(RegionLimitError) as err:
        tropnet.count_linear_regions(net, Box(-4, 4), max_memory=2_000_000)
    assert err.value.limit == "max_memory"
    assert tropnet.count_linear_regions(tropnet.random_mlp([3, 6, 6, 1], seed=0), Box(-2, 2),
                                        max_memory=10**9) >= 1
