"""A float linear count of all of R^n streams (:func:`tropnet.regions.plan_stream.count_linear_joined`):
every facet of the homogenised cube runs part by part, and its cells are joined by pattern with
their unit facets (``PatternJoin(facets=True)``), from which the merge reads its neighbours; no
vertex list is kept (where a cell the merge asks for is not simple, a second run picks the
vertex lists of those cells).  The count must equal the merge over the unstreamed run (every
vertex list kept), ``len(linear_regions)``, the exact count, and known answers."""

import warnings
from math import comb

import numpy as np
import pytest
from testnets import degenerate_net, degenerate_vertices_net, merging_net, scaled_copies_net, sparse_net

import tropnet
from tropnet import Network, Polyhedron
from tropnet.regions import plan as plan_module
from tropnet.regions import plan_stream, stream
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.domains import _shared_sides
from tropnet.regions.geometry import _facets_of, linear_labels
from tropnet.regions.neighbours import facet_table, tight_edges
from tropnet.regions.plan import make_plan
from tropnet.regions.refine import refine_start

NETS = {
    "R^2 [2,8,8,1]": lambda: tropnet.random_mlp([2, 8, 8, 1], seed=0),
    "R^3 [3,8,8,1]": lambda: tropnet.random_mlp([3, 8, 8, 1], seed=1),
    "R^4 [4,6,6,1]": lambda: tropnet.random_mlp([4, 6, 6, 1], seed=2),
    "R^5 [5,6,6,1]": lambda: tropnet.random_mlp([5, 6, 6, 1], seed=3),
    "R^6 [6,5,5,1]": lambda: tropnet.random_mlp([6, 5, 5, 1], seed=4),
    "R^3 three layers": lambda: tropnet.random_mlp([3, 5, 5, 5, 1], seed=3),
    "sparse": lambda: sparse_net([3, 8, 8, 1], 0),
    "sparse R^4": lambda: sparse_net([4, 6, 6, 1], 1, keep=0.3),
    "duplicate": lambda: merging_net(3, 8, scale=2),
    "zeroed units": lambda: merging_net(1, 8),
    "degenerate": lambda: degenerate_net(5, 3, 6, 1),
    "ties": lambda: degenerate_vertices_net(2),
    "scaled copies": lambda: scaled_copies_net(3, 3, 6, [2, -1], True),
    "scaled copies, zero bias": lambda: scaled_copies_net(1, 3, 5, [-2], False, zero_bias=True),
}
#: networks whose cells are all simple: their facets serve the merge (no second run)
GENERIC = {"R^2 [2,8,8,1]", "R^3 [3,8,8,1]", "R^4 [4,6,6,1]", "R^5 [5,6,6,1]", "R^6 [6,5,5,1]",
           "R^3 three layers", "sparse", "sparse R^4"}


def _unstreamed(net, dom=None, **kw) -> int:
    """The count of the unstreamed route (every facet's vertex lists kept, the merge reads the
    facets from the coordinates)."""
    plan = make_plan(net, dom, want="count", **kw)
    plan._prune_stable()
    return int(linear_labels(plan.find()).max()) + 1


def _streamed(monkeypatch, net, dom=None) -> tuple[int, bool, bool]:
    """The count, whether the streamed route served it, and whether it ran the facets again for
    vertex lists."""
    served, again = [], []
    real, fill = plan_stream.count_linear_joined, plan_stream._fill_joined
    monkeypatch.setattr(plan_module, "count_linear_joined", lambda p: served.append(real(p)) or served[-1])
    monkeypatch.setattr(plan_stream, "_fill_joined", lambda *a: again.append(len(a[3])) or fill(*a))
    n = tropnet.count_linear_regions(net, dom)
    monkeypatch.setattr(plan_module, "count_linear_joined", real)
    monkeypatch.setattr(plan_stream, "_fill_joined", fill)
    return n, bool(served) and served[0] is not None, bool(again)


@pytest.mark.parametrize("name", sorted(NETS))
def test_streamed_Rn_linear_count_equals_unstreamed_and_regions(monkeypatch, name):
    """Float and exact, whole and in parts of about 25 cells with the memory guard forced to 0
    bytes: one count, that of the unstreamed run and the number of linear regions listed."""
    net = NETS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n, served, again = _streamed(monkeypatch, net)
        assert served and (not again or name not in GENERIC)
        assert n == _unstreamed(net) == len(tropnet.linear_regions(net, None))
        exact = tropnet.count_linear_regions(net, None, exact=True)
        assert exact == len(tropnet.linear_regions(net, None, exact=True)) == n
        monkeypatch.setattr(stream, "KEPT_VERTEX_BYTES", 0)
        monkeypatch.setitem(stream.count_parts.__kwdefaults__, "budget", 25)
        small, served, again_small = _streamed(monkeypatch, net)
        assert served and again_small == again and small == n
        assert tropnet.count_linear_regions(net, None, exact=True) == exact


def test_streamed_Rn_linear_count_reads_vertex_lists_only_where_cells_are_not_simple(monkeypatch):
    """Generic networks: the facets serve, no second run; a unit's scaled copy read with the
    opposite weights (one function, cells of one map on both sides of their common hyperplane,
    whose vertices are not simple): the merge asks for vertex lists."""
    for name in sorted(NETS):
        _, served, again = _streamed(monkeypatch, NETS[name]())
        assert served and (not again or name not in GENERIC), name
        if name in ("duplicate", "scaled copies"):
            assert again, name


def _generic_layer(n: int, k: int, seed: int, central: bool) -> Network:
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(k, n)), (np.zeros(k) if central else rng.normal(size=k))
    return Network.from_arrays([W, rng.uniform(0.5, 2.0, size=(1, k)) * rng.choice([-1, 1], k)],
                               [b, np.zeros(1)])


@pytest.mark.parametrize("n, k", [(2, 5), (3, 6), (4, 7), (5, 7), (6, 8)])
def test_streamed_Rn_linear_count_known_answers(monkeypatch, n, k):
    """One hidden layer ``sum_i a_i relu(w_i . x + b_i)`` with every ``a_i != 0``: two cells
    across hyperplane ``i`` differ by ``a_i (w_i . x + b_i)``, so no two neighbours merge and the
    linear regions are the cells of the arrangement: ``sum_{i <= n} C(k, i)`` for ``k`` generic
    affine hyperplanes, ``2 sum_{i < n} C(k - 1, i)`` for ``k`` generic ones through the origin
    (shifted a little, ``k`` generic affine ones again: streamed)."""
    affine, served, again = _streamed(monkeypatch, _generic_layer(n, k, n + k, central=False))
    assert served and not again and affine == sum(comb(k, i) for i in range(n + 1))
    # (all k hyperplanes meet at the origin, a vertex that is not simple: no two cells share a
    # map, so the merge asks for no vertex list)
    central, served, again = _streamed(monkeypatch, _generic_layer(n, k, n + k, central=True))
    assert served and not again and central == 2 * sum(comb(k - 1, i) for i in range(n))


def test_streamed_unbounded_polyhedron_linear_count(monkeypatch):
    """An unbounded polyhedron (the cube facets clipped by its rows) streams the same way."""
    for net in (tropnet.random_mlp([3, 8, 8, 1], seed=1), sparse_net([3, 8, 8, 1], 0)):
        dom = Polyhedron([[1, -1, -1]], [1])
        n, served, _ = _streamed(monkeypatch, net, dom)
        assert served and n == _unstreamed(net, dom) == len(tropnet.linear_regions(net, dom))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joined_facets_are_the_cells_unit_facets(seed):
    """The unit facets the joined parts keep give the neighbouring pairs the vertex coordinates of
    the unstreamed run give (every cell, in parts of about 25 cells)."""
    net = tropnet.random_mlp([3, 6, 6, 1], seed=seed)
    plan = make_plan(net, None, want="count")
    dp = plan.domain
    join = stream.PatternJoin(facets=True)
    for piece in dp.pieces:
        problem, state = refine_start(piece.stages, 3, piece.lo, piece.hi)
        join.piece(state.pool.X[0].copy(), state.pool.X[-1].copy(), *_shared_sides(piece, 3), problem=problem,
                   id_cols=plan._id_columns(piece))
        stream.count_parts(problem, [state], budget=25, join=join)
    P, words, simple = join.joined()
    assert simple.all()
    found = plan.find()
    assert len(P) == len(found) == join.count
    at = {tuple(p): i for i, p in enumerate(found.patterns.tolist())}
    order = np.array([at[tuple(p)] for p in P.tolist()])
    everything = np.arange(len(found))
    out = _facets_of(found, everything)
    fc, nbr = out[6], out[3]
    has = nbr >= 0
    want = {frozenset(e) for e in np.stack([fc[has], nbr[has]], axis=1).tolist()}
    found.cache["tight"] = facet_table(words[np.argsort(order)], found.patterns.shape[1])
    got = {frozenset(e) for e in tight_edges(found, everything).tolist()}
    assert got == want and len(got) > len(found)


def _error(fn) -> RegionLimitError:
    with pytest.raises(RegionLimitError) as err:
        fn()
    return err.value


@pytest.mark.parametrize("limit, value", [("max_regions", 300), ("max_memory", 20_000), ("max_seconds", 1e-6)])
def test_streamed_Rn_linear_count_limits(monkeypatch, limit, value):
    """A limit reached in the streamed run raises the RegionLimitError of the unstreamed run, with
    what was reached."""
    net = tropnet.random_mlp([3, 8, 8, 1], seed=1)  # 779 linear regions of 799 cells
    streamed = _error(lambda: tropnet.count_linear_regions(net, None, **{limit: value}))
    monkeypatch.setattr(plan_module, "count_linear_joined", lambda p: None)
    serial = _error(lambda: tropnet.count_linear_regions(net, None, **{limit: value}))
    assert streamed.limit == serial.limit == limit
    assert set(serial.reached) <= set(streamed.reached)
    key = {"max_regions": "cells", "max_memory": "bytes", "max_seconds": "seconds"}[limit]
    assert streamed.reached[key] > value
    if limit == "max_regions":  # the cells the engine held when it stopped, on the same facet
        assert streamed.reached["cells"] == serial.reached["cells"]
