"""Exact linear programs without system packages: HiGHS proposes a basis, rationals certify it.

``solve_exact_lp(c, G, h, lo, hi)`` minimises ``c x`` subject to ``G x <= h`` and
``lo <= x <= hi`` with exact (``Fraction``) data, and returns the exact optimum.  It needs only
the core dependencies (highspy and python-flint), so ``exact=True`` features work after a plain
``pip install tropnet`` -- no cddlib, no GMP headers.

The established float-basis-then-exact-certificate approach (as in SoPlex's and QSopt_ex's
iterative refinement):

1. HiGHS solves the float LP and reports its optimal basis (which columns are basic, which
   rows and columns sit at which bound).
2. The basic solution of that basis is recomputed exactly: the tight rows and the nonbasic
   bounds fix ``x`` through one square rational system (python-flint ``fmpq_mat``), and the
   duals ``y`` come from the transposed system.
3. The basis is certified optimal when, in exact arithmetic, ``x`` is primal feasible,
   ``y >= 0`` and every reduced cost has the sign its bound allows (LP duality: the
   objective values agree, so both are optimal).
4. Otherwise the basis is *repaired*: an exact bounded-variable simplex (Bland's rule, so
   it terminates) runs from scratch on the rational data (slow, but rare: it is reached only
   when HiGHS's floating-point basis is not exactly optimal).

>>> from fractions import Fraction as F
>>> import numpy as np
>>> G = np.array([[F(1), F(1)], [F(1), F(-2)]], dtype=object)
>>> h = np.array([F(1), F(0)], dtype=object)
>>> c = np.array([F(-1), F(-1, 3)], dtype=object)
>>> status, x, value = solve_exact_lp(c, G, h, [F(0), F(0)], [None, None])
>>> status, x.tolist(), value
('optimal', [Fraction(2, 3), Fraction(1, 3)], Fraction(-7, 9))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array

__all__ = ["solve_exact_lp"]


def _bound(v: Any) -> Fraction | None:
    if v is None:
        return None
    if isinstance(v, float) and np.isinf(v):
        return None
    if isinstance(v, (np.floating,)) and np.isinf(v):
        return None
    return Fraction(v) if not isinstance(v, Fraction) else v


def solve_exact_lp(
    c: Any, G: Any, h: Any, lo: Any, hi: Any
) -> tuple[str, np.ndarray | None, Fraction | None]:
    """Minimise ``c x`` s.t. ``G x <= h``, ``lo <= x <= hi`` exactly (``None``/``inf`` bounds are free).

    Returns ``(status, x, value)``: status ``"optimal"`` (``x`` an exact optimal vertex, as
    Fractions, and ``value = c x``), ``"infeasible"`` or ``"unbounded"`` (``x``, ``value`` None).
    """
    c = as_exact_array(c, name="c", ndim=1)
    G = as_exact_array(G, name="G", ndim=2).reshape(-1, len(c))
    h = as_exact_array(h, name="h", ndim=1)
    n = len(c)
    lo = [_bound(v) for v in lo]
    hi = [_bound(v) for v in hi]
    if len(lo) != n or len(hi) != n or G.shape[0] != len(h):
        raise ValueError("solve_exact_lp: the shapes of c, G, h, lo and hi do not match")
    try:
        basis = _highs_basis(c, G, h, lo, hi)
    except OverflowError:  # data beyond float range: no float proposal, the exact simplex decides
        basis = None
    if basis is not None:
        if basis == "infeasible" or basis == "unbounded":
            certified = _simplex(c, G, h, lo, hi)  # confirm a negative answer exactly
            return certified
        found = _certify(c, G, h, lo, hi, *basis)
        if found is not None:
            return "optimal", found, sum((ci * xi for ci, xi in zip(c, found)), Fraction(0))
    return _simplex(c, G, h, lo, hi)


# ---------------------------------------------------------------------------- step 1: HiGHS
def _highs_basis(c, G, h, lo, hi):
    import highspy

    from .lp import new_highs

    m, n = G.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.array([float(v) for v in c], dtype=np.float64)
    lp.col_lower_ = np.array([-inf if v is None else float(v) for v in lo], dtype=np.float64)
    lp.col_upper_ = np.array([inf if v is None else float(v) for v in hi], dtype=np.float64)
    lp.row_lower_ = np.full(m, -inf)
    lp.row_upper_ = np.array([float(v) for v in h], dtype=np.float64)
    if m:
        Gf = np.array([[float(v) for v in row] for row in G], dtype=np.float64).reshape(m, n)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, m * n + 1, max(n, 1))[: m + 1].astype(np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(n, dtype=np.int32), m)
        lp.a_matrix_.value_ = Gf.ravel()
    hs = new_highs(presolve=False)
    hs.passModel(lp)
    hs.run()
    st = hs.getModelStatus()
    if st == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "unbounded"
    if st != highspy.HighsModelStatus.kOptimal:
        return None
    b = hs.getBasis()
    if not b.valid:
        return None
    S = highspy.HighsBasisStatus
    col = [int(s == S.kBasic) + 2 * int(s == S.kUpper) for s in b.col_status]  # 1 basic, 2 upper, 0 other
    row_basic = [s == S.kBasic for s in b.row_status]
    return col, row_basic


# ---------------------------------------------------------------------------- steps 2-3: certify
def _certify(c, G, h, lo, hi, col, row_basic):
    from flint import fmpq, fmpq_mat

    m, n = G.shape
    basic_cols = [j for j in range(n) if col[j] == 1]
    tight = [i for i in range(m) if not row_basic[i]]
    if len(basic_cols) != len(tight):
        return None
    x: list[Fraction | None] = [None] * n
    for j in range(n):
        if col[j] == 1:
            continue
        if col[j] == 2:
            x[j] = hi[j]
        elif lo[j] is not None:
            x[j] = lo[j]
        elif hi[j] is not None:
            x[j] = hi[j]
        else:
            x[j] = Fraction(0)  # a free nonbasic variable
    k = len(basic_cols)
    y_tight: list[Fraction] = []
    if k:
        B = fmpq_mat(k, k, [fmpq(G[i, j].numerator, G[i, j].denominator) for i in tight for j in basic_cols])
        rhs = []
        for i in tight:
            r = h[i] - sum((G[i, j] * x[j] for j in range(n) if col[j] != 1), Fraction(0))
            rhs.append(fmpq(r.numerator, r.denominator))
        try:
            xb = B.solve(fmpq_mat(k, 1, rhs))
            # duals of the tight rows: B^T y = -c_B
            yb = B.transpose().solve(fmpq_mat(k, 1, [fmpq(-c[j].numerator, c[j].denominator)
                                                      for j in basic_cols]))
        except ZeroDivisionError:
            return None
        for t, j in enumerate(basic_cols):
            v = xb[t, 0]
            x[j] = Fraction(int(v.p), int(v.q))
        y_tight = [Fraction(int(yb[t, 0].p), int(yb[t, 0].q)) for t in range(k)]
    # primal feasibility
    for j in range(n):
        if (lo[j] is not None and x[j] < lo[j]) or (hi[j] is not None and x[j] > hi[j]):
            return None
    for i in range(m):
        if sum((G[i, j] * x[j] for j in range(n)), Fraction(0)) > h[i]:
            return None
    # dual feasibility: y >= 0 and reduced costs d = c + G^T y of the right sign at the bound
    if any(v < 0 for v in y_tight):
        return None
    for j in range(n):
        if col[j] == 1:
            continue
        d = c[j] + sum((G[i, j] * y for i, y in zip(tight, y_tight)), Fraction(0))
        at_lo = lo[j] is not None and x[j] == lo[j]
        at_hi = hi[j] is not None and x[j] == hi[j]
        if d > 0 and not at_lo:
            return None
        if d < 0 and not at_hi:
            return None
    return np.array(x, dtype=object)


# ---------------------------------------------------------------------------- step 4: repair
def _simplex(c, G, h, lo, hi):
    """Exact dense two-phase simplex (Bland's rule) on ``min c x, G x <= h, lo <= x <= hi``.

    Variables are shifted to ``x = lo + u`` (``u >= 0``) or ``x = hi - u``, free ones split into
    ``u+ - u-``; finite upper bounds of lower-bounded variables become rows.
    """
    m, n = G.shape
    # x_j = off_j + sum_k T[j][k] u_k, u >= 0
    terms: list[list[tuple[int, int]]] = []
    off: list[Fraction] = []
    nu = 0
    extra_rows: list[tuple[dict[int, Fraction], Fraction]] = []
    for j in range(n):
        if lo[j] is not None:
            off.append(lo[j])
            terms.append([(nu, 1)])
            if hi[j] is not None:
                extra_rows.append(({nu: Fraction(1)}, hi[j] - lo[j]))
            nu += 1
        elif hi[j] is not None:
            off.append(hi[j])
            terms.append([(nu, -1)])
            nu += 1
        else:
            off.append(Fraction(0))
            terms.append([(nu, 1), (nu + 1, -1)])
            nu += 2
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    for i in range(m):
        row = [Fraction(0)] * nu
        r = h[i]
        for j in range(n):
            if G[i, j]:
                r -= G[i, j] * off[j]
                for k, s in terms[j]:
                    row[k] += s * G[i, j]
        rows.append(row)
        rhs.append(r)
    for coeffs, r in extra_rows:
        row = [Fraction(0)] * nu
        for k, v in coeffs.items():
            row[k] = v
        rows.append(row)
        rhs.append(r)
    cost = [Fraction(0)] * nu
    for j in range(n):
        for k, s in terms[j]:
            cost[k] += s * c[j]
    status, u = _tableau(rows, rhs, cost)
    if status != "optimal":
        return status, None, None
    x = [off[j] + sum((s * u[k] for k, s in terms[j]), Fraction(0)) for j in range(n)]
    return "optimal", np.array(x, dtype=object), sum((ci * xi for ci, xi in zip(c, x)), Fraction(0))


def _tableau(A: list[list[Fraction]], b: list[Fraction], cost: list[Fraction]):
    """min cost.u s.t. A u <= b, u >= 0: slacks, phase 1 with artificials on negative rows."""
    m = len(A)
    nu = len(cost)
    # columns: u (nu), slacks (m), artificials (one per row with b < 0)
    neg = [i for i in range(m) if b[i] < 0]
    na = len(neg)
    width = nu + m + na
    T = []
    basis = []
    for i in range(m):
        sign = -1 if b[i] < 0 else 1
        row = [sign * v for v in A[i]] + [Fraction(0)] * (m + na) + [sign * b[i]]
        row[nu + i] = Fraction(sign)
        if b[i] < 0:
            a = nu + m + neg.index(i)
            row[a] = Fraction(1)
            basis.append(a)
        else:
            basis.append(nu + i)
        T.append(row)

    def run(obj: list[Fraction], allowed: int) -> str:
        while True:
            # reduced costs r_j = obj_j - sum_i obj_{basis_i} T[i][j]
            enter = None
            for j in range(allowed):
                if j in basis:
                    continue
                r = obj[j] - sum((obj[basis[i]] * T[i][j] for i in range(m)), Fraction(0))
                if r < 0:
                    enter = j
                    break
            if enter is None:
                return "optimal"
            best = None
            for i in range(m):
                if T[i][enter] > 0:
                    ratio = T[i][-1] / T[i][enter]
                    if best is None or ratio < best[0] or (ratio == best[0] and basis[i] < basis[best[1]]):
                        best = (ratio, i)
            if best is None:
                return "unbounded"
            _pivot(T, basis, best[1], enter)

    if na:
        phase1 = [Fraction(0)] * (nu + m) + [Fraction(1)] * na
        run(phase1, width)
        if sum((T[i][-1] for i in range(m) if basis[i] >= nu + m), Fraction(0)) > 0:
            return "infeasible", None
        for i in range(m):  # drive artificials (at zero) out of the basis
            if basis[i] >= nu + m:
                for j in range(nu + m):
                    if T[i][j] != 0 and j not in basis:
                        _pivot(T, basis, i, j)
                        break
    obj = list(cost) + [Fraction(0)] * (m + na)
    status = run(obj, nu + m)
    if status != "optimal":
        return status, None
    u = [Fraction(0)] * nu
    for i in range(m):
        if basis[i] < nu:
            u[basis[i]] = T[i][-1]
    return "optimal", u


def _pivot(T: list[list[Fraction]], basis: list[int], p: int, enter: int) -> None:
    """Make column ``enter`` basic in row ``p`` (exact Gauss-Jordan step on the tableau)."""
    piv = T[p][enter]
    T[p] = [v / piv for v in T[p]]
    for i in range(len(T)):
        if i != p and T[i][enter] != 0:
            f = T[i][enter]
            T[i] = [a - f * q for a, q in zip(T[i], T[p])]
    basis[p] = enter
