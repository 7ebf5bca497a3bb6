"""Activation functions by name, each a differentiable function ``Tensor -> Tensor``.

Every activation is built from :mod:`numkeras.ops` (``leaky_relu``, ``elu`` and ``selu`` are one
fused op each, from :mod:`numkeras.ops.nn`), so it differentiates with no extra code.
Names, signatures and formulas are Keras 3's (``keras.activations``); ``get`` turns what a user
writes (``Dense(10, activation="relu")``) into the function::

    from numkeras import activations
    activations.get("relu")([-1.0, 2.0])      # Tensor([0., 2.])
    activations.serialize(activations.relu)    # 'relu'

The fused losses find a softmax output by the logits mark that ``ops.softmax`` leaves on it, so
:func:`softmax` is exactly ``ops.softmax`` and :func:`relu` with its default arguments is exactly
``ops.relu``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from . import ops, registry
from .ops.special import erf

Activation = Callable[..., ops.Tensor]


def linear(x: Any) -> ops.Tensor:
    """The identity, ``f(x) = x`` (the activation of a layer given ``activation=None``)."""
    return ops.convert_to_tensor(x)


def sigmoid(x: Any) -> ops.Tensor:
    """``sigmoid(x) = 1 / (1 + e^-x)``."""
    return ops.sigmoid(x)


def hard_sigmoid(x: Any) -> ops.Tensor:
    """``hard_sigmoid(x) = relu6(x + 3) / 6``: 0 below -3, 1 above 3, ``x/6 + 1/2`` between.

    This is Keras 3's formula (and PyTorch's ``hardsigmoid``); Keras 1 and 2 used
    ``clip(0.2 x + 0.5, 0, 1)``.
    """
    return relu6(ops.add(x, 3.0)) / 6.0


def tanh(x: Any) -> ops.Tensor:
    """``tanh(x) = (e^x - e^-x) / (e^x + e^-x)``."""
    return ops.tanh(x)


def relu(
    x: Any,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> ops.Tensor:
    """The rectified linear unit, ``max(x, 0)`` by default.

    With its arguments (Keras 3 semantics):
    ``f(x) = max_value`` for ``x >= max_value``, ``f(x) = x`` for ``threshold < x < max_value``,
    ``f(x) = negative_slope · (x - threshold)`` otherwise.

    Args:
        negative_slope: slope below the threshold. Defaults to ``0.0``.
        max_value: saturation value, or None for none. Defaults to ``None``.
        threshold: the value below which units are damped or set to zero. Defaults to ``0.0``.
    """
    if max_value is None and threshold == 0:
        return ops.relu(x) if negative_slope == 0 else leaky_relu(x, negative_slope)
    x = ops.convert_to_tensor(x)
    if threshold != 0:
        y = ops.where(x.data > threshold, x, 0.0)
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope != 0:
        y = y - ops.relu(threshold - x) * negative_slope
    return y


def relu6(x: Any) -> ops.Tensor:
    """``relu6(x) = min(max(x, 0), 6)``."""
    return ops.clip(x, 0.0, 6.0)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> ops.Tensor:
    """``leaky_relu(x) = x`` for ``x >= 0``, ``negative_slope · x`` below. Slope defaults to 0.2."""
    return ops.leaky_relu(x, negative_slope)


def elu(x: Any, alpha: float = 1.0) -> ops.Tensor:
    """``elu(x) = x`` for ``x > 0``, ``alpha · (e^x - 1)`` otherwise. ``alpha`` defaults to 1.0."""
    return ops.elu(x, alpha)


def selu(x: Any) -> ops.Tensor:
    """``selu(x) = scale · elu(x, alpha)`` with ``alpha ≈ 1.6733`` and ``scale ≈ 1.0507``.

    The constants (Klambauer et al., 2017) keep the mean and variance of the activations at 0 and
    1 across layers initialised with ``lecun_normal``.
    """
    return ops.selu(x)


def softplus(x: Any) -> ops.Tensor:
    """``softplus(x) = log(1 + e^x)``."""
    return ops.softplus(x)


def softsign(x: Any) -> ops.Tensor:
    """``softsign(x) = x / (|x| + 1)``."""
    return ops.divide(x, ops.abs(x) + 1.0)


def silu(x: Any) -> ops.Tensor:
    """``silu(x) = x · sigmoid(x)``, also known as ``swish``."""
    return ops.multiply(x, ops.sigmoid(x))


swish = silu


def gelu(x: Any, approximate: bool = False) -> ops.Tensor:
    """The Gaussian error linear unit, ``gelu(x) = x · Φ(x)`` with Φ the standard normal CDF.

    Exact (the default, as in Keras 3): ``0.5 x (1 + erf(x / √2))``.
    With ``approximate=True``: ``0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.
    """
    x = ops.convert_to_tensor(x)
    if approximate:
        inner = ops.tanh((x + x * x * x * 0.044715) * math.sqrt(2 / math.pi))
    else:
        inner = erf(x * math.sqrt(0.5))
    return x * (inner + 1.0) * 0.5


def exponential(x: Any) -> ops.Tensor:
    """``exponential(x) = e^x``."""
    return ops.exp(x)


def softmax(x: Any, axis: int = -1) -> ops.Tensor:
    """``softmax(x)_i = e^(x_i) / Σ_j e^(x_j)`` along ``axis`` (default: the last one)."""
    return ops.softmax(x, axis)


def log_softmax(x: Any, axis: int = -1) -> ops.Tensor:
    """``log_softmax(x)_i = x_i - log Σ_j e^(x_j)`` along ``axis`` (default: the last one)."""
    return ops.log_softmax(x, axis)


#: Every activation by name. Each function's own name comes first, so it is what serialize gives.
ACTIVATIONS: Mapping[str, Activation] = {
    fn.__name__: fn
    for fn in (
        linear,
        sigmoid,
        hard_sigmoid,
        tanh,
        relu,
        relu6,
        leaky_relu,
        elu,
        selu,
        softplus,
        softsign,
        silu,
        gelu,
        exponential,
        softmax,
        log_softmax,
    )
} | {"swish": silu}


@functools.cache
def family() -> registry.Family:
    """What an activation slot accepts from a config: numkeras's weightless activation layers
    (``Dense(64, activation=LeakyReLU(0.1))`` works as in Keras) and a callable class of the
    user's own; never a layer with weights, a loss or any other numkeras object."""
    from .layers.activation import WEIGHTLESS  # the layers import this module

    return registry.Family("activation", WEIGHTLESS, users_own=True)


def get(
    identifier: str | Activation | dict | None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Activation:
    """The activation that ``identifier`` names.

    ``None`` gives :func:`linear`; a name (case-insensitive) is looked up in
    :data:`ACTIVATIONS`; a callable is returned as it is; a config dict must name a class of
    :func:`family`. An unknown name raises a ValueError that lists the valid names.
    """
    if identifier is None:
        return linear
    return registry.resolve(identifier, ACTIVATIONS, family(), custom_objects=custom_objects)


def serialize(activation: Activation) -> Any:
    """The name of a built-in activation; for any other, :func:`numkeras.registry.serialize`."""
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    return registry.serialize(activation)


def deserialize(name: Any, custom_objects: Mapping[str, Any] | None = None) -> Activation:
    """The activation that :func:`serialize` described (the inverse of ``serialize``)."""
    return get(name, custom_objects)
