"""Follows keras.io's "The Sequential model" guide: a stack of layers grown with ``add``,
inspected with ``summary``, then trained, evaluated and used to predict.

The data is synthetic: 384 points in 8 dimensions whose class (one of 3) is the largest of
three fixed linear scores, so a small MLP learns it in a few epochs.
"""

import io

import numpy as np

import numkeras as keras
from numkeras import layers


def make_data(n: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in 8-D and their class: the argmax of three fixed linear scores."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    scores = x @ rng.normal(size=(8, 3))
    return x, scores.argmax(axis=1).astype("int64")


def main() -> dict:
    keras.utils.set_random_seed(7)
    x, y = make_data()
    x_train, y_train, x_test, y_test = x[:256], y[:256], x[256:], y[256:]

    model = keras.Sequential(name="three_way")
    model.add(keras.Input(shape=(8,)))
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(3, activation="softmax"))

    table = io.StringIO()
    model.summary(print_fn=lambda line, *args, **kwargs: table.write(line + "\n"))

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    loss_before, _ = model.evaluate(x_test, y_test, verbose=0)
    history = model.fit(x_train, y_train, batch_size=32, epochs=3, verbose=0)
    loss_after, accuracy = model.evaluate(x_test, y_test, verbose=0)
    probabilities = model.predict(x_test[:5], verbose=0)
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "accuracy": float(accuracy),
        "epochs_recorded": len(history.history["loss"]),
        "params": model.count_params(),
        "summary_lists_params": "Total params" in table.getvalue(),
        "prediction_rows_sum_to_one": bool(np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)),
    }
