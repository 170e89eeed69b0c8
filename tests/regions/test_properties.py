"""Property tests: float == exact on degenerate integer networks, sampling never exceeds
the exact count, linear <= activation."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import Box, Network

small_ints = st.integers(min_value=-2, max_value=2)


@st.composite
def integer_nets(draw, d=2):
    h1 = draw(st.integers(1, 4))
    h2 = draw(st.integers(1, 3))
    W1 = draw(st.lists(st.lists(small_ints, min_size=d, max_size=d), min_size=h1, max_size=h1))
    b1 = draw(st.lists(small_ints, min_size=h1, max_size=h1))
    W2 = draw(st.lists(st.lists(small_ints, min_size=h1, max_size=h1), min_size=h2, max_size=h2))
    b2 = draw(st.lists(small_ints, min_size=h2, max_size=h2))
    W3 = [draw(st.lists(st.integers(-2, 2), min_size=h2, max_size=h2))]
    return Network.from_arrays([W1, W2, W3], [b1, b2, [0]])


def sampled_patterns(net, lo, hi, n=20000, seed=0, exact=False):
    """Patterns at random points (dyadic, so exact arithmetic can evaluate them)."""
    from fractions import Fraction

    from tropnet.regions.affine import patterns_at
    from tropnet.regions.program import stages_from_network

    X = np.random.default_rng(seed).uniform(lo, hi, size=(n, net.input_dim))
    if exact:
        X = np.vectorize(Fraction, otypes=[object])(X)
    return {tuple(p) for p in patterns_at(stages_from_network(net, exact=exact), X).tolist()}


@settings(max_examples=20, deadline=None)
@given(integer_nets())
def test_float_equals_exact_on_degenerate_integer_nets(net):
    box = Box(-3, 3)
    f = tropnet.linear_regions(net.to_float(), box)
    e = tropnet.linear_regions(net, box, exact=True)
    assert sorted(map(tuple, f.patterns.tolist())) == sorted(map(tuple, e.patterns.tolist()))
    # every sampled pattern (exact arithmetic; almost surely interior) is an enumerated cell
    assert sampled_patterns(net, -3, 3, n=300, exact=True) <= set(map(tuple, e.patterns.tolist()))
    assert len(f) == len(e) <= e.num_cells


@settings(max_examples=15, deadline=None)
@given(integer_nets())
def test_rd_counts_float_equals_exact(net):
    assert tropnet.count_linear_regions(net.to_float(), kind="activation") == tropnet.count_linear_regions(
        net, kind="activation", exact=True
    )


@settings(max_examples=10, deadline=None)
@given(integer_nets(d=3))
def test_float_equals_exact_3d(net):
    box = Box(-2, 2)
    f = tropnet.count_linear_regions(net.to_float(), box, kind="activation")
    e = tropnet.count_linear_regions(net, box, kind="activation", exact=True)
    assert f == e


def test_sampling_never_exceeds_the_count():
    net = tropnet.random_mlp([2, 8, 8, 1], seed=0)
    assert len(sampled_patterns(net, -10, 10)) <= tropnet.count_linear_regions(
        net, Box(-10, 10), kind="activation"
    )


@st.composite
def integer_polynomials(draw):
    from tropnet.algebra.polynomial import TropicalPolynomial

    m = draw(st.integers(1, 7))
    E = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=m, max_size=m))
    c = draw(st.lists(st.integers(-3, 3), min_size=m, max_size=m))
    return TropicalPolynomial([list(e) for e in E], c)


@settings(max_examples=20, deadline=None)
@given(integer_polynomials())
def test_polynomial_regions_match_upper_hull(p):
    n = p.num_linear_regions()
    assert tropnet.count_linear_regions(p, exact=True) == n
    assert tropnet.count_linear_regions(p, kind="activation", exact=True) == n


@settings(max_examples=15, deadline=None)
@given(integer_polynomials(), integer_polynomials())
def test_rational_linear_regions_float_equals_exact(p, q):
    r = p / q
    e = tropnet.count_linear_regions(r, exact=True)
    assert e <= tropnet.count_linear_regions(r, kind="activation", exact=True)
    from tropnet.algebra.polynomial import TropicalPolynomial
    from tropnet.algebra.rational import TropicalRational

    def to_float(poly):
        return TropicalPolynomial(poly.exponents.astype(float), poly.coefficients.astype(float))

    rf = TropicalRational(to_float(p), to_float(q))
    assert not rf.is_exact
    assert tropnet.count_linear_regions(rf) == e


@settings(max_examples=20, deadline=None)
@given(integer_nets(), st.sampled_from([None, (-3, 3)]))
def test_certified_count_equals_rational_pass(net, box):
    # exact activation counts go through the certified float pass (cells with close calls are
    # handed to the rational pass); exact regions always come from the rational pass
    dom = None if box is None else Box(*box)
    certified = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
    rational = tropnet.linear_regions(net, dom, kind="activation", exact=True)
    assert certified == len(rational)
