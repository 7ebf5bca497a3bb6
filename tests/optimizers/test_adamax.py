import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Adamax

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = Adamax()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(Adamax(learning_rate=0.5)), [0.5, 1.5, 2.5, 3.5], rtol=1e-4, atol=1e-4
    )


def test_golden_trajectory_keras_pin():
    golden = [
        [0.8] * 10,
        [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691],
        [0.5333, 0.5407, 0.5431, 0.5444, 0.5451, 0.5456, 0.546, 0.5462, 0.5464, 0.5466],
        [0.368, 0.3773, 0.3804, 0.382, 0.3829, 0.3835, 0.384, 0.3843, 0.3846, 0.3848],
        [0.1933, 0.204, 0.2076, 0.2094, 0.2105, 0.2112, 0.2117, 0.2121, 0.2124, 0.2126],
    ]
    run_golden(Adamax(learning_rate=0.2, beta_1=0.85, beta_2=0.95, epsilon=1e-6), golden)


def test_two_steps_by_hand():
    # t=1, g=2:  m = 0.2, u = 2, w = 1 - 0.1 / 0.1 * 0.2 / 2 = 0.9
    # t=2, g=-1: m = 0.18 - 0.1 = 0.08, u = max(1.998, 1) = 1.998,
    #            w = 0.9 - 0.1 / 0.19 * 0.08 / 1.998
    w = Variable(np.array(1.0))
    opt = Adamax(learning_rate=0.1, epsilon=0.0)
    opt.apply([np.array(2.0)], [w])
    assert w.data == pytest.approx(0.9, abs=1e-15)
    opt.apply([np.array(-1.0)], [w])
    assert w.data == pytest.approx(0.9 - 0.1 / 0.19 * 0.08 / 1.998, abs=1e-15)


def test_matches_torch_without_epsilon():
    # torch adds eps to |g| inside the max, Keras to u after it; with eps = 0 both agree.
    ours = numkeras_steps(Adamax(learning_rate=0.05, epsilon=0.0))
    theirs = torch_steps("Adamax", lr=0.05, eps=0.0)
    assert_same_steps(ours, theirs)
