"""Drawings become MNIST-like digits: box into 20x20, centre of mass at (14, 14), white on black."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras.serve.preprocess import (
    BOX,
    CENTRE,
    FIELD,
    BlankImageError,
    ink_from_grey,
    resampling_matrix,
    to_mnist,
)


def bounding_box(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    return (
        image.sum(axis=1) @ np.arange(image.shape[0]) / total,
        image.sum(axis=0) @ np.arange(image.shape[1]) / total,
    )


@pytest.mark.parametrize("n_out, n_in", [(20, 280), (20, 20), (20, 7), (1, 5), (13, 31)])
def test_resampling_matrix_averages(n_out: int, n_in: int) -> None:
    weights = resampling_matrix(n_out, n_in)
    assert weights.shape == (n_out, n_in) and weights.dtype == np.float32
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-6)
    assert (weights >= 0).all()
    if n_out < n_in:  # shrinking: every input pixel contributes (anti-aliasing)
        assert (weights.sum(axis=0) > 0).all()


def test_resampling_to_the_same_size_is_the_identity() -> None:
    np.testing.assert_allclose(resampling_matrix(20, 20), np.eye(20), atol=1e-7)


def test_a_tall_stroke_fills_20_rows_keeps_its_aspect_and_is_centred() -> None:
    drawing = np.zeros((300, 300), np.float32)
    drawing[40:240, 150:250] = 1  # 200 tall, 100 wide, far off centre
    digit = to_mnist(drawing)
    assert digit.shape == (FIELD, FIELD) and digit.dtype == np.float32
    assert bounding_box(digit > 0) == (BOX, BOX // 2)
    assert digit.max() == pytest.approx(1.0)
    row, col = centre_of_mass(digit)
    assert abs(row - CENTRE) <= 0.5 and abs(col - CENTRE) <= 0.5


def test_a_wide_stroke_fills_20_columns() -> None:
    drawing = np.zeros((90, 400), np.float32)
    drawing[30:50, 20:380] = 0.6  # faint ink is stretched to full strength
    digit = to_mnist(drawing)
    assert bounding_box(digit > 0)[1] == BOX
    assert digit.max() == pytest.approx(1.0)


def test_a_lopsided_digit_is_shifted_only_as_far_as_the_field_allows() -> None:
    drawing = np.zeros((100, 100), np.float32)
    drawing[0:100, 0:4] = 1  # a bar on the left...
    drawing[0:4, 0:100] = 1  # ...and one on top: the mass sits in a corner
    drawing[0:20, 0:20] = 1
    digit = to_mnist(drawing)
    assert bounding_box(digit > 0) == (BOX, BOX)  # nothing cut off


def test_mnist_digits_go_through_unchanged(digits) -> None:
    images = digits.x_test[:300].astype(np.float32) / 255
    redone = np.stack([to_mnist(image) for image in images])
    assert np.abs(redone - images).mean() < 0.005


def test_ink_from_grey_reads_either_polarity() -> None:
    rng = np.random.default_rng(0)
    stroke = np.zeros((60, 50), np.float32)
    stroke[10:50, 20:28] = 1
    noise = rng.uniform(-5, 5, stroke.shape).astype(np.float32)
    on_white = 255 - 200 * stroke + noise  # dark ink on noisy paper
    on_black = 30 + 200 * stroke
    for picture in (on_white, on_black, np.clip(on_white, 0, 255).astype(np.uint8)):
        ink = ink_from_grey(picture)
        assert ink.dtype == np.float32
        np.testing.assert_allclose(ink, stroke, atol=0.06)


def test_float64_stays_float64() -> None:
    picture = np.zeros((30, 30))
    picture[5:25, 12:16] = 1
    assert ink_from_grey(picture).dtype == np.float64
    assert to_mnist(picture).dtype == np.float64


@pytest.mark.parametrize("function", [ink_from_grey, to_mnist])
def test_blank_pictures_are_refused(function) -> None:
    with pytest.raises(BlankImageError, match="no digit"):
        function(np.zeros((40, 40), np.float32))


@pytest.mark.parametrize("function", [ink_from_grey, to_mnist])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_pictures_must_be_finite(function, bad: float) -> None:
    picture = np.zeros((10, 10), np.float32)
    picture[3:7, 4] = 1
    picture[5, 5] = bad
    with pytest.raises(ValueError, match="finite numbers"):
        function(picture)


@pytest.mark.parametrize("function", [ink_from_grey, to_mnist])
def test_pictures_must_be_2d(function) -> None:
    with pytest.raises(ValueError, match=r"Received: shape=\(3, 4, 5\)"):
        function(np.ones((3, 4, 5), np.float32))


def test_drawings_are_read_as_well_as_test_digits(served, digits) -> None:
    """Test digits drawn anew, dark on white, at any size and place on a 280x280 pad.

    Through the MNIST steps they are read as well as the test digits themselves; squeezing the
    whole pad into 28x28 (no bounding box, no centring) loses most of them.
    """
    rng = np.random.default_rng(0)
    n = 400
    drawn, squeezed = [], []
    for image in digits.x_test[:n]:
        scale = rng.integers(3, 10)
        big = np.kron(image, np.ones((scale, scale), np.uint8))
        top, left = rng.integers(0, 280 - big.shape[0] + 1, size=2)
        pad = np.full((280, 280), 255, np.uint8)
        pad[top : top + big.shape[0], left : left + big.shape[1]] = 255 - big
        drawn.append(to_mnist(ink_from_grey(pad)))
        squeezed.append((255 - pad).reshape(FIELD, 10, FIELD, 10).mean(axis=(1, 3)) / 255)
    labels = digits.y_test[:n]

    def accuracy(images: list[np.ndarray]) -> float:
        return float(np.mean(served.predict(np.stack(images)).argmax(axis=1) == labels))

    as_tested = accuracy(list(digits.x_test[:n] / 255))
    assert accuracy(drawn) >= as_tested - 0.015
    assert accuracy(squeezed) < as_tested - 0.3
