"""The exact double description of the core install (kernels.dd) against known answers and
against cddlib's exact arithmetic (pycddlib's ``cdd.gmp``, an independent implementation, where
installed)."""

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest

from tropnet.kernels.dd import cone_rays, halfspace_vertices, hull_facets


def _cube(d):
    return [list(p) for p in itertools.product((0, 1), repeat=d)]


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_cube_and_cross_polytope(d):
    A, b = hull_facets(_cube(d))
    assert len(A) == 2 * d  # the d-cube has 2d facets
    V, masks = halfspace_vertices(A, b)
    assert sorted(V.tolist()) == sorted(_cube(d))
    assert all(bin(mk).count("1") == 2 ** (d - 1) for mk in masks)  # a facet holds half the vertices
    cross = [[s if k == j else 0 for k in range(d)] for j in range(d) for s in (1, -1)]
    A, b = hull_facets(cross)
    assert len(A) == 2**d and set(b.tolist()) == {1}  # facets +-x1 +- ... +- xd <= 1
    assert sorted(map(tuple, A.tolist())) == sorted(itertools.product((1, -1), repeat=d))


def test_rational_points_rays_and_big_numbers():
    big = 10**400
    A, b = hull_facets([[0, 0], [big, 0], [0, F(big, 3)]])
    assert sorted(zip(map(tuple, A.tolist()), b.tolist())) == [((-1, 0), 0), ((0, -1), 0), ((1, 3), big)]
    V, _ = halfspace_vertices(A, b)
    assert sorted(V.tolist()) == [[0, 0], [0, F(big, 3)], [big, 0]]
    A, b = hull_facets([[0, 0]], [[1, 1], [1, -1]])  # a cone with apex 0
    assert sorted(zip(map(tuple, A.tolist()), b.tolist())) == [((-1, -1), 0), ((-1, 1), 0)]


def test_degenerate_and_empty():
    # a square pyramid: the apex lies on four facets (a degenerate vertex in 3-D)
    V, masks = halfspace_vertices(*hull_facets([[0, 0, 0], [2, 0, 0], [0, 2, 0], [2, 2, 0], [1, 1, 1]]))
    assert len(V) == 5 and sorted(bin(mk).count("1") for mk in masks) == [3, 3, 3, 3, 4]
    V, masks = halfspace_vertices([[1], [-1]], [0, -1])  # x <= 0 and x >= 1: empty
    assert V.shape == (0, 1) and masks == [0, 0]
    with pytest.raises(ValueError, match="rank"):
        halfspace_vertices([[1, 0]], [1])
    with pytest.raises(ValueError, match="full-dimensional"):
        hull_facets([[0, 0], [1, 1], [2, 2]])
    rays, _ = cone_rays([[1, 0], [0, 1]])
    assert sorted(rays) == [[0, 1], [1, 0]]


def _random_polytope(rng, d, k):
    return [[F(int(v), int(rng.integers(1, 4))) for v in row] for row in rng.integers(-9, 10, size=(k, d))]


@pytest.mark.parametrize("d", [2, 3, 4])
def test_matches_cdd_on_random_polytopes(d):
    cdd = pytest.importorskip("cdd")
    gmp = pytest.importorskip("cdd.gmp")
    rng = np.random.default_rng(d)
    for _ in range(6):
        pts = _random_polytope(rng, d, int(rng.integers(d + 2, 3 * d + 6)))
        A, b = hull_facets(pts)
        P = gmp.polyhedron_from_matrix(gmp.matrix_from_array([[1, *p] for p in pts], rep_type=cdd.RepType.GENERATOR))
        want = set()
        for row in gmp.copy_inequalities(P).array:  # b0 + w.x >= 0, i.e. -w.x <= b0
            q = [F(v) for v in row]
            den = math.lcm(*(v.denominator for v in q))
            z = [int(v * den) for v in q]
            g = math.gcd(*z)
            want.add((tuple(-v // g for v in z[1:]), z[0] // g))
        assert set(zip(map(tuple, A.tolist()), b.tolist())) == want
        V, _ = halfspace_vertices(A, b)
        P2 = gmp.polyhedron_from_matrix(gmp.matrix_from_array([[bi, *(-a for a in ai)] for ai, bi in zip(A.tolist(), b.tolist())], rep_type=cdd.RepType.INEQUALITY))
        cv = sorted(tuple(F(x) / F(g[0]) for x in g[1:]) for g in gmp.copy_generators(P2).array)
        assert sorted(tuple(F(x) for x in v) for v in V.tolist()) == cv
