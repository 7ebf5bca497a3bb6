"""Embedding: row lookup, its gradient (repeated ids accumulate), Keras 3 parity, masks, Keras 1
spellings, and a small sequence model that trains and saves."""

from __future__ import annotations

import numpy as np
import pytest
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

import numkeras
from numkeras import backend
from numkeras.layers import Dense, Embedding, GlobalAveragePooling1D, Input
from numkeras.utils.gradient_check import check_gradients

IDS = np.array([[1, 2, 2, 0], [4, 1, 1, 1]])


def test_looks_up_rows_for_ids_of_any_shape():
    layer = Embedding(5, 3)
    table = np.arange(15, dtype=np.float32).reshape(5, 3)
    layer.build((None, 4))
    layer.set_weights([table])
    np.testing.assert_array_equal(layer(IDS).data, table[IDS])
    np.testing.assert_array_equal(layer(np.array(3)).data, table[3])
    cube = IDS.reshape(2, 2, 2)
    assert layer(cube).shape == (2, 2, 2, 3)
    # Float ids are cast to integers, as Keras does.
    np.testing.assert_array_equal(layer(IDS.astype(np.float32)).data, table[IDS])


def test_keras_defaults():
    layer = Embedding(1000, 8)
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["minval"] == -0.05
    assert config["embeddings_initializer"]["config"]["maxval"] == 0.05
    assert config["mask_zero"] is False and config["embeddings_regularizer"] is None
    layer.build((None, 2))
    weights = layer.get_weights()[0]
    assert weights.shape == (1000, 8) and np.abs(weights).max() <= 0.05


@pytest.mark.parametrize("ids", [np.array([[0, 5]]), np.array([[-1, 2]])])
def test_out_of_range_ids_are_refused(ids):
    with pytest.raises(IndexError, match=r"input_dim=5"):
        Embedding(5, 2)(ids)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_dim": 0, "output_dim": 2}, "input_dim"),
        ({"input_dim": 3, "output_dim": 2.5}, "output_dim"),
        ({"input_dim": 3, "output_dim": 2, "lora_rank": 4}, "lora_rank"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Embedding(**kwargs)


def test_gradient_accumulates_over_repeated_ids():
    with backend.floatx_scope("float64"):
        layer = Embedding(6, 3)
        layer(IDS)
        check_gradients(lambda: layer(IDS), layer.embeddings)
        layer.embeddings.grad = None  # the check left its own gradient there
        layer(IDS).sum().backward()
        counts = np.bincount(IDS.ravel(), minlength=6)
        np.testing.assert_allclose(layer.embeddings.grad, np.repeat(counts[:, None], 3, axis=1))


def test_compute_mask_marks_the_padding_id():
    ids = np.array([[3, 0, 2], [0, 0, 1]])
    np.testing.assert_array_equal(Embedding(4, 2, mask_zero=True).compute_mask(ids).data, ids != 0)
    assert Embedding(4, 2).compute_mask(ids) is None


def test_symbolic_shape_and_config_round_trip():
    layer = Embedding(7, 3, mask_zero=True, embeddings_regularizer="l2")
    assert layer(Input((4,))).shape == (None, 4, 3)
    assert layer.compute_output_shape((None, 2, 5)) == (None, 2, 5, 3)
    rebuilt = round_trip(layer)
    assert (rebuilt.input_dim, rebuilt.output_dim, rebuilt.mask_zero) == (7, 3, True)


def test_keras1_spellings_map_with_a_warning():
    with pytest.warns(UserWarning) as caught:
        layer = Embedding(10, 4, input_length=6, init="normal", W_regularizer="l2")
    messages = " ".join(str(w.message) for w in caught)
    assert "input_length" in messages and "embeddings_initializer" in messages
    assert layer.batch_input_shape == (None, 6)
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomNormal"
    assert layer.embeddings_regularizer is not None


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
# Keras warns that its Flatten drops the mask; the outputs compared do not depend on it.
@pytest.mark.filterwarnings("ignore:.*does not support masking")
def test_forward_and_one_sgd_step_match_keras(keras):
    x = np.random.default_rng(0).integers(0, 9, size=(4, 5)).astype(np.int32)
    assert_twins_agree(keras, lambda lib: [lib.layers.Embedding(9, 3)], x)
    assert_twins_agree(
        keras,
        lambda lib: [
            lib.layers.Embedding(9, 4, mask_zero=True),
            lib.layers.Flatten(),
            lib.layers.Dense(2),
        ],
        x,
    )


def test_sequence_model_trains_and_saves(tmp_path):
    numkeras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    # The label says whether a sequence holds more "positive" tokens (ids below 10) than not.
    x = rng.integers(1, 20, size=(256, 12))
    y = ((x < 10).sum(axis=1) > 6).astype(np.float32)
    model = numkeras.Sequential(
        [Input((12,)), Embedding(20, 8), GlobalAveragePooling1D(), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=numkeras.optimizers.Adam(0.01), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    path = tmp_path / "embedding.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
