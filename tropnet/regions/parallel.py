"""The Dask driver of the region enumeration, with answers identical to serial (public entry
points re-exported by :mod:`tropnet.parallel`).

Every long-running entry point takes ``parallel=None | "local" | "dask"`` and ``client``:

* ``None`` — serial, in this process (the default; dask is never imported);
* ``"local"`` — a :class:`dask.distributed.LocalCluster` with one single-threaded worker
  process per core, started and closed by the call;
* ``"dask"`` — the given ``client``, or the current default client, so a user who connected
  with ``Client("tcp://host:8786")`` runs on that cluster.

*How the enumeration is partitioned.*  By the cells of the engine itself
(:mod:`tropnet.regions.refine`): the driver runs the serial engine until it holds
``2 x tasks_per_worker`` cells per worker (at a unit boundary, usually inside the first layer),
and splits its state — the vertex pool, the cells as vertex lists, their patterns, the position
in the program — into ``tasks_per_worker`` states per worker, balanced by the length of their
vertex lists.  Each state is one task: a worker advances it through the remaining units.  The
units act on every cell separately, so the leaf cells of different tasks are disjoint and their
union is exactly the serial answer: counts add up, no join is needed (all of R^n and unbounded
polyhedra run the engine on the 2n + 1 facets of the homogenised cube, as serially, and those
pieces are joined by pattern as :func:`tropnet.regions.found.join_pieces` does).  Load balance is
dynamic: a task that has cut more than ``split_work`` vertex-list entries (or passes
``split_cells`` cells) stops at the next unit boundary and returns its state split into
``parts`` new tasks, which run before older waiting ones.  The criterion counts work, not
seconds, so a task recomputed after a fault splits the same way.  A count on a box or a
bounded polyhedron streams inside each task (:func:`~tropnet.regions.stream.count_parts`, as
the serial count does): the task's cells are counted part by part and released, so a worker's
memory stays bounded whatever the count, and a task past its work budget hands on the parts
it has left.

*What travels.*  The programs (network weights), once, as the result of a task; then states:
a few kB for a first task, up to some MiB for the parts a big task hands on.  A task's value stays on
its worker: the driver reads a summary (a count, or "split into k"), and the parts of a split
are cut out on that worker and moved only when another worker runs them.  Back come counts
(box domains), distinct patterns (pieces of R^n), or for regions the cells in the shared-array
form; the driver then runs the linear merge over all cells at once
(:func:`~tropnet.regions.geometry.linear_labels`: facets only for cells whose map another cell
shares), so a linear region spanning several tasks is joined exactly as in a serial run.
A linear count is one enumeration whose tasks *keep* their cells on their workers
(:func:`~tropnet.tasks.map_tasks` with ``keep``; float tasks on a bounded domain stream and keep
their parts with their cells' unit facets as bits, as the serial streamed linear count does; a
task that hands on the rest of its work keeps the parts it finished) and send back only the
cells' float maps and patterns (as bits).  The driver groups all maps; when no map comes near
another the count is the number of cells.  Otherwise the one merge
(:func:`~tropnet.regions.geometry.linear_labels`) asks the tasks for the unit facets, and only
where those cannot serve the vertex lists, of only the cells of near groups
(:mod:`tropnet.regions.parallel_merge`): the driver never holds every cell's vertex list.
Float linear counts and float region sets, like the serial ones and the activation counts,
first remove the units of one sign on a bounded domain (:mod:`tropnet.regions.stable`; exact
ones those 0 everywhere); the tasks put their pattern columns back.

*H-representation runs.*  On a box or a bounded polyhedron above 12 inputs (exact: above 16,
activation and linear counts) and on a cross-polytope kept whole (counts from 5 inputs, region
sets from 8) the driver runs the serial plan (stable units, the linear merge, the region set)
with its engine in parts (:func:`~tropnet.regions.hrep_parts.run_hrep_plan`): the first
cutting stages on the driver until it holds ``2 parts`` cells, then those cells dealt into
tasks that refine them through the remaining stages; every cell of a stage is refined on its
own, so the tasks' cells are the serial ones, and the linear merge runs over all of them on
the driver (for exact runs over the exact facets between cells of one map).  On all of R^n
(float) the engine's one piece, the homogenised cube, runs in parts in the same way
(:func:`~tropnet.regions.hrep_parts.refine_pieces`).

*Exactness.*  Exact activation counts run the certified float pass, and a task that meets a
decision too close to call retries its cells in halves, down to single cells that are
enumerated by the rational pass inside their exact polytope — never a wrong count.  Exact
regions run the certified pass with tight constraint codes (the exact geometry of
:func:`tropnet.regions.geometry.build_region_set`); one decision too close to call in any task
reruns the whole enumeration in the rational pass.  Float tasks decide near-ties with the
relative tolerance of the engine, whose scale in a task is the largest value of the unit over
the *task's* cells, floored by the magnitude of the terms that make up the unit's value (so
rounding noise never splits a cell): not the serial scale, so in near-degenerate cases (a
sliver thinner than ``1e-9`` times the unit's range) a float count can differ from serial;
exact mode never does.

*What it buys* is measured in ``benchmarks/bench_parallel.py`` (see ``docs/cluster.md``).  Linear
region sets add the driver's merge (its maps first: a small fraction of the enumeration) and the
transfer of the cells; linear counts add the transfer of the maps and patterns and their
grouping, and where maps come near, the near groups' cells.  A worker holds its tasks' cells until
the driver's merge is done, within the serial count's budget
(:data:`~tropnet.regions.stream.KEPT_VERTEX_BYTES`, shared by the worker's tasks): past it, a
task keeps its cells' patterns only and runs its part again if the driver asks for its cells.

*Faults.*  Tasks are pure and deterministic and are submitted with ``retries``: a worker that
dies mid-run has its tasks (and the splits they came from) recomputed elsewhere by Dask, so the
answer is unchanged; if they fail repeatedly the call raises, never returns a partial count.

"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import pickle
import time
from typing import Any

import numpy as np

from .._limits import Limits
from ..kernels.merge import row_keys
from . import stream
from .cells import RegionLimitError
from .exactness import _Uncertain, warn_ambiguous, with_fallback
from .found import _from_piece, join_pieces
from .geometry import build_region_set, linear_labels
from .hrep_parts import run_hrep_plan
from .parallel_merge import KeptCells, merge_kept
from .plan import make_plan
from .refine import refine_advance, refine_finish, refine_split, refine_start, refine_task
from .stream import STREAM_CELLS, KeptBytes, KeptParts, count_parts

__all__ = ["run_plan", "count_parallel", "regions_parallel"]

from ..tasks import (  # noqa: F401  (re-exported through tropnet.parallel)
    PARALLEL_MODES,
    Spawn,
    _n_workers,
    ask_kept,
    connect,
    dask_client,
    map_tasks,
)


# --------------------------------------------------------------------------- enumeration tasks
class _Piece:
    """One engine run that covers (part of) the domain: its problem, the plan's
    :class:`~tropnet.regions.domains.Piece` it runs (which says how its cells become
    :class:`~tropnet.regions.found.FoundCells`), and the domain's rows ``A x <= b``."""

    def __init__(self, problem, piece, A, b):
        self.problem = problem
        self.piece = piece
        self.A, self.b = A, b
        self.full = None  # (the plan's program, StableUnits.on) when the piece runs without its stable units
        self.kept_budget = None  # the driver's KEPT_VERTEX_BYTES (a linear count's tasks: see _count_task)
        self.id_cols = None  # a float linear count: each constraint id's pattern column (Plan._id_columns)


def _full_cells(cells, piece: _Piece):
    """A task's cells with the pattern columns of the units pruned before the run put back (and
    their tight codes renumbered, as serially)."""
    if piece.full is None or piece.full[1] is None or piece.piece.stages is piece.full[0]:
        return cells
    from .stable import expand_codes, expand_patterns

    stages, on = piece.full
    P = expand_patterns(cells.patterns, stages, piece.piece.stages, on)
    codes = cells.vertex_codes
    if codes is not None:
        codes = expand_codes(codes, stages, piece.piece.stages)
    return dataclasses.replace(cells, patterns=P, vertex_codes=codes)


def _summary(value):
    """What comes back of a task's answer whose cells stay on the worker."""
    if isinstance(value, _Leaf) and isinstance(value.value, KeptCells):
        return _Leaf(value.piece, value.value.back, value.cells, value.info)
    return value


def _pieces(plan, certify: bool, codes: bool = False):
    """The engine runs of the plan's domain pieces, as ``[(_Piece, state)]``: a box or a
    bounded polyhedron is one run, all of R^n or an unbounded polyhedron the 2n + 1 facets of
    the homogenised cube (joined by pattern afterwards).  ``codes``: the certified pass keeping
    every vertex's tight constraints (exact geometry, see ``find_cells(codes=True)``; for a
    linear count at non-simple vertices too, see :func:`~tropnet.regions.codes._codes`)."""
    dp = plan.domain
    kw = dict(max_cells=plan.max_regions, exact=plan.exact, certify=certify or codes, tight_codes=codes)
    runs = []
    on = None if plan.stable is None else plan.stable.on
    for piece in dp.pieces:
        problem, state = refine_start(piece.stages, dp.n, piece.lo, piece.hi, halfspaces=piece.halfspaces,
                                      **kw)
        problem.limits = plan.limits  # seconds and bytes, checked by every task before every unit
        # a linear count reads facets by incidence, whatever its vertices (as serially)
        problem.simple_codes = plan.want != "count"
        run = _Piece(problem, piece, dp.A, dp.b)
        run.full = (dp.stages, on)
        run.kept_budget = stream.KEPT_VERTEX_BYTES
        if plan.want == "count" and plan.kind == "linear" and not plan.exact and not dp.join:
            run.id_cols = plan._id_columns(piece)  # the tasks keep their cells' unit facets, as serially
        runs.append((run, state))
    return runs


def _found(cells, piece: _Piece, exact: bool):
    """The cells of one task as FoundCells (without stages; the driver joins them)."""
    return _from_piece(cells, piece.piece, None, piece.problem.d, exact, piece.A, piece.b)


class _Leaf:
    """A finished task: ``value`` (a count, distinct patterns, or FoundCells) and its cells."""

    def __init__(self, piece: int, value: Any, cells: int, info: dict):
        self.piece = piece
        self.value = value
        self.cells = cells
        self.info = info


def _engine_task(pieces, index, state, want, exact, split_cells, split_work, parts):
    """Advance one state: a :class:`Spawn` of its parts when it passes ``split_cells`` cells
    or has cut more than ``split_work`` vertex-list entries, else its cells as ``want`` says."""
    import time

    cpu, wall = time.process_time(), time.perf_counter()
    cells_in, entries_in = state.ncells, state.entries
    piece = pieces[index]
    problem = piece.problem
    budget = _work_budget(split_work, problem.exact)
    info = dict(cells_in=cells_in, entries_in=entries_in)
    if problem.tight_codes:
        # certified cells with their tight codes; a decision too close to call sends the whole
        # run to the rational pass (the driver reruns it: cells of both kinds cannot be joined)
        try:
            if refine_advance(problem, state, max_cells=split_cells, max_work=budget):
                out = refine_finish(problem, state)
            else:
                out = refine_split(state, parts)
        except _Uncertain:
            info.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall, split=0,
                        uncertain=True)
            return _Leaf(index, None, 0, info)
    else:
        out = refine_task(problem, state, max_cells=split_cells, max_work=budget, parts=parts)
    if isinstance(out, list):
        info.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall, split=len(out))
        return Spawn([(index, s, want, exact, split_cells, split_work, parts) for s in out], info)
    if want == "count" and not piece.piece.on_facet:
        value = len(out)
    elif want == "count":  # a facet of R^n: its patterns, for the join
        value = out.patterns[np.unique(row_keys(out.patterns), return_index=True)[1]]
    elif want == "maps":  # a linear count: the maps come back, the cells stay (KeptCells)
        value = KeptCells(_found(_full_cells(out, piece), piece, exact), piece.full[0], piece.problem.d)
    else:
        value = _found(_full_cells(out, piece), piece, exact)
    info.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall, split=0, cells_out=len(out),
                ambiguous=out.ambiguous)
    return _Leaf(index, value, len(out), info)


class _Stopped:
    """A task that passed a limit (``error``, a :class:`RegionLimitError`) after counting
    ``cells`` cells: returned, not raised, so that Dask does not retry it; the driver raises."""

    def __init__(self, piece: int, error: RegionLimitError, info: dict):
        self.piece = piece
        self.error = error
        self.info = info


def _guarded(fn, pieces, index, *job):
    """``fn(pieces, index, *job)``; a limit it passes is returned as a :class:`_Stopped`."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        return fn(pieces, index, *job)
    except RegionLimitError as err:
        return _Stopped(index, err, dict(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall))


def _count_task(pieces, index, states, split_cells, split_work, parts, tag, keep=False):
    """Count the cells of ``states`` (a stack of states of piece ``index``) with the streamed
    engine (:func:`~tropnet.regions.stream.count_parts`: parts of at most ``split_cells`` or
    :data:`~tropnet.regions.stream.STREAM_CELLS` cells, counted and released): a
    :class:`_Leaf` with the count, or, once more than ``split_work`` entries are cut (with
    ``split_cells``: after the first part), a :class:`Spawn` of the states left in ``parts``
    new tasks, its ``info["cells"]`` the cells counted so far.  Only integers come back.
    ``keep`` (a float linear count): the finished parts are kept with their cells' unit facets
    (:class:`~tropnet.regions.parallel_merge.KeptCells`, as the serial streamed count keeps them); a task
    that hands on its states keeps them as the Spawn's own value (a leaf of no new cells: the
    Spawn counted them), which stays on this worker.  The kept parts of all tasks on a worker
    share one budget, as a serial count's do (:class:`~tropnet.regions.stream.KeptParts`: the
    smaller of the driver's and the worker's
    :data:`~tropnet.regions.stream.KEPT_VERTEX_BYTES`); past it a task keeps its cells'
    patterns and facets only, and its input states, so that when the driver asks for the
    vertex lists of some of its cells it runs its part again (:class:`_Rerun`) and picks them by
    pattern."""
    cpu, wall = time.process_time(), time.perf_counter()
    problem = _task_problem(pieces[index])
    run = dict(budget=split_cells or STREAM_CELLS, max_work=_work_budget(split_work, problem.exact),
               max_parts=None if split_cells is None else 1)
    info = dict(tag=tag, cells_in=sum(s.ncells for s in states), entries_in=sum(s.entries for s in states))
    kept = None
    if keep:
        budget = stream.KEPT_VERTEX_BYTES
        if pieces[index].kept_budget is not None:
            budget = min(budget, pieces[index].kept_budget)
        again = _Rerun(pieces[index], pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL), run)
        kept = KeptParts(problem, again, budget, _WORKER_KEPT, id_cols=pieces[index].id_cols)
    n, ambiguous, left = count_parts(problem, list(states), join=kept, **run)
    if kept is not None and all(p[0] is not None for p in kept.parts):
        kept.rerun = None  # (its input states are not needed: every kept part has its vertex lists)
    # a linear count's finished parts stay on this worker, also when the task hands on the rest
    value = None
    if kept is not None and n:
        cells = _full_cells(kept.cells(ambiguous, problem.d), pieces[index])
        value = KeptCells(_found(cells, pieces[index], False), pieces[index].full[0], problem.d, kept)
    info.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall, cells=n, ambiguous=ambiguous,
                piece=index, dropped=bool(kept is not None and kept.dropped),
                kept=0 if kept is None else kept.nbytes)
    if not left:
        info.update(split=0, cells_out=n)
        return _Leaf(index, n if kept is None else value, n, info)
    if len(left) == 1:
        left = refine_split(left[0], parts)
    # the states left, dealt out in turn (the bottom of the stack holds the larger runs)
    groups = [left[k::parts] for k in range(min(parts, len(left)))]
    info.update(split=len(groups), bytes_out=sum(s.nbytes for s in left))
    jobs = [(index, g, split_cells, split_work, parts, tag + (k,), keep) for k, g in enumerate(groups)]
    if value is None:
        return Spawn(jobs, info)
    # (its cells are counted by the Spawn)
    return Spawn(jobs, info, _Leaf(index, value, 0, dict(info, split=0, cells_out=n)))


#: the bytes kept by the linear-count tasks of this process (a Dask worker), one budget for all
_WORKER_KEPT = KeptBytes()


def _work_budget(split_work: int | None, exact: bool) -> int | None:
    if split_work is not None and exact:
        return max(1, split_work // 16)  # the rational pass costs 16-50x more per entry
    return split_work


def _task_problem(piece: _Piece):
    """A task's own copy of its piece's problem (its own counters: threaded workers share the
    piece), with ``max_regions`` checked as the serial streamed count checks it: cells counted
    plus held, before every unit."""
    problem = copy.copy(piece.problem)
    base = problem.limits or Limits()
    problem.limits = Limits(problem.max_cells, base.max_seconds, base.max_memory)
    problem.limits.start = base.start
    problem.max_cells = None
    return problem


class _Rerun:
    """A linear-count task's part run again (``KeptParts.rerun``: its parts kept patterns only):
    the same input states (pickled before the first run changed them), the same budgets, so
    the same parts finish (the work of a unit is counted before it, whether it is cut or only
    counted), handed to ``join``."""

    def __init__(self, piece: _Piece, states: bytes, run: dict) -> None:
        self.piece, self.states, self.run = piece, states, run

    def __call__(self, join) -> None:
        count_parts(_task_problem(self.piece), pickle.loads(self.states), join=join, **self.run)


def _check_limit(total: int, max_regions: int | None) -> None:
    if max_regions is not None and total > max_regions:
        raise RegionLimitError(f"more than max_regions={max_regions} regions ({total} cells)", "max_regions",
                               {"cells": total})


def _master(problem, state, target: int) -> None:
    """Advance ``state`` unit by unit until it holds ``target`` cells, its first layer is done,
    or nothing is left."""
    first = next((i for i, st in enumerate(problem.stages) if st.kind != "affine"), -1)
    while not refine_advance(problem, state, max_work=0):
        if state.ncells >= target or state.si > first:
            return


def _enumerate(plan, passes, *, want, tasks_per_worker, split_cells, split_work, parts, stats, finish=None):
    """Run the engine on the plan's domain pieces as a tree of tasks with the passes ``passes``;
    the leaves, the number of cells counted and of float decisions left ambiguous.  With tight
    codes, a decision too close to call anywhere raises ``_Uncertain`` (the caller's
    :func:`~tropnet.regions.exactness.with_fallback` reruns it in rationals).  ``want="maps"``:
    the leaves are :class:`~tropnet.tasks.Kept` (their cells stay on the workers), and the
    result is ``finish(client, leaves, cells, ambiguous)``, run while the client is open."""
    exact, max_regions, codes = plan.exact, plan.max_regions, passes.codes
    # counts on a box or a bounded polyhedron: streamed tasks that return integers (R^n: the
    # facets' patterns, for the join)
    # (float linear counts: streamed tasks that keep their parts, as the serial linear count)
    streamed = (want == "count" or (want == "maps" and not plan.exact)) and not codes and not plan.domain.join
    runs = _pieces(plan, passes.certify, codes)
    pieces = [p for p, _ in runs]
    with dask_client(plan.options.get("parallel"), plan.options.get("client")) as c:
        workers = 1 if c is None else _n_workers(c)
        n_tasks = max(1, tasks_per_worker * workers)
        # the master: the serial engine, until there are two cells per first task or the first
        # layer is done (later layers cost more per cell; the tasks' own splits take over)
        jobs = []
        per_piece = math.ceil(n_tasks / len(runs))
        master = time.process_time()
        for k, (piece, state) in enumerate(runs):
            try:
                _master(piece.problem, state, 2 * per_piece)
            except _Uncertain:  # a decision too close to call: this piece runs in rationals
                if codes:
                    raise
                d = piece.problem.d
                x_stages, lo, hi, halfspaces = piece.problem.exact_input
                problem, state = refine_start(x_stages, d, lo, hi, halfspaces=halfspaces,
                                              max_cells=max_regions, exact=True)
                pieces[k] = piece = _Piece(problem, piece.piece, piece.A, piece.b)
                _master(problem, state, 2 * per_piece)
            for s in refine_split(state, per_piece):
                if streamed:
                    jobs.append((k, [s], split_cells, split_work, parts, (len(jobs),), want == "maps"))
                else:
                    jobs.append((k, s, want, exact, split_cells, split_work, parts))
        running = [0] * len(pieces)  # cells found so far per piece (disjoint within a piece)
        log = {"master_tasks": len(jobs), "master_cpu": time.process_time() - master, "tasks": 0, "splits": 0,
               "cpu": [], "wall": [], "cells": [], "tags": [], "children": [], "bytes": [], "ambiguous": 0,
               "dropped": 0, "kept": 0}

        def on_result(value):
            log["tasks"] += 1
            log["cpu"].append(value.info["cpu"])
            log["wall"].append(value.info["wall"])
            log["tags"].append(value.info.get("tag"))
            log["ambiguous"] += value.info.get("ambiguous", 0)
            log["dropped"] += value.info.get("dropped", 0)
            log["kept"] += value.info.get("kept", 0)
            log["children"].append(len(value.jobs) if isinstance(value, Spawn) else 0)
            log["bytes"].append(value.info.get("bytes_out", 0))
            if isinstance(value, _Stopped):  # a task passed a limit: with all counted so far
                err = value.error
                reached = dict(err.reached, cells=sum(running) + int(err.reached.get("cells", 0)))
                raise RegionLimitError(f"the parallel enumeration stopped: {err}", err.limit, reached)
            cells = value.info.get("cells", 0) if isinstance(value, Spawn) else value.cells
            log["cells"].append(cells)
            if isinstance(value, Spawn):
                log["splits"] += 1
                if not cells:
                    return
                running[value.info["piece"]] += cells
            else:
                running[value.piece] += cells
            piece = value.info["piece"] if isinstance(value, Spawn) else value.piece
            if max_regions is not None and running[piece] > max_regions:
                raise RegionLimitError(
                    f"more than max_regions={max_regions} regions ({running[piece]} cells so far)",
                    "max_regions", {"cells": running[piece]},
                )
            hit = None if plan.limits is None else plan.limits.passed(count=sum(running), what="cells")
            if hit is not None:
                raise RegionLimitError(f"the parallel enumeration stopped: {hit[1]}", hit[0], hit[2])

        kept = want == "maps"
        leaves = map_tasks(_guarded, jobs, client=c, progress=plan.progress, on_result=on_result,
                           shared=(_count_task if streamed else _engine_task, pieces),
                           keep=_summary if kept else None)
        if stats is not None:
            stats.update(log, workers=workers)
        if codes and any((leaf.value if kept else leaf).value is None for leaf in leaves):
            raise _Uncertain
        if finish is not None:
            return finish(c, leaves, sum(running), log["ambiguous"])
    return leaves, sum(running), log["ambiguous"]


#: default ``split_work`` (vertex-list entries cut by a task before it splits; exact tasks get
#: 1/16 of it).  2^22, not 2^20: [6, 14, 14, 1] on [-5, 5]^6 on 2 workers ran 32 tasks, not 112
#: (the longest 0.2-0.3 s of CPU), in 0.94-1.01x the serial CPU time, not 1.11-1.40x (linear)
#: and 0.97-0.98x, not 1.16-1.22x (activation); streamed counts hold parts of a bounded size
#: whatever the budget
_SPLIT_WORK = 1 << 22

_TASK_OPTIONS = dict(tasks_per_worker=4, split_cells=None, split_work=_SPLIT_WORK, parts=2, stats=None)


def run_plan(plan) -> Any:
    """Run a parallel :class:`~tropnet.regions.plan.Plan` (``mode="parallel"``): its count or
    its regions, the same as the serial plan's.  The task options (``tasks_per_worker``,
    ``split_cells``, ``split_work``, ``parts``, ``stats``) are read from ``plan.options``.

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> run_plan(make_plan(tropnet.random_mlp([2, 6, 1], seed=3), want="count", mode="parallel"))
    22
    """
    kw = {k: plan.options.get(k, v) for k, v in _TASK_OPTIONS.items()}
    if plan.want == "count" and plan.kind == "activation" and plan.engine != "hrep":
        # an exact count needs no exact geometry: the certified float pass decides it
        plan._prune_stable()  # as the serial count: units of one sign on the domain are not cut
        leaves, total, ambiguous = _enumerate(plan, plan.exactness, want="count", **kw)
        if plan.domain.join:  # pieces of R^n: a cell met by several facets is one pattern
            rows = [leaf.value for leaf in leaves if len(leaf.value)]
            total = len(np.unique(row_keys(np.vstack(rows)))) if rows else 0
        # else: the tasks' cells are disjoint, their counts add up
        if total == 0:
            raise ValueError("the domain has no interior")
        _check_limit(total, plan.max_regions)
        warn_ambiguous(ambiguous)
        return int(total)
    if plan.want == "count" and plan.engine != "hrep":
        return _count_linear(plan, **kw)
    if plan.engine == "hrep":
        # the serial plan on the driver (stable units, merge, region set), its engine in parts
        # (all of R^n: the pieces' tasks at once)
        return run_hrep_plan(plan, parts=max(2, 4 * kw["tasks_per_worker"]), stats=kw["stats"])
    found = _found_parallel(plan, **kw)
    warn_ambiguous(found.ambiguous)
    if plan.want == "count" and plan.kind == "activation":
        return len(found)
    if plan.want == "count":
        return int(linear_labels(found).max()) + 1 if len(found) else 0
    return build_region_set(found, plan.kind)


def _count_linear(plan, **kw) -> int:
    """A linear count in one enumeration: each task keeps its cells on its worker and sends
    back their float maps; the driver groups all maps (:func:`~tropnet.regions.map_groups.
    map_groups`, as :func:`~tropnet.regions.geometry.linear_labels` does).  When no map comes
    near another, the linear regions are the cells (the usual case); otherwise the driver asks
    the tasks, inside the merge, for the unit facets or the vertex lists of the cells of the near
    groups only (:func:`~tropnet.regions.parallel_merge.merge_kept`)."""
    # as the serial count: units of one sign on the domain are not cut (exact: those 0 everywhere)
    plan._prune_stable(zero_only=plan.exact)

    def attempt(passes):
        return _enumerate(plan, passes, want="maps", finish=functools.partial(merge_kept, plan), **kw)

    return with_fallback(attempt, plan.exactness)


def _found_parallel(plan, **kw):
    dp = plan.domain
    # as the serial region sets: float ones do not cut the units of one sign on a bounded domain,
    # exact ones those 0 everywhere (their pattern columns put back by the tasks)
    plan._prune_stable(zero_only=plan.exact)

    # exact regions: the certified pass with tight codes (the fast exact geometry), as serially;
    # the rational pass when some decision is too close to call anywhere
    def attempt(passes):
        return _enumerate(plan, passes, want="found", **kw)

    leaves = with_fallback(attempt, plan.exactness)[0]
    found = join_pieces([leaf.value for leaf in leaves], dp.stages, dp.n, plan.exact, dp.A, dp.b)
    _check_limit(len(found), plan.max_regions)
    return found


def _driver_plan(obj, domain, want, kind, exact, max_regions, progress, parallel, client, options):
    return make_plan(obj, domain, want=want, kind=kind, exact=exact, max_regions=max_regions,
                     progress=progress, parallel=parallel, client=client, mode="parallel", **options)


def count_parallel(
    obj: Any,
    domain: Any = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool = False,
    parallel: str | None = "local",
    client: Any = None,
    tasks_per_worker: int = 4,
    split_cells: int | None = None,
    split_work: int | None = _SPLIT_WORK,
    parts: int = 2,
    stats: dict | None = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
) -> int:
    """:func:`~tropnet.count_linear_regions` on Dask; the same number as the serial call.

    The serial engine runs until there are ``2 x tasks_per_worker`` cells per worker (or its
    first layer is done), which are split into ``tasks_per_worker`` tasks per worker (at most
    fewer when there are fewer cells); a task that has cut more than ``split_work``
    vertex-list entries (summed over its units, a deterministic measure of its cost) or passes
    ``split_cells`` cells returns the rest of its work as ``parts`` new tasks.  Activation
    counts on a bounded domain stream inside each task (parts of at most ``split_cells`` cells,
    default :data:`~tropnet.regions.stream.STREAM_CELLS`, counted and released; a task given
    ``split_cells`` stops after its first part).  ``parallel=None`` runs the tasks one after
    another in this process (no dask needed).  ``stats``, a dict, receives the number of tasks
    and splits, the master's CPU time, and per task (in the order they returned) its CPU and
    wall time, cells counted, tasks and bytes handed on, and its tag (a task's tag extends its
    parent's), the bytes a linear count's tasks kept on their workers (``"kept"``), and
    (``"dropped"``) how many tasks of a linear count kept their cells' patterns
    only, past the kept-parts budget of their worker.  ``max_regions``, ``max_seconds`` and
    ``max_memory`` raise the serial call's ``RegionLimitError`` with the cells counted so far,
    checked by every task before every unit (memory per task) and by the driver as results
    arrive.

    >>> import tropnet
    >>> count_parallel(tropnet.random_mlp([2, 6, 1], seed=3), kind="activation", parallel=None)
    22
    """
    options = dict(tasks_per_worker=tasks_per_worker, split_cells=split_cells, split_work=split_work,
                   parts=parts, stats=stats, max_seconds=max_seconds, max_memory=max_memory)
    return run_plan(_driver_plan(obj, domain, "count", kind, exact, max_regions, progress, parallel, client,
                                 options))


def regions_parallel(
    obj: Any,
    domain: Any = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool = False,
    parallel: str | None = "local",
    client: Any = None,
    tasks_per_worker: int = 4,
    split_cells: int | None = None,
    split_work: int | None = _SPLIT_WORK,
    parts: int = 2,
    stats: dict | None = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
):
    """:func:`~tropnet.linear_regions` on Dask: the same regions as the serial call (in
    another order; compare them as sets of patterns).  The tasks are those of
    :func:`count_parallel`; they return their cells in the shared-array form, and the driver
    runs the linear merge over all of them (:func:`~tropnet.regions.geometry.linear_labels`;
    halfspaces and neighbours of the region set are computed on first use).

    >>> import tropnet
    >>> len(regions_parallel(tropnet.random_mlp([2, 6, 1], seed=3), parallel=None))
    22
    """
    options = dict(tasks_per_worker=tasks_per_worker, split_cells=split_cells, split_work=split_work,
                   parts=parts, stats=stats, max_seconds=max_seconds, max_memory=max_memory)
    return run_plan(_driver_plan(obj, domain, "regions", kind, exact, max_regions, progress, parallel, client,
                                 options))
