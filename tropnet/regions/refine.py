"""Layer-wise refinement of a box into activation cells, in the vertex representation: whole
runs of the vertex engine (:func:`refine`, :func:`enumerate_cells`), their end
(:func:`refine_finish`, :func:`refine_task`) and the cells the certified pass sets aside.  The
resumable state and its steps (start / advance / split, the limits) are
:mod:`tropnet.regions.resume` (re-exported here), the cutting step is
:mod:`tropnet.regions.vertex`, the number types and fallback :mod:`tropnet.regions.exactness`.

Every cell is a convex polytope kept as a list of ids into one shared, append-only pool of
vertices.  Each vertex carries its coordinates, the ids of the constraints tight at it
(sorted, padded) and the current layer's pre-activations.  One unit splits *all* cells at
once: a cell splits iff its vertices lie strictly on both sides of the unit's hyperplane
(per-cell max/min with ``reduceat``); the crossing edges are the pairs of vertices on
opposite sides that share all but one tight constraint (found for all cells at once by
matching hashed keys in an open-addressing table, ``pool._hash_join``); each new vertex is
shared by both children.  No LP is solved.

*Degenerate input.*  The key test is exact for a *simple* vertex (exactly ``d`` tight
constraints).  A cell with a vertex on the cutting side that has more (several hyperplanes
through one point, duplicate or parallel rows, a unit identically zero on a face) is split
with the combinatorial adjacency test instead (Fukuda: ``u, v`` are adjacent iff no third
vertex is tight at every constraint tight at both), which needs no genericity at all.

*GroupMax.*  A group ``max(z_0, .., z_{k-1})`` replicates each cell once per distinct member
``w`` (the candidate winner) and clips copy ``w`` by ``z_i - z_w <= 0`` for every other
member ``i``; a copy that loses everywhere is dropped.  Ties on an open set go to the
earlier member.

*Tolerance (float mode).*  A vertex counts as on the hyperplane of a unit when
``|z(v)| <= rtol * max_v |z(v)|`` over the vertices of all current cells, ``rtol = 1e-9`` by
default.  Both sides scale alike when the weights or the domain are scaled, so the test is
scale-invariant.  It can merge a real cell thinner than about ``rtol`` times the range of a
unit into its neighbour (counts too low) or miss a sliver; ``exact=True`` runs the same
algorithm in rational arithmetic with exact zero tests, which decides every tie exactly.

*Certified float pass* (``certify=True``).  The float pass can also carry, per vertex, a
rigorous bound on the distance of its coordinates and pre-activations to the exact values
(standard ``gamma_n`` bounds for every affine map, Lipschitz propagation through the
activations, interval bounds for the interpolation parameter of every new vertex).  When
every sign it uses is farther from zero than its bound, it took the same branch as the
rational pass everywhere, so its cells and patterns are exact; otherwise the rational pass
runs.

*Resumable runs.*  :func:`refine` is :func:`refine_start`, :func:`refine_advance` to the end
and :func:`refine_finish`.  A run can stop at any unit boundary (after a number of cells or an
amount of work), and its :class:`RefineState` can be split (:func:`refine_split`) into states
holding disjoint sets of cells, each with only its own vertices; advancing every part to the end
gives together exactly the cells of the unsplit run, because every unit acts on each cell
separately.  Two things are global to a step and are then taken per part: the float tolerance's
scale (the largest value of the unit over the part's cells, floored by the magnitude of the
terms of the unit's value over the part's vertices, see :class:`RefineState`; it is not the
whole run's scale, so a part can decide a sliver thinner than ``rtol`` times the unit's range
differently; exact and certified runs decide every sign exactly and are unaffected), and the
rule that a unit identically zero on every cell marks no tight constraints (a bookkeeping
choice that changes which edge search runs, not the cells).  :mod:`tropnet.parallel` runs the
parts as Dask tasks.

>>> from tropnet import random_mlp
>>> import numpy as np
>>> len(enumerate_cells(random_mlp([2, 8, 8, 1], seed=0), -10 * np.ones(2), 10 * np.ones(2)))
105
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import numpy as np

from .._limits import Limits
from ..networks.network import Network
from . import hrep as _hrep
from .cells import Cells, stack_codes
from .codes import _codes
from .exactness import Exactness, _Uncertain, with_fallback
from .hrep import refine_hrep
from .program import Stage, stages_from_network
from .resume import (
    RefineProblem,
    RefineState,
    _decided_columns,
    _engine,
    _settle,
    check_limits,
    forecast,
    refine_advance,
    refine_split,
    refine_start,
)
from .vertex import _progress_bar

__all__ = [
    "enumerate_cells",
    "refine",
    "RefineProblem",
    "RefineState",
    "refine_start",
    "refine_advance",
    "refine_split",
    "refine_finish",
    "refine_task",
    "check_limits",
    "forecast",
]


# --------------------------------------------------------------------------- the engine


def enumerate_cells(
    net: Network,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    progress: bool | None = False,
    exact: bool = False,
    rtol: float = 1e-9,
) -> Cells:
    """All full-dimensional activation cells of ``net`` on the box ``[lo, hi]`` (intersected
    with ``{x : A x <= b}`` when ``halfspaces=(A, b)``), with their vertices.

    ``exact=True`` computes in rational arithmetic (exact zero tests, ``Fraction`` vertices).
    The pattern convention is that of :mod:`tropnet.regions.cells`.  Raises
    :class:`RegionLimitError` when more than ``max_cells`` cells appear.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0]]])
    >>> c = enumerate_cells(net, np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    >>> sorted(map(tuple, c.patterns.tolist()))
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    if not isinstance(net, Network):
        raise TypeError(f"enumerate_cells needs a Network, got {type(net).__name__}")
    stages = stages_from_network(net, exact=exact)
    d = net.input_dim
    return refine(
        stages,
        d,
        lo,
        hi,
        halfspaces=halfspaces,
        max_cells=max_cells,
        progress=progress,
        exact=exact,
        rtol=rtol,
    )


def refine(
    stages: list[Stage],
    d: int,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    progress: bool | None = False,
    exact: bool = False,
    rtol: float = 1e-9,
    certify: bool = False,
    tight_codes: bool = False,
    limits: Limits | None = None,
    keep_tight: bool = False,
    simple_codes: bool = True,
    count: bool = False,
    _preset: dict | None = None,
) -> Cells:
    """The engine behind :func:`enumerate_cells`, on an internal program (see
    :func:`stages_from_network`); the input is ``d``-dimensional.

    ``certify=True`` (with ``exact=True``) first runs the float pass with a rigorous bound
    on the rounding error of every vertex coordinate and pre-activation; when every sign
    decision clears its bound, the cells (patterns) are exactly those of the rational pass,
    and the float cells are returned.  Otherwise the rational pass runs.

    ``tight_codes=True`` (with ``exact=True``) also returns, for every (cell, vertex) entry,
    the ``d`` constraints tight there as ``Cells.vertex_codes`` (see :func:`_codes`) when every
    vertex is simple: always after the certified pass (the cells it sets aside are enumerated
    by the rational pass with their decided units fixed, so that every hyperplane stays one
    constraint), and after the rational pass when its vertices are.  With ``simple_codes=False``
    (a linear count: its merge reads facets by incidence) the codes are returned whatever the
    vertices (wider rows where some are not simple, see :func:`_codes`; programs without group
    stages), and a certified pass runs on through exact ties.  ``keep_tight=True`` (float
    runs) returns the pool's tight ids as ``Cells.vertex_tight`` (for a linear merge).

    ``limits`` (:class:`tropnet._limits.Limits`: seconds, bytes of the engine's arrays, cells)
    are checked before every unit; the first one passed raises :class:`RegionLimitError`.

    ``count=True``: the caller only counts the cells (their patterns and points), so the
    H-representation engine takes over where a count's plan takes it
    (:func:`~tropnet.regions.hrep.uses_hrep` with ``count``), not where region sets do.

    This is :func:`refine_start`, :func:`refine_advance` to the end and :func:`refine_finish`
    (the resumable form of the same loop, used by :mod:`tropnet.parallel`)."""
    if _hrep.uses_hrep(d, exact or certify, count):
        return refine_hrep(stages, d, lo, hi, halfspaces=halfspaces, max_cells=max_cells, rtol=rtol,
                           limits=limits, progress=progress, exact=bool(exact or certify))
    kw = dict(halfspaces=halfspaces, max_cells=max_cells, exact=exact, rtol=rtol, tight_codes=tight_codes,
              preset=_preset)

    def run(passes: Exactness) -> Cells:
        problem, state = refine_start(stages, d, lo, hi, certify=passes.certify, **kw)
        problem.limits = limits
        problem.keep_tight = keep_tight
        problem.simple_codes = simple_codes
        # (a serial run only: a split task would retry its cells in halves instead)
        problem.simple_only = passes.certify and tight_codes and (simple_codes or problem.prog.has_pairs)
        return _run_to_end(problem, state, progress)

    # a sign too close to call for the certified pass: the rational pass decides everything
    return with_fallback(run, Exactness(exact, certify and exact, tight_codes))


def _run_to_end(problem: RefineProblem, state: RefineState, progress: bool | None) -> Cells:
    bar = _progress_bar(problem.n_steps, progress)
    try:
        refine_advance(problem, state, bar=bar)
    finally:
        if bar is not None:
            bar.close()
    return refine_finish(problem, state)


def refine_finish(problem: RefineProblem, state: RefineState) -> Cells:
    """The cells of a finished state (see :func:`refine_advance`), as :func:`refine` returns
    them; the certified pass's deferred cells are enumerated by the rational pass.

    >>> from tropnet import random_mlp
    >>> st = stages_from_network(random_mlp([2, 8, 1], seed=2))
    >>> problem, state = refine_start(st, 2, -np.ones(2), np.ones(2))
    >>> _ = refine_advance(problem, state, max_cells=4)
    >>> parts = refine_split(state, 3)
    >>> [refine_advance(problem, p) for p in parts]
    [True, True, True]
    >>> sum(len(refine_finish(problem, p)) for p in parts) == len(refine(st, 2, -np.ones(2), np.ones(2)))
    True
    """
    eng = _engine(problem, state)
    out = eng.result()
    if state.counts["ambiguous"]:
        out = dataclasses.replace(out, ambiguous=state.counts["ambiguous"])
    if state.counts.get("thin"):
        out = dataclasses.replace(out, thin=state.counts["thin"])
    if problem.keep_tight and len(out) and not (problem.exact or problem.certify):
        out = dataclasses.replace(out, vertex_tight=eng.p.T)  # (compacted with the vertices)
    if problem.tight_codes:
        try:
            out = _codes(eng, out, simple=problem.simple_codes)
        except _Uncertain:  # a non-simple vertex
            if problem.certify:  # cannot happen after certified decisions: the rational pass decides
                raise
    if problem.certify and state.deferred:
        stages, lo, hi, halfspaces = problem.exact_input
        d, limit = problem.d, problem.max_cells
        out = _resolve_deferred(out, state.deferred, stages, d, lo, hi, halfspaces, limit, False,
                                codes=problem.tight_codes, simple=problem.simple_codes)
    return out


def refine_task(
    problem: RefineProblem,
    state: RefineState,
    *,
    max_cells: int | None = None,
    max_work: int | None = None,
    parts: int = 2,
    max_entries: int | None = None,
) -> list[RefineState] | Cells:
    """One task of a split run: advance ``state`` (see :func:`refine_advance`); when it stops
    early, return it split into ``parts`` states (:func:`refine_split`), else its cells
    (:func:`refine_finish`).

    A certified pass that meets a decision too close to call retries the task's cells in two
    halves (returned as states), and a single cell goes to the rational pass inside the
    exact polytope its decided units define: exact, whatever happens.

    >>> from tropnet import random_mlp
    >>> st = stages_from_network(random_mlp([2, 8, 1], seed=2))
    >>> problem, state = refine_start(st, 2, -np.ones(2), np.ones(2))
    >>> len(refine_task(problem, state, max_cells=4, parts=3))
    3
    """
    backup = None
    if problem.certify:
        _settle(problem, state)
        backup = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        done = refine_advance(problem, state, max_cells=max_cells, max_work=max_work, max_entries=max_entries)
    except _Uncertain:
        state = pickle.loads(backup)
        if state.ncells > 1:
            return refine_split(state, 2)
        stages, lo, hi, halfspaces = problem.exact_input
        pending = list(state.deferred) + [(state.pool.pat.astype(np.int32), _decided_columns(problem, state))]
        empty = Cells(
            patterns=np.zeros((0, problem.prog.ncols), dtype=np.int32),
            points=np.zeros((0, problem.d)),
            vertex_coords=np.zeros((0, problem.d)),
            vertex_offsets=np.zeros(1, dtype=np.int64),
            vertex_ids=np.zeros(0, dtype=np.int64),
        )
        d, limit = problem.d, problem.max_cells
        return _resolve_deferred(empty, pending, stages, d, lo, hi, halfspaces, limit, False)
    if done:
        return refine_finish(problem, state)
    return refine_split(state, parts)


def _resolve_deferred(
    out: Cells, deferred, stages, d, lo, hi, halfspaces, max_cells, progress, codes: bool = False,
    simple: bool = True,
) -> Cells:
    """Cells the certified pass set aside, enumerated by the rational pass inside the exact
    polytope their pattern defines so far (the rows of the units decided before the call;
    those units are not cut again, so that each hyperplane is one constraint).

    With ``codes`` the sub-runs' tight codes are translated back (their clipping rows are the
    domain's rows, then the decided units'); a sub-run without codes (a non-simple vertex,
    where ``simple`` codes are asked for) raises :class:`_Uncertain`, and the caller runs the
    rational pass on everything; rows of codes of different widths are padded with ``-1``."""
    from .affine import maps_and_rows

    pats = [out.patterns]
    pts = [out.points]
    Xs = [out.vertex_coords]
    ids = [out.vertex_ids]
    counts = [np.diff(out.vertex_offsets)]
    vcodes = [out.vertex_codes] if codes else None
    n0 = 0 if halfspaces is None else len(np.asarray(halfspaces[1], dtype=object).ravel())
    base = len(out.vertex_coords)
    for pat, col in deferred:
        _, _, A, b, flip = maps_and_rows(stages, pat, d, exact=True)
        for i in range(len(pat)):
            use = (flip[i] >= 0) & ((flip[i] >> 20) < col)
            rows_A, rows_b = A[i][use], b[i][use]
            if halfspaces is not None:
                rows_A = np.vstack([np.asarray(halfspaces[0], dtype=object), rows_A])
                rows_b = np.concatenate([np.asarray(halfspaces[1], dtype=object).ravel(), rows_b])
            sub = refine(
                stages,
                d,
                lo,
                hi,
                halfspaces=(rows_A, rows_b) if len(rows_b) else None,
                max_cells=max_cells,
                progress=False,
                exact=True,
                tight_codes=codes,
                simple_codes=simple,
                _preset={c: int(v) for c, v in enumerate(pat[i, :col])},
            )
            # the sub-run's cells inside this polytope carry its decided pattern entries
            same = (sub.patterns[:, :col] == pat[i, :col]).all(axis=1)
            pats.append(sub.patterns[same])
            pts.append(np.asarray(sub.points[same], dtype=np.float64).reshape(-1, d))
            Xs.append(np.asarray(sub.vertex_coords, dtype=np.float64).reshape(-1, d))
            cnt = np.diff(sub.vertex_offsets)
            keep_e = np.repeat(same, cnt)
            ids.append(sub.vertex_ids[keep_e] + base)
            counts.append(cnt[same])
            if codes:
                if sub.vertex_codes is None:
                    raise _Uncertain
                c = sub.vertex_codes[keep_e].copy()
                r = -2 - c - 2 * d  # the sub-run's clipping row
                unit = (c < -1) & (r >= n0)
                c[unit] = flip[i][use][r[unit] - n0]
                vcodes.append(c)
            base += len(sub.vertex_coords)
    off = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
    return Cells(
        patterns=np.vstack(pats),
        points=np.vstack(pts),
        vertex_coords=np.vstack(Xs),
        vertex_offsets=off,
        vertex_ids=np.concatenate(ids).astype(np.int64),
        vertex_codes=stack_codes(vcodes) if codes else None,
    )

