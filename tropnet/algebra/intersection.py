"""Stable intersection of two tropical plane curves, and mixed areas of Newton polygons.

Two tropical curves ``T(p), T(q)`` in R^2 meet *stably* in finitely many points with
multiplicities.  The multiplicity at a point ``x`` is the mixed area
``MV(P_x, Q_x) = area(P_x + Q_x) - area(P_x) - area(Q_x)`` of the faces of the Newton polygons
that are active at ``x`` (``P_x = conv{a_i : monomial i of p attains the max at x}``), and the
stable intersection is the set of points where it is positive (Maclagan--Sturmfels,
*Introduction to Tropical Geometry*, Sect. 3.6).  For a transverse crossing of an edge of
``T(p)`` with dual edge ``u`` and an edge of ``T(q)`` with dual edge ``v`` this is
``|det(u, v)|``; where the curves meet non-transversally (a vertex of one curve on the other,
overlapping edges) it is the limit of the transverse intersections of ``T(p)`` and a generic
small translate of ``T(q)``.  The multiplicities add up to the mixed area of the two Newton
polygons (the tropical Bernstein--Bézout theorem): a line and a curve of degree d meet in d
points, two conics in 4.

Min-plus curves (``convention="min"``) meet in the negated points of their max-plus forms, with
the same multiplicities; a max-plus and a min-plus curve are not intersected (a ValueError).
Everything is exact (rational coordinates; a float polynomial is read as the dyadic rationals
it stores and the points are reported as floats).  Candidates are the pairwise crossings of
the curves' edges (found by a vectorised float filter with a generous margin, then confirmed
exactly) and the vertices of each curve lying on the other (decided exactly).

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> line = x + y + 0                                          # max(0, x, y): vertex at the origin
>>> conic = x**2 + y**2 + 0 + (x * y) * 1 + x * 1 + y * 1     # a smooth conic through it
>>> [(pt.tolist(), m) for pt, m in stable_intersection(line, conic)]   # not transverse: one point
[([Fraction(0, 1), Fraction(0, 1)], 2)]
>>> mixed_area(line, conic)                                   # Bernstein: 2 points in all
2
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels import hull
from .hypersurface import TropicalHypersurface, _ccw

__all__ = ["stable_intersection", "mixed_area"]

_FILTER_TOL = 1e-6  # float filter margin on the edge parameters (confirmed exactly afterwards)


def _as_curve(p: Any, name: str) -> Any:
    from .polynomial import TropicalPolynomial

    if not isinstance(p, TropicalPolynomial):
        raise TypeError(f"{name} must be a TropicalPolynomial (a plane curve), got {type(p).__name__}")
    return p


def _check_pair(p: Any, q: Any) -> None:
    _as_curve(p, "the first argument")
    _as_curve(q, "the second argument")
    if p.nvars != 2 or q.nvars != 2:
        raise ValueError(
            "stable intersection is defined here for two plane curves (polynomials in 2 variables); "
            f"got polynomials in {p.nvars} and {q.nvars} variables"
        )
    cp, cq = getattr(p, "convention", "max"), getattr(q, "convention", "max")
    if cp != cq:
        from .display import mixed_conventions

        raise mixed_conventions(cp, cq)


def _area(points: list[tuple[Fraction, Fraction]]) -> Fraction:
    """Exact area of the convex hull (its vertices in counter-clockwise order, then the shoelace
    sum; no optional dependency)."""
    V = _vertices(points)
    if len(V) < 3:
        return Fraction(0)
    V = [V[k] for k in _ccw(V)]
    twice = sum(V[k][0] * V[k - 1][1] - V[k - 1][0] * V[k][1] for k in range(len(V)))
    return abs(Fraction(twice)) / 2


def _mixed(P: list[tuple[Fraction, Fraction]], Q: list[tuple[Fraction, Fraction]]) -> Fraction:
    """Mixed area of conv(P) and conv(Q): area(P + Q) - area(P) - area(Q), exact."""
    P = [tuple(p) for p in _vertices(P)]
    Q = [tuple(q) for q in _vertices(Q)]
    if len(P) == 2 and len(Q) == 2:  # two segments: the parallelogram
        u = (P[1][0] - P[0][0], P[1][1] - P[0][1])
        v = (Q[1][0] - Q[0][0], Q[1][1] - Q[0][1])
        return abs(u[0] * v[1] - u[1] * v[0])
    if len(P) < 2 or len(Q) < 2:
        return Fraction(0)
    S = [(a[0] + b[0], a[1] + b[1]) for a in P for b in Q]
    return _area(S) - _area(P) - _area(Q)


def _vertices(points: list[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    pts = list(dict.fromkeys(tuple(p) for p in points))
    if len(pts) <= 2:
        return pts
    arr = np.empty((len(pts), 2), dtype=object)
    for i, p in enumerate(pts):
        arr[i, 0], arr[i, 1] = p
    return [pts[i] for i in hull.polytope_vertices(arr).tolist()]


def mixed_area(p: Any, q: Any) -> Fraction | int:
    """The mixed area ``MV(P, Q) = area(P + Q) - area(P) - area(Q)`` of the Newton polygons of two
    plane curves (normalized so that ``MV(P, P) = 2 area(P)``): the number of points, with
    multiplicity, of their stable intersection.

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> mixed_area(x**2 + y**2 + 0, x**2 + y**2 + 0), mixed_area(x + y + 0, x * y + 0)
    (4, 2)
    """
    _check_pair(p, q)
    P = [tuple(Fraction(v) for v in r) for r in p.to_exact().exponents.tolist()]
    Q = [tuple(Fraction(v) for v in r) for r in q.to_exact().exponents.tolist()]
    m = _mixed(P, Q)
    return int(m) if m.denominator == 1 else m


def _active(E: list[tuple[Fraction, Fraction]], c: list[Fraction], x: tuple[Fraction, Fraction]) -> list[int]:
    vals = [ci + a[0] * x[0] + a[1] * x[1] for a, ci in zip(E, c)]
    top = max(vals)
    return [i for i, v in enumerate(vals) if v == top]


_SEGMENT, _RAY, _LINE = 0, 1, 2


def _edges(H: TropicalHypersurface) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
    """Per maximal cell: start point, direction, kind (segment, ray or line), and the exact data."""
    V, R, L = H._V, H._R, H._L
    exact = []
    for cell in H.maximal_cells():
        if cell.rays:
            exact.append((V[cell.vertices[0]], tuple(Fraction(r) for r in R[cell.rays[0]]), _RAY))
        elif L:  # a line: one point on it and the lineality direction
            exact.append((V[cell.vertices[0]], tuple(Fraction(r) for r in L[0]), _LINE))
        else:
            a, b = (V[i] for i in cell.vertices)
            exact.append((a, (b[0] - a[0], b[1] - a[1]), _SEGMENT))
    P0 = np.array([[float(v) for v in e[0]] for e in exact], dtype=np.float64).reshape(-1, 2)
    D = np.array([[float(v) for v in e[1]] for e in exact], dtype=np.float64).reshape(-1, 2)
    kind = np.array([e[2] for e in exact], dtype=np.int64)
    return P0, D, kind, exact


def stable_intersection(p: Any, q: Any) -> list[tuple[np.ndarray, Any]]:
    """The stable intersection of the tropical plane curves of ``p`` and ``q``.

    Returns ``[(point, multiplicity), ...]`` sorted by point: points as length-2 arrays (Fractions
    for exact input, floats otherwise), multiplicities positive ints (Fractions for Puiseux
    exponents).  The multiplicities add up to :func:`mixed_area` of the Newton polygons.

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> [(pt.tolist(), m) for pt, m in stable_intersection(x + y + 0, x + y * 1 + 2)]   # two lines
    [([Fraction(1, 1), Fraction(1, 1)], 1)]
    >>> [(pt.tolist(), m) for pt, m in stable_intersection(x + y + 0, x + y + 0)]       # a line with itself
    [([Fraction(0, 1), Fraction(0, 1)], 1)]
    """
    _check_pair(p, q)
    exact_out = p.is_exact and q.is_exact
    sign = -1 if getattr(p, "convention", "max") == "min" else 1  # min-plus: -p(-x), points negated
    pe, qe = p.to_max_plus().to_exact(), q.to_max_plus().to_exact()
    Hp, Hq = TropicalHypersurface(pe), TropicalHypersurface(qe)
    Ep = [tuple(Fraction(v) for v in r) for r in pe.exponents.tolist()]
    Eq = [tuple(Fraction(v) for v in r) for r in qe.exponents.tolist()]
    cp = [Fraction(v) for v in pe.coefficients.tolist()]
    cq = [Fraction(v) for v in qe.coefficients.tolist()]

    candidates: set[tuple[Fraction, Fraction]] = set()
    # vertices of one curve lying on the other (exact: the max is attained at least twice)
    for V, E, c in ((Hp._V, Eq, cq), (Hq._V, Ep, cp)):
        for v in V:
            if len(_active(E, c, v)) >= 2:
                candidates.add(tuple(v))
    # transverse crossings of edges: a float filter, then exact confirmation
    P0, D, rayp, exp_ = _edges(Hp)
    Q0, F, rayq, exq = _edges(Hq)
    if len(P0) and len(Q0):
        det = D[:, None, 0] * F[None, :, 1] - D[:, None, 1] * F[None, :, 0]
        dx = Q0[None, :, 0] - P0[:, None, 0]
        dy = Q0[None, :, 1] - P0[:, None, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (dx * F[None, :, 1] - dy * F[None, :, 0]) / det
            t = (dx * D[:, None, 1] - dy * D[:, None, 0]) / det
        scale_d = np.abs(D).max(axis=1)[:, None] * np.abs(F).max(axis=1)[None, :]
        ok = np.abs(det) > 1e-12 * scale_d
        ok &= (rayp[:, None] == _LINE) | (s >= -_FILTER_TOL)
        ok &= (rayq[None, :] == _LINE) | (t >= -_FILTER_TOL)
        ok &= (rayp[:, None] != _SEGMENT) | (s <= 1 + _FILTER_TOL)
        ok &= (rayq[None, :] != _SEGMENT) | (t <= 1 + _FILTER_TOL)
        for i, j in zip(*np.nonzero(ok)):
            pt = _exact_crossing(exp_[i], exq[j])
            if pt is not None:
                candidates.add(pt)
    out = []
    for x in sorted(candidates, key=lambda v: (sign * v[0], sign * v[1])):
        P = [Ep[i] for i in _active(Ep, cp, x)]
        Q = [Eq[i] for i in _active(Eq, cq, x)]
        m = _mixed(P, Q)
        if m > 0:
            pt = (sign * x[0], sign * x[1])
            point = np.array(pt, dtype=object) if exact_out else np.array([float(v) for v in pt])
            out.append((point, int(m) if m.denominator == 1 else m))
    return out


def _exact_crossing(e: tuple, f: tuple) -> tuple[Fraction, Fraction] | None:
    """The exact common point of two edges (segment, ray or line) that are not parallel, or None."""
    (a, u, kind_u), (b, v, kind_v) = e, f
    det = u[0] * v[1] - u[1] * v[0]
    if det == 0:
        return None
    dx, dy = b[0] - a[0], b[1] - a[1]
    s = (dx * v[1] - dy * v[0]) / det
    t = (dx * u[1] - dy * u[0]) / det
    if (kind_u != _LINE and s < 0) or (kind_v != _LINE and t < 0):
        return None
    if (kind_u == _SEGMENT and s > 1) or (kind_v == _SEGMENT and t > 1):
        return None
    return (a[0] + s * u[0], a[1] + s * u[1])
