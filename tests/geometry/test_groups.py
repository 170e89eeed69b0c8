"""Signed permutation groups and their fundamental domains."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import Box, Polyhedron
from tropnet.geometry.groups import SymmetryGroup, check_invariant_domain, cyclic_group, symmetric_group


@pytest.mark.parametrize("n", range(1, 6))
def test_orders(n):
    assert symmetric_group(n).order == math.factorial(n)
    assert len(symmetric_group(n).elements()) == math.factorial(n)
    assert cyclic_group(n).order == n
    assert symmetric_group(n, block=2).order == math.factorial(n)


def test_order_by_schreier_sims_matches_closure():
    G = SymmetryGroup.from_generators([[[0, -1, 0], [1, 0, 0], [0, 0, 1]], [2, 1, 0]])
    big = G.order
    G2 = SymmetryGroup.from_generators([[[0, -1, 0], [1, 0, 0], [0, 0, 1]], [2, 1, 0]])
    assert len(G2.elements()) == big
    # the full hyperoctahedral group B_3 has 2^3 3! = 48 elements
    B3 = SymmetryGroup.from_generators([[1, 0, 2], [0, 2, 1], [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]])
    assert B3.order == 48 and len(B3.elements()) == 48


def test_elements_form_a_group():
    G = SymmetryGroup.from_generators([[[0, 1, 0], [-1, 0, 0], [0, 0, -1]], [1, 2, 0]])
    M = G.elements()
    keys = {m.tobytes() for m in M}
    assert len(keys) == len(M)
    assert np.array_equal(M[0], np.eye(3, dtype=np.int64))
    for a in M[:6]:
        for b in M:
            assert (a @ b).tobytes() in keys


def test_symmetric_group_domain_is_sorted_cone():
    for n in (2, 3, 4, 5):
        D = symmetric_group(n).fundamental_domain()
        expect = np.zeros((n - 1, n), dtype=object)
        for i in range(n - 1):
            expect[i, i], expect[i, i + 1] = 1, -1
        got = {tuple(r) for r in D.A.tolist()}
        assert got == {tuple(Fraction(v) for v in r) for r in expect.tolist()}
        assert all(v == 0 for v in D.b)
        assert symmetric_group(n).is_reflection_chamber()


@pytest.mark.parametrize(
    "G",
    [
        symmetric_group(4),
        cyclic_group(4),
        cyclic_group(3, block=2),
        symmetric_group(2) * cyclic_group(3),
        SymmetryGroup.from_generators([[[0, -1], [1, 0]]]),
    ],
)
def test_dirichlet_domain_tiles(G):
    # a generic point lies in the interior of exactly one translate g Delta
    D = G.fundamental_domain()
    A = D.A.astype(np.float64)
    X = np.random.default_rng(0).normal(size=(200, G.n))
    images = G.act(X)  # (order, k, n): g x
    inside = (np.einsum("rn,gkn->gkr", A, images) < -1e-12).all(axis=2)
    assert np.all(inside.sum(axis=0) == 1)


def test_cyclic_group_walls_are_not_mirrors():
    assert not cyclic_group(4).is_reflection_chamber()
    assert cyclic_group(2).is_reflection_chamber()


@pytest.mark.parametrize(
    "gens, msg",
    [
        ([[0, 0, 1]], "not a permutation"),
        ([[0, 1], [0, 1, 2]], "permutes 3"),
        ([[[1, 1], [0, 1]]], "signed"),
        ([[[2, 0], [0, 1]]], "signed"),
        ([], "at least one"),
        ([[0.5, 1]], "non-integer"),
    ],
)
def test_bad_generators(gens, msg):
    with pytest.raises(ValueError, match=msg):
        SymmetryGroup.from_generators(gens)


def test_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        symmetric_group(0)
    with pytest.raises(ValueError, match="positive"):
        cyclic_group(3, block=0)


def test_invariant_domains():
    G = symmetric_group(3)
    check_invariant_domain(None, G)
    check_invariant_domain(Box(-2, 2), G)
    check_invariant_domain(Box([-1, -1, -1], [3, 3, 3]), G)
    with pytest.raises(ValueError, match="generator"):
        check_invariant_domain(Box([-1, -1, -1], [3, 3, 4]), G)
    simplex = Polyhedron([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 1]], [0, 0, 0, 1])
    check_invariant_domain(simplex, G)
    with pytest.raises(ValueError, match="generator"):
        check_invariant_domain(Polyhedron([[1, 0, 0]], [1]), G)
    flip = SymmetryGroup.from_generators([[[-1, 0], [0, 1]]])
    check_invariant_domain(Box(-1, 1), flip)
    with pytest.raises(ValueError, match="generator 0"):
        check_invariant_domain(Box([0, 0], [1, 1]), flip)


@given(st.permutations(list(range(5))))
def test_index_list_acts_by_indexing(perm):
    G = SymmetryGroup.from_generators([perm])
    x = np.arange(10, 15)
    assert np.array_equal(G.generator_matrix(0) @ x, x[list(perm)])


@pytest.mark.parametrize(
    "G",
    [
        symmetric_group(4),
        cyclic_group(6),
        symmetric_group(2) * symmetric_group(3),
        symmetric_group(3, block=2),
    ],
)
def test_walls_without_cdd_agree_with_cdd(G):
    from tropnet.geometry import groups

    perms, signs = G.permutations()
    p = np.arange(1, G.n + 1)
    rows = (signs * p[perms] - p)[1:]
    rows = np.unique(rows // np.gcd.reduce(np.abs(rows), axis=1)[:, None], axis=0)
    assert np.array_equal(groups._irredundant_cone_rows(rows), groups._irredundant_rows_certified(rows))


def test_bad_dimension_and_generators_are_refused():
    # issue 18: SymmetryGroup(-1, []) was accepted
    from tropnet.geometry.groups import SymmetryGroup

    for n in (-1, 2.5, "2", True):
        with pytest.raises(ValueError, match="dimension n >= 0"):
            SymmetryGroup(n, [])
    with pytest.raises(ValueError, match="shape"):
        SymmetryGroup(2, [(np.array([0, 1, 2]), np.array([1, 1, 1]))])
    with pytest.raises(ValueError, match="signed permutation"):
        SymmetryGroup(2, [(np.array([0, 0]), np.array([1, 1]))])
    with pytest.raises(ValueError, match="signed permutation"):
        SymmetryGroup(2, [(np.array([1, 0]), np.array([1, 2]))])
    assert SymmetryGroup(2, [(np.array([1, 0]), np.array([1, -1]))]).order == 4
