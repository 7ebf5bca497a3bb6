"""ONNX forms of SimpleRNN, LSTM, GRU and Bidirectional: ONNX's RNN, LSTM and GRU operators.

The weights map as follows (``W = kernelᵀ``, ``R = recurrent_kernelᵀ``, per direction):

* SimpleRNN -> RNN: ``h_t = f(x_t W + h_{t-1} R + b)``, the bias as ONNX's input bias.
* LSTM -> LSTM: Keras's gate order i, f, c, o becomes ONNX's i, o, f, c; the activations are
  ``(recurrent_activation, activation, activation)``.
* GRU -> GRU: the gate order z, r, h is the same; Keras 3's ``reset_after=True`` (a recurrent
  bias inside the reset product) is ONNX's ``linear_before_reset=1`` with the layer's two bias
  rows as input and recurrent bias; ``reset_after=False`` (Keras 1/2) is
  ``linear_before_reset=0``.

ONNX's operators read time-major ``(time, batch, features)`` data, so the input is transposed;
the time axis may stay dynamic. ``go_backwards`` is ONNX's ``reverse`` direction, whose output
sequence is in input order while Keras returns it in the order read, so it is flipped back.
``Bidirectional`` is ONNX's ``bidirectional`` direction, its two outputs merged as
``merge_mode`` says. Refused: stateful layers (their state outlives a call), masked inputs
(ONNX's ``sequence_lens`` only masks trailing steps), ``return_state`` of a Bidirectional, and
activations other than those the operators have (sigmoid, tanh, relu, softsign, softplus).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations
from .onnx_graph import INT64_MAX, GraphBuilder, Shape, Unsupported, converts

#: Per layer class: the ONNX operator, the order of Keras's gate blocks in ONNX's, and the
#: number of states (outputs after Y).
_KINDS = {
    "SimpleRNN": ("RNN", (0,), 1),
    "LSTM": ("LSTM", (0, 3, 1, 2), 2),
    "GRU": ("GRU", (0, 1, 2), 1),
}

#: The activations ONNX's recurrent operators apply without parameters.
_ACTIVATIONS = {
    activations.sigmoid: "Sigmoid",
    activations.tanh: "Tanh",
    activations.relu: "Relu",
    activations.softsign: "Softsign",
    activations.softplus: "Softplus",
}


def _activation_names(layer: Any) -> list[str]:
    """The ONNX names of the layer's activations, in the operator's order."""
    kind = type(layer).__name__
    functions = [layer.activation]
    if kind != "SimpleRNN":
        functions = [layer.recurrent_activation, layer.activation]
    if kind == "LSTM":
        functions.append(layer.activation)
    names = []
    for function in functions:
        if function not in _ACTIVATIONS:
            name = getattr(function, "__name__", type(function).__name__)
            raise Unsupported(f"ONNX's {_KINDS[kind][0]} has no activation {name!r}")
        names.append(_ACTIVATIONS[function])
    return names


def _reorder(matrix: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """``matrix`` (gate blocks along its last axis) with its blocks in ONNX's ``order``."""
    blocks = np.split(matrix, len(order), axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1)


def _direction_weights(layer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONNX's ``W``, ``R`` and ``B`` (input then recurrent bias) of one direction."""
    _, order, _ = _KINDS[type(layer).__name__]
    kernel, recurrent = layer.kernel.numpy(), layer.recurrent_kernel.numpy()
    width = kernel.shape[1]
    if layer.bias is None:
        bias = np.zeros((2, width), np.float32)
    else:
        value = layer.bias.numpy()
        # GRU's reset_after bias already has its two rows; the others add a zero recurrent one.
        bias = value if value.ndim == 2 else np.stack([value, np.zeros_like(value)])
    return (
        _reorder(kernel, order).T,
        _reorder(recurrent, order).T,
        _reorder(bias, order).reshape(-1),
    )


def _check(g: GraphBuilder, layer: Any, x: str) -> None:
    if layer.stateful:
        raise Unsupported("it is stateful: its state carries over from call to call")
    if x in g.masked:
        raise Unsupported("its input carries a mask, which ONNX's operators cannot apply")


def _run(g: GraphBuilder, layers: list[Any], x: str, direction: str, hint: str) -> list[str]:
    """The ONNX operator over ``x`` (batch major) for one direction per layer in ``layers``;
    its outputs ``[Y (time, dirs, batch, units), Y_h (dirs, batch, units), (Y_c)]``."""
    first = layers[0]
    op_type, _, states = _KINDS[type(first).__name__]
    weights = [_direction_weights(layer) for layer in layers]
    inputs = [
        g.transpose(x, [1, 0, 2], hint),
        *(g.constant(np.stack(part), f"{hint}/{what}") for part, what in zip(zip(*weights), "WRB")),
    ]
    attributes: dict[str, Any] = {
        "hidden_size": first.units,
        "direction": direction,
        "activations": _activation_names(first) * len(layers),
    }
    if op_type == "GRU":
        attributes["linear_before_reset"] = int(first.reset_after)
    return g.op(op_type, inputs, hint, outputs=1 + states, **attributes)


def _flip_time(g: GraphBuilder, y: str, hint: str) -> str:
    """``y`` (batch, time, ...) with its steps in reverse order."""
    return g.slice(y, [-1], [-INT64_MAX], [1], hint, steps=[-1])


@converts("SimpleRNN", "LSTM", "GRU")
def recurrent(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> Any:
    _check(g, layer, inputs[0])
    hint = layer.name
    _activation_names(layer)  # refuses an activation the operator lacks, before any node
    direction = "reverse" if layer.go_backwards else "forward"
    y, y_h, *y_c = _run(g, [layer], inputs[0], direction, hint)
    if layer.return_sequences:
        output = g.transpose(g.squeeze(y, [1], hint), [1, 0, 2], hint)
        if layer.go_backwards:
            output = _flip_time(g, output, hint)
    else:
        output = g.squeeze(y_h, [0], hint)
    if not layer.return_state:
        return output
    return [output, *(g.squeeze(state, [0], hint) for state in [y_h, *y_c])]


def _merge(g: GraphBuilder, both: str, axis: int, mode: str | None, hint: str) -> Any:
    """The forward and backward outputs, stacked on ``axis`` of ``both``, merged."""
    if mode is None:
        parts = g.op("Split", [both], hint, 2, axis=axis, num_outputs=2)
        return [g.squeeze(part, [axis], hint) for part in parts]
    if mode == "concat":
        # (..., 2, units) -> (..., 2·units): the forward units first, as Keras concatenates.
        return g.reshape(both, [0] * axis + [-1], hint)
    reduce = {"sum": "ReduceSum", "ave": "ReduceMean", "mul": "ReduceProd"}[mode]
    return g.reduce(reduce, both, [axis], hint, keepdims=False)


@converts("Bidirectional")
def bidirectional(g: GraphBuilder, layer: Any, inputs: list[str], shapes: list[Shape]) -> Any:
    forward, backward = layer.forward_layer, layer.backward_layer
    kind = type(forward).__name__
    if kind not in _KINDS or type(backward) is not type(forward):
        raise Unsupported(
            f"it wraps {kind} and {type(backward).__name__}; ONNX's bidirectional operators "
            "need one SimpleRNN, LSTM or GRU in both directions"
        )
    if _activation_names(forward) != _activation_names(backward) or (
        getattr(forward, "reset_after", None) != getattr(backward, "reset_after", None)
    ):
        raise Unsupported("its two directions differ in activation or reset_after")
    if layer.return_state:
        raise Unsupported("return_state=True is not exported for Bidirectional")
    if forward.go_backwards:
        raise Unsupported("its forward layer has go_backwards=True")
    for direction in (forward, backward):
        _check(g, direction, inputs[0])
    hint = layer.name
    y, y_h, *_ = _run(g, [forward, backward], inputs[0], "bidirectional", hint)
    if layer.return_sequences:
        # ONNX's backward sequence is already in input order, as Bidirectional flips it.
        return _merge(g, g.transpose(y, [2, 0, 1, 3], hint), 2, layer.merge_mode, hint)
    return _merge(g, g.transpose(y_h, [1, 0, 2], hint), 1, layer.merge_mode, hint)
