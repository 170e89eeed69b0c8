"""Convex polygons as padded rows of vertex ids, and the array kernels of the 2D engine.

The polygon engine (:mod:`tropnet.regions.planar`) keeps every cell as a row of ids into one
shared vertex table, counter-clockwise, padded by repeating its first id (so row-wise max/min
need no mask).  This module holds that storage (:class:`_Vertices`, :class:`_Polygons`, the
candidate pool) and the kernels on it: cutting many polygons by one line each (:func:`_split`),
compacting rows, merging the pieces of a cell into their convex hull, merging duplicate
vertices.  It knows nothing of networks or tolerances (those are the engine's).

>>> import numpy as np
>>> verts = _Vertices(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
>>> rows, cnt = np.arange(4)[None, :], np.array([4])
>>> s = verts.eval(np.array([[1.0, 0.0, -0.5]]), rows)  # the line x = 1/2
>>> rows2, cnt2 = _split(verts, rows, cnt, s, np.array([1e-12]))
>>> cnt2.tolist(), verts.coords[rows2[0, : cnt2[0]]].tolist()
([4, 4], [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]])
"""

from __future__ import annotations

import numpy as np


class _Vertices:
    """An append-only table of vertex coordinates with doubling capacity.

    The two coordinates are kept in separate contiguous arrays: gathering them by vertex
    id is then several times faster than gathering rows of an (n, 2) table.
    """

    def __init__(self, coords: np.ndarray) -> None:
        cap = max(64, 2 * len(coords))
        self.xy = np.empty((2, cap))
        self.xy[:, : len(coords)] = coords.T
        # the edge (lower id, higher id) and the line that made a vertex (-1: not made by a cut)
        self.edge = np.full((3, cap), -1, dtype=np.int64)
        self.n = len(coords)

    def add(self, x: np.ndarray, y: np.ndarray, edge: tuple | None = None) -> np.ndarray:
        k = len(x)
        if self.n + k > self.xy.shape[1]:
            cap = 2 * (self.n + k)
            grown = np.empty((2, cap))
            grown[:, : self.n] = self.xy[:, : self.n]
            self.xy = grown
            grown_e = np.full((3, cap), -1, dtype=np.int64)
            grown_e[:, : self.n] = self.edge[:, : self.n]
            self.edge = grown_e
        self.xy[0, self.n : self.n + k] = x
        self.xy[1, self.n : self.n + k] = y
        if edge is not None:
            for i in range(3):
                self.edge[i, self.n : self.n + k] = edge[i]
        ids = np.arange(self.n, self.n + k)
        self.n += k
        return ids

    def eval(self, coef: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Affine functions ``coef (k, 3)`` at the vertices ``ids (k, m)`` -> ``(k, m)``."""
        return coef[:, 0:1] * self.xy[0][ids] + coef[:, 1:2] * self.xy[1][ids] + coef[:, 2:3]

    def eval_t(self, coef: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """:meth:`eval` transposed, ``(m, k)``: reductions over a polygon's vertices are then
        element-wise operations on ``m`` contiguous rows."""
        ids_t = ids.T
        s = self.xy[0][ids_t]
        s *= coef[:, 0]
        y = self.xy[1][ids_t]
        y *= coef[:, 1]
        s += y
        s += coef[:, 2]
        return s

    @property
    def coords(self) -> np.ndarray:
        return self.xy[:, : self.n].T


class _CandidatePool:
    """An append-only array of candidate (pair) ids; each polygon owns a range of it."""

    def __init__(self, n: int) -> None:
        self.buf = np.empty(max(64, 4 * n), dtype=np.int64)
        self.buf[:n] = np.arange(n)
        self.n = n

    def add(self, ids: np.ndarray) -> int:
        k = len(ids)
        if self.n + k > len(self.buf):
            grown = np.empty(2 * (self.n + k), dtype=np.int64)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : self.n + k] = ids
        self.n += k
        return self.n - k


class _Polygons:
    """Padded vertex-id rows and per-polygon state, with doubling capacity.

    The integer state lives in one array (one copy per appended polygon); ``cnt``, ``root``,
    ``ptr`` and ``end`` are views of its columns.
    """

    def __init__(self, rows: np.ndarray, cnt: np.ndarray, n_units: int, pat_max: int = 1) -> None:
        p, m = rows.shape
        cap = max(16, 2 * p)
        self.rows = np.empty((cap, m), dtype=np.int64)
        self.rows[:p] = rows
        # patterns of the current layer only: ReLU bits or positions in a group
        self.pat = np.zeros((cap, n_units), dtype=np.int8 if pat_max < 128 else np.int32)
        self.st = np.zeros((cap, 4), dtype=np.int64)
        self.st[:p, 0] = cnt
        self.st[:p, 1] = np.arange(p)
        self.n = p

    @property
    def nbytes(self) -> int:
        """Bytes of the polygons' arrays (what ``max_memory`` limits)."""
        return int(self.rows.nbytes + self.pat.nbytes + self.st.nbytes)

    cnt = property(lambda self: self.st[:, 0])
    root = property(lambda self: self.st[:, 1])
    ptr = property(lambda self: self.st[:, 2])
    end = property(lambda self: self.st[:, 3])

    def _grow(self, need: int) -> None:
        cap = len(self.st)
        if need <= cap:
            return
        cap = 2 * need
        for f in ("st", "rows", "pat"):
            old = getattr(self, f)
            new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, f, new)

    def put_rows(self, idx: np.ndarray, rows: np.ndarray) -> None:
        m = self.rows.shape[1]
        if rows.shape[1] > m:
            self.rows = _pad(self.rows, rows.shape[1])
        elif rows.shape[1] < m:
            rows = _pad(rows, m)
        self.rows[idx] = rows

    def append_copies(self, src: np.ndarray) -> np.ndarray:
        """Append copies of polygons ``src`` (state and pattern, not rows); return their indices."""
        k = len(src)
        self._grow(self.n + k)
        new = np.arange(self.n, self.n + k)
        self.st[new] = self.st[src]
        self.pat[new] = self.pat[src]
        self.n += k
        return new


def _nonzero2(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D array (row-major order), from the flat indices: several times
    faster than numpy's own 2-D path."""
    f = np.flatnonzero(mask)
    r = f // mask.shape[1]
    return r, f - r * mask.shape[1]


def _pad(rows: np.ndarray, m: int) -> np.ndarray:
    if rows.shape[1] >= m:
        return rows
    return np.hstack([rows, np.repeat(rows[:, :1], m - rows.shape[1], axis=1)])


def _compact_rows(ids: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep the marked entries of each row, in order; pad rows by their first id."""
    cnt = np.add.reduce(keep, axis=1, dtype=np.int64)
    m = int(cnt.max()) if len(cnt) else 0
    r, k = _nonzero2(keep)  # row by row, in order
    start = np.cumsum(cnt) - cnt
    vals = ids[r, k]
    out = np.repeat(vals[start][:, None], m, axis=1)  # padding: the first id
    out[r, np.arange(len(r)) - start[r]] = vals
    return out, cnt


def _signs(s: np.ndarray, tol: np.ndarray) -> np.ndarray:
    t = tol[:, None]
    return (s > t).astype(np.int8) - (s < -t).astype(np.int8)


def _split(
    verts: _Vertices, rows: np.ndarray, cnt: np.ndarray, s: np.ndarray, tol: np.ndarray,
    line: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``S`` convex polygons (rows) by lines with values ``s`` at their slots.

    Returns ``(rows, cnt)`` of the ``2 S`` children: the ``+`` sides, then the ``-`` sides.
    The new vertices on the crossing edges are appended to ``verts``, shared by both
    children.  ``line`` (one id per row): the new vertices remember their edge and line, so
    that :func:`_merge_copies` makes one vertex of the copies that neighbours create.
    """
    S, m = rows.shape
    sig = _signs(s, tol)
    # the slot after the last vertex is padding, a copy of the first: rolling by one gives
    # every slot its successor, and padding slots never see a sign change
    sig_n = np.empty_like(sig)
    sig_n[:, :-1] = sig[:, 1:]
    sig_n[:, -1] = sig[:, 0]
    r, k = _nonzero2(sig * sig_n < 0)
    kn = (k + 1) % m
    sa, sb = s[r, k], s[r, kn]
    X, Y = verts.xy
    a, b = rows[r, k], rows[r, kn]
    # from the lower vertex id: neighbours cutting their common edge by one line make the
    # same point bitwise (one vertex once the copies are merged)
    flip = a > b
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    sa, sb = np.where(flip, sb, sa), np.where(flip, sa, sb)
    t = sa / (sa - sb)
    edge = None if line is None else (a, b, line[r])
    new_ids = verts.add(X[a] + t * (X[b] - X[a]), Y[a] + t * (Y[b] - Y[a]), edge)
    ids = np.empty((2 * S, 2 * m), dtype=np.int64)
    ids[:S, 0::2] = rows
    ids[r, 2 * k + 1] = new_ids
    ids[S:] = ids[:S]
    valid = np.arange(m)[None, :] < cnt[:, None]
    keep = np.zeros((2 * S, 2 * m), dtype=bool)
    keep[:S, 0::2] = valid & (sig >= 0)
    keep[S:, 0::2] = valid & (sig <= 0)
    keep[r, 2 * k + 1] = True
    keep[r + S, 2 * k + 1] = True
    return _compact_rows(ids, keep)


def _merge_pieces(
    x: np.ndarray, rows: np.ndarray, cnt: np.ndarray, root: np.ndarray, pat: np.ndarray
) -> tuple:
    """Merge the pieces of one root polygon that ended with the same ``GroupMax`` winners.

    Sequential splits by ``z_j - z_w`` reach one winner along several histories (``z_1``
    beat ``z_0`` or not), so a cell can come in pieces cut by lines that bound nothing.
    The cell (within its root polygon) is convex and tiled by its pieces: it is the
    convex hull of their vertices.
    """
    key = np.column_stack([root, pat])
    _, inv, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    multi = counts[inv] > 1
    if not np.any(multi):
        return rows, cnt, root, pat
    keep = np.nonzero(~multi)[0]
    pieces = np.nonzero(multi)[0]
    order = pieces[np.argsort(inv[pieces], kind="stable")]
    bounds = np.flatnonzero(np.diff(inv[order])) + 1
    merged_rows, merged_first = [], []
    for grp in np.split(order, bounds):
        ids = np.unique(np.concatenate([rows[i, : cnt[i]] for i in grp]))
        merged_rows.append(_hull_ccw(x, ids))
        merged_first.append(grp[0])
    merged_first = np.array(merged_first)
    m = max(rows.shape[1], max(len(r) for r in merged_rows))
    new_rows = np.array([np.concatenate([r, np.full(m - len(r), r[0])]) for r in merged_rows])
    rows_out = np.vstack([_pad(rows[keep], m), new_rows])
    cnt_out = np.concatenate([cnt[keep], [len(r) for r in merged_rows]])
    sel = np.concatenate([keep, merged_first])
    return rows_out, cnt_out, root[sel], pat[sel]


def _hull_ccw(x: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Corners of the convex hull of the points ``x[ids]``, counter-clockwise (Andrew's
    monotone chain; points on the hull's edges are dropped).  The sets are small: the
    vertices of the few pieces of one cell."""
    pts = x[ids]
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    P = pts[order].tolist()
    idx = ids[order].tolist()

    def chain(seq):
        out: list[int] = []
        for k in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by), (cx, cy) = P[out[-2]], P[out[-1]], P[k]
                if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0:
                    break
                out.pop()
            out.append(k)
        return out

    lower = chain(range(len(P)))
    upper = chain(range(len(P) - 1, -1, -1))
    return np.array([idx[k] for k in lower[:-1] + upper[:-1]], dtype=np.int64)


def _merge_copies(verts: _Vertices, rows: np.ndarray, by_edge: bool = True) -> tuple[_Vertices, np.ndarray]:
    """The vertices the rows use, one per point: neighbours cut by the same line make the same
    new vertex on their common edge twice.  Bitwise equal points are one vertex (copies made
    from one root polygon are); with ``by_edge``, so are copies with the same edge and line
    (the line's function is affine on the edge: one crossing), at the lowest copy's
    coordinates (neighbours in different cells of earlier layers make copies that differ by
    rounding)."""
    n = verts.n
    used = np.zeros(n, dtype=bool)
    used[rows] = True
    eu = verts.edge[2, :n]
    made = np.flatnonzero(used & (eu >= 0)) if by_edge else np.zeros(0, dtype=np.int64)
    L = int(eu[made].max()) + 1 if len(made) else 0
    if len(made) > 1 and float(n) * n * L < 2.0**62:
        to = np.arange(n)
        ea, eb, eu = verts.edge[:, made]
        # a copy's edge may end at copies merged here (neighbours that cut an edge differently
        # earlier in the layer): repeat with the edges' ends merged until nothing changes
        for _ in range(32):
            a, b = to[ea], to[eb]
            key = (np.minimum(a, b) * n + np.maximum(a, b)) * L + eu
            order = np.argsort(key, kind="stable")
            ks = key[order]
            run = np.flatnonzero(np.concatenate([[True], ks[1:] != ks[:-1]]))
            members = made[order]
            cur = to[members]
            rep = np.repeat(cur[run], np.diff(np.append(run, len(made))))
            if (cur == rep).all():
                break
            to[cur] = rep  # union: each copy's representative goes to its run's first
            while True:
                nxt = to[to]
                if (nxt == to).all():
                    break
                to = nxt
        rows = to[rows]
        used[:] = False
        used[rows] = True
    ids = np.flatnonzero(used)
    X, Y = verts.xy[0][ids], verts.xy[1][ids]
    uniq, inverse = np.unique(X + 1j * Y, return_inverse=True)
    to = np.zeros(n, dtype=np.int64)
    to[ids] = inverse.ravel()
    return _Vertices(np.column_stack([uniq.real, uniq.imag])), to[rows]
