"""Dask scale-out benchmark (issue 10): serial vs ``tropnet.parallel`` on this machine, the
distribution of task costs of the cell partition, and a simulation of 8, 64 and 512 workers
from measured task costs.  A script, not a test: prints Markdown tables.

    .venv/bin/python benchmarks/bench_parallel.py            # full run: ~5 min on 2 quiet cores
    .venv/bin/python benchmarks/bench_parallel.py --quick    # small nets only (~1 min)

Sections:

1. cluster start-up and the scheduling overhead per task (a trivial function mapped over N tasks);
2. region counts, serial ``count_linear_regions`` vs ``count_parallel(parallel="local")``
   (start-up included) and vs a persistent client (start-up excluded), counts checked equal,
   with the tasks run, the CPU time of the serial process, of the tasks, of the workers and of
   the driver, and the workers' peak memory;
3. an AlgebraNets sweep through ``tropnet.parallel.sweep``, serial vs Dask, rows checked equal;
4. the task tree of the cell partition for W = 2, 8, 64, 512 workers, run in this process
   exactly as the driver runs it (``count_parallel(..., parallel=None, stats=...)`` with
   ``tasks_per_worker x W`` first tasks: every task counts its states streamed until it
   finishes or passes the work budget and hands on the parts it has left): the number of tasks
   and splits, the CPU time of the master and of every task (distribution), the bytes of the
   states that travel;
5. the simulated wall time on W workers: list scheduling of that task tree (a split's parts
   become ready when it returns, plus the transfer of its state at an assumed bandwidth; a free
   worker runs the deepest task ready by then, as the driver's priorities say, and waits only
   when none is), each task charged the measured per-task
   overhead once per Dask task behind it (the task; for a split also the driver's summary of it
   and the cutting out of each part), bounded below by the scheduler's throughput (all Dask
   tasks times the overhead), plus the master's CPU time.  The W = 2
   row is compared with the measured 2-worker run of section 2;
6. (``--scale WIDTHS`` alone, issue 21) one large activation count on a fresh local cluster with
   streamed tasks: wall and CPU time, every worker's idle and peak memory, the task tree
   measured on the workers (``--save FILE`` keeps it) and simulated as in 5 on 2-512 workers.

    .venv/bin/python benchmarks/bench_parallel.py --scale 4,68,68,1   # 12 M cells: ~420 CPU s

7. (``--kept WIDTHS`` alone, issue 21) a linear count on fresh 2-worker clusters, once per
   kept-parts budget of ``--budgets`` (MiB; ``none``: no cap), set in the driver and the workers
   (``stream.KEPT_VERTEX_BYTES``): wall and CPU time, the tasks past the budget, every worker's
   idle and peak memory.

    .venv/bin/python benchmarks/bench_parallel.py --kept 8,10,10,1 --budgets none,128,0

9. (``--linear`` alone, issue 21) float linear counts of [6, 12, 12, 1] and [6, 14, 14, 1] on
   ``[-5, 5]^6`` (their maps come near: the driver's merge asks the tasks for the unit facets of
   the near groups' cells), also with the tasks keeping vertex lists as before session 11, and
   activation and linear counts of [13, 6, 6, 1] on all of R^n (the H-representation engine,
   the homogenised cube in parts), serial and 2 persistent workers
   alternating ``--pairs`` times, counts asserted equal: wall and CPU (serial; driver +
   workers) side by side.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_parallel.py --linear --pairs 3

8. (``--hrep`` alone, issue 21) exact activation and linear counts of 18-20-input networks and
   float counts of a 14-input one on ``[-1, 1]^d`` (the H-representation engine, run in parts on
   Dask: the first layer on the driver, the rest in tasks), serial and 2 persistent workers
   alternating ``--pairs`` times, counts asserted equal.

    .venv/bin/python benchmarks/bench_parallel.py --hrep --pairs 3

Timings on a machine shared with other jobs are noisy (the load average is printed; CPU times
are given beside wall times); the counts are exact and deterministic, and so is the task tree
(the split criterion counts work, not seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import os
import pickle
import platform
import resource
import statistics
import time

import numpy as np

import tropnet
from tropnet import Box
from tropnet.parallel import count_parallel, sweep
from tropnet.regions.parallel import _SPLIT_WORK

DOMAIN = Box(-5, 5)
#: assumed driver <-> worker bandwidth for the state transfers in the simulation (1 Gbit/s Ethernet)
BANDWIDTH = 100e6
TASKS_PER_WORKER = 4


# --------------------------------------------------------------------------- helpers
def _noop(i: int) -> int:
    return i


def _peak_rss() -> int:
    """Peak resident memory of the calling process, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _traced_peak(fn) -> int:
    """Peak bytes allocated (numpy buffers included) while ``fn()`` runs."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _mib(b: float) -> str:
    return f"{b / 2**20:.0f}"


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux
        return "load average n/a"


def _worker_cpu(client) -> float:
    return float(sum(client.run(time.process_time).values()))


def _clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _best(fn, budget: float = 6.0):
    """The result of ``fn`` and its best time over up to 3 runs (fewer when one run passes
    ``budget`` seconds): the machine is shared, the least disturbed run is the fairest."""
    out, best = _clock(fn)
    for _ in range(2):
        if best > budget:
            break
        out, t = _clock(fn)
        best = min(best, t)
    return out, best


def _table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def algebra_point(algebra: str, seed: int) -> dict:
    """One sweep point: linear regions of an AlgebraNet of about 150 parameters, 3 inputs."""
    from tropnet.algebras import ALGEBRAS

    widths = {"R": [3, 9, 9, 1], "C": [3, 6, 6, 1], "H": [3, 4, 4, 1], "M2R": [3, 4, 4, 1]}[algebra]
    net = tropnet.algebranet(ALGEBRAS[algebra], widths, seed=seed)
    return {"parameters": net.num_parameters, "regions": tropnet.count_linear_regions(net, DOMAIN)}


def _cluster(workers: int):
    import dask
    import dask.distributed as dd

    # ":0": a free port for the scheduler's HTTP server (None still binds 8787 in distributed 2026.8);
    # glibc's malloc defaults in the workers, as parallel="local" does (see tropnet.parallel.dask_client)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = dd.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0")
    return cluster, dd.Client(cluster)


def _cpu(fn):
    """``fn()``, its wall time and this process's CPU time."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def _driver_profile(fn, top: int = 12) -> str:
    """The driver's own CPU time in ``fn()`` by function (cProfile with the process's CPU clock:
    the time the driver waits for the workers does not count)."""
    import cProfile
    import io
    import pstats

    pr = cProfile.Profile(time.process_time)
    pr.runcall(fn)
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    return text[text.index("   ncalls"):] if "   ncalls" in text else text


# --------------------------------------------------------------------------- 1. overhead
def overhead(client, n_tasks: list[int]) -> tuple[float, list[list]]:
    """Per-task cost of mapping a trivial function; returns the smallest (best throughput)."""
    client.gather(client.map(_noop, range(50), pure=False))  # warm
    rows = []
    lat = []
    for _ in range(20):
        _, t = _clock(lambda: client.submit(_noop, 0, pure=False).result())
        lat.append(t)
    med = statistics.median(lat) * 1e3
    rows.append(["one `submit(...).result()` round trip", 1, f"{med:.2f} ms (median of 20)"])
    per = []
    for n in n_tasks:
        _, t = _clock(lambda n=n: client.gather(client.map(_noop, range(n), pure=False)))
        per.append(t / n)
        rows.append([f"`client.map` of a no-op over {n} tasks, gathered", n,
                     f"{t:.2f} s = {t / n * 1e3:.2f} ms/task"])
    return min(per), rows


# --------------------------------------------------------------------------- 2b. paired runs
def speedup(client, cases: list, pairs: int) -> None:
    """Serial and persistent 2-worker counts alternating ``pairs`` times (on a loaded machine one
    run's wall time says little; the median of the paired ratios, serial over parallel, says
    more): wall and CPU times, medians, and the range of the ratios."""
    paired(client, [(str(w), tropnet.random_mlp(w, seed=0), DOMAIN, kind, False) for w, kind in cases], pairs)


def paired(client, cases: list, pairs: int) -> None:
    """:func:`speedup` of ``cases``, each ``(label, net, domain, kind, exact)`` or with a sixth
    entry, a context manager (a function of no arguments) that the Dask runs of the case run in."""
    rows = []
    for label, net, dom, kind, exact, *ctx in cases:
        ser, par, ratio, c_ser, c_par, loads, kept = [], [], [], [], [], [], []
        st: dict = {}
        kw = dict(kind=kind, exact=exact)
        within = ctx[0] if ctx else contextlib.nullcontext

        def one():
            return tropnet.count_linear_regions(net, dom, progress=False, **kw)  # noqa: B023

        def two():
            with within():  # noqa: B023
                return count_parallel(net, dom, parallel="dask", client=client, stats=st, **kw)  # noqa: B023

        # one untimed pair first: the workers' lazy imports (numba kernels) and caches
        one()
        two()
        for _ in range(pairs):
            n1, t1, c1 = _cpu(one)
            w0 = _worker_cpu(client)
            n2, t2, c2 = _cpu(two)
            assert n1 == n2, (label, kind, n1, n2)
            ser.append(t1)
            par.append(t2)
            ratio.append(t1 / t2)
            c_ser.append(c1)
            c_par.append(c2 + _worker_cpu(client) - w0)
            kept.append(st.get("kept", 0))
            loads.append(os.getloadavg()[0])
        med = statistics.median
        rows.append([label, kind + (" exact" if exact else ""), n1, pairs, f"{med(ser):.2f}",
                     f"{med(par):.2f}",
                     f"**{med(ratio):.2f}** ({min(ratio):.2f}-{max(ratio):.2f})", f"{med(c_ser):.2f}",
                     f"{med(c_par):.2f}", f"{med(kept) / 2**20:.1f}", f"{min(loads):.1f}-{max(loads):.1f}"])
        print(f"  ... {' | '.join(map(str, rows[-1]))} ({_load()})", flush=True)
    print()
    print(_table(["net", "kind", "regions", "pairs", "serial wall s", "2 workers wall s",
                  "speed-up: median of pairs (range)", "serial CPU s", "2 workers CPU s (driver + workers)",
                  "kept on workers MiB", "load"], rows) + "\n")


def hrep_cases() -> list:
    """Section 8's counts on the H-representation engine in parts (exact above 16 inputs, float
    above 12, on boxes): a random net, and one whose first-layer unit 1 is twice unit 0 read
    with -1/2 its weights (the two cancel: about half the cells merge across exact facets)."""
    from bench_exact_hrep import altered

    box = Box(-1, 1)
    out = []
    for widths, seed, how in (([20, 8, 8, 1], 0, None), ([20, 8, 8, 1], 0, "duplicate"),
                              ([18, 8, 8, 1], 1, None)):
        net = tropnet.random_mlp(widths, seed=seed)
        label = f"{widths} seed {seed}"
        if how:
            net, label = altered(net, how), label + ", unit 1 = 2 x unit 0, cancelled"
        out += [(label, net, box, kind, True) for kind in ("activation", "linear")]
    net = tropnet.random_mlp([14, 8, 8, 1], seed=0)
    out += [("[14, 8, 8, 1] seed 0", net, box, kind, False) for kind in ("activation", "linear")]
    return out


@contextlib.contextmanager
def vertex_lists():
    """The Dask linear counts as before session 11 (s15-dask): their tasks keep their cells'
    vertex lists, not their unit facets (the driver gives the tasks no ``id_cols``)."""
    from tropnet.regions.plan import Plan

    own = Plan._id_columns
    Plan._id_columns = lambda self, piece: None
    try:
        yield
    finally:
        Plan._id_columns = own


def linear_cases() -> list:
    """Section 9's counts: float linear counts on ``[-5, 5]^6`` whose maps come near each other
    (the driver's merge runs: [6, 12, 12, 1] has 90,570 cells and 90,427 linear regions), with
    the tasks keeping their cells' unit facets (now) and their vertex lists (before), beside the
    activation counts; and counts on all of R^n on the H-representation engine (13 inputs: the
    homogenised cube in 16 parts; one task before session 11)."""
    out = []
    for widths in ([6, 12, 12, 1], [6, 14, 14, 1]):
        net = tropnet.random_mlp(widths, seed=0)
        out += [(str(widths), net, DOMAIN, "activation", False), (str(widths), net, DOMAIN, "linear", False),
                (f"{widths}, tasks keep vertex lists (before)", net, DOMAIN, "linear", False, vertex_lists)]
    net = tropnet.random_mlp([13, 6, 6, 1], seed=0)
    out += [("[13, 6, 6, 1] on R^n (H-rep)", net, None, kind, False) for kind in ("activation", "linear")]
    return out


# --------------------------------------------------------------------------- 4. task tree
def tree_from_stats(st: dict) -> dict:
    """The task tree of one ``count_parallel(..., stats=st)`` run: every task's CPU time, its
    parent (a task's tag extends its parent's), depth, number of parts handed on and their
    bytes (the arrays of the states left, about their pickled size)."""
    index = {tag: i for i, tag in enumerate(st["tags"])}
    tasks = []
    for tag, cpu, kids, nbytes in zip(st["tags"], st["cpu"], st["children"], st["bytes"]):
        tasks.append({"cpu": cpu, "parent": index.get(tag[:-1], -1) if len(tag) > 1 else -1,
                      "depth": len(tag) - 1, "kids": kids, "bytes": [nbytes / max(1, kids)] * kids})
    return {"master": st["master_cpu"], "tasks": tasks, "cells": sum(st["cells"]),
            "first": st["master_tasks"], "first_bytes": 0}


def task_tree(net, workers: int) -> dict:
    """The tasks of ``count_parallel`` on ``workers`` workers (``4 x workers`` first tasks), run
    here one after another exactly as the driver runs them (``parallel=None``): the task tree
    with the CPU time of the master and of every task."""
    st: dict = {}
    count_parallel(net, DOMAIN, kind="activation", parallel=None, tasks_per_worker=TASKS_PER_WORKER * workers,
                   stats=st)
    return tree_from_stats(st)


def _quantiles(c: np.ndarray) -> str:
    q = np.quantile(c, [0.5, 0.9, 0.99])
    return f"{q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f} / {c.max():.2f}"


# --------------------------------------------------------------------------- 5. simulation
def _sched_tasks(task: dict) -> int:
    """Dask tasks behind one engine task: the task; for a split also the driver's summary of it
    and the cutting out of each part."""
    return 1 + (1 + task["kids"] if task["kids"] else 0)


def simulate(tree: dict, workers: int, per_task: float, bandwidth: float = BANDWIDTH) -> dict:
    """Makespan of list scheduling of the task tree on ``workers`` workers (see the module
    docstring): the parts a task hands on are ready when it returns, plus their transfer; a
    worker that comes free runs the deepest task ready by then (the driver's priorities), and
    waits only when none is."""
    tasks = tree["tasks"]
    kids: dict[int, list[int]] = {}
    for i, t in enumerate(tasks):
        kids.setdefault(t["parent"], []).append(i)
    pending = []  # (ready time, order, task): not yet arrived
    first = tree["first_bytes"] / max(1, tree["first"]) / bandwidth
    for k, i in enumerate(kids.get(-1, [])):
        heapq.heappush(pending, (first, k, i))
    avail = []  # (-depth, order, task): arrived, waiting for a worker
    free = [0.0] * workers
    events = []  # (finish time, task) whose parts are not yet released
    order, end = len(pending), 0.0
    while pending or avail or events:
        t_free = free[0]
        while events and events[0][0] <= t_free:
            t_done, i = heapq.heappop(events)
            for j, b in zip(kids.get(i, []), tasks[i]["bytes"]):
                order += 1
                heapq.heappush(pending, (t_done + b / bandwidth, order, j))
        while pending and pending[0][0] <= t_free:
            _, k, j = heapq.heappop(pending)
            heapq.heappush(avail, (-tasks[j]["depth"], k, j))
        if not avail:  # nothing to run yet: the free worker waits for the next arrival or return
            if not (events or pending):
                continue
            nxt = min(([events[0][0]] if events else []) + ([pending[0][0]] if pending else []))
            heapq.heapreplace(free, max(nxt, t_free))
            continue
        _, _, i = heapq.heappop(avail)
        done = heapq.heappop(free) + tasks[i]["cpu"] + _sched_tasks(tasks[i]) * per_task
        heapq.heappush(free, done)
        heapq.heappush(events, (done, i))
        end = max(end, done)
    sched = sum(_sched_tasks(t) for t in tasks) * per_task  # the one scheduler hands out every task
    return {"makespan": end, "sched": sched, "wall": tree["master"] + max(end, sched)}


# --------------------------------------------------------------------------- 6. scale-out
def _sim_rows(label: str, tree: dict, per_task: float, serial_cpu: float, check: dict) -> list[list]:
    rows = []
    c = np.array([t["cpu"] for t in tree["tasks"]])
    for workers in (2, 8, 64, 512):
        sim = simulate(tree, workers, per_task)
        ideal = serial_cpu / workers
        parts = {"master (serial part)": tree["master"], "scheduler": sim["sched"],
                 "largest task": float(c.max())}
        limit = max(parts, key=parts.get) if sim["wall"] > 1.5 * ideal else "none (near ideal)"
        rows.append([label, workers, f"{serial_cpu:.1f}", f"{ideal:.2f}", f"{sim['makespan']:.2f}",
                     f"{sim['sched']:.2f}", f"{sim['wall']:.2f}", f"{serial_cpu / sim['wall']:.1f}", limit,
                     check.get(workers, "")])
    return rows


def _set_kept_budget(nbytes: int) -> None:
    from tropnet.regions import stream

    stream.KEPT_VERTEX_BYTES = nbytes


def kept_memory(widths: list[int], W: int, budgets: list[str]) -> None:
    """Section 7: a linear count's worker memory with and without the kept-parts budget."""
    net = tropnet.random_mlp(widths, seed=0)
    print(f"## 7. Linear count of {widths} on [-5,5]^{widths[0]}, {W} fresh workers per budget "
          f"({_load()} at start)\n")
    rows = []
    for b in budgets:
        nbytes = 1 << 50 if b == "none" else int(float(b) * 2**20)
        cluster, client = _cluster(W)
        client.run(lambda: __import__("tropnet.regions.parallel") and None)
        client.run(_set_kept_budget, nbytes)
        _set_kept_budget(nbytes)
        idle = client.run(_rss)
        st: dict = {}
        w0 = _worker_cpu(client)
        n, t, c = _cpu(lambda st=st, cl=client: count_parallel(net, DOMAIN, parallel="dask", client=cl,
                                                               stats=st))
        w = _worker_cpu(client) - w0
        peak = client.run(_peak_rss)
        client.close()
        cluster.close()
        rows.append([b, n, f"{t:.1f}", f"{c:.1f}", f"{w:.1f}", st["tasks"], st["dropped"],
                     ", ".join(_mib(v) for v in idle.values()), ", ".join(_mib(v) for v in peak.values()),
                     f"{os.getloadavg()[0]:.1f}"])
        print(f"  ... budget {b} done ({_load()})", flush=True)
    print()
    print(_table(["budget MiB", "regions", "wall s", "driver CPU s", "workers CPU s", "tasks",
                  "past the budget", "workers idle MiB", "workers peak MiB", "load"], rows) + "\n")


def scale_out(widths: list[int], W: int, first_tasks: int, split_work: int, save: str | None = None) -> None:
    """Section 6: one large activation count on a fresh local cluster of ``W`` workers, with
    streamed tasks (each counts its part and returns an integer): wall and CPU time, every
    worker's peak memory, the task tree measured on the workers, simulated on 2-512 workers."""
    net = tropnet.random_mlp(widths, seed=0)
    (cluster, client), t_start = _clock(lambda: _cluster(W))
    client.run(lambda: __import__("tropnet") and None)
    count_parallel(tropnet.random_mlp([3, 4, 4, 1], seed=0), Box(-1, 1), kind="activation",
                   parallel="dask", client=client)  # warm the workers
    per_task, _ = overhead(client, [200, 1000])
    base_rss = client.run(_rss)
    print(f"## 6. Scale-out: {widths} on [-5,5]^{widths[0]}, {W} Dask workers ({_load()} at start)\n",
          flush=True)
    load0 = os.getloadavg()
    st: dict = {}
    w0 = _worker_cpu(client)
    total, t_wall, c_drv = _cpu(lambda: count_parallel(
        net, DOMAIN, kind="activation", parallel="dask", client=client, stats=st,
        tasks_per_worker=max(1, first_tasks // W), split_work=split_work))
    c_wrk = _worker_cpu(client) - w0
    load1 = os.getloadavg()
    peak = client.run(_peak_rss)
    tree = tree_from_stats(st)
    assert tree["cells"] == total, (tree["cells"], total)
    if save:  # the measured tree, to simulate again later (json: tags become lists)
        import json

        with open(save, "w") as f:
            json.dump({"widths": widths, "cells": total, "wall": t_wall, "per_task": per_task, "stats": st},
                      f)
    c = np.array(st["cpu"])
    rows = [[str(widths), total, f"{t_wall:.1f}", f"{c.sum():.1f}", f"{c_wrk:.1f}", f"{c_drv:.1f}",
             f"{total / max(c.sum(), 1e-9):.0f}", st["master_tasks"], st["tasks"], st["splits"],
             _quantiles(c), max(t["depth"] for t in tree["tasks"]),
             ", ".join(_mib(v) for v in base_rss.values()), ", ".join(_mib(v) for v in peak.values()),
             _mib(_peak_rss())]]
    print(_table(["net", "cells", "wall s", "tasks CPU s", "workers CPU s", "driver CPU s", "cells/CPU s",
                  "first tasks", "tasks", "splits", "task s: median / 90% / 99% / max", "depth",
                  "worker MiB idle", "worker MiB peak", "driver MiB peak"], rows) + "\n")
    print(f"Load average at start {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}, at the end "
          f"{load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f}; cluster start {t_start:.2f} s; "
          f"per-task overhead {per_task * 1e3:.2f} ms; first split {first_tasks} tasks "
          f"(tasks_per_worker={max(1, first_tasks // W)}), split_work={split_work}; "
          f"states handed on: {_mib(sum(st['bytes']))} MiB in all, at most "
          f"{_mib(max(st['bytes'] or [0]))} MiB per task.\n")
    client.close()
    cluster.close()
    print("Simulated on W workers (list scheduling of the measured task tree; the tasks' CPU as "
          "measured on the workers; every Dask task charged the per-task overhead above):\n")
    rows = _sim_rows(str(widths), tree, per_task, float(c.sum()), {W: f"measured {t_wall:.1f}"})
    print(_table(["net", "workers", "tasks CPU s", "ideal s", "makespan s", "sched s", "wall s", "speed-up",
                  "limit", "check"], rows) + "\n")
    print(f"({_load()} at the end)")


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small nets only (~1 min)")
    ap.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    ap.add_argument("--no-scaling", action="store_true", help="skip sections 4 and 5")
    ap.add_argument("--counts", action="store_true",
                    help="sections 1 and 2 only: activation and linear counts of [4,16,16,1], [6,12,12,1], "
                         "[4,24,24,1], [5,16,16,1]")
    ap.add_argument("--nets", metavar="WIDTHS;WIDTHS", help="with --counts: these networks instead, "
                    "e.g. '6,14,14,1;5,20,20,1'")
    ap.add_argument("--pairs", type=int, default=0,
                    help="with --counts: N alternating serial / 2-worker runs per case instead of section 2")
    ap.add_argument("--profile-driver", action="store_true",
                    help="section 2: cProfile (CPU clock) of the driver in one more persistent run per case")
    ap.add_argument("--scale", metavar="WIDTHS", help="section 6 only: a large count, e.g. 4,64,64,1")
    ap.add_argument("--first-tasks", type=int, default=4 * 512,
                    help="section 6: tasks of the first split (4 x 512: the tree of 512 workers)")
    ap.add_argument("--split-work", type=int, default=1 << 22, help="section 6: split_work of the tasks")
    ap.add_argument("--save", metavar="FILE", help="section 6: write the measured task tree (json)")
    ap.add_argument("--kept", metavar="WIDTHS",
                    help="section 7 only: a linear count's worker memory per kept-parts budget")
    ap.add_argument("--budgets", default="none,128,0",
                    help="section 7: kept-parts budgets in MiB (none: no cap)")
    ap.add_argument("--hrep", action="store_true",
                    help="section 8 only: counts on the H-representation engine in parts (exact 18-20-D, "
                         "float 14-D boxes), serial and 2 persistent workers alternating --pairs times")
    ap.add_argument("--linear", action="store_true",
                    help="section 9 only: float linear counts whose regions merge (tasks keeping unit facets "
                         "or vertex lists) and counts on R^n on the H-rep engine, serial and 2 persistent "
                         "workers alternating --pairs times")
    args = ap.parse_args()
    if args.linear or args.hrep:
        blas = os.environ.get("OPENBLAS_NUM_THREADS")
        title = (f"9. Linear counts with kept facets, R^n H-rep counts: serial and {args.workers} persistent "
                 f"workers ({_load()} at start, {time.strftime('%H:%M', time.gmtime())} UTC, "
                 f"OPENBLAS_NUM_THREADS={blas})" if args.linear else
                 f"8. H-representation counts in parts: serial and {args.workers} persistent workers "
                 f"({_load()} at start)")
        cluster, client = _cluster(args.workers)
        print(f"## {title}\n")
        paired(client, linear_cases() if args.linear else hrep_cases(), max(1, args.pairs))
        client.close()
        cluster.close()
        print(f"({_load()} at the end)")
        return
    if args.kept:
        kept_memory([int(v) for v in args.kept.split(",")], args.workers, args.budgets.split(","))
        return
    if args.scale:
        scale_out([int(v) for v in args.scale.split(",")], args.workers, args.first_tasks, args.split_work,
                  args.save)
        return
    import dask
    import distributed

    nets = [[4, 16, 16, 1]] if args.quick else [[4, 16, 16, 1], [6, 12, 12, 1]]
    # [8, 16, 16, 1] does not finish in a few minutes here (and [8, 12, 12, 1] passed 12 GB of
    # memory serially), so [8, 8, 8, 1] stands in for 8 inputs in sections 4-5
    study = [[4, 16, 16, 1]] if args.quick else [[4, 16, 16, 1], [6, 12, 12, 1], [8, 8, 8, 1]]
    seeds = [0, 1] if args.quick else [0, 1, 2, 3]
    W = args.workers

    print(
        f"# Parallel benchmark ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, dask {dask.__version__}, distributed {distributed.__version__}; "
        f"{_load()} at start)\n"
    )
    # warm every lazy import and cache in this process before timing anything
    tropnet.count_linear_regions(tropnet.random_mlp([3, 4, 4, 1], seed=0), Box(-1, 1), kind="activation")
    tropnet.count_linear_regions(tropnet.random_mlp([3, 4, 4, 1], seed=0), Box(-1, 1))

    # ---- 1. start-up and overhead
    (cluster, client), t_start = _clock(lambda: _cluster(W))
    client.run(lambda: __import__("tropnet") and None)
    count_parallel(tropnet.random_mlp([3, 4, 4, 1], seed=0), Box(-1, 1), kind="activation",
                   parallel="dask", client=client)  # warm the workers
    base_rss = client.run(_rss)
    per_task, rows = overhead(client, [200, 1000] if args.quick else [200, 1000, 3000])
    print(f"## 1. Start-up and scheduling overhead ({W} worker processes, 1 thread each)\n")
    print(f"`LocalCluster(n_workers={W})` + `Client`: **{t_start:.2f} s** to start.\n")
    print(_table(["what", "tasks", "time"], rows) + "\n")
    print(f"Per-task overhead used below: **{per_task * 1e3:.2f} ms** (the best throughput above).\n")

    # ---- 2. counts
    print(f"## 2. Region counts on [-5,5]^d: serial vs {W} Dask workers (best of up to 3 runs)\n")
    print("`parallel=\"local\"` starts and closes a LocalCluster inside the call (one worker per core: "
          f"{os.cpu_count()} here); \"persistent\" reuses the client of section 1 (start-up excluded). "
          f"Default settings: {TASKS_PER_WORKER} first tasks per worker, split budget "
          f"2^{_SPLIT_WORK.bit_length() - 1} entries, "
          "2 parts per split. CPU s: the serial process; for the persistent run, the sum over its tasks "
          "(engine only), all worker processes (tasks + Dask) and the driver (master, scheduler, client).\n")
    rows = []
    measured_2w = {}
    cases = [(w, "activation") for w in nets] + [([4, 16, 16, 1], "linear")]
    if args.counts:
        count_nets = ([[int(x) for x in w.split(",")] for w in args.nets.split(";")] if args.nets
                      else [[4, 16, 16, 1], [6, 12, 12, 1], [4, 24, 24, 1], [5, 16, 16, 1]])
        cases = [(w, k) for w in count_nets for k in ("activation", "linear")]
    profiles = []
    for widths, kind in ([] if args.counts and args.pairs else cases):
        net = tropnet.random_mlp(widths, seed=0)

        def serial_run():
            return _cpu(lambda: tropnet.count_linear_regions(net, DOMAIN, kind=kind, progress=False))  # noqa: B023

        runs = [serial_run() for _ in range(2)]
        serial, t_ser, c_ser = min(runs, key=lambda r: r[1])
        local, t_loc = _clock(lambda: count_parallel(net, DOMAIN, kind=kind, parallel="local"))  # noqa: B023
        best = None
        for _ in range(3):
            st: dict = {}
            w0 = _worker_cpu(client)
            pers, t_per, c_drv = _cpu(
                lambda st=st: count_parallel(net, DOMAIN, kind=kind, parallel="dask", client=client,  # noqa: B023
                                             stats=st)
            )
            c_wrk = _worker_cpu(client) - w0
            if best is None or t_per < best[0]:
                best = (t_per, c_drv, c_wrk, st)
            if t_per > 6:
                break
        t_per, c_drv, c_wrk, st = best
        if args.profile_driver:
            profiles.append((widths, kind, _driver_profile(
                lambda: count_parallel(net, DOMAIN, kind=kind, parallel="dask", client=client))))  # noqa: B023
        assert serial == local == pers, (widths, kind, serial, local, pers)
        if kind == "activation":
            measured_2w[tuple(widths)] = t_per
        c_tasks = sum(st["cpu"])
        rows.append([str(widths), kind, serial, "yes", f"{t_ser:.2f}", f"{c_ser:.2f}", f"{t_loc:.2f}",
                     f"{t_per:.2f}", f"{t_ser / t_per:.2f}", st["tasks"], st["splits"], f"{c_tasks:.2f}",
                     f"{c_wrk:.2f}", f"{c_drv:.2f}", f"{(c_wrk + c_drv - c_tasks) / st['tasks'] * 1e3:.1f}"])
        print(f"  ... {widths} {kind} done ({_load()})", flush=True)
    if rows:
        print()
        print(_table(["net", "kind", "regions", "identical", "serial s", "serial CPU s",
                      "local s (incl. start)", "persistent s", "speed-up persistent", "tasks", "splits",
                      "tasks CPU s", "workers CPU s", "driver CPU s", "overhead CPU ms/task"], rows) + "\n")
    for widths, kind, text in profiles:
        print(f"Driver profile, {widths} {kind} (CPU clock, top functions by own time):\n\n```\n{text}```\n")
    peak = client.run(_peak_rss)
    net_bytes = len(pickle.dumps(tropnet.random_mlp(nets[-1], seed=0)))
    print(f"Worker memory: {', '.join(_mib(v) for v in base_rss.values())} MiB resident when idle "
          f"(tropnet imported); peak {', '.join(_mib(v) for v in peak.values())} MiB after the runs above. "
          f"The driver's peak: {_mib(_peak_rss())} MiB. "
          f"The pickled network {nets[-1]} is {net_bytes} bytes.\n")

    if args.counts and args.pairs:
        print(f"## 2b. Paired runs: serial and {W} persistent workers alternating, {args.pairs} pairs "
              "per case\n")
        speedup(client, cases, args.pairs)
    if args.counts:
        client.close()
        cluster.close()
        print(f"({_load()} at the end)")
        return

    # ---- 3. sweep
    grid = {"algebra": ["R", "C", "H", "M2R"], "seed": seeds}
    ser, t_ser = _clock(lambda: sweep(algebra_point, grid, progress=False, as_frame=False))
    par, t_par = _clock(lambda: sweep(algebra_point, grid, parallel="dask", client=client, progress=False,
                                      as_frame=False))
    loc, t_loc = _clock(lambda: sweep(algebra_point, grid, parallel="local", progress=False, as_frame=False))
    assert ser == par == loc and all(r["error"] is None for r in ser)
    n_pts = len(ser)
    print(f"## 3. AlgebraNets sweep ({n_pts} points: algebras R, C, H, M2R x seeds {seeds}; "
          "`algebranet(A, [3, c, c, 1])` of ~150 parameters, linear regions on [-5,5]^3)\n")
    print(_table(["run", "s", "speed-up"], [
        ["serial `sweep(..., parallel=None)`", f"{t_ser:.2f}", "1.00"],
        [f"`parallel=\"dask\"`, persistent {W} workers", f"{t_par:.2f}", f"{t_ser / t_par:.2f}"],
        ["`parallel=\"local\"` (incl. start)", f"{t_loc:.2f}", f"{t_ser / t_loc:.2f}"],
    ]) + "\n")
    print("Rows identical in grid order: yes. Regions per point: "
          + ", ".join(f"{r['algebra']}/{r['seed']}={r['regions']}" for r in ser) + "\n")
    client.close()
    cluster.close()
    if args.no_scaling:
        return

    # ---- 4. task trees
    print("## 4. The cell partition: task trees and task costs (run in this process, CPU time)\n")
    print("W = workers the tree is made for (4 W first tasks); master = the serial engine until "
          "8 W cells or the end of the first layer, plus the first split; tasks = all tasks run "
          "(a split task counts once and its parts again); "
          "sum = CPU of all tasks, against the serial CPU time of the whole count; "
          "task s = median / 90% / 99% / max; depth = the longest chain of splits; "
          "states MiB = pickled states sent (first tasks + every split's parts).\n")
    trees = {}
    rows = []
    for widths in study:
        net = tropnet.random_mlp(widths, seed=0)
        serial, _, c_ser = _cpu(lambda: tropnet.count_linear_regions(net, DOMAIN, kind="activation",  # noqa: B023
                                                                     progress=False))
        for workers in (W, 8, 64, 512):
            tree = task_tree(net, workers)
            assert tree["cells"] == serial, (widths, workers, tree["cells"], serial)
            tree["serial"] = c_ser
            trees[tuple(widths), workers] = tree
            c = np.array([t["cpu"] for t in tree["tasks"]])
            sent = sum(sum(t["bytes"]) for t in tree["tasks"])
            rows.append([str(widths), serial, f"{c_ser:.2f}", workers, f"{tree['master']:.3f}", len(c),
                         sum(1 for t in tree["tasks"] if t["kids"]), f"{c.sum():.2f}",
                         f"{c.sum() / c_ser:.2f}", _quantiles(c), max(t["depth"] for t in tree["tasks"]),
                         _mib(sent)])
            print(f"  ... {widths} W={workers} done ({_load()})", flush=True)
    print()
    print(_table(["net", "cells", "serial CPU s", "W", "master s", "tasks", "splits", "sum of tasks s",
                  "sum / serial", "task s: median / 90% / 99% / max", "depth", "states MiB"], rows) + "\n")

    # ---- 5. simulation
    print(f"## 5. Simulated wall time on W workers (per-task overhead {per_task * 1e3:.2f} ms per Dask task, "
          f"state transfers at {BANDWIDTH / 1e6:.0f} MB/s)\n")
    rows = []
    for (widths, workers), tree in trees.items():
        sim = simulate(tree, workers, per_task)
        c = np.array([t["cpu"] for t in tree["tasks"]])
        ideal = tree["serial"] / workers
        parts = {"master (serial part)": tree["master"], "scheduler": sim["sched"],
                 "largest task": float(c.max()), "split overhead": (c.sum() - tree["serial"]) / workers}
        limit = max(parts, key=parts.get) if sim["wall"] > 1.5 * ideal else "none (near ideal)"
        check = f"measured {measured_2w[widths]:.2f}" if workers == W and widths in measured_2w else ""
        rows.append([str(list(widths)), workers, f"{tree['serial']:.2f}", f"{ideal:.3f}",
                     f"{sim['makespan']:.3f}", f"{sim['sched']:.3f}", f"{sim['wall']:.3f}",
                     f"{tree['serial'] / sim['wall']:.1f}", limit, check])
    print(_table(["net", "workers", "serial CPU s", "ideal s", "makespan s", "sched s", "wall s", "speed-up",
                  "limit", "check"], rows) + "\n")
    print(f"({_load()} at the end)")


if __name__ == "__main__":
    main()
