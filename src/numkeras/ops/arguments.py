"""The arguments that windowed ops and their layers share, checked and normalised as Keras's are.

Sizes, strides and dilations (an int or a tuple of ints), ``padding`` and ``data_format``. Each
check raises a ValueError that names the argument and the value received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend

#: The paddings that every windowed op takes; ``conv1d`` also takes ``'causal'``.
PADDINGS = ("valid", "same")


def normalize_tuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``n`` ints) as a tuple of ``n`` ints ``>= minimum``.

    The ValueError names the argument and the received value, as Keras's does.
    """
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in items
    ):
        raise ValueError(
            f"{name} must be an integer >= {minimum} or a tuple of {n} such integers. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def standardize_data_format(data_format: str | None) -> str:
    """``data_format`` checked, with None meaning ``backend.image_data_format()`` (as in Keras:
    ``'channels_last'`` unless set otherwise)."""
    if data_format is None:
        return backend.image_data_format()
    value = data_format.lower() if isinstance(data_format, str) else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return value


def standardize_padding(padding: Any, allowed: Sequence[str] = PADDINGS) -> str:
    """``padding`` checked against ``allowed`` (case-insensitive, as in Keras)."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        raise ValueError(f"padding must be one of {tuple(allowed)}. Received: padding={padding!r}")
    return value
