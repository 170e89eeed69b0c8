"""Tests of AlgebraLinear / algebranet: lowering equality, counts, the Mn(R) fact, torch, bad input."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tropnet import Algebra, AlgebraLinear, Linear, Network, ReLU, algebranet
from tropnet.algebras import ALGEBRAS, M2R, M3R, M4R, C, D, H, matrix_algebra

ALL = list(ALGEBRAS.values())
NAMES = [a.name for a in ALL]


def hamilton(p, q):
    a1, b1, c1, d1 = p
    a2, b2, c2, d2 = q
    return np.array([
        a1 * a2 - b1 * b2 - c1 * c2 - d1 * d2,
        a1 * b2 + b1 * a2 + c1 * d2 - d1 * c2,
        a1 * c2 - b1 * d2 + c1 * a2 + d1 * b2,
        a1 * d2 + b1 * c2 - c1 * b2 + d1 * a2,
    ])


# ---------------------------------------------------------------- one layer


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_lowered_layout_is_the_left_matrix_block(alg):
    layer = AlgebraLinear(alg, 3, 2, seed=1)
    W = layer.lower().weight
    d = alg.dim
    for k in range(2):
        for c in range(3):
            block = W[k * d:(k + 1) * d, c * d:(c + 1) * d]
            assert np.array_equal(block, alg.left_matrix(layer.weight[k, c]))
    assert np.array_equal(layer.lower().bias, layer.bias.reshape(-1))


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3), c=st.integers(1, 3))
def test_direct_forward_equals_lowered_float(alg, seed, k, c):
    layer = AlgebraLinear(alg, c, k, seed=seed)
    x = np.random.default_rng(seed).normal(size=(5, c * alg.dim))
    assert np.allclose(layer.forward(x), layer.lower().forward(x), atol=1e-12)


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
@settings(max_examples=12)
@given(data=st.data())
def test_direct_forward_equals_lowered_exact(alg, data):
    k, c = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))
    entries = st.integers(-5, 5)
    w = np.array(data.draw(st.lists(entries, min_size=k * c * alg.dim, max_size=k * c * alg.dim)))
    b = np.array(data.draw(st.lists(entries, min_size=k * alg.dim, max_size=k * alg.dim)))
    layer = AlgebraLinear(alg, c, k, weight=w.reshape(k, c, alg.dim), bias=b.reshape(k, alg.dim))
    assert layer.exact
    x = np.array([Fraction(v, 3) for v in data.draw(st.lists(entries, min_size=c * alg.dim,
                                                                max_size=c * alg.dim))], dtype=object)
    lin = layer.lower()
    assert lin.exact
    assert layer.forward(x[None]).tolist() == lin.forward(x[None]).tolist()


def test_complex_layer_against_numpy_complex():
    rng = np.random.default_rng(3)
    layer = AlgebraLinear(C, 4, 3, seed=3)
    Wc = layer.weight[..., 0] + 1j * layer.weight[..., 1]
    bc = layer.bias[:, 0] + 1j * layer.bias[:, 1]
    xc = rng.normal(size=4) + 1j * rng.normal(size=4)
    yc = Wc @ xc + bc
    x_real = np.stack([xc.real, xc.imag], axis=1).reshape(1, -1)
    for y in (layer.forward(x_real), layer.lower().forward(x_real)):
        assert np.allclose(y.reshape(3, 2), np.stack([yc.real, yc.imag], axis=1))


def test_quaternion_layer_against_hand_written_hamilton():
    rng = np.random.default_rng(4)
    layer = AlgebraLinear(H, 2, 2, seed=4)
    x = rng.normal(size=(2, 4))
    ref = np.array([sum(hamilton(layer.weight[k, c], x[c]) for c in range(2)) + layer.bias[k]
                    for k in range(2)])
    assert np.allclose(layer.lower().forward(x.reshape(1, -1)).reshape(2, 4), ref)
    assert np.allclose(layer.forward(x.reshape(1, -1)).reshape(2, 4), ref)


def test_real_input_and_real_output():
    rng = np.random.default_rng(5)
    for alg in (C, H, M2R, D):
        w, b = rng.normal(size=(2, 3, alg.dim)), rng.normal(size=(2, alg.dim))
        plain = AlgebraLinear(alg, 3, 2, weight=w, bias=b)
        both = AlgebraLinear(alg, 3, 2, weight=w, bias=b, real_input=True, real_output=True)
        x = rng.normal(size=(4, 3))
        embedded = (x[:, :, None] * alg.one.astype(float)).reshape(4, -1)  # x_c -> x_c * 1
        want = alg.real_part(plain.forward(embedded).reshape(4, 2, alg.dim))
        assert both.in_features == 3 and both.out_features(3) == 2
        assert np.allclose(both.forward(x), want)
        assert np.allclose(both.lower().forward(x), want)
    # real_input on C: the lowered first layer is the weight tensor itself (an unconstrained real layer)
    layer = AlgebraLinear(C, 2, 3, seed=0, real_input=True)
    assert np.array_equal(layer.lower().weight, layer.weight.transpose(0, 2, 1).reshape(6, 2))


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
@pytest.mark.parametrize("K, Cin", [(1, 1), (3, 2), (2, 5)])
def test_parameter_and_mult_counts(alg, K, Cin):
    layer = AlgebraLinear(alg, Cin, K, seed=0)
    assert layer.num_parameters == Cin * K * alg.dim + K * alg.dim
    assert layer.real_mults == Cin * K * alg.mults_per_product
    assert layer.lower().weight.shape == (K * alg.dim, Cin * alg.dim)
    emb = AlgebraLinear(alg, Cin, K, seed=0, real_input=True)
    assert emb.num_parameters == layer.num_parameters
    assert emb.real_mults == Cin * K * alg.dim  # a real number times an algebra element


def test_readout_mult_counts():
    # tau(w x) for C is w0 x0 - w1 x1: two mults per pair; for M2R tr(WX)/2 needs n^2 = 4
    assert AlgebraLinear(C, 3, 1, seed=0, real_output=True).real_mults == 3 * 2
    assert AlgebraLinear(M2R, 3, 1, seed=0, real_output=True).real_mults == 3 * 4
    assert AlgebraLinear(D, 3, 1, seed=0, real_output=True).real_mults == 3 * 1


@pytest.mark.parametrize("alg, s", [(C, 2), (H, 4), (M2R, 2), (M3R, 3), (M4R, 4)])
def test_he_init_fan_in(alg, s):
    layer = AlgebraLinear(alg, 60, 60, seed=0)
    std = np.sqrt(2.0 / (60 * s))
    assert abs(layer.weight.std() / std - 1) < 0.05
    # variance preservation: E[y^2] ~ 2 E[x^2] for every output component
    x = np.random.default_rng(1).normal(size=(400, 60 * alg.dim))
    y = AlgebraLinear(alg, 60, 60, seed=2, bias=np.zeros((60, alg.dim))).lower().forward(x)
    assert abs((y**2).mean() / 2.0 - 1) < 0.1


# ---------------------------------------------------------------- networks


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_algebranet_forward_equals_lowered(alg):
    net = algebranet(alg, [2, 3, 2, 1], seed=7)
    low = net.lowered()
    assert all(isinstance(layer, (Linear, ReLU)) for layer in low.layers)
    assert [type(layer) for layer in low.layers] == [Linear, ReLU, Linear, ReLU, Linear]
    x = np.random.default_rng(0).normal(size=(50, 2)) * 3
    assert np.allclose(net(x), low(x), atol=1e-12)
    ex = net.to_exact()
    xe = np.array([[Fraction(1, 3), Fraction(-5, 2)]], dtype=object)
    assert ex(xe).tolist() == ex.lowered()(xe).tolist()
    assert ex.lowered().exact


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_algebranet_counts(alg):
    net = algebranet(alg, [2, 4, 3, 1], seed=0)
    d = alg.dim
    assert net.num_parameters == (4 * 2 + 3 * 4 + 1 * 3) * d + (4 + 3 + 1) * d
    assert net.widths == (2, 4 * d, 4 * d, 3 * d, 3 * d, 1)


def test_algebranet_all_components_io():
    net = algebranet(H, [2, 3, 1], seed=0, real_input=False, real_output=False)
    assert (net.input_dim, net.output_dim) == (8, 4)
    assert np.allclose(net(np.ones(8)), net.lowered()(np.ones(8)))


@pytest.mark.parametrize("alg", ALL, ids=NAMES)
def test_tropicalized_map_equals_forward(alg):
    """direct algebra forward pass == lowered real network == tropicalized map."""
    from tropnet import tropicalize
    x = np.random.default_rng(1).normal(size=(20, 2)) * 4
    net = algebranet(alg, [2, 2, 2, 1] if alg.dim <= 4 else [2, 1, 1, 1], seed=3)
    low = net.lowered()
    tmap = tropicalize(low)
    assert np.allclose(np.asarray(tmap.evaluate(x), dtype=float), net(x), rtol=1e-9, atol=1e-9)
    assert tropicalize(net).num_monomials == tmap.num_monomials  # the compiler lowers AlgebraLinear itself
    assert np.allclose(low(x), net(x), rtol=1e-12, atol=1e-12)
    # exact: agreement at rational points, exactly
    ex = algebranet(alg, [2, 1, 1], seed=4).to_exact()
    pts = np.array([[Fraction(1, 3), Fraction(-7, 2)], [Fraction(5), Fraction(2, 9)]], dtype=object)
    assert tropicalize(ex.lowered()).evaluate(pts).tolist() == ex(pts).tolist()


def test_mn_columns_never_mix():
    """An Mn(R) layer is W_big (x) I_n on row-major layout; a stack is n weight-sharing real networks."""
    n, K, Cin = 3, 2, 4
    alg = M3R
    net = algebranet(alg, [Cin, K, K], seed=11, real_input=False, real_output=False)
    layers = [layer for layer in net.layers if isinstance(layer, AlgebraLinear)]
    for layer in layers:
        Wk = layer.weight.reshape(layer.n_out, layer.n_in, n, n)  # W_kc[a, c']
        W_big = Wk.transpose(0, 2, 1, 3).reshape(layer.n_out * n, layer.n_in * n)
        assert np.array_equal(layer.lower().weight, np.kron(W_big, np.eye(n)))
    # stack level: column j of the output is the real ReLU net (W_big, bias column j) on column j
    X = np.random.default_rng(0).normal(size=(Cin, n, n))
    Y = net(X.reshape(-1)).reshape(K, n, n)
    for j in range(n):
        z = X[:, :, j].reshape(-1)  # input column j, features stacked
        for i, layer in enumerate(layers):
            Wk = layer.weight.reshape(layer.n_out, layer.n_in, n, n)
            W_big = Wk.transpose(0, 2, 1, 3).reshape(layer.n_out * n, layer.n_in * n)
            b_col = layer.bias.reshape(layer.n_out, n, n)[:, :, j].reshape(-1)
            z = W_big @ z + b_col
            if i < len(layers) - 1:
                z = np.maximum(z, 0)
        assert np.allclose(Y[:, :, j].reshape(-1), z)
    # and the copies share weights: perturbing column 0 of the input leaves columns 1, 2 unchanged
    X2 = X.copy()
    X2[:, :, 0] += 1.0
    Y2 = net(X2.reshape(-1)).reshape(K, n, n)
    assert np.allclose(Y2[:, :, 1:], Y[:, :, 1:]) and not np.allclose(Y2[:, :, 0], Y[:, :, 0])


def test_layer_in_network_pickle_equality_conversions():
    layer = AlgebraLinear(H, 2, 1, seed=0)
    net = Network([layer])
    assert net.input_dim == 8 and net.output_dim == 4
    assert pickle.loads(pickle.dumps(layer)) == layer
    assert layer.to_exact().exact and layer.to_exact().to_float() == layer
    assert layer != AlgebraLinear(H, 2, 1, seed=1)
    with pytest.raises(AttributeError):
        layer.weight = None
    with pytest.raises(ValueError):
        layer.weight[0, 0, 0] = 1.0
    assert "AlgebraLinear(H" in repr(layer)
    assert layer.lower(8)[0] == layer.lower()


# ---------------------------------------------------------------- bad input


def test_bad_layer_input():
    with pytest.raises(TypeError, match="Algebra"):
        AlgebraLinear("C", 2, 2)
    with pytest.raises(TypeError, match="integer"):
        AlgebraLinear(C, 2.5, 2)
    with pytest.raises(TypeError, match="integer"):
        AlgebraLinear(C, 2, True)
    with pytest.raises(ValueError, match="at least 1"):
        AlgebraLinear(C, 0, 2)
    with pytest.raises(ValueError, match=r"weight must have shape \(2, 3, 2\)"):
        AlgebraLinear(C, 3, 2, weight=np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2, 2\)"):
        AlgebraLinear(C, 3, 2, weight=np.zeros((2, 3, 2)), bias=np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        AlgebraLinear(C, 1, 1, weight=[[[np.nan, 0]]])
    with pytest.raises(ValueError, match="expects 6 real inputs"):
        AlgebraLinear(C, 3, 2, seed=0).lower(4)
    with pytest.raises(ValueError, match="expects 6 real inputs"):
        Network([AlgebraLinear(C, 3, 2, seed=0)], input_dim=5)
    cross = Algebra.from_function("cross", 3, np.cross)
    with pytest.raises(ValueError, match="no unit"):
        AlgebraLinear(cross, 1, 1, real_input=True)
    # a non-associative algebra is fine for a dense layer (only bilinearity is used)
    layer = AlgebraLinear(cross, 2, 1, seed=0)
    x = np.random.default_rng(0).normal(size=(3, 6))
    assert np.allclose(layer.forward(x), layer.lower().forward(x))


def test_bad_algebranet_input():
    with pytest.raises(ValueError, match="at least 1"):
        algebranet(C, [2, 0, 1])
    with pytest.raises(TypeError, match="integer"):
        algebranet(C, [2, 3.5, 1])
    with pytest.raises(ValueError, match="input and an output"):
        algebranet(C, [2])
    with pytest.raises(TypeError, match="Algebra"):
        algebranet(None, [2, 1])
    with pytest.raises(ValueError, match="ragged"):
        C.mul([[1, 0], [1]], [1, 0])
    net = algebranet(C, [2, 3, 1])
    with pytest.raises(ValueError, match="expects 2"):
        net(np.zeros(3))


def test_nonassociative_builtin_like_algebra_through_the_factory():
    M5 = matrix_algebra(5)
    layer = AlgebraLinear(M5, 1, 1, seed=0)
    assert layer.real_mults == 125


# ---------------------------------------------------------------- torch


def test_torch_round_trip_and_training_keeps_the_algebra():
    torch = pytest.importorskip("torch")
    from tropnet.networks.torch_algebra import TorchAlgebraLinear, algebranet_to_torch, to_plain_torch

    net = algebranet(H, [2, 3, 3, 1], seed=0)
    tm = algebranet_to_torch(net)
    assert isinstance(tm[0], TorchAlgebraLinear)
    x = np.random.default_rng(0).normal(size=(16, 2))
    xt = torch.from_numpy(x)
    assert np.allclose(tm(xt).detach().numpy(), net(x))
    # one optimiser step moves only algebra weights: the lowered weight keeps the quaternion structure
    opt = torch.optim.SGD(tm.parameters(), lr=0.1)
    loss = (tm(xt) ** 2).mean()
    loss.backward()
    opt.step()
    back = Network.from_torch(tm)
    assert isinstance(back[0], AlgebraLinear) and back[0].algebra == H
    assert not np.allclose(back(x), net(x))
    assert np.allclose(back(x), tm(xt).detach().numpy())
    hidden = back[2]
    W = hidden.lower().weight
    assert np.allclose(W[0:4, 0:4], H.left_matrix(hidden.weight[0, 0]))
    plain = to_plain_torch(tm)
    assert type(plain[0]) is torch.nn.Linear
    back_plain = Network.from_torch(plain)
    assert all(type(layer) in (Linear, ReLU) for layer in back_plain.layers)
    assert np.allclose(back_plain(x), back(x))
    # AlgebraLinear.to_torch
    m = net[0].to_torch()
    assert np.allclose(m(xt).detach().numpy(), net[0].forward(x))
