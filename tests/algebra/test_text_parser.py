"""from_sympy never evaluates text (issue 18): strings go to a strict grammar parser."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

import tropnet
from tropnet import from_sympy
from tropnet.algebra.text_parser import MAX_DEPTH


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch PWNED')",
        "().__class__.__bases__[0].__subclasses__()",
        "exec('1')",
        "eval('x')",
        "lambda: 1",
        "x.__class__",
        "Max(x, y).func",
        "Symbol('x')",
        "[x for x in ()]",
        "x if 1 else y",
        "sin(x)",
        "x**2",
        "x ^ 2",
        "2x",
        "x y",
        "x/y",
        "x/0",
        "Max(x,)",
        "Abs(x, y)",
        "nan",
        "Max(x, nan)",
        "pi * x",
        "",
        "   ",
        "(x",
        "x)",
    ],
)
def test_text_that_is_not_a_pl_expression_is_refused_without_running_anything(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError):
        from_sympy(text)
    assert not (tmp_path / "PWNED").exists()


def test_sympify_is_never_called(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("sympify was called")

    monkeypatch.setattr(sympy, "sympify", boom)
    monkeypatch.setattr(sympy, "parse_expr", boom)
    assert str(from_sympy("Max(x, 0) + 1")) == "max(1, x + 1)"


def test_text_known_answers():
    x, y = tropnet.variables("x y")
    assert from_sympy("Max(x + 1, 2*y - 3/2, 0)") == tropnet.TropicalRational(x * 1 + y**2 * Fraction(-3, 2) + 0, 0)
    p = from_sympy("max(x, -y)/2 + 1/3")
    assert p([Fraction(2), Fraction(0)]) == Fraction(4, 3)
    f = from_sympy("min(x, y) - abs(x)")
    for pt in ([3, -1], [-2, 5], [Fraction(1, 2), Fraction(1, 3)]):
        a, b = (Fraction(v) for v in pt)
        assert f([a, b]) == min(a, b) - abs(a)
    assert from_sympy("Max(x, -oo)") == from_sympy("x")
    assert from_sympy("1.5 + x").is_exact is False  # a decimal is a float, as in sympy
    assert from_sympy("3/2 + x").is_exact is True


def test_text_round_trips_through_str_of_to_sympy():
    x, y = tropnet.variables("x y")
    for p in (x * 2 + y + Fraction(-1, 3), (x + 0) / (y + x**2 + 1)):
        assert from_sympy(str(p.to_sympy()), variables=("x", "y")) == p


def test_nesting_and_size_bounds():
    deep = "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="nested more than"):
        from_sympy(deep)
    with pytest.raises(ValueError, match="nested more than"):
        from_sympy("-" * 5000 + "x")
    with pytest.raises(ValueError, match="digits"):
        from_sympy("1" * 5000 + " + x")
    ok = "(" * 50 + "x" + ")" * 50
    assert str(from_sympy(ok)) == "x"


def test_deep_sympy_expression_is_a_clear_error():
    x = sympy.Symbol("x")
    e = x
    for _ in range(3000):
        e = sympy.Mul(-1, sympy.Add(e, 1, evaluate=False), evaluate=False)
    with pytest.raises(ValueError, match="nested too deeply"):
        from_sympy(e)


@pytest.mark.parametrize("bad", [None, True, object(), [1, 2], {"x": 1}, b"x"])
def test_non_expressions_are_a_type_error(bad):
    with pytest.raises(TypeError, match="needs a sympy expression"):
        from_sympy(bad)


def test_numbers_are_read_without_text():
    assert from_sympy(Fraction(1, 3)).coefficients.tolist() == [Fraction(1, 3)]
    assert from_sympy(0.5).is_exact is False


def test_nan_is_a_clear_error():
    x = sympy.Symbol("x")
    with pytest.raises(ValueError, match="not a finite real constant"):
        from_sympy(x + sympy.nan)


def test_min_with_huge_float_constant_is_accurate():
    # issue 18 item 5: min(x, 1e16) written as x + 1e16 - max(x, 1e16) evaluated to 0.0 at -0.4
    x = sympy.Symbol("x")
    f = from_sympy(sympy.Min(x, 1e16))
    assert f(-0.4) == -0.4
    assert f(2e16) == 1e16
    g = from_sympy(sympy.Min(x, -1e16, 3 * x + 5e15))
    for t in (-0.4, 0.0, 1e3):
        assert math.isclose(g(t), min(t, -1e16, 3 * t + 5e15), rel_tol=1e-15)
    h = from_sympy("min(x, 1e16) + min(y - 1e16, 2*x)")
    pt = np.array([-0.4, 3.0])
    assert abs(h(pt) - (2.6 - 1e16)) <= 2.0  # one ulp at 1e16
    assert from_sympy("min(x, 1e16) - 1e16")(-0.4) == -0.4 - 1e16
