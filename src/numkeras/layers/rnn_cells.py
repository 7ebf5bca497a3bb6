"""The recurrent cells SimpleRNNCell, LSTMCell and GRUCell: one time step of a recurrence.

A cell follows Keras 3's protocol (``state_size``, ``output_size``, ``get_initial_state``,
``call(inputs, states, training=None) -> (output, new_states)``), so ``RNN(cell)`` and
``StackedRNNCells`` run it like a user's own cell. Its arithmetic is the whole-sequence op of
:mod:`numkeras.ops.recurrent`: one step is that op on a sequence of length 1, and
:meth:`_RecurrentCell.sequence` gives ``RNN`` the op over all the steps at once (its fast path),
so the formulas live in one place. The weights have Keras's layouts (``kernel (features,
k·units)``, ``recurrent_kernel (units, k·units)``, ``bias (k·units,)``, or ``(2, 3·units)`` for
GRU with ``reset_after``), so ``set_weights`` takes Keras's arrays as they are.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import (
    activations,
    backend,
    constraints,
    initializers,
    legacy,
    ops,
    registry,
    regularizers,
)
from ..ops import recurrent
from ..ops.core import Tensor
from .layer import Layer, Shape
from .stacked_rnn_cells import as_given, listed_states

#: The weight objects of a recurrent cell, by the names of its constructor arguments.
WEIGHT_OBJECTS = tuple(
    f"{weight}_{kind}"
    for kind in ("initializer", "regularizer", "constraint")
    for weight in ("kernel", "recurrent", "bias")
)


def parameters(cls: type) -> set[str]:
    """The keyword arguments that ``cls`` accepts: those of every ``__init__`` in its MRO (a
    subclass passes the rest on through ``**kwargs``)."""
    return set().union(
        *(
            inspect.signature(base.__dict__["__init__"]).parameters
            for base in cls.__mro__[:-1]
            if "__init__" in base.__dict__
        )
    ) - {"self", "args", "kwargs"}


def accepts_keras1_names(cls: type, also: set[str] = frozenset()) -> None:
    """Rename, and warn about, Keras 1 arguments under ``cls``'s own name, with all the arguments
    of its bases and ``also``: each base's own wrapper would name itself (``_GatedCell``)."""
    if not cls.__name__.startswith("_"):
        cls.__init__ = legacy.accepts_keras1_names(
            cls.__init__, cls.__name__, also=parameters(cls) | set(also)
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


def _rate(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1). Received: {name}={value!r}")
    return float(value)


class _RecurrentCell(Layer):
    """What the three cells share: arguments, weights, dropout masks, and the op's call.

    Subclasses set ``GATES`` (the k of the weight layouts), ``N_STATES`` and ``OP`` (their
    whole-sequence op in :mod:`numkeras.ops.recurrent`).

    Dropout follows Keras 3's ``DropoutRNNCell``: in training, input masks ``(batch, features)``
    and recurrent masks ``(batch, units)`` of zeros and ``1/(1 − rate)`` are drawn per sequence
    and used at every step, ``x_t·m`` feeding the kernel and ``h_{t-1}·m_rec`` the recurrent
    kernel. One mask each, or one per gate once ``recurrent_dropout > 0`` (LSTM: 4, GRU: 3), as
    Keras 3's cells then switch to their ``implementation=1``. They stay cached
    (:meth:`get_dropout_mask`) until ``RNN`` resets them after its call, as in Keras.
    """

    GATES = 1
    N_STATES = 1
    OP: Callable[..., Tensor]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        accepts_keras1_names(cls)

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
        implementation: Any = 2,
        **kwargs: Any,
    ):
        # ``implementation`` (Keras 1's ``consume_less``) picks how Keras splits the gate
        # products; accepted as Keras 3's cells accept it, no effect here (one op always).
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer. Received: units={units!r}")
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
        self.dropout = _rate(dropout, "dropout")
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout")
        self.seed = seed
        # A seeded cell draws its dropout masks from its own stream, as Dropout does.
        self._rng = None if seed is None else np.random.default_rng(seed)
        self._dropout_mask: Tensor | None = None
        self._recurrent_dropout_mask: Any = None

    @property
    def state_size(self) -> int | list[int]:
        """The size of each state: ``units``, or ``[units, units]`` for LSTM's ``[h, c]``."""
        return self.units if self.N_STATES == 1 else [self.units] * self.N_STATES

    @property
    def output_size(self) -> int:
        return self.units

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

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.GATES * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zeros ``(batch_size, units)`` for each state."""
        zeros = backend.xp().zeros((batch_size, self.units), dtype=self.dtype)
        return [Tensor(zeros) for _ in range(self.N_STATES)]

    # -- dropout masks, Keras's DropoutRNNCell -------------------------------------------------
    @property
    def dropout_mask_count(self) -> int:
        """How many masks each dropout draws: one per gate once ``recurrent_dropout > 0`` (Keras
        3's cells then switch to their ``implementation=1``, which splits the gates), else one."""
        return self.GATES if self.recurrent_dropout > 0 else 1

    def _draw_masks(self, like: Any, rate: float) -> Any:
        """:attr:`dropout_mask_count` masks of zeros and ``1/(1 − rate)`` shaped like ``like``;
        a single one when the count is 1, else a list, as Keras gives them."""
        data = ops.convert_to_tensor(like).data
        scale = data.dtype.type(1 / (1 - rate))
        masks = [
            (backend.uniform_draws(data.shape, data.dtype, like=data, rng=self._rng) >= rate)
            * scale
            for _ in range(self.dropout_mask_count)
        ]
        return masks[0] if len(masks) == 1 else masks

    def get_dropout_mask(self, step_input: Any) -> Any:
        """The input dropout mask(s), each shaped like ``step_input`` ``(batch, features)``:
        drawn at the first step of a sequence, then the same until :meth:`reset_dropout_mask`
        (None without dropout)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._draw_masks(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state: Any) -> Any:
        """The recurrent dropout mask(s), each shaped like ``state`` ``(batch, units)``, drawn
        and kept as :meth:`get_dropout_mask`'s."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._draw_masks(state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None

    # -- computing ---------------------------------------------------------------------------
    @property
    def runs_whole_sequences(self) -> bool:
        """Whether ``RNN`` may run :meth:`sequence` (one op over all the steps) rather than
        step :meth:`call`: true unless a subclass from outside numkeras redefines ``call``."""
        owner = next(cls for cls in type(self).__mro__ if "call" in cls.__dict__)
        return registry.is_own(owner)

    def call(
        self, inputs: Tensor, states: Any, training: bool | None = None
    ) -> tuple[Tensor, list[Tensor]]:
        """One step: ``inputs (batch, features)`` and the states ``[h]`` (``[h, c]`` for LSTM)
        give ``(h_t, new_states)`` (a bare ``h`` gives a bare new ``h``, as in Keras); the
        formula is the class's."""
        states, listed = listed_states(states)
        output, new_states = self.sequence(
            ops.expand_dims(inputs, 1), states, None, training, False
        )
        return output, as_given(new_states, listed)

    def sequence(
        self,
        x: Tensor,
        states: list[Any],
        mask: Any = None,
        training: bool | None = None,
        return_sequences: bool = True,
    ) -> tuple[Tensor, list[Tensor]]:
        """All steps of ``x (batch, time, features)`` in one op: the outputs ``(batch, time,
        units)`` (the last one alone, ``(batch, units)``, without ``return_sequences``) and the
        final states. ``mask`` (a boolean array ``(batch, time)``, False at the steps to skip)
        carries the states over those steps, as Keras's backend does."""
        states = [ops.convert_to_tensor(s) for s in states]
        kernel, recurrent_mask = self.kernel, None
        if training:
            x, kernel = self._dropped_inputs(x, self.get_dropout_mask(x.data[:, 0]))
            recurrent_mask = self.get_recurrent_dropout_mask(states[0])
            if isinstance(recurrent_mask, list):
                # One mask per gate, in the kernel's column order: the op's (batch, k·units).
                recurrent_mask = backend.get_array_module(states[0].data).concatenate(
                    recurrent_mask, axis=1
                )
        out = self.OP(
            x,
            kernel,
            self.recurrent_kernel,
            *states,
            self.bias,
            *self._op_options(),
            mask=mask,
            recurrent_mask=recurrent_mask,
        )
        u = self.units
        final = [out[:, -1, k * u : (k + 1) * u] for k in range(self.N_STATES)]
        if not return_sequences:
            return final[0], final  # h is the output
        return (out[:, :, :u] if self.N_STATES > 1 else out), final

    def _dropped_inputs(self, x: Tensor, masks: Any) -> tuple[Tensor, Any]:
        """``x`` with input dropout, and the kernel that reads it: ``x·m`` and the kernel for
        one mask; for one mask per gate, ``[x·m_1, ..., x·m_k]`` along the features and the
        kernel tiled block-diagonally, so that gate ``g``'s columns read ``x·m_g`` alone (the
        same values as Keras's ``(x·m_g) @ kernel_g``, in one GEMM)."""
        if masks is None:
            return x, self.kernel
        if not isinstance(masks, list):
            # The same mask at every step: (batch, 1, features) broadcast over time.
            return x * Tensor(masks[:, None, :]), self.kernel
        xp = backend.get_array_module(x.data)
        dropped = ops.concatenate([x * Tensor(m[:, None, :]) for m in masks], axis=-1)
        features, width = self.kernel.shape
        blocks = xp.kron(
            xp.eye(self.GATES, dtype=x.dtype),
            xp.ones((features, width // self.GATES), dtype=x.dtype),
        )
        return dropped, ops.tile(self.kernel, (self.GATES, 1)) * Tensor(blocks)

    def _op_options(self) -> tuple[Any, ...]:
        """The op's arguments after the bias: the activations' names (and GRU's reset_after)."""
        return (self._activation_name,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self._activation_name,
            "use_bias": self.use_bias,
            **self._serialized(*WEIGHT_OBJECTS),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_RecurrentCell):
    """A fully connected recurrence: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``.

    Keras 3 defaults: ``activation='tanh'``, ``kernel_initializer='glorot_uniform'``,
    ``recurrent_initializer='orthogonal'``, ``bias_initializer='zeros'``, no dropout.
    """

    OP = staticmethod(recurrent.simple_rnn)


class _GatedCell(_RecurrentCell):
    """A recurrent cell with a ``recurrent_activation`` for its gates (default sigmoid)."""

    def __init__(self, units: int, recurrent_activation: Any = "sigmoid", **kwargs: Any):
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self._recurrent_activation_name = self._op_activation(
            self.recurrent_activation, "recurrent_activation"
        )

    def _op_options(self) -> tuple[Any, ...]:
        return (*super()._op_options(), self._recurrent_activation_name)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self._recurrent_activation_name}


class LSTMCell(_GatedCell):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), gates in Keras's order i, f,
    c, o along the weights' last axis::

        i, f, o = recurrent_activation(z_i, z_f, z_o),  g = activation(z_c)
        c_t = f·c_{t-1} + i·g,  h_t = o·activation(c_t)
        with z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias

    Keras 3 defaults: ``activation='tanh'``, ``recurrent_activation='sigmoid'``,
    ``unit_forget_bias=True`` (the forget gate's bias starts at 1), ``glorot_uniform`` kernel,
    ``orthogonal`` recurrent kernel. The states are ``[h, c]``.
    """

    GATES = 4
    N_STATES = 2
    OP = staticmethod(recurrent.lstm)

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _bias_initializer(self) -> Any:
        if self.unit_forget_bias:
            return _UnitForgetBias(self.bias_initializer)
        return self.bias_initializer

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GatedCell):
    """Gated recurrent unit (Cho et al., 2014), gates in Keras's order z, r, h::

        z, r = recurrent_activation(x_t@W_z + h_{t-1}@U_z + b_z, x_t@W_r + h_{t-1}@U_r + b_r)
        ĥ = activation(x_t@W_h + b_h + r·(h_{t-1}@U_h + b'_h))    reset_after=True (Keras 3)
        ĥ = activation(x_t@W_h + b_h + (r·h_{t-1})@U_h)           reset_after=False (Keras 1/2)
        h_t = z·h_{t-1} + (1 − z)·ĥ

    With ``reset_after=True`` the bias is ``(2, 3·units)``: an input and a recurrent bias (the
    recurrent one added to all of ``h_{t-1}@U``), as in Keras and cuDNN. Keras 3 defaults:
    ``activation='tanh'``, ``recurrent_activation='sigmoid'``, ``reset_after=True``,
    ``glorot_uniform`` kernel, ``orthogonal`` recurrent kernel.
    """

    GATES = 3
    OP = staticmethod(recurrent.gru)

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self) -> tuple[int, ...]:
        width = self.GATES * self.units
        return (2, width) if self.reset_after else (width,)

    def _op_options(self) -> tuple[Any, ...]:
        return (*super()._op_options(), self.reset_after)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}
