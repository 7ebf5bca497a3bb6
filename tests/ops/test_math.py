"""Element-wise arithmetic: values against NumPy, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops

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
