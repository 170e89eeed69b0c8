"""read_vnnlib: the four shipped ACAS Xu properties, malformed files, a fuzz test."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import AffineSlice, Box, Polyhedron
from tropnet.vnnlib import VnnlibError, parse_vnnlib, read_vnnlib

ACAS = next(
    (p for p in (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "acasxu",
                 Path("/work/shared/data/acasxu")) if p.is_dir()),
    None,
)
needs_acas = pytest.mark.skipif(ACAS is None, reason="ACAS Xu data not present")

# the normalised bounds of the data README (decimal text of the files)
BOUNDS = {
    1: (["0.6", "-0.5", "-0.5", "0.45", "-0.5"], ["0.679857769", "0.5", "0.5", "0.5", "-0.45"]),
    2: (["0.6", "-0.5", "-0.5", "0.45", "-0.5"], ["0.679857769", "0.5", "0.5", "0.5", "-0.45"]),
    3: (["-0.303531156", "-0.009549297", "0.493380324", "0.3", "0.3"],
        ["-0.298552812", "0.009549297", "0.5", "0.5", "0.5"]),
    4: (["-0.303531156", "-0.009549297", "0.0", "0.318181818", "0.083333333"],
        ["-0.298552812", "0.009549297", "0.0", "0.5", "0.166666667"]),
}


@needs_acas
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_bounds_of_the_four_shipped_properties(k):
    prop = tropnet.read_vnnlib(ACAS / f"prop_{k}.vnnlib")
    lo, hi = BOUNDS[k]
    assert prop.lower == [Fraction(v) for v in lo] and prop.upper == [Fraction(v) for v in hi]
    assert (prop.input_dim, prop.output_dim) == (5, 5)
    if k == 4:  # X_2 has zero width: the input set is a 4-dimensional slice
        assert prop.fixed == [2]
        dom = prop.domain
        assert isinstance(dom, AffineSlice) and dom.k == 4
        assert dom.origin[2] == 0 and all(dom.basis[:, 2] == 0)
    else:
        assert isinstance(prop.domain, Box)


@needs_acas
def test_output_constraints_of_the_properties():
    p1 = read_vnnlib(ACAS / "prop_1.vnnlib")
    (A, b), = p1.output_constraints
    assert A.tolist() == [[-1, 0, 0, 0, 0]] and b.tolist() == [-Fraction("3.991125645861615")]
    p2 = read_vnnlib(ACAS / "prop_2.vnnlib")
    # the README's prop_2 counterexample for network 1_2: Y_0 is the largest output
    y = [-0.0175619, -0.0183086, -0.0176881, -0.0177233, -0.0177588]
    assert p2.unsafe(y) and not p2.unsafe([-1.0, 0, 0, 0, 0])
    p3 = read_vnnlib(ACAS / "prop_3.vnnlib")
    assert p3.unsafe([0, 1, 1, 1, 1]) and not p3.unsafe([2, 1, 1, 1, 1])


@needs_acas
def test_property_and_network_dimensions_are_checked():
    onnx = pytest.importorskip("onnx")  # noqa: F841
    net = tropnet.Network.from_onnx(ACAS / "ACASXU_run2a_1_2_batch_2000.onnx")
    prop = read_vnnlib(ACAS / "prop_2.vnnlib")
    prop.check_network(net)
    x = [0.6054282188415527, 0.009929251857101917, -0.20395411550998688, 0.46760255098342896, -0.48652124404907227]
    assert prop.unsafe(net(x))  # the README's counterexample
    with pytest.raises(ValueError, match="5 inputs but the network has 2"):
        prop.check_network(tropnet.random_mlp([2, 5]))


@pytest.mark.parametrize(
    "text, match",
    [
        ("(declare-const X_0 Real)(assert (<= X_0 1)", "never closed"),
        ("(declare-const X_0 Real))", "without a matching"),
        ("(declare-const X_0 Int)", "only Real"),
        ("(declare-const Z Real)", "neither X_<i>"),
        ("(declare-const X_0 Real)(declare-const X_0 Real)", "declared twice"),
        ("(declare-const X_1 Real)", "X_0 missing"),
        ("(declare-const X_0 Real)(assert (<= X_1 1))", "not declared"),
        ("(declare-const X_0 Real)(assert (<= X_0 abc))", "not a number"),
        ("(declare-const X_0 Real)(assert (<= (* X_0 X_0) 1))", "not linear"),
        ("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 Y_0))", "mixes inputs and outputs"),
        ("(declare-const X_0 Real)(assert (or (<= X_0 1) (>= X_0 2)))", "different input sets"),
        ("(declare-const X_0 Real)(assert (<= X_0 0))(assert (>= X_0 1))", "empty"),
        ("(declare-const X_0 Real)(assert (not (<= X_0 0)))", "unsupported formula 'not'"),
        ("(declare-const X_0 Real)(check-sat)", "unsupported command"),
        ("(declare-const X_0 Real)\n(assert (<= X_0 (exp 1)))", r"line 2, column 17: unsupported term"),
    ],
)
def test_malformed_or_unsupported_files_name_the_place(text, match):
    with pytest.raises(VnnlibError, match=match):
        _ = parse_vnnlib(text).domain


def test_general_linear_constraints_give_a_polyhedron_and_equal_bounds_a_slice():
    p = parse_vnnlib("(declare-const X_0 Real)(declare-const X_1 Real)"
                     "(assert (<= (+ X_0 (* 2 X_1)) 1))(assert (>= X_0 -1))(assert (>= X_1 (- 1)))")
    assert isinstance(p.domain, Polyhedron)
    assert p.domain.A.tolist()[0] == [1, 2] and p.domain.b.tolist()[0] == 1
    q = parse_vnnlib("(declare-const X_0 Real)(declare-const X_1 Real)"
                     "(assert (and (<= X_0 1) (>= X_0 0) (= X_1 0.5)))")
    assert isinstance(q.domain, AffineSlice) and q.domain.k == 1
    assert q.domain.to_input([[Fraction(1, 2)]]).tolist() == [[Fraction(1, 2), Fraction(1, 2)]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(-100, 100, places=6, allow_nan=False),
                          st.decimals(0, 50, places=6, allow_nan=False)), min_size=1, max_size=6))
def test_written_boxes_are_read_back_exactly(rows):
    lines = [f"(declare-const X_{i} Real)" for i in range(len(rows))]
    for i, (lo, w) in enumerate(rows):
        lines += [f"(assert (>= X_{i} {lo}))", f"(assert (<= X_{i} {lo + w}))"]
    p = parse_vnnlib("\n".join(lines))
    assert p.lower == [Fraction(str(lo)) for lo, _ in rows]
    assert p.upper == [Fraction(str(lo + w)) for lo, w in rows]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("()XY_01 .-+*<=>;\nabdeclorstnR")), max_size=80))
def test_fuzz_any_text_parses_or_raises_a_clear_error(text):
    try:
        p = parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)" + text)
        _ = p.domain
        p.unsafe([0.0])
    except ValueError as err:  # VnnlibError is a ValueError
        assert str(err)


def test_unreadable_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        read_vnnlib(tmp_path / "nope.vnnlib")
    f = tmp_path / "bin.vnnlib"
    f.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(VnnlibError, match="not UTF-8"):
        read_vnnlib(f)
    assert parse_vnnlib("(declare-const X_0 Real)(assert (<= X_0 1))").lower == [None]
