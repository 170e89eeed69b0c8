"""A compiled (numba) dense dual simplex for the small LPs of the H-representation engine, for
installs with the ``fast`` extra (``pip install tropnet[fast]``).

The engine's side tests are many tiny LPs (tens of rows, one to two hundred bounded columns);
HiGHS spends about 75 microseconds per call before its first pivot.  :func:`maximise` solves
``max cz . z`` subject to ``M z <= rhs`` and ``lo <= z <= hi`` (finite bounds) from the slack
basis with every column at its best bound (dual feasible), by dual simplex pivots on an explicit
tableau.  Nothing it returns is trusted as is: the caller checks the point directly and turns
the row multipliers into a bound by weak duality (:func:`dual_bound`), which holds for *any*
non-negative multipliers, so a pivot's rounding can only weaken a bound, never make it wrong.
Nothing here is imported by ``import tropnet``.

>>> import numpy as np
>>> M = np.array([[1.0, 1.0]]); rhs = np.array([1.0]); cz = np.array([1.0, 2.0])
>>> st, z, lam = maximise(M, rhs, cz, np.zeros(2), np.ones(2))
>>> st, z.tolist(), round(dual_bound(M, rhs, cz, np.zeros(2), np.ones(2), lam), 12)
(0, [0.0, 1.0], 2.0)
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _dual_simplex(M, rhs, cz, lo, hi, max_iter):  # pragma: no cover - compiled
    m, n = M.shape
    N = n + m
    T = np.zeros((m, N))
    T[:, :n] = M
    for i in range(m):
        T[i, n + i] = 1.0
    beta = rhs.copy()
    d = np.zeros(N)
    d[:n] = -cz  # minimise -cz . z; the slack basis has cost 0, so the reduced costs are the costs
    lb = np.zeros(N)
    ub = np.full(N, np.inf)
    lb[:n] = lo
    ub[:n] = hi
    basis = np.arange(n, N)
    isbasic = np.zeros(N, dtype=np.bool_)
    isbasic[n:] = True
    atup = np.zeros(N, dtype=np.bool_)
    xv = np.zeros(N)
    for j in range(n):
        if d[j] < 0:
            atup[j] = True
            xv[j] = hi[j]
        else:
            xv[j] = lo[j]
    scale = 1.0
    for i in range(m):
        scale = max(scale, abs(rhs[i]))
    for j in range(n):
        scale = max(scale, abs(lo[j]), abs(hi[j]))
    ptol = 1e-11 * scale
    xB = np.zeros(m)
    for _ in range(max_iter):
        for i in range(m):
            xB[i] = beta[i]
        for j in range(N):
            if not isbasic[j] and xv[j] != 0.0:
                for i in range(m):
                    xB[i] -= T[i, j] * xv[j]
        r = -1
        worst = ptol
        for i in range(m):
            k = basis[i]
            v = 0.0
            if xB[i] < lb[k]:
                v = lb[k] - xB[i]
            elif xB[i] > ub[k]:
                v = xB[i] - ub[k]
            if v > worst:
                worst = v
                r = i
        if r < 0:
            z = xv[:n].copy()
            for i in range(m):
                if basis[i] < n:
                    z[basis[i]] = min(max(xB[i], lb[basis[i]]), ub[basis[i]])
            return 0, z, np.maximum(d[n:], 0.0)
        below = xB[r] < lb[basis[r]]
        amax = 0.0
        for j in range(N):
            if not isbasic[j]:
                amax = max(amax, abs(T[r, j]))
        q = -1
        best = np.inf
        bigq = 0.0
        for j in range(N):
            if isbasic[j]:
                continue
            a = T[r, j]
            if abs(a) <= 1e-9 * amax:
                continue
            if below:
                ok = (a < 0 and not atup[j]) or (a > 0 and atup[j])
            else:
                ok = (a > 0 and not atup[j]) or (a < 0 and atup[j])
            if not ok:
                continue
            rt = abs(d[j]) / abs(a)
            if rt < best - 1e-12 or (rt <= best + 1e-12 and abs(a) > bigq):
                best = rt
                bigq = abs(a)
                q = j
        if q < 0:
            return 1, xv[:n].copy(), np.maximum(d[n:], 0.0)  # primal infeasible
        leaving = basis[r]
        piv = T[r, q]
        for j in range(N):
            T[r, j] /= piv
        beta[r] /= piv
        for i in range(m):
            if i != r:
                f = T[i, q]
                if f != 0.0:
                    for j in range(N):
                        T[i, j] -= f * T[r, j]
                    beta[i] -= f * beta[r]
        f = d[q]
        for j in range(N):
            d[j] -= f * T[r, j]
        d[q] = 0.0
        basis[r] = q
        isbasic[q] = True
        isbasic[leaving] = False
        xv[q] = 0.0
        if below:
            xv[leaving] = lb[leaving]
            atup[leaving] = False
        else:
            xv[leaving] = ub[leaving]
            atup[leaving] = True
    return 2, xv[:n].copy(), np.maximum(d[n:], 0.0)  # iteration limit


def maximise(M: np.ndarray, rhs: np.ndarray, cz: np.ndarray, lo: np.ndarray, hi: np.ndarray
             ) -> tuple[int, np.ndarray, np.ndarray]:
    """``max cz . z`` subject to ``M z <= rhs``, ``lo <= z <= hi`` (finite bounds): ``(status,
    z, lam)``, status ``0`` optimal (``z`` the maximiser, clipped to its bounds; ``lam >= 0`` the
    row multipliers), ``1`` infeasible, ``2`` iteration limit (the caller falls back to HiGHS).

    >>> maximise(np.array([[1.0]]), np.array([-2.0]), np.array([1.0]), np.zeros(1), np.ones(1))[0]
    1
    """
    m, n = M.shape
    return _dual_simplex(np.ascontiguousarray(M, dtype=np.float64), np.asarray(rhs, dtype=np.float64),
                         np.asarray(cz, dtype=np.float64), np.asarray(lo, dtype=np.float64),
                         np.asarray(hi, dtype=np.float64), 20 * (m + n) + 50)


def dual_bound(M: np.ndarray, rhs: np.ndarray, cz: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               lam: np.ndarray) -> float:
    """An upper bound on ``max cz . z`` over ``{M z <= rhs, lo <= z <= hi}`` from any multipliers
    ``lam >= 0`` (weak duality: ``lam . rhs`` plus the box's support of ``cz - M^T lam``).

    >>> dual_bound(np.array([[1.0]]), np.array([0.5]), np.array([1.0]), np.zeros(1), np.ones(1), np.ones(1))
    0.5
    """
    lam = np.maximum(lam, 0.0)
    g = cz - M.T.dot(lam)
    return float(lam.dot(rhs) + np.maximum(g * lo, g * hi).sum())


def _signatures():
    """The argument types :func:`maximise` calls the kernel with (for
    :func:`tropnet.regions.jit.warm`)."""
    from numba import types as t

    f1 = t.Array(t.float64, 1, "C")
    return [(_dual_simplex, (t.Array(t.float64, 2, "C"), f1, f1, f1, f1, t.int64))]
