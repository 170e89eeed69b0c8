"""Conversion between tropical functions and sympy expressions built from ``Max``, ``Min``, ``+``.

``to_sympy`` writes ``max_i (c_i + <a_i, x>)`` as ``Max(c_1 + a_11*x + ..., ...)`` with
sympy Rationals (exact mode) or Floats, and a rational function as ``num - den``.
``from_sympy`` reads any expression made of Symbols, numbers, ``+``, ``-``, multiplication
by a number, ``Max``, ``Min`` and ``Abs``, i.e. every piecewise-linear expression of that shape,
by rewriting it as ``F - G`` with ``F``, ``G`` tropical polynomials:
``max_i (F_i - G_i) = max_i (F_i + sum_{j != i} G_j) - sum_j G_j`` and ``min(u, v) = -max(-u, -v)``.
A ``Min`` of terms ``f_i - m_i`` with monomials ``m_i`` becomes ``0 - max_i (m_i - f_i)``, which
subtracts no large equal terms (float ``Min(x, 1e16)`` stays accurate at ``x = -0.4``).
Rational and Integer constants stay exact; a Float makes the result float mode.
Strings are read by the strict parser :mod:`tropnet.algebra.text_parser`, never by sympy's
``sympify``/``parse_expr`` (which run code).

>>> import sympy
>>> x, y = sympy.symbols("x y")
>>> p = from_sympy(sympy.Max(0, x + 1, 2*y - sympy.Rational(3, 2)))
>>> print(p)
max(0, x + 1, 2*y - 3/2)
>>> print(from_sympy(sympy.Min(x, y)))      # min of monomials: -max(-x, -y), no cancellation
0 - max(-y, -x)
>>> from_sympy(p.to_sympy()) == p
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import to_exact, to_float
from ..kernels import poly as K
from .display import check_convention
from .names import check_names, natural_key
from .polynomial import TropicalPolynomial
from .rational import TropicalRational

__all__ = ["to_sympy", "from_sympy"]


def _sympy():
    import sympy

    return sympy


def _number(v: Any) -> Any:
    sympy = _sympy()
    if hasattr(v, "denominator") and not isinstance(v, float):
        return sympy.Rational(int(v.numerator), int(v.denominator))
    return sympy.Float(float(v))


def _poly_to_sympy(p: TropicalPolynomial) -> Any:
    sympy = _sympy()
    if len(p) == 0:
        return sympy.S.NegativeInfinity if p.convention == "max" else sympy.S.Infinity
    syms = [sympy.Symbol(name) for name in p.variables]
    terms = []
    for a, c in zip(p.exponents, p.coefficients):
        expr = _number(c)
        for ak, s in zip(a, syms):
            if ak != 0:
                expr = expr + _number(ak) * s
        terms.append(expr)
    # evaluate=False: sympy's pairwise simplification of Max is quadratic and slow (minutes for
    # a few hundred terms); the terms are already distinct monomials
    op = sympy.Max if p.convention == "max" else sympy.Min
    return terms[0] if len(terms) == 1 else op(*terms, evaluate=False)


def to_sympy(f: TropicalPolynomial | TropicalRational) -> Any:
    """The sympy expression of a TropicalPolynomial or TropicalRational.

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> to_sympy(x**2 + 1)
    Max(1, 2*x)
    """
    if isinstance(f, TropicalPolynomial):
        return _poly_to_sympy(f)
    if isinstance(f, TropicalRational):
        if f._den_is_one():
            return _poly_to_sympy(f.numerator)
        return _poly_to_sympy(f.numerator) - _poly_to_sympy(f.denominator)
    raise TypeError(f"to_sympy needs a TropicalPolynomial or TropicalRational, got {type(f).__name__}")


def _is_one(p: TropicalPolynomial) -> bool:
    return len(p) == 1 and not np.any(p.exponents != 0) and p.coefficients[0] == 0


def _sum_many(polys: list[TropicalPolynomial], names: tuple[str, ...]) -> TropicalPolynomial:
    """The tropical sum of many polynomials with one merge (float if any of them is float)."""
    exact = all(p.is_exact for p in polys)
    pairs = [(p.exponents, p.coefficients) if exact or not p.is_exact else K.to_float_poly(p.exponents,
             p.coefficients) for p in polys]
    E, c = K.normalize(np.concatenate([e for e, _ in pairs]), np.concatenate([c for _, c in pairs]))
    return TropicalPolynomial._from_arrays(E, c, names)


class _Parser:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.index = {name: k for k, name in enumerate(names)}
        self.n = len(names)

    def const(self, value: Any) -> TropicalPolynomial:
        return TropicalPolynomial.constant(value, self.n, self.names)

    def one(self) -> TropicalPolynomial:
        return self.const(0)

    def one_like(self, p: TropicalPolynomial) -> TropicalPolynomial:
        return self.const(0 if p.is_exact else 0.0)

    @staticmethod
    def reduce(F: TropicalPolynomial, G: TropicalPolynomial) -> tuple[TropicalPolynomial, TropicalPolynomial]:
        """Absorb a one-monomial denominator into the numerator (``F - (c + <a, x>)``)."""
        if len(G) == 1:
            a, c = G.exponents[0], G.coefficients[0]
            shift = TropicalPolynomial(-a.reshape(1, -1), [-c], G.variables, G.convention)
            zero = 0 if G.is_exact else 0.0
            return F * shift, TropicalPolynomial.constant(zero, G.nvars, G.variables, G.convention)
        return F, G

    def linear(self, e: Any) -> TropicalPolynomial | None:
        """The monomial ``c + <a, x>`` when ``e`` is an affine expression, else None."""
        sympy = _sympy()
        if not (e.is_Add or e.is_Mul or e.is_Symbol):
            return None
        terms = e.as_coefficients_dict()
        a = [0] * self.n
        const: Any = 0
        for key, coef in terms.items():
            if not (coef.is_Rational or coef.is_Float):
                return None
            value = to_exact(coef) if coef.is_Rational else to_float(coef, name=f"coefficient {coef}")
            if key is sympy.S.One:
                const = value
            elif key.is_Symbol:
                a[self.index[key.name]] = value
            else:
                return None
        return TropicalPolynomial([a], [const], self.names)

    def parse(self, e: Any) -> tuple[TropicalPolynomial, TropicalPolynomial]:
        sympy = _sympy()
        if e.is_number and not e.is_Number and not e.free_symbols:
            e = e.doit()  # an unevaluated Max/Min/Abs of numbers: its exact value
        mono = self.linear(e)
        if mono is not None:
            return mono, self.one()
        if e.is_Symbol:
            k = self.index[e.name]
            E = np.zeros((1, self.n), dtype=np.int64)
            E[0, k] = 1
            return TropicalPolynomial(E, [0], self.names), self.one()
        if e.is_Number:
            if e is sympy.S.NegativeInfinity:
                return TropicalPolynomial.zero(self.n, self.names), self.one()
            if e.is_Rational:
                return self.const(to_exact(e)), self.one()
            if e.is_Float:
                return self.const(to_float(e, name=f"constant {e}")), self.one()
            raise ValueError(f"from_sympy: the number {e} is not a finite real constant")
        if e.is_Add:
            F, G = self.one(), self.one()
            for arg in e.args:
                f, g = self.parse(arg)
                F, G = F * f, G * g
            return self.reduce(F, G)
        if e.is_Mul:
            numbers = [a for a in e.args if a.is_number]
            rest = [a for a in e.args if not a.is_number]
            if len(rest) != 1:
                raise ValueError(
                    f"from_sympy: {e} is a product of non-constant factors, which is not piecewise-linear"
                )
            k = sympy.Mul(*numbers)
            if not (k.is_Rational or k.is_Float):
                raise ValueError(
                    f"from_sympy: the factor {k} in {e} is not a rational or floating-point number"
                )
            scale = to_exact(k) if k.is_Rational else to_float(k, name=f"factor {k}")
            F, G = self.parse(rest[0])
            if scale < 0:
                F, G = G, F
                scale = -scale
            return self.reduce(F**scale, G**scale)
        if isinstance(e, sympy.Abs):
            return self.parse(sympy.Max(e.args[0], -e.args[0], evaluate=False))
        if isinstance(e, (sympy.Max, sympy.Min)):
            parts = [self.parse(a) for a in e.args]
            if isinstance(e, sympy.Min):
                parts = [(g, f) for f, g in parts]
                if all(len(g) == 1 for _, g in parts):
                    # min_i (f_i - m_i) with monomials m_i is -max_i (g_i - m_i): one polynomial
                    # denominator, no subtraction of large equal terms (min(x, 1e16) stays accurate)
                    den = _sum_many([self.reduce(f, g)[0] for f, g in parts], self.names)
                    return self.one_like(den), den
            elif all(_is_one(g) for _, g in parts):  # a plain max of polynomials: one merge
                return _sum_many([f for f, _ in parts], self.names), self.one()
            den = self.one()
            for _, g in parts:
                den = den * g
            num = TropicalPolynomial.zero(self.n, self.names)
            for i, (f, _) in enumerate(parts):
                term = f
                for j, (_, g) in enumerate(parts):
                    if j != i:
                        term = term * g
                num = num + term
            if isinstance(e, sympy.Min):
                num, den = den, num
            return self.reduce(num, den)
        raise ValueError(
            f"from_sympy: {e} (a sympy {type(e).__name__}) is not a piecewise-linear expression of "
            "Symbols, numbers, +, -, number * expr, Max, Min and Abs"
        )


def _as_expression(expr: Any) -> Any:
    """A sympy expression for ``expr`` without evaluating any text (no ``sympify``)."""
    sympy = _sympy()
    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, str):
        from .text_parser import parse_text

        return parse_text(expr)
    if isinstance(expr, (bool, np.bool_)) or expr is None:
        raise TypeError(f"from_sympy needs a sympy expression, a number or a string, got {expr!r}")
    if isinstance(expr, (int, np.integer)):
        return sympy.Integer(int(expr))
    if isinstance(expr, (float, np.floating)):
        return sympy.Float(float(expr))
    if isinstance(expr, Fraction):
        return sympy.Rational(expr.numerator, expr.denominator)
    raise TypeError(
        f"from_sympy needs a sympy expression, a number or a string, got a {type(expr).__name__}"
    )


def _negated_min_plus(p: TropicalPolynomial) -> TropicalPolynomial:
    """The min-plus polynomial of the function ``-p`` for a max-plus ``p``:
    ``-max_i (c_i + <a_i, x>) = min_i (-c_i + <-a_i, x>)``."""
    return TropicalPolynomial(-p.exponents, -p.coefficients, p.variables, convention="min")


def from_sympy(
    expr: Any, variables: Sequence[str] | str | None = None, convention: str = "max"
) -> TropicalPolynomial | TropicalRational:
    """Read a piecewise-linear sympy expression as a TropicalPolynomial or TropicalRational.

    Text is never evaluated: ``expr`` is a sympy expression, a number, or a string read by the
    strict parser :func:`tropnet.algebra.text_parser.parse_text` (``Max``, ``Min``, ``Abs``,
    ``+``, ``-``, ``*``, ``/`` by a number, numbers and names; nothing is run, unlike
    ``sympy.sympify`` and ``sympy.parse_expr``, which execute Python code).

    Parameters
    ----------
    expr : sympy expression, int, Fraction, float or str
    variables : names, optional
        The variables and their order (default: the expression's symbols in natural order,
        ``x2`` before ``x10``).  Must include every symbol of ``expr``.
    convention : {"max", "min"}
        The semiring of the result.  The function is the same either way; with ``"min"`` it is
        written as min-plus objects: ``F - G`` (max-plus) is ``(-G) - (-F)`` with the concave
        ``-G``, ``-F`` min-plus polynomials, so a min of affine terms comes back as a min-plus
        polynomial, and ``oo`` (the min-plus zero) is accepted.

    A TropicalPolynomial comes back when the expression is convex (concave for ``"min"``)
    piecewise-linear in the form found (the difference ``F - G`` has a one-monomial ``G``);
    otherwise a TropicalRational.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> print(from_sympy(2 * sympy.Max(x, 0) - x))
    max(-x, x)
    >>> print(from_sympy("Min(x, 1/2) + Abs(y)"))
    max(-y, y) - max(-x, -1/2)
    >>> from_sympy("__import__('os').system('echo PWNED')")
    Traceback (most recent call last):
    ...
    ValueError: cannot read text at column 12: unexpected character "'" ...
    >>> from_sympy(x * x)
    Traceback (most recent call last):
    ...
    ValueError: from_sympy: x**2 (a sympy Pow) is not a piecewise-linear expression of ...
    >>> print(from_sympy("Min(x, 1/2) + Abs(y)", convention="min"))   # the same function, min-plus
    min(1/2, x) - min(-y, y)
    >>> print(from_sympy("Min(0, x + 1, 2*x)", convention="min"))
    min(0, x + 1, 2*x)
    """
    conv = check_convention(convention)
    e = _as_expression(expr)
    try:
        found = sorted((s.name for s in e.free_symbols), key=natural_key)
    except RecursionError:
        raise ValueError("from_sympy: the expression is nested too deeply") from None
    if variables is None:
        names = tuple(found)
    else:
        names = check_names(variables, len(variables.replace(",", " ").split()) if isinstance(variables, str)
                             else len(tuple(variables)))
        missing = [s for s in found if s not in names]
        if missing:
            raise ValueError(f"from_sympy: symbols {missing} are not among the variables {names}")
    if conv == "min" and e is _sympy().S.Infinity:
        return TropicalPolynomial.zero(len(names), names, "min")
    try:
        parser = _Parser(names)
        F, G = parser.parse(e)
    except RecursionError:
        raise ValueError("from_sympy: the expression is nested too deeply") from None
    if conv == "min":
        if len(F) == 0:
            raise ValueError("from_sympy: -oo is the max-plus zero; a min-plus object cannot be -oo "
                             "(its zero is oo)")
        F, G = parser.reduce(_negated_min_plus(G), _negated_min_plus(F))
    F, G = parser.reduce(F, G)  # a one-monomial denominator (e.g. from a Min) goes into F
    if len(G) == 1:  # the constant 0
        return F
    return TropicalRational(F, G)
