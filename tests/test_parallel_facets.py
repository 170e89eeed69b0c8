"""Dask linear counts with kept facets (issue 21): float tasks on a bounded domain keep their
cells' unit facets as bits (``KeptParts`` with ``id_cols``, as the serial streamed count keeps
them) and the driver's merge asks for those of the near groups' cells, vertex lists only where
they cannot serve.  On degenerate networks (cells that merge, non-simple vertices, duplicated
and cancelling units) the Dask counts equal the serial counts and the number of linear regions
of ``linear_regions`` (an unstreamed run and another merge path), float and exact, on a box and
on all of R^n, with tasks of a few cells in parts of a few cells; limits raise the serial
error; float region sets on Dask prune the units stable on the domain as serial ones do."""

import warnings

import numpy as np
import pytest
from testnets import degenerate_net, degenerate_vertices_net, merging_net, scaled_copies_net, unit_classes_net

from tropnet import Box, count_linear_regions, linear_regions
from tropnet.parallel import count_parallel, regions_parallel
from tropnet.regions import parallel as driver
from tropnet.regions import parallel_merge as merger
from tropnet.regions import stream
from tropnet.regions.cells import RegionLimitError
from tropnet.regions.plan import make_plan

NETS = {
    "degenerate 0": degenerate_net(0, 3, 6, 1),
    "degenerate 3": degenerate_net(3, 3, 7, 1),
    "degenerate vertices": degenerate_vertices_net(1),
    "merging": merging_net(3, 8, dup=0, unread=2, scale=2),
    "scaled copies": scaled_copies_net(2, 3, 6, [2, -1], cancel=True),
    "unit classes": unit_classes_net(1, 3, 6, 2, 3, zero_bias=True),
}


def _partition(rs) -> set:
    groups: dict = {}
    for pat, lab in zip(rs.patterns, rs.labels):
        groups.setdefault(int(lab), set()).add(np.asarray(pat, dtype=np.int32).tobytes())
    return {frozenset(g) for g in groups.values()}


@pytest.fixture
def small_parts(monkeypatch):
    """Tasks that stream in parts of at most 4 cells (several kept parts per task)."""
    monkeypatch.setattr(driver, "STREAM_CELLS", 4)


@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("dom", [Box(-2, 2), None], ids=["box", "Rn"])
def test_dask_linear_counts_equal_serial_and_linear_regions(name, exact, dom, small_parts):
    net = NETS[name]
    if exact:
        net = net.to_exact()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = count_linear_regions(net, dom, exact=exact)
        assert serial == len(linear_regions(net, dom, exact=exact))
        for split in (None, 3):
            got = count_parallel(net, dom, exact=exact, parallel=None, split_cells=split, split_work=1 << 10)
            assert got == serial, (split, got, serial)


def test_float_box_merges_ask_what_the_serial_merge_asks(monkeypatch, small_parts):
    """A float Dask count on a box asks its tasks for the unit facets (bits) of the cells of
    near groups, as the serial streamed count asks its kept parts, and for vertex lists only
    where the serial count needs them too (non-simple cells, hyperplanes of several units)."""
    asked = {"facets": 0, "cells": 0, "fill_tight": 0, "fill": 0}

    def counted(owner, name, key):
        original = getattr(owner, name)

        def fn(*a):
            asked[key] += len(a[-1])
            return original(*a)

        monkeypatch.setattr(owner, name, fn)

    counted(merger, "facets_of", "facets")
    counted(merger, "cells_of", "cells")
    counted(stream.KeptParts, "fill_tight", "fill_tight")
    counted(stream.KeptParts, "fill", "fill")
    dom = Box(-2, 2)
    for name in ("merging", "degenerate 3", "scaled copies"):
        net = NETS[name]
        asked.update(facets=0, cells=0, fill_tight=0, fill=0)
        serial = count_linear_regions(net, dom)
        cells = count_linear_regions(net, dom, kind="activation")
        wanted = dict(facets=asked["fill_tight"], cells=asked["fill"])
        assert 0 < wanted["facets"] < cells
        asked.update(facets=0, cells=0)
        assert count_parallel(net, dom, parallel=None, split_cells=3) == serial < cells
        assert {k: asked[k] for k in wanted} == wanted, name


def test_dask_linear_counts_with_kept_facets_on_two_workers(client):
    dom = Box(-2, 2)
    for name in ("merging", "degenerate vertices", "unit classes"):
        net = NETS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            serial = count_linear_regions(net, dom)
            for split in (None, 3):
                got = count_parallel(net, dom, parallel="dask", client=client, split_cells=split)
                assert got == serial == len(linear_regions(net, dom)), (name, split)


@pytest.mark.parametrize("limit", ["max_regions", "max_memory", "max_seconds"])
def test_limits_in_a_kept_facets_run_are_the_serial_errors(client, limit):
    net = NETS["merging"]
    dom = Box(-2, 2)
    cells = count_linear_regions(net, dom, kind="activation")
    value = {"max_regions": cells // 3, "max_memory": 20_000, "max_seconds": 1e-6}[limit]
    with pytest.raises(RegionLimitError) as serial:
        count_linear_regions(net, dom, **{limit: value})
    with pytest.raises(RegionLimitError) as err:  # (max_memory holds per task, as documented)
        count_parallel(net, dom, parallel="dask", client=client, **{limit: value})
    assert type(err.value) is type(serial.value) and err.value.limit == serial.value.limit == limit
    assert limit in str(err.value) and 0 <= err.value.reached["cells"] <= cells
    if limit == "max_regions":
        assert cells // 3 < err.value.reached["cells"]


@pytest.mark.parametrize("name", ["degenerate 0", "merging", "scaled copies"])
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_dask_region_sets_prune_stable_units_as_serial(name, kind, monkeypatch):
    """Float region sets on a bounded domain: the Dask plan removes the units of one sign on the
    domain before its tasks run (not only the units 0 everywhere), as the serial plan does, and
    its region sets equal serial ones."""
    net = NETS[name]
    dom = Box(-0.3, 0.3)  # a small box: units of integer weights and biases keep one sign
    serial_plan = make_plan(net, dom, want="regions", kind=kind)
    serial = serial_plan.run()
    pruned = []
    prune = driver.make_plan  # (the driver's plans: their stable units after the run)

    def recorded(*a, **k):
        plan = prune(*a, **k)
        pruned.append(plan)
        return plan

    monkeypatch.setattr(driver, "make_plan", recorded)
    got = regions_parallel(net, dom, kind=kind, parallel=None, split_cells=3)
    assert len(got) == len(serial) and _partition(got) == _partition(serial)
    (plan,) = pruned
    assert plan.stable.num_stable == serial_plan.stable.num_stable
    assert plan.stable.num_stable > 0  # (units stable on the box, not 0 everywhere)
