"""The region at a point: activation pattern, affine map and halfspaces from one forward pass.

:func:`region_at` evaluates the network at a point (or a batch of points), reads the
activation pattern, and walks the network once with that pattern fixed
(:func:`tropnet.regions.affine.cell_affine`): the output map ``f(x) = W x + c`` on the
activation cell containing the point, and the cell's halfspaces ``A x <= b`` (one row per unit:
the sign its pattern gives the unit's pre-activation; rows of units that never cut the cell are
included, so they need not all be facets).  No linear program: for a 784-input network this
takes milliseconds.  A point on a unit's hyperplane gets that unit inactive (the convention of
:mod:`tropnet.regions.cells`), so the cell found is a closed cell containing the point.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])   # relu(x) + relu(y)
>>> r = tropnet.region_at(net, [1, -2], exact=True)
>>> r.pattern, r.jacobian.tolist(), r.offset.tolist()
((1, 0), [[Fraction(1, 1), Fraction(0, 1)]], [Fraction(0, 1)])
>>> r.contains([3, -1]), r.contains([-1, -1])
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import gcd, lcm
from typing import Any

import numpy as np

from .._numbers import as_number_array
from ..kernels.scaled import from_scaled, int_matmul, to_scaled
from .affine import cell_affine
from .domains import as_network
from .line import line_stages

__all__ = ["region_at", "PointRegion", "PointRegions", "pattern_maps"]

_BATCH_ENTRIES = 4_000_000  # (points x units x inputs) per batch of the halfspace walk


def _scaled_affine(st, exact: bool, cache: dict | None = None):
    """``(W, b, q)``: the stage's map is ``z -> (W z + b) / q`` (integers when exact; kept in
    ``cache`` by stage for the passes of one call)."""
    if cache is not None and exact:
        hit = cache.get(id(st))
        if hit is None:
            hit = cache[id(st)] = (st, _scaled_affine(st, exact))
        return hit[1]
    if not exact:
        return np.asarray(st.W, dtype=np.float64), np.asarray(st.b, dtype=np.float64), 1
    # float arrays (the exact program of a float network, :func:`line_stages`) are the dyadic
    # rationals they store: scaled from their mantissas and exponents, no Fraction built
    Wz, qw = to_scaled(np.asarray(st.W))
    bz, qb = to_scaled(np.asarray(st.b).ravel())
    q = lcm(qw, qb)
    return _times(Wz, q // qw), _times(bz, q // qb), q


def _times(Z: np.ndarray, f: int) -> np.ndarray:
    return Z if f == 1 else Z.astype(object) * f


def _matmul(A: np.ndarray, B: np.ndarray, exact: bool) -> np.ndarray:
    if exact and A.shape[0] <= 8 and (A.dtype == object or B.dtype == object):
        # a few points: numpy's object loop beats converting B to FLINT for one product
        return A.astype(object).dot(B.astype(object))
    return int_matmul(A, B) if exact else A.dot(B)


def _ratio(v: Any) -> tuple[int, int]:
    f = Fraction(v)
    return f.numerator, f.denominator


def _forward(
    stages, Z: np.ndarray, D: Any, exact: bool, P: np.ndarray | None = None, cache: dict | None = None
):
    """The forward pass on the points ``Z / D`` (integer numerators when exact, float64
    otherwise): ``(numerators, denominator, patterns)``.  With ``P`` given the activations are
    fixed by those patterns (at 0 this gives the offsets of the cells' maps); otherwise the
    patterns are read on the way (the convention of :mod:`tropnet.regions.cells`)."""
    C = len(Z)
    cols = []
    col = 0
    for st in stages:
        if st.kind == "affine":
            W, b, q = _scaled_affine(st, exact, cache)
            Z = _matmul(Z, W.T, exact) + (b[None, :] * D if exact else b[None, :])
            D = D * q
            continue
        ncol = len(st.idx) if st.kind in ("threshold", "leaky") else st.groups.shape[0]
        if st.kind in ("threshold", "leaky"):
            sub = Z[:, st.idx]
            if st.kind == "threshold":
                if exact:
                    lp, lq = _ratio(st.param)
                    s = lq // gcd(D, lq)
                    Z, D, sub = _times(Z, s), D * s, _times(sub, s)
                    level = lp * (D // lq)
                else:
                    level = float(st.param)
            else:
                level = 0
            pc = (sub > level).astype(np.int32) if P is None else P[:, col : col + ncol]
            act = pc.astype(bool)
            if st.kind == "threshold":
                Z = Z.copy()
                Z[:, st.idx] = np.where(act, sub, level)
            elif exact:
                ap, aq = _ratio(st.param)
                Z = _times(Z, aq)
                D = D * aq
                Z[:, st.idx] = np.where(act, Z[:, st.idx], _times(sub, ap))
            else:
                Z = Z.copy()
                Z[:, st.idx] = np.where(act, sub, float(st.param) * sub)
        else:
            V = Z[:, st.groups]  # (C, G, k)
            if P is None:
                pc = np.argmax(V == V.max(axis=2)[:, :, None], axis=2).astype(np.int32)
            else:
                pc = P[:, col : col + ncol]
            Zg = np.take_along_axis(V, pc.astype(np.int64)[:, :, None], axis=2)[:, :, 0]
            Z = np.concatenate([Zg, Z[:, st.idx]], axis=1) if len(st.idx) else Zg
        cols.append(pc)
        col += ncol
    pats = np.concatenate(cols, axis=1).astype(np.int32) if cols else np.zeros((C, 0), dtype=np.int32)
    return Z, D, pats


def _fixed_offsets(
    stages, P: np.ndarray, n: int, exact: bool, cache: dict | None = None
) -> tuple[np.ndarray, Any]:
    """The offsets of the cells' maps: the forward pass at 0 with the patterns fixed."""
    Z0 = np.zeros((len(P), n), dtype=object if exact else np.float64)
    if exact:
        Z0[:] = 0
    Z, D, _ = _forward(stages, Z0, 1, exact, P, cache)
    return Z, D


def _patterns(stages, X: np.ndarray, exact: bool, cache: dict | None = None) -> np.ndarray:
    """Activation patterns at exact or float points (exact: integer arithmetic)."""
    if exact:
        Z, D = to_scaled(X)
        return _forward(stages, Z.astype(object), D, True, cache=cache)[2]
    return _forward(stages, np.asarray(X, dtype=np.float64), 1.0, False)[2]


def _fixed_jacobians(
    stages, P: np.ndarray, n: int, m: int, exact: bool, cache: dict | None = None
) -> tuple[np.ndarray, int]:
    """The Jacobians ``(C, m, n)`` of the cells' maps by one backward pass with the patterns
    fixed (batched GEMMs of shape ``(C m, w)``), as ``(numerators, denominator)``."""
    C = len(P)
    cols = []
    col = 0
    for st in stages:  # where each activation stage's pattern columns start
        cols.append(col)
        if st.kind in ("threshold", "leaky"):
            col += len(st.idx)
        elif st.kind == "group":
            col += st.groups.shape[0]
    G = np.zeros((C, m, m), dtype=object if exact else np.float64)
    G[:] = 0 if exact else 0.0
    for i in range(m):
        G[:, i, i] = 1 if exact else 1.0
    E = 1
    for st, c0 in zip(reversed(stages), reversed(cols)):
        w = G.shape[2]
        if st.kind == "affine":
            W, _, q = _scaled_affine(st, exact, cache)
            G = _matmul(G.reshape(C * m, w), W, exact).reshape(C, m, W.shape[1])
            E = E * q
        elif st.kind == "threshold":
            act = P[:, c0 : c0 + len(st.idx)].astype(bool)
            G = G.copy()
            G[:, :, st.idx] = np.where(act[:, None, :], G[:, :, st.idx], 0)
        elif st.kind == "leaky":
            act = P[:, c0 : c0 + len(st.idx)].astype(bool)
            if exact:
                ap, aq = _ratio(st.param)
                sub = _times(G[:, :, st.idx], ap)
                G, E = _times(G, aq), E * aq
            else:
                G = G.copy()
                sub = float(st.param) * G[:, :, st.idx]
            G[:, :, st.idx] = np.where(act[:, None, :], G[:, :, st.idx], sub)
        else:
            ng = st.groups.shape[0]
            win = st.groups[np.arange(ng)[None, :], P[:, c0 : c0 + ng].astype(np.int64)]  # (C, ng)
            width_in = int(max(st.groups.max(initial=-1), st.idx.max(initial=-1))) + 1
            Gn = np.zeros((C, m, width_in), dtype=G.dtype)
            if exact:
                Gn[:] = 0
            rows = np.arange(C)[:, None]
            for g in range(ng):  # scatter-add: several groups may share a member
                np.add.at(Gn, (rows[:, 0], slice(None), win[:, g]), G[:, :, g])
            if len(st.idx):
                Gn[:, :, st.idx] += G[:, :, ng:]
            G = Gn
    return G, E


def pattern_maps(
    net: Any, patterns: np.ndarray, *, exact: bool = False, stages: list | None = None,
    cache: dict | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The affine maps ``(W (C, m, n), c (C, m))`` of ``net`` on the cells with the given
    activation patterns, in input coordinates: a backward pass for the Jacobians and a
    forward pass at 0 for the offsets, with the activations fixed by the patterns (exact
    integers over one denominator when ``exact``; batched to bound memory).

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])   # |x|
    >>> pattern_maps(net, np.array([[1, 0], [0, 1]]))[0][:, 0, 0].tolist()
    [1.0, -1.0]
    """
    net = as_network(net)
    if stages is None:
        stages = line_stages(net, exact)
    n, m = net.input_dim, net.output_dim
    P = np.asarray(patterns, dtype=np.int32).reshape(len(patterns), -1)
    cache = {} if cache is None else cache
    step = max(1, _BATCH_ENTRIES // max(1, m * max(net.widths)))
    Ws, cs = [], []
    for s in range(0, len(P), step):
        Pb = P[s : s + step]
        Gz, E = _fixed_jacobians(stages, Pb, n, m, exact, cache)
        Zc, D = _fixed_offsets(stages, Pb, n, exact, cache)
        if exact:
            Ws.append(from_scaled(Gz, E))
            cs.append(from_scaled(Zc, D))
        else:
            Ws.append(Gz)
            cs.append(Zc)
    if not Ws:
        dt = object if exact else np.float64
        return np.zeros((0, m, n), dtype=dt), np.zeros((0, m), dtype=dt)
    return np.concatenate(Ws), np.concatenate(cs)


class PointRegion:
    """The activation cell containing one point (see :func:`region_at`).

    Attributes: ``point``, ``pattern`` (tuple), ``jacobian`` ``(m, n)`` and ``offset`` ``(m,)``
    with ``f(x) = jacobian @ x + offset`` on the cell, and ``A``, ``b`` with the cell
    ``{x : A x <= b}`` (one row per unit, redundant rows included; ``num_halfspaces``; computed
    on first use; exact cells give integer rows, each scaled by a positive denominator), and
    :meth:`halfspaces` (``irredundant=True``: the facets only).
    """

    __slots__ = ("point", "pattern", "jacobian", "offset", "_stages", "_n", "_exact", "_hs")

    def __init__(self, point, pattern, jacobian, offset, stages, n, exact) -> None:
        object.__setattr__(self, "point", point)
        object.__setattr__(self, "pattern", tuple(int(v) for v in pattern))
        object.__setattr__(self, "jacobian", jacobian)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "_stages", stages)
        object.__setattr__(self, "_n", n)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_hs", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PointRegion is immutable")

    def _halfspaces(self) -> tuple[np.ndarray, np.ndarray]:
        if self._hs is None:
            P = np.array([self.pattern], dtype=np.int32)
            ca = cell_affine(self._stages, P, self._n, exact=self._exact)
            rows = np.arange(ca.nrows)
            if self._exact:  # integer rows h . (x, 1) <= 0 over a positive denominator: no Fraction
                h, _ = ca.numerators(np.zeros(ca.nrows, dtype=np.int64), rows)
                A, b = h[:, : self._n], -h[:, self._n]
            else:
                A, b = ca.rows(np.zeros(ca.nrows, dtype=np.int64), rows)
            # rows that vanish: group members equal to the winner
            keep = np.any(A != 0, axis=1) if len(A) else np.zeros(0, dtype=bool)
            object.__setattr__(self, "_hs", (A[keep], b[keep]))
        return self._hs

    def halfspaces(self, irredundant: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with the cell ``{x : A x <= b}``: one row per unit that can cut it (as
        :attr:`A`, :attr:`b`; exact cells in integers), or with ``irredundant=True`` only the
        facets, computed on demand: one HiGHS model for all rows in float
        (:func:`tropnet.kernels.lp.irredundant_rows`), cddlib's exact redundancy test for exact
        cells (HiGHS proposals with exact certificates without pycddlib).

        >>> import tropnet
        >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]])
        >>> r = tropnet.region_at(net, [1.0, 1.0])
        >>> r.num_halfspaces, len(r.halfspaces(irredundant=True)[1])
        (3, 2)
        """
        A, b = self._halfspaces()
        if not irredundant or len(b) == 0:
            return A, b
        if not self._exact:
            from ..kernels.lp import irredundant_rows

            keep = irredundant_rows(np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64))
            return A[keep], b[keep]
        try:
            import cdd
            import cdd.gmp
        except ImportError:  # core install: HiGHS proposals with exact certificates on the cone
            from ..geometry.groups import _irredundant_rows_certified

            # {A x <= b} homogenised: A x - b t <= 0 and -t <= 0 (a row is implied exactly when
            # it is a non-negative combination of the others, Farkas)
            rows = [[int(v) for v in row] + [-int(bi)] for row, bi in zip(A, b)]
            rows.append([0] * np.shape(A)[1] + [-1])
            keep = _irredundant_rows_certified(np.array(rows, dtype=object))[:-1]
            return A[keep], b[keep]
        mat = cdd.gmp.matrix_from_array([[int(bi), *(-int(v) for v in row)] for row, bi in zip(A, b)],
                                        rep_type=cdd.RepType.INEQUALITY)
        red = set(cdd.gmp.redundant_rows(mat))
        keep = np.array([i not in red for i in range(len(b))], dtype=bool)
        return A[keep], b[keep]

    @property
    def A(self) -> np.ndarray:
        return self._halfspaces()[0]

    @property
    def b(self) -> np.ndarray:
        return self._halfspaces()[1]

    @property
    def num_halfspaces(self) -> int:
        return len(self.b)

    def contains(self, x: Any) -> bool:
        """True when ``x`` satisfies every halfspace of the cell (closed cell).

        Float cells allow a relative slack of ``1e-9``."""
        xa = as_number_array(x, name="x", ndim=1)
        v = self.A.dot(xa) - self.b
        if self._exact and xa.dtype == object:
            return bool(np.all(v <= 0))
        scale = 1e-9 * (1.0 + float(np.abs(np.asarray(self.b, dtype=np.float64)).max(initial=0.0)))
        return bool(np.all(np.asarray(v, dtype=np.float64) <= scale))

    def __repr__(self) -> str:
        m, n = np.shape(self.jacobian)
        return f"PointRegion(cell in R^{n}, {m} outputs, {len(self.pattern)} units)"


class PointRegions(Sequence):
    """The cells at a batch of points (see :func:`region_at`): arrays ``points``,
    ``patterns`` ``(k, units)``, ``jacobians`` ``(k, m, n)``, ``offsets`` ``(k, m)``;
    ``[i]`` is the :class:`PointRegion` of point ``i`` (its halfspaces computed on demand)."""

    def __init__(self, points, patterns, jacobians, offsets, stages, n, exact) -> None:
        self.points = points
        self.patterns = patterns
        self.jacobians = jacobians
        self.offsets = offsets
        self._stages = stages
        self._n = n
        self._exact = exact

    def __len__(self) -> int:
        return len(self.patterns)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        j = int(i)
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(f"point index {i} out of range for {len(self)} points")
        return PointRegion(
            self.points[j], self.patterns[j], self.jacobians[j], self.offsets[j],
            self._stages, self._n, self._exact,
        )

    def num_distinct(self) -> int:
        """The number of distinct cells among the points.

        >>> import tropnet
        >>> tropnet.region_at(tropnet.random_mlp([2, 8, 1]), [[0.0, 0.0], [1e-9, 0.0]]).num_distinct()
        1
        """
        return len(np.unique(self.patterns, axis=0)) if len(self.patterns) else 0

    def __repr__(self) -> str:
        return f"PointRegions({len(self)} points in R^{self._n})"


def region_at(net: Any, x: Any, *, exact: bool = False) -> PointRegion | PointRegions:
    """The activation cell of ``net`` containing ``x``: its pattern, the affine map (Jacobian
    and offset) and its halfspaces, from a forward pass (no linear program).

    ``x`` of shape ``(n,)`` gives a :class:`PointRegion`; ``X`` of shape ``(k, n)`` gives a
    :class:`PointRegions` with the patterns, Jacobians and offsets of all points as arrays
    (vectorised; batched to bound memory).  ``exact=True`` computes in rationals (a float
    point is the dyadic rational it stores).

    >>> import tropnet
    >>> net = tropnet.random_mlp([784, 32, 10], seed=0)
    >>> R = tropnet.region_at(net, np.zeros((3, 784)))
    >>> R.jacobians.shape, R[0].A.shape
    ((3, 10, 784), (32, 784))
    """
    net = as_network(net)
    n = net.input_dim
    X = as_number_array(x, name="x", exact=True if exact else None)
    single = X.ndim == 1
    if X.ndim not in (1, 2):
        raise ValueError(f"x must be a point (n,) or a batch (k, n), got shape {X.shape}")
    X = np.atleast_2d(X)
    if X.shape[1] != n:
        raise ValueError(f"points have length {X.shape[1]}, but the network has {n} inputs")
    if not exact:
        X = np.asarray(X, dtype=np.float64)
    stages = line_stages(net, exact)  # exact: float layers stay float arrays (their dyadic values)
    cache: dict = {}
    P = _patterns(stages, X, exact, cache)
    W, c = pattern_maps(net, P, exact=exact, stages=stages, cache=cache)
    regs = PointRegions(X, P, W, c, stages, n, exact)
    return regs[0] if single else regs
