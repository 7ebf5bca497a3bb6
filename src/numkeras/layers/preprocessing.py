"""Preprocessing layers: Rescaling and Normalization of features, CenterCrop and Resizing of
images. They sit inside a model, so a saved model carries its own preprocessing.

>>> import numpy as np
>>> Rescaling(1 / 255)(np.full((1, 2), 255, np.uint8)).numpy()
array([[1., 1.]], dtype=float32)
>>> Resizing(4, 6)(np.ones((1, 8, 8, 3), np.float32)).shape
(1, 4, 6, 3)
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .. import backend, ops
from ..backend import image_data_format
from ..ops import arguments as arg_ops
from ..ops import image as image_ops
from ..ops.core import Tensor
from ..ops.shape import getitem
from .layer import Layer, Shape


def _plain(value: Any) -> Any:
    """A number, or nested lists of numbers, of ``value`` (an array, list or number), for
    configs that pass through JSON."""
    return None if value is None else np.asarray(value).tolist()


class Rescaling(Layer):
    """Rescales inputs: ``y = x · scale + offset``, in the layer's float dtype.

    E.g. ``Rescaling(1 / 255)`` maps pixels ``[0, 255]`` to ``[0, 1]``, and
    ``Rescaling(1 / 127.5, offset=-1)`` to ``[-1, 1]``.

    Args:
        scale: a number, or one per channel (broadcast along the last axis; along the channel
            axis of ``(channels, height, width)`` images under ``image_data_format()
            == 'channels_first'``, as Keras does).
        offset: a number or one per channel, added after scaling. Defaults to 0.0.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            if not np.issubdtype(np.asarray(value).dtype, np.number):
                raise ValueError(
                    f"{name} must be a number or a list of numbers. Received: {name}={value!r}"
                )
        self.scale, self.offset = scale, offset

    def _constant(self, value: Any) -> np.ndarray:
        value = np.asarray(value, dtype=self.dtype)
        if value.ndim and image_data_format() == "channels_first":
            # Per-channel values of (..., channels, height, width) images.
            value = value.reshape(value.shape + (1,) * (3 - value.ndim))
        return value

    def call(self, inputs: Tensor) -> Tensor:
        return inputs * self._constant(self.scale) + self._constant(self.offset)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": _plain(self.scale),
            "offset": _plain(self.offset),
        }


def _zeros(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Zeros of any dtype (numkeras's initializers make floats; the sample count is an int)."""
    return np.zeros(shape, dtype)


class _RunningMoments:
    """Mean and (biased) variance of batches seen one at a time, in float64, merged with Chan,
    Golub and LeVeque's parallel update so that the result equals that of one pass over all the
    data, without the cancellation of ``E[x²] - E[x]²``:

    ``δ = μ_b - μ_a``, ``n = n_a + n_b``, ``μ = μ_a + δ · n_b / n``,
    ``M₂ = M₂_a + M₂_b + δ² · n_a · n_b / n`` (``M₂`` the sum of squared deviations).
    """

    def __init__(self, reduce_axes: tuple[int, ...]):
        self.reduce_axes = reduce_axes
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def update(self, batch: np.ndarray) -> None:
        batch = np.asarray(batch, dtype=np.float64)
        count = int(np.prod([batch.shape[a] for a in self.reduce_axes], dtype=np.int64))
        if count == 0:
            return
        mean = batch.mean(axis=self.reduce_axes)
        m2 = np.square(batch - np.expand_dims(mean, self.reduce_axes)).sum(axis=self.reduce_axes)
        total = self.count + count
        delta = mean - self.mean
        self.mean = self.mean + delta * (count / total)
        self.m2 = self.m2 + m2 + np.square(delta) * (self.count * count / total)
        self.count = total

    @property
    def variance(self) -> Any:
        return self.m2 / self.count


def _features(element: Any) -> np.ndarray:
    """The inputs of one element of a data set: ``x`` of an ``(x, y[, sample_weight])`` tuple."""
    if isinstance(element, tuple):
        element = element[0]
    return np.asarray(element.numpy() if isinstance(element, Tensor) else element)


def _batches(data: Any, batch_size: int | None, steps: int | None) -> Iterator[np.ndarray]:
    """The batches ``adapt`` reads: an array whole (or in slices of ``batch_size``), or the
    elements of an indexable data set (a ``PyDataset``, a list) or of an iterable (a
    generator), each one a batch; at most ``steps`` of them."""
    batches: Iterable[Any]
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        array = _features(data)
        size = batch_size or max(len(array), 1)
        batches = (array[i : i + size] for i in range(0, len(array), size))
    elif hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        # Keras's Sequence and PyDataset are indexed by batch and need not be iterable.
        batches = (data[i] for i in range(len(data)))
    elif isinstance(data, Iterable):
        batches = data
    else:
        raise TypeError(
            "adapt() takes an array, or an iterable of batches (a list, a generator, a "
            f"PyDataset). Received: data of type {type(data).__name__}"
        )
    for batch in itertools.islice(batches, steps):
        yield _features(batch)


class Normalization(Layer):
    """Standardizes features: ``y = (x - mean) / max(√variance, ε)`` (ε = ``backend.epsilon()``,
    1e-7), or with ``invert=True`` the inverse ``y = mean + x · max(√variance, ε)``.

    ``mean`` and ``variance`` are given, or learnt by :meth:`adapt` from data before training:
    one pair per position along ``axis``, the statistics taken over every other axis. Learnt
    ones are the layer's non-trainable weights ``mean``, ``variance`` and ``count`` (the
    number of values each statistic was taken over; Keras 3 has the weight but leaves it 0),
    so they are saved and loaded with the model.

    Args:
        axis: the axis, or axes, that keep their own statistics (e.g. -1: one per feature);
            None for one mean and variance over everything. Defaults to -1.
        mean: the mean to use, broadcastable to the kept axes; None to adapt. Defaults to None.
        variance: the variance, given with ``mean``. Defaults to None.
        invert: apply the inverse transformation (e.g. to map predictions back to the original
            scale of the targets). Defaults to False.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            axis = (axis,)
        if not isinstance(axis, (list, tuple)) or not all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
        ):
            raise ValueError(
                f"axis must be an int, a list of ints or None. Received: axis={axis!r}"
            )
        self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both mean and variance, or neither (to adapt). "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        if mean is not None and np.ndim(mean) > len(self.axis):
            raise ValueError(
                f"mean must have at most {len(self.axis)} axes (one per kept axis, "
                f"axis={self.axis}). Received: mean of shape {np.shape(mean)}"
            )
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)

    def build(self, input_shape: Shape) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Layer '{self.name}' (Normalization): axis={self.axis} must be in "
                f"[-{ndim}, {ndim}) for inputs of shape {tuple(input_shape)}."
            )
        keep = sorted({a % ndim for a in self.axis})
        if any(input_shape[a] is None for a in keep):
            raise ValueError(
                f"Layer '{self.name}' (Normalization) needs known sizes on axis={self.axis}. "
                f"Received: input shape {tuple(input_shape)}."
            )
        self._keep = tuple(keep)
        self._reduce = tuple(a for a in range(ndim) if a not in keep)
        self._broadcast = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        stats_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.mean = self.add_weight(
                shape=stats_shape, name="mean", initializer="zeros", trainable=False
            )
            self.variance = self.add_weight(
                shape=stats_shape, name="variance", initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                shape=(), name="count", dtype="int64", initializer=_zeros, trainable=False
            )
        else:
            # Given statistics line up with the last kept axes, as Keras's do.
            shape = [1] * ndim
            for axis, size in zip(reversed(keep), reversed(np.shape(self.input_mean))):
                shape[axis] = size
            self.mean, self.variance = (
                np.broadcast_to(
                    np.asarray(value, self.dtype).reshape(shape), self._broadcast
                ).reshape(stats_shape)
                for value in (self.input_mean, self.input_variance)
            )

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns ``mean`` and ``variance`` from ``data``, before training.

        Args:
            data: an array of inputs, or an iterable (list, generator, PyDataset) of batches of
                them, or of ``(x, y)`` tuples (only ``x`` is read). Read once, in a streaming
                pass whose result equals the statistics of all the data at once.
            batch_size: read an array in slices of this many samples (to bound memory).
                Defaults to the whole array at once.
            steps: read at most this many batches. Defaults to all.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was given mean and variance; adapt() "
                "learns them only when both are None."
            )
        batches = _batches(data, batch_size, steps)
        first = next(batches, None)
        if first is None:
            raise ValueError("adapt() received no data (an empty array or iterable).")
        if not self.built:
            self._maybe_build((None, *first.shape[1:]))
        moments = _RunningMoments(self._reduce)
        for batch in itertools.chain([first], batches):
            if batch.ndim != len(self._broadcast) or any(
                batch.shape[a] != self._broadcast[a] for a in self._keep
            ):
                raise ValueError(
                    f"adapt() got a batch of shape {batch.shape}; layer '{self.name}' "
                    f"(Normalization) expects sizes {self._broadcast} on axes {self._keep}."
                )
            moments.update(batch)
        self.set_weights([moments.mean, moments.variance, np.asarray(moments.count)])

    def call(self, inputs: Tensor) -> Tensor:
        mean = ops.reshape(self.mean, self._broadcast)
        std = ops.maximum(ops.sqrt(ops.reshape(self.variance, self._broadcast)), backend.epsilon())
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": list(self.axis),
            "invert": self.invert,
            "mean": _plain(self.input_mean),
            "variance": _plain(self.input_variance),
        }


class _ImageSizing(Layer):
    """A layer that gives images the size ``(height, width)``: ``(batch, h, w, c)`` or one
    image ``(h, w, c)`` (channels first with ``data_format='channels_first'``)."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.height, self.width = image_ops.check_size((height, width))
        try:
            self.data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} '{self.name}': {error}") from None

    def _spatial_axes(self, ndim: int) -> tuple[int, int]:
        if ndim not in (3, 4):
            raise ValueError(
                f"Input of layer '{self.name}' ({type(self).__name__}) must be a batch of "
                f"images (4-D) or one image (3-D). Received: {ndim}-D input."
            )
        last = -1 if self.data_format == "channels_first" else -2
        return ndim + last - 1, ndim + last

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = list(input_shape)
        rows, cols = self._spatial_axes(len(shape))
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def _resize(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        """:func:`numkeras.ops.image.resize` of ``inputs`` to the layer's size."""
        return image_ops.resize(
            inputs, (self.height, self.width), data_format=self.data_format, **kwargs
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class CenterCrop(_ImageSizing):
    """Crops the centred ``height`` x ``width`` window of each image: rows from
    ``(h - height) // 2``, columns from ``(w - width) // 2``.

    An image smaller than the target on either side is instead resized as Keras's
    ``smart_resize`` does: its largest centred window of the target's aspect ratio is resized
    (bilinear) to ``height`` x ``width``.

    Args:
        height, width: of the output.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.
    """

    def call(self, inputs: Tensor) -> Tensor:
        rows, cols = self._spatial_axes(inputs.ndim)
        h, w = inputs.shape[rows], inputs.shape[cols]
        if h < self.height or w < self.width:
            return self._resize(inputs, crop_to_aspect_ratio=True)
        top, left = (h - self.height) // 2, (w - self.width) // 2
        index = [slice(None)] * inputs.ndim
        index[rows], index[cols] = slice(top, top + self.height), slice(left, left + self.width)
        return getitem(inputs, tuple(index))


class Resizing(_ImageSizing):
    """Resizes images to ``height`` x ``width`` as Keras 3 on JAX does (``jax.image.resize``):
    output pixel ``(i, j)`` samples the input at ``((i + ½)·h/height - ½, (j + ½)·w/width - ½)``
    (see :func:`numkeras.ops.image.resize`). Differentiable with respect to the images.

    Args:
        height, width: of the output.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        crop_to_aspect_ratio: resize the largest centred window of the target's aspect ratio,
            so the image is not distorted. Defaults to False.
        pad_to_aspect_ratio: instead pad the image to the target's aspect ratio before
            resizing. Defaults to False.
        fill_mode: of that padding: ``'constant'`` (default), the only one Keras has.
        fill_value: of that padding. Defaults to 0.0.
        antialias: Keras's low-pass filter when downsampling; only False (its default) is
            supported.
        data_format: ``'channels_last'`` (default: ``image_data_format()``) or
            ``'channels_first'``.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(height, width, data_format, **kwargs)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing '{self.name}': interpolation must be one of "
                f"{image_ops.RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        if antialias:
            raise ValueError(
                f"Resizing '{self.name}' supports antialias=False only. Received: antialias=True"
            )
        if fill_mode != "constant":
            raise ValueError(
                f"Resizing '{self.name}' supports fill_mode='constant' only. "
                f"Received: fill_mode={fill_mode!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                f"Resizing '{self.name}' takes crop_to_aspect_ratio or pad_to_aspect_ratio, "
                "not both. Received: both True"
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value, self.antialias = fill_mode, float(fill_value), False

    def call(self, inputs: Tensor) -> Tensor:
        self._spatial_axes(inputs.ndim)
        return self._resize(
            inputs,
            interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }
