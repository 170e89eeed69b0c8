"""The internal program the engines run: a lowered network as a list of :class:`Stage` s
(affine maps and activations on entries of one vector), optionally homogenised
(``t f(x / t)`` on ``(x, t)``, for all of R^n), and its forward pass.

Every engine (:mod:`~tropnet.regions.refine`, :mod:`~tropnet.regions.hrep`) and the exact
affine walk (:mod:`~tropnet.regions.affine`) read this program; nothing here knows of
domains, exactness policy or public options.

>>> from tropnet import random_mlp
>>> [s.kind for s in stages_from_network(random_mlp([2, 3, 1]))]
['affine', 'threshold', 'affine']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from ..networks.network import Network

__all__ = ["Stage", "stages_from_network", "forward_stages"]


@dataclass(frozen=True)
class Stage:
    """One step of the internal program: ``affine`` (``z -> W z + b``) or an activation on
    the entries ``idx`` of the current vector (``threshold`` with level ``param``,
    ``leaky`` with slope ``param``) or ``group`` (outputs ``max`` over each row of ``groups``,
    then the entries ``idx`` passed through unchanged).

    >>> Stage("threshold", idx=np.arange(3), param=0.0).kind
    'threshold'
    """

    kind: str
    W: Any = None
    b: Any = None
    idx: Any = None
    param: Any = None
    groups: Any = None
    #: a float stage whose numbers are the float64 rounding of the network's exact ones (non-dyadic
    #: rationals, integers beyond 2^53): exact checks of the float program do not speak for the network
    lossy: bool = False
    #: a certified pass's affine stage whose ``W``, ``b`` round the exact ones: each entry within
    #: ``rounding`` times its own magnitude (:func:`tropnet.regions.exactness._stage_to_float`),
    #: which the pass's error bounds add
    rounding: float = 0.0


def _lossy(*arrays) -> bool:
    """Whether an exact layer's numbers change when rounded to float64.

    >>> _lossy(np.array([Fraction(1, 2)], dtype=object)), _lossy(Fraction(1, 3))
    (False, True)
    """
    for a in arrays:
        a = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
        try:
            if a.dtype == object and any(Fraction(float(v)) != v for v in a.ravel()):
                return True
        except OverflowError:  # beyond float64: float mode refuses it, or rounds it
            return True
    return False


def stages_from_network(net: Network, *, exact: bool = False, homogeneous: bool = False,
                        stored: bool = False) -> list[Stage]:
    """The internal program of a lowered network.

    With ``homogeneous=True`` the program acts on ``(x, t)`` and computes ``t f(x / t)``
    (every bias and threshold multiplied by ``t``, which is carried through unchanged).
    With ``stored=True`` (and ``exact=False``) the affine maps of exact ``Linear`` layers keep
    their exact numbers and those of float layers their float64 ones (exact dyadic values): the
    exact program of a network with both, such as a slice's (an exact first layer, the
    network's float layers after it), without converting its float layers.

    >>> from tropnet import random_mlp
    >>> [s.kind for s in stages_from_network(random_mlp([2, 3, 1]))]
    ['affine', 'threshold', 'affine']
    """
    net = net.lowered(passthrough=True)
    if exact:
        net = net.to_exact()
    n = net.input_dim
    width = n
    out: list[Stage] = []
    zero = Fraction(0) if exact else 0.0
    one = Fraction(1) if exact else 1.0

    def arr(a):
        if exact:
            return np.array(a, dtype=object)
        return np.asarray(a, dtype=np.float64)

    def num(v):
        return v if exact else float(v)

    def shift_stage(idx: np.ndarray, t: np.ndarray, sign: int) -> Stage:
        """``z_idx -> z_idx + sign * t`` (times ``c`` when homogeneous), the rest unchanged."""
        size = width + 1 if homogeneous else width
        W = np.zeros((size, size), dtype=object if exact else np.float64)
        W[:] = zero
        for i in range(size):
            W[i, i] = one
        b = arr([zero] * size)
        if homogeneous:
            W[idx, width] = sign * t
        else:
            b[idx] = sign * t
        return Stage("affine", W=W, b=b)

    for layer in net.layers:
        first = len(out)
        if isinstance(layer, Linear):
            keep = exact or (stored and layer.exact)
            W = layer.weight if keep else layer.float_weight
            b = layer.bias if keep else layer.float_bias
            if keep and not exact and not homogeneous:
                out.append(Stage("affine", W=np.array(W, dtype=object), b=np.array(b, dtype=object)))
                width = W.shape[0]
                continue
            if homogeneous:
                m, k = W.shape
                Wh = np.empty((m + 1, k + 1), dtype=object if exact else np.float64)
                Wh[:] = zero
                Wh[:m, :k] = W
                Wh[:m, k] = b
                Wh[m, k] = one
                out.append(Stage("affine", W=Wh, b=arr([zero] * (m + 1))))
            else:
                out.append(Stage("affine", W=arr(W), b=arr(b)))
            width = W.shape[0]
        elif isinstance(layer, Threshold):
            # units (a graph network's pass-through) and per-unit levels: max(z, t) = t + max(z - t, 0)
            idx = np.arange(width) if layer.units is None else np.asarray(layer.units, dtype=np.int64)
            if layer.per_unit or (homogeneous and layer.t != 0):
                t = arr([num(v) for v in np.broadcast_to(np.asarray(layer.t, dtype=object), idx.shape)])
                if any(v != 0 for v in t):
                    out.append(shift_stage(idx, t, -1))
                    out.append(Stage("threshold", idx=idx, param=zero))
                    out.append(shift_stage(idx, t, 1))
                else:
                    out.append(Stage("threshold", idx=idx, param=zero))
            else:
                out.append(Stage("threshold", idx=idx, param=num(layer.t)))
        elif isinstance(layer, LeakyReLU):
            idx = np.arange(width) if layer.units is None else np.asarray(layer.units, dtype=np.int64)
            if layer.per_unit:  # one stage per slope, on disjoint units
                alphas = [num(v) for v in layer.alpha]
                for a in dict.fromkeys(alphas):
                    out.append(Stage("leaky", idx=idx[[k for k, v in enumerate(alphas) if v == a]], param=a))
            else:
                out.append(Stage("leaky", idx=idx, param=num(layer.alpha)))
        elif isinstance(layer, GroupMax):
            g = np.asarray(layer.groups, dtype=np.int64)
            # the trailing rows a graph network carries past the max-pool pass through
            keep = len(g) - layer.carried
            passed = g[keep:, 0]
            idx = np.concatenate([passed, [width]]) if homogeneous else passed
            out.append(Stage("group", groups=g[:keep], idx=np.asarray(idx, dtype=np.int64)))
            width = g.shape[0]
        else:  # pragma: no cover - lowered() guarantees primitives
            raise TypeError(f"unsupported layer {layer!r}")
        if not exact and _layer_lossy(layer):
            out[first:] = [replace(st, lossy=True) for st in out[first:]]
    return out


def _layer_lossy(layer) -> bool:
    if isinstance(layer, Linear):
        return layer.exact and _lossy(layer.weight, layer.bias)
    if isinstance(layer, Threshold):
        return _lossy(np.asarray(layer.t, dtype=object))
    if isinstance(layer, LeakyReLU):
        return _lossy(np.asarray(layer.alpha, dtype=object))
    return False


def _rational_affine(W: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray | None:
    """``z W^T + b`` for object arrays of python-flint rationals (the exact engine's vertices
    and stages) as one ``fmpq_mat`` product: FLINT clears each row's denominators and multiplies
    integers, where numpy's object loop reduces every product and partial sum (ACAS Xu 3_3
    prop_4, exact: the vertex engine's forward passes 44.4 -> 5.9 s of CPU, equal entries).
    ``None`` for other entries (``Fraction``, float) or small products, which take numpy's loop.

    >>> from flint import fmpq
    >>> W = np.array([[fmpq(1, 2), fmpq(-3)]] * 64, dtype=object)
    >>> z = np.array([[fmpq(2, 3), fmpq(1, 7)]] * 64, dtype=object)
    >>> out = _rational_affine(W, np.array([fmpq(1)] * 64, dtype=object), z)
    >>> str(out[0, 0]), bool((out == z.dot(W.T) + 1).all())
    ('19/21', True)
    """
    if z.ndim != 2 or z.size * W.shape[0] < 4096 or type(W.flat[0]).__name__ != "fmpq":
        return None
    import flint

    V, n = z.shape
    try:
        P = flint.fmpq_mat(V, n, z.ravel().tolist()) * flint.fmpq_mat(n, W.shape[0], W.T.ravel().tolist())
    except TypeError:  # an entry that is not an fmpq or an int
        return None
    out = np.empty(V * W.shape[0], dtype=object)
    out[:] = P.entries()
    return out.reshape(V, W.shape[0]) + b


def _apply(st: Stage, z: np.ndarray) -> np.ndarray:
    if st.kind == "affine":
        if z.dtype == object and st.W.size:
            out = _rational_affine(st.W, st.b, z)
            if out is not None:
                return out
        return z.dot(st.W.T) + st.b
    if st.kind == "threshold":
        z = z.copy()
        sub = z[:, st.idx]
        z[:, st.idx] = np.where(sub > st.param, sub, st.param)
        return z
    if st.kind == "leaky":
        z = z.copy()
        sub = z[:, st.idx]
        z[:, st.idx] = np.where(sub > 0, sub, st.param * sub)
        return z
    g = z[:, st.groups].max(axis=2)
    return np.concatenate([g, z[:, st.idx]], axis=1) if len(st.idx) else g


def forward_stages(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Run an internal program on a batch of points.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])
    >>> forward_stages(stages_from_network(net), np.array([[-2.0]])).tolist()
    [[2.0]]
    """
    z = X
    for st in stages:
        z = _apply(st, z)
    return z


def _magnitudes(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Per entry of the program's current vector, a bound on the magnitude of the terms summed
    to compute it at the points ``X`` (``|W| m + |b|`` through the affine maps, from the largest
    ``|x_i|``): the scale of the rounding error in the float pre-activations.  Vector
    arithmetic only, so it costs nothing next to a layer."""
    m = np.abs(X).max(axis=0).astype(np.float64) if len(X) else np.zeros(X.shape[1])
    return _point_magnitudes(stages, m[None, :])[0]


def _point_magnitudes(stages: list[Stage], M: np.ndarray) -> np.ndarray:
    """Per point (row of ``M``, the magnitudes ``|x_i|`` of its coordinates or bounds on them) and
    per entry of the program's vector after ``stages``: the magnitude of the terms summed to
    compute the entry there (``|W| m + |b|`` through the affine maps).  Unlike the bound of
    :func:`_magnitude_bounds` it counts each coordinate with its own weight, so a huge coordinate
    that a unit does not read does not inflate its scale.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[1.0, 0.0]], [[1.0]]], [[2.0], [0.0]])
    >>> _point_magnitudes(stages_from_network(net)[:1], np.array([[0.5, 1e8]])).tolist()
    [[2.5]]
    """
    m = np.asarray(M, dtype=np.float64)
    for st in stages:
        if st.kind == "affine":
            W, b = np.abs(np.asarray(st.W, dtype=np.float64)), np.abs(np.asarray(st.b, dtype=np.float64))
            m = m.dot(W.T) + b
        elif st.kind == "threshold":
            m = m.copy()
            m[:, st.idx] = np.maximum(m[:, st.idx], abs(float(st.param)))
        elif st.kind == "leaky":
            m = m.copy()
            m[:, st.idx] *= max(1.0, abs(float(st.param)))
        else:
            g = m[:, st.groups].max(axis=2)
            m = np.concatenate([g, m[:, st.idx]], axis=1) if len(st.idx) else g
    return m


#: float mode's numeric range: box coordinates and the values of the units on the domain below
#: ``FLOAT_MAX``, box widths above ``FLOAT_MIN``, and the box no larger than ``FLOAT_RESOLUTION``
#: times the network's own scale (the cube radius of R^n: beyond it a float vertex near the
#: network's features carries a rounding error as large as the features)
FLOAT_MAX, FLOAT_MIN, FLOAT_RESOLUTION = 1e100, 1e-100, 1e12


def _magnitude_bounds(stages: list[Stage], d: int) -> tuple[np.ndarray, np.ndarray]:
    """Per entry of the program's vector after ``stages``, ``(A, B)`` with: the magnitude of
    the terms summed to compute it at a point ``x`` is at most ``A ||x||_inf + B`` (``|W| m + |b|``
    through the affine maps, thresholds adding their level, groups their largest member).
    Float mode compares a sign with ``rtol`` times this local magnitude, so that a small cell
    far from the largest values of the domain is still decided at its own scale.

    >>> from tropnet import Network
    >>> net = Network.from_arrays([[[3.0, -1.0]], [[1.0]]], [[2.0], [0.0]])
    >>> A, B = _magnitude_bounds(stages_from_network(net), 2)
    >>> A.tolist(), B.tolist()
    ([4.0], [2.0])
    """
    A = np.ones(d)
    B = np.zeros(d)
    for st in stages:
        if st.kind == "affine":
            W = np.abs(np.asarray(st.W, dtype=np.float64))
            A, B = W.dot(A), W.dot(B) + np.abs(np.asarray(st.b, dtype=np.float64))
        elif st.kind == "threshold":
            B = B.copy()
            B[st.idx] += abs(float(st.param))
        elif st.kind == "leaky":
            f = max(1.0, abs(float(st.param)))
            A, B = A.copy(), B.copy()
            A[st.idx] *= f
            B[st.idx] *= f
        else:
            ga, gb = A[st.groups].max(axis=1), B[st.groups].max(axis=1)
            A = np.concatenate([ga, A[st.idx]]) if len(st.idx) else ga
            B = np.concatenate([gb, B[st.idx]]) if len(st.idx) else gb
    return A, B


class _Program:
    """Constraint ids, pattern columns and hash values for one enumeration."""

    def __init__(self, d: int, nclip: int, stages: list[Stage]):
        self.d = d
        n_ids = 2 * d + nclip
        self.unit_base: list[int] = []
        self.col_base: list[int] = []
        self.unit_ranges: list[tuple[int, int, int]] = []  # (first id, first column, units)
        ncol = 0
        id_group: list[np.ndarray] = [np.full(n_ids, -1, dtype=np.int64)]
        id_a: list[np.ndarray] = [np.zeros(n_ids, dtype=np.int64)]
        id_b: list[np.ndarray] = [np.zeros(n_ids, dtype=np.int64)]
        for st in stages:
            if st.kind in ("threshold", "leaky"):
                m = len(st.idx)
                self.unit_ranges.append((n_ids, ncol, m))
                self.unit_base.append(n_ids)
                self.col_base.append(ncol)
                id_group.append(np.full(m, -1, dtype=np.int64))
                id_a.append(np.zeros(m, dtype=np.int64))
                id_b.append(np.zeros(m, dtype=np.int64))
                n_ids += m
                ncol += m
            elif st.kind == "group":
                G, k = st.groups.shape
                self.unit_base.append(n_ids)
                self.col_base.append(ncol)
                a, b = np.divmod(np.arange(k * k), k)
                id_group.append(np.repeat(ncol + np.arange(G), k * k))
                id_a.append(np.tile(a, G))
                id_b.append(np.tile(b, G))
                n_ids += G * k * k
                ncol += G
            else:
                self.unit_base.append(-1)
                self.col_base.append(-1)
        if n_ids >= (1 << 31) - 1:
            raise ValueError(f"too many constraints for the vertex engine ({n_ids})")
        self.ncols = ncol
        # pattern entries are 0/1 or a group member's position: the narrowest type that holds them
        # (every unit copies the patterns of all cells)
        kmax = max([st.groups.shape[1] for st in stages if st.kind == "group"] + [2])
        self.pat_dtype = np.int8 if kmax <= 127 else (np.int16 if kmax <= 32767 else np.int32)
        self.id_col = np.concatenate(id_group)  # pattern column of a pair id, -1 otherwise
        self.id_a = np.concatenate(id_a)
        self.id_b = np.concatenate(id_b)
        self.has_pairs = bool((self.id_col >= 0).any())
        rng = np.random.default_rng(12345)
        self.R = rng.integers(0, np.iinfo(np.uint64).max, size=n_ids + 1, dtype=np.uint64, endpoint=False)
        self.R[-1] = 0  # hash of the padding (index -1 after masking)
