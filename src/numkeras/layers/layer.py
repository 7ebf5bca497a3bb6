"""The layer: a function with weights, built lazily from the shape of its first input.

A subclass validates and stores its configuration in ``__init__``, creates its weights in
``build(input_shape)`` with :meth:`Layer.add_weight`, and computes in ``call(inputs, training)``
with ``numkeras.ops``, so its gradient needs no extra code. Called on arrays or tensors, a layer
computes; called on the symbolic tensors of ``Input(...)``, it records a node of a model's graph.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend, legacy, registry
from ..ops.core import Tensor, Variable, no_grad
from .symbolic import KerasTensor, Node, is_symbolic

Shape = tuple[int | None, ...]

_name_counts: defaultdict[str, int] = defaultdict(int)


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``, ... as Keras names layers and models."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name: str) -> str:
    """Keras's default-name rule: ``Conv2D`` -> ``conv2d``, ``LeakyReLU`` -> ``leaky_re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class InputSpec:
    """What a layer accepts: an exact rank, a minimum rank, and fixed sizes on some axes."""

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}

    def check(self, layer: Layer, shape: Shape) -> None:
        """Raise a ValueError naming ``layer``, the expected and the given shape, on a misfit."""
        problem = None
        if self.ndim is not None and len(shape) != self.ndim:
            problem = f"expected ndim={self.ndim}, found ndim={len(shape)}"
        elif self.min_ndim is not None and len(shape) < self.min_ndim:
            problem = f"expected min_ndim={self.min_ndim}, found ndim={len(shape)}"
        else:
            for axis, size in self.axes.items():
                if shape[axis] is not None and shape[axis] != size:
                    problem = f"expected axis {axis} of the input shape to have value {size}"
                    break
        if problem:
            expected = layer._expected_shape_text()
            expected = f" Expected shape {expected}," if expected else ""
            raise ValueError(
                f"Input of layer '{layer.name}' ({type(layer).__name__}) is incompatible with the "
                f"layer: {problem}.{expected} received shape {_shape_text(shape)}."
            )


def _shape_text(shape: Shape) -> str:
    return (
        "("
        + ", ".join("None" if n is None else str(n) for n in shape)
        + (",)" if len(shape) == 1 else ")")
    )


def _marks_built(build: Callable) -> Callable:
    """Wrap a subclass's ``build`` so that calling it directly also marks the layer built."""

    @functools.wraps(build)
    def wrapped(self: Layer, input_shape: Any = None, *args: Any, **kwargs: Any) -> None:
        result = build(self, input_shape, *args, **kwargs)
        if input_shape is not None:
            self._build_shape = input_shape
        self.built = True
        return result

    return wrapped


_BASE_ARGUMENTS = {
    "name",
    "trainable",
    "dtype",
    "input_shape",
    "batch_input_shape",
    "batch_size",
    "input_dim",
    "activity_regularizer",
}


class Layer:
    """Base class of every layer.

    Args:
        name: unique name; defaults to the snake-cased class name, numbered (``dense_1``).
        trainable: whether the optimizer updates the layer's weights.
        dtype: dtype of the weights; defaults to ``numkeras.backend.floatx()``.
        input_shape: shape of one sample (without the batch axis), so that a ``Sequential``
            whose first layer this is is built at once (Keras 1's ``input_dim=n`` means
            ``input_shape=(n,)``).
        activity_regularizer: a penalty on the layer's output, added to the training loss.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = legacy.accepts_keras1_names(
                cls.__dict__["__init__"], cls.__name__, also=_BASE_ARGUMENTS
            )
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])
        # Only numkeras's own layers are registered by name: a file must not reach the
        # application's classes, nor replace numkeras's, unless the user registers them.
        if registry.is_own(cls):
            registry.register(cls)

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: str | None = None,
        input_shape: tuple[int | None, ...] | None = None,
        batch_input_shape: tuple[int | None, ...] | None = None,
        batch_size: int | None = None,
        input_dim: int | None = None,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {sorted(kwargs)}."
            )
        if input_dim is not None:
            legacy.warn(
                f"`{type(self).__name__}(input_dim={input_dim})` is the Keras 1 "
                f"spelling; use `input_shape=({input_dim},)`."
            )
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size, *tuple(input_shape))
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype or backend.floatx()
        from .. import regularizers  # imported here: regularizers import ops, not layers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec: InputSpec | None = None
        self._build_shape: Any = None
        self._weights: list[Variable] = []
        self._regularized: list[tuple[Variable, Callable]] = []
        self._activity_losses: list[Tensor] = []
        self._inbound_nodes: list[Node] = []

    # -- weights -------------------------------------------------------------------------------
    def add_weight(
        self,
        name: str,
        shape: tuple[int, ...],
        initializer: Any = "glorot_uniform",
        regularizer: Any = None,
        constraint: Any = None,
        trainable: bool = True,
        dtype: str | None = None,
    ) -> Variable:
        """Create a weight of ``shape`` from ``initializer``, tracked by the layer."""
        from .. import constraints, initializers, regularizers

        value = initializers.get(initializer)(tuple(shape), dtype=dtype or self.dtype)
        var = Variable(
            value,
            name=f"{self.name}/{name}",
            trainable=trainable and self.trainable,
            constraint=constraints.get(constraint),
        )
        var.layer_trainable = trainable  # the weight's own flag, kept when the layer is frozen
        self._weights.append(var)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((var, regularizer))
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for var in self._weights:
            var.trainable = var.requires_grad = self._trainable and var.layer_trainable

    @property
    def weights(self) -> list[Variable]:
        return list(self._weights)

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable]

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in creation order."""
        return [backend.to_numpy(w.data).copy() for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrite the weights, in the order of :meth:`get_weights`, checking count and shapes."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays "
                f"({[w.name for w in own]}), received {len(weights)}."
            )
        for var, value in zip(own, weights):
            if tuple(np.shape(value)) != var.shape:
                raise ValueError(
                    f"Weight {var.name!r} of layer '{self.name}' has shape {var.shape}, "
                    f"received a value of shape {tuple(np.shape(value))}."
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. Call it on "
                "data or give the model an input shape first."
            )
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """The penalties this layer adds to the training loss: weight and activity regularizers."""
        return [reg(var) for var, reg in self._regularized] + list(self._activity_losses)

    # -- building and calling ------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, maybe None)."""

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape``; by default found by running the layer on zeros."""

        def zeros(shape: Shape) -> Tensor:
            return Tensor(np.zeros(tuple(1 if n is None else n for n in shape), self.dtype))

        probe = (
            [zeros(s) for s in input_shape] if is_shape_list(input_shape) else zeros(input_shape)
        )
        with no_grad():
            out = self.call(probe, training=False)
        batch = (input_shape[0] if is_shape_list(input_shape) else input_shape)[0]
        if isinstance(out, (list, tuple)):
            return [(batch, *o.shape[1:]) for o in out]
        return (batch, *out.shape[1:])

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self.build(input_shape)
            self.built = True

    def _check_inputs(self, shapes: Any) -> None:
        if self.input_spec is not None and not is_shape_list(shapes):
            self.input_spec.check(self, shapes)

    def _expected_shape_text(self) -> str:
        shape = self._build_shape
        if shape is None or is_shape_list(shape):
            return ""
        return _shape_text((None, *shape[1:]))

    def __call__(self, inputs: Any, training: bool | None = None) -> Any:
        if is_symbolic(inputs):
            return self._call_symbolic(inputs)
        if isinstance(inputs, (list, tuple)):
            inputs = [self._cast(x) for x in inputs]
            shapes: Any = [x.shape for x in inputs]
        else:
            inputs = self._cast(inputs)
            shapes = inputs.shape
        self._check_inputs(shapes)
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        outputs = self.call(inputs, training=training)
        if self.activity_regularizer is not None:
            self._activity_losses = [self.activity_regularizer(outputs)]
        return outputs

    def _cast(self, x: Any) -> Tensor:
        """``x`` as a Tensor of the layer's dtype (numbers of other types are cast)."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.dtype.kind in "biuf" and x.dtype != self.dtype:
            from .. import ops

            x = ops.cast(x, self.dtype)
        return x

    def _call_symbolic(self, inputs: Any) -> Any:
        many = isinstance(inputs, (list, tuple))
        shapes = [t.shape for t in inputs] if many else inputs.shape
        self._check_inputs(shapes)
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        out_shape = self.compute_output_shape(shapes)
        if is_shape_list(out_shape):
            outputs: Any = [KerasTensor(s, self.dtype) for s in out_shape]
        else:
            outputs = KerasTensor(out_shape, self.dtype)
        Node(
            self,
            list(inputs) if many else [inputs],
            outputs if isinstance(outputs, list) else [outputs],
        )
        return outputs

    # -- configuration -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (weights excluded)."""
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
        }
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = registry.serialize(self.activity_regularizer)
        return config

    def _serialized(self, *names: str) -> dict[str, Any]:
        """``{name: config}`` of the initializers, regularizers and constraints of ``names``,
        for :meth:`get_config`."""
        return {name: registry.serialize(getattr(self, name)) for name in names}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


#: The initializers, regularizers and constraints of a layer with a kernel and a bias.
KERNEL_AND_BIAS_OBJECTS = (
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "bias_constraint",
)


def is_shape_list(shape: Any) -> bool:
    """Whether ``shape`` is a list of shapes (a layer with several inputs) rather than one shape."""
    return isinstance(shape, list) and bool(shape) and isinstance(shape[0], (tuple, list))
