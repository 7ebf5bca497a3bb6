"""conv_transpose: values and gradients against PyTorch's conv_transpose2d, output sizes and
values against Keras 3's ``keras.ops.conv_transpose``, finite differences, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import config
from numkeras.ops import transposed_convolution as ct
from numkeras.ops.convolution import conv1d

from .nhwc_support import backprop, nchw, nhwc


def _torch_kernel(kernel: np.ndarray) -> torch.Tensor:
    # Keras's (kh, kw, out, in) is PyTorch's (in, out, kh, kw).
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


@pytest.mark.parametrize(
    "strides, dilation, padding, output_padding, torch_padding, torch_output_padding",
    [
        (1, 1, "valid", None, 0, 0),
        (2, 1, "valid", None, 0, 0),
        (4, 1, "valid", None, 0, 1),  # the stride exceeds the kernel: one zero row after
        (2, 1, "valid", 1, 0, 1),
        (1, 2, "valid", None, 0, 0),
        (1, 1, "same", None, 1, 0),
    ],
)
def test_values_and_gradients_match_torch(
    strides, dilation, padding, output_padding, torch_padding, torch_output_padding, rng
):
    x = rng.standard_normal((2, 4, 5, 3))
    kernel = rng.standard_normal((3, 3, 4, 3))
    bias = rng.standard_normal(4)
    y, r, (gx, gk, gb) = backprop(
        lambda *v: ct.conv2d_transpose(*v, strides, padding, output_padding, dilation),
        x,
        kernel,
        bias,
    )
    tx, tk, tb = (t.requires_grad_() for t in (nchw(x), _torch_kernel(kernel), torch.tensor(bias)))
    ty = F.conv_transpose2d(
        tx, tk, tb, strides, torch_padding, torch_output_padding, dilation=dilation
    )
    (ty * nchw(r)).sum().backward()
    np.testing.assert_allclose(y, nhwc(ty), atol=1e-12)
    np.testing.assert_allclose(gx, nhwc(tx.grad), atol=1e-12)
    np.testing.assert_allclose(gk, tk.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("strides, padding, output_padding", [(2, "same", None), (3, "same", 2)])
def test_finite_differences(strides, padding, output_padding, rng, gradcheck):
    gradcheck(
        lambda x, k, b: ct.conv2d_transpose(x, k, b, strides, padding, output_padding),
        rng.standard_normal((2, 3, 2, 2)),
        rng.standard_normal((3, 2, 3, 2)),
        rng.standard_normal(3),
    )
    gradcheck(
        lambda x, k: ct.conv1d_transpose(x, k, None, strides, padding, output_padding),
        rng.standard_normal((2, 4, 2)),
        rng.standard_normal((3, 3, 2)),
    )


def test_sizes_and_values_match_keras_ops(keras, rng):
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    sequences = x[:, 0]
    for s, d, padding, extra, k in itertools.product(
        (1, 2, 3), (1, 2), ("valid", "same"), (None, 0, 1), (1, 2, 3)
    ):
        if extra is not None and extra >= s:
            continue
        kernel = rng.standard_normal((k, k, 2, 3)).astype(np.float32)
        expected = np.asarray(keras.ops.conv_transpose(x, kernel, s, padding, extra, None, d))
        got = ct.conv_transpose(x, kernel, s, padding, extra, dilation_rate=d).data
        assert got.shape == expected.shape, (s, d, padding, extra, k)
        np.testing.assert_allclose(got, expected, atol=1e-4)
        expected = np.asarray(
            keras.ops.conv_transpose(sequences, kernel[0], s, padding, extra, None, d)
        )
        got = ct.conv_transpose(sequences, kernel[0], s, padding, extra, dilation_rate=d).data
        np.testing.assert_allclose(got, expected, atol=1e-4)


def test_channels_first(rng):
    x, kernel = rng.standard_normal((2, 4, 5, 3)), rng.standard_normal((3, 3, 2, 3))
    np.testing.assert_allclose(
        ct.conv2d_transpose(
            x.transpose(0, 3, 1, 2), kernel, strides=2, data_format="channels_first"
        ).data,
        ct.conv2d_transpose(x, kernel, strides=2).data.transpose(0, 3, 1, 2),
    )
    np.testing.assert_allclose(
        ct.conv1d_transpose(
            x[:, 0].transpose(0, 2, 1), kernel[0], data_format="channels_first"
        ).data,
        ct.conv1d_transpose(x[:, 0], kernel[0]).data.transpose(0, 2, 1),
    )


def test_bad_input_says_what_was_given(rng):
    with pytest.raises(ValueError, match=r"kernel.shape\[3\].*kernel.shape=\(3, 3, 2, 4\)"):
        ct.conv2d_transpose(rng.standard_normal((1, 4, 4, 3)), rng.standard_normal((3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"3-D input.*inputs.shape=\(4, 3\)"):
        ct.conv_transpose(rng.standard_normal((4, 3)), rng.standard_normal((3, 2, 3)))
    with pytest.raises(ValueError, match=r"output_padding=-1"):
        ct.conv2d_transpose(
            rng.standard_normal((1, 4, 4, 3)), rng.standard_normal((3, 3, 2, 3)), output_padding=-1
        )


@pytest.fixture
def channels_first_by_default():
    config.set_image_data_format("channels_first")
    yield
    config.set_image_data_format("channels_last")


def test_sequences_follow_the_default_data_format(rng, channels_first_by_default):
    # The 1-D ops run 2-D ones on a height of one, in channels-last order whatever the default.
    x = rng.standard_normal((2, 5, 3))
    kernel, kernel_t = rng.standard_normal((3, 3, 4)), rng.standard_normal((3, 4, 3))
    first = x.transpose(0, 2, 1)
    np.testing.assert_allclose(
        conv1d(first, kernel).data,
        conv1d(x, kernel, data_format="channels_last").data.transpose(0, 2, 1),
    )
    np.testing.assert_allclose(
        ct.conv1d_transpose(first, kernel_t).data,
        ct.conv1d_transpose(x, kernel_t, data_format="channels_last").data.transpose(0, 2, 1),
    )
