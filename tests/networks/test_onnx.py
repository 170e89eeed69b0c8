"""from_onnx / to_onnx: forward equality against onnxruntime (the reference), refusals."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tropnet import Network, Residual, random_mlp, tropicalize  # noqa: E402
from tropnet.networks.layers import Linear, ReLU  # noqa: E402

ACAS = next(
    (p for p in (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "acasxu",
                 Path("/work/shared/data/acasxu")) if p.is_dir()),
    None,
)

rng = np.random.default_rng(0)


def _w(*shape):
    return rng.normal(size=shape).astype(np.float32)


def _model(nodes, inits, in_shape, out_shape, opset=13):
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def _ort(model, x):
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _residual_mlp():
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("MatMul", ["r", "W2"], ["f"]),
        helper.make_node("Add", ["f", "x"], ["s"]),
        helper.make_node("LeakyRelu", ["s"], ["l"], alpha=0.1),
        helper.make_node("Sub", ["l", "c"], ["d"]),
        helper.make_node("Mul", ["d", "k"], ["e"]),
        helper.make_node("Gemm", ["e", "W3", "b3"], ["y"], alpha=0.5, beta=2.0),
    ]
    inits = {"W1": _w(6, 3), "b1": _w(6), "W2": _w(6, 3), "c": _w(3), "k": _w(1, 3), "W3": _w(3, 2), "b3": _w(2)}
    return _model(nodes, inits, [None, 3], [None, 2]), (3,)


def _concat_net():
    nodes = [
        helper.make_node("Gemm", ["x", "A", "a"], ["p"]),
        helper.make_node("PRelu", ["p", "slope"], ["q"]),
        helper.make_node("Gemm", ["x", "B", "bb"], ["r"]),
        helper.make_node("Clip", ["r", "lo", "hi"], ["s"]),
        helper.make_node("Concat", ["q", "s", "x"], ["t"], axis=1),
        helper.make_node("Div", ["t", "two"], ["u"]),
        helper.make_node("Gemm", ["u", "C", "cc"], ["y"]),
    ]
    inits = {"A": _w(3, 4), "a": _w(4), "slope": np.array([0.1, 0.2, 0.0, 0.5], np.float32),
             "B": _w(3, 2), "bb": _w(2), "lo": np.array(-0.3, np.float32), "hi": np.array(0.4, np.float32),
             "two": np.array(2.0, np.float32), "C": _w(9, 2), "cc": _w(2)}
    return _model(nodes, inits, [None, 3], [None, 2]), (3,)


def _cnn():
    nodes = [
        helper.make_node("Conv", ["x", "K1", "k1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["n1"], epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "K2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["s"]),
        helper.make_node("Relu", ["s"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["m"], ["a"], kernel_shape=[2, 2], strides=[1, 1], pads=[1, 1, 0, 0]),
        helper.make_node("GlobalAveragePool", ["m"], ["gap"]),
        helper.make_node("Flatten", ["a"], ["fa"], axis=1),
        helper.make_node("Reshape", ["gap", "shape"], ["fg"]),
        helper.make_node("Concat", ["fa", "fg"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "W", "b"], ["y"], transB=1),
    ]
    inits = {"K1": _w(3, 1, 3, 3), "k1": _w(3), "g": _w(3), "be": _w(3), "mu": _w(3),
             "var": np.abs(_w(3)) + 0.5, "K2": _w(3, 3, 3, 3), "shape": np.array([-1, 3], np.int64),
             "W": _w(2, 3 * 3 * 3 + 3), "b": _w(2)}
    return _model(nodes, inits, [None, 1, 6, 6], [None, 2]), (1, 6, 6)


@pytest.mark.parametrize("make", [_residual_mlp, _concat_net, _cnn])
def test_forward_equals_onnxruntime(make):
    model, shape = make()
    net = Network.from_onnx(model)
    x = np.random.default_rng(1).normal(size=(10, *shape)).astype(np.float32)
    want = _ort(model, x)
    got = net(x.reshape(10, -1).astype(np.float64))
    assert np.allclose(got, want, rtol=1e-4, atol=1e-4)


def test_float32_weights_become_their_exact_dyadic_values():
    model, _ = _residual_mlp()
    net = Network.from_onnx(model).to_exact()
    w1 = numpy_helper.to_array(model.graph.initializer[0])
    lin = net.layers[0].nodes[0][1]  # the first Gemm (transB=1: weight B as stored)
    assert lin.weight[0, 0] == Fraction(float(w1[0, 0]))  # float32 -> its dyadic rational, no rounding
    x = [Fraction(1, 3), Fraction(-2), Fraction(5, 7)]
    assert tropicalize(net)(x).tolist() == net(x).tolist()


@pytest.mark.skipif(ACAS is None, reason="ACAS Xu data not present")
@pytest.mark.parametrize("name", ["1_1", "2_1", "4_6"])
def test_acasxu_network_against_onnxruntime(name):
    path = ACAS / f"ACASXU_run2a_{name}_batch_2000.onnx"
    net = Network.from_onnx(path)
    assert net.widths == (5,) + (50,) * 12 + (5,)
    x = np.random.default_rng(0).uniform(-0.5, 0.5, size=(20, 5)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.array([sess.run(None, {"input": xi.reshape(1, 1, 1, 5)})[0][0] for xi in x])
    assert np.allclose(net(x.astype(np.float64)), want, atol=1e-5)


def test_to_onnx_round_trip_runs_in_onnxruntime(tmp_path):
    for net in (random_mlp([3, 5, 2], seed=1),
                Network([Residual([Linear(np.ones((4, 3)), [0.5, -1, 0, 1]), ReLU(), Linear(np.eye(3, 4))]),
                         Linear([[1.0, -1.0, 2.0]])])):
        model = net.to_onnx(tmp_path / "m.onnx")
        x = np.random.default_rng(2).normal(size=(6, 3))
        assert np.allclose(_ort(model, x), net(x), rtol=1e-12, atol=1e-12)
        back = Network.from_onnx(tmp_path / "m.onnx")
        assert np.allclose(back(x), net(x), rtol=1e-12, atol=1e-12)


def test_bad_files_and_nodes_are_refused_naming_the_place(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not protobuf \xff\xfe")
    with pytest.raises(ValueError, match="not an ONNX model"):
        Network.from_onnx(bad)
    with pytest.raises(ValueError, match="cannot read"):
        Network.from_onnx(tmp_path / "missing.onnx")
    tanh = _model([helper.make_node("Tanh", ["x"], ["y"], name="act")], {}, [None, 2], [None, 2])
    with pytest.raises(TypeError, match=r"ONNX node act \(Tanh\).*not supported"):
        Network.from_onnx(tanh)
    no_w = helper.make_model(helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])]))
    with pytest.raises(TypeError, match=r"mm \(MatMul\): input 'W' is not produced"):
        Network.from_onnx(no_w)
    soft = _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], {}, [None, 2], [None, 2])
    with pytest.raises(TypeError, match="final='drop'"):
        Network.from_onnx(soft)
    assert "Softmax dropped" in repr(Network.from_onnx(soft, final="drop"))


def test_to_onnx_of_partial_activations_and_max_pools(tmp_path):
    from tropnet import Graph, LeakyReLU, Maxout, Threshold

    g = Graph([("a", Linear(np.arange(12.0).reshape(4, 3) / 7 - 0.5), "input"),
               ("b", LeakyReLU([0.5, 0.0, 0.25, 0.125]), "a"), ("c", Maxout(2), "b"),
               ("d", Threshold([0.5, -1.0, 0.0]), "input"),
               ("out", __import__("tropnet").Concat(), ("c", "d"))])
    net = Network([g])
    x = np.random.default_rng(3).normal(size=(8, 3))
    model = net.to_onnx()
    assert np.allclose(_ort(model, x), net(x), rtol=1e-12, atol=1e-12)
    assert np.allclose(Network.from_onnx(model)(x), net(x), rtol=1e-12, atol=1e-12)


def _reindex_net():
    """Transpose, Slice (inputs and negative steps), Squeeze, Unsqueeze: affine re-indexings."""
    nodes = [
        helper.make_node("Conv", ["x", "K", "k"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 3, 1]),  # NCHW -> NHWC
        helper.make_node("Slice", ["t", "st", "en", "ax", "sp"], ["s"]),
        helper.make_node("Unsqueeze", ["s", "u_ax"], ["u"]),
        helper.make_node("Squeeze", ["u", "u_ax"], ["q"]),
        helper.make_node("Flatten", ["q"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "W", "b"], ["y"], transB=1),
    ]
    inits = {"K": _w(3, 2, 3, 3), "k": _w(3), "st": np.array([4, 0], np.int64), "en": np.array([0, 2], np.int64),
             "ax": np.array([1, 3], np.int64), "sp": np.array([-2, 1], np.int64),
             "u_ax": np.array([2], np.int64), "W": _w(2, 2 * 5 * 2), "b": _w(2)}
    return _model(nodes, inits, [None, 2, 5, 5], [None, 2]), (2, 5, 5)


def test_reindexing_ops_equal_onnxruntime():
    model, shape = _reindex_net()
    net = Network.from_onnx(model)
    x = np.random.default_rng(4).normal(size=(7, *shape)).astype(np.float32)
    assert np.allclose(net(x.reshape(7, -1).astype(np.float64)), _ort(model, x), rtol=1e-4, atol=1e-4)
    batch = _model([helper.make_node("Transpose", ["x"], ["y"], perm=[1, 0], name="tb")], {}, [None, 2], [2, None])
    with pytest.raises(TypeError, match=r"tb \(Transpose\).*batch axis"):
        Network.from_onnx(batch)


def _torch_modules():
    import torch

    class ResMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inp, self.a, self.b, self.out = (torch.nn.Linear(3, 4), torch.nn.Linear(4, 6),
                                                  torch.nn.Linear(6, 4), torch.nn.Linear(2, 2))

        def forward(self, x):
            x = self.inp(x)
            x = torch.relu(x + self.b(torch.relu(self.a(x))))
            return self.out(x[:, 1:3])  # a Slice

    class ResCNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c0, self.c1, self.c2 = (torch.nn.Conv2d(1, 3, 3, padding=1),
                                         torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(4, 3, 3, padding=1))
            self.bn, self.pool, self.fc = torch.nn.BatchNorm2d(3), torch.nn.MaxPool2d(2), torch.nn.Linear(48, 5)

        def forward(self, x):
            x = torch.relu(self.c0(x))
            x = torch.relu(x + self.bn(self.c2(torch.relu(self.c1(x)))))
            x = self.pool(x).permute(0, 2, 3, 1)  # a Transpose
            return self.fc(torch.flatten(x, 1))

    return {"mlp": (ResMLP, (3,), "Slice"), "cnn": (ResCNN, (1, 8, 8), "Transpose")}


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_torch_onnx_export_loads_and_equals_onnxruntime(kind):
    """A residual MLP and a CNN with a residual block, exported by torch (the TorchScript
    exporter: the dynamo one needs onnxscript), read back and compared with onnxruntime."""
    import io
    import warnings

    torch = pytest.importorskip("torch")
    make, shape, op = _torch_modules()[kind]
    torch.manual_seed(0)
    module = make().eval()
    if hasattr(module, "bn"):  # non-trivial statistics
        module.bn.running_mean.uniform_(-1, 1)
        module.bn.running_var.uniform_(0.5, 2)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation note
        torch.onnx.export(module, (torch.zeros(1, *shape),), buf, dynamo=False,
                          input_names=["x"], dynamic_axes={"x": {0: "n"}})
    model = onnx.load_from_string(buf.getvalue())
    assert op in {n.op_type for n in model.graph.node} and "Add" in {n.op_type for n in model.graph.node}
    net = Network.from_onnx(model)
    x = np.random.default_rng(5).normal(size=(9, *shape)).astype(np.float32)
    assert np.allclose(net(x.reshape(9, -1).astype(np.float64)), _ort(model, x), rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        assert np.allclose(net(x.reshape(9, -1).astype(np.float64)), module(torch.from_numpy(x)).numpy(),
                           rtol=1e-4, atol=1e-4)


def _structured_nets():
    from tropnet import AvgPool2d, Concat, Conv2d, Flatten, Graph, LeakyReLU, Maxout, MaxPool2d, Threshold

    r = np.random.default_rng(7)
    mlp = Network([Linear(r.normal(size=(4, 3)), r.normal(size=4)),
                   Residual([Linear(r.normal(size=(6, 4)), r.normal(size=6)), ReLU(), Linear(r.normal(size=(4, 6)))]),
                   LeakyReLU(0.25), Linear(r.normal(size=(2, 4)), r.normal(size=2))])
    g = Graph([("a", Linear(r.normal(size=(4, 3))), "input"), ("b", Maxout(2), "a"),
               ("c", Threshold([0.5, -1.0, 0.0]), "input"), ("cat", Concat(), ("b", "c")),
               ("d", Linear(r.normal(size=(5, 5))), "cat"), ("out", __import__("tropnet").Add((1, -0.5)), ("d", "cat"))])
    cat = Network([g, ReLU(), Linear(r.normal(size=(1, 5)))])
    c0 = Conv2d(r.normal(size=(2, 1, 3, 3)), r.normal(size=2), input_shape=(1, 6, 6), padding=1)
    c1 = Conv2d(r.normal(size=(2, 2, 3, 3)), r.normal(size=2), input_shape=(2, 6, 6), padding=1)
    cnn = Network([c0, ReLU(), Residual([c1, ReLU()]), MaxPool2d(2, input_shape=(2, 6, 6)),
                   AvgPool2d(2, 1, input_shape=(2, 3, 3)), Flatten(), Linear(r.normal(size=(3, 8)))])
    return {"mlp": mlp, "concat": cat, "cnn": cnn}


@pytest.mark.parametrize("kind", ["mlp", "concat", "cnn"])
def test_to_onnx_writes_the_layers_and_round_trips(tmp_path, kind):
    net = _structured_nets()[kind]
    x = np.random.default_rng(8).normal(size=(6, net.input_dim))
    model = net.to_onnx(tmp_path / "m.onnx")
    ops = [n.op_type for n in model.graph.node]
    assert "Add" in ops or "Concat" in ops  # the graph's nodes, not a lowered program
    if kind == "mlp":  # one Gemm per Linear, the residual Add, the activations by name
        assert ops == ["Gemm", "Gemm", "Relu", "Gemm", "Add", "Mul", "Max", "Gemm", "Identity"]
        assert [n.name for n in model.graph.node][:5] == ["0:Gemm", "1/f0:Gemm", "1/f1:Relu", "1/f2:Gemm", "1/add:Add"]
    assert np.allclose(_ort(model, x), net(x), rtol=1e-12, atol=1e-12)
    back = Network.from_onnx(tmp_path / "m.onnx")
    assert np.allclose(back(x), net(x), rtol=1e-12, atol=1e-12)
    if kind == "cnn":  # float32 files have real Conv / AveragePool nodes
        m32 = net.to_onnx(dtype="float32")
        assert {"Conv", "MaxPool", "AveragePool"} <= {n.op_type for n in m32.graph.node}
        assert np.allclose(_ort(m32, x.astype(np.float32)), net(x), rtol=1e-4, atol=1e-4)
        assert np.allclose(Network.from_onnx(m32)(x), net(x), rtol=1e-5, atol=1e-5)
    low = net.to_onnx(lowered=True)
    assert np.allclose(_ort(low, x), net(x), rtol=1e-12, atol=1e-12)
