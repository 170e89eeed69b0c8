"""The faces of unbounded cells from a core-only install (no pycddlib): the clipped vertices come
from the exact double description of kernels.dd, also for cells that contain lines.  Known
answers: parallel lines in the plane, two planes through a line in R^3, an arrangement in
general position (Buck's formula: 4 lines in R^2 have 6 vertices, 16 edges, 11 regions)."""

import sys

import numpy as np
import pytest

import tropnet
from tropnet.complex.lattice import build_complex


@pytest.fixture
def no_cdd(monkeypatch):
    monkeypatch.setitem(sys.modules, "cdd", None)
    monkeypatch.setitem(sys.modules, "cdd.gmp", None)


@pytest.mark.parametrize("exact", [True, False])
def test_cells_with_lines_and_general_position(no_cdd, exact):
    three_parallel = tropnet.Network.from_arrays([[[1, 0], [2, 0], [1, 0]], [[1, 1, 1]]], [[0, -2, 3], [0]])
    K = build_complex(tropnet.linear_regions(three_parallel, kind="activation", exact=exact))
    assert K.f_vector() == (0, 3, 4)  # three lines, four strips
    two_planes = tropnet.Network.from_arrays([[[1, 0, 0], [0, 1, 0]], [[1, 1]]], [[0, 1], [0]])
    K = build_complex(tropnet.linear_regions(two_planes, kind="activation", exact=exact))
    assert K.f_vector() == (0, 1, 4, 4)  # their common line, four half-planes, four wedges
    rng = np.random.default_rng(4)
    four_lines = tropnet.Network.from_arrays([rng.integers(-9, 10, size=(4, 2)), np.ones((1, 4), dtype=int)],
                                             [rng.integers(-9, 10, size=4), [0]])
    K = build_complex(tropnet.linear_regions(four_lines, kind="activation", exact=exact))
    assert K.f_vector() == (6, 16, 11)
