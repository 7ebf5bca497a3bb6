"""Follows Keras's classic example "Simple MNIST convnet" (keras.io's ``mnist_convnet.py``, once
``mnist_cnn.py``): two Conv2D + MaxPooling2D stages, Flatten, Dropout 0.5 and a softmax layer,
on 28x28x1 images scaled to [0, 1], trained with Adam on categorical cross-entropy.

For a short run it keeps the first 512 training and 256 test digits. ``load_data`` gives full
MNIST where it is cached or downloadable; offline, numkeras falls back to the sample packaged
with it (real Keras would need to download, so the check under real Keras skips this program).
"""

import numpy as np

import numkeras as keras
from numkeras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def load(train_samples: int = 512, test_samples: int = 256):
    """The first digits of MNIST as (28, 28, 1) float32 images in [0, 1], one-hot labels."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train[:train_samples].astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test[:test_samples].astype("float32") / 255, -1)
    y_train = keras.utils.to_categorical(y_train[:train_samples], NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test[:test_samples], NUM_CLASSES)
    return (x_train, y_train), (x_test, y_test)


def main() -> dict:
    keras.utils.set_random_seed(36)
    (x_train, y_train), (x_test, y_test) = load()

    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    loss_before, _ = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
    loss_after, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "accuracy": float(accuracy),
        "train_shape": x_train.shape,
        "params": model.count_params(),
    }
