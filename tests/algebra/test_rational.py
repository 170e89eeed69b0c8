"""TropicalRational and TropicalRationalMap."""

import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial, TropicalRational, TropicalRationalMap

from .strategies import points, polynomials


@st.composite
def rationals(draw, n, exact=True):
    return TropicalRational(draw(polynomials(n, exact)), draw(polynomials(n, exact, with_zero=False)))


@pytest.mark.parametrize("exact", [True, False])
def test_operations_agree_with_pointwise_arithmetic(exact):
    powers = st.sampled_from([Fraction(1, 2), 2, 0, -1, Fraction(-3, 2)])

    @given(rationals(2, exact), rationals(2, exact), powers)
    def check(r, s, a):
        X = points(2, k=12, seed=1, exact=exact)
        rv, sv = r(X), s(X)
        if exact:
            assert (r + s)(X).tolist() == [max(u, v) for u, v in zip(rv, sv)]
            assert (r * s)(X).tolist() == (rv + sv).tolist()
            if len(s.numerator):
                assert (r / s)(X).tolist() == (rv - sv).tolist()
            if len(r.numerator) or a >= 0:
                want = [a * u if u != -math.inf else (-math.inf if a > 0 else 0) for u in rv]
                assert (r**a)(X).tolist() == want
        else:
            finite = np.isfinite(rv.astype(float)) & np.isfinite(sv.astype(float))
            np.testing.assert_allclose((r * s)(X)[finite], (rv + sv)[finite], atol=1e-12)
            np.testing.assert_allclose((r + s)(X)[finite], np.maximum(rv, sv)[finite], atol=1e-12)
        assert r + s == s + r and r * s == s * r

    check()


def test_polynomial_division_and_negative_powers():
    x, y = tropnet.variables("x y")
    r = (x + 0) / (y + 0)
    assert isinstance(r, TropicalRational)
    assert r.numerator == x + 0 and r.denominator == y + 0
    assert r**-1 == (y + 0) / (x + 0)
    assert (r**-1)([3, 1]) == -2
    assert 1 / (x + 0) == TropicalRational(1, x + 0)
    assert r * (y + 0) == x + 0                          # p/q * q == p as functions
    assert r.num_monomials == 4
    assert TropicalRational(x + 0, 0).num_monomials == 2  # a trivial denominator counts as none


def test_equality_as_functions():
    x, = tropnet.variables("x")
    assert (x**2 + 0) / (x + 0) == TropicalRational(x**2 + 0, x + 0)
    absolute = TropicalPolynomial([[1], [-1]], [0, 0], "x")        # max(x, -x)
    assert (x**2 + 0) / x == absolute                               # max(2x, 0) - x
    assert absolute == (x**2 + 0) / x
    assert (x + 0) / (x + 0) == 0 and (x + 0) / (x + 0) != 1
    assert (x + 0) / (x + 0) == TropicalRational(x, x)


def test_bad_rationals():
    x, = tropnet.variables("x")
    y, z = tropnet.variables("y z")
    with pytest.raises(ValueError, match="tropical zero"):
        TropicalRational(x, TropicalPolynomial.zero(1))
    with pytest.raises(TypeError, match="at least one TropicalPolynomial"):
        TropicalRational(1, 2)
    # different variables are aligned by name (issue 18), not refused
    assert ((x / (x + 0)) + (y / (z + 0))).variables == ("x", "y", "z")
    with pytest.raises(ZeroDivisionError):
        (x / (x + 0)) / TropicalPolynomial.zero(1)


def test_map_basics():
    x, y = tropnet.variables("x y")
    f = TropicalRationalMap([x + 0, (x + y) / (y + 0), y * 2], monomials_before=[3, 9, 1])
    assert len(f) == 3 and f.nvars == 2 and f.variables == ("x", "y")
    assert isinstance(f[1], TropicalRational) and isinstance(f[0], TropicalRational)
    assert [str(r) for r in f] == ["max(0, x)", "max(x, y) - max(0, y)", "y + 2"]
    assert f.num_monomials == (2, 4, 1) == f.monomials_after
    assert f.monomials_before == (3, 9, 1)
    assert f[1:].monomials_before == (9, 1)
    X = points(2, k=10, seed=2)
    vals = f.evaluate(X)
    assert vals.shape == (10, 3)
    assert vals[:, 1].tolist() == f[1](X).tolist()
    assert f([1, 2]).tolist() == [1, 0, 4]
    assert f(np.array([1.0, 2.0])).dtype == np.float64
    assert f.to_sympy() == sympy.Matrix([sympy.Max(0, sympy.Symbol("x")), f[1].to_sympy(), f[2].to_sympy()])
    assert "3 outputs" in repr(f) and "before simplification [3, 9, 1]" in repr(f)
    assert pickle.loads(pickle.dumps(f)) == f
    assert f.simplify() == f
    with pytest.raises(AttributeError):
        f.foo = 1


def test_map_bad_input():
    x, = tropnet.variables("x")
    y, z = tropnet.variables("y z")
    with pytest.raises(ValueError, match="output 1 has 2 variables"):
        TropicalRationalMap([x, y])
    with pytest.raises(ValueError, match="at least one output"):
        TropicalRationalMap([])
    with pytest.raises(TypeError, match="holds TropicalRationals"):
        TropicalRationalMap([x, 3])
    with pytest.raises(ValueError, match="monomials_before has 1 entries for 2 outputs"):
        TropicalRationalMap([y, z], monomials_before=[1])
    with pytest.raises(ValueError, match="shape"):
        TropicalRationalMap([y, z]).evaluate(np.zeros((3, 3)))
