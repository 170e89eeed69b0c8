"""The ``tropnet`` command line: model files, errors as one line, the three commands."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tropnet
from tropnet import Identity, LeakyReLU, Linear, Maxout, MaxPool1d, Network, ReLU, Threshold
from tropnet.cli import CLIError, demo_network, load_network, main, network_from_spec, network_to_spec

HAS_COMPILER = hasattr(tropnet, "tropicalize")
HAS_REGIONS = hasattr(tropnet, "linear_regions") and hasattr(tropnet, "count_linear_regions")
needs_compiler = pytest.mark.skipif(not HAS_COMPILER, reason="tropnet.tropicalize (issue 3) not landed")
needs_regions = pytest.mark.skipif(not HAS_REGIONS, reason="tropnet.linear_regions (issue 11) not landed")

# The network W1 = [[0, 1], [1, 0]], b1 = [1, 1], ReLU, W2 = [[1, -1]]: f = ReLU(y+1) - ReLU(x+1),
# known to have 4 linear regions on R^2 (both kinks are full lines x = -1 and y = -1).
FOUR = {
    "W0": np.array([[0, 1], [1, 0]]),
    "b0": np.array([1, 1]),
    "W1": np.array([[1, -1]]),
    "b1": np.array([0]),
}


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("tropnet: error: ")
    assert "Traceback" not in err
    return lines[0]


# ----------------------------------------------------------------------------- model files
def test_npz_integer_arrays_give_an_exact_network(tmp_path: Path) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    net = load_network(path)
    assert net.exact and net.widths == (2, 2, 2, 1)
    assert net([Fraction(-3), Fraction(1, 2)]).tolist() == [Fraction(3, 2)]  # ReLU(3/2) - ReLU(-2)


def test_demo_network_is_the_shipped_file() -> None:
    net = demo_network()
    assert net.widths == (2, 8, 8, 8, 8, 1)
    # trained to separate two moons: the logit has both signs on [-2, 2]^2
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 21), np.linspace(-2, 2, 21)), -1).reshape(-1, 2)
    out = net(grid)[:, 0]
    assert out.min() < 0 < out.max()


def test_json_spec_covers_every_layer_type_and_round_trips() -> None:
    spec = {
        "input_dim": 2,
        "layers": [
            {"type": "linear", "weight": [[1, 0], [0, 1], [1, 1], ["1/2", -1]], "bias": [0, 1, "-1/3", 2]},
            {"type": "relu"},
            {"type": "threshold", "t": "1/4"},
            {"type": "leaky_relu", "alpha": "1/10"},
            {"type": "identity"},
            {"type": "maxpool1d", "kernel_size": 2, "stride": 1},
            {"type": "group_max", "groups": [[0, 1], [1, 2]], "in_features": 3},
            {"type": "linear", "weight": [[1, -1], [2, 1]]},
            {"type": "maxout", "k": 2},
        ],
    }
    net = network_from_spec(spec)
    assert net.exact and net.widths == (2, 4, 4, 4, 4, 4, 3, 2, 2, 1)
    again = network_from_spec(json.loads(json.dumps(network_to_spec(net))))
    assert again == net
    x = np.array([[Fraction(1, 3), Fraction(-2)]], dtype=object)
    assert again(x).tolist() == net(x).tolist()


def test_json_float_entries_give_a_float_layer() -> None:
    net = network_from_spec({"layers": [{"type": "linear", "weight": [[0.5, 1]], "bias": [0]}]})
    assert not net.exact


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "malformed JSON"),
        ('{"layers": []}', 'non-empty "layers"'),
        ('{"layers": [{"type": "sigmoid"}]}', "unknown layer type 'sigmoid'"),
        ('{"layers": [{"type": "linear"}]}', "lacks the field(s) weight"),
        ('{"layers": [{"type": "linear", "weight": [[1, 2], [3]]}]}', "ragged"),
        ('{"layers": [{"type": "linear", "weight": [[1, "x"]]}]}', "cannot read 'x'"),
        ('{"layers": [{"type": "linear", "weight": [[1, 2]], "bias": [1, 2]}]}', "bias"),
        (
            '{"layers": [{"type": "linear", "weight": [[1, 2]]}, {"type": "relu"}, {"type": "linear", '
            '"weight": [[1, 2]]}]}',
            "layer 2",
        ),
        ('{"layers": [{"type": "leaky_relu", "alpha": 2}], "input_dim": 2}', "alpha"),
        ('{"layers": [{"type": "linear", "weight": [[1, NaN]]}]}', "NaN"),
        ('{"layers": [{"type": "relu", "k": 1}], "input_dim": 1}', "unknown field(s) k"),
    ],
)
def test_malformed_json_is_one_clear_line(tmp_path: Path, capsys, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CLIError, match="bad.json"):
        load_network(path)
    assert main(["regions", str(path), "--count-only"]) == 1
    line = _one_error_line(capsys)
    assert message in line, line


def test_npz_errors_are_one_clear_line(tmp_path: Path, capsys) -> None:
    cases = {}
    np.savez(tmp_path / "shape.npz", W0=np.ones((3, 2)), b0=np.ones(3), W1=np.ones((1, 4)), b1=np.ones(1))
    cases["shape.npz"] = "layer 2"
    np.savez(tmp_path / "missing.npz", W0=np.ones((3, 2)), b0=np.ones(3), W1=np.ones((1, 3)))
    cases["missing.npz"] = "missing b1"
    np.savez(tmp_path / "extra.npz", W0=np.ones((1, 2)), b0=np.ones(1), mean=np.zeros(2))
    cases["extra.npz"] = "unexpected mean"
    np.savez(tmp_path / "pickled.npz", W0=np.array([{"a": 1}], dtype=object), b0=np.ones(1))
    cases["pickled.npz"] = "pickled"
    np.savez(tmp_path / "nan.npz", W0=np.array([[np.nan, 1.0]]), b0=np.ones(1))
    cases["nan.npz"] = "NaN"
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    cases["garbage.npz"] = "not a readable .npz"
    (tmp_path / "model.pt").write_bytes(b"\x80\x04 pickled torch")
    cases["model.pt"] = "never loaded"
    cases["nowhere.npz"] = "no such file"
    for name, message in cases.items():
        assert main(["tropicalize", str(tmp_path / name)]) == 1, name
        line = _one_error_line(capsys)
        assert message in line, (name, line)


def test_usage_errors_exit_2_with_one_line(capsys) -> None:
    assert main(["regions"]) == 2
    assert "MODEL" in _one_error_line(capsys)
    assert main(["regions", "m.npz", "--kind", "volume"]) == 2
    assert "--kind" in _one_error_line(capsys)
    assert main(["frobnicate"]) == 2
    _one_error_line(capsys)


@pytest.mark.parametrize("command", [[], ["demo"], ["tropicalize"], ["regions"]])
def test_every_command_has_help_with_an_example(capsys, command: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: tropnet" in out and "example" in out


def test_plot_needs_a_domain(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    assert main(["regions", str(path), "--plot", str(tmp_path / "x.png")]) == 1
    assert "--domain" in _one_error_line(capsys)


# ----------------------------------------------------------------------------- commands
@needs_regions
def test_regions_counts_the_known_answer(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    assert main(["regions", str(path), "--count-only"]) == 0
    assert capsys.readouterr().out.strip() == "4"
    assert main(["regions", str(path), "--count-only", "--exact", "--domain", "-2", "2"]) == 0
    assert capsys.readouterr().out.strip() == "4"


@needs_regions
def test_regions_json_and_plot(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.json"
    net = Network.from_arrays([FOUR["W0"], FOUR["W1"]], [FOUR["b0"], FOUR["b1"]])
    path.write_text(json.dumps(network_to_spec(net)))
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    argv = ["regions", str(path), "--domain", "-3", "3", "--exact"]
    argv += ["--json", str(out_json), "--plot", str(out_png)]
    code = main(argv)
    assert code == 0, capsys.readouterr().err
    data = json.loads(out_json.read_text())
    assert data["count"] == len(data["regions"]) == 4
    for rec in data["regions"]:
        W = np.array([[Fraction(v) for v in row] for row in rec["affine_map"]["W"]], dtype=object)
        c = np.array([Fraction(v) for v in rec["affine_map"]["c"]], dtype=object)
        x = np.array([Fraction(v) for v in rec["interior_point"]], dtype=object)
        assert (W.dot(x) + c).tolist() == net(x).tolist()  # the map is the network's, exactly
    assert out_png.stat().st_size > 5000


@needs_compiler
def test_tropicalize_prints_every_format(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    for fmt in ("text", "latex", "sympy"):
        assert main(["tropicalize", str(path), "--simplify", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "monomials" in out and "f0" in out or fmt == "latex"
    assert main(["tropicalize", str(path), "--format", "sympy"]) == 0
    text = capsys.readouterr().out
    assert "Max" in text


@needs_compiler
@needs_regions
def test_demo_subprocess_writes_the_picture(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tropnet.cli", "demo", "--out", str(tmp_path / "demo.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "activation regions" in proc.stdout and "linear regions" in proc.stdout
    assert (tmp_path / "demo.png").stat().st_size > 20000


def test_console_script_reports_a_missing_file_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tropnet.cli", "regions", str(tmp_path / "absent.npz")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"tropnet: error: {tmp_path / 'absent.npz'}: no such file"


def test_json_spec_convolutions_pools_and_algebra_layers_round_trip() -> None:
    from tropnet.networks.conv import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool2d

    w = np.arange(8).reshape(2, 1, 2, 2) - 3
    conv2 = Conv2d(w, [1, Fraction(1, 2)], input_shape=(1, 3, 3), padding=1)
    net = Network(
        [
            Flatten((1, 3, 3)),
            conv2,
            MaxPool2d(2, input_shape=(2, 4, 4)),
            AvgPool2d(2, input_shape=(2, 2, 2), count_include_pad=False),
            Conv1d([[[1, -1]]], [0], input_shape=(1, 2)),
        ]
    )
    spec = json.loads(json.dumps(network_to_spec(net)))
    assert [d["type"] for d in spec["layers"]] == ["flatten", "conv2d", "maxpool2d", "avgpool2d", "conv1d"]
    again = network_from_spec(spec)
    x = np.array([[Fraction(i, 3) - 1 for i in range(9)]], dtype=object)
    assert again(x).tolist() == net(x).tolist()


def test_json_spec_algebra_linear() -> None:
    from tropnet import algebranet

    net = algebranet(tropnet.algebras.C, [2, 3, 1], seed=0)
    spec = json.loads(json.dumps(network_to_spec(net)))
    assert {d["type"] for d in spec["layers"]} >= {"algebra_linear"}
    again = network_from_spec(spec)
    x = np.random.default_rng(0).normal(size=(5, net.input_dim))
    assert np.allclose(again(x), net(x), rtol=0, atol=1e-12)
    bad = dict(spec["layers"][0], algebra="Q")
    with pytest.raises(CLIError, match="algebra must be one of"):
        network_from_spec({"layers": [bad]})


HAS_PARALLEL = (
    importlib.util.find_spec("tropnet.parallel") is not None and importlib.util.find_spec("dask") is not None
)


@needs_regions
@pytest.mark.skipif(not HAS_PARALLEL, reason="tropnet.parallel (issue 10) or dask not available")
def test_parallel_flag_gives_the_serial_count(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    code = main(["regions", str(path), "--count-only", "--parallel", "local"])
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip().splitlines()[-1] == "4"


@needs_regions
@pytest.mark.skipif(not HAS_PARALLEL, reason="tropnet.parallel (issue 10) or dask not available")
def test_scheduler_errors_are_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    import tropnet.parallel

    def unreachable(address: str, timeout: float = 5.0):
        raise ConnectionError(f"no Dask scheduler answered at {address} within {timeout:g} s")

    monkeypatch.setattr(tropnet.parallel, "connect", unreachable)
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    assert main(["regions", str(path), "--count-only", "--scheduler", "tcp://nowhere:8786"]) == 1
    assert "no Dask scheduler answered at tcp://nowhere:8786" in _one_error_line(capsys)
    assert main(["regions", str(path), "--parallel", "local", "--scheduler", "tcp://x:1"]) == 1
    assert "either" in _one_error_line(capsys)


_layer_kinds = ["relu", "threshold", "leaky_relu", "identity", "maxout", "maxpool1d", "linear"]


@given(
    kinds=st.lists(st.sampled_from(_layer_kinds), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
    exact=st.booleans(),
)
def test_spec_round_trip_property(kinds: list[str], seed: int, exact: bool) -> None:
    rng = np.random.default_rng(seed)

    def num(shape):
        a = rng.integers(-6, 7, size=shape)
        return np.vectorize(lambda v: Fraction(int(v), 3), otypes=[object])(a) if exact else a / 3.0

    width = 4
    layers = [Linear(num((width, 2)), num(width))]
    for kind in kinds:
        if kind == "relu":
            layers.append(ReLU())
        elif kind == "threshold":
            layers.append(Threshold(num(())[()] if exact else float(num(()))))
        elif kind == "leaky_relu":
            layers.append(LeakyReLU(Fraction(1, 4) if exact else 0.25))
        elif kind == "identity":
            layers.append(Identity())
        elif kind == "maxout" and width % 2 == 0:
            layers.append(Maxout(2))
            width //= 2
        elif kind == "maxpool1d" and width >= 2:
            layers.append(MaxPool1d(2, 1))
            width -= 1
        else:
            new = int(rng.integers(1, 5))
            layers.append(Linear(num((new, width)), num(new)))
            width = new
    net = Network(layers)
    again = network_from_spec(json.loads(json.dumps(network_to_spec(net))))
    assert again == net and again.exact == net.exact


@needs_compiler
@needs_regions
def test_demo_reports_the_numbers_of_the_api(capsys) -> None:
    import re

    assert main(["demo", "--no-plot"]) == 0
    out = capsys.readouterr().out
    net = demo_network()
    box = tropnet.Box(-2, 2)
    act = tropnet.count_linear_regions(net, box, kind="activation")
    lin = tropnet.count_linear_regions(net, box, kind="linear")
    assert f"{act} activation regions, {lin} linear regions" in out
    f = tropnet.tropicalize(net)[0]
    g, h = map(int, re.search(r"g: (\d+) monomials, h: (\d+) monomials", out).groups())
    assert (g, h) == (len(f.numerator), len(f.denominator))
    assert "105 parameters" in out and "wrote" not in out


@needs_regions
def test_domain_accepts_negative_fractions_and_exponents(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    # f = ReLU(y + 1) - ReLU(x + 1): both kinks cross [-3/2, 1/2]^2, neither crosses [-1/2, 1e1]^2
    assert main(["regions", str(path), "--domain", "-3/2", "1/2", "--count-only", "--exact"]) == 0
    assert capsys.readouterr().out.strip() == "4"
    assert main(["regions", str(path), "--domain", "-5e-1", "1e1", "--count-only"]) == 0
    assert capsys.readouterr().out.strip() == "1"


# ----------------------------------------------------------------------------- untrusted files (issue 18)
def test_npz_member_names_are_checked_before_any_data_is_decompressed(tmp_path: Path, monkeypatch, capsys):
    import zipfile

    path = tmp_path / "bomb.npz"
    np.savez(path, W0=np.ones((1, 2)), b0=np.ones(1))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("junk.npy", b"\0" * (8 * 2**20))  # compresses to a few KB
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(
        self, name, *a, **k))
    assert main(["regions", str(path), "--count-only"]) == 1
    assert "unexpected junk.npy" in _one_error_line(capsys)
    assert opened == []


def _npz_with_header(path: Path, name: str, header: dict, data: bytes = b"") -> None:
    import io
    import zipfile

    from numpy.lib import format as npformat

    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, buf.getvalue() + data)
        zf.writestr("b0.npy", _npy_bytes(np.ones(1)))


def _npy_bytes(a: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def test_npy_headers_are_checked_before_data(tmp_path: Path, capsys):
    huge = tmp_path / "huge.npz"
    _npz_with_header(huge, "W0.npy", {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    assert main(["regions", str(huge), "--count-only"]) == 2
    assert "above the cap" in _one_error_line(capsys)
    cplx = tmp_path / "complex.npz"
    np.savez(cplx, W0=np.ones((1, 2), dtype=complex), b0=np.ones(1))
    assert main(["regions", str(cplx), "--count-only"]) == 1
    assert "complex128" in _one_error_line(capsys)
    cube = tmp_path / "cube.npz"
    np.savez(cube, W0=np.ones((1, 2, 2)), b0=np.ones(1))
    assert main(["regions", str(cube), "--count-only"]) == 1
    assert "shape (1, 2, 2)" in _one_error_line(capsys)
    short = tmp_path / "short.npz"
    _npz_with_header(short, "W0.npy", {"descr": "<f8", "fortran_order": False, "shape": (1, 2)}, b"\0" * 8)
    assert main(["regions", str(short), "--count-only"]) == 1
    assert "truncated" in _one_error_line(capsys)


def test_zip_member_without_npy_header_is_one_clear_line(tmp_path: Path, capsys):
    import zipfile

    path = tmp_path / "noheader.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("W0.npy", b"just some bytes")
        zf.writestr("b0.npy", _npy_bytes(np.ones(1)))
    assert main(["tropicalize", str(path)]) == 1
    assert "W0 is not a .npy array" in _one_error_line(capsys)


def test_npz_byte_orders_and_fortran_order_load_as_saved(tmp_path: Path):
    W0 = np.asfortranarray(np.arange(6, dtype=">f8").reshape(3, 2))
    path = tmp_path / "orders.npz"
    np.savez(path, W0=W0, b0=np.array([1, -2, 3], dtype=">i4"), W1=np.ones((1, 3), dtype="<f4"), b1=np.zeros(1))
    net = load_network(path)
    assert net.layers[0].weight.astype(float).tolist() == W0.astype(float).tolist()
    assert net.layers[0].bias.astype(float).tolist() == [1.0, -2.0, 3.0]


def test_non_regular_files_are_refused_without_reading(tmp_path: Path, capsys):
    import os

    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert main(["regions", str(fifo)]) == 2
    assert "not a regular file" in _one_error_line(capsys)
    for dev in ("/dev/zero", "/dev/urandom"):
        if Path(dev).exists():
            assert main(["tropicalize", dev]) == 2
            assert "not a regular file" in _one_error_line(capsys)


def test_files_above_the_size_cap_are_refused(tmp_path: Path, monkeypatch, capsys):
    import tropnet.cli_loaders as cli_loaders

    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    monkeypatch.setattr(cli_loaders, "MAX_FILE_BYTES", 100)
    assert main(["regions", str(path), "--count-only"]) == 2
    assert "MAX_FILE_BYTES" in _one_error_line(capsys)


def test_deeply_nested_json_is_refused(tmp_path: Path, capsys):
    path = tmp_path / "deep.json"
    path.write_text('{"layers": ' + "[" * 1000 + "]" * 1000 + "}")
    assert main(["regions", str(path)]) == 2
    assert "nested more than" in _one_error_line(capsys)
    # brackets inside strings do not count
    ok = tmp_path / "ok.json"
    ok.write_text('{"input_dim": 2, "format": "' + "[" * 200 + '", "layers": [{"type": "relu"}]}')
    assert load_network(ok).input_dim == 2
    with pytest.raises(CLIError, match="nested too deeply"):
        shape = 1
        for _ in range(5000):
            shape = [shape]
        network_from_spec({"input_dim": 2, "layers": [{"type": "flatten", "input_shape": shape}]})


def test_cli_smaller_defects(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    # --help names the arrays as the loader needs them (W0, not w0)
    for cmd in ("regions", "tropicalize"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = capsys.readouterr().out
        assert "W0, b0" in out and "w0" not in out
    # --max-print and --max-regions refuse negative values as usage errors
    assert main(["regions", str(path), "--max-print", "-1"]) == 2
    assert "--max-print" in _one_error_line(capsys)
    assert main(["regions", str(path), "--max-regions", "-5"]) == 2
    _one_error_line(capsys)
    # an infinite domain is a clear error, not a parse failure
    assert main(["regions", str(path), "--domain", "-inf", "inf"]) == 1
    assert "finite" in _one_error_line(capsys)
    assert main(["regions", str(path), "--domain", "2", "1"]) == 1
    assert "smaller" in _one_error_line(capsys)


@needs_regions
def test_max_regions_stops_with_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "four.npz"
    np.savez(path, **FOUR)
    assert main(["regions", str(path), "--max-regions", "2"]) == 1
    assert "--max-regions" in _one_error_line(capsys)
    assert main(["regions", str(path), "--max-regions", "0", "--count-only"]) == 0
    assert capsys.readouterr().out.strip() == "4"
    assert main(["regions", str(path), "--max-memory", "100"]) == 1
    assert "--max-memory" in _one_error_line(capsys)
    assert main(["regions", str(path), "--max-seconds", "-1"]) == 2
    _one_error_line(capsys)


@needs_compiler
def test_tropicalize_simplifies_by_default_like_the_api(capsys) -> None:
    from tropnet.cli import demo_path

    assert main(["tropicalize", str(demo_path())]) == 0
    out = capsys.readouterr()
    assert "f0 = " in out.out and out.err == ""


def test_numpy_runtime_warnings_do_not_leak(tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.npz"
    np.savez(path, W0=np.array([[1e300, -1e300], [1e-300, 2]]), b0=np.array([1e300, 0]),
             W1=np.array([[1e300, 1e300]]), b1=np.zeros(1))
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        main(["regions", str(path), "--domain", "-1", "1", "--count-only"])
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)]
    err = capsys.readouterr().err
    assert "RuntimeWarning" not in err


def test_npz_with_one_array_under_two_names_is_refused(tmp_path: Path, capsys):
    import zipfile

    path = tmp_path / "twice.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("W0.npy", _npy_bytes(np.ones((1, 2))))
        zf.writestr("W00.npy", _npy_bytes(np.zeros((1, 2))))
        zf.writestr("b0.npy", _npy_bytes(np.ones(1)))
    assert main(["regions", str(path), "--count-only"]) == 1
    assert "twice" in _one_error_line(capsys)


@needs_compiler
def test_tropicalize_time_and_memory_limits(capsys) -> None:
    from tropnet.cli import demo_path

    assert main(["tropicalize", str(demo_path()), "--max-memory", "1K"]) == 1
    line = _one_error_line(capsys)
    assert "memory" in line or "bytes" in line, line
    assert main(["tropicalize", str(demo_path()), "--max-seconds", "-1"]) == 2
    _one_error_line(capsys)
    assert main(["tropicalize", str(demo_path()), "--max-memory", "lots"]) == 2
    _one_error_line(capsys)
    assert main(["tropicalize", str(demo_path()), "--max-seconds", "0", "--max-memory", "0"]) == 0


@needs_regions
def test_regions_time_and_memory_limits(tmp_path: Path, capsys) -> None:
    import inspect

    if "max_memory" not in inspect.signature(tropnet.count_linear_regions).parameters:
        pytest.skip("count_linear_regions has no max_memory yet")
    net = tropnet.random_mlp([3, 8, 8, 1], seed=0)
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(network_to_spec(net)))
    assert main(["regions", str(path), "--domain", "-1", "1", "--count-only", "--max-memory", "1K"]) == 1
    assert "--max-memory" in _one_error_line(capsys)
    assert main(["regions", str(path), "--max-seconds", "x"]) == 2
    _one_error_line(capsys)
    assert main(["regions", str(path), "--domain", "-1", "1", "--count-only", "--max-seconds", "0"]) == 0
