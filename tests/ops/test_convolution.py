"""Convolution ops.

Values and gradients are compared with PyTorch (CPU, float64; torch is channels-first, so
arrays are transposed on the way), and every op passes a finite-difference gradient check on
small inputs (the check perturbs one element at a time).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import backend, ops
from numkeras.ops import convolution as conv
from numkeras.ops import normalization, pooling, windows
from numkeras.utils.gradient_check import check_gradients

from .nhwc_support import backprop, nchw, nhwc, torch_pads

# -- conv2d ---------------------------------------------------------------------------------------
CONV_CASES = [
    # (h, w), kernel, strides, padding, dilation, groups
    ((7, 8), (3, 3), (1, 1), "valid", (1, 1), 1),
    ((7, 8), (3, 2), (2, 2), "valid", (1, 1), 1),
    ((7, 8), (3, 3), (2, 1), "same", (1, 1), 1),
    ((8, 8), (2, 2), (2, 2), "same", (1, 1), 1),
    ((9, 9), (3, 3), (1, 1), "same", (2, 2), 1),
    ((9, 10), (2, 3), (1, 2), "valid", (3, 2), 1),
    ((7, 7), (3, 3), (1, 1), "same", (1, 1), 2),
    ((6, 7), (2, 2), (2, 1), "valid", (2, 1), 4),
    ((5, 6), (1, 1), (1, 1), "valid", (1, 1), 1),
    ((5, 6), (1, 1), (2, 2), "same", (1, 1), 1),
]


@pytest.mark.parametrize(("hw", "kernel", "strides", "padding", "dilation", "groups"), CONV_CASES)
def test_conv2d_matches_torch(hw, kernel, strides, padding, dilation, groups, rng):
    c_in, c_out = 4, 8
    x = rng.standard_normal((3, *hw, c_in))
    k = rng.standard_normal((*kernel, c_in // groups, c_out))
    b = rng.standard_normal(c_out)

    def fn(xv, kv, bv):
        return conv.conv2d(xv, kv, bv, strides, padding, dilation)

    y, r, (gx, gk, gb) = backprop(fn, x, k, b)
    tx, tb = nchw(x).requires_grad_(), torch.from_numpy(b).requires_grad_()
    tk = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))).requires_grad_()
    pads = windows.spatial_pads(hw, kernel, strides, dilation, padding)
    ty = F.conv2d(F.pad(tx, torch_pads(pads)), tk, tb, strides, 0, dilation, groups)
    (ty * nchw(r)).sum().backward()
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gk, tk.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("hw", "kernel", "strides", "padding", "dilation", "groups"),
    [
        ((5, 5), (3, 3), (1, 1), "valid", (1, 1), 1),
        ((5, 6), (3, 2), (2, 2), "same", (1, 1), 1),
        ((6, 6), (2, 2), (1, 2), "same", (2, 1), 1),
        ((5, 5), (3, 3), (2, 1), "valid", (1, 1), 2),
    ],
)
@pytest.mark.parametrize("activation", [None, "relu"])
def test_conv2d_gradient(
    hw, kernel, strides, padding, dilation, groups, activation, rng, gradcheck
):
    x = rng.standard_normal((2, *hw, 2 * groups))
    k = rng.standard_normal((*kernel, 2, 2 * groups))
    b = rng.standard_normal(2 * groups) + 0.3
    gradcheck(
        lambda *v: conv.conv2d(
            *v, strides=strides, padding=padding, dilation_rate=dilation, activation=activation
        ),
        x,
        k,
        b,
    )


def test_conv2d_relu_is_fused(rng):
    x, k, b = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 4)), np.ones(4)
    fused = conv.conv2d(x, k, b, activation="relu").data
    np.testing.assert_array_equal(fused, np.maximum(conv.conv2d(x, k, b).data, 0.0))


def test_conv2d_channels_first(rng, gradcheck):
    x, k = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((3, 2, 3, 4))
    expected = conv.conv2d(x.transpose(0, 2, 3, 1), k, padding="same").data.transpose(0, 3, 1, 2)
    y = conv.conv2d(x, k, padding="same", data_format="channels_first")
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    gradcheck(lambda v: conv.conv2d(v, k, strides=2, data_format="channels_first"), x)


def test_conv2d_keeps_float32(rng):
    with backend.floatx_scope("float32"):
        x = ops.Variable(rng.standard_normal((2, 6, 6, 3)).astype(np.float32))
        k = ops.Variable(rng.standard_normal((3, 3, 3, 5)).astype(np.float32))
        b = ops.Variable(np.zeros(5, np.float32))
        y = conv.conv2d(x, k, b, activation="relu")
        ops.sum(y).backward()
    assert y.dtype == x.grad.dtype == k.grad.dtype == b.grad.dtype == np.float32


def test_conv2d_skips_the_input_gradient_when_nothing_needs_it(rng):
    x = ops.Tensor(rng.standard_normal((2, 5, 5, 1)))
    k = ops.Variable(rng.standard_normal((3, 3, 1, 2)))
    ops.sum(conv.conv2d(x, k)).backward()
    assert x.grad is None and k.grad.shape == (3, 3, 1, 2)


def test_conv2d_layers_of_one_shape_do_not_share_scratch(rng):
    # Two live convolutions of identical shapes each keep their own im2col matrix until backward.
    x = rng.standard_normal((2, 6, 6, 3))
    k1 = ops.Variable(rng.standard_normal((3, 3, 3, 3)))
    k2 = ops.Variable(rng.standard_normal((3, 3, 3, 3)))
    xa, xb = ops.Variable(x), ops.Variable(x[::-1].copy())
    ops.sum(conv.conv2d(xa, k1) * conv.conv2d(xb, k2)).backward()
    ref_a, ref_b = ops.Variable(x), ops.Variable(x[::-1].copy())
    ya = conv.conv2d(ref_a, k1.data)
    yb = conv.conv2d(ref_b, k2.data)
    ops.sum(ya * yb.data).backward()
    np.testing.assert_allclose(xa.grad, ref_a.grad, rtol=1e-12)


def test_conv2d_keeps_no_im2col_matrix_between_forward_and_backward(rng):
    # Each pass borrows one chunk's matrix from the pool and gives it back before it returns.
    x = ops.Variable(rng.standard_normal((2, 6, 6, 3)))
    k = ops.Variable(rng.standard_normal((3, 3, 3, 2)))
    conv._POOL._free.clear()
    y = conv.conv2d(x, k)
    assert [buf.size for buf in conv._POOL._free] == [2 * 16 * 27]
    ops.sum(y).backward()
    assert [buf.size for buf in conv._POOL._free] == [2 * 16 * 27]
    with ops.no_grad():
        first = conv.conv2d(x, k).data.copy()
        np.testing.assert_array_equal(conv.conv2d(x, k).data, first)


def test_conv2d_in_chunks_of_the_batch_computes_the_same(monkeypatch, rng):
    x, k, b = rng.standard_normal((5, 9, 8, 3)), rng.standard_normal((3, 3, 3, 4)), np.ones(4)
    r = rng.standard_normal((5, 9, 8, 4))

    def run():
        xv, kv, bv = ops.Variable(x), ops.Variable(k), ops.Variable(b)
        y = conv.conv2d(xv, kv, bv, padding="same", activation="relu")
        ops.sum(y * r).backward()
        return [y.data, xv.grad, kv.grad, bv.grad]

    whole = run()
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    assert len(conv._chunks(5, 8 * 9 * 27 * 8, np)) == 5  # one image per chunk
    for chunked, expected in zip(run(), whole, strict=True):
        np.testing.assert_allclose(chunked, expected, rtol=1e-12, atol=1e-14)


def test_conv2d_backward_twice_accumulates(rng):
    x = ops.Variable(rng.standard_normal((1, 4, 4, 2)))
    k = ops.Variable(rng.standard_normal((2, 2, 2, 3)))
    loss = ops.sum(conv.conv2d(x, k))
    loss.backward()
    once = x.grad.copy(), k.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * once[0])
    np.testing.assert_allclose(k.grad, 2 * once[1])


@pytest.mark.parametrize(
    ("x_shape", "k_shape", "kwargs", "match"),
    [
        ((1, 2, 2, 1), (3, 3, 1, 1), {}, "larger than its padded input"),
        ((1, 5, 5, 1), (3, 3, 1, 1), {"dilation_rate": 3}, "larger than its padded input"),
        ((1, 5, 5, 3), (3, 3, 2, 1), {}, "multiple of kernel.shape"),
        ((1, 5, 5, 4), (3, 3, 2, 3), {}, "out_channels divisible"),
        ((5, 5, 1), (3, 3, 1, 1), {}, "4-D input"),
        ((1, 5, 5, 1), (3, 3, 1, 1), {"strides": 0}, "strides=0"),
        ((1, 5, 5, 1), (3, 3, 1, 1), {"padding": "full"}, "padding='full'"),
        ((1, 5, 5, 1), (3, 3, 1, 1), {"data_format": "NHWC"}, "data_format='NHWC'"),
    ],
)
def test_conv2d_rejects_bad_arguments(x_shape, k_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv.conv2d(np.ones(x_shape), np.ones(k_shape), **kwargs)


# -- conv1d ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kernel", "strides", "padding", "dilation", "groups"),
    [
        (3, 1, "valid", 1, 1),
        (3, 2, "same", 1, 1),
        (2, 1, "causal", 2, 1),
        (3, 1, "same", 1, 2),
    ],
)
def test_conv1d_matches_torch(kernel, strides, padding, dilation, groups, rng, gradcheck):
    x = rng.standard_normal((2, 9, 4))
    k = rng.standard_normal((kernel, 4 // groups, 6))
    b = rng.standard_normal(6)

    def fn(*v):
        return conv.conv1d(*v, strides=strides, padding=padding, dilation_rate=dilation)

    y, r, (gx, gk, gb) = backprop(fn, x, k, b)
    tx = torch.from_numpy(x.transpose(0, 2, 1).copy()).requires_grad_()
    tk = torch.from_numpy(k.transpose(2, 1, 0).copy()).requires_grad_()
    if padding == "causal":
        pads = (dilation * (kernel - 1), 0)
    else:
        pads = windows.padding_amounts(9, kernel, strides, dilation, padding)
    ty = F.conv1d(F.pad(tx, pads), tk, torch.from_numpy(b), strides, 0, dilation, groups)
    (ty * torch.from_numpy(r.transpose(0, 2, 1).copy())).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx, tx.grad.numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gk, tk.grad.numpy().transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    gradcheck(fn, x[:1, :6], k, b)


def test_conv1d_causal_output_sees_only_the_past(rng):
    x = rng.standard_normal((1, 8, 2))
    k = rng.standard_normal((3, 2, 1))
    y = conv.conv1d(x, k, padding="causal").data
    changed = x.copy()
    changed[0, 5:] += 1.0
    y2 = conv.conv1d(changed, k, padding="causal").data
    np.testing.assert_array_equal(y[0, :5], y2[0, :5])
    assert not np.allclose(y[0, 5:], y2[0, 5:])


def test_conv1d_channels_first(rng):
    x, k = rng.standard_normal((2, 3, 7)), rng.standard_normal((2, 3, 5))
    expected = conv.conv1d(x.transpose(0, 2, 1), k, padding="same").data.transpose(0, 2, 1)
    np.testing.assert_allclose(
        conv.conv1d(x, k, padding="same", data_format="channels_first").data, expected
    )


def test_gradient_check_of_a_small_cnn(rng):
    """Conv, ReLU, pooling, batch-norm and a dense head, differentiated together."""
    x = ops.Variable(rng.standard_normal((2, 6, 6, 1)))
    k1 = ops.Variable(rng.standard_normal((3, 3, 1, 2)))
    k2 = ops.Variable(rng.standard_normal((2, 2, 2, 2)))
    gamma, beta = ops.Variable(rng.standard_normal(2)), ops.Variable(rng.standard_normal(2))
    w = ops.Variable(rng.standard_normal((2, 3)))

    def net():
        h = conv.conv2d(x, k1, padding="same", activation="relu")
        h = pooling.max_pool2d(h, 2)
        h = normalization.batch_norm(conv.conv2d(h, k2, strides=1), gamma, beta)
        return ops.matmul(ops.mean(h, axis=(1, 2)), w)

    check_gradients(net, x, k1, k2, gamma, beta, w)


# -- keras.ops.conv -------------------------------------------------------------------------------
def _numpy_conv(x, k, strides=(1, 1), dilation=(1, 1)):
    """'valid' cross-correlation of NHWC ``x`` with ``k``, one kernel position at a time."""
    (kh, kw, _, f), (sh, sw), (dh, dw) = k.shape, strides, dilation
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], oh, ow, f))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            y += x[:, rows, cols] @ k[i, j]
    return y


def test_conv_of_images_is_numpys_cross_correlation(rng, gradcheck):
    x, k = rng.standard_normal((2, 7, 8, 3)), rng.standard_normal((3, 2, 3, 4))
    y = ops.conv(x, k, strides=(2, 1), dilation_rate=(1, 2))
    np.testing.assert_allclose(y.data, _numpy_conv(x, k, (2, 1), (1, 2)), rtol=1e-12)
    same = ops.conv(x, k[:, :1], padding="same")  # a 3x1 kernel: one zero row above and below
    padded = np.pad(x, ((0, 0), (1, 1), (0, 0), (0, 0)))
    np.testing.assert_allclose(same.data, _numpy_conv(padded, k[:, :1]), rtol=1e-12)
    first = ops.conv(x.transpose(0, 3, 1, 2), k, data_format="channels_first")
    np.testing.assert_allclose(first.data, _numpy_conv(x, k).transpose(0, 3, 1, 2), rtol=1e-12)
    gradcheck(lambda v, kv: ops.conv(v, kv, strides=2, padding="same"), x[:1, :5, :5], k)


def test_conv_of_sequences_is_numpys_cross_correlation(rng, gradcheck):
    x, k = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
    y = ops.conv(x, k, strides=2, dilation_rate=1)
    np.testing.assert_allclose(y.data, _numpy_conv(x[:, None], k[None], (1, 2))[:, 0], rtol=1e-12)
    causal = ops.conv(x, k, padding="causal")
    padded = np.pad(x, ((0, 0), (2, 0), (0, 0)))
    np.testing.assert_allclose(causal.data, _numpy_conv(padded[:, None], k[None])[:, 0], rtol=1e-12)
    gradcheck(lambda v, kv: ops.conv(v, kv, padding="same"), x[:1, :6], k)


def test_conv_rejects_other_ranks():
    with pytest.raises(ValueError, match=r"3-D input .* or a 4-D one.*inputs.shape=\(4, 3\)"):
        ops.conv(np.ones((4, 3)), np.ones((3, 3)))
