"""Tensors, variables and the tape: backward, accumulation, no_grad, unbroadcast."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

from numkeras import backend, ops
from numkeras.ops import Tensor, Variable


def test_tensor_describes_its_array():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert (t.shape, t.ndim, t.size, len(t), t.dtype) == ((2, 3), 2, 6, 2, np.float64)
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3))
    assert Tensor(3.5).item() == 3.5
    assert "requires_grad=True" in repr(Tensor(1.0, requires_grad=True))


def test_as_array_keeps_array_dtypes_and_makes_python_numbers_floatx():
    with backend.floatx_scope("float32"):
        assert ops.as_array([1, 2]).dtype == np.float32
        assert ops.as_array(2.5).dtype == np.float32
        assert ops.as_array(np.arange(3)).dtype == np.arange(3).dtype
        assert ops.as_array(np.ones(2, np.float64)).dtype == np.float64
        assert ops.as_array(np.ones(2, np.float16)).dtype == np.float16
        assert ops.as_array([1, 2], dtype="int64").dtype == np.int64


def test_backward_of_a_scalar_needs_no_seed():
    x = Variable([1.0, 2.0, 3.0])
    ops.sum(x * x).backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])


def test_backward_with_a_non_scalar_seed():
    x = Variable([1.0, 2.0, 3.0])
    seed = np.array([1.0, -1.0, 0.5])
    (x * x).backward(seed)
    np.testing.assert_allclose(x.grad, 2 * x.data * seed)


def test_backward_rejects_a_seed_of_the_wrong_shape():
    x = Variable([1.0, 2.0])
    with pytest.raises(ValueError, match=r"grad.shape=\(3,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_of_a_leaf_gives_the_seed():
    x = Variable([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_a_tensor_used_twice_accumulates_its_gradient():
    # c = a·b; d = c + c·a: dd/da = b + b·a + c = b(1 + 2a), dd/db = a + a².
    a, b = Variable(3.0), Variable(-2.0)
    c = a * b
    d = c + c * a
    d.backward()
    assert d.item() == -6.0 + -18.0
    assert a.grad == pytest.approx(-2.0 * (1 + 2 * 3.0))
    assert b.grad == pytest.approx(3.0 + 9.0)


def test_gradients_accumulate_across_backward_calls():
    x = Variable([1.0, 2.0])
    ops.sum(x * 3.0).backward()
    ops.sum(x * x).backward()
    np.testing.assert_allclose(x.grad, 3.0 + 2 * x.data)


def test_a_diamond_graph_matches_torch():
    # One node feeds two branches that meet again, several times over, with relu kinks in
    # between: the reverse order must visit every consumer before its producer.
    def f(x, relu):
        z = x * 2.0 + 2.0 + x
        q = relu(z) + z * x
        h = relu(z * z)
        y = h + q + q * x
        y = y * y / (relu(y) + 10.0)
        return y.sum()

    values = np.array([-4.0, 0.5, 2.0])
    x = Variable(values)
    f(x, ops.relu).backward()
    xt = torch.tensor(values, requires_grad=True)
    expected = f(xt, torch.relu)
    expected.backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12)


def test_a_long_chain_needs_no_recursion():
    x = Variable(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000)


def test_inputs_that_do_not_require_grad_get_none():
    x, c = Variable([1.0, 2.0]), Tensor([3.0, 4.0])
    ops.sum(x * c).backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_no_grad_records_nothing():
    x = Variable([1.0, 2.0])
    with ops.no_grad():
        assert not ops.is_grad_enabled()
        y = ops.exp(x * x)
    assert ops.is_grad_enabled()
    assert y.creator is None and not y.requires_grad
    y.backward()
    assert x.grad is None


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(RuntimeError), ops.no_grad():
        raise RuntimeError
    assert ops.is_grad_enabled()


def test_detach_cuts_the_tape():
    x = Variable([1.0, 2.0])
    y = (x * 2.0).detach()
    assert y.creator is None and not y.requires_grad
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_the_tape_goes_with_the_last_reference():
    x = Variable(np.ones(3))
    y = ops.exp(x * 2.0)
    op = weakref.ref(y.creator)
    del y
    gc.collect()
    assert op() is None


def test_variable_assign_updates_in_place():
    v = Variable(np.zeros((2, 2)), name="w")
    buffer = v.value
    v.assign(np.ones((2, 2)))
    assert v.value is buffer
    np.testing.assert_array_equal(v.data, np.ones((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        v.assign(np.ones(3))


def test_a_non_trainable_variable_gets_no_gradient():
    w, frozen = Variable([1.0, 2.0]), Variable([3.0, 4.0], trainable=False)
    ops.sum(w * frozen).backward()
    assert frozen.grad is None and not frozen.requires_grad
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


@pytest.mark.parametrize(
    ("grad_shape", "shape", "factor"),
    [((2, 4, 5, 3), (4, 1, 3), 10.0), ((2, 3), (3,), 2.0), ((2, 3), (), 6.0), ((3,), (3,), 1.0)],
)
def test_unbroadcast_sums_over_the_broadcast_axes(grad_shape, shape, factor):
    out = ops.unbroadcast(np.ones(grad_shape), shape)
    assert out.shape == shape
    np.testing.assert_array_equal(out, np.full(shape, factor))


def test_an_ndarray_on_the_left_defers_to_the_tensor():
    x = Variable([1.0, 2.0])
    y = np.array([3.0, 4.0]) + x
    assert isinstance(y, Tensor)
    ops.sum(np.array([2.0, 2.0]) * x).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_leaf_gradients_are_writable_arrays_of_their_own():
    a = Variable(np.ones(3))
    ops.sum(a).backward()
    a.grad *= 2.0  # raises while a.grad is a read-only view
    b, c = Variable(np.ones(3)), Variable(np.ones(3))
    (b + c).backward(np.ones(3))
    b.grad *= 2.0
    np.testing.assert_array_equal(c.grad, np.ones(3))


def test_python_numbers_take_the_tensor_dtype():
    with backend.floatx_scope("float32"):
        assert (Tensor(np.ones(2, np.float16)) * 2.0).dtype == np.float16
        x = np.array([1.0, 3.0])
        np.testing.assert_array_equal((Tensor(x) * 0.1).data, x * 0.1)
