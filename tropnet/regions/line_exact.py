"""The exact 1-D engine: a network's cells on an interval in rational arithmetic.

Every interval's map is kept as integer numerators over one common denominator (``z = J (t, 1)
/ D``; products through FLINT) and the breakpoints as ``Fraction``; an activation cuts an
interval where one of its units changes sign (for a group: where two members cross), decided
exactly, and consecutive pieces with the same pattern are joined.  So the breakpoints are the
exact rational points where the pattern changes.  The float engine and the entry points are in
:mod:`tropnet.regions.line`.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

import numpy as np

from ..kernels.scaled import int_matmul, to_scaled
from .cells import RegionLimitError
from .program import Stage

__all__ = ["exact_line"]

def _pq(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points as numerators and positive denominators."""
    p = np.empty(len(t), dtype=object)
    q = np.empty(len(t), dtype=object)
    p[:] = [v.numerator for v in t]
    q[:] = [v.denominator for v in t]
    return p, q


def _ratio(v: Any) -> tuple[int, int]:
    f = Fraction(v)
    return f.numerator, f.denominator


def _values(Z: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``Z[..., 0] p + Z[..., 1] q`` per interval (the sign of the value at ``p / q``)."""
    return Z[:, :, 0] * p[:, None] + Z[:, :, 1] * q[:, None]


def _crossings(Z: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points strictly inside each interval where an affine function ``Z (t, 1)`` changes
    sign: ``(interval, t)`` arrays."""
    p, q = _pq(breaks)
    lo = _values(Z, p[:-1], q[:-1])
    hi = _values(Z, p[1:], q[1:])
    cross = ((lo > 0) & (hi < 0)) | ((lo < 0) & (hi > 0))
    j, r = np.nonzero(cross)
    t = np.empty(len(j), dtype=object)
    if len(j):
        a, b = Z[j, r, 0], Z[j, r, 1]
        t[:] = [Fraction(-int(y), int(x)) for x, y in zip(a.tolist(), b.tolist())]
    return j, t


def _split(breaks: np.ndarray, j: np.ndarray, t: np.ndarray):
    """The intervals cut at the points ``t`` (of intervals ``j``): new breaks and the parent
    interval of each piece."""
    K = len(breaks) - 1
    allj = np.concatenate([np.arange(K), j])
    allt = np.concatenate([breaks[:-1], t]) if len(t) else breaks[:-1].copy()
    order = np.array(sorted(range(len(allj)), key=lambda i: (allj[i], allt[i])), dtype=np.int64)
    js, ts = allj[order], allt[order]
    keep = np.ones(len(ts), dtype=bool)
    keep[1:] = ~((js[1:] == js[:-1]) & np.array([a == b for a, b in zip(ts[1:], ts[:-1])], dtype=bool))
    js, ts = js[keep], ts[keep]
    new = np.empty(len(ts) + 1, dtype=breaks.dtype)
    new[:-1] = ts
    new[-1] = breaks[-1]
    return new, js


def _midpoints(breaks: np.ndarray) -> np.ndarray:
    out = np.empty(len(breaks) - 1, dtype=object)
    out[:] = [(a + b) / 2 for a, b in zip(breaks[:-1], breaks[1:])]
    return out


def _join(breaks: np.ndarray, parent: np.ndarray, pat: np.ndarray):
    """Join consecutive pieces of one parent with the same pattern: (breaks, parent, pattern)."""
    if len(parent) < 2:
        return breaks, parent, pat
    same = (parent[1:] == parent[:-1]) & (pat[1:] == pat[:-1]).all(axis=1)
    if not same.any():
        return breaks, parent, pat
    keep = np.concatenate([[True], ~same])
    return np.concatenate([breaks[:-1][keep], breaks[-1:]]), parent[keep], pat[keep]


def _affine(J: np.ndarray, D: Any, st: Stage):
    K, w, _ = J.shape
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


def exact_line(stages: list[Stage], lo: Any, hi: Any, max_cells: int | None = None,
               start: tuple[np.ndarray, Any] | None = None):
    """The exact cells of an internal program (exact stages) on ``[lo, hi]``: ``(breaks,
    patterns, J, D)`` (see :func:`tropnet.regions.line.line_cells`, which wraps them in a
    :class:`~tropnet.regions.line.LineCells`).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1], [1]], [[1, -1]]], [[0, -1], [0]])   # relu(t) - relu(t - 1)
    >>> breaks, patterns, J, D = exact_line(stages_from_network(net, exact=True), -2, 2)
    >>> [str(t) for t in breaks], patterns.tolist(), J[:, 0, 0].tolist(), D
    (['-2', '0', '1', '2'], [[0, 0], [1, 0], [1, 1]], [0, 1, 0], 1)
    """
    breaks = np.array([Fraction(lo), Fraction(hi)], dtype=object)
    J = np.array([[[1, 0]]], dtype=object)
    D: Any = 1
    if start is not None:
        J = np.asarray(start[0], dtype=object)[None, :, :]
        D = int(start[1])
    pats: list[np.ndarray] = []
    for st in stages:
        if st.kind == "affine":
            J, D = _affine(J, D, st)
            continue
        if st.kind in ("threshold", "leaky"):
            lp, lq = _ratio(st.param if st.kind == "threshold" else 0)
            if D % lq:
                s = lq // gcd(D, lq)
                J, D = J * s, D * s
            Z = J[:, st.idx, :].copy()
            Z[:, :, 1] -= lp * (D // lq)
            j, t = _crossings(Z, breaks)
            breaks, parent = _split(breaks, j, t)
            mp, mq = _pq(_midpoints(breaks))
            pat = (_values(Z[parent], mp, mq) > 0).astype(np.int32)
            breaks, parent, pat = _join(breaks, parent, pat)
            J = J[parent]
            act = pat.astype(bool)
            if st.kind == "threshold":
                const = np.zeros(2, dtype=object)
                const[1] = lp * (D // lq)
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], const)
            else:
                ap, aq = _ratio(st.param)
                Ji = J[:, st.idx, :] * ap
                if aq != 1:
                    J, D = J * aq, D * aq
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], Ji)
        else:  # group: max over each row of st.groups, then st.idx passed through
            G, k = st.groups.shape
            ia, ib = np.triu_indices(k, 1)
            if len(ia):
                Z = J[:, st.groups[:, ia].ravel(), :] - J[:, st.groups[:, ib].ravel(), :]
                j, t = _crossings(Z, breaks)
            else:
                j, t = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
            breaks, parent = _split(breaks, j, t)
            mp, mq = _pq(_midpoints(breaks))
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
    return breaks, patterns.astype(np.int32), J, D
