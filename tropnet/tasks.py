"""Tasks on Dask, or serially in this process: the clients (``parallel=None | "local" |
"dask"``), and :func:`map_tasks`, the one mapping loop behind every parallel entry point
(region enumeration in :mod:`tropnet.parallel`, sampling estimates, local complexity,
parameter sweeps).  It imports nothing else of tropnet, so any layer may use it; dask is
imported only when a call asks for it.

>>> map_tasks(pow, [(2,), (3,)], shared=(10,))
[100, 1000]
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["PARALLEL_MODES", "dask_client", "connect", "Spawn", "Kept", "map_tasks", "ask_kept"]

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
    import dask

    workers = os.cpu_count() or 1
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also pins glibc's
    # mmap threshold: every large numpy temporary is then a fresh mmap, and the engine runs
    # 1.3-1.5x slower (measured, benchmarks/RESULTS.md); our workers keep glibc's defaults.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
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


# --------------------------------------------------------------------------- the mapping loop
_NO_VALUE = object()


class Spawn:
    """What a task returns when its answer is more tasks: :func:`map_tasks` runs ``jobs``
    (argument tuples for the same function and ``shared`` values) in its place; ``info`` is
    passed to ``on_result`` only.  ``value``: an answer of the task's own besides its jobs (the
    work it finished before it handed on the rest): it takes the task's place in the results,
    before its jobs' results, and with ``map_tasks(keep=...)`` it stays where it was computed.

    >>> def halve(n):
    ...     return Spawn([(n // 2,), (n - n // 2,)]) if n > 1 else n
    >>> map_tasks(halve, [(5,)])
    [1, 1, 1, 1, 1]
    >>> map_tasks(lambda n: Spawn([(n - 1,)], value=-n) if n > 1 else n, [(3,)])
    [-3, -2, 1]
    """

    def __init__(self, jobs: list[tuple], info: Any = None, value: Any = _NO_VALUE):
        self.jobs = list(jobs)
        self.info = info
        self.has_value = value is not _NO_VALUE  # (a flag: the sentinel is not itself after pickling)
        self.value = value if self.has_value else None


class Kept:
    """A task's answer that stayed where it was computed (``map_tasks(keep=...)``): ``value``,
    the summary that came back, and ``ref``, the whole answer (a Dask future, or the answer
    itself in a serial run) for later requests (:func:`ask_kept`)."""

    def __init__(self, value: Any, ref: Any):
        self.value = value
        self.ref = ref


def map_tasks(
    fn: Callable,
    jobs: list[tuple],
    *,
    parallel: str | None = None,
    client: Any = None,
    progress: bool = False,
    shared: tuple = (),
    on_result: Callable[[Any], None] | None = None,
    keep: Callable[[Any], Any] | None = None,
) -> list:
    """``[fn(*shared, *job) for job in jobs]``, serially (``parallel=None`` and no client) or
    as Dask tasks, always in job order; the one mapping loop behind every parallel entry point.

    A task that returns a :class:`Spawn` is replaced by its jobs, submitted as soon as it
    returns (dynamic load balancing; they run before older tasks still waiting): the result
    list holds, in its place, their results in order (depth first).  ``on_result(value)`` sees
    every task's return value as it arrives (for limits, statistics); an exception raised there
    or in a task cancels the rest and is raised.

    ``shared`` values (a network, a sampler) travel once, each as the result of a task rather
    than as scattered data: if the worker holding one dies, the scheduler recomputes it
    instead of losing it.  Tasks are retried (a killed worker changes nothing).

    ``keep``: a function of a task's answer that is not a :class:`Spawn` (or of a Spawn's own
    ``value``); only its value comes back (and goes to ``on_result``), the whole answer stays on
    its worker, and the result list holds :class:`Kept` objects, to which :func:`ask_kept` sends
    later requests (while the client is open: call with ``client`` inside ``dask_client``).

    >>> map_tasks(pow, [(2,), (3,)], shared=(10,))
    [100, 1000]
    >>> [(k.value, k.ref) for k in map_tasks(pow, [(2,), (3,)], shared=(10,), keep=str)]
    [('100', 100), ('1000', 1000)]
    """
    nodes = list(jobs)
    depth = [0] * len(nodes)
    results: dict[int, Any] = {}
    children: dict[int, list[int]] = {}
    bar = _bar(len(nodes), progress)

    def handle(i: int, value: Any, ref: Any = None) -> list[int]:
        """``value``: the task's answer (with ``keep``: what came back of it); ``ref``: the
        whole answer (with ``keep``: a future of it, or of a Spawn's own value)."""
        if on_result is not None:
            on_result(value)
        if isinstance(value, Spawn):
            if value.has_value:
                results[i] = value.value if keep is None else Kept(value.value, ref)
            new = list(range(len(nodes), len(nodes) + len(value.jobs)))
            nodes.extend(value.jobs)
            depth.extend([depth[i] + 1] * len(new))
            children[i] = new
            if bar is not None:
                bar.total += len(new)
            return new
        results[i] = value if keep is None else Kept(value, ref)
        return []

    try:
        if parallel is None and client is None:
            queue = list(range(len(nodes)))[::-1]  # a stack: spawned jobs run next
            while queue:
                i = queue.pop()
                value = fn(*shared, *nodes[i])
                if keep is None:
                    queue.extend(handle(i, value)[::-1])
                elif isinstance(value, Spawn):  # its jobs run here; its own value is summarised
                    own = keep(value.value) if value.has_value else _NO_VALUE
                    queue.extend(handle(i, Spawn(value.jobs, value.info, own), value.value)[::-1])
                else:
                    handle(i, keep(value), value)
                if bar is not None:
                    bar.update(1)
        else:
            dd = _distributed()
            with dask_client(parallel or "dask", client) as c:
                shared_f = [c.submit(_identity, v, pure=False) for v in shared]
                sub = functools.partial(c.submit, pure=False, retries=3)
                # A task's value stays on its worker until the driver knows its type (Dask
                # reports it): a leaf is fetched; of a Spawn only a summary (_peek), and its
                # jobs are cut out on that worker (_job_at) and run from there, so states never
                # pass through the driver.  Tasks are deterministic, so a value recomputed after
                # a fault equals the lost one.
                pending: dict = {}
                done = dd.as_completed()

                def watch(fut: Any, i: int, task: Any) -> None:
                    pending[fut.key] = (i, task)
                    done.add(fut)

                def submit(i: int, job: Any) -> None:
                    task = sub(_call, fn, *shared_f, job, priority=depth[i])
                    if keep is None:
                        watch(task, i, task)
                    else:  # what comes back is asked for at once: no round trip in between
                        watch(sub(_look, task, keep, priority=depth[i]), i, task)

                for i, job in enumerate(nodes):
                    submit(i, job)
                try:
                    for fut in done:
                        i, task = pending.pop(fut.key)
                        if fut is task and fut.type is Spawn:
                            watch(sub(_peek, task, priority=depth[i] + 1), i, task)
                            continue
                        value = fut.result()
                        ref = task
                        if keep is not None and isinstance(value, Spawn) and value.has_value:
                            ref = sub(_value_of, task, priority=depth[i])  # without the jobs' states
                        new = handle(i, value, ref)
                        for k, j in enumerate(new):
                            submit(j, sub(_job_at, task, k, priority=depth[j]))
                        del fut, task
                        if bar is not None:
                            bar.update(1)
                except BaseException:
                    c.cancel([t for _, t in pending.values()])
                    raise
    finally:
        if bar is not None:
            bar.close()
    out: list[Any] = []
    stack = list(range(len(jobs)))[::-1]
    while stack:
        i = stack.pop()
        if i in results:
            out.append(results[i])
        if i in children:
            stack.extend(children[i][::-1])
    return out


def ask_kept(fn: Callable, requests: list[tuple], client: Any = None) -> list:
    """``[fn(whole, *args) for kept, *args in requests]``, where ``whole`` is the answer
    ``kept`` (a :class:`Kept`) holds: run where that answer is (a Dask worker when ``client``
    is given), only ``fn``'s values come back, in order.

    >>> kept = map_tasks(pow, [(2,), (3,)], shared=(10,), keep=int)
    >>> ask_kept(divmod, [(kept[0], 7), (kept[1], 7)])
    [(14, 2), (142, 6)]
    """
    if client is None:
        return [fn(k.ref, *args) for k, *args in requests]
    futures = [client.submit(fn, k.ref, *args, pure=False, retries=3) for k, *args in requests]
    return client.gather(futures)


def _identity(x: Any) -> Any:
    return x


def _call(fn: Callable, *args: Any) -> Any:
    *shared, job = args
    return fn(*shared, *job)


def _peek(value: Any, keep: Callable | None = None) -> Any:
    """What comes back of a Spawn: its number of jobs, its info and its own value (with ``keep``,
    what comes back of that)."""
    if not isinstance(value, Spawn):
        return value
    if not value.has_value:
        return Spawn([None] * len(value.jobs), value.info)
    return Spawn([None] * len(value.jobs), value.info, value.value if keep is None else keep(value.value))


def _look(value: Any, keep: Callable) -> Any:
    """What comes back of a task's answer with ``map_tasks(keep=...)``."""
    return _peek(value, keep) if isinstance(value, Spawn) else keep(value)


def _value_of(value: Spawn) -> Any:
    return value.value


def _job_at(value: Spawn, k: int) -> tuple:
    return value.jobs[k]


def _bar(total: int, progress: bool):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="task")
