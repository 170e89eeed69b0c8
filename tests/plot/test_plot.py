"""tropnet.plot: structural checks of what is drawn (counts, coordinates), and non-blank PNGs."""

from __future__ import annotations

import io
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import tropnet  # noqa: E402
from tropnet import Box, Network, plot, random_mlp  # noqa: E402

HAS_REGIONS = hasattr(tropnet, "linear_regions") and hasattr(tropnet, "count_linear_regions")
HAS_ALGEBRA = hasattr(tropnet, "TropicalPolynomial") and hasattr(tropnet, "variables")
pytestmark = pytest.mark.skipif(not HAS_REGIONS, reason="tropnet.linear_regions (issue 11) not landed")
needs_algebra = pytest.mark.skipif(not HAS_ALGEBRA, reason="tropnet.TropicalPolynomial (issue 2) not landed")

# f = ReLU(y + 1) - ReLU(x + 1): 4 linear regions, the kinks are the full lines x = -1, y = -1
FOUR = Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    buf.seek(0)
    return mpimg.imread(buf)


def _assert_not_blank(img: np.ndarray) -> None:
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 10


# ----------------------------------------------------------------------------- regions
@pytest.mark.parametrize("kind", ["linear", "activation"])
@pytest.mark.parametrize("widths", [[2, 5, 1], [2, 6, 4, 1]])
def test_one_patch_per_region(widths, kind) -> None:
    net = random_mlp(widths, seed=3)
    box = Box(-2, 2)
    ax = plot.regions(net, box, kind=kind)
    assert len(ax.collections[0].get_paths()) == tropnet.count_linear_regions(net, box, kind=kind)
    assert ax.get_aspect() == 1.0
    assert ax.get_xlim() == (-2.0, 2.0)


def test_known_answer_four_regions_and_their_outline() -> None:
    ax = plot.regions(FOUR, Box(-3, 3))
    assert len(ax.collections[0].get_paths()) == 4
    segs = ax.collections[1].get_segments()
    # the outline: the box (4 sides, each cut once by a kink line) plus the two kink lines,
    # each split at their crossing (-1, -1): 8 + 4 = 12 segments
    assert len(segs) == 12
    inner = [s for s in segs if not np.any(np.isclose(np.abs(s), 3.0).all(axis=0))]
    assert all(np.isclose(s[:, 0], -1).all() or np.isclose(s[:, 1], -1).all() for s in inner)


def test_color_by_map_gives_equal_colours_to_equal_maps() -> None:
    # ReLU(x) + ReLU(-x): activation cells {x<0}, {x>0} have different maps; with a unit that
    # never matters (output weight 0) the activation cells come in pairs with equal maps
    net = Network.from_arrays([[[1, 0], [0, 1]], [[1, 0]]], [[0, 0], [0]])
    ax = plot.regions(net, Box(-1, 1), kind="activation", color_by="map")
    colors = ax.collections[0].get_facecolors()
    assert len(colors) == 4
    assert len(np.unique(np.round(colors, 6), axis=0)) == 2
    ax2 = plot.regions(net, Box(-1, 1), kind="activation", color_by="pattern")
    assert len(np.unique(np.round(ax2.collections[0].get_facecolors(), 6), axis=0)) == 3  # 0, 1, 2 active


def test_plane_slice_matches_the_restricted_network() -> None:
    net = random_mlp([3, 6, 1], seed=5)
    W0, b0 = net.layers[0].weight, net.layers[0].bias
    z = 0.7
    restricted = Network.from_arrays(
        [W0[:, :2], net.layers[2].weight], [b0 + W0[:, 2] * z, net.layers[2].bias]
    )
    box = Box(-2, 2)
    ax = plot.regions(net, box, plane=([0, 0, z], [1, 0, 0], [0, 1, 0]))
    assert len(ax.collections[0].get_paths()) == tropnet.count_linear_regions(restricted, box)
    assert ax.get_xlabel() == "$s$"


def test_regions_accepts_a_region_set_and_labels() -> None:
    regs = tropnet.linear_regions(FOUR, Box(-3, 3))
    ax = plot.regions(regs, Box(-3, 3), labels=True, edges=False)
    assert len(ax.collections) == 1 and len(ax.texts) == 4


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="bounded domain"):
        plot.regions(FOUR, None)
    with pytest.raises(ValueError, match="plane="):
        plot.regions(random_mlp([3, 2, 1]), Box(-1, 1))
    with pytest.raises(ValueError, match="color_by"):
        plot.regions(FOUR, Box(-1, 1), color_by="rainbow")
    with pytest.raises(ValueError, match="3D axes"):
        plot.graph3d(FOUR, Box(-1, 1), ax=plt.figure().add_subplot())


# ----------------------------------------------------------------------------- graph, boundary
def test_graph3d_facets_lie_on_the_graph() -> None:
    net = random_mlp([2, 4, 1], seed=2)
    box = Box(-1, 1)
    ax = plot.graph3d(net, box)
    xyz = np.concatenate(ax.collections[0].facets)
    assert np.allclose(net(xyz[:, :2])[:, 0], xyz[:, 2], atol=1e-9)
    assert len(ax.collections[0].facets) == tropnet.count_linear_regions(net, box, kind="activation")


def test_decision_boundary_segments_are_on_the_zero_set() -> None:
    from tropnet.cli import demo_network

    net = demo_network()  # trained on two moons: its boundary crosses [-2, 2]^2
    box = Box(-2, 2)
    ax = plot.decision_boundary(net, box)
    segs = np.array(ax.collections[-1].get_segments())
    assert len(segs) > 0
    pts = np.concatenate([segs[:, 0], segs[:, 1], segs.mean(axis=1)])
    assert np.abs(net(pts)[:, 0]).max() < 1e-9


def test_decision_boundary_two_outputs() -> None:
    # outputs (x, y): class boundary x = y, the diagonal of the box
    net = Network.from_arrays([[[1, 0], [0, 1]]], [[0, 0]])
    segs = plot.decision_boundary(net, Box(-1, 1)).collections[-1].get_segments()
    assert len(segs) == 1
    assert np.allclose(sorted(map(tuple, segs[0])), [(-1, -1), (1, 1)])


# ----------------------------------------------------------------------------- tropical curves
@needs_algebra
def test_curve_of_max_0_x_y_is_three_rays_from_the_origin() -> None:
    x, y = tropnet.variables("x y")
    ax = plot.tropical_curve(0 + x + y, Box(-2, 2))
    segs = np.array(ax.collections[-1].get_segments())
    assert len(segs) == 3
    at_origin = np.isclose(segs, 0, atol=1e-12).all(axis=2)
    assert at_origin.sum(axis=1).tolist() == [1, 1, 1]
    ends = segs[~at_origin]
    dirs = {tuple(np.round(e / np.abs(e).max(), 9)) for e in ends}
    assert dirs == {(0.0, -1.0), (-1.0, 0.0), (1.0, 1.0)}


@needs_algebra
def test_curve_of_a_unimodular_quadric_has_four_vertices_and_nine_edges() -> None:
    d = 2
    exps = [(i, j) for i in range(d + 1) for j in range(d + 1 - i)]
    coef = [Fraction(-(i * i + i * j + j * j)) for i, j in exps]
    p = tropnet.TropicalPolynomial(exps, coef)
    segs = np.array(plot.tropical_curve(p, Box(-10, 10)).collections[-1].get_segments())
    assert len(segs) == 3 * d + 3  # d^2 = 4 vertices: 3 bounded edges and 3d = 6 rays
    pts, counts = np.unique(np.round(segs.reshape(-1, 2), 9), axis=0, return_counts=True)
    interior = np.abs(pts).max(axis=1) < 10
    assert counts[interior].tolist() == [3] * d**2  # trivalent vertices


@needs_algebra
def test_newton_subdivision_and_side_by_side() -> None:
    d = 2
    exps = [(i, j) for i in range(d + 1) for j in range(d + 1 - i)]
    p = tropnet.TropicalPolynomial(exps, [-(i * i + i * j + j * j) for i, j in exps])
    ax = plot.newton_subdivision(p)
    assert len(ax.collections[0].get_paths()) == d * d  # unimodular triangulation
    left, right = plot.curve_and_subdivision(p, Box(-5, 5))
    _assert_not_blank(_png(left.figure))


# ----------------------------------------------------------------------------- counts, pictures
def test_region_counts_means_and_error_bars() -> None:
    rows = [{"depth": d, "linear_regions": r} for d, r in [(1, 10), (1, 14), (2, 30), (2, 30), (3, 50)]]
    ax = plot.region_counts(rows, x="depth", logy=False)
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [1, 2, 3]
    assert line.get_ydata().tolist() == [12.0, 30.0, 50.0]
    with pytest.raises(KeyError, match="no column 'width'"):
        plot.region_counts(rows, x="width")


def test_pngs_render_non_blank() -> None:
    net = random_mlp([2, 6, 6, 1], seed=0)
    box = Box(-2, 2)
    for draw in (plot.regions, plot.graph3d, plot.decision_boundary):
        ax = draw(net, box)
        _assert_not_blank(_png(ax.figure))


@needs_algebra
def test_curve_of_a_rational_function_skips_edges_inside_a_linear_region() -> None:
    # ReLU(y - ReLU(x)) = max(0, x, y) - max(0, x): 4 cells, 3 linear regions; the cell edge
    # {x = 0, y < 0} lies inside the region where f = 0 and is not part of the curve
    x, y = tropnet.variables("x y")
    segs = np.array(plot.tropical_curve((x + y + 0) / (x + 0), Box(-2, 2)).collections[-1].get_segments())
    assert len(segs) == 3
    ends = segs[~np.isclose(segs, 0, atol=1e-12).all(axis=2)]
    dirs = {tuple(np.round(e / np.abs(e).max(), 9)) for e in ends}
    assert dirs == {(-1.0, 0.0), (0.0, 1.0), (1.0, 1.0)}


@needs_algebra
def test_newton_subdivision_marks_lattice_points_and_unused_monomials() -> None:
    # max(0, 2x, 2y, x + y - 5): the monomial x + y lies below the lift and is not a vertex
    p = tropnet.TropicalPolynomial([[0, 0], [2, 0], [0, 2], [1, 1]], [0, 0, 0, -5])
    ax = plot.newton_subdivision(p)
    lattice, used, unused = ax.lines
    assert len(lattice.get_xdata()) == 6  # every lattice point of the triangle of size 2
    assert sorted(zip(used.get_xdata(), used.get_ydata())) == [(0, 0), (0, 2), (2, 0)]
    assert list(zip(unused.get_xdata(), unused.get_ydata())) == [(1, 1)]
    assert len(ax.collections[0].get_paths()) == 1


def test_neighbouring_regions_get_different_colours() -> None:
    net = random_mlp([2, 8, 8, 1], seed=0)
    box = Box(-3, 3)
    regs = tropnet.linear_regions(net, box)
    colors = plot.regions(regs, box).collections[0].get_facecolors()
    edges = regs.adjacency()
    assert len(edges) > 0
    assert not np.any(np.all(np.isclose(colors[edges[:, 0]], colors[edges[:, 1]]), axis=1))


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(1, 6), kind=st.sampled_from(["linear", "activation"]))
def test_drawn_polygons_tile_the_box(seed: int, width: int, kind: str) -> None:
    net = random_mlp([2, width, width, 1], seed=seed)
    part = plot.planar_partition(net, Box(-2, 3), kind=kind)
    areas = [_area(p) for cells in part.polygons for p in cells]
    assert min(areas) > 0  # every polygon counter-clockwise and full-dimensional
    assert np.isclose(sum(areas), 25.0, rtol=1e-9)
    plt.close("all")


@needs_algebra
def test_plane_slice_of_tropical_objects() -> None:
    x, y, z = tropnet.variables("x y z")
    p = x + y + z + 0
    # the slice z = 0 of max(0, x, y, z) is max(0, x, y): 3 regions; z = 1 adds max(.., 1): still 3
    plane = ([0, 0, 0], [1, 0, 0], [0, 1, 0])
    assert len(plot.regions(p, Box(-2, 2), plane=plane).collections[0].get_paths()) == 3
    r = p / (x + 0)
    low = ([0, 0, -1], [1, 0, 0], [0, 1, 0])  # z = -1 never wins: the map of max(0, x, y) and its quotient
    ax = plot.regions(tropnet.TropicalRationalMap([r, p]), Box(-2, 2), plane=low)
    assert len(ax.collections[0].get_paths()) == tropnet.count_linear_regions(
        tropnet.TropicalRationalMap([(x + y + 0) / (x + 0), x + y + 0]), Box(-2, 2)
    )
