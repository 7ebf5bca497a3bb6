"""The batched affine resampling of ``ops.image``, which the augmentation layers and
ImageDataGenerator share, and its Keras face ``affine_transform``."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops
from numkeras.ops import Variable
from numkeras.ops import image as affine
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def float64():
    """Overrides the op tests' float64 scope: these tests check the dtype rules under the default
    floatx (float32), and their gradient checks work in float64 by themselves."""
    yield


IMAGES = rng.random((3, 6, 6, 2)).astype(np.float32)
ROW = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # one image, one row: a b c d


def shift_row(cols: float, fill_mode: str, interpolation: str = "bilinear") -> np.ndarray:
    """``ROW`` moved right by ``cols`` pixels, filled with 9 where constant."""
    out = affine.resample(ROW, affine.translation([0], [cols]), fill_mode, 9.0, interpolation)
    return out.ravel()


def centred(matrices: np.ndarray, images: np.ndarray = IMAGES) -> np.ndarray:
    return affine.about_center(matrices, *images.shape[1:3])


# -- geometry ------------------------------------------------------------------------------------
def test_zero_shift_and_unit_zoom_are_exact_identities():
    n = len(IMAGES)
    for matrices in (
        affine.translation(np.zeros(n), np.zeros(n)),
        centred(affine.scaling(np.ones(n), np.ones(n))),
        centred(affine.rotation(np.zeros(n))),
    ):
        out = affine.resample(IMAGES, matrices)
        np.testing.assert_array_equal(out, IMAGES)
        assert out.dtype == np.float32 and out is not IMAGES


def test_a_shift_of_one_pixel_moves_the_image_by_one_pixel():
    down = affine.resample(IMAGES, affine.translation([1] * 3, [0] * 3), "constant", -1.0)
    np.testing.assert_array_equal(down[:, 1:], IMAGES[:, :-1])
    np.testing.assert_array_equal(down[:, 0], -1.0)
    left = affine.resample(IMAGES, affine.translation([0] * 3, [-1] * 3), "constant", -1.0)
    np.testing.assert_array_equal(left[:, :, :-1], IMAGES[:, :, 1:])
    np.testing.assert_array_equal(left[:, :, -1], -1.0)


def test_a_half_pixel_shift_averages_neighbours():
    np.testing.assert_allclose(shift_row(0.5, "nearest"), [0, 0.5, 1.5, 2.5])
    # The first output pixel reads the fill value (9) and pixel a (0) half and half.
    np.testing.assert_allclose(shift_row(0.5, "constant"), [4.5, 0.5, 1.5, 2.5])


def test_quarter_turns_equal_rot90_counter_clockwise():
    for k in (1, 2, 3, -1):
        out = affine.resample(IMAGES, centred(affine.rotation([k * np.pi / 2] * 3)))
        np.testing.assert_allclose(out, np.rot90(IMAGES, k, axes=(1, 2)), atol=1e-5)


def test_a_half_turn_of_a_non_square_image_equals_rot90_twice():
    images = rng.random((2, 3, 5, 1)).astype(np.float32)
    out = affine.resample(images, centred(affine.rotation([np.pi] * 2), images))
    np.testing.assert_allclose(out, np.rot90(images, 2, axes=(1, 2)), atol=1e-5)


@pytest.mark.parametrize("rows, cols, axes", [(1, -1, (2,)), (-1, 1, (1,)), (-1, -1, (1, 2))])
def test_scaling_by_minus_one_flips(rows, cols, axes):
    out = affine.resample(IMAGES, centred(affine.scaling([rows] * 3, [cols] * 3)))
    np.testing.assert_array_equal(out, np.flip(IMAGES, axis=axes))


def test_zoom_in_by_two_samples_the_centre_at_half_steps():
    image = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    out = affine.resample(image, centred(affine.scaling([0.5], [0.5]), image))[0, ..., 0]
    # Output pixel (r, c) reads input point (2 + (r - 2)/2, 2 + (c - 2)/2); the image is 5r + c.
    r, c = np.mgrid[0:5, 0:5]
    np.testing.assert_allclose(out, 5 * (2 + (r - 2) / 2) + (2 + (c - 2) / 2))


def test_keras_shear_matrix():
    m = affine.shear([np.pi / 6])[0]
    np.testing.assert_allclose(m, [[1, -0.5, 0], [0, np.cos(np.pi / 6), 0], [0, 0, 1]])


def test_each_image_gets_its_own_transform_and_channels_move_together():
    matrices = np.concatenate(
        [affine.translation([1], [0]), affine.translation([0], [2]), affine.translation([0], [0])]
    )
    out = affine.resample(IMAGES, matrices, "wrap")
    np.testing.assert_array_equal(out[0], np.roll(IMAGES[0], 1, axis=0))
    np.testing.assert_array_equal(out[1], np.roll(IMAGES[1], 2, axis=1))
    np.testing.assert_array_equal(out[2], IMAGES[2])


# -- fill modes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fill_mode, left6, right6, left13",
    [
        # ROW is a b c d = 0 1 2 3; "left6" moves it 6 pixels left, so pixel c reads c + 6.
        ("reflect", [1, 0, 0, 1], [2, 3, 3, 2], [2, 1, 0, 0]),  # d c b a | a b c d | d c b a
        ("wrap", [2, 3, 0, 1], [2, 3, 0, 1], [1, 2, 3, 0]),  # a b c d | a b c d | a b c d
        ("nearest", [3, 3, 3, 3], [0, 0, 0, 0], [3, 3, 3, 3]),  # a a a a | a b c d | d d d d
        ("constant", [9, 9, 9, 9], [9, 9, 9, 9], [9, 9, 9, 9]),  # k k k k | a b c d | k k k k
    ],
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_fill_modes_match_keras_patterns(fill_mode, left6, right6, left13, interpolation):
    np.testing.assert_array_equal(shift_row(-6, fill_mode, interpolation), left6)
    np.testing.assert_array_equal(shift_row(6, fill_mode, interpolation), right6)
    np.testing.assert_array_equal(shift_row(-13, fill_mode, interpolation), left13)


def test_reflect_and_wrap_far_outside_the_image():
    # Beyond one period the index is reduced modulo the period.
    np.testing.assert_array_equal(shift_row(-40, "wrap"), [0, 1, 2, 3])
    np.testing.assert_array_equal(shift_row(-40, "reflect"), [0, 1, 2, 3])
    np.testing.assert_array_equal(shift_row(-44, "reflect"), [3, 2, 1, 0])


def test_nearest_interpolation_rounds_to_the_closest_pixel():
    np.testing.assert_array_equal(shift_row(0.4, "nearest", "nearest"), [0, 1, 2, 3])
    np.testing.assert_array_equal(shift_row(0.6, "nearest", "nearest"), [0, 0, 1, 2])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="fill_mode must be one of.*Received: fill_mode='mirror'"):
        affine.resample(IMAGES, affine.rotation([0] * 3), fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        affine.resample(IMAGES, affine.rotation([0] * 3), interpolation="bicubic")
    with pytest.raises(ValueError, match=r"one 3x3 transform per image \(3\)"):
        affine.resample(IMAGES, affine.rotation([0] * 2))
    with pytest.raises(ValueError, match="images must have shape"):
        affine.resample(IMAGES[0], affine.rotation([0]))


def test_integer_images_become_floatx_and_float64_stays():
    out = affine.resample((IMAGES * 255).astype(np.uint8), affine.rotation([0.1] * 3))
    assert out.dtype == np.float32
    out = affine.resample(IMAGES.astype(np.float64), affine.rotation([0.1] * 3))
    assert out.dtype == np.float64


def test_scratch_buffers_are_never_shared_by_live_transforms():
    # Recorded ops keep their sample points until backward; resampling in between reuses free
    # scratch buffers only.
    turns = [
        (centred(affine.rotation([0.3] * 3)), "reflect"),
        (centred(affine.rotation([-0.7] * 3)), "constant"),
    ]
    x = Variable(IMAGES)
    first, second = (affine.transform(x, m, mode) for m, mode in turns)
    affine.resample(IMAGES, centred(affine.rotation([1.1] * 3)), "wrap")
    np.testing.assert_array_equal(first.data, affine.resample(IMAGES, *turns[0]))
    (first.sum() + second.sum()).backward()
    expected = np.zeros_like(IMAGES)
    for m, mode in turns:
        alone = Variable(IMAGES)
        affine.transform(alone, m, mode).sum().backward()
        expected += alone.grad
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


# -- gradient ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", affine.FILL_MODES)
@pytest.mark.parametrize("interpolation", affine.INTERPOLATIONS)
def test_gradient_with_respect_to_the_images(fill_mode, interpolation):
    images = Variable(np.random.default_rng(1).random((2, 5, 4, 2)))
    matrices = affine.about_center(
        affine.rotation([0.3, -1.2])
        @ affine.translation([0.37, -2.6], [1.4, 0.21])
        @ affine.scaling([1.3, 0.8], [0.9, 1.1]),
        5,
        4,
    )
    check_gradients(
        lambda: affine.transform(images, matrices, fill_mode, 0.5, interpolation), images
    )


# -- reference -----------------------------------------------------------------------------------
SCIPY_MODES = {
    "reflect": "reflect",
    "wrap": "grid-wrap",
    "nearest": "nearest",
    "constant": "grid-constant",
}


@pytest.mark.parametrize("fill_mode", affine.FILL_MODES)
def test_matches_scipy_affine_transform(fill_mode):
    ndimage = pytest.importorskip("scipy.ndimage")
    images = np.random.default_rng(2).random((4, 9, 7, 2))
    matrices = affine.about_center(
        affine.rotation([0.4, -2.0, 3.0, 0.1])
        @ affine.shear([0.2, 0, -0.3, 0.5])
        @ affine.translation([1.5, -3.2, 9.1, 0], [0.3, 2.7, -8.4, 12]),
        9,
        7,
    )
    out = affine.resample(images, matrices, fill_mode, 0.25)
    for image, m, got in zip(images, matrices, out):
        # scipy maps output (r, c, channel) to input m @ (r, c) + offset, channel unchanged.
        matrix = np.eye(3)
        matrix[:2, :2] = m[:2, :2]
        offset = [m[0, 2], m[1, 2], 0]
        want = ndimage.affine_transform(
            image, matrix, offset, order=1, mode=SCIPY_MODES[fill_mode], cval=0.25
        )
        np.testing.assert_allclose(got, want, atol=1e-10)


# -- keras.ops.image.affine_transform -------------------------------------------------------------
def test_affine_transform_translates_as_keras():
    images = IMAGES.astype(np.float64)
    # Output point (x, y) samples input (x + a2, y + b2): a2 = -1 moves the content right.
    right = ops.image.affine_transform(images, [1, 0, -1, 0, 1, 0, 0, 0]).numpy()
    expected = np.zeros_like(images)
    expected[:, :, 1:] = images[:, :, :-1]
    np.testing.assert_allclose(right, expected, atol=1e-12)
    up = ops.image.affine_transform(images, [1, 0, 0, 0, 1, 2, 0, 0], fill_value=-1.0).numpy()
    expected = np.full_like(images, -1.0)
    expected[:, :-2] = images[:, 2:]
    np.testing.assert_allclose(up, expected, atol=1e-12)


def test_affine_transform_reads_x_as_the_column():
    swap = [0, 1, 0, 1, 0, 0, 0, 0]  # input (y, x) for output (x, y): the transpose
    out = ops.image.affine_transform(IMAGES, swap, interpolation="nearest").numpy()
    np.testing.assert_array_equal(out, IMAGES.transpose(0, 2, 1, 3))


def test_affine_transform_per_image_one_image_and_channels_first():
    transforms = np.array(
        [[1, 0, -1, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 1, 0, 0], [0.8, 0.1, 0.3, -0.2, 1.1, 0.4, 0, 0]]
    )
    batch = ops.image.affine_transform(IMAGES, transforms, fill_mode="reflect").numpy()
    for image, transform, want in zip(IMAGES, transforms, batch, strict=True):
        one = ops.image.affine_transform(image, transform, fill_mode="reflect").numpy()
        # Alone, the image is padded less than in the batch: other float32 roundings.
        np.testing.assert_allclose(one, want, rtol=1e-6, atol=1e-6)
    first = ops.image.affine_transform(
        IMAGES.transpose(0, 3, 1, 2), transforms, fill_mode="reflect", data_format="channels_first"
    )
    np.testing.assert_array_equal(first.numpy(), batch.transpose(0, 3, 1, 2))


def test_affine_transform_gradient():
    images = Variable(rng.random((2, 5, 4, 2)))
    cos, sin = np.cos(0.4), np.sin(0.4)
    transform = [cos, -sin, 0.7, sin, cos, -0.3, 0, 0]
    check_gradients(lambda: ops.image.affine_transform(images, transform), images)


@pytest.mark.parametrize(
    ("images", "transform", "match"),
    [
        (IMAGES, [1, 0, 0, 0, 1, 0, 0.1, 0], r"c0, c1\) must be 0"),
        (IMAGES, np.zeros((2, 8)), r"\(batch, 8\) = \(3, 8\). Received: transform.shape=\(2, 8\)"),
        (IMAGES[0, ..., 0], [1, 0, 0, 0, 1, 0, 0, 0], r"images.shape=\(6, 6\)"),
    ],
)
def test_affine_transform_rejects_bad_arguments(images, transform, match):
    with pytest.raises(ValueError, match=match):
        ops.image.affine_transform(images, transform)


# -- resize --------------------------------------------------------------------------------------
RESIZES = [
    ((5, 7), (9, 4)),
    ((8, 8), (3, 5)),
    ((10, 3), (3, 10)),
    ((4, 6), (4, 6)),
    ((1, 5), (3, 2)),
]


@pytest.mark.parametrize(("size_in", "size_out"), RESIZES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("crop_to_aspect_ratio", [False, True])
def test_resize_matches_keras(keras, size_in, size_out, interpolation, crop_to_aspect_ratio):
    images = rng.standard_normal((2, *size_in, 3)).astype(np.float32)
    kwargs = {"interpolation": interpolation, "crop_to_aspect_ratio": crop_to_aspect_ratio}
    ours = ops.image.resize(images, size_out, **kwargs).numpy()
    theirs = np.asarray(keras.ops.image.resize(images, size_out, **kwargs))
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    # 'nearest' reads the very same pixels; 'bilinear' differs by float32 rounding only.
    np.testing.assert_allclose(ours, theirs, atol=2e-6 if interpolation == "bilinear" else 0)


def test_resize_of_one_image_and_channels_first():
    image = rng.random((5, 7, 2)).astype(np.float32)
    batch = ops.image.resize(image[None], (3, 4)).numpy()
    np.testing.assert_array_equal(ops.image.resize(image, (3, 4)).numpy(), batch[0])
    first = ops.image.resize(image.transpose(2, 0, 1)[None], (3, 4), data_format="channels_first")
    np.testing.assert_array_equal(first.numpy(), batch.transpose(0, 3, 1, 2))


def test_resize_by_two_averages_neighbour_pairs():
    # Halving samples the midpoints between pixel centres: each output is a 2x2 block's mean.
    images = rng.random((1, 4, 6, 1))
    blocks = images.reshape(1, 2, 2, 3, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(ops.image.resize(images, (2, 3)).numpy(), blocks)


@pytest.mark.parametrize(("size_in", "size_out"), RESIZES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resize_gradient(size_in, size_out, interpolation):
    images = Variable(rng.random((2, *size_in, 2)))
    check_gradients(lambda: ops.image.resize(images, size_out, interpolation), images)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": (0, 3)}, r"size must be \(height, width\).*size=\(0, 3\)"),
        ({"size": 3}, "size=3"),
        ({"size": (2, 2), "interpolation": "bicubic"}, "interpolation='bicubic'"),
        ({"size": (2, 2), "antialias": True}, "antialias=False only"),
        ({"size": (2, 2), "fill_mode": "reflect"}, "fill_mode='reflect'"),
        (
            {"size": (2, 2), "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
            "not both",
        ),
    ],
)
def test_resize_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.image.resize(IMAGES, **kwargs)


@pytest.mark.parametrize(
    ("size_in", "size_out"), [((4, 9), (6, 6)), ((9, 4), (3, 5)), ((6, 6), (3, 3))]
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resize_pad_to_aspect_ratio_matches_keras(keras, size_in, size_out, interpolation):
    images = rng.standard_normal((2, *size_in, 3)).astype(np.float32)
    kwargs = {"interpolation": interpolation, "pad_to_aspect_ratio": True, "fill_value": 0.5}
    ours = ops.image.resize(images, size_out, **kwargs).numpy()
    theirs = np.asarray(keras.ops.image.resize(images, size_out, **kwargs))
    np.testing.assert_allclose(ours, theirs, atol=2e-6)
