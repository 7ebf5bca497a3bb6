"""Keras 3's automatic config of a user's layer or model subclass that defines no ``get_config``.

Keras 3 (``keras/src/ops/operation.py``, ``Operation.__new__`` and ``get_config``) records the
arguments each such object is constructed with, bound to its class's ``__init__`` signature with
the defaults filled in and ``**kwargs`` spread out, when every value is plain JSON data: strings,
numbers, booleans and None, in lists, tuples and dicts. Its config is then the base config
(``name``, ``trainable``, ``dtype``, ...) with those arguments, which ``cls(**config)`` rebuilds.
Any other argument (a layer, an array, a function), a positional-only parameter or values passed
to ``*args`` leave it without a config: ``get_config`` raises NotImplementedError, as in Keras.

One deliberate difference: the base keys that such an ``__init__`` cannot take (it has no
``**kwargs``, say ``def __init__(self)``) are left out, so that the config always rebuilds the
object; Keras 3.15 keeps ``trainable`` and ``dtype`` there and then fails to load its own file.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

#: The values Keras 3 records (the leaves of nested lists, tuples and dicts).
_PLAIN = (str, int, float, bool, type(None))

_HOW_TO = (
    "define get_config() returning the arguments of its __init__ (and from_config if they need "
    "rebuilding), e.g. `return {**super().get_config(), 'units': self.units}`."
)


class Recorded(NamedTuple):
    """What a construction left: the ``__init__`` arguments (None when they cannot be
    recorded) and, then, why not."""

    arguments: dict[str, Any] | None
    problem: str = ""


def record(signature: inspect.Signature, args: tuple, kwargs: dict[str, Any]) -> Recorded:
    """The arguments of one construction, ``cls(*args, **kwargs)``, as Keras 3 records them
    (``signature`` is that of ``cls.__init__``, ``self`` included)."""
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError as error:  # __init__ itself raises this, unless a wrapper renamed them
        return Recorded(None, f"its arguments do not match its __init__ ({error})")
    this, *parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in parameters):
        return Recorded(None, "its __init__ has positional-only parameters")
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments[this.name]
    for p in parameters:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            arguments |= arguments.pop(p.name)
        elif p.kind is inspect.Parameter.VAR_POSITIONAL and arguments.pop(p.name):
            return Recorded(None, f"it was given values for *{p.name}")
    arguments.pop("name", None)  # the base config gives the name
    for key, value in arguments.items():
        if not _is_plain(value):
            return Recorded(None, f"its argument {key}={value!r:.80} is not plain JSON data")
    return Recorded(arguments)


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def config(
    obj: Any, base: dict[str, Any], signature: inspect.Signature, recorded: Recorded | None
) -> dict[str, Any]:
    """``obj``'s config: ``base`` with its recorded ``__init__`` arguments (``base`` wins where
    both give a key, as in Keras), less the base keys its ``__init__`` (of ``signature``)
    cannot take.

    Raises:
        NotImplementedError: naming the class and the reason, when nothing was recorded.
    """
    if recorded is None or recorded.arguments is None:
        why = recorded.problem if recorded is not None else "it was not constructed normally"
        raise NotImplementedError(
            f"{type(obj).__name__} defines no get_config(), and numkeras cannot describe it by "
            f"the arguments of its __init__ (as Keras 3 does) because {why}. To save it, "
            f"{_HOW_TO} Or save its weights alone with save_weights()."
        )
    parameters = signature.parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        base = {k: v for k, v in base.items() if k in parameters}
    return {**recorded.arguments, **base}
