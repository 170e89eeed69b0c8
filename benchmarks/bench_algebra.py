"""Benchmark of the tropical algebra core (a script printing a table, not a test).

Two random bivariate polynomials with 1000 monomials each (integer exponents in [0, 40)^2,
coefficients k/7 with |k| <= 1000): their product, the simplification of the product, and the
evaluation of the simplified product on 10^6 points (exact mode: Fraction points and
results).  Also the simplification of 1500 monomials in 6 variables, which takes the LP path
of :mod:`tropnet.kernels.hull`.  Medians of ``--repeat`` runs.

    .venv/bin/python benchmarks/bench_algebra.py [--repeat 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import time
from fractions import Fraction

import numpy as np

from tropnet import TropicalPolynomial


def random_polynomial(rng: np.random.Generator, m: int, exact: bool) -> TropicalPolynomial:
    E = rng.integers(0, 40, size=(m, 2))
    k = rng.integers(-1000, 1001, size=m)
    if exact:
        return TropicalPolynomial(E, [Fraction(int(v), 7) for v in k], "x y")
    return TropicalPolynomial(E.astype(float), k / 7.0, "x y")


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_mode(exact: bool, seed: int, repeat: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    p, q = random_polynomial(rng, 1000, exact), random_polynomial(rng, 1000, exact)
    t_prod, prod = timed(lambda: p * q, repeat)
    # a fresh object each run: simplify() caches its result
    fresh = iter([TropicalPolynomial._from_arrays(prod.exponents, prod.coefficients, prod.variables)
                  for _ in range(repeat)])
    t_simp, simp = timed(lambda: next(fresh).simplify(), repeat)
    k = 10**6
    if exact:
        ints = rng.integers(-60, 60, size=(k, 2)).tolist()
        X = np.array([[Fraction(a, 3), Fraction(b, 3)] for a, b in ints], dtype=object)
    else:
        X = rng.normal(size=(k, 2)) * 10
    t_eval, _ = timed(lambda: simp(X), repeat)
    check = simp(X[:2000]).tolist() == prod(X[:2000]).tolist()
    mode = "exact" if exact else "float"
    return [
        (mode, "product 1000 x 1000", f"{len(prod)} monomials", t_prod),
        (mode, "simplify product", f"{len(simp)} kept", t_simp),
        (mode, f"evaluate on {k:.0e} points", f"agrees with unsimplified: {check}", t_eval),
    ]


def bench_high_dimension(exact: bool, seed: int, repeat: int) -> list[tuple]:
    """Simplify 1500 monomials in 6 variables (lifted dimension 7: the LP path, not Qhull)."""
    rng = np.random.default_rng(seed)
    E = rng.integers(0, 4, size=(1500, 6))
    c = rng.integers(-30, 1, size=1500)
    p = TropicalPolynomial(E, c) if exact else TropicalPolynomial(E.astype(float), c.astype(float))
    fresh = iter([TropicalPolynomial._from_arrays(p.exponents, p.coefficients, p.variables)
                  for _ in range(repeat)])
    t, s = timed(lambda: next(fresh).simplify(), repeat)
    mode = "exact" if exact else "float"
    return [(mode, "simplify 6 variables (LP path)", f"{len(p)} -> {len(s)} monomials", t)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for exact in (False, True):
        rows += bench_mode(exact, args.seed, args.repeat)
    for exact in (False, True):
        rows += bench_high_dimension(exact, args.seed, args.repeat)
    print(f"{'mode':6} {'operation':28} {'result':34} {'median s':>9}")
    for mode, op, result, t in rows:
        print(f"{mode:6} {op:28} {result:34} {t:9.3f}")


if __name__ == "__main__":
    main()
