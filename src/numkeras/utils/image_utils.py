"""Images as files, Pillow images and arrays: Keras 3's ``load_img``, ``img_to_array``,
``array_to_img`` and ``save_img``.

Pillow does the decoding and encoding; it comes with the ``serve`` extra (``pip install
pillow`` alone is enough), and these functions say so when it is missing. Arrays are
(height, width, channels) in ``channels_last`` and (channels, height, width) in
``channels_first``, the format defaulting to ``numkeras.backend.image_data_format()``.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from .. import backend

#: Pillow's resampling filters by the names Keras accepts.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
COLOR_MODES = ("grayscale", "rgb", "rgba")


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Images need Pillow: pip install pillow (or numkeras[serve]).") from None
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'. Received: "
            f"data_format={data_format!r}"
        )
    return data_format


def load_img(
    path: str | os.PathLike[str] | io.BytesIO,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Read an image file as a Pillow image in ``color_mode`` (``'grayscale'``, ``'rgb'``,
    ``'rgba'``; default ``'rgb'``), resized to ``target_size`` = (height, width) with
    ``interpolation`` (default ``'nearest'``); ``keep_aspect_ratio`` first crops the centre
    to the target's aspect ratio."""
    image_module = _pil()
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be one of {COLOR_MODES}. Received: {color_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {INTERPOLATIONS}. Received: {interpolation!r}"
        )
    if isinstance(path, io.BytesIO):
        image = image_module.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as stream:
            image = image_module.open(io.BytesIO(stream.read()))
    else:
        raise TypeError(f"path must be a path or an io.BytesIO. Received: {type(path).__name__}")
    modes = {"grayscale": ("L", "I;16", "I"), "rgb": ("RGB",), "rgba": ("RGBA",)}[color_mode]
    if image.mode not in modes:
        image = image.convert(modes[0])
    if target_size is None:
        return image
    size = (int(target_size[1]), int(target_size[0]))  # Pillow counts width first
    if image.size == size:
        return image
    resample = getattr(image_module.Resampling, interpolation.upper())
    box = _centre_crop(image.size, size) if keep_aspect_ratio else None
    return image.resize(size, resample, box=box)


def _centre_crop(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int, int, int]:
    """The centred (left, top, right, bottom) box of ``size`` with the aspect of ``target``."""
    width, height = size
    crop_width = min(width, height * target[0] // target[1])
    crop_height = min(height, width * target[1] // target[0])
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return left, top, left + crop_width, top + crop_height


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """A Pillow image as a rank-3 array of ``dtype`` (default floatx), channels last or
    first; a grayscale image gets one channel."""
    array = np.asarray(img, dtype=dtype or backend.floatx())
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise ValueError(f"img_to_array needs a 2-D or 3-D image. Received shape {array.shape}")
    return array.transpose(2, 0, 1) if _data_format(data_format) == "channels_first" else array


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None
) -> Any:
    """A rank-3 array as a Pillow image (1, 3 or 4 channels: L, RGB, RGBA); ``scale`` (default
    True) first maps the array's minimum to 0 and its maximum to 255."""
    image_module = _pil()
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img needs a rank-3 image array. Received shape {x.shape}")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x -= x.min()
        if x.max() != 0:
            x /= x.max()
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_module.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if x.max() > 255:  # Pillow's 32-bit integer grayscale
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img takes 1, 3 or 4 channels. Received {channels}")


def save_img(
    path: str | os.PathLike[str],
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Write the array ``x`` as an image file (the format from ``file_format`` or the path's
    suffix); ``kwargs`` go to Pillow's ``Image.save``."""
    image = array_to_img(x, data_format=data_format, scale=scale)
    is_jpeg = (file_format or str(path)).lower().endswith(("jpg", "jpeg"))
    if image.mode == "RGBA" and is_jpeg:
        image = image.convert("RGB")  # JPEG has no alpha channel
    image.save(path, format=file_format, **kwargs)
