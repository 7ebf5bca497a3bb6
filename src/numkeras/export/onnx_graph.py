"""The ONNX graph being built, and the table of layer converters that add to it.

A converter turns one call of a numkeras layer into ONNX nodes: it receives the
:class:`GraphBuilder`, the layer, the ONNX names of the call's inputs and their numkeras shapes
(batch axis first, None where the size is only known at run time), adds nodes and constant
weights, and returns the ONNX name of each output. A layer whose options have no exact ONNX
form raises :class:`Unsupported`, saying which option; the exporter collects those and reports
every unsupported layer of the model at once.

Tensors keep numkeras's layout (channels last) between layers; a converter whose ONNX operator
wants channels first (Conv, pooling, Resize) transposes around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Shape = tuple[int | None, ...]
#: ``converter(graph, layer, input_names, input_shapes) -> output name(s)``.
Converter = Callable[["GraphBuilder", Any, list[str], list[Shape]], "str | list[str]"]

#: The converters by layer class name (numkeras's own classes only: see :func:`converter_for`).
CONVERTERS: dict[str, Converter] = {}

#: ONNX's largest int64, the open end of a Slice.
INT64_MAX = np.iinfo(np.int64).max


class Unsupported(Exception):
    """A layer (or one of its options) that has no exact ONNX equivalent; the message says
    which option and why."""


def converts(*class_names: str) -> Callable[[Converter], Converter]:
    """Register the decorated function as the converter of the layers ``class_names``."""

    def register(function: Converter) -> Converter:
        for name in class_names:
            CONVERTERS[name] = function
        return function

    return register


def converter_for(layer: Any) -> Converter | None:
    """The converter of ``layer``'s class, or None. Only numkeras's own classes match: a user's
    subclass (or a class of the same name elsewhere) may compute something else."""
    cls = type(layer)
    if not cls.__module__.startswith("numkeras."):
        return None
    return CONVERTERS.get(cls.__name__)


class GraphBuilder:
    """Collects the nodes and constant tensors (initializers) of one ONNX graph.

    Names are unique: each new value is named after a hint (the layer's name, usually) with a
    counter when the hint was taken. ``masked`` holds the values that carry a Keras mask
    (``Embedding(mask_zero=True)``), which no ONNX operator reads: the layers that would use
    it refuse such inputs.
    """

    def __init__(self, onnx: Any, opset: int):
        self.onnx = onnx
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.masked: set[str] = set()
        self._taken: set[str] = set()
        #: Each Transpose's output: its input and permutation, to cancel an inverse that follows.
        self._transposed: dict[str, tuple[str, tuple[int, ...]]] = {}

    def fresh(self, hint: str) -> str:
        """A value name not used yet: ``hint``, else ``hint_1``, ``hint_2``, ..."""
        name, count = hint, 0
        while name in self._taken:
            count += 1
            name = f"{hint}_{count}"
        self._taken.add(name)
        return name

    def op(
        self, op_type: str, inputs: Sequence[str], hint: str, outputs: int = 1, **attributes: Any
    ) -> Any:
        """Add a node of ``op_type``; its output name (a list of ``outputs`` names if > 1).
        An empty string among ``inputs`` leaves that optional input out, as ONNX allows."""
        names = [self.fresh(f"{hint}/{op_type}") for _ in range(outputs)]
        node = self.onnx.helper.make_node(
            op_type, list(inputs), names, name=self.fresh(f"{hint}/{op_type}/node"), **attributes
        )
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def constant(self, value: Any, hint: str, dtype: Any = np.float32) -> str:
        """A constant tensor (an initializer) holding ``value`` as ``dtype``; its name."""
        name = self.fresh(hint)
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def weight(self, layer: Any, what: str, value: Any = None) -> str:
        """The constant holding ``layer``'s weight ``what`` (its current value, or ``value``:
        the weight rearranged to ONNX's layout), named after the layer."""
        if value is None:
            value = getattr(layer, what).numpy()
        return self.constant(value, f"{layer.name}/{what}")

    def ints(self, values: Sequence[int], hint: str) -> str:
        """A 1-D int64 constant (axes, shapes, pads, repeats)."""
        return self.constant(list(values), hint, np.int64)

    def transpose(self, x: str, perm: Sequence[int], hint: str) -> str:
        """``x`` with its axes permuted; when ``x`` is itself a transpose by the inverse
        permutation, its input instead, so that consecutive channels-first layers (a Conv, its
        elementwise activation, a MaxPool) keep their data channels first in between."""
        source = self._transposed.get(x)
        if source is not None and all(source[1][p] == i for i, p in enumerate(perm)):
            return source[0]
        y = self.op("Transpose", [x], hint, perm=list(perm))
        self._transposed[y] = (x, tuple(perm))
        return y

    def live_nodes(self, outputs: Sequence[str]) -> list[Any]:
        """The nodes that ``outputs`` depend on, in order: a transpose whose inverse was
        cancelled (see :meth:`transpose`) may be left unused."""
        needed, live = set(outputs), []
        for node in reversed(self.nodes):
            if needed.intersection(node.output):
                live.append(node)
                needed.update(node.input)
        return live[::-1]

    def channels_first(self, x: str, rank: int, hint: str) -> str:
        """``(batch, *spatial, channels)`` -> ``(batch, channels, *spatial)``, ``rank`` spatial
        axes (ONNX's layout of Conv and pooling)."""
        return self.transpose(x, [0, rank + 1, *range(1, rank + 1)], hint)

    def channels_last(self, x: str, rank: int, hint: str) -> str:
        """The inverse of :meth:`channels_first`."""
        return self.transpose(x, [0, *range(2, rank + 2), 1], hint)

    def reduce(
        self, op_type: str, x: str, axes: Sequence[int], hint: str, keepdims: bool = True
    ) -> str:
        """A ReduceMean/ReduceMax/ReduceSum over ``axes`` (an input since opset 18)."""
        return self.op(op_type, [x, self.ints(axes, f"{hint}/axes")], hint, keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def squeeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Squeeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def reshape(self, x: str, shape: Sequence[int], hint: str) -> str:
        """Reshape to ``shape`` (0 keeps the input's size on that axis, -1 infers one axis)."""
        return self.op("Reshape", [x, self.ints(shape, f"{hint}/shape")], hint)

    def slice(
        self,
        x: str,
        starts: Sequence[int],
        ends: Sequence[int],
        axes: Sequence[int],
        hint: str,
        steps: Sequence[int] | None = None,
    ) -> str:
        inputs = [
            x,
            self.ints(starts, f"{hint}/starts"),
            self.ints(ends, f"{hint}/ends"),
            self.ints(axes, f"{hint}/axes"),
        ]
        if steps is not None:
            inputs.append(self.ints(steps, f"{hint}/steps"))
        return self.op("Slice", inputs, hint)


def static_size(shape: Shape, axis: int, layer: Any, what: str) -> int:
    """``shape[axis]``, which the ONNX form of ``layer`` needs to know: Unsupported if None."""
    size = shape[axis]
    if size is None:
        raise Unsupported(f"its {what} (axis {axis} of input shape {shape}) must be known")
    return size
