"""Geometry of found cells: irredundant facets, affine maps, facet adjacency and the linear
merge, and the :class:`~tropnet.RegionSet` built from them (:func:`build_region_set`).

Three sources of facets: tight codes of a certified run (:func:`_code_facets`: exact rows from
the integer affine walk, no vertex coordinates), vertex incidences (:func:`cell_facets`), or
LPs for cells without vertices (:func:`hrep_facets`, the H-representation engine).  The affine
rows and maps come from :mod:`tropnet.regions.affine`.  Neighbours are found by flipping the
facet's unit in the pattern (a hash lookup), else by reading the pattern just across the
facet; in exact mode a point across a facet whose pattern is not a reported cell raises
instead of returning a wrong answer.  Linear regions are the connected components of
"neighbours with the same map" (:func:`merge_linear`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._limits import progress_phase
from ..kernels.merge import components
from .across import cells_across
from .affine import _divide, _integer_rows, cell_affine, float_map_error, maps_and_rows
from .exactness import _Inconsistent
from .found import FoundCells
from .hrep_adjacency import certified_neighbours, facet_point
from .hrep_exact_facets import exact_hrep_edges
from .hrep_exact_regions import exact_hrep_geometry, exact_hrep_points
from .map_groups import float_maps, map_groups, near_groups, silent_units
from .neighbours import code_edges, flip_neighbours, incidence_facets, tight_edges
from .planar_linear import no_shared_maps
from .planar_merge import merged_labels
from .regionset import RegionSet

__all__ = ["build_region_set", "linear_labels", "map_groups", "near_groups", "cell_facets", "hrep_facets",
           "facet_point", "merge_linear"]


def cell_facets(
    A: np.ndarray,
    b: np.ndarray,
    vert_off: np.ndarray,
    vert_ids: np.ndarray,
    X: np.ndarray,
    tvals: np.ndarray,
    d: int,
    *,
    exact: bool,
    rtol: float = 1e-9,
    H: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Facets of the candidate rows ``A[c] x <= b[c]`` of every cell, given the cell's
    (homogeneous) vertices ``X[vert_ids[vert_off[c]:vert_off[c+1]]]`` with scale ``tvals``
    (1 for points, 0 for directions).

    Returns ``(facet (C, R) bool, coincident (C, R) bool, centre)``: rows with equal tight
    sets define one facet and only the first is kept; ``coincident`` marks kept rows that had
    such twins, and ``centre[(c, r)]`` is then a homogeneous point in the facet's relative
    interior (the mean of its tight vertices).

    ``H`` (exact runs; ``A`` and ``b`` then unused, may be ``None``): the rows as integer vectors
    ``(C, R, d + 1)``, ``H[c, r] . (x, t)`` a nonzero multiple of ``A[c, r] x - b[c, r] t`` (the
    zero tests need no fractions).

    >>> # the square [0, 1]^2 with a redundant row x <= 2 and a duplicate of y <= 1
    >>> A = np.array([[[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [0, 2]]])
    >>> b = np.array([[1.0, 0, 1, 0, 2, 2]])
    >>> X = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    >>> f, twin, _ = cell_facets(A, b, np.array([0, 4]), np.arange(4), X, np.ones(4), 2, exact=False)
    >>> f[0].tolist(), twin[0].tolist()
    ([True, True, True, True, False, False], [False, False, True, False, False, False])
    """
    C, R = b.shape if H is None else H.shape[:2]
    out = np.zeros((C, R), dtype=bool)
    coinc = np.zeros((C, R), dtype=bool)
    centre: dict = {}
    if R == 0 or C == 0:
        return out, coinc, centre
    if not exact:
        scale = float(np.abs(X).max()) if X.size else 1.0
        norms = np.linalg.norm(A, axis=2)
    else:  # float copies of the vertex pool, once (cells share vertices)
        Xf, tf = X.astype(np.float64), tvals.astype(np.float64)
    counts = np.diff(vert_off)
    order = np.argsort(counts, kind="stable")  # similar sizes share one padded block
    sizes = counts[order]
    pos = 0
    while pos < C:
        # the most cells whose block, padded to the largest of them, stays near 4e6 entries
        # (a block sized by a smaller cell than its largest padded 388 cells of [6, 14, 14, 1]
        # to 436 vertices each: 0.1 s instead of 0.02 s)
        most = max(1, 4_000_000 // (R * (d + 3) * max(1, int(sizes[pos]))))  # (sizes ascend)
        win = np.maximum(sizes[pos : pos + most], 1)
        padded = np.arange(1, len(win) + 1) * win * (R * (d + 3))
        k = max(1, int(np.searchsorted(padded, 4_000_000, side="right")))
        cs = order[pos : pos + k]
        vm = int(counts[cs].max())
        pos += k
        ar = np.arange(vm)
        valid = ar[None, :] < counts[cs][:, None]
        gidx = np.minimum(vert_off[cs][:, None] + ar[None, :], vert_off[cs + 1][:, None] - 1)
        ids = vert_ids[gidx]
        P = X[ids]  # (k, vm, d)
        tt = tvals[ids]  # (k, vm)
        if exact:
            if H is None:
                tight = _exact_zero_slacks(A[cs], b[cs], X, tvals, ids, valid, Xf[ids], tf[ids])
            else:
                tight = _exact_zero_slacks(None, None, X, tvals, ids, valid, Xf[ids], tf[ids], H=H[cs])
        else:
            sl = np.matmul(A[cs], np.swapaxes(P, 1, 2)) - b[cs][:, :, None] * tt[:, None, :]
            tol = rtol * (norms[cs] * scale + np.abs(b[cs]))
            tight = np.abs(sl) <= tol[:, :, None]
        keep, twin, _ = incidence_facets(tight, valid, tt)
        out[cs] = keep
        coinc[cs] = twin
        for ci, r in zip(*np.nonzero(twin)):
            sel = tight[ci, r]
            centre[(int(cs[ci]), int(r))] = (P[ci][sel].sum(axis=0), tt[ci][sel].sum())
    return out, coinc, centre


def hrep_facets(
    A: np.ndarray, b: np.ndarray, ball: tuple | None = None, test: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facets of the float polyhedra ``{x : A[c] x <= b[c]}`` of cells without a vertex list
    (the H-representation engine): one reused LP model per cell
    (:func:`tropnet.kernels.lp.irredundant_rows`); rows with the same hyperplane count once, the
    first kept.  Returns ``(facet (C, R), coincident (C, R), bounded (C,))``.  ``ball=(c, r)``:
    every cell is cut by the 1-norm ball ``|x - c|_1 <= r`` too (a cross-polytope domain, kept
    whole by lifting), and the cells are bounded.  ``test`` (C, R): only those rows are tested
    (the others are reported as no facets, and ``bounded`` is not computed: all False).

    (Qhull on the polar points, the other textbook route, computes every vertex of the cell on
    the way: a cube of dimension 13 already has 8192, and it took 0.8 s per cell here.)

    >>> A = np.array([[[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [0, 2]]])
    >>> b = np.array([[1.0, 0, 1, 0, 2, 2]])
    >>> f, twin, bounded = hrep_facets(A, b)
    >>> f[0].tolist(), twin[0].tolist(), bounded.tolist()
    ([True, True, True, True, False, False], [False, False, True, False, False, False], [True])
    """
    from ..kernels.lp import irredundant_rows, is_bounded

    C, R = b.shape
    out = np.zeros((C, R), dtype=bool)
    coinc = np.zeros((C, R), dtype=bool)
    bounded = np.zeros(C, dtype=bool)
    bar = progress_phase(C, "facets (LPs)")
    for c in range(C):
        if bar is not None:
            bar.update(1)
        if test is not None and not test[c].any():
            continue
        Ac, bc = np.asarray(A[c], dtype=np.float64), np.asarray(b[c], dtype=np.float64)
        out[c] = irredundant_rows(Ac, bc, ball=ball, test=None if test is None else test[c])
        norms = np.linalg.norm(Ac, axis=1)
        rows = np.round(np.c_[Ac, bc] / np.where(norms > 0, norms, 1.0)[:, None], 12)
        for r in np.flatnonzero(out[c]):
            coinc[c, r] = int((rows == rows[r]).all(axis=1).sum()) > 1
        if test is None:
            bounded[c] = ball is not None or is_bounded(Ac[out[c]])
    if bar is not None:
        bar.close()
    return out, coinc, bounded


def _exact_zero_slacks(A, b, X, tvals, ids, valid, Pf, tf, H=None) -> np.ndarray:
    """``A P^T - b t == 0`` for exact (Fraction) blocks (``P = X[ids]``, ``t = tvals[ids]``;
    ``Pf``, ``tf`` their float roundings), deciding most entries in floats: a float slack
    farther from zero than a rigorous bound on its error is not zero, and only the rest is
    evaluated exactly, in integers (each row and vertex converted once).  ``H``: the rows as
    integer vectors (``H . (x, t)`` a nonzero multiple of ``a x - b t``) instead of ``A``, ``b``."""
    d = Pf.shape[2]
    if H is None:
        Af, bf = A.astype(np.float64), b.astype(np.float64)
    else:
        try:
            Hf = H.astype(np.float64)  # (each integer rounded to nearest)
        except OverflowError:  # integers beyond the float range: every entry decided exactly
            Hf = np.full(H.shape, np.inf)
        Af, bf = Hf[:, :, :d], -Hf[:, :, d]
    with np.errstate(invalid="ignore", over="ignore"):
        sl = np.matmul(Af, np.swapaxes(Pf, 1, 2)) - bf[:, :, None] * tf[:, None, :]
        mag = np.matmul(np.abs(Af), np.swapaxes(np.abs(Pf), 1, 2))
        mag += np.abs(bf)[:, :, None] * np.abs(tf)[:, None, :]
    # inputs rounded to nearest (relative u each), then a (d+1)-term dot product: a generous 4(d+3) u
    maybe = ~(np.abs(sl) > 4 * (d + 3) * 2.0**-53 * mag * (1 + 1e-6) + 1e-300) | ~np.isfinite(mag)
    maybe &= valid[:, None, :]
    ci, r, v = np.nonzero(maybe)
    tight = np.zeros(sl.shape, dtype=bool)
    if len(ci):
        R = sl.shape[1]
        rows, ri = np.unique(ci * R + r, return_inverse=True)
        verts, vi = np.unique(ids[ci, v], return_inverse=True)
        # (a, -b) and (x, t) scaled by positive integers to integer vectors: the slack is zero
        # iff their integer dot product is (no gcd in the loop, unlike rational arithmetic)
        ra, rb = rows // R, rows % R
        if H is None:
            Ai = _integer_rows(np.concatenate([A[ra, rb, :], -b[ra, rb][:, None]], axis=1))
        else:
            Ai = H[ra, rb]
        Xi = _integer_rows(np.concatenate([X[verts], tvals[verts][:, None]], axis=1))
        Ar, Xv = Ai[ri], Xi[vi]
        ex = Ar[:, d] * Xv[:, d]
        for j in range(d):  # column by column: numpy reduces short object axes slowly
            ex += Ar[:, j] * Xv[:, j]
        tight[ci, r, v] = ex == 0
    return tight


def merge_linear(n: int, edges: np.ndarray, same_map: np.ndarray) -> np.ndarray:
    """Component label (0..k-1, in order of first cell) of each of ``n`` cells, joining the
    facet-adjacent pairs ``edges (E, 2)`` where ``same_map`` is True.

    >>> merge_linear(4, np.array([[0, 1], [1, 2], [2, 3]]), np.array([True, False, True])).tolist()
    [0, 0, 1, 1]
    """
    return components(n, edges[same_map])


def build_region_set(found: FoundCells, kind: str) -> RegionSet:
    """The :class:`RegionSet` of ``found``: the halfspaces, neighbours and maps are computed on
    first use (for ``kind="linear"`` the labels come from :func:`linear_labels`, which needs
    them only for cells whose map another cell shares).

    >>> import tropnet
    >>> from tropnet.regions.plan import find_cells
    >>> found = find_cells(tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]))
    >>> len(build_region_set(found, "activation")), len(build_region_set(found, "linear"))
    (2, 2)
    """
    common = dict(
        exact=found.exact,
        dim=found.d,
        patterns=found.patterns,
        points=found.points,
        bounded=found.bounded,
        vert_off=found.vert_off,
        vert_ids=found.vert_ids,
        vert_X=found.vert_X,
        vert_t=found.vert_t,
    )
    if found.vert_codes is not None:
        # certified cells: exact points and the facets tight at each vertex (for exact
        # vertices on demand); the float vertex pool is kept for plotting only
        cf = _code_facets(found)
        common.update(points=cf["points"], vert_facets=cf["vert_facets"])
    elif found.exact and "exact_dom" in found.cache:  # an exact H-representation run: exact points
        common.update(points=exact_hrep_points(found))
    labels = linear_labels(found) if kind == "linear" else None
    return RegionSet(kind=kind, geometry=lambda: _geometry(found)[:6], labels=labels,
                     ball=found.cache.get("ball"), **common)


def linear_labels(found: FoundCells) -> np.ndarray:
    """The linear region of each cell of ``found`` (labels ``0..k-1`` in order of first cell):
    the connected components of the graph of facet-adjacent cells with one affine map.

    A float run of the 2-D polygon engine whose neighbouring cells provably have maps the merge
    does not join (:func:`~tropnet.regions.planar_linear.no_shared_maps`) has its cells as
    labels, with no map computed.  Otherwise the maps come first, from one float walk of all
    cells (:func:`~tropnet.regions.affine.cell_affine`), grouped by
    :func:`~tropnet.regions.map_groups.near_groups`: a cell
    whose map no other cell comes near is a linear region by itself, with no facet work.  Facets
    and neighbours (:func:`_facets_of`; for a certified run the tight codes, :func:`_code_edges`) are computed
    only for the cells of groups of two or more, and the edges within a group decided as before:
    float mode merges neighbours whose maps agree to ``1e-9`` times the largest entry of any map,
    or to the walk's rigorous rounding bound ``2 err`` (:func:`~tropnet.regions.affine.
    float_map_error`) where that is larger, so equal maps are never split by rounding; it warns
    (:class:`~tropnet.AmbiguousGeometryWarning`) for each merged pair that differs by more than
    the smaller of the two, a pair float arithmetic cannot tell apart;
    exact mode groups by the float maps within twice that rigorous rounding bound, then decides
    exactly: a certified run (tight codes) takes the neighbouring pairs of a group and shows
    equal maps without arithmetic where the one unit between them reaches no output there
    (:func:`~tropnet.regions.map_groups.silent_units`), comparing the exact maps (the integer
    walk) of the other pairs' cells only; the rational pass compares the candidates' exact maps
    first (its facets cost more than the maps).

    >>> import tropnet
    >>> from tropnet.regions.plan import find_cells
    >>> net = tropnet.Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])
    >>> linear_labels(find_cells(net)).tolist()  # relu(y + 1) - relu(x + 1): 4 cells, 4 regions
    [0, 1, 2, 3]
    >>> zero = tropnet.Network.from_arrays([[[1.0], [1.0]], [[1.0, -1.0]]])  # relu(x) - relu(x)
    >>> linear_labels(find_cells(zero)).tolist()  # two cells, one map 0: one region
    [0, 0]
    """
    C = len(found)
    if C <= 1:
        return np.zeros(C, dtype=np.int64)
    bar = progress_phase(2, "facets and merge", share=1.0)  # about as long as the engine
    try:
        return _linear_labels(found, bar)
    finally:
        found.cache.pop("tight", None)  # (the run's tight ids: a region set need not hold them)
        if bar is not None:
            bar.close()


def _linear_labels(found: FoundCells, bar: Any) -> np.ndarray:
    C, d = len(found), found.d
    last = found.cache.pop("planar_last", None)
    if last is not None and not found.exact:
        failed: list = []
        silent: list = []  # the last layer's units reaching no output, left out of the certificate
        ok = no_shared_maps(found.stages, *last, failed=failed, silent=silent)
        if ok and not silent:  # a 2-D polygon run, no shared maps
            return np.arange(C, dtype=np.int64)
        if ok or failed:  # ... but across silent units' lines or a few root edges, decided there
            labels = merged_labels(found.stages, last[0], found.patterns, failed,
                                   silent[0] if silent else None)
            if labels is not None:
                return labels
    # the float maps and their map_groups, when computed where the cells were (Dask tasks)
    F, groups = found.cache.pop("maps", None), found.cache.pop("groups", None)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            if F is None:
                F = float_maps(found.stages, found.patterns, d)
            err = float_map_error(found.stages, d)
        finite = bool(np.isfinite(F).all()) and np.isfinite(err)
    except OverflowError:  # exact weights beyond the float range
        finite = False
    if not finite:
        if not found.exact:  # pragma: no cover - the plan refuses such float runs
            raise ValueError("float mode cannot compute the cells' maps (values beyond the float64 range)")
        gid = np.zeros(C, dtype=np.int64)  # one group: every map compared exactly
    else:
        gid, tol, rel = groups if groups is not None else map_groups(F, err, found.exact)
    if bar is not None:
        bar.update(1)
    S = np.flatnonzero(np.bincount(gid)[gid] >= 2)
    if len(S) == 0:
        return np.arange(C, dtype=np.int64)
    if not found.exact and found.thin:  # cells cut below float64 resolution have no float facets
        _warn_thin(found.thin)
    hrep_exact = found.exact and "exact_dom" in found.cache  # (exact facets and maps: hrep_exact_facets)
    if found.exact and found.vert_codes is None and not hrep_exact:
        # the candidates' exact maps (numerators over one common denominator): exact groups
        # (the rational pass: its facets cost more than the maps, so the groups shrink first)
        N = cell_affine(found.stages, found.patterns[S], d, exact=True).map_numerators().reshape(len(S), -1)
        keys: dict = {}
        rows = zip(gid[S].tolist(), N.tolist())
        sub = np.array([keys.setdefault((g, tuple(row)), len(keys)) for g, row in rows], dtype=np.int64)
        gid = np.full(C, -1, dtype=np.int64)
        gid[S] = sub
        S = S[np.bincount(sub)[sub] >= 2]
        if len(S) == 0:
            return np.arange(C, dtype=np.int64)
    fill = found.cache.pop("vertices_of", None)
    tight_of = found.cache.pop("tight_of", None)
    e = None
    if hrep_exact:  # an exact H-representation run: facets between cells of one map, exactly
        e = exact_hrep_edges(found, S, gid)
    if tight_of is not None:  # a streamed float run kept its tight ids: those of S first
        tight_of(found, S)
        e = tight_edges(found, S)
    if e is None and fill is not None:  # a streamed run or Dask tasks kept the vertex lists: of S
        fill(found, S)
    if found.vert_codes is not None:
        e = _code_edges(found, S)
    elif e is None and tight_of is None and "exact_dom" not in found.cache:
        # (None with thin cells: their facets from the coordinates)
        e = tight_edges(found, S)
    if e is None:
        joins = None
        if not found.exact:
            def joins(i: np.ndarray, j: np.ndarray) -> np.ndarray:  # pairs the merge joins as neighbours
                return (gid[i] == gid[j]) & (np.abs(F[i] - F[j]).max(axis=1) <= tol)
        out = _facets_of(found, S, gid, joins)
        fc, nbr = out[6], out[3]
        has = nbr >= 0
        e = np.stack([fc[has], nbr[has]], axis=1)
    e = e[gid[e[:, 0]] == gid[e[:, 1]]]
    if found.exact:
        same = np.ones(len(e), dtype=bool) if found.vert_codes is None else _exact_same(found, e)
    else:
        diff = np.abs(F[e[:, 0]] - F[e[:, 1]]).max(axis=1) if len(e) else np.zeros(0)
        same = diff <= tol
        # merged pairs that are neither equal to the requested resolution nor within rounding
        _warn_merged(int((same & (diff > min(rel, 2 * err))).sum()))
    return merge_linear(C, e, same)


def _exact_same(found: FoundCells, e: np.ndarray) -> np.ndarray:
    """Which neighbouring cells ``e (E, 2)`` have one exact map: shown without arithmetic where
    the cells differ in one unit that no path leads from to an output there
    (:func:`~tropnet.regions.map_groups.silent_units`), else by the two cells' exact maps (the
    integer walk, on those cells only)."""
    P = found.patterns
    diff = P[e[:, 0]] != P[e[:, 1]]
    one = diff.sum(axis=1) == 1
    same = np.zeros(len(e), dtype=bool)
    same[one] = silent_units(found.stages, P, e[one, 0], np.argmax(diff[one], axis=1))
    rest = np.flatnonzero(~same)
    if len(rest):
        cells, inv = np.unique(e[rest], return_inverse=True)
        inv = inv.reshape(-1, 2)
        N = cell_affine(found.stages, P[cells], found.d, exact=True).map_numerators()
        N = N.reshape(len(cells), -1)
        same[rest] = (N[inv[:, 0]] == N[inv[:, 1]]).all(axis=1)
    return same


def _warn_merged(count: int) -> None:
    if count:
        import warnings

        from ..kernels.certify import AmbiguousGeometryWarning

        warnings.warn(
            f"float mode merged {count} neighbouring cell pair{'s' if count != 1 else ''} whose affine maps "
            "agree to its tolerance (1e-09 times the largest map entry) but differ by more than rounding "
            "can explain: those linear regions may have been merged wrongly; use exact=True for a certified "
            "answer",
            AmbiguousGeometryWarning,
            stacklevel=4,
        )


def _warn_thin(count: int) -> None:
    import warnings

    from ..kernels.certify import AmbiguousGeometryWarning

    warnings.warn(
        f"float mode cut {count} cell{'s' if count != 1 else ''} by hyperplanes closer than float64 resolves "
        "(decided by the exact sign): the slivers have no float facets, so a merge of linear regions across "
        "them may be missed; use exact=True for a certified answer",
        AmbiguousGeometryWarning,
        stacklevel=4,
    )


def _code_edges(found: FoundCells, cells: np.ndarray) -> np.ndarray:
    """Facet-adjacent pairs ``(c, neighbour)`` of the cells ``cells`` of an exact run with tight
    codes (:func:`~tropnet.regions.neighbours.code_edges`; where a flip finds no cell, or
    several, the run contradicts itself or its facets cannot be read without points: the
    rational pass decides)."""
    e = code_edges(found, cells)
    if e is None:
        raise _Inconsistent
    return e


def _facet_centre(found: FoundCells, c: int, a: np.ndarray, b: Any) -> tuple:
    """A homogeneous point ``(sum of x, sum of t)`` in the relative interior of the facet
    ``a x <= b`` of cell ``c``: the sum of the cell's vertices tight on it."""
    ids = found.vert_ids[found.vert_off[c] : found.vert_off[c + 1]]
    X, t = found.vert_X[ids], found.vert_t[ids]
    slack = X.dot(a) - b * t
    if found.exact:
        tight = np.array([v == 0 for v in slack], dtype=bool)
    else:
        scale = float(np.abs(a).sum() * max(1.0, np.abs(X).max()) + abs(b))
        tight = np.abs(slack) <= 1e-9 * scale
    return X[tight].sum(axis=0), t[tight].sum()


def _code_facets(found: FoundCells) -> dict:
    """Exact facets of certified cells from their tight codes, without any vertex coordinates.

    Every vertex of a certified run is simple, so each constraint tight at one of a cell's
    vertices is a facet of the cell and the facets are exactly the codes met at its vertices
    (artificial bounds of the run, code ``-1``, excepted).  The rows come from the exact affine
    walk (:func:`tropnet.regions.affine.cell_affine`, integers); the float interior points are
    checked strictly inside every facet in exact integer arithmetic, and a cell whose point
    fails gets the exact centroid of its vertices instead.  Cached on ``found``."""
    if "facets" in found.cache:
        return found.cache["facets"]
    st, d, C = found.stages, found.d, len(found)
    ca = cell_affine(st, found.patterns, d, exact=True)
    Rd = found.dom_A.shape[0]
    R = Rd + ca.nrows
    ncols = found.patterns.shape[1]
    unit_row = np.full(max(ncols, 1), -1, dtype=np.int64)
    group_row = np.full(max(ncols, 1), -1, dtype=np.int64)
    is_unit = ca.row_member < 0
    unit_row[ca.row_col[is_unit]] = np.flatnonzero(is_unit)
    first = ca.row_member == 0
    group_row[ca.row_col[first]] = np.flatnonzero(first)
    # one (cell, row) key per tight code of every (cell, vertex) entry
    codes = found.vert_codes.ravel()
    ecell = np.repeat(np.repeat(np.arange(C), np.diff(found.vert_off)), d)
    real = codes != -1
    row = np.full(len(codes), -1, dtype=np.int64)
    dom = codes < -1
    row[dom] = -2 - codes[dom]
    unit = codes >= 0
    col, low = codes[unit] >> 20, codes[unit] & ((1 << 20) - 1)
    row[unit] = Rd + np.where(group_row[col] >= 0, group_row[col] + low, unit_row[col])
    key = ecell[real] * R + row[real]
    ukey, inv = np.unique(key, return_inverse=True)
    fc, fr = ukey // R, ukey % R
    facet_off = np.concatenate([[0], np.cumsum(np.bincount(fc, minlength=C))]).astype(np.int64)
    local = np.full(len(codes), -1, dtype=np.int64)
    local[real] = inv.ravel() - facet_off[ecell[real]]
    # exact rows, as integer homogeneous vectors h with h . (x, 1) <= 0, and as values
    on_dom = fr < Rd
    Hf = np.empty((len(fc), d + 1), dtype=object)
    if on_dom.any():
        Hd = _integer_rows(np.concatenate([found.dom_A, -found.dom_b[:, None]], axis=1))
        Hf[on_dom] = Hd[fr[on_dom]]
    facet_A = np.empty((len(fc), d), dtype=object)
    facet_b = np.empty(len(fc), dtype=object)
    facet_A[on_dom] = found.dom_A[fr[on_dom]]
    facet_b[on_dom] = found.dom_b[fr[on_dom]]
    code = np.where(on_dom, -2, 0).astype(np.int64)
    if (~on_dom).any():
        cu, ru = fc[~on_dom], fr[~on_dom] - Rd
        h, den = ca.numerators(cu, ru)
        Hf[~on_dom] = h
        vals = _divide(h, den[:, None])
        facet_A[~on_dom], facet_b[~on_dom] = vals[:, :d], -vals[:, d]
        code[~on_dom] = ca.flips(cu, ru)
    points = _certified_points(found, Hf, fc, facet_off, facet_A, facet_b, local)
    out = dict(
        ca=ca, facet_off=facet_off, fc=fc, code=code, facet_A=facet_A, facet_b=facet_b,
        vert_facets=local.reshape(-1, d).astype(np.int32), points=points,
    )
    found.cache["facets"] = out
    return out


def _certified_points(found, Hf, fc, facet_off, facet_A, facet_b, local) -> np.ndarray:
    """Exact (``Fraction``) interior points: the float candidates when they lie strictly inside
    every facet (decided exactly: a float is a dyadic rational), else the exact centroid."""
    from .regionset import solve_cell_vertices

    d, C = found.d, len(found)
    P = np.asarray(found.points, dtype=np.float64)
    if not np.isfinite(P).all():
        raise _Inconsistent
    mant, ex = np.frexp(P)
    m = (mant * 2.0**53).astype(np.int64)
    e = ex.astype(np.int64) - 53
    E = int(e.min()) if e.size else 0
    Xi = np.empty(P.shape, dtype=object)
    Xi.ravel()[:] = [int(a) << int(s) for a, s in zip(m.ravel(), (e - E).ravel())]
    scale = 1 << -E if E < 0 else 1
    if E > 0:
        Xi = Xi * (1 << E)
    slack = Hf[:, d] * scale
    for j in range(d):
        slack = slack + Hf[:, j] * Xi[fc, j]
    inside = np.ones(C, dtype=bool)
    np.logical_and.at(inside, fc, (slack < 0).astype(bool))
    points = np.empty((C, d), dtype=object)
    for c in np.flatnonzero(inside):
        points[c] = [Fraction(int(v), scale) for v in Xi[c]]
    for c in np.flatnonzero(~inside):
        lo, hi = found.vert_off[c], found.vert_off[c + 1]
        V = solve_cell_vertices(
            facet_A[facet_off[c] : facet_off[c + 1]], facet_b[facet_off[c] : facet_off[c + 1]],
            local.reshape(-1, d)[lo:hi],
        )
        if len(V) == 0:
            raise _Inconsistent
        points[c] = V.sum(axis=0) / len(V)
    return points


def _hrep_bounded(found: FoundCells) -> np.ndarray:
    """Which cells without a vertex list are bounded (one LP each, see ``hrep_facets``)."""
    return _hrep_facets(found)[2]


def _hrep_facets(found: FoundCells) -> tuple:
    """``hrep_facets`` of the cells of an H-representation run over the domain's rows and the
    unit rows (computed once: boundedness and the geometry both need them)."""
    if "hrep" not in found.cache:
        C, d = len(found), found.d
        Au, bu = maps_and_rows(found.stages, found.patterns, d)[2:4]
        Rd = found.dom_A.shape[0]
        Ad = np.broadcast_to(np.asarray(found.dom_A, dtype=np.float64), (C, Rd, d))
        bd = np.broadcast_to(np.asarray(found.dom_b, dtype=np.float64), (C, Rd))
        found.cache["hrep"] = hrep_facets(np.concatenate([Ad, Au], axis=1), np.concatenate([bd, bu], axis=1),
                                          found.cache.get("ball"))
    return found.cache["hrep"]


def _in_ball(q: np.ndarray, found: FoundCells) -> bool:
    """Whether ``q`` lies in the cross-polytope domain of an H-representation run (``True``
    for other domains: their rows are ``found.dom_A``)."""
    ball = found.cache.get("ball")
    return ball is None or float(np.abs(np.asarray(q, dtype=np.float64) - ball[0]).sum()) <= ball[1]


def _geometry(found: FoundCells) -> tuple:
    """Irredundant halfspaces (CSR), facet neighbours and affine maps of every cell."""
    if found.exact and "exact_dom" in found.cache:  # an exact H-representation run
        return exact_hrep_geometry(found)
    if found.vert_codes is not None:
        cf = _code_facets(found)
        W, cmap = cf["ca"].maps()
        fc, facet_off, facet_A, facet_b, code = (
            cf["fc"], cf["facet_off"], cf["facet_A"], cf["facet_b"], cf["code"]
        )
        nbr = flip_neighbours(found.patterns, fc, code)
        if ((code >= 0) & (nbr < 0)).any():
            # in a certified run every unit facet is crossed by a single unit: its neighbour must
            # be the cell with that unit flipped
            raise _Inconsistent
        return facet_off, facet_A, facet_b, nbr, W, cmap, fc
    return _facets_of(found, np.arange(len(found)))


def _facets_of(found: FoundCells, cells: np.ndarray, groups: np.ndarray | None = None,
               joins: Any = None) -> tuple:
    """:func:`_geometry` of the cells ``cells`` (indices into ``found``; found without tight
    codes): ``(facet_off, facet_A, facet_b, nbr, W, cmap, fc)`` with ``facet_off`` over
    ``cells``, ``fc`` and ``nbr`` indices into ``found``.  Every decision is the one the run over
    all cells makes (the same rows, the same vertex pool and scale).  ``groups`` (the merge's
    group of every cell): H-representation cells then test by LP only the unit rows across which
    a cell of their own group may lie (the one-unit flip is one, or no cell), so facets towards
    other groups may be missing.  ``joins(i, j)`` (float runs; whether the merge joins cells ``i``
    and ``j`` when they are neighbours): the LPs only for rows with such a cell among the possible
    neighbours across, unless a point shows it across
    (:func:`~tropnet.regions.hrep_adjacency.certified_neighbours`)."""
    st, d, exact = found.stages, found.d, found.exact
    hrep = len(found) > 0 and len(found.vert_ids) == 0  # H-representation engine: no vertices
    C, n = len(found), len(cells)
    pats = found.patterns
    Rd = found.dom_A.shape[0]
    H_all = ca = None
    if exact and not hrep:
        # the rows as integer vectors (the exact walk's numerators): the facets' zero tests need
        # no fractions, and only the facets' rows are divided out
        ca = cell_affine(st, pats[cells], d, exact=True)
        W, cmap = ca.maps()
        Ru = ca.nrows
        rc, rr = np.repeat(np.arange(n), Ru), np.tile(np.arange(Ru), n)
        flip = ca.flips(rc, rr).reshape(n, Ru)
        Hd = _integer_rows(np.concatenate([found.dom_A, -found.dom_b[:, None]], axis=1)) if Rd else None
        Hu = ca.numerators(rc, rr)[0].reshape(n, Ru, d + 1)
        H_all = Hu if not Rd else np.concatenate([np.broadcast_to(Hd[None], (n, Rd, d + 1)), Hu], axis=1)
        A_all = b_all = None
    else:
        W, cmap, Au, bu, flip = maps_and_rows(st, pats[cells], d, exact=exact)
        Ad = np.broadcast_to(found.dom_A[None, :, :], (n, Rd, d))
        bd = np.broadcast_to(found.dom_b[None, :], (n, Rd))
        A_all = np.concatenate([Ad, Au], axis=1)
        b_all = np.concatenate([bd, bu], axis=1)
    fl_all = np.concatenate([np.full((n, Rd), -2, dtype=np.int64), flip], axis=1)
    shown = None  # (n, R): the cell across a facet a point certified, else -1
    if hrep:
        if "hrep" in found.cache or (n == C and groups is None and joins is None):
            facet, coinc = (a[cells] for a in _hrep_facets(found)[:2])
        else:
            test = None
            if joins is not None and not exact:
                test, (sl, sr, sc) = certified_neighbours(A_all, b_all, fl_all, cells, pats, found.points,
                                                          joins, found.cache.get("ball"))
                shown = np.full(b_all.shape, -1, dtype=np.int64)
                shown[sl, sr] = sc
            elif groups is not None:
                R = b_all.shape[1]
                code = fl_all.reshape(-1)
                across = flip_neighbours(pats, np.repeat(cells, R), code).reshape(n, R)
                same = groups[np.maximum(across, 0)] == groups[cells][:, None]
                test = (fl_all >= 0) & ((across < 0) | same)
            facet, coinc, _ = hrep_facets(A_all, b_all, found.cache.get("ball"), test)
            if shown is not None:  # facets a point certified, with the cell across
                facet |= shown >= 0
        centre: dict = {}
    else:
        counts = np.diff(found.vert_off)[cells]
        sub_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        entry = np.repeat(found.vert_off[cells] - sub_off[:-1], counts) + np.arange(sub_off[-1])
        facet, coinc, centre = cell_facets(
            A_all, b_all, sub_off, found.vert_ids[entry], found.vert_X, found.vert_t, d, exact=exact, H=H_all
        )
    fl, fr = np.nonzero(facet)
    fc = cells[fl]
    facet_off = np.concatenate([[0], np.cumsum(np.bincount(fl, minlength=n))]).astype(np.int64)
    if ca is None:
        facet_A = A_all[fl, fr]
        facet_b = b_all[fl, fr]
    else:  # the facets' values: the domain's rows, the unit rows divided out
        facet_A = np.empty((len(fl), d), dtype=object)
        facet_b = np.empty(len(fl), dtype=object)
        on_dom = fr < Rd
        facet_A[on_dom] = found.dom_A[fr[on_dom]]
        facet_b[on_dom] = found.dom_b[fr[on_dom]]
        if (~on_dom).any():
            facet_A[~on_dom], facet_b[~on_dom] = ca.rows(fl[~on_dom], fr[~on_dom] - Rd)
    code = fl_all[fl, fr]
    # neighbours by flipping the pattern entry of the facet's unit
    nbr = flip_neighbours(pats, fc, code, simple=~coinc[fl, fr])
    if shown is not None:
        nbr = np.where(shown[fl, fr] >= 0, shown[fl, fr], nbr)
    # facets where the one-unit flip found nothing: several units vanish on them (coincident
    # hyperplanes, possibly of different layers), or the facet lies on the domain's boundary.
    # Read the pattern just across the facet's centre.  In exact mode this also certifies
    # completeness: a point across a facet, inside the domain, whose pattern is not a reported
    # cell would prove a missed cell, and raises instead of returning a wrong answer.
    missing = np.nonzero((code >= 0) & (nbr < 0))[0]
    rows, owners, P = [], [], []
    for j in missing:
        lc, r = int(fl[j]), int(fr[j])
        c = int(cells[lc])
        if hrep:
            y = facet_point(A_all[lc], b_all[lc], r, found.cache.get("ball"))
            if y is None:
                continue
            sx, stt = y, 1.0
        else:
            sx, stt = centre.get((lc, r)) or _facet_centre(found, c, facet_A[j], facet_b[j])
        if stt == 0:
            continue  # a facet at infinity
        rows.append(j)
        owners.append(c)
        P.append(sx / stt)
    if rows:
        ball = (lambda q: _in_ball(q, found)) if found.cache.get("ball") is not None else None
        hits = cells_across(found, np.array(owners, dtype=np.int64), P, ball)
        rows = np.array(rows, dtype=np.int64)
        nbr[rows[hits >= 0]] = hits[hits >= 0]
    return facet_off, facet_A, facet_b, nbr, W, cmap, fc
