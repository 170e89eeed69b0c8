"""TropicalMatrix: known answers, brute force (all permutations, all cycles), semiring laws."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import TropicalMatrix

NEG = float("-inf")


def random_matrix(n, seed, zero_frac=0.2, big=0):
    rng = np.random.default_rng(seed)
    A = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            A[i, j] = NEG if rng.random() < zero_frac else Fraction(int(rng.integers(-9, 10)) + big,
                                                                    int(rng.integers(1, 4)))
    return A


def brute_det(A, best=max):
    n = len(A)
    vals = [sum(A[i, s[i]] for i in range(n)) for s in itertools.permutations(range(n))]
    return best(vals)


def brute_cycle_mean(A, best=max):
    n = len(A)
    means = []
    for k in range(1, n + 1):
        for cyc in itertools.permutations(range(n), k):
            if cyc[0] != min(cyc):
                continue
            w = sum(A[cyc[t], cyc[(t + 1) % k]] for t in range(k))
            if not (isinstance(w, float) and math.isinf(w)):
                means.append(Fraction(w) / k)
    return best(means) if means else (NEG if best is max else float("inf"))


def test_known_answers():
    A = TropicalMatrix([[0, 3], [1, -1]])
    assert A.det() == 4 and A.eigenvalue() == 2
    assert A.det(return_permutation=True)[1].tolist() == [1, 0]
    V = A.eigenvectors()
    assert V.shape == (2, 1)
    v = V[:, 0]
    assert (A @ v).tolist() == [2 + t for t in v]
    # by hand: the star of [[-1, 2], [-3, -5]] (cycle 1->2->1 has weight -1 <= 0)
    S = TropicalMatrix([[-1, 2], [-3, -5]]).kleene_star()
    assert S.entries.tolist() == [[0, 2], [-3, 0]]
    with pytest.raises(ValueError, match="positive weight.*cycle mean is 1/2"):
        TropicalMatrix([[-1, 2], [-1, -5]]).kleene_star()
    # A ⊗ x = b: principal solution by hand
    assert A.solve([5, 2]).tolist() == [1, 2]
    with pytest.raises(ValueError, match="no solution"):
        TropicalMatrix([[0, 0], [0, 0]]).solve([0, 1])
    assert str(TropicalMatrix([[0, NEG]])) == "[[0, -inf]]"


def test_min_plus_known_answers_and_empty():
    A = TropicalMatrix([[0, 3], [1, -1]], convention="min")
    assert A.det() == -1 and A.eigenvalue() == -1          # min(0 - 1, 3 + 1); the loop at node 2
    v = A.eigenvectors()[:, 0]
    assert v.tolist() == [4, 0] and (A @ v).tolist() == [3, -1]   # A ⊗min v = -1 ⊙ v
    assert A.solve([5, 2]).tolist() == [5, 3]             # min(0 + 5, 3 + 3) = 5, min(1 + 5, -1 + 3) = 2
    assert (A @ A).to_max_plus() == A.to_max_plus() @ A.to_max_plus()
    with pytest.raises(ValueError, match="negative weight.*minimum cycle mean is -1"):
        A.kleene_star()
    S = TropicalMatrix([[1, -2], [3, 5]], convention="min").kleene_star()
    assert S.entries.tolist() == [[0, -2], [3, 0]]             # min(0, ...) on the diagonal
    assert A**0 == TropicalMatrix.identity(2, convention="min") and A**3 == A @ A @ A
    assert (A * 2).entries.tolist() == [[2, 5], [3, 1]]
    assert str(TropicalMatrix.identity(2, convention="min")) == "[[0, inf], [inf, 0]]"
    E = TropicalMatrix(np.zeros((0, 0), dtype=object))
    assert E.det() == 0 and E.eigenvalue() == NEG
    F = TropicalMatrix(np.random.default_rng(0).normal(size=(30, 30)))
    lam, V = F.eigenvalue(), F.eigenvectors()
    assert np.allclose((F @ V[:, 0]).astype(float), lam + V[:, 0].astype(float), atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_det_and_eigenvalue_against_brute_force(seed):
    n = 2 + seed % 5
    A = random_matrix(n, seed)
    M = TropicalMatrix(A)
    assert M.det() == brute_det(A)
    lam = M.eigenvalue()
    assert lam == brute_cycle_mean(A)
    value, perm = M.det(return_permutation=True)
    if perm is not None:
        assert sum(A[i, perm[i]] for i in range(n)) == value
    if lam != NEG:
        V = M.eigenvectors()
        for k in range(V.shape[1]):
            assert (M @ V[:, k]).tolist() == [lam + t for t in V[:, k]]
    # min-plus: the minimum over permutations and cycles (+inf is its zero)
    B = np.where(A == NEG, float("inf"), A)
    Mm = TropicalMatrix(B, convention="min")
    assert Mm.det() == brute_det(B, min)
    assert Mm.eigenvalue() == brute_cycle_mean(B, min)
    # the sign flip relates the conventions
    assert Mm.to_max_plus().det() == -Mm.det()
    # float mode agrees
    assert M.to_float().det() == pytest.approx(float(brute_det(A)))
    assert M.to_float().eigenvalue() == pytest.approx(float(lam))


@pytest.mark.parametrize("seed", range(4))
def test_huge_entries_are_certified_exactly(seed):
    # entries near 2**70 differ by 1/k: floats cannot tell them apart, the certification must
    A = random_matrix(5, 100 + seed, zero_frac=0.1, big=2**70)
    M = TropicalMatrix(A)
    assert M.det() == brute_det(A)
    assert M.eigenvalue() == brute_cycle_mean(A)


def test_certification_repairs_a_float_assignment():
    # 2**60 + k rounds to 2**60 in float64 for small k: the float solver sees a constant matrix
    E = np.array([[0, 5, 1, 0], [3, 0, 0, 7], [0, 2, 0, 0], [6, 0, 4, 0]], dtype=object)
    A = E + 2**60
    assert len({float(v) for v in A.ravel()}) == 1
    assert TropicalMatrix(A).det() == 4 * 2**60 + brute_det(E) == 4 * 2**60 + 5 + 7 + 0 + 6


def test_kleene_star_against_powers():
    for seed in range(6):
        A = random_matrix(4, seed)
        M = TropicalMatrix(A) * (-10)  # shift down: no positive cycle
        S = M.kleene_star()
        total = TropicalMatrix.identity(4)
        for k in range(1, 4):
            total = total + M**k
        assert S == total
        assert S == S @ S  # idempotent


@pytest.mark.parametrize("seed", range(6))
def test_solve_gives_the_greatest_solution(seed):
    rng = np.random.default_rng(seed)
    A = TropicalMatrix(random_matrix(4, seed, zero_frac=0.1))
    x0 = [Fraction(int(v)) for v in rng.integers(-5, 6, size=4)]
    b = A @ x0
    x = A.solve(b)
    assert (A @ x).tolist() == b.tolist()
    assert all(u >= v for u, v in zip(x, x0))
    y = A.residuate([t - 1 for t in b])
    assert all(u <= v for u, v in zip((A @ np.where(y == math.inf, NEG, y).astype(object)).tolist(),
                                      [t - 1 for t in b]))


entries = st.one_of(st.just(NEG), st.builds(Fraction, st.integers(-5, 5), st.sampled_from([1, 2, 3])))


@st.composite
def matrices(draw, m, n):
    return TropicalMatrix(np.array(draw(st.lists(st.lists(entries, min_size=n, max_size=n), min_size=m,
                                                          max_size=m)), dtype=object).reshape(m, n))


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).flatmap(
    lambda s: st.tuples(matrices(s[0], s[1]), matrices(s[1], s[2]), matrices(s[1], s[2]),
                        matrices(s[2], s[3]))))
def test_semiring_laws_of_the_product(mats):
    A, B, C, D = mats
    assert (A @ B) @ D == A @ (B @ D)
    assert A @ (B + C) == (A @ B) + (A @ C)
    assert (B + C) @ D == (B @ D) + (C @ D)
    assert TropicalMatrix.identity(A.shape[0]) @ A == A == A @ TropicalMatrix.identity(A.shape[1])
    assert B + C == C + B and B + B == B
    # min-plus is the sign-flipped image: (A ⊗min B) = -((-A) ⊗max (-B))
    Am, Bm = A.to_min_plus(), B.to_min_plus()
    assert (Am @ Bm).to_max_plus() == A @ B


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="square"):
        TropicalMatrix([[1, 2, 3]]).det()
    with pytest.raises(ValueError, match="square"):
        TropicalMatrix([[1, 2, 3]]).eigenvalue()
    with pytest.raises(ValueError, match="cannot combine a max-plus and a min-plus"):
        TropicalMatrix([[1]]) @ TropicalMatrix([[1]], convention="min")
    with pytest.raises(ValueError, match="do not match"):
        TropicalMatrix([[1, 2]]) @ TropicalMatrix([[1, 2]])
    F = TropicalMatrix(np.array([[0.5, -np.inf], [1.0, 2.0]]))
    assert not F.is_exact and F.det() == 2.5 and F.eigenvalue() == 2.0
    assert TropicalMatrix(np.array([[0.5, np.inf]]), convention="min").entries.tolist() == [[0.5, np.inf]]
    assert TropicalMatrix(np.array([[1, 2]])).is_exact
    with pytest.raises(ValueError, match="NaN"):
        TropicalMatrix(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="tropical zero"):
        TropicalMatrix(np.array([[np.inf]]))
    with pytest.raises(TypeError, match="numbers"):
        TropicalMatrix([["a"]])
    with pytest.raises(ValueError, match="ragged"):
        TropicalMatrix([[1, 2], [3]])
    with pytest.raises(ValueError, match="two-dimensional"):
        TropicalMatrix([1, 2])
    with pytest.raises(ValueError, match="acyclic"):
        TropicalMatrix([[NEG, 0], [NEG, NEG]]).eigenvectors()
    assert TropicalMatrix([[NEG, 0], [NEG, NEG]]).eigenvalue() == NEG
    assert TropicalMatrix([[NEG, 0], [NEG, NEG]]).det() == NEG
    with pytest.raises(ValueError, match="nonnegative integer"):
        TropicalMatrix([[0]]) ** -1
    with pytest.raises(ValueError, match="shape"):
        TropicalMatrix([[0]]).solve([1, 2])
