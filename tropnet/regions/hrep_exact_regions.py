"""Exact region sets on the exact H-representation engine: every cell's facets, its neighbour
across each, an interior point and its map, every decision exact.

A region set (:class:`~tropnet.regions.regionset.RegionSet`) lists each cell with its
irredundant halfspaces, the cell across each unit facet, an interior point and its affine map.
Above the vertex engine's dimensions (:data:`~tropnet.regions.hrep.EXACT_MAX_DIM` inputs, on a
cross-polytope :data:`~tropnet.regions.hrep.CROSS_EXACT_MAX_DIM`) the exact H-representation
engine gives the cells (patterns and float points); here:

- *Facets.*  The candidate rows of a cell are the domain's rows (a box's ``2n``, a
  polyhedron's own; a cross-polytope is kept whole, :attr:`RegionSet.ball`, its facets not
  listed) and one row per hyperplane of its units (rows on one hyperplane count once, a
  domain row first).  A row is a facet only with a *witness*: a float point (the cell's own
  point projected onto the row's hyperplane, all rows of all cells at once in integers; else
  the Chebyshev centre of the facet in the hyperplane, one float LP) projected exactly onto
  the hyperplane and checked in integers to lie strictly inside every other row and the
  domain; a row is redundant only by the multipliers of a float LP minimising it over the other
  rows, made rational and checked by weak duality over the domain's box or ball (unit rows:
  :meth:`~tropnet.regions.hrep_exact.ExactRows.empty_by_duals`), else by one exact LP (the
  largest slack ``t <= 1`` of the other rows on the hyperplane is ``<= 0``:
  :meth:`~tropnet.regions.hrep_exact.ExactRows.side_lp`).
- *Neighbours.*  The facet-adjacent pairs of cells are those of
  :func:`~tropnet.regions.hrep_exact_facets.facet_pairs` (candidates by key, each pair shown
  by a witness or refused exactly), over all cells; the cell across a unit facet is the one
  paired with it on that hyperplane (exactly one: every unit not on the hyperplane keeps its
  sign across the facet's relative interior).
- *Points.*  A cell's float point is its interior point when it is checked in integers to lie
  strictly inside every row of the cell and the domain; else the exact maximiser of one exact
  LP (the largest slack of the cell's rows).

- *Bounded* (all of R^n or an unbounded polyhedron, the cells of one run on the homogenised
  cube: :func:`~tropnet.regions.domains.homogenised_cube`; no box, the facets' rows alone).  A
  cell ``{E (x, 1) > 0}`` is bounded iff the cone ``{r : L r >= 0}`` of its rows' linear parts
  ``L`` is ``{0}``: unbounded with ``d`` rows or fewer, with ``rank L < d`` (a line), or with a
  *ray*, a float LP's maximiser of ``sum L r`` over the cone in ``[-1, 1]^d`` checked in
  integers; bounded (``rank L = d``) only when one exact LP finds that maximum ``0`` (then
  ``L r = 0``, so ``r = 0``).  With no box a redundant row has no weak-duality certificate (an
  affine bound is unbounded over R^n): one exact LP each.

The vertices of a cell are not computed (a cell of a box in ``n`` inputs can have ``2^n``),
as for the float region sets of the H-representation engine: ``Region.volume()`` says so (of an
unbounded cell: that it is unbounded).  Region sets on Dask stay refused
(:func:`~tropnet.regions.hrep.check_exact_hrep`).

>>> import tropnet
>>> from tropnet.regions import hrep
>>> net = tropnet.Network.from_arrays([[[1.0, 0, 0], [0, 1, 0]], [[1.0, 1]]])  # relu(x) + relu(y)
>>> keep = hrep.EXACT_MAX_DIM
>>> hrep.EXACT_MAX_DIM = 2  # the exact H-representation engine from 3 inputs
>>> rs = tropnet.linear_regions(net, tropnet.Box(-1, 1), kind="activation", exact=True)
>>> hrep.EXACT_MAX_DIM = keep
>>> len(rs), rs.adjacency().tolist()
(4, [[0, 1], [0, 2], [1, 3], [2, 3]])
>>> r = rs[0]  # x, y > 0: the box's facets but x <= 1, y <= 1, and x >= 0, y >= 0 on the units
>>> r.pattern, len(r.b), [(int(a.dot(r.interior_point) < b)) for a, b in zip(r.A, r.b)]
((1, 1), 6, [1, 1, 1, 1, 1, 1])
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
import numpy as np

from ..kernels.exact_lp import solve_exact_lp
from ..kernels.lp import solve_lp
from ..kernels.scaled import int_matmul, to_scaled
from .affine import cell_affine
from .hrep import _Dom
from .hrep_adjacency import facet_point
from .hrep_exact import ExactRows, _dyadic, _ints
from .hrep_exact_facets import _floats, _project, _UnitRows, facet_pairs, on_facet

__all__ = ["exact_hrep_bounded", "exact_hrep_geometry", "exact_hrep_points"]


def _domain(found: Any) -> tuple[ExactRows, ExactRows, np.ndarray]:
    """``(ex, free, H)``: the run's exact domain (its box or ball and clipping rows), the same
    with no box (the domain's rows ``H`` checked as rows; the ball kept), and ``H``: the
    domain's rows ``found.dom_A x <= found.dom_b`` as integer rows ``H . (x, 1) >= 0``."""
    lo, hi, halfspaces, l1 = found.cache["exact_dom"]
    d = found.d
    ex = ExactRows(found.stages, d, lo, hi, halfspaces, l1)
    if l1 is not None:
        free = ex
    else:
        scale = float(np.abs(np.asarray(found.points, dtype=np.float64)).max(initial=1.0))
        free = ExactRows(found.stages, d, None, None, None, None, scale=scale)
    rows = []
    for a, b in zip(np.asarray(found.dom_A, dtype=object), np.asarray(found.dom_b, dtype=object)):
        z, _ = to_scaled(np.append(-np.asarray(a, dtype=object), b))
        rows.append(_ints(z))
    H = np.array(rows, dtype=object).reshape(len(rows), d + 1)
    return ex, free, H


def _key(e: np.ndarray, d: int) -> tuple | None:
    """The primitive integer vector of a row (``None``: a zero linear part)."""
    if not any(e[:d]):
        return None
    g = int(np.gcd.reduce(e))
    return tuple(int(v) // g for v in e)


def _cell_rows(found: Any) -> tuple:
    """``(H, rows, each)``: the domain's rows, the cells' exact unit rows (:class:`_UnitRows`)
    and ``each(c)``, the rows of cell ``c`` (domain rows, then its unit rows with a nonzero
    linear part), integer rows ``E . (x, 1) > 0`` on the cell."""
    d = found.d
    H = _domain(found)[2]
    rows = _UnitRows(cell_affine(found.stages, found.patterns, d, exact=True), d)

    def each(c: int) -> np.ndarray:
        live = np.flatnonzero(rows.kid[c] >= 0)
        return np.vstack([H, rows.rows(np.full(len(live), c), live)]) if len(live) else H

    return H, rows, each


def exact_hrep_bounded(found: Any) -> np.ndarray:
    """Which cells of an exact H-representation run are bounded, exactly (all of them on a box,
    a bounded polyhedron or a ball; on all of R^n or an unbounded polyhedron see the module's
    text).

    >>> import tropnet
    >>> from tropnet.regions import hrep
    >>> net = tropnet.Network.from_arrays([[[1.0, 0], [-1.0, 0], [0, 1.0], [0, -1.0]], [[1.0, 1, 1, 1]]],
    ...                                   [[-1.0, -1, -1, -1], [0.0]])  # |x| >= 1 and |y| >= 1 bend
    >>> keep = hrep.EXACT_MAX_DIM
    >>> hrep.EXACT_MAX_DIM = 1  # the exact H-representation engine from 2 inputs
    >>> rs = tropnet.linear_regions(net, None, kind="activation", exact=True)
    >>> hrep.EXACT_MAX_DIM = keep
    >>> len(rs), [r.pattern for r in rs if r.bounded]  # |x| < 1, |y| < 1: the one bounded cell
    (9, [(0, 0, 0, 0)])
    """
    C, d = len(found), found.d
    if found.cache["exact_dom"][0] is not None:  # a box (or a ball in it)
        return np.ones(C, dtype=bool)
    _, _, each = _cell_rows(found)
    return np.array([_bounded_rows(each(c)[:, :d]) for c in range(C)], dtype=bool)


def _bounded_rows(L: np.ndarray) -> bool:
    """Whether ``{r : L r >= 0} = {0}`` for integer rows ``L`` (see the module's text)."""
    m, d = L.shape
    L = L[np.asarray((L != 0).any(axis=1), dtype=bool)]
    if len(L) <= d or flint.fmpz_mat(L.tolist()).rank() < d:
        return False
    try:
        Lf = L.astype(np.float64)
        Lf /= np.linalg.norm(Lf, axis=1)[:, None]
    except (OverflowError, FloatingPointError):
        Lf = None
    if Lf is not None and np.isfinite(Lf).all():
        st, r = solve_lp(-Lf.sum(axis=0), -Lf, np.zeros(len(L)), -np.ones(d), np.ones(d))
        if st == "optimal" and -Lf.sum(axis=0).dot(r) < -1e-9:  # a ray, checked in integers
            Z, _ = _dyadic(r[None, :])
            if np.any(Z) and bool((_ints(int_matmul(_ints(Z), L.T)) >= 0).all()):
                return False
    G = [[Fraction(-int(v), max(abs(int(u)) for u in row)) for v in row] for row in L]
    obj = [sum(col, Fraction(0)) for col in zip(*G)]  # minimise -sum L r (rows scaled)
    status, _, value = solve_exact_lp(obj, G, [Fraction(0)] * len(G), [Fraction(-1)] * d, [Fraction(1)] * d)
    return status == "optimal" and value == 0


def exact_hrep_points(found: Any) -> np.ndarray:
    """An exact interior point (``Fraction`` entries) of every cell of an exact
    H-representation run (see the module's text)."""
    d, C = found.d, len(found)
    free = _domain(found)[1]
    each = _cell_rows(found)[2]
    pts = np.asarray(found.points, dtype=np.float64).reshape(C, d)
    out = np.empty((C, d), dtype=object)
    for c in range(C):
        E = each(c)
        y = free.snap(pts[c : c + 1])
        if free.inside(E, y)[0]:
            out[c] = [Fraction(v) for v in y[0].tolist()]
            continue
        ok, x = free.side_lp(E, None, exact_point=True)
        if not ok:  # pragma: no cover - a cell of the run has interior points
            raise ArithmeticError("exact H-representation region set: a cell with no interior point")
        out[c] = x
    return out


def exact_hrep_geometry(found: Any) -> tuple:
    """``(facet_off, facet_A, facet_b, nbr, W, c, fc)`` of every cell of an exact
    H-representation run, as :func:`~tropnet.regions.geometry._geometry`
    gives them (``Fraction`` entries; see the module's text)."""
    d, C = found.d, len(found)
    ex, free, H = _domain(found)
    den = ex.den
    lo = np.array([v / den for v in ex.loz.tolist()], dtype=np.float64)
    hi = np.array([v / den for v in ex.hiz.tolist()], dtype=np.float64)
    l1 = None if ex.l1 is None else (np.array([v / den for v in ex.l1[0].tolist()]), ex.l1[1] / den)
    dom = _Dom(lo, hi, l1) if ex.box else None  # (the float LPs of the redundancy certificates)
    ca = cell_affine(found.stages, found.patterns, d, exact=True)
    W, cmap = ca.maps()
    rows = _UnitRows(ca, d)
    pts = np.asarray(found.points, dtype=np.float64).reshape(C, d)
    # the cells across each unit hyperplane: facet pairs over all cells, any maps
    trip = facet_pairs(ex, pts, rows, found.patterns[:, ca.row_col], np.zeros(C, dtype=np.int64))
    across: dict = {}
    for a, b, r in trip.tolist():
        k = int(rows.kid[a, r])
        across[(a, k)] = b
        across[(b, int(rows.neg_of[k]))] = a
    dkeys = [_key(e, d) for e in H]
    fc, fA, fb, nbr = [], [], [], []
    for c in range(C):
        seen = {k for k in dkeys if k is not None}  # domain rows first, then unit rows
        urow = []
        for r in np.flatnonzero((rows.kid[c] >= 0) & (rows.cls[c] == np.arange(rows.kid.shape[1]))).tolist():
            k = _key(rows.rows(np.array([c]), np.array([r]))[0], d)
            if k in seen:
                continue
            seen.add(k)
            urow.append(r)
        E = np.vstack([H, rows.rows(np.full(len(urow), c), np.array(urow, dtype=np.int64))]) if urow else H
        facet = _facets_of_cell(free, E, pts[c], (ex, dom, len(H)))
        for j in np.flatnonzero(facet).tolist():
            fc.append(c)
            if j < len(H):
                fA.append(np.asarray(found.dom_A[j], dtype=object))
                fb.append(found.dom_b[j])
                nbr.append(-1)
                continue
            r = urow[j - len(H)]
            A_r, b_r = ca.rows(np.array([c]), np.array([r]))
            fA.append(A_r[0])
            fb.append(b_r[0])
            b = across.get((c, int(rows.kid[c, r])), -1)
            if b < 0:  # pragma: no cover - a facet inside the domain has a cell across
                raise ArithmeticError("exact H-representation region set: a unit facet with no cell across")
            nbr.append(b)
    fc = np.array(fc, dtype=np.int64)
    facet_off = np.concatenate([[0], np.cumsum(np.bincount(fc, minlength=C))]).astype(np.int64)
    facet_A = np.array(fA, dtype=object).reshape(len(fA), d)
    facet_b = np.array(fb, dtype=object)
    return facet_off, facet_A, facet_b, np.array(nbr, dtype=np.int64), W, cmap, fc


def _facets_of_cell(ex: ExactRows, E: np.ndarray, p: np.ndarray, duals: tuple) -> np.ndarray:
    """Which rows ``E`` (integer, ``E . (x, 1) >= 0`` on the cell, one per hyperplane) are
    facets of the cell, exactly: the cell's float point ``p`` projected onto every row's
    hyperplane and checked against every other row in integers at once
    (``e(q) |a|^2 = e(p) |a|^2 - h(p) (e . a)`` for ``q`` the projection of ``p`` onto
    ``h = (a, .)``), then the facet's Chebyshev centre; a unit row (from ``duals[2]`` on; not
    a domain row: the box it is certified over holds those) is redundant by the multipliers of
    a float LP minimising it over the other rows (``duals = (ex, dom, first)``: the domain with
    its box or ball, and its float LPs) checked by weak duality; else one exact LP."""
    d, R = ex.d, len(E)
    Z, s = _dyadic(ex.snap(p[None, :]), ex.grid)
    L = E[:, :d]
    V = _ints(int_matmul(_ints(Z), L.T))[0] + E[:, d] * s  # e(p), times s
    G = _ints(int_matmul(L, L.T))
    aa = np.diagonal(G).copy()
    M = V[None, :] * aa[:, None] - V[:, None] * G  # (r, e): e at p projected onto row r's plane
    off = ~np.eye(R, dtype=bool)
    facet = np.asarray(((M > 0) | ~off).all(axis=1), dtype=bool)
    if ex.l1 is not None and facet.any():  # the projections in the ball too
        sel = np.flatnonzero(facet)
        facet[sel] = ex.in_domain(_project(ex, E[sel], np.repeat(p[None, :], len(sel), axis=0)))
    if facet.all():
        return facet
    Ef = _floats(E, d)
    ball = None if ex.l1 is None else (np.array([v / ex.den for v in ex.l1[0].tolist()]), ex.l1[1] / ex.den)
    for r in np.flatnonzero(~facet).tolist():
        F = E[off[r]]
        y = facet_point(-Ef[:, :d], Ef[:, d], r, ball)
        if y is not None and on_facet(ex, E[r], F, y[None, :])[0]:
            facet[r] = True
        elif r >= duals[2] and duals[1] is not None and _redundant(duals[0], duals[1], E[r], F):
            facet[r] = False
        else:
            facet[r] = bool(ex.side_lp(F, None, on=E[r])[0])
    return facet


def _redundant(ex: ExactRows, dom: _Dom, h: np.ndarray, F: np.ndarray) -> bool:
    """Whether ``h . (x, 1) >= 0`` on the rows ``F`` and the domain, shown by the float LP's
    multipliers (maximising ``-h`` there) checked by weak duality in integers
    (:meth:`~tropnet.regions.hrep_exact.ExactRows.empty_by_duals`): then no point of ``h``'s
    hyperplane lies strictly inside ``F``, and the row is not a facet."""
    d = ex.d
    try:
        Ff, hf = F.astype(np.float64), h.astype(np.float64)
    except OverflowError:
        return False
    nF = np.linalg.norm(Ff[:, :d], axis=1)
    nh = float(np.linalg.norm(hf[:d]))
    if not (np.isfinite(nF).all() and np.isfinite(nh)) or nh == 0 or (nF == 0).any():
        return False
    A, b = -Ff[:, :d] / nF[:, None], Ff[:, d] / nF
    x, v, y = dom.maximise(A, b, -hf[:d] / nh, duals=True)
    if x is None or v - hf[d] / nh >= 0:
        return False
    return ex.empty_by_duals(F, -h, y)
