"""Whole-model files: exact round trips, compile settings, training state, JSON, paths."""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import numkeras
from numkeras import backend, losses, ops
from numkeras.layers import Activation, Dense, Input, Layer
from numkeras.models import Model, Sequential, load_model, model_from_json
from numkeras.optimizers import SGD, Adam
from numkeras.saving import FORMAT_VERSION, Limits, ModelFileError, get_limits, set_limits
from numkeras.schedules import ExponentialDecay

from .helpers import X, Y, edited, functional_model, members, saved_bytes, tiny_model


def _reload(model: Model, tmp_path: Path, **kwargs) -> Model:
    path = tmp_path / "model.numkeras"
    model.save(path)
    return load_model(path, **kwargs)


def _same_arrays(first: list, second: list) -> bool:
    return len(first) == len(second) and all(
        a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(first, second, strict=True)
    )


# -- exact round trips ---------------------------------------------------------------------------
def test_sequential_predict_is_bit_identical(tmp_path: Path) -> None:
    model = tiny_model()
    loaded = _reload(model, tmp_path)
    assert type(loaded) is Sequential
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert _same_arrays(loaded.get_weights(), model.get_weights())


def test_functional_model_with_two_outputs_round_trips(tmp_path: Path) -> None:
    model = functional_model()
    loaded = _reload(model, tmp_path)
    assert type(loaded) is type(model) and loaded.output_names == model.output_names
    assert _same_arrays(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.loss == model.loss and loaded.loss_weights == [1.0, 0.5]
    targets = [Y, X[:, :1]]
    state = backend.get_rng_state()
    expected = model.fit(X, targets, epochs=1, verbose=0).history
    backend.set_rng_state(state)
    assert loaded.fit(X, targets, epochs=1, verbose=0).history == expected
    assert "first_accuracy" in expected


def test_training_continues_exactly(tmp_path: Path) -> None:
    model = tiny_model()
    loaded = _reload(model, tmp_path)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 2
    assert _same_arrays(loaded.optimizer.variables, model.optimizer.variables)
    state = backend.get_rng_state()
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    backend.set_rng_state(state)
    loaded.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    assert _same_arrays(loaded.get_weights(), model.get_weights())
    assert loaded.optimizer.iterations == model.optimizer.iterations == 10


def test_load_with_compile_restores_the_random_stream(tmp_path: Path) -> None:
    model = tiny_model()
    model.save(tmp_path / "m.numkeras")
    expected = backend.rng().random(4)
    backend.set_random_seed(99)
    load_model(tmp_path / "m.numkeras")
    assert np.array_equal(backend.rng().random(4), expected)


def test_load_without_compile_is_for_inference_and_leaves_the_stream(tmp_path: Path) -> None:
    model = tiny_model()
    model.save(tmp_path / "m.numkeras")
    backend.set_random_seed(99)
    expected = np.random.default_rng(99).random(4)
    loaded = load_model(tmp_path / "m.numkeras", compile=False)
    assert not loaded.compiled
    assert np.array_equal(backend.rng().random(4), expected)
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_uncompiled_and_unbuilt_models_round_trip(tmp_path: Path) -> None:
    loaded = _reload(tiny_model(compiled=False), tmp_path)
    assert not loaded.compiled and loaded.built
    unbuilt = Sequential([Dense(3), Dense(1)])
    loaded = _reload(unbuilt, tmp_path)
    assert not loaded.built and [type(l) for l in loaded.layers] == [Dense, Dense]
    loaded.build((None, 5))
    assert loaded.count_params() == 5 * 3 + 3 + 3 + 1


def test_compiled_but_untrained_model_round_trips(tmp_path: Path) -> None:
    loaded = _reload(tiny_model(trained=False), tmp_path)
    assert loaded.optimizer.iterations == 0 and not loaded.optimizer.built
    loaded.fit(X, Y, epochs=1, verbose=0)


def test_compile_settings_come_back(tmp_path: Path) -> None:
    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(
        optimizer=SGD(learning_rate=ExponentialDecay(0.1, 10, 0.5), momentum=0.9),
        loss=losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["acc"],
    )
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    loaded = _reload(model, tmp_path)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate
    assert loaded.loss.get_config() == model.loss.get_config()
    assert set(loaded.fit(X, Y, epochs=1, verbose=0).history) == {"loss", "acc"}


def test_keras2_decay_survives(tmp_path: Path) -> None:
    model = tiny_model(compiled=False)
    with pytest.warns(UserWarning):
        model.compile(optimizer=Adam(lr=0.01, decay=0.1), loss="mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    loaded = _reload(model, tmp_path)
    assert loaded.optimizer.learning_rate == pytest.approx(0.01 / (1 + 0.1 * 2))


def my_loss(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)))


def test_own_functions_need_custom_objects(tmp_path: Path) -> None:
    model = tiny_model(compiled=False)
    model.compile(optimizer="sgd", loss=my_loss)
    model.save(tmp_path / "m.numkeras")
    with pytest.raises(ModelFileError, match="custom_objects"):
        load_model(tmp_path / "m.numkeras")
    assert not load_model(tmp_path / "m.numkeras", compile=False).compiled
    loaded = load_model(tmp_path / "m.numkeras", custom_objects={"my_loss": my_loss})
    assert loaded.loss is my_loss


class Scale(Layer):
    """A user's own layer: files reach it through custom_objects only."""

    def __init__(self, factor: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")

    def call(self, inputs, training=None):
        return inputs * self.w * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_own_layer_round_trips_and_its_weights_are_budgeted(tmp_path: Path) -> None:
    model = Sequential([Scale(3.0, input_shape=(3,)), Dense(2)])
    loaded = _reload(model, tmp_path, custom_objects={"Scale": Scale})
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].factor == 3.0
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert all("add_weight" not in vars(layer) for layer in loaded.layers)


def test_a_lambda_cannot_be_stored(tmp_path: Path) -> None:
    model = Sequential([Dense(2, input_shape=(3,)), Activation(lambda x: x)])
    with pytest.raises(TypeError, match="lambda|cannot"):
        model.save(tmp_path / "m.numkeras")
    assert list(tmp_path.iterdir()) == []


def test_nested_model_round_trips(tmp_path: Path) -> None:
    inner = Sequential([Dense(4, activation="relu", input_shape=(3,))], name="inner")
    inputs = Input(shape=(3,))
    outer = Model(inputs, Dense(2)(inner(inputs)))
    loaded = _reload(outer, tmp_path)
    assert np.array_equal(loaded.predict(X, verbose=0), outer.predict(X, verbose=0))


# -- the file ------------------------------------------------------------------------------------
def test_file_layout(tmp_path: Path) -> None:
    data = saved_bytes(tiny_model())
    contents = members(data)
    assert list(contents)[:3] == ["metadata.json", "config.json", "weights/0.npy"]
    assert set(contents) == {
        "metadata.json",
        "config.json",
        "weights.json",
        "training.json",
        *(f"weights/{i}.npy" for i in range(4)),
        *(f"optimizer/{i}.npy" for i in range(8)),
    }
    meta = json.loads(contents["metadata.json"])
    assert meta["format"] == "numkeras" and meta["kind"] == "model"
    assert meta["format_version"] == FORMAT_VERSION == 1
    assert meta["numkeras_version"] == numkeras.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", meta["date_saved"])
    config = json.loads(contents["config.json"])
    assert config["compile_config"]["loss"] == "categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(
            archive.getinfo(n).compress_type == zipfile.ZIP_STORED
            for n in contents
            if n.endswith(".npy")
        )


def test_saving_twice_gives_the_same_members(tmp_path: Path) -> None:
    model = tiny_model()
    first, second = members(saved_bytes(model)), members(saved_bytes(model))
    first.pop("metadata.json"), second.pop("metadata.json")
    assert first == second


def test_loads_from_an_open_file() -> None:
    model = tiny_model()
    loaded = load_model(io.BytesIO(saved_bytes(model)))
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_keras_suffix_round_trips(tmp_path: Path) -> None:
    """``.keras`` is Keras 3's format (tests/saving/test_keras_file.py has the details)."""
    model = tiny_model()
    model.save(tmp_path / "m.keras")
    assert np.array_equal(
        load_model(tmp_path / "m.keras").predict(X, verbose=0), model.predict(X, verbose=0)
    )


@pytest.mark.parametrize(
    "name, words",
    [
        ("m.zip", "must end in .numkeras or .keras"),
        ("m.weights.npz", "load_weights"),
    ],
)
def test_paths_that_are_refused(tmp_path: Path, name: str, words: str) -> None:
    model = tiny_model()
    with pytest.raises(ValueError, match=words) as caught:
        model.save(tmp_path / name)
    assert not isinstance(caught.value, ModelFileError)
    with pytest.raises(ValueError, match=words):
        load_model(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["m.h5", "m.hdf5"])
def test_hdf5_paths_are_written_and_read_as_keras2_hdf5(tmp_path: Path, name: str) -> None:
    """Keras 2's HDF5 format, both ways (tests/saving/test_keras_legacy_h5.py)."""
    model = tiny_model()
    model.save(tmp_path / name)
    assert (tmp_path / name).read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    back = load_model(tmp_path / name)
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / f"missing{name}")


def test_overwrite_false_and_missing_files(tmp_path: Path) -> None:
    model = tiny_model()
    model.save(tmp_path / "m.numkeras")
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(tmp_path / "m.numkeras", overwrite=False)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.numkeras")


def test_no_pickle_on_the_load_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used while loading")

    data = saved_bytes(tiny_model())
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(np, "load", refuse)
    load_model(io.BytesIO(data))
    sources = Path(numkeras.saving.__file__).parent.glob("*.py")
    for source in sources:
        text = source.read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text


def test_a_file_with_a_changed_config_is_checked_against_its_weights() -> None:
    data = edited(
        saved_bytes(tiny_model()),
        config=lambda c: c["config"]["layers"][0]["config"].update(units=5) or c,
    )
    with pytest.raises(ModelFileError, match="asks for more than"):
        load_model(io.BytesIO(data))


# -- JSON ----------------------------------------------------------------------------------------
def test_json_round_trip() -> None:
    model = functional_model()
    text = model.to_json(indent=2)
    assert json.loads(text)["class_name"] == "Functional"
    clone = model_from_json(text)
    assert clone.get_config() == model.get_config()
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert not clone.compiled


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", "malformed"),
        ('{"class_name": "Nope", "config": {}}', "neither a numkeras class"),
        ('{"class_name": "Dense", "config": {"units": 2}}', "not a model"),
        ('{"class_name": "EarlyStopping", "config": {}}', "not part of a model"),
        ("[" * 100 + "]" * 100, "deeper than the limit"),
    ],
)
def test_bad_json_is_refused(text: str, words: str) -> None:
    with pytest.raises(ModelFileError, match=words):
        model_from_json(text)


def test_json_architectures_have_a_memory_budget() -> None:
    text = Sequential([Dense(1000, input_shape=(1000,))]).to_json()
    previous = set_limits(Limits(max_total_bytes=1000))
    try:
        with pytest.raises(ModelFileError, match="asks for more than 1000 bytes"):
            model_from_json(text)
    finally:
        set_limits(previous)
    assert get_limits() == Limits()


def test_a_custom_activation_inside_a_layer_loads_through_custom_objects(tmp_path):
    from numkeras import ops
    from numkeras.layers import Dense
    from numkeras.models import Sequential, load_model

    def squash(x):
        return ops.tanh(x) * 0.5

    model = Sequential([Dense(3, input_shape=(2,), activation=squash)])
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "custom.numkeras"
    model.save(path)
    x = np.ones((2, 2), np.float32)
    with pytest.raises(ValueError, match="squash"):
        load_model(path)
    loaded = load_model(path, custom_objects={"squash": squash})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_file_written_by_numkeras_0_1_0_still_loads_and_resumes() -> None:
    """A format_version 1 file from before callback states, stored-only arrays and the slot
    families (tests/saving/data, written by the code of commit 074a419)."""
    folder = Path(__file__).parent / "data"
    with np.load(folder / "format1_numkeras_0.1.0.expected.npz") as expected:
        x, y, predictions = expected["x"], expected["y"], expected["predictions"]
    model = load_model(folder / "format1_numkeras_0.1.0.numkeras")
    np.testing.assert_allclose(model.predict(x, verbose=0), predictions, rtol=1e-6)
    assert int(model.optimizer.iterations) == 8  # two epochs of 4 batches
    history = model.fit(x, y, epochs=3, initial_epoch=2, batch_size=8, verbose=0)
    assert list(history.history) == ["accuracy", "loss"] and int(model.optimizer.iterations) == 12


def test_load_model_needs_no_import_of_the_model_classes() -> None:
    """``from numkeras.saving import load_model`` alone: the model and layer classes a file
    names are found although the program never imported numkeras.models or numkeras.layers."""
    path = Path(__file__).parent / "data" / "format1_numkeras_0.1.0.numkeras"
    code = (
        f"from numkeras.saving import load_model; print(type(load_model({str(path)!r})).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "Sequential"
