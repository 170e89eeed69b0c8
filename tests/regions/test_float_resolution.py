"""Float mode on huge boxes (issue 18): a sliver above rounding noise is found or warned about,
never merged silently; exact ties (zero-bias networks) stay quiet.  Against exact counts.

Before, a vertex's scale was ``||x||_inf`` times the unit's weights, so on ``Box(-1e8, 1e8)`` a
vertex ``(0, 1e8)`` gave the plane ``x0 = eps`` a scale of 1e8 and a noise floor of ``1e-12``
times that: slivers up to 1e-4 merged without a word."""

import warnings
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import Box


def _two_planes(d, eps):
    # units x0 and x0 - eps: a sliver of width eps between two parallel planes (exact: 3 cells)
    W = np.zeros((2, d))
    W[:, 0] = 1.0
    return tropnet.Network.from_arrays([W, np.ones((1, 2))], [np.array([0.0, -eps]), np.zeros(1)])


@pytest.mark.parametrize("d", [2, 3])  # the planar engines (handing over), the vertex engine
@pytest.mark.parametrize("eps", [1e-3, 1e-5, 1e-6, 1e-8])
def test_a_sliver_on_a_huge_box_is_never_merged_silently(d, eps):
    net, dom = _two_planes(d, eps), Box(-1e8, 1e8)
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tropnet.count_linear_regions(net, dom, kind="activation")
    warned = any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)
    # 1e-3: decided at the planes' own scale (the huge coordinate they do not read does not count);
    # 1e-5 .. 1e-8 (below 90 units of roundoff of 1e8): inside the tolerance band, so decided by
    # the exact certificate (regions.ties) -- before it, merged and warned
    assert (got, warned) == (3, False)


def test_zero_bias_ties_on_a_huge_box_stay_quiet():
    net = tropnet.random_mlp([3, 6, 6, 1], seed=1)
    net = tropnet.Network([tropnet.Linear(layer.float_weight, 0 * layer.float_bias)
                           if isinstance(layer, tropnet.Linear) else layer for layer in net.layers], input_dim=3)
    dom = Box(-1e8, 1e8)
    exact = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        assert tropnet.count_linear_regions(net, dom, kind="activation") == exact


def _ulp_sliver(seed):
    # benchmarks/stress_float.py's ulp-sliver-3d networks: the second first-layer unit is the first
    # with its bias one unit of roundoff higher (a slab ~1e-16 wide, below float64 resolution)
    net = tropnet.random_mlp([3, 5, 5, 1], seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], np.nextafter(b[0], np.inf)
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


@pytest.mark.parametrize("seed", [5, 9])  # seeds whose float linear count was one region too many
def test_a_linear_count_across_an_ulp_sliver_is_right_or_warned(seed):
    # the activation cells are right (the exact sign cuts the sliver), but a cell 1e-16 wide has no
    # float facets, so the linear merge cannot see across it: the count must be right or warned
    net, dom = _ulp_sliver(seed), Box(-1, 1)
    want = tropnet.count_linear_regions(net, dom, kind="linear", exact=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tropnet.count_linear_regions(net, dom, kind="linear")
    warned = [w for w in caught if issubclass(w.category, tropnet.AmbiguousGeometryWarning)]
    assert got == want or (warned and "exact=True" in str(warned[0].message))


def test_a_linear_count_without_slivers_stays_quiet():
    # the same network with the slab widened far above resolution: nothing cut below it, no warning
    net = _ulp_sliver(5)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    b[1] = b[0] + 0.25
    net = tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        got = tropnet.count_linear_regions(net, Box(-1, 1), kind="linear")
    assert got == tropnet.count_linear_regions(net, Box(-1, 1), kind="linear", exact=True)


def _ulp_slab(d, seed):
    # two parallel planes one unit of roundoff apart (b, nextafter(b)) and two generic planes
    # through the box's middle, in R^d on Box(-1, 1): every generic plane crosses the slab, so
    # the exact count is 3 slabs x 4 quarters = 12
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(4, d))
    W[1] = W[0]
    b = rng.uniform(-0.1, 0.1, size=4)
    b[1] = np.nextafter(b[0], np.inf)
    return tropnet.Network.from_arrays([W, np.ones((1, 4))], [b, np.zeros(1)])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("d, cross", [(13, False), (8, True)])
def test_a_one_ulp_slab_in_the_hrep_engine_is_right_or_warned(seed, d, cross):
    # 13 inputs on a box, 8 on a cross-polytope: the H-representation engine.  Its Chebyshev LP
    # gives the slab radius 0, below the noise floor; the exact LP of hrep._ExactSides sees it
    # is not empty, and the engine, which cannot hold it in float, warns (before: 8 cells,
    # silently; exact: 12 on the box, the generic planes meeting inside the slab)
    net = _ulp_slab(d, seed)
    dom = tropnet.CrossPolytope(np.zeros(d), 1.0) if cross else Box(-1, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tropnet.count_linear_regions(net, dom, kind="activation")
    warned = any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)
    assert got == 12 or warned


@pytest.mark.parametrize("d, cross", [(13, False), (8, True)])
def test_exact_parallel_ties_in_the_hrep_engine_stay_quiet(d, cross):
    # the same planes with equal biases: an exact tie, not a slab (three distinct planes: 8
    # cells), decided exactly with no warning
    net = _ulp_slab(d, 0)
    dom = tropnet.CrossPolytope(np.zeros(d), 1.0) if cross else Box(-1, 1)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    b[1] = b[0]
    net = tropnet.Network.from_arrays([W, np.ones((1, 4))], [b, np.zeros(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        assert tropnet.count_linear_regions(net, dom, kind="activation") == 8


def _thin_simplex():
    # random_mlp([4, 68, 68, 1], seed=0) on [-5, 5]^4 (issue 21's 10^7-cell count) has a simplex
    # cell about 1e-8 wide near _SIMPLEX_POINT, bounded by first-layer unit 63 and second-layer
    # units 32, 39, 48, 58.  This 5-4-1 network keeps those five facets: first-layer unit 63,
    # four pass-through units relu(x_k + 10) (stable on the box) that carry the 25 other
    # first-layer units active there, folded into the second layer, and the four second-layer units
    W1 = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0],
          [0.7540053224895756, -0.651693597783973, 0.5690207991847831, 0.6029842261895385]]
    b1 = [10.0, 10.0, 10.0, 10.0, -0.24063559883781474]
    W2 = [[-0.7380667288001925, -0.06734189821218751, -1.4158308388637453, -0.3446357979931203,
           0.1289272988520242],
          [-0.46850635684880526, 0.06712772077149709, 0.8464398299408294, 0.6136151569181877,
           0.2811794064908523],
          [-0.3064567302930758, -0.16190263830057292, 0.007684522601988104, -0.6339109040622651,
           -0.0017614667301533156],
          [0.04925880590715429, 0.06714974996442732, -0.0063949988215893094, -0.9327225353631385,
           -0.033593347374475696]]
    b2 = [26.337313258750452, -10.252058846203134, 10.40805560047101, 7.357150663714068]
    return tropnet.Network.from_arrays([W1, W2, np.ones((1, 4))], [b1, b2, np.zeros(1)])


#: a point inside the thin simplex (the mean of its float vertices)
_SIMPLEX_POINT = [0.38248544834521836, -0.3385654932145794, 0.5249053642320572, -0.9404615716714106]


def test_a_thin_simplex_of_a_random_net_is_counted_quietly():
    # The session-4 engine left the five facets' signs at the simplex's vertices (about 1e-9,
    # inside its tolerance band, above rounding noise) undecided and merged the simplex: 30 cells
    # and a warning, and 12 039 477 instead of 12 039 483 cells for the whole network.  The exact
    # signs (regions.ties) cut it.  Exact count: 31.
    net, dom = _thin_simplex(), Box(-5, 5)
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == 31
    # the simplex is a real cell: at a rational point every pre-activation is nonzero, exactly
    x = [Fraction(v) for v in _SIMPLEX_POINT]
    (W1, b1), (W2, b2) = [(layer.float_weight, layer.float_bias) for layer in net.layers[:3:2]]
    z1 = [sum((Fraction(w) * xi for w, xi in zip(row, x)), Fraction(b)) for row, b in zip(W1, b1)]
    h = [max(v, Fraction(0)) for v in z1]
    z2 = [sum((Fraction(w) * hi for w, hi in zip(row, h)), Fraction(b)) for row, b in zip(W2, b2)]
    assert all(v != 0 for v in z1 + z2) and max(abs(v) for v in z2) < 1e-8
    pattern = [int(v > 0) for v in z1 + z2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        assert tropnet.count_linear_regions(net, dom, kind="activation") == 31  # streamed
        rs = tropnet.linear_regions(net, dom, kind="activation")
    assert len(rs) == 31 and pattern in rs.patterns.tolist()
