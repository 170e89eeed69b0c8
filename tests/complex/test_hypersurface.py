"""Tropical hypersurfaces in three or more variables, read off the complex of the regions:
known answers (the tropical plane, a weight-2 sheet), an independent check against the plane
curve code for n = 2, exact evaluation at every cell, and balancing (including that a wrong
weight is caught)."""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial
from tropnet.algebra.hypersurface import lattice_length
from tropnet.complex.hypersurface import hypersurface_skeleton

from ..algebra.strategies import plane_curve

x, y, z = tropnet.variables("x y z")


def test_tropical_plane():
    H = (x + y + z + 0).hypersurface()  # max(0, x, y, z)
    assert H.vertices().tolist() == [[0, 0, 0]]
    assert sorted(map(tuple, H.rays().tolist())) == [(-1, 0, 0), (0, -1, 0), (0, 0, -1), (1, 1, 1)]
    assert [len(H.cells(k)) for k in range(3)] == [1, 4, 6]
    assert H.weights() == [1] * 6 and H.is_balanced() and H.is_smooth() and H.degree() == 1
    # one 2-cell per pair of monomials, spanned by the two rays of the other two monomials
    assert sorted(c.monomials for c in H.maximal_cells()) == sorted(itertools.combinations(range(4), 2))
    assert all(len(c.rays) == 2 and c.vertices == (0,) for c in H.maximal_cells())
    assert H.dual_cells() == [(0, 1, 2, 3)]
    assert "1 vertices, 6 maximal cells, 4 ray directions" in repr(H)


def test_weight_two_sheet():
    p = x**2 + y + z + 0  # max(0, 2x, y, z)
    H = p.hypersurface()
    E = p.exponents.tolist()
    for c in H.maximal_cells():  # the edges of the simplex conv(0, 2e1, e2, e3)
        i, j = c.monomials
        want = 2 if {tuple(E[i]), tuple(E[j])} == {(0, 0, 0), (2, 0, 0)} else 1
        assert c.weight == want
    assert sorted(H.weights()) == [1, 1, 1, 1, 1, 2] and H.is_balanced() and not H.is_smooth()
    assert [1, 2, 2] in H.rays().tolist()  # where 2x = y = z wins


def test_min_plus_is_the_negative():
    p = x**2 + y * 1 + z * -2 + 0 + x * y * z
    Hmax, Hmin = p.hypersurface(), p.to_min_plus().hypersurface()
    assert Hmin.convention == "min" and Hmin.is_balanced()
    assert (-Hmax.vertices()).tolist() == Hmin.vertices().tolist()
    assert (-Hmax.rays()).tolist() == Hmin.rays().tolist() and Hmax.weights() == Hmin.weights()


def test_four_variables_float_input():
    a, b, c, d = tropnet.variables("a b c d")
    H = (a + b + c + d * 0.5 + 0).hypersurface()  # a tropical hyperplane in R^4
    assert [len(H.cells(k)) for k in range(4)] == [1, 5, 10, 10]
    assert H.vertices().dtype == np.float64 and H.vertices().tolist() == [[0.0, 0.0, 0.0, -0.5]]
    assert H.is_balanced() and H.is_smooth()


def test_a_wrong_weight_is_unbalanced():
    H = (x**2 + y**2 + z**2 + x * y + y * z + x * z * 1 + x * 2 + y * 1 + z + 0).hypersurface()
    assert H.is_balanced()
    cells = list(H._cells)
    top = list(cells[-1])
    top[0] = dataclasses.replace(top[0], weight=top[0].weight + 1)
    cells[-1] = tuple(top)
    object.__setattr__(H, "_cells", tuple(cells))
    assert not H.is_balanced()


def _curve_cells(V, R, cells):
    """Cells as (vertex coordinates, ray directions, monomial set, weight), order-free."""
    return sorted(
        (sorted(tuple(V[v]) for v in c.vertices), sorted(tuple(R[r]) for r in c.rays),
         tuple(sorted(c.monomials)), c.weight)
        for c in cells
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_complex_path_agrees_with_the_curve_path(seed):
    """n = 2: the region-complex engine against the independent dual-subdivision code."""
    p = plane_curve(np.random.default_rng(seed), degree=3, denominator=2, spread=6)
    H = p.hypersurface()
    V, R, cells, smooth = hypersurface_skeleton(p.to_exact())
    HV = [tuple(v) for v in H._V]
    assert sorted(V) == sorted(HV) and sorted(R) == sorted(H._R) and smooth == H.is_smooth()
    assert _curve_cells(V, R, cells[1]) == _curve_cells(HV, H._R, H.maximal_cells())
    assert _curve_cells(V, R, cells[0]) == _curve_cells(HV, H._R, H.cells(0))


@st.composite
def _trivariate(draw):
    pts = draw(st.sets(st.tuples(*[st.integers(0, 2)] * 3), min_size=5, max_size=8))
    pts = sorted(pts | {(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)})  # full-dimensional
    c = [F(draw(st.integers(-6, 6)), 2) for _ in pts]
    return TropicalPolynomial(np.array(pts, dtype=object), c, "x y z")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trivariate())
def test_cells_tie_exactly_and_balance(p):
    H = p.hypersurface()
    E = [[F(v) for v in r] for r in p.exponents.tolist()]
    c = [F(v) for v in p.coefficients.tolist()]
    for k in range(3):
        for cell in H.cells(k):
            vals = [ci + sum(a * t for a, t in zip(e, cell.point)) for e, ci in zip(E, c)]
            top = max(vals)
            assert tuple(i for i, v in enumerate(vals) if v == top) == cell.monomials
            assert top == p(list(cell.point))
            if k == 2:  # the tied monomials lie on one edge whose lattice length is the weight
                lengths = [lattice_length([a - b for a, b in zip(E[i], E[j])])
                           for i in cell.monomials for j in cell.monomials]
                assert max(lengths) == cell.weight
    assert H.is_balanced()


def test_quadric_octahedron():
    """2 * simplex lifted by -(i^2 + j^2 + k^2 + ij + jk + ik): four corner tetrahedra and the
    central octahedron (the alcoved subdivision), so five vertices and not smooth."""
    pts = [(i, j, k) for i in range(3) for j in range(3) for k in range(3) if i + j + k <= 2]
    c = [-(i * i + j * j + k * k + i * j + j * k + i * k) for i, j, k in pts]
    H = TropicalPolynomial(np.array(pts, dtype=object), c, "x y z").hypersurface()
    assert sorted(len(d) for d in H.dual_cells()) == [4, 4, 4, 4, 6]
    assert not H.is_smooth() and H.is_balanced() and set(H.weights()) == {1}
