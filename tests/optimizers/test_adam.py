import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Adam

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (
        0.001,
        0.9,
        0.999,
        1e-7,
        False,
    )


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(Adam(learning_rate=0.5)), [0.5, 1.5, 2.5, 3.5], rtol=1e-4, atol=1e-4
    )


def test_algorithm_1_by_hand():
    # Kingma and Ba, Algorithm 1, alpha = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 0, theta0 = 1:
    # t=1, g=0.5:  m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25,
    #              theta = 1 - 0.1 * 0.5 / 0.5 = 0.9
    # t=2, g=-0.2: m = 0.045 - 0.02 = 0.025, v = 0.00024975 + 0.00004 = 0.00028975,
    #              m_hat = 0.025 / 0.19 = 0.1315789...,
    #              v_hat = 0.00028975 / 0.001999 = 0.1449474...,
    #              theta = 0.9 - 0.1 * 0.1315789 / sqrt(0.1449474) = 0.8654394...
    w = Variable(np.array(1.0))
    opt = Adam(learning_rate=0.1, epsilon=0.0)
    opt.apply([np.array(0.5)], [w])
    assert w.data == pytest.approx(0.9, abs=1e-14)
    opt.apply([np.array(-0.2)], [w])
    assert w.data == pytest.approx(0.865439415208741, abs=1e-14)


def test_epsilon_is_epsilon_hat():
    # Keras's epsilon is added to sqrt(v), not to sqrt(v_hat): with t = 1, g = 0.5 and the
    # numbers above, theta = 1 - 0.1 * sqrt(1 - 0.999) / (1 - 0.9) * 0.05 / (sqrt(0.00025) + 1e-7)
    w = Variable(np.array(1.0))
    Adam(learning_rate=0.1, epsilon=1e-7).apply([np.array(0.5)], [w])
    assert w.data == pytest.approx(0.9000006324515321, abs=1e-14)


def test_keras2_decay_scales_the_rate_before_bias_correction():
    # decay=1.0: lr_t = 0.1 / (1 + t - 1); step 2 uses 0.05 with the same m_hat, v_hat as above:
    # theta2 = 0.9 - 0.05 * 0.1315789 / sqrt(0.1449474) = 0.8827197...
    w = Variable(np.array(1.0))
    with pytest.warns(UserWarning, match="InverseTimeDecay"):
        opt = Adam(learning_rate=0.1, epsilon=0.0, decay=1.0)
    opt.apply([np.array(0.5)], [w])
    opt.apply([np.array(-0.2)], [w])
    assert w.data == pytest.approx(0.8827197076043705, abs=1e-14)


def test_amsgrad_golden_trajectory_keras_pin():
    golden = [[0.999], [0.9982], [0.9974], [0.9965], [0.9955]]
    run_golden(Adam(amsgrad=True), golden)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_torch_without_epsilon(amsgrad):
    # torch adds eps to sqrt(v_hat) (Algorithm 1), Keras to sqrt(v); with eps = 0 both agree.
    ours = numkeras_steps(Adam(learning_rate=0.05, epsilon=0.0, amsgrad=amsgrad))
    theirs = torch_steps("Adam", lr=0.05, eps=0.0, amsgrad=amsgrad)
    assert_same_steps(ours, theirs)
