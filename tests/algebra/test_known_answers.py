"""Known answers: region counts, dual subdivisions and tropical curves of classical examples."""

import numpy as np
import pytest

import tropnet
from tropnet import TropicalPolynomial


def full_lattice(d, coef, exact=True):
    pts = [(i, j) for i in range(d + 1) for j in range(d + 1 - i)]
    E = np.array(pts, dtype=np.int64)
    c = np.array([coef(i, j) for i, j in pts], dtype=np.int64 if exact else np.float64)
    return TropicalPolynomial(E if exact else E.astype(float), c, "x y")


def test_max_0_x_y_has_three_regions():
    x, y = tropnet.variables("x y")
    p = 0 + x + y
    assert p.num_linear_regions() == 3
    assert p.dual_subdivision() == [(0, 1, 2)]
    assert p.to_float().num_linear_regions() == 3


def test_one_variable_examples():
    x, = tropnet.variables("x")
    assert (x + x**2 + x**3).num_linear_regions() == 2            # max(x, 2x, 3x)
    assert (0 + x * (-1) + x**2).num_linear_regions() == 2        # max(0, x - 1, 2x)
    assert (0 + x + x**2 * (-1)).num_linear_regions() == 3        # max(0, x, 2x - 1)
    assert (0 + x + x**2 * (-1)).dual_subdivision() == [(0, 1), (1, 2)]


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_strictly_concave_full_lattice_keeps_everything(d, exact):
    # c_ij = -(i^2 + ij + j^2) induces the unimodular triangulation: every monomial is a vertex
    p = full_lattice(d, lambda i, j: -(i * i + i * j + j * j), exact)
    total = (d + 1) * (d + 2) // 2
    assert len(p.simplify()) == total
    assert p.num_linear_regions() == total
    cells = p.dual_subdivision()
    assert len(cells) == d * d                     # the tropical curve has d^2 vertices
    assert all(len(cell) == 3 for cell in cells)   # all triangles
    assert len(p.newton_polytope()) == 3


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("d, cells", [(2, 3), (3, 6), (4, 10), (5, 15)])
def test_separable_lift_gives_squares(d, cells, exact):
    # c_ij = -(i^2 + j^2) is separable: unit squares below the diagonal, triangles along it
    p = full_lattice(d, lambda i, j: -(i * i + j * j), exact)
    total = (d + 1) * (d + 2) // 2
    assert p.num_linear_regions() == total
    sub = p.dual_subdivision()
    assert len(sub) == cells == d * (d + 1) // 2
    assert sorted(len(c) for c in sub) == [3] * d + [4] * (d * (d - 1) // 2)


def test_tropical_line_and_conic_have_expected_vertices():
    x, y = tropnet.variables("x y")
    line = 0 + x + y
    assert len(line.dual_subdivision()) == 1
    conic = full_lattice(2, lambda i, j: -(i * i + i * j + j * j))
    assert len(conic.dual_subdivision()) == 4


def test_newton_polytope_of_a_square_with_interior_points():
    E = [[0, 0], [2, 0], [0, 2], [2, 2], [1, 1], [1, 0]]
    p = TropicalPolynomial(E, [0, 0, 0, 0, 5, 0])
    assert sorted(map(tuple, p.newton_polytope().tolist())) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    # the lifted centre point splits the square into four triangles, (1,0) lies on a cell edge
    assert p.num_linear_regions() == 5
    assert len(p.dual_subdivision()) == 4


def tropical_curve_vertices(p):
    """Brute force: points of R^2 where three monomials with non-collinear exponents tie at the max."""
    from fractions import Fraction
    from itertools import combinations

    E = [tuple(Fraction(v) for v in row) for row in p.exponents]
    c = [Fraction(v) for v in p.coefficients]
    found = set()
    for i, j, k in combinations(range(len(c)), 3):
        (a1, a2), (b1, b2), (d1, d2) = E[i], E[j], E[k]
        # (a - b) . x = c_j - c_i,  (a - d) . x = c_k - c_i
        m11, m12, m21, m22 = a1 - b1, a2 - b2, a1 - d1, a2 - d2
        det = m11 * m22 - m12 * m21
        if det == 0:
            continue
        r1, r2 = c[j] - c[i], c[k] - c[i]
        x = ((r1 * m22 - m12 * r2) / det, (m11 * r2 - r1 * m21) / det)
        value = c[i] + a1 * x[0] + a2 * x[1]
        if p(list(x)) == value:
            found.add(x)
    return found


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_curve_vertices_by_brute_force_match_the_subdivision(d):
    for coef in (lambda i, j: -(i * i + i * j + j * j), lambda i, j: -(i * i + j * j)):
        p = full_lattice(d, coef)
        assert len(tropical_curve_vertices(p)) == len(p.dual_subdivision())
    assert len(tropical_curve_vertices(full_lattice(d, lambda i, j: -(i * i + i * j + j * j)))) == d * d


def test_random_bivariate_subdivisions_match_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(15):
        E = rng.integers(0, 4, size=(8, 2))
        p = TropicalPolynomial(E, rng.integers(-6, 7, size=8))
        cells = [cell for cell in p.dual_subdivision() if len(cell) >= 3]
        if len(p.newton_polytope()) >= 3:
            assert len(tropical_curve_vertices(p)) == len(cells)
