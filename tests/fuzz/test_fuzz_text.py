"""Fuzzing from_sympy's text path (issue 18): any text is read or refused with a ValueError or
TypeError -- never run, never another exception; generated valid expressions evaluate right."""

from __future__ import annotations

import builtins
from contextlib import contextmanager
from fractions import Fraction
from unittest import mock

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tropnet.algebra.text_parser  # noqa: F401 (imported before exec is patched)
from tropnet import from_sympy

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALPHABET = "xyz012345679.+-*/^(),_ eE'\"[]{}:;=!@#$%&|<>?\\`~\n\tMaxinbsAopt"
TOKENS = ["Max", "Min", "Abs", "max(", "min(", "(", ")", ",", "+", "-", "*", "/", "**", "x", "y", "1",
          "3/4", "1e16", "0.5", "oo", "nan", "__import__", "os", ".", "lambda", "'", "[", "]", " "]


def _refuse(*a, **k):
    raise AssertionError("text was evaluated")


def _guard(real):
    """exec/eval that refuse text and code compiled from text (``compile(..., "<string>")``), and
    let through what imports run (code objects of module files: sympy imports lazily)."""

    def run(source, *args, **kwargs):
        if isinstance(source, (str, bytes)) or source.co_filename.startswith("<"):
            raise AssertionError(f"text was evaluated: {source!r:.80}")
        return real(source, *args, **kwargs)

    return run


_real_sympify = sympy.sympify


def _strict_sympify(a, *args, **kwargs):
    """sympy calls sympify on its own objects internally; text must never reach it."""
    if isinstance(a, str):
        raise AssertionError(f"sympify({a!r}) was called")
    return _real_sympify(a, *args, **kwargs)


@contextmanager
def _no_code_runs():
    """eval, exec, sympify and parse_expr all fail while from_sympy reads the text."""
    with mock.patch.object(builtins, "eval", _guard(builtins.eval)), \
            mock.patch.object(builtins, "exec", _guard(builtins.exec)), \
            mock.patch.object(sympy, "sympify", _strict_sympify), mock.patch.object(sympy, "parse_expr", _refuse):
        yield


def _read(text: str) -> None:
    with _no_code_runs():
        try:
            from_sympy(text)
        except (ValueError, TypeError, ZeroDivisionError):
            pass


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_random_text_is_read_or_refused(text):
    _read(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_random_token_soup_is_read_or_refused(text):
    _read(text)


# ----------------------------------------------------------------------------- valid expressions
NAMES = ["x", "y", "z"]


@st.composite
def expressions(draw, depth: int = 3):
    """(text, evaluator) pairs of piecewise-linear expressions with exact constants."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            name = draw(st.sampled_from(NAMES))
            return name, (lambda env, name=name: env[name])
        q = Fraction(draw(st.integers(-9, 9)), draw(st.integers(1, 4)))
        text = f"({q.numerator}/{q.denominator})"
        return text, (lambda env, q=q: q)
    kind = draw(st.sampled_from(["max", "min", "abs", "add", "sub", "scale", "neg"]))
    a_text, a = draw(expressions(depth=depth - 1))
    if kind == "abs":
        return f"Abs({a_text})", (lambda env: abs(a(env)))
    if kind == "neg":
        return f"-({a_text})", (lambda env: -a(env))
    if kind == "scale":
        k = Fraction(draw(st.integers(-5, 5)), draw(st.integers(1, 3)))
        return f"{k.numerator}/{k.denominator}*({a_text})", (lambda env: k * a(env))
    b_text, b = draw(expressions(depth=depth - 1))
    if kind == "max":
        return f"Max({a_text}, {b_text})", (lambda env: max(a(env), b(env)))
    if kind == "min":
        return f"min({a_text}, {b_text})", (lambda env: min(a(env), b(env)))
    if kind == "add":
        return f"({a_text}) + ({b_text})", (lambda env: a(env) + b(env))
    return f"({a_text}) - ({b_text})", (lambda env: a(env) - b(env))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.lists(st.fractions(-5, 5, max_denominator=6), min_size=3, max_size=3))
def test_valid_text_evaluates_exactly(pair, values):
    text, evaluate = pair
    with _no_code_runs():
        f = from_sympy(text, variables=NAMES)
    env = dict(zip(NAMES, values))
    assert f(values) == evaluate(env)


def test_the_guard_catches_sympify_of_text():
    import pytest

    with _no_code_runs(), pytest.raises(AssertionError, match="evaluated"):
        sympy.parsing.sympy_parser.parse_expr("x + 1")


def test_min_with_a_monomial_denominator_keeps_it():
    """min(z, z + 1) = z: the Min's one-monomial denominator -z must not be dropped (it was read
    as the constant 0); found by test_valid_text_evaluates_exactly."""
    from fractions import Fraction

    import tropnet

    for text in ["Min(z, z + 1)", "Min((Max((0/1), (1/1))) + (z), z)", "Min(2*z, z + 3)"]:
        f = tropnet.from_sympy(text)
        for v in [-2, 0, 1, 5]:
            want = {"Min(2*z, z + 3)": min(2 * v, v + 3)}.get(text, min(v, v + 1))
            assert f([Fraction(v)]) == want, (text, v)
