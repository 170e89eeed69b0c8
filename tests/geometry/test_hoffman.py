"""Hoffman constants: known answers, PVZ == brute force == an independent computation, bounds."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

import tropnet
from tropnet.geometry.hoffman import hoffman_constant

I3 = np.eye(3, dtype=np.int64)
KNOWN = [
    (I3, 1),
    (np.vstack([I3, [[-1, -1, -1]]]), 3),
    (np.vstack([I3, -I3]), 1),
]


@pytest.mark.parametrize("A, H", KNOWN)
@pytest.mark.parametrize("method", ["pvz", "brute_force"])
def test_known_answers(A, H, method):
    assert hoffman_constant(A, method=method) == pytest.approx(H, rel=1e-9)
    exact = hoffman_constant(A, method=method, exact=True)
    assert isinstance(exact, Fraction) and exact == H


def test_upper_bound_known_answer():
    lo, hi = hoffman_constant([[1, 0], [0, 1], [1, 0]], method="bounds")
    assert hi == pytest.approx(math.sqrt(2))
    assert lo <= hoffman_constant([[1, 0], [0, 1], [1, 0]]) <= hi


def test_tropical_polynomial_known_answer():
    # TropicalNN.jl: max(0, x - 1, 2x) has H = 1, and 0.5 after pruning the redundant x - 1
    p = tropnet.TropicalPolynomial([[0], [1], [2]], [0, -1, 0])
    assert hoffman_constant(p) == pytest.approx(1.0)
    assert hoffman_constant(p, exact=True) == 1
    assert hoffman_constant(p.simplify(), exact=True) == Fraction(1, 2)


def _independent_H(A):
    """Definition, by scipy.linprog over every subset (test-only reference)."""
    m, n = A.shape
    best = 0.0
    for k in range(1, m + 1):
        for J in itertools.combinations(range(m), k):
            AJ = A[list(J)]
            # variables v (k), s (n): min sum s, -s <= AJ^T v <= s, sum v = 1, v >= 0
            c = np.r_[np.zeros(k), np.ones(n)]
            A_ub = np.block([[AJ.T, -np.eye(n)], [-AJ.T, -np.eye(n)]])
            res = linprog(
                c,
                A_ub=A_ub,
                b_ub=np.zeros(2 * n),
                A_eq=np.r_[np.ones(k), np.zeros(n)][None],
                b_eq=[1.0],
                bounds=[(0, None)] * (k + n),
                method="highs",
            )
            if res.fun > 1e-9:
                best = max(best, 1.0 / res.fun)
    return best


matrices = st.integers(0, 10_000).map(
    lambda s: np.random.default_rng(s).integers(-3, 4, size=(int(np.random.default_rng(s).integers(2, 6)), 3))
)


@given(matrices)
def test_pvz_equals_brute_force_and_exact(A):
    h_pvz = hoffman_constant(A)
    h_bf = hoffman_constant(A, method="brute_force")
    h_ex = hoffman_constant(A, exact=True)
    assert h_pvz == pytest.approx(h_bf, rel=1e-7, abs=1e-12)
    assert h_pvz == pytest.approx(float(h_ex), rel=1e-7, abs=1e-12)
    lo, hi = hoffman_constant(A, method="bounds")
    assert lo <= h_pvz * (1 + 1e-9) and h_pvz <= hi * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_against_independent_definition(seed):
    A = np.random.default_rng(seed).normal(size=(5, 4))
    assert hoffman_constant(A) == pytest.approx(_independent_H(A), rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_hoffman_bound_holds(seed):
    # dist_inf(x, {A x <= b}) <= H * ||(A x - b)_+||_inf for random b (non-empty P) and x
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(6, 3))
    H = hoffman_constant(A)
    for _ in range(10):
        b = A @ rng.normal(size=3) + rng.uniform(0, 1, size=6)
        x = rng.normal(size=3) * 3
        res = linprog(
            np.r_[np.zeros(3), 1.0],
            A_ub=np.block(
                [[A, np.zeros((6, 1))], [np.eye(3), -np.ones((3, 1))], [-np.eye(3), -np.ones((3, 1))]]
            ),
            b_ub=np.r_[b, x, -x],
            bounds=[(None, None)] * 3 + [(0, None)],
            method="highs",
        )
        resid = np.max(np.maximum(A @ x - b, 0))
        assert res.fun <= H * resid + 1e-9


def test_zero_matrix_and_float_exact_agree():
    assert hoffman_constant(np.zeros((2, 2))) == 0.0
    A = np.array([[0.5, -1.25], [1.0, 0.75], [-0.1, 0.3]])
    assert float(hoffman_constant(A, exact=True)) == pytest.approx(hoffman_constant(A), rel=1e-9)


@pytest.mark.parametrize(
    "bad, err, msg",
    [
        ([[np.nan, 1.0]], ValueError, "NaN"),
        ([1.0, 2.0], ValueError, "2-D"),
        (np.zeros((0, 3)), ValueError, "empty"),
        ([[1, 2], [3]], ValueError, "ragged"),
        (np.ones((2, 2), dtype=bool), TypeError, "boolean"),
    ],
)
def test_bad_input(bad, err, msg):
    with pytest.raises(err, match=msg):
        hoffman_constant(bad)


def test_bad_options():
    with pytest.raises(ValueError, match="method"):
        hoffman_constant(I3, method="nope")
    with pytest.raises(ValueError, match="exact"):
        hoffman_constant(I3, method="bounds", exact=True)
    with pytest.raises(ValueError, match="pvz"):
        hoffman_constant(np.ones((30, 2)), method="brute_force")


def test_network_and_its_tropical_form():
    net = tropnet.random_mlp([2, 2, 1], seed=3)
    f = tropnet.tropicalize(net)
    h = hoffman_constant(net)
    assert h == pytest.approx(hoffman_constant(f))
    assert h == pytest.approx(hoffman_constant(f, method="brute_force"))
    lo, hi = hoffman_constant(f, method="bounds")
    assert lo <= h * (1 + 1e-9) <= hi * (1 + 1e-9)
    assert float(hoffman_constant(f, exact=True)) == pytest.approx(h)


def test_exact_mode_needs_no_pycddlib(monkeypatch):
    # issue 18: exact=True failed without pycddlib (a system-package build); now the exact LPs
    # are HiGHS bases certified in rationals.  With cdd importable it must agree (an oracle).
    import sys

    rng = np.random.default_rng(5)
    cases = [A for A, _ in KNOWN] + [rng.integers(-3, 4, size=(5, 3)) for _ in range(3)]
    with_cdd = [hoffman_constant(A, exact=True) for A in cases]
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)
    without = [hoffman_constant(A, exact=True) for A in cases]
    assert without == with_cdd
    assert without[:3] == [H for _, H in KNOWN]
    p = tropnet.TropicalPolynomial([[0], [1], [2]], [0, -1, 0])
    assert hoffman_constant(p, exact=True) == 1
