"""Stable intersection of plane tropical curves: Bézout/Bernstein counts, the textbook cases, and the
non-transverse rule checked against the limit of generic perturbations (an independent route)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

import tropnet
from tropnet import TropicalPolynomial, mixed_area, stable_intersection

from .strategies import plane_curve

x, y = tropnet.variables("x y")
LINE = x + y + 0
CONIC = x**2 + y**2 + 0 + (x * y) * 1 + x * 1 + y * 1


def _total(pts):
    return sum(m for _, m in pts)


def _shift(p, v):
    """q(x) = p(x - v): the curve translated by v (exact)."""
    E, c = p.exponents, p.coefficients
    return TropicalPolynomial(E, [c[i] - E[i, 0] * v[0] - E[i, 1] * v[1] for i in range(len(c))], p.variables)


def test_two_generic_lines_meet_once():
    pts = stable_intersection(LINE, x + y * 1 + 2)
    assert [(p.tolist(), m) for p, m in pts] == [([1, 1], 1)]


def test_line_and_conic_meet_twice():
    pts = stable_intersection(_shift(LINE, (F(1, 3), F(-1, 5))), CONIC)
    assert _total(pts) == 2 == mixed_area(LINE, CONIC)
    # through the conic's vertex: one point of multiplicity 2 (not transverse)
    assert [(p.tolist(), m) for p, m in stable_intersection(LINE, CONIC)] == [([0, 0], 2)]


def test_two_conics_meet_four_times():
    other = _shift(CONIC, (F(2, 7), F(1, 3)))
    assert _total(stable_intersection(CONIC, other)) == 4 == mixed_area(CONIC, other)
    # a conic with itself: stably, its four vertices (each dual to a unimodular triangle)
    pts = stable_intersection(CONIC, CONIC)
    assert sorted(tuple(p.tolist()) for p, _ in pts) == [(-1, -1), (0, 0), (0, 1), (1, 0)]
    assert {m for _, m in pts} == {1}
    # max(0, 2x, 2y) twice: the one vertex, multiplicity MV(2*Delta, 2*Delta) = 4
    assert [(p.tolist(), m) for p, m in stable_intersection(x**2 + y**2 + 0, x**2 + y**2 + 0)] == [([0, 0], 4)]


def test_classical_lines_and_parallel_lines():
    # max(0, x) and max(0, y): the axes meet once; max(0, x + y) meets the tropical line twice
    assert [(p.tolist(), m) for p, m in stable_intersection(x + 0, y + 0)] == [([0, 0], 1)]
    assert [(p.tolist(), m) for p, m in stable_intersection(x * y + 0, LINE)] == [([0, 0], 2)]
    assert stable_intersection(x * y + 0, x * y * 1 + 0) == [] and mixed_area(x * y + 0, x * y + 1) == 0
    pts = stable_intersection(x**2 + x * 1 + 0, y**2 + y * 2 + 0)  # two vertical and two horizontal lines
    assert sorted(tuple(p.tolist()) for p, _ in pts) == [(-1, -2), (-1, 2), (1, -2), (1, 2)]
    moved = stable_intersection(x + 0, _shift(CONIC, (F(1, 7), F(2, 9))))
    assert _total(moved) == 2 == mixed_area(x + 0, CONIC)


def test_line_with_itself_is_its_vertex():
    assert [(p.tolist(), m) for p, m in stable_intersection(LINE, LINE)] == [([0, 0], 1)]


@pytest.mark.parametrize("seed", range(5))
def test_bernstein_count_and_perturbation_limit(seed):
    """Total multiplicity = mixed area; and each stable point is the limit of the transverse points
    of p and a small generic translate of q, with the multiplicities adding up."""
    rng = np.random.default_rng(seed)
    p, q = plane_curve(rng, int(rng.integers(1, 4)), 3, 9), plane_curve(rng, int(rng.integers(1, 4)), 3, 9)
    pts = stable_intersection(p, q)
    assert _total(pts) == mixed_area(p, q)
    eps = F(1, 10**6)
    moved = stable_intersection(p, _shift(q, (eps, eps * F(31, 17))))
    assert _total(moved) == _total(pts)
    for pt, m in pts:
        near = [mm for pp, mm in moved if max(abs(pp[0] - pt[0]), abs(pp[1] - pt[1])) < 100 * eps]
        assert sum(near) == m


def test_non_transverse_cases_agree_with_the_perturbation_limit():
    # a vertex of one curve on an edge of the other, and collinear overlapping edges
    for p, q in [(LINE, x + y + 1), (LINE, _shift(LINE, (0, 1))), (CONIC, _shift(LINE, (F(1, 2), 0)))]:
        pts = stable_intersection(p, q)
        moved = stable_intersection(p, _shift(q, (F(1, 10**6), F(3, 10**6))))
        assert _total(pts) == _total(moved) == mixed_area(p, q)
        for pt, m in pts:
            assert sum(mm for pp, mm in moved if max(abs(pp - pt)) < F(1, 10**4)) == m


def test_min_plus_curves_meet_in_the_negated_points():
    pts = stable_intersection(LINE, CONIC * F(1, 3))
    mins = stable_intersection(LINE.to_min_plus(), (CONIC * F(1, 3)).to_min_plus())
    assert sorted((tuple(-p), m) for p, m in pts) == sorted((tuple(p), m) for p, m in mins)
    with pytest.raises(ValueError, match="max-plus and a min-plus"):
        stable_intersection(LINE, CONIC.to_min_plus())


def test_float_input_gives_float_points():
    pts = stable_intersection(LINE.to_float(), x + y * 1.0 + 2)
    assert pts[0][0].dtype == np.float64 and pts[0][0].tolist() == [1.0, 1.0]


def test_bad_input():
    a, b, c = tropnet.variables("a b c")
    with pytest.raises(ValueError, match="3 and 2 variables"):
        stable_intersection(a + b + c + 0, LINE)
    (t,) = tropnet.variables("t")
    with pytest.raises(ValueError, match="1 and 1 variables"):
        stable_intersection(t + 0, t + 1)
    with pytest.raises(TypeError, match="TropicalPolynomial"):
        stable_intersection(LINE, "max(x, y)")
    with pytest.raises(ValueError, match="2 variables"):
        mixed_area(LINE, t + 0)
