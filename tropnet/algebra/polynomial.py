"""Tropical (max-plus) polynomials with real exponents: the immutable user class.

``TropicalPolynomial(E, c)`` is the function ``x -> max_i (c_i + <E_i, x>)`` on R^n; with
``convention="min"`` it is ``x -> min_i (c_i + <E_i, x>)``.  Operators follow the tropical
semiring of the polynomial's convention: ``+`` is max (min), ``*`` is ordinary addition of
functions (Minkowski sum of monomials), ``p ** a`` is ``a * p``.  A plain number ``c`` is the
tropical constant ``c``.
Exact mode (all exponents and coefficients exact: ints, Fractions, sympy Rationals) never rounds;
anything with a float is float mode.  The work is done by :mod:`tropnet.kernels.poly`.

Variables are matched by NAME, as in sympy: an operation on polynomials in different variables
works in the union of their names (:func:`union_names`), so ``x + y`` is ``max(x, y)`` in
``(x, y)`` and ``x == y`` is False; :meth:`TropicalPolynomial.with_variables` rewrites a
polynomial in more variables.  Default names are ``x0, x1, ...``.

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> p = x * y + x**2 + 3          # max(x + y, 2x, 3)
>>> print(p)
max(3, 2*x, x + y)
>>> p([1, 2])
Fraction(3, 1)
>>> (x + x**2 + 0).simplify() == x**2 + 0   # max(0, x, 2x) = max(0, 2x)
True
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .._numbers import (
    as_exact_array,
    as_float_array,
    is_exact_array,
    is_exact_scalar,
    to_exact,
    to_float,
)
from ..kernels import poly as K
from . import display
from .arrays import as_coefficients, as_exponents, as_points, exact_pair, is_neg_inf, is_pos_inf
from .display import check_convention, mixed_conventions
from .names import check_names, default_variable_names, union_names
from .newton import dual_subdivision, newton_polytope, num_linear_regions

if TYPE_CHECKING:
    from .rational import TropicalRational

__all__ = ["TropicalPolynomial", "variables", "default_variable_names", "union_names", "EQ_RTOL"]

EQ_RTOL = 1e-12
"""Float mode: relative tolerance of ``==`` between simplified forms."""
_DISPLAY_TERMS = 40  # monomials shown by _repr_latex_


class TropicalPolynomial:
    """The max-plus polynomial ``x -> max_i (c_i + <a_i, x>)`` (immutable).

    Parameters
    ----------
    exponents : array-like, shape (m, n)
        Rows ``a_i``: ints, Fractions, sympy Rationals or floats; negative and fractional
        (Puiseux) exponents are allowed.  A 1-D array is read as m univariate exponents.
    coefficients : array-like, shape (m,)
        The ``c_i``; ``-inf`` is the tropical zero and drops its monomial.
    variables : str or sequence of str, optional
        Variable names (default ``x0 .. x{n-1}``).
    convention : {"max", "min"}
        ``"min"`` makes this the min-plus polynomial ``min_i (c_i + <a_i, x>)``: ``+`` is then
        min, ``+inf`` the tropical zero, and text, evaluation and Newton subdivision (by the
        lower hull) are min-plus.  Max-plus and min-plus objects never mix in one operation;
        :meth:`to_max_plus` / :meth:`to_min_plus` convert by the sign flip ``q(x) = -p(-x)``.

    Repeated exponents are merged by max (min); monomials are stored sorted by exponent.

    >>> p = TropicalPolynomial([[0], [1], [1]], [0, 2, 5], variables="t")
    >>> len(p), p.coefficients.tolist()
    (2, [Fraction(0, 1), Fraction(5, 1)])
    >>> q = TropicalPolynomial([[0], [1], [1]], [0, 2, 5], variables="t", convention="min")
    >>> print(q)
    min(0, t + 2)
    >>> q(1)
    Fraction(0, 1)
    """

    # A min-plus q is stored as the max-plus p with q(x) = -p(-x): same exponents, coefficients
    # negated.  The semiring operations of q are those of p, so every kernel serves both.
    __slots__ = ("_E", "_c", "_names", "_simplified", "_conv", "__weakref__")

    def __init__(self, exponents: Any, coefficients: Any, variables: Any = None,
                 convention: str = "max") -> None:
        conv = check_convention(convention)
        Eraw = as_exponents(exponents)
        craw = as_coefficients(coefficients, Eraw.shape[0])
        is_zero = is_neg_inf if conv == "max" else is_pos_inf
        live = np.array([not is_zero(v) for v in craw.ravel()], dtype=bool)
        exact = is_exact_array(Eraw) and is_exact_array(craw[live]) if craw.dtype == object else (
            is_exact_array(Eraw) and craw.dtype.kind in "iu"
        )
        if exact:
            E, c = exact_pair(Eraw[live], craw[live])
        elif conv == "max":
            E = as_float_array(Eraw, name="exponents", ndim=2)
            c = as_float_array(craw, name="coefficients", ndim=1, allow_neg_inf=True)
        else:
            E = as_float_array(Eraw[live], name="exponents", ndim=2)
            c = as_float_array(craw[live], name="coefficients", ndim=1)
        if conv == "min":
            c = -c
        E, c = K.normalize(E, c)
        self._init(E, c, check_names(variables, E.shape[1]), conv)

    def _init(self, E: np.ndarray, c: np.ndarray, names: tuple[str, ...], conv: str = "max") -> None:
        E.flags.writeable = False
        c.flags.writeable = False
        object.__setattr__(self, "_E", E)
        object.__setattr__(self, "_c", c)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_simplified", None)
        object.__setattr__(self, "_conv", conv)

    @classmethod
    def _from_arrays(cls, E: np.ndarray, c: np.ndarray, names: tuple[str, ...],
                     conv: str = "max") -> TropicalPolynomial:
        """Wrap an already normalized kernel pair (no validation; max-plus arrays, see __slots__)."""
        p = cls.__new__(cls)
        p._init(E, c, names, conv)
        return p

    @classmethod
    def constant(
        cls, value: Any, nvars: int, variables: Any = None, convention: str = "max"
    ) -> TropicalPolynomial:
        """The tropical constant ``value`` in ``nvars`` variables (the tropical zero ``-inf``, or
        ``+inf`` for min-plus, gives the zero polynomial).

        >>> print(TropicalPolynomial.constant(Fraction(1, 2), 2))
        1/2
        """
        return cls(np.zeros((1, nvars), dtype=np.int64), [value], variables, convention)

    @classmethod
    def zero(cls, nvars: int, variables: Any = None, convention: str = "max") -> TropicalPolynomial:
        """The tropical zero (``-inf`` everywhere; ``+inf`` for min-plus), with no monomials.

        >>> TropicalPolynomial.zero(1)(0), TropicalPolynomial.zero(1, convention="min")(0)
        (-inf, inf)
        """
        E, c = K.zero(nvars, exact=True)
        return cls._from_arrays(E, c, check_names(variables, nvars), check_convention(convention))

    @classmethod
    def from_min_plus(cls, exponents: Any, coefficients: Any, variables: Any = None) -> TropicalPolynomial:
        """The max-plus polynomial ``p(x) = -q(-x)`` of the min-plus ``q = min_i (c_i + <a_i, x>)``.

        Same as ``TropicalPolynomial(exponents, coefficients, variables, "min").to_max_plus()``.

        >>> print(TropicalPolynomial.from_min_plus([[0], [1]], [0, 1], "x"))
        max(0, x - 1)
        """
        return cls(exponents, coefficients, variables, "min").to_max_plus()

    # ------------------------------------------------------------------ attributes
    @property
    def exponents(self) -> np.ndarray:
        """The (m, n) exponent rows (read-only; Fractions in exact mode, float64 otherwise).

        >>> TropicalPolynomial([[1, 0]], [2]).exponents.tolist()
        [[Fraction(1, 1), Fraction(0, 1)]]
        """
        return self._E

    @property
    def coefficients(self) -> np.ndarray:
        """The (m,) coefficients (read-only; those of the min-plus form for ``convention="min"``).

        >>> TropicalPolynomial([[1.0]], [2]).coefficients
        array([2.])
        """
        if self._conv == "max":
            return self._c
        c = -self._c
        c.flags.writeable = False
        return c

    @property
    def convention(self) -> str:
        """``"max"`` (max-plus) or ``"min"`` (min-plus).

        >>> variables("x", convention="min")[0].convention
        'min'
        """
        return self._conv

    @property
    def nvars(self) -> int:
        """Number of variables n.

        >>> variables("x y")[0].nvars
        2
        """
        return self._E.shape[1]

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names.

        >>> TropicalPolynomial([[0, 1]], [0]).variables
        ('x0', 'x1')
        """
        return self._names

    @property
    def is_exact(self) -> bool:
        """True in exact mode (Fraction exponents and coefficients).

        >>> TropicalPolynomial([[1]], [0.5]).is_exact
        False
        """
        return K.is_exact(self._E, self._c)

    @property
    def num_monomials(self) -> int:
        """Number of stored monomials (same as ``len(p)``).

        >>> (variables("x")[0] + 0).num_monomials
        2
        """
        return len(self._c)

    def __len__(self) -> int:
        return len(self._c)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TropicalPolynomial is immutable")

    def __reduce__(self):
        return (TropicalPolynomial, (self._E.copy(), self.coefficients.copy(), self._names, self._conv))

    # ------------------------------------------------------------------ coercion
    def with_variables(self, names: Any) -> TropicalPolynomial:
        """The same function written in the variables ``names``, a superset of :attr:`variables`
        in any order (the new variables get exponent 0).

        >>> x, = variables("x")
        >>> (x * 2 + 1).with_variables("y x").exponents.tolist()
        [[Fraction(0, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1)]]
        """
        target = check_names(names, len(names.replace(",", " ").split()) if isinstance(names, str)
                              else len(tuple(names)))
        if target == self._names:
            return self
        missing = [v for v in self._names if v not in target]
        if missing:
            raise ValueError(f"with_variables: the variables {missing} of this function are not in {target}")
        where = {v: k for k, v in enumerate(target)}
        cols = np.array([where[v] for v in self._names], dtype=np.int64)
        if self.is_exact:
            E = np.empty((len(self._c), len(target)), dtype=object)
            E[...] = Fraction(0)
        else:
            E = np.zeros((len(self._c), len(target)), dtype=self._E.dtype)
        E[:, cols] = self._E
        return TropicalPolynomial._from_arrays(*K.normalize(E, self._c.copy()), target, self._conv)

    def _pair(self, other: Any) -> tuple[TropicalPolynomial, TropicalPolynomial] | None:
        """``(self, other)`` written in the same variables: polynomials are aligned by variable
        NAME (the union, see :func:`union_names`), as sympy does; numbers become constants."""
        if isinstance(other, TropicalPolynomial):
            if other._conv != self._conv:
                raise mixed_conventions(self._conv, other._conv)
            names = union_names(self._names, other._names)
            return self.with_variables(names), other.with_variables(names)
        q = self._coerce(other)
        return None if q is None else (self, q)

    def _coerce(self, other: Any) -> TropicalPolynomial | None:
        if isinstance(other, TropicalPolynomial):
            if other._conv != self._conv:
                raise mixed_conventions(self._conv, other._conv)
            if other._names != self._names:
                return other.with_variables(self._names)  # ValueError if it has other variables
            return other
        if isinstance(other, (bool, np.bool_)):
            raise TypeError("booleans are not tropical constants")
        if isinstance(other, (numbers.Number, np.number)) or type(other).__module__.startswith("sympy"):
            if (is_neg_inf if self._conv == "max" else is_pos_inf)(other):
                return TropicalPolynomial.zero(self.nvars, self._names, self._conv)
            value = to_exact(other, name="constant") if is_exact_scalar(other) else to_float(
                other, name="constant"
            )
            return TropicalPolynomial.constant(value, self.nvars, self._names, self._conv)
        return None

    def _wrap(self, pair: K.Poly) -> TropicalPolynomial:
        return TropicalPolynomial._from_arrays(pair[0], pair[1], self._names, self._conv)

    # ------------------------------------------------------------------ semiring
    def __add__(self, other: Any) -> TropicalPolynomial:
        from .rational import TropicalRational

        if isinstance(other, TropicalRational):
            return NotImplemented
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        p, q = pair
        return p._wrap(K.tropical_sum((p._E, p._c), (q._E, q._c)))

    __radd__ = __add__

    def __mul__(self, other: Any) -> TropicalPolynomial:
        from .rational import TropicalRational

        if isinstance(other, TropicalRational):
            return NotImplemented
        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        p, q = pair
        return p._wrap(K.tropical_product((p._E, p._c), (q._E, q._c)))

    __rmul__ = __mul__

    def __pow__(self, a: Any) -> TropicalPolynomial | TropicalRational:
        if isinstance(a, (bool, np.bool_)) or not (
            isinstance(a, (numbers.Number, np.number)) or type(a).__module__.startswith("sympy")
        ):
            raise TypeError(f"tropical power needs a real exponent, got {a!r}")
        value = to_exact(a, name="power") if is_exact_scalar(a) else to_float(a, name="power")
        if value < 0:
            from .rational import TropicalRational

            one = self._coerce(0 if self.is_exact else 0.0)
            return TropicalRational(one, self ** (-value))
        return self._wrap(K.tropical_power(self._E, self._c, value))

    def __truediv__(self, other: Any) -> TropicalRational:
        from .rational import TropicalRational

        return TropicalRational(self, 0) / other

    def __rtruediv__(self, other: Any) -> TropicalRational:
        from .rational import TropicalRational

        pair = self._pair(other)
        if pair is None:
            return NotImplemented
        return TropicalRational(pair[1], pair[0])

    # ------------------------------------------------------------------ evaluation
    def __call__(self, *args: Any) -> Any:
        """Value at one point (shape (n,), or a scalar when n = 1) or at many (shape (k, n));
        with tropical polynomials or rationals as the n arguments, the composition
        (:meth:`compose`).

        >>> x, = variables("x")
        >>> (x * 1)(2), (x * 1.5)(np.array([[0.0], [1.0]])).tolist()      # x + 1, x + 1.5
        (Fraction(3, 1), [1.5, 2.5])
        >>> s, t = variables("s t")
        >>> print((x**2 + 0)(s + t))
        max(0, 2*s, 2*t)
        """
        if any(_is_tropical(a) for a in args):
            return self.compose(*args)
        if len(args) != 1:
            raise TypeError(f"evaluate at one point: pass its {self.nvars} coordinates as one sequence "
                            f"(got {len(args)} arguments)")
        return _evaluate(self._E, self._c, args[0], self.nvars, self._conv)

    def compose(self, *args: Any) -> Any:
        """``p(q_1, ..., q_n)`` for tropical polynomials, rationals or numbers ``q_k`` sharing
        their variables: exact and simplified; a polynomial when every exponent of ``p`` is
        ``>= 0`` and the ``q_k`` are polynomials, else a rational (:func:`.compose.compose`).

        >>> x, y = variables("x y")
        >>> s, = variables("s")
        >>> print((x + y).compose(s * 2, s ** 3 + 0))
        max(0, s + 2, 3*s)
        """
        from .compose import compose

        return compose(self, *args)

    def partial(self, **values: Any) -> Any:
        """Fix some variables by name: ``p.partial(x=3)`` is a function of the others.

        >>> x, y = variables("x y")
        >>> print((x * y + 0).partial(x=2))
        max(0, y + 2)
        """
        from .compose import partial

        return partial(self, **values)

    def evaluate(self, points: Any) -> np.ndarray:
        """Values at the rows of ``points`` (k, n) -> (k,): exact iff polynomial and points are.

        >>> x, y = variables("x y")
        >>> (x + y).evaluate(np.array([[1.0, 2.0], [3.0, 0.0]])).tolist()
        [2.0, 3.0]
        """
        pts = as_points(points, self.nvars)
        if self._conv == "min":
            return -K.evaluate(self._E, self._c, -pts)
        return K.evaluate(self._E, self._c, pts)

    # ------------------------------------------------------------------ simplification
    def simplify(self) -> TropicalPolynomial:
        """The same function with only the monomials that attain the max on an open set.

        These are the vertices of the upper hull of the lifted points ``(a_i, c_i)``; exact in
        exact mode, Qhull with documented tolerances (:mod:`tropnet.kernels.hull`) in float mode.

        >>> x, = variables("x")
        >>> print((x**2 + x + 0).simplify())
        max(0, 2*x)
        """
        if self._simplified is None:
            E, c = K.prune(self._E, self._c)
            s = self if len(c) == len(self._c) else self._wrap((E, c))
            object.__setattr__(self, "_simplified", s)
            if s is not self:
                object.__setattr__(s, "_simplified", s)
        return self._simplified

    def __eq__(self, other: Any) -> bool:
        """Equality as functions: the simplified forms coincide once both are written in the
        union of their variables, matched by name (``x == y`` is False for different names).

        Exact when both are exact; when a float polynomial is involved, exponents and
        coefficients of the simplified forms may differ by ``EQ_RTOL`` times the largest entry.

        >>> x, = variables("x")
        >>> x**2 + x + 0 == x**2 + 0, x + 0 == x + 0.5
        (True, False)
        >>> y, = variables("y")
        >>> x == y, x + 0 == (x + 0) * (y ** 0)
        (False, True)
        """
        from .rational import TropicalRational

        if isinstance(other, TropicalRational):
            return NotImplemented
        try:
            pair = self._pair(other)
        except ValueError:  # mixed conventions
            return False
        if pair is None:
            return NotImplemented
        a, b = pair[0].simplify(), pair[1].simplify()
        if len(a) != len(b):
            return False
        if a.is_exact and b.is_exact:
            return bool(np.array_equal(a._E, b._E) and np.array_equal(a._c, b._c))
        # float mode: the simplified forms agree up to EQ_RTOL (relative to the largest entry)
        (Ea, ca), (Eb, cb) = K.to_float_poly(a._E, a._c), K.to_float_poly(b._E, b._c)
        if Ea.shape != Eb.shape:
            return False
        if not len(ca):
            return True
        # the sorted order can differ when exponents differ by rounding: match rows by sorting
        # on rounded exponents
        key_a = np.lexsort(np.round(Ea, 9).T[::-1])
        key_b = np.lexsort(np.round(Eb, 9).T[::-1])
        Ea, ca, Eb, cb = Ea[key_a], ca[key_a], Eb[key_b], cb[key_b]
        scale = max(1.0, float(np.abs(Ea).max(initial=0)), float(np.abs(ca).max()))
        tol = EQ_RTOL * scale
        return bool(np.all(np.abs(Ea - Eb) <= tol) and np.all(np.abs(ca - cb) <= tol))

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        # consistent with the tolerant float equality and with name alignment (a function
        # written in more variables is equal): only what equal functions share exactly
        return hash((len(self.simplify()), self._conv))

    # ------------------------------------------------------------------ geometry
    def newton_polytope(self) -> np.ndarray:
        """Vertices of the Newton polytope conv{a_i} (rows, sorted).

        >>> x, y = variables("x y")
        >>> (x + y + 0 + x * y).newton_polytope().tolist()
        [[Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 1), Fraction(0, 1)], \
[Fraction(0, 1), Fraction(1, 1)], [Fraction(1, 1), Fraction(1, 1)]]
        """
        return newton_polytope(self)

    def dual_subdivision(self) -> list[tuple[int, ...]]:
        """Maximal cells of the regular subdivision induced by the lift (monomial index tuples).

        >>> x, = variables("x")
        >>> (x**2 + x + 0).dual_subdivision()
        [(0, 1, 2)]
        """
        return dual_subdivision(self)

    def hypersurface(self) -> Any:
        """The tropical hypersurface (corner locus) with its weights; see :mod:`.hypersurface`.

        >>> x, y = variables("x y")
        >>> H = (x + y + 0).hypersurface()
        >>> len(H.vertices()), H.weights(), H.is_balanced()
        (1, [1, 1, 1], True)
        >>> x, y, z = variables("x y z")
        >>> len((x + y + z + 0).hypersurface().maximal_cells())    # the tropical plane: six sheets
        6
        """
        from .hypersurface import TropicalHypersurface

        return TropicalHypersurface(self)

    def num_linear_regions(self) -> int:
        """Number of full-dimensional regions of R^n on which one monomial wins.

        >>> x, y = variables("x y")
        >>> (x + y + 0).num_linear_regions()
        3
        """
        return num_linear_regions(self)

    # ------------------------------------------------------------------ univariate (see .univariate)
    def roots(self) -> list[tuple[Any, Any]]:
        """Tropical roots ``[(root, multiplicity), ...]`` of a univariate polynomial: the
        breakpoints of its graph and the changes of slope there (:func:`.univariate.roots`).

        >>> x, = variables("x")
        >>> (x**3 + x * 4 + 1).roots()      # max(3x, x + 4, 1)
        [(Fraction(-3, 1), Fraction(1, 1)), (Fraction(2, 1), Fraction(2, 1))]
        """
        from .univariate import roots

        return roots(self)

    def factor(self) -> Any:
        """The split form ``lead ⊙ ⊙_j (x ⊕ r_j)^m_j`` (:func:`.univariate.factor`).

        >>> x, = variables("x")
        >>> print((x**3 + x * 4 + 1).factor())
        max(x, -3) + 2*max(x, 2)
        """
        from .univariate import factor

        return factor(self)

    @staticmethod
    def interpolate(points: Any, degree: int | None = None, variable: str = "x",
                    convention: str = "max") -> TropicalPolynomial:
        """The greatest univariate polynomial of a degree through ``(x, y)`` points
        (:func:`.univariate.interpolate`).

        >>> print(TropicalPolynomial.interpolate([(-1, 0), (0, 1), (2, 5)]))
        max(0, x + 1, 2*x + 1)
        """
        from .univariate import interpolate

        return interpolate(points, degree, variable, convention)

    # ------------------------------------------------------------------ conversion / display
    def to_float(self) -> TropicalPolynomial:
        """The float-mode copy (each exact value rounded to the nearest double).

        >>> variables("x")[0].to_float().is_exact
        False
        """
        if not self.is_exact:
            return self
        return self._wrap(K.normalize(*K.to_float_poly(self._E, self._c)))

    def to_exact(self) -> TropicalPolynomial:
        """The exact copy (each float becomes the dyadic rational it stores).

        >>> (variables("x")[0] + 0.5).to_exact().coefficients.tolist()
        [Fraction(1, 2), Fraction(0, 1)]
        """
        if self.is_exact:
            return self
        return self._wrap(K.normalize(as_exact_array(self._E), as_exact_array(self._c)))

    def to_min_plus(self) -> TropicalPolynomial:
        """The min-plus polynomial ``q(x) = -p(-x) = min_i(-c_i + <a_i, x>)`` (``self`` if min-plus).

        The sign flip ``t -> -t`` is a semiring isomorphism (max-plus to min-plus), so
        ``(p + r).to_min_plus() == p.to_min_plus() + r.to_min_plus()`` and likewise for ``*``.

        >>> x, = variables("x")
        >>> q = (x + 1).to_min_plus()            # max(1, x) -> min(-1, x)
        >>> print(q)
        min(-1, x)
        >>> q.coefficients.tolist(), q(5) == -(x + 1)(-5)
        ([Fraction(-1, 1), Fraction(0, 1)], True)
        """
        return self if self._conv == "min" else self._from_arrays(self._E, self._c, self._names, "min")

    def to_max_plus(self) -> TropicalPolynomial:
        """The max-plus polynomial ``p(x) = -q(-x)`` of a min-plus ``q`` (``self`` if max-plus).

        >>> x, = variables("x", convention="min")
        >>> print((x + 1).to_max_plus())     # min(1, x) -> max(-1, x)
        max(-1, x)
        """
        return self if self._conv == "max" else self._from_arrays(self._E, self._c, self._names, "max")

    def to_sympy(self) -> Any:
        """A sympy expression built from ``Max``, ``+`` and rational multiples of Symbols.

        >>> x, y = variables("x y")
        >>> (x + y * 2).to_sympy()
        Max(x, y + 2)
        """
        from .sympy_bridge import to_sympy

        return to_sympy(self)

    def to_str(self, convention: str | None = None) -> str:
        """Text form in the polynomial's convention; ``convention="min"`` on a max-plus ``p``
        shows the min-plus ``-p(-x)`` (and ``"max"`` on a min-plus ``q`` the max-plus ``-q(-x)``).

        >>> x, = variables("x")
        >>> (x + 1).to_str("min")
        'min(-1, x)'
        """
        return display.poly_str(self._E, self._c, self._names, convention or self._conv)

    def to_latex(self, convention: str | None = None) -> str:
        """LaTeX in tropical notation (``\\oplus``, ``\\odot``); see :mod:`.display`.

        >>> x, = variables("x")
        >>> (x**2 + 1).to_latex()
        '1 \\\\oplus x^{2}'
        """
        return display.poly_latex(self._E, self._c, self._names, convention or self._conv)

    def _repr_latex_(self) -> str:
        if len(self) > _DISPLAY_TERMS:  # keep notebooks responsive: the first terms only
            head = self._wrap((self._E[:_DISPLAY_TERMS], self._c[:_DISPLAY_TERMS]))
            return f"${head.to_latex()} \\oplus \\cdots$ ({len(self)} monomials)"
        return f"${self.to_latex()}$"

    def __str__(self) -> str:
        return self.to_str()

    def __repr__(self) -> str:
        mode = ("exact" if self.is_exact else "float") + (", min-plus" if self._conv == "min" else "")
        text = str(self)
        if len(text) > 200:
            text = f"{text[:150]}... ({len(self)} monomials)"
        return f"TropicalPolynomial({text}, nvars={self.nvars}, {mode})"


def _is_tropical(a: Any) -> bool:
    from .rational import TropicalRational

    return isinstance(a, (TropicalPolynomial, TropicalRational))


def _evaluate(E: np.ndarray, c: np.ndarray, x: Any, n: int, conv: str = "max") -> Any:
    arr = x if isinstance(x, np.ndarray) else np.array(x, dtype=object)
    if arr.ndim == 0 and n == 1:
        return _evaluate(E, c, arr.reshape(1), n, conv)
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise ValueError(f"a point must have {n} coordinates; got shape {arr.shape}")
        return _evaluate(E, c, arr.reshape(1, n), n, conv)[0]
    if conv == "min":  # q(x) = -p(-x)
        return -K.evaluate(E, c, -as_points(arr, n))
    return K.evaluate(E, c, as_points(arr, n))


def variables(names: str | int | Sequence[str], convention: str = "max") -> tuple[TropicalPolynomial, ...]:
    """The monomial generators ``x_1, ..., x_n`` (exact), for writing polynomials by hand.

    ``names`` is a string such as ``"x y z"`` (spaces or commas), a sequence of names, or an
    int n (names ``x0 .. x{n-1}``).  ``convention="min"`` gives min-plus generators.

    >>> x, y = variables("x y")
    >>> print(x * y**2 + 1)
    max(1, x + 2*y)
    >>> u, v = variables("u v", convention="min")
    >>> print(u * v**2 + 1)
    min(1, u + 2*v)
    >>> (u + v)([3, 1])
    Fraction(1, 1)
    """
    conv = check_convention(convention)
    if isinstance(names, (bool, np.bool_)):
        raise TypeError("variables() needs names or a count, not a boolean")
    if isinstance(names, (int, np.integer)):
        if names < 0:
            raise ValueError(f"number of variables must be >= 0, got {names}")
        tnames = default_variable_names(int(names))
    else:
        tnames = check_names(names, len(names.replace(",", " ").split()) if isinstance(names, str) else len(
            tuple(names)
        ))
    n = len(tnames)
    out = []
    for k in range(n):
        E = np.empty((1, n), dtype=object)
        E[...] = Fraction(0)
        E[0, k] = Fraction(1)
        out.append(TropicalPolynomial._from_arrays(E, np.array([Fraction(0)], dtype=object), tnames, conv))
    return tuple(out)
