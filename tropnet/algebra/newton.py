"""Newton polytopes, dual subdivisions and region counts of tropical polynomials.

For ``p = max_i (c_i + <a_i, x>)`` the Newton polytope is ``conv{a_i}``; the lift ``a_i -> c_i``
induces a regular subdivision of it whose maximal cells are the projections of the upper
facets of ``conv{(a_i, c_i)}``.  The subdivision is dual to the tropical hypersurface of ``p``
(Maclagan-Sturmfels, Prop. 3.1.6): each vertex of the subdivision (an upper-hull vertex) is a
full-dimensional linear region, each maximal cell a vertex of the tropical hypersurface.
The functions take any object with ``.exponents`` and ``.coefficients`` (a TropicalPolynomial);
for a min-plus polynomial the subdivision is induced by the lower hull (that of ``-c``).

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> p = x + y + 0
>>> num_linear_regions(p), dual_subdivision(p)
(3, [(0, 1, 2)])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import hull

__all__ = ["newton_polytope", "dual_subdivision", "num_linear_regions"]


def _max_plus_coefficients(p: Any) -> np.ndarray:
    """The coefficients of the max-plus form (negated for a min-plus polynomial)."""
    c = p.coefficients
    return -c if getattr(p, "convention", "max") == "min" else c


def newton_polytope(p: Any) -> np.ndarray:
    """The vertices of ``conv{a_i}``, as rows sorted like the polynomial's monomials.

    Exact for exact polynomials; the empty polynomial has no vertices.

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> newton_polytope(x**3 + x + 0).ravel().tolist()
    [Fraction(0, 1), Fraction(3, 1)]
    """
    E = p.exponents
    return E[hull.polytope_vertices(E)]


def dual_subdivision(p: Any) -> list[tuple[int, ...]]:
    """Maximal cells of the regular subdivision of the Newton polytope induced by the lift.

    Each cell is the sorted tuple of the indices (into ``p.exponents``) of the monomials whose
    lifted points lie on one upper facet; monomials strictly below the upper hull are in no
    cell.  When all lifted points lie on one hyperplane there is a single cell.

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> p = 0 + x + y + x * y + (-1)               # the unit square, lifted flat: one cell
    >>> dual_subdivision(p)
    [(0, 1, 2, 3)]
    >>> dual_subdivision(0 + x + y + x * y * 1)    # lift (1,1) up: fold along the diagonal
    [(0, 1, 3), (0, 2, 3)]
    """
    return hull.upper_facets(p.exponents, _max_plus_coefficients(p))


def num_linear_regions(p: Any) -> int:
    """Number of full-dimensional regions of R^n on which a single monomial attains the max.

    Each region ``{x : monomial i wins}`` is convex, so this is the number of upper-hull
    vertices (the length of the simplified polynomial).

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> num_linear_regions(x + x**2 + x**3)        # max(x, 2x, 3x): two regions
    2
    """
    E, c = p.exponents, _max_plus_coefficients(p)
    if len(c) <= 1:
        return len(c)
    return len(hull.upper_hull_vertices(E, c))
