"""The Newton polytopes of a ReLU layer's units are zonotopes (Zhang, Naitzat & Lim 2018, Sect. 5).

For the first ReLU layer ``nu = max(A x + b, t)`` with ``A = A+ - A-`` (positive and negative
parts), unit ``j`` is ``F_j - G_j`` with ``F_j = max(b_j + <A+_j, x>, t + <A-_j, x>)`` and
``G_j = <A-_j, x>``: the Newton polytope of ``F_j`` is the segment ``A-_j + [0, w_j]`` (``w_j``
the row ``j`` of ``A``), that of ``G_j`` a point.  An affine map ``B`` after it gives unit ``k``
the numerator ``H_k = sum_j B+_kj F_j + B-_kj G_j + c_k`` and the denominator
``sum_j B+_kj G_j + B-_kj F_j``, whose Newton polytopes are Minkowski sums of segments:
**zonotopes** with generators ``B+_kj w_j`` and ``B-_kj w_j`` and the common shift
``sum_j |B_kj| A-_j``.  A zonotope with ``m`` generators in general position in ``R^d`` has
``2 sum_{i<d} C(m-1, i)`` vertices, far fewer than the ``2^m`` terms of the naive expansion:
that is why a one-hidden-layer network's tropical form has so few monomials.

After a second nonlinear layer the Newton polytopes are convex hulls of unions of zonotopes,
no longer zonotopes; :func:`layer_zonotopes` covers the layers up to the first ReLU layer and
the affine map after it.

>>> import tropnet
>>> from tropnet import Linear, ReLU, Network
>>> net = Network([Linear([[1, 2], [3, -1], [-2, 1]], [0, 1, -1]), ReLU(), Linear([[1, -2, 3]])])
>>> num, den = layer_zonotopes(net, 2)[0]
>>> num.generators.tolist(), num.vertices().tolist()
([[1, 2], [-6, 3]], [[0, 5], [1, 7], [6, 2], [7, 4]])
>>> f = tropnet.tropicalize(net)[0]      # the compiler's numerator has the same Newton polygon
>>> sorted(map(tuple, f.numerator.newton_polytope().tolist())) == sorted(map(tuple, num.vertices().tolist()))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..algebra.polynomial import TropicalPolynomial
from .layers import Linear, Threshold
from .network import Network

__all__ = ["Zonotope", "layer_zonotopes"]


def _num(v: Any) -> Any:
    return int(v) if hasattr(v, "denominator") and v.denominator == 1 else v


class Zonotope:
    """The zonotope ``shift + sum_i [0, g_i]`` (immutable), exact or float like its data.

    >>> Z = Zonotope([0, 0], [[1, 0], [0, 1], [1, 1]])
    >>> Z.vertices().tolist(), Z.num_vertices, Z.max_vertices()
    ([[0, 0], [0, 1], [1, 0], [1, 2], [2, 1], [2, 2]], 6, 6)
    """

    __slots__ = ("_shift", "_gens", "_exact")

    def __init__(self, shift: Any, generators: Any) -> None:
        from .._numbers import as_exact_array, as_float_array, is_exact_array

        s = np.array(shift, dtype=object) if not isinstance(shift, np.ndarray) else shift
        g = np.array(generators, dtype=object) if not isinstance(generators, np.ndarray) else generators
        if s.ndim != 1:
            raise ValueError(f"a zonotope's shift must be a vector, got shape {s.shape}")
        g = g.reshape(-1, s.shape[0]) if g.size == 0 else g
        if g.ndim != 2 or g.shape[1] != s.shape[0]:
            raise ValueError(f"generators must have shape (k, {s.shape[0]}), got {g.shape}")
        exact = is_exact_array(s) and is_exact_array(g)
        conv = as_exact_array if exact else as_float_array
        s, g = conv(s, name="shift"), conv(g, name="generators")
        keep = [i for i in range(len(g)) if any(v != 0 for v in g[i])]  # zero generators add nothing
        g = g[keep]
        s.flags.writeable = False
        g.flags.writeable = False
        object.__setattr__(self, "_shift", s)
        object.__setattr__(self, "_gens", g)
        object.__setattr__(self, "_exact", exact)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Zonotope is immutable")

    @property
    def shift(self) -> np.ndarray:
        """The point the generators start from (ints where integral, in exact mode).

        >>> Zonotope([1, 2], [[1, 0]]).shift.tolist()
        [1, 2]
        """
        return self._out(self._shift)

    @property
    def generators(self) -> np.ndarray:
        """The nonzero generators, one per row (zero generators are dropped).

        >>> Zonotope([0, 0], [[1, 0], [0, 0]]).generators.tolist()
        [[1, 0]]
        """
        return self._out(self._gens)

    def _out(self, a: np.ndarray) -> np.ndarray:
        if not self._exact:
            return a
        out = np.empty(a.shape, dtype=object)
        out.ravel()[:] = [_num(v) for v in a.ravel().tolist()]
        return out

    def vertices(self) -> np.ndarray:
        """The vertices, as the Newton polytope of the product of binomials ``0 ⊕ x^{g_i}``
        (exact in exact mode), shifted; rows sorted lexicographically.

        >>> Zonotope([0], [[2], [3]]).vertices().ravel().tolist()
        [0, 5]
        """
        n = len(self._shift)
        p = TropicalPolynomial(np.zeros((1, n), dtype=np.int64) if self._exact else np.zeros((1, n)), [0])
        for g in self._gens:
            zero = np.zeros(n, dtype=object if self._exact else np.float64)
            zero[...] = 0
            p = p * TropicalPolynomial(np.stack([zero, g]), [0, 0] if self._exact else [0.0, 0.0])
        V = p.newton_polytope() + self._shift
        V = V[np.lexsort(V.T[::-1].astype(np.float64))] if len(V) > 1 else V
        return self._out(np.asarray(V))

    @property
    def num_vertices(self) -> int:
        """The number of vertices.

        >>> Zonotope([0, 0], [[1, 0], [0, 1]]).num_vertices
        4
        """
        return len(self.vertices())

    def max_vertices(self) -> int:
        """The vertex count of ``m`` generators in general position in ``R^d``:
        ``2 sum_{i<d} C(m-1, i)`` (``1`` without generators).

        >>> Zonotope([0, 0], [[1, 0], [0, 1], [1, 1], [1, -1]]).max_vertices()
        8
        """
        m, d = len(self._gens), len(self._shift)
        return 1 if m == 0 else 2 * sum(math.comb(m - 1, i) for i in range(d))

    def __repr__(self) -> str:
        return f"Zonotope({len(self._gens)} generators in R^{len(self._shift)})"


def _compose(layers: list[Linear], n: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    if exact:
        W = np.empty((n, n), dtype=object)
        W[...] = 0
        for i in range(n):
            W[i, i] = 1
        b = np.empty(n, dtype=object)
        b[...] = 0
    else:
        W, b = np.eye(n), np.zeros(n)
    for lin in layers:
        Wl = lin.weight if exact else lin.float_weight
        bl = lin.bias if exact else lin.float_bias
        W, b = Wl.dot(W), Wl.dot(b) + bl
    return W, b


def _parts(W: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    if exact:
        pos = np.frompyfunc(lambda v: v if v > 0 else 0, 1, 1)(W).astype(object)
        return pos, pos - W
    return np.maximum(W, 0.0), np.maximum(-W, 0.0)


def layer_zonotopes(net: Network, layer: int) -> list[tuple[Zonotope, Zonotope]]:
    """The Newton polytopes (numerator, denominator) of every unit of ``net.layers[layer]`` as
    zonotopes, for the first ReLU (threshold) layer and the affine layers up to and after it.

    ``layer`` must be the index of a Linear or ReLU/Threshold layer with at most one threshold
    layer at or before it (consecutive Linear layers compose).  Exact for an exact network.

    >>> import tropnet
    >>> net = tropnet.Network([tropnet.Linear([[1, 2], [3, -1]]), tropnet.ReLU()])
    >>> [(num.generators.tolist(), den.generators.tolist()) for num, den in layer_zonotopes(net, 1)]
    [([[1, 2]], []), ([[3, -1]], [])]
    """
    if not isinstance(net, Network):
        raise TypeError(f"layer_zonotopes needs a tropnet Network, got {type(net).__name__}")
    layers = net.layers
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
        raise TypeError(f"layer must be an integer index, got {layer!r}")
    if not -len(layers) <= layer < len(layers):
        raise IndexError(f"layer {layer} is out of range for a network of {len(layers)} layers")
    layer = int(layer) % len(layers)
    exact = net.exact
    before: list[Linear] = []
    after: list[Linear] = []
    seen_threshold = False
    for i, lay in enumerate(layers[: layer + 1]):
        if isinstance(lay, Linear):
            (after if seen_threshold else before).append(lay)
        elif isinstance(lay, Threshold) and not seen_threshold:
            seen_threshold = True
        elif isinstance(lay, Threshold):
            raise ValueError(
                f"layer {layer} comes after a second ReLU/threshold layer (layer {i}): its Newton polytopes "
                "are convex hulls of unions of zonotopes, not zonotopes (Zhang et al. 2018, Sect. 5); "
                "layer_zonotopes covers the layers up to the first ReLU layer and the affine map after it"
            )
        else:
            raise ValueError(
                f"layer {i} is {type(lay).__name__}: layer_zonotopes handles Linear and ReLU/Threshold layers"
            )
    n = net.input_dim
    A, _ = _compose(before, n, exact)
    Ap, Am = _parts(A, exact)
    if not seen_threshold:  # an affine map: (A+ x + b) - A- x, two points
        return [(Zonotope(Ap[k], []), Zonotope(Am[k], [])) for k in range(len(A))]
    if not after:  # the ReLU layer itself: a segment over a point
        return [(Zonotope(Am[j], [A[j]]), Zonotope(Am[j], [])) for j in range(len(A))]
    B, _ = _compose(after, len(A), exact)
    Bp, Bm = _parts(B, exact)
    Babs = Bp + Bm
    out = []
    for k in range(len(B)):
        shift = Babs[k].dot(Am)
        num = Zonotope(shift, np.array([Bp[k, j] * A[j] for j in range(len(A))]))
        den = Zonotope(shift, np.array([Bm[k, j] * A[j] for j in range(len(A))]))
        out.append((num, den))
    return out
