"""Neighbours of H-representation cells shown by points (regions/hrep_adjacency.py) against the
cells' facets from LPs on the cross-polytope's listed facets (no lifting), and the plan taking a
cross-polytope's listed rows for the ball."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from testnets import listed_rows, merging_net

import tropnet
from tropnet import AffineSlice, CrossPolytope, Polyhedron
from tropnet.geometry.domains import cross_polytope_of
from tropnet.kernels.lp import irredundant_rows
from tropnet.regions.affine import maps_and_rows, patterns_at
from tropnet.regions.geometry import facet_point
from tropnet.regions.hrep_adjacency import TWIN_MAX, certified_neighbours
from tropnet.regions.plan import make_plan


def _lifted_cells(net, cp):
    plan = make_plan(net, cp, want="count", kind="linear")
    assert plan.engine == "hrep"
    plan._prune_stable()
    found = plan.find()
    d = found.d
    Au, bu, flip = maps_and_rows(found.stages, found.patterns, d)[2:5]
    assert found.dom_A.shape == (0, d)  # the ball is no listed row: found.cache["ball"]
    return found, Au, bu, flip


@pytest.mark.parametrize("seed", range(3))
def test_certified_neighbours_are_facets_with_that_cell_across_and_miss_none(seed):
    net = merging_net(seed, 8, 5, scale=2)
    cp = CrossPolytope(np.full(5, 0.3), 2.0)
    found, A, b, codes = _lifted_cells(net, cp)
    C, R = b.shape
    cells = np.arange(C)
    test, (cl, cr, across) = certified_neighbours(A, b, codes, cells, found.patterns, found.points,
                                                  lambda i, j: np.ones(len(i), dtype=bool), found.cache["ball"])
    assert len(cl) > 0
    F, g = (np.asarray(v, dtype=np.float64) for v in cp.halfspaces(5))
    lookup = {found.patterns[c].tobytes(): c for c in range(C)}
    shown = {(int(c), int(r)): int(a) for c, r, a in zip(cl, cr, across)}
    checked = 0
    for c in range(C):
        M, v = np.vstack([A[c], F]), np.r_[b[c], g]
        facet = irredundant_rows(M, v)
        norms = np.linalg.norm(A[c], axis=1)
        H = np.c_[A[c], b[c]] / np.where(norms > 0, norms, 1.0)[:, None]
        for r in np.flatnonzero((codes[c] >= 0) & facet[:R]):
            p = facet_point(M, v, int(r))
            nrm = A[c, r] / norms[r]
            side = patterns_at(found.stages, np.stack([p - 1e-7 * nrm, p + 1e-7 * nrm]))
            assert side[0].tolist() == found.patterns[c].tolist()
            c2 = lookup.get(side[1].astype(np.int32).tobytes())
            twins = [k for (cc, k) in shown if cc == c and np.abs(H[k] - H[r]).max() < 1e-9]
            if twins:  # a point showed this facet: the cell across is the one it named
                assert shown[(c, twins[0])] == c2
                checked += 1
            elif c2 is not None and c2 != c:  # a neighbour the merge could join: the LP decides
                assert test[c, r]
        for cc, k in shown:  # every certified row is a facet (of the listed ball)
            if cc == c:
                assert facet[k] or any(facet[j] and np.abs(H[j] - H[k]).max() < 1e-12 for j in range(R))
    assert checked == len(shown)


def test_constant_units_join_the_flips_and_unlisted_candidates_keep_their_lp():
    # the x = 0 facet between two cells of |x| <= 1 (x <= 0, then x >= 0), a row y <= 5 that no
    # neighbour lies across, and a constant unit (a zero row 0 <= 1) that flips across the facet
    # too: the cell across has both units flipped, and the points show it
    d = 2
    pts = np.array([[-0.5, 0.0], [0.5, 0.0]])
    always = lambda i, j: np.ones(len(i), dtype=bool)  # noqa: E731
    A = np.zeros((2, 3, d))
    A[:, 0] = [[1.0, 0.0], [-1.0, 0.0]]
    A[:, 1] = [0.0, 1.0]
    b = np.array([[0.0, 5.0, 1.0], [0.0, 5.0, 1.0]])
    codes = np.array([[0 << 20 | 1, 2 << 20 | 1, 3 << 20 | 1], [0 << 20 | 0, 2 << 20 | 1, 3 << 20 | 0]])
    for flipped in ([0], [0, 3]):  # across: unit 0 flipped, or units 0 and 3
        pats = np.zeros((2, 10), dtype=np.int32)
        pats[1, flipped] = 1
        test, cert = certified_neighbours(A, b, codes, np.arange(2), pats, pts, always)
        assert not test.any() and [v.tolist() for v in cert] == [[0, 1], [0, 0], [1, 0]]
    # too many constant units to list the flips: the class's rows keep their LP
    many = TWIN_MAX + 1
    Az = np.concatenate([A[:, :1], np.zeros((2, many, d))], axis=1)
    bz = np.concatenate([b[:, :1], np.ones((2, many))], axis=1)
    cz = np.array([[0 << 20 | 1] + [(k + 1) << 20 | 1 for k in range(many)],
                   [0 << 20 | 0] + [(k + 1) << 20 | 1 for k in range(many)]])
    pz = np.zeros((2, many + 1), dtype=np.int32)
    pz[1, 0] = 1
    test, cert = certified_neighbours(Az, bz, cz, np.arange(2), pz, pts, always)
    assert test[:, 0].all() and not test[:, 1:].any() and len(cert[0]) == 0
    twins = TWIN_MAX + 1  # the x = 0 hyperplane from TWIN_MAX + 1 units
    A2 = np.repeat(A[:, :1], twins, axis=1)
    b2 = np.zeros((2, twins))
    codes2 = np.array([[k << 20 | 1 for k in range(twins)], [k << 20 | 0 for k in range(twins)]])
    pats2 = np.array([[0] * twins, [1] * twins], dtype=np.int32)
    test, cert = certified_neighbours(A2, b2, codes2, np.arange(2), pats2, pts, always)
    assert test.all() and len(cert[0]) == 0
    codes3 = np.array([[0 << 20 | 1, 0 << 20 | 2], [0 << 20 | 0, 0 << 20 | 2]])  # column 0 two ways
    test, cert = certified_neighbours(A2[:, :2], b2[:, :2], codes3, np.arange(2), np.array([[0], [1]], np.int32),
                                      pts, always)
    assert test.all() and len(cert[0]) == 0


def test_cross_polytope_of_recognises_listed_cross_polytopes_only():
    rng = np.random.default_rng(0)
    for n in (1, 3, 6):
        c, r = rng.normal(size=n), float(rng.uniform(0.1, 3))
        A, b = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(c, r).halfspaces(n))
        got = cross_polytope_of(A, b)
        assert got is not None and np.allclose(got[0], c, atol=1e-14) and abs(got[1] - r) < 1e-14
        assert got[2] < 1e-13
        perm = rng.permutation(len(b))
        scale = rng.uniform(0.5, 2, size=len(b))
        again = cross_polytope_of(A[perm] * scale[:, None], b[perm] * scale)  # rows shuffled and scaled
        assert again is not None and np.allclose(again[0], c) and abs(again[1] - r) < 1e-12
        if n > 1:
            bad = b.copy()
            bad[0] += 1e-6  # one facet moved: another polyhedron
            assert cross_polytope_of(A, bad) is None
            dup = A.copy()
            dup[1] = dup[0]  # a sign vector twice (and one missing)
            assert cross_polytope_of(dup, b) is None
    exact = CrossPolytope([Fraction(1, 3), 0, 2], Fraction(1, 2))
    assert abs(cross_polytope_of(*exact.halfspaces(3))[1] - 0.5) < 1e-15
    assert cross_polytope_of(*tropnet.Box(-1, 1).halfspaces(2)) is None  # 4 rows, but not +-1 entries
    assert cross_polytope_of(np.zeros((0, 2)), np.zeros(0)) is None


def test_direct_counts_on_listed_cross_polytopes_keep_the_ball_whole():
    # count_linear_regions on AffineSlice.around (k = 5: its 32 rows listed) and on a Polyhedron
    # of a 5-D cross-polytope's facets, off the origin: the ball kept whole, the counts of the
    # vertex engine on the listed rows; region sets and exact counts still take the rows
    net = merging_net(2, 8, 5, scale=2)
    cp = CrossPolytope(np.linspace(-0.2, 0.3, 5), 1.5)
    poly = Polyhedron(*cp.halfspaces(5))
    assert make_plan(net, poly, want="count").engine == "hrep"
    assert make_plan(net, poly, want="count", kind="activation").engine == "hrep"
    assert make_plan(net, poly).engine == "vertex"
    assert make_plan(net, poly, want="count", exact=True).engine == "vertex"
    assert make_plan(net, poly, want="count", engine="refine").engine == "vertex"  # the rows as given
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tropnet.AmbiguousGeometryWarning)
        ref = tropnet.count_linear_regions(net, listed_rows(poly.A, poly.b))
        act = tropnet.count_linear_regions(net, listed_rows(poly.A, poly.b), kind="activation")
    assert tropnet.count_linear_regions(net, poly) == tropnet.count_linear_regions(net, cp) == ref < act
    assert tropnet.count_linear_regions(net, poly, kind="activation") == act
    big = merging_net(0, 8, 9, scale=2)
    s = AffineSlice.around(np.full(9, 0.1), 2.5, k=5, seed=3)
    assert make_plan(big, s, want="count").engine == "hrep"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tropnet.AmbiguousGeometryWarning)
        listed = AffineSlice(s.origin, s.basis, listed_rows(s.domain.A, s.domain.b))
        ref = tropnet.count_linear_regions(big, listed)
        assert ref < tropnet.count_linear_regions(big, listed, kind="activation")
    assert tropnet.count_linear_regions(big, s) == ref
