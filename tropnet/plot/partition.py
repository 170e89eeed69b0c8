"""Pictures of a planar partition: the regions, the graph over them, a decision boundary.

Every picture is drawn from the exact polygons of the region enumerator
(:func:`tropnet.linear_regions`), never from a pixel grid: one filled patch per region, its
outline where the affine map changes, the graph as flat 3D facets.  For objects with more
than two inputs, ``plane=(origin, u, v)`` draws the slice ``(s, t) -> origin + s u + t v``
(the network is composed with that affine map as a first ``Linear`` layer; a tropical
polynomial gets the substituted exponents and coefficients).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from tropnet import Box, Network
>>> net = Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])
>>> ax = regions(net, Box(-3, 3))
>>> len(ax.collections[0].get_paths())  # one patch per linear region
4
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._numbers import as_number_array
from ..geometry.domains import Box, Domain, Polyhedron
from ..networks.layers import Linear
from ..networks.network import Network
from .style import (
    OKABE_ITO,
    ccw_order,
    clip_halfplane,
    finish_planar_axes,
    new_axes,
    polygons_to_path,
    spread_levels,
)

__all__ = ["regions", "graph3d", "decision_boundary", "planar_partition", "PlanarPartition"]


@dataclass(frozen=True)
class PlanarPartition:
    """Float copies, ready to draw, of a 2D region set.

    Attributes
    ----------
    polygons : list of list of (k, 2) arrays
        For each region, its convex cells as counter-clockwise polygons.
    halfspaces : list of list of (A, b) or None
        For each region, the halfspaces ``A x <= b`` of each cell (float); ``None`` for a
        region made of one cell (they serve only to find edges inside a region).
    maps : list of (W, c)
        The affine map ``x -> W x + c`` of each region (float).
    patterns : list of 1-D int arrays
        The activation pattern (or winning monomials) of each region's first cell.
    points : (R, 2) array
        A point strictly inside each region.
    lo, hi : (2,) arrays
        The bounding box of the drawn domain.
    domain_halfspaces : (A, b)
        The domain's halfspaces (float).
    adjacency : (E, 2) int array or None
        Pairs of regions sharing a facet, when the region set provides them.
    """

    polygons: list[list[np.ndarray]]
    halfspaces: list[list[tuple[np.ndarray, np.ndarray] | None]]
    maps: list[tuple[np.ndarray, np.ndarray]]
    patterns: list[np.ndarray]
    points: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    domain_halfspaces: tuple[np.ndarray, np.ndarray]
    adjacency: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.polygons)

    def outline_segments(self, *, include_domain: bool = True) -> np.ndarray:
        """The boundary segments between regions, shape (k, 2, 2), each drawn once.

        A cell edge is internal (not drawn) when the point just across its midpoint lies in
        another cell of the same region; edges on the domain's boundary are kept only when
        ``include_domain`` is true.
        """
        A_dom, b_dom = self.domain_halfspaces
        scale = float(np.max(self.hi - self.lo))
        eps = 1e-7 * scale
        tol = 1e-9 * scale
        polys, region_of, cell_of = [], [], []
        for r, cells in enumerate(self.polygons):
            for ci, poly in enumerate(cells):
                if len(poly) >= 3:
                    polys.append(poly)
                    region_of.append(r)
                    cell_of.append(ci)
        if not polys:
            return np.zeros((0, 2, 2))
        sizes = np.array([len(p) for p in polys])
        P0 = np.concatenate(polys)
        ends = np.cumsum(sizes)
        nxt = np.arange(len(P0)) + 1
        nxt[ends - 1] = ends - sizes  # each polygon's last vertex joins its first
        P1 = P0[nxt]
        edge_region = np.repeat(region_of, sizes)
        edge_cell = np.repeat(cell_of, sizes)
        d = P1 - P0
        length = np.hypot(d[:, 0], d[:, 1])
        keep = length > tol
        P0, P1, d, length = P0[keep], P1[keep], d[keep], length[keep]
        edge_region, edge_cell = edge_region[keep], edge_cell[keep]
        normal = np.column_stack([d[:, 1], -d[:, 0]]) / length[:, None]  # outward for CCW polygons
        probe = 0.5 * (P0 + P1) + eps * normal
        internal = np.zeros(len(P0), dtype=bool)
        order = np.argsort(edge_region, kind="stable")
        bounds = np.searchsorted(edge_region[order], np.arange(len(self.polygons) + 1))
        for r, hs in enumerate(self.halfspaces):
            if len(hs) < 2:
                continue
            idx = order[bounds[r] : bounds[r + 1]]
            for cj, other in enumerate(hs):
                sel = idx[edge_cell[idx] != cj]
                internal[sel] |= np.all(probe[sel] @ other[0].T <= other[1] + tol, axis=1)
        on_domain = np.zeros(len(P0), dtype=bool)
        if len(A_dom):
            r0 = np.abs(P0 @ A_dom.T - b_dom) <= tol * (1 + np.abs(b_dom))
            r1 = np.abs(P1 @ A_dom.T - b_dom) <= tol * (1 + np.abs(b_dom))
            on_domain = np.any(r0 & r1, axis=1)
        sel = ~internal & (include_domain | ~on_domain)
        allsegs = np.stack([P0[sel], P1[sel]], axis=1)
        if len(allsegs) == 0:
            return allsegs
        # each shared edge appears once from each side: keep one copy (endpoints unordered)
        key_pts = np.round(allsegs / (1e3 * tol), 0)
        a, b = key_pts[:, 0], key_pts[:, 1]
        first = (a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] <= b[:, 1]))
        keys = np.where(first[:, None], np.hstack([a, b]), np.hstack([b, a]))
        _, idx = np.unique(keys, axis=0, return_index=True)
        return allsegs[np.sort(idx)]


def _to_float(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype == object else np.asarray(a, dtype=np.float64)


def _is_region_set(obj: Any) -> bool:
    if isinstance(obj, PlanarPartition):
        return False
    try:
        first = obj[0]
    except (TypeError, IndexError, KeyError):
        return False
    return hasattr(first, "interior_point") and hasattr(first, "affine_map")


def _cells_of(region: Any) -> list[Any]:
    cells = getattr(region, "cells", None)
    if cells is None:
        return [region]
    cells = list(cells)
    return cells if cells else [region]


def _domain_box(domain: Any, n: int = 2) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    if domain is None:
        raise ValueError("a picture needs a bounded domain: pass domain=Box(lo, hi)")
    if isinstance(domain, Box):
        lo, hi = domain.bounds(n)
        A, b = domain.halfspaces(n)
        return lo, hi, (_to_float(A), _to_float(b))
    if isinstance(domain, Polyhedron):
        raise ValueError(
            "plots are drawn on a Box domain; for a polyhedron, draw its bounding box "
            "(the region enumerator accepts both)"
        )
    raise TypeError(f"domain must be a tropnet.Box, got {type(domain).__name__}")


def _compose_plane(obj: Any, plane: Sequence[Any]) -> Any:
    """``obj`` restricted to the plane ``(s, t) -> origin + s u + t v``."""
    if len(plane) != 3:
        raise ValueError("plane must be a triple (origin, u, v) of vectors")
    names = ("origin", "u", "v")
    origin, u, v = (as_number_array(p, name=f"plane {nm}", ndim=1) for p, nm in zip(plane, names))
    n = origin.shape[0]
    if u.shape[0] != n or v.shape[0] != n:
        raise ValueError(f"plane origin, u, v must have the same length, got {n}, {u.shape[0]}, {v.shape[0]}")
    U = np.empty((n, 2), dtype=object if (u.dtype == object and v.dtype == object) else np.float64)
    U[:, 0], U[:, 1] = u, v
    if isinstance(obj, Network):
        if obj.input_dim != n:
            raise ValueError(f"plane vectors have length {n}, but the network has {obj.input_dim} inputs")
        return Network([Linear(U, origin), *obj.layers])
    import tropnet

    poly_t = getattr(tropnet, "TropicalPolynomial", None)
    rat_t = getattr(tropnet, "TropicalRational", None)
    if poly_t is not None and isinstance(obj, poly_t):
        E = obj.exponents
        if E.shape[1] != n:
            raise ValueError(f"plane vectors have length {n}, but the polynomial has {E.shape[1]} variables")
        coef = np.asarray(obj.coefficients)
        return poly_t(E.dot(U), coef + E.dot(origin))
    if rat_t is not None and isinstance(obj, rat_t):
        return rat_t(_compose_plane(obj.numerator, plane), _compose_plane(obj.denominator, plane))
    map_t = getattr(tropnet, "TropicalRationalMap", None)
    if map_t is not None and isinstance(obj, map_t):
        return map_t([_compose_plane(r, plane) for r in obj])
    kind = type(obj).__name__
    raise TypeError(f"plane= slices a Network or a tropical polynomial/rational/map, not a {kind}")


def _as_slice(domain: Any) -> Any:
    """The slice when ``domain`` is a 2-D :class:`~tropnet.AffineSlice` (``None`` for other
    domains); a slice of another dimension is refused."""
    from ..geometry.slices import AffineSlice

    if not isinstance(domain, AffineSlice):
        return None
    if domain.k != 2:
        raise ValueError(f"a planar picture needs a 2-D slice, this one has {domain.k} direction(s)")
    if not isinstance(domain.domain, Box):
        raise ValueError("plots are drawn on a slice whose domain is a Box")
    return domain


def _input_dim(obj: Any) -> int | None:
    for attr in ("input_dim", "nvars"):
        n = getattr(obj, attr, None)
        if isinstance(n, (int, np.integer)):
            return int(n)
    return None


def planar_partition(
    obj: Any,
    domain: Domain | None,
    *,
    kind: str = "linear",
    plane: Sequence[Any] | None = None,
    exact: bool = False,
) -> PlanarPartition:
    """The regions of ``obj`` on a 2D box, as float polygons ready to draw.

    ``obj`` is anything :func:`tropnet.linear_regions` accepts, or a region set it returned
    (then ``kind`` and ``plane`` are ignored).

    >>> from tropnet import Box, Network
    >>> part = planar_partition(Network.from_arrays([[[1, 0]], [[1]]], [[0], [0]]), Box(-1, 1))
    >>> len(part), [len(c) for c in part.polygons]
    (2, [1, 1])
    """
    slc = _as_slice(domain)
    if slc is not None:
        if plane is not None:
            raise ValueError("pass either a slice domain (Plane, AffineSlice) or plane=..., not both")
        domain = slc.domain
    if _is_region_set(obj):
        regset = obj
    elif slc is not None:
        from ..regions.api import linear_regions

        regset = linear_regions(obj, slc, kind=kind, exact=exact, progress=False)
    else:
        if plane is not None:
            obj = _compose_plane(obj, plane)
        n = _input_dim(obj)
        if n is not None and n != 2:
            raise ValueError(
                f"the object has {n} inputs; draw a 2D slice with plane=(origin, u, v), vectors of length {n}"
            )
        import tropnet

        regset = tropnet.linear_regions(obj, domain, kind=kind, exact=exact, progress=False)
    lo, hi, dom_hs = _domain_box(domain)
    first_patterns = _first_cell_patterns(regset)
    polygons, halfspaces, maps, patterns, points = [], [], [], [], []
    for i, reg in enumerate(regset):
        cells = _cells_of(reg)
        polys, hs = [], []
        for cell in cells:
            if not getattr(cell, "bounded", True):
                raise ValueError("a region is unbounded: enumerate on a bounded domain (a Box) to draw it")
            polys.append(ccw_order(_to_float(cell.vertices())))
            # halfspaces serve only to find edges shared by two cells of one region
            hs.append((_to_float(cell.A), _to_float(cell.b)) if len(cells) > 1 else None)
        polygons.append(polys)
        halfspaces.append(hs)
        W, c = reg.affine_map
        maps.append((_to_float(W), _to_float(c)))
        pat = first_patterns[i] if first_patterns is not None else cells[0].pattern
        patterns.append(np.asarray(pat).astype(np.int64).ravel())
        points.append(_to_float(reg.interior_point))
    pts = np.array(points).reshape(-1, 2)
    adjacency = regset.adjacency() if hasattr(regset, "adjacency") else None
    return PlanarPartition(polygons, halfspaces, maps, patterns, pts, lo, hi, dom_hs, adjacency)


def _first_cell_patterns(regset: Any) -> np.ndarray | None:
    """The pattern of the first cell of every region, from a RegionSet's shared arrays."""
    labels = getattr(regset, "labels", None)
    pats = getattr(regset, "patterns", None)
    if labels is None or pats is None:
        return None
    labels = np.asarray(labels)
    uniq, first = np.unique(labels, return_index=True)
    if len(uniq) != len(regset) or not np.array_equal(uniq, np.arange(len(regset))):
        return None
    return np.asarray(pats)[first]


def _greedy_colouring(n: int, edges: np.ndarray) -> np.ndarray:
    """Colour ids so that regions sharing a facet differ (greedy, largest degree first)."""
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for a, b in np.asarray(edges, dtype=np.int64).reshape(-1, 2):
        nbrs[a].append(int(b))
        nbrs[b].append(int(a))
    colour = np.full(n, -1, dtype=np.int64)
    for v in sorted(range(n), key=lambda v: -len(nbrs[v])):
        used = {int(colour[u]) for u in nbrs[v]}
        c = 0
        while c in used:
            c += 1
        colour[v] = c
    return colour


def _region_colors(part: PlanarPartition, color_by: str, cmap: Any) -> tuple[np.ndarray, Any]:
    import matplotlib

    R = len(part)
    if color_by == "region":
        if part.adjacency is not None:
            ids = _greedy_colouring(R, part.adjacency)
            levels = spread_levels(int(ids.max()) + 1 if R else 0)[ids]
        else:
            levels = spread_levels(R)
        name = "cividis"
    elif color_by == "map":
        keys: dict[tuple, int] = {}
        ids = []
        for W, c in part.maps:
            key = tuple(np.round(np.concatenate([W.ravel(), c.ravel()]), 9).tolist())
            ids.append(keys.setdefault(key, len(keys)))
        levels = spread_levels(len(keys))[np.array(ids, dtype=np.int64)] if R else np.zeros(0)
        name = "cividis"
    elif color_by == "pattern":
        active = np.array([int(np.count_nonzero(p)) for p in part.patterns], dtype=np.float64)
        span = active.max() - active.min() if R else 0.0
        levels = (active - active.min()) / span if span > 0 else np.full(R, 0.5)
        name = "viridis"
    else:
        raise ValueError(f"color_by must be 'region', 'map' or 'pattern', got {color_by!r}")
    cm = matplotlib.colormaps[cmap or name]
    rgba = cm(0.1 + 0.85 * levels)
    rgba[:, :3] = 0.7 * rgba[:, :3] + 0.3  # lighter fills keep outlines and labels readable
    return rgba, cm


def regions(
    obj: Any,
    domain: Domain | None = None,
    ax: Any = None,
    *,
    kind: str = "linear",
    color_by: str = "region",
    edges: bool = True,
    labels: bool = False,
    plane: Sequence[Any] | None = None,
    exact: bool = False,
    cmap: str | None = None,
    alpha: float = 0.9,
    boundary: bool | None = None,
    marks: bool = True,
    images: Any = None,
    image_shape: tuple[int, int] | None = None,
) -> Any:
    """Draw the regions of ``obj`` on a 2D box (or a 2-D slice) as exact polygons; return the axes.

    Parameters
    ----------
    obj
        A ``Network``, tropical polynomial/rational function/map with 2 inputs (or more, with
        ``plane``), or a region set returned by :func:`tropnet.linear_regions`.
    domain
        A :class:`tropnet.Box` (the drawing is clipped to it), or a 2-D slice of a larger input
        space: :class:`tropnet.Plane` (e.g. ``Plane.through(a, b, c)``, whose three points are
        marked and labelled) or a 2-D :class:`tropnet.AffineSlice` on a box.
    kind
        ``"linear"`` (facet-connected pieces of one affine map) or ``"activation"`` (cells of
        one activation pattern).
    color_by
        ``"region"`` (shades of cividis, different for regions sharing a facet), ``"map"``
        (regions with the same affine map share a shade), ``"pattern"`` (viridis by the
        number of active units) or ``"class"`` (the predicted class, the largest output, in
        the Okabe--Ito palette; exact pieces of each cell).
    edges
        Outline each region where the map changes (internal cell edges are not drawn).
    labels
        Write each region's index in its largest cell, where the label fits.
    boundary
        Draw the decision boundary (thick black): where the two largest outputs tie (one
        output: where it is 0).  Default: on when the domain is a plane through points and the
        object has several outputs, or when ``color_by="class"``.
    marks
        Mark and label the points of a :class:`tropnet.Plane` built by ``Plane.through``.
    images, image_shape
        Optional images (one per marked point, e.g. the input vectors reshaped by
        ``image_shape``) drawn as small insets next to the points.
    plane
        ``(origin, u, v)``: draw the slice ``(s, t) -> origin + s u + t v`` of an object with
        more inputs; ``domain`` is then the box of ``(s, t)``.

    The first collection on the axes holds one patch per region.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from tropnet import Box, random_mlp
    >>> ax = regions(random_mlp([3, 4, 1], seed=1), Box(-1, 1), plane=([0, 0, 0], [1, 0, 0], [0, 1, 0]))
    >>> ax.get_xlabel()
    '$s$'
    """
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection

    part = planar_partition(obj, domain, kind=kind, plane=plane, exact=exact)
    slc = _as_slice(domain)
    ax = new_axes(ax)
    n_out = part.maps[0][0].shape[0] if len(part) else 1
    if color_by == "class":
        paths = [polygons_to_path(polys) for polys in part.polygons]
        coll = PathCollection(paths, facecolors="none", edgecolors="none", zorder=1)
        coll.set_label(f"{len(part)} {kind} regions")
        ax.add_collection(coll)
        pieces = _class_pieces(part)
        palette = _class_palette(max(n_out, 2))
        for cls in sorted(pieces):
            col = palette[cls % len(palette)]
            pc = PolyCollection(pieces[cls], facecolors=col, edgecolors="none", alpha=0.45 * alpha, zorder=1)
            pc.set_label(f"class {cls}")
            ax.add_collection(pc)
    else:
        colors, _ = _region_colors(part, color_by, cmap)
        paths = [polygons_to_path(polys) for polys in part.polygons]
        coll = PathCollection(paths, facecolors=colors, edgecolors="none", alpha=alpha, zorder=1)
        coll.set_label(f"{len(part)} {kind} regions")
        ax.add_collection(coll)
    if edges:
        segs = part.outline_segments(include_domain=True)
        lw = 0.6 if len(part) < 300 else 0.25  # thinner outlines when the picture is crowded
        ax.add_collection(LineCollection(segs, colors="0.15", linewidths=lw, zorder=2))
    pts = getattr(slc, "points", None) if slc is not None else None
    if boundary is None:
        boundary = color_by == "class" or (pts is not None and len(pts) > 0 and n_out > 1)
    if boundary:
        db = LineCollection(_decision_segments(part), colors="black", linewidths=1.8, zorder=4)
        db.set_label("decision boundary")
        db.set_gid("decision boundary")
        ax.add_collection(db)
    if labels:
        for i, p in _fitting_labels(part):
            ax.annotate(str(i), p, ha="center", va="center", fontsize=7, zorder=3)
    if marks and pts is not None and len(pts):
        _mark_points(ax, np.asarray(pts, dtype=np.float64), slc.labels, images, image_shape)
    sliced = plane is not None or slc is not None
    names = ("$s$", "$t$") if sliced else ("$x_1$", "$x_2$")
    finish_planar_axes(ax, part.lo, part.hi, names)
    return ax


def _class_palette(n: int) -> list:
    """Distinct colours for ``n`` classes: Okabe--Ito (colour-blind safe) up to 7, else tab10/tab20."""
    if n <= len(OKABE_ITO) - 1:
        return list(OKABE_ITO[1:])
    import matplotlib

    cm = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cm(i) for i in range(cm.N)]


def _class_polygons(poly: np.ndarray, W: np.ndarray, c: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The pieces of a convex cell where each output is the largest (ties to the lower index)."""
    out = []
    for i in range(W.shape[0]):
        piece = poly
        for j in range(W.shape[0]):
            if j != i and len(piece) >= 3:
                piece = clip_halfplane(piece, W[i] - W[j], c[i] - c[j])
        if len(piece) >= 3:
            out.append((i, piece))
    return out


def _class_pieces(part: PlanarPartition) -> dict[int, list[np.ndarray]]:
    """For each predicted class, the exact polygons where it wins (drawing only)."""
    pieces: dict[int, list[np.ndarray]] = {}
    for polys, (W, c) in zip(part.polygons, part.maps):
        if W.shape[0] == 1:  # one output: its sign is the class
            W, c = np.vstack([np.zeros_like(W), W]), np.concatenate([[0.0], c])
        for poly in polys:
            for i, piece in _class_polygons(poly, W, c):
                pieces.setdefault(i, []).append(piece)
    return pieces


def _decision_segments(part: PlanarPartition) -> np.ndarray:
    """The segments where the two largest outputs tie (one output: where it is 0): in each
    cell, the edges of the class pieces that lie on a tie line."""
    scale = float(np.max(part.hi - part.lo))
    segs = []
    for polys, (W, c) in zip(part.polygons, part.maps):
        if W.shape[0] == 1:
            W, c = np.vstack([np.zeros_like(W), W]), np.concatenate([[0.0], c])
        for poly in polys:
            for i, piece in _class_polygons(poly, W, c):
                nxt = np.roll(piece, -1, axis=0)
                for p0, p1 in zip(piece, nxt):
                    if np.hypot(*(p1 - p0)) <= 1e-12 * scale:
                        continue
                    mid = (p0 + p1) / 2
                    for j in range(i + 1, W.shape[0]):
                        a, b0 = W[i] - W[j], c[i] - c[j]
                        if abs(mid @ a + b0) <= 1e-9 * (1 + np.abs(a).sum() * scale + abs(b0)):
                            segs.append(np.array([p0, p1]))
                            break
    return np.array(segs).reshape(-1, 2, 2)


def _fitting_labels(part: PlanarPartition) -> list[tuple[int, np.ndarray]]:
    """(index, position) of the regions whose largest cell is wide enough for a label, larger
    cells first, no label closer than a few characters to another."""
    span = float(np.max(part.hi - part.lo))
    out: list[tuple[int, np.ndarray]] = []
    cand = []
    for i, polys in enumerate(part.polygons):
        polys = [p for p in polys if len(p) >= 3]
        if not polys:
            continue
        big = max(polys, key=lambda p: np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
        w, h = np.ptp(big[:, 0]), np.ptp(big[:, 1])
        if min(w, h) >= 0.07 * span:
            cand.append((-w * h, i, big.mean(axis=0)))
    for _, i, centre in sorted(cand, key=lambda t: t[0]):
        if all(np.abs(centre - q).max() >= 0.07 * span for _, q in out):
            out.append((i, centre))
    return sorted(out, key=lambda t: t[0])


def _mark_points(ax: Any, P: np.ndarray, names: Any, images: Any, image_shape: Any) -> None:
    """The marked points of a plane: white dots with black rims, their labels, optional insets."""
    ax.scatter(P[:, 0], P[:, 1], s=40, c="white", edgecolors="black", linewidths=1.2, zorder=6,
               label="points", gid="marked points")
    for (x, y), name in zip(P, names):
        ax.annotate(str(name), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=9,
                    fontweight="bold", zorder=7,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    if images is None:
        return
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    imgs = list(images)
    if len(imgs) != len(P):
        raise ValueError(f"got {len(imgs)} images for {len(P)} marked points")
    for (x, y), img in zip(P, imgs):
        a = np.asarray(img, dtype=np.float64)
        if image_shape is not None:
            a = a.reshape(image_shape)
        if a.ndim != 2:
            raise ValueError(f"an inset image must be 2-D (give image_shape=...), got shape {a.shape}")
        box = AnnotationBbox(OffsetImage(a, cmap="gray_r", zoom=2.0), (x, y), xybox=(-28, -28),
                             boxcoords="offset points", frameon=True, pad=0.1, zorder=8)
        ax.add_artist(box)


def graph3d(
    obj: Any,
    domain: Domain | None = None,
    ax: Any = None,
    *,
    output: int = 0,
    kind: str = "activation",
    plane: Sequence[Any] | None = None,
    cmap: str = "viridis",
    edges: bool = True,
) -> Any:
    """Draw the graph of a piecewise-linear function of two inputs as exact flat facets.

    Each convex cell becomes one planar polygon ``(x, y, W x + c)``; facets are shaded by
    height.  ``output`` picks the output of a multi-output object.  Returns the 3D axes; the
    facets, as ``(k, 3)`` vertex arrays, are kept on the collection as ``.facets``.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from tropnet import Box, Network
    >>> ax = graph3d(Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]]), Box(-1, 1))
    >>> len(ax.collections[0].facets)  # the 4 quadrants, one facet each
    4
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    part = planar_partition(obj, domain, kind=kind, plane=plane)
    ax = new_axes(ax, projection="3d", figsize=(5.0, 4.2))
    facets, heights = [], []
    for polys, (W, c) in zip(part.polygons, part.maps):
        if not 0 <= output < W.shape[0]:
            raise ValueError(f"output {output} does not exist: the object has {W.shape[0]} output(s)")
        for poly in polys:
            z = poly @ W[output] + c[output]
            facets.append(np.column_stack([poly, z]))
            heights.append(z.mean())
    import matplotlib

    h = np.array(heights)
    span = (h.max() - h.min()) if len(h) else 0.0
    levels = (h - h.min()) / span if span > 0 else np.full(len(h), 0.5)
    coll = Poly3DCollection(
        facets,
        facecolors=matplotlib.colormaps[cmap](0.1 + 0.85 * levels),
        edgecolors="0.2" if edges else "none",
        linewidths=0.25,
    )
    coll.facets = facets  # the exact facets as (k, 3) arrays, for whoever wants the numbers
    ax.add_collection3d(coll)
    zs = np.concatenate([f[:, 2] for f in facets]) if facets else np.zeros(1)
    ax.set_xlim(part.lo[0], part.hi[0])
    ax.set_ylim(part.lo[1], part.hi[1])
    zlo, zhi = float(zs.min()), float(zs.max())
    ax.set_zlim(zlo, zhi if zhi > zlo else zlo + 1.0)
    names = ("$s$", "$t$") if plane is not None else ("$x_1$", "$x_2$")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel("$f$")
    ax.view_init(elev=28, azim=-58)
    return ax


def decision_boundary(
    net: Any,
    domain: Domain | None = None,
    ax: Any = None,
    *,
    threshold: float = 0.0,
    classes: tuple[int, int] = (0, 1),
    show_regions: bool = True,
    shade: bool = True,
    plane: Sequence[Any] | None = None,
    colors: tuple[str, str] = ("#56B4E9", "#E69F00"),
) -> Any:
    """Draw the decision boundary of a 2D classifier exactly, with the two classes shaded.

    For two (or more) outputs the boundary is ``f_i = f_j`` for ``classes=(i, j)``; for one
    output it is ``f = threshold``.  On each convex cell the score difference is affine, so
    the boundary is one exact segment per cell it crosses (for 3 inputs, a 3-D picture of the
    boundary's faces: :func:`decision_boundary_3d`).  ``shade`` fills the two classes
    (exact polygons), ``show_regions`` outlines the linear regions.  The last line collection on the
    axes holds the boundary segments.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from tropnet import Box, Network
    >>> ax = decision_boundary(Network.from_arrays([[[1, 1]]], [[0]]), Box(-1, 1))
    >>> ax.collections[-1].get_segments()[0].round(6).tolist()  # the line x + y = 0
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    from matplotlib.collections import LineCollection, PolyCollection

    if plane is None and _input_dim(net) == 3:
        from .topology import decision_boundary_3d

        return decision_boundary_3d(net, domain, ax, threshold=threshold, classes=classes)
    part = planar_partition(net, domain, kind="activation", plane=plane)
    ax = new_axes(ax)
    pos, neg, segs = [], [], []
    for polys, (W, c) in zip(part.polygons, part.maps):
        if W.shape[0] == 1:
            a, b0 = W[0], c[0] - float(threshold)
        else:
            i, j = classes
            if not (0 <= i < W.shape[0] and 0 <= j < W.shape[0]) or i == j:
                raise ValueError(f"classes must be two distinct outputs of {W.shape[0]}, got {classes}")
            a, b0 = W[j] - W[i], c[j] - c[i]
        for poly in polys:
            p_hi = clip_halfplane(poly, a, b0)
            p_lo = clip_halfplane(poly, -a, -b0)
            if len(p_hi) >= 3:
                pos.append(p_hi)
            if len(p_lo) >= 3:
                neg.append(p_lo)
            val = poly @ a + b0
            if val.max() > 0 > val.min():
                cut = []
                nxt = np.roll(np.arange(len(poly)), -1)
                for k, m in enumerate(nxt):
                    if (val[k] > 0) != (val[m] > 0) and val[k] != val[m]:
                        t = val[k] / (val[k] - val[m])
                        cut.append(poly[k] + t * (poly[m] - poly[k]))
                if len(cut) >= 2:
                    segs.append(np.array(cut[:2]))
    if shade:
        ax.add_collection(PolyCollection(neg, facecolors=colors[0], edgecolors="none", alpha=0.35, zorder=1))
        ax.add_collection(PolyCollection(pos, facecolors=colors[1], edgecolors="none", alpha=0.35, zorder=1))
    if show_regions:
        ax.add_collection(LineCollection(part.outline_segments(), colors="0.55", linewidths=0.4, zorder=2))
    boundary = LineCollection(segs, colors="black", linewidths=1.6, zorder=3, label="decision boundary")
    ax.add_collection(boundary)
    names = ("$s$", "$t$") if plane is not None else ("$x_1$", "$x_2$")
    finish_planar_axes(ax, part.lo, part.hi, names)
    return ax
