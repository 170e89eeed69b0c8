"""ONNX models to tropnet networks (and back), for piecewise-linear operator sets.

onnx is an optional extra (``pip install tropnet[onnx]``); it is imported here and nowhere
else.  :func:`network_from_onnx` reads the graph's nodes in order and builds a
:class:`~tropnet.Graph` (a chain becomes a sequential network) through the shared
:class:`~tropnet.networks.graph_builder.GraphBuilder`.  Supported operators:
``Gemm``, ``MatMul``, ``Add``, ``Sub``, ``Mul``/``Div`` by constants, ``Neg``, ``Relu``,
``LeakyRelu``, ``PRelu`` (fixed slopes, per channel), ``Clip``, ``Max`` with a constant,
``Gather`` (constant indices) + ``ReduceMax`` (max over groups), ``Conv`` (1D and 2D, zero
padding), ``MaxPool``, ``AveragePool``, ``GlobalAveragePool``, ``BatchNormalization``
(inference), ``Flatten``, ``Reshape``, ``Concat`` (channels), ``Transpose``, ``Squeeze``,
``Unsqueeze`` and ``Slice`` (constant; per-sample axes only: re-indexings), ``Identity``,
``Dropout``, ``Constant``; a final ``Sigmoid``/``Softmax``/``LogSoftmax`` with ``final="drop"``.
Anything else is refused naming the node.

Weights are read as stored (float32 becomes the float64 of the same value, hence the
same dyadic rational in exact mode: ``net.to_exact()``).  The first axis of the input is
the batch; an initializer listed among the graph inputs (IR version 3) is a weight, not
an input.

:func:`network_to_onnx` writes a network (graph networks included) layer by layer, so
that the file mirrors the model: ``Gemm`` per ``Linear``, ``Relu``, ``Add``/``Concat`` per
graph node, ``MaxPool``, ``Conv`` (float32 files) ...; ``lowered=True`` writes the lowered
program instead.

Examples
--------
>>> from tropnet import random_mlp
>>> net = random_mlp([2, 3, 1], seed=0)
>>> back = network_from_onnx(network_to_onnx(net))
>>> x = np.array([[0.5, -1.0]])
>>> bool(np.allclose(back(x), net(x)))
True
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("reading ONNX models needs onnx; install it with `pip install tropnet[onnx]`") from err

from .conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .graph_builder import FINAL_NAMES, GraphBuilder, Refused, Value, clamp_layers
from .layers import GroupMax, LeakyReLU, Linear, ReLU, Threshold
from .network import Network

__all__ = ["network_from_onnx", "network_to_onnx", "ONNX_OPS"]

Shape = tuple[int, ...]


def _load(path_or_model: Any) -> onnx.ModelProto:
    if isinstance(path_or_model, onnx.ModelProto):
        return path_or_model
    if isinstance(path_or_model, (bytes, bytearray)):
        data = bytes(path_or_model)
        where = "the given bytes"
    elif isinstance(path_or_model, (str, os.PathLike)):
        where = os.fspath(path_or_model)
        try:
            with open(where, "rb") as fh:
                data = fh.read()
        except OSError as err:
            raise ValueError(f"cannot read the ONNX file {where}: {err}") from None
    else:
        raise TypeError(
            f"from_onnx needs a path, bytes or an onnx.ModelProto, got {type(path_or_model).__name__}"
        )
    try:
        model = onnx.load_from_string(data)
    except Exception as err:  # protobuf raises DecodeError and friends
        raise ValueError(f"{where} is not an ONNX model ({type(err).__name__}: {err})") from None
    if not model.graph.node:
        raise ValueError(f"{where} is not an ONNX model with a graph (no nodes)")
    return model


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class _OnnxBuilder(GraphBuilder):
    def __init__(self, model: onnx.ModelProto, final: str | None) -> None:
        g = model.graph
        self.graph = g
        self.env: dict[str, Any] = {init.name: numpy_helper.to_array(init) for init in g.initializer}
        inputs = [i for i in g.input if i.name not in self.env]
        if len(inputs) != 1:
            names = [i.name for i in inputs]
            raise ValueError(
                f"the ONNX graph has {len(inputs)} real inputs {names}; a tropnet network takes one"
            )
        dims = [
            d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim
        ]
        if not dims:
            raise ValueError(f"the ONNX input {inputs[0].name!r} has no shape")
        sample = dims[1:] if len(dims) > 1 else dims
        if any(d is None or d < 1 for d in sample):
            raise ValueError(f"the ONNX input {inputs[0].name!r} has an unknown per-sample shape {dims}")
        super().__init__(tuple(sample), final)
        self.env[inputs[0].name] = self.input()
        self.scaled: dict[str, tuple[str, np.ndarray]] = {}
        if len(g.output) != 1:
            raise ValueError(f"the ONNX graph has {len(g.output)} outputs; a tropnet network has one")
        self.users: dict[str, int] = {}
        for node in g.node:
            for name in node.input:
                self.users[name] = self.users.get(name, 0) + 1

    def run(self) -> Network:
        for node in self.graph.node:
            where = f"ONNX node {node.name or '(unnamed)'} ({node.op_type})"
            fn = ONNX_OPS.get(node.op_type)
            if node.op_type in FINAL_NAMES:
                out = self.final_node(node, where)
            elif fn is None:
                raise Refused(
                    f"{where}: the operator {node.op_type} is not supported by from_onnx (supported: "
                    + ", ".join(sorted(ONNX_OPS))
                    + ")"
                )
            else:
                for name in node.input:
                    if name and name not in self.env:
                        raise Refused(f"{where}: input {name!r} is not produced before it (and is no weight)")
                args = [self.env[name] if name else None for name in node.input]
                out = fn(self, where, node.name or node.op_type, args, _attrs(node))
            self.env[node.output[0]] = out
        out_name = self.graph.output[0].name
        if out_name not in self.env:
            raise Refused(f"the ONNX output {out_name!r} is not computed by any node")
        return self.network(self.env[out_name])

    def final_node(self, node: onnx.NodeProto, where: str) -> Value:
        x = self.tensor(where, self.env[node.input[0]])
        last = node.output[0] == self.graph.output[0].name and not self.users.get(node.output[0])
        return self.drop_final(where, x, node.op_type, last)

    def tensor(self, where: str, v: Any) -> Value:
        if not isinstance(v, Value):
            raise Refused(f"{where}: expects a tensor computed from the input, got a constant")
        return v

    def weight(self, where: str, v: Any, what: str) -> np.ndarray:
        if not isinstance(v, np.ndarray):
            raise Refused(
                f"{where}: the {what} must be a constant (an initializer), not computed from the input"
            )
        return v.astype(np.float64)


# ---------------------------------------------------------------------- operators
def _gemm(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    B = b.weight(where, args[1], "weight B")
    if at.get("transA", 0):
        raise Refused(f"{where}: transA=1 transposes the batch; not supported")
    if len(x.shape) != 1:
        raise Refused(f"{where}: Gemm reads samples of shape {x.shape}; put a Flatten before it")
    W = (B.T if at.get("transB", 0) else B) * float(at.get("alpha", 1.0))  # (k, m) -> rows of W.T
    W = W.T
    if W.shape[1] != x.shape[0]:
        raise Refused(f"{where}: weight of shape {B.shape} does not fit samples of shape {x.shape}")
    c = np.zeros(W.shape[0])
    if len(args) > 2 and args[2] is not None:
        c = float(at.get("beta", 1.0)) * b.const(where, b.weight(where, args[2], "bias C"), (W.shape[0],))
    return b.chain(name, [Linear(W, c)], x, (W.shape[0],))


def _matmul(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    B = b.weight(where, args[1], "right operand")
    if B.ndim != 2 or B.shape[0] != x.shape[-1]:
        raise Refused(f"{where}: multiplies samples of shape {x.shape} by a constant of shape {B.shape}")
    rows = math.prod(x.shape[:-1])
    W = np.kron(np.eye(rows), B.T) if rows > 1 else B.T
    return b.chain(name, [Linear(W, np.zeros(W.shape[0]))], x, (*x.shape[:-1], B.shape[1]))


def _add(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    return _guard(where, lambda: b.binary(name, args[0], args[1], 1.0))


def _sub(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    return _guard(where, lambda: b.binary(name, args[0], args[1], -1.0))


def _mul(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    out = _guard(where, lambda: b.scale(name, args[0], args[1], False))
    x, c = (args[0], args[1]) if isinstance(args[0], Value) else (args[1], args[0])
    b.scaled[out.name] = (x.name, b.const(where, c, x.shape))  # for Max(x, a x), a leaky layer
    return out


def _div(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    return _guard(where, lambda: b.scale(name, args[0], args[1], True))


def _guard(where: str, fn: Any) -> Any:
    """Run a builder step; its refusal names the ONNX node."""
    try:
        return fn()
    except Refused as err:
        raise Refused(f"{where}: {str(err).split(': ', 1)[-1]}") from None


def _neg(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    return b.affine(name, b.tensor(where, args[0]), -1.0, 0.0)


def _relu(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    return b.chain(name, [ReLU()], x, x.shape)


def _leaky(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    a = float(at.get("alpha", 0.01))
    if not 0 <= a < 1:
        raise Refused(f"{where}: LeakyRelu alpha {a}; max(z, a z) is tropical only for 0 <= a < 1")
    return b.chain(name, [LeakyReLU(a)], x, x.shape)


def _prelu(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    slope = b.weight(where, args[1], "slope")
    if slope.ndim == len(x.shape) + 1 and slope.shape[0] == 1:
        slope = slope[0]
    try:
        a = np.broadcast_to(slope, x.shape).reshape(-1)
    except ValueError:
        raise Refused(
            f"{where}: slope of shape {slope.shape} does not broadcast to samples {x.shape}"
        ) from None
    units = np.flatnonzero(a != 1)  # a slope 1 is the identity (tropnet's export of partial layers)
    if np.any(a < 0) or np.any(a > 1):
        raise Refused(f"{where}: PRelu slopes must lie in [0, 1] for max(z, a z) to be tropical")
    if len(units) == 0:
        return x
    if len(units) < a.size:
        layer = LeakyReLU(a[units].copy(), units)
    else:
        layer = LeakyReLU(float(a[0])) if np.all(a == a[0]) else LeakyReLU(a.copy())
    return b.chain(name, [layer], x, x.shape)


def _max(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    """``Max(x, c)`` with a constant ``c``: a per-unit threshold (``-inf`` passes through);
    ``Max(x, a * x)``: a leaky layer on the units with ``a != 1``."""
    if len(args) == 2 and all(isinstance(a, Value) for a in args):
        x, y = args
        src = b.scaled.get(y.name) or (None, None)
        if src[0] != x.name:
            x, y = y, x
            src = b.scaled.get(y.name) or (None, None)
        if src[0] != x.name:
            raise Refused(f"{where}: only Max(x, constant) and Max(x, a * x) are supported")
        a = src[1]
        if np.any(a < 0) or np.any(a > 1):
            raise Refused(f"{where}: Max(x, a * x) needs slopes in [0, 1]")
        units = np.flatnonzero(a != 1)
        if len(units) == 0:
            return x
        layer = LeakyReLU(a[units].copy(), None if len(units) == a.size else units)
        return b.chain(name, [layer], x, x.shape)
    if len(args) != 2 or not isinstance(args[0], Value) or isinstance(args[1], Value):
        raise Refused(f"{where}: only Max(tensor, constant) and Max(x, a * x) are supported")
    x = args[0]
    c = np.asarray(args[1], dtype=np.float64)
    if c.ndim == len(x.shape) + 1 and c.shape[0] == 1:
        c = c[0]
    try:
        t = np.broadcast_to(c, x.shape).reshape(-1)
    except ValueError:
        raise Refused(f"{where}: a constant of shape {c.shape} does not fit samples {x.shape}") from None
    if np.any(np.isnan(t)) or np.any(t == np.inf):
        raise Refused(f"{where}: the constant has NaN or +inf")
    units = np.flatnonzero(np.isfinite(t))
    if len(units) == 0:
        return x
    if len(units) == t.size:
        layer = Threshold(float(t[0])) if np.all(t == t[0]) else Threshold(t.copy())
    else:
        layer = Threshold(t[units].copy(), units)
    return b.chain(name, [layer], x, x.shape)


def _gather(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    """``Gather(x, idx, axis=1)`` of flat samples: a selection ``Linear``."""
    x = b.tensor(where, args[0])
    idx = args[1]
    if not isinstance(idx, np.ndarray) or idx.dtype.kind not in "iu" or int(at.get("axis", 0)) != 1:
        raise Refused(f"{where}: only Gather(x, constant indices, axis=1) is supported")
    if len(x.shape) != 1 or idx.size == 0 or idx.min() < -x.size or idx.max() >= x.size:
        raise Refused(f"{where}: indices {idx.shape} out of range for samples of shape {x.shape}")
    flat = np.asarray(idx, dtype=np.int64).reshape(-1) % x.size
    W = np.zeros((flat.size, x.size), dtype=np.int64)
    W[np.arange(flat.size), flat] = 1
    return b.chain(name, [Linear(W)], x, idx.shape)


def _reduce_max(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    """``ReduceMax`` over the last axis: a max over consecutive groups."""
    x = b.tensor(where, args[0])
    axes = at.get("axes")
    if axes is None and len(args) > 1 and isinstance(args[1], np.ndarray):
        axes = args[1].tolist()
    nd = len(x.shape) + 1
    if axes is None or [a % nd for a in axes] != [nd - 1] or nd < 3:
        raise Refused(f"{where}: only ReduceMax over the last axis of (batch, groups, k) is supported")
    k = x.shape[-1]
    groups = np.arange(x.size).reshape(-1, k)
    shape = x.shape[:-1] + ((1,) if at.get("keepdims", 1) else ())
    return b.chain(name, [GroupMax(groups, x.size)], x, shape)


def _clip(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    lo, hi = at.get("min"), at.get("max")
    if len(args) > 1 and args[1] is not None:
        lo = float(b.weight(where, args[1], "min"))
    if len(args) > 2 and args[2] is not None:
        hi = float(b.weight(where, args[2], "max"))
    return b.chain(name, clamp_layers(x.size, lo, hi), x, x.shape)


def _pads(where: str, at: dict, d: int) -> Any:
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise Refused(f"{where}: auto_pad={at['auto_pad']!r}; only explicit pads are supported")
    p = list(at.get("pads", [0] * (2 * d)))
    return tuple((int(p[i]), int(p[i + d])) for i in range(d))


def _conv(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    w = b.weight(where, args[1], "kernel")
    bias = b.weight(where, args[2], "bias") if len(args) > 2 and args[2] is not None else None
    d = w.ndim - 2
    if d not in (1, 2) or len(x.shape) != d + 1:
        raise Refused(
            f"{where}: a {d}D convolution on samples of shape {x.shape}; only 1D and 2D are supported"
        )
    cls = Conv1d if d == 1 else Conv2d
    try:
        layer = cls(
            w,
            bias,
            input_shape=x.shape,
            stride=tuple(at.get("strides", [1] * d)),
            padding=_pads(where, at, d),
            dilation=tuple(at.get("dilations", [1] * d)),
            groups=int(at.get("group", 1)),
        )
    except ValueError as err:
        raise Refused(f"{where}: {err}") from None
    return b.chain(name, [layer], x, layer.output_shape)


def _pool(b: _OnnxBuilder, where: str, name: str, args: list, at: dict, kind: str) -> Value:
    x = b.tensor(where, args[0])
    if len(x.shape) != 3:
        raise Refused(f"{where}: pools samples of shape {x.shape}; only 2D (C, H, W) pools are supported")
    if at.get("ceil_mode", 0):
        raise Refused(f"{where}: ceil_mode=1 is not supported")
    if kind == "global":
        ks, st, pad = x.shape[1:], x.shape[1:], ((0, 0), (0, 0))
    else:
        ks = tuple(at["kernel_shape"])
        st = tuple(at.get("strides", [1, 1]))
        pad = _pads(where, at, 2)
    try:
        if kind == "max":
            layer: Any = MaxPool2d(ks, st, pad, tuple(at.get("dilations", [1, 1])), input_shape=x.shape)
        else:
            layer = AvgPool2d(ks, st, pad, bool(at.get("count_include_pad", 0)), input_shape=x.shape)
    except ValueError as err:
        raise Refused(f"{where}: {err}") from None
    return b.chain(name, [layer], x, layer.output_shape)


def _batchnorm(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    scale, shift, mean, var = (b.weight(where, a, "statistics") for a in args[1:5])
    s = scale / np.sqrt(var + float(at.get("epsilon", 1e-5)))
    c = shift - mean * s
    per = math.prod(x.shape[1:])
    return b.affine(name, x, np.repeat(s, per), np.repeat(c, per))


def _flatten(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    if int(at.get("axis", 1)) != 1:
        raise Refused(f"{where}: Flatten axis={at.get('axis')}; only axis=1 (whole samples) is supported")
    return Value(x.name, (x.size,))


def _reshape(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    shape = [int(v) for v in b.weight(where, args[1], "shape").astype(np.int64)]
    return _guard(where, lambda: b.reshape(name, x, shape))


def _axes(b: _OnnxBuilder, where: str, args: list, at: dict, pos: int = 1) -> list[int] | None:
    """The ``axes`` of Squeeze/Unsqueeze: an attribute (opset < 13) or a constant input."""
    if "axes" in at:
        return [int(a) for a in at["axes"]]
    if len(args) > pos and args[pos] is not None:
        return [int(a) for a in b.weight(where, args[pos], "axes").astype(np.int64).reshape(-1)]
    return None


def _transpose(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    """``Transpose`` of the per-sample axes (the batch axis stays first): a permutation."""
    x = b.tensor(where, args[0])
    nd = len(x.shape) + 1
    perm = [int(p) for p in at.get("perm", range(nd - 1, -1, -1))]
    if sorted(perm) != list(range(nd)):
        raise Refused(f"{where}: perm {perm} is not a permutation of the {nd} axes")
    if perm[0] != 0:
        raise Refused(f"{where}: perm {perm} moves the batch axis; only per-sample axes may be permuted")
    inner = [p - 1 for p in perm[1:]]
    return _guard(where, lambda: b.select(name, x, np.arange(x.size).reshape(x.shape).transpose(inner)))


def _squeeze(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    nd = len(x.shape) + 1
    axes = _axes(b, where, args, at)
    if axes is None:
        keep = [d for d in x.shape if d != 1]
    else:
        ax = {a % nd for a in axes}
        if 0 in ax:
            raise Refused(f"{where}: squeezes the batch axis")
        if any(x.shape[a - 1] != 1 for a in ax):
            raise Refused(f"{where}: squeezes axes {sorted(ax)} of samples {x.shape}, not all of size 1")
        keep = [d for i, d in enumerate(x.shape) if i + 1 not in ax]
    return Value(x.name, tuple(keep) if keep else (1,))


def _unsqueeze(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    x = b.tensor(where, args[0])
    axes = _axes(b, where, args, at)
    if not axes:
        raise Refused(f"{where}: Unsqueeze needs axes")
    nd = len(x.shape) + 1 + len(axes)
    ax = sorted(a % nd for a in axes)
    if 0 in ax:
        raise Refused(f"{where}: inserts an axis before the batch axis")
    shape = list(x.shape)
    for a in ax:
        shape.insert(a - 1, 1)
    return Value(x.name, tuple(shape))


def _slice(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    """``Slice`` with constant starts/ends/axes/steps (inputs from opset 10, attributes before):
    a selection; the batch axis must be taken whole."""
    x = b.tensor(where, args[0])
    nd = len(x.shape) + 1

    def ints(pos: int, key: str) -> list[int] | None:
        if key in at:
            return [int(v) for v in at[key]]
        if len(args) > pos and args[pos] is not None:
            v = args[pos]
            if not isinstance(v, np.ndarray) or v.dtype.kind not in "iu":
                raise Refused(f"{where}: {key} must be constant integers")
            return [int(t) for t in v.reshape(-1)]
        return None

    starts, ends = ints(1, "starts"), ints(2, "ends")
    if starts is None or ends is None or len(starts) != len(ends):
        raise Refused(f"{where}: Slice needs constant starts and ends of one length")
    axes = ints(3, "axes") or list(range(len(starts)))
    steps = ints(4, "steps") or [1] * len(starts)
    if len(axes) != len(starts) or len(steps) != len(starts) or any(st == 0 for st in steps):
        raise Refused(f"{where}: axes {axes} / steps {steps} do not match starts {starts}")
    full = np.arange(x.size).reshape(x.shape)
    index: list[Any] = [slice(None)] * len(x.shape)
    for a, s0, e0, st in zip(axes, starts, ends, steps):
        a %= nd
        if a == 0:
            if (s0, st) != (0, 1) or e0 < 2**31 - 1:
                raise Refused(f"{where}: slices the batch axis (start {s0}, end {e0}, step {st})")
            continue
        index[a - 1] = slice(s0, e0, st)
    return _guard(where, lambda: b.select(name, x, full[tuple(index)]))


def _concat(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Value:
    xs = [b.tensor(where, a) for a in args]
    return _guard(where, lambda: b.concat(name, xs, int(at["axis"])))


def _identity(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> Any:
    return args[0]


def _constant(b: _OnnxBuilder, where: str, name: str, args: list, at: dict) -> np.ndarray:
    if "value" not in at:
        raise Refused(f"{where}: only Constant with a tensor 'value' is supported")
    return numpy_helper.to_array(at["value"])


#: ONNX operator -> converter ``(builder, where, name, inputs, attributes) -> value``.
ONNX_OPS: dict[str, Any] = {
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Sub": _sub,
    "Mul": _mul,
    "Div": _div,
    "Neg": _neg,
    "Relu": _relu,
    "LeakyRelu": _leaky,
    "PRelu": _prelu,
    "Clip": _clip,
    "Max": _max,
    "Gather": _gather,
    "ReduceMax": _reduce_max,
    "Conv": _conv,
    "MaxPool": lambda b, w, n, a, at: _pool(b, w, n, a, at, "max"),
    "AveragePool": lambda b, w, n, a, at: _pool(b, w, n, a, at, "avg"),
    "GlobalAveragePool": lambda b, w, n, a, at: _pool(b, w, n, a, at, "global"),
    "BatchNormalization": _batchnorm,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Concat": _concat,
    "Transpose": _transpose,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Slice": _slice,
    "Identity": _identity,
    "Dropout": _identity,
    "Constant": _constant,
}


def network_from_onnx(path_or_model: Any, final: str | None = None) -> Network:
    """The tropnet :class:`Network` of an ONNX model (a path, bytes or ``onnx.ModelProto``).

    ``final="drop"`` converts the logits of a model ending in Sigmoid/Softmax/LogSoftmax.
    Raises ``ValueError`` for a file that is not ONNX or has no weights, ``TypeError``
    naming the node for unsupported operators.

    >>> import onnx
    >>> from onnx import helper, TensorProto
    >>> g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])])
    >>> network_from_onnx(helper.make_model(g))([-1.0, 2.0]).tolist()
    [0.0, 2.0]
    """
    if final not in (None, "drop"):
        raise ValueError(f"final must be None or 'drop', got {final!r}")
    model = _load(path_or_model)
    builder = _OnnxBuilder(model, final)
    try:
        return builder.run()
    except Refused as err:
        raise TypeError(str(err)) from None


# ---------------------------------------------------------------------- export
def network_to_onnx(
    net: Network, path: Any = None, *, opset: int = 13, dtype: str = "float64", lowered: bool = False
) -> onnx.ModelProto:
    """An ONNX model computing ``net`` on batches ``(N, n)``, one group of ONNX nodes per
    tropnet layer so that the file reads like the model: ``Gemm`` for ``Linear``, ``Relu``,
    ``Max`` with constants for thresholds, ``Mul`` + ``Max`` for leaky layers (``LeakyRelu``
    in float32), ``Reshape`` + ``ReduceMax`` for ``Maxout``, ``Reshape`` + ``MaxPool`` +
    ``Reshape`` for max-pools, and for graph layers (:class:`~tropnet.Residual`,
    :class:`~tropnet.Graph`) their nodes: ``Add`` (``Mul`` by constant coefficients),
    ``Concat``.  ONNX node names are tropnet's layer addresses and the operator
(``"2:Gemm"``, ``"1/f0:Gemm"`` for node ``f0`` of the graph layer 1).

    ``dtype="float64"`` (default) keeps every weight as it is (float32 would round); as
    onnxruntime has no float64 ``Conv`` nor ``AveragePool``, convolutions and average pools
    are then written as the ``Gemm`` of their matrix (still one node per layer).
    ``dtype="float32"`` writes ``Conv``/``AveragePool`` nodes, with weights rounded to
    float32 (exact for weights read from a float32 model).  Other layers are written
    through their lowered primitives.  ``lowered=True`` writes the lowered program of the
    whole network instead (:meth:`Network.lowered`).  Written to ``path`` when given.

    >>> from tropnet import random_mlp
    >>> model = network_to_onnx(random_mlp([2, 3, 1]))
    >>> [n.name for n in model.graph.node]
    ['0:Gemm', '1:Relu', '2:Gemm', 'output']
    """
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    w = _Writer(np.dtype(dtype))
    net = net.to_float()
    if lowered:
        low = net.lowered(passthrough=True).to_float()
        cur = "x"
        for pos, layer in enumerate(low.layers):
            cur = w.primitive(layer, cur, low.widths[pos], str(pos))
    else:
        cur = w.layers(net.layers, "x", net.input_dim, "")
    w.nodes.append(helper.make_node("Identity", [cur], ["y"], name="output"))
    elem = onnx.TensorProto.DOUBLE if dtype == "float64" else onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        w.nodes,
        "tropnet",
        [helper.make_tensor_value_info("x", elem, [None, net.input_dim])],
        [helper.make_tensor_value_info("y", elem, [None, net.output_dim])],
        w.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="tropnet")
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model


class _Writer:
    """ONNX nodes and initializers for tropnet layers, each named by its address."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.taken: set[str] = {"x", "y"}

    def fresh(self, base: str) -> str:
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def const(self, base: str, a: Any, dtype: Any = None) -> str:
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(a, dtype=dtype or self.dtype), name))
        return name

    def node(self, op: str, ins: list[str], where: str, **attrs: Any) -> str:
        out = self.fresh(where or op)
        self.nodes.append(helper.make_node(op, ins, [out], name=self.fresh(f"{where}:{op}"), **attrs))
        return out

    def layers(self, layers: Any, cur: str, width: int, prefix: str) -> str:
        for i, layer in enumerate(layers):
            cur = self.layer(layer, cur, width, f"{prefix}{i}")
            width = layer.out_features(width)
        return cur

    def layer(self, layer: Any, cur: str, width: int, where: str) -> str:
        from .conv import Flatten
        from .graph import Graph
        from .layers import Identity, Maxout

        if isinstance(layer, Graph):
            return self.graph(layer, cur, width, where)
        if isinstance(layer, (Flatten, Identity)):
            return cur
        if isinstance(layer, Maxout):
            m = width // layer.k
            shaped = self.node("Reshape", [cur, self.const("shape", [-1, m, layer.k], np.int64)], where)
            return self.node("ReduceMax", [shaped], where, axes=[2], keepdims=0)
        if isinstance(layer, MaxPool2d) or (self.dtype == np.float32 and isinstance(layer, AvgPool2d)):
            return self.pool(layer, cur, where)
        if self.dtype == np.float32 and isinstance(layer, (Conv1d, Conv2d)):
            return self.conv(layer, cur, where)
        if isinstance(layer, (Linear, Threshold, LeakyReLU, GroupMax)):
            return self.primitive(layer, cur, width, where)
        for p in layer.lower(width):  # anything else: its primitives
            cur = self.primitive(p, cur, width, where)
            width = p.out_features(width)
        return cur

    def graph(self, g: Any, cur: str, width: int, where: str) -> str:
        from .graph import INPUT, Add, Concat

        names, widths = {INPUT: cur}, g.widths(width)
        widths[INPUT] = width
        for name, op, ins in g.nodes:
            here = f"{where}/{name}"
            args = [names[u] for u in ins]
            if isinstance(op, Add):
                terms = []
                for a, c in zip(args, op.coefficients(len(args))):
                    terms.append(a if c == 1 else self.node("Mul", [a, self.const("c", [float(c)])], here))
                out = terms[0]
                for t in terms[1:]:
                    out = self.node("Add", [out, t], here)
                names[name] = out
            elif isinstance(op, Concat):
                names[name] = self.node("Concat", args, here, axis=1)
            else:
                names[name] = self.layer(op, args[0], widths[ins[0]], here)
        return names[g.output]

    def reshaped(self, cur: str, shape: tuple[int, ...], where: str) -> str:
        return self.node("Reshape", [cur, self.const("shape", [-1, *shape], np.int64)], where)

    def flat(self, cur: str, where: str) -> str:
        return self.node("Flatten", [cur], where, axis=1)

    def conv(self, layer: Any, cur: str, where: str) -> str:
        pads = [lo for lo, _ in layer.padding] + [hi for _, hi in layer.padding]
        ins = [self.reshaped(cur, layer.input_shape, where), self.const("W", layer.weight),
               self.const("B", layer.bias)]
        out = self.node("Conv", ins, where, kernel_shape=list(layer.weight.shape[2:]),
                        strides=list(layer.stride), pads=pads, dilations=list(layer.dilation),
                        group=int(layer.groups))
        return self.flat(out, where)

    def pool(self, layer: Any, cur: str, where: str) -> str:
        pads = [lo for lo, _ in layer.padding] + [hi for _, hi in layer.padding]
        x = self.reshaped(cur, layer.input_shape, where)
        attrs: dict[str, Any] = dict(kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
                                     pads=pads)
        if isinstance(layer, MaxPool2d):
            attrs["dilations"] = list(layer.dilation)
            out = self.node("MaxPool", [x], where, **attrs)
        else:
            attrs["count_include_pad"] = int(layer.count_include_pad)
            out = self.node("AveragePool", [x], where, **attrs)
        return self.flat(out, where)

    def primitive(self, layer: Any, cur: str, n: int, where: str) -> str:
        """One lowered primitive (``Linear``, ``Threshold``, ``LeakyReLU``, ``GroupMax``)."""
        if isinstance(layer, Linear):
            W, b = self.const("W", layer.float_weight), self.const("b", layer.float_bias)
            return self.node("Gemm", [cur, W, b], where, transB=1)
        if isinstance(layer, Threshold) and layer.units is None and not layer.per_unit and layer.t == 0:
            return self.node("Relu", [cur], where)
        if isinstance(layer, Threshold):  # max(z, t) with t = -inf off the units
            units = np.arange(n) if layer.units is None else layer.units
            lo = np.full(n, -np.inf)
            lo[units] = np.asarray(layer.t, dtype=np.float64)
            return self.node("Max", [cur, self.const("t", lo)], where)
        if isinstance(layer, LeakyReLU):
            if self.dtype == np.float32 and layer.units is None and not layer.per_unit:
                return self.node("LeakyRelu", [cur], where, alpha=float(layer.alpha))
            units = np.arange(n) if layer.units is None else layer.units
            a = np.ones(n)  # max(z, a z) with a = 1 (the identity) off the units
            a[units] = np.asarray(layer.alpha, dtype=np.float64)
            scaled = self.node("Mul", [cur, self.const("a", a)], where)
            return self.node("Max", [cur, scaled], where)
        if isinstance(layer, GroupMax):
            gathered = self.node("Gather", [cur, self.const("g", layer.groups, np.int64)], where, axis=1)
            return self.node("ReduceMax", [gathered], where, axes=[2], keepdims=0)
        raise TypeError(f"cannot export {layer!r}")  # pragma: no cover - lowered() yields primitives only
