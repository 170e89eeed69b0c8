"""Exact facets between the cells of an exact H-representation run, for the linear merge.

An exact linear count (:func:`~tropnet.regions.geometry.linear_labels`) joins cells with one
exact affine map across a common facet.  The cells of an exact run of the H-representation engine
(:mod:`tropnet.regions.hrep`, every side decided exactly) have no vertex list, so their facets
are decided here, for the pairs of cells with one exact map only, every decision exact:

- *Candidates.*  Across a facet of cell ``c`` on the hyperplane ``H`` of its row ``h``, the
  neighbour's pattern is ``c``'s with some of the units on ``H`` flipped: the units whose rows in
  ``c`` are positive multiples of ``h`` (``c``'s *twins* of ``h``; exact integer rows, compared
  as primitive vectors) and units zero on ``c`` with constant zero; every other unit is nonzero at
  a generic point of the facet and keeps its sign across it.  The earliest unit of the patterns'
  difference is never one of the latter (its row is the same in both cells), so each pair of a
  group of one exact map is a candidate across at most one hyperplane of the first cell.
- *Present* only with an exact *witness*: a float point (the segment between the two cells'
  interior points where it meets ``H``, else the Chebyshev centre of the facet inside ``H``, one
  float LP) projected onto ``H`` exactly in rationals and checked in integers to satisfy every
  other row of both cells and the domain strictly: a small disc of ``H`` around it then lies in
  both closures.
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

from .affine import cell_affine
from .hrep_adjacency import facet_point
from .hrep_exact import ExactRows, _dyadic, _ints

__all__ = ["exact_hrep_edges", "on_facet"]


def _keys(ca: Any, at: np.ndarray, d: int) -> list:
    """Per cell ``at[i]`` of ``ca`` (an exact :class:`~tropnet.regions.affine.CellAffine` of unit
    stages), per row: the primitive integer vector of ``E = -h`` (the row divided by the gcd of its
    entries; one vector per hyperplane and side), ``None`` for a zero linear part.  Computed once
    per class of cells with one map so far (the walk's classes), then oriented by the pattern."""
    n, R = len(at), ca.nrows
    K: list = [[None] * R for _ in range(n)]
    for bi, blk in enumerate(ca.blocks):
        rs = np.flatnonzero(ca.row_block == bi)
        if len(rs) == 0:
            continue
        Z = _ints(blk.Z)
        g = np.gcd.reduce(Z, axis=2)
        live = np.asarray((Z[:, :, :d] != 0).any(axis=2), dtype=bool)
        Pz = (Z // np.where(live, g, 1)[:, :, None]).tolist()
        pos = [[tuple(u) if ok else None for u, ok in zip(row, lv)] for row, lv in zip(Pz, live.tolist())]
        neg = [[None if u is None else tuple(-v for v in u) for u in row] for row in pos]
        units, cols = ca.row_unit[rs].tolist(), ca.row_col[rs]
        cls = np.asarray(blk.inv)[at].tolist()
        act = ca.patterns[at][:, cols].astype(bool).tolist()  # active: E = z, inactive: E = -z
        for i in range(n):
            Ki, pc, nc, ai = K[i], pos[cls[i]], neg[cls[i]], act[i]
            for j, r in enumerate(rs.tolist()):
                Ki[r] = pc[units[j]] if ai[j] else nc[units[j]]
    return K


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
    d = ex.d
    Z, s = _dyadic(ex.snap(np.asarray(Y, dtype=np.float64).reshape(-1, d)), ex.grid)
    Z = _ints(Z)
    a = _ints(h[:d])
    aa = int(sum(int(v) * int(v) for v in a))
    v = Z.dot(a) + int(h[d]) * s  # h . (y, 1) times s
    X = Z * aa - v[:, None] * a[None, :]  # the projection y - (h . (y, 1) / |a|^2) a, over s |a|^2
    q = (X, s * aa)
    ok = ex.in_domain(q)
    rows = F if len(ex.E0) == 0 else np.vstack([F, ex.E0]) if len(F) else ex.E0
    if len(rows) and ok.any():
        ok &= np.asarray((ex.values(rows, q) > 0).all(axis=1), dtype=bool)
    return ok


def exact_hrep_edges(found: Any, cells: np.ndarray, gid: np.ndarray | None = None, ca: Any = None,
                     at: np.ndarray | None = None) -> np.ndarray:
    """The facet-adjacent pairs ``(i, j)`` (indices into ``found``, ``i < j``) among the cells
    ``cells`` of an exact H-representation run whose exact maps are equal (``gid``: a label per
    cell of ``found``, equal for equal exact maps; ``None``: computed here), every decision exact
    (see the module's text).  ``found.cache["exact_dom"] = (lo, hi, halfspaces, l1)``: the
    run's domain, exactly.  ``ca``: the exact :class:`~tropnet.regions.affine.CellAffine` of
    cells whose positions ``at`` are ``cells`` (the merge's walk, not done again).

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
    n = len(cells)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    lo, hi, halfspaces, l1 = found.cache["exact_dom"]
    ex = ExactRows(found.stages, d, lo, hi, halfspaces, l1)
    P = found.patterns[cells]
    if ca is None:
        ca, at = cell_affine(found.stages, P, d, exact=True), np.arange(n)
    R = ca.nrows
    if R == 0:
        return np.zeros((0, 2), dtype=np.int64)
    h, _ = ca.numerators(np.repeat(np.asarray(at), R), np.tile(np.arange(R), n))
    E = _ints(-np.asarray(h).reshape(n, R, d + 1))  # E . (x, 1) >= 0 on the cell
    if gid is None:
        N = ca.map_numerators(at).reshape(n, -1)
        keys: dict = {}
        sub = np.array([keys.setdefault(tuple(row), len(keys)) for row in N.tolist()], dtype=np.int64)
    else:
        sub = np.asarray(gid)[cells]
    cols = ca.row_col
    # per cell and pattern column: the row's class (its first row with one primitive vector),
    # -1 a unit zero on the cell with constant zero (it may flip across any facet), -2 a nonzero
    # constant (it never flips)
    K = _keys(ca, np.asarray(at), d)
    L = np.full((n, P.shape[1]), -2, dtype=np.int64)
    for i in range(n):
        first: dict = {}
        for r in range(R):
            k = K[i][r]
            if k is None:
                L[i, cols[r]] = -1 if int(E[i, r, d]) == 0 else -2
            else:
                L[i, cols[r]] = first.setdefault(k, r)
    big = np.iinfo(np.int64).max
    pairs = []
    order = np.argsort(sub, kind="stable")
    bounds = np.flatnonzero(np.diff(sub[order])) + 1
    for members in np.split(order, bounds):
        for t, a in enumerate(members[:-1]):
            rest = members[t + 1 :]
            D = P[rest] != P[a]
            La = L[a][None, :]
            cls = D & (La >= 0)
            lo_k = np.where(cls, La, big).min(axis=1)
            hi_k = np.where(cls, La, -1).max(axis=1)
            ok = (lo_k == hi_k) & (lo_k < big) & ~(D & (La == -2)).any(axis=1)
            pairs += [(int(a), int(b), int(k)) for b, k in zip(rest[ok], lo_k[ok])]
    edges = [(int(cells[a]), int(cells[b])) for a, b, r in pairs
             if _adjacent(ex, found, cells, E, K, a, b, r)]
    e = np.array(edges, dtype=np.int64).reshape(-1, 2)
    return np.sort(e, axis=1)


def _adjacent(ex: ExactRows, found: Any, cells: np.ndarray, E: np.ndarray, K: list, a: int, b: int,
              r: int) -> bool:
    """Whether cells ``a`` and ``b`` (indices into ``cells``) share a facet on the hyperplane of
    row ``r`` of ``a`` (exactly; see the module's text)."""
    d = ex.d
    h = E[a, r]
    kh = K[a][r]
    neg = tuple(-v for v in kh)
    F, seen = [], {kh, neg}
    for i, c in ((a, E[a]), (b, E[b])):
        for j in range(len(c)):
            k = K[i][j]
            if k is None or k in seen:
                if i == b and k == kh:
                    return False  # both cells on the positive side of H
                continue
            seen.add(k)
            F.append(c[j])
    F = np.array(F, dtype=object).reshape(len(F), d + 1)
    hf = np.array([int(v) for v in h], dtype=object)
    m = max(abs(int(v)) for v in h[:d])
    hfl = np.array([v / m for v in hf.tolist()], dtype=np.float64)
    p1, p2 = found.points[cells[a]], found.points[cells[b]]
    s1, s2 = hfl[:d].dot(p1) + hfl[d], hfl[:d].dot(p2) + hfl[d]
    if s1 > 0 > s2:  # the segment between the two cells' points meets H
        y = p1 + (s1 / (s1 - s2)) * (p2 - p1)
        if on_facet(ex, hf, F, y[None, :])[0]:
            return True
    # the Chebyshev centre of the facet in H (float rows: -F_a x <= F_0, normalised)
    rows = np.vstack([F, ex.E0]) if len(ex.E0) else F
    Af = np.array([[-v / (max(abs(int(u)) for u in e[:d]) or 1) for v in e[:d]] for e in rows.tolist()],
                  dtype=np.float64).reshape(-1, d)
    bf = np.array([e[d] / (max(abs(int(u)) for u in e[:d]) or 1) for e in rows.tolist()], dtype=np.float64)
    den = ex.den
    lo = np.array([v / den for v in ex.loz.tolist()], dtype=np.float64)
    hi = np.array([v / den for v in ex.hiz.tolist()], dtype=np.float64)
    eye = np.eye(d)
    A = np.vstack([-hfl[None, :d], Af, eye, -eye])
    b = np.concatenate([[hfl[d]], bf, hi, -lo])
    ball = None
    if ex.l1 is not None:
        ball = (np.array([v / den for v in ex.l1[0].tolist()], dtype=np.float64), ex.l1[1] / den)
    y = facet_point(A, b, 0, ball)
    if y is not None and on_facet(ex, hf, F, y[None, :])[0]:
        return True
    return bool(ex.side_lp(rows, None, on=hf)[0])
