"""``Model``: a layer with Keras's training API, written in either of Keras's two forms.

* Subclassed: ``class MyModel(Model)`` makes its layers in ``__init__`` and computes in
  ``call(inputs, training=None)``. The layers it holds in attributes (directly or in lists,
  tuples and dicts) are tracked, and it is built on its first call (by ``fit``, ``evaluate``,
  ``predict``, ``model(x)``) or by ``build(input_shape)``.
* Functional: ``Model(inputs, outputs)`` takes the symbolic tensors of ``Input(...)`` and of
  layers called on them, and finds its layers by walking back from the outputs: several inputs
  and outputs and shared layers need nothing special. It makes a :class:`Functional`.

A model is itself a layer, so models nest, in either form inside either form.
"""

from __future__ import annotations

import collections
import functools
from typing import Any

import numpy as np

from .. import registry
from ..layers.core import InputLayer
from ..layers.layer import Layer, as_mask, distinct, probe_inputs
from ..layers.ops_layer import OpLayer
from ..layers.symbolic import KerasTensor, Node, is_symbolic, leaves, map_leaves
from ..ops.core import Variable, no_grad
from . import fusion
from .training import Trainer


class Model(Trainer, Layer):
    """A model: layers and a ``call``, with Keras's ``compile``, ``fit``, ``evaluate`` and
    ``predict``.

    Subclass it and define ``call``, or give it ``inputs`` and ``outputs`` for the functional
    form (see the module docstring). Example of the subclassed form::

        class MLP(Model):
            def __init__(self):
                super().__init__()
                self.hidden = Dense(500, activation='relu')
                self.out = Dense(10, activation='softmax')

            def call(self, inputs, training=None):
                return self.out(self.hidden(inputs))
    """

    #: Whether the config names the layers, so that a file's weights carry the same names.
    #: A subclassed model's layers are made by its __init__ and named anew in each process.
    config_names_layers = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and _graph_arguments(args, kwargs):
            return super().__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any):
        if _graph_arguments(args, kwargs):
            # A subclass whose __init__ passes inputs and outputs up is functional too, as in
            # Keras: it takes Functional's methods under its own.
            if not isinstance(self, Functional):
                self.__class__ = _with_graph(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, **kwargs)
        self.compiled = False

    # -- structure -----------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The layers the model holds in its attributes, in the order they were set."""
        return self._sublayers

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by its name or by its index in :attr:`layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"index must be below the number of layers, "
                    f"{len(self.layers)}. Received: index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r}. Layers: {[l.name for l in self.layers]}")

    def count_params(self) -> int:
        self._require_built("count_params")
        return int(sum(w.size for w in self.weights))

    def reset_states(self) -> None:
        """Zero the kept states of the stateful layers the model holds (``RNN(stateful=True)``,
        nested models), as Keras 2's ``model.reset_states()``."""
        for layer in self.layers:
            if hasattr(layer, "reset_states"):
                layer.reset_states()

    def _require_built(self, method: str) -> None:
        if not self.built:
            raise ValueError(
                f"This model has not been built yet, so {method}() cannot run: it does not know "
                "its input shape. Give the first layer an input shape (e.g. "
                "Dense(500, input_shape=(784,)) or Input(shape=(784,)) first), call "
                "model.build((None, 784)), call it on data (model(x)), or train it with "
                "fit() first."
            )

    def _input_shapes(self) -> list[tuple] | None:
        return None

    def _output_shapes(self) -> list[tuple] | None:
        return None

    def _num_outputs(self) -> int | None:
        """The number of outputs, or None while a subclassed model has not run yet."""
        return self.__dict__.get("_outputs_seen")

    def _ensure_built(self, xs: list[np.ndarray]) -> bool:
        """Build a subclassed model from the data's shapes; False: no input shape to check."""
        if not self.built:
            self.build(
                [(None, *x.shape[1:]) for x in xs] if len(xs) > 1 else (None, *xs[0].shape[1:])
            )
        return False

    # -- computing -----------------------------------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} is a subclassed Model without a call() method: define "
            "call(self, inputs, training=None), or build the model with Model(inputs, outputs)."
        )

    def build(self, input_shape: Any = None) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, maybe None):
        the model is called once on zeros of that shape, which builds each layer it uses."""
        if input_shape is None:
            self._require_built("build")
        self.built = True  # so that the call below does not build again
        try:
            self._call_on_zeros(input_shape)
        except Exception:
            self.built = False
            raise
        self._build_shape = input_shape

    def _call_on_zeros(self, input_shape: Any) -> None:
        with no_grad():
            self(probe_inputs(input_shape, self.dtype), training=False)

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Build the model from :meth:`get_build_config`'s result: its ``build`` (a subclass's
        own may create only the model's weights), then one call on zeros for layers that are
        built on their first call."""
        super().build_from_config(config)
        if not all(layer.built for layer in self.layers):
            self._call_on_zeros(self._build_shape)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        outputs = super().__call__(inputs, *args, **kwargs)
        if "_outputs_seen" not in self.__dict__ and not is_symbolic(inputs):
            self._outputs_seen = len(outputs) if isinstance(outputs, (list, tuple)) else 1
        return outputs

    def summary(self, line_length: int | None = None, print_fn: Any = None) -> None:
        """Print Keras's table of layers, output shapes and parameter counts."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn)

    # -- saving (the file format lives in numkeras.saving) --------------------------------------
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the model (architecture, weights, optimizer state) to a ``.numkeras`` file, or
        to Keras 3's ``.keras`` format, which real Keras opens (h5py needed)."""
        from .. import saving

        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights alone to a ``.weights.npz`` file."""
        from .. import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(
        self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False
    ) -> None:
        """Read weights written by :meth:`save_weights`, by layer order or by layer name."""
        from .. import saving

        saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def export(
        self,
        filepath: Any,
        format: str = "tf_saved_model",
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> None:
        """Export the model for inference, as Keras 3's ``export``: numkeras writes
        ``format="onnx"`` (``opset_version`` among ``kwargs``); see ``numkeras.export``."""
        from ..export import export_model

        export_model(self, filepath, format, verbose, input_signature, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as a JSON string (see ``numkeras.models.model_from_json``)."""
        from .. import saving

        return saving.model_to_json(self, **kwargs)

    # -- configuration -------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Model:
        """The model of ``config``: a functional graph (:meth:`Functional.from_config`), or a
        subclass built from its own ``__init__`` arguments."""
        if cls is Model or "input_layers" in config and issubclass(cls, Functional):
            return Functional.from_config.__func__(
                Functional if cls is Model else cls, config, custom_objects
            )
        return cls(**config)


def _graph_arguments(args: tuple, kwargs: dict[str, Any]) -> bool:
    """Whether a Model constructor call gives ``inputs`` and ``outputs`` (functional form)."""
    return (
        len(args) >= 2
        or "inputs" in kwargs
        and "outputs" in kwargs
        or (len(args) == 1 and "outputs" in kwargs)
    )


@functools.cache
def _with_graph(cls: type) -> type:
    """``cls`` with Functional's methods under its own, for a subclass built as a graph."""
    return type(
        cls.__name__,
        (cls, Functional),
        {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
    )


class Functional(Model):
    """A graph of layers from ``inputs`` to ``outputs`` with Keras's training API: what
    ``Model(inputs, outputs)`` makes.

    Example::

        inputs = Input(shape=(784,))
        hidden = Dense(500, activation='relu')(inputs)
        outputs = Dense(10, activation='softmax')(hidden)
        model = Model(inputs, outputs)
    """

    config_names_layers = True

    def __init__(
        self,
        inputs: Any = None,
        outputs: Any = None,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self.compiled = False
        if inputs is None and outputs is None:
            return
        self.inputs = _tensor_list(inputs, "inputs")
        self.outputs = _tensor_list(outputs, "outputs")
        self._single_input = not isinstance(inputs, (list, tuple, dict))
        self._single_output = not isinstance(outputs, (list, tuple, dict))
        self._nodes = _nodes_between(self.inputs, self.outputs)
        self._call_graph = fusion.Graph(
            [
                fusion.Call(
                    node.layer,
                    _keys(node.inputs),
                    _keys(node.outputs),
                    arguments=map_leaves(node.arguments, lambda t: fusion.Ref(id(t))),
                )
                for node in self._nodes
            ],
            _keys(self.inputs),
            _keys(self.outputs),
        )
        self.built = True

    # -- structure -----------------------------------------------------------------------------
    @property
    def operations(self) -> list[Layer]:
        """Every node's layer, each once, in the order they are applied: the InputLayers, the
        layers and the op nodes that ``a + b`` or ``ops.concatenate`` record (Keras 3's
        ``operations``)."""
        found: list[Layer] = [t.node.layer if t.node else t._input_layer for t in self.inputs]
        for node in self._nodes:
            if node.layer not in found:
                found.append(node.layer)
        return found

    @property
    def layers(self) -> list[Layer]:
        """The model's layers, each once, in the order they are applied. Op nodes are not
        layers, as in Keras 3, so that ``model.layers[-2]`` finds the same layer as there."""
        return [op for op in self.operations if not isinstance(op, OpLayer)]

    @property
    def _sublayers(self) -> list[Layer]:
        # Freezing, added losses and anything else walked through the tree reach op nodes too.
        return self.operations

    def _own_nodes(self, layer: Layer) -> list[Node]:
        """``layer``'s calls that are part of this model, in the order the layer made them: a
        layer also called elsewhere (another model, a Sequential) has other nodes too."""
        return [n for n in layer._inbound_nodes if n in self._nodes]

    @property
    def weights(self) -> list[Variable]:
        """The weights of the model's layers, each once, in the order of :attr:`layers`."""
        return distinct(w for layer in self.layers for w in layer.weights)

    @property
    def input(self) -> Any:
        """The model's symbolic input (a list for several), as Keras gives ``model.input``."""
        return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)

    @property
    def output(self) -> Any:
        """The model's symbolic output (a list for several), as Keras gives ``model.output``."""
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def output_names(self) -> list[str]:
        return [t.node.layer.name for t in self.outputs]

    def _input_shapes(self) -> list[tuple]:
        return [t.shape for t in self.inputs]

    def _output_shapes(self) -> list[tuple] | None:
        return [t.shape for t in self.outputs]

    def _num_outputs(self) -> int:
        self._require_built("compile")
        return len(self.outputs)

    def _ensure_built(self, xs: list[np.ndarray]) -> bool:
        return self.built

    # -- computing -----------------------------------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        """The outputs for ``inputs``; ``mask`` (one per input, as Keras 3's) is attached to
        the inputs for the layers that read it."""
        given = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s), received {len(given)}."
            )
        attach_input_masks(given, mask)
        outs = self._run_graph(given, training)
        return outs[0] if self._single_output else outs

    def _graph(self) -> fusion.Graph:
        """The model's layer calls from its inputs to its outputs, values keyed by the id of
        the symbolic tensor they stand for."""
        return self._call_graph

    def _call_plan(self) -> list[fusion.Call]:
        """The layer calls that :meth:`call` makes, after the fusion pass."""
        return fusion.fuse(self._graph())

    def _run_graph(self, given: list[Any], training: bool | None) -> list[Any]:
        """The model's outputs for the values ``given`` to its inputs, through the fusion pass."""
        graph = self._graph()
        values = dict(zip(graph.inputs, given))
        fusion.run(fusion.fuse(graph), values, training)
        return [values[key] for key in graph.outputs]

    def build(self, input_shape: Any = None) -> None:
        """Functional models are built by construction."""

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if self._single_output else shapes

    # -- configuration -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The graph as JSON: each layer's config and the layers its calls take inputs from."""

        def ref(t: KerasTensor) -> list:
            # Nodes are numbered among the model's own, as from_config replays them.
            if t.node is None:
                return [t._input_layer.name, 0, 0]
            layer = t.node.layer
            return [layer.name, self._own_nodes(layer).index(t.node), t.node.outputs.index(t)]

        def inbound(node: Node) -> Any:
            # A call with other arguments is written in Keras 3's form, {"args", "kwargs"},
            # each symbolic tensor among them as {"keras_history": ref}; one without keeps
            # the list of its inputs' refs.
            refs = [ref(t) for t in node.inputs]
            if not node.arguments:
                return refs
            kwargs = map_leaves(node.arguments, lambda t: {"keras_history": ref(t)})
            return {"args": refs, "kwargs": kwargs}

        layers = []
        for layer in self.operations:
            nodes = self._own_nodes(layer)
            layers.append(
                {
                    **registry.serialize(layer),
                    "name": layer.name,
                    "inbound_nodes": [inbound(n) for n in nodes],
                }
            )
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": [ref(t) for t in self.inputs],
            "output_layers": [ref(t) for t in self.outputs],
            "single_input": self._single_input,
            "single_output": self._single_output,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Model:
        """Rebuild the graph of :meth:`get_config`: create the layers, then replay their calls."""
        if cls is Model:
            cls = Functional
        layers = {}
        calls: list[tuple[Layer, int, list]] = []
        for spec in config["layers"]:
            layer = registry.deserialize(
                {"class_name": spec["class_name"], "config": spec["config"]}, custom_objects
            )
            layers[spec["name"]] = layer
            calls.extend((layer, i, inbound) for i, inbound in enumerate(spec["inbound_nodes"]))
        outputs: dict[tuple[str, int], list[KerasTensor]] = {
            (name, 0): [layer.output]
            for name, layer in layers.items()
            if isinstance(layer, InputLayer)
        }
        # Replay each call once its inputs exist; a call waits on the first input it lacks.
        queue = collections.deque(calls)
        waiting: dict[tuple[str, int], list] = collections.defaultdict(list)
        while queue:
            layer, index, inbound = call = queue.popleft()
            refs, kwargs = _inbound_parts(inbound, layer.name)
            needed = refs + [
                h["keras_history"] for h in leaves(kwargs, _is_history) if _is_history(h)
            ]
            missing = next(((n, k) for n, k, _ in needed if (n, k) not in outputs), None)
            if missing is not None:
                waiting[missing].append(call)
                continue
            args = [outputs[(name, node)][i] for name, node, i in refs]
            kwargs = map_leaves(
                kwargs,
                lambda h: outputs[tuple(h["keras_history"][:2])][h["keras_history"][2]],
                _is_history,
            )
            out = layer(args if len(args) > 1 else args[0], **kwargs)
            outputs[(layer.name, index)] = out if isinstance(out, list) else [out]
            queue.extend(waiting.pop((layer.name, index), []))
        if any(waiting.values()):
            raise ValueError(
                "The model config's graph cannot be rebuilt: some layer inputs are never produced."
            )

        def pick(refs: list) -> list:
            return [outputs[(name, node)][index] for name, node, index in refs]

        ins, outs = pick(config["input_layers"]), pick(config["output_layers"])
        return cls(
            ins[0] if config.get("single_input") else ins,
            outs[0] if config.get("single_output") else outs,
            name=config.get("name"),
        )


def _keys(tensors: list[KerasTensor]) -> tuple[int, ...]:
    return tuple(id(t) for t in tensors)


def attach_input_masks(inputs: list[Any], mask: Any) -> None:
    """Attach ``mask`` (one mask, or a list with one per input, None for none) to ``inputs``,
    as Keras 3's models do with the ``mask`` given to their call."""
    if mask is None:
        return
    masks = mask if isinstance(mask, (list, tuple)) else [mask]
    for x, m in zip(inputs, as_mask(masks)):
        if m is not None:
            x._keras_mask = m


def _is_history(value: Any) -> bool:
    """Whether ``value`` is a config's reference to a symbolic tensor, ``{"keras_history":
    [layer name, node index, tensor index]}``."""
    return isinstance(value, dict) and set(value) == {"keras_history"}


def _inbound_parts(inbound: Any, layer: str) -> tuple[list, dict[str, Any]]:
    """The input refs and the named arguments of one ``inbound_nodes`` entry: a list of refs,
    or ``{"args": refs, "kwargs": arguments}`` for a call with other arguments."""
    if isinstance(inbound, list):
        return inbound, {}
    if isinstance(inbound, dict) and isinstance(inbound.get("args"), list):
        return inbound["args"], dict(inbound.get("kwargs") or {})
    raise ValueError(
        f"The model config has a call of layer '{layer}' that is neither a list of input "
        f"references nor {{'args': [...], 'kwargs': {{...}}}}. Received: {inbound!r:.200}"
    )


def _tensor_list(value: Any, argument: str) -> list[KerasTensor]:
    items = (
        list(value.values())
        if isinstance(value, dict)
        else (list(value) if isinstance(value, (list, tuple)) else [value])
    )
    for t in items:
        if not isinstance(t, KerasTensor):
            raise TypeError(
                f"{argument} must be symbolic tensors from Input(...) and layers called on them. "
                f"Received: {type(t).__name__}"
            )
    return items


def _nodes_between(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """The nodes that compute ``outputs`` from ``inputs``, each after the nodes it needs.

    An iterative depth-first walk, so that deep graphs do not hit Python's recursion limit.
    """
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []
    done: set[int] = set()
    stack: list[tuple[KerasTensor, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        t, expanded = stack.pop()
        if id(t) in input_ids:
            continue
        if t.node is None:
            raise ValueError(
                f"Output {t} does not depend on the model's inputs only: an Input(...) it needs "
                "is missing from `inputs`."
            )
        if id(t.node) in done:
            continue
        if expanded:
            done.add(id(t.node))
            order.append(t.node)
            continue
        stack.append((t, True))
        stack.extend((parent, False) for parent in reversed(t.node.parents))
    return order
