"""Tropical hypersurfaces: textbook known answers, an OSCAR documentation example, and exact
checks of the geometry against evaluation (every cell's dual monomials tie for the max there)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

import tropnet
from tropnet import TropicalHypersurface, TropicalPolynomial

from .strategies import plane_curve

x, y = tropnet.variables("x y")


def _edges(H):
    """Bounded edges as frozensets of endpoints, rays as (start, direction), with weights."""
    V = [tuple(v) for v in H.vertices().tolist()]
    R = [tuple(r) for r in H.rays().tolist()]
    out = {}
    for c in H.maximal_cells():
        key = (V[c.vertices[0]], R[c.rays[0]]) if c.rays else frozenset(V[i] for i in c.vertices)
        out[key] = c.weight
    return out


def test_tropical_line():
    H = (x + y + 0).hypersurface()
    assert H.vertices().tolist() == [[0, 0]]
    assert sorted(map(tuple, H.rays().tolist())) == [(-1, 0), (0, -1), (1, 1)]
    assert H.weights() == [1, 1, 1]
    assert H.is_balanced() and H.genus() == 0 and H.is_smooth() and H.degree() == 1
    assert len(H.cells(0)) == 1 and len(H.cells(1)) == 3


def test_line_with_coefficients_moves_the_vertex():
    H = (x * 2 + y * -1 + 0).hypersurface()  # max(0, x + 2, y - 1): vertex at (-2, 1)
    assert H.vertices().tolist() == [[-2, 1]]


def test_smooth_conic():
    p = x**2 + y**2 + 0 + (x * y) * 1 + x * 1 + y * 1
    H = p.hypersurface()
    assert sorted(map(tuple, H.vertices().tolist())) == [(-1, -1), (0, 0), (0, 1), (1, 0)]
    edges = _edges(H)
    assert len(edges) == 9 and set(edges.values()) == {1}
    assert frozenset({(-1, -1), (0, 0)}) in edges and frozenset({(0, 0), (1, 0)}) in edges
    assert ((1, 0), (1, 1)) in edges and ((-1, -1), (-1, 0)) in edges
    assert H.is_smooth() and H.is_balanced() and H.genus() == 0 and H.degree() == 2


def _smooth_cubic():
    # a strictly concave lift of 3*Delta: every lattice point is a vertex, so the triangulation
    # is unimodular (Pick) -- a smooth cubic
    terms = [(i, j) for i in range(4) for j in range(4 - i)]
    E = np.array(terms, dtype=object)
    c = [-(i * i + i * j + j * j) + F(i, 7) - F(j, 11) for i, j in terms]
    return TropicalPolynomial(E, c, "x y")


def test_smooth_cubic_has_genus_one():
    H = _smooth_cubic().hypersurface()
    assert H.is_smooth() and H.is_balanced()
    assert len(H.vertices()) == 9  # 9 unimodular triangles in 3*Delta (area 9/2)
    bounded = [c for c in H.maximal_cells() if not c.rays]
    assert len(bounded) == 9 and len(H.maximal_cells()) == 18  # 9 rays, 3 in each direction
    assert H.genus() == 1 and H.degree() == 3
    assert set(H.weights()) == {1}


def test_conic_with_lattice_length_two_edges():
    H = (x**2 + y**2 + 0).hypersurface()  # max(0, 2x, 2y): the triangle 2*Delta, uncut
    assert H.vertices().tolist() == [[0, 0]]
    assert H.weights() == [2, 2, 2]
    assert H.is_balanced() and not H.is_smooth() and H.genus() == 0 and H.degree() == 2


def test_oscar_documentation_example_in_min_convention():
    # OSCAR docs: g = 1 + 2*x1^2 + 2*x2^2 + 1*x1*x2 over the min-plus semiring has vertices
    # (-1/2, 1/2), (1/2, -1/2) and rays (-1, -1), (1, 0), (0, 1).
    g = TropicalPolynomial([[0, 0], [2, 0], [0, 2], [1, 1]], [1, 2, 2, 1], "x y", convention="min")
    H = g.hypersurface()
    assert H.convention == "min"
    assert sorted(map(tuple, H.vertices().tolist())) == [(F(-1, 2), F(1, 2)), (F(1, 2), F(-1, 2))]
    assert sorted(map(tuple, H.rays().tolist())) == [(-1, -1), (0, 1), (1, 0)]
    edges = _edges(H)
    assert len(edges) == 5 and H.is_balanced()
    assert edges[((F(-1, 2), F(1, 2)), (0, 1))] == 2  # dual to the edge (0,0)-(0,2)
    assert edges[((F(1, 2), F(-1, 2)), (1, 0))] == 2
    assert edges[frozenset({(F(-1, 2), F(1, 2)), (F(1, 2), F(-1, 2))})] == 1
    # the max-plus form -g(-x) = max(-1, 2x - 2, 2y - 2, x + y - 1) has the negated hypersurface
    p = TropicalPolynomial.from_min_plus([[0, 0], [2, 0], [0, 2], [1, 1]], [1, 2, 2, 1], "x y")
    assert p == g.to_max_plus()
    Hmax = p.hypersurface()
    assert Hmax.weights() == H.weights()
    assert sorted(map(tuple, (-Hmax.vertices()).tolist())) == sorted(map(tuple, H.vertices().tolist()))


def test_univariate_roots_with_multiplicity():
    (t,) = tropnet.variables("t")
    H = (t**2 + t * 1 + 0).hypersurface()  # max(0, t + 1, 2t): corners at -1 and 1
    assert H.vertices().ravel().tolist() == [-1, 1] and H.weights() == [1, 1] and H.is_smooth()
    H3 = (t**3 + 0).hypersurface()
    assert H3.vertices().ravel().tolist() == [0] and H3.weights() == [3] and H3.degree() == 3


def test_float_polynomial_is_read_as_its_dyadic_rationals():
    H = (x * 0.5 + y + 0.25).hypersurface()
    assert H.vertices().dtype == np.float64
    assert H.vertices().tolist() == [[-0.25, 0.25]]


@pytest.mark.parametrize("seed", range(6))
def test_geometry_agrees_with_evaluation(seed):
    """At every vertex exactly the dual cell's monomials tie for the max; on every edge (midpoint,
    or a point on the ray) exactly the dual edge's monomials do; and the curve is balanced."""
    rng = np.random.default_rng(seed)
    p = plane_curve(rng, int(rng.integers(1, 5)), 4, 12)
    H = p.hypersurface()
    E, c = p.exponents, p.coefficients
    V = H.vertices()

    def winners(pt):
        vals = [c[i] + E[i, 0] * pt[0] + E[i, 1] * pt[1] for i in range(len(c))]
        top = max(vals)
        return {i for i, v in enumerate(vals) if v == top}

    for k, cell in enumerate(H.cells(0)):
        assert winners(V[k]) == set(cell.monomials)
    R = H.rays()
    for cell in H.maximal_cells():
        if cell.rays:
            pt = V[cell.vertices[0]] + R[cell.rays[0]] * F(7, 3)
        else:
            pt = (V[cell.vertices[0]] + V[cell.vertices[1]]) * F(1, 2)
        assert winners(pt) == set(cell.monomials)
        assert list(cell.dual) == [tuple(int(v) for v in E[i]) for i in cell.monomials]
    assert H.is_balanced()
    if H.is_smooth():  # genus = interior lattice points of the Newton polygon
        assert H.genus() == _interior_points(p)


def _interior_points(p):
    from matplotlib.path import Path

    from tropnet.plot.style import ccw_order

    hull = ccw_order(np.asarray(p.newton_polytope(), dtype=float))
    lo, hi = hull.min(axis=0).astype(int), hull.max(axis=0).astype(int)
    pts = [(i, j) for i in range(lo[0], hi[0] + 1) for j in range(lo[1], hi[1] + 1)]
    return int(Path(hull).contains_points(pts, radius=-1e-9).sum())


def test_cells_carry_the_printed_order():
    p = x * y + x**2 + 3 + y
    assert str(p) == "max(3, y, 2*x, x + y)"
    assert [tuple(int(v) for v in r) for r in p.exponents.tolist()] == [(0, 0), (0, 1), (2, 0), (1, 1)]
    H = p.hypersurface()
    for cell in H.cells(0):
        assert list(cell.dual) == [tuple(int(v) for v in p.exponents[i]) for i in cell.monomials]


def test_segment_newton_polygons_give_parallel_lines():
    H = (x**2 * y**4 + x * y**2 * 3 + 0).hypersurface()  # max(0, x + 2y + 3, 2x + 4y): 2 lines
    assert H.lineality().tolist() == [[-2, 1]] and H.rays().shape == (0, 2)
    assert H.cells(0) == [] and H.weights() == [1, 1]
    pts = [tuple(v) for v in H.vertices().tolist()]  # one point of each line x + 2y = -3, x + 2y = 3
    assert sorted(a + 2 * b for a, b in pts) == [-3, 3]
    assert H.is_balanced() and H.genus() == 0 and H.is_smooth() and H.degree() == 6
    assert (x**2 * y**4 + 0).hypersurface().weights() == [2]
    Hmin = (x * y + 0).to_min_plus().hypersurface()
    assert Hmin.lineality().tolist() == [[-1, 1]] and Hmin.vertices().tolist() == [[0, 0]]


def test_a_monomial_has_the_empty_hypersurface():
    H = (x * y**2 * 3).hypersurface()
    assert H.vertices().shape == (0, 2) and H.maximal_cells() == [] and H.degree() == 0
    assert H.is_balanced() and H.genus() == 0


def test_rational_hypersurfaces():
    f = (x**2 + y + 0) / (x + y * 1 + 0)
    Hg, Hh = f.hypersurfaces()
    assert Hg.polynomial == f.numerator and Hh.polynomial == f.denominator


def test_bad_input():
    with pytest.raises(ValueError, match="zero polynomial"):
        TropicalPolynomial.zero(2).hypersurface()
    H = (x + y + 0).hypersurface()
    with pytest.raises(ValueError, match="0..1"):
        H.cells(2)
    with pytest.raises(TypeError):
        TropicalHypersurface("max(x, y)")
    with pytest.raises(AttributeError):
        H.foo = 1
    (t,) = tropnet.variables("t")
    with pytest.raises(ValueError, match="plane curves"):
        (t + 0).hypersurface().genus()
