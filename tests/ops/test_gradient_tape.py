"""GradientTape: TensorFlow's interface to numkeras's tape."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import ops
from numkeras.ops import GradientTape


def var(values) -> ops.Variable:
    return ops.Variable(np.asarray(values, "float64"))


def test_gradient_of_a_scalar_and_grads_left_alone():
    w = var([1.0, 2.0])
    with GradientTape() as tape:
        loss = ops.sum(ops.square(w * 3.0))
    (grad,) = tape.gradient(loss, [w])
    assert np.allclose(np.asarray(grad), 18 * w.numpy()) and w.grad is None


def test_structure_of_sources_is_kept_and_unconnected_sources_get_none_or_zeros():
    a, b, c = var(1.0), var(2.0), var(5.0)
    with GradientTape(persistent=True) as tape:
        y = a * b
    grads = tape.gradient(y, {"a": a, "pair": (b, c)})
    assert float(grads["a"]) == 2.0 and float(grads["pair"][0]) == 1.0
    assert grads["pair"][1] is None
    assert float(tape.gradient(y, c, unconnected_gradients="zero")) == 0.0
    assert float(tape.gradient(y, a)) == 2.0


def test_a_non_persistent_tape_answers_once():
    w = var(1.0)
    with GradientTape() as tape:
        y = w * w
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, w)


def test_watch_makes_a_constant_a_source():
    x = ops.convert_to_tensor(np.array(3.0))
    with GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_a_non_scalar_target_is_summed_unless_weighted():
    w = var([1.0, 2.0, 3.0])
    with GradientTape(persistent=True) as tape:
        y = w * w
    assert np.allclose(np.asarray(tape.gradient(y, w)), [2.0, 4.0, 6.0])
    weighted = tape.gradient(y, w, output_gradients=np.array([1.0, 0.0, 2.0]))
    assert np.allclose(np.asarray(weighted), [2.0, 0.0, 12.0])


def test_several_targets_add_up_and_intermediate_sources_get_their_gradient():
    w = var(2.0)
    with GradientTape() as tape:
        hidden = w * 3.0
        y = hidden * hidden
    g_hidden, g_w = tape.gradient([y, hidden], [hidden, w])
    assert float(g_hidden) == pytest.approx(2 * 6.0 + 1.0)
    assert float(g_w) == pytest.approx(3 * (2 * 6.0 + 1.0))


def test_only_watched_sources_without_watch_accessed_variables():
    a, b = var(1.0), var(1.0)
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    grad_a, grad_b = tape.gradient(y, [a, b])
    assert float(grad_a) == 1.0 and grad_b is None


def test_the_tape_records_inside_no_grad():
    w = var(1.0)
    with ops.no_grad(), GradientTape() as tape:
        y = w * 4.0
    assert float(tape.gradient(y, w)) == 4.0


def test_bad_arguments_are_named():
    w = var(1.0)
    with GradientTape() as tape:
        y = w * 2.0
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, w, unconnected_gradients="nan")
    with pytest.raises(TypeError, match="watch"):
        GradientTape().watch(np.ones(2))
