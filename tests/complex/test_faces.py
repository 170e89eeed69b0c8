"""Faces of the complex: known answers (Zaslavsky/Buck), Euler characteristics, incidences."""

from __future__ import annotations

from itertools import combinations
from math import comb

import flint
import numpy as np
import pytest

import tropnet
from tropnet.complex import build_complex


def _buck(m: int, d: int) -> tuple[int, ...]:
    """Faces of m hyperplanes in general position in R^d (Buck 1943, Zaslavsky 1975)."""
    return tuple(comb(m, d - k) * sum(comb(m - d + k, i) for i in range(k + 1)) for k in range(d + 1))


def _general_position(W: np.ndarray, b: np.ndarray) -> bool:
    """Every d rows independent and no d + 1 hyperplanes through one point (exact integer ranks)."""
    m, d = W.shape
    for S in combinations(range(m), min(d, m)):
        if flint.fmpz_mat([[int(x) for x in W[i]] for i in S]).rank() < len(S):
            return False
    for S in combinations(range(m), d + 1):
        if flint.fmpz_mat([[int(x) for x in W[i]] + [int(-b[i])] for i in S]).rank() < d + 1:
            return False
    return True


def _arrangement(m: int, d: int, seed: int) -> tropnet.Network:
    rng = np.random.default_rng(seed)
    W = rng.integers(-99, 100, size=(m, d))
    b = rng.integers(-99, 100, size=m)
    assert _general_position(W, b)
    return tropnet.Network.from_arrays([W, np.ones((1, m), dtype=int)], [b, [0]])


@pytest.mark.parametrize("m, d", [(3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (5, 4)])
def test_arrangement_face_counts_match_buck_formula(m: int, d: int) -> None:
    net = _arrangement(m, d, seed=10 * m + d)
    for exact in (True, False) if d < 4 else (True,):
        K = build_complex(tropnet.linear_regions(net, kind="activation", exact=exact))
        assert K.f_vector() == _buck(m, d)
        assert K.euler_characteristic() == (-1) ** d
        assert not K.faces(d).bounded.all()


@pytest.mark.parametrize(
    "widths, exact",
    [([2, 6, 6, 1], True), ([2, 6, 6, 1], False), ([3, 5, 5, 1], True), ([3, 5, 5, 1], False)],
)
def test_euler_characteristic_box_and_rn(widths: list, exact: bool) -> None:
    net = tropnet.random_mlp(widths, seed=3)
    n = widths[0]
    box = build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), kind="activation", exact=exact))
    assert box.euler_characteristic() == 1 and box.is_bounded
    rn = build_complex(tropnet.linear_regions(net, kind="activation", exact=exact))
    assert rn.euler_characteristic() == (-1) ** n and not rn.is_bounded
    assert rn.f_vector()[n] == len(tropnet.linear_regions(net, kind="activation"))


def test_incidences_are_consistent() -> None:
    net = tropnet.random_mlp([3, 5, 5, 1], seed=1)
    rs = tropnet.linear_regions(net, tropnet.Box(-1, 1), kind="activation", exact=True)
    K = build_complex(rs)
    n = 3
    edges = K.faces(1)
    assert all(len(f) == 2 for f in edges.facets)  # every edge has two end points
    assert all(len(v) == 2 for v in edges.vertices)
    ridges = K.faces(n - 1)
    for cs, on in zip(ridges.cells, ridges.on_boundary):
        assert len(cs) == (1 if on else 2)
    # every 2-face of a polytope is a polygon: as many edges as vertices, each vertex in two edges
    for fac, vs in zip(K.faces(2).facets, K.faces(2).vertices):
        assert len(fac) == len(vs) >= 3
    # facets and cofaces are transposes; a face's cells are the union of its cofaces' cells
    cof = K.faces(1).cofaces
    for j, fac in enumerate(K.faces(2).facets):
        assert all(j in cof[i] for i in fac)
    cells2 = K.faces(2).cells
    for cs, co in zip(edges.cells, cof):
        assert set(cs.tolist()) == set().union(*(set(cells2[j].tolist()) for j in co))
    # the interior point of each face lies on exactly the rows of its cells that its vertices share
    P = K.faces(2).points
    for i, cs in enumerate(cells2):
        A, b = rs[int(cs[0])].A, rs[int(cs[0])].b
        slack = b - A.dot(P[i])
        assert (slack >= 0).all() and (slack == 0).sum() >= 1


def test_absolute_value_on_a_box_and_sign_vectors() -> None:
    net = tropnet.Network.from_arrays([[[1], [-1]], [[1, 1]]])
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation", exact=True))
    assert K.f_vector() == (3, 2)
    x = [str(p[0]) for p in K.faces(0).points]
    assert sorted(x, key=float) == ["-2", "0", "2"]
    s = K.faces(0).signs
    mid = x.index("0")
    assert s[mid].tolist() == [0, 0]  # both units vanish at 0


def test_affine_hull_and_errors() -> None:
    net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True))
    p, D = K.faces(1).affine_hull(0)
    assert D.shape == (1, 2) and K.faces(2).affine_hull(0)[1].shape == (2, 2)
    with pytest.raises(ValueError, match="out of range"):
        K.faces(3)
    with pytest.raises(TypeError, match="integer"):
        K.faces(1.5)
    with pytest.raises(ValueError, match="out of range"):
        K.subcomplex({2: [7]})
