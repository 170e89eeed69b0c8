"""Without pycddlib (a core-only install), a polynomial's hypersurface -- float or exact -- is
decided exactly and silently: the exact double description of :mod:`tropnet.kernels.dd` is the
oracle of last resort.  The demo's lift is nearly degenerate (exactly 199 vertices, many within
1e-12 of each other), which needs that oracle.  Found by `tropnet demo` from a core-only install;
pycddlib, where installed, is the independent check."""

from __future__ import annotations

import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

import tropnet
from tropnet.kernels import hull_exact

DEMO = Path(tropnet.__file__).parent / "data" / "demo.npz"


def _demo_g():
    data = np.load(DEMO)
    Ws = [data[f"W{i}"] for i in range(3)]
    bs = [data[f"b{i}"] for i in range(3)]
    return tropnet.tropicalize(tropnet.Network.from_arrays(Ws, bs))[0].numerator


def test_demo_hypersurface_without_cdd_is_exact_and_matches_cdd(monkeypatch) -> None:
    g = _demo_g()
    with_cdd = None
    if _has_cdd():  # the oracle of last resort replaced by cddlib's exact facets
        with monkeypatch.context() as mp:
            mp.setattr(hull_exact, "upper_cells", _cdd_cells)
            with_cdd = g.hypersurface()
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tropnet.AmbiguousGeometryWarning)
        H = g.hypersurface()
        Hq = g.to_exact().hypersurface()
    assert len(H.vertices()) == len(Hq.vertices()) == 199
    if with_cdd is not None:
        assert np.array_equal(H.vertices(), with_cdd.vertices())
    assert np.array_equal(H.vertices(), Hq.vertices().astype(float))  # the float answer is the exact one, rounded


def _cdd_cells(L):
    import cdd
    import cdd.gmp

    d = L.shape[1]
    rows = [[1, *(Fraction(int(v)) for v in row)] for row in L]
    rows.append([0] * d + [-1])
    P = cdd.gmp.polyhedron_from_matrix(cdd.gmp.matrix_from_array(rows, rep_type=cdd.RepType.GENERATOR))
    cells = set()
    for row in cdd.gmp.copy_inequalities(P).array:  # b0 + w.p >= 0; upper when w_last < 0
        b0, w = Fraction(row[0]), [Fraction(x) for x in row[1:]]
        if w[-1] < 0:
            cells.add(tuple(i for i in range(len(L)) if b0 + sum(wk * int(x) for wk, x in zip(w, L[i])) == 0))
    return sorted(cells)


def _has_cdd() -> bool:
    try:
        import cdd.gmp  # noqa: F401
    except ImportError:
        return False
    return True
