"""The course's layers: Input, Dense, Activation, Identity, Dropout, Flatten, Reshape."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import activations, constraints, initializers, ops, regularizers
from ..ops.core import MARKED_ACTIVATIONS, Tensor
from ..ops.nn import DENSE_ACTIVATIONS
from .layer import KERNEL_AND_BIAS_OBJECTS, InputSpec, Layer, Shape, unique_name
from .symbolic import KerasTensor


class InputLayer(Layer):
    """The entry point of a model: it holds the shape of one batch of inputs."""

    def __init__(
        self,
        shape: tuple[int | None, ...] | None = None,
        batch_size: int | None = None,
        dtype: str | None = None,
        name: str | None = None,
        batch_input_shape: tuple[int | None, ...] | None = None,
        **kwargs: Any,
    ):
        if batch_input_shape is None:
            if shape is None:
                raise ValueError(
                    "InputLayer needs a shape, e.g. shape=(784,). Received: shape=None"
                )
            batch_input_shape = (batch_size, *_as_shape(shape))
        super().__init__(
            name=name or unique_name("input_layer"),
            dtype=dtype,
            batch_input_shape=batch_input_shape,
            **kwargs,
        )
        self.built = True
        self._output = KerasTensor(self.batch_input_shape, self.dtype, name=self.name)
        self._output._input_layer = self

    @property
    def output(self) -> KerasTensor:
        """The symbolic tensor that stands for the model's input."""
        return self._output

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_input_shape": list(self.batch_input_shape),
            "dtype": self.dtype,
            "name": self.name,
        }


def Input(
    shape: tuple[int | None, ...],
    batch_size: int | None = None,
    dtype: str | None = None,
    name: str | None = None,
) -> KerasTensor:
    """A symbolic input of samples of ``shape`` (batch axis excluded), to build a model's graph."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


def _as_shape(shape: Any) -> tuple[int | None, ...]:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(n is None or (isinstance(n, int) and n > 0) for n in dims):
        raise ValueError(f"shape must hold positive integers or None. Received: shape={shape}")
    return dims


#: The activation functions that the fused dense op applies, with the names it knows them by.
_DENSE_FUSABLE = tuple((getattr(activations, name), name) for name in DENSE_ACTIVATIONS)


class Dense(Layer):
    """A fully connected layer: ``output = activation(inputs @ kernel + bias)``.

    Applied to the last axis of the input. Keras defaults: ``kernel_initializer='glorot_uniform'``,
    ``bias_initializer='zeros'``, no activation, a bias. Keras 1 names (``output_dim``, ``init``,
    ``W_regularizer``, ``b_regularizer``, ``input_dim``) are accepted with a warning.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Shape) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) needs inputs whose last dimension is known. "
                f"Received shape {tuple(input_shape)}."
            )
        self.kernel = self._add_configured_weight("kernel", (in_dim, self.units))
        self.bias = None
        if self.use_bias:
            self.bias = self._add_configured_weight("bias", (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        # Called on its own, the layer cannot know whether its output leaves the model.
        fused = self.fusable(self.activation, leaves_model=True)
        y = self.fused_call(inputs, fused)
        return y if fused else self.activation(y)

    @staticmethod
    def fusable(activation: Any, leaves_model: bool) -> str | None:
        """The name under which :meth:`fused_call` applies ``activation`` (``'relu'`` or
        ``'sigmoid'``), or None where it must stay its own op.

        The fused op computes the activation in the product's own buffer, so it keeps no
        logits: an activation whose output carries a logits mark (the sigmoid) is fused only
        where its output stays inside the model, never where a loss may look for the mark.
        """
        for function, name in _DENSE_FUSABLE:
            if activation is function:
                return None if leaves_model and name in MARKED_ACTIVATIONS else name
        return None

    def fused_call(self, inputs: Tensor, activation: str | None) -> Tensor:
        """``activation(inputs @ kernel + bias)`` as one op, ``activation`` being None,
        ``'relu'`` or ``'sigmoid'`` whatever the layer's own: the fast path for a model whose
        fusion pass knows which activation follows (``numkeras.models.fusion``)."""
        return ops.dense(inputs, self.kernel, self.bias, activation=activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._serialized(*KERNEL_AND_BIAS_OBJECTS),
        }


class Activation(Layer):
    """Applies an activation function by name or as a callable, e.g. ``Activation('sigmoid')``."""

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """``output = inputs`` (one tensor or a list): a placeholder where a model needs a layer
    that does nothing, e.g. an optional block switched off. Takes only the base arguments."""

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class Dropout(Layer):
    """Inverted dropout: during training, zero a fraction ``rate`` of the inputs at random and
    scale the others by ``1 / (1 - rate)``; at inference, pass inputs through unchanged.

    ``noise_shape`` (default None: one draw per input value) gives the shape of the random
    mask, which is broadcast over the inputs: each entry is None (the input's size on that
    axis), 1 (one draw shared along the axis) or the input's size, as in Keras. Keras 1's
    ``Dropout(p=...)`` is accepted with a warning.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: tuple[int | None, ...] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"rate must be a number in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        if noise_shape is not None and not (
            isinstance(noise_shape, (list, tuple))
            and all(
                n is None
                or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0)
                for n in noise_shape
            )
        ):
            raise ValueError(
                "noise_shape must be None or a sequence of positive integers and "
                f"None. Received: noise_shape={noise_shape!r}"
            )
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        # A seeded layer draws its masks from its own stream, as Keras's SeedGenerator does.
        self._rng = None if seed is None else np.random.default_rng(seed)

    def build(self, input_shape: Shape) -> None:
        self._mask_shape(input_shape)

    def _mask_shape(self, input_shape: Shape) -> Shape | None:
        """``noise_shape`` with the input's sizes for its None entries, checked to broadcast
        to ``input_shape`` (so that a mask is never larger than the inputs)."""
        if self.noise_shape is None:
            return None
        fits = len(self.noise_shape) == len(input_shape) and all(
            n is None or n == 1 or s is None or n == s
            for n, s in zip(self.noise_shape, input_shape)
        )
        if not fits:
            raise ValueError(
                f"Layer '{self.name}': noise_shape={self.noise_shape} does not broadcast to the "
                f"input shape {tuple(input_shape)}: it needs one entry per input axis, each "
                "None, 1 or the input's size."
            )
        return tuple(s if n is None else n for n, s in zip(self.noise_shape, input_shape))

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        noise_shape = self._mask_shape(inputs.shape)
        return ops.dropout(inputs, self.rate, noise_shape, rng=self._rng)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise, "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample to one axis: ``(batch, 28, 28) -> (batch, 784)``."""

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                "data_format must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            # Keras flattens channels-first data in channels-last order, so weights port across.
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        size = None if any(n is None for n in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(n == -1 for n in self.target_shape) > 1 or not all(
            isinstance(n, int) and (n > 0 or n == -1) for n in self.target_shape
        ):
            raise ValueError(
                "target_shape must hold positive integers and at most one -1. "
                f"Received: target_shape={self.target_shape}"
            )

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        shape = self.compute_output_shape(inputs.shape)
        return ops.reshape(inputs, shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        shape = list(self.target_shape)
        if -1 in shape:
            if any(n is None for n in rest):
                shape[shape.index(-1)] = None
            else:
                known = math.prod(n for n in shape if n != -1)
                total = math.prod(rest)
                if total % known:
                    raise ValueError(
                        f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} "
                        f"to target_shape={self.target_shape}."
                    )
                shape[shape.index(-1)] = total // known
        elif None not in rest and math.prod(rest) != math.prod(shape):
            raise ValueError(
                f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} to "
                f"target_shape={self.target_shape}: the sizes differ."
            )
        return (input_shape[0], *shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}
