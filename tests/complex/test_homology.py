"""Betti numbers against known topology: boxes, annuli, spheres, solid tori, sublevel sets."""

from __future__ import annotations

import numpy as np
import pytest

import tropnet
from tropnet.complex import build_complex
from tropnet.complex.homology import betti_numbers


def _grid(n: int, exact: bool = True):
    """The cubes of the planes x_i = +-1 in [-2, 2]^n: 3^n cells, the centre one is [-1, 1]^n."""
    W = np.vstack([np.eye(n, dtype=int), -np.eye(n, dtype=int)])
    net = tropnet.Network.from_arrays([W, np.ones((1, 2 * n), dtype=int)], [-np.ones(2 * n, dtype=int), [0]])
    rs = tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation", exact=exact)
    K = build_complex(rs)
    P = np.asarray(rs.interior_points, dtype=float)
    return K, P


@pytest.mark.parametrize("field", ["GF2", "Q"])
def test_grid_complexes_have_the_known_homology(field: str) -> None:
    K, P = _grid(2)
    assert betti_numbers(K, field=field) == (1, 0, 0)
    ring = np.flatnonzero(np.abs(P).max(axis=1) > 1)  # all but the centre square: an annulus
    assert betti_numbers(K.union(ring), field=field) == (1, 1, 0)
    corners = np.flatnonzero(np.abs(P).min(axis=1) > 1)  # four disjoint corner squares
    assert betti_numbers(K.union(corners), field=field) == (4, 0, 0)
    K3, P3 = _grid(3)
    shell = np.flatnonzero(np.abs(P3).max(axis=1) > 1)  # a hollow cube: a 2-sphere
    assert betti_numbers(K3.union(shell), field=field) == (1, 0, 1, 0)
    no_column = np.flatnonzero(np.abs(P3[:, :2]).max(axis=1) > 1)  # cube minus a column: solid torus
    assert betti_numbers(K3.union(no_column), field=field) == (1, 1, 0, 0)
    boundary = K3.subcomplex({2: np.flatnonzero(K3.faces(2).on_boundary)})  # the surface of [-2, 2]^3
    assert betti_numbers(boundary, field=field) == (1, 0, 1)


@pytest.mark.parametrize("exact", [True, False])
def test_whole_domain_is_contractible(exact: bool) -> None:
    net = tropnet.random_mlp([2, 6, 6, 1], seed=2)
    for dom in (tropnet.Box(-1, 1), None):
        K = build_complex(tropnet.linear_regions(net, dom, kind="activation", exact=exact))
        assert betti_numbers(K) == (1, 0, 0) == betti_numbers(K, field="Q")


@pytest.mark.parametrize("exact", [True, False])
def test_sublevel_sets_of_a_convex_function_are_contractible(exact: bool) -> None:
    rng = np.random.default_rng(0)
    W1 = rng.integers(-5, 6, size=(7, 2))
    b1 = rng.integers(-5, 6, size=7)
    net = tropnet.Network.from_arrays([W1, np.ones((1, 7), dtype=int)], [b1, [0]])  # sum of relus: convex
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-3, 3), kind="activation", exact=exact))
    vals = sorted(set(K.vertex_values().tolist()))
    for t in vals + [(a + b) / 2 for a, b in zip(vals, vals[1:])]:
        S = K.sublevel(t)
        assert S.dim < 0 or betti_numbers(S)[0] == 1 and not any(betti_numbers(S)[1:])


def test_superlevel_and_sublevel_of_a_bump() -> None:
    # f = 1 - |x| - |y| on [-2, 2]^2: {f >= 0} is a diamond, {f <= 0} an annulus; the cells are the
    # quadrants, so the subcomplexes are the centre point and the square's boundary (same homotopy)
    net = tropnet.Network.from_arrays(
        [[[1, 0], [-1, 0], [0, 1], [0, -1]], [[-1, -1, -1, -1]]], [[0, 0, 0, 0], [1]]
    )
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation", exact=True))
    assert betti_numbers(K.superlevel(0)) == (1,)
    assert betti_numbers(K.sublevel(0), field="Q") == (1, 1)
    # {f <= -1} = {|x| + |y| >= 2}: four corner triangles touching in a cycle; {f <= -2}: four apart
    assert betti_numbers(K.sublevel(-1)) == (1, 1)
    assert betti_numbers(K.sublevel(-2)) == (4,)
    assert betti_numbers(K.sublevel(-5)) == ()


def test_bad_input() -> None:
    K, _ = _grid(2)
    with pytest.raises(ValueError, match="field"):
        betti_numbers(K, field="Z")
    with pytest.raises(TypeError, match="no polyhedral complex"):
        betti_numbers(np.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        K.sublevel(float("nan"))
    with pytest.raises(ValueError, match="output"):
        K.sublevel(0, output=3)


@pytest.mark.parametrize("exact", [True, False])
def test_signed_boundaries_square_to_zero(exact: bool) -> None:
    """d_{k-1} d_k = 0 over Z with the orientation signs, on a whole uncollapsed complex, and the
    Betti numbers of its ranks are those of a ball (independent of the collapses)."""
    from tropnet.complex.homology import _boundary_matrix, _rank

    net = tropnet.random_mlp([3, 4, 4, 1], seed=5)
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), kind="activation", exact=exact))
    keep = [np.ones(K._nfaces(k), dtype=bool) for k in range(4)]
    cache: dict = {}
    D = {k: np.array(_boundary_matrix(K, k, keep, "Q", cache)[0], dtype=np.int64) for k in (1, 2, 3)}
    assert not (D[1] @ D[2]).any() and not (D[2] @ D[3]).any()
    assert set(np.unique(D[3]).tolist()) == {-1, 0, 1}
    ranks = [0] + [_rank(D[k].tolist(), *D[k].shape, "Q") for k in (1, 2, 3)] + [0]
    f = [K._nfaces(k) for k in range(4)]
    assert [f[k] - ranks[k] - ranks[k + 1] for k in range(4)] == [1, 0, 0, 0]


@pytest.mark.parametrize("exact", [True, False])
def test_persistence_agrees_with_sublevel_betti_numbers(exact: bool) -> None:
    """GUDHI's bars alive at t count the flint ranks' Betti numbers of {f <= t}, at every vertex value."""
    from tropnet.complex.persistence import persistence

    net = tropnet.random_mlp([2, 6, 6, 1], seed=7)
    rs = tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation", exact=exact)
    K = build_complex(rs)
    bars = persistence(K)
    for t in sorted(set(K.vertex_values().tolist())):
        S = K.sublevel(t)
        want = betti_numbers(S) if S.dim >= 0 else ()
        alive = [sum(1 for d, b, e in bars if d == k and b <= t < e) for k in range(3)]
        assert tuple(alive[: len(want)]) == want and not any(alive[len(want) :])


def test_persistence_of_a_convex_function_is_one_bar() -> None:
    from tropnet.complex.persistence import persistence

    rng = np.random.default_rng(1)
    net = tropnet.Network.from_arrays(
        [rng.integers(-4, 5, size=(6, 3)), np.ones((1, 6), dtype=int)], [rng.integers(-4, 5, size=6), [0]]
    )
    K = build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), kind="activation", exact=True))
    bars = persistence(K)
    assert bars == [(0, min(K.vertex_values()), np.inf)]
    with pytest.raises(ValueError, match="prime"):
        persistence(K, field=4)


@pytest.mark.parametrize("field", ["GF2", "Q"])
def test_reductions_do_not_change_betti_numbers(field: str) -> None:
    """Collapses + coreductions against plain ranks of the whole boundary matrices, on random
    unions of cells (2-D and 3-D) and on their boundaries' 1- and 2-skeleta."""
    from tropnet.complex.homology import _boundary_matrix, _rank

    def plain(S):
        n = S.ambient_dim
        keep = [np.ones(S._nfaces(k), dtype=bool) for k in range(n + 1)]
        ranks = [0] * (n + 2)
        for k in range(1, n + 1):
            if S._nfaces(k) and S._nfaces(k - 1):
                M, r, c = _boundary_matrix(S, k, keep, field, {})
                ranks[k] = _rank(M, r, c, field)
        return tuple(S._nfaces(k) - ranks[k] - ranks[k + 1] for k in range(S.dim + 1))

    rng = np.random.default_rng(0)
    for widths in ([2, 6, 6, 1], [3, 4, 4, 1]):
        K = build_complex(
            tropnet.linear_regions(
                tropnet.random_mlp(widths, seed=1), tropnet.Box(-1, 1), kind="activation", exact=True
            )
        )
        ncell = len(K.faces(K.ambient_dim))
        for _ in range(4):
            S = K.union(rng.choice(ncell, size=max(1, ncell // 3), replace=False))
            assert betti_numbers(S, field=field) == plain(S)
            skel = S.subcomplex({K.ambient_dim - 1: np.ones(len(S.faces(K.ambient_dim - 1)), dtype=bool)})
            assert betti_numbers(skel, field=field) == plain(skel)
