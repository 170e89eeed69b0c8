"""Silent-error rate of float mode against exact mode on the stress families of issue 18.

A float activation count is *right* when it equals the exact count (``exact=True``), *warned*
when it differs and the call raised :class:`tropnet.AmbiguousGeometryWarning` (or refused the
input with a ``ValueError`` naming the numeric range), and a *silent error* otherwise.  The goal
is 0 silent errors.  Families (``--nets`` networks each, seeds 0, 1, ...):

* ``large-box``: ``random_mlp([2, 6, 6, 1], seed)`` on ``Box(-1e8, 1e8)`` and ``Box(-1e10, 1e10)``
  (the 2-D polygon engine) -- two runs per net;
* ``tiny-unit-2d``: ``random_mlp([2, 6, 6, 1], seed)`` with one first-layer unit's weights scaled
  by ``1e-9`` (its line far away), on all of R^2 (the vertex engine on the homogenised cube);
* ``tiny-unit-3d``: the same for ``random_mlp([3, 5, 5, 1], seed)`` on all of R^3;
* ``far-line``: four lines in general position on R^2, one of them with weights ``~1e-8``
  (the reproduction of the issue, with random coefficients).

Run ``python benchmarks/stress_float.py`` (``--nets 130`` by default: 650 float/exact pairs).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import tropnet  # noqa: E402
from tropnet import Box  # noqa: E402


def _tiny_unit(widths, seed):
    net = tropnet.random_mlp(widths, seed=seed)
    layers = list(net.layers)
    first = layers[0]
    W, b = first.float_weight.copy(), first.float_bias.copy()
    u = seed % W.shape[0]
    W[u] *= 1e-9
    layers[0] = tropnet.Linear(W, b)
    return tropnet.Network(layers, input_dim=net.input_dim)


def _far_line(seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(4, 2))
    W[3] *= 1e-8
    b = rng.normal(size=4)
    b[3] = rng.choice([-1.0, 1.0])
    return tropnet.Network.from_arrays([W, rng.normal(size=(1, 4))], [b, np.zeros(1)])


def _cases(n_nets):
    for seed in range(n_nets):
        net = tropnet.random_mlp([2, 6, 6, 1], seed=seed)
        yield "large-box", net, Box(-1e8, 1e8)
        yield "large-box", net, Box(-1e10, 1e10)
        yield "tiny-unit-2d", _tiny_unit([2, 6, 6, 1], seed), None
        yield "tiny-unit-3d", _tiny_unit([3, 5, 5, 1], seed), None
        yield "far-line", _far_line(seed), None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", type=int, default=130)
    args = ap.parse_args()
    stats: dict[str, dict[str, int]] = {}
    examples: list[str] = []
    t0 = time.perf_counter()
    for family, net, dom in _cases(args.nets):
        row = stats.setdefault(family, {"runs": 0, "right": 0, "warned": 0, "refused": 0, "silent": 0})
        row["runs"] += 1
        exact = tropnet.count_linear_regions(net, dom, kind="activation", exact=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                got = tropnet.count_linear_regions(net, dom, kind="activation")
            except ValueError as err:
                row["refused"] += 1
                if len(examples) < 3:
                    examples.append(f"refused: {err}")
                continue
        warning = getattr(tropnet, "AmbiguousGeometryWarning", None)  # None before issue 18
        warned = warning is not None and any(issubclass(w.category, warning) for w in caught)
        if got == exact:
            row["right"] += 1
        elif warned:
            row["warned"] += 1
        else:
            row["silent"] += 1
            if len(examples) < 10:
                examples.append(f"silent: {family} {dom} float {got} exact {exact}")
    print("| family | runs | right | wrong, warned | refused | silent errors |")
    print("|---|---|---|---|---|---|")
    for fam, r in stats.items():
        print(f"| {fam} | {r['runs']} | {r['right']} | {r['warned']} | {r['refused']} | {r['silent']} |")
    total = {k: sum(r[k] for r in stats.values()) for k in ("runs", "right", "warned", "refused", "silent")}
    cols = " | ".join(str(total[k]) for k in ("runs", "right", "warned", "refused", "silent"))
    print(f"| all | {cols} |")
    print(f"({time.perf_counter() - t0:.0f} s)")
    for e in examples:
        print(e)


if __name__ == "__main__":
    main()
