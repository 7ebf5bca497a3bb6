"""The LSTM and GRU gate kernels give the same bits as the NumPy reference loops of
``numkeras.ops.recurrent`` (forward, and every gradient of backpropagation through time), with
and without masks and recurrent dropout, and refuse bad buffers with the argument named."""

from __future__ import annotations

import numpy as np
import pytest

from kernels_support import assert_same_bits
from numkeras import kernels, ops
from numkeras.ops import recurrent

pytestmark = pytest.mark.skipif(
    "lstm_cell" not in kernels._native,
    reason="numkeras._recurrent_kernels was not built (no C compiler?)",
)

BATCH, TIME, FEATURES, UNITS = 5, 7, 6, 8
MASK = np.random.default_rng(3).random((BATCH, TIME)) > 0.3
GATES = {"lstm": 4, "gru": 3}


def operands(name: str) -> list[np.ndarray]:
    """x, kernel, recurrent kernel, initial states and bias for the op ``name``, float32, with
    zeros of both signs among the inputs and a sample whose gates saturate."""
    rng = np.random.default_rng(0)
    k = GATES[name]
    shapes = [(BATCH, TIME, FEATURES), (FEATURES, k * UNITS), (UNITS, k * UNITS)]
    shapes += [(BATCH, UNITS)] * (2 if name == "lstm" else 1)
    shapes.append((2, 3 * UNITS) if name == "gru" else (4 * UNITS,))
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    arrays[0][0, :2, :2] = [[0.0, -0.0], [-0.0, 0.0]]
    # A sample that saturates its gates (tanh and the sigmoids at ±1, 0, 1: zero derivatives).
    arrays[0][-1] *= 40
    return arrays


def run(name: str, arrays: list[np.ndarray], **options) -> list[np.ndarray]:
    """The op's output and the gradients of ``sum(r · output)`` for every operand."""
    variables = [ops.Variable(a.copy()) for a in arrays]
    out = getattr(recurrent, name)(*variables, **options)
    r = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    ops.sum(out * r).backward()
    return [out.data] + [v.grad for v in variables]


#: The kernels each op runs: LSTM, GRU with reset_after, GRU without.
USED = {
    ("lstm", True): {"lstm_preact", "lstm_cell", "lstm_hidden", "lstm_backward"},
    ("gru", True): {"gru_preact", "gru_candidate", "gru_hidden", "gru_backward"},
    ("gru", False): {"gru_preact", "gru_reset", "gru_hidden", "gru_backward", "gru_reset_backward"},
}


@pytest.mark.parametrize("recurrent_mask", [None, "shared", "per gate"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("name", "reset_after"), list(USED))
def test_steps_match_the_numpy_path_bit_for_bit(
    name, reset_after, masked, recurrent_mask, numpy_path
):
    arrays = operands(name)
    options = {"mask": MASK if masked else None}
    if not reset_after:
        arrays[-1] = arrays[-1][0]  # one bias, (3·units,)
        options["reset_after"] = False
    if recurrent_mask is not None:
        width = (GATES[name] if recurrent_mask == "per gate" else 1) * UNITS
        keep = np.random.default_rng(4).random((BATCH, width)) > 0.25
        options["recurrent_mask"] = keep / 0.75  # float64: the op takes it in the states' dtype
    fused = run(name, arrays, **options)
    assert numpy_path.used == USED[name, reset_after]
    numpy_path()
    assert_same_bits(fused, run(name, arrays, **options))


def test_other_activations_take_the_numpy_path(numpy_path):
    run("lstm", operands("lstm"), recurrent_activation="hard_sigmoid")
    run("gru", operands("gru"), activation="relu")
    assert numpy_path.used == set()


def test_recurrent_kernels_refuse_bad_buffers_with_the_argument_named():
    native = kernels._native
    rows = np.zeros((2, 4 * 3), np.float32)
    with pytest.raises(TypeError, match="rec must be a float32 array, got format 'd'"):
        native["lstm_preact"](rows, rows.astype(np.float64), rows, 3)
    with pytest.raises(ValueError, match="xw has 24 elements, not a multiple of 20"):
        native["lstm_preact"](rows, rows, rows, 5)
    with pytest.raises(ValueError, match="c has 5 elements; expected 6"):
        native["lstm_cell"](rows, np.zeros(6, np.float32), None, np.zeros(5, np.float32), 3)
    with pytest.raises(TypeError, match="live must be a uint8 array, got format '\\?'"):
        native["gru_hidden"](
            np.zeros(18, np.float32),
            np.zeros(6, np.float32),
            np.ones(2, bool),
            np.zeros(6, np.float32),
            3,
        )
    state = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="t=3 is not a step of g's 3"):
        native["lstm_backward"](
            np.zeros((2, 3, 6), np.float32),
            3,
            rows,
            state,
            state,
            None,
            state,
            state,
            rows.copy(),
            3,
        )
    read_only = np.zeros(24, np.float32)
    read_only.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        native["lstm_preact"](rows, rows, read_only, 3)
