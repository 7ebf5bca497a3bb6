"""Reading Keras 3, 2 and 1 model configs as numkeras configs (see :mod:`.keras_config`).

The config comes from a file, so it is read as untrusted input: code in it is refused before
anything else looks at it, nesting is bounded, every class must be numkeras's own (or one the
user registered), every option must mean the same in numkeras, and every problem raises
:class:`~.archive.ModelFileError` naming the file, the layer and the key or class.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import legacy, registry
from . import keras_config_tables as tables
from .archive import ModelFileError

#: The deepest nesting a config read from a file may have: ample for any model, and it keeps
#: the recursive translation far from Python's recursion limit.
_MAX_DEPTH = 64


# -- the model -------------------------------------------------------------------------------------
def from_keras(config: Any, what: str, custom_objects: Mapping[str, Any] | None = None) -> dict:
    """A Keras 3, 2 or 1 model config -> numkeras's config.json form of the same model.

    ``config`` is the parsed ``config.json`` of a ``.keras`` file or the parsed ``model_config``
    of a Keras 2 ``.h5`` file, maybe with a Keras-3-shaped ``compile_config`` (see
    :func:`compile_config_from_keras2`). The result, ``{"module", "class_name", "config",
    "compile_config" (None if absent), "build_config" if any}``, is what
    :func:`~.rebuild.check_config` and :class:`~.rebuild.Rebuilder` accept (given the same
    ``custom_objects``).

    As Keras 3's ``load_model`` does, a class is first looked up in ``custom_objects`` (and any
    active :func:`~numkeras.registry.custom_object_scope`) by its ``registered_name``, then by
    its ``class_name``: a user's class that Keras registered as ``"pkg>Scale"`` loads when
    passed as ``{"pkg>Scale": Scale}`` or ``{"Scale": Scale}``, registered in numkeras or not.

    Raises:
        ModelFileError: naming ``what``, the layer and the key or class: for a ``Lambda`` layer
            or any other code the config holds (always refused: numkeras never runs code from
            a file), a class numkeras does not have, or an option it does not support.
    """
    reader = _Importer(what, custom_objects)
    reader.refuse_code(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        reader.fail(
            f"the model config must be {{'class_name': ..., 'config': ...}}, not {config!r:.100}"
        )
    out = reader.model(config)
    # Keras writes an uncompiled model's compile_config as null or as {}: both mean "not
    # compiled".
    compile_config = config.get("compile_config")
    uncompiled = compile_config is None or compile_config == {}
    out["compile_config"] = None if uncompiled else reader.compile(compile_config)
    return out


class _Importer:
    """Translates one untrusted Keras config; every error names the file (``what``)."""

    def __init__(self, what: str, custom_objects: Mapping[str, Any] | None = None):
        self.what = what
        self.custom_objects = custom_objects

    def fail(self, message: str) -> None:
        raise ModelFileError(f"{self.what}: {message}")

    def refuse_code(self, config: Any) -> None:
        """Refuse a config that holds code or nests deeper than any model does, before
        anything else reads it (an explicit stack: a hostile nesting cannot recurse)."""
        stack: list[tuple[Any, int, Any, Any]] = [(config, 0, None, None)]
        while stack:
            item, depth, layer, owner = stack.pop()
            if depth > _MAX_DEPTH:
                self.fail(f"the config nests deeper than {_MAX_DEPTH} levels.")
            if isinstance(item, list):
                stack.extend((v, depth + 1, layer, owner) for v in item)
                continue
            if not isinstance(item, dict):
                continue
            name, inner = item.get("class_name"), item.get("config")
            if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                layer, owner = inner["name"], name
            # Keras 2 marks a function stored as bytecode with "<key>_type": "lambda" (a
            # Lambda's function, a Keras 1 Merge's mode or output shape).
            marked = any(k.endswith("_type") and v == "lambda" for k, v in item.items())
            if name == "Lambda" or marked:
                self.fail(
                    f"the {owner if marked else name} layer {layer!r} holds Python bytecode, "
                    "which numkeras never runs (whatever safe_mode); rebuild the layer in code "
                    "and load the weights with load_weights."
                )
            if _is_function(item):
                continue
            if isinstance(name, str) and (
                name == "function" or name.startswith("__") and name != "__keras_tensor__"
            ):
                self.fail(
                    f"layer {layer!r} holds a {name!r} object (code or a Python object, which "
                    "numkeras never builds from a file); rebuild the layer in code and load the "
                    "weights with load_weights."
                )
            stack.extend((v, depth + 1, layer, owner) for v in item.values())

    # -- models ----------------------------------------------------------------------------------
    def model(self, spec: dict) -> dict:
        """A model's ``{"class_name", "config", ...}`` in numkeras's form."""
        name = spec["class_name"]
        config = spec.get("config")
        if name == "Sequential":
            layers = config if isinstance(config, list) else None  # Keras 1 and 2.0: a list
            return self._sequential({"layers": layers} if layers is not None else config)
        if name in tables.FUNCTIONAL_NAMES:
            if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
                self.fail(f"the {name} model's config has no list of layers.")
            return self._functional(config)
        out = self.object(spec, "numkeras.models", None)  # a subclassed model the user registered
        build = spec.get("build_config")
        if build is not None:
            keys = {keras: own for own, keras in tables.BUILD_CONFIG_KEYS.items()}
            if not isinstance(build, dict) or set(build) != set(keys):
                self.fail(
                    f"the model's build_config is {build!r:.100}; numkeras builds a subclassed "
                    f"model from its input shape alone ({sorted(keys)})."
                )
            out["build_config"] = {keys[k]: v for k, v in build.items()}
        return out

    def _sequential(self, config: Any) -> dict:
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            self.fail("the Sequential model's config has no list of layers.")
        layers = list(config["layers"])
        shape = config.get("build_input_shape")
        if layers and isinstance(layers[0], dict) and layers[0].get("class_name") == "InputLayer":
            first = self.layer(layers.pop(0))["config"]
            shape = shape or first.get("batch_input_shape")
        out = {
            "name": config.get("name", "sequential"),
            "trainable": config.get("trainable", True),
            "layers": [self.layer(layer) for layer in layers],
        }
        if shape is None and out["layers"]:  # Keras 1 and 2: the first layer's input shape
            shape = out["layers"][0]["config"].get("batch_input_shape")
        if shape is not None:
            out["build_input_shape"] = shape
        return {"module": "numkeras.models", "class_name": "Sequential", "config": out}

    def _functional(self, config: dict) -> dict:
        entries, calls = [], {}
        for entry in config["layers"]:
            if not isinstance(entry, dict):
                self.fail(f"the model's layer list holds {entry!r:.100}, not a layer entry.")
            name = entry.get("name")
            if not isinstance(name, str) or name in calls:
                self.fail(f"the model's layers need distinct names; one has {name!r:.100}.")
            nodes = entry.get("inbound_nodes", [])
            if not isinstance(nodes, list):
                self.fail(f"layer {name!r} has inbound_nodes that are not a list.")
            entries.append((name, entry, nodes))
            calls[name] = [] if _is_op(entry) else [self._node(n, name) for n in nodes]
        used = {ref[0] for nodes in calls.values() for ref in _refs(nodes)}
        used |= {ref[0] for ref in _refs([config.get("output_layers")])}
        layers = []
        for name, entry, nodes in entries:
            if _is_op(entry):
                # Keras 3 writes the masks it computed on the way (Embedding's NotEqual) as
                # ops; numkeras passes masks along with tensors, so an op that only made one
                # goes. Any other is read (and refused: numkeras has no layer of that name).
                if name not in used:
                    continue
                calls[name] = [self._node(n, name) for n in nodes]
            layers.append(self.layer(entry) | {"name": name, "inbound_nodes": calls[name]})
        out = {"name": config.get("name"), "trainable": config.get("trainable", True)}
        out["layers"] = layers
        for key, single in (("input_layers", "single_input"), ("output_layers", "single_output")):
            refs = config.get(key)
            if _is_ref(refs):
                out[key], out[single] = [refs], True
            elif isinstance(refs, list) and refs and all(_is_ref(r) for r in refs):
                out[key], out[single] = [list(r[:3]) for r in refs], len(refs) == 1
            else:
                self.fail(f"the model's {key} must be layer references, not {refs!r:.100}.")
        return {"module": "numkeras.models", "class_name": "Functional", "config": out}

    def _node(self, node: Any, layer: str) -> Any:
        """One call of ``layer`` in numkeras's form: its inputs' references, or
        ``{"args": refs, "kwargs": {...}}`` when it has other arguments."""
        if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs?], ...]
            if not all(isinstance(r, list) and _is_ref(r[:3]) for r in node):
                self.fail(f"layer {layer!r} has a call with malformed inputs: {node!r:.100}.")
            refs = [list(r[:3]) for r in node]
            kwargs = {}
            for ref in node:
                kwargs |= ref[3] if len(ref) > 3 and isinstance(ref[3], dict) else {}
        elif isinstance(node, dict) and isinstance(node.get("args"), list):
            args, kwargs = node["args"], node.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                self.fail(f"layer {layer!r} has a call whose kwargs are {kwargs!r:.100}.")
            if len(args) != 1:
                self.fail(f"layer {layer!r} has a call with {len(args)} positional arguments.")
            inputs = args[0] if isinstance(args[0], list) else [args[0]]
            refs = [self._history(t, layer) for t in inputs]
            kwargs = _map_tensors(kwargs, lambda t: {"keras_history": self._history(t, layer)})
        else:
            self.fail(f"layer {layer!r} has a call that numkeras cannot read: {node!r:.100}.")
        kwargs = {k: v for k, v in kwargs.items() if k not in tables.IMPLICIT_CALL_ARGUMENTS}
        return {"args": refs, "kwargs": kwargs} if kwargs else refs

    def _history(self, tensor: Any, layer: str) -> list:
        inner = tensor.get("config") if isinstance(tensor, dict) else None
        history = inner.get("keras_history") if isinstance(inner, dict) else None
        if not _is_ref(history) or tensor.get("class_name") != "__keras_tensor__":
            self.fail(f"layer {layer!r} is called on {tensor!r:.100}, not a model tensor.")
        return list(history)

    # -- objects ---------------------------------------------------------------------------------
    def layer(self, spec: Any) -> dict:
        """One entry of a model's layer list in numkeras's form."""
        if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
            self.fail(
                f"a layer entry must be {{'class_name': ..., 'config': ...}}, not {spec!r:.100}"
            )
        return self.object(spec, "numkeras.layers", "layer")

    def object(self, spec: dict, family: str | None, key: str | None) -> dict:
        """One object (``{"class_name", "config", ...}``) in numkeras's form."""
        name, module = spec.get("class_name"), spec.get("module")
        if not isinstance(name, str) or not isinstance(module, (str, type(None))):
            self.fail(f"an object's class_name and module must be strings: {spec!r:.100}")
        config = spec.get("config") if spec.get("config") is not None else {}
        if not isinstance(config, dict):
            self.fail(f"the {name} object's config is not a dict: {config!r:.100}")
        family = self._family(module, name) or tables.slot_family(key, family)
        legacy_form = "module" not in spec  # Keras 1 and 2 wrote no modules
        name, cls = self._custom_class(spec)
        if cls is None:
            if legacy_form and name == "Merge":
                name, config = self._merge(config)
            if legacy_form and family == "numkeras.layers":
                name = tables.LEGACY_CLASSES.get(name, name)
            registered = spec.get("registered_name")
            if isinstance(registered, str) and ">" in registered:
                name = registered  # a class the user registered with a package: numkeras's key
            name = _OWN_NAMES.get((family, name), name)
            cls = self._class(name, family)
        if cls is None:
            self.fail(
                f"{name!r} ({config.get('name', name)!r}) is a class numkeras does not have; "
                "pass your own class in custom_objects (or register it), or rebuild the model "
                "in numkeras code and load the weights."
            )
        if not registry.is_own(cls):  # the user's class: its config is its own business
            return {"class_name": name, "config": self._config(config, None, name)}
        if registry.package_of(cls) == "numkeras.models":
            return self.model(spec | {"class_name": name})
        family = registry.package_of(cls)
        if legacy_form:
            config = self._modernize(cls, name, config)
        return {"module": family, "class_name": name, "config": self._config(config, family, name)}

    def _custom_class(self, spec: dict) -> tuple[str, type | None]:
        """The class the caller's ``custom_objects`` give for ``spec``, and the name they give
        it under (which the rebuilt config keeps, so that the rebuild finds the same class):
        Keras's order, its ``registered_name`` first, then its ``class_name``, then the bare
        name of a ``"package>Name"`` key (Keras 2 wrote that key as the class_name). Else
        ``(class_name, None)``."""
        keys = [k for k in (spec.get("registered_name"), spec["class_name"]) if isinstance(k, str)]
        keys += [key.rpartition(">")[2] for key in keys if ">" in key]
        for name in keys:
            found = registry.custom_object(name, self.custom_objects)
            if isinstance(found, type):
                return name, found
        return spec["class_name"], None

    def _merge(self, config: dict) -> tuple[str, dict]:
        """Keras 1's Merge layer as the merge layer of its mode (concat, sum, ...)."""
        layer = config.get("name", "Merge")
        mode = config.get("mode")
        if not isinstance(mode, str) or mode not in tables.MERGE_MODES:
            self.fail(
                f"the Merge layer {layer!r} has mode={mode!r:.60}; numkeras reads the modes "
                f"{sorted(tables.MERGE_MODES)} (use a merge layer such as Concatenate)."
            )
        for key in tables.MERGE_UNSUPPORTED:
            if config.get(key):
                self.fail(
                    f"the Merge layer {layer!r} has {key}={config[key]!r:.60}, which numkeras "
                    "does not support (merge the outputs of a functional model instead)."
                )
        name, arguments = tables.MERGE_MODES[mode]
        ignored = tables.MERGE_UNSUPPORTED | tables.MERGE_IGNORED | {"mode"}
        out = {k: v for k, v in config.items() if k not in ignored}
        return name, out | {new: config[old] for old, new in arguments.items() if old in config}

    def _modernize(self, cls: type, name: str, config: dict) -> dict:
        """A Keras 1 or 2 config of numkeras's ``cls`` in today's spelling: Keras 1's argument
        names by numkeras.legacy's table (quietly: the file, not the user, spelled them),
        Keras 1's shape hints and keys with their neutral values dropped."""
        layer = config.get("name", name)
        for key, refused in tables.LEGACY_REFUSED.items():
            value = config.get(key)
            if value is not None and not isinstance(value, str):
                self.fail(f"{name} {layer!r} has {key}={value!r:.60}, not a string.")
            if value in refused:
                self.fail(f"{name} {layer!r} has {key}={value!r}: {refused[value]}.")
        config = dict(config)
        for key, parts in tables.LEGACY_JOINED.items():
            if any(part in config for part in parts):
                config[key] = [config.pop(part, None) for part in parts]
        own = inspect.signature(cls.__init__).parameters
        for key in tables.LEGACY_IGNORED | (tables.LEGACY_SHAPE_KEYS - set(own)):
            config.pop(key, None)
        for key, aliases in tables.LEGACY_VALUES.items():
            if isinstance(config.get(key), str):
                config[key] = aliases.get(config[key], config[key])
        keys = tables.LEGACY_KEYS.get(name, tables.Keys())
        config = tables.rename(config, keys.renamed, keys.keras_only, self._refuser(name, layer))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                config = legacy.modernize(name, config, _parameters(cls))
            except ValueError as error:  # both spellings of one argument
                self.fail(f"{name} {layer!r}: {error}")
        if "decay" in config and registry.package_of(cls) == "numkeras.optimizers":
            config = self._keras2_decay(cls, name, config)
        return {key: self._keras1_object(value, key, layer) for key, value in config.items()}

    def _keras2_decay(self, cls: type, name: str, config: dict) -> dict:
        """Keras 2's optimizer ``decay``, ``lr / (1 + decay * iterations)``, as the schedule
        numkeras applies for it (``InverseTimeDecay(lr, 1, decay)``)."""
        config = dict(config)
        decay = config.pop("decay")
        if not isinstance(decay, (int, float)) or isinstance(decay, bool) or not decay >= 0:
            self.fail(f"the {name} optimizer has decay={decay!r:.60}, not a number >= 0.")
        if decay == 0:
            return config
        default = inspect.signature(cls.__init__).parameters["learning_rate"].default
        rate = config.get("learning_rate", default)
        if not isinstance(rate, (int, float)):
            self.fail(f"the {name} optimizer has both a learning-rate schedule and decay={decay}.")
        schedule = {"initial_learning_rate": rate, "decay_steps": 1, "decay_rate": decay}
        config["learning_rate"] = {"class_name": "InverseTimeDecay", "config": schedule}
        return config

    def _keras1_object(self, value: Any, key: str, layer: Any) -> Any:
        """Keras 1's ``{"name": class, **arguments}`` form of a regularizer or constraint in
        the ``{"class_name", "config"}`` form; any other value as it is."""
        families = ("numkeras.regularizers", "numkeras.constraints")
        if (
            not isinstance(value, dict)
            or "class_name" in value
            or tables.slot_family(key, None) not in families
        ):
            return value
        name = value.get("name")
        if not isinstance(name, str) or name not in tables.LEGACY_OBJECTS:
            self.fail(f"layer {layer!r} has a {key} numkeras does not know: {value!r:.100}")
        cls, renamed = tables.LEGACY_OBJECTS[name]
        config = {renamed.get(k, k): v for k, v in value.items() if k != "name"}
        return {"class_name": cls, "config": config}

    def _class(self, name: str, family: str | None) -> Any:
        """The class ``name`` means in ``family`` (any family when the config does not say)."""
        try:
            cls = registry.registered_class(name, module=family)
        except ValueError as error:  # a bare name that several of the user's packages hold
            self.fail(str(error))
        own_elsewhere = cls is not None and registry.is_own(cls) and family is not None
        return None if own_elsewhere and registry.package_of(cls) != family else cls

    def _family(self, module: Any, name: str) -> str | None:
        """numkeras's package for a Keras 3 ``module`` (None when the config gives none)."""
        if not isinstance(module, str):
            return None
        if module == "keras" or module.startswith("keras.src.models") or module == "keras.models":
            return "numkeras.models" if name != "DTypePolicy" else None
        reverse = {keras: own for own, keras in tables.MODULES.items()}
        return reverse.get(module)

    def _config(self, config: dict, family: str | None, name: str) -> dict:
        """An object's config in numkeras's keys, with the objects it holds translated."""
        keys = tables.keys_of(family or "", name)
        renamed = {keras: own for own, keras in keys.renamed.items()}
        layer = config.get("name", name)
        kept = {k: v for k, v in config.items() if k not in keys.ignored}
        out = tables.rename(kept, renamed, keys.keras_only, self._refuser(name, layer))
        for key, value in out.items():
            if key == "dtype" and isinstance(value, dict):
                out[key] = self._dtype(value, layer)
            else:
                out[key] = self._value(value, family if key == "layers" else None, key)
        return out

    def _refuser(self, name: str, layer: Any) -> Callable[[str, Any, Any], None]:
        def refuse(key: str, value: Any, default: Any) -> None:
            self.fail(
                f"{name} {layer!r} has {key}={value!r:.100}, which numkeras does not support "
                f"(only {default!r} maps to numkeras)."
            )

        return refuse

    def _value(self, value: Any, family: str | None, key: str | None) -> Any:
        """Any value inside a config (``key`` holds it), with the objects in it translated."""
        if isinstance(value, list):
            return [self._value(v, family, key) for v in value]
        if isinstance(value, float):
            return _shortest(value)
        if not isinstance(value, dict):
            return value
        if _is_function(value):
            return value["config"]
        if isinstance(value.get("class_name"), str):
            return self.object(value, family, key)
        return {k: self._value(v, family, k) for k, v in value.items()}

    def _dtype(self, policy: dict, layer: str) -> str:
        config = policy.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        if not isinstance(name, str) or name not in tables.PLAIN_DTYPES:
            self.fail(
                f"layer {layer!r} has the dtype policy {name!r}; numkeras computes in one dtype "
                f"per layer ({', '.join(sorted(tables.PLAIN_DTYPES))})."
            )
        return name

    # -- compile settings ------------------------------------------------------------------------
    def compile(self, config: Any) -> dict:
        """Keras 3's ``compile_config`` as numkeras's (the run settings dropped)."""
        if not isinstance(config, dict) or not isinstance(config.get("optimizer"), dict):
            self.fail(f"the compile_config has no optimizer config: {config!r:.100}")
        if config.get("weighted_metrics"):
            self.fail("the compile_config has weighted_metrics, which numkeras does not support.")
        return {
            "optimizer": self.object(config["optimizer"], "numkeras.optimizers", "optimizer"),
            "loss": self._value(config.get("loss"), "numkeras.losses", "loss"),
            "metrics": self._value(config.get("metrics"), "numkeras.metrics", "metrics"),
            "loss_weights": config.get("loss_weights"),
        }


#: Keras 3's names of numkeras's classes that it names otherwise, back to numkeras's names.
_OWN_NAMES = {(family, keras): own for (family, own), keras in tables.KERAS_NAMES.items()}


def _parameters(cls: type) -> set[str]:
    """Every argument name the constructors of ``cls`` and its bases take."""
    return {
        name
        for klass in cls.__mro__
        if "__init__" in vars(klass)
        for name in inspect.signature(vars(klass)["__init__"]).parameters
    }


def _is_function(value: dict) -> bool:
    """Whether ``value`` is how Keras 3 names a function (a loss, a metric, an activation):
    ``{"class_name": "function", "config": "mean_squared_error"}``. It is a name, which
    numkeras resolves as its own functions' names or through ``custom_objects``; Keras's
    ``module`` beside it, which Keras would import, is ignored."""
    return value.get("class_name") == "function" and isinstance(value.get("config"), str)


def _shortest(value: float) -> float:
    """``value`` with the fewest digits that give the same float32, when it is a float32:
    Keras 3 stores its hyperparameters as float32 (``0.0010000000474974513``), numkeras
    keeps what the user typed (``0.001``), and both compute with the same float32."""
    single = np.float32(value)
    return float(str(single)) if np.isfinite(single) and float(single) == value else value


def _is_ref(value: Any) -> bool:
    """Whether ``value`` is a tensor reference ``[layer name, node index, tensor index]``."""
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value[1:])
    )


def _is_op(entry: dict) -> bool:
    """Whether a layer entry of a Keras 3 config is one of Keras's ops (``keras.ops``)."""
    return str(entry.get("module")).startswith("keras.src.ops")


def _refs(nodes: list) -> list:
    """The tensor references among ``nodes`` (numkeras's form of calls, or output refs)."""
    found, stack = [], list(nodes)
    while stack:
        item = stack.pop()
        if _is_ref(item):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _map_tensors(value: Any, fn: Callable[[dict], Any]) -> Any:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return fn(value)
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_tensors(v, fn) for v in value]
    return value


def compile_config_from_keras2(training_config: Any, what: str) -> dict:
    """Keras 2's ``training_config`` (the attribute of a whole-model ``.h5`` file) -> the
    Keras-3-shaped ``compile_config`` that :func:`from_keras` reads.

    ``{"optimizer_config": {"class_name", "config"}, "loss", "metrics", "weighted_metrics",
    "loss_weights", "sample_weight_mode"}`` becomes ``{"optimizer", "loss", "metrics",
    "loss_weights", "weighted_metrics"}``. tf.keras 2.11+'s ``"Custom>Adam"`` names its own
    optimizer; a metric stored as a ``MeanMetricWrapper`` becomes the name of its function.
    The classes and keys are checked by :func:`from_keras`.

    Raises:
        ModelFileError: naming ``what``, for a malformed config or a ``sample_weight_mode``
            numkeras does not support.
    """
    reader = _Importer(what)
    reader.refuse_code(training_config)
    optimizer = (
        training_config.get("optimizer_config") if isinstance(training_config, dict) else None
    )
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("class_name"), str):
        reader.fail(f"the training_config has no optimizer_config: {training_config!r:.100}")
    if training_config.get("sample_weight_mode") not in (None, "samplewise"):
        reader.fail(
            f"the training_config has sample_weight_mode="
            f"{training_config['sample_weight_mode']!r:.50}, which numkeras does not support."
        )
    name = optimizer["class_name"]
    if name.startswith("Custom>") and registry.registered_class(
        name.partition(">")[2], module="numkeras.optimizers"
    ):
        name = name.partition(">")[2]
    return {
        "optimizer": {"class_name": name, "config": optimizer.get("config") or {}},
        "loss": training_config.get("loss"),
        "metrics": _metric_names(training_config.get("metrics")),
        "loss_weights": training_config.get("loss_weights"),
        "weighted_metrics": _metric_names(training_config.get("weighted_metrics")),
    }


def _metric_names(value: Any) -> Any:
    """Keras 2's metrics with each ``MeanMetricWrapper`` as the name of its function."""
    if isinstance(value, list):
        return [_metric_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "MeanMetricWrapper":
        fn = (value.get("config") or {}).get("fn")
        return fn if isinstance(fn, str) else value
    if "class_name" in value:
        return value
    return {k: _metric_names(v) for k, v in value.items()}
