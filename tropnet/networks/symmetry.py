"""Parameter-space symmetry: equivalent networks, canonical forms, alignment.

Permuting the hidden units of a layer — the rows of its weight and bias and the matching
columns of the next layer's weight — changes the parameters but not the function
(Michelucci, *On the High Symmetry of Neural Network Functions*, 2022).  So a generic
parameter point has ``prod_l n_l!`` equivalent copies, ``n_l`` the width (or number of
filters) of hidden layer ``l``.  For ReLU and leaky-ReLU units there is also the positive
rescaling symmetry: incoming weights and bias times ``lam > 0``, outgoing weights divided
by ``lam``.

*Hidden slots.*  A network is read as affine layers (:class:`~tropnet.networks.layers.Linear`,
:class:`~tropnet.networks.conv.Conv1d`, :class:`~tropnet.networks.conv.Conv2d`, and the
DeepSets layer :class:`~tropnet.networks.equivariant.EquivariantLinear`, whose units are its
output channels) separated by layers that commute with the permutation of their units:

* pointwise activations (``ReLU``, ``Threshold``, ``LeakyReLU``, ``Identity``) and
  ``Flatten``: any permutation of the units (of the channels after a convolution);
* :class:`~tropnet.networks.layers.Maxout` ``(k)`` after a ``Linear``: permutations of whole
  groups of ``k`` units and within a group (the wreath product ``S_k wr S_m``, of order
  ``m! (k!)^m``);
* ``MaxPool2d``/``AvgPool2d`` after a convolution, ``SumPool`` after a DeepSets layer:
  permutations of the channels.

A convolution with ``groups > 1`` (as producer or consumer of a slot) only allows channel
permutations inside the blocks its groups define.  Any other layer between two affine
layers (``GroupMax``, ``MaxPool1d``, algebra-valued layers, ...) raises a ``TypeError``
naming it: it has no known parameter symmetry here.  Rescaling applies to slots whose
activations are positively homogeneous (``ReLU``, ``Threshold(0)``, ``LeakyReLU``,
``Identity``, ``Maxout`` (per group), pools); a ``Threshold(t)`` with ``t != 0`` stops it.

*Permutation convention.*  ``perm[i] = j`` means that new unit ``i`` is old unit ``j``:
``W_new = W[perm]``, ``b_new = b[perm]``, ``W_next_new = W_next[:, perm]``.

Examples
--------
>>> from tropnet import random_mlp
>>> net = random_mlp([2, 3, 2, 1], seed=0)
>>> equivalent_parameter_count(net)
ParameterCount(architecture=12, orbit=12)
>>> other = random_equivalent(net, seed=1, rescale=True)
>>> equivalent(net, other)
True
>>> bool(np.allclose(net([[0.3, -1.2]]), other([[0.3, -1.2]])))
True
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from .._numbers import to_float
from .conv import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool2d, _ConvNd
from .equivariant import EquivariantLinear, SumPool
from .layers import GroupMax, Identity, Layer, LeakyReLU, Linear, Maxout, Threshold, _param_equal
from .network import Network

__all__ = [
    "ParameterCount",
    "FunctionComparison",
    "RegionPath",
    "hidden_layers",
    "permute_hidden",
    "equivalent_parameter_count",
    "random_equivalent",
    "canonical_form",
    "equivalent",
    "same_function",
    "align",
    "interpolate",
    "region_path",
]

_CONV = (Conv1d, Conv2d)
_POINTWISE = (Threshold, LeakyReLU, Identity, Flatten)
_POOLS = (MaxPool2d, AvgPool2d)


# ---------------------------------------------------------------------------- hidden slots
@dataclass(frozen=True)
class _Slot:
    """One hidden layer: the units that ``producer``'s rows (or output channels) create and
    ``consumer``'s columns (or input channels) read."""

    producer: int  # index in net.layers of the affine layer making the units
    consumer: int  # index of the next affine layer
    n: int  # units (rows of a Linear, output channels of a convolution)
    k: int  # Maxout group size (1 without Maxout)
    cells: np.ndarray  # label of each unit; permutations stay inside a label
    homogeneous: bool  # positive rescaling is a symmetry
    conv: bool  # units are channels (convolution or DeepSets layer)
    interleaved: bool = False  # a Linear consumer reads the units element-major (after DeepSets)


def _is_affine(layer: Layer) -> bool:
    return type(layer) is Linear or type(layer) in _CONV or type(layer) is EquivariantLinear


def _slots(net: Network) -> list[_Slot]:
    if not isinstance(net, Network):
        raise TypeError(f"expected a tropnet Network, got {type(net).__name__}")
    layers = net.layers
    affine = [i for i, layer in enumerate(layers) if _is_affine(layer)]
    slots = []
    for p, c in zip(affine[:-1], affine[1:]):
        prod, cons = layers[p], layers[c]
        deepsets = type(prod) is EquivariantLinear
        conv = type(prod) in _CONV or deepsets
        n = int(prod.out_channels if deepsets else prod.weight.shape[0])
        k, homogeneous, pooled = 1, True, False
        if type(cons) is EquivariantLinear and not deepsets:
            raise TypeError(
                f"layer {c} (EquivariantLinear) after layer {p} ({type(prod).__name__}): no known "
                "parameter symmetry (permuting the units would break the equivariant structure)"
            )
        for i in range(p + 1, c):
            layer = layers[i]
            name = type(layer).__name__
            if isinstance(layer, Maxout) and not conv and k == 1:
                k = layer.k
            elif isinstance(layer, _POOLS) and type(prod) in _CONV:
                pass
            elif isinstance(layer, SumPool) and deepsets and layer.channels == n:
                pooled = True
            elif isinstance(layer, _POINTWISE):
                if isinstance(layer, Threshold) and layer.t != 0:
                    homogeneous = False
            else:
                where = "after a convolution" if conv else "after a Linear layer"
                raise TypeError(
                    f"layer {i} ({name}) {where} has no known parameter symmetry: between two affine "
                    "layers tropnet permutes units only across pointwise activations, Flatten, Maxout "
                    "(after Linear), 2D pools (after a convolution) and SumPool (after EquivariantLinear)"
                )
        cells = np.zeros(n, dtype=np.int64)
        if type(prod) in _CONV and prod.groups > 1:
            cells = cells + np.arange(n) // (n // prod.groups)
        if type(cons) is EquivariantLinear:
            if cons.in_channels != n:
                raise TypeError(f"layer {c} reads {cons.in_channels} channels, layer {p} makes {n}")
        elif type(cons) in _CONV:
            if cons.input_shape[0] != n // k:
                raise TypeError(
                    f"layer {c} ({type(cons).__name__}) reads {cons.input_shape[0]} channels, but "
                    f"hidden layer {p} makes {n // k} units: no channel symmetry"
                )
            if cons.groups > 1:
                cells = cells * cons.groups + np.arange(n) // (n // cons.groups)
        elif conv and cons.in_features % n:
            raise TypeError(f"layer {c} reads {cons.in_features} features, not a multiple of {n} channels")
        cells.flags.writeable = False
        interleaved = deepsets and not pooled and type(cons) is Linear
        slots.append(_Slot(p, c, n, k, cells, homogeneous, conv, interleaved))
    return slots


def hidden_layers(net: Network) -> list[dict[str, Any]]:
    """The hidden layers the symmetry functions act on, one dict per hidden layer:
    ``layer`` (index of the affine layer making the units), ``units``, ``group_size``
    (``k`` of a Maxout, else 1), ``kind`` (``"dense"``, ``"maxout"`` or ``"conv"``) and
    ``rescalable``.

    >>> from tropnet import random_mlp
    >>> [h["units"] for h in hidden_layers(random_mlp([3, 5, 4, 1]))]
    [5, 4]
    """
    return [
        {
            "layer": s.producer,
            "units": s.n,
            "group_size": s.k,
            "kind": "conv" if s.conv else ("maxout" if s.k > 1 else "dense"),
            "rescalable": s.homogeneous,
        }
        for s in _slots(net)
    ]


# ---------------------------------------------------------------------------- unit views
def _incoming(layer: Layer) -> np.ndarray:
    """(units, d): each unit's incoming weights followed by its bias (DeepSets: Lambda and
    Gamma rows, then beta)."""
    if type(layer) is EquivariantLinear:
        return np.concatenate([layer.lam, layer.gamma, layer.bias[:, None]], axis=1)
    w = layer.weight.reshape(layer.weight.shape[0], -1)
    return np.concatenate([w, layer.bias[:, None]], axis=1)


def _with_incoming(layer: Layer, m: np.ndarray) -> Layer:
    if type(layer) is EquivariantLinear:
        ci = layer.in_channels
        return _with_params(layer, [m[:, :ci], m[:, ci : 2 * ci], m[:, -1]])
    return _with_params(layer, [m[:, :-1].reshape(layer.weight.shape), m[:, -1]])


def _params(layer: Layer) -> list[np.ndarray]:
    """The parameter arrays of an affine layer (none for the others)."""
    if type(layer) is EquivariantLinear:
        return [layer.lam, layer.gamma, layer.bias]
    if _is_affine(layer):
        return [layer.weight, layer.bias]
    return []


def _with_params(layer: Layer, params: list[np.ndarray]) -> Layer:
    """The same affine layer with other parameter arrays (as :func:`_params` lists them)."""
    if type(layer) is Linear:
        return Linear(*params)
    if type(layer) is EquivariantLinear:
        return EquivariantLinear(layer.n, layer.in_channels, layer.out_channels, *params)
    return layer._replace(*params)


def _expanded(layer: _ConvNd) -> np.ndarray:
    """Weight of a grouped convolution as (C_out, C_in, *kernel), zero across groups."""
    w = layer.weight
    c_out, cg = w.shape[:2]
    g = layer.groups
    if g == 1:
        return w
    full = np.zeros((c_out, cg * g, *w.shape[2:]), dtype=w.dtype)
    if w.dtype == object:
        full[...] = Fraction(0)
    og = c_out // g
    for j in range(g):
        full[j * og : (j + 1) * og, j * cg : (j + 1) * cg] = w[j * og : (j + 1) * og]
    return full


def _outgoing(layer: Layer, m: int, interleaved: bool = False) -> np.ndarray:
    """(m, e): the weights of ``layer`` that read each of the ``m`` hidden units, grouped by
    the units of ``layer`` (``e = rows * block``).  A Linear reads unit ``u`` in the block of
    columns ``u * S .. (u + 1) * S - 1`` (channel-major), or, ``interleaved``, in the columns
    ``i * m + u`` (element-major, after a DeepSets layer)."""
    if type(layer) is Linear:
        r, cols = layer.weight.shape
        if interleaved:
            return layer.weight.reshape(r, cols // m, m).transpose(2, 0, 1).reshape(m, -1)
        return layer.weight.reshape(r, m, cols // m).transpose(1, 0, 2).reshape(m, -1)
    if type(layer) is EquivariantLinear:
        return np.stack([layer.lam.T, layer.gamma.T], axis=2).reshape(m, -1)
    full = _expanded(layer)
    return np.moveaxis(full, 1, 0).reshape(m, -1)


def _with_outgoing(layer: Layer, m: int, out: np.ndarray, interleaved: bool = False) -> Layer:
    if type(layer) is Linear:
        r, cols = layer.weight.shape
        if interleaved:
            w = out.reshape(m, r, cols // m).transpose(1, 2, 0).reshape(r, cols)
        else:
            w = out.reshape(m, r, cols // m).transpose(1, 0, 2).reshape(r, cols)
        return Linear(w, layer.bias)
    if type(layer) is EquivariantLinear:
        pair = out.reshape(m, layer.out_channels, 2)
        return _with_params(layer, [pair[:, :, 0].T, pair[:, :, 1].T, layer.bias])
    full = np.moveaxis(out.reshape(m, layer.weight.shape[0], *layer.weight.shape[2:]), 0, 1)
    g = layer.groups
    if g > 1:
        c_out, cg = layer.weight.shape[:2]
        og = c_out // g
        full = np.concatenate([full[j * og : (j + 1) * og, j * cg : (j + 1) * cg] for j in range(g)])
    return layer._replace(full, layer.bias)


def _transform(
    net: Network, slots: list[_Slot], perms: Sequence[np.ndarray | None], scales: Sequence[np.ndarray | None]
) -> Network:
    """Rescale unit ``u`` of each slot by ``scales[s][u // k]`` (incoming times, outgoing
    divided), then permute the units by ``perms[s]``."""
    layers = list(net.layers)
    for s, perm, lam in zip(slots, perms, scales):
        if perm is None and lam is None:
            continue
        m = s.n // s.k
        inc = _incoming(layers[s.producer])
        out = _outgoing(layers[s.consumer], m, s.interleaved)
        if lam is not None:
            inc = inc * np.repeat(lam, s.k)[:, None]
            out = out / lam[:, None]
        if perm is not None:
            inc = inc[perm]
            out = out[perm[:: s.k] // s.k]
        layers[s.producer] = _with_incoming(layers[s.producer], inc)
        layers[s.consumer] = _with_outgoing(layers[s.consumer], m, out, s.interleaved)
    return Network(layers, net.input_dim)


def _check_perm(perm: Any, s: _Slot, i: int) -> np.ndarray | None:
    if perm is None:
        return None
    p = np.asarray(perm)
    if p.ndim != 1 or p.shape[0] != s.n:
        raise ValueError(
            f"permutation {i} must have length {s.n} (units of layer {s.producer}), got shape {p.shape}"
        )
    if p.dtype.kind not in "iu":
        raise TypeError(f"permutation {i} must hold integers, got dtype {p.dtype}")
    if not np.array_equal(np.sort(p), np.arange(s.n)):
        raise ValueError(f"permutation {i} is not a permutation of 0..{s.n - 1}: {p.tolist()}")
    if not np.array_equal(s.cells[p], s.cells):
        raise ValueError(
            f"permutation {i} moves a channel across the groups of a grouped convolution (layer "
            f"{s.producer} or {s.consumer}); only permutations inside a group keep the architecture"
        )
    if s.k > 1:
        blocks = p.reshape(-1, s.k) // s.k
        if not (blocks == blocks[:, :1]).all():
            raise ValueError(
                f"permutation {i} splits a Maxout({s.k}) group: it must map whole groups of {s.k} "
                "consecutive units onto groups"
            )
    return p.astype(np.int64)


def permute_hidden(net: Network, perms: Sequence[Any]) -> Network:
    """Apply one permutation per hidden layer (the group action; the function is unchanged).

    ``perms[l][i] = j`` makes new unit ``i`` of hidden layer ``l`` the old unit ``j``
    (``None`` leaves a layer as it is).  For a ``Maxout(k)`` layer the permutation acts on
    the ``n`` units before the max and must map whole groups onto groups; for a convolution
    it permutes output channels.

    >>> net = Network.from_arrays([[[1, 0], [0, 2]], [[3, 4]]])
    >>> permute_hidden(net, [[1, 0]]).layers[2].weight.tolist()
    [[Fraction(4, 1), Fraction(3, 1)]]
    """
    slots = _slots(net)
    if isinstance(perms, np.ndarray) and perms.ndim == 2:
        perms = list(perms)
    if isinstance(perms, (str, bytes)) or not isinstance(perms, Sequence):
        raise TypeError(
            f"perms must be a sequence of permutations (one per hidden layer), got {type(perms).__name__}"
        )
    if len(perms) != len(slots):
        raise ValueError(f"the network has {len(slots)} hidden layers, got {len(perms)} permutations")
    ps = [_check_perm(p, s, i) for i, (p, s) in enumerate(zip(perms, slots))]
    return _transform(net, slots, ps, [None] * len(slots))


# ---------------------------------------------------------------------------- counting
class ParameterCount(NamedTuple):
    """``architecture``: the order of the permutation group (Michelucci's count);
    ``orbit``: the number of distinct parameter points it makes from these parameters.

    >>> from tropnet import random_mlp
    >>> equivalent_parameter_count(random_mlp([2, 2, 3, 1]))
    ParameterCount(architecture=12, orbit=12)
    """

    architecture: int
    orbit: int


def _row_keys(rows: np.ndarray) -> list[bytes | tuple]:
    if rows.dtype == object:
        return [tuple(r) for r in rows]
    return [(r + 0.0).tobytes() for r in rows]  # + 0.0 turns -0.0 into 0.0


def _multiplicity_factorials(keys: list) -> int:
    return math.prod(math.factorial(c) for c in Counter(keys).values())


class _UnitGraph:
    """The hidden units of a network as a layered, edge-labelled graph with fixed inputs
    and outputs; a Maxout group is one node.  ``unit[s]`` labels each node of hidden layer
    ``s`` by what does not depend on the order of other hidden units (cell, biases, weights
    from the inputs for ``s = 0``, weights to the outputs for the last layer; for a group,
    the multisets of these over its rows), ``edge[s]`` (``s >= 1``) labels the weights
    between node ``u`` of layer ``s`` and node ``v`` of layer ``s - 1`` (for a group, the
    multiset over its rows).  A group's rows must also match as whole vectors, which
    :meth:`is_automorphism` checks.  The stabiliser of the parameters is the automorphism
    group times, for every group, the permutations of its identical rows (:attr:`within`)."""

    def __init__(self, net: Network, slots: list[_Slot]) -> None:
        ids: dict[Any, int] = {}

        def label(keys: list) -> np.ndarray:
            return np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)

        def grouped(keys: list, k: int) -> list:
            return [tuple(sorted(keys[j : j + k])) for j in range(0, len(keys), k)]

        self.unit, self.edge, self.rows, self.k = [], [], [], [s.k for s in slots]
        self.within = 1
        last = len(slots) - 1
        for i, s in enumerate(slots):
            prod, m = net.layers[s.producer], s.n // s.k
            inc = _incoming(prod)
            if i == 0:
                row_ids = label([("r", key) for key in _row_keys(inc)])[:, None]
            else:
                prev = slots[i - 1]
                m_prev = prev.n // prev.k
                blocks = _outgoing(prod, m_prev, prev.interleaved).reshape(m_prev, s.n, -1)  # [v, row, :]
                flat = _row_keys(blocks.transpose(1, 0, 2).reshape(s.n * m_prev, -1))
                row_ids = label([("e", key) for key in flat]).reshape(s.n, m_prev)
                bias = label([("b", key) for key in _row_keys(prod.bias[:, None])])
                row_ids = np.hstack([row_ids, bias[:, None]])  # last column: the bias
            self.rows.append(row_ids)  # (rows, m_prev + 1) or (rows, 1) for s = 0
            row_keys = [tuple(r) for r in row_ids.tolist()]
            for j in range(m):
                self.within *= _multiplicity_factorials(row_keys[j * s.k : (j + 1) * s.k])
            own = grouped([tuple(r[-1:]) if i > 0 else tuple(r) for r in row_ids.tolist()], s.k)
            keys = [("u", int(c), key) for c, key in zip(s.cells[:: s.k], own)]
            if i == last:
                out = _row_keys(_outgoing(net.layers[s.consumer], m, s.interleaved))
                keys = [key + (o,) for key, o in zip(keys, out)]
            self.unit.append(label(keys))
            if i > 0:
                cols = [grouped(row_ids[:, v].tolist(), s.k) for v in range(row_ids.shape[1] - 1)]
                self.edge.append(label([("g", c) for col in cols for c in col]).reshape(-1, m).T)
            else:
                self.edge.append(None)

    def _rows_match(self, s: int, sigma: list[np.ndarray]) -> bool:
        """Maxout layer ``s``: every group ``g`` has the rows of group ``sigma(g)`` (as a
        multiset of whole rows, read through the previous layer's permutation)."""
        k, rows = self.k[s], self.rows[s]
        cols = np.r_[sigma[s - 1], rows.shape[1] - 1] if s > 0 else np.arange(rows.shape[1])
        moved = rows[:, cols]
        for g, h in enumerate(sigma[s]):
            mine = sorted(map(tuple, rows[g * k : (g + 1) * k].tolist()))
            if mine != sorted(map(tuple, moved[h * k : (h + 1) * k].tolist())):
                return False
        return True

    def refine(self, colors: list[np.ndarray]) -> list[np.ndarray]:
        """Colour refinement (1-WL) until stable; colours are canonical ranks of signatures."""
        while True:
            new = []
            for s, col in enumerate(colors):
                parts = [col[:, None]]
                if s > 0:
                    codes = self.edge[s] * (colors[s - 1].max() + 1) + colors[s - 1][None, :]
                    parts.append(np.sort(codes, axis=1))
                if s + 1 < len(colors):
                    codes = self.edge[s + 1].T * (colors[s + 1].max() + 1) + colors[s + 1][None, :]
                    parts.append(np.sort(codes, axis=1))
                new.append(np.unique(np.hstack(parts), axis=0, return_inverse=True)[1].ravel())
            if all(len(np.unique(a)) == len(np.unique(b)) for a, b in zip(new, colors)):
                return new
            colors = new

    def is_automorphism(self, sigma: list[np.ndarray]) -> bool:
        for s, sg in enumerate(sigma):
            if not np.array_equal(self.unit[s][sg], self.unit[s]):
                return False
            if s > 0 and not np.array_equal(self.edge[s][np.ix_(sg, sigma[s - 1])], self.edge[s]):
                return False
            if self.k[s] > 1 and not self._rows_match(s, sigma):
                return False
        return True

    @staticmethod
    def _split(colors: list[np.ndarray]) -> tuple[int, np.ndarray] | None:
        """The first colour class with more than one unit, as (layer, members)."""
        for s, col in enumerate(colors):
            vals, counts = np.unique(col, return_counts=True)
            if (counts > 1).any():
                return s, np.flatnonzero(col == vals[np.argmax(counts > 1)])
        return None

    @staticmethod
    def _individualize(colors: list[np.ndarray], s: int, v: int) -> list[np.ndarray]:
        out = [c.copy() for c in colors]
        out[s][v] = out[s].max() + 1
        return out

    def _twins_only(self, colors: list[np.ndarray]) -> bool:
        """Whether every colour class consists of units with identical labels and weight
        blocks (then every permutation inside the classes is an automorphism)."""
        for s, col in enumerate(colors):
            for c in np.unique(col):
                idx = np.flatnonzero(col == c)
                if idx.size < 2:
                    continue
                if s > 0 and not (self.edge[s][idx] == self.edge[s][idx[0]]).all():
                    return False
                if self.k[s] > 1:  # whole rows too, position by position
                    k, rows = self.k[s], self.rows[s]
                    first = sorted(map(tuple, rows[idx[0] * k : (idx[0] + 1) * k].tolist()))
                    if any(sorted(map(tuple, rows[g * k : (g + 1) * k].tolist())) != first for g in idx[1:]):
                        return False
                nxt = self.edge[s + 1] if s + 1 < len(colors) else None
                if nxt is not None and not (nxt[:, idx] == nxt[:, idx[:1]]).all():
                    return False
        return True

    def _first_leaf(self, colors: list[np.ndarray]) -> list[np.ndarray]:
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            return colors
        s, members = split
        return self._first_leaf(self._individualize(colors, s, int(members[0])))

    def _maps_onto(self, ref: list[np.ndarray], colors: list[np.ndarray]) -> bool:
        """Whether some leaf below ``colors`` is the image of the leaf ``ref`` under an
        automorphism (backtracking over individualisations)."""
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            sigma = []
            for r, c in zip(ref, colors):
                where = np.empty_like(c)
                where[c] = np.arange(c.size)  # colour -> unit in this leaf
                sigma.append(where[r])  # unit of ref -> unit of this leaf with its colour
            return self.is_automorphism(sigma)
        s, members = split
        return any(self._maps_onto(ref, self._individualize(colors, s, int(w))) for w in members)

    def count(self, colors: list[np.ndarray]) -> int:
        """The number of automorphisms preserving ``colors`` (orbit-stabiliser recursion)."""
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            return 1
        if self._twins_only(colors):
            return math.prod(
                math.factorial(int(n)) for col in colors for n in np.unique(col, return_counts=True)[1]
            )
        s, members = split
        v = int(members[0])
        fixed = self._individualize(colors, s, v)
        ref = self._first_leaf(fixed)
        orbit = 1 + sum(self._maps_onto(ref, self._individualize(colors, s, int(w))) for w in members[1:])
        return orbit * self.count(fixed)


def equivalent_parameter_count(net: Network) -> ParameterCount:
    """Michelucci's count and the exact orbit size, as Python ints.

    ``architecture`` is ``prod_l n_l!`` over hidden layers (``m! (k!)^m`` for a ``Maxout(k)``
    layer of ``m`` groups; a product of factorials of block sizes for grouped convolutions).
    ``orbit`` is ``architecture / |Stab|``, ``Stab`` the permutations that leave the
    parameters unchanged.  Generic parameters have ``Stab = 1``; swapping units with
    identical incoming weights, bias and outgoing weights is in ``Stab``; so are joint
    permutations of two layers whose ties compensate each other.  ``|Stab|`` is computed
    exactly, as the automorphism group of the weighted layered graph of hidden units
    (Maxout groups as nodes, times the permutations of identical rows inside each group):
    colour refinement, then individualisation with orbit-stabiliser counting — fast unless
    the point is highly degenerate.

    >>> from tropnet import random_mlp
    >>> equivalent_parameter_count(random_mlp([4, 10, 10, 10, 1])).architecture
    47784725839872000000
    >>> net = Network.from_arrays([[[1, 0], [1, 0], [0, 1]], [[1, 1, 2]]])
    >>> equivalent_parameter_count(net)
    ParameterCount(architecture=6, orbit=3)
    """
    slots = _slots(net)
    arch, stab = 1, 1
    for s in slots:
        if s.k == 1:
            arch *= math.prod(math.factorial(c) for c in Counter(s.cells.tolist()).values())
        else:
            m = s.n // s.k
            arch *= math.factorial(m) * math.factorial(s.k) ** m
    if slots:
        graph = _UnitGraph(net, slots)
        stab = graph.count(graph.unit) * graph.within
    return ParameterCount(arch, arch // stab)


# ---------------------------------------------------------------------------- orbit points
def _random_perm(s: _Slot, rng: np.random.Generator) -> np.ndarray:
    if s.k > 1:
        m = s.n // s.k
        groups = rng.permutation(m)
        return np.concatenate([g * s.k + rng.permutation(s.k) for g in groups])
    perm = np.arange(s.n)
    for c in np.unique(s.cells):
        idx = np.flatnonzero(s.cells == c)
        perm[idx] = rng.permutation(idx)
    return perm


def random_equivalent(net: Network, seed: int = 0, rescale: bool = False) -> Network:
    """A random point of the orbit of ``net``: a random permutation of every hidden layer
    and, with ``rescale``, a random positive rescaling of every rescalable unit (a factor
    ``e^u``, ``u`` uniform in [-1, 1]; for exact networks a ratio of integers in [1, 8]).

    >>> from tropnet import random_mlp
    >>> net = random_mlp([2, 4, 1])
    >>> x = np.array([[0.5, -1.0]])
    >>> bool(np.allclose(random_equivalent(net, seed=3, rescale=True)(x), net(x)))
    True
    """
    slots = _slots(net)
    rng = np.random.default_rng(seed)
    perms, scales = [], []
    for s in slots:
        perms.append(_random_perm(s, rng))
        m = s.n // s.k
        if rescale and s.homogeneous:
            if net.exact:
                num, den = rng.integers(1, 9, size=m), rng.integers(1, 9, size=m)
                scales.append(np.array([Fraction(int(a), int(b)) for a, b in zip(num, den)], dtype=object))
            else:
                scales.append(np.exp(rng.uniform(-1.0, 1.0, size=m)))
        else:
            scales.append(None)
    return _transform(net, slots, perms, scales)


# ---------------------------------------------------------------------------- canonical form
def _lex_order(keys: np.ndarray, tol: float) -> np.ndarray:
    """Indices sorting the rows of ``keys`` lexicographically; float entries closer than
    ``tol`` count as equal (so rounding noise does not decide the order)."""
    n = keys.shape[0]
    if keys.dtype == object:
        return np.array(sorted(range(n), key=lambda i: tuple(keys[i])), dtype=np.int64)

    def cmp(i: int, j: int) -> int:
        d = keys[i] - keys[j]
        big = np.flatnonzero(np.abs(d) > tol)
        return 0 if big.size == 0 else (1 if d[big[0]] > 0 else -1)

    return np.array(sorted(range(n), key=functools.cmp_to_key(cmp)), dtype=np.int64)


def _absmax(a: np.ndarray, axis: Any) -> np.ndarray:
    """Max of ``|a|`` over ``axis`` (0 for empty), exact for object arrays of Fractions."""
    zero = Fraction(0) if a.dtype == object else 0.0
    return np.maximum.reduce(np.abs(a), axis=axis, initial=zero)


def _normalize(net: Network, slots: list[_Slot]) -> tuple[Network, list[np.ndarray | None]]:
    """Rescale every unit of every rescalable hidden layer to norm 1; return the network
    and the factors ``lam`` used (per unit, per group for Maxout).

    Forward, layer by layer: a unit's incoming vector (weights and bias) gets max-abs
    norm 1, where weights from *dead* units of the previous layer are left out — a dead
    unit has a zero incoming vector (so left out) and outputs the constant 0, and its
    outgoing weights are not fixed yet.  Backward: each dead unit gets outgoing weights of
    max-abs norm 1, read in rows that are all normalised by then.  Every step is
    equivariant under permutations, so the result is a function of the orbit up to the
    order of the units."""
    scales: list[np.ndarray | None] = [None] * len(slots)
    dead: list[np.ndarray | None] = [None] * len(slots)
    for i, s in enumerate(slots):
        if not s.homogeneous:
            continue
        m = s.n // s.k
        prod = net.layers[s.producer]
        prev_dead = dead[i - 1] if i > 0 else None
        if prev_dead is None or not prev_dead.any():
            norms = _absmax(_incoming(prod).reshape(m, -1), axis=1)
        else:
            prev = slots[i - 1]
            m_prev = prev.n // prev.k
            blocks = _outgoing(prod, m_prev, prev.interleaved).reshape(m_prev, s.n, -1)[~prev_dead]
            per_unit = np.maximum(_absmax(blocks, axis=(0, 2)), np.abs(prod.bias))
            norms = _absmax(per_unit.reshape(m, -1), axis=1)
        dead[i] = np.array([v == 0 for v in norms], dtype=bool)
        one = Fraction(1) if norms.dtype == object else 1.0
        lam = np.array([one / v if v != 0 else one for v in norms], dtype=norms.dtype)
        net = _transform(net, [s], [None], [lam])
        scales[i] = lam
    for i in reversed(range(len(slots))):
        s = slots[i]
        if dead[i] is None or not dead[i].any():
            continue
        m = s.n // s.k
        out = _absmax(_outgoing(net.layers[s.consumer], m, s.interleaved), axis=1)
        one = Fraction(1) if out.dtype == object else 1.0
        lam = np.array([o if d and o != 0 else one for d, o in zip(dead[i], out)], dtype=out.dtype)
        net = _transform(net, [s], [None], [lam])
        scales[i] = scales[i] * lam
    return net, scales


def _scale_tol(rows: np.ndarray, rtol: float) -> float:
    if rows.dtype == object or rows.size == 0:
        return 0.0
    return rtol * float(np.abs(rows).max())


def _canonical_perm(net: Network, s: _Slot, rtol: float) -> np.ndarray:
    inc = _incoming(net.layers[s.producer])
    out = _outgoing(net.layers[s.consumer], s.n // s.k, s.interleaved)
    out_sorted = np.sort(out, axis=1)
    if s.k == 1:
        keys = np.concatenate([inc, out_sorted], axis=1)
        tol = _scale_tol(keys, rtol)
        perm = np.arange(s.n)
        for c in np.unique(s.cells):
            idx = np.flatnonzero(s.cells == c)
            perm[idx] = idx[_lex_order(keys[idx], tol)]
        return perm
    m, k = s.n // s.k, s.k
    tol = _scale_tol(np.concatenate([inc.ravel(), out.ravel()]), rtol)
    within = [j * k + _lex_order(inc[j * k : (j + 1) * k], tol) for j in range(m)]
    gkeys = np.concatenate([np.stack([inc[w].ravel() for w in within]), out_sorted], axis=1)
    return np.concatenate([within[g] for g in _lex_order(gkeys, tol)])


_MAX_TIE_CANDIDATES = 5040


def _tie_perms(net: Network, s: _Slot, rtol: float) -> list[np.ndarray]:
    """After sorting slot ``s``: the rearrangements of runs of units (Maxout: groups) with
    equal sort keys that are not twins (identical outgoing weights too), one permutation
    per distinct arrangement; ``[identity]`` when there is nothing to decide."""
    from sympy.utilities.iterables import multiset_permutations

    m, k = s.n // s.k, s.k
    inc = _incoming(net.layers[s.producer]).reshape(m, -1)  # a Maxout group's rows, in sorted order
    out = _outgoing(net.layers[s.consumer], m, s.interleaved)
    keys = np.concatenate([inc, np.sort(out, axis=1)], axis=1)
    tol = _scale_tol(keys, rtol)
    twin = {key: i for i, key in enumerate(dict.fromkeys(_row_keys(out)))}
    labels = np.array([twin[key] for key in _row_keys(out)])
    cells = s.cells[::k]

    def same(i: int, j: int) -> bool:
        if cells[i] != cells[j]:
            return False
        if keys.dtype == object:
            return bool(np.all(keys[i] == keys[j]))
        return bool(np.all(np.abs(keys[i] - keys[j]) <= tol))

    identity = np.arange(s.n)
    runs, start = [], 0
    for i in range(1, m + 1):
        if i == m or not same(start, i):
            if len(set(labels[start:i].tolist())) > 1:
                runs.append(np.arange(start, i))
            start = i
    if not runs:
        return [identity]
    choices = [list(multiset_permutations(labels[r].tolist())) for r in runs]
    if math.prod(len(c) for c in choices) > _MAX_TIE_CANDIDATES:
        import warnings

        warnings.warn(
            f"canonical_form: hidden layer at layer {s.producer} has too many tied, non-identical units "
            "to resolve; its canonical form may not be unique",
            RuntimeWarning,
            stacklevel=3,
        )
        return [identity]
    perms = []
    for combo in itertools.product(*choices):
        gperm = np.arange(m)
        for r, arrangement in zip(runs, combo):
            pool = {lab: [int(u) for u in r if labels[u] == lab] for lab in set(arrangement)}
            gperm[r] = [pool[lab].pop(0) for lab in arrangement]
        perms.append((gperm[:, None] * k + np.arange(k)[None, :]).ravel())
    return perms


def _param_key(net: Network) -> tuple:
    return tuple(v for layer in net.layers for p in _params(layer) for v in p.ravel().tolist())


def _canonical_candidates(net: Network, slots: list[_Slot], i: int, rtol: float) -> list[Network]:
    if i == len(slots):
        return [net]
    s = slots[i]
    net = _transform(net, [s], [_canonical_perm(net, s, rtol)], [None])
    ties = _tie_perms(net, s, rtol)
    out: list[Network] = []
    for p in ties:
        nxt = net if np.array_equal(p, np.arange(s.n)) else _transform(net, [s], [p], [None])
        out.extend(_canonical_candidates(nxt, slots, i + 1, rtol))
        if len(out) > _MAX_TIE_CANDIDATES:
            break
    return out


def canonical_form(net: Network, rescale: bool = True, rtol: float = 1e-9) -> Network:
    """The canonical representative of the orbit of ``net``.

    When ``rescale``, every rescalable unit is first scaled to an incoming vector (weights
    and bias) of max-abs norm 1 — the max-abs norm keeps exact networks exact — and its
    outgoing weights are scaled back (a dead unit, with zero incoming vector, gets outgoing
    weights of norm 1 instead).  Then, hidden layer by hidden layer (so the columns are
    already in canonical order), the units are sorted lexicographically by their incoming
    vector, ties broken by the sorted outgoing weights (Maxout: rows inside each group
    first, then the groups).  Two networks are equivalent under permutations (and
    rescalings) iff their canonical forms are equal.

    Units (Maxout groups) with equal sort keys but different outgoing weights (possible at
    degenerate points only) are not ordered by their keys: every arrangement of such ties is followed
    through the later layers and the candidate with the lexicographically smallest
    parameters is returned (exponential in the ties; beyond 5040 candidates a
    ``RuntimeWarning`` says the form may not be unique).  Units that are identical
    (twins) need no choice.

    Exact networks: exactly.  Float networks: entries closer than ``rtol`` times the largest
    entry of the layer count as equal when sorting (scale-invariant), so rounding noise
    does not change the order.  Not resolved: with ``rescale``, *inert chains* — a dead
    unit whose outgoing weights reach only units that are themselves dead and have zero
    outgoing weights (the scales along such a chain are a matrix-scaling problem); there
    two equivalent networks may get different forms.

    >>> a = Network.from_arrays([[[2, 0], [0, 1]], [[1, 1]]])
    >>> b = Network.from_arrays([[[0, 3], [1, 0]], [[Fraction(1, 3), 2]]])
    >>> canonical_form(a) == canonical_form(b)
    True
    """
    slots = _slots(net)
    if rescale:
        net = _normalize(net, slots)[0]
    candidates = _canonical_candidates(net, slots, 0, rtol)
    return candidates[0] if len(candidates) == 1 else min(candidates, key=_param_key)


# ---------------------------------------------------------------------------- comparisons
def _hyper(layer: Layer) -> dict[str, Any]:
    """Everything of a layer but its weight and bias."""
    state = layer._state() if hasattr(layer, "_state") else {s: getattr(layer, s) for s in layer.__slots__}
    drop = {"weight", "bias", "lam", "gamma", "exact", "_idx", "_groups", "_divisor"}
    return {k: v for k, v in state.items() if k not in drop}


def _check_same_architecture(a: Any, b: Any, what: str) -> None:
    for name, net in (("first", a), ("second", b)):
        if not isinstance(net, Network):
            raise TypeError(f"{what}: the {name} argument is {type(net).__name__}, not a tropnet Network")
    if a.input_dim != b.input_dim or len(a) != len(b):
        raise ValueError(
            f"{what} needs two networks of the same architecture; got {len(a)} layers on {a.input_dim} "
            f"inputs and {len(b)} layers on {b.input_dim} inputs"
        )
    for i, (la, lb) in enumerate(zip(a.layers, b.layers)):
        if type(la) is not type(lb):
            raise ValueError(
                f"{what}: layer {i} is {type(la).__name__} in one network, {type(lb).__name__} in the other"
            )
        pa, pb = _params(la), _params(lb)
        if _is_affine(la):
            if any(x.shape != y.shape for x, y in zip(pa, pb)):
                raise ValueError(
                    f"{what}: layer {i} ({type(la).__name__}) has parameter shapes "
                    f"{[x.shape for x in pa]} in one network and {[y.shape for y in pb]} in the other"
                )
            ha, hb = _hyper(la), _hyper(lb)
            if ha.keys() != hb.keys() or any(not _param_equal(ha[k], hb[k]) for k in ha):
                raise ValueError(
                    f"{what}: layer {i} ({type(la).__name__}) differs in its settings: {la!r} vs {lb!r}"
                )
        elif la.num_parameters or lb.num_parameters:
            raise TypeError(
                f"{what}: layer {i} ({type(la).__name__}) has parameters tropnet's symmetry functions do not "
                "know how to read"
            )
        elif la != lb:
            raise ValueError(f"{what}: layer {i} differs: {la!r} vs {lb!r}")


def _close(x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    if x.dtype == object and y.dtype == object:
        return bool(np.all(x == y))
    xf, yf = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return bool(np.all(np.abs(xf - yf) <= tol))


def equivalent(net_a: Network, net_b: Network, rescale: bool = True, rtol: float = 1e-9) -> bool:
    """Whether two networks of the same architecture are related by hidden-unit
    permutations (and, when ``rescale``, positive rescalings of rescalable units).

    Decided by comparing canonical forms (:func:`canonical_form`): exactly for exact
    networks; for float networks each layer's parameters may differ by ``rtol`` times the
    largest parameter of that layer (scale-invariant).  ``ValueError`` for different
    architectures.

    >>> from tropnet import random_mlp
    >>> net = random_mlp([3, 6, 1], seed=2)
    >>> equivalent(net, random_equivalent(net, seed=5)), equivalent(net, random_mlp([3, 6, 1], seed=3))
    (True, False)
    """
    _check_same_architecture(net_a, net_b, "equivalent")
    ca, cb = canonical_form(net_a, rescale, rtol), canonical_form(net_b, rescale, rtol)
    for la, lb in zip(ca.layers, cb.layers):
        pa, pb = _params(la), _params(lb)
        if not pa:
            continue
        scale = max(float(np.max(np.abs(np.asarray(p, dtype=np.float64)))) for p in pa + pb)
        if not all(_close(x, y, rtol * scale) for x, y in zip(pa, pb)):
            return False
    return True


# ---------------------------------------------------------------------------- interpolation
def _check_t(t: Any) -> Fraction | float:
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real):
        raise TypeError(f"t must be a real number, got {t!r} ({type(t).__name__})")
    if isinstance(t, numbers.Rational):
        return Fraction(int(t.numerator), int(t.denominator))
    return to_float(t, name="t")


def interpolate(net_a: Network, net_b: Network, t: Any) -> Network:
    """The network with parameters ``(1 - t) theta_a + t theta_b`` (same architecture).

    Exact when both networks and ``t`` (an int or ``Fraction``) are exact.  ``TypeError``
    when ``t`` is not a real number, ``ValueError`` for NaN/inf or different architectures.

    >>> a = Network.from_arrays([[[1, 0]], [[2]]])
    >>> b = Network.from_arrays([[[3, 4]], [[0]]])
    >>> interpolate(a, b, Fraction(1, 2)).layers[0].weight.tolist()
    [[Fraction(2, 1), Fraction(2, 1)]]
    """
    tt = _check_t(t)
    _check_same_architecture(net_a, net_b, "interpolate")
    exact = isinstance(tt, Fraction) and net_a.exact and net_b.exact
    layers = []
    for la, lb in zip(net_a.layers, net_b.layers):
        if not _is_affine(la):
            layers.append(la)
            continue
        if exact:
            params = [(1 - tt) * x + tt * y for x, y in zip(_params(la), _params(lb))]
        else:
            tf = float(tt)
            pairs = zip(_params(la.to_float()), _params(lb.to_float()))
            params = [(1 - tf) * x + tf * y for x, y in pairs]
        layers.append(_with_params(la, params))
    return Network(layers, net_a.input_dim)


# ---------------------------------------------------------------------------- alignment
def _match_groups(sim: np.ndarray, extra: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best assignment of ``m`` groups of ``k`` units: unit similarities ``sim`` (n x n),
    group similarities ``extra`` (m x m).  Returns (group assignment, unit permutation)."""
    from scipy.optimize import linear_sum_assignment

    m = sim.shape[0] // k
    if k == 1:
        _, col = linear_sum_assignment(sim + extra, maximize=True)
        return col, col
    s4 = sim.reshape(m, k, m, k)
    perms = np.array(list(itertools.permutations(range(k))))
    # score[i, j, q] = sum_r sim[i*k + r, j*k + perms[q, r]]
    score = s4[:, np.arange(k)[None, :], :, perms].sum(axis=1).transpose(1, 2, 0)
    best = score.argmax(axis=2)
    _, col = linear_sum_assignment(score.max(axis=2) + extra, maximize=True)
    unit = np.concatenate([col[i] * k + perms[best[i, col[i]]] for i in range(m)])
    return col, unit


def _assign(s: _Slot, unit_sim: np.ndarray, group_sim: np.ndarray) -> np.ndarray:
    """A permutation of B's units (inside each cell) maximising the similarity."""
    if s.k > 1:
        return _match_groups(unit_sim, group_sim, s.k)[1]
    total = unit_sim + group_sim
    perm = np.arange(s.n)
    for c in np.unique(s.cells):
        idx = np.flatnonzero(s.cells == c)
        perm[idx] = idx[_match_groups(total[np.ix_(idx, idx)], np.zeros((idx.size, idx.size)), 1)[1]]
    return perm


def _as_float(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def align(
    net_a: Network,
    net_b: Network,
    method: str = "weights",
    data: Any = None,
    rescale: bool = False,
    max_iter: int = 100,
) -> tuple[Network, list[np.ndarray]]:
    """Permute the hidden units of ``net_b`` to match ``net_a``; returns ``(b_aligned, perms)``
    with ``b_aligned = permute_hidden(net_b, perms)`` (same function as ``net_b``).

    ``method="weights"``: weight matching (Ainsworth, Hayase & Srinivasa, *Git Re-Basin*,
    2023): for each hidden layer, the permutation maximising ``<W_a, P W_b P_prev^T>`` of the
    layer plus the same for the next layer, solved with scipy's ``linear_sum_assignment``,
    one hidden layer at a time and repeated until no permutation changes (at most
    ``max_iter`` sweeps); the first sweep matches incoming weights only, which recovers the
    permutation exactly when ``net_b`` is a permuted copy with distinct units.
    ``method="activations"``: match the correlations of the units' pre-activations on the
    batch ``data`` (shape (N, n_in)).  With ``rescale``, units are first normalised (as in
    :func:`canonical_form`) and ``b_aligned`` gets ``net_a``'s unit scales, so that a
    permuted and rescaled copy is recovered exactly.  Maxout groups are matched as wholes,
    with the best permutation inside each group.

    >>> from tropnet import random_mlp
    >>> net = random_mlp([3, 8, 8, 1], seed=1)
    >>> back, perms = align(net, random_equivalent(net, seed=4))
    >>> all(np.allclose(x.weight, y.weight) for x, y in zip(back.layers[::2], net.layers[::2]))
    True
    """
    _check_same_architecture(net_a, net_b, "align")
    if method not in ("weights", "activations"):
        raise ValueError(f"method must be 'weights' or 'activations', got {method!r}")
    slots = _slots(net_a)
    if rescale:
        a_n, scales_a = _normalize(net_a, slots)
        b_n, scales_b = _normalize(net_b, slots)
    else:
        a_n, b_n = net_a, net_b
    if method == "activations":
        perms = _align_activations(a_n, b_n, slots, data)
    else:
        perms = _align_weights(a_n, b_n, slots, max_iter)
    if not rescale:
        return _transform(net_b, slots, perms, [None] * len(slots)), perms
    # b_aligned = (normalised b, permuted) with a's unit scales undone
    out = _transform(b_n, slots, perms, [None] * len(slots))
    for s, lam in reversed(list(zip(slots, scales_a))):
        if lam is not None:
            out = _transform(out, [s], [None], [1 / lam])
    return out, perms


_align_networks = align  # region_path's `align` flag shadows the function there


def _align_weights(a: Network, b: Network, slots: list[_Slot], max_iter: int) -> list[np.ndarray]:
    perms = [np.arange(s.n) for s in slots]

    def sims(i: int, current: Network, with_next: bool) -> tuple[np.ndarray, np.ndarray]:
        s = slots[i]
        m = s.n // s.k
        ia, ib = _as_float(_incoming(a.layers[s.producer])), _as_float(_incoming(current.layers[s.producer]))
        unit = ia @ ib.T
        if not with_next:
            return unit, np.zeros((m, m))
        oa = _as_float(_outgoing(a.layers[s.consumer], m, s.interleaved))
        ob = _as_float(_outgoing(current.layers[s.consumer], m, s.interleaved))
        return unit, oa @ ob.T

    for sweep in range(max_iter):
        changed = False
        for i, s in enumerate(slots):
            current = _transform(b, slots, perms, [None] * len(slots))
            new = _assign(s, *sims(i, current, with_next=sweep > 0))
            if not np.array_equal(new, np.arange(s.n)):
                perms[i] = perms[i][new]
                changed = True
        if not changed and sweep > 0:
            break
    return perms


def _align_activations(a: Network, b: Network, slots: list[_Slot], data: Any) -> list[np.ndarray]:
    if data is None:
        raise ValueError("align(method='activations') needs data=..., a batch of inputs of shape (N, n_in)")
    xa = a.to_float().forward_all(data)
    xb = b.to_float().forward_all(data)
    perms = []
    for s in slots:
        za, zb = xa[s.producer + 1], xb[s.producer + 1]  # pre-activations (N, n * P)
        if type(a.layers[s.producer]) is EquivariantLinear:  # element-major: (N, elements, n)
            za, zb = za.reshape(-1, s.n), zb.reshape(-1, s.n)
        else:
            za = za.reshape(za.shape[0], s.n, -1).transpose(0, 2, 1).reshape(-1, s.n)
            zb = zb.reshape(zb.shape[0], s.n, -1).transpose(0, 2, 1).reshape(-1, s.n)
        za = (za - za.mean(0)) / np.maximum(za.std(0), 1e-12)
        zb = (zb - zb.mean(0)) / np.maximum(zb.std(0), 1e-12)
        corr = za.T @ zb / za.shape[0]
        perms.append(_assign(s, corr, np.zeros((s.n // s.k, s.n // s.k))))
    return perms


# ---------------------------------------------------------------------------- same function
@dataclass(frozen=True)
class FunctionComparison:
    """The verdict of :func:`same_function`; true in a boolean context iff the functions agree.

    ``witness`` is a point where they differ (``None`` when they agree), ``values`` the two
    outputs there.

    >>> from tropnet import random_mlp
    >>> r = same_function(random_mlp([2, 3, 1], seed=0), random_mlp([2, 3, 1], seed=1))
    >>> bool(r), r.witness is not None
    (False, True)
    """

    equal: bool
    witness: np.ndarray | None = None
    values: tuple[np.ndarray, np.ndarray] | None = None

    def __bool__(self) -> bool:
        return self.equal


def _rational_pairs(obj: Any, what: str) -> tuple[list[tuple[Any, Any]], int]:
    """(numerator, denominator) per output of a network or tropical object, and the input
    dimension.  Networks are compiled exactly (float weights as the dyadic rationals they
    store), so that rounding in the compiler cannot decide the verdict."""
    from ..algebra.polynomial import TropicalPolynomial

    if isinstance(obj, Network):
        from ..compiler import tropicalize

        obj = tropicalize(obj.to_exact())
    if isinstance(obj, TropicalPolynomial):
        one = TropicalPolynomial.constant(0 if obj.is_exact else 0.0, obj.nvars)
        return [(obj, one)], obj.nvars
    if hasattr(obj, "numerator") and hasattr(obj, "denominator"):
        return [(obj.numerator, obj.denominator)], obj.numerator.nvars
    try:
        pairs = [(r.numerator, r.denominator) for r in obj]
    except (TypeError, AttributeError):
        raise TypeError(
            f"same_function: the {what} argument is {type(obj).__name__}; expected a Network, a "
            "TropicalPolynomial, a TropicalRational or a TropicalRationalMap"
        ) from None
    if not pairs:
        raise ValueError(f"same_function: the {what} argument has no outputs")
    return pairs, pairs[0][0].nvars


def _values(obj: Any, pairs: list[tuple[Any, Any]] | None, x: np.ndarray) -> np.ndarray:
    """Outputs of ``obj`` at the exact point ``x``: the network's own forward pass for a
    network (an independent check of the compiler), else numerator minus denominator."""
    if isinstance(obj, Network):
        return obj.to_exact()(x)
    return np.array([num(x) - den(x) for num, den in pairs], dtype=object)


def _interior_point(E: np.ndarray, c: np.ndarray, i: int, bound: float = 1e6) -> np.ndarray | None:
    """A point where monomial ``i`` of ``max_j (c_j + <E_j, x>)`` beats every other one by
    the largest margin (an LP, solved with HiGHS), or None when it wins nowhere."""
    import highspy

    E = np.asarray(E, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    n = E.shape[1]
    others = np.delete(np.arange(E.shape[0]), i)
    if others.size == 0:
        return np.zeros(n)
    # (E_j - E_i) x + t <= c_i - c_j,  maximise t <= 1
    A = np.hstack([E[others] - E[i], np.ones((others.size, 1))])
    from ..kernels.lp import new_highs

    h = new_highs(presolve=True)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + 1, int(others.size)
    lp.col_cost_ = np.r_[np.zeros(n), -1.0]
    lp.col_lower_ = np.r_[np.full(n, -bound), -inf]
    lp.col_upper_ = np.r_[np.full(n, bound), 1.0]
    lp.row_lower_ = np.full(others.size, -inf)
    lp.row_upper_ = c[i] - c[others]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, A.size + 1, A.shape[1])
    lp.a_matrix_.index_ = np.tile(np.arange(n + 1), others.size)
    lp.a_matrix_.value_ = A.ravel()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = np.array(h.getSolution().col_value)
    return sol[:n] if sol[n] > 0 else None


def _monomial_keys(p: Any) -> set:
    s = p.simplify()
    return {(tuple(e), c) for e, c in zip(s.exponents.tolist(), s.coefficients.tolist())}


def _witness_candidates(p: Any, q: Any, rng: np.random.Generator) -> Any:
    """Points where ``p`` and ``q`` (max-plus polynomials, different as functions) may
    differ: inside the region of each monomial that one has and the other has not.  On such
    a region the other polynomial equals this monomial on no open set, so a random point
    near the most interior one differs with probability one."""
    kp, kq = _monomial_keys(p), _monomial_keys(q)
    for poly, theirs in ((p, kq), (q, kp)):
        s = poly.simplify()
        for i, (e, c) in enumerate(zip(s.exponents.tolist(), s.coefficients.tolist())):
            if (tuple(e), c) in theirs:
                continue
            for bound in (10.0, 1e3, 1e6):  # prefer a small witness
                x = _interior_point(s.exponents, s.coefficients, i, bound)
                if x is not None:
                    break
            if x is None:
                continue
            yield x
            for scale in (1e-3, 1e-6):
                yield x + scale * max(1.0, float(np.abs(x).max())) * rng.uniform(-1, 1, size=x.shape)


def _in_domain(domain: Any, x: np.ndarray) -> bool:
    if domain is None:
        return True
    A, b = domain.halfspaces(x.shape[0])
    return bool(np.all(np.asarray(A, dtype=np.float64) @ x <= np.asarray(b, dtype=np.float64)))


def _differ(va: np.ndarray, vb: np.ndarray) -> bool:
    return bool(np.any(np.asarray(va != vb)))


def same_function(a: Any, b: Any, domain: Any = None, method: str = "auto") -> FunctionComparison:
    """Whether ``a`` and ``b`` (networks or tropical objects with the same numbers of inputs
    and outputs) compute the same function, on R^n or on ``domain``.

    Decided exactly from the tropical forms: ``f_a - f_b`` is zero iff, for every output,
    ``num_a * den_b == num_b * den_a`` as max-plus polynomials (equality of their pruned
    monomials).  Networks are compiled with :func:`tropnet.tropicalize` in exact arithmetic
    — a float weight counts as the dyadic rational it stores, so a float rescaling
    ``w * lam, v / lam``, which rounds, is generally *not* the same function, while a
    permutation is.  This sees equalities no permutation explains (dead units, zero output
    weights, mergeable units).

    ``method="regions"`` decides by region enumeration instead: for two networks, the
    exact activation cells (:func:`tropnet.linear_regions` with ``exact=True``) of one
    network computing ``a - b`` (both side by side, in Linear and GroupMax layers) on the
    domain (R^n when ``domain`` is None), and its affine map on each cell must be zero; for
    tropical objects, the cells of ``(num_a * den_b) / (num_b * den_a)``, comparing the
    winning monomials of both products.  ``method="auto"`` uses the tropical forms on R^n
    and region enumeration on a ``domain`` (``Box``/``Polyhedron``).

    Networks of one architecture whose parameters are related by a permutation of hidden
    units (and, for exact networks, a positive rescaling) are recognised from their
    canonical forms (:func:`equivalent` with no tolerance) without compiling.

    When the functions differ, ``witness`` is a point (in the domain) where they do, checked
    by exact evaluation of both (the networks' own forward pass), and ``values`` holds
    the two outputs there.  Random points (Gaussian, or uniform in a box) are tried first,
    so most different functions are told apart before anything is compiled.

    >>> from tropnet import Network
    >>> a = Network.from_arrays([[[1], [-1]], [[1, 1]]])          # |x|
    >>> b = Network.from_arrays([[[-1], [1], [2]], [[1, 1, 0]]])  # |x|, plus a unit read with weight 0
    >>> bool(same_function(a, b))
    True
    >>> c = Network.from_arrays([[[1], [-1]], [[1, 2]]])
    >>> r = same_function(a, c)
    >>> r.equal, bool(r.values[0] != r.values[1])
    (False, True)
    """
    if method not in ("auto", "tropical", "regions"):
        raise ValueError(f"method must be 'auto', 'tropical' or 'regions', got {method!r}")
    if method == "tropical" and domain is not None:
        raise ValueError("method='tropical' decides on all of R^n; use method='regions' with a domain")
    (na, ma), (nb, mb) = _shape_of(a, "first"), _shape_of(b, "second")
    if na != nb or ma != mb:
        raise ValueError(
            f"same_function: the first object maps R^{na} to R^{ma}, the second R^{nb} to R^{mb}"
        )
    if _provably_equivalent(a, b):
        return FunctionComparison(True)
    # cheap first: exact values at random points (most different functions differ there)
    pa = None if isinstance(a, Network) else _rational_pairs(a, "first")[0]
    pb = None if isinstance(b, Network) else _rational_pairs(b, "second")[0]
    for x in _sample_points(domain, na, np.random.default_rng(0)):
        w = _check_witness(a, b, pa, pb, x, domain)
        if w is not None:
            return w
    networks = isinstance(a, Network) and isinstance(b, Network)
    if networks and (method == "regions" or (method == "auto" and domain is not None)):
        return _same_by_regions(a, b, domain)
    pa, pb = _rational_pairs(a, "first")[0], _rational_pairs(b, "second")[0]
    prods = [(num_a * den_b, num_b * den_a) for (num_a, den_a), (num_b, den_b) in zip(pa, pb)]
    if domain is None and method != "regions":
        unequal = [i for i, (p, q) in enumerate(prods) if p != q]
        if not unequal:
            return FunctionComparison(True)
        rng = np.random.default_rng(0)
        for i in unequal:
            for x in _witness_candidates(*prods[i], rng):
                w = _check_witness(a, b, pa, pb, x, domain)
                if w is not None:
                    return w
        raise RuntimeError(  # pragma: no cover - would be a bug in the monomial argument
            "same_function: the tropical forms differ but no witness point was found"
        )
    return _same_on_domain(a, b, pa, pb, prods, domain)


def _provably_equivalent(a: Any, b: Any) -> bool:
    """True when ``b`` is a hidden-unit permutation of ``a`` (exactly equal canonical forms
    without rescaling: no arithmetic involved), or an exact rescaling too (exact networks)."""
    if not (isinstance(a, Network) and isinstance(b, Network)):
        return False
    try:
        _check_same_architecture(a, b, "same_function")
        if a.exact and b.exact:
            return equivalent(a, b, rescale=True, rtol=0.0)
        return equivalent(a, b, rescale=False, rtol=0.0)
    except (TypeError, ValueError):
        return False


def _shape_of(obj: Any, what: str) -> tuple[int, int]:
    if isinstance(obj, Network):
        return obj.input_dim, obj.output_dim
    pairs, n = _rational_pairs(obj, what)
    return n, len(pairs)


def _sample_points(domain: Any, n: int, rng: np.random.Generator, k: int = 16) -> list[np.ndarray]:
    """Random points (in the domain): Gaussian at scales 1 and 10 for R^n, uniform in a box."""
    if domain is None:
        return list(np.vstack([rng.normal(size=(k, n)), 10 * rng.normal(size=(k, n))]))
    lo_hi = getattr(domain, "bounds", None)
    if lo_hi is not None:
        lo, hi = domain.bounds(n)
        return list(rng.uniform(lo, hi, size=(2 * k, n)))
    pts = np.vstack([rng.normal(size=(k, n)), 10 * rng.normal(size=(k, n))])
    return [x for x in pts if _in_domain(domain, x)]


def _check_witness(
    a: Any, b: Any, pa: list, pb: list, x: np.ndarray, domain: Any
) -> FunctionComparison | None:
    if not _in_domain(domain, x):
        return None
    xe = np.array([Fraction(float(v)) for v in x], dtype=object)
    va, vb = _values(a, pa, xe), _values(b, pb, xe)
    if _differ(va, vb):
        return FunctionComparison(False, np.asarray(x, dtype=np.float64), (va, vb))
    return None


def _same_on_domain(a: Any, b: Any, pa: list, pb: list, prods: list, domain: Any) -> FunctionComparison:
    from .. import linear_regions
    from ..algebra.rational import TropicalRational

    rng = np.random.default_rng(0)
    for p, q in prods:
        regions = linear_regions(TropicalRational(p, q), domain, kind="activation")
        pts = np.asarray(regions.interior_points, dtype=np.float64)
        xe = np.array([[Fraction(float(v)) for v in row] for row in pts], dtype=object).reshape(pts.shape)
        ip = np.argmax(np.asarray(_affine_values(p, xe), dtype=object), axis=1) if len(pts) else []
        iq = np.argmax(np.asarray(_affine_values(q, xe), dtype=object), axis=1) if len(pts) else []
        ps, qs = p.simplify(), q.simplify()
        for k, (i, j) in enumerate(zip(ip, iq)):
            if np.array_equal(ps.exponents[i], qs.exponents[j]) and ps.coefficients[i] == qs.coefficients[j]:
                continue
            x = pts[k]
            for cand in (x, *(x + s * rng.uniform(-1, 1, size=x.shape) for s in (1e-6, 1e-4, 1e-2))):
                w = _check_witness(a, b, pa, pb, cand, domain)
                if w is not None:
                    return w
    return FunctionComparison(True)


def _eye(n: int) -> np.ndarray:
    out = np.full((n, n), Fraction(0), dtype=object)
    np.fill_diagonal(out, Fraction(1))
    return out


_Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def _max_blocks(net: Network) -> tuple[list[_Block], tuple[np.ndarray, np.ndarray]]:
    """``net`` (exact, lowered) as blocks ``h -> GroupMax(groups)(W h + b)`` and a final
    affine map: ``max(z, t)`` is the max of ``z`` and a constant unit ``t``, ``max(z, a z)``
    the max of ``z`` and a unit ``a z``; consecutive affine maps are composed."""
    W, b = _eye(net.input_dim), np.full(net.input_dim, Fraction(0), dtype=object)
    blocks = []
    for layer in net.to_exact().lowered().layers:
        w = W.shape[0]
        pairs = np.stack([np.arange(w), np.arange(w, 2 * w)], axis=1)
        if isinstance(layer, Linear):
            W, b = layer.weight.dot(W), layer.weight.dot(b) + layer.bias
            continue
        if isinstance(layer, Threshold):
            zero = np.full(W.shape, Fraction(0), dtype=object)
            t = np.full(w, layer.t, dtype=object)
            blocks.append((np.vstack([W, zero]), np.concatenate([b, t]), pairs))
        elif isinstance(layer, LeakyReLU):
            blocks.append((np.vstack([W, layer.alpha * W]), np.concatenate([b, layer.alpha * b]), pairs))
        else:  # GroupMax
            blocks.append((W, b, np.asarray(layer.groups)))
        width = blocks[-1][2].shape[0]
        W, b = _eye(width), np.full(width, Fraction(0), dtype=object)
    return blocks, (W, b)


def _difference_network(a: Network, b: Network) -> Network:
    """An exact network of Linear and GroupMax layers computing ``a(x) - b(x)``: both run
    side by side (block-diagonal weights, the shorter padded with identity blocks)."""
    (ba, (wa, ca)), (bb, (wb, cb)) = _max_blocks(a), _max_blocks(b)
    n = a.input_dim

    def width(blocks: list) -> int:
        return blocks[-1][2].shape[0] if blocks else n

    for blocks in (ba, bb):
        while len(blocks) < max(len(ba), len(bb)):
            k = width(blocks)
            blocks.append((_eye(k), np.full(k, Fraction(0), dtype=object), np.arange(k)[:, None]))
    layers: list[Layer] = []
    for i, ((w1, b1, g1), (w2, b2, g2)) in enumerate(zip(ba, bb)):
        if i == 0:
            w = np.vstack([w1, w2])
        else:
            w = np.full((w1.shape[0] + w2.shape[0], w1.shape[1] + w2.shape[1]), Fraction(0), dtype=object)
            w[: w1.shape[0], : w1.shape[1]] = w1
            w[w1.shape[0] :, w1.shape[1] :] = w2
        k = max(g1.shape[1], g2.shape[1])
        g1 = np.hstack([g1, np.repeat(g1[:, :1], k - g1.shape[1], axis=1)])  # max(z, z) = z
        g2 = np.hstack([g2, np.repeat(g2[:, :1], k - g2.shape[1], axis=1)]) + w1.shape[0]
        layers += [Linear(w, np.concatenate([b1, b2])), GroupMax(np.vstack([g1, g2]), w.shape[0])]
    final = np.hstack([wa, -wb]) if layers else wa - wb
    layers.append(Linear(final, ca - cb))
    return Network(layers, n)


def _same_by_regions(a: Network, b: Network, domain: Any) -> FunctionComparison:
    """Decide ``a == b`` on the domain from the exact activation cells of ``a - b``."""
    from .. import linear_regions

    rng = np.random.default_rng(0)
    diff = _difference_network(a, b)
    # float cells first: a cell with a clearly nonzero map gives a witness cheaply; the exact
    # (certified) enumeration then proves equality, or finds the witness float missed
    for exact in (False, True):
        for region in linear_regions(diff, domain, kind="activation", exact=exact):
            W, c = region.affine_map
            entries = np.concatenate([np.ravel(W), np.ravel(c)])
            if all(v == 0 for v in entries) if exact else np.abs(entries.astype(np.float64)).max() < 1e-9:
                continue
            x = np.asarray(region.interior_point, dtype=np.float64)
            scale = max(1.0, float(np.abs(x).max()))
            for step in (0.0, 1e-9, 1e-6, 1e-3):
                w = _check_witness(a, b, None, None, x + step * scale * rng.uniform(-1, 1, x.shape), domain)
                if w is not None:
                    return w
    return FunctionComparison(True)


def _affine_values(p: Any, xe: np.ndarray) -> np.ndarray:
    """Every pruned monomial of ``p`` at the points ``xe``: shape (points, monomials)."""
    s = p.simplify()
    E = np.asarray(s.exponents, dtype=object)
    c = np.asarray(s.coefficients, dtype=object)
    return xe.dot(E.T) + c


@dataclass(frozen=True)
class RegionPath:
    """Region counts (and losses) along the straight path between two networks.

    ``t`` the path parameters; ``regions[i]`` the number of linear regions of
    ``interpolate(a, b, t[i])`` on the domain; ``loss`` the mean squared error on the data
    (None without data); ``*_aligned`` the same on the path to ``b`` aligned to ``a``
    (None when ``align=False``).

    >>> from tropnet import Box, random_mlp
    >>> path = region_path(random_mlp([2, 3, 1], seed=0), random_mlp([2, 3, 1], seed=1), Box(-2, 2), steps=3)
    >>> len(path.t), len(path.regions)
    (3, 3)
    """

    t: np.ndarray
    regions: np.ndarray
    loss: np.ndarray | None = None
    regions_aligned: np.ndarray | None = None
    loss_aligned: np.ndarray | None = None


def _loss(net: Network, data: tuple[Any, Any], loss: Any) -> float:
    x, y = data
    out = net.to_float()(np.asarray(x, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64).reshape(out.shape)
    if loss is None:
        return float(np.mean((out - y) ** 2))
    return float(loss(out, y))


def region_path(
    net_a: Network,
    net_b: Network,
    domain: Any,
    steps: int = 11,
    align: bool | str = True,
    data: Any = None,
    kind: str = "linear",
    loss: Any = None,
) -> RegionPath:
    """Linear-region counts (and loss, when ``data=(X, Y)`` is given) along the straight
    path ``interpolate(net_a, net_b, t)``, ``t`` in ``[0, 1]`` (``steps`` points), and, when
    ``align``, along the path to ``net_b`` matched to ``net_a`` by :func:`align` (``True`` or
    ``"weights"``: weight matching; ``"activations"``: activation matching on ``data``'s
    inputs).

    The tropical view of linear mode connectivity: the two ends compute the functions of
    ``net_a`` and ``net_b``; in between the parameters, and so the pieces, change.  Exact
    networks give exact interpolants (``t = i / (steps - 1)`` as Fractions).  The loss is
    ``loss(outputs, Y)`` (outputs of shape (N, n_out), ``Y`` reshaped alike), by default the
    mean squared error.  ``kind`` is passed to :func:`tropnet.count_linear_regions`.

    >>> from tropnet import Box, random_mlp
    >>> a = random_mlp([2, 4, 1], seed=0)
    >>> path = region_path(a, random_equivalent(a, seed=1), Box(-3, 3), steps=3)
    >>> path.regions_aligned.tolist() == [path.regions[0]] * 3
    True
    """
    from .. import count_linear_regions

    _check_same_architecture(net_a, net_b, "region_path")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    if data is not None and (not isinstance(data, (tuple, list)) or len(data) != 2):
        raise TypeError("data must be a pair (X, Y) of inputs and targets")
    if align not in (True, False, "weights", "activations"):
        raise ValueError(f"align must be True, False, 'weights' or 'activations', got {align!r}")
    if align == "activations" and data is None:
        raise ValueError("region_path(align='activations') needs data=(X, Y)")
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a callable loss(outputs, targets), got {type(loss).__name__}")
    exact = net_a.exact and net_b.exact
    ts = [Fraction(i, steps - 1) if exact else i / (steps - 1) for i in range(steps)]

    def walk(b: Network) -> tuple[np.ndarray, np.ndarray | None]:
        nets = [interpolate(net_a, b, t) for t in ts]
        counts = np.array([count_linear_regions(n, domain, kind=kind) for n in nets], dtype=np.int64)
        losses = None if data is None else np.array([_loss(n, data, loss) for n in nets])
        return counts, losses

    regions, losses = walk(net_b)
    regions_al = loss_al = None
    if align:
        method = "activations" if align == "activations" else "weights"
        x = None if data is None else data[0]
        regions_al, loss_al = walk(_align_networks(net_a, net_b, method=method, data=x)[0])
    return RegionPath(np.array([float(t) for t in ts]), regions, losses, regions_al, loss_al)
