"""Roots, factorisation and interpolation of univariate tropical polynomials."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial

from .strategies import small_fractions


def test_textbook_roots_by_hand():
    # max(3x, 4 + x, 1): 1 = 4 + x at x = -3 (slope 0 -> 1), 4 + x = 3x at x = 2 (slope 1 -> 3)
    x, = tropnet.variables("x")
    p = x**3 + x * 4 + 1
    assert p.roots() == [(-3, 1), (2, 2)]
    f = p.factor()
    assert str(f) == "max(x, -3) + 2*max(x, 2)"
    assert f.expand() == p
    # a monomial that never wins (x^2 + 0 lies below the hull of 1, x + 4, 3x) changes nothing
    assert (p + x**2).roots() == p.roots()
    # max(2x, 0) = 2 max(x, 0): a double root at 0
    assert (x**2 + 0).roots() == [(0, 2)]
    # a monomial has no roots; its factorisation is itself
    assert (x**2 * 3).roots() == [] and str((x**2 * 3).factor()) == "2*x + 3"
    # Puiseux exponents: max(x/2, 1) breaks at 2 with slope change 1/2
    assert (x ** Fraction(1, 2) + 1).roots() == [(2, Fraction(1, 2))]
    u, = tropnet.variables("u", convention="min")
    q = u**3 + u * 4 + 1   # min(3u, u + 4, 1): 3u = 1 at u = 1/3 (slope 3 -> 0); u + 4 never wins
    assert q.roots() == [(Fraction(1, 3), 3)]
    assert str(q.factor()) == "3*min(u, 1/3)"


@st.composite
def univariate(draw, exact=True):
    m = draw(st.integers(1, 6))
    E = draw(st.lists(st.integers(-3, 5), min_size=m, max_size=m))
    c = draw(st.lists(small_fractions if exact else st.integers(-40, 40).map(lambda k: k / 8), min_size=m,
                      max_size=m))
    conv = draw(st.sampled_from(["max", "min"]))
    return TropicalPolynomial(np.array(E).reshape(-1, 1), c, "x", conv)


@settings(max_examples=30, deadline=None)
@given(univariate())
def test_factored_form_equals_the_function(p):
    f = p.factor()
    xs = [Fraction(k, 3) for k in range(-30, 31, 2)] + [r for r, _ in p.roots()]
    for v in xs:
        assert f(v) == p(v)
    assert f.expand() == p
    rts = p.roots()
    assert [r for r, _ in rts] == sorted(r for r, _ in rts)
    E = p.simplify().exponents[:, 0]
    assert sum(m for _, m in rts) == E.max() - E.min()   # total multiplicity = degree span
    # the sign flip mirrors the roots
    flipped = (p.to_max_plus() if p.convention == "min" else p.to_min_plus()).roots()
    assert flipped == [(-r, m) for r, m in reversed(rts)]


def test_float_roots():
    p = TropicalPolynomial([[0.0], [1.0], [3.0]], [1.0, 4.0, 0.0])
    assert p.roots() == [(-3.0, 1.0), (2.0, 2.0)]
    assert p.factor()(0.5) == p(0.5)


def test_interpolation_textbook_and_greatest():
    p = TropicalPolynomial.interpolate([(-1, 0), (0, 1), (2, 5)])
    assert str(p) == "max(0, x + 1, 2*x + 1)"
    assert [p(v) for v in (-1, 0, 2)] == [0, 1, 5]
    # samples of max(3x, x + 4, 1) on both sides of each root: the greatest degree-3 interpolant
    # passes through them and dominates the polynomial's own coefficients (c_2 = -inf there)
    x, = tropnet.variables("x")
    q = x**3 + x * 4 + 1
    pts = [(v, q(v)) for v in (-5, -4, 0, 1, 3, 4)]
    r = TropicalPolynomial.interpolate(pts, degree=3)
    assert all(r(v) == y for v, y in pts)
    assert all(r(v) >= q(v) for v in range(-8, 9))
    # min-plus: the least interpolant
    s = TropicalPolynomial.interpolate([(1, 0), (0, -1), (-2, -5)], convention="min")
    assert s.convention == "min" and [s(v) for v in (1, 0, -2)] == [0, -1, -5]
    assert s == p.to_min_plus()          # the sign flip q(x) = -p(-x) of the max-plus example


def test_bad_input():
    x, y = tropnet.variables("x y")
    with pytest.raises(ValueError, match="univariate.*2 variables"):
        (x + y).roots()
    with pytest.raises(ValueError, match="univariate"):
        (x + y).factor()
    with pytest.raises(ValueError, match="tropical zero"):
        TropicalPolynomial.zero(1).roots()
    with pytest.raises(ValueError, match="x = 1 is repeated"):
        TropicalPolynomial.interpolate([(1, 0), (2, 3), (1, 2)])
    with pytest.raises(ValueError, match="no tropical polynomial of degree <= 2"):
        TropicalPolynomial.interpolate([(0, 0), (1, 1), (2, 4)])   # slope 3 > 2
    with pytest.raises(ValueError, match="no tropical polynomial"):
        TropicalPolynomial.interpolate([(0, 0), (1, 1), (2, 1)], degree=5)  # concave bend
