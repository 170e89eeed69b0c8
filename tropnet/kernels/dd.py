"""Exact double description in integers: facets from points, vertices from halfspaces.

The exact polyhedral oracle of the core install (no cddlib, no GMP headers): Motzkin's double
description method (Motzkin, Raiffa, Thompson and Thrall 1953; in the form of Fukuda and Prodon,
"Double description method revisited", 1996) on integer data with Python integers, so every
decision is exact and numbers of any size work.

:func:`cone_rays` returns the extreme rays of a pointed cone ``{y : H y >= 0}``; the two
conversions are cones in disguise:

* :func:`hull_facets` -- the facets ``a . x <= b`` of ``conv(V) + cone(R)`` (full-dimensional)
  are the extreme rays ``(b, a)`` with ``a != 0`` of ``{(b, a) : b - a . v >= 0, -a . r >= 0}``;
* :func:`halfspace_vertices` -- the vertices of ``{x : A x <= b}`` (with ``A`` of full column
  rank) are the extreme rays ``(t, x)`` with ``t > 0`` of ``{(t, x) : t b - A x >= 0, t >= 0}``,
  divided by ``t``.

Algorithm: start from ``D`` linearly independent rows (their cone is simplicial: the columns
of the inverse), then add one row at a time; rays on its negative side are dropped and every
*adjacent* pair of a positive and a negative ray gives a new ray on the row's hyperplane.  A
pair is adjacent when the rows tight at both (at least ``D - 2`` of them) are tight at no third
ray (the combinatorial test).  Rays are kept primitive (gcd 1).  Rows are added in the order
that splits the fewest pairs first (a cheap form of cdd's ``MinCutoff``), which keeps the
intermediate cones small on the polytopes met here.

Cost: polynomial in the output for fixed dimension in practice, exponential in the worst case;
cddlib (pycddlib's ``cdd.gmp``, C and GMP) is much faster and is used as an independent oracle
in the tests.  In tropnet this oracle is reached only where exact proposals from Qhull are not
certified, and for the facets of the small faces whose exact volumes are measured.

>>> from fractions import Fraction as F
>>> A, b = hull_facets([[0, 0], [1, 0], [0, 1], [F(1, 3), F(1, 3)]])
>>> sorted(zip(map(tuple, A.tolist()), b.tolist()))
[((-1, 0), 0), ((0, -1), 0), ((1, 1), 1)]
>>> V, masks = halfspace_vertices([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])
>>> V.tolist(), masks
([[0, 0], [0, 1], [1, 0]], [3, 5, 6])
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["cone_rays", "hull_facets", "halfspace_vertices"]


def _int_rows(rows: list[list[Any]]) -> list[list[int]]:
    """Each rational row times the lcm of its denominators (the same halfspace), gcd-reduced."""
    out = []
    for row in rows:
        q = [v if isinstance(v, Fraction) else Fraction(v) for v in row]
        den = math.lcm(*(v.denominator for v in q)) if q else 1
        z = [int(v * den) for v in q]
        g = math.gcd(*z)
        out.append([v // g for v in z] if g > 1 else z)
    return out


def _dot(a: list[int], b: list[int]) -> int:
    return sum(x * y for x, y in zip(a, b))


def _primitive(v: list[int]) -> list[int]:
    g = math.gcd(*v)
    return [x // g for x in v] if g > 1 else v


def cone_rays(H: Any) -> tuple[list[list[int]], list[int]]:
    """Extreme rays of the pointed cone ``{y : H y >= 0}`` and, per ray, the bitmask of rows of
    ``H`` tight at it.

    ``H`` is an (m, D) array of integers or rationals (a rational row is scaled to integers;
    the cone is the same).  The rays are primitive integer vectors, in no particular order.
    Raises ``ValueError`` when the cone is not pointed (``rank H < D``).

    >>> rays, masks = cone_rays([[1, 0], [0, 1], [1, -1]])   # x >= 0, y >= 0, x >= y
    >>> sorted(rays), masks == [masks[rays.index([1, 0])], masks[rays.index([1, 1])]] or None
    ([[1, 0], [1, 1]], True)
    """
    import flint

    rows = _int_rows([list(r) for r in np.asarray(H, dtype=object).tolist()])
    m = len(rows)
    D = len(rows[0]) if m else 0
    if D == 0:
        return [], []
    M = flint.fmpz_mat(rows)
    rank = M.rank()
    if rank < D:
        raise ValueError(f"the cone {{y : H y >= 0}} is not pointed (rank {rank} < {D} columns)")
    # D independent rows: the pivots of the row echelon form of H^T
    R = M.transpose().rref()[0]
    basis: list[int] = []
    k = 0
    for i in range(D):
        while R[i, k] == 0:
            k += 1
        basis.append(k)
    B = flint.fmpq_mat([rows[i] for i in basis])
    Binv = B.inv()
    rays: list[list[int]] = []
    zero: list[int] = []
    full = 0
    for i in basis:
        full |= 1 << i
    for k in range(D):  # column k of B^-1: positive on basis row k, zero on the others
        col = [Binv[i, k] for i in range(D)]
        den = math.lcm(*(int(v.q) for v in col))
        rays.append(_primitive([int(v * den) for v in col]))
        zero.append(full & ~(1 << basis[k]))
    done = set(basis)
    todo = [i for i in range(m) if i not in done]
    need = D - 2
    while todo:
        # the row whose split creates the fewest pairs (cheap MinCutoff)
        best = None
        for i in todo:
            s = [_dot(rows[i], r) for r in rays]
            npos = sum(1 for v in s if v > 0)
            nneg = sum(1 for v in s if v < 0)
            key = npos * nneg
            if best is None or key < best[0]:
                best = (key, i, s)
            if key == 0:
                break
        _, i, s = best
        todo.remove(i)
        bit = 1 << i
        pos = [k for k, v in enumerate(s) if v > 0]
        neg = [k for k, v in enumerate(s) if v < 0]
        new_rays: list[list[int]] = []
        new_zero: list[int] = []
        for p in pos:
            zp = zero[p]
            for n in neg:
                common = zp & zero[n]
                if common.bit_count() < need:
                    continue
                if any(common & ~z == 0 for k, z in enumerate(zero) if k != p and k != n):
                    continue
                sp, sn = s[p], -s[n]  # sp > 0, sn > 0
                v = _primitive([sp * x + sn * y for x, y in zip(rays[n], rays[p])])
                new_rays.append(v)
                new_zero.append(common | bit)
        keep = [k for k, v in enumerate(s) if v >= 0]
        rays = [rays[k] for k in keep] + new_rays
        zero = [zero[k] | (bit if s[k] == 0 else 0) for k in keep] + new_zero
    return rays, zero


def hull_facets(V: Any, R: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The facets ``A x <= b`` of ``conv(V) + cone(R)``, which must be full-dimensional.

    ``V`` (k, n) points and ``R`` (l, n) ray directions, integers or rationals (a float is the
    dyadic rational it stores).  Returns ``(A, b)`` as object arrays of Python ints, one
    primitive integer row per facet (sorted), so ``A x <= b`` is exactly the polyhedron.

    >>> A, b = hull_facets([[0], [2]])
    >>> A.tolist(), b.tolist()
    ([[-1], [1]], [0, 2])
    >>> hull_facets([[0, 0]], [[1, 0], [0, 1]])[0].tolist()     # the quadrant
    [[-1, 0], [0, -1]]
    """
    P = np.asarray(V, dtype=object)
    if P.ndim != 2 or len(P) == 0:
        raise ValueError(f"V must be a non-empty (k, n) array of points; got shape {P.shape}")
    n = P.shape[1]
    Rr = np.zeros((0, n), dtype=object) if R is None else np.asarray(R, dtype=object).reshape(-1, n)
    rows = [[1, *(-x for x in p)] for p in P.tolist()] + [[0, *(-x for x in r)] for r in Rr.tolist()]
    try:
        rays, _ = cone_rays(rows)
    except ValueError:
        raise ValueError("conv(V) + cone(R) is not full-dimensional: it has no facet description "
                         "as a full-dimensional polyhedron") from None
    facets = sorted((tuple(r[1:]), r[0]) for r in rays if any(r[1:]))
    A = np.empty((len(facets), n), dtype=object)
    b = np.empty(len(facets), dtype=object)
    for k, (a, beta) in enumerate(facets):
        A[k] = a
        b[k] = beta
    return A, b


def halfspace_vertices(A: Any, b: Any) -> tuple[np.ndarray, list[int]]:
    """The vertices of ``{x : A x <= b}`` and, per row, the bitmask of the vertices on it.

    ``A`` (m, n) must have rank n (the polyhedron has a vertex if it is non-empty); entries are
    integers or rationals.  Returns an object array (k, n) of exact vertices (Python ints or
    ``Fraction``, sorted) -- empty when the polyhedron is -- and the masks (bit ``j`` of
    ``masks[i]``: vertex ``j`` lies on row ``i``).  Unbounded directions are not returned.

    >>> V, masks = halfspace_vertices([[1], [-1]], [3, -1])   # 1 <= x <= 3
    >>> V.tolist(), masks
    ([[1], [3]], [2, 1])
    """
    Aa = np.asarray(A, dtype=object)
    bb = np.asarray(b, dtype=object).ravel()
    if Aa.ndim != 2 or Aa.shape[0] != len(bb):
        raise ValueError(f"A must be (m, n) and b (m,); got {Aa.shape} and {bb.shape}")
    m, n = Aa.shape
    rows = [[bb[i], *(-x for x in Aa[i])] for i in range(m)] + [[1] + [0] * n]
    try:
        rays, zero = cone_rays(rows)
    except ValueError:
        raise ValueError(f"A has rank < {n}: the polyhedron has no vertex (it contains a line)") from None
    found = []
    for r, z in zip(rays, zero):
        if r[0] > 0:
            found.append((tuple(Fraction(x, r[0]) for x in r[1:]), z))
    found.sort()
    V = np.empty((len(found), n), dtype=object)
    for j, (v, _) in enumerate(found):
        V[j] = [int(x) if x.denominator == 1 else x for x in v]
    masks = [0] * m
    for j, (_, z) in enumerate(found):
        for i in range(m):
            if (z >> i) & 1:
                masks[i] |= 1 << j
    return V, masks
