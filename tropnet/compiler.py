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

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .algebra.polynomial import TropicalPolynomial
from .algebra.rational import TropicalRational, TropicalRationalMap
from .kernels import poly as K
from .networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from .networks.network import Network

__all__ = ["tropicalize", "DEFAULT_MAX_MONOMIALS"]

DEFAULT_MAX_MONOMIALS = 4_000_000
"""Largest expansion (monomials of one product, before merging) the compiler builds."""

Poly = K.Poly
Units = list[Poly]


class _Recursion:
    """The numbers and pruning policy of one compilation (exact or float)."""

    def __init__(self, n: int, exact: bool, simplify: bool, max_monomials: int) -> None:
        self.n = n
        self.exact = exact
        self.simplify = simplify
        self.max_monomials = max_monomials
        self.one = K.one(n, exact=exact)
        self.layer = -1
        self.hull_fallbacks = 0

    def clean(self, p: Poly) -> Poly:
        """Pruned (``simplify``) or merged: what every layer's output goes through."""
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
        self.hull_fallbacks += 1
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
        """The tropical product of ``factors`` in the given order; with ``simplify`` the partial
        products are pruned (the final one is left to the caller).

        The order is kept on purpose: in float mode a monomial that two products share (``H``
        and ``G'`` of a unit share those inherited from ``G`` through ``F = max(H, G + t)``)
        then gets bitwise the same exponent in both, so merging finds it; summing in another
        order would leave near-duplicate points that make the hulls degenerate."""
        factors = [f for f in factors if not _is_one(f)]
        if not factors:
            return self.one
        acc = factors[0]
        for pos, f in enumerate(factors[1:]):
            if self.simplify and pos > 0 and len(acc[1]) > 2:
                acc = self.prune(acc)
            size = len(acc[1]) * len(f[1])
            if size > self.max_monomials:
                hint = "" if self.simplify else "; compile with simplify=True"
                raise MemoryError(
                    f"layer {self.layer}: a product of tropical polynomials with {len(acc[1])} and "
                    f"{len(f[1])} monomials would expand to {size} > max_monomials={self.max_monomials} "
                    f"monomials{hint}"
                )
            acc = _product2(acc, f)
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


def tropicalize(
    net: Network,
    simplify: bool = True,
    *,
    exact: bool | None = None,
    variables: Any = None,
    max_monomials: int = DEFAULT_MAX_MONOMIALS,
) -> TropicalRationalMap:
    """The tropical rational map computed by ``net``: one ``numerator - denominator`` per output.

    Parameters
    ----------
    net
        A :class:`~tropnet.Network` of any layer types (compiled through :meth:`Network.lowered`).
    simplify
        Prune every intermediate and final polynomial to the monomials that attain the max
        somewhere (upper-hull vertices).  The function is the same either way.
    exact
        Exact (Fraction) arithmetic; default: exactly when every parameter of ``net`` is exact.
        ``exact=True`` on a float network uses the dyadic rationals its floats store.
    variables
        Names of the input variables (default ``x0, x1, ...``).
    max_monomials
        Refuse (``MemoryError``) to build one product with more monomials than this.

    Returns
    -------
    TropicalRationalMap
        ``monomials_before`` holds, per output, the numerator plus denominator monomials of the
        final layer's expansion *before its last pruning* (equal exponents merged); with
        ``simplify=False`` nothing is pruned and it equals ``monomials_after``.

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
    low = net.lowered(passthrough=True)
    exact = low.exact if exact is None else bool(exact)
    if exact and not low.exact:
        low = low.to_exact()
    n = low.input_dim
    rec = _Recursion(n, exact, bool(simplify), int(max_monomials))
    eye = np.eye(n, dtype=np.int64)
    if exact:
        F = [(K.normalize(np.array([[Fraction(int(v)) for v in eye[j]]], dtype=object),
                          np.array([Fraction(0)], dtype=object))) for j in range(n)]
    else:
        F = [(eye[j : j + 1].astype(np.float64), np.zeros(1)) for j in range(n)]
    G = [rec.one] * n
    before: list[int] = []
    for index, layer in enumerate(low.layers):
        rec.layer = index
        F, G = _rule(layer)(rec, layer, F, G)
        if index == len(low.layers) - 1:
            before = [len(f[1]) + (0 if _is_one(g) else len(g[1])) for f, g in zip(F, G)]
        F = [rec.clean(f) for f in F]
        G = [rec.clean(g) for g in G]
    rationals = [
        TropicalRational(TropicalPolynomial(f[0], f[1], variables), TropicalPolynomial(g[0], g[1], variables))
        for f, g in zip(F, G)
    ]
    return TropicalRationalMap(rationals, monomials_before=before)
