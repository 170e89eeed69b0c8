"""The cells across facets that the one-unit flip cannot name (coincident hyperplanes: a unit
and its scaled copy), read from exact patterns just beyond every such facet at once
(:func:`tropnet.regions.across.cells_across`), and the exact facet embeddings of R^n
(:func:`tropnet.regions.found._embed`)."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from testnets import merging_net

import tropnet
from tropnet import Box
from tropnet.regions.across import cells_across
from tropnet.regions.exactness import Exactness
from tropnet.regions.found import _embed
from tropnet.regions.plan import make_plan


def _count(net, dom, exact, kind="linear"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind=kind, exact=exact, progress=False)


@pytest.mark.parametrize("seed, w, d, dom", [
    (0, 8, 2, Box(-5, 5)), (1, 10, 3, Box(-5, 5)), (2, 10, 3, None), (3, 8, 4, Box(-3, 3)), (4, 8, 2, None),
])
@pytest.mark.parametrize("scale", [2, 4])
def test_a_scaled_duplicate_counts_as_its_cancelled_copy(seed, w, d, dom, scale):
    # merging_net(scale=1): the duplicate equals its unit and cancels, the count drops both
    # before it runs; scale=2 or 4 (read with 1/scale, exact in float64): the same function, the duplicate's hyperplane is its unit's
    # (coincident facets, read across by cells_across), and the merge joins the cells it splits
    ref = _count(merging_net(seed, w, d, scale=1), dom, True)
    net = merging_net(seed, w, d, scale=scale)
    assert _count(net, dom, True) == ref
    assert _count(net, dom, False) == ref
    assert _count(net, dom, True, "activation") > ref


def _found(net, dom):
    plan = make_plan(net, dom, want="count", exact=True)
    return plan.find(Exactness(True, False, False))  # the rational pass: exact vertices, no codes


def test_the_cell_across_is_the_cell_on_the_other_side():
    # h = relu(x), its copy relu(2x) and relu(y): the facet x = 0 of a cell with x < 0 is the
    # hyperplane of two units (no one-unit flip); across it is the cell with x > 0, same y side
    net = tropnet.Network.from_arrays([[[1.0, 0], [2.0, 0], [0, 1.0]], [[1.0, -0.5, 1.0]]])
    found = _found(net, Box(-1, 1))
    pats = found.patterns.tolist()
    owners, points, want = [], [], []
    for y, side in ((Fraction(-1, 2), 0), (Fraction(1, 3), 1)):
        owners.append(pats.index([0, 0, side]))
        points.append(np.array([Fraction(0), y], dtype=object))
        want.append(pats.index([1, 1, side]))
    assert cells_across(found, np.array(owners), points).tolist() == want
    # a point on the domain's boundary facet x = -1: outside at once
    assert cells_across(found, np.array([owners[0]]), [np.array([Fraction(-1), Fraction(-1, 2)], dtype=object)]
                        ).tolist() == [-1]


def test_a_cell_missing_across_a_facet_raises():
    net = tropnet.Network.from_arrays([[[1.0, 0], [2.0, 0], [0, 1.0]], [[1.0, -0.5, 1.0]]])
    found = _found(net, Box(-1, 1))
    pats = found.patterns.tolist()
    owner, gone = pats.index([0, 0, 0]), pats.index([1, 1, 0])
    found.patterns = found.patterns.copy()
    found.patterns[gone] = [1, 0, 0]  # no cell has this pattern: the cell across is not reported
    with pytest.raises(RuntimeError, match="could not certify completeness"):
        cells_across(found, np.array([owner]), [np.array([Fraction(0), Fraction(-1, 2)], dtype=object)])


def test_exact_facet_embeddings_equal_the_dense_product():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5):
        M = np.array([[Fraction(int(v), int(q)) for v, q in zip(rng.integers(-2, 3, n), rng.integers(1, 4, n))]
                      for _ in range(n + 1)], dtype=object)
        M[rng.random(M.shape) < 0.5] = Fraction(0)
        M[0] = Fraction(0)  # a zero row
        m0 = np.array([Fraction(int(v), 3) for v in rng.integers(-3, 4, n + 1)], dtype=object)
        Y = np.array([[Fraction(int(v), int(q)) for v, q in zip(rng.integers(-9, 10, n), rng.integers(1, 9, n))]
                      for _ in range(7)], dtype=object)
        assert (_embed(Y, M, m0) == Y.dot(M.T) + m0).all()
        Yf = rng.normal(size=(4, n))
        assert np.allclose(_embed(Yf, M, m0), Yf.dot(M.astype(float).T) + m0.astype(float))
