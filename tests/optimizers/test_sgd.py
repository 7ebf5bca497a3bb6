import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import SGD
from numkeras.schedules import PiecewiseConstantDecay

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = SGD()
    assert (opt.learning_rate, opt.momentum, opt.nesterov) == (0.01, 0.0, False)


def test_single_step_keras_pin():
    np.testing.assert_allclose(single_step(SGD(learning_rate=0.5)), [0.5, -1.0, -0.5, 3.0])


def test_nesterov_golden_trajectory_keras_pin():
    # keras/src/optimizers/sgd_test.py: SGD(nesterov=True) with the default momentum 0 is
    # plain gradient descent with lr 0.01.
    golden = [
        [0.9999] * 10,
        np.round(1 - 0.0001 - 0.001 * np.arange(1, 11), 4),
        np.round(1 - 0.0001 - 0.002 * np.arange(1, 11), 4),
        np.round(1 - 0.0001 - 0.003 * np.arange(1, 11), 4),
        np.round(1 - 0.0001 - 0.004 * np.arange(1, 11), 4),
    ]
    run_golden(SGD(nesterov=True), golden)


def test_momentum_by_hand():
    # v1 = -0.1*1 = -0.1, w1 = 0.9; v2 = 0.9*-0.1 - 0.1*2 = -0.29, w2 = 0.61
    w = Variable(np.array(1.0))
    opt = SGD(learning_rate=0.1, momentum=0.9)
    opt.apply([np.array(1.0)], [w])
    assert w.data == pytest.approx(0.9)
    opt.apply([np.array(2.0)], [w])
    assert w.data == pytest.approx(0.61)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_torch(nesterov):
    # With a constant learning rate Keras's velocity is -lr times torch's momentum buffer, so
    # both libraries take identical steps, Nesterov included.
    ours = numkeras_steps(SGD(learning_rate=0.05, momentum=0.9, nesterov=nesterov))
    theirs = torch_steps("SGD", lr=0.05, momentum=0.9, nesterov=nesterov)
    assert_same_steps(ours, theirs)


def test_plain_sgd_matches_torch():
    assert_same_steps(
        numkeras_steps(SGD(learning_rate=0.05)),
        torch_steps("SGD", lr=0.05),
    )


def test_momentum_under_a_schedule_follows_keras_not_torch():
    # Keras: velocity keeps the past learning rates. lr = 1.0 then 0.1, momentum 0.5, g = 1, 1:
    #   v1 = -1.0, w1 = -1.0;  v2 = 0.5*-1.0 - 0.1*1 = -0.6, w2 = -1.6
    # torch: buf2 = 0.5*1 + 1 = 1.5, w2 = -1.0 - 0.1*1.5 = -1.15
    schedule = PiecewiseConstantDecay([0], [1.0, 0.1])
    w = Variable(np.array(0.0))
    opt = SGD(learning_rate=schedule, momentum=0.5)
    opt.apply([np.array(1.0)], [w])
    opt.apply([np.array(1.0)], [w])
    assert w.data == pytest.approx(-1.6)


def test_momentum_slot_only_with_momentum():
    w = Variable(np.zeros(3))
    plain, heavy = SGD(), SGD(momentum=0.9)
    plain.build([w])
    heavy.build([w])
    assert plain.variables == []
    assert len(heavy.variables) == 1 and heavy.variables[0].shape == (3,)
