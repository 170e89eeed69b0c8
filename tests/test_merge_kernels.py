"""kernels.merge: row_index against a dictionary of rows (and its bad input), components against
scipy's connected_components."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet.kernels.merge import component_count, components, row_index


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(0, 5), top=st.integers(1, 3))
def test_row_index_equals_a_dictionary_of_rows(seed, width, top):
    rng = np.random.default_rng(seed)
    P = rng.integers(0, top, size=(int(rng.integers(0, 30)), width)).astype(np.int32)
    Q = rng.integers(0, top, size=(int(rng.integers(0, 30)), width)).astype(np.int32)
    got = row_index(P, Q)
    rows = {p.tobytes(): i for i, p in enumerate(P)}
    for q, g in zip(Q, got):
        if q.tobytes() in rows:
            assert g >= 0 and np.array_equal(P[g], q)
        else:
            assert g == -1


def test_row_index_refuses_rows_of_other_widths():
    with pytest.raises(ValueError, match="one width"):
        row_index(np.zeros((2, 3), dtype=np.int32), np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(ValueError, match="2-D"):
        row_index(np.zeros(3, dtype=np.int32), np.zeros((2, 3), dtype=np.int32))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40))
def test_components_equal_scipys(seed, n):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    E = rng.integers(0, n, size=(int(rng.integers(0, 2 * n)), 2))
    got = components(n, E)
    k, ref = connected_components(coo_matrix((np.ones(len(E)), (E[:, 0], E[:, 1])), shape=(n, n)),
                                  directed=False)
    assert component_count(n, E) == k
    same = ref[:, None] == ref[None, :]
    assert np.array_equal(got[:, None] == got[None, :], same)
    _, first = np.unique(got, return_index=True)
    assert np.all(np.diff(first) > 0) and got[0] == 0  # labels in order of first node
