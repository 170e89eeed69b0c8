"""Exactness: the three passes (float, certified float, rational) and the fallback between them.

* *float*: numpy float64, ties decided with a relative tolerance (:mod:`tropnet.regions.vertex`);
* *certified float*: the float pass in ``longdouble`` carrying a rigorous bound on the rounding
  error of every vertex coordinate and pre-activation; a sign within its bound raises
  :class:`_Uncertain` (or sets its cell aside);
* *rational*: python-flint rationals with exact zero tests.

The passes convert the program and the box into their number type here (``_stage_to_float``,
``_stage_to_q``; a float is its dyadic rational; an affine stage of other rationals -- a slice's
first layer, the network's weights times the slice's directions -- is rounded, its bound carried
as ``Stage.rounding`` into every error bound; any other input that is not a float raises
:class:`_NotDyadic` and goes to the rational pass).  :class:`Exactness` says which passes a
call runs and in which order; :func:`with_fallback` runs them, falling back to the rational
pass when the certified one cannot decide (:class:`_Uncertain`) or its geometry contradicts
itself (:class:`_Inconsistent`).  Every fallback of the package goes through it.

>>> Exactness.for_call(exact=True, want="count")
Exactness('certified float -> rational')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..kernels.certify import (
    CERT_DTYPE,
    SAFETY,
    UNIT_ROUNDOFF,
    AmbiguousGeometryWarning,
    affine_error,
    interpolation_error,
)
from .program import Stage, _apply

_CERT = CERT_DTYPE
_U = UNIT_ROUNDOFF
_SAFE = SAFETY


class _NotDyadic(Exception):
    """An exact input that is not a float (the certified float pass cannot represent it)."""


def _as_float(a):
    arr = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) or a.dtype == object else a
    if arr.dtype == object:
        try:
            out = np.array([float(v) for v in arr.ravel()], dtype=np.float64).reshape(arr.shape)
        except OverflowError:  # beyond the float range: not a float either
            raise _NotDyadic from None
        if any(Fraction(f) != Fraction(v) for f, v in zip(out.ravel(), arr.ravel())):
            raise _NotDyadic
        return out
    return np.asarray(arr, dtype=np.float64)


#: entries of a rounded affine stage stay within these magnitudes (else the rational pass runs)
ROUND_RANGE = (1e-280, 1e280)


def _rounded(a: np.ndarray) -> np.ndarray:
    """Exact entries rounded to :data:`CERT_DTYPE` (``float(v)`` plus the float of the rest,
    summed once in extended precision): each within ``2 u`` times its rounding's magnitude
    (``u`` the unit roundoff; the two-term sum carries ~106 bits).  Entries beyond
    :data:`ROUND_RANGE` (underflow, overflow) raise :class:`_NotDyadic`.

    >>> r = _rounded(np.array([Fraction(1, 3), Fraction(0)], dtype=object))
    >>> bool(abs(Fraction(*r[0].as_integer_ratio()) - Fraction(1, 3)) <= 2 * _U * Fraction(1, 3)), float(r[1])
    (True, 0.0)
    """
    flat = np.asarray(a, dtype=object).ravel()
    out = np.empty(len(flat), dtype=_CERT)
    for i, v in enumerate(flat):
        v = Fraction(v)
        if v == 0:
            out[i] = 0
            continue
        if not ROUND_RANGE[0] <= abs(v) <= ROUND_RANGE[1]:
            raise _NotDyadic
        hi = float(v)
        out[i] = _CERT(hi) + _CERT(float(v - Fraction(hi)))
    return out.reshape(np.shape(a))


def _stage_to_float(st: Stage) -> Stage:
    """A stage of the certified pass: its numbers in :data:`CERT_DTYPE`, exactly where they are
    floats; an affine stage with other rationals (a slice's first layer: the network's weights
    times the slice's directions) is rounded, its error bound carried as ``rounding`` (which
    :func:`_forward_with_error` adds); other inexact numbers raise :class:`_NotDyadic`."""
    if st.kind == "affine":
        try:
            return Stage("affine", W=_as_float(st.W).astype(_CERT), b=_as_float(st.b).astype(_CERT))
        except _NotDyadic:
            return Stage("affine", W=_rounded(st.W), b=_rounded(st.b), rounding=2 * _U * (1 + 1e-9))
    if st.kind in ("threshold", "leaky"):
        return Stage(
            st.kind, idx=st.idx, param=_as_float(np.array([st.param], dtype=object)).astype(_CERT)[0]
        )
    return st


def _forward_with_error(stages: list[Stage], X: np.ndarray, ex: np.ndarray):
    """Float forward pass and a rigorous bound (max-norm, per point) on its distance to the
    exact values at the exact points within ``ex`` of ``X``: every layer here is
    Lipschitz-1 in the max-norm except ``affine`` (``||W||_inf``), and each affine map adds
    at most ``gamma_{n+1} (|W| |z| + |b|)`` of rounding; a rounded stage (``rounding`` r: its
    exact ``W*``, ``b*`` within ``r |W|``, ``r |b|``) another ``r (|W| (|z| + err) + |b|)``."""
    z = X
    err = ex.copy()
    for st in stages:
        if st.kind == "affine":
            W, b = np.asarray(st.W, dtype=_CERT), np.asarray(st.b, dtype=_CERT)
            if _CERT is not np.float64 and W.shape[1] >= BLAS_MIN_INPUTS and len(z) * W.size >= BLAS_MIN_WORK:
                z, err = _affine_float64(W, b, z, err, st.rounding)
                continue
            if st.rounding and W.size:
                err = affine_error(W, b, z, err) + st.rounding * (
                    (np.abs(z) + err[:, None]).dot(np.abs(W).T) + np.abs(b)).max(axis=1)
            else:
                err = affine_error(W, b, z, err)
        elif st.kind == "leaky":
            err = err + _U * np.abs(z).max(axis=1)
        z = _apply(st, z)
    return z, _SAFE * err


#: affine maps of at least this many inputs, on at least this many (points x weights), run in
#: float64 (BLAS) in :func:`_forward_with_error`: extended precision has no BLAS, and its
#: products took 4 of the 6 s of an exact count of a [784, 256, 256, 10] plane
BLAS_MIN_INPUTS, BLAS_MIN_WORK = 64, 1 << 22
_U64 = 2.0**-53


def _affine_float64(W, b, z, err, rounding: float):
    """``W z + b`` of :func:`_forward_with_error` computed in float64 (one BLAS product), and
    its bound: the float64 copies of ``z`` and ``W``, ``b`` are within ``u |z|`` (plus underflow)
    and ``(rounding + u) |W|``, ``|b|`` of the computed and exact ones (``u = 2^-53``), the
    product adds ``gamma_{n+1} (|W| |z| + |b|)`` in float64 (any summation order, any blocking),
    and the bounds' own float64 sums are scaled up by as much.

    >>> z, e = _affine_float64(np.ones((3, 64), dtype=_CERT), np.zeros(3, dtype=_CERT),
    ...                        np.ones((2, 64), dtype=_CERT), np.zeros(2, dtype=_CERT), 0.0)
    >>> z.dtype == _CERT, float(z[0, 0]), bool(0 < e[0] < 1e-12)
    (True, 64.0, True)
    """
    n = W.shape[1]
    g = (n + 1) * _U64 * (1 + 1e-6)  # gamma_{n+1} in float64
    zf, Wf, bf = z.astype(np.float64), W.astype(np.float64), b.astype(np.float64)
    e_in = err + _U64 * np.abs(z).max(axis=1) + 1e-300  # |z* - zf|, per point (max-norm)
    rw = (rounding + _U64) * (1 + 1e-6)  # |W* - Wf| <= rw |Wf|, |b* - bf| <= rw |bf|
    out = zf.dot(Wf.T) + bf
    mag = (np.abs(zf).dot(np.abs(Wf).T) + np.abs(bf)).max(axis=1) * (1 + 2 * g) + (n + 1) * 1e-300
    norm = float(np.abs(Wf).sum(axis=1).max()) * (1 + 2 * g)
    new = (1 + rw) * norm * e_in + (g + rw) * mag.astype(_CERT)
    return out.astype(_CERT), new


_interpolation_error = interpolation_error


def _fmpq(v):
    v = Fraction(v)
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a core dependency
        return v
    return flint.fmpq(v.numerator, v.denominator)


def _to_q(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [_fmpq(v) for v in a.ravel()]
    return out


def _coprime_fraction(p: int, q: int) -> Fraction:
    """``Fraction(p, q)`` for coprime ``p`` and ``q > 0``, without a gcd or ``Fraction.__new__``
    (its checks cost more than the rest of a rational vertex's conversion).

    >>> _coprime_fraction(-3, 4) == Fraction(-3, 4) and hash(_coprime_fraction(1, 2)) == hash(0.5)
    True
    """
    f = _new_object(Fraction)
    f._numerator, f._denominator = p, q
    return f


def _slow_coprime_fraction(p: int, q: int) -> Fraction:  # pragma: no cover - another Fraction layout
    return Fraction(p, q)


_new_object = object.__new__
try:  # the layout of CPython's Fraction (slots _numerator, _denominator), checked once
    if _coprime_fraction(-3, 4) != Fraction(-3, 4) or hash(_coprime_fraction(3, 4)) != hash(0.75):
        raise TypeError
except (AttributeError, TypeError):  # pragma: no cover
    _coprime_fraction = _slow_coprime_fraction  # noqa: F811


def _q_to_fraction(v) -> Fraction:
    try:  # fmpq is already in lowest terms, its denominator positive
        p, q = int(v.p), int(v.q)
    except AttributeError:  # an int or a Fraction
        return Fraction(v)
    return _coprime_fraction(p, q)


def _from_q(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [_q_to_fraction(v) for v in a.ravel()]
    return out


def _stage_to_q(st: Stage) -> Stage:
    if st.kind == "affine":
        W = _to_q(np.asarray(st.W, dtype=object))
        return Stage("affine", W=W, b=_to_q(np.asarray(st.b, dtype=object)))
    if st.kind in ("threshold", "leaky"):
        return Stage(st.kind, idx=st.idx, param=_fmpq(st.param))
    return st


class _Uncertain(Exception):
    """A sign the certified float pass cannot decide (the exact pass takes over)."""


def warn_ambiguous(count: int, stacklevel: int = 2) -> None:
    """Warn (:class:`AmbiguousGeometryWarning`) when a float run left ``count > 0`` decisions
    inside its tolerance band that no exact check decided (:mod:`tropnet.regions.ties`)."""
    if count:
        import warnings

        warnings.warn(
            f"float mode left {count} sign decision{'s' if count != 1 else ''} undecided (values within "
            "its tolerance band of 1e-09 times the size of their terms that no exact check decided): thin "
            "cells may have been merged and the result may be off; use exact=True for a certified answer",
            AmbiguousGeometryWarning,
            stacklevel=stacklevel + 1,
        )


class _Inconsistent(Exception):
    """The certified cells contradict themselves (a bug): the rational pass takes over."""


#: what a failed certified pass raises; :func:`with_fallback` answers each with the rational pass
FALLBACK_ERRORS = (_Uncertain, _Inconsistent)


@dataclass(frozen=True)
class Exactness:
    """Which passes a call runs: ``exact=False`` the float pass alone; ``exact=True`` the
    rational pass, preceded when ``certify`` by the certified float pass (which keeps every
    vertex's tight constraints when ``codes``: the exact geometry without exact vertices, see
    :mod:`tropnet.regions.geometry`).

    The scope of the fallback follows: a certified *count* falls back per engine run (cells of
    the other runs stay), certified *codes* fall back for the whole call (cells with and
    without tight codes cannot be joined into one geometry).

    >>> Exactness.for_call(exact=False, want="regions")
    Exactness('float')
    >>> Exactness.for_call(exact=True, want="regions").fallback()
    Exactness('rational')
    """

    exact: bool = False
    certify: bool = False
    codes: bool = False

    @classmethod
    def for_call(cls, *, exact: bool, want: str) -> Exactness:
        """The policy for a call wanting ``"count"`` (activation count: cells only),
        ``"regions"`` (cells and their exact geometry) or ``"cells"`` (one pass as asked)."""
        if not exact:
            return cls()
        if want == "count":
            return cls(True, True, False)
        if want == "regions":
            return cls(True, True, True)
        return cls(True, False, False)

    @property
    def name(self) -> str:
        if not self.exact:
            return "float"
        if not self.certify:
            return "rational"
        return "certified float" + (" with tight codes" if self.codes else "") + " -> rational"

    @property
    def scope(self) -> str:
        """Where a failed certified pass falls back: ``"run"`` (the engine run) or ``"call"``."""
        return "call" if self.codes else "run"

    def fallback(self) -> Exactness:
        """The pass that decides what the certified pass could not: the rational pass."""
        return Exactness(self.exact, False, False) if self.exact else self

    def __repr__(self) -> str:
        return f"Exactness({self.name!r})"


def with_fallback(run, exactness: Exactness):
    """``run(exactness)``, and when its certified pass fails (:data:`FALLBACK_ERRORS`),
    ``run(exactness.fallback())``: the one place a certified pass hands over to the rational pass.

    >>> def run(e):
    ...     if e.certify:
    ...         raise _Uncertain
    ...     return e.name
    >>> with_fallback(run, Exactness.for_call(exact=True, want="count"))
    'rational'
    """
    if not exactness.certify:
        return run(exactness)
    try:
        return run(exactness)
    except FALLBACK_ERRORS:
        return run(exactness.fallback())
