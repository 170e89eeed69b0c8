"""A float 2-D linear count from the polygon engine's count when its certificate fails on a few
root edges only.

:func:`~tropnet.regions.planar_linear.no_shared_maps` bounds from below the difference of the
output maps across every facet of a 2-D polygon run: inside each root polygon (the cells of
the layers before the last) and, stretch by stretch, along every edge between two root
polygons ``A`` and ``B`` (a stretch: a segment of the edge on which the last layer's pattern
``m`` is constant; the cells ``(A, m)`` and ``(B, m)`` meet there).  Where every bound holds,
the linear regions are the cells.  Where it fails on some edges only (a sparse network: a unit
whose readers are all off in a cell splits cells of one map), the float merge
(:func:`~tropnet.regions.geometry.linear_labels`) can join neighbours across those edges only,
and :func:`merged_count` decides their stretches without cutting the last layer:

* the two cells' patterns differ in the one unit ``u`` of the edge; where no path of units
  passing it on leads from ``u`` to an output in that cell
  (:func:`~tropnet.regions.map_groups.silent_units`), their exact maps are equal, so the float
  merge joins them (equal maps differ by at most its rounding bound, below its tolerance);
* otherwise their float maps (:func:`~tropnet.regions.map_groups.float_maps`) must differ by
  more than the merge's largest tolerance plus twice the rounding of both computations (the
  certificate's ``need`` plus ``2 err``): then the merge keeps them apart;
* anything else (a stretch in between, an edge whose polygons' patterns differ in more than
  one unit, crossings that cannot be ordered) returns ``None``, and the caller runs the merge.

An exact count (the root polygons of :func:`~tropnet.regions.planar_count.count_last_layer_2d`,
whose certificate needs the differences nonzero) decides the stretches whose unit is not silent
from the two cells' exact maps (the integer walk): joined where equal, apart otherwise.

The count is then the number of cells less the joins that connect two components
(the cells ``(A, m)`` are named by their root polygon and last-layer pattern: one pattern in a
convex polygon is one convex cell).

A region set whose last layer has units that reach no output (``silent`` in
:func:`merged_labels`: the certificate left them out) joins, besides, the cells of one root
polygon whose patterns differ in those units only: one pattern of the other units in a convex
polygon is a convex piece of it, cut by the silent units' lines into cells of one exact map
(the merge joins them across those lines: their float maps differ by rounding only).

The failed edges are those whose vertex values fail the certificate's test although precise
(and those of thin polygons whose polygons' maps fail it too): their stretches are decided
here, from the cells' own maps, with no second test of the polygons' maps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels.merge import component_count, components, row_index, row_keys
from .affine import cell_affine
from .map_groups import float_maps, silent_units
from .planar_linear import no_shared_maps
from .program import Stage

__all__ = ["merged_count", "merged_labels", "MAX_EDGES"]

#: at most this many failing root edges are decided here; more, and the merge runs
MAX_EDGES = 4096


def certified_count(stages: list[Stage], last: dict, cells: int, lo: Any = None, hi: Any = None,
                    halfspaces: Any = None) -> int | None:
    """The linear count of a 2-D polygon run of ``cells`` cells (``last`` the engine's
    ``stats["last_layer"]``, float or exact) without the merge: ``cells`` where the certificate
    holds (:func:`~tropnet.regions.planar_linear.no_shared_maps`), less the joins across the
    root edges where it fails on those only and they are decided (:func:`merged_count`); ``None``
    otherwise.

    >>> import tropnet
    >>> from tropnet.regions.planar import count_cells
    >>> from tropnet.regions.program import stages_from_network
    >>> # relu(relu(y) - 1/2): the two cells above y = 1/2 (split by x = 0) are one region
    >>> W, b = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0]], [[1.0]]], [[0, 0], [-0.5], [0]]
    >>> net = tropnet.Network.from_arrays(W, b)
    >>> stats = {"last_layer": None}
    >>> n = count_cells(net, [-1, -1], [1, 1], stats=stats)
    >>> n, certified_count(stages_from_network(net), stats["last_layer"], n, [-1, -1], [1, 1])
    (6, 2)
    """
    failed: list = []
    if no_shared_maps(stages, last, lo, hi, halfspaces, failed=failed):
        return cells
    return merged_count(stages, last, cells, failed) if failed else None


def merged_count(stages: list[Stage], last: dict, cells: int, failed: list) -> int | None:
    """The float linear count of a 2-D polygon run of ``cells`` cells whose certificate failed
    on the root edges ``failed`` (filled by
    :func:`~tropnet.regions.planar_linear.no_shared_maps`; ``last`` the engine's
    ``stats["last_layer"]`` with the root polygons' patterns), or ``None`` where a stretch is
    undecided (see the module docstring).

    >>> import tropnet
    >>> from tropnet.regions.planar import count_cells
    >>> from tropnet.regions.planar_linear import no_shared_maps
    >>> from tropnet.regions.program import stages_from_network
    >>> # relu(relu(y) - 1/2): 0 below y = 1/2 (4 cells), y - 1/2 above (2 cells, split by x = 0)
    >>> W, b = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0]], [[1.0]]], [[0, 0], [-0.5], [0]]
    >>> net = tropnet.Network.from_arrays(W, b)
    >>> stats, failed = {"last_layer": None}, []
    >>> n = count_cells(net, [-1, -1], [1, 1], stats=stats)
    >>> st = stages_from_network(net)
    >>> n, no_shared_maps(st, stats["last_layer"], [-1, -1], [1, 1], failed=failed)
    (6, False)
    >>> merged_count(st, stats["last_layer"], n, failed)
    2
    """
    joins = _joins(stages, last, failed)
    if joins is None:
        return None
    A, B, M = joins
    if len(M) == 0:
        return cells
    # the cells (root polygon, last-layer pattern) joined: each join of two components is a cell less
    AB, n = np.concatenate([A, B]), M.shape[1]
    if n <= 40 and AB.max() < (1 << 20):  # one integer per cell: the polygon, then the 0/1 pattern
        code = M.dot(1 << np.arange(n, dtype=np.int64))
        keys = (AB.astype(np.int64) << n) | np.concatenate([code, code])
    else:
        keys = row_keys(np.concatenate([AB[:, None], np.concatenate([M, M])], axis=1).astype(np.int32))
    nodes, node = np.unique(keys, return_inverse=True)
    node = node.ravel()
    return cells - (len(nodes) - component_count(len(nodes), node.reshape(2, -1).T))


def merged_labels(stages: list[Stage], last: dict, patterns: np.ndarray, failed: list,
                  silent: np.ndarray | None = None) -> np.ndarray | None:
    """:func:`merged_count` for the enumerated cells ``patterns`` of the run: each cell's linear
    region (labels in order of first cell, as the merge numbers them), or ``None``.  ``silent``
    (``(nL,)`` bool): the last layer's units the certificate left out (they reach no output),
    whose lines join the cells of one root polygon and one pattern of the other units;
    ``failed`` may then be empty.

    >>> import tropnet
    >>> from tropnet.regions.planar import enumerate_cells
    >>> from tropnet.regions.planar_linear import no_shared_maps
    >>> from tropnet.regions.program import stages_from_network
    >>> # relu(relu(y) - 1/2) (as in merged_count): 6 cells, 2 linear regions
    >>> W, b = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0]], [[1.0]]], [[0, 0], [-0.5], [0]]
    >>> net = tropnet.Network.from_arrays(W, b)
    >>> stats, failed = {"last_layer": None}, []
    >>> cells = enumerate_cells(net, [-1, -1], [1, 1], stats=stats)
    >>> st = stages_from_network(net)
    >>> no_shared_maps(st, stats["last_layer"], [-1, -1], [1, 1], failed=failed)
    False
    >>> sorted(set(merged_labels(st, stats["last_layer"], cells.patterns, failed).tolist()))
    [0, 1]
    >>> # relu(x) + 0 relu(y): the line y = 0 splits both cells of one map
    >>> net = tropnet.Network.from_arrays([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0]]])
    >>> cells = enumerate_cells(net, [-1, -1], [1, 1], stats=stats)
    >>> st, silent = stages_from_network(net), []
    >>> no_shared_maps(st, stats["last_layer"], [-1, -1], [1, 1], silent=silent), silent[0].tolist()
    (True, [False, True])
    >>> labels = merged_labels(st, stats["last_layer"], cells.patterns, [], silent[0])
    >>> len(cells), int(labels.max()) + 1
    (4, 2)
    """
    P = np.ascontiguousarray(patterns, dtype=np.int32)
    edges = []
    if silent is not None and silent.any():
        if P.shape[1] < len(silent):
            return None
        P = P.copy()
        P[:, P.shape[1] - len(silent) + np.flatnonzero(silent)] = 0  # the silent units' columns
        bits = P.min(initial=0) >= 0 and P.max(initial=0) <= 1  # 0/1 patterns: a byte per 8 units
        _, first, inv = np.unique(row_keys(np.packbits(P, axis=1) if bits else P), return_index=True,
                                  return_inverse=True)
        edges.append(np.stack([np.arange(len(P)), first[inv.ravel()]], axis=1))  # one pattern left
    if failed:
        joins = _joins(stages, last, failed, silent)
        if joins is None:
            return None
        A, B, M = joins
        roots = np.asarray(last["roots"], dtype=np.int32)
        want = np.concatenate([np.concatenate([roots[A], M], axis=1), np.concatenate([roots[B], M], axis=1)])
        cell = row_index(P, want)
        if (cell < 0).any():
            return None  # a joined cell is not among the run's cells: the merge decides
        edges.append(cell.reshape(2, -1).T)
    return components(len(P), np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64))


def _joins(stages: list[Stage], last: dict, failed: list, silent: np.ndarray | None = None):
    """The joins across the failed edges' stretches: ``(A, B, M)``, the root polygons on either
    side and the last layer's pattern of each stretch whose two cells the merge joins (the
    ``silent`` units of the last layer, which the certificate left out, 0); ``None`` where a
    stretch is undecided.  On an exact run's root polygons
    (:func:`~tropnet.regions.planar_count.count_last_layer_2d`) the stretches whose unit is not
    silent join where the two cells' exact maps are equal."""
    exact = bool(last.get("exact"))
    if exact:  # (planar_count's root polygons: their patterns, the exact program)
        last = dict(last, roots=last["pat"][:, : last["ncols"]])
        stages = last["exact_stages"]
    if len(failed) != 1 or last.get("roots") is None:
        return None
    rec = failed[0]
    p, q, A, B, st = rec["p"], rec["q"], rec["A"], rec["B"], rec["stretches"]
    k = len(p)
    if k == 0 or k > MAX_EDGES:
        return None
    roots = np.asarray(last["roots"], dtype=np.int32)
    on = np.asarray(st.on, dtype=bool)
    # the edges' polygons differ in one unit (their patterns), the unit between them
    RA, RB = roots[A], roots[B]
    differ = RA != RB
    if not (np.count_nonzero(differ, axis=1) == 1).all():
        return None
    col = differ.argmax(axis=1)
    # the stretches of each edge: the last layer's pattern at p, then flipped at each crossing
    fl = rec.get("flips") or st._flips(p, q, *st._pairs(A))  # (the certificate's, when it kept them)
    if fl is None:
        return None
    fe, fu, _ = fl
    nflip = np.bincount(fe, minlength=k)
    first = (nflip + 1).cumsum() - (nflip + 1)  # each edge's first stretch
    edge = np.arange(k).repeat(nflip + 1)
    M = on[p[edge]].astype(np.int32)
    rank = np.arange(len(fe)) - (nflip.cumsum() - nflip)[fe]
    for r in range(int(nflip.max(initial=0))):  # crossings in order along each edge
        i = (rank == r).nonzero()[0]
        row = first[fe[i]] + r + 1
        M[row] = M[row - 1]
        M[row, fu[i]] ^= 1
    if silent is not None and silent.any():  # the silent units' columns put back, as 0
        if len(silent) - int(silent.sum()) != M.shape[1]:
            return None
        full = np.zeros((len(M), len(silent)), dtype=np.int32)
        full[:, ~silent] = M
        M = full
    PA = np.concatenate([RA[edge], M], axis=1)
    if PA.shape[1] != sum(len(s.idx) for s in stages if s.kind != "affine"):
        return None
    joined = silent_units(stages, PA, None, col[edge])
    rest = (~joined).nonzero()[0]
    if len(rest):
        PB = np.concatenate([RB[edge[rest]], M[rest]], axis=1)
    if len(rest) and exact:  # the exact maps: joined where equal
        N = cell_affine(stages, np.concatenate([PA[rest], PB]), 2, exact=True).map_numerators()
        N = N.reshape(2 * len(rest), -1)
        joined[rest] = (N[: len(rest)] == N[len(rest) :]).all(axis=1)
    elif len(rest):  # the maps must be far apart
        F = float_maps(stages, np.concatenate([PA[rest], PB]), 2)
        diff = np.abs(F[: len(rest)] - F[len(rest) :]).max(axis=1)
        if not (diff > (rec["need"] + 2 * rec["err"]) * (1 + 1e-6)).all():
            return None
    e = edge[joined]
    return A[e], B[e], M[joined]
