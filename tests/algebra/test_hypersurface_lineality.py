"""Hypersurfaces whose Newton polytope is not full-dimensional (cells with a lineality space), in
any number of variables: known answers (a tropical line times R, a tropical plane times R, a
polynomial in x + y only), the n = 2 curve after a unimodular change of coordinates, ties
checked by exact evaluation at every cell's point, balancing."""

from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import TropicalPolynomial
from tropnet.algebra.lineality import LatticeChart, orthogonal_lattice

x, y, z = tropnet.variables("x y z")


def _ties(p: TropicalPolynomial, point) -> tuple[int, ...]:
    vals = [sum((Fraction(a) * v for a, v in zip(e, point)), Fraction(c))
            for e, c in zip(p.to_max_plus().exponents.tolist(), p.to_max_plus().coefficients.tolist())]
    top = max(vals)
    return tuple(k for k, v in enumerate(vals) if v == top)


def _check_points(H) -> None:
    """Every cell's point ties exactly its monomials, also moved along the lineality space."""
    p = H.polynomial
    sign = 1 if H.convention == "max" else -1
    for k in range(H.dim + 1):
        for cell in H.cells(k):
            pt = [sign * v for v in cell.point]
            assert _ties(p, pt) == tuple(sorted(cell.monomials))
            for ell in H.lineality().tolist():
                moved = [a + 7 * b for a, b in zip(pt, ell)]
                assert _ties(p, moved) == tuple(sorted(cell.monomials))


def test_a_tropical_line_times_r():
    H = (x + y + 0).hypersurface()  # max(0, x, y) in R^3: does not depend on z
    assert H.lineality().tolist() == [[0, 0, 1]]
    assert H.vertices().tolist() == [[0, 0, 0]] and H.rays().tolist() == [[-1, 0, 0], [0, -1, 0], [1, 1, 0]]
    assert [len(H.cells(k)) for k in range(3)] == [0, 1, 3] and H.weights() == [1, 1, 1]
    assert H.is_balanced() and H.is_smooth() and H.dual_cells() == [(0, 1, 2)]
    assert sorted(c.rays for c in H.cells(2)) == [(0,), (1,), (2,)]
    _check_points(H)


def test_a_tropical_plane_times_r():
    X, Y, Z, W = tropnet.variables("x y z w")
    H = (X + Y + Z + 0).hypersurface()  # max(0, x, y, z) in R^4
    assert [len(H.cells(k)) for k in range(4)] == [0, 1, 4, 6] and H.weights() == [1] * 6
    assert H.lineality().tolist() == [[0, 0, 0, 1]] and H.is_balanced() and H.is_smooth()
    assert H.rays().tolist() == [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 0], [1, 1, 1, 0]]
    _check_points(H)
    # the same plane in the coordinates x + w, y + w, z + w: lineality (-1, -1, -1, 1)
    G = (X * W + Y * W + Z * W + 0).hypersurface()
    assert G.lineality().tolist() == [[-1, -1, -1, 1]]
    assert [len(G.cells(k)) for k in range(4)] == [0, 1, 4, 6] and G.is_balanced()
    _check_points(G)


def test_a_polynomial_in_x_plus_y_only():
    s = x * y
    H = (s**2 + s * 1 + 0).hypersurface()  # max(0, s + 1, 2s), s = x + y: the planes s = -1, s = 1
    assert H.lineality().tolist() == [[-1, 1, 0], [0, 0, 1]] and H.rays().shape == (0, 3)
    assert [len(H.cells(k)) for k in range(3)] == [0, 0, 2] and H.weights() == [1, 1]
    assert sorted(a + b for a, b, _ in H.vertices().tolist()) == [-1, 1]
    assert H.is_balanced() and H.is_smooth()
    _check_points(H)
    D = (s**2 + 0).hypersurface()  # max(0, 2x + 2y): the plane x + y = 0 counted twice
    assert D.weights() == [2] and not D.is_smooth()
    half = (x ** Fraction(1, 2) * y ** Fraction(1, 2) + 0).hypersurface()  # Puiseux: weight 1/2
    assert half.weights() == [Fraction(1, 2)]


def test_min_plus_is_the_negated_max_plus():
    p = (x * y * 2 + x * 1 + 0)  # Newton polygon in the (x, y) plane of R^3
    q = p.to_min_plus()
    Hp, Hq = p.hypersurface(), q.hypersurface()
    assert Hq.vertices().tolist() == (-Hp.vertices()).tolist() and Hq.rays().tolist() == (-Hp.rays()).tolist()
    assert Hq.lineality().tolist() == Hp.lineality().tolist() == [[0, 0, 1]]
    assert Hq.weights() == Hp.weights()
    _check_points(Hq)


def test_float_polynomials_report_floats():
    H = (x * 0.5 + y * 1.25 + 0.0).hypersurface()  # max(0, x + 0.5, y + 1.25)
    assert H.vertices().dtype == np.float64 and H.vertices().tolist() == [[-0.5, -1.25, 0.0]]
    assert H.lineality().tolist() == [[0, 0, 1]]


def _random_curve(rng: np.random.Generator) -> TropicalPolynomial:
    while True:
        E = rng.integers(0, 4, size=(7, 2))
        c = rng.integers(-5, 6, size=7)
        p = TropicalPolynomial(E, c, variables="u v")
        if len(p) >= 3 and np.linalg.matrix_rank((p.exponents - p.exponents[0]).astype(float)) == 2:
            return p


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_the_curve_after_a_unimodular_change_of_coordinates(seed):
    """p3(x) = p2(B x) for B the first two rows of a unimodular U: T(p3) = B^{-1} T(p2)."""
    rng = np.random.default_rng(seed)
    p2 = _random_curve(rng)
    U = np.array([[1, 2, -1], [0, 1, 3], [1, 2, 0]])  # det 1
    assert round(np.linalg.det(U)) == 1
    B = U[:2]
    E3 = [list(np.array(a) @ B) for a in p2.exponents.tolist()]
    p3 = TropicalPolynomial([[int(v) for v in r] for r in E3], p2.coefficients.tolist(), variables="x y z")
    H2, H3 = p2.hypersurface(), p3.hypersurface()
    assert [len(H3.cells(k + 1)) for k in range(2)] == [len(H2.cells(k)) for k in range(2)]
    assert sorted(H3.weights()) == sorted(H2.weights())
    assert H3.is_smooth() == H2.is_smooth() and H3.is_balanced() and H2.is_balanced()
    (ell,) = H3.lineality().tolist()
    assert (B @ np.array(ell)).tolist() == [0, 0]
    assert sorted(tuple(B @ v) for v in H3.vertices()) == sorted(map(tuple, H2.vertices().tolist()))
    for r3 in H3.rays():
        image = B @ r3
        assert any(image[0] * r2[1] == image[1] * r2[0] and image @ r2 > 0 for r2 in H2.rays())
    # cell by cell: the same dual faces (in exponents of p2 mapped by B) with the same weights
    key3 = {tuple(sorted(c.dual)): c.weight for c in H3.maximal_cells()}
    key2 = {tuple(sorted(tuple(int(v) for v in np.array(d) @ B) for d in c.dual)): c.weight
            for c in H2.maximal_cells()}
    assert key3 == key2
    _check_points(H3)


def test_a_conic_in_r4_and_a_plane_sheet_in_r4():
    X, Y, Z, W = tropnet.variables("x y z w")
    conic = X**2 + Y**2 + 0 + (X * Y) * 1 + X * 1 + Y * 1
    H = conic.hypersurface()  # a smooth conic times R^2
    assert len(H.lineality()) == 2 and [len(H.cells(k)) for k in range(4)] == [0, 0, 4, 9]
    assert H.is_balanced() and H.is_smooth() and H.weights() == [1] * 9
    _check_points(H)
    S = (X**2 * Z + Y * W + 0).hypersurface()  # exponents span a plane of R^4 (not a coordinate one)
    assert [len(S.cells(k)) for k in range(4)] == [0, 0, 1, 3] and S.is_balanced()
    _check_points(S)


def test_the_lattice_chart_is_exact():
    chart = LatticeChart([[0, 0, 0], [2, 4, 0], [0, 0, 6]])  # lattice of the plane spanned: (1,2,0), (0,0,1)
    assert chart.rank == 2 and chart.lineality == [[-2, 1, 0]]
    assert chart.coordinates() == [[0, 0], [2, 0], [0, 6]]
    assert all(sum(a * b for a, b in zip(row, chart.lineality[0])) == 0 for row in chart.basis)
    assert chart.lift([1, 0]) == (Fraction(1, 5), Fraction(2, 5), 0)
    assert orthogonal_lattice([[1, 1]], 2) == [[1, -1]]
