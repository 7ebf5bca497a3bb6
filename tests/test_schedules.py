import json
import math

import numpy as np
import pytest

from numkeras import registry
from numkeras.ops import Variable
from numkeras.optimizers import SGD
from numkeras.schedules import (
    CosineDecay,
    ExponentialDecay,
    InverseSqrtDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
)

SCHEDULES = [
    ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5),
    InverseSqrtDecay(0.1, decay_steps=3),
    PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    CosineDecay(0.0, decay_steps=10, alpha=0.1, warmup_target=0.1, warmup_steps=5),
]


def test_inverse_sqrt_decay_is_the_course_formula():
    # eta_t = eta / sqrt(t + 1): t = 0, 3, 8, 15 -> eta, eta/2, eta/3, eta/4
    schedule = InverseSqrtDecay(0.6)
    assert [schedule(t) for t in (0, 3, 8, 15)] == pytest.approx([0.6, 0.3, 0.2, 0.15])
    # decay_steps counts t in units of that many updates
    assert InverseSqrtDecay(0.6, decay_steps=100)(300) == pytest.approx(0.3)


def test_inverse_sqrt_decay_drives_an_optimizer():
    # SGD with eta = 1, g = 1: w = -(1 + 1/sqrt(2) + 1/sqrt(3))
    w = Variable(np.zeros(1))
    opt = SGD(learning_rate=InverseSqrtDecay(1.0))
    for _ in range(3):
        opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.data, [-(1 + 2**-0.5 + 3**-0.5)])


def test_exponential_decay():
    schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.1 * 0.5**0.5)
    assert schedule(20) == pytest.approx(0.025)
    stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(t) for t in (9, 10, 19, 20)] == pytest.approx([0.1, 0.05, 0.05, 0.025])


def test_inverse_time_decay():
    schedule = InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)
    assert [schedule(t) for t in (0, 1, 2, 4)] == pytest.approx([0.1, 0.1 / 1.25, 0.1 / 1.5, 0.05])
    stairs = InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    assert [stairs(t) for t in (0, 1, 2, 3)] == pytest.approx([0.1, 0.1, 0.1 / 1.5, 0.1 / 1.5])


def test_piecewise_constant_boundaries_belong_to_the_left_interval():
    schedule = PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    steps = (0, 10, 11, 20, 21, 1000)
    assert [schedule(t) for t in steps] == [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]


def test_cosine_decay():
    schedule = CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert schedule(0) == pytest.approx(1.0)
    assert schedule(5) == pytest.approx(0.9 * 0.5 + 0.1)
    assert schedule(10) == pytest.approx(0.1)
    assert schedule(50) == pytest.approx(0.1)  # stays at alpha after decay_steps


def test_cosine_decay_with_warmup():
    schedule = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
    assert [schedule(t) for t in (0, 1, 4)] == pytest.approx([0.0, 0.02, 0.08])
    assert schedule(5) == pytest.approx(0.1)
    assert schedule(10) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi / 2)))
    assert schedule(15) == pytest.approx(0.0)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = json.loads(json.dumps(registry.serialize(schedule)))
    rebuilt = registry.deserialize(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(t) for t in range(30)] == [schedule(t) for t in range(30)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5),
        lambda: InverseTimeDecay(0.1, decay_steps=-1, decay_rate=0.5),
        lambda: InverseSqrtDecay(0.1, decay_steps=0),
        lambda: CosineDecay(0.1, decay_steps=0),
    ],
)
def test_decay_steps_must_be_positive(make):
    with pytest.raises(ValueError, match="Received: decay_steps="):
        make()


def test_piecewise_constant_checks_its_lists():
    with pytest.raises(ValueError, match="1 less than the length of values"):
        PiecewiseConstantDecay([10, 20], [0.1, 0.01])
    with pytest.raises(ValueError, match="increase strictly"):
        PiecewiseConstantDecay([20, 10], [0.1, 0.01, 0.001])
