"""Float 2-D linear region sets whose last layer has units that reach no output (a zero column
of the output weights): the polygon certificate leaves those units out
(:func:`tropnet.regions.planar_linear.no_shared_maps` with ``silent``), and the cells of one root
polygon and one pattern of the other units form one region
(:func:`tropnet.regions.planar_merge.merged_labels`).  The labels must equal the merge's over
every facet (the route before), cell by cell; the counts those of the exact merge on the same
network; and sampled points of one region must lie on one affine map."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import activated, sparse_net

import tropnet
from tropnet import Box, Network, Plane, Polyhedron
from tropnet.regions import geometry
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan


def _zeroed(net: Network, cols) -> Network:
    """``net`` with the output weights of the last layer's units ``cols`` set to 0."""
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[-1][:, list(cols)] = 0.0
    return Network.from_arrays(W, B)


def _labels(net, dom, monkeypatch=None):
    """The region set's labels (certificate route) and the merge's (no certificate), and
    whether the labels were read from the silent units (``merged_labels`` with a mask)."""
    found = make_plan(net, dom).find()
    had_last = "planar_last" in found.cache
    calls = []
    real = geometry.merged_labels

    def spy(*args):
        out = real(*args)
        calls.append(args[4] is not None and out is not None)
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geometry.merged_labels = spy
        try:
            fast = linear_labels(found)  # (pops the last layer: the second call merges)
        finally:
            geometry.merged_labels = real
        full = linear_labels(found)
    return found, fast, full, had_last and any(calls)


def _same_map_within(net, found, labels, rng) -> bool:
    """Sampled points of the cells of each region lie on one affine map (a least-squares fit
    through them, checked at every point): an independent check of the labels."""
    d = found.d
    for lab in np.unique(labels)[:40]:
        cells = np.flatnonzero(labels == lab)
        if len(cells) < 2:
            continue
        pts = []
        for c in cells[:6]:
            X = found.vert_X[found.vert_ids[found.vert_off[c] : found.vert_off[c + 1]]][:, :d]
            wts = rng.dirichlet(np.ones(len(X)), size=4)
            pts.append(wts @ X)
        P = np.concatenate(pts)
        y = np.asarray(net(P), dtype=np.float64).reshape(len(P), -1)
        A = np.c_[P, np.ones(len(P))]
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        if not np.allclose(A @ coef, y, atol=1e-7 * (1 + np.abs(y).max())):
            return False
    return True


@pytest.mark.parametrize("widths,cols,dom", [
    ([2, 64, 64, 1], [0], Box(-5, 5)),
    ([2, 24, 24, 2], [0, 3, 7], Box(-3, 3)),
    ([2, 16, 16, 16, 1], [1, 2], Polyhedron([[1, 1], [-1, 0], [0, -1], [1, -2]], [3, 3, 3, 4])),
])
def test_silent_units_labels_equal_the_merge(widths, cols, dom):
    net = _zeroed(tropnet.random_mlp(widths, seed=0), cols)
    found, fast, full, used = _labels(net, dom)
    assert used  # read from the silent units, no maps
    assert np.array_equal(fast, full)
    assert fast.max() + 1 < len(found)  # cells really merge
    assert _same_map_within(net, found, fast, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(tropnet.linear_regions(net, dom)) == tropnet.count_linear_regions(net, dom) == fast.max() + 1


def test_exact_counts_agree():
    """The exact linear count of the same network (rationals: exact maps, exact merge)."""
    net = _zeroed(tropnet.random_mlp([2, 10, 10, 1], seed=3), [0, 4])
    found, fast, full, used = _labels(net, Box(-3, 3))
    assert used and np.array_equal(fast, full)
    assert fast.max() + 1 == tropnet.count_linear_regions(net, Box(-3, 3), exact=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), how=st.sampled_from(["zeroed", "sparse+zeroed"]),
       act=st.sampled_from(["relu", "leaky", "threshold"]), nz=st.integers(1, 4))
def test_random_zeroed_and_sparse_nets(seed, how, act, nz):
    """Random networks with ``nz`` last-layer units silent (and sparse middle layers: root lines
    silent in some cells only, decided by the failed edges' stretches as well): the labels
    equal the merge's; and the count the exact merge's on small ones."""
    rng = np.random.default_rng(seed)
    w = int(rng.integers(5, 14))
    widths = [2, w, w, int(rng.integers(1, 3))] if seed % 3 else [2, w, w, w, 1]
    net = sparse_net(widths, seed, keep=0.3) if how != "zeroed" else tropnet.random_mlp(widths, seed=seed)
    if act != "relu":
        net = activated(net, act)
    net = _zeroed(net, rng.choice(w, size=min(nz, w - 1), replace=False))
    dom = Box(-3, 3) if seed % 2 else Polyhedron([[1.0, 1.0], [-1.0, 0.2], [0.1, -1.0]], [3.0, 2.0, 2.5])
    found, fast, full, _ = _labels(net, dom)
    assert np.array_equal(fast, full)
    assert _same_map_within(net, found, fast, rng)
    if w <= 8:
        assert fast.max() + 1 == tropnet.count_linear_regions(net, dom, exact=True)


@pytest.mark.parametrize("eps", [0.0, 2.0**-40, 2.0**-30, 1e-3])
def test_silent_line_through_a_root_vertex(eps):
    """The silent unit's line passes through a vertex of the root polygons (the crossing of
    x = 0 and y = 0; ``eps = 0``: its value there is exactly 0, a tie the polygon engine hands
    to the vertex engine), or just beside it: the labels equal the merge's and the count the
    exact one; beyond the engine's tolerance the labels are read from the silent unit."""
    W1 = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]]
    b1 = [0.0, 0.0, -1.5, 4.0]
    W2 = [[1.0, -1.0, 0.5, 0.25], [0.5, 1.0, -1.0, 0.125], [-1.0, 0.25, 1.0, -0.5]]
    b2 = [-1.0 + eps, 0.125, 0.5]  # unit 0: relu(x) - relu(y) + relu(4 - x - y) / 4 - 1 (+ eps) near 0
    for out in ([[0.0, 1.0, -1.0]], [[0.0, 1.0, 0.0]]):
        net = Network.from_arrays([W1, W2, out], [b1, b2, [0.0]])
        for dom in (Box(-1, 1), Box(-2, 1.25)):
            found, fast, full, used = _labels(net, dom)
            assert np.array_equal(fast, full)
            assert used == (eps >= 2.0**-30)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert fast.max() + 1 == tropnet.count_linear_regions(net, dom, exact=True)


def test_tiny_output_weight_is_not_silent():
    """An output weight of 1e-13 is not 0: the unit is not left out (its facets' maps differ by
    less than the merge's tolerance, so the merge decides), and the labels are the merge's."""
    net = tropnet.random_mlp([2, 12, 12, 1], seed=4)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[-1][0, 0] = 1e-13
    net = Network.from_arrays(W, B)
    found, fast, full, used = _labels(net, Box(-3, 3))
    assert not used and np.array_equal(fast, full)


def test_plane_slice_with_a_silent_unit():
    """A plane through a network with a silent last-layer unit: the region set's regions are
    the merge's (the slice's program is a 2-D polygon run)."""
    net = _zeroed(tropnet.random_mlp([6, 16, 16, 1], seed=2), [0, 5])
    dom = Plane.through(*np.random.default_rng(2).uniform(0, 1, size=(3, 6)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = len(tropnet.linear_regions(net, dom))
        assert n == tropnet.count_linear_regions(net, dom) == tropnet.count_linear_regions(net, dom, exact=True)


@pytest.mark.parametrize("widths", [[2, 1, 1, 1], [2, 6, 5, 1]])
def test_every_unit_of_the_last_layer_silent(widths):
    """Every output weight zero: the network is constant, one linear region on the box (float and
    exact), and the certificate has no unit left to leave out (hypothesis found the all-silent
    case raising on an empty array)."""
    net = _zeroed(tropnet.random_mlp(widths, seed=3), range(widths[-2]))
    box = Box([-5, -5], [5, 5])
    assert tropnet.count_linear_regions(net, box) == 1
    assert len(tropnet.linear_regions(net, box)) == 1
    assert tropnet.count_linear_regions(net.to_exact(), box, exact=True) == 1


def test_silent_lines_that_cross_no_root_polygon():
    """A silent unit whose line crosses no root polygon (positive on the whole domain) splits no
    cell: the certificate holds with no silent mask, and the labels are the cells."""
    from tropnet.regions.planar_linear import no_shared_maps

    net = tropnet.random_mlp([2, 32, 32, 1], seed=1)  # certified
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[1], B[1] = np.vstack([W[1], 0.01 * np.ones(32)]), np.r_[B[1], 100.0]  # an extra unit, always on
    W[2] = np.c_[W[2], [0.0]]  # ... that reaches no output
    net = Network.from_arrays(W, B)
    found = make_plan(net, Box(-5, 5)).find()
    silent = []
    assert no_shared_maps(found.stages, *found.cache["planar_last"], failed=[], silent=silent) and not silent
    found, fast, full, used = _labels(net, Box(-5, 5))
    assert np.array_equal(fast, full) and np.array_equal(fast, np.arange(len(found)))
