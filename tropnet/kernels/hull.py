"""Upper-hull vertices of lifted points: which monomials of a tropical polynomial matter.

A monomial ``c_i + <a_i, x>`` of ``max_i (c_i + <a_i, x>)`` attains the maximum on a
full-dimensional set iff its lifted point ``(a_i, c_i)`` is a vertex of the *upper hull*
``P = conv{(a_i, c_i)} + cone{(0, ..., 0, -1)}`` (Maclagan-Sturmfels, Prop. 3.1.6).  The
exponent rows ``a_i`` must be distinct (merge equal exponents by max first, see
:func:`tropnet.kernels.poly.normalize`).

Float input (float64 arrays)
    Qhull (``scipy.spatial.ConvexHull``, default options, never ``QJ``) on the lifted points in
    coordinates of their affine hull, each coordinate scaled to unit range.  Tolerances: the
    affine rank uses singular values above ``1e-10`` times the largest; a lift is treated as
    flat when every coefficient is within ``1e-10 * max(1, max|c|)`` of an affine function of
    the exponents; a facet is upper when its unit normal has last component above ``1e-10``.
    Exponent columns are scaled to unit range one by one.  Quantities within the tolerances
    are ties; a decision that falls between its tolerance and ``AMBIGUOUS_RTOL`` (1e-8,
    relative) -- an affine rank, a flat lift, a point near a facet, a nearly vertical facet --
    and two exponents closer than ``AMBIGUOUS_RTOL`` (relative to the exponents' range) are
    ill-conditioned: the whole hull is then computed exactly on the dyadic rationals the floats
    store.
    Above lifted dimension ``QHULL_MAX_DIM`` (6), where Qhull's cost explodes, random
    directions find most vertices and one HiGHS LP per remaining point decides (margin
    ``LP_TOL``).

Exact input (object arrays of :class:`~fractions.Fraction`)
    Qhull or the LPs only *propose*; nothing float decides.  Values are scaled to integers, the
    affine hull is found with exact integer rank (python-flint), and every proposed facet's
    hyperplane is recomputed exactly from its vertices and checked against *all* points.  A
    point is a certified vertex when the valid facets through it meet in no other point (a
    positive combination of their normals exposes it alone), or, on the LP path, when its LP
    witness ``x`` makes its monomial the strict exact winner.  A point is a certified
    non-vertex when its exponent lies in the projection of an upper facet simplex not
    containing it (exact barycentric coordinates), or, on the LP path, when LP weights
    recomputed exactly on their support write it as a convex combination of others lying
    above it.  Points no certificate settles (near-degenerate input where rounding misled
    Qhull) are decided by ``cdd.gmp.redundant_rows`` on the certified vertices plus the
    undecided points and the ray -- exact because every other point is a certified
    non-vertex -- or, without pycddlib, by an exact phase-1 simplex in Fractions.

    Cost: checking every plane on every point is O(points x facets) integer-sign decisions,
    most of them settled by a rigorous float filter in BLAS; plane normals come from one batch
    of float minors that are exact below Hadamard's bound 2**40 (python-flint otherwise).

Dual subdivisions (:func:`upper_facets`) use the same exact planes; exact cells are accepted
when the projected upper cells' volume equals the projected lower cells' (a consistency check
on Qhull's combinatorics), else they come from ``cdd.gmp``.

>>> import numpy as np
>>> from fractions import Fraction as F
>>> A = np.array([[0], [1], [2]], dtype=object); c = np.array([F(0), F(0), F(-1)], dtype=object)
>>> upper_hull_vertices(A, c).tolist()          # max(0, x, 2x-1): all three matter
[0, 1, 2]
>>> upper_hull_vertices(np.array([[0.], [1.], [2.]]), np.array([0., 0., 0.])).tolist()
[0, 2]
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from .._quiet import silenced_fd
from .certify import AmbiguousGeometryWarning
from .merge import group_max
from .scaled import as_int_array, fits_int64, int_matmul, to_scaled

__all__ = [
    "upper_hull_vertices",
    "upper_hull_mask",
    "upper_facets",
    "polytope_vertices",
    "RANK_RTOL",
    "FLAT_RTOL",
    "UPPER_TOL",
    "QHULL_MAX_DIM",
    "LP_TOL",
    "AMBIGUOUS_RTOL",
]

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


def upper_hull_mask(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Boolean mask of the points ``(A[i], c[i])`` that are vertices of the upper hull.

    ``A`` has shape (m, n) with distinct rows, ``c`` shape (m,); both float64 (Qhull with the
    documented tolerances) or both object arrays of Fractions (exact, no tolerance).

    >>> upper_hull_mask(np.array([[0.], [1.], [2.]]), np.array([0., 1., 0.])).tolist()
    [True, True, True]
    """
    mask = np.zeros(len(c), dtype=bool)
    mask[upper_hull_vertices(A, c)] = True
    return mask


def upper_hull_vertices(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sorted indices of the points ``(A[i], c[i])`` that are vertices of the upper hull.

    See the module docstring for the float tolerances and the exact certificates.

    >>> A = np.array([[0, 0], [2, 0], [0, 2], [1, 1]], dtype=object)
    >>> upper_hull_vertices(A, np.array([0, 0, 0, -1], dtype=object)).tolist()
    [0, 1, 2]
    >>> upper_hull_vertices(A, np.array([0, 0, 0, 1], dtype=object)).tolist()
    [0, 1, 2, 3]
    """
    A = np.asarray(A)
    c = np.asarray(c)
    if A.ndim != 2 or c.ndim != 1 or A.shape[0] != c.shape[0]:
        raise ValueError(f"exponents must be (m, n) and coefficients (m,); got {A.shape} and {c.shape}")
    m = len(c)
    if m <= 2:  # two distinct exponents: each monomial wins far out in its own direction
        return np.arange(m)
    if c.dtype == object or A.dtype == object:
        Az, _ = to_scaled(A)
        cz, _ = to_scaled(c)
        return np.sort(_exact_int_vertices(Az, cz))
    A, c = A.astype(np.float64), c.astype(np.float64)
    try:
        return np.sort(_float_vertices(A, c))
    except _Ambiguous:  # ill-conditioned floats: decide exactly on the dyadic rationals they store
        return upper_hull_vertices(_exact_copy(A), _exact_copy(c))


def polytope_vertices(A: np.ndarray) -> np.ndarray:
    """Sorted indices of rows of ``A`` that are vertices of ``conv(rows)`` (first of equal rows).

    Exact for object (Fraction) input; float input uses Qhull with the module's tolerances.

    >>> polytope_vertices(np.array([[0, 0], [1, 0], [0, 1], [1, 1], [1, 1]], dtype=object)).tolist()
    [0, 1, 2, 3]
    """
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"points must have shape (m, n); got {A.shape}")
    if len(A) <= 1:
        return np.arange(len(A))
    exact = A.dtype == object
    P = to_scaled(A)[0] if exact else A.astype(np.float64)
    first = np.sort(group_max(P, -np.arange(len(P))))  # the first of equal rows
    P = P[first]
    flat = np.zeros(len(P), dtype=P.dtype)  # a constant lift: only the projection Y is used
    if not exact:
        try:
            kind, Y, _ = _float_lift(P, flat)
            if kind == "point":
                return first[:1]
            found = _float_polytope_vertices(Y)
            return np.sort(first[found])
        except _Ambiguous:
            return polytope_vertices(_exact_copy(np.asarray(A, dtype=np.float64)))
    kind, Y, _ = _exact_lift(P, flat)
    if kind == "point":
        return first[:1]
    found = _exact_polytope_vertices(Y) if exact else _float_polytope_vertices(Y)
    return np.sort(first[found])




def upper_facets(A: np.ndarray, c: np.ndarray) -> list[tuple[int, ...]]:
    """The maximal cells of the regular subdivision of the exponents induced by the lift ``c``.

    Each cell is the sorted tuple of indices ``i`` whose lifted point ``(A[i], c[i])`` lies on
    one facet of the upper hull (so non-vertex points lying on a face are included).  ``A``
    must have distinct rows.  Exact input: every facet plane is recomputed exactly and checked
    against all points, and the cells' volumes are checked to add up to the Newton polytope's
    (else the facets come from ``cdd.gmp``); float input: Qhull with the module's tolerances.

    >>> A = np.array([[0], [1], [2]], dtype=object)
    >>> upper_facets(A, np.array([0, 0, -1], dtype=object))   # max(0, x, 2x-1): two cells
    [(0, 1), (1, 2)]
    >>> upper_facets(A, np.array([0, 1, 2], dtype=object))    # an affine lift: one cell
    [(0, 1, 2)]
    """
    A = np.asarray(A)
    c = np.asarray(c)
    if A.ndim != 2 or c.ndim != 1 or A.shape[0] != c.shape[0]:
        raise ValueError(f"exponents must be (m, n) and coefficients (m,); got {A.shape} and {c.shape}")
    m = len(c)
    if m <= 1:
        return [tuple(range(m))] if m else []
    if A.dtype == object or c.dtype == object:
        kind, _, L = _exact_lift(to_scaled(A)[0], to_scaled(c)[0])
        return _exact_cells(L) if kind == "full" else [tuple(range(m))]
    A, c = A.astype(np.float64), c.astype(np.float64)
    try:
        kind, _, L = _float_lift(A, c)
        if kind != "full":
            return [tuple(range(m))]
        hull = ConvexHull(L)
    except (QhullError, _Ambiguous):  # near-degenerate floats: decide on the dyadic rationals they store
        return upper_facets(_exact_copy(A), _exact_copy(c))
    lift = hull.equations[:, -2]
    eq = hull.equations[lift > UPPER_TOL]
    slack = np.abs(L @ eq[:, :-1].T + eq[:, -1])
    if np.any((lift > UPPER_TOL * 1e-3) & (lift <= AMBIGUOUS_RTOL)) or np.any(
        (slack > 1e-9) & (slack <= AMBIGUOUS_RTOL)
    ):
        try:  # a decision inside the band: decide on the dyadic rationals the floats store
            return upper_facets(_exact_copy(A), _exact_copy(c))
        except ExactOracleMissing:
            import warnings

            warnings.warn(
                "a float dual subdivision has a facet decision within rounding and its exact check "
                "needs cdd.gmp, which is not installed: Qhull's decision is kept (install "
                "tropnet[exact] to decide it exactly)",
                AmbiguousGeometryWarning,
                stacklevel=3,
            )
    tight = slack <= 1e-9
    cells = {tuple(np.flatnonzero(tight[:, h]).tolist()) for h in range(len(eq))}
    return sorted(cells)


def _exact_cells(L: np.ndarray) -> list[tuple[int, ...]]:
    flint = _flint()
    d = L.shape[1]
    found = _exact_planes(L)
    if found is not None:
        N, b, tight, plane_simplices, upper = found

        def projected_volume(planes) -> int:
            total = 0
            for h in planes:
                for simplex in plane_simplices[h]:
                    rows = [[*(int(x) for x in L[i, : d - 1]), 1] for i in simplex]
                    total += abs(int(flint.fmpz_mat(rows).det()))
            return total

        up = np.flatnonzero(upper)
        low = np.flatnonzero(np.array([int(x) < 0 for x in N[:, d - 1]], dtype=bool))
        vol_up = projected_volume(up)
        if vol_up > 0 and vol_up == projected_volume(low):
            return sorted(tuple(sorted(tight[:, [h]].nonzero()[0].tolist())) for h in up)
    return _cells_with_cdd(L)


class ExactOracleMissing(ImportError):
    """The exact dual subdivision needs ``cdd.gmp`` (the ``exact`` extra) and it is not installed."""


def _cells_with_cdd(L: np.ndarray) -> list[tuple[int, ...]]:
    try:
        import cdd
        import cdd.gmp
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ExactOracleMissing(
            "this exact dual subdivision needs the exact polyhedral oracle cdd.gmp; install it with "
            "`pip install tropnet[exact]` (needs `apt-get install libcdd-dev libgmp-dev`)"
        ) from err
    d = L.shape[1]
    rows = [[1, *(Fraction(int(v)) for v in row)] for row in L]
    rows.append([0] * d + [-1])
    P = cdd.gmp.polyhedron_from_matrix(cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR))
    H = cdd.gmp.copy_inequalities(P)
    cells = []
    for row in H.array:
        b0, w = Fraction(row[0]), [Fraction(x) for x in row[1:]]
        if w[-1] >= 0:
            continue  # not an upper facet (b0 + w.p >= 0 with w_c < 0 bounds c from above)
        on = tuple(i for i in range(len(L)) if b0 + sum(wk * int(x) for wk, x in zip(w, L[i])) == 0)
        cells.append(on)
    return sorted(set(cells))


# ----------------------------------------------------------------------------------------------
# float mode


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


def _witness_lp(L: np.ndarray, j: int, rows: np.ndarray) -> tuple[bool, np.ndarray]:
    """``max t`` s.t. ``(c_j - c_i) + <a_j - a_i, x> >= t`` (i in rows), ``t <= 1``: is
    ``t > LP_TOL``, and the optimal x."""
    from .lp import solve_lp

    r = L.shape[1] - 1
    cost = np.zeros(r + 1)
    cost[-1] = -1.0
    ub = np.full(r + 1, np.inf)
    ub[-1] = 1.0
    G = np.hstack([L[rows, :r] - L[j, :r], np.ones((len(rows), 1))])
    status, z = solve_lp(cost, G, L[j, r] - L[rows, r], np.full(r + 1, -np.inf), ub)
    return status == "optimal" and z[-1] > LP_TOL, z[:r]


def _lp_vertices(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper-hull vertices of float points L (m, d) (last column the lift), by LPs.

    Random directions first (:func:`_direction_vertices`).  Each remaining point j gets the
    witness LP over the vertices found so far: j is a non-vertex when ``t <= LP_TOL``, and a
    vertex when the optimal x also beats all points.  Only otherwise a second LP runs over all
    points still in play (known non-vertices are dropped: removing a point that is in the hull
    of the others changes no hull).  Returns ``(is_vertex mask, witnesses (m, d-1))``.
    """
    m, d = L.shape
    A, c = L[:, : d - 1], L[:, d - 1]
    is_v, witness = _direction_vertices(L)
    active = np.ones(m, dtype=bool)
    for j in np.flatnonzero(~is_v):
        found, x = _witness_lp(L, j, np.flatnonzero(is_v))
        if found:
            # a witness against the known vertices that also beats every other point settles it
            vals = A @ x + c
            gap = vals[j] - np.delete(vals, j)
            found = bool(np.all(gap > LP_TOL * (1.0 + np.abs(vals).max())))
            if not found:
                rows = np.flatnonzero(active)
                found, x = _witness_lp(L, j, rows[rows != j])
        if found:
            is_v[j] = True
            witness[j] = x
        else:
            active[j] = False
    return is_v, witness


# ----------------------------------------------------------------------------------------------
# exact mode: integer points, Qhull proposes, integer certificates decide


def _flint():
    import flint

    return flint


def _rank_and_pivots(D: np.ndarray) -> tuple[int, list[int]]:
    """Exact rank of an integer matrix and pivot columns of its row echelon form."""
    flint = _flint()
    if D.shape[0] == 0 or D.shape[1] == 0:
        return 0, []
    R, _, rank = flint.fmpz_mat(D.tolist()).rref()
    pivots = []
    for k in range(rank):
        for j in range(D.shape[1]):
            if R[k, j] != 0:
                pivots.append(j)
                break
    return int(rank), pivots


def _matmul_int(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Exact integer product: int64 when the entries cannot overflow, else Python ints
    (:func:`tropnet.kernels.scaled.int_matmul`)."""
    return int_matmul(X, Y)




def _exact_lift(Az: np.ndarray, cz: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Integer version of :func:`_float_lift` (exact ranks): ``("point" | "flat" | "full", Y, L)``
    with Y the exponents restricted to pivot coordinates of their affine hull (an injective
    projection on it) and ``L = [Y, cz]``."""
    D = Az - Az[0]
    r, cols = _rank_and_pivots(D)
    if r == 0:
        return "point", None, None
    Y = as_int_array(Az[:, cols])
    lifted_rank, _ = _rank_and_pivots(np.hstack([D[:, cols], (cz - cz[0])[:, None]]))
    if lifted_rank == r:
        return "flat", Y, None
    if Y.dtype == object or cz.dtype == object:
        return "full", Y, as_int_array(np.hstack([Y.astype(object), cz.astype(object)[:, None]]))
    return "full", Y, np.hstack([Y, cz[:, None]])


def _exact_int_vertices(Az: np.ndarray, cz: np.ndarray) -> np.ndarray:
    """Upper-hull vertices of integer points with distinct exponent rows (exact)."""
    if len(cz) <= 1:
        return np.arange(len(cz))
    kind, Y, L = _exact_lift(Az, cz)
    if kind == "point":
        return np.array([int(np.argmax(cz))])
    if kind == "flat":
        return _exact_polytope_vertices(Y)
    return _exact_fulldim(L)


def _exact_polytope_vertices(Y: np.ndarray) -> np.ndarray:
    """Vertices of a full-dimensional integer point set: upper and lower hull in the last axis."""
    if Y.shape[1] == 1:
        col = [int(v) for v in Y[:, 0]]
        return np.unique([int(np.argmin(col)), int(np.argmax(col))])
    base, last = Y[:, :-1], Y[:, -1]
    found = []
    for sign in (1, -1):
        reps = group_max(base, as_int_array(sign * last))
        found.append(reps[_exact_int_vertices(as_int_array(base[reps]), as_int_array(sign * last[reps]))])
    return np.unique(np.concatenate(found))


def _simplex_planes(L: np.ndarray, simplices: np.ndarray) -> np.ndarray:
    """Integer vectors ``v`` (S, d+1), gcd-reduced, with ``v[:d] . p + v[d] = 0`` on the points of
    each simplex (rows of L); zero rows for degenerate simplices.

    The normal is the generalized cross product of the edge vectors ``p_j - p_0``; its
    (d-1)x(d-1) minors are computed in float64 in one batch when Hadamard's bound keeps them
    below 2**40 (then rounding is exact), else with python-flint.  Callers check the planes
    exactly anyway.
    """
    S, d = simplices.shape
    out = np.zeros((S, d + 1), dtype=object)
    slow = np.ones(S, dtype=bool)
    if L.dtype != object and S:
        # normal w: generalized cross product of the edge vectors p_j - p_0 (small within a
        # facet), then the offset -w.p_0 in integers
        P = L[simplices]
        delta = (P[:, 1:, :] - P[:, :1, :]).astype(np.float64)
        ok = np.prod(np.linalg.norm(delta, axis=2), axis=1) < 2.0**40
        ok &= np.abs(P).max(axis=(1, 2)) < 2**19  # |w.p_0| < d * 2**59 < 2**62 for d <= 6
        if ok.any():
            Do = delta[ok]
            w = np.empty((len(Do), d))
            for k in range(d):
                w[:, k] = (-1) ** k * (np.linalg.det(np.delete(Do, k, axis=2)) if d > 1 else 1.0)
            w = np.round(w).astype(np.int64)
            v = np.concatenate([w, -np.einsum("sk,sk->s", w, P[ok, 0, :])[:, None]], axis=1)
            g = np.gcd.reduce(np.abs(v), axis=1)
            g[g == 0] = 1
            out[ok] = (v // g[:, None]).astype(object)
            slow = ~ok
    if slow.any():
        flint = _flint()
        for i in np.flatnonzero(slow):
            rows = [[*(int(x) for x in L[j]), 1] for j in simplices[i]]
            basis, nullity = flint.fmpz_mat(rows).nullspace()
            if nullity != 1:
                continue
            v = [int(basis[k, 0]) for k in range(d + 1)]
            g = math.gcd(*v)
            out[i] = [x // g for x in v]
    return as_int_array(out)


def _exact_planes(L: np.ndarray):
    """Qhull's facets of the integer points L (m, d), recomputed exactly and checked on all points.

    Returns ``(N, b, tight, simplices_per_plane, upper)`` for the distinct valid planes
    ``N @ p <= b`` (``tight[j, h]``: point j lies on plane h; each listed simplex lies on its
    plane), or ``None`` when Qhull fails.
    """
    m, d = L.shape
    Lf = L.astype(np.float64)
    mu = Lf.mean(axis=0)
    scale = np.abs(Lf - mu).max(axis=0)
    scale[scale == 0] = 1.0
    try:
        hull = ConvexHull((Lf - mu) / scale)
    except QhullError:
        return None
    simplices = np.asarray(hull.simplices)
    V = _simplex_planes(L, simplices)
    # orient like Qhull's outward normals (eq is for the scaled coordinates)
    direction = np.einsum("ij,ij->i", V[:, :d].astype(np.float64), hull.equations[:, :d] / scale)
    flip = direction < 0
    V = as_int_array(np.where(flip[:, None], -V, V))
    nonzero = np.any(V != 0, axis=1)
    simplices, V = simplices[nonzero], V[nonzero]
    if not len(V):
        return None
    if V.dtype == object:
        index: dict[tuple, int] = {}
        inverse = np.array([index.setdefault(tuple(row), len(index)) for row in V.tolist()], dtype=np.int64)
        planes = as_int_array(np.array(list(index), dtype=object).reshape(len(index), d + 1))
    else:
        planes, inverse = np.unique(V, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
    N = as_int_array(planes[:, :d])
    b = as_int_array(-planes[:, d])
    valid, tight_all = _slack_scan(L, N, b)
    on_plane = _simplices_on_planes(L, simplices, planes[inverse])
    plane_simplices: list[list[np.ndarray]] = [[] for _ in range(len(planes))]
    for simplex, h, ok in zip(simplices, inverse, on_plane):
        if ok:
            plane_simplices[h].append(simplex)
    tight = tight_all[:, np.flatnonzero(valid)]
    N, b = N[valid], b[valid]
    plane_simplices = [sl for sl, ok in zip(plane_simplices, valid) if ok]
    upper = np.array([int(x) > 0 for x in N[:, d - 1]], dtype=bool) if len(N) else np.zeros(0, bool)
    return N, b, tight, plane_simplices, upper


def _slack_scan(L: np.ndarray, N: np.ndarray, b: np.ndarray):
    """Exact slacks ``b - N p`` of all points at all planes, in chunks of points: which planes
    are valid (no negative slack), and the (points x planes) 0/1 matrix of zero slacks (dense
    int32 when small, else scipy.sparse CSR).

    A float filter decides the sign of most slacks: with every input exactly representable in
    float64, ``|fl(s) - s| <= 2 (d + 2) u (|b| + |N| |p|)`` (u = 2**-53); larger integers are
    rounded to float64 first (relative error ``u`` each, so ``2 (d + 4) u`` bounds the error,
    as long as no product nears float64's range), and only slacks within the bound of zero
    are recomputed in integers.
    """
    from scipy import sparse

    m, h = len(L), len(N)
    d = L.shape[1]
    valid = np.ones(h, dtype=bool)
    rows, cols = [], []
    bits = [int(np.abs(a).max(initial=0)).bit_length() for a in (L, N, b)]
    representable = max(bits) <= 53
    exact_floats = bits[0] + bits[1] + d.bit_length() < 1000 and bits[2] < 1000
    if exact_floats:
        Lf, Nf, bf = L.astype(np.float64), N.astype(np.float64).T, b.astype(np.float64)
        absN, absb = np.abs(Nf), np.abs(bf)
        gamma = 2.0 * (d + (2 if representable else 4)) * 2.0**-53 * (1.0 + 1e-9)
    step = max(1, (1 << (16 if exact_floats else 22)) // max(1, h))  # float: cache-sized blocks
    for s0 in range(0, m, step):
        if exact_floats:
            Pf = Lf[s0 : s0 + step]
            S = Pf @ Nf
            np.subtract(bf, S, out=S)
            err = np.abs(Pf) @ absN
            err += absb
            err *= gamma
            valid &= (S >= -err).all(axis=0)
            np.abs(S, out=S)
            r, c = np.nonzero(S <= err)
            if len(r):  # undecided signs: exact integers for these entries only
                dots = (L[s0 + r].astype(object) * N[c].astype(object)).sum(axis=1)
                exact = b[c].astype(object) - dots
                valid[np.unique(c[exact < 0])] = False
                zero = (exact == 0).astype(bool)
                r, c = r[zero], c[zero]
        else:
            S = _subtract(b[None, :], _matmul_int(L[s0 : s0 + step], N.T))
            valid &= np.all(S >= 0, axis=0)
            r, c = np.nonzero(S == 0)
        rows.append(r + s0)
        cols.append(c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    if m * h <= _DENSE_TIGHT:  # small: a dense matrix avoids scipy.sparse's per-call overhead
        dense = np.zeros((m, h), dtype=np.int32)
        dense[r, c] = 1
        return valid, dense
    return valid, sparse.csr_matrix((np.ones(len(r), dtype=np.int32), (r, c)), shape=(m, h))


_DENSE_TIGHT = 1 << 20


def _simplices_on_planes(L: np.ndarray, simplices: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Exactly: do all points of simplex s satisfy ``V[s, :d] . p + V[s, d] == 0``?"""
    d = L.shape[1]
    P = L[simplices]  # (S, d, d)
    if P.dtype != object and V.dtype != object:
        bound = int(np.abs(P).max(initial=0)) * int(np.abs(V).max(initial=0)) * (d + 1)
        if fits_int64(bound):
            return np.all(np.einsum("sk,sjk->sj", V[:, :d], P) + V[:, d : d + 1] == 0, axis=1)
    out = np.empty(len(simplices), dtype=bool)
    for i in range(len(simplices)):
        v = [int(x) for x in V[i]]
        out[i] = all(sum(v[k] * int(P[i, j, k]) for k in range(d)) + v[d] == 0 for j in range(d))
    return out


def _exact_fulldim(L: np.ndarray) -> np.ndarray:
    """Upper-hull vertices of integer points L (m, d) whose lift is full-dimensional."""
    m, d = L.shape
    if d > QHULL_MAX_DIM:
        return _exact_lp(L)
    found = _exact_planes(L)
    if found is None:
        return _decide_with_cdd(L, np.zeros(0, dtype=np.int64), np.arange(m))
    N, b, tight, plane_simplices, upper = found
    Lf = L.astype(np.float64)

    # vertex certificates: i lies on a valid upper plane, and the valid planes through i (upper,
    # vertical or lower) meet in no other point; a positive combination weighted towards the
    # upper planes then has last component > 0 and exposes i alone in P.
    is_vertex = np.zeros(m, dtype=bool)
    T = tight if isinstance(tight, np.ndarray) else tight.tocsr()
    on_upper = np.asarray(T[:, np.flatnonzero(upper)].sum(axis=1)).ravel() > 0
    cand = np.flatnonzero(on_upper)
    if len(cand):
        deg = np.asarray(T[cand].sum(axis=1)).ravel()
        common = T @ T[cand].T  # common[j, k]: planes shared by point j and cand[k]
        if isinstance(common, np.ndarray):
            counts = (common == deg[None, :]).sum(axis=0)
        else:
            common = common.tocoo()
            full = common.data == deg[common.col]
            counts = np.bincount(common.col[full], minlength=len(cand))
        is_vertex[cand[counts == 1]] = True

    # non-vertex certificates: exponent inside an upper facet simplex that does not contain it
    non_vertex = np.zeros(m, dtype=bool)
    rest = np.flatnonzero(~is_vertex)
    up_idx = np.flatnonzero(upper)
    if len(rest) and len(up_idx):
        # the upper plane lowest above a point's exponent is the facet over it (float guess;
        # the barycentric check below is exact)
        Nu = N[up_idx].astype(np.float64)
        bu = b[up_idx].astype(np.float64)
        best = np.empty(len(rest), dtype=np.int64)
        step = max(1, (1 << 22) // len(up_idx))
        for s0 in range(0, len(rest), step):
            pts = Lf[rest[s0 : s0 + step], : d - 1]
            heights = (bu[None, :] - pts @ Nu[:, : d - 1].T) / Nu[:, d - 1][None, :]
            best[s0 : s0 + step] = np.argmin(heights, axis=1)
        for p in np.unique(best):
            pts = rest[best == p]
            for simplex in plane_simplices[up_idx[p]]:
                todo = pts[~non_vertex[pts] & ~np.isin(pts, simplex)]
                if not len(todo):
                    break
                inside = _inside_simplex(L[simplex, : d - 1], L[todo, : d - 1])
                non_vertex[todo[inside]] = True
    undecided = np.flatnonzero(~is_vertex & ~non_vertex)
    if len(undecided):
        return _decide_with_cdd(L, np.flatnonzero(is_vertex), undecided)
    return np.flatnonzero(is_vertex)


def _subtract(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    if X.dtype == object or Y.dtype == object:
        return as_int_array(X.astype(object) - Y.astype(object))
    bound = int(np.abs(X).max(initial=0)) + int(np.abs(Y).max(initial=0))
    if fits_int64(bound):
        return X - Y
    return as_int_array(X.astype(object) - Y.astype(object))


def _inside_simplex(V: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Exactly: which rows of P lie in conv(rows of V)?  V is (k+1, k), affinely independent."""
    flint = _flint()
    k1 = V.shape[0]
    M = flint.fmpz_mat(np.hstack([V.astype(object), np.ones((k1, 1), dtype=object)]).tolist())
    det = int(M.det())
    if det == 0:
        return np.zeros(len(P), dtype=bool)
    inv = M.inv()  # fmpq_mat; adj = det * inv is integral
    adj = np.array([[int(inv[i, j] * det) for j in range(k1)] for i in range(k1)], dtype=object)
    Ph = np.hstack([P.astype(object), np.ones((len(P), 1), dtype=object)])
    lam = _matmul_int(as_int_array(Ph), as_int_array(adj))  # barycentric coordinates times det
    if det < 0:
        lam = -lam
    return np.all(lam >= 0, axis=1)


def _exact_lp(L: np.ndarray) -> np.ndarray:
    """High-dimensional exact path: LPs propose, exact witnesses and convex combinations decide.

    Random directions propose vertices with witnesses x.  Every other point j first gets the
    convex-combination LP (weights ``lambda >= 0`` on the other points with ``sum lambda_i a_i =
    a_j``, ``sum lambda_i = 1``, maximal ``sum lambda_i c_i``); the weights are recomputed
    exactly on their support (flint) and, when ``sum lambda_i c_i >= c_j`` holds exactly, j is a
    certified non-vertex.  Otherwise the witness LP proposes an x.  A witness (rounded to the
    grid 2**-40) certifies j when exactly ``c_j + <a_j, x> > c_i + <a_i, x>`` for every other i.
    Anything left goes to :func:`_decide_with_cdd`.
    """
    m, d = L.shape
    r = d - 1
    Lf = L.astype(np.float64)
    mu = Lf.mean(axis=0)
    scale = np.abs(Lf - mu).max(axis=0)
    scale[scale == 0] = 1.0
    Ln = (Lf - mu) / scale
    is_v, witness = _direction_vertices(Ln)
    vertex = np.zeros(m, dtype=bool)
    non_vertex = np.zeros(m, dtype=bool)
    for j in np.flatnonzero(is_v):
        vertex[j] = _exact_witness(L, j, witness[j] * scale[r] / scale[:r])
    for j in np.flatnonzero(~vertex):
        # weights on the known vertices first (a small LP), then on every point still in play
        known = np.flatnonzero(vertex)
        pool = np.flatnonzero(~non_vertex)
        if _exact_combination(L, Ln, j, known) or _exact_combination(L, Ln, j, pool[pool != j]):
            non_vertex[j] = True
            continue
        rows = np.flatnonzero(~non_vertex)
        found, x = _witness_lp(Ln, j, rows[rows != j])
        if found:
            vertex[j] = _exact_witness(L, j, x * scale[r] / scale[:r])
    undecided = np.flatnonzero(~vertex & ~non_vertex)
    if len(undecided):
        return _decide_with_cdd(L, np.flatnonzero(vertex), undecided)
    return np.flatnonzero(vertex)


_U = 2.0**-52


def _exact_witness(L: np.ndarray, j: int, x: np.ndarray) -> bool:
    """Exactly: does monomial j strictly win at x (rounded to the grid 2**-40)?  A float
    filter with a rigorous error bound decides clear gaps; close ones are redone in integers."""
    m, d = L.shape
    r = d - 1
    if not np.all(np.isfinite(x)) or np.abs(x).max(initial=0) >= 2.0**12:
        return False
    xz = np.round(x * 2.0**40)  # integers below 2**52: exact as floats
    Af = L[:, :r].astype(np.float64)
    cf = L[:, r].astype(np.float64) * 2.0**40
    vals = Af @ xz + cf
    err = (r + 4) * _U * (np.abs(Af) @ np.abs(xz) + np.abs(cf)) * (1.0 + 1e-6)
    gap = vals[j] - vals
    clear = gap > err + err[j]
    clear[j] = True
    if clear.all():
        return True
    close = np.flatnonzero(~clear)
    if np.any(gap[close] < -(err[close] + err[j])):
        return False
    xi = [int(v) for v in xz]
    val = [sum(int(L[i, k]) * xi[k] for k in range(r)) + (int(L[i, r]) << 40) for i in (j, *close)]
    return all(v < val[0] for v in val[1:])


def _exact_combination(L: np.ndarray, Ln: np.ndarray, j: int, others: np.ndarray) -> bool:
    """Exactly certify that point j lies in conv(others) + ray, from LP weights on their support."""
    from .lp import solve_lp

    flint = _flint()
    r = L.shape[1] - 1
    if len(others) == 0:
        return False
    M = np.vstack([Ln[others, :r].T, np.ones(len(others))])
    rhs = np.concatenate([Ln[j, :r], [1.0]])
    status, lam = solve_lp(
        -Ln[others, r],
        np.vstack([M, -M]),
        np.concatenate([rhs + 1e-12, -rhs + 1e-12]),
        np.zeros(len(others)),
        np.full(len(others), np.inf),
    )
    if status != "optimal":
        return False
    S = others[lam > 1e-10]
    if len(S) == 0 or len(S) > r + 1:
        return False
    MS = flint.fmpq_mat([[int(v) for v in L[S, k]] for k in range(r)] + [[1] * len(S)])
    b = flint.fmpq_mat([[int(v)] for v in L[j, :r]] + [[1]])
    G = MS.transpose() * MS
    if G.rank() < len(S):
        return False
    sol = G.solve(MS.transpose() * b)
    if MS * sol != b:
        return False
    weights = [sol[i, 0] for i in range(len(S))]
    return min(weights) >= 0 and sum(w * int(L[i, r]) for w, i in zip(weights, S)) >= int(L[j, r])


def _decide_with_cdd(L: np.ndarray, known: np.ndarray, undecided: np.ndarray) -> np.ndarray:
    """Exact redundancy of the undecided points among known vertices + undecided + the ray.

    Uses ``cdd.gmp.redundant_rows`` when pycddlib is installed, else one exact phase-1 simplex
    (Fractions, Bland's rule) per undecided point.  Both are exact; cdd is faster.
    """
    idx = np.concatenate([known, undecided]).astype(np.int64)
    d = L.shape[1]
    try:
        import cdd
        import cdd.gmp
    except ImportError:
        keep = list(known)
        for pos in range(len(known), len(idx)):
            others = np.delete(idx, pos)
            if not _in_hull_exact(L[others], L[idx[pos]]):
                keep.append(int(idx[pos]))
        return np.array(sorted(int(i) for i in keep), dtype=np.int64)
    rows = [[1, *(Fraction(int(v)) for v in L[i])] for i in idx]
    rows.append([0] * d + [-1])
    G = cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR)
    # cddlib's exact LPs start from a floating-point basis search, which can report cycling on
    # stderr before the exact pivots take over; the answer is exact either way
    with silenced_fd(2):
        redundant = cdd.gmp.redundant_rows(G)
    keep = [int(idx[k]) for k in range(len(idx)) if k not in redundant]
    return np.array(sorted(keep), dtype=np.int64)


def _in_hull_exact(P: np.ndarray, q: np.ndarray) -> bool:
    """Exactly: is the integer point q in conv(rows of P) + cone{(0, ..., 0, -1)}?

    Feasibility of ``lambda >= 0, s >= 0``: ``sum lambda_i p_i[:-1] = q[:-1]``,
    ``sum lambda_i = 1``, ``sum lambda_i p_i[-1] - s = q[-1]``.
    """
    k = len(P)
    d = P.shape[1]
    M = [[Fraction(int(P[i, r])) for i in range(k)] + [Fraction(0)] for r in range(d - 1)]
    M.append([Fraction(1)] * k + [Fraction(0)])
    M.append([Fraction(int(P[i, d - 1])) for i in range(k)] + [Fraction(-1)])
    b = [Fraction(int(v)) for v in q[: d - 1]] + [Fraction(1), Fraction(int(q[d - 1]))]
    return _exact_feasible(M, b)


def _exact_feasible(M: list[list[Fraction]], b: list[Fraction]) -> bool:
    """Is ``{y >= 0 : M y = b}`` non-empty?  An exact LP (:mod:`tropnet.kernels.exact_lp`).

    >>> F = Fraction
    >>> _exact_feasible([[F(1), F(1)]], [F(1)]), _exact_feasible([[F(1), F(1)]], [F(-1)])
    (True, False)
    """
    from .exact_lp import solve_exact_lp

    cols = len(M[0])
    G = np.array([*M, *([-v for v in row] for row in M)], dtype=object).reshape(-1, cols)
    h = [*b, *(-v for v in b)]
    status, _, _ = solve_exact_lp([Fraction(0)] * cols, G, h, [Fraction(0)] * cols, [None] * cols)
    return status == "optimal"
