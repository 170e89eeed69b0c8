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

Run ``python benchmarks/bench_scale.py [peers] [million] [linear]`` (default: all).
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
    print("| network | cells | tropnet count (CPU s) | peer | peer (CPU s) | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    for widths, R, peer, target in PEERS:
        net = random_mlp(widths, seed=0)
        ours = lambda: count_linear_regions(net, Box(-R, R), kind="activation", progress=False)  # noqa: E731
        theirs = (lambda: run_regioncam(net, R)) if peer == "regioncam" else (lambda: run_affinitree(net, R))
        reps = repeats if widths[0] == 2 else max(1, repeats // 2)
        n, t = cpu(ours, reps)
        m, tp = cpu(theirs, 1 if peer == "affinitree" else reps)
        agree = "" if n == m else f" (peer: {m})"
        cols = [str(widths), f"{n}{agree}", f"{t:.3f}", peer, f"{tp:.3f}", f"{t / tp:.3f}", str(target)]
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


def million(widths: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", MILLION_CODE, widths], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    n, wall, cpu_s, rss = out
    print(f"| [{widths}] on [-5,5]^{widths.split(',')[0]} | {n} | {wall} | {cpu_s} | {rss} |")


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
    which = [a for a in sys.argv[1:] if not a.startswith("--")] or ["peers", "million", "linear"]
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
    if "million" in which:
        print()
        print("| network | cells | wall (s) | CPU (s) | peak RSS (MB) |")
        print("|---|---|---|---|---|")
        for widths in million_net.split(";"):
            million(widths)
    if "linear" in which:
        print()
        linear(repeats)
    _ = np


if __name__ == "__main__":
    main()
