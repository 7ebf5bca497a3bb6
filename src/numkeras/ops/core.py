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
import operator
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from .dtypes import python_dtype, standardize_dtype

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


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record ops on the tape again inside a :func:`no_grad` block (a ``GradientTape``)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, True
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


def convert_to_tensor(
    x: Any, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None
) -> Tensor:
    """``x`` as a :class:`Tensor`, with Keras 3's arguments.

    A tensor is returned as it is, or cast (differentiably) when ``dtype`` differs. Arrays keep
    their dtype; Python numbers and lists take Keras's: ``bool``, ``int32`` for integers and
    ``backend.floatx()`` for floats. numkeras has no sparse or ragged tensors, so ``sparse`` and
    ``ragged`` may only be None or False.
    """
    if isinstance(x, Tensor) and dtype is None and not (sparse or ragged):
        return x  # the hot path: ops and layers pass their inputs through here
    for name, flag in (("sparse", sparse), ("ragged", ragged)):
        if flag:
            raise ValueError(
                f"numkeras has no {name} tensors, so {name} must be None or False. "
                f"Received: {name}={flag!r}"
            )
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    if isinstance(x, Tensor):
        from .math import cast  # math builds on this module

        return x if x.dtype == dtype else cast(x, dtype)
    if dtype is None and not hasattr(x, "dtype"):
        dtype = python_dtype(x)
    return Tensor(as_array(x, dtype))


def _host_values(tree: Any) -> Any:
    """``tree`` (nested lists, tuples and dicts) with each Tensor replaced by its NumPy value."""
    if isinstance(tree, Tensor):
        return backend.to_numpy(tree.data)
    if isinstance(tree, list):
        return [_host_values(v) for v in tree]
    if isinstance(tree, tuple):
        return tuple(_host_values(v) for v in tree)
    if isinstance(tree, dict):
        return {k: _host_values(v) for k, v in tree.items()}
    return tree


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

    NumPy sees a tensor as its value, as it sees TF's tensors: ``np.asarray(t)``, ``float(t)``,
    ``f"{t:.4f}"`` and every NumPy function (``np.mean(t)``, ``np.exp(t)``,
    ``np.concatenate([t, a])``) give NumPy values, off the tape. Python's operators build tensors
    on the tape, with an ndarray on either side (``a + t``, ``a < t``); comparisons give boolean
    tensors, through which no gradient flows.
    """

    # NumPy's operators defer to Tensor's reflected ones, so ``ndarray + Tensor`` is a Tensor.
    __array_priority__ = 1000
    # ``==`` compares element-wise, but the engine keys dicts and sets by tensor identity.
    __hash__ = object.__hash__
    #: Left by a recorded ``ops.softmax`` or ``ops.sigmoid`` on its output (Keras's name).
    _keras_logits: LogitsMark | None = None
    #: The boolean mask (``(batch, time)``, True for the steps to use) that a layer's
    #: ``compute_mask`` attached to this output, read by the layers after it and by the losses
    #: and metrics (Keras's name and place for it).
    _keras_mask: Tensor | None = None

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

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis, each taken by the ``getitem`` op so that
        gradients flow through them."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array of its own: a copy, so that a variable's later updates do
        not show in it (as Keras's ``Variable.numpy()``)."""
        return np.array(self, copy=True)

    # -- NumPy interop (see the class docstring); scalars convert as NumPy's arrays do ----------
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The value as a NumPy array, by NumPy 2's protocol: ``copy=None`` copies only when it
        must (a value on the GPU, another ``dtype``), ``copy=True`` always and ``copy=False``
        never (a ValueError where it would have to)."""
        host = backend.to_numpy(self.data)
        if host is not self.data:  # a copy from the GPU already
            if copy is False:
                raise ValueError(
                    "A tensor on the GPU becomes a NumPy array only by a copy. Received: copy=False"
                )
            copy = None
        return np.array(host, dtype=dtype, copy=copy)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        """NumPy's functions (``np.mean``, ``np.concatenate``, ...) run on the values."""
        return func(*_host_values(args), **_host_values(kwargs))

    def __float__(self) -> float:
        return float(backend.to_numpy(self.data))

    def __int__(self) -> int:
        return int(backend.to_numpy(self.data))

    def __index__(self) -> int:
        """An integer scalar as an index (``range(t)``, ``[...][t]``), as NumPy allows."""
        return operator.index(backend.to_numpy(self.data))

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; NumPy's ValueError for any other."""
        return bool(backend.to_numpy(self.data))

    def __format__(self, format_spec: str) -> str:
        """Formatted as NumPy formats the value, so ``f"{loss:.4f}"`` works on a scalar."""
        return format(backend.to_numpy(self.data), format_spec)

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
        seed = self._seed(grad)
        owned: set[int] = set()
        for _, leaf, g in backpropagate(self, seed):
            if leaf is not None:
                leaf.grad = _own(g, owned) if leaf.grad is None else leaf.grad + g
                owned.add(id(leaf.grad))

    def _seed(self, grad: Any) -> Any:
        """``grad`` (default ones) as the gradient flowing into this tensor, shape checked."""
        xp = backend.get_array_module(self.data)
        seed = xp.ones_like(self.data) if grad is None else as_array(grad, self.data.dtype)
        if seed.shape != self.data.shape:
            raise ValueError(
                f"grad must have the shape of the tensor, {self.data.shape}. "
                f"Received: grad.shape={seed.shape}"
            )
        return seed

    def detach(self) -> Tensor:
        """The same value, cut from the tape."""
        return Tensor(self.data)

    # -- operators (defined in ops/__init__ once the op classes exist) ------------------------


def backpropagate(
    root: Tensor, seed: Any, sources: frozenset[int] = frozenset()
) -> Iterator[tuple[int, Tensor | None, Any]]:
    """The reverse pass from ``root``, whose gradient is ``seed``.

    Yields ``(id, leaf, gradient)``: a share of d(root)/d(leaf) for each use of each leaf that
    requires a gradient (the shares add up), and ``(id, None, gradient)`` once for each
    intermediate tensor whose id is in ``sources``, when all its consumers are done (the tape
    keeps no reference to an op's output, only its id). No tensor's ``grad`` is touched:
    :meth:`Tensor.backward` accumulates into it, ``GradientTape`` returns the gradients.
    """
    grads: dict[int, Any] = {id(root): seed}
    if root.creator is None:
        if root.requires_grad:
            yield id(root), root, seed
        return
    if id(root) in sources:
        yield id(root), None, seed
    for op in _reverse_order(root):
        out_grad = grads.pop(op.output_id, None)
        if out_grad is None:
            continue
        if op.output_id in sources and op.output_id != id(root):
            yield op.output_id, None, out_grad
        in_grads = op.backward(out_grad)
        for tensor, g in zip(op.inputs, in_grads):
            if g is None or not tensor.requires_grad:
                continue
            key = id(tensor)
            if tensor.creator is None:
                yield key, tensor, g
            else:
                grads[key] = g if key not in grads else grads[key] + g


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

    def assign_add(self, value: Any) -> None:
        """Add ``value`` (an array, a Tensor or a number) to the variable in place, as Keras's
        ``assign_add``; the sum must keep the variable's shape."""
        self.assign(self.data + as_array(value, self.data.dtype))

    def assign_sub(self, value: Any) -> None:
        """Subtract ``value`` from the variable in place, as Keras's ``assign_sub``."""
        self.assign(self.data - as_array(value, self.data.dtype))

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
