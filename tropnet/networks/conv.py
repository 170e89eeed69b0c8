"""Convolutions and 2D pooling as layers of the network IR.

A network acts on flat real vectors.  A convolution records the shape of its input,
``(C, L)`` for :class:`Conv1d` and ``(C, H, W)`` for :class:`Conv2d` and the pools, and reads
the flat vector in torch's row-major order (channel first), so that for a torch module ``m``
with the same parameters ``net(x.reshape(len(x), -1))`` equals ``m(x).reshape(len(x), -1)``.
Its output is again flat, in the same order.

Every layer here lowers exactly to the primitives of :mod:`tropnet.networks.layers`:

* a convolution (any stride, zero padding, dilation and groups) and an average pool are
  structured linear maps and lower to one dense :class:`~tropnet.networks.layers.Linear`
  of shape ``(C_out * P, C_in * S)`` (``P``, ``S`` the output and input spatial sizes);
* a max pool lowers to one :class:`~tropnet.networks.layers.GroupMax`.  torch pads a max
  pool with ``-inf``, so a padded position never wins: it is left out of its window, and
  the window is kept rectangular by repeating one of its real indices (``max(a, a) = a``).

*Size limit of the lowering.*  The dense ``Linear`` has ``C_out * P * C_in * S`` entries
(8 bytes each in float mode, a Python ``Fraction`` each in exact mode).  A 3x32x32 -> 16x32x32
convolution is 16384 x 3072 = 5.0e7 entries (400 MB in float64), about the practical limit
of one machine; a 1x28x28 -> 8x28x28 one (MNIST) is 6272 x 784 = 4.9e6 entries (39 MB), and
the forward pass of the lowered network is then a few milliseconds per batch.  The region
enumerator works in the input dimension, so the images it can handle are much smaller
(a few pixels) anyway; ``benchmarks/bench_symmetry_params.py`` measures the lowering.

Examples
--------
>>> import numpy as np
>>> conv = Conv1d([[[1, -1]]], [0], input_shape=(1, 3))
>>> conv.output_shape
(1, 2)
>>> conv.forward(np.array([[1.0, 4.0, 2.0]]))
array([[-3.,  2.]])
>>> conv.lower(3)[0].weight.tolist()
[[Fraction(1, 1), Fraction(-1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1), Fraction(-1, 1)]]
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from .layers import GroupMax, Layer, Linear

__all__ = [
    "Conv1d",
    "Conv2d",
    "AvgPool2d",
    "MaxPool2d",
    "Flatten",
    "window_index",
    "conv_from_torch",
    "pool2d_from_torch",
    "unflatten_from_torch",
    "batchnorm2d_from_affine",
    "fold_channel_affine",
    "conv_to_torch",
]


# ---------------------------------------------------------------------------- index helpers
def _int_tuple(v: Any, d: int, name: str, *, minimum: int) -> tuple[int, ...]:
    """``v`` (an int or a sequence of ``d`` ints) as a tuple of ``d`` ints ``>= minimum``."""
    vals = (v,) * d if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
    try:
        vals = tuple(vals)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of {d} ints, got {v!r}") from None
    if len(vals) != d or any(
        not isinstance(x, (int, np.integer)) or isinstance(x, bool) or x < minimum for x in vals
    ):
        raise ValueError(f"{name} must be an int or a tuple of {d} ints >= {minimum}, got {v!r}")
    return tuple(int(x) for x in vals)


def _padding_pairs(
    padding: Any, d: int, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """Padding as ``(before, after)`` per spatial axis; accepts ints, tuples of ints or of
    pairs, and torch's strings ``"valid"`` and ``"same"`` (stride 1 only; the odd extra
    zero goes after, as in torch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * d
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' needs stride 1 (as in torch)")
            tot = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in tot)
        raise ValueError(f"padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    if not isinstance(padding, (int, np.integer)) and all(
        isinstance(p, (tuple, list)) for p in padding
    ):
        pairs = tuple(tuple(p) for p in padding)
        if len(pairs) != d or any(len(p) != 2 for p in pairs):
            raise ValueError(f"padding pairs must be {d} pairs (before, after), got {padding!r}")
        flat = _int_tuple(tuple(x for p in pairs for x in p), 2 * d, "padding", minimum=0)
        return tuple((flat[2 * i], flat[2 * i + 1]) for i in range(d))
    p = _int_tuple(padding, d, "padding", minimum=0)
    return tuple((x, x) for x in p)


def window_index(
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[int, ...], np.ndarray]:
    """The windows of a convolution or pool over a row-major grid of shape ``spatial``.

    Returns ``(out_spatial, idx)``: ``idx[p, j]`` is the flat (row-major) input position
    that kernel tap ``j`` (row-major over ``kernel``) reads for output position ``p``, or
    ``-1`` where it reads padding.

    >>> out, idx = window_index((3,), (2,), (1,), ((1, 0),), (1,))
    >>> out, idx.tolist()
    ((3,), [[-1, 0], [0, 1], [1, 2]])
    """
    d = len(spatial)
    out = []
    pos_axes, valid = [], np.ones((1,) * (2 * d), dtype=bool)
    flat = np.zeros((1,) * (2 * d), dtype=np.int64)
    for a in range(d):
        n, k, s, (lo, hi), dl = spatial[a], kernel[a], stride[a], padding[a], dilation[a]
        o = (n + lo + hi - dl * (k - 1) - 1) // s + 1
        if o < 1:
            raise ValueError(
                f"the kernel ({k}, dilation {dl}) is larger than the padded input ({n} + {lo} + {hi}) "
                f"along spatial axis {a}"
            )
        out.append(int(o))
        pos = np.arange(o)[:, None] * s - lo + np.arange(k)[None, :] * dl
        shape = [1] * (2 * d)
        shape[a], shape[d + a] = o, k
        pos = pos.reshape(shape)
        pos_axes.append(pos)
        valid = valid & (pos >= 0) & (pos < n)
        flat = flat * n + pos
    full = (*out, *kernel)
    flat = np.broadcast_to(flat, full)
    valid = np.broadcast_to(valid, full)
    idx = np.where(valid, flat, -1).reshape(math.prod(out), math.prod(kernel))
    return tuple(out), idx


def _shape_tuple(shape: Any, d: int, cls: str) -> tuple[int, ...]:
    if shape is None:
        raise ValueError(
            f"{cls} needs input_shape=(C, {'L' if d == 1 else 'H, W'}) to read flat vectors"
        )
    return _int_tuple(shape, d + 1, f"{cls} input_shape", minimum=1)


def _gather(z: np.ndarray, channels: int, idx: np.ndarray) -> np.ndarray:
    """Batch ``z`` (b, C*S) -> windows (b, C, P, K); padding reads 0."""
    b = z.shape[0]
    zc = z.reshape(b, channels, -1)
    zero = np.zeros((b, channels, 1), dtype=z.dtype)
    if z.dtype == object:
        zero[...] = Fraction(0)
    zp = np.concatenate([zc, zero], axis=2)
    return zp[:, :, np.where(idx < 0, zc.shape[2], idx)]


def _coerce(z: np.ndarray, exact: bool) -> np.ndarray:
    if exact and z.dtype == object:
        return z
    return z.astype(np.float64) if z.dtype == object else z


# ---------------------------------------------------------------------------- convolutions
class _ConvNd(Layer):
    """One implementation of convolutions over ``d`` spatial axes (``d`` = 1 or 2)."""

    __slots__ = (
        "weight",
        "bias",
        "input_shape",
        "stride",
        "padding",
        "dilation",
        "groups",
        "exact",
        "_idx",
        "output_shape",
    )
    _d = 0

    def __init__(
        self,
        weight: Any,
        bias: Any = None,
        *,
        input_shape: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
    ) -> None:
        d, cls = self._d, type(self).__name__
        in_shape = _shape_tuple(input_shape, d, cls)
        try:
            w_obj = weight if isinstance(weight, np.ndarray) else np.array(weight, dtype=object)
        except ValueError as err:
            raise ValueError(f"{cls} weight is ragged: {err}") from err
        if w_obj.ndim != d + 2 or 0 in w_obj.shape:
            raise ValueError(
                f"{cls} weight must have shape (C_out, C_in / groups, {', '.join('k' * d)}) "
                f"with no empty axis, got {w_obj.shape}"
            )
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"{cls} groups must be a positive integer, got {groups!r}")
        c_out, c_in_g = int(w_obj.shape[0]), int(w_obj.shape[1])
        if c_out % groups:
            raise ValueError(f"{cls}: {c_out} output channels are not divisible by groups={groups}")
        if c_in_g * groups != in_shape[0]:
            raise ValueError(
                f"{cls}: weight reads {c_in_g} channels per group x {groups} groups, but input_shape "
                f"{in_shape} has {in_shape[0]} channels"
            )
        b_obj = np.zeros(c_out, dtype=np.int64) if bias is None else np.asarray(bias, dtype=object)
        if b_obj.shape != (c_out,):
            raise ValueError(f"{cls} bias must have shape ({c_out},), got {b_obj.shape}")
        kernel = tuple(int(k) for k in w_obj.shape[2:])
        st = _int_tuple(stride, d, f"{cls} stride", minimum=1)
        dl = _int_tuple(dilation, d, f"{cls} dilation", minimum=1)
        pad = _padding_pairs(padding, d, kernel, dl, st)
        out_sp, idx = window_index(in_shape[1:], kernel, st, pad, dl)
        exact = is_exact_array(w_obj) and is_exact_array(b_obj)
        conv = as_exact_array if exact else as_float_array
        w = conv(w_obj, name=f"{cls} weight")
        b = conv(b_obj, name=f"{cls} bias")
        for a in (w, b, idx):
            a.flags.writeable = False
        self._set(
            weight=w,
            bias=b,
            input_shape=in_shape,
            stride=st,
            padding=pad,
            dilation=dl,
            groups=int(groups),
            exact=exact,
            _idx=idx,
            output_shape=(c_out, *out_sp),
        )

    @property
    def in_features(self) -> int:
        return math.prod(self.input_shape)

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.weight.shape[2:])

    @property
    def num_parameters(self) -> int:
        return int(self.weight.size + self.bias.size)

    def out_features(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(
                f"{type(self).__name__} reads input_shape {self.input_shape} = {self.in_features} "
                f"features, but receives {in_features}"
            )
        return math.prod(self.output_shape)

    def _replace(self, weight: Any, bias: Any) -> _ConvNd:
        """The same convolution with other parameters."""
        return type(self)(
            weight,
            bias,
            input_shape=self.input_shape,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
        )

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out_features(z.shape[1])
        exact = self.exact and z.dtype == object
        z = _coerce(z, exact)
        w = self.weight if exact or not self.exact else self.weight.astype(np.float64)
        b = self.bias if exact or not self.exact else self.bias.astype(np.float64)
        g, c_out = self.groups, self.weight.shape[0]
        cols = _gather(z, self.input_shape[0], self._idx)  # (batch, C_in, P, K)
        bsz, _, p, k = cols.shape
        cols = cols.reshape(bsz, g, -1, p, k).transpose(0, 1, 3, 2, 4).reshape(bsz, g, p, -1)
        wg = w.reshape(g, c_out // g, -1).transpose(0, 2, 1)  # (g, C_in/g * K, C_out/g)
        out = np.matmul(cols, wg)  # (batch, g, P, C_out/g)
        out = out.transpose(0, 1, 3, 2).reshape(bsz, c_out, p) + b[None, :, None]
        return out.reshape(bsz, -1)

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The convolution as a dense ``(weight, bias)`` of shape ``(C_out*P, C_in*S)``."""
        c_out, c_in_g = self.weight.shape[:2]
        og = c_out // self.groups
        p, k = self._idx.shape
        s = math.prod(self.input_shape[1:])
        oc = np.arange(c_out)[:, None, None, None]
        ci = np.arange(c_in_g)[None, :, None, None]
        pp = np.arange(p)[None, None, :, None]
        tap = self._idx[None, None, :, :]
        rows = np.broadcast_to(oc * p + pp, (c_out, c_in_g, p, k))
        cols = np.broadcast_to(((oc // og) * c_in_g + ci) * s + tap, rows.shape)
        vals = np.broadcast_to(self.weight.reshape(c_out, c_in_g, 1, k), rows.shape)
        mask = np.broadcast_to(tap >= 0, rows.shape)
        dtype = object if self.exact else np.float64
        W = np.zeros((c_out * p, self.in_features), dtype=dtype)
        if self.exact:
            W[...] = Fraction(0)
        W[rows[mask], cols[mask]] = vals[mask]
        return W, np.repeat(self.bias, p)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        self.out_features(in_features)
        return (Linear(*self.dense()),)

    def to_exact(self) -> _ConvNd:
        return self if self.exact else self._replace(as_exact_array(self.weight), as_exact_array(self.bias))

    def to_float(self) -> _ConvNd:
        if not self.exact:
            return self
        return self._replace(self.weight.astype(np.float64), self.bias.astype(np.float64))

    def __repr__(self) -> str:
        c_out, c_in_g = self.weight.shape[:2]
        extra = "".join(
            f", {nm}={v}"
            for nm, v, default in (
                ("stride", self.stride, (1,) * self._d),
                ("padding", self.padding, ((0, 0),) * self._d),
                ("dilation", self.dilation, (1,) * self._d),
                ("groups", self.groups, 1),
            )
            if v != default
        )
        kind = "exact" if self.exact else "float"
        return (
            f"{type(self).__name__}({c_in_g * self.groups} -> {c_out}, kernel={self.kernel_size}, "
            f"input_shape={self.input_shape}{extra}, {kind})"
        )


class Conv1d(_ConvNd):
    """1D convolution (cross-correlation, as in torch) of an input of shape ``(C, L)``.

    ``weight`` has shape ``(C_out, C / groups, k)``; ``padding`` is an int, a pair
    ``((before, after),)``, ``"valid"`` or ``"same"``.  Zero padding only.

    >>> Conv1d([[[1, 1]]], input_shape=(1, 4), stride=2).forward(np.array([[1.0, 2, 3, 4]]))
    array([[3., 7.]])
    """

    __slots__ = ()
    _d = 1


class Conv2d(_ConvNd):
    """2D convolution (cross-correlation, as in torch) of an input of shape ``(C, H, W)``.

    ``weight`` has shape ``(C_out, C / groups, kh, kw)``; ``stride``, ``padding``,
    ``dilation`` are ints or pairs (``padding`` also pairs of (before, after), ``"valid"``,
    ``"same"``); ``groups`` divides both channel counts.  Zero padding only.

    >>> conv = Conv2d(np.ones((2, 1, 2, 2)), input_shape=(1, 3, 3), padding=1)
    >>> conv.output_shape
    (2, 4, 4)
    >>> conv.forward(np.arange(9.0)[None, :])[0, :4]
    array([0., 1., 3., 2.])
    """

    __slots__ = ()
    _d = 2


# ---------------------------------------------------------------------------- pools
class _Pool2d(Layer):
    __slots__ = ("kernel_size", "stride", "padding", "input_shape", "output_shape", "_idx")

    def _setup(
        self, kernel_size: Any, stride: Any, padding: Any, dilation: Any, input_shape: Any
    ) -> tuple[int, ...]:
        cls = type(self).__name__
        in_shape = _shape_tuple(input_shape, 2, cls)
        ks = _int_tuple(kernel_size, 2, f"{cls} kernel_size", minimum=1)
        st = ks if stride is None else _int_tuple(stride, 2, f"{cls} stride", minimum=1)
        dl = _int_tuple(dilation, 2, f"{cls} dilation", minimum=1)
        pad = _padding_pairs(padding, 2, ks, dl, st)
        for (lo, hi), k, dd in zip(pad, ks, dl):
            if max(lo, hi) > (dd * (k - 1) + 1) // 2:
                raise ValueError(
                    f"{cls} padding {pad} must be at most half the kernel size {ks} (as in torch)"
                )
        out_sp, idx = window_index(in_shape[1:], ks, st, pad, dl)
        idx.flags.writeable = False
        self._set(
            kernel_size=ks,
            stride=st,
            padding=pad,
            input_shape=in_shape,
            output_shape=(in_shape[0], *out_sp),
            _idx=idx,
        )
        return dl

    @property
    def in_features(self) -> int:
        return math.prod(self.input_shape)

    def out_features(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(
                f"{type(self).__name__} reads input_shape {self.input_shape} = {self.in_features} "
                f"features, but receives {in_features}"
            )
        return math.prod(self.output_shape)

    def _rows_cols(self) -> tuple[np.ndarray, np.ndarray]:
        """Flat input index of every (channel, window, tap), -1 on padding: shape (C*P, K)."""
        c = self.input_shape[0]
        s = math.prod(self.input_shape[1:])
        base = (np.arange(c) * s)[:, None, None]
        idx = self._idx[None]
        return np.where(idx >= 0, base + idx, -1).reshape(-1, idx.shape[2]), idx


class MaxPool2d(_Pool2d):
    """2D max pool of an input of shape ``(C, H, W)`` (torch's ``MaxPool2d`` without
    ``ceil_mode``); lowers to one :class:`~tropnet.networks.layers.GroupMax` in which padded
    positions are left out (torch pads with ``-inf``).

    >>> MaxPool2d(2, input_shape=(1, 2, 4)).forward(np.array([[1.0, 5, 2, 0, 3, 4, 8, 1]]))
    array([[5., 8.]])
    """

    __slots__ = ("dilation", "_groups")

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, *, input_shape: Any
    ) -> None:
        dl = self._setup(kernel_size, stride, padding, dilation, input_shape)
        flat, _ = self._rows_cols()
        valid = flat >= 0
        if not valid.any(axis=1).all():
            raise ValueError("MaxPool2d has a window made only of padding")
        first = flat[np.arange(flat.shape[0]), valid.argmax(axis=1)]
        groups = np.where(valid, flat, first[:, None])
        groups.flags.writeable = False
        self._set(dilation=dl, _groups=groups)

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out_features(z.shape[1])
        return z[:, self._groups].max(axis=2)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        self.out_features(in_features)
        return (GroupMax(self._groups, in_features),)

    def __repr__(self) -> str:
        return (
            f"MaxPool2d({self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, input_shape={self.input_shape})"
        )


class AvgPool2d(_Pool2d):
    """2D average pool of an input of shape ``(C, H, W)`` (torch's ``AvgPool2d`` without
    ``ceil_mode``); with ``count_include_pad`` (torch's default) padded zeros count in the
    divisor, otherwise only real positions do.  Exact: lowers to a :class:`Linear` with
    rational weights.

    >>> AvgPool2d(2, input_shape=(1, 2, 2)).forward(np.array([[1.0, 2, 3, 4]]))
    array([[2.5]])
    """

    __slots__ = ("count_include_pad", "_divisor")

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        count_include_pad: bool = True,
        *,
        input_shape: Any,
    ) -> None:
        self._setup(kernel_size, stride, padding, 1, input_shape)
        k = self._idx.shape[1]
        div = np.full(self._idx.shape[0], k) if count_include_pad else (self._idx >= 0).sum(axis=1)
        div.flags.writeable = False
        self._set(count_include_pad=bool(count_include_pad), _divisor=div)

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.out_features(z.shape[1])
        cols = _gather(z, self.input_shape[0], self._idx)
        s = cols.sum(axis=3)
        if z.dtype == object:
            inv = np.array([Fraction(1, int(d)) for d in self._divisor], dtype=object)
            return (s * inv).reshape(z.shape[0], -1)
        return (s / self._divisor).reshape(z.shape[0], -1)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        self.out_features(in_features)
        flat, _ = self._rows_cols()
        r, k = flat.shape
        rows = np.broadcast_to(np.arange(r)[:, None], flat.shape)
        mask = flat >= 0
        W = np.zeros((r, in_features), dtype=object)
        W[...] = Fraction(0)
        c = self.input_shape[0]
        inv = np.tile(np.array([Fraction(1, int(d)) for d in self._divisor], dtype=object), c)
        W[rows[mask], flat[mask]] = np.broadcast_to(inv[:, None], flat.shape)[mask]
        bias = np.full(r, Fraction(0), dtype=object)
        return (Linear(W, bias),)

    def __repr__(self) -> str:
        return (
            f"AvgPool2d({self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"input_shape={self.input_shape})"
        )


class Flatten(Layer):
    """Flattening: the identity on tropnet's flat vectors (records the shape it flattens,
    when given, so that torch modules convert back as they were).

    >>> Flatten((2, 3)).lower(6)
    ()
    """

    __slots__ = ("input_shape",)

    def __init__(self, input_shape: Any = None) -> None:
        shape = None
        if input_shape is not None:
            shape = _int_tuple(tuple(input_shape), len(tuple(input_shape)), "Flatten input_shape", minimum=1)
        self._set(input_shape=shape)

    @property
    def in_features(self) -> int | None:
        return None if self.input_shape is None else math.prod(self.input_shape)

    def out_features(self, in_features: int) -> int:
        if self.input_shape is not None and in_features != math.prod(self.input_shape):
            raise ValueError(
                f"Flatten reads input_shape {self.input_shape}, but receives {in_features} features"
            )
        return in_features

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        return ()

    def __repr__(self) -> str:
        return f"Flatten({self.input_shape})" if self.input_shape is not None else "Flatten()"


# ---------------------------------------------------------------------------- torch conversion
# The converters below are registered in :mod:`tropnet.networks.torch_bridge` (FROM_TORCH,
# TO_TORCH); they read torch modules through their attributes and receive the ``torch``
# module from the bridge, so that torch is imported there only.


def _tensor(t: Any) -> np.ndarray:
    return t.detach().cpu().double().numpy().copy()


def _need_shape(shape: tuple[int, ...], d: int, path: str, name: str) -> None:
    if len(shape) != d + 1:
        want = "(C, L)" if d == 1 else "(C, H, W)"
        raise ValueError(
            f"{path} ({name}) needs inputs of shape {want}, but receives features of shape {shape}; "
            f"pass input_shape={want} to from_torch when the network starts with a convolution"
        )


def conv_from_torch(m: Any, shape: tuple[int, ...], path: str) -> tuple[list[Layer], tuple[int, ...]]:
    """``torch.nn.Conv1d``/``Conv2d`` -> :class:`Conv1d`/:class:`Conv2d` (zero padding only)."""
    name = type(m).__name__
    d = 1 if name == "Conv1d" else 2
    _need_shape(shape, d, path, name)
    if m.padding_mode != "zeros":
        raise ValueError(f"{path} ({name}) has padding_mode={m.padding_mode!r}; only zero padding converts")
    cls = Conv1d if d == 1 else Conv2d
    layer = cls(
        _tensor(m.weight),
        None if m.bias is None else _tensor(m.bias),
        input_shape=shape,
        stride=m.stride,
        padding=m.padding,
        dilation=m.dilation,
        groups=m.groups,
    )
    return [layer], layer.output_shape


def pool2d_from_torch(m: Any, shape: tuple[int, ...], path: str) -> tuple[list[Layer], tuple[int, ...]]:
    """``torch.nn.MaxPool2d``/``AvgPool2d`` -> :class:`MaxPool2d`/:class:`AvgPool2d`."""
    name = type(m).__name__
    _need_shape(shape, 2, path, name)
    if m.ceil_mode:
        raise ValueError(f"{path} ({name}) has ceil_mode=True; only the default floor mode converts")
    if name == "MaxPool2d":
        if m.return_indices:
            raise ValueError(f"{path} (MaxPool2d) has return_indices=True; a network returns values only")
        layer: Layer = MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation, input_shape=shape)
    else:
        if m.divisor_override is not None:
            raise ValueError(f"{path} (AvgPool2d) sets divisor_override; only the default divisor converts")
        layer = AvgPool2d(m.kernel_size, m.stride, m.padding, m.count_include_pad, input_shape=shape)
    return [layer], layer.output_shape


def unflatten_from_torch(m: Any, shape: tuple[int, ...], path: str) -> tuple[list[Layer], tuple[int, ...]]:
    """``torch.nn.Unflatten(1, shape)`` of flat features: a change of the recorded shape only."""
    new = tuple(int(s) for s in m.unflattened_size)
    if len(shape) != 1 or m.dim not in (1, -1) or math.prod(new) != shape[0]:
        raise ValueError(
            f"{path} (Unflatten) turns dim {m.dim} into {new}, but receives features of shape {shape}; "
            "only the unflattening of flat features converts"
        )
    return [], new


class _ChannelAffine(Conv2d):
    """An eval-mode ``BatchNorm2d``, ``y = s_c x + t_c`` per channel, as a depthwise 1x1
    convolution; :func:`fold_channel_affine` merges it into the convolution before it."""

    __slots__ = ()


def batchnorm2d_from_affine(
    scale: np.ndarray, shift: np.ndarray, shape: tuple[int, ...], path: str
) -> tuple[list[Layer], tuple[int, ...]]:
    """An eval-mode ``BatchNorm2d`` given as per-channel ``scale``, ``shift``."""
    _need_shape(shape, 2, path, "BatchNorm2d")
    c = scale.shape[0]
    if shape[0] != c:
        raise ValueError(f"{path} (BatchNorm2d) has {c} channels but receives features of shape {shape}")
    return [_ChannelAffine(scale.reshape(c, 1, 1, 1), shift, input_shape=shape, groups=c)], shape


def fold_channel_affine(layers: list[Layer]) -> list[Layer]:
    """Fold every batch-norm channel affine map into the convolution just before it
    (``s (W * x + b) + t``); one without a convolution before it stays a depthwise 1x1
    :class:`Conv2d`.

    >>> conv = Conv2d(np.ones((2, 1, 1, 1)), [0.0, 1.0], input_shape=(1, 2, 2))
    >>> s = np.array([2.0, 3.0]).reshape(2, 1, 1, 1)
    >>> bn = _ChannelAffine(s, [1.0, 0.0], input_shape=(2, 2, 2), groups=2)
    >>> fold_channel_affine([conv, bn])[0].bias.tolist()
    [1.0, 3.0]
    """
    out: list[Layer] = []
    for layer in layers:
        if type(layer) is not _ChannelAffine:
            out.append(layer)
            continue
        s = layer.weight.reshape(-1).astype(np.float64)
        t = layer.bias.astype(np.float64)
        prev = out[-1] if out else None
        if type(prev) in (Conv1d, Conv2d):
            w = prev.weight.astype(np.float64) * s.reshape(-1, *([1] * (prev.weight.ndim - 1)))
            out[-1] = prev._replace(w, s * prev.bias.astype(np.float64) + t)
        else:
            out.append(Conv2d(layer.weight, layer.bias, input_shape=layer.input_shape, groups=layer.groups))
    return out


def _torch_padding(layer: _ConvNd | _Pool2d, nn: Any) -> tuple[Any, Any]:
    """(padding argument, explicit zero-pad module or None) for a torch conv or pool."""
    pad = layer.padding
    if all(lo == hi for lo, hi in pad):
        return tuple(lo for lo, _ in pad), None
    if isinstance(layer, _Pool2d):
        raise ValueError(f"{layer!r} has asymmetric padding, which torch's pools do not take")
    flat = tuple(x for lo_hi in reversed(pad) for x in lo_hi)  # torch pads the last axis first
    pad_cls = nn.ConstantPad1d if len(pad) == 1 else nn.ConstantPad2d
    return 0, pad_cls(flat, 0.0)


def conv_to_torch(layer: Layer, torch: Any) -> Any:
    """The torch module of a conv or 2D-pool layer, reading and writing flat features:
    ``Sequential(Unflatten(1, input_shape), <module>, Flatten())`` (float64)."""
    nn = torch.nn
    if isinstance(layer, Flatten):
        return nn.Flatten()
    pad, pad_module = _torch_padding(layer, nn)
    if isinstance(layer, _ConvNd):
        cls = nn.Conv1d if isinstance(layer, Conv1d) else nn.Conv2d
        c_out, c_in_g = layer.weight.shape[:2]
        mod = cls(
            c_in_g * layer.groups,
            c_out,
            layer.kernel_size,
            stride=layer.stride,
            padding=pad,
            dilation=layer.dilation,
            groups=layer.groups,
            dtype=torch.float64,
        )
        with torch.no_grad():
            mod.weight.copy_(torch.from_numpy(np.array(layer.weight, dtype=np.float64)))
            mod.bias.copy_(torch.from_numpy(np.array(layer.bias, dtype=np.float64)))
    elif isinstance(layer, MaxPool2d):
        mod = nn.MaxPool2d(layer.kernel_size, layer.stride, pad, layer.dilation)
    else:
        mod = nn.AvgPool2d(layer.kernel_size, layer.stride, pad, count_include_pad=layer.count_include_pad)
    parts = [nn.Unflatten(1, layer.input_shape)] + ([pad_module] if pad_module is not None else [])
    return nn.Sequential(*parts, mod, nn.Flatten())
