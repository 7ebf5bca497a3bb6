"""ONNX forms of numkeras's convolution, pooling and resampling layers.

ONNX's Conv, ConvTranspose, MaxPool, AveragePool and Resize take channels-first data, so a
channels-last layer (numkeras's default, as Keras's) transposes its input to channels first and
its output back. Keras's ``'same'`` padding puts the odd extra row after the data, which is
ONNX's ``SAME_UPPER``; ``'causal'`` pads ``(k - 1)·d`` steps before the sequence only; average
pooling over ``'same'`` padding leaves the padded cells out of the mean, as ONNX's AveragePool
does by default (``count_include_pad=0``). Kernels are transposed to ONNX's ``(out, in, *k)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.transposed_convolution import conv_transpose_crop, conv_transpose_length
from .onnx_activations import apply_activation, is_elementwise
from .onnx_graph import GraphBuilder, Shape, Unsupported, converts


def _channels_first(g: GraphBuilder, layer: Any, x: str) -> str:
    if layer.data_format == "channels_first":
        return x
    return g.channels_first(x, layer.rank, layer.name)


def _channels_last(g: GraphBuilder, layer: Any, y: str) -> str:
    if layer.data_format == "channels_first":
        return y
    return g.channels_last(y, layer.rank, layer.name)


def _window(layer: Any, kernel_size: tuple[int, ...], dilated: bool = True) -> dict[str, Any]:
    """Strides, dilations and padding of ``layer``'s window as ONNX attributes."""
    attributes: dict[str, Any] = {"kernel_shape": list(kernel_size), "strides": list(layer.strides)}
    if dilated:
        attributes["dilations"] = list(layer.dilation_rate)
    dilations = layer.dilation_rate if dilated else (1,) * len(kernel_size)
    spans = [d * (k - 1) for k, d in zip(kernel_size, dilations, strict=True)]
    if layer.padding == "same" and any(s > 1 for s in layer.strides):
        # The padding depends on the input's size: ONNX's SAME_UPPER computes it at run time,
        # but ONNX Runtime has it without dilations only (Keras allows no dilated strides).
        if any(d > 1 for d in dilations):
            raise Unsupported("padding='same' with both strides and dilation_rate above 1")
        attributes["auto_pad"] = "SAME_UPPER"
    elif layer.padding == "same":
        # Stride 1: `span` rows in all, the odd one after (ONNX Runtime refuses SAME_UPPER
        # with dilations, so the pads are written out).
        attributes["pads"] = [s // 2 for s in spans] + [s - s // 2 for s in spans]
    elif layer.padding == "causal":
        attributes["pads"] = [spans[0], 0]
    else:
        attributes["pads"] = [0] * (2 * len(kernel_size))
    return attributes


def _onnx_kernel(kernel: np.ndarray, rank: int) -> np.ndarray:
    """Keras's ``(*k, in, out)`` kernel as ONNX's ``(out, in, *k)``."""
    return kernel.transpose(rank + 1, rank, *range(rank))


def _bias(g: GraphBuilder, layer: Any) -> list[str]:
    return [] if layer.bias is None else [g.weight(layer, "bias")]


def _finish(g: GraphBuilder, layer: Any, y: str, shape: Shape) -> str:
    """The activation, then back to the layer's layout; an activation along an axis (softmax)
    comes after, on the axis it means."""
    if is_elementwise(layer.activation):
        y = apply_activation(g, y, layer.activation, shape, layer.name)
        return _channels_last(g, layer, y)
    return apply_activation(g, _channels_last(g, layer, y), layer.activation, shape, layer.name)


def _out_shape(layer: Any, shapes: list[Shape]) -> Shape:
    return layer.compute_output_shape(shapes[0])


@converts("Conv1D", "Conv2D", "Convolution2D")
def conv(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    kernel = g.weight(layer, "kernel", _onnx_kernel(layer.kernel.numpy(), layer.rank))
    x = _channels_first(g, layer, inputs[0])
    y = g.op(
        "Conv",
        [x, kernel, *_bias(g, layer)],
        layer.name,
        group=layer.groups,
        **_window(layer, layer.kernel_size),
    )
    return _finish(g, layer, y, _out_shape(layer, shapes))


def _depthwise_kernel(kernel: np.ndarray, rank: int) -> np.ndarray:
    """Keras's ``(*k, in, multiplier)`` depthwise kernel as ONNX's grouped ``(in·m, 1, *k)``:
    output channel ``c·m + j`` reads input channel ``c``, as in Keras."""
    flat = kernel.reshape(*kernel.shape[:rank], 1, -1)
    return _onnx_kernel(flat, rank)


def _depthwise(g: GraphBuilder, layer: Any, x: str, name: str, bias: list[str]) -> str:
    """The grouped ONNX Conv of ``layer``'s depthwise kernel (its weight ``name``) on ``x``."""
    value = getattr(layer, name).numpy()
    kernel = g.weight(layer, name, _depthwise_kernel(value, layer.rank))
    return g.op(
        "Conv",
        [_channels_first(g, layer, x), kernel, *bias],
        layer.name,
        group=value.shape[layer.rank],
        **_window(layer, layer.kernel_size),
    )


@converts("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise_conv(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    y = _depthwise(g, layer, inputs[0], "kernel", _bias(g, layer))
    return _finish(g, layer, y, _out_shape(layer, shapes))


@converts("SeparableConv1D", "SeparableConv2D")
def separable_conv(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """The depthwise convolution, then the pointwise (1×1) one with the bias."""
    y = _depthwise(g, layer, inputs[0], "depthwise_kernel", [])
    pointwise_value = _onnx_kernel(layer.pointwise_kernel.numpy(), layer.rank)
    pointwise = g.weight(layer, "pointwise_kernel", pointwise_value)
    y = g.op("Conv", [y, pointwise, *_bias(g, layer)], layer.name, kernel_shape=[1] * layer.rank)
    return _finish(g, layer, y, _out_shape(layer, shapes))


@converts("Conv1DTranspose", "Conv2DTranspose", "Convolution1DTranspose", "Convolution2DTranspose")
def conv_transpose(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """ONNX ConvTranspose with explicit pads: numkeras (Keras) cuts ``crop`` positions before
    the full output and keeps as many as its output length; what it keeps beyond the full
    output is ONNX's ``output_padding``. Both are the same for every input length."""
    rank = layer.rank
    pads_before, pads_after, extra = [], [], []
    for axis in range(rank):
        k, s, d = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
        given = None if layer.output_padding is None else layer.output_padding[axis]
        crop = conv_transpose_crop(k, s, d, layer.padding, given)
        full = d * (k - 1) + 1  # the full output of a one-position input
        after = full - crop - conv_transpose_length(1, k, s, d, layer.padding, given)
        pads_before.append(crop)
        pads_after.append(max(after, 0))
        extra.append(max(-after, 0))
    if any(e >= s for e, s in zip(extra, layer.strides, strict=True)):
        raise Unsupported(f"its output size needs output_padding={extra} of at least the strides")
    # Keras's (*k, out, in) kernel is ONNX's (in, out, *k): the same axis order as Conv's.
    kernel = g.weight(layer, "kernel", _onnx_kernel(layer.kernel.numpy(), rank))
    y = g.op(
        "ConvTranspose",
        [_channels_first(g, layer, inputs[0]), kernel, *_bias(g, layer)],
        layer.name,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=pads_before + pads_after,
        output_padding=extra,
    )
    return _finish(g, layer, y, _out_shape(layer, shapes))


@converts("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
def pooling(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    op_type = "MaxPool" if layer.mode == "max" else "AveragePool"
    y = g.op(
        op_type,
        [_channels_first(g, layer, inputs[0])],
        layer.name,
        **_window(layer, layer.pool_size, dilated=False),
    )
    return _channels_last(g, layer, y)


@converts(
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
)
def global_pooling(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    if inputs[0] in g.masked:
        raise Unsupported("its input carries a mask, which ONNX cannot apply to the mean")
    op_type = "ReduceMax" if type(layer).__name__.startswith("GlobalMax") else "ReduceMean"
    return g.reduce(op_type, inputs[0], layer._axes, layer.name, keepdims=layer.keepdims)


@converts("UpSampling1D", "UpSampling2D")
def upsampling(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> str:
    """ONNX Resize on channels-first data: ``'nearest'`` repeats each row (output ``i`` reads
    input ``floor(i / size)``); ``'bilinear'`` blends with pixel centres aligned (half-pixel),
    as Keras 3's resize does."""
    sizes = layer.size if isinstance(layer.size, tuple) else (layer.size,)
    if getattr(layer, "interpolation", "nearest") == "nearest":
        mode = {"mode": "nearest", "nearest_mode": "floor"}
        mode["coordinate_transformation_mode"] = "asymmetric"
    else:
        mode = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    scales = g.constant([1.0, 1.0, *sizes], f"{layer.name}/scales")
    x = _channels_first(g, layer, inputs[0])
    y = g.op("Resize", [x, "", scales], layer.name, **mode)
    return _channels_last(g, layer, y)
