"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

#: Box-drawing characters of Keras 3's table, and plain ASCII for terminals that lack them.
_BOX = {"top": "┏━┳┓", "head": "┃┃┃", "rule": "┡━╇┩", "row": "│││", "sep": "├─┼┤", "end": "└─┴┘"}
_ASCII = {"top": "+-++", "head": "|||", "rule": "+=++", "row": "|||", "sep": "+-++", "end": "+-++"}


def readable_size(num_bytes: int) -> str:
    """``2592040`` -> ``'2.47 MB'``, as Keras prints weight memory (powers of 1024)."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    inner = ", ".join("None" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _rows(model: Any) -> tuple[list[list[str]], bool]:
    """One row per layer: name (type), output shape, parameter count[, connected to]. A graph
    model's op nodes (``a + b``) have rows too, as in Keras 3, though they are not layers."""
    # A Sequential model lists each layer's output shape, a graph model has nodes, a subclassed
    # model neither (its shapes show as "?", as in Keras). Asked of the model, not by a type
    # check, so that the models this module serves need not be imported.
    sequential = hasattr(type(model), "layer_output_shapes")
    graph = not sequential and hasattr(model, "_nodes")
    layers = model.operations if graph else model.layers
    shapes: dict[str, Any] = {}
    if graph:
        for t in model.inputs:
            shapes[t._input_layer.name] = t.shape
        for node in model._nodes:
            shapes.setdefault(node.layer.name, [t.shape for t in node.outputs])
    elif sequential:
        shapes = dict(zip((l.name for l in layers), model.layer_output_shapes))
    rows = []
    for layer in layers:
        shape = shapes.get(layer.name)
        if isinstance(shape, list) and len(shape) == 1:
            shape = shape[0]
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        # An op node shows its op as Keras 3 does (``add (Add)``), any other layer its class.
        kind = getattr(layer, "op_type", None) or type(layer).__name__
        row = [f"{layer.name} ({kind})", _shape_text(shape), params]
        if graph:
            names = [
                t.node.layer.name if t.node else t._input_layer.name
                for n in model._own_nodes(layer)
                for t in n.parents
            ]
            row.append(", ".join(names) if names else "-")
        rows.append(row)
    return rows, graph


def print_summary(
    model: Any, line_length: int | None = None, print_fn: Callable[[str], Any] | None = None
) -> None:
    """Print the summary of ``model`` with ``print_fn`` (default: ``print``)."""
    print_fn = print_fn or print
    rows, graph = _rows(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph else [])
    line_length = line_length or (108 if graph else 88)
    positions = [0.3, 0.56, 0.74, 1.0] if graph else [0.45, 0.80, 1.0]
    edges = [0] + [int(p * line_length) for p in positions]
    widths = [b - a - 3 for a, b in zip(edges, edges[1:])]
    for row in rows + [headers]:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    box = _BOX
    try:
        "".join("".join(v) for v in _BOX.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        box = _ASCII

    def line(kind: str) -> str:
        left, fill, mid, right = box[kind]
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values: list[str], kind: str) -> str:
        left, mid, right = box[kind]
        parts = [
            f" {v:>{w}} " if i == 2 else f" {v:<{w}} "
            for i, (v, w) in enumerate(zip(values, widths))
        ]
        return left + mid.join(parts) + right

    print_fn(f'Model: "{model.name}"')
    print_fn(line("top"))
    print_fn(cells(headers, "head"))
    print_fn(line("rule"))
    for i, row in enumerate(rows):
        if i:
            print_fn(line("sep"))
        print_fn(cells(row, "row"))
    print_fn(line("end"))
    if not model.built:
        print_fn(
            " The model is not built yet: give the first layer an input shape, or call "
            "model.build(input_shape), to see its parameters."
        )
        return
    weights = model.weights
    trainable = [w for w in weights if w.trainable]
    frozen = [w for w in weights if not w.trainable]

    def total(ws: list) -> str:
        count = sum(w.size for w in ws)
        return f"{count:,} ({readable_size(sum(w.size * w.dtype.itemsize for w in ws))})"

    print_fn(f" Total params: {total(weights)}")
    print_fn(f" Trainable params: {total(trainable)}")
    print_fn(f" Non-trainable params: {total(frozen)}")
    slots = getattr(model.optimizer, "variables", None) if model.optimizer else None
    if slots:
        count = sum(getattr(v, "size", 0) for v in slots)
        size = sum(getattr(v, "nbytes", 0) for v in slots)
        print_fn(f" Optimizer params: {count:,} ({readable_size(size)})")
