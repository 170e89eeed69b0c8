"""How often float mode meets decisions below float64 resolution, and what certifying them costs.

A float sign decision taken as a tie (inside its tolerance band, float zeros included) or
nonzero but below rounding noise at the box's scale is either an exact tie (symmetric or
exactly rational networks) or a sliver thinner than float64 resolves.  The vertex engine hands
each such decision to the exact certificate (:mod:`tropnet.regions.ties`) and warns for those
it cannot confirm.  For each family this script reports: runs, decisions certified (per run),
how many were exact ties, runs that warned, runs whose float count differs from ``exact=True``,
and the CPU time of the float counts with the certificate and without it (the same process,
the certificate switched off: the rule before it, ties below cell-scale noise taken silently).

Run ``PYTHONPATH=. python benchmarks/bench_float_ties.py [--nets 10]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import tropnet  # noqa: E402
from tropnet import Box  # noqa: E402
from tropnet.regions import resume, ties  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stress_float import _ulp_sliver  # noqa: E402  (the same 1-ulp sliver family)

TALLY = {"met": 0, "exact": 0}
_signs = ties.TieCertificate.signs


def _counting_signs(self, *args, **kw):
    out = _signs(self, *args, **kw)
    TALLY["met"] += len(out)
    TALLY["exact"] += int(np.count_nonzero(out == 0))
    return out


ties.TieCertificate.signs = _counting_signs


def _integer_mlp(widths, seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.integers(-3, 4, size=(b, a)) for a, b in zip(widths[:-1], widths[1:])]
    bs = [rng.integers(-3, 4, size=b) for b in widths[1:]]
    return tropnet.Network.from_arrays([W.astype(float) for W in Ws], [b.astype(float) for b in bs])


def _duplicated(widths, seed):
    """``random_mlp`` whose first-layer unit 1 is unit 0 (an exact tie everywhere on it)."""
    net = tropnet.random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], b[0]
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


FAMILIES = [
    ("random_mlp [2,32,32,1] Box(-1,1)", lambda s: tropnet.random_mlp([2, 32, 32, 1], seed=s), Box(-1, 1)),
    ("random_mlp [3,24,24,1] Box(-1,1)", lambda s: tropnet.random_mlp([3, 24, 24, 1], seed=s), Box(-1, 1)),
    ("random_mlp [4,16,16,1] Box(-1,1)", lambda s: tropnet.random_mlp([4, 16, 16, 1], seed=s), Box(-1, 1)),
    ("random_mlp [3,12,12,1] R^3", lambda s: tropnet.random_mlp([3, 12, 12, 1], seed=s), None),
    ("deepsets(3, (1,4,1)) Box(-1,1)", lambda s: tropnet.deepsets(3, (1, 4, 1), seed=s), Box(-1, 1)),
    ("deepsets(4, (1,6,1)) Box(-1,1)", lambda s: tropnet.deepsets(4, (1, 6, 1), seed=s), Box(-1, 1)),
    ("deepsets(3, (1,4,1)) R^3", lambda s: tropnet.deepsets(3, (1, 4, 1), seed=s), None),
    ("deepsets(4, (1,3,3,1)) Box(-1e6,1e6)", lambda s: tropnet.deepsets(4, (1, 3, 3, 1), seed=s),
     Box(-1e6, 1e6)),
    ("integer weights [3,6,6,1] Box(-2,2)", lambda s: _integer_mlp([3, 6, 6, 1], s), Box(-2, 2)),
    ("duplicated unit [3,6,6,1] Box(-1,1)", lambda s: _duplicated([3, 6, 6, 1], s), Box(-1, 1)),
    ("1-ulp sliver [3,6,6,1] Box(-1,1)", lambda s: _ulp_sliver([3, 6, 6, 1], s), Box(-1, 1)),
]


def _float(net, dom):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = time.process_time()
        n = tropnet.count_linear_regions(net, dom, kind="activation", progress=False)
        t = time.process_time() - t
    warned = any(issubclass(w.category, tropnet.AmbiguousGeometryWarning) for w in caught)
    return n, warned, t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", type=int, default=10)
    args = ap.parse_args()
    for _name, make, dom in FAMILIES:  # warm-up: compiled kernels, caches
        _float(make(0), dom)
    print("| family | runs | decisions certified per run | exact ties | runs warned | float != exact "
          "| CPU with / without certificate (s) |")
    print("|---|---|---|---|---|---|---|")
    Certificate = resume.TieCertificate
    for name, make, dom in FAMILIES:
        TALLY["met"] = TALLY["exact"] = 0
        warned = wrong = 0
        t_on = t_off = 0.0
        for seed in range(args.nets):
            net = make(seed)
            exact = tropnet.count_linear_regions(net, dom, kind="activation", exact=True, progress=False)
            n, w, t = _float(net, dom)
            t_on += t
            warned += w
            wrong += n != exact
            resume.TieCertificate = lambda *a, **k: None  # the rule before: sub-noise = tie
            try:
                t_off += _float(net, dom)[2]
            finally:
                resume.TieCertificate = Certificate
        print(f"| {name} | {args.nets} | {TALLY['met'] / args.nets:.1f} | {TALLY['exact']} of {TALLY['met']} "
              f"| {warned} | {wrong} | {t_on:.2f} / {t_off:.2f} |", flush=True)


if __name__ == "__main__":
    main()
