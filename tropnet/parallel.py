"""Region enumeration and parameter sweeps on Dask, with answers identical to serial.

Every long-running entry point takes ``parallel=None | "local" | "dask"`` and ``client``:

* ``None`` — serial, in this process (the default; dask is never imported);
* ``"local"`` — a :class:`dask.distributed.LocalCluster` with one single-threaded worker
  process per core, started and closed by the call;
* ``"dask"`` — the given ``client``, or the current default client, so a user who connected
  with ``Client("tcp://host:8786")`` runs on that cluster.

*How the enumeration is partitioned.*  The domain is cut into pieces by a k-d bisection
(the piece of largest volume is halved across its longest side; all of R^n is cut by the
signs of the first coordinates).  Each piece is one task: the worker runs the serial
enumerator on it (the network travels once, as the result of a task; a task carries only its
piece).  A cell cut by a piece boundary is found in every piece it meets, with one pattern;
the driver joins the pieces by pattern (an activation cell is convex, so one pattern is one
cell), so the answer is exactly the serial one.  For counts the workers return their distinct
patterns; for regions, the cells in the shared-array form, and the driver runs the serial
facet/neighbour/merge step over all cells at once, so a linear region spanning several pieces
is joined exactly as in a serial run.

*What it buys.*  Measured (``benchmarks/bench_parallel.py``, ``docs/cluster.md``): the cuts
duplicate work (cells met by a cut are enumerated twice: x1.2-1.5 for 4 pieces in 4-6
inputs, growing with the number of pieces and the input dimension) and pieces are uneven,
so on two cores one count is *not* faster than serial; the mode pays off for sweeps over
many networks (one task per network) and on clusters with many workers.

*Faults.*  Tasks are pure and are submitted with ``retries``: a worker that dies mid-run has
its tasks re-run elsewhere by Dask, so the answer is unchanged; if they fail repeatedly the
call raises, never returns a partial count.

>>> import tropnet
>>> from tropnet.parallel import count_parallel
>>> count_parallel(tropnet.random_mlp([2, 8, 8, 1], seed=0), tropnet.Box(-10, 10), kind="activation")
105
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from .geometry.domains import Box, Polyhedron
from .regions.api import row_keys

__all__ = [
    "PARALLEL_MODES",
    "dask_client",
    "connect",
    "partition_pieces",
    "count_parallel",
    "regions_parallel",
    "sweep",
    "map_tasks",
]

PARALLEL_MODES = (None, "local", "dask")
"""The values of ``parallel=``: serial, a local cluster for the call, an existing client.

>>> "local" in PARALLEL_MODES
True
"""

_INSTALL = "parallel execution needs dask.distributed: pip install 'tropnet[dask]'"


# --------------------------------------------------------------------------- clients
def _distributed():
    try:
        import dask.distributed as dd
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(_INSTALL) from err
    return dd


def connect(address: str, timeout: float = 5.0) -> Any:
    """A :class:`dask.distributed.Client` connected to the scheduler at ``address``; raises
    ``ConnectionError`` with the address within ``timeout`` seconds when it is unreachable.

    >>> connect("tcp://127.0.0.1:1", timeout=1)  # doctest: +SKIP
    Traceback (most recent call last):
    ConnectionError: no Dask scheduler answered at tcp://127.0.0.1:1 within 1 s ...
    """
    dd = _distributed()
    try:
        return dd.Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as err:
        raise ConnectionError(
            f"no Dask scheduler answered at {address} within {timeout:g} s ({type(err).__name__})"
        ) from None


@contextlib.contextmanager
def dask_client(parallel: str | None, client: Any = None) -> Iterator[Any]:
    """Yield the client for a ``parallel`` mode (``None`` for serial runs).

    ``"local"`` starts a :class:`~dask.distributed.LocalCluster` with one single-threaded
    worker process per core and closes it on exit; ``"dask"`` uses ``client`` or the current
    default client.

    >>> with dask_client(None) as c:
    ...     print(c)
    None
    """
    if parallel not in PARALLEL_MODES:
        raise ValueError(f"parallel must be None, 'local' or 'dask', got {parallel!r}")
    if parallel is None:
        if client is not None:
            raise ValueError("a client was given but parallel=None; pass parallel='dask' to use it")
        yield None
        return
    dd = _distributed()
    if parallel == "dask":
        if client is None:
            try:
                client = dd.default_client()
            except ValueError:
                raise ValueError(
                    "parallel='dask' needs a client: pass client=Client(address) or create one first "
                    "(dask.distributed.Client(...)); parallel='local' starts a local cluster"
                ) from None
        yield client
        return
    workers = os.cpu_count() or 1
    cluster = dd.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    local = dd.Client(cluster)
    try:
        yield local
    finally:
        local.close()
        cluster.close()


def _n_workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # pragma: no cover - scheduler without info
        return 1


# --------------------------------------------------------------------------- partition
def _bisect(lo: np.ndarray, hi: np.ndarray, n_pieces: int) -> list[tuple[np.ndarray, np.ndarray]]:
    boxes = [(lo.copy(), hi.copy())]
    while len(boxes) < n_pieces:
        # halve the box of largest volume across its longest side (a balanced k-d tree)
        i = max(range(len(boxes)), key=lambda j: float(np.prod((boxes[j][1] - boxes[j][0]).astype(float))))
        a, b = boxes.pop(i)
        ax = int(np.argmax(b - a))
        mid = (a[ax] + b[ax]) / 2
        b1, a2 = b.copy(), a.copy()
        b1[ax] = mid
        a2[ax] = mid
        boxes[i:i] = [(a, b1), (a2, b)]
    return boxes


def partition_pieces(net, domain: Any, n_pieces: int) -> list[Any]:
    """Split ``domain`` into about ``n_pieces`` full-dimensional pieces (domains of the same
    kind) that cover it: a box is bisected across its longest side (a k-d tree), a bounded
    polyhedron is cut by the bisection of its bounding box, and all of R^n by the signs of the
    first coordinates (unbounded polyhedra).  Exact when the domain is exact.

    A cut through a cell leaves a piece of the cell on each side; the pieces are identified
    afterwards by activation pattern (an activation cell is convex, so one pattern is one
    cell), so the union over pieces is exactly the serial answer.

    >>> import tropnet
    >>> [str(p) for p in partition_pieces(tropnet.random_mlp([2, 4, 1]), tropnet.Box(0, 4), 2)]
    ['Box([0, 0], [2, 4])', 'Box([2, 0], [4, 4])']
    """
    n = net.input_dim
    k = max(1, int(n_pieces))
    if domain is None:
        m = min(n, max(0, math.ceil(math.log2(k))))
        if m == 0:
            return [None]
        pieces = []
        for signs in itertools.product((1, -1), repeat=m):
            A = np.zeros((m, n), dtype=np.int64)
            for j, s in enumerate(signs):
                A[j, j] = -s  # s x_j >= 0
            pieces.append(Polyhedron(A, np.zeros(m, dtype=np.int64)))
        return pieces
    if isinstance(domain, Box):
        lo, hi = domain.exact_bounds(n)
        if domain.exact:
            lo = np.array([Fraction(v) for v in lo], dtype=object)
            hi = np.array([Fraction(v) for v in hi], dtype=object)
        return [Box(a, b) for a, b in _bisect(lo, hi, k)]
    if isinstance(domain, Polyhedron):
        from .kernels.lp import bounding_box

        bb = bounding_box(domain.A.astype(np.float64), domain.b.astype(np.float64))
        if bb is None or k == 1:
            return [domain]
        # dyadic midpoints keep exact domains exact
        lo, hi = np.floor(bb[0]) - 1, np.ceil(bb[1]) + 1
        pieces = []
        for a, b in _bisect(lo, hi, k):
            if domain.exact:  # integer bounds: the sub-box is exact
                a = np.array([Fraction(v) for v in a], dtype=object)
                b = np.array([Fraction(v) for v in b], dtype=object)
            A_box, b_box = Box(a, b).halfspaces(n)
            pieces.append(Polyhedron(np.vstack([domain.A, A_box]), np.concatenate([domain.b, b_box])))
        out = []
        for p in pieces:
            try:
                p.check()
            except ValueError:
                continue  # the bounding-box cell misses the domain's interior
            out.append(p)
        return out
    raise TypeError(f"domain must be None, a Box or a Polyhedron, got {type(domain).__name__}")


def _piece_found(net, piece, exact, max_regions, certify):
    """The activation cells of ``net`` on one piece (FoundCells without stages)."""
    from .regions.api import find_cells

    found = find_cells(net, piece, exact=exact, max_regions=max_regions, certify=certify)
    found.stages = None
    return found


def _count_task(net, piece, exact, max_regions, certify) -> np.ndarray:
    """The distinct activation patterns of one piece."""
    found = _piece_found(net, piece, exact, max_regions, certify)
    if not len(found):
        return found.patterns
    return found.patterns[np.unique(row_keys(found.patterns), return_index=True)[1]]


def map_tasks(
    fn: Callable,
    jobs: list[tuple],
    *,
    parallel: str | None = None,
    client: Any = None,
    progress: bool = False,
    shared: tuple = (),
) -> list:
    """``[fn(*shared, *job) for job in jobs]``, serially (``parallel=None`` and no client) or
    as Dask tasks, always in job order; the one mapping loop behind every parallel entry point.

    ``shared`` values (a network, a sampler) travel once, each as the result of a task rather
    than as scattered data: if the worker holding one dies, the scheduler recomputes it
    instead of losing it.  Tasks are retried (a killed worker changes nothing); an error in
    a task cancels the rest and is raised.

    >>> map_tasks(pow, [(2,), (3,)], shared=(10,))
    [100, 1000]
    """
    m = len(jobs)
    bar = _bar(m, progress)
    try:
        if parallel is None and client is None:
            out = []
            for job in jobs:
                out.append(fn(*shared, *job))
                if bar is not None:
                    bar.update(1)
            return out
        with dask_client(parallel or "dask", client) as c:
            shared_f = [c.submit(_identity, v, pure=False) for v in shared]
            columns = [[v] * m for v in shared_f] + [list(col) for col in zip(*jobs)]
            futures = c.map(fn, *columns, pure=False, retries=3) if m else []
            index = {f.key: i for i, f in enumerate(futures)}
            results: list[Any] = [None] * m
            try:
                for fut in _distributed().as_completed(futures):
                    results[index[fut.key]] = fut.result()
                    if bar is not None:
                        bar.update(1)
            except BaseException:
                c.cancel(futures)
                raise
            return results
    finally:
        if bar is not None:
            bar.close()


def _identity(x: Any) -> Any:
    return x


def _bar(total: int, progress: bool):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="piece")


def _check_limit(total: int, max_regions: int | None) -> None:
    if max_regions is not None and total > max_regions:
        from .regions.refine import RegionLimitError

        raise RegionLimitError(f"more than max_regions={max_regions} regions ({total} cells)")


def _pieces_for(net, domain, client, pieces_per_worker: int) -> list:
    workers = 1 if client is None else _n_workers(client)
    return partition_pieces(net, domain, pieces_per_worker * workers)


def count_parallel(
    obj: Any,
    domain: Any = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool = False,
    parallel: str | None = "local",
    client: Any = None,
    pieces_per_worker: int = 2,
) -> int:
    """:func:`~tropnet.count_linear_regions` on Dask; the same number as the serial call.

    ``parallel=None`` runs the pieces one after another in this process (to check the
    partition; no dask needed).

    >>> import tropnet
    >>> count_parallel(tropnet.random_mlp([2, 6, 1], seed=3), kind="activation", parallel=None)
    22
    """
    from .regions.api import _check_kind, as_network, build_region_set

    _check_kind(kind)
    net = as_network(obj)
    if kind == "linear":
        found = _found_parallel(
            net, domain, exact, max_regions, progress, parallel, client, pieces_per_worker
        )
        return len(build_region_set(found, kind))
    with dask_client(parallel, client) as c:
        pieces = _pieces_for(net, domain, c, pieces_per_worker if c is not None else 2)
        jobs = [(p, exact, max_regions, exact) for p in pieces]
        parts = map_tasks(_count_task, jobs, client=c, progress=progress, shared=(net,))
    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("the domain has no interior")
    total = len(np.unique(row_keys(np.vstack(parts))))
    _check_limit(total, max_regions)
    return int(total)


def _found_parallel(net, domain, exact, max_regions, progress, parallel, client, pieces_per_worker=2):
    from .regions import api
    from .regions.refine import stages_from_network

    n = net.input_dim
    with dask_client(parallel, client) as c:
        pieces = _pieces_for(net, domain, c, pieces_per_worker if c is not None else 2)
        jobs = [(p, exact, max_regions, False) for p in pieces]
        parts = map_tasks(_piece_found, jobs, client=c, progress=progress, shared=(net,))
    dom = api._domain(domain, n, exact)
    A, b = api.domain_rows(dom, n, exact)
    found = api.join_pieces(parts, stages_from_network(net, exact=exact), n, exact, A, b)
    _check_limit(len(found), max_regions)
    return found


def regions_parallel(
    obj: Any,
    domain: Any = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool = False,
    parallel: str | None = "local",
    client: Any = None,
    pieces_per_worker: int = 2,
):
    """:func:`~tropnet.linear_regions` on Dask: the same regions as the serial call (in
    another order; compare them as sets of patterns).

    >>> import tropnet
    >>> len(regions_parallel(tropnet.random_mlp([2, 6, 1], seed=3), parallel=None))
    22
    """
    from .regions.api import _check_kind, as_network, build_region_set

    _check_kind(kind)
    net = as_network(obj)
    found = _found_parallel(net, domain, exact, max_regions, progress, parallel, client, pieces_per_worker)
    return build_region_set(found, kind)


# --------------------------------------------------------------------------- sweeps
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
