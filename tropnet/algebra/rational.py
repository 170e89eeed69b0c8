"""Tropical rational functions ``p - q`` and maps made of them (what a ReLU network computes).

``TropicalRational(p, q)`` is the function ``x -> p(x) - q(x)`` (tropical quotient ``p ⊘ q``)
of two tropical polynomials.  Operators: ``+`` is max, ``*`` ordinary addition, ``/``
subtraction, ``** a`` multiplication by any real ``a`` (a negative power swaps numerator and
denominator).  Numerator and denominator share one convention (max-plus, or min-plus, where
``p ⊘ q`` is still ``p(x) - q(x)`` of the two min-plus polynomials).
``TropicalRationalMap`` is an immutable sequence of them, one per output.

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> r = (x + 0) / (y + 0)                      # max(x, 0) - max(y, 0)
>>> print(r)
max(0, x) - max(0, y)
>>> r([3, 1])
Fraction(2, 1)
>>> print(r ** -1)
max(0, y) - max(0, x)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .._numbers import is_exact_scalar, to_exact, to_float
from . import display
from .arrays import as_points
from .polynomial import (  # noqa: F401 (doctests)
    TropicalPolynomial,
    _is_tropical,
    union_names,
    variables,
)

__all__ = ["TropicalRational", "TropicalRationalMap"]


class TropicalRational:
    """The function ``numerator(x) - denominator(x)`` (immutable).

    Parameters
    ----------
    numerator, denominator : TropicalPolynomial or number
        Numbers are tropical constants; at least one argument must be a polynomial (to fix
        the number of variables).  The denominator must not be the tropical zero.

    >>> x, = variables("x")
    >>> r = TropicalRational(x**2 + 0, x)
    >>> r.num_monomials, r(-1)
    (3, Fraction(1, 1))
    """

    __slots__ = ("_num", "_den")

    def __init__(self, numerator: Any, denominator: Any = 0) -> None:
        if isinstance(numerator, TropicalRational) or isinstance(denominator, TropicalRational):
            raise TypeError("TropicalRational takes two polynomials; divide rationals with `/` instead")
        if isinstance(numerator, TropicalPolynomial):
            pair = numerator._pair(denominator)  # aligned by variable name
            num, den = pair if pair is not None else (numerator, None)
        elif isinstance(denominator, TropicalPolynomial):
            pair = denominator._pair(numerator)
            den, num = pair if pair is not None else (denominator, None)
        else:
            raise TypeError(
                "TropicalRational needs at least one TropicalPolynomial (numbers alone do not say "
                f"how many variables); got {type(numerator).__name__} and {type(denominator).__name__}"
            )
        if num is None or den is None:
            bad = numerator if num is None else denominator
            raise TypeError(f"cannot use {bad!r} (type {type(bad).__name__}) as a tropical polynomial")
        if len(den) == 0:
            raise ValueError("the denominator of a TropicalRational is the tropical zero (-inf)")
        object.__setattr__(self, "_num", num)
        object.__setattr__(self, "_den", den)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TropicalRational is immutable")

    def __reduce__(self):
        return (TropicalRational, (self._num, self._den))

    # ------------------------------------------------------------------ attributes
    @property
    def numerator(self) -> TropicalPolynomial:
        """The polynomial p of ``p - q``.

        >>> x, = variables("x")
        >>> print((x / (x + 0)).numerator)
        x
        """
        return self._num

    @property
    def denominator(self) -> TropicalPolynomial:
        """The polynomial q of ``p - q``.

        >>> x, = variables("x")
        >>> print((x / (x + 0)).denominator)
        max(0, x)
        """
        return self._den

    @property
    def nvars(self) -> int:
        """Number of variables.

        >>> (variables("x y")[0] / 1).nvars
        2
        """
        return self._num.nvars

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names (those of the numerator).

        >>> (variables("x y")[0] / 1).variables
        ('x', 'y')
        """
        return self._num.variables

    @property
    def convention(self) -> str:
        """``"max"`` or ``"min"`` (that of numerator and denominator).

        >>> x, = variables("x", convention="min")
        >>> (x / (x + 0)).convention
        'min'
        """
        return self._num.convention

    def to_max_plus(self) -> TropicalRational:
        """The max-plus ``r'(x) = -r(-x)`` of a min-plus ``r`` (``self`` if max-plus).

        >>> x, = variables("x", convention="min")
        >>> print((x / (x + 0)).to_max_plus())
        x - max(0, x)
        """
        if self.convention == "max":
            return self
        return TropicalRational(self._num.to_max_plus(), self._den.to_max_plus())

    def to_min_plus(self) -> TropicalRational:
        """The min-plus ``r'(x) = -r(-x)`` of a max-plus ``r`` (``self`` if min-plus).

        >>> x, = variables("x")
        >>> r = (x + 1) / x
        >>> r.to_min_plus()(2) == -r(-2)
        True
        """
        if self.convention == "min":
            return self
        return TropicalRational(self._num.to_min_plus(), self._den.to_min_plus())

    @property
    def is_exact(self) -> bool:
        """True when numerator and denominator are both exact.

        >>> x, = variables("x")
        >>> (x / (x + 0.5)).is_exact
        False
        """
        return self._num.is_exact and self._den.is_exact

    @property
    def num_monomials(self) -> int:
        """Monomials of the numerator plus those of the denominator (a denominator equal to the
        constant 0, i.e. a polynomial, counts as none).

        >>> x, = variables("x")
        >>> (x / (x + 0)).num_monomials, TropicalRational(x + 0, 0).num_monomials
        (3, 2)
        """
        return len(self._num) + (0 if self._den_is_one() else len(self._den))

    # ------------------------------------------------------------------ arithmetic
    def with_variables(self, names: Any) -> TropicalRational:
        """The same function written in the variables ``names`` (a superset of :attr:`variables`).

        >>> x, = variables("x")
        >>> (x / (x + 0)).with_variables("x y").variables
        ('x', 'y')
        """
        return TropicalRational(self._num.with_variables(names), self._den.with_variables(names))

    def _pair(self, other: Any) -> tuple[TropicalRational, TropicalRational] | None:
        """``(self, other)`` in the same variables, aligned by NAME (see ``union_names``)."""
        if isinstance(other, TropicalRational):
            if other.convention != self.convention:
                raise display.mixed_conventions(self.convention, other.convention)
            names = union_names(self.variables, other.variables)
            return self.with_variables(names), other.with_variables(names)
        pair = self._num._pair(other)
        if pair is None:
            return None
        return self.with_variables(pair[0].variables), TropicalRational(pair[1], 0)

    def _coerce(self, other: Any) -> TropicalRational | None:
        pair = self._pair(other)
        return None if pair is None else pair[1].with_variables(self.variables)

    def __add__(self, other: Any) -> TropicalRational:
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        a, o = pair
        # max(p1 - q1, p2 - q2) = max(p1 + q2, p2 + q1) - (q1 + q2)
        return TropicalRational(a._num * o._den + o._num * a._den, a._den * o._den)

    __radd__ = __add__

    def __mul__(self, other: Any) -> TropicalRational:
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        a, o = pair
        return TropicalRational(a._num * o._num, a._den * o._den)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> TropicalRational:
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        a, o = pair
        if len(o._num) == 0:
            raise ZeroDivisionError("division by the tropical zero (-inf)")
        return TropicalRational(a._num * o._den, a._den * o._num)

    def __rtruediv__(self, other: Any) -> TropicalRational:
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        return pair[1] / pair[0]

    def __pow__(self, a: Any) -> TropicalRational:
        if isinstance(a, (bool, np.bool_)) or not (
            isinstance(a, (numbers.Number, np.number)) or type(a).__module__.startswith("sympy")
        ):
            raise TypeError(f"tropical power needs a real exponent, got {a!r}")
        value = to_exact(a, name="power") if is_exact_scalar(a) else to_float(a, name="power")
        if value < 0:
            if len(self._num) == 0:
                raise ZeroDivisionError("negative power of the tropical zero")
            return TropicalRational(self._den ** (-value), self._num ** (-value))
        return TropicalRational(self._num**value, self._den**value)

    # ------------------------------------------------------------------ evaluation
    def __call__(self, *args: Any) -> Any:
        """Value at one point (shape (n,)) or at many (shape (k, n)); with tropical arguments,
        the composition (:meth:`compose`).

        >>> x, y = variables("x y")
        >>> ((x + y) / (x + 0))(np.array([[1.0, 2.0]])).tolist()
        [1.0]
        """
        if any(_is_tropical(a) for a in args):
            return self.compose(*args)
        if len(args) != 1:
            raise TypeError(f"evaluate at one point: pass its {self.nvars} coordinates as one sequence "
                            f"(got {len(args)} arguments)")
        return self._num(args[0]) - self._den(args[0])

    def compose(self, *args: Any) -> Any:
        """``r(q_1, ..., q_n)``: substitution of tropical polynomials, rationals or numbers
        (:func:`.compose.compose`).

        >>> x, = variables("x")
        >>> s, = variables("s")
        >>> print((x / (x + 0)).compose(s * -1))          # x - max(x, 0) at x = s - 1
        s - 1 - max(0, s - 1)
        """
        from .compose import compose

        return compose(self, *args)

    def partial(self, **values: Any) -> Any:
        """Fix some variables by name (:func:`.compose.partial`).

        >>> x, y = variables("x y")
        >>> print(((x + 0) / (y + 0)).partial(y=1))
        max(-1, x - 1)
        """
        from .compose import partial

        return partial(self, **values)

    def evaluate(self, points: Any) -> np.ndarray:
        """Values at the rows of ``points`` (k, n) -> (k,).

        >>> x, = variables("x")
        >>> (x / (x + 0)).evaluate([[1], [-1]]).tolist()
        [Fraction(0, 1), Fraction(-1, 1)]
        """
        pts = as_points(points, self.nvars)
        return self._num.evaluate(pts) - self._den.evaluate(pts)

    # ------------------------------------------------------------------ simplification, equality
    def hypersurfaces(self) -> tuple[Any, Any]:
        """The tropical hypersurfaces of the numerator and the denominator.

        The non-linearity locus of ``g - h`` lies in their union; the zero set ``{g = h}`` (a
        network's decision boundary, away from where ``f`` vanishes on an open set) lies in
        the hypersurface of ``g + h`` (the tropical sum, Zhang, Naitzat & Lim 2018, Sect. 6).

        >>> x, y = variables("x y")
        >>> Hg, Hh = ((x + y + 0) / (x * y + x + 1)).hypersurfaces()
        >>> len(Hg.vertices()), len(Hh.vertices())
        (1, 1)
        """
        return self._num.hypersurface(), self._den.hypersurface()

    def simplify(self) -> TropicalRational:
        """Numerator and denominator simplified separately (same function; no cancellation).

        >>> x, = variables("x")
        >>> (( x**2 + x + 0) / (x + 0)).simplify().num_monomials
        4
        """
        return TropicalRational(self._num.simplify(), self._den.simplify())

    def __eq__(self, other: Any) -> bool:
        """Equality as functions: ``p1 - q1 == p2 - q2`` iff ``p1 + q2 == p2 + q1``.

        >>> x, = variables("x")
        >>> (x**2 + 0) / x == TropicalPolynomial([[1], [-1]], [0, 0], "x")    # max(x, -x)
        True
        """
        try:
            pair = self._pair(other)
        except ValueError:  # mixed conventions
            return False
        if pair is None:
            return NotImplemented
        a, o = pair
        return a._num * o._den == o._num * a._den

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]  # equal functions need no equal representation

    # ------------------------------------------------------------------ conversion / display
    def to_sympy(self) -> Any:
        """``numerator.to_sympy() - denominator.to_sympy()``.

        >>> x, y = variables("x y")
        >>> (x / (y + 0)).to_sympy()
        x - Max(0, y)
        """
        from .sympy_bridge import to_sympy

        return to_sympy(self)

    def _den_is_one(self) -> bool:
        d = self._den
        return len(d) == 1 and not np.any(d.exponents != 0) and d.coefficients[0] == 0

    def to_str(self, convention: str | None = None) -> str:
        """Text ``num - den`` (``convention="min"`` on a max-plus ``r`` shows ``-r(-x)`` in min-plus form).

        >>> x, = variables("x")
        >>> (x / (x + 0)).to_str("min")
        'x - min(0, x)'
        """
        return display.rational_str(
            self._num.to_str(convention), self._den.to_str(convention), self._den_is_one(), len(self._den)
        )

    def to_latex(self, convention: str | None = None) -> str:
        """LaTeX ``(num) \\oslash (den)`` in tropical notation.

        >>> x, = variables("x")
        >>> (x / (x + 0)).to_latex()
        '\\\\left(x\\\\right) \\\\oslash \\\\left(0 \\\\oplus x\\\\right)'
        """
        return display.rational_latex(
            self._num.to_latex(convention), self._den.to_latex(convention), self._den_is_one()
        )

    def _repr_latex_(self) -> str:
        if self.num_monomials > 40:
            return (f"$\\left({self._num._repr_latex_()[1:].split('$')[0]}\\right) \\oslash "
                    f"\\left({self._den._repr_latex_()[1:].split('$')[0]}\\right)$ "
                    f"({self.num_monomials} monomials)")
        return f"${self.to_latex()}$"

    def __str__(self) -> str:
        return self.to_str()

    def __repr__(self) -> str:
        text = str(self)
        if len(text) > 200:
            text = f"{text[:150]}... ({self.num_monomials} monomials)"
        conv = ", min-plus" if self.convention == "min" else ""
        return f"TropicalRational({text}, nvars={self.nvars}{conv})"


def _as_rational(r: Any) -> TropicalRational:
    if isinstance(r, TropicalRational):
        return r
    if isinstance(r, TropicalPolynomial):
        return TropicalRational(r, 0)
    raise TypeError(
        f"a TropicalRationalMap holds TropicalRationals or TropicalPolynomials, got {type(r).__name__}"
    )


def _as_count_list(values: Any, m: int, name: str) -> tuple[int, ...] | None:
    if values is None:
        return None
    out = tuple(int(v) for v in values)
    if len(out) != m:
        raise ValueError(f"{name} has {len(out)} entries for {m} outputs")
    return out


class TropicalRationalMap(Sequence):
    """An immutable sequence of tropical rational functions of the same variables, one per output.

    ``monomials_before`` (optional, one count per output) records how many monomials a
    compiler had before simplification; ``monomials_after`` is then the current
    ``num_monomials``.

    The outputs share one convention (:attr:`convention`, taken from them as
    :class:`TropicalRational` takes it from its polynomials): a map of min-plus outputs is a
    min-plus map, and :meth:`to_max_plus` / :meth:`to_min_plus` convert it by the sign flip
    ``f'(x) = -f(-x)``.  Max-plus and min-plus outputs never mix in one map.

    >>> x, y = variables("x y")
    >>> f = TropicalRationalMap([x + 0, (x + y) / (y + 0)], monomials_before=[2, 5])
    >>> len(f), f([1, 2]).tolist(), f.monomials_after
    (2, [Fraction(1, 1), Fraction(0, 1)], (2, 4))
    >>> u, v = variables("u v", convention="min")
    >>> print(TropicalRationalMap([u + v, u / (v + 1)]))
    [0] min(u, v)
    [1] u - min(1, v)
    """

    __slots__ = ("_items", "_before")

    def __init__(self, rationals: Iterable[Any], monomials_before: Iterable[int] | None = None) -> None:
        items = tuple(_as_rational(r) for r in rationals)
        if not items:
            raise ValueError("a TropicalRationalMap needs at least one output")
        n, conv = items[0].nvars, items[0].convention
        for k, r in enumerate(items):
            if r.nvars != n:
                raise ValueError(f"output {k} has {r.nvars} variables, output 0 has {n}")
            if r.convention != conv:
                raise ValueError(
                    f"output {k} is {r.convention}-plus and output 0 is {conv}-plus: a TropicalRationalMap "
                    "has one convention; convert with to_max_plus() or to_min_plus() (the sign flip t -> -t)"
                )
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_before", _as_count_list(monomials_before, len(items), "monomials_before"))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TropicalRationalMap is immutable")

    def __reduce__(self):
        return (TropicalRationalMap, (self._items, self._before))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            before = self._before[k] if self._before is not None else None
            return TropicalRationalMap(self._items[k], before)
        return self._items[k]

    def __iter__(self) -> Iterator[TropicalRational]:
        return iter(self._items)

    @property
    def nvars(self) -> int:
        """Number of input variables.

        >>> TropicalRationalMap(variables("x y")).nvars
        2
        """
        return self._items[0].nvars

    @property
    def variables(self) -> tuple[str, ...]:
        """Input variable names.

        >>> TropicalRationalMap(variables("x y")).variables
        ('x', 'y')
        """
        return self._items[0].variables

    @property
    def is_exact(self) -> bool:
        """True when every output is exact.

        >>> TropicalRationalMap(variables("x y")).is_exact
        True
        """
        return all(r.is_exact for r in self._items)

    @property
    def convention(self) -> str:
        """``"max"`` or ``"min"``: the convention of every output.

        >>> TropicalRationalMap(variables("x y", convention="min")).convention
        'min'
        """
        return self._items[0].convention

    def to_max_plus(self) -> TropicalRationalMap:
        """The max-plus map ``f'(x) = -f(-x)`` of a min-plus ``f`` (``self`` if max-plus).

        >>> u, v = variables("u v", convention="min")
        >>> f = TropicalRationalMap([u + v, u / (v + 1)])
        >>> g = f.to_max_plus()
        >>> print(g)
        [0] max(u, v)
        [1] u - max(-1, v)
        >>> g([1, 2]).tolist() == (-f([-1, -2])).tolist()
        True
        """
        if self.convention == "max":
            return self
        return TropicalRationalMap([r.to_max_plus() for r in self._items], self._before)

    def to_min_plus(self) -> TropicalRationalMap:
        """The min-plus map ``f'(x) = -f(-x)`` of a max-plus ``f`` (``self`` if min-plus).

        >>> x, y = variables("x y")
        >>> f = TropicalRationalMap([x + y + 0, x / (y + 0)])
        >>> print(f.to_min_plus())
        [0] min(0, x, y)
        [1] x - min(0, y)
        >>> f.to_min_plus().to_max_plus() == f
        True
        """
        if self.convention == "min":
            return self
        return TropicalRationalMap([r.to_min_plus() for r in self._items], self._before)

    @property
    def num_monomials(self) -> tuple[int, ...]:
        """Monomials (numerator + denominator) of each output.

        >>> x, y = variables("x y")
        >>> TropicalRationalMap([x + y + 0, x / (y + 0)]).num_monomials
        (3, 3)
        """
        return tuple(r.num_monomials for r in self._items)

    @property
    def monomials_before(self) -> tuple[int, ...] | None:
        """Per output, the monomial count before simplification (as given at construction).

        >>> TropicalRationalMap(variables("x y"), monomials_before=[4, 1]).monomials_before
        (4, 1)
        """
        return self._before

    @property
    def monomials_after(self) -> tuple[int, ...]:
        """Per output, the monomial count now (same as :attr:`num_monomials`).

        >>> TropicalRationalMap(variables("x y"), monomials_before=[4, 1]).monomials_after
        (1, 1)
        """
        return self.num_monomials

    def evaluate(self, points: Any) -> np.ndarray:
        """Values at the rows of ``points``: (k, n) -> (k, m) (object Fractions when exact).

        >>> x, y = variables("x y")
        >>> TropicalRationalMap([x, y]).evaluate(np.array([[1.0, 2.0]])).tolist()
        [[1.0, 2.0]]
        """
        pts = as_points(points, self.nvars)
        cols = [r.evaluate(pts) for r in self._items]
        dtype = object if any(col.dtype == object for col in cols) else np.float64
        return np.stack([col.astype(dtype) for col in cols], axis=1)

    def __call__(self, x: Any) -> np.ndarray:
        """One point (n,) -> (m,); many points (k, n) -> (k, m).

        >>> TropicalRationalMap(variables("x y"))([3, 4]).tolist()
        [Fraction(3, 1), Fraction(4, 1)]
        """
        arr = x if isinstance(x, np.ndarray) else np.array(x, dtype=object)
        if arr.ndim == 1:
            return self.evaluate(arr.reshape(1, -1))[0]
        return self.evaluate(arr)

    def simplify(self) -> TropicalRationalMap:
        """Each output simplified (the ``monomials_before`` record is kept).

        >>> x, = variables("x")
        >>> TropicalRationalMap([x**2 + x + 0]).simplify().num_monomials    # max(0, 2x)
        (2,)
        """
        return TropicalRationalMap([r.simplify() for r in self._items], self._before)

    def to_sympy(self) -> Any:
        """A sympy column Matrix of the outputs.

        >>> x, = variables("x")
        >>> TropicalRationalMap([x + 0, x]).to_sympy()
        Matrix([
        [Max(0, x)],
        [        x]])
        """
        import sympy

        return sympy.Matrix([r.to_sympy() for r in self._items])

    def __eq__(self, other: Any) -> bool:
        """Outputs equal as functions, one by one.

        >>> TropicalRationalMap(variables("x y")) == TropicalRationalMap(variables("x y")[::-1])
        False
        """
        if not isinstance(other, TropicalRationalMap):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self._items, other._items))

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "\n".join(f"[{k}] {r}" for k, r in enumerate(self._items))

    def __repr__(self) -> str:
        counts = ", ".join(str(c) for c in self.num_monomials)
        head = f"TropicalRationalMap({len(self)} outputs, {self.nvars} variables, monomials [{counts}]"
        if self._before is not None:
            head += f", before simplification [{', '.join(map(str, self._before))}]"
        lines = [head + ")"]
        for k, r in enumerate(self._items[:8]):
            text = str(r)
            lines.append(f"  [{k}] {text if len(text) <= 100 else text[:97] + '...'}")
        if len(self) > 8:
            lines.append(f"  ... {len(self) - 8} more")
        return "\n".join(lines)
