"""Pooling ops, against PyTorch and by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import ops
from numkeras.ops import pooling, windows

from .nhwc_support import backprop, nchw, nhwc, torch_pads

# -- pooling --------------------------------------------------------------------------------------
POOL_CASES = [
    # (h, w), pool, strides, padding
    ((6, 8), (2, 2), None, "valid"),
    ((7, 7), (2, 2), None, "valid"),
    ((7, 8), (3, 3), (2, 2), "valid"),
    ((6, 7), (3, 2), (1, 1), "valid"),
    ((7, 7), (3, 3), (2, 2), "same"),
    ((5, 6), (3, 3), (1, 1), "same"),
]


@pytest.mark.parametrize(("hw", "pool", "strides", "padding"), POOL_CASES)
def test_max_pool2d_matches_torch(hw, pool, strides, padding, rng, gradcheck):
    x = rng.standard_normal((2, *hw, 3))
    y, r, (gx,) = backprop(lambda v: pooling.max_pool2d(v, pool, strides, padding), x)
    stride = strides or pool
    pads = windows.spatial_pads(hw, pool, stride, (1, 1), padding)
    tx = nchw(x).requires_grad_()
    ty = F.max_pool2d(F.pad(tx, torch_pads(pads), value=-np.inf), pool, stride)
    (ty * nchw(r)).sum().backward()
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(gx, nhwc(tx.grad), rtol=1e-12)
    gradcheck(lambda v: pooling.max_pool2d(v, pool, strides, padding), x[:1])


@pytest.mark.parametrize(("hw", "pool", "strides", "padding"), POOL_CASES)
def test_avg_pool2d_matches_torch(hw, pool, strides, padding, rng, gradcheck):
    x = rng.standard_normal((2, *hw, 3))
    y, r, (gx,) = backprop(lambda v: pooling.avg_pool2d(v, pool, strides, padding), x)
    stride = strides or pool
    (top, bottom), (left, right) = windows.spatial_pads(hw, pool, stride, (1, 1), padding)
    tx = nchw(x).requires_grad_()
    # torch pads symmetrically: pad the extra row/column by hand, where padded zeros are counted
    # out by the division by the real count below.
    padded = F.pad(tx, (left, right, top, bottom))
    ones = F.pad(torch.ones_like(tx[:, :1]), (left, right, top, bottom))
    ty = F.avg_pool2d(padded, pool, stride) / F.avg_pool2d(ones, pool, stride)
    (ty * nchw(r)).sum().backward()
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(gx, nhwc(tx.grad), rtol=1e-12)
    gradcheck(lambda v: pooling.avg_pool2d(v, pool, strides, padding), x[:1])


def test_max_pool2d_gradient_goes_to_the_first_of_tied_maxima():
    x = ops.Variable(np.array([[[[1.0], [3.0]], [[3.0], [0.0]]]]))  # (1, 2, 2, 1)
    ops.sum(pooling.max_pool2d(x, 2)).backward()
    np.testing.assert_array_equal(x.grad[0, ..., 0], [[0.0, 1.0], [0.0, 0.0]])


def test_pooling_channels_first(rng):
    x = rng.standard_normal((2, 3, 6, 6))
    last = x.transpose(0, 2, 3, 1)
    for pool in (pooling.max_pool2d, pooling.avg_pool2d):
        np.testing.assert_allclose(
            pool(x, 3, 2, "same", data_format="channels_first").data,
            pool(last, 3, 2, "same").data.transpose(0, 3, 1, 2),
        )


@pytest.mark.parametrize(
    "pool, torch_pool",
    [(pooling.max_pool1d, F.max_pool1d), (pooling.avg_pool1d, F.avg_pool1d)],
)
def test_pool1d_matches_torch(pool, torch_pool, rng, gradcheck):
    x = rng.standard_normal((2, 9, 3))
    y, r, (gx,) = backprop(lambda v: pool(v, 3, 2), x)
    tx = torch.from_numpy(x.transpose(0, 2, 1).copy()).requires_grad_()
    ty = torch_pool(tx, 3, 2)
    (ty * torch.from_numpy(r.transpose(0, 2, 1).copy())).sum().backward()
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 1))
    np.testing.assert_allclose(gx, tx.grad.numpy().transpose(0, 2, 1))
    gradcheck(lambda v: pool(v, 2, padding="same"), x[:1, :7])
    np.testing.assert_allclose(
        pool(x.transpose(0, 2, 1), 3, 2, data_format="channels_first").data,
        y.transpose(0, 2, 1),
    )


def test_pooling_rejects_a_window_larger_than_the_input():
    with pytest.raises(ValueError, match="larger than its padded input"):
        pooling.max_pool2d(np.ones((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match="pool_size=0"):
        pooling.avg_pool2d(np.ones((1, 4, 4, 1)), 0)


# -- keras.ops.max_pool and average_pool ----------------------------------------------------------
def test_max_pool_and_average_pool_of_images(rng, gradcheck):
    x = rng.standard_normal((2, 6, 4, 3))
    blocks = x.reshape(2, 3, 2, 2, 2, 3)
    np.testing.assert_array_equal(ops.max_pool(x, 2).data, blocks.max(axis=(2, 4)))
    np.testing.assert_allclose(ops.average_pool(x, 2).data, blocks.mean(axis=(2, 4)), rtol=1e-14)
    first = ops.max_pool(x.transpose(0, 3, 1, 2), 2, data_format="channels_first")
    np.testing.assert_array_equal(first.data, blocks.max(axis=(2, 4)).transpose(0, 3, 1, 2))
    gradcheck(lambda v: ops.max_pool(v, (2, 2), strides=1), x[:1])
    gradcheck(lambda v: ops.average_pool(v, 3, strides=2, padding="same"), x[:1])


def test_max_pool_and_average_pool_of_sequences(rng, gradcheck):
    x = rng.standard_normal((2, 8, 3))
    windows_of_3 = np.lib.stride_tricks.sliding_window_view(x, 3, axis=1)  # stride 1
    np.testing.assert_array_equal(ops.max_pool(x, 3, strides=1).data, windows_of_3.max(-1))
    np.testing.assert_allclose(
        ops.average_pool(x, 2).data, x.reshape(2, 4, 2, 3).mean(axis=2), rtol=1e-14
    )
    first = ops.average_pool(x.transpose(0, 2, 1), 3, 1, data_format="channels_first")
    np.testing.assert_allclose(first.data, windows_of_3.mean(-1).transpose(0, 2, 1), rtol=1e-14)
    gradcheck(lambda v: ops.max_pool(v, 2), x[:1])
    gradcheck(lambda v: ops.average_pool(v, 3, padding="same"), x[:1])


@pytest.mark.parametrize("pool", [ops.max_pool, ops.average_pool])
def test_pooling_rejects_other_ranks(pool):
    with pytest.raises(ValueError, match=r"3-D input .* or a 4-D one.*inputs.shape=\(4, 3\)"):
        pool(np.ones((4, 3)), 2)
