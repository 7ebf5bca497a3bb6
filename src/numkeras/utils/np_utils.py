"""Keras 1 and 2's ``keras.utils.np_utils``, so course code that imports it runs as written.

``np_utils.to_categorical(y, 10)`` is :func:`numkeras.utils.to_categorical`; Keras 1's keyword
``nb_classes=`` is renamed to ``num_classes=`` with a warning. Importing the module warns once
that its functions live in :mod:`numkeras.utils` today.
"""

from __future__ import annotations

from .. import legacy
from .numerical import normalize
from .numerical import to_categorical as _to_categorical

to_categorical = legacy.accepts_keras1_names(_to_categorical, "to_categorical")

legacy.moved_module(__name__, "numkeras.utils")

__all__ = ["normalize", "to_categorical"]
