"""Exact runs of the H-representation engine (``refine_hrep(..., exact=True)``): every side
decided in rationals.  Checked against the exact vertex engine where both run (3-6-D boxes and
cross-polytopes, random, integer and zero-bias nets with exact ties), against known answers
(central arrangements: Zaslavsky's count) and hyperplanes that touch the domain exactly, and
against the float engine on generic nets above the vertex engine's dimensions."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

import tropnet
from tropnet import Box, CrossPolytope, Linear, Network, ReLU, random_mlp
from tropnet.regions import hrep
from tropnet.regions.affine import patterns_at
from tropnet.regions.hrep import refine_hrep
from tropnet.regions.hrep_exact import ExactRows
from tropnet.regions.program import stages_from_network
from tropnet.regions.refine import refine


def _net(layers, rng=None):
    """A ReLU network from ``[(W, b), ...]`` (the last layer linear)."""
    mods = []
    for i, (W, b) in enumerate(layers):
        mods.append(Linear(np.asarray(W), np.asarray(b)))
        if i < len(layers) - 1:
            mods.append(ReLU())
    return Network(mods)


def _integer_net(dims, seed, zero_bias=False, span=2):
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        W = rng.integers(-span, span + 1, size=(b, a))
        c = np.zeros(b, dtype=np.int64) if zero_bias else rng.integers(-span, span + 1, size=b)
        layers.append((W, c))
    return _net(layers)


def _patterns(cells):
    return sorted(p.tobytes() for p in cells.patterns)


def _box(d, r=1):
    lo = np.array([Fraction(-r)] * d, dtype=object)
    return lo, -lo


NETS = [(random_mlp([3, 6, 6, 1], seed=2), 3), (random_mlp([4, 8, 8, 1], seed=3), 4),
        (random_mlp([5, 8, 6, 1], seed=4), 5), (_integer_net([3, 6, 5, 1], 0), 3),
        (_integer_net([4, 6, 6, 1], 1), 4), (_integer_net([4, 7, 5, 1], 2, zero_bias=True), 4),
        (_integer_net([5, 6, 1], 3, zero_bias=True), 5), (_integer_net([6, 8, 1], 4, span=1), 6)]


@pytest.mark.parametrize("net,d", NETS)
def test_exact_hrep_equals_the_exact_vertex_engine_on_boxes(net, d):
    st = stages_from_network(net, exact=True)
    lo, hi = _box(d)
    mine = refine_hrep(st, d, lo, hi, exact=True)
    ref = refine(st, d, lo, hi, exact=True)
    assert _patterns(mine) == _patterns(ref)
    assert mine.ambiguous == 0
    # every point returned is inside its cell: its exact pattern there is the cell's
    X = np.array([[Fraction(v) for v in x] for x in mine.points], dtype=object)
    assert (patterns_at(st, X) == mine.patterns).all()


@pytest.mark.parametrize("net,d", NETS[:6])
def test_exact_hrep_equals_the_exact_vertex_engine_on_cross_polytopes(net, d):
    # the vertex engine on the ball's 2^d rows, this engine with the ball kept whole (lifted)
    st = stages_from_network(net, exact=True)
    c = np.array([Fraction(1, 8)] + [Fraction(0)] * (d - 1), dtype=object)
    r = Fraction(3, 2)
    A, b = CrossPolytope(c, r).halfspaces(d)
    A = np.array([[Fraction(v) for v in row] for row in A], dtype=object)
    b = np.array([Fraction(v) for v in b], dtype=object)
    ref = refine(st, d, c - r, c + r, halfspaces=(A, b), exact=True)
    mine = refine_hrep(st, d, c - r, c + r, l1=(c, r), exact=True)
    assert _patterns(mine) == _patterns(ref)


@pytest.mark.parametrize("d,dom", [(4, "box"), (5, "box"), (4, "cross"), (5, "cross")])
def test_the_public_route_above_a_lowered_cutoff_equals_the_vertex_engine(monkeypatch, d, dom):
    nets = [random_mlp([d, 8, 6, 1], seed=d), _integer_net([d, 6, 6, 1], d, zero_bias=True)]
    domain = Box(-1, 1) if dom == "box" else CrossPolytope(np.zeros(d), 1)
    monkeypatch.setattr(hrep, "CROSS_EXACT_COUNT_DIM", 7)  # the vertex engine on the ball's facets
    plan = tropnet.regions.plan.make_plan(nets[0], domain, want="count", kind="activation", exact=True)
    assert plan.engine == "vertex"
    ref = [tropnet.count_linear_regions(n, domain, kind="activation", exact=True) for n in nets]
    monkeypatch.setattr(hrep, "EXACT_COUNT_DIM", 2)
    monkeypatch.setattr(hrep, "CROSS_EXACT_COUNT_DIM", 2)
    plan = tropnet.regions.plan.make_plan(nets[0], domain, want="count", kind="activation", exact=True)
    assert plan.engine == "hrep"
    assert [tropnet.count_linear_regions(n, domain, kind="activation", exact=True) for n in nets] == ref


def _central(d, k, seed):
    """k generic hyperplanes through the origin (integer normals) and a zero output layer."""
    rng = np.random.default_rng(seed)
    W = rng.integers(-50, 51, size=(k, d))
    return _net([(W, np.zeros(k, dtype=np.int64)), (np.ones((1, k), dtype=np.int64), np.zeros(1, dtype=np.int64))])


@pytest.mark.parametrize("d,k,domain", [(8, 9, CrossPolytope(np.zeros(8), 1)), (9, 10, CrossPolytope(np.zeros(9), 2)),
                                        (17, 9, Box(-1, 1))])
def test_central_arrangements_have_zaslavskys_count(d, k, domain):
    # every region of a central arrangement meets a neighbourhood of the origin, so all of them
    # meet the domain: 2 sum_{i < d} C(k - 1, i) regions for k generic hyperplanes in R^d
    net = _central(d, k, d)
    want = 2 * sum(comb(k - 1, i) for i in range(d))
    assert tropnet.count_linear_regions(net, domain, kind="activation", exact=True) == want


def test_hyperplanes_touching_the_domain_exactly():
    # on the 8-D cross-polytope |x|_1 <= 1: sum x = 1 is a facet's plane, x1 + x2 = 1 touches an
    # edge, x1 = 1 a vertex: none cuts it; x1 = 0 and x2 = 0 cut it in four, and x1 = 1 - 2^-40
    # cuts a sliver off the two with x1 > 0 at the vertex e1: 6 cells
    d = 8
    e = np.eye(d, dtype=np.int64)
    W = np.vstack([np.ones(d, dtype=np.int64), e[0] + e[1], e[0], e[0], e[0], e[1]]).astype(object)
    b = np.array([-1, -1, -1, Fraction(-1) + Fraction(1, 2**40), 0, 0], dtype=object)
    W = np.array([[Fraction(int(v)) for v in row] for row in W], dtype=object)
    net = _net([(W, b), (np.array([[Fraction(1)] * 6], dtype=object), np.array([Fraction(0)], dtype=object))])
    cp = CrossPolytope(np.zeros(d), 1)
    assert tropnet.count_linear_regions(net, cp, kind="activation", exact=True) == 6
    # on the 17-D box [-1, 1]^17: sum x = 17 touches a corner, x1 = 1 is a facet's plane
    d = 17
    W = np.vstack([np.ones(d), np.eye(d)[0], np.eye(d)[0], np.eye(d)[1]])
    b = np.array([-17.0, -1.0, 0.0, -(1 - 2.0**-40)])
    net = _net([(W, b), (np.ones((1, 4)), np.zeros(1))])
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True) == 4


@pytest.mark.parametrize("dims,seed", [([17, 8, 1], 0), ([18, 6, 6, 1], 1), ([20, 8, 4, 1], 2)])
def test_exact_counts_above_16_d_equal_float_and_hold_every_sampled_pattern(dims, seed):
    net = random_mlp(dims, seed=seed)
    d = dims[0]
    n = tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=True)
    assert n == tropnet.count_linear_regions(net, Box(-1, 1), kind="activation")
    st = stages_from_network(net, exact=True)
    cells = refine_hrep(st, d, *_box(d), exact=True)
    assert len(cells) == n
    X = np.random.default_rng(0).uniform(-1, 1, size=(3000, d))
    sampled = {p.tobytes() for p in patterns_at(stages_from_network(net), X)}
    assert sampled <= set(_patterns(cells))


@pytest.mark.parametrize("dims,seed,d", [([8, 6, 1], 0, 8), ([10, 8, 1], 1, 10), ([12, 6, 6, 1], 2, 12)])
def test_exact_counts_on_cross_polytopes_above_7_d_equal_float(dims, seed, d):
    net = random_mlp(dims, seed=seed)
    cp = CrossPolytope(np.full(d, 0.05), 1.0)
    assert tropnet.count_linear_regions(net, cp, kind="activation", exact=True) == \
        tropnet.count_linear_regions(net, cp, kind="activation")


def test_exact_rows_witnesses_and_certificates():
    st = stages_from_network(random_mlp([3, 4, 1], seed=1), exact=True)
    ex = ExactRows(st, 3, [-1, -1, -1], [1, 1, 1])
    # x1 > 1/2 (as 2 x1 - 1 > 0): a witness strictly inside, one on its plane, one outside the box
    E = np.array([[2, 0, 0, -1]], dtype=object)
    assert ex.inside(E, np.array([[0.75, 0, 0], [0.5, 0, 0], [1.0, 0, 0]])).tolist() == [True, False, False]
    # on that cell, x1 - 1 <= 0: the multiplier 1/2 of 2 x1 - 1 proves nothing, the box does
    assert ex.empty_by_duals(E, np.array([1, 0, 0, -1], dtype=object), np.array([0.0]))
    assert not ex.empty_by_duals(E, np.array([1, 0, 0, -Fraction(1, 2)], dtype=object), np.array([0.0]))
    # x1 - 1/2 > 0 and x1 < 1/2: empty (the multiplier proves it), and an exact LP agrees
    row = np.array([-2, 0, 0, 1], dtype=object)
    assert ex.empty_by_duals(E, row, np.array([1.0]))
    assert ex.side_lp(E, row)[0] is False
    # a sliver: 1/2 < x1 < 1/2 + 2^-60 is not empty
    sliver = np.array([-2**61, 0, 0, 2**60 + 2], dtype=object)
    ok, x = ex.side_lp(E, sliver)
    assert ok
    # the cross-polytope |x|_1 < 1: strictly, exactly
    ball = ExactRows(st, 3, [-1, -1, -1], [1, 1, 1], l1=([0, 0, 0], 1))
    assert ball.in_domain(np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.2], [0, 0, 0]])).tolist() == [False, True, True]


def test_exact_runs_above_the_vertex_engine_refuse_region_sets_on_dask():
    from tropnet.regions.plan import make_plan

    net = random_mlp([17, 4, 4, 1], seed=0)
    with pytest.raises(ValueError, match="exact region sets on Dask.*at most 16 input dimensions.*got 17.*serially"):
        make_plan(net, None, exact=True, mode="parallel")  # a region set on R^n, on Dask
    with pytest.raises(ValueError, match="at most 16 input dimensions.*got 17"):
        make_plan(net, tropnet.Box(-1, 1), exact=True, kind="activation", mode="parallel")
    with pytest.raises(ValueError, match="exact linear counts on Dask on all of R.n"):
        make_plan(net, None, want="count", exact=True, mode="parallel")
    # (serial region sets run there: tests/regions/test_hrep_exact_regions.py, test_exact_rn.py)
    # the resumable vertex engine itself names where such runs go
    from tropnet.regions.resume import refine_start

    with pytest.raises(ValueError, match="got 17; above that the H-representation engine runs.*exact runs"):
        refine_start(stages_from_network(net, exact=True), 17, *_box(17), exact=True)
    with pytest.raises(ValueError, match="max-pooling or maxout"):
        refine_hrep([type(st)("group", groups=np.array([[0, 1]]), idx=np.zeros(0, dtype=np.int64))
                     for st in stages_from_network(random_mlp([3, 2, 1]))][:1], 3, *_box(3), exact=True)


def test_exact_counts_above_16_d_on_r_n_a_polyhedron_and_in_parallel():
    from tropnet import Polyhedron
    from tropnet.regions.api import run_plan
    from tropnet.regions.plan import make_plan

    # k <= d generic hyperplanes: all 2^k sign patterns are cells of R^d
    net = random_mlp([17, 4, 1], seed=0)
    assert tropnet.count_linear_regions(net, None, kind="activation", exact=True) == 16
    # the simplex x_i >= -1, sum x <= 1 in 17-D (a bounded polyhedron: its rows clip the cells)
    d = 17
    simplex = Polyhedron(np.vstack([-np.eye(d), np.ones((1, d))]), np.r_[np.ones(d), 1.0])
    net = random_mlp([17, 6, 4, 1], seed=0)
    assert tropnet.count_linear_regions(net, simplex, kind="activation", exact=True) == \
        tropnet.count_linear_regions(net, simplex, kind="activation")
    # the Dask driver's tasks (here in this process) on a cross-polytope kept whole
    net = random_mlp([10, 8, 6, 1], seed=0)
    cp = CrossPolytope(np.full(10, 0.05), 1.0)
    serial = tropnet.count_linear_regions(net, cp, kind="activation", exact=True)
    plan = make_plan(net, cp, want="count", kind="activation", exact=True, mode="parallel")
    assert run_plan(plan) == serial == tropnet.count_linear_regions(net, cp, kind="activation")


def test_exact_activation_counts_take_this_engine_from_8_inputs():
    from tropnet.regions.plan import make_plan

    net = random_mlp([8, 6, 1], seed=0)
    plan = make_plan(net, Box(-1, 1), want="count", kind="activation", exact=True)
    assert plan.engine == "hrep"
    assert make_plan(net, Box(-1, 1), want="count", kind="activation", exact=True, engine="refine").engine == "vertex"
    assert make_plan(net, Box(-1, 1), want="count", exact=True).engine == "hrep"  # linear: exact facets
    assert make_plan(net, None, want="count", exact=True).engine == "hrep"  # (on R^n too)
    assert make_plan(random_mlp([7, 6, 1]), Box(-1, 1), want="count", kind="activation", exact=True).engine == "vertex"
    assert plan.run() == make_plan(net, Box(-1, 1), want="count", kind="activation", exact=True,
                                   engine="refine").run()


@pytest.mark.parametrize("trial", range(6))
def test_non_dyadic_weights_leaky_and_threshold_units_equal_the_vertex_engine(trial):
    # weights in thirds and sevenths (float64 cannot hold them), rows duplicated at twice their
    # scale (exact ties), ReLU / LeakyReLU(1/3) / Threshold(1/3) first layers
    from tropnet import LeakyReLU
    from tropnet.networks.layers import Threshold

    rng = np.random.default_rng(trial)
    d = 3 + trial % 3
    W1 = rng.integers(-3, 4, size=(6, d))
    b1 = rng.integers(-2, 3, size=6)
    W1, b1 = np.vstack([W1, 2 * W1[:2]]), np.r_[b1, 2 * b1[:2]]
    W2, b2 = rng.integers(-2, 3, size=(5, 8)), rng.integers(-1, 2, size=5)

    def q(a, den):
        return np.array([Fraction(int(v), den) for v in np.ravel(a)], dtype=object).reshape(np.shape(a))

    act = [ReLU(), LeakyReLU(Fraction(1, 3)), Threshold(Fraction(1, 3))][trial % 3]
    net = Network([Linear(q(W1, 3), q(b1, 3)), act, Linear(q(W2, 3), q(b2, 7)), ReLU(),
                   Linear(np.ones((1, 5), dtype=np.int64), np.zeros(1, dtype=np.int64))])
    st = stages_from_network(net, exact=True)
    lo, hi = _box(d)
    assert _patterns(refine_hrep(st, d, lo, hi, exact=True)) == _patterns(refine(st, d, lo, hi, exact=True))
