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
on Qhull's combinatorics), else they come from the exact double description of the core
install (:mod:`tropnet.kernels.dd`).

Where the code lives: :mod:`~tropnet.kernels.hull_float` (the float mode and its tolerances),
:mod:`~tropnet.kernels.hull_exact` (proposals and integer certificates),
:mod:`~tropnet.kernels.hull_oracle` (the exact deciders of last resort); this module holds the
public functions.

>>> import numpy as np
>>> from fractions import Fraction as F
>>> A = np.array([[0], [1], [2]], dtype=object); c = np.array([F(0), F(0), F(-1)], dtype=object)
>>> upper_hull_vertices(A, c).tolist()          # max(0, x, 2x-1): all three matter
[0, 1, 2]
>>> upper_hull_vertices(np.array([[0.], [1.], [2.]]), np.array([0., 0., 0.])).tolist()
[0, 2]
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from .hull_exact import _exact_cells, _exact_int_vertices, _exact_lift, _exact_polytope_vertices
from .hull_float import (
    AMBIGUOUS_RTOL,
    FLAT_RTOL,
    LP_TOL,
    QHULL_MAX_DIM,
    RANK_RTOL,
    UPPER_TOL,
    _Ambiguous,
    _exact_copy,
    _float_lift,
    _float_polytope_vertices,
    _float_vertices,
)
from .merge import group_max
from .scaled import to_scaled

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
    (else the facets come from :mod:`tropnet.kernels.dd`); float input: Qhull with the module's
    tolerances, exactly on the stored dyadic rationals where a decision falls in the band.

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
    ):  # a decision inside the band: decide on the dyadic rationals the floats store
        return upper_facets(_exact_copy(A), _exact_copy(c))
    tight = slack <= 1e-9
    cells = {tuple(np.flatnonzero(tight[:, h]).tolist()) for h in range(len(eq))}
    return sorted(cells)
