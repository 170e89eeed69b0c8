"""``linear_regions`` and ``count_linear_regions``: every region of a network or tropical
function on a box, a polyhedron or all of R^n.

*Activation regions* (``kind="activation"``) are the full-dimensional cells of constant
activation pattern (for a tropical object: constant tuple of winning monomials).  A unit
whose pre-activation is identically at its threshold on an open set counts as inactive and
makes no boundary; coincident hyperplanes count once.  *Linear regions*
(``kind="linear"``) are the maximal facet-connected unions of activation cells on which the
function, all outputs jointly, has one affine map; two cells with the same map that share
no facet stay apart.

Example: ``f(x) = max(0, x, 2x - 2) - max(0, 2x - 2)`` has 4 activation cells
(``x < 0``, ``0 < x < 1``, ``1 < x < 2``, ``x > 2``) with maps ``0, x, 2 - x, 0``; the two
cells with map ``0`` do not touch, so there are 4 linear regions.  ``ReLU(y - ReLU(x))``
has 4 activation cells on R^2 but 3 linear regions: the two cells where the output unit
is off both carry the map ``0`` and share a facet.

*All of R^n* (``domain=None``) is handled exactly, without a guessed radius: the input is
homogenised (``t f(x / t)`` on ``(x, t)``, ``t >= 0``), and the engine runs on each of the
``2n + 1`` facets of the cube's upper half (the top ``t = 1`` is a box of the input space;
a side ``x_i = +-R`` reaches infinity at ``t = 0``).  The pieces of one cell are joined by
pattern (an activation cell is convex, so one pattern is one cell).

*Exactness.*  ``exact=True`` decides every sign exactly on the exact weights (a float weight
is the dyadic rational it stores).  The float pass runs first with a rigorous bound on the
rounding error of every vertex coordinate and pre-activation (:mod:`tropnet.regions.refine`);
when every sign decision clears its bound, it provably made the same decisions as the
rational pass, so its cells are the exact cells, and every vertex is simple.  Then:

* an exact *activation count* is the number of those cells (about 1.5-5x the float time); in
  two dimensions on a box the engine stops before the last layer, whose lines are counted in
  each cell as ``1 + k + (pairs meeting inside)`` with every decision certified
  (:mod:`tropnet.regions.planar_count`);
* exact *regions* and *linear counts* need no exact vertex coordinates: the constraints tight
  at each vertex are known combinatorially, so each cell's facets are exactly the constraints
  tight at one of its vertices; their rows and the cells' affine maps come from one walk
  through the network in Python integers (every layer's rationals over their common
  denominator, one class of cells per pattern prefix); maps are compared exactly; each float
  interior point is checked strictly inside every facet in exact arithmetic (else the exact
  centroid is used), and exact vertices are solved from their tight facets on demand
  (``Region.vertices()``, ``volume()``).  Measured: 2.6-5x the float time.

A decision too close to call sets its cell aside: the rational pass enumerates it inside its
exact polytope, with the units decided so far fixed, so its vertices keep their tight
constraints too.  A non-dyadic input, or a vertex on more than ``d`` hyperplanes (ties,
coincident or parallel rows), sends the whole computation to the rational pass, which runs
the same algorithm in python-flint rationals with exact zero tests; when its vertices are
simple the facets still come from their tight constraints, else from exact vertex incidences
(20-50x the float time).  Float mode decides ties with the relative tolerance
documented in :mod:`tropnet.regions.refine`: it can merge cells thinner than about ``1e-9``
times a unit's range into a neighbour (so counts can be too low, and linear regions merged
wrongly), which ``exact=True`` never does.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])
>>> tropnet.count_linear_regions(net)
4
>>> mlp = tropnet.random_mlp([2, 8, 8, 1], seed=0)
>>> tropnet.count_linear_regions(mlp, tropnet.Box(-10, 10), kind="activation")
105
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..geometry.domains import Box, Domain, Polyhedron
from ..kernels.merge import row_keys
from ..networks.layers import GroupMax, Linear
from ..networks.network import Network
from .affine import (
    _divide,
    _integer_rows,
    cell_affine,
    cell_facets,
    facet_point,
    hrep_facets,
    maps_and_rows,
    merge_linear,
    patterns_at,
)
from .cells import Cells, RegionLimitError
from .program import Stage, stages_from_network
from .refine import refine
from .regionset import RegionSet

__all__ = [
    "linear_regions",
    "count_linear_regions",
    "as_network",
    "find_cells",
    "cube_facets",
    "enclosing_box",
    "RegionLimitError",
]

_KINDS = ("linear", "activation")


# --------------------------------------------------------------------------- inputs
def _polys(obj: Any) -> list[tuple[Any, int]] | None:
    """Tropical objects as a list of (polynomial, sign) or None when obj is not one."""
    try:
        from ..algebra.polynomial import TropicalPolynomial
        from ..algebra.rational import TropicalRational, TropicalRationalMap
    except ImportError:  # pragma: no cover - algebra package missing
        return None
    if isinstance(obj, TropicalPolynomial):
        return [[(obj, 1)]]
    if isinstance(obj, TropicalRational):
        return [[(obj.numerator, 1), (obj.denominator, -1)]]
    if isinstance(obj, TropicalRationalMap):
        return [[(r.numerator, 1), (r.denominator, -1)] for r in obj]
    return None


def as_network(obj: Any) -> Network:
    """The network whose activation cells are the regions of ``obj``: a :class:`Network`
    itself, or for a tropical polynomial / rational function / rational map
    ``Linear(E, c) -> GroupMax -> Linear`` with one group per polynomial (the pattern is the
    tuple of winning monomials; groups of unequal size are padded by repeating a member).

    >>> from tropnet.algebra.polynomial import variables
    >>> x, y = variables("x y")
    >>> [type(l).__name__ for l in as_network(x + y + 0).layers]
    ['Linear', 'GroupMax', 'Linear']
    """
    if isinstance(obj, Network):
        return obj
    outs = _polys(obj)
    if outs is None:
        raise TypeError(
            "linear_regions needs a Network, TropicalPolynomial, TropicalRational or TropicalRationalMap, "
            f"got {type(obj).__name__}"
        )
    polys = [pq for out in outs for pq in out]
    n = polys[0][0].nvars
    exact = all(p.is_exact for p, _ in polys)
    k = max(len(p) for p, _ in polys)
    if k == 0:
        raise ValueError("a tropical polynomial with no monomials (the tropical zero) has no regions")
    E_rows, c_rows, groups = [], [], []
    for p, _ in polys:
        m = len(p)
        if m == 0:
            raise ValueError("a tropical polynomial with no monomials (the tropical zero) has no regions")
        start = len(c_rows)
        E_rows.extend(list(p.exponents))
        c_rows.extend(list(p.coefficients))
        g = list(range(start, start + m)) + [start + m - 1] * (k - m)
        groups.append(g)
    Wout = np.zeros((len(outs), len(polys)), dtype=np.int64)
    j = 0
    for o, out in enumerate(outs):
        for _, sign in out:
            Wout[o, j] = sign
            j += 1
    if exact:
        E = np.array([[Fraction(v) for v in row] for row in E_rows], dtype=object)
        c = np.array([Fraction(v) for v in c_rows], dtype=object)
    else:
        E = np.array([[float(v) for v in row] for row in E_rows], dtype=np.float64).reshape(len(E_rows), n)
        c = np.array([float(v) for v in c_rows], dtype=np.float64)
    return Network(
        [
            Linear(E, c),
            GroupMax(np.array(groups, dtype=np.int64), len(c_rows)),
            Linear(Wout, np.zeros(len(outs), dtype=np.int64)),
        ],
        input_dim=n,
    )


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'linear' or 'activation', got {kind!r}")


def _domain(domain: Any, n: int, exact: bool):
    """("box", lo, hi) or ("poly", A, b) or ("all",), validated."""
    if domain is None:
        return ("all",)
    if not isinstance(domain, Domain):
        raise TypeError(
            f"domain must be None, a tropnet.Box or a tropnet.Polyhedron, got {type(domain).__name__}"
        )
    if isinstance(domain, Box):
        lo, hi = domain.exact_bounds(n)
        if exact:
            lo = np.array([Fraction(v) for v in lo], dtype=object)
            hi = np.array([Fraction(v) for v in hi], dtype=object)
        else:
            lo = np.asarray(lo, dtype=np.float64)
            hi = np.asarray(hi, dtype=np.float64)
        return ("box", lo, hi)
    if isinstance(domain, Polyhedron):
        A, b = domain.halfspaces(n)
        domain.check()  # empty / lower-dimensional -> ValueError
        if exact:
            A = np.array([[Fraction(v) for v in row] for row in A], dtype=object).reshape(A.shape)
            b = np.array([Fraction(v) for v in b], dtype=object)
        else:
            A = np.asarray(A, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
        return ("poly", A, b)
    raise TypeError(f"unsupported domain type {type(domain).__name__}")


def domain_rows(dom: tuple, n: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``A x <= b`` of a validated domain (``_domain``'s tuple): the box's ``2n``
    rows, the polyhedron's own, or none for all of R^n; ``Fraction`` entries when exact.

    >>> domain_rows(("box", np.array([0.0]), np.array([1.0])), 1, False)[1].tolist()
    [1.0, -0.0]
    """
    dt = object if exact else np.float64
    if dom[0] == "poly":
        return dom[1], dom[2]
    if dom[0] == "all":
        return np.zeros((0, n), dtype=dt), np.zeros(0, dtype=dt)
    lo, hi = dom[1], dom[2]
    eye = np.eye(n, dtype=np.int64)
    A = np.vstack([eye, -eye])
    A = np.vectorize(Fraction, otypes=[object])(A) if exact else A.astype(dt)
    return A, np.concatenate([hi, -lo]).astype(dt)


# --------------------------------------------------------------------------- engine runs
@dataclass
class FoundCells:
    """Activation cells on a domain, in homogeneous vertex form (what RegionSet needs)."""

    stages: list[Stage]
    d: int
    exact: bool
    patterns: np.ndarray
    points: np.ndarray
    bounded: np.ndarray
    vert_off: np.ndarray
    vert_ids: np.ndarray
    vert_X: np.ndarray
    vert_t: np.ndarray
    dom_A: np.ndarray
    dom_b: np.ndarray
    vert_codes: np.ndarray | None = None  # (nnz, d) certified tight codes (see _code_facets)
    cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.patterns)


def _planar():
    if os.environ.get("TROPNET_NO_PLANAR"):
        return None
    try:
        from . import planar
    except ImportError:
        return None
    return getattr(planar, "enumerate_cells", None)


def _planar_count():
    if os.environ.get("TROPNET_NO_PLANAR"):
        return None
    try:
        from . import planar
    except ImportError:
        return None
    return getattr(planar, "count_cells", None)


def _run_box(
    net, stages, d, lo, hi, halfspaces, exact, max_regions, progress, engine, certify=False, codes=False
) -> Cells:
    try:
        if engine == "auto" and d == 2 and not exact:
            planar = _planar()
            if planar is not None:
                return planar(
                    net.lowered(),
                    lo,
                    hi,
                    halfspaces=halfspaces,
                    max_cells=max_regions,
                    progress=bool(progress),
                )
        return refine(
            stages,
            d,
            lo,
            hi,
            halfspaces=halfspaces,
            max_cells=max_regions,
            progress=progress,
            exact=exact,
            certify=certify or codes,
            tight_codes=codes,
        )
    except RegionLimitError as err:
        raise RegionLimitError(f"more than max_regions={max_regions} regions ({err})") from None


def _radius(net: Network, dom) -> float:
    """A radius for the top facet of the homogenised cube: twice the largest distance from
    the origin of a first-layer hyperplane (affects speed, never correctness)."""
    first = net.lowered().layers[0]
    r = 1.0
    if isinstance(first, Linear):
        W = first.float_weight
        b = first.float_bias
        nr = np.linalg.norm(W, axis=1)
        ok = nr > 0
        if ok.any():
            r = max(r, 2.0 * float(np.max(np.abs(b[ok]) / nr[ok])))
    if dom[0] == "poly":
        A = np.asarray(dom[1], dtype=np.float64)
        b = np.asarray(dom[2], dtype=np.float64)
        nr = np.linalg.norm(A, axis=1)
        ok = nr > 0
        if ok.any():
            r = max(r, 2.0 * float(np.max(np.abs(b[ok]) / nr[ok])))
    # a power of two keeps the embedding exact
    return float(2.0 ** np.ceil(np.log2(r)))


def enclosing_box(dom: tuple, exact: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """An integer box strictly containing a bounded polyhedron domain (its bounding box, 2n LPs,
    padded), or ``None`` when it is unbounded; ``Fraction`` bounds when exact.

    >>> [v.tolist() for v in enclosing_box(("poly", np.array([[1.0], [-1.0]]), np.array([1.0, 0.0])), False)]
    [[-2.0], [3.0]]
    """
    from ..kernels.lp import bounding_box

    bb = bounding_box(np.asarray(dom[1], dtype=np.float64), np.asarray(dom[2], dtype=np.float64))
    if bb is None:
        return None
    lo, hi = bb
    pad = 1.0 + 0.01 * float(np.max(hi - lo))
    lo, hi = np.floor(lo - pad), np.ceil(hi + pad)
    if exact:
        lo = np.array([Fraction(v) for v in lo], dtype=object)
        hi = np.array([Fraction(v) for v in hi], dtype=object)
    return lo, hi


def find_cells(
    obj: Any,
    domain: Any = None,
    *,
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = False,
    engine: str = "auto",
    certify: bool = False,
    codes: bool = False,
) -> FoundCells:
    """Run the enumeration engine(s) for ``obj`` on ``domain`` and collect the activation cells.

    ``engine="auto"`` uses the 2D polygon engine for float runs on a bounded 2D domain when it
    is installed, else the n-D vertex engine (``engine="refine"`` forces the latter).
    With ``exact=True``, ``certify=True`` lets the certified float pass decide the cells (for
    counts), and ``codes=True`` also keeps the tight constraints of every vertex when it
    decided everything (``vert_codes``: the fast exact geometry of :func:`build_region_set`);
    otherwise the cells come from the rational pass.

    >>> import tropnet
    >>> len(find_cells(tropnet.random_mlp([2, 4, 1], seed=1)))
    11
    """
    net = as_network(obj)
    n = net.input_dim
    dom = _domain(domain, n, exact)
    stages = stages_from_network(net, exact=exact)
    if dom[0] == "poly":
        box = enclosing_box(dom, exact)
        if box is not None:
            lo, hi = box
            cells = _run_box(
                net, stages, n, lo, hi, (dom[1], dom[2]), exact, max_regions, progress, engine, certify, codes
            )
            if len(cells) == 0:
                raise ValueError("the domain polyhedron has no interior")
            return _from_bounded(cells, stages, n, exact, dom[1], dom[2], box_is_domain=False)
        return _homogeneous(net, stages, n, dom, exact, max_regions, progress, certify, codes)
    if dom[0] == "box":
        lo, hi = dom[1], dom[2]
        cells = _run_box(net, stages, n, lo, hi, None, exact, max_regions, progress, engine, certify, codes)
        return _from_bounded(cells, stages, n, exact, *domain_rows(dom, n, exact), box_is_domain=True)
    return _homogeneous(net, stages, n, dom, exact, max_regions, progress, certify, codes)


def _no_vertices(cells: Cells, n: int) -> Cells:
    """High-dimensional runs (H-representation engine) give no vertices: an empty vertex pool."""
    if cells.vertex_coords is not None:
        return cells
    return Cells(
        cells.patterns,
        cells.points,
        np.zeros((0, n)),
        np.zeros(len(cells) + 1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )


def _domain_codes(codes: np.ndarray | None, n: int, box_is_domain: bool) -> np.ndarray | None:
    """Engine tight codes in terms of the domain's rows: box side ``i`` (code ``-2 - i``) is
    domain row ``i`` when the run's box is the domain, else an artificial bound (``-1``);
    clipping row ``r`` (code ``-2 - (2n + r)``) is domain row ``r`` (code ``-2 - r``)."""
    if codes is None:
        return None
    out = codes.copy()
    eng_id = -2 - codes
    side = (codes < -1) & (eng_id < 2 * n)
    clip = (codes < -1) & (eng_id >= 2 * n)
    if not box_is_domain:
        out[side] = -1
    out[clip] = -2 - (eng_id[clip] - 2 * n)
    return out


def _from_bounded(cells: Cells, stages, n, exact, A, b, box_is_domain: bool = True) -> FoundCells:
    cells = _no_vertices(cells, n)
    X = cells.vertex_coords
    rational = X.dtype == object  # certified exact runs keep float vertices
    dt = object if rational else np.float64
    one = Fraction(1) if rational else 1.0
    t = np.empty(len(X), dtype=dt)
    t[:] = one
    return FoundCells(
        stages,
        n,
        exact,
        cells.patterns,
        cells.points,
        np.ones(len(cells), dtype=bool),
        cells.vertex_offsets,
        cells.vertex_ids,
        X,
        t,
        A,
        b,
        _domain_codes(cells.vertex_codes, n, box_is_domain),
    )


def cube_facets(net: Network, dom: tuple, exact: bool) -> list[tuple]:
    """The pieces of a run on all of R^n (or an unbounded polyhedron): the network homogenised
    (``t f(x / t)`` on ``(x, t)``, ``t >= 0``) on each of the ``2n + 1`` upper facets of the
    cube ``[-R, R]^n x [0, 1]`` (the top ``t = 1`` is a box of the input space; a side
    ``x_i = +-R`` reaches infinity at ``t = 0``).  Each is ``(program, lo, hi, halfspaces, M, m0)``:
    the internal program on the facet's box coordinates ``y`` (``(x, t) = M y + m0``), its box,
    and the polyhedron's rows in ``y`` (``None`` for all of R^n).

    >>> import tropnet
    >>> len(cube_facets(tropnet.random_mlp([2, 3, 1]), ("all",), False))
    5
    """
    n = net.input_dim
    R = _radius(net, dom)
    hstages = stages_from_network(net, exact=exact, homogeneous=True)
    dt = object if exact else np.float64
    num = Fraction if exact else float
    out = []
    for f in [None] + [(i, s) for i in range(n) for s in (1, -1)]:
        M = np.zeros((n + 1, n), dtype=dt)
        M[:] = num(0)
        m0 = np.zeros(n + 1, dtype=dt)
        m0[:] = num(0)
        lo = np.full(n, num(-R), dtype=dt)
        hi = np.full(n, num(R), dtype=dt)
        if f is None:
            for j in range(n):
                M[j, j] = num(1)
            m0[n] = num(1)
        else:
            i, s = f
            for col, j in enumerate(j for j in range(n) if j != i):
                M[j, col] = num(1)
            M[n, n - 1] = num(1)
            m0[i] = num(s * R)
            lo[n - 1] = num(0)
            hi[n - 1] = num(1)
        halfspaces = None
        if dom[0] == "poly":
            Ah = np.hstack([dom[1], -dom[2][:, None]])  # A x - b t <= 0
            halfspaces = (Ah.dot(M), -Ah.dot(m0))
        out.append(([Stage("affine", W=M, b=m0)] + hstages, lo, hi, halfspaces, M, m0))
    return out


def _homogeneous(net, stages, n, dom, exact, max_regions, progress, certify=False, codes=False) -> FoundCells:
    """All of R^n (or an unbounded polyhedron) through the homogenised network on the
    2n + 1 upper facets of the cube [-R, R]^n x [0, 1]."""
    pieces, runs = [], []
    total = 0
    for program, lo, hi, halfspaces, M, m0 in cube_facets(net, dom, exact):
        args = (program, n, lo, hi)
        kw = dict(halfspaces=halfspaces, max_cells=max_regions, progress=progress, exact=exact)
        cells = refine(*args, **kw, certify=certify or codes, tight_codes=codes)
        if len(cells):
            runs.append((args, kw, M, m0, cells))
    if codes and any(r[4].vertex_codes is None for r in runs):
        # one piece needed the rational pass: the joined cells must all have exact vertices
        runs = [r if r[4].vertex_codes is None else r[:4] + (refine(*r[0], **r[1]),) for r in runs]
    for _, _, M, m0, cells in runs:
        cells = _no_vertices(cells, n)
        Y = cells.vertex_coords
        Mc, mc = (M, m0) if Y.dtype == object else (M.astype(np.float64), m0.astype(np.float64))
        XH = Y.dot(Mc.T) + mc
        pts = cells.points.dot(Mc.T) + mc
        pieces.append((cells, XH, pts))
        total += len(cells)
    if not pieces:
        raise ValueError("the domain has no interior")
    A_dom, b_dom = domain_rows(dom, n, exact)
    parts = []
    for cells, XH, pts in pieces:
        vt = XH[:, n]
        zero_t = vt == 0
        ids, off = cells.vertex_ids, cells.vertex_offsets
        reaches_infinity = (
            np.logical_or.reduceat(zero_t[ids], off[:-1]) if len(ids) else np.zeros(len(cells), bool)
        )
        parts.append(
            FoundCells(
                stages, n, exact, cells.patterns, pts[:, :n] / pts[:, n][:, None], ~reaches_infinity,
                off, ids, XH[:, :n], vt, A_dom, b_dom, _domain_codes(cells.vertex_codes, n, False),
            )
        )
    found = join_pieces(parts, stages, n, exact, A_dom, b_dom)
    if len(found) and len(found.vert_ids) == 0:
        # H-representation cells carry no vertices at t = 0: ask their halfspaces instead
        found.bounded[:] = _hrep_bounded(found)
    if max_regions is not None and len(found) > max_regions:
        raise RegionLimitError(f"more than max_regions={max_regions} cells ({len(found)})")
    return found


def join_pieces(parts: list[FoundCells], stages, n: int, exact: bool, dom_A, dom_b) -> FoundCells:
    """One :class:`FoundCells` from the cells found on several pieces of a domain.

    The pieces of one activation cell carry one pattern (a cell is convex, so one pattern is
    one cell): they are joined, their vertex lists concatenated (points that only cut the
    cell, not its vertices, lie in the cell and do not change its hull or facets), the cell is
    bounded when every piece is, and the first piece's interior point is kept.  Cells come out
    in order of first appearance.
    """
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        raise ValueError("the domain has no interior")
    pats = np.vstack([p.patterns for p in parts])
    _, first, inv = np.unique(row_keys(pats), return_index=True, return_inverse=True)
    inv = inv.ravel()
    uniq = pats[first]
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    gid = rank[inv]
    C = len(order)
    base = 0
    ent_cell, ent_ids, k = [], [], 0
    for p in parts:
        ent_cell.append(np.repeat(gid[k : k + len(p)], np.diff(p.vert_off)))
        ent_ids.append(p.vert_ids + base)
        base += len(p.vert_X)
        k += len(p)
    ent_cell = np.concatenate(ent_cell)
    ent_ids = np.concatenate(ent_ids)
    o = np.argsort(ent_cell, kind="stable")
    codes = None
    if all(p.vert_codes is not None for p in parts):
        codes = np.vstack([p.vert_codes for p in parts])[o]
    vert_off = np.concatenate([[0], np.cumsum(np.bincount(ent_cell, minlength=C))]).astype(np.int64)
    bounded = np.ones(C, dtype=bool)
    np.logical_and.at(bounded, gid, np.concatenate([p.bounded for p in parts]))
    return FoundCells(
        stages,
        n,
        exact,
        uniq[order].astype(np.int32),
        np.vstack([p.points for p in parts])[first[order]],
        bounded,
        vert_off,
        ent_ids[o].astype(np.int64),
        np.vstack([p.vert_X for p in parts]),
        np.concatenate([p.vert_t for p in parts]),
        dom_A,
        dom_b,
        codes,
    )


# --------------------------------------------------------------------------- regions
def _pattern_hash(P: np.ndarray, R: np.ndarray) -> np.ndarray:
    return (P.astype(np.uint64) * R[None, :]).sum(axis=1)


def build_region_set(found: FoundCells, kind: str) -> RegionSet:
    """The :class:`RegionSet` of ``found``: for ``kind="activation"`` the halfspaces,
    neighbours and maps are computed on first use; ``kind="linear"`` needs them for the merge.

    >>> import tropnet
    >>> found = find_cells(tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]))
    >>> len(build_region_set(found, "activation")), len(build_region_set(found, "linear"))
    (2, 2)
    """
    common = dict(
        exact=found.exact,
        dim=found.d,
        patterns=found.patterns,
        points=found.points,
        bounded=found.bounded,
        vert_off=found.vert_off,
        vert_ids=found.vert_ids,
        vert_X=found.vert_X,
        vert_t=found.vert_t,
    )
    if found.vert_codes is not None:
        # certified cells: exact points and the facets tight at each vertex (for exact
        # vertices on demand); the float vertex pool is kept for plotting only
        cf = _code_facets(found)
        common.update(points=cf["points"], vert_facets=cf["vert_facets"])
    if kind == "activation":
        return RegionSet(kind=kind, geometry=lambda: _geometry(found)[:6], **common)
    facet_off, facet_A, facet_b, nbr, W, cmap, fc = _geometry(found)
    C = len(found)
    has = nbr >= 0
    e = np.stack([fc[has], nbr[has]], axis=1)
    if found.vert_codes is not None:  # integer numerators over one denominator
        Wi = found.cache["facets"]["ca"].map_numerators()
        same = (Wi[e[:, 0]] == Wi[e[:, 1]]).reshape(len(e), Wi[0].size).all(axis=1).astype(bool)
    elif found.exact:
        same = np.array([bool((W[a] == W[b]).all() and (cmap[a] == cmap[b]).all()) for a, b in e], dtype=bool)
    else:
        scale = max(
            float(np.abs(W).max()) if W.size else 0.0, float(np.abs(cmap).max()) if cmap.size else 0.0
        )
        tol = 1e-9 * max(scale, 1e-300)
        same = (
            (np.abs(W[e[:, 0]] - W[e[:, 1]]).max(axis=(1, 2)) <= tol)
            & (np.abs(cmap[e[:, 0]] - cmap[e[:, 1]]).max(axis=1) <= tol)
            if len(e)
            else np.zeros(0, dtype=bool)
        )
    labels = merge_linear(C, e, same)
    return RegionSet(
        kind=kind,
        facet_off=facet_off,
        facet_A=facet_A,
        facet_b=facet_b,
        facet_nbr=nbr,
        maps_W=W,
        maps_c=cmap,
        labels=labels,
        **common,
    )


def _facet_centre(found: FoundCells, c: int, a: np.ndarray, b: Any) -> tuple:
    """A homogeneous point ``(sum of x, sum of t)`` in the relative interior of the facet
    ``a x <= b`` of cell ``c``: the sum of the cell's vertices tight on it."""
    ids = found.vert_ids[found.vert_off[c] : found.vert_off[c + 1]]
    X, t = found.vert_X[ids], found.vert_t[ids]
    slack = X.dot(a) - b * t
    if found.exact:
        tight = np.array([v == 0 for v in slack], dtype=bool)
    else:
        scale = float(np.abs(a).sum() * max(1.0, np.abs(X).max()) + abs(b))
        tight = np.abs(slack) <= 1e-9 * scale
    return X[tight].sum(axis=0), t[tight].sum()


class _Inconsistent(Exception):
    """The certified cells contradict themselves (a bug): the rational pass takes over."""


def _code_facets(found: FoundCells) -> dict:
    """Exact facets of certified cells from their tight codes, without any vertex coordinates.

    Every vertex of a certified run is simple, so each constraint tight at one of a cell's
    vertices is a facet of the cell and the facets are exactly the codes met at its vertices
    (artificial bounds of the run, code ``-1``, excepted).  The rows come from the exact affine
    walk (:func:`tropnet.regions.affine.cell_affine`, integers); the float interior points are
    checked strictly inside every facet in exact integer arithmetic, and a cell whose point
    fails gets the exact centroid of its vertices instead.  Cached on ``found``."""
    if "facets" in found.cache:
        return found.cache["facets"]
    st, d, C = found.stages, found.d, len(found)
    ca = cell_affine(st, found.patterns, d, exact=True)
    Rd = found.dom_A.shape[0]
    R = Rd + ca.nrows
    ncols = found.patterns.shape[1]
    unit_row = np.full(max(ncols, 1), -1, dtype=np.int64)
    group_row = np.full(max(ncols, 1), -1, dtype=np.int64)
    is_unit = ca.row_member < 0
    unit_row[ca.row_col[is_unit]] = np.flatnonzero(is_unit)
    first = ca.row_member == 0
    group_row[ca.row_col[first]] = np.flatnonzero(first)
    # one (cell, row) key per tight code of every (cell, vertex) entry
    codes = found.vert_codes.ravel()
    ecell = np.repeat(np.repeat(np.arange(C), np.diff(found.vert_off)), d)
    real = codes != -1
    row = np.full(len(codes), -1, dtype=np.int64)
    dom = codes < -1
    row[dom] = -2 - codes[dom]
    unit = codes >= 0
    col, low = codes[unit] >> 20, codes[unit] & ((1 << 20) - 1)
    row[unit] = Rd + np.where(group_row[col] >= 0, group_row[col] + low, unit_row[col])
    key = ecell[real] * R + row[real]
    ukey, inv = np.unique(key, return_inverse=True)
    fc, fr = ukey // R, ukey % R
    facet_off = np.concatenate([[0], np.cumsum(np.bincount(fc, minlength=C))]).astype(np.int64)
    local = np.full(len(codes), -1, dtype=np.int64)
    local[real] = inv.ravel() - facet_off[ecell[real]]
    # exact rows, as integer homogeneous vectors h with h . (x, 1) <= 0, and as values
    on_dom = fr < Rd
    Hf = np.empty((len(fc), d + 1), dtype=object)
    if on_dom.any():
        Hd = _integer_rows(np.concatenate([found.dom_A, -found.dom_b[:, None]], axis=1))
        Hf[on_dom] = Hd[fr[on_dom]]
    facet_A = np.empty((len(fc), d), dtype=object)
    facet_b = np.empty(len(fc), dtype=object)
    facet_A[on_dom] = found.dom_A[fr[on_dom]]
    facet_b[on_dom] = found.dom_b[fr[on_dom]]
    code = np.where(on_dom, -2, 0).astype(np.int64)
    if (~on_dom).any():
        cu, ru = fc[~on_dom], fr[~on_dom] - Rd
        h, den = ca.numerators(cu, ru)
        Hf[~on_dom] = h
        vals = _divide(h, den[:, None])
        facet_A[~on_dom], facet_b[~on_dom] = vals[:, :d], -vals[:, d]
        code[~on_dom] = ca.flips(cu, ru)
    points = _certified_points(found, Hf, fc, facet_off, facet_A, facet_b, local)
    out = dict(
        ca=ca, facet_off=facet_off, fc=fc, code=code, facet_A=facet_A, facet_b=facet_b,
        vert_facets=local.reshape(-1, d).astype(np.int32), points=points,
    )
    found.cache["facets"] = out
    return out


def _certified_points(found, Hf, fc, facet_off, facet_A, facet_b, local) -> np.ndarray:
    """Exact (``Fraction``) interior points: the float candidates when they lie strictly inside
    every facet (decided exactly: a float is a dyadic rational), else the exact centroid."""
    from .regionset import solve_cell_vertices

    d, C = found.d, len(found)
    P = np.asarray(found.points, dtype=np.float64)
    if not np.isfinite(P).all():
        raise _Inconsistent
    mant, ex = np.frexp(P)
    m = (mant * 2.0**53).astype(np.int64)
    e = ex.astype(np.int64) - 53
    E = int(e.min()) if e.size else 0
    Xi = np.empty(P.shape, dtype=object)
    Xi.ravel()[:] = [int(a) << int(s) for a, s in zip(m.ravel(), (e - E).ravel())]
    scale = 1 << -E if E < 0 else 1
    if E > 0:
        Xi = Xi * (1 << E)
    slack = Hf[:, d] * scale
    for j in range(d):
        slack = slack + Hf[:, j] * Xi[fc, j]
    inside = np.ones(C, dtype=bool)
    np.logical_and.at(inside, fc, (slack < 0).astype(bool))
    points = np.empty((C, d), dtype=object)
    for c in np.flatnonzero(inside):
        points[c] = [Fraction(int(v), scale) for v in Xi[c]]
    for c in np.flatnonzero(~inside):
        lo, hi = found.vert_off[c], found.vert_off[c + 1]
        V = solve_cell_vertices(
            facet_A[facet_off[c] : facet_off[c + 1]], facet_b[facet_off[c] : facet_off[c + 1]],
            local.reshape(-1, d)[lo:hi],
        )
        if len(V) == 0:
            raise _Inconsistent
        points[c] = V.sum(axis=0) / len(V)
    return points


def _hrep_bounded(found: FoundCells) -> np.ndarray:
    """Which cells without a vertex list are bounded (one LP each, see ``hrep_facets``)."""
    return _hrep_facets(found)[2]


def _hrep_facets(found: FoundCells) -> tuple:
    """``hrep_facets`` of the cells of an H-representation run over the domain's rows and the
    unit rows (computed once: boundedness and the geometry both need them)."""
    if "hrep" not in found.cache:
        C, d = len(found), found.d
        Au, bu = maps_and_rows(found.stages, found.patterns, d)[2:4]
        Rd = found.dom_A.shape[0]
        Ad = np.broadcast_to(np.asarray(found.dom_A, dtype=np.float64), (C, Rd, d))
        bd = np.broadcast_to(np.asarray(found.dom_b, dtype=np.float64), (C, Rd))
        found.cache["hrep"] = hrep_facets(np.concatenate([Ad, Au], axis=1), np.concatenate([bd, bu], axis=1))
    return found.cache["hrep"]


def _geometry(found: FoundCells) -> tuple:
    """Irredundant halfspaces (CSR), facet neighbours and affine maps of every cell."""
    st, d, exact = found.stages, found.d, found.exact
    hrep = len(found) > 0 and len(found.vert_ids) == 0  # H-representation engine: no vertices
    C = len(found)
    pats = found.patterns
    if found.vert_codes is not None:
        cf = _code_facets(found)
        W, cmap = cf["ca"].maps()
        fc, facet_off, facet_A, facet_b, code = (
            cf["fc"], cf["facet_off"], cf["facet_A"], cf["facet_b"], cf["code"]
        )
        coinc_f = np.zeros(len(fc), dtype=bool)
        centre: dict = {}
    else:
        W, cmap, Au, bu, flip = maps_and_rows(st, pats, d, exact=exact)
        Rd = found.dom_A.shape[0]
        Ad = np.broadcast_to(found.dom_A[None, :, :], (C, Rd, d))
        bd = np.broadcast_to(found.dom_b[None, :], (C, Rd))
        A_all = np.concatenate([Ad, Au], axis=1)
        b_all = np.concatenate([bd, bu], axis=1)
        fl_all = np.concatenate([np.full((C, Rd), -2, dtype=np.int64), flip], axis=1)
        if hrep:
            facet, coinc, _ = _hrep_facets(found)
            centre = {}
        else:
            facet, coinc, centre = cell_facets(
                A_all, b_all, found.vert_off, found.vert_ids, found.vert_X, found.vert_t, d, exact=exact
            )
        fc, fr = np.nonzero(facet)
        facet_off = np.concatenate([[0], np.cumsum(np.bincount(fc, minlength=C))]).astype(np.int64)
        facet_A = A_all[fc, fr]
        facet_b = b_all[fc, fr]
        code = fl_all[fc, fr]
        coinc_f = coinc[fc, fr]
    nbr = np.full(len(fc), -1, dtype=np.int64)
    # neighbours by flipping the pattern entry of the facet's unit
    rng = np.random.default_rng(7)
    Rh = rng.integers(0, np.iinfo(np.uint64).max, size=pats.shape[1], dtype=np.uint64)
    h = _pattern_hash(pats, Rh) if pats.shape[1] else np.zeros(C, dtype=np.uint64)
    order = np.argsort(h)
    hs = h[order]
    simple = (code >= 0) & ~coinc_f
    if simple.any():
        col = code[simple] >> 20
        val = code[simple] & ((1 << 20) - 1)
        cells = fc[simple]
        old = pats[cells, col].astype(np.int64)
        hn = h[cells] + (val - old).astype(np.uint64) * Rh[col]
        pos = np.minimum(np.searchsorted(hs, hn), C - 1)
        cand = order[pos]
        newpat = pats[cells].copy()
        newpat[np.arange(len(cells)), col] = val
        ok = (hs[pos] == hn) & (pats[cand] == newpat).all(axis=1)
        nb = np.where(ok, cand, -1)
        nbr[np.nonzero(simple)[0]] = nb
    # facets where the one-unit flip found nothing: several units vanish on them (coincident
    # hyperplanes, possibly of different layers), or the facet lies on the domain's boundary.
    # Read the pattern just across the facet's centre.  In exact mode this also certifies
    # completeness: a point across a facet, inside the domain, whose pattern is not a reported
    # cell would prove a missed cell, and raises instead of returning a wrong answer.
    lookup = None
    A_dom, b_dom = found.dom_A, found.dom_b
    missing = np.nonzero((code >= 0) & (nbr < 0))[0]
    if found.vert_codes is not None and len(missing):
        # in a certified run every unit facet is crossed by a single unit: its neighbour must
        # be the cell with that unit flipped
        raise _Inconsistent
    for j in missing:
        if lookup is None:
            lookup = {pats[i].tobytes(): i for i in range(C)}
        c, r = int(fc[j]), int(fr[j])
        if hrep:
            y = facet_point(A_all[c], b_all[c], r)
            if y is None:
                continue
            sx, stt = y, 1.0
        else:
            sx, stt = centre[(c, r)] if (c, r) in centre else _facet_centre(found, c, facet_A[j], facet_b[j])
        if stt == 0:
            continue  # a facet at infinity
        p = sx / stt
        x0 = found.points[c]
        unresolved = None
        for k in (10, 20, 30, 40):
            delta = Fraction(1, 2**k) if exact else 2.0**-k
            q = p + delta * (p - x0)
            if len(b_dom) and not bool(np.all(A_dom.dot(q) <= b_dom)):
                unresolved = None
                break  # across is outside the domain: a boundary facet
            pat = patterns_at(st, q[None, :])[0].astype(np.int32)
            hit = lookup.get(pat.tobytes())
            if hit is not None and hit != c:
                nbr[j] = hit
                unresolved = None
                break
            if hit is None:
                unresolved = q
        if exact and unresolved is not None:
            raise RuntimeError(
                "exact enumeration could not certify completeness: the point "
                f"{[str(v) for v in unresolved]} lies across a facet of cell {c} inside the domain, "
                "but its activation pattern is not among the reported cells (please report this bug)"
            )
    return facet_off, facet_A, facet_b, nbr, W, cmap, fc


def _route(*, count: bool, obj, domain, kind, exact, max_regions, progress, symmetry, parallel, client):
    """Send a call to the Dask driver (``parallel=``/``client=``) or to the fundamental-domain
    enumeration (``symmetry=``); ``None`` when neither is asked for."""
    kw = dict(kind=kind, exact=exact, max_regions=max_regions, progress=progress)
    if parallel is not None or client is not None:
        if symmetry is not None:
            raise ValueError("symmetry= and parallel= cannot be combined yet; use one of them")
        from .. import parallel as dask_driver

        fn = dask_driver.count_parallel if count else dask_driver.regions_parallel
        return fn(obj, domain, parallel=parallel or "dask", client=client, **kw)
    if symmetry is not None:
        from . import symmetric

        fn = symmetric.count_linear_regions_symmetric if count else symmetric.linear_regions_symmetric
        return fn(obj, domain, symmetry, **kw)
    return None


def linear_regions(
    obj: Any,
    domain: Domain | None = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = None,
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
) -> RegionSet:
    """Every region of ``obj`` on ``domain`` as a :class:`~tropnet.RegionSet`.

    Parameters
    ----------
    obj : Network, TropicalPolynomial, TropicalRational or TropicalRationalMap
    domain : None (all of R^n), tropnet.Box or tropnet.Polyhedron
    kind : "linear" (maximal facet-connected unions of cells with one affine map) or
        "activation" (cells of constant activation pattern); see the module docstring.
    exact : certify every decision in rational arithmetic (``Fraction`` results).
    max_regions : raise :class:`RegionLimitError` once more cells than this appear.
    progress : a tqdm progress bar over the units (when tqdm is installed): ``None`` shows it
        for runs longer than 2 s, ``False`` never.
    symmetry : a :class:`~tropnet.SymmetryGroup` under which ``obj`` and ``domain`` are
        invariant: enumerate its fundamental domain only and return a
        :class:`~tropnet.regions.symmetric.SymmetricRegionSet` (one representative per orbit,
        with exact orbit sizes; ``len`` is the full count).
    parallel, client : ``None`` (serial, the default), ``"local"`` (a local Dask cluster for
        this call) or ``"dask"`` (``client``, or the current default client): the same regions
        as serial, see :mod:`tropnet.parallel` (requires ``pip install tropnet[dask]``).

    >>> import tropnet
    >>> from tropnet.algebra.polynomial import variables
    >>> x, y = variables("x y")
    >>> rs = tropnet.linear_regions((x + y + 0) / (x + 0))
    >>> len(rs), rs.num_cells
    (3, 4)
    """
    routed = _route(count=False, obj=obj, domain=domain, kind=kind, exact=exact, max_regions=max_regions,
                    progress=progress, symmetry=symmetry, parallel=parallel, client=client)
    if routed is not None:
        return routed
    _check_kind(kind)
    return _exact_or_float_regions(obj, domain, kind, exact, max_regions, progress)


def _exact_or_float_regions(obj, domain, kind, exact, max_regions, progress) -> RegionSet:
    """Float: one engine run.  Exact: the certified float pass with its tight codes (exact
    facets, maps and points from integer arithmetic; exact vertices on demand) when it decides
    every sign, else the rational pass."""
    found = find_cells(obj, domain, exact=exact, max_regions=max_regions, progress=progress, codes=exact)
    if found.vert_codes is None:
        return build_region_set(found, kind)
    try:
        rs = build_region_set(found, kind)
        if kind == "activation":
            rs._g()  # the geometry is lazy elsewhere; here it is the certificate
        return rs
    except _Inconsistent:
        found = find_cells(obj, domain, exact=True, max_regions=max_regions, progress=progress)
        return build_region_set(found, kind)


def count_linear_regions(
    obj: Any,
    domain: Domain | None = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = None,
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
) -> int:
    """The number of regions of ``obj`` on ``domain`` (see :func:`linear_regions`); for
    ``kind="activation"`` no halfspaces, maps or adjacency are computed.

    >>> import tropnet
    >>> tropnet.count_linear_regions(tropnet.random_mlp([2, 8, 8, 1], seed=0), kind="activation")
    113
    """
    routed = _route(count=True, obj=obj, domain=domain, kind=kind, exact=exact, max_regions=max_regions,
                    progress=progress, symmetry=symmetry, parallel=parallel, client=client)
    if routed is not None:
        return routed
    _check_kind(kind)
    if kind == "activation" and not exact and isinstance(domain, Box):
        net = as_network(obj)
        planar = _planar_count() if net.input_dim == 2 else None
        if planar is not None:
            lo, hi = domain.bounds(2)
            try:
                return int(planar(net.lowered(), lo, hi, max_cells=max_regions, progress=bool(progress)))
            except RegionLimitError as err:
                raise RegionLimitError(f"more than max_regions={max_regions} regions ({err})") from None
    if kind == "activation" and exact and isinstance(domain, Box):
        net = as_network(obj)
        if net.input_dim == 2:
            # the last layer counted, not cut, when every decision certifies (planar_count)
            from .planar_count import count_last_layer_2d

            n = count_last_layer_2d(net, domain, max_regions=max_regions)
            if n is not None:
                return n
    if kind == "activation":
        # an exact activation count needs no exact geometry: the certified float pass decides
        # it (falling back to the rational pass when some sign is too close to call)
        return len(find_cells(obj, domain, exact=exact, max_regions=max_regions, progress=progress,
                              certify=exact))
    return len(_exact_or_float_regions(obj, domain, kind, exact, max_regions, progress))
