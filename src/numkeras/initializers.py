"""Initializers: the starting values of weights, ``init(shape, dtype=None) -> array``.

Names, arguments and formulas are Keras 3's. The Glorot, He and LeCun families are one piece of
code, :class:`VarianceScaling`, with their scale, fan mode and distribution preset. An initializer
returns a NumPy array of ``dtype`` (default: :func:`numkeras.backend.floatx`).

Randomness: with ``seed=None`` the draws come from numkeras's stream
(:func:`numkeras.backend.rng`), so ``set_random_seed`` before building a model reproduces its
weights and two layers get different ones. With an integer ``seed`` every call draws from a fresh
``numpy.random.default_rng(seed)``, so the same shape always gets the same values (as in Keras 3).

>>> GlorotUniform(seed=0)((2, 3)).shape
(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import backend, registry

Shape = tuple[int, ...]

# The standard deviation of a unit normal truncated to [-2, 2]: dividing by it gives the
# truncated draw the variance asked for.
_TRUNCATION_STDDEV = 0.87962566103423978


def compute_fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    Dense kernel ``(in, out)``: ``(in, out)``. Convolution kernel ``(..., in, out)`` (e.g.
    ``(kh, kw, in, out)``): each multiplied by the receptive field size ``kh·kw···``.
    A vector ``(n,)``: ``(n, n)``; a scalar: ``(1, 1)``.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _float_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(backend.floatx() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"Initializers make float arrays. Received: dtype={dtype}")
    return dtype


def _draw_dtype(dtype: np.dtype) -> np.dtype:
    # Generators draw float32 and float64 directly; float16 is drawn as float32, then cast.
    return dtype if dtype.itemsize >= 4 else np.dtype("float32")


class Initializer:
    """Base class: a callable ``(shape, dtype=None) -> array`` with a config.

    Subclasses implement :meth:`generate`, which is called with a float dtype. A subclass's
    ``get_config`` returns every constructor argument, so ``from_config`` rebuilds it.
    """

    def __call__(self, shape: Shape, dtype: Any = None) -> np.ndarray:
        return self.generate(tuple(int(n) for n in shape), _float_dtype(dtype))

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError

    def cost(self, shape: Shape) -> int:
        """About how many floating-point operations a weight of ``shape`` takes: one per value,
        unless a subclass says more (what ``model_from_json`` bounds)."""
        return math.prod(shape)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register
class Zeros(Initializer):
    """All zeros."""

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        return np.zeros(shape, dtype)


@registry.register
class Ones(Initializer):
    """All ones."""

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        return np.ones(shape, dtype)


@registry.register
class Constant(Initializer):
    """Every element ``value``. Defaults to ``value=0.0``."""

    def __init__(self, value: float = 0.0):
        self.value = value

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        return np.full(shape, self.value, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomInitializer(Initializer):
    """Base of the random initializers: owns the ``seed`` and the generator it implies."""

    def __init__(self, seed: int | None = None):
        valid = seed is None or (
            isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0
        )
        if not valid:
            raise ValueError(
                f"seed must be None or a non-negative integer. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def generator(self) -> np.random.Generator:
        """numkeras's stream when unseeded, else a fresh generator seeded with ``seed``."""
        return backend.rng() if self.seed is None else np.random.default_rng(self.seed)

    def normal(self, shape: Shape, dtype: np.dtype, truncated: bool) -> np.ndarray:
        """Unit normal draws; with ``truncated``, those beyond 2 are redrawn until none is."""
        rng = self.generator()
        z = rng.standard_normal(shape, dtype=_draw_dtype(dtype))
        if truncated:
            outside = np.flatnonzero(np.abs(z) > 2)
            while outside.size:
                redrawn = rng.standard_normal(outside.size, dtype=z.dtype)
                z.flat[outside] = redrawn
                outside = outside[np.abs(redrawn) > 2]
        return z.astype(dtype, copy=False)

    def uniform(self, shape: Shape, dtype: np.dtype, low: float, high: float) -> np.ndarray:
        """Uniform draws on ``[low, high)``."""
        u = self.generator().random(shape, dtype=_draw_dtype(dtype))
        u *= high - low
        u += low
        return u.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


@registry.register
class RandomNormal(RandomInitializer):
    """Normal draws, ``N(mean, stddev²)``. Defaults: ``mean=0.0``, ``stddev=0.05``."""

    TRUNCATED = False

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        z = self.normal(shape, dtype, self.TRUNCATED)
        z *= self.stddev
        z += self.mean
        return z

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register
class TruncatedNormal(RandomNormal):
    """Normal draws ``N(mean, stddev²)`` redrawn when more than 2 stddev from the mean.

    Defaults: ``mean=0.0``, ``stddev=0.05``. (``stddev`` is that of the normal before truncation,
    as in Keras; the values' own standard deviation is about ``0.88·stddev``.)
    """

    TRUNCATED = True


@registry.register
class RandomUniform(RandomInitializer):
    """Uniform draws on ``[minval, maxval)``. Defaults: ``minval=-0.05``, ``maxval=0.05``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        return self.uniform(shape, dtype, self.minval, self.maxval)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@registry.register
class VarianceScaling(RandomInitializer):
    """Draws whose variance is ``scale / n``, with ``n`` set by ``mode`` from the weight's fans.

    ``mode``: ``'fan_in'`` (n = fan_in), ``'fan_out'`` (n = fan_out) or ``'fan_avg'``
    (n = (fan_in + fan_out) / 2); fans as in :func:`compute_fans`. ``distribution``:

    * ``'truncated_normal'``: N(0, σ²) cut at ±2σ, ``σ = √(scale/n) / 0.87962566103423978``
      (the divisor restores the variance that truncation removes);
    * ``'untruncated_normal'``: N(0, σ²) with ``σ = √(scale/n)``;
    * ``'uniform'``: U(-limit, limit) with ``limit = √(3·scale/n)``.

    Defaults: ``scale=1.0``, ``mode='fan_in'``, ``distribution='truncated_normal'``.
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        super().__init__(seed)
        if not scale > 0:
            raise ValueError(f"scale must be a positive number. Received: scale={scale!r}")
        mode = str(mode).lower()
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}. Received: mode={mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":  # Keras 2's spelling of the truncated normal
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {self.DISTRIBUTIONS}. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def variance(self, shape: Shape) -> float:
        """``scale / n`` for a weight of ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return self.scale / max(1.0, n)

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        variance = self.variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return self.uniform(shape, dtype, -limit, limit)
        truncated = self.distribution == "truncated_normal"
        z = self.normal(shape, dtype, truncated)
        z *= math.sqrt(variance) / (_TRUNCATION_STDDEV if truncated else 1.0)
        return z

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _Preset(VarianceScaling):
    """A member of the VarianceScaling family: only the seed is an argument."""

    PRESET: dict[str, Any] = {}

    def __init__(self, seed: int | None = None):
        super().__init__(seed=seed, **self.PRESET)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


@registry.register
class GlorotUniform(_Preset):
    """Glorot (Xavier) uniform: U(-limit, limit), ``limit = √(6 / (fan_in + fan_out))``."""

    PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


@registry.register
class GlorotNormal(_Preset):
    """Glorot (Xavier) normal: truncated N(0, σ²) with ``σ² = 2 / (fan_in + fan_out)``."""

    PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


@registry.register
class HeUniform(_Preset):
    """He uniform: U(-limit, limit), ``limit = √(6 / fan_in)``."""

    PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


@registry.register
class HeNormal(_Preset):
    """He normal: truncated N(0, σ²) with ``σ² = 2 / fan_in``."""

    PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


@registry.register
class LecunUniform(_Preset):
    """LeCun uniform: U(-limit, limit), ``limit = √(3 / fan_in)``."""

    PRESET = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


@registry.register
class LecunNormal(_Preset):
    """LeCun normal: truncated N(0, σ²) with ``σ² = 1 / fan_in`` (the partner of ``selu``)."""

    PRESET = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


@registry.register
class OrthogonalInitializer(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``; ``gain`` defaults to 1.0.

    The weight is seen as a matrix ``(prod(shape[:-1]), shape[-1])``: a normal matrix is QR
    factorised and ``Q`` (with its columns' signs fixed by ``diag(R)``) is used, so the rows or the
    columns, whichever are fewer, are orthonormal. Needs at least 2 dimensions.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(
                f"The orthogonal initializer needs a shape of 2 dimensions or more. "
                f"Received: shape={shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self.generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        # C order: ``q.T`` is a Fortran view, and a weight must be a contiguous buffer.
        return np.ascontiguousarray((self.gain * q).reshape(shape), dtype=dtype)

    def cost(self, shape: Shape) -> int:
        """The QR factorisation of an ``m × n`` matrix: about ``m · n · min(m, n)``."""
        rows, cols = math.prod(shape[:-1]), shape[-1] if shape else 1
        return rows * cols * min(rows, cols)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


@registry.register
class IdentityInitializer(Initializer):
    """``gain`` times the identity matrix (rectangular shapes get ones on the main diagonal).

    ``gain`` defaults to 1.0. Only for 2-D weights.
    """

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def generate(self, shape: Shape, dtype: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(
                f"The identity initializer is for 2-D weights only. Received: shape={shape}"
            )
        out = np.eye(*shape, dtype=dtype)
        out *= self.gain
        return out

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


# Keras 3 names these two classes OrthogonalInitializer and IdentityInitializer (so that
# "Identity" stays free for the layer) and exports the short names as aliases.
Orthogonal = OrthogonalInitializer
Identity = IdentityInitializer

#: Every initializer by name: snake-case names, Keras 1 spellings and class names.
INITIALIZERS: Mapping[str, type[Initializer]] = (
    {
        "zeros": Zeros,
        "zero": Zeros,
        "ones": Ones,
        "one": Ones,
        "constant": Constant,
        "random_normal": RandomNormal,
        "normal": RandomNormal,
        "random_uniform": RandomUniform,
        "uniform": RandomUniform,
        "truncated_normal": TruncatedNormal,
        "variance_scaling": VarianceScaling,
        "glorot_uniform": GlorotUniform,
        "glorot_normal": GlorotNormal,
        "he_uniform": HeUniform,
        "he_normal": HeNormal,
        "lecun_uniform": LecunUniform,
        "lecun_normal": LecunNormal,
        "orthogonal": OrthogonalInitializer,
        "identity": IdentityInitializer,
    }
    | registry.own_classes(registry.package_of(Initializer))
    | {"Orthogonal": Orthogonal, "Identity": Identity}
)


#: What an initializer slot (``kernel_initializer=...``) accepts from a config.
FAMILY = registry.Family("initializer", (Initializer,))


def get(
    identifier: str | Initializer | dict | None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Initializer | None:
    """The initializer that ``identifier`` names: a name (``'he_normal'``), a config dict, a
    class, an initializer or any callable ``(shape, dtype) -> array``. ``None`` gives None.

    An unknown name raises a ValueError that lists the valid names.
    """
    if identifier is None:
        return None
    return registry.resolve(
        identifier,
        INITIALIZERS,
        FAMILY,
        make=lambda cls: cls(),
        custom_objects=custom_objects,
    )


def serialize(initializer: Initializer) -> Any:
    """``{'class_name': ..., 'config': ...}`` for an initializer (see :mod:`numkeras.registry`)."""
    return registry.serialize(initializer)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Initializer | None:
    """The initializer that :func:`serialize` described (a name is accepted too)."""
    return get(config, custom_objects)
