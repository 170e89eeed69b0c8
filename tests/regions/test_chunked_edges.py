"""Regression: the edge search splits its work in chunks at cell starts; a chunk start past the
last cell's start used to index out of range (IndexError in refine._edges)."""

import tropnet
from tropnet.parallel import count_parallel


def test_many_entries_in_few_cells_do_not_crash_and_agree_across_partitions():
    net = tropnet.random_mlp([8, 8, 8, 1], seed=0)
    dom = tropnet.Box([-5, -5, -5, -5, 0, 0, -5, -5], [0, 0, 0, 0, 5, 5, 0, 0])
    n = tropnet.count_linear_regions(net, dom, kind="activation")
    # the same cells found task by task (other chunk boundaries)
    assert count_parallel(net, dom, kind="activation", parallel=None, split_cells=64) == n
    assert tropnet.estimate_linear_regions(net, dom, 20_000) <= n
