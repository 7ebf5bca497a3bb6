"""The registry: which classes a config may name, and which family each slot accepts."""

from __future__ import annotations

import pytest

from numkeras import (
    activations,
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    registry,
    regularizers,
    schedules,
)
from numkeras.layers import Dense, Layer, LeakyReLU
from numkeras.saving import register_keras_serializable

DENSE = {"class_name": "Dense", "config": {"units": 10**9}}


@pytest.fixture(autouse=True)
def _registry_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by a test are undone after it."""
    monkeypatch.setattr(registry, "_CLASSES", dict(registry._CLASSES))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))


class Built(Layer):
    """A layer that records every construction, to prove a refused config built nothing."""

    made: list[dict] = []

    def __init__(self, **kwargs):
        Built.made.append(kwargs)
        super().__init__(**kwargs)


# -- each family accepts only its own classes -------------------------------------------------
FAMILY_GETTERS = {
    "activation": activations.get,
    "initializer": initializers.get,
    "regularizer": regularizers.get,
    "constraint": constraints.get,
    "loss": losses.get,
    "metric": lambda config, custom_objects=None: metrics.get(
        config, custom_objects=custom_objects
    ),
    "optimizer": optimizers.deserialize,
    "learning-rate schedule": schedules.deserialize,
}


@pytest.mark.parametrize("kind", sorted(FAMILY_GETTERS))
def test_a_layer_config_is_refused_by_every_other_family_before_it_is_built(kind: str) -> None:
    Built.made.clear()
    with pytest.raises(registry.FamilyError, match=f"'Built'.*which is not an? {kind}") as info:
        FAMILY_GETTERS[kind]({"class_name": "Built", "config": {}}, custom_objects={"Built": Built})
    assert Built.made == []
    assert (info.value.kind, info.value.class_name) == (kind, "Built")
    with pytest.raises(ValueError, match=f"'Dense'.*not an? {kind}"):
        FAMILY_GETTERS[kind](DENSE)


def test_a_slot_of_a_layer_refuses_a_layer_in_user_code() -> None:
    with pytest.raises(ValueError, match="activation config names the class 'Dense'"):
        Dense(3, activation=DENSE)
    with pytest.raises(ValueError, match="not a regularizer"):
        Dense(3, kernel_regularizer=Dense)


def test_families_still_build_their_own_classes() -> None:
    assert isinstance(
        initializers.get({"class_name": "OrthogonalInitializer", "config": {}}),
        initializers.OrthogonalInitializer,
    )
    assert isinstance(
        schedules.deserialize(
            {
                "class_name": "InverseTimeDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5},
            }
        ),
        schedules.InverseTimeDecay,
    )
    # numkeras's loss and metric of the same class name each resolve to their own family.
    mse = {"class_name": "MeanSquaredError", "config": {}}
    assert isinstance(losses.get(mse), losses.Loss)
    assert isinstance(metrics.get(mse), metrics.Metric)
    # A loss given as a metric is averaged as a metric.
    assert isinstance(
        metrics.get({"class_name": "CategoricalCrossentropy", "config": {}}),
        metrics.MeanMetricWrapper,
    )


def test_an_activation_config_names_a_weightless_activation_layer_or_a_users_class() -> None:
    class Swish:
        def __call__(self, x):
            return activations.silu(x)

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    config = registry.serialize(Swish())
    assert isinstance(activations.get(config, custom_objects={"Swish": Swish}), Swish)
    assert isinstance(activations.get({"class_name": "LeakyReLU", "config": {}}), LeakyReLU)
    for weighted in ("PReLU", "Dense"):
        with pytest.raises(registry.FamilyError, match="derived from no numkeras class"):
            activations.get({"class_name": weighted, "config": {"units": 2}})


def test_an_optimizer_learning_rate_is_a_number_or_a_schedule() -> None:
    config = {"class_name": "SGD", "config": {"learning_rate": DENSE}}
    with pytest.raises(registry.FamilyError, match="not a learning-rate schedule"):
        optimizers.deserialize(config)
    with pytest.raises(registry.FamilyError, match="not a learning-rate schedule"):
        optimizers.SGD.from_config(config["config"])


# -- who is registered -----------------------------------------------------------------------
def test_a_users_layer_is_not_registered_by_defining_it() -> None:
    class Dense(Layer):  # noqa: F811 - the point: a user's class named like numkeras's
        pass

    assert registry.registered_class("Dense") is not Dense
    assert registry.registered_class("Dense").__module__ == "numkeras.layers.core"
    assert registry.registered_class("Built") is None
    assert registry.is_own(registry.registered_class("Dense")) and not registry.is_own(Built)


def test_register_keras_serializable_keys_by_package() -> None:
    @register_keras_serializable(package="Mine")
    class Dense(Layer):  # noqa: F811
        pass

    assert registry.registered_class("Mine>Dense") is Dense
    # A bare name finds numkeras's class first: a user's class never shadows it.
    assert registry.registered_class("Dense").__module__ == "numkeras.layers.core"
    assert registry.serialize(Dense())["class_name"] == "Mine>Dense"
    assert type(registry.deserialize({"class_name": "Mine>Dense", "config": {}})) is Dense


def test_a_bare_name_finds_a_users_class_only_when_unambiguous() -> None:
    register_keras_serializable("One", "Block")(Built)
    assert registry.registered_class("Block") is Built

    class Other(Layer):
        pass

    register_keras_serializable("Two", "Block")(Other)
    with pytest.raises(ValueError, match=r"several packages \(\['One>Block', 'Two>Block'\]\)"):
        registry.registered_class("Block")


def test_a_registered_name_cannot_be_taken_by_another_class() -> None:
    register_keras_serializable("Mine")(Built)

    class Built2(Layer):
        pass

    with pytest.raises(
        ValueError,
        match=r"'Mine>Built' is already registered to "
        r"\S*test_registry\.Built, .*another package",
    ):
        register_keras_serializable("Mine", "Built")(Built2)
    assert registry.registered_class("Mine>Built") is Built


def test_the_same_class_defined_again_takes_its_name_back() -> None:
    def define() -> type:
        @register_keras_serializable("Mine")
        class Cell(Layer):
            pass

        return Cell

    first, second = define(), define()  # a re-run notebook cell
    assert first is not second
    assert registry.registered_class("Mine>Cell") is second


@pytest.mark.parametrize("package, name", [("", None), ("a>b", None), ("Mine", ""), (3, None)])
def test_register_keras_serializable_checks_its_arguments(package, name) -> None:
    with pytest.raises(ValueError, match="non-empty string without '>'"):
        register_keras_serializable(package, name)


def test_a_scope_makes_a_users_class_reachable() -> None:
    config = {"class_name": "Built", "config": {}}
    with pytest.raises(ValueError, match="Unknown class 'Built'"):
        registry.deserialize(config)
    with registry.custom_object_scope({"Built": Built}):
        assert type(registry.deserialize(config)) is Built


# -- keys by package, and a bare name resolved by family --------------------------------------
def test_numkeras_classes_are_keyed_by_their_package() -> None:
    assert registry.registered_class("numkeras.losses>MeanSquaredError") is losses.MeanSquaredError
    assert (
        registry.registered_class("numkeras.metrics>MeanSquaredError") is metrics.MeanSquaredError
    )
    assert registry.registered_class("numkeras.layers>Dense") is Dense
    assert registry.package_of(Dense) == "numkeras.layers"  # defined in numkeras.layers.core
    assert registry.own_classes("numkeras.regularizers") == {
        "L1L2": regularizers.L1L2,
        "L1": regularizers.L1,
        "L2": regularizers.L2,
    }


def test_a_config_names_numkeras_classes_by_module_and_the_users_by_key() -> None:
    assert registry.serialize(losses.MeanSquaredError()) == {
        "module": "numkeras.losses",
        "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
    }
    assert registry.class_entry(metrics.MeanSquaredError) == {
        "module": "numkeras.metrics",
        "class_name": "MeanSquaredError",
    }
    register_keras_serializable("Mine")(Built)
    assert registry.class_entry(Built) == {"class_name": "Mine>Built"}
    assert registry.class_entry(losses.Loss) == {"module": "numkeras.losses", "class_name": "Loss"}


def test_a_bare_name_numkeras_packages_share_needs_a_family_or_a_module() -> None:
    with pytest.raises(
        ValueError,
        match=r"several packages \(\['numkeras.losses>Mean"
        r"SquaredError', 'numkeras.metrics>MeanSquaredError'\]",
    ):
        registry.registered_class("MeanSquaredError")
    assert registry.registered_class("MeanSquaredError", losses.FAMILY) is losses.MeanSquaredError
    # The metric family also takes losses: its own package comes first.
    assert registry.registered_class("MeanSquaredError", metrics.FAMILY) is metrics.MeanSquaredError
    assert (
        registry.registered_class("MeanSquaredError", module="numkeras.losses")
        is losses.MeanSquaredError
    )
    assert registry.meanings("MeanSquaredError") == [
        losses.MeanSquaredError,
        metrics.MeanSquaredError,
    ]


def test_each_family_builds_the_class_its_config_names_by_module() -> None:
    # A loss given as a metric: its config names the loss, whose config a metric class refuses.
    loss = losses.MeanSquaredError(reduction="sum", name="squared")
    metric = metrics.get(registry.serialize(loss))
    assert type(metric) is metrics.MeanMetricWrapper and metric.name == "squared"
    assert metric.fn is losses.mean_squared_error
    # A metric config is refused as a loss, whatever name it shares with one.
    with pytest.raises(registry.FamilyError, match="not a loss"):
        losses.get(registry.serialize(metrics.MeanSquaredError()))
    assert isinstance(
        losses.get({"module": "numkeras.losses", "class_name": "Huber", "config": {"delta": 2.0}}),
        losses.Huber,
    )


def test_a_wrapped_function_in_a_config_finds_custom_objects_in_every_family() -> None:
    def twice(y_true, y_pred):
        return 2.0 * losses.mean_absolute_error(y_true, y_pred)

    config = registry.serialize(losses.LossFunctionWrapper(twice))
    for family_get in (
        losses.get,
        lambda c, custom_objects: metrics.get(c, custom_objects=custom_objects),
    ):
        assert family_get(config, custom_objects={"twice": twice}).fn is twice


@pytest.mark.parametrize("module", [3, ["numkeras.losses"]])
def test_a_module_must_be_a_string(module) -> None:
    with pytest.raises(ValueError, match="optional 'module': str"):
        registry.deserialize({"module": module, "class_name": "Huber", "config": {}})


def test_a_numkeras_key_cannot_be_taken_by_a_users_class() -> None:
    with pytest.raises(ValueError, match="'numkeras.layers>Dense' is already registered"):
        register_keras_serializable("numkeras.layers", "Dense")(Built)
