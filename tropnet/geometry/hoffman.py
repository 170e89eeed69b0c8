"""Hoffman constants of linear systems (the effective radius of tropical objects built on them,
which enumerates regions, is :mod:`tropnet.regions.radius`).

*Convention* (Peña, Vera and Zuluaga 2018, as in TropicalNN.jl): the infinity norm on x and on
the residual.  For ``A`` of shape (m, n),

    H(A) = max over J in S(A) of 1 / t(J),   t(J) = min { ||A_J^T v||_1 : v >= 0, sum(v) = 1 },

where ``S(A)`` is the family of non-empty row sets J for which ``A_J x < 0`` has a solution
(by Gordan's alternative exactly the J with ``t(J) > 0``).  Then for every b with
``P = {x : A x <= b}`` non-empty and every x,
``dist_inf(x, P) <= H(A) * ||(A x - b)_+||_inf`` (Hoffman's bound).  ``H(A) = 0`` when no
non-empty J is in ``S(A)`` (e.g. A = 0).

*Algorithms.*  ``t`` is monotone (J ⊆ J' gives t(J) >= t(J')), so the maximum is attained at
the maximal sets of S(A).  The Peña–Vera–Zuluaga search starts from all rows; a set that is not
in S(A) yields, from the LP solution, a certificate I = supp(v) with ``A_I^T v = 0``, and is
replaced by the sets ``J \\ {i}`` for i in I (every feasible subset of J misses some i in I);
sets contained in a known member of S(A) are skipped and sets containing a known certificate
are split without an LP.  All LPs of the float path share one reused HiGHS model in which only
the column bounds change (v_i is fixed to 0 outside J), so each is a warm-started re-solve.
``exact=True`` decides every LP in rational arithmetic (a HiGHS basis certified or repaired in
python-flint rationals, :mod:`tropnet.kernels.exact_lp`; no system packages) and returns a
``Fraction``.

>>> import numpy as np
>>> hoffman_constant(np.eye(3))
1.0
>>> hoffman_constant([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], exact=True)
Fraction(3, 1)
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from ..kernels.lp import new_highs

__all__ = ["hoffman_constant"]

_METHODS = ("pvz", "brute_force", "bounds")
#: relative tolerance of the float decision t(J) > 0 (t is compared with tol * max row 1-norm)
FLOAT_TOL = 1e-10
#: largest number of row subsets the brute force / upper bound may enumerate
MAX_SUBSETS = 2_000_000


# ---------------------------------------------------------------------------------------- input
def _as_matrix(A: Any, exact: bool) -> np.ndarray:
    if isinstance(A, np.ndarray) and A.dtype.kind == "b":
        raise TypeError("hoffman_constant: A must be a numeric matrix, got a boolean array")
    try:
        arr = A if isinstance(A, np.ndarray) else np.array(A, dtype=object)
    except ValueError as err:
        raise ValueError(f"hoffman_constant: A is ragged: {err}") from None
    if arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()):
        raise ValueError("hoffman_constant: A is ragged (rows of different lengths)")
    if arr.ndim != 2:
        raise ValueError(f"hoffman_constant: A must be a 2-D matrix (m, n), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"hoffman_constant: A is empty (shape {arr.shape})")
    if exact:
        if arr.dtype.kind == "f" or not is_exact_array(arr):
            # a float converts to the dyadic rational it stores; NaN/inf are rejected by name
            as_float_array(arr, name="hoffman_constant A")
        return as_exact_array(arr, name="hoffman_constant A")
    return as_float_array(arr, name="hoffman_constant A")


# ------------------------------------------------------------------------------------ LP oracles
class _FloatSimplexLP:
    """t(J) for any row set J of one fixed A, in one reused HiGHS model.

    Columns: v (m, bounds [0, 1] or [0, 0] outside J), s (n, cost 1).  Rows: A^T v - s <= 0,
    -A^T v - s <= 0, sum(v) = 1.
    """

    def __init__(self, A: np.ndarray) -> None:
        import highspy
        from scipy import sparse

        m, n = A.shape
        self.m, self.n = m, n
        self.scale = float(np.abs(A).sum(axis=1).max()) or 1.0
        inf = highspy.kHighsInf
        M = np.zeros((2 * n + 1, m + n))
        M[:n, :m] = A.T
        M[n : 2 * n, :m] = -A.T
        M[: 2 * n, m:] = np.vstack([-np.eye(n), -np.eye(n)])
        M[2 * n, :m] = 1.0
        C = sparse.csc_matrix(M)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m + n, 2 * n + 1
        lp.col_cost_ = np.r_[np.zeros(m), np.ones(n)]
        lp.col_lower_ = np.zeros(m + n)
        lp.col_upper_ = np.r_[np.ones(m), np.full(n, inf)]
        lp.row_lower_ = np.r_[np.full(2 * n, -inf), 1.0]
        lp.row_upper_ = np.r_[np.zeros(2 * n), 1.0]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = C.indptr
        lp.a_matrix_.index_ = C.indices
        lp.a_matrix_.value_ = C.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = m + n, 2 * n + 1
        h = new_highs(presolve=True)
        h.passModel(lp)
        self._h = h
        self._idx = np.arange(m, dtype=np.int32)
        self._zeros = np.zeros(m)
        self._optimal = highspy.HighsModelStatus.kOptimal
        self.n_lps = 0

    def solve(self, mask: np.ndarray) -> tuple[float | None, np.ndarray]:
        """``(t, support)``: t = t(J) (None when t == 0 up to the tolerance) and supp(v)."""
        self._h.changeColsBounds(self.m, self._idx, self._zeros, mask.astype(np.float64))
        self._h.run()
        self.n_lps += 1
        if self._h.getModelStatus() != self._optimal:  # pragma: no cover - the LP is always feasible
            raise RuntimeError(f"HiGHS failed on a Hoffman LP: {self._h.getModelStatus()}")
        t = float(self._h.getInfo().objective_function_value)
        v = np.asarray(self._h.getSolution().col_value[: self.m])
        # a vertex solution: non-basic v_i are exactly 0, so v > 0 over-approximates the support,
        # and a superset of a certificate is still a certificate
        support = (v > 0) & mask
        if t <= FLOAT_TOL * self.scale:
            return None, support
        return t, support


class _ExactSimplexLP:
    """t(J) in rational arithmetic, one LP per call: a HiGHS basis certified (or repaired) in
    exact rationals by :func:`tropnet.kernels.exact_lp.solve_exact_lp` (core dependencies only)."""

    def __init__(self, A: np.ndarray) -> None:
        self.A = A
        self.m, self.n = A.shape
        self.n_lps = 0

    def solve(self, mask: np.ndarray) -> tuple[Fraction | None, np.ndarray]:
        from ..kernels.exact_lp import solve_exact_lp

        J = np.flatnonzero(mask)
        k, n = len(J), self.n
        AJ = as_exact_array(self.A[J], ndim=2)
        zero, one = Fraction(0), Fraction(1)
        # variables (v, s): min sum s  s.t.  -s <= A_J^T v <= s,  v >= 0,  sum v = 1
        G = np.empty((2 * n + 2, k + n), dtype=object)
        G[...] = zero
        for j in range(n):
            G[2 * j, :k] = AJ[:, j]
            G[2 * j, k + j] = -one
            G[2 * j + 1, :k] = -AJ[:, j]
            G[2 * j + 1, k + j] = -one
        G[2 * n, :k] = one
        G[2 * n + 1, :k] = -one
        h = [zero] * (2 * n) + [one, -one]
        c = [zero] * k + [one] * n
        status, x, t = solve_exact_lp(c, G, h, [zero] * k + [None] * n, [None] * (k + n))
        self.n_lps += 1
        if status != "optimal":  # pragma: no cover - the LP is always feasible and bounded
            raise RuntimeError(f"the exact Hoffman LP is {status}")
        support = np.zeros(self.m, dtype=bool)
        support[J[[i for i in range(k) if x[i] > 0]]] = True
        return (t if t > 0 else None), support


def _oracle(A: np.ndarray, exact: bool) -> _FloatSimplexLP | _ExactSimplexLP:
    return _ExactSimplexLP(A) if exact else _FloatSimplexLP(A)


# ------------------------------------------------------------------------------------ searches
def _mask_to_int(mask: np.ndarray) -> int:
    return int(np.sum(1 << np.flatnonzero(mask).astype(object))) if mask.any() else 0


def _pvz(oracle: Any, m: int) -> tuple[Any, int]:
    """Peña–Vera–Zuluaga search; returns (min t over the maximal sets of S(A) or None, #LPs)."""
    full = (1 << m) - 1
    todo = [full]
    seen = {full}
    feasible: list[int] = []  # members of S(A) found (maximal among those tried)
    certificates: list[int] = []  # row sets I with A_I^T v = 0 for some v in the simplex
    best = None
    while todo:
        J = todo.pop()
        if J == 0 or any(J & F == J for F in feasible):
            continue
        cert = next((c for c in certificates if J & c == c), None)
        if cert is None:
            mask = np.array([(J >> i) & 1 for i in range(m)], dtype=bool)
            t, support = oracle.solve(mask)
            if t is not None:
                feasible.append(J)
                best = t if best is None or t < best else best
                continue
            cert = _mask_to_int(support)
            certificates.append(cert)
        for i in range(m):
            if (cert >> i) & 1:
                K = J & ~(1 << i)
                if K not in seen:
                    seen.add(K)
                    todo.append(K)
    return best, oracle.n_lps


def _check_subsets(m: int, what: str) -> None:
    if 2**m - 1 > MAX_SUBSETS:
        raise ValueError(
            f"hoffman_constant(method={what!r}) enumerates every row subset; A has {m} rows "
            f"(2^{m} - 1 subsets > {MAX_SUBSETS}); use method='pvz'"
        )


def _brute_force(oracle: Any, m: int) -> tuple[Any, int]:
    _check_subsets(m, "brute_force")
    best = None
    for J in range(1, 1 << m):
        mask = np.array([(J >> i) & 1 for i in range(m)], dtype=bool)
        t, _ = oracle.solve(mask)
        if t is not None and (best is None or t < best):
            best = t
    return best, oracle.n_lps


def _upper_bound(A: np.ndarray) -> float:
    """max over full-row-rank J of sqrt(|J|) / sigma_min(A_J) (>= H(A), see the module notes).

    For J in S(A) an optimal v can be moved (keeping the objective) until A_supp(v) has
    linearly independent rows, and then ||A_J^T v||_1 >= ||A_J^T v||_2 >= sigma_min ||v||_2
    >= sigma_min / sqrt(|J|).  SVDs are batched over all subsets of each size.
    """
    m, n = A.shape
    kmax = min(m, n)
    total = sum(math.comb(m, k) for k in range(1, kmax + 1))
    if total > MAX_SUBSETS:
        raise ValueError(
            f"hoffman_constant(method='bounds'): the upper bound needs {total} SVDs (> {MAX_SUBSETS})"
        )
    best = 0.0
    smax = float(np.linalg.norm(A, 2)) or 1.0
    for k in range(1, kmax + 1):
        combos = np.array(list(itertools.combinations(range(m), k)), dtype=np.int64)
        for start in range(0, len(combos), 20000):
            sub = A[combos[start : start + 20000]]  # (C, k, n)
            sv = np.linalg.svd(sub, compute_uv=False)[:, -1]
            ok = sv > 1e-12 * smax
            if ok.any():
                best = max(best, float(np.max(math.sqrt(k) / sv[ok])))
    return best


def _lower_bound(oracle: _FloatSimplexLP, m: int, n_samples: int, seed: int) -> float:
    """max 1/t(J) over random row sets shrunk into S(A) (every value found is attained)."""
    rng = np.random.default_rng(seed)
    best = 0.0
    for _ in range(n_samples):
        mask = rng.random(m) < 0.5
        if not mask.any():
            mask[rng.integers(m)] = True
        while mask.any():
            t, support = oracle.solve(mask)
            if t is not None:
                best = max(best, 1.0 / t)
                break
            mask[rng.choice(np.flatnonzero(support))] = False
    return best


# ------------------------------------------------------------------------------- tropical cells
def _is_tropical(obj: Any) -> bool:
    from ..algebra.polynomial import TropicalPolynomial
    from ..algebra.rational import TropicalRational, TropicalRationalMap

    return isinstance(obj, (TropicalPolynomial, TropicalRational, TropicalRationalMap))


def _matrix_hoffman(A: np.ndarray, method: str, exact: bool, n_samples: int, seed: int) -> Any:
    m = A.shape[0]
    if method == "bounds":
        if exact:
            raise ValueError(
                "hoffman_constant(method='bounds') is a float bound; exact=True is not available"
            )
        lower = _lower_bound(_FloatSimplexLP(A), m, n_samples, seed)
        return (lower, _upper_bound(A))
    oracle = _oracle(A, exact)
    t, _ = (_pvz if method == "pvz" else _brute_force)(oracle, m)
    if t is None:
        return Fraction(0) if exact else 0.0
    return 1 / t if exact else 1.0 / t


def hoffman_constant(
    A: Any,
    *,
    method: str = "pvz",
    exact: bool = False,
    n_samples: int = 10,
    seed: int = 0,
) -> float | Fraction | tuple[float, float]:
    """The Hoffman constant H(A) of ``A x <= b`` (infinity norms, Peña–Vera–Zuluaga).

    Parameters
    ----------
    A
        An (m, n) matrix, or a ``TropicalPolynomial``, ``TropicalRational``,
        ``TropicalRationalMap`` or ``Network``: then the maximum of H over the tilde matrices of
        the full-dimensional cells (rows ``a_j - a_i`` for the monomial i winning on the cell;
        numerator and denominator blocks stacked for a rational, all outputs for a map).
    method
        ``"pvz"`` (default), ``"brute_force"`` (every row subset, for checking) or ``"bounds"``:
        an interval ``(lower, upper)`` with ``lower <= H <= upper``: the lower end from
        ``n_samples`` random row sets shrunk into S(A), the upper end
        max sqrt(|J|)/sigma_min(A_J) over full-row-rank J.
    exact
        Decide every LP in rational arithmetic and return a ``Fraction`` (not with "bounds").

    >>> hoffman_constant([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]])
    1.0
    >>> lo, hi = hoffman_constant([[1, 0], [0, 1], [1, 0]], method="bounds")
    >>> lo, round(hi, 6)
    (1.0, 1.414214)
    """
    if method not in _METHODS:
        raise ValueError(f"hoffman_constant: method must be one of {_METHODS}, got {method!r}")
    if _is_tropical(A) or type(A).__name__ == "Network":
        return _tropical_hoffman(A, method=method, exact=exact, n_samples=n_samples, seed=seed)
    M = _as_matrix(A, exact)
    return _matrix_hoffman(M, method, exact, n_samples, seed)


# --------------------------------------------------------------------------- batched small LPs
def _block_lps(blocks: list[tuple], exact: bool) -> list[Any]:
    """Optimal values of many independent small LPs ``min c.z s.t. G z <= h, lo <= z <= hi``.

    Float: one block-diagonal HiGHS model per chunk (the objective is separable, so the joint
    optimum is optimal block by block).  Exact: one exact LP (kernels.exact_lp) per block.  Every LP here is
    feasible and bounded by construction.
    """
    if not blocks:
        return []
    if exact:
        return [_exact_block_lp(*blk) for blk in blocks]
    import highspy
    from scipy import sparse

    out: list[Any] = []
    inf = highspy.kHighsInf
    for start in range(0, len(blocks), 2000):
        chunk = blocks[start : start + 2000]
        G = sparse.block_diag([np.asarray(b[1], dtype=np.float64) for b in chunk], format="csc")
        c = np.concatenate([np.asarray(b[0], dtype=np.float64) for b in chunk])
        h = np.concatenate([np.asarray(b[2], dtype=np.float64) for b in chunk])
        lo = np.concatenate([np.asarray(b[3], dtype=np.float64) for b in chunk])
        hi = np.concatenate([np.asarray(b[4], dtype=np.float64) for b in chunk])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = G.shape[1], G.shape[0]
        lp.col_cost_ = c
        lp.col_lower_ = np.where(np.isinf(lo), -inf, lo)
        lp.col_upper_ = np.where(np.isinf(hi), inf, hi)
        lp.row_lower_ = np.full(G.shape[0], -inf)
        lp.row_upper_ = h
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = G.indptr
        lp.a_matrix_.index_ = G.indices
        lp.a_matrix_.value_ = G.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = G.shape[1], G.shape[0]
        hs = new_highs(presolve=True)
        hs.passModel(lp)
        hs.run()
        if hs.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # pragma: no cover
            raise RuntimeError(f"HiGHS failed on a batch of cell LPs: {hs.getModelStatus()}")
        z = np.asarray(hs.getSolution().col_value)
        pos = 0
        for b in chunk:
            k = len(b[0])
            out.append(float(np.dot(np.asarray(b[0], dtype=np.float64), z[pos : pos + k])))
            pos += k
    return out


def _exact_block_lp(c: Any, G: Any, h: Any, lo: Any, hi: Any) -> Fraction:
    from ..kernels.exact_lp import solve_exact_lp

    lo = [None if not np.isfinite(float(v)) else Fraction(v) for v in lo]
    hi = [None if not np.isfinite(float(v)) else Fraction(v) for v in hi]
    status, _, value = solve_exact_lp(as_exact_array(c, ndim=1), as_exact_array(G, ndim=2),
                                      as_exact_array(h, ndim=1), lo, hi)
    if status != "optimal":  # pragma: no cover
        raise RuntimeError(f"the exact cell LP is {status}")
    return value


def _slacks(systems: list[tuple[np.ndarray, np.ndarray]], exact: bool) -> list[Any]:
    """For each ``(A, b)``: max r <= 1 with ``A x + r <= b`` (r > 0 iff full-dimensional)."""
    blocks = []
    for A, b in systems:
        k, n = A.shape
        G = np.hstack(
            [A, np.ones((k, 1), dtype=A.dtype) if A.dtype != object else np.full((k, 1), 1, object)]
        )
        lo = np.r_[np.full(n, -np.inf), -np.inf]
        hi = np.r_[np.full(n, np.inf), 1.0]
        blocks.append((np.r_[np.zeros(n), -1.0], G, b, lo, hi))
    return [-v for v in _block_lps(blocks, exact)]


def _distances(systems: list[tuple[np.ndarray, np.ndarray]], center: np.ndarray, exact: bool) -> list[Any]:
    """For each ``(A, b)`` the infinity-norm distance from ``center`` to ``{A x <= b}``."""
    blocks = []
    n = len(center)
    for A, b in systems:
        k = A.shape[0]
        eye = np.eye(n, dtype=np.int64)
        col = np.full((n, 1), -1, dtype=np.int64)
        G = np.block(
            [
                [A.astype(object) if exact else A.astype(np.float64), np.zeros((k, 1), dtype=np.int64)],
                [eye, col],
                [-eye, col],
            ]
        )
        h = np.concatenate([b, center, -center])
        lo = np.r_[np.full(n, -np.inf), 0.0]
        hi = np.full(n + 1, np.inf)
        blocks.append((np.r_[np.zeros(n, dtype=np.int64), 1], G, h, lo, hi))
    return _block_lps(blocks, exact)


def _cell_systems(obj: Any, exact: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """The tilde systems ``(A, b)`` of the full-dimensional cells of a tropical object.

    A polynomial's cell i is ``{x : (a_j - a_i) x <= c_i - c_j  for j != i}`` for every monomial
    i on the upper hull; for a rational function / a map, the common refinement of all its
    polynomials, each cell carrying the stacked blocks of its winners.
    """
    from ..algebra.polynomial import TropicalPolynomial
    from ..algebra.rational import TropicalRational
    from ..kernels.poly import upper_hull_mask

    if isinstance(obj, TropicalPolynomial):
        polys = [obj]
    elif isinstance(obj, TropicalRational):
        polys = [obj.numerator, obj.denominator]
    else:
        polys = [p for r in obj for p in (r.numerator, r.denominator)]
    cells: list[tuple[np.ndarray, np.ndarray]] | None = None
    for p in polys:
        E = as_exact_array(p.exponents) if exact else as_float_array(p.exponents)
        c = as_exact_array(p.coefficients) if exact else as_float_array(p.coefficients, allow_neg_inf=True)
        if not exact:
            live = c > -np.inf
            E, c = E[live], c[live]
        own = []
        for i in np.flatnonzero(upper_hull_mask(E, c)):
            keep = np.arange(len(c)) != i
            own.append((E[keep] - E[i], c[i] - c[keep]))
        if len(own) == 1 and own[0][0].shape[0] == 0:  # a single monomial: no constraint
            own = [(E[:0], c[:0])]
        if cells is None:
            cells = own
            continue
        pairs = [(np.vstack([A1, A2]), np.concatenate([b1, b2])) for A1, b1 in cells for A2, b2 in own]
        if all(A.shape[0] == 0 for A, _ in pairs):
            cells = pairs
            continue
        slack = _slacks(
            [(A, b) if A.shape[0] else (np.zeros((1, A.shape[1])), np.ones(1)) for A, b in pairs], exact
        )
        scale = max(1.0, max(float(np.abs(np.asarray(b, dtype=np.float64)).max(initial=0)) for _, b in pairs))
        tol = 0 if exact else 1e-9 * scale
        cells = [pc for pc, s in zip(pairs, slack) if s > tol]
    assert cells is not None
    return cells


def _as_tropical(obj: Any) -> Any:
    if _is_tropical(obj):
        return obj
    from ..compiler import tropicalize

    return tropicalize(obj)


def _tropical_hoffman(obj: Any, *, method: str, exact: bool, n_samples: int, seed: int) -> Any:
    trop = _as_tropical(obj)
    values = []
    for A, _ in _cell_systems(trop, exact):
        if A.shape[0] == 0:
            continue
        values.append(_matrix_hoffman(A, method, exact, n_samples, seed))
    if method == "bounds":
        return (max((v[0] for v in values), default=0.0), max((v[1] for v in values), default=0.0))
    return max(values, default=Fraction(0) if exact else 0.0)




