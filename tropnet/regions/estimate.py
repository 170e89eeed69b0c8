"""The sampling estimator of the number of linear regions.

The estimator used throughout the expressivity literature (e.g. Novak et al. 2018,
Hanin & Rolnick 2019, Serra et al. 2018 for comparison with exact counts): draw points
uniformly from a bounded domain and count the distinct activation patterns among them
(``kind="activation"``), or the distinct affine maps (``kind="linear"``).  Every pattern
met belongs to a full-dimensional cell with probability one, and distinct patterns lie in
distinct cells, so the estimate is a **lower bound** on the number of activation regions;
likewise distinct maps lie in distinct linear regions.  Cells too small to catch a sample
are missed, so the gap grows with the number of regions.

>>> from tropnet import Box, random_mlp
>>> estimate_linear_regions(random_mlp([2, 8, 8, 1], seed=0), Box(-10, 10), 200_000)  # exact: 105
101
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..geometry.domains import Box, Polyhedron
from ..networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from ..networks.network import Network
from .domains import _sampler

__all__ = ["estimate_linear_regions"]

_CHUNK = 1 << 15
#: maps whose entries agree to this relative precision count as one (``kind="linear"``)
MAP_RTOL = 1e-9
#: a pre-activation this close to its threshold, relative to its terms, is at the threshold
PATTERN_RTOL = 1e-12


def estimate_linear_regions(
    obj: Any,
    domain: Box | Polyhedron | str,
    n_samples: int,
    seed: int = 0,
    *,
    kind: str = "activation",
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
) -> int:
    """A lower bound on the number of regions: distinct activation patterns (or affine maps)
    among ``n_samples`` uniform samples of ``domain``.

    Parameters
    ----------
    obj : Network, TropicalPolynomial, TropicalRational or TropicalRationalMap
        For tropical objects the pattern is the tuple of winning monomials (the first one
        on ties).
    domain : Box, Polyhedron, "auto", or a slice (Segment, Plane, AffineSlice)
        A bounded domain; a polyhedron is sampled by rejection from its bounding box; a slice
        is sampled in its own coordinates (the network composed with its embedding).
        ``"auto"``: the box of :func:`tropnet.effective_radius` (Hoffman bound, slightly
        enlarged) around the origin, which every region meets.
    n_samples : int
        Number of uniform samples.
    seed : int
        Seed of ``numpy.random.default_rng``.
    kind : "activation" or "linear"
        Count distinct activation patterns, or distinct affine maps ``x -> W x + c`` of the
        whole output (maps equal to relative precision ``1e-9`` count as one).
    symmetry : SymmetryGroup, optional
        Sample only the fundamental domain of this group (``obj`` and ``domain`` must be
        invariant) and weigh each distinct pattern by the exact size of its orbit
        (``kind="activation"``, equivariant layers), or each distinct map by the paper's
        gradient weight (``kind="linear"``, may undercount); see
        :func:`tropnet.regions.symmetric.estimate_linear_regions_symmetric`.
    parallel, client : ``None`` (serial), ``"local"`` or ``"dask"`` (see
        :mod:`tropnet.parallel`): the samples are drawn in chunks of ``2**15``, chunk ``i``
        from its own stream ``SeedSequence(seed).spawn(...)[i]``, so the answer is the same
        serial or parallel.

    Returns
    -------
    int
        The number of distinct patterns (maps) met: never more than the exact number of
        activation regions (linear regions) on the domain.

    >>> from tropnet import Box, Network
    >>> net = Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])   # relu(x) + relu(y)
    >>> estimate_linear_regions(net, Box(-1, 1), 1000)
    4
    >>> from tropnet.algebra.polynomial import variables
    >>> x, y = variables("x y")
    >>> estimate_linear_regions(x + y + 0, Box(-1, 1), 1000)   # max(x, y, 0)
    3
    """
    if kind not in ("activation", "linear"):
        raise ValueError(f"kind must be 'activation' or 'linear', got {kind!r}")
    from ..geometry.slices import AffineSlice

    if isinstance(domain, AffineSlice):  # the network composed with the slice, on its domain
        from ..networks.embed import slice_network

        if symmetry is not None:
            raise ValueError("symmetry= does not combine with a slice domain (Segment, Plane, AffineSlice)")
        obj, domain = slice_network(_as_network(obj), domain), domain.domain
    if isinstance(domain, str) and domain == "auto":  # a box every region meets (Hoffman bound)
        from .radius import effective_radius

        r = 1.01 * float(effective_radius(obj, kind=kind)) + 1e-3
        domain = Box(-r, r)
    if symmetry is not None:  # sample a fundamental domain, weigh by exact orbit sizes
        from .symmetric import estimate_linear_regions_symmetric

        weight = "orbit" if kind == "activation" else "gradient"
        return estimate_linear_regions_symmetric(
            obj, domain, n_samples, symmetry, seed, kind=kind, weight=weight
        )
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if symmetry is not None and parallel is not None:
        raise ValueError("symmetry= and parallel= cannot be combined yet; use one of them")
    net = _as_network(obj).lowered(passthrough=True)
    sampler = _sampler(domain, net.input_dim)
    sizes = [min(_CHUNK, n_samples - i) for i in range(0, n_samples, _CHUNK)]
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    from ..tasks import map_tasks  # serial unless parallel=/client= ask for Dask

    jobs = list(zip(streams, sizes))
    parts = map_tasks(_distinct_in_chunk, jobs, parallel=parallel, client=client, shared=(net, sampler))
    keys_all = np.concatenate([k for k, _ in parts])
    _, first = np.unique(keys_all, return_index=True)
    if kind == "activation":
        return int(len(first))
    points = np.concatenate([x for _, x in parts])[first]
    return _count_maps(net, points)


def _distinct_in_chunk(net: Network, sampler, stream: np.random.SeedSequence, k: int):
    """The distinct pattern keys among ``k`` samples drawn from ``stream``, with one point each."""
    x = sampler(np.random.default_rng(stream), k)
    keys = _pattern_keys(net, x)
    _, first = np.unique(keys, return_index=True)
    return keys[first], x[first]


def _as_network(obj: Any) -> Network:
    if isinstance(obj, Network):
        return obj
    from .domains import as_network  # tropical objects: Linear -> GroupMax -> Linear

    return as_network(obj)


# --------------------------------------------------------------------------- sampling


# --------------------------------------------------------------------------- patterns
def _patterns(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """The pattern of every activation layer at the points ``x``.

    A pre-activation within ``PATTERN_RTOL`` of its threshold, relative to the size of the
    terms that make it up, counts as at the threshold (inactive; for ``GroupMax`` a tie,
    won by the first input): a unit identically zero on an open set stays inactive despite
    float rounding, as in the exact definition.
    """
    out = []
    z = x
    mag = np.abs(x)
    for layer in net.layers:
        if isinstance(layer, Linear):
            mag = np.abs(z) @ np.abs(layer.float_weight).T + np.abs(layer.float_bias)
        elif isinstance(layer, Threshold):  # on its units (all, or a graph network's subset)
            idx = slice(None) if layer.units is None else layer.units
            t = np.asarray(layer.t, dtype=np.float64)
            out.append(z[:, idx] - t > PATTERN_RTOL * np.maximum(mag[:, idx], np.abs(t)))
        elif isinstance(layer, LeakyReLU):
            idx = slice(None) if layer.units is None else layer.units
            out.append(z[:, idx] > PATTERN_RTOL * mag[:, idx])
        elif isinstance(layer, GroupMax):
            vals = z[:, layer.groups]
            tol = PATTERN_RTOL * mag[:, layer.groups].max(axis=2, keepdims=True)
            out.append(np.argmax(vals >= vals.max(axis=2, keepdims=True) - tol, axis=2))
            mag = mag[:, layer.groups].max(axis=2)
        z = layer.forward(z)
    return out


def _pattern_keys(net: Network, x: np.ndarray) -> np.ndarray:
    """One byte-string key per sample: the activation pattern, packed."""
    parts = [
        np.packbits(p, axis=1) if p.dtype == bool else p.astype("<u2").view(np.uint8).reshape(len(x), -1)
        for p in _patterns(net, x)
    ]
    if not parts:
        return np.zeros(len(x), dtype="V1")
    rows = np.ascontiguousarray(np.hstack(parts))
    return rows.view(np.dtype((np.void, rows.shape[1]))).ravel()


def _count_maps(net: Network, points: np.ndarray) -> int:
    """Distinct affine maps ``(W, c)`` of the network at the given points."""
    maps = []
    for i in range(0, len(points), 4096):
        x = points[i : i + 4096]
        k, d = x.shape
        pats = iter(_patterns(net, x))
        z = x
        J = np.broadcast_to(np.eye(d), (k, d, d)).copy()
        for layer in net.layers:
            if isinstance(layer, Linear):
                J = np.einsum("ij,kjl->kil", layer.float_weight, J)
            elif isinstance(layer, (Threshold, LeakyReLU)):
                slope = 0.0 if isinstance(layer, Threshold) else np.asarray(layer.alpha, dtype=np.float64)
                f = np.ones((k, J.shape[1]))
                idx = slice(None) if layer.units is None else layer.units
                f[:, idx] = np.where(next(pats), 1.0, slope)
                J = J * f[:, :, None]
            elif isinstance(layer, GroupMax):
                win = next(pats)  # (k, G) position in each group
                src = np.take_along_axis(np.broadcast_to(layer.groups, (k, *layer.groups.shape)),
                                         win[:, :, None], axis=2)[:, :, 0]
                J = J[np.arange(k)[:, None], src]
            z = layer.forward(z)
        c = z - np.einsum("kij,kj->ki", J, x)
        maps.append(np.hstack([J.reshape(k, -1), c]))
    M = np.vstack(maps)
    scale = np.abs(M).max(axis=0) + np.finfo(float).tiny
    q = np.round(M / (MAP_RTOL * scale)).astype(np.int64)
    return int(len(np.unique(q, axis=0)))
