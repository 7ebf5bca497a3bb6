"""Symbolic tensors: what calling layers on ``Input(...)`` returns, to describe a model's graph.

A :class:`KerasTensor` carries a shape (``None`` for the batch axis) and remembers the
:class:`Node` that produced it: a layer applied to some symbolic inputs. ``Model(inputs,
outputs)`` walks these nodes back from the outputs to find its layers, so a layer never needs to
know which model holds it, and one layer can be called in several places (shared weights).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .layer import Layer


class KerasTensor:
    """A placeholder for the value that will flow through a point of a model's graph."""

    def __init__(
        self,
        shape: tuple[int | None, ...],
        dtype: str,
        node: Node | None = None,
        name: str | None = None,
    ):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.name = name
        self._input_layer: Layer | None = None  # set on the output of an InputLayer

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of ``layer`` on symbolic ``inputs``, producing symbolic ``outputs``."""

    def __init__(self, layer: Layer, inputs: list[KerasTensor], outputs: list[KerasTensor]):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        for t in outputs:
            t.node = self
        layer._inbound_nodes.append(self)


def is_symbolic(x: object) -> bool:
    """Whether ``x`` (or the first of a list of inputs) is a KerasTensor."""
    if isinstance(x, (list, tuple)) and x:
        return isinstance(x[0], KerasTensor)
    return isinstance(x, KerasTensor)
