"""Tropical hypersurfaces: the corner locus of a tropical polynomial as a weighted polyhedral complex.

The tropical hypersurface ``T(p)`` of ``p = max_i (c_i + <a_i, x>)`` is the set of points where
the maximum is attained at least twice.  It is dual to the regular subdivision of the Newton
polytope induced by the coefficients (Maclagan--Sturmfels, *Introduction to Tropical
Geometry*, Prop. 3.1.6): a cell of the subdivision of dimension ``k >= 1`` is dual to a cell of
``T(p)`` of dimension ``n - k``, on which exactly the monomials of that cell tie for the max.
Maximal cells of the subdivision give the vertices of ``T(p)``; its edges give the maximal
cells of ``T(p)``, each carrying the **weight** (multiplicity) = the lattice length of the
dual edge.  A cell is unbounded exactly when its dual face lies on the boundary of the Newton
polytope; its rays point along the outer normals of that boundary.

Computed here for polynomials in one variable (points: the tropical roots, weight = the
multiplicity) and in two variables (plane tropical curves) from the dual subdivision.  When the
Newton polygon is a segment the curve is a union of parallel lines: it has a *lineality space*
(:meth:`TropicalHypersurface.lineality`), each line is a maximal cell given by one point on it
(a row of ``vertices()``, as polymake and OSCAR store such complexes) and no genuine vertices;
a monomial has the empty hypersurface.  Everything is exact (a float polynomial is read as the
dyadic rationals it stores, and coordinates are reported back as floats).  The **balancing
condition** (at every vertex, the weighted primitive edge directions sum to zero) is checked
on the computed geometry, exactly.  For curves, :meth:`TropicalHypersurface.genus` is the first Betti number
of the curve as a graph, :meth:`~TropicalHypersurface.is_smooth` says whether the dual
subdivision is unimodular, and :meth:`~TropicalHypersurface.degree` is the mixed area of the
Newton polygon with the standard triangle (the number of points, with multiplicity, in which
a generic tropical line meets the curve; ``d`` for a curve of degree ``d``).

*Three or more variables* (a full-dimensional Newton polytope).  ``T(p)`` is the codimension
``>= 1`` skeleton of the polyhedral complex of ``p``'s regions (where one monomial wins), which
the region enumerator builds exactly: :mod:`tropnet.complex.hypersurface` reads the cells off
it, reached through :func:`set_skeleton_engine` (the complex sits above this module; ``import
tropnet`` installs the engine).  Each cell of dimension ``k`` (``0 <= k <= n - 1``) holds its
vertices and its rays (the primitive directions spanning its recession cone: it is
``conv(vertices) + cone(rays)``), the monomials tying on it, and a relative-interior
``point``; a maximal cell between the regions of monomials ``i`` and ``j`` has weight the
lattice length of ``a_i - a_j``.  Balancing is checked exactly around every ``(n-2)``-cell
``tau``: the images of the adjacent maximal cells in the lattice quotient
``Z^n / (span(tau) cap Z^n) = Z^2`` (a Z-basis of the integer vectors orthogonal to ``tau``,
from a Hermite normal form) give primitive vectors whose weighted sum must vanish.

*A Newton polytope of dimension r < n* (any n).  ``p(x) = <a_1, x> + p'(B x)`` with ``B`` a
Z-basis of the lattice of the polytope's affine hull and ``p'`` a polynomial in ``r`` variables
with a full-dimensional Newton polytope (:mod:`tropnet.algebra.lineality`): ``T(p)`` is ``T(p')``
lifted into the span ``D`` of the polytope's directions, times the **lineality space**
``D^perp`` (:meth:`TropicalHypersurface.lineality`, a Z-basis).  Every cell then contains the
lineality space; ``vertices()`` holds one point (in ``D``) of each minimal cell, of dimension
``n - r``, and ``rays()`` the primitive directions in ``D`` of the unbounded ones, as polymake
and OSCAR store such complexes.  Weights are lattice lengths in the polytope's own lattice,
which equal those in Z^n.  For n = 2 this is a union of parallel lines.

Min-plus: a min-plus polynomial ``q`` (``convention="min"``) is the corner locus of its min;
since ``q(x) = -p(-x)`` for the max-plus ``p = q.to_max_plus()``, its hypersurface is ``-T(p)``:
the same cells and weights, every coordinate negated (rays included).

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> H = (x + y + 0).hypersurface()          # the tropical line max(0, x, y)
>>> H.vertices().tolist(), H.weights(), H.is_balanced(), H.genus()
([[Fraction(0, 1), Fraction(0, 1)]], [1, 1, 1], True, 0)
>>> H.rays().tolist()                        # its three rays: west, south and north-east
[[-1, 0], [0, -1], [1, 1]]
>>> x, y, z = tropnet.variables("x y z")
>>> P = (x**2 + y + z + 0).hypersurface()     # max(0, 2x, y, z): a tropical plane, one sheet doubled
>>> [len(P.cells(k)) for k in range(3)], sorted(P.weights()), P.is_balanced()
([1, 4, 6], [1, 1, 1, 1, 1, 2], True)
>>> L = (x + y + 0).hypersurface()            # max(0, x, y) in R^3: a tropical line times R
>>> L.lineality().tolist(), [len(L.cells(k)) for k in range(3)], L.weights(), L.is_balanced()
([[0, 0, 1]], [0, 1, 3], [1, 1, 1], True)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels import hull
from .lineality import LatticeChart, orthogonal_lattice

__all__ = ["TropicalHypersurface", "HypersurfaceCell", "lattice_length", "primitive", "set_skeleton_engine"]

_SKELETON_ENGINE: Any = None


def set_skeleton_engine(engine: Any) -> None:
    """Install the engine that computes hypersurfaces in three or more variables.

    ``engine(q)`` gets an exact max-plus polynomial with a full-dimensional Newton polytope and
    returns ``(vertices, rays, cells, smooth)``: vertex coordinates, primitive ray directions,
    ``cells[k]`` the :class:`HypersurfaceCell` objects of dimension ``k`` (with their
    ``point``), and whether the dual subdivision is unimodular.  The engine reads the polyhedral
    complex of the polynomial's regions (:mod:`tropnet.complex.hypersurface`), which sits
    above this module, so ``import tropnet`` passes it down (as it does the compiler's cell
    engine).

    >>> import tropnet
    >>> _SKELETON_ENGINE is not None            # installed by ``import tropnet``
    True
    """
    global _SKELETON_ENGINE
    _SKELETON_ENGINE = engine


@dataclass(frozen=True)
class HypersurfaceCell:
    """One cell of a tropical hypersurface (a polyhedron: ``conv(vertices) + cone(rays)``, plus the
    hypersurface's :meth:`~TropicalHypersurface.lineality` space when it has one).

    Attributes
    ----------
    dim : int
        Its dimension.
    vertices : tuple of int
        Indices into :meth:`TropicalHypersurface.vertices`.
    rays : tuple of int
        Indices into :meth:`TropicalHypersurface.rays` (primitive integer directions).
    monomials : tuple of int
        Indices into the polynomial's ``exponents`` of the monomials that tie for the max on
        the cell's relative interior (the points of the dual face of the subdivision).
    dual : tuple of tuple
        The exponents themselves (the dual face's points), in the order of ``monomials``.
    weight : Fraction or None
        For a maximal cell, the lattice length of its dual edge (an int for integer
        exponents); ``None`` for lower-dimensional cells.
    point : tuple or None
        In three or more variables, a point of the cell's relative interior (exact
        Fractions); ``None`` for points and curves.

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> cell = (x + y + 0).hypersurface().cells(1)[0]
    >>> cell.dim, cell.vertices, cell.rays, cell.dual, cell.weight    # 0 = x >= y: the ray x = 0, y <= 0
    (1, (0,), (1,), ((0, 0), (1, 0)), 1)
    """

    dim: int
    vertices: tuple[int, ...]
    rays: tuple[int, ...]
    monomials: tuple[int, ...]
    dual: tuple[tuple[Any, ...], ...]
    weight: Any = None
    point: tuple[Any, ...] | None = None


# ---------------------------------------------------------------------------------------- helpers
def _frac_gcd(a: Fraction, b: Fraction) -> Fraction:
    a, b = Fraction(a), Fraction(b)
    den = a.denominator * b.denominator // math.gcd(a.denominator, b.denominator)
    return Fraction(math.gcd(int(a * den), int(b * den)), den)


def lattice_length(v: Any) -> Fraction | int:
    """The lattice length of a rational vector: the largest ``g`` with ``v / g`` an integer vector.

    For an integer vector this is the gcd of its entries (an int): the number of lattice
    segments on the segment from 0 to ``v``.  For rational (Puiseux) exponents it is the same
    gcd taken in the rationals, so weights scale with the exponents.

    >>> lattice_length([4, -6]), lattice_length([Fraction(1, 2), Fraction(3, 4)])
    (2, Fraction(1, 4))
    """
    g = Fraction(0)
    for x in v:
        g = _frac_gcd(g, Fraction(x))
    return int(g) if g.denominator == 1 else g


def primitive(v: Any) -> tuple[int, ...]:
    """The primitive integer vector pointing along the nonzero rational vector ``v``.

    >>> primitive([Fraction(3, 2), -3])
    (1, -2)
    """
    v = [Fraction(x) for x in v]
    g = lattice_length(v)
    if g == 0:
        raise ValueError("the zero vector has no direction")
    return tuple(int(x / g) for x in v)


def _dual(E: np.ndarray, rows: Any) -> tuple[tuple[Any, ...], ...]:
    """The exponent rows as tuples (ints where integral)."""
    return tuple(tuple(int(v) if v.denominator == 1 else v for v in E[i]) for i in rows)


def _half(v: tuple[Fraction, Fraction]) -> int:
    return 0 if (v[1] > 0 or (v[1] == 0 and v[0] > 0)) else 1


def _ccw(points: list[tuple[Fraction, Fraction]]) -> list[int]:
    """Indices of the vertices of a convex polygon in counter-clockwise order (exact)."""
    k = len(points)
    cx = sum(p[0] for p in points) / k
    cy = sum(p[1] for p in points) / k
    rel = [(p[0] - cx, p[1] - cy) for p in points]

    def cmp(i: int, j: int) -> int:
        hi, hj = _half(rel[i]), _half(rel[j])
        if hi != hj:
            return hi - hj
        cross = rel[i][0] * rel[j][1] - rel[i][1] * rel[j][0]
        return -1 if cross > 0 else (1 if cross < 0 else 0)

    return sorted(range(k), key=functools.cmp_to_key(cmp))


def _solve2(a1, b1, r1, a2, b2, r2) -> tuple[Fraction, Fraction]:
    det = a1 * b2 - a2 * b1
    return (r1 * b2 - r2 * b1) / det, (a1 * r2 - a2 * r1) / det


# ---------------------------------------------------------------------------------------- class
class TropicalHypersurface:
    """The tropical hypersurface of a max-plus polynomial, with weights (immutable).

    Build it with :meth:`tropnet.TropicalPolynomial.hypersurface`.  Any number of variables; a
    Newton polytope that is not full-dimensional gives a hypersurface with a lineality space.

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> conic = x**2 + y**2 + 0 + (x * y) * 1 + x * 1 + y * 1     # a smooth tropical conic
    >>> H = conic.hypersurface()
    >>> len(H.vertices()), len(H.cells(1)), H.genus(), H.is_smooth(), H.degree()
    (4, 9, 0, True, 2)
    """

    __slots__ = ("_poly", "_exact", "_V", "_R", "_L", "_cells", "_smooth", "_convention")

    def __init__(self, polynomial: Any) -> None:
        from .polynomial import TropicalPolynomial

        if not isinstance(polynomial, TropicalPolynomial):
            raise TypeError(
                f"TropicalHypersurface needs a TropicalPolynomial, got {type(polynomial).__name__}"
            )
        convention = getattr(polynomial, "convention", "max")
        n = polynomial.nvars
        q = polynomial.to_max_plus().to_exact()  # a min-plus q(x) is -p(-x): same arrays, sign flip
        E, c = q.exponents, q.coefficients
        if len(c) == 0:
            raise ValueError("the tropical zero polynomial (-inf) has no hypersurface")
        set_ = object.__setattr__
        set_(self, "_poly", polynomial)
        set_(self, "_convention", convention)
        set_(self, "_exact", polynomial.is_exact)
        stored_floats = not polynomial.is_exact
        L: list[list[int]] = []
        if len(E) == 1:  # a monomial: nowhere attained twice
            V, R, cells, smooth = [], [], [[] for _ in range(n)], True
        elif (chart := _lower_dimensional(E, n)) is None:
            V, R, cells, smooth = _full(E, c, n, stored_floats, q)
        else:
            V, R, L, cells, smooth = _with_lineality(E, c, n, chart, stored_floats)
        sign = 1 if convention == "max" else -1
        if sign < 0:
            cells = [[_negated(cell) for cell in ck] for ck in cells]
        set_(self, "_L", [tuple(v) for v in L])  # a linear subspace: the same for -T(p)
        set_(self, "_V", [tuple(sign * v for v in p) for p in V])
        set_(self, "_R", [tuple(sign * r for r in d) for d in R])
        set_(self, "_cells", tuple(tuple(ck) for ck in cells))
        set_(self, "_smooth", smooth)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TropicalHypersurface is immutable")

    # ------------------------------------------------------------------ attributes
    @property
    def polynomial(self) -> Any:
        """The max-plus polynomial whose hypersurface this is.

        >>> import tropnet
        >>> x, = tropnet.variables("x")
        >>> print((x + 0).hypersurface().polynomial)
        max(0, x)
        """
        return self._poly

    @property
    def convention(self) -> str:
        """The polynomial's convention, ``"max"`` or ``"min"``.

        >>> import tropnet
        >>> x, = tropnet.variables("x")
        >>> (x + 1).hypersurface().convention, (x + 1).to_min_plus().hypersurface().convention
        ('max', 'min')
        """
        return self._convention

    @property
    def nvars(self) -> int:
        """The dimension n of the ambient space R^n.

        >>> import tropnet
        >>> (tropnet.variables("x")[0] + 0).hypersurface().nvars
        1
        """
        return self._poly.nvars

    @property
    def dim(self) -> int:
        """The dimension n - 1 of the hypersurface.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x + y + 0).hypersurface().dim
        1
        """
        return self.nvars - 1

    def vertices(self) -> np.ndarray:
        """The vertices (k, n): Fractions for an exact polynomial, floats otherwise.

        Vertex ``i`` is dual to the maximal cell ``i`` of :meth:`dual_cells`.  For a union of
        parallel lines (a non-empty :meth:`lineality`) the rows are one point of each line.

        >>> import tropnet
        >>> x, = tropnet.variables("x")
        >>> (x**2 + x * 1 + 0).hypersurface().vertices().ravel().tolist()   # max(0, x+1, 2x)
        [Fraction(-1, 1), Fraction(1, 1)]
        """
        return self._array(self._V, (len(self._V), self.nvars))

    def lineality(self) -> np.ndarray:
        """A Z-basis (integer rows, each with its last nonzero entry positive) of the integer
        directions along which the whole hypersurface is invariant: the lattice orthogonal to the
        Newton polytope.  Empty unless the Newton polytope is lower-dimensional (then ``vertices()``
        holds one point of each minimal cell; for a curve, of each of its parallel lines).

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> H = (x * y + 0).hypersurface()        # max(0, x + y): the line x + y = 0
        >>> H.lineality().tolist(), H.vertices().tolist(), H.weights()
        ([[-1, 1]], [[Fraction(0, 1), Fraction(0, 1)]], [1])
        """
        return np.array(self._L, dtype=np.int64).reshape(len(self._L), self.nvars)

    def rays(self) -> np.ndarray:
        """The distinct primitive integer directions of the unbounded cells (r, n), int64.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x + y + 0).hypersurface().rays().tolist()
        [[-1, 0], [0, -1], [1, 1]]
        """
        return np.array(self._R, dtype=np.int64).reshape(len(self._R), self.nvars)

    def _array(self, rows: list[tuple], shape: tuple[int, int]) -> np.ndarray:
        if self._exact:
            out = np.empty(shape, dtype=object)
            for i, r in enumerate(rows):
                out[i, :] = r
            return out
        return np.array([[float(v) for v in r] for r in rows], dtype=np.float64).reshape(shape)

    def cells(self, dim: int) -> list[HypersurfaceCell]:
        """The cells of dimension ``dim`` (0: the vertices; ``n - 1``: the maximal cells).

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> [len((x + y + 0).hypersurface().cells(d)) for d in (0, 1)]
        [1, 3]
        """
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim must be an integer, got {dim!r}")
        if not 0 <= dim <= self.dim:
            raise ValueError(
                f"a hypersurface in R^{self.nvars} has cells of dimension 0..{self.dim}, not {dim}"
            )
        return list(self._cells[dim])

    def maximal_cells(self) -> list[HypersurfaceCell]:
        """The cells of dimension ``n - 1``, each with its weight.

        >>> import tropnet
        >>> x, = tropnet.variables("x")
        >>> [c.weight for c in (x**3 + 0).hypersurface().maximal_cells()]   # a triple root
        [3]
        """
        return list(self._cells[-1])

    def weights(self) -> list[Any]:
        """The weights of the maximal cells, in the order of :meth:`maximal_cells`.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> sorted((x**2 + y**2 + 0).hypersurface().weights())    # a non-smooth conic
        [2, 2, 2]
        """
        return [c.weight for c in self._cells[-1]]

    def dual_cells(self) -> list[tuple[int, ...]]:
        """The maximal cells of the dual subdivision (monomial indices), one per vertex (for one
        variable: the segments, one per point; with a lineality space, one per minimal cell, whose
        point is the row of :meth:`vertices`).

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x + y + 0).hypersurface().dual_cells()
        [(0, 1, 2)]
        """
        return [c.monomials for c in self._cells[len(self._L)]] if self._cells[-1] else []

    # ------------------------------------------------------------------ invariants
    def is_balanced(self) -> bool:
        """The balancing condition, checked exactly on the computed geometry.

        At every vertex of a curve the weighted primitive directions of its edges (towards
        the neighbouring vertex, or along the ray) sum to zero.  In ``n >= 3`` variables, around
        every ``(n-2)``-cell the weighted primitive generators of the adjacent maximal cells in
        the quotient lattice ``Z^n / (span cap Z^n)`` sum to zero.  A hypersurface of one
        variable (finitely many points) is trivially balanced.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x**3 + y**3 + 0 + x * y * 2).hypersurface().is_balanced()
        True
        """
        if self.nvars == 1:
            return True
        total = [[0, 0] for _ in self._V]
        if self.nvars >= 3:
            return self._balanced_nd()
        for cell in self._cells[1]:
            w = cell.weight
            if self._L:  # parallel lines: no vertices, nothing to balance
                continue
            if cell.rays:
                (v,) = cell.vertices
                d = self._R[cell.rays[0]]
                total[v][0] += w * d[0]
                total[v][1] += w * d[1]
                continue
            a, b = cell.vertices
            u = primitive([self._V[b][k] - self._V[a][k] for k in range(2)])
            total[a][0] += w * u[0]
            total[a][1] += w * u[1]
            total[b][0] -= w * u[0]
            total[b][1] -= w * u[1]
        return all(t[0] == 0 and t[1] == 0 for t in total)

    def _balanced_nd(self) -> bool:
        n, top = self.nvars, self._cells[self.nvars - 1]
        for tau in self._cells[n - 2]:
            around = set(tau.monomials)
            v0 = self._V[tau.vertices[0]]  # pointed cells: every cell has a vertex
            dirs = [[Fraction(a) - b for a, b in zip(self._V[v], v0)] for v in tau.vertices[1:]]
            dirs += [[Fraction(x) for x in self._R[r]] for r in tau.rays]
            M = orthogonal_lattice(dirs + [list(v) for v in self._L], n)
            total = [0, 0]
            for sigma in top:  # the maximal cells containing tau: fewer monomials tie on them
                if set(sigma.monomials) <= around:
                    d = [a - b for a, b in zip(sigma.point, tau.point)]
                    u = primitive([sum(m[k] * d[k] for k in range(n)) for m in M])
                    total = [total[0] + sigma.weight * u[0], total[1] + sigma.weight * u[1]]
            if total != [0, 0]:
                return False
        return True

    def _need_curve(self, what: str) -> None:
        if self.nvars != 2:
            raise ValueError(f"{what}() is defined for plane curves (2 variables), not for {self.nvars}")

    def genus(self) -> int:
        """The first Betti number of a plane curve seen as a graph (edges minus vertices plus
        connected components, rays not counted).  For a smooth curve it is the number of
        interior lattice points of the Newton polygon.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x + y + 0).hypersurface().genus()
        0
        """
        self._need_curve("genus")
        if self._L:  # parallel lines: no cycles
            return 0
        parent = list(range(len(self._V)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        bounded = [c for c in self._cells[1] if not c.rays]
        for c in bounded:
            a, b = (find(i) for i in c.vertices)
            parent[a] = b
        components = len({find(i) for i in range(len(self._V))})
        return len(bounded) - len(self._V) + components

    def is_smooth(self) -> bool:
        """True when the dual subdivision is unimodular: integer exponents and every maximal cell
        a lattice simplex of normalized volume 1 (for curves: triangles of area 1/2); then every
        weight is 1 and every vertex is trivalent.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x + y + 0).hypersurface().is_smooth(), (x**2 + y**2 + 0).hypersurface().is_smooth()
        (True, False)
        """
        return self._smooth

    def degree(self) -> Any:
        """The mixed volume of the Newton polytope with the standard simplex: for a plane curve,
        the number of intersection points with a generic tropical line (with multiplicity),
        ``d`` for a curve of degree ``d``; in one variable, the number of roots with
        multiplicity (the length of the Newton segment).

        Computed from the support function h of the Newton polytope:
        ``h(1, ..., 1) + sum_i h(-e_i)``.

        >>> import tropnet
        >>> x, y = tropnet.variables("x y")
        >>> (x**3 + y**3 + 0 + x * y).hypersurface().degree()
        3
        """
        E = self._poly.to_exact().exponents
        rows = [[Fraction(v) for v in r] for r in E.tolist()]
        h = max(sum(r) for r in rows) + sum(max(-r[k] for r in rows) for k in range(self.nvars))
        return int(h) if h.denominator == 1 else h

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        kind = {1: "point set", 2: "curve"}.get(self.nvars, "hypersurface")
        if self._L and self.nvars == 2:
            return f"TropicalHypersurface({kind} in R^{self.nvars}: {len(self._cells[-1])} parallel lines)"
        lineality = f", lineality space of dimension {len(self._L)}" if self._L else ""
        points = "points (one per minimal cell)" if self._L else "vertices"
        return (
            f"TropicalHypersurface({kind} in R^{self.nvars}: {len(self._V)} {points}, "
            f"{len(self._cells[-1])} maximal cells, {len(self._R)} ray directions{lineality})"
        )


def _negated(cell: HypersurfaceCell) -> HypersurfaceCell:
    if cell.point is None:
        return cell
    return dataclasses.replace(cell, point=tuple(-v for v in cell.point))


# ---------------------------------------------------------------------------------------- n = 1
def _points(E: np.ndarray, c: np.ndarray, stored_floats: bool = False):
    """Roots of a univariate polynomial: one point per edge of the upper hull."""
    a = [Fraction(v) for v in E[:, 0].tolist()]
    cc = [Fraction(v) for v in c.tolist()]
    cells = dual_subdivision_of(E, c, stored_floats)  # sorted by exponent: consecutive segments
    V, cells1 = [], []
    for cell in cells:
        i, j = cell[0], cell[-1]  # the segment's endpoints (indices sorted by exponent)
        x = (cc[i] - cc[j]) / (a[j] - a[i])
        V.append((x,))
        w = lattice_length([a[j] - a[i]])
        dual = _dual(E, cell)
        cells1.append(HypersurfaceCell(0, (len(V) - 1,), (), tuple(cell), dual, w))
    smooth = all(len(cell) == 2 and abs(a[cell[1]] - a[cell[0]]) == 1 for cell in cells)
    return V, [], cells1, cells1, smooth


def dual_subdivision_of(E: np.ndarray, c: np.ndarray, stored_floats: bool = False) -> list[tuple[int, ...]]:
    """The cells of the regular subdivision of the exact arrays ``E, c`` (exactly; the core
    install decides every case, :mod:`tropnet.kernels.dd` being the oracle of last resort).
    ``stored_floats`` (they are the dyadic values of a float polynomial) is accepted for the
    callers and changes nothing."""
    return hull.upper_facets(E, c)


# ---------------------------------------------------------------------------------------- dispatch
def _lower_dimensional(E: np.ndarray, n: int) -> LatticeChart | None:
    """None when the exponent rows affinely span R^n, else the :class:`LatticeChart` of their
    affine hull.  Certified exactly: the rows that a pivoted QR of the float differences picks
    out must have a nonzero exact determinant; when the floats see a deficient rank, the exact
    lattice computation (Hermite normal forms) decides."""
    from flint import fmpq, fmpq_mat
    from scipy.linalg import qr

    D = E[1:] - E[0]
    if len(D) >= n:
        with np.errstate(all="ignore"):
            Df = np.asarray(D, dtype=np.float64)
        if np.isfinite(Df).all() and int(np.linalg.matrix_rank(Df)) == n:
            piv = qr(Df.T, pivoting=True, mode="r")[1][:n]
            M = fmpq_mat(n, n, [fmpq(v.numerator, v.denominator) for i in piv for v in D[i].tolist()])
            if M.det() != 0:
                return None
    chart = LatticeChart(E.tolist())
    return None if chart.rank == n else chart


def _full(E: np.ndarray, c: np.ndarray, n: int, stored_floats: bool, q: Any = None):
    """``(vertices, rays, cells, smooth)`` of a polynomial with a full-dimensional Newton polytope."""
    if n == 1:
        V, R, _, cells1, smooth = _points(E, c, stored_floats)
        return V, R, [cells1], smooth
    if n == 2:
        V, R, cells0, cells1, smooth = _curve(E, c, stored_floats)
        return V, R, [cells0, cells1], smooth
    if _SKELETON_ENGINE is None:  # pragma: no cover - ``import tropnet`` installs it
        raise RuntimeError("hypersurfaces in 3 or more variables need `import tropnet` (complex engine)")
    if q is not None:
        return _SKELETON_ENGINE(q)
    from .polynomial import TropicalPolynomial

    q = TropicalPolynomial(E, c)  # stored sorted: map its monomials back to the rows of E
    row = {tuple(r): i for i, r in enumerate(E.tolist())}
    back = [row[tuple(r)] for r in q.exponents.tolist()]
    V, R, cells, smooth = _SKELETON_ENGINE(q)
    cells = [
        [dataclasses.replace(cell, monomials=tuple(sorted(back[k] for k in cell.monomials))) for cell in ck]
        for ck in cells
    ]
    return V, R, cells, smooth


def _with_lineality(E: np.ndarray, c: np.ndarray, n: int, chart: LatticeChart, stored_floats: bool):
    """A Newton polytope of dimension ``r < n``: the hypersurface of the polynomial in the
    lattice coordinates of its affine hull (:mod:`tropnet.algebra.lineality`), lifted into the
    span ``D`` of the polytope's directions, plus the lineality space ``D^perp``.  Cells gain
    ``n - r`` dimensions and keep their weights (lattice lengths in the saturated lattice
    ``D cap Z^n`` are those of ``Z^n``)."""
    r = chart.rank
    Y = np.empty((len(E), r), dtype=object)
    for i, y in enumerate(chart.coordinates()):
        Y[i, :] = y
    V1, R1, cells1, smooth = _full(Y, c, r, stored_floats)
    V = [chart.lift(v) for v in V1]
    R_raw = [chart.lift(d) for d in R1]
    R_lift = [primitive(d) for d in R_raw]
    order = sorted(range(len(R_lift)), key=lambda k: R_lift[k])  # canonical ray order
    new = {old: k for k, old in enumerate(order)}
    R = [R_lift[k] for k in order]
    shift = n - r

    def point(cell: HypersurfaceCell) -> tuple[Fraction, ...] | None:
        if n < 3:
            return None
        if cell.point is not None:
            return chart.lift(cell.point)
        k = len(cell.vertices)  # the barycentre plus every ray (the lift is linear): relative interior
        return tuple(sum((V[v][i] for v in cell.vertices), Fraction(0)) / k
                     + sum((R_raw[j][i] for j in cell.rays), Fraction(0)) for i in range(n))

    cells: list[list[HypersurfaceCell]] = [[] for _ in range(shift)]
    for ck in cells1:
        cells.append([
            HypersurfaceCell(cell.dim + shift, cell.vertices, tuple(sorted(new[j] for j in cell.rays)),
                             cell.monomials, _dual(E, cell.monomials), cell.weight, point(cell))
            for cell in ck
        ])
    return V, R, chart.lineality, cells, smooth


# ---------------------------------------------------------------------------------------- n = 2
def _curve(E: np.ndarray, c: np.ndarray, stored_floats: bool = False):
    A = [(Fraction(r[0]), Fraction(r[1])) for r in E.tolist()]
    cc = [Fraction(v) for v in c.tolist()]
    cells = dual_subdivision_of(E, c, stored_floats)
    V: list[tuple[Fraction, Fraction]] = []
    cells0: list[HypersurfaceCell] = []
    edges: dict[tuple[int, int], list[tuple[int, tuple[Fraction, Fraction], tuple[int, ...]]]] = {}
    smooth = True
    integral = all(x.denominator == 1 for p in A for x in p)
    for s, cell in enumerate(cells):
        i0 = cell[0]
        # two points spanning the plane with the first: the cell is full-dimensional
        i1 = cell[1]
        e1 = (A[i1][0] - A[i0][0], A[i1][1] - A[i0][1])
        i2 = next(k for k in cell[2:] if e1[0] * (A[k][1] - A[i0][1]) - e1[1] * (A[k][0] - A[i0][0]) != 0)
        e2 = (A[i2][0] - A[i0][0], A[i2][1] - A[i0][1])
        x = _solve2(e1[0], e1[1], cc[i0] - cc[i1], e2[0], e2[1], cc[i0] - cc[i2])
        V.append(x)
        if len(cell) == 3:
            order = list(cell)
            cross = e1[0] * e2[1] - e1[1] * e2[0]
            if cross < 0:
                order = [cell[0], cell[2], cell[1]]
            smooth = smooth and integral and abs(cross) == 1
        else:
            smooth = False
            vert = hull.polytope_vertices(E[list(cell)])
            sub = [cell[k] for k in vert.tolist()]
            order = [sub[k] for k in _ccw([A[i] for i in sub])]
        cells0.append(HypersurfaceCell(0, (s,), (), tuple(cell), _dual(E, cell)))
        for k in range(len(order)):
            u, v = order[k], order[(k + 1) % len(order)]
            e = (A[v][0] - A[u][0], A[v][1] - A[u][1])
            normal = (e[1], -e[0])  # outward for a counter-clockwise polygon
            edges.setdefault((min(u, v), max(u, v)), []).append((s, normal, cell))
    R: list[tuple[int, int]] = []
    ray_index: dict[tuple[int, int], int] = {}
    cells1: list[HypersurfaceCell] = []
    for (u, v), owners in sorted(edges.items()):
        on = _points_on_segment(A, u, v, owners[0][2])
        dual = _dual(E, on)
        w = lattice_length((A[v][0] - A[u][0], A[v][1] - A[u][1]))
        if len(owners) == 2:
            (s, _, _), (t, _, _) = owners
            cells1.append(HypersurfaceCell(1, (min(s, t), max(s, t)), (), on, dual, w))
        else:
            ((s, normal, _),) = owners
            d = primitive(normal)
            if d not in ray_index:
                ray_index[d] = len(R)
                R.append(d)
            cells1.append(HypersurfaceCell(1, (s,), (ray_index[d],), on, dual, w))
    # rays sorted for a canonical order
    order = sorted(range(len(R)), key=lambda i: R[i])
    new = {old: k for k, old in enumerate(order)}
    R = [R[i] for i in order]
    cells1 = [
        HypersurfaceCell(c.dim, c.vertices, tuple(new[r] for r in c.rays), c.monomials, c.dual, c.weight)
        for c in cells1
    ]
    return V, R, cells0, cells1, smooth


def _points_on_segment(
    A: list[tuple[Fraction, Fraction]], u: int, v: int, cell: tuple[int, ...]
) -> tuple[int, ...]:
    """Indices (among ``cell``) of the exponents on the closed segment [A[u], A[v]], from u to v."""
    e = (A[v][0] - A[u][0], A[v][1] - A[u][1])
    ee = e[0] * e[0] + e[1] * e[1]
    found = []
    for k in cell:
        p = A[k]
        d = (p[0] - A[u][0], p[1] - A[u][1])
        if e[0] * d[1] - e[1] * d[0] != 0:
            continue
        t = (e[0] * d[0] + e[1] * d[1]) / ee
        if 0 <= t <= 1:
            found.append((t, k))
    return tuple(k for _, k in sorted(found))
