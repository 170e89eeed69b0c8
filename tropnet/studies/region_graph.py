"""Statistics of the region graph: regions as nodes, shared facets as edges.

For the activation regions of a ReLU network on R^n, Gaines & Bi (ICLR 2026) bound the mean
degree of this graph by ``2 n``; :func:`region_graph_statistics` reports the degree
distribution against that bound, the diameter, and how many regions lie at each graph
distance and at each activation (Hamming) distance from a root region.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])   # relu(x) + relu(y)
>>> s = region_graph_statistics(tropnet.linear_regions(net, kind="activation"))
>>> s.degree_counts.tolist(), s.mean_degree, s.degree_bound, s.diameter
([0, 0, 4], 2.0, 4, 2)
>>> s.by_graph_distance.tolist(), s.by_activation_distance.tolist()
([1, 2, 1], [1, 2, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["region_graph_statistics", "RegionGraphStatistics"]


@dataclass(frozen=True)
class RegionGraphStatistics:
    """What :func:`region_graph_statistics` returns.

    Attributes
    ----------
    num_regions, num_edges : nodes and edges of the region graph.
    degrees : (regions,) the degree of each region.
    degree_counts : ``degree_counts[k]`` regions have degree ``k``.
    mean_degree : ``2 E / V``; degree_bound : ``2 n`` (Gaines & Bi).
    diameter : the largest graph distance (-1 when the graph is not connected).
    root : the region distances are measured from.
    by_graph_distance : ``[k]`` regions at ``k`` facet crossings from the root.
    by_activation_distance : ``[k]`` regions whose pattern differs from the root's in ``k``
        units (activation region sets only; else None).
    """

    num_regions: int
    num_edges: int
    degrees: np.ndarray
    degree_counts: np.ndarray
    mean_degree: float
    degree_bound: int
    diameter: int
    root: int
    by_graph_distance: np.ndarray
    by_activation_distance: np.ndarray | None


def region_graph_statistics(rs: Any, *, root: int = 0) -> RegionGraphStatistics:
    """Degree distribution, mean degree against ``2 n``, diameter and distance profiles of the
    region graph of ``rs`` (a :class:`~tropnet.RegionSet`), from region ``root``.

    Raises ``ValueError`` for a root out of range or an empty region set.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    V = len(rs)
    if V == 0:
        raise ValueError("the region set is empty")
    if not 0 <= int(root) < V:
        raise ValueError(f"root {root} is out of range for {V} regions")
    E = rs.adjacency()
    g = coo_matrix((np.ones(len(E)), (E[:, 0], E[:, 1])), shape=(V, V)).tocsr()
    g = g + g.T
    deg = np.asarray((g > 0).sum(axis=1)).ravel().astype(np.int64)
    ncomp = connected_components(g, directed=False)[0]
    dist = _bfs(g, int(root), breadth_first_order)
    if ncomp == 1:
        try:
            import networkx as nx
        except ImportError as err:  # pragma: no cover - optional
            raise ImportError("region_graph_statistics() needs networkx: pip install tropnet[graph]") from err

        G = nx.Graph()
        G.add_nodes_from(range(V))
        G.add_edges_from(map(tuple, E.tolist()))
        diameter = int(nx.diameter(G, usebounds=True)) if V > 1 else 0
    else:
        diameter = -1
    reach = dist[dist >= 0]
    act = None
    if rs.kind == "activation":
        P = np.asarray(rs.patterns)
        act = np.bincount((P != P[int(root)]).sum(axis=1))
    return RegionGraphStatistics(
        num_regions=V,
        num_edges=len(E),
        degrees=deg,
        degree_counts=np.bincount(deg),
        mean_degree=float(2 * len(E) / V),
        degree_bound=2 * int(rs.dim),
        diameter=diameter,
        root=int(root),
        by_graph_distance=np.bincount(reach),
        by_activation_distance=act,
    )


def _bfs(g: Any, root: int, breadth_first_order: Any) -> np.ndarray:
    order, pred = breadth_first_order(g, root, directed=False, return_predecessors=True)
    dist = np.full(g.shape[0], -1, dtype=np.int64)
    dist[root] = 0
    for v in order[1:]:
        dist[v] = dist[pred[v]] + 1
    return dist
