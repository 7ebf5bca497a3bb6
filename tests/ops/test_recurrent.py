"""The whole-sequence recurrent ops: finite-difference gradients of every input, and bad
activations refused."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras.ops import Variable, recurrent
from numkeras.utils.gradient_check import check_gradients

BATCH, TIME, FEATURES, UNITS = 2, 4, 3, 3


def _variables(*shapes: tuple[int, ...]) -> list[Variable]:
    rng = np.random.default_rng(0)
    return [Variable(0.5 * rng.standard_normal(shape)) for shape in shapes]


def _common(gates: int) -> list[Variable]:
    return _variables(
        (BATCH, TIME, FEATURES), (FEATURES, gates * UNITS), (UNITS, gates * UNITS), (BATCH, UNITS)
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_simple_rnn_gradients(activation):
    x, k, u, h0 = _common(1)
    (b,) = _variables((UNITS,))
    check_gradients(
        lambda: recurrent.simple_rnn(x, k, u, h0, b, activation=activation), x, k, u, h0, b
    )


@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
def test_lstm_gradients(recurrent_activation):
    x, k, u, h0 = _common(4)
    c0, b = _variables((BATCH, UNITS), (4 * UNITS,))
    check_gradients(
        lambda: recurrent.lstm(x, k, u, h0, c0, b, recurrent_activation=recurrent_activation),
        x,
        k,
        u,
        h0,
        c0,
        b,
    )


@pytest.mark.parametrize(("reset_after", "bias_shape"), [(True, (2, 9)), (False, (9,))])
def test_gru_gradients(reset_after, bias_shape):
    x, k, u, h0 = _common(3)
    (b,) = _variables(bias_shape)
    check_gradients(lambda: recurrent.gru(x, k, u, h0, b, reset_after=reset_after), x, k, u, h0, b)


def test_gradients_without_bias():
    x, k, u, h0 = _common(3)
    check_gradients(lambda: recurrent.gru(x, k, u, h0), x, k, u, h0)


def test_an_unknown_activation_is_refused_by_name():
    with pytest.raises(ValueError, match="recurrent_activation must be one of .*'softmax'"):
        recurrent.LSTM(recurrent_activation="softmax")


# ---- mask and recurrent_mask ----------------------------------------------------------------

#: A mask with a masked step at the start, in the middle and at the end, and one row all live.
MASK = np.array([[False, True, False, True], [True, True, True, False]])
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def _run(name: str, variables: list[Variable], **options):
    """The op ``name`` on ``variables`` (x, kernel, recurrent kernel, states..., bias)."""
    return getattr(recurrent, name)(*variables, **options)


def _all_variables(name: str, reset_after: bool = True) -> list[Variable]:
    gates = GATES[name]
    states = _variables(*[(BATCH, UNITS)] * (2 if name == "lstm" else 1))
    bias_shape = (2, 3 * UNITS) if name == "gru" and reset_after else (gates * UNITS,)
    return [*_common(gates)[:3], *states, *_variables(bias_shape)]


def _recurrent_mask(shape: tuple[int, ...], rate: float = 0.4) -> np.ndarray:
    keep = np.random.default_rng(5).random(shape) >= rate
    return keep / (1 - rate)


CASES = [("simple_rnn", {}), ("lstm", {}), ("gru", {}), ("gru", {"reset_after": False})]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_mask_gradients(name, kwargs):
    variables = _all_variables(name, kwargs.get("reset_after", True))
    check_gradients(lambda: _run(name, variables, mask=MASK, **kwargs), *variables)


@pytest.mark.parametrize("per_gate", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_recurrent_mask_gradients(name, kwargs, per_gate):
    variables = _all_variables(name, kwargs.get("reset_after", True))
    rec = _recurrent_mask((BATCH, (GATES[name] if per_gate else 1) * UNITS))
    check_gradients(
        lambda: _run(name, variables, mask=MASK, recurrent_mask=rec, **kwargs), *variables
    )


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_a_masked_step_carries_the_states_and_the_output_row(name, kwargs):
    variables = _all_variables(name, kwargs.get("reset_after", True))
    n_states = 2 if name == "lstm" else 1
    out = _run(name, variables, mask=MASK, **kwargs).data
    initial = np.concatenate([v.data for v in variables[3 : 3 + n_states]], axis=1)
    np.testing.assert_array_equal(out[0, 0], initial[0])  # masked first step: the initial state
    np.testing.assert_array_equal(out[0, 2], out[0, 1])
    np.testing.assert_array_equal(out[1, 3], out[1, 2])
    # A sequence with its masked steps removed ends in the same states.
    single = [Variable(v.data[:1]) for v in variables[: 3 + n_states]] + variables[3 + n_states :]
    single[0] = Variable(variables[0].data[:1, MASK[0]])
    single[1:3] = variables[1:3]
    np.testing.assert_allclose(_run(name, single, **kwargs).data[0, -1], out[0, -1], atol=1e-12)


def test_an_all_true_mask_changes_nothing():
    variables = _all_variables("lstm")
    plain = _run("lstm", variables).data
    np.testing.assert_array_equal(_run("lstm", variables, mask=np.ones_like(MASK)).data, plain)


def test_bad_masks_are_refused_by_name():
    variables = _all_variables("lstm")
    with pytest.raises(ValueError, match=r"mask must be a bool array of shape \(batch, time\)"):
        _run("lstm", variables, mask=MASK[:, :2])
    with pytest.raises(ValueError, match=r"recurrent_mask must have shape \(batch, units\)"):
        _run("lstm", variables, recurrent_mask=np.ones((BATCH, 2 * UNITS)))


# ---- equal to Keras 3 -------------------------------------------------------------------------


def _keras_weights(name: str, reset_after: bool = True) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    gates = GATES[name]
    bias_shape = (2, 3 * UNITS) if name == "gru" and reset_after else (gates * UNITS,)
    return [
        0.5 * rng.standard_normal(s).astype(np.float32)
        for s in ((FEATURES, gates * UNITS), (UNITS, gates * UNITS), bias_shape)
    ]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_masked_sequences_equal_keras(keras, name, kwargs):
    """Keras 3's layer called with ``mask=`` (its default zero_output_for_mask=False) gives the
    op's rows and final states: its sequence's masked rows are the carried h."""
    layer_name = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[name]
    theirs = getattr(keras.layers, layer_name)(
        UNITS, return_sequences=True, return_state=True, **kwargs
    )
    x = np.random.default_rng(8).standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    theirs.build(x.shape)
    kernel, recurrent_kernel, bias = _keras_weights(name, kwargs.get("reset_after", True))
    theirs.set_weights([kernel, recurrent_kernel, bias])
    sequence, *final = (np.asarray(a) for a in theirs(x, mask=MASK))
    states = [np.zeros((BATCH, UNITS), np.float32)] * (2 if name == "lstm" else 1)
    ours = _run(name, [x, kernel, recurrent_kernel, *states, bias], mask=MASK, **kwargs).data
    np.testing.assert_allclose(ours[..., :UNITS], sequence, atol=1e-5)
    np.testing.assert_allclose(ours[:, -1], np.concatenate(final, axis=1), atol=1e-5)


# ---- recurrent dropout: equal to a per-step loop of Keras 3's cell formulas ---------------------


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _reference_step(name, x_t, states, weights, masks, reset_after=True):
    """One step of Keras 3's cell (implementation 1, used whenever recurrent_dropout > 0),
    with ``masks[j]`` the recurrent dropout mask of gate ``j``."""
    kernel, u, bias = weights
    n = UNITS
    col = lambda a, j: a[..., j * n : (j + 1) * n]  # noqa: E731
    h = states[0]
    if name == "simple_rnn":
        return [np.tanh(x_t @ kernel + bias + (h * masks[0]) @ u)]
    if name == "lstm":
        x = x_t @ kernel + bias
        i, f, c_in, o = (col(x, j) + (h * masks[j]) @ col(u, j) for j in range(4))
        c = _sigmoid(f) * states[1] + _sigmoid(i) * np.tanh(c_in)
        return [_sigmoid(o) * np.tanh(c), c]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
    x = x_t @ kernel + input_bias
    z = _sigmoid(col(x, 0) + (h * masks[0]) @ col(u, 0) + col(recurrent_bias, 0))
    r = _sigmoid(col(x, 1) + (h * masks[1]) @ col(u, 1) + col(recurrent_bias, 1))
    if reset_after:
        hh = np.tanh(col(x, 2) + r * ((h * masks[2]) @ col(u, 2) + col(recurrent_bias, 2)))
    else:
        hh = np.tanh(col(x, 2) + (r * h * masks[2]) @ col(u, 2))
    return [z * h + (1 - z) * hh]


@pytest.mark.parametrize("per_gate", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_recurrent_mask_equals_keras_cell_formulas(name, kwargs, per_gate):
    reset_after = kwargs.get("reset_after", True)
    weights = [w.astype(np.float64) for w in _keras_weights(name, reset_after)]
    rng = np.random.default_rng(9)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    n_states = 2 if name == "lstm" else 1
    states = [rng.standard_normal((BATCH, UNITS)) for _ in range(n_states)]
    gates = GATES[name] if per_gate else 1
    rec = _recurrent_mask((BATCH, gates * UNITS))
    masks = [rec[:, (j if per_gate else 0) * UNITS :][:, :UNITS] for j in range(GATES[name])]
    operands = [x, weights[0], weights[1], *states, weights[2]]
    ours = _run(name, operands, mask=MASK, recurrent_mask=rec, **kwargs).data
    for t in range(TIME):
        new = _reference_step(name, x[:, t], states, weights, masks, reset_after)
        states = [np.where(MASK[:, t, None], a, b) for a, b in zip(new, states, strict=True)]
        np.testing.assert_allclose(ours[:, t], np.concatenate(states, axis=1), atol=1e-12)


@pytest.mark.parametrize("name", ["simple_rnn", "lstm", "gru"])
def test_an_empty_batch_gives_empty_states_and_zero_kernel_gradients(name):
    variables = _all_variables(name)
    n_states = 2 if name == "lstm" else 1
    # x and the initial states lose their rows; the weights stay. float32, the kernels' dtype.
    variables = [
        Variable((v.data[:0] if k == 0 or 3 <= k < 3 + n_states else v.data).astype(np.float32))
        for k, v in enumerate(variables)
    ]
    out = _run(name, variables)
    assert out.shape == (0, TIME, (2 if name == "lstm" else 1) * UNITS)
    out.backward(np.zeros(out.shape, np.float32))
    np.testing.assert_array_equal(variables[1].grad, np.zeros_like(variables[1].data))
