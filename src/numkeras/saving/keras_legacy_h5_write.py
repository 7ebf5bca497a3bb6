"""Writing Keras 2's HDF5 files: ``model.save("m.h5")`` and ``model.save_weights("w.h5")``.

Keras 2 programs write these, and Keras 3 still does (``legacy_h5_format.save_model_to_hdf5``
and ``save_weights_to_hdf5_group``, Keras 3.15); numkeras writes them as Keras 3 does, so that
``keras.models.load_model("m.h5")`` and ``keras_model.load_weights("w.h5")`` open them, and so
does numkeras's reader (:mod:`.keras_legacy_h5`):

* root attributes ``keras_version``, ``backend``, ``model_config`` (the Keras 3 config of the
  model as JSON: :func:`.keras_config.to_keras`, without its compile settings) and, for a
  compiled model, ``training_config`` (the compile settings as Keras 3 writes them: ``loss``,
  ``loss_weights``, ``metrics``, ``weighted_metrics``, ``run_eagerly``,
  ``steps_per_execution``, ``jit_compile`` and ``optimizer_config`` ``{"class_name",
  "config"}``);
* group ``model_weights`` (a weights-only file has it at the root): attributes
  ``layer_names`` (every layer of the model, in order), ``backend`` and ``keras_version``; a
  group per layer whose attribute ``weight_names`` lists its weights (trainable first, as Keras
  orders them in this format), each a dataset at that name (Keras 3's variable path,
  ``sequential/dense/kernel``); and an empty ``top_level_model_weights`` group;
* group ``optimizer_weights``: attribute ``weight_names`` and one dataset per optimizer variable,
  in Keras 3's order (:func:`.keras_optimizer.keras_state`), which both readers load back.

Long name lists are split over attributes ``name0``, ``name1``... as Keras splits them (an HDF5
object header holds at most 64 KiB). The file is built in memory and then written with
``atomic_write``, so a failed save leaves no half-written file.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..utils.io_utils import atomic_write
from . import keras_config, keras_optimizer, keras_weights_h5, model_file
from .keras_file import KERAS_VERSION
from .keras_legacy_h5 import legacy_weights
from .weights import OwnWeights, check_overwrite, layers_with_weights

#: The most bytes Keras puts in one attribute (an HDF5 object header's limit, less overhead).
HEADER_LIMIT = 64512
#: The backend the files say trained them: Keras's NumPy backend has numkeras's conventions
#: (channels last, correlation), which is all a reader looks at (Keras 2 flipped Theano's).
BACKEND = "numpy"
#: What needs h5py, as the ImportError without it says.
_NEEDS_H5PY = "Keras 2's HDF5 (.h5) format"


def save_model(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write ``model`` (architecture, weights, compile settings and optimizer state) to
    ``filepath`` in Keras 2's HDF5 format, as Keras 3 writes it, atomically.

    Raises ImportError without h5py; TypeError for an unregistered model class and ValueError
    naming a layer or object that Keras 3 has no equivalent for (:func:`.keras_config.to_keras`),
    both before any file is touched. An optimizer whose state has no Keras layout is saved
    without its state, with a warning.
    """
    h5py = keras_weights_h5.require_h5py(_NEEDS_H5PY)
    path = os.fspath(filepath)
    config = keras_config.to_keras(model_file.model_config(model))
    training = _training_config(config.pop("compile_config", None))
    state = keras_optimizer.keras_state(model) if training is not None else None
    if training is not None and state is None:
        warnings.warn(
            f"The state of optimizer {model.optimizer.name!r} has no Keras layout, so "
            f"{path!r} holds none and training from it starts with a fresh optimizer state; "
            "a '.keras' or '.numkeras' file keeps it.",
            UserWarning,
            stacklevel=4,  # the caller of model.save
        )
    _check_no_own_weights(model)
    check_overwrite(path, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _write_header(f)
        f.attrs["model_config"] = json.dumps(config).encode("utf-8")
        if training is not None:
            f.attrs["training_config"] = json.dumps(training).encode("utf-8")
        write_weights(model, f.create_group("model_weights"))
        if state:
            _write_optimizer(f.create_group("optimizer_weights"), model.optimizer.name, state)
    _write_file(path, buffer)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write ``model``'s weights to ``filepath`` in Keras 2's weights-only HDF5 layout (what
    Keras 2's ``save_weights("w.h5")`` wrote and ``load_weights`` of Keras 2 and 3 reads),
    atomically. Raises ImportError without h5py."""
    h5py = keras_weights_h5.require_h5py(_NEEDS_H5PY)
    path = os.fspath(filepath)
    _check_no_own_weights(model)
    check_overwrite(path, overwrite)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write_weights(model, f)
    _write_file(path, buffer)


def write_weights(model: Any, group: Any) -> None:
    """Write ``model``'s layers' weights into the writable h5py ``group`` in the
    ``model_weights`` layout (see the module's docstring)."""
    _write_names(group, "layer_names", [layer.name for layer in model.layers])
    _write_header(group)
    # Keras creates the groups in name order (so that no name is created after one it starts).
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        weights = legacy_weights(layer)
        names = [f"{model.name}/{w.name}" for w in weights]
        _write_datasets(group.create_group(layer.name), names, [w.data for w in weights])
    _write_names(group.create_group("top_level_model_weights"), "weight_names", [])


def _check_no_own_weights(model: Any) -> None:
    if any(isinstance(entry, OwnWeights) for entry in layers_with_weights(model)):
        raise ValueError(
            f"Model {model.name!r} holds weights of its own (add_weight), which numkeras does "
            "not write to Keras 2's HDF5 format: save it to a '.keras' or '.numkeras' file."
        )


def _training_config(compile_config: dict | None) -> dict | None:
    """Keras 3's ``training_config`` from its ``compile_config`` (as ``to_keras`` gives it):
    the same settings, with the optimizer as ``optimizer_config``."""
    if compile_config is None:
        return None
    training = {k: v for k, v in compile_config.items() if k != "optimizer"}
    optimizer = compile_config["optimizer"]
    training["optimizer_config"] = {
        "class_name": optimizer["class_name"],
        "config": optimizer["config"],
    }
    return training


def _write_optimizer(group: Any, name: str, state: list[np.ndarray]) -> None:
    names = [f"{name}/{i}" for i in range(len(state))]
    _write_names(group, "weight_names", names)
    _write_datasets(group, names, state)


def _write_header(node: Any) -> None:
    node.attrs["backend"] = BACKEND.encode("utf-8")
    node.attrs["keras_version"] = KERAS_VERSION.encode("utf-8")


def _write_datasets(group: Any, names: list[str], arrays: list[Any]) -> None:
    _write_names(group, "weight_names", names)
    for name, array in zip(names, arrays, strict=True):
        group.create_dataset(name, data=backend.to_numpy(array))


def _write_names(node: Any, key: str, names: list[str]) -> None:
    """The list ``names`` as attribute ``key`` of ``node``, or split over ``key0``, ``key1``...
    where it would not fit one attribute (Keras's rule: the readers join them back)."""
    data = np.array([n.encode("utf-8") for n in names]) if names else np.zeros(0)
    if data.itemsize > HEADER_LIMIT:
        raise ValueError(f"A name in {key!r} is over {HEADER_LIMIT} bytes: {names!r:.200}")
    if data.nbytes <= HEADER_LIMIT:
        node.attrs[key] = data
        return
    per_chunk = HEADER_LIMIT // data.itemsize
    for i in range(0, len(data), per_chunk):
        node.attrs[f"{key}{i // per_chunk}"] = data[i : i + per_chunk]


def _write_file(path: str, buffer: io.BytesIO) -> None:
    with atomic_write(path) as handle:
        handle.write(buffer.getbuffer())


__all__ = ["save_model", "save_weights", "write_weights"]
