"""Keras 2's ``keras.layers.recurrent``: the path resolves, though numkeras has no RNN layers yet.

Importing it warns once, saying so; asking it for one of Keras 2's recurrent layers raises an
AttributeError that says the same, rather than Python's bare "has no attribute".
"""

from __future__ import annotations

from .. import legacy

#: What Keras 2's ``keras.layers.recurrent`` held.
KERAS2_NAMES = (
    "RNN",
    "SimpleRNN",
    "GRU",
    "LSTM",
    "SimpleRNNCell",
    "GRUCell",
    "LSTMCell",
    "StackedRNNCells",
)

legacy.warn(
    f"`{__name__}` is the Keras 2 module path of the recurrent layers (SimpleRNN, GRU, LSTM), "
    "which numkeras does not have yet."
)

__all__: list[str] = []


def __getattr__(name: str) -> object:
    if name in KERAS2_NAMES:
        raise AttributeError(
            f"{name} is not in numkeras yet: numkeras has no recurrent layers (SimpleRNN, GRU, "
            f"LSTM), so `{__name__}.{name}` does not exist."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
