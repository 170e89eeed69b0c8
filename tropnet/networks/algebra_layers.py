"""Algebra-valued dense layers (AlgebraNets) and their exact lowering to real layers.

An :class:`AlgebraLinear` layer over an :class:`~tropnet.algebras.Algebra` ``A`` computes
``y_k = sum_c w_kc x_c + b_k`` with the algebra product, weight on the left (Hoffmann et al.,
*AlgebraNets*, arXiv 2006.07360).  Features are algebra elements; on the real side ``k``
features are the vector ``x.reshape(-1)`` of their ``(k, dim)`` array (each feature's
components contiguous), so the layer *is* the real :class:`~tropnet.networks.layers.Linear`

    ``W_real[k*dim + a, c*dim + b] = A.left_matrix(w_kc)[a, b]``,  ``b_real = b.reshape(-1)``,

returned by :meth:`AlgebraLinear.lower`.  Between layers :func:`algebranet` puts the
componentwise ReLU, the only activation that keeps the lowered network a ReLU network (a
modulus-type activation such as modReLU is not piecewise linear in the components, so it
has no tropical form).

Input and output of an AlgebraNet (``real_input`` / ``real_output``, on by default in
:func:`algebranet`): real input ``x_c`` enters as the algebra element ``x_c * 1`` (a real
multiple of the unit), and each output feature ``y_k`` is read out as the real number
``A.real_part(y_k) = tr(left_matrix(y_k)) / dim`` (the real part for C, H, D; ``tr(Y)/n``
for Mn(R)).  Both maps are folded into the lowered first and last ``Linear``.

Examples
--------
>>> from tropnet.algebras import C
>>> layer = AlgebraLinear(C, 1, 1, weight=[[[1, 2]]], bias=[[0, 1]])   # y = (1 + 2i) x + i
>>> layer.lower().weight.tolist()
[[Fraction(1, 1), Fraction(-2, 1)], [Fraction(2, 1), Fraction(1, 1)]]
>>> layer.forward(np.array([[3, 4]], dtype=object)).tolist()             # (1+2i)(3+4i) + i
[[Fraction(-5, 1), Fraction(11, 1)]]
>>> layer.num_parameters, layer.real_mults
(4, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from ..algebras import Algebra
from .layers import Layer, Linear, ReLU
from .network import Network

__all__ = ["AlgebraLinear", "algebranet"]


def _count(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{what} must be an integer number of algebra features, got {x!r}")
    if x < 1:
        raise ValueError(f"{what} must be at least 1, got {x}")
    return int(x)


def _params(a: Any, shape: tuple[int, ...], what: str) -> tuple[np.ndarray, bool]:
    try:
        obj = a if isinstance(a, np.ndarray) else np.array(a, dtype=object)
    except ValueError as err:
        raise ValueError(f"AlgebraLinear {what} is ragged: {err}") from None
    if obj.shape != shape:
        raise ValueError(f"AlgebraLinear {what} must have shape {shape}, got shape {obj.shape}")
    if is_exact_array(obj):
        arr = as_exact_array(obj, name=f"AlgebraLinear {what}")
        return arr, True
    return as_float_array(obj, name=f"AlgebraLinear {what}"), False


class AlgebraLinear(Layer):
    """Dense layer over an algebra: ``y_k = sum_c w_kc x_c + b_k``, weight on the left.

    Parameters
    ----------
    algebra
        An :class:`~tropnet.algebras.Algebra`.
    in_features, out_features
        Numbers of algebra-valued input and output features ``C`` and ``K``.
    weight
        Shape ``(out_features, in_features, algebra.dim)``; ``None`` draws He-normal weights
        (see below) from ``numpy.random.default_rng(seed)``.
    bias
        Shape ``(out_features, algebra.dim)``; ``None`` means zero when ``weight`` is given
        and is drawn with the weights (same law, after them) when ``weight`` is ``None``.
    seed
        An int or a ``numpy.random.Generator``, used only to draw missing parameters.
    real_input
        Inputs are ``in_features`` real numbers, each entering as ``x * 1`` (needs a unit).
    real_output
        Outputs are the ``out_features`` real numbers ``algebra.real_part(y_k)``.

    Notes
    -----
    The real width of the layer is ``in_features * dim`` (``in_features`` when
    ``real_input``); the attribute :attr:`in_features` is this real width, as for
    :class:`~tropnet.networks.layers.Linear`; :attr:`n_in`, :attr:`n_out` count algebra features.

    Initialisation is variance preserving (He): each real weight component has variance
    ``2 / (in_features * s)`` where ``s`` is the mean, over output components, of the sum of
    squared coefficients of the layer's bilinear map.  ``s = dim`` for ``C`` and ``H`` (the
    fan-in ``in_features * dim``), ``s = n`` for ``Mn(R)`` (each output entry sums ``n``
    products per feature), ``s = 1`` with ``real_input``.

    >>> from tropnet.algebras import H
    >>> layer = AlgebraLinear(H, 3, 2, seed=0)
    >>> layer.in_features, layer.out_features(12), layer.num_parameters, layer.real_mults
    (12, 8, 32, 96)
    """

    __slots__ = ("algebra", "weight", "bias", "exact", "n_in", "n_out", "real_input", "real_output")

    def __init__(
        self,
        algebra: Algebra,
        in_features: int,
        out_features: int,
        weight: Any = None,
        bias: Any = None,
        seed: int | np.random.Generator | None = None,
        *,
        real_input: bool = False,
        real_output: bool = False,
    ) -> None:
        if not isinstance(algebra, Algebra):
            raise TypeError(f"AlgebraLinear needs a tropnet Algebra, got {type(algebra).__name__}")
        n_in = _count(in_features, "AlgebraLinear in_features")
        n_out = _count(out_features, "AlgebraLinear out_features")
        if real_input and algebra.one is None:
            raise ValueError(f"real_input embeds x as x * 1, but algebra {algebra.name} has no unit")
        self._set(algebra=algebra, n_in=n_in, n_out=n_out, real_input=bool(real_input),
                  real_output=bool(real_output))
        dim = algebra.dim
        if weight is None:
            rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
            B = self.basis_tensor.astype(np.float64)
            s = float((B**2).sum()) / B.shape[1] or 1.0  # 0 only for the zero product
            std = np.sqrt(2.0 / (n_in * s))
            w = rng.normal(0.0, std, size=(n_out, n_in, dim))
            b = rng.normal(0.0, std, size=(n_out, dim)) if bias is None else bias
            weight, bias = w, b
        if bias is None:
            bias = np.zeros((n_out, dim), dtype=np.int64)
        w, w_exact = _params(weight, (n_out, n_in, dim), "weight")
        b, b_exact = _params(bias, (n_out, dim), "bias")
        exact = w_exact and b_exact
        if not exact:
            w, b = w.astype(np.float64), b.astype(np.float64)
        w.flags.writeable = False
        b.flags.writeable = False
        self._set(weight=w, bias=b, exact=exact)

    # ------------------------------------------------------------------ shape
    @property
    def basis_tensor(self) -> np.ndarray:
        """``B`` of shape ``(dim, p, q)``: the real block of weight ``w`` is ``sum_a w_a B[a]``.

        ``B[a] = left_matrix(e_a)`` for a plain layer; with ``real_input`` only the column of the
        unit is kept (``q = 1``), with ``real_output`` the rows are contracted with the
        :meth:`~tropnet.algebras.Algebra.real_part` functional (``p = 1``).  Exact.
        """
        A = self.algebra
        B = A.left_matrix(np.eye(A.dim, dtype=np.int64))  # (a, i, j) = L(e_a)[i, j]
        if self.real_input:
            B = np.tensordot(B, A.one.astype(object), axes=([2], [0]))[:, :, None]
        if self.real_output:
            B = np.tensordot(A.trace_coefficients.astype(object), B, axes=([0], [1]))[:, None, :]
        return B

    @property
    def _p_q(self) -> tuple[int, int]:
        dim = self.algebra.dim
        return (1 if self.real_output else dim), (1 if self.real_input else dim)

    @property
    def in_features(self) -> int:
        """The real input width (``n_in * dim``, or ``n_in`` with ``real_input``)."""
        return self.n_in * self._p_q[1]

    def out_features(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(
                f"AlgebraLinear over {self.algebra.name} expects {self.in_features} real inputs "
                f"({self.n_in} features x {self._p_q[1]} components), receives {in_features}"
            )
        return self.n_out * self._p_q[0]

    @property
    def num_parameters(self) -> int:
        """Real parameters: ``K * C * dim`` weights plus ``K * dim`` biases."""
        return int(self.weight.size + self.bias.size)

    @property
    def real_mults(self) -> int:
        """Real multiplications per forward pass with naive products: ``K * C * nnz(B)``.

        ``nnz(B)`` is ``algebra.mults_per_product`` for a plain layer, ``dim`` with
        ``real_input`` (a real times an algebra element).  Bias additions cost none.
        """
        return self.n_out * self.n_in * int(np.count_nonzero(self.basis_tensor))

    # ------------------------------------------------------------------ maps
    def forward(self, z: np.ndarray) -> np.ndarray:
        """The algebra forward pass, computed with ``algebra.mul`` (not with the lowering)."""
        A, k = self.algebra, z.shape[0]
        self.out_features(z.shape[1])
        exact = self.exact and z.dtype == object
        w, b = self.weight, self.bias
        if not exact:
            w, b = w.astype(np.float64), b.astype(np.float64)
        if not exact and z.dtype == object:
            z = z.astype(np.float64)
        if self.real_input:
            x = z[:, :, None] * A.one.astype(object if exact else np.float64)
        else:
            x = z.reshape(k, self.n_in, A.dim)
        y = np.broadcast_to(b, (k, self.n_out, A.dim)).copy()
        for c in range(self.n_in):  # one input feature at a time keeps memory at (k, K, dim)
            y = y + A.mul(w[None, :, c, :], x[:, None, c, :])
        if self.real_output:
            return A.real_part(y)
        return y.reshape(k, self.n_out * A.dim)

    def lower(self, in_features: int | None = None) -> Any:
        """The equivalent real :class:`~tropnet.networks.layers.Linear`.

        With no argument, the ``Linear`` itself; with the real input width (the
        :class:`~tropnet.networks.layers.Layer` protocol used by ``Network.lowered``), the
        tuple ``(Linear,)``.

        >>> from tropnet.algebras import D
        >>> AlgebraLinear(D, 1, 1, weight=[[[2, 3]]]).lower().weight.tolist()
        [[Fraction(2, 1), Fraction(0, 1)], [Fraction(3, 1), Fraction(2, 1)]]
        """
        if in_features is not None:
            self.out_features(in_features)
        p, q = self._p_q
        B = self.basis_tensor
        if not self.exact:
            B = B.astype(np.float64)
        W = np.tensordot(self.weight, B, axes=([2], [0]))  # (k, c, i, j)
        W = W.transpose(0, 2, 1, 3).reshape(self.n_out * p, self.n_in * q)
        if self.real_output:
            tau = self.algebra.trace_coefficients.astype(object if self.exact else np.float64)
            bias = np.tensordot(self.bias, tau, axes=([1], [0]))
        else:
            bias = self.bias.reshape(-1)
        lin = Linear(W, bias)
        return lin if in_features is None else (lin,)

    # ------------------------------------------------------------------ conversions
    def _with(self, weight: np.ndarray, bias: np.ndarray) -> AlgebraLinear:
        return AlgebraLinear(self.algebra, self.n_in, self.n_out, weight, bias,
                             real_input=self.real_input, real_output=self.real_output)

    def to_exact(self) -> AlgebraLinear:
        return self if self.exact else self._with(as_exact_array(self.weight), as_exact_array(self.bias))

    def to_float(self) -> AlgebraLinear:
        if not self.exact:
            return self
        return self._with(self.weight.astype(np.float64), self.bias.astype(np.float64))

    def to_torch(self) -> Any:
        """The torch counterpart: a ``TorchAlgebraLinear`` (:mod:`tropnet.networks.torch_algebra`,
        needs ``pip install tropnet[torch]``).

        It is an ``nn.Linear`` whose trainable parameters are the algebra weights ``(K, C, dim)``
        and biases ``(K, dim)``; its ``weight``/``bias`` are computed from them on every forward
        pass, so training stays inside the algebra.  ``Network.from_torch`` brings a trained
        ``Sequential`` of them back as :class:`AlgebraLinear` layers, and
        ``torch_algebra.to_plain_torch`` exports plain ``nn.Linear`` modules.

        >>> from tropnet.algebras import C
        >>> m = AlgebraLinear(C, 2, 1, seed=0).to_torch()
        >>> tuple(m.algebra_weight.shape), tuple(m.weight.shape)
        ((1, 2, 2), (2, 4))
        """
        from .torch_algebra import algebra_linear_to_torch

        return algebra_linear_to_torch(self)

    def __repr__(self) -> str:
        io = ("real " if self.real_input else "") + f"{self.n_in} -> " + ("real " if self.real_output else "")
        kind = "exact" if self.exact else "float"
        return f"AlgebraLinear({self.algebra.name}, {io}{self.n_out}, {kind})"


def algebranet(
    algebra: Algebra,
    widths: Sequence[int],
    seed: int = 0,
    *,
    real_input: bool = True,
    real_output: bool = True,
) -> Network:
    """A random AlgebraNet: :class:`AlgebraLinear` layers with componentwise ReLU between them.

    ``widths`` counts algebra features, input first.  With the defaults the network maps
    ``R^widths[0] -> R^widths[-1]``: input ``x_c`` enters as ``x_c * 1`` and each output
    feature is read out by ``algebra.real_part``; with ``real_input=False`` /
    ``real_output=False`` all ``dim`` components of each feature are inputs / outputs.
    Componentwise ReLU is the only activation that keeps the lowered network a ReLU network.
    Weights and biases are He-normal (see :class:`AlgebraLinear`), drawn layer by layer from
    ``numpy.random.default_rng(seed)``.  To train one in torch:
    ``tropnet.networks.torch_algebra.algebranet_to_torch(net)``, then ``Network.from_torch``.

    >>> from tropnet.algebras import C
    >>> net = algebranet(C, [2, 4, 4, 1], seed=0)
    >>> net.input_dim, net.output_dim, net.widths
    (2, 1, (2, 8, 8, 8, 8, 1))
    >>> net.num_parameters
    74
    """
    if not isinstance(algebra, Algebra):
        raise TypeError(f"algebranet needs a tropnet Algebra, got {type(algebra).__name__}")
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError(f"algebranet needs at least an input and an output width, got {widths}")
    widths = [_count(w, f"algebranet width {i}") for i, w in enumerate(widths)]
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    last = len(widths) - 2
    for i, (c, k) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(AlgebraLinear(algebra, c, k, seed=rng,
                                    real_input=real_input and i == 0, real_output=real_output and i == last))
        if i < last:
            layers.append(ReLU())
    return Network(layers)
