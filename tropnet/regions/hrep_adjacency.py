"""Neighbours of H-representation cells for the linear merge, certified without LPs where a
point shows them.

The merge of a float linear count (:func:`~tropnet.regions.geometry.linear_labels`) needs, of
the cells of one map group, only the facet-adjacent pairs whose maps it joins.  A cell of the
H-representation engine has no vertex list, so its facets cost one LP per row
(:func:`~tropnet.regions.geometry.hrep_facets`).  Most rows need none:

* *No candidate, no test.*  Across a facet of cell ``c`` on the hyperplane ``H`` of its row
  ``r``, the neighbouring cell's pattern is ``c``'s with some of the units whose rows in ``c``
  lie on ``H`` flipped: every other unit is nonzero at a point inside the facet, and its value
  is continuous.  So the only possible neighbours across row ``r`` are the cells whose patterns
  are ``c``'s with a nonempty subset of the units of ``r``'s *twin class* (the rows of ``c`` on
  the same hyperplane, the same side; a unit alone when no other row coincides) flipped.  When
  none of them is a reported cell that the merge would join with ``c`` (same group, maps within
  the merge's tolerance), the row cannot give an edge the merge uses, and is not tested.
* *A point certificate.*  For a candidate ``c2``, the segment between the two cells' interior
  points meets ``H`` in ``y``; when every other row of ``c`` and every row of ``c2`` not on
  ``H`` holds strictly at ``y`` (by ``1e-9`` times the row's terms, far above the rounding of
  these products) and ``y`` is strictly inside the domain's 1-norm ball, a small disc of ``H``
  around ``y`` lies in the closures of both cells: they are facet neighbours, and ``c2`` is the
  cell across that facet of ``c``.

A unit constant on the cell (a (near) zero row) may flip across any facet: it joins every twin
class's flips there.  Rows with a candidate the point does not certify keep their LP (and the
geometry's neighbour rules), as do twin classes whose flips are many (more than
:data:`TWIN_MAX` units) or flip one column two ways (group stages), where the candidates are
not listed, and near-coincident chains of rows (twins of twins that are not twins).

>>> A = np.array([[[1.0, 0.0], [-1.0, 0.0]], [[-1.0, 0.0], [1.0, 0.0]]])  # x <= 0 | x >= 0 ...
>>> b = np.array([[0.0, 1.0], [0.0, 1.0]])                              # ... inside |x| <= 1
>>> codes = np.array([[1 << 20 | 1, -2], [1 << 20 | 0, -2]])             # unit 1 flips; a box row
>>> pats = np.array([[0, 0], [0, 1]], dtype=np.int32)
>>> test, cert = certified_neighbours(A, b, codes, np.arange(2), pats, np.array([[-0.5, 0.0], [0.5, 0.0]]),
...                                   lambda i, j: np.ones(len(i), dtype=bool))
>>> bool(test.any()), [v.tolist() for v in cert]
(False, [[0, 1], [0, 0], [1, 0]])
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np

from ..kernels.merge import row_index
from .neighbours import flip_neighbours

__all__ = ["certified_neighbours", "facet_point", "TWIN_MAX"]

#: Twin classes of more units than this are not listed (``2^k - 1`` candidates): their rows keep
#: the LP test.
TWIN_MAX = 6

#: Rows whose normalised ``(a, b)`` agree to this (relative) are listed as twins: a superset of
#: the rows on one hyperplane in exact arithmetic, whose float rows differ by rounding.
TWIN_TOL = 1e-7

#: Rows the certificate leaves out as lying on the facet's hyperplane agree to this: closer than
#: the float engine resolves (hyperplanes farther apart are checked as rows and must hold
#: strictly at the point).
ON_TOL = 1e-12

#: A row holds strictly at a point when its slack is below ``-SLACK_TOL`` times its terms
#: (``|a| |y| + |b|``); rounding of the products is about ``1e-16`` of that.
SLACK_TOL = 1e-9

#: Rows this much shorter than the cell's longest row count as zero (a unit constant on the
#: cell up to rounding): the cell's rows keep the LP test.
ZERO_TOL = 1e-9


def certified_neighbours(
    A: np.ndarray,
    b: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray,
    patterns: np.ndarray,
    points: np.ndarray,
    joins: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ball: tuple | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Which unit rows of the cells ``cells`` still need the LP test, and the facets a point
    certifies (see the module's text).

    ``A`` (n, R, d), ``b`` (n, R): the rows of cell ``cells[i]`` (domain rows and unit rows);
    ``codes`` (n, R): a unit row's flip (``col << 20 | value``), negative for domain rows;
    ``patterns``, ``points``: of all cells (indices ``cells`` into them; ``points`` inside their
    cells); ``joins(i, j)``: for arrays of cell indices, whether the merge joins the two cells
    when they are neighbours; ``ball=(centre, radius)``: the domain's 1-norm ball.

    Returns ``(test (n, R) bool, (lc, r, across))``: the rows to test by LP as before, and the
    certified facets ``(lc[k], r[k])`` (``lc`` an index into ``cells``) with the cell ``across[k]``
    on their other side.  (A runnable example: the module's docstring, two halves of a segment.)
    """
    n, R = b.shape
    test = np.zeros((n, R), dtype=bool)
    none = (np.zeros(0, dtype=np.int64),) * 3
    if n == 0 or R == 0:
        return test, none
    unit = codes >= 0
    norms = np.linalg.norm(A, axis=2)
    # (near) constant units: they may flip across any facet of their cell, so they join every
    # twin class's flips there (a tiny nonzero row is also a hyperplane of its own)
    flat = unit & (norms <= ZERO_TOL * norms.max(axis=1, keepdims=True))
    Hn = np.concatenate([A, b[:, :, None]], axis=2) / np.where(norms > 0, norms, 1.0)[:, :, None]
    pos = np.full(len(patterns), -1, dtype=np.int64)
    pos[cells] = np.arange(n)
    live = unit & (norms > 0)
    loose = _twins(Hn, TWIN_TOL) & live[:, :, None] & live[:, None, :]  # the twin classes
    first = np.argmax(loose, axis=2)  # a class is named by its first row
    size = loose.sum(axis=2)
    # twins of twins that are not twins (near-coincident chains): no classes, the LP decides
    chain = live & (loose != np.take_along_axis(loose, first[:, :, None], axis=1)).any(axis=2)
    for lc, r in zip(*np.nonzero(chain)):
        test[lc] |= loose[lc, r]
    named = live & (first == np.arange(R)[None, :]) & ~test
    # one unit alone on its hyperplane (no constant unit in its cell): the cell across is the
    # pattern with it flipped
    alone = named & (size == 1) & ~flat.any(axis=1)[:, None]
    sl, sr = np.nonzero(alone)
    across = flip_neighbours(patterns, cells[sl], codes[sl, sr])
    cand = [(sl, sr, across)]
    for lc, r in zip(*np.nonzero(named & ~alone)):
        cls = np.flatnonzero(loose[lc, r])
        flips = np.union1d(cls, np.flatnonzero(flat[lc]))
        col, val = codes[lc, flips] >> 20, codes[lc, flips] & ((1 << 20) - 1)
        if len(flips) > TWIN_MAX or len(np.unique(col)) < len(col):
            test[lc, cls] = True  # candidates not listed: the LP decides
            continue
        subsets = [list(sub) for k in range(1, len(flips) + 1)  # every nonempty subset flipped
                   for sub in combinations(range(len(flips)), k)]
        Q = np.repeat(patterns[cells[lc]][None, :], len(subsets), axis=0)
        for q, sub in zip(Q, subsets):
            q[col[sub]] = val[sub]
        found = row_index(patterns, Q)
        cand.append((np.full(len(found), lc), np.full(len(found), r), found))
    lc, r, c2 = (np.concatenate(v).astype(np.int64) for v in zip(*cand))
    keep = (c2 >= 0) & (c2 != cells[lc])
    lc, r, c2 = lc[keep], r[keep], c2[keep]
    keep = joins(cells[lc], c2)
    lc, r, c2 = lc[keep], r[keep], c2[keep]
    if len(lc) == 0:
        return test, none
    ok = _point_certificate(A, b, Hn, lc, r, pos[c2], points[cells[lc]], points[c2], ball)
    # the neighbour across a facet is unique: a class with a certified candidate needs no test;
    # one whose candidates the point does not certify keeps its LP, for every row of the class
    shown = np.zeros((n, R), dtype=bool)
    shown[lc[ok], r[ok]] = True
    for i in np.flatnonzero(~ok & ~shown[lc, r]).tolist():
        test[lc[i]] |= loose[lc[i], r[i]]
    first = np.flatnonzero(ok)
    first = first[np.unique(lc[first] * R + r[first], return_index=True)[1]]
    return test, (lc[first], r[first], c2[first])


def _twins(Hn: np.ndarray, tol: float) -> np.ndarray:
    """``(n, R, R)``: rows of one cell whose normalised ``(a, b)`` agree to ``tol`` (relative to
    ``1 + |b|``, max norm): the pairs whose projections on a random vector are that close (a
    necessary condition), then checked entry by entry."""
    n, R, k = Hn.shape
    w = np.random.default_rng(11).uniform(0.5, 1.5, size=k)
    p = Hn.dot(w)
    scale = 1.0 + np.abs(Hn[:, :, -1])
    top = np.maximum(scale[:, :, None], scale[:, None, :])
    lc, i, j = np.nonzero(np.abs(p[:, :, None] - p[:, None, :]) <= tol * top * w.sum() * (1 + 1e-9))
    near = np.abs(Hn[lc, i] - Hn[lc, j]).max(axis=1) <= tol * top[lc, i, j]
    out = np.zeros((n, R, R), dtype=bool)
    out[lc[near], i[near], j[near]] = True
    return out


def _point_certificate(A, b, Hn, lc, r, l2, x0, x1, ball) -> np.ndarray:
    """For each candidate ``(lc, r, l2)``: whether the point where the segment ``x0 -> x1`` meets
    row ``r``'s hyperplane shows cells ``lc`` and ``l2`` (indices into ``A``) adjacent across it."""
    ok = l2 >= 0
    l2 = np.maximum(l2, 0)
    h = Hn[lc, r]  # (m, d + 1): the facet's hyperplane, unit normal
    a, beta = h[:, :-1], h[:, -1]
    s0 = np.einsum("ij,ij->i", a, x0) - beta
    s1 = np.einsum("ij,ij->i", a, x1) - beta
    tol0 = SLACK_TOL * (np.linalg.norm(x0, axis=1) + np.abs(beta))
    tol1 = SLACK_TOL * (np.linalg.norm(x1, axis=1) + np.abs(beta))
    ok &= (s0 < -tol0) & (s1 > tol1)
    t = np.where(ok, s0 / np.where(ok, s0 - s1, 1.0), 0.0)
    y = x0 + t[:, None] * (x1 - x0)
    same = np.abs(Hn[lc] - h[:, None, :]).max(axis=2)  # c's rows on H: its twin class
    ok &= _strictly_inside(A[lc], b[lc], y, same)
    flipped = np.abs(Hn[l2] + h[:, None, :]).max(axis=2)  # c2's rows on H face the other way
    ok &= _strictly_inside(A[l2], b[l2], y, flipped)
    if ball is not None:
        centre, radius = np.asarray(ball[0], dtype=np.float64), float(ball[1])
        l1 = np.abs(y - centre).sum(axis=1)
        ok &= l1 < radius - SLACK_TOL * (radius + np.abs(centre).sum() + np.abs(y).sum(axis=1))
    return ok


def _strictly_inside(A, b, y, dist_to_h) -> np.ndarray:
    """Every row ``A[i] y <= b[i]`` not on the facet's hyperplane (``dist_to_h > ON_TOL``,
    relative) holds strictly at ``y[i]`` (a zero row ``0 <= b``, ``b >= 0``, holds anywhere)."""
    slack = np.einsum("ird,id->ir", A, y) - b
    terms = np.linalg.norm(A, axis=2) * np.linalg.norm(y, axis=1)[:, None] + np.abs(b)
    norms = np.linalg.norm(A, axis=2)
    on = dist_to_h <= ON_TOL * (1.0 + np.abs(b) / np.maximum(norms, 1e-300))
    free = (norms == 0) & (b >= 0)  # 0 <= b: no constraint
    return ((slack < -SLACK_TOL * terms) | on | free).all(axis=1)


def facet_point(A: np.ndarray, b: np.ndarray, r: int, ball: tuple | None = None) -> np.ndarray | None:
    """A point in the relative interior of facet ``r`` of the float polyhedron ``{A x <= b}``
    (the Chebyshev centre of the facet inside its hyperplane; one LP), ``None`` if it has none.
    ``ball=(c, rho)``: of the polyhedron cut by the 1-norm ball ``|x - c|_1 <= rho`` (lifted:
    :func:`~tropnet.kernels.lp.l1_lifted`; the point is inside the ball, not necessarily its
    centre).

    >>> facet_point(np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]]), np.array([1.0, 0, 1, 0]), 0).tolist()
    [1.0, 0.5]
    """
    from ..kernels.lp import chebyshev_center

    a = np.asarray(A[r], dtype=np.float64)
    x_p = a * float(b[r]) / float(a.dot(a))
    N = np.linalg.svd(a[None, :])[2][1:].T  # (d, d - 1) basis of the hyperplane's directions
    others = np.arange(len(b)) != r
    Ao = np.asarray(A, dtype=np.float64)[others]
    bo = np.asarray(b, dtype=np.float64)[others]
    rows, rhs = Ao.dot(N), bo - Ao.dot(x_p)
    if ball is not None:  # x = x_p + N z in the ball: rows on (z, t)
        from ..kernels.lp import l1_lifted

        rows, rhs = l1_lifted(rows, rhs, np.asarray(ball[0], dtype=np.float64) - x_p, ball[1], E=N)
    z, rad = chebyshev_center(rows, rhs, rmax=1e6)
    return None if rad <= 0 else x_p + N.dot(z[: N.shape[1]])
