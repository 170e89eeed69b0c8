"""The network-to-tropical compiler: every piecewise-linear network is a tropical rational map.

:func:`tropicalize` runs the layer recursion of Zhang, Naitzat & Lim (ICML 2018, Prop. 5.1) on
the *lowered* network (primitive layers only, :meth:`Network.lowered`), carrying for every
unit a pair of tropical polynomials ``(F, G)`` with ``unit value = F - G``.  It starts from
``F_j = x_j``, ``G_j = 0`` and, with ``W = W+ - W-`` (``W+ = max(W, 0)``):

* ``Linear(W, b)``: ``H_i = b_i + sum_j W+_ij F_j + W-_ij G_j`` and
  ``G'_i = sum_j W+_ij G_j + W-_ij F_j`` (sums and scalar multiples are tropical products and
  powers); the unit is ``H_i - G'_i``.
* ``Threshold(t)`` (ReLU: ``t = 0``): ``F' = max(F, G + t)``, ``G' = G``.
* ``LeakyReLU(a)``: ``max(F - G, a F - a G) = max(F + a G, a F + G) - (1 + a) G``; the
  exponents become real (Puiseux) numbers.
* An activation with ``units`` (a graph network's skip connections) acts on those units only;
  the others keep their pair ``(F, G)``.
* ``GroupMax`` (maxout, max-pools): ``max_k (F_k - G_k) = max_k (F_k + sum_{m != k} G_m) - sum_m G_m``.

Equal exponents are merged after every operation.  With ``simplify=True`` every product of
two polynomials and every layer's result is pruned to its upper-hull vertices (the monomials
that attain the max on an open set; one vectorised hull call per polynomial, exact for exact
weights), so that the pieces stay as small as the functions they represent.

Examples
--------
>>> from tropnet import Network
>>> net = Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])      # |x|
>>> f = tropicalize(net)
>>> print(f[0])
max(0, 2*x0) - x0
>>> f([-3]).tolist()
[Fraction(3, 1)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ._limits import Limits, check_limit_value, progress_bar, progress_call, progress_phase
from .algebra.polynomial import TropicalPolynomial
from .algebra.rational import TropicalRational, TropicalRationalMap
from .kernels import poly as K
from .kernels.scaled import fits_int64, from_scaled, to_scaled
from .networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from .networks.network import Network

__all__ = ["tropicalize", "CompileLimitError", "set_cell_engine", "DEFAULT_MAX_MONOMIALS"]

DEFAULT_MAX_MONOMIALS = 4_000_000
"""The most monomials one compile holds at once (see :func:`tropicalize`)."""

Poly = K.Poly
Units = list[Poly]


class CompileLimitError(MemoryError):
    """Raised when :func:`tropicalize` would pass one of its limits (``max_monomials``,
    ``max_seconds``, ``max_memory``); ``limit`` names the limit, ``reached`` says how far the
    compile got (layer, monomials or cells held, seconds, bytes) when it stopped.

    A :class:`MemoryError` subclass, so code that caught the old per-product refusal still does.

    >>> from tropnet import random_mlp
    >>> try:
    ...     tropicalize(random_mlp([2, 5, 5, 1], seed=0), max_monomials=10)
    ... except CompileLimitError as err:
    ...     print(err.limit)
    max_monomials
    """

    def __init__(self, message: str, limit: str, reached: dict) -> None:
        super().__init__(message)
        self.limit = limit
        self.reached = dict(reached)


class _Limits(Limits):
    """The three limits of one compile (:class:`tropnet._limits.Limits`) and where it stands;
    :meth:`check` raises :class:`CompileLimitError` on the first one passed."""

    def __init__(self, max_monomials: int, max_seconds: float | None, max_memory: int | None) -> None:
        super().__init__(max_monomials, max_seconds, max_memory, count_name="max_monomials")
        self.max_monomials = max_monomials
        self.layer = -1
        self.hint = ""  # appended to a max_monomials message

    def check(self, *, monomials: int = 0, nbytes: int = 0, what: str = "monomials") -> None:
        hit = self.passed(count=monomials, nbytes=nbytes, what=what)
        if hit is not None:
            name, message, reached = hit
            reached["layer"] = self.layer
            hint = self.hint if name == "max_monomials" else ""
            message = f"tropicalize stopped at layer {self.layer}: {message}{hint}"
            raise CompileLimitError(message, name, reached)


class _Recursion:
    """The numbers and pruning policy of one expanded compilation (exact or float)."""

    def __init__(self, n: int, exact: bool, limits: _Limits, prune: bool = False) -> None:
        self.n = n
        self.exact = exact
        self.limits = limits
        self.simplify = prune
        self.one = K.one(n, exact=exact)
        self.held = 0  # monomials of the layer being built

    def clean(self, p: Poly) -> Poly:
        """Pruned (``prune``) or merged: what every layer's output goes through."""
        return self.prune(p) if self.simplify and len(p[1]) > 2 else K.normalize(*p)

    def prune(self, p: Poly) -> Poly:
        """``K.prune``; where Qhull fails on a degenerate point set (Minkowski sums have many
        coplanar points), the halves are pruned separately first: a monomial that is not an
        upper-hull vertex among some of the monomials is not one among all of them."""
        try:
            return K.prune(*p)
        except ValueError as err:
            if "Qhull" not in str(err):
                raise
        E, c = K.normalize(*p)
        if len(c) <= 64:
            return E, c
        half = len(c) // 2
        parts = [self.prune((E[:half], c[:half])), self.prune((E[half:], c[half:]))]
        union = (np.concatenate([q[0] for q in parts]), np.concatenate([q[1] for q in parts]))
        try:
            return K.prune(*union)
        except ValueError as err:
            if "Qhull" not in str(err):
                raise
            return K.normalize(*union)

    def number(self, v: Any) -> Any:
        return (v if isinstance(v, Fraction) else Fraction(v)) if self.exact else float(v)

    def power(self, p: Poly, a: Any) -> Poly:
        if a == 1:
            return p
        return K.tropical_power(p[0], p[1], a)

    def shift(self, p: Poly, b: Any) -> Poly:
        return p[0], p[1] + b

    def product(self, factors: Sequence[Poly]) -> Poly:
        """The tropical product of ``factors`` in the given order, each partial product merged
        (and, with ``prune``, pruned; the final one is left to the caller).

        The order is kept on purpose: in float mode a monomial that two products share (``H``
        and ``G'`` of a unit share those inherited from ``G`` through ``F = max(H, G + t)``)
        then gets bitwise the same exponent in both, so merging finds it."""
        factors = [f for f in factors if not _is_one(f)]
        if not factors:
            return self.one
        acc = factors[0]
        for pos, f in enumerate(factors[1:]):
            if self.simplify and pos > 0 and len(acc[1]) > 2:
                acc = self.prune(acc)
            size = len(acc[1]) * len(f[1])
            self.limits.check(monomials=self.held + size, nbytes=(self.held + size) * 8 * (self.n + 1))
            acc = _product2(acc, f)
        self.held += len(acc[1])
        return acc

    def sum(self, polys: Sequence[Poly]) -> Poly:
        """The tropical sum (merged, not pruned)."""
        E = np.concatenate([p[0] for p in polys])
        c = np.concatenate([p[1] for p in polys])
        return K.normalize(E, c)


def _product2(p: Poly, q: Poly) -> Poly:
    """``K.tropical_product``; on an ``OverflowError`` of its int64 fast path (exact factors
    whose common denominator exceeds int64 while one array is all zeros), the same product
    on object arrays of Fractions."""
    try:
        return K.tropical_product(p, q)
    except OverflowError:
        E = (p[0][:, None, :] + q[0][None, :, :]).reshape(-1, p[0].shape[1])
        c = (p[1][:, None] + q[1][None, :]).ravel()
        return K.normalize(E, c)


def _is_one(p: Poly) -> bool:
    """True for the tropical one (the constant 0), the neutral factor of a product."""
    E, c = p
    return len(c) == 1 and c[0] == 0 and not np.any(E != 0)


def _linear(rec: _Recursion, layer: Linear, F: Units, G: Units) -> tuple[Units, Units]:
    W = layer.weight if rec.exact else layer.float_weight
    b = layer.bias if rec.exact else layer.float_bias
    H, G2 = [], []
    for i in range(W.shape[0]):
        num, den = [], []
        for j in np.flatnonzero(W[i] != 0):
            w = rec.number(W[i, j])
            if w > 0:
                num.append(rec.power(F[j], w))
                den.append(rec.power(G[j], w))
            else:
                num.append(rec.power(G[j], -w))
                den.append(rec.power(F[j], -w))
        H.append(rec.shift(rec.product(num), rec.number(b[i])))
        G2.append(rec.product(den))
    return H, G2


def _unit_rule(layer: Threshold | LeakyReLU, F: Units, G: Units, param: Any, fn) -> tuple[Units, Units]:
    """Apply ``fn(F_j, G_j, param_j) -> (F'_j, G'_j)`` to the units the activation acts on
    (``layer.units``, default all); the others pass through unchanged."""
    units = range(len(F)) if layer.units is None else [int(u) for u in layer.units]
    F2, G2 = list(F), list(G)
    for k, j in enumerate(units):
        F2[j], G2[j] = fn(F[j], G[j], param[k] if isinstance(param, np.ndarray) else param)
    return F2, G2


def _threshold(rec: _Recursion, layer: Threshold, F: Units, G: Units) -> tuple[Units, Units]:
    def one(f: Poly, g: Poly, t: Any) -> tuple[Poly, Poly]:
        return rec.sum([f, rec.shift(g, rec.number(t))]), g

    return _unit_rule(layer, F, G, layer.t, one)


def _leaky_relu(rec: _Recursion, layer: LeakyReLU, F: Units, G: Units) -> tuple[Units, Units]:
    def one(f: Poly, g: Poly, alpha: Any) -> tuple[Poly, Poly]:
        a = rec.number(alpha)
        if a == 0:
            return rec.sum([f, g]), g
        mixed = [rec.product([f, rec.power(g, a)]), rec.product([rec.power(f, a), g])]
        return rec.sum(mixed), rec.power(g, 1 + a)

    return _unit_rule(layer, F, G, layer.alpha, one)


def _group_max(rec: _Recursion, layer: GroupMax, F: Units, G: Units) -> tuple[Units, Units]:
    F2, G2 = [], []
    for row in layer.groups:
        idx = list(dict.fromkeys(int(j) for j in row))  # a repeated input does not change the max
        k = len(idx)
        # prefix[m] = G_idx[0] + ... + G_idx[m-1]; suffix[m] = G_idx[m] + ... + G_idx[k-1]
        prefix = [rec.one]
        for j in idx:
            prefix.append(rec.clean(rec.product([prefix[-1], G[j]])))
        suffix = [rec.one]
        for j in reversed(idx):
            suffix.append(rec.clean(rec.product([suffix[-1], G[j]])))
        suffix.reverse()
        terms = [rec.product([F[idx[m]], prefix[m], suffix[m + 1]]) for m in range(k)]
        F2.append(rec.sum(terms))
        G2.append(prefix[k])
    return F2, G2


_RULES = {Linear: _linear, Threshold: _threshold, LeakyReLU: _leaky_relu, GroupMax: _group_max}


def _rule(layer: Any):
    for cls in type(layer).__mro__:
        if cls in _RULES:
            return _RULES[cls]
    raise TypeError(f"the compiler has no rule for the primitive layer {layer!r}")  # pragma: no cover


# ----------------------------------------------------------------------------------------------
# the simplified compile: the forms' affine pieces on the network's activation cells

_CELL_ENGINE: Callable[..., np.ndarray] | None = None


def set_cell_engine(engine: Callable[..., np.ndarray] | None) -> None:
    """Install the activation-cell enumerator that the simplified compile runs.

    ``engine(net, exact=..., max_cells=..., progress=..., max_seconds=..., max_memory=...)`` gets
    a lowered network and returns the activation patterns (int array, one row per
    full-dimensional cell of all of R^n, in the layout of :class:`tropnet.regions.cells.Cells`),
    exactly decided when ``exact``; past a limit it raises a ``ValueError`` named
    ``RegionLimitError`` whose ``limit`` says which (``"max_regions"`` for ``max_cells``).  The
    region enumerator sits above the compiler, so it passes its engine down: ``import tropnet``
    installs it.

    >>> _CELL_ENGINE is not None            # installed by ``import tropnet``
    True
    """
    global _CELL_ENGINE
    _CELL_ENGINE = engine


def _scaled(a: np.ndarray, exact: bool) -> tuple[np.ndarray, int]:
    """Exact: integer numerators over one denominator; float: the float64 array over 1."""
    if not exact:
        return np.asarray(a, dtype=np.float64), 1
    return to_scaled(np.asarray(a, dtype=object))


def _big(*arrays: np.ndarray, factor: int = 1) -> bool:
    """Would integer arithmetic on these int64 arrays (times ``factor``) risk overflow?"""
    bound = factor
    for a in arrays:
        if a.dtype == object:
            return True
        bound *= max(1, int(np.abs(a).max(initial=0)))
    return not fits_int64(bound)


def _addable(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` in a dtype whose sum cannot overflow (Python ints where int64 could)."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return a, b
    if a.dtype == object or b.dtype == object or not fits_int64(
        int(np.abs(a).max(initial=0)) + int(np.abs(b).max(initial=0))
    ):
        return a.astype(object), b.astype(object)
    return a, b


def _obj(*arrays: np.ndarray) -> list[np.ndarray]:
    return [a.astype(object) for a in arrays]


def _rescaled(a: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return a
    if a.dtype != object and not _big(a, factor=factor):
        return a * np.int64(factor)
    return a.astype(object) * factor


class _Maps:
    """Per row (one row per distinct activation-pattern prefix), the affine functions of every
    unit's ``F`` and ``G``: arrays (rows, units, n + 1), ``[slope | offset]``; exact mode keeps
    integer numerators over the one denominator ``den`` (int64 while safe, Python ints after)."""

    def __init__(self, F: np.ndarray, G: np.ndarray, den: int, exact: bool) -> None:
        self.F, self.G, self.den, self.exact = F, G, den, exact

    @property
    def nbytes(self) -> int:
        per = 8 if self.F.dtype != object else 48  # a Python int of a few words behind a pointer
        return 2 * self.F.size * per

    def common(self, d: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``F`` and ``G`` over ``lcm(den, d)``, that denominator, and the factor for ``1/d``."""
        D = self.den * d // math.gcd(self.den, d)
        f = D // self.den
        return _rescaled(self.F, f), _rescaled(self.G, f), D, D // d

    def linear(self, W: np.ndarray, b: np.ndarray) -> _Maps:
        (Wz, dW), (bz, db) = _scaled(W, self.exact), _scaled(b, self.exact)
        Wp, Wm = np.maximum(Wz, 0), np.maximum(-Wz, 0)
        F, G = self.F, self.G
        if self.exact and (_big(Wz, F, factor=2 * max(1, F.shape[1])) or _big(Wz, G, factor=2 * G.shape[1])):
            Wp, Wm, F, G = _obj(Wp, Wm, F, G)
        # H = W+ F + W- G (+ b), G' = W+ G + W- F, as one product of [W+ | W-] with [F; G] stacked
        WW = np.concatenate([np.concatenate([Wp, Wm], axis=1), np.concatenate([Wm, Wp], axis=1)])
        FG = np.concatenate([F, G], axis=1)
        HG = np.matmul(WW, FG)
        m = Wz.shape[0]
        out = _Maps(HG[:, :m], HG[:, m:], self.den * dW, self.exact)
        Hn, Gn, D, fb = out.common(db)
        Hn, b_col = _addable(Hn, _rescaled(bz, fb))
        Hn[:, :, -1] += b_col  # Hn is a fresh array (the product or its rescaled copy)
        return _Maps(Hn, Gn, D, self.exact)

    def take(self, rows: np.ndarray) -> _Maps:
        return _Maps(self.F[rows], self.G[rows], self.den, self.exact)


def _activation(layer: Any, maps: _Maps, bits: np.ndarray) -> _Maps:
    """The forms after one activation layer on rows whose pattern entries are ``bits``."""
    exact = maps.exact
    if isinstance(layer, Threshold):
        # F' = max(F, G + t): F where the unit is above t, G + t elsewhere; G' = G
        tz, dt = _scaled(np.array([layer.t], dtype=object if exact else np.float64), exact)
        F, G, D, ft = maps.common(dt)
        Gt, t_col = _addable(G.copy(), _rescaled(tz, ft))
        Gt[:, :, -1] += t_col[0]
        if Gt.dtype == object:
            F = F.astype(object)
        return _Maps(np.where(bits[:, :, None] > 0, F, Gt), G, D, exact)
    if isinstance(layer, LeakyReLU):
        # F' = max(F + a G, a F + G): the first where the unit is positive; G' = (1 + a) G
        (az,), da = _scaled(np.array([layer.alpha], dtype=object if exact else np.float64), exact)
        F, G = maps.F, maps.G
        if exact and _big(F, G, factor=2 * (abs(int(az)) + int(da))):
            F, G = _obj(F, G)
        on = bits[:, :, None] > 0
        Fn = np.where(on, F * da + G * az, F * az + G * da)
        return _Maps(Fn, G * (da + az), maps.den * da, exact)
    # GroupMax: F'_g = F_w + sum_{m != w} G_m for the winner w, G'_g = sum_m G_m (distinct members)
    F, G = maps.F, maps.G
    if exact and _big(F, G, factor=2 * layer.groups.shape[1] + 2):
        F, G = _obj(F, G)
    rows = np.arange(len(F))
    Fs, Gs = [], []
    for g, row in enumerate(layer.groups):
        idx = list(dict.fromkeys(int(j) for j in row))
        gsum = G[:, idx].sum(axis=1)
        win = np.asarray(row, dtype=np.int64)[bits[:, g]]
        Fs.append(gsum + F[rows, win] - G[rows, win])
        Gs.append(gsum)
    return _Maps(np.stack(Fs, axis=1), np.stack(Gs, axis=1), maps.den, exact)


def _pattern_width(layer: Any, width: int) -> int:
    return layer.groups.shape[0] if isinstance(layer, GroupMax) else width


def _distinct_rows(a: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row (int64, float64 or object)."""
    if a.dtype != object:
        return np.sort(np.unique(a, axis=0, return_index=True)[1])
    seen: dict = {}
    for i, row in enumerate(map(tuple, a.tolist())):
        seen.setdefault(row, i)
    return np.fromiter(seen.values(), dtype=np.int64, count=len(seen))


def _form(rows: np.ndarray, den: int, n: int, exact: bool) -> Poly:
    """The tropical polynomial whose monomials are the distinct affine functions ``rows``."""
    rows = rows[_distinct_rows(rows)]
    if exact:
        return K.normalize(from_scaled(rows[:, :n], den), from_scaled(rows[:, n], den))
    return K.normalize(rows[:, :n], rows[:, n])


def _cell_forms(low: Network, exact: bool, limits: _Limits, progress: bool | None) -> tuple[list, list, int]:
    """``(F, G, cells)`` of the simplified compile, from the activation cells of ``low`` on R^n.

    Every ``F_j`` and ``G_j`` of the recursion is convex and affine on each activation cell
    (by induction over the layers), so its monomials that attain the max on an open set are
    exactly its distinct affine functions on the full-dimensional cells.  Each one is computed
    from the cell's activation pattern by the recursion's rules with affine functions in place
    of polynomials, once per distinct pattern prefix (the forms after layer ``l`` depend only on
    the pattern up to ``l``)."""
    n = low.input_dim
    outputs = low.output_dim
    max_cells = max(1, limits.max_monomials // (2 * outputs))
    if _CELL_ENGINE is None:  # pragma: no cover - ``import tropnet`` installs it
        raise RuntimeError("no activation-cell engine is installed (import tropnet)")
    seconds = None if limits.max_seconds is None else max(limits.max_seconds - limits.seconds(), 1e-9)
    try:
        P = np.asarray(_CELL_ENGINE(low, exact=exact, max_cells=max_cells, progress=progress,
                                    max_seconds=seconds, max_memory=limits.max_memory))
    except ValueError as err:
        limit = getattr(err, "limit", None)
        if type(err).__name__ != "RegionLimitError" or limit is None:
            raise
        reached = dict(getattr(err, "reached", {}), layer=-1)
        if limit in ("max_seconds", "max_memory"):  # the enumeration of the cells ran out
            given = limits.max_seconds if limit == "max_seconds" else limits.max_memory
            raise CompileLimitError(
                f"tropicalize stopped while enumerating the activation cells of R^{n}: passed "
                f"{limit}={given} after {limits.seconds():.1f} s ({reached.get('cells', '?')} cells so far)",
                limit, reached) from err
        raise CompileLimitError(
            f"the network has more than {max_cells} activation cells: its simplified forms would hold "
            f"more than max_monomials={limits.max_monomials} candidate monomials ({err})",
            "max_monomials", dict(reached, cells=max_cells + 1)) from err
    C = len(P)
    limits.check(monomials=2 * outputs * C, what="candidates")
    bar = progress_phase(sum(not isinstance(x, Linear) for x in low.layers) + outputs, "forms")
    if exact:
        F = np.zeros((1, n, n + 1), dtype=np.int64)
        F[0, :, :n] = np.eye(n, dtype=np.int64)
    else:
        F = np.zeros((1, n, n + 1))
        F[0, :, :n] = np.eye(n)
    maps = _Maps(F, np.zeros_like(F), 1, exact)
    row = np.zeros(C, dtype=np.int64)  # cell -> row of maps
    col = 0
    for index, layer in enumerate(low.layers):
        limits.layer = index
        if isinstance(layer, Linear):
            W = layer.weight if exact else layer.float_weight
            b = layer.bias if exact else layer.float_bias
            grow = max(1, W.shape[0]) / max(1, maps.F.shape[1])  # the maps' size after the layer
            limits.check(monomials=2 * outputs * C, nbytes=int(maps.nbytes * grow), what="candidates")
            maps = maps.linear(W, b)
            continue
        k = _pattern_width(layer, maps.F.shape[1])
        bits = P[:, col : col + k]
        col += k
        key = np.concatenate([row[:, None], bits], axis=1)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        maps = _activation(layer, maps.take(row[first]), bits[first])
        row = inv.ravel()
        limits.check(monomials=2 * outputs * C, nbytes=maps.nbytes, what="candidates")
        _advance(bar)
    Fs, Gs = [], []
    for o in range(outputs):
        Fs.append(_form(maps.F[row, o], maps.den, n, exact))
        Gs.append(_form(maps.G[row, o], maps.den, n, exact))
        _advance(bar)
    if bar is not None:
        bar.close()
    return Fs, Gs, C


def _advance(bar: Any) -> None:
    if bar is not None:
        bar.update(1)


def _progress(total: int, progress: bool | None):
    """A tqdm bar over the layers of the unsimplified compile (``None``: after 2 s)."""
    return progress_bar(total, progress, "tropicalize", "layer")


def tropicalize(
    net: Network,
    simplify: bool = True,
    *,
    exact: bool | None = None,
    variables: Any = None,
    max_monomials: int = DEFAULT_MAX_MONOMIALS,
    max_seconds: float | None = None,
    max_memory: int | None = None,
    progress: bool | None = None,
) -> TropicalRationalMap:
    """The tropical rational map computed by ``net``: one ``numerator - denominator`` per output.

    Parameters
    ----------
    net
        A :class:`~tropnet.Network` of any layer types (compiled through :meth:`Network.lowered`).
    simplify
        Keep only the monomials that attain the max on an open set (upper-hull vertices); the
        function is the same either way.  The simplified forms are read off the activation cells
        of ``net`` on all of R^n (each form is affine on every cell; its distinct affine pieces are
        its monomials), found by the region enumerator; ``simplify=False`` expands every
        tropical product in full instead.
    exact
        Exact (Fraction) arithmetic; default: exactly when every parameter of ``net`` is exact.
        ``exact=True`` on a float network uses the dyadic rationals its floats store.
    variables
        Names of the input variables (default ``x0, x1, ...``).
    max_monomials
        The most monomials the compile may hold at once (all outputs and layers together):
        with ``simplify=True`` one candidate per activation cell for each output's numerator and
        denominator, so at most ``max_monomials // (2 * outputs)`` cells are enumerated; with
        ``simplify=False`` the monomials of the layer being expanded.
    max_seconds, max_memory
        Stop after this many seconds, or before holding more than this many bytes of arrays
        (checked between the compile's steps; default: no limit).
    progress
        A progress bar (``tqdm``): ``None`` shows it on long runs (after 2 s), ``True`` at once.

    Any limit passed raises :class:`CompileLimitError` (a ``MemoryError``) saying what was
    reached.

    Returns
    -------
    TropicalRationalMap
        ``monomials_before`` holds, per output, the numerator plus denominator monomials the
        compile held before its final merging: with ``simplify=True`` one candidate per
        activation cell for each (a constant denominator 0 not counted), with ``simplify=False``
        the expansion itself (equal to ``monomials_after``).

    >>> from tropnet import random_mlp
    >>> net = random_mlp([2, 4, 1], seed=0)
    >>> f = tropicalize(net)
    >>> x = np.array([[0.5, -1.0], [2.0, 3.0]])
    >>> bool(np.allclose(f.evaluate(x), net(x), rtol=1e-12))
    True
    >>> g = tropicalize(net.to_exact())                 # exact: agrees exactly at rational points
    >>> g([Fraction(1, 3), 2]) == net.to_exact()([Fraction(1, 3), 2])
    array([ True])
    """
    if not isinstance(net, Network):
        raise TypeError(f"tropicalize needs a tropnet Network, got {type(net).__name__}")
    if not isinstance(simplify, (bool, np.bool_)):
        raise TypeError(f"simplify must be True or False, got {simplify!r}")
    bad_limit = isinstance(max_monomials, bool) or not isinstance(max_monomials, (int, np.integer))
    if bad_limit or max_monomials < 1:
        raise ValueError(f"max_monomials must be a positive integer, got {max_monomials!r}")
    check_limit_value("max_seconds", max_seconds)
    check_limit_value("max_memory", max_memory, integer=True)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    low = net.lowered(passthrough=True)
    exact = low.exact if exact is None else bool(exact)
    if exact and not low.exact:
        low = low.to_exact()
    limits = _Limits(int(max_monomials), max_seconds, max_memory)
    cell_low = _full_units(net, exact) if simplify else None
    # one bar for the whole compile: the cell engine's runs (one per piece of R^n) and the forms
    phases = 2 * net.input_dim + 2 if cell_low is not None else 1
    with progress_call(progress, "tropicalize", phases=phases):
        if cell_low is not None:
            F, G, cells = _cell_forms(cell_low, exact, limits, progress)
            before = [cells + (0 if _is_one(g) else cells) for g in G]
        else:
            F, G, before = _expanded_forms(low, exact, limits, progress, prune=bool(simplify))
    rationals = [
        TropicalRational(TropicalPolynomial(f[0], f[1], variables), TropicalPolynomial(g[0], g[1], variables))
        for f, g in zip(F, G)
    ]
    return TropicalRationalMap(rationals, monomials_before=before)


def _expanded_forms(
    low: Network, exact: bool, limits: _Limits, progress: bool | None, prune: bool = False
) -> tuple[Units, Units, list[int]]:
    """``(F, G, monomials before the last merging)`` of the layer recursion with every product
    expanded; with ``prune`` (networks the cell engine does not take: activations on some
    units, per-unit leaky slopes) every partial product and layer is pruned to its upper-hull
    vertices (exact for exact weights; the old simplified compile)."""
    n = low.input_dim
    rec = _Recursion(n, exact, limits, prune)
    if not prune:
        limits.hint = "; compile with simplify=True (only the monomials that matter)"
    eye = np.eye(n, dtype=np.int64)
    if exact:
        F = [(K.normalize(np.array([[Fraction(int(v)) for v in eye[j]]], dtype=object),
                          np.array([Fraction(0)], dtype=object))) for j in range(n)]
    else:
        F = [(eye[j : j + 1].astype(np.float64), np.zeros(1)) for j in range(n)]
    G = [rec.one] * n
    before: list[int] = []
    bar = _progress(len(low.layers), progress)
    try:
        for index, layer in enumerate(low.layers):
            limits.layer = index
            rec.held = 0
            F, G = _rule(layer)(rec, layer, F, G)
            if index == len(low.layers) - 1:
                before = [len(f[1]) + (0 if _is_one(g) else len(g[1])) for f, g in zip(F, G)]
            F = [rec.clean(f) for f in F]
            G = [rec.clean(g) for g in G]
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if not low.layers:
        before = [len(f[1]) + (0 if _is_one(g) else len(g[1])) for f, g in zip(F, G)]
    return F, G, before


def _full_units(net: Network, exact: bool) -> Network | None:
    """The lowered network the cell engine reads (activations on all units, one shared
    parameter), or ``None`` for a graph network it does not take."""
    try:
        low = net.lowered()
    except NotImplementedError:
        return None
    return low.to_exact() if exact and not low.exact else low
