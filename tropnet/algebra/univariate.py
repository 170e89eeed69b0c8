"""Univariate tropical polynomials: roots, factorisation, interpolation.

A univariate max-plus polynomial ``p(x) = max_i (c_i + a_i x)`` is a convex piecewise-linear
function; its *roots* are the breakpoints of its graph and the *multiplicity* of a root is the
change of slope there (Maclagan-Sturmfels, Section 1.2).  Only the monomials on the upper hull
of the points ``(a_i, c_i)`` matter (the function equals its "least coefficient" form), so the
roots are read off consecutive hull vertices ``(a, c), (a', c')``: root ``(c - c') / (a' - a)``,
multiplicity ``a' - a``.  The function then splits into linear factors,

    p(x) = c_top + a_min x + sum_j m_j max(x, r_j)

(in tropical notation ``c_top ⊙ x^a_min ⊙ ⊙_j (x ⊕ r_j)^m_j``), the factorisation *of the
function*.  For a min-plus polynomial everything is mirrored (roots are where the min breaks,
factors are ``min(x, r_j)``).  Exponents may be rational (Puiseux); multiplicities are then
rational too.

>>> import tropnet
>>> x, = tropnet.variables("x")
>>> p = x**3 + x * 4 + 1                 # max(3x, x + 4, 1)
>>> roots(p)
[(Fraction(-3, 1), Fraction(1, 1)), (Fraction(2, 1), Fraction(2, 1))]
>>> print(factor(p))
max(x, -3) + 2*max(x, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .display import format_number, linear_form
from .polynomial import TropicalPolynomial

__all__ = ["roots", "factor", "interpolate", "TropicalFactorization"]


def _univariate(p: TropicalPolynomial, what: str) -> TropicalPolynomial:
    if not isinstance(p, TropicalPolynomial):
        raise TypeError(f"{what} needs a TropicalPolynomial, got {type(p).__name__}")
    if p.nvars != 1:
        raise ValueError(f"{what} needs a univariate polynomial; this one has {p.nvars} variables "
                         f"{p.variables}")
    if len(p) == 0:
        raise ValueError(f"{what}: the tropical zero polynomial has no finite breakpoints")
    return p


def _hull(p: TropicalPolynomial) -> tuple[list[Any], list[Any]]:
    """Exponents (ascending) and coefficients of the simplified max-plus form."""
    s = p.to_max_plus().simplify()
    order = sorted(range(len(s)), key=lambda i: s.exponents[i, 0])
    return [s.exponents[i, 0] for i in order], [s.coefficients[i] for i in order]


def roots(p: TropicalPolynomial) -> list[tuple[Any, Any]]:
    """Tropical roots of a univariate polynomial with multiplicities, ascending:
    ``[(root, multiplicity), ...]`` (exact for exact polynomials).

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> roots(x**2 + 0)                  # max(2x, 0) breaks at 0 with slope change 2
    [(Fraction(0, 1), Fraction(2, 1))]
    >>> u, = tropnet.variables("u", convention="min")
    >>> roots(u + 1)                     # min(u, 1)
    [(Fraction(1, 1), Fraction(1, 1))]
    """
    _univariate(p, "roots()")
    a, c = _hull(p)
    out = [((c[j] - c[j + 1]) / (a[j + 1] - a[j]), a[j + 1] - a[j]) for j in range(len(a) - 1)]
    if p.convention == "min":  # q(x) = -P(-x): breakpoints mirrored
        out = [(-r, m) for r, m in reversed(out)]
    return out


@dataclass(frozen=True)
class TropicalFactorization:
    """A univariate tropical polynomial split into linear factors:
    ``lead ⊙ ⊙_j (x ⊕ r_j)^m_j`` with ``lead`` a monomial, i.e. the function
    ``lead(x) + sum_j m_j max(x, r_j)`` (``min`` for min-plus).

    >>> import tropnet
    >>> f = factor(tropnet.variables("x")[0] ** 2 + 1)
    >>> f.factors, f(0), f.expand() == f.polynomial
    (((Fraction(1, 2), Fraction(2, 1)),), Fraction(1, 1), True)
    """

    lead: TropicalPolynomial
    factors: tuple[tuple[Any, Any], ...]
    polynomial: TropicalPolynomial

    def expand(self) -> TropicalPolynomial:
        """The product ``lead ⊙ ⊙_j (x ⊕ r_j)^m_j`` as a polynomial (equal to the original as
        functions, and to its simplified form after ``simplify()``).

        >>> import tropnet
        >>> x, = tropnet.variables("x")
        >>> print(factor(x**3 + x * 4 + 1).expand().simplify())
        max(1, x + 4, 3*x)
        """
        x = TropicalPolynomial([[1]], [0], self.lead.variables, self.lead.convention)
        if not self.lead.is_exact:
            x = x.to_float()
        out = self.lead
        for r, m in self.factors:
            out = out * (x + r) ** m
        return out

    def __call__(self, x: Any) -> Any:
        """The factored form evaluated at ``x`` (a number or an array of numbers).

        >>> import tropnet
        >>> factor(tropnet.variables("x")[0] + 1)(3)
        Fraction(3, 1)
        """
        arr = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
        pts = arr.reshape(-1, 1)
        best = np.maximum if self.lead.convention == "max" else np.minimum
        total = self.lead.evaluate(pts)
        for r, m in self.factors:
            total = total + m * best(pts[:, 0], r)
        return total[0] if arr.ndim == 0 else total.reshape(arr.shape)

    def __str__(self) -> str:
        name = self.lead.variables[0]
        a, c = self.lead.exponents[0, 0], self.lead.coefficients[0]
        parts = [] if a == 0 and c == 0 else [linear_form([a], c, (name,))]
        for r, m in self.factors:
            mult = "" if m == 1 else f"{format_number(m)}*"
            parts.append(f"{mult}{self.lead.convention}({name}, {format_number(r)})")
        return " + ".join(parts) if parts else "0"


def factor(p: TropicalPolynomial) -> TropicalFactorization:
    """The split form of a univariate polynomial: a leading monomial ``c ⊙ x^a`` (``a`` the
    smallest exponent, ``c`` the coefficient of the largest) times ``(x ⊕ r)^m`` over the
    roots.  Evaluating it gives ``p`` as a function.

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> f = factor(x**3 * 2 + x)         # max(3x + 2, x)
    >>> print(f)
    x + 2 + 2*max(x, -1)
    >>> f(5) == (x**3 * 2 + x)(5), f(-5) == (x**3 * 2 + x)(-5)
    (True, True)
    """
    _univariate(p, "factor()")
    a, c = _hull(p)
    top = c[-1] if p.convention == "max" else -c[-1]
    lead = TropicalPolynomial([[a[0]]], [top], p.variables, p.convention)
    if not p.is_exact:
        lead = lead.to_float()
    return TropicalFactorization(lead, tuple(roots(p)), p)


def interpolate(
    points: Sequence[Sequence[Any]], degree: int | None = None, variable: str = "x", convention: str = "max"
) -> TropicalPolynomial:
    """The greatest tropical polynomial ``max_{j<=d} (c_j + j x)`` of degree ``d`` (default: one
    less than the number of points) through the points ``(x_i, y_i)``: the principal solution of
    the tropical Vandermonde system ``max_j (c_j + j x_i) = y_i``.  It is greatest
    coefficientwise, hence pointwise; a ValueError names the failure when no polynomial of that
    degree passes through the points (e.g. a slope above ``d``, or a concave bend) or an ``x``
    repeats.  Min-plus: the least such ``min_j (c_j + j x)``.

    >>> print(interpolate([(-1, 0), (0, 1), (2, 5)]))
    max(0, x + 1, 2*x + 1)
    """
    from .matrix import TropicalMatrix

    pts = list(points)
    if not pts:
        raise ValueError("interpolate needs at least one point")
    if any(len(pt) != 2 for pt in pts):
        raise ValueError("interpolate needs (x, y) pairs")
    xs = [pt[0] for pt in pts]
    seen: dict[Any, int] = {}
    for i, v in enumerate(xs):
        if v in seen:
            raise ValueError(f"interpolate: x = {v} is repeated (points {seen[v]} and {i}); "
                             "a function takes one value there")
        seen[v] = i
    d = len(pts) - 1 if degree is None else int(degree)
    if d < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    V = np.array([[j * v for j in range(d + 1)] for v in xs], dtype=object)
    try:
        coef = TropicalMatrix(V, convention).solve([pt[1] for pt in pts])
    except ValueError as err:
        if "no solution" not in str(err):
            raise
        raise ValueError(f"no tropical polynomial of degree <= {d} ({convention}-plus) passes through "
                         "these points") from None
    return TropicalPolynomial(np.arange(d + 1).reshape(-1, 1), list(coef), variable, convention)
