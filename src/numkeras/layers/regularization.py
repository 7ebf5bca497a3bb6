"""Regularization layers: the dropout variants (spatial, Gaussian, alpha), GaussianNoise and
ActivityRegularization. All but ActivityRegularization act in training only.

(``Dropout`` itself is in :mod:`numkeras.layers.core`.)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import backend, ops, regularizers
from ..ops import arguments as arg_ops
from ..ops.core import Tensor
from .conv import check_rank
from .core import Dropout
from .layer import InputSpec, Layer, Shape

#: SELU's constants (Klambauer et al., 2017), as Keras's AlphaDropout spells them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _standard_normal(generator: np.random.Generator, like: Tensor) -> Any:
    """Standard normal draws of ``like``'s shape and dtype, as an array of the active backend."""
    # Generator.standard_normal draws float32 or float64 only.
    dtype = np.float64 if like.dtype == np.float64 else np.float32
    noise = generator.standard_normal(like.shape, dtype=dtype)
    return ops.as_array(noise.astype(like.dtype, copy=False))


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps of ``rank``-D data: in training each channel of each
    sample is zeroed with probability ``rate`` (the others scaled by ``1 / (1 - rate)``), at
    all its positions together.

    Neighbouring positions of a feature map are strongly correlated, so dropping them one by one
    regularizes little; dropping channels does (Tompson et al., 2015).
    """

    rank = 2

    def __init__(self, rate: float, data_format: str, seed: int | None, **kwargs: Any):
        # One draw per (sample, channel), shared along the spatial axes.
        spatial = (1,) * self.rank
        if data_format == "channels_last":
            noise_shape = (None, *spatial, None)
        else:
            noise_shape = (None, None, *spatial)
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)
        self.data_format = data_format

    def build(self, input_shape: Shape) -> None:
        check_rank(self, input_shape, self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["noise_shape"]
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` sequences: in training each
    channel of each sample is zeroed with probability ``rate`` at every step together (the
    others scaled by ``1 / (1 - rate)``); at inference the layer is the identity.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: with an integer, the layer draws from its own generator seeded with it; with None
            (the default), from numkeras's seeded stream.
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(rate, "channels_last", seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images: in training each channel of each sample is
    zeroed with probability ``rate`` (the others scaled by ``1 / (1 - rate)``), all its pixels
    together.

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: with an integer, the layer draws from its own generator seeded with it; with None
            (the default), from numkeras's seeded stream.
    """

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ):
        try:
            data_format = arg_ops.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"SpatialDropout2D: {error}") from None
        super().__init__(rate, data_format, seed, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class GaussianDropout(Dropout):
    """Multiplicative 1-centred Gaussian noise: in training
    ``output = inputs · ε`` with ``ε ~ N(1, rate / (1 - rate))`` drawn per value (the same
    mean and variance as inverted dropout's mask of ``rate``); at inference the identity.

    Args:
        rate: the equivalent dropout rate, in [0, 1); the noise's standard deviation is
            ``sqrt(rate / (1 - rate))``.
        seed: with an integer, the layer draws from its own generator seeded with it; with None
            (the default), from numkeras's seeded stream.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(rate, None, seed, **kwargs)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        noise = _standard_normal(self._rng or backend.rng(), inputs)
        noise *= noise.dtype.type(math.sqrt(self.rate / (1 - self.rate)))
        noise += 1
        return ops.multiply(inputs, noise)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["noise_shape"]
        return config


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of its inputs, so that a SELU network stays
    self-normalizing: in training each value is kept with probability ``1 - rate`` or set to
    SELU's negative saturation ``α' = -scale · alpha ≈ -1.7581``, then the result is moved back
    to the inputs' mean and variance by an affine map::

        x' = keep · x + (1 - keep) · α'
        output = a · x' + b,  a = ((1 - rate)(1 + rate · α'²))^(-1/2),  b = -a · α' · rate

    At inference the layer is the identity.

    Args:
        rate: fraction of the values to drop, in [0, 1).
        noise_shape: shape of the keep mask, broadcast over the inputs, as ``Dropout``'s
            (default None: one draw per value).
        seed: with an integer, the layer draws from its own generator seeded with it; with None
            (the default), from numkeras's seeded stream.
    """

    def __init__(
        self,
        rate: float,
        noise_shape: tuple[int | None, ...] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ):
        # Dropout's arguments, restated so that a Keras 1 spelling's warning names this class.
        super().__init__(rate, noise_shape, seed, **kwargs)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        rate, alpha_p = self.rate, -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * rate
        shape = self._mask_shape(inputs.shape) or inputs.shape
        draws = backend.uniform_draws(shape, inputs.dtype, like=inputs.data, rng=self._rng)
        keep = (draws >= rate).astype(inputs.dtype)
        # a · (keep · x + (1 - keep) · α') + b as one product and one sum of constants, so the
        # gradient is a · keep.
        scale = keep * inputs.dtype.type(a)
        shift = (1 - keep) * inputs.dtype.type(a * alpha_p) + inputs.dtype.type(b)
        return ops.add(ops.multiply(inputs, scale), shift)


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` in training; passes
    inputs through unchanged at inference. A regularizer, like a random data augmentation.

    Args:
        stddev: standard deviation of the noise, in [0, 1] as Keras requires.
        seed: with an integer, the layer draws from its own generator seeded with it (the same
            noise sequence in every run); with None, from numkeras's seeded stream.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

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
        noise = _standard_normal(self._generator or backend.rng(), inputs)
        noise *= noise.dtype.type(self.stddev)
        return ops.add(inputs, noise)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class ActivityRegularization(Layer):
    """The identity, which adds ``l1 · Σ|x| + l2 · Σx²`` of its inputs to the training loss
    (through the layer's activity regularizer, an ``L1L2(l1, l2)``).

    Args:
        l1: L1 factor, >= 0. Defaults to 0.0.
        l2: L2 factor, >= 0. Defaults to 0.0.
    """

    #: Passes its input's mask on unchanged, as Keras 3's does.
    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        # The penalty is the activity regularizer's, which the base layer adds at each call
        # (L1L2 checks the factors); the config names l1 and l2 only, as Keras's does.
        regularizer = regularizers.L1L2(l1=l1, l2=l2)
        super().__init__(activity_regularizer=regularizer, **kwargs)
        self.l1, self.l2 = regularizer.l1, regularizer.l2

    def call(self, inputs: Tensor) -> Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["activity_regularizer"]
        return {**config, "l1": self.l1, "l2": self.l2}
