"""Tropical matrices: the max-plus (or min-plus) linear algebra of one matrix (immutable class).

``TropicalMatrix(A)`` is the matrix ``A`` over the max-plus semiring: ``A @ B`` is
``max_k (A_ik + B_kj)``, ``A + B`` the entrywise max, ``-inf`` the zero.  Its determinant is
the tropical permanent ``max_s sum_i A[i, s(i)]`` (an optimal assignment), its eigenvalue the
maximum cycle mean (Karp), its Kleene star ``I ⊕ A ⊕ A^2 ⊕ ...`` the longest-path matrix.
``convention="min"`` gives min-plus (``min``, ``+inf`` the zero, minimum cycle mean, ...); it is
the max-plus matrix ``-A`` under the sign flip, which :meth:`to_max_plus` returns.
Exact entries (ints, Fractions) give exact results; floats give floats.  The kernels are in
:mod:`tropnet.kernels.maxplus`.

>>> import tropnet
>>> A = tropnet.TropicalMatrix([[0, 3], [1, -1]])
>>> A.det(), A.eigenvalue()
(Fraction(4, 1), Fraction(2, 1))
>>> (A @ A).entries.tolist()
[[Fraction(4, 1), Fraction(3, 1)], [Fraction(1, 1), Fraction(4, 1)]]
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import _as_object_array, is_exact_scalar, to_exact, to_float
from ..kernels import maxplus as MP
from .arrays import is_neg_inf, is_pos_inf
from .display import check_convention, format_number, mixed_conventions

__all__ = ["TropicalMatrix"]

_FLOAT_TOL = 64 * np.finfo(np.float64).eps


def _as_entries(A: Any, conv: str, name: str = "matrix") -> np.ndarray:
    """Max-plus internal array (object Fractions with -inf floats, or float64) of a user array."""
    arr = A if isinstance(A, np.ndarray) and A.dtype.kind in "fiu" else _as_object_array(A, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional; got shape {arr.shape}")
    sign = 1 if conv == "max" else -1
    zero_sign = -sign  # the tropical zero: -inf (max) or +inf (min)
    if arr.dtype.kind in "iu":
        out = np.empty(arr.shape, dtype=object)
        out.ravel()[:] = [Fraction(int(v) * sign) for v in arr.ravel().tolist()]
        return out
    if arr.dtype.kind == "f":
        bad = np.isnan(arr) | (np.isinf(arr) & ((arr > 0) != (zero_sign > 0)))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} entry {idx} is {arr[idx]}: NaN, or the infinity that is not the "
                             f"tropical zero ({'-inf' if conv == 'max' else '+inf'}) of {conv}-plus")
        return (arr * sign).astype(np.float64)
    flat = arr.ravel().tolist()
    for v in flat:
        if isinstance(v, (bool, np.bool_)) or not (
            isinstance(v, (numbers.Number, np.number)) or type(v).__module__.startswith("sympy")
        ):
            raise TypeError(f"{name} entries must be numbers, got {v!r}")
    is_zero = is_neg_inf if conv == "max" else is_pos_inf
    live = [not is_zero(v) for v in flat]
    exact = all(is_exact_scalar(v) for v, ok in zip(flat, live) if ok)
    out = np.empty(arr.shape, dtype=object if exact else np.float64)
    vals = []
    for v, ok in zip(flat, live):
        if not ok:
            vals.append(-math.inf)
        elif exact:
            vals.append(sign * to_exact(v, name=f"{name} entry"))
        else:
            vals.append(sign * to_float(v, name=f"{name} entry"))
    out.ravel()[:] = vals
    return out


class TropicalMatrix:
    """An immutable matrix over the max-plus (or min-plus) semiring.

    Parameters
    ----------
    A : array-like, shape (m, n)
        Entries: ints, Fractions, sympy Rationals (exact mode) or floats (float mode); the
        tropical zero is ``-inf`` (``+inf`` for ``convention="min"``).
    convention : {"max", "min"}

    >>> A = TropicalMatrix([[0, float("-inf")], [2, 1]])
    >>> A.shape, A.is_exact, A @ [0, 0]
    ((2, 2), True, array([Fraction(0, 1), Fraction(2, 1)], dtype=object))
    """

    __slots__ = ("_M", "_conv")

    def __init__(self, A: Any, convention: str = "max") -> None:
        conv = check_convention(convention)
        if isinstance(A, TropicalMatrix):
            if A._conv != conv:
                raise mixed_conventions(conv, A._conv)
            M = A._M
        else:
            M = _as_entries(A, conv)
        M.flags.writeable = False
        object.__setattr__(self, "_M", M)
        object.__setattr__(self, "_conv", conv)

    @classmethod
    def _wrap(cls, M: np.ndarray, conv: str) -> TropicalMatrix:
        out = cls.__new__(cls)
        M.flags.writeable = False
        object.__setattr__(out, "_M", M)
        object.__setattr__(out, "_conv", conv)
        return out

    @classmethod
    def identity(cls, n: int, convention: str = "max", exact: bool = True) -> TropicalMatrix:
        """The tropical identity: 0 on the diagonal, the tropical zero elsewhere.

        >>> (TropicalMatrix.identity(2) @ TropicalMatrix([[1, 2], [3, 4]])).entries.tolist()
        [[Fraction(1, 1), Fraction(2, 1)], [Fraction(3, 1), Fraction(4, 1)]]
        """
        M = np.full((n, n), -math.inf, dtype=object if exact else np.float64)
        for i in range(n):
            M[i, i] = Fraction(0) if exact else 0.0
        return cls._wrap(M, check_convention(convention))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TropicalMatrix is immutable")

    def __reduce__(self):
        return (TropicalMatrix, (self.entries, self._conv))

    # ------------------------------------------------------------------ attributes
    @property
    def entries(self) -> np.ndarray:
        """The entries (read-only; object Fractions and ``±inf`` floats when exact, else float64).

        >>> TropicalMatrix([[1, 2]], convention="min").entries.tolist()
        [[Fraction(1, 1), Fraction(2, 1)]]
        """
        if self._conv == "max":
            return self._M
        out = -self._M
        out.flags.writeable = False
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns).

        >>> TropicalMatrix([[1, 2, 3]]).shape
        (1, 3)
        """
        return self._M.shape

    @property
    def convention(self) -> str:
        """``"max"`` or ``"min"``.

        >>> TropicalMatrix([[0]]).convention
        'max'
        """
        return self._conv

    @property
    def is_exact(self) -> bool:
        """True for exact (Fraction) entries.

        >>> TropicalMatrix([[0.5]]).is_exact
        False
        """
        return self._M.dtype == object

    def _sign(self) -> int:
        return 1 if self._conv == "max" else -1

    def _out(self, v: Any) -> Any:
        """A max-plus scalar or array in the user's convention."""
        return v if self._conv == "max" else -v

    def to_max_plus(self) -> TropicalMatrix:
        """The max-plus matrix ``-A`` of a min-plus ``A`` (the sign flip; ``self`` if max-plus).

        >>> TropicalMatrix([[1, 2]], convention="min").to_max_plus().entries.tolist()
        [[Fraction(-1, 1), Fraction(-2, 1)]]
        """
        return self if self._conv == "max" else TropicalMatrix._wrap(self._M, "max")

    def to_min_plus(self) -> TropicalMatrix:
        """The min-plus matrix ``-A`` of a max-plus ``A`` (``self`` if min-plus).

        >>> TropicalMatrix([[1, 2]]).to_min_plus().entries.tolist()
        [[Fraction(-1, 1), Fraction(-2, 1)]]
        """
        return self if self._conv == "min" else TropicalMatrix._wrap(self._M, "min")

    def to_float(self) -> TropicalMatrix:
        """Float-mode copy.

        >>> TropicalMatrix([[1]]).to_float().is_exact
        False
        """
        if not self.is_exact:
            return self
        return TropicalMatrix._wrap(np.array([float(v) for v in self._M.ravel()]).reshape(self.shape),
                                    self._conv)

    # ------------------------------------------------------------------ arithmetic
    def _other(self, B: Any) -> TropicalMatrix:
        if isinstance(B, TropicalMatrix):
            if B._conv != self._conv:
                raise mixed_conventions(self._conv, B._conv)
            return B
        return TropicalMatrix(B, self._conv)

    @staticmethod
    def _pair(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
        """Operands in one kernel domain: scaled integers (both exact, with the scale) or floats."""
        if A.dtype == object and B.dtype == object:
            (ZA, ZB), d = MP.scale(A, B)
            return ZA, ZB, d
        fA, fB = (np.array([float(v) for v in M.ravel()]).reshape(M.shape) if M.dtype == object else M
                  for M in (A, B))
        return fA, fB, None

    @staticmethod
    def _back(Z: np.ndarray, d: int | None) -> np.ndarray:
        return Z.astype(np.float64) if d is None else MP.unscale(Z, d)

    def __matmul__(self, B: Any) -> Any:
        """Tropical product with a matrix (-> TropicalMatrix) or a vector (-> 1-D array)."""
        vector = not isinstance(B, TropicalMatrix) and np.ndim(B) == 1
        Bm = self._other(np.asarray(B, dtype=object).reshape(-1, 1) if vector else B)
        if self.shape[1] != Bm.shape[0]:
            raise ValueError(f"shapes {self.shape} and {Bm.shape} do not match for a product")
        ZA, ZB, d = self._pair(self._M, Bm._M)
        out = self._back(MP.matmul(ZA, ZB), d)
        if vector:
            return self._out(out[:, 0])
        return TropicalMatrix._wrap(out, self._conv)

    def __rmatmul__(self, B: Any) -> Any:
        if np.ndim(B) == 1:  # row vector times matrix
            Bm = self._other(np.asarray(B, dtype=object).reshape(1, -1))
            return (Bm @ self).entries[0]
        return self._other(B) @ self

    def __add__(self, B: Any) -> TropicalMatrix:
        """Entrywise tropical sum (max, or min for min-plus)."""
        Bm = self._other(B)
        if Bm.shape != self.shape:
            raise ValueError(f"shapes {self.shape} and {Bm.shape} differ in a tropical sum")
        ZA, ZB, d = self._pair(self._M, Bm._M)
        return TropicalMatrix._wrap(self._back(np.maximum(ZA, ZB), d), self._conv)

    __radd__ = __add__

    def __mul__(self, c: Any) -> TropicalMatrix:
        """Tropical scalar multiple ``c ⊙ A``: ``c`` added to every entry."""
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (numbers.Number, np.number)):
            return NotImplemented
        ZA, ZC, d = self._pair(self._M, _as_entries(np.full((1, 1), c, dtype=object), self._conv, "scalar"))
        return TropicalMatrix._wrap(self._back(ZA + ZC[0, 0], d), self._conv)

    __rmul__ = __mul__

    def __pow__(self, k: Any) -> TropicalMatrix:
        """``A^k`` (k a nonnegative integer; ``A^0`` is the identity), by repeated squaring."""
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"a tropical matrix power needs a nonnegative integer, got {k!r}")
        self._square("a power")
        result = TropicalMatrix.identity(self.shape[0], self._conv, self.is_exact)
        base = self
        while k:
            if k & 1:
                result = result @ base
            k >>= 1
            if k:
                base = base @ base
        return result

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, TropicalMatrix):
            return NotImplemented
        return self._conv == other._conv and self.shape == other.shape and bool(
            np.all(self._M == other._M)
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ spectral / combinatorial
    def _square(self, what: str) -> int:
        m, n = self.shape
        if m != n:
            raise ValueError(f"{what} needs a square matrix; this one is {m}x{n}")
        return n

    def _scaled(self, growth: int | None = None):
        if self.is_exact:
            (Z,), d = MP.scale(self._M, growth=growth)
            return Z, d
        return self._M, None

    def det(self, return_permutation: bool = False) -> Any:
        """The tropical determinant ``max_s sum_i A[i, s(i)]`` (``min`` for min-plus), i.e. the
        tropical permanent, by an optimal assignment (scipy's ``linear_sum_assignment``); exact
        for exact entries: the assignment is certified optimal in integer arithmetic.  The
        tropical zero when every permutation meets it.

        >>> A = TropicalMatrix([[0, 3], [1, -1]])
        >>> A.det(), A.det(return_permutation=True)[1].tolist()
        (Fraction(4, 1), [1, 0])
        >>> TropicalMatrix([[0, 3], [1, -1]], convention="min").det()    # min(0 - 1, 3 + 1)
        Fraction(-1, 1)
        """
        self._square("det")
        Z, d = self._scaled()
        perm, value = MP.assignment(Z, exact=d is not None)
        if perm is None:
            value = -math.inf
        elif d is not None:
            value = Fraction(int(value), d)
        else:
            value = float(value)
        value = self._out(value)
        return (value, perm) if return_permutation else value

    def eigenvalue(self) -> Any:
        """The maximum cycle mean (minimum for min-plus), by Karp's algorithm: the largest
        eigenvalue, and the only one when the matrix is irreducible; ``-inf`` without cycles.

        >>> TropicalMatrix([[0, 3], [1, -1]]).eigenvalue()      # the cycle 1 -> 2 -> 1: (3 + 1)/2
        Fraction(2, 1)
        """
        self._square("eigenvalue")
        Z, d = self._scaled()
        num, length = MP.max_cycle_mean(Z, exact=d is not None)
        if isinstance(num, float):
            return self._out(num / length)
        return self._out(Fraction(num, length * d))

    def _shifted_closure(self):
        """(A - λ)^+ in kernel units, λ and the scale: the ingredients of eigenvectors."""
        n = len(self._M)
        Z, d = self._scaled()
        num, length = MP.max_cycle_mean(Z, exact=d is not None)
        if num == -math.inf:
            raise ValueError("the matrix has no cycle (its graph is acyclic): the only eigenvalue is "
                             "the tropical zero and there is no finite eigenvector")
        if d is None:
            P, _ = MP.plus_closure(Z - num / length)
            return P, None, num / length
        # exact: work in units of 1/(d * length) so that A - λ has integer entries
        fin = MP.finite_mask(Z)
        bound = (int(np.abs(Z[fin]).max()) if fin.any() else 0) * length + abs(num)
        if Z.dtype != object and MP.safe_float(bound, n):
            Zs = Z * length - num  # -inf stays -inf
        else:
            (Zs,), _ = MP.scale(MP.unscale(Z, 1) * length - num, growth=n)
        P, ok = MP.plus_closure(Zs)
        assert ok, "A - λ has a positive cycle"  # λ is the maximum cycle mean
        return P, d * length, Fraction(num, length * d)

    def eigenvectors(self) -> np.ndarray:
        """A generating set of the eigencone of :meth:`eigenvalue` as columns (n, k): the columns
        of ``(A - λ)^+`` at one node of each critical class (nodes on cycles of mean λ).  Each
        column ``v`` satisfies ``A @ v == λ + v``; every eigenvector of ``λ`` is a tropical
        combination of them (for irreducible A).  Float mode decides criticality with a
        relative tolerance of 64 machine epsilons times the largest entry.

        >>> V = TropicalMatrix([[0, 3], [1, -1]]).eigenvectors()
        >>> V[:, 0].tolist()
        [Fraction(0, 1), Fraction(-1, 1)]
        """
        self._square("eigenvectors")
        P, unit, _ = self._shifted_closure()
        diag = np.diagonal(P)
        tol = 0
        if unit is None:
            fin = np.isfinite(self._M)
            tol = _FLOAT_TOL * len(P) * max(1.0, float(np.abs(self._M[fin]).max()) if fin.any() else 1.0)
        critical = np.abs(diag) <= tol
        reps: list[int] = []
        for j in np.flatnonzero(critical):
            if not any(P[j, r] + P[r, j] >= -tol for r in reps):  # same critical class as r
                reps.append(int(j))
        V = P[:, reps].copy()
        for k, j in enumerate(reps):
            V[j, k] = 0
        V = V.astype(np.float64) if unit is None else MP.unscale(V, unit)
        return self._out(V)

    def kleene_star(self) -> TropicalMatrix:
        """``A* = I ⊕ A ⊕ A^2 ⊕ ...`` (the best-path matrix); a ValueError when it diverges,
        i.e. when some cycle has positive weight (negative for min-plus).

        >>> print(TropicalMatrix([[-1, 2], [-3, -5]]).kleene_star())
        [[0, 2], [-3, 0]]
        """
        n = self._square("kleene_star")
        Z, d = self._scaled()
        P, ok = MP.plus_closure(Z)
        if not ok:
            mean = self.eigenvalue()
            kind = "positive" if self._conv == "max" else "negative"
            raise ValueError(f"the Kleene star diverges: the matrix has a cycle of {kind} weight "
                             f"(its {'maximum' if kind == 'positive' else 'minimum'} cycle mean is {mean})")
        idx = np.arange(n)
        P[idx, idx] = np.maximum(P[idx, idx], 0)
        return TropicalMatrix._wrap(self._back(P, d), self._conv)

    def solve(self, b: Any) -> np.ndarray:
        """The principal solution of ``A ⊗ x = b``: the greatest ``x`` with ``A ⊗ x <= b``
        (:meth:`residuate`), returned when it solves the system; a ValueError otherwise (then
        no solution exists).  For min-plus, the least ``x`` with ``A ⊗ x >= b``.

        >>> A = TropicalMatrix([[0, 3], [1, -1]])
        >>> A.solve([5, 2]).tolist()
        [Fraction(1, 1), Fraction(2, 1)]
        """
        bv = self._vector(b)
        ZA, Zb, d = self._pair(self._M, bv.reshape(-1, 1))
        x = MP.residuate(ZA, Zb[:, 0])
        reach = MP.matmul(ZA, np.where(x == math.inf, -math.inf, x).reshape(-1, 1))[:, 0]
        if not all(u == v for u, v in zip(reach.tolist(), Zb[:, 0].tolist())):
            raise ValueError("A ⊗ x = b has no solution: the principal solution (residuate(b)) "
                             "does not reach b")
        return self._out(self._back(x, d))

    def _vector(self, b: Any) -> np.ndarray:
        arr = np.asarray(b, dtype=object)
        if arr.ndim != 1 or arr.shape[0] != self.shape[0]:
            raise ValueError(f"the right-hand side must have shape ({self.shape[0]},); got {arr.shape}")
        return _as_entries(arr.reshape(-1, 1), self._conv, "right-hand side")[:, 0]

    def residuate(self, b: Any) -> np.ndarray:
        """The greatest ``x`` with ``A ⊗ x <= b`` (least with ``>=`` for min-plus):
        ``x_j = min_i (b_i - A[i, j])``; ``+inf`` where column j is all ``-inf``.

        >>> TropicalMatrix([[0, 3], [1, 0]]).residuate([2, 2]).tolist()
        [Fraction(1, 1), Fraction(-1, 1)]
        """
        bv = self._vector(b)
        ZA, Zb, d = self._pair(self._M, bv.reshape(-1, 1))
        return self._out(self._back(MP.residuate(ZA, Zb[:, 0]), d))

    # ------------------------------------------------------------------ display
    def __str__(self) -> str:
        rows = ["[" + ", ".join(format_number(v) if not (isinstance(v, float) and math.isinf(v)) else
                               ("-inf" if v < 0 else "inf") for v in row) + "]" for row in self.entries]
        return "[" + ", ".join(rows) + "]"

    def __repr__(self) -> str:
        mode = ("exact" if self.is_exact else "float") + (", min-plus" if self._conv == "min" else "")
        text = str(self)
        if len(text) > 200:
            text = text[:150] + "..."
        return f"TropicalMatrix({text}, shape={self.shape}, {mode})"

