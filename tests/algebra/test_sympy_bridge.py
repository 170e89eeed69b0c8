"""to_sympy / from_sympy: round trips and clear errors for what is not piecewise-linear."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial, TropicalRational, from_sympy

from .strategies import points, polynomials


@pytest.mark.parametrize("exact", [True, False])
def test_round_trip_polynomials(exact):
    @given(st.integers(1, 3).flatmap(lambda n: polynomials(n, exact, with_zero=False)))
    def check(p):
        back = from_sympy(p.to_sympy(), variables=p.variables)
        assert back == p
        assert back.is_exact == exact or not exact

    check()


def test_round_trip_without_variables_argument():
    rng = np.random.default_rng(0)
    for _ in range(20):
        E = rng.integers(-2, 4, size=(6, 3))
        E[0] = [1, 1, 1]                                # every variable appears
        c = [Fraction(int(v), 3) for v in rng.integers(-9, 9, size=6)]
        p = TropicalPolynomial(E, c)
        assert from_sympy(p.to_sympy()) == p


def test_round_trip_rationals():
    x, y = tropnet.variables("x y")
    r = (x * 2 + y + 0) / (x + y ** Fraction(1, 2))
    back = from_sympy(r.to_sympy(), variables=("x", "y"))
    assert isinstance(back, TropicalRational)
    assert back == r
    X = points(2, k=20, seed=3)
    assert back(X).tolist() == r(X).tolist()


def test_parses_min_abs_subtraction_and_scalars():
    x, y = sympy.symbols("x y")
    expr = sympy.Min(x, 2 * y, 0) + sympy.Abs(x - y) - sympy.Rational(1, 3) * sympy.Max(x, -y)
    f = from_sympy(expr)
    X = points(2, k=40, seed=5)
    for (a, b), v in zip(X, f(X)):
        exact = expr.subs({x: sympy.Rational(a), y: sympy.Rational(b)})
        assert v == Fraction(int(exact.p), int(exact.q))
    assert isinstance(from_sympy(sympy.Max(x, 0) + 1), TropicalPolynomial)
    assert isinstance(from_sympy(-x), TropicalPolynomial)        # a monomial with exponent -1
    assert from_sympy(sympy.Max(x, 0.5)).is_exact is False


def test_variable_order_is_natural():
    syms = sympy.symbols("x2 x10 x1")
    p = from_sympy(sympy.Max(*syms))
    assert p.variables == ("x1", "x2", "x10")


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda x, y: x * y, "x\\*y"),
        (lambda x, y: sympy.sin(x), "sin\\(x\\)"),
        (lambda x, y: sympy.Max(x, y) ** 2, "Max\\(x, y\\)\\*\\*2"),
        (lambda x, y: sympy.Max(x, 1) * sympy.Max(y, 0), "product of non-constant"),
        (lambda x, y: x + sympy.oo, "not a finite real"),
        (lambda x, y: sympy.I * x, "not a rational or floating-point number"),
        (lambda x, y: sympy.sqrt(2) * x, "not a rational or floating-point number"),
    ],
)
def test_not_piecewise_linear_raises(make, words):
    x, y = sympy.symbols("x y")
    with pytest.raises(ValueError, match=words):
        from_sympy(make(x, y))


def test_unknown_symbols_and_garbage():
    x, y = sympy.symbols("x y")
    with pytest.raises(ValueError, match="not among the variables"):
        from_sympy(x + y, variables=["x"])
    with pytest.raises(TypeError, match="needs a sympy expression"):
        from_sympy(object())
