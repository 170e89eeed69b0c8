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

Rows with a candidate the point does not certify keep their LP (and the geometry's neighbour
rules), as do the rows of cells with a (near) zero row, and twin classes that are large or that
flip one column two ways (group stages), where the candidates are not listed.

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

__all__ = ["certified_neighbours", "TWIN_MAX"]

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
    on their other side.
    """
    n, R = b.shape
    test = np.zeros((n, R), dtype=bool)
    none = (np.zeros(0, dtype=np.int64),) * 3
    if n == 0 or R == 0:
        return test, none
    unit = codes >= 0
    norms = np.linalg.norm(A, axis=2)
    zero = (norms <= ZERO_TOL * norms.max(axis=1, keepdims=True)).any(axis=1)
    test[zero] = unit[zero]  # a (near) constant unit may flip across any facet: the LP decides
    safe = norms > 0
    Hn = np.concatenate([A, b[:, :, None]], axis=2) / np.where(safe, norms, 1.0)[:, :, None]
    lookup = {patterns[c].tobytes(): int(c) for c in range(len(patterns))}
    pos = np.full(len(patterns), -1, dtype=np.int64)
    pos[cells] = np.arange(n)
    cand_l, cand_r, cand_c = [], [], []
    loose = _twins(Hn, TWIN_TOL)
    for lc in np.flatnonzero(~zero).tolist():
        c = int(cells[lc])
        pat = patterns[c]
        done = np.zeros(R, dtype=bool)
        for r in np.flatnonzero(unit[lc]).tolist():
            if done[r]:
                continue
            cls = np.flatnonzero(loose[lc, r] & unit[lc])
            cls = np.union1d(cls, [r])
            done[cls] = True
            code = codes[lc, cls]
            col, val = code >> 20, code & ((1 << 20) - 1)
            if len(cls) > TWIN_MAX or len(np.unique(col)) < len(col):
                test[lc, cls] = True  # candidates not listed: the LP decides
                continue
            found = []
            for k in range(1, len(cls) + 1):
                for sub in combinations(range(len(cls)), k):
                    q = pat.copy()
                    q[col[list(sub)]] = val[list(sub)]
                    hit = lookup.get(q.tobytes())
                    if hit is not None and hit != c:
                        found.append(hit)
            if not found:
                continue
            found = np.array(found, dtype=np.int64)
            found = found[joins(np.full(len(found), c), found)]
            for c2 in found.tolist():
                cand_l.append(lc)
                cand_r.append(r)
                cand_c.append(c2)
    if not cand_l:
        return test, none
    lc, r, c2 = (np.array(v, dtype=np.int64) for v in (cand_l, cand_r, cand_c))
    ok = _point_certificate(A, b, Hn, lc, r, pos[c2], points[cells[lc]], points[c2], ball)
    # the neighbour across a facet is unique: a class with a certified candidate needs no test;
    # one whose candidates the point does not certify keeps its LP, for every row of the class
    shown = np.zeros((n, R), dtype=bool)
    shown[lc[ok], r[ok]] = True
    for i in np.flatnonzero(~ok & ~shown[lc, r]).tolist():
        test[lc[i]] |= loose[lc[i], r[i]] & unit[lc[i]]
        test[lc[i], r[i]] = True
    first = np.flatnonzero(ok)
    first = first[np.unique(lc[first] * R + r[first], return_index=True)[1]]
    return test, (lc[first], r[first], c2[first])


def _twins(Hn: np.ndarray, tol: float) -> np.ndarray:
    """``(n, R, R)``: rows of one cell whose normalised ``(a, b)`` agree to ``tol`` (relative to
    ``1 + |b|``), in blocks of cells of a few million entries."""
    n, R, k = Hn.shape
    out = np.zeros((n, R, R), dtype=bool)
    step = max(1, 4_000_000 // max(1, R * R * k))
    for a in range(0, n, step):
        H = Hn[a : a + step]
        dist = np.abs(H[:, :, None, :] - H[:, None, :, :]).max(axis=3)
        scale = 1.0 + np.maximum(np.abs(H[:, :, None, -1]), np.abs(H[:, None, :, -1]))
        out[a : a + step] = dist <= tol * scale
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
    relative) holds strictly at ``y[i]``."""
    slack = np.einsum("ird,id->ir", A, y) - b
    terms = np.linalg.norm(A, axis=2) * np.linalg.norm(y, axis=1)[:, None] + np.abs(b)
    on = dist_to_h <= ON_TOL * (1.0 + np.abs(b) / np.maximum(np.linalg.norm(A, axis=2), 1e-300))
    return ((slack < -SLACK_TOL * terms) | on).all(axis=1)
