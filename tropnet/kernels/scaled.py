"""Exact rational arrays as integer numerators over one common denominator.

An object array of :class:`~fractions.Fraction` ``q`` is stored as ``(z, d)`` with
``q == z / d``, ``d`` a positive Python int and ``z`` an integer array: numpy ``int64`` while
every entry fits comfortably (``|z| < 2**62``), otherwise an object array of Python ints.
Integer numpy arithmetic on ``int64`` is about 100x faster than ``Fraction`` arithmetic, so the
exact kernels convert at their boundary, compute on integers, and convert back.

>>> from fractions import Fraction as F
>>> z, d = to_scaled(np.array([F(1, 2), F(1, 3), F(2)], dtype=object))
>>> z, d
(array([ 3,  2, 12]), 6)
>>> from_scaled(z, d).tolist()
[Fraction(1, 2), Fraction(1, 3), Fraction(2, 1)]
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "INT64_SAFE",
    "to_scaled",
    "from_scaled",
    "fits_int64",
    "as_int_array",
    "rescale",
    "plain_exact",
    "int_matmul",
    "exact_matmul",
]

INT64_SAFE = 1 << 62
"""Entries below this bound in absolute value are kept as ``int64``."""


def fits_int64(bound: int) -> bool:
    """True when an integer bound is small enough for ``int64`` arithmetic without overflow.

    >>> fits_int64(2**40), fits_int64(2**70)
    (True, False)
    """
    return bound < INT64_SAFE


def as_int_array(values: np.ndarray) -> np.ndarray:
    """``int64`` when every entry fits, else an object array of Python ints (same shape).

    >>> as_int_array(np.array([2**70, 1], dtype=object)).dtype
    dtype('O')
    """
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    if values.size == 0:
        return np.zeros(values.shape, dtype=np.int64)
    return _ints_to_array(list(map(int, values.ravel().tolist())), values.shape)


def _ints_to_array(ints: list[int], shape: tuple[int, ...]) -> np.ndarray:
    if not ints or fits_int64(max(max(ints), -min(ints))):
        return np.array(ints, dtype=np.int64).reshape(shape)
    out = np.empty(shape, dtype=object)
    out.ravel()[:] = ints
    return out


def plain_exact(a: np.ndarray) -> bool:
    """True when every entry is a Python ``int`` or ``Fraction`` (no conversion needed).

    A fast check by type only: arrays of other exact types (numpy or sympy integers) answer
    False and go through :func:`tropnet._numbers.as_exact_array`.

    >>> plain_exact(np.array([1, Fraction(1, 2)], dtype=object)), plain_exact(np.array([0.5], dtype=object))
    (True, False)
    """
    if a.dtype.kind in "iu":
        return True
    if a.dtype != object:
        return False
    return set(map(type, a.ravel().tolist())) <= {int, Fraction}


def to_scaled(q: np.ndarray) -> tuple[np.ndarray, int]:
    """Split an exact array into integer numerators ``z`` and one common denominator ``d``.

    >>> to_scaled(np.array([[1, 2]], dtype=object))
    (array([[1, 2]]), 1)
    """
    q = np.asarray(q)
    if q.dtype.kind in "iu":
        return q.astype(np.int64), 1
    if q.dtype.kind == "f":
        return _float_scaled(q)
    flat = q.ravel().tolist()
    dens = [v.denominator if type(v) is Fraction else 1 for v in flat]
    d = math.lcm(*dens) if dens else 1
    if d == 1:
        nums = [int(v.numerator) for v in flat]
    else:
        nums = [int(v.numerator) * (d // den) for v, den in zip(flat, dens)]
    return _ints_to_array(nums, q.shape), d


def _float_scaled(q: np.ndarray) -> tuple[np.ndarray, int]:
    """A float array as the dyadic rationals it stores: ``q == z / 2**s`` exactly (no
    ``Fraction`` is built: mantissas and exponents from ``frexp``).

    >>> _float_scaled(np.array([0.5, 3.0, -0.25]))
    (array([ 2, 12, -1]), 4)
    """
    q = q.astype(np.float64, copy=False)
    if not np.isfinite(q).all():
        raise ValueError("a NaN or infinite value has no exact value")
    m, e = np.frexp(q)
    M = (m * 2.0**53).astype(np.int64)
    E = e.astype(np.int64) - 53
    nz = M != 0
    if not nz.any():
        return np.zeros(q.shape, dtype=np.int64), 1
    # drop the trailing zero bits of every mantissa (smaller integers, same values)
    low = (M & -M)[nz]
    tz = np.zeros(M.shape, dtype=np.int64)
    tz[nz] = np.log2(low.astype(np.float64)).astype(np.int64)
    M = np.where(nz, M >> tz, 0)
    E = E + tz
    emin = int(E[nz].min())
    shift = np.where(nz, E - emin, 0)
    bits = np.where(nz, 64 - 11, 0)  # mantissas have at most 53 bits
    if int((shift + bits).max()) < 62:
        z = M << shift
    else:
        pairs = zip(M.ravel().tolist(), shift.ravel().tolist())
        z = _ints_to_array([int(a) << int(s) for a, s in pairs], q.shape)
    if emin >= 0:
        return (z.astype(object) * (1 << emin) if emin else z), 1
    return z, 1 << -emin


def rescale(z: np.ndarray, d: int, new_d: int) -> np.ndarray:
    """Numerators over ``new_d`` (a multiple of ``d``) for the values ``z / d``.

    >>> rescale(np.array([1, 3]), 2, 6)
    array([3, 9])
    """
    factor = new_d // d
    if factor == 1:
        return z
    if z.dtype != object and z.size:
        bound = max(int(np.abs(z).max()) * factor, factor)  # the factor itself must fit too
        if fits_int64(bound):
            return z * np.int64(factor)
    elif z.size == 0:
        return z
    return as_int_array(z.astype(object) * factor)


def from_scaled(z: np.ndarray, d: int) -> np.ndarray:
    """The object array of Fractions ``z / d`` (reduced).

    >>> from_scaled(np.array([2, 3]), 4).tolist()
    [Fraction(1, 2), Fraction(3, 4)]
    """
    out = np.empty(z.shape, dtype=object)
    flat = out.ravel()
    d = int(d)
    for i, v in enumerate(z.ravel().tolist()):
        flat[i] = Fraction(int(v), d)
    return out


def int_matmul(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The exact product of two integer arrays (``int64`` or objects holding Python ints):
    ``int64`` when no entry can overflow, FLINT's multimodular product (python-flint
    ``fmpz_mat``) for large object products, numpy's object loop for small ones.

    >>> int_matmul(np.array([[2**70, 1]], dtype=object), np.array([[1], [2]])).tolist()
    [[1180591620717411303426]]
    """
    if X.size == 0 or Y.size == 0:
        return np.zeros((X.shape[0], Y.shape[1]), dtype=np.int64)
    if X.dtype != object and Y.dtype != object:
        bound = int(np.abs(X).max()) * int(np.abs(Y).max()) * max(1, X.shape[1])
        if fits_int64(bound):
            return X.astype(np.int64) @ Y.astype(np.int64)
    if X.shape[0] * X.shape[1] * Y.shape[1] < 20_000:
        return as_int_array(X.astype(object).dot(Y.astype(object)))
    import flint

    P = flint.fmpz_mat(X.astype(object).tolist()) * flint.fmpz_mat(Y.astype(object).tolist())
    return _ints_to_array([int(v) for v in P.entries()], (X.shape[0], Y.shape[1]))


def exact_matmul(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, int]:
    """``A @ B`` for exact arrays (Fractions or ints) as ``(numerators, denominator)``: each
    factor over its common denominator, one integer product (:func:`int_matmul`).

    >>> A = np.array([[Fraction(1, 2), 1]], dtype=object)
    >>> z, d = exact_matmul(A, np.array([[1], [Fraction(1, 3)]], dtype=object))
    >>> from_scaled(z, d).tolist()
    [[Fraction(5, 6)]]
    """
    za, da = to_scaled(np.asarray(A))
    zb, db = to_scaled(np.asarray(B))
    return int_matmul(za, zb), da * db
