"""Exact mode with numbers beyond float range (400-digit integer weights): the hull's float
proposals are skipped and the exact double description decides; the R^n cube radius is computed
in integers.  Checked by invariances (an upper hull does not change under c -> lam c + affine(a),
lam > 0), by exact evaluation of the compiled form against the network at rational points, and
by a known count (three lines in general position cut R^2 into 7 regions)."""

from fractions import Fraction as F

import numpy as np
import pytest

import tropnet
from tropnet.kernels import hull

BIG = 10**400


@pytest.mark.parametrize("seed", range(6))
def test_upper_hull_with_400_digit_lifts(seed):
    rng = np.random.default_rng(seed)
    n = 1 + seed % 3
    A = np.unique(rng.integers(0, 4, size=(12, n)), axis=0)
    c = -(A**2).sum(axis=1) + rng.integers(-2, 3, size=len(A)) * (seed % 2)
    want = hull.upper_hull_vertices(A.astype(object), c.astype(object)).tolist()
    v = rng.integers(-3, 4, size=n)
    big_c = np.array([BIG * int(ci) + BIG**2 * int(a @ v) - 7 * BIG**3 for a, ci in zip(A, c)], dtype=object)
    assert hull.upper_hull_vertices(A.astype(object), big_c).tolist() == want
    assert hull.upper_facets(A.astype(object), big_c) == hull.upper_facets(A.astype(object), c.astype(object))


def test_polynomial_with_400_digit_coefficients():
    x, y = tropnet.variables("x y")
    E = np.array([[0, 0], [2, 0], [0, 2], [1, 1], [1, 0]], dtype=object)
    small = tropnet.TropicalPolynomial(E, np.array([0, 0, 0, -1, -3], dtype=object))
    big = tropnet.TropicalPolynomial(E, np.array([BIG * v for v in (0, 0, 0, -1, -3)], dtype=object))
    assert len(small.simplify()) == 3 and len(big.simplify()) == 3  # (1, 1) and (1, 0) lie below
    assert big.num_linear_regions() == small.num_linear_regions() == 3
    assert len(big.hypersurface().vertices()) == len(small.hypersurface().vertices())


def _big_net():
    W1 = np.array([[BIG, 1], [-1, BIG], [3 * BIG, -2 * BIG]], dtype=object)
    b1 = np.array([1, -BIG, 7], dtype=object)
    W2 = np.array([[1, -2, BIG]], dtype=object)
    return tropnet.Network.from_arrays([W1, W2], [b1, np.array([0], dtype=object)])


def test_compile_a_network_with_400_digit_weights():
    net = _big_net()
    f = tropnet.tropicalize(net)[0]
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = [F(int(rng.integers(-50, 50)), int(rng.integers(1, 9))) for _ in range(2)]
        p[0] = p[0] / BIG  # near the nearly vertical first line, too
        assert f(p) == net(p)[0]


def test_count_on_the_plane_with_400_digit_weights():
    # the three first-layer lines are in general position: 7 activation regions on R^2
    net = _big_net()
    assert tropnet.count_linear_regions(net, exact=True, kind="activation") == 7


def test_high_dimensional_hull_and_exact_lp_beyond_float_range():
    # lifted dimension 8 (> QHULL_MAX_DIM): the LP proposals are skipped as well
    rng = np.random.default_rng(3)
    A = np.unique(rng.integers(0, 3, size=(20, 7)), axis=0)
    c = -(A.sum(axis=1) ** 2) - (A[:, 0] > 1)
    want = hull.upper_hull_vertices(A.astype(object), c.astype(object)).tolist()
    big_c = np.array([BIG * int(v) for v in c], dtype=object)
    assert hull.upper_hull_vertices(A.astype(object), big_c).tolist() == want
    from tropnet.kernels.exact_lp import solve_exact_lp

    G = np.array([[BIG, 1], [1, -BIG]], dtype=object)
    status, x, value = solve_exact_lp([-1, -1], G, [BIG, 0], [0, 0], [None, None])
    assert status == "optimal" and x.tolist() == [0, BIG] and value == -BIG  # by hand: max x + y


def test_counts_in_3d_match_the_rescaled_network():
    # multiplying a unit's weights and bias by BIG > 0 keeps its hyperplane: same regions
    rng = np.random.default_rng(0)
    W1 = rng.integers(-5, 6, size=(4, 3))
    b1 = rng.integers(-5, 6, size=4)
    W2 = rng.integers(-5, 6, size=(1, 4))
    small = tropnet.Network.from_arrays([W1, W2], [b1, [0]]).to_exact()
    big = tropnet.Network.from_arrays([W1.astype(object) * BIG, W2.astype(object)],
                                      [b1.astype(object) * BIG, np.array([0], dtype=object)])
    for dom in (None, tropnet.Box(-3, 3)):
        want = tropnet.count_linear_regions(small, dom, exact=True, kind="activation")
        assert tropnet.count_linear_regions(big, dom, exact=True, kind="activation") == want


def test_linear_count_on_the_plane_with_400_digit_weights():
    # relu(BIG x + y) + relu(x - BIG y): two lines through 0, four distinct maps: 4 regions
    net = tropnet.Network.from_arrays([[[BIG, 1], [1, -BIG]], [[1, 1]]])
    assert tropnet.count_linear_regions(net, exact=True) == 4
