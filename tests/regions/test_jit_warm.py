"""The compiled kernels are loaded by :func:`tropnet.regions.jit.warm`: every signature their
callers use is among those it loads (else the process would compile again), and on an empty
numba cache the compile runs in a child process, this one only loading from the cache."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tropnet
from tropnet import Box, CrossPolytope, Segment

numba = pytest.importorskip("numba")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _listed(module):
    return {kernel.py_func.__name__: {tuple(sig) for k, sig in module._signatures() if k is kernel}
            for kernel, _ in module._signatures()}


def _used(module):
    return {kernel.py_func.__name__: set(kernel.signatures) for kernel, _ in module._signatures()}


def test_the_callers_use_only_the_listed_signatures(monkeypatch):
    """Counts that run every compiled kernel (vertex engine, 2-D certificate, 1-D engine,
    compiled LPs) compile nothing beyond what ``warm`` loads."""
    from tropnet.regions import hrep, jit, jit_lp, line_jit, planar_jit, pool

    old = pool.use_kernels("numba")
    monkeypatch.setattr(hrep, "JIT_LP_AFTER", 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net2 = tropnet.random_mlp([2, 24, 24, 1], seed=1)
            tropnet.count_linear_regions(net2, Box(-5, 5), kind="linear")  # certificate kernels
            tropnet.count_linear_regions(tropnet.random_mlp([4, 12, 12, 1], seed=1), Box(-2, 2),
                                         kind="activation")  # vertex engine kernels
            x = np.random.default_rng(0).uniform(size=12)
            seg = Segment(x, x + 1.0)
            for _ in range(3):  # the 1-D engine
                tropnet.count_linear_regions(tropnet.random_mlp([12, 16, 16, 2], seed=2), seg)
            tropnet.count_linear_regions(tropnet.random_mlp([14, 8, 6, 1], seed=0),
                                         CrossPolytope(np.zeros(14), 1.0), kind="activation")
    finally:
        pool.use_kernels(old)
    ran = 0
    for module in (jit, planar_jit, line_jit, jit_lp):
        listed, used = _listed(module), _used(module)
        for name in listed:
            assert used[name] <= listed[name], (module.__name__, name, used[name] - listed[name])
            ran += bool(used[name])
    assert ran >= 6  # most kernels really ran


def test_warm_compiles_in_a_child_process(tmp_path):
    """With an empty numba cache, ``warm`` fills it from a child process: this process then
    loads the kernel from the cache (a cache hit, no miss) and the cache holds it."""
    code = (
        "from tropnet.regions import jit, jit_lp\n"
        "assert not jit.cached(jit_lp)\n"
        "jit.warm(jit_lp)\n"
        "stats = jit_lp._dual_simplex.stats\n"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()), jit.cached(jit_lp))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "0", "True"]
    assert any(tmp_path.rglob("*.nbi"))
