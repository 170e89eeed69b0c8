"""PyTorch counterpart of :class:`~tropnet.networks.algebra_layers.AlgebraLinear` (torch imported here).

Path chosen: :class:`TorchAlgebraLinear`, an ``nn.Linear`` whose trainable parameters are the
*algebra* weights ``(K, C, dim)`` and biases ``(K, dim)``; its ``weight`` and ``bias`` are
properties that build the lowered real weight ``W_real = sum_a w_a B[a]`` (blocks as in
``AlgebraLinear.lower``) on every forward pass, so gradient steps stay inside the algebra
and any code reading an ``nn.Linear`` sees the real layer.

Importing this module registers the pair with the torch bridge
(:data:`tropnet.networks.torch_bridge.FROM_TORCH` / ``TO_TORCH``): ``Network.from_torch``
brings a trained ``Sequential`` of :class:`TorchAlgebraLinear` and ``ReLU`` back as
:class:`AlgebraLinear` layers (structure kept), and ``Network.to_torch`` of an AlgebraNet
gives :class:`TorchAlgebraLinear` modules.  :func:`to_plain_torch` exports the same function
as a plain ``Sequential`` of ``nn.Linear`` / ``nn.ReLU`` after training.

Examples
--------
>>> import torch
>>> from tropnet import Network
>>> from tropnet.algebras import H
>>> net = algebranet_to_torch(algebranet(H, [2, 3, 1], seed=0))
>>> back = Network.from_torch(net)
>>> back[0]
AlgebraLinear(H, real 2 -> 3, float)
>>> x = np.random.default_rng(0).normal(size=(5, 2))
>>> bool(np.allclose(back(x), net(torch.from_numpy(x)).detach().numpy()))
True
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "AlgebraNets in torch need torch; install it with `pip install tropnet[torch]`"
    ) from err

from ..algebras import Algebra
from .algebra_layers import AlgebraLinear, algebranet
from .network import Network
from .torch_bridge import FROM_TORCH, TO_TORCH, Shape, network_to_torch

__all__ = ["TorchAlgebraLinear", "algebra_linear_to_torch", "algebranet_to_torch", "to_plain_torch"]


class TorchAlgebraLinear(nn.Linear):
    """``y_k = sum_c w_kc x_c + b_k`` over an algebra, trained through its algebra weights.

    A subclass of ``nn.Linear`` whose ``weight`` and ``bias`` are *computed* (differentiably)
    from the trainable ``algebra_weight`` ``(K, C, dim)`` and ``algebra_bias`` ``(K, dim)``, so
    code that reads an ``nn.Linear`` sees the lowered real layer.  Real widths
    ``in_features`` / ``out_features`` as in :class:`AlgebraLinear`.

    >>> from tropnet.algebras import C
    >>> m = TorchAlgebraLinear(C, 2, 3)
    >>> m.algebra_weight.shape, m.weight.shape, m.bias.shape
    (torch.Size([3, 2, 2]), torch.Size([6, 4]), torch.Size([6]))
    """

    def __init__(
        self,
        algebra: Algebra,
        in_features: int,
        out_features: int,
        *,
        real_input: bool = False,
        real_output: bool = False,
        seed: int | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        nn.Module.__init__(self)  # not nn.Linear.__init__: weight and bias are not parameters here
        ref = AlgebraLinear(algebra, in_features, out_features, seed=seed,
                            real_input=real_input, real_output=real_output)
        self.algebra = algebra
        self.n_in, self.n_out = ref.n_in, ref.n_out
        self.real_input, self.real_output = ref.real_input, ref.real_output
        self.in_features, self.out_features = ref.in_features, ref.out_features(ref.in_features)
        self.algebra_weight = nn.Parameter(torch.tensor(ref.weight, dtype=dtype))
        self.algebra_bias = nn.Parameter(torch.tensor(ref.bias, dtype=dtype))
        self.register_buffer("basis", torch.tensor(ref.basis_tensor.astype(np.float64), dtype=dtype))
        tau = algebra.trace_coefficients.astype(np.float64)
        self.register_buffer("tau", torch.tensor(tau, dtype=dtype))

    @property
    def weight(self) -> torch.Tensor:  # type: ignore[override]
        """The lowered real weight, shape ``(out_features, in_features)``."""
        W = torch.einsum("kca,aij->kicj", self.algebra_weight, self.basis)
        return W.reshape(self.out_features, self.in_features)

    @property
    def bias(self) -> torch.Tensor:  # type: ignore[override]
        """The lowered real bias, shape ``(out_features,)``."""
        return self.algebra_bias @ self.tau if self.real_output else self.algebra_bias.reshape(-1)

    def reset_parameters(self) -> None:
        """Redraw He-normal algebra weights and biases (see :class:`AlgebraLinear`)."""
        ref = AlgebraLinear(self.algebra, self.n_in, self.n_out, real_input=self.real_input,
                            real_output=self.real_output)
        with torch.no_grad():
            self.algebra_weight.copy_(torch.from_numpy(ref.weight))
            self.algebra_bias.copy_(torch.from_numpy(ref.bias))

    def to_tropnet(self) -> AlgebraLinear:
        """The :class:`AlgebraLinear` with the current (float64) parameters."""
        return AlgebraLinear(
            self.algebra, self.n_in, self.n_out,
            weight=self.algebra_weight.detach().cpu().double().numpy(),
            bias=self.algebra_bias.detach().cpu().double().numpy(),
            real_input=self.real_input, real_output=self.real_output,
        )

    def extra_repr(self) -> str:
        return (f"{self.algebra.name}, {self.n_in} -> {self.n_out}, real_input={self.real_input}, "
                f"real_output={self.real_output}")


def algebra_linear_to_torch(layer: AlgebraLinear, dtype: torch.dtype = torch.float64) -> TorchAlgebraLinear:
    """The :class:`TorchAlgebraLinear` with the parameters of ``layer``.

    >>> from tropnet.algebras import D
    >>> algebra_linear_to_torch(AlgebraLinear(D, 1, 1, weight=[[[2, 3]]])).weight
    tensor([[2., 0.],
            [3., 2.]], dtype=torch.float64, grad_fn=<ViewBackward0>)
    """
    if not isinstance(layer, AlgebraLinear):
        raise TypeError(f"expected an AlgebraLinear, got {type(layer).__name__}")
    m = TorchAlgebraLinear(layer.algebra, layer.n_in, layer.n_out, real_input=layer.real_input,
                           real_output=layer.real_output, seed=0, dtype=dtype)
    with torch.no_grad():
        m.algebra_weight.copy_(torch.tensor(layer.weight.astype(np.float64), dtype=dtype))
        m.algebra_bias.copy_(torch.tensor(layer.bias.astype(np.float64), dtype=dtype))
    return m


def algebranet_to_torch(net: Network | Algebra, widths: Any = None, seed: int = 0) -> nn.Sequential:
    """A trainable torch ``Sequential`` of an AlgebraNet: pass a :class:`Network` of
    :class:`AlgebraLinear` / ReLU layers, or ``(algebra, widths, seed)`` as for :func:`algebranet`.

    >>> from tropnet.algebras import C
    >>> algebranet_to_torch(C, [2, 4, 1])
    Sequential(
      (0): TorchAlgebraLinear(C, 2 -> 4, real_input=True, real_output=False)
      (1): ReLU()
      (2): TorchAlgebraLinear(C, 4 -> 1, real_input=False, real_output=True)
    )
    """
    if isinstance(net, Algebra):
        if widths is None:
            raise ValueError("algebranet_to_torch(algebra, widths): widths are missing")
        net = algebranet(net, widths, seed=seed)
    elif widths is not None:
        raise ValueError("widths are given only with an algebra, not with a Network")
    return network_to_torch(net)


def to_plain_torch(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every :class:`TorchAlgebraLinear` replaced by the plain
    ``nn.Linear`` of its current real weight (the same function, no algebra structure).

    >>> from tropnet.algebras import C
    >>> to_plain_torch(algebranet_to_torch(C, [2, 4, 1]))[0]
    Linear(in_features=2, out_features=8, bias=True)
    """

    def plain(m: nn.Module) -> nn.Module:
        if isinstance(m, TorchAlgebraLinear):
            w = m.weight.detach()
            lin = nn.Linear(m.in_features, m.out_features, dtype=w.dtype)
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.bias.copy_(m.bias.detach())
            return lin
        if not m._modules:
            return copy.deepcopy(m)
        out = copy.copy(m)
        out._modules = {k: plain(v) for k, v in m._modules.items()}
        return out

    return plain(module)


def _from_torch(m: TorchAlgebraLinear, shape: Shape, path: str) -> tuple[list[AlgebraLinear], Shape]:
    if len(shape) != 1 or shape[0] != m.in_features:
        raise ValueError(f"{path} (TorchAlgebraLinear) expects {m.in_features} flat inputs, receives {shape}")
    return [m.to_tropnet()], (m.out_features,)


FROM_TORCH[TorchAlgebraLinear] = _from_torch
TO_TORCH[AlgebraLinear] = lambda layer, n: algebra_linear_to_torch(layer)
