"""Fuzzing the MODEL loaders and the command line (issue 18): any JSON spec, any bytes, any
zip and any argument list give a network or one clear line -- exit status 0, 1 or 2, never an
internal error (3), a traceback, a hang or a large allocation."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tropnet.cli import CLIError, load_network, main, network_from_spec

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(),
                         st.text(max_size=6), st.sampled_from(["1/2", "-3/4", "relu", "linear", "x"]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)
LAYER_TYPES = ["linear", "relu", "threshold", "leaky_relu", "maxout", "maxpool1d", "group_max", "identity",
               "flatten", "conv1d", "conv2d", "maxpool2d", "avgpool2d", "algebra_linear", "bogus"]
FIELDS = ["weight", "bias", "t", "alpha", "k", "kernel_size", "stride", "groups", "in_features", "input_shape",
          "padding", "dilation", "algebra", "out_features", "real_input", "count_include_pad"]
layers = st.fixed_dictionaries({"type": st.sampled_from(LAYER_TYPES)},
                               optional={f: json_values for f in FIELDS})
specs = st.one_of(
    json_values,
    st.fixed_dictionaries({"layers": st.lists(layers, max_size=4)},
                          optional={"input_dim": json_scalars, "format": json_scalars}),
)


@FUZZ
@given(specs)
def test_json_specs_give_a_network_or_a_clear_error(spec):
    try:
        net = network_from_spec(spec)
    except (CLIError, ValueError, TypeError):
        return
    assert net.input_dim >= 1


def _npy(header: dict | None, data: bytes) -> bytes:
    from numpy.lib import format as npformat

    if header is None:
        return data
    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, header)
    return buf.getvalue() + data


members = st.tuples(
    st.sampled_from(["W0.npy", "b0.npy", "W1.npy", "b1.npy", "W00.npy", "x.npy", "W0", "../W0.npy"]),
    st.one_of(st.none(), st.fixed_dictionaries({
        "descr": st.sampled_from(["<f8", ">f8", "<i8", "|b1", "<c16", "|O", "<U3", "<f2", "V8"]),
        "fortran_order": st.booleans(),
        "shape": st.lists(st.integers(0, 10**9), max_size=3).map(tuple),
    })),
    st.binary(max_size=64),
)


@FUZZ
@given(st.lists(members, max_size=5))
def test_random_npz_archives_give_a_network_or_a_clear_error(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("npz") / "model.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for name, header, data in {e[0]: e for e in entries}.values():  # zip names unique
            try:
                zf.writestr(name, _npy(header, data))
            except ValueError:
                pass
    try:
        load_network(path)
    except CLIError:
        pass


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_give_a_clear_error(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("bytes")
    for name in ("m.npz", "m.json", "m"):
        (d / name).write_bytes(data)
        try:
            load_network(d / name)
        except CLIError:
            pass


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "four.npz"
    np.savez(path, W0=np.array([[0, 1], [1, 0]]), b0=np.array([1, 1]), W1=np.array([[1, -1]]), b1=np.array([0]))
    return path


OPTIONS = ["--domain", "-1", "1", "-1/2", "inf", "-inf", "nan", "2", "--kind", "linear", "activation", "volume",
           "--count-only", "--exact", "--max-print", "-1", "0", "--max-regions", "3", "--format", "latex",
           "--no-simplify", "--simplify", "--json", "--plot", "--help", "--version", "x", ""]


@FUZZ
@given(st.sampled_from(["regions", "tropicalize", "bogus", "--bogus"]), st.lists(st.sampled_from(OPTIONS),
                                                                                   max_size=6))
def test_random_command_lines_exit_cleanly(model_file, capsys, command, options):
    argv = [command, str(model_file), *options]
    if "--json" in argv or "--plot" in argv:  # never write files outside tmp
        argv = [a for a in argv if a not in ("--json", "--plot")]
    try:
        code = main(argv)
    except SystemExit as exc:  # --help / --version
        code = exc.code
    out = capsys.readouterr()
    assert code in (0, 1, 2), (argv, out.err)
    assert "Traceback" not in out.err and "internal error" not in out.err
    if code:
        assert len(out.err.strip().splitlines()) == 1, (argv, out.err)
