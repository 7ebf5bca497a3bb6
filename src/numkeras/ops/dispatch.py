"""Handing a public op's call to a layer above when its arguments are not values.

Keras 3 users call ``numkeras.ops`` functions on the symbolic tensors of a functional model
(``ops.concatenate([a, b], axis=-1)``), which have no value. The engine does not know such
tensors (they belong to ``numkeras.layers``); it only lets a handler take such calls over.
``numkeras.ops`` wraps each of its public functions with :func:`deferring` once, when it is
imported, so that each keeps one identity: the function runs as it is, and only when it raises
does the wrapper ask the handler registered with :func:`set_handler` whether the arguments are
its own; if they are, the handler's result is returned (the layers record an op node), else the
error stands. A call on tensors thus checks nothing: it pays one more Python call (about 0.15 µs
on an ``ops.add`` of two small tensors, which takes about 1.7 µs).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

Claims = Callable[[tuple, dict[str, Any]], bool]
Apply = Callable[[str, tuple, dict[str, Any]], Any]

#: ``(claims, apply)`` of the registered handler, or None while none is.
_handler: tuple[Claims, Apply] | None = None


def set_handler(claims: Claims, apply: Apply) -> None:
    """Register the handler of calls that fail on arguments it claims.

    Args:
        claims: ``claims(args, kwargs)``: whether the failed call's arguments are the handler's.
        apply: ``apply(name, args, kwargs)``: the result of ``numkeras.ops.<name>`` on them.
    """
    global _handler
    _handler = (claims, apply)


def deferring(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, the public op ``name``, handing a failed call to the handler when it claims
    the call's arguments."""

    @functools.wraps(function)
    def applied(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception:
            # Each op converts its inputs its own way, so it fails on a foreign argument in its
            # own way too: whatever the error, only now are the arguments looked at.
            if _handler is None or not _handler[0](args, kwargs):
                raise
        return _handler[1](name, args, kwargs)

    return applied


def defer_functions(namespace: dict[str, Any], names: list[str]) -> None:
    """Wrap each plain function of ``namespace`` named in ``names`` with :func:`deferring`."""
    for name in names:
        function = namespace[name]
        if isinstance(function, types.FunctionType):
            namespace[name] = deferring(name, function)
