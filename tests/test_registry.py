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
    "metric": lambda config, custom_objects=None: metrics.get(config,
                                                             custom_objects=custom_objects),
    "optimizer": optimizers.deserialize,
    "learning-rate schedule": schedules.deserialize,
}


@pytest.mark.parametrize("kind", sorted(FAMILY_GETTERS))
def test_a_layer_config_is_refused_by_every_other_family_before_it_is_built(kind: str) -> None:
    Built.made.clear()
    with pytest.raises(registry.FamilyError, match=f"'Built'.*which is not an? {kind}") as info:
        FAMILY_GETTERS[kind]({"class_name": "Built", "config": {}},
                             custom_objects={"Built": Built})
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
    assert isinstance(initializers.get({"class_name": "OrthogonalInitializer", "config": {}}),
                      initializers.OrthogonalInitializer)
    assert isinstance(schedules.deserialize(
        {"class_name": "InverseTimeDecay", "config": {"initial_learning_rate": 0.1,
                                                       "decay_steps": 1, "decay_rate": 0.5}}),
        schedules.InverseTimeDecay)
    # numkeras's loss and metric of the same class name each resolve to their own family.
    mse = {"class_name": "MeanSquaredError", "config": {}}
    assert isinstance(losses.get(mse), losses.Loss)
    assert isinstance(metrics.get(mse), metrics.Metric)
    # A loss given as a metric is averaged as a metric.
    assert isinstance(metrics.get({"class_name": "CategoricalCrossentropy", "config": {}}),
                      metrics.MeanMetricWrapper)


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

    with pytest.raises(ValueError, match=r"'Mine>Built' is already registered to "
                                         r"\S*test_registry\.Built, .*another package"):
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
