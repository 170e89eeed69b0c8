"""From activation cells to linear regions: local affine maps, facets, facet adjacency, and
the union of facet-adjacent cells with one affine map.

Each cell's candidate halfspaces are the domain's rows and one row per unit (the sign the
cell's pattern gives the unit's pre-activation, an affine function on the cell).  A row is
a *facet* when the set of the cell's vertices tight at it is maximal by inclusion among
those sets and contains a finite point; this needs no rank computation and is exact when
the incidences are exact.  For an unbounded cell the vertices are the homogeneous points
``(x, t)`` of the cone over the cell (``t = 0``: directions), and the same test applies.

The neighbour across a unit facet has the cell's pattern with that unit flipped, unless
another unit vanishes on the whole facet; then the pattern is read at a point just across
the facet.  Linear regions are the connected components of the graph of facet-adjacent
cells with equal affine maps (exactly equal in exact mode).

>>> from tropnet import Network
>>> from tropnet.regions.refine import stages_from_network
>>> st = stages_from_network(Network.from_arrays([[[1.0]], [[2.0]]], [[0.0], [1.0]]))
>>> W, c = output_maps(st, np.array([[1], [0]], dtype=np.int32), 1)
>>> W[:, 0, 0].tolist(), c[:, 0].tolist()
([2.0, 0.0], [1.0, 1.0])
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import numpy as np

from .refine import Stage

__all__ = ["unit_rows", "output_maps", "maps_and_rows", "cell_facets", "merge_linear", "patterns_at"]


def _walk(stages: list[Stage], patterns: np.ndarray, d: int, exact: bool, collect: bool):
    C = patterns.shape[0]
    dt = object if exact else np.float64
    one = Fraction(1) if exact else 1.0
    zero = Fraction(0) if exact else 0.0
    if exact:  # python-flint rationals inside (about 5x faster than Fraction); callers convert back
        from .refine import _fmpq, _stage_to_q

        stages = [_stage_to_q(st) for st in stages]
        one, zero = _fmpq(1), _fmpq(0)
    J = np.zeros((C, d, d), dtype=dt)
    J[:] = zero
    for i in range(d):
        J[:, i, i] = one
    c = np.zeros((C, d), dtype=dt)
    c[:] = zero
    col = 0
    rows = []
    for st in stages:
        if st.kind == "affine":
            # one GEMM for all cells: (m, k) @ (k, C * d)
            k = J.shape[1]
            Jt = np.ascontiguousarray(J.transpose(1, 0, 2)).reshape(k, C * d)
            J = st.W.dot(Jt).reshape(st.W.shape[0], C, d).transpose(1, 0, 2)
            c = c.dot(st.W.T) + st.b
        elif st.kind in ("threshold", "leaky"):
            m = len(st.idx)
            act = patterns[:, col : col + m].astype(bool)
            if collect:
                level = st.param if st.kind == "threshold" else zero
                rows.append(("unit", col, J[:, st.idx, :].copy(), c[:, st.idx] - level, act))
            J = J.copy()
            c = c.copy()
            if st.kind == "threshold":
                Ji = J[:, st.idx, :]
                J[:, st.idx, :] = np.where(act[:, :, None], Ji, zero)
                c[:, st.idx] = np.where(act, c[:, st.idx], st.param)
            else:
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], st.param * J[:, st.idx, :])
                c[:, st.idx] = np.where(act, c[:, st.idx], st.param * c[:, st.idx])
            col += m
        else:
            G, k = st.groups.shape
            win = patterns[:, col : col + G].astype(np.int64)
            mem = st.groups[np.arange(G)[None, :], win]  # (C, G) index of the winner
            if collect:
                rows.append(("group", col, J, c, win, st.groups))
            Jg = J[np.arange(C)[:, None], mem, :]
            cg = c[np.arange(C)[:, None], mem]
            if len(st.idx):
                Jg = np.concatenate([Jg, J[:, st.idx, :]], axis=1)
                cg = np.concatenate([cg, c[:, st.idx]], axis=1)
            J, c = Jg, cg
            col += G
    return J, c, rows


def output_maps(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """The affine map ``x -> W x + c`` of the network on each cell: ``(W (C, out, d), c (C, out))``
    (``Fraction`` entries when ``exact``).

    >>> from tropnet import Network
    >>> from tropnet.regions.refine import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]))
    >>> output_maps(st, np.array([[1, 0], [0, 1]], dtype=np.int32), 1)[0][:, 0, 0].tolist()  # |x|
    [1.0, -1.0]
    """
    J, c, _ = _walk(stages, patterns, d, exact, False)
    if exact:
        from .refine import _from_q

        return _from_q(J), _from_q(c)
    return J, c


def unit_rows(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """Halfspaces ``a x <= b`` given by the units on each cell.

    Returns ``(A (C, R, d), b (C, R), flip (C, R))``: ``flip[c, r]`` is ``(column, value)``
    packed as ``column * 2**20 + value`` (the pattern entry of the neighbour across the row),
    or ``-1`` for a row that is identically zero (a group member equal to the winner).

    >>> from tropnet import Network
    >>> from tropnet.regions.refine import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[1.0]]]))
    >>> A, b, flip = unit_rows(st, np.array([[1]], dtype=np.int32), 1)
    >>> A[0].tolist(), b[0].tolist()  # active: x >= 0, i.e. -x <= 0
    ([[-1.0]], [0.0])
    """
    return maps_and_rows(stages, patterns, d, exact=exact)[2:]


def maps_and_rows(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """:func:`output_maps` and :func:`unit_rows` from one pass: ``(W, c, A, b, flip)``.

    >>> from tropnet import Network
    >>> from tropnet.regions.refine import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[2.0]]]))
    >>> [a.shape for a in maps_and_rows(st, np.array([[1]], dtype=np.int32), 1)]
    [(1, 1, 1), (1, 1), (1, 1, 1), (1, 1), (1, 1)]
    """
    Wout, cout, rows = _walk(stages, patterns, d, exact, True)
    C = patterns.shape[0]
    As, bs, fl = [], [], []
    for r in rows:
        if r[0] == "unit":
            _, col, Ju, cu, act = r
            # active: z - level >= 0  ->  -J x <= c - level ; inactive: J x <= level - c
            sgn = np.where(act, -1, 1)
            As.append(Ju * sgn[:, :, None])
            bs.append(-cu * sgn)
            m = act.shape[1]
            fl.append((col + np.arange(m))[None, :] * (1 << 20) + (1 - act.astype(np.int64)))
        else:
            _, col, J, c, win, groups = r
            G, k = groups.shape
            ar = np.arange(C)[:, None]
            for g in range(G):
                wmem = groups[g][win[:, g]]  # (C,)
                for i in range(k):
                    Ji = J[:, groups[g, i], :] - J[np.arange(C), wmem, :]
                    ci = c[:, groups[g, i]] - c[np.arange(C), wmem]
                    As.append(Ji[:, None, :])
                    bs.append(-ci[:, None])
                    same = (groups[g, i] == wmem)[:, None]
                    fl.append(np.where(same, -1, (col + g) * (1 << 20) + i))
            del ar
    if exact:
        from .refine import _from_q

        Wout, cout = _from_q(Wout), _from_q(cout)
        As = [_from_q(a) for a in As]
        bs = [_from_q(b) for b in bs]
    if not As:
        dt = object if exact else np.float64
        return (
            Wout,
            cout,
            np.zeros((C, 0, d), dtype=dt),
            np.zeros((C, 0), dtype=dt),
            np.zeros((C, 0), dtype=np.int64),
        )
    return (
        Wout,
        cout,
        np.concatenate(As, axis=1),
        np.concatenate(bs, axis=1),
        np.concatenate(fl, axis=1).astype(np.int64),
    )


def cell_facets(
    A: np.ndarray,
    b: np.ndarray,
    vert_off: np.ndarray,
    vert_ids: np.ndarray,
    X: np.ndarray,
    tvals: np.ndarray,
    d: int,
    *,
    exact: bool,
    rtol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Facets of the candidate rows ``A[c] x <= b[c]`` of every cell, given the cell's
    (homogeneous) vertices ``X[vert_ids[vert_off[c]:vert_off[c+1]]]`` with scale ``tvals``
    (1 for points, 0 for directions).

    Returns ``(facet (C, R) bool, coincident (C, R) bool, centre)``: rows with equal tight
    sets define one facet and only the first is kept; ``coincident`` marks kept rows that had
    such twins, and ``centre[(c, r)]`` is then a homogeneous point in the facet's relative
    interior (the mean of its tight vertices).

    >>> # the square [0, 1]^2 with a redundant row x <= 2 and a duplicate of y <= 1
    >>> A = np.array([[[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [0, 2]]])
    >>> b = np.array([[1.0, 0, 1, 0, 2, 2]])
    >>> X = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    >>> f, twin, _ = cell_facets(A, b, np.array([0, 4]), np.arange(4), X, np.ones(4), 2, exact=False)
    >>> f[0].tolist(), twin[0].tolist()
    ([True, True, True, True, False, False], [False, False, True, False, False, False])
    """
    C, R = b.shape
    out = np.zeros((C, R), dtype=bool)
    coinc = np.zeros((C, R), dtype=bool)
    centre: dict = {}
    if R == 0 or C == 0:
        return out, coinc, centre
    if not exact:
        scale = float(np.abs(X).max()) if X.size else 1.0
        norms = np.linalg.norm(A, axis=2)
    else:  # float copies of the vertex pool, once (cells share vertices)
        Xf, tf = X.astype(np.float64), tvals.astype(np.float64)
    counts = np.diff(vert_off)
    order = np.argsort(counts, kind="stable")  # similar sizes share one padded block
    lower = np.tril(np.ones((R, R), dtype=bool), -1)
    offdiag = ~np.eye(R, dtype=bool)
    pos = 0
    while pos < C:
        vm = int(counts[order[min(C - 1, pos + 63)]])
        k = max(1, min(C - pos, 4_000_000 // (R * vm * (d + 3))))
        cs = order[pos : pos + k]
        vm = int(counts[cs].max())
        pos += k
        ar = np.arange(vm)
        valid = ar[None, :] < counts[cs][:, None]
        gidx = np.minimum(vert_off[cs][:, None] + ar[None, :], vert_off[cs + 1][:, None] - 1)
        ids = vert_ids[gidx]
        P = X[ids]  # (k, vm, d)
        tt = tvals[ids]  # (k, vm)
        if exact:
            tight = _exact_zero_slacks(A[cs], b[cs], X, tvals, ids, valid, Xf[ids], tf[ids])
        else:
            sl = np.matmul(A[cs], np.swapaxes(P, 1, 2)) - b[cs][:, :, None] * tt[:, None, :]
            tol = rtol * (norms[cs] * scale + np.abs(b[cs]))
            tight = np.abs(sl) <= tol[:, :, None]
        tight &= valid[:, None, :]
        nz = tight.any(axis=2)
        full = (tight | ~valid[:, None, :]).all(axis=2)
        has_point = (tight & (tt != 0)[:, None, :]).any(axis=2)
        cand = nz & ~full & has_point
        # compare only the candidate rows of each cell (gathered to the front, in row order)
        rc = max(1, int(cand.sum(axis=1).max()))
        crow = np.argsort(~cand, axis=1, kind="stable")[:, :rc]  # (k, rc) row indices
        cv = np.take_along_axis(cand, crow, axis=1)
        bits = np.packbits(np.take_along_axis(tight, crow[:, :, None], axis=1), axis=2)  # (k, rc, nb)
        sub = ~((bits[:, :, None, :] & ~bits[:, None, :, :]) != 0).any(axis=3)  # S_i within S_j
        sub &= cv[:, :, None] & cv[:, None, :]
        eq = sub & np.swapaxes(sub, 1, 2)
        strict = sub & ~eq
        maximal = cv & ~strict.any(axis=2)
        keep_c = maximal & ~(eq & lower[None, :rc, :rc]).any(axis=2)
        twin_c = keep_c & (eq & offdiag[None, :rc, :rc]).any(axis=2)
        keep = np.zeros((len(cs), R), dtype=bool)
        twin = np.zeros((len(cs), R), dtype=bool)
        np.put_along_axis(keep, crow, keep_c, axis=1)
        np.put_along_axis(twin, crow, twin_c, axis=1)
        out[cs] = keep
        coinc[cs] = twin
        for ci, r in zip(*np.nonzero(twin)):
            sel = tight[ci, r]
            centre[(int(cs[ci]), int(r))] = (P[ci][sel].sum(axis=0), tt[ci][sel].sum())
    return out, coinc, centre


def _exact_zero_slacks(A, b, X, tvals, ids, valid, Pf, tf) -> np.ndarray:
    """``A P^T - b t == 0`` for exact (Fraction) blocks (``P = X[ids]``, ``t = tvals[ids]``;
    ``Pf``, ``tf`` their float roundings), deciding most entries in floats: a float slack
    farther from zero than a rigorous bound on its error is not zero, and only the rest is
    evaluated exactly, in python-flint rationals (each row and vertex converted once)."""
    Af, bf = A.astype(np.float64), b.astype(np.float64)
    d = A.shape[2]
    sl = np.matmul(Af, np.swapaxes(Pf, 1, 2)) - bf[:, :, None] * tf[:, None, :]
    mag = (
        np.matmul(np.abs(Af), np.swapaxes(np.abs(Pf), 1, 2)) + np.abs(bf)[:, :, None] * np.abs(tf)[:, None, :]
    )
    # inputs rounded to nearest (relative u each), then a (d+1)-term dot product: a generous 4(d+3) u
    maybe = (np.abs(sl) <= 4 * (d + 3) * 2.0**-53 * mag * (1 + 1e-6) + 1e-300) & valid[:, None, :]
    ci, r, v = np.nonzero(maybe)
    tight = np.zeros(sl.shape, dtype=bool)
    if len(ci):
        R = A.shape[1]
        rows, ri = np.unique(ci * R + r, return_inverse=True)
        verts, vi = np.unique(ids[ci, v], return_inverse=True)
        # (a, -b) and (x, t) scaled by positive integers to integer vectors: the slack is zero
        # iff their integer dot product is (no gcd in the loop, unlike rational arithmetic)
        ra, rb = rows // R, rows % R
        Ai = _integer_rows(np.concatenate([A[ra, rb, :], -b[ra, rb][:, None]], axis=1))
        Xi = _integer_rows(np.concatenate([X[verts], tvals[verts][:, None]], axis=1))
        Ar, Xv = Ai[ri], Xi[vi]
        ex = Ar[:, d] * Xv[:, d]
        for j in range(d):  # column by column: numpy reduces short object axes slowly
            ex += Ar[:, j] * Xv[:, j]
        tight[ci, r, v] = ex == 0
    return tight


def _ratio(v) -> tuple[int, int]:
    if isinstance(v, (int, Fraction)):
        return v.as_integer_ratio()
    if hasattr(v, "p") and hasattr(v, "q"):  # a python-flint rational
        return int(v.p), int(v.q)
    return Fraction(v).as_integer_ratio()


def _integer_rows(M: np.ndarray) -> np.ndarray:
    """Each row of exact numbers times the least common multiple of its denominators: an
    object array of Python integers, each row a positive multiple of the original."""
    out = np.empty(M.shape, dtype=object)
    for i, row in enumerate(M.tolist()):
        fr = [_ratio(v) for v in row]
        D = lcm(*[q for _, q in fr])
        out[i] = [p * (D // q) for p, q in fr]
    return out


def patterns_at(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Activation patterns at points ``X`` (float or exact), in the convention of
    :mod:`tropnet.regions.cells`.

    >>> from tropnet import Network
    >>> from tropnet.regions.refine import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[1.0]]]))
    >>> patterns_at(st, np.array([[2.0], [-1.0]])).tolist()
    [[1], [0]]
    """
    from .refine import _apply

    z = X
    cols = []
    for st in stages:
        if st.kind in ("threshold", "leaky"):
            level = st.param if st.kind == "threshold" else 0
            cols.append((z[:, st.idx] > level).astype(np.int32))
        elif st.kind == "group":
            vals = z[:, st.groups]  # (n, G, k)
            mx = vals.max(axis=2)
            cols.append(np.argmax(vals == mx[:, :, None], axis=2).astype(np.int32))
        z = _apply(st, z)
    if not cols:
        return np.zeros((X.shape[0], 0), dtype=np.int32)
    return np.concatenate(cols, axis=1)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def roots(self) -> np.ndarray:
        p = self.parent
        while True:
            q = p[p]
            if np.array_equal(q, p):
                return p
            p = q

    def union_all(self, a: np.ndarray, b: np.ndarray) -> None:
        # repeated hooking of larger roots onto smaller ones until stable (vectorised)
        while len(a):
            self.parent = self.roots()
            ra, rb = self.parent[a], self.parent[b]
            diff = ra != rb
            if not diff.any():
                return
            ra, rb = ra[diff], rb[diff]
            lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
            np.minimum.at(self.parent, hi, lo)
            a, b = a[diff], b[diff]


def merge_linear(n: int, edges: np.ndarray, same_map: np.ndarray) -> np.ndarray:
    """Component label (0..k-1, in order of first cell) of each of ``n`` cells, joining the
    facet-adjacent pairs ``edges (E, 2)`` where ``same_map`` is True.

    >>> merge_linear(4, np.array([[0, 1], [1, 2], [2, 3]]), np.array([True, False, True])).tolist()
    [0, 0, 1, 1]
    """
    uf = _UnionFind(n)
    e = edges[same_map]
    if len(e):
        uf.union_all(e[:, 0].astype(np.int64), e[:, 1].astype(np.int64))
    roots = uf.roots()
    _, first, inv = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv]
