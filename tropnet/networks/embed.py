"""A network composed with an affine map is again a network.

:func:`compose_affine` gives the network ``y -> net(origin + y @ basis)`` on ``R^k``: the
embedding is folded into the first affine layer (``W -> W basis^T``,
``b -> b + W origin``), exactly (integer numerators over one denominator, FLINT for large
products) when asked or when everything is exact.  Its units are the original network's units
in the same order, so its activation patterns are patterns of the original network.

>>> from tropnet import Network
>>> net = Network.from_arrays([[[1, 1], [1, -1]], [[1, 1]]])  # relu(x + y) + relu(x - y)
>>> line = compose_affine(net, [0, 1], [[1, 0]])                # x = s, y = 1
>>> [int(net([3, 1])[0]), int(line([3])[0])]
[6, 6]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_number_array
from ..kernels.scaled import exact_matmul, from_scaled
from .layers import Linear
from .network import Network

__all__ = ["compose_affine", "slice_network"]


def compose_affine(net: Network, origin: Any, basis: Any, *, exact: bool | None = None) -> Network:
    """The network ``y -> net(origin + y @ basis)``, ``basis`` a ``(k, n)`` array of directions.

    ``exact=None`` keeps exact numbers when the network, the origin and the basis are all exact;
    ``exact=True`` computes in rationals (float entries are their dyadic rationals);
    ``exact=False`` in float64.

    >>> from tropnet import random_mlp
    >>> net = random_mlp([3, 4, 1], seed=0)
    >>> sub = compose_affine(net, [0.0, 1.0, 0.0], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    >>> sub.input_dim, bool(np.isclose(sub([0.5, 2.0])[0], net([0.5, 1.0, 2.0])[0]))
    (2, True)
    """
    o = as_number_array(origin, name="origin", ndim=1)
    B = as_number_array(basis, name="basis", ndim=2)
    n = net.input_dim
    if o.shape[0] != n or B.shape[1] != n:
        raise ValueError(
            f"the affine map has points of length {o.shape[0]} and directions of length {B.shape[1]}, "
            f"but the network has {n} inputs"
        )
    if exact is None:
        exact = net.exact and o.dtype == object and B.dtype == object
    layers = net.layers
    first = layers[0]
    if isinstance(first, Linear):
        W, b = first.weight, first.bias
        rest = layers[1:]
    else:
        W = np.eye(n, dtype=np.int64)
        b = np.zeros(n, dtype=np.int64)
        rest = layers
    if exact:
        # [W basis^T | W origin] in one integer product (a float weight is its dyadic rational)
        M = np.concatenate([as_exact_array(B).T, as_exact_array(o)[:, None]], axis=1)
        z, d = exact_matmul(W, M)
        prod = from_scaled(z, d)
        new = Linear(prod[:, :-1], prod[:, -1] + as_exact_array(b))
    else:
        Wf = np.asarray(W, dtype=np.float64) if W.dtype != object else np.array(W.tolist(), dtype=np.float64)
        bf = np.asarray(b, dtype=np.float64) if b.dtype != object else np.array(b.tolist(), dtype=np.float64)
        Bf = np.asarray(B, dtype=np.float64) if B.dtype != object else np.array(B.tolist(), dtype=np.float64)
        of = np.asarray(o, dtype=np.float64) if o.dtype != object else np.array(o.tolist(), dtype=np.float64)
        new = Linear(Wf.dot(Bf.T), Wf.dot(of) + bf)
    out = [new, *rest]
    if not exact:
        out = [layer.to_float() if getattr(layer, "exact", False) else layer for layer in out]
    return Network(out)


def slice_network(net: Network, slc: Any, *, exact: bool | None = None) -> Network:
    """``net`` restricted to an :class:`~tropnet.AffineSlice` (a network on its ``k``
    slice coordinates): :func:`compose_affine` with the slice's origin and directions.

    >>> from tropnet import Segment, random_mlp
    >>> slice_network(random_mlp([4, 3, 1]), Segment([0] * 4, [1] * 4)).input_dim
    1
    """
    slc.check_input_dim(net.input_dim)
    return compose_affine(net, slc.origin, slc.basis, exact=exact)
