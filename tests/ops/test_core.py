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


# -- NumPy interop ------------------------------------------------------------------------------
def test_np_asarray_gives_the_values():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert np.asarray(t) is t.data  # no copy where none is needed
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    values = np.array([ops.sum(t), ops.mean(t)])  # what a user collects from losses
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [15.0, 2.5])


def test_array_protocol_copy_argument():
    t = Tensor(np.ones(3))
    assert np.array(t, copy=False) is t.data
    copied = np.array(t, copy=True)
    assert copied is not t.data and np.shares_memory(copied, t.data) is False
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float32, copy=False)


def test_numpy_is_a_snapshot_of_a_variable():
    v = Variable([1.0, 2.0])
    snapshot = v.numpy()
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(snapshot, [1.0, 2.0])


def test_numpy_functions_give_numpy_values():
    """As for TF's tensors: NumPy's functions and ufuncs run on the values, off the tape."""
    t = Variable([1.0, 2.0, 4.0])
    for result in (np.mean(t), np.sum(t), np.max(t), np.exp(t), np.maximum(t, 2.0), np.std(t)):
        assert isinstance(result, (np.ndarray, np.generic))
    assert np.mean(t) == pytest.approx(7 / 3)
    np.testing.assert_array_equal(np.concatenate([t, np.zeros(1)]), [1.0, 2.0, 4.0, 0.0])
    np.testing.assert_array_equal(np.reshape(t, (3, 1)), [[1.0], [2.0], [4.0]])
    np.testing.assert_allclose(t, [1.0, 2.0, 4.0])


@pytest.mark.parametrize(
    "expression",
    [
        lambda a, t: a + t,
        lambda a, t: a - t,
        lambda a, t: a * t,
        lambda a, t: a / t,
        lambda a, t: a**t,
        lambda a, t: a @ t,
        lambda a, t: np.float64(2.0) * t,
    ],
)
def test_an_ndarray_on_either_side_of_an_operator_gives_a_tensor(expression, gradcheck):
    a = np.array([1.5, 2.0, 0.5])
    values = np.array([0.5, -1.0, 2.0])
    out = expression(a, Tensor(values))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, expression(a, values))
    gradcheck(lambda x: expression(a, x), values)


def test_comparisons_with_an_ndarray_on_either_side_give_boolean_tensors():
    a, t = np.array([1.0, 2.0, 3.0]), Variable([2.0, 2.0, 2.0])
    cases = {
        "<": (a < t, t < a, [True, False, False], [False, False, True]),
        "<=": (a <= t, t <= a, [True, True, False], [False, True, True]),
        ">": (a > t, t > a, [False, False, True], [True, False, False]),
        ">=": (a >= t, t >= a, [False, True, True], [True, True, False]),
        "==": (a == t, t == a, [False, True, False], [False, True, False]),
        "!=": (a != t, t != a, [True, False, True], [True, False, True]),
    }
    for left, right, expected_left, expected_right in cases.values():
        assert isinstance(left, Tensor) and isinstance(right, Tensor)
        assert left.dtype == np.bool_ and not left.requires_grad
        np.testing.assert_array_equal(left.data, expected_left)
        np.testing.assert_array_equal(right.data, expected_right)


def test_boolean_operators():
    p, q = Tensor(np.array([True, True, False])), np.array([True, False, False])
    np.testing.assert_array_equal((p & q).data, [True, False, False])
    np.testing.assert_array_equal((q | p).data, [True, True, False])
    np.testing.assert_array_equal((p ^ True).data, [False, False, True])
    np.testing.assert_array_equal((~p).data, [False, False, True])
    assert all(isinstance(r, Tensor) for r in (p & q, q & p, q | p, q ^ p))


def test_tensors_hash_by_identity_though_equality_is_element_wise():
    a, b = Variable([1.0, 2.0]), Variable([1.0, 2.0])
    assert hash(a) != hash(b) and len({a, b}) == 2
    assert {a: "a", b: "b"}[b] == "b"
    assert a in [a] and b in [a, b][1:]
    assert (a == None) is False and (a != None) is True  # noqa: E711  (what `==` must answer)
    assert a not in [None, "name", object()]


def test_python_scalars_from_tensors():
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(np.array(7))) == 7
    assert bool(Tensor(1.0)) and not bool(Tensor(np.array([0.0])))
    assert [10, 11, 12][Tensor(np.array(2))] == 12
    assert list(range(Tensor(np.array(3, np.int32)))) == [0, 1, 2]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="integer scalar"):
        [1, 2][Tensor(1.0)]


def test_format_as_numpy():
    loss = ops.mean(Tensor(np.array([0.123456, 0.2])))
    assert f"{loss:.4f}" == "0.1617"
    assert f"{Tensor(np.array([1.0, 2.0]))}" == "[1. 2.]"
    assert f"{Tensor(np.array(3, np.int32)):03d}" == "003"


def test_iteration_takes_the_rows_on_the_tape():
    x = Variable(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].data, [4.0, 5.0])
    first, _, last = x
    ops.sum(first * 2.0 + last).backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="0-d"):
        iter(Tensor(1.0))
