"""Facet adjacency is complete: every facet inside the domain has the cell across it.

This is the certificate that nothing was missed (the cells are closed under crossing
facets), checked on maximally degenerate integer networks where several units of different
layers vanish on one facet.
"""

from fractions import Fraction

import numpy as np
import pytest

import tropnet


def _degenerate_net(seed):
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-1, 2, size=(4, 2))
    b1 = rng.integers(-1, 2, size=4)
    W2 = rng.integers(-1, 2, size=(3, 4))
    b2 = rng.integers(-1, 2, size=3)
    W3 = rng.integers(-1, 2, size=(1, 3))
    return tropnet.Network.from_arrays([W1, W2, W3], [b1, b2, [0]])


def _on_box_boundary(a, b, R):
    nz = [i for i, v in enumerate(a) if v != 0]
    return len(nz) == 1 and Fraction(b) / abs(Fraction(a[nz[0]])) == R


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("exact", [True, False])
def test_every_inner_facet_has_a_neighbour_and_adjacency_is_symmetric(seed, exact):
    R = 2
    rs = tropnet.linear_regions(_degenerate_net(seed), tropnet.Box(-R, R), kind="activation", exact=exact)
    off, nbr = rs._facet_off, rs._facet_nbr
    A, b = rs._facet_A, rs._facet_b
    pairs = set()
    for c in range(len(rs)):
        for j in range(off[c], off[c + 1]):
            if nbr[j] >= 0:
                pairs.add((c, int(nbr[j])))
            else:
                assert _on_box_boundary(A[j], b[j], R), f"cell {c}: inner facet {A[j]} <= {b[j]} has no neighbour"
    assert all((d, c) in pairs for c, d in pairs)
