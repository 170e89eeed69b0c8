"""Found cells: the activation cells of every engine run on a domain's pieces, assembled into
one :class:`FoundCells` (homogeneous vertex form: vertices ``(x, t)``, ``t = 0`` at infinity;
tight codes in terms of the domain's rows).  Runs on a bounded piece go through
:func:`_from_bounded`, runs on a facet of the homogenised cube through :func:`_from_facet`,
and the pieces of one call are joined by pattern (:func:`join_pieces`).  This is the form the
geometry (:mod:`tropnet.regions.geometry`) and the Dask driver (:mod:`tropnet.parallel`) take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..kernels.merge import row_keys
from .cells import Cells, stack_codes
from .program import Stage

__all__ = ["FoundCells", "join_pieces", "pattern_cells", "take_cells"]


@dataclass
class FoundCells:
    """Activation cells on a domain, in homogeneous vertex form (what RegionSet needs)."""

    stages: list[Stage]
    d: int
    exact: bool
    patterns: np.ndarray
    points: np.ndarray
    bounded: np.ndarray
    vert_off: np.ndarray
    vert_ids: np.ndarray
    vert_X: np.ndarray
    vert_t: np.ndarray
    dom_A: np.ndarray
    dom_b: np.ndarray
    vert_codes: np.ndarray | None = None  # (nnz, d) certified tight codes (see _code_facets)
    cache: dict = field(default_factory=dict, repr=False)
    ambiguous: int = 0  # float decisions left inside their tolerance band (Cells.ambiguous)
    thin: int = 0  # cells cut below float64 resolution (Cells.thin)

    def __len__(self) -> int:
        return len(self.patterns)


def _no_vertices(cells: Cells, n: int) -> Cells:
    """High-dimensional runs (H-representation engine) give no vertices: an empty vertex pool."""
    if cells.vertex_coords is not None:
        return cells
    return Cells(
        cells.patterns,
        cells.points,
        np.zeros((0, n)),
        np.zeros(len(cells) + 1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )


def _domain_codes(codes: np.ndarray | None, n: int, box_is_domain: bool) -> np.ndarray | None:
    """Engine tight codes in terms of the domain's rows: box side ``i`` (code ``-2 - i``) is
    domain row ``i`` when the run's box is the domain, else an artificial bound (``-1``);
    clipping row ``r`` (code ``-2 - (2n + r)``) is domain row ``r`` (code ``-2 - r``)."""
    if codes is None:
        return None
    out = codes.copy()
    eng_id = -2 - codes
    side = (codes < -1) & (eng_id < 2 * n)
    clip = (codes < -1) & (eng_id >= 2 * n)
    if not box_is_domain:
        out[side] = -1
    out[clip] = -2 - (eng_id[clip] - 2 * n)
    return out


def _from_bounded(cells: Cells, stages, n, exact, A, b, box_is_domain: bool = True) -> FoundCells:
    cells = _no_vertices(cells, n)
    X = cells.vertex_coords
    rational = X.dtype == object  # certified exact runs keep float vertices
    dt = object if rational else np.float64
    one = Fraction(1) if rational else 1.0
    t = np.empty(len(X), dtype=dt)
    t[:] = one
    return FoundCells(
        stages,
        n,
        exact,
        cells.patterns,
        cells.points,
        np.ones(len(cells), dtype=bool),
        cells.vertex_offsets,
        cells.vertex_ids,
        X,
        t,
        A,
        b,
        _domain_codes(cells.vertex_codes, n, box_is_domain),
    )


def take_cells(found: FoundCells, cells: np.ndarray) -> FoundCells:
    """The cells ``cells`` (indices) of ``found`` with only the vertices they use: what a Dask
    task sends when the driver asks for a few of its cells (:mod:`tropnet.regions.parallel`).

    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> f = FoundCells([], 1, False, np.array([[0], [1]]), np.array([[0.5], [1.5]]), np.ones(2, bool),
    ...                np.array([0, 2, 4]), np.array([0, 1, 1, 2]), X, np.ones(3),
    ...                np.zeros((0, 1)), np.zeros(0))
    >>> g = take_cells(f, np.array([1]))
    >>> g.patterns.tolist(), g.vert_X[g.vert_ids].ravel().tolist()
    ([[1]], [1.0, 2.0])
    """
    cells = np.asarray(cells, dtype=np.int64)
    counts = np.diff(found.vert_off)[cells]
    off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    entry = np.repeat(found.vert_off[cells] - off[:-1], counts) + np.arange(off[-1])
    used, ids = np.unique(found.vert_ids[entry], return_inverse=True)
    codes = None if found.vert_codes is None else found.vert_codes[entry]
    return FoundCells(found.stages, found.d, found.exact, found.patterns[cells], found.points[cells],
                      found.bounded[cells], off, ids.ravel().astype(np.int64), found.vert_X[used],
                      found.vert_t[used], found.dom_A, found.dom_b, codes)


def pattern_cells(patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of the rows of ``patterns`` (one pattern is one cell), numbered in order of
    first appearance: each row's cell, and each cell's first row.

    >>> [a.tolist() for a in pattern_cells(np.array([[1, 0], [0, 0], [1, 0]]))]
    [[0, 1, 0], [0, 1]]
    """
    _, first, inv = np.unique(row_keys(patterns), return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inv.ravel()], first[order]


def join_pieces(parts: list[FoundCells], stages, n: int, exact: bool, dom_A, dom_b) -> FoundCells:
    """One :class:`FoundCells` from the cells found on several pieces of a domain.

    The pieces of one activation cell carry one pattern (a cell is convex, so one pattern is
    one cell): they are joined, their vertex lists concatenated (points that only cut the
    cell, not its vertices, lie in the cell and do not change its hull or facets), the cell is
    bounded when every piece is, and the first piece's interior point is kept.  Cells come out
    in order of first appearance.
    """
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        raise ValueError("the domain has no interior")
    pats = np.vstack([p.patterns for p in parts])
    gid, first = pattern_cells(pats)
    C = len(first)
    base = 0
    ent_cell, ent_ids, k = [], [], 0
    for p in parts:
        ent_cell.append(np.repeat(gid[k : k + len(p)], np.diff(p.vert_off)))
        ent_ids.append(p.vert_ids + base)
        base += len(p.vert_X)
        k += len(p)
    ent_cell = np.concatenate(ent_cell)
    ent_ids = np.concatenate(ent_ids)
    o = np.argsort(ent_cell, kind="stable")
    codes = None
    if all(p.vert_codes is not None for p in parts):
        codes = stack_codes([p.vert_codes for p in parts])[o]
    vert_off = np.concatenate([[0], np.cumsum(np.bincount(ent_cell, minlength=C))]).astype(np.int64)
    bounded = np.ones(C, dtype=bool)
    np.logical_and.at(bounded, gid, np.concatenate([p.bounded for p in parts]))
    return FoundCells(
        stages,
        n,
        exact,
        pats[first].astype(np.int32),
        np.vstack([p.points for p in parts])[first],
        bounded,
        vert_off,
        ent_ids[o].astype(np.int64),
        np.vstack([p.vert_X for p in parts]),
        np.concatenate([p.vert_t for p in parts]),
        dom_A,
        dom_b,
        codes,
        ambiguous=sum(p.ambiguous for p in parts),
        thin=sum(p.thin for p in parts),
    )


def _from_facet(cells: Cells, stages, n: int, exact: bool, M, m0, A, b) -> FoundCells:
    """The cells of a run on a facet of the homogenised cube (coordinates ``y``, input
    ``(x, t) = M y + m0``) in homogeneous form; a cell with a vertex at ``t = 0`` reaches
    infinity (unbounded).  (``M`` square: the whole cube, ``y = (x, t)``.)"""
    cells = _no_vertices(cells, M.shape[1])
    XH = _embed(cells.vertex_coords, M, m0)
    pts = _embed(cells.points, M, m0)
    vt = XH[:, n]
    ids, off = cells.vertex_ids, cells.vertex_offsets
    infinite = np.logical_or.reduceat(vt[ids] == 0, off[:-1]) if len(ids) else np.zeros(len(cells), bool)
    return FoundCells(
        stages, n, exact, cells.patterns, pts[:, :n] / pts[:, n][:, None], ~infinite,
        off, ids, XH[:, :n], vt, A, b, _domain_codes(cells.vertex_codes, n, False),
    )


def _embed(Y: np.ndarray, M: np.ndarray, m0: np.ndarray) -> np.ndarray:
    """``Y M^T + m0``: float rows by one product; exact (object) rows through the nonzero
    entries of ``M`` only (a cube facet's ``M`` selects coordinates: a product of ``Fraction``
    arrays took a third of an exact linear count on R^3), with the same exact values.

    >>> from fractions import Fraction as F
    >>> M = np.array([[F(1), F(0)], [F(0), F(0)], [F(0), F(3)]], dtype=object)
    >>> m0 = np.array([F(0), F(1), F(-1)], dtype=object)
    >>> _embed(np.array([[F(1, 2), F(1)]], dtype=object), M, m0).tolist()
    [[Fraction(1, 2), Fraction(1, 1), Fraction(2, 1)]]
    """
    if Y.dtype != object:
        return Y.dot(M.astype(np.float64).T) + m0.astype(np.float64)
    out = np.empty((len(Y), M.shape[0]), dtype=object)
    for j, row in enumerate(M):
        col = None
        for k in np.flatnonzero(row != 0):
            term = Y[:, k] if row[k] == 1 else Y[:, k] * row[k]
            col = term if col is None else col + term
        if col is None:
            col = np.full(len(Y), Fraction(0), dtype=object)
        out[:, j] = col + m0[j] if m0[j] != 0 else col
    return out


def _from_piece(cells: Cells, piece, stages, n: int, exact: bool, A, b) -> FoundCells:
    """The cells of one run on ``piece`` (a :class:`~tropnet.regions.domains.Piece`) as
    :class:`FoundCells` over the domain's rows ``A x <= b``."""
    if piece.on_facet:
        found = _from_facet(cells, stages, n, exact, piece.M, piece.m0, A, b)
    else:
        found = _from_bounded(cells, stages, n, exact, A, b, box_is_domain=piece.box_is_domain)
    found.ambiguous = cells.ambiguous
    found.thin = cells.thin
    return found
