"""Fuzzing the polynomial and network constructors (issue 18): any input gives a valid object
or a ValueError/TypeError naming the problem -- never another exception, never a silent NaN."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tropnet import Network, TropicalPolynomial, TropicalRational

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.integers(-10**30, 10**30),
    st.integers(-(10**400), 10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.fractions(max_denominator=10**6),
    st.complex_numbers(max_magnitude=10),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.sampled_from(["1/2", "-3", "x", "nan", "inf", ""]),
)
ragged = st.lists(st.lists(scalars, max_size=3), max_size=4)
arrays = st.one_of(ragged, st.lists(scalars, max_size=4), scalars)

OK = (ValueError, TypeError, ZeroDivisionError)


@FUZZ
@given(arrays, arrays, st.one_of(st.none(), st.text(max_size=6), st.lists(st.text(max_size=2), max_size=3)))
def test_polynomial_constructor(E, c, names):
    try:
        p = TropicalPolynomial(E, c, names)
    except OK:
        return
    assert p.exponents.ndim == 2 and len(p.coefficients) == len(p)
    if not p.is_exact:
        assert np.isfinite(p.exponents).all() and not np.isnan(p.coefficients).any()
    str(p)
    p.simplify()


@FUZZ
@given(arrays, arrays, arrays, arrays)
def test_rational_constructor(E1, c1, E2, c2):
    try:
        r = TropicalRational(TropicalPolynomial(E1, c1), TropicalPolynomial(E2, c2))
    except OK:
        return
    str(r)


@FUZZ
@given(st.lists(arrays, min_size=1, max_size=3), st.one_of(st.none(), st.lists(arrays, max_size=3)))
def test_network_from_arrays(weights, biases):
    try:
        net = Network.from_arrays(weights, biases)
    except OK:
        return
    x = np.zeros(net.input_dim)
    try:
        out = net(x)
    except ValueError as err:  # exact weights beyond float64 have no float forward pass...
        assert "float64 range" in str(err)
        out = net([0] * net.input_dim)  # ...but an exact one
    assert len(out) == net.output_dim


@FUZZ
@given(st.one_of(st.integers(-3, 5), st.floats(), st.text(max_size=3), st.booleans(), st.none()))
def test_network_input_dim(n):
    from tropnet import ReLU

    try:
        net = Network([ReLU()], input_dim=n)
    except OK:
        return
    assert isinstance(net.input_dim, int) and net.input_dim >= 1


@FUZZ
@given(st.lists(st.fractions(-4, 4, max_denominator=4), min_size=1, max_size=6),
       st.lists(st.integers(-3, 3), min_size=1, max_size=6))
def test_exact_polynomial_values_are_the_max(c, a):
    m = min(len(c), len(a))
    p = TropicalPolynomial([[v] for v in a[:m]], c[:m])
    for x in (Fraction(-2), Fraction(1, 3), Fraction(5)):
        assert p(x) == max(ci + ai * x for ci, ai in zip(c[:m], a[:m]))
