"""Domains: degenerate but valid inequalities (issue 18)."""

from __future__ import annotations

import math

import tropnet
from tropnet import Polyhedron


def test_zero_rows_with_nonnegative_b_are_all_of_rn():
    P = Polyhedron([[0.0]], [0.0])          # 0 * x <= 0: every x
    assert math.isinf(P.check())
    net = tropnet.random_mlp([1, 4, 1], seed=1)
    assert tropnet.count_linear_regions(net, P) == tropnet.count_linear_regions(net)
    Q = Polyhedron([[0, 0], [1, 0]], [3, 1])  # a zero row next to x <= 1
    net2 = tropnet.random_mlp([2, 4, 1], seed=1)
    assert tropnet.count_linear_regions(net2, Q) == tropnet.count_linear_regions(net2, Polyhedron([[1, 0]], [1]))
