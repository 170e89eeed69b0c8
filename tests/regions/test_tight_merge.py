"""A float linear merge on the vertex engine reads the facets of the cells whose map another cell
shares from the engine's tight ids (``neighbours.tight_edges``: every vertex simple, the unit
facets are the columns met at the cell's vertices) instead of the vertex coordinates
(``geometry._facets_of``).  A pure speed change: the labels must equal those of the facets
from the coordinates, on random, sparse, degenerate (coincident hyperplanes: the fallback),
leaky and maxout (no ids: the fallback) networks, on boxes and polyhedra, for region sets and
streamed counts."""

import warnings

import numpy as np
import pytest
from testnets import activated, degenerate_net, degenerate_vertices_net, merging_net, sparse_net

import tropnet
from tropnet import Box, Network, Polyhedron
from tropnet.regions.affine import float_map_error
from tropnet.regions.geometry import _facets_of, linear_labels
from tropnet.regions.map_groups import float_maps, map_groups
from tropnet.regions.neighbours import flip_neighbours, tight_edges
from tropnet.regions.plan import make_plan
from tropnet.regions.pool import _PAD


def _found(net, dom):
    plan = make_plan(net, dom)  # float linear regions: the run keeps its tight ids
    plan._prune_stable()
    return plan.find()


def _both(found):
    """The labels from the tight ids and from the vertex coordinates (the ids dropped by the
    first call)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = linear_labels(found)
        assert "tight" not in found.cache  # read once, then let go (a region set does not hold it)
        b = linear_labels(found)
    return a, b


def _used(found) -> bool:
    F = float_maps(found.stages, found.patterns, found.d)
    gid = map_groups(F, 0.0, False)[0]
    S = np.flatnonzero(np.bincount(gid)[gid] >= 2)
    return tight_edges(found, S) is not None


CASES = [  # (network, domain, ids read (None: either), cells merge)
    (lambda: sparse_net([4, 16, 16, 1], 0), Box(-5, 5), True, True),
    (lambda: sparse_net([3, 12, 12, 12, 1], 1, keep=0.3), Box(-3, 3), True, True),
    (lambda: sparse_net([3, 10, 10, 2], 2), Polyhedron([[1, 1, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]],
                                                      [2, 2, 2, 2]), True, True),
    (lambda: activated(sparse_net([3, 12, 12, 1], 3), "leaky"), Box(-4, 4), True, False),
    (lambda: activated(sparse_net([3, 12, 12, 1], 3), "threshold"), Box(-4, 4), None, True),
    (lambda: tropnet.random_mlp([3, 8, 8, 1], seed=4), Box(-5, 5), True, None),
    (lambda: merging_net(3, 10, scale=2), Box(-3, 3), None, True),  # coincident hyperplanes
    (lambda: degenerate_vertices_net(5), Box(-2, 2), None, None),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_tight_ids_give_the_labels_of_the_vertex_facets(k):
    make, dom, used, merges = CASES[k]
    found = _found(make(), dom)
    assert "tight" in found.cache
    if used is not None:
        assert _used(found) == used
    a, b = _both(found)
    assert np.array_equal(a, b)
    if merges is not None:
        assert (a.max() + 1 < len(found)) == merges


def test_sparse_counts_equal_region_sets_and_the_vertex_facets():
    """The streamed count (kept parts hand the merge their tight ids too) equals the region set's
    length and the merge over the vertex coordinates of one unstreamed run."""
    for widths, seed, dom in [([4, 16, 16, 1], 0, Box(-5, 5)), ([3, 12, 12, 12, 1], 1, Box(-3, 3))]:
        net = sparse_net(widths, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = tropnet.count_linear_regions(net, dom)
            rs = tropnet.linear_regions(net, dom)
        found = _found(net, dom)
        found.cache.pop("tight")
        assert n == len(rs) == int(linear_labels(found).max()) + 1 < rs.num_cells


def test_no_ids_for_maxout():
    """Max-pool / maxout programs: their pair ids name no column, so no ids are kept (the vertex
    coordinates decide), and the labels are the merge's."""
    from tropnet.networks.layers import GroupMax, Linear
    from tropnet.regions.codes import id_columns
    from tropnet.regions.program import stages_from_network

    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [1.0, -1.0, 0.5]])  # 3-D: vertex engine
    mo = Network([Linear(W, np.array([0.0, 0.0, 0.5, 0.2])), GroupMax([[0, 1], [2, 3]]),
                  Linear(np.array([[1.0, -1.0]]), np.zeros(1))])
    assert id_columns(stages_from_network(mo), 3) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dom = Box(-2, 2)
        assert len(tropnet.linear_regions(mo, dom)) == tropnet.count_linear_regions(mo, dom)


def test_kept_parts_hand_out_the_facets_then_the_vertex_lists():
    """A streamed count's kept parts give the facets of the cells the merge asks for without
    coordinates first (``fill_tight``), then, where the merge needs them, the vertex lists
    (``fill``, cutting the last unit of the parts that hold a half of a split cell); the pairs
    read from the facets are those read from the coordinates."""
    plan = make_plan(sparse_net([4, 10, 10, 1], 0), Box(-4, 4), want="count")
    plan._prune_stable()
    found = plan._find_streamed()
    F = float_maps(found.stages, found.patterns, found.d)
    gid = map_groups(F, float_map_error(found.stages, found.d), False)[0]
    S = np.flatnonzero(np.bincount(gid)[gid] >= 2)
    found.cache.pop("tight_of")(found, S)
    first = tight_edges(found, S)
    assert found.cache.pop("tight").shape == (len(S), found.patterns.shape[1])
    found.cache.pop("vertices_of")(found, S)
    assert "tight" not in found.cache
    out = _facets_of(found, S, gid, None)
    fc, nbr = out[6], out[3]

    def pairs(a, b):  # within a group, as the merge reads them
        return {tuple(sorted(p)) for p in zip(a.tolist(), b.tolist()) if gid[p[0]] == gid[p[1]]}

    assert first is not None and pairs(first[:, 0], first[:, 1]) == pairs(fc[nbr >= 0], nbr[nbr >= 0])


def _reference_facets(T, off, ids, col_of, d):
    """Per cell: whether every vertex has ``d`` ids, and the set of unit columns met at them
    (plain Python, from a pool whose last unit was cut)."""
    simple, met = [], []
    for c in range(len(off) - 1):
        rows = [[t for t in T[v].tolist() if t != _PAD] for v in ids[off[c] : off[c + 1]].tolist()]
        simple.append(all(len(r) == d for r in rows))
        met.append({int(col_of[t]) for r in rows for t in r if col_of[t] >= 0})
    return simple, met


@pytest.mark.parametrize("case", ["random", "two outputs", "duplicate", "degenerate", "vertices"])
def test_kept_facets_equal_those_of_the_cut(case):
    """The unit facets a part keeps with its last unit counted, not cut (the halves of the cells it
    splits read from the unit's signs: ``neighbours.facet_columns``) are those the tight ids give
    once the unit is cut, cell by cell (matched by pattern), and so is which cells are simple: on
    random networks, a duplicated unit read with opposite weights, and networks with coincident
    hyperplanes and units through box corners (non-simple vertices, ties)."""
    from tropnet.kernels.merge import row_keys
    from tropnet.regions.codes import id_columns
    from tropnet.regions.neighbours import facet_columns
    from tropnet.regions.program import stages_from_network
    from tropnet.regions.refine import refine_start
    from tropnet.regions.resume import refine_advance, refine_cut_last
    from tropnet.regions.stream import KeptParts, count_parts

    net, d = {"random": (tropnet.random_mlp([3, 8, 8, 1], seed=1), 3),
              "two outputs": (tropnet.random_mlp([4, 6, 5, 2], seed=4), 4),
              "duplicate": (merging_net(3, 8, scale=2), 3),
              "degenerate": (degenerate_net(5, 3, 6, 1), 3),
              "vertices": (degenerate_vertices_net(2), 3)}[case]
    st = stages_from_network(net)
    col_of = id_columns(st, d)

    class Cut:  # the same parts, their last unit cut
        keeps_states, thin, ambiguous = False, 0, 0

        def __init__(self):
            self.parts = []

        def add(self, X, off, ids, pat, *T):
            self.parts.append((off.copy(), ids.copy(), pat.copy()))

    seen = simple_seen = 0
    for budget in (40, 10**6):
        problem, state = refine_start(st, d, -3 * np.ones(d), 3 * np.ones(d))
        kept = KeptParts(problem, rerun=lambda join: None, id_cols=col_of)
        kept.lists = True  # (every part keeps its state, to compare with)
        count_parts(problem, [state], budget=budget, join=kept)
        for part, (words, simple) in zip(kept.parts, kept.facets):
            pat, counted = part[3], part[4]
            if counted is None:
                continue
            stt = counted[0]
            refine_cut_last(problem, stt)
            pool = stt.pool
            ref_simple, ref_met = _reference_facets(pool.T, pool.off, pool.ids, col_of, d)
            keys, rkeys = row_keys(pat), row_keys(np.asarray(pool.pat, dtype=np.int32))
            assert len(keys) == len(rkeys) and set(keys.tolist()) == set(rkeys.tolist())
            at = {k: i for i, k in enumerate(rkeys.tolist())}
            for i, k in enumerate(keys.tolist()):
                r = at[k]
                seen += 1
                assert bool(simple[i]) == ref_simple[r]
                bits = {c for c in range(64 * words.shape[1]) if int(words[i, c >> 6]) >> (c & 63) & 1}
                assert bits == ref_met[r] or not ref_simple[r]  # (the facets of simple cells)
                simple_seen += ref_simple[r]
    assert seen > 20 and (simple_seen > 10 or case == "vertices")  # (its 25 cells: none simple)
    # and the cells made by a cut pool, whose facets are read without a last unit
    problem, state = refine_start(st, d, -3 * np.ones(d), 3 * np.ones(d))
    assert refine_advance(problem, state)
    pool = state.pool
    words, simple = facet_columns(pool.T, pool.ids, pool.off, col_of, d)
    ref_simple, ref_met = _reference_facets(pool.T, pool.off, pool.ids, col_of, d)
    assert simple.tolist() == ref_simple
    assert all({c for c in range(64 * words.shape[1]) if int(words[i, c >> 6]) >> (c & 63) & 1} == m
               for i, m in enumerate(ref_met) if ref_simple[i])


def test_thin_cells_keep_the_vertex_facets():
    """A plane through a degenerate network whose polygon run is handed to the vertex engine and
    cuts cells below float64 resolution (``found.thin``): the ids would join a pair whose facet
    the coordinates cannot see (23 regions instead of 24), so the facets from the coordinates
    decide, as before.  (The plane's float64 rounding, given as floats: the plane through the
    three points itself has non-dyadic directions, which a float run takes as lossy, with no
    certificate to cut thin cells.)"""
    from testnets import degenerate_net

    from tropnet import AffineSlice, Plane

    rng = np.random.default_rng(7963)
    through = Plane.through(*rng.normal(size=(3, 3)), margin=2.0)
    plane = AffineSlice(*through.embedding(exact=False), through.domain)
    plan = make_plan(degenerate_net(7963, 3, 5, 2), plane)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = plan.find()
        assert found.thin and "tight" in found.cache
        a, b = _both(found)
    assert np.array_equal(a, b) and a.max() + 1 == 24


@pytest.mark.parametrize("ncol, top", [(20, 1), (64, 1), (65, 1), (20, 2)])
def test_flip_neighbours_equal_a_dictionary_of_patterns(ncol, top):
    # 0/1 patterns in at most 64 columns are their own keys (no entry verified); wider ones and
    # other values take the random hash, verified entry by entry: both against a dictionary
    rng = np.random.default_rng(ncol + top)
    P = np.unique(rng.integers(0, top + 1, size=(300, ncol)), axis=0).astype(np.int32)
    P = P[rng.permutation(len(P))]
    near = P[rng.integers(0, len(P), size=200)].copy()  # rows one flip away from a cell, or none
    near[:, 3] = 1 - np.minimum(near[:, 3], 1)
    P = np.concatenate([P, np.unique(near, axis=0)])
    P = np.unique(P, axis=0)
    at = {tuple(row): i for i, row in enumerate(P.tolist())}
    fc = rng.integers(0, len(P), size=2000)
    col = np.where(rng.random(2000) < 0.5, 3, rng.integers(0, ncol, size=2000))
    val = rng.integers(0, top + 1, size=2000)
    code = np.where(rng.random(2000) < 0.05, -1, (col << 20) | val)
    want = []
    for c, k, v, cd in zip(fc.tolist(), col.tolist(), val.tolist(), code.tolist()):
        row = P[c].copy()
        row[k] = v
        want.append(at.get(tuple(row.tolist()), -1) if cd >= 0 else -1)
    got = flip_neighbours(P, fc, code)
    assert got.tolist() == want
    assert (got >= 0).sum() > 100 and (got < 0).sum() > 100
