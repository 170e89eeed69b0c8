"""Exact activation counts in two input dimensions, the last hidden layer counted, not cut.

Inside a convex polygon, ``k`` lines that each cross its interior, none through a vertex, no
two meeting on the boundary and no three through one point, make ``1 + k + I`` regions, where
``I`` is the number of pairs meeting inside; two chords of a convex polygon meet inside iff
their endpoints alternate around the boundary.  So the last layer needs no polygons: the
certified engine (:mod:`tropnet.regions.refine`) runs up to it, and for each of its cells the
signs of the last units at the vertices, taken in cyclic order, give each chord's two boundary
edges, and the interpolation parameters order chords that share an edge.  Every sign and every
comparison is certified by a rigorous error bound (the engine's own bounds on the
pre-activations, interval arithmetic for the parameters); three chords that pairwise meet are
checked not to be concurrent in exact integer arithmetic.  Whatever cannot be certified
returns ``None``, and the caller runs the engine through the last layer instead.

>>> import tropnet
>>> count_last_layer_2d(tropnet.random_mlp([2, 8, 8, 1], seed=0), tropnet.Box(-10, 10))
105
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._limits import progress_bar
from ..kernels.certify import SAFETY, UNIT_ROUNDOFF
from .cells import RegionLimitError, check_passed
from .exactness import _fmpq, _forward_with_error, _Uncertain
from .program import stages_from_network
from .refine import _engine, refine_advance, refine_start
from .vertex_bounds import vertex_bounds

__all__ = ["count_last_layer_2d"]


def count_last_layer_2d(
    net: Any, domain: Any, *, max_regions: int | None = None, limits: Any = None,
    progress: bool | None = False, stats: dict | None = None,
) -> int | None:
    """The exact number of activation cells of a two-input network on a box, or ``None`` when
    the shortcut does not apply or cannot certify a decision (see the module docstring).
    ``limits`` (:class:`tropnet._limits.Limits`: seconds, bytes of the engine's arrays) are
    checked before every unit and before the counting step; the first one passed raises
    :class:`~tropnet.regions.cells.RegionLimitError`.  ``progress``: a bar over the units.
    ``stats``: when it has the key ``"last_layer"``, a counted run sets it to the root polygons
    with rigorous bounds (:func:`_roots`), which :func:`tropnet.regions.planar_linear.no_shared_maps`
    reads for an exact linear count.

    >>> import tropnet
    >>> count_last_layer_2d(tropnet.random_mlp([2, 4, 1], seed=1), tropnet.Box(-100, 100))
    11
    """
    from ..geometry.domains import Box

    if net.input_dim != 2 or not isinstance(domain, Box):
        return None
    # a float network's weights are dyadic rationals already: its float program is exact input;
    # a slice's network has an exact first layer before its float ones: each kept as stored
    # (the float64 rounding of the exact layer would be another network)
    stages = stages_from_network(net, exact=bool(net.exact), stored=True)
    if any(st.lossy for st in stages):
        stages = stages_from_network(net, exact=True)
    acts = [i for i, st in enumerate(stages) if st.kind != "affine"]
    if not acts or stages[acts[-1]].kind not in ("threshold", "leaky"):
        return None
    lo, hi = domain.exact_bounds(2)
    lo = np.array([Fraction(v) for v in lo], dtype=object)
    hi = np.array([Fraction(v) for v in hi], dtype=object)
    problem, state = refine_start(stages, 2, lo, hi, exact=True, certify=True, max_cells=max_regions)
    if not problem.certify:
        return None  # not every input is a float
    problem.limits = limits
    bar = progress_bar(problem.n_steps, progress, "regions", "unit")
    try:
        refine_advance(problem, state, stop_stage=acts[-1], bar=bar)
        if state.si != acts[-1]:
            return None
        if state.deferred:  # cells set aside by the certified pass: the engine decides them
            return None
        if limits is not None:
            # the counting step holds about (entries x units of the last layer) values and bounds
            m = len(problem.stages[acts[-1]].idx)
            check_passed(limits, state.ncells, state.nbytes + 64 * state.entries * max(m, 1))
        want_roots = stats is not None and "last_layer" in stats
        total = _count(problem, state, stages, want_roots) if state.ncells else 0
        if want_roots and state.ncells:
            total, stats["last_layer"] = total
    except _Uncertain:
        return None
    finally:
        if bar is not None:
            bar.close()
    if max_regions is not None and total > max_regions:
        raise RegionLimitError(f"more than max_regions={max_regions} regions ({total})", "max_regions",
                               {"cells": total})
    return total


def _count(problem, state, exact_stages, roots: bool = False):
    pool, si = state.pool, state.si
    st = problem.stages[si]
    pool.compact()
    C = pool.ncells
    off, ids = pool.off, pool.ids
    counts = np.diff(off)
    ecell = pool.entry_cell()
    # cyclic vertex order, combinatorially: consecutive vertices share one of their two tight
    # constraints (an edge), and each constraint of a cell is tight at exactly two of its vertices
    T = pool.T[ids]
    valid = _engine(problem, state)._valid(T, ecell)
    if not (valid.sum(axis=1) == 2).all():
        raise _Uncertain
    tid = T[valid].reshape(-1, 2).astype(np.int64)
    order = _cycle_order(tid, ecell, off, counts)
    tid = tid[order]
    nxt = np.arange(len(order)) + 1
    nxt[off[1:] - 1] = off[:-1]  # the last vertex of a cell is followed by its first
    # the last layer's values at the ordered vertices, with the engine's rigorous bounds
    Z, ez = _forward_with_error(problem.stages[:si], pool.X, pool.E[:, 0])
    level = st.param if st.kind == "threshold" else 0
    vid = ids[order]
    Sv = Z[:, st.idx] - level  # (V, m)
    Ev = SAFETY * (ez[:, None] + UNIT_ROUNDOFF * np.abs(Sv))
    # values within their bound of zero are decided from exact values (a few at most)
    done = (np.abs(Sv) <= Ev) & _used(len(Sv), ids)[:, None]
    if done.any():
        _exact_values(problem, exact_stages, si, pool, ids, ecell, Sv, Ev, done)
    S, E = Sv[vid], Ev[vid]  # (nnz, m), by entry in cyclic order
    if (np.abs(S) <= E).any():
        raise _Uncertain
    pos = S > 0
    change = pos != pos[nxt]  # (nnz, m): the unit's line crosses the edge (vertex, next vertex)
    e, u = np.nonzero(change)
    va, vb = vid[e], vid[nxt[e]]
    t_lo, t_hi = _crossing_interval(Sv, Ev, va, vb, u)
    # endpoints on one edge must be ordered with certainty: where the bounds leave two open,
    # their values at both ends are made exact (the signs stay: they were certain) and again
    for _ in range(4):
        o = np.lexsort(((t_lo + t_hi) / 2, e))
        clash = (e[o][1:] == e[o][:-1]) & (t_hi[o][:-1] >= t_lo[o][1:])
        if not clash.any():
            break
        ck = np.concatenate([o[:-1][clash], o[1:][clash]])  # the crossings to decide exactly
        need = np.zeros(Sv.shape, dtype=bool)
        need[va[ck], u[ck]] = need[vb[ck], u[ck]] = True
        need &= ~done
        if not need.any():
            raise _Uncertain  # exact values, and still not ordered: two crossings (nearly) at one point
        _exact_values(problem, exact_stages, si, pool, ids, ecell, Sv, Ev, need)
        done |= need
        redo = np.flatnonzero(need[va, u] | need[vb, u])
        t_lo[redo], t_hi[redo] = _crossing_interval(Sv, Ev, va[redo], vb[redo], u[redo])
    else:
        raise _Uncertain
    k_cross = np.add.reduceat(change, off[:-1], axis=0) // 2  # 2 changes per crossing line
    crossing = k_cross > 0
    cell_e = ecell[order][e]
    local = e - off[cell_e]  # edge index within the cell's cycle
    position = local + (t_lo + t_hi) / 4  # in (edge, edge + 1/2): orders the endpoints
    # chords: the two endpoints of each (cell, unit)
    key = cell_e * S.shape[1] + u
    o = np.argsort(key, kind="stable")
    key, position = key[o], position[o]
    p1, p2 = position[0::2], position[1::2]
    ccell, cunit = key[0::2] // S.shape[1], key[0::2] % S.shape[1]
    lo_p, hi_p = np.minimum(p1, p2), np.maximum(p1, p2)
    # chords of each cell in padded rows; i, j meet inside iff exactly one endpoint of j lies
    # strictly between those of i (all positions are distinct, certified above)
    n_ch = np.bincount(ccell, minlength=C)
    kmax = int(n_ch.max()) if len(n_ch) else 0
    slot = np.arange(len(ccell)) - np.repeat(np.cumsum(n_ch) - n_ch, n_ch)
    A1 = np.full((C, max(kmax, 1)), np.nan)
    A2 = np.full((C, max(kmax, 1)), np.nan)
    A1[ccell, slot], A2[ccell, slot] = lo_p, hi_p
    x = (A1[:, :, None] < A1[:, None, :]) & (A1[:, None, :] < A2[:, :, None])
    x &= A2[:, :, None] < A2[:, None, :]
    inside = int(x.sum())
    # three chords that pairwise meet could meet in one point: decide those exactly
    meet = (x | np.swapaxes(x, 1, 2)).astype(np.float64)
    tri = np.einsum("cij,cjk,cki->c", meet, meet, meet)
    triples = []
    units = np.full((C, max(kmax, 1)), -1, dtype=np.int64)
    units[ccell, slot] = cunit
    for c in np.flatnonzero(tri > 0):
        mc = meet[c] > 0
        i, j, k = np.nonzero(mc[:, :, None] & mc[:, None, :] & mc[None, :, :])
        keep = (i < j) & (j < k)
        triples.append((int(c), units[c][i[keep]], units[c][j[keep]], units[c][k[keep]]))
    triples = _not_concurrent_by_values(triples, Sv, Ev, vid, off)
    if triples:
        _check_not_concurrent(triples, exact_stages, si, pool.pat.astype(np.int32), exact_stages[si])
    total = int(C + crossing.sum() + inside)
    if roots:
        return total, _roots(problem, exact_stages, si, pool, vid, off, tid, Sv, Ev)
    return total


def _used(V: int, ids: np.ndarray) -> np.ndarray:
    used = np.zeros(V, dtype=bool)
    used[ids] = True
    return used


def _crossing_interval(Sv, Ev, va, vb, u) -> tuple[np.ndarray, np.ndarray]:
    """``[t_lo, t_hi]`` around the parameter ``t = s_a / (s_a - s_b)`` at which unit ``u``'s
    line crosses the edge from vertex ``va`` to ``vb`` (values ``Sv``, of opposite signs, within
    ``Ev`` of the exact ones); :class:`_Uncertain` where a bound reaches zero."""
    s0, s1, e0, e1 = Sv[va, u], Sv[vb, u], Ev[va, u], Ev[vb, u]
    # widen the bounds for the rounding of the sums and quotients below (a few ulps each)
    e0 = e0 * (1 + 1e-9) + 8 * UNIT_ROUNDOFF * np.abs(s0)
    e1 = e1 * (1 + 1e-9) + 8 * UNIT_ROUNDOFF * np.abs(s1)
    if (np.abs(s0) <= e0).any() or (np.abs(s1) <= e1).any():
        raise _Uncertain
    num_lo, num_hi = np.abs(s0) - e0, np.abs(s0) + e0
    den_lo = np.abs(s0) + np.abs(s1) - e0 - e1
    den_hi = np.abs(s0) + np.abs(s1) + e0 + e1
    widen = 1 + 8 * UNIT_ROUNDOFF
    return num_lo / den_hi / widen, num_hi / den_lo * widen


#: at most this many vertices have a last-layer value decided exactly (else the engine cuts it)
EXACT_VERTICES = 64


def _certificate(problem, exact_stages):
    """The exact vertices and values of a certified run (once per run: its FLINT matrices)."""
    from .ties import TieCertificate

    if getattr(problem, "_ties", None) is None:
        _, lo, hi, halfspaces = problem.exact_input
        clipA, clipb = (None, None) if halfspaces is None else halfspaces
        problem._ties = TieCertificate(exact_stages, problem.prog, problem.d, lo, hi, clipA, clipb)
    return problem._ties


def _exact_values(problem, exact_stages, si, pool, ids, ecell, Sv, Ev, need) -> None:
    """The last-layer values ``need`` (vertex, unit) marks (within their bound of zero, or on
    an edge whose crossings the bounds do not order) at the exact vertex, in place: the vertex
    solved from its two tight constraints
    in rationals on one of its cells (:class:`~tropnet.regions.ties.TieCertificate`), the value
    rounded to float64 and its bound set to that rounding.  The engine's bounds compound cut
    after cut (up to 1e-5 in the coordinates of a ``[784, 256, 256, 10]`` plane, whose real
    rounding is ~1e-19), so a few values of a large run fall inside them.  Raises
    :class:`_Uncertain` (the engine cuts the last layer instead) for more than
    :data:`EXACT_VERTICES` vertices, an exact zero, or a vertex its ids do not determine."""
    verts, cols = np.nonzero(need & _used(len(Sv), ids)[:, None])
    if not len(verts):
        return
    if len(np.unique(verts)) > EXACT_VERTICES:
        raise _Uncertain
    ties = _certificate(problem, exact_stages)
    first = np.full(len(Sv), -1, dtype=np.int64)  # an entry of each vertex: a cell around it
    first[ids[::-1]] = np.arange(len(ids))[::-1]
    st = problem.stages[si]
    level = exact_stages[si].param if st.kind == "threshold" else 0
    cells = ecell[first[verts]]
    T = pool.T[verts]
    pats = pool.pat[cells]
    for j in np.unique(cols):
        at = cols == j
        vals = ties.values(T[at], pats[at], ("unit", si, int(st.idx[j]), level))
        for v, val in zip(verts[at], vals):
            if val is None or val == 0:
                raise _Uncertain
            if abs(Sv[v, j]) > Ev[v, j] and (Sv[v, j] > 0) != (val > 0):
                raise _Uncertain  # a certified sign the exact value contradicts (never expected)
            f = float(val)  # to nearest: within 2^-53 |f| of val
            Sv[v, j] = f
            Ev[v, j] = SAFETY * 2.0**-52 * abs(f)


def _cycle_order(tid: np.ndarray, ecell: np.ndarray, off: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The entries of every cell in cyclic order around it (a permutation of the entries, cells
    kept in place), walking from vertex to vertex through their shared tight constraints;
    raises :class:`_Uncertain` unless every constraint of a cell is tight at exactly two of its
    vertices and the walk closes after visiting them all.

    >>> tid = np.array([[0, 1], [2, 3], [1, 2], [0, 3]])  # a square: 0-1, 1-2, 2-3, 3-0 by sides
    >>> _cycle_order(tid, np.zeros(4, dtype=np.int64), np.array([0, 4]), np.array([4])).tolist()
    [0, 2, 1, 3]
    """
    nnz = len(tid)
    nid = int(tid.max(initial=0)) + 1
    flat = (ecell[:, None] * nid + tid).ravel()  # (cell, constraint) of slot 2 e + k
    o = np.argsort(flat, kind="stable")
    fs = flat[o]
    if len(fs) % 2 or not (fs[0::2] == fs[1::2]).all() or (fs[2::2] == fs[1:-1:2]).any():
        raise _Uncertain  # a constraint tight at one vertex of a cell, or at three
    partner = np.empty(len(flat), dtype=np.int64)
    partner[o[0::2]], partner[o[1::2]] = o[1::2], o[0::2]
    order = np.empty(nnz, dtype=np.int64)
    first = off[:-1]
    order[first] = first
    leave = 2 * first + 1  # each walk leaves its cell's first entry through its second constraint
    for step in range(1, int(counts.max(initial=0))):
        live = np.flatnonzero(counts > step)
        arrive = partner[leave[live]]
        order[first[live] + step] = arrive // 2
        leave[live] = arrive ^ 1  # out through the entry's other constraint
    if not (partner[leave] // 2 == first).all() or not (np.bincount(order, minlength=nnz) == 1).all():
        raise _Uncertain  # the walk does not close on the cell's vertices
    return order


def _roots(problem, exact_stages, si, pool, vid, off, tid, Sv, Ev) -> dict:
    """The root polygons (the cells before the last layer) for
    :func:`~tropnet.regions.planar_linear.no_shared_maps` in exact mode: float64 vertex
    coordinates ``coords``, each polygon's vertex ids in counter-clockwise order (``rows``
    padded, ``cnt``), the last layer's values ``s`` (``z - level``) and signs ``on`` at the
    vertices, and ``Ev`` (per vertex): a rigorous bound on ``|s - Z_P(x)|`` (every unit) for
    every root polygon ``P`` at every vertex ``x`` of ``P`` *as given in* ``coords`` (the exact
    vertex is within ``dx`` of it, and every cell's map moves by at most its slopes times that),
    so that the float coordinates can be taken as exact points; ``tight`` (the two constraint
    ids of each vertex) and ``ndomain`` (ids below it are the domain's sides) say which edges
    lie on the domain's boundary; ``stages``: the (float) program the engine ran, ``pat``,
    ``ncols`` and ``exact_stages``: the polygons' patterns (their first ``ncols`` columns) and
    the exact program, for their exact maps.

    The engine keeps a copy of a vertex per cell; one vertex here is one key (its two tight
    constraints, the pattern of its cells without their columns): the cells around a vertex of
    two crossing lines differ only there, and two lines meet once in a cell, whose pattern
    is unique."""
    from .affine import _abs_walk

    prog = problem.prog
    nd = 2 * problem.d + problem.nclip
    col = np.full(max(prog.unit_ranges[-1][0] + prog.unit_ranges[-1][2], nd) if prog.unit_ranges else nd, -1,
                  dtype=np.int64)
    for first, c0, m in prog.unit_ranges:
        col[first : first + m] = c0 + np.arange(m)
    cnt = np.diff(off)
    C = len(cnt)
    ecell = np.repeat(np.arange(C), cnt)
    pats = pool.pat[ecell] != 0  # (nnz, ncols)
    for k in range(2):
        c = col[tid[:, k]]
        has = np.flatnonzero(c >= 0)
        pats[has, c[has]] = False
    key = np.concatenate([tid.astype(np.int64).view(np.uint8).reshape(len(tid), -1),
                          np.packbits(pats, axis=1)], axis=1)
    key = np.ascontiguousarray(key).view(np.dtype((np.void, key.shape[1]))).ravel()
    _, first, canon = np.unique(key, return_index=True, return_inverse=True)
    rep = vid[first]  # one engine vertex per vertex
    u64 = 2.0**-53
    X = pool.X[rep]
    coords = X.astype(np.float64)
    # |coords - exact vertex|_inf: the engine's bound and the rounding to float64
    dx = (pool.E[rep, 0] + 2 * u64 * np.abs(X).max(axis=1)).astype(np.float64) * (1 + 1e-9)
    S = Sv[rep]
    s = S.astype(np.float64)
    es = ((Ev[rep] + 2 * u64 * np.abs(S)).max(axis=1)).astype(np.float64) * (1 + 1e-9)  # |s - exact|
    J, _ = _abs_walk(problem.stages[:si], 2)
    lip = 2 * float(J[problem.stages[si].idx, :2].sum(axis=1).max(initial=0.0))  # max-norm slopes, room
    rows = np.zeros((C, int(cnt.max(initial=1))), dtype=np.int64)
    rows[ecell, np.arange(len(vid)) - off[ecell]] = canon.ravel()
    rows = _counter_clockwise(rows, cnt, coords)
    Ev = es + lip * dx
    # the engine's bounds compound cut after cut: where the vertex's two tight constraints bound
    # its distance to the exact vertex better, that bound and the values on one of its cells
    # (any cell's values are within lip * dx of the exact vertex's: 2 lip dx to another cell's)
    got = vertex_bounds(problem, si, pool.pat[ecell[first]], tid[first], coords)
    if got is not None:
        dx_a, s_a, es_a = got
        Ev_a = es_a + 2 * lip * dx_a
        better = Ev_a < Ev
        s[better], dx[better], Ev[better] = s_a[better], dx_a[better], Ev_a[better]
    # the few vertices whose bounds are still too loose for the certificate (which asks
    # |s| > 2 Ev): exact coordinates and values, rounded
    bad = np.flatnonzero(~(np.abs(s) > 2 * Ev[:, None]).all(axis=1))
    if 0 < len(bad) <= EXACT_VERTICES:
        ties = _certificate(problem, exact_stages)
        st = exact_stages[si]
        level = _fmpq(st.param if st.kind == "threshold" else 0)
        for k in bad:
            got = ties.vertex(pool.T[rep[k]], pool.pat[ecell[first[k]]], si)
            if got is None:
                continue
            x, M, c = got
            vals = [c[u] - level + sum((M[u, j] * x[j] for j in range(len(x))), 0) for u in st.idx]
            coords[k] = [float(v) for v in x]  # each to nearest: within 2^-53 of its magnitude
            dx[k] = 2.0**-52 * float(np.abs(coords[k]).max()) + 1e-300
            s[k] = [float(v) for v in vals]
            Ev[k] = 2.0**-52 * float(np.abs(s[k]).max()) + 1e-300 + lip * dx[k]
    return {"exact": True, "stages": problem.stages, "coords": coords, "rows": rows, "cnt": cnt, "s": s,
            "on": s > 0, "Ev": Ev, "dx": dx, "tight": tid[first], "ndomain": nd,
            "pat": pool.pat, "ncols": prog.col_base[si], "exact_stages": exact_stages,
            # each vertex's tight ids and one cell around it, for an exact check of the bounds
            "problem": problem, "si": si, "vertex_T": pool.T[rep], "vertex_cell": ecell[first]}


def _counter_clockwise(rows: np.ndarray, cnt: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """The polygons' rows of vertex ids counter-clockwise (a walk around a cell goes either way;
    by the sign of the shoelace area) and
    padded by their first id, as the polygon engine keeps them (its readers take the slots
    around a row, and any slot of it, as the polygon's vertices).

    >>> xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> _counter_clockwise(np.array([[0, 2, 1, 0], [0, 1, 2, 0]]), np.array([3, 3]), xy).tolist()
    [[1, 2, 0, 1], [0, 1, 2, 0]]
    """
    C, m = rows.shape
    valid = np.arange(m)[None, :] < cnt[:, None]
    rows = np.where(valid, rows, rows[:, :1])
    nxt = np.concatenate([rows[:, 1:], rows[:, :1]], axis=1)  # (the padding's successor: itself)
    x, y = coords[rows, 0], coords[rows, 1]
    area = (x * coords[nxt, 1] - coords[nxt, 0] * y).sum(axis=1)
    cw = np.flatnonzero(area < 0)
    if len(cw):  # reversed: the last vertex first, padded again
        k = cnt[cw][:, None] - 1 - np.arange(m)[None, :]
        rev = np.take_along_axis(rows[cw], np.maximum(k, 0), axis=1)
        rows[cw] = np.where(k >= 0, rev, rev[:, :1])
    return rows


def _not_concurrent_by_values(triples, Sv, Ev, vid, off) -> list:
    """The triples of lines (units, on their cell) whose non-concurrency the values at three of
    the cell's vertices do not already prove: on the cell each unit is affine, ``z = g x + h``,
    so the 3 x 3 matrix ``Z`` of three units' exact values at three exact vertices is
    ``[g h] [V; 1]`` and a nonzero ``det Z`` makes ``det [g h]`` nonzero (no common point).  The
    values are within ``Ev`` of the exact ones: ``det Z`` is bounded away from zero by the
    permanents of ``|Z| + Ev`` and ``|Z|`` (and the rounding of the determinant itself).

    >>> Sv = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, -1.0]])  # 3 vertices, 3 units
    >>> tri = [(0, np.array([0]), np.array([1]), np.array([2]))]
    >>> _not_concurrent_by_values(tri, Sv, np.full((3, 3), 1e-9), np.arange(3), np.array([0, 3]))
    []
    >>> Sv[:, 2] = Sv[:, 0] + Sv[:, 1]  # the third unit the sum of the others: through their point
    >>> len(_not_concurrent_by_values(tri, Sv, np.full((3, 3), 1e-9), np.arange(3), np.array([0, 3])))
    1
    """
    out = []
    for c, i, j, k in triples:
        n = off[c + 1] - off[c]
        v = vid[off[c] + np.array([0, n // 3, (2 * n) // 3])]  # three vertices around the cell
        Sc, Ec = Sv[v], Ev[v]  # (3 vertices, m)
        Z = np.stack([Sc[:, i], Sc[:, j], Sc[:, k]]).astype(np.float64)  # (3 units, 3 vertices, triples)
        E = np.stack([Ec[:, i], Ec[:, j], Ec[:, k]]).astype(np.float64)
        A = np.abs(Z)
        B = A + E * (1 + 1e-9) + 2.0**-52 * A  # |exact value| <= B (and the rounding to float64)
        det = _det3(Z)
        slack = _perm3(B) - _perm3(A) + 16 * 2.0**-53 * _perm3(A)  # rounding: a few ulps of each term
        keep = ~(np.abs(det) > slack * (1 + 1e-6))
        if keep.any():
            out.append((c, i[keep], j[keep], k[keep]))
    return out


def _det3(Z):
    return (Z[0, 0] * (Z[1, 1] * Z[2, 2] - Z[1, 2] * Z[2, 1])
            - Z[0, 1] * (Z[1, 0] * Z[2, 2] - Z[1, 2] * Z[2, 0])
            + Z[0, 2] * (Z[1, 0] * Z[2, 1] - Z[1, 1] * Z[2, 0]))


def _perm3(A):
    return (A[0, 0] * (A[1, 1] * A[2, 2] + A[1, 2] * A[2, 1])
            + A[0, 1] * (A[1, 0] * A[2, 2] + A[1, 2] * A[2, 0])
            + A[0, 2] * (A[1, 0] * A[2, 1] + A[1, 1] * A[2, 0]))


def _check_not_concurrent(triples, stages, si, patterns, st) -> None:
    """Exactly: no three of the given lines (units of stage ``si`` on their cell) pass through
    one point (a zero determinant of their integer homogeneous rows)."""
    from .affine import cell_affine

    cells = np.array([t[0] for t in triples])
    ca = cell_affine(stages[:si], patterns[cells], 2, exact=True)
    J = ca.map_numerators()  # (n, width, 3) over ca.D
    lv = Fraction(st.param if st.kind == "threshold" else 0)
    for r, (_, i, j, k) in enumerate(triples):
        rows = J[r][st.idx] * lv.denominator
        rows[:, 2] = rows[:, 2] - lv.numerator * ca.D
        for a, b, c in zip(i, j, k):
            M = [[int(v) for v in rows[a]], [int(v) for v in rows[b]], [int(v) for v in rows[c]]]
            det = (
                M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1])
                - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0])
                + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])
            )
            if det == 0:
                raise _Uncertain
