"""Merging rows with equal keys by the maximum of a value: the tropical sum of equal monomials.

>>> import numpy as np
>>> group_max(np.array([[0.0], [1.0], [0.0]]), np.array([1.0, 0.0, 3.0])).tolist()
[2, 1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_max", "row_keys", "row_index", "key_index", "components"]


def group_max(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Indices of one row per distinct key row (the one with the largest value), sorted by key.

    ``keys`` (m, n) and ``values`` (m,) are int64 or float64 (object arrays fall back to a
    Python sort).  Small integer rows are packed into one int64 sort key (mixed radix), which
    is 2-3x faster than ``np.lexsort`` over the columns.

    >>> group_max(np.array([[1, 0], [0, 0], [1, 0]]), np.array([5, 2, 7])).tolist()
    [1, 2]
    """
    m = len(values)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if keys.dtype == object or values.dtype == object:
        order = sorted(range(m), key=lambda i: (tuple(keys[i].tolist()), values[i]))
        order = np.array(order, dtype=np.int64)
        same_next = np.array(
            [tuple(keys[order[k]].tolist()) == tuple(keys[order[k + 1]].tolist()) for k in range(m - 1)]
            + [False],
            dtype=bool,
        )
        return order[~same_next]
    packed = _packed_rows(keys)
    if packed is not None:
        key, total = packed
        order = None
        if values.dtype.kind in "iu" and m:
            vmin = int(values.min())
            vspan = int(values.max()) - vmin + 1
            if total * vspan < (1 << 62):  # one int64 sort key: (row, value)
                order = np.argsort(key * np.int64(vspan) + (values - vmin))
        if order is None:
            # sort by row only, then the position of each group's maximum (the last one)
            order = np.argsort(key, kind="stable")
            sk, sv = key[order], values[order]
            starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
            counts = np.diff(np.r_[starts, m])
            is_max = sv == np.repeat(np.maximum.reduceat(sv, starts), counts)
            hits = np.flatnonzero(is_max)
            group = np.repeat(np.arange(len(starts)), counts)[hits]
            last_hit = np.r_[group[1:] != group[:-1], True]
            return order[hits[last_hit]]
        sk = key[order]
        last = np.ones(m, dtype=bool)
        last[:-1] = sk[1:] != sk[:-1]
        return order[last]
    order = np.lexsort((values, *keys.T[::-1]))
    sk = keys[order]
    last = np.ones(m, dtype=bool)
    if m > 1:
        last[:-1] = np.any(sk[1:] != sk[:-1], axis=1) if keys.shape[1] else False
    return order[last]


def _packed_rows(keys: np.ndarray) -> tuple[np.ndarray, int] | None:
    """One int64 per row, ordered like the rows lexicographically (mixed radix), or None when
    the rows are not small integers.  Returns ``(packed, number of possible values)``."""
    if keys.shape[1] == 0:
        return np.zeros(len(keys), dtype=np.int64), 1
    if keys.dtype.kind == "f":
        if np.abs(keys).max() > 2.0**40 or not np.all(keys == np.round(keys)):
            return None
        keys = keys.astype(np.int64)
    lo = keys.min(axis=0)
    span = keys.max(axis=0) - lo + 1
    total = 1
    for s in span.tolist():
        total *= int(s)
    if total >= (1 << 62):
        return None
    packed = np.zeros(len(keys), dtype=np.int64)
    for k in range(keys.shape[1]):
        packed = packed * span[k] + (keys[:, k] - lo[k])
    return packed, total


def row_keys(a: np.ndarray) -> np.ndarray:
    """One opaque key per row of a 2-D array: the rows viewed as byte strings (``np.unique`` on
    them is about ten times faster than ``np.unique(a, axis=0)``); rows of width 0 are equal.

    >>> len(np.unique(row_keys(np.array([[1, 2], [1, 2], [2, 1]], dtype=np.int32))))
    2
    """
    a = np.ascontiguousarray(a)
    if a.shape[1] == 0:
        return np.zeros(a.shape[0], dtype=np.int8)
    return a.view(np.dtype((np.void, a.itemsize * a.shape[1]))).ravel()


def row_index(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The index in ``P`` of each row of ``Q`` (rows of one dtype and width), ``-1`` where it is
    none (of repeated rows of ``P``, one): :func:`key_index` on their :func:`row_keys`, with the
    found rows compared entry by entry.

    >>> P = np.array([[0, 1], [1, 1], [1, 0]], dtype=np.int32)
    >>> row_index(P, np.array([[1, 0], [0, 0], [0, 1]], dtype=np.int32)).tolist()
    [2, -1, 0]
    """
    P, Q = np.asarray(P), np.asarray(Q)
    if P.ndim != 2 or Q.ndim != 2 or P.shape[1] != Q.shape[1]:
        raise ValueError(f"row_index needs two 2-D arrays of rows of one width, got shapes {P.shape} "
                         f"and {Q.shape}")
    P, Q = np.ascontiguousarray(P), np.ascontiguousarray(Q, dtype=P.dtype)
    out = key_index(row_keys(P), row_keys(Q))
    hit = np.flatnonzero(out >= 0)
    out[hit[~(P[out[hit]] == Q[hit]).all(axis=1)]] = -1
    return out


def key_index(keys: np.ndarray, queries: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """The index in ``keys`` (1-D, sortable: :func:`row_keys`, integer hashes) of each of the
    ``queries``, ``-1`` where it is none (of repeated keys, one): one sort of ``keys`` and one
    ``searchsorted`` (of sorted queries where they are integers: the search then narrows from
    the last one, about 4x faster).  With ``skip`` (one index of ``keys`` per query, not to be
    returned: the query's own row), the index of the one *other* key equal to the query, ``-1``
    where there is none and ``-2`` where there are several.

    >>> keys = np.array([5, 3, 5, 7, 3, 3])
    >>> key_index(keys, np.array([7, 4, 3])).tolist()
    [3, -1, 1]
    >>> key_index(keys, keys, skip=np.arange(6)).tolist()  # 5 twice, 7 once, 3 three times
    [2, -2, 0, -1, -2, -2]
    """
    keys, queries = np.asarray(keys), np.asarray(queries)
    if keys.ndim != 1 or queries.ndim != 1:
        raise ValueError(f"key_index needs 1-D keys and queries, got shapes {keys.shape} and {queries.shape}")
    n = len(keys)
    out = np.full(len(queries), -1, dtype=np.int64)
    if n == 0 or len(queries) == 0:
        return out
    order = np.argsort(keys)  # (not stable: 4x faster on integers)
    sk = keys[order]
    q = np.argsort(queries) if queries.dtype.kind in "iu" else np.arange(len(queries))
    lo = np.empty(len(queries), dtype=np.int64)
    lo[q] = np.searchsorted(sk, queries[q])
    first = order[np.minimum(lo, n - 1)]
    if skip is None:
        hit = sk[np.minimum(lo, n - 1)] == queries
        out[hit] = first[hit]
        return out
    skip = np.asarray(skip, dtype=np.int64)
    if skip.shape != queries.shape or (len(skip) and (skip.min() < 0 or skip.max() >= n)):
        raise ValueError(f"key_index needs one index of keys (0..{n - 1}) to skip per query, got {skip!r}")
    hi = np.empty(len(queries), dtype=np.int64)
    hi[q] = np.searchsorted(sk, queries[q], side="right")
    others = hi - lo - (keys[skip] == queries)
    one = np.flatnonzero(others == 1)
    a, b = first[one], order[np.minimum(lo[one] + 1, n - 1)]
    out[one] = np.where(a == skip[one], b, a)
    out[others > 1] = -2
    return out


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """The connected components of ``n`` nodes joined by ``edges (E, 2)``: a label ``0..k-1``
    per node, in order of first node (a union-find with vectorised rounds: larger roots hooked
    onto smaller ones until stable).

    >>> components(5, np.array([[3, 1], [4, 2]])).tolist()
    [0, 1, 2, 1, 2]
    """
    _, first, inv = np.unique(_union(n, edges), return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv.ravel()]


def component_count(n: int, edges: np.ndarray) -> int:
    """The number of connected components of :func:`components` (its largest label plus one),
    without the labels.

    >>> component_count(5, np.array([[3, 1], [4, 2]]))
    3
    """
    return int(np.count_nonzero(_union(n, edges) == np.arange(n)))


def _union(n: int, edges: np.ndarray) -> np.ndarray:
    """Each node's root (the smallest node of its component)."""
    parent = np.arange(n)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    a, b = edges[:, 0], edges[:, 1]
    while len(a):
        parent = _roots(parent)
        ra, rb = parent[a], parent[b]
        diff = ra != rb
        if not diff.any():
            break
        ra, rb = ra[diff], rb[diff]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        a, b = a[diff], b[diff]
    return _roots(parent)


def _roots(parent: np.ndarray) -> np.ndarray:
    while True:
        up = parent[parent]
        if (up == parent).all():
            return parent
        parent = up
