"""Compiled (numba) bodies of the two loops of the float certificate
:func:`tropnet.regions.planar_linear.no_shared_maps`, for installs with the ``fast`` extra.

Each function is the same computation as the numpy code it stands in for (the facets inside
root polygons, :func:`~tropnet.regions.planar_linear._inside_ok`, and the stretches of the
edges between them, :meth:`~tropnet.regions.planar_linear._Stretches.vertex_check`), with the
same operations in the same order, so the same decisions; one pass per polygon or edge instead
of a few hundred array operations.  :func:`tropnet.regions.planar_linear._compiled` picks this
module once numba is loaded in the process (the vertex engine's large cuts load it, or
``pool.use_kernels("numba")``), or for a certificate big enough to pay for loading it; the numpy
code stays the reference (``pool.use_kernels("numpy")``).  Nothing here is imported by
``import tropnet``.

>>> import numpy as np
>>> s = np.array([[-1.0], [1.0], [1.0]])  # one unit crossing a triangle
>>> coords = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
>>> ids, pr, pu = np.array([[0, 1, 2]]), np.array([0]), np.array([0])
>>> bool(inside_ok(s, coords, ids, pr, pu, np.zeros(1), np.ones(1), 1.0, 1e-9))
True
"""

from __future__ import annotations

import numba
import numpy as np

from ..kernels.certify import FLOAT64_ROUNDOFF, gamma_bound

_U = FLOAT64_ROUNDOFF
_gamma_bound = numba.njit(cache=True, nogil=True)(gamma_bound)  # (certify.gamma's formula, compiled)


@numba.njit(cache=True, nogil=True)
def _gamma(k):  # pragma: no cover - compiled
    return _gamma_bound(k, _U)


@numba.njit(cache=True, nogil=True)
def inside_ok(s, coords, ids, pr, pu, Ez, wmax, jump, need):  # pragma: no cover - compiled
    """Every facet on a line of the last layer inside a root polygon certified: the slope of
    the unit over the polygon (pairs ``pr, pu`` sorted by polygon) and no two units of one
    polygon with proportional values (up to 1e-6)."""
    Q, m = len(pr), ids.shape[1]
    norm = np.empty((Q, m))
    vals = np.empty(m)
    for i in range(Q):
        r, u = pr[i], pu[i]
        for k in range(m):
            vals[k] = s[ids[r, k], u]
        kmax = kmin = 0
        smax = smin = vals[0]
        for k in range(1, m):
            v = vals[k]
            if v != v:
                return False
            if v > smax:
                smax, kmax = v, k
            if v < smin:
                smin, kmin = v, k
        a, b = ids[r, kmax], ids[r, kmin]
        dx = abs(coords[a, 0] - coords[b, 0]) + abs(coords[a, 1] - coords[b, 1])
        slope = (smax - smin - 2 * Ez[u]) * (1 - 4 * _U) / (dx * (1 + 4 * _U))
        if not (jump * wmax[u] * slope * (1 - 4 * _U) > need):
            return False
        sgn = -1.0 if vals[0] < 0 else 1.0
        top = 0.0
        for k in range(m):
            top = max(top, abs(vals[k]))
        for k in range(m):
            norm[i, k] = vals[k] / sgn / top
    start = 0
    while start < Q:
        end = start + 1
        while end < Q and pr[end] == pr[start]:
            end += 1
        for i in range(start, end):
            for j in range(i + 1, end):
                same = True
                far = 0.0
                for k in range(m):
                    if (norm[i, k] > 0) != (norm[j, k] > 0):
                        same = False
                        break
                    far = max(far, abs(norm[j, k] - norm[i, k]))
                if same and far <= 1e-6:
                    return False
        start = end
    return True


@numba.njit(cache=True, nogil=True)
def stretches_ok(alpha, ids, H, ev, A, B, ptr, cu, s, on, Ez, Wa, jump, need):  # pragma: no cover
    """Per edge ``(a, b, q, p)``: whether every stretch's ``Wa diag(m~) w`` is above ``need``
    beyond its bounds (``ok``), and ``False`` as the second value when two crossings of one
    edge cannot be ordered (nothing certified); then the crossings, as
    :meth:`~tropnet.regions.planar_stretches._Stretches._flips` finds them: the edge and unit
    of each, by edge, in order along it."""
    k, nout = ids.shape[0], Wa.shape[0]
    ok = np.zeros(k, dtype=np.bool_)
    total = 0
    for e in range(k):
        total += ptr[A[e] + 1] - ptr[A[e]]
    fe_all = np.empty(total, dtype=np.int64)
    fu_all = np.empty(total, dtype=np.int64)
    nall = 0
    v = np.empty(nout)
    corr = np.empty(nout)
    acc = np.empty(nout)
    tts = np.empty(cu.shape[0] + 1)
    ets = np.empty(cu.shape[0] + 1)
    fus = np.empty(cu.shape[0] + 1, dtype=np.int64)
    for e in range(k):
        p, q = ids[e, 3], ids[e, 2]
        # the crossings of the edge by the lines of the units crossing A, in order along it
        nf = 0
        for c in range(ptr[A[e]], ptr[A[e] + 1]):
            u = cu[c]
            if on[p, u] != on[q, u]:
                sa, sb = s[p, u], s[q, u]
                tt = sa / (sa - sb)
                et = 2 * Ez[u] / abs(sa - sb) + 8 * _U
                i = nf
                while i > 0 and tts[i - 1] > tt:
                    tts[i], ets[i], fus[i] = tts[i - 1], ets[i - 1], fus[i - 1]
                    i -= 1
                tts[i], ets[i], fus[i] = tt, et, u
                nf += 1
        for i in range(1, nf):
            if not (tts[i] - tts[i - 1] > 2 * (ets[i] + ets[i - 1]) + 1e-9):
                return ok, False, fe_all[:0], fu_all[:0]
        for i in range(nf):
            fe_all[nall] = e
            fu_all[nall] = fus[i]
            nall += 1
        # the first stretch: sum_x alpha_x H_x and the units whose sign at x is not p's
        for o in range(nout):
            v[o] = alpha[e, 0] * H[ids[e, 0], o]
            for x in range(1, 4):
                v[o] += alpha[e, x] * H[ids[e, x], o]
            corr[o] = 0.0
        for x in (0, 2, 1):
            poly = B[e] if x == 1 else A[e]
            vx = ids[e, x]
            for c in range(ptr[poly], ptr[poly + 1]):
                u = cu[c]
                if on[p, u] != on[vx, u]:
                    val = alpha[e, x] * jump * (1.0 if on[p, u] else -1.0) * s[vx, u]
                    for o in range(nout):
                        corr[o] += val * Wa[o, u]
        top = -np.inf
        nan = False  # a NaN anywhere fails the edge (as the numpy comparisons do)
        for o in range(nout):
            v[o] += corr[o]
            acc[o] = abs(v[o])
            nan = nan or v[o] != v[o]
            top = max(top, abs(v[o]))
        good = (top - ev[e]) * (1 - 4 * _U) > need
        # then each crossing's change
        for j in range(nf):
            u = fus[j]
            wf = alpha[e, 0] * s[ids[e, 0], u]
            for x in range(1, 4):
                wf += alpha[e, x] * s[ids[e, x], u]
            g = (1.0 if on[q, u] else -1.0) * jump * wf
            lower = -np.inf
            for o in range(nout):
                dj = g * Wa[o, u]
                v[o] += dj
                acc[o] += abs(dj) + abs(v[o]) * _U
                low = abs(v[o]) - _gamma(j + 2) * acc[o]
                nan = nan or low != low
                lower = max(lower, low)
            good = good and (lower - ev[e]) * (1 - 4 * _U) > need
        ok[e] = good and not nan
    return ok, True, fe_all[:nall], fu_all[:nall]


@numba.njit(cache=True, nogil=True)
def _score(coords, r, pi, tx, ty, tt):  # pragma: no cover - compiled
    rx = coords[r, 0] - coords[pi, 0]
    ry = coords[r, 1] - coords[pi, 1]
    dot = rx * tx
    dot += ry * ty
    c = tx * ry
    c -= ty * rx
    return abs(c) / (abs(dot) + tt)


@numba.njit(cache=True, nogil=True)
def far_vertex(coords, rows, cnt, poly, j, p, t):  # pragma: no cover - compiled
    """:func:`~tropnet.regions.planar_linear._far_vertex`, edge by edge: ``(a, lambda, its
    bound, c, its bound)``."""
    k, m = len(p), rows.shape[1]
    a = np.empty(k, dtype=np.int64)
    lam = np.empty(k)
    e_lam = np.empty(k)
    ck = np.empty(k)
    e_c = np.empty(k)
    g6, g8 = _gamma(6), _gamma(8)
    for i in range(k):
        P, c_, pi = poly[i], cnt[poly[i]], p[i]
        j2, j1 = j[i] + 2, j[i] - 1
        if j2 >= c_:
            j2 -= c_
        if j1 < 0:
            j1 = c_ - 1
        tx, ty = t[i, 0], t[i, 1]
        tt = tx * tx + ty * ty
        r0, r1 = rows[P, j2], rows[P, j1]
        s0, s1 = _score(coords, r0, pi, tx, ty, tt), _score(coords, r1, pi, tx, ty, tt)
        if s1 > s0 or (s1 != s1 and s0 == s0):  # the first of the larger (argmax's choice)
            best, sc = r1, s1
        else:
            best, sc = r0, s0
        if sc < 0.05:  # both poor: the best vertex of the polygon (the first NaN, as argmax)
            best, sc = rows[P, 0], _score(coords, rows[P, 0], pi, tx, ty, tt)
            for kk in range(1, m):
                if sc != sc:
                    break
                x = _score(coords, rows[P, kk], pi, tx, ty, tt)
                if x > sc or x != x:
                    best, sc = rows[P, kk], x
        a[i] = best
        r0x = coords[best, 0] - coords[pi, 0]
        r0y = coords[best, 1] - coords[pi, 1]
        dk = r0x * tx + r0y * ty
        ck[i] = tx * r0y - ty * r0x
        lam[i] = dk / tt
        mag_dot = abs(r0x * tx) + abs(r0y * ty)
        mag_c = abs(r0y * tx) + abs(r0x * ty)
        e_lam[i] = g8 * mag_dot / tt + abs(lam[i]) * g6
        e_c[i] = g6 * mag_c
    return a, lam, e_lam, ck, e_c


def _signatures():
    """The argument types :mod:`tropnet.regions.planar_linear` calls each kernel with (for
    :func:`tropnet.regions.jit.warm`)."""
    from numba import types as t

    f1, f2 = t.Array(t.float64, 1, "C"), t.Array(t.float64, 2, "C")
    i1, i2 = t.Array(t.int64, 1, "C"), t.Array(t.int64, 2, "C")
    b2, f2r = t.Array(t.boolean, 2, "C"), t.Array(t.float64, 2, "C", readonly=True)
    return [
        (inside_ok, (f2, f2, i2, i1, i1, f1, f1, t.float64, t.float64)),
        (stretches_ok, (f2, i2, f2, f1, i1, i1, i1, i1, f2, b2, f1, f2r, t.float64, t.float64)),
        (far_vertex, (f2, i2, i1, i1, i1, i1, f2)),
    ]
