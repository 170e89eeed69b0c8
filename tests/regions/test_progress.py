"""Progress bars of region calls (issue 18): one bar per call that tracks its work to the end,
the H-representation engine included; a forecast of huge runs; limits of the 2-D engines.

The bars are recorded by a stand-in for tqdm (no timing: the order of the updates is checked)."""

import numpy as np
import pytest

import tropnet
from tropnet import Box, _limits, random_mlp
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.plan import make_plan


class _Recorder:
    """A tqdm stand-in recording every update as ``(n, total, description)``."""

    made: list = []

    def __init__(self, total=None, desc="", unit="", delay=0.0, leave=False):
        self.total, self.n, self.desc, self.postfix = total, 0, desc, None
        self.log: list = []
        self.notes: list = []
        self.closed = False
        _Recorder.made.append(self)

    def update(self, n=1):
        assert not self.closed, "updated after close"
        self.n += n
        self.log.append((self.n, self.total, self.desc))

    def set_description_str(self, desc, refresh=False):
        self.desc = desc

    def set_postfix_str(self, text, refresh=False):
        self.postfix = text
        self.notes.append(text)

    def refresh(self):
        pass

    def close(self):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    _Recorder.made = []
    monkeypatch.setattr(_limits, "_tqdm_class", lambda: _Recorder)
    return _Recorder.made


def _full_only_at_the_end(bar):
    """The bar moved forwards, reached its total, and did so only at its last update."""
    assert bar.closed and bar.log
    ns = [n for n, _, _ in bar.log]
    assert ns == sorted(ns)
    assert [n >= total for n, total, _ in bar.log] == [False] * (len(bar.log) - 1) + [True]
    assert bar.n == bar.total


def test_hrep_engine_shows_one_bar_to_the_end(bars):
    net = random_mlp([13, 5, 1], seed=0)
    assert tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", progress=True) == 32
    assert len(bars) == 1
    bar = bars[0]
    _full_only_at_the_end(bar)
    # every unit of the H-representation engine advanced the bar
    assert sum(1 for _, _, desc in bar.log if "H-rep" in desc) >= 5


def test_linear_regions_bar_ends_after_the_facets_and_the_merge(bars, force_hrep):
    force_hrep()  # the H-representation engine, with its facet LPs
    net = random_mlp([3, 5, 5, 1], seed=3)
    rs = tropnet.linear_regions(net, Box(-2, 2), progress=True)
    assert len(rs) > 1
    (bar,) = bars
    _full_only_at_the_end(bar)
    descs = [desc for _, _, desc in bar.log]
    first = {d: descs.index(d) for d in reversed(descs)}
    # the engine's units, then the merge (the facets' LPs only for cells whose map another cell
    # shares, within the merge; the other cells' facets are computed on demand)
    assert first["regions: regions (H-rep)"] < first.get("regions: facets (LPs)", len(descs))
    assert first["regions: regions (H-rep)"] < first["regions: facets and merge"]
    assert descs[-1] == "regions: facets and merge"


def test_vertex_engine_linear_count_bar(bars):
    net = random_mlp([3, 8, 8, 1], seed=1)
    n = tropnet.count_linear_regions(net, Box(-1, 1), progress=True)
    assert n == tropnet.count_linear_regions(net, Box(-1, 1), progress=False)
    assert len(bars) == 1  # the second call made none
    (bar,) = bars
    _full_only_at_the_end(bar)
    assert bar.log[-1][2] == "regions: facets and merge"


def test_planar_and_compiler_bars(bars):
    net = random_mlp([2, 8, 8, 1], seed=0)
    assert tropnet.count_linear_regions(net, Box(-10, 10), kind="activation", progress=True) == 105
    tropnet.linear_regions(net, Box(-10, 10), progress=True)
    tropnet.tropicalize(random_mlp([2, 4, 4, 1], seed=1), progress=True)
    assert len(bars) == 3
    for bar in bars:
        _full_only_at_the_end(bar)
    assert "2D cells" in bars[0].log[0][2]
    assert bars[2].log[-1][2] == "tropicalize: forms"


def test_no_bar_when_asked_for_none(bars):
    tropnet.count_linear_regions(random_mlp([3, 6, 1], seed=0), Box(-1, 1), progress=False)
    tropnet.count_linear_regions(random_mlp([13, 3, 1], seed=0), Box(-1, 1), progress=False)
    assert bars == []


def test_a_huge_run_is_forecast_in_the_bar():
    from tropnet.regions.program import stages_from_network
    from tropnet.regions.refine import forecast, refine_advance, refine_start

    class Notes:
        def __init__(self):
            self.notes = []

        def update(self, n=1):
            pass

        def note(self, text, redraw=False):
            self.notes.append(text)

    st = stages_from_network(random_mlp([3, 30, 30, 30, 30, 1], seed=0))
    problem, state = refine_start(st, 3, -np.ones(3), np.ones(3))
    bar = Notes()
    assert not refine_advance(problem, state, bar=bar, stop_stage=3)  # the first layer only
    assert forecast(problem, state).startswith("forecast up to ~")
    assert bar.notes[-1].endswith("a huge run")
    assert not any(bar.notes[:29])  # nothing is said before the first layer is done
    small, s2 = refine_start(stages_from_network(random_mlp([3, 4, 4, 1], seed=0)), 3, -np.ones(3), np.ones(3))
    refine_advance(small, s2, stop_stage=3)
    assert forecast(small, s2) == ""


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("limit, value", [("max_memory", 2000), ("max_seconds", 1e-9)])
def test_planar_engines_honour_time_and_memory_limits(limit, value, exact):
    # 2-D activation counts (the planar count and the exact last-layer count) and 2-D float regions
    net = random_mlp([2, 16, 16, 1], seed=0)
    calls = [lambda: tropnet.count_linear_regions(net, Box(-1, 1), kind="activation", exact=exact, **{limit: value})]
    if not exact:
        calls.append(lambda: tropnet.linear_regions(net, Box(-1, 1), kind="activation", **{limit: value}))
    for call in calls:
        with pytest.raises(RegionLimitError, match="stopped") as info:
            call()
        assert info.value.limit == limit
        assert {"cells", "seconds", "bytes"} <= set(info.value.reached)
    plan = make_plan(net, Box(-1, 1), want="count", kind="activation", exact=exact)
    assert plan.engine == ("planar last layer" if exact else "planar count")


def test_planar_polygons_hold_their_limits_directly():
    from tropnet._limits import Limits
    from tropnet.regions import planar

    net = random_mlp([2, 16, 16, 1], seed=0)
    with pytest.raises(RegionLimitError) as info:
        planar.enumerate_cells(net, [-1, -1], [1, 1], limits=Limits(max_memory=4000))
    assert info.value.limit == "max_memory" and info.value.reached["bytes"] > 4000
    big = Limits(max_memory=10**9, max_seconds=600)
    assert len(planar.enumerate_cells(net, [-1, -1], [1, 1], limits=big)) == planar.count_cells(
        net, [-1, -1], [1, 1], limits=big)


def test_notes_redraw_a_bar_at_most_twice_a_second(bars, monkeypatch):
    # a note every 64 cells of a long H-representation run must not flood a log or a notebook
    clock = [100.0]
    monkeypatch.setattr(_limits.time, "perf_counter", lambda: clock[0])
    redraws = []
    bar = _limits.Bar(10, "cells", "unit", delay=0.0)
    bar._bar.refresh = lambda: redraws.append(clock[0])
    for _ in range(1000):  # 1000 notes in 1 s
        bar.note("cell", redraw=True)
        clock[0] += 0.001
    assert len(redraws) == 2 and redraws[1] - redraws[0] >= _limits.REDRAW_INTERVAL
    assert len(bar._bar.notes) == 1000  # every note is still kept for the next redraw
