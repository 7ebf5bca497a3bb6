"""Follows keras.io's "Writing a training loop from scratch" guide (its TensorFlow version,
whose ``tf.GradientTape`` is ``keras.GradientTape`` here): no ``fit``. Each step runs the model
under a tape, takes the gradients of the loss with respect to the trainable weights and applies
them with ``optimizer.apply``; an accuracy metric is updated every step, read at each epoch's end
and reset; a validation loop runs after each epoch.

Real Keras 3 on JAX has no ``GradientTape`` (its loops are written with ``jax.grad`` over
stateless calls), so this program runs on numkeras only.

The data is synthetic: 384 points in 10-D, in four classes given by the signs of two
projections; the last 128 are kept for validation.
"""

import numpy as np

import numkeras as keras
from numkeras import layers

BATCH_SIZE = 32


def make_data(n: int = 384, seed: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype("float32")
    projections = x @ rng.normal(size=(10, 2))
    labels = 2 * (projections[:, 0] > 0) + (projections[:, 1] > 0)
    return x, labels.astype("int64")


def batches(x: np.ndarray, y: np.ndarray, rng: np.random.Generator | None = None):
    """Mini-batches of ``(x, y)``, in a fresh random order when ``rng`` is given."""
    order = np.arange(len(x)) if rng is None else rng.permutation(len(x))
    for start in range(0, len(x), BATCH_SIZE):
        index = order[start : start + BATCH_SIZE]
        yield x[index], y[index]


def main() -> dict:
    keras.utils.set_random_seed(17)
    x, y = make_data()
    x_train, y_train, x_val, y_val = x[:256], y[:256], x[256:], y[256:]

    inputs = keras.Input(shape=(10,), name="features")
    hidden = layers.Dense(32, activation="relu")(inputs)
    hidden = layers.Dense(32, activation="relu")(hidden)
    logits = layers.Dense(4, name="logits")(hidden)
    model = keras.Model(inputs, logits)

    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_accuracy = keras.metrics.SparseCategoricalAccuracy()
    val_accuracy = keras.metrics.SparseCategoricalAccuracy()

    rng = np.random.default_rng(18)
    epoch_losses, train_accuracies, val_accuracies = [], [], []
    for _ in range(4):
        step_losses = []
        for x_batch, y_batch in batches(x_train, y_train, rng):
            with keras.GradientTape() as tape:
                batch_logits = model(x_batch, training=True)
                loss_value = loss_fn(y_batch, batch_logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            train_accuracy.update_state(y_batch, batch_logits)
            step_losses.append(float(loss_value))
        epoch_losses.append(float(np.mean(step_losses)))
        train_accuracies.append(float(train_accuracy.result()))
        train_accuracy.reset_state()

        for x_batch, y_batch in batches(x_val, y_val):
            val_accuracy.update_state(y_batch, model(x_batch, training=False))
        val_accuracies.append(float(val_accuracy.result()))
        val_accuracy.reset_state()

    return {
        "loss_before": epoch_losses[0],
        "loss_after": epoch_losses[-1],
        "train_accuracy": train_accuracies,
        "val_accuracy": val_accuracies,
        "optimizer_steps": int(np.asarray(optimizer.iterations)),
    }
