"""The 1-D engine: the cells of a network on an interval, by sorting breakpoints per layer.

On a line every stage of the network is, on each current interval, an affine function of the
parameter ``t``.  An activation stage cuts an interval where one of its units changes sign
(for a group: where two members cross), the pieces get their pattern at their midpoints, and
consecutive pieces with the same pattern are joined; no linear program, no vertex pool.
Exact mode keeps every map as integer numerators over one common denominator (``z = J (t, 1)
/ D``; products through FLINT) and the breakpoints as ``Fraction``; every sign is decided
exactly, so the breakpoints are the exact rational points where the pattern changes.  Float
mode computes the same in float64 and drops a crossing closer than ``1e-12`` (relative) to an
end of its interval.

>>> from tropnet import Network
>>> from tropnet.regions.program import stages_from_network
>>> net = Network.from_arrays([[[1], [1]], [[1, -1]]], [[0, -1], [0]])   # relu(t) - relu(t - 1)
>>> cells = line_cells(stages_from_network(net, exact=True), -2, 2, exact=True)
>>> [str(t) for t in cells.breaks], cells.patterns.tolist()
(['-2', '0', '1', '2'], [[0, 0], [1, 0], [1, 1]])
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any

import numpy as np

from ..kernels.scaled import int_matmul, to_scaled
from .cells import RegionLimitError
from .program import Stage

__all__ = ["LineCells", "line_cells", "linear_runs", "line_stages"]

_FLOAT_GAP = 1e-12


@dataclass
class LineCells:
    """Activation cells on an interval ``[breaks[0], breaks[-1]]``: cell ``j`` is
    ``(breaks[j], breaks[j+1])`` with ``patterns[j]``; on it the network is
    ``t -> (J[j, :, 0] t + J[j, :, 1]) / D``."""

    breaks: np.ndarray
    patterns: np.ndarray
    J: np.ndarray
    D: Any
    exact: bool

    def __len__(self) -> int:
        return len(self.patterns)

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
        return self.J[:, :, 0][:, :, None].copy(), self.J[:, :, 1].copy()


def _ratio(v: Any) -> tuple[int, int]:
    f = Fraction(v)
    return f.numerator, f.denominator


def _pq(t: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Points as numerators and positive denominators (exact), or ``(t, None)`` (float)."""
    if not exact:
        return t, None
    p = np.empty(len(t), dtype=object)
    q = np.empty(len(t), dtype=object)
    p[:] = [v.numerator for v in t]
    q[:] = [v.denominator for v in t]
    return p, q


def _values(Z: np.ndarray, p: np.ndarray, q: np.ndarray | None) -> np.ndarray:
    """``Z[..., 0] p + Z[..., 1] q`` per interval (the sign of the value at ``p / q``; ``q`` is
    ``None`` for float points)."""
    if q is None:
        return Z[:, :, 0] * p[:, None] + Z[:, :, 1]
    return Z[:, :, 0] * p[:, None] + Z[:, :, 1] * q[:, None]


def _crossings(Z: np.ndarray, breaks: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """The points strictly inside each interval where an affine function ``Z (t, 1)`` changes
    sign: ``(interval, t)`` arrays."""
    p, q = _pq(breaks, exact)
    lo = _values(Z, p[:-1], None if q is None else q[:-1])
    hi = _values(Z, p[1:], None if q is None else q[1:])
    cross = ((lo > 0) & (hi < 0)) | ((lo < 0) & (hi > 0))
    j, r = np.nonzero(cross)
    if not len(j):
        return j, np.zeros(0, dtype=object if exact else np.float64)
    a, b = Z[j, r, 0], Z[j, r, 1]
    if exact:
        t = np.empty(len(j), dtype=object)
        t[:] = [Fraction(-int(y), int(x)) for x, y in zip(a.tolist(), b.tolist())]
        return j, t
    t = -b / a
    left, right = breaks[:-1][j], breaks[1:][j]
    gap = _FLOAT_GAP * max(1.0, float(np.abs(breaks).max()))
    ok = (t > left + gap) & (t < right - gap)
    return j[ok], t[ok]


def _split(breaks: np.ndarray, j: np.ndarray, t: np.ndarray, exact: bool):
    """The intervals cut at the points ``t`` (of intervals ``j``): new breaks and the parent
    interval of each piece."""
    K = len(breaks) - 1
    allj = np.concatenate([np.arange(K), j])
    allt = np.concatenate([breaks[:-1], t]) if len(t) else breaks[:-1].copy()
    if exact:
        order = sorted(range(len(allj)), key=lambda i: (allj[i], allt[i]))
        order = np.array(order, dtype=np.int64)
        js, ts = allj[order], allt[order]
        keep = np.ones(len(ts), dtype=bool)
        keep[1:] = ~((js[1:] == js[:-1]) & np.array([a == b for a, b in zip(ts[1:], ts[:-1])], dtype=bool))
    else:
        order = np.lexsort((allt, allj))
        js, ts = allj[order], allt[order]
        keep = np.ones(len(ts), dtype=bool)
        keep[1:] = ~((js[1:] == js[:-1]) & (ts[1:] == ts[:-1]))
    js, ts = js[keep], ts[keep]
    new = np.empty(len(ts) + 1, dtype=breaks.dtype)
    new[:-1] = ts
    new[-1] = breaks[-1]
    return new, js


def _midpoints(breaks: np.ndarray, exact: bool) -> np.ndarray:
    if exact:
        out = np.empty(len(breaks) - 1, dtype=object)
        out[:] = [(a + b) / 2 for a, b in zip(breaks[:-1], breaks[1:])]
        return out
    return (breaks[:-1] + breaks[1:]) / 2


def _join(breaks: np.ndarray, parent: np.ndarray, pat: np.ndarray):
    """Join consecutive pieces of one parent with the same pattern: (breaks, parent, pattern)."""
    if len(parent) < 2:
        return breaks, parent, pat
    same = (parent[1:] == parent[:-1]) & (pat[1:] == pat[:-1]).all(axis=1)
    if not same.any():
        return breaks, parent, pat
    keep = np.concatenate([[True], ~same])
    return np.concatenate([breaks[:-1][keep], breaks[-1:]]), parent[keep], pat[keep]


def _affine(J: np.ndarray, D: Any, st: Stage, exact: bool):
    K, w, _ = J.shape
    if exact:
        Wz, q = to_scaled(np.asarray(st.W))
        bz, qb = to_scaled(np.asarray(st.b).ravel())
        if qb != q:
            m = q * qb // gcd(q, qb)
            Wz = Wz.astype(object) * (m // q)
            bz = bz.astype(object) * (m // qb)
            q = m
        Jt = np.ascontiguousarray(J.transpose(1, 0, 2)).reshape(w, K * 2)
        out = int_matmul(Wz.astype(object), Jt.astype(object)).astype(object)
        out = out.reshape(-1, K, 2).transpose(1, 0, 2).copy()
        out[:, :, 1] += bz.astype(object)[None, :] * D
        return out, D * q
    W = np.asarray(st.W, dtype=np.float64)
    # one GEMM: the (K, 2) columns as rows, (2K, w) @ (w, m)
    out = (J.transpose(0, 2, 1).reshape(K * 2, w) @ W.T).reshape(K, 2, W.shape[0]).transpose(0, 2, 1)
    out[:, :, 1] += np.asarray(st.b, dtype=np.float64)
    return out, D


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
    stages: list[Stage], lo: Any, hi: Any, *, exact: bool = False, max_cells: int | None = None,
    start: tuple[np.ndarray, Any] | None = None,
) -> LineCells:
    """The activation cells of an internal program on one input on the interval ``[lo, hi]``.

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
    if exact:
        breaks = np.array([Fraction(lo), Fraction(hi)], dtype=object)
        J = np.array([[[1, 0]]], dtype=object)
        D: Any = 1
    else:
        breaks = np.array([float(lo), float(hi)], dtype=np.float64)
        J = np.array([[[1.0, 0.0]]])
        D = 1.0
    if start is not None:
        J = np.asarray(start[0], dtype=object if exact else np.float64)[None, :, :]
        D = int(start[1]) if exact else 1.0
    if not breaks[0] < breaks[1]:
        raise ValueError(f"the interval [{lo}, {hi}] is empty or a single point")
    pats: list[np.ndarray] = []
    for st in stages:
        if st.kind == "affine":
            J, D = _affine(J, D, st, exact)
            continue
        if st.kind in ("threshold", "leaky"):
            level = st.param if st.kind == "threshold" else 0
            if exact:
                lp, lq = _ratio(level)
                if D % lq:
                    s = lq // gcd(D, lq)
                    J, D = J * s, D * s
                Z = J[:, st.idx, :].copy()
                Z[:, :, 1] -= lp * (D // lq)
            else:
                full = len(st.idx) == J.shape[1] and np.array_equal(st.idx, np.arange(len(st.idx)))
                sel = slice(None) if full else st.idx  # a view when the stage acts on every unit
                Z = J[:, sel, :]
                if float(level) != 0.0:
                    Z = Z.copy()
                    Z[:, :, 1] -= float(level)
            j, t = _crossings(Z, breaks, exact)
            breaks, parent = _split(breaks, j, t, exact)
            mp, mq = _pq(_midpoints(breaks, exact), exact)
            pat = (_values(Z[parent], mp, mq) > 0).astype(np.int32)
            breaks, parent, pat = _join(breaks, parent, pat)
            J = J[parent]
            act = pat.astype(bool)
            if not exact and st.kind == "threshold" and full and float(level) == 0.0:
                J *= act[:, :, None]  # a ReLU on every unit: the inactive rows are 0
            elif st.kind == "threshold":
                const = np.zeros(2, dtype=object if exact else np.float64)
                const[1] = lp * (D // lq) if exact else float(level)
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], const)
            else:
                if exact:
                    ap, aq = _ratio(st.param)
                    Ji = J[:, st.idx, :] * ap
                    if aq != 1:
                        J, D = J * aq, D * aq
                    J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], Ji)
                else:
                    Ji = float(st.param) * J[:, st.idx, :]
                    J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], Ji)
        else:  # group: max over each row of st.groups, then st.idx passed through
            G, k = st.groups.shape
            ia, ib = np.triu_indices(k, 1)
            if len(ia):
                Z = J[:, st.groups[:, ia].ravel(), :] - J[:, st.groups[:, ib].ravel(), :]
                j, t = _crossings(Z, breaks, exact)
            else:
                j, t = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=breaks.dtype)
            breaks, parent = _split(breaks, j, t, exact)
            mp, mq = _pq(_midpoints(breaks, exact), exact)
            V = _values(J[parent][:, st.groups.ravel(), :], mp, mq).reshape(len(parent), G, k)
            mx = V.max(axis=2)
            pat = np.argmax(V == mx[:, :, None], axis=2).astype(np.int32)
            breaks, parent, pat = _join(breaks, parent, pat)
            J = J[parent]
            win = st.groups[np.arange(G)[None, :], pat.astype(np.int64)]
            Jg = J[np.arange(len(J))[:, None], win, :]
            J = np.concatenate([Jg, J[:, st.idx, :]], axis=1) if len(st.idx) else Jg
        pats = [p[parent] for p in pats] + [pat]
        if max_cells is not None and len(parent) > max_cells:
            raise RegionLimitError(f"more than max_regions={max_cells} cells on the line ({len(parent)})",
                                   "max_regions", {"cells": len(parent)})
    K = len(breaks) - 1
    patterns = np.concatenate(pats, axis=1) if pats else np.zeros((K, 0), dtype=np.int32)
    return LineCells(breaks, patterns.astype(np.int32), J, D, exact)


def linear_runs(cells: LineCells) -> np.ndarray:
    """The linear-region label of every cell: consecutive cells with the same output map
    (exactly equal in exact mode, within ``1e-9`` of the largest entry in float mode) share
    a label.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1.0], [1.0]], [[0.0, 0.0]]], [[0.0, -1.0], [0.0]])  # constant
    >>> linear_runs(line_cells(stages_from_network(net), -2.0, 2.0)).tolist()
    [0, 0, 0]
    """
    J = cells.J.reshape(len(cells), -1)
    if len(J) < 2:
        return np.zeros(len(J), dtype=np.int64)
    if cells.exact:
        same = (J[1:] == J[:-1]).all(axis=1).astype(bool)
    else:
        scale = float(np.abs(J).max()) if J.size else 0.0
        same = np.abs(J[1:] - J[:-1]).max(axis=1) <= 1e-9 * max(scale, 1e-300)
    return np.concatenate([[0], np.cumsum(~same)]).astype(np.int64)
