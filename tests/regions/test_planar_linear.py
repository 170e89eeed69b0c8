"""The certificate that no two neighbouring cells of a 2-D polygon run share a map
(:func:`tropnet.regions.planar_linear.no_shared_maps`), which lets a float linear count on a 2-D
domain be the polygon engine's count and a linear region set skip the maps: it must never
certify a run whose merge joins cells, and the answers must equal the merge's."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import activated as _activated
from testnets import planar_case, unread_middle_unit_net

import tropnet
from tropnet import Box, Linear, Network, Plane
from tropnet.regions.geometry import _linear_labels
from tropnet.regions.plan import make_plan
from tropnet.regions.planar import count_cells
from tropnet.regions.planar_linear import no_shared_maps
from tropnet.regions.program import stages_from_network


def _merge_count(net, dom) -> int:
    """The linear count of the merge from the maps (no certificate): the previous implementation."""
    found = make_plan(net, dom).find()
    found.cache.pop("planar_last", None)
    return int(_linear_labels(found, None).max()) + 1


def _certified(net, lo, hi, halfspaces=None) -> bool:
    stats = {"last_layer": None}
    count_cells(net, lo, hi, halfspaces=halfspaces, stats=stats)
    return no_shared_maps(stages_from_network(net), stats["last_layer"], np.asarray(lo, float),
                          np.asarray(hi, float), halfspaces)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), widths=st.sampled_from([[2, 8, 1], [2, 6, 6, 1], [2, 10, 8, 3], [3, 12, 12, 2]]),
       act=st.sampled_from(["relu", "leaky", "threshold"]))
def test_certified_counts_equal_the_merge(seed, widths, act):
    """Random networks: the certificate holds (neighbouring maps differ), and the count and the
    region set equal the merge's, on boxes, polyhedra and planes."""
    net, dom = planar_case(seed, widths, act, polyhedron_every=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom)
        rs = tropnet.linear_regions(net, dom)
        plan = make_plan(net, dom, want="count")
        fast = plan._count_planar_linear()
    assert n == len(rs) == _merge_count(net, dom)
    if fast is not None:  # certified (no merge at all), or the joins across failed edges decided
        assert fast == n <= tropnet.count_linear_regions(net, dom, kind="activation")


@pytest.mark.parametrize("widths", [[2, 32, 32, 1], [2, 24, 3], [12, 32, 32, 4]])
def test_wide_random_networks_are_certified(widths):
    """Wide random networks (no region where every unit of the last layer is off) are certified:
    the count is the polygon engine's, and equals the merge's."""
    net = tropnet.random_mlp(widths, seed=1)
    rng = np.random.default_rng(1)
    dom = Box(-5, 5) if widths[0] == 2 else Plane.through(*rng.uniform(0, 1, size=(3, widths[0])))
    fast = make_plan(net, dom, want="count")._count_planar_linear()
    assert fast is not None and fast == _merge_count(net, dom) == tropnet.count_linear_regions(net, dom)


def test_not_certified_where_cells_merge():
    """relu(x) - relu(x) (a merge inside the domain polygon, across the last layer's line) and
    relu(relu(y) - relu(x)) (merges across first-layer lines where the output unit is off):
    never certified; the counts are the merge's (hand-computed: 1 region; 3 regions)."""
    zero = Network.from_arrays([[[1.0, 0.0], [1.0, 0.0]], [[1.0, -1.0]]])
    nested = Network.from_arrays([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 1.0]], [[1.0]]])
    assert not _certified(zero, [-1, -1], [1, 1])
    assert not _certified(nested, [-1, -1], [1, 1])
    assert tropnet.count_linear_regions(zero, Box(-1, 1)) == 1
    assert tropnet.count_linear_regions(nested, Box(-1, 1)) == 3
    assert len(tropnet.linear_regions(nested, Box(-1, 1))) == 3
    assert tropnet.count_linear_regions(nested, Box(-1, 1), kind="activation") == 5


def test_an_output_ignoring_a_unit_is_not_certified():
    """A unit of the last layer the output does not read: its line separates cells with one map."""
    net = tropnet.random_mlp([2, 6, 6, 1], seed=3)
    W = net.layers[-1].weight.copy()
    W[0, 2] = 0.0
    net = Network(list(net.layers[:-1]) + [Linear(W, net.layers[-1].bias)])
    assert not _certified(net, [-3, -3], [3, 3])
    assert tropnet.count_linear_regions(net, Box(-3, 3)) == _merge_count(net, Box(-3, 3))


@pytest.mark.parametrize("seed", range(3))
def test_tiny_differences_are_not_certified(seed):
    """An output weight of 1e-12 on one unit: where its line crosses the domain, the maps across
    it differ by less than the merge's tolerance (1e-9 of the largest entry) and the cells merge,
    so the certificate must not hold; certified or not, the count is the merge's."""
    net = tropnet.random_mlp([2, 5, 5, 1], seed=seed)
    verdicts = []
    for u in range(5):
        W = net.layers[-1].weight.copy()
        W[0, u] = 1e-12
        tiny = Network(list(net.layers[:-1]) + [Linear(W, net.layers[-1].bias)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            merged = _merge_count(tiny, Box(-3, 3))
            assert tropnet.count_linear_regions(tiny, Box(-3, 3)) == merged
            cells = tropnet.count_linear_regions(tiny, Box(-3, 3), kind="activation")
        verdicts.append(_certified(tiny, [-3, -3], [3, 3]))
        if verdicts[-1]:
            assert merged == cells
    assert not all(verdicts)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), widths=st.sampled_from([[2, 6, 6, 6, 1], [2, 8, 6, 5, 2], [3, 8, 8, 8, 2]]),
       act=st.sampled_from(["relu", "leaky", "threshold"]))
def test_deeper_networks_certified_counts_equal_the_merge(seed, widths, act):
    """Three activation layers (root polygons of two layers, their edges on lines of either):
    the count and the region set equal the merge's, and so does the polygon count's, certified
    (the cells) or with the joins across failed root edges decided (:mod:`planar_merge`)."""
    net = tropnet.random_mlp(widths, seed=seed)
    if act != "relu":
        net = _activated(net, act)
    rng = np.random.default_rng(seed)
    dom = Box(-4, 4) if widths[0] == 2 else Plane.through(*rng.normal(size=(3, 3)), margin=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom)
        rs = tropnet.linear_regions(net, dom)
        fast = make_plan(net, dom, want="count")._count_planar_linear()
    assert n == len(rs) == _merge_count(net, dom)
    if fast is not None:  # certified (the cells), or the joins across failed edges decided
        assert fast == n <= tropnet.count_linear_regions(net, dom, kind="activation")


def test_deeper_wide_network_is_certified():
    net = tropnet.random_mlp([2, 24, 24, 24, 1], seed=2)
    fast = make_plan(net, Box(-5, 5), want="count")._count_planar_linear()
    assert fast is not None and fast == _merge_count(net, Box(-5, 5))


def test_a_middle_unit_nobody_reads_is_not_certified():
    """Unit 0 of the second layer is read by no unit of the third: across its line the maps of
    the cells are equal, and the merge joins them; never certified."""
    net = unread_middle_unit_net()
    assert not _certified(net, [-3, -3], [3, 3])
    assert tropnet.count_linear_regions(net, Box(-3, 3)) == _merge_count(net, Box(-3, 3))


@pytest.mark.parametrize("widths", [[2, 10, 10, 1], [2, 8, 8, 8, 2]])
def test_the_maps_decide_edges_the_vertex_values_cannot(widths, monkeypatch):
    """Every edge handed to the maps of its two polygons (as for thin polygons): the certificate
    still holds, from the maps alone."""
    import tropnet.regions.planar_linear as pl

    real = pl._vertex_coefficients

    def useless(*args):
        alpha, ew, wabs = real(*args)
        return alpha, np.full_like(ew, np.inf), wabs

    net = tropnet.random_mlp(widths, seed=4)
    assert _certified(net, [-4, -4], [4, 4])
    monkeypatch.setattr(pl, "_vertex_coefficients", useless)
    assert _certified(net, [-4, -4], [4, 4])


def test_root_maps_are_the_networks_pre_activations():
    """:func:`_map_jumps`: the last layer's pre-activation maps at points equal the forward pass."""
    from tropnet.regions.planar_linear import _map_jumps, _structure
    from tropnet.regions.program import forward_stages

    net = tropnet.random_mlp([2, 7, 7, 7, 1], seed=6)
    stages = stages_from_network(net)
    la = _structure(stages)[0]
    X = np.random.default_rng(0).uniform(-2, 2, size=(20, 2))
    Z, err = _map_jumps(stages, la, X)
    want = forward_stages(stages[:la], X)
    got = np.einsum("knc,kc->kn", Z, np.concatenate([X, np.ones((20, 1))], axis=1))
    assert np.allclose(got, want, atol=1e-12) and 0 < err < 1e-10


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000),
       widths=st.sampled_from([[2, 8, 1], [2, 10, 8, 3], [2, 6, 6, 6, 1], [2, 24, 24, 2], [3, 8, 8, 2]]),
       act=st.sampled_from(["relu", "leaky", "threshold"]), degenerate=st.booleans())
def test_compiled_loops_decide_as_numpy(seed, widths, act, degenerate):
    """The compiled loops (:mod:`tropnet.regions.planar_jit`, numba) return what the numpy code
    returns, facet by facet and edge by edge (far vertices too), on random, leaky, threshold and degenerate
    networks (duplicated units read with opposite weights, an ignored unit: some not
    certified); the numpy code is the reference."""
    pytest.importorskip("numba")
    from tropnet.regions import planar_linear as pl
    from tropnet.regions import pool

    net = tropnet.random_mlp(widths, seed=seed)
    if degenerate:
        Ws = [layer.weight.copy() for layer in net.layers if isinstance(layer, Linear)]
        Ws[0][1], Ws[1][:, 1] = Ws[0][0], -Ws[1][:, 0]  # a duplicated unit read with opposite weights
        Ws[-1][:, -1] = 0.0  # an output that ignores a unit of the last layer
        bs = [layer.bias.copy() for layer in net.layers if isinstance(layer, Linear)]
        bs[0][1] = bs[0][0]
        net = Network.from_arrays(Ws, bs)
    if act != "relu":
        net = _activated(net, act)
    seen = []
    inside, check, far = pl._inside_ok, pl._Stretches.vertex_check, pl._far_vertex

    def both(f, *args):
        old = pool.use_kernels("numpy")
        try:
            ref = f(*args)
            pool.use_kernels("numba")
            out = f(*args)
        finally:
            pool.use_kernels(old)
        assert (ref is None) == (out is None)
        if ref is not None:
            pairs = zip(ref, out) if isinstance(ref, tuple) else [(ref, out)]
            assert all(np.array_equal(a, b, equal_nan=True) for a, b in pairs)
        seen.append(f)
        return ref

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setattr(pl, "_inside_ok", lambda *a, **k: both(lambda *b: inside(*b, **k), *a))
        mp.setattr(pl._Stretches, "vertex_check", lambda self, *a: both(lambda *b: check(self, *b), *a))
        mp.setattr(pl, "_far_vertex", lambda *a: both(far, *a))
        warnings.simplefilter("ignore")
        for lo, hi in ((-5, 5), (-0.3, 0.4)):
            if widths[0] == 2:
                _certified(net, np.full(2, lo, float), np.full(2, hi, float))
        if widths[0] == 3:
            dom = Plane.through(*np.random.default_rng(seed).normal(size=(3, 3)), margin=2.0)
            tropnet.count_linear_regions(net, dom)
    assert seen or widths[0] == 3


def test_compiled_loops_load_numba_only_for_big_certificates(monkeypatch):
    """A process that has not loaded numba keeps small certificates in numpy (loading it costs
    more than they take) until they have done ``JIT_AFTER_WORK`` (their loops' entries and a
    fixed amount a loop: the same certificates on every machine and load, no clock), and loads
    it for big ones; ``use_kernels("numpy")`` never compiles."""
    pytest.importorskip("numba")
    from tropnet.regions import planar_stretches as pl
    from tropnet.regions import pool

    monkeypatch.setitem(pool._KERNELS, "choice", None)
    monkeypatch.setitem(pool._KERNELS, "jit", None)  # numba not loaded yet
    monkeypatch.setitem(pl._WORK, "done", 0)
    assert pl._compiled(10_000) is None and pl._WORK["done"] == 10_000 + pl.CALL_WORK
    net = tropnet.random_mlp([2, 8, 8, 1], seed=0)
    monkeypatch.setitem(pl._WORK, "done", 0)
    assert _certified(net, [-5, -5], [5, 5])
    once = pl._WORK["done"]
    assert 3 * pl.CALL_WORK < once < pl.JIT_AFTER_WORK  # the certificates' work is counted ...
    assert _certified(net, [-5, -5], [5, 5]) and pl._WORK["done"] == 2 * once  # ... the same each time
    monkeypatch.setitem(pl._WORK, "done", pl.JIT_AFTER_WORK)
    assert pl._compiled(10_000) is not None  # after that much of them: loads it
    monkeypatch.setitem(pool._KERNELS, "jit", None)
    monkeypatch.setitem(pl._WORK, "done", 0)
    assert pl._compiled(pl.JIT_MIN_CERTIFICATE) is not None  # a big one loads it
    assert pl._compiled(10) is not None  # now loaded: every size
    monkeypatch.setitem(pool._KERNELS, "choice", "numpy")
    assert pl._compiled(pl.JIT_MIN_CERTIFICATE) is None
