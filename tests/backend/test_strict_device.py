"""The GPU path without a GPU: device selection, and the course's MLP, a CNN, callbacks and
metrics on the strict stand-in.

``tests/strict_xp.py`` follows CuPy's API but refuses every implicit trip to the host, so a
model that trains under it (NumPy in, NumPy out) has no accidental host fallback on its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import numkeras
import strict_xp
from device_support import same_on_the_cpu
from numkeras import backend, layers, optimizers


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh interpreter, with ``env`` and ``tmp_path`` first on its path."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMKERAS_")}
    environment.update(env, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- device selection ------------------------------------------------------------------------
def test_set_device_and_set_backend_are_one_setting():
    backend.set_device("cpu")
    assert (numkeras.config.device(), numkeras.config.backend()) == ("cpu", "numpy")
    backend.set_device(strict_xp)
    assert (backend.device(), backend.backend(), backend.xp()) == ("gpu", "cupy", strict_xp)
    backend.set_backend("numpy")
    assert backend.device() == "cpu" and backend.xp() is np
    with pytest.raises(ValueError, match=r"'cpu' or 'gpu'. Received: device='tpu'"):
        backend.set_device("tpu")


@pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("cupy") is not None, reason="CuPy is installed"
)
def test_gpu_without_cupy_is_one_clear_error_on_first_use(tmp_path):
    done = _python(
        """
        import sys, numkeras
        assert "cupy" not in sys.modules  # the environment is read at import, CuPy is not
        numkeras.layers.Dense(2)(numkeras.ops.ones((1, 3)))
        """,
        tmp_path,
        NUMKERAS_DEVICE="gpu",
    )
    assert done.returncode == 1
    assert done.stderr.count("Traceback") == 1 and "During handling" not in done.stderr
    assert "ImportError: numkeras was asked for the GPU" in done.stderr
    assert "pip install 'numkeras[gpu]'" in done.stderr


def test_the_device_comes_from_the_environment_and_is_checked_on_first_use(tmp_path):
    show = "import numkeras; print(numkeras.config.device())"
    assert _python(show, tmp_path, NUMKERAS_DEVICE="cpu").stdout.split() == ["cpu"]
    assert _python(show, tmp_path, NUMKERAS_BACKEND="numpy").stdout.split() == ["cpu"]
    wrong = _python(show, tmp_path, NUMKERAS_DEVICE="tpu")
    assert "NUMKERAS_DEVICE must be 'cpu' or 'gpu'. Received: NUMKERAS_DEVICE='tpu'" in (
        wrong.stderr
    )


def test_unset_the_cpu_is_chosen_unless_cupy_finds_a_gpu_and_import_never_loads_cupy(tmp_path):
    # A CuPy that sees no GPU; importing it at all leaves a mark.
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(
        "import builtins\nbuiltins.cupy_imported = True\n"
        "class cuda:\n    class runtime:\n        getDeviceCount = staticmethod(lambda: 0)\n"
    )
    done = _python(
        """
        import builtins, numkeras
        print(hasattr(builtins, "cupy_imported"), numkeras.config.device())
        """,
        tmp_path,
    )
    assert done.stdout.split() == ["False", "cpu"], done.stderr


# -- the stand-in itself ---------------------------------------------------------------------
def test_the_stand_in_refuses_every_implicit_trip_to_the_host():
    a = strict_xp.asarray(np.arange(3, dtype=np.float32))
    for trip in (
        np.asarray,
        np.sum,
        lambda a: np.add(a, 1),
        lambda a: float(a[0]),
        lambda a: int(a[0]),
        lambda a: bool(a[0]),
        lambda a: [0, 1][a[0].astype("int64")],
        lambda a: a[0].item(),
        lambda a: a.tolist(),
        list,
        lambda a: a + np.ones(3, np.float32),
        lambda a: np.ones(3, np.float32) * a,
    ):
        with pytest.raises(TypeError):
            trip(a)
    b = strict_xp.maximum(a * 2 - 1, 0) + np.float32(1)
    assert isinstance(b, strict_xp.ndarray)
    np.testing.assert_array_equal(strict_xp.asnumpy(b), [1, 2, 4])
    np.testing.assert_array_equal(b.get(), [1, 2, 4])


# -- the course's MLP on the device ----------------------------------------------------------
def _data():
    rng = np.random.default_rng(1)
    x = rng.random((300, 20), dtype=np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 300)]
    return x, y


def _train(optimizer, dropout: float = 0.0):
    """The course's MLP trained, evaluated and run on the active device, from seed 0."""
    backend.set_random_seed(0)
    x, y = _data()
    model = numkeras.Sequential(
        [
            layers.Input((20,)),
            layers.Dense(32, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(32),
            layers.Activation("sigmoid"),
            layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=3, validation_split=0.1, verbose=0)
    evaluated = model.evaluate(x, y, verbose=0)
    predicted = model.predict(x[:50], verbose=0)
    return model, history, evaluated, predicted


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(0.1, momentum=0.9),
        lambda: optimizers.Adam(),
        # Norms small enough that every step clips: the norms come to the host explicitly.
        lambda: optimizers.SGD(0.1, momentum=0.9, clipnorm=1e-3),
        lambda: optimizers.Adam(global_clipnorm=1e-3),
    ],
)
def test_the_course_mlp_trains_on_the_device_as_on_the_cpu(stand_in, make):
    model, history, evaluated, predicted = _train(make())
    assert all(isinstance(w.data, strict_xp.ndarray) for w in model.weights)
    assert all(isinstance(s, strict_xp.ndarray) for s in model.optimizer.variables)
    # What comes back to the user is NumPy and Python floats, as in Keras.
    assert type(predicted) is np.ndarray and predicted.shape == (50, 4)
    assert all(type(v) is float for values in history.history.values() for v in values)
    assert all(type(v) is float for v in evaluated)
    weights = model.get_weights()
    assert all(type(w) is np.ndarray for w in weights)

    backend.set_device("cpu")
    cpu_model, cpu_history, cpu_evaluated, cpu_predicted = _train(make())
    # The same formulas in the same order: the fused C kernels of the CPU round as their NumPy
    # formulas do, so the two runs agree to the bit.
    for ours, reference in zip(weights, cpu_model.get_weights()):
        np.testing.assert_array_equal(ours, reference)
    assert history.history == cpu_history.history and evaluated == cpu_evaluated
    np.testing.assert_array_equal(predicted, cpu_predicted)


def test_dropout_draws_on_the_device_and_weights_come_and_go_as_numpy(stand_in):
    first, history, _, predicted = _train(optimizers.Adam(), dropout=0.3)
    again, _, _, _ = _train(optimizers.Adam(), dropout=0.3)
    # Dropout's masks come from the device's generator, seeded from numkeras's stream: a
    # device run repeats itself (not the CPU's masks, as CuPy's draws are not NumPy's).
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.history["loss"][-1] < history.history["loss"][0]
    again.set_weights([w * 0 for w in first.get_weights()])
    assert all(isinstance(w.data, strict_xp.ndarray) for w in again.weights)
    np.testing.assert_allclose(again.predict(_data()[0][:5], verbose=0), 0.25)
    assert np.isfinite(predicted).all()


def test_a_small_cnn_trains_on_the_device_as_on_the_cpu(stand_in):
    # The convolution and pooling ops take their NumPy formulas on the device (the C kernels
    # refuse device arrays), and those round as the kernels do.
    rng = np.random.default_rng(2)
    x = rng.random((64, 10, 10, 1), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]

    def train():
        backend.set_random_seed(0)
        model = numkeras.Sequential(
            [
                layers.Input((10, 10, 1)),
                layers.Conv2D(4, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return model.get_weights(), history.history, model.predict(x, verbose=0)

    same_on_the_cpu(train)


def test_callbacks_and_metrics_run_on_the_device_as_on_the_cpu(stand_in, tmp_path):
    x, y = _data()

    def train(folder: Path):
        backend.set_random_seed(0)
        model = numkeras.Sequential(
            [layers.Input((20,)), layers.Dense(16, activation="relu"), layers.Dense(4, "softmax")]
        )
        model.compile(
            optimizers.SGD(0.05, momentum=0.9),
            "categorical_crossentropy",
            metrics=["accuracy", "precision", "recall", "mae", "top_k_categorical_accuracy"],
        )
        folder.mkdir()
        logs = []
        record = numkeras.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, batch_logs: logs.append(batch_logs),
            on_epoch_end=lambda epoch, epoch_logs: logs.append(epoch_logs),
        )
        history = model.fit(
            x,
            y,
            batch_size=32,
            epochs=6,
            validation_split=0.2,
            verbose=0,
            callbacks=[
                numkeras.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                numkeras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5),
                numkeras.callbacks.ModelCheckpoint(folder / "best.keras", save_best_only=True),
                numkeras.callbacks.CSVLogger(folder / "log.csv"),
                numkeras.callbacks.TerminateOnNaN(),
                numkeras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9),
                record,
            ],
        )
        best = numkeras.models.load_model(folder / "best.keras")
        return model, history.history, logs, (folder / "log.csv").read_text(), best

    model, history, logs, log, best = train(tmp_path / "gpu")
    assert all(isinstance(w.data, strict_xp.ndarray) for w in model.weights)
    # History and the logs that callbacks see are plain Python floats, as in Keras.
    assert all(type(v) is float for values in history.values() for v in values)
    assert logs and all(type(v) is float for batch_logs in logs for v in batch_logs.values())
    assert len(history["loss"]) < 6  # EarlyStopping stopped it and restored the best weights

    backend.set_device("cpu")
    cpu_model, cpu_history, cpu_logs, cpu_log, cpu_best = train(tmp_path / "cpu")
    assert history == cpu_history and logs == cpu_logs and log == cpu_log
    for ours, reference in zip(
        model.get_weights() + best.get_weights(), cpu_model.get_weights() + cpu_best.get_weights()
    ):
        np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize(
    "augment",
    [
        lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
        lambda: layers.RandomRotation(0.1, fill_mode="constant", seed=1),
        lambda: layers.RandomZoom(0.2, interpolation="nearest", seed=1),
        lambda: layers.RandomFlip(seed=1),
        lambda: layers.RandomContrast(0.3, seed=1),
        lambda: layers.Resizing(5, 11, interpolation="nearest"),
    ],
)
def test_augmentation_layers_train_on_the_device_as_on_the_cpu(stand_in, augment):
    # The random parameters are drawn on the host (a few numbers per image) and copied over
    # explicitly; the resampling and its gradient (a layer below it learns) run on the device.
    rng = np.random.default_rng(4)
    x = rng.random((24, 8, 8, 1), dtype=np.float32) * 255
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 24)]

    def train():
        backend.set_random_seed(0)
        model = numkeras.Sequential(
            [
                layers.Input((8, 8, 1)),
                layers.Conv2D(2, 1),
                augment(),
                layers.Flatten(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        return model.get_weights(), history.history, model.predict(x, verbose=0)

    same_on_the_cpu(train)
