"""Rebuilding a model from an untrusted config: known classes of the right kind, bounded memory.

A config can only name classes that numkeras registered or that the caller passed in
``custom_objects``, and a registered class only of a kind that belongs in a model (a layer, an
optimizer, a loss, a metric, an initializer, a regularizer, a constraint or a learning-rate
schedule: never a callback, which could write files). A layer position must hold a layer, the
top a model, and every other slot an object of its own family (``registry.Family``). Before
anything is built, input and noise shapes are checked against ``Limits.max_sample_values`` and
the size of the graph against ``Limits.max_layers``; while the model is built, every weight a
layer creates is counted against a byte budget (the weights the file holds), and every layer's
output shape against ``Limits.max_sample_values`` before the next layer sees it, so a tampered
config cannot make numkeras allocate more memory than the file itself brings. Weights that the
file supplies are allocated without running their initializers; a JSON architecture, which
brings none, may not ask for an initializer costlier than ``Limits.max_initializer_cost``.

A ``Lambda`` layer runs a function of the caller's, which its config names: as Keras's safe
mode does, a config with a Lambda is refused unless the caller turns safe mode off, and even then
each function it names must be a Python identifier given in ``custom_objects``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import registry
from ..layers.lambda_layer import Lambda, named_functions
from ..layers.layer import Layer, is_shape_list, weight_arguments
from . import archive
from .archive import Limits, ModelFileError

#: Keys that hold input (or dropout mask) shapes, and where the sample axes start in each.
_SHAPE_KEYS = {
    "batch_input_shape": 1,
    "build_input_shape": 1,
    "batch_shape": 1,
    "input_shape": 0,
    "shape": 0,
    "noise_shape": 1,
}


def _allowed_kinds() -> tuple[type, ...]:
    from .. import constraints, initializers, losses, metrics, optimizers, regularizers, schedules

    return (
        Layer,
        optimizers.Optimizer,
        losses.Loss,
        metrics.Metric,
        initializers.Initializer,
        regularizers.Regularizer,
        constraints.Constraint,
        schedules.LearningRateSchedule,
    )


def check_config(
    config: Any,
    custom_objects: Mapping[str, Any] | None,
    what: str,
    limits: Limits | None = None,
    safe_mode: bool = True,
) -> None:
    """Refuse ``config`` if it names an unknown class or one of a wrong kind, a huge input, or
    (see :func:`_check_lambda`) a Lambda layer that ``safe_mode`` or ``custom_objects`` forbid.

    Walks the whole JSON tree, so no object is constructed from a config that would fail later.
    """
    limits = limits or archive.LIMITS
    kinds = _allowed_kinds()
    stack, layers = [config], 0
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        layers += sum(
            len(item[key]) for key in ("layers", "inbound_nodes") if isinstance(item.get(key), list)
        )
        if layers > limits.max_layers:
            raise ModelFileError(
                f"{what} names more than {limits.max_layers} layers and layer calls, the limit."
            )
        name, module = item.get("class_name"), item.get("module")
        for key, value in (("class_name", name), ("module", module)):
            if value is not None and not isinstance(value, str):
                raise ModelFileError(f"{what} has a {key} that is not a string: {value!r:.100}")
        if name is not None:
            _check_class(name, module, custom_objects, kinds, what)
            if _is_lambda(name, module, custom_objects):
                _check_lambda(item.get("config"), custom_objects, safe_mode, what)
        for key, start in _SHAPE_KEYS.items():
            shape = item.get(key)
            if isinstance(shape, list) and all(isinstance(n, int) or n is None for n in shape):
                _check_sample(shape, start, limits, f"{what} names {key}={shape}, whose")
        stack.extend(item.values())


def _check_class(
    name: str,
    module: str | None,
    custom_objects: Mapping[str, Any] | None,
    kinds: tuple[type, ...],
    what: str,
) -> None:
    """Refuse a class name that means nothing, or may mean a numkeras class that is not part
    of a model. A bare name that several numkeras packages share (the loss and the metric
    MeanSquaredError) passes when each of them may be part of a model: its slot picks one."""
    try:
        classes = registry.meanings(name, custom_objects, module)
    except ValueError as error:  # a bare name that several of the user's packages registered
        raise ModelFileError(f"{what}: {error}") from None
    if not classes:
        raise ModelFileError(
            f"{what} names the class {name!r}, which is neither a numkeras class nor in "
            "custom_objects. If it is your own class or function, pass "
            f"custom_objects={{{name!r}: ...}} to load it."
        )
    # The user's own classes are checked where they are used, by the slot's family.
    if any(registry.is_own(cls) and not issubclass(cls, kinds) for cls in classes):
        raise ModelFileError(
            f"{what} names the class {name!r}, which is not part of a model: a model "
            "file may name layers, optimizers, losses, metrics, initializers, "
            "regularizers, constraints and learning-rate schedules only."
        )


def _is_lambda(name: str, module: str | None, custom_objects: Mapping[str, Any] | None) -> bool:
    classes = registry.meanings(name, custom_objects, module)
    return any(isinstance(cls, type) and issubclass(cls, Lambda) for cls in classes)


def _check_lambda(
    config: Any, custom_objects: Mapping[str, Any] | None, safe_mode: bool, what: str
) -> None:
    """Refuse a Lambda layer's config, unless ``safe_mode`` is off and every function it names
    (``function``, and ``output_shape`` or ``mask`` when they are names) is an identifier that
    ``custom_objects`` (or a ``custom_object_scope``) holds: the file names the code to run and
    the caller supplies it, so loading runs only functions the caller handed over."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{what} has a Lambda layer whose config is not a dict.")
    layer = f"has a Lambda layer {config.get('name')!r:.100} that"
    named = list(named_functions(config).values())
    for name in named:
        if not (isinstance(name, str) and name.isidentifier()):
            raise ModelFileError(
                f"{what} {layer} names the function {name!r:.100}, which is not a Python "
                "identifier: a Lambda's config names its functions by name, nothing else."
            )
    if safe_mode:
        raise ModelFileError(
            f"{what} {layer} runs the function {named[0]!r}, which the file names but does "
            "not hold: numkeras never saves code (Keras saves a lambda's bytecode), so loading "
            "a Lambda runs a function you supply. As in Keras's safe mode, this is refused by "
            "default: if you trust the file, load it with safe_mode=False and pass "
            f"custom_objects={{{named[0]!r}: your_function}}."
        )
    for name in named:
        if not callable(registry.custom_object(name, custom_objects)):
            raise ModelFileError(
                f"{what} {layer} runs the function {name!r}, which is not in custom_objects: "
                f"pass custom_objects={{{name!r}: your_function}}."
            )


def _check_sample(shape: Any, start: int, limits: Limits, whose: str) -> None:
    """Refuse ``shape`` if its axes from ``start`` on hold more than the sample budget."""
    values = math.prod(abs(n) for n in shape[start:] if n is not None)
    if values > limits.max_sample_values:
        raise ModelFileError(
            f"{whose} samples hold {values} values, more than the limit of "
            f"{limits.max_sample_values} (Limits.max_sample_values)."
        )


class Rebuilder:
    """Builds the model of a checked config within a byte budget and the sample budget.

    ``Model.from_config`` and ``Sequential.from_config`` look classes up in what they receive as
    ``custom_objects``; they receive this object, whose :meth:`get` hands out a factory that
    checks the class is a layer and watches the layer until :meth:`release`: each weight it
    creates is counted against the budget, and each output shape it computes is checked
    against ``limits.max_sample_values``.

    Args:
        custom_objects: the caller's own classes, by name.
        budget: the most bytes of weights the model may create.
        why: the end of the error message when the budget is exceeded.
        what: how error messages name the file.
        limits: the limits to apply; defaults to ``archive.LIMITS``.
        filled: whether the caller assigns every weight afterwards (``load_model``), so that
            weights are allocated as zeros without running their initializers. Otherwise
            each initializer's cost is bounded by ``limits.max_initializer_cost``.
    """

    def __init__(
        self,
        custom_objects: Mapping[str, Any] | None,
        budget: int,
        why: str,
        what: str,
        limits: Limits | None = None,
        filled: bool = False,
    ):
        self.custom = custom_objects
        self.budget, self.spent = budget, 0
        self.why, self.what = why, what
        self.limits = limits or archive.LIMITS
        self.filled = filled
        self._watched: list[Layer] = []

    def __bool__(self) -> bool:
        return True

    def get(self, name: str, default: Any = None) -> Any:
        cls = registry.lookup(name, self.custom)
        return default if cls is None else _LayerFactory(name, cls, self)

    def build_model(self, spec: Any) -> Any:
        """The model that ``{"class_name": ..., "config": {...}}`` describes."""
        if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
            raise ModelFileError(
                f"{self.what}: the model config must be "
                f"{{'class_name': str, 'config': dict}}. Received: {spec!r:.200}"
            )
        name = spec.get("class_name")
        factory = self.get(name) if isinstance(name, str) else None
        if factory is None or not _is_model(factory.cls):
            raise ModelFileError(
                f"{self.what} describes a {name!r}, not a model (Sequential, Model or a subclass)."
            )
        try:
            return factory.from_config(spec["config"])
        finally:
            self.release()

    def watch(self, layer: Layer) -> None:
        """Check the weights ``layer`` creates and the output shapes it computes from now on."""
        cls = type(layer)

        def add_weight(*args: Any, **kwargs: Any) -> Any:
            try:
                spec = weight_arguments(args, kwargs, layer.dtype)
            except TypeError:  # a custom layer's own add_weight: leave it to that method
                return cls.add_weight(layer, *args, **kwargs)
            self._spend(spec["shape"], spec["dtype"], layer)
            spec["initializer"] = self._initializer(spec["initializer"], spec["shape"], layer)
            return cls.add_weight(layer, **spec)

        def compute_output_shape(input_shape: Any) -> Any:
            shape = cls.compute_output_shape(layer, input_shape)
            for one in shape if is_shape_list(shape) else [shape]:
                _check_sample(
                    one,
                    1,
                    self.limits,
                    f"{self.what}: layer {layer.name!r} "
                    f"({cls.__name__}) has outputs of shape {tuple(one)}, whose",
                )
            return shape

        layer.add_weight = add_weight
        layer.compute_output_shape = compute_output_shape
        self._watched.append(layer)

    def release(self) -> None:
        """Stop watching: the layers' own methods serve them again."""
        for layer in self._watched:
            vars(layer).pop("add_weight", None)
            vars(layer).pop("compute_output_shape", None)
        self._watched.clear()

    def _initializer(self, identifier: Any, shape: tuple, layer: Layer) -> Any:
        """What ``add_weight`` gets as the initializer of a weight of ``shape``."""
        from .. import initializers

        if self.filled:
            return _unfilled
        initializer = initializers.get(identifier)
        cost = initializer.cost(shape) if isinstance(initializer, initializers.Initializer) else 0
        if cost > self.limits.max_initializer_cost:
            raise ModelFileError(
                f"{self.what}: layer {layer.name!r} initializes a weight of shape {shape} with "
                f"{type(initializer).__name__}, which takes about {cost} operations, more than "
                f"the limit of {self.limits.max_initializer_cost} "
                "(Limits.max_initializer_cost)."
            )
        return initializer

    def _spend(self, shape: tuple, dtype: Any, layer: Layer) -> None:
        if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
            raise ModelFileError(
                f"{self.what}: layer {layer.name!r} asks for a weight of invalid shape {shape}."
            )
        size = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
        self.spent += size
        if self.spent > self.budget:
            raise ModelFileError(
                f"{self.what}: the architecture asks for more than {self.budget} bytes of "
                f"weights (layer {layer.name!r} adds a weight of shape {shape}), {self.why}."
            )


def _unfilled(shape: tuple, dtype: Any = None) -> np.ndarray:
    """Zeros in place of a weight that the file's arrays overwrite: ``np.zeros`` maps memory
    without writing it, so this costs nothing before the arrays arrive."""
    return np.zeros(shape, dtype)


def _is_model(cls: Any) -> bool:
    """Whether ``cls`` is a model class: a layer that holds layers and compiles (Sequential,
    Model, a subclass). Known by what it has rather than by a type check, because the models
    use saving: importing them here would close a circle."""
    return (
        isinstance(cls, type)
        and issubclass(cls, Layer)
        and all(hasattr(cls, name) for name in ("layers", "compile"))
    )


class _LayerFactory:
    """The class a layer config names, as ``registry.deserialize`` sees it."""

    def __init__(self, name: str, cls: Any, rebuilder: Rebuilder):
        self.name, self.cls, self.rebuilder = name, cls, rebuilder

    def from_config(self, config: dict[str, Any]) -> Layer:
        cls, what = self.cls, self.rebuilder.what
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise ModelFileError(
                f"{what} names {self.name!r} where a layer belongs, and it is not a layer."
            )
        # A Lambda looks up functions, not layers: it gets the caller's own objects, checked
        # by check_config, where other layers get the factories that watch what they build.
        custom = self.rebuilder.custom if issubclass(cls, Lambda) else self.rebuilder
        try:
            layer = registry.from_config(cls, config, custom)
        except registry.FamilyError as error:
            slots = [
                key
                for key, value in config.items()
                if isinstance(value, dict) and value.get("class_name") == error.class_name
            ]
            slot = slots[0] if slots else error.kind
            raise ModelFileError(
                f"{what}: layer {config.get('name', self.name)!r} ({cls.__name__}), {slot}: {error}"
            ) from None
        self.rebuilder.watch(layer)
        return layer
