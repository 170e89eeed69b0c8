"""Streamed activation counts (cells counted part by part and released) and the resource
limits (max_regions, max_seconds, max_memory) of the region functions, serial, streamed and
parallel."""

import numpy as np
import pytest
from testnets import degenerate_vertices_net as _degenerate

import tropnet
from tropnet import Box, Polyhedron, count_linear_regions, linear_regions, random_mlp
from tropnet.parallel import count_parallel
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.domains import _shared_sides, domain_pieces
from tropnet.regions.plan import find_cells, make_plan
from tropnet.regions.program import stages_from_network
from tropnet.regions.refine import refine, refine_start
from tropnet.regions.stream import PatternJoin, refine_count

NETS = [random_mlp([3, 8, 8, 1], seed=1), random_mlp([4, 6, 6, 1], seed=2), random_mlp([3, 5, 5, 5, 1], seed=3),
        _degenerate(0), _degenerate(1)]


@pytest.mark.parametrize("k", range(len(NETS)))
@pytest.mark.parametrize("exact", [False, True])
def test_streamed_count_equals_unstreamed(k, exact):
    net = NETS[k]
    d = net.input_dim
    box = Box(-2, 3)
    whole = len(find_cells(net, box, exact=exact))  # one run, every cell held
    assert make_plan(net, box, want="count", kind="activation", exact=exact).streams
    assert count_linear_regions(net, box, kind="activation", exact=exact) == whole
    # tiny parts: many splits, every part run depth first and released
    problem, state = refine_start(stages_from_network(net, exact=exact), d, -2 * np.ones(d), 3 * np.ones(d),
                                  exact=exact, certify=exact)
    assert refine_count(problem, state, budget=7) == whole


def test_streamed_count_known_answers():
    # the counts of regions_prototypes.md, agreeing with affinitree
    assert count_linear_regions(random_mlp([3, 8, 8, 1], seed=1), Box(-5, 5), kind="activation") == 580
    assert count_linear_regions(random_mlp([4, 6, 6, 1], seed=2), Box(-5, 5), kind="activation") == 258


def test_planar_and_linear_counts_are_not_streamed():
    net = random_mlp([3, 4, 1], seed=0)
    assert not make_plan(random_mlp([2, 4, 1]), Box(-1, 1), want="count", kind="activation").streams
    assert not make_plan(net, Box(-1, 1), want="count", kind="linear").streams


RN_NETS = [random_mlp([2, 8, 8, 1], seed=0), random_mlp([3, 8, 8, 1], seed=1), random_mlp([4, 5, 5, 1], seed=2),
           _degenerate(0), _degenerate(1)]


@pytest.mark.parametrize("k", range(len(RN_NETS)))
@pytest.mark.parametrize("exact", [False, True])
def test_streamed_count_on_Rn_equals_unstreamed(k, exact):
    """All of R^n: the cube facets' cells joined by pattern as they stream (PatternJoin) give the
    count of the joined cells of the unstreamed run, on R^n and on an unbounded polyhedron."""
    net = RN_NETS[k]
    d = net.input_dim
    half = Polyhedron([[1] + [-1] * (d - 1)], [1])
    for dom in (None, half):
        whole = len(find_cells(net, dom, exact=exact))  # every piece held, joined by pattern
        assert make_plan(net, dom, want="count", kind="activation", exact=exact).streams
        assert count_linear_regions(net, dom, kind="activation", exact=exact) == whole
    # tiny parts: many splits on every facet
    dp = domain_pieces(net, None, exact)
    join = PatternJoin()
    for piece in dp.pieces:
        problem, state = refine_start(piece.stages, d, piece.lo, piece.hi, exact=exact, certify=exact)
        join.piece(state.pool.X[0].copy(), state.pool.X[-1].copy(), *_shared_sides(piece, d))
        refine_count(problem, state, budget=7, join=join)
    assert join.count == len(find_cells(net, None, exact=exact))


def test_streamed_count_on_Rn_known_answers():
    # affinitree / parx on all of R^d (benchmarks/RESULTS.md)
    assert count_linear_regions(random_mlp([2, 8, 8, 1], seed=0), None, kind="activation") == 113
    assert count_linear_regions(random_mlp([2, 32, 32, 1], seed=0), None, kind="activation") == 1984


def _limit(fn, **kw):
    with pytest.raises(RegionLimitError) as err:
        fn(**kw)
    return err.value


@pytest.mark.parametrize("exact", [False, True])
def test_limits_serial_streamed_and_regions(exact):
    net = random_mlp([4, 8, 8, 1], seed=0)
    box = Box(-5, 5)
    total = count_linear_regions(net, box, kind="activation", exact=exact)
    for fn in (lambda **kw: count_linear_regions(net, box, kind="activation", exact=exact, **kw),
               lambda **kw: linear_regions(net, box, kind="activation", exact=exact, **kw)):
        err = _limit(fn, max_regions=total // 4)
        assert err.limit == "max_regions" and "max_regions" in str(err)
        err = _limit(fn, max_memory=10_000)
        assert err.limit == "max_memory" and err.reached["bytes"] > 10_000
        err = _limit(fn, max_seconds=1e-6)
        assert err.limit == "max_seconds" and err.reached["seconds"] > 1e-6
    # max_regions fires as soon as the bound is passed: at most one cut after it
    err = _limit(lambda: count_linear_regions(net, box, kind="activation", max_regions=total // 4))
    assert total // 4 < err.reached["cells"] <= total // 2 + 1


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("where", ["box", "Rn"])
def test_streamed_limits_say_what_was_counted(exact, where):
    # the streamed count (a box: parts counted and released; R^n: facets joined as they stream)
    # stops with the serial error, and says how many cells it had counted and held by then
    net, dom = random_mlp([4, 8, 8, 1], seed=0), Box(-5, 5)
    if where == "Rn":
        net, dom = random_mlp([3, 6, 6, 1], seed=0), None
    total = count_linear_regions(net, dom, kind="activation", exact=exact)
    assert total == (1637 if where == "box" else 241)  # the unstreamed engine's counts (find_cells)
    for limit, value in (("max_regions", total // 3), ("max_memory", 10_000), ("max_seconds", 1e-6)):
        err = _limit(lambda **kw: count_linear_regions(net, dom, kind="activation", exact=exact, **kw),
                     **{limit: value})
        assert err.limit == limit and limit in str(err)
        assert 1 <= err.reached["cells"] <= total and err.reached["seconds"] >= 0
    assert err.reached["seconds"] > 1e-6


def test_limits_parallel_and_hrep():
    net = random_mlp([4, 8, 8, 1], seed=0)
    err = _limit(lambda: count_parallel(net, Box(-5, 5), kind="activation", parallel=None, max_memory=10_000))
    assert err.limit == "max_memory"
    err = _limit(lambda: count_parallel(net, Box(-5, 5), kind="activation", parallel=None, max_regions=50))
    assert err.limit == "max_regions"
    err = _limit(lambda: count_linear_regions(random_mlp([13, 6, 1], seed=0), Box(-1, 1), kind="activation",
                                              max_seconds=1e-6))
    assert err.limit == "max_seconds"


def test_bad_limits():
    net = random_mlp([3, 4, 1])
    for name in ("max_regions", "max_seconds", "max_memory"):
        with pytest.raises(ValueError, match=name):
            count_linear_regions(net, Box(-1, 1), **{name: -1})
    with pytest.raises(ValueError, match="max_memory"):
        linear_regions(net, max_memory=1.5)
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", max_seconds=60, max_memory=10**9) >= 1
    assert len(refine(stages_from_network(net), 3, -np.ones(3), np.ones(3))) >= 1
