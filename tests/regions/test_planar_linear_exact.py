"""Exact linear counts on 2-D boxes and planes from the exact activation count
(:func:`tropnet.regions.planar_linear.no_shared_maps` on the root polygons of
:func:`tropnet.regions.planar_count.count_last_layer_2d`): a certified count must equal the exact
merge's (the rational maps of every cell, joined where equal), on random networks, networks with
dead, unread and duplicated units where cells really merge, and hand-computed answers."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import degenerate_net as _degenerate_net
from testnets import planar_case, sparse_net, unread_middle_unit_net

import tropnet
from tropnet import Box, Linear, Network, Plane
from tropnet.networks.prune import drop_unused_units
from tropnet.regions.geometry import _linear_labels
from tropnet.regions.plan import make_plan
from tropnet.regions.planar_count import count_last_layer_2d


def _exact_merge(net, dom) -> int:
    """The exact merge over the cells' rational maps (the certified pass with tight codes, as a
    region set computes it): the reference, without the certificate."""
    found = make_plan(net, dom, exact=True).find()
    return int(_linear_labels(found, None).max()) + 1


def _fast(net, dom):
    """The certified count, or ``None`` (not certified)."""
    return make_plan(net, dom, want="count", exact=True)._count_exact_planar_linear()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000),
       widths=st.sampled_from([[2, 8, 1], [2, 6, 6, 1], [2, 10, 8, 3], [3, 12, 12, 2], [2, 6, 6, 6, 1]]),
       act=st.sampled_from(["relu", "leaky", "threshold"]))
def test_certified_exact_counts_equal_the_exact_merge(seed, widths, act):
    """Random networks on boxes, planes and polyhedra: the exact count equals the exact merge's;
    a certified one is the activation count."""
    net, dom = planar_case(seed, widths, act, polyhedron_every=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom, exact=True)
        fast = _fast(net, dom)
        assert n == _exact_merge(net, dom) == len(tropnet.linear_regions(net, dom, exact=True))
        if fast is not None:  # certified (the activation count), or decided across the root edges
            assert fast == n


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), w=st.integers(4, 6), out=st.sampled_from([1, 2]),
       plane=st.booleans())
def test_degenerate_networks_exact(seed, w, out, plane):
    """Dead, unread and duplicated units (cells really merge): never certified where the exact
    merge joins cells, and the count is the exact merge's."""
    rng = np.random.default_rng(seed)
    if plane:
        net = _degenerate_net(seed, 3, w, out)
        pts = rng.integers(-2, 3, size=(3, 3)).astype(float)
        while np.linalg.matrix_rank(pts[1:] - pts[0]) < 2:  # three points that span a plane
            pts = rng.integers(-2, 3, size=(3, 3)).astype(float)
        dom = Plane.through(*pts, margin=2.0)
    else:
        net = _degenerate_net(seed, 2, w, out)
        dom = Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _exact_merge(net, dom)
        # the cells of the network the count runs on (without the units it drops first)
        cells = tropnet.count_linear_regions(drop_unused_units(net), dom, kind="activation", exact=True)
        fast = _fast(net, dom)
        assert tropnet.count_linear_regions(net, dom, exact=True) == want
    assert want <= cells
    if fast is not None:  # the cells, or the joins across the root edges where the certificate failed
        assert fast == want


def test_known_merges_exact():
    """relu(x) - relu(x) (1 region), relu(relu(y) - relu(x)) (3 regions, 5 cells on the box):
    never certified, the merge's counts; an output that ignores a unit of the last layer: the
    count drops the unit first (:mod:`tropnet.networks.prune`), then certifies, with the merge's
    count."""
    zero = Network.from_arrays([[[1.0, 0.0], [1.0, 0.0]], [[1.0, -1.0]]])
    nested = Network.from_arrays([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 1.0]], [[1.0]]])
    for net, want in ((zero, 1), (nested, 3)):
        assert _fast(net, Box(-1, 1)) is None
        assert tropnet.count_linear_regions(net, Box(-1, 1), exact=True) == want
    net = tropnet.random_mlp([2, 6, 6, 1], seed=3)
    W = net.layers[-1].weight.copy()
    W[0, 2] = 0.0
    net = Network(list(net.layers[:-1]) + [Linear(W, net.layers[-1].bias)])
    assert _fast(net, Box(-3, 3)) == _exact_merge(net, Box(-3, 3))
    assert tropnet.count_linear_regions(net, Box(-3, 3), exact=True) == _exact_merge(net, Box(-3, 3))


def test_a_middle_unit_nobody_reads_exact():
    """Across the unread unit's line the cells' maps are equal: not certified, but the root edges
    on that line are decided from the exact maps (the count below the cells')."""
    net = unread_middle_unit_net()
    want = _exact_merge(net, Box(-3, 3))
    assert _fast(net, Box(-3, 3)) == want < tropnet.count_linear_regions(net, Box(-3, 3), kind="activation",
                                                                          exact=True)
    assert tropnet.count_linear_regions(net, Box(-3, 3), exact=True) == want


@pytest.mark.parametrize("seed", range(3))
def test_tiny_output_weights_still_differ_exactly(seed):
    """An output weight of 2^-40 on one unit: the float merge may join across its line, the exact
    merge does not (the maps differ); the exact count is the exact merge's, certified or not."""
    net = tropnet.random_mlp([2, 5, 5, 1], seed=seed)
    for u in range(5):
        W = net.layers[-1].weight.copy()
        W[0, u] = 2.0**-40
        tiny = Network(list(net.layers[:-1]) + [Linear(W, net.layers[-1].bias)])
        want = _exact_merge(tiny, Box(-3, 3))
        fast = _fast(tiny, Box(-3, 3))
        assert tropnet.count_linear_regions(tiny, Box(-3, 3), exact=True) == want
        if fast is not None:
            assert fast == want


@pytest.mark.parametrize("widths", [[2, 32, 32, 1], [2, 24, 3], [12, 32, 32, 4], [2, 12, 12, 12, 2]])
def test_wide_random_networks_are_certified_exactly(widths):
    net = tropnet.random_mlp(widths, seed=1)
    rng = np.random.default_rng(1)
    dom = Box(-5, 5) if widths[0] == 2 else Plane.through(*rng.uniform(0, 1, size=(3, widths[0])))
    fast = _fast(net, dom)
    assert fast is not None and fast == _exact_merge(net, dom)


@pytest.mark.parametrize("widths", [[2, 5, 5, 1], [2, 4, 4, 4, 2]])
def test_exact_maps_decide_edges_the_vertex_values_cannot(widths, monkeypatch):
    """Every edge handed to the exact maps of its two polygons: still certified, same count."""
    import tropnet.regions.planar_linear as pl

    real = pl._vertex_coefficients

    def useless(*args):
        alpha, ew, wabs = real(*args)
        return alpha, np.full_like(ew, np.inf), wabs

    def certified(net, dom) -> bool:  # the certificate alone (no failed edges handed on)
        stats: dict = {"last_layer": None}
        count_last_layer_2d(net, dom, stats=stats)
        last = stats["last_layer"]
        return pl.no_shared_maps(last.pop("stages"), last, None, None)

    net = tropnet.random_mlp(widths, seed=0)
    want = _exact_merge(net, Box(-4, 4))
    assert _fast(net, Box(-4, 4)) == want and certified(net, Box(-4, 4))
    monkeypatch.setattr(pl, "_vertex_coefficients", useless)
    monkeypatch.setattr(pl, "EXACT_MAP_EDGES", 10_000)
    assert _fast(net, Box(-4, 4)) == want and certified(net, Box(-4, 4))
    monkeypatch.setattr(pl, "EXACT_MAP_EDGES", 0)
    assert not certified(net, Box(-4, 4))
    # the count hands every such edge to the stretches' exact maps instead (planar_merge)
    assert _fast(net, Box(-4, 4)) == want


@pytest.mark.parametrize("case", ["box", "deeper box", "plane", "wide box"])
def test_sparse_networks_merge_across_root_edges(case):
    """Sparse middle layers (a unit whose readers are all off in a root polygon splits cells of
    one map): the certificate fails on root edges only, whose stretches are decided from the
    exact maps of the cells on either side (:func:`tropnet.regions.planar_merge.merged_count`
    on the exact run's root polygons) -- the exact merge's count, below the cells'."""
    if case == "box":
        net, dom = sparse_net([2, 16, 16, 1], 1), Box(-5, 5)
    elif case == "deeper box":
        net, dom = sparse_net([2, 10, 10, 10, 1], 2, keep=0.3), Box(-4, 4)
    elif case == "plane":
        net = sparse_net([6, 16, 16, 2], 0)
        dom = Plane.through([0.0] * 6, [1.0, 0.5, 0, -1, 0.2, 0.3], [0.0, 1, 1, 0.5, -0.3, 0.1])
    else:
        net, dom = sparse_net([2, 64, 64, 1], 0), Box(-5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _fast(net, dom)
        cells = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
        assert fast is not None and fast < cells
        assert fast == _exact_merge(net, dom) == tropnet.count_linear_regions(net, dom, exact=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), widths=st.sampled_from([[2, 8, 8, 1], [2, 12, 12, 2], [2, 6, 6, 6, 1]]),
       keep=st.sampled_from([0.2, 0.4]), act=st.sampled_from(["relu", "leaky"]))
def test_random_sparse_networks_exact(seed, widths, keep, act):
    """Random sparse networks on boxes: the count (certified, decided across root edges, or the
    merge) is the exact merge's."""
    net = sparse_net(widths, seed, keep=keep)
    if act != "relu":
        from testnets import activated

        net = activated(net, act)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _fast(net, Box(-4, 4))
        want = _exact_merge(net, Box(-4, 4))
        assert tropnet.count_linear_regions(net, Box(-4, 4), exact=True) == want
    if fast is not None:
        assert fast == want


def test_exact_root_polygons_are_counter_clockwise_and_padded_by_their_first_vertex():
    """The certificate takes the slots around a polygon's row (and any slot of it) as its vertices:
    a row padded with vertex 0 let it read another polygon's vertex as a far vertex of this one
    (wrong jumps: on this network two edges certified whose stretches have equal exact maps)."""
    stats: dict = {"last_layer": None}
    count_last_layer_2d(sparse_net([2, 16, 16, 1], 1), Box(-5, 5), stats=stats)
    last = stats["last_layer"]
    rows, cnt, xy = last["rows"], last["cnt"], last["coords"]
    pad = np.arange(rows.shape[1])[None, :] >= cnt[:, None]
    assert pad.any() and (rows[pad] == np.broadcast_to(rows[:, :1], rows.shape)[pad]).all()
    nxt = np.concatenate([rows[:, 1:], rows[:, :1]], axis=1)
    area = (xy[rows, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[rows, 1]).sum(axis=1)
    assert (area > 0).all()
