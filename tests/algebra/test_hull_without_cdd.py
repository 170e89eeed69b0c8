"""Without the optional ``cdd.gmp`` oracle, a float polynomial's hypersurface still comes out
(Qhull's float subdivision, with an AmbiguousGeometryWarning), while exact input keeps refusing
with a clear ImportError.  Found by `tropnet demo` from a core-only install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import tropnet
from tropnet.kernels import hull

DEMO = Path(tropnet.__file__).parent / "data" / "demo.npz"


def _demo_g():
    import numpy as np

    data = np.load(DEMO)
    Ws = [data[f"W{i}"] for i in range(3)]
    bs = [data[f"b{i}"] for i in range(3)]
    return tropnet.tropicalize(tropnet.Network.from_arrays(Ws, bs))[0].numerator


def test_float_hypersurface_without_cdd_warns_and_matches_cdd(monkeypatch) -> None:
    g = _demo_g()
    with_cdd = None
    if "cdd" in sys.modules or _has_cdd():
        with_cdd = g.hypersurface()
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)
    with pytest.warns(tropnet.AmbiguousGeometryWarning, match="cdd"):
        H = g.hypersurface()
    if with_cdd is not None:  # the exact oracle is the independent check of Qhull's float answer
        import numpy as np

        # the demo's lift is nearly degenerate: exactly, 199 vertices of which many lie within
        # 1e-12 of each other; Qhull merges those (103).  Same point set up to such merges:
        F = np.asarray(H.vertices(), dtype=float)
        X = np.asarray(with_cdd.vertices(), dtype=float)
        dist = np.abs(F[:, None, :] - X[None, :, :]).max(axis=2)
        scale = 1 + np.abs(X).max()
        assert dist.min(axis=1).max() < 1e-6 * scale and dist.min(axis=0).max() < 1e-6 * scale


def test_exact_subdivision_without_cdd_still_refuses(monkeypatch) -> None:
    g = _demo_g().to_exact()
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)
    with pytest.raises(hull.ExactOracleMissing, match="cdd.gmp"):
        g.hypersurface()


def _has_cdd() -> bool:
    try:
        import cdd.gmp  # noqa: F401
    except ImportError:
        return False
    return True
