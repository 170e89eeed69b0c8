"""The float mode of :mod:`tropnet.kernels.hull`: Qhull with documented tolerances, HiGHS LPs above
``QHULL_MAX_DIM``.  A decision inside its tolerance band raises :class:`_Ambiguous`, and the
caller decides exactly on the dyadic rationals the floats store (see :mod:`tropnet.kernels.hull`
for the tolerances and why).

>>> _float_vertices(np.array([[0.], [1.], [2.]]), np.array([0., 1., 0.])).tolist()
[0, 1, 2]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from .merge import group_max

__all__ = ["RANK_RTOL", "FLAT_RTOL", "UPPER_TOL", "AMBIGUOUS_RTOL", "QHULL_MAX_DIM", "LP_TOL"]

RANK_RTOL = 1e-10
"""Float mode: singular values below ``RANK_RTOL * s_max`` count as zero."""

FLAT_RTOL = 1e-10
"""Float mode: a lift within ``FLAT_RTOL * max(1, max|c|)`` of an affine function is flat."""

UPPER_TOL = 1e-10
"""Float mode: a facet is upper when its unit normal's last component exceeds this."""

AMBIGUOUS_RTOL = 1e-8
"""Float mode: a decision (affine rank, flatness, coincidence, facet incidence, upper facet)
whose quantity is neither within its tolerance nor above ``AMBIGUOUS_RTOL`` (relative) is
ill-conditioned and is made exactly on the dyadic rationals the floats store."""

QHULL_MAX_DIM = 6
"""Lifted dimension up to which Qhull proposes the hull; above it (Qhull's cost explodes in 7D)
each point not found by random directions gets one HiGHS LP (``LP_TOL``: margin for a vertex)."""

LP_TOL = 1e-9


class _Ambiguous(Exception):
    """A float decision fell inside its tolerance band: decide on the stored dyadic rationals."""


def _exact_copy(a: np.ndarray) -> np.ndarray:
    """The Fractions a float array stores (exact dyadic rationals)."""
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [Fraction(float(v)) for v in a.ravel().tolist()]
    return out


def _float_lift(A: np.ndarray, c: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """The lifted points in coordinates of the exponents' affine hull (float, with tolerances).

    Returns ``("point", None, None)`` when all exponents coincide, ``("flat", Y, None)`` when the
    lift is affine (Y: exponents in r coordinates scaled to unit range), else
    ``("full", Y, L)`` with ``L = [Y, lift]``, the lift replaced by its residual from the best
    affine fit: the same upper hull (an affine change of the lift), better scaled.

    Scale-aware: each exponent column is scaled to unit range first (a column of 1e-67 weighs
    as much as a column of 1e11).  Raises :class:`_Ambiguous` when a decision is not clear by
    a wide margin (``AMBIGUOUS_RTOL``): a singular value, a residual of the affine fit or the
    distance between two scaled points that is neither zero nor large.
    """
    m = len(c)
    D = A - A.mean(axis=0)
    if D.shape[1] == 0 or not np.any(D):
        return "point", None, None
    D = D[:, np.any(D != 0, axis=0)]  # columns constant in the input: no direction at all
    D = D / np.abs(D).max(axis=0)
    _, sv, Vt = np.linalg.svd(D, full_matrices=False)
    ratio = sv / sv[0]
    if np.any((ratio <= AMBIGUOUS_RTOL) & (ratio > RANK_RTOL)):
        raise _Ambiguous("affine rank")
    r = int(np.sum(ratio > RANK_RTOL))
    Y = D @ Vt[:r].T
    Y = Y / np.abs(Y).max(axis=0)
    design = np.hstack([Y, np.ones((m, 1))])
    coef, *_ = np.linalg.lstsq(design, c, rcond=None)
    resid = c - design @ coef
    size = float(np.abs(resid).max())
    scale = max(float(np.abs(c).max()), float(np.abs(design * coef).max()), 1e-300)
    if size <= FLAT_RTOL * max(1.0, float(np.abs(c).max())):
        return "flat", Y, None
    if size <= AMBIGUOUS_RTOL * scale:
        raise _Ambiguous("flat lift")
    if m <= 4096:
        from scipy.spatial import cKDTree

        dist, _ = cKDTree(Y).query(Y, k=2)
        if float(dist[:, 1].min()) <= AMBIGUOUS_RTOL:
            raise _Ambiguous("near-coincident exponents")
    return "full", Y, np.hstack([Y, (resid / size)[:, None]])


def _float_vertices(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    if len(c) <= 1:
        return np.arange(len(c))
    kind, Y, L = _float_lift(A, c)
    if kind == "point":
        return np.array([int(np.argmax(c))])
    if kind == "flat":
        return _float_polytope_vertices(Y)
    if L.shape[1] > QHULL_MAX_DIM:
        return np.flatnonzero(_lp_vertices(L)[0])
    try:
        hull = ConvexHull(L)
    except QhullError:  # precision trouble on near-degenerate input: the LP path decides
        return np.flatnonzero(_lp_vertices(L)[0])
    lift = hull.equations[:, -2]
    if np.any((lift > UPPER_TOL * 1e-3) & (lift <= AMBIGUOUS_RTOL)):
        raise _Ambiguous("a nearly vertical facet")
    upper = lift > UPPER_TOL
    return _true_vertices(L, hull.equations, np.unique(hull.simplices[upper]))


def _true_vertices(L: np.ndarray, equations: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The candidates (corners of Qhull's triangulated facets) that are vertices: those whose
    tight facet normals span the space.  Qhull's triangulation can make a point in the middle
    of an edge or a facet the corner of a sliver triangle (its own arithmetic is not exact),
    which would keep a monomial that never attains the max on an open set."""
    if len(cand) == 0:
        return cand
    D = L.shape[1]
    scale = max(1.0, float(np.abs(L).max()))
    dist = L[cand].dot(equations[:, :-1].T) + equations[:, -1]  # (K, F), unit normals
    tight = np.abs(dist) <= FLAT_RTOL * scale
    if np.any(~tight & (np.abs(dist) <= AMBIGUOUS_RTOL * scale)):
        raise _Ambiguous("a point near a facet")
    counts = tight.sum(axis=1)
    keep = counts >= D
    k = int(counts.max())
    if k:
        # singular values of each candidate's tight normals (padded with zero rows)
        order = np.argsort(~tight, axis=1, kind="stable")[:, :k]
        rows = equations[order, :-1] * np.take_along_axis(tight, order, axis=1)[:, :, None]
        sv = np.linalg.svd(rows, compute_uv=False)  # (K, min(k, D))
        rank = (sv > RANK_RTOL * np.maximum(sv[:, :1], 1e-300)).sum(axis=1)
        keep &= rank >= D
    return cand[keep]


def _float_polytope_vertices(Y: np.ndarray) -> np.ndarray:
    if Y.shape[1] == 1:
        return np.unique([int(np.argmin(Y[:, 0])), int(np.argmax(Y[:, 0]))])
    if Y.shape[1] < QHULL_MAX_DIM:
        try:
            return np.asarray(ConvexHull(Y).vertices)
        except QhullError:
            pass
    # vertices of conv(Y) = upper-hull vertices in the last axis, and lower-hull ones
    found = []
    for sign in (1.0, -1.0):
        reps = group_max(Y[:, :-1], sign * Y[:, -1])
        found.append(reps[_float_vertices(Y[reps, :-1], sign * Y[reps, -1])])
    return np.unique(np.concatenate(found))


def _direction_vertices(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices found by random directions x: the winner of ``max_i (c_i + <a_i, x>)`` by a
    margin.  Returns ``(is_vertex mask, witnesses (m, d-1))`` for float points L (m, d)."""
    m, d = L.shape
    r = d - 1
    A, c = L[:, :r], L[:, r]
    is_v = np.zeros(m, dtype=bool)
    witness = np.zeros((m, r))
    rng = np.random.default_rng(20240611)
    K = int(min(4096, max(64, 8 * m)))
    X = rng.standard_normal((r, K)) * 10.0 ** rng.uniform(-1, 1, size=K)
    step = max(1, (1 << 22) // m)
    for s0 in range(0, K, step):
        Xs = X[:, s0 : s0 + step]
        vals = A @ Xs + c[:, None]
        second = np.partition(vals, m - 2, axis=0)[m - 2]
        win = np.argmax(vals, axis=0)
        margin = vals[win, np.arange(vals.shape[1])] - second
        ok = margin > LP_TOL * (1.0 + np.abs(vals).max(axis=0))
        is_v[win[ok]] = True
        witness[win[ok]] = Xs[:, ok].T
    return is_v, witness


def _witness_lp(L: np.ndarray, j: int, rows: np.ndarray) -> tuple[float, np.ndarray]:
    """``max t`` s.t. ``(c_j - c_i) + <a_j - a_i, x> >= t`` (i in rows), ``t <= 1``: the optimal
    ``t`` (``-inf`` when HiGHS reports no optimum) and ``x``.  ``t > 0`` exactly when point j is
    a vertex of the upper hull of itself and the rows."""
    from .lp import solve_lp

    r = L.shape[1] - 1
    cost = np.zeros(r + 1)
    cost[-1] = -1.0
    ub = np.full(r + 1, np.inf)
    ub[-1] = 1.0
    G = np.hstack([L[rows, :r] - L[j, :r], np.ones((len(rows), 1))])
    status, z = solve_lp(cost, G, L[j, r] - L[rows, r], np.full(r + 1, -np.inf), ub)
    return (float(z[-1]) if status == "optimal" else -np.inf), z[:r]


def _lp_vertices(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper-hull vertices of float points L (m, d) (last column the lift), by LPs.

    Random directions first (:func:`_direction_vertices`).  Each remaining point j gets the
    witness LP over the vertices found so far: j is a non-vertex when ``t <= LP_TOL``, and a
    vertex when the optimal x also beats all points.  Only otherwise a second LP runs over all
    points still in play (known non-vertices are dropped: removing a point that is in the hull
    of the others changes no hull), and its witness x is checked against every point too.
    Returns ``(is_vertex mask, witnesses (m, d-1))``.

    Like the Qhull path, it raises :class:`_Ambiguous` when a decision falls inside
    its band -- an LP optimum ``t`` or a witness's margin ``gap`` (the winner's lead at x,
    evaluated directly) with ``LP_TOL < |value| <= AMBIGUOUS_RTOL`` times the values' size, or
    an LP optimum clearly above zero whose witness does not win clearly -- so that the caller
    decides exactly on the stored dyadic rationals.
    """
    m, d = L.shape
    A, c = L[:, : d - 1], L[:, d - 1]
    is_v, witness = _direction_vertices(L)
    active = np.ones(m, dtype=bool)

    def band(v: float, size: float) -> bool:
        return LP_TOL * size < abs(v) <= AMBIGUOUS_RTOL * size

    for j in np.flatnonzero(~is_v):
        t, x = _witness_lp(L, j, np.flatnonzero(is_v))
        found = t > LP_TOL
        if band(t, 1.0):
            raise _Ambiguous("an LP optimum within the band")
        for attempt in range(2):
            if not found:
                break
            vals = A @ x + c
            size = 1.0 + float(np.abs(vals).max())
            gap = float(vals[j] - np.delete(vals, j).max(initial=-np.inf))
            if gap > LP_TOL * size and not band(gap, size):  # the witness wins clearly: a vertex
                break
            if attempt == 1 or band(gap, size):
                raise _Ambiguous("a witness whose lead is within the band")
            # the witness against the known vertices loses somewhere: all points still in play
            rows = np.flatnonzero(active)
            t, x = _witness_lp(L, j, rows[rows != j])
            found = t > LP_TOL
            if band(t, 1.0):
                raise _Ambiguous("an LP optimum within the band")
        if found:
            is_v[j] = True
            witness[j] = x
        else:
            active[j] = False
    return is_v, witness
