"""Pictures of the polyhedral complex: a 3-D decision boundary and the region graph's degrees.

* :func:`decision_boundary_3d` — the exact decision boundary of a classifier on a 3-D box, one
  flat polygon per boundary face (what :func:`tropnet.plot.decision_boundary` draws for n = 3);
* :func:`degree_histogram` — the degree distribution of the region graph against the mean
  degree and the ``2 n`` bound.

>>> import matplotlib; matplotlib.use("Agg")
>>> import tropnet
>>> ax = degree_histogram(tropnet.linear_regions(tropnet.random_mlp([2, 6, 1], seed=0)))
>>> ax.get_xlabel()
'degree (regions sharing a facet)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .style import OKABE_ITO, new_axes

__all__ = ["decision_boundary_3d", "degree_histogram"]


def _polygon(P: np.ndarray) -> np.ndarray:
    """The vertices of a convex polygon in R^3 in cyclic order (angle in its own plane)."""
    c = P.mean(axis=0)
    _, _, vt = np.linalg.svd(P - c)
    uv = (P - c) @ vt[:2].T
    return P[np.argsort(np.arctan2(uv[:, 1], uv[:, 0]), kind="stable")]


def decision_boundary_3d(
    net: Any,
    domain: Any,
    ax: Any = None,
    *,
    threshold: float = 0.0,
    classes: tuple[int, int] = (0, 1),
    color: str = OKABE_ITO[5],
    alpha: float = 0.55,
) -> Any:
    """Draw the decision boundary of a classifier with 3 inputs on a box, exactly: the 2-faces of
    :func:`tropnet.decision_boundary` as flat polygons (``f = threshold`` for one output,
    ``f_i = f_j`` for ``classes=(i, j)`` otherwise).  The last collection holds the polygons.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 1, 1]]], [[0]])        # the plane x + y + z = 0
    >>> ax = decision_boundary_3d(net, tropnet.Box(-1, 1))
    >>> ax.figure.canvas.draw()
    >>> [len(p.vertices) for p in ax.collections[-1].get_paths()]   # one hexagon (closed path)
    [7]
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    from ..complex.boundary import decision_boundary
    from ..networks.layers import Linear
    from ..networks.network import Network
    from ..regions.api import as_network

    if domain is None:
        raise ValueError("a 3-D picture needs a bounded domain: pass a Box")
    f = as_network(net)
    if f.input_dim != 3:
        raise ValueError(f"decision_boundary_3d draws networks with 3 inputs, this one has {f.input_dim}")
    if f.output_dim > 1:
        i, j = classes
        if not (0 <= i < f.output_dim and 0 <= j < f.output_dim) or i == j:
            raise ValueError(f"classes must be two distinct outputs of {f.output_dim}, got {classes}")
        w = np.zeros((1, f.output_dim), dtype=np.int64)
        w[0, i], w[0, j] = -1, 1
        f = Network(list(f.layers) + [Linear(w, np.zeros(1, dtype=np.int64))], input_dim=3)
    db = decision_boundary(f, domain, level=threshold)
    K = db.complex
    polys = []
    F = K.faces(2)
    for vs in F.vertices:
        P = np.asarray(K._coords[vs], dtype=np.float64)
        if len(P) >= 3:
            polys.append(_polygon(P))
    ax = new_axes(ax, projection="3d")
    ax.add_collection3d(
        Poly3DCollection(polys, facecolors=color, edgecolors="0.25", linewidths=0.3, alpha=alpha)
    )
    lo, hi = (np.broadcast_to(np.asarray(v, dtype=np.float64), (3,)) for v in (domain.lo, domain.hi))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    return ax


def degree_histogram(obj: Any, ax: Any = None, *, color: str = OKABE_ITO[2]) -> Any:
    """Bars of the region graph's degree distribution, with the mean degree and the ``2 n``
    bound as vertical lines; ``obj`` is a region set or a
    :class:`~tropnet.studies.region_graph.RegionGraphStatistics`."""
    from ..studies.region_graph import RegionGraphStatistics, region_graph_statistics

    s = obj if isinstance(obj, RegionGraphStatistics) else region_graph_statistics(obj)
    ax = new_axes(ax, figsize=(4.5, 3.2))
    k = np.arange(len(s.degree_counts))
    ax.bar(k, s.degree_counts, color=color, edgecolor="0.2", linewidth=0.5)
    ax.axvline(s.mean_degree, color=OKABE_ITO[6], linestyle="-", label=f"mean {s.mean_degree:.2f}")
    ax.axvline(s.degree_bound, color=OKABE_ITO[0], linestyle="--", label=f"2n = {s.degree_bound}")
    ax.set_xlabel("degree (regions sharing a facet)")
    ax.set_ylabel("regions")
    ax.legend(frameon=False)
    return ax
