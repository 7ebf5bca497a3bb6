"""numkeras: deep learning with the Keras API on an autodiff engine of its own, in NumPy.

The course's three steps::

    from numkeras.models import Sequential
    from numkeras.layers import Dense, Activation

    model = Sequential()                                        # 1. define a set of functions
    model.add(Dense(input_dim=28 * 28, units=500))
    model.add(Activation('relu'))
    model.add(Dense(units=10))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy',             # 2. goodness of function
                  optimizer='adam', metrics=['accuracy'])
    model.fit(x_train, y_train, batch_size=100, epochs=20)     # 3. pick the best function

Submodules load on first use, so ``import numkeras`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "initializers",
    "layers",
    "legacy",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "recipe",
    "regularizers",
    "saving",
    "schedules",
    "utils",
    "wrappers",
}
#: Keras 3's top-level names, by the submodule that defines each.
_NAMES = {
    "Sequential": "models",
    "Model": "models",
    "Input": "layers",
    "InputSpec": "layers",
    "Layer": "layers",
    "KerasTensor": "layers",
    "Loss": "losses",
    "Metric": "metrics",
    "Optimizer": "optimizers",
    "Regularizer": "regularizers",
    "Variable": "ops",
    "GradientTape": "ops",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'numkeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))
