"""convert_to_tensor, convert_to_numpy, is_tensor, shape, dtype and stop_gradient, as Keras 3's."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops
from numkeras.ops import Tensor, Variable


@pytest.mark.parametrize(
    "value",
    [1, 1.5, True, [1, 2], [1.0, 2], [[True], [False]], np.array([1.0], np.float32), np.int32(3)],
)
def test_convert_to_tensor_gives_keras_dtypes(keras, value):
    """Python integers give int32, floats floatx, booleans bool; arrays keep their dtype."""
    with backend.floatx_scope("float32"):
        ours = ops.convert_to_tensor(value)
    theirs = keras.ops.convert_to_tensor(value)
    assert ours.dtype == np.dtype(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))


def test_convert_to_tensor_keeps_tensors_and_casts_them_on_the_tape():
    x = Variable([1.0, 2.0])
    assert ops.convert_to_tensor(x) is x
    assert ops.convert_to_tensor(x, "float64") is x
    y = ops.convert_to_tensor(x, "float32")
    assert y.dtype == np.float32
    ops.sum(y * 2.0).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert ops.convert_to_tensor([1, 2], dtype="float16").dtype == np.float16


@pytest.mark.parametrize("flag", ["sparse", "ragged"])
def test_convert_to_tensor_has_no_sparse_or_ragged_tensors(flag):
    assert ops.convert_to_tensor([1.0], **{flag: False}).shape == (1,)
    with pytest.raises(ValueError, match=rf"no {flag} tensors.*Received: {flag}=True"):
        ops.convert_to_tensor([1.0], **{flag: True})


def test_convert_to_tensor_names_a_bad_dtype():
    with pytest.raises(ValueError, match=r"Received: dtype='int33'"):
        ops.convert_to_tensor([1], dtype="int33")


def test_convert_to_numpy_gives_an_array_of_its_own():
    v = Variable([1.0, 2.0])
    snapshot = ops.convert_to_numpy(v)
    assert type(snapshot) is np.ndarray
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(snapshot, [1.0, 2.0])
    assert ops.convert_to_numpy(3.0).shape == ()
    np.testing.assert_array_equal(ops.convert_to_numpy([Tensor(1.0), Tensor(2.0)]), [1.0, 2.0])


def test_is_tensor_as_keras(keras):
    """Tensors are, arrays and variables are not (a Keras variable holds a tensor)."""
    assert ops.is_tensor(Tensor(1.0)) and ops.is_tensor(ops.exp(Variable([1.0])))
    assert not ops.is_tensor(np.ones(2)) and not ops.is_tensor(Variable(1.0))
    assert not ops.is_tensor([1.0])
    assert keras.ops.is_tensor(keras.ops.ones(2)) and not keras.ops.is_tensor(np.ones(2))
    assert not keras.ops.is_tensor(keras.Variable(1.0))


def test_shape_is_a_tuple_of_python_ints(keras):
    for value in (Tensor(np.zeros((2, 3))), np.zeros((4, 1)), Variable(1.0)):
        ours = ops.shape(value)
        assert ours == keras.ops.shape(np.asarray(value))
        assert type(ours) is tuple and all(type(n) is int for n in ours)
    assert ops.shape([[1, 2, 3]]) == (1, 3)


def test_dtype_is_a_name(keras):
    for value in (np.ones(1, np.float64), np.ones(1, np.int8), np.array([True])):
        assert ops.dtype(value) == keras.ops.dtype(value)
    assert ops.dtype(Tensor(np.ones(2, np.float16))) == "float16"
    assert ops.dtype([1, 2]) == "int32"


def test_stop_gradient_cuts_the_tape():
    x = Variable([1.0, 2.0])
    y = ops.stop_gradient(x * x)
    assert y.creator is None and not y.requires_grad
    ops.sum(y * x).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 4.0])


def test_stop_gradient_of_a_variable_keeps_its_value():
    v = Variable([1.0, 2.0])
    frozen = ops.stop_gradient(v)
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(frozen.numpy(), [1.0, 2.0])
    assert not frozen.requires_grad


def test_ops_shape_is_the_function_not_the_module_of_shape_ops():
    from numkeras.ops import conversion

    # Each public function is wrapped once (numkeras.ops.dispatch), the module's function inside.
    assert ops.shape.__wrapped__ is conversion.shape
