"""compile / fit / evaluate / predict on small real problems, and their errors."""

import inspect
import math
import signal
import subprocess
import sys

import numpy as np
import pytest

from numkeras import GradientTape, backend, callbacks, ops
from numkeras import losses as losses_module
from numkeras.layers import Activation, Dense, Dropout, Input
from numkeras.models import Model, Sequential
from numkeras.models.training import Trainer
from numkeras.optimizers import SGD, Adam


def blobs(n=200, seed=0):
    """Three well-separated Gaussian clusters in 2-D, one-hot labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[0, 4], [4, 0], [-4, -4]], np.float32)
    x = centers[labels] + rng.standard_normal((n, 2)).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[labels], labels


def classifier(**compile_args):
    model = Sequential(
        [Dense(16, input_shape=(2,), activation="relu"), Dense(3), Activation("softmax")]
    )
    model.compile(
        **{
            "optimizer": Adam(0.01),
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy"],
            **compile_args,
        }
    )
    return model


def test_fit_learns_and_history_holds_each_epoch():
    x, y, _ = blobs()
    model = classifier()
    history = model.fit(x, y, batch_size=20, epochs=5, verbose=0)
    assert history is model.history
    assert history.epoch == [0, 1, 2, 3, 4]
    assert set(history.history) == {"loss", "accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.95


def test_one_update_per_batch_and_last_batch_smaller():
    x, y, _ = blobs(n=105)
    model = classifier()
    seen = []
    probe = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(batch))
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=[probe])
    assert model.optimizer.iterations == 2 * math.ceil(105 / 10)
    assert seen == list(range(11)) * 2


def test_data_is_reshuffled_every_epoch():
    x = np.arange(12, dtype=np.float32).reshape(12, 1)
    y = np.zeros((12, 1), np.float32)
    orders = []

    class Recorder(Dense):
        def call(self, inputs, training=None):
            if training:
                orders.append(inputs.numpy()[:, 0].copy())
            return super().call(inputs, training)

    model = Sequential([Recorder(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=12, epochs=3, verbose=0)
    assert all(sorted(o) == list(range(12)) for o in orders)
    assert not np.array_equal(orders[0], orders[1]) or not np.array_equal(orders[1], orders[2])
    orders.clear()
    model.fit(x, y, batch_size=12, epochs=2, verbose=0, shuffle=False)
    np.testing.assert_array_equal(orders[0], np.arange(12))


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y, _ = blobs(n=100)
    model = classifier()
    history = model.fit(x, y, batch_size=10, epochs=1, validation_split=0.2, verbose=0)
    assert model.optimizer.iterations == 8  # 80 training samples
    expected = classifier()
    expected.set_weights(model.get_weights())
    loss, acc = expected.evaluate(x[80:], y[80:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(acc)


def test_validation_data_and_validation_freq():
    x, y, _ = blobs()
    model = classifier()
    hist = model.fit(x, y, epochs=4, verbose=0, validation_data=(x[:50], y[:50]), validation_freq=2)
    assert len(hist.history["loss"]) == 4
    assert len(hist.history["val_loss"]) == 2


def test_evaluate_returns_scalar_without_metrics_and_list_with_them():
    x, y, _ = blobs()
    plain = classifier(metrics=None)
    assert isinstance(plain.evaluate(x, y, verbose=0), float)
    score = classifier().evaluate(x, y, verbose=0)
    assert isinstance(score, list) and len(score) == 2
    logs = classifier().evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_metrics_are_exact_averages_over_uneven_batches():
    x, y, labels = blobs(n=101)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    _, acc = model.evaluate(x, y, batch_size=7, verbose=0)
    predicted = model.predict(x, batch_size=13, verbose=0).argmax(axis=1)
    assert acc == pytest.approx(np.mean(predicted == labels))


def test_predict_is_batched_and_has_no_tape():
    x, y, _ = blobs(n=50)
    model = classifier()
    full = model.predict(x, batch_size=50, verbose=0)
    parts = model.predict(x, batch_size=7, verbose=0)
    np.testing.assert_allclose(full, parts, rtol=1e-6)
    assert full.dtype == np.float32 and full.shape == (50, 3)
    np.testing.assert_allclose(full.sum(axis=1), 1, rtol=1e-5)


def test_on_batch_methods():
    x, y, _ = blobs(n=32)
    model = classifier()
    before = model.test_on_batch(x, y)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y)
    assert after[0] < before[0]
    assert model.predict_on_batch(x).shape == (32, 3)
    assert set(model.train_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}


def test_inputs_of_any_numeric_dtype_and_python_lists():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.array([[1, 2], [3, 4]], np.uint8), [[1.0], [2.0]], verbose=0)
    model.fit([[1, 2], [3, 4]], np.array([[1], [2]], np.int64), verbose=0)
    assert model.predict([[1, 2]], verbose=0).dtype == np.float32


def test_sample_weight_and_class_weight_change_the_loss():
    x, y, labels = blobs(n=60)
    model = classifier()
    base = model.evaluate(x, y, verbose=0)[0]
    weights = np.where(labels == 0, 3.0, 1.0).astype(np.float32)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)[0]
    assert weighted != pytest.approx(base)
    a, b = classifier(), classifier()
    b.set_weights(a.get_weights())
    backend.set_random_seed(7)
    a.fit(x, y, sample_weight=weights, epochs=1, verbose=0, shuffle=False)
    backend.set_random_seed(7)
    b.fit(x, y, class_weight={0: 3.0, 1: 1.0, 2: 1.0}, epochs=1, verbose=0, shuffle=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


def test_user_written_loss_and_metric_differentiate_with_no_extra_code():
    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    def max_error(y_true, y_pred):
        return np.abs(y_true - y_pred).max(axis=-1)

    x = np.random.default_rng(0).random((64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=SGD(0.1), loss=my_mse, metrics=[max_error])
    hist = model.fit(x, y, epochs=100, verbose=0)
    assert hist.history["loss"][-1] < 0.01 * hist.history["loss"][0]
    assert "max_error" in hist.history


def test_functional_model_with_two_inputs_and_two_outputs():
    a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
    h = Dense(4)(a)
    g = Dense(4, activation="relu")(b)
    out1 = Dense(1, name="sum")(h)
    out2 = Dense(1, name="other")(g)
    model = Model([a, b], [out1, out2])
    model.compile(optimizer="adam", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    rng = np.random.default_rng(0)
    xa, xb = rng.random((40, 2), dtype=np.float32), rng.random((40, 3), dtype=np.float32)
    hist = model.fit(
        [xa, xb], [xa.sum(1, keepdims=True), xb.sum(1, keepdims=True)], epochs=2, verbose=0
    )
    assert len(hist.history["loss"]) == 2
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (40, 1) and p2.shape == (40, 1)


def test_same_seed_gives_bit_identical_fit():
    x, y, _ = blobs()

    def run():
        backend.set_random_seed(42)
        model = Sequential(
            [
                Dense(16, input_shape=(2,), activation="relu"),
                Dropout(0.3),
                Dense(3, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
        hist = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model.get_weights(), hist.history

    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert "acc" in h1  # the key is the name the user wrote


def test_keras1_fit_spelling_warns_and_works():
    x, y, _ = blobs(n=20)
    model = classifier()
    with pytest.warns(UserWarning, match="use `fit\\(epochs=...\\)`"):
        hist = model.fit(x, y, nb_epoch=2, verbose=0)
    assert len(hist.epoch) == 2


def test_keyboard_interrupt_keeps_completed_epochs_and_last_step():
    x, y, _ = blobs(n=100)
    model = classifier()
    steps = []

    def interrupt(batch, logs):
        steps.append(batch)
        if len(steps) == 25:  # in the third epoch of 10 steps
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        model.fit(
            x,
            y,
            batch_size=10,
            epochs=5,
            verbose=0,
            callbacks=[callbacks.LambdaCallback(on_train_batch_end=interrupt)],
        )
    assert model.history.epoch == [0, 1]
    assert model.optimizer.iterations == 25


# -- clear errors -----------------------------------------------------------------------------
def test_fit_before_compile():
    with pytest.raises(ValueError, match=r"compile\(\) before fit\(\)"):
        Sequential([Dense(1, input_shape=(2,))]).fit(np.ones((2, 2)), np.ones((2, 1)))


def test_x_and_y_sample_counts_differ():
    with pytest.raises(ValueError, match=r"x.shape\[0\]=10, y.shape\[0\]=9"):
        classifier().fit(np.ones((10, 2)), np.ones((9, 3)), verbose=0)


def test_integer_labels_with_categorical_crossentropy_suggest_the_fix():
    with pytest.raises(ValueError, match="to_categorical|sparse_categorical_crossentropy"):
        classifier().fit(np.ones((10, 2)), np.arange(10) % 3, verbose=0)


def test_x_feature_shape_misfit_names_x_and_both_shapes():
    model = Sequential([Dense(10, input_shape=(784,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"x has samples of shape \(28, 28\).*\(784,\).*reshape"):
        model.fit(np.ones((4, 28, 28)), np.ones((4, 10)), verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x_or_y(bad):
    x, y, _ = blobs(n=10)
    x[3, 1] = bad
    with pytest.raises(ValueError, match=r"x contains NaN or inf values .*\(3, 1\)"):
        classifier().fit(x, y, verbose=0)
    x, y, _ = blobs(n=10)
    y[2, 0] = bad
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        classifier().fit(x, y, verbose=0)


def test_predict_passes_a_nan_through_to_the_outputs_of_its_sample_only():
    x, _, _ = blobs(n=10)
    model = classifier()
    x[3, 1] = np.nan
    for outputs in (model.predict(x, verbose=0), model.predict_on_batch(x)):
        assert np.isnan(outputs[3]).all()
        assert np.isfinite(np.delete(outputs, 3, axis=0)).all()


def test_predict_on_unbuilt_model_explains_how_to_build():
    with pytest.raises(ValueError, match="not been built"):
        Sequential([Dense(3)]).predict(np.ones((2, 4)))


def test_empty_array():
    with pytest.raises(ValueError, match="x is empty"):
        classifier().fit(np.ones((0, 2)), np.ones((0, 3)), verbose=0)


def test_fractional_steps_per_epoch_with_a_generator_means_one_more_step():
    x, y, _ = blobs(n=64)

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i : i + 16], y[i : i + 16]

    model = classifier()
    model.fit(batches(), steps_per_epoch=64 / 20, epochs=1, verbose=0)
    assert model.optimizer.iterations == 4


# -- generators that run dry ------------------------------------------------------------------
def finite_batches(x, y, count, size=16):
    """``count`` batches of ``size`` samples, then nothing."""
    for i in range(count):
        start = i * size % len(x)
        yield x[start : start + size], y[start : start + size]


def dry_warnings(record):
    return [w for w in record if "Your input ran out of data" in str(w.message)]


def test_a_generator_that_runs_dry_mid_epoch_warns_once_and_stops_after_that_epoch():
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.warns(
        UserWarning,
        match=r"ran out of data; interrupting training\. Make sure "
        r"that your dataset or generator \(x\) can generate at least "
        r"`steps_per_epoch \* epochs` \(12\) batches",
    ) as record:
        history = model.fit(finite_batches(x, y, 5), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(dry_warnings(record)) == 1
    assert history.epoch == [0, 1]  # epoch 1 ran one step of four: it counts, as in Keras
    assert model.optimizer.iterations == 5
    assert len(history.history["loss"]) == 2


def test_an_epoch_left_without_a_batch_is_not_recorded():
    x, y, _ = blobs(n=64)
    model = classifier()
    ends = []
    probe = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(
            finite_batches(x, y, 8), steps_per_epoch=4, epochs=3, verbose=0, callbacks=[probe]
        )
    assert history.epoch == ends == [0, 1]
    assert model.optimizer.iterations == 8


def test_a_generator_without_steps_per_epoch_ends_an_epoch_once_then_runs_dry():
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.warns(UserWarning, match="ran out of data") as record:
        history = model.fit(finite_batches(x, y, 3), epochs=4, verbose=0)
    assert len(dry_warnings(record)) == 1
    assert history.epoch == [0] and model.optimizer.iterations == 3


class Batches:
    """A Sequence of ``count`` batches."""

    def __init__(self, x, y, count):
        self.items = list(finite_batches(x, y, count))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


def test_a_sequence_asked_for_more_steps_than_it_has_runs_dry():
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(Batches(x, y, 2), steps_per_epoch=3, epochs=2, verbose=0)
    assert history.epoch == [0] and model.optimizer.iterations == 2


def test_a_validation_generator_that_runs_dry_stops_training_after_its_epoch():
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.warns(
        UserWarning,
        match=r"\(validation_data\) can generate at least "
        r"`validation_steps` for each validation \(2\)",
    ):
        history = model.fit(
            x, y, epochs=3, verbose=0, validation_steps=2, validation_data=finite_batches(x, y, 3)
        )
    assert history.epoch == [0, 1]
    assert len(history.history["val_loss"]) == 2


def test_evaluate_and_predict_on_a_generator_that_runs_dry_use_what_it_gave():
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.warns(UserWarning, match=r"interrupting evaluation.*`steps` \(3\)"):
        loss, _ = model.evaluate(finite_batches(x, y, 2), steps=3, verbose=0)
    assert loss == pytest.approx(model.evaluate(x[:32], y[:32], verbose=0)[0], rel=1e-6)
    with pytest.warns(UserWarning, match="interrupting prediction"):
        outputs = model.predict((b for b, _ in finite_batches(x, y, 2)), steps=3, verbose=0)
    assert outputs.shape == (32, 3)


@pytest.mark.parametrize("method", ["evaluate", "predict"])
def test_evaluate_and_predict_on_an_exhausted_generator_say_so(method):
    x, y, _ = blobs(n=64)
    model = classifier()
    with pytest.raises(ValueError, match=rf"{method}\(\) got no batch: x ran out of data"):
        getattr(model, method)(finite_batches(x, y, 0), steps=2, verbose=0)


def test_a_generator_brings_its_own_targets_and_weights():
    x, y, _ = blobs(n=64)
    for argument in (dict(y=y), dict(sample_weight=np.ones(64)), dict(class_weight={0: 2.0})):
        with pytest.raises(ValueError, match=f"{next(iter(argument))} must be None"):
            classifier().fit(finite_batches(x, y, 4), steps_per_epoch=4, verbose=0, **argument)


# -- class weights ----------------------------------------------------------------------------
def test_class_weight_keys_beyond_the_classes_are_refused_without_allocating():
    x, y, _ = blobs(n=30)
    with pytest.raises(
        ValueError,
        match=r"class_weight has keys \[1000000000\] outside the valid "
        r"class indices 0 to 2 \(the model has 3 classes\)",
    ):
        classifier().fit(x, y, class_weight={0: 1.0, 10**9: 1.0}, verbose=0)


def test_class_weight_with_integer_labels_counts_the_model_outputs():
    x, _, labels = blobs(n=30)
    model = classifier(loss="sparse_categorical_crossentropy")
    model.fit(x, labels, class_weight={np.int64(2): 3.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="keys \\[3\\] outside the valid class indices 0 to 2"):
        model.fit(x, labels, class_weight={3: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="class indices in \\[0, 3\\) in y"):
        model.fit(x, np.where(labels == 0, -1, labels), class_weight={0: 1.0}, verbose=0)


def test_class_weight_of_a_single_sigmoid_unit_has_two_classes():
    x, _, labels = blobs(n=30)
    model = Sequential([Dense(1, input_shape=(2,), activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    target = (labels == 0).astype(np.float32)[:, None]
    model.fit(x, target, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="keys \\[2\\] outside the valid class indices 0 to 1"):
        model.fit(x, target, class_weight={2: 1.0}, verbose=0)


def test_train_on_batch_checks_class_weight_too():
    x, y, _ = blobs(n=30)
    with pytest.raises(TypeError, match="class_weight must be a dict"):
        classifier().train_on_batch(x, y, class_weight={"a": 1.0})


# -- loss weights -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("loss_weights", "error", "words"),
    [
        (
            [float("nan")],
            ValueError,
            "loss_weights must be finite and >= 0. Received: loss_weights=\\[nan\\]",
        ),
        ([float("inf")], ValueError, "finite and >= 0"),
        ([-1.0], ValueError, "finite and >= 0"),
        (-1.0, ValueError, "finite and >= 0"),
        (["heavy"], TypeError, "loss_weights must be numbers"),
        ([True], TypeError, "loss_weights must be numbers"),
        ([1.0, 2.0], ValueError, "loss_weights needs one entry per output \\(1\\)"),
        (
            {"other": 1.0},
            ValueError,
            "loss_weights needs one entry per output.*missing "
            "\\['activation.*unknown \\['other'\\]",
        ),
    ],
)
def test_compile_refuses_bad_loss_weights_and_changes_nothing(loss_weights, error, words):
    model = classifier()
    optimizer = model.optimizer
    with pytest.raises(error, match=words):
        model.compile(optimizer="sgd", loss="mse", loss_weights=loss_weights)
    assert model.optimizer is optimizer and model.loss == "categorical_crossentropy"


def test_loss_weights_by_output_name_and_as_one_number():
    model = classifier(loss_weights=0.5)
    assert model._loss_weights == [0.5]
    model.compile(optimizer="sgd", loss="mse", loss_weights={model.output_names[0]: np.float32(2)})
    assert model._loss_weights == [2.0]


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_fit_evaluate_and_predict_document_every_argument(method):
    function = getattr(Trainer, method)
    documented = function.__doc__.split("Args:")[1].split("Returns:")[0]
    for name in inspect.signature(function).parameters:
        if name != "self":
            assert f"\n            {name}: " in documented, name


# -- allocation: a warm step reuses its arrays, and never one that is still referred to ---------
def wide_classifier(seed=0):
    """Arrays of 64 KiB and more (batch 64 × 300 units), which the step arena pools."""
    backend.set_random_seed(seed)
    model = Sequential(
        [Input((40,)), Dense(300, activation="relu"), Dense(300, activation="relu"), Dense(3)]
    )
    model.compile(optimizer=Adam(1e-3), loss=losses_module.CategoricalCrossentropy(True))
    return model


def wide_data(n=256):
    rng = np.random.default_rng(1)
    return rng.random((n, 40), dtype=np.float32), np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)]


def test_a_warm_training_step_takes_its_large_arrays_from_the_arena_again():
    model, (x, y) = wide_classifier(), wide_data()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    held = {id(a) for a in model._step_arena.arrays()}
    model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    assert held and {id(a) for a in model._step_arena.arrays()} == held


def test_arrays_that_outlive_a_step_are_not_reused():
    model, (x, y) = wide_classifier(), wide_data()
    kept = []

    class Keep(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            kept.append((self.model.last_gradients, [g.copy() for g in self.model.last_gradients]))

    model.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=[Keep()])
    for gradients, values in kept:
        for g, value in zip(gradients, values, strict=True):
            np.testing.assert_array_equal(g, value)


def test_training_with_the_arena_gives_the_bits_of_a_loop_without_it():
    (x, y), fitted, looped = wide_data(), wide_classifier(), wide_classifier()
    fitted.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
    loss_fn = losses_module.CategoricalCrossentropy(True)
    for _ in range(2):
        for start in range(0, len(x), 64):
            with GradientTape() as tape:
                loss = loss_fn(y[start : start + 64], looped(x[start : start + 64], training=True))
            grads = tape.gradient(loss, looped.trainable_weights)
            looped.optimizer.apply_gradients(zip(grads, looped.trainable_weights))
    for a, b in zip(fitted.get_weights(), looped.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and ru_minflt")
def test_a_warm_training_step_maps_no_fresh_memory():
    """In a fresh process (glibc's mmap threshold at its default), a step of the course's
    network faulted in ~380 pages for its 1.5 MB first-layer gradient until the arena."""
    script = """
import resource, numpy as np, numkeras as K
rng = np.random.default_rng(0)
x = rng.random((1600, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 1600)]
m = K.Sequential([K.Input((784,)), K.layers.Dense(500, activation="relu"),
                  K.layers.Dense(500, activation="relu"), K.layers.Dense(10, activation="softmax")])
m.compile(optimizer="adam", loss="categorical_crossentropy")
faults = []
count = lambda *_: faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
m.fit(x, y, batch_size=32, epochs=2, verbose=0,
      callbacks=[K.callbacks.LambdaCallback(on_train_batch_end=count)])
print((faults[-1] - faults[-31]) / 30)  # the last 30 steps, after the optimizer's first flush
"""
    run = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    faults = float(run.stdout)
    assert faults < 5  # per step in the second epoch
