"""Models with a Lambda layer in files: saved by the function's name, loaded only with
``safe_mode=False`` and the function in ``custom_objects``, never from code in a file."""

from __future__ import annotations

import inspect
import io
from pathlib import Path

import numpy as np
import pytest

from numkeras import backend, config, ops
from numkeras.layers import Dense, Input, Lambda
from numkeras.models import Model, Sequential, load_model, model_from_json
from numkeras.saving import ModelFileError

from .helpers import X, edited, saved_bytes

Y = np.random.default_rng(1).standard_normal((16, 2)).astype(np.float32)


def scaled_tanh(x, scale):
    return ops.tanh(x) * scale


def halves(input_shape):
    return (input_shape[0], input_shape[1] // 2)


CUSTOM = {"scaled_tanh": scaled_tanh, "halves": halves}


def lambda_model() -> Sequential:
    """Dense(4) -> Lambda(scaled_tanh, scale=2) -> Lambda(first half) -> Dense(2), SGD."""
    model = Sequential(
        [
            Input((3,)),
            Dense(4),
            Lambda(scaled_tanh, arguments={"scale": 2.0}),
            Lambda(first_half, output_shape=halves),
            Dense(2),
        ]
    )
    model.compile("sgd", "mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    return model


def first_half(x):
    return x[:, : x.shape[1] // 2]


ALL = {**CUSTOM, "first_half": first_half}


def test_load_model_takes_keras_3s_arguments(keras):
    assert list(inspect.signature(load_model).parameters) == list(
        inspect.signature(keras.models.load_model).parameters
    )
    assert inspect.signature(load_model).parameters["safe_mode"].default is True


def test_round_trip_with_safe_mode_off_and_the_functions_given(tmp_path: Path):
    model = lambda_model()
    path = tmp_path / "m.numkeras"
    model.save(path)
    loaded = load_model(path, custom_objects=ALL, safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.layers[1].function is scaled_tanh and loaded.layers[2]._output_shape is halves
    # Training goes on as if the model had never been saved.
    backend.set_random_seed(7)
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    backend.set_random_seed(7)
    loaded.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    for mine, reference in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, reference)


def test_a_functional_model_round_trips_through_json():
    inputs = Input((4,))
    model = Model(inputs, Dense(1)(Lambda(scaled_tanh, arguments={"scale": 0.5})(inputs)))
    rebuilt = model_from_json(model.to_json(), custom_objects=CUSTOM, safe_mode=False)
    rebuilt.set_weights(model.get_weights())
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


def test_safe_mode_refuses_a_lambda_by_default_and_says_why(tmp_path: Path):
    model = lambda_model()
    path = tmp_path / "m.numkeras"
    model.save(path)
    pattern = r"Lambda layer 'lambda.*runs the function '\w+'.*never saves code.*safe_mode=False"
    with pytest.raises(ModelFileError, match=pattern):
        load_model(path)
    with pytest.raises(ModelFileError, match=pattern):
        load_model(path, custom_objects=ALL)  # safe mode holds with the functions given
    with pytest.raises(ModelFileError, match=pattern):
        model_from_json(model.to_json(), custom_objects=ALL)


def test_every_function_named_must_be_in_custom_objects(tmp_path: Path):
    data = saved_bytes(lambda_model())
    with pytest.raises(ModelFileError, match=r"function '\w+', which is not in custom_objects"):
        load_model(io.BytesIO(data), safe_mode=False)
    missing_shape = {k: v for k, v in ALL.items() if k != "halves"}
    with pytest.raises(ModelFileError, match=r"'halves', which is not in custom_objects"):
        load_model(io.BytesIO(data), custom_objects=missing_shape, safe_mode=False)


@pytest.mark.parametrize("name", ["os.system", "__import__('os').system", "", 3, None])
def test_a_function_name_that_is_not_an_identifier_is_refused(name):
    def tamper(config):
        config["config"]["layers"][2]["config"]["function"] = name
        return config

    data = edited(saved_bytes(lambda_model()), config=tamper)
    with pytest.raises(ModelFileError, match=r"names the function .*not a Python identifier"):
        load_model(io.BytesIO(data), custom_objects={str(name): print, **ALL}, safe_mode=False)


def test_a_lambda_expression_is_refused_at_save_and_nothing_is_written(tmp_path: Path):
    model = Sequential([Input((3,)), Lambda(lambda x: x * 2, name="doubled")])
    path = tmp_path / "m.numkeras"
    with pytest.raises(TypeError, match=r"'doubled'.*lambda expression.*numkeras never does"):
        model.save(path)
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"previous")
    with pytest.raises(TypeError, match="lambda expression"):
        model.save(path)
    assert list(tmp_path.iterdir()) == [path] and path.read_bytes() == b"previous"


def test_enable_unsafe_deserialization_turns_safe_mode_off_for_later_loads(monkeypatch, keras):
    monkeypatch.setattr(backend, "_SAFE_MODE", True)
    assert inspect.signature(config.enable_unsafe_deserialization).parameters == (
        inspect.signature(keras.config.enable_unsafe_deserialization).parameters
    )
    data = saved_bytes(lambda_model())
    with pytest.raises(ModelFileError, match="safe_mode=False"):
        load_model(io.BytesIO(data), custom_objects=ALL)
    config.enable_unsafe_deserialization()
    # As in Keras 3, the global setting wins over the argument.
    assert load_model(io.BytesIO(data), custom_objects=ALL, safe_mode=True).built
    with pytest.raises(ModelFileError, match="not in custom_objects"):
        load_model(io.BytesIO(data))
