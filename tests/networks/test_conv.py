"""Convolution and 2D pooling layers against torch's forward pass, and their lowering."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import AvgPool2d, Conv1d, Conv2d, Flatten, GroupMax, Linear, MaxPool2d, Network, ReLU
from tropnet.networks.conv import window_index

torch = pytest.importorskip("torch")


def _check(module, layer, shape, seed=0):
    """forward and lowered forward of ``layer`` against ``module`` on random inputs."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, *shape, generator=g, dtype=torch.float64)
    want = module(x).detach().numpy().reshape(4, -1)
    flat = x.numpy().reshape(4, -1)
    assert layer.out_features(flat.shape[1]) == want.shape[1]
    np.testing.assert_allclose(layer.forward(flat), want, rtol=1e-12, atol=1e-12)
    lowered = flat
    for p in layer.lower(flat.shape[1]):
        assert isinstance(p, (Linear, GroupMax))
        lowered = p.forward(lowered)
    np.testing.assert_allclose(lowered, want, rtol=1e-12, atol=1e-12)


@given(
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    groups=st.sampled_from([1, 2]),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 1000),
)
def test_conv2d_matches_torch(stride, padding, dilation, groups, kernel, seed):
    torch.manual_seed(seed)
    m = torch.nn.Conv2d(4, 6, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups)
    m = m.double()
    layer = Conv2d(
        m.weight.detach().numpy(),
        m.bias.detach().numpy(),
        input_shape=(4, 6, 5),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    _check(m, layer, (4, 6, 5), seed)


@given(
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    groups=st.sampled_from([1, 3]),
    kernel=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_conv1d_matches_torch(stride, padding, dilation, groups, kernel, seed):
    torch.manual_seed(seed)
    m = torch.nn.Conv1d(
        3, 6, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups
    ).double()
    layer = Conv1d(
        m.weight.detach().numpy(),
        m.bias.detach().numpy(),
        input_shape=(3, 7),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    _check(m, layer, (3, 7), seed)


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
def test_conv_same_padding_and_asymmetric_per_axis():
    torch.manual_seed(0)
    m = torch.nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2)).double()
    layer = Conv2d(
        m.weight.detach().numpy(),
        m.bias.detach().numpy(),
        input_shape=(2, 5, 6),
        padding="same",
        dilation=(1, 2),
    )
    _check(m, layer, (2, 5, 6))
    m = torch.nn.Conv2d(2, 3, 3, padding=(2, 0), stride=(1, 2)).double()
    layer = Conv2d(
        m.weight.detach().numpy(),
        m.bias.detach().numpy(),
        input_shape=(2, 5, 6),
        padding=(2, 0),
        stride=(1, 2),
    )
    _check(m, layer, (2, 5, 6))


@given(
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.integers(1, 3),
    pad=st.integers(0, 1),
    dilation=st.integers(1, 2),
    seed=st.integers(0, 1000),
)
def test_maxpool2d_matches_torch(kernel, stride, pad, dilation, seed):
    pad = min(pad, min(kernel) // 2)
    m = torch.nn.MaxPool2d(kernel, stride, pad, dilation)
    _check(m, MaxPool2d(kernel, stride, pad, dilation, input_shape=(3, 7, 6)), (3, 7, 6), seed)


@given(
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.integers(1, 3),
    pad=st.integers(0, 1),
    include=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_avgpool2d_matches_torch(kernel, stride, pad, include, seed):
    pad = min(pad, min(kernel) // 2)
    m = torch.nn.AvgPool2d(kernel, stride, pad, count_include_pad=include)
    _check(m, AvgPool2d(kernel, stride, pad, include, input_shape=(3, 7, 6)), (3, 7, 6), seed)


def test_maxpool_padding_never_wins():
    # all inputs very negative: a zero-padded max would return 0, torch returns the real max
    layer = MaxPool2d(3, stride=1, padding=1, input_shape=(1, 2, 2))
    x = -np.array([[5.0, 6.0, 7.0, 8.0]])
    assert layer.forward(x).tolist() == [[-5.0, -5.0, -5.0, -5.0]]
    (gm,) = layer.lower(4)
    assert gm.groups.shape == (4, 9) and gm.groups.min() >= 0


def test_window_index_known_answer():
    out, idx = window_index((2, 3), (2, 2), (1, 1), ((0, 0), (1, 0)), (1, 1))
    assert out == (1, 3)
    assert idx.tolist() == [[-1, 0, -1, 3], [0, 1, 3, 4], [1, 2, 4, 5]]


def test_exact_conv_network():
    rng = np.random.default_rng(0)
    w = rng.integers(-3, 4, size=(2, 1, 2, 2))
    net = Network(
        [
            Conv2d(w, [1, Fraction(1, 2)], input_shape=(1, 3, 3), padding=1),
            ReLU(),
            AvgPool2d(2, input_shape=(2, 4, 4)),
            MaxPool2d(2, input_shape=(2, 2, 2)),
            Flatten((2, 1, 1)),
            Linear([[1, -1]]),
        ]
    )
    assert net.exact
    x = np.array([[Fraction(i, 3) - 1 for i in range(9)]], dtype=object)
    y = net(x)
    assert isinstance(y[0, 0], Fraction)
    assert (net.lowered()(x) == y).all()
    xf = x.astype(float)
    assert np.allclose(net.to_float()(xf), float(y[0, 0]))


def test_network_matches_torch_sequential():
    torch.manual_seed(1)
    seq = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 4, 2, groups=2),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2, stride=1),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 1 * 2, 3),
    ).double()
    c1, c2, lin = seq[0], seq[3], seq[7]
    net = Network(
        [
            Conv2d(c1.weight.detach().numpy(), c1.bias.detach().numpy(), input_shape=(2, 6, 8), padding=1),
            ReLU(),
            MaxPool2d(2, input_shape=(4, 6, 8)),
            Conv2d(c2.weight.detach().numpy(), c2.bias.detach().numpy(), input_shape=(4, 3, 4), groups=2),
            ReLU(),
            AvgPool2d(2, stride=1, input_shape=(4, 2, 3)),
            Flatten(),
            Linear(lin.weight.detach().numpy(), lin.bias.detach().numpy()),
        ]
    )
    x = torch.randn(5, 2, 6, 8, dtype=torch.float64)
    want = seq(x).detach().numpy()
    np.testing.assert_allclose(net(x.numpy().reshape(5, -1)), want, atol=1e-12)
    np.testing.assert_allclose(net.lowered()(x.numpy().reshape(5, -1)), want, atol=1e-12)


def test_bad_input():
    w = np.ones((2, 1, 2, 2))
    with pytest.raises(ValueError, match="input_shape"):
        Conv2d(w)
    with pytest.raises(ValueError, match="3 channels"):
        Conv2d(w, input_shape=(3, 4, 4))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(np.ones((3, 1, 2, 2)), input_shape=(2, 4, 4), groups=2)
    with pytest.raises(ValueError, match="shape"):
        Conv2d(np.ones((2, 2)), input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="larger than the padded input"):
        Conv2d(np.ones((1, 1, 5, 5)), input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="NaN"):
        Conv2d(np.full((1, 1, 2, 2), np.nan), input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="stride"):
        Conv1d(np.ones((1, 1, 2)), input_shape=(1, 4), stride=0)
    with pytest.raises(ValueError, match="same"):
        Conv1d(np.ones((1, 1, 2)), input_shape=(1, 4), stride=2, padding="same")
    with pytest.raises(ValueError, match="half the kernel"):
        MaxPool2d(2, padding=2, input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="receives 15"):
        Network([Conv2d(w, input_shape=(1, 4, 4))], input_dim=15)
    with pytest.raises(ValueError, match="bias"):
        Conv2d(w, [1, 2, 3], input_shape=(1, 4, 4))


# ------------------------------------------------------------------ torch bridge
def _cnn():
    torch.manual_seed(3)
    seq = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.Conv2d(4, 6, 2, stride=2, groups=2),
        torch.nn.LeakyReLU(0.1),
        torch.nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 3 * 3, 2),
    ).double()
    for bn in (seq[1], seq[4]):  # non-trivial running statistics
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-1, 1)
    return seq.eval()


def test_from_torch_cnn_with_batchnorm2d():
    from tropnet import Network

    seq = _cnn()
    net = Network.from_torch(seq, input_shape=(2, 6, 6))
    # the first BatchNorm2d folds into the convolution; the second stays a depthwise 1x1 conv
    assert [type(layer).__name__ for layer in net.layers][:5] == [
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "Conv2d",
    ]
    assert net.layers[3].groups == 4 and net.layers[3].kernel_size == (1, 1)
    x = torch.randn(7, 2, 6, 6, dtype=torch.float64)
    want = seq(x).detach().numpy()
    np.testing.assert_allclose(net(x.numpy().reshape(7, -1)), want, atol=1e-12)
    np.testing.assert_allclose(net.lowered()(x.numpy().reshape(7, -1)), want, atol=1e-12)


def test_to_torch_gives_convolutions_back():
    from tropnet import Network

    net = Network.from_torch(_cnn(), input_shape=(2, 6, 6))
    back = net.to_torch()
    kinds = {type(m).__name__ for m in back.modules()}
    assert {"Conv2d", "MaxPool2d", "AvgPool2d"} <= kinds
    assert "Linear" in kinds and sum(isinstance(m, torch.nn.Linear) for m in back.modules()) == 1
    x = torch.randn(5, 2 * 6 * 6, dtype=torch.float64)
    np.testing.assert_allclose(back(x).detach().numpy(), net(x.numpy()), atol=1e-12)
    again = Network.from_torch(back, input_shape=(2 * 6 * 6,))
    assert again == net


def test_to_torch_asymmetric_padding_and_conv1d():
    from tropnet import Network

    rng = np.random.default_rng(0)
    net = Network(
        [
            Conv1d(rng.normal(size=(2, 1, 2)), input_shape=(1, 5), padding="same"),
            ReLU(),
            Conv1d(rng.normal(size=(1, 2, 3)), input_shape=(2, 5), padding=((2, 0),)),
        ]
    )
    x = rng.normal(size=(3, 5))
    np.testing.assert_allclose(net.to_torch()(torch.from_numpy(x)).detach().numpy(), net(x), atol=1e-12)


def test_from_torch_conv_errors():
    from tropnet import Network

    seq = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2), torch.nn.ReLU())
    with pytest.raises(ValueError, match="input_shape"):
        Network.from_torch(seq)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        Network.from_torch(seq, input_shape=(16,))
    with pytest.raises(ValueError, match="padding_mode"):
        Network.from_torch(
            torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular")),
            input_shape=(1, 4, 4),
        )
    with pytest.raises(ValueError, match="ceil_mode"):
        Network.from_torch(torch.nn.Sequential(torch.nn.MaxPool2d(2, ceil_mode=True)), input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="training mode"):
        Network.from_torch(
            torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2), torch.nn.BatchNorm2d(2)), input_shape=(1, 4, 4)
        )


def test_conv_network_through_compiler_and_enumerator():
    from tropnet import Box, count_linear_regions, estimate_linear_regions
    from tropnet.compiler import tropicalize

    rng = np.random.default_rng(4)
    net = Network(
        [
            Conv1d(rng.normal(size=(3, 1, 2)), rng.normal(size=3), input_shape=(1, 2), padding=1),
            ReLU(),
            MaxPool2d((1, 2), stride=1, input_shape=(3, 1, 3)),
            Flatten(),
            Linear(rng.normal(size=(1, 6)), rng.normal(size=1)),
        ]
    )
    x = rng.normal(size=(30, 2)) * 3
    np.testing.assert_allclose(tropicalize(net).evaluate(x).reshape(-1), net(x).reshape(-1), atol=1e-9)
    count = count_linear_regions(net, Box(-3, 3), kind="activation")
    # the sampling estimate (distinct activation patterns of sampled points) is a lower bound
    assert 1 < estimate_linear_regions(net, Box(-3, 3), 20_000) <= count
