"""Composition and partial evaluation of tropical polynomials and rational functions.

``compose(f, q_1, ..., q_n)`` is the function ``y -> f(q_1(y), ..., q_n(y))``, exact and
simplified.  A monomial ``c + <a, x>`` becomes ``c + sum_k a_k q_k``; what that is depends on
the sign of ``a_k``:

* ``a_k >= 0`` (any real, integer or not): ``a_k q_k`` is the tropical power ``q_k^a_k``, again a
  polynomial, because ``max`` is positively homogeneous: ``a max_j u_j = max_j a u_j`` for
  ``a >= 0`` (its exponents are ``a`` times those of ``q_k``; tropnet's polynomials allow
  rational (Puiseux) exponents, so a non-integer ``a`` is no obstacle).
* ``a_k < 0``: ``a_k q_k = -|a_k| q_k`` is the tropical inverse of a power, a rational function,
  unless ``q_k`` is a monomial (then it is a monomial with negated exponents).

So substituting polynomials into a polynomial whose exponents are all nonnegative gives a
polynomial; otherwise the result is a :class:`~tropnet.TropicalRational` ``N - D``, built
exactly with one common denominator: writing ``q_k = N_k - D_k`` and ``a = a+ - a-``,
``c + sum_k a_k q_k = [c + sum_k (a+_k + B-_k - a-_k) N_k + (a-_k + B+_k - a+_k) D_k]
- [sum_k B-_k N_k + B+_k D_k]`` with ``B±_k = max_i a±_ik``; every multiplier is ``>= 0``.
A denominator that is a single monomial is divided out (the result is then a polynomial).
Min-plus objects compose in min-plus (the sign flip commutes with composition).

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> s, t = tropnet.variables("s t")
>>> print(compose(x * y + 0, s + t, t * 2))          # max(x + y, 0) at x = max(s, t), y = t + 2
max(0, s + t + 2, 2*t + 2)
>>> print((x ** -1 + y)(s + 0, t))                   # max(-x, y) at x = max(s, 0): a rational
max(0, t, s + t) - max(0, s)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._numbers import is_exact_scalar, to_exact, to_float
from .display import mixed_conventions
from .polynomial import TropicalPolynomial, union_names
from .rational import TropicalRational

__all__ = ["compose", "partial"]

Tropical = (TropicalPolynomial, TropicalRational)


def _monomial_inverse(p: TropicalPolynomial) -> TropicalPolynomial:
    """``-p`` for a single-monomial ``p`` (a monomial again)."""
    return TropicalPolynomial._from_arrays(-p._E, -p._c, p.variables, p.convention)


def _is_constant_zero(p: TropicalPolynomial) -> bool:
    return len(p) == 1 and not np.any(p.exponents != 0) and p.coefficients[0] == 0


def _result(num: TropicalPolynomial, den: TropicalPolynomial) -> TropicalPolynomial | TropicalRational:
    num, den = num.simplify(), den.simplify()
    if len(den) == 1:
        return (num * _monomial_inverse(den)).simplify()
    return TropicalRational(num, den)


def _compose_poly(f: TropicalPolynomial, parts: list[tuple[TropicalPolynomial, TropicalPolynomial | None]],
                  one: TropicalPolynomial) -> tuple[TropicalPolynomial, TropicalPolynomial]:
    """Max-plus ``f`` at ``q_k = N_k - D_k`` (``D_k`` None for a polynomial): (num, den)."""
    E = f._E
    zero_exp = 0 if f.is_exact else 0.0
    Ep = np.where(E > 0, E, zero_exp)  # a+
    Em = np.where(E < 0, -E, zero_exp)  # a-
    Bp = Ep.max(axis=0) if len(E) else Ep.sum(axis=0)
    Bm = Em.max(axis=0) if len(E) else Em.sum(axis=0)
    cache: dict[tuple[int, int, Any], TropicalPolynomial] = {}

    def power(k: int, which: int, e: Any) -> TropicalPolynomial | None:
        base = parts[k][which]
        if e == 0 or base is None:
            return None
        key = (k, which, e)
        if key not in cache:
            cache[key] = (base**e).simplify()
        return cache[key]

    terms = []
    for i in range(len(E)):
        term = one * f._c[i]
        for k in range(len(parts)):
            for which, e in ((0, Ep[i, k] + Bm[k] - Em[i, k]), (1, Em[i, k] + Bp[k] - Ep[i, k])):
                factor = power(k, which, e)
                if factor is not None:
                    term = (term * factor).simplify()
        terms.append(term)
    num = TropicalPolynomial.zero(one.nvars, one.variables) if not terms else terms[0]
    for term in terms[1:]:
        num = num + term
    den = one
    for k in range(len(parts)):
        for which, e in ((0, Bm[k]), (1, Bp[k])):
            factor = power(k, which, e)
            if factor is not None:
                den = den * factor
    return num, den


def _compose(f: Any, args: list[Any], one: TropicalPolynomial) -> TropicalPolynomial | TropicalRational:
    """``f`` at ``args`` (max-plus polynomials/rationals in the variables of ``one``)."""
    parts = []
    for q in args:
        if isinstance(q, TropicalRational):
            parts.append((q.numerator, None if _is_constant_zero(q.denominator) else q.denominator))
        else:
            parts.append((q, None))
    if isinstance(f, TropicalPolynomial):
        return _result(*_compose_poly(f, parts, one))
    n1, d1 = _compose_poly(f.numerator, parts, one)
    n2, d2 = _compose_poly(f.denominator, parts, one)
    return _result(n1 * d2, d1 * n2)   # (n1 - d1) - (n2 - d2)


def _number(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)) or not (
        isinstance(v, (numbers.Number, np.number)) or type(v).__module__.startswith("sympy")
    ):
        raise TypeError(f"compose takes tropical polynomials, rationals or numbers, got {v!r}")
    return to_exact(v, name="argument") if is_exact_scalar(v) else to_float(v, name="argument")


def compose(f: Any, *args: Any) -> TropicalPolynomial | TropicalRational:
    """``f(q_1, ..., q_n)``: substitute tropical polynomials, rationals or numbers (constants)
    for the ``n`` variables of the polynomial or rational ``f``.  The ``q_k`` that are tropical
    must share ``f``'s convention; the result is a function of the union of their variables,
    matched by name (:func:`~tropnet.algebra.polynomial.union_names`).

    >>> import tropnet
    >>> x, = tropnet.variables("x")
    >>> s, t = tropnet.variables("s t")
    >>> print(compose(x ** 2 + 1, s + t))               # max(2x, 1) at x = max(s, t)
    max(1, 2*s, 2*t)
    >>> from fractions import Fraction
    >>> print(compose(x ** Fraction(1, 2), s * 4))      # x/2 at x = s + 4
    1/2*s + 2
    """
    if not isinstance(f, Tropical):
        raise TypeError(f"compose needs a TropicalPolynomial or TropicalRational, got {type(f).__name__}")
    if len(args) != f.nvars:
        raise ValueError(f"compose: {f.nvars} arguments needed (one per variable of {f.variables}), "
                         f"got {len(args)}")
    tropical = [q for q in args if isinstance(q, Tropical)]
    if not tropical:
        raise TypeError("compose needs at least one tropical argument (numbers alone: evaluate f instead)")
    names = tropical[0].variables
    for q in tropical:
        if q.convention != f.convention:
            raise mixed_conventions(f.convention, q.convention)
        names = union_names(names, q.variables)
    exact = f.is_exact and all(q.is_exact for q in tropical)
    one = TropicalPolynomial.constant(0 if exact else 0.0, len(names), names)
    # work in max-plus: f_min(q_min(y)) = -F(Q(-y)), so the max-plus forms compose
    margs = []
    for q in args:
        if isinstance(q, Tropical):
            margs.append(q.with_variables(names).to_max_plus())
        else:
            v = _number(q)
            margs.append(one * (v if f.convention == "max" else -v))
    out = _compose(f.to_max_plus(), margs, one)
    return out if f.convention == "max" else out.to_min_plus()


def partial(f: Any, **values: Any) -> TropicalPolynomial | TropicalRational:
    """``f`` with some variables fixed by name: a function of the remaining ones (in order).

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> print(partial(x * y + x ** 2 + 1, x=3))           # max(3 + y, 6, 1)
    max(6, y + 3)
    >>> print(partial((x + y) / (y + 0), y=-1))          # max(x, -1) - max(-1, 0)
    max(-1, x)
    """
    if not isinstance(f, Tropical):
        raise TypeError(f"partial needs a TropicalPolynomial or TropicalRational, got {type(f).__name__}")
    unknown = [name for name in values if name not in f.variables]
    if unknown:
        raise ValueError(f"partial: {unknown} are not variables of this function {f.variables}")
    rest = tuple(v for v in f.variables if v not in values)
    fixed = {name: _number(v) for name, v in values.items()}
    exact = f.is_exact and all(is_exact_scalar(v) for v in values.values())
    one = TropicalPolynomial.constant(0 if exact else 0.0, len(rest), rest)
    gens = []
    for k in range(len(rest)):
        E = np.zeros((1, len(rest)), dtype=np.int64)
        E[0, k] = 1
        gens.append(TropicalPolynomial(E, [0], rest))
    gen = dict(zip(rest, gens))
    sign = 1 if f.convention == "max" else -1
    args = [gen[name] if name in gen else one * (sign * fixed[name]) for name in f.variables]
    out = _compose(f.to_max_plus(), args, one)
    return out if f.convention == "max" else out.to_min_plus()

