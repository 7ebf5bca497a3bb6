"""Turn a drawing or a photo of a digit into the 28x28 image an MNIST model expects.

MNIST's digits were made in three steps (LeCun et al., "Gradient-based learning applied to
document recognition", 1998), and a digit drawn in a browser must go through the same ones to be
read as well as the test digits are:

1. the digit's bounding box is scaled to fit a 20x20 box, keeping its aspect ratio, with
   anti-aliasing, which gives the grey levels at the stroke edges;
2. the 20x20 box is placed in a 28x28 field so that the digit's centre of mass (pixel
   intensities as weights) lands on the field's centre, by whole-pixel shifts (the mean centre of
   mass of MNIST's test digits is (13.99, 14.01) in row and column index, with a spread of a
   uniform +-0.5 around it);
3. the ink is white (1.0) on black (0.0), and the darkest stroke reaches 1.0 (255).

:func:`ink_from_grey` does the polarity and levels of step 3 for any grey picture (dark ink on
light paper or the reverse); :func:`to_mnist` does steps 1 and 2. Both work on whole arrays: no
Python loop over pixels.
"""

from __future__ import annotations

import numpy as np

#: Side of the field the model reads, and of the box the digit is fitted into.
FIELD = 28
BOX = 20
#: Where the centre of mass lands, in (row, column) index coordinates.
CENTRE = 14.0
#: Ink below this fraction of the strongest stroke is paper: it does not widen the bounding box.
INK_THRESHOLD = 0.1


class BlankImageError(ValueError):
    """The picture holds no ink: one flat colour, so there is no digit to read."""


def ink_from_grey(grey: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = strongest stroke, 0 = paper) from a grey picture of either polarity.

    The paper's level is the median of the picture's outer frame; when it is nearer the light
    end, the ink is dark (a drawing on white, a scan) and the levels are flipped, so the result
    is MNIST's white on black. Levels are then stretched so that the strongest ink is 1.0, and
    ink fainter than ``INK_THRESHOLD`` (JPEG noise, paper texture) is set to 0.

    Args:
        grey: a 2-D array of grey levels, any range (e.g. 0-255 or 0-1), float or integer.

    Returns:
        A float32 array of the same shape (float64 stays float64).

    Raises:
        BlankImageError: the picture is one flat colour.
        ValueError: ``grey`` is not 2-D, or holds NaN or infinity.
    """
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise ValueError(f"grey must be a 2-D picture. Received: shape={grey.shape}")
    ink = grey.astype(np.float64 if grey.dtype == np.float64 else np.float32)
    if not np.isfinite(ink).all():
        raise ValueError(
            "grey must hold finite numbers. Received: a picture with NaN or infinite levels"
        )
    frame = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    paper = np.median(frame)
    if paper - ink.min() > ink.max() - paper:
        np.subtract(paper, ink, out=ink)
    else:
        np.subtract(ink, paper, out=ink)
    peak = ink.max()
    if peak <= 0:
        raise BlankImageError("The image is one flat colour: there is no digit to read.")
    ink /= peak
    ink[ink < INK_THRESHOLD] = 0
    return ink


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """Fit a digit into MNIST's frame: bounding box into 20x20, centre of mass at (14, 14).

    Args:
        ink: a 2-D array of any size with the digit's ink high and the background 0 (MNIST's
            polarity; see :func:`ink_from_grey` for pictures of either polarity).

    Returns:
        A (28, 28) array in [0, 1], float32 unless ``ink`` is float64, whose strongest pixel is
        1.0. The digit's bounding box (pixels above ``INK_THRESHOLD`` of the strongest) is
        scaled so that its longer side is 20 pixels, then shifted by whole pixels so that its
        centre of mass is as near (14, 14) as the 28x28 field allows.

    Raises:
        BlankImageError: nothing in ``ink`` rises above 0.
        ValueError: ``ink`` is not 2-D, or holds NaN or infinity.

    Example:
        >>> import numpy as np
        >>> stroke = np.zeros((100, 60), "float32"); stroke[10:90, 28:34] = 1  # a "1"
        >>> digit = to_mnist(stroke)
        >>> digit.shape, float(digit.max())
        ((28, 28), 1.0)
    """
    if ink.ndim != 2 or min(ink.shape) < 1:
        raise ValueError(f"ink must be a 2-D picture. Received: shape={ink.shape}")
    dtype = np.float64 if ink.dtype == np.float64 else np.float32
    peak = ink.max()
    if not np.isfinite(peak):
        raise ValueError(f"ink must hold finite numbers. Received: a maximum of {peak}")
    if peak <= 0:
        raise BlankImageError("Nothing is drawn: every pixel is 0, so there is no digit to read.")
    mask = ink > INK_THRESHOLD * peak
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(dtype, copy=False)

    height, width = crop.shape
    scale = BOX / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    shrink_rows = resampling_matrix(out_h, height, dtype)
    shrink_cols = resampling_matrix(out_w, width, dtype)
    digit = shrink_rows @ crop @ shrink_cols.T
    np.clip(digit, 0, None, out=digit)
    digit /= digit.max()

    mass = digit.sum()
    centre_row = digit.sum(axis=1) @ np.arange(out_h, dtype=dtype) / mass
    centre_col = digit.sum(axis=0) @ np.arange(out_w, dtype=dtype) / mass
    top = _shift(centre_row, out_h)
    left = _shift(centre_col, out_w)
    field = np.zeros((FIELD, FIELD), dtype)
    field[top : top + out_h, left : left + out_w] = digit
    return field


def resampling_matrix(n_out: int, n_in: int, dtype: type = np.float32) -> np.ndarray:
    """The (n_out, n_in) matrix that resizes a row of ``n_in`` pixels to ``n_out``.

    Each output pixel is a triangle-weighted mean of the input pixels around its centre; when
    shrinking, the triangle widens to span ``n_in / n_out`` input pixels so that every input
    pixel counts (anti-aliasing, as a scanner's optics do). An image resizes as
    ``R_rows @ image @ R_cols.T``: two matrix products, no loop.
    """
    scale = n_out / n_in
    support = max(1.0, 1.0 / scale)
    centres = (np.arange(n_out) + 0.5) / scale
    distance = np.abs(np.arange(n_in) + 0.5 - centres[:, None]) / support
    weights = np.maximum(1.0 - distance, 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.astype(dtype)


def _shift(centre: float, size: int) -> int:
    # Whole-pixel offset that brings `centre` nearest CENTRE, kept inside the field so that no
    # ink is cut off (a lopsided digit such as a long-tailed 7 may sit slightly off centre).
    return int(np.clip(np.floor(CENTRE - centre + 0.5), 0, FIELD - size))
