"""Tests of tropnet.studies.compare: budget search, counts, and the comparison table."""

import numpy as np
import pytest

import tropnet
from tropnet import algebranet
from tropnet.algebras import ALGEBRAS, M2R, C, D, H
from tropnet.studies import compare_algebras, widest_algebranet

ALL = list(ALGEBRAS.values())


def brute_force_width(alg, d, depth, pb, fb):
    best = None
    for c in range(1, 200):  # counts grow with c: stop at the first width over budget
        net = algebranet(alg, [d] + [c] * depth + [1], seed=0)
        layers = [layer for layer in net.layers if hasattr(layer, "real_mults")]
        p, m = net.num_parameters, sum(layer.real_mults for layer in layers)
        if (pb is not None and p > pb) or (fb is not None and m > fb):
            break
        best = c
    return best


@pytest.mark.parametrize("alg", ALL, ids=[a.name for a in ALL])
@pytest.mark.parametrize("pb, fb", [(300, None), (None, 400), (500, 300)])
def test_widest_matches_brute_force(alg, pb, fb):
    want = brute_force_width(alg, 2, 2, pb, fb)
    if want is None:
        with pytest.raises(ValueError, match="budget too small"):
            widest_algebranet(alg, 2, 2, pb, fb)
    else:
        assert widest_algebranet(alg, 2, 2, pb, fb) == [2, want, want, 1]


def test_known_widths():
    # R, depth 1: 4c + 1 parameters; C: 8c + 2; H: (12 + 4 + 4)c + 4 = 20c + 4 at depth 1
    assert widest_algebranet("R", 2, 1, param_budget=41) == [2, 10, 1]
    assert widest_algebranet(C, 2, 1, param_budget=41) == [2, 4, 1]
    assert widest_algebranet(H, 2, 1, param_budget=44) == [2, 2, 1]
    # mults, depth 2, C: first 2*c*2, middle c*c*4, readout c*2 -> 4c^2 + 6c
    assert widest_algebranet(C, 2, 2, flop_budget=4 * 25 + 30) == [2, 5, 5, 1]


def test_bad_budgets():
    with pytest.raises(ValueError, match="param_budget, flop_budget or both"):
        widest_algebranet(C, 2, 2)
    with pytest.raises(ValueError, match="budget too small for H"):
        widest_algebranet(H, 2, 2, param_budget=10)
    with pytest.raises(ValueError, match="depth"):
        widest_algebranet(C, 2, 0, param_budget=100)
    with pytest.raises(ValueError, match="param_budget"):
        widest_algebranet(C, 2, 1, param_budget=2.5)
    with pytest.raises(TypeError, match="built-in"):
        widest_algebranet("Q", 2, 1, param_budget=100)


def test_dual_numbers_net_is_the_real_net_of_its_real_parts():
    """Why D looks like R with half the parameters: dual parts never reach the real readout."""
    net = algebranet(D, [2, 5, 5, 1], seed=3)
    layers = [layer for layer in net.layers if hasattr(layer, "algebra")]
    real = tropnet.Network.from_arrays(
        [layer.weight[..., 0] for layer in layers], [layer.bias[..., 0] for layer in layers]
    )
    x = np.random.default_rng(0).normal(size=(100, 2)) * 3
    assert np.allclose(net(x), real(x))


def test_compare_table():
    rows = compare_algebras(["R", C, M2R], 2, 2, param_budget=150, seeds=range(2), as_frame=False,
                            monomials=False, domain=tropnet.Box(-5, 5))
    assert [r["algebra"] for r in rows] == ["R", "C", "M2R"]
    for r in rows:
        assert r["parameters"] <= 150
        assert 1 <= r["linear_regions"] <= r["activation_regions"]
        assert r["regions_per_parameter"] == pytest.approx(r["linear_regions"] / r["parameters"])
    # R with these widths is exactly a random ReLU MLP: cross-check one seed by hand
    widths = rows[0]["widths"]
    net = algebranet(ALGEBRAS["R"], widths, seed=0).lowered()
    got = tropnet.count_linear_regions(net, tropnet.Box(-5, 5), kind="activation")
    net1 = algebranet(ALGEBRAS["R"], widths, seed=1).lowered()
    got1 = tropnet.count_linear_regions(net1, tropnet.Box(-5, 5), kind="activation")
    assert rows[0]["activation_regions"] == pytest.approx((got + got1) / 2)


def test_compare_exact_counts_agree_with_float_and_frame():
    pd = pytest.importorskip("pandas")
    kw = dict(input_dim=2, depth=2, param_budget=60, seeds=[0], domain=tropnet.Box(-3, 3))
    fl = compare_algebras(["C", "M2R"], monomials=False, **kw)
    ex = compare_algebras(["C", "M2R"], monomials=False, exact=True, as_frame=False, **kw)
    assert isinstance(fl, pd.DataFrame) and list(fl["algebra"]) == ["C", "M2R"]
    assert list(fl["linear_regions"]) == [r["linear_regions"] for r in ex]
    assert list(fl["activation_regions"]) == [r["activation_regions"] for r in ex]


def test_compare_monomials_match_the_compiler():
    from tropnet import tropicalize
    rows = compare_algebras(["H"], 2, 1, param_budget=50, seeds=[0, 1], domain=tropnet.Box(-3, 3),
                            as_frame=False)
    widths = rows[0]["widths"]
    maps = [tropicalize(algebranet(ALGEBRAS["H"], widths, seed=s).lowered()) for s in (0, 1)]
    assert rows[0]["monomials_after"] == np.mean([m.num_monomials[0] for m in maps])
    assert rows[0]["monomials_before"] == np.mean([m.monomials_before[0] for m in maps])
    assert rows[0]["monomials_before"] >= rows[0]["monomials_after"]


def test_compare_bad_input():
    with pytest.raises(ValueError, match="at least one algebra"):
        compare_algebras([], 2, 1, param_budget=50)
    with pytest.raises(ValueError, match="at least one seed"):
        compare_algebras(["C"], 2, 1, param_budget=50, seeds=[])


def test_compare_real_baseline():
    rows = compare_algebras(["R", "H"], 2, 1, param_budget=50, seeds=[0, 1], domain=tropnet.Box(-3, 3),
                            as_frame=False, monomials=False, baseline=True)
    r, h = rows
    assert r["real_baseline_regions"] == r["linear_regions"]  # R's baseline is itself
    assert h["real_widths"] == (2, 4 * h["widths"][1], 1)
    want = np.mean([tropnet.count_linear_regions(algebranet(ALGEBRAS["R"], list(h["real_widths"]), seed=s)
                                                 .lowered(), tropnet.Box(-3, 3)) for s in (0, 1)])
    assert h["real_baseline_regions"] == want
