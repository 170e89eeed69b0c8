"""from_torch through torch.fx: graphs, refusals, final='drop' and the forward check."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from tropnet import Graph, Network, tropicalize  # noqa: E402
from tropnet.networks import torch_bridge as TB  # noqa: E402


class SkipSequential(nn.Sequential):
    """A Sequential subclass whose forward adds a skip connection (converted wrongly before issue 16)."""

    def forward(self, x):
        return x + super().forward(x)


class Block(nn.Module):
    def __init__(self, n=3, h=5):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(n, h), nn.Linear(h, n)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(x)))


class CatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(3, 4), nn.Linear(3, 2), nn.Linear(6, 2)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        y = torch.cat([self.act(self.a(x)), torch.clamp(self.b(x), min=-0.5, max=0.5)], dim=1)
        return self.out(y) * 0.5 - 1.0


class ResCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.proj = nn.Conv2d(1, 4, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        y = F.relu(self.bn(self.conv1(x)))
        y = self.conv2(y) + self.proj(x)
        y = F.avg_pool2d(F.relu(y), 1)
        y = self.pool(y)
        return self.fc(y.view(y.size(0), -1))


def _agree(m, shape, net=None):
    m = m.double().eval()
    net = net or Network.from_torch(m, input_shape=shape)
    x = torch.randn(9, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    want = m(x).detach().reshape(9, -1).numpy()
    assert np.allclose(net(x.reshape(9, -1).numpy()), want, rtol=1e-10, atol=1e-10)
    return net


def test_sequential_subclass_with_a_skip_is_converted_faithfully():
    torch.manual_seed(0)
    m = SkipSequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    net = _agree(m, (2,))
    assert isinstance(net.layers[0], Graph)
    # the skip path carries no activation: the only activation acts on the 4 hidden units
    acts = [p for p in net.lowered(passthrough=True).layers if type(p).__name__ != "Linear"]
    assert len(acts) == 1 and acts[0].units.tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize("make, shape", [(Block, (3,)), (CatNet, (3,)), (ResCNN, (1, 6, 6))])
def test_forward_equality_on_residual_concat_and_conv_graphs(make, shape):
    torch.manual_seed(0)
    m = make()
    if isinstance(m, ResCNN):
        with torch.no_grad():
            m.bn.running_mean.uniform_(-1, 1)
            m.bn.running_var.uniform_(0.5, 2)
    _agree(m.eval(), shape)


def test_tropical_form_of_a_traced_residual_block_is_exact():
    torch.manual_seed(0)
    net = Network.from_torch(Block(2, 3).double()).to_exact()
    from fractions import Fraction

    x = [Fraction(1, 3), Fraction(-2, 7)]
    assert tropicalize(net)(x).tolist() == net(x).tolist()


def test_hooks_are_refused_naming_the_module():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    h = m[1][1].register_forward_hook(lambda mod, i, o: o * 2)
    with pytest.raises(TypeError, match=r"1\.1 \(Linear\) has a forward hook"):
        Network.from_torch(m)
    h.remove()
    h = m[0].register_forward_pre_hook(lambda mod, i: None)
    with pytest.raises(TypeError, match=r"0 \(Linear\) has a forward pre-hook"):
        Network.from_torch(m)
    h.remove()
    Network.from_torch(m)


class Dynamic(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Curved(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return torch.tanh(self.fc(x))


class Product(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * x


class WithGelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 2), nn.GELU())

    def forward(self, x):
        return self.body(x) + x


def test_dynamic_control_flow_and_non_pl_ops_are_refused_with_the_node():
    with pytest.raises(TypeError, match="control flow"):
        Network.from_torch(Dynamic())
    with pytest.raises(TypeError, match=r"node tanh .*no tropical form"):
        Network.from_torch(Curved())
    with pytest.raises(TypeError, match="multiplies by a tensor that depends on the input"):
        Network.from_torch(Product())
    with pytest.raises(TypeError, match=r"body\.1 \(GELU\) has no tropical form"):
        Network.from_torch(WithGelu())


def test_final_softmax_is_dropped_on_request_and_said_in_the_repr():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Softmax(dim=1))
    with pytest.raises(TypeError, match="final='drop'"):
        Network.from_torch(m)
    net = Network.from_torch(m, final="drop")
    assert "Softmax dropped" in repr(net) and net.final.startswith("Softmax dropped")
    x = torch.randn(5, 2)
    assert np.allclose(net(x.numpy()), m[:3](x).detach().numpy(), atol=1e-6)

    class Clf(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = Block(2, 3)

        def forward(self, x):
            return F.log_softmax(self.b(x), dim=1)

    clf = Clf()
    net = Network.from_torch(clf, final="drop")
    assert net.final.startswith("LogSoftmax dropped")
    assert Network.from_torch(clf, final="drop") == net


def test_a_wrong_conversion_is_refused_by_the_forward_check(monkeypatch):
    from tropnet import LeakyReLU
    from tropnet.networks import torch_fx

    monkeypatch.setitem(TB.FROM_TORCH, "ReLU", TB._elementwise(LeakyReLU(0.5)))
    wrong = lambda b, node, x, inplace=False: b.chain(node.name, [LeakyReLU(0.5)], x, x.shape)  # noqa: E731
    monkeypatch.setitem(torch_fx.FX_FUNCTIONS, F.relu, wrong)
    with pytest.raises(ValueError, match="disagrees with the torch module"):
        Network.from_torch(Block(2, 3))
    with pytest.raises(ValueError, match="disagrees with the torch module"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))


def test_shape_mismatch_in_a_traced_graph_is_refused():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(2, 4)

        def forward(self, x):
            return self.a(x) + self.b(x)

    with pytest.raises(TypeError, match=r"node add .*shapes \(3,\) and \(4,\)"):
        Network.from_torch(Bad())


class _Reindex(nn.Module):
    """Slices, permute/transpose and (un)squeeze: affine re-indexings of each sample."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(2, 3, 3, padding=1), nn.Linear(3 * 4 * 2, 2)

    def forward(self, x):
        y = F.relu(self.conv(x)).permute(0, 2, 3, 1)            # (N, 4, 4, 3)
        y = y[:, 1::2, :, :].transpose(1, 2)[..., 0:3:2]         # (N, 4, 2, 2)
        y = y.unsqueeze(1).squeeze(1).reshape(y.shape[0], -1)
        return self.fc(torch.cat([y, y[:, :8]], dim=1)[:, :24])


def test_reindexing_ops_are_converted_exactly():
    torch.manual_seed(0)
    m = _Reindex().double().eval()
    net = Network.from_torch(m, input_shape=(2, 4, 4))  # from_torch checks the forward pass itself
    x = np.random.default_rng(0).normal(size=(6, 32))
    with torch.no_grad():
        want = m(torch.from_numpy(x).reshape(6, 2, 4, 4)).numpy()
    assert np.allclose(net(x), want, rtol=1e-12, atol=1e-12)


def test_advanced_indexing_and_batch_reindexing_are_refused():
    class Fancy(nn.Module):
        def forward(self, x):
            return x[:, [0, 2]]

    class Batch(nn.Module):
        def forward(self, x):
            return x.transpose(0, 1)

    with pytest.raises(TypeError, match="getitem.*only constant ints and slices"):
        Network.from_torch(Fancy(), input_shape=(3,))
    with pytest.raises(TypeError, match="batch axis"):
        Network.from_torch(Batch(), input_shape=(3,))
