"""Exact linear counts whose facets belong to several units, at scale (issue 21).

Integer networks ``[d, w, w, 1]`` (weights in -3..3) with ``classes`` groups of ``per`` units,
each a unit and its scaled copies (scales 2, -1, ...: one hyperplane, several units; the first
copy read so that it cancels its unit), optionally with every bias 0 (hyperplanes through the
origin, and units zero on whole cells): many vertices are not simple, and the merge reads the
cells' facets by incidence from the certified tight codes
(:func:`tropnet.regions.neighbours.code_edges`), the cell across a facet of several units by
the patterns outside the facet's *class* -- with many distinct classes per run.

For each network: CPU seconds (``time.process_time``, best of ``--repeat``, one BLAS thread) of
the exact ``count_linear_regions`` of both kinds on ``[-5, 5]^d``, the float linear count, and
``code_edges`` over every cell of the certified run, with the number of distinct classes.
``--against REF`` also loads ``tropnet/regions/neighbours.py`` as it is at the git ref ``REF``
and times it in this process (``code_edges`` alone, and the exact linear count with the merge
using it), checking that both give the same pairs and counts.

Run ``python benchmarks/bench_code_edges.py [--quick] [--against main]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib.util
import subprocess
import sys
import time
import warnings

import numpy as np

import tropnet
from tropnet import Box
from tropnet.regions import geometry
from tropnet.regions.plan import make_plan

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from bench_slices import best_cpu  # noqa: E402
from testnets import unit_classes_net  # noqa: E402


def load_ref(ref):
    """``tropnet/regions/neighbours.py`` at git ref ``ref``, as a module of this tropnet."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = subprocess.run(["git", "show", f"{ref}:tropnet/regions/neighbours.py"], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("tropnet.regions._neighbours_ref", loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "tropnet.regions"
    sys.modules[spec.name] = mod
    exec(compile(src, f"{ref}:neighbours.py", "exec"), mod.__dict__)
    return mod


def pairs(found, e):
    P = found.patterns
    return {frozenset((P[a].tobytes(), P[b].tobytes())) for a, b in e.tolist()}


def counts(net, dom, exact, kind):
    return tropnet.count_linear_regions(net, dom, kind=kind, exact=exact, progress=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--against", metavar="REF", help="also time neighbours.py at this git ref")
    args = ap.parse_args()
    rows = [(4, 20, 5, 3, True), (4, 16, 3, 3, False)]
    if not args.quick:
        rows += [(5, 16, 3, 3, True), (5, 12, 3, 3, False)]
    ref = load_ref(args.against) if args.against else None
    import tropnet.regions.neighbours as cur

    print(f"load average {os.getloadavg()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    head = ("| network | cells | linear | classes | exact act s | exact lin s | lin/act | float lin s | "
            "code_edges s |")
    sep = "|---|---|---|---|---|---|---|---|---|"
    if ref is not None:
        head += f" lin s at {args.against} | code_edges s at {args.against} | code_edges ratio |"
        sep += "---|---|---|"
    print(head)
    print(sep)
    for d, w, ncls, per, zb in rows:
        net = unit_classes_net(0, d, w, ncls, per, zb)
        name = f"[{d},{w},{w},1] {ncls}x{per}{' bias 0' if zb else ''}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(row(name, net, Box(-5, 5), args.repeat, cur, ref), flush=True)


def row(name, net, dom, repeat, cur, ref):
    counts(net, dom, True, "linear")  # warm (compiled kernels)
    ta, na = best_cpu(repeat, lambda: counts(net, dom, True, "activation"))
    tl, nl = best_cpu(repeat, lambda: counts(net, dom, True, "linear"))
    tf, nf = best_cpu(repeat, lambda: counts(net, dom, False, "linear"))
    assert nf == nl, (nf, nl)
    plan = make_plan(net, dom, want="count", kind="linear", exact=True, progress=False)
    plan._prune_stable()
    found = plan.find()
    cells = np.arange(len(found))
    tc, e = best_cpu(repeat, lambda: cur.code_edges(found, cells))
    line = (f"| {name} | {na} | {nl} | {_classes(cur, found, cells)} | {ta:.3f} | {tl:.3f} | {tl / ta:.2f} | "
            f"{tf:.3f} | {tc:.3f} |")
    if ref is None:
        return line
    tr, er = best_cpu(repeat, lambda: ref.code_edges(found, cells))
    assert pairs(found, e) == pairs(found, er)
    names = ("code_edges", "incidence_facets", "flip_neighbours", "tight_edges")
    saved = [getattr(geometry, k) for k in names]
    for k in names:  # the merge with the ref's neighbours
        setattr(geometry, k, getattr(ref, k))
    try:
        tlr, nlr = best_cpu(repeat, lambda: counts(net, dom, True, "linear"))
    finally:
        for k, v in zip(names, saved):
            setattr(geometry, k, v)
    assert nlr == nl, (nlr, nl)
    return line + f" {tlr:.3f} | {tr:.3f} | **{tr / tc:.2f}x** |"


def _classes(mod, found, cells):
    """The number of distinct classes of the facets of several units (by a recording wrapper)."""
    seen = []
    inner = mod._class_edges

    def record(pats, owner, classes):
        seen.append(len(np.unique(mod.row_keys(classes))))
        return inner(pats, owner, classes)

    mod._class_edges = record
    try:
        mod.code_edges(found, cells)
    finally:
        mod._class_edges = inner
    return seen[0] if seen else 0


if __name__ == "__main__":
    main()
