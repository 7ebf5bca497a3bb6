"""Random tensors, as Keras 3's ``keras.random``: ``normal``, ``uniform``, ``randint``, ...

Every function takes ``seed``, as Keras does:

* an int: a fixed draw; the same int gives the same values every time;
* a :class:`SeedGenerator`: the next draw of that generator's own stream, so successive calls
  differ and two generators made with the same seed give the same sequence;
* None (the default): the next draw of numkeras's global stream (the one that initial weights,
  shuffling and dropout use), which ``numkeras.utils.set_random_seed`` seeds.

::

    import numkeras
    noise = numkeras.random.normal((32, 100), seed=numkeras.random.SeedGenerator(1337))

The results are tensors with no gradient, of ``backend.floatx()`` unless ``dtype`` says
otherwise; :func:`dropout` and :func:`shuffle` act on a tensor and pass its gradient through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend, ops
from .ops.arguments import normalize_tuple
from .ops.core import Tensor

#: Seeds are unsigned 32-bit, as Keras's: an int seed is taken modulo 2**32.
SEED_MODULUS = 2**32

#: Values of :func:`truncated_normal` lie within this many standard deviations of the mean.
TRUNCATION = 2.0


class SeedGenerator:
    """A stream of seeds for the random functions: pass it as their ``seed``.

    Its state is ``[seed, counter]``; each draw uses the state and then advances the counter, so
    the first draw equals the draw with the int ``seed`` and the next ones differ. ``seed=None``
    (the default) takes a seed from numkeras's global stream, so ``set_random_seed`` makes it
    reproducible. ``name`` defaults to ``'seed_generator'``.
    """

    def __init__(self, seed: int | None = None, name: str | None = None):
        self._initial_seed = seed
        self.name = name or "seed_generator"
        start = int(backend.rng().integers(SEED_MODULUS)) if seed is None else _int_seed(seed)
        self.state = np.array([start, 0], dtype=np.int64)

    def next(self) -> np.ndarray:
        """The current state (a copy); the counter then advances by one."""
        current = self.state.copy()
        self.state[1] += 1
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name!r} state={self.state.tolist()}>"


def _int_seed(seed: Any) -> int:
    """An int ``seed`` as an unsigned 32-bit seed; a ValueError for anything else."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"seed must be an int, a SeedGenerator or None. Received: seed={seed!r} "
            f"of type {type(seed).__name__}"
        )
    return int(seed) % SEED_MODULUS


def _generator(seed: int | SeedGenerator | None) -> np.random.Generator:
    """The NumPy generator that a draw with ``seed`` uses (see the module's docstring)."""
    if seed is None:
        return backend.rng()
    state = seed.next() if isinstance(seed, SeedGenerator) else [_int_seed(seed), 0]
    return np.random.default_rng([int(s) for s in state])


def _shape(shape: Any) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints >= 0) as a tuple of ints."""
    rank = len(shape) if isinstance(shape, Sequence) else 1
    return normalize_tuple(shape, rank, "shape", minimum=0)


# The dtype kinds (NumPy's ``dtype.kind`` letters) that a function draws, and their names.
_FLOAT, _INTEGER, _NUMBER = "f", "iu", "fiu"
_KIND_NAMES = {_FLOAT: "a floating-point", _INTEGER: "an integer", _NUMBER: "a numeric"}


def _dtype(dtype: Any, kinds: str, default: str) -> np.dtype:
    """``dtype`` (``default`` when None), checked to be one of ``kinds``."""
    value = np.dtype(default if dtype is None else dtype)
    if value.kind not in kinds:
        raise ValueError(f"dtype must be {_KIND_NAMES[kinds]} type. Received: dtype={dtype!r}")
    return value


def _draw_dtype(dtype: np.dtype) -> type:
    """The dtype NumPy draws floats in for ``dtype``: float32 or float64 (never float16)."""
    return np.float64 if dtype.itemsize > 4 else np.float32


def _tensor(values: np.ndarray, dtype: np.dtype) -> Tensor:
    return Tensor(values.astype(dtype, copy=False))


def normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Draws from the normal distribution of ``mean`` (default 0) and ``stddev`` (default 1)."""
    dtype = _dtype(dtype, _FLOAT, backend.floatx())
    z = _generator(seed).standard_normal(_shape(shape), dtype=_draw_dtype(dtype))
    return _tensor(z * stddev + mean, dtype)


def uniform(
    shape: Sequence[int],
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Draws from the uniform distribution on ``[minval, maxval)`` (default ``[0, 1)``)."""
    dtype = _dtype(dtype, _FLOAT, backend.floatx())
    u = _generator(seed).random(_shape(shape), dtype=_draw_dtype(dtype))
    return _tensor(u * (maxval - minval) + minval, dtype)


def truncated_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Normal draws of ``mean`` and ``stddev`` with those more than two ``stddev`` from the mean
    drawn again, as Keras's."""
    dtype = _dtype(dtype, _FLOAT, backend.floatx())
    rng, draw_dtype = _generator(seed), _draw_dtype(dtype)
    z = rng.standard_normal(_shape(shape), dtype=draw_dtype)
    outside = np.abs(z) > TRUNCATION
    # About 4.6% of the draws fall outside each round, so a few rounds redraw them all.
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()), dtype=draw_dtype)
        outside = np.abs(z) > TRUNCATION
    return _tensor(z * stddev + mean, dtype)


def randint(
    shape: Sequence[int],
    minval: int,
    maxval: int,
    dtype: str = "int32",
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Integers drawn uniformly from ``[minval, maxval)``, of ``dtype`` (default int32)."""
    dtype = _dtype(dtype, _INTEGER, "int32")
    if not maxval > minval:
        raise ValueError(
            f"maxval must be greater than minval. Received: minval={minval!r}, maxval={maxval!r}"
        )
    return _tensor(_generator(seed).integers(minval, maxval, size=_shape(shape)), dtype)


def dropout(
    inputs: Any,
    rate: float,
    noise_shape: Sequence[int | None] | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Inverted dropout: zero a fraction ``rate`` of ``inputs``, scale the rest by
    ``1/(1 - rate)``; the gradient flows through the kept units.

    ``noise_shape`` shares one draw along its size-1 axes (None entries take ``inputs``'
    size), as in Keras.
    """
    x = ops.convert_to_tensor(inputs)
    if noise_shape is not None:
        if len(noise_shape) != x.ndim:
            raise ValueError(
                f"noise_shape must have one entry per axis of inputs ({x.ndim}). "
                f"Received: noise_shape={noise_shape!r}"
            )
        noise_shape = tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    return ops.dropout(x, rate, noise_shape, rng=_generator(seed))


def shuffle(x: Any, axis: int = 0, seed: int | SeedGenerator | None = None) -> Tensor:
    """``x`` with its entries along ``axis`` (default 0) in a random order; the gradient flows
    back to where each entry came from."""
    x = ops.convert_to_tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis must be an axis of x (ndim {x.ndim}). Received: axis={axis}")
    order = ops.as_array(_generator(seed).permutation(x.shape[axis]))
    return ops.getitem(x, (slice(None),) * (axis % x.ndim) + (order,))


def categorical(
    logits: Any,
    num_samples: int,
    dtype: str = "int32",
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (``(batch, classes)``), each drawn
    with probability ``softmax(logits)``: a ``(batch, num_samples)`` tensor of ``dtype``."""
    logits = backend.to_numpy(ops.as_array(logits)).astype(np.float64)
    if logits.ndim != 2:
        raise ValueError(
            f"logits must have shape (batch, classes). Received: logits.shape={logits.shape}"
        )
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, (int, np.integer))
        or (num_samples < 0)
    ):
        raise ValueError(
            f"num_samples must be a non-negative int. Received: num_samples={num_samples!r}"
        )
    dtype = _dtype(dtype, _INTEGER, "int32")
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    u = _generator(seed).random((len(logits), int(num_samples)))
    # Inverse-CDF sampling of all rows at once: row r's CDF is shifted to [r, r + 1], so one
    # sorted search over every row finds each draw's class.
    rows = np.arange(len(logits))[:, None]
    found = np.searchsorted((cdf + rows).ravel(), (u + rows).ravel(), side="right")
    classes = found.reshape(u.shape) - rows * logits.shape[1]
    return _tensor(np.minimum(classes, logits.shape[1] - 1), dtype)


def gamma(
    shape: Sequence[int],
    alpha: float,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Draws from the gamma distribution of shape ``alpha`` (and scale 1)."""
    dtype = _dtype(dtype, _FLOAT, backend.floatx())
    return _tensor(_generator(seed).standard_gamma(alpha, size=_shape(shape)), dtype)


def beta(
    shape: Sequence[int],
    alpha: float,
    beta: float,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """Draws from the beta distribution of parameters ``alpha`` and ``beta``."""
    dtype = _dtype(dtype, _FLOAT, backend.floatx())
    return _tensor(_generator(seed).beta(alpha, beta, size=_shape(shape)), dtype)


def binomial(
    shape: Sequence[int],
    counts: int,
    probabilities: float,
    dtype: str | None = None,
    seed: int | SeedGenerator | None = None,
) -> Tensor:
    """The number of successes in ``counts`` trials of success probability ``probabilities``,
    as ``dtype`` (default: floatx, as Keras)."""
    dtype = _dtype(dtype, _NUMBER, backend.floatx())
    return _tensor(_generator(seed).binomial(counts, probabilities, size=_shape(shape)), dtype)


__all__ = [
    "SeedGenerator",
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "dropout",
    "shuffle",
    "categorical",
    "gamma",
    "beta",
    "binomial",
]
