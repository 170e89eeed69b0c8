"""The H-representation engine on Dask (:func:`tropnet.regions.hrep_parts.run_hrep_plan`): float
runs on boxes above 12 inputs, exact activation and linear counts on boxes and polyhedra above
16, their engine in parts (the first cutting stages on the driver, the rest in tasks), the
same answers as serial.  The route is forced on small networks by lowering the cutoffs (the
plan reads them on the driver); the serial reference runs the vertex engine at these sizes (an
independent implementation), and limits raise the serial ``RegionLimitError``."""

import numpy as np
import pytest
from testnets import merging_mlp, scaled_copies_net, unit_classes_net

import tropnet
from tropnet import Box, Polyhedron, RegionLimitError, random_mlp
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions import plan as _plan
from tropnet.regions.plan import make_plan


def _low_exact_cutoff(monkeypatch, dim=2):
    """Exact runs above ``dim`` inputs take the H-representation engine, on Dask too."""
    monkeypatch.setattr(_plan._hrep, "EXACT_MAX_DIM", dim)


EXACT_NETS = [
    random_mlp([4, 6, 6, 1], seed=0),
    scaled_copies_net(0, 3, 6, [2, -1], cancel=True),  # cells of one map, joined across exact facets
    unit_classes_net(2, 4, 6, 2, 3, zero_bias=True),  # exact ties, units zero on whole cells
    merging_mlp([5, 8, 8, 1], "sparse", 3),
]


@pytest.mark.parametrize("k", range(len(EXACT_NETS)))
def test_exact_counts_on_dask_above_the_cutoff_equal_the_serial_vertex_engine(k, monkeypatch):
    net = EXACT_NETS[k]
    dom = Box(-1, 1)
    serial = {kind: tropnet.count_linear_regions(net, dom, kind=kind, exact=True) for kind in ("activation", "linear")}
    _low_exact_cutoff(monkeypatch)
    for kind in ("activation", "linear"):
        assert make_plan(net, dom, want="count", kind=kind, exact=True, mode="parallel").engine == "hrep"
        stats: dict = {}
        assert count_parallel(net, dom, kind=kind, exact=True, parallel=None, stats=stats) == serial[kind]
        assert stats["tasks"] > 1  # in parts, not one task


def test_exact_counts_on_dask_on_a_polyhedron_equal_serial(monkeypatch):
    d = 4
    simplex = Polyhedron(np.vstack([-np.eye(d), np.ones((1, d))]), np.r_[np.ones(d), 1.0])
    net = scaled_copies_net(1, d, 6, [2], cancel=True)
    serial = [tropnet.count_linear_regions(net, simplex, kind=kind, exact=True) for kind in ("activation", "linear")]
    _low_exact_cutoff(monkeypatch)
    got = [count_parallel(net, simplex, kind=kind, exact=True, parallel=None) for kind in ("activation", "linear")]
    assert got == serial


def test_exact_linear_counts_above_16_inputs_run_on_dask():
    net = random_mlp([17, 4, 4, 1], seed=0)
    dom = Box(-1, 1)
    serial = tropnet.count_linear_regions(net, dom, exact=True)
    assert count_parallel(net, dom, exact=True, parallel=None) == serial
    with pytest.raises(ValueError, match="at most 16 input dimensions"):  # R^n: still refused
        count_parallel(net, None, exact=True, parallel=None)


@pytest.mark.parametrize("seed", range(3))
def test_float_hrep_counts_and_regions_on_dask_boxes_equal_serial(seed, force_hrep):
    net = merging_mlp([4, 8, 8, 1], "sparse", seed) if seed else random_mlp([5, 8, 6, 1], seed=seed)
    dom = Box(-1, 1)
    ref = {kind: tropnet.count_linear_regions(net, dom, kind=kind) for kind in ("activation", "linear")}
    rs_ref = tropnet.linear_regions(net, dom, kind="linear")
    force_hrep()
    for kind in ("activation", "linear"):
        assert make_plan(net, dom, want="count", kind=kind, mode="parallel").engine == "hrep"
        stats: dict = {}
        assert count_parallel(net, dom, kind=kind, parallel=None, stats=stats) == ref[kind]
        assert stats["tasks"] > 1
    rs = regions_parallel(net, dom, parallel=None)
    assert len(rs) == len(rs_ref) == ref["linear"]
    assert sorted(map(tuple, rs.patterns.tolist())) == sorted(map(tuple, rs_ref.patterns.tolist()))


def test_limits_in_parts_raise_the_serial_error(monkeypatch, force_hrep):
    net = random_mlp([4, 8, 8, 1], seed=1)
    dom = Box(-1, 1)
    n = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
    _low_exact_cutoff(monkeypatch)
    for kind in ("activation", "linear"):
        with pytest.raises(RegionLimitError, match="more than") as err:
            count_parallel(net, dom, kind=kind, exact=True, parallel=None, max_regions=n // 3)
        assert err.value.limit == "max_regions" and err.value.reached["cells"] > n // 3
    force_hrep()
    with pytest.raises(RegionLimitError, match="max_seconds") as err:
        count_parallel(net, dom, kind="activation", parallel=None, max_seconds=1e-9)
    assert err.value.limit == "max_seconds"


def test_on_two_workers(client, monkeypatch, force_hrep):
    net = scaled_copies_net(0, 4, 8, [2, -1], cancel=True)
    dom = Box(-1, 1)
    serial = {kind: tropnet.count_linear_regions(net, dom, kind=kind, exact=True) for kind in ("activation", "linear")}
    fl = tropnet.count_linear_regions(net, dom)
    _low_exact_cutoff(monkeypatch)
    for kind in ("activation", "linear"):
        assert count_parallel(net, dom, kind=kind, exact=True, client=client) == serial[kind]
    with pytest.raises(RegionLimitError, match="more than"):
        count_parallel(net, dom, kind="linear", exact=True, client=client, max_regions=serial["activation"] // 3)
    force_hrep()
    assert count_parallel(net, dom, client=client) == fl


@pytest.mark.parametrize("k", range(3))
def test_float_hrep_on_all_of_rn_runs_its_pieces_as_tasks(k, force_hrep):
    """All of R^n on the H-representation engine: its one piece, the homogenised cube in
    ``n + 1`` coordinates (``domains.homogenised_cube``), runs in parts as tasks, and the counts
    and region sets equal the serial vertex engine's."""
    net = [random_mlp([4, 6, 6, 1], seed=0), merging_mlp([3, 8, 8, 1], "sparse", 1),
           unit_classes_net(2, 3, 6, 2, 3)][k]
    ref = {kind: tropnet.count_linear_regions(net, kind=kind) for kind in ("activation", "linear")}
    rs_ref = tropnet.linear_regions(net)
    force_hrep()
    for kind in ("activation", "linear"):
        assert make_plan(net, None, want="count", kind=kind, mode="parallel").engine == "hrep"
        for tasks_per_worker in (1, 4):  # one piece in 4 or 16 parts
            stats: dict = {}
            got = count_parallel(net, None, kind=kind, parallel=None, stats=stats, tasks_per_worker=tasks_per_worker)
            assert got == ref[kind], (kind, tasks_per_worker)
            assert stats["pieces"] == 1 and stats["tasks"] > 1
    rs = regions_parallel(net, None, parallel=None)
    assert len(rs) == len(rs_ref) == ref["linear"]
    assert sorted(map(tuple, rs.patterns.tolist())) == sorted(map(tuple, rs_ref.patterns.tolist()))


def test_float_hrep_on_all_of_rn_limits_and_two_workers(client, force_hrep):
    net = random_mlp([3, 6, 6, 1], seed=2)
    n = tropnet.count_linear_regions(net, kind="activation")
    lin = tropnet.count_linear_regions(net)
    force_hrep()
    assert count_parallel(net, None, kind="activation", client=client) == n
    assert count_parallel(net, None, client=client) == lin
    for limit, value in (("max_regions", n // 3), ("max_seconds", 1e-9)):
        with pytest.raises(RegionLimitError) as serial:
            tropnet.count_linear_regions(net, kind="activation", **{limit: value})
        with pytest.raises(RegionLimitError) as err:
            count_parallel(net, None, kind="activation", client=client, **{limit: value})
        assert err.value.limit == serial.value.limit == limit
