"""The plan of a call: which engine, exactness, domain pieces and mode a representative call
chooses (its repr says so), and that running the plan is the public call."""

import numpy as np
import pytest

import tropnet
from tropnet import Box, Polyhedron, random_mlp
from tropnet.geometry.groups import symmetric_group
from tropnet.regions import hrep
from tropnet.regions.api import run_plan
from tropnet.regions.plan import make_plan


def test_2d_box_float_count_uses_the_planar_count():
    net = random_mlp([2, 8, 8, 1], seed=0)
    plan = make_plan(net, Box(-10, 10), want="count", kind="activation")
    assert repr(plan) == (
        "Plan(count activation: engine='planar count', exactness='float', domain='box', mode='serial')"
    )
    assert plan.run() == 105 == tropnet.count_linear_regions(net, Box(-10, 10), kind="activation")


def test_2d_box_exact_count_counts_the_last_layer():
    plan = make_plan(random_mlp([2, 6, 6, 1], seed=1), Box(-3, 3), want="count", kind="activation", exact=True)
    assert plan.engine == "planar last layer"
    assert plan.exactness.name == "certified float -> rational"


def test_nd_exact_regions_use_the_certified_codes():
    net = random_mlp([3, 5, 1], seed=2)
    plan = make_plan(net, Box(-2, 2), exact=True)
    assert repr(plan) == (
        "Plan(regions linear: engine='vertex', exactness='certified float with tight codes -> rational', "
        "domain='box', mode='serial')"
    )
    rs = plan.run()
    assert len(rs) == len(tropnet.linear_regions(net, Box(-2, 2), exact=True))
    assert rs._vert_facets is not None  # the certified geometry decided it


def test_all_of_rn_runs_on_the_facets_of_the_homogenised_cube():
    net = random_mlp([2, 4, 1], seed=1)
    plan = make_plan(net, None, want="count")
    assert plan.domain.kind == "cube facets" and len(plan.domain.pieces) == 5
    assert "domain='5 facets of the homogenised cube'" in repr(plan)
    assert plan.engine == "vertex"  # planar polygons need a bounded domain
    assert plan.run() == tropnet.count_linear_regions(net)


def test_bounded_polyhedron_runs_in_its_bounding_box():
    dom = Polyhedron(np.array([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]), np.array([1.0, 0.0, 0.0]))
    plan = make_plan(random_mlp([2, 4, 1], seed=1), dom)
    assert plan.engine == "planar" and plan.domain.kind == "bounded polyhedron"
    assert plan.domain.pieces[0].halfspaces is not None and not plan.domain.pieces[0].box_is_domain


def test_parallel_plans_name_the_driver():
    net = random_mlp([2, 6, 1], seed=3)
    plan = make_plan(net, None, want="count", kind="activation", parallel="local")
    assert plan.mode == "parallel" and plan.engine == "vertex"
    assert repr(plan).endswith("mode='parallel (local)')")
    inproc = make_plan(net, None, want="count", kind="activation", mode="parallel")
    assert "tasks in this process" in repr(inproc)
    assert run_plan(inproc) == tropnet.count_linear_regions(net, kind="activation") == 22
    with pytest.raises(ValueError, match="cannot be combined"):
        make_plan(net, None, parallel="local", symmetry=symmetric_group(2))
    with pytest.raises(ValueError, match="serial tropnet.regions.api.run_plan|runs through"):
        plan.run()


def test_symmetric_plans_go_to_the_fundamental_domain():
    x, y = tropnet.variables("x y")
    plan = make_plan(x + y + 0, want="count", symmetry=symmetric_group(2))
    assert repr(plan) == (
        "Plan(count linear: engine='by the symmetric driver', exactness='float', "
        "domain='fundamental domain', mode='symmetric')"
    )
    assert run_plan(plan) == 3


def test_hrep_above_twelve_inputs_float_only():
    net = random_mlp([13, 3, 1], seed=0)
    plan = make_plan(net, Box(-100, 100), want="count", kind="activation")
    assert plan.engine == "hrep" and hrep.HREP_DIM == 12
    assert plan.run() == 8
    assert make_plan(net, Box(-100, 100), exact=True).engine == "vertex"


def test_bad_kind_and_want_are_named():
    net = random_mlp([2, 3, 1])
    with pytest.raises(ValueError, match="kind must be"):
        make_plan(net, kind="cells")
    with pytest.raises(ValueError, match="want must be"):
        make_plan(net, want="volume")


def test_float_count_cutoffs_by_domain():
    # hrep.HREP_COUNT_DIMS: boxes and bounded polyhedra take the H-rep engine from 9 inputs, all of
    # R^n and unbounded polyhedra (the cube's facets) from 10; region sets from 13 everywhere
    for d, dom, engine in ((9, Box(-1, 1), "hrep"), (9, None, "vertex"), (10, None, "hrep"),
                           (9, Polyhedron([[1.0] + [0.0] * 8], [0.0]), "vertex"), (8, Box(-1, 1), "vertex")):
        net = tropnet.random_mlp([d, 4, 1], seed=0)
        assert make_plan(net, dom, want="count", kind="activation").engine == engine, (d, dom)
        assert make_plan(net, dom, want="count").engine == engine
        assert make_plan(net, dom).engine == "vertex"
