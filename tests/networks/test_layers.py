"""Layers of the network IR: forward passes, lowering, validation, immutability."""

import pickle
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tropnet.networks.layers import (
    GroupMax,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    Maxout,
    MaxPool1d,
    ReLU,
    Threshold,
    as_batch,
)


def run_lowered(layer, z):
    for p in layer.lower(z.shape[1]):
        z = p.forward(z)
    return z


# ------------------------------------------------------------------ forward passes, known values
def test_linear_exact_and_float():
    lin = Linear([[1, F(1, 2)], [-2, 0]], [F(1, 3), 0])
    assert lin.exact
    z, _ = as_batch([2, 4], 2, exact=True)
    assert lin.forward(z).tolist() == [[F(13, 3), F(-4)]]
    out = lin.forward(np.array([[2.0, 4.0]]))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[4 + 1 / 3, -4.0]])


def test_threshold_relu_leaky_exact():
    z = np.array([[F(-3), F(1, 2), F(5)]], dtype=object)
    assert ReLU().forward(z).tolist() == [[0, F(1, 2), 5]]
    assert Threshold(1).forward(z).tolist() == [[1, 1, 5]]
    assert LeakyReLU(F(1, 4)).forward(z).tolist() == [[F(-3, 4), F(1, 2), 5]]
    assert all(isinstance(v, F) for v in LeakyReLU(F(1, 4)).forward(z).ravel())


def test_maxout_and_maxpool_values():
    z = np.array([[1.0, 5.0, -2.0, -3.0, 7.0, 0.0]])
    np.testing.assert_array_equal(Maxout(2).forward(z), [[5.0, -2.0, 7.0]])
    np.testing.assert_array_equal(Maxout(3).forward(z), [[5.0, 7.0]])
    np.testing.assert_array_equal(MaxPool1d(2).forward(z), [[5.0, -2.0, 7.0]])
    np.testing.assert_array_equal(MaxPool1d(3, 1).forward(z), [[5.0, 5.0, 7.0, 7.0]])
    assert MaxPool1d(3, 2).out_features(6) == 2


@given(
    n=st.integers(1, 8),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    seed=st.integers(0, 10**6),
)
def test_lowering_preserves_forward(n, k, s, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(5, n * k))
    for layer in (Maxout(k), MaxPool1d(k, s), ReLU(), LeakyReLU(0.3), Threshold(-0.2), Identity()):
        np.testing.assert_array_equal(run_lowered(layer, z), layer.forward(z))
        for p in layer.lower(n * k):
            assert isinstance(p, (Linear, Threshold, LeakyReLU, GroupMax))


class Negate(Layer):
    """A layer defined outside tropnet: only ``lower`` is implemented."""

    __slots__ = ("scale",)

    def __init__(self, scale):
        self._set(scale=scale)

    def lower(self, n):
        return (Linear(-self.scale * np.eye(n, dtype=np.int64)),)


def test_custom_layer_extension_point():
    layer = Negate(3)
    z = np.array([[F(1), F(-2)]], dtype=object)
    assert layer.forward(z).tolist() == [[-3, 6]]
    assert Negate(3) == Negate(3) and Negate(3) != Negate(2)
    assert pickle.loads(pickle.dumps(layer)) == layer


def test_layer_without_forward_or_lower_says_so():
    class Nothing(Layer):
        __slots__ = ()

    with pytest.raises(NotImplementedError, match="Nothing"):
        Nothing().forward(np.zeros((1, 2)))


# ------------------------------------------------------------------ equality, pickling, conversions
def test_pickle_round_trip_keeps_inherited_slots():
    for layer in (ReLU(), Threshold(F(1, 2)), LeakyReLU(0.1), Linear([[1.0, 2.0]]), Maxout(2),
                  MaxPool1d(2, 1), GroupMax([[0, 1]]), Identity()):
        back = pickle.loads(pickle.dumps(layer))
        assert back == layer
        assert repr(back) == repr(layer)
    assert pickle.loads(pickle.dumps(ReLU())).t == 0


def test_equality():
    assert Linear([[1, 2]], [0]) == Linear([[1, 2]], [0])
    assert Linear([[1, 2]], [0]) != Linear([[1, 3]], [0])
    assert Threshold(1) != Threshold(2)
    assert ReLU() != Threshold(0)  # different types
    assert LeakyReLU(F(1, 2)) == LeakyReLU(F(1, 2))


def test_to_exact_and_to_float():
    assert Threshold(0.5).to_exact().t == F(1, 2)
    assert Threshold(0.5).to_exact().exact
    assert LeakyReLU(0.25).to_exact().alpha == F(1, 4)
    assert LeakyReLU(F(1, 4)).to_float().alpha == 0.25
    assert not LeakyReLU(F(1, 4)).to_float().exact
    lin = Linear([[0.1]]).to_exact()
    assert lin.exact and lin.weight[0, 0] == F(0.1)  # the dyadic rational, not 1/10
    assert not Linear([[1]]).to_float().exact


def test_immutable():
    lin = Linear([[1.0]])
    with pytest.raises(AttributeError):
        lin.weight = None
    with pytest.raises(ValueError):
        lin.weight[0, 0] = 2.0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "make, err, match",
    [
        (lambda: Linear([[1.0, np.nan]]), ValueError, "NaN"),
        (lambda: Linear([[1.0, np.inf]]), ValueError, "infinite"),
        (lambda: Linear([[1.0]], [np.nan]), ValueError, "NaN"),
        (lambda: Linear([1.0, 2.0]), ValueError, "2-D"),
        (lambda: Linear(np.zeros((0, 2))), ValueError, "empty"),
        (lambda: Linear([[1.0, 2.0]], [1.0, 2.0]), ValueError, "bias"),
        (lambda: Linear([[1.0, 2.0], [1.0]]), ValueError, "ragged"),
        (lambda: Linear([["a", 1]]), TypeError, "not a number"),
        (lambda: LeakyReLU(1.0), ValueError, "alpha"),
        (lambda: LeakyReLU(-0.1), ValueError, "alpha"),
        (lambda: LeakyReLU(np.nan), ValueError, "NaN"),
        (lambda: Threshold(np.inf), ValueError, "infinite"),
        (lambda: Maxout(0), ValueError, "positive"),
        (lambda: Maxout(2.0), ValueError, "positive"),
        (lambda: MaxPool1d(0), ValueError, "kernel_size"),
        (lambda: GroupMax([[0, -1]]), ValueError, "negative"),
        (lambda: GroupMax([[0, 3]], 2), ValueError, "out of range"),
    ],
)
def test_bad_parameters(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_bad_widths():
    with pytest.raises(ValueError, match="multiple of 3"):
        Maxout(3).out_features(4)
    with pytest.raises(ValueError, match="wider"):
        MaxPool1d(5).out_features(3)
    with pytest.raises(ValueError, match="expects 2 inputs"):
        Linear([[1, 2]]).out_features(3)


def test_as_batch_validation():
    with pytest.raises(ValueError, match="features"):
        as_batch([1.0, 2.0, 3.0], 2, exact=False)
    with pytest.raises(ValueError, match="shape"):
        as_batch(np.zeros((2, 2, 2)), 2, exact=False)
    with pytest.raises(ValueError, match="NaN"):
        as_batch([1.0, np.nan], 2, exact=False)
    z, single = as_batch([1, F(1, 2)], 2, exact=True)
    assert single and z.dtype == object
    z, single = as_batch([[1.0, 2.0]], 2, exact=True)
    assert not single and z.dtype == np.float64
