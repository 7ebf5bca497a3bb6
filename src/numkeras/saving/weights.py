"""Weights in a file: which layer owns which array, and putting them back into a model.

``weights.json`` lists the layers that have weights, in the model's order, each with its name and
the members holding its arrays: ``{"layers": [{"name": "dense", "weights": ["weights/0.npy",
"weights/1.npy"]}, ...]}``. Loading checks every array's declared shape and dtype against the
model (count, shape and dtype, never cast) before it reads any array's data, and reads them all
before it changes a single weight, so a load that fails leaves the model as it was. Float
weights that are not all finite (NaN or inf) are loaded with a warning.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..layers.layer import Layer
from ..utils.io_utils import atomic_write
from . import format as fmt
from . import keras_weights_h5
from .archive import ArchiveReader, ArchiveWriter, ModelFileError, StoredArray

Saved = list[tuple[str, list[StoredArray]]]
_MANIFEST = "weights.json"


class OwnWeights(NamedTuple):
    """The weights a model holds itself, not through one of its layers (a subclassed model's
    ``add_weight``), stored as one more entry named after the model."""

    name: str
    weights: list[Any]


def layers_with_weights(model: Any) -> list[Layer | OwnWeights]:
    """The entries of a weights file, in order: the model's own weights (when it has any),
    then each of its layers that has weights."""
    layers = [layer for layer in model.layers if layer.weights]
    held = {id(w) for layer in layers for w in layer.weights}
    own = [w for w in model.weights if id(w) not in held]
    return ([OwnWeights(model.name, own)] if own else []) + layers


def write_weights(writer: ArchiveWriter, model: Any) -> None:
    """Write every layer's weights as ``.npy`` members and the ``weights.json`` that lists them."""
    layers, count = [], 0
    for layer in layers_with_weights(model):
        members = []
        for var in layer.weights:
            member = f"weights/{count}.npy"
            writer.write_array(member, backend.to_numpy(var.data))
            members.append(member)
            count += 1
        layers.append({"name": layer.name, "weights": members})
    writer.write_json(_MANIFEST, {"layers": layers})


def read_weights(reader: ArchiveReader) -> Saved:
    """The saved layers in order, each ``(name, arrays)``, after checking ``weights.json``.

    Every ``weights/*.npy`` member must be listed exactly once. The arrays' headers are read,
    their data is not: :func:`assign_by_order` and :func:`assign_by_name` read it, once it is
    known to fit, while ``reader`` is still open.
    """
    manifest = reader.read_json(_MANIFEST)
    entries = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        reader.fail(f"{_MANIFEST} must be {{'layers': [...]}}")
    listed: list[str] = []
    for entry in entries:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("weights"), list)
            and all(isinstance(m, str) for m in entry["weights"])
        ):
            reader.fail(
                f"{_MANIFEST} has an entry that is not "
                f"{{'name': str, 'weights': [member, ...]}}: {entry!r:.200}"
            )
        listed.extend(entry["weights"])
    present = sorted(n for n in reader.names if n.startswith("weights/"))
    if sorted(listed) != present or len(set(listed)) != len(listed):
        reader.fail(f"{_MANIFEST} does not list each weights/*.npy member exactly once")
    return [(e["name"], [reader.stored_array(m) for m in e["weights"]]) for e in entries]


def saved_bytes(saved: Saved) -> int:
    return sum(a.nbytes for _, arrays in saved for a in arrays)


def misfit(layer: Layer, arrays: list[StoredArray]) -> str | None:
    """Why ``arrays`` cannot be ``layer``'s weights, or None if they fit exactly."""
    own = layer.weights
    if len(arrays) != len(own):
        return f"layer {layer.name!r} has {len(own)} weights, the file holds {len(arrays)}"
    for var, array in zip(own, arrays, strict=True):
        if array.shape != tuple(var.shape) or array.dtype != var.data.dtype:
            return (
                f"weight {var.name!r} has shape {tuple(var.shape)} and dtype "
                f"{var.data.dtype}, the file holds shape {array.shape} and dtype "
                f"{array.dtype}"
            )
    return None


def assign_by_order(
    model: Any, saved: Saved, what: str, same_names: bool = False, skip_mismatch: bool = False
) -> None:
    """Give the model's layers with weights the saved arrays, one saved layer per model layer.

    With ``same_names`` the saved layer names must be the model's (a whole-model file);
    ``skip_mismatch`` skips, with a warning, a layer whose arrays do not fit.
    """
    layers = layers_with_weights(model)
    if len(layers) != len(saved):
        raise ModelFileError(
            f"{what} holds weights for {len(saved)} layers but the model has {len(layers)} "
            f"layers with weights ({[l.name for l in layers]}). Use by_name=True to load the "
            "layers whose names match."
        )
    pairs = []
    for layer, (name, arrays) in zip(layers, saved, strict=True):
        if same_names and name != layer.name:
            raise ModelFileError(
                f"{what} holds weights for layer {name!r} where the "
                f"architecture has layer {layer.name!r}."
            )
        pairs.append((layer, arrays))
    _assign(pairs, what, skip_mismatch)


def assign_by_name(model: Any, saved: Saved, what: str, skip_mismatch: bool = False) -> None:
    """Give each model layer the saved arrays of the layer with its name; others are kept."""
    by_name: dict[str, list[StoredArray]] = {}
    for name, arrays in saved:
        if name in by_name:
            raise ModelFileError(f"{what} holds two layers named {name!r}.")
        by_name[name] = arrays
    pairs = [
        (layer, by_name[layer.name])
        for layer in layers_with_weights(model)
        if layer.name in by_name
    ]
    check_some_match(list(by_name), len(pairs), what)
    _assign(pairs, what, skip_mismatch)


def check_some_match(names: list[str], matched: int, what: str) -> None:
    """Refuse a by-name load where none of the file's layers ``names`` is a layer of the model
    (``matched`` is how many are), which would load nothing and is almost surely a mistake."""
    if names and not matched:
        raise ModelFileError(
            f"{what} holds weights for layers {sorted(names)!r:.300}, and no layer of the model "
            "has one of these names."
        )


def _assign(pairs: list[tuple[Layer, list[StoredArray]]], what: str, skip_mismatch: bool) -> None:
    fitting = []
    for layer, arrays in pairs:
        problem = misfit(layer, arrays)
        if problem is None:
            fitting.append((layer, arrays))
        elif skip_mismatch:
            warnings.warn(
                f"Skipping layer {layer.name!r} while loading {what}: {problem}.",
                UserWarning,
                stacklevel=4,
            )
        else:
            raise ModelFileError(f"{what} does not fit the model: {problem}.")
    loaded = [(layer, [array.read() for array in arrays]) for layer, arrays in fitting]
    _warn_non_finite(loaded, what)
    for layer, values in loaded:
        for var, value in zip(layer.weights, values, strict=True):
            var.assign(value)


def _warn_non_finite(loaded: list[tuple[Layer, list[np.ndarray]]], what: str) -> None:
    """One warning naming the layers whose loaded weights hold NaN or inf, with the counts."""
    counts = {layer.name: sum(map(non_finite_count, values)) for layer, values in loaded}
    bad = {name: count for name, count in counts.items() if count}
    if bad:
        layers = ", ".join(f"{name!r} ({count})" for name, count in bad.items())
        warnings.warn(
            f"{what} holds NaN or inf weights: {sum(bad.values())} in all, in layers {layers}. "
            "The model's outputs are NaN or inf wherever these weights are used.",
            UserWarning,
            stacklevel=5,
        )


def non_finite_count(array: np.ndarray) -> int:
    """How many elements of ``array`` are NaN or infinite (0 for integer and bool arrays)."""
    if array.dtype.kind != "f":
        return 0
    # A sum is finite only if every term is, so the usual all-finite array costs one pass and
    # no temporary array; float64 keeps finite float16 and float32 weights from overflowing it
    # (huge float64 ones may overflow it: then the exact count below says 0).
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum(dtype=np.float64)):
            return 0
    return int(array.size - np.count_nonzero(np.isfinite(array)))


# -- save_weights / load_weights -----------------------------------------------------------------
def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write ``model``'s weights to a ``.weights.npz`` file, Keras 3's ``.weights.h5``, or Keras
    2's ``.h5`` / ``.hdf5`` (atomically).

    The file is a zip of ``.npy`` arrays (NumPy's ``np.load`` opens it too) with
    ``metadata.json`` and ``weights.json``; see docs/file-format.md.
    """
    if _is_keras_h5(filepath):
        return keras_weights_h5.save_weights(model, os.fspath(filepath), overwrite)
    if fmt.is_hdf5_path(filepath):  # Keras 2's save_weights("w.h5")
        from . import keras_legacy_h5_write

        return keras_legacy_h5_write.save_weights(model, os.fspath(filepath), overwrite)
    path = fmt.checked_path(filepath, (fmt.WEIGHTS_SUFFIX,))
    check_overwrite(path, overwrite)
    with atomic_write(path) as handle, ArchiveWriter(handle) as writer:
        writer.write_json("metadata.json", fmt.metadata(fmt.WEIGHTS))
        write_weights(writer, model)


def load_weights(
    model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False
) -> None:
    """Read weights saved by ``save_weights`` (or from a whole-model file, Keras 3's
    ``.weights.h5``, or Keras 2's ``.h5``) into ``model``.

    By default the layers with weights are matched in order, and their count must agree; with
    ``by_name`` each model layer takes the weights of the saved layer of the same name, and
    layers without one keep theirs. Shapes and dtypes must match exactly unless
    ``skip_mismatch``, which skips misfitting layers with a warning (Keras 3's ``.weights.h5``
    and ``.keras`` are read whole: neither applies). Nothing is changed when
    loading fails. A malformed or misfitting file raises :class:`ModelFileError`; weights that
    are not all finite (NaN or inf) are loaded with a UserWarning naming the layers.
    """
    if _is_keras_h5(filepath):
        if by_name or skip_mismatch:
            raise ValueError(
                "by_name and skip_mismatch apply to numkeras's .weights.npz files and Keras 2's "
                "HDF5 (.h5) files; a Keras 3 '.weights.h5' file is read whole. Received: "
                f"filepath={os.fspath(filepath)!r}"
            )
        return keras_weights_h5.load_weights(model, os.fspath(filepath))
    if fmt.is_hdf5_path(filepath):
        from . import keras_legacy_h5

        return keras_legacy_h5.load_weights(model, os.fspath(filepath), by_name, skip_mismatch)
    source = filepath
    if not hasattr(filepath, "read"):
        source = fmt.checked_path(filepath, (fmt.WEIGHTS_SUFFIX, *fmt.MODEL_SUFFIXES))
    what = fmt.describe(filepath, "Weights file")
    with ArchiveReader(source, what) as reader:
        if fmt.reads_as_keras(reader, source):  # Keras 3's .keras zip (see keras_file)
            from . import keras_file

            return keras_file.load_weights(model, reader, by_name or skip_mismatch)
        fmt.check_file(reader, (fmt.WEIGHTS, fmt.MODEL))
        saved = read_weights(reader)
        if by_name:
            assign_by_name(model, saved, what, skip_mismatch)
        else:
            assign_by_order(model, saved, what, skip_mismatch=skip_mismatch)


def _is_keras_h5(filepath: Any) -> bool:
    """Whether ``filepath`` names a Keras 3 ``.weights.h5`` file (see keras_weights_h5)."""
    return isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).lower().endswith(
        keras_weights_h5.SUFFIX
    )


def check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists and overwrite=False: choose another path or pass overwrite=True."
        )
