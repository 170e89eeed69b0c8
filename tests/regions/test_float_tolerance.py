"""Float mode is never silently wrong (issue 18, item 3): the tie tolerance is local (a small
cell far from the domain's largest values is decided at its own scale), the cube of R^n is not
sized by a unit with near-zero weights, and a decision left inside its tolerance band above
rounding noise raises tropnet.AmbiguousGeometryWarning."""

import warnings

import pytest

import tropnet
from tropnet import Box, Network, random_mlp


def _float_count(net, dom):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = tropnet.count_linear_regions(net, dom, kind="activation")
    return n, any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)


@pytest.mark.parametrize("dom", [None, Box(-1e8, 1e8), Box(-1e10, 1e10)])
def test_large_boxes_keep_the_small_cells(dom):
    # issue 18: 69 on R^2, 67 on Box(-1e8, 1e8), 25 on Box(-1e10, 1e10); exact 69 everywhere
    net = random_mlp([2, 6, 6, 1], seed=3)
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == 69
    assert _float_count(net, dom) == (69, False)


def test_a_unit_with_tiny_weights_does_not_size_the_cube():
    # four lines in general position: 11 regions on R^2 (float said 10)
    net = Network.from_arrays([[[1, .5], [-.3, 1], [.7, -.2], [1e-8, 0]], [[1, -1, .5, 2]]],
                              [[.1, -.2, .3, 1], [0]])
    assert tropnet.count_linear_regions(net, kind="activation", exact=True) == 11
    assert _float_count(net, None) == (11, False)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_units_on_rn_are_right_or_warn(seed):
    net = random_mlp([3, 5, 5, 1], seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[seed % 5] *= 1e-9
    net = Network([tropnet.Linear(W, b)] + list(net.layers[1:]), input_dim=3)
    exact = tropnet.count_linear_regions(net, kind="activation", exact=True)
    got, warned = _float_count(net, None)
    assert got == exact or warned


def test_a_sliver_inside_the_band_is_decided_exactly():
    # units x and x - 1e-10 in 3-D: a slab of width 1e-10, decided at the vertices' own scale
    # (coordinate by coordinate: the unit's terms near x = 0 are small); units x and x - 3e-14:
    # inside the float tolerance (1e-9 of the unit's terms, floored at 1e-4 of the cell's):
    # merged with a warning before the exact certificate, now decided there (3, no warning)
    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]], [[0.0, -1e-10], [0.0]])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation") == 3
    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]], [[0.0, -3e-14], [0.0]])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    assert _float_count(net, Box(-1, 1)) == (3, False)


def _lossy_sliver():
    # the same slab with a bias of -1/(3e13): a non-dyadic rational, so the float program is only
    # its float64 rounding and the certificate does not apply: merged, and said so
    from fractions import Fraction

    return Network.from_arrays([[[1, 0, 0], [1, 0, 0]], [[1, 1]]], [[0, -Fraction(1, 3 * 10**13)], [0]])


def test_a_sliver_of_a_network_float64_only_rounds_warns():
    net = _lossy_sliver()
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="exact=True"):
        assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation") == 2


def test_parallel_tasks_report_their_ambiguous_decisions():
    from tropnet.parallel import count_parallel

    with pytest.warns(tropnet.AmbiguousGeometryWarning):
        assert count_parallel(_lossy_sliver(), Box(-1, 1), kind="activation", parallel=None) == 2


@pytest.mark.parametrize("widths", [[2, 6, 6, 1], [3, 6, 6, 1]])
@pytest.mark.parametrize("dom", [Box(-1e300, 1e300), Box(-1e150, 1e150), Box(0, 1e-300)])
def test_extreme_boxes_are_refused_in_float_and_counted_exactly(widths, dom):
    # issue 18 item 8: 2-D huge/tiny boxes were refused as "empty or lower-dimensional", 3-D huge
    # boxes gave wrong counts; float mode cannot resolve them, exact mode can
    net = random_mlp(widths, seed=1)
    with pytest.raises(ValueError, match=r"float mode cannot resolve this domain: its coordinates reach"):
        tropnet.count_linear_regions(net, dom, kind="activation")
    if widths[0] == 2:
        expected = 1 if dom.exact_bounds(2)[0][0] == 0 else tropnet.count_linear_regions(net, kind="activation")
        assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == expected


def test_huge_weights_are_refused_in_float():
    net = random_mlp([3, 4, 1], seed=0)
    big = Network([tropnet.Linear(net.layers[0].float_weight * 1e300, net.layers[0].float_bias * 1e300)]
                  + list(net.layers[1:]), input_dim=3)
    with pytest.raises(ValueError, match="cannot resolve this network"):
        tropnet.count_linear_regions(big, Box(-1, 1), kind="activation")


def _ulp_sliver(widths, seed, ulps=1):
    """``random_mlp`` whose first-layer unit 1 is unit 0 with its bias ``ulps`` units of
    roundoff higher: a slab below float64 resolution (an exact count sees it)."""
    import numpy as np

    net = random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], b[0]
    for _ in range(ulps):
        b[1] = np.nextafter(b[1], np.inf)
    return Network([tropnet.Linear(W, b)] + list(net.layers[1:]), input_dim=net.input_dim)


@pytest.mark.parametrize("widths,dom", [([2, 6, 6, 1], Box(-1, 1)), ([2, 6, 6, 1], None),
                                        ([3, 5, 5, 1], Box(-1, 1)), ([3, 5, 5, 1], None)])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_sliver_below_rounding_noise_is_counted(widths, dom, seed):
    # two planes one unit of roundoff apart: the values of the second unit at the first's
    # vertices are float zeros or a few ulps, below rounding noise -- before the exact
    # certificate they were taken as ties and the sliver was merged without a word
    net = _ulp_sliver(widths, seed)
    exact = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
    assert exact > tropnet.count_linear_regions(_ulp_sliver(widths, seed, 0), dom, kind="activation", exact=True)
    assert _float_count(net, dom) == (exact, False)


def test_the_one_ulp_slab_itself():
    # x and x + 2^-53 in 3-D on a box: 3 activation regions (the slab between the planes)
    import numpy as np

    net = Network.from_arrays([[[1.0, 0, 0], [1.0, 0, 0]], [[1.0, 1.0]]],
                              [[0.5, np.nextafter(0.5, 1)], [0.0]])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 3
    assert _float_count(net, Box(-1, 1)) == (3, False)
    assert len(tropnet.linear_regions(net, Box(-1, 1), kind="activation")) == 3


def _exact_tie_nets():
    import numpy as np

    rng = np.random.default_rng(0)
    integer = Network.from_arrays([rng.integers(-3, 4, (6, 3)).astype(float), rng.integers(-3, 4, (6, 6)).astype(float),
                                   rng.integers(-3, 4, (1, 6)).astype(float)],
                                  [rng.integers(-3, 4, 6).astype(float), rng.integers(-3, 4, 6).astype(float),
                                   np.zeros(1)])
    dup = random_mlp([3, 6, 6, 1], seed=1)
    W, b = dup.layers[0].float_weight.copy(), dup.layers[0].float_bias.copy()
    W[1], b[1] = W[0], b[0]
    dup = Network([tropnet.Linear(W, b)] + list(dup.layers[1:]), input_dim=3)
    return [
        (tropnet.deepsets(4, (1, 3, 1), seed=1), Box(-1, 1)),
        (tropnet.deepsets(3, (1, 4, 1), seed=2), None),
        (integer, Box(-2, 2)),
        (integer.lowered(), None),
        (dup, Box(-1, 1)),
        (random_mlp([3, 6, 6, 1], seed=2), None),  # the t = 0 face of the homogenised cube
    ]


@pytest.mark.parametrize("case", range(6))
def test_exact_ties_below_noise_are_certified_not_warned(case):
    # symmetric, integer and duplicated weights meet ties below rounding noise at many vertices
    # (float zeros or a few ulps): each is certified an exact tie, so no warning, right count
    from tropnet.regions import resume

    net, dom = _exact_tie_nets()[case]
    met = []
    cls = resume.TieCertificate  # the class the engine uses
    signs = cls.signs

    def counting(self, *a, **k):
        out = signs(self, *a, **k)
        met.append(len(out))
        return out

    cls.signs = counting
    try:
        got, warned = _float_count(net, dom)
    finally:
        cls.signs = signs
    assert sum(met) > 0  # the case does reach the certificate
    assert (got, warned) == (tropnet.count_linear_regions(net, dom, kind="activation", exact=True), False)


def test_the_certificate_decides_ties_exactly():
    # the vertex (1, -1.5) of x0 + x1 + 1/2 = 0 on the face x0 = 1: unit 0 vanishes there,
    # unit 1 (bias 1/2 + 2^-53) does not; and x0 + x1 + 1/2 on the face x0 = 1 with x1 = -3/2
    import numpy as np

    from tropnet.regions.program import _Program, stages_from_network
    from tropnet.regions.ties import UNDETERMINED, TieCertificate

    net = Network.from_arrays([[[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]], [[1.0, 1.0, 1.0]]],
                              [[0.5, np.nextafter(0.5, 1), 1.0], [0.0]])
    st = stages_from_network(net)
    cert = TieCertificate(st, _Program(2, 0, st), 2, -np.ones(2), np.ones(2))
    T = np.array([[0, 4], [0, 5]], dtype=np.int32)  # (face x0 = hi, unit 0) and (face, unit 1)
    pat = np.zeros((2, 3), dtype=np.int8)
    assert cert.zero(T, pat, ("unit", 1, 0, 0.0)).tolist() == [True, False]
    assert cert.zero(T, pat, ("unit", 1, 2, 0.0)).tolist() == [True, False]
    assert cert.zero(T, pat, ("unit", 1, 1, 0.0)).tolist() == [False, True]
    assert cert.signs(T, pat, ("unit", 1, 1, 0.0)).tolist() == [1, 0]  # x0 + x1 + 1/2 + 2^-53 at (1, -3/2)
    # too few tight ids: no point, so not certified
    assert cert.signs(np.array([[0, 2147483647]], dtype=np.int32), pat[:1], ("unit", 1, 0, 0.0)).tolist() == [
        UNDETERMINED]


def test_ties_of_a_symmetric_network_on_a_large_box():
    # deepsets(4, (1, 3, 3, 1), seed=1) on Box(-1e6, 1e6): its exact ties at vertices of size ~1
    # come out of float64 as ~1e-9 (the rounding error of the long edges they were cut from, at
    # the box's scale), above the cell-scale tolerance: float mode split at them and said 719
    # (exact 701).  Decisions below the box's rounding noise are now certified.
    net = tropnet.deepsets(4, (1, 3, 3, 1), seed=1)
    assert tropnet.count_linear_regions(net, Box(-1e6, 1e6), kind="activation", exact=True) == 701
    assert _float_count(net, Box(-1e6, 1e6)) == (701, False)
