import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Adagrad

from .helpers import assert_same_steps, numkeras_steps, torch_steps


def test_defaults_are_keras():
    opt = Adagrad()
    assert (opt.learning_rate, opt.initial_accumulator_value, opt.epsilon) == (0.001, 0.1, 1e-7)


def test_course_formula_by_hand():
    # The course: w_{t+1} = w_t - eta / sqrt(sum_{i<=t} g_i**2) * g_t, i.e. Keras's rule with
    # no initial accumulator and no epsilon. eta = 0.1, w0 = 1, g = 3 then 4:
    #   w1 = 1 - 0.1 * 3 / sqrt(9) = 0.9;  w2 = 0.9 - 0.1 * 4 / sqrt(9 + 16) = 0.82
    w = Variable(np.array(1.0))
    opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    opt.apply([np.array(3.0)], [w])
    assert w.data == pytest.approx(0.9, abs=1e-15)
    opt.apply([np.array(4.0)], [w])
    assert w.data == pytest.approx(0.82, abs=1e-15)


def test_keras_defaults_by_hand():
    # Accumulator starts at 0.1 and epsilon sits inside the square root (Keras; torch starts
    # at 0 and adds eps outside): w1 = 1 - 0.001 * 3 / sqrt(0.1 + 9 + 1e-7)
    w = Variable(np.array(1.0))
    Adagrad().apply([np.array(3.0)], [w])
    assert w.data == pytest.approx(1 - 0.001 * 3 / np.sqrt(9.1 + 1e-7), abs=1e-15)


def test_matches_torch_with_matching_accumulator_and_no_epsilon():
    ours = numkeras_steps(Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=0.0))
    theirs = torch_steps("Adagrad", lr=0.1, initial_accumulator_value=0.1, eps=0.0)
    assert_same_steps(ours, theirs)
