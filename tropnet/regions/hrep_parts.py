"""The H-representation engine in parts (Dask tasks): a box, a bounded polyhedron or a
cross-polytope kept whole is refined by :func:`~tropnet.regions.hrep.refine_hrep` through its
first cutting stages on the driver, and the cells it holds then are dealt into tasks that
refine them through the rest.  Used by :mod:`tropnet.regions.parallel` as the serial plan's
engine (``Plan.hrep_runner``, :func:`run_hrep_plan`): float runs above
:data:`~tropnet.regions.hrep.HREP_DIM` inputs, exact ones above
:data:`~tropnet.regions.hrep.EXACT_MAX_DIM` (activation and linear counts: the cells of one
exact map are joined across the exact facets of
:mod:`~tropnet.regions.hrep_exact_facets`, on the driver), cross-polytopes kept whole."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np

from ..tasks import dask_client, map_tasks
from .cells import Cells, RegionLimitError
from .hrep import refine_hrep

__all__ = ["refine_hrep_parts", "run_hrep_plan"]


def run_hrep_plan(plan: Any, parts: int, stats: dict | None = None) -> Any:
    """Run a parallel plan on the H-representation engine (a bounded domain: one piece) as the
    serial plan runs it, its engine in parts (:func:`refine_hrep_parts`) on the plan's client
    (one local cluster for the whole call with ``parallel="local"``): the same stable units
    removed, the same cells, the same linear merge and region set, hence the serial answer.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> net = tropnet.random_mlp([18, 6, 6, 1], seed=0)
    >>> box = tropnet.Box(-1, 1)
    >>> plan = make_plan(net, box, want="count", kind="activation", exact=True, mode="parallel")
    >>> stats = {}
    >>> run_hrep_plan(plan, parts=4, stats=stats) == tropnet.count_linear_regions(net, box, kind="activation",
    ...                                                                         exact=True)
    True
    >>> stats["tasks"]
    4
    """
    o = plan.options
    with dask_client(o.get("parallel"), o.get("client")) as c:
        runner = functools.partial(refine_hrep_parts, parallel=None if c is None else "dask", client=c,
                                   parts=parts, stats=stats)
        return dataclasses.replace(plan, mode="serial", options={}, hrep_runner=runner).run()


def refine_hrep_parts(stages, d, lo, hi, *, parallel, client, parts: int, stats, max_cells=None,
                      limits=None, progress=None, **kw) -> Cells:
    """:func:`~tropnet.regions.hrep.refine_hrep` in parts: the driver refines the cutting
    stages until it holds at least ``2 parts`` cells (or only the last stage is left), then the
    cells, dealt round-robin into ``parts`` Dask tasks, are refined through the remaining stages
    (``start=``); every cell of a stage is refined on its own, so the tasks' cells together are
    the serial run's (in another order).  ``max_cells`` holds per task and for their total.

    >>> import numpy as np, tropnet
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.hrep import refine_hrep
    >>> st, ball = stages_from_network(tropnet.random_mlp([8, 6, 6, 1], seed=0)), (np.zeros(8), 1.0)
    >>> whole = refine_hrep(st, 8, -np.ones(8), np.ones(8), l1=ball)
    >>> stats = {}  # parallel=None: the tasks in this process
    >>> cells = refine_hrep_parts(st, 8, -np.ones(8), np.ones(8), l1=ball, parallel=None, client=None,
    ...                           parts=2, stats=stats)
    >>> len(cells), len(whole), stats["tasks"]
    (57, 57, 2)
    >>> sorted(p.tobytes() for p in cells.patterns) == sorted(p.tobytes() for p in whole.patterns)
    True
    """
    args = dict(kw, max_cells=max_cells, limits=limits)
    cut = [i for i, st in enumerate(stages) if st.kind != "affine"]
    cells, ambiguous, at = None, 0, 0
    for s in cut[1:]:
        cells, amb = refine_hrep(stages, d, lo, hi, start=None if cells is None else (at, cells), stop=s,
                                 progress=progress, **args)
        ambiguous, at = ambiguous + amb, s
        if len(cells) >= 2 * parts:
            break
    if cells is None:  # one cutting stage: one task
        jobs = [(None,)]
    else:
        jobs = [((at, cells[i::parts]),) for i in range(max(1, min(parts, len(cells))))]
    out = map_tasks(_part, jobs, parallel=parallel, client=client, shared=(stages, d, lo, hi, args))
    for c in out:
        if isinstance(c, RegionLimitError):  # a task passed a limit (returned: Dask does not retry it)
            raise c
    if stats is not None:
        stats.update(tasks=len(jobs), split_at=at, split_cells=0 if cells is None else len(cells))
    total = sum(len(c) for c in out)
    if max_cells is not None and total > max_cells:
        raise RegionLimitError(f"more than {max_cells} cells ({total})", "max_regions", {"cells": total})
    return Cells(patterns=np.vstack([c.patterns for c in out]), points=np.vstack([c.points for c in out]),
                 ambiguous=ambiguous + sum(c.ambiguous for c in out))


def _part(stages, d, lo, hi, args, start):
    """One task of :func:`refine_hrep_parts`: its cells refined from their stage on (or, with
    ``start=None``, the whole run); a limit it passes is returned, not raised, so that Dask does
    not retry it."""
    try:
        return refine_hrep(stages, d, lo, hi, start=start, **args)
    except RegionLimitError as err:
        return err
