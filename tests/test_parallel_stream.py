"""Counts on Dask with streamed tasks (issue 21): each task counts its part of a box with the
streamed engine and returns an integer; the counts equal serial ones, and a limit reached in a
task or in the driver raises the serial RegionLimitError with what was counted so far."""

import pickle

import numpy as np
import pytest

import tropnet
from tropnet import Box, Polyhedron, count_linear_regions, random_mlp
from tropnet._limits import Limits
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions.cells import RegionLimitError

dd = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    # two worker threads in this process: cheap to start, and the tasks share the problem object
    with dd.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0") as c:
        yield c


def _serial_cells(net, domain, exact):
    """The serial count from the unstreamed engine (every cell held): an independent path."""
    return len(tropnet.regions.plan.find_cells(net, domain, exact=exact))


NETS = [(random_mlp([3, 6, 6, 1], seed=1), Box(-3, 3)),
        (random_mlp([4, 5, 5, 1], seed=2), Box(-2, 2)),
        (random_mlp([3, 4, 4, 4, 1], seed=3), Polyhedron(np.vstack([np.eye(3), -np.eye(3), [[1, 1, 1]]]),
                                                         [2, 2, 2, 2, 2, 2, 1.5]))]


@pytest.mark.parametrize("k", range(len(NETS)))
@pytest.mark.parametrize("exact", [False, True])
def test_streamed_tasks_equal_serial(client, k, exact):
    net, dom = NETS[k]
    serial = _serial_cells(net, dom, exact)
    assert count_linear_regions(net, dom, kind="activation", exact=exact) == serial
    for split_cells in (None, 3):  # whole parts, and tasks of one part of <= 3 cells each
        stats = {}
        got = count_parallel(net, dom, kind="activation", exact=exact, parallel="dask", client=client,
                             split_cells=split_cells, stats=stats)
        assert got == serial
        assert sum(stats["cells"]) == serial  # every cell counted by exactly one task
    assert stats["splits"] > 0
    # tasks that counted some parts and handed on the others (float parts split into many)
    assert exact or any(c and n for c, n in zip(stats["cells"], stats["children"]))


def test_streamed_tasks_hand_on_their_parts():
    # 23 737 cells; a small work budget makes every task stop between two units and hand the
    # part it holds, split, to new tasks (in this process: parallel=None)
    net = random_mlp([4, 16, 16, 1], seed=0)
    stats = {}
    got = count_parallel(net, Box(-5, 5), kind="activation", parallel=None, split_work=1 << 16, stats=stats)
    assert got == 23737  # bench_regions_nd / affinitree's count
    assert stats["splits"] > 10 and sum(stats["cells"]) == 23737
    # the task tree: a spawned task's tag extends its parent's
    tags = set(stats["tags"])
    assert all(t[:-1] in tags for t in tags if len(t) > 1)


def test_counts_on_all_of_rn_equal_serial(client):
    net = random_mlp([3, 5, 5, 1], seed=4)
    serial = count_linear_regions(net, kind="activation")
    assert count_parallel(net, kind="activation", parallel="dask", client=client, split_cells=4) == serial
    assert count_parallel(net, kind="activation", exact=True, parallel="dask", client=client) == serial


def _stopped(**kw):
    with pytest.raises(RegionLimitError) as err:
        count_parallel(**kw)
    return err.value


@pytest.mark.parametrize("exact", [False, True])
def test_limits_on_dask_are_the_serial_errors(client, exact):
    net = random_mlp([4, 8, 8, 1], seed=0)
    box = Box(-5, 5)
    total = count_linear_regions(net, box, kind="activation", exact=exact)
    common = dict(obj=net, domain=box, kind="activation", exact=exact, parallel="dask", client=client,
                  split_cells=20)
    for limit, value in (("max_regions", total // 4), ("max_memory", 10_000), ("max_seconds", 1e-6)):
        with pytest.raises(RegionLimitError) as serial:
            count_linear_regions(net, box, kind="activation", exact=exact, **{limit: value})
        err = _stopped(**common, **{limit: value})
        assert type(err) is type(serial.value) and err.limit == serial.value.limit == limit
        assert limit in str(err) and "cells" in err.reached
        assert 0 <= err.reached["cells"] <= total
    err = _stopped(**common, max_regions=total // 4)
    assert total // 4 < err.reached["cells"] <= total
    assert _stopped(**common, max_memory=10_000).reached["bytes"] > 10_000
    assert _stopped(**common, max_seconds=1e-6).reached["seconds"] > 1e-6
    # a limit passed inside a task (not in the master): every task's cells are within it
    err = _stopped(**dict(common, split_cells=None), max_regions=total - 1, tasks_per_worker=1)
    assert err.limit == "max_regions" and err.reached["cells"] > total - 1


def test_limits_clock_travels_between_processes():
    lim = Limits(max_seconds=3.0)
    lim.start -= 5.0  # started five seconds ago
    copy = pickle.loads(pickle.dumps(lim))
    assert 5.0 <= copy.seconds() < 60 and copy.max_seconds == 3.0
    assert copy.passed(count=0)[0] == "max_seconds"



@pytest.mark.parametrize("fn", [count_parallel, regions_parallel])
def test_limits_on_dask_for_all_of_rn_and_regions(client, fn):
    # tasks that return patterns or cells (not streamed): a limit passed in a task is the same error
    net = random_mlp([3, 6, 6, 1], seed=0)
    total = count_linear_regions(net, kind="activation")
    for limit, value in (("max_regions", total // 3), ("max_memory", 10_000), ("max_seconds", 1e-6)):
        with pytest.raises(RegionLimitError) as err:
            fn(net, kind="activation", parallel="dask", client=client, tasks_per_worker=1, **{limit: value})
        assert err.value.limit == limit


@pytest.mark.parametrize("exact", [False, True])
def test_limits_on_dask_for_linear_counts(client, exact):
    # kind="linear": tasks return their cells' maps; a limit passed in the master, in a task or in
    # the driver is the serial error, with the cells counted so far
    net = random_mlp([4, 8, 8, 1], seed=0)
    box = Box(-5, 5)
    total = count_linear_regions(net, box, kind="linear", exact=exact)
    assert count_parallel(net, box, kind="linear", exact=exact, parallel="dask", client=client) == total
    for limit, value in (("max_regions", total // 4), ("max_memory", 10_000), ("max_seconds", 1e-6),
                         ("max_memory", 300_000)):  # the last: past the master, inside a task
        with pytest.raises(RegionLimitError) as serial:
            count_linear_regions(net, box, kind="linear", exact=exact, **{limit: value})
        err = _stopped(obj=net, domain=box, kind="linear", exact=exact, parallel="dask", client=client,
                       **{limit: value})
        assert err.limit == serial.value.limit == limit and limit in str(err)
        assert 0 <= err.reached["cells"] <= total
    assert err.reached["bytes"] > 300_000 and err.reached["position"] != (1, 0)

