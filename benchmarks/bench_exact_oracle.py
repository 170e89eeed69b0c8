"""The exact polyhedral oracle of the core install (kernels.dd, double description in Python
integers) against cddlib's exact arithmetic (pycddlib ``cdd.gmp``), side by side in one process.

Cases: (1) the facets of conv(V) for random rational point sets in R^3..R^5 (the exact volume's
facets); (2) the vertices of {A x <= b} from those facets; (3) the cells of the demo
polynomial's dual subdivision (the hull's oracle of last resort; 117 lifted points in R^3).
Every answer is compared with cdd's.  Run: ``PYTHONPATH=. python benchmarks/bench_exact_oracle.py``.
"""

from __future__ import annotations

import math
import os
import time
from fractions import Fraction as F

import numpy as np

import tropnet
from tropnet.kernels import hull_exact, hull_oracle
from tropnet.kernels.dd import halfspace_vertices, hull_facets


def _norm(row):
    den = math.lcm(*(F(v).denominator for v in row))
    z = [int(F(v) * den) for v in row]
    g = math.gcd(*z)
    return tuple(v // g for v in z)


def cdd_facets(pts):
    import cdd
    import cdd.gmp as gmp

    G = gmp.matrix_from_array([[1, *p] for p in pts], rep_type=cdd.RepType.GENERATOR)
    P = gmp.polyhedron_from_matrix(G)
    return {_norm([*(-F(v) for v in r[1:]), F(r[0])]) for r in gmp.copy_inequalities(P).array}


def cdd_vertices(A, b):
    import cdd
    import cdd.gmp as gmp

    rows = [[bi, *(-a for a in ai)] for ai, bi in zip(A.tolist(), b.tolist())]
    P = gmp.polyhedron_from_matrix(gmp.matrix_from_array(rows, rep_type=cdd.RepType.INEQUALITY))
    return sorted(tuple(F(x) / F(g[0]) for x in g[1:]) for g in gmp.copy_generators(P).array)


def timed(f, *a):
    t = time.perf_counter()
    out = f(*a)
    return out, time.perf_counter() - t


def main():
    print(f"load {os.getloadavg()[0]:.1f}")
    print("| case | n | points | facets | dd (s) | cdd.gmp (s) | agree |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for d, k in [(3, 20), (3, 60), (4, 30), (5, 30), (6, 25)]:
        t_dd = t_cdd = 0.0
        ok = True
        nf = 0
        for _ in range(5):
            Z = rng.integers(-50, 51, size=(k, d))
            pts = [[F(int(v), int(rng.integers(1, 5))) for v in row] for row in Z]
            (A, b), t1 = timed(hull_facets, pts)
            want, t2 = timed(cdd_facets, pts)
            t_dd += t1
            t_cdd += t2
            nf += len(A)
            ok &= {_norm([*a, bb]) for a, bb in zip(A.tolist(), b.tolist())} == want
        print(f"| facets of conv(V) | {d} | {k} | {nf / 5:.0f} | {t_dd / 5:.4f} | {t_cdd / 5:.4f} | {ok} |")
        if len(A) > 200:  # both take minutes (387 rows in R^6: dd 231 s, cdd.gmp 143 s at load 8)
            continue
        (V, _), t1 = timed(halfspace_vertices, A, b)
        wantV, t2 = timed(cdd_vertices, A, b)
        got = sorted(tuple(F(x) for x in v) for v in V.tolist())
        print(f"| vertices of A x <= b | {d} | {len(A)} rows | {len(V)} vertices | {t1:.4f} | {t2:.4f} "
              f"| {got == wantV} |")
    data = np.load(os.path.join(os.path.dirname(tropnet.__file__), "data", "demo.npz"))
    net = tropnet.Network.from_arrays([data[f"W{i}"] for i in range(3)], [data[f"b{i}"] for i in range(3)])
    g = tropnet.tropicalize(net)[0].numerator.to_exact()
    E, c = g.exponents, g.coefficients
    from tropnet.kernels.scaled import to_scaled

    Ez, cz = to_scaled(np.asarray(E, dtype=object))[0], to_scaled(np.asarray(c, dtype=object))[0]
    kind, _, L = hull_exact._exact_lift(Ez, cz)
    cells, t1 = timed(hull_oracle.upper_cells, L)
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "algebra"))
    from test_hull_without_cdd import _cdd_cells

    want, t2 = timed(_cdd_cells, L)
    print(f"| demo dual subdivision (upper cells) | {L.shape[1]} | {len(L)} | {len(cells)} cells | {t1:.3f} "
          f"| {t2:.3f} | {cells == want} |")


if __name__ == "__main__":
    main()
