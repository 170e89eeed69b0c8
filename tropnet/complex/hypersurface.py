"""The tropical hypersurface of a polynomial in any number of variables, read off its regions.

The regions of ``p = max_i (c_i + <a_i, x>)`` on R^n (the cells where one monomial wins) form
a polyhedral complex; its faces of dimension ``<= n - 1`` are exactly the cells of the
tropical hypersurface ``T(p)`` (Maclagan--Sturmfels, Prop. 3.1.6).  So this module builds the
complex once, with :func:`tropnet.linear_regions` (``kind="activation"``, exact, on all of
R^n) and :meth:`tropnet.RegionSet.complex`, and reads off:

* the monomials of a cell: those attaining the max at its relative-interior point (evaluated
  exactly) -- the points of the dual face of the regular subdivision;
* the weight of a maximal cell between the regions won by monomials ``i`` and ``j``: the
  lattice length of ``a_i - a_j`` (the dual edge);
* the rays: a pointed polyhedron's recession cone is spanned by the directions of its
  unbounded edges, so a cell's rays are those of the unbounded 1-faces below it (each has one
  vertex; its clipped barycentre minus that vertex points along the ray).

:class:`tropnet.TropicalHypersurface` sits below the region enumerator, so it reaches this
engine through :func:`tropnet.algebra.hypersurface.set_skeleton_engine`, which
``import tropnet`` calls.  Newton polytopes of full dimension only (pointed cells).

>>> import tropnet
>>> x, y, z = tropnet.variables("x y z")
>>> V, R, cells, smooth = hypersurface_skeleton((x + y + z + 0).to_exact())
>>> [len(c) for c in cells], R, smooth            # the tropical plane: 1 vertex, 4 rays, 6 sheets
([1, 4, 6], [(-1, 0, 0), (0, -1, 0), (0, 0, -1), (1, 1, 1)], True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..algebra.hypersurface import HypersurfaceCell, lattice_length, primitive

__all__ = ["hypersurface_skeleton"]


def _as_number(v: Fraction) -> Any:
    return int(v) if v.denominator == 1 else v


def hypersurface_skeleton(q: Any) -> tuple[list, list, list, bool]:
    """The cells of ``T(q)`` for an exact max-plus polynomial ``q`` whose Newton polytope is
    full-dimensional: ``(vertices, rays, cells, smooth)`` with ``cells[k]`` the list of
    :class:`~tropnet.algebra.hypersurface.HypersurfaceCell` of dimension ``k`` (``0 .. n-1``),
    each with a relative-interior ``point``; ``smooth`` says whether the dual subdivision is
    unimodular.

    >>> import tropnet
    >>> x, y, z = tropnet.variables("x y z")
    >>> V, R, cells, smooth = hypersurface_skeleton((x**2 + y + z + 0).to_exact())
    >>> sorted(c.weight for c in cells[2]), smooth     # the sheet between 1 and x^2 has weight 2
    ([1, 1, 1, 1, 1, 2], False)
    """
    from ..regions.api import linear_regions

    n = q.nvars
    E = [[Fraction(v) for v in r] for r in q.exponents.tolist()]
    c = [Fraction(v) for v in q.coefficients.tolist()]
    K = linear_regions(q, None, kind="activation", exact=True).complex()

    def ties(p: Any) -> tuple[int, ...]:
        vals = [ci + sum(a * x for a, x in zip(e, p)) for e, ci in zip(E, c)]
        top = max(vals)
        return tuple(k for k, v in enumerate(vals) if v == top)

    def dual(rows: tuple[int, ...]) -> tuple:
        return tuple(tuple(_as_number(v) for v in E[i]) for i in rows)

    full = K.faces(n)
    winner: dict[int, int] = {}
    for cells_of, p in zip(full.cells, full.points):
        (w,) = ties(p)  # one monomial wins inside a region
        winner[int(cells_of[0])] = w
    coords = [tuple(p) for p in K.faces(0).points]
    R: list[tuple[int, ...]] = []
    ray_id: dict[tuple[int, ...], int] = {}
    rays_of: list[list[frozenset]] = []
    out: list[list[HypersurfaceCell]] = []
    for k in range(n):
        F = K.faces(k)
        pts, verts, facets, bounded = F.points, F.vertices, F.facets, F.bounded
        rk: list[frozenset] = []
        cells_k = []
        for i in range(len(F)):
            p = tuple(pts[i])
            if k == 0:
                rays: frozenset = frozenset()
            elif k == 1:
                rays = frozenset()
                if not bounded[i]:
                    (v,) = verts[i].tolist()  # pointed: an unbounded edge has one vertex
                    d = primitive([a - b for a, b in zip(p, coords[v])])
                    rays = frozenset([ray_id.setdefault(d, len(ray_id))])
                    if len(R) < len(ray_id):
                        R.append(d)
            else:
                rays = frozenset().union(*(rays_of[k - 1][f] for f in facets[i].tolist()))
            rk.append(rays)
            t = ties(p)
            weight = None
            if k == n - 1:
                a, b = (winner[int(j)] for j in F.cells[i])
                weight = lattice_length([x - y for x, y in zip(E[a], E[b])])
            cells_k.append((tuple(sorted(verts[i].tolist())), rays, t, dual(t), weight, p))
        rays_of.append(rk)
        out.append(cells_k)
    order = sorted(range(len(R)), key=lambda r: R[r])  # canonical ray order, as for curves
    new = {old: pos for pos, old in enumerate(order)}
    cells = [
        [
            HypersurfaceCell(k, v, tuple(sorted(new[r] for r in rays)), t, d, w, p)
            for (v, rays, t, d, w, p) in out[k]
        ]
        for k in range(n)
    ]
    smooth = all(_unimodular([E[i] for i in cell.monomials], n) for cell in cells[0])
    return coords, [R[r] for r in order], cells, smooth


def _unimodular(points: list[list[Fraction]], n: int) -> bool:
    """Is the convex hull of these points a lattice simplex of normalized volume 1?"""
    if len(points) != n + 1 or any(v.denominator != 1 for p in points for v in p):
        return False
    from flint import fmpz_mat

    M = fmpz_mat([[int(a - b) for a, b in zip(p, points[0])] for p in points[1:]])
    return abs(int(M.det())) == 1
