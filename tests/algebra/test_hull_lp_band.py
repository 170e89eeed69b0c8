"""The float LP path of the upper hull (lifted dimension > QHULL_MAX_DIM) certifies its
decisions like the Qhull path: an LP optimum or a witness's lead inside the band
(LP_TOL, AMBIGUOUS_RTOL] sends the hull to the exact path on the stored dyadic rationals."""

import numpy as np
import pytest

from tropnet.kernels import hull, hull_float


def _case(delta):
    """In R^7 (lifted dimension 8): the simplex 0, e_1..e_7, seven more points, all on the concave
    lift -|a|^2 / 2, and the simplex's centre raised by ``delta`` above its facet plane."""
    n = 7
    A = np.vstack([np.zeros(n), np.eye(n), 2 * np.eye(n) + 1])
    c = -(A**2).sum(axis=1) / 2
    p = np.full(n, 1 / 8)
    return np.vstack([A, p]), np.append(c, -p.sum() / 2 + delta)


@pytest.mark.parametrize("delta", [3e-9, -3e-9])
def test_band_decisions_go_exact(delta, monkeypatch):
    A, c = _case(delta)
    assert A.shape[1] + 1 > hull.QHULL_MAX_DIM
    want = hull.upper_hull_vertices(hull_float._exact_copy(A), hull_float._exact_copy(c)).tolist()
    assert (len(A) - 1 in want) == (delta > 0)  # the centre is a vertex exactly when raised
    # an LP answer off by 1.2e-8 (HiGHS's feasibility tolerance is 1e-7) must not decide
    real = hull_float._witness_lp

    def off(L, j, rows):
        t, x = real(L, j, rows)
        return (t + 1.2e-8 if j == len(L) - 1 else t), x

    monkeypatch.setattr(hull_float, "_witness_lp", off)
    exact_calls = []
    real_copy = hull._exact_copy
    monkeypatch.setattr(hull, "_exact_copy", lambda a: exact_calls.append(1) or real_copy(a))
    assert hull.upper_hull_vertices(A, c).tolist() == want
    assert exact_calls  # decided on the dyadic rationals, not by the float LP
