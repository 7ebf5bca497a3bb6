"""Follows keras.io's "Transfer learning & fine-tuning" guide: a base model (trained here on a
first task, in place of downloaded weights) is frozen with ``trainable = False``, called with
``training=False`` under a new classification head, and the head alone is trained on a second
task; ``summary()`` then counts the base's weights as non-trainable. Fine-tuning follows:
unfreeze the base, recompile with a low learning rate, train a little more.

Both tasks are synthetic and share their useful features: 320 points in 12-D; task A predicts
the signs of 4 projections, task B a class made from 2 of those signs.
"""

import io
import re

import numpy as np

import numkeras as keras
from numkeras import layers


def make_tasks(n: int = 320, seed: int = 21) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, task A's 4 binary targets and task B's class (0 to 3)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12)).astype("float32")
    signs = (x @ rng.normal(size=(12, 4)) > 0).astype("float32")
    classes = (2 * signs[:, 0] + signs[:, 1]).astype("int64")
    return x, signs, classes


def summary_counts(model: keras.Model) -> dict:
    """The trainable and non-trainable parameter counts that ``summary()`` prints."""
    text = io.StringIO()
    model.summary(print_fn=lambda line, *args, **kwargs: text.write(line + "\n"))
    found = dict(re.findall(r"(Trainable|Non-trainable) params: ([\d,]+)", text.getvalue()))
    return {kind: int(count.replace(",", "")) for kind, count in found.items()}


def main() -> dict:
    keras.utils.set_random_seed(22)
    x, signs, classes = make_tasks()

    base_model = keras.Sequential(
        [
            keras.Input(shape=(12,)),
            layers.Dense(32, activation="relu"),
            layers.BatchNormalization(),
            layers.Dense(16, activation="relu"),
        ],
        name="base",
    )
    pretraining = keras.Sequential([base_model, layers.Dense(4, activation="sigmoid")])
    pretraining.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="bce")
    pretraining.fit(x, signs, batch_size=32, epochs=6, verbose=0)

    base_model.trainable = False
    inputs = keras.Input(shape=(12,))
    features = base_model(inputs, training=False)
    outputs = layers.Dense(4, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    counts = summary_counts(model)
    frozen_before = [w.copy() for w in base_model.get_weights()]
    loss_before, _ = model.evaluate(x, classes, batch_size=64, verbose=0)
    model.fit(x, classes, batch_size=32, epochs=6, verbose=0)
    loss_head, accuracy_head = model.evaluate(x, classes, batch_size=64, verbose=0)
    base_unchanged = all(
        np.array_equal(a, b) for a, b in zip(frozen_before, base_model.get_weights())
    )

    base_model.trainable = True
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, classes, batch_size=32, epochs=1, verbose=0)
    loss_after, accuracy = model.evaluate(x, classes, batch_size=64, verbose=0)
    return {
        "loss_before": float(loss_before),
        "loss_head": float(loss_head),
        "loss_after": float(loss_after),
        "accuracy_head": float(accuracy_head),
        "accuracy": float(accuracy),
        "base_params": base_model.count_params(),
        "head_params": model.layers[-1].count_params(),
        "summary_counts": counts,
        "base_unchanged_while_frozen": base_unchanged,
        "base_changed_by_fine_tuning": not all(
            np.array_equal(a, b) for a, b in zip(frozen_before, base_model.get_weights())
        ),
    }
