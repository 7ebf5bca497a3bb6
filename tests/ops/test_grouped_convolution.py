"""Depthwise and separable convolutions: values and gradients against PyTorch's grouped
conv2d (``groups = in_channels``), values against Keras 3's ``keras.ops``, finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras.ops import grouped_convolution as dw

from .nhwc_support import backprop, nchw, nhwc


@pytest.mark.parametrize("strides, dilation, multiplier", [(1, 1, 1), (2, 1, 2), (1, 2, 3)])
def test_depthwise_matches_torch_grouped_conv(strides, dilation, multiplier, rng):
    x = rng.standard_normal((2, 7, 6, 3))
    kernel = rng.standard_normal((3, 2, 3, multiplier))
    bias = rng.standard_normal(3 * multiplier)
    y, r, (gx, gk, gb) = backprop(
        lambda *v: dw.depthwise(*v, strides, "valid", dilation), x, kernel, bias
    )
    # Keras's (kh, kw, in, m) is PyTorch's (in·m, 1, kh, kw), channel c·m + k in both.
    tk = torch.from_numpy(kernel.reshape(3, 2, 1, -1).transpose(3, 2, 0, 1).copy())
    tx, tk, tb = (t.requires_grad_() for t in (nchw(x), tk, torch.tensor(bias)))
    ty = F.conv2d(tx, tk, tb, strides, dilation=dilation, groups=3)
    (ty * nchw(r)).sum().backward()
    np.testing.assert_allclose(y, nhwc(ty), atol=1e-12)
    np.testing.assert_allclose(gx, nhwc(tx.grad), atol=1e-12)
    np.testing.assert_allclose(gk.reshape(3, 2, 1, -1), tk.grad.numpy().transpose(2, 3, 1, 0))
    np.testing.assert_allclose(gb, tb.grad.numpy(), atol=1e-12)


def test_finite_differences(rng, gradcheck):
    gradcheck(
        lambda x, k, p, b: dw.separable(x, k, p, b, 2, "same"),
        rng.standard_normal((2, 4, 3, 2)),
        rng.standard_normal((2, 3, 2, 2)),
        rng.standard_normal((1, 1, 4, 3)),
        rng.standard_normal(3),
    )
    gradcheck(
        lambda x, k: dw.depthwise_conv(x, k, 1, "same", "channels_first", 2),
        rng.standard_normal((2, 2, 5)),
        rng.standard_normal((2, 2, 3)),
    )


def test_values_match_keras_ops(keras, rng):
    for s, d, padding, m, data_format in itertools.product(
        (1, 2), (1, 2), ("valid", "same"), (1, 2), ("channels_last", "channels_first")
    ):
        if s > 1 and d > 1:
            continue  # Keras refuses both at once
        x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
        if data_format == "channels_first":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        kernel = rng.standard_normal((3, 3, 3, m)).astype(np.float32)
        pointwise = rng.standard_normal((1, 1, 3 * m, 4)).astype(np.float32)
        args = (s, padding, data_format, d)
        np.testing.assert_allclose(
            dw.depthwise_conv(x, kernel, *args).data,
            np.asarray(keras.ops.depthwise_conv(x, kernel, *args)),
            atol=1e-4,
        )
        np.testing.assert_allclose(
            dw.separable_conv(x, kernel, pointwise, *args).data,
            np.asarray(keras.ops.separable_conv(x, kernel, pointwise, *args)),
            atol=1e-4,
        )
        steps = x[:, :, 0] if data_format == "channels_first" else x[:, 0]
        np.testing.assert_allclose(
            dw.separable_conv(steps, kernel[0], pointwise[0], *args).data,
            np.asarray(keras.ops.separable_conv(steps, kernel[0], pointwise[0], *args)),
            atol=1e-4,
        )


def test_bad_input_says_what_was_given(rng):
    with pytest.raises(ValueError, match=r"kernel.shape\[-2\].*kernel.shape=\(3, 3, 2, 1\)"):
        dw.depthwise_conv(rng.standard_normal((1, 5, 5, 3)), rng.standard_normal((3, 3, 2, 1)))
    with pytest.raises(ValueError, match=r"3-D input.*inputs.shape=\(1, 2, 5, 5, 3\)"):
        dw.depthwise_conv(rng.standard_normal((1, 2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 1)))
