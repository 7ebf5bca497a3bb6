"""SimpleRNN, LSTM and GRU: equal to Keras 3 and to torch on the same weights, finite-difference
gradients, Keras's defaults and weight layouts, config round trips, symbolic shapes, refusals,
and an LSTM that learns MNIST read row by row."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conv_layers_support import round_trip
from keras_twin_support import KERAS_NUMPY2_WARNING, assert_twins_agree
from rnn_support import assert_layers_agree, check_layer_gradients

import numkeras
from numkeras import backend
from numkeras.layers import GRU, LSTM, Dense, Input, SimpleRNN
from numkeras.models import Model, Sequential
from numkeras.ops import Variable, concatenate
from numkeras.utils.gradient_check import check_gradients

X = np.random.default_rng(0).standard_normal((3, 5, 4)).astype(np.float32)

TWINS = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "go_backwards": True, "activation": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True}),
    ("LSTM", {"go_backwards": True, "use_bias": False}),
    ("GRU", {}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
    ("GRU", {"go_backwards": True, "return_sequences": True}),
]


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(("name", "kwargs"), TWINS)
def test_forward_and_one_sgd_step_equal_keras(keras, name, kwargs):
    assert_twins_agree(keras, lambda lib: [getattr(lib.layers, name)(3, **kwargs)], X)


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_return_state_and_initial_state_equal_keras(keras, name):
    theirs = getattr(keras.layers, name)(3, return_sequences=True, return_state=True)
    ours = getattr(numkeras.layers, name)(3, return_sequences=True, return_state=True)
    states = [np.full((3, 3), 0.1 * (k + 1), np.float32) for k in range(1 + (name == "LSTM"))]
    expected = theirs(X, initial_state=states)
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    got = ours(X, initial_state=states)
    assert len(got) == len(expected) == 1 + len(states)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), atol=1e-5)


def _torch_twin(name: str, layer: numkeras.layers.Layer) -> torch.nn.Module:
    """torch's nn.LSTM / nn.GRU on ``layer``'s weights: LSTM gates i, f, g, o are Keras's
    order; GRU's r, z, n are Keras's z, r, h reordered, and its two biases are Keras's
    reset_after bias rows."""
    kernel, recurrent_kernel, bias = (np.asarray(w, np.float32) for w in layer.get_weights())
    module = getattr(torch.nn, name)(kernel.shape[0], layer.units, batch_first=True)
    if name == "GRU":
        u = layer.units
        order = np.r_[u : 2 * u, 0:u, 2 * u : 3 * u]
        kernel, recurrent_kernel, bias = (
            kernel[:, order],
            recurrent_kernel[:, order],
            bias[:, order],
        )
        biases = bias
    else:
        biases = [bias, np.zeros_like(bias)]
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(biases[0])))
        module.bias_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(biases[1])))
    return module


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_forward_and_gradients_equal_torch(name):
    layer = getattr(numkeras.layers, name)(3, return_sequences=True, bias_initializer="he_normal")
    layer.build(X.shape)
    module = _torch_twin(name, layer)
    xv = Variable(X.copy())
    y = layer(xv)
    (y * y).sum().backward()
    xt = torch.from_numpy(X.copy()).requires_grad_()
    yt, _ = module(xt)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(np.asarray(xv.grad), xt.grad.numpy(), atol=1e-5)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SimpleRNN", {"return_state": True}),
        ("LSTM", {"return_state": True, "return_sequences": True}),
        ("LSTM", {"go_backwards": True, "unit_forget_bias": False}),
        ("GRU", {"return_sequences": True}),
        ("GRU", {"reset_after": False, "return_state": True}),
    ],
)
def test_finite_difference_gradients(name, kwargs):
    with backend.floatx_scope("float64"):
        layer = getattr(numkeras.layers, name)(2, bias_initializer="he_normal", **kwargs)
        xv = Variable(X[:2, :3].astype(np.float64))
        layer(xv)

        def flat():
            out = layer(xv)
            parts = out if isinstance(out, list) else [out]
            return concatenate([p.reshape((2, -1)) for p in parts], axis=1)

        check_gradients(flat, xv, *layer.trainable_weights)


def test_finite_difference_gradients_of_the_initial_state():
    with backend.floatx_scope("float64"):
        layer = LSTM(2)
        xv = Variable(X[:2, :3].astype(np.float64))
        h, c = Variable(np.full((2, 2), 0.3)), Variable(np.full((2, 2), -0.2))
        check_gradients(lambda: layer(xv, initial_state=[h, c]), xv, h, c)


def test_keras_weight_layouts_and_defaults():
    lstm, gru, gru2 = LSTM(5), GRU(5), GRU(5, reset_after=False)
    for layer in (lstm, gru, gru2):
        layer.build((None, 7, 3))
    assert [w.shape for w in lstm.get_weights()] == [(3, 20), (5, 20), (20,)]
    assert [w.shape for w in gru.get_weights()] == [(3, 15), (5, 15), (2, 15)]
    assert gru2.get_weights()[2].shape == (15,)
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    u = lstm.get_weights()[1][:, :5]
    config = lstm.get_config()
    assert config["recurrent_initializer"]["class_name"] == "OrthogonalInitializer"
    assert config["activation"] == "tanh" and config["recurrent_activation"] == "sigmoid"
    assert not config["return_sequences"] and gru.get_config()["reset_after"]
    assert np.isfinite(u).all()


@pytest.mark.parametrize(
    "layer",
    [
        SimpleRNN(4, activation="relu", go_backwards=True),
        LSTM(4, return_sequences=True, return_state=True, kernel_regularizer="l2"),
        GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", dropout=0.2, seed=1),
    ],
)
def test_config_round_trip(layer):
    round_trip(layer)


def test_symbolic_shapes_in_a_functional_model():
    inputs = Input((None, 4))
    seq, h, c = LSTM(6, return_sequences=True, return_state=True)(inputs)
    assert seq.shape == (None, None, 6) and h.shape == c.shape == (None, 6)
    last = GRU(3)(SimpleRNN(5, return_sequences=True)(seq))
    model = Model(inputs, [last, h])
    out, h_value = model.predict(X, verbose=0)
    assert out.shape == (3, 3) and h_value.shape == (3, 6)


def test_dropout_uses_one_mask_per_sequence_and_only_in_training():
    layer = SimpleRNN(3, dropout=0.5, seed=0, activation="linear", use_bias=False)
    x = np.ones((2, 4, 6), np.float32)
    np.testing.assert_allclose(layer(x, training=False).numpy(), layer(x).numpy())
    layer.set_weights([np.eye(6, 3, dtype=np.float32), np.zeros((3, 3), np.float32)])
    seq = SimpleRNN.from_config({**layer.get_config(), "return_sequences": True})
    seq.build(x.shape)
    seq.set_weights(layer.get_weights())
    out = seq(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))


def test_bad_initial_state_is_refused():
    with pytest.raises(ValueError, match=r"2 array\(s\) of shape \(3, 2\)"):
        LSTM(2)(X, initial_state=[np.zeros((3, 2), np.float32)])


def test_keras1_spellings_map_with_a_warning():
    with pytest.warns(UserWarning) as caught:
        layer = LSTM(
            output_dim=4, inner_activation="hard_sigmoid", dropout_W=0.2, consume_less="gpu"
        )
    assert [str(w.message).split("(")[0] for w in caught] == ["`LSTM"] * 4
    assert "use `LSTM(recurrent_activation=...)`" in str(caught[1].message)
    assert layer.units == 4 and layer.dropout == 0.2
    assert layer.get_config()["recurrent_activation"] == "hard_sigmoid"
    with pytest.warns(UserWarning, match=r"`GRU\(dropout_U=...\)`.*`GRU\(recurrent_dropout=...\)`"):
        assert GRU(4, dropout_U=0.5).recurrent_dropout == 0.5
    with pytest.warns(UserWarning, match=r"use `input_shape=\(28, 8\)`"):
        model = Sequential([SimpleRNN(4, input_dim=8, input_length=28)])
    assert model.layers[0].batch_input_shape == (None, 28, 8)
    with pytest.warns(UserWarning, match=r"use `LSTM\(unit_forget_bias=...\)`"):
        # Keras 1's forget gate bias initializer: 'one' is today's flag, anything else is not.
        assert not LSTM(2, forget_bias_init="zero").unit_forget_bias


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_float32_stays_float32(name):
    kwargs = {} if name == "SimpleRNN" else {"recurrent_activation": "hard_sigmoid"}
    layer = getattr(numkeras.layers, name)(3, **kwargs)
    xv = Variable(X)
    y = layer(xv)
    y.sum().backward()
    assert y.dtype == np.float32 and xv.grad.dtype == np.float32
    assert all(w.grad.dtype == np.float32 for w in layer.trainable_weights)


def test_an_lstm_reading_mnist_rows_learns_in_one_epoch():
    numkeras.utils.set_random_seed(0)
    (x, y), _ = numkeras.datasets.mnist.load_data(sample=True)
    x, y = x[:4000].astype(np.float32) / 255.0, y[:4000]
    model = Sequential([Input((28, 28)), LSTM(32), Dense(10, activation="softmax")])
    optimizer = numkeras.optimizers.Adam(0.01)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    before = model.evaluate(x, y, verbose=0)  # about ln 10 = 2.3
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before  # 0.72 here


def test_a_model_file_keeps_the_layers_and_their_weights(tmp_path):
    model = Sequential([Input((5, 4)), GRU(3, return_sequences=True), LSTM(2), Dense(1)])
    path = str(tmp_path / "rnn.numkeras")
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


#: Sample 0 ends early, sample 1 starts late, sample 2 skips a step in the middle.
MASK = np.ones((3, 5), bool)
MASK[0, 3:] = MASK[1, :2] = MASK[2, 2] = False


MASKED = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "go_backwards": True}),
    ("LSTM", {"return_sequences": True, "go_backwards": True}),
    ("LSTM", {"return_state": True}),
    ("GRU", {"return_state": True, "go_backwards": True}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
]


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(("name", "options"), MASKED)
def test_masked_sequences_equal_keras(keras, name, options):
    theirs = getattr(keras.layers, name)(3, **options)
    ours = getattr(numkeras.layers, name)(3, **options)
    assert_layers_agree(theirs, ours, X, mask=MASK)
    # The mask goes on with the sequence only; the states never carry one.
    output_mask = MASK if options.get("return_sequences") else None
    if options.get("return_state"):
        assert ours.compute_mask(X, MASK) == [output_mask] + [None] * (1 + (name == "LSTM"))
    else:
        assert ours.compute_mask(X, MASK) is output_mask


def _same_masks(theirs, ours, seed=0):
    """A callback that gives both cells the same dropout masks (Keras's cached ones)."""
    count = ours.cell.dropout_mask_count
    rng = np.random.default_rng(seed)

    def draw(rate, shape):
        masks = [(rng.random(shape) >= rate).astype(np.float32) / (1 - rate) for _ in range(count)]
        return masks[0] if count == 1 else masks

    dropout = draw(ours.dropout, (X.shape[0], X.shape[2])) if ours.dropout else None
    recurrent = draw(ours.recurrent_dropout, (X.shape[0], 3)) if ours.recurrent_dropout else None

    def prepare():
        for cell in (theirs.cell, ours.cell):
            cell._dropout_mask, cell._recurrent_dropout_mask = dropout, recurrent

    return prepare


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("SimpleRNN", {"recurrent_dropout": 0.4, "dropout": 0.3}),
        ("LSTM", {"recurrent_dropout": 0.4, "return_sequences": True}),
        ("LSTM", {"recurrent_dropout": 0.4, "dropout": 0.3, "return_state": True}),
        ("LSTM", {"dropout": 0.3}),
        ("GRU", {"recurrent_dropout": 0.4, "dropout": 0.3, "return_sequences": True}),
        ("GRU", {"recurrent_dropout": 0.4, "reset_after": False}),
    ],
)
def test_dropout_in_training_equals_keras_on_the_same_masks(keras, name, options):
    theirs = getattr(keras.layers, name)(3, **options)
    ours = getattr(numkeras.layers, name)(3, **options)
    prepare = _same_masks(theirs, ours)
    assert_layers_agree(theirs, ours, X, prepare, mask=MASK, training=True)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("SimpleRNN", {"return_sequences": True, "recurrent_dropout": 0.5}),
        ("LSTM", {"return_state": True, "recurrent_dropout": 0.5, "dropout": 0.2}),
        ("GRU", {"go_backwards": True, "recurrent_dropout": 0.5}),
        ("GRU", {"reset_after": False, "return_sequences": True, "dropout": 0.2}),
    ],
)
def test_finite_difference_gradients_with_a_mask_and_fixed_dropout_masks(name, options):
    def fix_masks(layer):
        cell = layer.cell
        rng = np.random.default_rng(2)
        count = cell.dropout_mask_count

        def draw(rate, shape):
            masks = [(rng.random(shape) >= rate) / (1 - rate) for _ in range(count)]
            return masks[0] if count == 1 else masks

        cell._dropout_mask = draw(cell.dropout, (2, 3)) if cell.dropout else None
        cell._recurrent_dropout_mask = draw(cell.recurrent_dropout, (2, 2))

    check_layer_gradients(
        lambda: getattr(numkeras.layers, name)(2, bias_initializer="he_normal", **options),
        X[:2, :4, :3],
        fix_masks,
        mask=MASK[:2, :4],
        training=True,
    )


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_stateful_equals_keras_between_calls_and_after_reset(keras):
    theirs, ours = keras.layers.LSTM(3, stateful=True), LSTM(3, stateful=True)
    theirs.build(X.shape)
    ours.build(X.shape)
    ours.set_weights(theirs.get_weights())
    for _ in range(2):
        np.testing.assert_allclose(ours(X).numpy(), np.asarray(theirs(X)), atol=1e-6)
    theirs.reset_state()
    ours.reset_state()
    np.testing.assert_allclose(ours(X).numpy(), np.asarray(theirs(X)), atol=1e-6)


def test_the_layers_are_rnn_over_their_cell():
    layer = GRU(4, recurrent_activation="hard_sigmoid", reset_after=False, dropout=0.1, seed=2)
    assert isinstance(layer, numkeras.layers.RNN) and isinstance(
        layer.cell, numkeras.layers.GRUCell
    )
    assert layer.units == 4 and layer.dropout == 0.1 and layer.seed == 2 and not layer.reset_after
    assert layer.recurrent_activation is layer.cell.recurrent_activation
    layer.build((None, 5, 3))
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.kernel is layer.cell.kernel and layer.bias.shape == (12,)
    config = layer.get_config()
    assert "cell" not in config and config["zero_output_for_mask"] is False
    assert {"units", "reset_after", "recurrent_activation", "seed", "return_state"} <= set(config)
    assert LSTM(2).unit_forget_bias and SimpleRNN(2).cell.state_size == 2


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_the_mask_of_an_embedding_reaches_the_layer_as_in_keras(keras, name):
    ids = np.array([[3, 1, 4, 0, 0], [0, 0, 5, 9, 2], [6, 5, 0, 5, 8]], np.float32)
    assert_twins_agree(
        keras,
        lambda lib: [
            lib.layers.Embedding(10, 4, mask_zero=True),
            getattr(lib.layers, name)(3, go_backwards=True),
        ],
        ids,
    )
