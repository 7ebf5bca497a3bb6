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
    "prod",
    "var",
    "std",
    "cumsum",
    "cumprod",
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "moveaxis",
    "swapaxes",
    "broadcast_to",
    "concatenate",
    "stack",
    "split",
    "tile",
    "repeat",
    "flip",
    "roll",
    "take",
    "take_along_axis",
    "argmax",
    "argmin",
    "one_hot",
    "sort",
    "argsort",
    "top_k",
    "einsum",
    "tensordot",
    "dot",
    "norm",
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

    # Each public function is wrapped once (numkeras.ops.dispatch), the module's function inside.
    for name, module in [
        ("conv2d", convolution),
        ("conv1d", convolution),
        ("max_pool2d", pooling),
        ("avg_pool2d", pooling),
        ("max_pool1d", pooling),
        ("batch_norm", normalization),
    ]:
        assert inspect.unwrap(getattr(ops, name)) is getattr(module, name)
    assert {"conv2d", "conv1d", "max_pool2d", "avg_pool2d", "max_pool1d", "batch_norm"} <= set(
        ops.__all__
    )


#: Functions whose parameters, names and defaults, are exactly Keras 3's.
KERAS_SIGNATURES = (
    *("convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "dtype", "stop_gradient"),
    *("zeros", "ones", "full", "zeros_like", "ones_like", "full_like"),
    *("arange", "linspace", "eye", "identity", "tri"),
    *("exp", "log", "sqrt", "log1p", "expm1", "reciprocal", "sin", "cos", "tan"),
    *("sign", "round", "floor", "ceil", "nan_to_num", "where"),
    *("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"),
    *("logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite"),
    *("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert"),
)


def test_parameters_are_keras(keras):
    def parameters(function):
        return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]

    assert set(KERAS_SIGNATURES) <= set(ops.__all__)
    differing = [
        name
        for name in KERAS_SIGNATURES
        if parameters(getattr(ops, name)) != parameters(getattr(keras.ops, name))
    ]
    assert differing == []
