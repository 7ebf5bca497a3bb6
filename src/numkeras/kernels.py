"""Fused element-wise loops: one pass over memory where NumPy makes several.

NumPy evaluates Adam's ``w -= alpha * m / (sqrt(v) + eps)`` and its two moving averages as
a dozen passes over whole arrays, each on one core with a temporary in between; in a W1 epoch
(Dense 784-500-500-10, 648,010 weights) those passes cost more than a third of the time. The
C extension ``numkeras._kernels`` (``src/numkeras/_kernels.c``) runs each such expression as
one loop over float32 buffers:

================  ===============================  =========================================
kernel            computes                         NumPy reference path
================  ===============================  =========================================
``adam``          Adam's (and AMSGrad's) step      ``optimizers.Adam.update_step``
``sgd``           SGD's step, with momentum or     ``optimizers.SGD.update_step``
                  Nesterov momentum
``relu_grad``     ``g * (y > 0)`` (the ReLU op)    ``ops.nn.relu_grad``
``sigmoid_grad``  ``(1 - y) * y * g``              ``ops.nn.sigmoid_grad``
================  ===============================  =========================================

The extension ``numkeras._conv_kernels`` (``src/numkeras/_conv_kernels.c``) holds the memory
passes around the products of dense and convolutional layers, and max-pooling, on NHWC arrays
(``tests/test_conv_kernels.py``):

==================  =============================  =========================================
kernel              computes                       NumPy reference path
==================  =============================  =========================================
``im2col``          the windows of the images,     ``ops.convolution.Conv2D._im2col``
                    one row per output pixel
``col2im``          its adjoint: the columns'      ``ops.convolution.Conv2D._scatter``
                    gradients added into place
``bias_relu``       ``y = max(y + b, 0)`` in       ``ops.nn.add_bias_and_activate``
                    place (either part optional),  (Dense and Conv2D)
                    and ReLU's mask ``y > 0``
``bias_relu_grad``  ``g * mask`` and its sum over  ``ops.nn.masked_and_bias_grads``
                    all but the last axis (the     (Dense and Conv2D)
                    bias gradient)
``max_pool``        windows' maxima and the        ``ops.pooling.Pool2D._reduce``
                    first winner's position
``max_pool_grad``   the gradient routed to the     ``ops.pooling.Pool2D._route``
                    winners
==================  =============================  =========================================

The extension ``numkeras._recurrent_kernels`` (``src/numkeras/_recurrent_kernels.c``) holds the
element-wise gate work of one LSTM or GRU step with Keras's default activations (tanh, sigmoid
gates), between which the caller applies NumPy's own ``tanh`` and the recurrent products
(``tests/test_recurrent_kernels.py``):

==================================  =============================  ==========================
kernel                              computes                       NumPy reference path
==================================  =============================  ==========================
``lstm_preact``, ``lstm_cell``,     one LSTM step: gates, ``c``,   ``ops.recurrent.LSTM``
``lstm_hidden``                     ``h``, masked rows carried     ``.steps``
``lstm_backward``                   one step of its BPTT           ``.steps_backward``
``gru_preact``, ``gru_candidate``   one GRU step (``gru_reset``    ``ops.recurrent.GRU``
or ``gru_reset``, ``gru_hidden``    for ``reset_after=False``)     ``.steps``
``gru_backward``,                   one step of its BPTT           ``.steps_backward``
``gru_reset_backward``
==================================  =============================  ==========================

On the GPU, the kernels of ``_kernels`` and ``_conv_kernels`` have CUDA twins with the same
signatures (:mod:`numkeras.cuda_kernels`), which :func:`fused` offers for C-contiguous float32
arrays of the GPU's module; the recurrent kernels have none yet.

A caller asks :func:`fused` for a kernel and takes its NumPy path when the answer is ``None``:
when the extension was not built (no C compiler at install time), when the environment sets
``NUMKERAS_KERNELS=numpy`` (which turns off the CUDA twins too), when an array is not a
C-contiguous float32 array, or when a GPU array's kernel has no CUDA twin. Each kernel rounds
as its reference path does, so the two give the same bits; ``tests/test_kernels.py`` checks
the C kernels, ``tests/backend/test_cuda_kernels.py`` the CUDA ones.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend, cuda_kernels

#: The C extensions that hold the kernels (setup.py builds them).
_EXTENSIONS = ("_kernels", "_conv_kernels", "_recurrent_kernels")


#: Whether the environment turned every fused kernel off (``NUMKERAS_KERNELS=numpy``).
_SWITCHED_OFF = os.environ.get("NUMKERAS_KERNELS", "").lower() == "numpy"


def _load() -> dict[str, Callable[..., None]]:
    """The kernels of every extension that was built, by name."""
    if _SWITCHED_OFF:
        return {}
    found = {}
    for extension in _EXTENSIONS:
        try:
            module = importlib.import_module(f"{__package__}.{extension}")
        except ImportError:  # built without a C compiler: NumPy does this work
            continue
        found.update((k, f) for k, f in vars(module).items() if callable(f) and k[0] != "_")
    return found


_native = _load()


def available() -> bool:
    """Whether the fused kernels are in use (built, and not turned off)."""
    return bool(_native)


def _takes(module: Any, arrays: tuple) -> bool:
    """Whether every array of ``arrays`` but the None entries is a C-contiguous float32 array of
    ``module`` (``numpy``, or the GPU's)."""
    for a in arrays:
        if a is not None and not (
            type(a) is module.ndarray and a.dtype == np.float32 and a.flags.c_contiguous
        ):
            return False
    return True


def fused(name: str, *arrays: Any) -> Callable[..., None] | None:
    """The kernel ``name`` if it can run on ``arrays``, else ``None``.

    ``None`` entries of ``arrays`` (an absent optional slot) are skipped; every other entry must
    be a C-contiguous float32 array: all NumPy arrays (the C kernel), or all arrays of the GPU's
    module (the CUDA twin).
    """
    kernel = _native.get(name)
    if kernel is not None and _takes(np, arrays):
        return kernel
    if _SWITCHED_OFF:
        return None
    module = backend.get_array_module(*arrays)
    kernel = None if module is np else cuda_kernels.kernel(module, name)
    return kernel if kernel is not None and _takes(module, arrays) else None
