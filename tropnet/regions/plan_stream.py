"""The streamed serial runs of a plan (:class:`~tropnet.regions.plan.Plan`; issue 21): the
vertex engine run part by part (:mod:`tropnet.regions.stream`), so that memory does not grow
with the cells.

* :func:`count_streamed`: an activation count, its parts counted and released (on all of R^n
  the cube facets' cells joined by pattern as they stream, :class:`~tropnet.regions.stream.PatternJoin`);
* :func:`find_streamed`: the float cells of one bounded piece, their parts kept as patterns and
  unit facets (:class:`~tropnet.regions.stream.KeptParts`), for a linear count;
* :func:`count_linear_joined`: a float linear count of all of R^n (or an unbounded polyhedron):
  the facets' cells joined by pattern with their unit facets (``PatternJoin(facets=True)``),
  from which the merge reads its neighbours; no vertex list is kept (where the facets cannot
  serve, a second run picks the lists of the cells the merge asks for).

Each takes the plan it serves and reads its domain, limits and options.
"""

from __future__ import annotations

import numpy as np

from .._limits import Limits
from .cells import RegionLimitError
from .domains import Piece, _shared_sides
from .exactness import warn_ambiguous
from .found import FoundCells, _embed, _from_piece
from .geometry import linear_labels
from .neighbours import facet_table
from .refine import refine_start
from .stream import KeptParts, PatternJoin, _count_bar, _in_order, _Pick, count_parts, refine_count

__all__ = ["count_streamed", "find_streamed", "count_linear_joined"]


def _piece_limits(plan, problem) -> None:
    """The plan's limits on one piece's run (``max_regions`` per piece, as in the unstreamed run)."""
    base = plan.limits or Limits()
    problem.limits = Limits(plan.max_regions, base.max_seconds, base.max_memory)
    problem.limits.start = base.start


def count_streamed(plan) -> int:
    """The vertex engine's count part by part (:func:`~tropnet.regions.stream.refine_count`);
    exact counts run the certified float pass, whose tasks hand uncertain cells to the
    rational pass themselves.  On all of R^n (the facets of the homogenised cube) the
    pieces' cells are joined by pattern as they stream (:class:`~tropnet.regions.stream.PatternJoin`,
    each run's last unit counted, not cut); ``max_regions`` applies to each piece and to the
    joined count, as in the unstreamed run.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> plan = make_plan(tropnet.random_mlp([2, 8, 8, 1], seed=0), None, want="count", kind="activation")
    >>> count_streamed(plan)
    113
    """
    dp = plan.domain
    join = PatternJoin() if dp.join else None
    bar = _count_bar(plan.progress)
    total = ambiguous = 0
    try:
        for piece in dp.pieces:
            problem, state = refine_start(piece.stages, dp.n, piece.lo, piece.hi,
                                          halfspaces=piece.halfspaces, exact=plan.exact,
                                          certify=plan.exactness.certify)
            _piece_limits(plan, problem)
            if join is not None:
                X0 = state.pool.X  # the box's corners: all lows first, all highs last
                join.piece(X0[0].copy(), X0[-1].copy(), *_shared_sides(piece, dp.n), problem=problem)
            total += refine_count(problem, state, join=join, bar=bar)
            ambiguous += problem.ambiguous
    finally:
        if bar is not None:
            bar.close()
    if join is not None:
        total = join.count
        if total == 0:
            raise ValueError("the domain has no interior")
        _check_joined(plan, total)
    if total == 0 and dp.kind == "bounded polyhedron":
        raise ValueError("the domain polyhedron has no interior")
    warn_ambiguous(ambiguous, stacklevel=4)
    return total


def _check_joined(plan, total: int) -> None:
    if plan.max_regions is not None and total > plan.max_regions:
        raise RegionLimitError(f"more than max_regions={plan.max_regions} cells ({total})",
                               "max_regions", {"cells": total})


def find_streamed(plan) -> FoundCells:
    """Float cells of one bounded piece on the vertex engine, run part by part as a streamed
    count runs them (:func:`~tropnet.regions.stream.count_parts`), the parts kept and put
    together (:class:`~tropnet.regions.stream.KeptParts`) with their cells' unit facets,
    from which the linear merge reads the neighbours of the few cells whose map another
    cell shares (their vertex lists only where the facets cannot serve): parts of a few
    thousand cells stay in cache ([6, 12, 12, 1] on [-5, 5]^6: 1.5 s against 2.6 s for one
    run); a run of fewer than four parts' worth of cells is one part, the unsplit run.  The
    last unit is counted, not cut, except in the parts where the merge asks for the vertex
    list of a half of a cell it splits.  For counts only: the cells have no vertex lists.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> plan = make_plan(tropnet.random_mlp([3, 8, 8, 1], seed=1), tropnet.Box(-5, 5), want="count")
    >>> len(find_streamed(plan))
    580
    """
    dp, n = plan.domain, plan.domain.n
    piece = dp.pieces[0]
    problem, state = refine_start(piece.stages, n, piece.lo, piece.hi, halfspaces=piece.halfspaces)
    _piece_limits(plan, problem)

    def rerun(join):  # the same run again, for KeptParts past its memory budget
        again, first = refine_start(piece.stages, n, piece.lo, piece.hi, halfspaces=piece.halfspaces)
        again.limits = problem.limits
        count_parts(again, [first], grow=True, join=join)

    # the parts keep their cells' unit facets, from which the merge reads neighbours, and
    # vertex lists only where those cannot serve it
    kept = KeptParts(problem, rerun, id_cols=plan._id_columns(piece))
    try:  # (the call's own bar shows the phases; the parts add none)
        _, ambiguous, _ = count_parts(problem, [state], grow=True, join=kept)
    except RegionLimitError as err:
        if err.limit != "max_regions":
            raise
        raise RegionLimitError(f"more than max_regions={plan.max_regions} regions ({err})", err.limit,
                               err.reached) from None
    cells = kept.cells(ambiguous, n)
    if dp.kind == "bounded polyhedron" and len(cells) == 0:
        raise ValueError("the domain polyhedron has no interior")
    if piece.stages is not dp.stages and plan.stable is not None:  # stable units' columns put back
        from dataclasses import replace

        cells = replace(cells, patterns=_expand(plan, piece, cells.patterns))
    found = _from_piece(cells, piece, dp.stages, n, False, dp.A, dp.b)
    found.cache["vertices_of"] = kept.fill  # geometry.linear_labels: the few cells it needs
    found.cache["tight_of"] = kept.fill_tight  # (their facets first: often all it needs)
    warn_ambiguous(found.ambiguous, stacklevel=5)
    return found


def _expand(plan, piece: Piece, P: np.ndarray) -> np.ndarray:
    """Patterns of a run without the plan's stable units, with their columns put back."""
    from .stable import expand_patterns

    return expand_patterns(P, plan.domain.stages, piece.stages, plan.stable.on)


def count_linear_joined(plan) -> int | None:
    """The float linear count of all of R^n (or an unbounded polyhedron) on the vertex engine,
    streamed: every facet of the homogenised cube runs part by part (its last unit counted, not
    cut) and its cells are joined by pattern with their unit facets
    (``PatternJoin(facets=True)``), so memory holds a few bytes per cell, no vertex list; the
    merge (:func:`~tropnet.regions.geometry.linear_labels`) reads the neighbours of the cells
    whose map another cell shares from those facets (:func:`~tropnet.regions.neighbours.tight_edges`).
    Where they cannot serve (such a cell not simple -- a unit and its scaled copy, hyperplanes
    through one point --, a cell thinner than float64 resolves, an ambiguous decision) the
    facets run again and keep the vertex lists of only those cells (:func:`_fill_joined`), from
    which the merge decides as in the unstreamed run.  ``None`` for a program with group
    stages (the caller runs the unstreamed enumeration).

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> count_linear_joined(make_plan(tropnet.random_mlp([3, 8, 8, 1], seed=1), None, want="count"))
    779
    """
    dp, n = plan.domain, plan.domain.n
    join = PatternJoin(facets=True)
    top = 0.0  # the largest |x| of the cube (the facets' tolerance scale, as in the unstreamed run)
    for piece in dp.pieces:
        id_cols = plan._id_columns(piece)
        if id_cols is None:
            return None
        problem, state = refine_start(piece.stages, n, piece.lo, piece.hi, halfspaces=piece.halfspaces)
        _piece_limits(plan, problem)
        X0 = state.pool.X  # the box's corners: all lows first, all highs last
        join.piece(X0[0].copy(), X0[-1].copy(), *_shared_sides(piece, n), problem=problem, id_cols=id_cols)
        top = max(top, float(np.abs(_embed(np.stack([X0[0], X0[-1]]), piece.M, piece.m0)[:, :n]).max()))
        count_parts(problem, [state], grow=True, join=join)
    run_P, words, simple = join.joined()
    if len(run_P) == 0:
        raise ValueError("the domain has no interior")
    _check_joined(plan, len(run_P))
    P = run_P
    if dp.pieces[0].stages is not dp.stages and plan.stable is not None:
        P = _expand(plan, dp.pieces[0], P)
    C, ncol = P.shape
    found = FoundCells(dp.stages, n, False, P, np.full((C, n), np.nan), np.ones(C, dtype=bool),
                       np.zeros(C + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, n)),
                       np.zeros(0), dp.A, dp.b, ambiguous=join.ambiguous, thin=join.thin)

    def tight_of(f, cells):  # the facets of simple cells (else the vertex lists decide)
        if simple[cells].all():
            f.cache["tight"] = facet_table(words[cells], ncol)

    found.cache["tight_of"] = tight_of
    found.cache["vertices_of"] = lambda f, cells: _fill_joined(plan, f, run_P, cells, top)
    warn_ambiguous(found.ambiguous, stacklevel=5)
    return int(linear_labels(found).max()) + 1


def _fill_joined(plan, found: FoundCells, run_P: np.ndarray, cells: np.ndarray, top: float) -> None:
    """Give ``found`` the homogeneous vertex lists of ``cells`` (sorted indices; their patterns
    ``run_P[cells]`` in the runs' columns) from a second run of every facet of the homogenised
    cube (:class:`~tropnet.regions.stream._Pick`: a cell's lists from every facet it is met on,
    as :func:`~tropnet.regions.found.join_pieces` joins them), their interior points (the
    average of those vertices, an interior point of the cell's cone), and one unused vertex of
    ``|x| = top``, so the pool's scale is that of the whole run."""
    dp, n = plan.domain, plan.domain.n
    cells = np.asarray(cells, dtype=np.int64)
    pick = _Pick(run_P[cells], cells, embed=True)
    for piece in dp.pieces:
        problem, state = refine_start(piece.stages, n, piece.lo, piece.hi, halfspaces=piece.halfspaces)
        _piece_limits(plan, problem)
        pick.embed = lambda Y, M=piece.M, m0=piece.m0: _embed(Y, M, m0)
        count_parts(problem, [state], grow=True, join=pick)
    if not pick.blocks:  # pragma: no cover - the second run repeats the first
        raise RuntimeError("the repeated run met none of the cells it was to pick")
    mine, cnt, XH = _in_order(pick.blocks)[0]
    counts = np.zeros(len(found), dtype=np.int64)
    np.add.at(counts, mine, cnt)
    if (counts[cells] == 0).any():  # pragma: no cover - the second run repeats the first
        raise RuntimeError("the repeated run did not meet every cell it was to pick")
    sums = np.add.reduceat(XH, np.cumsum(counts[cells]) - counts[cells], axis=0)
    found.points[cells] = sums[:, :n] / sums[:, n:]
    found.vert_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    found.vert_ids = np.arange(len(XH), dtype=np.int64)
    far = np.zeros((1, n))
    far[0, 0] = top
    found.vert_X = np.concatenate([XH[:, :n], far])
    found.vert_t = np.concatenate([XH[:, n], [1.0]])
