"""PyTorch modules of any shape to tropnet networks, by tracing ``forward`` with torch.fx.

:func:`from_torch` is what :meth:`Network.from_torch` runs.  A plain ``nn.Sequential``
tree (every container exactly ``nn.Sequential``) is read layer by layer
(:func:`tropnet.networks.torch_bridge.network_from_torch`); anything else — a subclass of
``Sequential`` with its own ``forward``, a residual block, a concatenation — is traced
with ``torch.fx``, which records what ``forward`` really computes, and becomes a
:class:`~tropnet.Graph`.  Leaf modules go through the same converters
(:data:`~tropnet.networks.torch_bridge.FROM_TORCH`); the functions and tensor methods of
the table :data:`FX_FUNCTIONS` cover additions, subtractions, scaling by constants,
concatenation, reshapes, re-indexings (``x[:, 1:3]``, ``permute``, ``transpose``,
``squeeze``/``unsqueeze``) and the functional activations.

Nothing is converted silently wrong:

* a module with a forward (pre-)hook, and global forward hooks, are refused (a hook can
  change the output outside ``forward``);
* data-dependent control flow (an ``if`` on a tensor) makes tracing fail, and is refused;
* an unsupported or non-piecewise-linear node is refused with its name, the module path
  and the reason;
* after conversion the torch forward pass (float64) and the tropnet forward pass are
  compared at a few random points; a disagreement beyond float rounding is refused.

``final="drop"`` converts a classifier ending in ``Sigmoid``, ``Softmax`` or
``LogSoftmax`` (monotone: same decisions, same regions) to its logits, and the network's
repr says so.

Examples
--------
>>> import torch
>>> from torch import nn
>>> class Block(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc1, self.fc2 = nn.Linear(3, 4), nn.Linear(4, 3)
...     def forward(self, x):
...         return x + self.fc2(torch.relu(self.fc1(x)))
>>> net = from_torch(nn.Sequential(Block(), nn.Linear(3, 2), nn.Softmax(dim=1)), final="drop")
>>> net.widths, net.final
((3, 2), 'Softmax dropped: the network returns its input (the logits)')
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import torch
    import torch.fx
    from torch import nn
    from torch.nn import functional as F
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("the PyTorch bridge needs torch; install it with `pip install tropnet[torch]`") from err

from . import torch_bridge as TB
from .graph_builder import FINAL_NAMES, Batch, GraphBuilder, Refused, Value, clamp_layers
from .layers import ReLU
from .network import Network

__all__ = ["from_torch", "FX_FUNCTIONS", "FX_METHODS", "check_forward"]

Shape = tuple[int, ...]


_NOT_PL_FUNCTIONS = {
    torch.tanh: "tanh is smooth and curved",
    torch.exp: "exp is curved",
    torch.log: "log is curved",
    F.gelu: "GELU is smooth and curved",
    F.silu: "SiLU is smooth and curved",
    F.softplus: "softplus is curved everywhere",
    F.elu: "ELU is exponential for negative inputs",
    torch.abs: "abs is piecewise linear but not supported as a function (write relu(x) + relu(-x))",
}


# ---------------------------------------------------------------------- hooks
def _check_hooks(module: nn.Module) -> None:
    from torch.nn.modules import module as M

    for kind in ("_global_forward_hooks", "_global_forward_pre_hooks"):
        if getattr(M, kind, None):
            raise TypeError(
                "global forward hooks are registered (torch.nn.modules.module.register_module_forward_hook): "
                "a hook can change outputs outside forward(), so the module cannot be converted faithfully; "
                "remove them first"
            )
    for path, m in module.named_modules():
        for kind in ("_forward_hooks", "_forward_pre_hooks"):
            if getattr(m, kind, None):
                where = path or "the module"
                raise TypeError(
                    f"{where} ({type(m).__name__}) has a forward {'pre-' if 'pre' in kind else ''}hook: "
                    "a hook can change the output outside forward(), which from_torch does not follow; "
                    "remove the hook (handle.remove()) before converting"
                )


def _plain_sequential(module: nn.Module) -> bool:
    if type(module) is not nn.Sequential:
        return False
    return all(type(m) is nn.Sequential for m in module.modules() if list(m.children()))


# ---------------------------------------------------------------------- builder
class _ShapeOf:
    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape


def _numpy(v: Any) -> Any:
    return v.detach().cpu().to(torch.float64).numpy() if isinstance(v, torch.Tensor) else v


class _Builder(GraphBuilder):
    def __init__(self, gm: torch.fx.GraphModule, shape: Shape, final: str | None) -> None:
        super().__init__(shape, final)
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.table = TB._resolve_table()
        self.env: dict[str, Any] = {}

    def where(self, node: torch.fx.Node) -> str:
        stack = node.meta.get("nn_module_stack") or {}
        path = list(stack.values())[-1][0] if stack else ""
        target = (
            node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
        )
        loc = f" in module {path}" if path else ""
        return f"node {node.name} ({node.op} {target}){loc}"

    def tensor(self, node: torch.fx.Node, v: Any) -> Value:
        if not isinstance(v, Value):
            raise Refused(
                f"{self.where(node)}: expects a tensor computed from the input, got {type(v).__name__}"
            )
        return v

    def run(self) -> Network:
        out_node = None
        for node in self.gm.graph.nodes:
            if node.op == "output":
                out_node = node
                break
            self.env[node.name] = self.visit(node)
        return self.network(self.env_of(out_node.args[0]) if out_node is not None else None)

    def env_of(self, a: Any) -> Any:
        if isinstance(a, torch.fx.Node):
            return self.env[a.name]
        if isinstance(a, (list, tuple)):
            return type(a)(self.env_of(v) for v in a)
        return _numpy(a)

    def visit(self, node: torch.fx.Node) -> Any:
        if node.op == "placeholder":
            if any(isinstance(v, Value) for v in self.env.values()):
                raise Refused(
                    f"{self.where(node)}: forward() takes more than one tensor; tropnet networks take one"
                )
            return self.input()
        if node.op == "get_attr":
            obj: Any = self.gm
            for part in str(node.target).split("."):
                obj = getattr(obj, part)
            return _numpy(obj)
        args = self.env_of(node.args)
        kwargs = self.env_of(node.kwargs)
        if node.op == "call_module":
            return self.call_module(node, args, kwargs)
        table = FX_FUNCTIONS if node.op == "call_function" else FX_METHODS
        fn = table.get(node.target)
        if fn is None:
            return self.unsupported(node, node.target)
        return fn(self, node, *args, **kwargs)

    def unsupported(self, node: torch.fx.Node, target: Any) -> Any:
        if target in _NOT_PL_FUNCTIONS:
            raise Refused(f"{self.where(node)}: has no tropical form: {_NOT_PL_FUNCTIONS[target]}")
        raise Refused(
            f"{self.where(node)}: is not supported by from_torch (supported functions: +, -, * and / by "
            "constants, cat, flatten/view/reshape, x[:, ...] slices, permute/transpose, (un)squeeze, relu, "
            "leaky_relu, hardtanh, relu6, clamp, max_pool2d, avg_pool2d)"
        )

    def call_module(self, node: torch.fx.Node, args: Any, kwargs: Any) -> Any:
        path = str(node.target)
        m = self.modules[path]
        x = self.tensor(node, args[0])
        if len(args) != 1 or kwargs:
            raise Refused(f"{self.where(node)}: a module call with more than one argument")
        name = type(m).__name__
        if name in FINAL_NAMES and getattr(nn, name, None) is type(m):
            return self.final_op(node, x, name)
        fn = TB._converter(self.table, m, path)
        try:
            layers, shape = fn(m, x.shape, path)
        except (ValueError, TypeError) as err:
            msg = str(err)
            raise type(err)(msg if msg.startswith(path) else f"layer {path} ({name}): {msg}") from None
        return self.chain(node.name, layers, x, shape)

    def final_op(self, node: torch.fx.Node, x: Value, name: str) -> Value:
        users = list(node.users)
        return self.drop_final(self.where(node), x, name, len(users) == 1 and users[0].op == "output")


# ---------------------------------------------------------------------- functions
Fn = Callable[..., Any]


def _add(b: _Builder, node: torch.fx.Node, x: Any, y: Any, alpha: Any = 1) -> Value:
    if alpha != 1:
        y = b.affine(node.name, y, float(alpha), 0.0) if isinstance(y, Value) else y * alpha
    return _named(b, node, b.binary, x, y, 1.0)


def _sub(b: _Builder, node: torch.fx.Node, x: Any, y: Any, alpha: Any = 1) -> Value:
    if alpha != 1:
        y = b.affine(node.name, y, float(alpha), 0.0) if isinstance(y, Value) else y * alpha
    return _named(b, node, b.binary, x, y, -1.0)


def _named(b: _Builder, node: torch.fx.Node, method: Fn, *args: Any) -> Any:
    """Run a builder method under the node's name; its refusals name the node's place."""
    try:
        return method(node.name, *args)
    except Refused as err:
        raise Refused(str(err).replace(f"{node.name}:", f"{b.where(node)}:", 1)) from None


def _mul(b: _Builder, node: torch.fx.Node, x: Any, y: Any) -> Value:
    return _named(b, node, b.scale, x, y, False)


def _div(b: _Builder, node: torch.fx.Node, x: Any, y: Any) -> Value:
    return _named(b, node, b.scale, x, y, True)


def _neg(b: _Builder, node: torch.fx.Node, x: Any) -> Value:
    return b.affine(node.name, b.tensor(node, x), -1.0, 0.0)


def _same(b: _Builder, node: torch.fx.Node, x: Any, *args: Any, **kwargs: Any) -> Value:
    return b.tensor(node, x)


def _cat(b: _Builder, node: torch.fx.Node, tensors: Any, dim: int = 0, **kw: Any) -> Value:
    return _named(b, node, b.concat, [b.tensor(node, t) for t in tensors], kw.get("axis", dim))


def _flatten(b: _Builder, node: torch.fx.Node, x: Any, start_dim: int = 0, end_dim: int = -1) -> Value:
    t = b.tensor(node, x)
    if start_dim != 1 or end_dim != -1:
        raise Refused(f"{b.where(node)}: flatten({start_dim}, {end_dim}); only flatten(x, 1) is supported")
    return Value(t.name, (t.size,))


def _reshape(b: _Builder, node: torch.fx.Node, x: Any, *shape: Any) -> Value:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if shape and shape[0] in (0, 1) and not isinstance(shape[0], Batch):
        raise Refused(f"{b.where(node)}: reshape to {shape}: the first dimension must stay the batch")
    return _named(b, node, b.reshape, b.tensor(node, x), shape)


def _size(b: _Builder, node: torch.fx.Node, x: Any, dim: Any = None) -> Any:
    t = b.tensor(node, x)
    if dim is None:
        return _ShapeOf(t.shape)
    return Batch() if dim == 0 else t.shape[dim - 1 if dim > 0 else dim]


def _getattr(b: _Builder, node: torch.fx.Node, x: Any, name: str) -> Any:
    if name == "shape" and isinstance(x, Value):
        return _ShapeOf(x.shape)
    raise Refused(f"{b.where(node)}: reads the attribute {name!r} of a traced value")


def _getitem(b: _Builder, node: torch.fx.Node, x: Any, key: Any) -> Any:
    if isinstance(x, _ShapeOf) and isinstance(key, int):
        return Batch() if key == 0 else x.shape[key - 1 if key > 0 else key]
    t = b.tensor(node, x)
    key = key if isinstance(key, tuple) else (key,)
    if any(k is Ellipsis for k in key):
        i = key.index(Ellipsis)
        fill = len(t.shape) + 1 - (len(key) - 1 - sum(k is None for k in key))
        key = key[:i] + (slice(None),) * fill + key[i + 1 :]
    basic = all(isinstance(k, (int, slice)) or k is None for k in key)
    if not basic or not key or key[0] != slice(None) or any(
        isinstance(k, slice) and not all(v is None or isinstance(v, int) for v in (k.start, k.stop, k.step))
        for k in key
    ):
        raise Refused(
            f"{b.where(node)}: indexes a tensor by {key!r}; only constant ints and slices of the per-sample "
            "axes (x[:, ...]) are supported"
        )
    idx = np.arange(t.size).reshape(t.shape)[key[1:]]
    return _named(b, node, b.select, t, idx)


def _permute(b: _Builder, node: torch.fx.Node, x: Any, *dims: Any) -> Value:
    t = b.tensor(node, x)
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    nd = len(t.shape) + 1
    perm = [int(d) % nd for d in dims]
    if sorted(perm) != list(range(nd)) or perm[0] != 0:
        raise Refused(f"{b.where(node)}: permute{tuple(dims)} must keep the batch axis first")
    idx = np.arange(t.size).reshape(t.shape).transpose([d - 1 for d in perm[1:]])
    return _named(b, node, b.select, t, idx)


def _transpose(b: _Builder, node: torch.fx.Node, x: Any, d0: int, d1: int) -> Value:
    nd = len(b.tensor(node, x).shape) + 1
    perm = list(range(nd))
    perm[d0 % nd], perm[d1 % nd] = perm[d1 % nd], perm[d0 % nd]
    return _permute(b, node, x, perm)


def _unsqueeze(b: _Builder, node: torch.fx.Node, x: Any, dim: int) -> Value:
    t = b.tensor(node, x)
    d = dim % (len(t.shape) + 2)
    if d == 0:
        raise Refused(f"{b.where(node)}: unsqueeze({dim}) puts an axis before the batch")
    return Value(t.name, t.shape[: d - 1] + (1,) + t.shape[d - 1 :])


def _squeeze(b: _Builder, node: torch.fx.Node, x: Any, dim: Any = None) -> Value:
    t = b.tensor(node, x)
    nd = len(t.shape) + 1
    given = dim if isinstance(dim, (tuple, list)) else [dim]
    dims = range(1, nd) if dim is None else [d % nd for d in given]
    if 0 in dims:
        raise Refused(f"{b.where(node)}: squeeze({dim}) of the batch axis")
    drop = {d for d in dims if t.shape[d - 1] == 1}
    keep = tuple(v for i, v in enumerate(t.shape) if i + 1 not in drop)
    return Value(t.name, keep or (1,))


def _module_fn(make: Fn) -> Fn:
    """A functional form through the converter of the equivalent ``torch.nn`` module."""

    def convert(b: _Builder, node: torch.fx.Node, x: Any, *args: Any, **kwargs: Any) -> Value:
        t = b.tensor(node, x)
        try:
            m = make(*args, **kwargs)
        except TypeError as err:
            raise Refused(f"{b.where(node)}: unsupported arguments: {err}") from None
        layers, shape = TB._converter(b.table, m, node.name)(m, t.shape, node.name)
        return b.chain(node.name, layers, t, shape)

    return convert


def _clamp(b: _Builder, node: torch.fx.Node, x: Any, min: Any = None, max: Any = None) -> Value:  # noqa: A002
    t = b.tensor(node, x)
    if isinstance(min, Value) or isinstance(max, Value):
        raise Refused(f"{b.where(node)}: clamps to bounds that depend on the input")
    return b.chain(node.name, clamp_layers(t.size, min, max), t, t.shape)


def _relu(b: _Builder, node: torch.fx.Node, x: Any, inplace: bool = False) -> Value:
    t = b.tensor(node, x)
    return b.chain(node.name, [ReLU()], t, t.shape)


def _leaky(
    b: _Builder, node: torch.fx.Node, x: Any, negative_slope: float = 0.01, inplace: bool = False
) -> Value:
    return _module_fn(lambda: nn.LeakyReLU(negative_slope))(b, node, x)


def _final_fn(name: str) -> Fn:
    def convert(b: _Builder, node: torch.fx.Node, x: Any, *args: Any, **kwargs: Any) -> Value:
        return b.final_op(node, b.tensor(node, x), name)

    return convert


def _dropout(b: _Builder, node: torch.fx.Node, x: Any, *args: Any, **kw: Any) -> Value:
    return b.tensor(node, x)


#: ``torch.fx`` call_function targets -> converter ``(builder, node, *args, **kwargs)``.
FX_FUNCTIONS: dict[Any, Fn] = {
    operator.add: _add,
    operator.iadd: _add,
    torch.add: _add,
    operator.sub: _sub,
    operator.isub: _sub,
    torch.sub: _sub,
    operator.mul: _mul,
    torch.mul: _mul,
    operator.truediv: _div,
    torch.div: _div,
    operator.neg: _neg,
    torch.neg: _neg,
    operator.getitem: _getitem,
    getattr: _getattr,
    torch.cat: _cat,
    torch.concat: _cat,
    torch.flatten: _flatten,
    torch.reshape: _reshape,
    torch.permute: _permute,
    torch.transpose: _transpose,
    torch.unsqueeze: _unsqueeze,
    torch.squeeze: _squeeze,
    torch.relu: _relu,
    F.relu: _relu,
    F.leaky_relu: _leaky,
    F.relu6: _module_fn(lambda inplace=False: nn.ReLU6()),
    F.hardtanh: _module_fn(lambda min_val=-1.0, max_val=1.0, inplace=False: nn.Hardtanh(min_val, max_val)),
    torch.clamp: _clamp,
    torch.clip: _clamp,
    F.max_pool2d: _module_fn(nn.MaxPool2d),
    F.avg_pool2d: _module_fn(nn.AvgPool2d),
    F.dropout: _dropout,
    torch.sigmoid: _final_fn("Sigmoid"),
    F.sigmoid: _final_fn("Sigmoid"),
    torch.softmax: _final_fn("Softmax"),
    F.softmax: _final_fn("Softmax"),
    torch.log_softmax: _final_fn("LogSoftmax"),
    F.log_softmax: _final_fn("LogSoftmax"),
}

#: ``torch.fx`` call_method names -> converter.
FX_METHODS: dict[str, Fn] = {
    "add": _add,
    "add_": _add,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "neg": _neg,
    "relu": _relu,
    "relu_": _relu,
    "clamp": _clamp,
    "clip": _clamp,
    "flatten": lambda b, node, x, start_dim=0, end_dim=-1: _flatten(b, node, x, start_dim, end_dim),
    "view": _reshape,
    "reshape": _reshape,
    "permute": _permute,
    "transpose": _transpose,
    "unsqueeze": _unsqueeze,
    "squeeze": _squeeze,
    "size": _size,
    "contiguous": _same,
    "clone": _same,
    "detach": _same,
    "sigmoid": _final_fn("Sigmoid"),
    "softmax": _final_fn("Softmax"),
    "log_softmax": _final_fn("LogSoftmax"),
}


# ---------------------------------------------------------------------- tracing
class _Tracer(torch.fx.Tracer):
    """torch.nn modules and the modules registered in FROM_TORCH are leaves."""

    def __init__(self, table: dict[type, Any]) -> None:
        super().__init__()
        self.table = table

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if type(m) in self.table:
            return True
        if isinstance(m, nn.Sequential):
            return False
        return super().is_leaf_module(m, qualname)


def _trace(module: nn.Module) -> torch.fx.GraphModule:
    tracer = _Tracer(TB._resolve_table())
    try:
        graph = tracer.trace(module)
    except Exception as err:  # torch.fx raises TraceError, TypeError, NotImplementedError, ...
        raise TypeError(
            f"cannot trace the forward() of {type(module).__name__} with torch.fx: "
            f"{type(err).__name__}: {err}. "
            "Data-dependent control flow (an if/loop on tensor values) and other dynamic code cannot be "
            "converted to a fixed piecewise-linear network"
        ) from None
    return torch.fx.GraphModule(tracer.root, graph)


def _shape_arg(input_shape: Any) -> Shape | None:
    if input_shape is None:
        return None
    shape = (
        (int(input_shape),)
        if isinstance(input_shape, (int, np.integer))
        else tuple(int(s) for s in input_shape)
    )
    if not shape or min(shape) < 1:
        raise ValueError(f"input_shape must be positive integers, got {input_shape!r}")
    return shape


def _infer_fx_shape(gm: torch.fx.GraphModule) -> Shape:
    mods = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op == "call_module":
            m = mods[str(node.target)]
            if isinstance(m, nn.Linear):
                return (int(m.in_features),)
            if isinstance(m, nn.BatchNorm1d):
                return (int(m.num_features),)
            break
    raise ValueError("cannot infer the input shape from the traced module; pass input_shape=...")


def from_torch(
    module: Any, input_shape: Any = None, final: str | None = None, *, check: bool = True
) -> Network:
    """The tropnet :class:`Network` of a torch module (see the module docstring).

    Parameters
    ----------
    module
        A ``torch.nn.Module`` built from piecewise-linear operations.
    input_shape
        Shape of one sample; inferred from the first ``Linear``/``BatchNorm1d`` if omitted.
    final
        ``None`` (refuse a final ``Sigmoid``/``Softmax``/``LogSoftmax``) or ``"drop"``
        (convert the logits before it; the result's ``final`` and repr say so).
    check
        Compare the two forward passes at a few points (default True).

    >>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    >>> from_torch(m).widths
    (2, 2, 2)
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    if final not in (None, "drop"):
        raise ValueError(f"final must be None or 'drop', got {final!r}")
    _check_hooks(module)
    shape = _shape_arg(input_shape)
    dropped = None
    if _plain_sequential(module) or type(module) in TB._resolve_table():
        leaves = TB._leaves(module, "")
        last_path, last = leaves[-1] if leaves else ("", None)
        kept = module
        last_name = type(last).__name__
        if last is not None and last_name in FINAL_NAMES and getattr(nn, last_name) is type(last):
            if final != "drop":
                raise TypeError(
                    f"layer {last_path} ({type(last).__name__}) has no tropical form; it is monotone, so "
                    "pass final='drop' to convert the logits before it"
                )
            dropped = type(last).__name__
            kept = nn.Sequential(*[m for _, m in leaves[:-1]])
        net = TB.network_from_torch(kept, input_shape=shape)
        reference: Callable[[Any], Any] = kept
    else:
        gm = _trace(module)
        shape = shape or _infer_fx_shape(gm)
        builder = _Builder(gm, shape, final)
        try:
            net = builder.run()
        except Refused as err:
            raise TypeError(str(err)) from None
        dropped = builder.dropped
        reference = _without_final(gm) if dropped else gm
    if dropped and net.final is None:
        net = Network(
            net.layers, net.input_dim, final=f"{dropped} dropped: the network returns its input (the logits)"
        )
    if check:
        check_forward(net, reference, shape or (net.input_dim,), original=module)
    return net


def _without_final(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    gm = copy.deepcopy(gm)
    out = next(n for n in gm.graph.nodes if n.op == "output")
    last = out.args[0]
    out.args = (last.args[0],)
    gm.graph.erase_node(last)
    gm.recompile()
    return gm


def check_forward(net: Network, module: Any, shape: Shape, *, original: Any = None, points: int = 8) -> None:
    """Compare ``net`` with the torch ``module`` (run in float64, eval mode) at a few seeded
    random points; ``ValueError`` when they disagree beyond float rounding.

    >>> m = nn.Linear(2, 1)
    >>> check_forward(Network.from_torch(m), m, (2,))        # silent: they agree
    >>> try:
    ...     check_forward(Network.from_torch(m), nn.Linear(2, 1), (2,))
    ... except ValueError as err:
    ...     print(str(err)[:56])
    the converted network disagrees with the torch module's
    """
    try:
        ref = copy.deepcopy(module).to(torch.float64).eval()
    except Exception:  # pragma: no cover - a module that cannot be copied: run it as it is
        ref = module
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((points, *shape), generator=gen, dtype=torch.float64)
    x = torch.cat([x, 10 * x[: points // 2]])
    with torch.no_grad():
        try:
            want = ref(x)
        except Exception as err:
            raise ValueError(
                f"cannot run the torch module on inputs of shape {tuple(x.shape)} to check the conversion: "
                f"{err}; "
                "pass the right input_shape=..."
            ) from None
    want = want.detach().to(torch.float64).reshape(len(x), -1).numpy()
    got = np.asarray(net(x.reshape(len(x), -1).numpy()), dtype=np.float64)
    if got.shape != want.shape:
        raise ValueError(
            f"the converted network has {got.shape[1]} outputs but the torch module {want.shape[1]}; "
            "not converted"
        )
    scale = 1.0 + float(np.abs(want).max(initial=0.0))
    err = float(np.abs(got - want).max(initial=0.0))
    if not err <= 1e-7 * scale:
        name = type(original if original is not None else module).__name__
        raise ValueError(
            f"the converted network disagrees with the torch module's forward pass (max difference {err:.3g} "
            f"on outputs of size {scale - 1:.3g}) for {name}; something in forward() was not converted "
            "faithfully, so the conversion is refused"
        )
