"""The interchange format between the enumeration engines and :class:`RegionSet`.

Every engine (the n-D layer-wise refinement, the H-representation engine, the 2D polygon
path, the parallel driver) returns a :class:`Cells`: the full-dimensional activation cells it
found, as plain shared arrays, and raises :class:`RegionLimitError` past its cell limit.
Nothing here computes geometry.

*Pattern.*  For a lowered network (primitive layers only), the activation pattern of a
cell lists, for every unit of every activation layer in order, which affine piece is
active on the cell's interior:

* ``Threshold``/``ReLU``/``LeakyReLU`` unit: ``1`` when the pre-activation is ``> t``
  (resp. ``> 0``) on the cell, ``0`` otherwise (a unit identically at ``t`` on the cell
  counts as inactive, ``0``);
* ``GroupMax`` unit: the position ``j`` (within the group) of the first input that attains
  the maximum on the cell's interior.

For a tropical object compiled to a network of ``GroupMax`` layers, the pattern is the
tuple of winning monomials.

>>> import numpy as np
>>> c = Cells(patterns=np.array([[0], [1]], dtype=np.int32), points=np.array([[-1.0], [1.0]]))
>>> len(c)
2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Cells", "stack_codes"]


@dataclass(frozen=True)
class Cells:
    """Full-dimensional activation cells as shared arrays.

    Attributes
    ----------
    patterns : (C, U) int32 array
        The activation pattern of each cell (see the module docstring).
    points : (C, d) float64 array
        A point strictly inside each cell.
    vertex_coords : (V, d) float64 array or None
        A shared pool of vertices (bounded cells of a vertex-representation engine).
    vertex_offsets : (C + 1,) int64 array or None
        Cell ``i`` has the vertices ``vertex_ids[vertex_offsets[i]:vertex_offsets[i + 1]]``;
        for 2D engines they are in counter-clockwise order.
    vertex_ids : (nnz,) int64 array or None
    vertex_codes : (nnz, d) or (nnz, m) int64 array or None
        For runs whose every sign was exact (certified or rational): the ``d`` constraints
        tight at each (cell, vertex) entry when every vertex is simple, coded as in
        :func:`tropnet.regions.codes._codes`; where some are not (and the caller accepts it)
        all those tight at each entry, the rows padded with ``-1`` (:func:`stack_codes`).
    ambiguous : int
        Float runs: the number of sign decisions left inside the tolerance band although above
        rounding noise (a sliver may have been merged; see
        :class:`~tropnet.regions.exactness.AmbiguousGeometryWarning`).
    thin : int
        Float runs of the vertex engine: the cells cut by a sign the exact certificate decided
        nonzero below float64 resolution (:mod:`tropnet.regions.ties`); a linear merge cannot
        see facets that thin and warns.
    vertex_tight : (V, w) int32 array or None
        Float runs of the vertex engine asked for it (``refine(..., keep_tight=True)``): the
        engine's tight constraint ids of every pool vertex (padded), from which a linear merge
        reads the facets of simple cells (:func:`tropnet.regions.codes.id_columns`).
    """

    patterns: np.ndarray
    points: np.ndarray
    vertex_coords: np.ndarray | None = None
    vertex_offsets: np.ndarray | None = None
    vertex_ids: np.ndarray | None = None
    vertex_codes: np.ndarray | None = None
    ambiguous: int = 0
    thin: int = 0
    vertex_tight: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.patterns.shape[0])

    def cell_vertices(self, i: int) -> np.ndarray | None:
        """The vertex coordinates of cell ``i`` (None when the engine kept no vertices)."""
        if self.vertex_coords is None or self.vertex_offsets is None or self.vertex_ids is None:
            return None
        ids = self.vertex_ids[self.vertex_offsets[i] : self.vertex_offsets[i + 1]]
        return self.vertex_coords[ids]


def stack_codes(parts: list[np.ndarray]) -> np.ndarray:
    """Rows of tight codes (``Cells.vertex_codes``) of several runs stacked, the narrower rows
    padded with ``-1`` (no constraint).

    >>> stack_codes([np.array([[-2, 5]]), np.array([[-3, 6, 7]])]).tolist()
    [[-2, 5, -1], [-3, 6, 7]]
    """
    w = max(c.shape[1] for c in parts)
    return np.vstack([np.pad(c, ((0, 0), (0, w - c.shape[1])), constant_values=-1) for c in parts])


class RegionLimitError(ValueError):
    """Raised when an enumeration would exceed one of its limits (``max_regions``/``max_cells``,
    ``max_seconds``, ``max_memory``); ``limit`` names it and ``reached`` records how far the run
    got (cells counted or held, seconds, bytes of the engine's arrays) when it stopped.

    >>> issubclass(RegionLimitError, ValueError)
    True
    >>> RegionLimitError("stopped", "max_seconds", {"cells": 10}).reached
    {'cells': 10}
    """

    def __init__(self, message: str, limit: str = "max_regions", reached: dict | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.reached = dict(reached or {})


def check_passed(limits: Any, count: int, nbytes: int, **where: Any) -> None:
    """Raise :class:`RegionLimitError` when ``limits`` (:class:`tropnet._limits.Limits`, or
    ``None``) is passed by the cells held or counted (``count``) or the bytes of the engine's
    arrays (``nbytes``); ``where`` is added to the error's ``reached`` record.

    >>> from tropnet._limits import Limits
    >>> check_passed(Limits(max_memory=10), 3, 100, layer=1)
    Traceback (most recent call last):
    ...
    tropnet.regions.cells.RegionLimitError: the enumeration stopped: would hold 100 bytes of arrays ...
    """
    if limits is None:
        return
    hit = limits.passed(count=count, nbytes=nbytes, what="cells")
    if hit is not None:
        name, message, reached = hit
        reached.update(where)
        raise RegionLimitError(f"the enumeration stopped: {message}", name, reached)
