"""BatchNormalization: training and inference formulas against PyTorch, the moving statistics,
gradients, non-trainable weights in summary(), Keras defaults, errors, configs.
LayerNormalization, GroupNormalization, UnitNormalization: forward and one SGD step against
Keras 3, gradients, symbolic shapes, errors, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conv_layers_support import gradcheck_layer, round_trip

from numkeras.layers import Dense, Input
from numkeras.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from numkeras.models import Model, Sequential
from numkeras.optimizers import SGD

rng = np.random.default_rng(0)


def _random_params(layer: BatchNormalization) -> None:
    c = layer.moving_mean.shape[0]
    layer.set_weights(
        [
            rng.uniform(0.5, 2, c),
            rng.standard_normal(c),
            rng.standard_normal(c),
            rng.uniform(0.5, 2, c),
        ]
    )


@pytest.mark.parametrize("shape, axis", [((8, 4, 4, 3), -1), ((8, 3, 4, 4), 1), ((16, 5), -1)])
@pytest.mark.parametrize("training", [True, False])
def test_values_match_torch(shape, axis, training):
    layer = BatchNormalization(axis=axis)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    layer(x)
    _random_params(layer)
    gamma, beta, mean, var = (w.astype(np.float64) for w in layer.get_weights())
    out = layer(x, training=training).numpy()
    channels_first = np.moveaxis(x, axis, 1).astype(np.float64)
    expected = F.batch_norm(
        torch.from_numpy(channels_first),
        torch.from_numpy(mean),
        torch.from_numpy(var),
        torch.from_numpy(gamma),
        torch.from_numpy(beta),
        training=training,
        eps=1e-3,
    ).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.moveaxis(expected, 1, axis), rtol=1e-4, atol=1e-5)


def test_moving_statistics_follow_the_batches_in_place():
    layer = BatchNormalization(momentum=0.9)
    x = (rng.standard_normal((64, 3, 3, 2)) * 2 + 5).astype(np.float32)
    layer(x)
    moving_mean, moving_var = layer.moving_mean.data, layer.moving_variance.data
    layer(x, training=True)
    batch_mean, batch_var = x.reshape(-1, 2).mean(0), x.reshape(-1, 2).var(0)  # biased, as Keras
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * batch_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * batch_var, rtol=1e-5)
    assert layer.moving_mean.data is moving_mean and layer.moving_variance.data is moving_var
    before = layer.get_weights()
    layer(x)
    layer(x, training=False)
    for a, b in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_inference_uses_the_moving_statistics():
    layer = BatchNormalization(epsilon=0.01)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer(x)
    _random_params(layer)
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_allclose(
        layer(x).numpy(), gamma * (x - mean) / np.sqrt(var + 0.01) + beta, rtol=1e-5, atol=1e-6
    )


def test_frozen_layer_runs_in_inference_mode():
    layer = BatchNormalization()
    x = (rng.standard_normal((10, 3)) + 4).astype(np.float32)
    layer(x)
    layer.trainable = False
    before = layer.get_weights()
    np.testing.assert_allclose(layer(x, training=True).numpy(), layer(x).numpy())
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before[2])


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({}, (4, 2, 2, 3)),
        ({"axis": 1}, (4, 3, 2, 2)),
        ({"center": False}, (6, 3)),
        ({"scale": False}, (6, 3)),
    ],
)
@pytest.mark.parametrize("training", [True, False])
def test_gradients(kwargs, shape, training):
    def make():
        layer = BatchNormalization(
            gamma_initializer="random_normal",
            beta_initializer="random_normal",
            moving_mean_initializer="random_normal",
            **kwargs,
        )
        return layer

    gradcheck_layer(make, rng.standard_normal(shape) * 2 + 1, training=training)


def test_weights_and_keras_defaults():
    layer = BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon, layer.center, layer.scale) == (
        -1,
        0.99,
        1e-3,
        True,
        True,
    )
    layer(np.zeros((2, 5, 5, 4), np.float32))
    assert [w.name.split("/")[-1] for w in layer.weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == [
        "moving_mean",
        "moving_variance",
    ]
    gamma, beta, mean, var = layer.get_weights()
    assert (gamma == 1).all() and (beta == 0).all() and (mean == 0).all() and (var == 1).all()
    bare = BatchNormalization(center=False, scale=False)
    bare(np.zeros((2, 4), np.float32))
    assert len(bare.weights) == 2 and bare.trainable_weights == []


def test_summary_shows_the_moving_statistics_as_non_trainable(capsys):
    model = Sequential([Input((10,)), Dense(8), BatchNormalization()])
    model.summary()
    out = capsys.readouterr().out
    assert " Trainable params: 104 " in out  # 10·8 + 8 + γ 8 + β 8
    assert " Non-trainable params: 16 " in out  # moving mean and variance


def test_fit_updates_the_moving_statistics_and_not_through_the_optimizer():
    model = Sequential([Input((3,)), BatchNormalization(momentum=0.5)])
    model.compile("sgd", "mse")
    x = (rng.standard_normal((64, 3)) + 5).astype(np.float32)
    model.fit(x, np.zeros_like(x), batch_size=16, epochs=3, verbose=0)
    layer = model.layers[-1]
    np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(0), atol=0.4)
    assert len(model.trainable_weights) == 2


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="synchronized='yes'"):
        BatchNormalization(synchronized="yes")
    with pytest.raises(ValueError, match="momentum=1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon=-1"):
        BatchNormalization(epsilon=-1)
    with pytest.raises(ValueError, match=r"'bn'.*axis=3.*\(2, 4\)"):
        BatchNormalization(axis=3, name="bn")(np.zeros((2, 4), np.float32))
    layer = BatchNormalization(name="bn2")
    layer(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'bn2'.*\(None, 4\).*\(2, 5\)"):
        layer(np.zeros((2, 5), np.float32))


def test_config_round_trips():
    round_trip(
        BatchNormalization(
            axis=1,
            momentum=0.9,
            epsilon=1e-5,
            center=False,
            gamma_regularizer="l2",
            beta_constraint="non_neg",
        )
    )


# -- LayerNormalization, GroupNormalization, UnitNormalization ---------------------------------
NEW_LAYERS = [
    ("LayerNormalization", {}, (6, 5)),
    ("LayerNormalization", {"axis": [1, 2]}, (4, 3, 5)),
    ("LayerNormalization", {"axis": 1, "epsilon": 0.1}, (4, 3, 5)),
    ("LayerNormalization", {"center": False}, (4, 3, 5)),
    ("LayerNormalization", {"rms_scaling": True}, (6, 5)),
    ("GroupNormalization", {"groups": 2}, (4, 3, 3, 6)),
    ("GroupNormalization", {"groups": -1, "axis": 1}, (4, 3, 5)),
    ("GroupNormalization", {"groups": 3, "scale": False}, (4, 6)),
    ("UnitNormalization", {}, (6, 5)),
    ("UnitNormalization", {"axis": [1, 2]}, (4, 3, 5)),
]
_CLASSES = {
    cls.__name__: cls for cls in (LayerNormalization, GroupNormalization, UnitNormalization)
}


def _models(keras, name, kwargs, shape):
    """The same one-layer functional model in numkeras and Keras, with random weights shared."""
    ours = _CLASSES[name](**kwargs)
    inputs = Input(shape[1:])
    model = Model(inputs, ours(inputs))
    theirs = getattr(keras.layers, name)(**kwargs)
    k_inputs = keras.Input(shape[1:])
    k_model = keras.Model(k_inputs, theirs(k_inputs))
    weights = [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return model, k_model


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("name, kwargs, shape", NEW_LAYERS)
def test_forward_and_one_sgd_step_match_keras(keras, name, kwargs, shape):
    model, k_model = _models(keras, name, kwargs, shape)
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    y = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5
    )
    model.compile(SGD(0.1), "mse")
    k_model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    k_model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5
    )


@pytest.mark.parametrize("name, kwargs, shape", NEW_LAYERS)
def test_new_layers_gradients(name, kwargs, shape):
    layer = gradcheck_layer(lambda: _CLASSES[name](**kwargs), rng.standard_normal(shape) * 2 + 1)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])


def test_layer_normalization_formula_and_keras_defaults():
    layer = LayerNormalization()
    assert (layer.axis, layer.epsilon, layer.center, layer.scale, layer.rms_scaling) == (
        -1,
        1e-3,
        True,
        True,
        False,
    )
    x = rng.standard_normal((3, 4)).astype(np.float32)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(layer(x).numpy(), (x - mean) / np.sqrt(var + 1e-3), atol=1e-6)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma", "beta"]
    rms = LayerNormalization(rms_scaling=True)
    rms(x)
    assert [w.name.split("/")[-1] for w in rms.weights] == ["gamma"]


def test_group_normalization_with_one_group_is_layer_normalization_over_all_features():
    x = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    grouped = GroupNormalization(groups=1)(x).numpy()
    whole = LayerNormalization(axis=[1, 2, 3])(x).numpy()
    np.testing.assert_allclose(grouped, whole, atol=1e-5)
    assert GroupNormalization().groups == 32


def test_unit_normalization_keeps_zero_vectors_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(UnitNormalization()(x).numpy(), [[0.6, 0.8], [0.0, 0.0]])


def test_new_layers_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"groups=4 must divide the 6 channels"):
        GroupNormalization(groups=4)(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="epsilon=-1"):
        LayerNormalization(epsilon=-1)
    with pytest.raises(TypeError, match="axis='last'"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"'ln'.*axis=0.*\(2, 4\)"):
        LayerNormalization(axis=0, name="ln")(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'un'.*axis=\[2\]"):
        UnitNormalization(axis=[2], name="un")(np.zeros((2, 4), np.float32))


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("name, kwargs, shape", NEW_LAYERS)
def test_new_layers_configs_round_trip(name, kwargs, shape):
    layer = _CLASSES[name](**kwargs, name="norm")
    round_trip(layer)
    layer(np.zeros(shape, np.float32))
    assert round_trip(layer).get_config() == layer.get_config()
