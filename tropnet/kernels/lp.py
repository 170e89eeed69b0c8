"""Linear programs on one reused HiGHS model: Chebyshev centres and bounding boxes.

All functions take a polyhedron ``{x : A x <= b}`` as float arrays and solve with
``highspy`` (presolve off, output silenced); one ``Highs`` object per process is reused.

>>> A = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
>>> x, r = chebyshev_center(A, np.ones(4))
>>> round(r, 9), np.allclose(x, 0)
(1.0, True)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "new_highs",
    "chebyshev_center",
    "chebyshev_centers",
    "bounding_box",
    "solve_lp",
    "irredundant_rows",
    "l1_lifted",
    "l1_chebyshev_center",
    "is_bounded",
]

_HIGHS = None


def new_highs(presolve: bool = False):
    """A silent ``highspy.Highs`` model (presolve off by default).

    HiGHS prints a banner to the process's standard output when its first model is created,
    before any option can be set; it is sent to ``/dev/null`` here so that command-line output
    and notebooks stay clean.

    >>> new_highs().getOptionValue("output_flag")[1]
    False
    """
    import highspy

    from .._quiet import silenced_fd

    with silenced_fd(1):
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if not presolve:
        h.setOptionValue("presolve", "off")
    return h


def _highs():
    global _HIGHS
    if _HIGHS is None:
        _HIGHS = new_highs()
    return _HIGHS


def solve_lp(
    c: np.ndarray, A: np.ndarray, b: np.ndarray, lb: np.ndarray, ub: np.ndarray, duals: bool = False
) -> tuple:
    """Minimise ``c x`` subject to ``A x <= b`` and ``lb <= x <= ub`` (``inf`` allowed).

    Returns ``(status, x)`` with status ``"optimal"``, ``"infeasible"`` or ``"unbounded"``;
    with ``duals``, ``(status, x, y)``: ``y >= 0`` the rows' multipliers (HiGHS's row duals,
    ``c x >= -y (A x - b)`` up to the bounds' terms at an optimum; zeros otherwise).

    >>> inf = np.array([np.inf])
    >>> solve_lp(np.array([1.0]), np.array([[-1.0]]), np.array([-2.0]), -inf, inf)[0]
    'optimal'
    >>> solve_lp(np.array([1.0]), np.array([[-1.0]]), np.array([-2.0]), -inf, inf, duals=True)[2].tolist()
    [1.0]
    """
    import highspy

    h = _highs()
    m, n = A.shape
    inf = highspy.kHighsInf
    lb = np.where(np.isinf(lb), -inf, np.asarray(lb, dtype=np.float64))
    ub = np.where(np.isinf(ub), inf, np.asarray(ub, dtype=np.float64))
    value = np.ascontiguousarray(np.asarray(A, dtype=np.float64).T).ravel()
    start = np.arange(0, m * n + 1, max(m, 1), dtype=np.int32)[: n + 1] if m else np.zeros(n + 1, np.int32)
    index = np.tile(np.arange(m, dtype=np.int32), n)
    h.clearModel()
    # the low-level passModel: columnwise matrix (format 1), minimise (sense 1), no integers
    h.passModel(n, m, m * n, 1, 1, 0.0, np.asarray(c, dtype=np.float64), lb, ub, np.full(m, -inf),
                np.asarray(b, dtype=np.float64), start, index, value, np.zeros(n, dtype=np.int32))
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kOptimal:
        sol = h.getSolution()
        if duals:
            return "optimal", np.array(sol.col_value), np.abs(np.array(sol.row_dual))
        return "optimal", np.array(sol.col_value)
    out = ("infeasible" if st == highspy.HighsModelStatus.kInfeasible else "unbounded", np.zeros(n))
    return out + (np.zeros(m),) if duals else out


def chebyshev_center(
    A: np.ndarray, b: np.ndarray, *, rmax: float = np.inf, lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Centre and radius of the largest ball in ``{x : A x <= b}`` (radius capped at ``rmax``;
    ``inf`` when unbounded balls fit).  Radius ``0`` or less means no interior.

    With a box ``lo <= x <= hi`` (the LP's variable bounds, not rows): a point ``x`` of the
    closed box as far as possible (at most ``rmax``) from the rows' hyperplanes on their
    inner sides; a positive radius means ``{x : A x <= b}`` meets the box's interior.

    >>> chebyshev_center(np.array([[1.0], [-1.0]]), np.array([3.0, -1.0]))[1]
    1.0
    >>> chebyshev_center(np.array([[1.0]]), np.array([0.5]), lo=np.zeros(1), hi=np.ones(1), rmax=2.0)
    (array([0.]), 0.5)
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n = A.shape[1]
    norms = np.linalg.norm(A, axis=1)
    c = np.zeros(n + 1)
    c[-1] = -1.0
    ub = np.full(n + 1, np.inf)
    ub[-1] = rmax
    lb = np.full(n + 1, -np.inf)
    lb[-1] = -1.0
    if lo is not None:
        lb[:n] = lo
    if hi is not None:
        ub[:n] = hi
    st, x = solve_lp(c, np.hstack([A, norms[:, None]]), b, lb, ub)
    if st == "infeasible":
        return np.zeros(n), -1.0
    if st == "unbounded":
        return np.zeros(n), float("inf")
    return x[:n], float(x[-1])


def chebyshev_centers(
    A: np.ndarray, b: np.ndarray, offsets: np.ndarray, *, rmax: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev centres of many polyhedra stored as CSR rows: polyhedron ``i`` has the rows
    ``offsets[i]:offsets[i+1]`` of ``A``/``b``.  Returns ``(centres (k, n), radii (k,))``.

    >>> A = np.array([[1.0], [-1.0], [1.0], [-1.0]]); b = np.array([1.0, 1.0, 3.0, -1.0])
    >>> chebyshev_centers(A, b, np.array([0, 2, 4]))[1].tolist()
    [1.0, 1.0]
    """
    k = len(offsets) - 1
    n = A.shape[1]
    X = np.zeros((k, n))
    r = np.zeros(k)
    for i in range(k):
        X[i], r[i] = chebyshev_center(
            A[offsets[i] : offsets[i + 1]], b[offsets[i] : offsets[i + 1]], rmax=rmax
        )
    return X, r


def bounding_box(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lo, hi)`` of the polyhedron ``{x : A x <= b}``, or ``None`` when it is unbounded
    (2n LPs).

    >>> bounding_box(np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]]), np.array([1.0, 0, 2, 0]))
    (array([0., 0.]), array([1., 2.]))
    """
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[1]
    lo = np.zeros(n)
    hi = np.zeros(n)
    free = np.full(n, np.inf)
    for i in range(n):
        for sign, out in ((1.0, lo), (-1.0, hi)):
            c = np.zeros(n)
            c[i] = sign
            st, x = solve_lp(c, A, b, -free, free)
            if st != "optimal":
                return None
            out[i] = x[i]
    return lo, hi


def irredundant_rows(
    A: np.ndarray, b: np.ndarray, *, rtol: float = 1e-9, ball: tuple | None = None,
    test: np.ndarray | None = None,
) -> np.ndarray:
    """Which rows of a full-dimensional ``{x : A x <= b}`` are facets: row ``i`` is when
    ``max a_i x`` over the other rows (and ``a_i x <= b_i + 1``) exceeds ``b_i``.  One HiGHS
    model for all the rows (only the objective and one row bound change between solves, so
    each solve starts from the previous basis); rows are scaled to unit norm, zero rows are
    never facets, and of several equal rows only the first is tested (and may be a facet).

    ``ball=(c, r)``: the polyhedron is cut by the 1-norm ball ``|x - c|_1 <= r`` as well, kept
    whole in the LPs by lifting (:func:`l1_lifted`; its ``2^n`` facets are never listed), and a
    row is a facet of the intersection.  ``test``: a boolean mask of the rows to test (default
    all; every row stays a constraint, and the untested ones are reported ``False``).

    >>> A = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [1, 1]])
    >>> irredundant_rows(A, np.array([1.0, 0, 1, 0, 2, 5])).tolist()
    [True, True, True, True, False, False]
    >>> irredundant_rows(A[:2], np.array([0.5, 3.0]), ball=(np.zeros(2), 1.0)).tolist()  # x <= 0.5 cuts it
    [True, False]
    """
    import highspy

    A, b = _checked_rows(A, b)
    m, n = A.shape
    if test is not None:
        test = np.asarray(test)
        if test.dtype != bool or test.shape != (m,):
            raise ValueError(
                f"test must be a boolean mask of the {m} rows, got {test.dtype} of shape {test.shape}"
            )
    norms = np.linalg.norm(A, axis=1)
    live = norms > 0
    out = np.zeros(m, dtype=bool)
    if not live.any():
        return out
    An = A[live] / norms[live, None]
    bn = b[live] / norms[live]
    key = np.round(np.c_[An, bn], 12)
    _, first, twin = np.unique(key, axis=0, return_index=True, return_inverse=True)
    asked = np.ones(len(first), dtype=bool)
    if test is not None:  # a hyperplane is tested when any of its equal rows is asked for
        asked = np.zeros(len(first), dtype=bool)
        np.logical_or.at(asked, twin.ravel(), test[live])
    order = np.argsort(first)
    first, asked = first[order], asked[order]
    An, bn = An[first], bn[first]
    k = len(bn)
    M, u = (An, bn) if ball is None else l1_lifted(An, bn, *ball)
    rows, cols_all = M.shape
    h = new_highs()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cols_all, rows
    lp.col_cost_ = np.zeros(cols_all)
    lp.col_lower_ = np.full(cols_all, -highspy.kHighsInf)
    lp.col_upper_ = np.full(cols_all, highspy.kHighsInf)
    lp.row_lower_ = np.full(rows, -highspy.kHighsInf)
    lp.row_upper_ = np.array(u, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, (cols_all + 1) * rows, rows, dtype=np.int32)
    lp.a_matrix_.index_ = np.tile(np.arange(rows, dtype=np.int32), cols_all)
    lp.a_matrix_.value_ = np.ascontiguousarray(M.T).ravel()
    h.passModel(lp)
    tol = rtol * max(1.0, float(np.abs(bn).max()))
    cols = np.arange(n, dtype=np.int32)
    facet = np.zeros(k, dtype=bool)
    for i in np.flatnonzero(asked).tolist():
        h.changeColsCost(n, cols, -An[i])
        h.changeRowBounds(i, -highspy.kHighsInf, bn[i] + 1.0)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            facet[i] = -h.getInfo().objective_function_value > bn[i] + tol
        else:  # pragma: no cover - a relaxed row keeps the LP bounded and feasible
            facet[i] = True
        h.changeRowBounds(i, -highspy.kHighsInf, bn[i])
    out[np.flatnonzero(live)[first[facet]]] = True
    return out


def l1_lifted(
    A: np.ndarray, b: np.ndarray, c: np.ndarray, r: float, E: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``{x : A x <= b, |E x - c|_1 <= r}`` (``E`` the identity by default) in the
    variables ``(x, t)``, ``t`` with one entry per row of ``E``: ``A x <= b``,
    ``-t <= E x - c <= t`` and ``sum t <= r`` (the first rows are ``A``'s, with zeros on ``t``).
    Its projection on ``x`` is the set, with ``2m + 1`` rows instead of the ball's ``2^m``.

    >>> M, u = l1_lifted(np.array([[1.0, 0.0]]), np.array([0.5]), np.zeros(2), 1.0)
    >>> M.shape, u.tolist()
    ((6, 4), [0.5, 0.0, 0.0, 0.0, 0.0, 1.0])
    """
    A, b = _checked_rows(A, b)
    n = A.shape[1]
    E = np.eye(n) if E is None else np.asarray(E, dtype=np.float64)
    if E.ndim != 2 or E.shape[1] != n:
        raise ValueError(f"E must have {n} columns (one per variable), got shape {E.shape}")
    m = len(E)
    if not np.isfinite(E).all():
        raise ValueError("E must be finite (no NaN or infinity)")
    c, r = _checked_ball(c, r, m)
    eye = np.eye(m)
    M = np.block([
        [A, np.zeros((len(b), m))],
        [E, -eye],
        [-E, -eye],
        [np.zeros((1, n)), np.ones((1, m))],
    ])
    return M, np.concatenate([b, c, -c, [r]])


def l1_chebyshev_center(
    A: np.ndarray, b: np.ndarray, c: np.ndarray, r: float, *, rmax: float = np.inf, ball_facets: bool = False
) -> tuple[np.ndarray, float]:
    """A point of the cross-polytope ``|x - c|_1 <= r`` as far as possible (at most ``rmax``)
    from the hyperplanes of the rows ``A x <= b`` on their inner sides, and that distance
    (``<= 0``: the rows leave no interior in the ball; ``-1`` when nothing is feasible).  One LP
    with the ball lifted (``x = c + p - q``, ``p, q >= 0``, ``sum(p + q) <= r``), never its
    ``2^n`` facets.  ``ball_facets``: the distance to the ball's facets counts too (every facet
    ``s . (x - c) <= r`` is at ``(r - |x - c|_1) / sqrt(n)`` from ``x``): the centre and radius
    of the largest Euclidean ball inside the cell cut by the ball.

    >>> x, rho = l1_chebyshev_center(np.zeros((0, 2)), np.zeros(0), np.zeros(2), 1.0, ball_facets=True)
    >>> bool(abs(rho - 1 / np.sqrt(2)) < 1e-9), bool(np.allclose(x, 0))
    (True, True)
    >>> round(l1_chebyshev_center(np.array([[1.0, 0.0]]), np.array([0.0]), np.zeros(2), 1.0)[1], 9)
    1.0
    """
    A, b = _checked_rows(A, b)
    c, r = _checked_ball(c, r, A.shape[1])
    d, m = len(c), len(b)
    M = np.zeros((m + 1, 2 * d + 1))
    M[:m, :d], M[:m, d : 2 * d], M[:m, -1] = A, -A, np.linalg.norm(A, axis=1)
    M[m, : 2 * d] = 1.0
    if ball_facets:
        M[m, -1] = np.sqrt(d)
    cost = np.zeros(2 * d + 1)
    cost[-1] = -1.0
    lb = np.zeros(2 * d + 1)
    lb[-1] = -1.0
    ub = np.full(2 * d + 1, float(r))
    ub[-1] = rmax
    st, z = solve_lp(cost, M, np.concatenate([b - A.dot(c), [float(r)]]), lb, ub)
    if st != "optimal":
        return c.copy(), -1.0
    return c + z[:d] - z[d : 2 * d], float(z[-1])


def is_bounded(A: np.ndarray) -> bool:
    """Whether a non-empty ``{x : A x <= b}`` is bounded: ``A`` has rank ``n`` and some
    ``y >= 1`` has ``A^T y = 0`` (Stiemke's alternative to a direction ``d != 0`` with
    ``A d <= 0``); one LP.

    >>> is_bounded(np.array([[1.0], [-1.0]])), is_bounded(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    (True, False)
    """
    A = _checked_rows(A, np.zeros(len(np.asarray(A))))[0]
    m, n = A.shape
    if m == 0 or np.linalg.matrix_rank(A) < n:
        return False
    At = A.T / max(1e-300, float(np.abs(A).max()))
    st, _ = solve_lp(np.zeros(m), np.vstack([At, -At]), np.zeros(2 * n), np.ones(m), np.full(m, np.inf))
    return st == "optimal"


def _checked_ball(c, r, m: int) -> tuple[np.ndarray, float]:
    """The 1-norm ball's centre ``c`` (m,) and radius ``r`` as floats, or a ``ValueError``."""
    c = np.asarray(c, dtype=np.float64)
    if c.shape != (m,):
        raise ValueError(f"the ball's centre must have {m} entries, got shape {c.shape}")
    r = float(r)
    if not (np.isfinite(c).all() and np.isfinite(r)) or r <= 0:
        raise ValueError(f"the ball needs a finite centre and a finite radius > 0, got radius {r}")
    return c, r


def _checked_rows(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` (m, n) and ``b`` (m,) as float arrays, or a ``ValueError`` naming the problem."""
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim != 2 or b.shape != (A.shape[0],):
        raise ValueError(f"need A of shape (m, n) and b of shape (m,), got {A.shape} and {b.shape}")
    if not (np.isfinite(A).all() and np.isfinite(b).all()):
        raise ValueError("A and b must be finite (no NaN or infinity)")
    return A, b
