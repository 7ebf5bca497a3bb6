"""``models.clone_model``: a model of the same architecture with new weights, as in Keras 3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import registry
from ..layers.core import InputLayer
from ..layers.layer import Layer
from ..layers.symbolic import KerasTensor, map_leaves
from .model import Functional, Model
from .sequential import Sequential

Cloner = Callable[[Layer], Layer]


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Cloner | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
) -> Model:
    """A new model with the architecture of ``model`` and new weights, as Keras 3's.

    Each layer is replaced by ``clone_function(layer)``: by default a new layer of the same
    class and config, ``type(layer).from_config(layer.get_config())``, whose weights are
    initialised afresh (weights are never copied: use ``set_weights`` for that). A layer used
    in several places (shared) is cloned once. A ``Sequential`` model gives a ``Sequential``
    with the same input shape; a functional model gives a functional one, on new ``Input``\\ s
    of the same shapes, dtypes and names (or on ``input_tensors``), whose layers are called as
    the original's were, op nodes (``a + b``, ``x[:, 0]``) included. A subclassed model is
    rebuilt from its config, so its class must define ``get_config``. If ``model`` is compiled,
    the clone is compiled with the same settings and new optimizer, loss and metric objects of
    the same configs, as in Keras 3.

    Args:
        model: a ``Sequential``, functional or subclassed model.
        input_tensors: the KerasTensors to build the clone on, one per input of ``model`` (a
            list, or the tensor itself); for a ``Sequential`` model, one ``Input(...)``.
        clone_function: ``f(layer) -> layer`` for each layer, e.g. to change a config or to
            reuse a layer (``lambda layer: layer`` shares it). Not for subclassed models.
        call_function: ``f(layer, inputs, **kwargs) -> outputs`` in place of
            ``layer(inputs, **kwargs)`` for each layer of a functional model, e.g. to add a
            layer after some; ``kwargs`` are the call's other arguments (``initial_state``).
        recursive: clone the ``Sequential`` and functional models that ``model`` holds with
            ``clone_model`` and the same functions, rather than with ``clone_function``.

    Raises:
        ValueError: ``input_tensors`` do not fit the model's inputs, a function is given for
            a model that cannot take it, or a function is not callable.
    """
    for argument, value in (("clone_function", clone_function), ("call_function", call_function)):
        if value is not None and not callable(value):
            raise ValueError(f"{argument} must be callable. Received: {argument}={value!r}")
    clone = _cloner(clone_function or _renewed, call_function, recursive)
    if isinstance(model, Functional):
        cloned = _clone_graph(model, input_tensors, clone, call_function)
    elif any(v is not None for v in (input_tensors, clone_function, call_function)):
        raise ValueError(
            "input_tensors, clone_function and call_function can only be given for Sequential "
            f"and functional models. Received a subclassed model of type {type(model).__name__}"
            ": clone it with no arguments, from its get_config()."
        )
    else:
        cloned = _renewed(model)
    if getattr(model, "compiled", False):
        _compile_like(cloned, model)
    return cloned


def _renewed(obj: Any) -> Any:
    """A new object of ``obj``'s class and config: a layer, a model, an optimizer, a loss.
    A layer whose config names objects by name (a Lambda's function) gets the same ones."""
    named = obj.named_objects() if hasattr(obj, "named_objects") else {}
    with registry.custom_object_scope(named):
        return registry.from_config(type(obj), obj.get_config())


def _cloner(clone_function: Cloner, call_function: Any, recursive: bool) -> Cloner:
    """``clone_function`` that clones each layer once (shared layers stay shared), and with
    ``recursive`` clones nested Sequential and functional models structure by structure."""
    clones: dict[int, Layer] = {}

    def clone(layer: Layer) -> Layer:
        if id(layer) not in clones:
            if recursive and isinstance(layer, Functional):
                # Keras passes call_function on to nested functional models only.
                inner = None if isinstance(layer, Sequential) else call_function
                clones[id(layer)] = _clone_graph(layer, None, clone, inner)
            else:
                clones[id(layer)] = clone_function(layer)
        return clones[id(layer)]

    return clone


def _clone_graph(model: Functional, input_tensors: Any, clone: Cloner, call_function: Any) -> Model:
    """The clone of a Sequential or functional model, not compiled."""
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "call_function is for functional models only: a Sequential model's layers are "
                "listed, not called, when it is made."
            )
        cloned = Sequential(name=model.name)
        start = _sequential_input(model, input_tensors)
        for layer in ([start] if start is not None else []) + [clone(l) for l in model.layers]:
            cloned.add(layer)
    else:
        inputs = _graph_inputs(model, input_tensors)
        made = {id(old): new for old, new in zip(model.inputs, inputs)}
        call = call_function or _plain_call
        for node in model._nodes:
            layer = clone(node.layer)
            given = [made[id(t)] for t in node.inputs]
            given = given if len(given) > 1 else given[0]
            # The call's other arguments (initial_state=[h, c]) on the clone's tensors.
            out = call(layer, given, **map_leaves(node.arguments, lambda t: made[id(t)]))
            for old, new in zip(node.outputs, out if isinstance(out, (list, tuple)) else [out]):
                made[id(old)] = new
        outputs = [made[id(t)] for t in model.outputs]
        cloned = Model(
            inputs[0] if model._single_input else inputs,
            outputs[0] if model._single_output else outputs,
            name=model.name,
        )
    # A frozen model's clone is frozen too; an unfrozen one keeps each layer's own flag, which
    # the layers' configs carry.
    if not model.trainable:
        cloned.trainable = False
    return cloned


def _plain_call(layer: Layer, inputs: Any, **kwargs: Any) -> Any:
    """``layer(inputs, **kwargs)``: how a clone's layers are called without call_function."""
    return layer(inputs, **kwargs)


def _sequential_input(model: Sequential, input_tensors: Any) -> Any:
    """What a Sequential clone starts with: the given ``Input(...)``, else an InputLayer of the
    model's input shape (None for a model not built yet)."""
    if input_tensors is None:
        if not model.built:
            return None
        (entry,) = model.inputs
        return InputLayer(batch_input_shape=entry.shape, dtype=entry.dtype)
    given = input_tensors
    if isinstance(given, (list, tuple)) and len(given) == 1:
        (given,) = given
    if not (isinstance(given, KerasTensor) and given._input_layer is not None):
        raise ValueError(
            "input_tensors of a Sequential model must be one Input(...) tensor. "
            f"Received: input_tensors={input_tensors!r}"
        )
    return given


def _graph_inputs(model: Functional, input_tensors: Any) -> list[KerasTensor]:
    """The inputs of a functional clone: ``input_tensors``, else new Inputs like the model's."""
    if input_tensors is None:
        return [
            InputLayer(batch_input_shape=t.shape, dtype=t.dtype, name=t.name).output
            for t in model.inputs
        ]
    given = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
    if len(given) != len(model.inputs) or not all(isinstance(t, KerasTensor) for t in given):
        raise ValueError(
            f"input_tensors must be {len(model.inputs)} KerasTensor(s), one per input of model "
            f"'{model.name}'. Received: input_tensors={input_tensors!r}"
        )
    return given


def _compile_like(cloned: Model, model: Model) -> None:
    """Compile ``cloned`` as ``model`` is, with new objects of the same configs (a shared
    optimizer or metric would mix the two models' states)."""

    def renew(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [renew(v) for v in value]
        if isinstance(value, dict):
            return {k: renew(v) for k, v in value.items()}
        # Names, functions and classes are not states: they are passed on as they are.
        if hasattr(value, "get_config") and not isinstance(value, type):
            return _renewed(value)
        return value

    cloned.compile(
        optimizer=renew(model.optimizer),
        loss=renew(model.loss),
        metrics=renew(model._metric_specs),
        loss_weights=model.loss_weights,
    )
