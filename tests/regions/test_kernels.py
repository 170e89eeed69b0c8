"""The vertex engine's array kernels: the compiled bodies (numba, ``tropnet[fast]``) give exactly
the numpy kernels' cells (the same arrays, in the same order) on random, degenerate, GroupMax,
exact and certified runs; the numpy path is run explicitly, so it stays tested where numba is
installed.  Counts are checked against known answers (affinitree / the prototypes)."""

import numpy as np
import pytest
from testnets import degenerate_vertices_net as _degenerate
from testnets import unit_classes_net

from tropnet import Box, Linear, Maxout, Network, ReLU, count_linear_regions, random_mlp
from tropnet.regions import pool
from tropnet.regions.program import stages_from_network
from tropnet.regions.refine import enumerate_cells, refine, refine_start
from tropnet.regions.stream import refine_count

FIELDS = ("patterns", "points", "vertex_coords", "vertex_offsets", "vertex_ids")


def _maxout(seed):
    rng = np.random.default_rng(seed)
    return Network([Linear(rng.integers(-3, 4, size=(6, 3)), rng.integers(-2, 3, 6)), Maxout(2),
                    Linear(rng.integers(-3, 4, size=(4, 3)), rng.integers(-2, 3, 4)), ReLU(),
                    Linear(rng.integers(-3, 4, size=(1, 4)))])


@pytest.fixture
def kernels():
    old = pool.use_kernels(None)
    yield pool.use_kernels
    pool.use_kernels(old)


def _cells(net, kind, exact=False, R=3.0):
    pool.use_kernels(kind)
    d = net.input_dim
    return refine(stages_from_network(net, exact=exact), d, -R * np.ones(d), R * np.ones(d), exact=exact,
                  certify=exact, tight_codes=exact)


CASES = [(random_mlp([3, 8, 8, 1], seed=1), False), (random_mlp([5, 7, 7, 1], seed=0), False),
         (random_mlp([4, 6, 6, 1], seed=2), True), (_degenerate(0), False), (_degenerate(1), True),
         (_maxout(0), False), (_maxout(1), True),
         # many degenerate cells (coincident and concurrent hyperplanes: the adjacency test per cell)
         (unit_classes_net(0, 3, 8, 2, 3, True), False), (unit_classes_net(1, 3, 9, 2, 3, False), True),
         (unit_classes_net(2, 4, 8, 2, 2, False), False)]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_numba_kernels_give_the_numpy_cells(kernels, k):
    pytest.importorskip("numba")
    net, exact = CASES[k]
    a = _cells(net, "numpy", exact)
    b = _cells(net, "numba", exact)
    for f in FIELDS + (("vertex_codes",) if exact else ()):
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None and y is None) or np.array_equal(x, y), f


def test_the_compiled_adjacency_test_of_degenerate_cells_runs(kernels):
    pytest.importorskip("numba")
    from tropnet.regions import jit

    _cells(unit_classes_net(0, 3, 8, 2, 3, True), "numba")
    assert jit.edges_degenerate.signatures  # (its cells equal numpy's: the test above)


@pytest.mark.parametrize("exact", [False, True])
def test_numba_kernels_give_the_numpy_cells_with_clipping_rows(kernels, exact):
    pytest.importorskip("numba")
    net = random_mlp([4, 7, 7, 1], seed=3)
    A, b = np.array([[1, 1, 0, 0], [0, -1, 1, 1]]), np.array([1, 2])
    out = []
    for kind in ("numpy", "numba"):
        kernels(kind)
        out.append(refine(stages_from_network(net, exact=exact), 4, -3 * np.ones(4), 3 * np.ones(4),
                          halfspaces=(A, b), exact=exact, certify=exact))
    for f in FIELDS:
        assert np.array_equal(getattr(out[0], f), getattr(out[1], f)), f


@pytest.mark.parametrize("kind", ["numpy", "numba"])
def test_known_counts_with_either_kernels(kernels, kind):
    if kind == "numba":
        pytest.importorskip("numba")
    kernels(kind)
    # affinitree / the prototypes agree on these (tests/regions/test_known_answers.py)
    assert len(enumerate_cells(random_mlp([2, 8, 8, 1], seed=0), -10 * np.ones(2), 10 * np.ones(2))) == 105
    assert count_linear_regions(random_mlp([3, 8, 8, 1], seed=1), Box(-5, 5), kind="activation") == 580
    assert count_linear_regions(random_mlp([4, 6, 6, 1], seed=2), Box(-5, 5), kind="activation") == 258
    # streamed in tiny parts, exact: the same count
    net = random_mlp([3, 8, 8, 1], seed=1)
    problem, state = refine_start(stages_from_network(net, exact=True), 3, -5 * np.ones(3), 5 * np.ones(3),
                                  exact=True, certify=True)
    assert refine_count(problem, state, budget=9) == 580


def test_kernel_choice(kernels, monkeypatch):
    with pytest.raises(ValueError, match="kernels must be"):
        kernels("fortran")
    kernels("numpy")
    assert pool.jit_kernels(10**9) is None
    kernels(None)
    assert pool.jit_kernels(1) is None  # small cuts stay in numpy (no compile for small runs)
    monkeypatch.setenv("TROPNET_JIT", "0")
    assert pool.jit_kernels(10**9) is None


def test_compiled_join_with_more_edges_than_its_first_room():
    """One positive vertex sharing all but one id with 40 negative ones (a degenerate cell, in
    d = 2): more edges than the room of one per positive row and column, so the join reruns
    with more room; the pairs are those of a brute-force test, ordered as documented."""
    jit = pytest.importorskip("tropnet.regions.jit")
    T = np.array([[0, 1]] + [[0, k] for k in range(2, 42)] + [[1, 50], [3, 60]], dtype=np.int32)
    sg = np.array([1] + [-1] * 40 + [-1, 1], dtype=np.int8)
    cell = np.array([0] * 41 + [1, 1])
    R = np.random.default_rng(0).integers(0, 2**63, size=61, dtype=np.uint64)
    ar = np.arange(len(T))
    r1, r2, common = jit.edges_generic(sg, T, cell, R, ar, ar)
    want = [(i, j, sorted(set(T[i]) & set(T[j])))
            for i in range(len(T)) for j in range(len(T))
            if sg[i] > 0 > sg[j] and cell[i] == cell[j] and len(set(T[i]) & set(T[j])) == 1]
    assert len(want) == 40
    got = [(int(i), int(j), c.tolist()) for i, j, c in zip(r1, r2, common)]
    assert got == want  # by positive row, its dropped column (here always column 1), negative row


def test_kernels_compile_in_a_child_process(tmp_path):
    """With an empty numba cache, loading the kernels compiles them in a child process and this
    process only loads them from the cache (no compile here: its LLVM memory stays in the
    child); a count then compiles nothing more (the engine's argument types are the ones
    listed)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("numba")
    code = """
from tropnet import Box, count_linear_regions, random_mlp
from tropnet.regions import pool
pool.use_kernels("numba")
jit = pool._KERNELS["jit"]
kernels = [k for k, _ in jit._signatures()]
misses = sum(len(k.stats.cache_misses) for k in kernels)
hits = sum(len(k.stats.cache_hits) for k in kernels)
n = count_linear_regions(random_mlp([4, 8, 8, 1], seed=0), Box(-5, 5), kind="activation")
print(misses, hits, sum(len(k.signatures) for k in kernels), n)
"""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    misses, hits, sigs, n = map(int, out.stdout.split())
    assert (misses, hits, sigs) == (0, 4, 4)  # edges_generic, edges_degenerate, interpolate, children
    assert n == count_linear_regions(random_mlp([4, 8, 8, 1], seed=0), Box(-5, 5), kind="activation")
