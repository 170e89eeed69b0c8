"""Training curves of region complexity: where the data lives, checkpoint by checkpoint.

:func:`complexity_curve` measures, for each checkpoint of one architecture, the local complexity
of the data (:func:`tropnet.local_complexity`: regions meeting a small neighbourhood of each
point, counted exactly), the number of regions along segments between pairs of data points
(Hanin and Rolnick's measure, the exact 1-D path), and the regions on one fixed plane through
three data points.  It returns a table: a ``pandas.DataFrame`` when pandas is installed (or
``as_frame=False``: a dict of numpy arrays), one row per checkpoint;
:func:`tropnet.plot.complexity_curve` draws it.

>>> import tropnet
>>> nets = [tropnet.random_mlp([4, 8, 8, 2], seed=s) for s in range(3)]
>>> X = np.random.default_rng(0).normal(size=(6, 4))
>>> t = complexity_curve(nets, X, radius=0.5, as_frame=False)
>>> sorted(t)[:4], t["lc_mean"].shape
(['checkpoint', 'lc_max', 'lc_mean', 'lc_median'], (3,))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._numbers import as_number_array
from ..geometry.slices import Plane, Segment
from ..networks.network import Network
from ..regions.api import count_linear_regions
from ..regions.local import local_complexity

__all__ = ["complexity_curve", "load_checkpoints"]


def load_checkpoints(checkpoints: Sequence[Any], module: Any = None) -> list[Network]:
    """Networks from a list of :class:`~tropnet.Network` objects or torch state dicts (loaded
    into ``module``, a ``torch.nn.Module``, one at a time); all of one architecture.

    Raises ``ValueError`` naming the first checkpoint whose architecture differs.

    >>> import tropnet
    >>> len(load_checkpoints([tropnet.random_mlp([2, 3, 1], seed=s) for s in range(2)]))
    2
    """
    nets = []
    for i, ck in enumerate(checkpoints):
        if isinstance(ck, Network):
            net = ck
        elif isinstance(ck, dict):
            if module is None:
                raise ValueError(
                    f"checkpoint {i} is a state dict: pass module=<the torch.nn.Module to load it into>"
                )
            try:
                module.load_state_dict(ck)
            except (RuntimeError, KeyError) as err:
                first = str(err).splitlines()[0]
                raise ValueError(
                    f"checkpoint {i} does not fit the module (different architecture): {first}"
                ) from None
            net = Network.from_torch(module)
        else:
            raise TypeError(
                f"checkpoint {i} is a {type(ck).__name__}; give tropnet Networks or torch state dicts"
            )
        nets.append(net)
    if not nets:
        raise ValueError("no checkpoints given")
    arch = [type(layer).__name__ for layer in nets[0].layers], nets[0].widths
    for i, net in enumerate(nets[1:], 1):
        if ([type(layer).__name__ for layer in net.layers], net.widths) != arch:
            raise ValueError(
                f"checkpoints of different architectures: checkpoint {i} has widths {list(net.widths)}, "
                f"checkpoint 0 has {list(arch[1])}"
            )
    return nets


def complexity_curve(
    checkpoints: Sequence[Any],
    X: Any,
    *,
    radius: Any = 0.1,
    k: int = 2,
    shape: str = "cross",
    pairs: Any = None,
    plane: Plane | None = None,
    kind: str = "activation",
    exact: bool = False,
    module: Any = None,
    seed: int = 0,
    parallel: str | None = None,
    as_frame: bool = True,
) -> Any:
    """Region complexity of each checkpoint around the data ``X`` (rows are points).

    Columns: ``checkpoint``; ``lc_mean``, ``lc_median``, ``lc_q25``, ``lc_q75``, ``lc_max``
    (local complexity over the rows of ``X``, ``radius``/``k``/``shape`` as in
    :func:`tropnet.local_complexity`); ``segment_mean`` (mean number of regions along the
    segments between ``pairs`` of rows, default ``(0, 1), (2, 3), ...``); ``plane_regions``
    (regions on ``plane``, default the plane through the first three rows, margin 0.25).
    ``checkpoints`` are networks of one architecture or torch state dicts for ``module``.

    >>> import tropnet
    >>> nets = [tropnet.random_mlp([3, 6, 1], seed=s) for s in range(2)]
    >>> t = complexity_curve(nets, np.eye(3), radius=0.2, as_frame=False)
    >>> t["checkpoint"].tolist(), t["plane_regions"].dtype.kind
    ([0, 1], 'i')
    """
    nets = load_checkpoints(checkpoints, module)
    n = nets[0].input_dim
    Xa = as_number_array(X, name="X", ndim=2)
    if Xa.shape[1] != n:
        raise ValueError(f"the points have length {Xa.shape[1]}, but the networks have {n} inputs")
    if pairs is None:
        pairs = [(i, i + 1) for i in range(0, len(Xa) - 1, 2)]
    pairs = [(int(a), int(b)) for a, b in pairs]
    for a, b in pairs:
        if not (0 <= a < len(Xa) and 0 <= b < len(Xa)):
            raise ValueError(f"pair ({a}, {b}) names a row outside X ({len(Xa)} rows)")
    segments = [Segment(Xa[a], Xa[b]) for a, b in pairs if np.any(Xa[a] != Xa[b])]
    if plane is None and len(Xa) >= 3 and n >= 2:
        plane = Plane.through(Xa[0], Xa[1], Xa[2])
    cols: dict[str, list] = {c: [] for c in (
        "checkpoint", "lc_mean", "lc_median", "lc_q25", "lc_q75", "lc_max", "segment_mean", "plane_regions"
    )}
    for i, net in enumerate(nets):
        lc = local_complexity(net, Xa, radius, k=k, shape=shape, seed=seed, kind=kind, exact=exact,
                              parallel=parallel)
        seg = [count_linear_regions(net, s, kind=kind, exact=exact) for s in segments]
        cols["checkpoint"].append(i)
        cols["lc_mean"].append(float(lc.mean()))
        cols["lc_median"].append(float(np.median(lc)))
        cols["lc_q25"].append(float(np.quantile(lc, 0.25)))
        cols["lc_q75"].append(float(np.quantile(lc, 0.75)))
        cols["lc_max"].append(int(lc.max()))
        cols["segment_mean"].append(float(np.mean(seg)) if seg else float("nan"))
        if plane is not None:
            cols["plane_regions"].append(_count_on(net, plane, kind, exact))
        else:
            cols["plane_regions"].append(-1)
    table = {c: np.asarray(v) for c, v in cols.items()}
    table["checkpoint"] = table["checkpoint"].astype(np.int64)
    table["lc_max"] = table["lc_max"].astype(np.int64)
    table["plane_regions"] = table["plane_regions"].astype(np.int64)
    if as_frame:
        try:
            import pandas as pd
        except ImportError:
            return table
        return pd.DataFrame(table)
    return table


def _count_on(net: Network, plane: Plane, kind: str, exact: bool) -> int:
    from ..networks.embed import slice_network

    sub = slice_network(net, plane, exact=exact)
    return int(count_linear_regions(sub, plane.domain, kind=kind, exact=exact))
