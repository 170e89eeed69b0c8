"""kernels.certify.gamma, the one rounding bound gamma_n = n u / (1 - n u) (Higham, Accuracy and
Stability of Numerical Algorithms, 2nd ed., section 3.1) for both unit roundoffs (the certified
dtype's and float64's, which the 2-D certificates and vertex bounds use), checked in exact
rationals against the definition; its error on a bad n; the compiled copy's formula is the same."""

from fractions import Fraction

import numpy as np
import pytest

from tropnet.kernels.certify import FLOAT64_ROUNDOFF, UNIT_ROUNDOFF, gamma, gamma_bound


@pytest.mark.parametrize("u", [FLOAT64_ROUNDOFF, UNIT_ROUNDOFF], ids=["float64", "cert"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 100, 4 * 784 + 32, 10**6])
def test_gamma_bounds_the_definition_tightly(n, u):
    exact = Fraction(n) * Fraction(u) / (1 - Fraction(n) * Fraction(u))  # Higham's gamma_n
    g = Fraction(gamma(n, u))
    assert g >= exact
    assert g <= exact * (1 + Fraction(3, 10**9))  # an upper bound, and a tight one


def test_gamma_known_values():
    # u = 2^-53 for float64: gamma_1 = 2^-53 / (1 - 2^-53) = 1.1102230246251566e-16 (to 17 digits)
    assert FLOAT64_ROUNDOFF == 2.0**-53 == np.finfo(np.float64).eps / 2
    assert gamma(1, FLOAT64_ROUNDOFF) == pytest.approx(1.1102230246251566e-16, rel=3e-9)
    assert gamma(0, FLOAT64_ROUNDOFF) == 0.0
    assert gamma(np.int64(6), FLOAT64_ROUNDOFF) == gamma(6, FLOAT64_ROUNDOFF)
    assert gamma(10) == gamma(10, UNIT_ROUNDOFF)  # the certified dtype's by default


@pytest.mark.parametrize("n", [-1, 2.5, "3", True, None, np.float64(3.0)])
def test_gamma_refuses_a_bad_n(n):
    with pytest.raises(ValueError, match="whole number of operations"):
        gamma(n, FLOAT64_ROUNDOFF)


def test_gamma_refuses_too_many_terms():
    with pytest.raises(ValueError, match="too many terms"):
        gamma(10**8, FLOAT64_ROUNDOFF)  # n u > 1e-9: the bound's margin no longer covers it


def test_the_compiled_certificate_uses_the_same_bound():
    pytest.importorskip("numba")
    from tropnet.regions import planar_jit

    for n in (2, 6, 8, 4 * 256 + 32):
        assert planar_jit._gamma(n) == gamma(n, FLOAT64_ROUNDOFF) == gamma_bound(n, FLOAT64_ROUNDOFF)


@pytest.mark.parametrize("n", [-1, True, np.float64(3.0), [3]])
def test_gamma_refuses_a_bad_n_every_time(n):
    """gamma keeps its checked answers (a few small n, called often): a bad n, even one equal to a
    good one (True == 1, 3.0 == 3) or unhashable, is still refused on every call."""
    assert gamma(1, FLOAT64_ROUNDOFF) == gamma(1, FLOAT64_ROUNDOFF) == gamma_bound(1, FLOAT64_ROUNDOFF)
    assert gamma(3, FLOAT64_ROUNDOFF) == gamma_bound(3, FLOAT64_ROUNDOFF)
    for _ in range(2):
        with pytest.raises(ValueError, match="whole number of operations"):
            gamma(n, FLOAT64_ROUNDOFF)
