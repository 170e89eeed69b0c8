"""Tight codes: which constraints are tight at each (cell, vertex) entry of a certified run.

When every sign of a run was certified, every vertex is simple, so each cell's facets are
exactly the constraints tight at its vertices: the exact geometry
(:mod:`tropnet.regions.geometry`) reads facets, rows and maps from these codes without exact
vertex coordinates.
"""

from __future__ import annotations

import numpy as np

from .cells import Cells
from .exactness import _Uncertain
from .program import Stage
from .vertex import _Engine, _Program

__all__ = ["_codes", "id_columns"]


def id_columns(stages: list[Stage], d: int, nclip: int = 0) -> np.ndarray | None:
    """The pattern column of every constraint id of a vertex-engine run of ``stages`` (``d``
    inputs, ``nclip`` clipping rows): ``-1`` for the box sides and clipping rows; ``None`` for
    a program with group (max-pool, maxout) stages, whose pair ids a column does not name.
    With a float run's tight ids (``Cells.vertex_tight``), a cell whose every vertex has
    exactly ``d`` of them is simple, and its unit facets are the columns met at its vertices
    (as :func:`_codes` reads them from a certified run).

    >>> import tropnet
    >>> from tropnet.regions.program import stages_from_network
    >>> id_columns(stages_from_network(tropnet.random_mlp([2, 3, 1])), 2).tolist()
    [-1, -1, -1, -1, 0, 1, 2]
    """
    prog = _Program(d, nclip, stages)
    if prog.has_pairs:
        return None
    col_of = np.full(len(prog.id_col), -1, dtype=np.int64)
    for base, cb, n in prog.unit_ranges:
        col_of[base : base + n] = cb + np.arange(n)
    return col_of


def _codes(eng: _Engine, out: Cells) -> Cells:
    """``out`` with ``vertex_codes (nnz, d)``: the constraints tight at each (cell, vertex) entry
    of a run whose every sign was certified (so every vertex is simple: exactly ``d`` of the
    cell's constraints are tight there, and each is a facet of the cell).  A unit or group
    constraint is coded as in :func:`tropnet.regions.affine.unit_rows` (``column * 2**20`` plus
    the pattern entry across it), box side ``i`` as ``-2 - i`` and clipping row ``r`` as
    ``-2 - (2 d + r)``.  Raises :class:`_Uncertain` (the rational pass takes over) if some entry
    is not simple after all."""
    p, prog = eng.p, eng.prog
    d = prog.d
    ecell = p.entry_cell()
    T = p.T[p.ids]
    valid = eng._valid(T, ecell)
    if not (valid.sum(axis=1) == d).all():
        raise _Uncertain
    ids = T[valid].reshape(-1, d).astype(np.int64)
    cells = np.repeat(ecell, d)
    flat = ids.ravel()
    code = -2 - flat  # box sides and clipping rows
    # unit ids -> pattern column; pair ids (group members a, b) -> the group's column
    col_of = np.full(len(prog.id_col), -1, dtype=np.int64)
    for base, cb, n in prog.unit_ranges:
        col_of[base : base + n] = cb + np.arange(n)
    unit = col_of[flat] >= 0
    col = col_of[flat[unit]]
    code[unit] = col * (1 << 20) + (1 - p.pat[cells[unit], col])
    pair = prog.id_col[flat] >= 0
    if pair.any():
        gcol = prog.id_col[flat[pair]]
        a, b = prog.id_a[flat[pair]], prog.id_b[flat[pair]]
        win = p.pat[cells[pair], gcol]
        code[pair] = gcol * (1 << 20) + np.where(a == win, b, a)
    return Cells(
        patterns=out.patterns,
        points=out.points,
        vertex_coords=out.vertex_coords,
        vertex_offsets=out.vertex_offsets,
        vertex_ids=out.vertex_ids,
        vertex_codes=code.reshape(-1, d),
    )
