"""Finite-dimensional real algebras: the number systems of AlgebraNets.

An :class:`Algebra` is ``R^dim`` with a basis ``e_0, ..., e_{dim-1}`` and a bilinear product
given by structure constants ``T``: ``e_a e_b = sum_c T[a, b, c] e_c``.  An element is the
real vector of its ``dim`` components; every operation is vectorised over leading axes.

Built in (Hoffmann, Schmitt, Osindero, Simonyan, Elsen, *AlgebraNets*, arXiv 2006.07360):

=========  ====  ===================================================================
name       dim   basis and left-multiplication matrix ``left_matrix(w)``
=========  ====  ===================================================================
``R``      1     the reals
``C``      2     ``(1, i)``; ``a + b i -> [[a, -b], [b, a]]``
``H``      4     ``(1, i, j, k)``, Hamilton's quaternions (weight on the left)
``M2R``    4     2x2 real matrices, components = row-major ``vec``; ``W -> W (x) I_2``
``M3R``    9     3x3 real matrices, ``W -> W (x) I_3``
``M4R``    16    4x4 real matrices, ``W -> W (x) I_4``
``M2C``    8     2x2 complex matrices, components ``(Re vec X, Im vec X)`` (row-major);
                 ``W -> [[Re W (x) I, -Im W (x) I], [Im W (x) I, Re W (x) I]]``
``D``      2     dual numbers ``(1, eps)``, ``eps^2 = 0``; ``a + b eps -> [[a, 0], [b, a]]``
=========  ====  ===================================================================

Structure constants are kept exactly (a float becomes the dyadic rational it stores), so
products of exact elements are exact.

Examples
--------
>>> from tropnet.algebras import C, H, M2R
>>> C.mul([1, 2], [3, 4]).tolist()          # (1 + 2i)(3 + 4i) = -5 + 10i
[-5, 10]
>>> C.left_matrix([1, 2]).tolist()
[[1, -2], [2, 1]]
>>> H.is_associative(), H.is_commutative(), H.mults_per_product
(True, False, 16)
>>> M2R.mults_per_product, M2R.one.tolist()
(8, [1, 0, 0, 1])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np

from ._numbers import as_exact_array, as_float_array, is_exact_array, to_exact

__all__ = [
    "Algebra",
    "matrix_algebra",
    "ALGEBRAS",
    "R",
    "C",
    "H",
    "M2R",
    "M3R",
    "M4R",
    "M2C",
    "D",
]


def _compact(arr: np.ndarray) -> np.ndarray:
    """An exact object array as int64 when every entry is an integer, else unchanged (read-only)."""
    if arr.dtype == object and all(v.denominator == 1 and abs(v) < 2**62 for v in arr.ravel()):
        arr = np.array([int(v) for v in arr.ravel()], dtype=np.int64).reshape(arr.shape)
    arr.flags.writeable = False
    return arr


def _exact_solve(M: np.ndarray, r: np.ndarray) -> np.ndarray | None:
    """The exact solution of the consistent, full-column-rank system ``M x = r``, else ``None``."""
    from flint import fmpq, fmpq_mat

    def to_flint(a: np.ndarray) -> fmpq_mat:
        a2 = a.reshape(a.shape[0], -1)
        entries = [fmpq(int(Fraction(v).numerator), int(Fraction(v).denominator)) for v in a2.ravel()]
        return fmpq_mat(a2.shape[0], a2.shape[1], entries)

    Mf, rf = to_flint(M), to_flint(r)
    try:
        x = (Mf.transpose() * Mf).solve(Mf.transpose() * rf)
    except ZeroDivisionError:
        return None
    if Mf * x != rf:
        return None
    return np.array([Fraction(int(x[i, 0].p), int(x[i, 0].q)) for i in range(M.shape[1])], dtype=object)


def _exact_objects(a: np.ndarray, what: str) -> np.ndarray:
    """An object array of Python ints and Fractions (ints stay ints, so integer results print as ints)."""
    if a.dtype.kind in "iu":
        return a.astype(object)
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(a.reshape(-1)):
        flat[i] = v if isinstance(v, (int, Fraction)) and not isinstance(v, bool) else to_exact(v, name=what)
        if isinstance(flat[i], Fraction) and flat[i].denominator == 1:
            flat[i] = int(flat[i])
    return out


def _check_dim_axis(x: np.ndarray, dim: int, what: str, name: str) -> None:
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(
            f"{what}: an element of {name} has {dim} real components (last axis), got shape {x.shape}"
        )


class Algebra:
    """A finite-dimensional real algebra given by its structure constants.

    Parameters
    ----------
    name
        A short name (``"C"``, ``"H"``, ...).
    structure_constants
        Array ``T`` of shape ``(dim, dim, dim)`` with ``e_a e_b = sum_c T[a, b, c] e_c``.
        Ints, Fractions or floats (a float is the dyadic rational it stores); NaN and
        infinities are rejected.
    basis
        Names of the basis elements (default ``e0, e1, ...``).
    associative
        Pass ``True`` when your use of the algebra needs associativity: it is checked now and a
        ``ValueError`` names a triple ``(e_a e_b) e_c != e_a (e_b e_c)``.  (AlgebraNets layers
        do not need it: a dense layer uses only bilinearity.)

    Raises ``ValueError`` for a table that is not ``(dim, dim, dim)``, an empty table, NaN or
    infinite entries, and basis names of the wrong number or repeated.

    >>> A = Algebra("C", [[[1, 0], [0, 1]], [[0, 1], [-1, 0]]], basis=("1", "i"))
    >>> A.dim, A.basis, A.one.tolist()
    (2, ('1', 'i'), [1, 0])
    """

    __slots__ = ("name", "dim", "basis", "_T", "_T_float", "_cache")

    def __init__(
        self,
        name: str,
        structure_constants: Any,
        basis: Sequence[str] | None = None,
        *,
        associative: bool | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Algebra name must be a non-empty string, got {name!r}")
        try:
            raw = np.array(structure_constants, dtype=object)
        except ValueError as err:
            raise ValueError(f"structure constants of {name} are ragged: {err}") from None
        if raw.ndim != 3 or raw.shape[0] == 0 or not (raw.shape[0] == raw.shape[1] == raw.shape[2]):
            raise ValueError(
                f"structure constants of {name} must have shape (dim, dim, dim) with dim >= 1, "
                f"got shape {raw.shape}"
            )
        T = _compact(as_exact_array(raw, name=f"structure constants of {name}"))
        dim = int(T.shape[0])
        if basis is None:
            basis = tuple(f"e{a}" for a in range(dim))
        basis = tuple(str(b) for b in basis)
        if len(basis) != dim:
            raise ValueError(f"{name} has dimension {dim} but {len(basis)} basis names were given")
        if len(set(basis)) != dim:
            raise ValueError(f"basis names of {name} are not distinct: {basis}")
        T_float = T.astype(np.float64)
        T_float.flags.writeable = False
        for k, v in dict(name=name, dim=dim, basis=basis, _T=T, _T_float=T_float, _cache={}).items():
            object.__setattr__(self, k, v)
        if associative:
            self.check_associative()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_table(
        cls,
        name: str,
        basis: Sequence[str],
        table: Sequence[Sequence[Any]],
        *,
        associative: bool | None = None,
    ) -> Algebra:
        """An algebra from its multiplication table: ``table[a][b]`` is the product ``e_a e_b``.

        Each entry is either the vector of its ``dim`` coordinates or a string in the basis
        names such as ``"-k"``, ``"0"``, ``"2*i - 1/2*j"``.  A bare number means that multiple
        of the basis element named ``"1"``.

        >>> Q = Algebra.from_table("H", ["1", "i", "j", "k"], [
        ...     ["1", "i", "j", "k"],
        ...     ["i", "-1", "k", "-j"],
        ...     ["j", "-k", "-1", "i"],
        ...     ["k", "j", "-i", "-1"]])
        >>> from tropnet.algebras import H
        >>> Q == H
        True
        """
        basis = tuple(str(b) for b in basis)
        dim = len(basis)
        rows = list(table)
        if len(rows) != dim or any(len(list(r)) != dim for r in rows):
            raise ValueError(f"multiplication table of {name} must be {dim} x {dim} (row per basis element)")
        T = np.empty((dim, dim, dim), dtype=object)
        for a, row in enumerate(rows):
            for b, entry in enumerate(row):
                where = f"table entry {basis[a]}*{basis[b]} of {name}"
                if isinstance(entry, str):
                    T[a, b] = _parse_element(entry, basis, where)
                else:
                    v = as_exact_array(entry, name=where)
                    if v.shape != (dim,):
                        raise ValueError(f"{where} must have {dim} coordinates, got shape {v.shape}")
                    T[a, b] = v
        return cls(name, T, basis, associative=associative)

    @classmethod
    def from_function(
        cls,
        name: str,
        dim: int,
        product: Callable[[np.ndarray, np.ndarray], Any],
        basis: Sequence[str] | None = None,
        *,
        associative: bool | None = None,
        seed: int = 0,
    ) -> Algebra:
        """An algebra from a bilinear ``product(x, y)`` on ``R^dim`` (float64 vectors in and out).

        The structure constants are ``product(e_a, e_b)`` (each float taken as the dyadic
        rational it stores); the function is then checked for bilinearity on random points
        and a ``ValueError`` is raised when it is not bilinear.

        >>> def cmul(x, y):
        ...     z = complex(*x) * complex(*y)
        ...     return [z.real, z.imag]
        >>> from tropnet.algebras import C
        >>> Algebra.from_function("C", 2, cmul, basis=("1", "i")) == C
        True
        """
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 1:
            raise ValueError(f"dimension of {name} must be a positive integer, got {dim!r}")
        dim = int(dim)
        eye = np.eye(dim)

        def call(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            out = as_float_array(product(x.copy(), y.copy()), name=f"product of {name}")
            if out.shape != (dim,):
                raise ValueError(f"product of {name} must return {dim} coordinates, got shape {out.shape}")
            return out

        T = np.empty((dim, dim, dim), dtype=object)
        for a in range(dim):
            for b in range(dim):
                T[a, b] = [Fraction(float(v)) for v in call(eye[a], eye[b])]
        alg = cls(name, T, basis, associative=associative)
        rng = np.random.default_rng(seed)
        for _ in range(3):
            x, y = rng.standard_normal(dim), rng.standard_normal(dim)
            got, want = call(x, y), alg.mul(x, y)
            if not np.allclose(got, want, rtol=1e-9, atol=1e-9 * (1 + np.abs(want).max())):
                raise ValueError(
                    f"product of {name} is not bilinear: product(x, y) differs from "
                    f"sum_ab x_a y_b product(e_a, e_b) by {np.abs(got - want).max():.3g} at a random point"
                )
        return alg

    # ------------------------------------------------------------------ structure
    @property
    def structure_constants(self) -> np.ndarray:
        """``T`` of shape (dim, dim, dim): int64 when integral, else an object array of Fractions."""
        return self._T

    @property
    def mults_per_product(self) -> int:
        """Real multiplications in one naive product: the number of nonzero ``T[a, b, c]``.

        >>> from tropnet.algebras import C, M2C
        >>> C.mults_per_product, M2C.mults_per_product
        (4, 32)
        """
        return int(np.count_nonzero(self._T))

    @property
    def one(self) -> np.ndarray | None:
        """The two-sided unit (exact; int64 when integral), or ``None`` when the algebra has none.

        Found by solving ``left_matrix(e) = I`` and ``e x = x`` exactly (python-flint).

        >>> from tropnet.algebras import M2C
        >>> M2C.one.tolist()
        [1, 0, 0, 1, 0, 0, 0, 0]
        """
        if "one" not in self._cache:
            d, T = self.dim, self._T
            eye = np.eye(d, dtype=np.int64)
            # left unit: sum_a e_a T[a, b, c] = delta_bc; right unit: sum_b e_b T[a, b, c] = delta_ac
            M = np.concatenate([T.transpose(1, 2, 0).reshape(d * d, d),
                                T.transpose(0, 2, 1).reshape(d * d, d)])
            r = np.concatenate([eye.reshape(-1), eye.reshape(-1)]).reshape(-1, 1)
            e = _exact_solve(M.astype(object), r.astype(object))
            self._cache["one"] = None if e is None else _compact(e)
        return self._cache["one"]

    def is_associative(self) -> bool:
        """``(e_a e_b) e_c == e_a (e_b e_c)`` for all basis triples (checked exactly).

        >>> from tropnet.algebras import M3R
        >>> M3R.is_associative()
        True
        """
        if "assoc" not in self._cache:
            self._cache["assoc"] = self._associativity_failure() is None
        return self._cache["assoc"]

    def _associativity_failure(self) -> tuple[int, int, int] | None:
        T = self._T
        if T.dtype == object or np.abs(T).max() ** 2 * self.dim >= 2**62:  # int64 products could overflow
            T = self._T_object
        left = np.tensordot(T, T, axes=([2], [0]))  # (a, b, c, e): (e_a e_b) e_c
        right = np.tensordot(T, T, axes=([2], [1])).transpose(2, 0, 1, 3)  # e_a (e_b e_c)
        bad = np.argwhere(left != right)
        return None if bad.size == 0 else tuple(int(i) for i in bad[0][:3])

    def check_associative(self) -> None:
        """Raise ``ValueError`` naming a basis triple that violates associativity.

        >>> cross = Algebra("cross", [[[0, 0, 0], [0, 0, 1], [0, -1, 0]],
        ...                           [[0, 0, -1], [0, 0, 0], [1, 0, 0]],
        ...                           [[0, 1, 0], [-1, 0, 0], [0, 0, 0]]])
        >>> cross.check_associative()
        Traceback (most recent call last):
        ...
        ValueError: algebra cross is not associative: (e0 e0) e1 != e0 (e0 e1)
        """
        bad = self._associativity_failure()
        if bad is not None:
            a, b, c = (self.basis[i] for i in bad)
            raise ValueError(f"algebra {self.name} is not associative: ({a} {b}) {c} != {a} ({b} {c})")

    def is_commutative(self) -> bool:
        """``e_a e_b == e_b e_a`` for all basis pairs.

        >>> from tropnet.algebras import D
        >>> D.is_commutative()
        True
        """
        return bool(np.array_equal(self._T, self._T.transpose(1, 0, 2)))

    # ------------------------------------------------------------------ arithmetic
    def _operands(self, *xs: Any, what: str) -> tuple[list[np.ndarray], bool]:
        """Validated operands: object arrays of Python ints/Fractions when all are exact, else float64."""
        arrs = []
        for x in xs:
            if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":
                arrs.append(x)
            else:
                try:
                    arrs.append(np.array(x, dtype=object))
                except ValueError as err:
                    raise ValueError(f"{what}: ragged input ({err})") from None
                if any(isinstance(v, (list, tuple, np.ndarray)) for v in arrs[-1].reshape(-1)):
                    raise ValueError(f"{what}: ragged input (rows of different lengths)")
        for a in arrs:
            _check_dim_axis(a, self.dim, what, self.name)
        if all(is_exact_array(a) for a in arrs):
            return [_exact_objects(a, what) for a in arrs], True
        return [as_float_array(a, name=what) for a in arrs], False

    @property
    def _T_object(self) -> np.ndarray:
        if "T_obj" not in self._cache:
            self._cache["T_obj"] = self._T.astype(object)
        return self._cache["T_obj"]

    def left_matrix(self, w: Any) -> np.ndarray:
        """The real ``dim x dim`` matrix of ``x -> w x``: ``L(w)[c, b] = sum_a w_a T[a, b, c]``.

        Vectorised: ``w`` of shape ``(..., dim)`` gives ``(..., dim, dim)``.

        >>> from tropnet.algebras import H
        >>> H.left_matrix([1, 2, 3, 4]).tolist()
        [[1, -2, -3, -4], [2, 1, -4, 3], [3, 4, 1, -2], [4, -3, 2, 1]]
        """
        (w,), exact = self._operands(w, what="left_matrix")
        T = self._T_object if exact else self._T_float
        return np.swapaxes(np.tensordot(w, T, axes=([-1], [0])), -1, -2)

    def mul(self, a: Any, b: Any) -> np.ndarray:
        """The product ``a b``, vectorised (with broadcasting) over leading axes.

        Exact (ints / Fractions) when both factors are exact, else float64.

        >>> from tropnet.algebras import H
        >>> H.mul([0, 1, 0, 0], [0, 0, 1, 0]).tolist()     # i j = k
        [0, 0, 0, 1]
        >>> H.mul(np.eye(4)[None, 1], np.eye(4)[[1, 2, 3]]).shape
        (3, 4)
        """
        (a, b), exact = self._operands(a, b, what="mul")
        La = np.tensordot(a, self._T_object if exact else self._T_float, axes=([-1], [0]))  # (..., b, c)
        return np.matmul(b[..., None, :], La)[..., 0, :]

    def real_part(self, x: Any) -> np.ndarray:
        """The normalised trace ``tr(left_matrix(x)) / dim``: a linear functional with ``1 -> 1``.

        It is the real part for ``C``, ``H`` and ``D``, ``tr(X)/n`` for ``Mn(R)`` and
        ``Re tr(X)/n`` for ``Mn(C)``; :func:`tropnet.algebranet` reads its outputs with it.

        >>> from tropnet.algebras import M2R
        >>> M2R.real_part([[1, 5, 7, 3], [2, 0, 0, 2]]).tolist()
        [Fraction(2, 1), Fraction(2, 1)]
        """
        (x,), exact = self._operands(x, what="real_part")
        tau = self.trace_coefficients.astype(object if exact else np.float64)
        return np.tensordot(x, tau, axes=([-1], [0]))

    @property
    def trace_coefficients(self) -> np.ndarray:
        """The coefficients ``tau_a = tr(left_matrix(e_a)) / dim`` of :meth:`real_part` (exact).

        >>> from tropnet.algebras import H
        >>> H.trace_coefficients.tolist()
        [1, 0, 0, 0]
        """
        if "tau" not in self._cache:
            tr = np.einsum("abb->a", self._T_object)
            self._cache["tau"] = _compact(np.array([Fraction(v) / self.dim for v in tr], dtype=object))
        return self._cache["tau"]

    # ------------------------------------------------------------------ dunder
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Algebra is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Algebra):
            return NotImplemented
        return self.basis == other.basis and np.array_equal(self._T, other._T)

    def __hash__(self) -> int:
        return hash((self.dim, self.basis))

    def __reduce__(self):
        return (Algebra, (self.name, self._T, self.basis))

    def __repr__(self) -> str:
        return f"Algebra({self.name!r}, dim={self.dim})"


_TERM = re.compile(r"[+-]?[^+-]+")


def _parse_element(text: str, basis: tuple[str, ...], where: str) -> np.ndarray:
    """Coordinates of a linear combination such as ``"-k"`` or ``"2*i - 1/2*j"``."""
    out = np.array([Fraction(0)] * len(basis), dtype=object)
    s = text.replace(" ", "")
    if not s or "".join(_TERM.findall(s)) != s:
        raise ValueError(f"{where}: cannot read {text!r} as a combination of {basis}")
    for term in _TERM.findall(s):
        sign = -1 if term[0] == "-" else 1
        body = term.lstrip("+-")
        coef, name = Fraction(1), body
        if "*" in body:
            c, name = body.split("*", 1)
            try:
                coef = Fraction(c)
            except ValueError:
                raise ValueError(f"{where}: cannot read the coefficient {c!r} in {text!r}") from None
        if name in basis:
            out[basis.index(name)] += sign * coef
            continue
        try:
            num = to_exact(name)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {name!r} in {text!r} is not a basis element of {basis}") from None
        if num == 0:
            continue
        if "1" not in basis:
            raise ValueError(f"{where}: a bare number in {text!r} needs a basis element named '1'")
        out[basis.index("1")] += sign * coef * num
    return out


def matrix_algebra(n: int, *, over: str = "R") -> Algebra:
    """The algebra of ``n x n`` real (``over="R"``) or complex (``over="C"``) matrices.

    Components: row-major ``vec(X)``, then (complex case) ``(Re vec X, Im vec X)``.  The left
    matrix of ``W`` is ``W (x) I_n`` (real) and ``[[Re W (x) I_n, -Im W (x) I_n], [Im W (x) I_n,
    Re W (x) I_n]]`` (complex).

    >>> A = matrix_algebra(2)
    >>> A.name, A.dim, A.basis
    ('M2R', 4, ('E11', 'E12', 'E21', 'E22'))
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"matrix size n must be a positive integer, got {n!r}")
    if over not in ("R", "C"):
        raise ValueError(f"over must be 'R' or 'C', got {over!r}")
    n = int(n)
    parts = 1 if over == "R" else 2
    m = n * n
    T = np.zeros((parts * m, parts * m, parts * m), dtype=np.int64)
    for p in range(parts):
        for q in range(parts):
            # (i^p E_ij)(i^q E_kl) = delta_jk i^(p+q) E_il, and i^2 = -1
            r, sign = (p + q) % 2, (-1 if p + q == 2 else 1)
            for i in range(n):
                for j in range(n):
                    for l in range(n):
                        T[p * m + i * n + j, q * m + j * n + l, r * m + i * n + l] = sign
    names = [f"E{i + 1}{j + 1}" for i in range(n) for j in range(n)]
    if over == "C":
        names = names + [f"iE{i + 1}{j + 1}" for i in range(n) for j in range(n)]
    return Algebra(f"M{n}{over}", T, names)


R = Algebra("R", [[[1]]], ("1",))
C = Algebra.from_table("C", ["1", "i"], [["1", "i"], ["i", "-1"]])
H = Algebra.from_table(
    "H",
    ["1", "i", "j", "k"],
    [["1", "i", "j", "k"], ["i", "-1", "k", "-j"], ["j", "-k", "-1", "i"], ["k", "j", "-i", "-1"]],
)
M2R = matrix_algebra(2)
M3R = matrix_algebra(3)
M4R = matrix_algebra(4)
M2C = matrix_algebra(2, over="C")
D = Algebra.from_table("D", ["1", "eps"], [["1", "eps"], ["eps", "0"]])

#: The built-in algebras by name.
ALGEBRAS: MappingProxyType = MappingProxyType(
    {a.name: a for a in (R, C, H, M2R, M3R, M4R, M2C, D)}
)
