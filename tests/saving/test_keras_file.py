"""Keras 3's ``.keras`` files, with real Keras 3 (on JAX) as the oracle, both ways.

Models trained in Keras open in numkeras with the same predictions and continue training as
Keras does (optimizer state included); models trained in numkeras open in Keras alike. A
``ModelCheckpoint("x.keras")`` resumes exactly; old numkeras files named ``.keras`` still load.
"""

from __future__ import annotations

import builtins
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import numkeras
from numkeras import backend, callbacks, registry
from numkeras.models import load_model
from numkeras.saving import ModelFileError

RNG = np.random.default_rng(3)
TOL = 1e-5


def mlp(k: Any) -> Any:
    """The course's MLP: 784-500-500-10, sigmoid hidden layers, softmax output."""
    return k.Sequential(
        [
            k.Input((784,)),
            k.layers.Dense(500, activation="sigmoid"),
            k.layers.Dense(500, activation="sigmoid"),
            k.layers.Dense(10, activation="softmax"),
        ]
    )


def cnn(k: Any) -> Any:
    """The MNIST CNN, on 12x12 images to stay small."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((12, 12, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def two_branch(k: Any) -> Any:
    """A functional model: two Dense branches of one input, concatenated."""
    layers = k.layers
    inputs = k.Input((6,))
    left = layers.Dense(5, activation="relu")(inputs)
    right = layers.Dense(3, activation="tanh")(inputs)
    merged = layers.Concatenate()([left, right])
    return k.Model(inputs, layers.Dense(10, activation="softmax")(merged))


def data(model_fn: Any) -> tuple[np.ndarray, np.ndarray]:
    shape = {mlp: (784,), cnn: (12, 12, 1), two_branch: (6,)}[model_fn]
    x = RNG.random((16, *shape), dtype=np.float32)
    return x, np.eye(10, dtype=np.float32)[RNG.integers(0, 10, 16)]


def step(model: Any, x: np.ndarray, y: np.ndarray, steps: int = 1) -> None:
    """``steps`` updates on the whole batch, in order (the same in Keras and numkeras).

    Whole models train with SGD and momentum here: Adam's first steps divide each gradient by
    its own size, which turns rounding noise in near-zero gradients (the two libraries sum in
    different orders) into steps of the learning rate's size. Every optimizer's state is
    compared on a small model below."""
    model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0)


def close(first: list[np.ndarray], second: list[np.ndarray], tol: float = TOL) -> bool:
    return len(first) == len(second) and all(
        np.allclose(a, b, atol=tol, rtol=0) for a, b in zip(first, second, strict=True)
    )


# -- Keras -> numkeras ---------------------------------------------------------------------------
@pytest.mark.parametrize("model_fn", [mlp, cnn, two_branch])
def test_a_model_trained_in_keras_loads_and_trains_on(keras, model_fn, tmp_path: Path) -> None:
    x, y = data(model_fn)
    kmodel = model_fn(keras)
    kmodel.compile(
        keras.optimizers.SGD(0.1, 0.9),
        "categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,  # compiling XLA takes longer than these few small steps
    )
    step(kmodel, x, y, 3)
    kmodel.save(tmp_path / "k.keras")

    model = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)
    assert model.optimizer.iterations == 3
    kslots = [np.asarray(v) for v in kmodel.optimizer.variables[2:]]
    assert close(kslots, [np.asarray(v) for v in model.optimizer.variables])
    if model_fn is not cnn:  # dropout draws different masks in the two libraries
        step(kmodel, x, y)
        step(model, x, y)
        assert close(model.get_weights(), [np.asarray(w) for w in kmodel.weights])


OPTIMIZERS = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
]


def _small(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((5,)),
            k.layers.Dense(4, activation="tanh"),
            k.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.mark.parametrize(
    "name, options", OPTIMIZERS, ids=[f"{n}{sorted(o)}" for n, o in OPTIMIZERS]
)
def test_optimizer_state_moves_both_ways(keras, name: str, options: dict, tmp_path: Path) -> None:
    x, y = RNG.random((8, 5), dtype=np.float32), np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    options = {"learning_rate": 0.05, **options}
    # Keras trains 3 steps and saves; numkeras loads; one more step in both.
    kmodel = _small(keras)
    kmodel.compile(
        getattr(keras.optimizers, name)(**options), "categorical_crossentropy", jit_compile=False
    )
    step(kmodel, x, y, 3)
    kmodel.save(tmp_path / "k.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no optimizer state skipped
        model = load_model(tmp_path / "k.keras")
    step(kmodel, x, y)
    step(model, x, y)
    assert close(model.get_weights(), [np.asarray(w) for w in kmodel.weights])

    # numkeras trains 3 steps and saves; Keras loads; one more step in both.
    model = _small(numkeras)
    model.compile(getattr(numkeras.optimizers, name)(**options), "categorical_crossentropy")
    step(model, x, y, 3)
    model.save(tmp_path / "n.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kmodel = keras.models.load_model(tmp_path / "n.keras")
    assert int(kmodel.optimizer.iterations) == 3
    step(kmodel, x, y)
    step(model, x, y)
    assert close(model.get_weights(), [np.asarray(w) for w in kmodel.weights])


def test_an_optimizer_state_that_does_not_fit_is_skipped_with_a_warning(keras, tmp_path) -> None:
    x, y = RNG.random((8, 5), dtype=np.float32), np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    kmodel = _small(keras)
    kmodel.compile(keras.optimizers.Adam(amsgrad=True), "categorical_crossentropy")
    step(kmodel, x, y)
    kmodel.save(tmp_path / "k.keras")
    with zipfile.ZipFile(tmp_path / "k.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = members["config.json"].replace(b'"amsgrad": true', b'"amsgrad": false')
    with zipfile.ZipFile(tmp_path / "k.keras", "w") as z:
        for name, content in {**members, "config.json": config}.items():
            z.writestr(name, content)
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        model = load_model(tmp_path / "k.keras")
    assert model.optimizer.iterations == 0
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)


# -- numkeras -> Keras ---------------------------------------------------------------------------
@pytest.mark.parametrize("model_fn", [mlp, cnn, two_branch])
def test_a_model_trained_in_numkeras_opens_in_keras(keras, model_fn, tmp_path: Path) -> None:
    x, y = data(model_fn)
    model = model_fn(numkeras)
    model.compile(
        numkeras.optimizers.SGD(0.1, 0.9), "categorical_crossentropy", metrics=["accuracy"]
    )
    step(model, x, y, 2)
    model.save(tmp_path / "n.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras loads every variable, skips nothing
        kmodel = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x, verbose=0), atol=TOL)
    if model_fn is not cnn:
        step(kmodel, x, y)
        step(model, x, y)
        assert close(model.get_weights(), [np.asarray(w) for w in kmodel.weights])


def test_the_file_has_keras_members_and_metadata(tmp_path: Path) -> None:
    model = _small(numkeras)
    model.compile("adam", "categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        names = z.namelist()
        meta = z.read("metadata.json")
        stored = z.getinfo("model.weights.h5").compress_type == zipfile.ZIP_STORED
    assert names[:3] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(n.startswith("numkeras/") for n in names[3:])
    assert b'"keras_version": "3.15.1"' in meta and b"numkeras_version" in meta
    assert stored


# -- loading options -----------------------------------------------------------------------------
def test_compile_false_and_custom_functions(keras, tmp_path: Path) -> None:
    def scaled_mse(y_true: Any, y_pred: Any) -> Any:
        return 2.0 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    x, y = RNG.random((8, 5), dtype=np.float32), RNG.random((8, 3), dtype=np.float32)
    kmodel = _small(keras)
    kmodel.compile("sgd", loss=scaled_mse)
    step(kmodel, x, y)
    kmodel.save(tmp_path / "k.keras")
    with pytest.raises(ModelFileError, match="scaled_mse"):
        load_model(tmp_path / "k.keras")
    bare = load_model(tmp_path / "k.keras", compile=False)
    assert not bare.compiled
    np.testing.assert_allclose(bare.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)

    def numkeras_scaled_mse(y_true: Any, y_pred: Any) -> Any:
        return 2.0 * numkeras.ops.mean(numkeras.ops.square(y_true - y_pred), axis=-1)

    model = load_model(tmp_path / "k.keras", custom_objects={"scaled_mse": numkeras_scaled_mse})
    np.testing.assert_allclose(
        model.evaluate(x, y, verbose=0), kmodel.evaluate(x, y, verbose=0), rtol=TOL
    )


def _scale_layer(base: Any) -> Any:
    class Scale(base):
        """Multiplies its input by ``factor`` (the same layer in Keras and numkeras)."""

        def __init__(self, factor: float = 1.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs: Any, training: Any = None) -> Any:
            return inputs * self.factor

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

        def get_config(self) -> dict:
            return {**super().get_config(), "factor": self.factor}

    return Scale


@pytest.fixture
def fresh_registries(keras, monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes a test registers, in Keras or in numkeras, are forgotten after it."""
    from keras.src.saving import object_registration

    for owner, table in [
        (registry, "_CLASSES"),
        (registry, "_KEYS"),
        (object_registration, "GLOBAL_CUSTOM_OBJECTS"),
        (object_registration, "GLOBAL_CUSTOM_NAMES"),
    ]:
        monkeypatch.setattr(owner, table, dict(getattr(owner, table)))


def test_a_class_registered_in_both_libraries_moves_both_ways(
    keras, fresh_registries, tmp_path: Path
) -> None:
    package = "test_keras_file"
    kscale = keras.saving.register_keras_serializable(package)(_scale_layer(keras.layers.Layer))
    nscale = numkeras.saving.register_keras_serializable(package)(
        _scale_layer(numkeras.layers.Layer)
    )
    x = RNG.random((4, 5), dtype=np.float32)
    kmodel = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), kscale(2.5)])
    kmodel.compile("sgd", "mse")
    kmodel.save(tmp_path / "k.keras")
    model = load_model(tmp_path / "k.keras")
    assert type(model.layers[-1]) is nscale and model.layers[-1].factor == 2.5
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)

    model.save(tmp_path / "n.keras")
    kmodel = keras.models.load_model(tmp_path / "n.keras")
    assert type(kmodel.layers[-1]) is kscale
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x, verbose=0), atol=TOL)


@pytest.mark.parametrize("key", ["test_keras_file_custom>Scale", "Scale"])
def test_a_class_given_only_in_custom_objects_loads(
    keras, fresh_registries, key: str, tmp_path: Path
) -> None:
    # As Keras's load_model does: the class is found in custom_objects by the registered name
    # the file gives it, or by its class name; numkeras's registry never hears of it.
    kscale = keras.saving.register_keras_serializable("test_keras_file_custom")(
        _scale_layer(keras.layers.Layer)
    )
    nscale = _scale_layer(numkeras.layers.Layer)
    x = RNG.random((4, 5), dtype=np.float32)
    kmodel = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), kscale(2.5)])
    kmodel.save(tmp_path / "k.keras")
    with pytest.raises(ModelFileError, match="Scale' .* does not have; pass .* custom_objects"):
        load_model(tmp_path / "k.keras")
    model = load_model(tmp_path / "k.keras", custom_objects={key: nscale})
    assert type(model.layers[-1]) is nscale and model.layers[-1].factor == 2.5
    assert not registry.is_registered(nscale)
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)


def _towers(k: Any) -> tuple[Any, Any]:
    """A subclassed model and a layer, alike in Keras and numkeras, that define no get_config:
    both are described by their __init__ arguments (Keras 3's automatic config)."""

    @k.saving.register_keras_serializable("test_keras_file_auto")
    class Offset(k.layers.Layer):
        def __init__(self, offset: float = 0.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, inputs: Any) -> Any:
            return inputs + self.offset

    @k.saving.register_keras_serializable("test_keras_file_auto")
    class Towers(k.Model):
        def __init__(self, units: int = 4, activation: str = "relu", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units
            self.left = k.layers.Dense(units, activation=activation)
            self.right = k.layers.Dense(units, activation="tanh")
            self.shift = Offset(0.5)
            self.out = k.layers.Dense(2)

        def call(self, inputs: Any) -> Any:
            return self.out(self.shift(self.left(inputs) + self.right(inputs)))

    return Towers, Offset


@pytest.mark.parametrize("first", ["keras", "numkeras"])
def test_a_subclassed_model_without_get_config_moves_both_ways(
    keras, fresh_registries, first: str, tmp_path: Path
) -> None:
    libraries = {"keras": keras, "numkeras": numkeras}
    second = "numkeras" if first == "keras" else "keras"
    x, y = RNG.random((6, 5), dtype=np.float32), RNG.random((6, 2), dtype=np.float32)
    towers, _ = _towers(libraries[first])
    # Keras 3.15's Model.__new__ drops the constructor's arguments, so Keras records a
    # subclassed model's defaults (and could not reload one made with others); numkeras
    # records the arguments given, as Keras does for layers.
    arguments = {} if first == "keras" else {"units": 3, "activation": "sigmoid"}
    saved = towers(**arguments, name="towers")
    saved(x[:1])
    saved.compile("sgd", "mse")
    step(saved, x, y)
    saved.save(tmp_path / "m.keras")
    if first == "numkeras":  # numkeras's own format describes them the same way
        saved.save(tmp_path / "m.numkeras")
        own = load_model(tmp_path / "m.numkeras")
        assert (own.units, own.left.activation.__name__, own.shift.offset) == (3, "sigmoid", 0.5)
        np.testing.assert_array_equal(own.predict(x, verbose=0), saved.predict(x, verbose=0))
    second_towers, second_offset = _towers(libraries[second])
    load = keras.models.load_model if second == "keras" else load_model
    loaded = load(tmp_path / "m.keras")
    assert type(loaded) is second_towers and loaded.units == saved.units
    assert loaded.name == "towers"
    assert type(loaded.shift) is second_offset and loaded.shift.offset == 0.5
    np.testing.assert_allclose(loaded.predict(x, verbose=0), saved.predict(x, verbose=0), atol=TOL)


def test_an_uncompiled_keras_model_loads(keras, tmp_path: Path) -> None:
    # Keras 3.15 writes an uncompiled model's compile_config as {}, earlier versions as null.
    x = RNG.random((4, 5), dtype=np.float32)
    kmodel = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    kmodel.save(tmp_path / "k.keras")
    for compile_config in (None, {}):
        path = _with_config(tmp_path / "k.keras", tmp_path / "u.keras", compile_config)
        model = load_model(path)
        assert not model.compiled
        np.testing.assert_allclose(
            model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL
        )


def _with_config(source: Path, target: Path, compile_config: Any) -> Path:
    """``source``, a ``.keras`` zip, copied to ``target`` with ``compile_config`` in its
    config.json."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                config["compile_config"] = compile_config
                data = json.dumps(config).encode()
            out.writestr(info, data)
    return target


def test_load_weights_of_a_keras_file(keras, tmp_path: Path) -> None:
    x, _ = data(two_branch)
    kmodel = two_branch(keras)
    kmodel.save(tmp_path / "k.keras")
    model = two_branch(numkeras)
    model.load_weights(tmp_path / "k.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)
    with pytest.raises(ValueError, match="read whole"):
        model.load_weights(tmp_path / "k.keras", by_name=True)


def test_load_weights_of_a_bad_file_changes_nothing() -> None:
    corpus = Path(__file__).resolve().parents[1] / "saving_corpus"
    model = numkeras.models.Sequential(
        [
            numkeras.layers.Dense(4, activation="relu", input_shape=(3,)),
            numkeras.layers.Dropout(0.25),
            numkeras.layers.Dense(2),
        ]
    )
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=r"has shape \(4, 3\)"):
        model.load_weights(corpus / "keras_wrong_weight_shape.keras")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before, strict=True))


def test_a_numkeras_format_file_named_keras_still_loads(tmp_path: Path) -> None:
    model = _small(numkeras)
    model.save(tmp_path / "m.numkeras")
    (tmp_path / "m.numkeras").rename(tmp_path / "old.keras")
    x = RNG.random((4, 5), dtype=np.float32)
    for source in (tmp_path / "old.keras", io.BytesIO((tmp_path / "old.keras").read_bytes())):
        assert np.array_equal(load_model(source).predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_keras_file_named_numkeras_is_refused(tmp_path: Path) -> None:
    _small(numkeras).save(tmp_path / "m.keras")
    (tmp_path / "m.keras").rename(tmp_path / "m.numkeras")
    with pytest.raises(ModelFileError, match="Keras 3's format"):
        load_model(tmp_path / "m.numkeras")


def test_an_open_keras_file_loads(tmp_path: Path) -> None:
    model = _small(numkeras)
    model.save(tmp_path / "m.keras")
    x = RNG.random((4, 5), dtype=np.float32)
    loaded = load_model(io.BytesIO((tmp_path / "m.keras").read_bytes()))
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- resuming ------------------------------------------------------------------------------------
def test_a_keras_checkpoint_resumes_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((48, 6), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 48)]
    fit = dict(batch_size=8, validation_split=0.25, verbose=0)

    def model_fn() -> Any:
        model = numkeras.models.Sequential(
            [
                numkeras.layers.Dense(8, activation="relu", input_shape=(6,)),
                numkeras.layers.Dropout(0.3),
                numkeras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        return model

    def stateful() -> list[Any]:
        return [
            callbacks.EarlyStopping(patience=2, restore_best_weights=True),
            callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True),
        ]

    backend.set_random_seed(7)
    straight = model_fn()
    full = straight.fit(x, y, epochs=5, callbacks=stateful(), **fit).history

    backend.set_random_seed(7)
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "ckpt.keras"))
    model_fn().fit(x, y, epochs=2, callbacks=[ckpt, *stateful()], **fit)
    backend.set_random_seed(2024)  # the checkpoint brings back its own stream
    resumed = load_model(tmp_path / "ckpt.keras")
    rest = resumed.fit(x, y, epochs=5, initial_epoch=2, callbacks=stateful(), **fit).history
    assert all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), straight.get_weights()))
    assert rest["loss"] == full["loss"][2:]


# -- refusals ------------------------------------------------------------------------------------
def test_saving_without_h5py_says_what_to_install(monkeypatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_h5py(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ImportError, match=r"numkeras\[interop\].*'\.numkeras'"):
        _small(numkeras).save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


def test_a_layer_keras_lacks_is_refused_before_writing(tmp_path: Path) -> None:
    model = numkeras.models.Sequential(
        [numkeras.layers.Dense(4, input_shape=(3,)), numkeras.layers.Maxout(2)]
    )
    with pytest.raises(ValueError, match="Maxout"):
        model.save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []


def test_saving_to_h5_writes_keras2_hdf5(tmp_path: Path) -> None:
    """``.h5`` goes to the Keras 2 HDF5 writer (tests/saving/test_keras_legacy_h5.py)."""
    model = _small(numkeras)
    model.save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
    x = RNG.random((4, 5), dtype=np.float32)
    np.testing.assert_array_equal(
        load_model(tmp_path / "m.h5").predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_load_model_reads_keras_legacy_h5(keras, tmp_path: Path) -> None:
    """``.h5`` goes to the Keras 2 HDF5 reader (tests/saving/test_keras_legacy_h5.py)."""
    x, y = RNG.random((8, 5), dtype=np.float32), np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    kmodel = _small(keras)
    kmodel.compile("sgd", "categorical_crossentropy")
    step(kmodel, x, y)
    kmodel.save(tmp_path / "k.h5")
    model = load_model(tmp_path / "k.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), atol=TOL)
