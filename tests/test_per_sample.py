"""The machinery losses and metrics share: default names, function tables, wrapper configs."""

from __future__ import annotations

from typing import Any

import pytest

from numkeras import losses, registry
from numkeras.per_sample import FunctionTable, FunctionWrapper, snake_case


@pytest.mark.parametrize(
    "name, expected",
    [
        ("KLDivergence", "kl_divergence"),
        ("MeanSquaredError", "mean_squared_error"),
        ("TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
        ("Hinge", "hinge"),
    ],
)
def test_snake_case_gives_keras_default_names(name, expected):
    assert snake_case(name) == expected


TABLE = FunctionTable()


@TABLE.add
def gap(y_true: Any, y_pred: Any, scale: float = 1.0) -> Any:
    return scale * abs(y_pred - y_true)


class _Base:
    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


class Wrapper(FunctionWrapper, _Base):
    kind = "test"
    functions = TABLE

    def __init__(self, fn, name=None, **kwargs):
        self.fn, self.fn_kwargs, self.name = fn, kwargs, name or fn.__name__


class Gap(Wrapper):
    function = staticmethod(gap)

    def __init__(self, name=None, scale=1.0):
        super().__init__(gap, name, scale=scale)


def test_a_table_files_each_function_under_its_name():
    assert TABLE == {"gap": gap}


def test_a_wrapper_config_names_its_function_unless_its_class_always_wraps_it():
    assert Wrapper(gap, scale=2.0).get_config() == {"name": "gap", "scale": 2.0, "fn": "gap"}
    assert Gap(scale=3.0).get_config() == {"name": "gap", "scale": 3.0}
    rebuilt = Wrapper.from_config({"name": "g", "scale": 2.0, "fn": "GAP"})
    assert rebuilt.fn is gap and rebuilt.fn_kwargs == {"scale": 2.0}


def test_the_callers_function_comes_first_also_from_a_scope():
    def mine(y_true, y_pred):
        return y_pred

    assert Wrapper.function_named("gap", {"gap": mine}) is mine
    with registry.custom_object_scope({"mine": mine}):
        assert Wrapper.function_named("mine") is mine


@pytest.mark.parametrize(
    "name, custom, message",
    [
        (
            "nope",
            None,
            r"Unknown test function 'nope'\. If it is your own function, pass "
            r"custom_objects=\{'nope': nope\}\. Valid names: gap\.",
        ),
        (3, None, "fn must name a test function. Received: fn=3"),
        ("huber", {"huber": losses.Huber}, "not a class or an object with a config"),
        ("huber", {"huber": losses.Huber()}, "not a class or an object with a config"),
    ],
)
def test_a_bad_function_name_says_what_was_expected(name, custom, message):
    with pytest.raises(ValueError, match=message):
        Wrapper.function_named(name, custom)
