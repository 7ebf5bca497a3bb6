"""Symbolic tensors: what calling layers on ``Input(...)`` returns, to describe a model's graph.

A :class:`KerasTensor` carries a shape (``None`` for the batch axis) and remembers the
:class:`Node` that produced it: a layer applied to some symbolic inputs. ``Model(inputs,
outputs)`` walks these nodes back from the outputs to find its layers, so a layer never needs to
know which model holds it, and one layer can be called in several places (shared weights).

As in Keras 3, Python's operators and indexing on a KerasTensor (``a + b``, ``x * 0.5``,
``x[:, 0]``) record nodes too: each applies the ``numkeras.ops`` function of the same meaning as
an op node (``numkeras.layers.ops_layer``), and so does any ``numkeras.ops`` function called on
KerasTensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from .. import nest

# ``leaves`` is imported from here by the layers and models that walk a call's arguments.
from ..nest import leaves

if TYPE_CHECKING:
    from .layer import Layer


def _operator(function: str, reflected: bool = False) -> Callable[..., Any]:
    """A KerasTensor method that records ``numkeras.ops.<function>`` on the tensor and the
    operator's other operand (first when ``reflected``: ``0.5 * x`` is ``multiply(0.5, x)``)."""

    def method(self: KerasTensor, *other: Any) -> Any:
        from .ops_layer import record_op  # the op node is a layer, and layers import this module

        return record_op(function, (*other, self) if reflected else (self, *other), {})

    method.__doc__ = f"``numkeras.ops.{function}`` of the operands, as a node of the graph."
    return method


class KerasTensor:
    """A placeholder for the value that will flow through a point of a model's graph.

    It has no value: converting it to an array, to a bool or iterating over it raises, as in
    Keras. Operators and indexing build op nodes (see the module docstring); ``==`` and ``!=``
    keep Python's identity meaning, so tensors can be found in lists.
    """

    # NumPy must not treat a KerasTensor as an object scalar: ``array + x`` defers to
    # ``x.__radd__``, which records the array as a constant of the op node.
    __array_ufunc__ = None

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

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NoReturn:
        raise ValueError(
            f"A KerasTensor is symbolic: a placeholder for a shape ({self.shape}) and a dtype "
            f"({self.dtype}), with no numerical value, so it cannot be converted to an array. "
            "Build a model with it (Model(inputs, outputs)) and call the model on data."
        )

    def __bool__(self) -> NoReturn:
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean: it has no value.")

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "A symbolic KerasTensor cannot be iterated over: index it instead (x[:, 0])."
        )

    __add__ = _operator("add")
    __radd__ = _operator("add", reflected=True)
    __sub__ = _operator("subtract")
    __rsub__ = _operator("subtract", reflected=True)
    __mul__ = _operator("multiply")
    __rmul__ = _operator("multiply", reflected=True)
    __truediv__ = _operator("divide")
    __rtruediv__ = _operator("divide", reflected=True)
    __pow__ = _operator("power")
    __rpow__ = _operator("power", reflected=True)
    __matmul__ = _operator("matmul")
    __rmatmul__ = _operator("matmul", reflected=True)
    __neg__ = _operator("negative")
    __abs__ = _operator("abs")
    __round__ = _operator("round")
    __lt__ = _operator("less")
    __le__ = _operator("less_equal")
    __gt__ = _operator("greater")
    __ge__ = _operator("greater_equal")
    __and__ = _operator("logical_and")
    __rand__ = _operator("logical_and", reflected=True)
    __or__ = _operator("logical_or")
    __ror__ = _operator("logical_or", reflected=True)
    __xor__ = _operator("logical_xor")
    __rxor__ = _operator("logical_xor", reflected=True)
    __invert__ = _operator("logical_not")
    __getitem__ = _operator("getitem")


class Node:
    """One call of ``layer`` on symbolic ``inputs``, producing symbolic ``outputs``.

    ``arguments`` are the call's other arguments by name, as Keras 3's nodes keep them:
    symbolic tensors (``initial_state=[h, c]``, ``mask=m``), lists of them, or plain values
    (numbers, strings, booleans) passed as they are on every run of the graph.
    """

    def __init__(
        self,
        layer: Layer,
        inputs: list[KerasTensor],
        outputs: list[KerasTensor],
        arguments: dict[str, Any] | None = None,
    ):
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.arguments = dict(arguments or {})
        for t in outputs:
            t.node = self
        layer._inbound_nodes.append(self)

    @property
    def parents(self) -> list[KerasTensor]:
        """Every symbolic tensor the call reads: its inputs, then those of its arguments."""
        return [*self.inputs, *(v for v in leaves(self.arguments) if isinstance(v, KerasTensor))]


def is_symbolic(x: object) -> bool:
    """Whether ``x`` (or the first of a list of inputs) is a KerasTensor."""
    if isinstance(x, (list, tuple)) and x:
        return isinstance(x[0], KerasTensor)
    return isinstance(x, KerasTensor)


def map_leaves(value: Any, replace: Callable[[Any], Any], match: Any = None) -> Any:
    """``value`` (nested dicts, lists and tuples) with each item that ``match(item)`` accepts
    (default: a KerasTensor) replaced by ``replace(item)``: :func:`numkeras.nest.map_leaves`
    with the symbolic tensors of a graph as what it replaces unless told otherwise."""
    return nest.map_leaves(value, replace, match or _is_keras_tensor)


def _is_keras_tensor(value: Any) -> bool:
    return isinstance(value, KerasTensor)
