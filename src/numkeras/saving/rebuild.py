"""Rebuilding a model from an untrusted config: known classes of the right kind, bounded memory.

A config can only name classes that numkeras registered or that the caller passed in
``custom_objects``, and a registered class only of a kind that belongs in a model (a layer, an
optimizer, a loss, a metric, an initializer, a regularizer, a constraint or a learning-rate
schedule: never a callback, which could write files). A layer position must hold a layer and
the top a model. Before anything is built, input shapes are checked against
``Limits.max_sample_values`` and the size of the graph against ``Limits.max_layers``; while the
model is built, every weight a layer creates is counted against a byte budget (the weights the
file holds), so a tampered config cannot make numkeras allocate more memory than the file itself
brings.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import registry
from ..layers.layer import Layer
from . import archive
from .archive import Limits, ModelFileError

#: Keys that hold input shapes, and where the sample axes start in each.
_SHAPE_KEYS = {"batch_input_shape": 1, "build_input_shape": 1, "batch_shape": 1,
               "input_shape": 0, "shape": 0}
_ADD_WEIGHT = inspect.signature(Layer.add_weight)


def _allowed_kinds() -> tuple[type, ...]:
    from .. import constraints, initializers, losses, metrics, optimizers, regularizers, schedules

    return (Layer, optimizers.Optimizer, losses.Loss, metrics.Metric, initializers.Initializer,
            regularizers.Regularizer, constraints.Constraint, schedules.LearningRateSchedule)


def check_config(config: Any, custom_objects: Mapping[str, Any] | None, what: str,
                 limits: Limits | None = None) -> None:
    """Refuse ``config`` if it names an unknown class or one of a wrong kind, or a huge input.

    Walks the whole JSON tree, so no object is constructed from a config that would fail later.
    """
    limits = limits or archive.LIMITS
    custom = custom_objects or {}
    kinds = _allowed_kinds()
    stack, layers = [config], 0
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        layers += sum(len(item[key]) for key in ("layers", "inbound_nodes")
                      if isinstance(item.get(key), list))
        if layers > limits.max_layers:
            raise ModelFileError(f"{what} names more than {limits.max_layers} layers and layer "
                                 "calls, the limit.")
        name = item.get("class_name")
        if name is not None and not isinstance(name, str):
            raise ModelFileError(f"{what} has a class_name that is not a string: {name!r:.100}")
        if name is not None and name not in custom:
            cls = registry.registered_class(name)
            if cls is None:
                raise ModelFileError(
                    f"{what} names the class {name!r}, which is neither a numkeras class nor in "
                    "custom_objects. If it is your own class or function, pass "
                    f"custom_objects={{{name!r}: ...}} to load it."
                )
            if not issubclass(cls, kinds):
                raise ModelFileError(
                    f"{what} names the class {name!r}, which is not part of a model: a model "
                    "file may name layers, optimizers, losses, metrics, initializers, "
                    "regularizers, constraints and learning-rate schedules only."
                )
        for key, start in _SHAPE_KEYS.items():
            _check_shape(item.get(key), start, limits, what)
        stack.extend(item.values())


def _check_shape(shape: Any, start: int, limits: Limits, what: str) -> None:
    if not isinstance(shape, list) or not all(isinstance(n, int) or n is None for n in shape):
        return
    values = math.prod(abs(n) for n in shape[start:] if n is not None)
    if values > limits.max_sample_values:
        raise ModelFileError(
            f"{what} names an input shape {shape} whose samples hold {values} values, more "
            f"than the limit of {limits.max_sample_values}."
        )


class Rebuilder:
    """Builds the model of a checked config, counting the bytes of the weights its layers create.

    ``Model.from_config`` and ``Sequential.from_config`` look classes up in what they receive as
    ``custom_objects``; they receive this object, whose :meth:`get` hands out a factory that
    checks the class is a layer and watches the layer's ``add_weight`` until :meth:`release`.

    Args:
        custom_objects: the caller's own classes, by name.
        budget: the most bytes of weights the model may create.
        why: the end of the error message when the budget is exceeded.
        what: how error messages name the file.
    """

    def __init__(self, custom_objects: Mapping[str, Any] | None, budget: int, why: str,
                 what: str):
        self.custom = dict(custom_objects or {})
        self.budget, self.spent = budget, 0
        self.why, self.what = why, what
        self._watched: list[Layer] = []

    def __bool__(self) -> bool:
        return True

    def get(self, name: str, default: Any = None) -> Any:
        cls = self.custom.get(name) or registry.registered_class(name)
        return default if cls is None else _LayerFactory(name, cls, self)

    def build_model(self, spec: Any) -> Any:
        """The model that ``{"class_name": ..., "config": {...}}`` describes."""
        from ..models.model import Model

        if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
            raise ModelFileError(f"{self.what}: the model config must be "
                                 f"{{'class_name': str, 'config': dict}}. Received: {spec!r:.200}")
        name = spec.get("class_name")
        factory = self.get(name) if isinstance(name, str) else None
        if factory is None or not (isinstance(factory.cls, type)
                                   and issubclass(factory.cls, Model)):
            raise ModelFileError(f"{self.what} describes a {name!r}, not a model (Sequential, "
                                 "Model or a subclass).")
        try:
            return factory.from_config(spec["config"])
        finally:
            self.release()

    def watch(self, layer: Layer) -> None:
        """Count the weights ``layer`` creates from now on against the budget."""
        if layer.built:
            return
        cls = type(layer)

        def add_weight(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = _ADD_WEIGHT.bind(layer, *args, **kwargs).arguments
            except TypeError:  # a custom layer's own add_weight: leave it to that method
                bound = None
            if bound is not None:
                self._spend(tuple(bound["shape"]), bound.get("dtype") or layer.dtype, layer)
            return cls.add_weight(layer, *args, **kwargs)

        layer.add_weight = add_weight
        self._watched.append(layer)

    def release(self) -> None:
        """Stop watching: the layers' own ``add_weight`` serves them again."""
        for layer in self._watched:
            vars(layer).pop("add_weight", None)
        self._watched.clear()

    def _spend(self, shape: tuple, dtype: Any, layer: Layer) -> None:
        if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
            raise ModelFileError(f"{self.what}: layer {layer.name!r} asks for a weight of "
                                 f"invalid shape {shape}.")
        size = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
        self.spent += size
        if self.spent > self.budget:
            raise ModelFileError(
                f"{self.what}: the architecture asks for more than {self.budget} bytes of "
                f"weights (layer {layer.name!r} adds a weight of shape {shape}), {self.why}."
            )


class _LayerFactory:
    """The class a layer config names, as ``registry.deserialize`` sees it."""

    def __init__(self, name: str, cls: Any, rebuilder: Rebuilder):
        self.name, self.cls, self.rebuilder = name, cls, rebuilder

    def from_config(self, config: dict[str, Any]) -> Layer:
        cls = self.cls
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise ModelFileError(f"{self.rebuilder.what} names {self.name!r} where a layer "
                                 "belongs, and it is not a layer.")
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            layer = cls.from_config(config, custom_objects=self.rebuilder)
        else:
            layer = cls.from_config(config)
        self.rebuilder.watch(layer)
        return layer
