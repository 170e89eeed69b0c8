"""The command line on ONNX models and VNN-LIB properties (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tropnet
from tropnet import Box, Network
from tropnet.cli import main

pytest.importorskip("onnx")

# f = relu(y + 1) - relu(x + 1): 4 linear regions on R^2 (kinks x = -1, y = -1)
FOUR = Network.from_arrays([np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, -1.0]])], [[1.0, 1.0], [0.0]])


def _prop(path: Path, lines: list[str]) -> Path:
    head = ["(declare-const X_0 Real)", "(declare-const X_1 Real)", "(declare-const Y_0 Real)"]
    path.write_text("\n".join(head + lines + ["(assert (>= Y_0 0))"]) + "\n")
    return path


def _err_line(capsys) -> str:
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("tropnet: error: "), err
    return err[0]


def test_tropicalize_and_regions_of_an_onnx_model_with_a_property(tmp_path, capsys):
    model = tmp_path / "four.onnx"
    FOUR.to_onnx(model)
    assert main(["tropicalize", str(model)]) == 0
    assert "f0 = " in capsys.readouterr().out
    box = _prop(tmp_path / "box.vnnlib", ["(assert (>= X_0 -2))", "(assert (<= X_0 2))",
                                          "(assert (>= X_1 -2))", "(assert (<= X_1 2))"])
    assert main(["regions", str(model), "--vnnlib", str(box), "--count-only"]) == 0
    want = tropnet.count_linear_regions(FOUR, Box(-2, 2))
    assert capsys.readouterr().out.strip() == str(want) == "4"
    # X_1 fixed at 0: the slice y = 0, where f = 1 - relu(x + 1) has 2 linear pieces on [-2, 2]
    line = _prop(tmp_path / "line.vnnlib", ["(assert (>= X_0 -2))", "(assert (<= X_0 2))",
                                            "(assert (>= X_1 0))", "(assert (<= X_1 0))"])
    assert main(["regions", str(model), "--vnnlib", str(line)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 linear regions on the input set of line.vnnlib (a 1-dimensional slice: X_1 = 0)")


def test_bad_combinations_are_one_line(tmp_path, capsys):
    model = tmp_path / "four.onnx"
    FOUR.to_onnx(model)
    box = _prop(tmp_path / "box.vnnlib", ["(assert (>= X_0 -2))", "(assert (<= X_0 2))"])
    assert main(["regions", str(model), "--vnnlib", str(box), "--domain", "-1", "1"]) == 1
    assert "either --domain or --vnnlib" in _err_line(capsys)
    three = tmp_path / "three.vnnlib"
    three.write_text("(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)"
                     "(assert (<= X_0 1))")
    assert main(["regions", str(model), "--vnnlib", str(three)]) == 1
    assert "3 inputs but the network has 2" in _err_line(capsys)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    assert main(["tropicalize", str(bad)]) == 1
    assert "bad.onnx" in _err_line(capsys)
    res = tmp_path / "res.onnx"
    Network([tropnet.Residual([tropnet.Linear(np.eye(2)), tropnet.ReLU()])]).to_onnx(res)
    code = main(["regions", str(res), "--domain", "-1", "1"])
    if code:  # region engines not yet wired for graph networks: a clear line, not a traceback
        assert "graph" in _err_line(capsys)
