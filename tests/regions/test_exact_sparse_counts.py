"""Exact linear counts of sparse networks (80% of the middle weights zero): on all of R^n the
cube's facets at infinity have vertices of more than ``d`` rows (a second-layer unit with one
input meets that input's hyperplane there), which the certified pass reads as exact incidences
(codes of any width) instead of handing the call to the rational pass; on planes and 2-D boxes
the exact polygon count decides the root edges its bounds do not certify from the cells' exact
maps (:func:`tropnet.regions.planar_merge.merged_count`).  Checked against the rational pass
(exact vertices, facets from exact slacks, the exact maps of every candidate)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from testnets import sparse_net

import tropnet
from tropnet import Box, Network, Plane
from tropnet.regions.exactness import Exactness
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan


def _rational(net, dom) -> int:
    """The rational pass's merge: exact vertices and facets, the exact maps of every candidate."""
    plan = make_plan(net, dom, want="count", exact=True)
    found = plan.find(Exactness(True, False, False))
    assert found.vert_codes is None
    return int(linear_labels(found).max()) + 1


def _count(net, dom) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, exact=True, progress=False)


@pytest.mark.parametrize("case", ["R^3", "R^3 deeper", "R^2", "2-D box", "plane"])
def test_sparse_counts_equal_the_rational_merge(case):
    if case == "R^3":
        net, dom = sparse_net([3, 16, 16, 1], 0), None  # bench_linear's merging([3, 16, 16, 1], "sparse")
    elif case == "R^3 deeper":
        net, dom = sparse_net([3, 8, 8, 8, 1], 2, keep=0.3), None
    elif case == "R^2":
        net, dom = sparse_net([2, 16, 16, 1], 3), None
    elif case == "2-D box":
        net, dom = sparse_net([2, 24, 24, 1], 4), Box(-5, 5)
    else:
        net = sparse_net([12, 16, 16, 2], 0)  # bench_linear's sparse plane row
        rng = np.random.default_rng(0)
        dom = Plane.through(*rng.uniform(0, 1, size=(3, 12)))
    n = _count(net, dom)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert n < tropnet.count_linear_regions(net, dom, kind="activation", exact=True, progress=False)
    if dom is None:  # the certified pass decided the call (codes kept, no rational pass)
        plan = make_plan(net, dom, want="count", exact=True)
        assert plan.find(plan.exactness).vert_codes is not None
    if isinstance(dom, Plane):
        assert n == len(tropnet.linear_regions(net, dom, exact=True, progress=False))
    else:
        assert n == _rational(net, dom)


@settings(max_examples=30, deadline=None)
@given(seed=hst.integers(0, 10**6), d=hst.sampled_from([2, 3]), w=hst.integers(3, 7),
       bounded=hst.booleans(), keep=hst.sampled_from([0.3, 0.6]))
def test_random_sparse_integer_nets(seed, d, w, bounded, keep):
    """Small integer weights (ties, vertices of more than ``d`` rows, units through the box's
    corners, zero biases), sparse middle layers: the exact count equals the rational merge."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-2, 3, size=(w, d)).astype(float)
    b1 = rng.integers(-2, 3, size=w).astype(float)
    W2 = rng.integers(-2, 3, size=(w, w)) * (rng.random((w, w)) < keep)
    b2 = rng.integers(-2, 3, size=w).astype(float)
    W3 = rng.integers(-2, 3, size=(1, w)).astype(float)
    net = Network.from_arrays([W1, W2.astype(float), W3], [b1, b2, np.zeros(1)])
    dom = Box(-2, 2) if bounded else None
    try:
        ref = _rational(net, dom)
    except ValueError:  # (a function with no cells at all)
        return
    assert _count(net, dom) == ref
