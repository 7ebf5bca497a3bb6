import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import RMSprop

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = RMSprop()
    assert (opt.learning_rate, opt.rho, opt.momentum, opt.epsilon, opt.centered) == (
        0.001,
        0.9,
        0.0,
        1e-7,
        False,
    )


def test_docstring_pin():
    # keras RMSprop docstring: loss = w**2 / 2 (so g = w) from 10.0 -> 9.683772
    w = Variable(np.array(10.0))
    RMSprop(learning_rate=0.1).apply([w.data.copy()], [w])
    assert w.data == pytest.approx(9.683772, abs=1e-6)


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(RMSprop(learning_rate=0.5)), [-0.5811, 0.4189, 1.4189, 2.4189], atol=1e-4
    )


def test_centered_golden_trajectory_keras_pin():
    golden = [[0.9967], [0.9933], [0.9908], [0.9885], [0.9864]]
    run_golden(RMSprop(centered=True), golden)


def test_epsilon_inside_the_square_root():
    # Keras: w -= lr * g / sqrt(v + eps); torch would use sqrt(v) + eps. A tiny gradient
    # tells them apart: g = 1e-4, v = 0.1 * 1e-8 = 1e-9.
    w = Variable(np.array(0.0))
    RMSprop(learning_rate=1.0, epsilon=1e-7).apply([np.array(1e-4)], [w])
    assert w.data == pytest.approx(-1e-4 / np.sqrt(1e-9 + 1e-7), rel=1e-12)
    assert w.data != pytest.approx(-1e-4 / (np.sqrt(1e-9) + 1e-7), rel=1e-3)


@pytest.mark.parametrize(
    "momentum, centered", [(0.0, False), (0.9, False), (0.0, True), (0.5, True)]
)
def test_matches_torch_without_epsilon(momentum, centered):
    ours = numkeras_steps(
        RMSprop(learning_rate=0.01, rho=0.9, momentum=momentum, epsilon=0.0, centered=centered)
    )
    theirs = torch_steps(
        "RMSprop", lr=0.01, alpha=0.9, eps=0.0, momentum=momentum, centered=centered
    )
    assert_same_steps(ours, theirs)


def test_slots_follow_options():
    w = Variable(np.zeros(2))
    for kwargs, count in [
        ({}, 1),
        ({"momentum": 0.5}, 2),
        ({"centered": True}, 2),
        ({"momentum": 0.5, "centered": True}, 3),
    ]:
        opt = RMSprop(**kwargs)
        opt.build([w])
        assert len(opt.variables) == count
