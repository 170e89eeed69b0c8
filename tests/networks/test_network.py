"""The Network container: construction, validation, forward pass, lowering."""

import pickle
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import (
    GroupMax,
    Identity,
    LeakyReLU,
    Linear,
    Maxout,
    MaxPool1d,
    Network,
    ReLU,
    Threshold,
    random_mlp,
)


def abs_net():
    return Network([Linear([[1], [-1]], [0, 0]), ReLU(), Linear([[1, 1]], [0])])


def test_known_function_abs_exact_and_float():
    net = abs_net()
    assert net.exact
    assert net([F(-7, 3)]).tolist() == [F(7, 3)]
    out = net(np.array([[-2.0], [3.0]]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[2.0], [3.0]])
    assert (net.input_dim, net.output_dim, net.num_parameters) == (1, 1, 7)


def test_section_c7_network_values():
    # reference notes C.7: W1 = [[2,2],[-1,1]], b1 = [1,3]; W2 = [[1,2],[-3,-1]], b2 = [-1,1]; out [1,1]
    net = Network.from_arrays([[[2, 2], [-1, 1]], [[1, 2], [-3, -1]], [[1, 1]]], [[1, 3], [-1, 1], [0]])
    x = [F(1, 2), F(-1, 3)]
    h1 = [max(0, 2 * x[0] + 2 * x[1] + 1), max(0, -x[0] + x[1] + 3)]
    h2 = [max(0, h1[0] + 2 * h1[1] - 1), max(0, -3 * h1[0] - h1[1] + 1)]
    assert net(x).tolist() == [h2[0] + h2[1]]


def test_batch_and_single_agree():
    net = random_mlp([3, 5, 4, 2], seed=3)
    x = np.random.default_rng(0).normal(size=(6, 3))
    batch = net(x)
    assert batch.shape == (6, 2)
    for i in range(6):
        np.testing.assert_allclose(net(x[i]), batch[i], rtol=1e-13, atol=1e-14)


def test_exact_forward_matches_float_forward():
    net = random_mlp([2, 6, 6, 1], seed=5)
    exact = net.to_exact()
    assert exact.exact and not net.exact
    x = np.random.default_rng(1).normal(size=(20, 2))
    xe = [[F(v) for v in row] for row in x]
    out = exact(xe)
    assert out.dtype == object and all(isinstance(v, F) for v in out.ravel())
    np.testing.assert_allclose(out.astype(float), net(x), rtol=1e-12, atol=1e-12)


def test_random_mlp_reproducible_and_he_normal():
    net = random_mlp([2, 16, 16, 1], seed=0)
    rng = np.random.default_rng(0)
    w0 = rng.normal(0.0, 1.0, size=(16, 2))
    b0 = rng.normal(0.0, 1.0, size=16)
    np.testing.assert_array_equal(net.layers[0].weight, w0)
    np.testing.assert_array_equal(net.layers[0].bias, b0)
    w1 = rng.normal(0.0, np.sqrt(2 / 16), size=(16, 16))
    np.testing.assert_array_equal(net.layers[2].weight, w1)
    assert net == random_mlp([2, 16, 16, 1], seed=0)
    assert net != random_mlp([2, 16, 16, 1], seed=1)
    assert [type(layer) for layer in net.layers] == [Linear, ReLU, Linear, ReLU, Linear]


def test_widths_and_lowering():
    net = Network([Linear(np.ones((6, 2))), Maxout(2), Identity(), MaxPool1d(2, 1), LeakyReLU(0.5)])
    assert net.widths == (2, 6, 3, 3, 2, 2)
    low = net.lowered()
    assert [type(layer) for layer in low.layers] == [Linear, GroupMax, GroupMax, LeakyReLU]
    x = np.random.default_rng(2).normal(size=(10, 2))
    np.testing.assert_array_equal(low(x), net(x))
    assert net.lowered() is low  # cached


def test_lowering_of_identity_only_network():
    net = Network([Identity()], input_dim=3)
    low = net.lowered()
    x = np.array([[1.0, -2.0, 3.0]])
    np.testing.assert_array_equal(low(x), x)
    assert isinstance(low.layers[0], Linear)


def test_activation_first_needs_input_dim():
    with pytest.raises(ValueError, match="layer 0.*input_dim"):
        Network([ReLU(), Linear([[1.0]])])
    net = Network([ReLU(), Linear([[1.0, 1.0]])], input_dim=2)
    assert net([-1.0, 2.0]).tolist() == [2.0]


def test_pickle_and_equality():
    net = Network([Linear([[1, 2]], [F(1, 3)]), Threshold(F(1, 2)), Linear([[2]], [0])])
    back = pickle.loads(pickle.dumps(net))
    assert back == net and hash(back) == hash(net)
    assert back([1, 1]).tolist() == net([1, 1]).tolist()


def test_immutable():
    net = abs_net()
    with pytest.raises(AttributeError):
        net.foo = 1


@given(seed=st.integers(0, 10**6), widths=st.lists(st.integers(1, 5), min_size=2, max_size=4))
def test_from_arrays_equals_manual_forward(seed, widths):
    net = random_mlp(widths, seed=seed)
    ws = [layer.weight for layer in net.layers if isinstance(layer, Linear)]
    bs = [layer.bias for layer in net.layers if isinstance(layer, Linear)]
    x = np.random.default_rng(seed).normal(size=(4, widths[0]))
    z = x
    for i, (w, b) in enumerate(zip(ws, bs)):
        z = z @ w.T + b
        if i < len(ws) - 1:
            z = np.maximum(z, 0)
    np.testing.assert_allclose(net(x), z, rtol=1e-12, atol=1e-12)
    assert Network.from_arrays(ws, bs) == net


# ------------------------------------------------------------------ bad input names the layer
def test_empty_network():
    with pytest.raises(ValueError, match="at least one layer"):
        Network([])
    with pytest.raises(ValueError, match="at least one weight"):
        Network.from_arrays([])


def test_shape_mismatch_names_layer_index():
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\).*expects 3 inputs"):
        Network([Linear(np.ones((2, 2))), ReLU(), Linear(np.ones((1, 3)))])
    with pytest.raises(ValueError, match=r"layer 1 \(Maxout\)"):
        Network([Linear(np.ones((3, 2))), Maxout(2)])


def test_non_layer_names_index():
    with pytest.raises(TypeError, match="layer 1 is str"):
        Network([Linear([[1.0]]), "relu"])


def test_from_arrays_errors_name_layer():
    with pytest.raises(ValueError, match="layer 1: .*NaN"):
        Network.from_arrays([np.ones((2, 2)), [[1.0, np.nan]]], [np.zeros(2), [0.0]])
    with pytest.raises(ValueError, match="layer 1: .*infinite"):
        Network.from_arrays([np.ones((2, 2)), [[1.0, 1.0]]], [np.zeros(2), [np.inf]])
    with pytest.raises(ValueError, match="layer 2 \\(Linear\\)"):
        Network.from_arrays([np.ones((2, 2)), np.ones((1, 3))])
    with pytest.raises(ValueError, match="bias vectors"):
        Network.from_arrays([np.ones((2, 2))], [])


def test_random_mlp_bad_widths():
    with pytest.raises(ValueError, match="at least"):
        random_mlp([2])
    with pytest.raises(ValueError, match="positive"):
        random_mlp([2, 0, 1])
    with pytest.raises(TypeError, match="integers"):
        random_mlp([2, 2.5, 1])


def test_bad_points():
    net = abs_net()
    with pytest.raises(ValueError, match="features"):
        net([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        net([np.nan])


def test_torch_missing_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    monkeypatch.delitem(sys.modules, "tropnet.networks.torch_bridge", raising=False)
    with pytest.raises(ImportError, match=r"pip install tropnet\[torch\]"):
        Network.from_torch(object())
    with pytest.raises(ImportError, match=r"pip install tropnet\[torch\]"):
        abs_net().to_torch()


# ----------------------------------------------------------------------------- issue 18: bad input
@pytest.mark.parametrize("bad, err", [(-1, ValueError), (0, ValueError), (2.5, TypeError), ("2", TypeError),
                                      (True, TypeError)])
def test_input_dim_is_validated(bad, err):
    from tropnet import ReLU

    with pytest.raises(err, match="input_dim must be a positive integer"):
        Network([ReLU()], input_dim=bad)


def test_complex_weights_are_refused():
    with pytest.raises(TypeError, match="complex"):
        Network.from_arrays([np.ones((2, 2), dtype=complex), np.ones((1, 2))])
    with pytest.raises(TypeError, match="complex"):
        Network.from_arrays([[[1 + 2j, 0]], [[1]]])


def test_huge_integer_weights_are_exact_or_a_clear_error():
    import tropnet

    big = 10**400
    net = Network.from_arrays([[[big, 1], [1, -big]], [[1, 1]]])
    assert net.exact
    with pytest.raises(ValueError, match="beyond the float64 range"):
        tropnet.count_linear_regions(net)
    # exact on a box: the two kinks are lines through 0 at slopes -1e-400 and 1e-400: 4 regions
    assert tropnet.count_linear_regions(net, tropnet.Box(-1, 1), exact=True) == 4
    # the exact forward pass is unaffected
    from fractions import Fraction

    assert net([Fraction(1), Fraction(0)]).tolist() == [Fraction(big + 1)]
