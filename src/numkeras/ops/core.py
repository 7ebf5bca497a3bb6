"""Tensors, variables and the define-by-run tape that reverse-mode autodiff walks.

Applying an :class:`Op` to tensors computes its result at once (define-by-run, as in Chainer and
PyTorch). While gradients are enabled and some input requires a gradient, the result also
remembers the op that made it and the op remembers its inputs: these links are the tape.
:meth:`Tensor.backward` orders the recorded ops once, walks them in reverse calling each op's
vector-Jacobian product, and accumulates into the ``grad`` of every leaf that requires one.
When the last reference to the result goes, the whole tape goes with it, so a training step holds
only the activations that its VJPs need. Under :func:`no_grad` nothing is recorded at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import backend

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Run ops as plain array math: no tape, no gradients (used by predict and evaluate)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """Whether ops applied now are recorded for :meth:`Tensor.backward`."""
    return _grad_enabled


def as_array(value: Any, dtype: Any = None) -> Any:
    """``value`` as an array of the active backend.

    Arrays keep their dtype; Python numbers and lists become floatx unless ``dtype`` is given.
    """
    if type(value) is np.ndarray and backend.backend() == "numpy":
        # The hot path: an array of the active backend needs no conversion.
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    if isinstance(value, Tensor):
        return value.data
    xp = backend.get_array_module(value)
    if dtype is None and not hasattr(value, "dtype"):
        dtype = backend.floatx()
    if xp is np and backend.backend() == "cupy":
        xp = backend.xp()
    return xp.asarray(value, dtype=dtype)


def convert_to_tensor(x: Any) -> Tensor:
    """``x`` as a :class:`Tensor` (tensors are returned as they are)."""
    return x if isinstance(x, Tensor) else Tensor(x)


#: The activations whose recorded outputs carry a :class:`LogitsMark`.
MARKED_ACTIVATIONS = ("softmax", "sigmoid")


class LogitsMark(NamedTuple):
    """The mark of ``activation(logits)`` on its output, from which a cross-entropy works on
    the logits (fused and stable) rather than on clipped probabilities."""

    logits: Tensor
    activation: str  # one of MARKED_ACTIVATIONS
    axis: int | tuple[int, ...] | None = None  # the softmax's axis; None for the sigmoid


def mark_logits(out: Tensor, activation: str, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """``out``, marked as ``activation`` of the input of the op that made it, when that op was
    recorded on the tape. Under :func:`no_grad` (evaluate, predict) no mark is left, so a loss
    takes such probabilities as they are."""
    if out.creator is not None:
        out._keras_logits = LogitsMark(out.creator.inputs[0], activation, axis)
    return out


class Tensor:
    """An array that can take part in automatic differentiation.

    ``data`` holds the value; ``grad`` receives d(loss)/d(this) after :meth:`backward` when
    ``requires_grad`` is true and the tensor is a leaf. ``creator`` is the op that produced the
    tensor, when that op was recorded.
    """

    __array_priority__ = 1000  # so that ``ndarray + Tensor`` defers to Tensor.__radd__
    #: Left by a recorded ``ops.softmax`` or ``ops.sigmoid`` on its output (Keras's name).
    _keras_logits: LogitsMark | None = None

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None):
        self.data = as_array(data)
        self.requires_grad = requires_grad
        self.grad: Any = None
        self.creator: Op | None = None
        self.name = name

    # -- array-like description -----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (copied from the GPU when needed)."""
        return backend.to_numpy(self.data)

    def item(self) -> float:
        return self.data.item()

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"{type(self).__name__}({self.numpy()!r}{grad})"

    # -- autodiff ----------------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires it.

        ``grad`` is the gradient flowing into this tensor; it defaults to ones, so a scalar loss
        needs no argument.
        """
        xp = backend.get_array_module(self.data)
        seed = xp.ones_like(self.data) if grad is None else as_array(grad, self.data.dtype)
        if seed.shape != self.data.shape:
            raise ValueError(
                f"grad must have the shape of the tensor, {self.data.shape}. "
                f"Received: grad.shape={seed.shape}"
            )
        grads: dict[int, Any] = {id(self): seed}
        owned: set[int] = set()
        for op in _reverse_order(self):
            out_grad = grads.pop(op.output_id, None)
            if out_grad is None:
                continue
            in_grads = op.backward(out_grad)
            for tensor, g in zip(op.inputs, in_grads):
                if g is None or not tensor.requires_grad:
                    continue
                key = id(tensor)
                grads[key] = g if key not in grads else grads[key] + g
                if tensor.creator is None:
                    g = grads.pop(key)
                    tensor.grad = _own(g, owned) if tensor.grad is None else tensor.grad + g
                    owned.add(id(tensor.grad))
        if self.creator is None and self.requires_grad:
            self.grad = seed if self.grad is None else self.grad + seed

    def detach(self) -> Tensor:
        """The same value, cut from the tape."""
        return Tensor(self.data)

    # -- operators (defined in ops/__init__ once the op classes exist) ------------------------


def _own(g: Any, taken: set[int]) -> Any:
    """``g`` itself when it is a writable array of its own, else a copy.

    A VJP may pass its gradient through (``Add``) or return a broadcast view (``Sum``); a leaf's
    ``grad`` must not alias another's, since optimizers and clipping may update it in place.
    """
    if id(g) in taken or not g.flags.writeable or not g.flags.owndata:
        return g.copy()
    return g


def _reverse_order(root: Tensor) -> list[Op]:
    """The ops recorded under ``root``, each after every op that consumes its output."""
    order: list[Op] = []
    seen: set[int] = set()
    stack: list[tuple[Op, bool]] = [(root.creator, False)] if root.creator else []
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if id(op) in seen:
            continue
        seen.add(id(op))
        stack.append((op, True))
        for t in op.inputs:
            if t.creator is not None and id(t.creator) not in seen:
                stack.append((t.creator, False))
    order.reverse()
    return order


class Variable(Tensor):
    """A trainable array: a layer's weight or an optimizer's slot.

    Optimizers update ``value`` in place, so views of it (and the flat buffers that hold many
    variables) stay valid. ``constraint`` is applied after each optimizer update.
    """

    def __init__(
        self,
        value: Any,
        name: str | None = None,
        trainable: bool = True,
        constraint: Any = None,
    ):
        super().__init__(value, requires_grad=trainable, name=name)
        self.trainable = trainable
        self.constraint = constraint

    @property
    def value(self) -> Any:
        return self.data

    def assign(self, value: Any) -> None:
        """Copy ``value`` into the variable's array, keeping its shape, dtype and identity."""
        value = as_array(value, self.data.dtype)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable {self.name!r} of "
                f"shape {self.data.shape}."
            )
        self.data[...] = value

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={self.dtype}>"


class Op:
    """One differentiable operation: :meth:`forward` and its vector-Jacobian product side by side.

    Subclasses take their non-tensor parameters (axis, shape, ...) in ``__init__`` and implement

    * ``forward(*arrays) -> array``: the value, saving on ``self`` what backward needs;
    * ``backward(grad) -> tuple``: one gradient per input (``None`` where none flows).
      ``self.needs_grad[i]`` tells whether input ``i`` wants one, so an op can skip work.

    Calling the op on tensors (or arrays and numbers) runs forward and records it on the tape.
    """

    inputs: tuple[Tensor, ...] = ()
    output_id: int = 0  # the output's id, not the output: a reference would make a cycle
    needs_grad: tuple[bool, ...] = ()

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> Sequence[Any]:
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> Tensor:
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = _as_tensors(inputs)
                break
        needs_grad = tuple(t.requires_grad for t in tensors) if _grad_enabled else ()
        record = True in needs_grad
        if record:
            self.needs_grad = needs_grad
        out = Tensor(self.forward(*[t.data for t in tensors]))
        if record:
            self.inputs = tensors
            self.output_id = id(out)
            out.requires_grad = True
            out.creator = self
        return out


def _as_tensors(inputs: tuple) -> tuple[Tensor, ...]:
    """``inputs`` as tensors; Python numbers take the dtype of the float tensors they meet, so
    that no constant upcasts them."""
    like = next((x.dtype for x in inputs if isinstance(x, Tensor) and x.dtype.kind == "f"), None)
    return tuple(
        x
        if isinstance(x, Tensor)
        else Tensor(as_array(x, like if isinstance(x, (int, float)) else None))
        for x in inputs
    )


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    return grad.sum(axis=axes, keepdims=False).reshape(shape) if axes else grad.reshape(shape)
