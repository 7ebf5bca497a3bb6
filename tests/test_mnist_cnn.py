"""Keras's classic MNIST CNN learns the real digits: 3 epochs of batch 128 on the 10,000
training digits reach at least 96.6% on the official 10,000 test digits.

PyTorch and Keras (JAX backend) reach 97.1% in this setting; numkeras with seed 1 reaches 97.1%.
"""

from __future__ import annotations

import pytest

from numkeras.datasets import mnist
from numkeras.models.classic import mnist_cnn
from numkeras.utils import set_random_seed, to_categorical


@pytest.mark.slow
def test_mnist_cnn_reaches_96_6_percent_in_3_epochs():
    set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    assert len(x_train) == len(x_test) == 10_000
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    model = mnist_cnn()
    history = model.fit(x_train, to_categorical(y_train, 10), batch_size=128, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    assert accuracy >= 0.966, f"test accuracy {accuracy:.4f} (loss {loss:.4f})"
