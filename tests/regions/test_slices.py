"""Slice domains: segments (the 1-D path), planes, affine slices, region_at."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import AffineSlice, Box, Network, Plane, Segment
from tropnet.networks.embed import compose_affine


def _independent_breakpoints(net: Network, a, b) -> list[Fraction]:
    """Exact breakpoints of a ReLU MLP on the segment [a, b], from nothing but the network's
    exact forward pass: layer by layer, on each interval between the breakpoints found so far
    the layer's pre-activations are affine in t, so two exact evaluations give each unit's root.
    """
    a = np.array([Fraction(v) for v in a], dtype=object)
    d = np.array([Fraction(v) for v in b], dtype=object) - a
    linears = [layer for layer in net.layers if isinstance(layer, tropnet.Linear)]
    breaks = [Fraction(0), Fraction(1)]

    def pre(t, depth):  # pre-activations of hidden layer `depth` at a + t d
        z = a + t * d
        for i, lin in enumerate(linears[: depth + 1]):
            z = np.array(lin.weight, dtype=object).dot(z) + np.array(lin.bias, dtype=object)
            if i < depth:
                z = np.array([v if v > 0 else Fraction(0) for v in z], dtype=object)
        return z

    for depth in range(len(linears) - 1):
        new = set(breaks)
        for lo, hi in zip(breaks[:-1], breaks[1:]):
            t1, t2 = lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3
            v1, v2 = pre(t1, depth), pre(t2, depth)
            for y1, y2 in zip(v1, v2):
                if y1 == y2:
                    continue
                root = t1 - y1 * (t2 - t1) / (y2 - y1)
                if lo < root < hi:
                    new.add(root)
        breaks = sorted(new)
    return breaks[1:-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segment_breakpoints_match_an_independent_exact_computation(seed):
    rng = np.random.default_rng(seed)
    net = tropnet.random_mlp([4, 6, 5, 2], seed=seed).to_exact()
    a, b = rng.normal(size=4) * 3, rng.normal(size=4) * 3
    rs = tropnet.linear_regions(net, Segment(a, b), kind="activation", exact=True)
    expected = _independent_breakpoints(net, a, b)
    assert list(rs.breakpoints) == expected
    assert all(isinstance(t, Fraction) for t in rs.breakpoints)
    assert len(rs) == len(expected) + 1


@pytest.mark.parametrize("seed", [3, 4])
def test_segment_counts_equal_the_nd_engine_on_the_composed_network(seed):
    rng = np.random.default_rng(seed)
    net = tropnet.random_mlp([5, 8, 8, 1], seed=seed)
    a, b = rng.normal(size=5) * 4, rng.normal(size=5) * 4
    seg = Segment(a, b)
    sub = compose_affine(net, a, [b - a])
    for kind in ("activation", "linear"):
        for exact in (False, True):
            want = tropnet.count_linear_regions(sub, Box(0.0, 1.0), kind=kind, exact=exact)
            assert tropnet.count_linear_regions(net, seg, kind=kind, exact=exact) == want


def test_segment_fast_path_equals_the_planned_line_engine():
    # the default call feeds the segment to the network's program (no composition, no plan);
    # a limit forces the planned path through the composed network: same cells, maps, breakpoints
    rng = np.random.default_rng(7)
    nets = [tropnet.random_mlp([6, 9, 7, 2], seed=7),
            Network([tropnet.Linear(rng.normal(size=(5, 6)), rng.normal(size=5)), tropnet.Threshold(0.25),
                     tropnet.Linear(rng.normal(size=(4, 5))), tropnet.LeakyReLU(0.125),
                     tropnet.Linear(rng.normal(size=(1, 4)))])]
    a, b = rng.normal(size=6) * 3, rng.normal(size=6) * 3
    for net in nets:
        for exact in (False, True):
            for kind in ("activation", "linear"):
                fast = tropnet.linear_regions(net, Segment(a, b), kind=kind, exact=exact)
                slow = tropnet.linear_regions(net, Segment(a, b), kind=kind, exact=exact, max_seconds=1e6)
                assert len(fast) == len(slow) == tropnet.count_linear_regions(net, Segment(a, b), kind=kind,
                                                                               exact=exact)
                assert np.array_equal(fast.patterns, slow.patterns)
                assert list(fast.breakpoints) == list(slow.breakpoints) if exact else np.allclose(
                    np.asarray(fast.breakpoints, float), np.asarray(slow.breakpoints, float))
                Wf, cf = fast.input_maps()
                Ws, cs = slow.input_maps()
                assert (Wf == Ws).all() if exact else np.allclose(Wf, Ws)
    with pytest.raises(ValueError, match="float mode cannot resolve"):
        tropnet.count_linear_regions(nets[0], Segment(np.full(6, -1e200), np.full(6, 1e200)))


def test_segment_linear_regions_join_cells_with_one_map():
    # relu(t) - relu(t) is 0 everywhere: two activation cells, one linear region, no breakpoint
    net = Network.from_arrays([[[1], [1]], [[1, -1]]])
    rs = tropnet.linear_regions(net, Segment([-1], [1]), kind="linear", exact=True)
    assert len(rs) == 1 and rs.num_cells == 2 and list(rs.breakpoints) == []
    act = tropnet.linear_regions(net, Segment([-1], [1]), kind="activation", exact=True)
    assert list(act.breakpoints) == [Fraction(1, 2)]


def test_segment_maxout_and_leaky():
    net = Network(
        [tropnet.Linear([[1], [-1], [2]], [0, 0, -1]), tropnet.Maxout(3), tropnet.Linear([[1]], [0])]
    )
    # max(t, -t, 2t - 1) on [-1, 2]: pieces -t, t? no: t < 0 -> -t; 0..1 -> max(t, 2t-1) = t; > 1 -> 2t - 1
    rs = tropnet.linear_regions(net, Segment([-1], [2]), kind="activation", exact=True)
    assert [a + 3 * t for a, t in zip([-1] * 2, rs.breakpoints)] == [0, 1]
    leaky = Network([tropnet.Linear([[1]], [Fraction(-1, 2)]), tropnet.LeakyReLU(Fraction(1, 4)),
                     tropnet.Linear([[1]], [0])])
    rs = tropnet.linear_regions(leaky, Segment([0], [1]), exact=True)
    assert list(rs.breakpoints) == [Fraction(1, 2)]
    W, c = rs[0].affine_map
    assert W[0, 0] == Fraction(1, 4) and c[0] == Fraction(-1, 8)


@pytest.mark.parametrize("seed", [5, 6])
def test_plane_counts_equal_the_hand_composed_network(seed):
    rng = np.random.default_rng(seed)
    net = tropnet.random_mlp([6, 8, 8, 1], seed=seed)
    a, b, c = (rng.normal(size=6) for _ in range(3))
    pl = Plane.through(a, b, c, margin=0.5)
    # by hand: x = a + s u + t v, u = b - a, v = (c - a) minus its projection on u
    u = np.array([Fraction(x) for x in b]) - np.array([Fraction(x) for x in a])
    w = np.array([Fraction(x) for x in c]) - np.array([Fraction(x) for x in a])
    v = w - (w.dot(u) / u.dot(u)) * u
    lin = net.layers[0]
    W = np.array([[Fraction(x) for x in row] for row in lin.weight.tolist()], dtype=object)
    a_q = np.array([Fraction(x) for x in a], dtype=object)
    first = tropnet.Linear(W.dot(np.stack([u, v], axis=1)), W.dot(a_q) + np.array([Fraction(x) for x in lin.bias]))
    by_hand = Network([first, *net.layers[1:]])
    for kind in ("activation", "linear"):
        want = tropnet.count_linear_regions(by_hand, pl.domain, kind=kind, exact=True)
        assert tropnet.count_linear_regions(net, pl, kind=kind, exact=True) == want


def test_plane_counts_equal_regioncam_through_points():
    regioncam = pytest.importorskip("regioncam")
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        net = tropnet.random_mlp([10, 16, 16, 3], seed=seed)
        P = rng.normal(size=(3, 10)).astype(np.float32)
        rc = regioncam.Regioncam.through_points(P)
        # the square regioncam draws on, in its plane coordinates
        half = float(np.abs(np.asarray(rc.vertex_inputs)).max())
        for i, lin in enumerate(l for l in net.layers if isinstance(l, tropnet.Linear)):
            rc.linear(lin.float_weight.T.astype("f4"), lin.float_bias.astype("f4"))
            if i < 2:
                rc.relu()
        W32 = np.asarray(rc.plane.weight, dtype=np.float32).astype(np.float64)
        o32 = np.asarray(rc.plane.bias, dtype=np.float32).astype(np.float64)
        slc = AffineSlice(o32, W32, Box(-half, half))
        # regioncam computes in float32: compare on the network rounded the same way
        net32 = Network.from_arrays(
            [lin.float_weight.astype(np.float32).astype(np.float64) for lin in net.layers[::2]],
            [lin.float_bias.astype(np.float32).astype(np.float64) for lin in net.layers[::2]],
        )
        assert tropnet.count_linear_regions(net32, slc, kind="activation") == rc.num_faces


def test_slice_regions_report_input_coordinates():
    net = tropnet.random_mlp([4, 6, 2], seed=7)
    slc = AffineSlice.around([0.1, 0.2, -0.3, 0.4], 0.8, k=2, seed=3)
    rs = tropnet.linear_regions(net, slc, kind="activation")
    X = rs.input_points
    for i, r in enumerate(rs):
        W, c = r.input_map()
        assert np.allclose(W @ X[i] + c, net(X[i]))
        Ws, cs = r.affine_map
        y = np.asarray(r.interior_point, dtype=np.float64)
        assert np.allclose(Ws @ y + cs, net(X[i]))


def test_affine_slice_fixing_inputs_matches_the_box_count():
    net = tropnet.random_mlp([3, 8, 8, 1], seed=2)
    slc = AffineSlice.fixing([0, -1, -1], [0, 1, 1])
    sub = Network([tropnet.Linear([[0, 0], [1, 0], [0, 1]], [0, -1, -1]), *net.layers])
    want = tropnet.count_linear_regions(sub, Box([0, 0], [2, 2]), kind="activation", exact=True)
    assert tropnet.count_linear_regions(net, slc, kind="activation", exact=True) == want


def test_bad_slices_are_named():
    with pytest.raises(ValueError, match="different lengths"):
        Segment([0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="zero length"):
        Segment([1, 2], [1, 2])
    with pytest.raises(ValueError, match="collinear"):
        Plane.through([0, 0, 0], [1, 1, 1], [2, 2, 2])
    with pytest.raises(ValueError, match="not independent"):
        AffineSlice([0, 0, 0], [[1, 0, 0], [2, 0, 0]], Box(-1, 1))
    with pytest.raises(ValueError, match="radius"):
        AffineSlice.around([0, 0], 0)
    with pytest.raises(ValueError, match="larger than the input dimension"):
        AffineSlice.around([0, 0], 1, k=3)
    with pytest.raises(ValueError, match="inputs"):
        tropnet.linear_regions(tropnet.random_mlp([3, 2, 1]), Segment([0, 0], [1, 1]))


def test_region_at_known_answers_and_batch():
    net = tropnet.random_mlp([6, 10, 10, 3], seed=1)
    X = np.random.default_rng(0).normal(size=(20, 6))
    R = tropnet.region_at(net, X)
    assert np.allclose(np.einsum("kmn,kn->km", R.jacobians, X) + R.offsets, net(X))
    # the Jacobian by central differences (the map is affine on the cell around a generic point)
    h = 1e-7
    J = np.stack([(net(X[0] + h * e) - net(X[0] - h * e)) / (2 * h) for e in np.eye(6)], axis=1)
    assert np.allclose(J, R.jacobians[0], atol=1e-5)
    r = R[0]
    assert r.contains(X[0]) and np.all(r.A.dot(X[0]) <= r.b + 1e-12)
    ex = tropnet.region_at(net, X[0], exact=True)
    assert ex.pattern == r.pattern and ex.contains(X[0])
    assert all(isinstance(v, Fraction) for v in ex.jacobian.ravel())
    assert np.allclose(np.asarray(ex.jacobian, dtype=float), r.jacobian)
    # exact rows are integers over positive denominators: the same halfspaces as the float ones
    Ae, be = ex.halfspaces()
    assert all(type(v) is int for v in Ae.ravel())
    scale = np.abs(np.asarray(Ae, float)).max(axis=1) / np.abs(r.A).max(axis=1)
    assert np.allclose(np.asarray(Ae, float) / scale[:, None], r.A) and np.allclose(
        np.asarray(be, float) / scale, r.b)
    xq = np.array([Fraction(v) for v in X[0]], dtype=object)
    assert all(v <= 0 for v in Ae.dot(xq) - be)
    # facets on demand: relu(x) + relu(y) + relu(x + y) at (1, 1): x >= 0 and y >= 0 (x + y >= 0 implied)
    tri = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]])
    for exact in (False, True):
        c = tropnet.region_at(tri, [1, 1], exact=exact)
        A, b = c.halfspaces(irredundant=True)
        assert c.num_halfspaces == 3 and len(b) == 2
        assert sorted(map(tuple, np.asarray(A, float).tolist())) == [(-1.0, 0.0), (0.0, -1.0)]


def test_local_complexity_equals_the_count_on_each_slice():
    from tropnet.regions.local import local_slices

    net = tropnet.random_mlp([6, 12, 12, 2], seed=4)
    X = np.random.default_rng(1).normal(size=(6, 6))
    for k, shape, r in ((2, "cross", 0.7), (2, "box", 0.4), (3, "box", 0.3), (3, "cross", 0.8), (4, "cross", 0.8),
                        (1, "cross", 1.0)):
        lc = tropnet.local_complexity(net, X, r, k=k, shape=shape, seed=2)
        for s, c in zip(local_slices(X, r, k=k, shape=shape, seed=2), lc):
            sub = compose_affine(net, s.origin, s.basis)
            assert c == tropnet.count_linear_regions(sub, s.domain, kind="activation")
    exact = tropnet.local_complexity(net, X[:3], 0.7, exact=True)
    assert exact.tolist() == tropnet.local_complexity(net, X[:3], 0.7).tolist()
    lin = tropnet.local_complexity(net, X[:3], 0.7, kind="linear")
    for s, c in zip(local_slices(X[:3], 0.7), lin):
        assert c == tropnet.count_linear_regions(net, s, kind="linear")
    with pytest.raises(ValueError, match="radius"):
        tropnet.local_complexity(net, X, -1.0)
    with pytest.raises(ValueError, match="larger than the input dimension"):
        tropnet.local_complexity(net, X, 1.0, k=7)


def test_one_interval_pass_over_many_neighbourhoods_equals_one_pass_each():
    # local_complexity bounds the units of all points at once (one first stage per point): the
    # same masks as stable_units on each point's composed program
    from tropnet.regions.local import local_slices
    from tropnet.regions.program import Stage, stages_from_network
    from tropnet.regions.stable import _domain_shape, _propagate, stable_units

    net = tropnet.random_mlp([7, 10, 9, 2], seed=3)
    X = np.random.default_rng(4).normal(size=(12, 7))
    slices = local_slices(X, 0.6, k=2, seed=1)
    base = stages_from_network(net)
    Ws = np.stack([base[0].W @ s.basis.T for s in slices])
    bs = np.stack([base[0].W @ s.origin + base[0].b for s in slices])
    mid, rad, cross = _domain_shape(slices[0].domain, 2)
    on, off = _propagate([Stage("affine", W=Ws, b=bs)] + base[1:], np.tile(mid, (12, 1)), np.tile(rad, (12, 1)),
                         cross)
    some = False
    for i, s in enumerate(slices):
        one = stable_units([Stage("affine", W=Ws[i], b=bs[i])] + base[1:], s.domain, 2)
        for a, b in zip(on, one.on):
            assert np.array_equal(a[i], b)
        for a, b in zip(off, one.off):
            assert np.array_equal(a[i], b)
        some |= 0 < one.num_stable < one.num_units
    assert some


def test_stable_units_are_stable_and_pruning_keeps_the_count():
    from tropnet.regions.refine import stages_from_network
    from tropnet.regions.stable import count_pruned, stable_units

    net = tropnet.random_mlp([5, 16, 16, 1], seed=8)
    x = np.random.default_rng(2).normal(size=5)
    st = stages_from_network(net)
    dom = Box(x - 0.2, x + 0.2)
    s = stable_units(st, dom, 5)
    # sampled pre-activations agree with the stable signs
    Y = x + np.random.default_rng(3).uniform(-0.2, 0.2, size=(2000, 5))
    pre = [v for i, v in enumerate(net.forward_all(Y)[1:]) if isinstance(net.layers[i], tropnet.Linear)][:2]
    for z, on, off in zip(pre, s.on, s.off):
        assert np.all(z[:, on] > 0) and np.all(z[:, off] < 0)
    assert 0 < s.num_stable < s.num_units
    n, stable = count_pruned(st, dom, 5)
    assert stable == s.num_stable
    # the enumeration of the regions prunes nothing: an independent count
    assert n == len(tropnet.linear_regions(net, dom, kind="activation"))
    plan = tropnet.regions.plan.make_plan(net, dom, want="count", kind="activation")
    assert plan.run() == n and plan.stable.num_stable == stable
    assert count_pruned(stages_from_network(net, exact=True), dom, 5, exact=True)[0] == n


@pytest.mark.parametrize("exact", [False, True])
def test_count_pruned_takes_the_engine_of_a_counts_plan(exact, monkeypatch):
    # 9 inputs: above both count cutoffs (HREP_COUNT_DIMS 8, EXACT_COUNT_DIM 7), below the
    # region-set ones: the H-representation engine runs, and counts what the vertex engine does
    from tropnet.regions import hrep
    from tropnet.regions import refine as refine_mod
    from tropnet.regions.refine import stages_from_network
    from tropnet.regions.stable import count_pruned

    net = tropnet.random_mlp([9, 8, 8, 1], seed=1)
    x = np.random.default_rng(1).normal(size=9)
    dom = Box(x - 0.4, x + 0.4)
    st = stages_from_network(net, exact=exact)
    assert hrep.uses_hrep(9, exact, count=True) and not hrep.uses_hrep(9, exact)
    ran = []
    real = refine_mod.refine_hrep
    monkeypatch.setattr(refine_mod, "refine_hrep", lambda *a, **kw: ran.append(1) or real(*a, **kw))
    n, stable = count_pruned(st, dom, 9, exact=exact)
    assert ran and n > 1
    assert n == len(tropnet.linear_regions(net, dom, kind="activation"))  # the vertex engine's cells


def test_complexity_curve_table_and_bad_checkpoints():
    from tropnet.studies import complexity_curve

    nets = [tropnet.random_mlp([4, 8, 8, 3], seed=s) for s in range(3)]
    X = np.random.default_rng(5).normal(size=(6, 4))
    t = complexity_curve(nets, X, radius=0.5, as_frame=False)
    for i, net in enumerate(nets):
        lc = tropnet.local_complexity(net, X, 0.5)
        assert t["lc_mean"][i] == lc.mean() and t["lc_max"][i] == lc.max()
        segs = [tropnet.count_linear_regions(net, Segment(X[a], X[a + 1]), kind="activation") for a in (0, 2, 4)]
        assert t["segment_mean"][i] == np.mean(segs)
        pl = Plane.through(X[0], X[1], X[2])
        assert t["plane_regions"][i] == tropnet.count_linear_regions(net, pl, kind="activation")
    with pytest.raises(ValueError, match="different architectures"):
        complexity_curve([nets[0], tropnet.random_mlp([4, 9, 8, 3])], X)
    import matplotlib

    matplotlib.use("Agg")
    ax = tropnet.plot.complexity_curve(t)
    assert len(ax.get_lines()) == 2 and ax.right is not None


def test_every_region_function_takes_a_slice():
    net = tropnet.random_mlp([6, 8, 8, 2], seed=9)
    a, b, c = np.random.default_rng(9).normal(size=(3, 6))
    pl = Plane.through(a, b, c)
    n_act = tropnet.count_linear_regions(net, pl, kind="activation")
    rs = tropnet.linear_regions(net, pl, kind="activation")
    assert len(rs) == n_act and rs.slice is pl and rs.breakpoints is None
    est = tropnet.estimate_linear_regions(net, pl, 4000, kind="activation")
    assert 0 < est <= n_act
    plan = tropnet.regions.plan.make_plan(net, Segment(a, b), want="count")
    assert plan.engine == "line" and "slice" in repr(plan)
    with pytest.raises(ValueError, match="slice"):
        tropnet.count_linear_regions(net, pl, symmetry=tropnet.cyclic_group(6))


def test_cli_slice_options(tmp_path, capsys):
    import json

    from tropnet.cli import main, network_to_spec

    net = tropnet.random_mlp([5, 8, 8, 3], seed=0)
    model = tmp_path / "m.json"
    model.write_text(json.dumps(network_to_spec(net)))
    rng = np.random.default_rng(0)
    pts = []
    for nm in "abc":
        p = rng.normal(size=5)
        np.save(tmp_path / f"{nm}.npy", p)
        pts.append(p)
    a, b, c = (str(tmp_path / f"{nm}.npy") for nm in "abc")
    assert main(["regions", str(model), "--plane", a, b, c, "--count-only"]) == 0
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, Plane.through(*pts))
    assert main(["regions", str(model), "--segment", a, b, "--kind", "activation", "--exact"]) == 0
    out = capsys.readouterr().out
    rs = tropnet.linear_regions(net, Segment(pts[0], pts[1]), kind="activation", exact=True)
    assert f"breakpoints t: {', '.join(str(t) for t in rs.breakpoints)}" in out
    assert main(["regions", str(model), "--box", "-1,1,0,2,-1,1,0,1,-2,2", "--count-only",
                 "--kind", "activation"]) == 0
    box = Box([-1, 0, -1, 0, -2], [1, 2, 1, 1, 2])
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, box, kind="activation")
    assert main(["regions", str(model), "--around", a, "--radius", "1/2", "--count-only"]) == 0
    slc = AffineSlice.around(pts[0], Fraction(1, 2), k=2)
    assert int(capsys.readouterr().out) == tropnet.count_linear_regions(net, slc)
    assert main(["regions", str(model), "--segment", "1,2,3", a]) != 0
    assert "3 coordinates, but the network has 5 inputs" in capsys.readouterr().err
    assert main(["regions", str(model), "--around", a]) != 0
    assert "--radius" in capsys.readouterr().err


@pytest.mark.parametrize("seed", [26, 27, 28, 32, 33, 36, 37, 3])
def test_float_counts_on_planes_through_integer_points_are_the_exact_ones_or_warned(seed):
    """A plane through three integer points has directions over ``<u, u>`` (non-dyadic: float64
    only rounds them), and degenerate integer networks have exact ties on it.  The float run
    computes the rounded plane, which no exact certificate speaks for: its ties are taken by
    tolerance, as for a non-dyadic network (``Stage.lossy``); before, the certificate proved the
    rounded plane's slivers real and the float count was the rounded plane's (seed 33: 40 cells
    where the plane has 25), with no warning."""
    from testnets import degenerate_net

    rng = np.random.default_rng(seed)
    plane = tropnet.Plane.through(*rng.integers(-1, 2, size=(3, 4)).astype(float), margin=0.5)
    net = degenerate_net(seed, 4, 10, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = tropnet.count_linear_regions(net, plane, kind="activation", exact=True, progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = tropnet.count_linear_regions(net, plane, kind="activation", progress=False)
    assert got == want or any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)
