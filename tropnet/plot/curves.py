"""Tropical curves and their dual subdivisions.

The tropical curve of a two-variable tropical polynomial ``p`` is the set where the maximum
is attained at least twice: the boundary between the dominance regions of its monomials.
It is drawn exactly from those regions (:func:`tropnet.linear_regions`), its unbounded rays
clipped to the domain.  For a tropical rational function ``g - h`` the curve drawn is the
non-linearity locus (the boundaries between its linear regions), which lies in the union of
the curves of ``g`` and ``h``.  The Newton polygon carries the regular subdivision induced by
the coefficients; each edge of the curve is perpendicular to an edge of the subdivision
(the duality of Maclagan--Sturmfels, *Introduction to Tropical Geometry*, Prop. 3.1.6).

>>> import matplotlib; matplotlib.use("Agg")
>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> ax = tropical_curve(0 + x + y, tropnet.Box(-1, 1))
>>> len(ax.collections[-1].get_segments())  # three rays meeting at the origin
3
>>> ax = tropical_curve(0 + x**2 + y**2, tropnet.Box(-1, 1))   # weight-2 rays are labelled
>>> sorted(t.get_text() for t in ax.texts)
['2', '2', '2']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..geometry.domains import Box, Domain
from .partition import planar_partition
from .style import OKABE_ITO, ccw_order, finish_planar_axes, new_axes

__all__ = ["tropical_curve", "newton_subdivision", "curve_and_subdivision"]


def tropical_curve(
    p: Any,
    domain: Domain | None = None,
    ax: Any = None,
    *,
    color: str = "black",
    linewidth: float = 1.6,
    linestyle: str = "-",
    show_regions: bool = False,
    label: str | None = None,
    weights: bool | str = True,
    rays: bool = False,
) -> Any:
    """Draw the tropical curve of a two-variable tropical polynomial or rational function.

    Parameters
    ----------
    p
        A ``TropicalPolynomial`` or ``TropicalRational`` in two variables.
    domain
        A :class:`tropnet.Box`; default ``Box(-5, 5)``.  Rays are clipped to it.
    show_regions
        Also shade the regions (one per monomial that wins somewhere) in light greys.
    weights
        For a polynomial, write each edge's weight (the lattice length of its dual edge, see
        :meth:`tropnet.TropicalPolynomial.hypersurface`) next to it: ``True`` labels the
        weights other than 1 (the usual convention), ``"all"`` every edge, ``False`` none.
    rays
        For a polynomial, mark each unbounded edge with an arrowhead where it leaves the domain.

    The curve is the last line collection on the returned axes (one segment per edge).

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> seg = tropical_curve(x + 1 + y, tropnet.Box(-3, 3)).collections[-1].get_segments()
    >>> len(seg)
    3
    """
    from matplotlib.collections import LineCollection, PolyCollection

    domain = Box(-5, 5) if domain is None else domain
    part = planar_partition(p, domain, kind="linear")
    ax = new_axes(ax)
    if show_regions:
        greys = [str(0.78 + 0.17 * ((i * 0.618) % 1.0)) for i in range(len(part))]
        polys, cols = [], []
        for i, cells in enumerate(part.polygons):
            polys.extend(cells)
            cols.extend([greys[i]] * len(cells))
        ax.add_collection(PolyCollection(polys, facecolors=cols, edgecolors="none", zorder=1))
    segs = part.outline_segments(include_domain=False)
    ax.add_collection(
        LineCollection(segs, colors=color, linewidths=linewidth, linestyles=linestyle, zorder=3, label=label)
    )
    if weights or rays:
        lo, hi = np.asarray(part.lo, dtype=float), np.asarray(part.hi, dtype=float)
        _decorate(p, ax, lo, hi, weights, rays, color)
    finish_planar_axes(ax, part.lo, part.hi, ("$x_1$", "$x_2$"))
    return ax


def _clip(
    v: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray, t_max: float
) -> tuple[float, float] | None:
    """The parameter interval of ``v + t d`` (0 <= t <= t_max) inside the box, or None (slab clipping)."""
    t0, t1 = 0.0, t_max
    for k in range(2):
        if d[k] == 0:
            if not lo[k] <= v[k] <= hi[k]:
                return None
            continue
        a, b = (lo[k] - v[k]) / d[k], (hi[k] - v[k]) / d[k]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return (t0, t1) if t0 < t1 else None


def _decorate(
    p: Any, ax: Any, lo: np.ndarray, hi: np.ndarray, weights: bool | str, rays: bool, color: str
) -> None:
    """Weight labels and ray arrowheads of a polynomial's curve (nothing for rational functions)."""
    from ..algebra.polynomial import TropicalPolynomial

    if not isinstance(p, TropicalPolynomial):
        return
    try:
        H = p.hypersurface()
    except NotImplementedError:
        return
    V = np.asarray(H.vertices(), dtype=float).reshape(-1, 2)
    R = np.asarray(H.rays(), dtype=float).reshape(-1, 2)
    L = np.asarray(H.lineality(), dtype=float).reshape(-1, 2)
    span = float(np.max(hi - lo))
    for cell in H.maximal_cells():
        v = V[cell.vertices[0]]
        if len(L):  # a line: clip the segment from far on one side to far on the other
            d = L[0] / np.linalg.norm(L[0])
            far = 10 * span + float(np.abs(v).max())
            v = v - far * d
            seg = _clip(v, d, lo, hi, 2 * far)
        elif cell.rays:
            d = R[cell.rays[0]] / np.linalg.norm(R[cell.rays[0]])
            seg = _clip(v, d, lo, hi, 10 * span + float(np.abs(v).max()))
        else:
            d = V[cell.vertices[1]] - v
            seg = _clip(v, d, lo, hi, 1.0)
        if seg is None:
            continue
        t0, t1 = seg
        if weights and (weights == "all" or cell.weight != 1):
            mid = v + d * (t0 + min(0.5 * (t1 - t0), 0.12 * span) if cell.rays else 0.5 * (t0 + t1))
            normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
            at = mid + 0.025 * span * normal
            ax.text(at[0], at[1], str(cell.weight), fontsize=9, color=color, ha="center", va="center",
                    zorder=5, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        if rays and cell.rays and t1 < 10 * span + float(np.abs(v).max()):
            end = v + d * t1
            ax.annotate("", xy=end, xytext=end - d * 0.06 * span, zorder=5,
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.2})


def _cell_polygon(points: np.ndarray) -> np.ndarray:
    return ccw_order(points)


def newton_subdivision(
    p: Any,
    ax: Any = None,
    *,
    lattice: bool = True,
    facecolor: str = "#56B4E9",
) -> Any:
    """Draw the Newton polygon of a two-variable tropical polynomial with its regular subdivision.

    Cells of ``p.dual_subdivision()`` are outlined (the lifting by the coefficients induces
    them), the Newton polygon is drawn thicker, monomials that win somewhere are filled dots,
    the other monomials hollow dots, and — for integer exponents — the remaining lattice
    points of the polygon small grey dots.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> ax = newton_subdivision(0 + x + y)
    >>> len(ax.collections[0].get_paths())  # one triangle
    1
    """
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Polygon
    from matplotlib.path import Path

    E = np.asarray(p.exponents)
    if E.ndim != 2 or E.shape[1] != 2:
        raise ValueError(f"newton_subdivision needs 2 variables, got exponents of shape {E.shape}")
    pts = E.astype(np.float64)
    ax = new_axes(ax)
    cells = [tuple(int(i) for i in c) for c in p.dual_subdivision()]
    polys, lines = [], []
    for c in cells:
        q = pts[list(c)]
        if len(q) >= 3 and np.linalg.matrix_rank(q[1:] - q[0]) == 2:
            polys.append(_cell_polygon(q))
        elif len(q) >= 2:
            order = np.argsort(q @ (q[-1] - q[0]))
            lines.append(q[order[[0, -1]]])
    ax.add_collection(
        PolyCollection(polys, facecolors=facecolor, alpha=0.3, edgecolors="0.1", linewidths=1.1)
    )
    if lines:
        ax.add_collection(LineCollection(lines, colors="0.15", linewidths=1.0))
    hull = _cell_polygon(np.asarray(p.newton_polytope(), dtype=np.float64))
    if len(hull) >= 3:
        ax.add_patch(Polygon(hull, closed=True, fill=False, edgecolor="black", linewidth=1.8))
    used = sorted({i for c in cells for i in c})
    unused = sorted(set(range(len(pts))) - set(used))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if lattice and np.all(np.mod(pts, 1.0) == 0) and len(hull) >= 3:
        gx, gy = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        outline = Path(np.vstack([hull, hull[:1]]))
        # the sign of radius that enlarges the path depends on orientation: take both
        inside = outline.contains_points(grid, radius=1e-9) | outline.contains_points(grid, radius=-1e-9)
        ax.plot(grid[inside, 0], grid[inside, 1], ".", color="0.6", markersize=4, zorder=2)
    ax.plot(pts[used, 0], pts[used, 1], "o", color="black", markersize=5, zorder=4)
    if unused:
        ax.plot(pts[unused, 0], pts[unused, 1], "o", mfc="white", mec="black", markersize=5, zorder=4)
    pad = 0.3 * max(1.0, float(np.max(hi - lo)) / 4)
    finish_planar_axes(ax, lo - pad, hi + pad, ("exponent of $x_1$", "exponent of $x_2$"))
    from matplotlib.ticker import MaxNLocator

    if np.all(np.mod(pts, 1.0) == 0):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def curve_and_subdivision(p: Any, domain: Domain | None = None, axes: Any = None) -> Any:
    """The tropical curve (left) and the dual subdivision of the Newton polygon (right).

    Returns the pair of axes.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> left, right = curve_and_subdivision(0 + x + y + (x * y) * -1)
    >>> left.get_title(), right.get_title()
    ('tropical curve', 'dual subdivision')
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    left, right = axes
    tropical_curve(p, domain, left, color=OKABE_ITO[5], show_regions=True, rays=True)
    left.set_title("tropical curve")
    newton_subdivision(p, right)
    right.set_title("dual subdivision")
    return left, right
