"""Region graph statistics and the pictures of the complex."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import tropnet
from tropnet.studies import region_graph_statistics

matplotlib.use("Agg")


def test_arrangement_graph_known_answers() -> None:
    # 3 lines in general position in R^2: 7 regions, one graph edge per edge of the arrangement (9),
    # diameter 3 (the number of lines); in an arrangement the graph distance is the Hamming distance
    net = tropnet.Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, -1], [0]])
    rs = tropnet.linear_regions(net, kind="activation", exact=True)
    s = region_graph_statistics(rs)
    assert s.num_regions == 7 and s.num_edges == 9 and s.diameter == 3
    assert s.mean_degree == pytest.approx(18 / 7) and s.mean_degree <= s.degree_bound == 4
    assert s.by_graph_distance.tolist() == s.by_activation_distance.tolist()
    assert s.degree_counts.sum() == 7 and (np.arange(len(s.degree_counts)) * s.degree_counts).sum() == 18


def test_random_network_statistics_are_consistent() -> None:
    rs = tropnet.linear_regions(tropnet.random_mlp([2, 8, 8, 1], seed=1), kind="activation")
    s = region_graph_statistics(rs, root=3)
    assert s.root == 3 and s.by_graph_distance.sum() == len(rs) and s.by_graph_distance[0] == 1
    assert len(s.by_graph_distance) == 1 + max(np.flatnonzero(s.by_graph_distance))
    assert s.diameter >= len(s.by_graph_distance) - 1
    # the number of graph edges equals the number of interior 1-faces of the complex
    K = tropnet.complex.build_complex(rs)
    assert s.num_edges == sum(len(c) == 2 for c in K.faces(1).cells)
    lin = region_graph_statistics(tropnet.linear_regions(tropnet.random_mlp([2, 8, 8, 1], seed=1)))
    assert lin.by_activation_distance is None
    with pytest.raises(ValueError, match="root"):
        region_graph_statistics(rs, root=len(rs))


def test_pictures() -> None:
    from tropnet import plot

    rs = tropnet.linear_regions(tropnet.random_mlp([2, 6, 1], seed=0), kind="activation")
    ax = plot.degree_histogram(rs)
    assert len(ax.patches) == len(region_graph_statistics(rs).degree_counts)
    net = tropnet.random_mlp([3, 6, 6, 1], seed=0)
    ax = plot.decision_boundary(net, tropnet.Box(-1, 1))  # 3 inputs: the 3-D picture
    ax.figure.canvas.draw()
    db = tropnet.decision_boundary(net, tropnet.Box(-1, 1))
    assert ax.name == "3d" and len(ax.collections[-1].get_paths()) == db.f_vector()[2]
    with pytest.raises(ValueError, match="bounded"):
        plot.decision_boundary_3d(net, None)
