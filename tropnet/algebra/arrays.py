"""User input to kernel arrays: exponents, coefficients, evaluation points, tropical zeros.

What a user hands to :class:`~tropnet.TropicalPolynomial` (nested lists, numpy arrays, Fractions,
sympy numbers, floats, ``-inf``) is checked here and turned into the arrays
:mod:`tropnet.kernels.poly` works on, with an error naming what is wrong.

>>> as_exponents([1, 2]).shape          # univariate shorthand: one exponent per monomial
(2, 1)
>>> is_neg_inf(float("-inf")), is_pos_inf(float("-inf"))
(True, False)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from ..kernels.scaled import plain_exact

__all__ = ["is_neg_inf", "is_pos_inf", "as_exponents", "as_coefficients", "exact_pair", "as_points"]


def is_neg_inf(v: Any) -> bool:
    """Is ``v`` minus infinity (a float or a sympy number), the max-plus zero?

    >>> is_neg_inf(float("-inf")), is_neg_inf(-10**400)
    (True, False)
    """
    if isinstance(v, (float, np.floating)):
        return math.isinf(v) and v < 0
    if type(v).__module__.startswith("sympy"):
        return bool(getattr(v, "is_infinite", False)) and bool(getattr(v, "is_extended_negative", False))
    return False


def is_pos_inf(v: Any) -> bool:
    """Is ``v`` plus infinity (a float or a sympy number), the min-plus zero?

    >>> import sympy
    >>> is_pos_inf(sympy.oo), is_pos_inf(1e308)
    (True, False)
    """
    if isinstance(v, (float, np.floating)):
        return math.isinf(v) and v > 0
    if type(v).__module__.startswith("sympy"):
        return bool(getattr(v, "is_infinite", False)) and bool(getattr(v, "is_extended_positive", False))
    return False


def as_exponents(exponents: Any) -> np.ndarray:
    """Exponent rows as a 2-D array (m, n); a 1-D input is m univariate exponents.

    >>> as_exponents([[1, 2], [3]])
    Traceback (most recent call last):
    ...
    ValueError: exponents are ragged (rows of different lengths)...
    """
    if isinstance(exponents, np.ndarray) and exponents.dtype.kind in "fiu":
        arr = exponents
    else:
        try:
            arr = np.array(exponents, dtype=object)
        except ValueError as err:
            raise ValueError(f"exponents are ragged (rows of different lengths): {err}") from err
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)  # univariate shorthand: one exponent per monomial
    if arr.ndim != 2:
        raise ValueError(f"exponents must have shape (m, n); got shape {arr.shape}")
    if arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()):
        raise ValueError("exponents are ragged (rows of different lengths)")
    return arr


def as_coefficients(coefficients: Any, m: int) -> np.ndarray:
    """The m coefficients as a 1-D array, checked against the number of exponent rows.

    >>> as_coefficients([0, 1], 3)
    Traceback (most recent call last):
    ...
    ValueError: 3 exponent rows but 2 coefficients
    """
    if isinstance(coefficients, np.ndarray) and coefficients.dtype.kind in "fiu":
        arr = coefficients
    else:
        arr = np.array(coefficients, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"coefficients must be one-dimensional (length m); got shape {arr.shape}")
    if arr.shape[0] != m:
        raise ValueError(f"{m} exponent rows but {arr.shape[0]} coefficients")
    return arr


def exact_pair(E: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Object arrays of Fractions (ints become Fractions; other exact types are converted).

    >>> exact_pair(np.array([[1]]), np.array([2]))[1].tolist()
    [Fraction(2, 1)]
    """

    def conv(a: np.ndarray, name: str, ndim: int) -> np.ndarray:
        if plain_exact(a):
            out = np.empty(a.shape, dtype=object)
            out.ravel()[:] = [v if type(v) is Fraction else Fraction(v) for v in a.ravel().tolist()]
            return out
        return as_exact_array(a, name=name, ndim=ndim)

    return conv(E, "exponents", 2), conv(c, "coefficients", 1)


def as_points(x: Any, n: int) -> np.ndarray:
    """Evaluation points as a (k, n) array: exact values kept, anything else read as floats.

    >>> as_points([[1, 2]], 2).shape
    (1, 2)
    """
    arr = x if isinstance(x, np.ndarray) else np.array(x, dtype=object)
    if arr.dtype == object and not plain_exact(arr) and not is_exact_array(arr):
        arr = as_float_array(arr, name="evaluation points")
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(f"evaluation points must have shape (k, {n}); got {arr.shape}")
    return arr
