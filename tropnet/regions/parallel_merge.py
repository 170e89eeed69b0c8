"""The linear merge of a Dask linear count (:mod:`tropnet.regions.parallel`, issue 21): what a
task keeps on its worker and sends back, and the driver's merge over all tasks' cells.

A linear-count task keeps its cells on its worker (:class:`KeptCells`) and sends back only
their float maps and patterns (as bits, :class:`TaskMaps`).  The driver groups all maps
(:func:`~tropnet.regions.map_groups.map_groups`); when no map comes near another the count is
the number of cells.  Otherwise :func:`~tropnet.regions.geometry.linear_labels` (the one merge,
as serially) asks the tasks for what it needs of the cells of near groups only: a float task on
a bounded domain streams and keeps its cells' unit facets as bits
(:class:`~tropnet.regions.stream.KeptParts` with ``id_cols``, as the serial streamed linear
count keeps them), so the merge first asks for those bits (:func:`_fetch_facets`, a few bytes a
cell) and reads the neighbours from them (:func:`~tropnet.regions.neighbours.tight_edges`);
only where they cannot serve (a cell that is not simple, thin cells, decisions left ambiguous,
exact tasks, pieces of R^n) does it ask for vertex lists (:func:`_fetch_cells`).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from ..tasks import ask_kept
from .affine import float_map_error
from .cells import RegionLimitError
from .exactness import warn_ambiguous
from .found import FoundCells, join_pieces, pattern_cells, take_cells
from .geometry import linear_labels
from .map_groups import float_maps, map_groups
from .neighbours import facet_table
from .stream import KeptParts, pack_patterns, unpack_patterns

__all__ = ["TaskMaps", "KeptCells", "merge_kept"]


class TaskMaps:
    """What a linear-count task sends back at once: its number of cells, their float maps
    (``None`` beyond the float range: the driver's merge computes them), their patterns
    (:func:`~tropnet.regions.stream.pack_patterns`), its cells cut below float64 resolution,
    the largest coordinate of its cells' vertices (the scale of the facets' tolerance, as over
    one run) and whether it kept its cells' unit facets (``facets``: the merge asks for those
    before any vertex list).

    >>> back = TaskMaps(2, None, pack_patterns(np.array([[0, 1], [1, 1]])), 0, 1.5)
    >>> back.ncells, back.facets, unpack_patterns(back.patterns).tolist()
    (2, False, [[0, 1], [1, 1]])
    """

    def __init__(self, ncells, maps, patterns, thin, top, facets: bool = False):
        self.ncells, self.maps, self.patterns, self.thin, self.top = ncells, maps, patterns, thin, top
        self.facets = facets


class KeptCells:
    """The cells of a linear-count task, kept on its worker: the driver reads :attr:`back` (a
    :class:`TaskMaps`) and asks for the unit facets (:func:`facets_of`) or whole cells
    (:func:`cells_of`) of some of them only where maps come near each other.  ``found``: the
    task's cells (the plan's whole program ``stages`` on ``d`` inputs gives their maps);
    ``parts``: a streamed task keeps its finished parts
    (:class:`~tropnet.regions.stream.KeptParts`), and ``found`` then has no vertex lists.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> plan = make_plan(tropnet.random_mlp([2, 4, 1], seed=0), tropnet.Box(-1, 1))
    >>> kept = KeptCells(plan.find(), plan.domain.stages, 2)
    >>> kept.back.ncells == len(kept.found) and kept.back.maps.shape[0] == kept.back.ncells
    True
    """

    def __init__(self, found, stages: list, d: int, parts: KeptParts | None = None):
        self.found, self.parts = found, parts
        pats = found.patterns
        maps = None
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                maps = float_maps(stages, pats, d)
        except OverflowError:
            pass
        if maps is not None and not np.isfinite(maps).all():
            maps = None
        if parts is not None:  # (parts kept without vertex lists hold their largest coordinate)
            top = max(parts.top, parts._top())
        elif found.vert_X.dtype != object and len(found.vert_ids):
            top = float(np.abs(found.vert_X[found.vert_ids]).max())
        else:
            top = 0.0
        facets = parts is not None and parts.id_cols is not None
        self.back = TaskMaps(len(found), maps, pack_patterns(pats), found.thin, top, facets)


def cells_of(leaf, cells: np.ndarray):
    """The cells ``cells`` (sorted indices into the task's own) of a finished task (``leaf``,
    whose ``value`` is its :class:`KeptCells`), with vertex lists."""
    kept = leaf.value
    found = kept.found
    if kept.parts is not None:  # a streamed task: the vertex lists of these cells, from its parts
        found = dataclasses.replace(found, cache={})
        kept.parts.fill(found, cells)
    return take_cells(found, cells)


def facets_of(leaf, cells: np.ndarray):
    """The unit facets of ``cells`` (sorted indices into the task's own cells; ``leaf`` as for
    :func:`cells_of`) as the bits of
    :func:`~tropnet.regions.neighbours.facet_columns` and whether each cell is simple
    (:meth:`~tropnet.regions.stream.KeptParts.facet_words`); ``None`` without kept facets."""
    parts = leaf.value.parts
    return None if parts is None else parts.facet_words(cells)


def merge_kept(plan, client, kept: list, cells: int, ambiguous: int) -> int:
    """The linear count from the kept cells of the tasks of a Dask linear count (``kept``: their
    :class:`~tropnet.tasks.Kept` leaves, whose summaries carry a :class:`TaskMaps`): the merge
    itself is :func:`~tropnet.regions.geometry.linear_labels`, run on the driver over every
    cell's pattern and map, with the unit facets (then, where those cannot serve, the vertex
    lists) of only the cells it names fetched from the tasks (``cache["tight_of"]`` and
    ``cache["vertices_of"]``, as a streamed serial count reads them from its kept parts)."""
    dp, n = plan.domain, plan.domain.n
    backs = [k.value.value for k in kept]
    sizes = np.array([b.ncells for b in backs], dtype=np.int64)
    if not sizes.sum():
        raise ValueError("the domain has no interior")
    live = [b for b in backs if b.ncells]  # (a task without cells has maps and patterns of no width)
    owner = P = None  # per kept part, the global index of each of its cells (pieces of R^n: by pattern)
    if dp.join:  # a cell met by several facets of R^n is one pattern, with one map
        P = np.vstack([unpack_patterns(b.patterns) for b in live])
        glob, first = pattern_cells(P)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        owner = [glob[starts[i] : starts[i + 1]] for i in range(len(backs))]
        C = len(first)
        P = P[first]
    else:
        C = int(sizes.sum())
    if plan.max_regions is not None and C > plan.max_regions:
        raise RegionLimitError(f"more than max_regions={plan.max_regions} regions ({C} cells)", "max_regions",
                               {"cells": C})
    warn_ambiguous(ambiguous)
    F = groups = None
    if all(b.maps is not None for b in live):
        F = np.vstack([b.maps for b in live])
        if dp.join:
            F = F[first]
        with np.errstate(over="ignore", invalid="ignore"):
            err = float_map_error(dp.stages, n)
        if np.isfinite(err):
            groups = map_groups(F, err, plan.exact)
            if np.bincount(groups[0]).max() < 2:
                return C  # no map comes near another: every cell is a linear region
    # near maps: the merge, over every cell's pattern
    if P is None:
        P = np.vstack([unpack_patterns(b.patterns) for b in live])
    top = max(b.top for b in backs)
    found = FoundCells(dp.stages, n, plan.exact, P, np.zeros((C, n)), np.ones(C, dtype=bool),
                       np.zeros(C + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, n)),
                       np.zeros(0), dp.A, dp.b, None, ambiguous=ambiguous, thin=sum(b.thin for b in backs))
    if groups is not None:
        found.cache.update(maps=F, groups=groups)
    if owner is None and all(b.facets for b in live):  # the kept facets first: often all the merge needs
        found.cache["tight_of"] = functools.partial(_fetch_facets, kept, sizes, client)
    found.cache["vertices_of"] = functools.partial(_fetch_cells, kept, sizes, owner, top, client)
    return int(linear_labels(found).max()) + 1


def _asks(kept: list, sizes, owner, want: np.ndarray) -> list:
    """``(task, its cells among want)`` for each task that holds some of the cells ``want``
    (a mask over the driver's cells)."""
    starts = np.concatenate([[0], np.cumsum(sizes)])
    asks = []
    for i, k in enumerate(kept):
        glob = np.arange(starts[i], starts[i + 1]) if owner is None else owner[i]
        loc = np.flatnonzero(want[glob])
        if len(loc):
            asks.append((k, loc))
    return asks


def _fetch_facets(kept: list, sizes, client, found, cells: np.ndarray) -> None:
    """Give ``found`` the unit facets of ``cells`` (sorted global indices; tasks hold
    consecutive ranges of them) as ``found.cache["tight"]``, fetched from the tasks' kept parts
    as bits (:func:`~tropnet.regions.neighbours.facet_table`); nothing where a cell is not
    simple (its vertex lists decide, :func:`_fetch_cells`)."""
    want = np.zeros(len(found), dtype=bool)
    want[cells] = True
    got = ask_kept(facets_of, _asks(kept, sizes, None, want), client)
    if not got or any(g is None for g in got) or not all(g[1].all() for g in got):
        return
    found.cache["tight"] = facet_table(np.concatenate([g[0] for g in got]), found.patterns.shape[1])


def _fetch_cells(kept: list, sizes, owner, top: float, client, found, cells: np.ndarray) -> None:
    """Give ``found`` (the driver's cells, without vertex lists) those of ``cells`` (sorted
    global indices), fetched from the tasks that keep them (on R^n every piece of a cell, joined
    by pattern as :func:`~tropnet.regions.found.join_pieces` does); float runs get one unused
    vertex holding the largest coordinate of all cells' vertices, so the facets' tolerance has
    the scale of the whole run."""
    want = np.zeros(len(found), dtype=bool)
    want[cells] = True
    parts = ask_kept(cells_of, _asks(kept, sizes, owner, want), client)
    sub = join_pieces(parts, found.stages, found.d, found.exact, found.dom_A, found.dom_b)
    if len(sub) != len(cells) or not np.array_equal(sub.patterns, found.patterns[cells]):
        raise RuntimeError("the cells fetched from the Dask tasks do not match the driver's "
                           "(please report this bug)")
    counts = np.zeros(len(found), dtype=np.int64)
    counts[cells] = np.diff(sub.vert_off)
    found.vert_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    found.vert_ids = sub.vert_ids
    found.vert_X, found.vert_t = sub.vert_X, sub.vert_t
    if not found.exact:
        extra = np.zeros((1, found.d))
        extra[0, 0] = top
        found.vert_X = np.concatenate([sub.vert_X, extra])
        found.vert_t = np.concatenate([sub.vert_t, [1.0]])
    found.vert_codes = sub.vert_codes
    points = np.zeros((len(found), found.d), dtype=sub.points.dtype)
    points[cells] = sub.points
    found.points = points
    found.bounded[cells] = sub.bounded
