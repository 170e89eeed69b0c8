"""kernels.exact_lp: exact LP optimum from a HiGHS basis certified in rationals (issue 18),
checked against pycddlib's exact LP (an independent oracle, where installed) and against the
module's own exact simplex."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from tropnet.kernels import exact_lp
from tropnet.kernels.exact_lp import solve_exact_lp


def _random_lp(rng, m, n, degenerate=False):
    G = rng.integers(-4, 5, size=(m, n))
    x0 = rng.integers(-2, 3, size=n)
    slack = rng.integers(0, 3, size=m) if not degenerate else np.zeros(m, dtype=int)
    h = G @ x0 + slack
    c = rng.integers(-3, 4, size=n)
    Gq = np.array([[F(int(v), int(rng.integers(1, 4))) for v in row] for row in G], dtype=object)
    hq = np.array([F(int(v)) for v in h], dtype=object)
    cq = np.array([F(int(v), 3) for v in c], dtype=object)
    return cq, Gq, hq


def _cdd_value(c, G, h, lo, hi):
    cdd = pytest.importorskip("cdd")
    gmp = pytest.importorskip("cdd.gmp")

    n = len(c)
    rows = [[h[i], *(-G[i])] for i in range(G.shape[0])]
    for j in range(n):
        if lo[j] is not None:
            e = [F(0)] * n
            e[j] = F(1)
            rows.append([-lo[j], *e])
        if hi[j] is not None:
            e = [F(0)] * n
            e[j] = F(-1)
            rows.append([hi[j], *e])
    rows.append([F(0), *c])
    lp = gmp.linprog_from_array(rows, obj_type=cdd.LPObjType.MIN)
    gmp.linprog_solve(lp)
    if lp.status == cdd.LPStatusType.OPTIMAL:
        return "optimal", F(lp.obj_value)
    return str(lp.status), None


def test_known_answer():
    # max x + y s.t. x + 2y <= 4, 3x + y <= 6, x, y >= 0: optimum at (8/5, 6/5), value 14/5
    G = np.array([[F(1), F(2)], [F(3), F(1)]], dtype=object)
    status, x, value = solve_exact_lp([F(-1), F(-1)], G, [F(4), F(6)], [F(0), F(0)], [None, None])
    assert status == "optimal" and x.tolist() == [F(8, 5), F(6, 5)] and value == F(-14, 5)


@pytest.mark.parametrize("degenerate", [False, True])
def test_matches_cdd_and_the_exact_simplex(degenerate):
    rng = np.random.default_rng(18 + degenerate)
    for _ in range(25):
        m, n = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        c, G, h = _random_lp(rng, m, n, degenerate)
        lo = [F(-5)] * n if rng.integers(2) else [None] * n
        hi = [F(5)] * n
        status, x, value = solve_exact_lp(c, G, h, lo, hi)
        s2, x2, v2 = exact_lp._simplex(c, G, h, lo, hi)
        assert (status, value) == (s2, v2)
        if status == "optimal":
            assert all(sum(G[i, j] * x[j] for j in range(n)) <= h[i] for i in range(m))
            assert all(lo[j] is None or x[j] >= lo[j] for j in range(n))
            assert all(isinstance(v, F) for v in x)
        try:
            want = _cdd_value(c, G, h, lo, hi)
        except pytest.skip.Exception:
            continue
        if status == "optimal":
            assert want == ("optimal", value)


def test_infeasible_and_unbounded():
    G = np.array([[F(1)], [F(-1)]], dtype=object)
    assert solve_exact_lp([F(1)], G, [F(0), F(-1)], [None], [None])[0] == "infeasible"  # x <= 0, x >= 1
    assert solve_exact_lp([F(-1)], G[1:], [F(0)], [None], [None])[0] == "unbounded"      # max x, x >= 0


def test_a_basis_that_does_not_certify_is_repaired(monkeypatch):
    monkeypatch.setattr(exact_lp, "_certify", lambda *a: None)
    G = np.array([[F(1), F(2)], [F(3), F(1)]], dtype=object)
    assert solve_exact_lp([F(-1), F(-1)], G, [F(4), F(6)], [F(0), F(0)], [None, None])[2] == F(-14, 5)
