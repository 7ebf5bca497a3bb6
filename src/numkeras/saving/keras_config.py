"""Model configs translated between numkeras and Keras 3 (and read from Keras 2 and Keras 1).

numkeras's ``config.json`` already has Keras 3's shape (``{"module", "class_name", "config"}``,
``package>Name`` keys, the same layer arguments), so translating is renaming, not rebuilding:

* modules: ``numkeras.layers`` <-> ``keras.layers`` and so on; Keras's model entries as Keras
  writes them, and ``registered_name`` on every object;
* per-class keys (:mod:`.keras_config_tables`): renamed ones, and keys only one side has, which
  are dropped when they hold the value meaning "as the other side does it" and refused otherwise;
* dtypes: a layer's dtype string <-> Keras 3's ``DTypePolicy`` object;
* the graph: a Sequential's input shape <-> Keras's ``InputLayer``; Keras 3's layer calls
  (``{"args", "kwargs"}`` holding ``__keras_tensor__`` objects) and Keras 2's
  (``[[name, node, tensor, kwargs]]``) <-> numkeras's references;
* compile settings: Keras 3's ``compile_config`` (and Keras 2's ``training_config``) <->
  numkeras's.

This module writes (:func:`to_keras`); :mod:`.keras_config_import` reads
(:func:`from_keras`, :func:`compile_config_from_keras2`), as for untrusted input: a config that
holds code (a ``Lambda`` layer, a ``__lambda__`` or other ``__...__`` object) is refused,
whatever ``safe_mode``, as are classes numkeras does not have and options it does not support;
every problem raises :class:`~.archive.ModelFileError` naming the file, the layer and the key.
A function Keras names (``{"class_name": "function", "config": "mean_squared_error"}``) is read
as its name, which numkeras resolves itself; a class is looked up in the caller's
``custom_objects`` first, as Keras's ``load_model`` does. Writing refuses, with a ValueError,
what Keras 3 cannot express (a class it lacks, a numkeras-only option).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import keras_config_tables as tables
from .keras_config_import import compile_config_from_keras2, from_keras

__all__ = ["compile_config_from_keras2", "from_keras", "to_keras"]

#: Keras 3's compile arguments that only tune how its training runs, with the values
#: ``to_keras`` writes (Keras's own defaults); numkeras has no use for them.
_KERAS_RUN_SETTINGS = {
    "weighted_metrics": None,
    "run_eagerly": False,
    "steps_per_execution": 1,
    "jit_compile": "auto",
}


# -- numkeras -> Keras 3 --------------------------------------------------------------------------
def to_keras(config: dict) -> dict:
    """numkeras's config.json dict of a model -> Keras 3's config.json dict of the same model.

    ``config`` is ``{"module", "class_name", "config", "compile_config", maybe "build_config"}``
    as :func:`~.model_file.save_model` builds it; the result is what Keras 3's
    ``keras.saving.deserialize_keras_object`` and ``keras.models.load_model`` read: ``keras.*``
    modules, ``registered_name``, ``DTypePolicy`` dtypes, an ``InputLayer`` first in a
    Sequential, and Keras 3's ``compile_config`` (with its defaults for the settings numkeras
    has no use for).

    Raises:
        ValueError: naming the layer (or object) and key that Keras 3 has no equivalent for;
            such a model can be saved to a ``.numkeras`` file.
    """
    out = _export(config, "numkeras.models", None)
    compile_config = config.get("compile_config")
    if compile_config is not None:
        out["compile_config"] = {
            "optimizer": _export(compile_config["optimizer"], "numkeras.optimizers", "optimizer"),
            "loss": _export(compile_config.get("loss"), "numkeras.losses", "loss"),
            "loss_weights": compile_config.get("loss_weights"),
            "metrics": _export(compile_config.get("metrics"), "numkeras.metrics", "metrics"),
            **_KERAS_RUN_SETTINGS,
        }
    elif "compile_config" in config:
        out["compile_config"] = None
    if config.get("build_config") is not None:
        build = config["build_config"]
        out["build_config"] = {tables.BUILD_CONFIG_KEYS.get(k, k): v for k, v in build.items()}
    elif out["class_name"] == "Sequential" and "build_input_shape" in out["config"]:
        out["build_config"] = {"input_shape": out["config"]["build_input_shape"]}
    return out


def _export(value: Any, family: str | None, key: str | None) -> Any:
    """``value`` (a config, or anything inside one) as Keras 3 writes it."""
    if isinstance(value, list):
        return [_export(item, family, key) for item in value]
    if not isinstance(value, dict):
        return value
    if not isinstance(value.get("class_name"), str) or not isinstance(value.get("config"), dict):
        return {k: _export(v, family, k) for k, v in value.items()}
    name = value["class_name"]
    family = value.get("module") or tables.slot_family(key, family)
    if ">" in name:  # a class the user registered: Keras finds it by its registered name
        entry = {"module": None, "class_name": name.rpartition(">")[2], "registered_name": name}
    else:
        _check_keras_has(family, name, value["config"])
        entry = {
            "module": tables.MODULES.get(family, family),
            "class_name": tables.KERAS_NAMES.get((family, name), name),
            "registered_name": None,
        }
    if family == "numkeras.models":
        entry |= tables.MODEL_ENTRIES.get(name, {})
    return {**entry, "config": _export_config(value["config"], family, name)}


def _check_keras_has(family: str | None, name: str, config: dict) -> None:
    kind = tables.KINDS.get(family or "", "object")
    reason = tables.NOT_EXPORTED.get((family, name))
    if reason is None and name in tables.KERAS_LACKS.get(family or "", ()):
        reason = f"Keras 3 has no {name} {kind}"
    if reason is not None:
        raise ValueError(
            f"{reason} ({kind} {config.get('name', name)!r}); save to a .numkeras file instead."
        )


def _export_config(config: dict, family: str | None, name: str) -> dict:
    keys = tables.keys_of(family or "", name)
    layer = config.get("name", name)

    def refuse(key: str, value: Any, default: Any) -> None:
        raise ValueError(
            f"{name} {layer!r}: Keras 3 has no equivalent of {key}={value!r:.100} (only "
            f"{default!r} maps to Keras 3); save to a .numkeras file instead."
        )

    out = tables.rename(config, keys.renamed, keys.numkeras_only, refuse)
    if name == "Sequential":
        return _export_sequential(out)
    if name == "Functional":
        return _export_functional(out)
    out = {k: _export(v, family if k == "layers" else None, k) for k, v in out.items()}
    if family == "numkeras.layers":
        out.pop("batch_input_shape", None)  # Keras 3 layers take their shape from an Input
        if name != "InputLayer" and isinstance(out.get("dtype"), str):
            out["dtype"] = _policy(out["dtype"])
    return out


def _policy(dtype: str) -> dict:
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": dtype},
        "registered_name": None,
    }


def _export_sequential(config: dict) -> dict:
    layers = [dict(layer) for layer in config["layers"]]
    shape = config.get("build_input_shape")
    if shape is None and layers and "batch_input_shape" in layers[0]["config"]:
        shape = layers[0]["config"]["batch_input_shape"]
    out = {k: v for k, v in config.items() if k != "layers"}
    out["layers"] = _export(layers, "numkeras.layers", "layers")
    if shape is not None:
        out["build_input_shape"] = shape
        first = {"batch_shape": shape, "dtype": "float32", "name": "input_layer"}
        taken = {layer["config"].get("name") for layer in layers}
        first["name"] = _free_name("input_layer", taken)
        entry = {"module": "keras.layers", "class_name": "InputLayer", "config": first}
        out["layers"].insert(0, entry | {"registered_name": None})
    return out


def _free_name(base: str, taken: set) -> str:
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _export_functional(config: dict) -> dict:
    tensors = _tensor_specs(config) if _holds_tensors(config["layers"]) else None
    layers = [
        _export(entry, "numkeras.layers", "layer")
        | {"name": entry["name"], "inbound_nodes": _export_nodes(entry, tensors)}
        for entry in config["layers"]
    ]
    out = {"name": config.get("name"), "trainable": config.get("trainable", True)}
    out["layers"] = layers
    for key, single in (("input_layers", "single_input"), ("output_layers", "single_output")):
        refs = config[key]
        out[key] = refs[0] if config.get(single) and len(refs) == 1 else refs
    return out


def _export_nodes(entry: dict, tensors: Callable[[list], dict] | None) -> list:
    """A layer's calls as Keras 3 reads them. A call on tensors alone (maybe with other
    arguments) as the references of its inputs, each carrying the arguments: the form Keras 2
    wrote, which Keras 3's functional models read. A call with tensors among its keyword
    arguments (an RNN's ``initial_state``) in Keras 3's own form, whose ``__keras_tensor__``
    objects give each tensor's shape and dtype (``tensors``)."""
    out = []
    for node in entry["inbound_nodes"]:
        if isinstance(node, list):
            out.append(node)
            continue
        kwargs = node.get("kwargs") or {}
        if tensors is None or not _holds_tensors(kwargs):
            out.append([[*ref, kwargs] for ref in node["args"]])
            continue
        args = [tensors(ref) for ref in node["args"]]
        out.append(
            {
                "args": [args if len(args) > 1 else args[0]],
                "kwargs": _map_leaves(kwargs, lambda h: tensors(h["keras_history"])),
            }
        )
    return out


def _holds_tensors(value: Any) -> bool:
    if isinstance(value, dict):
        return "keras_history" in value or any(_holds_tensors(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_tensors(v) for v in value)
    return False


def _map_leaves(value: Any, fn: Callable[[dict], Any]) -> Any:
    """``value`` with each ``{"keras_history": ref}`` in it replaced by ``fn`` of it."""
    if isinstance(value, dict):
        if "keras_history" in value:
            return fn(value)
        return {k: _map_leaves(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_leaves(v, fn) for v in value]
    return value


def _tensor_specs(config: dict) -> Callable[[list], dict]:
    """The ``__keras_tensor__`` object of each tensor of a functional model's config, by its
    reference, from the model the config describes: rebuilt with unfilled weights (zeros,
    which take no memory until written), so that each call's outputs have their shapes."""
    from .rebuild import Rebuilder

    model = Rebuilder(None, 2**62, "", "the model", filled=True).build_model(
        {"class_name": "Functional", "config": config}
    )

    def spec(ref: list) -> dict:
        name, node, index = ref
        layer = model.get_layer(name)
        nodes = model._own_nodes(layer)
        tensor = nodes[node].outputs[index] if nodes else layer.output
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": ref},
        }

    return spec
