"""Read an uploaded PNG or JPEG into grey levels, treating the bytes as untrusted input.

Pillow decodes; before it does, the image's size (read from its header) is checked, so a small
file that would unpack into a huge picture is refused without being unpacked.
"""

from __future__ import annotations

import io

import numpy as np

#: The formats accepted, as Pillow names them.
FORMATS = ("PNG", "JPEG")
#: Largest picture accepted, in pixels (a 12-megapixel phone photo fits).
MAX_PIXELS = 4096 * 4096
#: Pictures are shrunk to this side before the digit is looked for: far more than 20x20 needs.
WORKING_SIDE = 1024


class ImageError(ValueError):
    """The upload is not a PNG or JPEG picture that can be read."""


def read_grey(data: bytes) -> np.ndarray:
    """The grey levels (float32, 0-255, shape (height, width)) of a PNG or JPEG file's bytes.

    Transparent pixels count as white paper (a drawing exported with a transparent background
    is dark ink on nothing). Photos are turned upright by their EXIF orientation, and pictures
    larger than ``WORKING_SIDE`` are shrunk with anti-aliasing.

    Raises:
        ImageError: ``data`` is not a PNG or JPEG, is damaged, or has more than ``MAX_PIXELS``.
    """
    from PIL import Image, ImageOps

    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Exception as error:  # Pillow signals unreadable input with many exception types.
        raise ImageError(f"Could not read the upload as a PNG or JPEG image ({error}).") from None
    kind, (width, height) = image.format, image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"The image is too large: at most {MAX_PIXELS:,} pixels (e.g. "
                         f"4096x4096). Received: {width}x{height}")
    try:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((WORKING_SIDE, WORKING_SIDE))
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, "white")
            image = Image.alpha_composite(paper, rgba)
        return np.asarray(image.convert("L"), dtype=np.float32)
    except Exception as error:  # A header can be sound and the pixel data behind it damaged.
        raise ImageError(f"Could not decode the {kind} image ({error}).") from None
