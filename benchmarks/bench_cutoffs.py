"""Engine cutoffs of counts (issue 21, session 10): where the H-representation engine takes over
from the vertex engine, measured as CPU time in one process, the counts asserted equal.

Sections (``--only``, comma-separated):

* ``pruned``: activation counts of :func:`tropnet.regions.stable.count_pruned` (the engine of
  :func:`tropnet.local_complexity` on box neighbourhoods) on ``k``-D box slices, ``k`` 9-12,
  float and exact, with the count cutoffs of :mod:`tropnet.regions.hrep` (``after``) against the
  same call with the count cutoffs raised to the region-set ones (``before``: the engine switch
  these counts had, at 12 inputs float and 16 exact);
* ``rn``: float serial counts on all of R^n at 9 and 10 inputs, the vertex engine
  (``engine="refine"``) against the H-representation engine, random ``[d, w, w, 1]``, several
  seeds (the measurement behind ``hrep.HREP_COUNT_DIMS["cube facets"]``);
* ``zero``: exact and float counts on all of R^n of a network with and without a unit that is
  zero everywhere (its weights and bias exactly 0).

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_cutoffs.py --only pruned``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

import tropnet
from tropnet import Box, Network
from tropnet.regions import hrep
from tropnet.regions.plan import make_plan

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_slices import best_cpu  # noqa: E402


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _now() -> str:
    return time.strftime("%H:%M", time.gmtime())


def _table(head, rows) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |", flush=True)
    print()


class _Cutoffs:
    """The count cutoffs raised to the region-set ones (the engine switch counts had before)."""

    def __enter__(self):
        self.keep = (hrep.HREP_COUNT_DIMS, hrep.EXACT_COUNT_DIM)
        hrep.HREP_COUNT_DIMS = dict.fromkeys(self.keep[0], hrep.HREP_DIM)
        hrep.EXACT_COUNT_DIM = hrep.EXACT_MAX_DIM
        return self

    def __exit__(self, *exc):
        hrep.HREP_COUNT_DIMS, hrep.EXACT_COUNT_DIM = self.keep


def pruned_rows(repeat: int, cap: float) -> None:
    """``local_complexity`` on box neighbourhoods of ``k`` directions (``k`` 9-16)."""
    print(f"## count_pruned / local_complexity on box slices (best of {repeat}, {_now()} UTC)\n")
    rows = []
    # (k = 13-16: float counts took the H-rep engine before too; the exact vertex engine's
    # "before" takes minutes from 12 on)
    cases = [(16, 12, 9, 0.6, 0), (16, 12, 9, 0.6, 1), (16, 12, 10, 0.6, 0), (16, 12, 10, 0.6, 1),
             (16, 12, 11, 0.5, 0), (16, 12, 12, 0.5, 0)]
    for d, w, k, radius, seed in cases:
        net = tropnet.random_mlp([d, w, w, 1], seed=seed)
        X = np.random.default_rng(seed).normal(size=(2, d))
        for exact in (False, True):
            def run():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return tropnet.local_complexity(net, X, radius, k=k, shape="box", exact=exact)  # noqa: B023
            with _Cutoffs():
                t0, before = best_cpu(1, run)
                if t0 < cap:
                    t0, before = min((t0, before), best_cpu(repeat - 1, run)) if repeat > 1 else (t0, before)
            t1, after = best_cpu(repeat, run)
            assert before.tolist() == after.tolist(), (d, w, k, exact, before, after)
            rows.append([f"[{d}, {w}, {w}, 1] seed {seed}", k, radius, "exact" if exact else "float",
                         after.tolist(), f"{t0:.3f}", f"{t1:.3f}", f"**{t1 / t0:.2f}**", _load()])
            print(f"  ... {rows[-1]}", flush=True)
    _table(["network", "k (box slice)", "radius", "mode", "counts (2 points)", "before CPU s",
            "after CPU s", "after / before", "load"], rows)


def rn_rows(dims, widths, seeds, kinds, repeat: int) -> None:
    """Float serial counts on all of R^n: the vertex engine against the H-representation one."""
    print(f"## Float counts on all of R^n: vertex against H-rep engine (best of {repeat}, {_now()} UTC)\n")
    rows = []
    for d in dims:
        for w in widths:
            for seed in seeds:
                net = tropnet.random_mlp([d, w, w, 1], seed=seed)
                for kind in kinds:
                    keep = hrep.HREP_COUNT_DIMS
                    hrep.HREP_COUNT_DIMS = dict(keep, **{"cube facets": 1})
                    try:
                        plan_h = make_plan(net, None, want="count", kind=kind, progress=False)
                        assert plan_h.engine == "hrep"
                        th, nh = best_cpu(repeat, lambda p=plan_h: p.run())
                    finally:
                        hrep.HREP_COUNT_DIMS = keep
                    plan_v = make_plan(net, None, want="count", kind=kind, engine="refine", progress=False)
                    assert plan_v.engine == "vertex"
                    tv, nv = best_cpu(repeat, lambda p=plan_v: p.run())
                    assert nh == nv, (d, w, seed, kind, nh, nv)
                    rows.append([f"[{d}, {w}, {w}, 1] seed {seed}", kind, nv, f"{tv:.2f}", f"{th:.2f}",
                                 f"**{th / tv:.2f}**", _load()])
                    print(f"  ... {rows[-1]}", flush=True)
    _table(["network", "kind", "regions", "vertex CPU s", "H-rep CPU s", "H-rep / vertex", "load"], rows)


def with_zero_unit(net: Network) -> Network:
    """``net`` with one more first-layer unit whose weights and bias are exactly 0 (read by the
    next layer with weight 1: it adds nothing)."""
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[0] = np.vstack([W[0], np.zeros((1, W[0].shape[1]))])
    B[0] = np.r_[B[0], 0.0]
    W[1] = np.hstack([W[1], np.ones((W[1].shape[0], 1))])
    return Network.from_arrays(W, B)


def zero_rows(repeat: int) -> None:
    print(f"## Counts with a unit zero everywhere (best of {repeat}, {_now()} UTC)\n")
    rows = []
    for widths, dom, exact, kind in (([3, 8, 8, 1], None, True, "activation"),
                                     ([3, 8, 8, 1], None, True, "linear"),
                                     ([3, 8, 8, 1], None, False, "activation"),
                                     ([4, 8, 8, 1], Box(-1, 1), True, "regions")):
        net = tropnet.random_mlp(widths, seed=0)
        z = with_zero_unit(net)

        def run(n, dom=dom, exact=exact, kind=kind):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind == "regions":
                    return len(tropnet.linear_regions(n, dom, kind="activation", exact=exact))
                return tropnet.count_linear_regions(n, dom, kind=kind, exact=exact)

        t0, n0 = best_cpu(repeat, run, net)
        t1, n1 = best_cpu(repeat, run, z)
        assert n0 == n1, (widths, kind, n0, n1)
        rows.append([str(widths), "R^n" if dom is None else "[-1, 1]^d", "exact" if exact else "float", kind,
                     n0, f"{t0:.3f}", f"{t1:.3f}", f"**{t1 / t0:.2f}**", _load()])
        print(f"  ... {rows[-1]}", flush=True)
    _table(["network", "domain", "mode", "count", "regions", "without CPU s", "with a zero unit CPU s",
            "with / without", "load"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="pruned,rn,zero")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cap", type=float, default=60.0, help="CPU seconds above which 'before' runs once")
    ap.add_argument("--dims", default="9,10")
    ap.add_argument("--widths", default="6,8")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--kinds", default="activation,linear")
    args = ap.parse_args()
    only = args.only.split(",")
    print(f"# Engine cutoffs (load {_load()} at start)\n")
    if "pruned" in only:
        pruned_rows(args.repeat, args.cap)
    if "rn" in only:
        rn_rows([int(v) for v in args.dims.split(",")], [int(v) for v in args.widths.split(",")],
                [int(v) for v in args.seeds.split(",")], args.kinds.split(","), args.repeat)
    if "zero" in only:
        zero_rows(args.repeat)


if __name__ == "__main__":
    main()
