"""The certified pass decides its few signs within their bound at the exact vertex
(:meth:`tropnet.regions.vertex._Engine._exact_values`: an exact zero is a tie, as in the
rational pass) instead of setting the cells aside for the rational pass -- which, when the first
unit met a tie at a corner of the box (integer networks), was the whole domain.  Checked
against the rational pass, never the certified pass's own output."""

import pickle
import warnings
from fractions import Fraction as F

import numpy as np
import pytest
from testnets import degenerate_vertices_net, merging_net

import tropnet
from tropnet import Box, Polyhedron
from tropnet.regions import refine as R
from tropnet.regions import vertex
from tropnet.regions.exactness import Exactness
from tropnet.regions.plan import make_plan


def _rational(net, dom) -> int:
    plan = make_plan(net, dom, want="count", kind="activation", exact=True)
    return len(plan.find(Exactness(True, False, False)))


def _count(net, dom, kind="activation", exact=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind=kind, exact=exact, progress=False)


CASES = [
    ("integer box", lambda: (merging_net(0, 12, 3, scale=2), Box(-5, 5))),
    ("integer 4-D box", lambda: (merging_net(2, 8, 4, scale=2), Box(-3, 3))),
    ("integer R^3", lambda: (merging_net(1, 10, 3, scale=2), None)),
    ("degenerate vertices", lambda: (degenerate_vertices_net(3), Box(-2, 2))),
    ("polyhedron", lambda: (merging_net(1, 12, 3, scale=2),
                            Polyhedron([[1.0, 1.0, 0], [-1.0, 0.0, 1], [0.0, -1.0, -1], [0, 0, 1.0], [0, 0, -1.0]],
                                       [3.0, 3, 3, 3, 3]))),
]


@pytest.mark.parametrize("name, make", CASES, ids=[c[0] for c in CASES])
def test_counts_equal_the_rational_pass_and_nothing_is_set_aside(monkeypatch, name, make):
    net, dom = make()
    ref = _rational(net, dom)
    sent = []
    orig = R._resolve_deferred
    monkeypatch.setattr(R, "_resolve_deferred", lambda out, deferred, *a, **k: (sent.append(len(deferred)),
                                                                                 orig(out, deferred, *a, **k))[1])
    assert _count(net, dom) == ref
    assert sent == []  # no cell went to the rational pass
    assert _count(net, dom, exact=False) == ref
    # and the old route (every such cell set aside) gives the same count
    monkeypatch.setattr(vertex, "CERT_EXACT_VERTICES", 0)
    assert _count(net, dom) == ref


def test_the_first_unit_through_a_corner_of_the_box():
    # relu(x + y) and relu(x - y + 2) meet the box [-2, 2]^2 at its corners, exactly
    net = tropnet.Network.from_arrays([[[1, 1], [1, -1], [2, 1]], [[1, 1, 1]]], [[0, 2, F(1, 4)], [0]])
    stages = R.stages_from_network(net, exact=True)
    lo, hi = np.array([F(-2), F(-2)], dtype=object), np.array([F(2), F(2)], dtype=object)
    problem, state = R.refine_start(stages, 2, lo, hi, exact=True, certify=True)
    assert problem.certify
    assert R.refine_advance(problem, state) and not state.deferred
    assert len(R.refine_finish(problem, state)) == len(R.refine(stages, 2, lo, hi, exact=True)) == _rational(net, Box(-2, 2))


def test_a_problem_pickles_after_its_exact_decisions():
    # the certificate's FLINT matrices do not pickle: the problem goes to Dask workers without them
    net = merging_net(0, 12, 3, scale=2)
    stages = R.stages_from_network(net, exact=True)
    lo, hi = np.array([F(-5)] * 3, dtype=object), np.array([F(5)] * 3, dtype=object)
    problem, state = R.refine_start(stages, 3, lo, hi, exact=True, certify=True)
    R.refine_advance(problem, state)
    assert problem.cert_ties._mats  # it was used
    again = pickle.loads(pickle.dumps(problem))
    assert not again.cert_ties._mats
    p2, s2 = R.refine_start(stages, 3, lo, hi, exact=True, certify=True)
    p2.cert_ties = again.cert_ties
    R.refine_advance(p2, s2)
    assert len(R.refine_finish(p2, s2)) == len(R.refine_finish(problem, state))
