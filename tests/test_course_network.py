"""The course's final network on the real MNIST digits (issue: at least 95% test accuracy)."""

import pytest

from numkeras import backend
from numkeras.datasets import mnist
from numkeras.recipe.networks import course_mlp
from numkeras.utils import to_categorical


@pytest.mark.slow
def test_course_final_network_reaches_95_percent_on_the_official_test_set():
    backend.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(sample=True)
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    model = course_mlp(
        activation="relu", loss="categorical_crossentropy", optimizer="adam", dropout=0.2
    )
    model.fit(x_train, to_categorical(y_train, 10), batch_size=100, epochs=10, verbose=0)
    loss, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), verbose=0)
    assert accuracy >= 0.95
