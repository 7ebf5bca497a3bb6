import numpy as np
import pytest

from numkeras.ops import Variable
from numkeras.optimizers import Adam, AdamW

from .helpers import assert_same_steps, numkeras_steps, run_golden, single_step, torch_steps


def test_defaults_are_keras():
    opt = AdamW()
    assert (opt.learning_rate, opt.weight_decay, opt.beta_1, opt.beta_2, opt.epsilon) == (
        0.001,
        0.004,
        0.9,
        0.999,
        1e-7,
    )
    assert isinstance(opt, Adam)


def test_single_step_keras_pin():
    np.testing.assert_allclose(
        single_step(AdamW(learning_rate=0.5)), [0.4980, 1.4960, 2.494, 3.492], atol=1e-4
    )


def test_golden_trajectory_keras_pin():
    golden = [
        [0.4998] * 10,
        [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
        [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
        [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
        [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159],
    ]
    run_golden(AdamW(learning_rate=1.0, weight_decay=0.5, epsilon=2), golden)


def test_decay_is_decoupled_by_hand():
    # Zero gradient: Adam's step is 0, only the decay acts: w = 2 * (1 - 0.1 * 0.5) = 1.9
    w = Variable(np.array(2.0))
    AdamW(learning_rate=0.1, weight_decay=0.5).apply([np.array(0.0)], [w])
    assert w.data == pytest.approx(1.9, abs=1e-15)


def test_weight_decay_is_required():
    with pytest.raises(ValueError, match="Received: weight_decay=None"):
        AdamW(weight_decay=None)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_torch_without_epsilon(amsgrad):
    # Both decay first (w *= 1 - lr * wd) then take Adam's step; eps = 0 as for Adam.
    ours = numkeras_steps(AdamW(learning_rate=0.05, weight_decay=0.1, epsilon=0.0, amsgrad=amsgrad))
    theirs = torch_steps("AdamW", lr=0.05, weight_decay=0.1, eps=0.0, amsgrad=amsgrad)
    assert_same_steps(ours, theirs)
