"""Augmentation layers: more training data, made by random transforms of each batch (Keras 3).

``RandomTranslation``, ``RandomRotation``, ``RandomZoom``, ``RandomFlip`` and ``RandomContrast``
transform every image of a batch with its own random draw while training, and pass inputs
through unchanged at inference (``predict`` and ``evaluate`` call them with ``training=False``).
As in Keras 3, a direct call without ``training`` (``layer(images)``) augments, so the layer can
be tried out on a few images.

Inputs are images ``(batch, height, width, channels)``, or one image ``(height, width,
channels)``; put the layers right after the model's ``Input``. Geometric layers resample the
whole batch at once (:mod:`numkeras.ops.image`, bilinear by default). All are
differentiable with respect to their input (so they may also sit deeper in a network); the
random draws get no gradient. Draws come from numkeras's random stream (reproduced by
``numkeras.utils.set_random_seed``), or from the layer's own stream when ``seed`` is given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, ops
from ..ops import image as affine
from ..ops.core import Tensor
from .layer import Layer, Shape


def _factor_range(value: Any, name: str, bound: float | None = None) -> tuple[float, float]:
    """Keras's factor convention: ``f`` means ``(-|f|, |f|)``; a pair is taken as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = -abs(float(value)), abs(float(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        low, high = sorted(float(v) for v in value)
    else:
        raise ValueError(
            f"{name} must be a number or a tuple of two numbers (lower, upper). "
            f"Received: {name}={value!r}"
        )
    if bound is not None and (low < -bound or high > bound):
        raise ValueError(f"{name} must lie in [-{bound}, {bound}]. Received: {name}={value!r}")
    return low, high


def _plain(value: Any) -> Any:
    """``value`` as JSON keeps it: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value


class _RandomLayer(Layer):
    """Shared by the augmentation layers: the random stream, the training switch, and
    unbatched inputs. A subclass implements ``_augment(images, rng)`` on a 4-D batch."""

    def __init__(self, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = seed
        # A seeded layer draws from its own stream, as Keras's SeedGenerator does.
        self._rng = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        # Keras 3 augmentation layers default to training=True; only False switches them off.
        if training is False:
            return inputs
        if inputs.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects images (batch, height, "
                f"width, channels) or one image (height, width, channels). Received: "
                f"inputs.shape={inputs.shape}"
            )
        rng = self._rng if self._rng is not None else backend.rng()
        if inputs.ndim == 3:
            batch = self._augment(ops.reshape(inputs, (1, *inputs.shape)), rng)
            return ops.reshape(batch, inputs.shape)
        return self._augment(inputs, rng)

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class _AffineLayer(_RandomLayer):
    """A random affine transform per image, about the image centre, resampled in one batch."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = affine.check_fill_mode(fill_mode)
        self.interpolation = affine.check_interpolation(interpolation)
        self.fill_value = float(fill_value)

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        n, h, w = images.shape[:3]
        matrices = affine.about_center(self._matrices(n, h, w, rng), h, w)
        return affine.transform(
            images, matrices, self.fill_mode, self.fill_value, self.interpolation
        )

    def _matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random transforms (output to input coordinates, about the origin)."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomTranslation(_AffineLayer):
    """Shift each image by a random fraction of its height and width while training.

    Args:
        height_factor: ``f`` shifts vertically by a fraction drawn from ``[-f, f]`` of the
            height; a pair ``(lower, upper)`` gives the range. Positive shifts move the image
            down. Values lie in ``[-1, 1]``.
        width_factor: the same for the width; positive shifts move the image right.
        fill_mode: how points outside the image are filled: ``'reflect'`` (default),
            ``'wrap'``, ``'constant'`` or ``'nearest'``.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        seed: seed of the layer's own random stream.
        fill_value: the value of ``'constant'`` fill. Defaults to ``0.0``.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_range(height_factor, "height_factor", bound=1.0)
        self._width = _factor_range(width_factor, "width_factor", bound=1.0)

    def _matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        rows = rng.uniform(*self._height, size=n) * height
        cols = rng.uniform(*self._width, size=n) * width
        return affine.translation(rows, cols)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": _plain(self.height_factor),
            "width_factor": _plain(self.width_factor),
        }


class RandomRotation(_AffineLayer):
    """Rotate each image by a random angle about its centre while training.

    Args:
        factor: a fraction of a full turn (2π): ``f`` draws angles from ``[-f·2π, f·2π]``, a
            pair ``(lower, upper)`` from ``[lower·2π, upper·2π]``. Positive angles rotate
            counter-clockwise (``factor`` 0.25 is a quarter turn, as ``np.rot90``).
        fill_mode, interpolation, seed, fill_value: as for :class:`RandomTranslation`.
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self._range = _factor_range(factor, "factor")

    def _matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        return affine.rotation(rng.uniform(*self._range, size=n) * 2 * math.pi)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": _plain(self.factor)}


class RandomZoom(_AffineLayer):
    """Zoom each image in or out by a random factor about its centre while training.

    Args:
        height_factor: ``f`` draws the vertical zoom from ``[-f, f]``, a pair from
            ``(lower, upper)``; the image is sampled over ``1 + zoom`` times its height, so a
            positive value zooms out and a negative one zooms in. Values are at least ``-1``.
        width_factor: the same for the width; ``None`` (default) uses the vertical zoom, which
            keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value: as for :class:`RandomTranslation`.
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _factor_range(height_factor, "height_factor")
        self._width = None if width_factor is None else _factor_range(width_factor, "width_factor")
        for name, bounds in (("height_factor", self._height), ("width_factor", self._width)):
            if bounds is not None and bounds[0] < -1:
                raise ValueError(
                    f"{name} must have values larger than -1. "
                    f"Received: {name}={getattr(self, name)!r}"
                )

    def _matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        rows = 1.0 + rng.uniform(*self._height, size=n)
        cols = rows if self._width is None else 1.0 + rng.uniform(*self._width, size=n)
        return affine.scaling(rows, cols)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": _plain(self.height_factor),
            "width_factor": _plain(self.width_factor),
        }


_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(_RandomLayer):
    """Flip each image left-right and/or upside down with probability 1/2 while training.

    Args:
        mode: ``'horizontal'`` (left-right), ``'vertical'`` (upside down) or
            ``'horizontal_and_vertical'`` (default: each with its own draw).
        seed: seed of the layer's own random stream.
    """

    def __init__(
        self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs: Any
    ):
        super().__init__(seed=seed, **kwargs)
        if mode not in _FLIP_MODES:
            raise ValueError(f"mode must be one of {_FLIP_MODES}. Received: mode={mode!r}")
        self.mode = mode

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        xp = backend.get_array_module(images.data)
        every = slice(None)
        for name, axis in (("horizontal", 2), ("vertical", 1)):
            if name in self.mode:
                flip = xp.asarray(rng.random(images.shape[0]) < 0.5)[:, None, None, None]
                reverse = tuple(slice(None, None, -1) if a == axis else every for a in range(4))
                images = ops.where(flip, images[reverse], images)
        return images

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}


class RandomContrast(_RandomLayer):
    """Scale each image's contrast by a random factor while training.

    Each channel of each image becomes ``(x - mean) · c + mean`` (``mean`` over its pixels),
    with ``c`` drawn per image from ``[1 - lower, 1 + upper]``, then clipped to
    ``value_range``.

    Args:
        factor: ``f`` for ``lower = upper = f``, or a pair ``(lower, upper)``; in ``[0, 1]``.
        value_range: the range of the pixel values. Defaults to ``(0, 255)``.
        seed: seed of the layer's own random stream.
    """

    def __init__(
        self,
        factor: Any,
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (tuple, list)) and len(factor) == 2:
            lower, upper = factor
        else:
            lower = upper = factor
        if not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
            for v in (lower, upper)
        ):
            raise ValueError(
                "factor must be a number or a pair of numbers in [0, 1]. "
                f"Received: factor={factor!r}"
            )
        if (
            not isinstance(value_range, (tuple, list))
            or len(value_range) != 2
            or not value_range[0] < value_range[1]
        ):
            raise ValueError(
                "value_range must be a pair (low, high) with low < high. "
                f"Received: value_range={value_range!r}"
            )
        self.factor = factor
        self.value_range = tuple(value_range)
        self._range = (1.0 - float(lower), 1.0 + float(upper))

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        xp = backend.get_array_module(images.data)
        c = rng.uniform(*self._range, size=(images.shape[0], 1, 1, 1))
        c = xp.asarray(c, dtype=images.dtype)
        mean = ops.mean(images, axis=(1, 2), keepdims=True)
        return ops.clip((images - mean) * c + mean, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": _plain(self.factor),
            "value_range": list(self.value_range),
        }
