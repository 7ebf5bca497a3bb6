import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Adadelta

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = Adadelta()
    assert (opt.learning_rate, opt.rho, opt.epsilon) == (0.001, 0.95, 1e-7)


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(Adadelta(learning_rate=0.5)), [0.9993, 1.9993, 2.9993, 3.9993], atol=1e-4
    )


def test_golden_trajectory_keras_pin():
    golden = [[0.9978], [0.9947], [0.9915], [0.9882], [0.9849]]
    run_golden(Adadelta(learning_rate=1.0, rho=0.8, epsilon=1e-6), golden)


def test_first_step_by_hand():
    # Eg = 0.05 * 4 = 0.2; delta = -sqrt(0 + eps) / sqrt(0.2 + eps) * 2; w = 1 + lr * delta
    eps = 1e-6
    w = Variable(np.array(1.0))
    Adadelta(learning_rate=1.0, epsilon=eps).apply([np.array(2.0)], [w])
    assert w.data == pytest.approx(1 - np.sqrt(eps) / np.sqrt(0.2 + eps) * 2, rel=1e-14)


def test_matches_torch():
    # Same formula in both libraries (epsilon under both square roots).
    ours = numkeras_steps(Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-6))
    theirs = torch_steps("Adadelta", lr=1.0, rho=0.95, eps=1e-6)
    assert_same_steps(ours, theirs)
