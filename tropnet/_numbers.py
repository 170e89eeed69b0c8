"""The two coefficient domains of tropnet: exact rationals and float64.

Exact values are :class:`fractions.Fraction`; a float converts to the exact dyadic
rational it stores (``Fraction(0.1) == 3602879701896397/36028797018963968``), never to
a rounded decimal.  Arrays of exact values are numpy ``object`` arrays of ``Fraction``.
Every conversion validates its input and raises a ``TypeError``/``ValueError`` that
names what was wrong (NaN, infinity, a non-numeric entry, a wrong shape).

Examples
--------
>>> from tropnet._numbers import to_exact, as_exact_array, is_exact_scalar
>>> to_exact(0.5), to_exact("3/4")
(Fraction(1, 2), Fraction(3, 4))
>>> as_exact_array([1, 0.25]).tolist()
[Fraction(1, 1), Fraction(1, 4)]
>>> is_exact_scalar(3), is_exact_scalar(3.0)
(True, False)
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "to_exact",
    "to_float",
    "is_exact_scalar",
    "is_exact_array",
    "as_exact_array",
    "as_float_array",
    "as_number_array",
    "exact_to_float_array",
]


def _sympy_rational(x: Any) -> Fraction | None:
    mod = type(x).__module__
    if mod.startswith("sympy"):
        if getattr(x, "is_Rational", False):
            return Fraction(int(x.p), int(x.q))
        if getattr(x, "is_Float", False):
            return Fraction(float(x))
        raise TypeError(f"sympy value {x!r} is not a rational or float number")
    return None


def to_exact(x: Any, *, name: str = "value") -> Fraction:
    """Convert one number to an exact :class:`~fractions.Fraction`.

    Accepts ints, Fractions, floats (as the dyadic rational they store), numpy scalars,
    sympy Rationals/Floats and strings such as ``"3/4"``.  NaN and infinities raise.

    >>> to_exact(0.1) == Fraction(3602879701896397, 36028797018963968)
    True
    """
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name}: booleans are not numbers here (got {x!r})")
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        raise TypeError(f"{name}: {x!r} is complex; only real numbers are supported")
    if isinstance(x, (float, np.floating)):
        xf = float(x)
        if math.isnan(xf):
            raise ValueError(f"{name} is NaN")
        if math.isinf(xf):
            raise ValueError(f"{name} is infinite ({xf}); exact values must be finite")
        return Fraction(xf)
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except (ValueError, ZeroDivisionError) as err:
            raise ValueError(f"{name}: cannot read {x!r} as a rational number") from err
    sp = _sympy_rational(x)
    if sp is not None:
        return sp
    if isinstance(x, numbers.Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    if hasattr(x, "numerator") and hasattr(x, "denominator"):  # flint.fmpq, gmpy2.mpq
        try:
            return Fraction(int(x.numerator), int(x.denominator))
        except (TypeError, ValueError):
            pass
    raise TypeError(f"{name}: {x!r} (type {type(x).__name__}) is not a number")


def to_float(x: Any, *, name: str = "value", allow_inf: bool = False) -> float:
    """Convert one number to a Python float, rejecting NaN (and infinities unless allowed).

    >>> to_float(Fraction(1, 4))
    0.25
    """
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name}: booleans are not numbers here (got {x!r})")
    if isinstance(x, (complex, np.complexfloating)):
        raise TypeError(f"{name}: {x!r} is complex; only real numbers are supported")
    try:
        v = float(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: {x!r} (type {type(x).__name__}) is not a number") from err
    except OverflowError:
        raise ValueError(
            f"{name}: {str(x)[:20]}... is beyond the float64 range (about 1.8e308); use exact mode"
        ) from None
    if math.isnan(v):
        raise ValueError(f"{name} is NaN")
    if math.isinf(v) and not allow_inf:
        raise ValueError(f"{name} is infinite ({v})")
    return v


def is_exact_scalar(x: Any) -> bool:
    """True for ints, Fractions and sympy Rationals (values that need no rounding).

    >>> is_exact_scalar(Fraction(1, 3)), is_exact_scalar(0.5)
    (True, False)
    """
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (int, np.integer, Fraction)):
        return True
    if type(x).__module__.startswith("sympy"):
        return bool(getattr(x, "is_Rational", False))
    return isinstance(x, numbers.Rational)


def is_exact_array(a: Any) -> bool:
    """True when every entry of ``a`` is exact (integer dtype, or objects that are exact).

    >>> is_exact_array(np.array([1, 2])), is_exact_array([0.5]), is_exact_array([Fraction(1, 2)])
    (True, False, True)
    """
    arr = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
    if arr.dtype.kind in "iu":
        return True
    if arr.dtype.kind != "O":
        return False
    return all(is_exact_scalar(v) for v in arr.ravel())


def _as_object_array(a: Any, name: str) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return a
    try:
        arr = np.array(a, dtype=object)
    except ValueError as err:  # ragged input
        raise ValueError(f"{name} is ragged (rows of different lengths): {err}") from err
    if arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()):
        raise ValueError(f"{name} is ragged (rows of different lengths)")
    return arr


def as_exact_array(a: Any, *, name: str = "array", ndim: int | None = None) -> np.ndarray:
    """An object array of :class:`~fractions.Fraction` with the shape of ``a``.

    >>> as_exact_array([[1, 0.5]]).shape
    (1, 2)
    """
    arr = _as_object_array(a, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    out = np.empty(arr.shape, dtype=object)
    if arr.dtype.kind in "fiu" and arr.size:
        # the fast path: numbers of one numpy type (a float is its dyadic rational)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ValueError(f"{name} entry {idx} is NaN or infinite; exact values must be finite")
        out.ravel()[:] = [Fraction(v) for v in arr.ravel().tolist()]
        return out
    flat_in = arr.ravel()
    flat_out = out.ravel()
    for i, v in enumerate(flat_in.tolist()):
        if type(v) is Fraction:
            flat_out[i] = v
            continue
        try:
            flat_out[i] = to_exact(v, name=name)
        except (TypeError, ValueError):  # again, naming the entry
            where = np.unravel_index(i, arr.shape) if arr.ndim else ()
            flat_out[i] = to_exact(v, name=f"{name} entry {where}")
    return out


def as_float_array(
    a: Any, *, name: str = "array", ndim: int | None = None, allow_neg_inf: bool = False
) -> np.ndarray:
    """A float64 array, with NaN, +inf (and -inf unless allowed) rejected by name.

    >>> as_float_array([1, Fraction(1, 2)])
    array([1. , 0.5])
    """
    if isinstance(a, np.ndarray) and a.dtype.kind in "fiu":
        arr = a.astype(np.float64, copy=False)
    else:
        obj = _as_object_array(a, name)
        arr = np.empty(obj.shape, dtype=np.float64)
        flat = arr.ravel()
        for i, v in enumerate(obj.ravel()):
            flat[i] = to_float(v, name=f"{name} entry", allow_inf=True)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if np.isnan(arr).any():
        idx = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise ValueError(f"{name} contains NaN (first at index {idx})")
    bad = np.isposinf(arr) if allow_neg_inf else np.isinf(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains an infinite value (first at index {idx})")
    return arr


def as_number_array(
    a: Any, *, name: str = "array", ndim: int | None = None, exact: bool | None = None
) -> np.ndarray:
    """Exact (object/Fraction) array when ``a`` is exact or ``exact=True``, else float64.

    >>> as_number_array([1, 2]).dtype, as_number_array([1.5]).dtype
    (dtype('O'), dtype('float64'))
    """
    if exact is None:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            exact = False
        else:
            exact = is_exact_array(_as_object_array(a, name))
    if exact:
        return as_exact_array(a, name=name, ndim=ndim)
    return as_float_array(a, name=name, ndim=ndim)


def exact_to_float_array(a: np.ndarray) -> np.ndarray:
    """Round an exact array to float64 (nearest double for each entry).

    >>> exact_to_float_array(np.array([Fraction(1, 4)], dtype=object)).tolist()
    [0.25]
    """
    if a.dtype == object:
        return np.array([float(v) for v in a.ravel()], dtype=np.float64).reshape(a.shape)
    return a.astype(np.float64)
