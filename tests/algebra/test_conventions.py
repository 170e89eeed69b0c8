"""Min-plus as a first-class convention: arithmetic, evaluation, display, conversions, errors.

The independent check is the definition: a min-plus polynomial with rows (a_i, c_i) is the
function ``x -> min_i (c_i + <a_i, x>)``, evaluated here by a plain Python loop; and the sign
flip ``q(x) = -p(-x)`` relates it to the max-plus polynomial with coefficients ``-c_i``.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial, TropicalRational

from .strategies import points, small_fractions


@st.composite
def rows(draw, n, max_terms=4):
    m = draw(st.integers(1, max_terms))
    E = draw(st.lists(st.lists(st.integers(-2, 3), min_size=n, max_size=n), min_size=m, max_size=m))
    c = draw(st.lists(small_fractions, min_size=m, max_size=m))
    return E, c


def min_plus_value(E, c, x):
    return min(ci + sum(Fraction(a) * v for a, v in zip(row, x)) for row, ci in zip(E, c))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(rows(n), rows(n))))
def test_min_plus_arithmetic_is_min_and_plus(pair):
    (E1, c1), (E2, c2) = pair
    n = len(E1[0])
    q1 = TropicalPolynomial(E1, c1, convention="min")
    q2 = TropicalPolynomial(E2, c2, convention="min")
    for x in points(n, k=4, seed=len(E1)):
        v1, v2 = min_plus_value(E1, c1, x), min_plus_value(E2, c2, x)
        assert q1(x) == v1 and q2(x) == v2
        assert (q1 + q2)(x) == min(v1, v2)
        assert (q1 * q2)(x) == v1 + v2
        assert (q1**2)(x) == 2 * v1
        assert (q1 / q2)(x) == v1 - v2
        assert (q1 + 5)(x) == min(v1, 5)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(rows(n), rows(n))))
def test_sign_flip_relates_the_conventions(pair):
    (E1, c1), (E2, c2) = pair
    n = len(E1[0])
    p1, p2 = TropicalPolynomial(E1, c1), TropicalPolynomial(E2, c2)
    q1, q2 = p1.to_min_plus(), p2.to_min_plus()
    assert q1.convention == "min" and q1.to_max_plus() == p1
    # the flip is a semiring isomorphism: it commutes with + and *
    assert (p1 + p2).to_min_plus() == q1 + q2
    assert (p1 * p2).to_min_plus() == q1 * q2
    r = p1 / p2
    X = points(n, k=4, seed=n)
    for x in X:
        assert q1(x) == -p1(-x)
        assert r.to_min_plus()(x) == -r(-x)
    assert np.array_equal(q1.evaluate(X), -p1.evaluate(-X))
    # the min-plus coefficients are the negated max-plus ones
    assert list(q1.coefficients) == [-v for v in p1.coefficients]


def test_min_plus_display_zero_and_constants():
    x, y = tropnet.variables("x y", convention="min")
    q = x * y**2 + 1 + x
    assert str(q) == "min(1, x, x + 2*y)"
    assert q.to_str("max") == q.to_max_plus().to_str() == "max(-1, x, x + 2*y)"
    assert repr(q).endswith("min-plus)")
    assert r"\oplus" in q.to_latex()
    assert (q + float("inf")) == q  # +inf is the min-plus tropical zero
    z = TropicalPolynomial.zero(2, convention="min")
    assert z([0, 0]) == float("inf") and str(z) == "inf"
    assert TropicalPolynomial([[0]], [float("inf")], convention="min").num_monomials == 0
    r = (x + 0) / (y + 0)
    assert str(r) == "min(0, x) - min(0, y)" and r.convention == "min"
    assert r([3, -1]) == 1
    assert q.to_sympy() == __import__("sympy").sympify("Min(1, x, x + 2*y)")
    # the min-plus dual subdivision comes from the lower hull: 0, x, y lifted (0, 0, -1) in min-plus
    # is max-plus (0, 0, 1): one triangle either way; the region count is that of the max-plus form
    p = 0 + x + y
    assert p.num_linear_regions() == 3 and p.dual_subdivision() == [(0, 1, 2)]
    u, = tropnet.variables("u", convention="min")
    assert (u**2 + u + 0).simplify() == u**2 + 0   # min(0, u, 2u) = min(0, 2u)
    assert (u**2 + u * -5 + 0).simplify().num_monomials == 3


def test_mixing_conventions_is_a_clear_error():
    x, = tropnet.variables("x")
    u, = tropnet.variables("x", convention="min")
    for op in (lambda: x + u, lambda: x * u, lambda: u / x, lambda: TropicalRational(x, u),
               lambda: (x / 1) + (u / 1)):
        with pytest.raises(ValueError, match="cannot combine a m..-plus and a m..-plus"):
            op()
    assert (x == u) is False
    with pytest.raises(ValueError, match="convention"):
        tropnet.variables("x", convention="plus")
    with pytest.raises(ValueError, match="convention"):
        TropicalPolynomial([[1]], [0], convention="tropical")


def test_float_min_plus_and_pickle():
    import pickle

    q = TropicalPolynomial([[0.0], [1.5]], [2.0, -1.0], convention="min")
    assert not q.is_exact and q(2.0) == min(2.0, -1.0 + 3.0)
    assert pickle.loads(pickle.dumps(q)) == q and pickle.loads(pickle.dumps(q)).convention == "min"


# ---------------------------------------------------------------------------- maps and from_sympy
@settings(max_examples=12, deadline=None)
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(rows(n), rows(n), rows(n))))
def test_from_sympy_min_is_the_same_function_and_the_sign_flip_of_max(triple):
    import sympy

    (E1, c1), (E2, c2), (E3, c3) = triple
    n = len(E1[0])
    p1, p2, p3 = (TropicalPolynomial(E, c) for E, c in ((E1, c1), (E2, c2), (E3, c3)))
    e = p1.to_sympy() - p2.to_sympy() + sympy.Min(p3.to_sympy(), 0)
    r_max = tropnet.from_sympy(e, p1.variables)
    r_min = tropnet.from_sympy(e, p1.variables, convention="min")
    assert r_max.convention == "max" and r_min.convention == "min"
    syms = [sympy.Symbol(v) for v in p1.variables]
    flipped = -e.subs({s: -s for s in syms}, simultaneous=True)  # the function -f(-x)
    r_flip = tropnet.from_sympy(flipped, p1.variables)
    for x in points(n, k=3, seed=len(E2)):
        value = e.subs(dict(zip(syms, x)))
        assert r_max(x) == r_min(x) == value  # the same function, written in either semiring
        assert r_min.to_max_plus()(x) == r_flip(x) == -r_min(-x)


def test_from_sympy_min_reads_min_plus_text_back():
    import sympy

    u, v = tropnet.variables("u v", convention="min")
    q = u**2 + v * 3 + Fraction(1, 2)
    back = tropnet.from_sympy(q.to_sympy(), "u v", convention="min")
    assert isinstance(back, TropicalPolynomial) and back == q  # a min of affine terms: a polynomial
    assert tropnet.from_sympy(q.to_sympy(), "u v") != q  # max-plus: a rational 0 - max(...)
    assert str(tropnet.from_sympy("Max(x, 0)", convention="min")) == "0 - min(-x, 0)"  # max(x, 0)
    zero = tropnet.from_sympy(sympy.oo, "u v", convention="min")
    assert len(zero) == 0 and zero.convention == "min"
    with pytest.raises(ValueError, match="min-plus object cannot be -oo"):
        tropnet.from_sympy(-sympy.oo, "u", convention="min")
    with pytest.raises(ValueError, match="convention"):
        tropnet.from_sympy("x", convention="plus")
    fl = tropnet.from_sympy("Min(x, 0.5)", convention="min")
    assert not fl.is_exact and fl([1.0]) == 0.5


def test_rational_maps_carry_one_convention():
    x, y = tropnet.variables("x y")
    f = tropnet.TropicalRationalMap([x + y + 0, x / (y + 1)], monomials_before=[5, 4])
    g = f.to_min_plus()
    assert f.convention == "max" and g.convention == "min" and g.monomials_before == (5, 4)
    assert [r.convention for r in g] == ["min", "min"] and g.to_max_plus() == f and f.to_max_plus() is f
    for pt in points(2, k=5, seed=3):
        assert g(pt).tolist() == (-f(-pt)).tolist()  # the sign flip, output by output
    assert g.to_sympy()[0] == (x + y + 0).to_min_plus().to_sympy()
    with pytest.raises(ValueError, match="output 1 is min-plus and output 0 is max-plus"):
        tropnet.TropicalRationalMap([x + 0, (y + 0).to_min_plus()])
