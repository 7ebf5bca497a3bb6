"""Pooling layers: the maximum or the mean of each window, or of the whole image or sequence.

``MaxPooling2D(pool_size=(2, 2))`` halves the height and width of its input, keeping the largest
value of each 2×2 block; ``GlobalAveragePooling2D`` averages each channel over the whole image.
Names, arguments and defaults are Keras 3's (``strides`` default to ``pool_size``); Keras 1's
``border_mode``, ``dim_ordering`` and, on the 1-D poolings, ``pool_length`` and ``stride`` are
renamed with a warning.

>>> import numpy as np
>>> MaxPooling2D()(np.zeros((2, 24, 24, 8), np.float32)).shape
(2, 12, 12, 8)
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..ops import arguments as arg_ops
from ..ops import pooling as pool_ops
from ..ops import windows as win_ops
from ..ops.core import Tensor
from .conv import check_rank, spatial_axes
from .layer import InputSpec, Layer, Shape


class _Pooling(Layer):
    """What the windowed pooling layers share: arguments, shape checks, config.

    Subclasses set ``rank`` (1 or 2) and ``mode`` (``'max'`` or ``'average'``).
    """

    rank = 2
    mode = "max"

    def __init__(
        self, pool_size: Any, strides: Any, padding: str, data_format: str | None, **kwargs: Any
    ):
        super().__init__(**kwargs)
        try:
            self.pool_size = arg_ops.normalize_tuple(pool_size, self.rank, "pool_size")
            self.strides = (
                self.pool_size
                if strides is None
                else arg_ops.normalize_tuple(strides, self.rank, "strides")
            )
            self.padding = arg_ops.standardize_padding(padding)
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} '{self.name}': {error}") from None

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check_fits(self, input_shape: Shape) -> tuple[int | None, ...]:
        spatial = tuple(
            win_ops.conv_output_length(input_shape[axis], p, s, 1, self.padding)
            for axis, p, s in zip(
                spatial_axes(self.rank, self.data_format), self.pool_size, self.strides, strict=True
            )
        )
        if any(n is not None and n < 1 for n in spatial):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): pool_size={self.pool_size} is "
                f"larger than the input with padding='{self.padding}'. Received: input shape "
                f"{tuple(input_shape)}."
            )
        return spatial

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        self._check_fits(inputs.shape)
        if self.rank == 1:
            pool = pool_ops.max_pool1d if self.mode == "max" else pool_ops.avg_pool1d
            return pool(inputs, self.pool_size[0], self.strides[0], self.padding, self.data_format)
        pool = pool_ops.max_pool2d if self.mode == "max" else pool_ops.avg_pool2d
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank, self.data_format)
        spatial = self._check_fits(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *spatial)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling2D(_Pooling):
    """The maximum of each ``pool_size`` window, windows moved by ``strides``.

    Args:
        pool_size: int or ``(ph, pw)``. Defaults to ``(2, 2)``.
        strides: int, ``(sh, sw)`` or None for ``pool_size``. Defaults to None.
        padding: ``'valid'`` or ``'same'`` (padded positions never win). Defaults to ``'valid'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """The mean of each ``pool_size`` window; with ``padding='same'`` the padded positions are
    left out of the mean. Arguments and defaults as :class:`MaxPooling2D`'s."""

    mode = "average"

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling):
    """The maximum of each window of ``pool_size`` steps of a ``(batch, steps, channels)``
    sequence. Defaults: ``pool_size=2``, ``strides=None`` (= pool_size), ``padding='valid'``.
    Keras 1's ``pool_length`` and ``stride`` are renamed with a warning."""

    rank = 1

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """The mean of each window of ``pool_size`` steps of a ``(batch, steps, channels)``
    sequence; with ``padding='same'`` the padded steps are left out of the mean. Arguments,
    defaults and Keras 1 names as :class:`MaxPooling1D`'s."""

    rank = 1
    mode = "average"

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """The mean or maximum of each channel over all ``rank`` spatial axes.

    Subclasses set ``rank`` and ``reduce``. Keras 3's defaults: ``data_format=None`` (channels
    last), ``keepdims=False`` (``True`` keeps the reduced axes with size 1).
    """

    rank = 2
    reduce = staticmethod(ops.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} '{self.name}': {error}") from None
        self.keepdims = bool(keepdims)

    @property
    def _axes(self) -> tuple[int, ...]:
        return spatial_axes(self.rank, self.data_format)

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return type(self).reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank, self.data_format)
        if self.keepdims:
            return tuple(1 if a in self._axes else n for a, n in enumerate(input_shape))
        return tuple(n for a, n in enumerate(input_shape) if a not in self._axes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean of each channel over the whole image: ``(batch, h, w, c) -> (batch, c)``
    (``(batch, 1, 1, c)`` with ``keepdims=True``)."""


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum of each channel over the whole image: ``(batch, h, w, c) -> (batch, c)``
    (``(batch, 1, 1, c)`` with ``keepdims=True``)."""

    reduce = staticmethod(ops.max)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean of each channel over the steps: ``(batch, steps, c) -> (batch, c)``
    (``(batch, 1, c)`` with ``keepdims=True``).

    Called with ``mask=m`` (``(batch, steps)``, true for the steps to keep) the mean is over
    the kept steps only: ``Σ_t m_t·x_t / Σ_t m_t``, as in Keras.
    """

    rank = 1

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), self._channel_axis)
        total = ops.sum(inputs * weights, axis=self._axes, keepdims=self.keepdims)
        return total / ops.sum(weights, axis=self._axes, keepdims=self.keepdims)

    def compute_mask(self, inputs: Tensor, mask: Any = None) -> None:
        """None: the steps are averaged away (Keras 3's rule; the layer reads the mask)."""
        return None

    @property
    def _channel_axis(self) -> int:
        return 2 if self.data_format == "channels_last" else 1


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum of each channel over the steps: ``(batch, steps, c) -> (batch, c)``
    (``(batch, 1, c)`` with ``keepdims=True``)."""

    rank = 1
    reduce = staticmethod(ops.max)


# Keras's short names for the same classes.
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
