"""Hidden slots of a network and the permutations of their units.

A network is read as affine layers separated by layers that commute with the permutation of
their units (see :mod:`tropnet.networks.symmetry` for which layers and which groups).  A
*slot* is one hidden layer: the units one affine layer creates and the next one reads.
:func:`permute_hidden` applies one permutation per slot; the other symmetry modules build on
the same slot description.

>>> from tropnet import random_mlp
>>> [h["units"] for h in hidden_layers(random_mlp([2, 3, 4, 1], seed=0))]
[3, 4]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..conv import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool2d, _ConvNd
from ..equivariant import EquivariantLinear, SumPool
from ..graph import INPUT, Add, Concat, Graph, Residual
from ..layers import Identity, Layer, LeakyReLU, Linear, Maxout, Threshold
from ..network import Network

_CONV = (Conv1d, Conv2d)  # and subclasses: a batch norm is a depthwise 1x1 Conv2d
_POINTWISE = (Threshold, LeakyReLU, Identity, Flatten)
_POOLS = (MaxPool2d, AvgPool2d)


# ---------------------------------------------------------------------------- hidden slots
#: Where an affine layer sits: an int (``net.layers[i]``) or, inside a graph layer, a tuple
#: ``(i, node, ...)`` of the top-level index and the node names down the nested graphs.
Address = Any


@dataclass(frozen=True)
class _Slot:
    """One hidden layer: the units that ``producer``'s rows (or output channels) create and
    ``consumer``'s columns (or input channels) read."""

    producer: Address  # the affine layer making the units
    consumer: Address  # the next affine layer
    n: int  # units (rows of a Linear, output channels of a convolution)
    k: int  # Maxout group size (1 without Maxout)
    cells: np.ndarray  # label of each unit; permutations stay inside a label
    homogeneous: bool  # positive rescaling is a symmetry
    conv: bool  # units are channels (convolution or DeepSets layer)
    interleaved: bool = False  # a Linear consumer reads the units element-major (after DeepSets)
    source: int | None = None  # the slot whose consumer is this slot's producer (its inputs), if any
    next: int | None = None  # the slot whose producer is this slot's consumer, if any


def _is_affine(layer: Layer) -> bool:
    return type(layer) is Linear or isinstance(layer, _CONV) or type(layer) is EquivariantLinear


def _where(addr: Address) -> str:
    """``layer 3`` or ``layer 1 (Residual), node 'f0'`` for messages."""
    if isinstance(addr, tuple):
        return f"layer {addr[0]}, node " + " / ".join(repr(a) for a in addr[1:])
    return f"layer {addr}"


# ---------------------------------------------------------------------------- graph networks
@dataclass(frozen=True)
class _Node:
    """One operation of a network read as a flat DAG: graph layers are inlined (nested ones
    too); ``ins`` are the addresses of the values read (``"in"``: the network input)."""

    addr: Address
    op: Any  # a Layer, Add or Concat
    ins: tuple


def _flat(net: Network) -> tuple[list[_Node], Address]:
    """The network as a DAG of :class:`_Node` in topological order, and its output's address."""
    nodes: list[_Node] = []

    def inline(g: Graph, prefix: tuple, src: Address) -> Address:
        env = {INPUT: src}
        for name, op, ins in g.nodes:
            addr = prefix + (name,)
            args = tuple(env[u] for u in ins)
            if isinstance(op, Graph):
                env[name] = inline(op, addr, args[0])
            else:
                nodes.append(_Node(addr, op, args))
                env[name] = addr
        return env[g.output]

    value: Address = "in"
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Graph):
            value = inline(layer, (i,), value)
        else:
            nodes.append(_Node(i, layer, (value,)))
            value = i
    return nodes, value


def _layer(net: Network, addr: Address) -> Layer:
    """The layer at ``addr``."""
    if not isinstance(addr, tuple):
        return net.layers[addr]
    op: Any = net.layers[addr[0]]
    for name in addr[1:]:
        op = next(o for n, o, _ in op.nodes if n == name)
    return op


def _rebuilt(op: Any, addr: Address, new: dict) -> Any:
    """``op`` (at ``addr``) with the layers of ``new`` (address -> layer) put in."""
    if addr in new:
        return new[addr]
    if not isinstance(op, Graph):
        return op
    key = addr if isinstance(addr, tuple) else (addr,)
    if not any(isinstance(a, tuple) and a[: len(key)] == key for a in new):
        return op
    if type(op) is Residual:
        body = [_rebuilt(la, key + (f"f{i}",), new) for i, la in enumerate(op.layers)]
        skip = None if op.shortcut is None else [_rebuilt(la, key + (f"s{i}",), new) for i, la in
                                                  enumerate(op.shortcut)]
        return Residual(body, skip)
    nodes = [(name, _rebuilt(o, key + (name,), new), ins) for name, o, ins in op.nodes]
    return Graph(nodes, op.output, op.in_features)


class _Edit:
    """A network under change: ``edit[addr]`` reads and sets the layer at an address;
    :meth:`network` builds the result."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.new: dict = {}

    def __getitem__(self, addr: Address) -> Layer:
        return self.new[addr] if addr in self.new else _layer(self.net, addr)

    def __setitem__(self, addr: Address, layer: Layer) -> None:
        self.new[addr] = layer

    def network(self) -> Network:
        if not self.new:
            return self.net
        layers = [_rebuilt(la, i, self.new) for i, la in enumerate(self.net.layers)]
        return Network(layers, self.net.input_dim, final=self.net._final)


def affine_layers(net: Network) -> list[tuple[Address, Layer]]:
    """Every affine layer of ``net`` with its address, graph layers read inside (in order)."""
    return [(nd.addr, nd.op) for nd in _flat(net)[0] if _is_affine(nd.op)]


def _values(net: Network, data: Any) -> dict:
    """Float values of every node of the flat DAG on the batch ``data`` (address -> (N, width))."""
    from ..layers import as_batch

    x, _ = as_batch(data, net.input_dim, exact=False)
    env: dict = {"in": x}
    for nd in _flat(net.to_float())[0]:
        args = [env[v] for v in nd.ins]
        if isinstance(nd.op, Add):
            env[nd.addr] = sum(a * float(c) for a, c in zip(args, nd.op.coefficients(len(args))))
        elif isinstance(nd.op, Concat):
            env[nd.addr] = np.concatenate(args, axis=1)
        else:
            env[nd.addr] = np.asarray(nd.op.forward(args[0]), dtype=np.float64)
    return env


def _slots(net: Network) -> list[_Slot]:
    """The hidden slots: an affine layer whose units reach exactly one affine layer through
    layers that commute with their permutation.  In a graph network, units that meet an
    ``Add``, a ``Concat``, a second reader or the output are on a shared path (a residual
    stream, a skip): they are not a slot and stay fixed."""
    if not isinstance(net, Network):
        raise TypeError(f"expected a tropnet Network, got {type(net).__name__}")
    nodes, out = _flat(net)
    readers: dict[Any, list[_Node]] = {}
    for nd in nodes:
        for v in nd.ins:
            readers.setdefault(v, []).append(nd)
    slots = []
    for nd in nodes:
        if not _is_affine(nd.op):
            continue
        value, between = nd.addr, []
        cons = None
        while value != out and len(readers.get(value, ())) == 1:
            r = readers[value][0]
            if isinstance(r.op, (Add, Concat)):
                break
            if _is_affine(r.op):
                cons = r
                break
            between.append(r)
            value = r.addr
        if cons is not None:
            slots.append(_slot(nd.addr, nd.op, cons.addr, cons.op, between))
    by_producer = {s.producer: i for i, s in enumerate(slots)}
    by_consumer = {s.consumer: i for i, s in enumerate(slots)}
    return [
        replace(s, source=by_consumer.get(s.producer), next=by_producer.get(s.consumer)) for s in slots
    ]


def _singles_out(layer: Threshold | LeakyReLU) -> bool:
    """Whether an activation treats its units differently (``units`` set, or per-unit
    parameters that are not all equal)."""
    v = layer.t if isinstance(layer, Threshold) else layer.alpha
    return layer.units is not None or (isinstance(v, np.ndarray) and len(set(v.tolist())) > 1)


def _slot(p: Address, prod: Layer, c: Address, cons: Layer, between: list[_Node]) -> _Slot:
    """The slot from affine layer ``prod`` to ``cons`` across the layers ``between``
    (``TypeError`` naming a layer with no known symmetry)."""
    deepsets = type(prod) is EquivariantLinear
    conv = isinstance(prod, _CONV) or deepsets
    n = int(prod.out_channels if deepsets else prod.weight.shape[0])
    k, homogeneous, pooled = 1, True, False
    if type(cons) is EquivariantLinear and not deepsets:
        raise TypeError(
            f"{_where(c)} (EquivariantLinear) after {_where(p)} ({type(prod).__name__}): no known "
            "parameter symmetry (permuting the units would break the equivariant structure)"
        )
    for nd in between:
        layer = nd.op
        name = type(layer).__name__
        if isinstance(layer, Maxout) and not conv and k == 1:
            k = layer.k
        elif isinstance(layer, _POOLS) and isinstance(prod, _CONV):
            pass
        elif isinstance(layer, SumPool) and deepsets and layer.channels == n:
            pooled = True
        elif isinstance(layer, _POINTWISE):
            if isinstance(layer, (Threshold, LeakyReLU)) and _singles_out(layer):
                raise TypeError(
                    f"{_where(nd.addr)} ({name}) after {_where(p)} has no known parameter symmetry: it acts "
                    "on some units only or with per-unit parameters that differ, which singles units out"
                )
            if isinstance(layer, Threshold) and np.any(np.asarray(layer.t, dtype=object) != 0):
                homogeneous = False
        else:
            where = "after a convolution" if conv else "after a Linear layer"
            raise TypeError(
                f"{_where(nd.addr)} ({name}) {where} has no known parameter symmetry: between two affine "
                "layers tropnet permutes units only across pointwise activations, Flatten, Maxout "
                "(after Linear), 2D pools (after a convolution) and SumPool (after EquivariantLinear)"
            )
    cells = np.zeros(n, dtype=np.int64)
    if isinstance(prod, _CONV) and prod.groups > 1:
        cells = cells + np.arange(n) // (n // prod.groups)
    if type(cons) is EquivariantLinear:
        if cons.in_channels != n:
            raise TypeError(f"{_where(c)} reads {cons.in_channels} channels, {_where(p)} makes {n}")
    elif isinstance(cons, _CONV):
        if cons.input_shape[0] != n // k:
            raise TypeError(
                f"{_where(c)} ({type(cons).__name__}) reads {cons.input_shape[0]} channels, but "
                f"hidden {_where(p)} makes {n // k} units: no channel symmetry"
            )
        if cons.groups > 1:
            cells = cells * cons.groups + np.arange(n) // (n // cons.groups)
    elif conv and cons.in_features % n:
        raise TypeError(f"{_where(c)} reads {cons.in_features} features, not a multiple of {n} channels")
    cells.flags.writeable = False
    interleaved = deepsets and not pooled and type(cons) is Linear
    return _Slot(p, c, n, k, cells, homogeneous, conv, interleaved)


def hidden_layers(net: Network) -> list[dict[str, Any]]:
    """The hidden layers the symmetry functions act on, one dict per hidden layer:
    ``layer`` (index of the affine layer making the units; inside a graph layer a tuple
    ``(index, node name, ...)``), ``units``, ``group_size`` (``k`` of a Maxout, else 1),
    ``kind`` (``"dense"``, ``"maxout"`` or ``"conv"``) and ``rescalable``.

    In a graph network only the units private to one branch are listed (see
    :mod:`tropnet.networks.symmetry`): those of a residual stream or a skip stay fixed.

    >>> from tropnet import random_mlp, Linear, ReLU, Residual
    >>> [h["units"] for h in hidden_layers(random_mlp([3, 5, 4, 1]))]
    [5, 4]
    >>> block = Residual([Linear(np.ones((4, 2))), ReLU(), Linear(np.ones((2, 4)))])
    >>> [(h["layer"], h["units"]) for h in hidden_layers(Network([block]))]
    [((0, 'f0'), 4)]
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
    layers = _Edit(net)
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
    return layers.network()


def _check_perm(perm: Any, s: _Slot, i: int) -> np.ndarray | None:
    if perm is None:
        return None
    p = np.asarray(perm)
    if p.ndim != 1 or p.shape[0] != s.n:
        raise ValueError(
            f"permutation {i} must have length {s.n} (units of {_where(s.producer)}), got shape {p.shape}"
        )
    if p.dtype.kind not in "iu":
        raise TypeError(f"permutation {i} must hold integers, got dtype {p.dtype}")
    if not np.array_equal(np.sort(p), np.arange(s.n)):
        raise ValueError(f"permutation {i} is not a permutation of 0..{s.n - 1}: {p.tolist()}")
    if not np.array_equal(s.cells[p], s.cells):
        raise ValueError(
            f"permutation {i} moves a channel across the groups of a grouped convolution ("
            f"{_where(s.producer)} or {_where(s.consumer)}); only permutations inside a group keep the "
            "architecture"
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


