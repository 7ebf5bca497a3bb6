"""ONNX forms of numkeras's activation functions and activation layers.

Each form computes exactly what the numkeras function computes (Keras 3's formulas), up to
float32 rounding: ``hard_sigmoid`` is Keras 3's ``relu6(x + 3) / 6`` (ONNX HardSigmoid with
alpha 1/6, beta 1/2), ``gelu`` is the exact ``0.5 x (1 + erf(x / √2))``, ``silu``/``swish`` is
``x · sigmoid(x)``, softmax and log-softmax act on the last axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import activations
from ..ops.nn import SELU_ALPHA, SELU_SCALE
from .onnx_graph import GraphBuilder, Shape, Unsupported, converter_for, converts

Emitter = Callable[[GraphBuilder, str, str], str]


def _unary(op_type: str, **attributes: Any) -> Emitter:
    return lambda g, x, hint: g.op(op_type, [x], hint, **attributes)


def _clip(low: float, high: float) -> Emitter:
    def emit(g: GraphBuilder, x: str, hint: str) -> str:
        bounds = [g.constant(low, f"{hint}/min"), g.constant(high, f"{hint}/max")]
        return g.op("Clip", [x, *bounds], hint)

    return emit


def _silu(g: GraphBuilder, x: str, hint: str) -> str:
    return g.op("Mul", [x, g.op("Sigmoid", [x], hint)], hint)


def _gelu(g: GraphBuilder, x: str, hint: str) -> str:
    # 0.5 x (1 + erf(x / √2)): the Gelu operator is opset 20, Erf is in every opset we write.
    scaled = g.op("Mul", [x, g.constant(math.sqrt(0.5), f"{hint}/rsqrt2")], hint)
    inner = g.op("Add", [g.op("Erf", [scaled], hint), g.constant(1.0, f"{hint}/one")], hint)
    return g.op("Mul", [g.op("Mul", [x, inner], hint), g.constant(0.5, f"{hint}/half")], hint)


#: The ONNX form of each activation function numkeras has, by the function itself.
EMITTERS: dict[Callable[..., Any], Emitter] = {
    activations.linear: lambda g, x, hint: x,
    activations.sigmoid: _unary("Sigmoid"),
    activations.hard_sigmoid: _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    activations.tanh: _unary("Tanh"),
    activations.relu: _unary("Relu"),
    activations.relu6: _clip(0.0, 6.0),
    activations.leaky_relu: _unary("LeakyRelu", alpha=0.2),
    activations.elu: _unary("Elu", alpha=1.0),
    activations.selu: _unary("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    activations.softplus: _unary("Softplus"),
    activations.softsign: _unary("Softsign"),
    activations.silu: _silu,
    activations.gelu: _gelu,
    activations.exponential: _unary("Exp"),
    activations.softmax: _unary("Softmax", axis=-1),
    activations.log_softmax: _unary("LogSoftmax", axis=-1),
}


def is_elementwise(activation: Any) -> bool:
    """Whether ``activation`` acts on each value alone (so it may run in any layout)."""
    if activation in EMITTERS:
        return activation not in (activations.softmax, activations.log_softmax)
    return converter_for(activation) is not None and type(activation).__name__ in (
        "ReLU",
        "LeakyReLU",
        "ELU",
    )


def apply_activation(g: GraphBuilder, x: str, activation: Any, shape: Shape, hint: str) -> str:
    """``activation(x)`` in ONNX: a numkeras activation function, or a weightless activation
    layer used as one (``Dense(8, activation=LeakyReLU(0.1))``). Unsupported otherwise."""
    emit = EMITTERS.get(activation)
    if emit is not None:
        return emit(g, x, hint)
    convert = converter_for(activation)
    if convert is not None:
        return convert(g, activation, [x], [shape])
    name = getattr(activation, "__name__", type(activation).__name__)
    raise Unsupported(f"its activation {name!r} has no ONNX form")


@converts("Activation")
def activation_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return apply_activation(g, inputs[0], layer.activation, shapes[0], layer.name)


@converts("ReLU")
def relu_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """Keras 3's ReLU, built as numkeras's ``activations.relu`` builds it: a thresholded
    ReLU, clipped to ``[0, max_value]``, minus ``negative_slope · relu(threshold - x)``."""
    x, hint = inputs[0], layer.name
    slope, max_value, threshold = layer.negative_slope, layer.max_value, layer.threshold
    if max_value is None and threshold == 0:
        return g.op("LeakyRelu", [x], hint, alpha=slope) if slope else g.op("Relu", [x], hint)
    if threshold:
        above = g.op("Greater", [x, g.constant(threshold, f"{hint}/threshold")], hint)
        y = g.op("Where", [above, x, g.constant(0.0, f"{hint}/zero")], hint)
    else:
        y = g.op("Relu", [x], hint)
    if max_value is not None:
        y = _clip(0.0, max_value)(g, y, hint)
    if slope:
        below = g.op("Relu", [g.op("Sub", [g.constant(threshold, f"{hint}/t"), x], hint)], hint)
        y = g.op("Sub", [y, g.op("Mul", [below, g.constant(slope, f"{hint}/slope")], hint)], hint)
    return y


@converts("LeakyReLU")
def leaky_relu_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.op("LeakyRelu", inputs, layer.name, alpha=layer.negative_slope)


@converts("ELU")
def elu_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.op("Elu", inputs, layer.name, alpha=layer.alpha)


@converts("PReLU")
def prelu_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    # alpha has the shape of one sample (1 on shared axes): it broadcasts over the batch.
    return g.op("PRelu", [inputs[0], g.weight(layer, "alpha")], layer.name)


@converts("Softmax")
def softmax_layer(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    x, hint = inputs[0], layer.name
    if not isinstance(layer.axis, tuple):
        return g.op("Softmax", [x], hint, axis=layer.axis)
    # Over several axes: e^(x - max) / Σ e^(x - max), each reduction over all of them.
    axes = [a % len(shapes[0]) for a in layer.axis]
    shifted = g.op("Sub", [x, g.reduce("ReduceMax", x, axes, hint)], hint)
    exp = g.op("Exp", [shifted], hint)
    return g.op("Div", [exp, g.reduce("ReduceSum", exp, axes, hint)], hint)
