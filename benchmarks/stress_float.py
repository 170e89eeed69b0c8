"""Silent-error rate of float mode against exact mode on the stress families of issue 18.

A float activation count (a linear count in the ``*-linear`` family) is *right* when it equals
the exact count (``exact=True``; *right, warned* counts those that warned all the same),
*warned* when it differs and the call raised :class:`tropnet.AmbiguousGeometryWarning` (or
refused the input with a ``ValueError`` naming the numeric range), and a *silent error*
otherwise.  The goal is 0 silent errors.  Families (``--nets`` networks each, seeds 0, 1, ...):

* ``large-box``: ``random_mlp([2, 6, 6, 1], seed)`` on ``Box(-1e8, 1e8)`` and ``Box(-1e10, 1e10)``
  (the 2-D polygon engine) -- two runs per net;
* ``tiny-unit-2d``: ``random_mlp([2, 6, 6, 1], seed)`` with one first-layer unit's weights scaled
  by ``1e-9`` (its line far away), on all of R^2 (the vertex engine on the homogenised cube);
* ``tiny-unit-3d``: the same for ``random_mlp([3, 5, 5, 1], seed)`` on all of R^3;
* ``far-line``: four lines in general position on R^2, one of them with weights ``~1e-8``
  (the reproduction of the issue, with random coefficients);
* ``ulp-sliver-2d``: ``random_mlp([2, 6, 6, 1], seed)`` whose second first-layer unit is the first
  with its bias one unit of roundoff higher (``numpy.nextafter``): a slab ~1e-16 wide, below
  float64 resolution, on ``Box(-1, 1)`` and on all of R^2 -- two runs per net;
* ``ulp-sliver-3d``: the same for ``random_mlp([3, 5, 5, 1], seed)``, on ``Box(-1, 1)`` and R^3;
* ``ulp-sliver-linear``: ``ulp-sliver-3d``'s networks on ``Box(-1, 1)``, the *linear* count
  (``kind="linear"``: cells with equal maps merged across shared facets);
* ``exact-ties``: networks whose ties fall below rounding noise and are exact:
  ``deepsets(3, (1, 4, 1), seed)`` on ``Box(-1, 1)`` and a ``[3, 6, 6, 1]`` network with integer
  weights in ``[-3, 3]`` on ``Box(-2, 2)`` -- two runs per seed.  Here a warning is a false
  alarm: the table counts right answers that warned (``right, warned``).

The H-representation engine (float runs above 12 inputs) on the same kind of stress, forced on
in 3 inputs (``HREP_DIM = 1`` for the float call; the exact call runs the vertex engine):

* ``hrep-tiny-unit``: ``random_mlp([3, 5, 5, 1], seed)`` with one first-layer unit's weights
  and bias scaled by ``1e-9``, on ``Box(-1, 1)``;
* ``hrep-large-box``: ``random_mlp([3, 5, 5, 1], seed)`` on ``Box(-1e8, 1e8)``;
* ``hrep-sliver``: ``random_mlp([3, 5, 5, 1], seed)`` whose second first-layer unit is the first
  shifted by ``1e-10`` (near-coincident planes: a sliver), on ``Box(-1, 1)``;
* ``hrep-ulp-sliver``: ``ulp-sliver-3d``'s networks on ``Box(-1, 1)`` (a slab one unit of
  roundoff wide: the H-representation engine decides such a side by an exact LP and warns
  where the slab exists, since it cannot cut a cell that thin);
* ``hrep-13d``: ``random_mlp([13, 6, 1], seed)`` with one unit scaled by ``1e-9``, on all of
  R^13 (the engine itself; exact answer 2^6 = 64: six hyperplanes in general position in R^13
  make every sign pattern, a theorem rather than an exact run).

Run ``python benchmarks/stress_float.py`` (``--nets 130`` by default: 1560 float/exact pairs of the
first families; ``--hrep-nets 30``: 150 runs of the H-representation families).
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


def _scaled_unit(widths, seed, factor=1e-9):
    net = tropnet.random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    u = seed % W.shape[0]
    W[u] *= factor
    b[u] *= factor
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


def _sliver(widths, seed, shift=1e-10):
    net = tropnet.random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], b[0] + shift
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


def _ulp_sliver(widths, seed):
    net = tropnet.random_mlp(widths, seed=seed)
    W, b = net.layers[0].float_weight.copy(), net.layers[0].float_bias.copy()
    W[1], b[1] = W[0], np.nextafter(b[0], np.inf)
    return tropnet.Network([tropnet.Linear(W, b), *net.layers[1:]], input_dim=net.input_dim)


def _integer_mlp(widths, seed):
    rng = np.random.default_rng(seed)
    Ws = [rng.integers(-3, 4, size=(b, a)).astype(float) for a, b in zip(widths[:-1], widths[1:])]
    bs = [rng.integers(-3, 4, size=b).astype(float) for b in widths[1:]]
    return tropnet.Network.from_arrays(Ws, bs)


def _hrep_cases(n_nets):
    for seed in range(n_nets):
        yield "hrep-tiny-unit", _scaled_unit([3, 5, 5, 1], seed), Box(-1, 1), None
        yield "hrep-large-box", tropnet.random_mlp([3, 5, 5, 1], seed=seed), Box(-1e8, 1e8), None
        yield "hrep-sliver", _sliver([3, 5, 5, 1], seed), Box(-1, 1), None
        yield "hrep-ulp-sliver", _ulp_sliver([3, 5, 5, 1], seed), Box(-1, 1), None
        yield "hrep-13d", _scaled_unit([13, 6, 1], seed), None, 64


def _cases(n_nets):
    for seed in range(n_nets):
        net = tropnet.random_mlp([2, 6, 6, 1], seed=seed)
        yield "large-box", net, Box(-1e8, 1e8)
        yield "large-box", net, Box(-1e10, 1e10)
        yield "tiny-unit-2d", _tiny_unit([2, 6, 6, 1], seed), None
        yield "tiny-unit-3d", _tiny_unit([3, 5, 5, 1], seed), None
        yield "far-line", _far_line(seed), None
        for widths, fam in (([2, 6, 6, 1], "ulp-sliver-2d"), ([3, 5, 5, 1], "ulp-sliver-3d")):
            sliver = _ulp_sliver(widths, seed)
            yield fam, sliver, Box(-1, 1)
            yield fam, sliver, None
        yield "ulp-sliver-linear", _ulp_sliver([3, 5, 5, 1], seed), Box(-1, 1)
        yield "exact-ties", tropnet.deepsets(3, (1, 4, 1), seed=seed), Box(-1, 1)
        yield "exact-ties", _integer_mlp([3, 6, 6, 1], seed), Box(-2, 2)


def _kind(family):
    return "linear" if family.endswith("-linear") else "activation"


def _float_count(family, net, dom):
    from tropnet.regions import hrep

    old = hrep.HREP_DIM
    if family.startswith("hrep"):
        hrep.HREP_DIM = 1  # the H-representation engine in any dimension
    try:
        return tropnet.count_linear_regions(net, dom, kind=_kind(family))
    finally:
        hrep.HREP_DIM = old


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", type=int, default=130)
    ap.add_argument("--hrep-nets", type=int, default=30)
    ap.add_argument("--only", default="", help="comma-separated families to run (default: all)")
    args = ap.parse_args()
    stats: dict[str, dict[str, int]] = {}
    examples: list[str] = []
    t0 = time.perf_counter()
    cases = [(*c, None) for c in _cases(args.nets)] + list(_hrep_cases(args.hrep_nets))
    only = set(filter(None, args.only.split(",")))
    for family, net, dom, known in cases:
        if only and family not in only:
            continue
        row = stats.setdefault(family, {"runs": 0, "right": 0, "right_warned": 0, "warned": 0, "refused": 0,
                                        "silent": 0})
        row["runs"] += 1
        exact = known if known is not None else tropnet.count_linear_regions(
            net, dom, kind=_kind(family), exact=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                got = _float_count(family, net, dom)
            except ValueError as err:
                row["refused"] += 1
                if len(examples) < 3:
                    examples.append(f"refused: {err}")
                continue
        warning = getattr(tropnet, "AmbiguousGeometryWarning", None)  # None before issue 18
        warned = warning is not None and any(issubclass(w.category, warning) for w in caught)
        if got == exact:
            row["right"] += 1
            row["right_warned"] += warned
        elif warned:
            row["warned"] += 1
        else:
            row["silent"] += 1
            if len(examples) < 10:
                examples.append(f"silent: {family} {dom} float {got} exact {exact}")
    keys = ("runs", "right", "right_warned", "warned", "refused", "silent")
    print("| family | runs | right | right, warned | wrong, warned | refused | silent errors |")
    print("|---|---|---|---|---|---|---|")
    for fam, r in stats.items():
        print(f"| {fam} | " + " | ".join(str(r[k]) for k in keys) + " |")
    total = {k: sum(r[k] for r in stats.values()) for k in keys}
    cols = " | ".join(str(total[k]) for k in keys)
    print(f"| all | {cols} |")
    print(f"({time.perf_counter() - t0:.0f} s)")
    for e in examples:
        print(e)


if __name__ == "__main__":
    main()
