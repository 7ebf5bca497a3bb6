"""Reshape, transpose, axis relabelling, broadcast, join, split and indexing: values against
NumPy and Keras 3, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops

from .keras_oracle import assert_like_keras


@pytest.mark.parametrize("shape", [(6, 4), (-1,), (2, -1, 3), (24, 1)])
def test_reshape(shape, rng, gradcheck):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(ops.reshape(x, shape).data, x.reshape(shape))
    gradcheck(lambda v: ops.reshape(v, shape), x)


def test_tensor_reshape_takes_a_tuple_or_several_ints(rng):
    x = ops.Tensor(rng.standard_normal((2, 6)))
    assert x.reshape(3, 4).shape == (3, 4)
    assert x.reshape((4, 3)).shape == (4, 3)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (0, 2, 1)])
def test_transpose(axes, rng, gradcheck):
    x = rng.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(ops.transpose(x, axes).data, np.transpose(x, axes))
    gradcheck(lambda v: ops.transpose(v, axes), x)


def test_t_property_and_transpose_method(rng):
    x = ops.Tensor(rng.standard_normal((2, 3, 4)))
    np.testing.assert_array_equal(x.T.data, x.data.T)
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, x.data.transpose(2, 0, 1))


@pytest.mark.parametrize(
    ("axis", "shapes"),
    [
        (0, [(2, 3), (4, 3)]),
        (-1, [(2, 1), (2, 3), (2, 2)]),
        (1, [(2, 2, 3), (2, 1, 3)]),
    ],
)
def test_concatenate(axis, shapes, rng, gradcheck):
    xs = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_array_equal(ops.concatenate(xs, axis).data, np.concatenate(xs, axis))
    gradcheck(lambda *vs: ops.concatenate(list(vs), axis), *xs)


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack(axis, rng, gradcheck):
    xs = [rng.standard_normal((2, 3)) for _ in range(3)]
    np.testing.assert_array_equal(ops.stack(xs, axis).data, np.stack(xs, axis))
    gradcheck(lambda *vs: ops.stack(list(vs), axis), *xs)


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "strided slice": (slice(None), slice(None, None, 2)),
    "ellipsis": (Ellipsis, 0),
    "new axis": (None, slice(0, 2)),
    "int and slice": (0, slice(1, 3)),
    "repeated list": [0, 2, 0, 0],
    "repeated pairs": (np.array([0, 1, 0]), np.array([2, 2, 2])),
    "advanced and slice": (slice(None), [3, 0, 3]),
    "boolean mask": np.array([True, False, True]),
    "numpy integer": np.int64(2),
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem(name, rng, gradcheck):
    index = INDICES[name]
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(ops.getitem(x, index).data, x[index])
    gradcheck(lambda v: v[index], x)


def test_repeated_indices_accumulate():
    x = ops.Variable([10.0, 20.0, 30.0])
    ops.sum(x[[0, 2, 0, 0]]).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_a_tensor_can_index():
    x = ops.Variable(np.arange(5.0))
    ops.sum(x[ops.Tensor(np.array([4, 1, 4]))]).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 0.0, 2.0])


X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)

#: name, positional arguments after x, keyword arguments: one call of each shape op.
SHAPE_CASES = {
    "reshape": ("reshape", ((4, -1),), {}),
    "transpose axes": ("transpose", ((2, 0, 1),), {}),
    "transpose reversed": ("transpose", (), {}),
    "expand_dims first": ("expand_dims", (0,), {}),
    "expand_dims last": ("expand_dims", (-1,), {}),
    "expand_dims tuple": ("expand_dims", ((0, 4),), {}),
    "squeeze all": ("squeeze", (), {"x": X[:, None, :1]}),
    "squeeze axis": ("squeeze", (), {"x": X[:, None, :1], "axis": 1}),
    "squeeze tuple": ("squeeze", (), {"x": X[:, None, :1], "axis": (1, -2)}),
    "moveaxis": ("moveaxis", (0, -1), {}),
    "moveaxis lists": ("moveaxis", ([0, 1], [-1, -2]), {}),
    "swapaxes": ("swapaxes", (0, 2), {}),
    "broadcast_to": ("broadcast_to", ((5, 2, 3, 4),), {}),
    "broadcast_to size 1": ("broadcast_to", ((2, 3, 4),), {"x": X[:1, :, :1]}),
    "split sections": ("split", (2,), {"axis": 2}),
    "split indices": ("split", ([1, 3],), {"axis": -1}),
    "split default axis": ("split", (2,), {}),
}


def _shape_call(name: str):
    op, args, kwargs = SHAPE_CASES[name]
    kwargs = dict(kwargs)
    x = kwargs.pop("x", X)
    return op, x, args, kwargs


@pytest.mark.parametrize("name", SHAPE_CASES)
def test_shape_op_matches_keras(name, keras):
    op, x, args, kwargs = _shape_call(name)
    assert_like_keras(keras, op, x, *args, **kwargs)


@pytest.mark.parametrize("name", SHAPE_CASES)
def test_shape_op_gradient(name, gradcheck):
    op, x, args, kwargs = _shape_call(name)

    def run(v):
        out = getattr(ops, op)(v, *args, **kwargs)
        # split gives a list; stacking its parts checks the gradient of each.
        return ops.concatenate([ops.reshape(p, (-1,)) for p in out]) if op == "split" else out

    gradcheck(run, x)


def test_concatenate_joins_along_the_first_axis_by_default_as_keras(keras):
    """Keras 3's default axis is 0; numkeras's was -1."""
    a, b = X[0], X[1]
    assert ops.concatenate([a, b]).shape == (6, 4)
    assert_like_keras(keras, "concatenate", [a, b])
    assert_like_keras(keras, "stack", [a, b], axis=1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ops.squeeze(X, axis=1), "size 1"),
        (lambda: ops.expand_dims(X, 4), "axis must be in"),
        (lambda: ops.split(X, 3, axis=2), "divides axis 2"),
        (lambda: ops.broadcast_to(X, (3, 4, 4)), "cannot broadcast"),
        (lambda: ops.moveaxis(X, (0, 1), 2), "as many axes"),
        (lambda: ops.swapaxes(X, 0, 3), "axis2 must be in"),
    ],
)
def test_bad_shape_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
