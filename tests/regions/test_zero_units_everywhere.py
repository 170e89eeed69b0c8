"""Units that are 0 everywhere whatever the domain (weights and bias exactly 0, or reading only such
units with bias 0) are dropped by every run (:func:`tropnet.regions.stable.zero_units`): on all of R^n, on
unbounded polyhedra and for exact region sets too, where no stable units are looked for.  The
answers are those of the network without the unit, its pattern column 0 (inactive)."""

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network, Polyhedron, random_mlp
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions.plan import make_plan
from tropnet.regions.program import stages_from_network
from tropnet.regions.stable import zero_units


def with_zero_unit(net: Network, at: int = 3, read: float = 1.0) -> Network:
    """``net`` with a first-layer unit inserted at position ``at`` whose weights and bias are
    exactly 0, read by the next layer with weight ``read`` (it adds nothing)."""
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[0] = np.insert(W[0], at, 0.0, axis=0)
    B[0] = np.insert(B[0], at, 0.0)
    W[1] = np.insert(W[1], at, read, axis=1)
    return Network.from_arrays(W, B)


def _patterns(rs, drop=None):
    P = rs.patterns
    if drop is not None:
        assert not P[:, drop].any()  # the zero unit: inactive everywhere
        P = np.delete(P, drop, axis=1)
    return sorted(map(tuple, P.tolist()))


def test_zero_units_by_exact_logic():
    tiny = Network.from_arrays([[[1.0, 2.0], [0.0, 0.0], [1e-300, 0.0], [0.0, 0.0]], [[1.0, 1.0, 1.0, 1.0]]],
                               [[0.5, 0.0, 0.0, 1e-300], [0.0]])
    z = zero_units(stages_from_network(tiny), 2)
    assert [m.tolist() for m in z.off] == [[False, True, False, False]]  # tiny weights or bias: not zero
    assert not any(m.any() for m in z.on)
    # a second-layer unit reading only the zero unit, with bias 0, is zero too; with a bias, not
    deep = Network.from_arrays([[[1.0, 2.0], [0.0, 0.0]], [[0.0, 3.0], [0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0, 1.0]]],
                               [[0.5, 0.0], [0.0, 0.25, 0.0], [0.0]])
    z = zero_units(stages_from_network(deep), 2)
    assert [m.tolist() for m in z.off] == [[False, True], [True, False, False]]
    ze = zero_units(stages_from_network(deep, exact=True), 2)
    assert [m.tolist() for m in ze.off] == [m.tolist() for m in z.off]


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("domain", [None, "box", "halfspace"])
def test_answers_with_a_zero_unit_equal_those_without(exact, domain):
    net = random_mlp([3, 6, 6, 1], seed=1)
    z = with_zero_unit(net)
    dom = {None: None, "box": Box(-1, 1), "halfspace": Polyhedron([[1.0, 1.0, 0.0]], [0.5])}[domain]
    for kind in ("activation", "linear"):
        assert tropnet.count_linear_regions(z, dom, kind=kind, exact=exact) == \
            tropnet.count_linear_regions(net, dom, kind=kind, exact=exact)
        rs, ref = tropnet.linear_regions(z, dom, kind=kind, exact=exact), tropnet.linear_regions(net, dom, kind=kind,
                                                                                              exact=exact)
        assert len(rs) == len(ref)
        assert _patterns(rs, drop=3) == _patterns(ref)
    if domain is None:  # the plan drops it where it looks for no stable units
        plan = make_plan(z, dom, want="count", kind="activation", exact=exact)
        plan.run()
        assert plan.stable is not None and plan.stable.num_stable == 1
    if exact and domain == "box":  # exact region sets on a box, also where the unit is read by nothing
        rs = tropnet.linear_regions(with_zero_unit(net, read=0.0), dom, kind="activation", exact=True)
        assert _patterns(rs, drop=3) == _patterns(tropnet.linear_regions(net, dom, kind="activation", exact=True))
        a = tropnet.linear_regions(z, dom, exact=True)
        b = tropnet.linear_regions(net, dom, exact=True)
        assert sorted(r.volume() for r in a) == pytest.approx(sorted(r.volume() for r in b))


@pytest.mark.parametrize("exact", [False, True])
def test_on_dask_with_a_zero_unit(exact):
    net = random_mlp([3, 6, 6, 1], seed=2)
    z = with_zero_unit(net, at=0)
    for dom in (None, Box(-1, 1)):
        for kind in ("activation", "linear"):
            assert count_parallel(z, dom, kind=kind, exact=exact, parallel=None, split_cells=8) == \
                tropnet.count_linear_regions(net, dom, kind=kind, exact=exact)
        rs = regions_parallel(z, dom, kind="activation", exact=exact, parallel=None, split_cells=8)
        assert _patterns(rs, drop=0) == _patterns(tropnet.linear_regions(net, dom, kind="activation", exact=exact))
