"""Whole models: ``save_model`` / ``load_model`` (architecture, weights, training state) and JSON.

A model file restores a model whose ``predict`` is bit-identical and, loaded with
``compile=True``, whose training goes on exactly as if it had never stopped: the optimizer comes
back with its step counter and slot arrays, and numkeras's random stream (shuffling, dropout)
comes back where it was when the file was written. See docs/file-format.md for the layout and for
why the random stream is restored by ``load_model(compile=True)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import (
    __version__,
    backend,
    callbacks,
    losses,
    metrics,
    optimizers,
    registry,
)
from ..callbacks import state as callback_state
from ..utils.io_utils import atomic_write
from . import archive
from . import format as fmt
from .archive import (
    ArchiveReader,
    ArchiveWriter,
    ModelFileError,
    file_errors,
    json_default,
    parse_json,
)
from .rebuild import Rebuilder, check_config
from .weights import assign_by_order, check_overwrite, read_weights, saved_bytes, write_weights

_COMPILE_HINT = (
    "has compile settings that cannot be restored (pass your own losses, metrics "
    "and optimizers in custom_objects, or load with compile=False)"
)


# -- saving --------------------------------------------------------------------------------------
def save_model(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write ``model`` to a ``.numkeras`` file, or Keras 3's ``.keras`` format, atomically.

    A ``.numkeras`` file holds the architecture and compile settings (``config.json``), the
    weights, the optimizer's state and numkeras's random-stream state, as JSON and ``.npy``
    members of one zip archive: data only, never pickle or code. A ``.keras`` path gets Keras
    3's zip instead (see :mod:`.keras_file`), which real Keras opens. A lambda or other unnamed
    function in the model (a ``Lambda`` layer's too: its config names its function) raises a
    TypeError and leaves any existing file untouched. A ``.h5`` or ``.hdf5`` path gets Keras
    2's HDF5 format (see :mod:`.keras_legacy_h5_write`), which real Keras 3 opens too.
    """
    if fmt.is_hdf5_path(filepath):  # Keras 2's model.save("m.h5"), as Keras 3 still writes it
        from . import keras_legacy_h5_write

        return keras_legacy_h5_write.save_model(model, filepath, overwrite)
    path = fmt.checked_path(filepath, fmt.MODEL_SUFFIXES)
    if path.endswith(fmt.KERAS_SUFFIX):
        from . import keras_file

        return keras_file.save_model(model, path, overwrite)
    check_overwrite(path, overwrite)
    config = model_config(model)
    training, slots = training_state(model)
    with atomic_write(path) as handle, ArchiveWriter(handle) as writer:
        writer.write_json("metadata.json", fmt.metadata(fmt.MODEL))
        writer.write_json("config.json", config)
        write_weights(writer, model)
        writer.write_json("training.json", training)
        for member, array in slots:
            writer.write_array(member, array)


def model_config(model: Any) -> dict[str, Any]:
    """numkeras's ``config.json`` of ``model``: its class, config, compile settings and (for a
    model whose config does not name its layers) build config. TypeError if the class is not
    registered, so that no file is written that ``load_model`` could not rebuild."""
    if not registry.is_registered(type(model)):
        raise TypeError(
            f"{type(model).__name__} is not registered, so load_model could not rebuild it from "
            "the file: decorate the class with @numkeras.saving.register_keras_serializable() "
            "(and give it a get_config() returning the arguments of its __init__), or save "
            "its weights alone with model.save_weights()."
        )
    config = {
        **registry.class_entry(type(model)),
        "config": model.get_config(),
        "compile_config": _compile_config(model),
    }
    if not model.config_names_layers:
        config["build_config"] = model.get_build_config()
    return config


def _compile_config(model: Any) -> dict[str, Any] | None:
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _serialized(model.loss),
        "metrics": _serialized(getattr(model, "_metric_specs", None)),
        "loss_weights": _serialized(model.loss_weights),
    }


def _serialized(value: Any) -> Any:
    """Losses and metrics as given to compile (maybe nested in lists and dicts), as JSON."""
    if isinstance(value, (list, tuple)):
        return [_serialized(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {str(k): _serialized(v) for k, v in value.items()}
    return registry.serialize(value)


def training_state(
    model: Any, own_optimizer: bool = True
) -> tuple[dict[str, Any], list[tuple[str, np.ndarray]]]:
    """``training.json`` (random stream, during ``fit`` the state of its callbacks and, if
    ``own_optimizer``, the optimizer's counters) and the arrays it names: the optimizer's
    slots (``optimizer/<k>.npy``), the callbacks' weights (``callbacks/<k>.npy``)."""
    entries, weights = callback_state.encode(
        callback_state.collect(getattr(model, "_fit_callbacks", None) or [])
    )
    state: dict[str, Any] = {
        "rng_state": backend.get_rng_state(),
        "optimizer": None,
        "callbacks": entries,
    }
    optimizer = model.optimizer if getattr(model, "compiled", False) else None
    if optimizer is None or not own_optimizer:
        return state, weights
    store: dict[str, Any] = {}
    optimizer.save_own_variables(store)
    arrays = [store[str(i)] for i in range(len(store) - 1)]
    index = {id(w): i for i, w in enumerate(model.weights)}
    # The optimizer's own list of the variables it updates (Optimizer has no public accessor).
    tracked = optimizer._variables if optimizer.built else []
    if any(id(v) not in index for v in tracked):
        raise ValueError(
            "The model's optimizer updates variables that are not the model's "
            "weights, so its state cannot be saved with the model."
        )
    members = [f"optimizer/{i}.npy" for i in range(len(arrays))]
    state["optimizer"] = {
        "built": bool(optimizer.built),
        "iterations": int(optimizer.iterations),
        "variables": [index[id(v)] for v in tracked],
        "slots": members,
    }
    return state, [*zip(members, arrays, strict=True), *weights]


# -- loading -------------------------------------------------------------------------------------
def _is_hdf5(source: Any) -> bool:
    """Whether ``source`` is a Keras 2 HDF5 file: a path named so, or an open file whose first
    bytes are HDF5's signature."""
    if not hasattr(source, "read"):
        return source.lower().endswith(fmt.HDF5_SUFFIXES)
    start = source.tell()
    head = source.read(8)
    source.seek(start)
    return head == b"\x89HDF\r\n\x1a\n"


def load_model(
    filepath: Any,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Read a model written by :func:`save_model`, by Keras 3 (``.keras``) or by Keras 2 (``.h5``).

    Args:
        filepath: a ``.numkeras``, ``.keras``, ``.h5`` or ``.hdf5`` path, or an open binary
            file (a numkeras or Keras 3 zip, or a Keras 2 HDF5 file). A ``.keras`` file is read
            as what it holds: Keras 3's format (:mod:`.keras_file`), or numkeras's own, which
            numkeras wrote under that name before it wrote Keras's format.
        custom_objects: your own layer classes, losses, metrics and functions by the names the
            file uses; nothing else outside numkeras can be named by a file.
        compile: restore the compile settings and the training state (optimizer state and
            numkeras's random stream), so that ``fit(..., initial_epoch=...)`` continues
            exactly. With False the model is for inference and numkeras's random stream is
            left as it was (also when loading fails).
        safe_mode: refuse a model with a ``Lambda`` layer, as Keras 3's safe mode does. A
            file names a Lambda's function and never holds its code, so with False each
            function it names must be given in ``custom_objects`` (by the saved name), and
            runs when the model does: turn safe mode off for files you trust only. After
            ``numkeras.config.enable_unsafe_deserialization()`` it is off whatever this says,
            as in Keras 3. A Keras file's Lambda (marshalled bytecode) is always refused.

    Raises:
        ModelFileError: (a ValueError) the file is malformed, unsafe, or inconsistent.
        ValueError: the path does not end in one of the suffixes above.
        FileNotFoundError: there is no such file.
    """
    source = filepath
    if not hasattr(filepath, "read"):
        source = fmt.checked_path(filepath, fmt.READ_SUFFIXES)
    if _is_hdf5(source):
        from . import keras_legacy_h5

        return keras_legacy_h5.load_model(
            source, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    what = fmt.describe(filepath, "Model file")
    # Open until the end: the weights' data is read once their declared shapes fit the model.
    with ArchiveReader(source, what) as reader:
        if fmt.reads_as_keras(reader, source):
            from . import keras_file

            return keras_file.load_from(reader, custom_objects, compile, safe_mode)
        fmt.check_file(reader, (fmt.MODEL,))
        config = reader.read_json("config.json")
        saved = read_weights(reader)
        training, slots = read_training_state(reader) if compile else (None, [])
        return restored_model(
            config,
            saved_bytes(saved),
            lambda model: assign_by_order(model, saved, what, same_names=model.config_names_layers),
            custom_objects,
            compile,
            safe_mode,
            what,
            training,
            lambda model: restore_own_optimizer(model, training["optimizer"], slots),
        )


def restored_model(
    config: Any,
    budget: int,
    fill: Callable[[Any], None],
    custom_objects: Mapping[str, Any] | None,
    compile: bool,
    safe_mode: bool,
    what: str,
    training: dict[str, Any] | None = None,
    restore_optimizer: Callable[[Any], None] | None = None,
) -> Any:
    """The model of a file's numkeras-form ``config``, with its weights and training state.

    The steps every model file format shares: check ``config`` (known classes only, a Lambda
    as ``safe_mode`` says), rebuild the model allocating at most ``budget`` bytes of weights
    (without running initializers: ``fill(model)`` must put every weight in, raising
    ModelFileError and changing nothing if the file's weights do not fit); with ``compile``
    and a ``compile_config``, compile it and call ``restore_optimizer(model)``. ``training``
    (``{"rng_state", "callbacks"}``, decoded) brings back the callbacks' states and the random
    stream; without it the stream is left as it was, also when loading fails.
    """
    if not isinstance(config, dict) or "compile_config" not in config:
        raise ModelFileError(
            f"{what} is not valid: config.json must be {{'class_name': ..., "
            "'config': ..., 'compile_config': ...}."
        )
    check_config(
        config, custom_objects, f"{what}, config.json,", safe_mode=backend.in_safe_mode(safe_mode)
    )
    # Building the layers draws their initial weights from the random stream: put it back
    # afterwards, to the file's state (compile=True, to resume training) or to where it was.
    stream = backend.get_rng_state()
    try:
        with registry.custom_object_scope(custom_objects):
            model = _rebuild(config, budget, fill, custom_objects, what)
        if compile and config["compile_config"] is not None:
            with file_errors(what, _COMPILE_HINT):
                _compile(model, config["compile_config"], custom_objects)
            if restore_optimizer is not None:
                with file_errors(what, "has an optimizer state that does not fit the model"):
                    restore_optimizer(model)
            if training is not None:
                with file_errors(what, "has callback states that do not fit the model"):
                    callback_state.check_weights(training["callbacks"], model.get_weights())
                # For the next fit with initial_epoch > 0 (see numkeras.callbacks.state).
                model._resumed_callback_states = training["callbacks"]
        if training is not None:
            with file_errors(what, "has an invalid random-stream state"):
                backend.set_rng_state(training["rng_state"])
            stream = None
    finally:
        if stream is not None:
            backend.set_rng_state(stream)
    return model


def _rebuild(
    config: dict[str, Any],
    budget: int,
    fill: Callable[[Any], None],
    custom_objects: Mapping[str, Any] | None,
    what: str,
) -> Any:
    """The model of ``config``, built within ``budget`` bytes of weights, filled by ``fill``.

    The weights are allocated without running their initializers (``filled=True``): ``fill``
    overwrites every one from the file.
    """
    with file_errors(what):
        model = Rebuilder(
            custom_objects,
            budget,
            f"more than the {budget} bytes its weights hold",
            what,
            filled=True,
        ).build_model(config)
        if not model.built and isinstance(config.get("build_config"), dict):
            model.build_from_config(config["build_config"])
        fill(model)
    return model


def read_training_state(
    reader: ArchiveReader, prefix: str = ""
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """``training.json`` checked and decoded, and the optimizer slot arrays it lists.

    ``prefix`` is the folder holding ``training.json``, ``optimizer/`` and ``callbacks/`` (a
    ``.keras`` file keeps them under ``numkeras/``); the member names inside ``training.json``
    are relative to it.
    """
    names = [n[len(prefix) :] for n in reader.names if n.startswith(prefix)]
    state = reader.read_json(prefix + "training.json")
    if not (
        isinstance(state, dict)
        and isinstance(state.get("rng_state"), dict)
        and "optimizer" in state
    ):
        reader.fail("training.json must be {'rng_state': {...}, 'optimizer': ...}")
    opt = state["optimizer"]
    if opt is not None and not (
        isinstance(opt, dict)
        and isinstance(opt.get("built"), bool)
        and _is_count(opt.get("iterations"))
        and isinstance(opt.get("variables"), list)
        and all(_is_count(i) for i in opt["variables"])
        and isinstance(opt.get("slots"), list)
        and all(isinstance(m, str) for m in opt["slots"])
    ):
        reader.fail(
            "training.json has an invalid 'optimizer' entry: it must be {'built': "
            "bool, 'iterations': int >= 0, 'variables': [int, ...], 'slots': [member, "
            "...]}"
        )
    listed = opt["slots"] if opt else []
    present = sorted(n for n in names if n.startswith("optimizer/"))
    if sorted(listed) != present or len(set(listed)) != len(listed):
        reader.fail("training.json does not list each optimizer/*.npy member exactly once")
    # Files written before callback states existed have no "callbacks" entry.
    arrays = {n: reader.read_array(prefix + n) for n in names if n.startswith("callbacks/")}
    try:
        state["callbacks"] = callback_state.decode(
            state.get("callbacks", []), callbacks.state_fields, arrays
        )
    except ValueError as err:
        reader.fail(f"training.json has an invalid 'callbacks' entry: {err}")
    return state, [reader.read_array(prefix + m) for m in listed]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _compile(model: Any, config: Any, custom_objects: Mapping[str, Any] | None) -> None:
    if not isinstance(config, dict) or not isinstance(config.get("optimizer"), dict):
        raise ValueError("compile_config must be {'optimizer': {...}, 'loss': ..., ...}")
    custom = dict(custom_objects or {})
    model.compile(
        optimizer=optimizers.deserialize(config["optimizer"], custom),
        loss=_revived(config.get("loss"), custom, losses.deserialize),
        metrics=_revived(config.get("metrics"), custom, metrics.deserialize),
        loss_weights=config.get("loss_weights"),
    )


def _revived(value: Any, custom: dict[str, Any], deserialize: Callable[..., Any]) -> Any:
    """The inverse of :func:`_serialized`, with ``deserialize`` for one family's configs.

    Names stay names (``compile`` resolves them, e.g. ``'accuracy'`` by the targets' shapes),
    except the names of your own objects in ``custom``; containers keep their shape.
    """
    if isinstance(value, list):
        return [_revived(v, custom, deserialize) for v in value]
    if isinstance(value, dict):
        if "class_name" in value:
            return deserialize(value, custom)
        return {k: _revived(v, custom, deserialize) for k, v in value.items()}
    if isinstance(value, str) and value in custom:
        return custom[value]
    return value


def restore_own_optimizer(
    model: Any, state: dict[str, Any] | None, slots: list[np.ndarray]
) -> None:
    """Put numkeras's own optimizer state (``training.json``'s ``optimizer``) back."""
    optimizer = model.optimizer
    if state is None:
        return
    if not state["built"]:
        if slots:
            raise ValueError("an optimizer that was never built has no slot arrays")
        optimizer.iterations = state["iterations"]
        return
    weights = model.weights
    if any(i >= len(weights) for i in state["variables"]):
        raise ValueError(
            f"it names variables {state['variables']} of a model with {len(weights)} weights"
        )
    optimizer.build([weights[i] for i in state["variables"]])
    own = optimizer.variables
    if len(own) != len(slots):
        raise ValueError(
            f"the file holds {len(slots)} slot arrays, {optimizer.name!r} has {len(own)}"
        )
    for i, (slot, array) in enumerate(zip(own, slots, strict=True)):
        if array.shape != slot.shape or array.dtype != slot.dtype:
            raise ValueError(
                f"slot {i} has shape {slot.shape} and dtype {slot.dtype}, the file "
                f"holds shape {array.shape} and dtype {array.dtype}"
            )
    store = {"iterations": state["iterations"], **{str(i): a for i, a in enumerate(slots)}}
    optimizer.load_own_variables(store)


# -- JSON ----------------------------------------------------------------------------------------
def model_to_json(model: Any, **kwargs: Any) -> str:
    """The architecture (no weights, no compile settings) as a JSON string.

    ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``).
    """
    spec = {
        **registry.class_entry(type(model)),
        "config": model.get_config(),
        "numkeras_version": __version__,
    }
    return json.dumps(spec, default=json_default, **kwargs)


def model_from_json(
    json_string: str | bytes,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
) -> Any:
    """A new, untrained model with the architecture of ``model.to_json()``.

    The JSON is checked as a model file's config is (known classes only, size and depth
    limits, a ``Lambda`` refused unless ``safe_mode=False`` and its function is in
    ``custom_objects``: see :func:`load_model`); its weights may take at most
    ``Limits.max_total_bytes``, and each weight's initializer at most
    ``Limits.max_initializer_cost``. A malformed or unsafe document raises
    :class:`ModelFileError`.
    """
    what = "The model JSON"
    spec = parse_json(json_string, what)
    check_config(spec, custom_objects, what, safe_mode=backend.in_safe_mode(safe_mode))
    budget = archive.LIMITS.max_total_bytes
    with file_errors(what), registry.custom_object_scope(custom_objects):
        return Rebuilder(
            custom_objects, budget, "more than Limits.max_total_bytes allows", what
        ).build_model(spec)
