"""Read an uploaded PNG or JPEG into grey levels, treating the bytes as untrusted input.

Pillow decodes; before it does, the image's size (read from its header) is checked, so a small
file that would unpack into a huge picture, or into a very long thin one, is refused without
being unpacked.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import numpy as np

from .limits import MAX_DECODES

#: The formats accepted, as Pillow names them.
FORMATS = ("PNG", "JPEG")
#: Longest side accepted, in pixels, for width and height alike (a 12-megapixel phone photo,
#: 4032x3024, fits). Bounding each side, not only their product, is what bounds the memory a
#: decode takes: resampling a 1x16,000,000 picture costs far more than its pixel count says.
MAX_SIDE = 4096
#: Pictures are shrunk to this side before the digit is looked for: far more than 20x20 needs.
WORKING_SIDE = 1024
#: Modes in which Pillow opens 16-bit grey PNGs (``I`` in older Pillow versions, ``I;16`` now).
SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N")
#: 16-bit levels (0-65535) to 8-bit ones (0-255): 65535 / 255.
SIXTEEN_TO_EIGHT = 257
_DECODING = threading.BoundedSemaphore(MAX_DECODES)


class ImageError(ValueError):
    """The upload is not a PNG or JPEG picture that can be read."""


def read_grey(data: bytes) -> np.ndarray:
    """The grey levels (float32, 0-255, shape (height, width)) of a PNG or JPEG file's bytes.

    Every mode a PNG or JPEG opens in is read at its full depth: 16-bit grey is scaled to
    0-255 (not clipped), 1-bit black and white becomes 0 and 255, palette, RGB and CMYK become
    their luminance. Transparent pixels count as white paper (a drawing exported with a
    transparent background is dark ink on nothing). Photos are turned upright by their EXIF
    orientation, and pictures larger than ``WORKING_SIDE`` are shrunk with anti-aliasing. At
    most ``limits.MAX_DECODES`` pictures are decoded at once; other callers wait their turn.

    Raises:
        ImageError: ``data`` is not a PNG or JPEG, is damaged, or has a side longer than
            ``MAX_SIDE`` pixels.
    """
    from PIL import Image, ImageOps

    too_large = f"The image is too large: each side must be at most {MAX_SIDE:,} pixels."
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:
        # Pillow's own limit is far above MAX_SIDE squared, so this picture is over ours too.
        raise ImageError(
            f"{too_large} Received: a picture of over {2 * Image.MAX_IMAGE_PIXELS:,} pixels"
        ) from None
    except Exception:  # Pillow signals unreadable input with many exception types.
        # Pillow's own message names the file object with its memory address: not for a client.
        raise ImageError(
            f"Could not read the upload as a PNG or JPEG image: expected a PNG or "
            f"JPEG file with a sound header. Received: {len(data):,} bytes "
            f"starting with {data[:8].hex(' ') or 'nothing'}."
        ) from None
    kind, (width, height) = image.format, image.size
    if max(width, height) > MAX_SIDE:
        raise ImageError(f"{too_large} Received: {width}x{height}")
    try:
        with _DECODING:
            image = _resamplable(ImageOps.exif_transpose(image))
            image.thumbnail((WORKING_SIDE, WORKING_SIDE))
            return _grey_levels(image)
    except Exception as error:  # A header can be sound and the pixel data behind it damaged.
        raise ImageError(f"Could not decode the {kind} image ({error}).") from None


def _resamplable(image: Any) -> Any:
    """``image`` in a mode that shrinks with anti-aliasing and keeps its full depth."""
    from PIL import Image

    if image.mode in SIXTEEN_BIT:
        levels = np.asarray(image, dtype=np.float32) / SIXTEEN_TO_EIGHT
        transparent = image.info.get("transparency")
        if transparent is not None:
            levels[np.asarray(image) == transparent] = 255
        return Image.fromarray(levels)  # float32: mode F
    # Pillow resizes 1-bit and palette pictures by nearest neighbour, which drops thin strokes.
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    return image


def _grey_levels(image: Any) -> np.ndarray:
    from PIL import Image

    if image.mode == "F":
        # Shrinking overshoots at sharp edges; 8-bit modes clip that away, floats do not.
        return np.clip(np.asarray(image, dtype=np.float32), 0, 255)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return np.asarray(image.convert("L"), dtype=np.float32)
