"""KerasTensor: operators, indexing and numkeras.ops on symbolic tensors build op nodes whose
shapes and values match Keras 3's; a symbolic tensor has no value; real tensors are unchanged."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.layers import Input
from numkeras.layers.ops_layer import OpLayer
from numkeras.ops.core import Tensor

rng = np.random.default_rng(0)
XA = rng.uniform(0.5, 1.5, (5, 4)).astype(np.float32)
XB = rng.uniform(0.5, 1.5, (5, 4)).astype(np.float32)
W = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)

#: Each written once, run on numkeras's and on Keras's symbolic tensors and ops.
EXPRESSIONS = {
    "add": lambda x, y, ops: x + y,
    "subtract": lambda x, y, ops: x - y,
    "multiply": lambda x, y, ops: x * y,
    "divide": lambda x, y, ops: x / y,
    "scale": lambda x, y, ops: x * 0.5,
    "scale_on_the_left": lambda x, y, ops: 0.5 * x,
    "number_minus": lambda x, y, ops: 1.0 - x,
    "number_over": lambda x, y, ops: 1.0 / x,
    "negative": lambda x, y, ops: -x,
    "square_power": lambda x, y, ops: x**2,
    "number_power": lambda x, y, ops: 2.0**x,
    "abs": lambda x, y, ops: abs(x - y),
    "round": lambda x, y, ops: round(x * 10),
    "matmul_array": lambda x, y, ops: x @ W,
    "column": lambda x, y, ops: x[:, 0],
    "last_column": lambda x, y, ops: x[:, -1],
    "ellipsis": lambda x, y, ops: x[..., :3],
    "new_axis": lambda x, y, ops: x[:, None],
    "step": lambda x, y, ops: x[:, ::2],
    "greater": lambda x, y, ops: x > y,
    "less_equal": lambda x, y, ops: x <= y,
    "logical": lambda x, y, ops: (x > 0.8) & (y < 1.2) | ~(x < y),
    "concatenate": lambda x, y, ops: ops.concatenate([x, y], axis=-1),
    "stack": lambda x, y, ops: ops.stack([x, y], axis=1),
    "reshape": lambda x, y, ops: ops.reshape(x, (-1, 2, 2)),
    "mean": lambda x, y, ops: ops.mean(x, axis=1),
    "sum_of_all": lambda x, y, ops: ops.sum(x),
    "max": lambda x, y, ops: ops.max(x, axis=-1),
    "min_keepdims": lambda x, y, ops: ops.min(x, axis=1, keepdims=True),
    "relu": lambda x, y, ops: ops.relu(x - 1.0),
    "sigmoid": lambda x, y, ops: ops.sigmoid(x),
    "softmax": lambda x, y, ops: ops.softmax(x),
    "tanh": lambda x, y, ops: ops.tanh(x),
    "exp": lambda x, y, ops: ops.exp(x),
    "log": lambda x, y, ops: ops.log(x),
    "sqrt": lambda x, y, ops: ops.sqrt(x),
    "square": lambda x, y, ops: ops.square(x),
    "abs_op": lambda x, y, ops: ops.abs(x - y),
    "expand_dims": lambda x, y, ops: ops.expand_dims(x, 1),
    "squeeze": lambda x, y, ops: ops.squeeze(x[:, None], axis=1),
    "transpose": lambda x, y, ops: ops.transpose(x),
    "matmul": lambda x, y, ops: ops.matmul(x, ops.transpose(y)),
    "maximum": lambda x, y, ops: ops.maximum(x, 1.0),
    "clip": lambda x, y, ops: ops.clip(x, 0.7, 1.2),
    "where": lambda x, y, ops: ops.where(x > y, x, y),
    "cumsum": lambda x, y, ops: ops.cumsum(x, axis=1),
    "one_hot_of_argmax": lambda x, y, ops: ops.one_hot(ops.argmax(x, axis=-1), 4),
    "split_parts": lambda x, y, ops: ops.concatenate(ops.split(x, 2, axis=1)[::-1], axis=1),
    "top_k_values": lambda x, y, ops: ops.top_k(x, 2)[0],
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_symbolic_expressions_match_keras(keras, name):
    expression = EXPRESSIONS[name]
    x, y = Input((4,)), Input((4,))
    out = expression(x, y, ops)
    assert isinstance(out.node.layer, OpLayer)
    expected_shape = expression(keras.Input((4,)), keras.Input((4,)), keras.ops).shape
    assert out.shape == tuple(expected_shape)

    values = numkeras.Model([x, y], out)([XA, XB]).numpy()
    a, b = keras.ops.convert_to_tensor(XA), keras.ops.convert_to_tensor(XB)
    expected = keras.ops.convert_to_numpy(expression(a, b, keras.ops))
    assert values.shape == expected.shape
    np.testing.assert_allclose(values.astype(np.float64), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "left", [np.arange(4, dtype=np.float32), np.float32(3.0)], ids=["array", "scalar"]
)
def test_numpy_on_the_left_of_an_operator(left):
    # NumPy defers to the KerasTensor (Keras 3 raises here), which keeps the value as a constant.
    x = Input((4,))
    out = left * x - left
    np.testing.assert_allclose(numkeras.Model(x, out)(XA).numpy(), left * XA - left, rtol=1e-6)


def test_op_nodes_are_named_after_their_op_as_in_keras():
    x = Input((4,))
    first, second = x + 1.0, x + 2.0
    assert first.node.layer.name.startswith("add")
    assert second.node.layer.name != first.node.layer.name
    assert x[:, 0].node.layer.op_type == "Getitem"
    assert ops.concatenate([x, x]).node.layer.op_type == "Concatenate"


def test_a_symbolic_tensor_has_no_value():
    x = Input((4,))
    with pytest.raises(ValueError, match="symbolic"):
        np.asarray(x)
    with pytest.raises(TypeError, match="boolean"):
        bool(x)
    with pytest.raises(TypeError, match="iterated"):
        list(x)
    # == keeps its identity meaning, so that graphs can find tensors in lists.
    assert [Input((4,)), x].index(x) == 1


def test_ops_on_real_tensors_are_unchanged():
    a, b = Tensor(XA), Tensor(XB)
    np.testing.assert_array_equal(ops.add(a, b).numpy(), XA + XB)
    np.testing.assert_array_equal(ops.concatenate([a, b], axis=0).numpy(), np.vstack([XA, XB]))
    # Errors on real values stay the op's own, unchanged.
    with pytest.raises(ValueError):
        ops.add(a, Tensor(np.ones(3, np.float32)))
    # What users and tools read of a function stays the function's.
    assert ops.concatenate.__name__ == "concatenate"
    assert "axis" in inspect.signature(ops.concatenate).parameters


def test_every_public_op_accepts_symbolic_tensors():
    # New ops need no code of their own: any function of ops.__all__ records an op node.
    x = Input((4,))
    out = ops.logsumexp(ops.softplus(x), axis=-1)
    assert out.shape == (None,)
    assert [out.node.layer.function, out.node.inputs[0].node.layer.function] == [
        "logsumexp",
        "softplus",
    ]


def test_a_symbolic_tensor_among_several_arguments():
    # Every KerasTensor of the call becomes an input of the node, in order; the rest are kept.
    x, y = Input((4,)), Input((4,))
    out = ops.stack([x, 2.0 * y, x], axis=1)
    node = out.node
    assert len(node.inputs) == 3
    assert node.inputs[0] is x and node.inputs[2] is x
    assert out.shape == (None, 3, 4)


def test_an_argument_an_op_node_cannot_hold_is_a_clear_error():
    x = Input((4,))
    with pytest.raises(TypeError, match=r"numkeras.ops.add, argument 1 is a object"):
        ops.add(x, object())
    with pytest.raises(TypeError, match="where a constant is needed"):
        x[: Input((1,))]
