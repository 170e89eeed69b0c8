"""The exact oracles of :mod:`tropnet.kernels.hull`, reached where no certificate settles a
proposal (near-degenerate input that misled the float proposals, numbers beyond float range).

``decide_vertices`` -- which undecided points are upper-hull vertices: ``cdd.gmp``'s exact
redundancy test when pycddlib is installed, else one exact LP per point
(:mod:`tropnet.kernels.exact_lp`).  ``upper_cells`` -- the cells of the regular subdivision from
the exact double description of the core install (:mod:`tropnet.kernels.dd`).

>>> upper_cells(np.array([[0, 0], [1, 0], [2, -1]]))
[(0, 1), (1, 2)]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .._quiet import silenced_fd

__all__ = ["decide_vertices", "upper_cells", "upper_vertices", "exact_feasible"]


def _facets_with_points(L: np.ndarray) -> list[tuple[list[int], int]]:
    """The facets ``a . p <= beta`` of ``conv(L) + cone{(0, ..., 0, -1)}`` (exact double
    description, :func:`tropnet.kernels.dd.hull_facets`), each with the bitmask of the points
    of ``L`` on it."""
    from .dd import hull_facets

    d = L.shape[1]
    pts = [[int(v) for v in row] for row in L]
    A, b = hull_facets(pts, [[0] * (d - 1) + [-1]])
    out = []
    for a, beta in zip(A.tolist(), b.tolist()):
        mask = 0
        for i, p in enumerate(pts):
            if sum(x * y for x, y in zip(a, p)) == beta:
                mask |= 1 << i
        out.append((a, mask))
    return out


def upper_cells(L: np.ndarray) -> list[tuple[int, ...]]:
    """The upper facets of the integer points ``L`` (m, d) (last column the lift; full-dimensional
    lift) as sorted tuples of the points on them (exact double description)."""
    cells = {mask for a, mask in _facets_with_points(L) if a[-1] > 0}  # upper: bounds the lift above
    return sorted(tuple(i for i in range(len(L)) if (mask >> i) & 1) for mask in cells)


def upper_vertices(L: np.ndarray) -> np.ndarray:
    """Sorted indices of the integer points ``L`` (m, d) (distinct, full-dimensional lift) that
    are vertices of ``conv(L) + cone{(0, ..., 0, -1)}``: point i is one exactly when the facets
    through it meet in no other point (a non-vertex lies inside a face with a vertex of its own).

    >>> upper_vertices(np.array([[0, 0], [1, -1], [2, 0], [1, 5]])).tolist()
    [0, 2, 3]
    """
    m = len(L)
    meet = [(1 << m) - 1] * m
    on_some = [False] * m
    for _, mask in _facets_with_points(L):
        for i in range(m):
            if (mask >> i) & 1:
                meet[i] &= mask
                on_some[i] = True
    return np.array([i for i in range(m) if on_some[i] and meet[i] == 1 << i], dtype=np.int64)


def decide_vertices(L: np.ndarray, known: np.ndarray, undecided: np.ndarray) -> np.ndarray:
    """Exact redundancy of the undecided points among known vertices + undecided + the ray.

    Uses ``cdd.gmp.redundant_rows`` when pycddlib is installed, else one exact phase-1 simplex
    (Fractions, Bland's rule) per undecided point.  Both are exact; cdd is faster.
    """
    idx = np.concatenate([known, undecided]).astype(np.int64)
    d = L.shape[1]
    try:
        import cdd
        import cdd.gmp
    except ImportError:
        keep = list(known)
        for pos in range(len(known), len(idx)):
            others = np.delete(idx, pos)
            if not _in_hull_exact(L[others], L[idx[pos]]):
                keep.append(int(idx[pos]))
        return np.array(sorted(int(i) for i in keep), dtype=np.int64)
    rows = [[1, *(Fraction(int(v)) for v in L[i])] for i in idx]
    rows.append([0] * d + [-1])
    G = cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR)
    # cddlib's exact LPs start from a floating-point basis search, which can report cycling on
    # stderr before the exact pivots take over; the answer is exact either way
    with silenced_fd(2):
        redundant = cdd.gmp.redundant_rows(G)
    keep = [int(idx[k]) for k in range(len(idx)) if k not in redundant]
    return np.array(sorted(keep), dtype=np.int64)


def _in_hull_exact(P: np.ndarray, q: np.ndarray) -> bool:
    """Exactly: is the integer point q in conv(rows of P) + cone{(0, ..., 0, -1)}?

    Feasibility of ``lambda >= 0, s >= 0``: ``sum lambda_i p_i[:-1] = q[:-1]``,
    ``sum lambda_i = 1``, ``sum lambda_i p_i[-1] - s = q[-1]``.
    """
    k = len(P)
    d = P.shape[1]
    M = [[Fraction(int(P[i, r])) for i in range(k)] + [Fraction(0)] for r in range(d - 1)]
    M.append([Fraction(1)] * k + [Fraction(0)])
    M.append([Fraction(int(P[i, d - 1])) for i in range(k)] + [Fraction(-1)])
    b = [Fraction(int(v)) for v in q[: d - 1]] + [Fraction(1), Fraction(int(q[d - 1]))]
    return exact_feasible(M, b)


def exact_feasible(M: list[list[Fraction]], b: list[Fraction]) -> bool:
    """Is ``{y >= 0 : M y = b}`` non-empty?  An exact LP (:mod:`tropnet.kernels.exact_lp`).

    >>> F = Fraction
    >>> exact_feasible([[F(1), F(1)]], [F(1)]), exact_feasible([[F(1), F(1)]], [F(-1)])
    (True, False)
    """
    from .exact_lp import solve_exact_lp

    cols = len(M[0])
    G = np.array([*M, *([-v for v in row] for row in M)], dtype=object).reshape(-1, cols)
    h = [*b, *(-v for v in b)]
    status, _, _ = solve_exact_lp([Fraction(0)] * cols, G, h, [Fraction(0)] * cols, [None] * cols)
    return status == "optimal"
