"""Dask execution: the same answers as serial (issue 10)."""

import os
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet.parallel import Spawn, connect, count_parallel, dask_client, map_tasks, regions_parallel, sweep

dd = pytest.importorskip("dask.distributed")



def _patterns(rs):
    return {bytes(np.asarray(r.pattern, dtype=np.int32)) for r in rs}


CASES = [
    ([2, 6, 6, 1], tropnet.Box(-4, 4), 0),
    ([2, 5, 5, 1], None, 1),
    ([3, 5, 5, 1], tropnet.Box(-3, 3), 2),
    ([4, 5, 4, 1], tropnet.Box(-2, 2), 3),
    ([3, 4, 4, 1], None, 4),
]


@pytest.mark.parametrize("widths,domain,seed", CASES)
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_counts_equal_serial(client, widths, domain, seed, kind):
    net = tropnet.random_mlp(widths, seed=seed)
    serial = tropnet.count_linear_regions(net, domain, kind=kind)
    assert count_parallel(net, domain, kind=kind, parallel="dask", client=client) == serial
    # tasks split adaptively (a small cell threshold), and the same tasks in this process
    stats = {}
    got = count_parallel(net, domain, kind=kind, parallel="dask", client=client, split_cells=6, stats=stats)
    assert got == serial and stats["splits"] > 0 and stats["tasks"] > stats["master_tasks"]
    assert count_parallel(net, domain, kind=kind, parallel=None, split_cells=6, split_work=None) == serial


@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_exact_counts_and_region_sets_equal_serial(client, kind):
    net = tropnet.random_mlp([2, 4, 4, 1], seed=5).to_exact()
    dom = tropnet.Box(-3, 3)
    serial = tropnet.linear_regions(net, dom, kind=kind, exact=True)
    par = regions_parallel(net, dom, kind=kind, exact=True, parallel="dask", client=client, split_cells=4)
    assert len(par) == len(serial)
    assert count_parallel(net, dom, kind=kind, exact=True, parallel="dask", client=client, split_cells=4) == len(serial)
    if kind == "activation":
        assert _patterns(par) == _patterns(serial)


def test_region_sets_equal_serial_3d(client):
    net = tropnet.random_mlp([3, 6, 5, 1], seed=7)
    serial = tropnet.linear_regions(net, kind="activation")
    par = regions_parallel(net, kind="activation", parallel="dask", client=client, split_cells=10)
    assert _patterns(par) == _patterns(serial)


def test_linear_region_spanning_many_tasks(client):
    # f = ReLU(x) - ReLU(2x) / 2 + ReLU(y) - ReLU(2y) / 2 = 0: four activation cells, one linear
    # region (scaled copies: a linear count drops units equal to another, networks.prune);
    # with one cell per task the region's cells come from four different tasks.
    W1 = [[1, 0], [2, 0], [0, 1], [0, 2]]
    W2 = [[1, -0.5, 1, -0.5]]
    net = tropnet.Network.from_arrays([W1, W2], [[0, 0, 0, 0], [0]])
    dom = tropnet.Box(-4, 4)
    for kind, expected in (("activation", 4), ("linear", 1)):
        assert tropnet.count_linear_regions(net, dom, kind=kind) == expected
        stats = {}
        got = count_parallel(net, dom, kind=kind, parallel="dask", client=client, split_cells=1, stats=stats)
        assert got == expected
        assert sum(1 for c in stats["cells"] if c) == 4  # four tasks, one cell each
    # a linear region made of many cells in different tasks: ReLU(x + 1) + ReLU(-x - 1) = |x + 1|
    # plus a unit on y (and its copy) that changes nothing of the map
    W1 = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    W2 = [[1, 1, 0, 0]]
    net = tropnet.Network.from_arrays([W1, W2], [[1, -1, 0.5, 1], [0]])
    assert tropnet.count_linear_regions(net, dom, kind="activation") == 6
    assert tropnet.count_linear_regions(net, dom, kind="linear") == 2
    for split in (1, 2):
        assert count_parallel(net, dom, kind="linear", parallel="dask", client=client, split_cells=split) == 2
        assert count_parallel(net, None, kind="linear", parallel="dask", client=client, split_cells=split) == 2


def test_map_tasks_spawned_jobs_keep_job_order(client):
    def halve(base, lo, hi):
        return Spawn([(lo, (lo + hi) // 2), ((lo + hi) // 2, hi)], info="split") if hi - lo > 1 else base + lo

    seen = []
    for kw in ({}, {"parallel": "dask", "client": client}):
        out = map_tasks(halve, [(0, 5), (5, 7)], shared=(100,), on_result=seen.append, **kw)
        assert out == [100 + i for i in range(7)]
    assert sum(isinstance(v, Spawn) for v in seen) == 2 * 5


def test_map_tasks_spawn_with_its_own_value(client):
    # a task that hands on work and keeps what it finished: its value comes first, then its jobs'
    from tropnet.tasks import ask_kept

    def count_down(n):
        return Spawn([(n - 1,)], value=-n) if n > 1 else n

    for kw in ({}, {"parallel": "dask", "client": client}):
        assert map_tasks(count_down, [(3,), (1,)], **kw) == [-3, -2, 1, 1]
        kept = map_tasks(count_down, [(3,)], keep=str, **kw)
        assert [k.value for k in kept] == ["-3", "-2", "1"]
        assert ask_kept(abs, [(k,) for k in kept], kw.get("client")) == [3, 2, 1]


def test_sweep_grid_order_and_failures(client):
    def work(width, seed):
        if width == 3 and seed == 1:
            raise RuntimeError("boom at width 3")
        return {"regions": tropnet.count_linear_regions(tropnet.random_mlp([2, width, 1], seed=seed))}

    grid = {"width": [2, 3, 4], "seed": [0, 1]}
    serial = sweep(work, grid, progress=False, as_frame=False)
    par = sweep(work, grid, parallel="dask", client=client, progress=False, as_frame=False)
    assert [(r["width"], r["seed"]) for r in par] == [(w, s) for w in (2, 3, 4) for s in (0, 1)]
    assert par == serial
    failed = [r for r in par if r["error"] is not None]
    assert len(failed) == 1 and failed[0]["width"] == 3 and "boom" in failed[0]["error"]
    assert all(r["regions"] == 1 + r["width"] + r["width"] * (r["width"] - 1) // 2 for r in par if not r["error"])


def test_sweep_returns_a_dataframe_with_pandas():
    pd = pytest.importorskip("pandas")
    df = sweep(lambda a: a + 1, [{"a": 1}, {"a": 2}], progress=False)
    assert isinstance(df, pd.DataFrame) and df["result"].tolist() == [2, 3]


def test_killed_worker_does_not_change_the_answer():
    import signal
    import threading

    net = tropnet.random_mlp([4, 10, 10, 1], seed=0)
    dom = tropnet.Box(-5, 5)
    serial = tropnet.count_linear_regions(net, dom, kind="activation")
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = dd.Client(cluster)
    try:
        pids = c.run(os.getpid)
        victim = sorted(pids)[0]
        killed_at = []

        def kill():
            os.kill(pids[victim], signal.SIGKILL)  # the nanny restarts it; Dask re-runs its tasks
            killed_at.append(time.monotonic())

        timer = threading.Timer(0.5, kill)
        timer.start()
        got = count_parallel(net, dom, kind="activation", parallel="dask", client=c, split_cells=200)
        done_at = time.monotonic()
        timer.join()
        assert got == serial
        assert killed_at and killed_at[0] < done_at, "the worker was not killed during the run"
    finally:
        c.close()
        cluster.close()


def test_unreachable_scheduler_fails_fast():
    t = time.monotonic()
    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        connect("tcp://127.0.0.1:1", timeout=2)
    assert time.monotonic() - t < 20


def test_bad_parallel_arguments():
    with pytest.raises(ValueError, match="parallel must be"):
        with dask_client("threads"):
            pass
    with pytest.raises(ValueError, match="client was given"):
        with dask_client(None, client=object()):
            pass
    with pytest.raises(TypeError, match="list of values"):
        sweep(lambda a: a, {"a": 3})
    with pytest.raises(TypeError, match="callable"):
        sweep(3, {"a": [1]})


def test_max_regions_in_parallel(client):
    net = tropnet.random_mlp([2, 8, 8, 1], seed=0)
    with pytest.raises(ValueError, match="max_regions"):
        count_parallel(net, tropnet.Box(-10, 10), kind="activation", max_regions=50, parallel="dask", client=client)


def test_compare_algebras_parallel_equals_serial(client):
    kw = dict(param_budget=60, seeds=[0, 1], domain=tropnet.Box(-3, 3), as_frame=False)
    serial = tropnet.compare_algebras(["R", "C", "H"], 2, 1, **kw)
    par = tropnet.compare_algebras(["R", "C", "H"], 2, 1, parallel="dask", client=client, **kw)
    assert par == serial


def test_public_api_takes_parallel(client):
    net = tropnet.random_mlp([3, 6, 6, 1], seed=11)
    dom = tropnet.Box(-4, 4)
    for kind in ("activation", "linear"):
        serial = tropnet.count_linear_regions(net, dom, kind=kind)
        assert tropnet.count_linear_regions(net, dom, kind=kind, parallel="dask", client=client) == serial
        assert len(tropnet.linear_regions(net, dom, kind=kind, parallel="dask", client=client)) == serial
    with pytest.raises(ValueError, match="cannot be combined"):
        tropnet.count_linear_regions(net, dom, parallel="dask", client=client, symmetry=tropnet.symmetric_group(3))


def test_parallel_local_starts_and_closes_its_cluster():
    net = tropnet.random_mlp([2, 5, 5, 1], seed=2)
    assert tropnet.count_linear_regions(net, parallel="local") == tropnet.count_linear_regions(net)


def test_estimate_parallel_equals_serial(client):
    net = tropnet.random_mlp([3, 8, 8, 1], seed=1)
    for dom in (tropnet.Box(-4, 4), tropnet.Polyhedron([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], [2, 2, 2, 2])):
        for kind in ("activation", "linear"):
            serial = tropnet.estimate_linear_regions(net, dom, 100_000, seed=3, kind=kind)
            par = tropnet.estimate_linear_regions(net, dom, 100_000, seed=3, kind=kind, parallel="dask", client=client)
            assert par == serial
            assert serial <= tropnet.count_linear_regions(net, dom, kind=kind)


def test_affine_network_has_one_region_serial_and_in_tasks():
    net = tropnet.Network([tropnet.Linear(np.eye(2))])
    for dom in (None, tropnet.Box(-1, 1)):
        assert tropnet.count_linear_regions(net, dom) == 1
        assert count_parallel(net, dom, kind="activation", parallel=None, split_cells=1) == 1
        assert len(regions_parallel(net, dom, parallel=None, split_cells=1)) == 1


@pytest.mark.parametrize("widths,seed", [([2, 4, 4, 1], 6), ([3, 4, 3, 1], 7)])
def test_exact_on_all_of_rn_equals_serial(client, widths, seed):
    # the 2n + 1 facets of the homogenised cube, split into tasks and joined by pattern; the
    # exact activation count runs the certified pass in the tasks
    net = tropnet.random_mlp(widths, seed=seed).to_exact()
    for kind in ("activation", "linear"):
        serial = tropnet.count_linear_regions(net, kind=kind, exact=True)  # [3, 4, 3, 1]: 31 and 19
        assert count_parallel(net, kind=kind, exact=True, parallel="dask", client=client, split_cells=3) == serial
    par = regions_parallel(net, kind="activation", exact=True, parallel="dask", client=client, split_cells=3)
    assert _patterns(par) == _patterns(tropnet.linear_regions(net, kind="activation", exact=True))


def test_progress_bar_and_limits_in_tasks(client, capsys):
    net = tropnet.random_mlp([3, 6, 6, 1], seed=8)
    serial = tropnet.count_linear_regions(net, kind="activation")
    assert count_parallel(net, kind="activation", parallel="dask", client=client, progress=True,
                          split_cells=10) == serial
    assert "task" in capsys.readouterr().err  # tqdm writes to stderr
    with pytest.raises(ValueError, match="max_regions"):
        count_parallel(net, kind="activation", parallel="dask", client=client, split_cells=10,
                       max_regions=serial // 3)
    with pytest.raises(ValueError, match="max_regions"):
        regions_parallel(net, tropnet.Box(-3, 3), parallel=None, split_cells=10, max_regions=5)


def test_degenerate_networks_in_tasks():
    # hyperplanes through one point, duplicate rows, zero biases, a Maxout layer: split into
    # one- and two-cell tasks, run in this process
    W1 = [[1, 0], [1, 0], [0, 1], [1, 1], [1, -1], [2, 2]]
    relu = tropnet.Network.from_arrays([W1, [[1, -1, 1, 0, 1, -1], [0, 1, 1, 1, 0, 1]], [[1, 1]]])
    layers = [tropnet.Linear(np.array([[1, 0], [0, 1], [1, 1], [1, -1], [2, -1], [-1, 3]]), np.array([0, 1, 0, -1, 0, 2])),
              tropnet.GroupMax(np.array([[0, 1, 2], [3, 4, 5]]), 6),
              tropnet.Linear(np.array([[1, 2], [-1, 1]]), np.array([0, 1])), tropnet.ReLU(),
              tropnet.Linear(np.array([[1, 1]]), np.zeros(1, dtype=int))]
    maxout = tropnet.Network(layers, input_dim=2)
    for net in (relu, maxout):
        for dom in (tropnet.Box(-3, 3), None):
            for exact in (False, True):
                for kind in ("activation", "linear"):
                    serial = tropnet.count_linear_regions(net, dom, kind=kind, exact=exact)
                    for split in (1, 2):
                        got = count_parallel(net, dom, kind=kind, exact=exact, parallel=None, split_cells=split)
                        assert got == serial, (kind, exact, dom, split)


@settings(max_examples=30)
@given(data=st.data())
def test_random_integer_networks_in_tasks_equal_serial(data):
    # integer weights: many exact ties, the hard case for the float tolerance of a task
    d = data.draw(st.integers(2, 4))
    w1, w2 = data.draw(st.integers(2, 5)), data.draw(st.integers(1, 4))
    ints = st.integers(-2, 2)
    W1 = data.draw(st.lists(st.lists(ints, min_size=d, max_size=d), min_size=w1, max_size=w1))
    W2 = data.draw(st.lists(st.lists(ints, min_size=w1, max_size=w1), min_size=w2, max_size=w2))
    b1 = data.draw(st.lists(st.integers(-1, 1), min_size=w1, max_size=w1))
    b2 = data.draw(st.lists(st.integers(-1, 1), min_size=w2, max_size=w2))
    net = tropnet.Network.from_arrays([W1, W2, [[1] * w2]], [b1, b2, [0]])
    dom = data.draw(st.sampled_from([tropnet.Box(-2, 2), None]))
    exact = data.draw(st.booleans())
    kind = data.draw(st.sampled_from(["activation", "linear"]))
    split = data.draw(st.integers(1, 4))
    serial = tropnet.count_linear_regions(net, dom, kind=kind, exact=exact)
    assert count_parallel(net, dom, kind=kind, exact=exact, parallel=None, split_cells=split) == serial


def test_exact_regions_in_tasks_use_the_certified_geometry():
    from tropnet.regions.parallel import _found_parallel as _found_plan
    from tropnet.regions.plan import make_plan

    def _found_parallel(net, dom, exact, *, max_regions, progress, parallel, client, **kw):
        plan = make_plan(net, dom, exact=exact, max_regions=max_regions, progress=progress, mode="parallel",
                         parallel=parallel, client=client)
        return _found_plan(plan, **kw)

    kw = dict(max_regions=None, progress=False, parallel=None, client=None, tasks_per_worker=4,
              split_cells=5, split_work=None, parts=2, stats=None)
    net = tropnet.random_mlp([3, 5, 4, 1], seed=9)
    for dom in (tropnet.Box(-2, 2), None):
        found = _found_parallel(net, dom, True, **kw)
        assert found.vert_codes is not None  # every task certified: tight codes, no rational pass
        kw_act = dict(kind="activation", exact=True)
        assert _patterns(regions_parallel(net, dom, parallel=None, split_cells=5, **kw_act)) == _patterns(
            tropnet.linear_regions(net, dom, **kw_act))
        assert len(regions_parallel(net, dom, exact=True, parallel=None, split_cells=5)) == len(
            tropnet.linear_regions(net, dom, exact=True))
    # ties at vertices: the certified pass cannot decide, the whole run goes rational
    W1 = [[1, 0], [1, 0], [0, 1], [1, 1], [1, -1], [2, 2]]
    net = tropnet.Network.from_arrays([W1, [[1, -1, 1, 0, 1, -1], [0, 1, 1, 1, 0, 1]], [[1, 1]]])
    found = _found_parallel(net, tropnet.Box(-3, 3), True, **kw)
    assert found.vert_codes is None and len(found) == 10


def test_slices_and_local_complexity_on_dask(client):
    net = tropnet.random_mlp([6, 8, 8, 2], seed=11)
    X = np.random.default_rng(11).normal(size=(5, 6))
    pl = tropnet.Plane.through(X[0], X[1], X[2])
    for kind in ("activation", "linear"):
        serial = tropnet.count_linear_regions(net, pl, kind=kind)
        assert tropnet.count_linear_regions(net, pl, kind=kind, parallel="dask", client=client) == serial
    rs = tropnet.linear_regions(net, pl, kind="activation", parallel="dask", client=client)
    assert rs.slice is pl and rs.input_points.shape == (len(rs), 6)
    lc = tropnet.local_complexity(net, X, 0.8, parallel="dask", client=client)
    assert lc.tolist() == tropnet.local_complexity(net, X, 0.8).tolist()
    lc3 = tropnet.local_complexity(net, X, 0.8, k=3, parallel="dask", client=client)  # the H-representation path
    assert lc3.tolist() == tropnet.local_complexity(net, X, 0.8, k=3).tolist()


def test_linear_counts_with_stable_units_and_merges_equal_serial(client):
    """A linear count on Dask maps the cells in the tasks, after removing the units of one sign
    on the box (an always-active and an always-inactive unit here); where two maps come near
    (a unit the output does not read: its cells merge) the driver falls back to the merge."""
    rng = np.random.default_rng(3)
    W1, b1 = rng.normal(size=(6, 3)), rng.normal(size=6)
    b1[0], b1[1] = 50.0, -50.0  # stable on [-2, 2]^3
    W2 = rng.normal(size=(1, 6))
    dom = tropnet.Box(-2, 2)
    for zero in (False, True):
        if zero:
            W2[0, 3] = 0.0  # unit 3's hyperplane separates cells with one map
        net = tropnet.Network.from_arrays([W1, W2], [b1, [0.0]])
        serial = tropnet.count_linear_regions(net, dom)
        assert (serial < tropnet.count_linear_regions(net, dom, kind="activation")) == zero
        for split in (None, 3):
            assert count_parallel(net, dom, parallel="dask", client=client, split_cells=split) == serial
