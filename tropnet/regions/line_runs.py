"""The linear regions of a 1-D run: which neighbouring cells of a line share one output map.

The network is continuous, so two neighbouring cells of a line have one map exactly when they
have one slope.  Exact runs compare their integer maps; float runs first try the difference
quotients of the output's values at the vertices, and carry slopes forward only for the pairs
those cannot tell apart (:class:`~tropnet.regions.line.LineCells`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .line import RTOL, LineCells

__all__ = ["linear_runs"]


def linear_runs(cells: LineCells) -> np.ndarray:
    """The linear-region label of every cell: consecutive cells with the same output map share
    a label.  The network is continuous, so two neighbouring cells have one map exactly when
    they have one slope: exactly equal in exact mode; in float mode within ``1e-9`` of the
    largest slope (or twice the rounding bound where that is larger), with a warning
    (:class:`~tropnet.AmbiguousGeometryWarning`) for merged pairs that differ by more than
    rounding explains.  Float runs first try the difference quotients of the output's values at
    the vertices: when every neighbouring pair differs by more than their rounding bounds, no
    slope is carried forward.

    >>> from tropnet import Network
    >>> from tropnet.regions.line import line_cells
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1.0], [1.0]], [[0.0, 0.0]]], [[0.0, -1.0], [0.0]])  # constant
    >>> linear_runs(line_cells(stages_from_network(net), -2.0, 2.0)).tolist()
    [0, 0, 0]
    """
    if len(cells) < 2:
        return np.zeros(len(cells), dtype=np.int64)
    if cells.exact:
        J = cells.J.reshape(len(cells), -1)
        same = (J[1:] == J[:-1]).all(axis=1).astype(bool)
    else:
        run = cells._run
        certain, top = run.distinct_pairs()
        if certain.all():  # the common case: no two neighbours can share a map
            return np.arange(len(cells), dtype=np.int64)
        pairs = np.flatnonzero(~certain)  # carry the slopes of these pairs' intervals only
        rows = np.unique(np.concatenate([pairs, pairs + 1]))
        S = run.slopes(rows)
        at = np.searchsorted(rows, pairs)  # pair i: rows at and at + 1 (i and i + 1)
        noise = run.slope_noise()
        dS = np.abs(S[at + 1] - S[at])
        tol = max(RTOL * max(top, float(np.abs(S).max(initial=0.0))), 1e-300)
        near = (dS <= np.maximum(tol, 2 * noise)).all(axis=1)
        same = np.zeros(len(cells) - 1, dtype=bool)
        same[pairs] = near
        loud = int(np.count_nonzero(near & (dS > noise).any(axis=1)))
        if loud:
            from .exactness import AmbiguousGeometryWarning

            warnings.warn(
                f"float mode merged {loud} neighbouring interval{'s' if loud != 1 else ''} of the line "
                "whose slopes agree to its tolerance (1e-09 times the largest slope) but differ by more "
                "than rounding can explain: those linear regions may have been merged wrongly; use "
                "exact=True for a certified answer", AmbiguousGeometryWarning, stacklevel=3)
    return np.concatenate([[0], np.cumsum(~same)]).astype(np.int64)
