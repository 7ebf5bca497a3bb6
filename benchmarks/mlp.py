"""W1, W1b, W3 and W5: the course's MLP on Fashion-MNIST, trained by one framework.

    python benchmarks/mlp.py FRAMEWORK VARIANT EPOCHS [STYLE]

FRAMEWORK: numkeras, torch, keras (the backend comes from KERAS_BACKEND), sklearn or numpy (a
plain hand-written NumPy MLP). VARIANT: ``seed`` (W1: ReLU, softmax + categorical cross-entropy,
Adam(1e-3)) or ``slide`` (W1b: sigmoid, softmax + MSE, SGD(0.1)). Both are Dense 784-500-500-10,
batch 100, shuffled every epoch. STYLE (numkeras only): ``sequential`` (the default),
``functional`` (the same layers called on an ``Input`` and wrapped in ``Model``) or
``subclassed`` (the same layers held by a ``Model`` subclass and applied in its ``call``, built
by the first ``fit``). Reports seconds
per epoch (median of epochs 2..EPOCHS), test accuracy, ``predict`` throughput on the 10,000 test
images in batches of 1000 (W3), and the peak resident memory (W5).
"""

from __future__ import annotations

import math

import numpy as np
from common import (
    SEED,
    Clock,
    accuracy,
    argument,
    fashion_mnist,
    fit_timed,
    images_per_second,
    needed_bytes,
    peak_rss_bytes,
    report,
    threads,
    torch_device,
    torch_epochs,
)

BATCH, PREDICT_BATCH, HIDDEN = 100, 1000, 500


def numkeras_layers(
    hidden_units: int = HIDDEN, activation: str = "relu", inputs: int = 784
) -> list:
    """W1's layers in numkeras, in the course's spelling: each Dense followed by its Activation
    (Dense inputs-hidden_units-hidden_units-10, softmax output)."""
    from numkeras.layers import Activation, Dense

    return [
        Dense(hidden_units, input_shape=(inputs,)),
        Activation(activation),
        Dense(hidden_units),
        Activation(activation),
        Dense(10),
        Activation("softmax"),
    ]


def run_numkeras(
    data: dict,
    variant: str,
    epochs: int,
    style: str = "sequential",
    batch: int = BATCH,
    hidden_units: int = HIDDEN,
) -> dict:
    from numkeras import backend
    from numkeras.callbacks import LambdaCallback
    from numkeras.layers import Input
    from numkeras.models import Model, Sequential
    from numkeras.optimizers import SGD, Adam

    backend.set_random_seed(SEED)
    layers = numkeras_layers(hidden_units, "relu" if variant == "seed" else "sigmoid")
    if style == "functional":
        x = inputs = Input(shape=(784,))
        for layer in layers:
            x = layer(x)
        model = Model(inputs, x)
    elif style == "subclassed":
        model = _subclassed(layers)
    else:
        model = Sequential(layers)
    if variant == "seed":
        model.compile(optimizer=Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(optimizer=SGD(0.1), loss="mse", metrics=["accuracy"])
    clock = fit_timed(
        model,
        LambdaCallback,
        data["x_train"],
        data["t_train"],
        batch_size=batch,
        epochs=epochs,
        shuffle=True,
    )

    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict(x, batch_size=PREDICT_BATCH, verbose=0)

    params = model.count_params() * 4
    slots = 2 if variant == "seed" else 0
    activations = batch * (784 + 2 * hidden_units + 10) * 4 * 2  # values and their gradients
    return _finish(data, clock, predict, needed_bytes(data) + params * (2 + slots) + activations)


def _subclassed(layers: list):
    """``layers`` in a Keras user's ``Model`` subclass: held from ``__init__``, applied in
    ``call``."""
    from numkeras.models import Model

    class CourseMLP(Model):
        def __init__(self):
            super().__init__()
            self.stack = layers

        def call(self, inputs, training=None):
            for layer in self.stack:
                inputs = layer(inputs, training=training)
            return inputs

    return CourseMLP()


def run_keras(
    data: dict, variant: str, epochs: int, batch: int = BATCH, hidden_units: int = HIDDEN
) -> dict:
    import keras

    keras.utils.set_random_seed(SEED)
    hidden = "relu" if variant == "seed" else "sigmoid"
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((784,)),
            L.Dense(hidden_units),
            L.Activation(hidden),
            L.Dense(hidden_units),
            L.Activation(hidden),
            L.Dense(10),
            L.Activation("softmax"),
        ]
    )
    if variant == "seed":
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
    else:
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["accuracy"])
    clock = fit_timed(
        model,
        keras.callbacks.LambdaCallback,
        data["x_train"],
        data["t_train"],
        batch_size=batch,
        epochs=epochs,
        shuffle=True,
    )

    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict(x, batch_size=PREDICT_BATCH, verbose=0)

    return _finish(data, clock, predict)


def run_torch(data: dict, variant: str, epochs: int) -> dict:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(SEED)
    torch.set_num_threads(threads())
    act = nn.ReLU if variant == "seed" else nn.Sigmoid
    model = nn.Sequential(
        nn.Linear(784, HIDDEN), act(), nn.Linear(HIDDEN, HIDDEN), act(), nn.Linear(HIDDEN, 10)
    )
    device = torch_device()
    for layer in model:  # Keras's initialisation, so that the models are the same
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    model.to(device)
    if variant == "seed":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.from_numpy(data["x_train"])
    labels = torch.from_numpy(data["y_train"])
    targets = torch.from_numpy(data["t_train"])

    def batch_loss(index: torch.Tensor) -> torch.Tensor:
        # Batches go to the device one at a time, as numkeras and Keras move them.
        logits = model(x[index].to(device))
        if variant == "seed":
            return F.cross_entropy(logits, labels[index].to(device))
        return F.mse_loss(torch.softmax(logits, dim=1), targets[index].to(device))

    clock = torch_epochs(opt, batch_loss, len(x), BATCH, epochs)

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            parts = [
                torch.softmax(model(torch.from_numpy(x[i : i + PREDICT_BATCH]).to(device)), dim=1)
                for i in range(0, len(x), PREDICT_BATCH)
            ]
            return torch.cat(parts).cpu().numpy()

    return _finish(data, clock, predict)


def run_sklearn(data: dict, variant: str, epochs: int) -> dict:
    from sklearn.neural_network import MLPClassifier

    if variant != "seed":
        raise SystemExit("scikit-learn has no MSE loss for classifiers: W1 only")
    model = MLPClassifier(
        (HIDDEN, HIDDEN),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=1e-3,
        epsilon=1e-7,
        shuffle=True,
        random_state=SEED,
    )
    clock = Clock()
    for _ in range(epochs):  # partial_fit is one epoch of mini-batch updates
        clock.begin()
        model.partial_fit(data["x_train"], data["y_train"], classes=np.arange(10))
        clock.end()

    def predict(x: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [model.predict_proba(x[i : i + PREDICT_BATCH]) for i in range(0, len(x), PREDICT_BATCH)]
        )

    return _finish(data, clock, predict)


def run_numpy(data: dict, variant: str, epochs: int) -> dict:
    """A plain NumPy MLP as one writes it by hand: one temporary per operation."""
    if variant != "seed":
        raise SystemExit("the hand-written NumPy MLP is the W1 reference only")
    rng = np.random.default_rng(SEED)
    sizes = [784, HIDDEN, HIDDEN, 10]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (n_in + n_out))
        params += [
            rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32),
            np.zeros(n_out, np.float32),
        ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7

    def forward(x: np.ndarray) -> list[np.ndarray]:
        h1 = np.maximum(x @ params[0] + params[1], 0)
        h2 = np.maximum(h1 @ params[2] + params[3], 0)
        z = h2 @ params[4] + params[5]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return [h1, h2, e / e.sum(axis=1, keepdims=True)]

    x_train, t_train = data["x_train"], data["t_train"]
    clock, t = Clock(), 0
    for _ in range(epochs):
        clock.begin()
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), BATCH):
            index = order[start : start + BATCH]
            x, y = x_train[index], t_train[index]
            h1, h2, p = forward(x)
            gz = (p - y) / len(x)
            gh2 = (gz @ params[4].T) * (h2 > 0)
            gh1 = (gh2 @ params[2].T) * (h1 > 0)
            grads = [x.T @ gh1, gh1.sum(0), h1.T @ gh2, gh2.sum(0), h2.T @ gz, gz.sum(0)]
            t += 1
            alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            for p_, g, m_, v_ in zip(params, grads, m, v):
                m_[...] = b1 * m_ + (1 - b1) * g
                v_[...] = b2 * v_ + (1 - b2) * g * g
                p_ -= alpha * m_ / (np.sqrt(v_) + eps)
        clock.end()

    def predict(x: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [forward(x[i : i + PREDICT_BATCH])[2] for i in range(0, len(x), PREDICT_BATCH)]
        )

    return _finish(data, clock, predict)


def _finish(data: dict, clock: Clock, predict, needed: int | None = None) -> dict:
    figures = {
        "seconds_per_epoch": clock.seconds_per_epoch,
        "best_seconds_per_epoch": clock.best_seconds_per_epoch,
        "cpu_seconds_per_epoch": clock.cpu_seconds_per_epoch,
        "page_faults_per_epoch": clock.page_faults_per_epoch,
        "epoch_seconds": clock.epochs,
        "test_accuracy": accuracy(predict(data["x_test"]), data["y_test"]),
        "images_per_second": images_per_second(predict, data["x_test"]),
        "peak_rss_bytes": peak_rss_bytes(),
    }
    if needed is not None:
        figures["needed_bytes"] = needed
    return figures


RUNNERS = {
    "numkeras": run_numkeras,
    "keras": run_keras,
    "torch": run_torch,
    "sklearn": run_sklearn,
    "numpy": run_numpy,
}

if __name__ == "__main__":
    framework, variant = argument(1, "numkeras"), argument(2, "seed")
    epochs = int(argument(3, "5"))
    styles = {"style": argument(4, "sequential")} if framework == "numkeras" else {}
    report(**RUNNERS[framework](fashion_mnist(), variant, epochs, **styles))
