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


def test_split_dataset_by_fraction_count_or_default():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    (xl, yl), (xr, yr) = utils.split_dataset((x, y), left_size=0.3)
    assert len(xl) == 3 and len(xr) == 7 and np.array_equal(yl, [0, 1, 2])
    left, right = utils.split_dataset(x, right_size=4)
    assert left.shape == (6, 1) and right.shape == (4, 1)
    left, right = utils.split_dataset(x)
    assert len(left) == 8 and len(right) == 2


def test_split_dataset_shuffles_reproducibly_and_keeps_pairs_together():
    x, y = np.arange(20), np.arange(20) * 10
    first = utils.split_dataset([x, y], left_size=0.5, shuffle=True, seed=3)
    second = utils.split_dataset([x, y], left_size=0.5, shuffle=True, seed=3)
    (xl, yl), _ = first
    assert isinstance(first[0], list) and np.array_equal(yl, xl * 10)
    assert np.array_equal(xl, second[0][0]) and not np.array_equal(xl, x[:10])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"left_size": 1.5}, ValueError, "left_size as a fraction"),
        ({"right_size": 11}, ValueError, "right_size as a count"),
        ({"left_size": "half"}, TypeError, "left_size must be"),
        ({"left_size": 6, "right_size": 6}, ValueError, "add up to"),
    ],
)
def test_split_dataset_names_a_bad_size(kwargs, error, message):
    with pytest.raises(error, match=message):
        utils.split_dataset(np.zeros(10), **kwargs)


def test_split_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same number of samples"):
        utils.split_dataset((np.zeros(3), np.zeros(4)))


def test_progbar_is_public_as_in_keras():
    assert utils.Progbar(10).target == 10


class Threaded(utils.PyDataset):
    """Batches whose reading records the thread that read them, and the epochs' edges."""

    def __init__(self, count: int = 12, fail_at: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.count, self.fail_at = count, fail_at
        self.threads: set[int] = set()
        self.events: list[str] = []

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        import threading
        import time

        self.threads.add(threading.get_ident())
        time.sleep(0.002 * ((index * 7) % 5))  # items finish out of order
        if index == self.fail_at:
            raise OSError(f"cannot read batch {index}")
        x = np.full((2, 3), index, "float32")
        return x, x[:, :1]

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def test_workers_read_ahead_in_threads_and_keep_the_order():
    data = Threaded(workers=4, max_queue_size=3)
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(1)])
    predicted = model.predict(data, verbose=0)
    weights = model.layers[0].get_weights()
    expected = np.repeat(np.arange(12, dtype="float32"), 2)[:, None] * weights[0].sum() + weights[1]
    np.testing.assert_allclose(predicted, expected, rtol=1e-5)
    assert len(data.threads) > 1 and data.events == ["begin", "end"]


def test_a_failing_batch_read_by_a_worker_stops_the_epoch_with_its_error():
    model = numkeras.Sequential([numkeras.Input((3,)), numkeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(OSError, match="batch 5"):
        model.fit(Threaded(fail_at=5, workers=3), epochs=1, verbose=0)


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"max_queue_size": 0}, {"workers": 1.5}])
def test_py_dataset_names_a_bad_worker_setting(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        utils.PyDataset(**kwargs)
