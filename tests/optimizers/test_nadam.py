import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Nadam

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = Nadam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(Nadam(learning_rate=0.5)), [0.4686, 1.4686, 2.4686, 3.4686], atol=1e-4
    )


def test_golden_trajectory_keras_pin():
    golden = [
        [0.4281] * 10,
        [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
        [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
        [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
        [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454],
    ]
    run_golden(Nadam(learning_rate=0.5, beta_1=0.5, beta_2=0.67, epsilon=1e-5), golden)


def test_first_step_by_hand():
    # t=1, g=2, beta1=0.9, beta2=0.999, eps=0: u1 = 0.9 * (1 - 0.5 * 0.96) = 0.468,
    # u2 = 0.9 * (1 - 0.5 * 0.9216) = 0.48528; m = 0.2, v = 0.004, v_hat = 4,
    # m_hat = u2 * 0.2 / (1 - u1 * u2) + (1 - u1) * 2 / (1 - u1)
    u1, u2 = 0.468, 0.48528
    m_hat = u2 * 0.2 / (1 - u1 * u2) + (1 - u1) * 2 / (1 - u1)
    w = Variable(np.array(1.0))
    Nadam(learning_rate=0.1, epsilon=0.0).apply([np.array(2.0)], [w])
    assert w.data == pytest.approx(1 - 0.1 * m_hat / 2, abs=1e-14)


def test_momentum_schedule_product_over_long_runs():
    # The running product of u_t is read from a table; check it against the plain product
    # past the table's end (t > 1000).
    opt = Nadam()
    w = Variable(np.zeros(1))
    opt.build([w])
    opt.iterations = 1199
    expected_product = np.prod([0.9 * (1 - 0.5 * 0.96**t) for t in range(1, 1201)])
    u_t, u_next = 0.9 * (1 - 0.5 * 0.96**1200), 0.9 * (1 - 0.5 * 0.96**1201)
    g = np.array([1.0])
    m, v = 0.1 * g, 0.001 * g**2  # fresh slots
    m_hat = u_next * m / (1 - expected_product * u_next) + (1 - u_t) * g / (1 - expected_product)
    v_hat = v / (1 - 0.999**1200)
    opt.apply([g], [w])
    np.testing.assert_allclose(w.data, -0.001 * m_hat / (np.sqrt(v_hat) + 1e-7), rtol=1e-12)


def test_matches_torch_with_keras_momentum_schedule():
    # torch's NAdam schedule is 0.96 ** (t * momentum_decay); Keras 3's is 0.96 ** t.
    ours = numkeras_steps(Nadam(learning_rate=0.05))
    theirs = torch_steps("NAdam", lr=0.05, eps=1e-7, momentum_decay=1.0)
    assert_same_steps(ours, theirs)
