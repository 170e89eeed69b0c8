"""Domains in R^n: boxes and H-polyhedra.

``None`` as a domain means all of R^n.  Both domain types are immutable, exact when built
from exact numbers, and give their halfspaces ``A x <= b`` for a known dimension.

>>> Box(-1, 1).halfspaces(2)[1].tolist()
[Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1)]
>>> Polyhedron([[1, 1]], [1]).dim
2
>>> [[int(v) for v in row] for row in CrossPolytope([0, 0], 1).halfspaces(2)[0]]
[[1, 1], [1, -1], [-1, 1], [-1, -1]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numbers import as_number_array

__all__ = ["Box", "Polyhedron", "CrossPolytope", "Domain", "domain_halfspaces"]


class Domain:
    """Base class of domains."""

    __slots__ = ()

    def halfspaces(self, n: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Box(Domain):
    """The axis-parallel box ``{x : lo <= x <= hi}``; ``lo``/``hi`` scalars or vectors.

    Raises ``ValueError`` when ``lo > hi`` or ``lo == hi`` in some coordinate (the box
    would be empty or lower-dimensional), on NaN/inf, or when the vectors disagree in length.

    >>> b = Box(-5, 5)
    >>> b.bounds(3)[0].tolist()
    [-5.0, -5.0, -5.0]
    >>> Box([0, 0], [1, 2]).dim
    2
    """

    __slots__ = ("lo", "hi", "exact")

    def __init__(self, lo: Any, hi: Any) -> None:
        lo_a = as_number_array(lo, name="Box lo")
        hi_a = as_number_array(hi, name="Box hi")
        exact = lo_a.dtype == object and hi_a.dtype == object
        if not exact:
            lo_a = lo_a.astype(np.float64) if lo_a.dtype == object else lo_a
            hi_a = hi_a.astype(np.float64) if hi_a.dtype == object else hi_a
        if lo_a.ndim > 1 or hi_a.ndim > 1:
            raise ValueError(f"Box lo and hi must be scalars or vectors, got {lo_a.shape}, {hi_a.shape}")
        if lo_a.ndim == 1 and hi_a.ndim == 1 and lo_a.shape != hi_a.shape:
            raise ValueError(f"Box lo has {lo_a.shape[0]} coordinates but hi has {hi_a.shape[0]}")
        if lo_a.ndim == 1 and lo_a.size == 0:
            raise ValueError("Box lo is empty")
        lo_b, hi_b = np.broadcast_arrays(lo_a, hi_a)
        bad = ~(lo_b < hi_b)
        if np.any(bad):
            i = int(np.argwhere(np.atleast_1d(bad))[0][0])
            lo_i, hi_i = np.atleast_1d(lo_b)[i], np.atleast_1d(hi_b)[i]
            what = "empty (lo > hi)" if lo_i > hi_i else "lower-dimensional (lo == hi)"
            raise ValueError(f"Box is {what} in coordinate {i}: lo={lo_i}, hi={hi_i}")
        object.__setattr__(self, "lo", lo_a)
        object.__setattr__(self, "hi", hi_a)
        object.__setattr__(self, "exact", exact)

    def __reduce__(self):
        return (Box, (self.lo, self.hi))

    @property
    def dim(self) -> int | None:
        """The dimension when ``lo`` or ``hi`` is a vector, else ``None`` (any dimension)."""
        for a in (self.lo, self.hi):
            if a.ndim == 1:
                return int(a.shape[0])
        return None

    def bounds(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` as float64 vectors of length ``n``."""
        lo, hi = self.exact_bounds(n)
        return lo.astype(np.float64), hi.astype(np.float64)

    def exact_bounds(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` as vectors of length ``n`` in the box's own number type."""
        d = self.dim
        if d is not None and d != n:
            raise ValueError(f"Box has dimension {d}, but the object has {n} inputs")
        lo = np.broadcast_to(self.lo, (n,)).copy()
        hi = np.broadcast_to(self.hi, (n,)).copy()
        return lo, hi

    @classmethod
    def around(cls, x: Any, radius: Any) -> Box:
        """The box ``{y : |y_i - x_i| <= radius}`` around the point ``x`` (``radius`` a positive
        scalar or one per coordinate); exact when ``x`` and ``radius`` are.

        >>> Box.around([1, 2], 0.5)
        Box([0.5, 1.5], [1.5, 2.5])
        """
        xa = as_number_array(x, name="point", ndim=1)
        r = _positive_radius(radius, xa.shape[0])
        if xa.dtype != object or r.dtype != object:
            xa, r = xa.astype(np.float64), r.astype(np.float64)
        return cls(xa - r, xa + r)

    def halfspaces(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with rows ``x_i <= hi_i`` then ``-x_i <= -lo_i``."""
        lo, hi = self.exact_bounds(n)
        eye = np.eye(n, dtype=np.int64)
        A = np.vstack([eye, -eye])
        b = np.concatenate([hi, -lo])
        if self.exact:
            A = A.astype(object)
            from fractions import Fraction

            A = np.vectorize(Fraction, otypes=[object])(A)
        return A, b

    def __repr__(self) -> str:
        def fmt(a: np.ndarray) -> str:
            if a.ndim:
                return "[" + ", ".join(str(v) for v in a.tolist()) + "]"
            return str(a.item())

        return f"Box({fmt(self.lo)}, {fmt(self.hi)})"


class Polyhedron(Domain):
    """The H-polyhedron ``{x : A x <= b}``.

    Raises ``ValueError`` on NaN, shape mismatches, and (when checked with :meth:`check`)
    when the set is empty or not full-dimensional.

    >>> P = Polyhedron([[1, 0], [0, 1], [-1, -1]], [1, 1, 1])
    >>> P.dim, P.A.shape
    (2, (3, 2))
    """

    __slots__ = ("A", "b", "exact")

    def __init__(self, A: Any, b: Any) -> None:
        A_a = as_number_array(A, name="Polyhedron A", ndim=2)
        b_a = as_number_array(b, name="Polyhedron b", ndim=1)
        if A_a.shape[0] != b_a.shape[0]:
            raise ValueError(f"Polyhedron A has {A_a.shape[0]} rows but b has {b_a.shape[0]} entries")
        if A_a.shape[1] == 0:
            raise ValueError("Polyhedron A has no columns")
        exact = A_a.dtype == object and b_a.dtype == object
        if not exact:
            A_a = A_a.astype(np.float64)
            b_a = b_a.astype(np.float64)
        object.__setattr__(self, "A", A_a)
        object.__setattr__(self, "b", b_a)
        object.__setattr__(self, "exact", exact)

    def __reduce__(self):
        return (Polyhedron, (self.A, self.b))

    @property
    def dim(self) -> int:
        return int(self.A.shape[1])

    def halfspaces(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n != self.dim:
            raise ValueError(f"Polyhedron has dimension {self.dim}, but the object has {n} inputs")
        return self.A.copy(), self.b.copy()

    def check(self) -> float:
        """Raise ``ValueError`` if the polyhedron is empty or lower-dimensional; return its
        Chebyshev radius (``inf`` when unbounded in a way that contains arbitrarily large balls).
        """
        from scipy.optimize import linprog

        A = self.A.astype(np.float64)
        b = self.b.astype(np.float64)
        if A.shape[0] == 0:
            return float("inf")
        norms = np.linalg.norm(A, axis=1)
        zero = norms == 0
        if np.any(zero & (b < 0)):
            raise ValueError("Polyhedron is empty: a row 0 <= b_i has b_i < 0")
        A, b, norms = A[~zero], b[~zero], norms[~zero]
        if A.shape[0] == 0:  # only rows 0 <= b_i with b_i >= 0: all of R^n
            return float("inf")
        n = self.dim
        c = np.zeros(n + 1)
        c[-1] = -1.0
        res = linprog(
            c,
            A_ub=np.hstack([A, norms[:, None]]),
            b_ub=b,
            bounds=[(None, None)] * n + [(0, 1e6)],
            method="highs",
        )
        if res.status == 2:
            raise ValueError("Polyhedron is empty (its inequalities are infeasible)")
        r = -res.fun if res.status == 0 else 0.0
        if r <= 1e-12 * (1 + np.abs(b).max()):
            raise ValueError("Polyhedron is lower-dimensional or empty (no interior point)")
        return float("inf") if r >= 1e6 else float(r)

    def __repr__(self) -> str:
        return f"Polyhedron({self.A.shape[0]} inequalities in R^{self.dim})"


#: a cross-polytope lists its ``2^n`` facets up to this dimension
CROSS_MAX_ROWS_DIM = 16


def _positive_radius(radius: Any, n: int | None) -> np.ndarray:
    """``radius`` as a positive (exact or float) scalar or vector of length ``n``."""
    r = as_number_array(radius, name="radius")
    if r.ndim > 1 or (r.ndim == 1 and n is not None and r.shape[0] != n):
        raise ValueError(f"radius must be a number or a vector of length {n}, got shape {r.shape}")
    if not np.all(r > 0):
        raise ValueError(f"radius must be > 0, got {radius!r}")
    return r


class CrossPolytope(Domain):
    """The cross-polytope around the point ``center``: the ball of the 1-norm of the given
    radius, ``sum(abs(x - center)) <= radius`` (``center`` a vector, or a scalar for every
    coordinate).

    The region functions take it in any dimension: up to 7 inputs as its ``2^n`` facets, above
    that natively (the H-representation engine keeps the 1-norm constraint in lifted form,
    ``x = c + p - q``, ``p, q >= 0``, ``sum(p + q) <= radius``, in its LPs; float counts from 5
    inputs), so a full-dimensional neighbourhood of a point of a 64-input network needs no
    ``2^64`` rows.  Region sets kept whole list each cell's facets on the units' hyperplanes and
    carry the ball as ``RegionSet.ball`` (a cell is its rows cut by the ball; the ball's own
    facets of one cell can number ``2^n``).
    Exact when ``center`` and ``radius`` are; exact runs take the vertex engine on the facets,
    up to 7 inputs (at 8 its arrays outgrow memory), and are refused with a clear error above.
    :meth:`halfspaces` lists the facets up to ``n = 16`` and refuses above.

    >>> import numpy as np, tropnet
    >>> net = tropnet.random_mlp([20, 8, 1], seed=0)
    >>> tropnet.count_linear_regions(net, tropnet.CrossPolytope(np.zeros(20), 0.5), kind="activation")
    51
    >>> CrossPolytope([0, 0], 1).bounds(2)[1].tolist()
    [1.0, 1.0]
    """

    __slots__ = ("center", "radius", "exact")

    def __init__(self, center: Any, radius: Any) -> None:
        c = as_number_array(center, name="CrossPolytope center")
        if c.ndim > 1 or (c.ndim == 1 and c.size == 0):
            raise ValueError(
                f"CrossPolytope center must be a number or a non-empty vector, got shape {c.shape}"
            )
        r = _positive_radius(radius, None)
        if r.ndim:
            raise ValueError("CrossPolytope radius must be one positive number")
        exact = c.dtype == object and r.dtype == object
        if not exact:
            c, r = c.astype(np.float64), r.astype(np.float64)
        object.__setattr__(self, "center", c)
        object.__setattr__(self, "radius", r[()])
        object.__setattr__(self, "exact", exact)

    def __reduce__(self):
        return (CrossPolytope, (self.center, self.radius))

    @property
    def dim(self) -> int | None:
        """The dimension when ``center`` is a vector, else ``None`` (any dimension)."""
        return int(self.center.shape[0]) if self.center.ndim else None

    def exact_center(self, n: int) -> np.ndarray:
        """The centre as a vector of length ``n`` in the domain's own number type."""
        if self.dim is not None and self.dim != n:
            raise ValueError(f"CrossPolytope has dimension {self.dim}, but the object has {n} inputs")
        return np.broadcast_to(self.center, (n,)).copy()

    def bounds(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Its bounding box ``(c - r, c + r)`` as float64 vectors of length ``n``."""
        c = self.exact_center(n).astype(np.float64)
        r = float(self.radius)
        return c - r, c + r

    def halfspaces(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)``: the ``2^n`` rows ``s . x <= s . c + r``, ``s`` in ``{-1, 1}^n`` (refused
        above ``n = 16``)."""
        c = self.exact_center(n)
        if n > CROSS_MAX_ROWS_DIM:
            raise ValueError(
                f"a cross-polytope in {n} dimensions has 2^{n} facets, too many to list (at most "
                f"{CROSS_MAX_ROWS_DIM} dimensions); the region functions take the CrossPolytope itself"
            )
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)[::-1][None, :]) & 1)
        if self.exact:
            from fractions import Fraction

            A = np.vectorize(Fraction, otypes=[object])(signs)
            return A, A.dot(c) + self.radius
        A = signs.astype(np.float64)
        return A, A.dot(c) + float(self.radius)

    def __repr__(self) -> str:
        c = "[" + ", ".join(str(v) for v in self.center.tolist()) + "]" if self.center.ndim else str(
            self.center.item())
        if len(c) > 60:
            c = f"<{self.center.shape[0]} coordinates>"
        return f"CrossPolytope({c}, {self.radius})"


def cross_polytope_of(A: Any, b: Any) -> tuple[np.ndarray, float, float] | None:
    """``(centre, radius, slack)`` when the rows ``A x <= b`` are a cross-polytope's facets
    (:class:`CrossPolytope` ``(centre, radius)``: ``2^n`` rows, each a positive multiple of a
    distinct sign vector ``s``, with right-hand sides ``s . centre + radius``), else ``None``.
    In float64, up to rounding: the polyhedron lies between the cross-polytopes of radii
    ``radius - slack`` and ``radius + slack`` about ``centre`` (``slack`` a few ulps of the
    rows' sizes, rigorous; rows of ``Fraction`` entries are rounded to float64 first).

    >>> c, r, slack = cross_polytope_of(*CrossPolytope([1.0, -2.0, 0.5], 0.25).halfspaces(3))
    >>> c.tolist(), r, slack < 1e-13
    ([1.0, -2.0, 0.5], 0.25, True)
    >>> cross_polytope_of(*Box(-1, 1).halfspaces(2)) is None
    True
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if A.ndim != 2 or b.shape != (A.shape[0],) or A.shape[1] == 0 or A.shape[1] > 30:
        return None
    m, n = A.shape
    if m != 2**n or not (np.isfinite(A).all() and np.isfinite(b).all()):
        return None
    scale = np.abs(A).max(axis=1)
    if not (scale > 0).all() or not (np.abs(A) == scale[:, None]).all():
        return None
    S = np.sign(A)
    bits = ((S > 0) * (1 << np.arange(n))).sum(axis=1)
    if len(np.unique(bits)) != m:  # every sign vector once
        return None
    beta = b / scale
    c = S.T.dot(beta) / m  # the sign vectors are orthogonal: sum_i s_i s_i^T = m I, sum_i s_i = 0
    r = float(beta.mean())
    off = float(np.abs(beta - S.dot(c) - r).max())
    size = float(np.abs(c).sum()) + abs(r) + float(np.abs(beta).max())
    if r <= 0 or off > 8 * (n + 2) * 2.0**-52 * size:
        return None
    # plus the rounding of beta and of the residual's terms: a rigorous slack
    return c, r, off + (n + 4) * 2.0**-52 * size


def domain_halfspaces(domain: Domain | None, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Halfspaces of a domain in R^n, or ``None`` for all of R^n.

    >>> domain_halfspaces(None, 3) is None
    True
    """
    if domain is None:
        return None
    if not isinstance(domain, Domain):
        raise TypeError(f"domain must be None, a Box or a Polyhedron, got {type(domain).__name__}")
    return domain.halfspaces(n)
