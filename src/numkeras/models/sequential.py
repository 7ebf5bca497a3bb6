"""``Sequential``: step 1 of the course, a stack of layers applied one after another.

Once it knows its input shape, a Sequential model is also a functional graph, as in Keras 3: its
layers are called in a chain on the output of an ``InputLayer``, so that each has one node, and
``model.inputs``, ``model.outputs`` and each layer's ``input`` and ``output`` are that graph's
symbolic tensors (``Model(model.inputs, [l.output for l in model.layers])`` extracts features).
It still runs as a plain chain of its layers (:meth:`Sequential._graph`) through the fusion pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import registry
from ..layers.core import InputLayer
from ..layers.layer import Layer
from ..layers.symbolic import KerasTensor, Node
from ..ops.core import Tensor
from . import fusion
from .model import Functional, attach_input_masks


class Sequential(Functional):
    """A plain stack of layers, each feeding the next.

    The model knows its input shape from an ``Input(shape)`` added first, or from the first
    layer's ``input_shape`` (Keras 1: ``input_dim``), and is then built at once, so ``summary()``
    works before training. Otherwise it is built by ``build(input_shape)`` or from the data that
    ``fit`` (or a call) receives. Once built, it is a graph (see the module docstring) that
    ``add`` extends and ``pop`` shortens.

    Example (the course's hello world)::

        model = Sequential()
        model.add(Dense(input_dim=28 * 28, units=500))
        model.add(Activation('sigmoid'))
        model.add(Dense(units=10))
        model.add(Activation('softmax'))
    """

    def __init__(
        self,
        layers: list[Any] | None = None,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._layers: list[Layer] = []
        self._input_shape: tuple | None = None
        #: The InputLayer the chain starts from: the one added, else made when it is built.
        self._input_layer: InputLayer | None = None
        #: The node of each layer's call in the chain, in order; empty while not built.
        self._nodes: list[Node] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any) -> None:
        """Append a layer (or set the input with ``Input(shape)``, which must come first)."""
        if isinstance(layer, KerasTensor) and layer._input_layer is not None:
            layer = layer._input_layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An Input must be the first thing added to a Sequential model.")
            self._input_layer, self._input_shape = layer, layer.batch_input_shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add() takes a layer instance, e.g. model.add(Dense(10)). Received: "
                f"{layer!r}"
            )
        if not self._layers and self._input_shape is None and layer.batch_input_shape:
            self._input_shape = layer.batch_input_shape
        self._layers.append(layer)
        if self._input_shape is None:
            return
        try:
            # A built chain grows by the new layer's call; otherwise the whole chain is made.
            if self._nodes:
                self._call_next(layer)
            else:
                self._link()
        except Exception:
            self._layers.pop()
            raise

    def pop(self) -> Layer:
        """Remove and return the last layer; the graph loses that layer's call."""
        if not self._layers:
            raise ValueError("There is no layer to pop: the model is empty.")
        layer = self._layers.pop()
        if self._nodes:
            _forget(self._nodes.pop())
            # With no layer left, only the InputLayer remains: no graph, as in Keras.
            self.built = bool(self._nodes)
        return layer

    def _link(self) -> None:
        """Build the graph: call the layers in a chain on the InputLayer's output, each
        building on the shape it receives. The nodes of an earlier chain are removed first, so
        that rebuilding never leaves a layer with several."""
        self._unlink()
        if self._input_layer is None or self._input_layer.batch_input_shape != self._input_shape:
            self._input_layer = InputLayer(
                batch_input_shape=self._input_shape, dtype=self._layers[0].dtype
            )
        try:
            for layer in self._layers:
                self._call_next(layer)
        except Exception:
            self._unlink()
            raise
        self.built = True

    def _call_next(self, layer: Layer) -> None:
        """Call ``layer`` on the chain's output, which its node then extends."""
        layer(self._nodes[-1].outputs[0] if self._nodes else self._input_layer.output)
        self._nodes.append(layer._inbound_nodes[-1])

    def _unlink(self) -> None:
        """Remove the chain's nodes from its layers."""
        while self._nodes:
            _forget(self._nodes.pop())
        self.built = False

    def build(self, input_shape: Any = None) -> None:
        """Build the weights for batches of ``input_shape``, e.g. ``(None, 784)``."""
        if input_shape is not None:
            self._input_shape = (None, *tuple(input_shape)[1:])
        if self._input_shape is None:
            self._require_built("build")
        if not self._layers:
            raise ValueError("The Sequential model has no layers: add some before building it.")
        if not (self._nodes and self._input_layer.batch_input_shape == self._input_shape):
            self._link()

    def _ensure_built(self, xs: list[np.ndarray]) -> bool:
        if not self.built and self._layers:
            self.build((None, *xs[0].shape[1:]))
        return self.built

    # -- structure -----------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def operations(self) -> list[Layer]:
        """The InputLayer (once the model has one) and the layers (Keras 3's ``_layers``)."""
        return [self._input_layer, *self._layers] if self._input_layer else self.layers

    @property
    def inputs(self) -> list[KerasTensor]:
        """The graph's symbolic input, the same tensor each time: ``[InputLayer output]``."""
        self._require_built("inputs")
        return [self._input_layer.output]

    @property
    def outputs(self) -> list[KerasTensor]:
        """The graph's symbolic output, the last layer's: ``[model.layers[-1].output]``."""
        self._require_built("outputs")
        return list(self._nodes[-1].outputs)

    @property
    def output_names(self) -> list[str]:
        return [self._layers[-1].name] if self._layers else ["output"]

    def _input_shapes(self) -> list[tuple]:
        return [self._input_shape]

    def _output_shapes(self) -> list[tuple] | None:
        return [self._nodes[-1].outputs[0].shape] if self._nodes else None

    def _num_outputs(self) -> int:
        return 1

    @property
    def layer_output_shapes(self) -> list[tuple]:
        """The output shape of each layer, batch axis first (None)."""
        return [node.outputs[0].shape for node in self._nodes]

    # -- computing -----------------------------------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Tensor:
        if not self._layers:
            raise ValueError("The Sequential model has no layers: add some before calling it.")
        attach_input_masks([inputs], mask)
        return self._run_graph([inputs], training)[0]

    def _graph(self) -> fusion.Graph:
        """The layers as a chain: layer ``i`` reads value ``i`` and writes value ``i + 1``."""
        calls = [fusion.Call(layer, (i,), (i + 1,)) for i, layer in enumerate(self._layers)]
        return fusion.Graph(calls, (0,), (len(calls),))

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.built and not isinstance(inputs, KerasTensor):
            shape = inputs.shape if hasattr(inputs, "shape") else np.shape(inputs)
            self.build((None, *shape[1:]))
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not self.built:
            self.build(input_shape)
        return (input_shape[0], *self._output_shapes()[0][1:])

    def predict(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        self._require_built("predict")
        return super().predict(x, *args, **kwargs)

    # -- configuration -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [registry.serialize(l) for l in self._layers],
        }
        if self._input_shape is not None:
            config["build_input_shape"] = list(self._input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Sequential:
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            layer = registry.deserialize(spec, custom_objects)
            model._layers.append(layer)
        if config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model


def _forget(node: Node) -> None:
    """Remove ``node`` from its layer's calls."""
    node.layer._inbound_nodes.remove(node)
