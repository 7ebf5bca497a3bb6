"""keras.io "Writing a training loop from scratch": numkeras's loop (``GradientTape``, then
``optimizer.apply``, a metric updated per batch) against the same loop in Keras 3 on JAX, written
as that guide's JAX version does it (``jax.value_and_grad`` over ``model.stateless_call``, then
``optimizer.stateless_apply``), from the same weights on the same batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import numkeras

from .twins import (
    CLASSES,
    FEATURES,
    FIVE_STEPS,
    KERAS_NUMPY2_WARNING,
    ONE_STEP,
    assert_weights_close,
    batches,
    classification_data,
    optimizer,
)

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


def functional_mlp(lib: Any) -> Any:
    """The guide's model: two hidden ReLU layers and logits out."""
    inputs = lib.Input(shape=(FEATURES,))
    x = lib.layers.Dense(16, activation="relu")(inputs)
    x = lib.layers.Dense(16, activation="relu")(x)
    return lib.Model(inputs, lib.layers.Dense(CLASSES)(x))


def numkeras_loop(model: Any, name: str, data: list) -> tuple[list[float], list[list]]:
    """The guide's loop in numkeras; the loss and the weights after each step."""
    opt = optimizer(numkeras, name)
    loss_fn = numkeras.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses, weights = [], []
    for x, y in data:
        with numkeras.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply(grads, model.trainable_weights)
        losses.append(float(loss))
        weights.append(model.get_weights())
    return losses, weights


def keras_jax_loop(keras: Any, model: Any, name: str, data: list) -> tuple[list[float], list[list]]:
    """The guide's JAX loop: a jitted, stateless step; the loss and the weights after each."""
    import jax

    opt = optimizer(keras, name)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt.build(model.trainable_variables)

    def compute_loss(trainable, non_trainable, x, y):
        logits, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, logits), non_trainable

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @jax.jit
    def train_step(state, x, y):
        trainable, non_trainable, opt_variables = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, x, y)
        trainable, opt_variables = opt.stateless_apply(opt_variables, grads, trainable)
        return loss, (trainable, non_trainable, opt_variables)

    state = tuple(
        [v.value for v in variables]
        for variables in (model.trainable_variables, model.non_trainable_variables, opt.variables)
    )
    losses, weights = [], []
    for x, y in data:
        loss, state = train_step(state, x, y)
        losses.append(float(loss))
        # The model's own variables in get_weights order (all are trainable here).
        weights.append([np.asarray(v) for v in state[0]])
    return losses, weights


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_loop_from_scratch_follows_keras_on_jax(keras, name):
    x, onehot = classification_data()
    data = batches(x, onehot.argmax(axis=1).astype("int32"))
    reference, ours = functional_mlp(keras), functional_mlp(numkeras)
    ours.set_weights(reference.get_weights())
    expected_losses, expected_weights = keras_jax_loop(keras, reference, name, data)
    losses, weights = numkeras_loop(ours, name, data)
    assert len(weights) == len(expected_weights) == 5
    for step, (mine, theirs) in enumerate(zip(weights, expected_weights)):
        tolerance = ONE_STEP if step == 0 else FIVE_STEPS
        np.testing.assert_allclose(losses[step], expected_losses[step], rtol=tolerance)
        for a, b in zip(mine, theirs):
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_metric_of_the_loop_matches_keras(keras):
    """After the loop, the guide's accuracy metric over all the data, on the final weights."""
    x, onehot = classification_data()
    labels = onehot.argmax(axis=1).astype("int32")
    reference, ours = functional_mlp(keras), functional_mlp(numkeras)
    ours.set_weights(reference.get_weights())
    numkeras_loop(ours, "adam", batches(x, labels))
    reference.set_weights(ours.get_weights())
    assert_weights_close(reference, ours, 0.0)
    results = []
    for lib, model in ((keras, reference), (numkeras, ours)):
        metric = lib.metrics.SparseCategoricalAccuracy()
        for xb, yb in batches(x, labels):
            metric.update_state(yb, model(xb))
        results.append(float(metric.result()))
    assert results[1] == pytest.approx(results[0], abs=1e-7)
