"""A Keras 2 program, as the Keras 2 documentation and example scripts wrote them ("Getting
started with the Keras Sequential model", the ``keras.backend`` page): layers imported from
``keras.layers.core``, labels made with ``np_utils.to_categorical``, a metric written with the
backend functions as ``K.*``, training from a Python generator with ``fit_generator``, then
``evaluate_generator`` and ``predict_generator``, and ``SGD(lr=...)``.

This is Keras 2 code (Keras 3 removed these names), so it runs on numkeras only, with one
warning for each old spelling.

A 3-class problem on 384 synthetic points in 6-D.
"""

import numpy as np

from numkeras import backend as K
from numkeras.layers.core import Activation, Dense, Dropout
from numkeras.models import Sequential
from numkeras.optimizers import SGD
from numkeras.utils import np_utils

BATCH_SIZE = 32


def mean_max_probability(y_true, y_pred):
    """How confident the model is: the mean of its largest class probability."""
    return K.mean(K.max(y_pred, axis=-1))


def batch_generator(x, y, seed=0):
    """Endless shuffled batches, as Keras 2 programs fed ``fit_generator``."""
    rng = np.random.RandomState(seed)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x) - BATCH_SIZE + 1, BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            yield x[index], y[index]


def make_data(n=384, seed=33):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    labels = np.argmax(x[:, :3] + 0.5 * x[:, 3:], axis=1)
    return x, np_utils.to_categorical(labels, 3)


def main():
    np.random.seed(34)
    x, y = make_data()
    x_train, y_train, x_test, y_test = x[:256], y[:256], x[256:], y[256:]

    model = Sequential()
    model.add(Dense(64, input_dim=6))
    model.add(Activation("relu"))
    model.add(Dropout(0.2))
    model.add(Dense(3))
    model.add(Activation("softmax"))
    model.compile(
        loss="categorical_crossentropy",
        optimizer=SGD(lr=0.05, momentum=0.9),
        metrics=["accuracy", mean_max_probability],
    )
    before = model.evaluate_generator(batch_generator(x_test, y_test), steps=4)
    history = model.fit_generator(
        batch_generator(x_train, y_train),
        steps_per_epoch=len(x_train) // BATCH_SIZE,
        epochs=4,
        validation_data=batch_generator(x_test, y_test, seed=1),
        validation_steps=4,
        verbose=0,
    )
    after = model.evaluate_generator(batch_generator(x_test, y_test), steps=4)
    probabilities = model.predict_generator(
        (x_test[i : i + BATCH_SIZE] for i in range(0, len(x_test), BATCH_SIZE)), steps=4
    )
    return {
        "loss_before": float(before[0]),
        "loss_after": float(after[0]),
        "accuracy": float(after[1]),
        "confidence": float(after[2]),
        "history_keys": sorted(history.history),
        "predictions_shape": probabilities.shape,
        "kernel_shape": K.int_shape(model.layers[0].kernel),
        "epsilon": K.epsilon(),
        "image_data_format": K.image_data_format(),
    }
