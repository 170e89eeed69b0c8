"""Graph networks: Residual, Graph (Add/Concat), the pass-through lowering and the compiler."""

from __future__ import annotations

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import (
    Add,
    Concat,
    Graph,
    LeakyReLU,
    Linear,
    Maxout,
    MaxPool1d,
    Network,
    ReLU,
    Residual,
    Threshold,
    tropicalize,
)


def _ints(rng, shape):
    return rng.integers(-3, 4, size=shape).astype(object)


def _random_graph(seed: int, n: int = 2) -> Network:
    """A small exact graph network: residual, concatenation, max-pool, leaky and per-unit threshold."""
    rng = np.random.default_rng(seed)
    h = 4
    block = Residual([Linear(_ints(rng, (h, n)), _ints(rng, h)), ReLU(), Linear(_ints(rng, (n, h)), _ints(rng, n))])
    g = Graph(
        [
            ("a", Linear(_ints(rng, (4, n)), _ints(rng, 4)), "input"),
            ("b", LeakyReLU([Fraction(1, 2), 0, Fraction(1, 4), 0]), "a"),
            ("c", MaxPool1d(2), "b"),
            ("d", Linear(_ints(rng, (3, n)), _ints(rng, 3)), "input"),
            ("e", Threshold([1, -1, 0]), "d"),
            ("cat", Concat(), ("c", "e")),
            ("lin", Linear(_ints(rng, (2, 5)), _ints(rng, 2)), "cat"),
            ("out", Add((1, -2)), ("lin", "input")),
        ]
    )
    return Network([block, ReLU(), g, Linear(_ints(rng, (1, n)), _ints(rng, 1))])


def _reference(net: Network, x: np.ndarray) -> np.ndarray:
    """An independent float forward pass written out by hand for _random_graph."""
    block, _, g, last = net.layers
    f = block.layers
    z = x + (np.maximum(x @ f[0].float_weight.T + f[0].float_bias, 0) @ f[2].float_weight.T + f[2].float_bias)
    z = np.maximum(z, 0)
    a = z @ g.nodes[0][1].float_weight.T + g.nodes[0][1].float_bias
    b = np.maximum(a, a * np.array([0.5, 0, 0.25, 0]))
    c = np.maximum(b[:, 0::2], b[:, 1::2])
    d = z @ g.nodes[3][1].float_weight.T + g.nodes[3][1].float_bias
    e = np.maximum(d, [1, -1, 0])
    lin = np.concatenate([c, e], axis=1) @ g.nodes[6][1].float_weight.T + g.nodes[6][1].float_bias
    out = lin - 2 * z
    return out @ last.float_weight.T + last.float_bias


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_graph_forward_matches_hand_written_reference(seed):
    net = _random_graph(seed)
    x = np.random.default_rng(seed).normal(size=(7, 2)) * 3
    assert np.allclose(net(x), _reference(net, x), rtol=1e-12, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.fractions(-5, 5, max_denominator=7), min_size=2, max_size=2))
def test_lowered_program_and_tropical_form_equal_the_graph_exactly(seed, point):
    net = _random_graph(seed)
    assert net.exact
    low = net.lowered(passthrough=True)
    assert low.exact
    want = net(point)
    assert low(point).tolist() == want.tolist()
    assert tropicalize(net)(point).tolist() == want.tolist()


def test_identity_skip_is_carried_without_activation():
    block = Residual([Linear([[1, 2], [3, 4], [5, 6]]), ReLU(), Linear(np.ones((2, 3), dtype=np.int64))])
    low = Network([block]).lowered(passthrough=True).layers
    acts = [p for p in low if not isinstance(p, Linear)]
    assert len(acts) == 1 and acts[0].units.tolist() == [2, 3, 4]  # the skip's two units pass through
    assert acts[0].t == 0


def test_chain_graph_lowers_like_the_sequential_network():
    layers = [Linear([[1, -1], [2, 1]], [1, 0]), ReLU(), Linear([[1, 1]]), Maxout(1)]
    g = Graph([(f"n{i}", layer, "input" if i == 0 else f"n{i - 1}") for i, layer in enumerate(layers)])
    assert Network([g]).lowered(passthrough=True).layers == Network(layers).lowered().layers


def test_projection_shortcut_and_pickle():
    block = Residual([Linear([[2, 0], [0, 1]]), ReLU()], shortcut=Linear([[0, 1], [1, 0]], [1, 1]))
    net = Network([block])
    assert net([Fraction(-1), 3]).tolist() == [Fraction(4), Fraction(3)]  # (3+1, -1+1) + (0, 3)
    assert pickle.loads(pickle.dumps(net)) == net
    assert net.to_float().to_exact() == net
    assert "shortcut" in repr(block)


def test_the_plain_lowering_refuses_graph_networks_clearly():
    net = Network([Residual([Linear([[1, 1], [1, -1]]), ReLU()])])
    assert net.is_graph and not tropnet.random_mlp([2, 2, 1]).is_graph
    with pytest.raises(NotImplementedError, match="graph layer"):
        net.lowered()


def test_per_unit_threshold_lowers_to_shared_relu_for_the_engines():
    net = Network([Linear([[1], [2]]), Threshold([1, -2])])
    low = net.lowered()
    assert [type(p).__name__ for p in low.layers] == ["Linear", "Linear", "ReLU", "Linear"]
    xs = np.linspace(-3, 3, 13)[:, None]
    assert np.array_equal(low(xs), net(xs))


@pytest.mark.parametrize(
    "nodes, match",
    [
        ([("a", Linear([[1, 2]]), "input"), ("b", Add(), ("a", "input"))], "different widths"),
        ([("a", ReLU(), "nope")], "not 'input' nor an earlier node"),
        ([("a", ReLU(), "input"), ("a", ReLU(), "input")], "used twice"),
        ([("a", ReLU(), ("input", "input"))], "one input"),
        ([("a", Linear([[1, 2, 3]]), "input"), ("b", Linear([[1, 2]]), "a")], "node 'b'"),
        ([("a", Add((1, 2, 3)), ("input", "input"))], "3 weights but 2 inputs"),
    ],
)
def test_bad_graphs_are_refused_naming_the_node(nodes, match):
    with pytest.raises(ValueError, match=match):
        Network([Graph(nodes)], input_dim=2)


def test_bad_ops_are_refused():
    with pytest.raises(TypeError, match="op must be"):
        Graph([("a", np.eye(2), "input")])
    with pytest.raises(TypeError, match="not a tropnet layer"):
        Residual([np.eye(2)])


def test_to_torch_of_a_graph_network_agrees():
    torch = pytest.importorskip("torch")
    net = _random_graph(3).to_float()
    x = np.random.default_rng(0).normal(size=(5, 2))
    out = net.to_torch()(torch.from_numpy(x)).detach().numpy()
    assert np.allclose(out, net(x), rtol=1e-12, atol=1e-9)
