"""Keras 2's ``K.*`` functions: Keras 2's names and arguments, Keras 3's values, and gradients."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from numkeras import backend, layers
from numkeras import backend as K
from numkeras import random as nk_random
from numkeras.backend import keras2
from numkeras.ops.core import Tensor, Variable
from numkeras.utils.gradient_check import check_gradients

RNG = np.random.default_rng(7)
X, Y = RNG.standard_normal((2, 2, 3, 4)).astype("float32")
POSITIVE = np.abs(X) + 0.1
M = RNG.standard_normal((3, 4)).astype("float32")
N = RNG.standard_normal((4, 5)).astype("float32")
Z = RNG.standard_normal((2, 4, 5)).astype("float32")
LOGITS = RNG.standard_normal((4, 3)).astype("float32")
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype("float32")
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(3, dtype="float32")[LABELS]
BITS = (RNG.random((4, 3)) > 0.5).astype("float32")
#: Labels along axis 1 of X, for the cross-entropies with ``axis=1``.
LABELS_AXIS_1 = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
ONE_HOT_AXIS_1 = np.eye(3, dtype="float32")[LABELS_AXIS_1].transpose(0, 2, 1)
PROBS_AXIS_1 = np.exp(X) / np.exp(X).sum(1, keepdims=True)

#: (numkeras's K call, the same computation in Keras 3: a function of the ``keras`` module)
VALUES = {
    "sum": (lambda: K.sum(X), lambda k: k.ops.sum(X)),
    "sum-axis": (lambda: K.sum(X, axis=1), lambda k: k.ops.sum(X, axis=1)),
    "sum-axes-keepdims": (
        lambda: K.sum(X, axis=(0, 2), keepdims=True),
        lambda k: k.ops.sum(X, axis=(0, 2), keepdims=True),
    ),
    "mean": (lambda: K.mean(X, axis=-1), lambda k: k.ops.mean(X, axis=-1)),
    "max": (lambda: K.max(X, 1, True), lambda k: k.ops.max(X, axis=1, keepdims=True)),
    "min": (lambda: K.min(X), lambda k: k.ops.min(X)),
    "prod": (lambda: K.prod(X, axis=2), lambda k: k.ops.prod(X, axis=2)),
    "std": (lambda: K.std(X, axis=1), lambda k: k.ops.std(X, axis=1)),
    "var": (lambda: K.var(X, axis=(0, 1)), lambda k: k.ops.var(X, axis=(0, 1))),
    "argmax": (lambda: K.argmax(X), lambda k: k.ops.argmax(X, axis=-1)),
    "argmin": (lambda: K.argmin(X, axis=1), lambda k: k.ops.argmin(X, axis=1)),
    "square": (lambda: K.square(X), lambda k: k.ops.square(X)),
    "sqrt": (lambda: K.sqrt(POSITIVE), lambda k: k.ops.sqrt(POSITIVE)),
    "sqrt-of-negatives": (lambda: K.sqrt(X), lambda k: k.ops.sqrt(k.ops.maximum(X, 0.0))),
    "exp": (lambda: K.exp(X), lambda k: k.ops.exp(X)),
    "log": (lambda: K.log(POSITIVE), lambda k: k.ops.log(POSITIVE)),
    "abs": (lambda: K.abs(X), lambda k: k.ops.abs(X)),
    "pow": (lambda: K.pow(POSITIVE, 1.5), lambda k: k.ops.power(POSITIVE, 1.5)),
    "maximum": (lambda: K.maximum(X, Y), lambda k: k.ops.maximum(X, Y)),
    "minimum": (lambda: K.minimum(X, 0.2), lambda k: k.ops.minimum(X, 0.2)),
    "clip": (lambda: K.clip(X, -0.5, 0.5), lambda k: k.ops.clip(X, -0.5, 0.5)),
    "clip-open-below": (lambda: K.clip(X, None, 0.3), lambda k: k.ops.minimum(X, 0.3)),
    "clip-max-below-min": (lambda: K.clip(X, 0.5, 0.2), lambda k: k.ops.full_like(X, 0.5)),
    "cast": (lambda: K.cast(X * 3, "int32"), lambda k: k.ops.cast(X * 3, "int32")),
    "reshape": (lambda: K.reshape(X, (4, -1)), lambda k: k.ops.reshape(X, (4, -1))),
    "permute_dimensions": (
        lambda: K.permute_dimensions(X, (2, 0, 1)),
        lambda k: k.ops.transpose(X, (2, 0, 1)),
    ),
    "transpose": (lambda: K.transpose(X), lambda k: k.ops.transpose(X)),
    "expand_dims": (lambda: K.expand_dims(X), lambda k: k.ops.expand_dims(X, -1)),
    "expand_dims-axis": (lambda: K.expand_dims(X, 1), lambda k: k.ops.expand_dims(X, 1)),
    "squeeze": (lambda: K.squeeze(X[:, :1], 1), lambda k: k.ops.squeeze(X[:, :1], axis=1)),
    "flatten": (lambda: K.flatten(X), lambda k: k.ops.reshape(X, (-1,))),
    "batch_flatten": (lambda: K.batch_flatten(X), lambda k: k.ops.reshape(X, (2, -1))),
    "concatenate": (lambda: K.concatenate([X, Y]), lambda k: k.ops.concatenate([X, Y], -1)),
    "concatenate-axis": (
        lambda: K.concatenate([X, Y], axis=0),
        lambda k: k.ops.concatenate([X, Y], axis=0),
    ),
    "stack": (lambda: K.stack([X, Y], axis=1), lambda k: k.ops.stack([X, Y], axis=1)),
    "one_hot": (lambda: K.one_hot(LABELS_AXIS_1, 3), lambda k: k.ops.one_hot(LABELS_AXIS_1, 3)),
    "dot-2d": (lambda: K.dot(M, N), lambda k: k.ops.matmul(M, N)),
    "dot-3d-2d": (lambda: K.dot(X, N), lambda k: k.ops.tensordot(X, N, axes=([2], [0]))),
    "dot-2d-3d": (lambda: K.dot(M, Z), lambda k: k.ops.tensordot(M, Z, axes=([1], [1]))),
    "l2_normalize": (lambda: K.l2_normalize(X, axis=-1), lambda k: k.ops.normalize(X, axis=-1)),
    "l2_normalize-all": (lambda: K.l2_normalize(X), lambda k: k.ops.normalize(X, axis=None)),
    "softmax": (lambda: K.softmax(X), lambda k: k.ops.softmax(X)),
    "softmax-axis": (lambda: K.softmax(X, axis=1), lambda k: k.ops.softmax(X, axis=1)),
    "relu": (lambda: K.relu(X), lambda k: k.ops.relu(X)),
    "relu-leaky": (lambda: K.relu(X, alpha=0.3), lambda k: k.ops.leaky_relu(X, 0.3)),
    "relu-all-arguments": (
        lambda: K.relu(X, alpha=0.1, max_value=0.8, threshold=0.2),
        lambda k: k.activations.relu(X, negative_slope=0.1, max_value=0.8, threshold=0.2),
    ),
    "elu": (lambda: K.elu(X, 0.5), lambda k: k.ops.elu(X, alpha=0.5)),
    "sigmoid": (lambda: K.sigmoid(X), lambda k: k.ops.sigmoid(X)),
    "tanh": (lambda: K.tanh(X), lambda k: k.ops.tanh(X)),
    "softplus": (lambda: K.softplus(X), lambda k: k.ops.softplus(X)),
    "categorical_crossentropy": (
        lambda: K.categorical_crossentropy(ONE_HOT, PROBS),
        lambda k: k.ops.categorical_crossentropy(ONE_HOT, PROBS),
    ),
    "categorical_crossentropy-logits": (
        lambda: K.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True),
        lambda k: k.ops.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True),
    ),
    "categorical_crossentropy-axis": (
        lambda: K.categorical_crossentropy(ONE_HOT_AXIS_1, PROBS_AXIS_1, axis=1),
        lambda k: k.ops.categorical_crossentropy(ONE_HOT_AXIS_1, PROBS_AXIS_1, axis=1),
    ),
    "sparse_categorical_crossentropy": (
        lambda: K.sparse_categorical_crossentropy(LABELS, PROBS),
        lambda k: k.ops.sparse_categorical_crossentropy(LABELS, PROBS),
    ),
    "sparse_categorical_crossentropy-logits-axis": (
        lambda: K.sparse_categorical_crossentropy(LABELS_AXIS_1, X, from_logits=True, axis=1),
        # Keras 3 on JAX takes the classes on the last axis only.
        lambda k: k.ops.sparse_categorical_crossentropy(LABELS_AXIS_1, X.transpose(0, 2, 1), True),
    ),
    "sparse_categorical_crossentropy-ignore_class": (
        lambda: K.sparse_categorical_crossentropy([0, -1, 1, 2], PROBS, ignore_class=-1),
        lambda k: k.losses.sparse_categorical_crossentropy(
            np.array([0, -1, 1, 2]), PROBS, ignore_class=-1
        ),
    ),
    "binary_crossentropy": (
        lambda: K.binary_crossentropy(BITS, PROBS),
        lambda k: k.ops.binary_crossentropy(BITS, PROBS),
    ),
    "binary_crossentropy-logits": (
        lambda: K.binary_crossentropy(BITS, LOGITS, from_logits=True),
        lambda k: k.ops.binary_crossentropy(BITS, LOGITS, from_logits=True),
    ),
}

#: Keras 2's ``batch_dot`` as Keras 3's ``Dot`` layer computes it: (x shape, y shape, axes).
BATCH_DOTS = [
    ((2, 3), (2, 3), 1),
    ((4, 20, 1), (4, 30, 20), (1, 2)),
    ((3, 4, 5), (3, 5, 6), None),
    ((3, 4, 5), (3, 5), None),
    ((2, 3, 4, 5), (2, 5, 6), (3, 1)),
    ((2, 3, 4), (2, 4, 5, 6), (2, 1)),
    ((2, 3, 4), (2, 3, 5), 1),
    ((2, 3, 4), (2, 5, 4), -1),
]


def _default_axes(x_shape, y_shape):
    """Keras 2's default ``batch_dot`` axes, spelled out for the ``Dot`` layer."""
    return (len(x_shape) - 1, len(y_shape) - (1 if len(y_shape) == 2 else 2))


@pytest.mark.parametrize("case", VALUES)
def test_values_match_keras(case, keras):
    ours, theirs = VALUES[case]
    expected = np.asarray(theirs(keras))
    got = ours().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("x_shape", "y_shape", "axes"), BATCH_DOTS)
def test_batch_dot_matches_keras_dot_layer(x_shape, y_shape, axes, keras):
    x = RNG.standard_normal(x_shape).astype("float32")
    y = RNG.standard_normal(y_shape).astype("float32")
    layer = keras.layers.Dot(axes=_default_axes(x_shape, y_shape) if axes is None else axes)
    expected = np.asarray(layer([x, y]))
    got = K.batch_dot(x, y, axes).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_batch_dot_shape_of_keras2s_example():
    x, y = np.ones((32, 20, 1)), np.ones((32, 30, 20))
    assert K.int_shape(K.batch_dot(x, y, axes=(1, 2))) == (32, 1, 30)


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "axes", "message"),
    [
        ((2,), (2, 3), None, r"rank >= 2. Received: shapes \(2,\) and \(2, 3\)"),
        ((2, 3), (4, 3), None, "one batch size"),
        ((2, 3), (2, 3), 0, r"batch axis 0. Received: axes=0"),
        ((2, 3), (2, 3), (1, -2), r"batch axis 0. Received: axes=\(1, -2\)"),
        ((2, 3, 4), (2, 5, 4), (1, 2), r"x.shape\[1\] = 3 and y.shape\[2\] = 4"),
        ((2, 3), (2, 3), (1, 1, 1), "None, an int or a pair of ints"),
    ],
)
def test_batch_dot_refuses_axes_it_cannot_contract(x_shape, y_shape, axes, message):
    with pytest.raises(ValueError, match=message):
        K.batch_dot(np.ones(x_shape), np.ones(y_shape), axes)


def test_names_and_arguments_are_keras2s(keras):
    # Keras 3 ships Keras 2's backend API for tf.keras code; its functions need TensorFlow to
    # run, but their signatures are the reference for argument names and defaults.
    reference = importlib.import_module("keras._tf_keras.keras.backend")
    keras1_names = {"image_dim_ordering", "set_image_dim_ordering"}
    engine_names = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon"]
    engine_names += ["set_floatx", "set_image_data_format"]
    for name in [n for n in keras2.__all__ if n not in keras1_names] + engine_names:
        ours = inspect.signature(getattr(K, name)).parameters
        theirs = inspect.signature(getattr(reference, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name


# -- gradients ------------------------------------------------------------------------------------
def _float64(*shapes):
    return [Variable(RNG.standard_normal(s)) for s in shapes]


#: (a function of float64 variables, the shapes of those variables)
GRADIENTS = {
    "sum": (lambda x: K.sum(x, axis=1, keepdims=True), [(2, 3, 4)]),
    "std": (lambda x: K.std(x, axis=1), [(3, 4)]),
    "sqrt": (lambda x: K.sqrt(K.abs(x) + 0.5), [(3, 4)]),
    "clip": (lambda x: K.clip(x, -0.5, 0.5), [(3, 4)]),
    "dot-3d-2d": (K.dot, [(2, 3, 4), (4, 5)]),
    "dot-2d-3d": (K.dot, [(3, 4), (2, 4, 5)]),
    "batch_dot-3d": (lambda x, y: K.batch_dot(x, y, axes=(1, 2)), [(2, 5, 3), (2, 4, 5)]),
    "batch_dot-2d": (lambda x, y: K.batch_dot(x, y, axes=1), [(3, 4), (3, 4)]),
    "batch_dot-4d-3d": (lambda x, y: K.batch_dot(x, y, axes=(3, 1)), [(2, 3, 2, 4), (2, 4, 3)]),
    "l2_normalize": (lambda x: K.l2_normalize(x, axis=1), [(3, 4)]),
    "permute_dimensions": (lambda x: K.permute_dimensions(x, (1, 2, 0)), [(2, 3, 4)]),
    "concatenate": (lambda x, y: K.concatenate([x, y], axis=0), [(2, 3), (1, 3)]),
    "expand_dims": (lambda x: K.expand_dims(x, 1), [(2, 3)]),
    "softmax": (lambda x: K.softmax(x, axis=0), [(3, 4)]),
    "relu": (lambda x: K.relu(x, alpha=0.1, max_value=0.8, threshold=0.2), [(3, 4)]),
    "categorical_crossentropy": (
        lambda x: K.categorical_crossentropy(ONE_HOT, K.exp(x)),
        [(4, 3)],
    ),
    "sparse_categorical_crossentropy": (
        lambda x: K.sparse_categorical_crossentropy(LABELS_AXIS_1, x, from_logits=True, axis=1),
        [(2, 3, 4)],
    ),
    "binary_crossentropy": (lambda x: K.binary_crossentropy(BITS, K.sigmoid(x)), [(4, 3)]),
    "binary_crossentropy-probabilities": (
        lambda x: K.binary_crossentropy(BITS, 0.5 + 0.4 * K.tanh(x)),
        [(4, 3)],
    ),
    "binary_crossentropy-logits": (
        lambda x: K.binary_crossentropy(BITS, x, from_logits=True),
        [(4, 3)],
    ),
}


@pytest.mark.parametrize("case", GRADIENTS)
def test_gradients_match_finite_differences(case):
    fn, shapes = GRADIENTS[case]
    with backend.floatx_scope("float64"):
        variables = _float64(*shapes)
        check_gradients(lambda: fn(*variables), *variables)


def test_a_sigmoid_output_is_scored_from_its_logits_where_it_saturates():
    logits = Variable(np.array([[30.0, -30.0]]))
    loss = K.binary_crossentropy(np.array([[0.0, 1.0]]), K.sigmoid(logits))
    np.testing.assert_allclose(loss.numpy(), [[30.0, 30.0]], rtol=1e-6)
    K.sum(loss).backward()
    np.testing.assert_allclose(logits.grad, [[1.0, -1.0]], rtol=1e-6)


# -- variables, constants, shapes -----------------------------------------------------------------
def test_variable_holds_a_trainable_copy_of_floatx():
    source = np.array([1, 2, 3])
    v = K.variable(source, name="v")
    source[0] = 10
    assert isinstance(v, Variable) and v.trainable and v.name == "v"
    assert v.dtype == np.float32
    np.testing.assert_array_equal(K.get_value(v), [1, 2, 3])
    assert K.variable([1, 2], dtype="int32").dtype == np.int32


def test_zeros_and_ones_are_variables_and_their_likes_are_tensors():
    z, o = K.zeros((2, 3)), K.ones((2,), dtype="float64")
    assert isinstance(z, Variable) and isinstance(o, Variable)
    np.testing.assert_array_equal(K.get_value(z), np.zeros((2, 3), "float32"))
    assert o.dtype == np.float64 and K.eval(o).tolist() == [1.0, 1.0] and o.name is None
    assert K.zeros_like(X, name="z").name == "z" and K.constant(2, shape=(2,), name="c").name == "c"
    like = K.ones_like(np.zeros((2, 2), dtype="int32"))
    assert type(like) is Tensor and like.dtype == np.int32 and like.numpy().sum() == 4
    assert K.zeros_like(X, dtype="float64").numpy().dtype == np.float64


def test_set_value_copies_into_a_variable_in_place():
    v = K.variable(np.zeros((2, 2)))
    data = v.data
    K.set_value(v, [[1, 2], [3, 4]])
    K.batch_set_value([(v, v.numpy() * 2)])
    assert v.data is data
    assert K.batch_get_value([v, 7])[1] == 7
    np.testing.assert_array_equal(K.get_value(v), [[2, 4], [6, 8]])
    with pytest.raises(TypeError, match="x must be a variable. Received: x of type Tensor"):
        K.set_value(K.constant(1.0), 2.0)


def test_constant_fills_or_reshapes_to_its_shape():
    np.testing.assert_array_equal(K.constant(3, shape=(2, 2)).numpy(), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(K.constant([1, 2, 3, 4], shape=(2, 2)).numpy(), [[1, 2], [3, 4]])
    assert K.constant(1).dtype == np.float32
    with pytest.raises(ValueError, match=r"the 3 elements of value. Received: shape=\(2, 2\)"):
        K.constant([1, 2, 3], shape=(2, 2))


def test_shapes_of_arrays_tensors_and_symbolic_inputs():
    inputs = layers.Input(shape=(784,))
    assert K.int_shape(inputs) == (None, 784)
    assert K.ndim(inputs) == 2 and K.dtype(inputs) == "float32"
    assert K.int_shape(X) == (2, 3, 4) and K.int_shape(K.constant(X)) == (2, 3, 4)
    shape = K.shape(K.constant(X))
    assert shape.dtype == np.int32 and shape.numpy().tolist() == [2, 3, 4]
    with pytest.raises(ValueError, match=r"use int_shape. Received: x with shape \(None, 784\)"):
        K.shape(inputs)
    assert K.int_shape([[1, 2, 3]]) == (1, 3)


# -- session, Keras 1 names, random ---------------------------------------------------------------
def test_clear_session_restarts_layer_names():
    layers.Dense(1)
    assert layers.Dense(1).name != "dense"
    K.clear_session()
    assert [layers.Dense(1).name, layers.Dense(1).name] == ["dense", "dense_1"]


def test_image_dim_ordering_is_keras1s_name_for_the_data_format():
    with pytest.warns(UserWarning, match=r"Keras 1 spelling; use `K.image_data_format\(\)`"):
        assert K.image_dim_ordering() == "tf"
    with pytest.warns(UserWarning, match=r"K.set_image_data_format\('channels_first'\)"):
        K.set_image_dim_ordering("th")
    assert K.image_data_format() == "channels_first"
    with pytest.warns(UserWarning):
        assert K.image_dim_ordering() == "th"
    with pytest.raises(ValueError, match="'tf' or 'th'. Received: dim_ordering='channels_last'"):
        K.set_image_dim_ordering("channels_last")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda: K.random_normal((3, 2), 1.0, 2.0, seed=5),
            lambda: nk_random.normal((3, 2), 1.0, 2.0, seed=5),
        ),
        (
            lambda: K.random_uniform((3,), -1, 1, seed=5),
            lambda: nk_random.uniform((3,), -1, 1, seed=5),
        ),
        (
            lambda: K.truncated_normal((4,), seed=5),
            lambda: nk_random.truncated_normal((4,), seed=5),
        ),
        (lambda: K.dropout(X, 0.5, seed=5), lambda: nk_random.dropout(X, 0.5, seed=5)),
    ],
)
def test_random_functions_draw_as_numkeras_random(ours, theirs):
    np.testing.assert_array_equal(ours().numpy(), theirs().numpy())


def test_random_bernoulli_draws_ones_with_probability_p():
    draws = K.random_bernoulli((10_000,), p=0.3, seed=1).numpy()
    assert draws.dtype == np.float32 and set(np.unique(draws)) == {0.0, 1.0}
    assert abs(draws.mean() - 0.3) < 0.02
