"""Domains: every input of an enumeration turned into what the engines take.

* the object: a :class:`~tropnet.Network` or a tropical polynomial / rational function / map
  (:func:`as_network`);
* the domain: ``None`` (all of R^n), a :class:`~tropnet.Box` or a
  :class:`~tropnet.Polyhedron`, validated into a tuple (:func:`_domain`) with its rows
  ``A x <= b`` (:func:`domain_rows`);
* the *pieces* the engines run on (:func:`domain_pieces`): a box is one piece; a bounded
  polyhedron is its padded bounding box (:func:`enclosing_box`) clipped by its rows; all of R^n
  or an unbounded polyhedron is the homogenised network on the ``2n + 1`` upper facets of a cube
  (:func:`cube_facets`, radius :func:`_radius`), whose cells are joined by pattern afterwards;
  the H-representation engine, which needs no vertex, takes the whole cube in ``(x, t)``
  instead, in one run (:func:`homogenised_cube`).

Every piece is a :class:`Piece`: an internal program on the piece's own box coordinates ``y``
with the input ``(x, t) = M y + m0`` (``M`` the identity for a bounded domain), its box, and
clipping rows.  This is the hook for affine slices: a slice is the network composed with an
affine embedding (one more affine stage in front of the program, as the cube facets already do)
plus a domain in slice coordinates.

>>> import tropnet
>>> domain_pieces(tropnet.random_mlp([2, 3, 1]), None, False)
DomainPieces(kind='cube facets', n=2, pieces=5)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np

from ..geometry.domains import Box, CrossPolytope, Domain, Polyhedron, cross_polytope_of
from ..networks.layers import GroupMax, Linear
from ..networks.network import Network
from .program import Stage, stages_from_network

__all__ = [
    "as_network", "domain_rows", "enclosing_box", "cube_facets", "homogenised_cube", "domain_pieces", "Piece",
    "DomainPieces",
]


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


def _domain(domain: Any, n: int, exact: bool, count: bool = False):
    """("box", lo, hi) or ("poly", A, b) or ("all",), validated; a cross-polytope is
    ("cross", c, r) where the H-representation engine runs (its 1-norm constraint kept whole:
    :func:`~tropnet.regions.hrep.uses_hrep_cross`, ``count`` for a count, serial or on Dask;
    with ``exact``, an activation count),
    else ("poly", A, b) with its ``2^n`` rows; so is a float run's polyhedron of a
    cross-polytope's ``2^n`` rows (:func:`~tropnet.geometry.domains.cross_polytope_of`, up to
    rounding of its rows), by the same rule."""
    if domain is None:
        return ("all",)
    if not isinstance(domain, Domain):
        raise TypeError(
            "domain must be None, a tropnet.Box, Polyhedron or CrossPolytope, "
            f"got {type(domain).__name__}"
        )
    if isinstance(domain, CrossPolytope):
        from .hrep import uses_hrep_cross

        if uses_hrep_cross(n, exact, count):
            if exact:
                c = np.array([Fraction(v) for v in domain.exact_center(n).tolist()], dtype=object)
                return ("cross", c, Fraction(domain.radius))
            return ("cross", domain.exact_center(n).astype(np.float64), float(domain.radius))
        domain = Polyhedron(*domain.halfspaces(n))
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
        if not exact and len(b) == 2**n:
            from .hrep import uses_hrep_cross

            cross = cross_polytope_of(A, b) if uses_hrep_cross(n, exact, count) else None
            if cross is not None:  # a cross-polytope's 2^n rows (AffineSlice.around): kept whole
                return ("cross", cross[0], cross[1])
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
    if dom[0] in ("all", "cross"):  # a cross-polytope's 2^n rows are never listed
        return np.zeros((0, n), dtype=dt), np.zeros(0, dtype=dt)
    lo, hi = dom[1], dom[2]
    eye = np.eye(n, dtype=np.int64)
    A = np.vstack([eye, -eye])
    A = np.vectorize(Fraction, otypes=[object])(A) if exact else A.astype(dt)
    return A, np.concatenate([hi, -lo]).astype(dt)


def _radius(net: Network, dom) -> float | int:
    """A radius for the top facet of the homogenised cube: twice the largest distance from
    the origin of a first-layer hyperplane, leaving out units whose weights are below
    ``1e-6`` times the largest row norm (their far-away hyperplanes would blow the cube up;
    they are met on its sides near ``t = 0``).  Exact runs are right for every radius; float
    runs resolve cells at the cube's scale, so it must not be sized by a near-zero unit.
    A power of two (the embedding stays exact); for exact weights beyond float range it is
    computed in integers (``|b_i| / max_j |W_ij|`` bounds the distance) and returned as an int.

    >>> from tropnet import Network
    >>> _radius(Network.from_arrays([[[1.0, 0.0], [1e-9, 0.0]], [[1.0, 1.0]]], [[3.0, 1.0], [0.0]]), ("all",))
    8.0
    >>> big = Network.from_arrays([[[10**400, 0]], [[1]]], [[-3 * 10**800], [0]])
    >>> _radius(big, ("all",)) == 2 ** 1332
    True
    """
    first = net.lowered(passthrough=True).layers[0]
    r = 1.0
    if isinstance(first, Linear):
        try:
            W = first.float_weight
            b = first.float_bias
        except ValueError:  # exact weights beyond float range
            return _exact_radius(first.weight, first.bias)
        nr = np.linalg.norm(W, axis=1)
        ok = nr > 1e-6 * nr.max() if len(nr) else nr > 0
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


def _exact_radius(W: np.ndarray, b: np.ndarray) -> int:
    """:func:`_radius` in exact arithmetic: the least power of two ``>= 2 max |b_i| / |W_i|_inf``
    over the units with ``|W_i|_inf >= 1e-6 max_k |W_k|_inf`` (at least 1)."""
    norms = [max((abs(Fraction(v)) for v in row), default=Fraction(0)) for row in np.asarray(W).tolist()]
    top = max(norms, default=Fraction(0))
    r = Fraction(1)
    for nr, bi in zip(norms, np.asarray(b).tolist()):
        if nr > 0 and nr * 10**6 >= top:
            r = max(r, 2 * abs(Fraction(bi)) / nr)
    k = max(0, (-(-r.numerator // r.denominator) - 1).bit_length())  # 2**k >= ceil(r)
    return 2**k


def enclosing_box(dom: tuple, exact: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """An integer box strictly containing a bounded polyhedron domain (its bounding box, 2n LPs,
    padded; grown while a row of the polyhedron passes through one of its corners), or
    ``None`` when it is unbounded; ``Fraction`` bounds when exact.

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
    A, b = np.asarray(dom[1], dtype=np.float64), np.asarray(dom[2], dtype=np.float64)
    n = len(lo)
    if n <= 10:  # a row through a corner of the box is a tie the certified pass cannot clip
        corners = np.array(np.meshgrid(*[(0.0, 1.0)] * n, indexing="ij")).reshape(n, -1).T
        for t in range(8):
            X = lo + corners * (hi - lo)
            scale = np.abs(A).dot(np.abs(X).T) + np.abs(b)[:, None]
            if not (np.abs(A.dot(X.T) - b[:, None]) <= 1e-9 * scale).any():
                break
            lo, hi = lo - 1, hi + t + 2  # unequal steps: a row cannot follow the corners
    if exact:
        lo = np.array([Fraction(v) for v in lo], dtype=object)
        hi = np.array([Fraction(v) for v in hi], dtype=object)
    return lo, hi


def dyadic_rows(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The halfspaces ``A y <= b`` (exact entries) with every row that has a non-dyadic entry
    multiplied by the least common multiple of its denominators: the same halfspaces, in
    numbers float64 holds exactly where they are small enough, so the certified float pass can
    clip by them (it hands a run with non-dyadic data to the rational pass).  Float rows are
    returned as they are.

    >>> A, b = dyadic_rows(np.array([[Fraction(1, 10), Fraction(1, 2)]], dtype=object),
    ...                    np.array([Fraction(3, 5)], dtype=object))
    >>> [str(v) for v in A[0]], str(b[0])
    (['1', '5'], '6')
    """
    if A.dtype != object or len(b) == 0:
        return A, b
    A, b = A.copy(), b.copy()
    for r in range(len(b)):
        dens = [Fraction(v).denominator for v in list(A[r]) + [b[r]]]
        if all(q & (q - 1) == 0 for q in dens):  # powers of two: dyadic already
            continue
        m = lcm(*dens)
        A[r] = [Fraction(v) * m for v in A[r]]
        b[r] = Fraction(b[r]) * m
    return A, b


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
            halfspaces = dyadic_rows(Ah.dot(M), -Ah.dot(m0))
        out.append(([Stage("affine", W=M, b=m0)] + hstages, lo, hi, halfspaces, M, m0))
    return out


def homogenised_cube(net: Network, dp: DomainPieces) -> DomainPieces:
    """All of R^n (or an unbounded polyhedron, ``dp`` its :func:`cube_facets` pieces) as one
    piece for the H-representation engine: the homogenised network (``t f(x / t)``) on the whole
    cube ``[-R, R]^n x [0, 1]`` in ``(x, t)`` (``M`` the identity; the polyhedron's rows
    ``A x - b t <= 0``).  A cell ``C`` of the domain is the cone ``{(s x, s): x in C, s > 0}``
    of the homogenised network, which meets the cube's interior (``t > 0``, ``s`` small) in one
    convex set: the cells of this one run are the domain's cells, one each (points
    ``x = y / t``), where the facets take ``2n + 1`` runs joined by pattern.  The cones meet at
    the apex ``0`` and the face ``t = 0``, on the box's boundary: the engine, which needs no
    vertex, never cuts there.

    >>> import tropnet
    >>> net = tropnet.random_mlp([2, 3, 1])
    >>> dp = homogenised_cube(net, domain_pieces(net, None, False))
    >>> dp.describe(), dp.pieces[0].lo.tolist(), dp.pieces[0].hi.tolist()
    ('the homogenised cube in one run', [-16.0, -16.0, 0.0], [16.0, 16.0, 1.0])
    """
    n, exact, dom = dp.n, dp.exact, dp.dom
    R = _radius(net, dom)
    dt = object if exact else np.float64
    num = Fraction if exact else float
    lo = np.array([num(-R)] * n + [num(0)], dtype=dt)
    hi = np.array([num(R)] * n + [num(1)], dtype=dt)
    M = np.zeros((n + 1, n + 1), dtype=dt)
    M[:] = num(0)
    for j in range(n + 1):
        M[j, j] = num(1)
    m0 = np.array([num(0)] * (n + 1), dtype=dt)
    halfspaces = None
    if dom[0] == "poly":
        zero = np.array([num(0)] * len(dom[2]), dtype=dt)
        halfspaces = dyadic_rows(np.hstack([dom[1], -dom[2][:, None]]), zero)  # A x - b t <= 0
    stages = stages_from_network(net, exact=exact, homogeneous=True)
    return replace(dp, pieces=[Piece(stages, lo, hi, halfspaces, M, m0, box_is_domain=False)])


def _shared_sides(piece: Piece, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Which sides ``y_k = lo_k`` / ``y_k = hi_k`` of a cube facet's box it shares with another
    facet: all but the one at ``t = 0`` (at infinity), where ``t = M[n] . y + m0[n]`` vanishes.

    >>> import tropnet
    >>> dp = domain_pieces(tropnet.random_mlp([2, 3, 1]), None, False)
    >>> [s.tolist() for s in _shared_sides(dp.pieces[1], 2)]
    [[True, False], [True, True]]
    """
    M, m0 = piece.M, piece.m0
    shared = [np.ones(n, dtype=bool), np.ones(n, dtype=bool)]
    for k in range(n):
        if all(M[n, j] == 0 for j in range(n) if j != k):
            for side, bound in enumerate((piece.lo[k], piece.hi[k])):
                if M[n, k] * bound + m0[n] == 0:
                    shared[side][k] = False
    return shared[0], shared[1]


@dataclass(frozen=True)
class Piece:
    """One engine run covering (part of) a domain: the program ``stages`` on the box
    ``[lo, hi]`` of the piece's coordinates ``y``, clipped by ``halfspaces`` (``(A, b)`` in
    ``y``, or ``None``).  On a facet of the homogenised cube the input is ``(x, t) = M y + m0``;
    on a bounded domain ``M`` is ``None`` (``x = y``, ``t = 1``) and ``box_is_domain`` says
    whether the box's sides are the domain's own rows (else an artificial enclosing box)."""

    stages: list
    lo: Any
    hi: Any
    halfspaces: tuple | None = None
    M: Any = None
    m0: Any = None
    box_is_domain: bool = True
    #: the cross-polytope ``|y - c|_1 <= r`` as ``(c, r)`` (its box is ``[c - r, c + r]``), kept
    #: whole by the H-representation engine
    l1: Any = None

    @property
    def on_facet(self) -> bool:
        """Whether the piece is a facet of the homogenised cube, or the whole cube (cells may
        reach infinity)."""
        return self.M is not None


@dataclass
class DomainPieces:
    """A validated domain as the pieces the engines run on (see :func:`domain_pieces`):
    ``kind`` is ``"box"``, ``"bounded polyhedron"`` or ``"cube facets"`` (all of R^n or an
    unbounded polyhedron; ``join``: the pieces' cells are joined by pattern; for the
    H-representation engine one piece, the whole cube: :func:`homogenised_cube`), ``stages`` the
    network's own program, ``A x <= b`` the domain's rows, ``dom`` the validated tuple."""

    kind: str
    n: int
    exact: bool
    stages: list
    A: Any
    b: Any
    pieces: list
    dom: tuple

    @property
    def join(self) -> bool:
        return self.kind == "cube facets"

    def describe(self) -> str:
        if self.kind == "cube facets" and len(self.pieces[0].lo) > self.n:
            return "the homogenised cube in one run"
        if self.kind == "cube facets":
            return f"{len(self.pieces)} facets of the homogenised cube"
        if self.kind == "bounded polyhedron":
            return f"bounded polyhedron ({len(self.A)} rows) in its bounding box"
        if self.kind == "cross-polytope":
            return "cross-polytope (its 1-norm constraint in the LPs) in its bounding box"
        return "box"

    def __repr__(self) -> str:
        return f"DomainPieces(kind={self.kind!r}, n={self.n}, pieces={len(self.pieces)})"


def domain_pieces(net: Network, domain: Any, exact: bool, count: bool = False) -> DomainPieces:
    """The pieces of ``domain`` for ``net`` (see the module docstring); ``Fraction`` data when
    ``exact``; ``count``: for a count, activation or linear (a cross-polytope is kept whole
    from lower dimensions on, :func:`~tropnet.regions.hrep.uses_hrep_cross`).

    >>> import tropnet
    >>> dp = domain_pieces(tropnet.random_mlp([2, 3, 1]), tropnet.Box(-1, 1), True)
    >>> dp.kind, len(dp.pieces), dp.pieces[0].lo.tolist()
    ('box', 1, [Fraction(-1, 1), Fraction(-1, 1)])
    """
    n = net.input_dim
    dom = _domain(domain, n, exact, count)
    stages = stages_from_network(net, exact=exact)
    A, b = domain_rows(dom, n, exact)
    if dom[0] == "box":
        return DomainPieces("box", n, exact, stages, A, b, [Piece(stages, dom[1], dom[2])], dom)
    if dom[0] == "cross":
        c, r = dom[1], dom[2]
        piece = Piece(stages, c - r, c + r, None, box_is_domain=False, l1=(c, r))
        return DomainPieces("cross-polytope", n, exact, stages, A, b, [piece], dom)
    if dom[0] == "poly":
        box = enclosing_box(dom, exact)
        if box is not None:
            piece = Piece(stages, box[0], box[1], dyadic_rows(dom[1], dom[2]), box_is_domain=False)
            return DomainPieces("bounded polyhedron", n, exact, stages, A, b, [piece], dom)
    pieces = [
        Piece(program, lo, hi, halfspaces, M, m0, box_is_domain=False)
        for program, lo, hi, halfspaces, M, m0 in cube_facets(net, dom, exact)
    ]
    return DomainPieces("cube facets", n, exact, stages, A, b, pieces, dom)


def _sampler(domain: Any, n: int):
    """A function ``draw(rng, k)`` of ``k`` uniform samples of a bounded domain (for the
    sampling estimates)."""
    if domain is None:
        raise ValueError("sampling needs a bounded domain (a Box or a bounded Polyhedron), got None")
    if isinstance(domain, Box):
        lo, hi = domain.bounds(n)
        return lambda rng, k: rng.uniform(lo, hi, size=(k, n))
    if isinstance(domain, Polyhedron):
        A, b = domain.halfspaces(n)
        A = np.asarray(A, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if A.shape[0] == 0:
            raise ValueError("the polyhedron is unbounded (no inequalities); sampling needs a bounded domain")
        from ..kernels.lp import bounding_box

        box = bounding_box(A, b)
        if box is None:
            raise ValueError("the polyhedron is unbounded or empty; sampling needs a bounded domain")
        lo, hi = box
        if np.any(hi <= lo):
            raise ValueError("the polyhedron is lower-dimensional; it has no uniform samples")

        def draw(rng: np.random.Generator, k: int) -> np.ndarray:
            out, tries = [], 0
            while k > 0:
                x = rng.uniform(lo, hi, size=(max(k, 1024), n))
                x = x[np.all(x @ A.T <= b, axis=1)][:k]
                out.append(x)
                k -= len(x)
                tries += 1
                if tries > 1000 and sum(len(o) for o in out) == 0:
                    raise ValueError("the polyhedron is too thin to sample from its bounding box")
            return np.concatenate(out)

        return draw
    raise TypeError(f"domain must be a tropnet Box or Polyhedron, got {type(domain).__name__}")
