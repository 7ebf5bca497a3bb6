"""Recurrent layers: SimpleRNN, LSTM and GRU, each one whole-sequence op per call.

The layers hold the weights in Keras's layouts (``kernel (features, k·units)``,
``recurrent_kernel (units, k·units)``, ``bias (k·units,)``, or ``(2, 3·units)`` for GRU with
``reset_after``) so that ``set_weights`` takes Keras's arrays as they are; the arithmetic is in
:mod:`numkeras.ops.recurrent`. Masks, ``stateful=True`` and ``recurrent_dropout`` are not
implemented yet and are refused by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import activations, backend, constraints, initializers, legacy, ops, regularizers
from ..ops import recurrent
from ..ops.core import Tensor
from .layer import InputSpec, Layer, Shape

#: The weight objects of a recurrent layer, by the names of its constructor arguments.
_WEIGHT_OBJECTS = tuple(
    f"{weight}_{kind}"
    for kind in ("initializer", "regularizer", "constraint")
    for weight in ("kernel", "recurrent", "bias")
)


class _UnitForgetBias:
    """LSTM's bias initializer with ``unit_forget_bias``: ``bias_initializer`` everywhere but
    the forget gate's block (the second of four), which starts at 1 (Jozefowicz et al., 2015),
    so that the cell remembers by default at the start of training."""

    def __init__(self, bias_initializer: Callable[..., Any]):
        self.bias_initializer = bias_initializer

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        units = shape[0] // 4
        xp = backend.xp()
        return xp.concatenate(
            [
                xp.asarray(self.bias_initializer((units,), dtype=dtype)),
                xp.ones((units,), dtype=dtype),
                xp.asarray(self.bias_initializer((2 * units,), dtype=dtype)),
            ]
        )


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, the call and output shapes.

    Subclasses set ``GATES`` (the k of the weight layouts) and ``N_STATES`` and implement
    :meth:`_sequence` (the op's call)."""

    GATES = 1
    N_STATES = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Keras 1 names are renamed, and warned about, under the public layer's name, with all
        # the arguments of its bases: each base's own wrapper would name itself (`_Gated`).
        if not cls.__name__.startswith("_"):
            accepted = set().union(
                *(
                    inspect.signature(base.__dict__["__init__"]).parameters
                    for base in cls.__mro__
                    if issubclass(base, _Recurrent) and "__init__" in base.__dict__
                )
            )
            cls.__init__ = legacy.accepts_keras1_names(cls.__init__, cls.__name__, also=accepted)

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        implementation: Any = 2,
        **kwargs: Any,
    ):
        # ``implementation`` (Keras 1's ``consume_less``) picks how Keras splits the gate
        # products; accepted as Keras 3's LSTM and GRU accept it, no effect here (one op always).
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer. Received: units={units!r}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1). Received: dropout={dropout!r}")
        if recurrent_dropout != 0:
            raise NotImplementedError(
                f"{type(self).__name__}: recurrent_dropout is not implemented in numkeras yet; "
                f"it must be 0. Received: recurrent_dropout={recurrent_dropout!r}"
            )
        if stateful:
            raise NotImplementedError(
                f"{type(self).__name__}: stateful=True is not implemented in numkeras yet. "
                f"Received: stateful={stateful!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        # The op applies the activation by name: refuse one it lacks now, not at the first call.
        self._activation_name = self._op_activation(self.activation, "activation")
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        # A seeded layer draws its dropout masks from its own stream, as Dropout does.
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll  # accepted as Keras's, no effect: the op always loops.
        self.input_spec = InputSpec(ndim=3)

    @staticmethod
    def _op_activation(activation: Any, argument: str) -> str:
        name = activations.serialize(activation)
        if name not in recurrent.ACTIVATIONS:
            raise ValueError(
                f"{argument} must be one of {sorted(recurrent.ACTIVATIONS)} in a recurrent "
                f"layer. Received: {argument}={name!r}"
            )
        return name

    def build(self, input_shape: Shape) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs inputs whose last dimension "
                f"is known. Received shape {tuple(input_shape)}."
            )
        width = self.GATES * self.units
        self.kernel = self._add_configured_weight("kernel", (features, width))
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                name="bias",
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(ndim=3, axes={-1: features})

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.GATES * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def call(
        self,
        inputs: Tensor,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        # Taken so that a mask is refused rather than silently dropped by Layer.__call__.
        if mask is not None:
            raise NotImplementedError(
                f"{type(self).__name__}: masked sequences (a mask from Embedding(mask_zero=True) "
                "or Masking) are not implemented in numkeras yet. Received: a mask"
            )
        x = ops.convert_to_tensor(inputs)
        if self.go_backwards:
            x = ops.flip(x, axis=1)
        if training and self.dropout:
            # Keras's semantics: one mask per sequence, the same at every time step.
            x = ops.dropout(x, self.dropout, (x.shape[0], 1, x.shape[2]), self._rng)
        states = self._initial_states(initial_state, x)
        out = self._sequence(x, states)
        u = self.units
        output = out[:, :, :u] if self.return_sequences else out[:, -1, :u]
        if not self.return_state:
            return output
        return [output, *(out[:, -1, k * u : (k + 1) * u] for k in range(self.N_STATES))]

    def _initial_states(self, initial_state: Any, x: Tensor) -> list[Tensor]:
        if initial_state is None:
            zeros = backend.xp().zeros((x.shape[0], self.units), dtype=x.dtype)
            return [Tensor(zeros)] * self.N_STATES
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        expected = (x.shape[0], self.units)
        if len(given) != self.N_STATES or any(tuple(s.shape) != expected for s in given):
            raise ValueError(
                f"{type(self).__name__} needs initial_state as {self.N_STATES} array(s) of shape "
                f"{expected}. Received: shapes {[tuple(s.shape) for s in given]}"
            )
        return [ops.convert_to_tensor(s) for s in given]

    def _sequence(self, x: Tensor, states: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Any:
        batch, time = input_shape[0], input_shape[1]
        output = (batch, time, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return output
        return [output, *[(batch, self.units)] * self.N_STATES]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self._activation_name,
            "use_bias": self.use_bias,
            **self._serialized(*_WEIGHT_OBJECTS),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
        }


class SimpleRNN(_Recurrent):
    """A fully connected recurrence: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``, from ``h_0 = 0`` (or ``initial_state``).

    Keras 3 defaults: ``activation='tanh'``, ``kernel_initializer='glorot_uniform'``,
    ``recurrent_initializer='orthogonal'``, ``bias_initializer='zeros'``, the last output only
    (``return_sequences=False``).
    """

    def _sequence(self, x: Tensor, states: list[Tensor]) -> Tensor:
        return recurrent.simple_rnn(
            x, self.kernel, self.recurrent_kernel, *states, self.bias, self._activation_name
        )


class _Gated(_Recurrent):
    """A recurrent layer with a ``recurrent_activation`` for its gates (default sigmoid)."""

    def __init__(
        self,
        units: int,
        recurrent_activation: Any = "sigmoid",
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ):
        super().__init__(units, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"use_cudnn must be 'auto', True or False. Received: use_cudnn={use_cudnn!r}"
            )
        if use_cudnn is True:
            raise NotImplementedError(
                f"{type(self).__name__}: numkeras has no cuDNN kernel; use use_cudnn='auto' or "
                "False. Received: use_cudnn=True"
            )
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_activation_name = self._op_activation(
            self.recurrent_activation, "recurrent_activation"
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self._recurrent_activation_name}


class LSTM(_Gated):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), gates in Keras's order i, f,
    c, o along the weights' last axis::

        i, f, o = recurrent_activation(z_i, z_f, z_o),  g = activation(z_c)
        c_t = f·c_{t-1} + i·g,  h_t = o·activation(c_t)
        with z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias

    Keras 3 defaults: ``activation='tanh'``, ``recurrent_activation='sigmoid'``,
    ``unit_forget_bias=True`` (the forget gate's bias starts at 1), ``glorot_uniform`` kernel,
    ``orthogonal`` recurrent kernel. ``return_state`` adds the final ``h`` and ``c``.
    """

    GATES = 4
    N_STATES = 2

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _bias_initializer(self) -> Any:
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer)
        return self.bias_initializer

    def _sequence(self, x: Tensor, states: list[Tensor]) -> Tensor:
        return recurrent.lstm(
            x,
            self.kernel,
            self.recurrent_kernel,
            *states,
            self.bias,
            self._activation_name,
            self._recurrent_activation_name,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_Gated):
    """Gated recurrent unit (Cho et al., 2014), gates in Keras's order z, r, h::

        z, r = recurrent_activation(x_t@W_z + h_{t-1}@U_z + b_z, x_t@W_r + h_{t-1}@U_r + b_r)
        ĥ = activation(x_t@W_h + b_h + r·(h_{t-1}@U_h + b'_h))    reset_after=True (Keras 3)
        ĥ = activation(x_t@W_h + b_h + (r·h_{t-1})@U_h)           reset_after=False (Keras 1/2)
        h_t = z·h_{t-1} + (1 − z)·ĥ

    With ``reset_after=True`` the bias is ``(2, 3·units)``: an input and a recurrent bias (the
    recurrent one added to all of ``h_{t-1}@U``), as in Keras and cuDNN.
    """

    GATES = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self) -> tuple[int, ...]:
        width = self.GATES * self.units
        return (2, width) if self.reset_after else (width,)

    def _sequence(self, x: Tensor, states: list[Tensor]) -> Tensor:
        return recurrent.gru(
            x,
            self.kernel,
            self.recurrent_kernel,
            *states,
            self.bias,
            self._activation_name,
            self._recurrent_activation_name,
            self.reset_after,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}
