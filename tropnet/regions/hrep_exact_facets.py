"""Exact facets between the cells of an exact H-representation run, for the linear merge.

An exact linear count (:func:`~tropnet.regions.geometry.linear_labels`) joins cells with one
exact affine map across a common facet.  The cells of an exact run of the H-representation engine
(:mod:`tropnet.regions.hrep`, every side decided exactly) have no vertex list, so their facets
are decided here, every decision exact:

- *Candidates.*  Across a facet of cell ``a`` on the hyperplane ``H`` of its row ``h``, the
  neighbour ``b``'s pattern is ``a``'s with some of the units on ``H`` flipped: the units whose
  rows in ``a`` are positive multiples of ``h`` (``a``'s *twins* of ``h``; exact integer rows,
  compared as primitive vectors) and units zero on ``a`` with constant zero; every other unit is
  nonzero at a generic point of the facet and keeps its sign across it.  The network is
  continuous, so a unit on ``H`` in ``a`` is on ``H`` (or zero) in ``b`` too and the other way
  round: the two cells' patterns agree outside one set of units, the same from both sides.  So
  each cell and each class of its rows gives one key (its float map group and its pattern with
  the units on that hyperplane blanked out), and the candidates are the pairs with equal keys
  (a hash join: no pair of a group is compared unless their keys meet).
- *One map.*  Two cells that share a facet on ``H`` have maps that agree on ``H`` (the network
  is continuous), so their difference is a multiple of ``h``: the maps are equal iff they agree
  at one point ``p`` off ``H`` (the origin, or a unit vector), compared exactly in integers
  (the walk's rows, one column each: no cell's full output map is formed).
- *Present* only with an exact *witness*: a float point (the segment between the two cells'
  interior points where it meets ``H``, else the Chebyshev centre of the facet inside ``H``, one
  float LP) projected onto ``H`` exactly in rationals and checked in integers to satisfy every
  other row of both cells and the domain strictly: a small disc of ``H`` around it then lies in
  both closures.  The segment points of all candidates are checked in one batch.
- *Absent* by exact arithmetic where a row of the second cell is a positive multiple of ``h`` (both
  cells on one side of ``H``), else by one exact LP (:meth:`~tropnet.regions.hrep_exact.ExactRows.
  side_lp` with ``h . (x, 1) = 0``): no point of ``H`` strictly inside the other rows.

>>> import numpy as np
>>> import tropnet
>>> from tropnet.regions.plan import make_plan
>>> net = tropnet.Network.from_arrays([[[1.0], [1.0]], [[1.0, -1.0]]])  # relu(x) - relu(x) = 0
>>> plan = make_plan(net, tropnet.Box(-1, 1), exact=True, engine="refine")
>>> found = plan.find()
>>> found.cache["exact_dom"] = (plan.domain.pieces[0].lo, plan.domain.pieces[0].hi, None, None)
>>> exact_hrep_edges(found, np.arange(len(found))).tolist()  # the two cells share the facet x = 0
[[0, 1]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .affine import _affine_parts, cell_affine
from .hrep_adjacency import facet_point
from .hrep_exact import ExactRows, _dyadic, _ints

__all__ = ["exact_hrep_edges", "facet_pairs", "on_facet"]


class _UnitRows:
    """The exact unit rows of some cells (the walk ``ca`` of their patterns, unit stages only):
    row ``r`` of cell ``i`` is ``sign[i, r] * T[tid[i, r]]`` (``E . (x, 1) >= 0`` on the cell;
    ``T`` one integer row per class of the walk and unit, ``sign`` +1 active, -1 inactive), its
    oriented primitive vector as an id ``kid[i, r]`` (-1: a zero linear part) and the row's
    class ``cls[i, r]``: the first row of the cell with its id, -1 for a zero row (the unit may
    flip across any facet), -2 for a nonzero constant (it never flips)."""

    def __init__(self, ca: Any, d: int) -> None:
        n, R = len(ca.patterns), ca.nrows
        parts, tid, off = [], np.zeros((n, R), dtype=np.int64), 0
        for bi, blk in enumerate(ca.blocks):
            rs = np.flatnonzero(ca.row_block == bi)
            if len(rs) == 0:
                continue
            K, U = blk.Z.shape[:2]
            parts.append(_ints(blk.Z).reshape(K * U, d + 1))
            tid[:, rs] = off + np.asarray(blk.inv)[:, None] * U + ca.row_unit[rs][None, :]
            off += K * U
        T = np.concatenate(parts) if parts else np.zeros((0, d + 1), dtype=object)
        live = np.asarray((T[:, :d] != 0).any(axis=1), dtype=bool)
        g = np.gcd.reduce(T, axis=1) if len(T) else np.zeros(0, dtype=object)
        prim = (T // np.where(live, g, 1)[:, None]).tolist()
        ids: dict = {}
        pos = np.array([ids.setdefault(tuple(u), len(ids)) if ok else -1 for u, ok in zip(prim, live)],
                       dtype=np.int64).reshape(-1)
        neg = np.array([ids.setdefault(tuple(-v for v in u), len(ids)) if ok else -1
                        for u, ok in zip(prim, live)], dtype=np.int64).reshape(-1)
        self.T, self.tid, self.d = T, tid, d
        act = ca.patterns[:, ca.row_col].astype(bool)
        self.sign = np.where(act, 1, -1).astype(np.int64)
        self.kid = np.where(act, pos[tid], neg[tid])
        zero_c = np.asarray(T[:, d] == 0, dtype=bool) if len(T) else np.zeros(0, dtype=bool)
        same = (self.kid[:, :, None] == self.kid[:, None, :]) & (self.kid[:, :, None] >= 0)
        self.cls = np.where(self.kid >= 0, np.argmax(same, axis=2), np.where(zero_c[tid], -1, -2))
        self.neg_of = np.full(len(ids), -1, dtype=np.int64)  # the id of the negated vector
        self.neg_of[pos[live]], self.neg_of[neg[live]] = neg[live], pos[live]

    def rows(self, i: np.ndarray, r: np.ndarray, signed: bool = True) -> np.ndarray:
        """The oriented rows ``(len(i), d + 1)`` of the pairs ``(i, r)`` (Python ints; not
        ``signed``: the walk's rows, to be multiplied by ``sign[i, r]``)."""
        T = self.T[self.tid[i, r]]
        return T * self.sign[i, r][:, None] if signed else T


def _candidates(rows: _UnitRows, P: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """The candidate triples ``(a, b, r)`` (``a < b`` positions, ``r`` a row of ``a``): cells of
    one group ``sub`` whose patterns ``P`` (row order) agree outside the units on the hyperplane
    of ``a``'s row ``r`` (and units zero on ``a``), and differ in one of its twins there; keys
    ``(group, pattern with those units blanked)`` met by one sort."""
    n, R = P.shape
    cls = rows.cls
    ii, rr = np.nonzero(cls == np.arange(R)[None, :])  # a cell and the first row of each class
    if len(ii) == 0:
        return np.zeros((0, 3), dtype=np.int64)
    C = cls[ii]
    blank = (C == rr[:, None]) | (C == -1)
    key = np.where(blank, 2, P[ii]).astype(np.int8)
    key = np.concatenate([sub[ii].astype(np.int64)[:, None].view(np.int8).reshape(len(ii), 8), key], axis=1)
    key = np.ascontiguousarray(key).view(np.dtype((np.void, key.shape[1]))).ravel()
    order = np.argsort(key, kind="stable")
    ks = key[order]
    start = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    size = np.diff(np.r_[start, len(order)])
    out = []
    two = start[size == 2]  # (the usual bucket: a pair)
    if len(two):
        out.append(np.stack([order[two], order[two + 1]], axis=1))
    for s, m in zip(start[size > 2].tolist(), size[size > 2].tolist()):
        mem = order[s : s + m]
        x, y = np.triu_indices(m, 1)
        out.append(np.stack([mem[x], mem[y]], axis=1))
    if not out:
        return np.zeros((0, 3), dtype=np.int64)
    Q = np.concatenate(out)
    Q = np.sort(Q, axis=1)  # entries of (ii, rr) in order: their cells in order
    a, b, r = ii[Q[:, 0]], ii[Q[:, 1]], rr[Q[:, 0]]
    differ = ((P[a] != P[b]) & (cls[a] == r[:, None])).any(axis=1)
    return np.stack([a, b, r], axis=1)[differ & (a != b)]


def _one_map(ca: Any, tail: list, rows: _UnitRows, trip: np.ndarray) -> np.ndarray:
    """Which candidates ``(a, b, r)`` have maps equal at a point ``p`` off the hyperplane of
    ``a``'s row ``r`` (the origin, else the unit vector of its first nonzero coefficient):
    their maps then agree on the facet's hyperplane and at ``p``, so they are equal.  Exactly:
    the walk's last maps (``ca``, to the last activation stage) at ``p``, then the affine stages
    ``tail``, in integers over one denominator."""
    d = rows.d
    a, b, r = trip[:, 0], trip[:, 1], trip[:, 2]
    h = rows.rows(a, r)
    c = np.array([d if v[d] != 0 else next(k for k in range(d) if v[k] != 0) for v in h.tolist()],
                 dtype=np.int64)
    J = ca.J  # (classes, U, d + 1) the last stage's outputs per class, over ca.D
    D = ca.D

    def at(cells):
        Jc = J[ca.inv[cells]]
        v = Jc[np.arange(len(cells)), :, c]
        lin = c < d
        if lin.any():
            v[lin] = v[lin] + Jc[lin, :, d]
        return v

    va, vb = at(a), at(b)
    for st in tail:
        W, bias, q = _affine_parts(st, True)
        va, vb = va.dot(W.T) + bias[None, :] * D, vb.dot(W.T) + bias[None, :] * D
        D = D * q
    return np.asarray((va == vb).all(axis=1), dtype=bool)


def _project(ex: ExactRows, H: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float points ``Y (m, d)`` projected exactly onto the hyperplanes ``H (m, d + 1)`` (integer
    rows, one per point): ``(X, s)`` with the projections ``X / s[:, None]`` (Python ints)."""
    d = ex.d
    Z, s = _dyadic(ex.snap(np.asarray(Y, dtype=np.float64).reshape(-1, d)), ex.grid)
    Z = _ints(Z)
    A = H[:, :d]
    aa = (A * A).sum(axis=1)
    v = (Z * A).sum(axis=1) + H[:, d] * s  # h . (y, 1) times s
    return Z * aa[:, None] - v[:, None] * A, aa * s  # y - (h . (y, 1) / |a|^2) a, over s |a|^2


def _witnessed(ex: ExactRows, H: np.ndarray, Y: np.ndarray, F: np.ndarray, at: np.ndarray,
               sign: np.ndarray | None = None) -> np.ndarray:
    """Which points ``Y[k]``, projected exactly onto ``H[k]``, lie strictly inside the domain
    (its box or ball and its rows ``ex.E0``) and every row ``F[j]`` (times ``sign[j]``) with
    ``at[j] == k``."""
    m = len(H)
    X, s = _project(ex, H, Y)
    ok = ex.in_domain((X, s))
    sign = np.ones(len(F), dtype=np.int64) if sign is None else sign
    if len(ex.E0):
        F = np.vstack([F, np.tile(ex.E0, (m, 1))]) if len(F) else np.tile(ex.E0, (m, 1))
        at = np.concatenate([at, np.repeat(np.arange(m), len(ex.E0))])
        sign = np.concatenate([sign, np.ones(m * len(ex.E0), dtype=np.int64)])
    if len(F):
        d = ex.d
        val = ((F[:, :d] * X[at]).sum(axis=1) + F[:, d] * s[at]) * sign
        bad = np.asarray(val <= 0, dtype=bool)
        ok &= np.bincount(at[bad], minlength=m) == 0
    return ok


def on_facet(ex: ExactRows, h: np.ndarray, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Which float points ``Y``, projected exactly onto the hyperplane ``h . (x, 1) = 0``
    (integer ``h``), lie strictly inside every row ``F`` (``F . (x, 1) > 0``) and the domain
    (its box or ball and its clipping rows ``ex.E0``), exactly.

    >>> ex = ExactRows([], 2, -np.ones(2), np.ones(2))
    >>> h = np.array([1, 0, 0], dtype=object)                      # x = 0
    >>> F = np.array([[0, 1, 0]], dtype=object)                    # y > 0
    >>> on_facet(ex, h, F, np.array([[0.3, 0.5], [0.1, -0.2], [0.0, 1.5]])).tolist()
    [True, False, False]
    """
    Y = np.asarray(Y, dtype=np.float64).reshape(-1, ex.d)
    m, F = len(Y), np.asarray(F, dtype=object).reshape(-1, ex.d + 1)
    H = np.tile(_ints(np.asarray(h, dtype=object)), (m, 1))
    return _witnessed(ex, H, Y, np.tile(F, (m, 1)), np.repeat(np.arange(m), len(F)))


def exact_hrep_edges(found: Any, cells: np.ndarray, gid: np.ndarray | None = None) -> np.ndarray:
    """The facet-adjacent pairs ``(i, j)`` (indices into ``found``, ``i < j``) among the cells
    ``cells`` of an exact H-representation run whose exact maps are equal, every decision exact
    (see the module's text).  ``gid``: a label per cell of ``found`` that equal exact maps share
    (the float map groups; ``None``: one group).  ``found.cache["exact_dom"] = (lo, hi,
    halfspaces, l1)``: the run's domain, exactly.

    A hat in ``x`` plus a unit in ``y`` read twice with opposite weights,
    ``f = relu(x + 1) - 2 relu(x) + relu(x - 1) + relu(y) - relu(y)`` on ``[-2, 2]^2``: eight
    cells, each joined to its mirror across ``y = 0`` (the patterns differ in the two ``y``
    units only); the cells ``x < -1`` and ``x > 1`` have one map (zero) but no common facet.

    >>> import numpy as np
    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> W1 = np.array([[1.0, 0], [1, 0], [1, 0], [0, 1], [0, 1]])
    >>> net = tropnet.Network.from_arrays([W1, np.array([[1.0, -2, 1, 1, -1]])],
    ...                                   [np.array([1.0, 0, -1, 0, 0]), np.zeros(1)])
    >>> plan = make_plan(net, tropnet.Box([-2, -2], [2, 2]), exact=True, engine="refine")
    >>> found = plan.find()
    >>> box = plan.domain.pieces[0]
    >>> found.cache["exact_dom"] = (box.lo, box.hi, None, None)
    >>> e = exact_hrep_edges(found, np.arange(len(found)))
    >>> len(found), sorted(map(tuple, e.tolist()))
    (8, [(0, 4), (1, 5), (2, 6), (3, 7)])
    >>> {tuple(np.flatnonzero(found.patterns[a] != found.patterns[b]).tolist()) for a, b in e}
    {(3, 4)}
    >>> found.patterns[[0, 3]].tolist()  # x < -1 and x > 1 (y < 0): one map, no edge
    [[0, 0, 0, 0, 0], [1, 1, 1, 0, 0]]
    """
    d = found.d
    cells = np.asarray(cells, dtype=np.int64)
    none = np.zeros((0, 2), dtype=np.int64)
    if len(cells) < 2:
        return none
    lo, hi, halfspaces, l1 = found.cache["exact_dom"]  # (lo = hi = None: all of R^n, or rows only)
    pts = np.asarray(found.points[cells], dtype=np.float64)
    scale = float(np.abs(pts).max(initial=1.0)) if lo is None else None
    ex = ExactRows(found.stages, d, lo, hi, halfspaces, l1, scale=scale)
    stages = found.stages
    last = max((i for i, st in enumerate(stages) if st.kind != "affine"), default=-1)
    if last < 0:
        return none
    P = found.patterns[cells]
    ca = cell_affine(stages[: last + 1], P, d, exact=True)  # the rows; the maps only at points
    if ca.nrows == 0:
        return none
    rows = _UnitRows(ca, d)
    sub = np.zeros(len(cells), dtype=np.int64) if gid is None else np.asarray(gid)[cells]
    one_map = lambda t: _one_map(ca, stages[last + 1 :], rows, t)  # noqa: E731
    trip = facet_pairs(ex, pts, rows, P[:, ca.row_col], sub, one_map)
    return np.sort(cells[trip[:, :2]], axis=1)


def facet_pairs(ex: ExactRows, pts: np.ndarray, rows: _UnitRows, P: np.ndarray, sub: np.ndarray,
                keep: Any = None) -> np.ndarray:
    """The facet-adjacent pairs of cells as triples ``(a, b, r)`` (positions, ``a < b``, the
    facet on the hyperplane of ``a``'s row ``r``) among cells with patterns ``P`` (row order),
    points ``pts`` and rows ``rows`` whose labels ``sub`` are equal, exactly (see the module's
    text); ``keep(triples)``: which candidates to decide (the others are dropped)."""
    trip = _candidates(rows, P, sub)
    if len(trip) and keep is not None:
        trip = trip[keep(trip)]
    if len(trip) == 0:
        return np.zeros((0, 3), dtype=np.int64)
    return trip[_facets(ex, pts, rows, trip)]


def _facets(ex: ExactRows, pts: np.ndarray, rows: _UnitRows, trip: np.ndarray) -> np.ndarray:
    """Which candidates ``(a, b, r)`` share a facet on the hyperplane of ``a``'s row ``r``
    (exactly; see the module's text): the segment witnesses in one batch, then one by one the
    Chebyshev centre of the facet and the exact LP for the rest."""
    d, m = ex.d, len(trip)
    a, b, r = trip[:, 0], trip[:, 1], trip[:, 2]
    kid, cls = rows.kid, rows.cls
    kh = kid[a, r]
    nh = rows.neg_of[kh]
    R = kid.shape[1]
    # b on the positive side of H too (a row of b a positive multiple of h): no facet
    ok = ~(kid[b] == kh[:, None]).any(axis=1)
    # the other rows: a's and b's first of each class, off H, b's only where a has none alike
    first = cls == np.arange(R)[None, :]
    off_a = first[a] & (kid[a] != kh[:, None]) & (kid[a] != nh[:, None])
    off_b = first[b] & (kid[b] != kh[:, None]) & (kid[b] != nh[:, None])
    off_b &= ~((kid[b][:, :, None] == kid[a][:, None, :]) & off_a[:, None, :]).any(axis=2)
    pa, qa = np.nonzero(off_a)
    pb, qb = np.nonzero(off_b)
    at = np.concatenate([pa, pb])
    F = np.concatenate([rows.rows(a[pa], qa, False), rows.rows(b[pb], qb, False)])
    sg = np.concatenate([rows.sign[a[pa], qa], rows.sign[b[pb], qb]])
    H = rows.rows(a, r)
    # the segment between the two cells' points where it meets H (floats: a proposal)
    Hf = _floats(H, d)
    p1, p2 = pts[a], pts[b]
    s1 = (Hf[:, :d] * p1).sum(axis=1) + Hf[:, d]
    s2 = (Hf[:, :d] * p2).sum(axis=1) + Hf[:, d]
    cross = ok & (s1 > 0) & (s2 < 0)
    t = np.divide(s1, s1 - s2, out=np.zeros(m), where=cross)
    Y = p1 + t[:, None] * (p2 - p1)
    good = np.zeros(m, dtype=bool)
    if cross.any():
        sel = np.flatnonzero(cross)
        keep = np.isin(at, sel)
        remap = np.full(m, -1, dtype=np.int64)
        remap[sel] = np.arange(len(sel))
        good[sel] = _witnessed(ex, H[sel], Y[sel], F[keep], remap[at[keep]], sg[keep])
    for k in np.flatnonzero(ok & ~good).tolist():
        good[k] = _facet_by_lp(ex, H[k], Hf[k], F[at == k] * sg[at == k][:, None])
    return good


def _floats(H: np.ndarray, d: int) -> np.ndarray:
    """Integer rows ``H`` as floats, each divided by its largest linear coefficient."""
    try:
        Hf = H.astype(np.float64)
        top = np.abs(Hf[:, :d]).max(axis=1)
        if np.isfinite(Hf).all() and (top > 0).all():
            return Hf / top[:, None]
    except OverflowError:  # integers beyond the float range: divided exactly first
        pass
    return np.array([[v / (max(abs(int(u)) for u in h[:d]) or 1) for v in h] for h in H.tolist()],
                    dtype=np.float64).reshape(-1, d + 1)


def _facet_by_lp(ex: ExactRows, h: np.ndarray, hfl: np.ndarray, F: np.ndarray) -> bool:
    """Whether the hyperplane ``h . (x, 1) = 0`` has points strictly inside the rows ``F`` and
    the domain: a witness at the Chebyshev centre of the facet inside ``H`` (one float LP,
    checked exactly), else one exact LP."""
    d = ex.d
    rows = np.vstack([F, ex.E0]) if len(ex.E0) else F
    rows = np.asarray(rows, dtype=object).reshape(-1, d + 1)
    Af = np.array([[-v / (max(abs(int(u)) for u in e[:d]) or 1) for v in e[:d]] for e in rows.tolist()],
                  dtype=np.float64).reshape(-1, d)
    bf = np.array([e[d] / (max(abs(int(u)) for u in e[:d]) or 1) for e in rows.tolist()], dtype=np.float64)
    den = ex.den
    A, b = np.vstack([-hfl[None, :d], Af]), np.concatenate([[hfl[d]], bf])
    if ex.box:  # (no box: all of R^n or an unbounded polyhedron, the LPs bounded by t <= 1)
        lo = np.array([v / den for v in ex.loz.tolist()], dtype=np.float64)
        hi = np.array([v / den for v in ex.hiz.tolist()], dtype=np.float64)
        A, b = np.vstack([A, np.eye(d), -np.eye(d)]), np.concatenate([b, hi, -lo])
    ball = None
    if ex.l1 is not None:
        ball = (np.array([v / den for v in ex.l1[0].tolist()], dtype=np.float64), ex.l1[1] / den)
    y = facet_point(A, b, 0, ball)
    if y is not None and on_facet(ex, h, F, y[None, :])[0]:
        return True
    return bool(ex.side_lp(rows, None, on=h)[0])
