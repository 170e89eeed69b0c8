"""Hoffman constants and the effective radius (issue 8): TropicalNN.jl's tables, redone.

1. Random 5 x 6 matrices with N(0, sqrt(2/6)) entries (TropicalNN.jl's "tilde matrix" test
   size), 30 samples: PVZ vs brute force (must agree), exact PVZ, times, and the tightness of
   the cheap (lower, upper) interval.
2. Random tropical rationals with (m_p, m_q, n) = (2, 3, 6), (3, 4, 9), (5, 4, 8), (7, 3, 12)
   monomials (numerator, denominator, variables), 30 samples each, seed 2024: exponents and
   coefficients N(0, 1) (TropicalNN.jl's random signomials are real-valued too); H over the
   tilde matrices of all full-dimensional cells, PVZ vs brute force, times, bounds.
3. The effective radius on random ReLU networks (``random_mlp``) and rationals: the Hoffman
   bound against the exact radius (enumeration), ratio and times.

Run:  .venv/bin/python benchmarks/bench_hoffman.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tropnet
from tropnet.geometry.hoffman import _cell_systems, effective_radius, hoffman_constant

QUICK = "--quick" in sys.argv
SAMPLES = 5 if QUICK else 30


def _timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def _med(xs):
    return float(np.median(xs)) if len(xs) else float("nan")


def matrices() -> None:
    rng = np.random.default_rng(2024)
    rows = {"pvz": [], "bf": [], "ex": [], "bd": [], "H": [], "lo": [], "hi": []}
    agree = 0
    for _ in range(SAMPLES):
        A = rng.normal(0.0, np.sqrt(2 / 6), size=(5, 6))
        h, t1 = _timed(hoffman_constant, A)
        hb, t2 = _timed(hoffman_constant, A, method="brute_force")
        he, t3 = _timed(hoffman_constant, A, exact=True)
        (lo, hi), t4 = _timed(hoffman_constant, A, method="bounds")
        agree += abs(h - hb) <= 1e-7 * max(1, h) and abs(h - float(he)) <= 1e-7 * max(1, h)
        for k, v in zip(("pvz", "bf", "ex", "bd", "H", "lo", "hi"), (t1, t2, t3, t4, h, lo, hi)):
            rows[k].append(v)
    H = np.array(rows["H"])
    print(f"## 5 x 6 matrices, N(0, sqrt(2/6)), {SAMPLES} samples")
    print()
    print(
        "| median H | PVZ = brute force = exact | PVZ ms | brute force ms | exact PVZ ms | bounds ms "
        "| median lower/H | median upper/H | max upper/H |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {_med(H):.3f} | {agree}/{SAMPLES} | {1e3 * _med(rows['pvz']):.2f} | {1e3 * _med(rows['bf']):.2f} "
        f"| {1e3 * _med(rows['ex']):.1f} | {1e3 * _med(rows['bd']):.2f} "
        f"| {_med(np.array(rows['lo']) / H):.3f} "
        f"| {_med(np.array(rows['hi']) / H):.3f} | {np.max(np.array(rows['hi']) / H):.3f} |"
    )
    print()


def _random_rational(rng, mp, mq, n):
    p = tropnet.TropicalPolynomial(rng.normal(size=(mp, n)), rng.normal(size=mp))
    q = tropnet.TropicalPolynomial(rng.normal(size=(mq, n)), rng.normal(size=mq))
    return tropnet.TropicalRational(p, q)


def rationals() -> None:
    print(f"## Tropical rationals (m_p, m_q, n), {SAMPLES} samples, seed 2024")
    print()
    print(
        "| (m_p, m_q, n) | cells | median H | PVZ = brute force | PVZ s | brute force s | bounds s "
        "| lower <= H <= upper | median lower/H | median upper/H |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(2024)
    for mp, mq, n in [(2, 3, 6), (3, 4, 9), (5, 4, 8), (7, 3, 12)]:
        cells, H, tp, tb, tbd, agree, ok, lo_r, hi_r = [], [], [], [], [], 0, 0, [], []
        for _ in range(SAMPLES):
            r = _random_rational(rng, mp, mq, n)
            cells.append(len(_cell_systems(r, False)))
            h, t1 = _timed(hoffman_constant, r)
            hb, t2 = _timed(hoffman_constant, r, method="brute_force")
            (lo, hi), t3 = _timed(hoffman_constant, r, method="bounds")
            H.append(h)
            tp.append(t1)
            tb.append(t2)
            tbd.append(t3)
            agree += abs(h - hb) <= 1e-7 * max(1.0, h)
            ok += lo <= h * (1 + 1e-9) and h <= hi * (1 + 1e-9)
            if h > 0:
                lo_r.append(lo / h)
                hi_r.append(hi / h)
        print(
            f"| ({mp}, {mq}, {n}) | {_med(cells):.0f} | {_med(H):.3f} | {agree}/{SAMPLES} | {_med(tp):.4f} "
            f"| {_med(tb):.4f} | {_med(tbd):.4f} | {ok}/{SAMPLES} | {_med(lo_r):.3f} | {_med(hi_r):.3f} |"
        )
    print()


def radius() -> None:
    print("## Effective radius at the origin: Hoffman bound vs exact (10 seeds each)")
    print()
    print(
        "| object | kind | median R exact | median R Hoffman | median ratio | max ratio "
        "| exact s | Hoffman s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    seeds = range(3 if QUICK else 10)
    cases = [
        (f"random_mlp({w})", lambda s, w=w: tropnet.random_mlp(w, seed=s))
        for w in ([2, 3, 1], [2, 4, 1], [3, 3, 1], [2, 3, 3, 1])
    ]
    cases.append(("rational (3, 3, 2)", lambda s: _random_rational(np.random.default_rng(s), 3, 3, 2)))
    cases.append(("rational (5, 4, 3)", lambda s: _random_rational(np.random.default_rng(s), 5, 4, 3)))
    for name, make in cases:
        for kind in ("linear", "activation"):
            if kind == "activation" and name.startswith("rational"):
                continue
            ex, ho, te, th = [], [], [], []
            for s in seeds:
                obj = make(s)
                e, t1 = _timed(effective_radius, obj, method="exact", kind=kind)
                h, t2 = _timed(effective_radius, obj, kind=kind)
                ex.append(e)
                ho.append(h)
                te.append(t1)
                th.append(t2)
            ratio = np.array(ho) / np.maximum(np.array(ex), 1e-12)
            print(
                f"| {name} | {kind} | {_med(ex):.3f} | {_med(ho):.3f} | {_med(ratio):.2f} "
                f"| {np.max(ratio):.2f} "
                f"| {_med(te):.3f} | {_med(th):.3f} |"
            )
    print()


if __name__ == "__main__":
    print("(timings on a shared 2-core machine; noisy)\n")
    matrices()
    rationals()
    radius()
