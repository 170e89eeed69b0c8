"""Region enumeration and parameter sweeps on Dask, with answers identical to serial.

Every long-running entry point takes ``parallel=None | "local" | "dask"`` and ``client``:

* ``None`` — serial, in this process (the default; dask is never imported);
* ``"local"`` — a :class:`dask.distributed.LocalCluster` with one single-threaded worker
  process per core, started and closed by the call;
* ``"dask"`` — the given ``client``, or the current default client, so a user who connected
  with ``Client("tcp://host:8786")`` runs on that cluster.

This module holds the public names: :func:`count_parallel` and :func:`regions_parallel` (the
region driver, :mod:`tropnet.regions.parallel`, says how the enumeration is partitioned, what
travels and how exactness and faults are handled), :func:`sweep` (a function over a parameter
grid) and the task layer's :func:`connect`, :func:`dask_client` and :func:`map_tasks`
(:mod:`tropnet.tasks`).

>>> import tropnet
>>> from tropnet.parallel import count_parallel
>>> count_parallel(tropnet.random_mlp([2, 8, 8, 1], seed=0), tropnet.Box(-10, 10), kind="activation")
105
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .regions.parallel import count_parallel, regions_parallel
from .tasks import PARALLEL_MODES, Spawn, connect, dask_client, map_tasks

__all__ = [
    "PARALLEL_MODES",
    "dask_client",
    "connect",
    "Spawn",
    "count_parallel",
    "regions_parallel",
    "sweep",
    "map_tasks",
]


def _grid_points(grid: Any) -> list[dict]:
    if isinstance(grid, Mapping):
        keys = list(grid)
        values = []
        for k in keys:
            v = grid[k]
            if isinstance(v, (str, bytes)) or not isinstance(v, Iterable):
                raise TypeError(f"sweep grid entry {k!r} must be a list of values, got {type(v).__name__}")
            values.append(list(v))
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    points = list(grid)
    for i, p in enumerate(points):
        if not isinstance(p, Mapping):
            raise TypeError(f"sweep grid point {i} must be a dict of keyword arguments, not {type(p)}")
    return [dict(p) for p in points]


def _call_point(fn: Callable, point: dict) -> tuple[bool, Any]:
    try:
        return True, fn(**point)
    except Exception as err:  # reported per grid point, never lost
        tb = traceback.format_exception_only(type(err), err)[-1].strip()
        return False, tb


def _row(point: dict, ok: bool, value: Any) -> dict:
    row = dict(point)
    if ok:
        if isinstance(value, Mapping):
            row.update(value)
        else:
            row["result"] = value
        row["error"] = None
    else:
        row["error"] = value
    return row


def sweep(
    fn: Callable[..., Any],
    grid: Any,
    *,
    parallel: str | None = None,
    client: Any = None,
    progress: bool = True,
    as_frame: bool | None = None,
):
    """Map ``fn(**point)`` over a grid and return a table in grid order.

    ``grid`` is a dict of lists (their Cartesian product, first key slowest) or a list of
    dicts.  Each row holds the point's parameters, then ``fn``'s result (a dict is spread into
    columns, anything else goes under ``"result"``), and ``"error"``: ``None``, or the
    exception (type and message) raised at that point — a failing point never loses the
    others.  Returns a pandas DataFrame when pandas is installed (``as_frame=False`` for the
    list of dicts).

    >>> def square(n):
    ...     if n == 3:
    ...         raise ValueError("three is not allowed")
    ...     return {"square": n * n}
    >>> rows = sweep(square, {"n": [1, 2, 3]}, progress=False, as_frame=False)
    >>> [(r["n"], r.get("square"), r["error"]) for r in rows]
    [(1, 1, None), (2, 4, None), (3, None, 'ValueError: three is not allowed')]
    """
    if not callable(fn):
        raise TypeError(f"sweep needs a callable, got {type(fn).__name__}")
    points = _grid_points(grid)
    jobs = [(fn, p) for p in points]
    out = map_tasks(_call_point, jobs, parallel=parallel, client=client, progress=progress)
    rows = [_row(p, ok, v) for p, (ok, v) in zip(points, out)]
    if as_frame is False:
        return rows
    try:
        import pandas as pd
    except ImportError:
        if as_frame:
            raise ImportError("as_frame=True needs pandas: pip install pandas") from None
        return rows
    return pd.DataFrame(rows)
