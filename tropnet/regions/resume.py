"""The resumable vertex engine: the fixed part of a run (:class:`RefineProblem`), where it
stands (:class:`RefineState`) and the steps :func:`refine_start`, :func:`refine_advance` (unit
by unit, to a unit boundary), :func:`refine_split` (disjoint parts) and :func:`check_limits`.
Whole runs, their cells and the cells a certified pass sets aside are in
:mod:`tropnet.regions.refine` (``refine_finish``, ``refine_task``, ``refine``), which re-exports
these names; the algorithm is described there.

>>> from tropnet import random_mlp
>>> problem, state = refine_start(stages_from_network(random_mlp([2, 8, 1])), 2, -np.ones(2), np.ones(2))
>>> refine_advance(problem, state), state.ncells > 1
(True, True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._limits import Limits
from ..kernels.certify import CERT_DTYPE, SAFETY, UNIT_ROUNDOFF, gamma
from . import hrep as _hrep
from .cells import RegionLimitError
from .exactness import (
    _as_float,
    _forward_with_error,
    _NotDyadic,
    _stage_to_float,
    _stage_to_q,
    _to_q,
)
from .pool import _Pool, _used
from .program import (
    Stage,
    _magnitude_bounds,
    _magnitudes,
    _point_magnitudes,
    _Program,
    forward_stages,
    stages_from_network,  # noqa: F401 (the doctests')
)
from .ties import TieCertificate
from .vertex import CELL_FLOOR, NOISE_ULPS, _box_vertices, _Engine, _tick

_NOISE = NOISE_ULPS * 2.0**-53  # float mode: rounding noise, relative to the terms of a value

_CERT = CERT_DTYPE
_U = UNIT_ROUNDOFF
_SAFE = SAFETY

__all__ = [
    "RefineProblem",
    "RefineState",
    "refine_start",
    "refine_advance",
    "refine_split",
    "refine_cut_last",
    "check_limits",
    "forecast",
]


class RefineProblem:
    """The fixed part of one enumeration (the program in the engine's number type, its
    constraint ids, the clipping rows, the flags): what every piece of a split run shares,
    and what :mod:`tropnet.parallel` sends to each worker once.  Made by :func:`refine_start`.

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 3, 1])), 2, -np.ones(2), np.ones(2))
    >>> problem.d, problem.n_steps
    (2, 3)
    """

    def __init__(self, stages, prog, d, clipA, clipb, exact, certify, rtol, max_cells, exact_input,
                 tight_codes=False):
        self.stages = stages
        self.prog = prog
        self.d = d
        self.clipA, self.clipb = clipA, clipb
        self.nclip = 0 if clipA is None else len(clipA)
        self.exact = exact
        self.certify = certify
        self.rtol = rtol
        self.max_cells = max_cells
        self.exact_input = exact_input  # (stages, lo, hi, halfspaces) for the certified pass's fallback
        self.tight_codes = tight_codes  # exact runs: return Cells.vertex_codes (vertices simple)
        self.keep_tight = False  # float runs: return Cells.vertex_tight (the pool's tight ids)
        self.simple_codes = True  # tight codes only where every vertex is simple (see codes._codes)
        self.simple_only = False  # certified serial runs for tight codes: an exact tie hands over
        self.preset: dict = {}  # pattern column -> value of units fixed in advance (not cut)
        self.ambiguous = 0  # float: undecided decisions over the parts of a streamed count (refine_count)
        self.limits: Limits | None = None  # checked before every unit (see check_limits)
        self.counted = 0  # cells a streamed or parallel driver has already counted and released
        self.n_steps = self.nclip + sum(_units(st) * (st.groups.shape[1] if st.kind == "group" else 1)
                                        for st in stages)


class RefineState:
    """Where one run of the engine stands: the vertex pool with its cells and patterns, the
    position (``si``: the stage, ``-1`` while the clipping rows run; ``j``: the next unit or
    group in it) and the cells the certified pass set aside.  Split with :func:`refine_split`
    into states holding disjoint sets of cells; pickles (numpy arrays, python-flint rationals
    in exact mode, ``longdouble`` arrays in certified mode).

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 3, 1])), 2, -np.ones(2), np.ones(2))
    >>> state.ncells, state.position
    (1, (-1, 0))
    """

    def __init__(self, pool: _Pool, si: int = -1, j: int = 0, deferred: list | None = None):
        self.pool = pool
        self.si = si
        self.j = j
        self.deferred = [] if deferred is None else deferred
        # A part of a split run (float mode) sees only its own cells, so the scale of its
        # tolerance (the largest |value| of the unit over its cells) can be far below the whole
        # run's, down to rounding noise where a unit vanishes on all its cells.  Parts therefore
        # floor the scale by a bound on the magnitude of the terms that make up each unit's
        # value over the part's vertices (``floor``, per unit of the current layer, from
        # _magnitudes): rounding noise stays far below it.
        self.local = False
        self.floor: np.ndarray | None = None
        self.counts = {"ambiguous": 0}  # float decisions left inside their tolerance band
        self.coef: tuple | None = None  # float mode: _magnitude_bounds of the current layer
        self.work = 0  # vertex-list entries cut so far by this state (see refine_advance)
        self.last_count: int | None = None  # cells after the last unit, counted not cut (count_last)
        # ... and which cells it splits, which of the others it leaves on, and its sign at each
        # (cell, vertex) entry (count_last)
        self.last_split: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # keep_last: (stage, unit, its values at the pool's vertices, the layer's width), for
        # refine_cut_last
        self.last: tuple | None = None

    @property
    def ncells(self) -> int:
        """The number of cells the state holds."""
        return self.pool.ncells

    @property
    def entries(self) -> int:
        """The total length of its cells' vertex lists (the measure of its size and work)."""
        return int(self.pool.off[-1])

    @property
    def nbytes(self) -> int:
        """Bytes of the engine's own arrays for this state (vertex buffers, cell lists,
        patterns), what ``max_memory`` limits."""
        pool = self.pool
        arrays = (pool._X, pool._T, pool._Z, pool._E, pool.off, pool.ids, pool.pat)
        total = sum(a.nbytes for a in arrays if a is not None)
        if pool._X is not None and pool._X.dtype == object:  # python-flint rationals behind pointers
            total += 64 * pool._X.size + (64 * pool._Z.size if pool._Z is not None else 0)
        return int(total)

    @property
    def position(self) -> tuple[int, int]:
        """``(stage index, unit index)`` of the next unit (``(-1, r)``: clipping row ``r``)."""
        return self.si, self.j


def _units(st: Stage) -> int:
    if st.kind in ("threshold", "leaky"):
        return len(st.idx)
    if st.kind == "group":
        return int(st.groups.shape[0])
    return 0


def refine_start(
    stages: list[Stage],
    d: int,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    exact: bool = False,
    rtol: float = 1e-9,
    certify: bool = False,
    tight_codes: bool = False,
    preset: dict | None = None,
) -> tuple[RefineProblem, RefineState]:
    """The problem and the initial state (one cell: the box) of a run of :func:`refine`.

    ``certify=True`` with ``exact=True`` starts the certified float pass when every input is
    a float (else the rational pass); :func:`refine_advance` then raises ``_Uncertain`` on a
    decision too close to call, and the caller falls back to the rational pass.
    ``tight_codes`` is that of :func:`refine`; ``preset`` maps pattern columns to fixed values:
    those units are not cut (the caller's ``halfspaces`` confine the box to their sides).

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 3, 1])), 2, -np.ones(2), np.ones(2))
    >>> refine_advance(problem, state)
    True
    >>> from tropnet.regions.refine import refine_finish
    >>> len(refine_finish(problem, state))
    2
    """
    if d > _hrep.EXACT_MAX_DIM or _hrep.uses_hrep(d, exact or certify):
        raise ValueError(
            f"the vertex engine runs in input dimension <= {_hrep.HREP_DIM} "
            f"(exact: <= {_hrep.EXACT_MAX_DIM}; it "
            f"starts from the 2^d corners of the box), got {d}; above that the H-representation "
            "engine runs (tropnet.regions.hrep.refine_hrep: float runs, and exact runs with every "
            "decision exact)"
        )
    if certify and exact:
        try:
            return _start(
                [_stage_to_float(st) for st in stages],
                d,
                _as_float(lo).astype(_CERT),
                _as_float(hi).astype(_CERT),
                None
                if halfspaces is None
                else (_as_float(halfspaces[0]).astype(_CERT), _as_float(halfspaces[1]).astype(_CERT)),
                max_cells,
                False,
                rtol,
                True,
                (stages, lo, hi, halfspaces),
                tight_codes,
                preset,
            )
        except _NotDyadic:
            pass
    return _start(stages, d, lo, hi, halfspaces, max_cells, exact, rtol, False, None, tight_codes, preset)


def _start(stages, d, lo, hi, halfspaces, max_cells, exact, rtol, certify, exact_input, tight_codes, preset):
    if exact:
        lo = np.array([Fraction(v) for v in np.asarray(lo, dtype=object).ravel()], dtype=object)
        hi = np.array([Fraction(v) for v in np.asarray(hi, dtype=object).ravel()], dtype=object)
    else:
        lo = np.asarray(lo, dtype=_CERT if certify else np.float64).ravel()
        hi = np.asarray(hi, dtype=_CERT if certify else np.float64).ravel()
    if lo.shape != (d,) or hi.shape != (d,):
        raise ValueError(f"box bounds must have {d} entries, got {lo.shape} and {hi.shape}")
    if not np.all(hi > lo):
        raise ValueError("the box is empty or lower-dimensional (need lo < hi in every coordinate)")
    clipA = clipb = None
    nclip = 0
    if halfspaces is not None:
        clipA, clipb = halfspaces
        dtype = object if exact else (_CERT if certify else np.float64)
        if exact:
            clipA = np.array(
                [[Fraction(v) for v in row] for row in np.asarray(clipA, dtype=object)], dtype=object
            )
            clipb = np.array([Fraction(v) for v in np.asarray(clipb, dtype=object).ravel()], dtype=object)
        else:
            clipA = np.asarray(clipA, dtype=dtype)
            clipb = np.asarray(clipb, dtype=dtype).ravel()
        if clipA.ndim != 2 or clipA.shape[1] != d or clipb.shape != (clipA.shape[0],):
            raise ValueError(f"halfspaces must be (A, b) with A of shape (m, {d}) and b of shape (m,)")
        nclip = clipA.shape[0]
    prog = _Program(d, nclip, stages)
    if exact:
        # python-flint rationals are ~5x faster than Fraction in the element-wise loops
        lo, hi = _to_q(lo), _to_q(hi)
        if clipA is not None:
            clipA, clipb = _to_q(clipA), _to_q(clipb)
        stages = [_stage_to_q(st) for st in stages]
    X, T = _box_vertices(lo, hi, d, exact)
    pool = _Pool(
        X,
        T,
        np.array([0, 1 << d], dtype=np.int64),
        np.arange(1 << d, dtype=np.int64),
        np.zeros((1, prog.ncols), dtype=prog.pat_dtype),
    )
    if certify:
        pool._set_vertices(pool.X, pool.T, None, np.zeros((len(pool.X), 2), dtype=_CERT))
    problem = RefineProblem(stages, prog, d, clipA, clipb, exact, certify, rtol, max_cells, exact_input,
                            tight_codes and (certify or exact))
    problem.preset = dict(preset or {})
    if not (exact or certify or any(st.lossy for st in stages)):
        # float decisions below rounding noise are certified (regions.ties) -- unless the program
        # is only the float64 rounding of the network (its exact checks would not speak for it)
        problem.ties = TieCertificate(stages, prog, d, lo, hi, clipA, clipb)
        problem.box_scale = float(max(np.abs(lo).max(), np.abs(hi).max()))
    for col, value in problem.preset.items():
        pool.pat[:, col] = value
    return problem, RefineState(pool)


def _engine(problem: RefineProblem, state: RefineState) -> _Engine:
    p = problem
    eng = _Engine(state.pool, p.prog, p.exact, p.rtol, p.max_cells, certify=p.certify)
    eng.deferred = state.deferred
    eng.counts = state.counts
    eng.ties = getattr(p, "ties", None)
    eng.box_scale = getattr(p, "box_scale", 0.0)
    eng.zero_tight = bool(p.tight_codes) and not p.simple_codes and not p.prog.has_pairs
    if p.certify:
        eng.cert_ties = _cert_ties(p)
        eng.simple_only = p.simple_only
    return eng


def _cert_ties(problem: RefineProblem) -> TieCertificate:
    """The exact vertices and values of a certified run (:meth:`_Engine.step` decides the few
    signs within their bound with them), made once per problem on first use."""
    if getattr(problem, "cert_ties", None) is None:
        stages, lo, hi, halfspaces = problem.exact_input
        clipA, clipb = (None, None) if halfspaces is None else halfspaces
        problem.cert_ties = TieCertificate(stages, problem.prog, problem.d, lo, hi, clipA, clipb)
    return problem.cert_ties


def _settle(problem: RefineProblem, state: RefineState) -> bool:
    """Move the position past finished layers and affine stages; ``True`` when no unit is left."""
    pool = state.pool
    if pool.ncells == 0:
        state.si, state.j = len(problem.stages), 0
        return True
    if state.si < 0:
        if state.j < problem.nclip:
            return False
        state.si, state.j = 0, 0
    while state.si < len(problem.stages):
        st = problem.stages[state.si]
        if state.j < _units(st):
            return False
        if pool.Z is not None:
            pool.set_Z(None)  # the layer is done
        state.floor = None
        state.coef = None
        state.si, state.j = state.si + 1, 0
    return True


def _unit(problem: RefineProblem, state: RefineState, eng: _Engine, bar, count: bool = False) -> None:
    """Cut every cell of ``state`` by its next unit (or clipping row, or group); ``count``: the
    unit is the run's last (:func:`_count_last`): only count the cells it makes."""
    pool, prog, d = state.pool, problem.prog, problem.d
    certify = problem.certify
    if state.si < 0:
        r = state.j
        clipA, clipb = problem.clipA, problem.clipb
        s = (pool.X.dot(clipA[r]) - clipb[r])[pool.ids]
        err = None
        if certify:
            a1 = float(np.abs(clipA[r]).sum())
            mag = (np.abs(pool.X).dot(np.abs(clipA[r])) + abs(clipb[r]))[pool.ids]
            err = _SAFE * (a1 * pool.E[pool.ids, 0] + gamma(d + 1) * mag)
        if certify:
            eng.tie_target = ("clip", r)
        if not (certify or problem.exact):
            a = np.abs(np.asarray(clipA[r], dtype=np.float64))
            eng.mag_of = lambda e: (np.abs(pool.X[pool.ids[e]]).dot(a) + abs(float(clipb[r])),) * 2
            eng.tie_target = ("clip", r)
            eng.box_noise = _NOISE * (float(a.sum()) * eng.box_scale + abs(float(clipb[r])))
        eng.step(s, np.full(pool.ncells, 2 * d + r, dtype=np.int64), clip=True, on_tie_keep=None, err=err)
        eng.mag_of = None
        state.j += 1
        if pool.ncells:
            _tick(bar)
        return
    si, j = state.si, state.j
    st = problem.stages[si]
    if prog.col_base[si] + j in problem.preset:  # decided in advance: every cell is on its side
        state.j += 1
        _tick(bar, 1 if st.kind != "group" else st.groups.shape[1])
        return
    if pool.Z is None:  # a new layer: the pre-activations of the current vertices
        pool.compact(room=2.0)
        if certify:
            Z, ez = _forward_with_error(problem.stages[:si], pool.X, pool.E[:, 0])
            pool.set_Z(Z)
            pool.E[:, 1] = ez
        else:
            pool.set_Z(forward_stages(problem.stages[:si], pool.X))
    base, col = prog.unit_base[si], prog.col_base[si]
    local = state.local and not (problem.exact or certify)
    if local and state.floor is None:
        state.floor = _magnitudes(problem.stages[:si], pool.X)
    if not (problem.exact or certify) and state.coef is None:
        state.coef = _magnitude_bounds(problem.stages[:si], d)
    eng.coef = state.coef
    if st.kind in ("threshold", "leaky"):
        u = st.idx[j]
        level = st.param if st.kind == "threshold" else 0
        if local:
            eng.scale_floor = float(state.floor[u]) + abs(float(level))
        s = pool.Z[u][pool.ids] - level
        err = _SAFE * (pool.E[pool.ids, 1] + _U * np.abs(s)) if certify else None
        if certify:  # the exact level: a decision within its bound is taken at the exact vertex
            xst = problem.exact_input[0][si]
            eng.tie_target = ("unit", si, int(u), xst.param if st.kind == "threshold" else 0)
        eng.zcols = pool.zlive = np.asarray(st.idx[j + 1 :], dtype=np.int64)
        if eng.coef is not None:
            A, B = eng.coef
            def mag_of(e):
                # the terms at each vertex, coordinate by coordinate (floored like entry_norms: a
                # vertex carries the rounding error of its cell's longer edges), and over its cell
                c = eng.entry_norms(e)[1]
                M = np.maximum(np.abs(pool.X[pool.ids[e]]).astype(np.float64), CELL_FLOOR * c[:, None])
                v = _point_magnitudes(problem.stages[:si], M)[:, u]
                return v + abs(float(level)), A[u] * c + B[u] + abs(float(level))

            eng.mag_of = mag_of
            eng.tie_target = ("unit", si, int(u), level)
            eng.box_noise = _NOISE * (A[u] * eng.box_scale + B[u] + abs(float(level)))
        if count:  # the run's last unit, counted without cutting
            state.last_count = eng.count_step(s)
            state.last_split = eng.last_split
        else:
            eng.step(s, np.full(pool.ncells, base + j, dtype=np.int64), clip=False, col=col + j, err=err)
        eng.mag_of = None
        _tick(bar)
    else:
        k = st.groups.shape[1]
        eng.zcols = pool.zlive = None
        if local:
            eng.scale_floor = 2 * float(state.floor[st.groups[j]].max())
        eng.tie_target = ("pair", si) if eng.coef is not None else None
        eng.group(st.groups[j], col + j, base + j * k * k, k)
        _tick(bar, k)
    state.j += 1


def refine_advance(
    problem: RefineProblem,
    state: RefineState,
    *,
    max_cells: int | None = None,
    max_work: int | None = None,
    bar: Any = None,
    stop_stage: int | None = None,
    max_entries: int | None = None,
    count_last: bool = False,
    keep_last: bool = False,
) -> bool:
    """Run units on ``state`` until none is left (``True``) or, at a unit boundary after the
    clipping rows and after at least one unit, the state holds more than ``max_cells`` cells or
    this call has done more than ``max_work`` work, or the state's vertex lists are longer than
    ``max_entries`` in all (:attr:`RefineState.entries`), or the next unit belongs to stage
    ``stop_stage`` or a later one (``False``: continue it, or split it).  ``count_last``
    (count-only runs): the run's last unit, a ReLU-like unit of a float or rational run, is not
    cut but counted (:attr:`RefineState.last_count`: the cells it would make; a cell is split
    in two where the unit takes both signs on its vertices); the pool keeps the cells before
    it (:attr:`RefineState.last_split`: the cells it splits, those it leaves on, and its sign
    at each entry).
    ``keep_last``: the state also keeps the unit's values at its vertices, so that
    :func:`refine_cut_last` can still cut it.  The
    work of a unit is the length of the vertex lists it cuts (:attr:`RefineState.entries`), a
    deterministic measure of its cost: a stopped state is the same on every run and machine.

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 8, 1])), 2, -np.ones(2), np.ones(2))
    >>> refine_advance(problem, state, max_cells=4), state.ncells > 4
    (False, True)
    """
    eng = _engine(problem, state)
    pool = state.pool
    work = 0
    while not _settle(problem, state):
        if stop_stage is not None and state.si >= stop_stage:
            return False
        if work and state.si >= 0:
            if max_cells is not None and state.ncells > max_cells:
                return False
            if max_work is not None and work > max_work:
                return False
            if max_entries is not None and state.entries > max_entries:
                return False
        work += max(1, state.entries)
        state.work += max(1, state.entries)
        if problem.limits is not None:
            check_limits(problem, state)
        if count_last and _count_last(problem, state):
            si, j = state.si, state.j
            _unit(problem, state, eng, bar, count=True)
            if keep_last:
                u = int(problem.stages[si].idx[j])
                state.last = (si, j, pool.Z[u].copy(), pool.Z.shape[0])
            pool.set_Z(None)
            state.si, state.j = len(problem.stages), 0
            return True
        _unit(problem, state, eng, bar)
        if bar is not None:
            bar.note(forecast(problem, state))
    return True


def refine_cut_last(problem: RefineProblem, state: RefineState) -> None:
    """Cut the last unit that :func:`refine_advance` (``count_last``, ``keep_last``) only
    counted on ``state``: the cells come out as the run would have made them (the same values,
    the same tolerances, so the same decisions and :attr:`RefineState.last_count` cells).

    >>> from tropnet import random_mlp
    >>> st = stages_from_network(random_mlp([2, 6, 6, 1], seed=2))
    >>> problem, state = refine_start(st, 2, -np.ones(2), np.ones(2))
    >>> refine_advance(problem, state, count_last=True, keep_last=True)
    True
    >>> n = state.last_count
    >>> refine_cut_last(problem, state)
    >>> state.ncells == n
    True
    """
    si, j, z, width = state.last
    Z = np.zeros((state.pool.nV, width), dtype=z.dtype)
    Z[:, int(problem.stages[si].idx[j])] = z
    state.pool.set_Z(Z)
    state.si, state.j = si, j
    state.last = state.last_count = state.last_split = None
    refine_advance(problem, state)


def _count_last(problem: RefineProblem, state: RefineState) -> bool:
    """The next unit of a (settled) state is the run's last, and may be counted without cutting
    (a float or rational run, a ReLU-like unit, not decided in advance)."""
    si = state.si
    if problem.certify or si < 0:
        return False
    st = problem.stages[si]
    if st.kind not in ("threshold", "leaky") or state.j != _units(st) - 1:
        return False
    if problem.prog.col_base[si] + state.j in problem.preset:
        return False
    return all(_units(later) == 0 for later in problem.stages[si + 1 :])


def forecast(problem: RefineProblem, state: RefineState) -> str:
    """A rough forecast of a run's final number of cells, once it has done a whole activation
    layer or holds many cells: the growth per unit so far, assumed to keep its rate over the
    units left.  Said in the progress bar when it is huge (above :data:`HUGE_FORECAST`), else ``""``.

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 3, 1])), 2, -np.ones(2), np.ones(2))
    >>> forecast(problem, state)
    ''
    """
    if state.si < 0:
        return ""
    done, total = _decided_columns(problem, state), problem.prog.ncols
    first = next((problem.prog.col_base[i] + _units(st) for i, st in enumerate(problem.stages) if _units(st)),
                 total)
    if done <= 0 or state.ncells <= 1 or (done < first and state.ncells < FORECAST_CELLS):
        return ""
    guess = float(state.ncells) ** (total / done)
    # the growth of later layers is usually slower (an overestimate: [4, 24, 24, 1] on a box,
    # 30 409 cells, is forecast 7e6 after its first layer), so only a forecast far beyond is said
    return f"forecast up to ~{guess:.0e} cells: may be a huge run" if guess > HUGE_FORECAST else ""


#: a run forecasts its final count once it has done one activation layer, or holds this many cells
FORECAST_CELLS = 1 << 15
#: a forecast above this many cells is said in the progress bar
HUGE_FORECAST = 1e8


def check_limits(problem: RefineProblem, state: RefineState, extra_cells: int = 0) -> None:
    """Raise :class:`RegionLimitError` when a limit of ``problem.limits`` is passed: the cells
    counted so far (``problem.counted``) plus those held (``state`` and ``extra_cells``), the
    seconds since the run started, or the bytes the next unit would hold (the state's arrays
    plus one cut's scratch: keys, gathers and new vertices of every entry, about ``8 (d + 4)``
    bytes each)."""
    limits = problem.limits
    held = problem.counted + state.ncells + extra_cells
    nbytes = state.nbytes + 8 * (problem.d + 4) * state.entries
    hit = limits.passed(count=held, nbytes=nbytes, what="cells")
    if hit is not None:
        name, message, reached = hit
        reached["position"] = state.position
        raise RegionLimitError(f"the enumeration stopped: {message}", name, reached)


def refine_split(state: RefineState, parts: int) -> list[RefineState]:
    """``state`` as up to ``parts`` states holding disjoint runs of its cells, balanced by the
    total length of their vertex lists; each keeps only its own cells' vertices.  Advancing
    every part to the end gives, together, the cells of the unsplit run (the units act on every
    cell separately).  Cells the certified pass set aside go with the first part.

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 8, 1])), 2, -np.ones(2), np.ones(2))
    >>> _ = refine_advance(problem, state, max_cells=4)
    >>> parts = refine_split(state, 2)
    >>> sum(p.ncells for p in parts) == state.ncells
    True
    """
    pool = state.pool
    C = pool.ncells
    if C == 0:  # nothing to share out (cells set aside by the certified pass stay with it)
        return [state]
    k = max(1, min(int(parts), C))
    total = int(pool.off[-1])
    # the cell boundary nearest to each equal share of the entries, inside (0, C): two parts at least
    target = total * np.arange(1, k) / k
    cuts = np.clip(np.searchsorted(pool.off, target), 1, C - 1)
    nearer = np.abs(pool.off[cuts - 1] - target) < np.abs(pool.off[cuts] - target)
    cuts = np.clip(cuts - nearer, 1, C - 1)
    bounds = np.unique(np.r_[0, cuts, C])
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        e0, e1 = pool.off[a], pool.off[b]
        # the part's vertices in pool order, renumbered, with room to grow (a part about
        # doubles before it is split again)
        used, inv = _used(pool.nV, pool.ids[e0:e1])
        sub = pool.subset(used)
        sub.off, sub.ids, sub.pat = pool.off[a : b + 1] - e0, inv, pool.pat[a:b].copy()
        part = RefineState(sub, state.si, state.j, list(state.deferred) if not out else [])
        part.local = True
        if not out:
            part.counts = dict(state.counts)
        out.append(part)
    return out


def _decided_columns(problem: RefineProblem, state: RefineState) -> int:
    """The number of leading pattern columns a (settled) state has decided."""
    if state.si < 0:
        if state.j:
            raise ValueError("a state inside the clipping rows has no pattern polytope")
        return 0
    if state.si >= len(problem.stages):
        return problem.prog.ncols
    return problem.prog.col_base[state.si] + state.j
