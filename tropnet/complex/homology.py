"""Betti numbers of polyhedral complexes, sublevel sets and unions of cells.

The cellular chain complex of a polytopal complex (a regular CW complex) has one generator
per face and the boundary ``d F = sum [F : G] G`` over the facets ``G`` of ``F``; over GF(2)
every incidence number is 1, over Q it is the sign of :mod:`tropnet.complex.orient`.  Betti
numbers are ``b_k = f_k - rank d_k - rank d_{k+1}``, the ranks computed by python-flint
(``nmod_mat`` over GF(2), ``fmpz_mat`` over Q).  Before the ranks, the complex is reduced by
*elementary collapses* (Whitehead): a face with exactly one coface is removed together with
that coface, which keeps the homotopy type and usually leaves a handful of faces; what a
collapse cannot reduce (a closed surface has no free face) is reduced by *coreductions*
(Mrozek and Batko), which keep the homology.

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


def _poset(K: PolyhedralComplex) -> tuple[np.ndarray, list[list[int]], list[list[int]]]:
    """Faces numbered dimension by dimension (``base[k]`` the first ``k``-face): facets and cofaces."""
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
    return base, facets, cofaces


def collapse(K: PolyhedralComplex) -> list[np.ndarray]:
    """Elementary collapses of the closed (clipped) complex ``K``: per dimension, the boolean
    mask of the faces that remain (a complex with the same homotopy type)."""
    base, facets, cofaces = _poset(K)
    alive = _collapse(facets, cofaces)
    return [alive[base[k] : base[k + 1]] for k in range(K.ambient_dim + 1)]


def _collapse(facets: list, cofaces: list) -> np.ndarray:
    N = len(facets)
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
    return alive


def _coreduce(alive: np.ndarray, base: np.ndarray, facets: list, cofaces: list) -> tuple[np.ndarray, int]:
    """Coreductions (Mrozek & Batko, "Coreduction homology algorithm", DCG 41, 2009) of the
    closed complex of the ``alive`` faces: one vertex of each connected component is removed,
    then every face with exactly one remaining facet goes with that facet.  The boundary
    matrices restricted to what remains have the reduced homology of the complex; returns the
    remaining faces and the number of components."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    alive = alive.copy()
    nv = int(base[1]) if len(base) > 1 else 0
    edges = [facets[e] for e in range(int(base[1]), int(base[2])) if alive[e]] if len(base) > 2 else []
    E = np.array(edges, dtype=np.int64).reshape(-1, 2)
    g = coo_matrix((np.ones(len(E)), (E[:, 0], E[:, 1])), shape=(nv, nv))
    _, lab = connected_components(g, directed=False)
    verts = np.flatnonzero(alive[:nv])
    roots = verts[np.unique(lab[verts], return_index=True)[1]]
    nfac = np.array([sum(1 for h in facets[f] if alive[h]) for f in range(len(facets))], dtype=np.int64)
    queue: deque = deque()
    for v in roots.tolist():
        alive[v] = False
        for c in cofaces[v]:
            nfac[c] -= 1
            if alive[c] and nfac[c] == 1:
                queue.append(c)
    queue.extend(f for f in range(nv, len(facets)) if alive[f] and nfac[f] == 1)
    while queue:
        t = queue.popleft()
        if not alive[t] or nfac[t] != 1:
            continue
        s = next(h for h in facets[t] if alive[h])
        alive[s] = alive[t] = False
        for c in cofaces[s] + cofaces[t]:
            if alive[c]:
                nfac[c] -= 1
                if nfac[c] == 1:
                    queue.append(c)
    return alive, len(roots)


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
            if r is None:  # a facet removed by a coreduction
                continue
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
    base, facets, cofaces = _poset(K)
    alive, ncomp = _coreduce(_collapse(facets, cofaces), base, facets, cofaces)
    keep = [alive[base[k] : base[k + 1]] for k in range(K.ambient_dim + 1)]
    top = K.dim
    counts = [int(m.sum()) for m in keep]
    cache: dict = {}
    ranks = [0] * (K.ambient_dim + 2)
    for k in range(1, K.ambient_dim + 1):
        if counts[k] and counts[k - 1]:
            M, r, c = _boundary_matrix(K, k, keep, field, cache)
            ranks[k] = _rank(M, r, c, field)
    betti = [counts[k] - ranks[k] - ranks[k + 1] for k in range(top + 1)]
    betti[0] += ncomp  # the coreductions compute reduced homology
    return tuple(betti)
