"""Callbacks driven hook by hook, as fit drives them, on a stand-in for a model.

The stand-in has exactly the model API callbacks use (stop_training, get_weights/set_weights,
optimizer.learning_rate, save, save_weights); end-to-end tests with real models live with fit.
"""

import csv
import math
import os
import re

import numpy as np
import pytest

from numkeras import callbacks as cb
from numkeras.callbacks import csv_logger
from numkeras.registry import deserialize, serialize


class _Optimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class _Model:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.weights = [np.zeros((2, 2), np.float32), np.zeros(2, np.float32)]
        self.optimizer = _Optimizer(learning_rate)
        self.saved = []

    def get_weights(self):
        return self.weights  # the live arrays: EarlyStopping must copy them

    def set_weights(self, weights):
        for mine, new in zip(self.weights, weights, strict=True):
            mine[...] = new

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)


def fit(callbacks, values, monitor="val_loss", model=None, extra=None):
    """Run the epoch hooks as fit does; epoch e trains the weights to the value e.

    Returns the epochs run.
    """
    model = model or _Model()
    callback_list = cb.CallbackList(
        callbacks, add_history=True, model=model, verbose=0, epochs=len(values), steps=1
    )
    callback_list.on_train_begin()
    run = []
    for epoch, value in enumerate(values):
        callback_list.on_epoch_begin(epoch)
        for weight in model.weights:
            weight[...] = epoch  # training changes the arrays in place
        logs = {"loss": 1.0, monitor: value, **(extra or {})}
        callback_list.on_epoch_end(epoch, logs)
        run.append(epoch)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return run


# EarlyStopping ---------------------------------------------------------------------------------


def test_early_stopping_waits_patience_epochs_without_improvement():
    # epochs 2, 3: no improvement on 0.9 -> wait 2 -> stop after epoch 3
    assert fit([cb.EarlyStopping(patience=2)], [1.0, 0.9, 0.95, 0.96, 0.97]) == [0, 1, 2, 3]


def test_early_stopping_patience_0_stops_at_the_first_worse_epoch():
    assert fit([cb.EarlyStopping()], [1.0, 0.9, 0.95, 0.5]) == [0, 1, 2]


def test_early_stopping_min_delta_ignores_small_improvements():
    values = [1.0, 0.99, 0.98, 0.5]
    assert fit([cb.EarlyStopping(patience=1, min_delta=0.05)], values) == [0, 1]
    assert fit([cb.EarlyStopping(patience=1, min_delta=-0.05)], values) == [0, 1]  # |min_delta|
    assert fit([cb.EarlyStopping(patience=1)], values) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("monitor", "mode", "values", "epochs_run"),
    [
        ("val_accuracy", "auto", [0.5, 0.6, 0.55], 3),  # accuracy: larger is better
        ("val_acc", "auto", [0.5, 0.6, 0.7, 0.65], 4),
        ("acc", "auto", [0.5, 0.4], 2),
        ("val_loss", "auto", [0.5, 0.6], 2),
        ("val_accuracy", "min", [0.5, 0.4, 0.45], 3),
        ("val_loss", "max", [0.5, 0.6, 0.55], 3),
        ("mean_squared_error", "auto", [0.5, 0.4, 0.45], 3),
    ],
)
def test_early_stopping_mode(monitor, mode, values, epochs_run):
    stopper = cb.EarlyStopping(monitor=monitor, mode=mode)
    assert len(fit([stopper], values, monitor=monitor)) == epochs_run


def test_early_stopping_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'best' is unknown"):
        stopper = cb.EarlyStopping(mode="best")
    assert stopper.mode == "auto"


def test_early_stopping_needs_mode_for_a_metric_of_unknown_direction():
    with pytest.raises(ValueError, match="monitor=val_score.*mode='max'"):
        fit([cb.EarlyStopping(monitor="val_score")], [1.0], monitor="val_score")
    assert len(fit([cb.EarlyStopping("val_score", mode="max")], [1, 2, 1], "val_score")) == 3


def test_early_stopping_direction_from_the_model_metrics():
    class Score:
        name = "score"
        _direction = "up"

    model = _Model()
    model.metrics = [Score()]
    stopper = cb.EarlyStopping(monitor="val_score")
    assert fit([stopper], [1, 2, 1], monitor="val_score", model=model) == [0, 1, 2]


def test_early_stopping_baseline_counts_epochs_that_do_not_beat_it():
    values = [0.9, 0.95, 0.95, 0.95]
    assert fit([cb.EarlyStopping(patience=2)], values) == [0, 1, 2]
    # Epoch 0 improves on inf but not on the baseline: its epoch counts towards patience.
    assert fit([cb.EarlyStopping(patience=2, baseline=0.5)], values) == [0, 1]
    assert fit([cb.EarlyStopping(patience=2, baseline=0.95)], values) == [0, 1, 2]


def test_early_stopping_restores_best_weights_and_says_so(capsys):
    model = _Model()
    stopper = cb.EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    assert fit([stopper], [0.5, 0.3, 0.4, 0.6], model=model) == [0, 1, 2]
    assert stopper.best_epoch == 1
    assert all(np.all(w == 1) for w in model.weights)
    assert capsys.readouterr().out == (
        "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_restores_best_weights_even_when_it_never_stopped(capsys):
    model = _Model()
    stopper = cb.EarlyStopping(patience=10, restore_best_weights=True, verbose=1)
    assert fit([stopper], [0.5, 0.3, 0.4], model=model) == [0, 1, 2]
    assert all(np.all(w == 1) for w in model.weights)
    assert capsys.readouterr().out == (
        "Restoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_start_from_epoch_ignores_the_warm_up():
    values = [5.0, 6.0, 7.0, 8.0]
    assert fit([cb.EarlyStopping()], values) == [0, 1]
    assert fit([cb.EarlyStopping(start_from_epoch=2)], values) == [0, 1, 2, 3]


def test_early_stopping_missing_monitor_warns_with_the_available_names():
    with pytest.warns(UserWarning, match="`val_loss` which is not available.*are: accuracy,loss"):
        fit([cb.EarlyStopping()], [0.9], monitor="accuracy")


def test_early_stopping_can_be_reused_for_another_fit():
    stopper = cb.EarlyStopping(patience=1)
    assert fit([stopper], [0.1, 0.2, 0.3]) == [0, 1]
    assert fit([stopper], [1.0, 0.9, 0.8]) == [0, 1, 2]  # 0.1 from the first fit is forgotten


# ModelCheckpoint --------------------------------------------------------------------------------


def test_checkpoint_formats_the_path_with_epoch_and_logs(tmp_path, capsys):
    model = _Model()
    pattern = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    fit([cb.ModelCheckpoint(pattern, verbose=1)], [0.5, 0.25], model=model)
    paths = [str(tmp_path / "ckpt" / "01-0.50.keras"), str(tmp_path / "ckpt" / "02-0.25.keras")]
    assert model.saved == [("model", path) for path in paths]
    assert (tmp_path / "ckpt").is_dir()  # made for the model's save
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {paths[0]}\n\nEpoch 2: saving model to {paths[1]}\n"
    )


def test_checkpoint_save_best_only(tmp_path, capsys):
    model = _Model()
    path = str(tmp_path / "best.keras")
    fit([cb.ModelCheckpoint(path, save_best_only=True, verbose=1)], [0.5, 0.6, 0.4], model=model)
    assert model.saved == [("model", path), ("model", path)]
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {path}\n"
    )


@pytest.mark.parametrize(
    ("monitor", "mode", "saved_epochs"),
    [
        ("val_accuracy", "auto", [1, 2]),
        ("val_accuracy", "min", [1, 3]),
        ("val_loss", "max", [1, 2]),
    ],
)
def test_checkpoint_mode(tmp_path, monitor, mode, saved_epochs):
    model = _Model()
    path = str(tmp_path / "{epoch}.keras")
    checkpoint = cb.ModelCheckpoint(path, monitor=monitor, mode=mode, save_best_only=True)
    fit([checkpoint], [0.5, 0.6, 0.4], monitor=monitor, model=model)
    assert [int(os.path.basename(p)[0]) for _, p in model.saved] == saved_epochs


def test_checkpoint_weights_only(tmp_path):
    model = _Model()
    path = str(tmp_path / "w.weights.h5")
    fit([cb.ModelCheckpoint(path, save_weights_only=True)], [0.5], model=model)
    assert model.saved == [("weights", path)]


def test_checkpoint_initial_value_threshold(tmp_path):
    model = _Model()
    checkpoint = cb.ModelCheckpoint(
        str(tmp_path / "{epoch}.keras"), save_best_only=True, initial_value_threshold=0.45
    )
    fit([checkpoint], [0.5, 0.4, 0.42], model=model)
    assert [os.path.basename(p) for _, p in model.saved] == ["2.keras"]


def test_checkpoint_every_n_batches(tmp_path):
    model = _Model()
    checkpoint = cb.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=2)
    callbacks = cb.CallbackList([checkpoint], model=model)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            callbacks.on_train_batch_end(batch, {"loss": 1.0})
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    names = [os.path.basename(p) for _, p in model.saved]
    assert names == ["e1-b2.keras", "e2-b1.keras", "e2-b3.keras"]


@pytest.mark.parametrize("save_freq", ["batch", 0, -5, 2.5, True])
def test_checkpoint_rejects_a_bad_save_freq(save_freq):
    with pytest.raises(ValueError, match=re.escape(f"Received: save_freq={save_freq!r}")):
        cb.ModelCheckpoint("m.keras", save_freq=save_freq)


def test_checkpoint_without_the_monitor_warns_and_saves(tmp_path):
    model = _Model()
    checkpoint = cb.ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        fit([checkpoint], [0.5], monitor="accuracy", model=model)
    assert len(model.saved) == 1


def test_checkpoint_path_with_an_unknown_field():
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        fit([cb.ModelCheckpoint("{epoch}-{val_auc}.keras")], [0.5])


# ReduceLROnPlateau ------------------------------------------------------------------------------


def learning_rates(reducer, values, learning_rate=0.1, monitor="val_loss"):
    """The learning_rate of each epoch's logs, and the rate after training."""
    model = _Model(learning_rate)
    history = cb.History()
    fit([reducer, history], values, monitor=monitor, model=model)
    return history.history["learning_rate"], model.optimizer.learning_rate


def test_reduce_lr_multiplies_by_factor_after_patience_epochs():
    rates, final = learning_rates(cb.ReduceLROnPlateau(patience=1), [1.0] * 3)
    # logs show the rate the epoch trained with; the cut comes at that epoch's end
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.01])
    assert final == pytest.approx(0.001)
    rates, _ = learning_rates(cb.ReduceLROnPlateau(patience=2, factor=0.5), [1.0] * 5)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.05, 0.05])


def test_reduce_lr_ignores_improvements_below_min_delta():
    values = [1.0, 0.99995, 0.9999]
    rates, _ = learning_rates(cb.ReduceLROnPlateau(patience=1), values)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.01])
    rates, _ = learning_rates(cb.ReduceLROnPlateau(patience=1, min_delta=0), values)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1])


def test_reduce_lr_cooldown():
    rates, _ = learning_rates(cb.ReduceLROnPlateau(patience=1, cooldown=2), [1.0] * 7)
    # Cut after epoch 1; the cooldown counts down at the start of epochs 2 and 3, and as in
    # Keras the epoch where it reaches 0 already counts towards patience: cut after epoch 3.
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001])
    rates, _ = learning_rates(cb.ReduceLROnPlateau(patience=1, cooldown=0), [1.0] * 4)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.01, 0.001])


def test_reduce_lr_stops_at_min_lr(capsys):
    reducer = cb.ReduceLROnPlateau(patience=1, min_lr=0.05, verbose=1)
    rates, final = learning_rates(reducer, [1.0] * 5)
    assert final == 0.05
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.05, 0.05, 0.05])
    message = "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05."
    assert capsys.readouterr().out == f"\n{message}\n"


def test_reduce_lr_at_min_lr_held_in_float32_is_not_reduced_again(capsys):
    # An optimizer that keeps its rate in float32 hands back 1e-5 as 9.99999974738e-06.
    reducer = cb.ReduceLROnPlateau(patience=1, min_lr=1e-5, verbose=1)
    learning_rates(reducer, [1.0] * 4, learning_rate=float(np.float32(1e-5)))
    assert capsys.readouterr().out == ""


def test_reduce_lr_maximizes_accuracy():
    rates, _ = learning_rates(
        cb.ReduceLROnPlateau(monitor="val_acc", patience=1), [0.5, 0.6, 0.7], monitor="val_acc"
    )
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1])


@pytest.mark.parametrize("factor", [1.0, 1.5])
def test_reduce_lr_factor_must_be_below_one(factor):
    with pytest.raises(ValueError, match=f"factor >= 1.0. Received: factor={factor}"):
        cb.ReduceLROnPlateau(factor=factor)


# LearningRateScheduler --------------------------------------------------------------------------


def test_scheduler_with_epoch_and_rate(capsys):
    model = _Model(0.1)
    history = cb.History()
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr, verbose=1)
    fit([scheduler, history], [1.0] * 3, model=model)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025])
    assert capsys.readouterr().out.splitlines()[1:4:2] == [
        "Epoch 1: LearningRateScheduler setting learning rate to 0.1.",
        "Epoch 2: LearningRateScheduler setting learning rate to 0.05.",
    ]


def test_scheduler_with_epoch_only():
    model = _Model(0.1)
    fit([cb.LearningRateScheduler(lambda epoch: 1.0 / (epoch + 1))], [1.0] * 4, model=model)
    assert model.optimizer.learning_rate == 0.25


def test_scheduler_errors_are_not_mistaken_for_the_one_argument_form():
    def schedule(epoch, lr):
        raise TypeError("a bug in the schedule")

    with pytest.raises(TypeError, match="a bug in the schedule"):
        fit([cb.LearningRateScheduler(schedule)], [1.0])


def test_scheduler_must_return_a_number():
    with pytest.raises(ValueError, match="should be a float. Got: '0.1'"):
        fit([cb.LearningRateScheduler(lambda epoch: "0.1")], [1.0])
    with pytest.raises(TypeError, match="Received: schedule=0.1"):
        cb.LearningRateScheduler(0.1)


# TerminateOnNaN ---------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_terminate_on_nan_stops_training(capsys, loss):
    model = _Model()
    callbacks = cb.CallbackList([cb.TerminateOnNaN()], model=model)
    callbacks.on_train_batch_end(6, {"loss": 1.0})
    assert not model.stop_training
    callbacks.on_train_batch_end(7, {"loss": loss})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 7: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    callbacks = cb.CallbackList([cb.TerminateOnNaN(raise_error=True)], model=_Model())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        callbacks.on_train_batch_end(3, {"loss": math.nan})


# CSVLogger --------------------------------------------------------------------------------------


def read_rows(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_csv_logger_writes_a_header_then_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = cb.CSVLogger(path)
    callbacks = cb.CallbackList([logger], model=_Model())
    callbacks.on_train_begin()
    for epoch in range(3):
        callbacks.on_epoch_end(epoch, {"val_loss": 0.5 - epoch / 10, "loss": 0.25})
        # The file is whole after every epoch: what a crash would leave behind.
        assert len(read_rows(path)) == epoch + 2
    assert read_rows(path) == [
        ["epoch", "loss", "val_loss"],
        ["0", "0.25", "0.5"],
        ["1", "0.25", "0.4"],
        ["2", "0.25", "0.3"],
    ]
    assert os.listdir(tmp_path) == ["log.csv"]  # no temporary file left


def test_csv_logger_writes_through_atomic_write(tmp_path, monkeypatch):
    opened = []
    real = csv_logger.atomic_write

    def recording(path, mode):
        opened.append((os.fspath(path), mode))
        return real(path, mode)

    monkeypatch.setattr(csv_logger, "atomic_write", recording)
    fit([cb.CSVLogger(tmp_path / "log.csv")], [0.5, 0.4])
    assert opened == [(str(tmp_path / "log.csv"), "w")] * 2


def test_csv_logger_append_keeps_the_old_rows_and_header(tmp_path):
    path = tmp_path / "log.csv"
    fit([cb.CSVLogger(path)], [0.5, 0.4])
    fit([cb.CSVLogger(path, append=True)], [0.3])
    assert [row[0] for row in read_rows(path)] == ["epoch", "0", "1", "0"]
    fit([cb.CSVLogger(path)], [0.2])  # append=False starts again
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "0.2"]]


def test_csv_logger_append_to_a_new_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    fit([cb.CSVLogger(path, append=True)], [0.5])
    assert read_rows(path)[0] == ["epoch", "loss", "val_loss"]


def test_csv_logger_separator_missing_values_and_arrays(tmp_path):
    path = tmp_path / "log.tsv"
    callbacks = cb.CallbackList([cb.CSVLogger(path, separator="\t")], model=_Model())
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0, "per_class": np.array([1, 2])})
    callbacks.on_epoch_end(1, {"loss": 0.5})
    assert path.read_text().splitlines() == [
        "epoch\tloss\tper_class\tval_loss",
        "0\t1.0\t[1, 2]\t2.0",
        "1\t0.5\tNA\tNA",
    ]


# LambdaCallback, History, CallbackList, ProgbarLogger -------------------------------------------


def test_lambda_callback_calls_the_functions_given():
    calls = []
    callback = cb.LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_epoch_end=lambda epoch, logs: calls.append((epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
        on_test_end=lambda logs: calls.append("test"),
    )
    callbacks = cb.CallbackList([callback], model=_Model())
    callbacks.on_train_begin()
    callbacks.on_train_batch_end(0, {"loss": 2.0})
    callbacks.on_epoch_end(0, {"loss": 2.0})
    callbacks.on_test_end()
    callbacks.on_train_end()
    assert calls == ["begin", ("batch", 0), (0, 2.0), "test"]


def test_lambda_callback_rejects_an_unknown_hook():
    with pytest.raises(ValueError, match="no hook named 'on_epoch_ned'"):
        cb.LambdaCallback(on_epoch_ned=print)


def test_history_records_every_epoch_and_is_the_model_history():
    model = _Model()
    fit([], [0.5, 0.4], model=model)
    assert model.history.history == {"loss": [1.0, 1.0], "val_loss": [0.5, 0.4]}
    assert model.history.epoch == [0, 1]


def test_callback_list_adds_history_and_progbar_once_at_the_end():
    stopper, history = cb.EarlyStopping(), cb.History()
    listed = cb.CallbackList([stopper], add_history=True, add_progbar=True, model=_Model())
    assert [type(c) for c in listed.callbacks] == [
        cb.EarlyStopping,
        cb.History,
        cb.ProgbarLogger,
    ]
    model = _Model()
    listed = cb.CallbackList([history], add_history=True, model=model)
    assert listed.callbacks == [history] and model.history is history


def test_callback_list_gives_model_and_params_to_every_callback():
    model, callback = _Model(), cb.Callback()
    cb.CallbackList([callback], model=model, verbose=2, epochs=3, steps=10)
    assert callback.model is model
    assert callback.params == {"verbose": 2, "epochs": 3, "steps": 10}


def test_callback_list_hands_logs_as_floats_in_keras_order():
    seen = []
    callback = cb.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(logs),
        on_epoch_end=lambda epoch, logs: seen.append(logs),
    )
    callbacks = cb.CallbackList([callback])
    callbacks.on_train_batch_end(0, {"loss": np.float32(0.5), "accuracy": np.array(0.75)})
    callbacks.on_epoch_end(0, {"val_loss": 1.0, "zeta": 2.0, "loss": 0.5, "val_acc": 0.1})
    assert list(seen[0]) == ["accuracy", "loss"]
    assert all(type(value) is float for value in seen[0].values())
    assert list(seen[1]) == ["loss", "zeta", "val_acc", "val_loss"]


def test_callback_list_writes_checkpoints_after_the_other_callbacks(tmp_path):
    # So that a checkpoint holds the end-of-epoch state of every other callback.
    checkpoint = cb.ModelCheckpoint(str(tmp_path / "m.numkeras"))
    stopper, reducer = cb.EarlyStopping(), cb.ReduceLROnPlateau()
    listed = cb.CallbackList([checkpoint, stopper, reducer], add_history=True)
    assert listed.callbacks[:3] == [stopper, reducer, checkpoint]


def test_callback_list_rejects_what_is_not_a_callback():
    with pytest.raises(TypeError, match="Received: <built-in function print>"):
        cb.CallbackList([print])


def test_callback_batch_hooks_fall_back_to_keras_2_names():
    class Counter(cb.Callback):
        count = 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1

    counter = Counter()
    cb.CallbackList([counter]).on_train_batch_end(0, {})
    assert counter.count == 1


def progbar_fit(steps_per_epoch, epochs, verbose, known_steps=True, validate=False):
    """Run fit's hooks with a ProgbarLogger."""
    callbacks = cb.CallbackList(
        add_progbar=True,
        model=_Model(),
        verbose=verbose,
        epochs=epochs,
        steps=steps_per_epoch if known_steps else None,
    )
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            callbacks.on_train_batch_end(step, {"loss": 1.0 / (step + 1), "accuracy": 0.5})
        logs = {"accuracy": 0.5, "loss": 0.5}
        if validate:
            callbacks.on_test_begin()
            callbacks.on_test_batch_end(0, {"loss": 0.25})
            callbacks.on_test_end({"loss": 0.25})
            logs["val_loss"] = 0.25
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end()


LINE = r"3/3 ━{20} \d+s \d+[mu]?s/step - accuracy: 0\.5000 - loss: 0\.5000"


def test_progbar_logger_prints_epoch_headers_and_one_line_per_epoch_in_a_log(capsys):
    progbar_fit(3, 2, verbose=1, validate=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(LINE + r" - val_loss: 0\.2500", lines[1])  # validation stays silent


def test_progbar_logger_single_epoch_has_no_header(capsys):
    progbar_fit(3, 1, verbose=1)
    assert re.fullmatch(LINE + "\n", capsys.readouterr().out)


def test_progbar_logger_verbose_2(capsys):
    progbar_fit(3, 2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    line = r"3/3 - \d+s - \d+[mu]?s/step - accuracy: 0\.5000 - loss: 0\.5000"
    assert re.fullmatch(line, lines[1])


def test_progbar_logger_counts_the_steps_when_they_are_not_known(capsys):
    progbar_fit(3, 2, verbose=1, known_steps=False)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(LINE, lines[1]) and re.fullmatch(LINE, lines[3])


def test_progbar_logger_in_evaluate_and_predict(capsys):
    callbacks = cb.CallbackList(add_progbar=True, model=_Model(), verbose=1, steps=2)
    callbacks.on_test_begin()
    for step in range(2):
        callbacks.on_test_batch_end(step, {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.5})
    callbacks.on_predict_begin()
    for step in range(2):
        callbacks.on_predict_batch_end(step, {"outputs": np.zeros((4, 10))})
    callbacks.on_predict_end()
    evaluate_line, predict_line = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"2/2 ━{20} \d+s \d+[mu]?s/step - loss: 0\.5000", evaluate_line)
    assert re.fullmatch(r"2/2 ━{20} \d+s \d+[mu]?s/step", predict_line)


# Serialization ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "callback",
    [
        cb.EarlyStopping(monitor="val_accuracy", patience=3, baseline=0.9, start_from_epoch=2),
        cb.ModelCheckpoint(
            "m-{epoch}.keras", save_best_only=True, save_freq=5, initial_value_threshold=0.5
        ),
        cb.ReduceLROnPlateau(factor=0.5, cooldown=2, min_lr=1e-5),
        cb.CSVLogger("log.csv", separator=";", append=True),
        cb.TerminateOnNaN(raise_error=True),
        cb.History(),
        cb.ProgbarLogger(),
    ],
    ids=lambda callback: type(callback).__name__,
)
def test_config_round_trip(callback):
    rebuilt = deserialize(serialize(callback))
    assert type(rebuilt) is type(callback)
    assert rebuilt.get_config() == callback.get_config()


# State across a resume ----------------------------------------------------------------------------


def test_stateful_callbacks_hand_over_their_progress():
    stopper = cb.EarlyStopping(patience=3, restore_best_weights=True)
    fit([stopper], [0.5, 0.4, 0.6])
    state = stopper.get_state()
    assert {k: v for k, v in state.items() if k != "best_weights"} == {
        "wait": 1,
        "best": 0.4,
        "best_epoch": 1,
        "stopped_epoch": 0,
    }
    assert [w.tolist() for w in state["best_weights"]] == [[[1, 1], [1, 1]], [1, 1]]
    resumed = cb.EarlyStopping(patience=3, restore_best_weights=True)
    resumed.set_state(state)
    assert resumed.wait == 1 and resumed.best == 0.4 and resumed.best_epoch == 1

    checkpoint = cb.ModelCheckpoint("m.numkeras", save_best_only=True)
    fit([checkpoint], [0.5, 0.3])
    assert checkpoint.get_state() == {"best": 0.3, "_batches_since_save": 0}
    reducer = cb.ReduceLROnPlateau(patience=1, cooldown=2)
    fit([reducer], [0.5, 0.6])
    assert reducer.get_state() == {"wait": 0, "best": 0.5, "cooldown_counter": 2}
    assert cb.Callback().get_state() == {} and cb.History().get_state() == {}


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (
            {"wait": 1},
            r"The state of ReduceLROnPlateau must be a dict with the keys "
            r"\['best', 'cooldown_counter', 'wait'\]. Received: \['wait'\]",
        ),
        ([1, 2, 3], "must be a dict with the keys .*Received: list"),
        (
            {"wait": -1, "best": 0.5, "cooldown_counter": 0},
            "ReduceLROnPlateau's state 'wait' must be an int >= 0. Received: -1",
        ),
        ({"wait": 0, "best": "0.5", "cooldown_counter": 0}, "'best' must be a number or None"),
        ({"wait": 0, "best": 0.5, "cooldown_counter": 1.5}, "'cooldown_counter' must be an int"),
    ],
)
def test_set_state_refuses_what_is_not_the_callbacks_state(state, words):
    reducer = cb.ReduceLROnPlateau()
    with pytest.raises(ValueError, match=words):
        reducer.set_state(state)
    assert reducer.wait == 0 and reducer.best is None


def test_state_fields_finds_stateful_classes_by_name():
    assert cb.state_fields("EarlyStopping") is cb.EarlyStopping._state_fields
    assert cb.state_fields("History") is None and cb.state_fields("nothing") is None
