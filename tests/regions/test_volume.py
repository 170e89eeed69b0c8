"""Exact polytope volume (kernels.volume) and exact cell volumes of RegionSet."""

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from tropnet import Box, linear_regions, random_mlp
from tropnet._numbers import exact_to_float_array
from tropnet.kernels.volume import polytope_volume


def obj(rows):
    return np.array(rows, dtype=object)


def cube_points(d, lo=0, hi=1):
    return obj(list(itertools.product([lo, hi], repeat=d)))


def box_halfspaces(lo, hi):
    d = len(lo)
    A = np.vstack([-np.eye(d, dtype=int), np.eye(d, dtype=int)]).astype(object)
    b = obj([-v for v in lo] + list(hi))
    return A, b


# ---------------------------------------------------------------- known answers
@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_unit_cube(d):
    A, b = box_halfspaces([0] * d, [1] * d)
    assert polytope_volume(cube_points(d), A, b) == 1
    assert polytope_volume(cube_points(d)) == 1  # facets from the exact double description
    assert type(polytope_volume(cube_points(d))) is F


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_standard_simplex(d):
    V = np.vstack([np.zeros((1, d), dtype=int), np.eye(d, dtype=int)]).astype(object)
    A = np.vstack([-np.eye(d, dtype=int), np.ones((1, d), dtype=int)]).astype(object)
    b = obj([0] * d + [1])
    assert polytope_volume(V, A, b) == F(1, math.factorial(d))
    assert polytope_volume(V) == F(1, math.factorial(d))


@pytest.mark.parametrize("d", [2, 3, 4])
def test_cross_polytope(d):
    V = np.vstack([np.eye(d, dtype=int), -np.eye(d, dtype=int)]).astype(object)
    A = obj(list(itertools.product([-1, 1], repeat=d)))
    b = obj([1] * len(A))
    assert polytope_volume(V, A, b) == F(2**d, math.factorial(d))
    assert polytope_volume(V * F(1, 3)) == F(2**d, math.factorial(d)) / 3**d


def test_rational_box_and_redundant_rows():
    lo, hi = [F(-1, 3), F(2, 7), F(5)], [F(1, 2), F(9, 7), F(21, 4)]
    V = obj(list(itertools.product(*zip(lo, hi))))
    A, b = box_halfspaces(lo, hi)
    want = math.prod(h - l for l, h in zip(lo, hi))
    assert polytope_volume(V, A, b) == want
    # redundant rows (a loose one, a scaled duplicate, one touching a single vertex) change nothing
    A2 = np.vstack([A, obj([[1, 1, 1], [3, 0, 0], [1, 1, 1]])])
    b2 = np.concatenate([b, obj([100, 3 * hi[0], sum(hi)])])
    assert polytope_volume(V, A2, b2) == want
    # duplicated points too
    assert polytope_volume(np.vstack([V, V[::-1]]), A2, b2) == want


def test_cube_with_points_on_its_facets_and_edges():
    # a 5x5x5 grid of the cube [0, 2]^3 keeps only its boundary points: 98 points, 8 vertices,
    # each facet holds 25 coplanar points and each edge 5 collinear ones
    g = [F(k, 2) for k in range(5)]
    V = obj([p for p in itertools.product(g, repeat=3) if any(x in (0, 2) for x in p)])
    assert len(V) == 98
    A, b = box_halfspaces([0, 0, 0], [2, 2, 2])
    assert polytope_volume(V, A, b) == 8
    assert polytope_volume(V) == 8
    # with an interior point too
    assert polytope_volume(np.vstack([V, obj([[1, 1, 1]])]), A, b) == 8


def circle_point(t):
    """A rational point on the unit circle: ((1 - t^2) / (1 + t^2), 2 t / (1 + t^2))."""
    return ((1 - t * t) / (1 + t * t), 2 * t / (1 + t * t))


def shoelace(poly):
    n = len(poly)
    return (
        abs(sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))) / 2
    )


def test_prism_over_a_rational_polygon_on_the_circle():
    # 16 rational points on the unit circle (t = tan(theta/2) on a grid), in angular order
    ts = [F(k, 4) for k in range(-4, 4)]
    upper = [circle_point(t) for t in ts]  # theta in [-pi/2, pi/2)
    poly = upper + [(-x, -y) for x, y in upper]  # the point reflection gives the other half
    area = shoelace(poly)
    h = F(3, 7)
    V = obj([(x, y, z) for x, y in poly for z in (0, h)])
    assert polytope_volume(V) == area * h
    # facet rows: the two caps and one side per polygon edge (outer normal of edge p -> q)
    rows, rhs = [[0, 0, -1], [0, 0, 1]], [0, h]
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1]):
        a = (y1 - y0, x0 - x1)
        rows.append([a[0], a[1], 0])
        rhs.append(a[0] * x0 + a[1] * y0)
    A, b = obj(rows), obj(rhs)
    assert polytope_volume(V, A, b) == area * h
    assert float(area * h) == pytest.approx(ConvexHull(exact_to_float_array(V)).volume, rel=1e-12)


def test_moved_vertex_below_float_resolution():
    # the unit cube with its vertex (1, 1, 1) lifted by eps = 10^-30: conv gains the pyramid
    # over the top face with apex height eps, so the volume is exactly 1 + eps/3
    eps = F(1, 10**30)
    V = cube_points(3)
    V[-1] = obj([1, 1, 1 + eps])
    want = 1 + eps / 3
    assert polytope_volume(V) == want
    # the facets by hand: the box sides and the two top triangles z <= 1 + eps y, z <= 1 + eps x
    A = obj([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 0, 0], [0, 1, 0], [0, -eps, 1], [-eps, 0, 1]])
    b = obj([0, 0, 0, 1, 1, 1, 1])
    assert polytope_volume(V, A, b) == want
    # the float path cannot tell: 1 + 1e-30 rounds to 1.0, the lifted vertex is the cube's
    Vf = exact_to_float_array(V)
    assert len(np.unique(Vf, axis=0)) == 8 and Vf[-1].tolist() == [1.0, 1.0, 1.0]
    assert polytope_volume(Vf) == 1.0 != want
    # and a float near 1 read exactly is its dyadic rational, not the decimal
    assert polytope_volume(V, A, b) - 1 == eps / 3


def test_coordinates_beyond_float_range():
    # 10^400 overflows a float and 10^-400 underflows to 0: only exact arithmetic sees them
    for s in (F(10) ** 400, F(1, 10**400)):
        V = np.vstack([np.zeros((1, 3), dtype=int), np.eye(3, dtype=int)]).astype(object) * s
        assert polytope_volume(V) == s**3 / 6
        A = obj([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 1]])
        assert polytope_volume(V, A, obj([0, 0, 0, s])) == s**3 / 6


def test_exact_flag_converts_between_modes():
    V = [[0.0, 0.0], [0.1, 0.0], [0.0, 0.3]]
    got = polytope_volume(V, exact=True)  # floats read as the dyadic rationals they store
    assert got == F(0.1) * F(0.3) / 2 and type(got) is F
    assert polytope_volume(obj([[0, 0], [F(1, 10), 0], [0, F(3, 10)]]), exact=False) == pytest.approx(0.015)
    seg = obj([[F(1, 3)], [F(-2, 5)], [0]])
    assert polytope_volume(seg) == F(11, 15)
    assert polytope_volume(seg, obj([[1], [-1]]), obj([F(1, 3), F(2, 5)])) == F(11, 15)


def test_lower_dimensional_input_has_volume_zero():
    flat = obj([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])
    assert polytope_volume(flat) == 0
    assert polytope_volume(obj([[0, 0], [1, 1], [2, 2]])) == 0
    assert (
        polytope_volume(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])) == 0.0
    )


def test_bad_input_is_named():
    V = cube_points(2)
    A, b = box_halfspaces([0, 0], [1, 1])
    with pytest.raises(ValueError, match="A and b must be given together"):
        polytope_volume(V, A)
    with pytest.raises(ValueError, match=r"A must be \(m, 2\)"):
        polytope_volume(V, A[:, :1], b)
    with pytest.raises(ValueError, match="violates row"):
        polytope_volume(V * 2, A, b)
    with pytest.raises(ValueError, match="every facet must be among the rows"):
        polytope_volume(V, A[:2], b[:2])
    with pytest.raises(ValueError, match="NaN"):
        polytope_volume(obj([[0, 0], [1, float("nan")], [0, 1]]))
    with pytest.raises(ValueError, match="NaN"):
        polytope_volume([[0.0, 0.0], [1.0, float("nan")], [0.0, 1.0]])
    with pytest.raises(ValueError, match="dimension"):
        polytope_volume(obj([0, 1, 2]))


# ---------------------------------------------------------------- properties
def hull_2d(points):
    """Andrew's monotone chain with exact cross products: the hull vertices in order."""
    pts = sorted(set(points))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def exact_rank(points):
    """The affine rank of integer points (exact, flint's integer matrices)."""
    import flint

    p0 = points[0]
    return flint.fmpz_mat([[int(x - y) for x, y in zip(p, p0)] for p in points[1:]]).rank()


def point_sets(d, max_size=10):
    return st.lists(st.tuples(*[st.integers(-3, 3)] * d), min_size=d + 1, max_size=max_size).filter(
        lambda pts: exact_rank(pts) == d
    )


@given(point_sets(2, 12))
def test_planar_volume_is_the_shoelace_area(pts):
    assert polytope_volume(obj(pts)) == shoelace(hull_2d(pts))


def cdd_facets(V):
    """The facets ``A x <= b`` of conv(V) from cdd.gmp (exact double description)."""
    import cdd
    import cdd.gmp

    gen = cdd.gmp.matrix_from_array([[1, *row] for row in V.tolist()], rep_type=cdd.RepType.GENERATOR)
    H = cdd.gmp.copy_inequalities(cdd.gmp.polyhedron_from_matrix(gen)).array  # rows [b, -a]
    return obj([[-x for x in r[1:]] for r in H]), obj([r[0] for r in H])


def halves(V, A, b, h, c):
    """The pieces of conv(V) on both sides of h.x = c: points (V's on that side and the
    crossings of every segment between points on strictly opposite sides) and halfspaces."""
    s = [sum(hi * vi for hi, vi in zip(h, v)) - c for v in V]
    cut = [
        tuple(v + (w - v) * (s[i] / (s[i] - s[k])) for v, w in zip(V[i], V[k]))
        for i, k in itertools.combinations(range(len(V)), 2)
        if s[i] * s[k] < 0
    ]
    below = [tuple(V[i]) for i in range(len(V)) if s[i] <= 0] + cut
    above = [tuple(V[i]) for i in range(len(V)) if s[i] >= 0] + cut
    h = obj(h)
    return (
        (obj(below), np.vstack([A, h[None]]), np.concatenate([b, obj([c])])),
        (obj(above), np.vstack([A, -h[None]]), np.concatenate([b, obj([-c])])),
    )


@given(
    st.integers(3, 4).flatmap(
        lambda d: st.tuples(point_sets(d, 9), st.lists(st.integers(-2, 2), min_size=d, max_size=d))
    )
)
def test_volume_matches_qhull_and_is_additive_under_a_cut(args):
    pts, h = args
    assume(any(h))
    V = obj([[F(x) for x in p] for p in pts])
    exact = polytope_volume(V)
    assert exact > 0
    assert float(exact) == pytest.approx(ConvexHull(np.array(pts, dtype=float)).volume, rel=1e-9)
    # cut through a rational level strictly between the extremes of h.x over the points
    vals = sorted({sum(hi * x for hi, x in zip(h, p)) for p in pts})
    assume(len(vals) >= 2)
    c = F(vals[0] + vals[-1], 2) + F(1, 7) * (vals[-1] - vals[0]) / 5
    A, b = cdd_facets(V)
    assert polytope_volume(V, A, b) == exact
    (Vb, Ab, bb), (Va, Aa, ba) = halves(V, A, b, h, c)
    lower, upper = polytope_volume(Vb, Ab, bb), polytope_volume(Va, Aa, ba)
    assert lower > 0 and upper > 0
    assert lower + upper == exact
    assert lower == polytope_volume(Vb)  # cdd's facets of the piece agree with the rows given


MAPS = [([[1, 2, 0], [0, 1, 0], [0, 0, 1]], 1), ([[2, 0, 0], [0, F(1, 3), 0], [1, 1, -1]], F(2, 3))]


@given(point_sets(3, 8), st.sampled_from(MAPS))
def test_volume_scales_by_the_determinant_of_an_affine_map(pts, map_and_det):
    M, det = map_and_det  # |det M| by hand
    V = obj([[F(x) for x in p] for p in pts])
    W = V.dot(obj(M).T) + obj([F(1, 5), -2, F(7, 3)])
    assert polytope_volume(W) == det * polytope_volume(V)


# ---------------------------------------------------------------- RegionSet
@pytest.mark.parametrize(
    "widths, lo, hi",
    [([2, 6, 5, 1], -2, 3), ([3, 5, 4, 1], F(-3, 2), 2), ([4, 5, 1], -1, 1)],
)
def test_exact_cell_volumes_sum_to_the_box(widths, lo, hi):
    net = random_mlp(widths, seed=1)
    d = widths[0]
    rs = linear_regions(net, Box([lo] * d, [hi] * d), exact=True, kind="activation")
    vols = [r.volume() for r in rs]
    assert all(type(v) is F and v > 0 for v in vols)
    assert sum(vols) == F(hi - lo) ** d
    for r, v in zip(rs, vols):
        P = exact_to_float_array(r.vertices() if d <= 3 else rs._cell_vertices(r.cell_indices[0]))
        assert float(v) == pytest.approx(ConvexHull(P).volume, rel=1e-9)
    lin = linear_regions(net, Box([lo] * d, [hi] * d), exact=True, kind="linear")
    assert sum(r.volume() for r in lin) == F(hi - lo) ** d


def test_float_cell_volumes_still_come_from_qhull():
    rs = linear_regions(random_mlp([3, 5, 4, 1], seed=1), Box(-1, 1))
    vols = [r.volume() for r in rs]
    assert all(type(v) is float for v in vols)
    assert sum(vols) == pytest.approx(8.0, rel=1e-9)
