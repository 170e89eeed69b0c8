"""The exact linear merge of a certified run (tight codes): neighbouring cells whose maps the
float groups put together are shown equal without arithmetic where the unit between them
reaches no output (:func:`tropnet.regions.map_groups.silent_units`), else by their exact maps;
on a bounded domain the stable units are pruned first (the codes renumbered,
:func:`tropnet.regions.stable.expand_codes`).  Checked against the rational pass (exact
vertices, the exact maps of every candidate, no codes, no pruning), the float count, and the
exact maps themselves."""

import warnings

import numpy as np
import pytest
from testnets import activated, merging_net, sparse_net

import tropnet
from tropnet import Box, Plane
from tropnet.regions.affine import cell_affine
from tropnet.regions.exactness import Exactness
from tropnet.regions.geometry import linear_labels
from tropnet.regions.map_groups import silent_units
from tropnet.regions.plan import make_plan
from tropnet.regions.program import stages_from_network


def _rational(net, dom) -> int:
    """The rational pass's merge: exact vertices and facets, the exact maps of every candidate."""
    plan = make_plan(net, dom, want="count", exact=True)
    found = plan.find(Exactness(True, False, False))
    assert found.vert_codes is None
    return int(linear_labels(found).max()) + 1


@pytest.mark.parametrize("case", ["4-D box", "3-D box", "R^3", "plane", "leaky box", "scaled duplicate"])
def test_exact_counts_equal_the_rational_merge(case):
    if case == "4-D box":
        net, dom = sparse_net([4, 10, 10, 1], 0), Box(-4, 4)
    elif case == "3-D box":
        net, dom = sparse_net([3, 12, 12, 12, 2], 1, keep=0.3), Box(-3, 3)
    elif case == "R^3":
        net, dom = sparse_net([3, 10, 10, 1], 2), None
    elif case == "plane":
        net = sparse_net([5, 12, 12, 1], 3)
        dom = Plane.through([0.0] * 5, [1.0, 0.5, 0, -1, 0.2], [0.0, 1, 1, 0.5, -0.3])
    elif case == "leaky box":
        net, dom = activated(sparse_net([3, 10, 10, 1], 4), "leaky"), Box(-3, 3)
    else:
        net, dom = merging_net(1, 8, scale=2), Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom, exact=True, progress=False)
        cells = tropnet.count_linear_regions(net, dom, kind="activation", exact=True, progress=False)
        assert n < cells  # cells really merge
        assert n == tropnet.count_linear_regions(net, dom, progress=False)  # the float merge
        assert n == len(tropnet.linear_regions(net, dom, exact=True, progress=False))
    if not isinstance(dom, Plane):
        assert n == _rational(net, dom)


@pytest.mark.parametrize("seed", range(6))
def test_silent_units_have_equal_exact_maps_across(seed):
    """Any pattern (feasible or not) and any unit: where the unit is called silent, the exact maps
    of the pattern and of the pattern with that unit flipped are equal; and a unit with a
    nonzero exact map difference is never called silent."""
    rng = np.random.default_rng(seed)
    net = sparse_net([3, 8, 8, 2], seed, keep=0.3)
    if seed % 2:
        net = activated(net, "leaky" if seed % 3 else "threshold")
    st = stages_from_network(net, exact=True)
    P = rng.integers(0, 2, size=(200, 16)).astype(np.int32)
    cols = rng.integers(0, 16, size=200)
    silent = silent_units(st, P, np.arange(200), cols)
    Q = P.copy()
    Q[np.arange(200), cols] ^= 1
    N = cell_affine(st, np.concatenate([P, Q]), 3, exact=True).map_numerators().reshape(400, -1)
    equal = (N[:200] == N[200:]).all(axis=1)
    assert silent.any() and (equal[silent]).all()
    # without cancellations (random float weights) equal maps are silent units too
    assert (silent == equal).all()


def test_stable_units_pruned_in_an_exact_count():
    """A small box where most units keep one sign: the exact count prunes them (renumbering the
    codes) and equals the rational merge of the full program."""
    net = sparse_net([3, 12, 12, 1], 5, keep=0.4)
    dom = Box([0.5, -0.5, 0.0], [2.0, 1.0, 1.5])
    plan = make_plan(net, dom, want="count", exact=True)
    plan._prune_stable()
    assert plan.stable is not None and plan.stable.num_stable > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom, exact=True, progress=False)
    assert n == _rational(net, dom)


def test_an_exact_2d_count_skips_the_certificate_float_mode_cannot_give():
    """A 2-D box: where cells merge across root edges only, the float certificate fails there and
    the float count decides their stretches, so the exact count does too (its answer that of the
    rational pass); a random network certifies in float and exactly, and its exact linear count
    is its activation count."""
    merging = sparse_net([2, 32, 32, 1], 1)  # 64 units: the count runs the float certificate first
    plan = make_plan(merging, Box(-4, 4), want="count", exact=True)
    assert plan._float_certifies()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(merging, Box(-4, 4), exact=True, progress=False)
        assert n < tropnet.count_linear_regions(merging, Box(-4, 4), kind="activation", exact=True)
    assert n == _rational(merging, Box(-4, 4)) == plan._count_exact_planar_linear(precheck=True)
    generic = tropnet.random_mlp([2, 40, 40, 1], seed=6)
    plan = make_plan(generic, Box(-4, 4), want="count", exact=True)
    assert plan._float_certifies()
    assert plan._count_exact_planar_linear(precheck=True) == tropnet.count_linear_regions(
        generic, Box(-4, 4), kind="activation", exact=True)


def test_a_polyhedron_row_through_a_corner_of_its_box():
    """The triangle x + y <= 3, y - 10 x <= 20, x - 10 y <= 25 (rational corners): its padded
    bounding box [-4, 7] x [-4, 6] had the corner (7, -4) on the line x + y = 3, a tie the
    certified pass cannot clip (the whole count went to the rational pass, 7 s for
    [2, 64, 64, 1]).  The box is grown until no row meets a corner; the counts equal the rational
    pass's and the float ones."""
    from fractions import Fraction

    from tropnet import Polyhedron
    from tropnet.regions.domains import enclosing_box

    A = np.array([[1, 1], [-1, Fraction(1, 10)], [Fraction(1, 10), -1]], dtype=object)
    b = np.array([3, 2, Fraction(5, 2)], dtype=object)
    lo, hi = enclosing_box(("poly", A, b), True)
    corners = [(x, y) for x in (lo[0], hi[0]) for y in (lo[1], hi[1])]
    assert all(A[r].dot(c) != b[r] for r in range(3) for c in corners)
    tri = Polyhedron(A, b)
    net = tropnet.random_mlp([2, 10, 10, 1], seed=0)
    plan = make_plan(net, tri, want="count", kind="activation", exact=True)
    rational = len(plan.find(Exactness(True, False, False)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("activation", "linear"):
            n = tropnet.count_linear_regions(net, tri, kind=kind, exact=True, progress=False)
            assert n == tropnet.count_linear_regions(net, tri, kind=kind, progress=False)
            if kind == "activation":
                assert n == rational
