"""The 1-D engine: the cells of a network on an interval, by sorting breakpoints per layer.

On a line every stage of the network is, between two consecutive breakpoints found so far, an
affine function of the parameter ``t``.  An activation stage cuts an interval where one of its
units changes sign (for a group: where two members cross); consecutive pieces with the same
pattern are joined; no linear program, no vertex pool.

*Float mode* keeps the sorted vertices ``t_0 < ... < t_k`` and the current layer's values at
each vertex (a ``(k + 1, width)`` array, as Regioncam1D does): an affine stage is one matrix
product over all vertices; an activation finds the sign changes between consecutive vertices,
puts a vertex at each by linear interpolation in ``t`` (the values are affine between
consecutive vertices) and applies itself at the vertices.  A value within ``RTOL = 1e-9`` times
the magnitude of its terms (a bound ``A ||x||_inf + B`` per unit, from the network's absolute
weights) is taken as a tie: the unit sits at its threshold at that vertex; such a tie above
rounding noise (``1e-12`` times the magnitude), or a crossing that rounds onto an existing
vertex, is *undecided* and counted (``LineCells.ambiguous``; the callers warn with
:class:`~tropnet.AmbiguousGeometryWarning`).  Patterns and maps are computed only when asked:
the output's slope on each interval is carried forward from the line's direction through the
interval's pattern (no difference quotients), the offset from the vertex values.  For ReLU
networks a compiled kernel (:mod:`tropnet.regions.line_jit`, numba) runs the generic layers in
one call and hands every tie back to this engine (:func:`_line_kernel` says when it is used).

*Exact mode* (:mod:`tropnet.regions.line_exact`) keeps every interval's map as integer
numerators over one common denominator (``z = J (t, 1) / D``; products through FLINT) and the
breakpoints as ``Fraction``; every sign is decided exactly, so the breakpoints are the exact
rational points where the pattern changes.

>>> from tropnet import Network
>>> from tropnet.regions.program import stages_from_network
>>> net = Network.from_arrays([[[1], [1]], [[1, -1]]], [[0, -1], [0]])   # relu(t) - relu(t - 1)
>>> cells = line_cells(stages_from_network(net, exact=True), -2, 2, exact=True)
>>> [str(t) for t in cells.breaks], cells.patterns.tolist()
(['-2', '0', '1', '2'], [[0, 0], [1, 0], [1, 1]])
>>> cells = line_cells(stages_from_network(net), -2.0, 2.0)
>>> cells.breaks.tolist(), cells.patterns.tolist(), cells.maps()[0][:, 0, 0].tolist()
([-2.0, 0.0, 1.0, 2.0], [[0, 0], [1, 0], [1, 1]], [0.0, 1.0, 0.0])
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

import numpy as np

from .cells import RegionLimitError
from .line_exact import exact_line
from .pool import _KERNELS, work_switch
from .program import Stage, _magnitude_bounds
from .vertex import AMBIGUITY_RTOL

__all__ = ["LineCells", "LineProgram", "compile_line", "line_cells", "line_stages"]

#: float mode's tie band, relative to the magnitude of a value's terms (the vertex engine's
#: ``rtol``), and rounding noise (a tie below it is a true tie, not an undecided one)
RTOL = 1e-9
NOISE = AMBIGUITY_RTOL


class LineCells:
    """Activation cells on an interval ``[breaks[0], breaks[-1]]``: cell ``j`` is
    ``(breaks[j], breaks[j+1])`` with ``patterns[j]``; on it the network is
    ``t -> (J[j, :, 0] t + J[j, :, 1]) / D``.  Float runs compute ``patterns`` and the maps on
    first use; ``ambiguous`` counts float mode's undecided ties.  A float activation count
    (``count_only``) may stop before placing the last layer's breakpoints: then ``breaks`` is
    ``None`` and only ``len`` is known."""

    def __init__(self, breaks: np.ndarray | None, exact: bool, *, patterns: np.ndarray | None = None,
                 J: np.ndarray | None = None, D: Any = 1, run: Any = None, ambiguous: int = 0,
                 count: int | None = None) -> None:
        self.breaks = breaks  # None for a count that did not place its last breakpoints
        self._count = count
        self.exact = exact
        self._patterns = patterns
        self._J = J
        self.D = D
        self._run = run
        self.ambiguous = ambiguous

    def __len__(self) -> int:
        return self._count if self.breaks is None else len(self.breaks) - 1

    @property
    def patterns(self) -> np.ndarray:
        if self._patterns is None:
            self._patterns = self._run.patterns()
        return self._patterns

    @property
    def J(self) -> np.ndarray:
        if self._J is None:
            W, c = self._run.maps()
            self._J = np.stack([W[:, :, 0], c], axis=2)
        return self._J

    def slopes(self) -> np.ndarray:
        """``(K, m)``: the output's derivative in ``t`` on every cell (numerators over ``D``
        when exact)."""
        if self._J is None and self._run is not None:
            return self._run.slopes()
        return self.J[:, :, 0]

    def maps(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W (K, m, 1), c (K, m))``: slope and offset of the output on every cell
        (``Fraction`` entries when exact)."""
        if self.exact:
            D = int(self.D)
            W = np.empty(self.J.shape[:2], dtype=object)
            c = np.empty(self.J.shape[:2], dtype=object)
            W.ravel()[:] = [Fraction(int(v), D) for v in self.J[:, :, 0].ravel().tolist()]
            c.ravel()[:] = [Fraction(int(v), D) for v in self.J[:, :, 1].ravel().tolist()]
            return W[:, :, None], c
        if self._J is None:
            return self._run.maps()
        return self.J[:, :, 0][:, :, None].copy(), self.J[:, :, 1].copy()


# ---------------------------------------------------------------------------- float mode
#
# The state of a float run is one array ``V`` of shape ``(vertices, width + 2)``: the current
# values at each vertex, then ``u = t - t0`` and ``1``.  The compiled affine stages carry the
# last two columns through exactly (a ``1`` on the diagonal, the bias in the row of the ``1``
# column), so one matrix product per layer moves values and positions, and one interpolation
# puts a new vertex's values and position in place.


class _Op:
    """One step of a :class:`LineProgram`: ``affine`` (``V @ WTa``; ``WT`` the plain transposed
    weights), ``relu`` (a threshold at 0 on every unit), ``threshold`` / ``leaky`` on the units
    ``idx``, or ``group``; an activation also has the magnitude bound ``A s + B`` of each value
    it compares (``mx = (max A, max B)``)."""

    __slots__ = ("kind", "WTa", "WT", "idx", "level", "alpha", "groups", "ga", "gb", "A", "B", "mx", "w")

    def __init__(self, kind: str, **kw: Any) -> None:
        self.kind = kind
        for name in self.__slots__[1:]:
            setattr(self, name, kw.get(name))


class LineProgram:
    """An internal program compiled for the float 1-D engine: augmented transposed weights
    (which also carry ``u`` and ``1``), the values each activation compares (a unit minus its
    level; the pairs of a group), and the bound ``A s + B`` on the magnitude of each such
    value's terms at a point of ``||x||_inf <= s`` (``|W| m + |b|`` through the layers), which
    scales its tie band.  Built once per network by
    :func:`tropnet.regions.slices.segment_run`, kept while the network lives.

    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> [op.kind for op in compile_line(stages_from_network(random_mlp([3, 4, 1])), 3).ops]
    ['affine', 'relu', 'affine']
    """

    def __init__(self, ops: list[_Op], d: int, out_mag: tuple[np.ndarray, np.ndarray]) -> None:
        self.ops = ops
        self.d = d
        self.out_mag = out_mag  # (A, B): the outputs' magnitude bound A s + B
        self._jit: dict | None = None  # the compiled kernel's arrays (see _jit_arrays)
        self.relu_only = all(op.kind in ("affine", "relu") for op in ops)
        last = max((i for i, op in enumerate(ops) if op.kind != "affine"), default=-1)
        self.count_ops = ops[: last + 1]  # a count stops after the last activation


def compile_line(stages: list[Stage], d: int) -> LineProgram:
    """The :class:`LineProgram` of an internal program (float stages) on ``d`` inputs."""
    ops: list[_Op] = []
    width = d
    for i, st in enumerate(stages):
        if st.kind == "affine":
            W = np.asarray(st.W, dtype=np.float64)
            m, w = W.shape
            WTa = np.zeros((w + 2, m + 2))
            WTa[:w, :m] = W.T
            WTa[w + 1, :m] = np.asarray(st.b, dtype=np.float64).ravel()
            WTa[w, m] = WTa[w + 1, m + 1] = 1.0
            ops.append(_Op("affine", WTa=WTa, WT=WTa[:w, :m], w=m))
            width = m
            continue
        A, B = _magnitude_bounds(stages[:i], d)
        if st.kind == "group":
            ia, ib = np.triu_indices(st.groups.shape[1], 1)
            ga, gb = st.groups[:, ia].ravel(), st.groups[:, ib].ravel()
            A, B = A[ga] + A[gb], B[ga] + B[gb]
            ops.append(_Op("group", groups=st.groups, idx=np.asarray(st.idx, dtype=np.int64), ga=ga, gb=gb,
                           A=A, B=B, mx=(A.max(initial=0.0), B.max(initial=0.0)), w=width))
            width = st.groups.shape[0] + len(st.idx)
            continue
        idx = np.asarray(st.idx, dtype=np.int64)
        full = len(idx) == width and np.array_equal(idx, np.arange(width))
        level = float(st.param) if st.kind == "threshold" else 0.0
        kind = "relu" if st.kind == "threshold" and full and level == 0.0 else st.kind
        A, B = A[idx], B[idx] + abs(level)
        ops.append(_Op(kind, idx=idx, level=level, alpha=float(st.param) if st.kind == "leaky" else None,
                       A=A, B=B, mx=(A.max(initial=0.0), B.max(initial=0.0)), w=width))
    return LineProgram(ops, d, _magnitude_bounds(stages, d))


def _compared(op: _Op, V: np.ndarray) -> np.ndarray:
    """The values whose signs the activation ``op`` decides, at the vertices ``V`` (for
    ``relu`` a view of ``V``: settling a value there puts the unit at its threshold)."""
    if op.kind == "relu":
        return V[:, : op.w]
    if op.kind == "group":
        return V[:, op.ga] - V[:, op.gb]
    Z = V[:, op.idx]
    return Z - op.level if op.level else Z


def _settle(op: _Op, V: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    """Put the compared values ``(rows, cols)`` exactly at their threshold in ``V`` (a unit at
    the vertex where it crosses, or a tie taken as one); :func:`_compared` then reads 0."""
    if op.kind == "relu":
        V[rows, cols] = 0.0
    elif op.kind == "group":
        a, b = op.ga[cols], op.gb[cols]
        m = (V[rows, a] + V[rows, b]) / 2
        V[rows, a] = m
        V[rows, b] = m
    else:
        V[rows, op.idx[cols]] = op.level


def _bands(op: _Op, Z: np.ndarray, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Per compared value: the tie band (``RTOL`` times the rigorous magnitude bound of its
    terms, or times its own largest size on the line where smaller: the bound can be far
    above it in deep wide networks; never below the noise) and the rounding noise (``NOISE``
    times the bound)."""
    mag = op.A * s + op.B
    noise = NOISE * mag
    return np.maximum(noise, RTOL * np.minimum(mag, np.abs(Z).max(axis=0))), noise


def _winners(op: _Op, V: np.ndarray) -> np.ndarray:
    """A group's winner on every interval between the vertices ``V`` (its first member with
    the largest value at the midpoint)."""
    G, k = op.groups.shape
    M = (V[:-1] + V[1:])[:, op.groups.ravel()].reshape(len(V) - 1, G, k)
    return np.argmax(M == M.max(axis=2, keepdims=True), axis=2).astype(np.int32)


def _cut(op: _Op, V: np.ndarray, Z: np.ndarray, j: np.ndarray, r: np.ndarray, s: float, loose: float,
         noise: float):
    """New vertices where the compared values ``Z[:, r]`` change sign inside the intervals
    ``j`` (strictly: an end within its tie band is a crossing at that vertex, settled there);
    returns ``(V, undecided)``.  ``loose`` and ``noise``: the largest tie band and noise of
    the compared values (scalars: a quick test before the bands are computed)."""
    K1 = len(V)
    j1 = j + 1
    zj, z1 = Z[j, r], Z[j1, r]
    amb = 0
    extra = op.kind == "group"
    bands = None
    gate = loose
    g = np.minimum(np.abs(zj), np.abs(z1))
    if g.min() <= gate:
        gate = max(noise, RTOL * min(loose / RTOL, max(float(Z.max()), -float(Z.min()))))
    if g.min() <= gate:
        band, noise = bands = _bands(op, Z, s)
        at_j, at_1 = np.abs(zj) <= band[r], np.abs(z1) <= band[r]
        tie = at_j | at_1
        if tie.any():
            g = np.minimum(np.abs(zj), np.abs(z1))[tie]
            amb += int(np.count_nonzero(g > noise[r[tie]]))
            _settle(op, V, np.concatenate([j[at_j], j1[at_1]]), np.concatenate([r[at_j], r[at_1]]))
            keep = ~tie
            j, j1, r, zj, z1 = j[keep], j1[keep], r[keep], zj[keep], z1[keep]
            if op.kind != "relu":
                Z = _compared(op, V)
            if not len(j):
                return V, amb
    f = zj / (zj - z1)
    Vj = V[j]
    Vn = Vj + f[:, None] * (V[j1] - Vj)
    ar = np.arange(len(j))
    _settle(op, Vn, ar, r)
    Zn = _compared(op, Vn)
    if op.kind == "group":
        Zn[ar, r] = 0.0
    An = np.abs(Zn)
    if np.count_nonzero(An <= gate) > len(j) and gate == loose:
        gate = max(noise, RTOL * min(loose / RTOL, max(float(Z.max()), -float(Z.min()))))
    if np.count_nonzero(An <= gate) > len(j):  # another value at a new vertex may be a tie
        band, noise = bands if bands is not None else _bands(op, Z, s)
        tie = An <= band
        tie[ar, r] = False
        if tie.any():
            amb += int(np.count_nonzero(tie & (An > noise)))
            _settle(op, Vn, *np.nonzero(tie))
            extra = True
    V = np.concatenate((V, Vn))
    order = V[:, -2].argsort(kind="stable")
    V = V[order]
    u = V[:, -2]
    if not (u[1:] > u[:-1]).all():  # crossings at one float point
        V, order, a = _merge_equal(op, V, order, K1)
        amb += a
        extra = True
    if extra:
        V = _drop_unchanged(op, V, order >= K1)
    return V, amb


def _count_cut(V: np.ndarray, Z: np.ndarray, j: np.ndarray, r: np.ndarray, loose: float) -> int | None:
    """The number of intervals after the cut of :func:`_cut`, for the last activation of a
    count (no vertex values needed after it), or ``None`` where a crossing end or two crossings
    of one interval are within the largest tie band (``loose``) of each other: the full cut
    decides those.  Two crossings ``a, b`` of one interval are a tie apart when
    ``|f_a - f_b| |Z_b(end) - Z_b(start)|`` is small; neighbours in order suffice."""
    zj = Z[j, r]
    d = zj - Z[j + 1, r]
    f = zj / d
    ad = np.abs(d)
    if float((ad * np.minimum(f, 1.0 - f)).min()) <= loose:
        return None
    if len(j) > 1:
        order = np.lexsort((f, j))  # by interval, then position
        js, fs, ds = j[order], f[order], ad[order]
        near = (js[1:] == js[:-1]) & ((fs[1:] - fs[:-1]) * np.minimum(ds[1:], ds[:-1]) <= loose)
        if near.any():
            return None
    u = V[:, -2]
    du = u[j + 1] - u[j]
    if not ((f * du > 0) & (f * du < du)).all():  # a crossing rounding onto a vertex
        return None
    return len(V) - 1 + len(j)


def _merge_equal(op: _Op, V: np.ndarray, order: np.ndarray, K1: int):
    """Vertices at one float point become one, the first, with every value settled in any of
    them settled; a new vertex on an old one is undecided (a crossing within rounding of a
    vertex)."""
    u = V[:, -2]
    keep = np.ones(len(V), dtype=bool)
    new = order >= K1
    Z = _compared(op, V)
    amb = 0
    for i in np.flatnonzero(u[1:] == u[:-1]):
        first = i
        while not keep[first]:
            first -= 1
        keep[i + 1] = False
        if not (new[first] and new[i + 1]):
            amb += 1
        cols = np.flatnonzero(Z[i + 1] == 0)
        if len(cols):
            _settle(op, V, np.full(len(cols), first), cols)
        new[first] = new[first] and new[i + 1]
    order = np.where(new, K1, 0)  # only "new or not" is read afterwards
    return V[keep], order[keep], amb


def _drop_unchanged(op: _Op, V: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Remove the new interior vertices where this activation's pattern does not change (two
    crossings a tie apart; a group's members crossing below its maximum)."""
    if op.kind == "group":
        P = _winners(op, V)
    else:
        Z = _compared(op, V)
        P = (Z[:-1] + Z[1:]) > 0
    inner = np.flatnonzero(new[1:-1]) + 1
    same = (P[inner - 1] == P[inner]).all(axis=1)
    if not same.any():
        return V
    keep = np.ones(len(V), dtype=bool)
    keep[inner[same]] = False
    return V[keep]


def _activate(op: _Op, V: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The activation's output at the vertices (affine between consecutive vertices)."""
    if op.kind == "relu":
        return np.maximum(V, 0.0)  # u >= 0 and 1 pass unchanged
    if op.kind == "group":
        G, k = op.groups.shape
        Vg = V[:, op.groups.ravel()].reshape(len(V), G, k).max(axis=2)
        return np.concatenate([Vg, V[:, op.idx], V[:, -2:]], axis=1)
    V = V.copy()
    if op.kind == "threshold":
        V[:, op.idx] = np.where(Z > 0, V[:, op.idx], op.level)
    else:
        V[:, op.idx] = np.where(Z > 0, Z, op.alpha * Z)
    return V


class _FloatRun:
    """What a float run keeps to give patterns and maps on request: per activation the
    values it compared (for a group: its input values) at its vertices."""

    def __init__(self, prog: LineProgram, direction: np.ndarray, records: list, V: np.ndarray, t0: float,
                 s: float, kernel: Any = None):
        self.prog, self.direction, self.records, self.V, self.t0, self.s = prog, direction, records, V, t0, s
        self.kernel = kernel  # the compiled kernels' module when the run used them
        self._pats: list[np.ndarray] | None = None
        self._slopes: np.ndarray | None = None

    def slope_noise(self) -> np.ndarray:
        """Per output, the rounding noise of a slope: ``NOISE`` times the magnitude bound of
        its terms (the outputs' factor ``A`` times the direction's size)."""
        return NOISE * self.prog.out_mag[0] * float(np.abs(self.direction).max(initial=0.0))

    def distinct_pairs(self) -> tuple[np.ndarray, float]:
        """Which neighbouring intervals certainly have different output maps, decided from the
        difference quotients of the output's values at the vertices with their rounding bounds
        (no slopes carried forward), and the size of the largest slope (within those bounds)."""
        V = self.V
        if self.kernel is not None:
            A, B = self.prog.out_mag
            return self.kernel.distinct_pairs(V, A, B, self.s, NOISE, 4 * np.finfo(float).eps,
                                              float(self.slope_noise().max(initial=0.0)), RTOL)
        u = V[:, -2]
        Y = V[:, :-2]
        du = (u[1:] - u[:-1])[:, None]
        S = (Y[1:] - Y[:-1]) / du
        A, B = self.prog.out_mag
        e = NOISE * (A * self.s + B)  # the values' rounding noise
        err = (2 * e + np.abs(S) * (4 * np.finfo(float).eps * abs(float(u[-1])))) / du
        E = err[1:] + err[:-1]
        top = float(np.abs(S).max(initial=0.0)) + float(err.max(initial=0.0))
        thr = max(RTOL * top, 2 * float(self.slope_noise().max(initial=0.0)), 1e-300)
        return ((np.abs(S[1:] - S[:-1]) - E) > thr).any(axis=1), top

    def layer_patterns(self) -> list[np.ndarray]:
        """Per activation, the pattern on every final interval (bool per unit; a group's winner)."""
        if self._pats is None:
            out = []
            left = self.V[:-1, -2]
            for op, Vl in self.records:
                at = np.searchsorted(Vl[:, -2], left, side="right") - 1
                if op.kind == "group":
                    P = _winners(op, Vl)
                else:
                    Z = _compared(op, Vl)
                    P = (Z[:-1] + Z[1:]) > 0
                out.append(P[at])
            self._pats = out
        return self._pats

    def patterns(self) -> np.ndarray:
        pats = self.layer_patterns()
        if not pats:
            return np.zeros((len(self.V) - 1, 0), dtype=np.int32)
        return np.concatenate(pats, axis=1).astype(np.int32)

    def slopes(self, rows: np.ndarray | None = None) -> np.ndarray:
        """``(K, m)``: the output's derivative in ``t`` on every interval (or on the intervals
        ``rows``), carried forward from the line's direction through the interval's pattern (no
        difference quotients)."""
        if rows is not None:
            return self._carry(rows)
        if self._slopes is None:
            self._slopes = self._carry(None)
        return self._slopes

    def _carry(self, rows: np.ndarray | None) -> np.ndarray:
        K = len(self.V) - 1 if rows is None else len(rows)
        S = np.broadcast_to(self.direction, (K, len(self.direction)))
        pats = iter(self.layer_patterns())
        for op in self.prog.ops:
            if op.kind == "affine":
                S = S @ op.WT
                continue
            P = next(pats)
            if rows is not None:
                P = P[rows]
            if op.kind == "relu":
                S = S * P
            elif op.kind == "group":
                win = op.groups[np.arange(op.groups.shape[0])[None, :], P.astype(np.int64)]
                Sg = S[np.arange(K)[:, None], win]
                S = np.concatenate([Sg, S[:, op.idx]], axis=1) if len(op.idx) else Sg
            else:
                S = np.array(S)
                Si = S[:, op.idx]
                S[:, op.idx] = np.where(P, Si, 0.0 if op.kind == "threshold" else op.alpha * Si)
        return np.array(S, dtype=np.float64)

    def maps(self) -> tuple[np.ndarray, np.ndarray]:
        S = self.slopes()
        V = self.V
        tm = (V[:-1, -2] + V[1:, -2]) / 2 + self.t0
        c = (V[:-1, :-2] + V[1:, :-2]) / 2 - S * tm[:, None]
        return S[:, :, None], c


#: the first layer's crossings feed the next layer by one product over the crossings (instead
#: of one over all vertices) when that layer has at least this many weights: below it the
#: general step's fewer numpy calls cost less than the product it saves
_FIRST_MIN = 1 << 15


def _first_relu(op: _Op, nxt: _Op | None, V: np.ndarray, s: float, keep: bool):
    """The first activation when it is a ReLU of values affine along the whole line (``V``: the
    two end vertices), with the affine stage ``nxt`` after it (``None``: nothing after it is
    needed).  Each unit crosses at most once, so the vertices are its crossings sorted, and the
    next layer's values at them are running sums of one row of its weights per crossing (no
    interpolation of the layer, no matrix product over the vertices).  Returns ``(V, record)``
    (``V``: the values after ``nxt``, or the vertices' ``u`` column when ``nxt`` is ``None``),
    or ``None`` where a tie or a crossing on an end needs the general step."""
    w = op.w
    z0, zU = V[0, :w], V[1, :w]
    r = np.flatnonzero((z0 > 0) != (zU > 0))
    n = len(r)
    if not n:
        return None
    a, b = z0[r], zU[r]
    loose = RTOL * (op.mx[0] * s + op.mx[1])
    if min(float(np.abs(a).min()), float(np.abs(b).min())) <= loose:
        return None
    F = a / (a - b)
    order = F.argsort()
    F, r, a = F[order], r[order], a[order]
    D = zU - z0
    U = float(V[1, -2])
    u = F * U
    if n > 1:
        dF = F[1:] - F[:-1]
        Dr = np.abs(D[r])
        if float((dF * np.minimum(Dr[1:], Dr[:-1])).min()) <= loose or not (u[1:] > u[:-1]).all():
            return None  # two crossings a tie apart (or at one point)
    if not (0.0 < u[0] and u[-1] < U):
        return None
    uv = np.empty(n + 2)
    uv[0], uv[1:-1], uv[-1] = 0.0, u, U
    Fv = np.empty(n + 2)
    Fv[0], Fv[1:-1], Fv[-1] = 0.0, F, 1.0
    record = None
    if keep:
        R = np.empty((n + 2, w + 2))
        np.multiply(Fv[:, None], D, out=R[:, :w])
        R[:, :w] += z0
        R[np.arange(1, n + 1), r] = 0.0
        R[:, w], R[:, w + 1] = uv, 1.0
        record = (op, R)
    if nxt is None:
        return uv, record
    # the value of the next layer at vertex k is W relu(z0 + F_k D) + b: the first interval's
    # units (P0) plus, for every crossing i before k, its unit entering or leaving; so one
    # product (vertices x crossings) @ (crossings x next width) instead of one over all units
    G = nxt.WTa[:w]
    P0 = (z0 + zU) > 0
    P0[r] = a > 0
    sg = np.where(a > 0, -1.0, 1.0)
    base = np.stack([P0 * z0, P0 * D]) @ G
    M = (Fv[:, None] * (sg * D[r])) + sg * a
    M *= np.tri(n + 2, n, -1)
    out = M @ G[r]
    out += base[0]
    out += Fv[:, None] * base[1]
    out += nxt.WTa[w + 1]
    out[:, -2] = uv
    return out, record


#: the compiled 1-D kernel (:mod:`tropnet.regions.line_jit`, when numba is installed) is loaded
#: once the float runs of ReLU programs have done this much work in this process
#: (:func:`~tropnet.regions.pool.work_switch`: the same runs on every machine and load, where
#: session 9 timed them): each run counts :data:`LINE_CALL_WORK` plus its cells times the units
#: of its ReLU layers, a model of its numpy time (about 23 us a call and 4.5 ns a unit here,
#: 2026-12-06: [2, 5, 1] to [784, 128, 128, 10] segments), so this is about a second of runs.
#: Its load (numba's import and its on-disk cache, about 0.5 s; the first compile of an install
#: about 10 s) then costs at most about half the time already spent, and a few calls never wait
JIT_AFTER_LINE_WORK = 220_000_000
LINE_CALL_WORK = 5_000
_JIT: dict = {"module": None, "done": 0}


def _line_kernel(prog: LineProgram):
    """The compiled kernel module for a float run of ``prog``, or ``None`` (numpy): for
    programs of affine stages and full-width ReLUs only; the vertex engine's kernel choice
    (:func:`tropnet.regions.pool.use_kernels`: ``"numpy"`` never, ``"numba"`` always, the
    default once numba is loaded -- by the vertex engine's cuts, say -- or after
    :data:`JIT_AFTER_LINE_WORK` of float runs, unless ``TROPNET_JIT=0``) decides, as the 2-D
    certificate's switch does."""
    choice = _KERNELS["choice"]
    if choice == "numpy" or not prog.relu_only:
        return None
    if choice is None and (os.environ.get("TROPNET_JIT", "1") == "0"
                           or (not _KERNELS["jit"] and _JIT["done"] < JIT_AFTER_LINE_WORK)):
        return None  # (numba not loaded yet and little work done: the numpy run)
    if _JIT["module"] is None:
        try:
            from . import jit, line_jit
        except ImportError:
            _JIT["module"] = False
        else:
            jit.warm(line_jit)  # from numba's cache; a compile runs in a child process
            _JIT["module"] = line_jit
    return _JIT["module"] or None


def _jit_arrays(prog: LineProgram, i: int, end: int) -> tuple:
    """The ops ``i:end`` of the program as the compiled kernel reads them: the affine stages'
    augmented weights in one flat array, and per op its kind (0 affine, 1 ReLU), offset, shape
    and magnitude factors (``loose = RTOL (mx0 s + mx1)``)."""
    if prog._jit is None:
        ops = prog.ops
        kinds = np.array([0 if op.kind == "affine" else 1 for op in ops], dtype=np.int64)
        shapes = [op.WTa.shape if op.kind == "affine" else (0, 0) for op in ops]
        wr = np.array([a for a, _ in shapes], dtype=np.int64)
        wc = np.array([b for _, b in shapes], dtype=np.int64)
        woff = np.concatenate([[0], np.cumsum(wr * wc)[:-1]]).astype(np.int64)
        W = np.concatenate([op.WTa.ravel() for op in ops if op.kind == "affine"] + [np.zeros(0)])
        mx0 = np.array([0.0 if op.kind == "affine" else float(op.mx[0]) for op in ops])
        mx1 = np.array([0.0 if op.kind == "affine" else float(op.mx[1]) for op in ops])
        prog._jit = {None: (W, kinds, woff, wr, wc, mx0, mx1)}
    hit = prog._jit.get((i, end))
    if hit is None:
        W, *per_op = prog._jit[None]
        hit = prog._jit[(i, end)] = (W, *[np.ascontiguousarray(a[i:end]) for a in per_op])
    return hit


def _float_line(prog: LineProgram, t0: float, t1: float, o: np.ndarray, direction: np.ndarray,
                max_cells: int | None, s: float | None = None, count_only: bool = False,
                patterns: bool = False) -> LineCells:
    """The float engine on the line ``x(t) = o + t direction``, ``t`` in ``[t0, t1]`` (``s``:
    a bound on ``||x(t)||_inf`` there, computed when not given).  ``count_only``: the cells'
    number only (the run stops after the last activation; no patterns or maps); ``patterns``:
    the patterns will be read (the compiled kernel then gives them with the run).  Until the
    compiled kernel is loaded the runs of ReLU programs count their work
    (:data:`JIT_AFTER_LINE_WORK`)."""
    out = _float_run(prog, t0, t1, o, direction, max_cells, s, count_only, patterns)
    if _JIT["module"] is None and prog.relu_only and _KERNELS["choice"] is None:
        units = sum(op.w for op in prog.ops if op.kind == "relu")
        work_switch(_JIT, LINE_CALL_WORK + (len(out) + 1) * units, JIT_AFTER_LINE_WORK)
    return out


def _float_run(prog: LineProgram, t0: float, t1: float, o: np.ndarray, direction: np.ndarray,
               max_cells: int | None, s: float | None, count_only: bool, patterns: bool) -> LineCells:
    n = len(o)
    V = np.empty((2, n + 2))
    for row, t in ((V[0, :n], t0), (V[1, :n], t1)):
        np.multiply(direction, t, out=row)
        row += o
    V[0, n], V[0, n + 1], V[1, n], V[1, n + 1] = 0.0, 1.0, t1 - t0, 1.0
    if s is None:
        s = float(np.abs(o).max(initial=0.0) + np.abs(direction).max(initial=0.0) * max(abs(t0), abs(t1)))
    ops = prog.count_ops if count_only else prog.ops
    records = []
    amb = 0
    i = 0
    if len(ops) >= 2 and ops[0].kind == "affine" and ops[1].kind == "relu" and (
            len(ops) == 2 or ops[2].kind == "affine" and ops[1].w * ops[2].w >= _FIRST_MIN):
        V = V @ ops[0].WTa
        first = _first_relu(ops[1], ops[2] if len(ops) > 2 else None, V, s, not count_only)
        if first is not None:
            V, rec = first
            if rec is not None:
                records.append(rec)
            if len(V) - 1 > (max_cells if max_cells is not None else len(V)):
                raise RegionLimitError(f"more than max_regions={max_cells} cells on the line ({len(V) - 1})",
                                       "max_regions", {"cells": len(V) - 1})
            if len(ops) == 2:  # the run ends with this activation (a count): V holds the vertices
                return LineCells(V + t0, False, ambiguous=0)
            i = 3
        else:
            i = 1
    kernel = _line_kernel(prog) if i < len(ops) else None
    if kernel is not None:
        pats = patterns and not records
        status, K, Vk, recs, P = kernel.relu_run(V, *_jit_arrays(prog, i, len(ops)), s, RTOL, count_only,
                                                 -1 if max_cells is None else max_cells, pats)
        if status == 0:  # decided (else the numpy step below decides the ties from the same state)
            if count_only:
                return LineCells(None, False, count=K, ambiguous=amb)
            records += zip([op for op in ops[i:] if op.kind == "relu"], recs)
            run = _FloatRun(prog, direction, records, Vk, t0, s, kernel)
            return LineCells(Vk[:, -2] + t0, False, run=run, patterns=P if pats else None, ambiguous=amb)
    for op in ops[i:]:
        if op.kind == "affine":
            V = V @ op.WTa
            continue
        Z = V[:, : op.w] if op.kind == "relu" else _compared(op, V)
        pos = Z > 0
        j, r = (pos[1:] != pos[:-1]).nonzero()
        if len(j):
            magmax = op.mx[0] * s + op.mx[1]
            if count_only and op is ops[-1] and op.kind != "group":
                K = _count_cut(V, Z, j, r, RTOL * magmax)
                if K is not None:
                    if max_cells is not None and K > max_cells:
                        raise RegionLimitError(f"more than max_regions={max_cells} cells on the line ({K})",
                                               "max_regions", {"cells": K})
                    return LineCells(None, False, count=K, ambiguous=amb)
            V, a = _cut(op, V, Z, j, r, s, RTOL * magmax, NOISE * magmax)
            amb += a
            Z = V[:, : op.w] if op.kind == "relu" else _compared(op, V)
            if max_cells is not None and len(V) - 1 > max_cells:
                raise RegionLimitError(f"more than max_regions={max_cells} cells on the line ({len(V) - 1})",
                                       "max_regions", {"cells": len(V) - 1})
        if count_only:
            if op is not ops[-1]:
                V = np.maximum(V, 0.0, out=V) if op.kind == "relu" else _activate(op, V, Z)
            continue
        records.append((op, V))
        V = _activate(op, V, Z)
    run = None if count_only else _FloatRun(prog, direction, records, V, t0, s)
    return LineCells(V[:, -2] + t0, False, run=run, ambiguous=amb)


# ---------------------------------------------------------------------------- entry points


def line_stages(net: Any, exact: bool) -> list[Stage]:
    """The internal program of a network for :func:`line_cells`: with ``exact=True`` the
    exact layers keep their ``Fraction`` arrays and float layers their float64 arrays (the
    dyadic rationals they store; the exact engine reads them as integers without building
    ``Fraction`` objects).

    >>> from tropnet import Network
    >>> [s.kind for s in line_stages(Network.from_arrays([[[1], [2]], [[1, 1]]]), True)]
    ['affine', 'threshold', 'affine']
    """
    from ..networks.layers import LeakyReLU, Linear, Threshold
    from .program import stages_from_network

    stages = stages_from_network(net, exact=False)
    if not exact:
        return stages
    if net.is_graph:  # activations on some units, per-unit parameters: the exact program itself
        return stages_from_network(net, exact=True)
    out = []
    for st, layer in zip(stages, net.lowered().layers):
        if isinstance(layer, Linear) and layer.exact:
            st = Stage("affine", W=layer.weight, b=layer.bias)
        elif isinstance(layer, Linear):
            st = Stage("affine", W=layer.float_weight, b=layer.float_bias)
        elif isinstance(layer, Threshold):
            st = Stage("threshold", idx=st.idx, param=Fraction(layer.t))
        elif isinstance(layer, LeakyReLU):
            st = Stage("leaky", idx=st.idx, param=Fraction(layer.alpha))
        out.append(st)
    return out


def line_cells(
    stages: list[Stage] | LineProgram, lo: Any, hi: Any, *, exact: bool = False, max_cells: int | None = None,
    start: tuple[np.ndarray, Any] | None = None,
) -> LineCells:
    """The activation cells of an internal program on one input on the interval ``[lo, hi]``
    (float mode also takes a compiled :class:`LineProgram`).

    With ``start = (J0, D0)`` the program's input is the line ``x(t) = (J0[:, 0] t + J0[:, 1]) /
    D0`` (``J0`` of shape ``(n, 2)``: integer numerators when exact, float64 with ``D0 = 1``
    otherwise) instead of ``t`` itself: a segment in ``R^n`` without composing the network.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])      # |t|
    >>> c = line_cells(stages_from_network(net), -1.0, 3.0)
    >>> c.breaks.tolist(), c.maps()[0][:, 0, 0].tolist()
    ([-1.0, 0.0, 3.0], [-1.0, 1.0])
    """
    if not Fraction(lo) < Fraction(hi):
        raise ValueError(f"the interval [{lo}, {hi}] is empty or a single point")
    if exact:
        breaks, patterns, J, D = exact_line(stages, lo, hi, max_cells, start)
        return LineCells(breaks, True, patterns=patterns, J=J, D=D)
    if start is None:
        o, direction = np.zeros(1), np.ones(1)
    else:
        J0 = np.asarray(start[0], dtype=np.float64) / float(start[1])
        o, direction = np.ascontiguousarray(J0[:, 1]), np.ascontiguousarray(J0[:, 0])
    prog = stages if isinstance(stages, LineProgram) else compile_line(stages, len(o))
    return _float_line(prog, float(lo), float(hi), o, direction, max_cells)
