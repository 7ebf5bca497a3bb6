"""ONNX forms of numkeras's core, normalization, merging, reshaping and preprocessing layers.

Layers that only act in training (dropout and noise layers, activity regularization) export as
the identity, as they compute at inference. Each converter reads the layer's configuration and
its current weights; none runs the layer.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .. import backend
from ..layers.conv import spatial_axes
from .onnx_activations import apply_activation
from .onnx_graph import (
    INT64_MAX,
    GraphBuilder,
    Shape,
    Unsupported,
    converter_for,
    converts,
    static_size,
)


@converts(
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
    # Keras 3's augmentation layers pass images through unchanged at inference.
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomContrast",
)
def identity(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> list[str]:
    return [g.op("Identity", [x], layer.name) for x in inputs]


@converts("Dense")
def dense(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """``activation(x @ kernel + bias)`` on the last axis, whatever the input's rank."""
    y = g.op("MatMul", [inputs[0], g.weight(layer, "kernel")], layer.name)
    if layer.bias is not None:
        y = g.op("Add", [y, g.weight(layer, "bias")], layer.name)
    return apply_activation(g, y, layer.activation, (*shapes[0][:-1], layer.units), layer.name)


@converts("Flatten")
def flatten(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    x, ndim = inputs[0], len(shapes[0])
    if layer.data_format == "channels_first" and ndim > 2:
        # numkeras (as Keras) flattens channels-first data in channels-last order.
        x = g.transpose(x, [0, *range(2, ndim), 1], layer.name)
    return g.op("Flatten", [x], layer.name, axis=1)


@converts("Reshape")
def reshape(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.reshape(inputs[0], [0, *layer.target_shape], layer.name)


@converts("Permute")
def permute(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.transpose(inputs[0], [0, *layer.dims], layer.name)


@converts("RepeatVector")
def repeat_vector(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    x = g.unsqueeze(inputs[0], [1], layer.name)
    return g.op("Tile", [x, g.ints([1, layer.n, 1], f"{layer.name}/repeats")], layer.name)


def _pairs_by_axis(layer: Any, ndim: int) -> dict[int, tuple[int, int]]:
    """The ``(before, after)`` widths of a ZeroPadding/Cropping layer by input axis."""
    return dict(zip(spatial_axes(layer.rank, layer.data_format), layer._widths, strict=True))


@converts("ZeroPadding1D", "ZeroPadding2D")
def zero_padding(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    ndim = len(shapes[0])
    widths = _pairs_by_axis(layer, ndim)
    begins = [widths.get(a, (0, 0))[0] for a in range(ndim)]
    ends = [widths.get(a, (0, 0))[1] for a in range(ndim)]
    return g.op("Pad", [inputs[0], g.ints(begins + ends, f"{layer.name}/pads")], layer.name)


@converts("Cropping1D", "Cropping2D")
def cropping(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    widths = _pairs_by_axis(layer, len(shapes[0]))
    axes = list(widths)
    starts = [widths[a][0] for a in axes]
    ends = [-widths[a][1] if widths[a][1] else INT64_MAX for a in axes]
    return g.slice(inputs[0], starts, ends, axes, layer.name)


def _channel_broadcast(values: np.ndarray, axes: list[int], ndim: int) -> np.ndarray:
    """``values`` (the sizes of ``axes``) reshaped to broadcast over inputs of rank ``ndim``."""
    shape = [values.shape[axes.index(a)] if a in axes else 1 for a in range(ndim)]
    return values.reshape(shape)


@converts("BatchNormalization")
def batch_normalization(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """The inference form, ``(x - moving_mean) · γ / √(moving_variance + ε) + β``, folded into
    one scale and one offset per channel (computed in float64, then rounded once)."""
    ndim = len(shapes[0])
    mean = layer.moving_mean.numpy().astype(np.float64)
    scale = 1.0 / np.sqrt(layer.moving_variance.numpy().astype(np.float64) + layer.epsilon)
    if layer.gamma is not None:
        scale = scale * layer.gamma.numpy()
    offset = -mean * scale
    if layer.beta is not None:
        offset = offset + layer.beta.numpy()
    axes = [layer.axis % ndim]
    y = g.op(
        "Mul",
        [inputs[0], g.constant(_channel_broadcast(scale, axes, ndim), f"{layer.name}/scale")],
        layer.name,
    )
    bias = g.constant(_channel_broadcast(offset, axes, ndim), f"{layer.name}/offset")
    return g.op("Add", [y, bias], layer.name)


def _scale_and_offset(g: GraphBuilder, layer: Any, x: str) -> str:
    """``x · γ + β`` with γ, β reshaped as the layer broadcasts them (either may be absent)."""
    for what, op_type in (("gamma", "Mul"), ("beta", "Add")):
        variable = getattr(layer, what)
        if variable is not None:
            value = variable.numpy().reshape(layer._broadcast)
            x = g.op(op_type, [x, g.weight(layer, what, value)], layer.name)
    return x


def _standardized(
    g: GraphBuilder, x: str, axes: list[int], epsilon: float, hint: str, center: bool = True
) -> str:
    """``(x - μ) / √(σ² + ε)`` over ``axes`` (``x / √(σ² + ε)`` without ``center``)."""
    centred = g.op("Sub", [x, g.reduce("ReduceMean", x, axes, hint)], hint)
    variance = g.reduce("ReduceMean", g.op("Mul", [centred, centred], hint), axes, hint)
    std = g.op("Sqrt", [g.op("Add", [variance, g.constant(epsilon, f"{hint}/eps")], hint)], hint)
    return g.op("Div", [centred if center else x, std], hint)


@converts("LayerNormalization")
def layer_normalization(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """``(x - μ) / √(σ² + ε) · γ + β`` over the layer's axes (``x / √(σ² + ε) · γ`` with
    ``rms_scaling``, σ² still the variance, as numkeras and Keras compute it)."""
    y = _standardized(
        g, inputs[0], list(layer._axes), layer.epsilon, layer.name, not layer.rms_scaling
    )
    return _scale_and_offset(g, layer, y)


@converts("GroupNormalization")
def group_normalization(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """The channel axis split into ``(groups, channels per group)``, standardized over all
    but the batch and group axes, merged back, then ``· γ + β``."""
    shape, axis, groups, hint = shapes[0], layer._channel_axis, layer._group_count, layer.name
    after = [-1 if n is None else n for n in shape[axis + 1 :]]
    if after.count(-1) > 1:
        raise Unsupported(f"it needs the sizes after its channel axis; input shape {shape}")
    # 0 keeps an input size: the axes before the channel axis keep their positions.
    grouped = g.reshape(inputs[0], [0] * axis + [groups, shape[axis] // groups, *after], hint)
    axes = [a for a in range(1, len(shape) + 1) if a != axis]
    y = _standardized(g, grouped, axes, layer.epsilon, hint)
    y = g.op("Reshape", [y, g.op("Shape", [inputs[0]], hint)], hint)
    return _scale_and_offset(g, layer, y)


@converts("Maxout")
def maxout(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """``max over pieces of (x @ kernel + bias)`` reshaped to ``(..., pieces, units)``."""
    z = g.op("MatMul", [inputs[0], g.weight(layer, "kernel")], layer.name)
    if layer.bias is not None:
        z = g.op("Add", [z, g.weight(layer, "bias")], layer.name)
    pieces = g.reshape(z, [0] * (len(shapes[0]) - 1) + [layer.pieces, layer.units], layer.name)
    return g.reduce("ReduceMax", pieces, [-2], layer.name, keepdims=False)


@converts("Embedding")
def embedding(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    ids = g.op("Cast", [inputs[0]], layer.name, to=g.onnx.TensorProto.INT64)
    y = g.op("Gather", [g.weight(layer, "embeddings"), ids], layer.name)
    if layer.mask_zero:
        g.masked.add(y)
    return y


def _variadic(op_type: str) -> Any:
    def convert(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
        return g.op(op_type, inputs, layer.name)

    return convert


converts("Add")(_variadic("Sum"))
converts("Maximum")(_variadic("Max"))
converts("Minimum")(_variadic("Min"))


@converts("Subtract")
def subtract(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.op("Sub", inputs, layer.name)


@converts("Multiply")
def multiply(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    y = inputs[0]
    for x in inputs[1:]:
        y = g.op("Mul", [y, x], layer.name)
    return y


@converts("Average")
def average(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    total = g.op("Sum", inputs, layer.name)
    return g.op("Div", [total, g.constant(len(inputs), f"{layer.name}/count")], layer.name)


@converts("Concatenate")
def concatenate(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return g.op("Concat", inputs, layer.name, axis=layer.axis)


def _l2_normalized(g: GraphBuilder, x: str, axes: list[int], floor: float, hint: str) -> str:
    """``x / √max(Σx², floor)`` over ``axes``, as numkeras's Dot (``normalize``) and
    UnitNormalization compute it."""
    squares = g.reduce("ReduceSum", g.op("Mul", [x, x], hint), axes, hint)
    bound = g.constant(floor, f"{hint}/floor")
    return g.op("Div", [x, g.op("Sqrt", [g.op("Max", [squares, bound], hint)], hint)], hint)


@converts("UnitNormalization")
def unit_normalization(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    return _l2_normalized(g, inputs[0], list(layer._axes), 1e-24, layer.name)


@converts("Dot")
def dot(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """One Einsum over the batch and the contracted axis, as numkeras computes Dot."""
    (x, y), hint = inputs, layer.name
    ax, ay = layer._axes_of([tuple(s) for s in shapes])
    if layer.normalize:
        floor = backend.epsilon() ** 2
        x, y = _l2_normalized(g, x, [ax], floor, hint), _l2_normalized(g, y, [ay], floor, hint)
    labels = iter(string.ascii_lowercase[2:])
    free_x = [next(labels) for _ in shapes[0]]
    free_y = [next(labels) for _ in shapes[1]]
    free_x[0] = free_y[0] = "a"
    free_x[ax] = free_y[ay] = "b"
    out = "a" + "".join(free_x[1:ax] + free_x[ax + 1 :] + free_y[1:ay] + free_y[ay + 1 :])
    result = g.op("Einsum", [x, y], hint, equation=f"{''.join(free_x)},{''.join(free_y)}->{out}")
    return g.unsqueeze(result, [1], hint) if len(out) == 1 else result


@converts("Rescaling")
def rescaling(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    scale = g.constant(layer._constant(layer.scale), f"{layer.name}/scale")
    offset = g.constant(layer._constant(layer.offset), f"{layer.name}/offset")
    return g.op("Add", [g.op("Mul", [inputs[0], scale], layer.name), offset], layer.name)


@converts("Normalization")
def normalization(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """``(x - mean) / max(√variance, ε)`` (``mean + x · max(√variance, ε)`` with ``invert``)."""
    # The statistics are weights once adapted, plain arrays when given to the constructor.
    mean, variance = (
        np.asarray(v.numpy() if hasattr(v, "numpy") else v).reshape(layer._broadcast)
        for v in (layer.mean, layer.variance)
    )
    std = np.maximum(np.sqrt(variance), backend.epsilon())
    mean_c = g.constant(mean, f"{layer.name}/mean")
    std_c = g.constant(std, f"{layer.name}/std")
    if layer.invert:
        return g.op("Add", [mean_c, g.op("Mul", [inputs[0], std_c], layer.name)], layer.name)
    return g.op("Div", [g.op("Sub", [inputs[0], mean_c], layer.name), std_c], layer.name)


@converts("TimeDistributed")
def time_distributed(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """The wrapped layer on the steps folded into the batch, ``(batch·time, ...)``, then
    unfolded: the batch and time sizes are read from the input at run time."""
    inner = layer.layer
    convert = converter_for(inner)
    if convert is None:
        raise Unsupported(f"the layer it wraps, {type(inner).__name__}, has no ONNX form")
    shape, hint = shapes[0], layer.name
    step_shape = (None, *shape[2:])
    for axis in range(2, len(shape)):
        static_size(shape, axis, layer, "step size")
    steps = g.reshape(inputs[0], [-1, *shape[2:]], hint)
    result = convert(g, inner, [steps], [step_shape])
    y = result if isinstance(result, str) else result[0]
    batch_time = g.slice(g.op("Shape", [inputs[0]], hint), [0], [2], [0], hint)
    per_step = g.slice(g.op("Shape", [y], hint), [1], [INT64_MAX], [0], hint)
    target = g.op("Concat", [batch_time, per_step], hint, axis=0)
    return g.op("Reshape", [y, target], hint)


#: The ``numkeras.ops`` functions of an op node (``a + b``, ``2 * x``, ``ops.exp(x)``) with an
#: elementwise ONNX operator, by the number of operands.
_OP_NODES = {
    2: {
        "add": "Add",
        "subtract": "Sub",
        "multiply": "Mul",
        "divide": "Div",
        "true_divide": "Div",
        "maximum": "Max",
        "minimum": "Min",
        "power": "Pow",
    },
    1: {
        "negative": "Neg",
        "abs": "Abs",
        "exp": "Exp",
        "log": "Log",
        "sqrt": "Sqrt",
        "tanh": "Tanh",
        "sigmoid": "Sigmoid",
        "relu": "Relu",
    },
}


@converts("OpLayer")
def op_node(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """An elementwise op node on tensors and constants (numbers or arrays)."""
    args, kwargs = layer.template.to_json()
    op_type = _OP_NODES.get(len(args), {}).get(layer.function)
    if op_type is None or kwargs:
        raise Unsupported(f"ops.{layer.function} with these arguments has no ONNX form here")
    operands = []
    for arg in args:
        if isinstance(arg, dict) and "__tensor__" in arg:
            operands.append(inputs[arg["__tensor__"]])
        elif isinstance(arg, dict):
            operands.append(g.constant(arg["__array__"], f"{layer.name}/constant"))
        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
            operands.append(g.constant(arg, f"{layer.name}/constant"))
        else:
            raise Unsupported(f"its operand {arg!r:.50} has no ONNX form")
    return g.op(op_type, operands, layer.name)
