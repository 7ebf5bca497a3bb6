"""Classic networks, built and compiled, ready for ``fit``.

>>> model = mnist_cnn()
>>> model.count_params()
1199882
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..layers import Dense, Dropout, Flatten, Input
from ..layers.conv import Conv2D
from ..layers.pooling import MaxPooling2D
from .sequential import Sequential


def mnist_cnn(
    input_shape: tuple[int, int, int] = (28, 28, 1),
    num_classes: int = 10,
    optimizer: Any = "adam",
    loss: Any = "categorical_crossentropy",
    metrics: Sequence[Any] = ("accuracy",),
) -> Sequential:
    """Keras's classic MNIST convolutional network, compiled.

    Conv2D(32, 3×3, ReLU) → Conv2D(64, 3×3, ReLU) → MaxPooling2D(2×2) → Dropout(0.25) →
    Flatten → Dense(128, ReLU) → Dropout(0.5) → Dense(num_classes, softmax); Adam with Keras's
    defaults and categorical cross-entropy (one-hot labels; pass
    ``loss='sparse_categorical_crossentropy'`` for integer labels). Inputs are
    ``(batch, 28, 28, 1)`` images scaled to [0, 1].
    """
    model = Sequential(
        [
            Input(input_shape),
            Conv2D(32, kernel_size=(3, 3), activation="relu"),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Flatten(),
            Dense(128, activation="relu"),
            Dropout(0.5),
            Dense(num_classes, activation="softmax"),
        ],
        name="mnist_cnn",
    )
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model
