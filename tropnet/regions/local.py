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
from ..geometry.domains import Box, CrossPolytope, cross_polytope_of
from ..geometry.slices import AffineSlice
from ..networks.embed import slice_network
from ..networks.layers import Linear
from ..networks.network import Network
from .cells import RegionLimitError
from .domains import as_network
from .hrep import uses_hrep_cross
from .program import Stage, stages_from_network
from .stable import StableUnits, _domain_shape, _propagate, count_pruned, prune_stages, stable_units

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
    """Counts on a batch of slices of one network (the slices of one call share their domain:
    one radius and shape).  In float mode the composed programs differ only in their first
    affine stage (``W (x + B^T y) + b``): those are one batched product, the stable units of
    all points one interval pass (:func:`~tropnet.regions.stable._propagate` with one first
    stage per point), a neighbourhood whose units are all stable is one region, and the others
    run an engine on their unstable units: for ``k = 2`` the polygon engine's count
    (:func:`~tropnet.regions.planar.count_cells`, the plan's 2-D engine), for a cross-polytope
    of ``k >= 5``, or of ``k = 3, 4`` with fewer than ``2k - 1`` unstable units, the
    H-representation engine (:func:`_count_ball`), else the vertex engine."""
    out = np.zeros(len(slices), dtype=np.int64)
    if not slices:
        return out
    kind, exact, cap = args["kind"], args["exact"], args["max_regions"]
    layers = None if exact or net.is_graph else net.lowered().layers
    if layers is None or not isinstance(layers[0], Linear):
        for i, slc in enumerate(slices):  # exact (or a graph network): each composed program
            out[i] = _count_one(net, slc, stages_from_network(slice_network(net, slc, exact=exact),
                                                              exact=exact and kind == "activation"), args)
        return out
    base = stages_from_network(net)
    k = slices[0].k
    W0, b0 = layers[0].float_weight, layers[0].float_bias
    embs = [slc.embedding(exact=False) for slc in slices]
    Ws = np.einsum("wn,pkn->pwk", W0, np.stack([B for _, B in embs]))
    bs = np.stack([o for o, _ in embs]) @ W0.T + b0
    P = len(slices)
    mid, rad, cross = _domain_shape(slices[0].domain, k)
    try:
        on, off = _propagate([Stage("affine", W=Ws, b=bs)] + base[1:], np.tile(mid, (P, 1)),
                             np.tile(rad, (P, 1)), cross)
    except OverflowError:  # beyond float range: every point runs its engine
        on = off = None
    unstable = None
    if on is not None and not any(st.kind == "group" for st in base):
        unstable = sum((~(a | b)).sum(axis=1) for a, b in zip(on, off))
        out[unstable == 0] = 1
        todo = np.flatnonzero(unstable)
    else:
        todo = np.arange(P)
    from .plan import _planar_module

    dom, box = slices[0].domain, None
    if kind == "activation" and k == 2 and _planar_module() is not None:  # its box and halfspaces
        if isinstance(dom, Box):
            box = (*dom.bounds(k), None)
        else:  # the cross-polytope, inside the box of twice its half-widths
            box = (mid - 2 * rad, mid + 2 * rad, dom.halfspaces(k))
    ball = None
    if k >= 3 and cross is not None and kind == "activation":  # a cross-polytope: its centre, radius
        ball = (dom.exact_center(k).astype(np.float64), float(dom.radius)) if isinstance(dom, CrossPolytope) \
            else cross_polytope_of(dom.A, dom.b)[:2]
    # up to CROSS_HREP_COUNT_DIM (4) inputs a count lists the ball's 2^k facets: so does a point
    # here with at least 2k - 1 units cutting its neighbourhood (the ball kept whole costs ~1 ms
    # a cut unit and grows; the listed facets ~3 ms (k = 3) / ~6 ms (k = 4) a point, then grow
    # slowly: 2-9x faster from 7 units, 0.2-0.7x below 2k - 1)
    listed = not uses_hrep_cross(k, False, count=True)
    for i in todo:
        stages = [Stage("affine", W=Ws[i], b=bs[i])] + base[1:]
        s = None if on is None else StableUnits([None if a is None else a[i] for a in on],
                                                [None if b is None else b[i] for b in off])
        if box is not None:
            out[i] = _count_planar(Network([Linear(Ws[i], bs[i]), *layers[1:]]), box, cap)
            if out[i] >= 0:
                continue
        if ball is not None and not (listed and (unstable is None or unstable[i] >= 2 * k - 1)):
            out[i] = _count_ball(stages, s if s is not None else stable_units(stages, dom, k), k, ball, cap)
            continue
        out[i] = _count_one(net, slices[i], stages, args, s)
    return out


def _count_ball(stages: list, stable: StableUnits, k: int, ball: tuple, cap: int | None) -> int:
    """The activation cells of a program on the cross-polytope ``|y - c|_1 <= r`` (``ball =
    (c, r)``), its stable units removed, by the H-representation engine with the 1-norm ball
    kept whole in its LPs (:func:`~tropnet.regions.hrep.refine_hrep`): the vertex engine would
    enumerate the ball's ``2^k`` facets, whose ``2k`` vertices are each on ``2^(k-1)`` of them."""
    from .hrep import refine_hrep

    pr = prune_stages(stages, stable.on, stable.off)
    c, r = ball
    try:
        return len(refine_hrep(pr, k, c - r, c + r, l1=(c, r), max_cells=cap))
    except RegionLimitError as err:
        raise RegionLimitError(f"more than max_regions={cap} regions ({err})", err.limit,
                               err.reached) from None


def _count_planar(sub: Network, box: tuple, cap: int | None) -> int:
    """The polygon engine's count of a 2-input network on ``box = (lo, hi, halfspaces)``, or
    ``-1`` where a decision was ambiguous at its tolerance (the vertex engine, whose tolerance
    is local, then decides, as the plan does)."""
    from .planar import count_cells

    stats: dict = {}
    try:
        n = count_cells(sub, box[0], box[1], halfspaces=box[2], max_cells=cap, stats=stats)
    except RegionLimitError as err:
        raise RegionLimitError(f"more than max_regions={cap} regions ({err})", err.limit,
                               err.reached) from None
    return -1 if stats.get("ambiguous") else int(n)


def _count_one(net, slc: AffineSlice, stages: list, args: dict, stable: StableUnits | None = None) -> int:
    """The count on one slice: its program's stable units removed (``stable``: already known),
    then the engine; linear regions through :func:`tropnet.count_linear_regions` (which keeps the
    slice's cross-polytope whole where a count does that, also when it is listed as its ``2^k``
    rows: :meth:`~tropnet.AffineSlice.around` up to ``k = 12``)."""
    kind, exact = args["kind"], args["exact"]
    if stable is None:
        stable = stable_units(stages, slc.domain, slc.k)
    if stable.num_stable == stable.num_units and not any(st.kind == "group" for st in stages):
        return 1
    if kind == "activation":
        return count_pruned(stages, slc.domain, slc.k, exact=exact, max_regions=args["max_regions"],
                            stable=stable)[0]
    from .api import count_linear_regions

    return count_linear_regions(net, slc, kind=kind, exact=exact, max_regions=args["max_regions"])
