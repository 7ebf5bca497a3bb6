"""The engine's fast paths give what the reference paths give.

* ``ops.dense`` with a fused sigmoid: value and gradient of ``sigmoid(x @ W + b)``;
* a model's call plan (Dense + Activation fused into one op): the same outputs and
  gradients as calling every layer in turn, and a final sigmoid or softmax left as its own op;
* the fused cross-entropies, found from the logits mark on the output tensor;
* optimizer slots flushed to 0 before they decay into subnormal numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, losses, ops
from numkeras.layers import Activation, Dense
from numkeras.layers import Softmax as SoftmaxLayer
from numkeras.models import Sequential
from numkeras.ops.core import LogitsMark
from numkeras.ops.nn import Dense as DenseOp
from numkeras.ops.nn import Sigmoid, Softmax
from numkeras.optimizers import Adam
from numkeras.utils.gradient_check import check_gradients


def test_dense_with_fused_sigmoid_matches_the_composition_and_its_gradient():
    rng = np.random.default_rng(0)
    with backend.floatx_scope("float64"):
        x, kernel, bias = (ops.Variable(rng.standard_normal(s)) for s in ((4, 3), (3, 5), (5,)))
        fused = ops.dense(x, kernel, bias, activation="sigmoid")
        reference = ops.sigmoid(x @ kernel + bias)
        np.testing.assert_allclose(fused.data, reference.data, rtol=1e-14)
        check_gradients(lambda: ops.dense(x, kernel, bias, activation="sigmoid"), x, kernel, bias)


def _course_mlp(hidden: str, output: str) -> Sequential:
    model = Sequential()
    model.add(Dense(6, input_shape=(4,)))
    model.add(Activation(hidden))
    model.add(Dense(5, activation=hidden))
    model.add(Dense(3))
    model.add(Activation(output))
    return model


@pytest.mark.parametrize("hidden", ["relu", "sigmoid"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_the_call_plan_fuses_hidden_activations_and_keeps_the_output_op(hidden, output):
    model = _course_mlp(hidden, output)
    plan = model._call_plan()
    assert [call.activation for call in plan] == [hidden, hidden, None, None]
    out = model(np.ones((2, 4), np.float32))
    assert isinstance(out.creator, Softmax if output == "softmax" else Sigmoid)
    assert isinstance(out.creator.inputs[0].creator, DenseOp)
    assert out._keras_logits == LogitsMark(
        out.creator.inputs[0], output, -1 if output == "softmax" else None
    )


@pytest.mark.parametrize("hidden", ["relu", "sigmoid"])
def test_the_call_plan_gives_the_values_and_gradients_of_the_layer_by_layer_path(hidden):
    model = _course_mlp(hidden, "softmax")
    x = np.random.default_rng(1).standard_normal((7, 4)).astype(np.float32)

    def loss_and_grads(call):
        for w in model.trainable_weights:
            w.grad = None
        loss = ops.sum(ops.square(call(ops.Tensor(x))))
        loss.backward()
        return loss.data, [w.grad.copy() for w in model.trainable_weights]

    def layer_by_layer(t):
        for layer in model.layers:
            t = layer(t, training=True)
        return t

    fast_loss, fast_grads = loss_and_grads(lambda t: model(t, training=True))
    ref_loss, ref_grads = loss_and_grads(layer_by_layer)
    np.testing.assert_allclose(fast_loss, ref_loss, rtol=1e-6)
    for fast, ref in zip(fast_grads, ref_grads):
        np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=1e-7)


def test_a_layer_with_an_activity_regularizer_is_not_fused():
    model = Sequential([Dense(3, input_shape=(2,), activity_regularizer="l2"), Activation("relu")])
    assert [call.activation for call in model._call_plan()] == [None, None]


@pytest.mark.parametrize(
    "loss, activation, fused",
    [
        (losses.categorical_crossentropy, ops.softmax, ops.softmax_cross_entropy),
        (losses.binary_crossentropy, ops.sigmoid, ops.sigmoid_binary_cross_entropy),
    ],
)
def test_the_cross_entropy_works_on_the_logits_that_the_mark_names(loss, activation, fused):
    rng = np.random.default_rng(2)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 4)]
    logits, other = (ops.Variable(rng.standard_normal((4, 3)).astype(np.float32)) for _ in range(2))
    probs = activation(logits)
    assert probs._keras_logits.logits is logits
    probs._keras_logits = probs._keras_logits._replace(logits=other)
    expected = fused(other, y)
    if activation is ops.sigmoid:
        expected = ops.mean(expected, axis=-1)
    np.testing.assert_array_equal(loss(y, probs).numpy(), expected.numpy())


def test_a_softmax_over_several_axes_meets_the_clipped_cross_entropy():
    """Regression: its tuple axis once raised a TypeError where the loss compared axes."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((2, 3, 4)).astype(np.float32)
    probs = SoftmaxLayer(axis=(1, 2))(ops.Variable(z))
    assert probs._keras_logits.axis == (1, 2)
    y = np.zeros_like(z)
    y[:, 0, 0] = 1
    p = probs.numpy() / probs.numpy().sum(axis=-1, keepdims=True)  # Keras renormalises
    expected = -(y * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(axis=-1)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y, probs).numpy(), expected, rtol=1e-5
    )


def test_optimizer_slots_never_decay_into_subnormal_numbers():
    """A gradient that turns 0 lets Adam's moments decay; they reach 0, never the subnormals
    that cost a hundred times a normal number on every later step."""
    variable = ops.Variable(np.ones(4, np.float32))
    optimizer = Adam(1e-3)
    optimizer.apply([np.full(4, 1e-3, np.float32)], [variable])
    zero = np.zeros(4, np.float32)
    tiny = np.finfo(np.float32).tiny
    for _ in range(1500):
        optimizer.apply([zero], [variable])
        for slot in optimizer.variables:
            assert not ((slot != 0) & (np.abs(slot) < tiny)).any()
    momentum, velocity = optimizer.variables
    assert (momentum == 0).all() and (velocity > 0).all()
