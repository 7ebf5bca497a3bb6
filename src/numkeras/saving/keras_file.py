"""Keras 3's ``.keras`` files: ``model.save("m.keras")`` writes one that real Keras 3 opens, and
``load_model("m.keras")`` reads the ones Keras writes, as untrusted input.

The layout is Keras's (``keras/src/saving/saving_lib.py``, Keras 3.15), a zip of:

* ``metadata.json``: ``{"keras_version": "3.15.1", "date_saved": ..., "numkeras_version": ...}``
  (Keras reads none of it);
* ``config.json``: the model's Keras 3 config and ``compile_config`` (:mod:`.keras_config`);
* ``model.weights.h5``: the weights in Keras's HDF5 layout (:mod:`.keras_weights_h5`), and the
  optimizer's state under ``optimizer/vars`` (:mod:`.keras_optimizer`);
* numkeras's own training state, which Keras has no place for, under ``numkeras/``:
  ``training.json`` (the random stream, the callbacks' states during ``fit``, and the
  optimizer's state only when it does not map to Keras's layout) with the arrays it names,
  ``optimizer/<k>.npy`` and ``callbacks/<k>.npy``, as in a ``.numkeras`` file. Keras treats
  members beyond its three as assets, which it extracts to a temporary folder and ignores; so
  ``ModelCheckpoint("best.keras")`` resumes as exactly as a ``.numkeras`` checkpoint does.

Reading checks the zip as numkeras files are checked (:class:`.archive.ArchiveReader`: sizes
before unpacking, inflate ratio, no paths from the archive), refuses members other than those
above (Keras's ``assets/``, a ``.npz`` weights store), reads ``model.weights.h5`` into memory
(within ``Limits.max_member_bytes``) and opens it with h5py; the config must translate into
numkeras classes (a ``Lambda``, whose Keras config holds bytecode, is always refused), and then
the model is rebuilt, filled, compiled and its training state restored exactly as a
``.numkeras`` file's (:func:`.model_file.restored_model`). Every problem raises ModelFileError.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Mapping
from typing import Any

from .. import __version__
from ..utils.io_utils import atomic_write
from . import format as fmt
from . import keras_config, keras_optimizer, keras_weights_h5, model_file
from .archive import ArchiveReader, ArchiveWriter
from .weights import check_overwrite

#: The Keras 3 version whose ``.keras`` layout numkeras writes (what ``metadata.json`` says).
KERAS_VERSION = "3.15.1"
WEIGHTS_MEMBER = "model.weights.h5"
#: The folder of numkeras's own training state inside a ``.keras`` zip.
OWN = "numkeras/"
#: What needs h5py, as the ImportError without it says.
_NEEDS_H5PY = "Keras's .keras format (its weights are HDF5)"
_MEMBERS = re.compile(
    r"(metadata|config)\.json|model\.weights\.h5"
    r"|numkeras/training\.json|numkeras/(optimizer|callbacks)/\d{1,9}\.npy"
)


def metadata() -> dict[str, Any]:
    """The ``metadata.json`` of a new ``.keras`` file, as Keras writes it plus numkeras's version
    (Keras reads no key of it)."""
    return {
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "numkeras_version": __version__,
    }


# -- saving --------------------------------------------------------------------------------------
def save_model(model: Any, path: str, overwrite: bool = True) -> None:
    """Write ``model`` to ``path`` in Keras 3's ``.keras`` format, atomically.

    Raises ImportError without h5py, ValueError (from :func:`.keras_config.to_keras` or
    :func:`.keras_weights_h5.write_model`) naming a layer or object that Keras 3 has no
    equivalent for, before any file is touched.
    """
    h5py = keras_weights_h5.require_h5py(_NEEDS_H5PY)
    check_overwrite(path, overwrite)
    config = keras_config.to_keras(model_file.model_config(model))
    compiled = getattr(model, "compiled", False) and model.optimizer is not None
    # The HDF5 file is built in memory and then stored as one member: a failure on the way
    # leaves nothing behind, as atomic_write discards the zip.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        keras_weights_h5.write_model(model, f)
        in_keras_layout = compiled and keras_optimizer.write(model, f)
    training, arrays = model_file.training_state(model, own_optimizer=not in_keras_layout)
    with atomic_write(path) as handle, ArchiveWriter(handle) as writer:
        writer.write_json("metadata.json", metadata())
        writer.write_json("config.json", config)
        writer.write_bytes(WEIGHTS_MEMBER, buffer.getvalue())
        writer.write_json(OWN + "training.json", training)
        for member, array in arrays:
            writer.write_array(OWN + member, array)


# -- loading -------------------------------------------------------------------------------------
def _checked(reader: ArchiveReader) -> None:
    fmt.check_members(reader, _MEMBERS, "a .keras file read by numkeras")


def _weights_h5(reader: ArchiveReader) -> tuple[Any, str, int]:
    """``model.weights.h5`` read into memory and opened, how messages name it, its size."""
    h5_what = f"{reader.what}, member {WEIGHTS_MEMBER!r},"
    data = reader.read(WEIGHTS_MEMBER)
    return keras_weights_h5.open_h5(io.BytesIO(data), h5_what), h5_what, len(data)


def load_from(
    reader: ArchiveReader,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """The model of the ``.keras`` zip open in ``reader`` (see :func:`.model_file.load_model`)."""
    keras_weights_h5.require_h5py(_NEEDS_H5PY)
    _checked(reader)
    what = reader.what
    config = reader.read_json("config.json")
    if not compile and isinstance(config, dict):
        config["compile_config"] = None  # not translated, as Keras does with compile=False
    config = keras_config.from_keras(config, f"{what}, config.json,", custom_objects)
    own = compile and OWN + "training.json" in reader.names
    training, slots = model_file.read_training_state(reader, OWN) if own else (None, [])
    # The HDF5 file holds the weights' data and more, so its size bounds what the config may
    # allocate (Keras never compresses datasets; a compressed one would fail the shape checks).
    f, h5_what, budget = _weights_h5(reader)
    with f:

        def restore_optimizer(model: Any) -> None:
            if training is not None and training["optimizer"] is not None:
                model_file.restore_own_optimizer(model, training["optimizer"], slots)
            else:
                keras_optimizer.restore(model, f, h5_what)

        return model_file.restored_model(
            config,
            budget,
            lambda model: keras_weights_h5.assign(keras_weights_h5.read_model(model, f, h5_what)),
            custom_objects,
            compile,
            safe_mode,
            what,
            training,
            restore_optimizer,
        )


def load_weights(model: Any, reader: ArchiveReader, by_name: bool = False) -> None:
    """Read the weights of the ``.keras`` zip open in ``reader`` into ``model``, as Keras's
    ``load_weights`` of a ``.keras`` file does; nothing changes if they do not all fit."""
    if by_name:
        raise ValueError(
            "by_name and skip_mismatch apply to numkeras's own files; the weights of a Keras "
            f"'.keras' file are read whole. Received: {reader.what}"
        )
    keras_weights_h5.require_h5py(_NEEDS_H5PY)
    _checked(reader)
    f, h5_what, _ = _weights_h5(reader)
    with f:
        keras_weights_h5.assign(keras_weights_h5.read_model(model, f, h5_what))


__all__ = ["KERAS_VERSION", "OWN", "WEIGHTS_MEMBER", "load_from", "load_weights", "save_model"]
