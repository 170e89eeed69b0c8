"""Building :class:`~tropnet.Graph` layers from traced programs (torch.fx, ONNX).

The importers walk a program node by node; this module holds what they share: the values
(a tensor of the graph with its per-sample shape, the batch size), the node-by-node
builder of a :class:`~tropnet.Graph` (affine maps by constants, additions, concatenation,
reshapes, the dropped final map), and the final clean-up (a chain becomes a sequential
list of layers; an identity or a bias-only map after a ``Linear`` is fused).

Examples
--------
>>> b = GraphBuilder((2,))
>>> x = b.input()
>>> y = b.binary("add", b.affine("double", x, 2.0, 0.0), x, +1.0)
>>> net = b.network(y)
>>> net([1.0, -3.0]).tolist()
[3.0, -9.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .graph import INPUT, Add, Concat, Graph
from .layers import Layer, Linear, ReLU, Threshold
from .network import Network

__all__ = [
    "Value",
    "Batch",
    "GraphBuilder",
    "Refused",
    "chain_or_graph",
    "clamp_layers",
    "two_relu",
    "FINAL_NAMES",
]

Shape = tuple[int, ...]

#: Monotone final maps that ``final="drop"`` may remove.
FINAL_NAMES = ("Sigmoid", "Softmax", "LogSoftmax")


class Refused(TypeError):
    """A node that cannot be converted exactly (the message names it and says why)."""


class Value:
    """A tensor of the program: its node name in the graph and its per-sample shape."""

    __slots__ = ("name", "shape")

    def __init__(self, name: str, shape: Shape) -> None:
        self.name, self.shape = name, tuple(int(s) for s in shape)

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))


class Batch:
    """The batch size (``x.size(0)``), allowed as the first entry of a reshape."""


class GraphBuilder:
    """Accumulates graph nodes; every method names the source node ``where`` in its errors."""

    def __init__(self, input_shape: Shape, final: str | None = None) -> None:
        self.input_shape = tuple(int(s) for s in input_shape)
        self.nodes: list[tuple[str, Any, Any]] = []
        self.final = final
        self.dropped: str | None = None

    def input(self) -> Value:
        return Value(INPUT, self.input_shape)

    def emit(self, base: str, op: Any, ins: Any) -> str:
        taken = {n for n, _, _ in self.nodes}
        name, k = base, 0
        while name in taken or name == INPUT:
            k += 1
            name = f"{base}_{k}"
        self.nodes.append((name, op, ins))
        return name

    def chain(self, where: str, layers: list[Layer], x: Value, shape: Shape) -> Value:
        prev = x.name
        for layer in layers:
            prev = self.emit(where, layer, prev)
        return Value(prev, shape)

    def const(self, where: str, a: Any, shape: Shape, *, batched: bool = True) -> np.ndarray:
        """A constant broadcast to one sample of ``shape``, flattened (float64).

        With ``batched`` a constant of rank ``len(shape) + 1`` has a leading batch axis of 1."""
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            a = np.array(float(a))
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiu":
            raise Refused(f"{where}: operand {a!r} is not a constant number or array")
        a = a.astype(np.float64)
        if batched and a.ndim == len(shape) + 1:
            if a.shape[0] != 1:
                raise Refused(f"{where}: a constant of shape {a.shape} varies over the batch")
            a = a[0]
        try:
            return np.broadcast_to(a, shape).reshape(-1).copy()
        except ValueError:
            raise Refused(
                f"{where}: a constant of shape {a.shape} does not broadcast to samples of {shape}"
            ) from None

    def affine(self, where: str, x: Value, scale: Any, shift: Any) -> Value:
        """``scale * x + shift`` elementwise (numbers or flat arrays of the sample's size)."""
        n = x.size
        s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,))
        c = np.broadcast_to(np.asarray(shift, dtype=np.float64), (n,))
        return self.chain(where, [Linear(np.diag(s), c.copy())], x, x.shape)

    def binary(self, where: str, x: Any, y: Any, sign: float) -> Value:
        """``x + y`` (``sign`` 1) or ``x - y`` (``sign`` -1); constants become biases."""
        if isinstance(x, Value) and isinstance(y, Value):
            if x.shape != y.shape:
                raise Refused(f"{where}: adds tensors of shapes {x.shape} and {y.shape} (no broadcasting)")
            return Value(self.emit(where, Add((1, -1) if sign < 0 else None), (x.name, y.name)), x.shape)
        if isinstance(x, Value):
            return self.affine(where, x, 1.0, sign * self.const(where, y, x.shape))
        if not isinstance(y, Value):
            raise Refused(f"{where}: neither operand depends on the input")
        return self.affine(where, y, sign, self.const(where, x, y.shape))

    def scale(self, where: str, x: Any, y: Any, divide: bool = False) -> Value:
        """``x * c`` or ``x / c`` for a constant ``c``."""
        if isinstance(x, Value) and isinstance(y, Value):
            what = "divides by" if divide else "multiplies by"
            raise Refused(f"{where}: {what} a tensor that depends on the input (not piecewise linear)")
        if divide and not isinstance(x, Value):
            raise Refused(f"{where}: divides by a tensor that depends on the input (not piecewise linear)")
        t, c = (x, y) if isinstance(x, Value) else (y, x)
        c = self.const(where, c, t.shape)
        if divide:
            if np.any(c == 0):
                raise Refused(f"{where}: divides by zero")
            c = 1.0 / c
        return self.affine(where, t, c, 0.0)

    def concat(self, where: str, xs: list[Value], axis: int) -> Value:
        """Concatenation along ``axis`` of the full tensor (batch axis 0); only axis 1 of
        channel-first samples is a plain concatenation of flat vectors."""
        nd = len(xs[0].shape) + 1
        d = axis + nd if axis < 0 else axis
        if d != 1:
            raise Refused(
                f"{where}: concatenates along axis {axis}; only axis 1 (features / channels) is supported"
            )
        if len({x.shape[1:] for x in xs}) != 1:
            raise Refused(f"{where}: concatenates tensors of shapes {[x.shape for x in xs]}")
        if len(xs) == 1:
            return xs[0]
        shape = (sum(x.shape[0] for x in xs), *xs[0].shape[1:])
        return Value(self.emit(where, Concat(), tuple(x.name for x in xs)), shape)

    def reshape(self, where: str, x: Value, target: Any) -> Value:
        """Reshape to ``target`` = (batch, *per-sample sizes); the batch entry is a
        :class:`Batch`, ``-1``, ``0`` (ONNX: copy) or ``1``; flat order is unchanged."""
        target = list(target)
        if not target or not (isinstance(target[0], Batch) or target[0] in (-1, 0, 1)):
            raise Refused(f"{where}: reshape to {target}: the first dimension must stay the batch")
        rest = list(target[1:])
        if any(not isinstance(v, (int, np.integer)) for v in rest):
            raise Refused(f"{where}: reshape to {target}: per-sample sizes must be constants")
        rest = [int(v) if v != 0 else x.shape[i] if i < len(x.shape) else 0 for i, v in enumerate(rest)]
        if (target[0] == -1 and -1 in rest) or rest.count(-1) > 1:
            raise Refused(f"{where}: reshape to {target}: two unknown sizes")
        if -1 in rest:
            known = math.prod(v for v in rest if v != -1)
            rest[rest.index(-1)] = x.size // known if known else 0
        if math.prod(rest) != x.size:
            raise Refused(
                f"{where}: reshape of samples of shape {x.shape} ({x.size} values) to {tuple(rest)}"
            )
        return Value(x.name, tuple(rest) if rest else (1,))

    def select(self, where: str, x: Value, idx: Any) -> Value:
        """The re-indexing ``y = x.flat[idx]`` of each sample (transposes, slices, squeezes):
        ``idx`` holds flat input indices in the output's shape; a selection ``Linear``, none
        when ``idx`` is the identity (a pure reshape)."""
        idx = np.asarray(idx, dtype=np.int64)
        shape = tuple(int(v) for v in idx.shape) or (1,)
        if idx.size == 0:
            raise Refused(f"{where}: selects nothing from samples of shape {x.shape}")
        flat = idx.reshape(-1)
        if flat.size == x.size and np.array_equal(flat, np.arange(x.size)):
            return Value(x.name, shape)
        W = np.zeros((flat.size, x.size), dtype=np.int64)
        W[np.arange(flat.size), flat] = 1
        return self.chain(where, [Linear(W)], x, shape)

    def drop_final(self, where: str, x: Value, name: str, is_last: bool) -> Value:
        """A final Sigmoid/Softmax/LogSoftmax: dropped with ``final="drop"``, refused otherwise."""
        if self.final != "drop":
            raise Refused(
                f"{where}: {name} has no tropical form; it is monotone, so if it is the network's last "
                "operation pass final='drop' to convert the logits before it"
            )
        if not is_last:
            raise Refused(f"{where}: {name} is not the last operation, so final='drop' cannot remove it")
        self.dropped = name
        return x

    def network(self, out: Any) -> Network:
        """The network computing ``out`` (a chain becomes a sequential network)."""
        if not isinstance(out, Value):
            raise Refused("the program must return one tensor computed from its input")
        n = int(math.prod(self.input_shape))
        note = (
            None
            if self.dropped is None
            else f"{self.dropped} dropped: the network returns its input (the logits)"
        )
        if out.name == INPUT:
            return Network([Linear(np.eye(n, dtype=np.int64))], n, final=note)
        return Network(chain_or_graph(Graph(self.nodes, out.name, n)), n, final=note)


def chain_or_graph(graph: Graph) -> list[Layer]:
    """The graph's layers in order when it is a chain (with an identity ``Linear`` dropped and
    a bias-only ``Linear`` fused into the ``Linear`` before it, both exactly), else ``[graph]``.

    >>> g = Graph([("a", Linear([[2.0]]), "input"), ("b", Linear([[1.0]], [3.0]), "a")])
    >>> chain_or_graph(g)[0].bias.tolist()
    [3.0]
    """
    prev = INPUT
    for name, op, ins in graph.nodes:
        if not isinstance(op, Layer) or ins != (prev,):
            return [graph]
        prev = name
    if prev != graph.output:
        return [graph]
    out: list[Layer] = []
    for _, op, _ in graph.nodes:
        if type(op) is Linear and op.weight.shape[0] == op.weight.shape[1]:
            eye = bool(np.all(op.weight == np.eye(op.weight.shape[0])))
            if eye and not np.any(op.bias != 0) and (out or len(graph.nodes) > 1):
                continue
            prev_lin = out[-1] if out else None
            if (
                eye
                and type(prev_lin) is Linear
                and prev_lin.exact == op.exact
                and not np.any(prev_lin.bias != 0)
            ):
                out[-1] = Linear(prev_lin.weight, op.bias)  # 0 + b is exact
                continue
        out.append(op)
    return out or [graph.nodes[0][1]]


def two_relu(shape: Shape, lo: float, hi: float, inner: bool) -> list[Layer]:
    """Hardtanh-type maps through two ReLUs per unit.

    ``inner=True``: clamp(z, lo, hi) = lo + relu(z - lo) - relu(z - hi);
    ``inner=False`` (Softshrink with lo = -hi): relu(z - hi) - relu(-z - hi).

    >>> Network(two_relu((1,), -1.0, 1.0, inner=True))([[-3.0], [0.5], [2.0]]).ravel().tolist()
    [-1.0, 0.5, 1.0]
    """
    n = int(math.prod(shape))
    eye = np.eye(n)
    if inner:
        first = Linear(np.vstack([eye, eye]), np.concatenate([np.full(n, -lo), np.full(n, -hi)]))
        second = Linear(np.hstack([eye, -eye]), np.full(n, lo))
    else:
        first = Linear(np.vstack([eye, -eye]), np.full(2 * n, -hi))
        second = Linear(np.hstack([eye, -eye]), np.zeros(n))
    return [first, ReLU(), second]


def clamp_layers(n: int, lo: Any, hi: Any) -> list[Layer]:
    """``clamp(z, lo, hi)`` on ``n`` units as layers (either bound may be ``None``).

    >>> [type(x).__name__ for x in clamp_layers(2, None, 1.0)]
    ['Linear', 'Threshold', 'Linear']
    """
    if lo is not None and hi is not None:
        return two_relu((n,), float(lo), float(hi), inner=True)
    if lo is not None:
        return [Threshold(float(lo))]
    if hi is not None:  # min(z, M) = -max(-z, -M)
        neg = Linear(-np.eye(n), np.zeros(n))
        return [neg, Threshold(-float(hi)), neg]
    return []
