"""Streamed activation counts: the vertex engine's cells counted part by part and released,
so that memory does not grow with the count (issue 21).

The resumable engine (:mod:`tropnet.regions.refine`) is advanced until a state holds a few
thousand cells, split, and the parts run depth first; a finished part adds its number of cells
and is dropped.  The plan chooses this path for serial activation counts on bounded domains
(``Plan.streams``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._limits import progress_bar
from ..kernels.merge import row_keys
from .refine import (
    RefineProblem,
    RefineState,
    forecast,
    refine_advance,
    refine_split,
    refine_task,
)

__all__ = ["STREAM_CELLS", "STREAM_ENTRIES", "PatternJoin", "count_parts", "refine_count"]


#: cells a streamed count lets one part hold before splitting it (a few KB of arrays per cell;
#: parts of a few thousand cells also stay in cache: [4, 38, 38, 1] ran faster with 2^13 than
#: with 2^15, in half the memory).  The first state may grow to four times this before its
#: first split, so that runs of a few ten thousand cells are not split at all.
STREAM_CELLS = 1 << 13
#: ... and this many entries (the total length of its cells' vertex lists, which its arrays and
#: one cut's scratch scale with): a cell of 4 inputs has about 15 vertices, of 6 inputs about 60,
#: so the entries bound the parts first ([6, 17, 17, 1]: 311 MB peak with 2^16, 443 MB with 2^17,
#: in the same time; [4, 32, 32, 1] was faster with 2^16)
STREAM_ENTRIES = 1 << 16


def refine_count(
    problem: RefineProblem,
    state: RefineState,
    *,
    budget: int = STREAM_CELLS,
    entries: int = STREAM_ENTRIES,
    progress: bool | None = False,
    join: PatternJoin | None = None,
    bar: Any = None,
) -> int:
    """The number of cells of a run, counted part by part (streamed): a state is advanced until
    it holds more than ``budget`` cells or ``entries`` vertex-list entries (:func:`refine_task`),
    split, and the parts are run depth first; a finished part is counted and released.  Memory
    stays near ``entries`` entries times the depth of the splits, whatever the count.  The count
    is that of the unsplit run (exact and certified runs decide every sign exactly; float parts
    scale their tolerance by their own cells, see :class:`RefineState`).  ``problem.limits``
    apply to the cells counted plus those held.  ``join``: the run is one piece of several
    whose cells are joined by pattern (:class:`PatternJoin`, which then holds the count); ``bar``:
    a progress bar to update (else one is made from ``progress``).

    >>> import numpy as np
    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.refine import refine_start
    >>> st = stages_from_network(random_mlp([3, 8, 8, 1], seed=1))
    >>> problem, state = refine_start(st, 3, -5 * np.ones(3), 5 * np.ones(3))
    >>> refine_count(problem, state, budget=50)
    580
    """
    own = bar is None
    bar = _count_bar(progress) if own else bar
    try:
        total, problem.ambiguous, _ = count_parts(problem, [state], budget=budget, entries=entries, grow=True,
                                                  bar=bar, join=join)
    finally:
        if own and bar is not None:
            bar.close()
    return total


def count_parts(
    problem: RefineProblem,
    parts: list[RefineState],
    *,
    budget: int = STREAM_CELLS,
    entries: int = STREAM_ENTRIES,
    max_work: int | None = None,
    max_parts: int | None = None,
    grow: bool = False,
    bar: Any = None,
    join: PatternJoin | None = None,
) -> tuple[int, int, list[RefineState]]:
    """Count the cells of the states ``parts`` (a stack: the last one runs first), part by part
    as :func:`refine_count` does, and stop early once more than ``max_work`` vertex-list entries
    have been cut (a deterministic measure, see
    :func:`~tropnet.regions.refine.refine_advance`).  Returns ``(cells counted, float decisions
    left inside their tolerance band, the states left)``: counting the states left (in any
    order, in any process) and adding gives the count of ``parts``, which is how a Dask task
    hands on the rest of its work (:mod:`tropnet.parallel`); a part may stop between two units.
    ``max_parts``: stop after running that many parts (each to its end, its split or the
    work limit).  ``grow``: the first state may reach four times ``budget`` before its first
    split (a whole run of a few ten thousand cells is then not split).  ``problem.counted`` is
    set while it runs (for the limits) and reset.  ``join``: every finished part is also handed
    to this :class:`PatternJoin`.

    >>> import tropnet
    >>> from tropnet.regions import program, refine
    >>> net = tropnet.random_mlp([3, 8, 8, 1], seed=1)
    >>> problem, state = refine.refine_start(program.stages_from_network(net), 3, [-5] * 3, [5] * 3)
    >>> n, _, left = count_parts(problem, [state], budget=50, max_work=2000)
    >>> len(left) > 0 and n + sum(count_parts(problem, [p])[0] for p in left)
    580
    """
    stack = list(parts)
    total = ambiguous = work = ran = 0
    base = problem.counted  # cells a caller counted before (streamed or parallel drivers)
    try:
        while stack:
            if (max_work is not None and work > max_work) or (max_parts is not None and ran >= max_parts):
                break
            ran += 1
            part = stack.pop()
            problem.counted = base + total + sum(x.ncells for x in stack)
            cap, ecap = (4 * budget, 4 * entries) if grow else (budget, entries)
            nsplit = 8 if grow else 2  # parts of about budget / 2 cells
            grow = False
            before = part.work
            rest = None if max_work is None else max_work - work
            if problem.certify:  # refine_task hands uncertain cells to the rational pass
                out = refine_task(problem, part, max_cells=cap, max_work=rest, parts=nsplit, max_entries=ecap)
            elif refine_advance(problem, part, max_cells=cap, max_work=rest, max_entries=ecap,
                                count_last=join is None):
                # float and rational runs set nothing aside: their cells are final (the last unit
                # counted, not cut, when no join needs the cells)
                out = part.ncells if part.last_count is None else part.last_count
            elif part.ncells > cap or part.entries > ecap:  # parts of about half the budgets
                out = refine_split(part, max(2, -(-part.ncells // max(1, budget // 2)),
                                             -(-part.entries // max(1, entries // 2))))
            else:  # out of work: the part goes back as it is
                out = [part]
            work += part.work - before
            if isinstance(out, list):
                if bar is not None and bar.postfix is None:
                    bar.set_postfix_str(forecast(problem, part), refresh=False)
                stack.extend(reversed(out))
            else:
                n = out if isinstance(out, int) else len(out)
                if join is not None:
                    if isinstance(out, int):
                        join.add(part.pool.X, part.pool.off, part.pool.ids, part.pool.pat)
                    else:
                        join.add(out.vertex_coords, out.vertex_offsets, out.vertex_ids, out.patterns)
                total += n
                ambiguous += part.counts["ambiguous"] if isinstance(out, int) else out.ambiguous
                if join is not None:  # cells cut below float64 resolution (for a linear merge)
                    join.thin += part.counts.get("thin", 0) if isinstance(out, int) else out.thin
                if bar is not None:
                    bar.update(n)
    finally:
        problem.counted = base
    return total, ambiguous, stack


class PatternJoin:
    """The number of distinct cells over several runs whose cells are joined by pattern (all
    of R^n: the facets of the homogenised cube, :func:`~tropnet.regions.domains.cube_facets`),
    counted as the runs stream.

    One pattern is one cell (a cell is convex), and its pieces on the facets form one connected
    set, so a cell met on two facets reaches a side the facets share on each: its vertex lists
    there have a vertex on that side (exactly: a vertex on a box side keeps that coordinate
    exactly, in float too, since it is interpolated between two vertices on the side).  Cells
    without such a vertex are counted where they are met; only the patterns of the others are
    kept (a set that grows with the cells along the facets' shared sides, not with all cells).
    Call :meth:`piece` before each run with its box and which of its sides are shared.

    >>> j = PatternJoin()
    >>> j.piece(np.zeros(1), np.ones(1), np.array([False]), np.array([True]))
    >>> X, off, ids = np.array([[0.0], [0.5], [1.0]]), np.array([0, 2, 4]), np.array([0, 1, 1, 2])
    >>> j.add(X, off, ids, np.array([[0], [1]]))
    >>> j.piece(np.ones(1), 2 * np.ones(1), np.array([True]), np.array([False]))
    >>> j.add(np.array([[1.0], [2.0]]), np.array([0, 2]), np.array([0, 1]), np.array([[1]]))
    >>> j.count
    2
    """

    thin = 0  # cells cut below float64 resolution (Cells.thin), counted by count_parts

    def __init__(self) -> None:
        self.inner = 0  # cells away from every shared side, counted once
        self._keys: list[np.ndarray] = []  # row keys of the patterns of the others
        self._held = 0
        self._box: tuple | None = None

    def piece(self, lo, hi, lo_shared: np.ndarray, hi_shared: np.ndarray) -> None:
        """The box ``[lo, hi]`` of the next run (in its number type) and which of its sides
        ``x_k = lo_k`` / ``x_k = hi_k`` it shares with another run."""
        self._box = (lo, hi, np.asarray(lo_shared, dtype=bool), np.asarray(hi_shared, dtype=bool))

    def add(self, X, off, ids, patterns) -> None:
        """The finished cells (vertex pool ``X``, CSR lists ``off``, ``ids``, ``patterns``) of a
        part of the current run."""
        if len(off) <= 1:
            return
        lo, hi, lo_shared, hi_shared = self._box
        Xc = X[ids]
        side = ((Xc == lo) & lo_shared) | ((Xc == hi) & hi_shared)
        on = np.logical_or.reduceat(side.any(axis=1), off[:-1])
        self.inner += int(np.count_nonzero(~on))
        if on.any():
            self._keys.append(row_keys(np.asarray(patterns[on], dtype=np.int32)))
            self._held += int(np.count_nonzero(on))
            if self._held > 1 << 16 and len(self._keys) > 1:  # drop repeats now and then
                self._keys = [np.unique(np.concatenate(self._keys))]
                self._held = len(self._keys[0])

    @property
    def count(self) -> int:
        """The distinct cells so far."""
        if not self._keys:
            return self.inner
        return self.inner + len(np.unique(np.concatenate(self._keys)))


def _count_bar(progress: bool | None):
    """A tqdm bar of the cells counted (``None``: after 2 s), or ``None``."""
    return progress_bar(None, progress, "cells counted", "cell")
