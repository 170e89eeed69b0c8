"""Decision boundaries with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import tropnet
from tropnet.complex.boundary import decision_boundary


def _two_ells() -> tropnet.Network:
    # f = max(x, y) - max(0, x + y - 1) = relu(x - y) + relu(y) - relu(-y) - relu(x + y - 1)
    return tropnet.Network.from_arrays(
        [[[1, -1], [0, 1], [0, -1], [1, 1]], [[1, 1, -1, -1]]], [[0, 0, 0, -1], [0]]
    )


@pytest.mark.parametrize("exact", [True, False])
def test_abs_minus_one_is_two_points(exact: bool) -> None:
    net = tropnet.Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [-1]])
    db = decision_boundary(net, exact=exact)
    assert db.f_vector() == (2,) and db.num_components == 2 and db.betti_numbers() == (2,)
    assert sorted(float(p[0]) for p in db.complex.faces(0).points) == [-1.0, 1.0]
    assert db.measure() == 2


def test_touching_level_is_found() -> None:
    # |x| - 1 >= -1 touches the level -1 only at 0 (no sign change: a facet test would miss it)
    net = tropnet.Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [-1]])
    db = decision_boundary(net, level=-1, exact=True)
    assert db.f_vector() == (1,) and str(db.complex.faces(0).points[0][0]) == "0"


@pytest.mark.parametrize("exact", [True, False])
def test_max_minus_max_has_two_ells(exact: bool) -> None:
    net = _two_ells()
    db = decision_boundary(net, exact=exact)  # rays from (0,0) to -x, -y and from (1,1) to +x, +y
    assert db.f_vector() == (2, 4) and db.num_components == 2 and db.betti_numbers() == (2, 0)
    assert not db.complex.faces(1).bounded.any()
    assert sorted(tuple(float(v) for v in p) for p in db.complex.faces(0).points) == [(0, 0), (1, 1)]
    assert db.measure() in (math.inf, sympy.oo)
    box = decision_boundary(net, tropnet.Box(-2, 2), exact=exact)
    assert box.f_vector() == (6, 4) and box.betti_numbers() == (2, 0)
    assert float(box.measure()) == pytest.approx(6.0, rel=1e-12)
    if exact:
        assert box.measure() == 6


@pytest.mark.parametrize("exact", [True, False])
def test_diamond_is_a_closed_polygon(exact: bool) -> None:
    net = tropnet.Network.from_arrays(
        [[[1, 0], [0, 1], [-1, 0], [0, -1]], [[1, 1, 1, 1]]], [[0, 0, 0, 0], [-1]]
    )  # |x| + |y| = 1
    db = decision_boundary(net, exact=exact)
    assert db.f_vector() == (4, 4) and db.betti_numbers() == (1, 1) == db.betti_numbers("Q")
    assert db.num_components == 1
    m = db.measure()
    assert (m == 4 * sympy.sqrt(2)) if exact else m == pytest.approx(4 * math.sqrt(2))


def test_a_network_with_a_closed_boundary() -> None:
    # a 2-D ReLU network: f = 2 - relu(x) - relu(-x) - relu(y) - relu(-y + 1) ... (a quadrilateral)
    net = tropnet.Network.from_arrays(
        [[[1, 0], [-1, 0], [0, 1], [0, -1]], [[-1, -2, -1, -1]]], [[0, 0, 0, 0], [2]]
    )
    for exact in (True, False):
        db = decision_boundary(net, exact=exact)
        assert db.betti_numbers() == (1, 1) and db.num_components == 1 and db.complex.faces(1).bounded.all()
    # vertices: (2, 0), (0, 2), (-1, 0), (0, -2)
    pts = sorted(tuple(float(v) for v in p) for p in db.complex.faces(0).points)
    assert pts == [(-1.0, 0.0), (0.0, -2.0), (0.0, 2.0), (2.0, 0.0)]


@pytest.mark.parametrize("exact", [True, False])
def test_multiclass_top_two_tie_is_a_tropical_hyperplane(exact: bool) -> None:
    line = tropnet.Network.from_arrays([[[1, 0], [0, 1], [0, 0]]])  # classes x, y, 0
    db = decision_boundary(line, exact=exact)
    assert db.f_vector() == (1, 3) and db.betti_numbers() == (1, 0) and db.level is None
    box = decision_boundary(line, tropnet.Box(-1, 1), exact=exact)
    m = box.measure()
    assert (m == 2 + sympy.sqrt(2)) if exact else m == pytest.approx(2 + math.sqrt(2))
    plane = tropnet.Network.from_arrays([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]])
    assert decision_boundary(plane, exact=exact).f_vector() == (1, 4, 6)


def test_random_networks_boundary_is_a_manifold_like_complex() -> None:
    """Every vertex of a generic level set in R^2 lies on two edges (or on the box boundary)."""
    net = tropnet.random_mlp([2, 8, 8, 1], seed=4)
    db = decision_boundary(net, tropnet.Box(-3, 3), exact=True)
    K = db.complex
    deg = np.array([len(c) for c in K.faces(0).cofaces])
    on_box = np.array([any(abs(x) == 3 for x in p) for p in K.faces(0).points], dtype=bool)
    assert ((deg == 2) | on_box & (deg == 1)).all()
    assert db.betti_numbers() == db.betti_numbers("Q")
    f = decision_boundary(net, tropnet.Box(-3, 3), exact=False)
    assert f.f_vector() == db.f_vector()
    assert f.measure() == pytest.approx(float(db.measure()), rel=1e-9)


def test_bad_input() -> None:
    net = tropnet.Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [-1]])
    with pytest.raises(ValueError, match="NaN"):
        decision_boundary(net, level=float("nan"))
    with pytest.raises(TypeError):
        decision_boundary("not a network")
    const = tropnet.Network.from_arrays([[[0, 0]]], [[0]])
    with pytest.raises(ValueError, match="full-dimensional"):
        decision_boundary(const, tropnet.Box(-1, 1), exact=True).measure()
