"""Rigorous floating-point error bounds, used to certify float decisions exactly.

A float computation whose every sign test clears a rigorous bound on its rounding error took
the same branches as the exact computation on the same (dyadic) inputs.  The bounds here are
the standard ones (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3): a dot
product of length ``n`` computed in any order errs by at most ``gamma_n |a| |b|`` with
``gamma_n = n u / (1 - n u)``.  Computation runs in :data:`CERT_DTYPE`, extended precision
(64-bit mantissa) where the platform has it, so ``u = 2**-64`` there.

>>> gamma(1) > UNIT_ROUNDOFF
True
>>> z = np.array([[1.0, 2.0]], dtype=CERT_DTYPE)
>>> bool(affine_error(np.eye(2, dtype=CERT_DTYPE), np.zeros(2, dtype=CERT_DTYPE), z, np.zeros(1))[0] > 0)
True
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

__all__ = [
    "AmbiguousGeometryWarning",
    "CERT_DTYPE", "UNIT_ROUNDOFF", "FLOAT64_ROUNDOFF", "SAFETY", "gamma", "gamma_bound", "affine_error",
    "interpolation_error"]

#: The float type of certified computations (x86 ``long double`` has a 64-bit mantissa).
CERT_DTYPE = np.longdouble if np.finfo(np.longdouble).nmant >= 63 else np.float64
#: Unit roundoff ``u`` of :data:`CERT_DTYPE`.
UNIT_ROUNDOFF = float(np.finfo(CERT_DTYPE).eps) / 2
#: Relative margin covering the rounding of the bound computations themselves.
SAFETY = 1.0 + 1e-6


#: Unit roundoff of float64, for the bounds of computations done in float64 (the 2-D linear
#: certificates, :mod:`tropnet.regions.planar_linear`, and vertex bounds).
FLOAT64_ROUNDOFF = 2.0**-53


def gamma(n: int, u: float = UNIT_ROUNDOFF) -> float:
    """An upper bound of ``gamma_n = n u / (1 - n u)`` (Higham, *Accuracy and Stability of
    Numerical Algorithms*, 2nd ed., section 3.1), the relative error bound of an ``n``-term sum
    or dot product in arithmetic of unit roundoff ``u`` (:data:`CERT_DTYPE`'s by default,
    :data:`FLOAT64_ROUNDOFF` for float64), for a whole ``n >= 0`` with ``n u < 1e-9`` (the
    quotient itself would round to ``n u``).

    >>> gamma(10) > 10 * UNIT_ROUNDOFF
    True
    >>> gamma(1, FLOAT64_ROUNDOFF) >= 2.0**-53 / (1 - 2.0**-53)
    True
    """
    try:
        return _checked(n, u)
    except TypeError:  # (an unhashable n: the checks name it)
        return _checked.__wrapped__(n, u)


@functools.lru_cache(maxsize=4096, typed=True)  # (checked once per n and u: callers pass a few small n)
def _checked(n, u):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"gamma needs a whole number of operations n >= 0, got {n!r}")
    if n * u >= 1e-9:
        raise ValueError(f"gamma({n}): too many terms for the certified bounds")
    return gamma_bound(n, u)


def gamma_bound(n, u):
    """:func:`gamma` without its checks: a plain expression that numba compiles as it is (the
    compiled certificate, :mod:`tropnet.regions.planar_jit`, calls it).  For ``n u < 1e-9`` it
    exceeds ``n u / (1 - n u)`` even after its own rounding (``n u`` is exact; the factor's
    product errs by at most ``u``).

    >>> gamma_bound(4, 2.0**-53) == gamma(4, FLOAT64_ROUNDOFF)
    True
    """
    return n * u * (1 + 2e-9)


def affine_error(W: np.ndarray, b: np.ndarray, z: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Bound (max-norm, one per row of ``z``) on ``|fl(W z + b) - (W z* + b)|`` when the
    computed inputs ``z`` are within ``err`` (max-norm) of the exact ``z*``:
    ``||W||_inf err + gamma_{n+1} max_i (|W| |z| + |b|)_i``.

    >>> float(affine_error(np.array([[2.0, 0.0]]), np.zeros(1), np.zeros((1, 2)), np.array([0.5]))[0])
    1.0
    """
    if W.size == 0:
        return err
    mag = (np.abs(z).dot(np.abs(W).T) + np.abs(b)).max(axis=1)
    return np.abs(W).sum(axis=1).max() * err + gamma(W.shape[1] + 1) * mag


def interpolation_error(sp, sn, fp, fn, Xp, Xn, Ep, En, Zp, Zn, t) -> np.ndarray:
    """Error bounds ``(k, 2)`` of new points ``a + t (b - a)`` with ``t = s_a / (s_a - s_b)``
    (``s_a > 0 > s_b`` certified): column 0 for the coordinates ``X``, column 1 for the
    values ``Z`` interpolated alike.  ``fp``, ``fn`` bound the errors of ``s_a``, ``s_b``;
    ``Ep``, ``En`` those of the endpoints.  ``t`` is monotone in ``s_a`` and ``|s_b|``, so its
    exact range is attained at the ends of their intervals; the endpoint errors enter with
    weights ``1 - t`` and ``t``.

    >>> one = np.ones(1)
    >>> e = interpolation_error(one, -one, 0 * one, 0 * one, np.zeros((1, 1)), np.ones((1, 1)),
    ...                         np.zeros((1, 2)), np.zeros((1, 2)), None, None, 0.5 * one)
    >>> bool(e[0, 0] < 1e-15)
    True
    """
    u = UNIT_ROUNDOFF
    ap, an = np.abs(sp), np.abs(sn)
    tlo = (ap - fp) / ((ap - fp) + (an + fn))
    thi = (ap + fp) / ((ap + fp) + np.maximum(an - fn, 0.0))
    dt = np.maximum(np.abs(t - tlo), np.abs(thi - t)) + 16 * u
    out = np.empty((len(t), 2), dtype=CERT_DTYPE)
    dX = np.abs(Xn - Xp).max(axis=1)
    out[:, 0] = (
        np.maximum(Ep[:, 0], En[:, 0])
        + dt * (dX + Ep[:, 0] + En[:, 0])
        + 3 * u * (np.abs(Xp).max(axis=1) + dX)
    )
    if Zp is not None and Zp.shape[1]:
        dZ = np.abs(Zn - Zp).max(axis=1)
        out[:, 1] = (
            np.maximum(Ep[:, 1], En[:, 1])
            + dt * (dZ + Ep[:, 1] + En[:, 1])
            + 3 * u * (np.abs(Zp).max(axis=1) + dZ)
        )
    else:
        out[:, 1] = 0.0
    return SAFETY * out


class AmbiguousGeometryWarning(UserWarning):
    """A float-mode computation met decisions it could not make: values inside the tolerance
    band that decides ties that no exact check could decide (a sliver thinner than the tolerance
    may be there).  In region enumeration each such
    decision counts as a tie, which can merge a real cell thinner than the tolerance into its
    neighbour, so the count may be too low; ``exact=True`` decides every sign exactly.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     from tropnet.regions.exactness import warn_ambiguous
    ...     warn_ambiguous(3)
    >>> print(caught[0].message)
    float mode left 3 sign decisions undecided (values within its tolerance band ... use exact=True ...
    """
