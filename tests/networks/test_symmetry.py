"""Parameter-space symmetry: known counts, orbit invariants, canonical forms, alignment."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet import (
    AvgPool2d,
    Box,
    Conv1d,
    Conv2d,
    Flatten,
    GroupMax,
    LeakyReLU,
    Linear,
    Maxout,
    MaxPool1d,
    MaxPool2d,
    Network,
    ReLU,
    Threshold,
    align,
    canonical_form,
    count_linear_regions,
    equivalent,
    equivalent_parameter_count,
    interpolate,
    permute_hidden,
    random_equivalent,
    random_mlp,
    region_path,
    same_function,
)
from tropnet.networks.symmetry import hidden_layers


# ------------------------------------------------------------------ networks of every kind
def dense(seed=0):
    return random_mlp([3, 5, 4, 2], seed=seed)


def leaky(seed=0):
    rng = np.random.default_rng(seed)
    return Network(
        [
            Linear(rng.normal(size=(5, 3)), rng.normal(size=5)),
            LeakyReLU(0.1),
            Linear(rng.normal(size=(4, 5)), rng.normal(size=4)),
            LeakyReLU(0.25),
            Linear(rng.normal(size=(2, 4)), rng.normal(size=2)),
        ]
    )


def maxout(seed=0):
    rng = np.random.default_rng(seed)
    return Network(
        [
            Linear(rng.normal(size=(6, 3)), rng.normal(size=6)),
            Maxout(2),
            Linear(rng.normal(size=(6, 3)), rng.normal(size=6)),
            Maxout(3),
            Linear(rng.normal(size=(1, 2)), rng.normal(size=1)),
        ]
    )


def conv(seed=0):
    rng = np.random.default_rng(seed)
    return Network(
        [
            Conv2d(rng.normal(size=(4, 1, 2, 2)), rng.normal(size=4), input_shape=(1, 4, 4), padding=1),
            ReLU(),
            MaxPool2d(2, input_shape=(4, 5, 5)),
            Conv2d(rng.normal(size=(6, 2, 2, 2)), rng.normal(size=6), input_shape=(4, 2, 2), groups=2),
            ReLU(),
            Flatten(),
            Linear(rng.normal(size=(2, 6)), rng.normal(size=2)),
        ]
    )


def conv1d(seed=0):
    rng = np.random.default_rng(seed)
    return Network(
        [
            Conv1d(rng.normal(size=(3, 2, 3)), rng.normal(size=3), input_shape=(2, 6), stride=2, padding=1),
            LeakyReLU(0.2),
            Conv1d(rng.normal(size=(4, 3, 2)), rng.normal(size=4), input_shape=(3, 3)),
            ReLU(),
            AvgPool2d((1, 2), input_shape=(4, 1, 2)),
            Linear(rng.normal(size=(1, 4)), rng.normal(size=1)),
        ]
    )


def deepsets_net(seed=0):
    from tropnet.networks.equivariant import EquivariantLinear, SumPool

    rng = np.random.default_rng(seed)
    return Network(
        [
            EquivariantLinear(4, 1, 3, seed=seed),
            ReLU(),
            EquivariantLinear(4, 3, 2, seed=seed + 1),
            ReLU(),
            SumPool(2),
            Linear(rng.normal(size=(2, 2)), rng.normal(size=2)),
        ]
    )


def deepsets_flat(seed=0):
    """A DeepSets layer read by a Linear without pooling (element-major columns)."""
    from tropnet.networks.equivariant import EquivariantLinear

    rng = np.random.default_rng(seed)
    return Network([EquivariantLinear(3, 2, 3, seed=seed), LeakyReLU(0.1), Linear(rng.normal(size=(2, 9)))])


KINDS = {
    "dense": dense,
    "leaky": leaky,
    "maxout": maxout,
    "conv": conv,
    "conv1d": conv1d,
    "deepsets": deepsets_net,
    "deepsets_flat": deepsets_flat,
}


def params(net):
    """(weights, bias) of every affine layer; a DeepSets layer's weights are its dense matrix."""
    out = []
    for layer in net.layers:
        if hasattr(layer, "weight_matrix"):
            out.append((layer.weight_matrix(), layer.bias))
        elif hasattr(layer, "weight"):
            out.append((layer.weight, layer.bias))
    return out


def same_params(a, b, tol=1e-12):
    pa, pb = params(a), params(b)
    assert len(pa) == len(pb) and len(pa) == sum(1 for layer in a.layers if layer.num_parameters)
    return all(
        np.allclose(np.asarray(wa, float), np.asarray(wb, float), atol=tol, rtol=0)
        and np.allclose(np.asarray(ba, float), np.asarray(bb, float), atol=tol, rtol=0)
        for (wa, ba), (wb, bb) in zip(pa, pb)
    )


def points(net, k=20, seed=9):
    return np.random.default_rng(seed).normal(size=(k, net.input_dim)) * 3


# ------------------------------------------------------------------ known answers
def test_michelucci_count_10_10_10():
    count = equivalent_parameter_count(random_mlp([4, 10, 10, 10, 1]))
    assert count.architecture == math.factorial(10) ** 3 == 47784725839872000000
    assert count.orbit == count.architecture  # generic weights: trivial stabiliser
    assert isinstance(count.architecture, int)


def test_count_2_3():
    assert equivalent_parameter_count(random_mlp([2, 2, 3, 1])) == (12, 12)


def test_two_identical_neurons_of_three():
    w1 = [[1, 2], [1, 2], [3, -1]]
    net = Network.from_arrays([w1, [[5, 5, 1]]], [[1, 1, 0], [0]])
    assert equivalent_parameter_count(net) == (6, 3)
    # identical incoming but different outgoing weights: no stabiliser
    net2 = Network.from_arrays([w1, [[5, 4, 1]]], [[1, 1, 0], [0]])
    assert equivalent_parameter_count(net2) == (6, 6)


def test_coupled_ties_known_answer():
    # the two first-layer units are twins on the input side only; swapping them together with
    # the two second-layer units maps [[1, 2], [2, 1]] to itself: |Stab| = 2, not 1
    net = Network.from_arrays([[[1, 0], [1, 0]], [[1, 2], [2, 1]], [[1, 1]]])
    assert equivalent_parameter_count(net) == (4, 2)


def _brute_stabiliser(net, widths):
    perms = itertools.product(*[itertools.permutations(range(w)) for w in widths])
    return sum(permute_hidden(net, [np.array(p) for p in ps]) == net for ps in perms)


def _degenerate_net(seed, out_low):
    rng = np.random.default_rng(seed)
    w = [rng.integers(0, 2, (3, 2)), rng.integers(-1, 2, (3, 3)), rng.integers(out_low, 3, (1, 3))]
    b = [rng.integers(0, 2, 3), rng.integers(0, 2, 3), [0]]
    return Network.from_arrays(w, b)


@given(seed=st.integers(0, 10**6))
def test_orbit_size_against_brute_force(seed):
    net = _degenerate_net(seed, 0)  # 0/±1 weights: twins, dead units, coupled ties
    count = equivalent_parameter_count(net)
    assert count.architecture == 36
    assert count.architecture == count.orbit * _brute_stabiliser(net, [3, 3])


@given(seed=st.integers(0, 10**6))
def test_canonical_form_exact_at_degenerate_points(seed):
    # output weights nonzero, so no "inert chain" (see canonical_form)
    net = _degenerate_net(seed, 1)
    other = random_equivalent(net, seed=seed, rescale=True)
    assert canonical_form(other) == canonical_form(net)
    assert equivalent(net, other)
    assert canonical_form(permute_hidden(net, [np.array([2, 0, 1]), np.array([1, 2, 0])]), rescale=False) == (
        canonical_form(net, rescale=False)
    )


def test_deepsets_counts_channels():
    # hidden channels 3 and 2 of the DeepSets layers: 3! 2!, whatever the number of elements
    assert equivalent_parameter_count(deepsets_net()).architecture == 12
    assert [h["units"] for h in hidden_layers(deepsets_net())] == [3, 2]


def test_maxout_and_grouped_conv_counts():
    # Maxout(2) over 6 units: 3! * (2!)^3; Maxout(3) over 6: 2! * (3!)^2
    assert equivalent_parameter_count(maxout()).architecture == 48 * 72
    # conv(): 4 channels, consumer has groups=2 (blocks of 2): 2! 2!; 6 filters of groups 2: 3! 3!
    assert equivalent_parameter_count(conv()).architecture == 4 * 36
    assert [h["kind"] for h in hidden_layers(conv())] == ["conv", "conv"]


def test_maxout_identical_rows_in_a_group():
    w = [[1, 0], [1, 0], [0, 1], [2, 1]]
    net = Network([Linear(w, [0, 0, 0, 0]), Maxout(2), Linear([[1, 1]], [0])])
    # within group 0 the two rows are equal: |Stab| = 2
    assert equivalent_parameter_count(net) == (8, 4)


# ------------------------------------------------------------------ orbit invariants
@pytest.mark.parametrize("kind", sorted(KINDS))
@given(seed=st.integers(0, 10**6))
def test_orbit_preserves_function_and_canonical_form(kind, seed):
    net = KINDS[kind](seed % 7)
    x = points(net)
    for rescale in (False, True):
        other = random_equivalent(net, seed=seed, rescale=rescale)
        assert np.allclose(other(x), net(x), rtol=1e-10, atol=1e-10)
        assert same_params(canonical_form(other), canonical_form(net), tol=1e-9)
        assert equivalent(net, other)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_perturbed_copy_is_not_equivalent(kind):
    net = KINDS[kind](1)
    layer = next(i for i, layer in enumerate(net.layers) if hasattr(layer, "weight"))
    w = np.array(net.layers[layer].weight, dtype=float)
    w.flat[0] += 1e-4
    layers = list(net.layers)
    old = layers[layer]
    layers[layer] = Linear(w, old.bias) if type(old) is Linear else old._replace(w, old.bias)
    pert = Network(layers, net.input_dim)
    assert not equivalent(net, random_equivalent(pert, seed=3, rescale=True))


def test_rescale_false_rejects_rescaled_copy():
    net = dense()
    other = random_equivalent(net, seed=2, rescale=True)
    assert equivalent(net, other) and not equivalent(net, other, rescale=False)


def test_exact_orbit_is_exact():
    net = dense().to_exact()
    other = random_equivalent(net, seed=4, rescale=True)
    assert other.exact
    x = np.array([[Fraction(1, 3), Fraction(-2), Fraction(5, 7)]], dtype=object)
    assert (other(x) == net(x)).all()
    assert canonical_form(other) == canonical_form(net)
    assert equivalent(net, other)
    w = net.layers[2].weight.copy()
    w[0, 0] += Fraction(1, 10**30)
    near = Network([net.layers[0], net.layers[1], Linear(w, net.layers[2].bias), *net.layers[3:]])
    assert not equivalent(net, near)  # exact: a 1e-30 change is a different point


def test_permute_hidden_explicit():
    net = dense()
    p = [np.array([4, 0, 1, 3, 2]), np.array([3, 2, 1, 0])]
    out = permute_hidden(net, p)
    assert np.array_equal(out.layers[0].weight, net.layers[0].weight[p[0]])
    assert np.array_equal(out.layers[2].weight, net.layers[2].weight[p[1]][:, p[0]])
    assert np.array_equal(out.layers[4].weight, net.layers[4].weight[:, p[1]])
    assert np.allclose(out(points(net)), net(points(net)))
    assert permute_hidden(net, [None, None]) == net


def test_conv_channel_permutation_moves_filters():
    net = conv()
    p0 = np.array([1, 0, 3, 2])  # inside the consumer's channel groups
    out = permute_hidden(net, [p0, None])
    assert np.array_equal(out.layers[0].weight, net.layers[0].weight[p0])
    assert np.allclose(out(points(net)), net(points(net)))


# ------------------------------------------------------------------ alignment
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_align_recovers_permuted_copy(kind, seed):
    net = KINDS[kind](seed)
    back, perms = align(net, random_equivalent(net, seed=seed + 10))
    assert same_params(back, net)
    back, perms = align(net, random_equivalent(net, seed=seed + 10, rescale=True), rescale=True)
    assert same_params(back, net, tol=1e-9)


def test_align_wide_mlp():
    net = random_mlp([20, 64, 64, 5], seed=3)
    other = random_equivalent(net, seed=1)
    back, perms = align(net, other)
    assert same_params(back, net)
    assert permute_hidden(other, perms) == back


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_align_activations_every_kind(kind):
    net = KINDS[kind](1)
    data = np.random.default_rng(0).normal(size=(400, net.input_dim))
    back, _ = align(net, random_equivalent(net, seed=5), method="activations", data=data)
    assert same_params(back, net)


def test_align_bad_method_and_missing_data():
    net = dense()
    with pytest.raises(ValueError, match="method"):
        align(net, net, method="graph")
    with pytest.raises(ValueError, match="data="):
        align(net, net, method="activations")


def test_align_activations():
    net = random_mlp([3, 12, 10, 1], seed=5)
    other = random_equivalent(net, seed=6)
    data = np.random.default_rng(0).normal(size=(500, 3))
    back, _ = align(net, other, method="activations", data=data)
    assert same_params(back, net)
    x = points(net)
    assert np.allclose(back(x), other(x))


def test_align_reduces_weight_distance_of_independent_nets():
    a, b = random_mlp([4, 32, 32, 1], seed=1), random_mlp([4, 32, 32, 1], seed=2)
    back, _ = align(a, b)

    def dist(u, v):
        pairs = zip(params(u), params(v))
        return sum(np.sum((wu - wv) ** 2) + np.sum((bu - bv) ** 2) for (wu, bu), (wv, bv) in pairs)

    assert dist(a, back) < dist(a, b)
    assert np.allclose(back(points(a)), b(points(a)))


# ------------------------------------------------------------------ interpolation
def test_interpolate_endpoints_and_exactness():
    a, b = dense(1).to_exact(), dense(2).to_exact()
    assert interpolate(a, b, 0) == a and interpolate(a, b, 1) == b
    mid = interpolate(a, b, Fraction(1, 2))
    assert mid.exact
    assert mid.layers[0].weight[0, 0] == (a.layers[0].weight[0, 0] + b.layers[0].weight[0, 0]) / 2
    assert not interpolate(a, b, 0.5).exact


def test_interpolate_along_orbit_endpoints_same_function():
    net = conv(3)
    other = random_equivalent(net, seed=1)
    x = points(net)
    assert np.allclose(interpolate(net, other, 1.0)(x), net(x))


# ------------------------------------------------------------------ bad input
def test_bad_permutations():
    net = dense()
    with pytest.raises(ValueError, match="2 hidden layers"):
        permute_hidden(net, [np.arange(5)])
    with pytest.raises(ValueError, match="length 5"):
        permute_hidden(net, [np.arange(4), np.arange(4)])
    with pytest.raises(ValueError, match="not a permutation"):
        permute_hidden(net, [np.array([0, 0, 1, 2, 3]), np.arange(4)])
    with pytest.raises(TypeError, match="integers"):
        permute_hidden(net, [np.arange(5.0), np.arange(4)])
    with pytest.raises(TypeError, match="sequence"):
        permute_hidden(net, "01234")
    with pytest.raises(ValueError, match="Maxout"):
        permute_hidden(maxout(), [np.array([0, 2, 1, 3, 4, 5]), None])
    with pytest.raises(ValueError, match="groups"):
        permute_hidden(conv(), [np.array([2, 1, 0, 3]), None])


def test_different_architectures():
    a, b = random_mlp([3, 5, 1]), random_mlp([3, 6, 1])
    for fn in (equivalent, align, lambda u, v: interpolate(u, v, 0.5)):
        with pytest.raises(ValueError, match="layer 0"):
            fn(a, b)
    with pytest.raises(ValueError, match="same architecture"):
        equivalent(a, random_mlp([3, 5, 5, 1]))
    c = Network([Linear(np.ones((5, 3))), LeakyReLU(0.1), Linear(np.ones((1, 5)))])
    with pytest.raises(ValueError, match="layer 1"):
        interpolate(a, c, 0.5)
    with pytest.raises(TypeError, match="not a tropnet Network"):
        equivalent(a, "net")


def test_unknown_symmetry_names_the_layer():
    net = Network([Linear(np.ones((4, 2))), MaxPool1d(2), Linear(np.ones((1, 2)))])
    with pytest.raises(TypeError, match=r"layer 1 \(MaxPool1d\)"):
        equivalent_parameter_count(net)
    net = Network([Linear(np.ones((4, 2))), GroupMax([[0, 1], [2, 3]]), Linear(np.ones((1, 2)))])
    with pytest.raises(TypeError, match="GroupMax"):
        random_equivalent(net)


def test_threshold_blocks_rescaling_only():
    net = Network([Linear(np.eye(2) * 2.0, [1.0, -1.0]), Threshold(0.5), Linear([[1.0, -3.0]])])
    assert hidden_layers(net)[0]["rescalable"] is False
    other = random_equivalent(net, seed=1, rescale=True)
    assert np.allclose(other(points(net)), net(points(net)))


def test_bad_t():
    a, b = dense(1), dense(2)
    for t in ("0.5", None, [0.5], True):
        with pytest.raises(TypeError, match="t must be a real number"):
            interpolate(a, b, t)
    with pytest.raises(ValueError, match="NaN"):
        interpolate(a, b, float("nan"))


# ------------------------------------------------------------------ same function (exact)
def small(kind, seed=0):
    """Small networks of every kind, cheap to compile exactly."""
    rng = np.random.default_rng(seed)
    if kind == "dense":
        return random_mlp([2, 3, 3, 1], seed=seed)
    if kind == "leaky":
        return Network(
            [
                Linear(rng.normal(size=(3, 2)), rng.normal(size=3)),
                LeakyReLU(0.25),
                Linear(rng.normal(size=(1, 3)), rng.normal(size=1)),
            ]
        )
    if kind == "deepsets":
        from tropnet.networks.equivariant import EquivariantLinear, SumPool

        return Network(
            [EquivariantLinear(3, 1, 2, seed=seed), ReLU(), SumPool(2), Linear(rng.normal(size=(1, 2)))]
        )
    if kind == "maxout":
        return Network(
            [
                Linear(rng.normal(size=(4, 2)), rng.normal(size=4)),
                Maxout(2),
                Linear(rng.normal(size=(1, 2)), rng.normal(size=1)),
            ]
        )
    return Network(
        [
            Conv1d(rng.normal(size=(3, 1, 2)), rng.normal(size=3), input_shape=(1, 3)),
            ReLU(),
            MaxPool2d((1, 2), input_shape=(3, 1, 2)),
            Flatten(),
            Linear(rng.normal(size=(1, 3))),
        ]
    )


@pytest.mark.parametrize("kind", ["dense", "leaky", "maxout", "conv", "deepsets"])
def test_same_function_on_orbit_and_witness_off_it(kind):
    from tropnet.compiler import tropicalize

    net = small(kind)
    perm = random_equivalent(net, seed=1)
    assert same_function(net, perm)  # recognised from canonical forms
    assert same_function(tropicalize(net.to_exact()), perm)  # decided on the tropical forms
    exact = net.to_exact()
    rescaled = random_equivalent(exact, seed=2, rescale=True)
    assert same_function(exact, rescaled)
    assert same_function(tropicalize(exact), rescaled)
    last = net.layers[-1]
    pert = Network(
        [*net.layers[:-1], Linear(last.weight, np.asarray(last.bias, float) + 1e-3)], net.input_dim
    )
    r = same_function(net, pert)
    assert not r and r.witness is not None
    xe = np.array([Fraction(v) for v in r.witness], dtype=object)
    assert (net.to_exact()(xe) != pert.to_exact()(xe)).any()  # the witness is real


@pytest.mark.parametrize("kind", ["dense", "leaky", "maxout", "conv", "deepsets"])
def test_same_function_by_region_enumeration(kind):
    from tropnet.networks.symmetry.slots import _params, _with_params
    from tropnet.studies.same_function import _difference_network, _same_by_regions

    def eighths(net):  # exact weights with small denominators keep the certified enumeration cheap
        layers = [
            _with_params(
                layer,
                [
                    np.vectorize(lambda v: Fraction(round(8 * float(v)), 8), otypes=[object])(p)
                    for p in _params(layer)
                ],
            )
            if _params(layer)
            else layer.to_exact()
            for layer in net.layers
        ]
        return Network(layers, net.input_dim)

    net = eighths(small(kind))
    third = eighths(small(kind, seed=5))
    x = points(net)
    diff = _difference_network(net, third)
    assert np.allclose(diff.to_float()(x), net(x) - third(x))
    assert _same_by_regions(net, random_equivalent(net, seed=1), Box(-3, 3))
    assert _same_by_regions(net, random_equivalent(net, seed=1, rescale=True), Box(-2, 2))
    r = _same_by_regions(net, third, None)
    assert not r and (r.values[0] != r.values[1]).any()


def test_same_function_beyond_permutations():
    absx = Network.from_arrays([[[1], [-1]], [[1, 1]]])
    # an extra unit read with weight 0; a dead unit (never positive); a unit split in two halves
    zero_out = Network.from_arrays([[[1], [-1], [3]], [[1, 1, 0]]])
    dead = Network.from_arrays([[[1], [-1], [0]], [[1, 1, 5]]], [[0, 0, -1], [0]])
    split = Network.from_arrays([[[1], [1], [-1]], [[Fraction(1, 2), Fraction(1, 2), 1]]])
    # a deeper network: relu(relu(h)) = relu(h) for h >= 0
    deeper = Network([absx.layers[0], ReLU(), Linear(np.eye(2, dtype=np.int64)), ReLU(), absx.layers[2]])
    for other in (zero_out, dead, split, deeper):
        assert same_function(absx, other)
        assert same_function(absx, other, method="regions")
    assert not same_function(absx, Network.from_arrays([[[1], [-1]], [[1, 1]]], [[0, 0], [1]]))


def test_same_function_on_a_domain():
    a = Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])  # relu(x) + relu(y)
    b = Network.from_arrays([[[1, 0], [0, 1], [1, 1]], [[1, 1, 2]]], [[0, 0, -5], [0]])  # + 2 relu(x + y - 5)
    assert same_function(a, b, domain=Box(-2, 2))
    r = same_function(a, b)
    assert not r and r.witness.sum() > 5
    r = same_function(a, b, domain=Box(0, 4))
    assert not r and Box(0, 4).bounds(2)[0][0] <= r.witness.min() and r.witness.max() <= 4


def test_same_function_tropical_objects():
    from tropnet.algebra.polynomial import variables

    x, y = variables("x y")
    assert same_function(x + y + 0 + x * y, (x + 0) * (y + 0))
    r = same_function(x * y + x + 0, x * y + 0)
    assert not r and r.values[0] != r.values[1]


def test_same_function_bad_input():
    with pytest.raises(ValueError, match="method"):
        same_function(random_mlp([2, 3, 1]), random_mlp([2, 3, 1]), method="sampling")
    with pytest.raises(ValueError, match="regions"):
        same_function(random_mlp([2, 3, 1]), random_mlp([2, 3, 1]), Box(-1, 1), method="tropical")
    with pytest.raises(ValueError, match="R\\^2"):
        same_function(random_mlp([2, 3, 1]), random_mlp([3, 3, 1]))
    with pytest.raises(TypeError, match="expected a Network"):
        same_function(random_mlp([2, 3, 1]), "f")


# ------------------------------------------------------------------ region path
def test_region_path_orbit_and_endpoints():
    a = random_mlp([2, 6, 6, 1], seed=0)
    b = random_equivalent(a, seed=3)
    x = np.random.default_rng(0).normal(size=(50, 2))
    path = region_path(a, b, Box(-3, 3), steps=5, data=(x, a(x)))
    n_a = count_linear_regions(a, Box(-3, 3))
    assert path.t.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert path.regions[0] == path.regions[-1] == n_a
    assert (path.regions_aligned == n_a).all()  # aligned: the path stays at a
    assert path.loss[0] == 0 and np.allclose(path.loss_aligned, 0)
    assert path.loss[2] > 0  # the midpoint of the unaligned path is another function


def test_region_path_exact_and_custom_loss():
    a, b = random_mlp([2, 3, 1], seed=1).to_exact(), random_mlp([2, 3, 1], seed=2).to_exact()
    x = np.random.default_rng(0).normal(size=(10, 2))
    path = region_path(
        a,
        b,
        Box(-2, 2),
        steps=3,
        align=False,
        data=(x, np.zeros(10)),
        loss=lambda out, y: np.abs(out - y).max(),
    )
    assert path.regions_aligned is None and path.loss.shape == (3,)
    assert path.regions[1] == count_linear_regions(interpolate(a, b, Fraction(1, 2)), Box(-2, 2))
    with pytest.raises(ValueError, match="steps"):
        region_path(a, b, Box(-2, 2), steps=1)
    with pytest.raises(TypeError, match="loss"):
        region_path(a, b, Box(-2, 2), data=(x, x), loss="mse")
    with pytest.raises(ValueError, match="align"):
        region_path(a, b, Box(-2, 2), align="graph")
    with pytest.raises(ValueError, match="data"):
        region_path(a, b, Box(-2, 2), align="activations")
    path = region_path(
        a, random_equivalent(a, seed=3), Box(-2, 2), steps=3, align="activations", data=(x, np.zeros(10))
    )
    assert len(set(path.regions_aligned.tolist())) == 1  # matched back onto a: a constant path


# ------------------------------------------------------------------ algebraic laws
@pytest.mark.parametrize("kind", sorted(KINDS))
@given(seed=st.integers(0, 10**6))
def test_group_action_law_and_idempotent_canonical_form(kind, seed):
    net = KINDS[kind](seed % 3).to_exact()
    slots = hidden_layers(net)
    rng = np.random.default_rng(seed)

    def random_perms():
        # permutations inside the allowed group: read them off random orbit points
        return [np.asarray(p) for p in align(net, random_equivalent(net, seed=int(rng.integers(10**6))))[1]]

    p, q = random_perms(), random_perms()
    assert len(p) == len(slots)
    once = permute_hidden(permute_hidden(net, p), q)
    assert once == permute_hidden(net, [pp[qq] for pp, qq in zip(p, q)])  # (x.p).q = x.(p o q)
    canon = canonical_form(once)
    assert canonical_form(canon) == canon == canonical_form(net)


@given(seed=st.integers(0, 10**6))
def test_canonical_form_exact_for_degenerate_maxout(seed):
    rng = np.random.default_rng(seed)
    net = Network(
        [
            Linear(rng.integers(0, 2, (6, 2)), rng.integers(0, 2, 6)),
            Maxout(2),
            Linear(rng.integers(-1, 2, (2, 3)), rng.integers(0, 2, 2)),
            ReLU(),
            Linear(rng.integers(1, 3, (1, 2))),
        ]
    )
    other = random_equivalent(net, seed=seed, rescale=True)
    assert canonical_form(other) == canonical_form(net)
    assert equivalent(net, other)


def _maxout_group(m, k):
    """All permutations of m groups of k units that keep the groups (the wreath product)."""
    out = []
    for groups in itertools.permutations(range(m)):
        for inner in itertools.product(*[list(itertools.permutations(range(k)))] * m):
            out.append(np.concatenate([g * k + np.array(p) for g, p in zip(groups, inner)]))
    return out


@given(seed=st.integers(0, 10**6))
def test_maxout_orbit_size_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    net = Network(
        [
            Linear(rng.integers(0, 2, (4, 2)), rng.integers(0, 2, 4)),
            Maxout(2),
            Linear(rng.integers(-1, 2, (3, 2)), rng.integers(0, 2, 3)),
            ReLU(),
            Linear(rng.integers(0, 2, (1, 3))),
        ]
    )
    group = list(itertools.product(_maxout_group(2, 2), itertools.permutations(range(3))))
    stab = sum(permute_hidden(net, [p, np.array(q)]) == net for p, q in group)
    count = equivalent_parameter_count(net)
    assert count.architecture == len(group) == 48
    assert count.architecture == count.orbit * stab


def test_random_equivalent_float_rescaling_is_exact():
    # issue 18: e^u factors rounded (6e-17 on this network) so same_function rightly said False
    import tropnet
    from tropnet import random_equivalent, same_function

    net = tropnet.random_mlp([3, 6, 5, 1], seed=4)
    for seed in range(3):
        other = random_equivalent(net, seed=seed, rescale=True)
        assert same_function(net, other).equal
        x = np.random.default_rng(seed).normal(size=(20, 3))
        assert np.array_equal(other(x), net(x)) or np.allclose(other(x), net(x), rtol=0, atol=1e-15)


# ------------------------------------------------------------------ graph networks (issue 16)
def residual_mlp(seed=0, exact=False):
    """x -> L0 -> Residual(L1, ReLU, L2, ReLU, L3) -> ReLU -> L4: slots L1|L2 and L2|L3 (inside
    the branch); the 4 units of the residual stream meet the Add and stay fixed."""
    from tropnet import Residual

    rng = np.random.default_rng(seed)

    def lin(o, i):
        if exact:
            return Linear(rng.integers(-5, 6, size=(o, i)), rng.integers(-5, 6, size=o))
        return Linear(rng.normal(size=(o, i)), rng.normal(size=o))

    block = Residual([lin(5, 4), ReLU(), lin(3, 5), ReLU(), lin(4, 3)])
    return Network([lin(4, 2), block, ReLU(), lin(1, 4)])


def residual_cnn(seed=0):
    """Conv -> ReLU -> Residual(Conv, ReLU, Conv) -> ReLU -> Flatten -> Linear: the slot is the
    3 channels inside the branch."""
    from tropnet import Residual

    rng = np.random.default_rng(seed)
    c0 = Conv2d(rng.normal(size=(2, 1, 2, 2)), rng.normal(size=2), input_shape=(1, 4, 4), padding=1)
    c1 = Conv2d(rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), input_shape=(2, 5, 5), padding=1)
    c2 = Conv2d(rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2), input_shape=(3, 5, 5), padding=1)
    return Network([c0, ReLU(), Residual([c1, ReLU(), c2]), ReLU(), Flatten(), Linear(rng.normal(size=(2, 50)))])


def test_graph_hidden_layers_are_the_branch_units():
    net = residual_mlp()
    assert [(h["layer"], h["units"]) for h in hidden_layers(net)] == [((1, "f0"), 5), ((1, "f2"), 3)]
    assert equivalent_parameter_count(net) == (math.factorial(5) * math.factorial(3),) * 2
    assert [(h["layer"], h["units"], h["kind"]) for h in hidden_layers(residual_cnn())] == [((2, "f0"), 3, "conv")]


def test_graph_orbit_same_function_exact():
    net = residual_mlp(exact=True)
    x = np.array([[Fraction(int(a), 7) for a in r] for r in np.random.default_rng(1).integers(-30, 30, (30, 2))])
    for seed in range(3):
        other = random_equivalent(net, seed=seed, rescale=True)
        assert other.exact and other != net
        assert (other(x) == net(x)).all()
        assert canonical_form(other) == canonical_form(net)
        assert equivalent(net, other)


@pytest.mark.parametrize("make", [residual_mlp, residual_cnn])
def test_graph_orbit_same_function_float(make):
    from tropnet import same_function

    net = make()
    for seed in range(2):
        other = random_equivalent(net, seed=seed, rescale=True)  # powers of two: nothing rounds
        x = points(net)
        assert np.allclose(other(x), net(x), rtol=0, atol=1e-12)
        assert equivalent(net, other)
        back, _ = align(net, other, rescale=True)
        assert equivalent(back, net) and np.allclose(back(x), net(x))
    if make is residual_mlp:  # decided by the compiler, independently of the canonical forms
        assert same_function(net, random_equivalent(net, seed=5, rescale=True)).equal
    assert not equivalent(net, make(seed=1))


def test_graph_permute_hidden_and_interpolate():
    net = residual_mlp(exact=True)
    moved = permute_hidden(net, [[1, 0, 2, 3, 4], None])
    f0 = moved.layers[1].layers[0]
    assert f0.weight.tolist() == net.layers[1].layers[0].weight[[1, 0, 2, 3, 4]].tolist()
    x = [[Fraction(1, 3), Fraction(-2)]]
    assert (moved(x) == net(x)).all()
    mid = interpolate(net, moved, Fraction(1, 2))
    assert isinstance(mid.layers[1], type(net.layers[1])) and mid.exact


def test_graph_align_activations_and_concat():
    from tropnet import Concat, Graph

    rng = np.random.default_rng(3)
    g = Graph(
        [
            ("a", Linear(rng.normal(size=(4, 2)), rng.normal(size=4)), "input"),
            ("r", ReLU(), "a"),
            ("b", Linear(rng.normal(size=(3, 4)), rng.normal(size=3)), "r"),
            ("c", Linear(rng.normal(size=(2, 2))), "input"),
            ("cat", Concat(), ("b", "c")),
        ]
    )
    net = Network([g, ReLU(), Linear(rng.normal(size=(1, 5)))])
    assert [h["layer"] for h in hidden_layers(net)] == [(0, "a")]  # b and c meet the Concat: fixed
    other = random_equivalent(net, seed=2)
    back, perms = align(net, other, method="activations", data=points(net, 200))
    assert equivalent(back, net) and np.allclose(back(points(net)), net(points(net)))


def test_graph_refusals_name_the_node():
    from tropnet import Residual

    net = Network([Residual([Linear(np.ones((4, 2))), GroupMax([[0, 1], [2, 3]]), Linear(np.ones((2, 2)))])])
    with pytest.raises(TypeError, match=r"layer 0, node 'f1' \(GroupMax\)"):
        random_equivalent(net)
    prelu = Network([Residual([Linear(np.ones((2, 2))), LeakyReLU([0.1, 0.2]), Linear(np.ones((2, 2)))])])
    with pytest.raises(TypeError, match="per-unit parameters"):
        hidden_layers(prelu)
    from tropnet import Residual

    net = residual_mlp()
    other = Network([net.layers[0], Residual([Linear(np.ones((5, 4))), ReLU(), Linear(np.ones((4, 5)))]),
                     *net.layers[2:]])
    with pytest.raises(ValueError, match="graph layers differ"):
        equivalent(net, other)
