"""The exact fallback without pycddlib (phase-1 simplex in Fractions) agrees with the main path."""

import sys
from fractions import Fraction

import numpy as np
import pytest

from tropnet.kernels import hull, hull_oracle


@pytest.fixture
def no_cdd(monkeypatch):
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)


def test_fallback_decides_like_the_certificates(no_cdd):
    rng = np.random.default_rng(5)
    for t in range(60):
        n = int(rng.integers(1, 4))
        A = np.unique(rng.integers(0, 4, size=(int(rng.integers(2, 14)), n)), axis=0)
        c = rng.integers(-3, 3, size=len(A)) if t % 3 else -(A**2).sum(axis=1) + (A.sum(axis=1) == 2)
        want = hull.upper_hull_vertices(A.astype(object), c.astype(object)).tolist()
        L = np.hstack([A, c[:, None]]).astype(np.int64)
        got = hull_oracle.decide_vertices(L, np.zeros(0, dtype=np.int64), np.arange(len(A))).tolist()
        assert got == want


def test_near_degenerate_input_without_cdd(no_cdd):
    # Qhull sees three collinear floats and fails; the exact fallback decides
    eps = Fraction(1, 2**60)
    A = np.array([[0], [1], [2]], dtype=object)
    up = np.array([Fraction(0), 1 + eps, Fraction(2)], dtype=object)
    down = np.array([Fraction(0), 1 - eps, Fraction(2)], dtype=object)
    assert hull.upper_hull_vertices(A, up).tolist() == [0, 1, 2]
    assert hull.upper_hull_vertices(A, down).tolist() == [0, 2]


def test_exact_feasibility():
    F = Fraction
    assert hull_oracle.exact_feasible([[F(1), F(1)]], [F(1)])
    assert not hull_oracle.exact_feasible([[F(1), F(1)]], [F(-1)])
    assert hull_oracle.exact_feasible([[F(1), F(-1)], [F(0), F(1)]], [F(0), F(2)])      # y = (2, 2)
    assert not hull_oracle.exact_feasible([[F(1), F(1)], [F(1), F(1)]], [F(1), F(2)])   # inconsistent
