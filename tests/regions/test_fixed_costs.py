"""Pieces the small 2-D linear counts share with other paths, changed for speed (session 9):
the magnitude walk resumed from a prefix's walk, and the pruned layers rebuilt without
re-checking their float64 arrays."""

import numpy as np
import pytest
from testnets import activated, merging_mlp, merging_net

import tropnet
from tropnet import Linear
from tropnet.regions.affine import _abs_walk, map_magnitude
from tropnet.regions.program import stages_from_network


@pytest.mark.parametrize("act", ["relu", "leaky", "threshold"])
@pytest.mark.parametrize("seed", range(3))
def test_a_walk_resumed_from_a_prefix_is_the_whole_walk(act, seed):
    """``_abs_walk(stages[i:], d, _abs_walk(stages[:i], d))`` equals the walk of all stages, bit for
    bit, at every split (and ``map_magnitude`` reads the whole walk)."""
    net = merging_net(seed, 8, d=2)
    if act != "relu":
        net = activated(net, act)
    stages = stages_from_network(net)
    J, K = _abs_walk(stages, 2)
    for i in range(len(stages) + 1):
        Ji, Ki = _abs_walk(stages[i:], 2, _abs_walk(stages[:i], 2))
        assert Ki == K and Ji.tobytes() == J.tobytes()
    assert map_magnitude(stages, 2) == (float(J.max()), K)


def test_a_layer_of_checked_float64_arrays_is_the_checked_layer():
    """``Linear._of_float64`` gives the layer ``Linear(W, b)`` gives (equal, float, frozen, C order,
    the same forward pass), and goes through the checks for anything but float64 arrays."""
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(6, 5)), rng.normal(size=6)
    Wt = np.asfortranarray(W)  # (a column selection can come out in Fortran order)
    fast, slow = Linear._of_float64(Wt, b.copy()), Linear(W, b)
    assert fast == slow and not fast.exact and fast.weight.flags.c_contiguous
    assert not fast.weight.flags.writeable and not fast.bias.flags.writeable
    x = rng.normal(size=(4, 5))
    assert np.array_equal(fast.forward(x), slow.forward(x))
    ints = Linear._of_float64(np.ones((2, 3), dtype=np.int64), np.zeros(2))
    assert ints.weight.dtype == np.float64 and ints == Linear(np.ones((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        Linear._of_float64(np.full((2, 2), np.nan, dtype=object), np.zeros(2))


def test_pruned_counts_on_planes_equal_the_region_sets():
    """The sparse and zeroed [12, 16, 16, 2] planes of bench_linear: the count (pruned, certified,
    joins across the failed edges) equals the merge of the unpruned cells, float and exact."""
    widths = [12, 16, 16, 2]
    rng = np.random.default_rng(0)
    plane = tropnet.Plane.through(*rng.uniform(0, 1, size=(3, widths[0])))
    for how in ("zeroed", "sparse"):
        net = merging_mlp(widths, how)
        for exact in (False, True):
            n = tropnet.count_linear_regions(net, plane, exact=exact, progress=False)
            assert n == len(tropnet.linear_regions(net, plane, exact=exact, progress=False))
