"""Keras's classic ``ImageDataGenerator``: batches of randomly transformed images for ``fit``.

``ImageDataGenerator(rotation_range=15, width_shift_range=0.1, ...).flow(x, y, batch_size=100)``
is an iterator of ``(x_batch, y_batch)`` that ``model.fit`` takes directly: every batch is a fresh
random variation of the training images, so the network sees "more" data (the course's first
remedy for overfitting). Arguments, defaults and order of operations are those of
``keras.preprocessing.image.ImageDataGenerator`` (Keras 2; in Keras 3 a legacy class), with a
batched engine: the random parameters of a whole batch are drawn at once, turned into one affine
matrix per image (rotation, shift, shear, zoom and flips together) and applied in one resampling
of the batch (:mod:`numkeras.ops.image`) rather than one image at a time.

Differences from Keras, all deliberate:

* Transforms are applied about the true image centre ``((h-1)/2, (w-1)/2)``; Keras uses
  ``(h/2 + 0.5, w/2 + 0.5)``, one pixel off, so that its 90° rotation is ``np.rot90`` shifted
  by a pixel. Here it is ``np.rot90`` (``theta=90`` is ``np.rot90(x, -1)``: Keras's angles turn
  clockwise).
* ``interpolation_order`` is 0 (nearest) or 1 (bilinear, the default); scipy's higher-order
  splines are not implemented. Outside the image, each neighbour of a sample point is filled by
  ``fill_mode``, as in Keras 3's ``affine_transform``; scipy's ``'constant'`` mode blends
  differently within one pixel of the edge.
* ``brightness_range`` multiplies the pixel values by the drawn factor; Keras goes through a PIL
  image, rescaling every image to 0-255 and rounding to integers on the way.
* Random draws come from numkeras's random stream (``numkeras.utils.set_random_seed``), or from
  ``numpy.random.default_rng(seed)`` when a seed is given.
* ``flow`` has no ``save_to_dir``; ``flow_from_directory`` has it.

``flow_from_directory(directory)`` reads the images of ``directory``'s class subfolders with
Pillow (Keras 2's :class:`DirectoryIterator`: same file order, classes, validation split and
resizing) and augments them with the same batched engine.

On a GPU the batches are still made on the host, as Keras's are, from random draws on the host:
``fit`` copies each one to the device while the step before it computes
(:mod:`numkeras.models.device_feed`), and a GPU run gives the CPU's batches. Images already on the
GPU, given to ``flow`` or ``fit``, come over to the host once, explicitly.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..legacy import warn as _warn  # a UserWarning pointing at the user's line
from ..ops import image as affine
from ..utils.data_utils import PyDataset
from ..utils.image_dataset import CHANNELS, class_subdirectories, walk_files
from ..utils.image_utils import (  # Keras 2 imported them from here  # noqa: F401
    COLOR_MODES,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

#: The transform parameters of Keras's ``apply_transform`` and their neutral values.
_NEUTRAL = {
    "theta": 0.0,
    "tx": 0.0,
    "ty": 0.0,
    "shear": 0.0,
    "zx": 1.0,
    "zy": 1.0,
    "flip_horizontal": False,
    "flip_vertical": False,
    "channel_shift_intensity": None,
    "brightness": None,
}
_STD_EPSILON = 1e-6  # added to standard deviations before dividing, as Keras does


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_shift_range(value: Any, name: str) -> Any:
    if _is_number(value):
        return value
    array = np.asarray(value)
    if array.ndim == 1 and array.size and array.dtype.kind in "iuf":
        return array
    raise ValueError(
        f"{name} must be a float, an int or a 1-D array of numbers. Received: {name}={value!r}"
    )


def _pair(value: Any, name: str) -> tuple[float, float]:
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_number, value)):
        return float(value[0]), float(value[1])
    raise ValueError(f"{name} must be a tuple or list of two floats. Received: {name}={value!r}")


class ImageDataGenerator:
    """Generate batches of image data with real-time augmentation.

    Args:
        featurewise_center: subtract the per-channel mean of the data given to :meth:`fit`.
        samplewise_center: subtract each image's own mean.
        featurewise_std_normalization: divide by the per-channel standard deviation from
            :meth:`fit` (plus 1e-6); implies ``featurewise_center``.
        samplewise_std_normalization: divide each image by its own standard deviation (plus
            1e-6); implies ``samplewise_center``.
        zca_whitening: multiply each flattened image by the ZCA matrix from :meth:`fit`;
            implies ``featurewise_center`` and replaces ``featurewise_std_normalization``.
        zca_epsilon: added to the eigenvalues in ZCA. Defaults to ``1e-6``.
        rotation_range: angles in degrees drawn from ``[-r, r]``.
        width_shift_range: horizontal shift. A float below 1 is a fraction of the width, at
            least 1 a number of pixels, drawn from ``[-r, r)``; an int ``r`` draws whole pixels
            from ``(-r, r)``; a 1-D array draws one of its values, with a random sign.
        height_shift_range: the same, vertically.
        brightness_range: ``(low, high)``: multiply each image by a factor drawn from it.
        shear_range: shear angle in degrees drawn from ``[-r, r]``.
        zoom_range: ``z`` draws the zoom of each axis from ``[1 - z, 1 + z]``, a pair
            ``(low, high)`` from it; values above 1 zoom out.
        channel_shift_range: add a value drawn from ``[-r, r]`` to every channel, clipped to the
            image's range.
        fill_mode: ``'nearest'`` (default), ``'constant'``, ``'reflect'`` or ``'wrap'``.
        cval: the value of ``'constant'`` fill (in the raw pixel scale, before ``rescale``).
        horizontal_flip: flip half of the images left-right.
        vertical_flip: flip half of the images upside down.
        rescale: multiply the data by this value (after the transforms), e.g. ``1/255``.
        preprocessing_function: called on each image (rank 3) after the transforms and before
            the normalisations; it runs once per image, in Python.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        validation_split: fraction of the data that ``flow(subset='validation')`` gives (its
            *first* samples, as in Keras, unlike ``fit``'s last).
        interpolation_order: 0 (nearest) or 1 (bilinear, the default).
        dtype: dtype of the batches. Defaults to floatx.
    """

    def __init__(
        self,
        featurewise_center: bool = False,
        samplewise_center: bool = False,
        featurewise_std_normalization: bool = False,
        samplewise_std_normalization: bool = False,
        zca_whitening: bool = False,
        zca_epsilon: float = 1e-6,
        rotation_range: float = 0,
        width_shift_range: Any = 0.0,
        height_shift_range: Any = 0.0,
        brightness_range: Any = None,
        shear_range: float = 0.0,
        zoom_range: Any = 0.0,
        channel_shift_range: float = 0.0,
        fill_mode: str = "nearest",
        cval: float = 0.0,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        rescale: float | None = None,
        preprocessing_function: Callable[[np.ndarray], np.ndarray] | None = None,
        data_format: str | None = None,
        validation_split: float = 0.0,
        interpolation_order: int = 1,
        dtype: str | None = None,
    ):
        if zca_whitening:
            if featurewise_std_normalization:
                _warn(
                    "This ImageDataGenerator specifies `zca_whitening`, which "
                    "overrides setting of `featurewise_std_normalization`."
                )
            featurewise_std_normalization = False
        if (zca_whitening or featurewise_std_normalization) and not featurewise_center:
            _warn(
                "This ImageDataGenerator specifies `zca_whitening` or "
                "`featurewise_std_normalization`, which overrides setting of "
                "`featurewise_center`."
            )
            featurewise_center = True
        if samplewise_std_normalization and not samplewise_center:
            _warn(
                "This ImageDataGenerator specifies `samplewise_std_normalization`, "
                "which overrides setting of `samplewise_center`."
            )
            samplewise_center = True
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        for name, value in (
            ("rotation_range", rotation_range),
            ("shear_range", shear_range),
            ("channel_shift_range", channel_shift_range),
        ):
            if not _is_number(value) or value < 0:
                raise ValueError(
                    f"{name} must be a non-negative number. Received: {name}={value!r}"
                )
        self.rotation_range = rotation_range
        self.width_shift_range = _check_shift_range(width_shift_range, "width_shift_range")
        self.height_shift_range = _check_shift_range(height_shift_range, "height_shift_range")
        self.brightness_range = (
            None if brightness_range is None else _pair(brightness_range, "brightness_range")
        )
        self.shear_range = shear_range
        if _is_number(zoom_range):
            self.zoom_range = (1.0 - zoom_range, 1.0 + zoom_range)
        else:
            self.zoom_range = _pair(zoom_range, "zoom_range")
        self.channel_shift_range = channel_shift_range
        self.fill_mode = affine.check_fill_mode(fill_mode)
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "data_format must be 'channels_last' (channels after rows and "
                "columns) or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format
        self.channel_axis, self.row_axis, self.col_axis = (
            (3, 1, 2) if data_format == "channels_last" else (1, 2, 3)
        )
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                "validation_split must be strictly between 0 and 1. "
                f"Received: validation_split={validation_split!r}"
            )
        self._validation_split = validation_split
        if interpolation_order not in (0, 1):
            raise ValueError(
                "interpolation_order must be 0 (nearest) or 1 (bilinear). "
                f"Received: interpolation_order={interpolation_order!r}"
            )
        self.interpolation_order = interpolation_order
        self.dtype = dtype or backend.floatx()
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.principal_components: np.ndarray | None = None

    # -- iterating -----------------------------------------------------------------------------
    def flow(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        sample_weight: Any = None,
        seed: int | None = None,
        ignore_class_split: bool = False,
        subset: str | None = None,
    ) -> NumpyArrayIterator:
        """An iterator of augmented, standardized batches of ``x`` (and ``y``, ``sample_weight``).

        ``x`` is a rank-4 array of images. Each item is ``x_batch``, ``(x_batch, y_batch)`` or
        ``(x_batch, y_batch, sample_weight_batch)``; ``model.fit`` takes the iterator as it is.
        ``subset='training'`` / ``'validation'`` takes the part set by ``validation_split``.
        """
        return NumpyArrayIterator(
            x,
            y,
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            sample_weight=sample_weight,
            seed=seed,
            data_format=self.data_format,
            subset=subset,
            ignore_class_split=ignore_class_split,
            dtype=self.dtype,
        )

    def flow_from_directory(
        self,
        directory: str | os.PathLike[str],
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        save_to_dir: str | os.PathLike[str] | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
    ) -> DirectoryIterator:
        """An iterator of augmented, standardized batches of the images in ``directory``'s
        class subfolders (one subfolder per class), with their labels; see
        :class:`DirectoryIterator` for the arguments."""
        return DirectoryIterator(
            directory,
            self,
            target_size=target_size,
            color_mode=color_mode,
            classes=classes,
            class_mode=class_mode,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            data_format=self.data_format,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            follow_links=follow_links,
            subset=subset,
            interpolation=interpolation,
            keep_aspect_ratio=keep_aspect_ratio,
            dtype=self.dtype,
        )

    def _augment(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A batch randomly transformed (parameters drawn from ``rng``), then standardized."""
        return self._standardize(self._transform(x, self._draw(len(x), x.shape[1:], rng)))

    # -- random transforms ---------------------------------------------------------------------
    def _draw(self, n: int, img_shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        """Random transform parameters for ``n`` images of ``img_shape`` (one image's shape)."""
        height, width = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        zeros, no = np.zeros(n), np.zeros(n, dtype=bool)

        def symmetric(limit: float) -> np.ndarray:
            """Draws from [-limit, limit], only for the transforms that are switched on."""
            return rng.uniform(-limit, limit, n) if limit else zeros

        zoom = self.zoom_range != (1.0, 1.0)
        return {
            "theta": symmetric(self.rotation_range),
            "tx": self._shifts(self.height_shift_range, height, n, rng),
            "ty": self._shifts(self.width_shift_range, width, n, rng),
            "shear": symmetric(self.shear_range),
            "zx": rng.uniform(*self.zoom_range, n) if zoom else zeros + 1,
            "zy": rng.uniform(*self.zoom_range, n) if zoom else zeros + 1,
            "flip_horizontal": rng.random(n) < 0.5 if self.horizontal_flip else no,
            "flip_vertical": rng.random(n) < 0.5 if self.vertical_flip else no,
            "channel_shift_intensity": (
                symmetric(self.channel_shift_range) if self.channel_shift_range else None
            ),
            "brightness": (
                rng.uniform(*self.brightness_range, n)
                if self.brightness_range is not None
                else None
            ),
        }

    @staticmethod
    def _shifts(spec: Any, size: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Keras's shift draw for ``n`` images: a float ``r`` draws from ``[-r, r)``; an int
        ``r`` draws one of ``0 .. r-1`` and an array one of its values, times a random sign.
        When all values are below 1 they are fractions of ``size``, else pixels."""
        if not np.any(spec):
            return np.zeros(n)
        if isinstance(spec, (np.ndarray, numbers.Integral)):
            values = np.arange(spec) if isinstance(spec, numbers.Integral) else spec
            shifts = rng.choice(values, n) * rng.choice([-1, 1], n)
        else:
            shifts = rng.uniform(-spec, spec, n)
        return shifts * size if np.max(spec) < 1 else shifts.astype(np.float64)

    def get_random_transform(
        self, img_shape: tuple[int, ...], seed: int | None = None
    ) -> dict[str, Any]:
        """Random parameters for one image of ``img_shape``, in the form :meth:`apply_transform`
        takes (``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy``, ``flip_horizontal``,
        ``flip_vertical``, ``channel_shift_intensity``, ``brightness``)."""
        params = self._draw(1, tuple(img_shape), _generator(seed))
        return {k: None if v is None else v[0].item() for k, v in params.items()}

    def apply_transform(self, x: np.ndarray, transform_parameters: dict[str, Any]) -> np.ndarray:
        """One image transformed by ``transform_parameters`` (see :meth:`get_random_transform`).

        As in Keras, ``theta`` (degrees) turns clockwise, ``tx``/``zx`` act on rows (positive
        ``tx`` moves the content up) and ``ty``/``zy`` on columns (positive ``ty`` moves it
        left); missing keys mean no change.
        """
        unknown = set(transform_parameters) - set(_NEUTRAL)
        if unknown:
            raise ValueError(
                f"Unknown transform parameter(s) {sorted(unknown)}; expected some "
                f"of {sorted(_NEUTRAL)}."
            )
        params = {
            k: None if (v := transform_parameters.get(k, d)) is None else np.array([v])
            for k, d in _NEUTRAL.items()
        }
        x = np.asarray(x, dtype=self.dtype)
        return self._transform(x[None], params)[0]

    def random_transform(self, x: np.ndarray, seed: int | None = None) -> np.ndarray:
        """One image, randomly transformed."""
        x = np.asarray(x, dtype=self.dtype)
        return self._transform(x[None], self._draw(1, x.shape, _generator(seed)))[0]

    def _transform(self, batch: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """A batch transformed by per-image ``params`` (arrays), in one resampling."""
        if self.data_format == "channels_first":
            batch = np.moveaxis(batch, 1, -1)
        height, width = batch.shape[1:3]
        matrices = _matrices(params)
        if matrices is not None:
            matrices = affine.about_center(matrices, height, width)
            interpolation = "bilinear" if self.interpolation_order == 1 else "nearest"
            batch = affine.resample(batch, matrices, self.fill_mode, self.cval, interpolation)
        shift = params["channel_shift_intensity"]
        if shift is not None:
            low = batch.min(axis=(1, 2, 3), keepdims=True)
            high = batch.max(axis=(1, 2, 3), keepdims=True)
            batch = np.clip(batch + shift.astype(batch.dtype)[:, None, None, None], low, high)
        if params["brightness"] is not None:
            batch = batch * params["brightness"].astype(batch.dtype)[:, None, None, None]
        if self.data_format == "channels_first":
            batch = np.moveaxis(batch, -1, 1)
        return batch

    # -- normalisation -------------------------------------------------------------------------
    def standardize(self, x: np.ndarray) -> np.ndarray:
        """A batch (rank 4) or one image (rank 3) normalised as configured, as a new array:
        ``preprocessing_function``, ``rescale``, sample-wise, then feature-wise centring and
        scaling, then ZCA."""
        x = np.array(x, dtype=self.dtype)
        single = x.ndim == 3
        batch = self._standardize(x[None] if single else x)
        return batch[0] if single else batch

    def _standardize(self, x: np.ndarray) -> np.ndarray:
        """:meth:`standardize` in place on a float batch (it may return a new array)."""
        if self.preprocessing_function is not None:
            for i in range(len(x)):  # the user's function takes one image
                x[i] = self.preprocessing_function(x[i])
        if self.rescale:
            x *= x.dtype.type(self.rescale)
        axes = (1, 2, 3)
        if self.samplewise_center:
            x -= x.mean(axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            x /= x.std(axis=axes, keepdims=True) + _STD_EPSILON
        for flag, stat, step in (
            ("featurewise_center", "mean", np.subtract),
            ("featurewise_std_normalization", "std", np.divide),
        ):
            if getattr(self, flag):
                value = getattr(self, stat)
                if value is None:
                    _warn(
                        f"This ImageDataGenerator specifies `{flag}`, but it hasn't "
                        "been fit on any training data. Fit it first by calling "
                        "`.fit(numpy_data)`."
                    )
                else:
                    step(x, value + (_STD_EPSILON if stat == "std" else 0), out=x)
        if self.zca_whitening:
            if self.principal_components is None:
                _warn(
                    "This ImageDataGenerator specifies `zca_whitening`, but it hasn't "
                    "been fit on any training data. Fit it first by calling "
                    "`.fit(numpy_data)`."
                )
            else:
                flat = x.reshape(len(x), -1) @ self.principal_components
                x = flat.reshape(x.shape).astype(x.dtype, copy=False)
        return x

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None) -> None:
        """Compute the statistics that the feature-wise normalisations and ZCA need from ``x``.

        ``x`` is a rank-4 array, rescaled first when ``rescale`` is set; with ``augment``, the
        statistics are taken over ``rounds`` randomly transformed copies of it. The per-channel
        ``mean`` and ``std`` (after centring) are stored with shape ``(1, 1, channels)`` (or
        ``(channels, 1, 1)`` for channels_first).
        """
        x = np.array(backend.to_numpy(x), dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                f"Input to `.fit()` should have rank 4. Got array with shape: {x.shape}"
            )
        _check_channels(x.shape, self.channel_axis, "fit()")
        if self.rescale:
            x *= x.dtype.type(self.rescale)
        if augment:
            rng = _generator(seed)
            x = np.concatenate(
                [self._transform(x, self._draw(len(x), x.shape[1:], rng)) for _ in range(rounds)]
            )
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = x.mean(axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = x.std(axis=axes).reshape(shape)
            x /= self.std + _STD_EPSILON
        if self.zca_whitening:
            flat = x.reshape(len(x), -1).astype(np.float64)
            sigma = flat.T @ flat / len(flat)
            u, s, _ = np.linalg.svd(sigma)
            whitening = (u * (1.0 / np.sqrt(s[None] + self.zca_epsilon))) @ u.T
            self.principal_components = whitening.astype(self.dtype)


def _matrices(params: dict[str, Any]) -> np.ndarray | None:
    """The transforms of ``params`` as matrices (about the origin), or None if there is none.

    Keras's order: rotation, shift, shear, zoom, then the flips; neutral ones are left out.
    """
    theta, tx, ty, shear = params["theta"], params["tx"], params["ty"], params["shear"]
    zx, zy, flip_h, flip_v = (params[k] for k in ("zx", "zy", "flip_horizontal", "flip_vertical"))
    factors = []
    if np.any(theta):
        factors.append(affine.rotation(-np.deg2rad(theta)))
    if np.any(tx) or np.any(ty):
        factors.append(affine.translation(-tx, -ty))
    if np.any(shear):
        factors.append(affine.shear(np.deg2rad(shear)))
    if np.any(zx != 1) or np.any(zy != 1):
        factors.append(affine.scaling(zx, zy))
    if np.any(flip_h) or np.any(flip_v):
        factors.append(affine.scaling(np.where(flip_v, -1.0, 1.0), np.where(flip_h, -1.0, 1.0)))
    return functools.reduce(np.matmul, factors) if factors else None


def _generator(seed: int | None) -> np.random.Generator:
    return backend.rng() if seed is None else np.random.default_rng(seed)


def _check_channels(shape: tuple[int, ...], channel_axis: int, where: str) -> None:
    if shape[channel_axis] not in (1, 3, 4):
        data_format = "channels_last" if channel_axis == 3 else "channels_first"
        _warn(
            f"{where} expects images with 1, 3 or 4 channels on axis {channel_axis} "
            f"(data_format is {data_format}), but received an array of shape {shape} "
            f"({shape[channel_axis]} channels)."
        )


class Iterator(PyDataset):
    """The batching of Keras's image iterators (``keras.preprocessing.image.Iterator``).

    A ``PyDataset``: ``len(it)`` batches per epoch, ``it[i]`` the ``i``-th batch of this epoch's
    order of the ``n`` samples, ``on_epoch_end()`` reshuffles; and an endless iterator:
    ``next(it)`` gives the next batch, reshuffling at the start of each pass. A subclass builds
    a batch from sample indices in ``_batch``.
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None):
        super().__init__()
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(
                f"batch_size must be a positive integer. Received: batch_size={batch_size!r}"
            )
        self.n = n
        self.batch_size, self.shuffle, self.seed = int(batch_size), shuffle, seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array: np.ndarray | None = None

    @property
    def rng(self) -> np.random.Generator:
        return self._rng if self._rng is not None else backend.rng()

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def _set_index_array(self) -> None:
        self.index_array = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def on_epoch_end(self) -> None:
        """Draw a new order of the samples (when shuffling)."""
        self._set_index_array()

    def reset(self) -> None:
        """Start the next pass of ``next()`` from its first batch."""
        self.batch_index = 0

    def __getitem__(self, idx: int) -> Any:
        if not 0 <= idx < len(self):
            raise ValueError(
                f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}"
            )
        if self.index_array is None:
            self._set_index_array()
        self.total_batches_seen += 1
        return self._batch(self.index_array[self.batch_size * idx : self.batch_size * (idx + 1)])

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        if self.batch_index == 0 or self.index_array is None:
            self._set_index_array()
        start = self.batch_index * self.batch_size
        self.batch_index = (self.batch_index + 1) % len(self)
        self.total_batches_seen += 1
        return self._batch(self.index_array[start : start + self.batch_size])

    next = __next__  # Keras's name

    def _batch(self, index: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _batch(index).")


class NumpyArrayIterator(Iterator):
    """Augmented batches of in-memory images, made by :meth:`ImageDataGenerator.flow`.

    Every batch is transformed afresh, so asking twice for ``it[0]`` gives two different
    variations of the same images.
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        image_data_generator: ImageDataGenerator,
        batch_size: int = 32,
        shuffle: bool = False,
        sample_weight: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        subset: str | None = None,
        ignore_class_split: bool = False,
        dtype: str | None = None,
    ):
        self.dtype = dtype or backend.floatx()
        # The batches are prepared on the host: arrays on the GPU come over once, explicitly.
        x = backend.to_numpy(x)
        y = None if y is None else backend.to_numpy(y)
        sample_weight = None if sample_weight is None else backend.to_numpy(sample_weight)
        if y is not None and len(x) != len(y):
            raise ValueError(
                "`x` (images tensor) and `y` (labels) should have the same length. "
                f"Found: x.shape = {x.shape}, y.shape = {y.shape}"
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "`x` (images tensor) and `sample_weight` should have the same "
                f"length. Found: x.shape = {x.shape}, "
                f"sample_weight.shape = {sample_weight.shape}"
            )
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(
                    f"subset must be 'training' or 'validation'. Received: subset={subset!r}"
                )
            split = int(len(x) * image_data_generator._validation_split)
            if (
                y is not None
                and not ignore_class_split
                and not np.array_equal(np.unique(y[:split]), np.unique(y[split:]))
            ):
                raise ValueError(
                    "Training and validation subsets have different number of "
                    "classes after the split. If your numpy arrays are sorted by "
                    "the label, you might want to shuffle them."
                )
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x = x[part]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        if x.ndim != 4:
            raise ValueError(
                "Input data in `NumpyArrayIterator` should have rank 4. You passed "
                f"an array with shape {x.shape}"
            )
        data_format = data_format or "channels_last"
        _check_channels(x.shape, 3 if data_format == "channels_last" else 1, "NumpyArrayIterator")
        self.x = np.ascontiguousarray(x, dtype=self.dtype)
        self.y, self.sample_weight = y, sample_weight
        self.image_data_generator = image_data_generator
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _batch(self, index: np.ndarray) -> Any:
        """The samples at ``index``: transformed, standardized, with their targets."""
        x = self.image_data_generator._augment(np.take(self.x, index, axis=0), self.rng)
        if self.y is None:
            return x
        y = np.take(self.y, index, axis=0)
        if self.sample_weight is None:
            return x, y
        return x, y, np.take(self.sample_weight, index, axis=0)


class DirectoryIterator(Iterator):
    """Augmented batches of the images in a folder's class subfolders, made by
    :meth:`ImageDataGenerator.flow_from_directory` (Keras 2's ``DirectoryIterator``).

    Each subfolder of ``directory`` is a class (all of them, sorted, or those named in
    ``classes``, in that order); its image files (png, jpg, jpeg, bmp, ppm, tif, tiff), at any
    depth, are its samples. With the generator's ``validation_split``, ``subset='validation'``
    takes the first ``validation_split`` of each class's files and ``'training'`` the rest.
    Each image is read by Pillow in ``color_mode``, resized to ``target_size``, then randomly
    transformed and standardized by the generator.

    Args:
        directory: the folder of class subfolders.
        image_data_generator: the :class:`ImageDataGenerator` that augments the batches.
        target_size: ``(height, width)`` of the images. Defaults to ``(256, 256)``.
        color_mode: ``'rgb'`` (default), ``'rgba'`` or ``'grayscale'``.
        classes: the subfolders to read, in the order of their indices. Default: all, sorted.
        class_mode: the labels: ``'categorical'`` (default; one-hot), ``'binary'`` or
            ``'sparse'`` (the class index), ``'input'`` (the images themselves) or None (no
            labels).
        batch_size: default 32.
        shuffle: draw a new order of the files every epoch. Default True.
        seed: of the shuffling and the transforms.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        save_to_dir: also write every augmented image there, as
            ``{save_prefix}_{index}_{random}.{save_format}`` (default format ``'png'``).
        follow_links: descend into subfolders that are symbolic links. Default False.
        subset: ``'training'`` or ``'validation'`` (with the generator's ``validation_split``).
        interpolation: Pillow's resampling: ``'nearest'`` (default), ``'bilinear'``,
            ``'bicubic'``, ``'hamming'``, ``'box'`` or ``'lanczos'``.
        keep_aspect_ratio: crop the centre to ``target_size``'s aspect ratio before resizing.
        dtype: of the batches. Defaults to the generator's.

    Attributes:
        classes: the class index of every file (int32); ``labels`` is the same array.
        class_indices: class name to index.
        filenames: the files' paths relative to ``directory``; ``filepaths`` the full paths.
        samples: the number of files; ``num_classes`` the number of classes.
    """

    #: The file suffixes Keras 2 reads as images (case ignored).
    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(
        self,
        directory: str | os.PathLike[str],
        image_data_generator: ImageDataGenerator,
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        data_format: str | None = None,
        save_to_dir: str | os.PathLike[str] | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
        dtype: str | None = None,
    ):
        if color_mode not in COLOR_MODES:
            raise ValueError(f"color_mode must be one of {COLOR_MODES}. Received: {color_mode!r}")
        if class_mode not in self.allowed_class_modes:
            raise ValueError(
                f"class_mode must be one of {self.allowed_class_modes}. "
                f"Received: class_mode={class_mode!r}"
            )
        if subset not in ("training", "validation", None):
            raise ValueError(
                f"subset must be 'training', 'validation' or None. Received: subset={subset!r}"
            )
        try:
            self.target_size = affine.check_size(target_size)
        except ValueError:
            raise ValueError(
                "target_size must be (height, width), two positive integers. Received: "
                f"target_size={target_size!r}"
            ) from None
        self.directory = os.fspath(directory)
        self.image_data_generator = image_data_generator
        self.color_mode, self.class_mode = color_mode, class_mode
        self.data_format = data_format or backend.image_data_format()
        self.dtype = dtype or backend.floatx()
        channels = CHANNELS[color_mode]
        self.image_shape = (
            (*self.target_size, channels)
            if self.data_format == "channels_last"
            else (channels, *self.target_size)
        )
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        self.subset = subset
        class_names = classes or class_subdirectories(self.directory, skip_hidden=False)
        self.num_classes = len(class_names)
        self.class_indices = {name: index for index, name in enumerate(class_names)}
        self.filenames: list[str] = []
        labels: list[int] = []
        for index, name in enumerate(class_names):
            files = self._subset_files(os.path.join(self.directory, name), follow_links)
            self.filenames += [os.path.relpath(path, self.directory) for path in files]
            labels += [index] * len(files)
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self.filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _subset_files(self, folder: str, follow_links: bool) -> list[str]:
        """The image files of one class folder in this iterator's subset."""
        files = list(walk_files(folder, self.white_list_formats, follow_links))
        if self.subset is None:
            return files
        # Keras 2 splits every class on its own: validation first, training after it.
        split = int(self.image_data_generator._validation_split * len(files))
        return files[:split] if self.subset == "validation" else files[split:]

    @property
    def labels(self) -> np.ndarray:
        """The class index of every file (``classes``)."""
        return self.classes

    def _load(self, path: str) -> np.ndarray:
        image = load_img(
            path,
            color_mode=self.color_mode,
            target_size=self.target_size,
            interpolation=self.interpolation,
            keep_aspect_ratio=self.keep_aspect_ratio,
        )
        return img_to_array(image, data_format=self.data_format, dtype=self.dtype)

    def _batch(self, index: np.ndarray) -> Any:
        """The files at ``index``: read, transformed, standardized, with their labels."""
        x = np.stack([self._load(self.filepaths[i]) for i in index])
        x = self.image_data_generator._augment(x, self.rng)
        if self.save_to_dir:
            for image, i in zip(x, index):
                name = f"{self.save_prefix}_{i}_{self.rng.integers(10**7)}.{self.save_format}"
                array_to_img(image, self.data_format, scale=True).save(
                    os.path.join(self.save_to_dir, name)
                )
        if self.class_mode is None:
            return x
        if self.class_mode == "input":
            return x, x.copy()
        labels = self.classes[index]
        if self.class_mode == "categorical":
            return x, np.eye(self.num_classes, dtype=self.dtype)[labels]
        return x, labels.astype(self.dtype)
