"""The polymake text of ``tropnet.export`` run by polymake itself (its ``tropical`` application).

Runs when ``TROPNET_POLYMAKE`` names a polymake executable (Debian's ``polymake`` package, 4.6,
has the tropical application; one run of about 15 s for all cases), and is skipped otherwise.
For each hypersurface the exported script builds polymake's own hypersurface ``$f`` of the
polynomial and our complex ``$C``; polymake must find ``$C`` balanced, and its ``$f`` must be
the complex we computed, cell by cell with weights (compared here after reading polymake's
vertices, rays, lineality space and weights back; ``check_cycle_equality`` is asserted too where
there is no lineality space, since polymake 4.6's version also compares the unused far vertices
its hypersurfaces keep)."""

import os
import re
import subprocess
from fractions import Fraction as F

import pytest

import tropnet
from tropnet import export
from tropnet.algebra.hypersurface import primitive

u, v = tropnet.variables("u v")
x, y, z = tropnet.variables("x y z")
CASES = [
    u**2 + v**2 + 0,                                         # three rays of weight 2
    u**2 + u * v * F(3, 2) + v * 1 + 0,                      # rational coefficients
    (u**2 + u * v * F(3, 2) + v * 1 + 0).to_min_plus(),      # min-plus
    u**3 + v**3 + 0 + u * v * 2 + u**2 * v * F(-1, 2),       # a cubic with a cycle
    u * v + 0,                                               # a line with lineality
    x + y + 0,                                               # a tropical line times R
    x * y**2 + x * 2 + z * F(1, 3) + 0,                      # a tropical surface
    (x * y) ** 2 + x * y * 1 + 0,                            # two planes x + y = +-1
    x**2 + y**2 + z**2 + x * y * 1 + x * z + y * z * 2 + x + y * F(-1, 2) + z + 0,
]


def _polymake():
    exe = os.environ.get("TROPNET_POLYMAKE")
    if not exe or not os.path.exists(exe):
        pytest.skip("set TROPNET_POLYMAKE to a polymake executable (with its tropical application)")
    return exe


def _script(cases) -> str:
    lines = ['use application "tropical";']
    for k, p in enumerate(cases):
        text = export(p.hypersurface(), "polymake").splitlines()
        assert text[0] == 'use application "tropical";'
        for line in text[1:]:
            lines.append(re.sub(r"\$([fC])\b", rf"$\g<1>{k}", line))
        lines.append(
            f'print "CASE {k} ", check_cycle_equality($C{k}, $f{k}), " ", $C{k}->IS_BALANCED, "\\n";'
            f'print "V\\n", $f{k}->VERTICES, "L\\n", $f{k}->LINEALITY_SPACE, "M\\n", '
            f'$f{k}->MAXIMAL_POLYTOPES, "W\\n", $f{k}->WEIGHTS, "\\nEND\\n";'
        )
    return "\n".join(lines) + "\n"


def _parse(out: str) -> dict[int, dict]:
    cases = {}
    blocks = re.findall(r"CASE (\d+) (\S+) (\S+)\nV\n(.*?)L\n(.*?)M\n(.*?)W\n(.*?)\nEND", out, re.S)
    for k, equal, balanced, V, L, M, W in blocks:
        rows = [[F(t) for t in r.split()] for r in V.strip().splitlines() if r.strip()]
        lin = [[F(t) for t in r.split()] for r in L.strip().splitlines() if r.strip()]
        cells = [[int(t) for t in r.strip("{} ").split()] for r in M.strip().splitlines() if r.strip()]
        cases[int(k)] = {"equal": equal == "true", "balanced": balanced == "true", "rows": rows,
                         "lin": lin, "cells": cells, "weights": [F(t) for t in W.split()]}
    return cases


def _project(vec, L):
    """``vec`` minus its orthogonal projection on the span of the integer rows ``L`` (exact)."""
    from flint import fmpq, fmpq_mat

    vec = [F(a) for a in vec]
    if not L:
        return tuple(vec)
    n, m = len(vec), len(L)
    A = fmpq_mat(m, n, [int(a) for r in L for a in r])
    dots = [sum((F(r[j]) * vec[j] for j in range(n)), F(0)) for r in L]
    Av = fmpq_mat(m, 1, [fmpq(q.numerator, q.denominator) for q in dots])
    c = (A * A.transpose()).inv() * Av
    cs = [F(int(c[i, 0].p), int(c[i, 0].q)) for i in range(m)]
    return tuple(vec[j] - sum(cs[i] * L[i][j] for i in range(m)) for j in range(n))


def _key(verts, rays, L, w):
    pv = frozenset(_project(p, L) for p in verts)
    pr = frozenset(primitive(_project(r, L)) for r in rays)
    return (pv, pr, F(w))


def _theirs(res):
    """polymake's cells in the affine chart x_0 = 0: a vertex [1, x_0, x] is x - x_0, a ray or
    lineality vector [0, r_0, r] is r - r_0 (the torus is modulo (1, ..., 1))."""
    aff = [[c - r[1] for c in r[2:]] for r in res["rows"]]
    L = [[c - r[1] for c in r[2:]] for r in res["lin"]]
    L = [[int(c) for c in r] for r in L]
    out = []
    for idx, w in zip(res["cells"], res["weights"]):
        verts = [aff[i] for i in idx if res["rows"][i][0] == 1]
        rays = [aff[i] for i in idx if res["rows"][i][0] == 0]
        out.append(_key(verts, rays, L, w))
    return sorted(out, key=repr)


def _ours(H):
    V = [list(map(F, r)) for r in H.vertices().tolist()]
    R = H.rays().tolist()
    L = H.lineality().tolist()
    return sorted((_key([V[i] for i in c.vertices], [R[j] for j in c.rays], L, c.weight)
                   for c in H.maximal_cells()), key=repr)


def test_polymake_builds_the_same_hypersurfaces(tmp_path):
    exe = _polymake()
    script = tmp_path / "export.pl"
    script.write_text(_script(CASES))
    run = subprocess.run([exe, "--script", str(script)], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    res = _parse(run.stdout)
    assert sorted(res) == list(range(len(CASES)))
    for k, p in enumerate(CASES):
        H = p.hypersurface()
        assert res[k]["balanced"], k
        assert _theirs(res[k]) == _ours(H), k
        if not len(H.lineality()):
            assert res[k]["equal"], k


def test_the_script_is_well_formed_without_polymake():
    text = _script(CASES[:2])
    assert text.count("declare $f0 = new Hypersurface<Max>") == 1 and "declare $C1 = new Cycle<Max>" in text
