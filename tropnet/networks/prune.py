"""The same function with fewer units: what a count of linear regions may drop.

:func:`drop_unused_units` removes, from a plain network (affine layers with one ReLU, threshold
or leaky activation between them), the units the function does not need:

* a unit no unit of the next layer (or no output) reads: a zero column in the next weight;
* a unit with a zero weight row: it outputs a constant, folded into the next layer's bias;
* a unit equal to an earlier unit of its layer (the same row and bias): one unit, read with
  the sum of both columns (two units read with opposite weights cancel, and then go too).

Repeated until nothing changes (a dropped unit can leave an earlier unit unread).  The result
computes the same function, and its activation cells are unions of the original cells, all
with the function's one map on them (a dropped unit never changes the output), so it has the
original's linear regions: a count of linear regions runs on it (:func:`tropnet.regions.plan.
make_plan`), never an activation count.  Every comparison and sum is exact: a float64 layer
stays float64 (the certified float pass of an exact count reads it as it is), so a fold or a
merge whose sum float64 does not hold is not made (the unit stays).

>>> import numpy as np
>>> from tropnet import Network
>>> net = Network.from_arrays([[[1.0], [1.0], [2.0]], [[1.0, -1.0, 0.0]]])  # relu(x) - relu(x)
>>> drop_unused_units(net).widths  # the function is 0: no unit is needed
(1, 1)
>>> keep = Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])  # |x|
>>> drop_unused_units(keep) is keep
True
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import numpy as np

from .layers import LeakyReLU, Linear, Threshold
from .network import Network

__all__ = ["drop_unused_units"]


def _activation(layer: Any) -> Any:
    """``(kind, param)`` of an activation the pruning handles (one shared parameter, all units),
    else ``None``."""
    if getattr(layer, "units", None) is not None:
        return None
    if isinstance(layer, Threshold) and not isinstance(layer.t, np.ndarray):
        return ("threshold", layer.t)
    if isinstance(layer, LeakyReLU) and not isinstance(layer.alpha, np.ndarray):
        return ("leaky", layer.alpha)
    return None


def _value(kind: str, p: Any, z: Any) -> Any:
    """The activation's output at the pre-activation ``z``."""
    if kind == "threshold":
        if p == 0:  # (a ReLU: a float compared with 0, not with a rational)
            return z if z > 0 else p
        return z if z > p else p
    return z if z > 0 else p * z


def _exact(a: np.ndarray) -> np.ndarray:
    if a.dtype == object:
        return a.copy()
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [Fraction(float(v)) for v in a.ravel()]
    return out


def _add(a: np.ndarray, b: np.ndarray) -> Any:
    """``a + b`` in exact rationals, as ``a``'s type (float64 or exact); ``None`` when ``a`` is
    float64 and float64 does not hold every sum exactly."""
    s = _exact(a) + _exact(b)
    if a.dtype == object:
        return s
    f = np.array([float(v) for v in s], dtype=np.float64)
    return f if all(Fraction(x) == v for x, v in zip(f.tolist(), s)) else None


class _Layers:
    """The weights ``W[k]``, biases ``b[k]`` (float64 or exact object arrays) and the activations
    between them."""

    def __init__(self, linears: list, acts: list, act_layers: list):
        # the layers' own (read-only) arrays: a step that changes one puts a new array in its place
        self.W = [layer.weight for layer in linears]
        self.b = [layer.bias for layer in linears]
        self.acts = acts
        self.linears, self.act_layers = linears, act_layers
        self.unmade = False  # whether a fold or a sum was not made (float64 could not hold it)

    def drop(self, k: int) -> bool:
        """Drop the unused units of activation ``k`` (between ``W[k]`` and ``W[k + 1]``); True if
        any went."""
        kind, p = self.acts[k]
        W, b, V = self.W[k], self.b[k], self.W[k + 1]
        keep = np.ones(W.shape[0], dtype=bool)
        c = self.b[k + 1]
        for u in (~(W != 0).any(axis=1)).nonzero()[0]:  # constant units
            value = _value(kind, p, b[u])
            if value == 0:  # (an off unit: nothing to add; float64 sums as _add gives them, -0.0 as 0.0)
                folded = c if c.dtype == object else c + 0.0
            else:
                folded = _add(c, _exact(V[:, u]) * Fraction(value))
            if folded is not None:  # (else kept: a constant unit cuts nothing)
                c = folded
                keep[u] = False
            else:
                self.unmade = True
        seen: dict = {}
        for u in _maybe_equal(W, b, keep):  # equal units: the first one reads for both
            row = W[u]
            key = (tuple(row.tolist()), b[u]) if W.dtype == object else (row.tobytes(), float(b[u]))
            first = seen.setdefault(key, u)
            summed = None if first == u else _add(V[:, first], V[:, u])
            if summed is not None:
                V = V.copy() if V is self.W[k + 1] else V
                V[:, first] = summed
                keep[u] = False
            elif first != u:
                self.unmade = True
        keep &= (V != 0).any(axis=0)  # (units nobody reads go)
        if keep.all():
            return False
        self.W[k], self.b[k] = W[keep], b[keep]
        self.W[k + 1], self.b[k + 1] = V[:, keep], c
        return True

    def network(self, n: int) -> Network:
        # an emptied layer: the function is constant from there on (and every later layer has
        # gone with it but the last): one affine layer with zero weights
        last = max((j for j in range(len(self.acts)) if self.W[j].shape[0] == 0), default=-1)
        if last >= 0:
            self.W[last + 1] = np.zeros((self.W[last + 1].shape[0], n), dtype=np.int64)
        layers: list = []
        for j in range(last + 1, len(self.W)):
            W, b, old = self.W[j], self.b[j], self.linears[j]
            if W is old.weight and b is old.bias:  # untouched: the layer itself
                layers.append(old)
            elif W.dtype == object or b.dtype == object:
                layers.append(Linear(_exact(W), _exact(b)))
            else:  # (float64 arrays of the layers' own: made here or frozen already)
                layers.append(Linear._of_float64(W, b))
            if j < len(self.acts):
                layers.append(self.act_layers[j])
        return Network(layers, n)


@functools.lru_cache(maxsize=64)
def _weights(n: int) -> np.ndarray:
    """:func:`_maybe_equal`'s projection weights for rows of ``n`` entries and a bias (any fixed
    weights: equal rows meet anyway); read-only."""
    r = np.sqrt(np.arange(2.0, n + 3.0))
    r.flags.writeable = False
    return r


def _maybe_equal(W: np.ndarray, b: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The units of ``keep`` that may equal another of them (same row of ``W``, same bias), in
    order: for float64 layers, those whose rows and biases share one projection (equal units
    always do); every unit of ``keep`` for exact ones."""
    units = keep.nonzero()[0]
    if W.dtype == object or b.dtype == object or len(units) < 2:
        return units
    r = _weights(W.shape[1])
    h = W.dot(r[:-1])
    h += b * r[-1]
    h = h[units]
    hs = np.sort(h)
    tie = hs[1:] == hs[:-1]
    if not tie.any() and np.isfinite(hs[[0, -1]]).all():  # (inf/nan at the ends after a sort)
        return units[:0]
    return units if not np.isfinite(h).all() else units[np.isin(h, hs[1:][tie])]


def drop_unused_units(net: Network) -> Network:
    """``net`` without the units its function does not need (see the module docstring); ``net``
    itself when none can go or when it is not a plain network (graph networks, max layers,
    per-unit parameters, an activation last).

    >>> import numpy as np
    >>> from tropnet import Network
    >>> W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> drop_unused_units(Network.from_arrays([W1, [[1.0, 0.0, 2.0]]])).widths  # unit 1 is unread
    (2, 2, 2, 1)
    """
    try:
        low = net.lowered()
    except NotImplementedError:
        return net
    layers = list(low.layers)
    linears, acts = layers[0::2], layers[1::2]
    if (len(layers) % 2 == 0 or not all(isinstance(layer, Linear) for layer in linears)
            or any(_activation(a) is None for a in acts) or not acts):
        return net
    state = _Layers(linears, [_activation(a) for a in acts], acts)
    # passes from the last layer down until nothing changes; a layer is looked at again only
    # after a change to its arrays by a drop next to it, or at it when a fold or a sum was not
    # made there (a later one may have changed what it adds to): the same steps as every layer
    # each pass (a second look at a layer finds nothing new otherwise)
    todo, any_change = set(range(len(acts))), False
    while todo:
        for k in reversed(range(len(acts))):
            if k not in todo:
                continue
            state.unmade = False
            changed = bool(state.W[k].shape[0]) and state.drop(k)
            if changed:
                todo |= {k - 1, k + 1} & set(range(len(acts)))
                any_change = True
            if not (changed and state.unmade):
                todo.discard(k)
    return state.network(net.input_dim) if any_change else net
