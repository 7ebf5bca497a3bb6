"""Padding and up-sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as F

from numkeras import ops
from numkeras.ops import spatial

from .nhwc_support import nchw, nhwc


# -- padding and up-sampling ----------------------------------------------------------------------
def test_pad(rng, gradcheck):
    x = rng.standard_normal((2, 3, 4))
    y = spatial.pad(x, ((0, 0), (1, 2), (3, 0)), constant_values=-1.0)
    np.testing.assert_array_equal(y.data, np.pad(x, ((0, 0), (1, 2), (3, 0)), constant_values=-1))
    gradcheck(lambda v: spatial.pad(v, ((1, 0), (1, 2), (0, 1))), x)
    with pytest.raises(ValueError, match="one \\(before, after\\) pair per axis"):
        spatial.pad(x, ((1, 1),))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling2d(data_format, rng, gradcheck):
    x = rng.standard_normal((2, 3, 4, 2))
    y = spatial.upsampling2d(x, (2, 3), data_format)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    expected = np.repeat(np.repeat(x, 2, axis=axes[0]), 3, axis=axes[1])
    np.testing.assert_array_equal(y.data, expected)
    gradcheck(lambda v: spatial.upsampling2d(v, 2, data_format), x)


def test_upsampling2d_matches_torch(rng):
    x = rng.standard_normal((2, 3, 4, 2))
    np.testing.assert_array_equal(
        spatial.upsampling2d(x, 2).data,
        nhwc(F.interpolate(nchw(x), scale_factor=2, mode="nearest")),
    )


def test_pad_takes_keras_arguments(rng, gradcheck):
    x = rng.standard_normal((2, 3))
    widths = ((1, 0), (2, 1))
    np.testing.assert_array_equal(ops.pad(x, widths).data, np.pad(x, widths))
    np.testing.assert_array_equal(
        ops.pad(x, widths, "constant", 2.5).data, np.pad(x, widths, constant_values=2.5)
    )
    gradcheck(lambda v: ops.pad(v, widths, constant_values=1.0), x)
    with pytest.raises(ValueError, match="mode='constant' only. Received: mode='reflect'"):
        ops.pad(x, widths, mode="reflect")
