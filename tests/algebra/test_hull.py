"""Upper hulls (the pruning kernel) against cdd.gmp, an independent exact implementation, where
pycddlib is installed; otherwise against the exact double description of kernels.dd (the
core install's oracle of last resort, a different algorithm from the certificates checked here).

Random small lattice lifts, including degenerate ones: coplanar lifts, repeated exponents,
collinear exponents, points on facets, lower-dimensional exponent sets.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from tropnet.kernels import hull, hull_exact, hull_oracle, poly
from tropnet.kernels.scaled import as_int_array

try:
    import cdd
    import cdd.gmp
except ImportError:
    cdd = None


def _lifted(A, c):
    den = math.lcm(*(Fraction(v).denominator for v in c))
    return np.array([[*(int(x) for x in a), int(Fraction(ci) * den)] for a, ci in zip(A.tolist(), c.tolist())],
                    dtype=object)


def cdd_vertices(A, c):
    """Non-redundant generators of conv{(a_i, c_i)} + cone{(0,..,0,-1)} (exact, cdd.gmp; without
    pycddlib, the exact double description of kernels.dd)."""
    A = np.asarray(A)
    if cdd is None:
        L = _lifted(A, np.asarray(c))
        kind, _, lifted = hull_exact._exact_lift(L[:, :-1], L[:, -1])
        if kind != "full":  # a flat lift: the vertices of the exponents' polytope
            flat = kind == "flat"
            return hull.polytope_vertices(A.astype(object)).tolist() if flat else [int(np.argmax(L[:, -1]))]
        return hull_oracle.upper_vertices(lifted).tolist()
    d = A.shape[1] + 1
    rows = [[1, *[Fraction(x) for x in a], Fraction(ci)] for a, ci in zip(A.tolist(), c.tolist())]
    rows.append([0] * d + [-1])
    G = cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR)
    redundant = cdd.gmp.redundant_rows(G)
    return [i for i in range(len(c)) if i not in redundant]


def cdd_cells(L):
    """The upper facets of conv(L) + ray as tuples of the points on them (exact, cdd.gmp)."""
    if cdd is None:
        return hull_oracle.upper_cells(L)
    d = L.shape[1]
    rows = [[1, *(Fraction(int(v)) for v in row)] for row in L]
    rows.append([0] * d + [-1])
    P = cdd.gmp.polyhedron_from_matrix(cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR))
    cells = set()
    for row in cdd.gmp.copy_inequalities(P).array:  # b0 + w.p >= 0
        b0, w = Fraction(row[0]), [Fraction(x) for x in row[1:]]
        if w[-1] < 0:  # an upper facet
            cells.add(tuple(i for i in range(len(L)) if b0 + sum(wk * int(x) for wk, x in zip(w, L[i])) == 0))
    return sorted(cells)


def random_case(rng, kind):
    n = int(rng.integers(1, 4))
    A = rng.integers(0, 4, size=(int(rng.integers(1, 22)), n))
    if kind == "collinear":            # exponents on a line in R^n
        t = rng.integers(0, 5, size=(len(A), 1))
        A = np.hstack([t, 2 * t, -t])[:, :n]
    if kind == "plane" and n == 3:     # exponents in a plane
        A[:, 2] = A[:, 0] + A[:, 1]
    A = np.unique(A, axis=0)
    if kind == "coplanar":             # all lifted points on one hyperplane
        c = A @ rng.integers(-2, 3, size=n) + 1
    elif kind == "concave":            # every point a vertex
        c = -(A**2).sum(axis=1) - A.sum(axis=1) ** 2
    elif kind == "ties":               # many points on facets
        c = -np.abs(A - 1).sum(axis=1)
    else:
        c = rng.integers(-3, 3, size=len(A))
    den = rng.integers(1, 4, size=len(A))
    cq = np.array([Fraction(int(v), int(k)) for v, k in zip(c, den)], dtype=object)
    return A, cq


KINDS = ["random", "coplanar", "collinear", "plane", "concave", "ties"]


@pytest.mark.parametrize("kind", KINDS)
def test_exact_upper_hull_matches_cdd(kind):
    rng = np.random.default_rng(sum(map(ord, kind)))
    for _ in range(40):
        A, c = random_case(rng, kind)
        want = cdd_vertices(A, c)
        assert hull.upper_hull_vertices(A.astype(object), c).tolist() == want
        # float mode on the same (dyadic-exact) data agrees on these well-separated inputs
        cf = np.array([float(v) for v in c])
        assert hull.upper_hull_vertices(A.astype(float), cf).tolist() == want


@pytest.mark.parametrize("kind", KINDS)
def test_exact_dual_subdivision_matches_cdd(kind):
    rng = np.random.default_rng(7 + sum(map(ord, kind)))
    for _ in range(25):
        A, c = random_case(rng, kind)
        if len(A) < 2:
            continue
        got = hull.upper_facets(A.astype(object), c)
        cz = [int(v * 6) for v in c]  # denominators are 1..3: scale by 6 to integers
        D = A - A[0]
        r, cols = hull_exact._rank_and_pivots(D)
        L = as_int_array(np.hstack([A[:, cols].astype(object), np.array(cz, dtype=object)[:, None]]))
        lifted_rank, _ = hull_exact._rank_and_pivots(np.hstack([D[:, cols], (np.array(cz) - cz[0])[:, None]]))
        want = [tuple(range(len(A)))] if lifted_rank == r else cdd_cells(L)
        assert got == want
        if lifted_rank > r:  # the core install's oracle of last resort agrees with cdd
            assert hull_oracle.upper_cells(L) == want


def test_repeated_exponents_are_merged_before_the_hull():
    E = np.array([[0], [1], [1], [2]], dtype=object)
    c = np.array([Fraction(0), Fraction(-5), Fraction(1), Fraction(0)], dtype=object)
    mask = poly.upper_hull_mask(E, c)
    assert mask.tolist() == [True, False, True, True]
    Ef, cf = poly.prune(E, c)
    assert Ef.ravel().tolist() == [0, 1, 2] and cf.tolist() == [0, 1, 0]


def test_near_degenerate_exact_input_is_decided_exactly():
    # the middle point is above the chord by 2**-60: a vertex, though every float method
    # working in double precision after scaling sees a straight line
    eps = Fraction(1, 2**60)
    A = np.array([[0], [1], [2]], dtype=object)
    c = np.array([Fraction(0), Fraction(1) + eps, Fraction(2)], dtype=object)
    assert hull.upper_hull_vertices(A, c).tolist() == [0, 1, 2]
    c2 = np.array([Fraction(0), Fraction(1) - eps, Fraction(2)], dtype=object)
    assert hull.upper_hull_vertices(A, c2).tolist() == [0, 2]
    # big numerators (beyond int64) take the Python-int path
    big = Fraction(3**50, 7**20)
    A3 = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=object)
    c3 = np.array([big, big, big, big + eps], dtype=object)
    assert hull.upper_hull_vertices(A3, c3).tolist() == cdd_vertices(A3, c3)


def test_near_degenerate_2d_lifts_match_cdd():
    rng = np.random.default_rng(11)
    eps = Fraction(1, 2**55)
    for _ in range(20):
        A = np.unique(rng.integers(0, 4, size=(12, 2)), axis=0)
        base = rng.integers(-2, 3, size=2)
        c = np.array(
            [Fraction(int(a @ base)) + eps * int(rng.integers(-1, 2)) for a in A], dtype=object
        )
        assert hull.upper_hull_vertices(A.astype(object), c).tolist() == cdd_vertices(A, c)


def test_polytope_vertices():
    A = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1], [1, 0], [2, 2]], dtype=object)
    assert hull.polytope_vertices(A).tolist() == [0, 1, 2, 3]
    assert hull.polytope_vertices(A.astype(float)).tolist() == [0, 1, 2, 3]
    line = np.array([[0, 0, 0], [1, 1, 1], [3, 3, 3], [2, 2, 2]], dtype=object)
    assert hull.polytope_vertices(line).tolist() == [0, 2]


@pytest.mark.parametrize("n", [6, 7])
def test_high_dimensional_lp_path_matches_cdd(n):
    # lifted dimension n + 1 > QHULL_MAX_DIM: random directions + HiGHS LPs propose, exact
    # witnesses and convex combinations decide
    assert n + 1 > hull.QHULL_MAX_DIM
    rng = np.random.default_rng(n)
    non_vertices = 0
    for kind in range(3):
        A = np.unique(rng.integers(0, 3, size=(70, n)), axis=0)
        if kind == 0:
            c = rng.integers(-8, 1, size=len(A))
        elif kind == 1:
            c = A @ rng.integers(-1, 2, size=n) - (A.sum(axis=1) > 5)
        else:
            c = -(A.sum(axis=1)) ** 2
        # without pycddlib the exact path is the reference (kernels.dd is too slow in 8-D)
        want = cdd_vertices(A, c) if cdd is not None else hull.upper_hull_vertices(A.astype(object), c).tolist()
        non_vertices += len(A) - len(want)
        assert hull.upper_hull_vertices(A.astype(object), c.astype(object)).tolist() == want
        assert hull.upper_hull_vertices(A.astype(float), c.astype(float)).tolist() == want
    assert non_vertices > 5  # the non-vertex certificates were exercised


def test_sparse_tight_path_matches_cdd(monkeypatch):
    # large hulls keep the point-plane incidences in scipy.sparse; force that path on small ones
    monkeypatch.setattr(hull_exact, "_DENSE_TIGHT", 0)
    rng = np.random.default_rng(21)
    for kind in ("random", "ties", "concave", "coplanar"):
        for _ in range(8):
            A, c = random_case(rng, kind)
            assert hull.upper_hull_vertices(A.astype(object), c).tolist() == cdd_vertices(A, c)
    A = np.array([(i, j) for i in range(4) for j in range(4 - i)], dtype=object)
    c = np.array([-(i * i + j * j) for i, j in A.tolist()], dtype=object)
    assert len(hull.upper_facets(A, c)) == 6
