"""W2: the Keras MNIST CNN on the first 10,000 Fashion-MNIST training images, one framework.

    python benchmarks/cnn.py FRAMEWORK EPOCHS

FRAMEWORK: numkeras, torch or keras (backend from KERAS_BACKEND). The network is Keras's
example: conv32-conv64 (3x3, ReLU) - maxpool 2x2 - dropout 0.25 - dense128 (ReLU) - dropout 0.5
- dense10 (softmax), categorical cross-entropy, Adam, batch 128. Reports seconds per epoch (the
median of epochs 2..EPOCHS) and the test accuracy.
"""

from __future__ import annotations

import numpy as np
from common import (
    SEED,
    Clock,
    accuracy,
    argument,
    fashion_mnist,
    fit_timed,
    report,
    threads,
    torch_device,
    torch_epochs,
)

BATCH, TRAIN_IMAGES = 128, 10_000


def numkeras_model():
    """W2's network in numkeras, not compiled."""
    from numkeras.layers import Dense, Dropout, Flatten
    from numkeras.layers.conv import Conv2D
    from numkeras.layers.pooling import MaxPooling2D
    from numkeras.models import Sequential

    return Sequential(
        [
            Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Dropout(0.25),
            Flatten(),
            Dense(128, activation="relu"),
            Dropout(0.5),
            Dense(10, activation="softmax"),
        ]
    )


def run_numkeras(data: dict, epochs: int) -> dict:
    from numkeras import backend
    from numkeras.callbacks import LambdaCallback

    backend.set_random_seed(SEED)
    model = numkeras_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    clock = fit_timed(
        model, LambdaCallback, data["x_train"], data["t_train"], batch_size=BATCH, epochs=epochs
    )
    probabilities = model.predict(data["x_test"], batch_size=1000, verbose=0)
    return _figures(clock, probabilities, data)


def run_keras(data: dict, epochs: int) -> dict:
    import keras

    keras.utils.set_random_seed(SEED)
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(32, (3, 3), activation="relu"),
            L.Conv2D(64, (3, 3), activation="relu"),
            L.MaxPooling2D((2, 2)),
            L.Dropout(0.25),
            L.Flatten(),
            L.Dense(128, activation="relu"),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    clock = fit_timed(
        model,
        keras.callbacks.LambdaCallback,
        data["x_train"],
        data["t_train"],
        batch_size=BATCH,
        epochs=epochs,
    )
    probabilities = model.predict(data["x_test"], batch_size=1000, verbose=0)
    return _figures(clock, probabilities, data)


def run_torch(data: dict, epochs: int) -> dict:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(SEED)
    torch.set_num_threads(threads())
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(64 * 12 * 12, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    device = torch_device()
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    x = torch.from_numpy(data["x_train"]).permute(0, 3, 1, 2).contiguous()  # NCHW
    labels = torch.from_numpy(data["y_train"])

    def batch_loss(index: torch.Tensor) -> torch.Tensor:
        # Batches go to the device one at a time, as numkeras and Keras move them.
        return F.cross_entropy(model(x[index].to(device)), labels[index].to(device))

    model.train()
    clock = torch_epochs(opt, batch_loss, len(x), BATCH, epochs)
    model.eval()
    with torch.inference_mode():
        x_test = torch.from_numpy(data["x_test"]).permute(0, 3, 1, 2).contiguous()
        probabilities = torch.cat(
            [model(x_test[i : i + 1000].to(device)) for i in range(0, len(x_test), 1000)]
        )
    return _figures(clock, probabilities.cpu().numpy(), data)


def _figures(clock: Clock, probabilities: np.ndarray, data: dict) -> dict:
    return {
        "seconds_per_epoch": clock.seconds_per_epoch,
        "epoch_seconds": clock.epochs,
        "test_accuracy": accuracy(probabilities, data["y_test"]),
    }


RUNNERS = {"numkeras": run_numkeras, "keras": run_keras, "torch": run_torch}

if __name__ == "__main__":
    framework, epochs = argument(1, "numkeras"), int(argument(2, "3"))
    report(**RUNNERS[framework](fashion_mnist(limit=TRAIN_IMAGES, images=True), epochs))
