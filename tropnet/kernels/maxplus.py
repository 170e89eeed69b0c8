"""Max-plus matrix kernels: product, Kleene star, maximum cycle mean, optimal assignment, residuation.

Matrices are numpy arrays whose entries are reals or ``-inf`` (the tropical zero).  Exact work
runs on *scaled* arrays: the finite entries of all operands are written over one common
denominator ``d`` (:func:`scale`), so every operation is integer addition and comparison; the
integers are held in float64 while a bound guarantees they (and every sum formed here) stay
below 2**53, otherwise in object arrays of Python ints.  Float-mode matrices are used as they
are.  Everything here is max-plus; a min-plus matrix ``A`` is the max-plus ``-A``.

>>> (Z,), d = scale(np.array([[0, 3], [1, -1]], dtype=object))
>>> d, matmul(Z, Z).tolist()
(1, [[4.0, 3.0], [1.0, 4.0]])
>>> max_cycle_mean(Z, exact=True)
(2, 1)
>>> float(assignment(Z, exact=True)[1])
4.0
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from .scaled import to_scaled

__all__ = [
    "finite_mask",
    "safe_float",
    "scale",
    "unscale",
    "matmul",
    "plus_closure",
    "max_cycle_mean",
    "assignment",
    "residuate",
]

NEG_INF = float("-inf")
_FLOAT_EXACT = 2.0**53
_CHUNK = 1 << 22  # entries of one broadcast block of the product


def finite_mask(A: np.ndarray) -> np.ndarray:
    """Boolean mask of the finite entries (float or object array).

    >>> finite_mask(np.array([Fraction(1), float("-inf")], dtype=object)).tolist()
    [True, False]
    """
    if A.dtype != object:
        return np.isfinite(A)
    flat = [not (isinstance(v, float) and math.isinf(v)) for v in A.ravel().tolist()]
    return np.array(flat, dtype=bool).reshape(A.shape)


def safe_float(bound: int, n: int) -> bool:
    """Integers up to ``bound`` summed along walks of up to 4(n+1) steps stay exact in float64.

    >>> safe_float(2**40, 100), safe_float(2**52, 1)
    (True, False)
    """
    return bound * 4 * (n + 1) < _FLOAT_EXACT


def scale(*mats: np.ndarray, growth: int | None = None) -> tuple[list[np.ndarray], int]:
    """Exact arrays (Fractions/ints with ``±inf`` floats) as integers over one denominator ``d``.

    Returns the scaled arrays (float64 when :func:`safe_float` holds for ``growth`` = the largest
    dimension, else object arrays of Python ints; infinities kept) and ``d``.

    >>> Z, d = scale(np.array([Fraction(1, 2), float("-inf")], dtype=object))
    >>> Z[0].tolist(), d
    ([1.0, -inf], 2)
    """
    masks = [finite_mask(M) for M in mats]
    flat = np.array([v for M, m in zip(mats, masks) for v in M[m].tolist()], dtype=object)
    z, d = to_scaled(flat) if flat.size else (np.zeros(0, dtype=np.int64), 1)
    bound = int(np.abs(z).max()) if z.size else 0
    n = growth if growth is not None else max((max(M.shape) if M.size else 0) for M in mats)
    as_float = safe_float(bound, n)
    out, pos = [], 0
    for M, m in zip(mats, masks):
        k = int(m.sum())
        if as_float:
            Z = np.array([float(v) for v in M.ravel().tolist()], dtype=np.float64).reshape(M.shape)
            Z[m] = np.asarray(z[pos : pos + k], dtype=np.float64)
        else:
            Z = np.array(M, dtype=object, copy=True)
            Z[m] = np.asarray([int(v) for v in z[pos : pos + k].tolist()] + [0], dtype=object)[:-1]
        out.append(Z)
        pos += k
    return out, d


def unscale(Z: np.ndarray, d: int) -> np.ndarray:
    """Object array of Fractions ``Z / d`` (infinities stay floats).

    >>> unscale(np.array([3.0, float("-inf")]), 2).tolist()
    [Fraction(3, 2), -inf]
    """
    out = np.empty(Z.shape, dtype=object)
    flat = out.ravel()
    for i, v in enumerate(Z.ravel().tolist()):
        if isinstance(v, float) and math.isinf(v):
            flat[i] = v
        else:
            flat[i] = Fraction(int(v), int(d))
    return out


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``C[i, j] = max_k (A[i, k] + B[k, j])`` by broadcasting in row blocks.

    >>> matmul(np.array([[0.0, 1.0]]), np.array([[2.0], [-np.inf]])).tolist()
    [[2.0]]
    """
    m, k = A.shape
    n = B.shape[1]
    dtype = object if object in (A.dtype, B.dtype) else np.float64
    out = np.full((m, n), NEG_INF, dtype=dtype)
    if k == 0 or m == 0 or n == 0:
        return out
    step = max(1, _CHUNK // max(1, k * n))
    for r in range(0, m, step):
        out[r : r + step] = (A[r : r + step, :, None] + B[None, :, :]).max(axis=1)
    return out


def plus_closure(A: np.ndarray) -> tuple[np.ndarray, bool]:
    """``A+ = A ⊕ A^2 ⊕ ...`` by Floyd-Warshall, and whether it converges (no positive cycle).

    When a positive cycle exists the returned array is meaningless and the flag is False
    (then some diagonal entry is positive: every positive closed walk has a positive simple
    cycle, whose nodes Floyd-Warshall sees).

    >>> plus_closure(np.array([[-1.0, 2.0], [-3.0, -np.inf]]))[0].tolist()
    [[-1.0, 2.0], [-3.0, -1.0]]
    """
    P = A.copy()
    for k in range(len(P)):
        P = np.maximum(P, P[:, k, None] + P[None, k, :])
    diag = np.diagonal(P)
    return P, not bool(np.any(diag > 0))


def _ratio_min(num: np.ndarray, den: np.ndarray, valid: np.ndarray) -> tuple[Any, Any]:
    """Exact minimum of ``num[i] / den[i]`` over valid ``i`` (integers, dens > 0): (num, den)."""
    best = None
    for i in np.flatnonzero(valid):
        a, b = int(num[i]), int(den[i])
        if best is None or a * best[1] < best[0] * b:
            best = (a, b)
    return best


def max_cycle_mean(Z: np.ndarray, exact: bool) -> tuple[Any, Any]:
    """The largest mean weight of a cycle (Karp), as ``(numerator, length)``; ``(-inf, 1)`` if
    the graph has no cycle.  Exact mode expects a scaled array; the mean is then
    ``numerator / length`` in its units.  Karp's walks start anywhere (``D_0 = 0``), so the
    maximum is over all strongly connected components.

    >>> max_cycle_mean(np.array([[0.0, 3.0], [1.0, -1.0]]), exact=False)
    (2.0, 1)
    """
    n = len(Z)
    D = np.empty((n + 1, n), dtype=Z.dtype)
    D[0] = 0
    for k in range(1, n + 1):
        D[k] = (D[k - 1][:, None] + Z).max(axis=0)
    fin = finite_mask(D)
    if not fin[n].any():
        return NEG_INF, 1
    lengths = np.arange(n, 0, -1)  # n - k for k = 0 .. n-1
    if not exact:
        with np.errstate(invalid="ignore"):
            ratio = (D[n][None, :] - D[:n]) / lengths[:, None]
        ratio[~fin[:n]] = np.inf
        per_v = ratio.min(axis=0)
        per_v[~fin[n]] = NEG_INF
        return float(per_v.max()), 1
    ints = np.zeros(D.shape, dtype=np.int64 if Z.dtype != object else object)
    ints[fin] = D[fin] if Z.dtype == object else D[fin].astype(np.int64)
    best_v = None
    for v in np.flatnonzero(fin[n]):
        a, b = _ratio_min(ints[n, v] - ints[:n, v], lengths, fin[:n, v])
        if best_v is None or a * best_v[1] > best_v[0] * b:
            best_v = (a, b)
    g = math.gcd(int(best_v[0]), int(best_v[1]))
    return int(best_v[0]) // g, int(best_v[1]) // g


def _positive_cycle(W: np.ndarray) -> list[int] | None:
    """A cycle of positive weight in the digraph ``W`` (``-inf`` = no edge), or None.

    Bellman-Ford for longest walks from a virtual source joined to every node by weight 0; an
    update in round n proves a positive cycle, found on the predecessor chain.
    """
    n = len(W)
    if n == 0:
        return None
    d = np.zeros(n, dtype=W.dtype)
    pred = np.full(n, -1)
    cols = np.arange(n)
    updated = np.zeros(n, dtype=bool)
    for _ in range(n):
        cand = d[:, None] + W
        best = np.argmax(cand, axis=0)
        val = cand[best, cols]
        updated = val > d
        if not updated.any():
            return None
        d = np.where(updated, val, d)
        pred = np.where(updated, best, pred)
    v = int(np.flatnonzero(updated)[0])
    for _ in range(n):
        v = int(pred[v])
    cycle = [v]
    u = int(pred[v])
    while u != v:
        cycle.append(u)
        u = int(pred[u])
    return cycle[::-1]


def assignment(Z: np.ndarray, exact: bool) -> tuple[np.ndarray | None, Any]:
    """A permutation ``s`` maximising ``sum_i Z[i, s[i]]`` and that maximum (``-inf`` and None
    when every permutation meets a ``-inf``).  scipy's ``linear_sum_assignment`` solves it in
    floats; in exact mode (scaled ``Z``) the result is then certified optimal in integers: no
    cycle of reassignments gains (Bellman-Ford potentials), and any gaining cycle found is applied.

    >>> perm, value = assignment(np.array([[0.0, 3.0], [1.0, -1.0]]), exact=False)
    >>> perm.tolist(), float(value)
    ([1, 0], 4.0)
    """
    n = len(Z)
    F = Z if Z.dtype != object else np.array([float(v) for v in Z.ravel().tolist()]).reshape(Z.shape)
    try:
        _, perm = linear_sum_assignment(F, maximize=True)
    except ValueError as err:
        if "infeasible" in str(err):
            return None, NEG_INF
        raise
    perm = np.asarray(perm)
    if exact:
        rows = np.arange(n)
        for _ in range(n * n + 1):
            here = Z[rows, perm]
            W = Z[:, perm] - here[:, None]  # row i takes the column of row j
            W[~finite_mask(Z[:, perm])] = NEG_INF
            cycle = _positive_cycle(W)
            if cycle is None:
                break
            gain = sum(W[cycle[t], cycle[(t + 1) % len(cycle)]] for t in range(len(cycle)))
            if not gain > 0:  # pragma: no cover - Bellman-Ford returned a non-gaining cycle
                raise RuntimeError("assignment certification found a cycle that does not gain")
            new = perm.copy()
            for t, i in enumerate(cycle):
                new[i] = perm[cycle[(t + 1) % len(cycle)]]
            perm = new
    value = Z[np.arange(n), perm].sum() if n else 0
    return perm, value


def residuate(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The greatest ``x`` with ``A ⊗ x <= b``: ``x_j = min_i (b_i - A[i, j])`` (a ``-inf`` entry
    of A imposes nothing: ``+inf`` when column j is all ``-inf``).

    >>> residuate(np.array([[0.0, 3.0], [1.0, -np.inf]]), np.array([5.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    with np.errstate(invalid="ignore"):
        T = b[:, None] - A
    T[~finite_mask(A)] = math.inf
    if T.shape[0] == 0:
        return np.full(A.shape[1], math.inf, dtype=T.dtype)
    return T.min(axis=0)
