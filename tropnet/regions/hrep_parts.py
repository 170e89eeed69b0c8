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
        where = dict(parallel=None if c is None else "dask", client=c, parts=parts, stats=stats)
        runner = functools.partial(refine_hrep_parts, **where)
        linear = plan.exact and plan.kind == "linear"
        edges = functools.partial(exact_edges_parts, **where) if linear else None
        serial = dataclasses.replace(plan, mode="serial", options={}, hrep_runner=runner, hrep_edges=edges)
        return serial.run()


#: an exact linear merge decides its facets in tasks from this many candidate cells on (below,
#: on the driver: a task costs some milliseconds)
EDGES_IN_TASKS = 256


def exact_edges_parts(found: Any, cells: np.ndarray, gid: np.ndarray | None = None, *, parallel: str | None,
                      client: Any, parts: int, stats: dict | None = None) -> np.ndarray:
    """:func:`~tropnet.regions.hrep_exact_facets.exact_hrep_edges` in tasks: the candidate
    ``cells`` dealt by their groups of near maps (``gid``, as that function takes it: equal
    exact maps share a label, so no pair crosses groups) into at most ``parts`` tasks of about
    equal numbers of pairs, each deciding the facets of its groups exactly: the same edges as
    one call.  Fewer than :data:`EDGES_IN_TASKS` cells, or ``gid=None``: one call here.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> from tropnet.regions.hrep_exact_facets import exact_hrep_edges
    >>> net = tropnet.Network.from_arrays([[[1.0], [1.0]], [[1.0, -1.0]]])  # relu(x) - relu(x) = 0
    >>> plan = make_plan(net, tropnet.Box(-1, 1), exact=True, engine="refine")
    >>> found = plan.find()
    >>> found.cache["exact_dom"] = (plan.domain.pieces[0].lo, plan.domain.pieces[0].hi, None, None)
    >>> gid = np.zeros(len(found), dtype=np.int64)
    >>> exact_edges_parts(found, np.arange(2), gid, parallel=None, client=None, parts=2).tolist()
    [[0, 1]]
    """
    from .hrep_exact_facets import exact_hrep_edges

    cells = np.asarray(cells, dtype=np.int64)
    if len(cells) < EDGES_IN_TASKS or parts < 2 or gid is None:
        return exact_hrep_edges(found, cells, gid)
    sub = np.asarray(gid)[cells]
    order = np.argsort(sub, kind="stable")
    groups = np.split(cells[order], np.flatnonzero(np.diff(sub[order])) + 1)
    # largest groups first, each to the task with the fewest pairs so far
    load = np.zeros(min(parts, len(groups)))
    chunks: list[list] = [[] for _ in load]
    for g in sorted(groups, key=len, reverse=True):
        k = int(np.argmin(load))
        chunks[k].append(g)
        load[k] += len(g) * (len(g) - 1) / 2
    jobs = [(found.patterns[np.concatenate(ch)], found.points[np.concatenate(ch)],
             gid[np.concatenate(ch)]) for ch in chunks if ch]
    shared = (found.stages, found.d, found.cache["exact_dom"])
    out = map_tasks(_edges_part, jobs, parallel=parallel, client=client, shared=shared)
    if stats is not None:
        stats.update(edge_tasks=len(jobs), edge_cells=len(cells))
    e = [np.concatenate(ch)[local] for ch, local in zip([c for c in chunks if c], out)]
    e = np.concatenate(e) if e else np.zeros((0, 2), dtype=np.int64)
    return np.sort(e.reshape(-1, 2), axis=1)


class _Cells:
    """What :func:`~tropnet.regions.hrep_exact_facets.exact_hrep_edges` reads of a run's cells."""

    def __init__(self, stages, d, patterns, points, exact_dom):
        self.stages, self.d, self.patterns, self.points = stages, d, patterns, points
        self.cache = {"exact_dom": exact_dom}

    def __len__(self) -> int:
        return len(self.patterns)


def _edges_part(stages, d, exact_dom, patterns, points, gid):
    """One task of :func:`exact_edges_parts`: the exact facets among its cells (local indices)."""
    from .hrep_exact_facets import exact_hrep_edges

    cells = _Cells(stages, d, patterns, points, exact_dom)
    return exact_hrep_edges(cells, np.arange(len(patterns)), gid)


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
