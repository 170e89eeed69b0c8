"""ACAS Xu: activation regions of the networks that meet each property's input set.

For every network ``ACASXU_run2a_*.onnx`` and property ``prop_*.vnnlib`` of the data folder
(``../shared/data/acasxu``, or ``--data``), count the activation regions of the network met
by the property's input set (a box; prop_4 fixes one input, so its set is a 4-dimensional
slice and the count is that of the slice), in float and, where asked, in exact arithmetic.
Every run is a separate process with a wall-clock budget (``--budget``, default 600 s):
time, peak memory (max RSS of the process), the count and any warning of float mode
(undecided sign decisions), or, past the budget, how far the engine got (it stops itself
through ``max_seconds`` and reports the cells held or counted and its position; the last
progress-bar line with its forecast) and a sampled lower bound
(:func:`tropnet.estimate_linear_regions`, distinct activation patterns among 20000 uniform
points of the box).

How the counts relate to star-set verifiers (NNV, nnenum): a star set that is split at every
ReLU whose sign is not constant on it, without merging, ends as one star per activation
pattern realised on the input set, i.e. one star per activation region met by the box.  So
the number of such paths is the number counted here (verifiers may prune paths that cannot
reach the unsafe set, or stop at the first counterexample, and then report fewer).

Run: ``python benchmarks/bench_acasxu.py [--budget 600] [--nets 1_1,2_1] [--props 3,4]
[--modes float,exact] [--exact-nets 1_1]``; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = next(
    (
        p
        for p in (HERE.parent / ".." / "shared" / "data" / "acasxu", Path("/work/shared/data/acasxu"))
        if p.is_dir()
    ),
    HERE.parent / ".." / "shared" / "data" / "acasxu",
)


def one(data: Path, net_name: str, prop: int, exact: bool, max_seconds: float | None = None) -> None:
    """Child process: count and print one JSON line (``stopped``: what the engine had reached
    when it passed ``max_seconds``)."""
    import tropnet
    from tropnet.regions.cells import RegionLimitError

    net = tropnet.Network.from_onnx(data / f"ACASXU_run2a_{net_name}_batch_2000.onnx")
    p = tropnet.read_vnnlib(data / f"prop_{prop}.vnnlib")
    p.check_network(net)
    dom = p.domain
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            n = tropnet.count_linear_regions(
                net, dom, kind="activation", exact=exact, max_regions=None, progress=True,
                max_seconds=max_seconds,
            )
        except RegionLimitError as err:  # how far it got, from the engine itself
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps({"stopped": {k: str(v) for k, v in err.reached.items()}, "peak_mb": rss}))
            return
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    said = sorted({f"{w.category.__name__}: {str(w.message)[:90]}" for w in caught})
    print(json.dumps({"count": int(n), "seconds": dt, "peak_mb": rss, "warnings": said}))


def estimate(data: Path, net_name: str, prop: int) -> int:
    import tropnet

    net = tropnet.Network.from_onnx(data / f"ACASXU_run2a_{net_name}_batch_2000.onnx")
    dom = tropnet.read_vnnlib(data / f"prop_{prop}.vnnlib").domain
    if type(dom).__name__ == "AffineSlice":
        from tropnet.networks.embed import slice_network

        net, dom = slice_network(net, dom), dom.domain
    return int(tropnet.estimate_linear_regions(net, dom, 20000, seed=0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--budget", type=float, default=600.0)
    ap.add_argument("--nets", default="1_1,1_2,2_1,3_3,4_6")
    ap.add_argument("--props", default="1,2,3,4")
    ap.add_argument("--exact-nets", default="1_1")
    ap.add_argument("--modes", default="float,exact")
    ap.add_argument("--one", nargs=3, metavar=("NET", "PROP", "EXACT"))
    args = ap.parse_args()
    data = Path(args.data)
    if args.one:
        one(data, args.one[0], int(args.one[1]), args.one[2] == "1", args.budget)
        return
    load = os.getloadavg()[0]
    print(
        f"# ACAS Xu activation regions met by the property's input set (budget {args.budget:.0f} s per run, "
        f"load {load:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n"
    )
    print("| network | prop | mode | activation regions | time (s) | peak RSS (MB) | load |")
    print("|---|---|---|---|---|---|---|")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    for net_name in args.nets.split(","):
        for prop in [int(p) for p in args.props.split(",")]:
            for mode in args.modes.split(","):
                if mode == "exact" and net_name not in args.exact_nets.split(","):
                    continue
                print(_run(data, net_name, prop, mode, args.budget, env), flush=True)


def _peak_mb(pid: int) -> str:
    """The peak resident memory of a running process (``VmHWM`` of ``/proc/PID/status``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return f"{int(line.split()[1]) / 1024:.0f}"
    except OSError:
        pass
    return "?"


def _last_bar(err: str) -> str:
    """The last progress-bar line a child wrote to stderr ("" if none)."""
    lines = [t.strip() for t in err.replace("\r", "\n").splitlines()]
    bars = [t for t in lines if t.startswith(("cells counted", "regions:"))]
    return bars[-1][:110] if bars else ""


def _run(data: Path, net_name: str, prop: int, mode: str, budget: float, env: dict) -> str:
    """One (network, property, mode) in its own process: the table row.  Peak RSS is the
    child's own, also for a run stopped at the budget (read before it is stopped)."""
    exact = mode == "exact"
    cmd = [sys.executable, __file__, "--data", str(data), "--budget", str(budget),
           "--one", net_name, str(prop), str(int(exact))]
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=budget + 120)  # the child stops itself at the budget
    except subprocess.TimeoutExpired:
        timed_out = True
        peak = _peak_mb(proc.pid)
        proc.send_signal(signal.SIGINT)  # let the bar print its last line
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    load = f"{load0:.1f}-{os.getloadavg()[0]:.1f}"
    if not timed_out:
        if proc.returncode:
            line = (err.strip().splitlines() or ["?"])[-1][:120]
            return f"| {net_name} | {prop} | {mode} | failed: {line} | | | {load} |"
        r = json.loads(out.strip().splitlines()[-1])
        if "stopped" in r:
            got = f"; last bar line `{_last_bar(err)}`" if _last_bar(err) else ""
            est = estimate(data, net_name, prop)
            return (
                f"| {net_name} | {prop} | {mode} | stopped at {budget:.0f} s, reached {r['stopped']}{got}; "
                f"sampled lower bound {est} | > {budget:.0f} | {r['peak_mb']:.0f} | {load} |"
            )
        note = "".join(f" (warned: {w})" for w in r.get("warnings", []))
        row = f"{r['count']}{note} | {r['seconds']:.1f} | {r['peak_mb']:.0f}"
        return f"| {net_name} | {prop} | {mode} | {row} | {load} |"
    got = _last_bar(err) or "no progress line"
    est = estimate(data, net_name, prop)
    return (
        f"| {net_name} | {prop} | {mode} | out of reach in {budget:.0f} s (last bar line `{got}`); "
        f"sampled lower bound {est} | > {budget:.0f} | {peak} | {load} |"
    )

if __name__ == "__main__":
    main()
