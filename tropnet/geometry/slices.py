"""Slice domains: the regions of a network on an affine subspace of its input space.

An :class:`AffineSlice` is the map ``y -> origin + y @ basis`` from slice coordinates
``y in R^k`` (restricted to a domain there: a :class:`~tropnet.Box` or a
:class:`~tropnet.Polyhedron`) into the input space ``R^n``.  A network composed with it is again
a network (:func:`tropnet.networks.embed.compose_affine`), so every region function can count
and enumerate on it, exactly when asked: rational points and directions give exact slices, and a
float entry is the dyadic rational it stores.

* :class:`Segment` ``(a, b)``: ``t in [0, 1] -> a + t (b - a)``;
* :class:`Plane` ``(origin, u, v, box=...)`` and :meth:`Plane.through` ``(a, b, c)``;
* :meth:`AffineSlice.around` ``(x, radius, k=..., shape=...)``: the ``k``-dimensional
  cross-polytope or box of a given radius around ``x`` spanned by ``k`` random orthonormal
  directions (the neighbourhoods of :func:`tropnet.local_complexity`);
* :meth:`AffineSlice.fixing` ``(n, fixed)``: some inputs fixed, the others free (a property of a
  verification problem that fixes some inputs).

All three are immutable.

>>> seg = Segment([0, 0], [2, 1])
>>> seg.k, seg.input_dim, seg.to_input([[0.5]]).tolist()
(1, 2, [[1.0, 0.5]])
>>> pl = Plane.through([0, 0, 0], [1, 0, 0], [0, 1, 0], margin=0)
>>> pl.points.tolist()
[[Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1)]]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_number_array, to_exact, to_float
from .domains import Box, CrossPolytope, Domain, Polyhedron

__all__ = ["AffineSlice", "Segment", "Plane", "cross_polytope", "exact_rank"]


def exact_rank(M: np.ndarray) -> int:
    """The rank of an exact (or float, read as dyadic rationals) matrix, by fraction-free
    Gaussian elimination on its integer numerators.

    >>> exact_rank(np.array([[1, 2, 3], [2, 4, 6]], dtype=object))
    1
    """
    from ..kernels.scaled import to_scaled

    z, _ = to_scaled(as_exact_array(M, name="matrix", ndim=2))
    rows = [[int(v) for v in r] for r in z.tolist()]
    rank, ncol = 0, len(rows[0]) if rows else 0
    for col in range(ncol):
        piv = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        p = rows[rank]
        for i in range(rank + 1, len(rows)):
            f = rows[i][col]
            if f:
                rows[i] = [p[col] * a - f * b for a, b in zip(rows[i], p)]
        rank += 1
        if rank == len(rows):
            break
    return rank


def cross_polytope(k: int, radius: Any) -> Polyhedron:
    """The cross-polytope ``{y in R^k : |y_1| + ... + |y_k| <= radius}`` (``2^k`` rows; the
    ball of the 1-norm), exact when ``radius`` is.

    >>> [[int(v) for v in row] for row in cross_polytope(2, 1).A]
    [[1, 1], [1, -1], [-1, 1], [-1, -1]]
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"cross_polytope needs a positive integer dimension k, got {k!r}")
    if int(k) > 16:
        raise ValueError(f"a cross-polytope in {k} dimensions has 2^{k} facets; use shape='box' for k > 16")
    r = _positive(radius, "radius")
    signs = 1 - 2 * ((np.arange(2 ** int(k))[:, None] >> np.arange(int(k))[::-1][None, :]) & 1)
    if isinstance(r, Fraction):
        return Polyhedron(signs.astype(object), [r] * len(signs))
    return Polyhedron(signs.astype(np.float64), np.full(len(signs), r))


def _positive(radius: Any, name: str) -> Any:
    exact = isinstance(radius, (int, np.integer, Fraction)) and not isinstance(radius, bool)
    r = to_exact(radius, name=name) if exact else to_float(radius, name=name)
    if not r > 0:
        raise ValueError(f"{name} must be > 0, got {radius!r}")
    return r


class AffineSlice:
    """The slice ``y -> origin + y @ basis`` of the input space, ``y`` in ``domain``.

    Parameters
    ----------
    origin : vector of length ``n`` (the input dimension).
    basis : ``k`` independent directions of length ``n``, as the rows of a ``(k, n)`` array.
    domain : a :class:`~tropnet.Box` or :class:`~tropnet.Polyhedron` in the slice coordinates
        ``R^k`` (for example :func:`cross_polytope`).

    Raises ``ValueError`` naming the problem for vectors of different lengths, dependent
    directions, ``k > n``, or a domain of the wrong dimension.  Exact (``exact`` is True) when
    the origin and the directions are; region functions with ``exact=True`` read float entries
    as the dyadic rationals they store.

    >>> s = AffineSlice([1, 0, 0], [[0, 1, 0], [0, 0, 1]], Box(-1, 1))
    >>> s.k, s.input_dim, s.exact
    (2, 3, True)
    >>> s.to_input([[1, 2]]).tolist()
    [[Fraction(1, 1), Fraction(1, 1), Fraction(2, 1)]]
    """

    __slots__ = ("origin", "basis", "domain", "exact", "_float")

    def __init__(self, origin: Any, basis: Any, domain: Domain, *, exact: bool | None = None) -> None:
        o = as_number_array(origin, name="slice origin", ndim=1)
        B = as_number_array(basis, name="slice directions", ndim=None)
        if B.ndim == 1:
            B = B[None, :]
        if B.ndim != 2:
            raise ValueError(f"slice directions must be a (k, n) array of k vectors, got shape {B.shape}")
        n, k = o.shape[0], B.shape[0]
        if n == 0:
            raise ValueError("slice origin is empty")
        if k == 0:
            raise ValueError("a slice needs at least one direction")
        if B.shape[1] != n:
            raise ValueError(f"slice directions have length {B.shape[1]}, but the origin has length {n}")
        if k > n:
            raise ValueError(f"k = {k} directions cannot be independent in the input dimension n = {n}")
        if B.dtype == object and exact_rank(B) < k:
            raise ValueError(f"the {k} slice directions are not independent")
        if B.dtype != object and k == 1:
            if not np.any(B != 0):
                raise ValueError("the one slice direction is zero (not independent)")
        elif B.dtype != object:
            # a float basis: well conditioned implies independent (exactly, as dyadic rationals)
            s = np.linalg.svd(B, compute_uv=False)
            if not s[-1] > 0:
                raise ValueError(f"the {k} slice directions are not independent")
            if s[-1] <= 1e-12 * s[0]:
                raise ValueError(
                    f"the {k} slice directions are numerically dependent "
                    f"(condition number {s[0] / s[-1]:.3g})"
                )
        if not isinstance(domain, (Box, Polyhedron, CrossPolytope)):
            raise TypeError(
                f"a slice's domain must be a tropnet.Box, Polyhedron or CrossPolytope in R^{k}, "
                f"got {type(domain).__name__}"
            )
        if domain.dim is not None and domain.dim != k:
            raise ValueError(f"the slice has {k} directions but its domain lives in R^{domain.dim}")
        o.flags.writeable = False
        B.flags.writeable = False
        object.__setattr__(self, "origin", o)
        object.__setattr__(self, "basis", B)
        object.__setattr__(self, "domain", domain)
        if exact is None:
            exact = o.dtype == object and B.dtype == object
        object.__setattr__(self, "exact", bool(exact))
        object.__setattr__(self, "_float", None)  # the float embedding, made on first use

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self):
        return (_affine_slice, (self.origin, self.basis, self.domain, self.exact))

    # ------------------------------------------------------------------ properties
    @property
    def k(self) -> int:
        """The dimension of the slice (number of directions)."""
        return int(self.basis.shape[0])

    @property
    def input_dim(self) -> int:
        """The dimension ``n`` of the input space."""
        return int(self.origin.shape[0])

    def embedding(self, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(origin, basis)`` as exact (``Fraction``) or float64 arrays.

        >>> Segment([0.5], [1]).embedding(exact=True)[0].tolist()
        [Fraction(1, 2)]
        """
        if exact:
            return as_exact_array(self.origin), as_exact_array(self.basis)
        if self._float is None:  # once per slice: exact entries convert one by one
            o = np.asarray(self.origin, dtype=np.float64)
            B = np.asarray(self.basis, dtype=np.float64)
            if o is not self.origin:
                o.flags.writeable = False
            if B is not self.basis:
                B.flags.writeable = False
            sizes = (float(np.abs(o).max(initial=0.0)), float(np.abs(B).max(initial=0.0)))
            object.__setattr__(self, "_float", (o, B, sizes))
        return self._float[:2]

    def float_sizes(self) -> tuple[float, float]:
        """``(max |origin_i|, max |basis_ij|)`` of the float embedding (kept with it).

        >>> Segment([1.0, -3.0], [2.0, -3.0]).float_sizes()
        (3.0, 1.0)
        """
        if self._float is None:
            self.embedding(exact=False)
        return self._float[2]

    def to_input(self, Y: Any) -> np.ndarray:
        """Input-space points ``origin + Y @ basis`` of slice points ``Y`` (shape ``(m, k)`` or
        ``(k,)``); exact when the slice and ``Y`` are.

        >>> Segment([0.0, 0.0], [1.0, 1.0]).to_input([0.25]).tolist()
        [0.25, 0.25]
        """
        Ya = as_number_array(Y, name="slice points")
        single = Ya.ndim == 1
        Ya = np.atleast_2d(Ya)
        if Ya.shape[1] != self.k:
            raise ValueError(f"slice points must have {self.k} coordinates, got shape {Ya.shape}")
        exact = self.exact and Ya.dtype == object
        o, B = self.embedding(exact)
        if not exact:
            Ya = np.asarray(Ya, dtype=np.float64)
        X = Ya.dot(B) + o
        return X[0] if single else X

    def check_input_dim(self, n: int, what: str = "the network") -> None:
        """Raise ``ValueError`` unless the slice lives in ``R^n``."""
        if self.input_dim != n:
            raise ValueError(
                f"the slice's points have length {self.input_dim}, but {what} has {n} inputs"
            )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def around(
        cls, x: Any, radius: Any, *, k: int = 2, shape: str = "cross", seed: int = 0, directions: Any = None
    ) -> AffineSlice:
        """The ``k``-dimensional neighbourhood of ``x``: ``x + y @ D`` for ``y`` in the
        cross-polytope (``shape="cross"``, ``|y|_1 <= radius``) or the box
        (``shape="box"``, ``|y|_inf <= radius``), ``D`` ``k`` random orthonormal directions drawn
        from ``numpy.random.default_rng(seed)`` (or the given ``directions``).  The cross-polytope
        is a :class:`~tropnet.Polyhedron` of ``2^k`` rows up to ``k = 12`` and a
        :class:`~tropnet.CrossPolytope` above (``k`` up to the input dimension).

        >>> s = AffineSlice.around([0.0, 0.0, 0.0], 0.5, k=2, seed=1)
        >>> s.k, s.domain.A.shape
        (2, (4, 2))
        """
        xa = as_number_array(x, name="point", ndim=1)
        n = xa.shape[0]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if k > n:
            raise ValueError(f"k = {k} is larger than the input dimension {n}")
        r = _positive(radius, "radius")
        if shape not in ("cross", "box"):
            raise ValueError(f"shape must be 'cross' or 'box', got {shape!r}")
        if directions is None:
            directions = random_directions(n, int(k), seed)
        if shape == "box":
            dom = Box(-r, r)
        elif k <= 12:
            dom = cross_polytope(int(k), r)
        else:  # its 2^k facets are not listed: the H-representation engine keeps the 1-norm whole
            zero = np.array([r * 0] * int(k), dtype=object if isinstance(r, Fraction) else np.float64)
            dom = CrossPolytope(zero, r)
        return cls(xa, directions, dom)

    @classmethod
    def fixing(cls, lo: Any, hi: Any) -> AffineSlice:
        """A box in the input space where some coordinates are fixed (``lo_i == hi_i``): the
        slice of the free coordinates, origin the fixed values (and the free ones' lower
        bounds), one unit direction per free coordinate, domain the free coordinates' box
        ``[0, hi_i - lo_i]``.  Raises ``ValueError`` when nothing is free or ``lo > hi``.

        >>> s = AffineSlice.fixing([0, 1, -1], [0, 1, 1])
        >>> s.k, [int(v) for v in s.origin], [int(v) for v in s.basis[0]], s.domain
        (1, [0, 1, -1], [0, 0, 1], Box([0], [2]))
        """
        lo_a = as_number_array(lo, name="lo", ndim=1)
        hi_a = as_number_array(hi, name="hi", ndim=1)
        if lo_a.shape != hi_a.shape:
            raise ValueError(f"lo has {lo_a.shape[0]} coordinates but hi has {hi_a.shape[0]}")
        exact = lo_a.dtype == object and hi_a.dtype == object
        if not exact:
            lo_a, hi_a = lo_a.astype(np.float64), hi_a.astype(np.float64)
        bad = np.flatnonzero(~(lo_a <= hi_a))
        if len(bad):
            raise ValueError(f"lo > hi in coordinate {int(bad[0])}")
        free = np.flatnonzero(lo_a != hi_a)
        if len(free) == 0:
            raise ValueError("every coordinate is fixed (lo == hi): the domain is a single point")
        n = lo_a.shape[0]
        B = np.zeros((len(free), n), dtype=object if exact else np.float64)
        if exact:
            B[:] = Fraction(0)
        B[np.arange(len(free)), free] = Fraction(1) if exact else 1.0
        width = hi_a[free] - lo_a[free]
        zero = np.array([Fraction(0)] * len(free), dtype=object) if exact else np.zeros(len(free))
        return cls(lo_a, B, Box(zero, width))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AffineSlice):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.origin.shape == other.origin.shape
            and self.basis.shape == other.basis.shape
            and bool(np.all(self.origin == other.origin))
            and bool(np.all(self.basis == other.basis))
            and repr(self.domain) == repr(other.domain)
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.origin.shape, self.basis.shape))

    def __repr__(self) -> str:
        return f"AffineSlice({self.k} directions in R^{self.input_dim}, domain {self.domain!r})"


def random_directions(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``k`` orthonormal directions in ``R^n`` (rows), from the QR factorisation of a Gaussian
    matrix drawn from ``numpy.random.default_rng(seed)``.

    >>> D = random_directions(5, 2, seed=0)
    >>> np.allclose(D @ D.T, np.eye(2))
    True
    """
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, k)))
    return np.ascontiguousarray(Q.T)


def _float_difference_exact(b: np.ndarray, a: np.ndarray) -> bool:
    """Whether ``b - a`` computed in float64 is exact in every entry (the rounding error of a
    sum, by Knuth's TwoSum, is zero everywhere).

    >>> _float_difference_exact(np.array([1.0, 0.5]), np.array([0.25, 0.0])), _float_difference_exact(
    ...     np.array([1.0]), np.array([1e-30]))
    (True, False)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        x, y = b.astype(np.float64), -a.astype(np.float64)
        s = x + y
        xp = s - y
        yp = s - xp
        err = (x - xp) + (y - yp)
    return bool(np.isfinite(s).all() and np.all(err == 0))


class Segment(AffineSlice):
    """The segment from ``a`` to ``b``: parameter ``t in [0, 1]`` maps to ``a + t (b - a)``.

    Region functions on a segment use a fast 1-D path and report the breakpoints
    ``0 < t_1 < ... < t_k < 1`` where the map changes (``RegionSet.breakpoints``).
    Raises ``ValueError`` for points of different lengths or a zero-length segment.

    >>> s = Segment([0, 1], [2, 1])
    >>> s.a.tolist(), s.basis.tolist(), s.domain
    ([Fraction(0, 1), Fraction(1, 1)], [[Fraction(2, 1), Fraction(0, 1)]], Box(0, 1))
    """

    __slots__ = ()

    def __init__(self, a: Any, b: Any) -> None:
        a_ = as_number_array(a, name="segment start a", ndim=1)
        b_ = as_number_array(b, name="segment end b", ndim=1)
        if a_.shape != b_.shape:
            raise ValueError(
                f"segment points have different lengths: a has {a_.shape[0]}, b has {b_.shape[0]}"
            )
        exact = a_.dtype == object and b_.dtype == object
        # b - a exactly (a float point is its dyadic rational; its float difference may round)
        if not exact and a_.dtype != object and b_.dtype != object and _float_difference_exact(b_, a_):
            o, d = a_.astype(np.float64), b_.astype(np.float64) - a_.astype(np.float64)
        else:
            o = as_exact_array(a_)
            d = as_exact_array(b_) - o
        if not any(v != 0 for v in d):
            raise ValueError("the segment has zero length (a == b)")
        dom = Box(0, 1) if exact else Box(0.0, 1.0)
        super().__init__(o, d[None, :], dom, exact=exact)

    def __reduce__(self):
        return (_affine_slice, (self.origin, self.basis, self.domain, self.exact, Segment))

    @property
    def a(self) -> np.ndarray:
        """The start point (``t = 0``)."""
        return self.origin

    @property
    def b(self) -> np.ndarray:
        """The end point (``t = 1``)."""
        return self.origin + self.basis[0]

    def __repr__(self) -> str:
        return f"Segment(in R^{self.input_dim})"


class Plane(AffineSlice):
    """The plane ``(s, t) -> origin + s u + t v`` on ``box`` (a :class:`~tropnet.Box` in
    ``R^2``, default ``Box(-1, 1)``).  :meth:`through` builds the plane through three points.

    ``points`` holds the slice coordinates of marked points (the three points of
    :meth:`through`; empty otherwise); plots mark and label them.

    >>> Plane([0, 0, 0], [1, 0, 0], [0, 1, 0]).domain
    Box(-1, 1)
    """

    __slots__ = ("points", "labels")

    def __init__(
        self,
        origin: Any,
        u: Any,
        v: Any,
        box: Box | None = None,
        *,
        points: Any = None,
        labels: Any = None,
        exact: bool | None = None,
    ) -> None:
        uu = as_number_array(u, name="plane direction u", ndim=1)
        vv = as_number_array(v, name="plane direction v", ndim=1)
        if uu.shape != vv.shape:
            raise ValueError(
                f"plane directions have different lengths: u has {uu.shape[0]}, v has {vv.shape[0]}"
            )
        both = uu.dtype == object and vv.dtype == object
        B = np.stack([uu, vv]) if both else np.stack([uu.astype(np.float64), vv.astype(np.float64)])
        if box is None:
            box = Box(-1, 1)
        if not isinstance(box, Box):
            raise TypeError(f"Plane box must be a tropnet.Box in R^2, got {type(box).__name__}")
        super().__init__(origin, B, box, exact=exact)
        P = np.zeros((0, 2)) if points is None else as_number_array(points, name="plane points", ndim=2)
        if P.shape[1] != 2:
            raise ValueError(f"plane points must have 2 slice coordinates, got shape {P.shape}")
        lab = tuple(str(v) for v in labels) if labels is not None else tuple(str(i) for i in range(len(P)))
        if len(lab) != len(P):
            raise ValueError(f"got {len(lab)} labels for {len(P)} points")
        object.__setattr__(self, "points", P)
        object.__setattr__(self, "labels", lab)

    def __reduce__(self):
        return (_plane, (self.origin, self.basis, self.domain, self.points, self.labels, self.exact))

    @property
    def u(self) -> np.ndarray:
        return self.basis[0]

    @property
    def v(self) -> np.ndarray:
        return self.basis[1]

    @classmethod
    def through(cls, a: Any, b: Any, c: Any, *, margin: Any = 0.25, labels: Any = ("a", "b", "c")) -> Plane:
        """The plane through three points: origin ``a``, ``u = b - a``, ``v`` the part of
        ``c - a`` orthogonal to ``u`` (exact for rational points), so ``a, b, c`` sit at
        ``(0, 0)``, ``(1, 0)`` and ``(<c - a, u> / <u, u>, 1)``; the box is their bounding
        box widened by ``margin`` times its width on every side.

        Raises ``ValueError`` for points of different lengths or collinear points.

        >>> pl = Plane.through([0, 0], [2, 0], [1, 1], margin=Fraction(1, 2))
        >>> pl.points[2].tolist(), pl.domain
        ([Fraction(1, 2), Fraction(1, 1)], Box([-1/2, -1/2], [3/2, 3/2]))
        """
        pts = [as_number_array(p, name=f"point {nm}", ndim=1) for p, nm in zip((a, b, c), "abc")]
        if len({p.shape[0] for p in pts}) != 1:
            raise ValueError(f"the three points have different lengths: {[p.shape[0] for p in pts]}")
        exact = all(p.dtype == object for p in pts)
        a_, b_, c_ = (as_exact_array(p) for p in pts)
        m = to_exact(margin, name="margin")
        if m < 0:
            raise ValueError(f"margin must be >= 0, got {margin!r}")
        u = b_ - a_
        w = c_ - a_
        uu = u.dot(u)
        if not uu > 0:
            raise ValueError("Plane.through: the points a and b coincide (the points are collinear)")
        alpha = w.dot(u) / uu
        v = w - alpha * u
        vv = v.dot(v)
        if not vv > 0 or (not exact and vv <= 1e-24 * max(uu, w.dot(w))):
            raise ValueError("Plane.through: the three points are collinear (they span no plane)")
        one, zero = Fraction(1), Fraction(0)
        P = np.array([[zero, zero], [one, zero], [alpha, one]], dtype=object)
        lo, hi = P.min(axis=0), P.max(axis=0)
        pad = m * (hi - lo).max()
        if not exact:  # float points: float slice coordinates of the box and the points
            P = P.astype(np.float64)
            lo, hi, pad = lo.astype(np.float64), hi.astype(np.float64), float(pad)
        return cls(a_, u, v, Box(lo - pad, hi + pad), points=P, labels=labels, exact=exact)

    def __repr__(self) -> str:
        return f"Plane(in R^{self.input_dim}, box {self.domain!r})"


def _plane(origin, basis, domain, points, labels, exact) -> Plane:
    return Plane(origin, basis[0], basis[1], domain, points=points, labels=labels, exact=exact)


def _affine_slice(origin, basis, domain, exact, cls=AffineSlice) -> AffineSlice:
    out = AffineSlice.__new__(cls)
    AffineSlice.__init__(out, origin, basis, domain, exact=exact)
    return out
