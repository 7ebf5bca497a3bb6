"""Regularization layers that act in training only: SpatialDropout2D and GaussianNoise.

(``Dropout`` itself is in :mod:`numkeras.layers.core`.)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend, ops
from ..ops import arguments as arg_ops
from ..ops.core import Tensor
from .conv import check_rank
from .core import Dropout
from .layer import InputSpec, Layer, Shape


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: in training each channel of each sample is zeroed with
    probability ``rate`` (the others scaled by ``1 / (1 - rate)``), all its pixels together.

    Neighbouring pixels of a feature map are strongly correlated, so dropping pixels one by one
    regularizes little; dropping channels does (Tompson et al., 2015).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: accepted for Keras compatibility; draws come from numkeras's seeded stream.
    """

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ):
        try:
            data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"SpatialDropout2D: {error}") from None
        # One draw per (sample, channel), shared along the spatial axes.
        noise_shape = (None, 1, 1, None) if data_format == "channels_last" else (None, None, 1, 1)
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)
        self.data_format = data_format

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, 2, self.data_format)
        self.input_spec = InputSpec(ndim=4)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["noise_shape"]
        return {**config, "data_format": self.data_format}


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` in training; passes
    inputs through unchanged at inference. A regularizer, like a random data augmentation.

    Args:
        stddev: standard deviation of the noise, in [0, 1] as Keras requires.
        seed: with an integer, the layer draws from its own generator seeded with it (the same
            noise sequence in every run); with None, from numkeras's seeded stream.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if (
            isinstance(stddev, bool)
            or not isinstance(stddev, numbers.Real)
            or not (0 <= stddev <= 1)
        ):
            raise ValueError(
                f"stddev must be a number between 0 and 1. Received: stddev={stddev!r}"
            )
        self.stddev, self.seed = float(stddev), seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.stddev == 0:
            return inputs
        generator = self._generator or backend.rng()
        dtype = np.float64 if inputs.dtype == np.float64 else np.float32
        noise = generator.standard_normal(inputs.shape, dtype=dtype)
        noise *= self.stddev
        return ops.add(inputs, ops.as_array(noise.astype(inputs.dtype, copy=False)))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
