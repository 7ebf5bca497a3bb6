"""Batched affine resampling of images, shared by the augmentation layers and ImageDataGenerator.

Images are ``(batch, height, width, channels)`` (channels_last). A transform is a 3x3 matrix ``M``
per image that maps each *output* pixel to the *input* point it samples (the inverse mapping, as
in ``scipy.ndimage.affine_transform`` and Keras)::

    (row_in, col_in, 1) = M @ (row, col, 1)

with pixel centres at integer coordinates. The whole batch is resampled at once: the sample
points of every output pixel come from one broadcast product, their 4 neighbours (bilinear) or
nearest neighbour are gathered with one ``take`` each from the flattened batch, and blended, so
the cost is a few dozen array passes per batch whatever its size and no Python loop runs over
images or pixels.

Points outside the image are filled as in Keras (``fill_mode``), applied to each neighbour's
integer index:

* ``'reflect'``: ``d c b a | a b c d | d c b a`` (mirrored about the edge of the last pixel);
* ``'wrap'``: ``a b c d | a b c d | a b c d``;
* ``'nearest'``: ``a a a a | a b c d | d d d d``;
* ``'constant'``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``.

The matrix builders below return ``(n, 3, 3)`` float64 stacks; compose them with ``@`` (the
rightmost acts first on the output coordinates) and centre them with :func:`about_center`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..ops.conv import _ScratchPool
from ..ops.core import Op, Tensor

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


# -- transform matrices (output coordinates -> input coordinates) -----------------------------
def _stack(r0: Any, r1: Any) -> np.ndarray:
    """``(n, 3, 3)`` matrices whose first two rows are ``r0`` and ``r1`` (each 3 arrays)."""
    first = np.broadcast_arrays(*r0, *r1)
    n = first[0].shape[0]
    m = np.zeros((n, 3, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2], m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = first
    m[:, 2, 2] = 1.0
    return m


def rotation(angles: Any) -> np.ndarray:
    """Rotate the image content counter-clockwise by ``angles`` (radians) about the origin.

    Output pixel ``(r, c)`` samples ``(cos·r + sin·c, -sin·r + cos·c)`` (rows point down).
    """
    a = np.asarray(angles, dtype=np.float64).reshape(-1)
    cos, sin, zero = np.cos(a), np.sin(a), np.zeros_like(a)
    return _stack((cos, sin, zero), (-sin, cos, zero))


def translation(rows: Any, cols: Any) -> np.ndarray:
    """Move the image content down by ``rows`` and right by ``cols`` pixels (may be fractional)."""
    r = np.asarray(rows, dtype=np.float64).reshape(-1)
    c = np.asarray(cols, dtype=np.float64).reshape(-1)
    one, zero = np.ones_like(r + c), np.zeros_like(r + c)
    return _stack((one, zero, -r), (zero, one, -c))


def scaling(rows: Any, cols: Any) -> np.ndarray:
    """Sample at ``(rows·r, cols·c)``: factors above 1 zoom out, below 1 zoom in, -1 flips."""
    r = np.asarray(rows, dtype=np.float64).reshape(-1)
    c = np.asarray(cols, dtype=np.float64).reshape(-1)
    zero = np.zeros_like(r + c)
    return _stack((r + zero, zero, zero), (zero, c + zero, zero))


def shear(angles: Any) -> np.ndarray:
    """Keras's shear by ``angles`` (radians): output ``(r, c)`` samples
    ``(r - sin·c, cos·c)``, as ``keras.preprocessing.image.apply_affine_transform``."""
    a = np.asarray(angles, dtype=np.float64).reshape(-1)
    one, zero = np.ones_like(a), np.zeros_like(a)
    return _stack((one, -np.sin(a), zero), (zero, np.cos(a), zero))


def about_center(matrices: np.ndarray, height: int, width: int) -> np.ndarray:
    """``matrices`` applied about the image centre ``((height-1)/2, (width-1)/2)`` rather than
    the top-left pixel: ``C @ M @ C⁻¹``, where ``C`` adds the centre to a coordinate."""
    cr, cc = (height - 1) / 2.0, (width - 1) / 2.0
    return translation(-cr, -cc) @ matrices @ translation(cr, cc)


# -- resampling --------------------------------------------------------------------------------
def check_fill_mode(fill_mode: str) -> str:
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}. "
                         f"Received: fill_mode={fill_mode!r}")
    return fill_mode


def check_interpolation(interpolation: str) -> str:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation!r}")
    return interpolation


def _fold(index: Any, size: int, fill_mode: str, outside: float, xp: Any, temp: Any) -> None:
    """Map integer-valued float indices along one axis into ``[0, size)`` by ``fill_mode``, in
    place; with ``'constant'``, indices outside the image become ``outside``."""
    if fill_mode == "nearest":
        xp.clip(index, 0, size - 1, out=index)
        return
    if fill_mode == "constant":
        xp.copyto(index, outside, where=(index < 0) | (index > size - 1))
        return
    if index.size == 0:
        return
    low, high = float(index.min()), float(index.max())
    if low >= 0 and high <= size - 1:
        return
    # 'wrap' repeats the image; 'reflect' repeats the image followed by its mirror image.
    period = size if fill_mode == "wrap" else 2 * size
    if low < 0 or high >= period:
        # index mod period, exact on integer-valued floats (division is correctly rounded).
        q = temp()
        xp.divide(index, period, out=q)
        xp.floor(q, out=q)
        q *= period
        index -= q
        high = period - 1
    if fill_mode == "reflect" and high >= size:
        # The mirrored half: i -> 2·size - 1 - i for i >= size, i.e. (s - ½) - |i - (s - ½)|.
        index -= size - 0.5
        xp.abs(index, out=index)
        xp.subtract(size - 0.5, index, out=index)


#: Scratch arrays reused from batch to batch: a fresh array of this size costs more in page
#: faults than the arithmetic done in it.
_POOL = _ScratchPool(max_free=32)


class _Sampling:
    """Where each output pixel of a batch reads its input: flat row indices into the batch
    viewed as ``(batch·height·width [+1], channels)`` and the bilinear fractions.

    With ``fill_mode='constant'`` an extra last row holds the fill value, and neighbours outside
    the image read it, so filling costs no extra pass over the output.
    """

    def __init__(self, matrices: Any, shape: tuple[int, ...], fill_mode: str,
                 interpolation: str, dtype: Any, xp: Any):
        n, h, w = shape[:3]
        self.size = n * h * w
        self.constant = fill_mode == "constant"
        # Coordinates in the images' precision (at least float32); indices are computed as
        # integer-valued floats, exact in float32 below 2**24.
        dtype = np.promote_types(dtype, np.float32)
        if 3 * self.size >= 2**24:
            dtype = np.dtype(np.float64)
        m = xp.asarray(np.asarray(matrices, dtype=np.float64)[:, :2, :], dtype=dtype)
        if m.shape != (n, 2, 3):
            raise ValueError(f"matrices must hold one 3x3 transform per image ({n}). "
                             f"Received: matrices.shape={tuple(np.shape(matrices))}")
        grid = (n, h, w)
        scratch: list[Any] = []

        def temp() -> Any:
            scratch.append(_POOL.take(grid, dtype, xp))
            return scratch[-1]

        bilinear = interpolation == "bilinear"
        rows = _POOL.lend(self, grid, dtype, xp) if bilinear else temp()
        cols = _POOL.lend(self, grid, dtype, xp) if bilinear else temp()
        r = xp.arange(h, dtype=dtype)[None, :, None]
        c = xp.arange(w, dtype=dtype)[None, None, :]
        # Each product is small ((n, h, 1) or (n, 1, w)); only the sum has the full size.
        for coord, k in ((rows, 0), (cols, 1)):
            xp.add(m[:, k, 0, None, None] * r + m[:, k, 2, None, None],
                   m[:, k, 1, None, None] * c, out=coord)
        if bilinear:
            r0, c0 = xp.floor(rows, out=temp()), xp.floor(cols, out=temp())
            rows -= r0
            cols -= c0
            self.fractions: tuple[Any, Any] | None = (rows[..., None], cols[..., None])
            row_index = [r0, xp.add(r0, 1, out=temp())]
            col_index = [c0, xp.add(c0, 1, out=temp())]
        else:
            for coord in (rows, cols):
                coord += 0.5
                xp.floor(coord, out=coord)
            self.fractions = None
            row_index, col_index = [rows], [cols]
        for index in row_index:
            # Row i of image b starts at flat index (b·h + i)·w.
            _fold(index, h, fill_mode, n * h, xp, temp)
            index += xp.arange(0, n * h, h, dtype=dtype)[:, None, None]
            index *= w
        for index in col_index:
            _fold(index, w, fill_mode, self.size, xp, temp)
        # Corners in the order top-left, top-right, bottom-left, bottom-right.
        self.corners = []
        for start in row_index:
            for offset in col_index:
                corner = _POOL.lend(self, grid, np.intp, xp)
                xp.add(start, offset, out=corner, casting="unsafe")
                if self.constant:
                    xp.minimum(corner, self.size, out=corner)
                self.corners.append(corner)
        for buf in scratch:
            _POOL.give(buf)

    def gather(self, images: Any, fill_value: float) -> Any:
        """The resampled batch, shape and dtype of ``images`` (a new array)."""
        xp = backend.get_array_module(images)
        n, h, w, ch = images.shape
        flat = images.reshape(self.size, ch)
        scratch = []
        if self.constant:
            padded = _POOL.take((self.size + 1, ch), images.dtype, xp)
            padded[:-1] = flat
            padded[-1] = fill_value
            flat = padded
            scratch.append(padded)
        out = xp.empty(images.shape, dtype=images.dtype)
        if self.fractions is None:
            xp.take(flat, self.corners[0], axis=0, out=out)
        else:
            top, top_right, bottom = (_POOL.take(images.shape, images.dtype, xp) for _ in range(3))
            scratch += [top, top_right, bottom]
            for buf, index in zip((top, top_right, bottom, out), self.corners):
                xp.take(flat, index, axis=0, out=buf)
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
        xp = backend.get_array_module(grad)
        ch = grad.shape[-1]
        if self.fractions is None:
            weights: list[Any] = [1.0]
        else:
            fr, fc = self.fractions
            weights = [(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc]
        length = (self.size + self.constant) * ch
        channel = xp.arange(ch)
        total = xp.zeros(length)
        for index, weight in zip(self.corners, weights):
            keys = (index[..., None] * ch + channel).reshape(-1)
            total += xp.bincount(keys, weights=(grad * weight).reshape(-1), minlength=length)
        # The fill value's row (last) is a constant: its gradient is dropped.
        return total[: self.size * ch].reshape(grad.shape).astype(grad.dtype)


def _float_images(images: Any) -> Any:
    if images.ndim != 4:
        raise ValueError("images must have shape (batch, height, width, channels). "
                         f"Received: images.shape={images.shape}")
    if images.dtype.kind != "f":
        images = images.astype(backend.floatx())
    return images


def resample(images: Any, matrices: Any, fill_mode: str = "reflect", fill_value: float = 0.0,
             interpolation: str = "bilinear") -> Any:
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
    sampling = _Sampling(matrices, images.shape, check_fill_mode(fill_mode),
                         check_interpolation(interpolation), images.dtype, xp)
    return sampling.gather(images, fill_value)


class AffineResample(Op):
    """:func:`resample` as a differentiable op: its VJP scatters the output gradient back to
    the input pixels each output pixel read, with the same bilinear weights (the transforms
    themselves get no gradient)."""

    def __init__(self, matrices: Any, fill_mode: str = "reflect", fill_value: float = 0.0,
                 interpolation: str = "bilinear"):
        self.matrices = matrices
        self.fill_mode = check_fill_mode(fill_mode)
        self.fill_value = fill_value
        self.interpolation = check_interpolation(interpolation)

    def forward(self, x: Any) -> Any:
        x = _float_images(x)
        self.sampling = _Sampling(self.matrices, x.shape, self.fill_mode, self.interpolation,
                                  x.dtype, backend.get_array_module(x))
        return self.sampling.gather(x, self.fill_value)

    def backward(self, grad: Any) -> tuple:
        return (self.sampling.scatter(grad),)


def transform(images: Any, matrices: Any, fill_mode: str = "reflect", fill_value: float = 0.0,
              interpolation: str = "bilinear") -> Tensor:
    """:func:`resample` on a tensor, recorded on the tape so gradients reach ``images``."""
    return AffineResample(matrices, fill_mode, fill_value, interpolation)(images)
