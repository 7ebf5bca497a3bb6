"""A recurrent layer in real Keras 3 and in numkeras on the same weights: their outputs (all of
them, states included), and the weights after one SGD step on the same loss, must agree. Called
on the layers directly, so that ``mask=``, ``initial_state=`` and ``training=`` reach both; a
custom cell used by both libraries; a float64 gradient check of a layer's outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from numkeras import backend
from numkeras.nest import leaves
from numkeras.ops import Tensor, Variable, concatenate
from numkeras.utils.gradient_check import check_gradients

LEARNING_RATE = 0.1


def _targets(outputs: list[Any]) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(np.shape(o)).astype(np.float32) for o in outputs]


def _keras_step(theirs: Any, x: np.ndarray, targets: list[np.ndarray], kwargs: dict) -> list:
    """Keras's weights after one SGD step on the summed mean squared errors, through JAX."""
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in theirs.trainable_variables]
    frozen = [v.value for v in theirs.non_trainable_variables]

    def loss(values: list) -> Any:
        out, _ = theirs.stateless_call(values, frozen, x, **kwargs)
        outputs = jax.tree_util.tree_leaves(out)
        return sum(jnp.mean((o - t) ** 2) for o, t in zip(outputs, targets, strict=True))

    grads = jax.grad(loss)(trainable)
    return [np.asarray(w - LEARNING_RATE * g) for w, g in zip(trainable, grads, strict=True)]


def assert_layers_agree(
    theirs: Any,
    ours: Any,
    x: np.ndarray,
    prepare: Callable[[], None] = lambda: None,
    atol: float = 1e-5,
    **kwargs: Any,
) -> None:
    """``ours`` built on ``theirs``'s weights; ``layer(x, **kwargs)`` and one SGD step agree.

    ``prepare()`` runs before each call (e.g. to give both the same dropout masks)."""
    import jax

    theirs.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    prepare()
    expected = [np.asarray(o) for o in jax.tree_util.tree_leaves(theirs(x, **kwargs))]
    prepare()
    got = leaves(ours(Tensor(x), **kwargs))
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), b, atol=atol, rtol=1e-5)
    targets = _targets(expected)
    prepare()
    want = _keras_step(theirs, x, targets, kwargs)
    prepare()
    loss = sum(((o - t) ** 2).mean() for o, t in zip(leaves(ours(Tensor(x), **kwargs)), targets))
    loss.backward()
    for w, value in zip(ours.trainable_weights, want, strict=True):
        np.testing.assert_allclose(w.numpy() - LEARNING_RATE * w.grad, value, atol=atol, rtol=1e-5)


def minimal_cell(lib: Any) -> type:
    """A user's cell, written once for either library (Keras's docstring example, with a second
    state and an output that is not a state): ``h_t = tanh(x W + s1 U)``,
    ``out = h_t/2 + s2/10``, states ``[out, h_t]``."""

    class MinimalRNNCell(lib.layers.Layer):
        def __init__(self, units: int, **kwargs: Any):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = units

        def build(self, input_shape: Any) -> None:
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), initializer="orthogonal", name="recurrent"
            )

        def call(self, inputs: Any, states: Any) -> Any:
            ops = lib.ops
            h = ops.tanh(
                ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            )
            out = h * 0.5 + states[1] * 0.1
            return out, [out, h]

        def get_config(self) -> dict:
            return {**super().get_config(), "units": self.units}

    return MinimalRNNCell


def check_layer_gradients(
    make: Callable[[], Any],
    x: np.ndarray,
    prepare: Callable[[Any], None] = lambda layer: None,
    **kwargs: Any,
) -> None:
    """Finite differences (float64) of every output of ``make()(x, **kwargs)``, against the
    input and the trainable weights; ``prepare(layer)`` runs before each call (e.g. to fix
    the dropout masks)."""
    with backend.floatx_scope("float64"):
        layer = make()
        xv = Variable(np.asarray(x, np.float64))
        layer(xv, **kwargs)

        def flat() -> Tensor:
            prepare(layer)
            parts = leaves(layer(xv, **kwargs))
            return concatenate([p.reshape((x.shape[0], -1)) for p in parts], axis=1)

        check_gradients(flat, xv, *layer.trainable_weights)
