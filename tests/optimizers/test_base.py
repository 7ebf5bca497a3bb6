"""What every optimizer shares: lookup, config, errors, legacy arguments, clipping, weight decay,
constraints, in-place updates, dtypes, the step counter and saved state."""

import json
import warnings

import numpy as np
import pytest

from numkeras import optimizers, registry
from numkeras.ops import Variable
from numkeras.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    base,
)
from numkeras.schedules import ExponentialDecay, InverseTimeDecay

from .helpers import gradients, numkeras_steps

CLASSES = [SGD, Adagrad, RMSprop, Adadelta, Adam, Adamax, Nadam, AdamW]
# Every slot layout: one optimizer per class, plus the options that add slots.
VARIANTS = [
    SGD(learning_rate=0.05),
    SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    Adagrad(learning_rate=0.1),
    RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    Adadelta(learning_rate=1.0),
    Adam(learning_rate=0.05, amsgrad=True),
    Adamax(learning_rate=0.05),
    Nadam(learning_rate=0.05),
    AdamW(learning_rate=0.05, weight_decay=0.1),
]
ids = [type(o).__name__ for o in VARIANTS]


def fresh(opt):
    return type(opt).from_config(opt.get_config())


# -- lookup ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_get_by_name_in_any_case(cls):
    for name in (cls.__name__, cls.__name__.lower(), cls.__name__.upper()):
        opt = optimizers.get(name)
        assert type(opt) is cls and opt.iterations == 0


def test_get_accepts_classes_instances_and_configs():
    assert type(optimizers.get(Adam)) is Adam
    opt = SGD(momentum=0.5)
    assert optimizers.get(opt) is opt
    rebuilt = optimizers.get({"class_name": "sgd", "config": {"momentum": 0.5}})
    assert type(rebuilt) is SGD and rebuilt.momentum == 0.5
    assert optimizers.get(None) is None


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="adadelta, adagrad, adam, adamax, adamw, nadam"):
        optimizers.get("adamm")


def test_get_rejects_what_is_not_an_optimizer():
    with pytest.raises(ValueError, match="optimizer"):
        optimizers.get(ExponentialDecay(0.1, 10, 0.9))
    with pytest.raises(ValueError, match="optimizer"):
        optimizers.get(3)


# -- config ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt", VARIANTS, ids=ids)
def test_config_round_trip_through_json(opt):
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    rebuilt = optimizers.deserialize(config)
    assert type(rebuilt) is type(opt)
    assert rebuilt.get_config() == opt.get_config()
    # and the rebuilt optimizer takes the same steps
    np.testing.assert_array_equal(numkeras_steps(fresh(opt)), numkeras_steps(rebuilt))


def test_config_holds_every_argument():
    opt = RMSprop(
        learning_rate=0.5,
        rho=0.8,
        momentum=0.05,
        epsilon=1e-6,
        centered=True,
        clipvalue=2.0,
        name="mine",
    )
    assert opt.get_config() == {
        "learning_rate": 0.5,
        "rho": 0.8,
        "momentum": 0.05,
        "epsilon": 1e-6,
        "centered": True,
        "weight_decay": None,
        "clipnorm": None,
        "clipvalue": 2.0,
        "global_clipnorm": None,
        "name": "mine",
    }


def test_schedule_serializes_through_the_registry():
    schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    config = Adam(learning_rate=schedule).get_config()
    assert config["learning_rate"] == registry.serialize(schedule)
    rebuilt = Adam.from_config(json.loads(json.dumps(config)))
    assert isinstance(rebuilt._learning_rate, ExponentialDecay)
    assert rebuilt._learning_rate.get_config() == schedule.get_config()


def test_keras3_config_with_features_off_loads():
    config = {
        "learning_rate": 0.01,
        "use_ema": False,
        "ema_momentum": 0.99,
        "ema_overwrite_frequency": None,
        "loss_scale_factor": None,
        "gradient_accumulation_steps": None,
        "name": "adam",
    }
    assert Adam.from_config(config).learning_rate == 0.01
    with pytest.raises(ValueError, match="use_ema"):
        Adam.from_config({**config, "use_ema": True})


# -- argument checks -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (SGD, {"learning_rate": -0.1}, "Received: learning_rate=-0.1"),
        (SGD, {"learning_rate": "fast"}, "Received: learning_rate='fast'"),
        (SGD, {"momentum": 1.5}, "Received: momentum=1.5"),
        (SGD, {"momentum": -0.1}, "Received: momentum=-0.1"),
        (RMSprop, {"rho": 1.1}, "Received: rho=1.1"),
        (RMSprop, {"momentum": 2.0}, "Received: momentum=2.0"),
        (Adadelta, {"rho": -0.5}, "Received: rho=-0.5"),
        (Adam, {"beta_1": 1.0}, "Received: beta_1=1.0"),
        (Nadam, {"beta_2": -0.1}, "Received: beta_2=-0.1"),
        (Adamax, {"epsilon": -1e-7}, "Received: epsilon=-1e-07"),
        (Adagrad, {"initial_accumulator_value": -1}, "Received: initial_accumulator_value=-1"),
        (Adam, {"weight_decay": -0.1}, "Received: weight_decay=-0.1"),
        (Adam, {"clipnorm": 0}, "Received: clipnorm=0"),
        (SGD, {"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of `clipnorm`, `clipvalue`"),
        (Adam, {"clipnorm": 1.0, "global_clipnorm": 1.0}, "global_clipnorm=1.0"),
    ],
)
def test_bad_values_name_the_argument(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_unknown_arguments_are_listed():
    with pytest.raises(ValueError, match=r"not recognized: \['beta1', 'foo'\]"):
        Adam(beta1=0.9, foo=1)


def test_int_learning_rate_becomes_float():
    opt = SGD(learning_rate=1)
    assert opt.learning_rate == 1.0 and isinstance(opt.learning_rate, float)
    assert isinstance(opt.get_config()["learning_rate"], float)


def test_keras2_epsilon_none_means_backend_epsilon():
    assert Adam(epsilon=None).epsilon == 1e-7


# -- learning rate ---------------------------------------------------------------------------------
def test_schedule_is_evaluated_at_iterations():
    w = Variable(np.zeros(1))
    opt = SGD(learning_rate=ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5))
    rates = []
    for _ in range(3):
        rates.append(opt.learning_rate)
        opt.apply([np.ones(1)], [w])
    assert rates == [1.0, 0.5, 0.25]
    np.testing.assert_allclose(w.data, [-1.75])


def test_callable_of_the_step():
    opt = SGD(learning_rate=lambda step: 0.1 * (step + 1))
    w = Variable(np.zeros(1))
    opt.apply([np.ones(1)], [w])
    opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.data, [-0.3])
    assert opt.learning_rate == pytest.approx(0.3)


def test_setting_a_float_replaces_the_schedule():
    opt = Adam(learning_rate=ExponentialDecay(1.0, 1, 0.5))
    opt.iterations = 3
    opt.learning_rate = opt.learning_rate * 0.1  # what ReduceLROnPlateau does
    assert opt.learning_rate == pytest.approx(0.0125)
    opt.iterations = 10
    assert opt.learning_rate == pytest.approx(0.0125)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.0125)
    with pytest.raises(ValueError, match="learning_rate=-1"):
        opt.learning_rate = -1


# -- Keras 1/2 spellings ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_lr_is_learning_rate_with_a_warning(cls):
    with pytest.warns(UserWarning, match=rf"{cls.__name__}\(learning_rate=\.\.\.\)"):
        opt = cls(lr=0.123)
    assert opt.learning_rate == 0.123
    assert "lr" not in opt.get_config()


def test_lr_and_learning_rate_together_is_an_error():
    with pytest.raises(ValueError, match="both"):
        SGD(lr=0.1, learning_rate=0.2)


def test_decay_is_applied_as_keras2_did():
    with pytest.warns(
        UserWarning,
        match=r"InverseTimeDecay\(initial_learning_rate=0.1, "
        r"decay_steps=1, decay_rate=0.5",
    ):
        opt = SGD(learning_rate=0.1, decay=0.5)
    w = Variable(np.zeros(1))
    for _ in range(3):
        opt.apply([np.ones(1)], [w])
    # lr_t = 0.1 / (1 + 0.5 * t): 0.1 + 0.0666... + 0.05
    np.testing.assert_allclose(w.data, [-(0.1 + 0.1 / 1.5 + 0.05)])
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "InverseTimeDecay"
    assert "decay" not in config
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(SGD.from_config(config)._learning_rate, InverseTimeDecay)


def test_zero_decay_is_a_silent_no_op():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = SGD(learning_rate=0.1, decay=0.0)
    assert opt.get_config()["learning_rate"] == 0.1


def test_decay_with_a_schedule_or_negative_is_an_error():
    with pytest.raises(ValueError, match="float learning_rate only"):
        SGD(learning_rate=ExponentialDecay(0.1, 1, 0.5), decay=0.1)
    with pytest.raises(ValueError, match="Received: decay=-1"):
        SGD(decay=-1)


def test_keras2_config_loads():
    # A Keras 2.2 optimizer config, as stored in an old model file.
    with pytest.warns(UserWarning):
        opt = optimizers.deserialize(
            {
                "class_name": "SGD",
                "config": {"lr": 0.01, "momentum": 0.9, "decay": 1e-6, "nesterov": True},
            }
        )
    assert opt.momentum == 0.9 and opt.nesterov
    assert opt.learning_rate == 0.01


# -- clipping --------------------------------------------------------------------------------------
def test_clipnorm_keras_pin():
    # keras: clipnorm=1 on [100, 100] gives [sqrt(2)/2, sqrt(2)/2]; SGD(1) makes it visible.
    w = Variable(np.zeros(2))
    g = np.array([100.0, 100.0])
    SGD(learning_rate=1.0, clipnorm=1).apply([g], [w])
    np.testing.assert_allclose(w.data, [-(2**0.5) / 2] * 2)
    np.testing.assert_array_equal(g, [100.0, 100.0])  # the caller's gradient is untouched


def test_clipnorm_is_per_gradient_and_leaves_small_ones():
    w1, w2 = Variable(np.zeros(2)), Variable(np.zeros(1))
    SGD(learning_rate=1.0, clipnorm=1).apply([np.array([3.0, 4.0]), np.array([0.5])], [w1, w2])
    np.testing.assert_allclose(w1.data, [-0.6, -0.8])
    np.testing.assert_allclose(w2.data, [-0.5])


def test_global_clipnorm_scales_all_together():
    w1, w2 = Variable(np.zeros(2)), Variable(np.zeros(1))
    # global norm of [3, 4] and [12] is 13
    SGD(learning_rate=1.0, global_clipnorm=1.3).apply(
        [np.array([3.0, 4.0]), np.array([12.0])], [w1, w2]
    )
    np.testing.assert_allclose(w1.data, [-0.3, -0.4])
    np.testing.assert_allclose(w2.data, [-1.2])


def test_clipvalue():
    w = Variable(np.zeros(3))
    g = np.array([100.0, -100.0, 0.5])
    SGD(learning_rate=1.0, clipvalue=1).apply([g], [w])
    np.testing.assert_allclose(w.data, [-1.0, 1.0, -0.5])
    np.testing.assert_array_equal(g, [100.0, -100.0, 0.5])


# -- weight decay, constraints, in place -----------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_weight_decay_keras_pin(cls):
    # keras *_test.py: three optimizers with weight_decay=0.004, lr=1, zero gradient, each
    # applied once to the same variable: 2 * 0.996**3 = 1.9760959
    w = Variable(np.array(2.0))
    for _ in range(3):
        cls(learning_rate=1.0, weight_decay=0.004).apply([np.array(0.0)], [w])
    assert w.data == pytest.approx(1.9760959, abs=1e-6)


def test_constraint_applies_after_the_update():
    seen = []

    def non_neg(a):
        seen.append(a.copy())  # the updated value, before the constraint
        return np.maximum(a, 0.0)

    w = Variable(np.array([1.0, 1.0]), constraint=non_neg)
    SGD(learning_rate=1.0).apply([np.array([2.0, -1.0])], [w])
    np.testing.assert_array_equal(seen[0], [-1.0, 2.0])
    np.testing.assert_array_equal(w.data, [0.0, 2.0])


@pytest.mark.parametrize("opt", VARIANTS, ids=ids)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_updates_in_place_and_keeps_the_dtype(opt, dtype):
    opt = fresh(opt)
    w = Variable(np.linspace(-1, 1, 6, dtype=dtype).reshape(2, 3), name="w")
    b = Variable(np.zeros(3, dtype=dtype), name="b")
    arrays = (w.data, b.data)
    for _ in range(3):
        opt.apply([np.full((2, 3), 0.5, dtype=dtype), np.full(3, -0.25, dtype=dtype)], [w, b])
    assert w.data is arrays[0] and b.data is arrays[1]
    assert w.data.dtype == dtype and b.data.dtype == dtype
    assert all(s.dtype == dtype for s in opt.variables)
    assert not np.allclose(w.data, np.linspace(-1, 1, 6).reshape(2, 3))


# -- the step counter, building, odd inputs --------------------------------------------------------
def test_iterations_count_applies():
    opt = Adam()
    w = Variable(np.zeros(2))
    assert opt.iterations == 0 and isinstance(opt.iterations, int)
    opt.apply([np.ones(2)], [w])
    assert opt.apply_gradients(zip([np.ones(2)], [w], strict=True)) == 2
    opt.apply_gradients([])  # nothing to do: no step
    assert opt.iterations == 2


def test_build_is_idempotent_and_apply_reuses_its_variables():
    w = Variable(np.zeros(2))
    opt = Adam()
    opt.build([w])
    slots = opt.variables
    opt.build([w])
    assert all(a is b for a, b in zip(slots, opt.variables, strict=True))
    opt.apply([np.ones(2)])  # variables default to the built ones
    assert w.data[0] < 0


def test_slot_order_is_slot_by_slot():
    w, b = Variable(np.zeros((2, 3))), Variable(np.zeros(3))
    opt = Adam(amsgrad=True)
    opt.build([w, b])
    assert [s.shape for s in opt.variables] == [(2, 3), (3,)] * 3


def test_none_gradient_leaves_its_variable():
    w, b = Variable(np.ones(2)), Variable(np.ones(2))
    SGD(learning_rate=1.0).apply([np.ones(2), None], [w, b])
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])


def test_misuse_errors():
    w, other = Variable(np.zeros(2)), Variable(np.zeros(2))
    opt = SGD()
    with pytest.raises(ValueError, match="build"):
        opt.apply([np.ones(2)])
    opt.build([w])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.ones(2)], [other])
    with pytest.raises(ValueError, match="shape"):
        opt.apply([np.ones(3)], [w])
    with pytest.raises(ValueError, match="match"):
        opt.apply([np.ones(2), np.ones(2)], [w])


def test_base_class_has_no_rule():
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).apply([np.ones(1)], [Variable(np.zeros(1))])


# -- saving and resuming ---------------------------------------------------------------------------
def _run(opt, w, b, steps):
    for _ in range(steps):
        opt.apply(gradients(w.data, b.data), [w, b])


@pytest.mark.parametrize("opt", VARIANTS, ids=ids)
def test_save_and_resume_is_exact(opt, tmp_path):
    from .helpers import B0, W0

    straight = fresh(opt)
    w, b = Variable(W0.copy()), Variable(B0.copy())
    _run(straight, w, b, 5)

    first = fresh(opt)
    w2, b2 = Variable(W0.copy()), Variable(B0.copy())
    _run(first, w2, b2, 3)
    store = {}
    first.save_own_variables(store)
    np.savez(tmp_path / "opt.npz", **store)
    config = json.dumps(optimizers.serialize(first))

    resumed = optimizers.deserialize(json.loads(config))
    resumed.load_own_variables(np.load(tmp_path / "opt.npz"))  # before build: kept until then
    _run(resumed, w2, b2, 2)
    assert resumed.iterations == 5
    np.testing.assert_array_equal(w2.data, w.data)
    np.testing.assert_array_equal(b2.data, b.data)


def test_saved_state_is_a_copy():
    w = Variable(np.zeros(2))
    opt = Adam()
    opt.apply([np.ones(2)], [w])
    store = {}
    opt.save_own_variables(store)
    saved = store["0"].copy()
    opt.apply([np.ones(2)], [w])
    np.testing.assert_array_equal(store["0"], saved)
    assert int(store["iterations"]) == 1


def test_loading_a_mismatched_state_is_an_error():
    w = Variable(np.zeros(2))
    store = {}
    sgd = SGD(momentum=0.9)
    sgd.build([w])
    sgd.save_own_variables(store)
    adam = Adam()
    adam.build([w])
    with pytest.raises(ValueError, match="1 slot arrays but this optimizer has 2"):
        adam.load_own_variables(store)
    other = SGD(momentum=0.9)
    other.build([Variable(np.zeros(3))])
    with pytest.raises(ValueError, match="shape"):
        other.load_own_variables(store)


@pytest.mark.parametrize("opt", VARIANTS, ids=ids)
@pytest.mark.parametrize("order", ["C", "F"])
def test_large_variables_take_the_same_elementwise_steps(opt, order):
    # Large C-ordered arrays are updated block by block (for the CPU cache), Fortran-ordered
    # ones whole; either way every element follows the rule as if it were alone.
    pattern = np.linspace(-1.0, 1.0, 7)
    grads = [np.linspace(0.5, -2.0, 7), np.linspace(-0.3, 0.9, 7)]
    rows = 3 * base._BLOCK // 7 + 1  # not a whole number of blocks
    small, large = fresh(opt), fresh(opt)
    w_small = Variable(pattern.copy())
    w_large = Variable(np.asarray(np.tile(pattern, (rows, 1)), order=order))
    for g in grads:
        small.apply([g], [w_small])
        large.apply([np.asarray(np.tile(g, (rows, 1)), order=order)], [w_large])
    np.testing.assert_allclose(w_large.data, np.tile(w_small.data, (rows, 1)), rtol=1e-15)
