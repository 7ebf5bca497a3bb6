"""Keras 2's (and Keras 1's) HDF5 files: whole-model ``.h5`` files and weights-only ``.h5``.

A whole-model file (Keras 2's ``model.save("m.h5")``, which Keras 3 still writes) holds root
attributes ``model_config`` (the model's config as JSON), ``training_config`` (its compile
arguments, if compiled), ``keras_version`` and ``backend``; a group ``model_weights`` whose
attribute ``layer_names`` lists the model's layers; for each layer a group of that name whose
attribute ``weight_names`` lists its weights, each a dataset at that path inside the group
(``dense_1/kernel:0``; Keras 1: ``dense_1_W``); and maybe a group ``optimizer_weights``.
A weights-only file (``model.save_weights("w.h5")``) has the ``model_weights`` layout at its
root. Weights go to the model's layers that have weights, in order, or with ``by_name`` to the
layers of the same name (Keras 3's ``legacy_h5_format`` is the reference), each layer's in
Keras's legacy order: trainable weights first, then the others. numkeras writes these files
too (:mod:`.keras_legacy_h5_write`).

Keras 1 files (no ``keras_version`` on the weights group) store some weights apart; they are
converted as Keras 2 converted them (``preprocess_weights_for_loading``), see
:data:`KERAS1_GATES` and :func:`_convert`. Everything is read as untrusted input: the config
goes through the same checks as a ``.numkeras`` file's (no Lambda, no unregistered class),
only hard links are followed, every dataset must be numeric and under the size limit, a
layer's datasets must hold as many values as its weights before any is read and have its
weights' shapes once converted, and every problem raises ModelFileError.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from . import archive, keras_config, keras_optimizer, keras_weights_h5
from . import format as fmt
from .archive import ModelFileError
from .keras_weights_h5 import checked_dataset
from .weights import check_some_match

#: Keras 1 recurrent layers stored each gate's kernel, recurrent kernel and bias apart:
#: (how many arrays the file holds, the file's arrays concatenated on their last axis into
#: each of the layer's kernel, recurrent kernel and bias).
KERAS1_GATES: dict[str, tuple[int, tuple[tuple[int, ...], ...]]] = {
    # W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o -> gates i, f, c, o
    "LSTM": (12, ((0, 6, 3, 9), (1, 7, 4, 10), (2, 8, 5, 11))),
    # W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h -> gates z, r, h
    "GRU": (9, ((0, 3, 6), (1, 4, 7), (2, 5, 8))),
}
#: Layers whose kernel (their first weight) older files may store in another layout.
_CONV = {"Conv1D", "Conv2D", "Convolution2D"}
#: Wrappers whose weights are those of the layers they hold, converted layer by layer.
_WRAPPED = {"Bidirectional": ("forward_layer", "backward_layer"), "TimeDistributed": ("layer",)}

Assignments = list[tuple[Any, np.ndarray]]


def load_model(
    source: Any,
    custom_objects: Any = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """The model of a Keras 2 (or Keras 1, or Keras 3 legacy) whole-model HDF5 file.

    The file's ``model_config`` becomes numkeras's config (:func:`keras_config.from_keras`),
    which is checked and rebuilt as a ``.numkeras`` file's is; its ``training_config`` becomes
    the compile settings when ``compile``, and the optimizer state is restored where it maps
    (see :func:`_restore_optimizer`). Raises ModelFileError for anything malformed or unsafe.
    """
    from .model_file import restored_model

    what = fmt.describe(source, "Model file")
    with keras_weights_h5.open_h5(source, what) as f:
        with archive.file_errors(what):
            config = _model_config(f, what, compile, custom_objects)
            saved = saved_weights(keras_weights_h5.checked_group(f, "model_weights", what), what)
        model = restored_model(
            config,
            # The rebuilt model may hold at most 8 bytes (a float64) for each value in the file.
            8 * saved.values,
            lambda m: keras_weights_h5.assign(read_layers(m, saved, what)),
            custom_objects,
            compile,
            safe_mode,
            what,
            restore_optimizer=lambda m: _restore_optimizer(m, f, what),
        )
    return model


def _restore_optimizer(model: Any, f: Any, what: str) -> None:
    """Load the file's ``optimizer_weights`` into the compiled ``model``'s optimizer when Keras
    3 wrote them (the variables of its ``.keras`` files, in the same order: see
    :func:`keras_optimizer.restore_datasets`). Keras 2 and 1 ordered and named them otherwise
    (no learning rate, each slot's variables together): those are skipped with a warning, and
    training continues with a fresh optimizer state."""
    if "optimizer_weights" not in f:
        return
    if not (_text_attr(f, "keras_version", what) or "").startswith("3."):
        warnings.warn(
            f"{what} holds the optimizer weights of Keras 2 or older, which numkeras does not "
            "load: training continues with a fresh optimizer state.",
            UserWarning,
            stacklevel=7,  # the caller of numkeras.models.load_model
        )
        return
    group = keras_weights_h5.checked_group(f, "optimizer_weights", what)
    names = _names(group, "weight_names", what, archive.LIMITS.max_members)
    keras_optimizer.restore_datasets(model, group, names, what)


def load_weights(
    model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False
) -> None:
    """Read a Keras 2 (or Keras 1) HDF5 weights file, or the weights of a whole-model one,
    into ``model``'s layers, as Keras 2's ``load_weights`` did: in order (the file's layers
    with weights one by one onto the model's, their count must agree), or with ``by_name``
    each model layer taking the weights of the file's layer of the same name (layers the file
    lacks keep theirs). A layer whose weights do not fit raises ModelFileError, or with
    ``skip_mismatch`` is skipped whole with a warning. Everything is checked and read before
    any weight changes, so a failed load changes nothing."""
    what = fmt.describe(filepath, "Weights file")
    with keras_weights_h5.open_h5(filepath, what) as f, archive.file_errors(what):
        # As Keras does: a whole-model file's weights are read from its model_weights group.
        listed = "layer_names" in f.attrs or "layer_names0" in f.attrs
        if not listed and "model_weights" not in f:
            raise ModelFileError(
                f"{what} has neither a 'layer_names' attribute nor a 'model_weights' group, so "
                "it holds no Keras weights."
            )
        group = f if listed else keras_weights_h5.checked_group(f, "model_weights", what)
        saved = saved_weights(group, what)
        pairs = _by_name(model, saved, what) if by_name else _by_order(model, saved, what)
        values = _read(pairs, saved, what, skip_mismatch)
    keras_weights_h5.assign(values)


def _model_config(f: Any, what: str, compile: bool, custom_objects: Any) -> dict:
    """The file's ``model_config`` in numkeras's form (its classes looked up in
    ``custom_objects`` first), with the ``training_config`` as its ``compile_config`` when
    ``compile`` (else None)."""
    config = _json_attr(f, "model_config", what)
    if config is None:
        raise ModelFileError(
            f"{what} has no 'model_config' attribute, so it is not a whole-model Keras HDF5 "
            "file; a weights-only file loads into a built model with model.load_weights."
        )
    training = _json_attr(f, "training_config", what) if compile else None
    if isinstance(config, dict) and training is not None:
        compile_config = keras_config.compile_config_from_keras2(training, what)
        config = {**config, "compile_config": compile_config}
    return keras_config.from_keras(config, what, custom_objects)


def _json_attr(node: Any, name: str, what: str) -> Any:
    """The JSON document in attribute ``name`` of ``node`` (None if absent), parsed within
    the JSON limits."""
    text = _text_attr(node, name, what)
    return None if text is None else archive.parse_json(text, f"{what}, attribute {name!r},")


def _text_attr(node: Any, name: str, what: str) -> str | None:
    """Attribute ``name`` of ``node`` as text (HDF5 strings come as str or bytes), or None."""
    if name not in node.attrs:
        return None
    value = node.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        return bytes(value).decode("utf-8")
    if isinstance(value, str):
        return value
    raise ModelFileError(
        f"{what} has attribute {name!r} of type {type(value).__name__}; expected a string."
    )


def _names(node: Any, name: str, what: str, limit: int) -> list[str]:
    """The list of names in attribute ``name`` of ``node``, or in ``name0``, ``name1``, ...
    where Keras split a long list over several attributes (an absent list is empty)."""
    keys = [name] if name in node.attrs else []
    while name not in node.attrs and f"{name}{len(keys)}" in node.attrs:
        keys.append(f"{name}{len(keys)}")
    names: list[str] = []
    for key in keys:
        value = node.attrs[key]
        items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else None
        if items is None or not all(isinstance(i, str | bytes) for i in items):
            raise ModelFileError(
                f"{what} has attribute {key!r} of {_kind(value)}; expected a list of names."
            )
        names.extend(i.decode("utf-8") if isinstance(i, bytes) else i for i in items)
        if len(names) > limit:
            raise ModelFileError(f"{what} lists more than {limit} names in attribute {name!r}.")
    return names


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"shape {value.shape} and dtype {value.dtype}"
    return f"type {type(value).__name__}"


def legacy_weights(layer: Any) -> list[Any]:
    """``layer``'s weights in the order Keras's HDF5 files store them: trainable first."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


class SavedWeights(NamedTuple):
    """The weights that an HDF5 group in Keras 2's ``model_weights`` layout holds."""

    #: Each layer the file lists, with its datasets (checked, not read; maybe none).
    layers: list[tuple[str, list[Any]]]
    version: str  #: the Keras version that wrote them ("1" when the file does not say)
    backend: str | None  #: the backend that trained them, if the file says

    @property
    def values(self) -> int:
        return sum(int(ds.size) for _, datasets in self.layers for ds in datasets)


def saved_weights(group: Any, what: str) -> SavedWeights:
    """The layers ``group`` lists in ``layer_names``, each with the datasets
    its ``weight_names`` list, every one checked (a hard link in the file, numeric, under the
    size limit) and none read."""
    limits = archive.LIMITS
    layers = []
    with archive.file_errors(what):
        for name in _names(group, "layer_names", what, limits.max_layers):
            weight_names = _names(
                keras_weights_h5.checked_group(group, name, what),
                "weight_names",
                what,
                limits.max_members,
            )
            datasets = [checked_dataset(group, f"{name}/{w}", None, what, "") for w in weight_names]
            layers.append((name, datasets))
        version = _text_attr(group, "keras_version", what) or "1"
        return SavedWeights(layers, version, _text_attr(group, "backend", what))


#: A model layer with the file's name for the layer that holds its weights, and its datasets.
Pairs = list[tuple[Any, str, list[Any]]]


def read_layers(model: Any, saved: SavedWeights, what: str) -> Assignments:
    """The ``(variable, value)`` pairs that ``saved`` gives ``model``'s layers with weights, in
    order, converted from Keras 1's layouts where the file is Keras 1's; nothing is assigned.

    Each layer's datasets must hold as many values as its weights before any is read, and the
    converted arrays must have the weights' shapes.
    """
    return _read(_by_order(model, saved, what), saved, what)


def _by_order(model: Any, saved: SavedWeights, what: str) -> Pairs:
    """The file's layers that have weights, one by one with the model's, which must be as many."""
    layers = [layer for layer in model.layers if layer.weights]
    stored = [(name, datasets) for name, datasets in saved.layers if datasets]
    if len(stored) != len(layers):
        raise ModelFileError(
            f"{what} holds weights for {len(stored)} layers "
            f"({[n for n, _ in stored]!r:.300}) but the model has {len(layers)} layers "
            f"with weights ({[layer.name for layer in layers]!r:.300})."
        )
    return [(layer, name, datasets) for layer, (name, datasets) in zip(layers, stored, strict=True)]


def _by_name(model: Any, saved: SavedWeights, what: str) -> Pairs:
    """Each of the model's layers with weights with the file's layer of the same name (a layer
    the file lists without weights too: Keras 2 then reports a count mismatch)."""
    names = [name for name, _ in saved.layers]
    if len(set(names)) != len(names):
        raise ModelFileError(f"{what} lists a layer name twice in 'layer_names'.")
    layers = {layer.name: layer for layer in model.layers if layer.weights}
    pairs = [(layers[name], name, datasets) for name, datasets in saved.layers if name in layers]
    check_some_match(names, len(pairs), what)
    return pairs


def _read(pairs: Pairs, saved: SavedWeights, what: str, skip_mismatch: bool = False) -> Assignments:
    """The ``(variable, value)`` pairs of ``pairs``, converted from the file's Keras version and
    backend; a layer that does not fit raises ModelFileError, or is skipped with a warning when
    ``skip_mismatch``. Sizes are checked before anything is read."""
    sized = [pair for pair in pairs if _fits(_size_problem(*pair), pair[0], what, skip_mismatch)]
    values: Assignments = []
    with archive.file_errors(what):
        for layer, name, datasets in sized:
            arrays = [np.asarray(ds[()]) for ds in datasets]
            arrays = _convert(layer, arrays, saved.version, saved.backend)
            if _fits(_shape_problem(layer, name, arrays), layer, what, skip_mismatch):
                weights = legacy_weights(layer)
                values.extend(
                    (w, a.astype(w.data.dtype, copy=False))
                    for w, a in zip(weights, arrays, strict=True)
                )
    return values


def _fits(problem: str | None, layer: Any, what: str, skip_mismatch: bool) -> bool:
    """Whether a layer with ``problem`` (None: none) is loaded; a problem raises
    ModelFileError, or with ``skip_mismatch`` warns that the layer keeps its weights."""
    if problem is None:
        return True
    if not skip_mismatch:
        raise ModelFileError(f"{what} {problem}.")
    warnings.warn(
        f"Skipping layer {layer.name!r} while loading {what}: the file {problem}.",
        UserWarning,
        stacklevel=7,  # the caller of model.load_weights
    )
    return False


def _size_problem(layer: Any, name: str, datasets: list[Any]) -> str | None:
    """Why ``datasets``, which hold another number of values than ``layer``'s weights (converting
    never changes the count), cannot be its weights; found before reading, which also bounds
    what is read."""
    held = sum(int(ds.size) for ds in datasets)
    wanted = sum(int(np.prod(w.shape)) for w in layer.weights)
    if held == wanted:
        return None
    return (
        f"holds {held} values in {len(datasets)} weights for layer {name!r} where "
        f"layer {layer.name!r} has {wanted} in weights of shapes "
        f"{[tuple(w.shape) for w in legacy_weights(layer)]}"
    )


def _shape_problem(layer: Any, name: str, arrays: list[np.ndarray]) -> str | None:
    """Why ``arrays`` cannot be ``layer``'s weights (their count or shapes), or None."""
    shapes = [a.shape for a in arrays]
    wanted = [tuple(w.shape) for w in legacy_weights(layer)]
    if shapes == wanted:
        return None
    return (
        f"holds weights of shapes {shapes} for layer {name!r}; layer {layer.name!r} has "
        f"weights of shapes {wanted}"
    )


def _convert(layer: Any, arrays: list[np.ndarray], version: str, backend: str | None) -> list:
    """``arrays`` from a file of Keras ``version`` on ``backend`` in the layout numkeras's
    ``layer`` has, as Keras 2's ``preprocess_weights_for_loading`` converts them: the layers
    inside wrappers one by one; Keras 1's separate gate arrays concatenated; convolution
    kernels stored as ``(filters, channels, *window)`` or Keras 1's ``(length, 1, channels,
    filters)`` put in Keras's ``(*window, channels, filters)``, and flipped when Theano
    (which convolves, where the others correlate) trained them."""
    kind = type(layer).__name__
    if kind in _WRAPPED:
        inner = [getattr(layer, attr) for attr in _WRAPPED[kind]]
        return _split_convert(inner, arrays, version, backend)
    gates = KERAS1_GATES.get(kind)
    if version.startswith("1") and gates and len(arrays) == gates[0]:
        arrays = [np.concatenate([arrays[i] for i in group], axis=-1) for group in gates[1]]
    if kind in _CONV and arrays and layer.weights:
        arrays = [_kernel(arrays[0], tuple(layer.weights[0].shape), backend), *arrays[1:]]
    return arrays


def _split_convert(
    inner: list[Any], arrays: list[np.ndarray], version: str, backend: str | None
) -> list[np.ndarray]:
    """The arrays of a wrapper, split evenly between its ``inner`` layers and converted for
    each (Bidirectional's two layers have the same weights)."""
    step = len(arrays) // len(inner)
    return [
        array
        for i, layer in enumerate(inner)
        for array in _convert(layer, arrays[i * step : (i + 1) * step], version, backend)
    ]


def _kernel(kernel: np.ndarray, shape: tuple[int, ...], backend: str | None) -> np.ndarray:
    if kernel.shape != shape and kernel.ndim == 4 and len(shape) == 3 and kernel.shape[1] == 1:
        kernel = kernel[:, 0]  # Keras 1's Conv1D: (length, 1, channels, filters)
    elif kernel.shape != shape and kernel.shape == (*shape[-1:-3:-1], *shape[:-2]):
        kernel = np.transpose(kernel, (*range(2, kernel.ndim), 1, 0))  # channels-first
    if backend == "theano":
        kernel = np.ascontiguousarray(kernel[(slice(None, None, -1),) * (kernel.ndim - 2)])
    return kernel


__all__ = [
    "KERAS1_GATES",
    "SavedWeights",
    "legacy_weights",
    "load_model",
    "load_weights",
    "read_layers",
    "saved_weights",
]
