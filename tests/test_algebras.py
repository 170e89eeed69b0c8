"""Tests of tropnet.algebras: the built-in algebras against independent formulas, laws, bad input."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import Algebra, algebras
from tropnet.algebras import ALGEBRAS, M2C, M2R, M3R, M4R, C, D, H, R, matrix_algebra

ALL = list(ALGEBRAS.values())
NAMES = [a.name for a in ALL]


def ints(dim):
    return st.lists(st.integers(-20, 20), min_size=dim, max_size=dim).map(lambda v: np.array(v, dtype=object))


def triple(alg):
    return st.tuples(ints(alg.dim), ints(alg.dim), ints(alg.dim))


# ---------------------------------------------------------------- known facts


def test_builtins_are_the_eight_of_the_issue():
    assert NAMES == ["R", "C", "H", "M2R", "M3R", "M4R", "M2C", "D"]
    assert tropnet_algebras_module_exports()


def tropnet_algebras_module_exports():
    return all(hasattr(algebras, n) for n in NAMES)


@pytest.mark.parametrize(
    "alg, dim, mults",
    [(R, 1, 1), (C, 2, 4), (H, 4, 16), (M2R, 4, 8), (M3R, 9, 27), (M4R, 16, 64), (M2C, 8, 32), (D, 2, 3)],
)
def test_dimensions_and_mult_counts(alg, dim, mults):
    # the table of the reference notes (section A, "Counts"); D: 1*1, 1*eps, eps*1
    assert alg.dim == dim
    assert alg.mults_per_product == mults


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_every_builtin_is_associative_and_unital(alg):
    assert alg.is_associative()
    alg.check_associative()
    assert alg.one is not None
    assert alg.real_part(alg.one) == 1


def test_commutativity():
    assert [a.is_commutative() for a in ALL] == [True, True, False, False, False, False, False, True]


def test_units_are_the_textbook_ones():
    assert R.one.tolist() == [1]
    assert C.one.tolist() == [1, 0]
    assert H.one.tolist() == [1, 0, 0, 0]
    assert M3R.one.tolist() == np.eye(3, dtype=int).reshape(-1).tolist()
    assert M2C.one.tolist() == [1, 0, 0, 1, 0, 0, 0, 0]
    assert D.one.tolist() == [1, 0]


# ---------------------------------------------------------------- left matrices, textbook forms


@given(ints(2))
def test_complex_left_matrix(w):
    a, b = w
    assert C.left_matrix(w).tolist() == [[a, -b], [b, a]]


@given(ints(4))
def test_quaternion_left_matrix(q):
    q0, q1, q2, q3 = q
    ref = [[q0, -q1, -q2, -q3], [q1, q0, -q3, q2], [q2, q3, q0, -q1], [q3, -q2, q1, q0]]
    assert H.left_matrix(q).tolist() == ref


@pytest.mark.parametrize("n", [2, 3, 4])
def test_matrix_left_matrix_is_w_kron_identity(n):
    alg = {2: M2R, 3: M3R, 4: M4R}[n]
    W = np.random.default_rng(n).integers(-9, 10, size=(n, n))
    assert np.array_equal(alg.left_matrix(W.reshape(-1)).astype(np.int64), np.kron(W, np.eye(n, dtype=int)))


def test_m2c_left_matrix_block_form():
    rng = np.random.default_rng(1)
    Wr, Wi = rng.integers(-9, 10, size=(2, 2)), rng.integers(-9, 10, size=(2, 2))
    I2 = np.eye(2, dtype=int)
    ref = np.block([[np.kron(Wr, I2), -np.kron(Wi, I2)], [np.kron(Wi, I2), np.kron(Wr, I2)]])
    w = np.concatenate([Wr.reshape(-1), Wi.reshape(-1)])
    assert np.array_equal(M2C.left_matrix(w).astype(np.int64), ref)


@given(ints(2))
def test_dual_left_matrix(w):
    a, b = w
    assert D.left_matrix(w).tolist() == [[a, 0], [b, a]]


# ---------------------------------------------------------------- products against independent formulas


@given(ints(2), ints(2))
def test_complex_product_matches_python_complex(x, y):
    z = complex(int(x[0]), int(x[1])) * complex(int(y[0]), int(y[1]))
    assert C.mul(x, y).tolist() == [z.real, z.imag]


def hamilton(p, q):
    a1, b1, c1, d1 = p
    a2, b2, c2, d2 = q
    return [
        a1 * a2 - b1 * b2 - c1 * c2 - d1 * d2,
        a1 * b2 + b1 * a2 + c1 * d2 - d1 * c2,
        a1 * c2 - b1 * d2 + c1 * a2 + d1 * b2,
        a1 * d2 + b1 * c2 - c1 * b2 + d1 * a2,
    ]


@given(ints(4), ints(4))
def test_quaternion_product_matches_hand_written_hamilton(p, q):
    assert H.mul(p, q).tolist() == hamilton(p, q)


def test_quaternion_basis_relations():
    e = np.eye(4, dtype=int)
    one, i, j, k = e
    for a, b, c in [(i, j, k), (j, k, i), (k, i, j)]:
        assert H.mul(a, b).tolist() == c.tolist()
        assert H.mul(b, a).tolist() == (-c).tolist()
    for u in (i, j, k):
        assert H.mul(u, u).tolist() == (-one).tolist()


@pytest.mark.parametrize("alg", [M2R, M3R, M4R], ids=["M2R", "M3R", "M4R"])
@given(data=st.data())
def test_matrix_product_matches_numpy_matmul(alg, data):
    n = int(round(alg.dim**0.5))
    X = np.array(data.draw(ints(alg.dim)), dtype=np.int64).reshape(n, n)
    Y = np.array(data.draw(ints(alg.dim)), dtype=np.int64).reshape(n, n)
    assert alg.mul(X.reshape(-1), Y.reshape(-1)).tolist() == (X @ Y).reshape(-1).tolist()


@given(ints(8), ints(8))
def test_m2c_product_matches_complex_matmul(x, y):
    def cm(v):
        v = np.array(v, dtype=np.int64)
        return v[:4].reshape(2, 2) + 1j * v[4:].reshape(2, 2)

    Z = cm(x) @ cm(y)
    assert M2C.mul(x, y).tolist() == np.concatenate([Z.real.reshape(-1), Z.imag.reshape(-1)]).tolist()


@given(ints(2), ints(2))
def test_dual_product(x, y):
    (a, b), (c, d) = x, y
    assert D.mul(x, y).tolist() == [a * c, a * d + b * c]


# ---------------------------------------------------------------- laws for every built-in


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
@given(data=st.data())
def test_laws(alg, data):
    a, b, c = data.draw(triple(alg))
    # associativity (all eight are associative), exact
    assert alg.mul(alg.mul(a, b), c).tolist() == alg.mul(a, alg.mul(b, c)).tolist()
    # unit
    assert alg.mul(alg.one, a).tolist() == a.tolist() == alg.mul(a, alg.one).tolist()
    # left_matrix(w) @ x == mul(w, x): exact path, and the float (einsum) path independently
    L = alg.left_matrix(a)
    assert (L.dot(b)).tolist() == alg.mul(a, b).tolist()
    af, bf = a.astype(float), b.astype(float)
    assert np.allclose(alg.left_matrix(af) @ bf, alg.mul(af, bf), atol=1e-9)
    # x -> L(x) is a homomorphism exactly because the algebra is associative
    assert L.dot(alg.left_matrix(b)).tolist() == alg.left_matrix(alg.mul(a, b)).tolist()
    # bilinearity
    assert alg.mul(a + 2 * b, c).tolist() == (alg.mul(a, c) + 2 * alg.mul(b, c)).tolist()


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_mul_is_vectorised_with_broadcasting(alg):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 1, alg.dim))
    b = rng.normal(size=(4, alg.dim))
    out = alg.mul(a, b)
    assert out.shape == (3, 4, alg.dim)
    assert np.allclose(out[2, 1], alg.mul(a[2, 0], b[1]))
    assert alg.left_matrix(a).shape == (3, 1, alg.dim, alg.dim)


def test_exact_fractions_stay_exact():
    x = [Fraction(1, 3), Fraction(1, 2)]
    out = C.mul(x, x)
    assert out.tolist() == [Fraction(1, 9) - Fraction(1, 4), Fraction(1, 3)]
    assert C.mul([0.5, 0], [1, 1]).dtype == np.float64


def test_real_part():
    assert C.real_part([3, 4]) == 3
    assert H.real_part([[1, 2, 3, 4], [5, 0, 0, 0]]).tolist() == [1, 5]
    assert M2R.real_part([1, 5, 7, 3]) == 2  # tr/2
    assert M2C.real_part([1, 0, 0, 3, 9, 9, 9, 9]) == 2  # Re tr/2
    assert D.real_part([3, 8]) == 3


# ---------------------------------------------------------------- construction


def test_from_table_and_from_function_reproduce_builtins():
    Q = Algebra.from_table(
        "H", ["1", "i", "j", "k"],
        [["1", "i", "j", "k"], ["i", "-1", "k", "-j"], ["j", "-k", "-1", "i"], ["k", "j", "-i", "-1"]],
    )
    assert Q == H

    def ham(p, q):
        return hamilton(p, q)

    assert Algebra.from_function("H", 4, ham, basis=("1", "i", "j", "k")) == H

    def matmul2(x, y):
        return (x.reshape(2, 2) @ y.reshape(2, 2)).reshape(-1)

    assert Algebra.from_function("M2R", 4, matmul2, basis=M2R.basis) == M2R
    # vectors as table entries, and coefficient syntax
    assert Algebra.from_table("D", ["1", "eps"], [[[1, 0], [0, 1]], [[0, 1], [0, 0]]]) == D
    A = Algebra.from_table("X", ["1", "u"], [["1", "u"], ["u", "2*1 + 1/2*u"]])
    assert A.mul([0, 1], [0, 1]).tolist() == [2, Fraction(1, 2)]
    assert A.is_associative()  # a commutative algebra generated by one element


def test_matrix_algebra_factory():
    assert matrix_algebra(3) == M3R and matrix_algebra(2, over="C") == M2C
    M5 = matrix_algebra(5)
    assert M5.dim == 25 and M5.mults_per_product == 125


def test_float_structure_constants_are_exact_dyadics():
    A = Algebra("scaled", [[[0.1]]])
    assert A.structure_constants[0, 0, 0] == Fraction(0.1)
    assert A.one.tolist() == [1 / Fraction(0.1)]


def test_non_associative_and_non_unital():
    cross = Algebra.from_function("cross", 3, np.cross)
    assert not cross.is_associative()
    assert cross.one is None
    assert cross.mults_per_product == 6
    with pytest.raises(ValueError, match="not associative"):
        cross.check_associative()
    with pytest.raises(ValueError, match=r"not associative: \(e0 e0\) e1"):
        Algebra("cross", cross.structure_constants, associative=True)
    # a left unit that is not a right unit is no unit
    left_only = Algebra("L", [[[1, 0], [0, 1]], [[1, 0], [0, 1]]])  # e_a e_b = e_b
    assert left_only.one is None


def test_pickle_and_equality():
    assert pickle.loads(pickle.dumps(H)) == H
    assert H != M2R and H == H
    with pytest.raises(AttributeError):
        H.dim = 3


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "T, msg",
    [
        (np.zeros((2, 2, 3)), "shape \\(dim, dim, dim\\)"),
        (np.zeros((2, 2)), "shape \\(dim, dim, dim\\)"),
        (np.zeros((0, 0, 0)), "dim >= 1"),
        ([[[1, 0], [0]], [[0, 1], [1, 0]]], "ragged|shape"),
        (np.full((1, 1, 1), np.nan), "NaN"),
        (np.full((1, 1, 1), np.inf), "infinite"),
    ],
)
def test_bad_structure_constants(T, msg):
    with pytest.raises(ValueError, match=msg):
        Algebra("bad", T)


def test_bad_names_and_tables():
    with pytest.raises(TypeError, match="name"):
        Algebra("", [[[1]]])
    with pytest.raises(ValueError, match="2 basis names"):
        Algebra("x", [[[1]]], basis=("a", "b"))
    with pytest.raises(ValueError, match="not distinct"):
        Algebra.from_table("x", ["a", "a"], [["a", "a"], ["a", "a"]])
    with pytest.raises(ValueError, match="2 x 2"):
        Algebra.from_table("x", ["1", "i"], [["1", "i"]])
    with pytest.raises(ValueError, match="not a basis element"):
        Algebra.from_table("x", ["1", "i"], [["1", "i"], ["i", "-j"]])
    with pytest.raises(ValueError, match="2 coordinates"):
        Algebra.from_table("x", ["1", "i"], [["1", [0, 1, 0]], ["i", "-1"]])
    with pytest.raises(ValueError, match="needs a basis element named '1'"):
        Algebra.from_table("x", ["a", "b"], [["a", "b"], ["b", "3"]])


def test_bad_functions():
    with pytest.raises(ValueError, match="not bilinear"):
        Algebra.from_function("sq", 2, lambda x, y: x * x * y)
    with pytest.raises(ValueError, match="must return 2 coordinates"):
        Algebra.from_function("short", 2, lambda x, y: x[:1])
    with pytest.raises(ValueError, match="NaN"):
        Algebra.from_function("nan", 1, lambda x, y: [np.nan])
    with pytest.raises(ValueError, match="positive integer"):
        Algebra.from_function("zero", 0, lambda x, y: x)


def test_bad_operands():
    with pytest.raises(ValueError, match="2 real components"):
        C.mul([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="4 real components"):
        H.left_matrix(5)
    with pytest.raises(ValueError, match="NaN"):
        C.mul([np.nan, 0], [1, 0])
    with pytest.raises(ValueError, match="ragged"):
        C.mul([[1, 2], [3]], [1, 0])
    with pytest.raises(ValueError, match="positive integer"):
        matrix_algebra(0)
    with pytest.raises(ValueError, match="over"):
        matrix_algebra(2, over="H")


def test_float_products_match_independent_formulas():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(2, 50, 2))
    z = (x[:, 0] + 1j * x[:, 1]) * (y[:, 0] + 1j * y[:, 1])
    assert np.allclose(C.mul(x, y), np.c_[z.real, z.imag])
    p, q = rng.normal(size=(2, 50, 4))
    assert np.allclose(H.mul(p, q), np.array(hamilton(p.T, q.T)).T)
    X, Y = rng.normal(size=(2, 50, 3, 3))
    assert np.allclose(M3R.mul(X.reshape(50, 9), Y.reshape(50, 9)), (X @ Y).reshape(50, 9))
    assert np.allclose(D.mul(x, y), np.c_[x[:, 0] * y[:, 0], x[:, 0] * y[:, 1] + x[:, 1] * y[:, 0]])


@given(st.integers(1, 4), st.integers(0, 2**16))
def test_random_algebra_mul_is_the_structure_constant_sum(dim, seed):
    """mul agrees with the definition sum_ab a_a b_b T[a, b, c], written as explicit loops."""
    rng = np.random.default_rng(seed)
    T = rng.integers(-3, 4, size=(dim, dim, dim))
    A = Algebra("random", T)
    a, b = rng.integers(-9, 10, size=(2, dim))
    want = [sum(int(a[i]) * int(b[j]) * int(T[i, j, k]) for i in range(dim) for j in range(dim))
            for k in range(dim)]
    assert A.mul(a, b).tolist() == want
    assert np.allclose(A.mul(a.astype(float), b.astype(float)), want)
    assert A.left_matrix(a).dot(b).tolist() == want
    assert A.mults_per_product == int(np.count_nonzero(T))
    assert Algebra.from_function("random", dim, A.mul) == A
    # associativity decided by the definition on basis triples
    E = np.eye(dim, dtype=int)
    assoc = all(A.mul(A.mul(E[i], E[j]), E[k]).tolist() == A.mul(E[i], A.mul(E[j], E[k])).tolist()
                for i in range(dim) for j in range(dim) for k in range(dim))
    assert A.is_associative() == assoc
    # a unit, when found, is one
    if A.one is not None:
        assert all(A.mul(A.one, E[i]).tolist() == E[i].tolist() == A.mul(E[i], A.one).tolist()
                   for i in range(dim))


def test_associativity_with_huge_integer_constants_does_not_overflow():
    big = 2**40  # (big e)(big e) products exceed int64 when multiplied naively
    A = Algebra("scaled R", [[[big]]])
    assert A.is_associative()
    B = Algebra("almost", [[[big, 0], [0, 1]], [[0, 1], [1, 0]]])
    E = np.eye(2, dtype=int)
    assoc = all(B.mul(B.mul(E[i], E[j]), E[k]).tolist() == B.mul(E[i], B.mul(E[j], E[k])).tolist()
                for i in range(2) for j in range(2) for k in range(2))
    assert B.is_associative() == assoc
