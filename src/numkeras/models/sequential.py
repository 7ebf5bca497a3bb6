"""``Sequential``: step 1 of the course, a stack of layers applied one after another."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import registry
from ..layers.core import InputLayer
from ..layers.layer import Layer
from ..layers.symbolic import KerasTensor
from ..ops.core import Tensor
from . import fusion
from .model import Functional


class Sequential(Functional):
    """A plain stack of layers, each feeding the next.

    The model knows its input shape from an ``Input(shape)`` added first, or from the first
    layer's ``input_shape`` (Keras 1: ``input_dim``), and is then built at once, so ``summary()``
    works before training. Otherwise it is built from the data that ``fit`` receives.

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
        self._shapes: list[tuple] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any) -> None:
        """Append a layer (or set the input with ``Input(shape)``, which must come first)."""
        if isinstance(layer, KerasTensor) and layer._input_layer is not None:
            layer = layer._input_layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An Input must be the first thing added to a Sequential model.")
            self._input_shape = layer.batch_input_shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add() takes a layer instance, e.g. model.add(Dense(10)). Received: "
                f"{layer!r}"
            )
        if not self._layers and self._input_shape is None and layer.batch_input_shape:
            self._input_shape = layer.batch_input_shape
        self._layers.append(layer)
        if self._input_shape is not None:
            try:
                self._propagate_shapes()
            except Exception:
                self._layers.pop()
                raise

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError("There is no layer to pop: the model is empty.")
        layer = self._layers.pop()
        self._shapes = self._shapes[: len(self._layers)]
        return layer

    def _propagate_shapes(self) -> None:
        """Build every layer in turn and record the output shape of each."""
        shape = self._input_shape
        shapes = []
        for layer in self._layers:
            layer._maybe_build(shape)
            layer._check_inputs(shape)
            shape = tuple(layer.compute_output_shape(shape))
            shapes.append(shape)
        self._shapes = shapes
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        """Build the weights for batches of ``input_shape``, e.g. ``(None, 784)``."""
        if input_shape is not None:
            self._input_shape = (None, *tuple(input_shape)[1:])
        if self._input_shape is None:
            self._require_built("build")
        if not self._layers:
            raise ValueError("The Sequential model has no layers: add some before building it.")
        self._propagate_shapes()

    def _ensure_built(self, xs: list[np.ndarray]) -> bool:
        if not self.built and self._layers:
            self.build((None, *xs[0].shape[1:]))
        return self.built

    # -- structure -----------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        self._require_built("inputs")
        return [KerasTensor(self._input_shape, self.dtype)]

    @property
    def output_names(self) -> list[str]:
        return [self._layers[-1].name] if self._layers else ["output"]

    def _input_shapes(self) -> list[tuple]:
        return [self._input_shape]

    def _output_shapes(self) -> list[tuple] | None:
        return [self._shapes[-1]] if self.built and self._shapes else None

    def _num_outputs(self) -> int:
        return 1

    @property
    def layer_output_shapes(self) -> list[tuple]:
        """The output shape of each layer, batch axis first (None)."""
        return list(self._shapes)

    # -- computing -----------------------------------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None) -> Tensor:
        if not self._layers:
            raise ValueError("The Sequential model has no layers: add some before calling it.")
        return self._run_graph([inputs], training)[0]

    def _graph(self) -> fusion.Graph:
        """The layers as a chain: layer ``i`` reads value ``i`` and writes value ``i + 1``."""
        calls = [fusion.Call(layer, (i,), (i + 1,)) for i, layer in enumerate(self._layers)]
        return fusion.Graph(calls, (0,), (len(calls),))

    def __call__(self, inputs: Any, training: bool | None = None) -> Any:
        if not self.built and not isinstance(inputs, KerasTensor):
            shape = inputs.shape if hasattr(inputs, "shape") else np.shape(inputs)
            self.build((None, *shape[1:]))
        return super().__call__(inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not self.built:
            self.build(input_shape)
        return (input_shape[0], *self._shapes[-1][1:])

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
