"""Keras 2's HDF5 files: models real Keras 3 writes as ``.h5`` (its legacy format) load with the
same predictions and train on; Keras 2 and Keras 1 files forged with h5py load, Keras 1's
weights converted as Keras 2 converted them; hostile files are refused with ModelFileError."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import numkeras
from numkeras.saving import ModelFileError, get_limits, set_limits

_CORPUS = Path(__file__).resolve().parents[1] / "saving_corpus" / "keras2_hostile.py"
_spec = importlib.util.spec_from_file_location("keras2_hostile", _CORPUS)
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)


def mlp(k: Any) -> Any:
    """The course's MLP with BatchNormalization and Dropout (Keras or numkeras)."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((8,)),
            layers.Dense(6, activation="sigmoid"),
            layers.BatchNormalization(),
            layers.Dropout(0.2),
            layers.Dense(3, activation="softmax"),
        ]
    )


def cnn(k: Any) -> Any:
    """The MNIST CNN, small."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((8, 8, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def two_branch(k: Any) -> Any:
    """A functional model: two Dense branches on one input, concatenated."""
    inputs = k.Input((8,))
    left = k.layers.Dense(4, activation="relu")(inputs)
    right = k.layers.Dense(4, activation="tanh")(inputs)
    merged = k.layers.Concatenate()([left, right])
    return k.Model(inputs, k.layers.Dense(3, activation="softmax")(merged))


def recurrent(k: Any) -> Any:
    """Bidirectional LSTM, TimeDistributed Dense and GRU on sequences."""
    layers = k.layers
    return k.Sequential(
        [
            k.Input((5, 8)),
            layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
            layers.TimeDistributed(layers.Dense(4)),
            layers.GRU(3),
            layers.Dense(3, activation="softmax"),
        ]
    )


CASES = {
    "mlp": (mlp, (8,)),
    "cnn": (cnn, (8, 8, 1)),
    "two_branch": (two_branch, (8,)),
    "recurrent": (recurrent, (5, 8)),
}


def trained(k: Any, case: str) -> tuple[Any, np.ndarray, np.ndarray]:
    """A model of ``case`` built with ``k`` (Keras or numkeras) and trained for two epochs,
    with its training data."""
    build, shape = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, *shape)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    model = build(k)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


@pytest.mark.parametrize("case", CASES)
def test_numkeras_opens_what_keras_saves_as_h5(case, keras, tmp_path):
    theirs, x, y = trained(keras, case)
    path = tmp_path / "m.h5"
    theirs.save(path)
    ours = numkeras.models.load_model(path)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5
    )
    assert type(ours.optimizer).__name__ == "Adam"
    # Keras 3's optimizer_weights are its .keras variables: the state comes back.
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 4
    history = ours.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert "accuracy" in history.history


def test_without_compile_the_model_is_not_compiled(keras, tmp_path):
    theirs, x, _ = trained(keras, "mlp")
    theirs.save(tmp_path / "m.h5")
    ours = numkeras.models.load_model(tmp_path / "m.h5", compile=False)
    assert getattr(ours, "optimizer", None) is None
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5
    )


def test_load_weights_reads_keras_h5_weights(keras, tmp_path):
    """A weights-only file (the layout at the root, as Keras 2's save_weights wrote it) and a
    whole-model file both load into a model built in numkeras."""
    from keras.src.legacy.saving import legacy_h5_format

    theirs, x, _ = trained(keras, "recurrent")
    with h5py.File(tmp_path / "w.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    theirs.save(tmp_path / "m.hdf5")
    for name in ("w.h5", "m.hdf5"):
        ours = recurrent(numkeras)
        ours.load_weights(tmp_path / name)
        np.testing.assert_allclose(
            ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5
        )


def test_a_forged_keras2_file_loads(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(hostile.mlp())
    model = numkeras.models.load_model(path)
    weights = hostile.mlp_weights()
    (k1, b1), (k2, b2) = [[a for _, a in weights[n]] for n in ("dense_1", "dense_2")]
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    logits = np.maximum(x @ k1 + b1, 0) @ k2 + b2
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_keras2_optimizer_weights_are_skipped_with_a_warning(tmp_path):
    def optimizer_weights(f: h5py.File) -> None:
        group = f.create_group("optimizer_weights")
        group.attrs["weight_names"] = np.array([b"Adam/iter:0"])
        group.create_dataset("Adam/iter:0", data=np.int64(7))

    training = {"optimizer_config": {"class_name": "Adam", "config": {}}, "loss": "mse"}
    path = tmp_path / "m.h5"
    path.write_bytes(hostile.mlp(optimizer_weights, training_config=training))
    with pytest.warns(UserWarning, match="Keras 2 or older.*fresh optimizer state"):
        model = numkeras.models.load_model(path)
    assert int(model.optimizer.iterations) == 0
    assert model.loss == "mse"


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def keras1_dense(index: int, units: int, input_dim: int | None = None) -> dict:
    """A Keras 1 Dense layer's config (``output_dim``, ``init``, ``input_dim``)."""
    config: dict[str, Any] = {
        "name": f"dense_{index}",
        "output_dim": units,
        "init": "glorot_uniform",
        "activation": "linear",
        "bias": True,
        "trainable": True,
    }
    if input_dim is not None:
        config |= {"input_dim": input_dim, "batch_input_shape": [None, input_dim]}
    return {"class_name": "Dense", "config": config}


def keras1_activation(index: int, name: str) -> dict:
    return {
        "class_name": "Activation",
        "config": {"name": f"activation_{index}", "activation": name},
    }


def test_the_course_keras1_mlp_loads_and_predicts(tmp_path):
    """Dense(500, input_dim=784) + sigmoid, twice, then Dense(10) + softmax, as Keras 1 saved
    it: the config a list of layers, weights named ``dense_1_W``, no version on the weights."""
    rng = np.random.default_rng(2)
    sizes = [(784, 500), (500, 500), (500, 10)]
    arrays = [
        (rng.normal(size=s, scale=0.05).astype("float32"), rng.normal(size=s[1]).astype("float32"))
        for s in sizes
    ]
    config = {
        "class_name": "Sequential",
        "config": [
            keras1_dense(1, 500, 784),
            keras1_activation(1, "sigmoid"),
            keras1_dense(2, 500),
            keras1_activation(2, "sigmoid"),
            keras1_dense(3, 10),
            keras1_activation(3, "softmax"),
        ],
    }
    weights = {
        f"dense_{i}": [(f"dense_{i}_W", w), (f"dense_{i}_b", b)]
        for i, (w, b) in enumerate(arrays, start=1)
    }
    weights |= {f"activation_{i}": [] for i in (1, 2, 3)}
    training = {
        "optimizer_config": {"class_name": "SGD", "config": {"lr": 0.1}},
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "sample_weight_mode": None,
        "loss_weights": None,
    }
    path = tmp_path / "course_mlp.h5"
    path.write_bytes(
        hostile.h5_model(config, weights, keras_version=None, training_config=training)
    )
    model = numkeras.models.load_model(path)
    assert model.optimizer.learning_rate == pytest.approx(0.1)  # Keras 1's lr
    x = rng.random((6, 784), dtype=np.float32)
    h = sigmoid(sigmoid(x @ arrays[0][0] + arrays[0][1]) @ arrays[1][0] + arrays[1][1])
    logits = h @ arrays[2][0] + arrays[2][1]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    model.fit(x, np.eye(10, dtype="float32")[:6], epochs=1, verbose=0)


def keras1_weights_file(path: Path, weights: hostile.Weights, backend: str = "tensorflow") -> None:
    """A weights-only file as Keras 1 wrote it (``layer_names`` at the root, no version)."""
    with h5py.File(path, "w") as f:
        hostile.write_weights(f, weights)
        f.attrs["backend"] = backend


def test_keras1_weights_are_converted(tmp_path):
    """Keras 1's LSTM (12 arrays, gates i, c, f, o; a Bidirectional's two in turn), GRU (9
    arrays, gates z, r, h), BatchNormalization (running_std holds the variance) and Conv1D
    kernel (length, 1, channels, filters) become Keras 2's."""
    layers = numkeras.layers
    model = numkeras.Sequential(
        [
            numkeras.Input((6, 2)),
            layers.Conv1D(4, 2, name="conv"),
            layers.LSTM(3, return_sequences=True, name="lstm"),
            layers.Bidirectional(layers.LSTM(2, return_sequences=True), name="bi"),
            layers.GRU(2, reset_after=False, name="gru"),
            layers.BatchNormalization(name="bn"),
        ]
    )
    rng = np.random.default_rng(3)

    def arrays(prefix: str, *shapes: tuple[int, ...]) -> list[tuple[str, np.ndarray]]:
        return [
            (f"{prefix}_{i}", rng.normal(size=s).astype("float32")) for i, s in enumerate(shapes)
        ]

    lstm_gate = [(4, 3), (3, 3), (3,)]
    bi_gate = [(3, 2), (2, 2), (2,)]
    gru_gate = [(4, 2), (2, 2), (2,)]
    weights = {
        "conv": arrays("conv", (2, 1, 2, 4), (4,)),
        "lstm": arrays("lstm", *lstm_gate * 4),
        "bi": arrays("bi", *bi_gate * 8),
        "gru": arrays("gru", *gru_gate * 3),
        "bn": arrays("bn", (2,), (2,), (2,), (2,)),
    }
    path = tmp_path / "w.h5"
    keras1_weights_file(path, weights)
    model.load_weights(path)
    values = {name: [a for _, a in w] for name, w in weights.items()}
    lstm, bi, gru = values["lstm"], values["bi"], values["gru"]
    expected = [
        values["conv"][0][:, 0],
        values["conv"][1],
        *(np.concatenate([lstm[i + 3 * g] for g in (0, 2, 1, 3)], -1) for i in range(3)),
        *(
            np.concatenate([bi[12 * side + i + 3 * g] for g in (0, 2, 1, 3)], -1)
            for side in (0, 1)
            for i in range(3)
        ),
        *(np.concatenate([gru[i + 3 * g] for g in range(3)], -1) for i in range(3)),
        *values["bn"],
    ]
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_channels_first_and_theano_kernels_are_converted(tmp_path):
    """A Conv2D kernel stored as (filters, channels, rows, cols) is transposed; one trained by
    Theano (which convolves: the kernel flipped) is flipped back, as Keras 2 did."""
    model = numkeras.Sequential([numkeras.Input((5, 5, 2)), numkeras.layers.Conv2D(3, (2, 4))])
    kernel = np.random.default_rng(4).normal(size=(3, 2, 2, 4)).astype("float32")
    stored = {"conv2d": [("W", kernel), ("b", np.zeros(3, "float32"))]}
    for backend, flip in (("tensorflow", False), ("theano", True)):
        keras1_weights_file(tmp_path / "w.h5", stored, backend)
        model.load_weights(tmp_path / "w.h5")
        expected = kernel.transpose(2, 3, 1, 0)
        np.testing.assert_array_equal(
            model.get_weights()[0], expected[::-1, ::-1] if flip else expected
        )


def test_a_misfitting_file_changes_nothing(tmp_path):
    path = tmp_path / "w.h5"
    keras1_weights_file(path, hostile.mlp_weights())
    model = numkeras.Sequential([numkeras.Input((4,)), numkeras.layers.Dense(2)])
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=r"holds weights for 2 layers .* has 1 layers"):
        model.load_weights(path)
    bigger = numkeras.Sequential(
        [numkeras.Input((4,)), numkeras.layers.Dense(4), numkeras.layers.Dense(2)]
    )
    kept = bigger.get_weights()
    with pytest.raises(ModelFileError, match="holds 15 values in 2 weights for layer 'dense_1'"):
        bigger.load_weights(path)
    for a, b in zip(before + kept, model.get_weights() + bigger.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(hostile.files()))
def test_hostile_files_are_refused(name, tmp_path):
    data, reason = hostile.files()[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=name) as error:
        numkeras.models.load_model(path)
    assert reason in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_model_config_over_the_json_limit_is_refused(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(hostile.mlp())
    previous = set_limits(dataclasses.replace(get_limits(), max_json_bytes=100))
    try:
        with pytest.raises(ModelFileError, match="more than the limit of 100"):
            numkeras.models.load_model(path)
    finally:
        set_limits(previous)


def test_a_missing_file_is_not_found(tmp_path):
    model = numkeras.Sequential([numkeras.Input((4,)), numkeras.layers.Dense(2)])
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "w.h5")
    with pytest.raises(FileNotFoundError):
        numkeras.models.load_model(tmp_path / "m.h5")


# -- load_weights(by_name=True, skip_mismatch=...) ------------------------------------------------
def named(k: Any, head: int = 3, extra: bool = False) -> Any:
    """A model whose layers have fixed names (Keras or numkeras), for loading by name: a base
    of two Dense layers and a head of ``head`` units, maybe with one more layer between."""
    layers = [
        k.Input((8,)),
        k.layers.Dense(6, activation="relu", name="base1"),
        k.layers.Dense(5, activation="relu", name="base2"),
    ]
    if extra:
        layers.append(k.layers.Dense(5, name="adapter"))
    return k.Sequential([*layers, k.layers.Dense(head, name="head")], name="named")


def _weights_of(model: Any) -> dict[str, list[np.ndarray]]:
    return {
        layer.name: [np.asarray(w) for w in layer.get_weights()]
        for layer in model.layers
        if layer.weights
    }


@pytest.mark.parametrize("whole", [False, True])
def test_by_name_loads_the_layers_of_the_same_name_as_keras_does(keras, tmp_path, whole):
    """Transfer learning: the base's layers take the file's weights, the new layers keep theirs;
    real Keras 3's legacy by-name loader, given the same file, agrees weight for weight."""
    source, _, _ = trained_named(keras)
    path = tmp_path / ("m.h5" if whole else "w.h5")
    if whole:
        source.save(path)
    else:
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, source)
    ours, theirs = named(numkeras, extra=True), named(keras, extra=True)
    kept = _weights_of(ours)
    ours.load_weights(path, by_name=True)
    theirs.load_weights(path, by_name=True)
    got, loaded = _weights_of(ours), _weights_of(source)
    for name in ("base1", "base2", "head"):
        for a, b, c in zip(got[name], loaded[name], _weights_of(theirs)[name], strict=True):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)
    for a, b in zip(got["adapter"], kept["adapter"], strict=True):
        np.testing.assert_array_equal(a, b)


def trained_named(keras: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    model = named(keras)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model, x, y


def test_by_name_mismatches_raise_or_are_skipped_with_a_warning(tmp_path):
    """A head of another shape raises ModelFileError, changing nothing; with skip_mismatch it
    keeps its weights with a warning naming it, and the other layers load."""
    path = tmp_path / "w.h5"
    saved = named(numkeras)
    saved.set_weights([np.full(w.shape, i, "float32") for i, w in enumerate(saved.weights)])
    saved.save_weights(path)
    model = named(numkeras, head=4)
    before = _weights_of(model)
    with pytest.raises(ModelFileError, match=r"holds 18 values in 2 weights for layer 'head'"):
        model.load_weights(path, by_name=True)
    for name, arrays in _weights_of(model).items():
        for a, b in zip(arrays, before[name], strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match=r"Skipping layer 'head' while loading .*w\.h5"):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    got, want = _weights_of(model), _weights_of(saved)
    for name in ("base1", "base2"):
        for a, b in zip(got[name], want[name], strict=True):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(got["head"], before["head"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_applies_in_order_too(tmp_path):
    path = tmp_path / "w.h5"
    named(numkeras).save_weights(path)
    model = named(numkeras, head=4)
    head = model.layers[-1].get_weights()
    with pytest.warns(UserWarning, match="Skipping layer 'head'"):
        model.load_weights(path, skip_mismatch=True)
    for a, b in zip(model.layers[-1].get_weights(), head, strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras1_weights_are_converted_by_name(tmp_path):
    """Keras 1's twelve LSTM arrays become the layer's three, whatever the model's order."""
    layers = numkeras.layers
    rng = np.random.default_rng(6)
    gate = [(2, 3), (3, 3), (3,)]
    lstm = [(f"lstm_{i}", rng.normal(size=s).astype("float32")) for i, s in enumerate(gate * 4)]
    path = tmp_path / "w.h5"
    keras1_weights_file(path, {"dense_0": [("W", np.ones((3, 1), "float32"))], "lstm": lstm})
    model = numkeras.Sequential(
        [numkeras.Input((4, 2)), layers.LSTM(3, name="lstm"), layers.Dense(2, name="other")]
    )
    model.load_weights(path, by_name=True)
    values = [a for _, a in lstm]
    expected = [np.concatenate([values[i + 3 * g] for g in (0, 2, 1, 3)], -1) for i in range(3)]
    for got, want in zip(model.layers[0].get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


#: The hostile files whose config is at fault, which load_weights does not read (as Keras).
_BAD_CONFIG = {
    "keras2_lambda.h5",
    "keras2_unknown_class.h5",
    "keras2_config_not_json.h5",
    "keras2_no_model_config.h5",
}
_BAD_WEIGHTS = sorted(set(hostile.files()) - _BAD_CONFIG)


@pytest.mark.parametrize("name", _BAD_WEIGHTS)
def test_hostile_weights_are_refused_by_name_too(name, tmp_path):
    data, reason = hostile.files()[name]
    path = tmp_path / name
    path.write_bytes(data)
    model = numkeras.models.load_model(_write(tmp_path / "good.h5", hostile.mlp()))
    before = model.get_weights()
    if name == "keras2_no_model_weights.h5":
        reason = "neither a 'layer_names' attribute nor a 'model_weights' group"
    with pytest.raises(ModelFileError, match=name) as error:
        model.load_weights(path, by_name=True)
    assert reason in str(error.value)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_by_name_with_no_matching_layer_is_refused(tmp_path):
    path = tmp_path / "w.h5"
    named(numkeras).save_weights(path)
    model = numkeras.Sequential([numkeras.Input((8,)), numkeras.layers.Dense(2, name="other")])
    with pytest.raises(ModelFileError, match=r"no layer of the model has one of these names"):
        model.load_weights(path, by_name=True)


def test_by_name_stays_refused_for_keras3_weights_h5(tmp_path):
    model = named(numkeras)
    with pytest.raises(ValueError, match=r"Keras 3 '\.weights\.h5' file is read whole"):
        model.load_weights(tmp_path / "w.weights.h5", by_name=True)


# -- writing Keras 2's HDF5 -----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_keras_opens_what_numkeras_saves_as_h5(case, keras, tmp_path):
    ours, x, y = trained(numkeras, case)
    ours.save(tmp_path / "m.h5")
    ours.save_weights(tmp_path / "w.h5")
    expected = ours.predict(x, verbose=0)
    theirs = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), expected, atol=1e-5)
    assert type(theirs.optimizer).__name__ == "Adam"
    # Keras 3.15 on JAX cannot fit a model whose legacy .h5 holds optimizer weights, its own
    # files included (it builds the optimizer for no variables): training goes on after
    # compiling the loaded model afresh.
    theirs = keras.models.load_model(tmp_path / "m.h5", compile=False)
    theirs.compile(optimizer="adam", loss="categorical_crossentropy")
    history = theirs.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    built = CASES[case][0](keras)
    built.load_weights(tmp_path / "w.h5")
    np.testing.assert_allclose(np.asarray(built.predict(x, verbose=0)), expected, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_numkeras_reads_its_own_h5_back_exactly(case, tmp_path):
    ours, x, y = trained(numkeras, case)
    ours.save(tmp_path / "m.h5")
    back = numkeras.models.load_model(tmp_path / "m.h5")
    for a, b in zip(back.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(back.optimizer.iterations) == int(ours.optimizer.iterations) == 4
    saved, loaded = {}, {}
    ours.optimizer.save_own_variables(saved)
    back.optimizer.save_own_variables(loaded)
    assert saved.keys() == loaded.keys()
    for key in saved:
        np.testing.assert_array_equal(saved[key], loaded[key])
    if case == "cnn":  # no dropout: both go on alike
        ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        back.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        # Keras's layout holds the learning rate as float32 (0.001 comes back 0.00100000005).
        for a, b in zip(back.get_weights(), ours.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    weights_only = CASES[case][0](numkeras)
    ours.save_weights(tmp_path / "w.hdf5")
    weights_only.load_weights(tmp_path / "w.hdf5")
    for a, b in zip(weights_only.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def _layout(path: Path) -> dict[str, Any]:
    """What an HDF5 file holds: every attribute (JSON ones as their keys) and dataset shape."""
    found: dict[str, Any] = {}

    def attrs(name: str, node: Any) -> None:
        for key, value in node.attrs.items():
            if key in ("model_config", "training_config"):
                value = sorted(json.loads(value))
            elif key != "keras_version":
                value = [v.decode() if isinstance(v, bytes) else v for v in np.ravel(value)]
            found[f"{name}@{key}"] = value
        if isinstance(node, h5py.Dataset):
            found[name] = (node.shape, node.dtype.kind)

    with h5py.File(path) as f:
        attrs("", f)
        f.visititems(attrs)
    return found


def test_the_layout_is_the_one_keras_writes(keras, tmp_path):
    """Same model, same names: numkeras's file has Keras 3's groups, attributes, weight names
    and dataset shapes, and the same keys in training_config. Apart: the optimizer weights'
    names (Keras names them after its variables, numkeras by number) and model_config, which
    is the model's Keras 3 config (:func:`to_keras`: Keras 3 reads it in its .h5 files too)
    where Keras writes the older form of its legacy serializer."""
    from numkeras.saving import keras_config, model_file

    for k, name in ((keras, "k.h5"), (numkeras, "n.h5")):
        model = named(k)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.save(tmp_path / name)
    theirs, ours = _layout(tmp_path / "k.h5"), _layout(tmp_path / "n.h5")
    for layout in (theirs, ours):
        del layout["@backend"], layout["model_weights@backend"], layout["@model_config"]
        for key in [k for k in layout if k.startswith("optimizer_weights")]:
            del layout[key]
    assert ours == theirs
    config = keras_config.to_keras(model_file.model_config(model))
    del config["compile_config"]
    with h5py.File(tmp_path / "n.h5") as f:
        assert json.loads(f.attrs["model_config"]) == config
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert f.attrs["backend"] == "numpy"
        assert list(f["optimizer_weights"].attrs["weight_names"]) == [b"adam/0", b"adam/1"]


def test_a_long_layer_list_is_split_over_attributes_as_keras_splits_it(tmp_path):
    layers = [numkeras.layers.Dense(2, name=f"dense_{'x' * 200}_{i}") for i in range(400)]
    model = numkeras.Sequential([numkeras.Input((2,)), *layers])
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5") as f:
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs
    target = numkeras.Sequential(
        [numkeras.Input((2,)), *[numkeras.layers.Dense(2) for _ in layers]]
    )
    target.load_weights(tmp_path / "w.h5")
    for a, b in zip(target.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_models_keras_cannot_express_are_refused_before_any_file_is_touched(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(b"old")
    lam = numkeras.Sequential(
        [numkeras.Input((2,)), numkeras.layers.Lambda(lambda t: t * 2), numkeras.layers.Dense(1)]
    )
    with pytest.raises((TypeError, ValueError)):
        lam.save(path)
    with pytest.raises(FileExistsError, match="overwrite"):
        named(numkeras).save(path, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite"):
        named(numkeras).save_weights(path, overwrite=False)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5"]


def test_an_optimizer_state_without_keras_layout_is_left_out_with_a_warning(monkeypatch, tmp_path):
    from numkeras.saving import keras_optimizer

    model, _, _ = trained(numkeras, "mlp")
    monkeypatch.setattr(keras_optimizer, "keras_state", lambda m: None)
    with pytest.warns(UserWarning, match=r"has no Keras layout.*fresh optimizer state"):
        model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert "optimizer_weights" not in f and "training_config" in f.attrs


def test_writing_h5_without_h5py_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    model = named(numkeras)
    for save in (model.save, model.save_weights):
        with pytest.raises(ImportError, match=r"numkeras\[interop\].*\.numkeras"):
            save(tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []
