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
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .arguments import standardize_data_format
from .core import Op, Tensor, convert_to_tensor
from .scratch import ScratchPool
from .shape import Reshape
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
    ``+W`` and ``+W+1`` (``W`` the padded width).
    """

    def __init__(
        self,
        matrices: Any,
        shape: tuple[int, ...],
        fill_mode: str,
        interpolation: str,
        dtype: Any,
        xp: Any,
    ):
        n, h, w = shape[:3]
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
                [[0, 0, h - 1, h - 1], [0, w - 1, 0, w - 1], [1, 1, 1, 1]], dtype=np.float64
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
        grid = (n, h, w)
        bilinear = interpolation == "bilinear"
        # All the sample points in one matrix product, (2·n, 3) @ (3, h·w): the first factor
        # holds the rows of the transforms giving input rows, then those giving input columns;
        # the second the (row, column, 1) of every output pixel.
        pixels = xp.ones((3, h, w), dtype=dtype)
        pixels[0] = xp.arange(h, dtype=dtype)[:, None]
        pixels[1] = xp.arange(w, dtype=dtype)[None, :]
        points = (
            _POOL.lend(self, (2, n, h, w), dtype, xp)
            if bilinear
            else _POOL.take((2, n, h, w), dtype, xp)
        )
        transforms = xp.asarray(m[:, :2].transpose(1, 0, 2).reshape(2 * n, 3), dtype=dtype)
        xp.matmul(transforms, pixels.reshape(3, h * w), out=points.reshape(2 * n, h * w))
        rows, cols = points
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
        """The resampled batch, shape and dtype of ``images`` (a new array)."""
        xp = self.xp
        ch = images.shape[-1]
        padded = self._pad(images, fill_value)
        scratch = [] if padded is images else [padded]
        flat = padded.reshape(-1, ch)
        out = xp.empty(images.shape, dtype=images.dtype)
        if self.fractions is None:
            _take(xp, flat, self.index, out)
            for buf in scratch:
                _POOL.give(buf)
            return out
        top, top_right, bottom = (_POOL.take(images.shape, images.dtype, xp) for _ in range(3))
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
        n, h, w, ch = grad.shape
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
        return out.reshape(grad.shape).astype(grad.dtype)


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
    themselves get no gradient)."""

    def __init__(
        self,
        matrices: Any,
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        interpolation: str = "bilinear",
    ):
        self.matrices = matrices
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
    images = convert_to_tensor(images)
    data_format = standardize_data_format(data_format)
    if images.ndim not in (3, 4):
        raise ValueError(
            "images must be one image (height, width, channels) or a batch (batch, "
            f"height, width, channels). Received: images.shape={images.shape}"
        )
    single = images.ndim == 3
    batch = Reshape((1, *images.shape))(images) if single else images
    batch = to_channels_last(batch, data_format)
    op = AffineResample(
        _keras_matrices(transform, batch.shape[0]), fill_mode, fill_value, interpolation
    )
    out = from_channels_last(op(batch), data_format)
    return Reshape(images.shape)(out) if single else out
