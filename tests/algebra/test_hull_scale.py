"""Float hull decisions are scale-aware or exact (issue 18 item 4)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tropnet import TropicalPolynomial
from tropnet.kernels import hull


def test_simplify_keeps_a_monomial_that_wins_next_to_a_huge_exponent():
    p = TropicalPolynomial([[-4.0], [0.0], [1e11]], [-0.5, 0.0, -2.0])
    s = p.simplify()
    assert len(s) == 3                      # all three win: slopes -4, 0, 1e11 with a concave lift
    assert s(-0.4) == p(-0.4) == 1.1
    assert p.num_linear_regions() == 3


def _exact_count(E, c):
    Eq = np.array([[Fraction(float(v)) for v in row] for row in E], dtype=object)
    cq = np.array([Fraction(float(v)) for v in c], dtype=object)
    return TropicalPolynomial(Eq, cq).num_linear_regions(), len(TropicalPolynomial(Eq, cq).simplify())


def test_columns_of_wildly_different_scales_agree_with_the_dyadic_exact_answer():
    rng = np.random.default_rng(18)
    for _ in range(40):
        m, n = int(rng.integers(3, 8)), int(rng.integers(1, 4))
        E = rng.normal(size=(m, n)) * 10.0 ** rng.integers(-70, 12, size=(1, n))
        c = rng.normal(size=m) * 10.0 ** rng.integers(-3, 3)
        p = TropicalPolynomial(E, c)
        want_regions, want_monomials = _exact_count(E, c)
        assert p.num_linear_regions() == want_regions
        assert len(p.simplify()) == want_monomials


def test_float_vertices_match_cdd_on_the_stored_values():
    cdd = pytest.importorskip("cdd")
    pytest.importorskip("cdd.gmp")
    rng = np.random.default_rng(4)
    for _ in range(25):
        m, n = int(rng.integers(3, 8)), int(rng.integers(1, 3))
        A = rng.normal(size=(m, n)) * 10.0 ** rng.integers(-60, 12, size=(1, n))
        c = rng.normal(size=m)
        rows = [[1, *[Fraction(float(x)) for x in a], Fraction(float(ci))] for a, ci in zip(A, c)]
        rows.append([0] * (n + 1) + [-1])
        red = cdd.gmp.redundant_rows(cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR))
        want = [i for i in range(m) if i not in red]
        assert hull.upper_hull_vertices(A, c).tolist() == want


def test_polytope_vertices_with_a_tiny_column():
    A = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1e-67], [1.0, 1e-67], [0.5, 0.5e-67]])
    assert hull.polytope_vertices(A).tolist() == [0, 1, 2, 3]


def test_count_linear_regions_of_a_polynomial_agrees_with_num_linear_regions():
    import tropnet

    rng = np.random.default_rng(67)
    for _ in range(15):
        m, n = int(rng.integers(3, 7)), int(rng.integers(1, 3))
        E = rng.normal(size=(m, n)) * 10.0 ** rng.integers(-70, 3, size=(1, n))
        p = TropicalPolynomial(E, rng.normal(size=m))
        want = _exact_count(p.exponents, p.coefficients)[0]
        assert p.num_linear_regions() == want
        for kind in ("linear", "activation"):
            assert tropnet.count_linear_regions(p, kind=kind) == want
        assert tropnet.count_linear_regions(p, exact=True) == want
