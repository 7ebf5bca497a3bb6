"""Lambda: Keras 3's arguments, the call, shapes, gradients, configs, and real Keras 3."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from numkeras import backend, ops, registry
from numkeras.layers import Dense, Input, Lambda
from numkeras.models import Model, Sequential
from numkeras.ops import Variable
from numkeras.optimizers import SGD
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3)).astype(np.float32)


def scaled_square(x, scale):
    """Written once for both libraries: tensor arithmetic works on either's tensors."""
    return scale * x * x - x


def scaled_tanh(x, scale=1.0):
    return ops.tanh(x) * scale


def first_two(input_shape):
    return (input_shape[0], 2)


def keep_mask(inputs, mask):
    return mask


def test_arguments_and_defaults_are_keras_3s(keras):
    ours = inspect.signature(Lambda.__init__).parameters
    theirs = inspect.signature(keras.layers.Lambda.__init__).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]
    backend.clear_session()  # layer names count from the start again
    layer = Lambda(scaled_square)
    assert (layer.name, layer.arguments, layer.mask, layer.supports_masking) == (
        "lambda",
        {},
        None,
        False,
    )


def test_call_passes_arguments_and_training_or_mask_where_the_function_names_them():
    out = Lambda(scaled_square, arguments={"scale": 2.0})(X)
    np.testing.assert_allclose(out.numpy(), 2 * X * X - X, rtol=1e-6)
    seen = []

    def record(x, training=None, mask=None):
        seen.append((training, mask))
        return x

    layer = Lambda(record)
    layer(X, training=True)
    layer(X, mask="m")
    assert seen == [(True, None), (None, "m")]


def test_output_shapes_given_computed_or_inferred_also_in_a_functional_model():
    inputs = Input((6,))
    assert Lambda(scaled_square, arguments={"scale": 1.0})(inputs).shape == (None, 6)
    assert Lambda(lambda x: x[:, :2], output_shape=(2,))(inputs).shape == (None, 2)
    assert Lambda(lambda x: x[:, :2], output_shape=first_two)(inputs).shape == (None, 2)
    halves = Lambda(lambda x: [x[:, :2], x[:, 2:]], output_shape=[(2,), (4,)])
    assert halves.compute_output_shape((5, 6)) == [(5, 2), (5, 4)]
    left, right = halves(inputs)
    model = Model(inputs, Dense(1)(ops.concatenate([left, right], axis=-1)))
    assert model(np.ones((3, 6), np.float32)).shape == (3, 1)


def test_compute_mask_applies_the_mask_function():
    assert Lambda(scaled_square).compute_mask(X, "m") is None
    layer = Lambda(scaled_square, mask=keep_mask)
    assert layer.supports_masking and layer.compute_mask(X, "m") == "m"


def test_gradients_flow_through_the_function():
    with backend.floatx_scope("float64"):
        layer = Lambda(scaled_tanh, arguments={"scale": 1.5})
        xv = Variable(rng.standard_normal((3, 4)))
        check_gradients(lambda: layer(xv), xv)
        dense = Dense(2)
        model = Sequential([Input((4,)), dense, Lambda(scaled_square, arguments={"scale": 0.5})])
        model(xv)
        check_gradients(lambda: model(xv), xv, *dense.trainable_weights)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_forward_and_one_sgd_step_equal_real_keras(keras):
    def program(lib):
        return lib.models.Sequential(
            [
                lib.layers.Input((3,)),
                lib.layers.Dense(4),
                lib.layers.Lambda(scaled_square, arguments={"scale": 0.5}),
                lib.layers.Dense(2),
            ]
        )

    import numkeras

    theirs, ours = program(keras), program(numkeras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), atol=1e-5)
    y = rng.standard_normal((4, 2)).astype(np.float32)
    theirs.compile(keras.optimizers.SGD(0.1), "mse")
    ours.compile(SGD(0.1), "mse")
    loss_theirs, loss_ours = theirs.train_on_batch(X, y), ours.train_on_batch(X, y)
    np.testing.assert_allclose(loss_ours, loss_theirs, rtol=1e-5, atol=1e-5)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)


def test_config_names_the_functions_and_rebuilds_from_custom_objects():
    layer = Lambda(
        scaled_tanh, output_shape=first_two, mask=keep_mask, arguments={"scale": 2.0}, name="fn"
    )
    config = layer.get_config()
    assert {k: config[k] for k in ("function", "output_shape", "mask", "arguments")} == {
        "function": "scaled_tanh",
        "output_shape": "first_two",
        "mask": "keep_mask",
        "arguments": {"scale": 2.0},
    }
    custom = {"scaled_tanh": scaled_tanh, "first_two": first_two, "keep_mask": keep_mask}
    rebuilt = Lambda.from_config(json.loads(json.dumps(config)), custom_objects=custom)
    assert rebuilt.get_config() == config and rebuilt.function is scaled_tanh
    with registry.custom_object_scope(custom):
        assert registry.deserialize({"class_name": "Lambda", "config": config}).mask is keep_mask
    shaped = Lambda(scaled_square, output_shape=[(2,), (None, 3)]).get_config()
    assert shaped["output_shape"] == [[2], [None, 3]]
    assert Lambda.from_config(shaped, {"scaled_square": scaled_square})._output_shape == [
        (2,),
        (None, 3),
    ]


def test_config_refuses_unnamed_functions_and_unknown_names():
    with pytest.raises(TypeError, match=r"Lambda layer 'anon'.*lambda expression.*def"):
        Lambda(lambda x: x, name="anon").get_config()
    with pytest.raises(TypeError, match=r"output_shape .*lambda expression"):
        Lambda(scaled_square, output_shape=lambda s: s).get_config()
    config = Lambda(scaled_square).get_config()
    with pytest.raises(ValueError, match=r"'scaled_square'.*custom_objects=\{'scaled_square'"):
        Lambda.from_config(config)
    with pytest.raises(ValueError, match=r"identifier.*function='os.system'"):
        Lambda.from_config({**config, "function": "os.system"}, {"os.system": print})


def test_bad_arguments_name_the_argument_and_value():
    with pytest.raises(TypeError, match=r"function must be a function. Received: function=3"):
        Lambda(3)
    with pytest.raises(TypeError, match=r"mask must be a function or None. Received: mask=1"):
        Lambda(scaled_square, mask=1)
    with pytest.raises(TypeError, match=r"arguments must be a dict.*arguments=\[1\]"):
        Lambda(scaled_square, arguments=[1])
    with pytest.raises(TypeError, match=r"output_shape=\(2, -1\)"):
        Lambda(scaled_square, output_shape=(2, -1))
