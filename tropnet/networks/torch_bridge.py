"""PyTorch bridge: ``torch.nn.Sequential`` trees to :class:`Network` and back.

torch is an optional extra; it is imported here and nowhere else, and this module is
imported only when :meth:`Network.from_torch` / :meth:`Network.to_torch` are called.

**Registration point.**  :func:`network_from_torch` walks the (nested) ``Sequential`` and
dispatches every leaf module on its exact class through the table :data:`FROM_TORCH`;
:func:`network_to_torch` dispatches every tropnet layer on its class through
:data:`TO_TORCH` and falls back to the layer's primitive lowering.  To support a new
module (the convolution layers register ``Conv1d``, ``Conv2d``, the 2D pools and
``BatchNorm2d`` this way), add an entry to the tables below, keyed by the name of a
``torch.nn`` class (or by the class itself)::

    FROM_TORCH["Conv2d"] = conv2d_from_torch        # (module, shape, path) -> (layers, shape)
    TO_TORCH[Conv2d] = conv2d_to_torch              # (layer, in_features) -> torch module

``shape`` is the feature shape of one sample, without the batch axis: ``(n,)`` for flat
features, ``(C, L)`` after a 1D convolution, ``(C, H, W)`` after a 2D one; tropnet
networks act on the flattened vector (row-major, channel first, as ``torch.flatten``).

Examples
--------
>>> import torch
>>> m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
>>> net = network_from_torch(m)
>>> net.widths
(2, 3, 3, 1)
>>> x = torch.randn(5, 2, dtype=torch.float64)
>>> bool(np.allclose(net(x.numpy()), m.double()(x).detach().numpy()))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the PyTorch bridge needs torch; install it with `pip install tropnet[torch]`"
    ) from err

from . import conv as _conv
from .graph_builder import two_relu as _two_relu
from .layers import GroupMax, Identity, Layer, LeakyReLU, Linear, Maxout, MaxPool1d, ReLU, Threshold
from .network import Network

__all__ = [
    "network_from_torch",
    "network_to_torch",
    "TorchGroupMax",
    "TorchUnitActivation",
    "FROM_TORCH",
    "TO_TORCH",
]

Shape = tuple[int, ...]
FromTorch = Callable[[Any, Shape, str], tuple[list[Layer], Shape]]
ToTorch = Callable[[Layer, int], Any]


class TorchGroupMax(nn.Module):
    """The torch module of :class:`~tropnet.networks.layers.GroupMax` (``to_torch`` output).

    Output ``i`` is the maximum of the inputs ``groups[i, :]`` along the last axis.

    >>> TorchGroupMax([[0, 2], [1, 2]])(torch.tensor([[1.0, 4.0, 3.0]]))
    tensor([[3., 4.]])
    """

    def __init__(self, groups: Any, in_features: int | None = None) -> None:
        super().__init__()
        g = torch.tensor(np.array(groups, dtype=np.int64))
        self.register_buffer("groups", g)
        self.in_features = int(g.max()) + 1 if in_features is None else int(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., self.groups].amax(dim=-1)

    def extra_repr(self) -> str:
        return f"{tuple(self.groups.shape)} groups, in_features={self.in_features}"


# ---------------------------------------------------------------- torch -> tropnet


class TorchUnitActivation(nn.Module):
    """``max(z, t)`` (``kind="threshold"``) or ``max(z, a z)`` (``kind="leaky"``) on the units
    ``units`` (all when ``None``) with one parameter or one per unit; the rest pass through.

    >>> TorchUnitActivation("threshold", [1.0], [1])(torch.tensor([[-1.0, -2.0]]))
    tensor([[-1.,  1.]])
    """

    def __init__(self, kind: str, param: Any, units: Any = None) -> None:
        super().__init__()
        self.kind = kind
        self.register_buffer("param", torch.tensor(np.asarray(param, dtype=np.float64)))
        self.register_buffer("units", None if units is None else torch.tensor(np.array(units, np.int64)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sub = x if self.units is None else x[:, self.units]
        p = self.param.to(x.dtype)
        y = torch.maximum(sub, p.expand_as(sub)) if self.kind == "threshold" else torch.maximum(sub, p * sub)
        if self.units is None:
            return y
        out = x.clone()
        out[:, self.units] = y
        return out

    def extra_repr(self) -> str:
        return f"{self.kind}, units={'all' if self.units is None else len(self.units)}"


class _ConversionError(Exception):
    pass


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float64).numpy().copy()


def _flat(shape: Shape) -> int:
    return int(math.prod(shape))


def _from_linear(m: nn.Linear, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    if len(shape) != 1:
        raise ValueError(
            f"{path} (Linear) receives features of shape {shape}; tropnet networks are flat: "
            "put an nn.Flatten() before it"
        )
    if shape[0] != m.in_features:
        raise ValueError(f"{path} (Linear) expects {m.in_features} inputs, but receives {shape[0]}")
    w = _numpy(m.weight)
    b = _numpy(m.bias) if m.bias is not None else np.zeros(w.shape[0])
    return [Linear(w, b)], (w.shape[0],)


def _elementwise(layer: Layer) -> FromTorch:
    def convert(m: Any, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
        return [layer], shape

    return convert


def _nothing(m: Any, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    return [], shape


def _from_leaky_relu(m: nn.LeakyReLU, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    a = float(m.negative_slope)
    if not 0 <= a < 1:
        raise ValueError(
            f"{path} (LeakyReLU) has negative_slope {a}; max(z, a z) is convex and tropical only "
            "for 0 <= a < 1"
        )
    return [LeakyReLU(a)], shape


def _from_prelu(m: nn.PReLU, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    w = _numpy(m.weight)
    if w.size != 1:
        raise ValueError(
            f"{path} (PReLU) has {w.size} slopes (one per channel); only a single shared slope "
            "converts (to LeakyReLU)"
        )
    a = float(w[0])
    if not 0 <= a < 1:
        raise ValueError(f"{path} (PReLU) has slope {a}; max(z, a z) is tropical only for 0 <= a < 1")
    return [LeakyReLU(a)], shape


def _from_threshold(m: nn.Threshold, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    if float(m.threshold) != float(m.value):
        raise ValueError(
            f"{path} (Threshold) has threshold {m.threshold} != value {m.value}: the map jumps at the "
            "threshold, and a discontinuous map has no tropical form (only value == threshold, "
            "i.e. max(z, t), converts)"
        )
    return [Threshold(float(m.threshold))], shape


def _from_hardtanh(m: nn.Hardtanh, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    lo, hi = float(m.min_val), float(m.max_val)
    if not lo < hi:
        raise ValueError(f"{path} (Hardtanh) needs min_val < max_val, got {lo}, {hi}")
    return _two_relu(shape, lo, hi, inner=True), shape


def _from_softshrink(m: nn.Softshrink, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    lam = float(m.lambd)
    return _two_relu(shape, -lam, lam, inner=False), shape


def _from_flatten(m: nn.Flatten, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    if m.start_dim != 1 or m.end_dim != -1:
        raise ValueError(
            f"{path} (Flatten) has start_dim={m.start_dim}, end_dim={m.end_dim}; only the default "
            "Flatten(1, -1) of the whole sample converts"
        )
    return [], (_flat(shape),)


def _batchnorm_affine(m: Any, path: str) -> tuple[np.ndarray, np.ndarray]:
    """The per-channel scale ``s`` and shift ``c`` of an eval-mode batch norm: ``y = s x + c``."""
    name = type(m).__name__
    if m.training:
        raise ValueError(
            f"{path} ({name}) is in training mode: it normalises with the statistics of each "
            "batch, so its output is not a fixed function of one input; call module.eval() first"
        )
    if m.running_mean is None or m.running_var is None:
        raise ValueError(
            f"{path} ({name}) has track_running_stats=False: it always normalises with batch "
            "statistics, so it is not a fixed function of one input"
        )
    s = 1.0 / np.sqrt(_numpy(m.running_var) + float(m.eps))
    c = -_numpy(m.running_mean) * s
    if m.weight is not None:
        gamma = _numpy(m.weight)
        s, c = s * gamma, c * gamma
    if m.bias is not None:
        c = c + _numpy(m.bias)
    return s, c


def _from_batchnorm1d(m: nn.BatchNorm1d, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    s, c = _batchnorm_affine(m, path)
    if shape[0] != s.size or len(shape) > 2:
        raise ValueError(f"{path} (BatchNorm1d) has {s.size} channels but receives features of shape {shape}")
    reps = shape[1] if len(shape) == 2 else 1
    s, c = np.repeat(s, reps), np.repeat(c, reps)
    return [_FoldableScale(s, c)], shape


def _pool_windows(n: int, k: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> np.ndarray:
    """Index windows of torch's max-pool over an axis of length ``n`` (padding never wins a
    max, so out-of-range taps are replaced by a repeated in-range index)."""
    span = dilation * (k - 1) + 1
    num = (n + 2 * pad - span) / stride + 1
    out = math.ceil(num) if ceil_mode else math.floor(num)
    if ceil_mode and (out - 1) * stride >= n + pad:
        out -= 1
    if out < 1:
        raise ValueError(f"max-pool window {span} (with padding {pad}) is wider than its {n} inputs")
    idx = np.arange(out)[:, None] * stride - pad + dilation * np.arange(k)[None, :]
    valid = (idx >= 0) & (idx < n)
    first_valid = np.take_along_axis(idx, valid.argmax(axis=1)[:, None], axis=1)
    return np.where(valid, idx, first_valid)


def _from_maxpool1d(m: nn.MaxPool1d, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    if m.return_indices:
        raise ValueError(f"{path} (MaxPool1d) has return_indices=True; a network returns values only")

    def one(v: Any) -> int:
        return int(v[0] if isinstance(v, (tuple, list)) else v)

    k, stride = one(m.kernel_size), one(m.stride if m.stride is not None else m.kernel_size)
    pad, dil = one(m.padding), one(m.dilation)
    if len(shape) > 2:
        raise ValueError(f"{path} (MaxPool1d) receives features of shape {shape}; it needs (L,) or (C, L)")
    channels, length = (1, shape[0]) if len(shape) == 1 else shape
    try:
        win = _pool_windows(length, k, stride, pad, dil, bool(m.ceil_mode))
    except ValueError as err:
        raise ValueError(f"{path} (MaxPool1d): {err}") from None
    out_len = win.shape[0]
    if len(shape) == 1 and pad == 0 and dil == 1 and MaxPool1d(k, stride).out_features(length) == out_len:
        return [MaxPool1d(k, stride)], (out_len,)
    groups = (np.arange(channels)[:, None, None] * length + win[None]).reshape(-1, k)
    new_shape = (out_len,) if len(shape) == 1 else (channels, out_len)
    return [GroupMax(groups, _flat(shape))], new_shape


def _from_group_max(m: TorchGroupMax, shape: Shape, path: str) -> tuple[list[Layer], Shape]:
    if len(shape) != 1:
        raise ValueError(f"{path} (TorchGroupMax) needs flat features, got shape {shape}")
    g = m.groups.cpu().numpy()
    return [GroupMax(g, shape[0])], (g.shape[0],)


#: torch module (a ``torch.nn`` class name, or a class) -> converter ``(module, shape, path)
#: -> (tropnet layers, new feature shape)``.  Register new torch modules here.
FROM_TORCH: dict[str | type, FromTorch] = {
    "Linear": _from_linear,
    "ReLU": _elementwise(ReLU()),
    "LeakyReLU": _from_leaky_relu,
    "PReLU": _from_prelu,
    "Threshold": _from_threshold,
    "Hardtanh": _from_hardtanh,
    "ReLU6": _from_hardtanh,
    "Softshrink": _from_softshrink,
    "Identity": _nothing,
    "Flatten": _from_flatten,
    "Dropout": _nothing,
    "Dropout1d": _nothing,
    "Dropout2d": _nothing,
    "Dropout3d": _nothing,
    "AlphaDropout": _nothing,
    "FeatureAlphaDropout": _nothing,
    "BatchNorm1d": _from_batchnorm1d,
    "MaxPool1d": _from_maxpool1d,
    TorchGroupMax: _from_group_max,
}

# convolutions, 2D pools and BatchNorm2d (tropnet.networks.conv)
FROM_TORCH.update(
    {
        "Conv1d": _conv.conv_from_torch,
        "Conv2d": _conv.conv_from_torch,
        "MaxPool2d": _conv.pool2d_from_torch,
        "AvgPool2d": _conv.pool2d_from_torch,
        "Unflatten": _conv.unflatten_from_torch,
        "BatchNorm2d": lambda m, shape, path: _conv.batchnorm2d_from_affine(
            *_batchnorm_affine(m, path), shape, path
        ),
    }
)

#: Modules that are not piecewise linear (or not continuous), with the reason given to users.
_NOT_PIECEWISE_LINEAR = {
    "Sigmoid": "the logistic function is smooth and curved",
    "Tanh": "tanh is smooth and curved",
    "GELU": "GELU (x times a Gaussian CDF) is smooth and curved",
    "SiLU": "SiLU (x times a sigmoid) is smooth and curved",
    "Softplus": "softplus log(1 + e^x) is a smooth approximation of ReLU, curved everywhere",
    "ELU": "ELU is exponential for negative inputs",
    "SELU": "SELU is exponential for negative inputs",
    "CELU": "CELU is exponential for negative inputs",
    "Mish": "Mish is smooth and curved",
    "Softmax": "softmax divides exponentials",
    "Softmin": "softmin divides exponentials",
    "LogSoftmax": "log-softmax is a smooth log-sum-exp",
    "LogSigmoid": "log-sigmoid is smooth and curved",
    "Softsign": "softsign x / (1 + |x|) is a rational, curved map",
    "Tanhshrink": "x - tanh(x) is curved",
    "Hardswish": "hardswish is quadratic on its middle piece",
    "Hardsigmoid": "hardsigmoid is piecewise linear but not yet supported (use Hardtanh)",
    "Hardshrink": "hardshrink jumps at +-lambda (discontinuous)",
    "RReLU": "RReLU draws a random slope",
    "GLU": "GLU multiplies two halves of its input",
    "LayerNorm": "layer norm divides by the input's own standard deviation",
    "GroupNorm": "group norm divides by the input's own standard deviation",
    "RMSNorm": "RMS norm divides by the input's own norm",
    "AvgPool1d": "average pooling is linear but not yet supported",
}


def _resolve_table() -> dict[type, FromTorch]:
    table: dict[type, FromTorch] = {}
    for key, fn in FROM_TORCH.items():
        cls = getattr(nn, key, None) if isinstance(key, str) else key
        if cls is not None:
            table[cls] = fn
    return table


def _leaves(module: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(module, nn.Sequential):
        out: list[tuple[str, Any]] = []
        for name, child in module.named_children():
            out.extend(_leaves(child, f"{path}.{name}" if path else name))
        return out
    return [(path or "module", module)]


def _not_sequential(m: Any, path: str) -> TypeError:
    name = type(m).__name__
    return TypeError(
        f"{path} ({name}) is not a torch.nn.Sequential: from_torch reads the order of layers only "
        f"from Sequential trees, and a {name} runs its children in an order (or with branches) that "
        "its own forward() decides; rewrite it as nn.Sequential(...)"
    )


#: Modules that keep the width, skipped when the input width is inferred.
_WIDTH_PRESERVING = {"ReLU", "LeakyReLU", "PReLU", "Threshold", "Hardtanh", "ReLU6", "Softshrink", "Identity"}


def _infer_shape(leaves: list[tuple[str, Any]]) -> Shape:
    for _, m in leaves:
        if isinstance(m, nn.Linear):
            return (int(m.in_features),)
        if isinstance(m, nn.BatchNorm1d):
            return (int(m.num_features),)
        name = type(m).__name__
        if not (name in _WIDTH_PRESERVING or name.endswith("Dropout") or name.startswith("Dropout")):
            break
    raise ValueError(
        "cannot infer the input width (the first module that fixes it is not a Linear or BatchNorm1d); "
        "pass input_shape=..."
    )


def _converter(table: dict[type, FromTorch], m: Any, path: str) -> FromTorch:
    fn = table.get(type(m))
    if fn is not None:
        return fn
    name = type(m).__name__
    if name in _NOT_PIECEWISE_LINEAR and getattr(nn, name, None) is type(m):
        raise TypeError(
            f"layer {path} ({name}) has no tropical form: {_NOT_PIECEWISE_LINEAR[name]}. "
            "A network is a tropical rational map (a difference of two max-plus polynomials) "
            "only when every layer is piecewise linear; replace it by ReLU, LeakyReLU, Hardtanh "
            "or a max-pool"
        )
    if isinstance(m, (nn.ModuleList, nn.ModuleDict)) or list(m.children()):
        raise _not_sequential(m, path)
    raise TypeError(
        f"layer {path} ({name}) is not supported by from_torch; supported modules: "
        + ", ".join(k if isinstance(k, str) else k.__name__ for k in FROM_TORCH)
    )


def network_from_torch(module: Any, input_shape: Shape | int | None = None) -> Network:
    """The tropnet :class:`Network` of a ``torch.nn.Sequential`` (nested ``Sequential`` allowed).

    Supported: ``Linear``, ``ReLU``, ``LeakyReLU``, ``PReLU`` (one slope), ``Threshold``
    (value == threshold), ``Hardtanh``/``ReLU6``/``Softshrink`` (as two ReLUs per unit),
    ``Identity``, ``Flatten``, ``Dropout`` (ignored), ``BatchNorm1d`` in eval mode (folded into
    the neighbouring ``Linear``), ``MaxPool1d``.  Parameters become float64.

    Parameters
    ----------
    module
        A ``torch.nn.Sequential`` (or one supported leaf module).
    input_shape
        Feature shape of one sample; inferred from the first ``Linear``/``BatchNorm1d`` when
        omitted.

    Raises ``TypeError`` for a module that is not sequential or not supported (naming its
    path in the tree), ``ValueError`` for unsupported settings (BatchNorm in training mode).

    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2).eval(), torch.nn.ReLU())
    >>> network_from_torch(m).layers
    (Linear(3 -> 2, float), ReLU())
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    table = _resolve_table()
    leaves = _leaves(module, "")
    if not leaves:
        raise ValueError("the torch module is an empty Sequential; a Network needs at least one layer")
    converters = [(path, m, _converter(table, m, path)) for path, m in leaves]
    if input_shape is None:
        shape = _infer_shape(leaves)
    else:
        shape = (int(input_shape),) if isinstance(input_shape, (int, np.integer)) else tuple(
            int(s) for s in input_shape
        )
        if not shape or min(shape) < 1:
            raise ValueError(f"input_shape must be positive integers, got {input_shape!r}")
    input_dim = _flat(shape)
    layers: list[Layer] = []
    for path, m, fn in converters:
        try:
            new, shape = fn(m, shape, path)
        except (ValueError, TypeError) as err:
            msg = str(err)
            prefix = f"layer {path} ({type(m).__name__})"
            msg = f"layer {msg}" if msg.startswith(f"{path} (") else f"{prefix}: {msg}"
            raise type(err)(msg) from None
        layers.extend(new)
    return Network(_fold_scales(_conv.fold_channel_affine(layers), input_dim), input_dim)


class _FoldableScale(Linear):
    """A diagonal affine map ``s * z + c`` (an eval-mode batch norm), folded into a neighbour."""

    __slots__ = ()

    def __init__(self, s: np.ndarray, c: np.ndarray) -> None:
        super().__init__(np.diag(s), c)


def _fold_scales(layers: list[Layer], input_dim: int) -> list[Layer]:
    """Fold each batch-norm scale into the ``Linear`` just before it, else the one just after
    it, else keep it as a diagonal ``Linear``."""
    out: list[Layer] = []
    pending: Linear | None = None  # a scale waiting for a following Linear
    for layer in layers:
        if isinstance(layer, _FoldableScale):
            s, c = np.diag(layer.weight).astype(np.float64), layer.bias.astype(np.float64)
            if pending is not None:
                out.append(Linear(pending.weight, pending.bias))
                pending = None
            prev = out[-1] if out else None
            if type(prev) is Linear:  # y = s (W z + b) + c
                out[-1] = Linear(s[:, None] * prev.float_weight, s * prev.float_bias + c)
            else:
                pending = layer
            continue
        if pending is not None:
            s, c = np.diag(pending.weight).astype(np.float64), pending.bias.astype(np.float64)
            if type(layer) is Linear:  # W (s z + c) + b
                layer = Linear(layer.float_weight * s[None, :], layer.float_weight @ c + layer.float_bias)
            else:
                out.append(Linear(pending.weight, pending.bias))
            pending = None
        out.append(layer)
    if pending is not None:
        out.append(Linear(pending.weight, pending.bias))
    return out


# ---------------------------------------------------------------- tropnet -> torch


def _linear_to_torch(layer: Linear, n: int) -> nn.Module:
    out = nn.Linear(layer.in_features, layer.weight.shape[0], dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(torch.tensor(layer.float_weight, dtype=torch.float64))
        out.bias.copy_(torch.tensor(layer.float_bias, dtype=torch.float64))
    return out


def _threshold_to_torch(layer: Threshold, n: int) -> nn.Module:
    if layer.partial or layer.per_unit:
        return TorchUnitActivation("threshold", layer.to_float().t, layer.units)
    if type(layer) is ReLU or layer.t == 0:
        return nn.ReLU()
    t = float(layer.t)
    return nn.Threshold(t, t)


#: tropnet layer class -> ``(layer, in_features) -> torch module``.  Layers not listed are
#: converted through their primitive lowering.
TO_TORCH: dict[type, ToTorch] = {
    Linear: _linear_to_torch,
    Threshold: _threshold_to_torch,
    ReLU: _threshold_to_torch,
    LeakyReLU: lambda layer, n: (
        TorchUnitActivation("leaky", layer.to_float().alpha, layer.units)
        if layer.partial or layer.per_unit
        else nn.LeakyReLU(float(layer.alpha))
    ),
    Identity: lambda layer, n: nn.Identity(),
    Maxout: lambda layer, n: nn.MaxPool1d(layer.k, layer.k),
    MaxPool1d: lambda layer, n: nn.MaxPool1d(layer.kernel_size, layer.stride),
    GroupMax: lambda layer, n: TorchGroupMax(layer.groups, layer.in_features),
}

# convolutions and 2D pools come back as torch convolutions (tropnet.networks.conv)
TO_TORCH.update(
    {
        cls: lambda layer, n: _conv.conv_to_torch(layer, torch)
        for cls in (_conv.Conv1d, _conv.Conv2d, _conv.MaxPool2d, _conv.AvgPool2d, _conv.Flatten)
    }
)


def network_to_torch(net: Network) -> nn.Sequential:
    """A float64 ``torch.nn.Sequential`` computing ``net`` on batches of shape (k, n).

    Layer types without a torch counterpart (and any new layer type not registered in
    :data:`TO_TORCH`) are written through their primitive lowering.

    >>> from tropnet import random_mlp
    >>> net = random_mlp([2, 3, 1], seed=1)
    >>> x = np.random.default_rng(0).normal(size=(4, 2))
    >>> bool(np.allclose(network_to_torch(net)(torch.from_numpy(x)).detach().numpy(), net(x)))
    True
    """
    if not isinstance(net, Network):
        raise TypeError(f"to_torch needs a tropnet Network, got {type(net).__name__}")
    modules: list[nn.Module] = []
    widths = net.widths
    for i, layer in enumerate(net.layers):
        fn = TO_TORCH.get(type(layer))
        if fn is not None:
            modules.append(fn(layer, widths[i]))
            continue
        n = widths[i]
        for p in layer.lower(widths[i]):
            modules.append(TO_TORCH[type(p)](p, n))
            n = p.out_features(n)
    return nn.Sequential(*modules)

# algebra-valued layers come back as AlgebraLinear (registers itself in the tables above)
from . import torch_algebra as _torch_algebra  # noqa: E402,F401
