"""The network-to-tropical compiler: agreement with the forward pass and known monomial counts."""

from fractions import Fraction as F
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import degenerate_vertices_net

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
    TropicalRationalMap,
    random_mlp,
    tropicalize,
)
from tropnet.networks.layers import Layer


# ------------------------------------------------------------------ random networks of every layer type
def random_network(seed: int, exact: bool) -> Network:
    """A random stack mixing every layer type; exact: small rationals, float: normal weights."""
    rng = np.random.default_rng(seed)

    def weights(shape):
        if exact:
            num = rng.integers(-6, 7, size=shape)
            den = rng.choice([1, 2, 3], size=shape)
            values = [F(int(a), int(b)) for a, b in zip(num.ravel(), den.ravel())]
            return np.array(values, dtype=object).reshape(shape)
        return rng.normal(size=shape)

    def scalar(lo, hi):
        return F(int(rng.integers(lo * 4, hi * 4)), 4) if exact else float(rng.uniform(lo, hi))

    n = int(rng.integers(1, 4))
    layers: list[Layer] = []
    width = n
    for _ in range(int(rng.integers(1, 4))):
        kind = rng.choice(["relu", "threshold", "leaky", "maxout", "maxpool", "groupmax", "identity"])
        out = int(rng.integers(1, 4))
        if kind == "maxout":
            out = 2 * out
        if kind == "maxpool":
            out = max(out, 2)
        layers.append(Linear(weights((out, width)), weights((out,))))
        width = out
        if kind == "relu":
            layers.append(ReLU())
        elif kind == "threshold":
            layers.append(Threshold(scalar(-1, 1)))
        elif kind == "leaky":
            layers.append(LeakyReLU(F(int(rng.integers(0, 4)), 4) if exact else float(rng.uniform(0, 0.9))))
        elif kind == "maxout":
            layers.append(Maxout(2))
            width //= 2
        elif kind == "maxpool":
            layers.append(MaxPool1d(2, 1))
            width -= 1
        elif kind == "groupmax":
            k = int(rng.integers(1, 4))
            groups = rng.integers(0, width, size=(k, int(rng.integers(1, 3))))
            layers.append(GroupMax(groups, width))
            width = k
        else:
            layers.append(Identity())
    out = int(rng.integers(1, 3))
    layers.append(Linear(weights((out, width)), weights((out,))))
    return Network(layers)


@given(seed=st.integers(0, 2**32 - 1))
def test_float_compile_agrees_with_forward(seed):
    net = random_network(seed, exact=False)
    X = np.random.default_rng(seed).normal(scale=2.0, size=(30, net.input_dim))
    want = net(X)
    for simplify in (True, False):
        try:
            f = tropicalize(net, simplify=simplify, max_monomials=100_000)
        except MemoryError:  # the unsimplified expansion of float weights can explode
            assert not simplify
            continue
        assert isinstance(f, TropicalRationalMap) and len(f) == net.output_dim
        got = f.evaluate(X)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * (1 + np.abs(want).max()))


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1))
def test_exact_compile_agrees_exactly(seed):
    net = random_network(seed, exact=True)
    assert net.exact
    rng = np.random.default_rng(seed)
    X = np.array([[F(int(a), int(b)) for a, b in zip(rng.integers(-20, 21, net.input_dim),
                                                     rng.integers(1, 7, net.input_dim))] for _ in range(8)],
                 dtype=object)
    want = net(X)
    for simplify in (True, False):
        try:
            f = tropicalize(net, simplify=simplify, max_monomials=100_000)
        except MemoryError:
            assert not simplify
            continue
        assert f.is_exact
        got = f.evaluate(X)
        assert got.tolist() == want.tolist()


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), widths=st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_exact_compile_of_float_mlp(seed, widths):
    # exact=True on a float network compiles the dyadic rationals its floats store
    net = random_mlp(widths, seed=seed)
    f = tropicalize(net, exact=True)
    rng = np.random.default_rng(seed)
    X = np.array([[F(int(v), 8) for v in rng.integers(-40, 41, widths[0])] for _ in range(5)], dtype=object)
    assert f.evaluate(X).tolist() == net.to_exact()(X).tolist()


def test_simplified_and_unsimplified_are_the_same_function():
    net = random_mlp([2, 4, 3, 1], seed=11)
    a, b = tropicalize(net), tropicalize(net, simplify=False)
    X = np.random.default_rng(0).normal(scale=5, size=(200, 2))
    np.testing.assert_allclose(a.evaluate(X), b.evaluate(X), rtol=1e-12, atol=1e-12)
    assert a.num_monomials[0] <= b.num_monomials[0]
    assert b.monomials_before == b.num_monomials


# ------------------------------------------------------------------ known answers
@pytest.mark.parametrize("d, n", [(2, 4), (2, 5), (3, 6)])
@pytest.mark.parametrize("exact", [False, True])
def test_zonotope_counts(d, n, exact):
    """One hidden layer of n ReLUs, positive output weights: the denominator is one monomial and
    the numerator keeps sum_{i<=d} C(n, i) of its 2^n monomials (reference notes C.2)."""
    rng = np.random.default_rng(100 * d + n)
    W, b, v = rng.normal(size=(n, d)), rng.normal(size=n), rng.uniform(0.5, 2.0, size=(1, n))
    if exact:  # generic rationals
        W, b, v = (np.vectorize(lambda x: F(round(x * 1000), 997), otypes=[object])(a) for a in (W, b, v))
    net = Network.from_arrays([W, v], [b, np.zeros(1, dtype=np.int64) if exact else np.zeros(1)])
    assert net.exact == exact
    f = tropicalize(net)
    num, den = f[0].numerator, f[0].denominator
    assert len(den) == 1
    assert len(num) == sum(comb(n, i) for i in range(d + 1))
    full = tropicalize(net, simplify=False)[0]
    assert len(full.numerator) == 2**n and len(full.denominator) == 1


def test_section_c7_counts():
    """Reference notes C.7: the final H has 16 monomials, 8 of them vertices; G has 4, all vertices;
    with output weights [1, -1], H has 7 vertices."""
    W = [[[2, 2], [-1, 1]], [[1, 2], [-3, -1]]]
    b = [[1, 3], [-1, 1]]
    net = Network.from_arrays(W + [[[1, 1]]], b + [[0]])
    full = tropicalize(net, simplify=False)[0]
    assert (len(full.numerator), len(full.denominator)) == (16, 4)
    simple = tropicalize(net)[0]
    assert (len(simple.numerator), len(simple.denominator)) == (8, 4)
    other = tropicalize(Network.from_arrays(W + [[[1, -1]]], b + [[0]]))[0]
    assert len(other.numerator) == 7


def test_abs_value_form():
    net = Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    r = tropicalize(net)[0]
    # |x| = max(0, 2x) - x
    assert r.numerator.exponents.tolist() == [[0], [2]] and r.numerator.coefficients.tolist() == [0, 0]
    assert r.denominator.exponents.tolist() == [[1]]


def test_leaky_relu_gives_puiseux_exponents():
    net = Network([Linear([[1, -1]], [F(1, 3)]), LeakyReLU(F(1, 3)), Linear([[2]], [0])])
    r = tropicalize(net)[0]
    exps = set(r.numerator.exponents.ravel().tolist()) | set(r.denominator.exponents.ravel().tolist())
    assert any(e.denominator == 3 for e in exps)
    X = np.array([[F(1), F(2)], [F(-5, 2), F(-7)]], dtype=object)
    assert r.evaluate(X).tolist() == net(X)[:, 0].tolist()


def test_max_layers_closed_forms():
    # maxout over (x, -x, 2x - 1) pairs: max(x, -x) and max(2x - 1, 0)
    net = Network([Linear([[1], [-1], [2], [0]], [0, 0, -1, 0]), Maxout(2)])
    f = tropicalize(net)
    for x in (F(-3), F(1, 3), F(2)):
        assert f([x]).tolist() == [abs(x), max(2 * x - 1, 0)]


def test_custom_layer_compiles_through_lowering():
    class Swap(Layer):
        __slots__ = ()

        def lower(self, n):
            return (Linear(np.eye(n, dtype=np.int64)[::-1]),)

    net = Network([Linear([[1, 0], [1, 1]]), Swap(), ReLU(), Linear([[1, -1]])])
    f = tropicalize(net)
    X = np.array([[F(1), F(-2)], [F(3), F(5)]], dtype=object)
    assert f.evaluate(X).tolist() == net(X).tolist()


def test_variable_names_and_repr():
    f = tropicalize(Network.from_arrays([[[1, -1]]], [[0]]), variables=["u", "v"])
    assert f.variables == ("u", "v")
    assert "u" in str(f[0])


# ------------------------------------------------------------------ bad input
def test_bad_input():
    with pytest.raises(TypeError, match="Network"):
        tropicalize([[1.0]])
    net = random_mlp([2, 3, 1])
    with pytest.raises(TypeError, match="simplify"):
        tropicalize(net, simplify="yes")
    with pytest.raises(ValueError, match="max_monomials"):
        tropicalize(net, max_monomials=0)
    with pytest.raises(MemoryError, match="max_monomials=4.*simplify=True"):
        tropicalize(random_mlp([2, 5, 5, 1]), simplify=False, max_monomials=4)


def _monomials(p):
    return sorted(zip(map(tuple, p.exponents.tolist()), p.coefficients.tolist()))


def _pruned_expansion(net):
    """The simplified forms by the other algorithm: the full expansion, pruned to its exact
    upper-hull vertices (what the compiler returned before it read the forms off the cells)."""
    from tropnet.kernels import poly as K

    full = tropicalize(net, simplify=False, exact=True, max_monomials=20_000)
    out = []
    for r in full:
        pair = []
        for p in (r.numerator, r.denominator):
            E, c = K.prune(p.exponents, p.coefficients)
            pair.append(sorted(zip(map(tuple, E.tolist()), c.tolist())))
        out.append(pair)
    return out


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_cell_forms_equal_pruned_expansion(seed):
    """The simplified forms (read off the activation cells) have exactly the monomials of the
    pruned full expansion, on random networks of every layer type and on degenerate ones."""
    nets = (random_network(seed, exact=True), degenerate_vertices_net(seed, d=2, w=2), random_mlp([2, 3, 3, 1], seed=seed))
    for net in nets:
        try:
            want = _pruned_expansion(net)
        except MemoryError:
            continue
        got = tropicalize(net, exact=True)
        assert [[_monomials(r.numerator), _monomials(r.denominator)] for r in got] == want


def test_per_unit_and_partial_activations():
    """Per-unit thresholds go through the cell route (as ``t + max(z - t, 0)``); activations on
    some units (graph networks) through the pruned expansion: both give the pruned expansion's
    monomials and the network's values."""
    rng = np.random.default_rng(5)
    W1 = rng.integers(-3, 4, size=(4, 2))
    W2 = rng.integers(-3, 4, size=(2, 4))
    X = np.array([[F(int(a), 3), F(int(b), 5)] for a, b in rng.integers(-20, 21, size=(12, 2))], dtype=object)
    for act in (Threshold([F(1, 2), 0, -1, F(3, 2)]), ReLU(), Threshold(0, units=[1, 3]),
                LeakyReLU([F(1, 4), F(1, 2)], units=[0, 2])):
        net = Network([Linear(W1, [1, -1, 0, 2]), act, Linear(W2, [0, 1]), ReLU(), Linear([[1, -2]], [0])])
        got = tropicalize(net, exact=True)
        assert got.evaluate(X).tolist() == net(X).tolist()
        assert [[_monomials(r.numerator), _monomials(r.denominator)] for r in got] == _pruned_expansion(net)


def test_limits_name_what_was_reached():
    from tropnet.compiler import CompileLimitError

    net = random_mlp([3, 8, 8, 1], seed=0)
    with pytest.raises(CompileLimitError, match="max_monomials=50") as err:
        tropicalize(net, max_monomials=50)
    assert err.value.limit == "max_monomials" and isinstance(err.value, MemoryError)
    with pytest.raises(CompileLimitError, match="max_memory=1000") as err:
        tropicalize(net, max_memory=1000)
    assert err.value.limit == "max_memory" and err.value.reached["bytes"] > 1000
    with pytest.raises(CompileLimitError, match="max_seconds") as err:
        tropicalize(net, simplify=False, max_seconds=1e-9)
    assert err.value.reached["seconds"] > 0
    for bad in (0, -1.0, "1", True):
        with pytest.raises(ValueError, match="max_seconds"):
            tropicalize(net, max_seconds=bad)
        with pytest.raises(ValueError, match="max_memory"):
            tropicalize(net, max_memory=bad)
    with pytest.raises(TypeError, match="progress"):
        tropicalize(net, progress="yes")


def test_activation_first_and_mode_switches():
    net = Network([ReLU(), Linear([[1, -1]], [F(1, 2)]), LeakyReLU(0.25), Linear([[3]])], input_dim=2)
    assert not net.exact  # the float alpha
    X = np.array([[F(-1), F(2)], [F(3), F(1, 3)], [F(5, 2), F(-4)]], dtype=object)
    exact = tropicalize(net, exact=True)
    assert exact.is_exact
    assert exact.evaluate(X).tolist() == net.to_exact()(X).tolist()
    flt = tropicalize(net.to_exact(), exact=False)
    assert not flt.is_exact
    np.testing.assert_allclose(flt.evaluate(X.astype(float)), net(X.astype(float)), rtol=1e-12)


def test_identity_network():
    f = tropicalize(Network([Identity()], input_dim=2))
    assert f([F(1, 2), F(-3)]).tolist() == [F(1, 2), F(-3)]


@pytest.mark.parametrize("limit, value", [("max_seconds", 1e-9), ("max_memory", 1000)])
def test_limits_hold_while_the_cells_are_enumerated(limit, value):
    # the simplified compile spends its time enumerating R^n's activation cells (16 inputs: the
    # H-representation engine); time and memory limits stop that enumeration, not only later steps
    from tropnet.compiler import CompileLimitError

    with pytest.raises(CompileLimitError, match=f"enumerating the activation cells of R\\^16: passed {limit}") as err:
        tropicalize(random_mlp([16, 12, 12, 1], seed=0), **{limit: value})
    assert err.value.limit == limit and err.value.reached["layer"] == -1
    assert {"cells", "seconds", "bytes"} <= set(err.value.reached)
