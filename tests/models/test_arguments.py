"""fit, evaluate and predict refuse a wrongly typed or out-of-range argument before any work,
with an error that names the argument, what it must be and what it got."""

import numpy as np
import pytest

from numkeras.layers import Dense
from numkeras.models import Sequential

X = np.random.default_rng(0).random((20, 2)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[np.arange(20) % 3]


def model():
    net = Sequential([Dense(3, input_shape=(2,), activation="softmax")])
    net.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return net


def call(net, method, **arguments):
    if method == "fit":
        return net.fit(**{"x": X, "y": Y, "verbose": 0, **arguments})
    if method == "evaluate":
        return net.evaluate(**{"x": X, "y": Y, "verbose": 0, **arguments})
    return net.predict(**{"x": X, "verbose": 0, **arguments})


CASES = [
    ("fit", dict(x=None), ValueError, "x must be arrays .*Received: x=None"),
    ("fit", dict(x="digits.npz"), TypeError, "x must be arrays"),
    (
        "fit",
        dict(batch_size=0),
        ValueError,
        "batch_size must be an int >= 1 or None. Received: batch_size=0",
    ),
    ("fit", dict(batch_size=-5), ValueError, "batch_size=-5"),
    ("fit", dict(batch_size=2.5), TypeError, "batch_size must be an int >= 1"),
    ("fit", dict(batch_size=True), TypeError, "batch_size=True"),
    ("fit", dict(epochs="3"), TypeError, "epochs must be an int >= 0. Received: epochs='3'"),
    ("fit", dict(epochs=-1), ValueError, "epochs must be an int >= 0"),
    ("fit", dict(verbose=3), ValueError, "verbose must be 'auto', 0, 1 or 2. Received: verbose=3"),
    ("fit", dict(verbose="loud"), TypeError, "verbose="),
    ("fit", dict(callbacks=5), TypeError, "callbacks must be a list of Callback instances"),
    ("fit", dict(callbacks=[print]), TypeError, "callbacks must be instances"),
    (
        "fit",
        dict(validation_split="0.2"),
        TypeError,
        "validation_split must be a number in \\[0, 1\\). Received: validation_split='0.2'",
    ),
    ("fit", dict(validation_split=1.0), ValueError, "validation_split=1.0"),
    ("fit", dict(validation_split=-0.1), ValueError, "validation_split=-0.1"),
    ("fit", dict(validation_data=(X,)), TypeError, "validation_data must be \\(x_val, y_val\\)"),
    ("fit", dict(validation_data=7), TypeError, "validation_data="),
    ("fit", dict(shuffle="yes"), TypeError, "shuffle must be a bool"),
    ("fit", dict(class_weight=[1, 2, 3]), TypeError, "class_weight must be a dict"),
    ("fit", dict(class_weight={"0": 1.0}), TypeError, "class_weight must be a dict"),
    ("fit", dict(class_weight={0: "heavy"}), TypeError, "class_weight must be a dict"),
    ("fit", dict(class_weight={-1: 1.0}), ValueError, "class indices \\(ints >= 0\\)"),
    ("fit", dict(class_weight={0: -1.0}), ValueError, "finite weights >= 0"),
    ("fit", dict(class_weight={0: float("nan")}), ValueError, "finite weights >= 0"),
    ("fit", dict(sample_weight="heavy"), TypeError, "sample_weight must be a NumPy array"),
    ("fit", dict(sample_weight=np.ones(19)), ValueError, "sample_weight.shape\\[0\\]=19"),
    ("fit", dict(sample_weight=np.ones((20, 4))), ValueError, "sample_weight must have one weight"),
    ("fit", dict(initial_epoch=-1), ValueError, "initial_epoch must be an int >= 0"),
    ("fit", dict(initial_epoch=1.0), TypeError, "initial_epoch="),
    (
        "fit",
        dict(epochs=2, initial_epoch=3),
        ValueError,
        "initial_epoch must be <= epochs.*pass epochs=5",
    ),
    (
        "fit",
        dict(steps_per_epoch=-1),
        ValueError,
        "steps_per_epoch must be a number > 0 or None. Received: steps_per_epoch=-1",
    ),
    ("fit", dict(steps_per_epoch=0), ValueError, "steps_per_epoch=0"),
    ("fit", dict(steps_per_epoch="2"), TypeError, "steps_per_epoch="),
    ("fit", dict(validation_data=(X, Y), validation_steps=0), ValueError, "validation_steps=0"),
    ("fit", dict(validation_batch_size=0), ValueError, "validation_batch_size must be an int"),
    ("fit", dict(validation_freq=0), ValueError, "validation_freq must be an int >= 1 or a list"),
    ("fit", dict(validation_freq="1"), TypeError, "validation_freq="),
    ("fit", dict(validation_freq=[0, 2]), ValueError, "validation_freq=\\[0, 2\\]"),
    ("evaluate", dict(x=None), ValueError, "x must be arrays"),
    ("evaluate", dict(batch_size="32"), TypeError, "batch_size="),
    ("evaluate", dict(steps=0), ValueError, "steps must be a number > 0 or None"),
    ("evaluate", dict(verbose=-1), ValueError, "verbose="),
    ("evaluate", dict(return_dict="yes"), TypeError, "return_dict must be a bool"),
    ("evaluate", dict(callbacks="History"), TypeError, "callbacks="),
    ("predict", dict(x=None), ValueError, "x must be arrays"),
    ("predict", dict(steps=-1), ValueError, "steps="),
    ("predict", dict(batch_size=0), ValueError, "batch_size="),
    ("predict", dict(verbose=5), ValueError, "verbose="),
]


@pytest.mark.parametrize(
    ("method", "arguments", "error", "words"),
    CASES,
    ids=[f"{m}-{'-'.join(a)}-{e.__name__}" for m, a, e, _ in CASES],
)
def test_a_bad_argument_is_refused_by_name(method, arguments, error, words):
    net = model()
    before = [w.copy() for w in net.get_weights()]
    with pytest.raises(error, match=words):
        call(net, method, **arguments)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.get_weights(), strict=True))
    assert net.optimizer.iterations == 0


def test_numpy_numbers_are_accepted_where_numbers_go():
    net = model()
    history = net.fit(
        X,
        Y,
        batch_size=np.int32(10),
        epochs=np.int64(2),
        verbose=np.int64(0),
        validation_split=np.float32(0.5),
        shuffle=np.bool_(False),
        initial_epoch=np.int64(1),
        class_weight={np.int64(0): np.float32(2.0)},
        steps_per_epoch=np.float64(0.5),
        validation_freq=[np.int64(2)],
    )
    assert history.epoch == [1]
    assert net.optimizer.iterations == 1  # a fractional step count means one more step
    assert net.evaluate(X, Y, batch_size=np.int16(5), steps=np.int8(2), verbose=0)[0] > 0


def test_initial_epoch_equal_to_epochs_trains_nothing():
    net = model()
    assert net.fit(X, Y, epochs=3, initial_epoch=3, verbose=0).epoch == []
    assert net.optimizer.iterations == 0
