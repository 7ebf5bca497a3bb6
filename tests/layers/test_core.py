"""The course's core layers: Input, InputLayer, Dense, Activation, Identity, Dropout, Flatten,
Reshape."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
from keras_twin_support import assert_twins_agree

import numkeras
from numkeras import activations, backend, constraints, initializers, registry, regularizers
from numkeras.layers import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Input,
    InputLayer,
    Layer,
    Reshape,
)
from numkeras.layers.symbolic import KerasTensor
from numkeras.ops import Variable
from numkeras.ops.nn import Softmax as SoftmaxOp
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)).astype(np.float32)


def gradcheck_layer(
    make: Callable[[], Layer], x: np.ndarray, fn: Callable[[Layer, Variable], object] | None = None
) -> None:
    """Build ``make()`` in float64 on ``x`` and check the gradients of input and weights.

    ``fn(layer, x)`` computes the output (default: ``layer(x, training=True)``).
    """
    fn = fn or (lambda layer, v: layer(v, training=True))
    with backend.floatx_scope("float64"):
        layer = make()
        xv = Variable(np.asarray(x, np.float64))
        layer(xv)
        check_gradients(lambda: fn(layer, xv), xv, *layer.trainable_weights)


def assert_warned_once_each(record, *modern: str) -> None:
    """Each modern spelling is named by exactly one of the recorded warnings."""
    messages = [str(w.message) for w in record]
    for name in modern:
        assert sum(f"{name}=" in m for m in messages) == 1, (name, messages)


def round_trip(layer: Layer) -> None:
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    via_registry = registry.deserialize({"class_name": type(layer).__name__, "config": config})
    assert type(via_registry) is type(layer)


# -- Input and InputLayer ------------------------------------------------------------------------
def test_input_is_a_symbolic_tensor_with_a_batch_axis():
    inp = Input((784,), name="pixels")
    assert isinstance(inp, KerasTensor)
    assert (inp.shape, inp.dtype, inp.name) == ((None, 784), "float32", "pixels")
    assert Input((28, 28), batch_size=32).shape == (32, 28, 28)
    assert Input(784).shape == (None, 784)
    assert numkeras.Input is Input


def test_input_layer_holds_the_shape_and_no_weights():
    layer = InputLayer(shape=(3, None))
    assert layer.built and layer.batch_input_shape == (None, 3, None)
    assert layer.weights == [] and layer.count_params() == 0
    assert layer.output.shape == (None, 3, None)
    assert layer.output._input_layer is layer
    assert InputLayer(batch_input_shape=(8, 2)).output.shape == (8, 2)


def test_input_layer_dtype():
    with backend.floatx_scope("float64"):
        assert Input((2,)).dtype == "float64"
    assert Input((2,), dtype="float16").dtype == "float16"


@pytest.mark.parametrize(
    "kwargs, received",
    [
        ({}, "shape=None"),
        ({"shape": (0, 3)}, r"shape=\(0, 3\)"),
        ({"shape": (2, -1)}, r"shape=\(2, -1\)"),
        ({"shape": (2.5,)}, r"shape=\(2.5,\)"),
    ],
)
def test_input_layer_refuses_bad_shapes(kwargs, received):
    with pytest.raises(ValueError, match=received):
        InputLayer(**kwargs)


@pytest.mark.parametrize("shape", [0, -5])
def test_input_refuses_a_non_positive_int_shape(shape):
    with pytest.raises(ValueError, match=f"shape={shape}"):
        Input(shape)


def test_input_layer_config_round_trip():
    round_trip(InputLayer(shape=(28, 28), batch_size=16, name="img"))


def test_calling_a_layer_on_an_input_records_a_node():
    inp = Input((784,))
    dense = Dense(500)
    out = dense(inp)
    assert out.shape == (None, 500)
    assert out.node.layer is dense and out.node.inputs == [inp]
    assert dense.built and dense.kernel.shape == (784, 500)


# -- Dense ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "activation, shape, use_bias",
    [
        (None, (4, 5), True),
        ("relu", (4, 5), True),
        ("sigmoid", (4, 5), False),
        ("softmax", (4, 5), True),
        ("tanh", (2, 3, 5), True),
        (None, (2, 3, 5), False),
    ],
)
def test_dense_gradients(activation, shape, use_bias):
    gradcheck_layer(
        lambda: Dense(
            3, activation=activation, use_bias=use_bias, bias_initializer="random_normal"
        ),
        rng.standard_normal(shape),
    )


def test_dense_computes_activation_of_x_w_plus_b():
    for name, reference in [
        (None, lambda z: z),
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("softmax", lambda z: torch.softmax(torch.from_numpy(z), -1).numpy()),
    ]:
        layer = Dense(3, activation=name, bias_initializer="random_normal")
        out = layer(X)
        kernel, bias = layer.get_weights()
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), reference(X @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_dense_softmax_output_is_the_fusable_softmax_op():
    assert isinstance(Dense(3, activation="softmax")(Variable(X)).creator, SoftmaxOp)


def test_dense_applies_to_the_last_axis():
    layer = Dense(7)
    out = layer(rng.standard_normal((2, 3, 5)).astype(np.float32))
    assert out.shape == (2, 3, 7)
    assert layer.kernel.shape == (5, 7)


def test_dense_parameter_count_784_500():
    layer = Dense(500)
    layer(np.zeros((1, 784), np.float32))
    assert layer.count_params() == 392_500
    assert [w.shape for w in layer.weights] == [(784, 500), (500,)]
    no_bias = Dense(500, use_bias=False)
    no_bias(np.zeros((1, 784), np.float32))
    assert no_bias.count_params() == 392_000


def test_count_params_before_build_names_the_layer():
    with pytest.raises(ValueError, match="'unbuilt'.*not built"):
        Dense(3, name="unbuilt").count_params()


def test_dense_defaults_are_glorot_uniform_kernel_and_zero_bias():
    layer = Dense(500)
    assert layer.activation is activations.linear and layer.use_bias
    assert isinstance(layer.kernel_initializer, initializers.GlorotUniform)
    assert isinstance(layer.bias_initializer, initializers.Zeros)
    layer(np.zeros((1, 784), np.float32))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (784 + 500))
    assert kernel.dtype == np.float32
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.999 * limit
    assert abs(kernel.mean()) < 0.01 * limit
    assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.01)
    np.testing.assert_array_equal(bias, np.zeros(500))


def test_set_random_seed_reproduces_the_weights():
    def fresh_kernel():
        backend.set_random_seed(42)
        layer = Dense(4)
        layer(X)
        return layer.kernel.numpy()

    np.testing.assert_array_equal(fresh_kernel(), fresh_kernel())


def test_keras1_dense_names_work_and_warn_once_each():
    with pytest.warns(UserWarning) as record:
        layer = Dense(
            input_dim=784,
            output_dim=500,
            init="uniform",
            W_regularizer=regularizers.l2(0.01),
            b_regularizer=regularizers.l1(0.01),
            W_constraint=constraints.maxnorm(2),
            b_constraint="nonneg",
            bias=True,
        )
    assert_warned_once_each(
        record,
        "units",
        "kernel_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "kernel_constraint",
        "bias_constraint",
        "use_bias",
        "input_shape",
    )
    assert layer.units == 500 and layer.batch_input_shape == (None, 784)
    layer(np.ones((1, 784), np.float32))
    assert np.abs(layer.kernel.numpy()).max() <= 0.05  # Keras's 'uniform': U(-0.05, 0.05)
    assert np.abs(layer.kernel.numpy()).max() > 0.049
    assert len(layer.losses) == 2
    assert isinstance(layer.kernel.constraint, constraints.MaxNorm)
    assert isinstance(layer.bias.constraint, constraints.NonNeg)


def test_keras1_bias_false_means_no_bias():
    with pytest.warns(UserWarning, match="use_bias"):
        layer = Dense(3, bias=False)
    layer(X)
    assert layer.bias is None and len(layer.weights) == 1


def test_both_spellings_at_once_are_refused():
    with pytest.raises(ValueError, match="output_dim.*units"):
        Dense(units=3, output_dim=3)


def test_modern_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dense(3, input_shape=(5,), kernel_initializer="uniform", kernel_regularizer="l2")
        Dropout(rate=0.5)


def test_input_dim_warning_points_at_the_callers_line():
    with pytest.warns(UserWarning, match="input_shape") as record:
        Dense(3, input_dim=5)
    assert record[0].filename == __file__


def test_dense_regularizer_penalties_appear_in_losses():
    layer = Dense(
        3,
        kernel_regularizer=regularizers.L2(0.01),
        bias_initializer="ones",
        bias_regularizer=regularizers.L1(0.1),
        activity_regularizer=regularizers.L1(0.5),
    )
    assert layer.losses == []
    out = layer(X)
    kernel = layer.kernel.numpy()
    penalties = [loss.item() for loss in layer.losses]
    # The activity penalty is divided by the batch size, as Keras 3 divides it.
    activity = 0.5 * np.abs(out.numpy()).sum() / len(X)
    expected = [0.01 * (kernel**2).sum(), 0.1 * 3, activity]
    assert penalties == pytest.approx(expected, rel=1e-5)
    # The penalties are ops, so their gradients reach the weights.
    layer.losses[0].backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.02 * kernel, rtol=1e-5)


def test_dense_regularizers_by_name():
    layer = Dense(3, kernel_regularizer="l2", bias_regularizer="l1")
    layer(X)
    assert len(layer.losses) == 2


def test_dense_constraints_are_stored_on_the_variables():
    layer = Dense(3, kernel_constraint=constraints.MaxNorm(2.0), bias_constraint="non_neg")
    layer(X)
    assert isinstance(layer.kernel.constraint, constraints.MaxNorm)
    assert layer.kernel.constraint.max_value == 2.0
    assert isinstance(layer.bias.constraint, constraints.NonNeg)


def test_trainable_false_freezes_the_weights():
    layer = Dense(3, trainable=False)
    layer(X)
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == layer.weights and len(layer.weights) == 2
    x = Variable(X)
    layer(x).sum().backward()
    assert layer.kernel.grad is None and layer.bias.grad is None
    assert x.grad is not None
    assert layer.get_config()["trainable"] is False
    layer.trainable = True
    assert layer.trainable_weights == layer.weights
    layer(x).sum().backward()
    assert layer.kernel.grad is not None


def test_get_weights_are_copies_and_set_weights_writes_in_place():
    layer = Dense(3)
    layer(X)
    kernel = layer.kernel
    weights = layer.get_weights()
    weights[0][...] = 7.0
    assert not np.any(layer.kernel.numpy() == 7.0)
    layer.set_weights([np.ones((5, 3)), np.arange(3.0)])
    assert layer.kernel is kernel and layer.kernel.dtype == np.float32
    np.testing.assert_array_equal(layer(np.ones((1, 5), np.float32)).numpy(), [[5.0, 6.0, 7.0]])


def test_set_weights_with_the_wrong_count_or_shape_names_the_layer_and_shapes():
    layer = Dense(3, name="dense_w")
    layer(X)
    with pytest.raises(ValueError, match=r"'dense_w' expects 2 weight arrays.*received 1"):
        layer.set_weights([np.zeros((5, 3))])
    with pytest.raises(ValueError, match=r"'dense_w' expects 2 weight arrays.*received 3"):
        layer.set_weights([np.zeros((5, 3)), np.zeros(3), np.zeros(3)])
    with pytest.raises(
        ValueError,
        match=r"'dense_w' has shape \(5, 3\), received a value of "
        r"shape \(3, 5\)",
    ):
        layer.set_weights([np.zeros((3, 5)), np.zeros(3)])
    with pytest.raises(
        ValueError,
        match=r"'dense_w' has shape \(3,\), received a value of "
        r"shape \(4,\)",
    ):
        layer.set_weights([np.zeros((5, 3)), np.zeros(4)])
    # Nothing was written by the refused calls.
    assert not np.all(layer.kernel.numpy() == 0)


def test_an_input_of_the_wrong_last_dimension_names_the_layer_and_both_shapes():
    layer = Dense(500, name="hidden")
    layer(np.zeros((2, 784), np.float32))
    with pytest.raises(
        ValueError,
        match=r"'hidden'.*Expected shape \(None, 784\), received "
        r"shape \(2, 100\)",
    ):
        layer(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match=r"'hidden'.*received shape \(None, 100\)"):
        layer(Input((100,)))


def test_dense_needs_at_least_two_axes():
    with pytest.raises(ValueError, match=r"min_ndim=2.*received shape \(5,\)"):
        Dense(3)(np.zeros(5, np.float32))


def test_a_refused_first_input_does_not_build_the_layer():
    layer = Dense(3)
    with pytest.raises(ValueError):
        layer(np.zeros(5, np.float32))
    assert not layer.built


def test_dense_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match="'open_end'"):
        Dense(3, name="open_end")(Input((None,)))


def test_float64_inputs_are_computed_in_the_layer_dtype():
    assert Dense(3)(np.zeros((2, 5))).dtype == np.float32


@pytest.mark.parametrize("units", [0, -3, 2.5, "10", None, True])
def test_dense_units_must_be_a_positive_integer(units):
    with pytest.raises(ValueError, match=f"Received: units={units!r}".replace(".", r"\.")):
        Dense(units)


def test_dense_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="Unknown activation 'rectifier'.*relu"):
        Dense(3, activation="rectifier")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Dense(3),
        lambda: Dense(10, activation="softmax", use_bias=False, name="out", input_shape=(784,)),
        lambda: Dense(
            4,
            activation="relu",
            kernel_initializer="he_normal",
            bias_initializer="ones",
            kernel_regularizer="l2",
            bias_regularizer="l1",
            kernel_constraint="max_norm",
            bias_constraint="non_neg",
            activity_regularizer="l2",
            trainable=False,
        ),
    ],
)
def test_dense_config_round_trip(make):
    round_trip(make())


def test_dense_config_round_trip_with_regularizer_and_constraint_objects():
    round_trip(
        Dense(
            4, kernel_regularizer=regularizers.L2(0.1), kernel_constraint=constraints.MaxNorm(3.0)
        )
    )


def test_dense_rebuilt_from_config_computes_the_same_function():
    layer = Dense(3, activation="tanh")
    out = layer(X).numpy()
    rebuilt = Dense.from_config(layer.get_config())
    rebuilt(X)
    rebuilt.set_weights(layer.get_weights())
    np.testing.assert_array_equal(rebuilt(X).numpy(), out)


# -- Activation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "softplus"]
)
def test_activation_gradients(name):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 0.1] = 0.3  # away from the kinks at 0
    gradcheck_layer(lambda: Activation(name), x)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax"])
def test_activation_applies_the_named_function(name):
    layer = Activation(name)
    np.testing.assert_allclose(layer(X).numpy(), activations.get(name)(X).numpy())
    assert layer.activation is activations.get(name)


def test_activation_matches_torch():
    t = torch.from_numpy(X)
    np.testing.assert_allclose(
        Activation("sigmoid")(X).numpy(), torch.sigmoid(t).numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(
        Activation("softmax")(X).numpy(), torch.softmax(t, -1).numpy(), rtol=1e-6
    )


def test_activation_softmax_is_the_fusable_op():
    assert isinstance(Activation("softmax")(Variable(X)).creator, SoftmaxOp)


def test_activation_accepts_a_callable_and_refuses_unknown_names():
    assert Activation(activations.tanh).get_config()["activation"] == "tanh"
    assert Activation("ReLU").activation is activations.relu  # names are case-insensitive
    with pytest.raises(ValueError, match="Unknown activation 'rulu'"):
        Activation("rulu")


@pytest.mark.parametrize("name", ["relu", "softmax", "linear"])
def test_activation_config_round_trip(name):
    round_trip(Activation(name, name=f"act_{name}"))


# -- Dropout -------------------------------------------------------------------------------------
def reseeded(layer: Layer, x: Variable) -> object:
    """The layer's training output with the same mask at every call."""
    backend.set_random_seed(7)
    return layer(x, training=True)


@pytest.mark.parametrize("noise_shape", [None, (None, 1)])
def test_dropout_gradients(noise_shape):
    gradcheck_layer(
        lambda: Dropout(0.4, noise_shape=noise_shape), rng.standard_normal((6, 5)), fn=reseeded
    )


def test_dropout_is_inverted_dropout():
    x = rng.uniform(1, 2, (50, 40)).astype(np.float32)
    out = Dropout(0.25)(x, training=True).numpy()
    assert out.dtype == np.float32
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, rtol=1e-6)
    assert 0 < kept.mean() < 1


def test_dropout_gradient_is_the_same_mask():
    x = Variable(np.ones((20, 30), np.float32))
    out = Dropout(0.5)(x, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.numpy())  # 0 where dropped, 2 where kept


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_rate_is_the_fraction_dropped(rate):
    out = Dropout(rate)(np.ones((1000, 100), np.float32), training=True).numpy()
    # 10^5 Bernoulli draws: the standard deviation of the fraction is at most 0.0016.
    assert (out == 0).mean() == pytest.approx(rate, abs=0.008)
    assert out.mean() == pytest.approx(1.0, abs=0.03)  # inverted dropout keeps the mean


def test_dropout_draws_a_new_mask_at_every_call_and_follows_the_seed():
    layer = Dropout(0.5)
    x = np.ones((10, 10), np.float32)
    backend.set_random_seed(3)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.array_equal(first, second)
    backend.set_random_seed(3)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)


@pytest.mark.parametrize("training", [False, None])
def test_dropout_is_off_at_inference(training):
    layer = Dropout(0.5)
    np.testing.assert_array_equal(layer(X, training=training).numpy(), X)
    np.testing.assert_array_equal(layer(X).numpy(), X)


def test_dropout_rate_zero_is_the_identity_in_training():
    np.testing.assert_array_equal(Dropout(0.0)(X, training=True).numpy(), X)


def test_dropout_noise_shape_shares_the_mask_along_size_one_axes():
    out = Dropout(0.5, noise_shape=(None, 1))(np.ones((400, 8), np.float32), training=True)
    out = out.numpy()
    assert np.all((out == 0).all(axis=1) | (out == 2).all(axis=1))
    assert (out[:, 0] == 0).mean() == pytest.approx(0.5, abs=0.1)


def test_dropout_seed_makes_the_mask_reproducible():
    x = np.ones((10, 10), np.float32)
    first = Dropout(0.5, seed=3)(x, training=True).numpy()
    second = Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(first, second)


def test_keras1_dropout_p():
    with pytest.warns(UserWarning) as record:
        layer = Dropout(p=0.5)
    assert_warned_once_each(record, "rate")
    assert layer.rate == 0.5


@pytest.mark.parametrize("rate", [1.5, -0.1, 1.0, "half", None])
def test_dropout_rate_must_be_in_zero_one(rate):
    with pytest.raises(ValueError, match=f"Received: rate={rate!r}".replace(".", r"\.")):
        Dropout(rate)


def test_dropout_config_round_trip():
    round_trip(Dropout(0.3))
    round_trip(Dropout(0.5, noise_shape=(None, 1, 4), seed=11, name="drop"))


# -- Flatten -------------------------------------------------------------------------------------
def test_flatten_keeps_the_batch_axis():
    x = rng.standard_normal((2, 28, 28)).astype(np.float32)
    out = Flatten()(x)
    assert out.shape == (2, 784) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, -1))


def test_flatten_channels_first_flattens_in_channels_last_order():
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    out = Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(out, x.transpose(0, 2, 3, 1).reshape(2, -1))
    np.testing.assert_array_equal(Flatten("channels_last")(x).numpy(), x.reshape(2, -1))


@pytest.mark.parametrize("data_format", [None, "channels_first"])
def test_flatten_gradients(data_format):
    gradcheck_layer(lambda: Flatten(data_format), rng.standard_normal((2, 3, 2, 2)))


def test_flatten_output_shapes():
    assert Flatten().compute_output_shape((None, 28, 28)) == (None, 784)
    assert Flatten().compute_output_shape((None, None, 3)) == (None, None)
    assert Flatten()(np.zeros((4,), np.float32)).shape == (4, 1)
    assert Flatten().compute_output_shape((None,)) == (None, 1)
    assert Flatten()(Input((28, 28))).shape == (None, 784)


def test_flatten_refuses_an_unknown_data_format():
    with pytest.raises(ValueError, match="data_format='nchw'"):
        Flatten(data_format="nchw")


def test_flatten_config_round_trip():
    round_trip(Flatten())
    round_trip(Flatten("channels_first", input_shape=(1, 28, 28)))


# -- Reshape -------------------------------------------------------------------------------------
def test_reshape_keeps_the_batch_axis():
    x = np.arange(24.0, dtype=np.float32).reshape(2, 12)
    out = Reshape((3, 4))(x)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, 3, 4))
    assert Reshape((-1, 2))(x).shape == (2, 6, 2)


def test_reshape_gradients():
    gradcheck_layer(lambda: Reshape((2, -1)), rng.standard_normal((3, 6)))


def test_reshape_output_shapes():
    assert Reshape((3, 4)).compute_output_shape((None, 12)) == (None, 3, 4)
    assert Reshape((-1, 4)).compute_output_shape((None, 2, 6)) == (None, 3, 4)
    assert Reshape((-1, 4)).compute_output_shape((None, None)) == (None, None, 4)
    assert Reshape((28, 28, 1))(Input((784,))).shape == (None, 28, 28, 1)


@pytest.mark.parametrize("target_shape", [(5,), (-1, 5)])
def test_reshape_to_an_incompatible_size_names_the_layer(target_shape):
    with pytest.raises(ValueError, match=r"'reshaper'.*\(None, 12\)"):
        Reshape(target_shape, name="reshaper")(Input((12,)))


def test_reshape_call_with_an_incompatible_size_names_the_layer():
    with pytest.raises(ValueError, match="'reshaper'.*target_shape"):
        Reshape((5,), name="reshaper")(np.zeros((2, 12), np.float32))


@pytest.mark.parametrize(
    "target_shape, received",
    [
        ((-1, -1), r"target_shape=\(-1, -1\)"),
        ((0, 3), r"target_shape=\(0, 3\)"),
        ((2, -2), r"target_shape=\(2, -2\)"),
        ((2.0, 3), r"target_shape=\(2.0, 3\)"),
    ],
)
def test_reshape_refuses_bad_target_shapes(target_shape, received):
    with pytest.raises(ValueError, match=received):
        Reshape(target_shape)


def test_reshape_config_round_trip():
    round_trip(Reshape((28, 28, 1)))
    round_trip(Reshape((-1, 4), name="r"))


# -- every core layer ----------------------------------------------------------------------------
CORE_LAYERS = [
    lambda: Dense(3),
    lambda: Dense(3, activation="softmax"),
    lambda: Activation("relu"),
    lambda: Identity(),
    lambda: Dropout(0.5),
    lambda: Flatten(),
    lambda: Flatten("channels_first"),
    lambda: Reshape((-1, 2)),
]


@pytest.mark.parametrize("make", CORE_LAYERS)
@pytest.mark.parametrize("training", [True, False])
def test_compute_output_shape_agrees_with_call(make, training):
    x = rng.standard_normal((4, 3, 6)).astype(np.float32)
    layer = make()
    out = layer(x, training=training)
    assert out.dtype == np.float32
    assert layer.compute_output_shape((None, 3, 6)) == (None, *out.shape[1:])
    assert layer.compute_output_shape((4, 3, 6)) == out.shape
    assert make()(Input((3, 6))).shape == (None, *out.shape[1:])


def test_layer_names_are_unique_and_snake_case():
    a, b = Dense(2), Dense(2)
    assert a.name != b.name and a.name.startswith("dense") and b.name.startswith("dense")
    assert Flatten(name="flat").name == "flat"


def test_core_layers_are_registered_by_class_name():
    for cls in (InputLayer, Dense, Activation, Identity, Dropout, Flatten, Reshape):
        assert registry.registered_class(cls.__name__) is cls


# -- Dropout's noise_shape must broadcast to the inputs ------------------------------------------
@pytest.mark.parametrize("noise_shape", [(1, 5), (1,), (None, 3, 1), (10**9, 1)])
def test_dropout_refuses_a_noise_shape_that_does_not_broadcast(noise_shape):
    with pytest.raises(ValueError, match=r"noise_shape=.* does not broadcast to the input shape"):
        Dropout(0.5, noise_shape=noise_shape)(np.ones((4, 3), np.float32), training=True)


def test_dropout_refuses_a_noise_shape_that_does_not_fit_the_batch_at_call():
    layer = Dropout(0.5, noise_shape=(10**9, 1))
    layer(Input((3,)))  # the batch size is unknown when building
    with pytest.raises(ValueError, match="does not broadcast"):
        layer(np.ones((4, 3), np.float32), training=True)


@pytest.mark.parametrize("noise_shape", ["ab", [0, 1], [1.5], 3])
def test_dropout_noise_shape_must_hold_positive_integers(noise_shape):
    with pytest.raises(ValueError, match="noise_shape must be None or a sequence"):
        Dropout(0.5, noise_shape=noise_shape)


@pytest.mark.parametrize("noise_shape", [(None, 1), (4, 1), (1, 3)])
def test_dropout_shares_its_mask_along_size_one_axes(noise_shape):
    out = Dropout(0.5, noise_shape=noise_shape)(np.ones((4, 3), np.float32), training=True)
    kept = out.numpy() != 0
    for axis, n in enumerate(noise_shape):
        if n == 1:
            assert (kept == kept.take([0], axis=axis)).all()


# -- Identity ------------------------------------------------------------------------------------
def test_identity_passes_one_tensor_or_a_list_through():
    layer = Identity()
    np.testing.assert_array_equal(layer(X).numpy(), X)
    first, second = layer([X, 2 * X])
    np.testing.assert_array_equal(first.numpy(), X)
    np.testing.assert_array_equal(second.numpy(), 2 * X)
    a, b = Input((5,)), Input((2, 3))
    assert [t.shape for t in Identity()([a, b])] == [(None, 5), (None, 2, 3)]
    assert Identity().get_weights() == []


def test_identity_gradient_and_config():
    gradcheck_layer(Identity, rng.standard_normal((3, 4)))
    round_trip(Identity(name="skip"))


def test_identity_matches_keras(keras):
    assert_twins_agree(keras, lambda lib: [lib.layers.Dense(3), lib.layers.Identity()], X)
