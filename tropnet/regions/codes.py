"""Tight codes: which constraints are tight at each (cell, vertex) entry of an exact run.

Every sign of a certified (or rational) run is exact, so are its tight ids.  Where every vertex
is simple, each cell's facets are exactly the constraints tight at its vertices: the exact
geometry (:mod:`tropnet.regions.geometry`) reads facets, rows and maps from these codes without
exact vertex coordinates.  Where several constraints meet at a vertex (integer weights, a unit
and its scaled copy), an exact linear count keeps all of them: the facets are then the maximal
sets of tight vertices (:func:`tropnet.regions.neighbours.code_edges`).
"""

from __future__ import annotations

import numpy as np

from .cells import Cells
from .exactness import _Uncertain
from .program import Stage, _Program
from .vertex import _Engine

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


def _codes(eng: _Engine, out: Cells, simple: bool = True) -> Cells:
    """``out`` with ``vertex_codes``: the constraints tight at each (cell, vertex) entry of a run
    whose every sign was exact (certified or rational), so that its tight ids are exact.  A unit
    or group constraint is coded as in :func:`tropnet.regions.affine.unit_rows` (``column *
    2**20`` plus the pattern entry across it), box side ``i`` as ``-2 - i`` and clipping row
    ``r`` as ``-2 - (2 d + r)``.

    Where every vertex is simple (exactly ``d`` of its cell's constraints tight there, each a
    facet of the cell) the codes are ``(nnz, d)``; else, unless ``simple`` is asked, ``(nnz,
    m)`` with ``m > d`` the most ids of an entry, rows padded with ``-1`` (not a constraint),
    from which the merge reads facets by incidence (:func:`tropnet.regions.geometry._code_edges`;
    not for programs with group stages).  Raises :class:`_Uncertain` (the rational pass takes
    over) where a simple entry is asked for and missing."""
    p, prog = eng.p, eng.prog
    d = prog.d
    ecell = p.entry_cell()
    T = p.T[p.ids]
    valid = eng._valid(T, ecell)
    n_ids = valid.sum(axis=1)
    if (n_ids == d).all():
        ids = T[valid].reshape(-1, d).astype(np.int64)
        pos = None
    elif simple or prog.has_pairs:
        raise _Uncertain
    else:
        ids = T[valid].astype(np.int64)
        pos = np.flatnonzero(valid.ravel())  # the slots of a (nnz, width) table
        width = T.shape[1]
    cells = np.repeat(ecell, n_ids)
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
    if pos is None:
        code = code.reshape(-1, d)
    else:
        table = np.full(len(T) * width, -1, dtype=np.int64)
        table[pos] = code
        code = table.reshape(-1, width)[:, : int(n_ids.max())]
    return Cells(
        patterns=out.patterns,
        points=out.points,
        vertex_coords=out.vertex_coords,
        vertex_offsets=out.vertex_offsets,
        vertex_ids=out.vertex_ids,
        vertex_codes=code,
    )
