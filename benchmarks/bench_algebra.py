"""Benchmark of the tropical algebra core (a script printing a table, not a test).

Two random bivariate polynomials with 1000 monomials each (integer exponents in [0, 40)^2,
coefficients k/7 with |k| <= 1000): their product, the simplification of the product, and the
evaluation of the simplified product on 10^6 points (exact mode: Fraction points and
results).  Also the simplification of 1500 monomials in 6 variables, which takes the LP path
of :mod:`tropnet.kernels.hull`.  Tropical matrices: ``det`` and ``eigenvalue`` of a random
200 x 200 matrix (float, and exact with entries k/7) and their product; on 8 x 8 matrices the
same two against brute force (all 8! permutations, all 16072 elementary cycles), values
compared.  Medians of ``--repeat`` runs.

Tropical geometry: the hypersurface (vertices, edges, weights, exact balancing check) of a
degree-30 bivariate polynomial with all 496 lattice points of 30*Delta and a random concave
lift (a smooth curve: 900 vertices), the same curve moved into R^3 by a unimodular map (a
hypersurface with a lineality space), and the stable intersection of two random degree-10
curves (checked: total multiplicity = mixed area = 100).  With ``--sage PYTHON`` (a Python
with passagemath's tropical module), the same hypersurface computation by Sage's
``tropical_variety()`` runs side by side on a smaller curve (degree ``--sage-degree``,
default 6), and its edges and weights are compared with ours.  With ``--polymake EXE``,
polymake's ``Hypersurface`` (tropical application) of the degree-30 curve, of the same curve
times a line in R^3, and of a smooth degree-4 surface in R^3, fed ``tropnet.export``, side by
side with ours (``check_cycle_equality`` against our cycle).

    .venv/bin/python benchmarks/bench_algebra.py [--repeat 3] [--seed 0]
        [--only polynomials|matrices|geometry] [--sage PYTHON] [--polymake EXE]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from fractions import Fraction

import numpy as np

from tropnet import TropicalMatrix, TropicalPolynomial


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


def lattice_polynomial(rng: np.random.Generator, degree: int) -> TropicalPolynomial:
    """All lattice points of degree*Delta with a random strictly concave lift (the quadratic
    -50/7 (i^2 + ij + j^2) plus noise k/700000, |k| <= 2*10^6): every lattice point is a vertex
    of the upper hull, so the curve is smooth (a unimodular triangulation; four lifted points
    on one plane by chance would break that) and as large as the degree allows."""
    terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
    k = rng.integers(-2 * 10**6, 2 * 10**6 + 1, size=len(terms))
    c = [Fraction(-50 * (i * i + i * j + j * j), 7) + Fraction(int(v), 7 * 10**5)
         for (i, j), v in zip(terms, k)]
    return TropicalPolynomial(np.array(terms), c, "x y")


def moved_to_r3(p: TropicalPolynomial) -> TropicalPolynomial:
    """``p(B x)`` for the rows (1, 2, 1), (0, 1, 3) of a unimodular matrix: the same curve
    times a line (a Newton polygon in a plane of Z^3)."""
    B = np.array([[1, 2, 1], [0, 1, 3]])
    E3 = [[int(v) for v in np.array(r, dtype=np.int64) @ B] for r in p.exponents.tolist()]
    return TropicalPolynomial(E3, p.coefficients.tolist(), "x y z")


def bench_geometry(seed: int, repeat: int) -> list[tuple]:
    from tropnet import mixed_area, stable_intersection

    rng = np.random.default_rng(seed)
    p = lattice_polynomial(rng, 30)
    t_h, H = timed(lambda: p.hypersurface(), repeat)
    t_b, ok = timed(H.is_balanced, repeat)
    w = H.weights()
    bounded = sum(1 for c in H.maximal_cells() if not c.rays)
    rows = [
        ("exact", "hypersurface, degree 30", f"{len(H.vertices())} vertices, {len(w)} edges, "
                                           f"smooth {H.is_smooth()}", t_h),
        ("exact", "  weights, balancing", f"sum {sum(w)}, max {max(w)}, {bounded} bounded, "
                                           f"balanced {ok}, genus {H.genus()}", t_b),
    ]
    # the same curve in R^3 through a unimodular change of coordinates: a Newton polygon in a
    # plane of Z^3, so the hypersurface is the curve (in the plane's lattice) times a line
    p3 = moved_to_r3(p)
    t_l, H3 = timed(lambda: p3.hypersurface(), repeat)
    same = sorted(H3.weights()) == sorted(w) and len(H3.cells(1)) == len(H.vertices())
    rows.append(("exact", "  the same curve x R in R^3", f"lineality {H3.lineality().tolist()}, "
                 f"{len(H3.cells(1))} lines, same cells/weights {same}, balanced {H3.is_balanced()}", t_l))
    p, q = lattice_polynomial(rng, 10), lattice_polynomial(rng, 10)
    t_i, pts = timed(lambda: stable_intersection(p, q), repeat)
    total = sum(m for _, m in pts)
    rows.append(("exact", "stable intersection, deg 10", f"{len(pts)} points, total {total} "
                 f"(mixed area {mixed_area(p, q)})", t_i))
    return rows


_SAGE = r"""
import json, sys, time
from sage.all__sagemath_polyhedra import *
from sage.all__sagemath_symbolics import *
ns = {}
exec(sys.stdin.read(), globals(), ns)
t0 = time.perf_counter()
H = ns["f"].tropical_variety()
comps = H.components()
t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "edges": len(comps), "weights": sorted(int(c[2]) for c in comps)}))
"""


def bench_sage(python: str, degree: int, seed: int) -> list[tuple]:
    """Sage's tropical_variety() against ours on the same curve, in this run."""
    import json
    import subprocess

    from tropnet import export

    p = lattice_polynomial(np.random.default_rng(seed + 1), degree)
    t_ours, H = timed(lambda: p.hypersurface(), 1)
    out = subprocess.run([python, "-c", _SAGE], input=export(p, "sage"), capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    same = res["edges"] == len(H.weights()) and res["weights"] == sorted(H.weights())
    return [
        ("exact", f"hypersurface, degree {degree}", f"{len(H.weights())} edges", t_ours),
        ("sage", f"tropical_variety, degree {degree}", f"{res['edges']} edges, agrees: {same}",
         res["seconds"]),
    ]




def lattice_polynomial3(rng: np.random.Generator, degree: int) -> TropicalPolynomial:
    """All lattice points of degree*Delta_3 in x, y, z with a random strictly concave lift (as
    :func:`lattice_polynomial`): a smooth tropical surface."""
    d = degree
    terms = [(i, j, k) for i in range(d + 1) for j in range(d + 1 - i) for k in range(d + 1 - i - j)]
    noise = rng.integers(-2 * 10**6, 2 * 10**6 + 1, size=len(terms))
    c = [Fraction(-50 * (i * i + j * j + k * k + i * j + j * k + i * k), 7) + Fraction(int(v), 7 * 10**5)
         for (i, j, k), v in zip(terms, noise)]
    return TropicalPolynomial(np.array(terms), c, "x y z")


def bench_polymake(exe: str, seed: int, repeat: int) -> list[tuple]:
    """polymake's own hypersurfaces (its tropical application, fed ``tropnet.export``) against
    ours on the same polynomials, in this run: the time polymake takes to compute the maximal
    polytopes and weights of a ``Hypersurface`` (after a warm-up, so rule loading is not
    counted), and whether it is the same cycle as ours (``check_cycle_equality``)."""
    import re
    import subprocess
    import tempfile
    from pathlib import Path

    from tropnet import export

    rng = np.random.default_rng(seed)
    p2 = lattice_polynomial(rng, 30)
    p3 = moved_to_r3(p2)
    s3 = lattice_polynomial3(rng, 4)
    cases = [("degree-30 curve", p2), ("the curve x R in R^3", p3), ("degree-4 surface in R^3", s3)]
    lines = ['use application "tropical";', "use Time::HiRes;",
             "my $w = new Hypersurface<Max>(MONOMIALS=>[[1,0,0],[0,1,0],[0,0,1]], COEFFICIENTS=>[0,0,0]);",
             "my $ww = $w->WEIGHTS;"]
    rows, lineal = [], []
    for k, (name, p) in enumerate(cases):
        t_ours, H = timed(lambda p=p: p.hypersurface(), repeat)
        lineal.append(len(H.lineality()) > 0)
        rows.append(("exact", f"hypersurface, {name}", f"{len(H.maximal_cells())} maximal cells", t_ours))
        text = export(H, "polymake").splitlines()[1:]
        lines += [re.sub(r"\$([fC])\b", rf"$\g<1>{k}", line) for line in text]
        lines.append(f"my $t{k} = Time::HiRes::time(); my $n{k} = $f{k}->N_MAXIMAL_POLYTOPES; "
                     f"my $x{k} = $f{k}->WEIGHTS; my $s{k} = Time::HiRes::time() - $t{k};")
        lines.append(f'print "CASE {k} $s{k} $n{k} ", check_cycle_equality($C{k}, $f{k}), "\\n";')
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.pl"
        script.write_text("\n".join(lines) + "\n")
        out = subprocess.run([exe, "--script", str(script)], capture_output=True, text=True, timeout=3600,
                             cwd=tmp)
    if out.returncode != 0:
        raise RuntimeError((out.stdout + out.stderr)[-2000:])
    found = {int(k): (float(s), int(n), eq)
             for k, s, n, eq in re.findall(r"CASE (\d+) (\S+) (\d+) (\S+)", out.stdout)}
    out_rows = []
    for k, (name, _) in enumerate(cases):
        s, n, eq = found[k]
        # polymake 4.6's check_cycle_equality also compares the unused far vertices its
        # hypersurfaces keep, so it says false with a lineality space; the cell-by-cell
        # comparison is in tests/algebra/test_export_polymake.py
        eq = "(lineality: see tests)" if lineal[k] else eq
        out_rows += [rows[k], ("polymake", f"Hypersurface, {name}", f"{n} maximal cells, same cycle {eq}", s)]
    return out_rows


def random_matrix(rng: np.random.Generator, n: int, exact: bool) -> TropicalMatrix:
    k = rng.integers(-1000, 1001, size=(n, n))
    if exact:
        return TropicalMatrix(np.array([[Fraction(int(v), 7) for v in row] for row in k], dtype=object))
    return TropicalMatrix(k / 7.0)


def brute_det(A: np.ndarray) -> object:
    n = len(A)
    return max(sum(A[i, s[i]] for i in range(n)) for s in itertools.permutations(range(n)))


def brute_cycle_mean(A: np.ndarray) -> object:
    n, best = len(A), None
    for k in range(1, n + 1):
        for cyc in itertools.permutations(range(n), k):
            if cyc[0] == min(cyc):
                mean = Fraction(sum(A[cyc[t], cyc[(t + 1) % k]] for t in range(k))) / k
                best = mean if best is None or mean > best else best
    return best


def bench_matrices(seed: int, repeat: int) -> list[tuple]:
    rows = []
    for exact in (False, True):
        rng = np.random.default_rng(seed)
        mode = "exact" if exact else "float"
        A = random_matrix(rng, 200, exact)
        t_prod, _ = timed(lambda A=A: A @ A, repeat)
        t_det, det = timed(A.det, repeat)
        t_eig, lam = timed(A.eigenvalue, repeat)
        t_vec, V = timed(A.eigenvectors, repeat)
        ok = bool(np.all((A @ V[:, 0]) == lam + V[:, 0])) if exact else bool(
            np.allclose((A @ V[:, 0]).astype(float), float(lam) + V[:, 0].astype(float)))
        rows += [(mode, "product 200 x 200", "", t_prod), (mode, "det 200 x 200", f"{float(det):.4f}", t_det),
                 (mode, "eigenvalue 200 x 200", f"{float(lam):.4f}", t_eig),
                 (mode, "eigenvectors 200 x 200", f"{V.shape[1]} generator(s), A v = λ v: {ok}", t_vec)]
        B = random_matrix(rng, 8, True)
        entries = B.entries if exact else B.to_float().entries
        Bm = B if exact else B.to_float()
        t_d8, d8 = timed(Bm.det, repeat)
        t_bd8, bd8 = timed(lambda e=entries: brute_det(e), 1)
        t_e8, e8 = timed(Bm.eigenvalue, repeat)
        t_be8, be8 = timed(lambda e=entries: brute_cycle_mean(e), 1)
        rows += [(mode, "det 8 x 8 (assignment)", f"= brute force: {d8 == bd8}", t_d8),
                 (mode, "det 8 x 8 (8! permutations)", f"{float(bd8):.4f}", t_bd8),
                 (mode, "eigenvalue 8 x 8 (Karp)", f"= brute force: {abs(e8 - be8) < 1e-9}", t_e8),
                 (mode, "eigenvalue 8 x 8 (all cycles)", f"{float(be8):.4f}", t_be8)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["polynomials", "matrices", "geometry"], default=None)
    parser.add_argument("--sage", default=None, help="a Python with passagemath's tropical module")
    parser.add_argument("--sage-degree", type=int, default=6)
    parser.add_argument("--polymake", default=None, help="a polymake executable (tropical application)")
    args = parser.parse_args()
    rows = []
    if args.only in (None, "polynomials"):
        for exact in (False, True):
            rows += bench_mode(exact, args.seed, args.repeat)
        for exact in (False, True):
            rows += bench_high_dimension(exact, args.seed, args.repeat)
    if args.only in (None, "matrices"):
        rows += bench_matrices(args.seed, args.repeat)
    if args.only in (None, "geometry"):
        rows += bench_geometry(args.seed, args.repeat)
        if args.sage:
            rows += bench_sage(args.sage, args.sage_degree, args.seed)
        if args.polymake:
            rows += bench_polymake(args.polymake, args.seed, args.repeat)
    print(f"{'mode':6} {'operation':30} {'result':56} {'median s':>9}")
    for mode, op, result, t in rows:
        print(f"{mode:6} {op:30} {result:56} {t:9.3f}")


if __name__ == "__main__":
    main()
