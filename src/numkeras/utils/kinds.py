"""Which values count as ints and as numbers where an argument or a file asks for one.

Python and NumPy integers and reals count; a bool does not, although Python makes it an int
(``epochs=True`` is a mistake, not one epoch).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """Whether ``value`` is a Python or NumPy integer (a bool is not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """Whether ``value`` is a Python or NumPy real number (a bool is not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
