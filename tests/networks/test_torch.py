"""The PyTorch bridge: from_torch / to_torch, BatchNorm folding, refusals."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from tropnet import GroupMax, LeakyReLU, Linear, Maxout, MaxPool1d, Network, ReLU, Threshold  # noqa: E402
from tropnet.networks.torch_bridge import TorchGroupMax  # noqa: E402


def torch_out(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def trained_module(seed=0):
    """A small module after a few Adam steps, so BatchNorm statistics and weights are not at init."""
    torch.manual_seed(seed)
    m = nn.Sequential(
        nn.Linear(3, 8),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Sequential(nn.Linear(8, 6), nn.LeakyReLU(0.1)),
        nn.MaxPool1d(2),
        nn.Identity(),
        nn.BatchNorm1d(3),
        nn.Linear(3, 2),
    )
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    x = torch.randn(64, 3)
    y = torch.stack([x[:, 0] * x[:, 1], x[:, 2].abs()], dim=1)
    for _ in range(15):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return m.eval()


def test_round_trip_trained_module():
    m = trained_module()
    net = Network.from_torch(m)
    # both batch norms are folded: Linear, ReLU, Linear, LeakyReLU, MaxPool1d, Linear
    assert [type(layer) for layer in net.layers] == [Linear, ReLU, Linear, LeakyReLU, MaxPool1d, Linear]
    x = np.random.default_rng(0).normal(size=(50, 3))
    m64 = m.double()
    np.testing.assert_allclose(net(x), torch_out(m64, x), rtol=1e-10, atol=1e-12)
    back = net.to_torch()
    assert next(back.parameters()).dtype == torch.float64
    np.testing.assert_allclose(torch_out(back, x), net(x), rtol=1e-12, atol=1e-13)
    assert Network.from_torch(back) == net


def test_batchnorm_folding_matches_torch_eval_float32():
    torch.manual_seed(1)
    bn = nn.BatchNorm1d(4)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(4))
        bn.running_var.copy_(torch.rand(4) + 0.5)
        bn.weight.copy_(torch.randn(4))
        bn.bias.copy_(torch.randn(4))
    cases = [
        (nn.Sequential(nn.Linear(2, 4), bn, nn.ReLU(), nn.Linear(4, 1)), [Linear, ReLU, Linear]),  # previous
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), bn, nn.Linear(4, 1)), [Linear, ReLU, Linear]),  # next
        (nn.Sequential(bn, nn.ReLU()), [Linear, ReLU]),  # nothing to fold into: a diagonal Linear
    ]
    for m, types in cases:
        m.eval()
        net = Network.from_torch(m)
        assert [type(layer) for layer in net.layers] == types
        x = np.random.default_rng(3).normal(size=(30, net.input_dim)).astype(np.float32)
        np.testing.assert_allclose(net(x.astype(np.float64)), torch_out(m, x), rtol=1e-5, atol=1e-5)


def test_batchnorm_without_affine():
    bn = nn.BatchNorm1d(3, affine=False)
    with torch.no_grad():
        bn.running_var.fill_(4.0)
        bn.running_mean.fill_(1.0)
    m = nn.Sequential(nn.Linear(2, 3), bn).eval()
    net = Network.from_torch(m)
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_allclose(net(x), torch_out(m.double(), x), rtol=1e-12, atol=1e-12)


def test_maxpool_options_match_torch():
    x = np.random.default_rng(4).normal(size=(7, 9))
    for kw in (dict(kernel_size=3), dict(kernel_size=2, stride=1), dict(kernel_size=3, padding=1),
               dict(kernel_size=2, dilation=2), dict(kernel_size=2, stride=2, ceil_mode=True),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        m = nn.Sequential(nn.Linear(9, 9).double(), nn.MaxPool1d(**kw))
        net = Network.from_torch(m)
        np.testing.assert_allclose(net(x), torch_out(m, x), rtol=1e-12, atol=1e-12, err_msg=str(kw))


def test_to_torch_covers_every_layer_type():
    net = Network([
        Linear(np.random.default_rng(0).normal(size=(8, 2))), Threshold(0.25), Maxout(2), LeakyReLU(0.3),
        GroupMax([[0, 1], [1, 3], [2, 0]], 4), MaxPool1d(2, 1), ReLU(), Linear([[1.0, -1.0]]),
    ])
    mod = net.to_torch()
    assert any(isinstance(layer, TorchGroupMax) for layer in mod)
    x = np.random.default_rng(5).normal(size=(20, 2))
    np.testing.assert_allclose(torch_out(mod, x), net(x), rtol=1e-12, atol=1e-13)
    back = Network.from_torch(mod)
    np.testing.assert_allclose(back(x), net(x), rtol=1e-12, atol=1e-13)


def test_exact_network_to_torch():
    from fractions import Fraction as F

    net = Network.from_arrays([[[1, F(1, 3)]], [[F(-1, 2)]]], [[0], [1]])
    x = np.array([[0.5, -0.25]])
    np.testing.assert_allclose(torch_out(net.to_torch(), x), net(x))


def test_piecewise_linear_extras():
    x = np.random.default_rng(6).normal(scale=3, size=(40, 3))
    m = nn.Sequential(nn.Linear(3, 4), nn.Hardtanh(-1.0, 2.0), nn.Linear(4, 4), nn.ReLU6(),
                      nn.Linear(4, 4), nn.Softshrink(0.5), nn.PReLU(), nn.Threshold(0.1, 0.1),
                      nn.Linear(4, 1)).double().eval()
    net = Network.from_torch(m)
    np.testing.assert_allclose(net(x), torch_out(m, x), rtol=1e-12, atol=1e-12)


def test_flatten_and_input_shape():
    m = nn.Sequential(nn.Flatten(), nn.Linear(6, 2)).double()
    net = Network.from_torch(m, input_shape=(2, 3))
    x = np.random.default_rng(7).normal(size=(4, 2, 3))
    np.testing.assert_allclose(net(x.reshape(4, 6)), torch_out(m, x))
    with pytest.raises(ValueError, match="input_shape"):
        Network.from_torch(nn.Sequential(nn.Flatten(), nn.Linear(6, 2)))
    net = Network.from_torch(nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    assert net.input_dim == 3


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("act", [nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.Softplus(), nn.SiLU(), nn.ELU()])
def test_non_piecewise_linear_activation_named(act):
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), act), nn.Linear(3, 1))
    name = type(act).__name__
    with pytest.raises(TypeError, match=rf"layer 1\.1 \({name}\) has no tropical form.*piecewise linear"):
        Network.from_torch(m)


def test_batchnorm_training_mode_refused():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match=r"layer 1 \(BatchNorm1d\).*training mode.*eval\(\)"):
        Network.from_torch(m)
    bn = nn.BatchNorm1d(3, track_running_stats=False).eval()
    with pytest.raises(ValueError, match="track_running_stats"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 3), bn))


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x) + self.b(x)


def test_modules_with_their_own_forward_are_traced_not_refused():
    # issue 16: a module with branches is converted by tracing its forward (was refused)
    torch.manual_seed(0)
    for m in (Branchy(), nn.Sequential(nn.Linear(2, 2), Branchy())):
        m = m.double()
        net = Network.from_torch(m)
        x = torch.randn(6, 2, dtype=torch.float64)
        assert np.allclose(net(x.numpy()), m(x).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="ModuleList"):
        Network.from_torch(nn.ModuleList([nn.Linear(2, 2)]))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        Network.from_torch([nn.Linear(2, 2)])


def test_bad_settings_refused():
    with pytest.raises(ValueError, match="negative_slope"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(1.5)))
    with pytest.raises(ValueError, match="jumps"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Threshold(0.0, 1.0)))
    with pytest.raises(ValueError, match="one per channel"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.PReLU(2)))
    with pytest.raises(ValueError, match="Flatten"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Flatten(0)))
    with pytest.raises(TypeError, match=r"layer 1 \(Conv3d\) is not supported"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Conv3d(1, 1, 1)))
    with pytest.raises(ValueError, match="empty"):
        Network.from_torch(nn.Sequential())
    with pytest.raises(ValueError, match=r"layer 1 \(Linear\).*expects 3 inputs"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1)))
