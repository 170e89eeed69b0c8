"""kernels.merge: row_index and key_index against dictionaries of rows and keys (and their bad
input), components against scipy's connected_components."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet.kernels.merge import component_count, components, key_index, row_index


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


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 40), top=st.integers(1, 6), hashes=st.booleans())
def test_key_index_equals_a_dictionary_of_keys(seed, n, top, hashes):
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, top, size=n)
    queries = rng.integers(0, top + 1, size=int(rng.integers(0, 30)))
    if hashes:  # wrapping uint64 hashes, as the pattern lookups use them
        mix = np.uint64(0x9E3779B97F4A7C15)
        keys, queries = keys.astype(np.uint64) * mix, queries.astype(np.uint64) * mix
    where: dict = {}
    for i, k in enumerate(keys.tolist()):
        where.setdefault(k, []).append(i)
    got = key_index(keys, queries)
    for q, g in zip(queries.tolist(), got.tolist()):
        assert g in where[q] if q in where else g == -1
    if n:  # the one other index with the query's key, skipping each key's own row
        skip = rng.integers(0, n, size=len(queries))
        queries = keys[skip]
        got = key_index(keys, queries, skip=skip)
        for q, s, g in zip(queries.tolist(), skip.tolist(), got.tolist()):
            others = [i for i in where[q] if i != s]
            assert g == (others[0] if len(others) == 1 else -1 if not others else -2)


def test_key_index_refuses_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        key_index(np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="to skip"):
        key_index(np.arange(3), np.arange(2), skip=np.array([0, 3]))
    with pytest.raises(ValueError, match="to skip"):
        key_index(np.arange(3), np.arange(2), skip=np.array([0]))
