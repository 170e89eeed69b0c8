"""Composition and partial evaluation, checked by exact evaluation at random rational points."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial, TropicalRational

from .strategies import points, small_fractions

exps = st.one_of(st.integers(-2, 3).map(Fraction), st.sampled_from([Fraction(1, 2), Fraction(-3, 2)]))


@st.composite
def poly(draw, n, names, conv, nonneg=False, max_terms=3):
    m = draw(st.integers(1, max_terms))
    e = st.integers(0, 3).map(Fraction) if nonneg else exps
    E = draw(st.lists(st.lists(e, min_size=n, max_size=n), min_size=m, max_size=m))
    c = draw(st.lists(small_fractions, min_size=m, max_size=m))
    return TropicalPolynomial(np.array(E, dtype=object).reshape(m, n), c, names, conv)


@st.composite
def func(draw, n, names, conv, nonneg=False):
    p = draw(poly(n, names, conv, nonneg))
    if nonneg or draw(st.booleans()):
        return p
    return p / draw(poly(n, names, conv))


@st.composite
def setups(draw):
    n, m = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    conv = draw(st.sampled_from(["max", "min"]))
    nonneg = draw(st.booleans())
    f = draw(func(n, tropnet.variables(n)[0].variables, conv, nonneg))
    names = tuple(f"y{k}" for k in range(m))
    qs = [draw(func(m, names, conv, nonneg)) for _ in range(n)]
    return f, qs, nonneg


@settings(max_examples=40, deadline=None)
@given(setups())
def test_composition_by_evaluation(setup):
    f, qs, nonneg = setup
    h = f.compose(*qs)
    assert h == f(*qs)
    if nonneg and isinstance(f, TropicalPolynomial):
        assert isinstance(h, TropicalPolynomial)   # nonnegative exponents into polynomials
    assert h.convention == f.convention and h.variables == qs[0].variables
    Y = points(qs[0].nvars, k=5, seed=len(qs))
    inner = np.stack([q.evaluate(Y) for q in qs], axis=1)
    assert h.evaluate(Y).tolist() == f.evaluate(inner).tolist()
    # partial evaluation of the first variable at a rational value
    v = Fraction(len(qs[0].variables) * 7 - 3, 4)
    g = f.partial(**{f.variables[0]: v})
    X = points(f.nvars, k=4, seed=3)
    for x in X:
        assert g(x[1:]) == f(np.concatenate([[v], x[1:]]))


def test_known_compositions():
    x, y = tropnet.variables("x y")
    s, t = tropnet.variables("s t")
    # a non-integer power of a polynomial: (1/2) max(s, t) = max(s/2, t/2), a polynomial
    w, = tropnet.variables("w")
    h = (w ** Fraction(1, 2))(s + t)
    assert isinstance(h, TropicalPolynomial) and str(h) == "max(1/2*s, 1/2*t)"
    # a negative power of a polynomial is a rational; of a monomial, a monomial
    assert isinstance((w ** -1 + 0)(s + t), TropicalRational)
    assert str((w ** -1 + 0)(s * t * 3)) == "max(-s - t - 3, 0)"
    # constants mix in; rationals compose into rationals
    assert str((x * y + 0)(s, 2)) == "max(0, s + 2)"
    r = (x + 0) / (y + 0)
    assert r(s, t) == (s + 0) / (t + 0)
    # composing with the identity gives the same function; the semiring operations commute
    p = x**2 + y * 3 + x * y
    assert p(x, y) == p
    assert (p + r)(s + t, t) == p(s + t, t) + r(s + t, t)
    # min-plus composes in min-plus
    u, = tropnet.variables("u", convention="min")
    a, b = tropnet.variables("a b", convention="min")
    assert str((u**2 + 1)(a + b)) == "min(1, 2*a, 2*b)"


def test_partial():
    x, y, z = tropnet.variables("x y z")
    p = x * y + z**2 + x ** -1 + 1
    q = p.partial(x=Fraction(1, 2), z=-1)
    assert q.variables == ("y",)
    for v in (Fraction(-3), Fraction(0), Fraction(7, 2)):
        assert q(v) == p([Fraction(1, 2), v, -1])
    c = p.partial(x=1, y=2, z=3)
    assert c.nvars == 0 and c([]) == p([1, 2, 3])
    r = (x + y) / (z + 0)
    assert r.partial(z=2)([1, 5]) == r([1, 5, 2])
    u, w = tropnet.variables("u w", convention="min")
    m = u * w + 0
    assert m.partial(u=3)(Fraction(-5)) == min(3 - 5, 0)
    assert p.partial(x=0.5).is_exact is False


def test_bad_input():
    x, y = tropnet.variables("x y")
    s, = tropnet.variables("s")
    t, = tropnet.variables("t")
    m, = tropnet.variables("m", convention="min")
    with pytest.raises(ValueError, match="2 arguments needed"):
        (x + y).compose(s)
    # arguments in different variables: the union, matched by name
    h = (x * y + 0)(s, t * 1)                  # max(s + t + 1, 0)
    assert h.variables == ("s", "t") and h([2, 3]) == 6
    with pytest.raises(ValueError, match="cannot combine a max-plus and a min-plus"):
        (x + y)(m, m)
    with pytest.raises(TypeError, match="numbers"):
        (x + y)(s, "a")
    with pytest.raises(ValueError, match=r"\['w'\] are not variables"):
        (x + y).partial(w=1)
    with pytest.raises(TypeError, match="one sequence"):
        (x + y)(1, 2)
