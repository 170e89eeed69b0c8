"""Shared drawing helpers of :mod:`tropnet.plot`: colours, polygons as paths, axes set-up.

Nothing here computes geometry beyond what drawing needs (ordering the vertices of a convex
polygon, clipping a polygon to a half-plane for shading).  Colours come from ``cividis``
and ``viridis`` (perceptually uniform, readable in greyscale and by colour-blind readers)
and from the Okabe--Ito qualitative palette.

>>> spread_levels(4).round(3).tolist()
[0.0, 0.618, 0.236, 0.854]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "OKABE_ITO",
    "spread_levels",
    "ccw_order",
    "polygons_to_path",
    "new_axes",
    "finish_planar_axes",
    "clip_halfplane",
]

#: The Okabe--Ito palette (colour-blind safe), black first.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def spread_levels(n: int) -> np.ndarray:
    """``n`` levels in [0, 1) spread by the golden ratio, so consecutive ids get far-apart colours.

    >>> len(spread_levels(3))
    3
    """
    return np.mod(np.arange(n) * _GOLDEN, 1.0)


def ccw_order(points: Any) -> np.ndarray:
    """The points of a convex polygon sorted counter-clockwise around their centroid.

    >>> ccw_order([[1, 1], [0, 0], [1, 0], [0, 1]]).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(p) < 3:
        return p
    c = p.mean(axis=0)
    ang = np.arctan2(p[:, 1] - c[1], p[:, 0] - c[0])
    return p[np.argsort(ang, kind="stable")]


def polygons_to_path(polygons: list[np.ndarray]) -> Any:
    """One matplotlib ``Path`` made of several closed polygons (one patch for a whole region).

    >>> len(polygons_to_path([np.array([[0, 0], [1, 0], [0, 1]])]).vertices)
    4
    """
    from matplotlib.path import Path

    verts, codes = [], []
    for poly in polygons:
        poly = np.asarray(poly, dtype=np.float64)
        if len(poly) < 3:
            continue
        verts.append(poly)
        verts.append(poly[:1])
        codes.extend([Path.MOVETO] + [Path.LINETO] * (len(poly) - 1) + [Path.CLOSEPOLY])
    if not verts:
        return Path(np.zeros((0, 2)))
    return Path(np.vstack(verts), codes)


def new_axes(
    ax: Any = None, *, projection: str | None = None, figsize: tuple[float, float] = (4.5, 4.5)
) -> Any:
    """``ax`` itself, or the axes of a new figure (3D when ``projection="3d"``)."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError("this plot needs 3D axes: pass ax=fig.add_subplot(projection='3d') or ax=None")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig.add_subplot(projection=projection) if projection else fig.add_subplot()


def finish_planar_axes(ax: Any, lo: np.ndarray, hi: np.ndarray, labels: tuple[str, str]) -> None:
    """Equal aspect, limits = the domain's bounding box, quiet spines."""
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def clip_halfplane(poly: np.ndarray, a: np.ndarray, c: float) -> np.ndarray:
    """The part of a convex polygon where ``a . x + c >= 0`` (Sutherland--Hodgman, one plane).

    >>> clip_halfplane(np.array([[0., 0.], [2., 0.], [2., 2.], [0., 2.]]), np.array([1., 0.]), -1.0).tolist()
    [[1.0, 0.0], [2.0, 0.0], [2.0, 2.0], [1.0, 2.0]]
    """
    if len(poly) == 0:
        return poly
    val = poly @ a + c
    out = []
    n = len(poly)
    for i in range(n):
        j = (i + 1) % n
        if val[i] >= 0:
            out.append(poly[i])
        if (val[i] >= 0) != (val[j] >= 0):
            t = val[i] / (val[i] - val[j])
            out.append(poly[i] + t * (poly[j] - poly[i]))
    return np.array(out).reshape(-1, 2)
