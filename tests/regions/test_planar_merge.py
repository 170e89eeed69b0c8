"""A float 2-D linear count whose polygon certificate fails on a few root edges decides their
stretches without cutting the last layer (:mod:`tropnet.regions.planar_merge`): the count must
equal the merge over the enumerated cells (``linear_labels`` of the polygon run, the route
before), on sparse networks (units whose readers are all off in some cells), with two and three
activation layers, leaky and threshold units, on boxes, polyhedra and planes."""

import warnings

import numpy as np
import pytest
from testnets import activated, sparse_net

import tropnet
from tropnet import Box, Network, Plane, Polyhedron
from tropnet.regions import planar_merge
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan


def _merge(net, dom) -> int:
    """The count through the merge of the enumerated cells (no certificate, no planar_merge)."""
    plan = make_plan(net, dom, want="count")
    found = plan.find()
    found.cache.pop("planar_last", None)
    return int(linear_labels(found).max()) + 1


def _count(net, dom, monkeypatch) -> tuple[int, bool]:
    """The count, and whether merged_count decided it."""
    used = []
    real = planar_merge.merged_count

    def spy(*args):
        out = real(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(planar_merge, "merged_count", spy)
    n = tropnet.count_linear_regions(net, dom)
    return n, any(used)


CASES = [
    ("[2, 64, 64, 1] box", lambda: sparse_net([2, 64, 64, 1], 0), Box(-5, 5)),
    ("[2, 24, 24, 1] box", lambda: sparse_net([2, 24, 24, 1], 1), Box(-3, 3)),
    ("[2, 16, 16, 16, 1] box", lambda: sparse_net([2, 16, 16, 16, 1], 2, keep=0.3), Box(-3, 3)),
    ("[2, 20, 20, 2] polyhedron", lambda: sparse_net([2, 20, 20, 2], 3),
     Polyhedron([[1, 1], [-1, 0], [0, -1], [1, -2]], [3, 3, 3, 4])),
    ("leaky", lambda: activated(sparse_net([2, 24, 24, 1], 4), "leaky"), Box(-3, 3)),
    ("threshold", lambda: activated(sparse_net([2, 24, 24, 1], 5), "threshold"), Box(-3, 3)),
    ("[12, 16, 16, 2] plane", lambda: sparse_net([12, 16, 16, 2], 0),
     Plane.through(*np.random.default_rng(0).uniform(0, 1, size=(3, 12)))),
    ("[6, 24, 24, 1] plane", lambda: sparse_net([6, 24, 24, 1], 6, keep=0.15),
     Plane.through([0.0] * 6, [1.0, 0.5, 0, -1, 0.2, 0], [0.0, 1, 1, 0.5, -0.3, 1])),
]


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_merged_count_equals_the_merge(name, monkeypatch):
    _, make, dom = next(c for c in CASES if c[0] == name)
    net = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n, decided = _count(net, dom, monkeypatch)
        cells = tropnet.count_linear_regions(net, dom, kind="activation")
        if isinstance(dom, Plane):
            assert n == len(tropnet.linear_regions(net, dom))
        else:
            assert n == _merge(net, dom) == len(tropnet.linear_regions(net, dom))
    if name in ("[2, 64, 64, 1] box", "[12, 16, 16, 2] plane", "[2, 24, 24, 1] box"):
        assert decided and n < cells  # cells really merge, decided without the merge


def test_many_random_sparse_networks(monkeypatch):
    """Random sparse networks of several sizes and densities: the count and the region set's
    labels always equal the merge's (decided here or not)."""
    decided = 0
    for seed in range(24):
        rng = np.random.default_rng(seed)
        w = int(rng.integers(6, 20))
        widths = [2, w, w, 1] if seed % 3 else [2, w, w, w, 2]
        net = sparse_net(widths, seed, keep=float(rng.uniform(0.1, 0.5)))
        dom = Box(-3, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n, used = _count(net, dom, monkeypatch)
            assert n == _merge(net, dom), (seed, widths)
            found = make_plan(net, dom).find()  # the region set's labels, then the merge's
            fast = linear_labels(found)
            assert np.array_equal(fast, linear_labels(found)) and fast.max() + 1 == n
        decided += used
    assert decided >= 6


def test_undecided_stretches_go_to_the_merge(monkeypatch):
    """A unit read with a tiny weight: its stretches are neither silent nor far apart, so the
    merge decides (merged_count returns None) and the count is the merge's."""
    net = sparse_net([2, 16, 16, 1], 7)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[1][:, 3] = 0.0
    W[1][0, 3] = 1e-13  # unit 3 of the first layer: read once, with a weight within tolerance
    net = Network.from_arrays(W, B)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n, used = _count(net, Box(-3, 3), monkeypatch)
        assert n == _merge(net, Box(-3, 3))


@pytest.mark.parametrize("name", [c[0] for c in CASES if "plane" not in c[0]])
def test_merged_labels_equal_the_merge(name):
    """Region sets: the labels from the failed edges' stretches (``merged_labels``, read off the
    enumerated cells' patterns) equal the merge's labels, cell by cell."""
    from tropnet.regions import planar_merge as pm

    _, make, dom = next(c for c in CASES if c[0] == name)
    plan = make_plan(make(), dom)  # linear regions: the engine hands out its last layer
    found = plan.find()
    assert "planar_last" in found.cache
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls = []
        real = pm.merged_labels

        def spy(*args):
            calls.append(real(*args))
            return calls[-1]

        import tropnet.regions.geometry as geometry

        geometry.merged_labels, saved = spy, geometry.merged_labels
        try:
            fast = linear_labels(found)  # (pops the last layer: the second call merges)
        finally:
            geometry.merged_labels = saved
        full = linear_labels(found)
    assert np.array_equal(fast, full)
    if name in ("[2, 64, 64, 1] box", "[2, 24, 24, 1] box"):
        assert calls and calls[0] is not None and fast.max() + 1 < len(found)


def test_failed_edges_go_to_the_stretches_without_the_polygons_maps(monkeypatch):
    """A float run handing its failed edges on: edges whose vertex values are precise (not thin)
    and fail go to planar_merge as they are (the polygons' maps are not computed for them);
    the count and the labels are still the merge's."""
    import tropnet.regions.planar_linear as pl

    calls = []
    real = pl._map_jumps
    monkeypatch.setattr(pl, "_map_jumps", lambda *a: calls.append(1) or real(*a))
    net, dom = sparse_net([2, 24, 24, 1], 1), Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n, decided = _count(net, dom, monkeypatch)
        assert decided and not calls
        assert n == _merge(net, dom) == len(tropnet.linear_regions(net, dom))


@pytest.mark.parametrize("widths", [[2, 10, 10, 1], [2, 8, 8, 8, 2]])
def test_imprecise_vertex_values_are_decided_by_the_stretches(widths, monkeypatch):
    """Every edge's vertex values made imprecise (a large finite bound): every edge fails the
    vertex test and goes to planar_merge, which decides every stretch from the cells' maps
    (far apart: the polygon count stands), with the merge's answer."""
    import tropnet.regions.planar_linear as pl

    real = pl._vertex_coefficients

    def loose(*args):
        alpha, ew, wabs = real(*args)
        return alpha, ew + 1e6 * wabs, wabs

    net, dom = tropnet.random_mlp(widths, seed=4), Box(-4, 4)
    cells = tropnet.count_linear_regions(net, dom, kind="activation")
    monkeypatch.setattr(pl, "_vertex_coefficients", loose)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n, decided = _count(net, dom, monkeypatch)
        assert decided and n == cells == _merge(net, dom)
        found = make_plan(net, dom).find()
        assert np.array_equal(linear_labels(found), np.arange(len(found)))
