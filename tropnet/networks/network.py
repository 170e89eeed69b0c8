"""The :class:`Network` container, the usual MLP constructors and the forward pass.

A network is an immutable sequence of layers (:mod:`tropnet.networks.layers`) acting on
flat real vectors.  ``net.lowered()`` rewrites it into primitive layers only
(:class:`Linear`, :class:`Threshold`, :class:`LeakyReLU`, :class:`GroupMax`), which is
what the compiler and the region enumerator consume.

Examples
--------
>>> net = Network.from_arrays([[[1, -1], [1, 1]], [[1, 1]]], [[0, 0], [0]])
>>> net.input_dim, net.output_dim, net.num_parameters
(2, 1, 9)
>>> net([3, 1]).tolist()
[Fraction(6, 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .layers import GroupMax, Layer, LeakyReLU, Linear, ReLU, Threshold, as_batch

__all__ = ["Network", "random_mlp"]

PRIMITIVES = (Linear, Threshold, LeakyReLU, GroupMax)


class Network:
    """A feed-forward network: a sequence of piecewise-linear layers.

    Parameters
    ----------
    layers
        The layers, applied in order.
    input_dim
        Width of the input; needed only when the first layer does not fix it (an
        activation first).

    Raises ``ValueError`` naming the layer index for shape mismatches and empty networks.

    >>> from tropnet import Linear, ReLU
    >>> net = Network([Linear([[1.0], [-1.0]], [0.0, 0.0]), ReLU(), Linear([[1.0, 1.0]], [0.0])])
    >>> float(net([-2.0])[0])  # |x|
    2.0
    """

    __slots__ = ("_layers", "_input_dim", "_widths", "_lowered", "_final", "__weakref__")

    def __init__(
        self, layers: Iterable[Layer], input_dim: int | None = None, *, final: str | None = None
    ) -> None:
        layers = tuple(layers)
        if not layers:
            raise ValueError("a Network needs at least one layer (got an empty list)")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is {type(layer).__name__}, not a tropnet layer")
        if input_dim is not None and (
            isinstance(input_dim, (bool, np.bool_)) or not isinstance(input_dim, (int, np.integer))
        ):
            raise TypeError(f"input_dim must be a positive integer, got {input_dim!r}")
        if input_dim is not None and input_dim < 1:
            raise ValueError(f"input_dim must be a positive integer, got {input_dim}")
        if input_dim is None:
            first = layers[0]
            n = getattr(first, "in_features", None)
            if n is None:
                raise ValueError(
                    f"layer 0 ({first!r}) does not fix the input width; pass input_dim=... to Network"
                )
            input_dim = int(n)
        widths = [int(input_dim)]
        for i, layer in enumerate(layers):
            try:
                widths.append(int(layer.out_features(widths[-1])))
            except ValueError as err:
                raise ValueError(f"layer {i} ({type(layer).__name__}): {err}") from None
        object.__setattr__(self, "_layers", layers)
        object.__setattr__(self, "_input_dim", widths[0])
        object.__setattr__(self, "_widths", tuple(widths))
        object.__setattr__(self, "_lowered", None)
        if final is not None and not isinstance(final, str):
            raise TypeError(f"final must be a note (str) or None, got {type(final).__name__}")
        object.__setattr__(self, "_final", final)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Network is immutable")

    def __reduce__(self):
        if self._final is not None:
            return (_rebuild_network, (self._layers, self._input_dim, self._final))
        return (Network, (self._layers, self._input_dim))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(cls, weights: Sequence[Any], biases: Sequence[Any] | None = None) -> Network:
        """The usual MLP: ``Linear`` layers with ``ReLU`` between them, last layer affine.

        >>> Network.from_arrays([np.eye(2), np.ones((1, 2))]).widths
        (2, 2, 2, 1)
        """
        weights = list(weights)
        if not weights:
            raise ValueError("from_arrays needs at least one weight matrix")
        if biases is None:
            biases = [None] * len(weights)
        biases = list(biases)
        if len(biases) != len(weights):
            raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
        layers: list[Layer] = []
        for i, (w, b) in enumerate(zip(weights, biases)):
            try:
                layers.append(Linear(w, b))
            except (ValueError, TypeError) as err:
                raise type(err)(f"layer {i}: {err}") from None
            if i < len(weights) - 1:
                layers.append(ReLU())
        return cls(layers)

    @classmethod
    def from_torch(
        cls, module: Any, input_shape: tuple[int, ...] | None = None, final: str | None = None
    ) -> Network:
        """Convert a torch module: a ``Sequential`` tree layer by layer, anything else by
        tracing its ``forward`` with torch.fx (residual blocks, concatenations, subclasses with
        their own ``forward``); see :func:`tropnet.networks.torch_fx.from_torch`.  Hooks,
        dynamic control flow and non-piecewise-linear operations are refused, naming the
        node; the two forward passes are compared at a few points.  ``final="drop"``
        converts a classifier's logits, dropping a final Sigmoid/Softmax/LogSoftmax.

        Needs the optional extra torch (``pip install tropnet[torch]``).

        >>> import torch
        >>> Network.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())).widths
        (2, 3, 3)
        """
        try:
            import torch  # noqa: F401
        except ImportError as err:
            raise ImportError("from_torch needs torch; install it with `pip install tropnet[torch]`") from err
        from .torch_fx import from_torch

        return from_torch(module, input_shape=input_shape, final=final)

    @classmethod
    def from_onnx(cls, path_or_model: Any, final: str | None = None) -> Network:
        """Convert an ONNX model (a path, bytes or ``onnx.ModelProto``) of piecewise-linear
        operators; see :func:`tropnet.networks.onnx_bridge.network_from_onnx`.

        Needs the optional extra onnx (``pip install tropnet[onnx]``).

        >>> net = random_mlp([2, 3, 1], seed=0)
        >>> Network.from_onnx(net.to_onnx()).widths
        (2, 3, 3, 1)
        """
        from .onnx_bridge import network_from_onnx

        return network_from_onnx(path_or_model, final=final)

    def to_onnx(self, path: Any = None, *, dtype: str = "float64", lowered: bool = False) -> Any:
        """An ``onnx.ModelProto`` computing the network on batches, one group of ONNX nodes
        per layer (graph layers as their ``Add``/``Concat`` nodes), saved to ``path`` when
        given; see :func:`tropnet.networks.onnx_bridge.network_to_onnx` for ``dtype`` and
        ``lowered``.  Needs the optional extra onnx.

        >>> random_mlp([2, 3, 1]).to_onnx().graph.node[0].op_type
        'Gemm'
        """
        from .onnx_bridge import network_to_onnx

        return network_to_onnx(self, path, dtype=dtype, lowered=lowered)

    def to_torch(self) -> Any:
        """A ``torch.nn.Sequential`` computing the same function on batches (float64 parameters).

        Needs the optional extra torch (``pip install tropnet[torch]``).

        >>> random_mlp([2, 3, 1]).to_torch()
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): ReLU()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
        """
        from .torch_bridge import network_to_torch

        return network_to_torch(self)

    # ------------------------------------------------------------------ properties
    @property
    def layers(self) -> tuple[Layer, ...]:
        return self._layers

    @property
    def final(self) -> str | None:
        """A note when a final monotone map (Softmax, Sigmoid) of the source model was dropped.

        >>> Network([Linear([[1, 2]])], final="Softmax dropped").final
        'Softmax dropped'
        """
        return self._final

    @property
    def input_dim(self) -> int:
        return self._input_dim

    @property
    def output_dim(self) -> int:
        return self._widths[-1]

    @property
    def widths(self) -> tuple[int, ...]:
        """The width of the vector after each LAYER, the input first: one entry per layer, so an
        activation layer repeats the width before it (a [2, 16, 16, 1] MLP -- Linear, ReLU,
        Linear, ReLU, Linear -- has widths (2, 16, 16, 16, 16, 1)).  The widths of the affine
        layers alone are ``(input_dim, *(layer.weight.shape[0] for each Linear))``.

        >>> Network.from_arrays([np.ones((16, 2)), np.ones((16, 16)), np.ones((1, 16))]).widths
        (2, 16, 16, 16, 16, 1)
        """
        return self._widths

    @property
    def num_parameters(self) -> int:
        return int(sum(layer.num_parameters for layer in self._layers))

    @property
    def exact(self) -> bool:
        """True when every parameter is an exact rational (ints or Fractions)."""
        return all(layer.exact for layer in self._layers)

    def to_exact(self) -> Network:
        """The same network with every float parameter replaced by the dyadic rational it stores."""
        return Network([layer.to_exact() for layer in self._layers], self._input_dim, final=self._final)

    def to_float(self) -> Network:
        """The same network with float64 parameters."""
        return Network([layer.to_float() for layer in self._layers], self._input_dim, final=self._final)

    @property
    def is_graph(self) -> bool:
        """True when the network needs activations on a subset of its units (skip connections,
        concatenations: see :class:`tropnet.Graph`) or per-unit leaky slopes.

        >>> random_mlp([2, 3, 1]).is_graph
        False
        """
        try:
            self.lowered()
        except NotImplementedError:
            return True
        return False

    def lowered(self, passthrough: bool = False) -> Network:
        """The same function written with primitive layers only (Linear, Threshold/ReLU,
        LeakyReLU, GroupMax); identities dropped, consecutive Linear layers kept apart.

        With ``passthrough=False`` (what the symmetry tools and the planar engine read) every
        activation acts on all its units with one shared parameter: a per-unit threshold ``max(z, t)`` is
        written ``t + max(z - t, 0)``, and a network that needs activations on a subset of
        units (a graph network: skip connections, concatenations) or per-unit leaky slopes
        raises ``NotImplementedError``.  With ``passthrough=True`` (the compiler, the forward
        program, the region engines' program) activations may carry ``units`` and per-unit
        parameters.

        >>> from tropnet import Maxout
        >>> Network([Linear(np.eye(4)), Maxout(2)]).lowered().layers[1]
        GroupMax(2 groups of 2)
        """
        key = bool(passthrough)
        if self._lowered is None:
            object.__setattr__(self, "_lowered", {})
        if key not in self._lowered:
            out: list[Layer] = []
            for i, layer in enumerate(self._layers):
                parts = layer.lower(self._widths[i])
                for p in parts:
                    if not isinstance(p, PRIMITIVES):
                        raise TypeError(f"layer {i} lowered to a non-primitive {p!r}")
                    out.extend((p,) if key else _full_units(p, i, layer))
            if not out:
                n = self._input_dim
                out = [Linear(np.eye(n, dtype=np.int64), np.zeros(n, dtype=np.int64))]
            same = len(out) == len(self._layers) and all(a is b for a, b in zip(out, self._layers))
            # (a network of primitives is its own lowering: marked, not a reference to itself)
            self._lowered[key] = True if same and self._final is None else Network(out, self._input_dim)
        low = self._lowered[key]
        return self if low is True else low

    # ------------------------------------------------------------------ evaluation
    def __call__(self, x: Any) -> np.ndarray:
        """Forward pass on one point (shape (n,)) or a batch (shape (k, n)).

        Exact (Fractions) when the network and the points are exact; float64 otherwise.
        """
        z, single = as_batch(x, self._input_dim, exact=self.exact)
        for layer in self._layers:
            z = layer.forward(z)
        return z[0] if single else z

    def forward_all(self, x: Any) -> list[np.ndarray]:
        """The values after every layer, input first (a list of (k, width) arrays)."""
        z, _ = as_batch(x, self._input_dim, exact=self.exact)
        out = [z]
        for layer in self._layers:
            z = layer.forward(z)
            out.append(z)
        return out

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, i: int) -> Layer:
        return self._layers[i]

    def __iter__(self):
        return iter(self._layers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        same = self._input_dim == other._input_dim and self._final == other._final
        return same and self._layers == other._layers

    def __hash__(self) -> int:
        return hash((self._input_dim, len(self._layers)))

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self._layers)
        note = "" if self._final is None else f", final={self._final!r}"
        return f"Network([{inner}], widths={list(self._widths)}{note})"


def _rebuild_network(layers: tuple[Layer, ...], input_dim: int, final: str) -> Network:
    return Network(layers, input_dim, final=final)


def _full_units(p: Layer, i: int, layer: Layer) -> tuple[Layer, ...]:
    """``p`` as primitives acting on all units with one shared parameter (``lowered()``)."""
    if not isinstance(p, (Threshold, LeakyReLU)):
        return (p,)
    if p.units is not None:
        raise NotImplementedError(
            f"layer {i} ({type(layer).__name__}) is a graph layer: it lowers to activations on a subset "
            "of units (a skip connection or a concatenation carries the other units unchanged), which "
            "Network.lowered(), read by this tool, cannot express; tropicalize, the forward pass and the "
            "region functions support it (they read lowered(passthrough=True))"
        )
    if isinstance(p, Threshold) and isinstance(p.t, np.ndarray):  # max(z, t) = t + max(z - t, 0)
        n = p.t.size
        eye = np.eye(n, dtype=np.int64)
        return (Linear(eye, -p.t), ReLU(), Linear(eye, p.t))
    if isinstance(p, LeakyReLU) and isinstance(p.alpha, np.ndarray):
        if all(a == p.alpha[0] for a in p.alpha):
            return (LeakyReLU(p.alpha[0]),)
        raise NotImplementedError(
            f"layer {i} ({type(layer).__name__}) has per-unit leaky slopes, which Network.lowered(), read "
            "by this tool, cannot express; tropicalize, the forward pass and the region functions read them"
        )
    return (p,)


def random_mlp(widths: Sequence[int], seed: int = 0) -> Network:
    """A He-normal random ReLU MLP: per layer, ``W ~ N(0, 2/fan_in)`` of shape (out, in), then
    ``b ~ N(0, 2/fan_in)``, drawn in that order from ``numpy.random.default_rng(seed)``;
    ReLU between layers, last layer affine.  Reproducible across machines.

    >>> net = random_mlp([2, 16, 16, 1], seed=0)
    >>> net.widths
    (2, 16, 16, 16, 16, 1)
    >>> net.num_parameters
    337
    """
    if any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) for w in widths):
        raise TypeError(f"random_mlp widths must be integers, got {list(widths)}")
    widths = [int(w) for w in widths]
    if len(widths) < 2:
        raise ValueError(f"random_mlp needs at least an input and an output width, got {widths}")
    if min(widths) < 1:
        raise ValueError(f"random_mlp widths must be positive, got {widths}")
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        std = np.sqrt(2.0 / fan_in)
        weights.append(rng.normal(0.0, std, size=(fan_out, fan_in)))
        biases.append(rng.normal(0.0, std, size=fan_out))
    return Network.from_arrays(weights, biases)
