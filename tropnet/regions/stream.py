"""Streamed activation counts: the vertex engine's cells counted part by part and released,
so that memory does not grow with the count (issue 21).

The resumable engine (:mod:`tropnet.regions.refine`) is advanced until a state holds a few
thousand cells, split, and the parts run depth first; a finished part adds its number of cells
and is dropped.  The plan chooses this path for serial activation counts on bounded domains
(``Plan.streams``).
"""

from __future__ import annotations

from .._limits import progress_bar
from .refine import (
    RefineProblem,
    RefineState,
    forecast,
    refine_advance,
    refine_split,
    refine_task,
)

__all__ = ["STREAM_CELLS", "refine_count"]


#: cells a streamed count lets one part hold before splitting it (a few KB of arrays per cell;
#: parts of a few thousand cells also stay in cache: [4, 38, 38, 1] ran faster with 2^13 than
#: with 2^15, in half the memory).  The first state may grow to four times this before its
#: first split, so that runs of a few ten thousand cells are not split at all.
STREAM_CELLS = 1 << 13


def refine_count(
    problem: RefineProblem, state: RefineState, *, budget: int = STREAM_CELLS, progress: bool | None = False
) -> int:
    """The number of cells of a run, counted part by part (streamed): a state is advanced until
    it holds more than ``budget`` cells (:func:`refine_task`), split in two, and the parts are
    run depth first; a finished part is counted and released.  Memory stays near ``budget``
    cells times the depth of the splits, whatever the count.  The count is that of the unsplit
    run (exact and certified runs decide every sign exactly; float parts scale their tolerance
    by their own cells, see :class:`RefineState`).  ``problem.limits`` apply to the cells
    counted plus those held.

    >>> import numpy as np
    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.refine import refine_start
    >>> st = stages_from_network(random_mlp([3, 8, 8, 1], seed=1))
    >>> problem, state = refine_start(st, 3, -5 * np.ones(3), 5 * np.ones(3))
    >>> refine_count(problem, state, budget=50)
    580
    """
    bar = _count_bar(progress)
    stack = [state]
    total = 0
    first = True
    problem.ambiguous = 0  # float decisions left inside their tolerance band, over all parts
    try:
        while stack:
            part = stack.pop()
            problem.counted = total + sum(x.ncells for x in stack)
            cap = 4 * budget if first else budget
            parts = 8 if first else 2  # parts of about budget / 2 cells
            first = False
            if problem.certify:  # refine_task hands uncertain cells to the rational pass
                out = refine_task(problem, part, max_cells=cap, parts=parts)
            elif refine_advance(problem, part, max_cells=cap):
                out = part.ncells  # float and rational runs set nothing aside: their cells are final
            else:
                out = refine_split(part, max(2, -(-part.ncells // max(1, budget // 2))))
            if isinstance(out, list):
                if bar is not None and bar.postfix is None:
                    bar.set_postfix_str(forecast(problem, part), refresh=False)
                stack.extend(reversed(out))
            else:
                n = out if isinstance(out, int) else len(out)
                total += n
                problem.ambiguous += part.counts["ambiguous"] if isinstance(out, int) else out.ambiguous
                if bar is not None:
                    bar.update(n)
    finally:
        problem.counted = 0
        if bar is not None:
            bar.close()
    return total


def _count_bar(progress: bool | None):
    """A tqdm bar of the cells counted (``None``: after 2 s), or ``None``."""
    return progress_bar(None, progress, "cells counted", "cell")
