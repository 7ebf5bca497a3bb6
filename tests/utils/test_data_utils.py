"""pack/unpack_x_y_sample_weight and PyDataset, as keras.utils has them."""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from numkeras import utils

X, Y, W = np.zeros((2, 3)), np.ones((2, 1)), np.ones(2)


@pytest.mark.parametrize(
    "data, expected",
    [((X,), (X, None, None)), (X, (X, None, None)), ((X, Y), (X, Y, None)), ((X, Y, W), (X, Y, W))],
)
def test_unpack_matches_keras(keras, data, expected):
    for library in (utils, keras.utils):
        assert all(a is b for a, b in zip(library.unpack_x_y_sample_weight(data), expected))


def test_pack_matches_keras(keras):
    for args in [(X,), ([X, X],), (X, Y), (X, Y, W)]:
        ours, theirs = (
            utils.pack_x_y_sample_weight(*args),
            keras.utils.pack_x_y_sample_weight(*args),
        )
        assert type(ours) is type(theirs) and len(ours) == len(theirs)


def test_unpack_refuses_more_than_three():
    with pytest.raises(ValueError, match="4 elements"):
        utils.unpack_x_y_sample_weight((X, Y, W, W))


class Batches(utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.epochs_ended = 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        x = np.random.default_rng(index).normal(size=(16, 3)).astype("float32")
        return x, x.sum(axis=1, keepdims=True)

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_evaluate_and_predict_read_a_py_dataset():
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    batches = Batches(workers=2)
    history = model.fit(batches, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and batches.epochs_ended == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(model.evaluate(batches, verbose=0))
    assert model.predict(batches, verbose=0).shape == (64, 1) and batches.num_batches == 4
    assert utils.Sequence is utils.PyDataset


def test_a_py_dataset_without_its_methods_says_which():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        utils.PyDataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(utils.PyDataset())
