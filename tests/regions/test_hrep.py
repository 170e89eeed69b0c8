"""Regions from the H-representation engine (input dimension above ``HREP_DIM``): facets by
LP, neighbours, maps and the linear merge, against the vertex engine and independent LPs."""

import numpy as np
import pytest
from scipy.optimize import linprog

import tropnet
from tropnet import Box, random_mlp


def _normalised_facets(r):
    A = np.asarray(r.A, dtype=np.float64)
    b = np.asarray(r.b, dtype=np.float64)
    n = np.linalg.norm(A, axis=1)
    return sorted(map(tuple, np.round(np.c_[A / n[:, None], b / n], 8).tolist()))


def _adjacent_patterns(rs):
    cells = rs._activation_view()
    return {frozenset((tuple(cells.patterns[a]), tuple(cells.patterns[b]))) for a, b in cells.adjacency().tolist()}


@pytest.mark.parametrize(
    "widths, dom", [([2, 6, 6, 1], None), ([3, 5, 5, 1], Box(-2, 2)), ([4, 4, 4, 2], Box(-1, 1))]
)
def test_hrep_regions_equal_the_vertex_engine(widths, dom, force_hrep):
    net = random_mlp(widths, seed=3)
    ref = tropnet.linear_regions(net, dom)
    force_hrep()  # force the H-representation engine
    got = tropnet.linear_regions(net, dom)
    assert len(got._vert_ids) == 0  # it really ran
    assert (len(got), got.num_cells) == (len(ref), ref.num_cells)
    where = {tuple(p): i for i, p in enumerate(ref.patterns.tolist())}
    ra, ga = ref._activation_view(), got._activation_view()
    for j, p in enumerate(got.patterns.tolist()):
        i = where[tuple(p)]
        assert _normalised_facets(ga[j]) == _normalised_facets(ra[i])
        assert ga[j].bounded == ra[i].bounded
    assert _adjacent_patterns(got) == _adjacent_patterns(ref)
    pairs = {(got.labels[j], ref.labels[where[tuple(p)]]) for j, p in enumerate(got.patterns.tolist())}
    assert len(pairs) == len(ref)


@pytest.mark.parametrize("dom", [Box(-1, 1), None])
def test_thirteen_inputs(dom):
    # one hidden layer of 6 generic units in R^13: all 2^6 patterns (Zaslavsky), one map each
    net = random_mlp([13, 6, 1], seed=0)
    rs = tropnet.linear_regions(net, dom)
    assert len(rs) == rs.num_cells == 64 == tropnet.count_linear_regions(net, dom, kind="activation")
    for r in list(rs)[::9]:
        A, b = np.asarray(r.A, dtype=np.float64), np.asarray(r.b, dtype=np.float64)
        x = np.asarray(r.interior_point, dtype=np.float64)
        assert (A.dot(x) < b).all()
        W, c = r.affine_map
        assert np.allclose(W.dot(x) + c, net(x))
        # every reported row is a facet: dropping it lets a_i x exceed b_i (independent LP)
        for i in range(len(b)):
            others = np.arange(len(b)) != i
            res = linprog(-A[i], A_ub=np.vstack([A[others], A[i]]), b_ub=np.r_[b[others], b[i] + 1],
                          bounds=[(None, None)] * 13, method="highs")
            assert -res.fun > b[i] + 1e-7
        assert r.bounded == (dom is not None)
    if dom is None:
        with pytest.raises(ValueError, match="bounded"):
            rs[0].volume()
    else:
        with pytest.raises(NotImplementedError, match="H-representation"):
            rs[0].volume()


def test_lp_kernels_refuse_bad_rows():
    from tropnet.kernels.lp import irredundant_rows, is_bounded

    with pytest.raises(ValueError, match="shape"):
        irredundant_rows(np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        irredundant_rows(np.array([[1.0, np.nan]]), np.ones(1))
    with pytest.raises(ValueError, match="NaN"):
        is_bounded(np.array([[np.inf, 0.0]]))
    from tropnet.kernels.lp import l1_lifted

    A, b = np.eye(2), np.ones(2)
    with pytest.raises(ValueError, match="boolean mask of the 2 rows"):
        irredundant_rows(A, b, test=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="boolean mask"):
        irredundant_rows(A, b, test=[1, 0])
    with pytest.raises(ValueError, match="centre must have 2 entries"):
        irredundant_rows(A, b, ball=(np.zeros(3), 1.0))
    with pytest.raises(ValueError, match="radius > 0"):
        l1_lifted(A, b, np.zeros(2), -1.0)
    with pytest.raises(ValueError, match="radius > 0"):
        l1_lifted(A, b, np.array([0.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match="3 columns"):
        l1_lifted(np.ones((1, 3)), np.ones(1), np.zeros(2), 1.0, E=np.eye(2))
    from tropnet.kernels.lp import l1_chebyshev_center

    with pytest.raises(ValueError, match="radius > 0"):
        l1_chebyshev_center(A, b, np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="centre must have 2 entries"):
        l1_chebyshev_center(A, b, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="shape \\(m, n\\)"):
        l1_chebyshev_center(A, np.ones(3), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="finite"):
        l1_chebyshev_center(np.array([[np.inf, 0.0]]), np.ones(1), np.zeros(2), 1.0)


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_facets_with_a_lifted_cross_polytope_equal_those_with_its_facets_listed(d):
    # irredundant_rows(ball=) and facet_point(ball=) keep the 1-norm ball whole by lifting; the
    # same rows with the ball's 2^d facets listed are the independent reference (scipy's HiGHS
    # for the interior point's check)
    from tropnet.geometry.domains import CrossPolytope
    from tropnet.kernels.lp import irredundant_rows
    from tropnet.regions.geometry import facet_point

    rng = np.random.default_rng(d)
    tested = 0
    for _ in range(40):
        c, r = rng.normal(size=d) * 0.2, float(rng.uniform(0.5, 1.5))
        m = int(rng.integers(1, 7))
        A = rng.normal(size=(m, d))
        b = A @ c + rng.uniform(-0.3, 0.8, size=m)  # some rows cut the ball, some miss it
        F, g = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(c, r).halfspaces(d))
        inside = linprog(np.r_[np.zeros(d), -1.0], A_ub=np.c_[np.r_[A, F], np.linalg.norm(np.r_[A, F], axis=1)],
                         b_ub=np.r_[b, g], bounds=[(None, None)] * d + [(0, 1)])
        if inside.status != 0 or -inside.fun < 1e-6:
            continue  # no interior: the rows are for a full-dimensional polyhedron
        got = irredundant_rows(A, b, ball=(c, r))
        assert got.tolist() == irredundant_rows(np.r_[A, F], np.r_[b, g])[:m].tolist()
        ask = rng.random(m) < 0.5  # only some rows tested: the others reported False, the rest unchanged
        assert irredundant_rows(A, b, ball=(c, r), test=ask).tolist() == (got & ask).tolist()
        for i in np.flatnonzero(got):
            y = facet_point(A, b, int(i), ball=(c, r))
            assert y is not None and abs(A[i] @ y - b[i]) < 1e-7
            others = np.arange(m) != i
            assert np.all(A[others] @ y < b[others]) and np.abs(y - c).sum() < r
            tested += 1
    assert tested > 20
