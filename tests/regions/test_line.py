"""The float 1-D engine (vertex values, as Regioncam1D) against the exact one: the same cells,
breakpoints, patterns and maps on random networks of every activation kind, ties at vertices
decided as the exact engine decides them, and a warning where float mode cannot decide."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import Network, Segment
from tropnet.regions import line
from tropnet.regions.line import line_cells
from tropnet.regions.program import stages_from_network


@pytest.fixture(params=["numpy", "numba"])
def kernels(request):
    """The float engine's ReLU layers in numpy (the reference) or in the compiled kernel of
    :mod:`tropnet.regions.line_jit` (which bails out to numpy on every tie)."""
    from tropnet.regions import pool

    if request.param == "numba":
        pytest.importorskip("numba")
    old = pool.use_kernels(request.param)
    yield request.param
    pool.use_kernels(old)


def _nets(seed: int):
    r = np.random.default_rng(seed)
    yield tropnet.random_mlp([4, 7, 6, 2], seed=seed)
    yield tropnet.random_mlp([4, 9, 1], seed=seed)
    yield Network([tropnet.Linear(r.normal(size=(5, 4)), r.normal(size=5)), tropnet.Threshold(0.25),
                   tropnet.Linear(r.normal(size=(4, 5))), tropnet.LeakyReLU(0.125),
                   tropnet.Linear(r.normal(size=(1, 4)))])
    yield Network([tropnet.Linear(r.normal(size=(6, 4)), r.normal(size=6)), tropnet.Maxout(3),
                   tropnet.Linear(r.normal(size=(3, 2)), r.normal(size=3)), tropnet.ReLU(),
                   tropnet.Linear(r.normal(size=(1, 3)))])
    # small integers: duplicated units, units crossing at one point and at earlier breakpoints
    W1 = r.integers(-2, 3, size=(6, 4)).astype(float)
    W1[3] = W1[2]
    yield Network.from_arrays([W1, r.integers(-2, 3, size=(5, 6)).astype(float),
                               r.integers(-2, 3, size=(1, 5)).astype(float)],
                              [r.integers(-2, 3, size=6).astype(float), r.integers(-2, 3, size=5).astype(float),
                               [0.0]])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("first", [True, False])
def test_float_line_equals_the_exact_line(seed, first, monkeypatch, kernels):
    # first: the first ReLU layer's crossings feed the next layer directly (on wide layers only
    # by default; here on every network)
    if first:
        monkeypatch.setattr(line, "_FIRST_MIN", 0)
    rng = np.random.default_rng(100 + seed)
    for net in _nets(seed):
        if seed % 2:
            a, b = rng.normal(size=4) * 3, rng.normal(size=4) * 3
        else:  # integer end points: ties at vertices are common
            a, b = rng.integers(-3, 4, size=4).astype(float), rng.integers(-3, 4, size=4).astype(float)
            b[0] = a[0] + 1.0
        seg = Segment(a, b)
        for kind in ("activation", "linear"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no ambiguity on these networks
                f = tropnet.linear_regions(net, seg, kind=kind)
                n = tropnet.count_linear_regions(net, seg, kind=kind)
            e = tropnet.linear_regions(net, seg, kind=kind, exact=True)
            assert len(f) == len(e) == n
            assert np.allclose(np.asarray(f.breakpoints, float), np.asarray(e.breakpoints, float))
            assert np.array_equal(f.patterns, e.patterns)
            for rf, re in zip(f, e):
                assert np.allclose(rf.affine_map[0], np.asarray(re.affine_map[0], float))
                assert np.allclose(rf.affine_map[1], np.asarray(re.affine_map[1], float), atol=1e-9)
            if kind == "activation":  # the maps in input coordinates reproduce the network
                W, c = f.input_maps()
                X = np.asarray(f.input_points, float)
                want = np.array([net(x) for x in X]).reshape(c.shape)
                assert np.allclose(np.einsum("kmn,kn->km", W, X) + c, want)


def test_ties_at_vertices_and_dead_units(kernels):
    # on t in [-1, 2]: units t and t (duplicates: one crossing at 0), 0 * t (zero on the whole
    # line: never active), t - 1; the second layer's relu(t) - relu(t - 1) - 0.5 crosses at 1/2,
    # and 2 relu(t) - 2 relu(t - 1) - 2 reaches 0 exactly at the breakpoint t = 1 and stays 0
    # after it (identically at its threshold: inactive, no breakpoint of its own)
    net = Network.from_arrays(
        [[[1.0], [1.0], [0.0], [1.0]], [[1.0, 0.0, 0.0, -1.0], [2.0, 0.0, 0.0, -2.0]], [[1.0, 1.0]]],
        [[0.0, 0.0, 0.0, -1.0], [-0.5, -2.0], [0.0]],
    )
    for exact in (False, True):
        cells = line_cells(stages_from_network(net, exact=exact), -1, 2, exact=exact)
        assert [float(t) for t in cells.breaks] == [-1.0, 0.0, 0.5, 1.0, 2.0]
        assert cells.patterns.tolist() == [[0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 1, 0],
                                           [1, 1, 0, 1, 1, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tropnet.count_linear_regions(net, Segment([-1.0], [2.0]), kind="activation") == 4
    assert tropnet.count_linear_regions(net, Segment([-1], [2]), kind="activation", exact=True) == 4


def test_segment_starting_on_every_hyperplane(kernels):
    # a bias-free network on a segment from the origin: every unit is 0 at t = 0 (ties at the
    # end point, no breakpoint there)
    net = tropnet.random_mlp([3, 6, 5, 1], seed=3)
    net = Network.from_arrays([lin.float_weight for lin in net.layers if isinstance(lin, tropnet.Linear)])
    seg = Segment([0.0, 0.0, 0.0], [1.0, -2.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = tropnet.linear_regions(net, seg, kind="activation")
    e = tropnet.linear_regions(net, seg, kind="activation", exact=True)
    assert len(f) == len(e) == 1 and np.array_equal(f.patterns, e.patterns)


def test_a_crossing_inside_the_tie_band_warns(kernels):
    # relu(t) and relu(t - 1e-10) cross 1e-10 apart: inside float mode's band (1e-9 of the
    # values' size) but far above rounding; float merges the sliver and says so, exact keeps it
    net = Network.from_arrays([[[1.0], [1.0]], [[1.0, 1.0]]], [[0.0, -1e-10], [0.0]])
    seg = Segment([-1.0], [1.0])
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="exact=True"):
        n = tropnet.count_linear_regions(net, seg, kind="activation")
    assert n == 2
    rs = tropnet.linear_regions(net, seg, kind="activation", exact=True)
    assert len(rs) == 3 and rs.breakpoints[1] - rs.breakpoints[0] == Fraction(1e-10) / 2
    # well apart (1e-6), float finds both without a warning
    net = Network.from_arrays([[[1.0], [1.0]], [[1.0, 1.0]]], [[0.0, -1e-6], [0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tropnet.count_linear_regions(net, seg, kind="activation") == 3


def test_linear_merge_of_nearly_equal_slopes_warns(kernels):
    # f(t) = relu(t + 10) + 1e-10 relu(t): on [-1, 1] two cells, slopes 1 and 1 + 1e-10 (within
    # 1e-9 of the largest slope, far above rounding): one linear region, with a warning
    net = Network.from_arrays([[[1.0], [1.0]], [[1.0, 1e-10]]], [[10.0, 0.0], [0.0]])
    seg = Segment([-1.0], [1.0])
    assert tropnet.count_linear_regions(net, seg, kind="activation") == 2
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="slopes"):
        assert tropnet.count_linear_regions(net, seg, kind="linear") == 1
    assert tropnet.count_linear_regions(net, seg, kind="linear", exact=True) == 2


def test_the_compiled_kernel_gives_the_numpy_engine_s_cells():
    # on generic segments of random ReLU networks the compiled kernel decides every layer (no
    # bail-out) and its breakpoints, patterns and linear-run decisions are the numpy engine's
    pytest.importorskip("numba")
    from tropnet.regions import pool
    from tropnet.regions.slices import segment_run

    rng = np.random.default_rng(7)
    for trial in range(40):
        d = int(rng.integers(1, 6))
        widths = [d] + [int(rng.integers(2, 30)) for _ in range(int(rng.integers(1, 4)))] + [int(rng.integers(1, 4))]
        net = tropnet.random_mlp(widths, seed=trial)
        seg = Segment(rng.normal(size=d) * 2, rng.normal(size=d) * 2)
        got = {}
        for choice in ("numpy", "numba"):
            old = pool.use_kernels(choice)
            try:
                rs = segment_run(net, seg, "regions", "activation", False)
                got[choice] = (segment_run(net, seg, "count", "activation", False), rs.breakpoints, rs.patterns,
                               segment_run(net, seg, "count", "linear", False))
            finally:
                pool.use_kernels(old)
        a, b = got["numpy"], got["numba"]
        assert a[0] == b[0] == len(a[1]) + 1 and a[3] == b[3]
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
        assert len(tropnet.linear_regions(net, seg, kind="activation", exact=True)) == b[0]


def test_the_compiled_kernel_is_loaded_after_some_work(monkeypatch):
    """The float runs of ReLU programs count their work (a call and each cell's units), not their
    time, until the compiled kernel is loaded: the switch comes after the same runs every time."""
    pytest.importorskip("numba")
    from tropnet.regions import pool

    monkeypatch.delenv("TROPNET_JIT", raising=False)
    monkeypatch.setattr(line, "_JIT", {"module": None, "done": 0})
    monkeypatch.setitem(pool._KERNELS, "jit", None)  # numba not loaded by the vertex engine yet
    old = pool.use_kernels(None)
    try:
        net = tropnet.random_mlp([2, 5, 1], seed=0)
        prog = line.compile_line(stages_from_network(net), 2)
        assert line._line_kernel(prog) is None
        seg = Segment([0.0, 0.0], [1.0, 1.0])
        cells = tropnet.count_linear_regions(net, seg, kind="activation")
        once = line._JIT["done"]
        assert once >= line.LINE_CALL_WORK + (cells + 1) * 5  # (one run or more, each its own call's work)
        assert once % (line.LINE_CALL_WORK + (cells + 1) * 5) == 0
        tropnet.count_linear_regions(net, seg, kind="activation")
        assert line._JIT["done"] == 2 * once  # the same work each time, whatever the load
        monkeypatch.setattr(line, "JIT_AFTER_LINE_WORK", 5 * once)
        for _ in range(2):
            tropnet.count_linear_regions(net, seg, kind="activation")
        assert line._line_kernel(prog) is None  # 4 calls' work: below the switch
        tropnet.count_linear_regions(net, seg, kind="activation")
        assert line._line_kernel(prog) is not None  # the fifth reaches it
        assert tropnet.count_linear_regions(net, seg, kind="activation") == cells
        monkeypatch.setenv("TROPNET_JIT", "0")
        assert line._line_kernel(prog) is None
        # numba loaded by something else (the vertex engine's cuts): the 1-D runs switch at once,
        # as the 2-D certificate does
        monkeypatch.delenv("TROPNET_JIT")
        monkeypatch.setattr(line, "_JIT", {"module": None, "done": 0})
        assert pool._load_jit() is not None
        assert line._line_kernel(prog) is not None
    finally:
        pool.use_kernels(old)
