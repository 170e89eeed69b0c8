"""Local complexity: the regions near each data point, counted exactly.

On a small neighbourhood of a point most units keep one sign: they are found and removed first
(:mod:`tropnet.regions.stable`), so the engine only enumerates the units that cut the
neighbourhood, and a neighbourhood with none is a single region.

:func:`local_complexity` counts, for each row ``x`` of ``X``, the regions meeting the
``k``-dimensional neighbourhood of ``x`` spanned by ``k`` random orthonormal directions (the
construction of Humayun, Balestriero and Baraniuk, 2024, counted exactly instead of by
sampling).  Point ``i`` uses ``AffineSlice.around(X[i], radius, k=k, shape=shape,
seed=[seed, i])``, so each count equals :func:`tropnet.count_linear_regions` on that slice.

>>> import tropnet
>>> net = tropnet.random_mlp([8, 16, 16, 1], seed=0)
>>> X = np.random.default_rng(0).normal(size=(4, 8))
>>> local_complexity(net, X, 0.5).tolist()
[5, 22, 48, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numbers import as_number_array
from ..geometry.slices import AffineSlice
from ..networks.embed import slice_network
from .domains import as_network
from .program import stages_from_network
from .stable import count_pruned, stable_units

__all__ = ["local_complexity", "local_slices"]


def local_slices(
    X: Any, radius: Any, *, k: int = 2, shape: str = "cross", seed: int = 0
) -> list[AffineSlice]:
    """The neighbourhoods :func:`local_complexity` counts on: point ``i`` gets
    ``AffineSlice.around(X[i], radius, k=k, shape=shape, seed=[seed, i])``.

    >>> [s.k for s in local_slices(np.zeros((2, 3)), 0.1, k=2)]
    [2, 2]
    """
    Xa = as_number_array(X, name="X", ndim=2)
    return [AffineSlice.around(Xa[i], radius, k=k, shape=shape, seed=[seed, i]) for i in range(len(Xa))]


def local_complexity(
    net: Any,
    X: Any,
    radius: Any,
    *,
    k: int = 2,
    shape: str = "cross",
    seed: int = 0,
    kind: str = "activation",
    exact: bool = False,
    parallel: str | None = None,
    client: Any = None,
    max_regions: int | None = None,
) -> np.ndarray:
    """For each row ``x`` of ``X``, the number of regions of ``kind`` meeting the
    ``k``-dimensional neighbourhood of ``x`` (radius ``radius``, ``shape`` ``"cross"`` for the
    cross-polytope or ``"box"``) spanned by ``k`` random orthonormal directions.

    Counted exactly (``exact=True``: in rational arithmetic): for each point the stable units
    are removed first (interval bounds over all points at once), and only points with units that
    cut their neighbourhood run the engine.  ``parallel="local"``/``"dask"`` spreads the points
    over Dask workers (``pip install tropnet[dask]``).  Returns an int array, one count per
    point.  Raises ``ValueError`` for ``radius <= 0``, ``k`` larger than the input dimension, or
    points of the wrong length.

    >>> import tropnet
    >>> net = tropnet.random_mlp([3, 8, 1], seed=1)
    >>> x = np.array([[0.3, -0.2, 0.1]])
    >>> lc = tropnet.local_complexity(net, x, 1.0, k=2, seed=0)
    >>> s = local_slices(x, 1.0, k=2, seed=0)[0]
    >>> int(lc[0]) == tropnet.count_linear_regions(tropnet.networks.embed.slice_network(net, s),
    ...                                             s.domain, kind="activation")
    True
    """
    net = as_network(net)
    Xa = as_number_array(X, name="X")
    if Xa.ndim == 1:
        Xa = Xa[None, :]
    if Xa.ndim != 2:
        raise ValueError(f"X must be a (points, inputs) array, got shape {Xa.shape}")
    if Xa.shape[1] != net.input_dim:
        raise ValueError(f"points have length {Xa.shape[1]}, but the network has {net.input_dim} inputs")
    if kind not in ("activation", "linear"):
        raise ValueError(f"kind must be 'linear' or 'activation', got {kind!r}")
    slices = local_slices(Xa, radius, k=k, shape=shape, seed=seed)
    args = dict(kind=kind, exact=exact, max_regions=max_regions)
    if parallel is not None or client is not None:
        from ..tasks import dask_client

        with dask_client(parallel, client) as c:
            chunks = np.array_split(np.arange(len(slices)), max(1, min(len(slices), 64)))
            futs = c.map(_count_chunk, [net] * len(chunks), [[slices[i] for i in ch] for ch in chunks],
                         [args] * len(chunks), pure=False)
            return np.concatenate(c.gather(futs)).astype(np.int64)
    return _count_chunk(net, slices, args)


def _count_chunk(net, slices: list[AffineSlice], args: dict) -> np.ndarray:
    """Counts on a batch of slices of one network: the composed networks' first layers are one
    batched product, the interval bounds one vectorised pass."""
    out = np.zeros(len(slices), dtype=np.int64)
    if not slices:
        return out
    kind, exact = args["kind"], args["exact"]
    for i, slc in enumerate(slices):
        sub = slice_network(net, slc, exact=exact)
        if kind == "activation":
            stages = stages_from_network(sub, exact=exact)
            out[i] = count_pruned(stages, slc.domain, slc.k, exact=exact, max_regions=args["max_regions"])[0]
        else:
            from .api import count_linear_regions

            stages = stages_from_network(sub, exact=False)
            s = stable_units(stages, slc.domain, slc.k)
            if s.num_stable == s.num_units and not any(st.kind == "group" for st in stages):
                out[i] = 1
            else:
                out[i] = count_linear_regions(
                    net, slc, kind=kind, exact=exact, max_regions=args["max_regions"]
                )
    return out
