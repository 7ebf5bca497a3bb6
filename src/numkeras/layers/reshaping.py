"""Layers that change the height and width of images: ZeroPadding2D and UpSampling2D.

>>> import numpy as np
>>> ZeroPadding2D(((1, 2), (0, 1)))(np.ones((1, 4, 4, 3), np.float32)).shape
(1, 7, 5, 3)
>>> UpSampling2D(2)(np.ones((1, 4, 4, 3), np.float32)).shape
(1, 8, 8, 3)
"""

from __future__ import annotations

from typing import Any

from ..ops import arguments as arg_ops
from ..ops import spatial as spatial_ops
from ..ops.core import Tensor
from .conv import check_rank, spatial_axes
from .layer import InputSpec, Layer, Shape


def _scaled(n: int | None, factor: int, add: int = 0) -> int | None:
    return None if n is None else n * factor + add


class _Spatial2D(Layer):
    """A layer on ``(batch, h, w, c)`` images (or ``(batch, c, h, w)``) that maps each spatial
    size ``n`` to ``n · factor + added``; subclasses set ``_factors`` and ``_added``."""

    _factors: tuple[int, int] = (1, 1)
    _added: tuple[int, int] = (0, 0)

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} '{self.name}': {error}") from None

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, 2, self.data_format)
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, 2, self.data_format)
        shape = list(input_shape)
        for axis, factor, added in zip(
            spatial_axes(2, self.data_format), self._factors, self._added, strict=True
        ):
            shape[axis] = _scaled(shape[axis], factor, added)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class ZeroPadding2D(_Spatial2D):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: an int (the same on all four sides), ``(h, w)`` (``h`` rows above and below,
            ``w`` columns left and right), or ``((top, bottom), (left, right))``. Defaults to
            ``(1, 1)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self.padding = self._standardize(padding)
        self._added = tuple(sum(pair) for pair in self.padding)  # type: ignore[assignment]

    def _standardize(self, padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
        def pair(value: Any, name: str) -> tuple[int, int]:
            return arg_ops.normalize_tuple(value, 2, name, minimum=0)  # type: ignore[return-value]

        try:
            if (
                isinstance(padding, (list, tuple))
                and len(padding) == 2
                and all(isinstance(p, (list, tuple)) for p in padding)
            ):
                return pair(padding[0], "padding[0]"), pair(padding[1], "padding[1]")
            h, w = arg_ops.normalize_tuple(padding, 2, "padding", minimum=0)
            return (h, h), (w, w)
        except ValueError:
            raise ValueError(
                f"ZeroPadding2D '{self.name}': padding must be an int, a tuple of 2 ints or a "
                f"tuple of 2 tuples of 2 ints, all >= 0. Received: padding={padding!r}"
            ) from None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        widths = [(0, 0)] * 4
        for axis, pair in zip(spatial_axes(2, self.data_format), self.padding, strict=True):
            widths[axis] = pair
        return spatial_ops.pad(inputs, widths)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class UpSampling2D(_Spatial2D):
    """Repeats each row ``size[0]`` times and each column ``size[1]`` times (nearest neighbour).

    Args:
        size: int or ``(sh, sw)``. Defaults to ``(2, 2)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'``, the only one numkeras has.
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
        if interpolation != "nearest":
            raise ValueError(
                "UpSampling2D supports interpolation='nearest' only. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation
        self._factors = self.size  # type: ignore[assignment]

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        return spatial_ops.upsampling2d(inputs, self.size, self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": list(self.size),
            "interpolation": self.interpolation,
        }
