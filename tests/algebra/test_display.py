"""str, LaTeX and the min-plus convention."""

from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import TropicalPolynomial


def test_str_matches_the_documented_form():
    x, y = tropnet.variables("x y")
    p = 0 + x * 1 + y**2 * Fraction(-3, 2)
    assert str(p) == "max(0, x + 1, 2*y - 3/2)"
    assert str(x * y ** Fraction(1, 2) * -2) == "x + 1/2*y - 2"
    assert str(TropicalPolynomial.zero(2)) == "-inf"
    assert str(x**0) == "0"
    assert str(TropicalPolynomial([[-1.5, 0]], [0.25])) == "-1.5*x0 + 0.25"
    assert repr(x + 0) == "TropicalPolynomial(max(0, x), nvars=2, exact)"


def test_latex_uses_tropical_notation():
    x, y = tropnet.variables("x y")
    p = 0 + x * 1 + y**2 * Fraction(-3, 2)
    assert p.to_latex() == r"0 \oplus 1 \odot x \oplus \left(-\tfrac{3}{2}\right) \odot y^{2}"
    assert p._repr_latex_().startswith("$") and p._repr_latex_().endswith("$")
    z = tropnet.variables(2)[1]
    assert (z ** Fraction(1, 2)).to_latex() == r"x_{1}^{\frac{1}{2}}"
    assert ((x + 0) / y).to_latex() == r"\left(0 \oplus x\right) \oslash \left(y\right)"


def test_min_plus_convention():
    x, y = tropnet.variables("x y")
    p = 0 + x * 1 + y**2 * Fraction(-3, 2)
    assert p.to_str("min") == "min(0, x - 1, 2*y + 3/2)"
    m = p.to_min_plus()
    E, c = m.exponents, m.coefficients
    q = TropicalPolynomial.from_min_plus(E, c, p.variables)
    assert q == p
    # q(x) = min_i(c_i + <a_i, x>) equals -p(-x)
    X = np.array([[Fraction(1, 3), Fraction(-2)], [Fraction(4), Fraction(1, 2)]], dtype=object)
    minplus = [min(ci + sum(a * v for a, v in zip(row, pt)) for row, ci in zip(E, c)) for pt in X]
    assert minplus == (-p(-X)).tolist()
    assert r"\oplus" in p.to_latex("min")
    with pytest.raises(ValueError, match="convention"):
        p.to_str("plus")
