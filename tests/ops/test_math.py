"""Element-wise arithmetic: values against NumPy and Keras 3, gradients against finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops

from .keras_oracle import assert_like_keras

# Pairs of shapes that broadcast, each way round and with a scalar.
SHAPES = [
    ((3, 4), (3, 4)),
    ((4, 1, 3), (2, 3)),
    ((2, 3), (4, 1, 3)),
    ((1, 3), (4, 1)),
    ((2, 3), ()),
    ((), (3,)),
]

# op, NumPy reference, how to make the inputs valid and away from kinks
BINARY = {
    "add": (ops.add, np.add, lambda a, b: (a, b)),
    "subtract": (ops.subtract, np.subtract, lambda a, b: (a, b)),
    "multiply": (ops.multiply, np.multiply, lambda a, b: (a, b)),
    "divide": (ops.divide, np.divide, lambda a, b: (a, np.abs(b) + 0.5)),
    "power": (ops.power, np.power, lambda a, b: (np.abs(a) + 0.5, b)),
    # seeded normal draws: no two lie within a finite-difference step of each other
    "maximum": (ops.maximum, np.maximum, lambda a, b: (a, b)),
    "minimum": (ops.minimum, np.minimum, lambda a, b: (a, b)),
}

UNARY = {
    "negative": (ops.negative, np.negative, lambda x: x),
    "exp": (ops.exp, np.exp, lambda x: x),
    "log": (ops.log, np.log, lambda x: np.abs(x) + 0.5),
    "sqrt": (ops.sqrt, np.sqrt, lambda x: np.abs(x) + 0.5),
    "square": (ops.square, np.square, lambda x: x),
    "abs": (ops.abs, np.abs, lambda x: np.sign(x) * (np.abs(x) + 0.1)),
    "log1p": (ops.log1p, np.log1p, lambda x: np.abs(x) - 0.5),
    "expm1": (ops.expm1, np.expm1, lambda x: x),
    "reciprocal": (ops.reciprocal, np.reciprocal, lambda x: np.sign(x) * (np.abs(x) + 0.5)),
    "sin": (ops.sin, np.sin, lambda x: x),
    "cos": (ops.cos, np.cos, lambda x: x),
    "tan": (ops.tan, np.tan, np.tanh),  # inside (-π/2, π/2)
    "nan_to_num": (ops.nan_to_num, np.nan_to_num, lambda x: x),
}

# The step functions: zero derivative wherever there is one (seeded normal draws lie far from
# every step, so finite differences see zero too).
STEP = {
    "sign": (ops.sign, np.sign),
    "floor": (ops.floor, np.floor),
    "ceil": (ops.ceil, np.ceil),
    "round": (ops.round, np.round),
    "round to tenths": (lambda x: ops.round(x, 1), lambda x: np.round(x, 1)),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_binary_op(name, shape_a, shape_b, rng, gradcheck):
    op, reference, prepare = BINARY[name]
    a, b = prepare(rng.standard_normal(shape_a), rng.standard_normal(shape_b))
    out = op(a, b)
    np.testing.assert_allclose(out.data, reference(a, b), rtol=1e-14)
    gradcheck(op, a, b)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_unary_op(name, shape, rng, gradcheck):
    op, reference, prepare = UNARY[name]
    x = prepare(rng.standard_normal(shape))
    np.testing.assert_allclose(op(x).data, reference(x), rtol=1e-14)
    gradcheck(op, x)


def test_maximum_and_minimum_give_ties_to_the_first_argument():
    a, b = ops.Variable([1.0, 2.0]), ops.Variable([1.0, 0.0])
    ops.sum(ops.maximum(a, b) + ops.minimum(a, b)).backward()
    np.testing.assert_array_equal(a.grad, [2.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


@pytest.mark.parametrize(("low", "high"), [(-0.5, 0.5), (None, 0.3), (-0.3, None)])
def test_clip(low, high, rng, gradcheck):
    x = rng.uniform(-1, 1, (4, 5))
    x[np.abs(np.abs(x) - 0.5) < 0.05] = 0.0  # away from the bounds
    x[np.abs(np.abs(x) - 0.3) < 0.05] = 0.0
    np.testing.assert_array_equal(ops.clip(x, low, high).data, np.clip(x, low, high))
    gradcheck(lambda v: ops.clip(v, low, high), x)


def test_clip_passes_no_gradient_where_it_clipped():
    x = ops.Variable([-2.0, 0.0, 2.0])
    ops.sum(ops.clip(x, -1.0, 1.0)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_where_with_broadcasting(rng, gradcheck):
    condition = rng.random((4, 1, 3)) > 0.5
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 2, 1))
    np.testing.assert_array_equal(ops.where(condition, a, b).data, np.where(condition, a, b))
    gradcheck(lambda x, y: ops.where(condition, x, y), a, b)


def test_power_differentiates_in_its_exponent(rng, gradcheck):
    base, exponent = np.abs(rng.standard_normal((2, 3))) + 0.5, rng.standard_normal(3)
    gradcheck(ops.power, base, exponent)


@pytest.mark.parametrize(
    ("source", "target"), [("float64", "float32"), ("float32", "float64"), ("float64", "float64")]
)
def test_cast(source, target, rng, gradcheck):
    x = ops.Variable(rng.standard_normal((2, 3)).astype(source))
    y = ops.cast(x, target)
    assert y.dtype == target
    np.testing.assert_array_equal(y.data, x.data.astype(target))
    ops.sum(y * 2.0).backward()
    assert x.grad.dtype == source
    np.testing.assert_allclose(x.grad, np.full((2, 3), 2.0))
    gradcheck(lambda v: ops.cast(v, "float64"), x.data)


def test_python_operators_are_the_ops(rng, gradcheck):
    a, b = rng.standard_normal((3, 2)), np.abs(rng.standard_normal(2)) + 0.5

    def expression(x, y):
        return (2.0 - x) * y / 3.0 + 1.0 / y - -x + abs(x) ** 2.0 - 2.0**x + y**3.0 + 1.0

    np.testing.assert_allclose(
        expression(ops.Tensor(a), ops.Tensor(b)).data, expression(a, b), rtol=1e-14
    )
    gradcheck(expression, a, b)


@pytest.mark.parametrize("name", [*BINARY, *UNARY])
def test_float32_stays_float32(name, rng):
    with backend.floatx_scope("float32"):
        if name in BINARY:
            op, _, prepare = BINARY[name]
            inputs = prepare(rng.standard_normal((2, 3)), rng.standard_normal(3))
        else:
            op, _, prepare = UNARY[name]
            inputs = (prepare(rng.standard_normal((2, 3))),)
        variables = [ops.Variable(x.astype(np.float32)) for x in inputs]
        out = op(*variables)
        ops.sum(out).backward()
        assert out.dtype == np.float32
        assert all(v.grad.dtype == np.float32 for v in variables)


@pytest.mark.parametrize("name", STEP)
def test_step_functions_pass_no_gradient(name, rng, gradcheck):
    op, reference = STEP[name]
    x = rng.standard_normal((3, 4)) * 3
    np.testing.assert_array_equal(op(x).data, reference(x))
    gradcheck(op, x)
    v = ops.Variable(x)
    y = op(v) * v  # the step's output is on the tape, but no gradient flows back through it
    ops.sum(y).backward()
    np.testing.assert_array_equal(v.grad, reference(x))


def test_nan_to_num_replaces_and_passes_no_gradient_to_the_replaced():
    x = ops.Variable(np.array([np.nan, np.inf, -np.inf, 2.0]))
    y = ops.nan_to_num(x, nan=1.0, posinf=5.0, neginf=-5.0)
    np.testing.assert_array_equal(y.data, [1.0, 5.0, -5.0, 2.0])
    ops.sum(y * 3.0).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 3.0])
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(ops.nan_to_num(x).data, [0.0, big, -big, 2.0])


X32 = np.random.default_rng(1).uniform(-3, 3, (2, 5)).astype(np.float32)
INTS = np.array([[-3, -1, 0, 2, 7]], np.int32)


@pytest.mark.parametrize(
    "name",
    ["log1p", "expm1", "reciprocal", "sin", "cos", "tan", "sign", "floor", "ceil", "round"],
)
def test_unary_ops_match_keras_on_floats_and_integers(keras, name):
    """Values and dtypes as Keras 3's: integers give floatx, except that ``sign`` and ``round``
    keep them."""
    x = np.abs(X32) if name == "log1p" else X32
    assert_like_keras(keras, name, x)
    ints = np.abs(INTS) + 1 if name in ("log1p", "reciprocal") else INTS
    assert_like_keras(keras, name, ints)


@pytest.mark.parametrize(
    ("x", "decimals"),
    [(X32 * 100, 0), (X32 * 100, 1), (X32, 2), (np.array([1.25, 2.5, -0.5], np.float32), 1)]
    + [(np.array([15, 25, 123, -35], np.int32), -1)],
)
def test_round_takes_keras_decimals(keras, x, decimals):
    assert_like_keras(keras, "round", x, decimals)


def test_round_refuses_a_fractional_number_of_decimals():
    with pytest.raises(ValueError, match=r"decimals must be an integer. Received: decimals=0.5"):
        ops.round(np.ones(2), 0.5)


@pytest.mark.parametrize(
    "kwargs", [{}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, {"posinf": 9.0}]
)
def test_nan_to_num_matches_keras(keras, kwargs):
    x = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    assert_like_keras(keras, "nan_to_num", x, **kwargs)
    assert_like_keras(keras, "nan_to_num", INTS, **kwargs)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt"])
def test_real_functions_of_integers_give_floatx(keras, name):
    assert_like_keras(keras, name, np.abs(INTS) + 1)


def test_where_with_the_condition_alone_gives_the_indices(keras):
    condition = np.array([[True, False, True], [False, False, True]])
    assert_like_keras(keras, "where", condition)  # Keras on JAX compiles for each shape: once
    (indices,) = ops.where(np.array([0.0, 2.0, 0.0, -1.0]))
    assert indices.dtype == np.int32
    np.testing.assert_array_equal(indices.data, [1, 3])


def test_where_needs_both_values_or_neither():
    with pytest.raises(
        ValueError, match=r"x1 and x2 both or neither. Received: x1=a value, x2=None"
    ):
        ops.where(np.array([True]), 1.0)
    with pytest.raises(ValueError, match=r"Received: x1=None, x2=a value"):
        ops.where(np.array([True]), x2=1.0)


def test_where_matches_keras(keras):
    condition = X32 > 0
    assert_like_keras(keras, "where", condition, X32, -X32)
    assert_like_keras(keras, "where", condition, X32, 0.0)
