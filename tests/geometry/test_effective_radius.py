"""Effective radius: every region meets the box; the exact radius is the smallest such."""

from fractions import Fraction

import numpy as np
import pytest

import tropnet
from tropnet import Box
from tropnet.regions.radius import effective_radius


def _nets():
    return [tropnet.random_mlp([2, 3, 1], seed=s) for s in range(3)] + [
        tropnet.random_mlp([2, 2, 2, 1], seed=5)
    ]


def _rationals():
    x, y = tropnet.variables("x y")
    return [
        (x * 2 + y + 1 + x * y) / (x + 0),
        (x + y * Fraction(1, 2) + (-3)) / (y * 2 + x + 1),
        tropnet.TropicalPolynomial([[0], [1], [2]], [0, -1, 0]),
    ]


def _dist(A, b, c):
    from scipy.optimize import linprog

    n = len(c)
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    res = linprog(
        np.r_[np.zeros(n), 1.0],
        A_ub=np.block(
            [[A, np.zeros((len(b), 1))], [np.eye(n), -np.ones((n, 1))], [-np.eye(n), -np.ones((n, 1))]]
        ),
        b_ub=np.r_[b, c, -c],
        bounds=[(None, None)] * n + [(0, None)],
        method="highs",
    )
    return res.fun


@pytest.mark.parametrize("obj", _nets() + _rationals())
@pytest.mark.parametrize("kind", ["linear", "activation"])
def test_every_region_meets_both_boxes(obj, kind):
    n = obj.input_dim if isinstance(obj, tropnet.Network) else obj.nvars
    c = np.linspace(-0.5, 0.7, n)
    r_exact = effective_radius(obj, center=c, method="exact", kind=kind)
    r_hoff = effective_radius(obj, center=c, kind=kind)
    assert r_hoff >= r_exact - 1e-9
    worst = 0.0
    for reg in tropnet.linear_regions(obj, kind=kind):
        d = min(_dist(cell.A, cell.b, c) for cell in reg.cells)
        assert d <= r_exact + 1e-7
        worst = max(worst, d)
    assert worst == pytest.approx(r_exact, abs=1e-7)  # the smallest such radius


@pytest.mark.parametrize("obj", _nets() + _rationals()[:2])
def test_activation_count_in_box_around_radius(obj):
    n = obj.input_dim if isinstance(obj, tropnet.Network) else obj.nvars
    total = tropnet.count_linear_regions(obj, kind="activation")
    r = effective_radius(obj, method="exact", kind="activation")
    big = 1.01 * r + 1e-6
    assert tropnet.count_linear_regions(obj, Box(-big, big), kind="activation") == total
    if r > 1e-6:
        small = 0.99 * r
        assert tropnet.count_linear_regions(obj, Box(-small, small), kind="activation") < total
    r_h = effective_radius(obj, kind="activation")
    assert (
        tropnet.count_linear_regions(obj, Box(-1.01 * r_h - 1e-6, 1.01 * r_h + 1e-6), kind="activation")
        == total
    )
    del n


def test_exact_mode_is_rational_and_agrees():
    r = _rationals()[0]
    e = effective_radius(r, method="exact", exact=True)
    h = effective_radius(r, exact=True)
    assert isinstance(e, Fraction) and isinstance(h, Fraction)
    assert float(e) == pytest.approx(effective_radius(r, method="exact"))
    assert float(h) == pytest.approx(effective_radius(r))
    assert h >= e


def test_known_polynomial_radius():
    # max(0, x - 1, 2x): the cells x < 0 and x > 0 touch the origin; from x0 = 3 the cell x < 0 is
    # at distance 3, and the Hoffman bound is H (=1) times the gap 6 - 0.
    p = _rationals()[2]
    assert effective_radius(p, center=[3], method="exact", exact=True) == 3
    assert effective_radius(p, center=[3], exact=True) == 6


def test_bad_arguments():
    net = _nets()[0]
    with pytest.raises(ValueError, match="method"):
        effective_radius(net, method="nope")
    with pytest.raises(ValueError, match="kind"):
        effective_radius(net, kind="nope")
    with pytest.raises(ValueError, match="center"):
        effective_radius(net, center=[0, 0, 0])
    with pytest.raises(TypeError, match="Network"):
        effective_radius(np.eye(2))


def test_rational_map():
    from tropnet.geometry.hoffman import hoffman_constant

    x, y = tropnet.variables("x y")
    f = tropnet.TropicalRationalMap([(x * 2 + y + 1) / (y + 0), x + y * 2 + (-1)])
    h = hoffman_constant(f)
    # a joint cell's system contains each output's block, so H(map) >= H(each output)
    assert h >= hoffman_constant(f[0]) - 1e-9 and h >= hoffman_constant(f[1]) - 1e-9
    r_exact = effective_radius(f, method="exact")
    assert effective_radius(f) >= r_exact - 1e-9
    for reg in tropnet.linear_regions(f):
        assert min(_dist(c.A, c.b, np.zeros(2)) for c in reg.cells) <= r_exact + 1e-7


def test_estimate_on_the_auto_domain():
    # the "auto" box meets every region, so the estimate is a lower bound of the count on R^n
    net = tropnet.random_mlp([2, 4, 1], seed=1)
    total = tropnet.count_linear_regions(net, kind="activation")
    est = tropnet.estimate_linear_regions(net, "auto", 20000)
    assert 0 < est <= total
    r = (tropnet.variables("x y")[0] + 0) / (tropnet.variables("x y")[1] + 1)
    assert 0 < tropnet.estimate_linear_regions(r, "auto", 5000, kind="linear") <= tropnet.count_linear_regions(r)
