"""Text and LaTeX forms of tropical polynomials, in the max-plus or the min-plus convention.

The max-plus polynomial ``p(x) = max_i (c_i + <a_i, x>)`` corresponds to the min-plus
polynomial ``q(x) = min_i (-c_i + <a_i, x>)`` with ``q(x) = -p(-x)`` (the semiring isomorphism
``t -> -t``); ``convention="min"`` shows ``q``.  Terms are listed in the monomial order
(:func:`tropnet.kernels.poly.monomial_order`: by total degree, then with the earlier variables
first), which is also the order of a normalized polynomial's ``exponents``.

>>> import numpy as np
>>> from fractions import Fraction as F
>>> E = np.array([[0, 0], [1, 0], [0, 2]], dtype=object)
>>> c = np.array([F(0), F(1), F(-3, 2)], dtype=object)
>>> poly_str(E, c, ("x", "y"))
'max(0, x + 1, 2*y - 3/2)'
>>> poly_str(E, c, ("x", "y"), convention="min")
'min(0, x - 1, 2*y + 3/2)'
>>> poly_latex(E, c, ("x", "y"))
'0 \\\\oplus 1 \\\\odot x \\\\oplus \\\\left(-\\\\tfrac{3}{2}\\\\right) \\\\odot y^{2}'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels.poly import monomial_order  # the one monomial order (storage = display)

__all__ = [
    "check_convention",
    "mixed_conventions",
    "format_number",
    "linear_form",
    "poly_str",
    "poly_latex",
    "rational_str",
    "rational_latex",
]


def check_convention(convention: Any) -> str:
    """``"max"`` or ``"min"``, or a ValueError naming the bad value.

    >>> check_convention("min")
    'min'
    """
    if convention not in ("max", "min"):
        raise ValueError(f"convention must be 'max' or 'min', got {convention!r}")
    return convention


def mixed_conventions(a: str, b: str) -> ValueError:
    """The error for an operation between a max-plus and a min-plus object.

    >>> str(mixed_conventions("max", "min")).startswith("cannot combine a max-plus and a min-plus")
    True
    """
    return ValueError(
        f"cannot combine a {a}-plus and a {b}-plus object in one operation; convert one with "
        "to_max_plus() or to_min_plus() (the sign flip t -> -t)"
    )


def format_number(v: Any) -> str:
    """A short exact text form: ``3/2``, ``-2``, ``0.25`` (floats in up to 12 significant digits).

    >>> format_number(Fraction(-3, 2)), format_number(2.0), format_number(0.1)
    ('-3/2', '2', '0.1')
    """
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.12g}"


def _order(E: np.ndarray) -> list[int]:
    return monomial_order(np.asarray(E)).tolist()


def linear_form(a: Sequence[Any], const: Any, names: Sequence[str]) -> str:
    """The text of ``const + <a, x>``, e.g. ``x - 2*y + 1/2``.

    >>> linear_form([1, -2], Fraction(1, 2), ("x", "y"))
    'x - 2*y + 1/2'
    """
    parts: list[tuple[str, str]] = []  # (sign, magnitude text)
    for coef, name in zip(a, names):
        if coef == 0:
            continue
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        parts.append((sign, name if mag == 1 else f"{format_number(mag)}*{name}"))
    if const != 0 or not parts:
        parts.append(("-" if const < 0 else "+", format_number(abs(const))))
    first_sign, first = parts[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, mag in parts[1:]:
        text += f" {sign} {mag}"
    return text


def poly_str(E: np.ndarray, c: np.ndarray, names: Sequence[str], convention: str = "max") -> str:
    """``max(...)`` (or ``min(...)``) of the terms; one term prints bare; no term is ``-inf``.

    >>> poly_str(np.array([[1.0]]), np.array([0.5]), ("x",))
    'x + 0.5'
    """
    check_convention(convention)
    if len(c) == 0:
        return "-inf" if convention == "max" else "inf"
    sgn = 1 if convention == "max" else -1
    terms = [linear_form(list(E[i]), sgn * c[i], names) for i in _order(E)]
    if len(terms) == 1:
        return terms[0]
    return f"{convention}({', '.join(terms)})"


def _latex_name(name: str) -> str:
    m = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    return name


def _latex_number(v: Any, paren: bool) -> str:
    if isinstance(v, Fraction) and v.denominator != 1:
        body = f"\\tfrac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        text = ("-" if v < 0 else "") + body
    else:
        text = format_number(v)
    if paren and v < 0:
        return f"\\left({text}\\right)"
    return text


def _latex_term(a: Sequence[Any], const: Any, names: Sequence[str]) -> str:
    factors = []
    for coef, name in zip(a, names):
        if coef == 0:
            continue
        base = _latex_name(name)
        if coef == 1:
            factors.append(base)
        elif isinstance(coef, Fraction) and coef.denominator != 1:
            sign = "-" if coef < 0 else ""
            factors.append(f"{base}^{{{sign}\\frac{{{abs(coef.numerator)}}}{{{coef.denominator}}}}}")
        else:
            factors.append(f"{base}^{{{format_number(coef)}}}")
    if const != 0 or not factors:
        factors.insert(0, _latex_number(const, paren=bool(factors)))
    return " \\odot ".join(factors)


def poly_latex(E: np.ndarray, c: np.ndarray, names: Sequence[str], convention: str = "max") -> str:
    """Tropical notation: ``c \\odot x^{a} \\oplus ...`` (``\\oplus`` is max, or min for ``"min"``).

    >>> poly_latex(np.array([[0.0], [1.0]]), np.array([0.0, 0.0]), ("x0",))
    '0 \\\\oplus x_{0}'
    """
    check_convention(convention)
    if len(c) == 0:
        return "-\\infty" if convention == "max" else "\\infty"
    sgn = 1 if convention == "max" else -1
    return " \\oplus ".join(_latex_term(list(E[i]), sgn * c[i], names) for i in _order(E))


def rational_str(num: str, den: str, den_is_one: bool, den_terms: int) -> str:
    """``num - den`` from the two polynomial texts (the denominator bracketed when needed).

    >>> rational_str("max(0, x)", "max(0, y)", False, 2)
    'max(0, x) - max(0, y)'
    >>> rational_str("x", "y + 1", False, 1)
    'x - (y + 1)'
    """
    if den_is_one:
        return num
    if den_terms == 1 and (" " in den or den.startswith("-")):
        den = f"({den})"
    return f"{num} - {den}"


def rational_latex(num: str, den: str, den_is_one: bool) -> str:
    """``num \\oslash den`` (tropical division) from the two LaTeX texts.

    >>> rational_latex("0 \\\\oplus x", "y", False)
    '\\\\left(0 \\\\oplus x\\\\right) \\\\oslash \\\\left(y\\\\right)'
    """
    if den_is_one:
        return num
    return f"\\left({num}\\right) \\oslash \\left({den}\\right)"
