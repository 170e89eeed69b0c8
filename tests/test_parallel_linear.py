"""Linear counts on Dask in one enumeration (issue 21): the tasks keep their cells and send back
their maps; where maps come near each other the driver merges with the cells of the near groups
only, fetched from the tasks.  The counts and linear region sets equal serial ones on networks
whose regions really merge (duplicated units read with opposite weights, units nobody reads),
float and exact, on boxes and on all of R^n, and limits raise the serial error."""

import warnings

import numpy as np
import pytest
from testnets import merging_net

import tropnet
from tropnet import Box, Network, count_linear_regions, linear_regions
from tropnet.networks.prune import drop_unused_units
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions import parallel as driver
from tropnet.regions import parallel_merge as merger
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan
from tropnet.regions.stream import pack_patterns, unpack_patterns

dd = pytest.importorskip("dask.distributed")



def _one_run(net, dom, exact=False) -> int:
    """The merge over one unstreamed serial run as a region set finds it (simple codes: ties go
    to the rational pass, not the count's codes of any width): an independent path to the count."""
    plan = make_plan(net, dom, want="regions", exact=exact)
    return int(linear_labels(plan.find()).max()) + 1


def _partition(rs) -> set:
    """The linear regions as sets of activation patterns (independent of the order of cells)."""
    groups: dict = {}
    for pat, lab in zip(rs.patterns, rs.labels):
        groups.setdefault(int(lab), set()).add(np.asarray(pat, dtype=np.int32).tobytes())
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("dom", [Box(-3, 3), None], ids=["box", "Rn"])
def test_merging_counts_and_regions_on_dask_equal_serial(client, exact, dom):
    net = merging_net(3, 8, dup=0, unread=2, scale=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = count_linear_regions(net, dom, exact=exact)
        cells = count_linear_regions(net, dom, kind="activation", exact=exact)
        assert serial < cells  # real merges
        assert serial == _one_run(net, dom, exact)
        for split in (None, 3):
            got = count_parallel(net, dom, exact=exact, parallel="dask", client=client, split_cells=split)
            assert got == serial, (split, got, serial)
        rs = regions_parallel(net, dom, exact=exact, parallel="dask", client=client, split_cells=3)
        assert len(rs) == serial
        assert _partition(rs) == _partition(linear_regions(net, dom, exact=exact))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merging_counts_in_this_process_equal_serial(seed):
    # the same tasks in this process (parallel=None), a 4-D network, tasks of a few cells
    net = merging_net(seed, 7, d=4, dup=0, unread=2, scale=2)
    dom = Box(-2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for exact in (False, True):
            serial = count_linear_regions(net, dom, exact=exact)
            assert serial == _one_run(net, dom, exact)
            for split in (2, 7):
                assert count_parallel(net, dom, exact=exact, parallel=None, split_cells=split) == serial


def test_only_the_near_groups_facets_or_cells_are_fetched(monkeypatch):
    """The tasks' summaries carry every cell's map and pattern; the driver asks the tasks for
    nothing more when no maps come near; otherwise float tasks (streamed, their cells' unit
    facets kept as bits, as the serial streamed count keeps them) are asked for the facets of
    the cells of near groups only, and no vertex list; exact tasks for the vertex lists of those
    cells only (not every cell: no second enumeration)."""
    asked = {"asks": 0, "cells": 0, "facets": 0}
    cells_of, facets_of, ask = merger.cells_of, merger.facets_of, merger.ask_kept

    def counted_cells(leaf, cells):
        asked["cells"] += len(cells)
        return cells_of(leaf, cells)

    def counted_facets(leaf, cells):
        asked["facets"] += len(cells)
        return facets_of(leaf, cells)

    def counted_ask(*a, **k):
        asked["asks"] += 1
        return ask(*a, **k)

    monkeypatch.setattr(merger, "cells_of", counted_cells)
    monkeypatch.setattr(merger, "facets_of", counted_facets)
    monkeypatch.setattr(merger, "ask_kept", counted_ask)
    runs = []
    monkeypatch.setattr(driver, "_enumerate", _counting(driver._enumerate, runs))
    dom = Box(-3, 3)
    # no merges: one enumeration, nothing asked
    plain = tropnet.random_mlp([3, 6, 6, 1], seed=2)
    n = count_parallel(plain, dom, parallel=None, split_cells=20)
    assert n == count_linear_regions(plain, dom, kind="activation") == count_linear_regions(plain, dom)
    assert asked == {"asks": 0, "cells": 0, "facets": 0} and len(runs) == 1
    # merges (two copies of a unit that cancel: 306 cells, 235 regions): still one enumeration,
    # one request, for the facets of the cells of near groups (138), not all; no vertex list
    rng = np.random.default_rng(1)
    W1, W2, W3, b1 = rng.normal(size=(8, 3)), rng.normal(size=(8, 8)), rng.normal(size=(1, 8)), rng.normal(size=8)
    W1[1], b1[1] = W1[0], b1[0]
    W2[:, 1] = -W2[:, 0]
    net = Network.from_arrays([W1, W2, W3], [b1, rng.normal(size=8), [0.0]])
    serial = count_linear_regions(net, dom)
    cells = count_linear_regions(net, dom, kind="activation")
    runs.clear()
    assert count_parallel(net, dom, parallel=None, split_cells=20) == serial < cells
    assert len(runs) == 1 and asked["asks"] == 1 and asked["cells"] == 0 and 0 < asked["facets"] < cells
    # the same with the unstreamed exact tasks: the vertex lists (with their codes) of those cells
    asked.update(asks=0, cells=0, facets=0)
    exact = count_linear_regions(net.to_exact(), dom, exact=True)
    assert count_parallel(net.to_exact(), dom, exact=True, parallel=None, split_cells=20) == exact
    assert asked["asks"] == 1 and asked["facets"] == 0 and 0 < asked["cells"] < cells


def test_patterns_travel_packed():
    for P in (np.array([[0, 1, 1], [1, 0, 0]]), np.zeros((0, 5), dtype=np.int32), np.array([[0, 3], [2, 1]]),
              np.array([[0, 300]]), np.random.default_rng(0).integers(0, 2, (50, 37))):
        back = unpack_patterns(pack_patterns(P))
        assert back.dtype == np.int32 and np.array_equal(back, P)


def _counting(fn, runs):
    def wrapped(*a, **k):
        runs.append(k.get("want"))
        return fn(*a, **k)

    return wrapped


def test_kept_parts_past_the_budget_rerun_on_their_workers(client, monkeypatch):
    """A budget of 0 bytes (the driver's KEPT_VERTEX_BYTES travels with the tasks): every task
    keeps its cells' patterns only and runs its part again when the driver asks for some of
    its cells; the counts equal serial."""
    import gc

    from tropnet.regions import stream

    net = merging_net(3, 8, dup=0, unread=2, scale=2)
    dom = Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = count_linear_regions(net, dom)
        cells = count_linear_regions(net, dom, kind="activation")
        assert serial < cells
        monkeypatch.setattr(stream, "KEPT_VERTEX_BYTES", 0)
        for split in (None, 3):
            stats = {}
            assert count_parallel(net, dom, parallel="dask", client=client, split_cells=split, stats=stats) == serial
            assert stats["dropped"] == sum(1 for c in stats["cells"] if c)  # every task with cells
        # in this process: the parts asked for are picked from a second run of the task's part
        picked = []
        original = stream.KeptParts._picked
        monkeypatch.setattr(stream.KeptParts, "_picked",
                            lambda self, cells: (picked.append(len(cells)), original(self, cells))[1])
        assert count_parallel(net, dom, parallel=None, split_cells=3) == serial
        assert picked and sum(picked) < cells  # the near groups' cells only
        # tasks that finish some parts (of <= 4 cells), pass their work budget and hand on the
        # rest: their rerun stops there too
        monkeypatch.setattr(driver, "STREAM_CELLS", 4)
        stats = {}
        assert count_parallel(net, dom, parallel=None, split_work=1 << 8, stats=stats) == serial
        assert stats["dropped"] == sum(1 for c in stats["cells"] if c)
        assert any(c and k for c, k in zip(stats["cells"], stats["children"]))  # stopped with cells kept
        # a budget shared by the tasks of one process, given back when their parts are freed
        monkeypatch.setattr(stream, "KEPT_VERTEX_BYTES", 20_000)
        stats = {}
        assert count_parallel(net, dom, parallel=None, split_cells=3, stats=stats) == serial
        assert 0 < stats["dropped"] < stats["tasks"]
        gc.collect()
        assert driver._WORKER_KEPT.nbytes == 0


def test_limits_on_a_merging_linear_count(client):
    net = merging_net(3, 8, dup=0, unread=2, scale=2)
    dom = Box(-3, 3)
    # the cells of the network the count runs on (without the units it drops first)
    cells = count_linear_regions(drop_unused_units(net), dom, kind="activation")
    for exact in (False, True):
        with pytest.raises(RegionLimitError) as serial:
            count_linear_regions(net, dom, exact=exact, max_regions=cells // 3)
        with pytest.raises(RegionLimitError) as err:
            count_parallel(net, dom, exact=exact, parallel="dask", client=client, split_cells=3,
                           max_regions=cells // 3)
        assert err.value.limit == serial.value.limit == "max_regions"
        assert cells // 3 < err.value.reached["cells"] <= cells
        with pytest.raises(RegionLimitError) as err:  # the driver: every task within the limit
            count_parallel(net, dom, exact=exact, parallel="dask", client=client, max_regions=cells - 1)
        assert err.value.limit == "max_regions" and err.value.reached["cells"] == cells
