"""Layer-wise refinement of a box into activation cells, in the vertex representation.

Every cell is a convex polytope kept as a list of ids into one shared, append-only pool of
vertices.  Each vertex carries its coordinates, the ids of the constraints tight at it
(sorted, padded) and the current layer's pre-activations.  One unit splits *all* cells at
once: a cell splits iff its vertices lie strictly on both sides of the unit's hyperplane
(per-cell max/min with ``reduceat``); the crossing edges are the pairs of vertices on
opposite sides that share all but one tight constraint (found for all cells at once by
sorting hashed keys); each new vertex is shared by both children.  No LP is solved.

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

import pickle
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels.certify import CERT_DTYPE, SAFETY, UNIT_ROUNDOFF, affine_error, gamma, interpolation_error
from ..networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from ..networks.network import Network
from .cells import Cells

__all__ = [
    "enumerate_cells",
    "RegionLimitError",
    "Stage",
    "stages_from_network",
    "RefineProblem",
    "RefineState",
    "refine_start",
    "refine_advance",
    "refine_split",
    "refine_finish",
    "refine_task",
]

_PAD = np.iinfo(np.int32).max
_MIX = np.uint64(0x9E3779B97F4A7C15)


class RegionLimitError(ValueError):
    """Raised when an enumeration would exceed its ``max_regions``/``max_cells`` limit.

    >>> issubclass(RegionLimitError, ValueError)
    True
    """


@dataclass(frozen=True)
class Stage:
    """One step of the internal program: ``affine`` (``z -> W z + b``) or an activation on
    the entries ``idx`` of the current vector (``threshold`` with level ``param``,
    ``leaky`` with slope ``param``) or ``group`` (outputs ``max`` over each row of ``groups``,
    then the entries ``idx`` passed through unchanged).

    >>> Stage("threshold", idx=np.arange(3), param=0.0).kind
    'threshold'
    """

    kind: str
    W: Any = None
    b: Any = None
    idx: Any = None
    param: Any = None
    groups: Any = None


def stages_from_network(net: Network, *, exact: bool = False, homogeneous: bool = False) -> list[Stage]:
    """The internal program of a lowered network.

    With ``homogeneous=True`` the program acts on ``(x, t)`` and computes ``t f(x / t)``
    (every bias and threshold multiplied by ``t``, which is carried through unchanged).

    >>> from tropnet import random_mlp
    >>> [s.kind for s in stages_from_network(random_mlp([2, 3, 1]))]
    ['affine', 'threshold', 'affine']
    """
    net = net.lowered()
    if exact:
        net = net.to_exact()
    n = net.input_dim
    width = n
    out: list[Stage] = []
    zero = Fraction(0) if exact else 0.0
    one = Fraction(1) if exact else 1.0

    def arr(a):
        if exact:
            return np.array(a, dtype=object)
        return np.asarray(a, dtype=np.float64)

    for layer in net.layers:
        if isinstance(layer, Linear):
            W = layer.weight if exact else layer.float_weight
            b = layer.bias if exact else layer.float_bias
            if homogeneous:
                m, k = W.shape
                Wh = np.empty((m + 1, k + 1), dtype=object if exact else np.float64)
                Wh[:] = zero
                Wh[:m, :k] = W
                Wh[:m, k] = b
                Wh[m, k] = one
                out.append(Stage("affine", W=Wh, b=arr([zero] * (m + 1))))
            else:
                out.append(Stage("affine", W=arr(W), b=arr(b)))
            width = W.shape[0]
        elif isinstance(layer, Threshold):
            t = layer.t if exact else float(layer.t)
            idx = np.arange(width)
            if homogeneous and t != 0:
                # max(z, t c) = t c + max(z - t c, 0)
                shift = np.zeros((width + 1, width + 1), dtype=object if exact else np.float64)
                shift[:] = zero
                for i in range(width + 1):
                    shift[i, i] = one
                shift[:width, width] = -t
                out.append(Stage("affine", W=shift, b=arr([zero] * (width + 1))))
                out.append(Stage("threshold", idx=idx, param=zero))
                back = shift.copy()
                back[:width, width] = t
                out.append(Stage("affine", W=back, b=arr([zero] * (width + 1))))
            else:
                out.append(Stage("threshold", idx=idx, param=zero if homogeneous else t))
        elif isinstance(layer, LeakyReLU):
            a = layer.alpha if exact else float(layer.alpha)
            out.append(Stage("leaky", idx=np.arange(width), param=a))
        elif isinstance(layer, GroupMax):
            g = np.asarray(layer.groups, dtype=np.int64)
            out.append(Stage("group", groups=g, idx=np.array([width]) if homogeneous else np.zeros(0, int)))
            width = g.shape[0]
        else:  # pragma: no cover - lowered() guarantees primitives
            raise TypeError(f"unsupported layer {layer!r}")
    return out


def _apply(st: Stage, z: np.ndarray) -> np.ndarray:
    if st.kind == "affine":
        return z.dot(st.W.T) + st.b
    if st.kind == "threshold":
        z = z.copy()
        sub = z[:, st.idx]
        z[:, st.idx] = np.where(sub > st.param, sub, st.param)
        return z
    if st.kind == "leaky":
        z = z.copy()
        sub = z[:, st.idx]
        z[:, st.idx] = np.where(sub > 0, sub, st.param * sub)
        return z
    g = z[:, st.groups].max(axis=2)
    return np.concatenate([g, z[:, st.idx]], axis=1) if len(st.idx) else g


def forward_stages(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Run an internal program on a batch of points.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> forward_stages(stages_from_network(net), np.array([[-2.0]])).tolist()
    [[2.0]]
    """
    z = X
    for st in stages:
        z = _apply(st, z)
    return z


# --------------------------------------------------------------------------- the engine


class _Pool:
    """Append-only vertex pool plus cells as CSR lists of vertex ids."""

    def __init__(self, X, T, off, ids, pat):
        self._set_vertices(X, T, None)
        self.off = off  # (C + 1,) int64
        self.ids = ids  # (nnz,) int64
        self.pat = pat  # (C, U) int32

    def __getstate__(self) -> dict:
        # the filled part of the buffers only (a pickled view would carry the whole buffer), and
        # of Z only the rows still to be read
        Z = self.Z
        rows = None if Z is None or self.zlive is None else np.asarray(self.zlive, dtype=np.int64)
        return {"X": self.X, "T": self.T, "Z": Z if rows is None else Z[rows], "zrows": rows,
                "zdim": None if Z is None else Z.shape[0], "E": self.E, "off": self.off, "ids": self.ids,
                "pat": self.pat}

    def __setstate__(self, s: dict) -> None:
        def own(a):  # Dask may hand back read-only arrays; the pool writes in place
            return a if a is None or a.flags.writeable else a.copy()

        Z, rows = s["Z"], s.get("zrows")
        if rows is not None:
            full = np.zeros((s["zdim"], Z.shape[1]), dtype=Z.dtype)  # rows already cut: never read
            full[rows] = Z
            Z = full
        self._set_vertices(own(s["X"]), own(s["T"]), own(Z), own(s["E"]))
        self.zlive = rows
        self.off, self.ids, self.pat = own(s["off"]), own(s["ids"]), own(s["pat"])

    # X (V, d) coordinates, T (V, w) int32 tight ids (sorted, padded with _PAD), Z (m, V)
    # current pre-activations, one row per unit: views of growable buffers (capacity doubles
    # on append).  Z is stored by rows so that a grow copies only the rows still to be read
    # (``zlive``) and the rows of units already cut are never touched again.
    def _set_vertices(self, X, T, Z, E=None) -> None:
        self._X, self._T, self._Z = X, T, Z
        self.zlive = None  # rows of Z still needed (None: all)
        self._E = E  # (V, 2) rigorous error bounds of X and Z (certified mode), or None
        self.nV = len(X)
        self._views()

    def _views(self) -> None:
        n = self.nV
        self.X = self._X[:n]
        self.T = self._T[:n]
        self.Z = None if self._Z is None else self._Z[:, :n]
        self.E = None if self._E is None else self._E[:n]

    def set_Z(self, Z) -> None:
        """Store the pre-activations ``Z`` (V, m) of all vertices (``None`` drops them)."""
        self._Z = None
        self.zlive = None
        if Z is not None:
            self._Z = np.empty((Z.shape[1], len(self._X)), dtype=Z.dtype)
            self._Z[:, : self.nV] = Z.T
        self._views()

    def widen(self, w: int) -> None:
        if w > self._T.shape[1]:
            extra = np.full((len(self._T), w - self._T.shape[1]), _PAD, dtype=np.int32)
            self._T = np.hstack([self._T, extra])
            self._views()

    def append(self, Xn, Tn, Zn, En=None) -> None:
        nv = len(Xn)
        need = self.nV + nv
        if need > len(self._X):
            cap = max(need, 2 * len(self._X))

            def grow(a):
                out = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
                out[: self.nV] = a[: self.nV]
                return out

            self._X = grow(self._X)
            self._T = grow(self._T)
            if self._Z is not None:
                Zb = np.empty((self._Z.shape[0], cap), dtype=self._Z.dtype)
                rows = slice(None) if self.zlive is None else self.zlive
                Zb[rows, : self.nV] = self._Z[rows, : self.nV]
                self._Z = Zb
            if self._E is not None:
                self._E = grow(self._E)
        self._X[self.nV : need] = Xn
        if self._E is not None:
            self._E[self.nV : need] = En
        self._T[self.nV : need] = Tn
        if self._Z is not None:
            rows = slice(None) if self.zlive is None else self.zlive
            self._Z[rows, self.nV : need] = Zn
        self.nV = need
        self._views()

    @property
    def ncells(self) -> int:
        return len(self.off) - 1

    def entry_cell(self) -> np.ndarray:
        return np.repeat(np.arange(self.ncells), np.diff(self.off))

    def compact(self) -> None:
        mark = np.zeros(self.nV, dtype=bool)
        mark[self.ids] = True
        used = np.flatnonzero(mark)
        remap = np.cumsum(mark) - 1
        inv = remap[self.ids]
        self._set_vertices(
            self.X[used],
            self.T[used],
            None if self.Z is None else self.Z[:, used],
            None if self.E is None else self.E[used],
        )
        self.ids = inv.astype(np.int64)

    def add_tight(self, vids: np.ndarray, cid: np.ndarray) -> None:
        """Record constraint ``cid[i]`` as tight at vertex ``vids[i]`` (ids grow over time,
        so appending keeps rows sorted)."""
        if len(vids) == 0:
            return
        key = vids.astype(np.int64) * (1 << 31) + cid
        key = np.unique(key)
        vids, cid = key >> 31, (key & ((1 << 31) - 1)).astype(np.int32)
        # skip ids already present
        present = (self.T[vids] == cid[:, None]).any(axis=1)
        vids, cid = vids[~present], cid[~present]
        if len(vids) == 0:
            return
        order = np.argsort(vids, kind="stable")
        vids, cid = vids[order], cid[order]
        first = np.r_[True, vids[1:] != vids[:-1]]
        rank = np.arange(len(vids)) - np.maximum.accumulate(np.where(first, np.arange(len(vids)), 0))
        cnt = (self.T[vids] != _PAD).sum(axis=1)
        pos = cnt + rank
        need = int(pos.max()) + 1
        self.widen(need)
        self.T[vids, pos] = cid
        self.T[np.unique(vids)] = np.sort(self.T[np.unique(vids)], axis=1)


class _Program:
    """Constraint ids, pattern columns and hash values for one enumeration."""

    def __init__(self, d: int, nclip: int, stages: list[Stage]):
        self.d = d
        n_ids = 2 * d + nclip
        self.unit_base: list[int] = []
        self.col_base: list[int] = []
        self.unit_ranges: list[tuple[int, int, int]] = []  # (first id, first column, units)
        ncol = 0
        id_group: list[np.ndarray] = [np.full(n_ids, -1, dtype=np.int64)]
        id_a: list[np.ndarray] = [np.zeros(n_ids, dtype=np.int64)]
        id_b: list[np.ndarray] = [np.zeros(n_ids, dtype=np.int64)]
        for st in stages:
            if st.kind in ("threshold", "leaky"):
                m = len(st.idx)
                self.unit_ranges.append((n_ids, ncol, m))
                self.unit_base.append(n_ids)
                self.col_base.append(ncol)
                id_group.append(np.full(m, -1, dtype=np.int64))
                id_a.append(np.zeros(m, dtype=np.int64))
                id_b.append(np.zeros(m, dtype=np.int64))
                n_ids += m
                ncol += m
            elif st.kind == "group":
                G, k = st.groups.shape
                self.unit_base.append(n_ids)
                self.col_base.append(ncol)
                a, b = np.divmod(np.arange(k * k), k)
                id_group.append(np.repeat(ncol + np.arange(G), k * k))
                id_a.append(np.tile(a, G))
                id_b.append(np.tile(b, G))
                n_ids += G * k * k
                ncol += G
            else:
                self.unit_base.append(-1)
                self.col_base.append(-1)
        if n_ids >= (1 << 31) - 1:
            raise ValueError(f"too many constraints for the vertex engine ({n_ids})")
        self.ncols = ncol
        self.id_col = np.concatenate(id_group)  # pattern column of a pair id, -1 otherwise
        self.id_a = np.concatenate(id_a)
        self.id_b = np.concatenate(id_b)
        self.has_pairs = bool((self.id_col >= 0).any())
        rng = np.random.default_rng(12345)
        self.R = rng.integers(0, np.iinfo(np.uint64).max, size=n_ids + 1, dtype=np.uint64, endpoint=False)
        self.R[-1] = 0  # hash of the padding (index -1 after masking)


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


def _box_vertices(lo, hi, d, exact):
    bits = ((np.arange(1 << d)[:, None] >> np.arange(d)[None, :]) & 1).astype(bool)
    dtype = object if exact else np.asarray(lo).dtype
    X = np.where(bits, np.asarray(hi, dtype=dtype)[None, :], np.asarray(lo, dtype=dtype)[None, :])
    X = X.astype(dtype)
    T = np.where(bits, np.arange(d)[None, :], d + np.arange(d)[None, :]).astype(np.int32)
    T.sort(axis=1)
    return X, T


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
    constraint), and after the rational pass when its vertices are.

    This is :func:`refine_start`, :func:`refine_advance` to the end and :func:`refine_finish`
    (the resumable form of the same loop, used by :mod:`tropnet.parallel`)."""
    if d > HREP_DIM and not (exact or certify):
        return refine_hrep(stages, d, lo, hi, halfspaces=halfspaces, max_cells=max_cells, rtol=rtol)
    kw = dict(halfspaces=halfspaces, max_cells=max_cells, exact=exact, rtol=rtol, tight_codes=tight_codes,
              preset=_preset)
    problem, state = refine_start(stages, d, lo, hi, certify=certify, **kw)
    try:
        return _run_to_end(problem, state, progress)
    except _Uncertain:  # a sign too close to call: the rational pass decides everything
        problem, state = refine_start(stages, d, lo, hi, certify=False, **kw)
        return _run_to_end(problem, state, progress)


def _run_to_end(problem: RefineProblem, state: RefineState, progress: bool | None) -> Cells:
    bar = _progress_bar(problem.n_steps, progress)
    try:
        refine_advance(problem, state, bar=bar)
    finally:
        if bar is not None:
            bar.close()
    return refine_finish(problem, state)


# --------------------------------------------------------------------------- resumable runs
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
        self.preset: dict = {}  # pattern column -> value of units fixed in advance (not cut)
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

    @property
    def ncells(self) -> int:
        """The number of cells the state holds."""
        return self.pool.ncells

    @property
    def entries(self) -> int:
        """The total length of its cells' vertex lists (the measure of its size and work)."""
        return int(self.pool.off[-1])

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
    >>> len(refine_finish(problem, state))
    2
    """
    if d > EXACT_MAX_DIM or (d > HREP_DIM and not (exact or certify)):
        raise ValueError(
            f"the vertex engine runs in input dimension <= {HREP_DIM} (exact: <= {EXACT_MAX_DIM}; it "
            f"starts from the 2^d corners of the box), got {d}; above that, float runs use the "
            "H-representation engine (exact=False)"
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
        np.zeros((1, prog.ncols), dtype=np.int32),
    )
    if certify:
        pool._set_vertices(pool.X, pool.T, None, np.zeros((len(pool.X), 2), dtype=_CERT))
    problem = RefineProblem(stages, prog, d, clipA, clipb, exact, certify, rtol, max_cells, exact_input,
                            tight_codes and (certify or exact))
    problem.preset = dict(preset or {})
    for col, value in problem.preset.items():
        pool.pat[:, col] = value
    return problem, RefineState(pool)


def _engine(problem: RefineProblem, state: RefineState) -> _Engine:
    p = problem
    eng = _Engine(state.pool, p.prog, p.exact, p.rtol, p.max_cells, certify=p.certify)
    eng.deferred = state.deferred
    return eng


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
        state.si, state.j = state.si + 1, 0
    return True


def _unit(problem: RefineProblem, state: RefineState, eng: _Engine, bar) -> None:
    """Cut every cell of ``state`` by its next unit (or clipping row, or group)."""
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
        eng.step(s, np.full(pool.ncells, 2 * d + r, dtype=np.int64), clip=True, on_tie_keep=None, err=err)
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
        pool.compact()
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
    if st.kind in ("threshold", "leaky"):
        u = st.idx[j]
        level = st.param if st.kind == "threshold" else 0
        if local:
            eng.scale_floor = float(state.floor[u]) + abs(float(level))
        s = pool.Z[u][pool.ids] - level
        err = _SAFE * (pool.E[pool.ids, 1] + _U * np.abs(s)) if certify else None
        eng.zcols = pool.zlive = np.asarray(st.idx[j + 1 :], dtype=np.int64)
        eng.step(s, np.full(pool.ncells, base + j, dtype=np.int64), clip=False, col=col + j, err=err)
        _tick(bar)
    else:
        k = st.groups.shape[1]
        eng.zcols = pool.zlive = None
        if local:
            eng.scale_floor = 2 * float(state.floor[st.groups[j]].max())
        eng.group(st.groups[j], col + j, base + j * k * k, k)
        _tick(bar, k)
    state.j += 1


def _magnitudes(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Per entry of the program's current vector, a bound on the magnitude of the terms summed
    to compute it at the points ``X`` (``|W| m + |b|`` through the affine maps, from the largest
    ``|x_i|``): the scale of the rounding error in the float pre-activations.  Vector
    arithmetic only, so it costs nothing next to a layer."""
    m = np.abs(X).max(axis=0).astype(np.float64) if len(X) else np.zeros(X.shape[1])
    for st in stages:
        if st.kind == "affine":
            m = np.abs(np.asarray(st.W, dtype=np.float64)).dot(m) + np.abs(np.asarray(st.b, dtype=np.float64))
        elif st.kind == "threshold":
            m = m.copy()
            m[st.idx] = np.maximum(m[st.idx], abs(float(st.param)))
        elif st.kind == "leaky":
            m = m.copy()
            m[st.idx] *= max(1.0, abs(float(st.param)))
        else:
            g = m[st.groups].max(axis=1)
            m = np.concatenate([g, m[st.idx]]) if len(st.idx) else g
    return m


def refine_advance(
    problem: RefineProblem,
    state: RefineState,
    *,
    max_cells: int | None = None,
    max_work: int | None = None,
    bar: Any = None,
    stop_stage: int | None = None,
) -> bool:
    """Run units on ``state`` until none is left (``True``) or, at a unit boundary after the
    clipping rows and after at least one unit, the state holds more than ``max_cells`` cells or
    this call has done more than ``max_work`` work, or the next unit belongs to stage
    ``stop_stage`` or a later one (``False``: continue it, or split it).  The
    work of a unit is the length of the vertex lists it cuts (:attr:`RefineState.entries`), a
    deterministic measure of its cost: a stopped state is the same on every run and machine.

    >>> from tropnet import random_mlp
    >>> problem, state = refine_start(stages_from_network(random_mlp([2, 8, 1])), 2, -np.ones(2), np.ones(2))
    >>> refine_advance(problem, state, max_cells=4), state.ncells > 4
    (False, True)
    """
    eng = _engine(problem, state)
    work = 0
    while not _settle(problem, state):
        if stop_stage is not None and state.si >= stop_stage:
            return False
        if work and state.si >= 0:
            if max_cells is not None and state.ncells > max_cells:
                return False
            if max_work is not None and work > max_work:
                return False
        work += max(1, state.entries)
        _unit(problem, state, eng, bar)
    return True


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
        used, inv = np.unique(pool.ids[e0:e1], return_inverse=True)  # sorted: vertex order kept
        sub = _Pool(pool.X[used], pool.T[used], pool.off[a : b + 1] - e0, inv.ravel().astype(np.int64),
                    pool.pat[a:b].copy())
        sub._set_vertices(sub.X, sub.T, None if pool.Z is None else pool.Z[:, used],
                          None if pool.E is None else pool.E[used])
        sub.zlive = pool.zlive
        part = RefineState(sub, state.si, state.j, list(state.deferred) if not out else [])
        part.local = True
        out.append(part)
    return out


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
    if problem.tight_codes:
        try:
            out = _codes(eng, out)
        except _Uncertain:  # a non-simple vertex
            if problem.certify:  # cannot happen after certified decisions: the rational pass decides
                raise
    if problem.certify and state.deferred:
        stages, lo, hi, halfspaces = problem.exact_input
        d, limit = problem.d, problem.max_cells
        out = _resolve_deferred(out, state.deferred, stages, d, lo, hi, halfspaces, limit, False,
                                codes=problem.tight_codes)
    return out


def refine_task(
    problem: RefineProblem,
    state: RefineState,
    *,
    max_cells: int | None = None,
    max_work: int | None = None,
    parts: int = 2,
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
        done = refine_advance(problem, state, max_cells=max_cells, max_work=max_work)
    except _Uncertain:
        state = pickle.loads(backup)
        if state.ncells > 1:
            return refine_split(state, 2)
        stages, lo, hi, halfspaces = problem.exact_input
        pending = list(state.deferred) + [(state.pool.pat.copy(), _decided_columns(problem, state))]
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


def _decided_columns(problem: RefineProblem, state: RefineState) -> int:
    """The number of leading pattern columns a (settled) state has decided."""
    if state.si < 0:
        if state.j:
            raise ValueError("a state inside the clipping rows has no pattern polytope")
        return 0
    if state.si >= len(problem.stages):
        return problem.prog.ncols
    return problem.prog.col_base[state.si] + state.j


_CERT = CERT_DTYPE
_U = UNIT_ROUNDOFF
_SAFE = SAFETY


class _NotDyadic(Exception):
    """An exact input that is not a float (the certified float pass cannot represent it)."""


def _as_float(a):
    arr = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) or a.dtype == object else a
    if arr.dtype == object:
        out = np.array([float(v) for v in arr.ravel()], dtype=np.float64).reshape(arr.shape)
        if any(Fraction(f) != Fraction(v) for f, v in zip(out.ravel(), arr.ravel())):
            raise _NotDyadic
        return out
    return np.asarray(arr, dtype=np.float64)


def _resolve_deferred(
    out: Cells, deferred, stages, d, lo, hi, halfspaces, max_cells, progress, codes: bool = False
) -> Cells:
    """Cells the certified pass set aside, enumerated by the rational pass inside the exact
    polytope their pattern defines so far (the rows of the units decided before the call;
    those units are not cut again, so that each hyperplane is one constraint).

    With ``codes`` the sub-runs' tight codes are translated back (their clipping rows are the
    domain's rows, then the decided units'); a sub-run without codes (a non-simple vertex)
    raises :class:`_Uncertain`, and the caller runs the rational pass on everything."""
    from .merge import maps_and_rows

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
        vertex_codes=np.vstack(vcodes) if codes else None,
    )


def _codes(eng: _Engine, out: Cells) -> Cells:
    """``out`` with ``vertex_codes (nnz, d)``: the constraints tight at each (cell, vertex) entry
    of a run whose every sign was certified (so every vertex is simple: exactly ``d`` of the
    cell's constraints are tight there, and each is a facet of the cell).  A unit or group
    constraint is coded as in :func:`tropnet.regions.merge.unit_rows` (``column * 2**20`` plus
    the pattern entry across it), box side ``i`` as ``-2 - i`` and clipping row ``r`` as
    ``-2 - (2 d + r)``.  Raises :class:`_Uncertain` (the rational pass takes over) if some entry
    is not simple after all."""
    p, prog = eng.p, eng.prog
    d = prog.d
    ecell = p.entry_cell()
    T = p.T[p.ids]
    valid = eng._valid(T, ecell)
    if not (valid.sum(axis=1) == d).all():
        raise _Uncertain
    ids = T[valid].reshape(-1, d).astype(np.int64)
    cells = np.repeat(ecell, d)
    flat = ids.ravel()
    code = -2 - flat  # box sides and clipping rows
    # unit ids -> pattern column; pair ids (group members a, b) -> the group's column
    col_of = np.full(len(prog.id_col), -1, dtype=np.int64)
    for base, cb, n in prog.unit_ranges:
        col_of[base : base + n] = cb + np.arange(n)
    unit = col_of[flat] >= 0
    col = col_of[flat[unit]]
    code[unit] = col * (1 << 20) + (1 - p.pat[cells[unit], col])
    pair = prog.id_col[flat] >= 0
    if pair.any():
        gcol = prog.id_col[flat[pair]]
        a, b = prog.id_a[flat[pair]], prog.id_b[flat[pair]]
        win = p.pat[cells[pair], gcol]
        code[pair] = gcol * (1 << 20) + np.where(a == win, b, a)
    return Cells(
        patterns=out.patterns,
        points=out.points,
        vertex_coords=out.vertex_coords,
        vertex_offsets=out.vertex_offsets,
        vertex_ids=out.vertex_ids,
        vertex_codes=code.reshape(-1, d),
    )


def _stage_to_float(st: Stage) -> Stage:
    if st.kind == "affine":
        return Stage("affine", W=_as_float(st.W).astype(_CERT), b=_as_float(st.b).astype(_CERT))
    if st.kind in ("threshold", "leaky"):
        return Stage(
            st.kind, idx=st.idx, param=_as_float(np.array([st.param], dtype=object)).astype(_CERT)[0]
        )
    return st


def _forward_with_error(stages: list[Stage], X: np.ndarray, ex: np.ndarray):
    """Float forward pass and a rigorous bound (max-norm, per point) on its distance to the
    exact values at the exact points within ``ex`` of ``X``: every layer here is
    Lipschitz-1 in the max-norm except ``affine`` (``||W||_inf``), and each affine map adds
    at most ``gamma_{n+1} (|W| |z| + |b|)`` of rounding."""
    z = X
    err = ex.copy()
    for st in stages:
        if st.kind == "affine":
            err = affine_error(np.asarray(st.W, dtype=_CERT), np.asarray(st.b, dtype=_CERT), z, err)
        elif st.kind == "leaky":
            err = err + _U * np.abs(z).max(axis=1)
        z = _apply(st, z)
    return z, _SAFE * err


_interpolation_error = interpolation_error


def _fmpq(v):
    v = Fraction(v)
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a core dependency
        return v
    return flint.fmpq(v.numerator, v.denominator)


def _to_q(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [_fmpq(v) for v in a.ravel()]
    return out


def _q_to_fraction(v) -> Fraction:
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    try:  # fmpq is already in lowest terms
        return Fraction(int(v.p), int(v.q), _normalize=False)
    except TypeError:  # pragma: no cover - Python >= 3.12 dropped _normalize
        return Fraction(int(v.p), int(v.q))


def _from_q(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [_q_to_fraction(v) for v in a.ravel()]
    return out


def _stage_to_q(st: Stage) -> Stage:
    if st.kind == "affine":
        W = _to_q(np.asarray(st.W, dtype=object))
        return Stage("affine", W=W, b=_to_q(np.asarray(st.b, dtype=object)))
    if st.kind in ("threshold", "leaky"):
        return Stage(st.kind, idx=st.idx, param=_fmpq(st.param))
    return st


#: Above this input dimension the H-representation engine (one LP per cell and unit) runs.
HREP_DIM = 12
#: Exact runs use the vertex engine (exact decisions) up to this input dimension and are
#: refused above it (the engine starts from the 2^d corners of the box).
EXACT_MAX_DIM = 16


def refine_hrep(
    stages: list[Stage],
    d: int,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    rtol: float = 1e-9,
) -> Cells:
    """Layer-wise refinement in the H-representation, for high input dimension (float only).

    Each cell is its list of halfspaces; a unit splits a cell when both children have a
    Chebyshev ball of radius above ``rtol`` times the box size (one HiGHS LP per child, on one
    reused model).  A unit's pre-activation is affine on a cell, so its gradient comes from
    the program evaluated at the cell's centre and ``d`` nearby points.  Returns cells with
    interior points (the Chebyshev centres) and no vertices.

    >>> from tropnet import random_mlp
    >>> st = stages_from_network(random_mlp([3, 4, 1], seed=1))
    >>> len(refine_hrep(st, 3, -np.ones(3), np.ones(3))) == len(refine(st, 3, -np.ones(3), np.ones(3)))
    True
    """
    from ..kernels.lp import chebyshev_center

    lo = np.asarray(lo, dtype=np.float64).ravel()
    hi = np.asarray(hi, dtype=np.float64).ravel()
    eye = np.eye(d)
    A0 = np.vstack([eye, -eye])
    b0 = np.concatenate([hi, -lo])
    if halfspaces is not None:
        A0 = np.vstack([A0, np.asarray(halfspaces[0], dtype=np.float64)])
        b0 = np.concatenate([b0, np.asarray(halfspaces[1], dtype=np.float64).ravel()])
    tol = rtol * float(np.max(hi - lo))
    x0, r0 = chebyshev_center(A0, b0)
    prog = _Program(d, 0, stages)
    cells = [] if r0 <= tol else [(A0, b0, np.zeros(prog.ncols, dtype=np.int32), x0)]
    from .merge import _walk

    def affine_of(si, pat):
        # the pre-activations of stage si on the cell: the earlier units' pattern fixes them
        J, inv, _, _ = _walk(stages[:si], pat[None, :], d, False)  # float: denominator 1
        return J[inv[0], :, :d], J[inv[0], :, d]

    def child(A, b, w, beta):  # cell intersected with w x + beta <= 0
        A1 = np.vstack([A, w[None, :]])
        b1 = np.concatenate([b, [-beta]])
        x, r = chebyshev_center(A1, b1)
        return (A1, b1, x) if r > tol else None

    for si, st in enumerate(stages):
        if st.kind == "affine" or not cells:
            continue
        col0 = prog.col_base[si]
        if st.kind in ("threshold", "leaky"):
            for j, u in enumerate(st.idx):
                level = st.param if st.kind == "threshold" else 0.0
                out = []
                for A, b, pat, x in cells:
                    Wz, cz = affine_of(si, pat)
                    w, beta = Wz[u], cz[u] - level
                    if np.abs(w).max() * float(np.max(np.abs(np.r_[lo, hi]))) + abs(beta) <= tol:
                        out.append((A, b, pat, x))  # identically at the threshold: inactive
                        continue
                    for side, c in ((1, child(A, b, -w, -beta)), (0, child(A, b, w, beta))):
                        if c is not None:
                            p2 = pat.copy()
                            p2[col0 + j] = side
                            out.append((c[0], c[1], p2, c[2]))
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than max_cells={max_cells} cells")
        else:
            for g, members in enumerate(st.groups):
                out = []
                for A, b, pat, _x in cells:
                    Wz, cz = affine_of(si, pat)
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for j in firsts:
                        Aj, bj = A, b
                        ok = True
                        for i in firsts:
                            if i == j:
                                continue
                            w = Wz[members[i]] - Wz[members[j]]
                            beta = cz[members[i]] - cz[members[j]]
                            if np.abs(w).max() <= tol and abs(beta) <= tol:  # tie everywhere
                                if i < j:
                                    ok = False
                                    break
                                continue
                            Aj = np.vstack([Aj, w[None, :]])
                            bj = np.concatenate([bj, [-beta]])
                        if not ok:
                            continue
                        xj, rj = chebyshev_center(Aj, bj)
                        if rj > tol:
                            p2 = pat.copy()
                            p2[col0 + g] = j
                            out.append((Aj, bj, p2, xj))
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than max_cells={max_cells} cells")
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)))
    return Cells(
        patterns=np.array([c[2] for c in cells], dtype=np.int32), points=np.array([c[3] for c in cells])
    )


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar: ``True`` at once, ``None`` after 2 s (long runs only), ``False`` never."""
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc="regions", unit="unit", delay=0.0 if progress else 2.0, leave=False)


def _tick(bar, n: int = 1) -> None:
    if bar is not None:
        bar.update(n)
        bar.set_postfix(refresh=False)


class _Uncertain(Exception):
    """A sign the certified float pass cannot decide (the exact pass takes over)."""


class _Engine:
    def __init__(
        self,
        pool: _Pool,
        prog: _Program,
        exact: bool,
        rtol: float,
        max_cells: int | None,
        certify: bool = False,
    ):
        self.certify = certify
        self.deferred: list = []  # (patterns, column) of cells set aside by the certified pass
        self.zcols: np.ndarray | None = None  # pre-activation columns still needed (None: all)
        self.group_step: tuple[int, int] | None = None  # (column, member) of the group step running
        self.scale_floor = 0.0  # float mode: least scale of the tolerance (split runs, see RefineState)
        self.p = pool
        self.prog = prog
        self.exact = exact
        self.rtol = rtol
        self.max_cells = max_cells

    # ------------------------------------------------------------------ helpers
    def _signs(self, s: np.ndarray) -> np.ndarray:
        if self.exact:
            eps = 0
        else:
            scale = float(np.abs(s).max()) if len(s) else 0.0
            eps = self.rtol * max(scale, self.scale_floor)
        return (s > eps).astype(np.int8) - (s < -eps).astype(np.int8)

    def _valid(self, Tg: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Which recorded tight ids are constraints of the entry's cell."""
        valid = Tg != _PAD
        if self.prog.has_pairs:
            safe = np.where(valid, Tg, 0)
            col = self.prog.id_col[safe]
            pair = valid & (col >= 0)
            if pair.any():
                win = self.p.pat[np.broadcast_to(cells[:, None], Tg.shape)[pair], col[pair]]
                ida, idb = self.prog.id_a[safe[pair]], self.prog.id_b[safe[pair]]
                ok = (ida == win) | (idb == win)
                if self.group_step is not None:
                    # Inside the group being cut, the copy with winner w has so far been clipped
                    # only by z_o - z_w <= 0 for the members o <= i of the current step i.  The
                    # copies share vertex ids, so a tie z_o = z_w recorded while cutting copy o
                    # is seen in copy w before that constraint is one of its facets; counting it
                    # there made the adjacency tests pair non-adjacent vertices (e.g. two
                    # opposite box corners on z_0 = z_2) and lose or duplicate vertices.
                    gcol, gi = self.group_step
                    ok &= (col[pair] != gcol) | (ida + idb - win <= gi)
                valid[pair] = ok
        return valid

    # ------------------------------------------------------------------ groups
    def group(self, members: np.ndarray, col: int, base: int, k: int) -> None:
        p = self.p
        firsts = [j for j in range(k) if members[j] not in members[:j]]
        C = p.ncells
        counts = np.diff(p.off)
        reps = len(firsts)
        # replicate every cell once per distinct member (candidate winner)
        starts = p.off[:-1]
        new_counts = np.tile(counts, reps)
        off = np.concatenate([[0], np.cumsum(new_counts)])
        ids = np.tile(p.ids, reps)
        pat = np.tile(p.pat, (reps, 1))
        pat[:, col] = np.repeat(np.array(firsts, dtype=np.int32), C)
        del starts
        p.off, p.ids, p.pat = off, ids.astype(np.int64), pat
        self._check_limit()
        for i in firsts:
            if p.ncells == 0:
                break
            self.group_step = (col, i)  # see _valid
            ecell = p.entry_cell()
            win = p.pat[ecell, col]
            s = p.Z[members[i]][p.ids] - p.Z[members[win], p.ids]
            w_cell = p.pat[:, col].astype(np.int64)
            a = np.minimum(w_cell, i)
            b = np.maximum(w_cell, i)
            cid = base + a * k + b
            skip = w_cell == i
            err = None
            if self.certify:
                err = _SAFE * (2 * p.E[p.ids, 1] + _U * np.abs(s))
            self.step(s, cid, clip=True, on_tie_keep=w_cell < i, skip=skip, err=err)
        self.group_step = None

    # ------------------------------------------------------------------ one unit
    def step(
        self, s, cid, *, clip: bool, col: int | None = None, on_tie_keep=None, skip=None, err=None
    ) -> None:
        """Cut every cell by the sign of ``s`` (one value per entry).  ``cid[c]`` is the
        constraint id used in cell ``c``.  ``clip`` keeps only the side ``s <= 0`` (cells
        entirely on ``s > 0`` vanish; cells with ``s == 0`` throughout are kept where
        ``on_tie_keep`` says so); otherwise both sides are kept and pattern column ``col``
        becomes 1 on the side ``s > 0``."""
        p = self.p
        ecell = p.entry_cell()
        if self.certify:
            unc = np.abs(s) <= err
            if skip is not None:
                unc &= ~skip[ecell]
            if unc.any():
                if clip or col is None:
                    raise _Uncertain
                # cells with a sign too close to call are set aside for the rational pass
                bad = np.zeros(p.ncells, dtype=bool)
                bad[ecell[unc]] = True
                self.deferred.append((p.pat[bad].copy(), col))
                if len(self.deferred) > 64 or sum(len(a) for a, _ in self.deferred) > 256:
                    raise _Uncertain
                keep_e = ~bad[ecell]
                self._select(~bad)
                if p.ncells == 0:
                    return
                s, err = s[keep_e], err[keep_e]
                ecell = p.entry_cell()
            self.err = err
            sg = (s > 0).astype(np.int8) - (s < 0).astype(np.int8)
        else:
            sg = self._signs(s)
        if skip is not None:
            sk = skip[ecell]
            sg = np.where(sk, np.int8(0), sg)
        starts = p.off[:-1]
        smax = np.maximum.reduceat(sg, starts)
        smin = np.minimum.reduceat(sg, starts)
        # tight marks (all cells where the constraint applies)
        on = sg == 0
        if skip is not None:
            on &= ~sk
        if on.any():
            # a constraint identically zero in every cell is no constraint at all
            allzero = (smax == 0) & (smin == 0)
            if skip is not None:
                allzero |= skip
            if not allzero.all():
                p.add_tight(p.ids[on], cid[ecell[on]].astype(np.int32))
        split = (smax > 0) & (smin < 0)
        if clip:
            zero = (smax == 0) & (smin == 0)
            keep = smin < 0
            if on_tie_keep is not None:
                keep |= zero & on_tie_keep
            else:
                keep |= zero
            if skip is not None:
                keep |= skip
            unchanged = keep & ~split
        else:
            unchanged = ~split
            if col is not None:
                p.pat[:, col] = np.where(smax > 0, 1, 0).astype(np.int32) * (~split) + p.pat[:, col] * split
        if not split.any():
            if clip and not unchanged.all():
                self._select(unchanged)
            return
        self._split(sg, s, split, unchanged, cid, clip, col, ecell)
        self._check_limit()

    def _check_limit(self) -> None:
        if self.max_cells is not None and self.p.ncells > self.max_cells:
            raise RegionLimitError(
                f"more than max_regions={self.max_cells} cells (the enumeration stopped at {self.p.ncells})"
            )

    def _select(self, keep: np.ndarray) -> None:
        p = self.p
        counts = np.diff(p.off)
        ecell = p.entry_cell()
        p.ids = p.ids[keep[ecell]]
        p.off = np.concatenate([[0], np.cumsum(counts[keep])])
        p.pat = p.pat[keep]

    # ------------------------------------------------------------------ crossing edges
    def _edges(self, sg, split, ecell):
        """Crossing edges of the split cells: arrays (entry_pos, entry_neg, common_T)."""
        p = self.p
        d = self.prog.d
        ent = np.nonzero(split[ecell] & (sg != 0))[0]
        vids = p.ids[ent]
        cells = ecell[ent]
        Tg = p.T[vids]
        valid = self._valid(Tg, cells)
        cnt = valid.sum(axis=1)
        bad_cell = np.zeros(p.ncells, dtype=bool)
        bad_cell[cells[cnt != d]] = True
        gen = ~bad_cell[cells]
        e_pos, e_neg, common = [], [], []
        if gen.any():
            if gen.all():  # the usual case: no copies
                ge, Tgg, vg, cg = ent, Tg, valid, cells
            else:
                ge, Tgg, vg, cg = ent[gen], Tg[gen], valid[gen], cells[gen]
            # cells are independent: process them in chunks of about 2^20 keys (cache-sized)
            bounds = np.flatnonzero(np.r_[True, cg[1:] != cg[:-1]])
            per = max(1, (1 << 20) // max(1, Tgg.shape[1]))
            # chunk starts at cell starts (a target past the last cell's start maps to it)
            at = np.searchsorted(bounds, np.arange(0, len(cg), per))
            cuts = bounds[np.minimum(at, len(bounds) - 1)]
            cuts = np.unique(np.r_[cuts, len(cg)])
            sgg = sg[ge]
            for a, b in zip(cuts[:-1], cuts[1:]):
                ep, en, cm = self._edges_generic(sgg[a:b], ge[a:b], Tgg[a:b], vg[a:b], cg[a:b])
                e_pos.append(ep)
                e_neg.append(en)
                common.append(cm)
        if bad_cell.any():
            ep, en, cm = self._edges_degenerate(sg, np.nonzero(bad_cell)[0], ent, Tg, valid, cells)
            e_pos.append(ep)
            e_neg.append(en)
            common.append(cm)
        width = max([c.shape[1] for c in common] + [0])
        common = [
            np.hstack([c, np.full((c.shape[0], width - c.shape[1]), _PAD, dtype=np.int32)]) for c in common
        ]
        return (
            np.concatenate(e_pos).astype(np.int64),
            np.concatenate(e_neg).astype(np.int64),
            np.vstack(common).astype(np.int32) if common else np.zeros((0, 0), dtype=np.int32),
        )

    def _edges_generic(self, sgg, ge, Tgg, vg, cg):
        """Key matching for cells whose cutting vertices are simple: every vertex emits, for each
        of its ``d`` tight ids, the hash of the other ``d - 1`` (mixed with its cell); an edge is
        a pair of equal keys with one vertex on each side.  Keys carry the emitting
        (entry, column) in their low bits, so one ``np.sort`` of int64 finds all pairs; equal
        hashes are re-checked on the actual id sets."""
        d = self.prog.d
        R = self.prog.R
        n, w = Tgg.shape
        full = bool(vg.all())
        K = R[Tgg] if full else R[np.where(vg, Tgg, -1)]
        hs = K.sum(axis=1)  # uint64, wraps around
        np.subtract(hs[:, None], K, out=K)
        K ^= (cg.astype(np.uint64) * _MIX)[:, None]
        B = max(1, int(n * w).bit_length())
        K >>= np.uint64(B + 1)
        K <<= np.uint64(B)
        if full:
            packed = K.view(np.int64).ravel()
            packed |= np.arange(n * w, dtype=np.int64)
        else:
            code = np.flatnonzero(vg.ravel()).astype(np.int64)
            packed = K.view(np.int64).ravel()[code]
            packed |= code
        packed.sort()
        hi = packed >> B
        same = hi[1:] == hi[:-1]
        del hi
        if not (same[1:] & same[:-1]).any():  # no run longer than 2: pairs of neighbours
            i1 = np.flatnonzero(same)
            i2 = i1 + 1
        else:
            cand1, cand2 = [], []
            run_start = np.flatnonzero(np.r_[True, ~same])
            run_len = np.diff(np.r_[run_start, len(packed)])
            two = run_start[run_len == 2]
            cand1.append(two)
            cand2.append(two + 1)
            for st, ln in zip(run_start[run_len > 2], run_len[run_len > 2]):
                a, b = np.triu_indices(int(ln), 1)
                cand1.append(st + a)
                cand2.append(st + b)
            i1 = np.concatenate(cand1)
            i2 = np.concatenate(cand2)
        mask = (1 << B) - 1
        k1, k2 = packed[i1] & mask, packed[i2] & mask
        r1, c1 = np.divmod(k1, w)
        r2, c2 = np.divmod(k2, w)
        # opposite sides first (about half the pairs), then the cells (hash collisions only)
        ok = sgg[r1] != sgg[r2]
        r1, r2, c1, c2 = r1[ok], r2[ok], c1[ok], c2[ok]
        ok = cg[r1] == cg[r2]
        if not ok.all():
            r1, r2, c1, c2 = r1[ok], r2[ok], c1[ok], c2[ok]
        if full:
            # rows are sorted and fully valid: dropping one column keeps them sorted
            ar = np.arange(w - 1)[None, :]
            A1 = np.take_along_axis(Tgg[r1], ar + (ar >= c1[:, None]), axis=1)
            A2 = np.take_along_axis(Tgg[r2], ar + (ar >= c2[:, None]), axis=1)
        else:
            ar = np.arange(w)[None, :]
            A1 = np.sort(np.where(vg[r1] & (ar != c1[:, None]), Tgg[r1], _PAD), axis=1)
            A2 = np.sort(np.where(vg[r2] & (ar != c2[:, None]), Tgg[r2], _PAD), axis=1)
        eq = (A1 == A2).all(axis=1)
        r1, r2, A1 = r1[eq], r2[eq], A1[eq]
        pos_first = sgg[r1] > 0
        ep = np.where(pos_first, ge[r1], ge[r2])
        en = np.where(pos_first, ge[r2], ge[r1])
        cm = A1[:, : d - 1] if d > 1 else np.zeros((len(ep), 0), dtype=np.int32)
        return ep, en, cm

    def _edges_degenerate(self, sg, bad_cells, ent, Tg, valid, cells):
        """Combinatorial adjacency test in each degenerate cell (Fukuda & Prodon)."""
        p = self.p
        e_pos, e_neg, common = [], [], []
        for c in bad_cells:
            lo, hi = p.off[c], p.off[c + 1]
            vids = p.ids[lo:hi]
            Tc = p.T[vids]
            vc = self._valid(Tc, np.full(len(vids), c))
            ids = np.unique(Tc[vc])
            M = np.zeros((len(vids), len(ids)), dtype=bool)
            r, q = np.nonzero(vc)
            M[r, np.searchsorted(ids, Tc[r, q])] = True
            sgc = sg[lo:hi]
            P = np.nonzero(sgc > 0)[0]
            N = np.nonzero(sgc < 0)[0]
            if len(P) == 0 or len(N) == 0:
                continue
            common_mask = M[P][:, None, :] & M[N][None, :, :]  # (|P|, |N|, K)
            # number of vertices containing the common set
            contains = ~(common_mask[:, :, None, :] & ~M[None, None, :, :]).any(axis=3)  # (|P|,|N|,V)
            adj = contains.sum(axis=2) == 2
            pi, ni = np.nonzero(adj)
            for a, b in zip(pi, ni):
                e_pos.append(lo + P[a])
                e_neg.append(lo + N[b])
                common.append(ids[common_mask[a, b]])
        w = max([len(c) for c in common] + [0])
        cm = np.full((len(common), w), _PAD, dtype=np.int32)
        for i, c in enumerate(common):
            cm[i, : len(c)] = c
        return np.array(e_pos, dtype=np.int64), np.array(e_neg, dtype=np.int64), cm

    # ------------------------------------------------------------------ splitting
    def _split(self, sg, s, split, unchanged, cid, clip, col, ecell) -> None:
        p = self.p
        ep, en, common = self._edges(sg, split, ecell)
        vp, vn = p.ids[ep], p.ids[en]
        sp, sn = s[ep], s[en]
        t = sp / (sp - sn)
        if not self.exact and not self.certify:
            t = t.astype(np.float64)
        Xp = p.X[vp]
        Xn = p.X[vn]  # becomes Xp + t (Xn - Xp), in place
        Xn -= Xp
        Xn *= t[:, None]
        Xn += Xp
        newZ = Zp = Zn = None
        if p.Z is not None:
            # only the pre-activations still to be read in this layer are interpolated
            # (rows of Z: the pool stores them unit by unit)
            zc = self.zcols
            if zc is None:
                Zp, Zn = p.Z[:, vp], p.Z[:, vn]
            else:
                Zp, Zn = p.Z[zc[:, None], vp[None, :]], p.Z[zc[:, None], vn[None, :]]
            newZ = Zn - Zp
            newZ *= t[None, :]
            newZ += Zp
            Zp, Zn = Zp.T, Zn.T
        En = None
        if self.certify:
            En = _interpolation_error(
                sp, sn, self.err[ep], self.err[en], Xp, p.X[vn], p.E[vp], p.E[vn], Zp, Zn, t
            )
        ecells = ecell[ep]
        k_new = cid[ecells].astype(np.int32)
        Tn = np.hstack([common, k_new[:, None]]) if common.size else k_new[:, None]
        if self.prog.has_pairs or common.shape[1] != self.prog.d - 1 or (common == _PAD).any():
            Tn = np.sort(Tn, axis=1)
        V0 = p.nV
        nv = len(Xn)
        # pad the tight tables to a common width
        w = max(p.T.shape[1], Tn.shape[1])
        p.widen(w)
        if Tn.shape[1] < w:
            Tn = np.hstack([Tn, np.full((nv, w - Tn.shape[1]), _PAD, dtype=np.int32)])
        if nv:
            p.append(Xn, Tn, newZ, En)
        new_vid = np.arange(V0, V0 + nv, dtype=np.int64)

        # children: unchanged cells first, then the negative children, then the positive ones
        split_ids = np.nonzero(split)[0]
        ns = len(split_ids)
        nk = int(unchanged.sum())
        rank = np.full(p.ncells, -1, dtype=np.int64)
        rank[split_ids] = np.arange(ns)
        ent_split = split[ecell]
        e_idx = np.nonzero(ent_split)[0]
        er = rank[ecell[e_idx]]
        # children placed by offset arithmetic (no sort of all entries): a child holds its
        # parent's entries on its side, in order, then the new vertices of its parent
        redge = rank[ecells]
        order = np.argsort(redge, kind="stable")  # new vertices grouped by parent
        r_new = redge[order]
        vid_new = new_vid[order]
        cnt_new = np.bincount(redge, minlength=ns)
        sge = sg[e_idx]
        sides = [sge <= 0] if clip else [sge <= 0, sge >= 0]
        cnts = [np.bincount(er[m], minlength=ns) for m in sides]
        counts = np.diff(p.off)
        allcounts = np.concatenate([counts[unchanged]] + [c + cnt_new for c in cnts])
        off = np.zeros(len(allcounts) + 1, dtype=np.int64)
        np.cumsum(allcounts, out=off[1:])
        ids = np.empty(int(off[-1]), dtype=np.int64)
        keep_ent = unchanged[ecell]
        ids[: off[nk]] = p.ids[keep_ent]
        excl_new = np.cumsum(cnt_new) - cnt_new
        for k, (m, c) in enumerate(zip(sides, cnts)):
            start = off[nk + k * ns : nk + (k + 1) * ns]
            rs = er[m]
            excl = np.cumsum(c) - c
            ids[start[rs] + np.arange(len(rs)) - excl[rs]] = p.ids[e_idx[m]]
            ids[start[r_new] + c[r_new] + np.arange(len(r_new)) - excl_new[r_new]] = vid_new
        pat_keep = p.pat[unchanged]
        pat_neg = p.pat[split_ids].copy()
        if clip:
            pat = np.vstack([pat_keep, pat_neg])
        else:
            pat_pos = pat_neg.copy()
            if col is not None:
                pat_neg[:, col] = 0
                pat_pos[:, col] = 1
            pat = np.vstack([pat_keep, pat_neg, pat_pos])
        p.ids, p.off, p.pat = ids, off, pat

    # ------------------------------------------------------------------ output
    def result(self) -> Cells:
        p = self.p
        if p.ncells == 0:
            d = self.prog.d
            dt = object if self.exact else np.float64
            return Cells(
                patterns=np.zeros((0, self.prog.ncols), dtype=np.int32),
                points=np.zeros((0, d), dtype=dt),
                vertex_coords=np.zeros((0, d), dtype=dt),
                vertex_offsets=np.zeros(1, dtype=np.int64),
                vertex_ids=np.zeros(0, dtype=np.int64),
            )
        p.compact()
        counts = np.diff(p.off)
        sums = np.add.reduceat(p.X[p.ids], p.off[:-1], axis=0)
        if self.exact:
            pts = _from_q(sums / counts[:, None].astype(object))
            return Cells(
                patterns=p.pat.astype(np.int32),
                points=pts,
                vertex_coords=_from_q(p.X),
                vertex_offsets=p.off.astype(np.int64),
                vertex_ids=p.ids.astype(np.int64),
            )
        else:
            pts = (sums / counts[:, None]).astype(np.float64)
        return Cells(
            patterns=p.pat.astype(np.int32),
            points=pts,
            vertex_coords=p.X.astype(np.float64, copy=False),
            vertex_offsets=p.off.astype(np.int64),
            vertex_ids=p.ids.astype(np.int64),
        )
