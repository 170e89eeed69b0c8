# ruff: noqa: B023
"""Issue 21 (scale): activation counts against the peers, a million cells streamed, and the time
of linear regions against the activation count of the same call.

All ratios are of CPU time (``time.process_time``; every contender is single-threaded, BLAS is
pinned to one thread) measured in this one process, contenders alternating, medians of
``--repeats`` warm runs: on the shared 2-core machine wall times move with the other jobs, CPU
time much less.

* ``peers``: ``count_linear_regions(net, Box, kind="activation")`` against regioncam
  ([2,64,64,1], [2,128,128,1] on [-10,10]^2; targets 0.3x and 0.15x) and affinitree
  ([4,16,16,1], [6,12,12,1] on [-5,5]^6; targets 0.03x and 0.25x);
* ``million``: the streamed activation count of each network of ``--million`` (``;``-separated,
  default the smallest [d,w,w,1] with at least 10^6 cells for d = 4, 5, 6: [4,38,38,1],
  [5,22,22,1], [6,17,17,1], seed 0 on [-5,5]^d) in a fresh subprocess: count, wall and CPU
  seconds, peak resident memory (targets: at least 10^6 cells, under 15 s and 500 MB);
* ``linear``: ``count_linear_regions(kind="linear")`` and ``kind="activation"`` on the same
  call, float and exact, on a box, on R^n and on a plane slice (target: linear <= 1.5x).

* ``jit``: numba's first-call cost (import, compile with an empty cache, load from the cache).

``million`` runs every network twice, with the numpy kernels (``TROPNET_JIT=0``) and the compiled
ones (``tropnet[fast]``, numba).  Run ``python benchmarks/bench_scale.py [peers] [jit] [million]
[linear]`` (default: all).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_regions import quiet_stdout, run_affinitree, run_regioncam  # noqa: E402, F401

import tropnet  # noqa: E402
from tropnet import Box, count_linear_regions, random_mlp  # noqa: E402

PEERS = [([2, 64, 64, 1], 10.0, "regioncam", 0.3), ([2, 128, 128, 1], 10.0, "regioncam", 0.15),
         ([4, 16, 16, 1], 5.0, "affinitree", 0.03), ([6, 12, 12, 1], 5.0, "affinitree", 0.25)]


def cpu(fn, repeats):
    """(result, median CPU seconds) over ``repeats`` warm runs (after one untimed call)."""
    out = fn()
    ts = []
    for _ in range(repeats):
        t = time.process_time()
        out = fn()
        ts.append(time.process_time() - t)
    return out, statistics.median(ts)


def peers(repeats: int) -> None:
    """The n-D rows run the vertex engine with the numpy kernels and with the compiled ones (when
    numba is installed), each against the same peer run."""
    from tropnet.regions import pool

    print("| network | cells | kernels | tropnet count (CPU s) | peer | peer (CPU s) | ratio | target |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        import numba  # noqa: F401
        kinds = ("numpy", "numba")
    except ImportError:
        kinds = ("numpy",)
    for widths, R, peer, target in PEERS:
        net = random_mlp(widths, seed=0)
        ours = lambda: count_linear_regions(net, Box(-R, R), kind="activation", progress=False)  # noqa: E731
        theirs = (lambda: run_regioncam(net, R)) if peer == "regioncam" else (lambda: run_affinitree(net, R))
        reps = repeats if widths[0] == 2 else max(1, repeats // 2)
        m, tp = cpu(theirs, 1 if peer == "affinitree" else reps)
        for kind in kinds if widths[0] > 2 else ("planar",):
            old = pool.use_kernels(None if kind == "planar" else kind)
            try:
                n, t = cpu(ours, reps)
            finally:
                pool.use_kernels(old)
            agree = "" if n == m else f" (peer: {m})"
            cols = [str(widths), f"{n}{agree}", kind, f"{t:.3f}", peer, f"{tp:.3f}", f"{t / tp:.3f}",
                    str(target)]
            print("| " + " | ".join(cols) + " |", flush=True)


MILLION_CODE = """
import resource, sys, time
import tropnet
from tropnet import Box, count_linear_regions, random_mlp
widths = [int(w) for w in sys.argv[1].split(",")]
net = random_mlp(widths, seed=0)
t, c = time.perf_counter(), time.process_time()
n = count_linear_regions(net, Box(-5, 5), kind="activation", progress=False)
# peak RSS of this process's own memory (VmHWM: ru_maxrss would carry the forking parent's)
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")]
peak = hwm[0] // 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(n, round(time.perf_counter() - t, 2), round(time.process_time() - c, 2), peak)
"""


def million(widths: str, kernels: str) -> None:
    """One streamed count in a fresh process, with the numpy kernels (``TROPNET_JIT=0``) or the
    compiled ones (numba, loaded from its cache: run ``jit`` first for the compile)."""
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TROPNET_JIT="0" if kernels == "numpy" else "1")
    out = subprocess.run([sys.executable, "-c", MILLION_CODE, widths], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    n, wall, cpu_s, rss = out
    print(f"| [{widths}] on [-5,5]^{widths.split(',')[0]} | {kernels} | {n} | {wall} | {cpu_s} | {rss} | "
          f"{os.getloadavg()[0]:.1f} |", flush=True)


JIT_CODE = """
import time
import numpy as np
t = time.process_time()
from tropnet.regions import jit
t1 = time.process_time()
jit.edges_generic(np.array([1, -1], np.int8), np.array([[0, 1], [1, 2]], np.int32), np.zeros(2, np.int64),
                  np.arange(4, dtype=np.uint64), np.arange(2), np.arange(2))
print(round(t1 - t, 2), round(time.process_time() - t1, 2))
"""


def jit_cost() -> None:
    """numba's cost on the first call: the import, then the compile (an empty cache) or the load
    from the cache (``cache=True``: a later process)."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPATH=os.getcwd(), NUMBA_CACHE_DIR=cache)
        for what in ("first process (compile)", "later process (cache)"):
            out = subprocess.run([sys.executable, "-c", JIT_CODE], capture_output=True, text=True, env=env,
                                 check=True).stdout.split()
            print(f"| {what} | {out[0]} | {out[1]} |", flush=True)


def linear(repeats: int) -> None:
    rows = [("box", [4, 16, 16, 1], Box(-5, 5)), ("R^n", [3, 16, 16, 1], None),
            ("box", [2, 64, 64, 1], Box(-10, 10))]
    print("| network | domain | exact | activation (CPU s) | linear (CPU s) | linear / activation |")
    print("|---|---|---|---|---|---|")
    for name, widths, dom in rows:
        net = random_mlp(widths, seed=0)
        for exact in (False, True):
            kw = dict(exact=exact, progress=False)
            na, ta = cpu(lambda: count_linear_regions(net, dom, kind="activation", **kw), repeats)  # noqa: B023
            nl, tl = cpu(lambda: count_linear_regions(net, dom, kind="linear", **kw), repeats)  # noqa: B023
            cols = [str(widths), name, str(exact), f"{ta:.3f} ({na})", f"{tl:.3f} ({nl})", f"{tl / ta:.2f}"]
            print("| " + " | ".join(cols) + " |", flush=True)


def main() -> None:
    which = [a for a in sys.argv[1:] if not a.startswith("--")] or ["peers", "jit", "million", "linear"]
    repeats = 3
    million_net = "4,38,38,1;5,22,22,1;6,17,17,1"
    for a in sys.argv[1:]:
        if a.startswith("--repeats="):
            repeats = int(a.split("=")[1])
        if a.startswith("--million="):
            million_net = a.split("=")[1]
    print(f"# bench_scale {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
          f"{os.getloadavg()[0]:.1f}; tropnet from {os.path.dirname(tropnet.__file__)}")
    if "peers" in which:
        peers(repeats)
    if "jit" in which:
        print()
        print("| numba kernels | import (CPU s) | first call (CPU s) |")
        print("|---|---|---|")
        jit_cost()
    if "million" in which:
        print()
        print("| network | kernels | cells | wall (s) | CPU (s) | peak RSS (MB) | load |")
        print("|---|---|---|---|---|---|---|")
        for widths in million_net.split(";"):
            for kernels in ("numpy", "numba"):
                million(widths, kernels)
    if "linear" in which:
        print()
        linear(repeats)
    _ = np


if __name__ == "__main__":
    main()
