"""The recurrent layers SimpleRNN, LSTM and GRU: ``RNN`` over their own cell, as in Keras 3.

Each layer takes its cell's arguments and ``RNN``'s in one flat constructor and config (Keras
3's, with no ``cell`` entry), holds the cell as ``layer.cell`` and shows its attributes
(``layer.units``, ``layer.kernel``, ...). The weights are the cell's, in Keras's order and
layouts (``kernel``, ``recurrent_kernel``, ``bias``), so ``set_weights`` takes Keras's arrays
as they are. The cells run whole sequences in one op each (:mod:`numkeras.ops.recurrent`).
This is also Keras 2's module path of the recurrent layers, so it names ``RNN`` and the cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .layer import Layer
from .rnn import RNN
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, accepts_keras1_names, parameters
from .stacked_rnn_cells import StackedRNNCells

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
]


def _from_cell(name: str) -> property:
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class _CellLayer(RNN):
    """An ``RNN`` over a new ``CELL`` made from the constructor's cell arguments; the other
    arguments are ``RNN``'s and the base layer's."""

    CELL: type[Layer]

    units = _from_cell("units")
    activation = _from_cell("activation")
    use_bias = _from_cell("use_bias")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    kernel_regularizer = _from_cell("kernel_regularizer")
    recurrent_regularizer = _from_cell("recurrent_regularizer")
    bias_regularizer = _from_cell("bias_regularizer")
    kernel_constraint = _from_cell("kernel_constraint")
    recurrent_constraint = _from_cell("recurrent_constraint")
    bias_constraint = _from_cell("bias_constraint")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")
    seed = _from_cell("seed")
    kernel = _from_cell("kernel")
    recurrent_kernel = _from_cell("recurrent_kernel")
    bias = _from_cell("bias")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Keras 1 names of the cell's arguments are renamed, and warned about, as the layer's.
        if hasattr(cls, "CELL"):
            accepts_keras1_names(cls, also=parameters(cls.CELL))

    def __init__(self, units: int, **kwargs: Any):
        own = parameters(self.CELL) - parameters(Layer)
        cell_arguments = {name: kwargs.pop(name) for name in list(kwargs) if name in own}
        cell = self.CELL(
            units,
            **cell_arguments,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
        )
        super().__init__(cell, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["cell"]
        base = Layer.get_config(self.cell)
        return {**config, **{k: v for k, v in self.cell.get_config().items() if k not in base}}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> RNN:
        return cls(**config)


class SimpleRNN(_CellLayer):
    """A fully connected recurrence over the steps: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``, from ``h_0 = 0`` (or ``initial_state``); ``RNN`` over a
    :class:`SimpleRNNCell`.

    Keras 3 defaults: ``activation='tanh'``, ``kernel_initializer='glorot_uniform'``,
    ``recurrent_initializer='orthogonal'``, ``bias_initializer='zeros'``, the last output only
    (``return_sequences=False``).
    """

    CELL = SimpleRNNCell


class _GatedLayer(_CellLayer):
    """LSTM and GRU: a ``recurrent_activation`` and Keras 3's ``use_cudnn``."""

    recurrent_activation = _from_cell("recurrent_activation")

    def __init__(self, units: int, use_cudnn: Any = "auto", **kwargs: Any):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"use_cudnn must be 'auto', True or False. Received: use_cudnn={use_cudnn!r}"
            )
        if use_cudnn is True:
            raise NotImplementedError(
                f"{type(self).__name__}: numkeras has no cuDNN kernel; use use_cudnn='auto' or "
                "False. Received: use_cudnn=True"
            )
        super().__init__(units, **kwargs)


class LSTM(_GatedLayer):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997) over the steps; ``RNN`` over an
    :class:`LSTMCell` (its docstring has the gates' formulas).

    Keras 3 defaults: ``activation='tanh'``, ``recurrent_activation='sigmoid'``,
    ``unit_forget_bias=True`` (the forget gate's bias starts at 1), ``glorot_uniform`` kernel,
    ``orthogonal`` recurrent kernel. ``return_state`` adds the final ``h`` and ``c``.
    """

    CELL = LSTMCell
    unit_forget_bias = _from_cell("unit_forget_bias")


class GRU(_GatedLayer):
    """Gated recurrent unit (Cho et al., 2014) over the steps; ``RNN`` over a :class:`GRUCell`
    (its docstring has the formulas). Keras 3's default ``reset_after=True`` applies the reset
    gate after the recurrent product (cuDNN's form); ``reset_after=False`` is Keras 1/2's.
    """

    CELL = GRUCell
    reset_after = _from_cell("reset_after")
