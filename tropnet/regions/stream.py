"""Streamed activation counts: the vertex engine's cells counted part by part and released,
so that memory does not grow with the count (issue 21).

The resumable engine (:mod:`tropnet.regions.refine`) is advanced until a state holds a few
thousand cells, split, and the parts run depth first; a finished part adds its number of cells
and is dropped.  The plan chooses this path for serial activation counts on bounded domains
(``Plan.streams``).
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

import numpy as np

from .._limits import progress_bar
from ..kernels.merge import row_keys
from . import resume
from .cells import Cells, check_passed
from .neighbours import facet_columns, facet_table
from .refine import (
    RefineProblem,
    RefineState,
    forecast,
    refine_advance,
    refine_split,
    refine_task,
)

__all__ = ["STREAM_CELLS", "STREAM_ENTRIES", "KeptBytes", "KeptParts", "PatternJoin", "count_parts",
           "last_unit_cells", "refine_count"]


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
    to this :class:`PatternJoin` (or a join with ``keeps_states``, which takes the finished
    states whose last unit was counted, not cut: ``add_state``).

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
    done = getattr(type(join), "done", None) is not None  # a join that may have all it wants
    # a join that takes whole states (add_state: a linear count's kept parts) lets the last
    # unit be counted, not cut, and cuts it later where it must
    keep = join is not None and getattr(join, "keeps_states", False)
    base = problem.counted  # cells a caller counted before (streamed or parallel drivers)
    try:
        while stack:
            if (max_work is not None and work > max_work) or (max_parts is not None and ran >= max_parts):
                break
            if done and join.done:
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
                                count_last=join is None or keep, keep_last=keep):
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
                amb = part.counts["ambiguous"] if isinstance(out, int) else out.ambiguous
                if join is not None:
                    # cells cut below float64 resolution, decisions left ambiguous (for a linear
                    # merge: known to the join before it takes the part)
                    join.thin += part.counts.get("thin", 0) if isinstance(out, int) else out.thin
                    join.ambiguous += amb
                    if keep and part.last is not None:  # the last unit counted, not cut: the state
                        join.add_state(part)
                    elif isinstance(out, int):  # (kept parts read their facets from the tight ids)
                        join.add(part.pool.X, part.pool.off, part.pool.ids, part.pool.pat,
                                 *((part.pool.T,) if keep else ()))
                    else:
                        join.add(out.vertex_coords, out.vertex_offsets, out.vertex_ids, out.patterns)
                total += n
                ambiguous += amb
                if bar is not None:
                    bar.update(n)
    finally:
        problem.counted = base
    return total, ambiguous, stack


class PatternJoin:
    """The number of distinct cells over several runs whose cells are joined by pattern (all
    of R^n: the facets of the homogenised cube, :func:`~tropnet.regions.domains.cube_facets`),
    counted as the runs stream; with ``facets`` (a float linear count of R^n) also the cells'
    unit facets (:meth:`joined`).

    One pattern is one cell (a cell is convex), and its pieces on the facets form one connected
    set, so a cell met on two facets reaches a side the facets share on each: its vertex lists
    there have a vertex on that side (exactly: a vertex on a box side keeps that coordinate
    exactly, in float too, since it is interpolated between two vertices on the side).  Cells
    without such a vertex are counted where they are met; only the patterns of the others are
    kept (a set that grows with the cells along the facets' shared sides, not with all cells;
    its repeats dropped whenever it has doubled).  Call :meth:`piece` before each run with its
    box and which of its sides are shared, and its ``problem``: the run's last unit is then
    counted, not cut (``keeps_states``, :meth:`add_state`), a cell it splits standing for its
    two halves, each taken to be on a shared side where the cell is (a half's vertex on a side
    lies on the cell's face there, which has a vertex of the cell: a half may be kept where it
    need not be, never missed).

    ``facets``: every cell also keeps its unit facets, the pattern columns met at its vertices
    as bits (:func:`~tropnet.regions.neighbours.facet_columns`, a few bytes per cell), a cell met
    on several facets the union of its pieces' (a unit facet of a cell of R^n is a cone of
    dimension n in the homogenised space, which meets the facets of the cube in a set of
    dimension n - 1: a facet of the cell's piece there), and whether it is simple (on every
    facet it is met on).  They serve the linear merge (:func:`~tropnet.regions.neighbours.
    tight_edges`) for the simple cells, where no cell is thin nor a decision ambiguous.

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
    ambiguous = 0  # (float decisions left in their tolerance band, counted by count_parts)

    def __init__(self, facets: bool = False) -> None:
        self.inner = 0  # cells away from every shared side, counted once
        self.facets = facets
        self.keeps_states = False
        self.problem: Any = None
        self.width = 0
        self.nbytes = 0  # (facets) the bytes held
        # (patterns, facet bits, simple) of the cells on a shared side (patterns as int32 rows,
        # or as bits with facets) and, with facets, of the others
        self._side: list = []
        self._inner: list = []
        self._held = self._unique = 0  # side cells held, and after the last drop of repeats
        self._box: tuple | None = None
        self._id_cols: np.ndarray | None = None

    def piece(self, lo, hi, lo_shared: np.ndarray, hi_shared: np.ndarray, problem: Any = None,
              id_cols: np.ndarray | None = None) -> None:
        """The box ``[lo, hi]`` of the next run (in its number type) and which of its sides
        ``x_k = lo_k`` / ``x_k = hi_k`` it shares with another run; ``problem``: the run's
        :class:`~tropnet.regions.refine.RefineProblem` (its last unit counted, not cut);
        ``id_cols``: the pattern column of each of its constraint ids (with ``facets``)."""
        if self.facets and (problem is None or id_cols is None):
            raise ValueError("a PatternJoin with facets needs each run's problem and id columns")
        self._box = (lo, hi, np.asarray(lo_shared, dtype=bool), np.asarray(hi_shared, dtype=bool))
        self.problem, self.keeps_states, self._id_cols = problem, problem is not None, id_cols

    def add(self, X, off, ids, patterns, T: np.ndarray | None = None) -> None:
        """The finished cells (vertex pool ``X``, CSR lists ``off``, ``ids``, ``patterns``; ``T``:
        the pool's tight ids, for the facets) of a part of the current run."""
        if len(off) <= 1:
            return
        facets = None
        if self.facets:
            facets = facet_columns(T, ids, off, self._id_cols, self.problem.d, skip=self._at_infinity(X))
        self._take(np.asarray(patterns), self._on_side(X, ids, off), facets)

    def add_state(self, state) -> None:
        """A finished part whose last unit was counted, not cut (``state.last``): its cells,
        each split one as its two halves (:func:`last_unit_cells`)."""
        pool = state.pool
        if pool.ncells == 0:
            return
        pat, parent = last_unit_cells(self.problem, state)
        facets = None
        if self.facets:
            si, j = state.last[:2]
            ucol = int(self._id_cols[self.problem.prog.unit_base[si] + j])
            facets = facet_columns(pool.T, pool.ids, pool.off, self._id_cols, self.problem.d,
                                   (*state.last_split, ucol), skip=self._at_infinity(pool.X))
            if not facets[1].all():  # the halves' facets not read from the signs: the unit cut
                resume.refine_cut_last(self.problem, state)
                pool = state.pool
                self.add(pool.X, pool.off, pool.ids, pool.pat, pool.T)
                return
        self._take(pat, self._on_side(pool.X, pool.ids, pool.off)[parent], facets)

    def _on_side(self, X, ids, off) -> np.ndarray:
        """Whether each cell has a vertex on a shared side."""
        lo, hi, lo_shared, hi_shared = self._box
        side = (((X == lo) & lo_shared) | ((X == hi) & hi_shared)).any(axis=1)
        return np.logical_or.reduceat(side[ids], off[:-1])

    def _at_infinity(self, X) -> np.ndarray:
        """Whether each vertex is on a side no other run shares (``t = 0``: at infinity)."""
        lo, hi, lo_shared, hi_shared = self._box
        return (((X == lo) & ~lo_shared) | ((X == hi) & ~hi_shared)).any(axis=1)

    def _take(self, P: np.ndarray, on: np.ndarray, facets: tuple | None) -> None:
        self.width = P.shape[1]
        self.inner += int(np.count_nonzero(~on))
        if facets is None:
            side = (np.ascontiguousarray(P[on], dtype=np.int32), None, None)
        else:
            words, simple = facets
            bits = np.packbits(P != 0, axis=1)
            if not on.all():
                self._inner.append((bits[~on], words[~on], simple[~on]))
                self.nbytes += sum(a.nbytes for a in self._inner[-1])
            side = (bits[on], words[on], simple[on])
            self.nbytes += sum(a.nbytes for a in side)
            if self.problem.limits is not None:  # the facets kept count as the engine's arrays
                check_passed(self.problem.limits, 0, self.nbytes)
        if on.any():
            self._side.append(side)
            self._held += len(side[0])
            if self._held > max(1 << 16, 2 * self._unique):  # drop repeats now and then
                self._drop_repeats()

    def _drop_repeats(self) -> None:
        if len(self._side) <= 1 and self._held == self._unique:
            return
        P = np.concatenate([s[0] for s in self._side])
        keys = row_keys(P)
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        first = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]])) if len(k) else np.zeros(0, np.int64)
        W = S = None
        if self.facets:  # a cell met on several facets: the union of its pieces' facets
            W = np.bitwise_or.reduceat(np.concatenate([s[1] for s in self._side])[order], first, axis=0)
            S = np.logical_and.reduceat(np.concatenate([s[2] for s in self._side])[order], first)
        before = sum(a.nbytes for s in self._side for a in s if a is not None)
        self._side = [(P[order[first]], W, S)]
        self._held = self._unique = len(first)
        if self.facets:
            self.nbytes += sum(a.nbytes for a in self._side[0]) - before

    @property
    def count(self) -> int:
        """The distinct cells so far."""
        self._drop_repeats()
        return self.inner + self._unique

    def joined(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(``facets``) The distinct cells so far: their patterns (int32 rows), their unit facets
        as bits (rows of :func:`~tropnet.regions.neighbours.facet_columns`' words) and whether
        each is simple."""
        self._drop_repeats()
        kept = self._inner + self._side
        if not kept:
            return (np.zeros((0, self.width), dtype=np.int32), np.zeros((0, 1), dtype=np.uint64),
                    np.zeros(0, dtype=bool))
        bits = np.concatenate([s[0] for s in kept])
        P = np.unpackbits(bits, axis=1, count=self.width).astype(np.int32)
        return P, np.concatenate([s[1] for s in kept]), np.concatenate([s[2] for s in kept])


def last_unit_cells(problem, state) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a finished state whose last unit was counted, not cut (``state.last``,
    ``state.last_split``): their patterns and the pool cell each comes from.  The pool's cells
    first (a cell the unit splits as its half with the unit off), then the halves with the unit
    on of the split cells (the rows of :func:`~tropnet.regions.neighbours.facet_columns` with
    ``last``).

    >>> import tropnet
    >>> from tropnet.regions import program, refine, resume
    >>> st = program.stages_from_network(tropnet.random_mlp([2, 4, 1], seed=1))
    >>> problem, state = refine.refine_start(st, 2, -np.ones(2), np.ones(2))
    >>> resume.refine_advance(problem, state, count_last=True, keep_last=True)
    True
    >>> P, parent = last_unit_cells(problem, state)
    >>> bool(len(P) == state.last_count and parent.max() == state.pool.ncells - 1)
    True
    """
    pool = state.pool
    si, j = state.last[:2]
    col = problem.prog.col_base[si] + j
    split, up, _ = state.last_split
    two = np.flatnonzero(split)
    pat = np.empty((pool.ncells + len(two), pool.pat.shape[1]), dtype=np.int32)
    pat[: pool.ncells] = pool.pat
    pat[: pool.ncells, col] = up & ~split  # a cell the unit does not split: on where it is positive
    pat[pool.ncells :] = pool.pat[two]
    pat[pool.ncells :, col] = 1
    return pat, np.concatenate([np.arange(pool.ncells), two])


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not a POSIX system
        return 0


def pack_patterns(P: np.ndarray) -> tuple:
    """Activation patterns (one row per cell) as they are kept or travel: 0/1 patterns as bits
    (a cell of 28 units in 4 bytes, not 112), others (maxout units) in the smallest integer
    type; :func:`unpack_patterns` gives them back as int32.

    >>> P = np.array([[0, 1, 1], [1, 0, 0]])
    >>> packed = pack_patterns(P)
    >>> packed[0], packed[2].nbytes, unpack_patterns(packed).tolist()
    ('bits', 2, [[0, 1, 1], [1, 0, 0]])
    """
    P = np.asarray(P)
    if P.size == 0 or (P.min() >= 0 and P.max() <= 1):
        return ("bits", P.shape, np.packbits(P.astype(bool), axis=1))
    small = np.uint8 if P.min() >= 0 and P.max() < 256 else np.int32
    return ("ints", P.shape, P.astype(small))


def unpack_patterns(packed: tuple) -> np.ndarray:
    """The int32 patterns of :func:`pack_patterns`."""
    kind, shape, data = packed
    if kind == "bits":
        return np.unpackbits(data, axis=1, count=shape[1]).astype(np.int32).reshape(shape)
    return data.astype(np.int32)


#: bytes of vertex lists and states a streamed linear count keeps before it keeps patterns only
#: (:class:`KeptParts`): an eighth of the machine's memory, at least 512 MiB.  Past it a network
#: whose regions merge pays a second enumeration ([6, 14, 14, 1] on [-5, 5]^6 keeps 1.6 GB:
#: 4.8 s whole, 9.6 s with a budget of 512 MiB), so the budget is only a guard against
#: memory that grows with the cells (an 8-input network's 406,175 cells: 9 GB)
KEPT_VERTEX_BYTES = max(512 * 2**20, _physical_memory() // 8)


class KeptBytes:
    """The bytes held by the :class:`KeptParts` of one process that share one budget (a Dask
    worker's linear-count tasks: their kept parts stay until the driver's merge is done).

    The count changes under a lock: a worker with several threads runs tasks side by side.
    (Re-entrant: a kept part freed by the garbage collector gives its bytes back from any
    point of a thread, even one inside :meth:`add`.)

    >>> held = KeptBytes()
    >>> held.add(10); held.release([4]); held.nbytes
    6
    """

    def __init__(self) -> None:
        self.nbytes = 0
        self._lock = threading.RLock()

    def add(self, nbytes: int) -> None:
        with self._lock:
            self.nbytes += nbytes

    def release(self, held: list) -> None:
        with self._lock:
            self.nbytes -= held[0]
            held[0] = 0


class KeptParts:
    """The finished parts of a streamed run, kept (the ``join`` of :func:`count_parts`, for a
    float linear count): their patterns put together, their vertex lists left where they are
    until the linear merge asks for those of a few cells (:meth:`fill`).

    A part's last unit (the run's last) is counted, not cut (``keeps_states``): the part's
    state is kept with the cells before it and which of them the unit splits
    (:attr:`~tropnet.regions.resume.RefineState.last_split`); each split cell stands for its
    two halves (the pattern with the unit off, then on).  A cell the merge asks for keeps its
    parent's vertex list where the unit does not split the parent; else the part's last unit
    is cut then (:func:`~tropnet.regions.resume.refine_cut_last`: the cells the run would
    have made) and the cell found by its pattern.

    ``id_cols`` (the pattern column of every constraint id, :func:`~tropnet.regions.codes.
    id_columns`; with ``rerun``): every part also keeps its cells' unit facets, a few bytes
    per cell (:func:`~tropnet.regions.neighbours.facet_columns`, read from the tight ids, the
    halves of the split cells from the last unit's signs), from which :meth:`fill_tight` hands
    the merge the neighbours of the cells it asks for; the parts keep their vertex lists only
    from the first part on whose facets cannot serve (a cell not simple, a cell cut below
    float64 resolution, a decision left ambiguous: :func:`~tropnet.regions.neighbours.
    tight_edges` then refuses).  A generic run keeps no vertex list at all: [7, 12, 12, 1] on
    [-5, 5]^7 kept 6.4 GB of them for its 449,247 cells, and holding them slowed its engine by
    half.

    Bounded memory: past ``budget`` bytes (:data:`KEPT_VERTEX_BYTES`, at most half of the
    run's ``max_memory``; with ``shared``, a :class:`KeptBytes`, the bytes of every KeptParts
    that shares it) the parts keep their patterns (and facets) only (an 8-input network's cells
    have hundreds of vertices each: [8, 12, 12, 1] on [-5, 5]^8 held 9 GB for 406,175 cells),
    and should the merge then ask for the vertex lists of cells whose part has none,
    ``rerun(join)`` runs the engine again and a join picks them by pattern (the run stops once
    it has them all).  Without ``rerun`` every part is kept.

    >>> import tropnet
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.refine import refine_start
    >>> problem, state = refine_start(stages_from_network(tropnet.random_mlp([3, 8, 8, 1], seed=1)), 3,
    ...                               -5 * np.ones(3), 5 * np.ones(3))
    >>> kept = KeptParts(problem)
    >>> n, _, _ = count_parts(problem, [state], budget=50, join=kept)
    >>> n == kept.ncells == len(kept.cells(0, 3)) == 580
    True
    """

    keeps_states = True

    def __init__(self, problem, rerun: Any = None, budget: int | None = None,
                 shared: KeptBytes | None = None, id_cols: np.ndarray | None = None) -> None:
        self.problem = problem
        # (X, off, ids, patterns, counted) per part (counted: see add_state); a part without
        # vertex lists: (None, None, None, packed patterns, None)
        self.parts: list = []
        self.width = 0
        self.limits = problem.limits  # max_memory: the kept parts count as the engine's arrays
        self.ncells = self.nbytes = 0
        self.thin = 0  # cells cut below float64 resolution (Cells.thin; set by count_parts)
        self.ambiguous = 0  # float decisions left in their tolerance band (set by count_parts)
        self.rerun = rerun
        mem = None if self.limits is None else self.limits.max_memory
        budget = KEPT_VERTEX_BYTES if budget is None else budget
        self.budget = budget if mem is None else min(budget, mem // 2)
        self.dropped = False  # past the budget: patterns (and facets) only
        self.top = 0.0  # the largest |coordinate| of the vertices of the cells of parts without lists
        self.shared = shared
        #: the pattern column of every constraint id: the parts keep their cells' facets
        self.id_cols = id_cols if rerun is not None else None
        self.facets: list = []  # (bits, simple) of each part's cells (facet_columns), with id_cols
        self.lists = self.id_cols is None  # whether the parts keep their vertex lists from now on
        self._held = [0]  # the bytes this object adds to ``shared`` (given back when it is freed)
        if shared is not None:
            weakref.finalize(self, shared.release, self._held)

    def __getstate__(self) -> dict:  # a copy in another process shares no budget
        return dict(self.__dict__, shared=None, _held=[0])

    def _count(self, nbytes: int) -> None:
        self.nbytes += nbytes
        if self.shared is not None:
            self.shared.add(nbytes)
            self._held[0] += nbytes

    def _keep(self, part: tuple, nbytes: int, facets: tuple | None = None) -> None:
        self.ncells += len(part[3])
        if facets is not None:
            self.facets.append(facets)
            if not self.lists and (self.thin or self.ambiguous or not facets[1].all()):
                self.lists = True  # the facets cannot serve the merge: vertex lists from here on
        if self.dropped or not self.lists:  # the part's patterns only, packed
            self.top = max(self.top, self._top([part]))
            part = _patterns_only(part)
            nbytes = part[3][2].nbytes
        self.parts.append(part)
        self._count(nbytes + (0 if facets is None else facets[0].nbytes + facets[1].nbytes))
        held = self.nbytes if self.shared is None else self.shared.nbytes
        if not self.dropped and held > self.budget and self.rerun is not None:
            self.dropped = True
            self.top = max(self.top, self._top())
            self.parts = [p if p[0] is None else _patterns_only(p) for p in self.parts]
            facets = sum(f[0].nbytes + f[1].nbytes for f in self.facets)
            self._count(sum(p[3][2].nbytes for p in self.parts) + facets - self.nbytes)
        check_passed(self.limits, self.ncells, self.nbytes)

    def _patterns(self) -> list:
        """The int32 patterns of each part."""
        return [unpack_patterns(p[3]) if p[0] is None else p[3] for p in self.parts]

    def _starts(self) -> np.ndarray:
        """The index of the first cell of each part (and the number of cells)."""
        return np.cumsum([0] + [p[3][1][0] if p[0] is None else len(p[3]) for p in self.parts])

    def add(self, X, off, ids, patterns, T: np.ndarray | None = None) -> None:
        """A finished part's cells (vertex pool ``X``, CSR lists ``off``, ``ids``, ``patterns``;
        ``T``: the pool's tight ids, for the facets)."""
        self.width = np.shape(patterns)[1] if np.ndim(patterns) == 2 else 0
        if len(off) <= 1:
            return
        X, off, ids = np.asarray(X, dtype=np.float64), np.asarray(off, dtype=np.int64), np.asarray(ids)
        facets = None
        if self.id_cols is not None:
            facets = facet_columns(T, ids, off, self.id_cols, self.problem.d)
        # a finished part's arrays are its own and dropped after this call: kept without copies
        part = (X, off, ids, np.asarray(patterns, dtype=np.int32), None)
        self._keep(part, sum(a.nbytes for a in part[:4]), facets)

    def add_state(self, state) -> None:
        """A finished part whose last unit was counted, not cut (``state.last``, ``last_split``):
        its cells, each split one as its two halves."""
        pool = state.pool
        self.width = pool.pat.shape[1]
        if pool.ncells == 0:
            return
        pat, parent = last_unit_cells(self.problem, state)
        split = state.last_split[0]
        facets = None
        if self.id_cols is not None:  # (the unit's column of the whole program: stable units put back)
            si, j = state.last[:2]
            ucol = int(self.id_cols[self.problem.prog.unit_base[si] + j])
            facets = facet_columns(pool.T, pool.ids, pool.off, self.id_cols, self.problem.d,
                                   (*state.last_split, ucol))
        halved = np.concatenate([split, np.ones(len(parent) - pool.ncells, dtype=bool)])
        part = (pool.X, pool.off, pool.ids, pat, (state, parent, halved))
        self._keep(part, state.nbytes + pat.nbytes + state.last[2].nbytes, facets)

    def cells(self, ambiguous: int, n: int) -> Cells:
        """Patterns of every cell, no vertex lists and no interior points (NaN until
        :meth:`fill` gives both to the cells that need them)."""
        C = self.ncells
        pats = self._patterns() or [np.zeros((0, self.width), np.int32)]
        no_lists = np.zeros(C + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return Cells(np.concatenate(pats), np.full((C, n), np.nan), np.zeros((0, n)), *no_lists,
                     ambiguous=ambiguous, thin=self.thin)

    def fill(self, found, cells: np.ndarray) -> None:
        """Give ``found`` the vertex lists and interior points (the average of the vertices, as
        the engine's own) of ``cells`` (sorted indices; every other cell keeps an empty list),
        and one unused vertex holding the largest coordinate of all cells' vertices, so the
        pool's scale (the facets' tolerance) is that of the whole run.  The cells of parts
        without vertex lists are picked from a second run (:meth:`_picked`)."""
        cells = np.asarray(cells, dtype=np.int64)
        listed = np.array([p[0] is not None for p in self.parts] + [False])
        has = listed[np.searchsorted(self._starts(), cells, side="right") - 1]
        blocks = self._kept(cells[has])
        if not has.all():
            blocks = _in_order(blocks + self._picked(cells[~has]))
        counts = np.zeros(len(found), dtype=np.int64)
        Xs = []
        for mine, cnt, Xc in blocks:
            Xs.append(Xc)
            counts[mine] = cnt
            found.points[mine] = np.add.reduceat(Xc, np.cumsum(cnt) - cnt, axis=0) / cnt[:, None]
        n = found.d
        top = np.zeros((1, n))
        top[0, 0] = max(self.top, self._top())
        X = np.concatenate(Xs + [top])
        found.vert_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        found.vert_ids = np.arange(len(X) - 1, dtype=np.int64)
        found.vert_X = X
        found.vert_t = np.ones(len(X))

    def fill_tight(self, found, cells: np.ndarray) -> None:
        """The unit facets of ``cells`` (sorted indices), from the parts' facets, as
        ``found.cache["tight"]`` (a bool table, one row per cell, read by
        :func:`~tropnet.regions.neighbours.tight_edges`: no coordinates needed); nothing
        without :attr:`id_cols`, or where a cell is not simple."""
        got = self.facet_words(cells)
        if got is None or not len(got[0]) or not got[1].all():
            return
        found.cache["tight"] = facet_table(got[0], found.patterns.shape[1])

    def facet_words(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The kept unit facets of ``cells`` (sorted indices): ``(words, simple)`` of
        :func:`~tropnet.regions.neighbours.facet_columns`, one row per cell (what a Dask task
        sends its driver's merge); ``None`` without :attr:`id_cols`."""
        if self.id_cols is None:
            return None
        cells = np.asarray(cells, dtype=np.int64)
        starts = self._starts()
        which = np.searchsorted(starts, cells, side="right") - 1
        words, simple = [], []
        for k in np.unique(which):
            loc = cells[which == k] - starts[k]
            words.append(self.facets[k][0][loc])
            simple.append(self.facets[k][1][loc])
        if not words:
            return np.zeros((0, 1), dtype=np.uint64), np.zeros(0, dtype=bool)
        return np.concatenate(words), np.concatenate(simple)

    def _kept(self, cells: np.ndarray) -> list:
        """``(cells, vertex counts, stacked vertex coordinates)`` per part, from the kept parts."""
        starts = self._starts()
        which = np.searchsorted(starts, cells, side="right") - 1
        blocks = []
        for k in np.unique(which):
            X, off, ids, pat, counted = self.parts[k]
            mine = cells[which == k]
            loc = mine - starts[k]
            if counted is not None:
                state, parent, halved = counted
                if halved[loc].any():  # the last unit cut now, the halves found by pattern
                    resume.refine_cut_last(self.problem, state)
                    pool = state.pool
                    X, off, ids = pool.X, pool.off, pool.ids
                    keys = row_keys(np.asarray(pool.pat, dtype=np.int32))
                    _, inv = np.unique(np.concatenate([keys, row_keys(pat)]), return_inverse=True)
                    inv = inv.ravel()
                    at = np.full(inv.max() + 1, -1, dtype=np.int64)
                    at[inv[: len(keys)]] = np.arange(len(keys))
                    where = at[inv[len(keys) :]]  # the cut's cell of each of the part's patterns
                    if (where < 0).any():  # pragma: no cover - the cut contradicts the count
                        raise RuntimeError("a cell counted at the last unit was not found when cut")
                    # the cut's lists in the order of the part's patterns, which index them from now on
                    cnt = np.diff(off)[where]
                    ids = ids[np.repeat(off[where] - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))]
                    off = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
                    self.parts[k] = (X, off, ids, pat, None)
                else:
                    loc = parent[loc]
            blocks.append((mine, *_vertex_lists(X, off, ids, loc)))
        return blocks

    def _picked(self, cells: np.ndarray) -> list:
        """The same blocks from a second run of the engine (for parts that kept patterns
        only), stopped once it has met every cell asked for."""
        pick = _Pick(np.concatenate(self._patterns())[cells], cells)
        self.rerun(pick)
        if pick.found != len(cells):  # pragma: no cover - the second run repeats the first
            raise RuntimeError(f"the repeated run met {pick.found} of the {len(cells)} cells it was to pick")
        return pick.blocks

    def _top(self, parts: list | None = None) -> float:
        """The largest |coordinate| of a vertex of a cell (the pools may hold unused ones; a cell
        of a part whose last unit was not cut has its parent's vertices, and the halves' new
        vertices lie between them)."""
        top = 0.0
        for X, _, ids, _, _ in self.parts if parts is None else parts:
            if X is not None and ids.size and max(float(X.max()), -float(X.min())) > top:
                used = np.zeros(len(X), dtype=bool)
                used[ids] = True
                top = max(top, float(np.abs(X[used]).max()))
        return top


def _in_order(blocks: list) -> list:
    """Blocks ``(cells, vertex counts, stacked coordinates)`` as one block in the order of the cells
    (:meth:`KeptParts.fill` lays the lists out in that order)."""
    if not blocks:
        return []
    mine, cnt, X = (np.concatenate(a) for a in zip(*blocks))
    order = np.argsort(mine, kind="stable")
    first, c = (np.cumsum(cnt) - cnt)[order], cnt[order]
    return [(mine[order], c, X[np.repeat(first - np.cumsum(c) + c, c) + np.arange(int(c.sum()))])]


def _patterns_only(part: tuple) -> tuple:
    """A kept part past the budget: its patterns only (:func:`pack_patterns`)."""
    return (None, None, None, pack_patterns(part[3]), None)


def _vertex_lists(X: np.ndarray, off: np.ndarray, ids: np.ndarray, loc: np.ndarray) -> tuple:
    """The vertex counts and the stacked vertex coordinates of the cells ``loc`` of one pool."""
    cnt = off[loc + 1] - off[loc]
    ent = np.repeat(off[loc] - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    # (np.take: a row gather 10x faster than fancy indexing of a 2-D array)
    return cnt, np.take(X, ids[ent], axis=0)


class _Pick:
    """A ``join`` for :func:`count_parts` that keeps the vertex lists of the cells with the
    patterns ``P`` (one row per cell; ``cells``: their indices), found by pattern (one pattern
    is one cell: a cell is convex); ``done`` once it has them all (the run stops there).
    ``embed``: the runs are facets of the homogenised cube, on each of which a cell may be met
    (never ``done``): its lists are kept from every run, as ``embed(coordinates)``, set before
    each run."""

    keeps_states = False
    ambiguous = 0

    def __init__(self, P: np.ndarray, cells: np.ndarray, embed: Any = None) -> None:
        self.embed = embed
        keys = row_keys(np.ascontiguousarray(P, dtype=np.int32))
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        self.cells = cells
        self.blocks: list = []
        self.found = 0
        self.thin = 0

    def add(self, X, off, ids, patterns) -> None:
        if len(off) <= 1 or not len(self.keys):
            return
        keys = row_keys(np.ascontiguousarray(patterns, dtype=np.int32))
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        rows = np.flatnonzero(self.keys[pos] == keys)
        if len(rows):
            X, off, ids = np.asarray(X, dtype=np.float64), np.asarray(off, dtype=np.int64), np.asarray(ids)
            cnt, Xc = _vertex_lists(X, off, ids, rows)
            if self.embed is not None:
                Xc = self.embed(Xc)
            self.blocks.append((self.cells[self.order[pos[rows]]], cnt, Xc))
            self.found += len(rows)

    @property
    def done(self) -> bool:
        return self.embed is None and self.found >= len(self.keys)


def _count_bar(progress: bool | None):
    """A tqdm bar of the cells counted (``None``: after 2 s), or ``None``."""
    return progress_bar(None, progress, "cells counted", "cell")
