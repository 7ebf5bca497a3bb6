"""Merge layers: a list of tensors in, one tensor out, to join the branches of a functional model.

The element-wise layers (Add, Subtract, Multiply, Average, Maximum, Minimum) broadcast their
inputs' sample shapes as Keras 3 does: axes are aligned from the right, an axis of 1 (or a
missing leading axis) stretches to the other input's size, and the batch sizes must agree.
Concatenate joins along one axis; Dot takes the batched dot product along a pair of axes.
Masks merge as in Keras 3 (see each layer's ``compute_mask``).

>>> import numpy as np
>>> a, b = np.ones((2, 3), np.float32), np.full((2, 1), 2.0, np.float32)
>>> add([a, b]).numpy().tolist()
[[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
>>> concatenate([a, a]).shape
(2, 6)
>>> Dot(axes=1)([a, a]).numpy().tolist()
[[3.0], [3.0]]
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend, legacy, ops
from ..ops.core import Tensor
from .layer import Layer, Shape, _shape_text, is_shape_list


def _shapes_text(shapes: Sequence[Shape]) -> str:
    return "[" + ", ".join(_shape_text(tuple(s)) for s in shapes) + "]"


class _Merge(Layer):
    """A layer called on a list of tensors; subclasses give the shape rule and the merge.

    ``_arity`` is the exact number of inputs the layer takes (None: one or more).
    """

    _arity: int | None = None

    def build(self, input_shape: list[Shape]) -> None:
        # The merge layers have no weights: building only checks the shapes, so that a model
        # with misfitting branches fails where it is defined, as in Keras.
        self.compute_output_shape(input_shape)

    def call(self, inputs: list[Tensor]) -> Tensor:
        # Checked on every call, not only the first: NumPy would otherwise broadcast a later
        # batch of 1 against a batch of 8 silently.
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return self._merge(list(inputs))

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        """The merged tensor of ``inputs`` (their shapes already checked): each layer's own."""
        raise NotImplementedError(f"{type(self).__name__} does not define _merge.")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Tensor | None:
        """The element-wise layers' output mask, Keras 3's: ``m₁ or m₂ or … or mₙ`` when every
        input is masked, else None (an unmasked input makes every step count)."""
        masks = self._checked_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        return Tensor(functools.reduce(lambda a, b: a | b, [m.data for m in masks]))

    def _checked_masks(self, inputs: Any, mask: Any) -> list[Any] | None:
        """``mask`` as a list with one mask (or None) per input; None for no mask at all."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' takes one mask (or None) per input: a list "
                f"of {len(inputs)}. Received: mask={mask!r:.100}"
            )
        return list(mask)

    def _checked_shapes(self, input_shape: Any) -> list[Shape]:
        """``input_shape`` as a list of tuples, after checking that it is a list of the right
        length; the error names the layer, what it expects and what it received."""
        count = "inputs" if self._arity is None else f"{self._arity} inputs"
        if not is_shape_list(input_shape) or (
            self._arity is not None and len(input_shape) != self._arity
        ):
            received = _shapes_text(input_shape) if is_shape_list(input_shape) else input_shape
            raise ValueError(
                f"{type(self).__name__} '{self.name}' must be called on a list of {count}. "
                f"Received: input_shape={received}"
            )
        return [tuple(s) for s in input_shape]

    def _batch_size(self, shapes: list[Shape]) -> int | None:
        """The batch size all ``shapes`` share (None when none is known)."""
        sizes = {s[0] for s in shapes if s} - {None}
        if len(sizes) > 1:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' cannot merge tensors with different batch "
                f"sizes. Received: input_shape={_shapes_text(shapes)}"
            )
        return sizes.pop() if sizes else None


class _ElementWise(_Merge):
    """Combines its inputs element by element with ``_combine``, from left to right, after
    broadcasting them (an input of lower rank gains axes of 1 after the batch axis)."""

    _combine: Callable[[Any, Any], Tensor]

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._checked_shapes(input_shape)
        batch = self._batch_size(shapes)
        sample = functools.reduce(
            lambda a, b: self._broadcast(a, b, shapes), [s[1:] for s in shapes]
        )
        return (batch, *sample)

    def _broadcast(self, shape1: Shape, shape2: Shape, shapes: list[Shape]) -> Shape:
        """The broadcast of two sample shapes (Keras's rule: an unknown size stays unknown)."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        lead = len(shape1) - len(shape2)
        out = list(shape1[:lead])
        for i, j in zip(shape1[lead:], shape2):
            if i is not None and j is not None and i != j and 1 not in (i, j):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': inputs have incompatible shapes "
                    f"{_shape_text((None, *shape1))} and {_shape_text((None, *shape2))}. "
                    f"Received: input_shape={_shapes_text(shapes)}"
                )
            out.append(None if i is None or j is None else (j if i == 1 else i))
        return tuple(out)

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        rank = max(x.ndim for x in inputs)
        inputs = [_expand_to_rank(x, rank) for x in inputs]
        return functools.reduce(type(self)._combine, inputs)


def _expand_to_rank(x: Tensor, rank: int) -> Tensor:
    """``x`` with axes of 1 inserted after the batch axis up to ``rank`` (Keras's alignment)."""
    missing = rank - x.ndim
    return ops.reshape(x, (x.shape[0], *(1,) * missing, *x.shape[1:])) if missing else x


class Add(_ElementWise):
    """The element-wise sum of its inputs: ``x₁ + x₂ + … + xₙ``."""

    _combine = staticmethod(ops.add)


class Subtract(_ElementWise):
    """The element-wise difference of exactly two inputs: ``x₁ − x₂``."""

    _arity = 2
    _combine = staticmethod(ops.subtract)


class Multiply(_ElementWise):
    """The element-wise product of its inputs: ``x₁ · x₂ · … · xₙ``."""

    _combine = staticmethod(ops.multiply)


class Average(_ElementWise):
    """The element-wise mean of its inputs: ``(x₁ + x₂ + … + xₙ) / n``."""

    _combine = staticmethod(ops.add)

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        return super()._merge(inputs) * (1.0 / len(inputs))


class Maximum(_ElementWise):
    """The element-wise maximum of its inputs: ``max(x₁, x₂, …, xₙ)``."""

    _combine = staticmethod(ops.maximum)


class Minimum(_ElementWise):
    """The element-wise minimum of its inputs: ``min(x₁, x₂, …, xₙ)``."""

    _combine = staticmethod(ops.minimum)


class Concatenate(_Merge):
    """Joins its inputs along ``axis``; they must have the same rank and agree on every other
    axis.

    Args:
        axis: the axis to join along. Defaults to -1 (the last), as in Keras 3.
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"Concatenate '{self.name}': axis must be an int. Received: axis={axis!r}"
            )
        self.axis = axis

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._checked_shapes(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(
                f"Concatenate '{self.name}' requires inputs of one rank with the axis "
                f"{self.axis} in range. Received: input_shape={_shapes_text(shapes)}"
            )
        axis = self.axis % rank
        out: list[int | None] = []
        for i, sizes in enumerate(zip(*shapes)):
            known = {n for n in sizes if n is not None}
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
            elif len(known) > 1:
                raise ValueError(
                    f"Concatenate '{self.name}' requires inputs with matching shapes except for "
                    f"the concatenation axis {self.axis}. Received: "
                    f"input_shape={_shapes_text(shapes)}"
                )
            else:
                out.append(known.pop() if known else None)
        return tuple(out)

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Tensor | None:
        """Keras 3's: each mask (all True for an unmasked input) broadcast to its input's
        shape, joined along ``axis``, then any() over the last axis; None if none is masked."""
        masks = self._checked_masks(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        xp = backend.get_array_module(inputs[0].data)
        full = [
            xp.ones(x.shape, bool)
            if m is None
            else xp.broadcast_to(m.data.reshape(m.shape + (1,) * (x.ndim - m.ndim)), x.shape)
            for x, m in zip(inputs, masks)
        ]
        return Tensor(xp.concatenate(full, axis=self.axis).any(axis=-1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """The dot product of two inputs ``x`` and ``y`` sample by sample, along ``axes``:
    ``out[b, …] = Σₖ x[b, …, k, …] · y[b, …, k, …]``.

    The output has ``x``'s other axes, then ``y``'s other non-batch axes; a result with no axis
    besides the batch gets one of size 1, so two ``(batch, n)`` inputs give ``(batch, 1)``.

    Args:
        axes: the axis of both inputs (an int), or ``(axis_of_x, axis_of_y)``; negative axes
            count from the end. The batch axis (0) cannot be one. Required, as in Keras 3.
        normalize: whether to L2-normalize both inputs along their axis first, so that the
            result is the cosine similarity: ``x / max(‖x‖₂, ε)`` with ε
            ``backend.epsilon()`` (1e-7), as in Keras 3. Defaults to False.
    """

    _arity = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        pair = axes if isinstance(axes, (list, tuple)) else (axes, axes)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise TypeError(
                f"Dot '{self.name}': axes must be an int or a pair of ints. Received: axes={axes!r}"
            )
        if len(pair) != 2:
            raise ValueError(
                f"Dot '{self.name}': axes must hold two axes, one per input. Received: "
                f"axes={axes!r}"
            )
        self.axes = list(axes) if isinstance(axes, (list, tuple)) else axes
        self.normalize = bool(normalize)
        self._pair = tuple(pair)

    def _axes_of(self, shapes: list[Shape]) -> tuple[int, int]:
        """The positive axis of each input, checked to be a non-batch axis of it."""
        positive = []
        for axis, shape in zip(self._pair, shapes):
            if not -len(shape) < axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(
                    f"Dot '{self.name}': axes={self.axes!r} must name a non-batch axis of each "
                    f"input. Received: input_shape={_shapes_text(shapes)}"
                )
            positive.append(axis % len(shape))
        return positive[0], positive[1]

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._checked_shapes(input_shape)
        batch = self._batch_size(shapes)
        (x, y), (ax, ay) = shapes, self._axes_of(shapes)
        if x[ax] is not None and y[ay] is not None and x[ax] != y[ay]:
            raise ValueError(
                f"Dot '{self.name}': incompatible input shapes, axis values {x[ax]} (at axis "
                f"{ax}) != {y[ay]} (at axis {ay}). Received: input_shape={_shapes_text(shapes)}"
            )
        rest = [n for i, n in enumerate(x[1:], 1) if i != ax]
        rest += [n for i, n in enumerate(y[1:], 1) if i != ay]
        return (batch, *(rest or [1]))

    def _merge(self, inputs: list[Tensor]) -> Tensor:
        x, y = inputs
        ax, ay = self._axes_of([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        # One einsum: the batch label is shared, the contracted label too, every other axis
        # keeps its own label; the output lists x's free labels, then y's.
        labels = iter(string.ascii_letters[2:])
        free_x = [next(labels) for _ in range(x.ndim)]
        free_y = [next(labels) for _ in range(y.ndim)]
        free_x[0] = free_y[0] = "a"
        free_x[ax] = free_y[ay] = "b"
        out = "a" + "".join(free_x[1:ax] + free_x[ax + 1 :] + free_y[1:ay] + free_y[ay + 1 :])
        result = ops.einsum(f"{''.join(free_x)},{''.join(free_y)}->{out}", x, y)
        return ops.expand_dims(result, -1) if result.ndim == 1 else result

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """None: a dot product has no steps left to mask (Keras 3's rule)."""
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """``x / max(‖x‖₂, ε)`` along ``axis``, Keras 3's ``normalize``; written as
    ``x / √max(Σx², ε²)`` so that an all-zero vector has a finite gradient."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, backend.epsilon() ** 2))


# -- the functional interface (Keras's lowercase names) -----------------------------------------
def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis=axis, **kwargs)(inputs)``: ``inputs`` joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(
    inputs: list[Any], axes: int | Sequence[int], normalize: bool = False, **kwargs: Any
) -> Any:
    """``Dot(axes, normalize, **kwargs)(inputs)``: the sample-wise dot product of two inputs."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


def _functional(cls: type[_ElementWise]) -> Callable[..., Any]:
    """Keras's lowercase function of the element-wise layer ``cls``."""

    def merge_inputs(inputs: list[Any], **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    merge_inputs.__name__ = merge_inputs.__qualname__ = cls.__name__.lower()
    merge_inputs.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``: {cls.__doc__}"
    return merge_inputs


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def merge(
    inputs: list[Any],
    mode: str = "sum",
    concat_axis: int = -1,
    dot_axes: int | Sequence[int] = -1,
    name: str | None = None,
) -> Any:
    """Keras 1's ``merge``: one function for every way of joining tensors, chosen by ``mode``.

    Each mode is today's layer, with a warning that names it: ``'concat'`` is
    ``Concatenate(axis=concat_axis)``, ``'sum'`` (the default) ``Add``, ``'mul'`` ``Multiply``,
    ``'ave'`` ``Average``, ``'max'`` ``Maximum``, ``'dot'`` ``Dot(axes=dot_axes)`` and
    ``'cos'`` ``Dot(axes=dot_axes, normalize=True)``.
    """
    modes: dict[str, tuple[str, Callable[[], _Merge]]] = {
        "concat": (f"Concatenate(axis={concat_axis})", lambda: Concatenate(concat_axis, name=name)),
        "sum": ("Add()", lambda: Add(name=name)),
        "mul": ("Multiply()", lambda: Multiply(name=name)),
        "ave": ("Average()", lambda: Average(name=name)),
        "max": ("Maximum()", lambda: Maximum(name=name)),
        "dot": (f"Dot(axes={dot_axes})", lambda: Dot(dot_axes, name=name)),
        "cos": (
            f"Dot(axes={dot_axes}, normalize=True)",
            lambda: Dot(dot_axes, normalize=True, name=name),
        ),
    }
    if mode not in modes:
        raise ValueError(
            f"merge: mode must be one of {sorted(modes)} (a function as mode is Keras 1's "
            f"Lambda merge: use layers.Lambda). Received: mode={mode!r}"
        )
    modern, make = modes[mode]
    legacy.warn(f"`merge(mode={mode!r})` is the Keras 1 API; use `layers.{modern}(inputs)`.")
    return make()(inputs)
