"""Full-dimensional neighbourhoods of a point: ``Box.around`` and ``CrossPolytope`` (the 1-norm
ball, kept whole by the H-representation engine above 12 inputs), with the stable units removed
first; counts checked against the vertex engine on the ``2^n`` facets, against an independent
count of the flats of a one-layer arrangement that meet the open domain, and against the same
network with its extra inputs unused."""

import warnings

import numpy as np
import pytest
from testnets import flats_meeting

import tropnet
from tropnet import Box, CrossPolytope, Network, random_mlp
from tropnet.regions.hrep import refine_hrep
from tropnet.regions.plan import make_plan
from tropnet.regions.program import stages_from_network
from tropnet.regions.refine import refine


@pytest.mark.parametrize("seed", range(6))
def test_hrep_equals_the_vertex_engine_on_small_boxes_and_cross_polytopes(seed):
    d = 3 + seed % 4
    st = stages_from_network(random_mlp([d, 8, 8, 1], seed=seed))
    x = np.random.default_rng(seed).normal(size=d)
    r = 0.5 + 0.1 * seed
    assert len(refine_hrep(st, d, x - r, x + r)) == len(refine(st, d, x - r, x + r))
    A, b = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(x, r).halfspaces(d))
    ref = len(refine(st, d, x - 2 * r - 1, x + 2 * r + 1, halfspaces=(A, b)))
    assert len(refine_hrep(st, d, x - r, x + r, l1=(x, r))) == ref
    # the witnesses alone never decide: with no random samples the count is the same
    assert len(refine_hrep(st, d, x - r, x + r, l1=(x, r), samples=0, witnesses=1)) == ref


@pytest.mark.parametrize("seed", range(3))
def test_hrep_equals_the_vertex_engine_with_maxout_and_leaky_units(seed):
    # a GroupMax stage met by many cells (the maps must follow the cells group after group)
    rng = np.random.default_rng(seed)
    d = 3 + seed
    net = Network([tropnet.Linear(rng.normal(size=(8, d)), rng.normal(size=8) * 0.3), tropnet.Maxout(2),
                   tropnet.Linear(rng.normal(size=(6, 4)), rng.normal(size=6) * 0.3), tropnet.LeakyReLU(0.1),
                   tropnet.Linear(rng.normal(size=(1, 6)), np.zeros(1))], input_dim=d)
    st = stages_from_network(net)
    x, r = rng.normal(size=d) * 0.2, 1.0
    A, b = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(x, r).halfspaces(d))
    assert len(refine_hrep(st, d, x - r, x + r, l1=(x, r))) == len(refine(st, d, x - 3, x + 3, halfspaces=(A, b)))
    assert len(refine_hrep(st, d, x - r, x + r)) == len(refine(st, d, x - r, x + r))


@pytest.mark.parametrize("seed", range(3))
def test_one_layer_counts_equal_the_flats_meeting_the_neighbourhood(seed):
    net = random_mlp([16, 7, 1], seed=seed)
    W, b = net.layers[0].float_weight, net.layers[0].float_bias
    c = np.random.default_rng(seed).normal(size=16) * 0.3
    cross = tropnet.count_linear_regions(net, CrossPolytope(c, 0.8), kind="activation")
    box = tropnet.count_linear_regions(net, Box.around(c, 0.3), kind="activation")
    assert cross == flats_meeting(W, b, c, 0.8, "cross")
    assert box == flats_meeting(W, b, c, 0.3, "box")


def test_unused_inputs_do_not_change_the_count():
    # a 14-input network reading only its first 4 inputs: on the 14-D cross-polytope (projected:
    # the 4-D one) it has the 4-input network's count, from the vertex engine on 2^4 facets,
    # float and exact
    small = random_mlp([4, 8, 6, 1], seed=5)
    Ws = [lin.float_weight for lin in small.layers if isinstance(lin, tropnet.Linear)]
    bs = [lin.float_bias for lin in small.layers if isinstance(lin, tropnet.Linear)]
    big = Network.from_arrays([np.hstack([Ws[0], np.zeros((8, 10))])] + Ws[1:], bs)
    c = np.array([0.25, -0.5, 0.125, 0.0])
    ref = tropnet.count_linear_regions(small, CrossPolytope(c, 1.5), kind="activation")
    assert ref == tropnet.count_linear_regions(small, CrossPolytope(c, 1.5), kind="activation", exact=True)
    assert ref > 10
    got = tropnet.count_linear_regions(big, CrossPolytope(np.r_[c, np.linspace(-1, 1, 10)], 1.5),
                                       kind="activation")
    assert got == ref
    lo, hi = Box.around(c, 0.75).bounds(4)
    boxed = tropnet.count_linear_regions(small, Box(lo, hi), kind="activation")
    assert tropnet.count_linear_regions(big, Box.around(np.r_[c, np.zeros(10)], 0.75), kind="activation") == boxed


def test_stable_units_are_reported():
    net = random_mlp([20, 32, 32, 1], seed=0)
    x = np.random.default_rng(0).normal(size=20)
    plan = make_plan(net, CrossPolytope(x, 0.2), want="count", kind="activation")
    n = plan.run()
    assert 0 < plan.stable.num_stable < plan.stable.num_units == 64
    assert n == tropnet.count_linear_regions(net, CrossPolytope(x, 0.2), kind="activation")


def test_local_complexity_with_k_equal_to_the_input_dimension():
    net = random_mlp([20, 16, 16, 1], seed=0)
    X = np.random.default_rng(0).normal(size=(2, 20))
    lc = tropnet.local_complexity(net, X, 0.3, k=20)
    s = tropnet.regions.local.local_slices(X, 0.3, k=20)[1]
    assert isinstance(s.domain, CrossPolytope)
    sub = tropnet.networks.embed.slice_network(net, s)
    assert lc[1] == tropnet.count_linear_regions(sub, s.domain, kind="activation")


def test_around_and_cross_polytope_values_and_bad_input():
    assert repr(Box.around([1, 2], 0.5)) == "Box([0.5, 1.5], [1.5, 2.5])"
    assert Box.around([1, 2], 1).exact
    cp = CrossPolytope([0, 0, 0], 2)
    A, b = cp.halfspaces(3)
    assert A.shape == (8, 3) and set(b.tolist()) == {2}
    assert cp.bounds(3)[1].tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="radius must be > 0"):
        Box.around([0, 0], 0)
    with pytest.raises(ValueError, match="radius must be > 0"):
        CrossPolytope([0, 0], -1)
    with pytest.raises(ValueError, match="2\\^20 facets"):
        CrossPolytope(np.zeros(20), 1).halfspaces(20)
    with pytest.raises(ValueError, match="dimension 3, but the object has 2 inputs"):
        tropnet.count_linear_regions(random_mlp([2, 3, 1]), cp, kind="activation")
    # region sets on a 20-D cross-polytope keep it whole (the cells list their unit facets)
    small, cp20 = random_mlp([20, 3, 1]), CrossPolytope(np.zeros(20), 1)
    assert len(tropnet.linear_regions(small, cp20)) == tropnet.count_linear_regions(small, cp20)


@pytest.mark.parametrize("seed", range(3))
def test_linear_counts_on_a_lifted_cross_polytope_equal_those_on_its_facets(seed):
    # from 5 inputs a float count keeps the cross-polytope whole (H-representation cells, their
    # neighbours shown by points or lifted LPs); merging networks against the vertex engine on
    # the 2^5 facets and the exact count; the facets listed as a Polyhedron are taken for the
    # cross-polytope too (the same count)
    from testnets import listed_rows, merging_net

    net = merging_net(seed, 8, 5, scale=2)  # its merging units survive the count's pruning
    cp = CrossPolytope(np.full(5, 0.3), 2.0)
    assert make_plan(net, cp, want="count", kind="linear").engine == "hrep"
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)  # no sliver among lifted cells
        got = tropnet.count_linear_regions(net, cp)
    assert got < tropnet.count_linear_regions(net, cp, kind="activation")  # cells really merge
    with warnings.catch_warnings():  # the vertex engine meets slivers at the facets' corners: it warns
        warnings.simplefilter("ignore", tropnet.AmbiguousGeometryWarning)
        assert make_plan(net, listed_rows(*cp.halfspaces(5)), want="count").engine == "vertex"
        ref = tropnet.count_linear_regions(net, listed_rows(*cp.halfspaces(5)))
    assert got == ref == tropnet.count_linear_regions(net, cp, exact=True)
    assert make_plan(net, tropnet.Polyhedron(*cp.halfspaces(5)), want="count").engine == "hrep"
    assert tropnet.count_linear_regions(net, tropnet.Polyhedron(*cp.halfspaces(5))) == got


def test_linear_counts_on_a_20_dimensional_cross_polytope_known_answer():
    # one hidden layer: a unit read with weight 0, and a unit doubled (2 h) and read with -1/2
    # the weights, add no breakline, so the linear regions are the cells of the other units'
    # hyperplanes (the activation cells of the network without them); every other unit bends.
    # The count drops the unread unit; the doubled one it keeps, and merges across it.
    rng = np.random.default_rng(3)
    d, w = 20, 7
    W1, b1 = rng.normal(size=(w, d)), rng.normal(size=w) * 0.1
    W1[5], b1[5] = 2 * W1[4], 2 * b1[4]
    out = rng.choice([-1.0, 1.0], size=w) * rng.uniform(0.5, 2, size=w)
    out[3], out[5] = 0.0, -out[4] / 2
    net = Network.from_arrays([W1, out[None, :]], [b1, np.zeros(1)])
    keep = [0, 1, 2, 6]
    reduced = Network.from_arrays([W1[keep], out[None, keep]], [b1[keep], np.zeros(1)])
    cp = CrossPolytope(rng.normal(size=d) * 0.05, 1.0)
    cells = tropnet.count_linear_regions(net, cp, kind="activation")
    expect = tropnet.count_linear_regions(reduced, cp, kind="activation")
    assert cells > expect
    assert tropnet.count_linear_regions(net, cp) == expect


def test_exact_counts_on_a_high_dimensional_cross_polytope_run_exactly():
    # above 7 dimensions exact activation counts take the H-representation engine with exact
    # decisions (the ball kept whole), and so do linear counts (the facets between cells of one
    # map decided exactly), and region sets (every facet of every cell decided exactly)
    net = random_mlp([20, 8, 1], seed=0)
    cp = CrossPolytope(np.zeros(20), 0.5)
    assert tropnet.count_linear_regions(net, cp, exact=True, kind="activation") == 51
    assert tropnet.count_linear_regions(net, cp, kind="activation") == 51
    assert tropnet.local_complexity(net, np.zeros((1, 20)), 0.5, k=20, exact=True).tolist() == [51]
    assert tropnet.count_linear_regions(net, cp, exact=True) == tropnet.count_linear_regions(net, cp)
    rs = tropnet.linear_regions(net, cp, exact=True, kind="activation")
    assert len(rs) == 51 and rs.ball is not None
    # at 6 dimensions the exact count equals the float one; the exact linear count there takes the
    # vertex engine on the 64 facets and equals the float one too

    small = random_mlp([6, 6, 1], seed=1)
    c = CrossPolytope(np.zeros(6), 1)
    assert tropnet.count_linear_regions(small, c, exact=True, kind="activation") == \
        tropnet.count_linear_regions(small, c, kind="activation")
    assert tropnet.count_linear_regions(small, c, exact=True) == tropnet.count_linear_regions(small, c)


def test_cli_full_dimensional_neighbourhood(tmp_path, capsys):
    import json

    from tropnet.cli import main, network_to_spec

    net = random_mlp([20, 16, 16, 1], seed=0)
    model = tmp_path / "m.json"
    model.write_text(json.dumps(network_to_spec(net)))
    x = np.random.default_rng(0).normal(size=20)
    np.save(tmp_path / "x.npy", x)
    args = ["regions", str(model), "--around", str(tmp_path / "x.npy"), "--radius", "0.3", "--k", "20"]
    assert main(args + ["--kind", "activation", "--count-only"]) == 0
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, CrossPolytope(x, 0.3), kind="activation")
    assert main([("0.03" if a == "0.3" else a) for a in args] + ["--shape", "box", "--count-only"]) == 0
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, Box.around(x, 0.03))
    assert main(args + ["--count-only"]) == 0  # linear regions on the 20-D cross-polytope, kept whole
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, CrossPolytope(x, 0.3))
    assert main(args + ["--json", str(tmp_path / "r.json")]) == 0  # the regions, the ball kept whole
    first = capsys.readouterr().out.splitlines()[0]
    assert int(first.split()[0]) == tropnet.count_linear_regions(net, CrossPolytope(x, 0.3))
    record = json.loads((tmp_path / "r.json").read_text())["regions"][0]
    assert record["ball"]["radius"] == 0.3 and np.allclose(record["ball"]["centre"], x)


def test_compiled_lp_equals_highs_and_its_bounds_hold():
    # the dual simplex of jit_lp against HiGHS on random box and lifted cross-polytope LPs
    # (some infeasible): the same optimum, a feasible point, and a weak-duality bound that is
    # an upper bound and (at the optimum) tight
    pytest.importorskip("numba")
    from tropnet.kernels.lp import solve_lp
    from tropnet.regions.jit_lp import dual_bound, maximise

    rng = np.random.default_rng(0)
    statuses = set()
    for trial in range(300):
        d, m = int(rng.integers(2, 40)), int(rng.integers(0, 25))
        A = rng.normal(size=(m, d))
        A /= np.linalg.norm(A, axis=1)[:, None]
        x0 = rng.uniform(-1, 1, d)
        b = A @ x0 + rng.normal(size=m) * 0.3
        if trial % 3 == 0:
            M = np.vstack([np.hstack([A, -A]), np.ones((1, 2 * d))])
            rhs, u = np.r_[b - A @ x0, 0.7], rng.normal(size=d)
            cz, lo, hi = np.r_[u, -u], np.zeros(2 * d), np.full(2 * d, 0.7)
        else:
            M, rhs, cz, lo, hi = A, b, rng.normal(size=d), -2 * np.ones(d), 2 * np.ones(d)
        st, z, lam = maximise(M, rhs, cz, lo, hi)
        sh, zh = solve_lp(-cz, M, rhs, lo, hi)
        statuses.add(st)
        assert st in (0, 1)
        assert (st == 0) == (sh == "optimal")
        if st == 0:
            v = cz @ z
            assert np.all(z >= lo) and np.all(z <= hi) and np.all(M @ z <= rhs + 1e-9)
            assert abs(v - cz @ zh) <= 1e-7 * (1 + abs(v))
            assert v - 1e-9 <= dual_bound(M, rhs, cz, lo, hi, lam) <= v + 1e-7 * (1 + abs(v))
    assert statuses == {0, 1}


@pytest.mark.parametrize("seed", range(3))
def test_hrep_counts_are_the_same_with_the_compiled_lp_and_with_highs(seed, monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(tropnet.regions.hrep, "JIT_LP_AFTER", 0)
    d = 14 + seed
    st = stages_from_network(random_mlp([d, 8, 6, 1], seed=seed))
    x = np.random.default_rng(seed).normal(size=d) * 0.3

    def counts():
        return [len(refine_hrep(st, d, x - 0.3, x + 0.3)), len(refine_hrep(st, d, x - 1.5, x + 1.5, l1=(x, 1.5)))]

    got = counts()
    monkeypatch.setenv("TROPNET_NO_JIT_LP", "1")
    assert got == counts()
    assert min(got) > 20


@pytest.mark.parametrize("d", [8, 10])
def test_float_cross_polytopes_above_7_inputs_are_kept_whole(d):
    # from 8 inputs on, a float count keeps the cross-polytope lifted in the LPs (through its
    # 2^d facets the vertex engine took 64 s for an [8, 6, 1] network): the count equals the
    # flats of a one-layer arrangement that meet it, and so does the linear count (every unit is
    # read with a nonzero weight: each hyperplane bends the function), and the region set
    net = random_mlp([d, 7, 1], seed=d)
    W, b = net.layers[0].float_weight, net.layers[0].float_bias
    c = np.random.default_rng(d).normal(size=d) * 0.3
    plan = make_plan(net, CrossPolytope(c, 0.9), want="count", kind="activation")
    assert plan.engine == "hrep"
    n = plan.run()
    assert n == flats_meeting(W, b, c, 0.9, "cross") > 10
    assert tropnet.count_linear_regions(net, CrossPolytope(c, 0.9), kind="activation") == n
    assert np.all(net.layers[-1].float_weight != 0)
    assert tropnet.count_linear_regions(net, CrossPolytope(c, 0.9)) == n
    assert len(tropnet.linear_regions(net, CrossPolytope(c, 0.9))) == n


def test_degenerate_adjacency_in_blocks_gives_the_same_cells(monkeypatch):
    """A 6-D cross-polytope's vertices lie on 32 facets each: the vertex engine's combinatorial
    adjacency test runs there, in blocks of pairs (it once built one (P, N, V, K) array: 5 GB for
    28 cells).  One pair per block gives the same cells as the default blocks."""
    from tropnet.regions import vertex

    d = 6
    st = stages_from_network(random_mlp([d, 8, 8, 1], seed=3))
    x = np.random.default_rng(3).normal(size=d)
    A, b = (np.asarray(v, dtype=np.float64) for v in CrossPolytope(x, 0.8).halfspaces(d))
    ref = refine(st, d, x - 3, x + 3, halfspaces=(A, b))
    monkeypatch.setattr(vertex, "DEGENERATE_BLOCK", 1)
    got = refine(st, d, x - 3, x + 3, halfspaces=(A, b))
    assert len(got) == len(ref) == len(refine_hrep(st, d, x - 0.8, x + 0.8, l1=(x, 0.8)))
    assert sorted(map(tuple, got.patterns.tolist())) == sorted(map(tuple, ref.patterns.tolist()))


@pytest.mark.parametrize("d", [5, 6])
def test_float_counts_on_cross_polytopes_keep_them_whole_from_5_d(d):
    """From 5 inputs a float count (activation or linear) keeps the cross-polytope whole (the
    lifted H-representation engine), equal to the vertex engine on its 2^d facets; the region set
    still takes the vertex engine (it needs the facets); exact counts, activation and linear, keep
    it whole too (every decision exact)."""
    net = random_mlp([d, 8, 8, 1], seed=3)
    x = np.random.default_rng(3).normal(size=d)
    dom = CrossPolytope(x, 0.8)
    assert make_plan(net, dom, want="count", kind="activation").engine == "hrep"
    assert make_plan(net, dom, want="count").engine == "hrep"
    assert make_plan(net, dom).engine == "vertex"
    assert make_plan(net, dom, want="count", kind="activation", exact=True).engine == "hrep"
    assert make_plan(net, dom, want="count", exact=True).engine == "hrep"
    st = stages_from_network(net)
    A, b = (np.asarray(v, dtype=np.float64) for v in dom.halfspaces(d))
    ref = len(refine(st, d, x - 3, x + 3, halfspaces=(A, b)))
    assert tropnet.count_linear_regions(net, dom, kind="activation") == ref
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True) == ref


def test_linear_local_complexity_keeps_the_cross_polytope_whole():
    # AffineSlice.around lists a k <= 12 cross-polytope's 2^k rows; a linear count on it (through
    # local_complexity or called directly) keeps the ball whole from k = 5, equal to the vertex
    # engine on the listed rows, on a network whose cells merge
    from testnets import listed_rows, merging_net

    from tropnet import AffineSlice

    net = merging_net(1, 8, 8, scale=2)
    X = np.random.default_rng(5).normal(size=(3, 8)) * 0.5
    got = tropnet.local_complexity(net, X, 1.5, k=6, kind="linear")
    slices = [AffineSlice.around(x, 1.5, k=6, seed=[0, i]) for i, x in enumerate(X)]
    assert make_plan(net, slices[0], want="count").engine == "hrep"
    direct = [tropnet.count_linear_regions(net, s, progress=False) for s in slices]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tropnet.AmbiguousGeometryWarning)
        listed = [AffineSlice(s.origin, s.basis, listed_rows(s.domain.A, s.domain.b)) for s in slices]
        assert make_plan(net, listed[0], want="count").engine == "vertex"
        ref = [tropnet.count_linear_regions(net, s, progress=False) for s in listed]
    assert got.tolist() == direct == ref
    assert (got < tropnet.local_complexity(net, X, 1.5, k=6)).any()  # cells really merge


@pytest.mark.parametrize("k", [3, 4])
@pytest.mark.parametrize("widths,radius", [([8, 16, 16, 1], 0.3), ([6, 12, 12, 2], 0.5)])
def test_local_complexity_at_3_and_4_d_lists_the_facets_of_busy_neighbourhoods(k, widths, radius, monkeypatch):
    # up to 4-D a point whose neighbourhood at least 2k - 1 units cut runs the vertex engine on
    # the cross-polytope's 2^k listed facets (as a count there), one with fewer the ball kept
    # whole: both routes met, every count equal to the plan's count on the slice and to the
    # ball kept whole for every point
    from tropnet.networks.embed import slice_network
    from tropnet.regions import hrep, local
    from tropnet.regions.local import local_slices

    net = random_mlp(widths, seed=2)
    X = np.random.default_rng(4).normal(size=(12, widths[0]))
    routes = []
    inner_ball, inner_one = local._count_ball, local._count_one
    monkeypatch.setattr(local, "_count_ball", lambda *a: routes.append("ball") or inner_ball(*a))
    monkeypatch.setattr(local, "_count_one", lambda *a: routes.append("listed") or inner_one(*a))
    got = tropnet.local_complexity(net, X, radius, k=k)
    assert {"ball", "listed"} <= set(routes)
    want = [tropnet.count_linear_regions(slice_network(net, s), s.domain, kind="activation", progress=False)
            for s in local_slices(X, radius, k=k)]
    assert got.tolist() == want
    monkeypatch.setattr(hrep, "CROSS_HREP_COUNT_DIM", 2)  # every point: the ball kept whole
    assert tropnet.local_complexity(net, X, radius, k=k).tolist() == want
