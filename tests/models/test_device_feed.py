"""Batches onto the device: each one copied from pinned memory on a stream of its own, one step
ahead, and waited for by the compute stream (numkeras/models/device_feed.py).

Under the strict stand-in, ``tests/strict_cuda.py`` records what the feed asks of CuPy's streams,
events and pinned memory, in order, with the steps of the loop written into the same log.
"""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
import strict_cuda
import strict_xp
from device_support import same_on_the_cpu
from numkeras import backend, layers
from numkeras.models import data_adapter, device_feed

SAMPLES, FEATURES, CLASSES = 12, 5, 3


def _data(samples: int = SAMPLES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.random((samples, FEATURES), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, samples)]
    return x, y, rng.random(samples, dtype=np.float32) + 0.5


def _model() -> numkeras.Sequential:
    backend.set_random_seed(0)
    model = numkeras.Sequential(
        [layers.Input((FEATURES,)), layers.Dense(8, "relu"), layers.Dense(CLASSES, "softmax")]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def log(stand_in) -> list[tuple]:
    """The stand-in GPU's log of stream, event and copy operations, empty at the start."""
    return strict_cuda.log


def test_on_the_cpu_the_batches_pass_as_they_are(device_restored):
    backend.set_device("cpu")
    assert device_feed.for_active_device() is iter
    x, y, sw = _data()
    batches = data_adapter.ArrayBatches([x], [y], sw, batch_size=5)
    first = next(iter(batches))
    assert first[0][0].base is x and first[1][0].base is y  # views, no copy


def test_batches_arrive_on_the_device_in_order_and_equal(log, stand_in):
    x, y, sw = _data()
    texts = np.array([f"sample {i}" for i in range(SAMPLES)])
    batches = data_adapter.ArrayBatches([x, texts], [y], sw, batch_size=5)
    for _ in range(2):
        sizes = []
        # A batch is valid until the step after it starts (its slot's buffers are then
        # written again): each is checked as it arrives.
        for step, (xs, ys, weights) in enumerate(batches):
            part = slice(5 * step, 5 * step + 5)
            sizes.append(len(xs[0]))
            assert all(isinstance(a, stand_in.ndarray) for a in (xs[0], ys[0], weights))
            np.testing.assert_array_equal(stand_in.asnumpy(xs[0]), x[part])
            np.testing.assert_array_equal(stand_in.asnumpy(ys[0]), y[part])
            np.testing.assert_array_equal(stand_in.asnumpy(weights), sw[part])
            # Texts stay on the host, for a first layer that turns them into numbers.
            np.testing.assert_array_equal(xs[1], texts[part])
        assert sizes == [5, 5, 2]
    copies = [entry for entry in log if entry[0] == "copy"]
    assert len(copies) == 2 * 3 * 3  # epochs x batches x numeric arrays
    assert all(stream != "null" and pinned for _, stream, pinned in copies)


def test_an_empty_share_of_a_batch_stays_on_the_host(stand_in):
    # A data-parallel rank's share of a short last batch may have no row; no step reads it.
    empty = np.empty((0, FEATURES), np.float32)
    [(xs, ys, weights)] = device_feed.DeviceFeed(stand_in).batches([([empty], None, None)])
    assert xs[0] is empty and ys is None and weights is None


def _logged_steps(model: numkeras.Sequential, method: str, log: list[tuple]) -> None:
    """Write ``("compute",)`` into ``log`` as each ``method`` step of ``model`` starts."""
    step = getattr(model, method)
    setattr(model, method, lambda data: log.append(("compute",)) or step(data))


@pytest.mark.parametrize(
    "method, run",
    [
        ("train_step", lambda model, x, y: model.fit(x, y, batch_size=4, epochs=2, verbose=0)),
        ("test_step", lambda model, x, y: model.evaluate(x, y, batch_size=4, verbose=0)),
        ("predict_step", lambda model, x, y: model.predict(x, batch_size=4, verbose=0)),
    ],
)
def test_the_next_copy_is_issued_before_the_step_and_the_step_waits_for_its_copy(log, method, run):
    x, y, _ = _data()
    model = _model()
    _logged_steps(model, method, log)
    run(model, x, y)
    [copy_stream] = {entry[1] for entry in log if entry[0] == "copy"}
    # Per pass of the feed, the events recorded on the copy stream, one per batch.
    copied: list[str] = []
    last_wait, steps = None, 0
    for entry in log:
        if entry[0] == "record" and entry[1] == copy_stream:
            copied.append(entry[2])
        elif entry[0] == "wait" and entry[1] == "null":
            last_wait = entry[2]
        elif entry[0] == "compute":
            batch = steps % 3
            # Batch i + 1 (of 3 per pass) was copied before step i started...
            assert len(copied) == steps - batch + min(batch + 2, 3)
            # ...and step i waits, on the GPU, for the copy of batch i.
            assert last_wait == copied[steps]
            steps += 1
    assert steps == (6 if method == "train_step" else 3)
    # Before a slot's buffers are written again, the copy stream waits for the compute
    # stream's work so far (the step that read them), and the host for their last copy.
    issued = [i for i, entry in enumerate(log) if entry[:2] == ("wait", copy_stream)]
    assert len(issued) == len(copied)
    for i in issued:
        assert log[i - 1] == ("record", "null", log[i][2])
        assert log[i - 2][0] == "synchronize"


def test_the_pinned_and_device_buffers_are_reused_once_warm(log, stand_in):
    x, y, _ = _data()
    model = _model()
    arrays: list[strict_xp.ndarray] = []
    step = model.train_step
    model.train_step = lambda data: arrays.append(data[0]) or step(data)
    epochs = numkeras.callbacks.LambdaCallback(on_epoch_end=lambda *_: log.append(("epoch",)))
    model.fit(x, y, batch_size=4, epochs=3, shuffle=True, verbose=0, callbacks=[epochs])
    first_epoch = log.index(("epoch",))
    # Two slots of two arrays (x and y), allocated in the first epoch, never again.
    assert [entry[0] for entry in log[:first_epoch]].count("alloc_pinned") == 4
    assert "alloc_pinned" not in [entry[0] for entry in log[first_epoch:]]
    assert len(arrays) == 9 and len({id(a) for a in arrays}) == 2
    assert all(a is arrays[i % 3 % 2] for i, a in enumerate(arrays))


def test_a_short_last_batch_takes_the_first_rows_of_the_buffers(log, stand_in):
    x, y, sw = _data(10)
    batches = data_adapter.ArrayBatches([x], [y], sw, batch_size=4)
    for _ in range(2):
        *_, last = batches  # the last batch, still valid: no step followed it
        np.testing.assert_array_equal(stand_in.asnumpy(last[0][0]), x[8:])
    assert [entry[0] for entry in log].count("alloc_pinned") == 6  # 2 slots x 3 arrays


def test_training_from_shuffled_weighted_batches_is_the_cpus(stand_in):
    x, y, sw = _data(50)

    def train():
        model = _model()
        history = model.fit(
            x,
            y,
            sample_weight=sw,
            batch_size=8,
            epochs=3,
            shuffle=True,
            validation_data=(x[:20], y[:20]),
            verbose=0,
        )
        return model.get_weights(), history.history, model.predict(x, batch_size=7, verbose=0)

    same_on_the_cpu(train)


def test_a_generator_stopped_early_is_closed(stand_in):
    closed = []

    def batches():
        x, y, _ = _data()
        try:
            while True:
                yield x[:4], y[:4]
        finally:
            closed.append(True)

    model = _model()
    stop = numkeras.callbacks.LambdaCallback(
        on_train_batch_end=lambda step, logs: setattr(model, "stop_training", step == 1)
    )
    model.fit(batches(), steps_per_epoch=5, epochs=1, verbose=0, callbacks=[stop])
    assert closed == [True]
