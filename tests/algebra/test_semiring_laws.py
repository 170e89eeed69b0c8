"""Semiring axioms of (tropical polynomials, max, +) as hypothesis property tests.

Products and sums are compared as *normalized arrays* (identical monomial sets, not merely the
same function), and as functions by ``==``; both exact (Fraction) and float (dyadic data that
float64 adds without rounding) modes.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import TropicalPolynomial

from .strategies import polynomials


def same_arrays(p, q):
    return np.array_equal(p.exponents, q.exponents) and np.array_equal(p.coefficients, q.coefficients)


@st.composite
def triples(draw, exact):
    n = draw(st.integers(1, 3))
    return tuple(draw(polynomials(n, exact)) for _ in range(3))


@pytest.mark.parametrize("exact", [True, False])
def test_semiring_axioms(exact):
    @given(triples(exact))
    def check(pqr):
        p, q, r = pqr
        n = p.nvars
        zero = TropicalPolynomial.zero(n)
        one = TropicalPolynomial.constant(0 if exact else 0.0, n)
        # associativity and commutativity of both operations
        assert same_arrays((p + q) + r, p + (q + r))
        assert same_arrays((p * q) * r, p * (q * r))
        assert same_arrays(p + q, q + p)
        assert same_arrays(p * q, q * p)
        # distributivity (both sides have the same monomial multiset before merging)
        assert same_arrays(p * (q + r), p * q + p * r)
        assert same_arrays((q + r) * p, q * p + r * p)
        # identities, annihilation, idempotency
        assert same_arrays(p + zero, p)
        assert same_arrays(p * one, p)
        assert len(p * zero) == 0
        assert same_arrays(p + p, p)
        # the same laws as functions
        assert (p * (q + r)) == (p * q + p * r)
        assert (p + q) * r == r * (q + p)
        assert (p * q).is_exact == exact

    check()


@pytest.mark.parametrize("exact", [True, False])
def test_power_is_scaling(exact):
    @given(polynomials(2, exact, with_zero=False), st.integers(0, 4))
    def check(p, k):
        prod = TropicalPolynomial.constant(0 if exact else 0.0, 2)
        for _ in range(k):
            prod = prod * p
        # p**k is k*p as a function; the k-fold product has more (non-vertex) monomials
        assert p**k == prod
        assert len(p**k) == len(p) if k else len(p**k) == 1

    check()


def test_power_by_a_fraction_is_exact():
    from fractions import Fraction

    p = TropicalPolynomial([[1, 0], [0, 3]], [Fraction(1, 3), 2])
    h = p ** Fraction(1, 2)
    assert h.exponents.tolist() == [[Fraction(1, 2), 0], [0, Fraction(3, 2)]]
    assert h.coefficients.tolist() == [Fraction(1, 6), 1]
    assert h**2 == p


def test_float_laws_hold_as_functions_with_rounding():
    # non-dyadic floats: sums round differently by order, == tolerates EQ_RTOL
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q, r = (TropicalPolynomial(rng.integers(0, 3, size=(4, 2)).astype(float), rng.normal(size=4))
                   for _ in range(3))
        assert (p * q) * r == p * (q * r)
        assert p * (q + r) == p * q + p * r
        assert hash((p * q) * r) == hash(p * (q * r))
        assert p * q != (p * q) * 1e-9  # shifted by 1e-9: a different function
