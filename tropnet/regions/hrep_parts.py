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

__all__ = ["refine_hrep_parts", "refine_pieces", "run_hrep_plan"]


def run_hrep_plan(plan: Any, parts: int, stats: dict | None = None) -> Any:
    """Run a parallel plan on the H-representation engine as the serial plan runs it, its engine
    in parts on the plan's client (one local cluster for the whole call with
    ``parallel="local"``): the same stable units removed, the same cells, the same linear merge
    and region set, hence the serial answer.  A bounded domain (one piece) runs in parts
    (:func:`refine_hrep_parts`); all of R^n and unbounded polyhedra (for this engine one piece,
    the whole homogenised cube in ``n + 1`` coordinates: :func:`~tropnet.regions.domains.
    homogenised_cube`) run all their pieces' tasks at once (:func:`refine_pieces`) before the
    serial plan joins them.

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
        where = dict(parallel=None if c is None else "dask", client=c)
        serial = dataclasses.replace(plan, mode="serial", options={})
        if plan.domain.join:
            serial._prune_stable()  # (as the serial plan does first: on R^n the units 0 everywhere)
            serial.hrep_runner = refine_pieces(serial, parts=parts, stats=stats, **where)
        else:
            serial.hrep_runner = functools.partial(refine_hrep_parts, parts=parts, stats=stats, **where)
        return serial.run()


def refine_pieces(plan: Any, *, parallel, client, parts: int, stats: dict | None = None):
    """The cells of every piece of ``plan``'s domain (for all of R^n on this engine one piece,
    the homogenised cube, :func:`~tropnet.regions.domains.homogenised_cube`), refined by
    :func:`~tropnet.regions.hrep.refine_hrep` in one set of Dask tasks: a piece is a task of its
    own where there are at least ``parts`` pieces, else it is cut into ``ceil(parts / pieces)``
    tasks as :func:`refine_hrep_parts` cuts it.  Returns the plan's engine
    (``Plan.hrep_runner``): called on a piece, it hands back that piece's cells.

    >>> import dataclasses, tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> net = tropnet.random_mlp([13, 3, 3, 1], seed=0)
    >>> plan = make_plan(net, None, want="count", kind="activation", mode="parallel")
    >>> plan.engine, len(plan.domain.pieces)
    ('hrep', 1)
    >>> stats = {}
    >>> runner = refine_pieces(plan, parallel=None, client=None, parts=4, stats=stats)
    >>> stats["tasks"], stats["pieces"]
    (4, 1)
    >>> serial = dataclasses.replace(plan, mode="serial", options={}, hrep_runner=runner)
    >>> serial.run() == tropnet.count_linear_regions(net, kind="activation")
    True
    """
    dp = plan.domain
    per = max(1, -(-parts // len(dp.pieces)))
    specs, jobs, ambiguous = [], [], []
    for k, p in enumerate(dp.pieces):
        args = dict(halfspaces=p.halfspaces, l1=p.l1, max_cells=plan.max_regions, limits=plan.limits,
                    exact=plan.exact)
        specs.append((p.stages, len(p.lo), p.lo, p.hi, args))
        if per == 1:
            starts, amb = [None], 0
        else:
            starts, amb, _, _ = _first_stages(p.stages, len(p.lo), p.lo, p.hi, per, args)
        jobs += [(k, s) for s in starts]
        ambiguous.append(amb)
    out = map_tasks(_part, jobs, parallel=parallel, client=client, shared=(specs,))
    cells = {}
    for k, p in enumerate(dp.pieces):
        mine = [c for (j, _), c in zip(jobs, out) if j == k]
        cells[id(p.stages)] = (p.stages, _gathered(mine, ambiguous[k], plan.max_regions))
    if stats is not None:
        stats.update(tasks=len(jobs), pieces=len(dp.pieces))

    def runner(stages, d, lo, hi, **kw):  # (the pieces share their box: a piece is its program)
        got = cells.pop(id(stages), None)
        if got is None or got[0] is not stages:  # (a piece not run above: in parts on its own)
            return refine_hrep_parts(stages, d, lo, hi, parallel=parallel, client=client, parts=parts,
                                     stats=None, **kw)
        return got[1]

    return runner


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
    starts, ambiguous, at, n = _first_stages(stages, d, lo, hi, parts, args, progress)
    out = map_tasks(_part, [(0, s) for s in starts], parallel=parallel, client=client,
                    shared=([(stages, d, lo, hi, args)],))
    if stats is not None:
        stats.update(tasks=len(starts), split_at=at, split_cells=n)
    return _gathered(out, ambiguous, max_cells)


def _first_stages(stages, d, lo, hi, parts: int, args: dict, progress=None) -> tuple:
    """The driver's share of a run in ``parts`` tasks: the cutting stages refined until it holds
    at least ``2 parts`` cells (or only the last stage is left), then dealt round-robin.  Returns
    the tasks' ``start`` arguments (``None``: the whole run, when there is one cutting stage),
    the decisions left ambiguous, the stage the tasks start at and the cells dealt."""
    cut = [i for i, st in enumerate(stages) if st.kind != "affine"]
    cells, ambiguous, at = None, 0, 0
    for s in cut[1:]:
        cells, amb = refine_hrep(stages, d, lo, hi, start=None if cells is None else (at, cells), stop=s,
                                 progress=progress, **args)
        ambiguous, at = ambiguous + amb, s
        if len(cells) >= 2 * parts:
            break
    if cells is None:  # one cutting stage: one task
        return [None], ambiguous, at, 0
    return [(at, cells[i::parts]) for i in range(max(1, min(parts, len(cells))))], ambiguous, at, len(cells)


def _gathered(out: list, ambiguous: int, max_cells: int | None) -> Cells:
    """The cells of one run's tasks together (a limit passed in a task raised here)."""
    for c in out:
        if isinstance(c, RegionLimitError):  # a task passed a limit (returned: Dask does not retry it)
            raise c
    total = sum(len(c) for c in out)
    if max_cells is not None and total > max_cells:
        raise RegionLimitError(f"more than {max_cells} cells ({total})", "max_regions", {"cells": total})
    return Cells(patterns=np.vstack([c.patterns for c in out]), points=np.vstack([c.points for c in out]),
                 ambiguous=ambiguous + sum(c.ambiguous for c in out))


def _part(specs, k, start):
    """One task of :func:`refine_hrep_parts` or :func:`refine_pieces`: the cells of piece ``k``
    (``specs[k]``: its stages, inputs, box and engine arguments) refined from their stage on
    (``start=None``: the whole run); a limit it passes is returned, not raised, so that Dask
    does not retry it."""
    stages, d, lo, hi, args = specs[k]
    try:
        return refine_hrep(stages, d, lo, hi, start=start, **args)
    except RegionLimitError as err:
        return err
