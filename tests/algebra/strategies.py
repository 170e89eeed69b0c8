"""Hypothesis strategies for small tropical polynomials (exact and float)."""

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from tropnet import TropicalPolynomial

small_fractions = st.builds(Fraction, st.integers(-6, 6), st.sampled_from([1, 2, 3, 4]))
# multiples of 1/8 in a small range: sums of a few stay exact in float64
dyadic_floats = st.integers(-48, 48).map(lambda k: k / 8.0)


@st.composite
def polynomials(draw, n: int, exact: bool = True, max_terms: int = 5, with_zero: bool = True):
    m = draw(st.integers(1 if not with_zero else 0, max_terms))
    exps = draw(st.lists(st.lists(st.integers(-2, 3), min_size=n, max_size=n), min_size=m, max_size=m))
    coeff = small_fractions if exact else dyadic_floats
    coefs = draw(st.lists(coeff, min_size=m, max_size=m))
    E = np.array(exps, dtype=np.int64).reshape(m, n)
    if not exact:
        E = E.astype(np.float64)
        return TropicalPolynomial(E, np.array(coefs, dtype=np.float64), None)
    return TropicalPolynomial(E, np.array(coefs, dtype=object), None)


def points(n: int, k: int = 6, seed: int = 0, exact: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    num = rng.integers(-20, 21, size=(k, n))
    if exact:
        return np.array([[Fraction(int(v), 3) for v in row] for row in num], dtype=object).reshape(k, n)
    return num / 3.0


def plane_curve(rng: np.random.Generator, degree: int, denominator: int, spread: int,
                convention: str = "max") -> TropicalPolynomial:
    """All lattice points of degree * Delta in x, y, coefficients k / denominator, -spread <= k < spread."""
    terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
    c = [Fraction(int(v), denominator) for v in rng.integers(-spread, spread, len(terms))]
    return TropicalPolynomial(np.array(terms, dtype=object), c, "x y", convention=convention)
