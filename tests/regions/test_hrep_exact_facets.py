"""Exact linear counts on the exact H-representation engine (its facets between cells of one
exact map decided exactly: :mod:`tropnet.regions.hrep_exact_facets`).  Checked against the exact
vertex engine where both run (3-7-D boxes, 3-5-D cross-polytopes, a polyhedron: the route forced
by lowering the cutoffs), on random nets, nets with cells that merge (an output weight zeroed,
sparse middle layers, scaled duplicate units, zero biases), and against known answers."""

from fractions import Fraction

import numpy as np
import pytest
from testnets import merging_mlp, merging_net, scaled_copies_net, unit_classes_net

import tropnet
from tropnet import Box, CrossPolytope, Network, Polyhedron, random_mlp
from tropnet.regions import hrep
from tropnet.regions.hrep_exact import ExactRows
from tropnet.regions.hrep_exact_facets import on_facet
from tropnet.regions.plan import make_plan


def _hrep_count(net, dom, monkeypatch, kind="linear"):
    monkeypatch.setattr(hrep, "EXACT_COUNT_DIM", 1)
    monkeypatch.setattr(hrep, "CROSS_EXACT_COUNT_DIM", 1)
    assert make_plan(net, dom, want="count", kind=kind, exact=True).engine == "hrep"
    return tropnet.count_linear_regions(net, dom, kind=kind, exact=True)


def _vertex_count(net, dom):
    with pytest.MonkeyPatch.context() as mp:  # the vertex engine up to its dimensions
        mp.setattr(hrep, "EXACT_COUNT_DIM", hrep.EXACT_MAX_DIM)
        mp.setattr(hrep, "CROSS_EXACT_COUNT_DIM", hrep.CROSS_EXACT_MAX_DIM)
        assert make_plan(net, dom, want="count", kind="linear", exact=True).engine == "vertex"
        return tropnet.count_linear_regions(net, dom, kind="linear", exact=True)


NETS = [
    (random_mlp([3, 6, 6, 1], seed=0), 3), (random_mlp([4, 8, 6, 1], seed=1), 4),
    (random_mlp([5, 6, 6, 1], seed=2), 5),
    (merging_mlp([3, 8, 8, 1], "zeroed", 1), 3), (merging_mlp([4, 8, 8, 1], "sparse", 2), 4),
    (merging_mlp([5, 8, 8, 1], "sparse", 3), 5), (merging_mlp([6, 6, 6, 1], "zeroed", 4), 6),
    (merging_net(0, 9, 3, scale=2), 3), (merging_net(1, 9, 4, scale=2), 4),
    (scaled_copies_net(0, 3, 6, [2, -1], cancel=True), 3),
    (scaled_copies_net(1, 4, 6, [2], cancel=True, zero_bias=True), 4),
    (unit_classes_net(2, 4, 6, 2, 3, zero_bias=True), 4), (unit_classes_net(3, 3, 6, 2, 3), 3),
    (random_mlp([7, 5, 4, 1], seed=5), 7),
]


@pytest.mark.parametrize("net,d", NETS)
def test_exact_hrep_linear_counts_equal_the_vertex_engine_on_boxes(net, d, monkeypatch):
    dom = Box(-1, 1)
    want = _vertex_count(net, dom)
    assert _hrep_count(net, dom, monkeypatch) == want


@pytest.mark.parametrize("net,d", [NETS[0], NETS[3], NETS[7], NETS[9], NETS[11], (random_mlp([5, 5, 4, 1], 6), 5)])
def test_exact_hrep_linear_counts_equal_the_vertex_engine_on_cross_polytopes(net, d, monkeypatch):
    dom = CrossPolytope(np.zeros(d), Fraction(3, 2))
    want = _vertex_count(net, dom)
    assert _hrep_count(net, dom, monkeypatch) == want


def test_exact_hrep_linear_counts_on_a_polyhedron(monkeypatch):
    net = merging_net(2, 9, 3, scale=2)
    dom = Polyhedron(np.array([[1.0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]),
                     np.array([2.0, 1, 1, 1, 1]))
    want = _vertex_count(net, dom)
    assert _hrep_count(net, dom, monkeypatch) == want


def test_known_answers(monkeypatch):
    # relu(a x) - relu(a x) + relu(b x): the output ignores the first two units, and on the box
    # [1, 2]^4 the third unit is positive: affine on the domain, one linear region
    a, b = np.array([1.0, -1, 2, 0]), np.array([1.0, 1, 1, 1])
    net = Network.from_arrays([np.array([a, a, b]), np.array([[1.0, -1, 1]])], [np.array([0.0, 0, 0]), np.zeros(1)])
    assert _hrep_count(net, Box(1, 2), monkeypatch) == 1
    # relu(x1) + relu(x1) - relu(x1) (scaled copies read to cancel but one): 2 regions on [-1, 1]^4
    e = np.array([1.0, 0, 0, 0])
    net = Network.from_arrays([np.array([e, 2 * e, 3 * e]), np.array([[1.0, 1, -1 / 3]])],
                              [np.zeros(3), np.zeros(1)])
    assert _hrep_count(net, Box(-1, 1), monkeypatch) == 2
    assert _hrep_count(net, Box(-1, 1), monkeypatch, kind="activation") == 2
    # x1 + relu(x2) - relu(x2): the units on x2 = 0 cancel: 4 activation cells on [-1, 1]^4
    # (x1 = 0 and x2 = 0), 2 linear regions (x1 = 0 only)
    e1, e2 = np.array([1.0, 0, 0, 0]), np.array([0.0, 1, 0, 0])
    net = Network.from_arrays([np.array([e1, e2, 2 * e2]), np.array([[1.0, 1, -0.5]])],
                              [np.zeros(3), np.zeros(1)])
    assert _hrep_count(net, Box(-1, 1), monkeypatch, kind="activation") == 4
    assert _hrep_count(net, Box(-1, 1), monkeypatch) == 2


def test_exact_linear_counts_and_region_sets_above_16_inputs_run():
    net = random_mlp([18, 4, 1], seed=0)
    act = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert tropnet.count_linear_regions(net, Box(-1, 1), exact=True) == act  # no unit silent
    assert len(tropnet.linear_regions(net, Box(-1, 1), exact=True)) == act


def test_on_facet_is_exact():
    # the facet x = 1/3 of the box [-1, 1]^2: its float points are projected onto it exactly
    ex = ExactRows([], 2, -np.ones(2), np.ones(2))
    h = np.array([3, 0, -1], dtype=object)
    F = np.zeros((0, 3), dtype=object)
    assert on_facet(ex, h, F, np.array([[1 / 3, 0.5], [0.2, 0.999], [0.3, 1.0]])).tolist() == [True, True, False]
    # a point beyond the box's corner along the hyperplane is outside
    assert not on_facet(ex, np.array([1, 1, -2], dtype=object), F, np.array([[1.0, 1.0]]))[0]


@pytest.mark.parametrize("kind", ["leaky", "threshold"])
def test_exact_hrep_linear_counts_with_leaky_and_threshold_units(kind, monkeypatch):
    from testnets import activated

    for net in (activated(merging_net(3, 9, 3, scale=2), kind), activated(random_mlp([4, 6, 5, 1], seed=7), kind)):
        dom = Box(-1, 1)
        assert _hrep_count(net, dom, monkeypatch) == _vertex_count(net, dom)


def _duplicated(net):
    """``net`` with its first-layer unit 1 twice unit 0 and read with -1/2 its weights (the two
    cancel: cells of one map on both sides of their hyperplane, as benchmarks/bench_exact_hrep.py)."""
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[0][1], B[0][1] = 2 * W[0][0], 2 * B[0][0]
    W[1][:, 1] = -W[1][:, 0] / 2
    return Network.from_arrays(W, B)


@pytest.mark.parametrize("net", [
    _duplicated(random_mlp([4, 6, 6, 1], seed=0)), _duplicated(random_mlp([5, 6, 5, 1], seed=1)),
    _duplicated(random_mlp([4, 5, 5, 5, 2], seed=2)),  # three hidden layers, two outputs
    merging_mlp([4, 6, 6, 6, 3], "sparse", 5), merging_mlp([5, 6, 6, 2], "zeroed", 6),
])
def test_deeper_and_wider_merging_nets_equal_the_vertex_engine(net, monkeypatch):
    # candidates met by key (no pair of a group compared otherwise), maps compared at one point
    # off the facet's hyperplane: the same counts as the exact vertex engine's every facet
    dom = Box(-1, 1)
    want = _vertex_count(net, dom)
    assert _hrep_count(net, dom, monkeypatch) == want


def test_maps_equal_on_the_facet_but_not_off_it_are_not_joined(monkeypatch):
    # relu(x1) + relu(-x1): |x1| (two regions) and relu(x1) - relu(-x1) = x1 (one region); both
    # maps agree at x1 = 0, where the facet is, and through the origin (the point off the
    # hyperplane x1 = 0 is a unit vector)
    e = np.array([1.0, 0, 0, 0])
    for out, want in (([1.0, 1.0], 2), ([1.0, -1.0], 1)):
        net = Network.from_arrays([np.array([e, -e]), np.array([out])], [np.zeros(2), np.zeros(1)])
        assert _hrep_count(net, Box(-1, 1), monkeypatch) == want
    # with the hyperplane off the origin: x1 = 1/2
    for out, want in (([1.0, 1.0], 2), ([1.0, -1.0], 1)):
        net = Network.from_arrays([np.array([e, -e]), np.array([out])], [np.array([-0.5, 0.5]), np.zeros(1)])
        assert _hrep_count(net, Box(-1, 1), monkeypatch) == want


def _central_net(d, k, seed, how=None):
    """``k`` generic hyperplanes through the origin in R^d (a central arrangement), read by one
    output: ``"zeroed"`` the output weight of unit 0 set to 0; ``"dup"`` unit 1 twice unit 0,
    read with -1/2 its weight (the two cancel)."""
    rng = np.random.default_rng(seed)
    W, w2 = rng.normal(size=(k, d)), rng.normal(size=(1, k))
    if how == "zeroed":
        w2[0, 0] = 0.0
    if how == "dup":
        W[1], w2[0, 1] = 2 * W[0], -w2[0, 0] / 2
    return Network.from_arrays([W, w2], [np.zeros(k), np.zeros(1)])


@pytest.mark.parametrize("how,cells,regions", [(None, 32, 32), ("zeroed", 32, 16), ("dup", 16, 8)])
def test_exact_linear_counts_on_all_of_r_n_above_16_inputs(how, cells, regions):
    # 5 generic hyperplanes through the origin of R^18: 2^5 cells (Zaslavsky); a unit the output
    # ignores halves the linear regions, and so does a cancelled pair on one hyperplane
    net = _central_net(18, 5, 3, how)
    assert make_plan(net, None, want="count", kind="linear", exact=True).engine == "hrep"
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == cells
    assert tropnet.count_linear_regions(net, None, exact=True) == regions


def test_exact_linear_counts_on_an_unbounded_polyhedron_above_16_inputs():
    # the halfspace x1 + x2 <= 1/2 cuts every one of the 2^4 cells of a central arrangement of 4
    # generic hyperplanes (each is a cone with all its directions); the unit the output ignores
    # leaves 2^3 linear regions
    net = _central_net(17, 4, 4, "zeroed")
    a = np.zeros(17)
    a[:2] = 1.0
    dom = Polyhedron(a[None, :], np.array([0.5]))
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == 16
    assert tropnet.count_linear_regions(net, dom, exact=True) == 8


@pytest.mark.parametrize("net", [random_mlp([3, 5, 4, 1], seed=0), _duplicated(random_mlp([3, 6, 6, 1], seed=0)),
                                 _duplicated(random_mlp([4, 5, 5, 1], seed=1)), merging_mlp([4, 6, 6, 2], "zeroed", 6),
                                 merging_mlp([3, 6, 6, 6, 3], "sparse", 5)])
def test_exact_hrep_linear_counts_on_r_n_and_unbounded_polyhedra_equal_the_vertex_engine(net, monkeypatch):
    d = net.input_dim
    half = Polyhedron(np.array([[1.0, 1.0] + [0.0] * (d - 2)]), np.array([0.5]))
    for dom in (None, half):
        want = _vertex_count(net, dom)
        assert _hrep_count(net, dom, monkeypatch) == want
