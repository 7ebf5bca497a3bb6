"""Keras 1 spellings that course material still uses, mapped to today's names in one table.

``Dense(input_dim=784, output_dim=500, init='uniform')``, ``Dropout(p=0.5)``, ``SGD(lr=0.1)`` and
``fit(nb_epoch=20)`` keep working: each old name is renamed with one warning that names the modern
spelling (modelled on Keras 2's ``legacy/interfaces.py``). Names whose meaning changed rather than
their spelling (an optimizer's ``decay``) are handled where they are used.

Keras 2's module paths (``numkeras.layers.convolutional``, ``numkeras.utils.np_utils``, ...) are
small modules that re-export today's names and warn once, when imported, with
:func:`moved_module`.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

#: Keras 1 name -> modern name, for every callable that accepted it.
RENAMES: Mapping[str, str] = {
    "output_dim": "units",
    "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "p": "rate",
    "nb_epoch": "epochs",
    "lr": "learning_rate",
    "nb_filter": "filters",
    "subsample": "strides",
    "border_mode": "padding",
    "dim_ordering": "data_format",
    "sigma": "stddev",
    "nb_feature": "pieces",
    "nb_val_samples": "validation_steps",
    "nb_classes": "num_classes",
    "nb_words": "num_words",
    "inner_init": "recurrent_initializer",
    "inner_activation": "recurrent_activation",
    "U_regularizer": "recurrent_regularizer",
    "U_constraint": "recurrent_constraint",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "consume_less": "implementation",
    "filter_length": "kernel_size",
    "subsample_length": "strides",
    "atrous_rate": "dilation_rate",
    "input_dtype": "dtype",
}

#: Renames that apply to one callable only (its name -> {old: new}), checked before RENAMES.
SPECIFIC: Mapping[str, Mapping[str, str]] = {
    "PReLU": {"init": "alpha_initializer"},
    "BatchNormalization": {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
    "LeakyReLU": {"alpha": "negative_slope"},
    "MaxPooling1D": {"pool_length": "pool_size", "stride": "strides"},
    "AveragePooling1D": {"pool_length": "pool_size", "stride": "strides"},
    "Embedding": {
        "init": "embeddings_initializer",
        "W_regularizer": "embeddings_regularizer",
        "W_constraint": "embeddings_constraint",
    },
    # Keras 1 named the forget gate's bias initializer; Keras 2 kept a flag for its 'one'.
    "LSTM": {"forget_bias_init": "unit_forget_bias"},
    "LSTMCell": {"forget_bias_init": "unit_forget_bias"},
}


def modernize(
    where: str, kwargs: dict[str, Any], allowed: set[str] | None = None
) -> dict[str, Any]:
    """Rename the Keras 1 arguments in ``kwargs`` for the callable named ``where``.

    Each renamed argument warns (a ``UserWarning``, so it is shown by default) with the modern
    spelling. ``allowed`` limits the renames to the
    modern names the callable accepts, so that e.g. ``bias`` is left alone where it means
    something else. Giving both spellings raises a ValueError.
    """
    table = {**RENAMES, **SPECIFIC.get(where, {})}
    out = dict(kwargs)
    for old, new in table.items():
        if old not in out or (allowed is not None and new not in allowed):
            continue
        if new in out:
            raise ValueError(
                f"{where} received both the Keras 1 argument `{old}` and its modern name "
                f"`{new}`. Pass only `{new}`."
            )
        value = out.pop(old)
        if old == "dim_ordering":
            value = {"tf": "channels_last", "th": "channels_first"}.get(value, value)
        if old == "bias":
            value = bool(value)
        if old == "forget_bias_init":
            value = value in ("one", "ones")
        out[new] = value
        warn(f"`{where}({old}=...)` is the Keras 1 spelling; use `{where}({new}=...)`.")
    return out


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _is_import_machinery(filename: str) -> bool:
    # warnings.warn skips the import system's frames when it counts ``stacklevel``, so they must
    # not count here either: a warning given while a legacy module is imported then points at
    # the user's import line.
    return "importlib" in filename and "_bootstrap" in filename


def warn(message: str) -> None:
    """A UserWarning pointing at the user's line: the first caller outside numkeras."""
    frame, level = sys._getframe(1), 2
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE_DIR)
        or _is_import_machinery(frame.f_code.co_filename)
    ):
        frame = frame.f_back
        if frame is not None and not _is_import_machinery(frame.f_code.co_filename):
            level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


def moved_module(old: str, new: str) -> None:
    """Warn that ``old``, a Keras 2 module path, has its names in ``new`` today.

    Called by the alias module ``old`` as it is imported, so the warning comes once per
    program, at the user's import line.
    """
    warn(f"`{old}` is the Keras 2 module path; import from `{new}`.")


def accepts_keras1_names(function: Callable, where: str, also: set[str] = frozenset()) -> Callable:
    """Wrap ``function`` so that the Keras 1 names of its keyword arguments are modernized.

    Only renames to parameters that ``function`` (or ``also``, the names its ``**kwargs`` pass
    on) accepts are applied; ``where`` names the callable in the warning.
    """
    allowed = set(inspect.signature(function).parameters) | set(also)

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **modernize(where, kwargs, allowed)) if kwargs else function(*args)

    return wrapped
