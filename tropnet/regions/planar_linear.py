"""Linear regions of a 2-D polygon run without the cells' maps: a certificate that no two
neighbouring activation cells carry maps the linear merge would join.

Two cells are in one linear region only through a chain of facet-neighbours with equal maps
(:func:`tropnet.regions.geometry.linear_labels`).  For a network with one or two activation
layers on a 2-D domain, every facet between two cells of the polygon engine
(:mod:`tropnet.regions.planar`) is of one of two kinds, and the difference of the two maps across
it is a rank-one product known without any map:

* inside a *root polygon* ``P`` (a cell of the layers before the last), on the line of a unit
  ``u`` of the last layer: ``(1 - p) Wa[:, u] (x) J_u``, with ``Wa`` the affine stage after the
  last layer, ``p`` its slope when off (a threshold: the constant, slope 0) and ``J_u`` the
  unit's pre-activation on ``P``, whose slope is at least ``(s_max - s_min) / |v_max - v_min|_1``
  over ``P``'s vertices;
* on an edge of a root polygon, on the line of a unit ``i`` of the first layer, where the last
  layer's pattern ``m`` is constant on each stretch between the crossings of its lines with
  the edge: ``(Wa diag(m~) W2[:, i]) (x) r_i`` (``m~`` the slopes of the pattern, ``r_i``
  the change of unit ``i``'s output row, ``(W1[i], b1[i] - t)`` or ``(1 - p) (W1[i], b1[i])``).

The float merge joins two neighbours when their computed maps differ by at most
``tol = max(1e-9 max|F|, 2 err)`` (``err`` the walk's rigorous rounding bound,
:func:`tropnet.regions.affine.float_map_error`).  :func:`no_shared_maps` bounds every such
difference from below with the rounding of the engine's values and of its own sums taken
against it, and returns True only when each is above ``tol``'s upper bound plus ``2 err``
(``max|F|`` bounded by :func:`~tropnet.regions.affine.map_magnitude`): then the merge of the
current implementation joins nothing, and the linear regions are the cells.  Anything it
cannot decide (a vertex on a line of the last layer, an edge on two lines, two crossings at
one point, coincident lines, deeper networks) returns False, and the caller runs the merge.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .affine import _abs_walk, float_map_error, map_magnitude
from .program import Stage

__all__ = ["no_shared_maps"]

_U = 2.0**-53


def _gamma(k: Any) -> Any:
    return k * _U / (1 - k * _U)


def _structure(stages: list[Stage]):
    """``(W1, b1, act1, W2, b2, act2, Wa, ba)`` of ``[affine, act, (affine, act), (affine)]``
    with threshold/leaky activations on every unit (``W2 = None`` for one activation layer),
    else ``None``."""
    kinds = [st.kind for st in stages]
    acts = [i for i, k in enumerate(kinds) if k != "affine"]
    if not 1 <= len(acts) <= 2 or acts[0] != 1 or (len(acts) == 2 and acts[1] != 3):
        return None
    if kinds[0] != "affine" or len(stages) > acts[-1] + 2:
        return None
    f = [None] * 8

    def aff(st):
        return np.asarray(st.W, dtype=np.float64), np.asarray(st.b, dtype=np.float64).ravel()

    for k, si in enumerate(acts):
        st = stages[si]
        width = np.asarray(stages[si - 1].W).shape[0]
        if st.kind not in ("threshold", "leaky") or not np.array_equal(np.asarray(st.idx), np.arange(width)):
            return None
        f[3 * k : 3 * k + 2] = aff(stages[si - 1])
        f[3 * k + 2] = st
    if len(stages) > acts[-1] + 1:
        f[6:8] = aff(stages[-1])
    else:
        n = len(stages[acts[-1]].idx)
        f[6:8] = np.eye(n), np.zeros(n)
    return tuple(f)


def _slopes(st: Stage, on: np.ndarray) -> np.ndarray:
    """The slope of each unit's output for the pattern ``on``: 1 on, ``p`` off (a leaky unit) or
    0 (a threshold: the constant)."""
    off = float(st.param) if st.kind == "leaky" else 0.0
    return np.where(on, 1.0, off)


def _jump(st: Stage) -> float:
    """The slope change of a unit when it switches on (``1 - p``; 1 for a threshold)."""
    return 1.0 - float(st.param) if st.kind == "leaky" else 1.0


def _on_boundary(P: np.ndarray, lo: np.ndarray, hi: np.ndarray, halfspaces: Any) -> np.ndarray:
    """``(k, 2)`` endpoints of edges: both on one side of the box or one halfspace's line."""
    a, b = P[:, 0], P[:, 1]
    w = hi - lo
    out = np.zeros(len(P), dtype=bool)
    for k in range(2):
        for side in (lo[k], hi[k]):
            t = 1e-9 * (abs(side) + w[k])
            out |= (np.abs(a[:, k] - side) <= t) & (np.abs(b[:, k] - side) <= t)
    if halfspaces is not None:
        R = np.abs(np.vstack([lo, hi])).max(axis=0)
        for a_i, b_i in zip(*halfspaces):
            a_i, b_i = np.asarray(a_i, dtype=np.float64), float(b_i)
            t = 1e-9 * (np.abs(a_i).dot(R) + abs(b_i))
            out |= (np.abs(a.dot(a_i) - b_i) <= t) & (np.abs(b.dot(a_i) - b_i) <= t)
    return out


def no_shared_maps(stages: list[Stage], last: dict, lo: Any, hi: Any, halfspaces: Any = None) -> bool:
    """True when no two facet-neighbouring cells of a 2-D polygon run can have maps that the float
    linear merge joins (see the module docstring), so its linear regions are its cells.

    ``stages`` is the (float) program of the network the engine ran, ``last`` the engine's
    ``stats["last_layer"]`` (:func:`tropnet.regions.planar.enumerate_cells`), ``lo``, ``hi``,
    ``halfspaces`` its domain.  False means "not certified", not "some maps are shared".

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
    W1, b1, act1, W2, b2, act2, Wa, ba = f
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    coords, rows, cnt, z = last["coords"], last["rows"], last["cnt"], last["z"]
    d = 2
    if coords.shape[1] != d:
        return False
    la = 1 if W2 is None else 3
    actL = stages[la]
    nL = z.shape[1]
    if nL != Wa.shape[1]:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        M = map_magnitude(stages, d)[0]
        err = float_map_error(stages, d)
        # the merge's tolerance is at most this (max|F| <= M + err), and joins pairs within it
        need = (max(1e-9 * (M + err), 2 * err) + 2 * err) * (1 + 1e-6)
        # the engine's values of the last layer: z_u = W . a + b within Ez[u] at every vertex
        Jz, Kz = _abs_walk(stages[:la], d)
        xmax = np.abs(coords).max(axis=0)
        Ez = _gamma(Kz + 4) * (Jz[:, :d].dot(xmax) + Jz[:, d])
    if not (np.isfinite(need) and np.isfinite(Ez).all()):
        return False
    level = float(actL.param) if actL.kind == "threshold" else 0.0
    s = z - level
    tolL = 1e-10 * np.maximum(last["scale"], abs(level))
    if not (np.abs(s) > np.maximum(tolL, 2 * Ez)).all():
        return False  # a vertex on (or too near) a line of the last layer
    on = s > 0
    cand = _inside_ok(s, on, coords, rows, cnt, Ez, Wa, _jump(actL), need)
    if cand is None:
        return False
    if W2 is None:
        return True
    return _edges_ok(coords, rows, cnt, s, on, cand, Ez, W1, b1, act1, W2, actL, Wa, lo, hi, halfspaces, need)


def _inside_ok(s, on, coords, rows, cnt, Ez, Wa, jump, need):
    """The facets inside root polygons, on lines of the last layer (one unit each): ``None`` if
    one is not certified, else the units crossing each polygon (``(ptr (P + 1,), unit)``)."""
    P, m = rows.shape
    valid = np.arange(m)[None, :] < cnt[:, None]
    ids = np.where(valid, rows, rows[:, :1])
    packed_on = np.packbits(on, axis=1)
    anyon = packed_on[ids[:, 0]].copy()
    allon = packed_on[ids[:, 0]].copy()
    for k in range(1, m):
        anyon |= packed_on[ids[:, k]]
        allon &= packed_on[ids[:, k]]
    cross = np.unpackbits(anyon & ~allon, axis=1, count=on.shape[1]).astype(bool)  # (P, nL)
    pr, pu = np.nonzero(cross)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(pr, minlength=P))])
    if len(pr) == 0:
        return ptr, pu
    wmax = np.abs(Wa).max(axis=0)  # (nL,)
    step = max(1, 4_000_000 // m)
    norm = np.empty((len(pr), m))
    for a in range(0, len(pr), step):
        r, u = pr[a : a + step], pu[a : a + step]
        vals = s[ids[r], u[:, None]]  # (k, m)
        kmax, kmin = vals.argmax(axis=1), vals.argmin(axis=1)
        ar = np.arange(len(r))
        smax, smin = vals[ar, kmax], vals[ar, kmin]
        dx = np.abs(coords[ids[r, kmax]] - coords[ids[r, kmin]]).sum(axis=1)
        # |slope|_inf >= (s_max - s_min) / |v_max - v_min|_1, each value within Ez of the exact one
        slope = (smax - smin - 2 * Ez[u]) * (1 - 4 * _U) / (dx * (1 + 4 * _U))
        if not (jump * wmax[u] * slope * (1 - 4 * _U) > need).all():
            return None
        sgn = np.where(vals[:, :1] < 0, -1.0, 1.0)
        norm[a : a + step] = vals / sgn / np.abs(vals).max(axis=1, keepdims=True)
    # coincident lines of two units on one polygon cross together (their differences add up):
    # two units of one polygon whose values at its vertices are proportional, up to 1e-6
    bits = np.packbits(norm > 0, axis=1)
    key = np.concatenate([pr[:, None], bits.astype(np.int64)], axis=1)  # same polygon, same sides
    order = np.lexsort(key.T[::-1])
    key, norm = key[order], norm[order]
    for off in range(1, len(key)):
        same = np.flatnonzero((key[off:] == key[:-off]).all(axis=1))  # sorted: equal between too
        if len(same) == 0:
            break
        if (np.abs(norm[same + off] - norm[same]).max(axis=1) <= 1e-6).any():
            return None
    return ptr, pu


def _edges_ok(coords, rows, cnt, s, on, cand, Ez, W1, b1, act1, W2, actL, Wa, lo, hi, halfspaces,
              need) -> bool:
    """The facets on the edges of root polygons (lines of the first layer), stretch by stretch
    between the crossings of the last layer's lines (the units crossing the edge's polygon)."""
    P, m = rows.shape
    nxt = (np.arange(m)[None, :] + 1) % cnt[:, None]
    valid = np.arange(m)[None, :] < cnt[:, None]
    ea = rows[valid]
    eb = np.take_along_axis(rows, nxt, axis=1)[valid]
    V = len(coords)
    key, first = np.unique(np.minimum(ea, eb) * V + np.maximum(ea, eb), return_index=True)
    owner = np.repeat(np.arange(P), cnt)[first]
    ea, eb = key // V, key % V
    # the first layer's unit whose line holds the edge: the one near zero at both ends
    level1 = float(act1.param) if act1.kind == "threshold" else 0.0
    z1 = np.multiply.outer(coords[:, 0], W1[:, 0])
    z1 += np.multiply.outer(coords[:, 1], W1[:, 1])
    z1 += b1 - level1
    tol1 = 1e-9 * (np.abs(W1).dot(np.abs(coords).max(axis=0)) + np.abs(b1) + abs(level1))
    near = np.packbits(np.abs(z1) <= tol1, axis=1)
    del z1
    both = near[ea] & near[eb]
    nunits = np.bitwise_count(both).sum(axis=1) if hasattr(np, "bitwise_count") else \
        np.unpackbits(both, axis=1).sum(axis=1)
    if (nunits > 1).any():
        return False  # an edge on two lines
    inner = nunits == 1
    if not _on_boundary(np.stack([coords[ea[~inner]], coords[eb[~inner]]], axis=1), lo, hi, halfspaces).all():
        return False
    ea, eb, owner = ea[inner], eb[inner], owner[inner]
    if len(ea) == 0:
        return True
    unit = np.unpackbits(both[inner], axis=1, count=W1.shape[0]).argmax(axis=1)
    jump1 = _jump(act1)
    row = np.abs(np.concatenate([W1, (b1 - level1)[:, None]], axis=1)).max(axis=1) * jump1  # |r_i|_inf
    jumpL = _jump(actL)
    slope_max = max(1.0, abs(float(actL.param))) if actL.kind == "leaky" else 1.0
    nL = W2.shape[0]
    # |v| of every stretch on the line of unit i is at most sum_u |W2[u, i]| |Wa[:, u]| slope_max
    E1 = _gamma(nL + 2) * slope_max * np.abs(W2).T.dot(np.abs(Wa).T)  # (n1, out)
    W2T = np.ascontiguousarray(W2.T)
    relu = actL.kind == "threshold"
    step = max(1, 2_000_000 // nL)
    for a0 in range(0, len(ea), step):
        a, b, i = ea[a0 : a0 + step], eb[a0 : a0 + step], unit[a0 : a0 + step]
        k = len(a)
        col = W2T[i]  # (k, nL)
        if relu:
            col *= on[a]
        else:
            col *= _slopes(actL, on[a])
        v = col.dot(Wa.T)  # (k, out): the stretch at the edge's end a
        ev = E1[i]
        # the last layer's lines crossing the edge: units crossing its polygon, of other signs
        ptr, cu = cand
        o = owner[a0 : a0 + step]
        nc = ptr[o + 1] - ptr[o]
        fe = np.repeat(np.arange(k), nc)
        fu = cu[np.repeat(ptr[o] - np.cumsum(nc) + nc, nc) + np.arange(int(nc.sum()))]
        flip = on[a[fe], fu] != on[b[fe], fu]
        fe, fu = fe[flip], fu[flip]
        sa, sb = s[a[fe], fu], s[b[fe], fu]
        t = sa / (sa - sb)
        et = 2 * Ez[fu] / np.abs(sa - sb) + 8 * _U  # the rounding of the crossing's position
        order = np.lexsort((t, fe))
        fe, fu, t, et = fe[order], fu[order], t[order], et[order]
        if len(fe) > 1 and ((fe[1:] == fe[:-1]) & (t[1:] - t[:-1] <= 2 * (et[1:] + et[:-1]) + 1e-9)).any():
            return False  # two crossings at one point (or too close to order)
        sign = np.where(on[b[fe], fu], 1.0, -1.0)  # switching on along the edge
        delta = (sign * jumpL * W2[fu, i[fe]])[:, None] * Wa[:, fu].T  # (flips, out)
        starts = np.searchsorted(fe, np.arange(k))
        nflip = np.bincount(fe, minlength=k)
        acc = np.abs(v) + ev  # the sums' magnitudes, for their rounding
        ok = (np.abs(v) - ev).max(axis=1) * row[i] * (1 - 4 * _U) > need
        for j in range(int(nflip.max(initial=0))):
            e = np.flatnonzero(nflip > j)
            dj = delta[starts[e] + j]
            v[e] += dj
            acc[e] += np.abs(dj) + np.abs(v[e]) * _U
            lower = (np.abs(v[e]) - _gamma(j + 2) * acc[e] - ev[e]).max(axis=1)
            ok[e] &= lower * row[i[e]] * (1 - 4 * _U) > need
        if not ok.all():
            return False
    return True
