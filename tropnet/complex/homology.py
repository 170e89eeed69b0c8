"""Betti numbers of polyhedral complexes, sublevel sets and unions of cells.

The cellular chain complex of a polytopal complex (a regular CW complex) has one generator
per face and the boundary ``d F = sum [F : G] G`` over the facets ``G`` of ``F``; over GF(2)
every incidence number is 1, over Q it is the sign of :mod:`tropnet.complex.orient`.  Betti
numbers are ``b_k = f_k - rank d_k - rank d_{k+1}``, the ranks computed by python-flint
(``nmod_mat`` over GF(2), ``fmpz_mat`` over Q).  Before the ranks, the complex is reduced by
*elementary collapses* (Whitehead): a face with exactly one coface is removed together with
that coface, which keeps the homotopy type and usually leaves a handful of faces.

*What is measured.*  On a bounded domain, the closed faces themselves.  On an unbounded
domain, the closed union of faces clipped by the box of :mod:`tropnet.complex.lattice` (a
deformation retract of the unbounded set).  A *sublevel set* ``{f <= t}`` of an output that is
affine on every cell is homotopy equivalent to the subcomplex of faces whose vertices all
have ``f <= t`` (each cell's part below ``t`` retracts onto the faces of the cell below
``t``): :meth:`PolyhedralComplex.sublevel` / :meth:`~PolyhedralComplex.superlevel` build that
subcomplex; :meth:`~PolyhedralComplex.union` the closed union of some cells.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
>>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True))
>>> betti_numbers(K), betti_numbers(K.union([0, 3]))   # a square; two squares meeting at a point
((1, 0, 0), (1, 0, 0))
>>> betti_numbers(K.union([0, 3]).subcomplex({1: range(8)}), field="Q")   # the edges only
(1, 2)
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from .polyhedral import PolyhedralComplex

__all__ = ["betti_numbers", "as_complex", "collapse"]

FIELDS = ("GF2", "Q")


def as_complex(obj: Any) -> PolyhedralComplex:
    """The :class:`PolyhedralComplex` behind ``obj`` (a complex, a region set, or an object with
    a ``.complex`` attribute such as a decision boundary)."""
    if isinstance(obj, PolyhedralComplex):
        return obj
    K = getattr(obj, "complex", None)
    if isinstance(K, PolyhedralComplex):
        return K
    from ..regions.regionset import RegionSet

    if isinstance(obj, RegionSet):
        from .lattice import build_complex

        return build_complex(obj)
    raise TypeError(
        f"{type(obj).__name__} has no polyhedral complex; pass a PolyhedralComplex, a RegionSet or a "
        "DecisionBoundary"
    )


def collapse(K: PolyhedralComplex) -> list[np.ndarray]:
    """Elementary collapses of the closed (clipped) complex ``K``: per dimension, the boolean
    mask of the faces that remain (a complex with the same homotopy type)."""
    n = K.ambient_dim
    sizes = [K._nfaces(k) for k in range(n + 1)]
    base = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    N = int(base[-1])
    facets: list[list[int]] = [[] for _ in range(N)]
    cofaces: list[list[int]] = [[] for _ in range(N)]
    for k in range(1, n + 1):
        off, ids = K._fc[k]
        for i in range(sizes[k]):
            f = int(base[k] + i)
            row = (ids[off[i] : off[i + 1]] + base[k - 1]).tolist()
            facets[f] = row
            for g in row:
                cofaces[g].append(f)
    alive = np.ones(N, dtype=bool)
    ncof = np.array([len(c) for c in cofaces], dtype=np.int64)
    # first in, first out: collapsing from the boundary inwards (a last-in-first-out order digs
    # tunnels through a ball and gets stuck on a 2-dimensional spine)
    stack = deque(g for g in range(N) if ncof[g] == 1)
    while stack:
        g = stack.popleft()
        if not alive[g] or ncof[g] != 1:
            continue
        t = next(c for c in cofaces[g] if alive[c])
        alive[g] = alive[t] = False
        for h in facets[t] + facets[g]:
            if alive[h]:
                ncof[h] -= 1
                if ncof[h] == 1:
                    stack.append(h)
    return [alive[base[k] : base[k + 1]] for k in range(n + 1)]


def _boundary_matrix(K, k, keep, field, cache):
    """``d_k`` restricted to the kept faces: (rows, cols, entries) as nested lists."""
    rows = np.flatnonzero(keep[k - 1])
    cols = np.flatnonzero(keep[k])
    where = {int(g): r for r, g in enumerate(rows)}
    M = [[0] * len(cols) for _ in range(len(rows))]
    off, ids = K._fc[k]
    for j, f in enumerate(cols):
        for g in ids[off[f] : off[f + 1]]:
            r = where.get(int(g))
            if r is None:
                raise AssertionError("a kept face has a facet outside the kept faces")
            M[r][j] = 1 if field == "GF2" else _sign(K, k, int(f), int(g), cache)
    return M, len(rows), len(cols)


def _frame(K, k, f, cache):
    key = (k, f)
    if key not in cache:
        from .orient import direction_basis

        off, ids = K._fv[k]
        P = K._coords[ids[off[f] : off[f + 1]]]
        D, piv = direction_basis(P, K.exact)
        cache[key] = (P.sum(axis=0) / len(P), D, piv)
    return cache[key]


def _sign(K, k, f, g, cache) -> int:
    from .orient import incidence_sign

    cF, DF, pivF = _frame(K, k, f, cache)
    cG, DG, _ = _frame(K, k - 1, g, cache)
    return incidence_sign(cF, DF, pivF, cG, DG, K.exact)


def _rank(M: list, r: int, c: int, field: str) -> int:
    import flint

    if r == 0 or c == 0:
        return 0
    flat = [x for row in M for x in row]
    if field == "GF2":
        return flint.nmod_mat(r, c, flat, 2).rank()
    return flint.fmpz_mat(r, c, flat).rank()


def betti_numbers(obj: Any, *, field: str = "GF2") -> tuple[int, ...]:
    """The Betti numbers ``(b_0, ..., b_dim)`` of a complex, a region set (its whole domain), a
    decision boundary or a subcomplex (sublevel set, union of cells), over ``field``
    (``"GF2"`` or ``"Q"``).

    Raises ``TypeError`` for an object with no complex and ``ValueError`` for another field.

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[-1.0, -1.0]]], [[0.0, 0.0], [1.0]])
    >>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation"))
    >>> tropnet.betti_numbers(K), tropnet.betti_numbers(K.sublevel(0))   # 1 - |x| <= 0: two pieces
    ((1, 0), (2,))
    """
    if field not in FIELDS:
        raise ValueError(f"field must be one of {FIELDS}, got {field!r}")
    K = as_complex(obj)
    if K.dim < 0:
        return ()
    keep = collapse(K)
    top = K.dim
    counts = [int(m.sum()) for m in keep]
    cache: dict = {}
    ranks = [0] * (K.ambient_dim + 2)
    for k in range(1, K.ambient_dim + 1):
        if counts[k] and counts[k - 1]:
            M, r, c = _boundary_matrix(K, k, keep, field, cache)
            ranks[k] = _rank(M, r, c, field)
    return tuple(counts[k] - ranks[k] - ranks[k + 1] for k in range(top + 1))
