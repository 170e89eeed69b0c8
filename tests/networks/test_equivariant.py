"""DeepSets layers: equivariance, invariance, layout, lowering."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import Linear, Network
from tropnet.networks.equivariant import EquivariantLinear, SumPool, deepsets


def _permute(x, perm, c):
    k = x.shape[0]
    return x.reshape(k, -1, c)[:, list(perm)].reshape(k, -1)


@given(st.permutations(list(range(4))), st.integers(1, 3), st.integers(1, 3))
def test_equivariant_linear_commutes_with_permutations(perm, ci, co):
    layer = EquivariantLinear(4, ci, co, seed=ci * 7 + co).to_exact()
    x = np.array(
        [[Fraction(int(v), 3) for v in np.random.default_rng(ci).integers(-9, 9, 4 * ci)]], dtype=object
    )
    y = layer.forward(x)
    assert np.array_equal(layer.forward(_permute(x, perm, ci)), _permute(y, perm, co))


def test_one_channel_matrix_is_alpha_identity_plus_gamma_ones():
    W = EquivariantLinear(3, 1, 1, lam=[[Fraction(1, 2)]], gamma=[[-2]]).weight_matrix()
    expect = Fraction(1, 2) * np.eye(3, dtype=np.int64).astype(object) - 2 * np.ones((3, 3), dtype=np.int64)
    assert np.array_equal(W, expect)


def test_element_major_layout():
    # y_i = Lambda x_i + Gamma sum_j x_j with x_i = x[2i : 2i + 2]
    lam = np.array([[1, 2], [3, 4], [5, 6]])
    gamma = np.array([[0, 1], [1, 0], [1, 1]])
    layer = EquivariantLinear(2, 2, 3, lam, gamma, [1, 0, -1])
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    xs = x.reshape(2, 2)
    expect = np.concatenate([lam @ xs[i] + gamma @ xs.sum(0) + [1, 0, -1] for i in range(2)])
    assert np.allclose(layer.forward(x)[0], expect)
    assert isinstance(layer.lower(4)[0], Linear)


@pytest.mark.parametrize("n, channels", [(2, (1, 1)), (3, (1, 4, 1)), (4, (2, 3, 3, 1)), (5, (1, 2, 2))])
def test_deepsets_is_invariant(n, channels):
    net = deepsets(n, channels, seed=n)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, n * channels[0]))
    for _ in range(5):
        perm = rng.permutation(n)
        assert np.allclose(net(x), net(_permute(x, perm, channels[0])))
    exact = net.to_exact()
    xe = np.array([[Fraction(int(v), 7) for v in rng.integers(-20, 20, n * channels[0])]], dtype=object)
    assert np.array_equal(exact(xe), exact(_permute(xe, rng.permutation(n), channels[0])))
    assert net.output_dim == channels[-1]


def test_paper_model_and_lowering():
    net = deepsets(3, (1, 1), seed=0, relu_before_pool=True)
    low = net.lowered()
    W = low.layers[0].weight
    a, g = W[0, 0] - W[0, 1], W[0, 1]
    assert np.allclose(W, a * np.eye(3) + g)
    x = np.array([[0.5, -1.0, 2.0]])
    assert np.allclose(net(x), np.maximum(x @ W.T + low.layers[0].bias, 0).sum())


def test_sum_pool():
    assert np.array_equal(SumPool(2).forward(np.array([[1, 2, 3, 4, 5, 6]], dtype=object)), [[9, 12]])
    with pytest.raises(ValueError, match="multiple"):
        Network([SumPool(2)], input_dim=5)


def test_torch_round_trip():
    pytest.importorskip("torch")
    import torch

    net = deepsets(3, (1, 3, 1), seed=4)
    t = net.to_torch()
    x = np.random.default_rng(1).normal(size=(6, 3))
    assert np.allclose(t(torch.tensor(x)).detach().numpy(), net(x))


def test_bad_arguments():
    with pytest.raises(ValueError, match="lam must have shape"):
        EquivariantLinear(3, 2, 2, lam=[[1, 2]], gamma=[[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="positive integer"):
        EquivariantLinear(0, 1, 1)
    with pytest.raises(ValueError, match="NaN"):
        EquivariantLinear(2, 1, 1, lam=[[float("nan")]], gamma=[[1.0]])
    with pytest.raises(ValueError, match="receives 5"):
        Network([EquivariantLinear(2, 2, 1)], input_dim=5)
    with pytest.raises(ValueError, match="two channel"):
        deepsets(3, (1,))


def test_compiler_accepts_deepsets():
    import tropnet

    net = deepsets(3, (1, 2, 1), seed=3)
    f = tropnet.tropicalize(net)
    x = np.random.default_rng(2).normal(size=(10, 3))
    assert np.allclose(np.asarray(f(x), dtype=float).reshape(10, -1), net(x))
