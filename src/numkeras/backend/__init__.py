"""The array module, the global settings and the random streams under everything else.

Every numeric value in numkeras is an array of the active array module: NumPy on the CPU, CuPy on
an NVIDIA GPU. The device is chosen, in order, by :func:`set_device` (``'cpu'`` or ``'gpu'``;
:func:`set_backend` with ``'numpy'`` or ``'cupy'`` is the same call under Keras's name), by the
environment (``NUMKERAS_DEVICE=cpu|gpu``; the older ``NUMKERAS_BACKEND=numpy|cupy`` too), else on
first use: the GPU when CuPy is installed and finds one, the CPU otherwise. ``import numkeras``
never imports CuPy. Kernels ask :func:`get_array_module` for the module of the arrays they are
given, so one code path serves both; only :func:`to_numpy` brings an array back to the host.

Tests run the GPU path without a GPU: ``set_device`` also takes an array module object that
follows CuPy's API (``ndarray``, ``asnumpy``, NumPy's functions), and makes it the GPU's module
(``tests/strict_xp.py``, which refuses every implicit trip to the host).

This package is two modules, because "backend" means two things. This one is the engine's: the
array module, the settings that Keras keeps in ``keras.config`` (``floatx``, ``epsilon``,
``image_data_format``; ``numkeras.config`` reads and writes these same values) and the random
streams; ``numkeras.ops`` stands on it and it imports nothing of numkeras. Keras 2's ``K.*``
functions (``K.sum``, ``K.batch_dot``, ``K.categorical_crossentropy``, ``K.clear_session``, ...)
wrap ops, losses and layers, so they live above the engine in :mod:`numkeras.backend.keras2` and
load on first use: ``from numkeras import backend as K; K.sum(x)`` works as in Keras 2.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def _requested_device() -> str | None:
    """The device that the environment asks for: ``NUMKERAS_DEVICE``, else the older
    ``NUMKERAS_BACKEND`` (``numpy`` | ``cupy``). Checked on first use, not at import."""
    legacy = os.environ.get("NUMKERAS_BACKEND")
    return os.environ.get("NUMKERAS_DEVICE") or {"numpy": "cpu", "cupy": "gpu"}.get(legacy, legacy)


_REQUESTED = _requested_device()
#: The active array module; None until first use, when _REQUESTED or the hardware decides.
_XP: ModuleType | None = None
#: The GPU's array module once chosen (CuPy, or a test's stand-in); kept after a switch back to
#: the CPU, so that arrays left on the GPU are still known for what they are.
_GPU: ModuleType | None = None
_SAFE_MODE = True
_RNG = np.random.default_rng()
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}


def backend() -> str:
    """Name of the active array backend: ``'numpy'`` (CPU) or ``'cupy'`` (GPU).

    Where Keras's ``backend()`` names the framework it computes with (``'jax'``,
    ``'tensorflow'``, ...), numkeras computes with its own engine and names its array module.
    """
    return "numpy" if xp() is np else "cupy"


def set_backend(backend: str) -> None:
    """Select the array backend, ``'numpy'`` (CPU) or ``'cupy'`` (NVIDIA GPU): the same as
    ``set_device('cpu')`` or ``set_device('gpu')``.

    The argument's name is Keras's (``keras.config.set_backend(backend)``)."""
    devices = {"numpy": "cpu", "cupy": "gpu"}
    if backend not in devices:
        raise ValueError(f"backend must be 'numpy' or 'cupy'. Received: backend={backend!r}")
    set_device(devices[backend])


def device() -> str:
    """The device that weights and every op live on: ``'cpu'`` or ``'gpu'``."""
    return "cpu" if xp() is np else "gpu"


def set_device(device: str | ModuleType) -> None:
    """Put the models built from now on, and every op, on ``'cpu'`` (NumPy) or ``'gpu'`` (CuPy).

    ``fit``, ``evaluate`` and ``predict`` still take NumPy arrays and give NumPy results back.
    For tests, ``device`` may also be an array module that follows CuPy's API (``ndarray``,
    ``asnumpy`` and NumPy's functions): it then stands in for CuPy as the GPU's module.
    """
    global _XP, _GPU
    if isinstance(device, ModuleType):
        _XP = _GPU = device
    elif device == "gpu":
        _XP = _GPU = _cupy()
    elif device == "cpu":
        _XP = np
    else:
        raise ValueError(f"device must be 'cpu' or 'gpu'. Received: device={device!r}")


def _cupy() -> ModuleType:
    """CuPy, or one error that says how to install it."""
    try:
        import cupy
    except ImportError:
        raise ImportError(
            "numkeras was asked for the GPU (NUMKERAS_DEVICE=gpu or set_device('gpu')), which "
            "needs CuPy, and CuPy is not installed. Install it with: pip install 'numkeras[gpu]' "
            "(CuPy for CUDA 13), or run on the CPU with NUMKERAS_DEVICE=cpu."
        ) from None
    return cupy


def _gpu_found() -> bool:
    """Whether CuPy is installed and sees a GPU; find_spec first, so that a machine without
    CuPy pays nothing for the question."""
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy without a driver or a GPU raises its own errors: stay on the CPU
        return False


def xp() -> ModuleType:
    """The array module of the active device (``numpy`` or ``cupy``)."""
    global _XP
    if _XP is None:
        if _REQUESTED is None:
            set_device("gpu" if _gpu_found() else "cpu")
        elif _REQUESTED in ("cpu", "gpu"):
            set_device(_REQUESTED)
        else:
            raise ValueError(
                f"NUMKERAS_DEVICE must be 'cpu' or 'gpu'. Received: NUMKERAS_DEVICE={_REQUESTED!r}"
            )
    return _XP


def get_array_module(*arrays: Any) -> ModuleType:
    """The module (``numpy``, or the GPU's: ``cupy``) that the given arrays belong to."""
    for a in arrays:
        if _GPU is not None and isinstance(a, _GPU.ndarray):
            return _GPU
        if type(a).__module__.startswith("cupy"):
            import cupy

            return cupy
    return np


def to_numpy(a: Any) -> np.ndarray:
    """A NumPy copy of ``a`` (a no-op for NumPy arrays, a device-to-host copy for the GPU's)."""
    module = get_array_module(a)
    return np.asarray(a) if module is np else module.asnumpy(a)


def floatx() -> str:
    """The default float type of weights and activations. Defaults to ``'float32'``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: ``'float16'``, ``'float32'`` or ``'float64'``."""
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(
            f"floatx must be 'float16', 'float32' or 'float64'. Received: value={value!r}"
        )
    _FLOATX = value


@contextlib.contextmanager
def floatx_scope(value: str) -> Iterator[None]:
    """Temporarily use another default float type (gradient checks run in float64)."""
    previous = _FLOATX
    set_floatx(value)
    try:
        yield
    finally:
        set_floatx(previous)


def epsilon() -> float:
    """The fuzz factor of numeric expressions. Defaults to ``1e-7``, as in Keras."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor that losses, metrics and constraints add or clip with."""
    global _EPSILON
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or value <= 0:
        raise ValueError(f"epsilon must be a positive number. Received: value={value!r}")
    _EPSILON = float(value)


def image_data_format() -> str:
    """Where images keep their channels when a layer's ``data_format`` is None:
    ``'channels_last'`` (the default, as in Keras) or ``'channels_first'``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default ``data_format`` of the layers and ops made from now on:
    ``'channels_last'`` or ``'channels_first'`` (any case, as in Keras)."""
    global _IMAGE_DATA_FORMAT
    value = data_format.lower() if isinstance(data_format, str) else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = value


def enable_unsafe_deserialization() -> None:
    """Turn Keras's safe mode off for every later ``load_model`` and ``model_from_json``, as
    Keras 3's does: whatever their ``safe_mode`` argument says, a model with a ``Lambda`` then
    loads when its functions are given in ``custom_objects``. There is no way back but a new
    process."""
    global _SAFE_MODE
    _SAFE_MODE = False


def in_safe_mode(safe_mode: bool = True) -> bool:
    """Whether a load given ``safe_mode`` runs in safe mode: only if safe mode is still on
    (see :func:`enable_unsafe_deserialization`)."""
    return bool(safe_mode) and _SAFE_MODE


def set_random_seed(seed: int) -> None:
    """Seed numkeras's random stream: initial weights, shuffling, dropout and augmentation.

    Two runs that call ``set_random_seed`` with the same seed before building their models give
    bit-identical weights and training histories on the same machine. NumPy's global generator
    and Python's ``random`` are seeded too, for user code that draws from them.
    """
    global _RNG
    import random as python_random  # the standard library's, not numkeras.random

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    _RNG = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % 2**32)
    python_random.seed(int(seed))


def rng() -> np.random.Generator:
    """The generator that every random draw in numkeras uses."""
    return _RNG


def uniform_draws(
    shape: tuple[int, ...], dtype: Any, like: Any = None, rng: np.random.Generator | None = None
) -> Any:
    """Uniform [0, 1) draws of ``dtype`` from ``rng`` (default: numkeras's stream), on the
    device of ``like``."""
    module = get_array_module(like) if like is not None else xp()
    generator = _RNG if rng is None else rng
    if module is np:
        # Generator.random draws float32 or float64 only; float16 is drawn as float32.
        draw_dtype = dtype if np.dtype(dtype).itemsize >= 4 else np.float32
        return generator.random(shape, dtype=draw_dtype)
    # CuPy draws on the device from its own generator, seeded from ours so seeding still holds.
    return module.random.default_rng(int(generator.integers(2**63))).random(shape, dtype=dtype)


def get_rng_state() -> dict:
    """The state of numkeras's random stream, as plain JSON-serialisable data."""
    return _RNG.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state` (to resume training exactly)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"state must come from get_rng_state(), naming one of {sorted(_BIT_GENERATORS)}. "
            f"Received: bit_generator={name!r}"
        )
    bit_generator = _BIT_GENERATORS[name]()
    bit_generator.state = state
    global _RNG
    _RNG = np.random.Generator(bit_generator)


def __getattr__(name: str) -> Any:
    # The one upward import the engine has: Keras 2's K.* functions, loaded when first asked for
    # (``K.sum``), never by the engine itself, so that ops never wait on losses or layers.
    # ``from . import keras2`` itself asks for the name "keras2" first: that must miss.
    if not name.startswith("_") and name != "keras2":
        from . import keras2

        if name in keras2.__all__:
            return getattr(keras2, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    from . import keras2

    return sorted(set(globals()) | set(keras2.__all__))
