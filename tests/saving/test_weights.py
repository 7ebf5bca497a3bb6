"""``save_weights`` / ``load_weights``: by layer order, by name, and clear errors on misfits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numkeras import backend
from numkeras.layers import Dense
from numkeras.models import Sequential, load_model
from numkeras.saving import ModelFileError

from .helpers import X, members, tiny_model


def _stack(*units: int, names: tuple[str, ...] | None = None, inputs: int = 3) -> Sequential:
    names = names or tuple(f"layer{i}" for i in range(len(units)))
    return Sequential([Dense(u, input_shape=(inputs,) if i == 0 else None, name=n)
                       for i, (u, n) in enumerate(zip(units, names, strict=True))])


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
    assert json.loads(contents["weights.json"]) == {"layers": [
        {"name": first, "weights": ["weights/0.npy", "weights/1.npy"]},
        {"name": second, "weights": ["weights/2.npy", "weights/3.npy"]}]}
    assert json.loads(contents["metadata.json"])["kind"] == "weights"


def test_by_name_loads_the_matching_layers_only(tmp_path: Path) -> None:
    source = _stack(4, 2, names=("shared", "head"))
    source.save_weights(tmp_path / "w.weights.npz")
    target = _stack(4, 5, names=("shared", "other_head"))
    kept = target.layers[1].get_weights()
    target.load_weights(tmp_path / "w.weights.npz", by_name=True)
    assert all(np.array_equal(a, b) for a, b in zip(
        target.layers[0].get_weights(), source.layers[0].get_weights(), strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(
        target.layers[1].get_weights(), kept, strict=True))


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
    with pytest.raises(ModelFileError, match=r"'layer1/kernel' has shape \(4, 3\).*"
                                             r"the file holds shape \(4, 2\)"):
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


@pytest.mark.parametrize("name, words", [("w.h5", "HDF5"), ("w.npz", r"\.weights\.npz"),
                                         ("w.weights.h5", "HDF5")])
def test_weights_paths_that_are_refused(tmp_path: Path, name: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        tiny_model().save_weights(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
