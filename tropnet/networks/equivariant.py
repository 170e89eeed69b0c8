"""Permutation-equivariant and invariant layers (DeepSets, Zaheer et al. 2017).

The input of a set layer is a set of ``n`` elements with ``c`` features each, stored as one
flat **element-major** vector of length ``n * c``: feature ``a`` of element ``i`` sits at index
``i * c + a``.  :class:`EquivariantLinear` maps ``c_in`` to ``c_out`` channels per element by

    y_i = Lambda x_i + Gamma (sum_j x_j) + beta,

i.e. the matrix ``W = I_n ⊗ Lambda + 1 1^T ⊗ Gamma`` in this layout (the issue's
``Lambda ⊗ I_n + Gamma ⊗ 1 1^T`` is the same map in the channel-major layout); for one channel
``W = alpha I + gamma 1 1^T``.  It commutes with every permutation of the elements.
:class:`SumPool` sums over the elements (invariant readout).  Both lower to :class:`Linear`,
so the compiler, the region enumerator and the torch bridge handle them unchanged.

>>> import numpy as np
>>> layer = EquivariantLinear(3, 1, 1, lam=[[2]], gamma=[[1]])
>>> layer.lower(3)[0].weight.tolist()
[[Fraction(3, 1), Fraction(1, 1), Fraction(1, 1)], [Fraction(1, 1), Fraction(3, 1), Fraction(1, 1)], \
[Fraction(1, 1), Fraction(1, 1), Fraction(3, 1)]]
>>> net = deepsets(3, channels=(1, 4, 1), seed=0)
>>> x = np.array([[0.3, -1.2, 2.0]])
>>> bool(np.allclose(net(x), net(x[:, [2, 0, 1]])))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from .layers import Layer, Linear, ReLU
from .network import Network

__all__ = ["EquivariantLinear", "SumPool", "deepsets"]


def _positive_int(v: Any, name: str) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def _param_matrix(v: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        arr = v if isinstance(v, np.ndarray) else np.array(v, dtype=object)
    except ValueError as err:
        raise ValueError(f"EquivariantLinear {name} is ragged: {err}") from None
    if arr.shape != shape:
        raise ValueError(f"EquivariantLinear {name} must have shape {shape}, got {arr.shape}")
    return arr


class EquivariantLinear(Layer):
    """The DeepSets layer ``y_i = Lambda x_i + Gamma sum_j x_j + beta`` on n set elements.

    Parameters
    ----------
    n
        Number of set elements.
    in_channels, out_channels
        Features per element before and after.
    lam, gamma
        (out_channels, in_channels) matrices Lambda and Gamma; drawn from
        ``N(0, 2 / fan_in)`` with ``numpy.random.default_rng(seed)`` when omitted.
    bias
        (out_channels,) vector beta shared by all elements (zero when omitted and the
        matrices are given, random otherwise).
    seed
        Seed for the omitted parameters.

    Exact (``Fraction``) when every parameter is exact.

    >>> EquivariantLinear(4, 2, 3, seed=1).out_features(8)
    12
    """

    __slots__ = ("n", "in_channels", "out_channels", "lam", "gamma", "bias", "exact")

    def __init__(
        self,
        n: int,
        in_channels: int,
        out_channels: int,
        lam: Any = None,
        gamma: Any = None,
        bias: Any = None,
        *,
        seed: int = 0,
    ) -> None:
        n = _positive_int(n, "EquivariantLinear n")
        ci = _positive_int(in_channels, "EquivariantLinear in_channels")
        co = _positive_int(out_channels, "EquivariantLinear out_channels")
        rng = np.random.default_rng(seed)
        std = np.sqrt(2.0 / (ci * n))
        random_bias = lam is None or gamma is None
        lam = rng.normal(0.0, std, size=(co, ci)) if lam is None else lam
        gamma = rng.normal(0.0, std, size=(co, ci)) if gamma is None else gamma
        if bias is None:
            bias = rng.normal(0.0, std, size=co) if random_bias else np.zeros(co, dtype=np.int64)
        L = _param_matrix(lam, (co, ci), "lam")
        G = _param_matrix(gamma, (co, ci), "gamma")
        b = _param_matrix(bias, (co,), "bias")
        exact = is_exact_array(L) and is_exact_array(G) and is_exact_array(b)
        conv = as_exact_array if exact else as_float_array
        L = conv(L, name="EquivariantLinear lam")
        G = conv(G, name="EquivariantLinear gamma")
        b = conv(b, name="EquivariantLinear bias")
        for a in (L, G, b):
            a.flags.writeable = False
        self._set(n=n, in_channels=ci, out_channels=co, lam=L, gamma=G, bias=b, exact=exact)

    @property
    def in_features(self) -> int:
        return self.n * self.in_channels

    @property
    def num_parameters(self) -> int:
        return int(self.lam.size + self.gamma.size + self.bias.size)

    def out_features(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(
                f"EquivariantLinear expects {self.n} elements x {self.in_channels} channels = "
                f"{self.in_features} inputs, receives {in_features}"
            )
        return self.n * self.out_channels

    def weight_matrix(self) -> np.ndarray:
        """``I_n ⊗ Lambda + 1 1^T ⊗ Gamma`` (element-major), shape (n c_out, n c_in).

        >>> EquivariantLinear(2, 1, 1, lam=[[1]], gamma=[[2]]).weight_matrix().tolist()
        [[Fraction(3, 1), Fraction(2, 1)], [Fraction(2, 1), Fraction(3, 1)]]
        """
        eye = np.eye(self.n, dtype=np.int64)
        ones = np.ones((self.n, self.n), dtype=np.int64)
        if self.exact:
            eye, ones = eye.astype(object), ones.astype(object)
        return np.kron(eye, self.lam) + np.kron(ones, self.gamma)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        self.out_features(in_features)
        return (Linear(self.weight_matrix(), np.tile(self.bias, self.n)),)

    def to_exact(self) -> EquivariantLinear:
        if self.exact:
            return self
        return EquivariantLinear(
            self.n,
            self.in_channels,
            self.out_channels,
            as_exact_array(self.lam),
            as_exact_array(self.gamma),
            as_exact_array(self.bias),
        )

    def to_float(self) -> EquivariantLinear:
        if not self.exact:
            return self
        f = np.float64
        return EquivariantLinear(
            self.n,
            self.in_channels,
            self.out_channels,
            self.lam.astype(f),
            self.gamma.astype(f),
            self.bias.astype(f),
        )

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "float"
        return f"EquivariantLinear(n={self.n}, {self.in_channels} -> {self.out_channels}, {kind})"


class SumPool(Layer):
    """Sum over the set elements: ``n * channels`` inputs (element-major) to ``channels`` outputs.

    >>> SumPool().forward(np.array([[1.0, 2.0, 4.0]]))
    array([[7.]])
    >>> SumPool(2).forward(np.array([[1.0, 2.0, 3.0, 4.0]]))
    array([[4., 6.]])
    """

    __slots__ = ("channels",)

    def __init__(self, channels: int = 1) -> None:
        self._set(channels=_positive_int(channels, "SumPool channels"))

    def out_features(self, in_features: int) -> int:
        if in_features % self.channels:
            raise ValueError(
                f"SumPool({self.channels}) needs a multiple of {self.channels} inputs, receives {in_features}"
            )
        return self.channels

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        self.out_features(in_features)
        n = in_features // self.channels
        W = np.kron(np.ones((1, n), dtype=np.int64), np.eye(self.channels, dtype=np.int64))
        return (Linear(W),)

    def __repr__(self) -> str:
        return f"SumPool({self.channels})"


def deepsets(
    n: int,
    channels: Sequence[int] = (1, 4, 1),
    seed: int = 0,
    *,
    relu_before_pool: bool = False,
) -> Network:
    """A permutation-invariant DeepSets network on n set elements.

    Equivariant layers with ``channels[k] -> channels[k + 1]`` features per element, ReLU
    between them (and after the last one when ``relu_before_pool``), then :class:`SumPool`.
    The input is the flat element-major vector of length ``n * channels[0]``.  Parameters are
    drawn layer by layer from ``numpy.random.default_rng(seed)``.  The paper's model
    ``sum_i ReLU((alpha I + gamma 1 1^T) x)_i`` is ``deepsets(n, (1, 1), relu_before_pool=True)``.

    >>> net = deepsets(4, channels=(1, 3, 1), seed=2)
    >>> net.input_dim, net.output_dim
    (4, 1)
    """
    n = _positive_int(n, "deepsets n")
    ch = [_positive_int(c, "deepsets channel count") for c in channels]
    if len(ch) < 2:
        raise ValueError(
            f"deepsets needs at least two channel counts (input and output), got {list(channels)}"
        )
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for k, (ci, co) in enumerate(zip(ch[:-1], ch[1:])):
        layers.append(EquivariantLinear(n, ci, co, seed=int(rng.integers(2**31))))
        if k < len(ch) - 2 or relu_before_pool:
            layers.append(ReLU())
    layers.append(SumPool(ch[-1]))
    return Network(layers)
