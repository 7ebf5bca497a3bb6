"""Batched affine resampling of images: Keras's ``keras.ops.image``, and the engine of the
augmentation layers and of ImageDataGenerator.

Images are ``(batch, height, width, channels)`` (channels_last). A transform is a 3x3 matrix ``M``
per image that maps each *output* pixel to the *input* point it samples (the inverse mapping, as
in ``scipy.ndimage.affine_transform`` and Keras)::

    (row_in, col_in, 1) = M @ (row, col, 1)

with pixel centres at integer coordinates. The whole batch is resampled at once: the sample
points of every output pixel come from one broadcast product, their 4 neighbours (bilinear) or
nearest neighbour are gathered with one ``take`` each from the flattened (padded) batch, and
blended, so the cost is about twenty array passes per batch whatever its size and no Python loop
runs over images or pixels.

Points outside the image are filled as in Keras (``fill_mode``), applied to each neighbour's
integer index:

* ``'reflect'``: ``d c b a | a b c d | d c b a`` (mirrored about the edge of the last pixel);
* ``'wrap'``: ``a b c d | a b c d | a b c d``;
* ``'nearest'``: ``a a a a | a b c d | d d d d``;
* ``'constant'``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``.

The matrix builders below return ``(n, 3, 3)`` float64 stacks; compose them with ``@`` (the
rightmost acts first on the output coordinates) and centre them with :func:`about_center`.
:func:`resample` applies them to arrays, :func:`transform` to tensors (on the tape), and
:func:`affine_transform` is Keras's face of the same op, with Keras's 8-number transforms.
:func:`resize` (Keras's ``ops.image.resize``) is the same resampling onto a grid of another
size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from .arguments import standardize_data_format
from .core import Op, Tensor, convert_to_tensor
from .scratch import ScratchPool
from .shape import GetItem, Reshape
from .spatial import Pad
from .windows import from_channels_last, to_channels_last

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


# -- transform matrices (output coordinates -> input coordinates) -----------------------------
def _stack(r0: tuple[Any, Any, Any], r1: tuple[Any, Any, Any]) -> np.ndarray:
    """``(n, 3, 3)`` matrices whose first two rows hold ``r0`` and ``r1`` (numbers or arrays of
    length ``n``) and whose last row is ``(0, 0, 1)``."""
    n = max(np.size(v) for v in (*r0, *r1))
    m = np.zeros((n, 3, 3))
    for j in range(3):
        m[:, 0, j] = r0[j]
        m[:, 1, j] = r1[j]
    m[:, 2, 2] = 1.0
    return m


def _vector(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def rotation(angles: Any) -> np.ndarray:
    """Rotate the image content counter-clockwise by ``angles`` (radians) about the origin.

    Output pixel ``(r, c)`` samples ``(cos·r + sin·c, -sin·r + cos·c)`` (rows point down).
    """
    a = _vector(angles)
    cos, sin = np.cos(a), np.sin(a)
    return _stack((cos, sin, 0), (-sin, cos, 0))


def translation(rows: Any, cols: Any) -> np.ndarray:
    """Move the image content down by ``rows`` and right by ``cols`` pixels (may be fractional)."""
    return _stack((1, 0, -_vector(rows)), (0, 1, -_vector(cols)))


def scaling(rows: Any, cols: Any) -> np.ndarray:
    """Sample at ``(rows·r, cols·c)``: factors above 1 zoom out, below 1 zoom in, -1 flips."""
    return _stack((_vector(rows), 0, 0), (0, _vector(cols), 0))


def shear(angles: Any) -> np.ndarray:
    """Keras's shear by ``angles`` (radians): output ``(r, c)`` samples
    ``(r - sin·c, cos·c)``, as ``keras.preprocessing.image.apply_affine_transform``."""
    a = _vector(angles)
    return _stack((1, -np.sin(a), 0), (0, np.cos(a), 0))


def about_center(matrices: np.ndarray, height: int, width: int) -> np.ndarray:
    """``matrices`` applied about the image centre ``((height-1)/2, (width-1)/2)`` rather than
    the top-left pixel: ``C @ M @ C⁻¹``, where ``C`` adds the centre to a coordinate."""
    center = np.array([(height - 1) / 2.0, (width - 1) / 2.0])
    out = np.array(matrices, dtype=np.float64)
    # [A | t] becomes [A | t + center - A @ center].
    out[:, :2, 2] += center - out[:, :2, :2] @ center
    return out


# -- resampling --------------------------------------------------------------------------------
def check_fill_mode(fill_mode: str) -> str:
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"fill_mode must be one of {FILL_MODES}. Received: fill_mode={fill_mode!r}"
        )
    return fill_mode


def check_interpolation(interpolation: str) -> str:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    return interpolation


def _fold(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Integer indices along one axis, mapped into ``[0, size)`` as ``fill_mode`` extends the
    image ('reflect': the image and its mirror image repeat; 'wrap': the image repeats)."""
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1)
    if fill_mode == "wrap":
        return np.mod(index, size)
    index = np.mod(index, 2 * size)
    return np.where(index < size, index, 2 * size - 1 - index)


def _take(xp: Any, rows: Any, index: Any, out: Any) -> None:
    """``out[...] = rows[index]``. The indices are in range by construction, so NumPy's
    ``mode='clip'`` only skips its bound checks (CuPy has no bound checks to skip)."""
    if xp is np:
        np.take(rows, index, axis=0, out=out, mode="clip")
    else:
        xp.take(rows, index, axis=0, out=out)


#: Scratch arrays reused from batch to batch: a fresh array of this size costs more in page
#: faults than the arithmetic done in it.
_POOL = ScratchPool(max_free=16)


class _Sampling:
    """Where each output pixel of a batch reads its input, computed once per batch.

    The images are first padded as ``fill_mode`` extends them: by enough rows and columns that
    every sample point and its neighbours fall inside ('reflect', 'wrap'), or by two rows and
    columns of fill onto which the points beyond are clamped ('constant'); with 'nearest' the
    points are clamped into the image itself. Each output pixel then needs one flat index into
    the padded batch, that of its top-left neighbour: the other three are at offsets ``+1``,
    ``+W`` and ``+W+1`` (``W`` the padded width). The output grid is ``out_hw`` (height, width),
    by default the input's.
    """

    def __init__(
        self,
        matrices: Any,
        shape: tuple[int, ...],
        fill_mode: str,
        interpolation: str,
        dtype: Any,
        xp: Any,
        out_hw: tuple[int, int] | None = None,
    ):
        n, h, w = shape[:3]
        # The output grid: the input's size unless resizing.
        oh, ow = self.out_hw = out_hw or (h, w)
        m = np.array(matrices, dtype=np.float64)
        if m.shape != (n, 3, 3):
            raise ValueError(
                f"matrices must hold one 3x3 transform per image ({n}). "
                f"Received: matrices.shape={m.shape}"
            )
        self.shape, self.fill_mode, self.xp = tuple(shape), fill_mode, xp
        if fill_mode == "nearest":
            # Points are clamped into the image itself (padded by one row or column only when
            # it has a single one, so that every point has two neighbours on each axis).
            self.pads = ((0, int(h == 1)), (0, int(w == 1)))
        elif fill_mode == "constant":
            # Points beyond are clamped onto two outer rows and columns of fill.
            self.pads = ((2, 2), (2, 2))
        else:
            # An affine map sends the output rectangle to a parallelogram: its corners bound
            # the sample points (one pixel of margin absorbs rounding).
            corners = m[:, :2] @ np.array(
                [[0, 0, oh - 1, oh - 1], [0, ow - 1, 0, ow - 1], [1, 1, 1, 1]], dtype=np.float64
            )
            low = np.floor(corners.min(axis=(0, 2))).astype(int)
            high = np.ceil(corners.max(axis=(0, 2))).astype(int)
            self.pads = tuple(
                (max(0, -lo) + 1, max(0, hi - (size - 1)) + 2)
                for lo, hi, size in zip(low, high, (h, w))
            )
        (top, bottom), (left, right) = self.pads
        self.padded_hw = (h + top + bottom, w + left + right)
        ph, pw = self.padded_hw
        m[:, 0, 2] += top
        m[:, 1, 2] += left
        # Coordinates in the images' precision (at least float32); indices are computed as
        # integer-valued floats, exact in float32 below 2**24.
        dtype = np.promote_types(dtype, np.float32)
        if 2 * n * ph * pw >= 2**24:
            dtype = np.dtype(np.float64)
        grid = (n, oh, ow)
        bilinear = interpolation == "bilinear"
        # All the sample points in one matrix product, (2·n, 3) @ (3, h·w): the first factor
        # holds the rows of the transforms giving input rows, then those giving input columns;
        # the second the (row, column, 1) of every output pixel.
        pixels = xp.ones((3, oh, ow), dtype=dtype)
        pixels[0] = xp.arange(oh, dtype=dtype)[:, None]
        pixels[1] = xp.arange(ow, dtype=dtype)[None, :]
        points = (
            _POOL.lend(self, (2, *grid), dtype, xp)
            if bilinear
            else _POOL.take((2, *grid), dtype, xp)
        )
        transforms = xp.asarray(m[:, :2].transpose(1, 0, 2).reshape(2 * n, 3), dtype=dtype)
        xp.matmul(transforms, pixels.reshape(3, oh * ow), out=points.reshape(2 * n, oh * ow))
        rows, cols = points[0], points[1]
        if bilinear:
            r0, c0 = _POOL.take(grid, dtype, xp), _POOL.take(grid, dtype, xp)
            for coord, low, size in ((rows, r0, ph), (cols, c0, pw)):
                if fill_mode in ("nearest", "constant"):
                    xp.clip(coord, 0, size - 1, out=coord)
                xp.floor(coord, out=low)
                if fill_mode in ("nearest", "constant"):
                    # A point clamped onto the last row reads it with weight 1 and the row
                    # before with 0 (with 'reflect' and 'wrap', the padding keeps it inside).
                    xp.minimum(low, size - 2, out=low)
                coord -= low
            self.fractions: tuple[Any, Any] | None = (rows[..., None], cols[..., None])
        else:
            r0, c0 = rows, cols
            for coord, size in ((r0, ph), (c0, pw)):
                coord += 0.5
                xp.floor(coord, out=coord)
                xp.clip(coord, 0, size - 1, out=coord)
            self.fractions = None
        # Flat index of (image b, row r0, column c0) of the padded batch: (b·ph + r0)·pw + c0.
        r0 += xp.arange(0, n * ph, ph, dtype=dtype)[:, None, None]
        r0 *= pw
        self.index = _POOL.lend(self, grid, np.intp, xp)
        xp.add(r0, c0, out=self.index, casting="unsafe")
        for buf in (r0, c0) if bilinear else (points,):
            _POOL.give(buf)

    def _offsets(self) -> list[int]:
        """Flat offsets of the neighbours read: top-left, top-right, bottom-left, bottom-right."""
        pw = self.padded_hw[1]
        return [0] if self.fractions is None else [0, 1, pw, pw + 1]

    def _source_map(self) -> Any:
        """For each padded pixel, the flat index (within its image) of the pixel it copies."""
        (top, _), (left, _) = self.pads
        h, w = self.shape[1:3]
        ph, pw = self.padded_hw
        rows = _fold(np.arange(ph) - top, h, self.fill_mode)
        cols = _fold(np.arange(pw) - left, w, self.fill_mode)
        return self.xp.asarray(rows[:, None] * w + cols[None, :])

    def _pad(self, images: Any, fill_value: float) -> Any:
        """``images`` with the padding of ``fill_mode`` (a scratch buffer, or ``images``)."""
        xp = self.xp
        n, h, w, ch = images.shape
        (top, _), (left, _) = self.pads
        if self.padded_hw == (h, w):
            return images
        padded = _POOL.take((n, *self.padded_hw, ch), images.dtype, xp)
        if self.fill_mode == "constant":
            padded.fill(fill_value)
            padded[:, top : top + h, left : left + w] = images
        else:
            xp.take(images.reshape(n, h * w, ch), self._source_map(), axis=1, out=padded)
        return padded

    def gather(self, images: Any, fill_value: float) -> Any:
        """The resampled batch, ``(batch, *out_hw, channels)`` in the dtype of ``images`` (a new
        array)."""
        xp = self.xp
        n, _, _, ch = images.shape
        out_shape = (n, *self.out_hw, ch)
        padded = self._pad(images, fill_value)
        scratch = [] if padded is images else [padded]
        flat = padded.reshape(-1, ch)
        out = xp.empty(out_shape, dtype=images.dtype)
        if self.fractions is None:
            _take(xp, flat, self.index, out)
            for buf in scratch:
                _POOL.give(buf)
            return out
        top, top_right, bottom = (_POOL.take(out_shape, images.dtype, xp) for _ in range(3))
        scratch += [top, top_right, bottom]
        for buf, offset in zip((top, top_right, bottom, out), self._offsets()):
            _take(xp, flat[offset:], self.index, buf)
        fr, fc = self.fractions
        # Two horizontal lerps, then a vertical one, in place.
        top_right -= top
        top_right *= fc
        top_right += top
        out -= bottom
        out *= fc
        out += bottom
        out -= top_right
        out *= fr
        out += top_right
        for buf in scratch:
            _POOL.give(buf)
        return out

    def scatter(self, grad: Any) -> Any:
        """The transpose of :meth:`gather` (its vector-Jacobian product w.r.t. the images)."""
        xp = self.xp
        n, _, _, ch = grad.shape
        h, w = self.shape[1:3]
        (top, _), (left, _) = self.pads
        ph, pw = self.padded_hw
        if self.fractions is None:
            weights: list[Any] = [1.0]
        else:
            fr, fc = self.fractions
            weights = [(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc]
        channel = xp.arange(ch)
        length = n * ph * pw * ch
        padded = xp.zeros(length)
        for offset, weight in zip(self._offsets(), weights):
            keys = ((self.index + offset)[..., None] * ch + channel).reshape(-1)
            padded += xp.bincount(keys, weights=(grad * weight).reshape(-1), minlength=length)
        padded = padded.reshape(n, ph, pw, ch)
        if self.padded_hw == (h, w):
            out = padded
        elif self.fill_mode == "constant":
            # The fill is a constant: only the image's own pixels get a gradient.
            out = padded[:, top : top + h, left : left + w]
        else:
            source = xp.arange(0, n * h * w, h * w)[:, None, None] + self._source_map()
            keys = (source[..., None] * ch + channel).reshape(-1)
            out = xp.bincount(keys, weights=padded.reshape(-1), minlength=n * h * w * ch)
        return out.reshape(n, h, w, ch).astype(grad.dtype)


def _float_images(images: Any) -> Any:
    if images.ndim != 4:
        raise ValueError(
            "images must have shape (batch, height, width, channels). "
            f"Received: images.shape={images.shape}"
        )
    if images.dtype.kind != "f":
        images = images.astype(backend.floatx())
    return images


def resample(
    images: Any,
    matrices: Any,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> Any:
    """Apply one affine transform per image to a batch of arrays, all at once.

    Args:
        images: ``(batch, height, width, channels)`` array (integers are converted to floatx).
        matrices: ``(batch, 3, 3)`` output-to-input transforms (see the module docstring).
        fill_mode: ``'reflect'`` (Keras layers' default), ``'wrap'``, ``'constant'`` or
            ``'nearest'`` (ImageDataGenerator's default).
        fill_value: the value of ``'constant'`` fill.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.

    Returns:
        The transformed batch, same shape and dtype as ``images``.
    """
    images = _float_images(images)
    xp = backend.get_array_module(images)
    sampling = _Sampling(
        matrices,
        images.shape,
        check_fill_mode(fill_mode),
        check_interpolation(interpolation),
        images.dtype,
        xp,
    )
    return sampling.gather(images, fill_value)


class AffineResample(Op):
    """:func:`resample` as a differentiable op: its VJP scatters the output gradient back to
    the input pixels each output pixel read, with the same bilinear weights (the transforms
    themselves get no gradient). The output grid is ``out_hw`` (height, width), by default the
    input's."""

    def __init__(
        self,
        matrices: Any,
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        interpolation: str = "bilinear",
        out_hw: tuple[int, int] | None = None,
    ):
        self.matrices, self.out_hw = matrices, out_hw
        self.fill_mode = check_fill_mode(fill_mode)
        self.fill_value = fill_value
        self.interpolation = check_interpolation(interpolation)

    def forward(self, x: Any) -> Any:
        x = _float_images(x)
        self.sampling = _Sampling(
            self.matrices,
            x.shape,
            self.fill_mode,
            self.interpolation,
            x.dtype,
            backend.get_array_module(x),
            self.out_hw,
        )
        return self.sampling.gather(x, self.fill_value)

    def backward(self, grad: Any) -> tuple:
        return (self.sampling.scatter(grad),)


def transform(
    images: Any,
    matrices: Any,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> Tensor:
    """:func:`resample` on a tensor, recorded on the tape so gradients reach ``images``."""
    return AffineResample(matrices, fill_mode, fill_value, interpolation)(images)


def _keras_matrices(transform: Any, n: int) -> np.ndarray:
    """Keras's transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one, or one per image) as the
    ``(n, 3, 3)`` row-and-column matrices of this module.

    Keras maps output point ``(x, y)`` (column, row) to input ``(a0·x + a1·y + a2,
    b0·x + b1·y + b2)``, so the input row is ``b1·row + b0·col + b2`` and the input column
    ``a1·row + a0·col + a2``.
    """
    values = np.asarray(
        transform.numpy() if isinstance(transform, Tensor) else transform, dtype=np.float64
    )
    if values.shape not in ((8,), (n, 8)):
        raise ValueError(
            f"transform must have shape (8,) or (batch, 8) = ({n}, 8). "
            f"Received: transform.shape={values.shape}"
        )
    values = np.broadcast_to(values, (n, 8))
    if np.any(values[:, 6:]):
        raise ValueError(
            "transform must be affine: its last two entries (c0, c1) must be 0. "
            f"Received: transform[..., 6:]={values[:, 6:].tolist()}"
        )
    a0, a1, a2, b0, b1, b2 = values[:, :6].T
    return _stack((b1, b0, b2), (a1, a0, a2))


def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.image.affine_transform``: each image resampled through its transform.

    Args:
        images: one image ``(height, width, channels)`` or a batch ``(batch, height, width,
            channels)`` (channels first with ``data_format='channels_first'``).
        transform: ``[a0, a1, a2, b0, b1, b2, c0, c1]`` for every image, or one row per image:
            output point ``(x, y)`` samples input ``(a0·x + a1·y + a2, b0·x + b1·y + b2)``, ``x``
            the column and ``y`` the row. ``c0`` and ``c1`` (projective terms) must be 0.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        fill_mode: ``'constant'`` (Keras's default), ``'reflect'``, ``'wrap'`` or ``'nearest'``.
        fill_value: the value of ``'constant'`` fill. Defaults to 0.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Returns:
        The transformed images, of the shape of ``images``, differentiable with respect to them.
    """

    def apply(batch: Tensor) -> Tensor:
        matrices = _keras_matrices(transform, batch.shape[0])
        return AffineResample(matrices, fill_mode, fill_value, interpolation)(batch)

    return _on_nhwc_batch(images, data_format, apply)


def _on_nhwc_batch(
    images: Any, data_format: str | None, apply: Callable[[Tensor], Tensor]
) -> Tensor:
    """``apply`` (a function of an NHWC batch) on one image or a batch in ``data_format``,
    returned in the layout and rank ``images`` came in."""
    images = convert_to_tensor(images)
    data_format = standardize_data_format(data_format)
    if images.ndim not in (3, 4):
        raise ValueError(
            "images must be one image (height, width, channels) or a batch (batch, "
            f"height, width, channels). Received: images.shape={images.shape}"
        )
    single = images.ndim == 3
    batch = Reshape((1, *images.shape))(images) if single else images
    out = from_channels_last(apply(to_channels_last(batch, data_format)), data_format)
    return Reshape(out.shape[1:])(out) if single else out


# -- resizing ----------------------------------------------------------------------------------
RESIZE_INTERPOLATIONS = ("bilinear", "nearest")


def aspect_crop(height: int, width: int, size: tuple[int, int]) -> tuple[slice, slice]:
    """The centred window of a ``height`` x ``width`` image with the aspect ratio of ``size``,
    as Keras's ``crop_to_aspect_ratio`` and ``smart_resize`` choose it (integer truncation
    included, so the same pixels are kept)."""
    target_h, target_w = size
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    return slice(top, top + crop_h), slice(left, left + crop_w)


def aspect_pad(height: int, width: int, size: tuple[int, int]) -> tuple[int, int]:
    """Rows and columns of fill that Keras's ``pad_to_aspect_ratio`` adds on *each* side of a
    ``height`` x ``width`` image to approach the aspect ratio of ``size`` (rows if the image
    is too wide, else columns; its integer truncation included)."""
    target_h, target_w = size
    rows = int(float(max(height, int(float(width * target_h) / target_w)) - height) / 2)
    cols = int(float(max(width, int(float(height * target_w) / target_h)) - width) / 2)
    return (rows, 0) if rows > 0 else (0, cols)


def _nearest_indices(size_in: int, size_out: int) -> np.ndarray:
    """``floor((i + 0.5) · size_in / size_out)``, the input pixel whose cell holds the centre of
    output pixel ``i`` (JAX's 'nearest'), in exact integer arithmetic."""
    return (2 * np.arange(size_out) + 1) * size_in // (2 * size_out)


def _resize_nhwc(batch: Tensor, size: tuple[int, int], interpolation: str) -> Tensor:
    n, h, w = batch.shape[:3]
    out_h, out_w = size
    if interpolation == "nearest":
        # In range by construction, so indexed directly: take's range check would bring the
        # indices back to the host (a device sync) to look at them.
        xp = backend.get_array_module(batch.data)
        rows = GetItem((slice(None), xp.asarray(_nearest_indices(h, out_h))))(batch)
        return GetItem((slice(None), slice(None), xp.asarray(_nearest_indices(w, out_w))))(rows)
    # Half-pixel centres: output pixel i samples input coordinate (i + 0.5) · s - 0.5 with
    # s = size_in / size_out. Points beyond the edge pixels are clamped onto them ('nearest'
    # fill), which is what JAX's triangle kernel gives once its weights are renormalized over
    # the pixels that exist.
    sh, sw = h / out_h, w / out_w
    matrices = np.repeat(_stack((sh, 0, (sh - 1) / 2), (0, sw, (sw - 1) / 2)), n, axis=0)
    return AffineResample(matrices, fill_mode="nearest", out_hw=(out_h, out_w))(batch)


def resize(
    images: Any,
    size: Any,
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.image.resize`` (as Keras 3 computes it on JAX, without antialiasing).

    Output pixel ``(i, j)`` samples input point ``((i + ½)·H/h - ½, (j + ½)·W/w - ½)`` (pixel
    centres aligned, as ``jax.image.resize``): ``'bilinear'`` blends its four neighbours,
    points beyond the edge pixels taking the edge's value; ``'nearest'`` reads input pixel
    ``(⌊(i + ½)·H/h⌋, ⌊(j + ½)·W/w⌋)``. Differentiable with respect to ``images``.

    Args:
        images: one image ``(height, width, channels)`` or a batch ``(batch, height, width,
            channels)`` (channels first with ``data_format='channels_first'``).
        size: ``(height, width)`` of the output.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        antialias: Keras's low-pass filter before downsampling; only False (its default) is
            supported.
        crop_to_aspect_ratio: first crop the largest centred window of the output's aspect
            ratio, so the image is not distorted. Defaults to False.
        pad_to_aspect_ratio: instead first pad the image with ``fill_value`` to the output's
            aspect ratio (equally on both sides, as Keras). Defaults to False.
        fill_mode: of that padding: ``'constant'``, the only one Keras has.
        fill_value: of that padding. Defaults to 0.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {RESIZE_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    if antialias:
        raise ValueError("resize supports antialias=False only. Received: antialias=True")
    if fill_mode != "constant":
        raise ValueError(f"resize supports fill_mode='constant' only. Received: {fill_mode=}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "resize takes crop_to_aspect_ratio or pad_to_aspect_ratio, not both. Received: "
            "crop_to_aspect_ratio=True, pad_to_aspect_ratio=True"
        )
    size = check_size(size)

    def apply(batch: Tensor) -> Tensor:
        if crop_to_aspect_ratio:
            rows, cols = aspect_crop(batch.shape[1], batch.shape[2], size)
            batch = GetItem((slice(None), rows, cols))(batch)
        if pad_to_aspect_ratio:
            rows, cols = aspect_pad(batch.shape[1], batch.shape[2], size)
            batch = Pad(((0, 0), (rows, rows), (cols, cols), (0, 0)), fill_value)(batch)
        return _resize_nhwc(batch, size, interpolation)

    return _on_nhwc_batch(images, data_format, apply)


def check_size(size: Any) -> tuple[int, int]:
    """``size`` as ``(height, width)``, two positive integers."""
    values = tuple(size) if isinstance(size, (list, tuple)) else (size,)
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(
            f"size must be (height, width), two positive integers. Received: size={size!r}"
        )
    return int(values[0]), int(values[1])
