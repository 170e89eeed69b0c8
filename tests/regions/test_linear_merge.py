"""The linear merge from the maps (:func:`tropnet.regions.geometry.linear_labels`: facets only
for cells whose map another cell shares) against the merge over every facet of every cell (the
previous implementation, kept here), on random networks with dead units, zero rows and
duplicated units, where cells really merge; and against hand-computed answers."""

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from testnets import degenerate_net as _degenerate_net

import tropnet
from tropnet import Box, Network, Plane
from tropnet.regions.geometry import _geometry, linear_labels, merge_linear
from tropnet.regions.map_groups import near_groups
from tropnet.regions.plan import find_cells, make_plan


def _labels_over_every_facet(found) -> np.ndarray:
    """The previous merge: every facet of every cell, neighbours, maps compared per edge."""
    _, _, _, nbr, W, cmap, fc = _geometry(found)
    has = nbr >= 0
    e = np.stack([fc[has], nbr[has]], axis=1)
    if found.exact:
        same = np.array([bool((W[a] == W[b]).all() and (cmap[a] == cmap[b]).all()) for a, b in e], dtype=bool)
    else:
        scale = max(float(np.abs(W).max()) if W.size else 0.0, float(np.abs(cmap).max()) if cmap.size else 0.0)
        tol = 1e-9 * max(scale, 1e-300)
        same = (
            (np.abs(W[e[:, 0]] - W[e[:, 1]]).max(axis=(1, 2)) <= tol)
            & (np.abs(cmap[e[:, 0]] - cmap[e[:, 1]]).max(axis=1) <= tol)
            if len(e)
            else np.zeros(0, dtype=bool)
        )
    return merge_linear(len(found), e, same)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.sampled_from([2, 3]),
    w=st.integers(4, 6),
    out=st.sampled_from([1, 2]),
    exact=st.booleans(),
    whole=st.booleans(),
)
def test_merge_from_maps_equals_merge_over_every_facet(seed, d, w, out, exact, whole):
    net = _degenerate_net(seed, d, w, out)
    dom = None if whole else Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for codes in ([False, True] if exact else [False]):
            found = find_cells(net, dom, exact=exact, codes=codes)
            assert np.array_equal(linear_labels(found), _labels_over_every_facet(found))
        # and the public calls: the count and the region set agree with it
        n = tropnet.count_linear_regions(net, dom, exact=exact)
        rs = tropnet.linear_regions(net, dom, exact=exact)
    assert n == len(rs) == int(_labels_over_every_facet(found).max()) + 1


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=896)  # planes with cells cut below float64 resolution (thin): facets from coordinates
@example(seed=198)
def test_merge_on_a_plane_and_in_13_dimensions(seed):
    """The 2-D polygon engine (a plane through a degenerate network) and the H-representation
    engine (13 inputs, cells without vertices: LP facets for the shared maps only)."""
    net = _degenerate_net(seed, 3, 5, 2)
    rng = np.random.default_rng(seed)
    plan = make_plan(net, Plane.through(*rng.normal(size=(3, 3)), margin=2.0))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        found = plan.find()
        assert np.array_equal(linear_labels(found), _labels_over_every_facet(found))
    # a plane through random points can cut cells below float64 resolution: then it is said
    assert all(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in said)
    W1 = np.zeros((4, 13))
    W1[:, :2] = rng.integers(-2, 3, size=(4, 2))
    W1[3] = W1[2]
    big = Network.from_arrays([W1, rng.integers(-2, 3, size=(1, 4)).astype(float)], [rng.normal(size=4), [0.0]])
    found = find_cells(big, Box(-1, 1))
    assert np.array_equal(linear_labels(found), _labels_over_every_facet(found))


def test_known_merges():
    """relu(x) - relu(x) is 0: two cells, one region.  relu(relu(y) - relu(x)) on R^2 has 5 cells
    (the quadrants, the first one cut by y = x) and 3 linear regions: the three cells where the
    output unit is off (x, y < 0; x > 0 > y; x > y > 0) carry the map 0 and are joined through
    their shared facets, the others carry y and y - x."""
    zero = Network.from_arrays([[[1.0], [1.0]], [[1.0, -1.0]]])
    nested = Network.from_arrays([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 1.0]], [[1.0]]])
    for exact in (False, True):
        assert tropnet.count_linear_regions(zero, exact=exact) == 1
        assert tropnet.count_linear_regions(nested, exact=exact) == 3
        assert tropnet.count_linear_regions(nested, exact=exact, kind="activation") == 5
        assert len(tropnet.linear_regions(nested, exact=exact)) == 3


def test_near_groups_keep_close_rows_together():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(400, 6))
    F[200:260] = F[0] + rng.uniform(-1e-10, 1e-10, size=(60, 6))  # 61 rows within 2e-10 of each other
    gid = near_groups(F, 2e-10)
    assert len(set(gid[200:260].tolist() + [gid[0]])) == 1
    assert np.bincount(gid).max() == 61  # the far rows stay alone


def test_float_merge_of_maps_beyond_rounding_warns():
    """Two neighbouring cells whose maps differ by 1e-12 (the second output, the constant 1, sets
    the scale): within float mode's tolerance (merged, as before), but far above rounding, so the
    call warns; the exact count keeps them apart."""
    net = Network.from_arrays([[[1.0], [1.0]], [[1.0, -1.0 + 1e-12], [0.0, 0.0]]], [[0.0, 0.0], [0.0, 1.0]])
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="merged"):
        assert tropnet.count_linear_regions(net) == 1
    assert tropnet.count_linear_regions(net, exact=True) == 2


def test_float_merge_never_splits_equal_maps_by_rounding():
    """Output weights 0.1 s, 0.1 s, -0.075 s on the units h, 2 h, 4 h cancel exactly for s = 1e10
    (the dyadic values of 0.1 s + 0.2 s - 0.3 s sum to 0), but the float walk leaves a residue
    above 1e-9 of the maps' scale: the cells on both sides of that line share one exact map.  Float
    mode must merge them (as the exact count does) and say that the decision was within rounding.
    (Scaled copies, not equal ones: a count drops equal units read with cancelling weights before
    it runs, :mod:`tropnet.networks.prune`.)"""
    import warnings

    import tropnet
    from tropnet import Box, Network

    s = 1e10
    h = np.array([1.0, 0.3])
    W1 = [h, 2 * h, 4 * h, [0.0, 1.0], [-1.0, 1.0]]
    net = Network.from_arrays([W1, [[0.1 * s, 0.1 * s, -0.075 * s, 1e-3, 1.0]]], [[0, 0, 0, 5, 0.5], [0]])
    exact = tropnet.count_linear_regions(net, Box(-1, 1), kind="linear", exact=True)
    assert exact == 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tropnet.count_linear_regions(net, Box(-1, 1), kind="linear") == exact
    assert any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), exact=st.booleans())
def test_maps_walked_in_chunks_merge_as_in_one_walk(seed, exact):
    """The float maps of ``linear_labels`` come from one walk per chunk of cells
    (``map_groups.MAPS_CHUNK``): chunks of 3 cells give the labels of the merge over every facet."""
    from tropnet.regions import map_groups

    net = _degenerate_net(seed, 2, 5, 2)
    found = find_cells(net, Box(-3, 3), exact=exact)
    ref = _labels_over_every_facet(found)
    old, map_groups.MAPS_CHUNK = map_groups.MAPS_CHUNK, 3
    try:
        found = find_cells(net, Box(-3, 3), exact=exact)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert np.array_equal(linear_labels(found), ref)
    finally:
        map_groups.MAPS_CHUNK = old


def _near_groups_every_round(F, tol, rounds=3):
    """The previous ``near_groups``: every row sorted in every round."""
    C, m = F.shape
    gid = np.zeros(C, dtype=np.int64)
    rng = np.random.default_rng(2026)
    u = 2.0**-53
    Rm = rng.uniform(0.5, 1.0, (m, rounds)) * rng.choice([-1.0, 1.0], (m, rounds))
    Sm = F.dot(Rm)
    g = (m + 2) * u / (1 - (m + 2) * u)
    bound = g * np.abs(F).dot(np.abs(Rm)).max(axis=0)
    for k in range(rounds):
        s = Sm[:, k]
        w = tol * float(np.abs(Rm[:, k]).sum()) * (1 + 1e-9) + 2 * float(bound[k]) * (1 + 1e-9)
        order = np.lexsort((s, gid)) if k else np.argsort(s, kind="stable")
        gs, ss = gid[order], s[order]
        brk = np.concatenate([[True], (gs[1:] != gs[:-1]) | (ss[1:] - ss[:-1] > w)])
        gid = np.empty(C, dtype=np.int64)
        gid[order] = np.cumsum(brk) - 1
    _, first, inv = np.unique(gid, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv.ravel()]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), rounds=st.integers(1, 3), tol=st.sampled_from([1e-12, 1e-9, 0.5, 2.0]))
def test_near_groups_equal_sorting_every_row_every_round(seed, rounds, tol):
    """Later rounds sort only the rows of runs of two or more: the same groups, the same ids
    (``ordered=False``: the same groups)."""
    rng = np.random.default_rng(seed)
    C, m = int(rng.integers(2, 300)), int(rng.integers(1, 6))
    F = rng.integers(-3, 4, size=(C, m)) * rng.choice([1.0, 1e-10, 1e-3])
    F = F + rng.uniform(-1e-11, 1e-11, size=F.shape) * rng.integers(0, 2)
    ref = _near_groups_every_round(F, tol, rounds)
    assert np.array_equal(near_groups(F, tol, rounds), ref)
    un = near_groups(F, tol, rounds, ordered=False)
    assert len(set(zip(ref.tolist(), un.tolist()))) == len(set(ref.tolist())) == len(set(un.tolist()))
