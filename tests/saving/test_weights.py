"""``save_weights`` / ``load_weights``: by layer order, by name, and clear errors on misfits."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from numkeras import backend
from numkeras.layers import Dense
from numkeras.models import Sequential, load_model
from numkeras.saving import ModelFileError
from numkeras.saving.archive import ArchiveReader
from numkeras.saving.weights import non_finite_count

from .helpers import X, members, tiny_model


def _stack(*units: int, names: tuple[str, ...] | None = None, inputs: int = 3) -> Sequential:
    names = names or tuple(f"layer{i}" for i in range(len(units)))
    return Sequential(
        [
            Dense(u, input_shape=(inputs,) if i == 0 else None, name=n)
            for i, (u, n) in enumerate(zip(units, names, strict=True))
        ]
    )


def _snapshot(model: Sequential) -> list[np.ndarray]:
    return model.get_weights()


def test_round_trip_by_order(tmp_path: Path) -> None:
    model, other = tiny_model(), tiny_model()
    model.save_weights(tmp_path / "m.weights.npz")
    other.load_weights(tmp_path / "m.weights.npz")
    assert np.array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


def test_the_file_is_a_plain_npz(tmp_path: Path) -> None:
    model = tiny_model()
    model.save_weights(tmp_path / "m.weights.npz")
    with np.load(tmp_path / "m.weights.npz", allow_pickle=False) as arrays:
        assert np.array_equal(arrays["weights/0"], model.layers[0].get_weights()[0])
    contents = members((tmp_path / "m.weights.npz").read_bytes())
    first, second = model.layers[0].name, model.layers[2].name
    assert json.loads(contents["weights.json"]) == {
        "layers": [
            {"name": first, "weights": ["weights/0.npy", "weights/1.npy"]},
            {"name": second, "weights": ["weights/2.npy", "weights/3.npy"]},
        ]
    }
    assert json.loads(contents["metadata.json"])["kind"] == "weights"


def test_by_name_loads_the_matching_layers_only(tmp_path: Path) -> None:
    source = _stack(4, 2, names=("shared", "head"))
    source.save_weights(tmp_path / "w.weights.npz")
    target = _stack(4, 5, names=("shared", "other_head"))
    kept = target.layers[1].get_weights()
    target.load_weights(tmp_path / "w.weights.npz", by_name=True)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(target.layers[0].get_weights(), source.layers[0].get_weights(), strict=True)
    )
    assert all(
        np.array_equal(a, b) for a, b in zip(target.layers[1].get_weights(), kept, strict=True)
    )


def test_by_name_with_no_common_name_is_an_error(tmp_path: Path) -> None:
    _stack(2, names=("a",)).save_weights(tmp_path / "w.weights.npz")
    with pytest.raises(ModelFileError, match="no layer of the model has one of these names"):
        _stack(2, names=("b",)).load_weights(tmp_path / "w.weights.npz", by_name=True)


def test_a_different_layer_count_is_an_error(tmp_path: Path) -> None:
    _stack(4, 2).save_weights(tmp_path / "w.weights.npz")
    with pytest.raises(ModelFileError, match="holds weights for 2 layers but the model has 3"):
        _stack(4, 2, 1).load_weights(tmp_path / "w.weights.npz")


def test_a_shape_mismatch_is_an_error_and_changes_nothing(tmp_path: Path) -> None:
    _stack(4, 2).save_weights(tmp_path / "w.weights.npz")
    target = _stack(4, 3)
    before = _snapshot(target)
    with pytest.raises(
        ModelFileError,
        match=r"'layer1/kernel' has shape \(4, 3\).*"
        r"the file holds shape \(4, 2\)",
    ):
        target.load_weights(tmp_path / "w.weights.npz")
    assert all(np.array_equal(a, b) for a, b in zip(_snapshot(target), before, strict=True))


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path: Path) -> None:
    source = _stack(4, 2)
    source.save_weights(tmp_path / "w.weights.npz")
    target = _stack(4, 3)
    with pytest.warns(UserWarning, match="Skipping layer 'layer1'"):
        target.load_weights(tmp_path / "w.weights.npz", skip_mismatch=True)
    assert np.array_equal(target.layers[0].get_weights()[0], source.layers[0].get_weights()[0])


def test_a_dtype_mismatch_is_an_error(tmp_path: Path) -> None:
    _stack(2).save_weights(tmp_path / "w.weights.npz")
    with backend.floatx_scope("float64"):
        target = _stack(2)
    with pytest.raises(ModelFileError, match="dtype float64, the file holds .* float32"):
        target.load_weights(tmp_path / "w.weights.npz")


def test_weights_load_from_a_whole_model_file(tmp_path: Path) -> None:
    model, other = tiny_model(), tiny_model()
    model.save(tmp_path / "m.numkeras")
    other.load_weights(tmp_path / "m.numkeras")
    assert np.array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_weights_file_is_not_a_model(tmp_path: Path) -> None:
    tiny_model().save_weights(tmp_path / "m.weights.npz")
    (tmp_path / "m.numkeras").write_bytes((tmp_path / "m.weights.npz").read_bytes())
    with pytest.raises(ModelFileError, match="build the model, then call model.load_weights"):
        load_model(tmp_path / "m.numkeras")


# Keras 3's .weights.h5 and Keras 2's .h5 are written too: tests/saving/test_keras_weights_h5.py
# and tests/saving/test_keras_legacy_h5.py.
def test_a_weights_path_with_another_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.weights\.npz"):
        tiny_model().save_weights(tmp_path / "w.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_misfit_is_found_from_the_headers_before_any_array_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stack(4, 2).save_weights(tmp_path / "w.weights.npz")
    read: list[str] = []
    original = ArchiveReader.read
    monkeypatch.setattr(
        ArchiveReader,
        "read",
        lambda self, name, *args: read.append(name) or original(self, name, *args),
    )
    with pytest.raises(ModelFileError, match="the file holds shape"):
        _stack(4, 3).load_weights(tmp_path / "w.weights.npz")
    assert not [name for name in read if name.endswith(".npy")]


def _with_non_finite(model: Sequential) -> Sequential:
    kernel, bias = model.layers[-1].get_weights()
    kernel[0, 0], kernel[1, 1], bias[0] = np.nan, np.inf, -np.inf
    model.layers[-1].set_weights([kernel, bias])
    return model


def test_non_finite_weights_load_with_one_warning(tmp_path: Path) -> None:
    source = _with_non_finite(_stack(4, 2, names=("fine", "broken")))
    source.save_weights(tmp_path / "w.weights.npz")
    target = _stack(4, 2, names=("fine", "broken"))
    with pytest.warns(UserWarning) as caught:
        target.load_weights(tmp_path / "w.weights.npz")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "w.weights.npz' holds NaN or inf weights: 3 in all" in message
    assert "in layers 'broken' (3)" in message and "'fine'" not in message
    assert np.isnan(target.layers[1].get_weights()[0][0, 0])


def test_a_model_file_with_non_finite_weights_loads_with_a_warning(tmp_path: Path) -> None:
    model = _with_non_finite(tiny_model())
    model.save(tmp_path / "m.numkeras")
    with pytest.warns(UserWarning, match=r"m\.numkeras' holds NaN or inf weights: 3 in all"):
        load_model(tmp_path / "m.numkeras")


def test_finite_weights_load_without_a_warning(tmp_path: Path) -> None:
    tiny_model().save_weights(tmp_path / "w.weights.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_model().load_weights(tmp_path / "w.weights.npz")


@pytest.mark.parametrize(
    "array, count",
    [
        (np.array([1.0, np.nan, np.inf, -np.inf], np.float32), 3),
        (np.full(1000, 65504.0, np.float16), 0),  # finite, though its float16 sum would overflow
        (np.array([1e308, 1e308]), 0),  # finite, though its float64 sum overflows
        (np.array([1, 2], np.int64), 0),
        (np.zeros((0, 3), np.float32), 0),
    ],
)
def test_non_finite_values_are_counted(array: np.ndarray, count: int) -> None:
    assert non_finite_count(array) == count
