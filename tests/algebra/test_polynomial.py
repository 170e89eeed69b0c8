"""TropicalPolynomial: construction, evaluation against brute force, simplify, equality, bad input."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import tropnet
from tropnet import TropicalPolynomial, TropicalRational

from .strategies import points, polynomials

F = Fraction


def brute_force(p, X):
    """max_i (c_i + <a_i, x>) by plain Python loops."""
    out = []
    for x in X:
        vals = [c + sum(a * xi for a, xi in zip(row, x)) for row, c in zip(p.exponents, p.coefficients)]
        out.append(max(vals) if vals else -math.inf)
    return out


@pytest.mark.parametrize("exact", [True, False])
def test_evaluation_agrees_with_brute_force(exact):
    @given(st.integers(1, 3).flatmap(lambda n: polynomials(n, exact)), st.integers(0, 100))
    def check(p, seed):
        X = points(p.nvars, seed=seed, exact=exact)
        got = p(X)
        want = brute_force(p, X)
        if exact:
            assert got.dtype == object
            assert got.tolist() == want
        else:
            assert got.dtype == np.float64
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)

    check()


def test_exact_evaluation_is_exact_and_single_points():
    x, y = tropnet.variables("x y")
    p = x * F(1, 3) + y ** F(1, 2)                     # max(x + 1/3, y/2)
    assert p([F(1, 7), F(2, 5)]) == F(1, 7) + F(1, 3)
    assert isinstance(p([1, 1]), Fraction)
    assert p(np.array([1.0, 1.0])) == pytest.approx(4 / 3)     # float point: float result
    assert isinstance(p(np.array([1.0, 1.0])), float)
    z, = tropnet.variables("z")
    assert (z * 2)(3) == 5                             # a scalar is a point when n = 1
    assert TropicalPolynomial.zero(2)([0, 0]) == -math.inf


def test_float_evaluation_large_batch_matches_loop():
    rng = np.random.default_rng(1)
    p = TropicalPolynomial(rng.normal(size=(50, 3)), rng.normal(size=50))
    X = rng.normal(size=(3000, 3))
    want = np.max(X @ p.exponents.T + p.coefficients, axis=1)
    np.testing.assert_array_equal(p(X), want)


def test_simplify_removes_exactly_the_non_vertices():
    x, = tropnet.variables("x")
    p = x**2 + x + 0                                   # max(2x, x, 0) -> max(2x, 0)
    s = p.simplify()
    assert s.exponents.ravel().tolist() == [0, 2] and len(s) == 2
    q = 0 + x + x**2 * (-1)                            # max(0, x, 2x - 1) keeps all three
    assert len(q.simplify()) == 3
    assert len((x + x**2 + x**3).simplify()) == 2      # max(x, 2x, 3x)
    assert len((0 + x * (-1) + x**2).simplify()) == 2  # max(0, x - 1, 2x)


@pytest.mark.parametrize("exact", [True, False])
def test_simplify_never_changes_values(exact):
    @given(st.integers(1, 3).flatmap(lambda n: polynomials(n, exact, max_terms=8)), st.integers(0, 50))
    def check(p, seed):
        s = p.simplify()
        assert len(s) <= len(p)
        X = points(p.nvars, k=30, seed=seed, exact=exact)
        if exact:
            assert s(X).tolist() == p(X).tolist()
        else:
            np.testing.assert_allclose(s(X), p(X), atol=1e-12)
        assert s == p and s.simplify() is s

    check()


def test_equality_is_functional():
    x, y = tropnet.variables("x y")
    assert x**2 + x + 0 == x**2 + 0
    assert x + y != x
    assert (x + 0).to_float() == x + 0                 # exact vs float: same function
    assert x + 0 == x + 0.0
    assert x != tropnet.variables("a b c")[0]          # different number of variables
    assert TropicalPolynomial.constant(3, 2) == 3      # a number is a tropical constant
    assert hash(x**2 + x + 0) == hash(x**2 + 0)


def test_construction_merges_drops_and_names():
    p = TropicalPolynomial([[1, 0], [1, 0], [0, 0]], [1, 4, -math.inf], variables="u v")
    assert p.variables == ("u", "v") and p.nvars == 2 and len(p) == 1
    assert p.coefficients.tolist() == [4] and p.is_exact
    assert TropicalPolynomial([[0], [1]], [0, 0.5]).is_exact is False
    assert TropicalPolynomial([[sympy.Rational(1, 2)]], [sympy.Integer(2)]).exponents[0, 0] == F(1, 2)
    assert TropicalPolynomial([[0.1]], [0]).to_exact().exponents[0, 0] == F(0.1)  # dyadic, not 1/10
    assert TropicalPolynomial(np.zeros((0, 3)), []).nvars == 3
    assert tropnet.variables(3)[2].variables == ("x0", "x1", "x2")


def test_puiseux_and_negative_exponents():
    p = TropicalPolynomial([[F(-1, 2)], [F(3, 2)], [F(1, 3)]], [0, 0, -1])  # max(-x/2, 3x/2, x/3 - 1)
    assert p.num_linear_regions() == 2 and len(p.simplify()) == 2
    assert p(F(-2)) == 1 and p(2) == 3
    r = p ** -1                                        # a negative power is a rational function
    assert isinstance(r, TropicalRational) and r(2) == -3
    x, = tropnet.variables("x")
    assert (x ** F(-1, 2))(4) == -2


def test_immutable():
    x, = tropnet.variables("x")
    p = x + 0
    with pytest.raises(AttributeError):
        p.foo = 1
    with pytest.raises(ValueError):
        p.coefficients[0] = 5


@pytest.mark.parametrize(
    "exps, coefs, exc, words",
    [
        ([[0, 1], [1]], [0, 0], ValueError, "ragged"),
        ([[0, 1], [1, 0]], [0, 0, 1], ValueError, "2 exponent rows but 3 coefficients"),
        ([[0], [1]], [0, math.nan], ValueError, "NaN"),
        ([[0], [1]], [0, math.inf], ValueError, "infinite"),
        ([[0], [math.inf]], [0, 0], ValueError, "infinite"),
        ([[0], [math.nan]], [0, 0], ValueError, "NaN"),
        ([[0], [1]], [0, "a"], TypeError, "not a number"),
        ([[0], ["x"]], [0, 0], TypeError, "not a number"),
        ([[0], [1]], [0, True], TypeError, "boolean"),
        ([[[0]]], [0], ValueError, "shape"),
        ([[0], [1]], [[0, 1]], ValueError, "one-dimensional"),
    ],
)
def test_bad_input_raises_clearly(exps, coefs, exc, words):
    with pytest.raises(exc, match=words):
        TropicalPolynomial(exps, coefs)


def test_bad_operands_raise_clearly():
    x, y = tropnet.variables("x y")
    with pytest.raises(TypeError):
        x + "1"
    with pytest.raises(ValueError, match="NaN"):
        x + math.nan
    with pytest.raises(ValueError, match="infinite"):
        x * math.inf
    with pytest.raises(ValueError, match="shape"):
        x(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        x(np.array([[0.0, math.nan]]))
    with pytest.raises(TypeError):
        x ** "2"
    with pytest.raises(ValueError, match="2 variable names given for 1"):
        TropicalPolynomial([[0]], [0], variables="a b")
    with pytest.raises(ValueError, match="distinct"):
        TropicalPolynomial([[0, 1]], [0], variables="a a")


def test_operations_with_constants_and_modes():
    x, = tropnet.variables("x")
    p = x + 3                                          # max(x, 3)
    assert p(0) == 3 and p(5) == 5
    q = x * 3                                          # x + 3
    assert q(0) == 3
    assert (x * 0.5).is_exact is False and (x * F(1, 2)).is_exact
    assert (x + (-math.inf)) == x                      # -inf is the tropical zero
    assert 3 + x == x + 3 and 2 * x == x * 2


def test_huge_denominators_take_the_python_int_path():
    # common denominators beyond int64, also when one factor's array is all zeros
    big = F(1, 2**70)
    p = TropicalPolynomial([[0]], [0])
    q = TropicalPolynomial([[big]], [F(1, 3**50)])
    assert (p * q).exponents[0, 0] == big and (p * q).coefficients[0] == F(1, 3**50)
    assert TropicalPolynomial([[0]], [big])([F(1, 3**45)]) == big
    assert q([F(1, 3**45)]) == big * F(1, 3**45) + F(1, 3**50)
    r = (q + p) * (q + F(1, 7**30))
    X = np.array([[F(k, 3**41)] for k in range(-3, 4)], dtype=object)
    want = [max(a, b) + max(a, F(1, 7**30)) for a, b in zip(q(X), p(X))]
    assert r(X).tolist() == want


@given(
    st.integers(0, 3).flatmap(
        lambda n: st.lists(
            st.tuples(
                st.lists(st.sampled_from([-2, -1, 0, 1, 2.5, 2**45]), min_size=n, max_size=n),
                st.sampled_from([-math.inf, -1.5, 0.0, 1.0, 3.0]),
            ),
            max_size=30,
        ).map(lambda rows: (n, rows))
    )
)
def test_normalize_merges_by_max_like_a_dictionary(case):
    from tropnet.kernels import poly as K

    n, rows = case
    E = np.array([r for r, _ in rows], dtype=np.float64).reshape(len(rows), n)
    c = np.array([v for _, v in rows], dtype=np.float64)
    best = {}
    for row, v in zip(map(tuple, E.tolist()), c.tolist()):
        if v > -math.inf:
            best[row] = max(best.get(row, -math.inf), v)
    E2, c2 = K.normalize(E, c)
    order = sorted(best, key=lambda r: (sum(r), tuple(-v for v in r)))  # the monomial order
    assert [tuple(r) for r in E2.tolist()] == order
    assert c2.tolist() == [best[k] for k in order]
    # the exact path agrees (integers and dyadic floats are exact)
    live = c > -math.inf
    Eq = np.array([[F(v) for v in r] for r in E[live]], dtype=object).reshape(int(live.sum()), n)
    cq = np.array([F(v) for v in c[live]], dtype=object)
    E3, c3 = K.normalize(Eq, cq)
    assert [tuple(map(float, r)) for r in E3.tolist()] == order
    assert [float(v) for v in c3] == [best[k] for k in order]


def test_float_tolerance_versus_exact():
    # documented float tolerance: a coefficient 1e-13 off an affine lift counts as on it
    x, = tropnet.variables("x")
    tiny = 1e-13
    assert len((0 + x * tiny + x**2).to_float().simplify()) == 2
    assert len((0 + x * F(tiny) + x**2).simplify()) == 3      # exact: the middle monomial wins


@pytest.mark.parametrize("scale", [1, 2**20, 2**35, 2**70])
def test_exact_evaluation_paths_agree_with_brute_force(scale):
    # small values: float64 BLAS (exact below 2**53); larger: int64; huge: Python ints
    rng = np.random.default_rng(scale % 97)
    E = [[F(int(a), 3) for a in row] for row in rng.integers(-5, 6, size=(7, 2))]
    c = [F(int(v) * scale, 7) for v in rng.integers(-50, 50, size=7)]
    p = TropicalPolynomial(E, c)
    pts = rng.integers(-9, 10, size=(40, 2))
    X = np.array([[F(int(a) * scale, 5) for a in row] for row in pts], dtype=object)
    assert p(X).tolist() == brute_force(p, X)


def test_float_simplify_drops_points_on_edges_of_the_upper_hull():
    # hypothesis found this: Qhull's triangulation kept 2*x1 + 2.5, the midpoint of an edge
    # (max(a, b) + max(a, b) = 2 max(a, b)), so p * p != p ** 2 in float mode
    p = TropicalPolynomial([[0, 0], [0, 2], [3, 1], [2, 2]], [2.5, 0.0, 0.25, -0.625])
    assert len((p * p).simplify()) == len((p**2).simplify()) == 4
    assert p * p == p**2
    # (1, 1) lies on the edge between (2, 0) and (0, 2) at the same height: never the max alone
    q = TropicalPolynomial([[0, 0], [2, 0], [0, 2], [1, 1]], [0.0, 0.0, 0.0, 0.0])
    assert sorted(map(tuple, q.simplify().exponents.tolist())) == [(0, 0), (0, 2), (2, 0)]


def test_variables_are_matched_by_name():
    # issue 18 item 6: x + y printed x, x == y was True (columns matched by position)
    x, = tropnet.variables("x")
    y, = tropnet.variables("y")
    assert str(x + y) == "max(x, y)" and (x + y).variables == ("x", "y")
    assert (y + x).variables == ("x", "y")       # union in natural order when neither contains the other
    assert x != y and not (x + 0 == y + 0)
    assert not tropnet.same_function(x + 0, y + 0).equal
    assert tropnet.same_function(x + y, y + x).equal
    X, Y = tropnet.variables("x y")
    assert x + y == X + Y and x * y == X * Y
    # a function of x alone, written in (x, y), is the same function
    assert (x * 2 + 1) == (X * 2 + 1) and (x + 0) / (y + 0) == (X + 0) / (Y + 0)
    # the larger variable tuple keeps its order
    yx = tropnet.variables("y x")
    assert (yx[0] + x).variables == ("y", "x")
    assert (yx[1] + yx[0] + x)([Fraction(1), Fraction(5)]) == 5     # max(x, y) at y=1, x=5
    # default names x0, x1, ... are names too
    p = TropicalPolynomial([[1]], [0])              # x0
    q = TropicalPolynomial([[0, 1]], [0])           # x1 (in x0, x1)
    assert (p + q).variables == ("x0", "x1") and str(p + q) == "max(x0, x1)"


def test_with_variables_reorders_and_extends():
    x, y = tropnet.variables("x y")
    p = x * 2 + y * Fraction(-1, 2) + 1
    q = p.with_variables(("z", "y", "x"))
    for pt in ([1, 2, 3], [Fraction(-1, 3), 0, 5]):
        assert q([Fraction(v) for v in pt]) == p([Fraction(pt[2]), Fraction(pt[1])])
    with pytest.raises(ValueError, match="not in"):
        p.with_variables("x")
    assert p.to_float().with_variables("x y z").is_exact is False
