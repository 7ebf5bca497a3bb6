"""W6: a recurrent network reading MNIST row by row, trained by one framework.

    python benchmarks/rnn.py FRAMEWORK CELL EPOCHS

FRAMEWORK: numkeras, torch (eager ``nn.LSTM``/``nn.GRU``, oneDNN's fused cells) or keras (the
backend comes from KERAS_BACKEND). CELL: ``lstm`` or ``gru``. The model is Keras's classic
``examples/mnist_lstm``: each 28x28 digit is a sequence of 28 rows of 28 pixels, read by
LSTM(128) or GRU(128) (Keras 3's defaults: tanh, sigmoid gates, GRU ``reset_after=True``), whose
last state feeds Dense(10) softmax; Adam(1e-3), batch 128, shuffled every epoch, on the 10,000
training digits that numkeras packages. Reports seconds per epoch (median of epochs 2..EPOCHS)
and the accuracy on the official 10,000 test digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from common import SEED, Clock, accuracy, argument, fit_timed, report, threads, torch_epochs

BATCH, UNITS, ROWS = 128, 128, 28


def mnist_rows() -> dict[str, np.ndarray]:
    """The packaged MNIST sample as float32 sequences ``(n, 28, 28)`` in [0, 1]."""
    from numkeras.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    data = {}
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        data[f"x_{name}"] = np.multiply(x, np.float32(1 / 255), dtype=np.float32)
        data[f"y_{name}"] = y.astype(np.int64)
    return data


def run_numkeras(data: dict, cell: str, epochs: int) -> dict:
    import numkeras

    return run_keras_api(numkeras, data, cell, epochs)


def run_keras(data: dict, cell: str, epochs: int) -> dict:
    import keras

    return run_keras_api(keras, data, cell, epochs)


def run_keras_api(keras: Any, data: dict, cell: str, epochs: int) -> dict:
    """The model trained through ``keras``: the numkeras or the Keras 3 module, whose API these
    calls share."""
    keras.utils.set_random_seed(SEED)
    recurrent = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    model = keras.Sequential(
        [
            keras.Input((ROWS, ROWS)),
            recurrent(UNITS),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    clock = fit_timed(
        model,
        keras.callbacks.LambdaCallback,
        data["x_train"],
        data["y_train"],
        batch_size=BATCH,
        epochs=epochs,
        shuffle=True,
    )
    return _finish(data, clock, model.predict(data["x_test"], batch_size=1000, verbose=0))


def run_torch(data: dict, cell: str, epochs: int) -> dict:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(SEED)
    torch.set_num_threads(threads())
    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](ROWS, UNITS, batch_first=True)
    head = nn.Linear(UNITS, 10)
    opt = torch.optim.Adam([*recurrent.parameters(), *head.parameters()], lr=1e-3, eps=1e-7)
    x, labels = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])

    def logits(batch: torch.Tensor) -> torch.Tensor:
        sequence, _ = recurrent(batch)
        return head(sequence[:, -1])

    def batch_loss(index: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits(x[index]), labels[index])

    clock = torch_epochs(opt, batch_loss, len(x), BATCH, epochs)
    with torch.inference_mode():
        probabilities = torch.softmax(logits(torch.from_numpy(data["x_test"])), dim=1).numpy()
    return _finish(data, clock, probabilities)


def _finish(data: dict, clock: Clock, probabilities: np.ndarray) -> dict:
    return {
        "seconds_per_epoch": clock.seconds_per_epoch,
        "cpu_seconds_per_epoch": clock.cpu_seconds_per_epoch,
        "test_accuracy": accuracy(probabilities, data["y_test"]),
        "threads": threads(),
    }


def main() -> None:
    framework, cell = argument(1, "numkeras"), argument(2, "lstm")
    epochs = int(argument(3, "3"))
    runner = {"numkeras": run_numkeras, "torch": run_torch, "keras": run_keras}[framework]
    report(**runner(mnist_rows(), cell, epochs))


if __name__ == "__main__":
    main()
