"""Regions on slice domains (:class:`~tropnet.Segment`, :class:`~tropnet.Plane`,
:class:`~tropnet.AffineSlice`).

The network composed with the slice's affine embedding is again a network
(:func:`tropnet.networks.embed.slice_network`, exact when asked), so the regions on a slice are
the regions of that network on the slice's domain: the n-D engines run on ``k`` inputs.  A
1-D slice with a bounded interval takes the fast 1-D path (:mod:`tropnet.regions.line`),
which also reports the breakpoints.  The result is a :class:`SliceRegionSet`: a
:class:`~tropnet.RegionSet` in slice coordinates (halfspaces, maps, vertices in ``y``) that also
reports each region's point and affine map in the network's input coordinates
(:meth:`SliceRegion.input_map`; for a linear region that is a union of several cells, the
map of its first cell: every cell of the union has the same map *on the slice*).

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])   # relu(x) + relu(y)
>>> rs = tropnet.linear_regions(net, tropnet.Segment([-1, -2], [3, 2]), exact=True)
>>> [str(t) for t in rs.breakpoints], len(rs)
(['1/4', '1/2'], 3)
>>> rs[2].input_map()[0].tolist(), rs[2].affine_map[0].tolist()   # d/dx in R^2 and d/dt on the line
([[Fraction(1, 1), Fraction(1, 1)]], [[Fraction(8, 1)]])
"""

from __future__ import annotations

import weakref
from fractions import Fraction
from typing import Any

import numpy as np

from ..geometry.domains import Box
from ..geometry.slices import AffineSlice
from ..kernels.scaled import to_scaled
from ..networks.network import Network
from .domains import as_network
from .line import LineCells, _float_line, compile_line, line_cells, line_stages
from .line_runs import linear_runs
from .program import FLOAT_MAX, FLOAT_MIN, FLOAT_RESOLUTION
from .regionset import Region, RegionSet

__all__ = ["SliceRegion", "SliceRegionSet", "line_regions", "segment_run"]


class SliceRegion(Region):
    """A region of a :class:`SliceRegionSet`: a :class:`~tropnet.Region` in slice coordinates
    that also knows its point and map in the network's input coordinates."""

    __slots__ = ()

    def input_point(self) -> np.ndarray:
        """The interior point, in input coordinates (``origin + y @ basis``)."""
        return self._rs.slice.to_input(self.interior_point)

    def input_map(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, c)`` with ``f(x) = W x + c`` for ``x`` in the input space, on the (first) cell
        of the region: the network's Jacobian and offset there."""
        c = int(self.cell_indices[0])
        W, b = self._rs.input_maps(np.array([c]))
        return W[0], b[0]


class SliceRegionSet(RegionSet):
    """The regions of a network on an :class:`~tropnet.AffineSlice`, in slice coordinates.

    Extra attributes: ``slice`` (the slice), ``breakpoints`` (for 1-D slices: the interior
    points ``t_1 < ... < t_k`` of the slice's interval where the map changes, ``None``
    otherwise), :attr:`input_points` and :meth:`input_maps` (input coordinates).
    """

    slice: AffineSlice
    breakpoints: np.ndarray | None
    region_class = SliceRegion

    @classmethod
    def wrap(cls, rs: RegionSet, slc: AffineSlice, net: Any, breakpoints: np.ndarray | None = None):
        out = cls.__new__(cls)
        out.__dict__.update(rs.__dict__)
        out.slice = slc
        out.breakpoints = breakpoints
        out._net = net
        return out

    @property
    def input_points(self) -> np.ndarray:
        """(regions, n) one interior point per region, in input coordinates."""
        return self.slice.to_input(self.interior_points)

    def input_maps(self, cells: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """The maps ``(W (C, m, n), c (C, m))`` of the activation cells (all, or the given
        cell indices) in input coordinates (``Fraction`` entries when exact)."""
        from .at_point import pattern_maps

        P = self._patterns if cells is None else self._patterns[np.asarray(cells, dtype=np.int64)]
        return pattern_maps(self._net, P, exact=self.exact)

    def __repr__(self) -> str:
        return super().__repr__().replace("RegionSet(", "SliceRegionSet(", 1)


def _line_region_set(cells: LineCells, kind: str) -> RegionSet:
    """A :class:`RegionSet` of the intervals of a 1-D run (cells and, for ``kind="linear"``,
    runs of consecutive cells with one map); halfspaces, neighbours and maps on first use."""
    K, exact = len(cells), cells.exact
    T = cells.breaks
    dt = object if exact else np.float64
    one = Fraction(1) if exact else 1.0
    if exact:
        mids = np.empty((K, 1), dtype=dt)
        mids[:, 0] = [(a + b) / 2 for a, b in zip(T[:-1], T[1:])]
    else:
        mids = ((T[:-1] + T[1:]) / 2)[:, None]
    t = np.empty(K + 1, dtype=dt)
    t[:] = one
    ids = np.arange(K + 1)

    def geometry():
        A = np.empty((2 * K, 1), dtype=dt)
        A[0::2, 0] = -one
        A[1::2, 0] = one
        b = np.empty(2 * K, dtype=dt)
        b[0::2] = -T[:-1]
        b[1::2] = T[1:]
        nbr = np.empty(2 * K, dtype=np.int64)
        nbr[0::2] = ids[:-1] - 1
        nbr[1::2] = ids[1:]
        nbr[-1] = -1
        W, c = cells.maps()
        return 2 * ids, A, b, nbr, W, c

    labels = linear_runs(cells) if kind == "linear" else ids[:-1]
    return RegionSet(
        kind=kind,
        exact=exact,
        dim=1,
        patterns=cells.patterns,
        points=mids,
        bounded=np.ones(K, dtype=bool),
        vert_off=2 * ids,
        vert_ids=np.repeat(ids, 2)[1:-1],
        vert_X=T[:, None],
        vert_t=t,
        geometry=geometry,
        labels=labels,
    )


def line_regions(sub: Any, slc: AffineSlice, source: Any, kind: str, exact: bool,
                 max_regions: int | None = None) -> SliceRegionSet:
    """The 1-D path (the plan's engine ``"line"``): the cells of ``sub`` (the network composed
    with the 1-D slice ``slc``) on the slice's interval, as a :class:`SliceRegionSet` with the
    breakpoints where the map changes (activation or linear kind).

    >>> import tropnet
    >>> from tropnet.networks.embed import slice_network
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    >>> seg = tropnet.Segment([-1, -2], [3, 2])
    >>> line_regions(slice_network(net, seg), seg, net, "activation", True).breakpoints.tolist()
    [Fraction(1, 4), Fraction(1, 2)]
    """
    lo, hi = slc.domain.exact_bounds(1)
    conv = Fraction if exact else float
    cells = line_cells(line_stages(sub, exact), conv(lo[0]), conv(hi[0]), exact=exact, max_cells=max_regions)
    _warn(cells)
    return _line_result(cells, slc, source, kind)


def _warn(cells: LineCells) -> None:
    if cells.ambiguous:
        from .exactness import warn_ambiguous

        warn_ambiguous(cells.ambiguous, stacklevel=4)


def _line_result(cells: LineCells, slc: AffineSlice, source: Any, kind: str) -> SliceRegionSet:
    rs = _line_region_set(cells, kind)
    labels = rs.labels
    if kind == "linear":
        first = np.flatnonzero(np.concatenate([[True], labels[1:] != labels[:-1]]))
        bp = cells.breaks[first[1:]]
    else:
        bp = cells.breaks[1:-1]
    return SliceRegionSet.wrap(rs, slc, source, bp)


#: per network (while it lives) and exactness: its line program and, in float mode, the
#: numbers of the float range check (largest parameter; the largest magnitude factors
#: ``max A``, ``max B`` of the program's values, :func:`~tropnet.regions.program._magnitude_bounds`;
#: the network's own scale)
_PROGRAMS: dict = {}


def _line_program(net: Any, exact: bool):
    key = (id(net), exact)
    hit = _PROGRAMS.get(key)
    if hit is not None and hit[0]() is net:
        return hit[1]
    stages = line_stages(net, exact)
    info = None
    if not exact:
        from ..networks.layers import Linear
        from .domains import _radius
        from .program import _magnitude_bounds

        lins = [layer for layer in net.lowered(passthrough=True).layers if isinstance(layer, Linear)]
        mags = [np.abs(x).max(initial=0.0) for lin in lins for x in (lin.float_weight, lin.float_bias)]
        big = float(max(mags, default=0.0))
        A, Bm = _magnitude_bounds(stages, net.input_dim)
        info = (bool(np.isfinite(big) and big <= FLOAT_MAX), float(A.max(initial=0.0)),
                float(Bm.max(initial=0.0)), _radius(net, ("all",)))
        stages = compile_line(stages, net.input_dim)
    try:
        ref = weakref.ref(net, lambda _r, k=key: _PROGRAMS.pop(k, None))
    except TypeError:  # not weakly referable: not cached
        return stages, info
    _PROGRAMS[key] = (ref, (stages, info))
    return stages, info


def segment_run(obj: Any, slc: AffineSlice, want: str, kind: str, exact: bool) -> Any:
    """The fast 1-D path of :func:`~tropnet.count_linear_regions` (``want="count"``) and
    :func:`~tropnet.linear_regions` (``want="regions"``) on a 1-D slice with a box: the line
    ``origin + t basis`` is fed to the network's program (kept while the network lives) without
    composing the network or planning.  Returns ``None`` where the general path must decide
    (a float run outside float mode's range gets its refusal there).

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    >>> rs = segment_run(net, tropnet.Segment([-1, -2], [3, 2]), "regions", "activation", True)
    >>> rs.breakpoints.tolist()
    [Fraction(1, 4), Fraction(1, 2)]
    """
    dom = slc.domain
    if (kind not in ("linear", "activation") or not isinstance(obj, Network)
            or not isinstance(slc, AffineSlice) or slc.k != 1 or not isinstance(dom, Box)):
        return None
    net = obj
    if slc.input_dim != net.input_dim:
        slc.check_input_dim(net.input_dim)
    stages, info = _line_program(net, exact)
    lo, hi = dom.lo.reshape(-1)[0], dom.hi.reshape(-1)[0]  # a 1-D box: scalars or one coordinate
    if exact:
        if slc.origin.dtype == object or slc.basis.dtype == object:
            o, B = slc.embedding(exact=True)
        else:  # float entries are the dyadic rationals they store: scaled without Fractions
            o, B = slc.origin, slc.basis
        J0, D0 = to_scaled(np.stack([B[0], o], axis=1))
        cells = line_cells(stages, Fraction(lo), Fraction(hi), exact=True, start=(J0, D0))
    else:
        o, B = slc.embedding(exact=False)  # kept by the slice
        d = B[0]
        t0, t1 = float(lo), float(hi)
        ok, amax, bmax, own = info
        om, bd = slc.float_sizes()
        s = om + bd * max(abs(t0), abs(t1))
        if not (ok and s <= FLOAT_MAX and amax * s + bmax <= FLOAT_MAX and (t1 - t0) * bd >= FLOAT_MIN
                and s <= FLOAT_RESOLUTION * own):
            return None
        only = want == "count" and kind == "activation"
        cells = _float_line(stages, t0, t1, o, d, None, s, count_only=only, patterns=want == "regions")
        if cells.ambiguous:
            _warn(cells)
    if want == "count":
        return len(cells) if kind == "activation" else int(linear_runs(cells)[-1]) + 1
    return _line_result(cells, slc, net, kind)


def _check(obj: Any, slc: AffineSlice):
    if not isinstance(slc, AffineSlice):
        raise TypeError(f"a slice domain must be a Segment, Plane or AffineSlice, got {type(slc).__name__}")
    net = as_network(obj)
    slc.check_input_dim(net.input_dim)
    return net
