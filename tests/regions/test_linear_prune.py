"""A count of linear regions drops the units the function does not need before it runs
(:func:`tropnet.networks.prune.drop_unused_units`: units nobody reads, constant units, equal
units merged).  The pruned network must compute the same function (exact forward passes), and
the count must equal hand-computed answers and the merge of the unpruned cells (the region
sets, which never prune), float and exact, on boxes, R^n and planes."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from testnets import degenerate_net, merging_net

import tropnet
from tropnet import Box, Linear, Network, Plane, ReLU, Residual
from tropnet.networks.prune import drop_unused_units


def _count(net, dom, exact):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, exact=exact, progress=False)


def _regions(net, dom, exact):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(tropnet.linear_regions(net, dom, exact=exact, progress=False))


def _zero_output(widths, seed=0, units=None):
    """``random_mlp(widths, seed)`` with the output weights of ``units`` (default all) zeroed."""
    net = tropnet.random_mlp(widths, seed=seed)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[-1][:, slice(None) if units is None else units] = 0.0
    return Network.from_arrays(W, B)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("dom", [Box(-5, 5), None, "plane"], ids=["box", "Rn", "plane"])
def test_a_zero_output_is_one_linear_region(exact, dom):
    """Output weights all zero: the function is constant, one linear region (hand-computed)."""
    net = _zero_output([3 if dom == "plane" else 2, 12, 12, 1])
    if dom == "plane":
        dom = Plane.through([0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [0.0, 1.0, -0.5])
    assert drop_unused_units(net).widths == (net.input_dim, 1)
    assert _count(net, dom, exact) == 1
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=exact) > 30


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("dom", [Box(-3, 3), None], ids=["box", "Rn"])
def test_one_path_to_the_output(exact, dom):
    """The output reads unit 0 of the second layer only, which reads unit 0 of the first only:
    ``f = 2 relu(relu(x) - 1)``, two linear regions (the line x = 1), whatever the other units."""
    rng = np.random.default_rng(3)
    W1, b1 = rng.integers(-3, 4, size=(10, 2)).astype(float), rng.integers(-3, 4, size=10).astype(float)
    W2, b2 = rng.integers(-3, 4, size=(10, 10)).astype(float), rng.integers(-3, 4, size=10).astype(float)
    W1[0], b1[0] = [1.0, 0.0], 0.0
    W2[0], b2[0] = 0.0, -1.0
    W2[0, 0] = 1.0
    W3 = np.zeros((1, 10))
    W3[0, 0] = 2.0
    net = Network.from_arrays([W1, W2, W3], [b1, b2, [0.0]])
    assert drop_unused_units(net).widths == (2, 1, 1, 1, 1, 1)
    assert _count(net, dom, exact) == 2
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=exact) > 20


@pytest.mark.parametrize("seed", range(4))
def test_the_pruned_network_is_the_same_function(seed):
    """Exact forward passes at rational points agree exactly (merging and degenerate networks,
    ReLU and leaky units)."""
    from testnets import activated

    rng = np.random.default_rng(seed)
    nets = [merging_net(seed, 10), merging_net(seed, 9, d=2, scale=2), degenerate_net(seed, 3, 6, 2),
            activated(merging_net(seed, 8), "leaky"), activated(merging_net(seed, 8), "threshold")]
    for net in nets:
        small = drop_unused_units(net)
        assert small is not net and len(small.layers) <= len(net.layers)
        X = np.array([[Fraction(int(v), 7) for v in row] for row in rng.integers(-30, 30, size=(40, net.input_dim))],
                     dtype=object)
        assert (net.to_exact()(X) == small.to_exact()(X)).all()


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("case", ["2-D box", "3-D box", "R^3", "plane", "degenerate"])
def test_counts_equal_the_unpruned_merge(exact, case):
    """The count (pruned) equals the linear region set's length (unpruned cells, merged), and is
    below the activation count: cells really merge."""
    if case == "2-D box":
        net, dom = merging_net(1, 12, d=2), Box(-4, 4)
    elif case == "3-D box":
        net, dom = merging_net(2, 9), Box(-3, 3)
    elif case == "R^3":
        net, dom = merging_net(0, 8), None
    elif case == "plane":
        net, dom = merging_net(0, 10, d=4), Plane.through([0.0, 0, 0, 0], [1.0, 0.5, 0, -1], [0.0, 1, 1, 0.5])
    else:
        net, dom = degenerate_net(5, 2, 6, 2), Box(-3, 3)
    n = _count(net, dom, exact)
    assert n == _regions(net, dom, exact)
    assert n < tropnet.count_linear_regions(net, dom, kind="activation", exact=exact)


def test_sums_float64_cannot_hold_are_not_made():
    """Equal units read with 1 and 2^-60, and a constant unit (value 3) read with 2^-60 (folded into
    a bias of 1): float64 holds neither sum, so a float network keeps both units (a float64
    layer stays float64: the certified pass of an exact count reads it as it is); the same
    network with exact weights merges and folds in rationals."""
    W1, b1 = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [0.0, 0.0, 0.0, 3.0]
    W2 = [[1.0, 2.0**-60, 1.0, 2.0**-60]]
    net = Network.from_arrays([W1, W2], [b1, [1.0]])
    assert drop_unused_units(net) is net
    small = drop_unused_units(net.to_exact())
    assert small.widths == (2, 2, 2, 1) and small.layers[-1].exact
    assert small.layers[-1].weight[0, 0] == 1 + Fraction(1, 2**60)
    assert small.layers[-1].bias[0] == 1 + 3 * Fraction(1, 2**60)


def test_networks_it_does_not_handle_are_returned_as_they_are():
    """A graph network (a skip connection) and a network without units to drop."""
    W = np.array([[1, 0], [1, 0]])  # equal units, one of them unread: kept in a residual block
    skip = Network([Residual([Linear(W), ReLU(), Linear(np.array([[1, 0], [0, 0]]))])])
    assert skip.is_graph and drop_unused_units(skip) is skip
    net = tropnet.random_mlp([2, 5, 5, 1], seed=0)
    assert drop_unused_units(net) is net


def _same_function(a, b, seed=0):
    """Exact forward passes of ``a`` and ``b`` agree at rational points."""
    rng = np.random.default_rng(seed)
    X = np.array([[Fraction(int(v), 5) for v in row] for row in rng.integers(-20, 20, size=(30, a.input_dim))],
                 dtype=object)
    return bool((a.to_exact()(X) == b.to_exact()(X)).all())


def test_nothing_to_drop_returns_the_network_itself():
    """No zero row, no unread unit, no equal units (random float and exact networks): ``net``
    itself, not a copy."""
    for net in (tropnet.random_mlp([3, 7, 6, 2], seed=4), tropnet.random_mlp([2, 5, 5, 1], seed=1).to_exact()):
        assert drop_unused_units(net) is net


def test_every_unit_unused_and_units_that_only_look_equal():
    """All hidden units unread: one affine layer of zeros (the output bias); rows that differ
    only in a bias of -0.0 against 0.0 are one unit (equal as numbers), rows with equal
    projections but different weights are not."""
    W1 = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    net = Network.from_arrays([W1, np.zeros((2, 3))], [np.zeros(3), [1.0, -2.0]])
    small = drop_unused_units(net)
    assert small.widths == (2, 2)
    assert _same_function(net, small)
    # units 0 and 1 equal (biases 0.0 and -0.0): read as one unit with the sum of their columns
    W1 = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])
    net = Network.from_arrays([W1, [[1.0, 3.0, 1.0]]], [[0.0, -0.0, 0.0], [0.0]])
    small = drop_unused_units(net)
    assert small.widths == (2, 2, 2, 1)
    assert small.layers[-1].weight.tolist() == [[4.0, 1.0]]
    assert _same_function(net, small)
    # (1, 2) and (2, 1) rows with the same bias: a sum of the weights would not tell them apart
    W1 = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])
    net = Network.from_arrays([W1, [[1.0, 3.0, 1.0]]])
    assert drop_unused_units(net) is net
    # weights -0.0 and 0.0: equal projections, rows stored apart (kept as they are)
    W1 = np.array([[-0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    net = Network.from_arrays([W1, [[1.0, 3.0, 1.0]]])
    assert drop_unused_units(net) is net


def test_silent_output_columns_and_a_constant_unit_are_dropped_in_turn():
    """Output weights of two last-layer units zero (silent columns), one of them the only reader of a
    first-layer unit, and a first-layer unit with a zero row (constant 3, folded into the next
    bias): the pruned network keeps exactly the units the function needs, and is the same
    function."""
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    b1 = np.array([0.0, 0.0, 3.0, -1.0])
    W2 = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    W3 = np.array([[1.0, 0.0, 2.0, 0.0]])  # last-layer units 1 and 3 reach no output
    net = Network.from_arrays([W1, W2, W3], [b1, np.zeros(4), [0.0]])
    small = drop_unused_units(net)
    # first layer: unit 1 read by the silent unit 1 and by unit 2, unit 2 constant, unit 3 read
    # by the silent unit 3 only: units 0 and 1 stay; last layer: units 0 and 2
    assert small.widths == (2, 2, 2, 2, 2, 1)
    assert _same_function(net, small)
    low = small.lowered().layers
    assert low[2].bias.tolist() == [3.0, 6.0]  # the constant unit's 3, read with 1 and 2
    dom = Box(-2, 2)
    assert _count(net, dom, False) == _count(net, dom, True) == _regions(net, dom, True)


def _reference_widths(W, B):
    """The widths left by the rules of :mod:`tropnet.networks.prune` applied one unit at a time
    in exact rationals (ReLU units), layer after layer until nothing changes (an independent
    reference)."""
    W = [[[Fraction(v) for v in row] for row in w] for w in W]
    B = [[Fraction(v) for v in b] for b in B]
    changed = True
    while changed:
        changed = False
        for k in reversed(range(len(W) - 1)):
            n = len(W[k])
            for u in reversed(range(n)):
                nxt = W[k + 1]
                const = all(v == 0 for v in W[k][u])
                unread = all(row[u] == 0 for row in nxt)
                twin = next((f for f in range(u) if W[k][f] == W[k][u] and B[k][f] == B[k][u]), None)
                if not (const or unread or twin is not None):
                    continue
                if const and not unread:
                    B[k + 1] = [c + row[u] * max(B[k][u], 0) for c, row in zip(B[k + 1], nxt)]
                elif twin is not None:
                    for row in nxt:
                        row[twin] += row[u]
                del W[k][u], B[k][u]
                for row in nxt:
                    del row[u]
                changed = True
            if not W[k]:  # an emptied layer: the function is constant from there on
                return None
    return tuple([len(W[0][0])] + [len(w) for w in W])


@pytest.mark.parametrize("seed", range(6))
def test_pruning_matches_a_unit_by_unit_reference(seed):
    """Integer networks with many zero rows, unread units and repeated rows (every fold and sum
    exact in float64): the pruned widths equal the unit-by-unit reference's, and the pruned
    network is the same function and has nothing left to drop."""
    rng = np.random.default_rng(seed)
    d, w = 2 + seed % 2, 9
    W = [rng.integers(-2, 3, size=(w, d)), rng.integers(-2, 3, size=(w, w)), rng.integers(-2, 3, size=(w, w)),
         rng.integers(-2, 3, size=(1, w))]
    B = [rng.integers(-2, 3, size=w), rng.integers(-2, 3, size=w), rng.integers(-2, 3, size=w), np.zeros(1)]
    for k in range(3):
        W[k][rng.random(w) < 0.2] = 0  # constant units
        W[k + 1][:, rng.random(w) < 0.2] = 0  # unread units
        for u in np.flatnonzero(rng.random(w) < 0.3):  # repeated units
            f = int(rng.integers(0, w))
            W[k][u], B[k][u] = W[k][f], B[k][f]
    net = Network.from_arrays([x.astype(float) for x in W], [b.astype(float) for b in B])
    small = drop_unused_units(net)
    want = _reference_widths(W, B)
    assert small.widths == ((net.input_dim, 1) if want is None else tuple(
        v for i, v in enumerate(want) for _ in range(1 if i in (0, len(want) - 1) else 2)))
    assert _same_function(net, small, seed)
    assert drop_unused_units(small) is small
