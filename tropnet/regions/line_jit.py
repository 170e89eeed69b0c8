"""The compiled (numba) body of the float 1-D engine's ReLU layers, for installs with the
``fast`` extra (``pip install tropnet[fast]``).

:func:`relu_run` is the general step of :func:`tropnet.regions.line._float_line` for a program of
affine stages and full-width ReLUs, run in one call instead of about twenty numpy calls per
layer: an affine stage is one product over all vertices; a ReLU puts a vertex, by linear
interpolation, where a unit changes sign between two neighbours (crossings of one interval in
the order of their position) and applies itself at the vertices.  It decides only the generic
case: a value within the layer's tie band (``loose``) at a vertex or at a new vertex, two
crossings of one interval a tie apart, a crossing on a vertex, or more than ``max_cells``
intervals *bail out* (status 1), and the numpy engine, the reference, runs the line from the
same state and decides the ties.  :func:`tropnet.regions.line._float_line` picks this module
lazily (it imports numba) once a program has run often enough to pay for loading it; nothing
here is imported by ``import tropnet``.

>>> import numpy as np
>>> V = np.array([[-1.0, 0.0, 1.0], [1.0, 2.0, 1.0]])   # one unit: t - 1 on u in [0, 2]
>>> W = np.eye(3).ravel()                              # an identity affine stage (unit, u, 1)
>>> kinds = np.array([0, 1]); off = np.zeros(2, dtype=np.int64); sh = np.full(2, 3)
>>> mx = np.ones(2)                                     # tie band 1e-9 (mx0 s + mx1)
>>> status, count, V, recs, P = relu_run(V, W, kinds, off, sh, sh, mx, mx, 1.0, 1e-9, False, -1, True)
>>> status, count, V[:, 1].tolist(), V[:, 0].tolist(), P.tolist()
(0, 2, [0.0, 1.0, 2.0], [0.0, 0.0, 1.0], [[0], [1]])
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["distinct_pairs", "relu_run"]


@numba.njit(cache=True, nogil=True)
def _crossings(V, a, w, fs, rs):  # pragma: no cover - compiled
    """The units changing sign between vertices ``a`` and ``a + 1``: their positions ``f`` in
    the interval (into ``fs``) and ids (into ``rs``); returns how many."""
    m = 0
    for c in range(w):
        x = V[a, c]
        y = V[a + 1, c]
        if (x > 0.0) != (y > 0.0):
            fs[m] = x / (x - y)
            rs[m] = c
            m += 1
    return m


@numba.njit(cache=True, nogil=True)
def relu_run(V, W, kinds, woff, wr, wc, mx0, mx1, s, rtol, count_only, max_cells,
             patterns):  # pragma: no cover - compiled
    """Run the stages ``kinds`` (0 affine, 1 ReLU) on the vertices ``V`` (rows: the values,
    then ``u`` and ``1``).  Affine stage ``i`` is ``W[woff[i]:][:wr[i] * wc[i]]`` reshaped to
    ``(wr[i], wc[i])`` (augmented and transposed, as the numpy engine keeps it); ReLU ``i``'s
    largest tie band is ``rtol (mx0[i] s + mx1[i])``.  Returns ``(status, intervals, V, records)``: status 0
    (decided) or 1 (bail out: the numpy engine decides), the number of intervals, the last
    vertex values and, unless ``count_only``, each ReLU's values after its cut (before it
    applies itself).  With ``count_only`` the run ends at the last ReLU's crossings (the
    program must end with a ReLU) and ``V`` is not the vertex table."""
    recs = [np.empty((0, V.shape[1]))]
    recs.pop()
    P = np.empty((0, 0), dtype=np.int32)
    L = len(kinds)
    for i in range(L):
        if kinds[i] == 0:
            Wl = W[woff[i]: woff[i] + wr[i] * wc[i]].reshape((wr[i], wc[i]))
            V = V @ Wl
            continue
        lz = rtol * (mx0[i] * s + mx1[i])
        K, n = V.shape
        w = n - 2
        cnt = 0
        for a in range(K - 1):
            for c in range(w):
                x = V[a, c]
                y = V[a + 1, c]
                if (x > 0.0) != (y > 0.0):
                    if min(abs(x), abs(y)) <= lz:
                        return 1, 0, V, recs, P
                    cnt += 1
        if max_cells >= 0 and K - 1 + cnt > max_cells:
            return 1, 0, V, recs, P
        fs = np.empty(w)
        rs = np.empty(w, dtype=np.int64)
        if count_only and i == L - 1:  # the last layer of a count: its crossings only
            for a in range(K - 1):
                m = _crossings(V, a, w, fs, rs)
                if m == 0:
                    continue
                du = V[a + 1, w] - V[a, w]
                for k in range(m):
                    if not (0.0 < fs[k] * du < du):
                        return 1, 0, V, recs, P
                if m > 1:
                    o = np.argsort(fs[:m])
                    for k in range(m - 1):
                        p = o[k]
                        q = o[k + 1]
                        dp = abs(V[a, rs[p]] - V[a + 1, rs[p]])
                        dq = abs(V[a, rs[q]] - V[a + 1, rs[q]])
                        if (fs[q] - fs[p]) * min(dp, dq) <= lz:
                            return 1, 0, V, recs, P
            return 0, K - 1 + cnt, V, recs, P
        if cnt:
            V2 = np.empty((K + cnt, n))
            pos = 0
            for a in range(K - 1):
                V2[pos] = V[a]
                pos += 1
                m = _crossings(V, a, w, fs, rs)
                if m == 0:
                    continue
                o = np.argsort(fs[:m]) if m > 1 else np.zeros(1, dtype=np.int64)
                for k in o:
                    f = fs[k]
                    r = rs[k]
                    for c in range(n):
                        V2[pos, c] = V[a, c] + f * (V[a + 1, c] - V[a, c])
                    V2[pos, r] = 0.0
                    for c in range(w):
                        if c != r and abs(V2[pos, c]) <= lz:
                            return 1, 0, V, recs, P  # another unit at its threshold there
                    pos += 1
            V2[pos] = V[K - 1]
            for a in range(K + cnt - 1):
                if not V2[a + 1, w] > V2[a, w]:
                    return 1, 0, V, recs, P  # crossings at one float point
            V = V2
        if not count_only:
            recs.append(V)
        V = np.maximum(V, 0.0)
    if patterns:
        P = _patterns(recs, V)
    return 0, V.shape[0] - 1, V, recs, P


@numba.njit(cache=True, nogil=True)
def _patterns(recs, V):  # pragma: no cover - compiled
    """The ReLUs' patterns on the final intervals of ``V`` (the body of
    ``line._FloatRun.patterns``): the record interval holding each final interval's left end
    (positions ``u`` are carried exactly), its units positive at the midpoint."""
    K = V.shape[0] - 1
    u = V.shape[1] - 2
    tot = 0
    for R in recs:
        tot += R.shape[1] - 2
    P = np.empty((K, tot), dtype=np.int32)
    off = 0
    for R in recs:
        w = R.shape[1] - 2
        p = 0
        for q in range(K):
            left = V[q, u]
            while p + 1 < R.shape[0] - 1 and R[p + 1, w] <= left:
                p += 1
            for c in range(w):
                P[q, off + c] = 1 if R[p, c] + R[p + 1, c] > 0.0 else 0
        off += w
    return P


@numba.njit(cache=True, nogil=True)
def distinct_pairs(V, A, B, s, noise, eps4, snoise, rtol):  # pragma: no cover - compiled
    """The body of ``line._FloatRun.distinct_pairs``: which neighbouring intervals of the
    vertices ``V`` certainly have different output maps (difference quotients with their
    rounding bounds; outputs' magnitude bound ``A s + B``, ``snoise`` the largest slope noise),
    and the size of the largest slope."""
    K = V.shape[0] - 1
    m = V.shape[1] - 2
    S = np.empty((K, m))
    err = np.empty((K, m))
    rnd = eps4 * abs(V[K, m])
    top = 0.0
    etop = 0.0
    for k in range(K):
        du = V[k + 1, m] - V[k, m]
        for c in range(m):
            x = (V[k + 1, c] - V[k, c]) / du
            S[k, c] = x
            e = (2 * (noise * (A[c] * s + B[c])) + abs(x) * rnd) / du
            err[k, c] = e
            top = max(top, abs(x))
            etop = max(etop, e)
    top = top + etop
    thr = max(rtol * top, 2 * snoise, 1e-300)
    certain = np.zeros(max(K - 1, 0), dtype=np.bool_)
    for k in range(K - 1):
        for c in range(m):
            if abs(S[k + 1, c] - S[k, c]) - (err[k + 1, c] + err[k, c]) > thr:
                certain[k] = True
                break
    return certain, top


def _signatures():
    """The argument types :mod:`tropnet.regions.line` calls each kernel with (for
    :func:`tropnet.regions.jit.warm`)."""
    from numba import types as t

    f1, f2, i1 = t.Array(t.float64, 1, "C"), t.Array(t.float64, 2, "C"), t.Array(t.int64, 1, "C")
    f = t.float64
    return [
        (relu_run, (f2, f1, i1, i1, i1, i1, f1, f1, f, f, t.boolean, t.int64, t.boolean)),
        (distinct_pairs, (f2, f1, f1, f, f, f, f, f)),
    ]
