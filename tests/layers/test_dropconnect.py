"""DropConnect: a Dense layer whose weights, not units, are dropped while training."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from numkeras import backend, registry
from numkeras.layers import Dense, Input
from numkeras.layers.dropconnect import DropConnect
from numkeras.models import Sequential
from numkeras.ops import Variable
from numkeras.utils import to_categorical
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 5)).astype(np.float32)


def built(rate: float = 0.5, **kwargs) -> DropConnect:
    layer = DropConnect(4, rate=rate, **kwargs)
    layer(X, training=False)
    return layer


def test_inference_is_the_plain_dense_layer():
    layer = built(activation="relu")
    dense = Dense(4, activation="relu")
    dense(X)
    dense.set_weights(layer.get_weights())
    for training in (False, None):
        np.testing.assert_array_equal(layer(X, training=training).data, dense(X).data)


def test_training_uses_the_masked_kernel(monkeypatch):
    layer = built(rate=0.5, activation="tanh", bias_initializer="ones")
    mask = (rng.random((5, 4)) < 0.5).astype(np.float32) * 2
    monkeypatch.setattr(layer, "_mask", lambda: mask)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(
        layer(X, training=True).data, np.tanh(X @ (kernel * mask) + bias), rtol=1e-5
    )


def test_masks_drop_rate_of_the_weights_and_scale_the_rest():
    layer = DropConnect(400, rate=0.3)
    layer(np.zeros((1, 500), np.float32))
    mask = layer._mask()
    assert mask.shape == (500, 400) and mask.dtype == np.float32
    np.testing.assert_allclose(np.unique(mask), [0, 1 / 0.7], rtol=1e-6)
    assert (mask == 0).mean() == pytest.approx(0.3, abs=0.01)


def test_a_new_mask_every_batch_shared_by_its_samples():
    layer = built(rate=0.5, use_bias=False)
    same = np.repeat(X[:1], 3, axis=0)
    out = layer(same, training=True).data
    np.testing.assert_array_equal(out, np.repeat(out[:1], 3, axis=0))  # one mask per batch
    assert not np.array_equal(out, layer(same, training=True).data)  # a new one next batch


def test_dropped_weights_get_no_gradient(monkeypatch):
    layer = built(rate=0.5)
    mask = (rng.random((5, 4)) < 0.5).astype(np.float32) * 2
    monkeypatch.setattr(layer, "_mask", lambda: mask)
    layer(X, training=True).sum().backward()
    np.testing.assert_array_equal(layer.kernel.grad[mask == 0], 0)
    np.testing.assert_allclose(layer.kernel.grad, X.sum(axis=0)[:, None] * mask, rtol=1e-5)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid"])
def test_gradients_with_a_fixed_mask(activation):
    with backend.floatx_scope("float64"):
        layer = DropConnect(3, rate=0.4, activation=activation, bias_initializer="uniform")
        x = Variable(np.random.default_rng(1).standard_normal((4, 5)) + 0.3)
        layer(x)
        mask = (np.random.default_rng(2).random((5, 3)) >= 0.4) / 0.6
        layer._mask = lambda: mask
        check_gradients(lambda: layer(x, training=True), x, *layer.trainable_weights)


def test_seed_and_set_random_seed_reproduce_masks():
    assert np.array_equal(built(seed=3)._mask(), built(seed=3)._mask())
    backend.set_random_seed(5)
    first = built()._mask()
    backend.set_random_seed(5)
    assert np.array_equal(first, built()._mask())


def test_rate_zero_is_dense_in_training():
    layer = built(rate=0.0)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(layer(X, training=True).data, X @ kernel + bias, rtol=1e-6)


def test_config_round_trip_and_legacy_names():
    layer = DropConnect(7, rate=0.25, activation="relu", seed=1, kernel_initializer="he_normal")
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert config["rate"] == 0.25 and config["units"] == 7 and config["seed"] == 1
    rebuilt = registry.deserialize({"class_name": "DropConnect", "config": config})
    assert isinstance(rebuilt, DropConnect) and rebuilt.get_config() == config
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = DropConnect(output_dim=3, p=0.2)
    assert (old.units, old.rate) == (3, 0.2) and len(record) == 2


@pytest.mark.parametrize("rate", [1.0, -0.1, "half", True])
def test_bad_rate_is_named(rate):
    with pytest.raises(ValueError, match="rate must be a number in \\[0, 1\\)"):
        DropConnect(4, rate=rate)


def test_trains_in_a_model():
    r = np.random.default_rng(3)
    x = r.standard_normal((256, 10)).astype(np.float32)
    y = to_categorical((x[:, :5].sum(axis=1) > 0).astype(int), 2)
    model = Sequential(
        [Input((10,)), DropConnect(32, rate=0.3, activation="relu"), Dense(2, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] > 0.85
