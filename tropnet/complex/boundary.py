"""``decision_boundary``: the polyhedral complex of a level set or of a multi-class boundary.

*One output.*  ``{f = level}``.  The network is extended by a ``Threshold(level)`` unit on its
output, so every activation cell ``C`` of the extended network has ``f - level`` of one sign
on it; then ``{f = level} n C`` is a face of ``C`` (where an affine function of one sign on
a polytope vanishes), and the level set is the union of the faces of the refined complex on
which ``f = level`` at every vertex.

*Several outputs.*  The boundary where the top two outputs tie, ``{x : max_i f_i(x) is attained
at least twice}``.  The network is extended by one ``GroupMax`` over its outputs, so each
refined cell has one winner ``w``; ``f_k = f_w`` is a face of the cell for each ``k``, and the
boundary is the union of the faces on whose vertices two outputs are both maximal at every
vertex.

Vertex values come from the original network evaluated at the (exact) vertices, so in exact
mode every decision is a rational comparison; float mode compares to a relative ``1e-9``.
The boundary is a closed :class:`~tropnet.complex.polyhedral.PolyhedralComplex` (normally of
dimension ``n - 1``); :meth:`DecisionBoundary.measure` is its ``(n-1)``-dimensional measure.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [-1]])   # |x| - 1 on R
>>> db = tropnet.decision_boundary(net, exact=True)
>>> db.f_vector(), [str(p[0]) for p in db.complex.faces(0).points], db.num_components
((2,), ['-1', '1'], 2)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .polyhedral import PolyhedralComplex

__all__ = ["decision_boundary", "DecisionBoundary"]

_TOL = 1e-9


class DecisionBoundary:
    """The decision boundary of a network on a domain (immutable).

    Attributes
    ----------
    complex : the closed :class:`PolyhedralComplex` of the boundary.
    regions : the refined :class:`~tropnet.RegionSet` it was cut from.
    level : the level (one output) or None (several outputs).
    exact : whether it was decided in rational arithmetic.

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 1]]], [[0]])       # x + y = 0 on [-1, 1]^2
    >>> db = tropnet.decision_boundary(net, tropnet.Box(-1, 1), exact=True)
    >>> db.f_vector(), db.measure()
    ((2, 1), 2*sqrt(2))
    """

    __slots__ = ("complex", "regions", "level", "exact", "_ambient")

    def __init__(self, complex: PolyhedralComplex, regions: Any, level: Any, exact: bool) -> None:
        for k, v in (("complex", complex), ("regions", regions), ("level", level), ("exact", exact)):
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_ambient", complex.ambient_dim)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("DecisionBoundary is immutable")

    @property
    def dim(self) -> int:
        return self.complex.dim

    def f_vector(self) -> tuple[int, ...]:
        """Faces of the boundary of each dimension (on an unbounded domain, the unbounded faces
        count once, as in :meth:`PolyhedralComplex.f_vector`)."""
        return self.complex.f_vector()

    @property
    def num_components(self) -> int:
        """The number of connected components."""
        K = self.complex
        if K.dim < 0:
            return 0
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        nv = K._nfaces(0)
        off, ids = (
            K._fv[1] if K.ambient_dim >= 1 else (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        )
        ends = ids.reshape(-1, 2) if len(ids) else np.zeros((0, 2), dtype=np.int64)
        g = coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(nv, nv))
        return int(connected_components(g, directed=False)[0])

    def betti_numbers(self, field: str = "GF2") -> tuple[int, ...]:
        """:func:`tropnet.betti_numbers` of the boundary."""
        from .homology import betti_numbers

        return betti_numbers(self.complex, field=field)

    def measure(self) -> Any:
        """The ``(n-1)``-dimensional measure of the boundary: exact (a sympy sum of rational
        multiples of square roots of rationals) in exact mode, a float otherwise; ``inf`` when
        the boundary is unbounded; the number of points when ``n = 1``.

        Raises ``ValueError`` when the level set contains a full-dimensional piece."""
        K, n = self.complex, self._ambient
        if K.dim >= n:
            raise ValueError("the level set contains a full-dimensional region (f equals the level on it)")
        F = K.faces(n - 1) if n >= 1 else None
        if F is None or len(F) == 0:
            return 0
        if not F.bounded.all():
            if self.exact:
                import sympy

                return sympy.oo
            return math.inf
        if n == 1:
            return len(F)
        total = _exact_measure(K, n) if self.exact else _float_measure(K, n)
        return total

    def __repr__(self) -> str:
        what = f"f = {self.level}" if self.level is not None else "top-two tie"
        return f"DecisionBoundary({what}, f-vector {self.f_vector()} in R^{self._ambient})"


def _face_points(K: PolyhedralComplex, k: int, i: int) -> np.ndarray:
    off, ids = K._fv[k]
    return K._coords[ids[off[i] : off[i + 1]]]


def _exact_measure(K: PolyhedralComplex, n: int) -> Any:
    import sympy

    from ..kernels.volume import polytope_volume
    from .orient import direction_basis

    sums: dict = {}
    for i in range(len(K.faces(n - 1))):
        P = _face_points(K, n - 1, i)
        D, piv = direction_basis(P, True)
        gram = D.dot(D.T)
        g = sympy.Matrix(gram.tolist()).det()
        vol = polytope_volume(np.ascontiguousarray(P[:, piv]), exact=True)
        sums[g] = sums.get(g, Fraction(0)) + vol
    return sum(
        sympy.Rational(v.numerator, v.denominator) * sympy.sqrt(sympy.nsimplify(g)) for g, v in sums.items()
    )


def _float_measure(K: PolyhedralComplex, n: int) -> float:
    from ..kernels.volume import polytope_volume
    from .orient import direction_basis

    total = 0.0
    for i in range(len(K.faces(n - 1))):
        P = np.asarray(_face_points(K, n - 1, i), dtype=np.float64)
        D, _ = direction_basis(P, False)
        total += polytope_volume((P - P[0]) @ D.T, exact=False)
    return float(total)


def decision_boundary(
    obj: Any, domain: Any = None, *, level: Any = 0.0, exact: bool = False
) -> DecisionBoundary:
    """The decision boundary of ``obj`` (a :class:`~tropnet.Network` or tropical object) on
    ``domain`` (a Box, a Polyhedron, or None for all of R^n): ``{f = level}`` for one output,
    the top-two tie for several (``level`` is then not used).

    Raises ``ValueError`` for a NaN or infinite level.

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1], [-1, 0], [0, -1]], [[1, 1, 1, 1]]],
    ...                                   [[0, 0, 0, 0], [-1]])          # |x| + |y| = 1: a diamond
    >>> db = tropnet.decision_boundary(net, exact=True)
    >>> db.f_vector(), db.betti_numbers(), db.measure()
    ((4, 4), (1, 1), 4*sqrt(2))
    """
    from .._numbers import to_exact, to_float
    from ..networks.layers import GroupMax, Threshold
    from ..networks.network import Network
    from ..regions.api import as_network, linear_regions
    from .lattice import build_complex

    net = as_network(obj)
    m = net.output_dim
    if m == 1:
        lev = to_exact(level, name="level") if exact else to_float(level, name="level")
        ext = Network(list(net.layers) + [Threshold(lev)], input_dim=net.input_dim)
    else:
        lev = None
        ext = Network(list(net.layers) + [GroupMax(np.arange(m)[None, :], m)], input_dim=net.input_dim)
    rs = linear_regions(ext, domain, kind="activation", exact=exact)
    K = build_complex(rs)
    X = K._coords
    if exact:
        vals = net.to_exact()(np.asarray(X, dtype=object))
    else:
        vals = np.asarray(net(np.asarray(X, dtype=np.float64)), dtype=np.float64)
    if m == 1:
        v = vals[:, 0] - lev
        on = (
            v == 0 if exact else np.abs(v) <= _TOL * max(1.0, float(np.abs(vals).max()) if len(vals) else 1.0)
        )
        keep = []
        for k in range(K.ambient_dim + 1):
            off, ids = K._fv[k]
            keep.append(
                np.array([on[ids[off[i] : off[i + 1]]].all() for i in range(len(off) - 1)], dtype=bool)
            )
    else:
        if exact:
            top = vals.max(axis=1)
            arg = vals == top[:, None]
        else:
            vf = np.asarray(vals, dtype=np.float64)
            top = vf.max(axis=1)
            arg = vf >= top[:, None] - _TOL * np.maximum(1.0, np.abs(vf).max(axis=1))[:, None]
        keep = []
        for k in range(K.ambient_dim + 1):
            off, ids = K._fv[k]
            keep.append(
                np.array(
                    [arg[ids[off[i] : off[i + 1]]].all(axis=0).sum() >= 2 for i in range(len(off) - 1)],
                    dtype=bool,
                )
            )
    return DecisionBoundary(K._restrict(keep), rs, lev, exact)
