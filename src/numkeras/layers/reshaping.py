"""Layers that rearrange their inputs: padding, cropping and up-sampling change the spatial
sizes of sequences (1D) and images (2D), RepeatVector repeats a vector along a new axis, Permute
reorders axes.

>>> import numpy as np
>>> ZeroPadding2D(((1, 2), (0, 1)))(np.ones((1, 4, 4, 3), np.float32)).shape
(1, 7, 5, 3)
>>> Cropping1D((1, 2))(np.ones((1, 6, 3), np.float32)).shape
(1, 3, 3)
>>> UpSampling2D(2)(np.ones((1, 4, 4, 3), np.float32)).shape
(1, 8, 8, 3)
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..ops import arguments as arg_ops
from ..ops import image as image_ops
from ..ops import spatial as spatial_ops
from ..ops.core import Tensor
from .conv import check_rank, spatial_axes
from .layer import InputSpec, Layer, Shape

Pairs = tuple[tuple[int, int], ...]


def _scaled(n: int | None, factor: int, add: int = 0) -> int | None:
    return None if n is None else n * factor + add


class _Spatial(Layer):
    """A layer on ``(batch, *spatial, channels)`` data with ``rank`` spatial axes (or
    ``(batch, channels, *spatial)``) that maps each spatial size ``n`` to
    ``n · factor + added``; subclasses set ``rank``, and ``_factors`` and ``_added`` (one entry
    per spatial axis) in ``__init__``. Keras's 1-D layers other than ZeroPadding1D have no
    ``data_format`` (``_has_data_format = False``): their data is channels last."""

    rank = 2
    _has_data_format = True

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} '{self.name}': {error}") from None
        self._factors = (1,) * self.rank
        self._added = (0,) * self.rank

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank, self.data_format)
        shape = list(input_shape)
        for axis, factor, added in zip(
            spatial_axes(self.rank, self.data_format), self._factors, self._added, strict=True
        ):
            shape[axis] = _scaled(shape[axis], factor, added)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self._has_data_format:
            config["data_format"] = self.data_format
        return config


def _pairs(layer: _Spatial, value: Any, name: str) -> Pairs:
    """``value`` as one ``(before, after)`` pair of ints >= 0 per spatial axis of ``layer``, as
    Keras reads ``padding`` and ``cropping``: in 1-D an int or ``(before, after)``; in 2-D an
    int, ``(h, w)`` (symmetric) or ``((top, bottom), (left, right))``."""

    def pair(item: Any, item_name: str) -> tuple[int, int]:
        return arg_ops.normalize_tuple(item, 2, item_name, minimum=0)  # type: ignore[return-value]

    try:
        if layer.rank == 1:
            return (pair(value, name),)
        if (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(p, (list, tuple)) for p in value)
        ):
            return pair(value[0], f"{name}[0]"), pair(value[1], f"{name}[1]")
        h, w = arg_ops.normalize_tuple(value, 2, name, minimum=0)
        return (h, h), (w, w)
    except ValueError:
        forms = (
            "an int or a tuple of 2 ints"
            if layer.rank == 1
            else "an int, a tuple of 2 ints or a tuple of 2 tuples of 2 ints"
        )
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': {name} must be {forms}, all >= 0. "
            f"Received: {name}={value!r}"
        ) from None


class _Borders(_Spatial):
    """Adds (``_sign = 1``, padding) or removes (``_sign = -1``, cropping) rows before and after
    each spatial axis, as many as the pairs of the argument named ``_argument`` say. The
    attribute of that name has Keras's form: one pair in 1-D, a pair of pairs in 2-D."""

    _argument = "padding"
    _sign = 1

    def __init__(self, widths: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self._widths = _pairs(self, widths, self._argument)
        setattr(self, self._argument, self._widths[0] if self.rank == 1 else self._widths)
        self._added = tuple(self._sign * sum(pair) for pair in self._widths)

    def get_config(self) -> dict[str, Any]:
        widths = [list(pair) for pair in self._widths]
        return {**super().get_config(), self._argument: widths[0] if self.rank == 1 else widths}


class _ZeroPadding(_Borders):
    def call(self, inputs: Tensor) -> Tensor:
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(spatial_axes(self.rank, self.data_format), self._widths, strict=True):
            widths[axis] = pair
        return spatial_ops.pad(inputs, widths)


class _Cropping(_Borders):
    _argument = "cropping"
    _sign = -1

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = super().compute_output_shape(input_shape)
        if any(n is not None and n < 1 for n in shape):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): cropping={self.cropping} leaves "
                f"nothing of inputs of shape {tuple(input_shape)}."
            )
        return shape

    def call(self, inputs: Tensor) -> Tensor:
        self.compute_output_shape(inputs.shape)  # refuses a crop that leaves nothing
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(
            spatial_axes(self.rank, self.data_format), self._widths, strict=True
        ):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return ops.getitem(inputs, tuple(index))


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros before and after each sequence: ``(batch, steps, channels) ->
    (batch, before + steps + after, channels)``.

    Args:
        padding: an int (the same on both sides) or ``(before, after)``. Defaults to 1.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: an int (the same on all four sides), ``(h, w)`` (``h`` rows above and below,
            ``w`` columns left and right), or ``((top, bottom), (left, right))``. Defaults to
            ``(1, 1)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class Cropping1D(_Cropping):
    """Removes steps from the start and the end of each sequence:
    ``output = inputs[:, before : steps - after, :]``.

    Args:
        cropping: an int (the same at both ends) or ``(before, after)``. Defaults to ``(1, 1)``.
    """

    rank = 1
    _has_data_format = False

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(cropping, "channels_last", **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns at the borders of each image:
    ``output = inputs[:, top : h - bottom, left : w - right, :]`` (channels last).

    Args:
        cropping: an int (the same on all four sides), ``(h, w)`` (symmetric), or
            ``((top, bottom), (left, right))``. Defaults to ``((0, 0), (0, 0))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling1D(_Spatial):
    """Repeats each step of a sequence ``size`` times:
    ``output[:, i, :] = inputs[:, i // size, :]``.

    Args:
        size: a positive int. Defaults to 2.
    """

    rank = 1
    _has_data_format = False

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__("channels_last", **kwargs)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(
                f"UpSampling1D '{self.name}': size must be a positive integer. "
                f"Received: size={size!r}"
            )
        self.size = size
        self._factors = (size,)

    def call(self, inputs: Tensor) -> Tensor:
        return ops.repeat(inputs, self.size, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_Spatial):
    """Enlarges images ``size[0]`` times in height and ``size[1]`` times in width:
    ``'nearest'`` repeats each row and column, ``'bilinear'`` blends the four nearest input
    pixels (``ops.image.resize``, pixel centres aligned, as Keras 3).

    Args:
        size: int or ``(sh, sw)``. Defaults to ``(2, 2)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (default) or ``'bilinear'``.
    """

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ):
        super().__init__(data_format, **kwargs)
        try:
            self.size = arg_ops.normalize_tuple(size, 2, "size")
        except ValueError as error:
            raise ValueError(f"UpSampling2D '{self.name}': {error}") from None
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                "UpSampling2D supports interpolation='nearest' or 'bilinear'. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation
        self._factors = self.size

    def call(self, inputs: Tensor) -> Tensor:
        if self.interpolation == "nearest":
            return spatial_ops.upsampling2d(inputs, self.size, self.data_format)
        rows, cols = (1, 2) if self.data_format == "channels_last" else (2, 3)
        size = (inputs.shape[rows] * self.size[0], inputs.shape[cols] * self.size[1])
        return image_ops.resize(inputs, size, "bilinear", data_format=self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": list(self.size),
            "interpolation": self.interpolation,
        }


class RepeatVector(Layer):
    """Repeats each sample's vector ``n`` times along a new axis:
    ``(batch, features) -> (batch, n, features)``, ``output[:, i, :] = inputs`` for every
    ``i < n`` (e.g. to feed one encoding to every step of a decoder).

    Args:
        n: the number of repetitions, a positive integer (no default, as in Keras).
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"RepeatVector: n must be a positive integer. Received: n={n!r}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Tensor) -> Tensor:
        return ops.tile(ops.expand_dims(inputs, 1), (1, self.n, 1))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Reorders the axes of each sample: ``output.shape[i] = inputs.shape[dims[i - 1]]`` for
    ``i >= 1``; the batch axis stays first. ``Permute((2, 1))`` turns
    ``(batch, steps, features)`` into ``(batch, features, steps)``.

    Args:
        dims: a permutation of ``1 .. k`` for inputs of ``k + 1`` axes (indices start at 1, the
            batch axis being 0); no default, as in Keras.
    """

    def __init__(self, dims: tuple[int, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(dims) if isinstance(dims, (list, tuple)) else ()
        is_permutation = all(
            isinstance(d, int) and not isinstance(d, bool) for d in self.dims
        ) and sorted(self.dims) == list(range(1, len(self.dims) + 1))
        if not self.dims or not is_permutation:
            raise ValueError(
                "Permute: dims must be a permutation of 1, 2, ..., k (the batch axis 0 stays "
                f"first). Received: dims={dims!r}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Tensor) -> Tensor:
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": list(self.dims)}
