"""Activations: values against PyTorch, gradients against finite differences, names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import activations, backend, ops
from numkeras.ops.nn import ReLU, Softmax
from numkeras.utils.gradient_check import check_gradients

# Where an activation (or one of relu's variants below) is not differentiable.
KINKS = (-3.0, 0.0, 0.5, 2.0, 3.0, 6.0)


def _inputs(shape=(4, 6), seed=0) -> np.ndarray:
    """Float64 inputs over [-7, 7], each at least 0.05 from every kink (as Chainer nudges)."""
    x = np.random.default_rng(seed).uniform(-7, 7, shape)
    for kink in KINKS:
        x[np.abs(x - kink) < 0.05] = kink + 0.25
    return x


def _check_gradient(fn, x):
    with backend.floatx_scope("float64"):
        v = ops.Variable(x)
        check_gradients(lambda: fn(v), v)


# PyTorch's function where its definition is Keras 3's. Keras 3's hard_sigmoid is PyTorch's
# hardsigmoid, relu6(x + 3) / 6; Keras 1 and 2 used clip(0.2 x + 0.5, 0, 1), which differs.
TORCH = {
    "linear": lambda x: x,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "relu6": F.relu6,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "elu": F.elu,
    "selu": torch.selu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "silu": F.silu,
    "swish": F.silu,
    "gelu": F.gelu,
    "exponential": torch.exp,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
}


def test_every_activation_has_a_reference():
    assert set(TORCH) == set(activations.ACTIVATIONS)


@pytest.mark.parametrize("name", TORCH)
def test_values_match_torch(name):
    x = _inputs()
    with backend.floatx_scope("float64"):
        out = activations.get(name)(x)
    expected = TORCH[name](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", TORCH)
def test_gradient(name):
    _check_gradient(activations.get(name), _inputs())


def test_approximate_gelu_matches_torch_tanh_gelu():
    x = _inputs()
    with backend.floatx_scope("float64"):
        out = activations.gelu(x, approximate=True)
    expected = F.gelu(torch.from_numpy(x), approximate="tanh").numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
    _check_gradient(lambda v: activations.gelu(v, approximate=True), x)


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0, 1.5, -0.5])
def test_leaky_relu_slopes(slope):
    x = _inputs()
    with backend.floatx_scope("float64"):
        out = activations.leaky_relu(x, negative_slope=slope)
    np.testing.assert_allclose(out.data, np.where(x >= 0, x, slope * x), rtol=1e-15)
    _check_gradient(lambda v: activations.leaky_relu(v, negative_slope=slope), x)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_elu_alpha(alpha):
    x = _inputs()
    with backend.floatx_scope("float64"):
        out = activations.elu(x, alpha=alpha)
    np.testing.assert_allclose(out.data, F.elu(torch.from_numpy(x), alpha).numpy(), rtol=1e-14)
    _check_gradient(lambda v: activations.elu(v, alpha=alpha), x)


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's piecewise definition, written out."""
    top = np.inf if max_value is None else max_value
    return np.where(x >= top, top, np.where(x > threshold, x, negative_slope * (x - threshold)))


RELU_ARGUMENTS = [
    {"negative_slope": 0.1},
    {"max_value": 2.0},
    {"max_value": 6.0},
    {"threshold": 0.5},
    {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5},
    {"negative_slope": 0.3, "threshold": 2.0},
]


@pytest.mark.parametrize("kwargs", RELU_ARGUMENTS)
def test_relu_arguments(kwargs):
    x = _inputs()
    with backend.floatx_scope("float64"):
        np.testing.assert_allclose(
            activations.relu(x, **kwargs).data, _keras_relu(x, **kwargs), rtol=1e-14
        )
    _check_gradient(lambda v: activations.relu(v, **kwargs), x)


def test_relu6_is_relu_with_max_value_6():
    x = _inputs()
    np.testing.assert_array_equal(activations.relu(x, max_value=6).data, activations.relu6(x).data)


def test_selu_constants_are_keras_constants():
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    out = activations.selu(np.array([-np.inf, 1.0]))
    np.testing.assert_allclose(out.data, [-scale * alpha, scale])


def test_the_fused_losses_can_recognise_softmax_and_relu():
    x = ops.Variable(np.ones((2, 3)))
    assert isinstance(activations.get("softmax")(x).creator, Softmax)
    assert isinstance(activations.get("relu")(x).creator, ReLU)


@pytest.mark.parametrize("name", TORCH)
def test_float32_stays_float32(name):
    x = ops.Variable(_inputs().astype(np.float32))
    out = activations.get(name)(x)
    ops.sum(out).backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "silu", "softplus", "sigmoid"])
def test_no_overflow_for_large_inputs(name):
    x = np.array([-1e4, -50.0, 50.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = activations.get(name)(x)
    assert np.isfinite(out.data).all()


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    assert activations.get("swish") is activations.silu

    def custom(x):
        return x * 2.0

    assert activations.get(custom) is custom
    assert activations.get("custom", custom_objects={"custom": custom}) is custom


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown activation 'relu7'.*gelu.*softmax"):
        activations.get("relu7")


@pytest.mark.parametrize("name", TORCH)
def test_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_serialize_gives_the_function_name():
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.softmax) == "softmax"

    def custom(x):
        return x

    assert activations.serialize(custom) == "custom"
