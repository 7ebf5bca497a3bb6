"""``numkeras.ops``'s public face: one lowercase function per op, under Keras's name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numkeras.ops
from numkeras import ops
from numkeras.ops.core import Op

#: Keras 3's ``keras.ops`` names of the ops that numkeras has.
KERAS_NAMES = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "power",
    "cast",
    "exp",
    "log",
    "sqrt",
    "square",
    "abs",
    "maximum",
    "minimum",
    "clip",
    "where",
    "erf",
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
    "reshape",
    "transpose",
    "concatenate",
    "stack",
    "matmul",
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "leaky_relu",
    "elu",
    "selu",
    "conv",
    "max_pool",
    "average_pool",
    "batch_normalization",
    "pad",
    "convert_to_tensor",
)


def _op_classes() -> dict[str, type]:
    """Every op class defined in a module of ``numkeras.ops``, by name."""
    classes = {}
    for info in pkgutil.iter_modules(numkeras.ops.__path__):
        module = importlib.import_module(f"numkeras.ops.{info.name}")
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Op) and value is not Op:
                classes[name] = value
    return classes


def test_every_public_name_is_a_function():
    assert len(set(ops.__all__)) == len(ops.__all__)
    not_functions = [n for n in ops.__all__ if not inspect.isfunction(getattr(ops, n))]
    assert not_functions == []


def test_op_classes_stay_out_of_all():
    classes = _op_classes()
    assert {"Conv2D", "Pool2D", "BatchNorm", "Softmax", "ELU", "AffineResample"} <= set(classes)
    assert set(ops.__all__).isdisjoint(classes)


def test_keras_names_are_public():
    assert set(KERAS_NAMES) <= set(ops.__all__)
    assert inspect.isfunction(ops.image.affine_transform)


def test_tensor_types_stay_importable():
    assert (ops.Tensor, ops.Variable, ops.Op) == (
        numkeras.ops.core.Tensor,
        numkeras.ops.core.Variable,
        Op,
    )


def test_numkeras_own_names_of_the_spatial_ops_stay_public() -> None:
    """Code written before the Keras names (``ops.conv2d``, ...) keeps working."""
    from numkeras.ops import convolution, normalization, pooling

    assert ops.conv2d is convolution.conv2d and ops.conv1d is convolution.conv1d
    assert ops.max_pool2d is pooling.max_pool2d and ops.avg_pool2d is pooling.avg_pool2d
    assert ops.max_pool1d is pooling.max_pool1d and ops.batch_norm is normalization.batch_norm
    assert {"conv2d", "conv1d", "max_pool2d", "avg_pool2d", "max_pool1d", "batch_norm"} <= set(
        ops.__all__
    )
