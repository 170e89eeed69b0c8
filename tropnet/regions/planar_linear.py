"""Linear regions of a 2-D polygon run without the cells' maps: a certificate that no two
neighbouring activation cells carry maps the linear merge would join.

Two cells are in one linear region only through a chain of facet-neighbours with equal maps
(:func:`tropnet.regions.geometry.linear_labels`).  The polygon engine (:mod:`tropnet.regions.planar`)
hands out the *root polygons* (the cells of every activation layer before the last) with the last
layer's pre-activations ``z`` at their vertices; ``z`` is affine on each root polygon (``Z_P``) and
continuous.  Every facet between two cells is of one of two kinds, and the difference of the two
output maps across it is a rank-one product known without any map:

* inside a root polygon ``P``, on the line of a unit ``u`` of the last layer:
  ``(1 - p) Wa[:, u] (x) J_u``, with ``Wa`` the affine stage after the last layer, ``p`` its slope
  when off (a threshold: the constant, slope 0) and ``J_u = Z_P[u]``, whose slope is at least
  ``(s_max - s_min) / |v_max - v_min|_1`` over ``P``'s vertices;
* on an edge ``p q`` shared by root polygons ``A`` and ``B``, where the last layer's pattern ``m``
  is constant on each stretch between the crossings of its lines with the edge:
  ``Wa diag(m~) kappa (x) (n, -n . p)`` (``m~`` the slopes of the pattern, ``n`` the normal
  ``(-t_y, t_x)`` of ``t = q - p``): ``Z_A - Z_B`` vanishes on the edge's line, so it is
  ``kappa <n, x - p>``, and ``kappa = N_A / c_A - N_B / c_B`` comes from one vertex ``a`` of each
  side, ``N_A = z(a) - z(p) - lambda (z(q) - z(p))``, ``lambda = <a - p, t> / |t|^2``,
  ``c_A = t x (a - p)`` (the vertex with the best-conditioned pair, far from the line, chosen).
  This holds for any number of layers before the last.

The float merge joins two neighbours when their computed maps differ by at most
``tol = max(1e-9 max|F|, 2 err)`` (``err`` the walk's rigorous rounding bound,
:func:`tropnet.regions.affine.float_map_error`).  :func:`no_shared_maps` bounds every such
difference from below with the rounding of the engine's values and of its own sums taken
against it, and returns True only when each is above ``tol``'s upper bound plus ``2 err``
(``max|F|`` bounded by :func:`~tropnet.regions.affine.map_magnitude`): then the merge of the
current implementation joins nothing, and the linear regions are the cells.  Anything it
cannot decide (a vertex on a line of the last layer, two crossings at one point, coincident
lines, an edge not shared by exactly two root polygons off the domain's boundary, a polygon too
thin for its values) returns False, and the caller runs the merge.

Exact runs (:func:`tropnet.regions.planar_count.count_last_layer_2d` hands out its root
polygons): the exact merge joins only equal maps, so every difference proved nonzero
certifies; the float vertices and values come with the engine's rigorous bounds, and the
polygons' neighbours are found exactly (see :func:`_exact_ok`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .affine import _abs_walk, float_map_error
from .planar import RELATIVE_TOLERANCE
from .planar_stretches import _U, _compiled, _gamma, _jump, _row_max, _Stretches
from .program import Stage

__all__ = ["no_shared_maps", "certifiable"]

#: an exact run decides at most this many edges from the exact maps of their polygons (thin
#: polygons, whose vertex values are not precise enough); more, and the merge runs
EXACT_MAP_EDGES = 64


def _columns(*cols: np.ndarray) -> np.ndarray:
    """``np.stack(cols, axis=1)`` for a few 1-D arrays (without its per-call overhead)."""
    dt = cols[0].dtype
    if any(c.dtype != dt for c in cols):
        dt = np.result_type(*cols)
    out = np.empty((len(cols[0]), len(cols)), dtype=dt)
    for i, c in enumerate(cols):
        out[:, i] = c
    return out


def _structure(stages: list[Stage]):
    """``(la, Wa)``: the index of the last activation stage, a threshold or leaky stage on every
    unit after affine, threshold and leaky stages only, and the affine stage after it (the
    identity when there is none), else ``None``."""
    kinds = [st.kind for st in stages]
    la = len(kinds) - 1  # the last activation stage
    while la >= 0 and kinds[la] == "affine":
        la -= 1
    if la < 0 or kinds[0] != "affine" or len(stages) > la + 2:
        return None
    for k in kinds:
        if k != "affine" and k != "threshold" and k != "leaky":
            return None
    width = np.asarray(stages[la - 1].W).shape[0] if kinds[la - 1] == "affine" else None
    idx = np.asarray(stages[la].idx)
    if width is None or idx.shape != (width,) or not (idx == np.arange(width)).all():
        return None
    if len(stages) > la + 1:
        Wa = np.asarray(stages[-1].W, dtype=np.float64)
    else:
        Wa = np.eye(width)
    return la, Wa


def certifiable(stages: list[Stage]) -> bool:
    """Whether :func:`no_shared_maps` can certify a polygon run of ``stages`` at all (a last
    activation layer of thresholds or leaky units after affine, threshold and leaky stages):
    callers skip the engine's count where it cannot."""
    return _structure(stages) is not None


def _on_boundary(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray, halfspaces: Any) -> np.ndarray:
    """Edges ``a b`` (endpoints ``(k, 2)``): both ends on one side of the box or one halfspace's line."""
    sides = np.array((lo, hi))  # (2 sides, 2 coordinates)
    t = 1e-9 * (np.abs(sides) + (hi - lo))
    out = ((np.abs(a[:, None, :] - sides) <= t) & (np.abs(b[:, None, :] - sides) <= t)).any(axis=(1, 2))
    if halfspaces is not None:
        R = np.abs(np.vstack([lo, hi])).max(axis=0)
        for a_i, b_i in zip(*halfspaces):
            a_i, b_i = np.asarray(a_i, dtype=np.float64), float(b_i)
            t = 1e-9 * (np.abs(a_i).dot(R) + abs(b_i))
            out |= (np.abs(a.dot(a_i) - b_i) <= t) & (np.abs(b.dot(a_i) - b_i) <= t)
    return out


def no_shared_maps(stages: list[Stage], last: dict, lo: Any, hi: Any, halfspaces: Any = None,
                   failed: list | None = None, silent: list | None = None) -> bool:
    """True when no two facet-neighbouring cells of a 2-D polygon run can have maps that the float
    linear merge joins (see the module docstring), so its linear regions are its cells.

    ``stages`` is the (float) program of the network the engine ran, ``last`` the engine's
    ``stats["last_layer"]`` (:func:`tropnet.regions.planar.enumerate_cells`), ``lo``, ``hi``,
    ``halfspaces`` its domain.  False means "not certified", not "some maps are shared".
    ``failed``: where the check fails on root edges only, a list that receives those edges
    (``p``, ``q``, ``A``, ``B`` as :func:`_edges` gives them), their :class:`_Stretches`,
    ``need`` and ``err`` (read by :mod:`tropnet.regions.planar_merge`); in an exact run, every
    edge the vertex values do not certify (the cells' exact maps decide them there).
    ``silent`` (a float run): a list; the last layer's units that reach no output (a column of
    zeros in the affine stage after it) are then left out of the certificate, and their mask
    (``(nL,)`` bool) appended to it when one of their lines crosses a root polygon.  Their lines
    only split cells of one map: the difference across such a facet is ``(1 - p) Wa[:, u] (x)
    J_u = 0`` exactly, so the float maps of the two cells differ by at most their rounding,
    within the merge's tolerance (the merge joins them).  True then means that the merge joins
    neighbours across those lines only: a linear region is the cells of one root polygon and one
    pattern of the other units (a convex piece of the polygon),
    :func:`tropnet.regions.planar_merge.merged_labels`.

    >>> import tropnet
    >>> from tropnet.regions.planar import count_cells
    >>> from tropnet.regions.program import stages_from_network
    >>> net = tropnet.random_mlp([2, 8, 8, 1], seed=0)
    >>> stats = {"last_layer": None}
    >>> count_cells(net, [-10, -10], [10, 10], stats=stats)
    105
    >>> no_shared_maps(stages_from_network(net), stats["last_layer"], [-10, -10], [10, 10])
    True
    >>> zero = tropnet.Network.from_arrays([[[1.0, 0.0], [1.0, 0.0]], [[1.0, -1.0]]])  # relu(x) - relu(x)
    >>> _ = count_cells(zero, [-1, -1], [1, 1], stats=stats)
    >>> no_shared_maps(stages_from_network(zero), stats["last_layer"], [-1, -1], [1, 1])
    False
    """
    f = _structure(stages)
    if f is None or last is None:
        return False
    la, Wa = f
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    if last["coords"].shape[1] != 2:
        return False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # (for every step below)
        if last.get("exact"):
            return _exact_ok(stages, la, Wa, last, failed)
        if last["z"].shape[1] != Wa.shape[1]:
            return False
        return _float_ok(stages, last, la, Wa, lo, hi, halfspaces, failed, silent)


def _float_ok(stages, last, la, Wa, lo, hi, halfspaces, failed, silent) -> bool:
    """The float form of :func:`no_shared_maps` (its arguments, and :func:`_structure`'s)."""
    coords, rows, cnt = last["coords"], last["rows"], last["cnt"]
    d = 2
    actL = stages[la]
    # the engine's values of the last layer: z_u = W . a + b within Ez[u] at every vertex
    Jz, Kz = _abs_walk(stages[:la], d)
    J, K = _abs_walk(stages[la:], d, (Jz, Kz))  # (map_magnitude's walk, on from there)
    M = float(J.max()) if J.size else 0.0
    err = float_map_error(stages, d, (M, K))
    # the merge's tolerance is at most this (max|F| <= M + err), and joins pairs within it
    need = (max(1e-9 * (M + err), 2 * err) + 2 * err) * (1 + 1e-6)
    xmax = np.array([np.abs(coords[:, 0]).max(), np.abs(coords[:, 1]).max()])  # (np.abs(coords).max(axis=0))
    Ez = _gamma(Kz + 4) * (Jz[:, :d].dot(xmax) + Jz[:, d])
    if not (math.isfinite(need) and np.isfinite(Ez).all()):
        return False
    level = float(actL.param) if actL.kind == "threshold" else 0.0
    s = last["s"] if last.get("s") is not None else last["z"] - level
    tolL = RELATIVE_TOLERANCE * np.maximum(last["scale"], abs(level))  # the engine's zero band
    on, pairs, keep = last["on"], last.get("pairs"), None
    quiet = None if silent is None else ~Wa.any(axis=0)  # units of the last layer reaching no output
    # left out: their lines split cells of one map (when every unit is silent there is nothing
    # left to certify them by, and the check runs as without ``silent``)
    if silent is not None and quiet.any() and not quiet.all():
        keep = np.flatnonzero(~quiet)
        s, Ez, Wa = s[:, keep], Ez[keep], Wa[:, keep]
        tolL = tolL[keep] if np.ndim(tolL) else tolL
        on = None if on is None else on[:, keep]
        crossed = True  # whether a silent line crosses a root polygon (else no cells to join)
        if pairs is not None:
            pr, pu = pairs
            kept = ~quiet[pu]
            crossed = not kept.all()
            pairs = (pr[kept], (np.cumsum(~quiet) - 1)[pu[kept]])
        if crossed:
            silent.append(quiet)
    if not (last.get("signed") and (2 * Ez <= tolL).all()):  # else the engine's signs: every |s| > tolL
        if not (np.abs(s) > np.maximum(tolL, 2 * Ez)).all():
            return False  # a vertex on (or too near) a line of the last layer
        on = s > 0
    # the units crossing each root polygon: of both signs at its vertices (the engine's pairs,
    # which are these once no value is within its tolerance)
    cand = _inside_ok(s, on, coords, rows, cnt, Ez, Wa, _jump(actL), need, pairs)
    if cand is None:
        return False
    return _edges_ok(coords, rows, cnt, s, on, cand, Ez, stages, la, Wa, lo, hi, halfspaces, need,
                     last["scale"], level, failed=None if failed is None else (failed, err), units=keep)


def _exact_ok(stages, la, Wa, last, failed: list | None = None) -> bool:
    """The exact form of :func:`no_shared_maps` (``last`` from
    :func:`tropnet.regions.planar_count.count_last_layer_2d`: the root polygons of the certified
    engine).  The exact merge joins two neighbours only when their maps are equal, so every
    difference bounded away from zero certifies (``need = 0``).  The float coordinates are taken
    as exact points, with ``Ev`` bounding, per vertex, the distance of the values to every
    adjacent polygon's map there; an edge ``p q`` then gives ``w = rho kappa`` with
    ``rho = <t*, t> / |t|^2 > 0`` (``t*`` the exact edge, checked to point the same way), which
    is nonzero where the exact ``kappa`` is.  Edges on one polygon must lie on a side of the
    domain (a tight constraint of both ends); edges of thin polygons are decided from the two
    polygons' exact maps (:func:`_exact_jumps`, at most ``EXACT_MAP_EDGES`` of them), or, with
    ``failed``, handed to it with the others the vertex values do not certify."""
    coords, rows, cnt, s, on = last["coords"], last["rows"], last["cnt"], last["s"], last["on"]
    Ev = last["Ev"]
    if s.shape[1] != Wa.shape[1] or not np.isfinite(Ev).all():
        return False
    if not (np.abs(s) > 2 * Ev[:, None]).all():
        return False
    cand = _inside_ok(s, on, coords, rows, cnt, None, Wa, _jump(stages[la]), 0.0, Ev=Ev)
    if cand is None:
        return False
    return _edges_ok(coords, rows, cnt, s, on, cand, None, stages, la, Wa, None, None, None, 0.0,
                     np.abs(s).max(axis=0), 0.0, exact=last, failed=None if failed is None else (failed, 0.0))


def _inside_ok(s, on, coords, rows, cnt, Ez, Wa, jump, need, pairs=None, Ev=None):
    """The facets inside root polygons, on lines of the last layer (one unit each): ``None`` if
    one is not certified, else the units crossing each polygon (``(ptr (P + 1,), unit)``;
    ``pairs``: those units as ``(polygon, unit)``, by polygon, when known).  ``Ev`` (an exact
    run's bounds per vertex, for ``Ez``, the bounds per unit): the test of coincident lines is
    then rigorous (two units whose exact values are proportional never differ by more than
    their bounds)."""
    P, m = rows.shape
    ids = None
    if pairs is None:
        ids = _padded(rows, cnt)
        packed_on = np.packbits(on, axis=1)
        anyon = packed_on[ids[:, 0]]
        allon = anyon.copy()
        for k in range(1, m):
            anyon |= packed_on[ids[:, k]]
            allon &= packed_on[ids[:, k]]
        cross = np.unpackbits(anyon & ~allon, axis=1, count=on.shape[1]).astype(bool)  # (P, nL)
        pr, pu = np.nonzero(cross)
    else:
        pr, pu = pairs
    times = np.bincount(pr, minlength=P)  # (the units crossing each polygon)
    ptr = np.zeros(P + 1, dtype=np.int64)
    times.cumsum(out=ptr[1:])
    if len(pr) == 0:
        return ptr, pu
    wmax = np.abs(Wa).max(axis=0)  # (nL,)
    jit = _compiled(len(pr) * m) if Ev is None else None
    if jit is not None and (pr[1:] >= pr[:-1]).all():  # the same tests, one pass per pair
        # (the engine's values may come transposed: C order, the one signature warm loads)
        ids = _padded(rows, cnt) if ids is None else ids
        ok = jit.inside_ok(np.ascontiguousarray(s), coords, ids, pr.astype(np.int64), pu.astype(np.int64), Ez,
                           wmax, float(jump), float(need))
        return (ptr, pu) if ok else None
    # every array below is (slot, pair), each polygon's vertices padded with its first: numpy's
    # reductions and broadcasts over a short last axis cost a call per row
    idsT = np.ascontiguousarray(_padded(rows, cnt).T if ids is None else ids.T)
    cx, cy = coords[:, 0], coords[:, 1]
    # each polygon's bounding box: its l1 size is at least |v_max - v_min|_1 (and so are the
    # rounded sums), a smaller slope bound first; the pairs it fails get their vertices' own
    X, Y = cx[idsT], cy[idsT]
    box = (X.max(axis=0) - X.min(axis=0)) + (Y.max(axis=0) - Y.min(axis=0))
    step = max(1, 4_000_000 // m)
    norm = np.empty((m, len(pr)))
    rel = None if Ev is None else np.empty(len(pr))
    sf, nL = np.ascontiguousarray(s).ravel(), s.shape[1]
    for a in range(0, len(pr), step):
        r, u = pr[a : a + step], pu[a : a + step]
        idr = idsT[:, r]
        at = idr * nL
        at += u
        vals = sf.take(at)
        smax, smin = vals.max(axis=0), vals.min(axis=0)
        err = Ez[u] if Ev is None else Ev[idr].max(axis=0)
        rise = (smax - smin - 2 * err) * (1 - 4 * _U)
        lim = jump * wmax[u]
        # |slope|_inf >= (s_max - s_min) / |v_max - v_min|_1, each value within Ez of the exact one
        ok = lim * (rise / (box[r] * (1 + 4 * _U))) * (1 - 4 * _U) > need
        redo = (~ok).nonzero()[0]
        if len(redo):  # (NaN fails both)
            kmax, kmin = vals[:, redo].argmax(axis=0), vals[:, redo].argmin(axis=0)  # (the first of each)
            va, vb = idr[kmax, redo], idr[kmin, redo]
            dx = np.abs(cx[va] - cx[vb]) + np.abs(cy[va] - cy[vb])
            if not (lim[redo] * (rise[redo] / (dx * (1 + 4 * _U))) * (1 - 4 * _U) > need).all():
                return None
        sgn = np.where(vals[0] < 0, -1.0, 1.0)
        top = np.maximum(smax, -smin)  # (max |vals|: no NaN got here)
        np.divide(vals, sgn * top, out=norm[:, a : a + step])
        if Ev is not None:  # |normalised - exact normalised| <= 2 err / top, and rounding
            rel[a : a + step] = 2 * err / top + 8 * _U
    # coincident lines of two units on one polygon cross together (their differences add up):
    # two units of one polygon whose values at its vertices are proportional, up to 1e-6
    if times.max() < 2:  # no polygon crossed twice
        return ptr, pu
    if m <= 32:  # same polygon, same sides: one integer (slot j the bit 31 - j; the sums exact)
        key = pr.astype(np.int64) << 32
        key |= np.exp2(np.arange(31, 31 - m, -1)).dot(norm > 0).astype(np.int64)
        order = key.argsort(kind="stable")
    else:
        bits = np.packbits(norm > 0, axis=0)  # (bytes, pairs): slot 0 the high bit of byte 0
        key = np.concatenate([pr[:, None], bits.T.astype(np.int64)], axis=1)
        order = np.lexsort(key.T[::-1])
    key = key[order]
    for off in range(1, len(key)):
        eq = key[off:] == key[:-off]
        same = (eq if eq.ndim == 1 else eq.all(axis=1)).nonzero()[0]  # sorted: equal between too
        if len(same) == 0:
            break
        i, j = order[same], order[same + off]
        near = 1e-6 if rel is None else np.maximum(1e-6, (rel[j] + rel[i]) * (1 + 1e-6))
        for k in range(m):  # the pairs near in every slot (few stay near after the first two)
            close = (np.abs(norm[k, j] - norm[k, i]) <= near).nonzero()[0]
            i, j, near = i[close], j[close], (near if rel is None else near[close])
            if len(i) == 0:
                break
        else:
            return None
    return ptr, pu


def _padded(rows: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """``rows`` with each row's slots past its count holding its first vertex."""
    m = rows.shape[1]
    return np.where(np.arange(m)[None, :] < cnt[:, None], rows, rows[:, :1])


def _edges(rows: np.ndarray, cnt: np.ndarray, coords: np.ndarray, lo, hi, halfspaces, exact=None):
    """The ``k`` edges shared by two root polygons: ``(p, q, AB, jAB)`` with ``p -> q``
    counter-clockwise on ``A = AB[:k]`` (so ``A`` lies left of it), at slot ``jA = jAB[:k]`` of
    ``A``'s row and ``jB = jAB[k:]`` of ``B = AB[k:]``'s (as ``q -> p``); ``None`` when an edge is on
    three polygons, or on one polygon off the domain's boundary (a vertex of one polygon inside
    the edge of another).  ``exact`` (the exact run's roots): an edge is on the boundary when
    both ends are tight at one side of the domain."""
    # the filled slots, row by row (as ``(np.arange(m) < cnt[:, None]).nonzero()``), read flat
    poly = np.arange(len(cnt)).repeat(cnt)
    cp = cnt.repeat(cnt)
    first = np.zeros(len(cnt) + 1, dtype=np.int64)
    cnt.cumsum(out=first[1:])
    slot = np.arange(len(poly)) - first[:-1].repeat(cnt)
    flat = poly * rows.shape[1]
    rf = np.ascontiguousarray(rows).ravel()
    ea = rf.take(flat + slot)
    nxt = slot + 1  # the next slot, around each row
    nxt -= cp * (nxt == cp)
    eb = rf.take(flat + nxt)
    V = len(coords)
    key = np.minimum(ea, eb) * V + np.maximum(ea, eb)
    order = key.argsort()  # either slot of an edge may come first: it is then A's
    ks = key[order]
    new = np.ones(len(ks), dtype=bool)
    np.not_equal(ks[1:], ks[:-1], out=new[1:])
    start = new.nonzero()[0]
    times = np.empty_like(start)
    times[:-1] = start[1:]
    times[-1:] = len(ks)
    times -= start
    if (times > 2).any():
        return None
    one = order[start[times == 1]]
    if len(one) and exact is not None:
        Ta, Tb = exact["tight"][ea[one]], exact["tight"][eb[one]]
        side = (Ta[:, :, None] == Tb[:, None, :]) & (Ta[:, :, None] < exact["ndomain"])
        if not side.any(axis=(1, 2)).all():
            return None
    elif len(one) and not _on_boundary(coords[ea[one]], coords[eb[one]], lo, hi, halfspaces).all():
        return None
    two = start[times == 2]
    iA = order[two]
    iAB = np.concatenate([iA, order[two + 1]])
    return ea[iA], eb[iA], poly[iAB], slot[iAB]


def _far_vertex(coords: np.ndarray, rows: np.ndarray, cnt: np.ndarray, poly: np.ndarray, j: np.ndarray,
                p: np.ndarray, t: np.ndarray):
    """For each edge ``p + [0, 1] t`` at slot ``j`` of polygon ``poly``: a vertex ``a`` of the
    polygon with a large ``|c| / (|t|^2 + |<a - p, t>|)`` (``c = t x (a - p)``: far from the
    edge's line, not far along it): the better of the two vertices next to the edge, or the best
    of all where both are poor (an edge between collinear ones), with
    ``lambda = <a - p, t> / |t|^2``, ``c`` and the rounding bounds of both."""
    jit = _compiled(4 * len(p))
    if jit is not None:  # the same operations, edge by edge
        return jit.far_vertex(coords, rows, cnt, poly, j, p, t)
    tx, ty = t[:, 0], t[:, 1]
    tt = tx * tx + ty * ty
    c_ = cnt[poly]
    # the slots after q and before p, around the row (0 <= j < c_; a polygon has 3 vertices or more)
    j2, j1 = j + 2, j - 1
    j2 -= c_ * (j2 >= c_)
    j1 += c_ * (j1 < 0)
    flat = poly * rows.shape[1]
    rf = np.ascontiguousarray(rows).ravel()
    a, score = _best(coords, np.stack((rf.take(flat + j2), rf.take(flat + j1))), p, t, tt)
    poor = (score < 0.05).nonzero()[0]
    if len(poor):
        a[poor] = _best(coords, np.ascontiguousarray(rows[poly[poor]].T), p[poor], t[poor], tt[poor])[0]
    cx, cy = coords[:, 0], coords[:, 1]
    rx, ry = cx[a] - cx[p], cy[a] - cy[p]
    along_x, along_y = rx * tx, ry * ty
    across_x, across_y = ry * tx, rx * ty
    ck = across_x - across_y
    lam = (along_x + along_y) / tt
    # rel = a - p is rounded (relative u per entry), so are t, the products and the sums
    mag_dot = np.abs(along_x) + np.abs(along_y)
    mag_c = np.abs(across_x) + np.abs(across_y)
    e_lam = _gamma(8) * mag_dot / tt + np.abs(lam) * _gamma(6)
    e_c = _gamma(6) * mag_c
    return a, lam, e_lam, ck, e_c


def _best(coords, R, p, t, tt):
    """The vertex of each column of ``R`` (``(candidates, edges)``) with the largest score (see
    :func:`_far_vertex`; the first of the largest, or the first NaN), and its score (``tt``:
    ``|t|^2`` as computed there)."""
    rx, ry = coords[:, 0][R], coords[:, 1][R]
    rx -= coords[p, 0]
    ry -= coords[p, 1]
    tx, ty = t[:, 0], t[:, 1]
    dot = rx * tx
    dot += ry * ty
    c = ry * tx
    c -= rx * ty
    np.abs(dot, out=dot)
    dot += tt
    score = np.abs(c)
    score /= dot
    k = score.argmax(axis=0)
    at = k * R.shape[1] + np.arange(R.shape[1])
    return R.ravel().take(at), score.ravel().take(at)


def _edges_ok(coords, rows, cnt, s, on, cand, Ez, stages, la, Wa, lo, hi, halfspaces, need, last_scale,
              level, exact=None, failed=None, units=None) -> bool:
    """The facets on the edges of root polygons, stretch by stretch between the crossings of the
    last layer's lines (the units crossing the edge's polygon): the difference from the vertex
    values (:func:`_vertex_coefficients`), and from the two polygons' maps where that is not
    precise enough (a thin polygon: :func:`_map_jumps`; not in an ``exact`` run).  ``failed``:
    ``(list, err)``, the list receiving the edges that fail (see :func:`no_shared_maps`);
    ``units``: the last layer's units certified (those of ``s``, ``on`` and ``Wa``), when not
    all."""
    e = _edges(rows, cnt, coords, lo, hi, halfspaces, exact)
    if e is None:
        return False
    p, q, AB, jAB = e
    k = len(p)
    if k == 0:
        return True
    A, B = AB[:k], AB[k:]
    t = coords[q] - coords[p]
    if exact is not None:
        # the exact edge t* is within eta (max-norm) of t: <t*, t> >= |t|^2 - |t|_1 eta > 0
        dx = exact["dx"]
        eta = (dx[p] + dx[q] + 4 * _U * np.abs(t).max(axis=1)) * (1 + 1e-6)
        if not ((t * t).sum(axis=1) * (1 - 4 * _U) > 2 * np.abs(t).sum(axis=1) * eta).all():
            return False
    actL = stages[la]
    Ev = None if exact is None else exact["Ev"]
    st = _Stretches(s, on, cand, Ez, actL, Wa, need, Ev)
    both = _far_vertex(coords, rows, cnt, AB, jAB, np.concatenate([p, p]), np.concatenate([t, t]))
    ab, lam, el, c, ec = (x.reshape(2, k) for x in both)  # (A's side, B's side)
    # every |s| is below the scale of the terms making it up (the engine's scale, rounded up)
    zmax = float(np.asarray(last_scale).max()) * (1 + 1e-6) + abs(level)
    ids = _columns(ab[0], ab[1], q, p)
    EzM = float(Ez.max()) if Ev is None else _row_max(Ev[ids])
    alpha, ew, wabs = _vertex_coefficients(zmax, EzM, t, lam, el, c, ec)
    H = st.outputs()
    nL = Wa.shape[1]
    # the rounding of v (the outputs' products, the corrections', the sums) and of the flips'
    # w, with plenty to spare; and w's own error
    ev = st.slope_max * st.RW * (ew + 4 * _gamma(4 * nL + 32) * wabs) * (1 + 4 * _U)
    retry = []
    step = 1 << 16
    for a0 in range(0, len(p), step):
        sl = slice(a0, a0 + step)
        out = st.vertex_check(alpha[sl], ids[sl], H, ev[sl], A[sl], B[sl])
        if out is None:
            return False
        retry.append(a0 + (~out).nonzero()[0])
    if len(p) > step:
        st.flips = None  # (the crossings of the last part only)
    bad = np.concatenate(retry)
    if len(bad) == 0:
        return True
    if exact is not None and failed is not None:  # the cells' exact maps decide these edges' stretches
        failed[0].append(dict(p=p[bad], q=q[bad], A=A[bad], B=B[bad], stretches=st, need=need, err=failed[1],
                              flips=st.restricted(bad, k)))
        return False
    if len(bad) > (EXACT_MAP_EDGES if exact is not None else 10_000):  # not a few thin polygons: the merge
        return False
    handed = bad[:0]
    if failed is not None:
        # the edges whose vertex values are precise enough (not thin) go as they are to the
        # caller's stretches (planar_merge decides each from the two cells' own maps, as
        # precise as the polygons' maps here): the polygons' maps only for thin ones
        precise = np.isfinite(ev[bad])
        handed, bad = bad[precise], bad[~precise]
    out = np.ones(0, dtype=bool)
    if len(bad):
        out = _map_check(coords, rows, cnt, t, p, q, A, B, bad, st, stages, la, units, nL, exact)
        if out is None:
            return False
    if failed is not None and (len(handed) or not out.all()):
        f = np.concatenate([handed, bad[~out]])
        failed[0].append(dict(p=p[f], q=q[f], A=A[f], B=B[f], stretches=st, need=need, err=failed[1],
                              flips=st.restricted(f, k)))
    return len(handed) == 0 and bool(out.all())


def _map_check(coords, rows, cnt, t, p, q, A, B, bad, st, stages, la, units, nL, exact):
    """:func:`_edges_ok`'s test of the edges ``bad`` from the maps of their two polygons (exact
    maps in an ``exact`` run): which pass, ``None`` where it cannot tell."""
    polys, inv = np.unique(np.concatenate([A[bad], B[bad]]), return_inverse=True)
    k = len(bad)
    tb = t[bad]
    c = (np.abs(tb[:, 0]) > np.abs(tb[:, 1])).astype(np.int64)  # the larger entry of n = (-t_y, t_x)
    if exact is not None:
        w = _exact_jumps(exact, la, polys, inv, c)
        wabs = np.abs(w).max(axis=1) * (1 + _U)
        ew = _U * wabs
    else:
        valid = np.arange(rows.shape[1])[None, :] < cnt[polys][:, None]
        inner = (coords[rows[polys]] * valid[..., None]).sum(axis=1) / cnt[polys][:, None]
        maps = _map_jumps(stages, la, inner)
        if maps is None:
            return None
        Z, errZ = maps
        dZ = Z[inv[:k]] - Z[inv[k:]]  # (k, nL, 3)
        if units is not None:
            dZ = dZ[:, units]
        w = np.ascontiguousarray(dZ[np.arange(k), :, c])
        wabs = np.abs(w).max(axis=1) * (1 + _U)
        ew = np.full(k, 2 * errZ) + _U * wabs
    ev = st.slope_max * st.RW * (ew + _gamma(nL + 2) * wabs) * (1 + 4 * _U)
    return st.dense_check(w, ev, p[bad], q[bad], A[bad])


def _vertex_coefficients(zmax, EzM, t, lam, el, c, ec):
    """``w = |t|_inf kappa`` of edges ``p q`` as a combination of the values at ``a``, ``b``, ``q``,
    ``p`` (``alpha (k, 4)``: ``w = r_a N_A - r_b N_B``, ``r = |t|_inf / c``, see the module
    docstring), a bound ``ew`` on ``|w - exact|`` per edge (over all units: the values' errors,
    the rounding of the coefficients and of the sums) and ``wabs = sum |alpha| zmax >= |w|``;
    ``lam``, ``el``, ``c``, ``ec``: ``(2, k)``, :func:`_far_vertex`'s values for ``a`` (row 0) and
    ``b`` (row 1).  A polygon too thin for its values (``c`` within its rounding) gets
    ``ew = inf``."""
    # |Z_A - Z_B| as a map is |kappa| max(|n|_inf, |n . p|) >= |kappa| |t|_inf
    S = np.maximum(np.abs(t[:, 0]), np.abs(t[:, 1])) * (1 - 2 * _U)
    absc = np.abs(c)
    thin = ~((absc > 64 * ec).all(axis=0) & (S > 0))
    r = S / c  # (r_a, r_b) (no_shared_maps ignores the divisions by 0 of thin polygons)
    rel = 2 * ec / absc + _gamma(3)  # the relative error of S / c
    if thin.any():
        r[:, thin] = rel[:, thin] = 0.0
    ra, rb = r
    aq = rb * lam[1] - ra * lam[0]
    ap = (rb - ra) - aq
    alpha = _columns(ra, -rb, aq, ap)
    # each coefficient's distance to its exact value (from r's and lambda's errors, and its own
    # rounding)
    R = np.abs(r)
    L = np.abs(lam)
    X = R * (el + L * rel)
    Y = R * L
    Z = R * rel
    e_q = X[0] + X[1] + _gamma(3) * (Y[0] + Y[1])
    Zs = Z[0] + Z[1]
    e_p = Zs + e_q + _gamma(2) * (R[0] + R[1] + np.abs(aq))
    suma = np.abs(ra) + np.abs(rb) + np.abs(aq) + np.abs(ap)  # (alpha's row sums, in order)
    wabs = suma * zmax
    ew = (EzM * suma + _gamma(4) * wabs + (Zs + e_q + e_p) * zmax) * (1 + 8 * _U)
    if thin.any():
        ew[thin] = np.inf
    return alpha, ew, wabs


def _exact_jumps(exact: dict, la: int, polys: np.ndarray, inv: np.ndarray, c: np.ndarray) -> np.ndarray:
    """For edges between the root polygons ``polys[inv[:k]]`` and ``polys[inv[k:]]`` of an exact
    run: column ``c`` of the difference of their last layer's maps, exactly (integers, from their
    patterns), each edge's row scaled by a positive number to at most 1 and rounded to float64
    (each entry within ``2^-53`` of its own exact value relative to it)."""
    from fractions import Fraction

    from .affine import cell_affine

    P = np.asarray(exact["pat"][polys][:, : exact["ncols"]], dtype=np.int32)
    N = cell_affine(exact["exact_stages"][:la], P, 2, exact=True).map_numerators()  # (n, nL, 3) over D > 0
    k = len(c)
    w = np.zeros((k, N.shape[1]))
    for i in range(k):
        row = [int(a) - int(b) for a, b in zip(N[inv[i], :, c[i]], N[inv[k + i], :, c[i]])]
        top = max(abs(v) for v in row)
        if top:
            w[i] = [float(Fraction(v, top)) for v in row]
    return w


def _map_jumps(stages: list[Stage], la: int, X: np.ndarray):
    """The last layer's pre-activation maps ``(k, nL, 3)`` of the root polygons strictly around
    the points ``X (k, 2)`` (their patterns read at the points, every sign decided beyond the
    forward pass's rounding) and a bound on the rounding of every entry; ``None`` when a sign is
    too close to call."""
    from .affine import cell_affine
    from .program import _apply

    d = 2
    z, cols = X, []
    absx = np.abs(X)
    for i, st in enumerate(stages[:la]):
        if st.kind != "affine":
            J, K = _abs_walk(stages[:i], d)
            idx = np.asarray(st.idx)
            E = _gamma(K + 4) * (absx.dot(J[idx, :d].T) + J[idx, d]) * (1 + 1e-6)
            level = float(st.param) if st.kind == "threshold" else 0.0
            sub = np.asarray(z[:, idx], dtype=np.float64) - level
            if not (np.abs(sub) > E).all():
                return None
            cols.append((sub > 0).astype(np.int32))
        z = _apply(st, z)
    P = np.concatenate(cols, axis=1) if cols else np.zeros((len(X), 0), dtype=np.int32)
    with np.errstate(over="ignore", invalid="ignore"):
        Z = cell_affine(stages[:la], P, d).map_numerators()
        errZ = float_map_error(stages[:la], d)
    if not (np.isfinite(Z).all() and np.isfinite(errZ)):
        return None
    return Z, errZ
