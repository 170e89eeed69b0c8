"""A-posteriori bounds of a certified 2-D run's vertices, from their two tight constraints.

The certified vertex engine carries a bound on each vertex's distance to the exact vertex
through its cuts (:func:`tropnet.kernels.certify.interpolation_error`); it compounds cut after
cut (up to 1e-5 in the coordinates of a ``[784, 256, 256, 10]`` plane, whose real rounding is
~1e-19).  A vertex is the intersection of two lines, each an affine function ``g x + h`` on
any cell around it, so a float point ``c`` lies within ``||G^-1||_inf |G c + h|_inf`` of the
exact vertex (``G`` the two rows): :func:`vertex_bounds` evaluates the cells' affine maps in
float64 (one BLAS product per layer for all vertices) with rigorous elementwise bounds, and
returns that distance and the last layer's values at ``c`` with their bound -- whatever the
history of the vertex.  Used by :func:`tropnet.regions.planar_count._roots` (the exact linear
count's certificate reads the values at the root polygons' vertices).
"""

from __future__ import annotations

import functools

import numpy as np

from ..kernels.certify import FLOAT64_ROUNDOFF, gamma

__all__ = ["vertex_bounds"]

_U = FLOAT64_ROUNDOFF
#: vertices per block: each vertex carries a (3, m) map per layer, so the blocks keep the
#: temporaries a few MB (one pass over all 5,708 root vertices of a [784, 256, 256, 10] plane
#: allocated 35 MB arrays, and page faults were half its time)
BLOCK = 512
_gamma = functools.partial(gamma, u=FLOAT64_ROUNDOFF)  # (the bounds compute in float64)


def vertex_bounds(problem, si: int, pats: np.ndarray, T: np.ndarray, C: np.ndarray):
    """For float64 points ``C`` (V, 2) near the vertices with tight ids ``T`` (V, 2), each in a
    cell of pattern ``pats[k]`` of a certified run ``problem`` (2 inputs): ``(dx, s, es)``, a
    rigorous bound on ``|C[k] - exact vertex|_inf`` (``inf`` where the two rows are too close
    to parallel), the values ``s`` (V, m) of stage ``si``'s units minus their level on the cell's
    map at ``C[k]``, and a bound ``es`` (V,) on their error; ``None`` for a program it does not
    handle (groups).

    >>> import tropnet
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.resume import refine_start
    >>> net = tropnet.Network.from_arrays([[[1.0, 1.0], [1.0, -1.0]], [[1.0, 2.0]], [[1.0]]],
    ...                                   [[0.5, 0.0], [-1.0], [0.0]])
    >>> box = (-np.ones(2), np.ones(2))
    >>> problem, _ = refine_start(stages_from_network(net), 2, *box, exact=True, certify=True)
    >>> # the vertex of the first layer's lines, (-1/4, -1/4), given 1e-9 off: tight ids 4 and 5
    >>> # (the units), on the cell where both are on; the last unit there: x + y + 0.5 + 2 (x - y) - 1
    >>> dx, s, es = vertex_bounds(problem, 3, np.ones((1, 3), dtype=np.int8), np.array([[4, 5]]),
    ...                           np.array([[-0.25 + 1e-9, -0.25]]))
    >>> bool(1e-9 <= dx[0] < 1.1e-9), round(float(s[0, 0]), 6), bool(es[0] < 1e-14)
    (True, -1.0, True)
    """
    if any(st.kind == "group" for st in problem.stages[: si + 1]):
        return None
    parts = []
    for a in range(0, max(len(C), 1), BLOCK):
        got = _bounds(problem, si, pats[a : a + BLOCK], T[a : a + BLOCK], C[a : a + BLOCK])
        if got is None:
            return None
        parts.append(got)
    return tuple(np.concatenate(x) for x in zip(*parts))


def _bounds(problem, si: int, pats: np.ndarray, T: np.ndarray, C: np.ndarray):
    """:func:`vertex_bounds` of one block of vertices."""
    stages, prog = problem.stages, problem.prog
    V, d = C.shape
    acts = [k for k, st in enumerate(stages[:si]) if st.kind != "affine"]
    if acts:  # the maps (rows: d slopes and the constant) up to the last tight units' stage
        J = np.zeros((V, d + 1, d))  # the map on the cell: z = C J[:, :d] + J[:, d]
        J[:, np.arange(d), np.arange(d)] = 1.0
    else:  # then only the values at C
        J = C[:, None, :].astype(np.float64)
    dJ = np.zeros_like(J)
    pre: dict = {}
    for k, st in enumerate(stages[: si + 1]):
        if st.kind == "affine":
            J, dJ = _affine(st, J, dJ)
            continue
        pre[k] = (J, dJ)
        if k == si:
            break
        J, dJ = _activation(st, pats[:, prog.col_base[k] : prog.col_base[k] + len(st.idx)] == 0, J, dJ)
        if k == acts[-1]:  # beyond the last tight units: the values at C suffice (one row)
            J, dJ = _values(J, dJ, C)
    # the rows of the two tight constraints of every vertex: (g, h) with g x + h = 0 there
    G, H = np.zeros((V, 2, d)), np.zeros((V, 2))
    dG, dH = np.zeros((V, 2, d)), np.zeros((V, 2))
    _, lo, hi, halfspaces = problem.exact_input
    lo, hi = np.array([float(v) for v in lo]), np.array([float(v) for v in hi])
    bases = [(b, k) for k, b in enumerate(prog.unit_base) if b >= 0]
    for c in range(2):
        t = T[:, c].astype(np.int64)
        side = t < 2 * d
        i = t[side] % d
        G[np.flatnonzero(side), c, i] = 1.0
        H[side, c] = -np.where(t[side] < d, hi[i], lo[i])
        clip = (t >= 2 * d) & (t < 2 * d + (problem.nclip if problem.clipA is not None else 0))
        if clip.any():
            A = np.asarray(problem.clipA, dtype=np.float64)
            bb = np.asarray(problem.clipb, dtype=np.float64)
            G[clip, c], H[clip, c] = A[t[clip] - 2 * d], -bb[t[clip] - 2 * d]
        unit = ~side & ~clip
        for b, k in bases:
            st = stages[k]
            at = np.flatnonzero(unit & (t >= b) & (t < b + len(st.idx)))
            if not len(at):
                continue
            if k not in pre:
                return None
            u = np.asarray(st.idx)[t[at] - b]
            Jk, dJk = pre[k]
            level = float(st.param) if st.kind == "threshold" else 0.0
            G[at, c], H[at, c] = Jk[at, :d, u], Jk[at, d, u] - level
            dG[at, c], dH[at, c] = dJk[at, :d, u], dJk[at, d, u] + _U * np.abs(Jk[at, d, u] - level)
            unit[at] = False
        if unit.any():
            return None
    # the residuals at C and their bound
    r = np.einsum("vcj,vj->vc", G, C) + H
    dr = (np.einsum("vcj,vj->vc", dG, np.abs(C)) + dH
          + _gamma(d + 1) * (np.einsum("vcj,vj->vc", np.abs(G), np.abs(C)) + np.abs(H))) * (1 + 1e-6)
    # |det| from below, and the rows of the adjugate from above (each entry within dG)
    a, b, cc, dd = G[:, 0, 0], G[:, 0, 1], G[:, 1, 0], G[:, 1, 1]
    da, db, dc, ddd = dG[:, 0, 0], dG[:, 0, 1], dG[:, 1, 0], dG[:, 1, 1]
    det = a * dd - b * cc
    ddet = ((np.abs(a) + da) * (np.abs(dd) + ddd) - np.abs(a) * np.abs(dd)
            + (np.abs(b) + db) * (np.abs(cc) + dc) - np.abs(b) * np.abs(cc)
            + _gamma(2) * (np.abs(a * dd) + np.abs(b * cc))) * (1 + 1e-6)
    # (where ddet < |det| / 2 the difference below rounds by a few ulps of itself)
    low = (np.abs(det) - ddet) * (1 - 1e-9)
    adj = np.maximum(np.abs(dd) + ddd + np.abs(b) + db, np.abs(cc) + dc + np.abs(a) + da) * (1 + 1e-6)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = np.where(ddet < 0.5 * np.abs(det), adj / low * (np.abs(r) + dr).max(axis=1) * (1 + 1e-6), np.inf)
    # the last layer's values at C on the cell's map, and their bound
    st = stages[si]
    level = float(st.param) if st.kind == "threshold" else 0.0
    Jl, dJl = pre[si]
    v, dv = Jl[:, 0, st.idx], dJl[:, 0, st.idx]
    s = v - level
    es = (dv + _gamma(1) * (np.abs(v) + abs(level))).max(axis=1)
    return dx, s, es * (1 + 1e-6) + 1e-300


def _activation(st, off: np.ndarray, J: np.ndarray, dJ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A threshold or leaky stage on the maps ``J`` (their last row the constant), the units
    ``off`` (V, m) off on each vertex's cell: exact, but for the leaky slope's product."""
    if (st.kind == "threshold" and float(st.param) == 0 and len(st.idx) == J.shape[2]
            and np.array_equal(st.idx, np.arange(J.shape[2]))):  # ReLU on every entry
        on = ~off[:, None, :]
        return J * on, dJ * on
    J, dJ = J.copy(), dJ.copy()
    sub, dsub = J[:, :, st.idx], dJ[:, :, st.idx]
    off = off[:, None, :]
    if st.kind == "threshold":  # off: the constant level
        level = np.zeros_like(sub)
        level[:, -1, :] = float(st.param)
        sub, dsub = np.where(off, level, sub), np.where(off, 0.0, dsub)
    else:  # leaky: off, times its slope (rounded)
        a = float(st.param)
        sub, dsub = np.where(off, a * sub, sub), np.where(off, abs(a) * dsub + _U * np.abs(a * sub), dsub)
    J[:, :, st.idx], dJ[:, :, st.idx] = sub, dsub
    return J, dJ


def _values(J: np.ndarray, dJ: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maps' values at the points ``C`` as one row (the constant row of what follows)."""
    d = C.shape[1]
    v = np.einsum("vj,vju->vu", C, J[:, :d]) + J[:, d]
    mag = np.einsum("vj,vju->vu", np.abs(C), np.abs(J[:, :d])) + np.abs(J[:, d])
    dv = (np.einsum("vj,vju->vu", np.abs(C), dJ[:, :d]) + dJ[:, d]) * (1 + 1e-6) + _gamma(d + 1) * mag
    return v[:, None, :], dv[:, None, :]


def _affine(st, J: np.ndarray, dJ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``J W^T`` (and ``b`` on the constant row) in float64 for every vertex's map, with the
    elementwise bound: the inputs' bound through ``|W|``, the product's rounding
    ``gamma_{n+1}``, and the stage's rounding of exact weights (``rounding``, and float64's)."""
    W = np.asarray(st.W)
    Wf, bf = W.astype(np.float64), np.asarray(st.b).astype(np.float64)
    n = W.shape[1]
    exact64 = not st.rounding and (W.dtype == np.float64 or np.array_equal(Wf.astype(W.dtype), W))
    rw = 0.0 if exact64 else (st.rounding + _U) * (1 + 1e-6)
    V, k, _ = J.shape
    Jr = J.reshape(V * k, n)
    out = (Jr @ Wf.T).reshape(V, k, -1)
    out[:, -1, :] += bf
    g = _gamma(n + 1)
    # one product for both terms of the bound (it is linear in |W|): the inputs' bound times
    # (1 + rw), and the rounding (g + rw) of the terms |J| |W| + |b|, each sum rounded up
    c1, c2 = (1 + 1e-6) * (1 + rw), (g + rw) * (1 + 2 * g) * (1 + 1e-6)
    dout = ((c1 * dJ.reshape(V * k, n) + c2 * np.abs(Jr)) @ np.abs(Wf).T).reshape(V, k, -1)
    dout[:, -1, :] += c2 * np.abs(bf)
    return out, dout
