"""The Lab: how the experiments' data is cut from MNIST, and how a run is measured."""

import numpy as np

from numkeras.datasets import mnist
from numkeras.layers import Dense
from numkeras.models import Sequential
from numkeras.recipe.lab import QUICK, EpochTimer, Lab


def test_data_is_cut_reproducibly_and_early_stopping_never_sees_training_digits():
    data = mnist.load(sample=True)
    lab, again, other = (Lab(data, QUICK, seed) for seed in (1, 1, 2))
    assert lab.x_train.shape == (QUICK.train_size, 784) and lab.x_train.dtype == np.float32
    assert 0.0 <= lab.x_train.min() and lab.x_train.max() == 1.0
    assert lab.y_train.shape == (QUICK.train_size, 10)
    assert np.array_equal(lab.labels_train, lab.y_train.argmax(1))
    assert len(lab.x_small) == QUICK.small_train and len(lab.x_val) == QUICK.validation_size
    assert len(lab.x_small) + len(lab.x_val) <= len(data.x_train)  # disjoint ends of the pool
    assert len(lab.x_test) == 10_000 and len(lab.curve_data[0]) == QUICK.curve_test
    assert np.array_equal(lab.x_train, again.x_train)
    assert not np.array_equal(lab.labels_train, other.labels_train)
    assert lab.images(lab.x_small).shape == (QUICK.small_train, 28, 28, 1)
    assert lab.describe()["train_digits"] == QUICK.train_size


def test_epoch_timer_leaves_validation_out():
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 3), dtype=np.float32), rng.random((40, 1), dtype=np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    timer = EpochTimer()
    model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[timer])
    assert len(timer.seconds) == 3 and all(0 < s < 1 for s in timer.seconds)
