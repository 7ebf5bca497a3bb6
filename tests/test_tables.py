"""Each family's tables and exports come from one source, its registered classes and filed
functions: nothing kept by hand can drift from what the modules define."""

from __future__ import annotations

import inspect

import pytest

from numkeras import (
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    registry,
    regularizers,
)

# Each module with a table of names a user may write, and that table.
TABLES = {
    losses: losses._TABLE,
    metrics: metrics._TABLE,
    optimizers: optimizers.ALL_OPTIMIZERS,
    initializers: initializers.INITIALIZERS,
    constraints: constraints.CONSTRAINTS,
    regularizers: regularizers.REGULARIZERS,
}


@pytest.mark.parametrize("module", TABLES, ids=lambda module: module.__name__)
def test_every_registered_class_of_a_family_can_be_named(module) -> None:
    own = registry.own_classes(module.__name__)
    assert own, f"{module.__name__} registers no class"
    abstract = {losses.Loss, losses.LossFunctionWrapper, metrics.Metric, metrics.MeanMetricWrapper}
    named = set(TABLES[module].values())
    assert {cls for cls in own.values() if cls not in abstract} <= named


@pytest.mark.parametrize("module", [losses, metrics, optimizers], ids=lambda m: m.__name__)
def test_all_exports_every_class_and_function_and_only_what_exists(module) -> None:
    assert len(set(module.__all__)) == len(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
    exported = [getattr(module, name) for name in module.__all__]
    wanted = [
        *registry.own_classes(module.__name__).values(),
        *getattr(module, "FUNCTIONS", {}).values(),
    ]
    assert all(any(thing is name for name in exported) for thing in wanted)


@pytest.mark.parametrize("module", [losses, metrics], ids=lambda m: m.__name__)
def test_the_function_tables_hold_every_public_per_sample_function(module) -> None:
    defined = {
        fn.__name__  # Keras 2's aliases (losses.mse) name the function they are
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
        and not name.startswith("_")
        and list(inspect.signature(fn).parameters)[:2] == ["y_true", "y_pred"]
    }
    assert set(module.FUNCTIONS) == defined


def test_every_loss_exists_as_a_function_and_as_a_class() -> None:
    wrapped = [
        cls.function
        for cls in losses.CLASSES.values()
        if getattr(cls, "function", None) is not None
    ]
    assert sorted(fn.__name__ for fn in wrapped) == sorted(losses.FUNCTIONS)


def test_every_metric_class_wraps_a_function_metrics_can_name() -> None:
    for cls in metrics.CLASSES.values():
        function = getattr(cls, "function", None)
        if function is not None:
            assert metrics.MeanMetricWrapper.functions[function.__name__] is function


def test_all_optimizers_are_the_registered_optimizers() -> None:
    registered = registry.own_classes("numkeras.optimizers")
    assert optimizers.ALL_OPTIMIZERS == {name.lower(): cls for name, cls in registered.items()}
    assert {"sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "adamw"} == set(
        optimizers.ALL_OPTIMIZERS
    )
