"""Follows Keras's classic example script ``mnist_mlp.py``: a multilayer perceptron on MNIST
(784 -> 512 -> 512 -> 10 with ReLU and Dropout 0.2, RMSprop), with the script's data
preparation: flatten, scale to [0, 1], one-hot labels with ``to_categorical``; it reports the
test loss and accuracy.

For a short run it keeps the first 512 training and 256 test digits. ``load_data`` gives full
MNIST where it is cached or downloadable; offline, numkeras falls back to the sample packaged
with it (real Keras would need to download, so the check under real Keras skips this program).
"""

import numkeras as keras
from numkeras import layers

NUM_CLASSES = 10


def load(train_samples: int = 512, test_samples: int = 256):
    """The first digits of MNIST, as flat float32 vectors in [0, 1] with one-hot labels."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:train_samples].reshape(-1, 784).astype("float32") / 255
    x_test = x_test[:test_samples].reshape(-1, 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train[:train_samples], NUM_CLASSES)
    y_test = keras.utils.to_categorical(y_test[:test_samples], NUM_CLASSES)
    return (x_train, y_train), (x_test, y_test)


def main() -> dict:
    keras.utils.set_random_seed(35)
    (x_train, y_train), (x_test, y_test) = load()

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    loss_before, _ = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
    loss_after, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "accuracy": float(accuracy),
        "train_shape": x_train.shape,
        "pixel_range": (float(x_train.min()), float(x_train.max())),
    }
