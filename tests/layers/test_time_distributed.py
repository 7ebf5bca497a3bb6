"""TimeDistributed: the wrapped layer on every time step with shared weights, its gradients,
symbolic shapes, nested config, and Keras 3 parity with Dense and Conv2D inside."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conv_layers_support import gradcheck_layer, round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree

import numkeras
from numkeras.layers import Conv2D, Dense, Dropout, Input, TimeDistributed

X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)


def test_applies_the_layer_to_every_step_with_one_set_of_weights():
    layer = TimeDistributed(Dense(5))
    out = layer(X).data
    assert out.shape == (2, 3, 5)
    assert len(layer.weights) == 2  # the Dense's kernel and bias, shared by the steps
    for t in range(3):
        np.testing.assert_allclose(out[:, t], layer.layer(X[:, t]).data, rtol=1e-6)


def test_passes_training_on():
    layer = TimeDistributed(Dropout(0.5))
    np.testing.assert_array_equal(layer(X, training=False).data, X)
    assert (layer(X, training=True).data == 0).any()


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda: TimeDistributed(Dense(3, activation="tanh")), X),
        (lambda: TimeDistributed(Conv2D(2, 2)), np.ones((2, 2, 3, 3, 1)) * 0.3),
    ],
)
def test_gradients(make, x):
    x = x + np.random.default_rng(1).standard_normal(x.shape) * 0.1
    gradcheck_layer(make, x)


def test_symbolic_shapes():
    assert TimeDistributed(Dense(6))(Input((None, 4))).shape == (None, None, 6)
    conv = TimeDistributed(Conv2D(2, 3))
    assert conv(Input((5, 8, 8, 1))).shape == (None, 5, 6, 6, 2)
    assert conv.compute_output_shape((4, 5, 8, 8, 1)) == (4, 5, 6, 6, 2)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="layer="):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match=r"rank 3 or more.*\(2, 4\)"):
        TimeDistributed(Dense(2))(np.ones((2, 4), np.float32))


def test_config_nests_the_wrapped_layer():
    rebuilt = round_trip(TimeDistributed(Dense(4, activation="relu")))
    assert isinstance(rebuilt.layer, Dense)
    assert (rebuilt.layer.units, rebuilt.layer.activation) == (4, numkeras.activations.relu)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_forward_and_one_sgd_step_match_keras(keras):
    assert_twins_agree(keras, lambda lib: [lib.layers.TimeDistributed(lib.layers.Dense(3))], X)
    frames = np.random.default_rng(2).standard_normal((2, 3, 5, 5, 1)).astype(np.float32)
    assert_twins_agree(
        keras, lambda lib: [lib.layers.TimeDistributed(lib.layers.Conv2D(2, 3))], frames
    )


def test_model_saves_and_loads(tmp_path):
    model = numkeras.Sequential([Input((3, 4)), TimeDistributed(Dense(2))])
    path = tmp_path / "time_distributed.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


class _MaskReader(numkeras.layers.Layer):
    """Records the mask its call receives."""

    supports_masking = True

    def call(self, inputs, mask=None):
        self.seen = mask
        return inputs


def test_passes_the_mask_on_and_folds_it_for_a_wrapped_layer_that_takes_one():
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    embedded = numkeras.layers.Embedding(4, 2, mask_zero=True)(ids)
    reader = _MaskReader()
    out = TimeDistributed(reader)(embedded)
    assert out._keras_mask.data.tolist() == (ids != 0).tolist()
    assert reader.seen.data.tolist() == (ids != 0).reshape(-1).tolist()
    assert TimeDistributed(Dense(2))(embedded)._keras_mask.data.tolist() == (ids != 0).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a wrapped layer that takes no mask is given none
        TimeDistributed(numkeras.layers.Flatten())(embedded)
    with pytest.raises(ValueError, match=r"mask shaped \(batch, time, ...\) = \(2, 3, ...\)"):
        TimeDistributed(Dense(2))(embedded, mask=np.ones((2, 2), bool))
