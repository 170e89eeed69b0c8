"""The 2D fast path: the activation cells of a two-input network as convex polygons.

Every cell is a convex polygon kept as a row of vertex ids into one shared vertex table
(rows are padded by repeating their first id, so row-wise max/min need no mask), with its
vertices in counter-clockwise order.  The domain polygon (a box cut by optional halfspaces)
is refined one activation layer at a time:

* at the start of a layer, one forward pass at all vertices gives the layer's
  pre-activations there (exact on every closed cell: the network is continuous); a unit is
  a *candidate* of a polygon when its pre-activation is strictly positive at one vertex and
  strictly negative at another, and its affine function on the polygon is fitted from three
  well-spread vertices;
* the layer is then split in *rounds*: every polygon with candidates left is cut by its own
  next candidate, vectorised over all polygons; the vertices created on the crossing edges
  are shared by both children, and the remaining candidates are re-tested on both children
  at once.  Neighbours cut by one line create one new point twice; the copies are merged at
  the next layer start.

A ``GroupMax`` group is split by ``z_j - z_w`` (``w`` the cell's current winner), the
strongest challenger ``j`` first, until no input beats the winner; ties on an open set go
to the earlier index.  One winner can be reached along several histories, so the pieces of
one root polygon that end with the same winners are merged (their union is convex: the
hull of their vertices).  A unit identically at its threshold on a cell is inactive and makes no
boundary; coincident lines are cut once.  Patterns follow :mod:`tropnet.regions.cells`.

When only the number of cells is wanted (:func:`count_cells`), the last activation layer
builds no polygons: a convex polygon cut by lines has
``1 + L + sum_x (m_x - 1)`` pieces, where ``L`` counts the distinct lines crossing it and
``m_x`` the distinct lines through each crossing point ``x`` inside it (for lines in
general position, ``1 + L + (number of crossing points)``).

*Tolerance* (float mode).  A vertex counts as on the line of unit ``j`` when
``|z_j - t| <= 1e-10 * scale_j``, where ``scale_j = sum_k |W_jk| max|a_k| + |b_j|`` (``a``
the layer's inputs, maxima over the vertices) is the size of the terms that make up
``z_j``: it is invariant under rescaling the inputs, a unit or the whole network, and far
above the rounding error of the forward pass.  Cells thinner than this relative to the
network's scale (about ``1e-10`` of the domain) can be merged and near-coincident lines
identified; ``exact=True`` in the public API certifies the answer in rational arithmetic.
(Measured: the counts of ``random_mlp([2, 64, 64, 1])`` and ``[2, 128, 128, 1]`` on
[-10, 10]^2 are the same for tolerances 0 to 1e-10; at 1e-8 two real slivers of the second
merge.)

>>> from tropnet import random_mlp
>>> cells = enumerate_cells(random_mlp([2, 8, 8, 1], seed=0), [-10, -10], [10, 10])
>>> len(cells), count_cells(random_mlp([2, 8, 8, 1], seed=0), [-10, -10], [10, 10])
(105, 105)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._limits import progress_bar
from ..networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from ..networks.network import Network
from .cells import Cells, RegionLimitError, check_passed
from .polygons import (
    _CandidatePool,
    _merge_copies,
    _merge_pieces,
    _nonzero2,
    _Polygons,
    _signs,
    _split,
    _Vertices,
)

__all__ = ["enumerate_cells", "count_cells", "RELATIVE_TOLERANCE"]

#: ``|s| <= RELATIVE_TOLERANCE * scale`` counts as zero (see the module docstring).
RELATIVE_TOLERANCE = 1e-10
#: a zero decision whose ``|s|`` is above ``AMBIGUITY`` times its tolerance (64 units of roundoff
#: of its scale, as :data:`tropnet.regions.vertex.NOISE_ULPS`: above rounding noise) is counted as
#: ambiguous: the plan then reruns the call on the vertex engine, whose tolerance is local (see
#: :mod:`tropnet.regions.plan`)
AMBIGUITY = 64 * 2.0**-53 / RELATIVE_TOLERANCE
#: polygon rows are read in two parts: the first ``HEAD`` vertex slots, then the longer rows' rest
HEAD = 4


def _band(v: np.ndarray, tol: Any, ties: bool = False) -> int:
    """How many values decided as zero lie above rounding noise (ambiguous decisions), and with
    ``ties`` those below it too: only an exact certificate tells a tie there from a sliver thinner
    than float64 resolves (the vertex engine's, :mod:`tropnet.regions.ties`).  Threshold layers
    pass ``ties`` (their zeros are ties or slivers); group steps do not (a polygon's vertices on
    the chord of its last cut are zeros of its old winner by construction)."""
    a = np.abs(v)
    if ties:
        return int(np.count_nonzero(a <= tol))
    return int(np.count_nonzero((a <= tol) & (a > AMBIGUITY * tol)))


def _poly_sides(verts: _Vertices, coef: np.ndarray, rows: np.ndarray, cnt: np.ndarray,
                tol: np.ndarray, ties: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`_sides` of affine functions ``coef (k, 3)`` on polygons ``rows (k, m)`` with
    ``cnt`` vertices: the first ``HEAD`` slots of every row, then the rest of the longer rows
    only (most cells have 3 to 5 vertices; rows are as wide as the widest)."""
    if rows.shape[1] <= HEAD + 1 or rows.size < 65536:  # small: one pass costs fewer calls
        return _sides(verts.eval_t(coef, rows), tol, ties)
    plus, minus, amb = _sides(verts.eval_t(coef, rows[:, :HEAD]), tol, ties)
    big = np.flatnonzero(cnt > HEAD)
    if len(big):
        tail = rows[big, HEAD : int(cnt[big].max())]
        p2, m2, a2 = _sides(verts.eval_t(coef[big], tail), tol[big], ties)
        plus[big] |= p2
        minus[big] |= m2
        amb += a2
    return plus, minus, amb


def _sides(s_t: np.ndarray, tol: np.ndarray, ties: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """For values ``s_t (m, k)`` (polygon ``i``'s vertex values in column ``i``) and tolerances
    ``tol (k,)``: whether each polygon has a vertex above ``tol``, one below ``-tol``, and the
    ambiguous decisions among its values (as :func:`_band`)."""
    pos, neg = s_t > tol, s_t < -tol
    amb = 0
    if np.count_nonzero(pos) + np.count_nonzero(neg) < s_t.size:  # some values decided as zero
        zero = ~(pos | neg)
        amb = _band(s_t[zero], np.broadcast_to(tol, s_t.shape)[zero], ties)
    return np.logical_or.reduce(pos, axis=0), np.logical_or.reduce(neg, axis=0), amb


# --------------------------------------------------------------------------- public API
def enumerate_cells(
    net: Network,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    progress: bool | None = False,
    stats: dict | None = None,
    limits: Any = None,
) -> Cells:
    """Every full-dimensional activation cell of a two-input network on a 2D domain.

    Parameters
    ----------
    net
        A :class:`~tropnet.Network` with 2 inputs (lowered to primitive layers here).
    lo, hi
        The box ``[lo, hi]`` (length-2 vectors or scalars).
    halfspaces
        Optional ``(A, b)``: the domain is the box intersected with ``{x : A x <= b}``.
    max_cells
        Raise ``RegionLimitError`` (a ``ValueError``) as soon as more cells than this exist.
    progress
        A progress bar over the activation layers (needs ``tqdm``): ``True`` at once, ``None``
        on long runs (after 2 s), ``False`` never.
    stats
        Optional dict; receives ``"ambiguous"``: the number of sign decisions made as ties
        although their values lie above rounding noise (a sliver may have been merged).  With a
        key ``"last_layer"`` it also receives, when the last activation layer is not a group,
        that layer at its start: ``coords``, ``rows``, ``cnt`` (the root polygons), ``z`` and
        ``scale`` (the layer's inputs at the vertices and the size of their terms), ``s`` (``z``
        minus the threshold), ``on`` (``s`` above its tolerance), ``signed`` (whether every
        ``|s|`` is above it) and ``pairs`` (the (root polygon, unit) pairs whose unit has values
        of both signs beyond the tolerance at its vertices, by polygon), ``roots`` (the root
        polygons' patterns).
    limits
        A :class:`tropnet._limits.Limits` (``max_seconds``, ``max_memory`` in bytes of the
        engine's arrays, a count), checked before every round of cuts: the first one passed
        raises :class:`~tropnet.regions.cells.RegionLimitError` naming it and what was reached.

    Returns
    -------
    Cells
        Patterns, a strictly interior point (the vertex average) and the vertices of each
        cell, counter-clockwise, in one shared vertex table.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1, 0], [2, 0], [1, -1], [-1, 1]], [[1, 1, 1, 1]]])
    >>> c = enumerate_cells(net, [-1, -1], [1, 1])
    >>> sorted(map(tuple, c.patterns.tolist()))
    [(0, 0, 0, 1), (0, 0, 1, 0), (1, 1, 0, 1), (1, 1, 1, 0)]
    """
    return _run(net, lo, hi, halfspaces, max_cells, progress, count_only=False, stats=stats, limits=limits)


def count_cells(
    net: Network,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    progress: bool | None = False,
    stats: dict | None = None,
    limits: Any = None,
) -> int:
    """The number of cells :func:`enumerate_cells` returns, without building the polygons
    of the last activation layer (same arguments).

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, -1, 0]], [[1]]])
    >>> count_cells(net, [-1, -1], [1, 1])  # units x, y, x + y, then relu(x) - relu(y)
    7
    """
    return _run(net, lo, hi, halfspaces, max_cells, progress, count_only=True, stats=stats, limits=limits)


# --------------------------------------------------------------------------- validation
def _check_inputs(net: Any, lo: Any, hi: Any, halfspaces: Any) -> tuple:
    if not isinstance(net, Network):
        raise TypeError(f"the 2D engine needs a tropnet Network, got {type(net).__name__}")
    if net.input_dim != 2:
        raise ValueError(f"the 2D engine needs a network with 2 inputs, this one has {net.input_dim}")
    box = []
    for name, v in (("lo", lo), ("hi", hi)):
        try:
            a = np.broadcast_to(np.asarray(v, dtype=np.float64), (2,)).copy()
        except (ValueError, TypeError) as err:
            raise ValueError(f"{name} must be a scalar or a length-2 vector, got {v!r}") from err
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite, got {a.tolist()}")
        box.append(a)
    lo_a, hi_a = box
    if np.any(lo_a >= hi_a):
        raise ValueError(f"the box is empty or lower-dimensional: lo={lo_a.tolist()}, hi={hi_a.tolist()}")
    if halfspaces is not None:
        A, b = halfspaces
        A = np.asarray(A, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != 2 or b.shape != (A.shape[0],):
            raise ValueError(
                f"halfspaces must be A of shape (k, 2) and b of shape (k,), got {A.shape}, {b.shape}"
            )
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("halfspaces contain NaN or infinite entries")
        halfspaces = (A, b)
    return lo_a, hi_a, halfspaces


# --------------------------------------------------------------------------- domain
def _domain_polygon(lo: np.ndarray, hi: np.ndarray, halfspaces: Any) -> tuple:
    corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    verts = _Vertices(corners)
    rows = np.arange(4, dtype=np.int64)[None, :]
    cnt = np.array([4])
    if halfspaces is not None:
        A, b = halfspaces
        R = np.abs(np.vstack([lo, hi])).max(axis=0)
        for a_i, b_i in zip(A, b):
            tol = np.array([RELATIVE_TOLERANCE * (np.abs(a_i) @ R + abs(b_i))])
            s = verts.coords[rows] @ a_i - b_i
            sig = _signs(s, tol)
            if not np.any(sig < 0):
                raise ValueError("the domain (box and halfspaces) is empty or lower-dimensional")
            if np.any(sig > 0):
                rows, cnt = (a[1:] for a in _split(verts, rows, cnt, s, tol))
    c = verts.coords[rows[0, : cnt[0]]]
    area = 0.5 * abs(np.sum(c[:, 0] * np.roll(c[:, 1], -1) - np.roll(c[:, 0], -1) * c[:, 1]))
    if cnt[0] < 3 or area <= RELATIVE_TOLERANCE * np.prod(hi - lo):
        raise ValueError("the domain (box and halfspaces) is empty or lower-dimensional")
    return verts, rows, cnt


# --------------------------------------------------------------------------- layers
def _layer_inputs(layers: tuple, stop: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values entering ``layers[stop]`` at points ``x`` and the scale of their terms.

    The points go through the layers in blocks of rows, so only the result is a large array
    (fresh pages are costly); affine layers and plain thresholds work in place, other layers
    run their own ``forward``."""
    # (kind, weight, bias or threshold) once: exact layers convert their weights here
    steps = []
    for layer in layers[:stop]:
        if isinstance(layer, Linear):
            steps.append(("affine", layer.float_weight, layer.float_bias))
        elif isinstance(layer, Threshold) and layer.units is None and np.ndim(layer.t) == 0:
            steps.append(("threshold", None, float(layer.t)))
        else:
            steps.append(("layer", layer, None))

    def absmax(z: np.ndarray) -> np.ndarray:
        return np.maximum(np.maximum.reduce(z, axis=0), -np.minimum.reduce(z, axis=0))

    V, block = len(x), 1024
    out = None
    tops: dict = {}  # per affine layer: the largest |value| entering it, over all points
    for i0 in range(0, V, block):
        z = x[i0 : i0 + block]
        own = False  # whether z is an array made here (then updated in place)
        for k, (kind, w, b) in enumerate(steps):
            if kind == "affine":
                top = absmax(z)
                tops[k] = np.maximum(tops[k], top) if k in tops else top
                z = np.asarray(z, dtype=np.float64) @ w.T
                z += b
                own = True
            elif kind == "threshold" and own:
                np.maximum(z, b, out=z)
            else:
                z = layers[k].forward(z)
                own = False
        if out is None:
            out = np.empty((V, z.shape[1]))
        out[i0 : i0 + block] = z
    scale = absmax(x)
    for k, layer in enumerate(layers[:stop]):
        if k in tops:
            scale = np.abs(steps[k][1]) @ tops[k] + np.abs(steps[k][2])
        elif isinstance(layer, Threshold):
            scale = np.maximum(scale, abs(float(layer.t)))
        elif isinstance(layer, GroupMax):
            scale = scale[layer.groups].max(axis=1)
    return out, scale


def _fit_frames(X: np.ndarray, Y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Three well-spread vertex slots per polygon and the inverse of their 2x2 frame."""
    P = rows.shape[0]
    ar = np.arange(P)
    px, py = X[rows], Y[rows]
    ex, ey = px - px[:, :1], py - py[:, :1]
    kb = (ex * ex + ey * ey).argmax(axis=1)
    e1x, e1y = ex[ar, kb], ey[ar, kb]
    kc = np.abs(e1x[:, None] * ey - e1y[:, None] * ex).argmax(axis=1)
    e2x, e2y = ex[ar, kc], ey[ar, kc]
    det = e1x * e2y - e1y * e2x
    inv = np.empty((P, 2, 2))
    inv[:, 0, 0], inv[:, 0, 1] = e2y / det, -e1y / det
    inv[:, 1, 0], inv[:, 1, 1] = -e2x / det, e1x / det
    return np.column_stack([rows[:, 0], rows[ar, kb], rows[ar, kc]]), inv


def _fit(X: np.ndarray, Y: np.ndarray, frame_ids: np.ndarray, inv: np.ndarray, zf: np.ndarray) -> np.ndarray:
    """Affine functions ``(gx, gy, h)`` through values ``zf (k, 3)`` at the frame vertices."""
    d1, d2 = zf[:, 1] - zf[:, 0], zf[:, 2] - zf[:, 0]
    # g solves [e1; e2] g = dz (rows e1, e2); inv is the inverse of that matrix.
    out = np.empty((len(zf), 3))
    out[:, 0] = inv[:, 0, 0] * d1 + inv[:, 0, 1] * d2
    out[:, 1] = inv[:, 1, 0] * d1 + inv[:, 1, 1] * d2
    f0 = frame_ids[:, 0]
    out[:, 2] = zf[:, 0] - out[:, 0] * X[f0] - out[:, 1] * Y[f0]
    return out


def _any_per_row(flags: tuple[np.ndarray, ...], rows: np.ndarray) -> list[np.ndarray]:
    """Each of ``flags (V, n)`` OR-ed over the vertices of each row -> ``(P, n)`` packed bits
    (``np.packbits`` along axis 1): all flags packed side by side in 64-bit words, gathered
    once per row slot."""
    n = flags[0].shape[1]
    nb = (n + 7) // 8
    stride = (nb + 7) // 8 * 8  # bytes per flag, a whole number of words
    packed = np.zeros((len(flags[0]), stride * len(flags)), dtype=np.uint8)
    for i, f in enumerate(flags):
        packed[:, i * stride : i * stride + nb] = np.packbits(f, axis=1)
    words = packed.view(np.uint64)
    acc = np.bitwise_or.reduce(words[rows.T], axis=0).view(np.uint8)  # (P, stride * len(flags))
    return [acc[:, i * stride : i * stride + nb] for i in range(len(flags))]


class _Layer:
    """One activation layer at its start: candidates of the root polygons and their fits."""

    def __init__(self, layer: Any, z: np.ndarray, scale: np.ndarray, verts: _Vertices,
                 rows: np.ndarray) -> None:
        self.group = isinstance(layer, GroupMax)
        P = rows.shape[0]
        X, Y = verts.xy[0, : verts.n], verts.xy[1, : verts.n]
        frame, inv = _fit_frames(X, Y, rows)
        self.s = None  # the values at the vertices (threshold layers: z - t), for the count
        if self.group:
            g = layer.groups
            self.n_units, self.k = g.shape
            zg = z[:, g]  # (V, G, k)
            tol_g = RELATIVE_TOLERANCE * 2 * scale[g].max(axis=1)
            srt = np.sort(zg, axis=2)
            top = zg.argmax(axis=2)
            gap = srt[..., -1] - srt[..., -2] if self.k > 1 else None
            clear = gap > tol_g if self.k > 1 else np.ones(top.shape, bool)
            self.ambiguous = _band(gap, tol_g) if self.k > 1 else 0
            top_r = top[rows]  # (P, m, G)
            fixed = (top_r == top_r[:, :1]).all(axis=1) & clear[rows].all(axis=1)
            self.start_pat = np.where(fixed, top_r[:, 0], 0).astype(np.int32)
            pr, pu = _nonzero2(~fixed)
            zf = z[frame[pr][:, :, None], g[pu][:, None, :]]  # (Q, 3, k)
            self.fits = np.stack([_fit(X, Y, frame[pr], inv[pr], zf[:, :, q]) for q in range(self.k)], axis=1)
            self.tol = tol_g[pu]
        else:
            t = float(layer.t) if isinstance(layer, Threshold) else 0.0
            self.n_units, self.k = z.shape[1], 1
            s = z - t if t else z
            tol_u = RELATIVE_TOLERANCE * np.maximum(scale, abs(t))
            pos_v, neg_v = s > tol_u, s < -tol_u
            self.ambiguous = 0
            # every value beyond its tolerance (planar_linear reads pos_v then as the signs)
            self.signed = np.count_nonzero(pos_v) + np.count_nonzero(neg_v) == s.size
            self.pos_v = pos_v
            if not self.signed:  # some values decided as 0
                zero = ~(pos_v | neg_v)
                self.ambiguous = _band(s[zero], np.broadcast_to(tol_u, s.shape)[zero], True)
            pos, neg = _any_per_row((pos_v, neg_v), rows)
            n = s.shape[1]
            self.start_pat = np.unpackbits(pos & ~neg, axis=1, count=n).view(bool).astype(np.int32)
            pr, pu = _nonzero2(np.unpackbits(pos & neg, axis=1, count=n).view(bool))
            self.fits = _fit(X, Y, frame[pr], inv[pr], s.ravel()[frame[pr] * n + pu[:, None]])
            self.s = s
            self.tol = tol_u[pu]
        self.pair_root, self.pair_unit = pr, pu
        counts = np.bincount(pr, minlength=P)
        self.end = np.cumsum(counts)
        self.ptr = self.end - counts


def _prune(
    polys: _Polygons, verts: _Vertices, lay: _Layer, cpool: _CandidatePool, children: np.ndarray
) -> None:
    """Re-test the remaining candidates of ``children``; keep those that still cross."""
    r = polys.end[children] - polys.ptr[children]
    total = int(r.sum())
    if total == 0:
        return
    owner = np.repeat(np.arange(len(children)), r)
    first = np.cumsum(r) - r
    pos = np.repeat(polys.ptr[children] - first, r) + np.arange(total)
    q = cpool.buf[pos]
    child = children[owner]
    t = lay.tol[q]
    plus, minus, amb = _poly_sides(verts, lay.fits[q], polys.rows[child], polys.cnt[child], t, True)
    lay.ambiguous += amb
    keep = plus & minus
    gone = ~keep
    if polys.pat.shape[1]:  # (flat: numpy's scatter by (row, column) pairs is slow)
        g = gone.nonzero()[0]
        polys.pat.reshape(-1)[child[g] * polys.pat.shape[1] + lay.pair_unit[q[g]]] = plus[g]
    kept = q[keep]
    n_keep = np.bincount(owner[keep], minlength=len(children))
    base = cpool.add(kept)
    polys.ptr[children] = base + np.cumsum(n_keep) - n_keep
    polys.end[children] = polys.ptr[children] + n_keep


def _next_group_step(
    polys: _Polygons, verts: _Vertices, lay: _Layer, act: np.ndarray, q: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The next cut of a ``GroupMax`` group on each active polygon, or the end of the group.

    With ``w`` the polygon's current winner and ``d_j = z_j - z_w`` on it: an earlier input
    identical to ``w`` (``|d_j| <= tol`` at every vertex) takes over at once (ties on an open
    set go to the earlier index); the group is done when no input exceeds ``w`` by more
    than ``tol`` at some vertex; otherwise the polygon is cut by the strongest challenger
    (largest ``max d_j``), whose side ``d_j > 0`` it wins.  Any order of challengers gives
    the cells of constant first-argmax, and the strongest first keeps the rounds few for
    wide groups (tropical polynomials with many monomials).
    Returns the polygons to cut, their pairs, the challengers and ``d_j``'s coefficients.
    """
    A = len(act)
    ar = np.arange(A)
    w = polys.pat[act, lay.pair_unit[q]].astype(np.int64)
    F = lay.fits[q]  # (A, k, 3)
    rows = polys.rows[act]
    X, Y = verts.xy[0][rows], verts.xy[1][rows]  # (A, m)
    lin = F[:, :, 0:1] * X[:, None, :] + F[:, :, 1:2] * Y[:, None, :]  # (A, k, m), without h
    d = lin - lin[ar, w][:, None, :] + (F[:, :, 2] - F[ar, w, 2][:, None])[:, :, None]
    top = np.maximum.reduce(d, axis=2)
    bot = np.minimum.reduce(d, axis=2)
    tol = lay.tol[q][:, None]
    lay.ambiguous += _band(top, tol) + _band(bot, tol)
    idx = np.arange(lay.k)[None, :]
    tie = (top <= tol) & (bot >= -tol) & (idx < w[:, None])
    w = np.where(tie.any(axis=1), tie.argmax(axis=1), w)  # identical earlier input: same d
    polys.pat[act, lay.pair_unit[q]] = w
    beat = top > tol
    has = beat.any(axis=1)
    polys.ptr[act[~has]] += 1
    j = np.where(beat, top, -np.inf).argmax(axis=1)[has]
    return act[has], q[has], j, (F[ar[has], j] - F[ar[has], w[has]])


def _refine(polys: _Polygons, verts: _Vertices, lay: _Layer, max_cells: int | None, limits: Any = None,
            held: int = 0) -> None:
    """Cut every polygon by all its candidates, in rounds (``limits`` checked before each,
    on the polygons plus ``held`` bytes)."""
    cpool = _CandidatePool(len(lay.pair_root))
    keep_pat = polys.pat.shape[1] > 0  # a count needs no patterns of threshold layers
    if not lay.group:
        # every candidate tested on its root by its fit, as after each cut: a candidate at the
        # front of a polygon's list then always crosses it
        _prune(polys, verts, lay, cpool, np.arange(polys.n))
    while True:
        act = np.flatnonzero(polys.ptr[: polys.n] < polys.end[: polys.n])
        if len(act) == 0:
            return
        if limits is not None:
            # the polygons, the vertices, and one round's scratch (values of every vertex row cut)
            scratch = 24 * len(act) * polys.rows.shape[1]
            nbytes = held + polys.nbytes + verts.xy.nbytes + cpool.buf.nbytes + scratch
            check_passed(limits, polys.n, nbytes)
        q = cpool.buf[polys.ptr[act]]
        if lay.group:
            act, q, j, coef = _next_group_step(polys, verts, lay, act, q)
            if len(act) == 0:
                continue
        else:
            coef = lay.fits[q]
        unit = lay.pair_unit[q]
        rows = polys.rows[act]
        s_t = verts.eval_t(coef, rows)
        tol = lay.tol[q]
        if not lay.group:  # the front candidate crosses (tested by _prune): cut every polygon
            polys.ptr[act] += 1
            rows_c, cnt_c = _split(verts, rows, polys.cnt[act], s_t.T, tol, unit)
            new = polys.append_copies(act)  # the - children keep the old label
            children = np.concatenate([act, new])
            polys.put_rows(children, rows_c)
            polys.cnt[children] = cnt_c
            if keep_pat:
                polys.pat.reshape(-1)[act * polys.pat.shape[1] + unit] = 1
            if max_cells is not None and polys.n > max_cells:
                raise RegionLimitError(f"more than {max_cells} cells; raise max_regions or shrink the domain",
                                       "max_regions", {"cells": max_cells + 1})
            _prune(polys, verts, lay, cpool, children)
            continue
        plus, minus, amb = _sides(s_t, tol)
        lay.ambiguous += amb
        split = plus & minus
        # the whole polygon on the + side takes the new label (the challenger j); on the - side
        # it keeps the old; a group ends in _next_group_step
        on_plus = plus & ~split
        polys.pat[act[on_plus], unit[on_plus]] = j[on_plus]
        sp = act[split]
        if len(sp) == 0:
            continue
        rows_c, cnt_c = _split(verts, rows[split], polys.cnt[sp], s_t[:, split].T, tol[split])
        new = polys.append_copies(sp)  # the - children keep the old label
        children = np.concatenate([sp, new])
        polys.put_rows(children, rows_c)
        polys.cnt[children] = cnt_c
        polys.pat[sp, unit[split]] = j[split]
        if max_cells is not None and polys.n > max_cells:
            raise RegionLimitError(f"more than {max_cells} cells; raise max_regions or shrink the domain",
                                   "max_regions", {"cells": max_cells + 1})


def _count_pieces(verts: _Vertices, rows: np.ndarray, lay: _Layer) -> int:
    """Cells after cutting every root polygon by its candidate lines, without polygons.

    Each root with ``L`` distinct crossing lines has ``1 + L + sum_x (m_x - 1)`` pieces:
    adding the lines in order, line ``j`` adds one piece plus one per distinct point where
    it crosses earlier lines inside the polygon.  Decisions (crossing, coincidence, common
    points) are the ones the polygon path makes at the vertices it would create.
    """
    P, m = rows.shape
    pr, F, tol = lay.pair_root, lay.fits, lay.tol
    Q = len(pr)
    if Q == 0:
        return P
    # the values at the vertices decided the candidates (each crosses its root: a vertex on
    # each side, ties counted as ambiguous there); the chord ends interpolate them
    rr = rows[pr]
    n = lay.s.shape[1]
    s = lay.s.ravel()[rr * n + lay.pair_unit[:, None]]
    sig = _signs(s, tol)
    # a row's padding repeats its first id, so the slot after the last vertex (the next one,
    # rolling by one) holds the first vertex, and padding slots never see a sign change
    sig_n = np.empty_like(sig)
    sig_n[:, :-1] = sig[:, 1:]
    sig_n[:, -1] = sig[:, 0]
    ar = np.arange(Q)
    X, Y = verts.xy[0], verts.xy[1]
    ends = []
    for side in (1, -1):  # where the run of vertices on one side ends: one chord endpoint
        k = ((sig == side) & (sig_n != side)).argmax(axis=1)
        kn = k + 1
        kn[kn == m] = 0
        sa, sb = s[ar, k], s[ar, kn]
        ia, ib = rr[ar, k], rr[ar, kn]
        t = np.where(sig_n[ar, k] == 0, 1.0, sa / np.where(sa == sb, 1.0, sa - sb))
        xa, ya = X[ia], Y[ia]
        e = np.empty((Q, 2))
        e[:, 0] = xa + t * (X[ib] - xa)
        e[:, 1] = ya + t * (Y[ib] - ya)
        ends.append(e)
    e1, e2 = ends
    # all pairs i < j of lines of the same root
    counts = np.bincount(pr, minlength=P)
    start = np.cumsum(counts) - counts
    later = counts[pr] - 1 - (ar - start[pr])
    n_pairs = int(later.sum())
    L = Q
    if n_pairs == 0:
        return P + L
    I = np.repeat(ar, later)
    J = I + 1 + np.arange(n_pairs) - np.repeat(np.cumsum(later) - later, later)

    F0, F1, F2 = F[:, 0].copy(), F[:, 1].copy(), F[:, 2].copy()

    def at(lines: np.ndarray, pts: np.ndarray) -> np.ndarray:
        return F0[lines] * pts[:, 0] + F1[lines] * pts[:, 1] + F2[lines]

    v1, v2 = at(J, e1[I]), at(J, e2[I])
    tJ = tol[J]
    lay.ambiguous += _band(v1, tJ, True) + _band(v2, tJ, True)
    dup = (np.abs(v1) <= tJ) & (np.abs(v2) <= tJ)
    kept = np.bincount(J[dup], minlength=Q) == 0
    L = int(kept.sum())
    cross = kept[I] & kept[J] & (((v1 > tJ) & (v2 < -tJ)) | ((v1 < -tJ) & (v2 > tJ)))
    I, J, v1, v2 = I[cross], J[cross], v1[cross], v2[cross]
    crossings = len(I)
    # only a line crossed twice or more can carry a point where three lines meet
    multi = np.bincount(J, minlength=Q)[J] > 1
    I, J, v1, v2 = I[multi], J[multi], v1[multi], v2[multi]
    if len(I) == 0:
        return P + L + crossings
    pt = e1[I] + (v1 / (v1 - v2))[:, None] * (e2[I] - e1[I])
    tau = np.einsum("ki,ki->k", pt - e1[J], e2[J] - e1[J])
    order = np.lexsort((tau, J))
    I, J = I[order], J[order]
    same_line = J[1:] == J[:-1]
    a, b, jj = I[:-1][same_line], I[1:][same_line], J[1:][same_line]
    # consecutive crossings on line j are one point when lines a, b meet on line j
    w1, w2 = at(b, e1[a]), at(b, e2[a])
    par = w1 == w2
    y = e1[a] + (w1 / np.where(par, 1.0, w1 - w2))[:, None] * (e2[a] - e1[a])
    lay.ambiguous += _band(at(jj, y)[~par], tol[jj][~par], True)
    same = ~par & (np.abs(at(jj, y)) <= tol[jj])
    return P + L + crossings - int(same.sum())


# --------------------------------------------------------------------------- driver
def _run(net: Any, lo: Any, hi: Any, halfspaces: Any, max_cells: int | None, progress: bool | None,
         count_only: bool, stats: dict | None = None, limits: Any = None) -> Any:
    stats = {} if stats is None else stats
    stats["ambiguous"] = 0
    _check_inputs(net, lo, hi, halfspaces)  # before the bar: bad input raises at once
    bar = progress_bar(len(_activations(net.lowered().layers)), progress, "2D cells", "layer")
    try:
        out = _run_layers(net, lo, hi, halfspaces, max_cells, bar, count_only, stats, limits)
    finally:
        if bar is not None:
            bar.close()
    if not count_only and stats["ambiguous"]:
        out = dataclasses.replace(out, ambiguous=stats["ambiguous"])
    return out


def _activations(layers: Any) -> list[int]:
    return [i for i, layer in enumerate(layers) if isinstance(layer, (Threshold, LeakyReLU, GroupMax))]


def _run_layers(net: Any, lo: Any, hi: Any, halfspaces: Any, max_cells: int | None, bar: Any,
                count_only: bool, stats: dict, limits: Any) -> Any:
    lo_a, hi_a, halfspaces = _check_inputs(net, lo, hi, halfspaces)
    if max_cells is not None and (not isinstance(max_cells, (int, np.integer)) or max_cells < 1):
        raise ValueError(f"max_cells must be a positive integer or None, got {max_cells!r}")
    layers = net.lowered().layers
    acts = _activations(layers)
    verts, rows, cnt = _domain_polygon(lo_a, hi_a, halfspaces)
    prev_pat = np.zeros((1, 0), dtype=np.int32)
    # every vertex created by a split is used by both children; only the domain clipping
    # leaves unused vertices behind
    used, inverse = np.unique(rows, return_inverse=True)
    rows = inverse.reshape(rows.shape)
    verts = _Vertices(verts.coords[used])
    many_roots = False  # whether the last layer cut several root polygons (copies across roots)
    for n_done, li in enumerate(acts):
        if n_done:
            verts, rows = _merge_copies(verts, rows, by_edge=many_roots)
        many_roots = len(rows) > 1
        z, scale = _layer_inputs(layers, li, verts.coords)
        lay = _Layer(layers[li], z, scale, verts, rows)
        # the caller's hook (stats["last_layer"] present): the last layer's inputs at the vertices
        # of its root polygons (regions.planar_linear reads whether neighbouring cells share maps)
        keep = "last_layer" in stats and n_done == len(acts) - 1 and not lay.group
        if keep:
            stats["last_layer"] = dict(coords=verts.coords.copy(), rows=rows, cnt=cnt, z=z, scale=scale,
                                       s=lay.s, pairs=(lay.pair_root, lay.pair_unit), on=lay.pos_v,
                                       signed=lay.signed, roots=prev_pat)
        if count_only and n_done == len(acts) - 1 and not lay.group:
            # the counting step's arrays: every (polygon, line) pair's vertex rows, values, signs
            need = prev_pat.nbytes + rows.nbytes + 32 * len(lay.pair_root) * rows.shape[1]
            check_passed(limits, len(rows), need)
            total = _count_pieces(verts, rows, lay)
            stats["ambiguous"] += lay.ambiguous
            if bar is not None:
                bar.update(1)
            if max_cells is not None and total > max_cells:
                raise RegionLimitError(f"{total} cells exceed the limit of {max_cells}", "max_regions",
                                       {"cells": total})
            return total
        # a count keeps the patterns only where the engine reads them (GroupMax winners), or
        # where the caller reads the root polygons' (stats["last_layer"])
        keep_pat = lay.group or not count_only or "last_layer" in stats
        polys = _Polygons(rows, cnt, lay.n_units if keep_pat else 0, lay.k)
        if keep_pat:
            polys.pat[: polys.n] = lay.start_pat
        polys.ptr[: polys.n] = lay.ptr
        polys.end[: polys.n] = lay.end
        _refine(polys, verts, lay, max_cells, limits, prev_pat.nbytes)
        stats["ambiguous"] += lay.ambiguous
        n = polys.n
        rows, cnt, root, cur = polys.rows[:n], polys.cnt[:n], polys.root[:n], polys.pat[:n]
        if lay.group:
            rows, cnt, root, cur = _merge_pieces(verts.coords, rows, cnt, root, cur)
        rows, cnt = rows.copy(), cnt.copy()
        n = len(rows)
        pat = np.empty((n, prev_pat.shape[1] + cur.shape[1]), dtype=np.int32)
        pat[:, : prev_pat.shape[1]] = prev_pat[root]
        pat[:, prev_pat.shape[1] :] = cur
        prev_pat = pat
        if bar is not None:
            bar.update(1)
            bar.note(f"cells={n}")
    if max_cells is not None and len(rows) > max_cells:
        raise RegionLimitError(f"{len(rows)} cells exceed the limit of {max_cells}", "max_regions",
                               {"cells": len(rows)})
    if count_only:
        return int(len(rows))
    return _to_cells(verts, rows, cnt, prev_pat, many_roots)


def _to_cells(verts: _Vertices, rows: np.ndarray, cnt: np.ndarray, pat: np.ndarray, by_edge: bool) -> Cells:
    verts, rows = _merge_copies(verts, rows, by_edge)
    valid = np.arange(rows.shape[1])[None, :] < cnt[:, None]
    coords = verts.coords.copy()
    pts = coords[rows]
    points = (pts * valid[..., None]).sum(axis=1) / cnt[:, None]
    offsets = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
    return Cells(
        patterns=np.ascontiguousarray(pat, dtype=np.int32),
        points=points,
        vertex_coords=coords,
        vertex_offsets=offsets,
        vertex_ids=rows[valid].astype(np.int64),
    )
