"""The float 2-D certificate and the joins across its failed root edges, made cheaper for small
counts (session 10: the crossings of the failed edges kept from the certificate, one integer key
per joined cell, the pruned network its own lowering), checked against an exact evaluation in
rationals: the exact linear regions of the same (dyadic) network, whose merge decides every
pair of neighbours from their exact maps (no certificate, no float tolerance)."""

import importlib.util
import warnings

import numpy as np
import pytest
from testnets import activated, merging_mlp, sparse_net

import tropnet
from tropnet import Box, Plane
from tropnet.regions import planar_merge, pool
from tropnet.regions.plan import _planar_module, make_plan


def _exact_count(net, dom) -> int:
    """The linear regions in rationals: the exact region set's merge (exact maps, exact facets)."""
    return len(tropnet.linear_regions(net, dom, exact=True, progress=False))


def _cases():
    out = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        w = int(rng.integers(5, 9))
        out.append((f"sparse {seed}", sparse_net([2, w, w, 1], seed, keep=float(rng.uniform(0.15, 0.4))),
                    Box(-3, 3)))
    for how in ("zeroed", "sparse"):
        for seed in range(2):
            out.append((f"{how} {seed}", merging_mlp([2, 8, 8, 2], how, seed=seed), Box(-2, 2)))
    plane = Plane.through(*np.random.default_rng(0).uniform(0, 1, size=(3, 5)))
    out.append(("sparse plane", merging_mlp([5, 8, 8, 2], "sparse"), plane))
    out.append(("leaky sparse", activated(sparse_net([2, 7, 7, 1], 3, keep=0.3), "leaky"), Box(-3, 3)))
    out.append(("standard", tropnet.random_mlp([2, 8, 8, 1], seed=4), Box(-3, 3)))
    return out


_KERNEL_CHOICES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="numba is not installed"))]


@pytest.mark.parametrize("kernels", _KERNEL_CHOICES)
@pytest.mark.parametrize("name,net,dom", _cases(), ids=[c[0] for c in _cases()])
def test_certified_counts_equal_the_exact_linear_regions(name, net, dom, kernels, monkeypatch):
    """The float count (certificate, then the joins across the failed edges) equals the number of
    exact linear regions; where the certificate holds outright, the exact regions are the cells;
    the crossings the joins reuse (the numpy loops' or the compiled ones') are those of the failed
    edges alone, as the numpy code finds them."""
    monkeypatch.setitem(pool._KERNELS, "choice", kernels)
    seen = []
    real = planar_merge._joins

    def spy(stages, last, failed, silent=None):
        for rec in failed:
            st = rec["stretches"]
            again = st._flips(rec["p"], rec["q"], *st._pairs(rec["A"]))
            if rec.get("flips") is not None:
                assert again is not None
                assert all(np.array_equal(a, b) for a, b in zip(rec["flips"], again))
                seen.append(len(rec["p"]))
        return real(stages, last, failed, silent)

    monkeypatch.setattr(planar_merge, "_joins", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = _exact_count(net, dom)
        assert tropnet.count_linear_regions(net, dom, progress=False) == exact
        plan = make_plan(net, dom, want="count")
        fast = plan._count_planar_linear()
        assert fast is None or fast == exact
        piece = plan.domain.pieces[0]
        stats = {"last_layer": None}
        cells = int(_planar_module().count_cells(plan.net.lowered(), piece.lo, piece.hi,
                                                 halfspaces=piece.halfspaces, stats=stats))
        if planar_merge.no_shared_maps(plan.domain.stages, stats["last_layer"], piece.lo, piece.hi,
                                       piece.halfspaces):
            assert cells == exact


@pytest.mark.parametrize("kernels", _KERNEL_CHOICES)
def test_some_joins_reuse_the_certificates_crossings(kernels, monkeypatch):
    """The sparse cases above do join across failed edges, with the certificate's crossings (the
    numpy loops' or the compiled ones': the joins do not find them again)."""
    monkeypatch.setitem(pool._KERNELS, "choice", kernels)
    used = []
    real = planar_merge._joins
    monkeypatch.setattr(planar_merge, "_joins",
                        lambda st, last, failed, silent=None: used.append(failed[0].get("flips") is not None)
                        or real(st, last, failed, silent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, net, dom in _cases():
            tropnet.count_linear_regions(net, dom, progress=False)
    assert any(used)
