"""Tropical (max-plus) polynomials as plain arrays: the functional core under the user classes.

A polynomial in array form is a pair ``(E, c)`` meaning ``x -> max_i (c[i] + <E[i], x>)``:

* ``E`` has shape (m, n) (exponents, Puiseux: any real, negative allowed), ``c`` shape (m,).
* **Float mode**: both float64.  A ``-inf`` coefficient is the tropical zero; it is dropped by
  :func:`normalize`.
* **Exact mode**: both numpy object arrays of :class:`fractions.Fraction`.  Internally the
  kernels compute on integer numerators over a common denominator (``int64`` while it fits,
  Python ints after, see :mod:`tropnet.kernels.scaled`); nothing is ever rounded.
* A function given one exact and one float polynomial works in float mode.
* The kernels check shapes but not values (NaN, +inf): the user classes in
  :mod:`tropnet.algebra` validate input once, so inner loops (the compiler) pay nothing.

Every function returns a new pair; no input is modified.  Functions that produce a polynomial
return it *normalized*: equal exponent rows merged by max, ``-inf`` terms dropped, rows in the
*monomial order* (:func:`monomial_order`: by total degree, then with higher powers of the earlier
variables first), so equal normalized polynomials have equal arrays.  It is the order in which
polynomials print, so indices into ``exponents`` (dual subdivisions, hypersurface cells) read
directly against the printed polynomial.

>>> import numpy as np
>>> E = np.array([[0.0], [1.0], [2.0]]); c = np.array([0.0, 0.0, 0.0])   # max(0, x, 2x)
>>> E2, c2 = prune(E, c)
>>> E2.ravel().tolist(), c2.tolist()
([0.0, 2.0], [0.0, 0.0])
>>> evaluate(E, c, np.array([[1.5], [-1.0]])).tolist()
[3.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import (
    as_exact_array,
    as_float_array,
    exact_to_float_array,
    is_exact_array,
    to_exact,
    to_float,
)
from . import hull
from .merge import group_max
from .scaled import as_int_array, fits_int64, from_scaled, plain_exact, rescale, to_scaled

__all__ = [
    "Poly",
    "is_exact",
    "to_float_poly",
    "zero",
    "one",
    "normalize",
    "monomial_order",
    "tropical_sum",
    "tropical_product",
    "tropical_power",
    "tropical_product_many",
    "evaluate",
    "upper_hull_mask",
    "upper_hull_vertices",
    "prune",
]

Poly = tuple[np.ndarray, np.ndarray]
"""A polynomial in array form: ``(exponents (m, n), coefficients (m,))``."""

_CHUNK = 1 << 22  # entries of the (points x monomials) block evaluated at once (exact mode)
_BLOCK = 1 << 18  # the same for float mode (cache-sized)


def is_exact(E: np.ndarray, c: np.ndarray) -> bool:
    """True for an exact-mode pair (object arrays of Fractions).

    >>> is_exact(np.zeros((1, 1)), np.zeros(1))
    False
    """
    return c.dtype == object and E.dtype == object


def to_float_poly(E: np.ndarray, c: np.ndarray) -> Poly:
    """The float-mode pair of a polynomial (each exact entry rounded to the nearest double).

    >>> to_float_poly(np.array([[Fraction(1, 2)]], dtype=object), np.array([Fraction(1)], dtype=object))
    (array([[0.5]]), array([1.]))
    """
    return exact_to_float_array(E).astype(np.float64), exact_to_float_array(c).astype(np.float64)


def zero(n: int, exact: bool = True) -> Poly:
    """The tropical zero (``-inf`` everywhere): no monomials.

    >>> zero(2)[0].shape
    (0, 2)
    """
    dt = object if exact else np.float64
    return np.zeros((0, n), dtype=dt), np.zeros(0, dtype=dt)


def one(n: int, exact: bool = True) -> Poly:
    """The tropical one (the constant 0): the single monomial with exponent 0 and coefficient 0.

    >>> one(2)[0].tolist(), one(2)[1].tolist()
    ([[Fraction(0, 1), Fraction(0, 1)]], [Fraction(0, 1)])
    """
    if exact:
        E = np.empty((1, n), dtype=object)
        E[...] = Fraction(0)
        return E, np.array([Fraction(0)], dtype=object)
    return np.zeros((1, n)), np.zeros(1)


def _check_pair(E: np.ndarray, c: np.ndarray, name: str = "polynomial") -> None:
    if not isinstance(E, np.ndarray) or not isinstance(c, np.ndarray):
        raise TypeError(f"{name}: exponents and coefficients must be numpy arrays")
    if E.ndim != 2 or c.ndim != 1 or E.shape[0] != c.shape[0]:
        raise ValueError(
            f"{name}: exponents must have shape (m, n) and coefficients (m,); got {E.shape} and {c.shape}"
        )


def _common(p: Poly, q: Poly) -> tuple[Poly, Poly, bool]:
    _check_pair(*p, name="first polynomial")
    _check_pair(*q, name="second polynomial")
    if p[0].shape[1] != q[0].shape[1]:
        raise ValueError(
            f"cannot combine polynomials in {p[0].shape[1]} and {q[0].shape[1]} variables"
        )
    if is_exact(*p) and is_exact(*q):
        return p, q, True
    return (to_float_poly(*p) if is_exact(*p) else p), (to_float_poly(*q) if is_exact(*q) else q), False


# ----------------------------------------------------------------------------------------------
# merging equal exponents


def monomial_order(E: np.ndarray) -> np.ndarray:
    """The permutation sorting exponent rows by total degree, then by the powers of the variables
    in turn, higher first (``1 < x < y < x^2 < xy < y^2``): the order of normalized polynomials
    and of their printed terms.

    >>> monomial_order(np.array([[0, 1], [1, 1], [1, 0], [0, 0], [2, 0]])).tolist()
    [3, 2, 0, 4, 1]
    """
    m = len(E)
    if m <= 1 or E.shape[1] == 0:
        return np.arange(m)
    if E.dtype == object or (E.dtype.kind in "iu" and not fits_int64(E.shape[1] * int(np.abs(E).max()))):
        rows = E.tolist()
        return np.array(sorted(range(m), key=lambda i: (sum(rows[i]), [-x for x in rows[i]])), dtype=np.int64)
    if E.shape[1] == 1:
        return np.argsort(E[:, 0], kind="stable")
    return np.lexsort((*(-E[:, k] for k in range(E.shape[1] - 1, -1, -1)), E.sum(axis=1)))


def _in_monomial_order(idx: np.ndarray, E: np.ndarray) -> np.ndarray:
    """``idx`` (rows of ``E`` in lexicographic order, as group_max returns them) reordered into
    the monomial order: reversed, then stably sorted by degree (no copy of the rows)."""
    if len(idx) <= 1 or E.shape[1] <= 1:
        return idx
    rev = idx[::-1]
    deg = E[rev, 0].copy()
    for k in range(1, E.shape[1]):  # column by column: much faster than sum(axis=1) on short rows
        deg += E[rev, k]
    return rev[np.argsort(deg, kind="stable")]


def normalize(E: np.ndarray, c: np.ndarray) -> Poly:
    """Merge equal exponent rows by max, drop ``-inf`` terms, sort rows in the monomial order.

    >>> E = np.array([[1.0], [0.0], [1.0]]); c = np.array([2.0, -np.inf, 5.0])
    >>> [a.tolist() for a in normalize(E, c)]
    [[[1.0]], [5.0]]
    >>> F = Fraction
    >>> Ex = np.array([[F(1)], [F(1)], [F(0)]], dtype=object)
    >>> normalize(Ex, np.array([F(1, 3), F(1, 2), F(0)], dtype=object))[1].tolist()
    [Fraction(0, 1), Fraction(1, 2)]
    """
    _check_pair(E, c)
    if is_exact(E, c):
        Ez, _ = to_scaled(E)
        cz, _ = to_scaled(c)
        idx = _in_monomial_order(group_max(Ez, cz), Ez)
        return E[idx], c[idx]
    E = np.asarray(E, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    live = c > -np.inf
    E, c = E[live], c[live]
    idx = _in_monomial_order(group_max(E, c), E)
    return E[idx], c[idx]


# ----------------------------------------------------------------------------------------------
# semiring operations


def tropical_sum(p: Poly, q: Poly) -> Poly:
    """The tropical sum ``max(p, q)``: the union of the monomials, merged.

    >>> p = (np.array([[0.0]]), np.array([1.0])); q = (np.array([[0.0], [1.0]]), np.array([0.0, 0.0]))
    >>> [a.tolist() for a in tropical_sum(p, q)]
    [[[0.0], [1.0]], [1.0, 0.0]]
    """
    p, q, _ = _common(p, q)
    return normalize(np.concatenate([p[0], q[0]]), np.concatenate([p[1], q[1]]))


def _pairwise_sum(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Rows ``X[i] + Y[j]`` for all (i, j), i-major; int64/float64/object."""
    out = X[:, None, ...] + Y[None, :, ...]
    return out.reshape((X.shape[0] * Y.shape[0],) + X.shape[1:])


def tropical_product(p: Poly, q: Poly) -> Poly:
    """The tropical product ``p + q`` (pointwise): Minkowski sum of the monomials, one broadcast.

    >>> p = (np.array([[0.0], [1.0]]), np.array([0.0, 0.0]))      # max(0, x)
    >>> [a.tolist() for a in tropical_product(p, p)]              # max(0, x, 2x)
    [[[0.0], [1.0], [2.0]], [0.0, 0.0, 0.0]]
    """
    p, q, exact = _common(p, q)
    if not exact:
        return normalize(_pairwise_sum(p[0], q[0]), _pairwise_sum(p[1], q[1]))
    (E1, d1), (E2, d2) = to_scaled(p[0]), to_scaled(q[0])
    (c1, k1), (c2, k2) = to_scaled(p[1]), to_scaled(q[1])
    dE = d1 * d2 // _gcd(d1, d2)
    dc = k1 * k2 // _gcd(k1, k2)
    E1, E2 = rescale(E1, d1, dE), rescale(E2, d2, dE)
    c1, c2 = rescale(c1, k1, dc), rescale(c2, k2, dc)
    Ez = _safe_pairwise(E1, E2)
    cz = _safe_pairwise(c1, c2)
    idx = _in_monomial_order(group_max(Ez, cz), Ez)
    return from_scaled(Ez[idx], dE), from_scaled(cz[idx], dc)


def _gcd(a: int, b: int) -> int:
    return math.gcd(int(a), int(b))


def _safe_pairwise(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    if X.dtype != object and Y.dtype != object:
        bound = int(np.abs(X).max(initial=0)) + int(np.abs(Y).max(initial=0))
        if fits_int64(bound):
            return _pairwise_sum(X, Y)
    return as_int_array(_pairwise_sum(X.astype(object), Y.astype(object)))


def tropical_power(E: np.ndarray, c: np.ndarray, a: Any) -> Poly:
    """``a`` times the polynomial (the tropical power ``p**a``), for real ``a >= 0``: ``(a*E, a*c)``.

    Exact when the polynomial and ``a`` are exact; ``p**0`` is the tropical one.

    >>> E = np.array([[Fraction(1)]], dtype=object); c = np.array([Fraction(2)], dtype=object)
    >>> [x.tolist() for x in tropical_power(E, c, Fraction(1, 2))]
    [[[Fraction(1, 2)]], [Fraction(1, 1)]]
    """
    _check_pair(E, c)
    if isinstance(a, (bool, np.bool_)):
        raise TypeError("tropical power: the exponent must be a number, not a boolean")
    exact = is_exact(E, c) and not isinstance(a, (float, np.floating))
    if exact:
        a = to_exact(a, name="tropical power exponent")
    else:
        a = to_float(a, name="tropical power exponent")
        if is_exact(E, c):
            E, c = to_float_poly(E, c)
    if a < 0:
        raise ValueError(f"a tropical polynomial power needs an exponent >= 0 (got {a}); "
                         "use a TropicalRational for negative powers")
    if a == 0:
        return one(E.shape[1], exact=exact)
    if exact:
        return normalize(E * a, c * a)
    return normalize(np.asarray(E, dtype=np.float64) * a, np.asarray(c, dtype=np.float64) * a)


# ----------------------------------------------------------------------------------------------
# evaluation


def evaluate(E: np.ndarray, c: np.ndarray, X: Any) -> np.ndarray:
    """Values ``max_i (c_i + <E_i, x>)`` at the rows of ``X`` (shape (k, n)) -> shape (k,).

    Exact (object array of Fractions) when the polynomial and ``X`` are exact; float64
    otherwise, evaluated in cache-sized blocks of (monomial, point) pairs.  The empty
    polynomial gives ``-inf``.

    >>> E = np.array([[Fraction(1), Fraction(0)], [Fraction(0), Fraction(2)]], dtype=object)
    >>> c = np.array([Fraction(0), Fraction(-1, 2)], dtype=object)
    >>> evaluate(E, c, np.array([[1, 1]], dtype=object)).tolist()
    [Fraction(3, 2)]
    """
    _check_pair(E, c)
    n = E.shape[1]
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"evaluation points must have shape (k, {n}); got {X.shape}")
    k = X.shape[0]
    if is_exact(E, c) and plain_exact(X):
        return _evaluate_exact(E, c, X)
    if is_exact(E, c) and X.dtype == object and is_exact_array(X):
        return _evaluate_exact(E, c, as_exact_array(X, name="evaluation points"))
    if is_exact(E, c):
        E, c = to_float_poly(E, c)
    Xf = as_float_array(X, name="evaluation points")
    if len(c) == 0:
        return np.full(k, -np.inf)
    out = np.empty(k)
    # blocks of (monomials x points) small enough to stay in cache; points along the fast axis
    step = max(256, _BLOCK // len(c))
    XT = np.ascontiguousarray(Xf.T)
    E = np.asarray(E, dtype=np.float64)
    cc = np.asarray(c, dtype=np.float64)[:, None]
    for s in range(0, k, step):
        block = E @ XT[:, s : s + step]
        block += cc
        block.max(axis=0, out=out[s : s + step])
    return out


def _evaluate_exact(E: np.ndarray, c: np.ndarray, X: np.ndarray) -> np.ndarray:
    k = X.shape[0]
    if len(c) == 0:
        out = np.empty(k, dtype=object)
        out[:] = float("-inf")
        return out
    (Ez, dE), (cz, dc), (Xz, dx) = to_scaled(E), to_scaled(c), to_scaled(X)
    n = E.shape[1]
    # value = Ez.X / (dE dx) + cz / dc  =  (Ez.X * dc + cz * dE dx) / (dE dx dc)
    fast = Ez.dtype != object and cz.dtype != object and Xz.dtype != object
    if fast:
        bound = (
            int(np.abs(Ez).max(initial=0)) * int(np.abs(Xz).max(initial=0)) * max(n, 1) * dc
            + int(np.abs(cz).max(initial=0)) * dE * dx
        )
        fast = fits_int64(max(bound, dc, dE * dx))
    if fast and bound < 2**52 and int(np.abs(Ez).max(initial=0)) * dc < 2**52:
        # every partial sum is an integer below 2**53: float64 (BLAS) computes it exactly
        best_f = np.empty(k)
        step = max(256, _BLOCK // len(c))
        Ef = (Ez * np.int64(dc)).astype(np.float64)
        XT = np.ascontiguousarray(Xz.T.astype(np.float64))
        shift = (cz * np.int64(dE * dx)).astype(np.float64)[:, None]
        for s in range(0, k, step):
            block = Ef @ XT[:, s : s + step]
            block += shift
            block.max(axis=0, out=best_f[s : s + step])
        values = best_f.astype(np.int64).tolist()
    elif fast:
        best = np.empty(k, dtype=np.int64)
        step = max(1, _CHUNK // len(c))
        Et = np.ascontiguousarray(Ez.T)
        shift = cz * np.int64(dE * dx)
        for s in range(0, k, step):
            block = (Xz[s : s + step] @ Et) * np.int64(dc) + shift
            block.max(axis=1, out=best[s : s + step])
        values = best.tolist()
    else:
        block = (Xz.astype(object) @ Ez.T.astype(object)) * dc + cz.astype(object) * (dE * dx)
        values = [max(row) for row in block]
    D = dE * dx * dc
    out = np.empty(k, dtype=object)
    out[:] = [Fraction(v, D) for v in values]
    return out


# ----------------------------------------------------------------------------------------------
# pruning: the monomials that matter


def upper_hull_mask(E: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mask of the monomials that attain the max on a full-dimensional set.

    These are the vertices of the upper hull of the lifted points ``(E_i, c_i)``.  Of several
    rows with equal exponents only the first one with the largest coefficient can be marked;
    ``-inf`` terms never are.  Exact for exact input; float tolerances in :mod:`.hull`.

    >>> upper_hull_mask(np.array([[2.0], [1.0], [0.0]]), np.array([0.0, 0.0, 0.0])).tolist()
    [True, False, True]
    """
    _check_pair(E, c)
    m = len(c)
    mask = np.zeros(m, dtype=bool)
    if m == 0:
        return mask
    if is_exact(E, c):
        Ez, _ = to_scaled(E)
        cz, _ = to_scaled(c)
        live = np.arange(m)
        reps = group_max(Ez, cz)
        keys_E = E
    else:
        Ef = np.asarray(E, dtype=np.float64)
        cf = np.asarray(c, dtype=np.float64)
        live = np.flatnonzero(cf > -np.inf)
        reps = group_max(Ef[live], cf[live])
        keys_E = Ef
        E, c = Ef, cf
    reps = live[reps]
    verts = hull.upper_hull_vertices(keys_E[reps], c[reps])
    mask[reps[verts]] = True
    return mask


def upper_hull_vertices(E: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sorted indices of the monomials that matter (see :func:`upper_hull_mask`).

    >>> upper_hull_vertices(np.array([[2.0], [1.0], [0.0], [2.0]]), np.array([0.0, 0.0, 0.0, -1.0])).tolist()
    [0, 2]
    """
    return np.flatnonzero(upper_hull_mask(E, c))


def prune(E: np.ndarray, c: np.ndarray) -> Poly:
    """The same function with only the monomials that matter (normalized, upper-hull vertices).

    >>> E = np.array([[0], [1], [2]], dtype=object); c = np.array([0, 0, -1], dtype=object)
    >>> len(prune(as_exact_array(E), as_exact_array(c))[1])        # max(0, x, 2x-1) keeps 3
    3
    """
    E, c = normalize(E, c)
    if len(c) <= 1:
        return E, c
    keep = hull.upper_hull_vertices(E, c)
    return E[keep], c[keep]


def tropical_product_many(polys: Iterable[Poly], n: int | None = None, *, prune_steps: bool = True) -> Poly:
    """The tropical product of several polynomials, pruned after each step (same function).

    ``n`` (number of variables) is needed only when ``polys`` is empty (the result is then
    the tropical one).  Pruning between steps keeps only upper-hull vertices, which is exact:
    a non-vertex of a factor never contributes a vertex of the product.

    >>> p = (np.array([[0.0], [1.0]]), np.array([0.0, 0.0]))
    >>> [a.ravel().tolist() for a in tropical_product_many([p, p, p])]   # max(0, x)^3
    [[0.0, 3.0], [0.0, 0.0]]
    """
    polys = list(polys)
    if not polys:
        if n is None:
            raise ValueError("tropical_product_many of no polynomials needs the number of variables n")
        return one(n)
    order: Sequence[int] = sorted(range(len(polys)), key=lambda i: len(polys[i][1]))
    result = polys[order[0]]
    _check_pair(*result)
    result = prune(*result) if prune_steps else normalize(*result)
    for i in order[1:]:
        result = tropical_product(result, polys[i])
        if prune_steps:
            result = prune(*result)
    return result
