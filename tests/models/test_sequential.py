import numpy as np
import pytest

from numkeras import ops
from numkeras.layers import Activation, Dense, Dropout, Flatten, Input
from numkeras.models import Model, Sequential


def course_network() -> Sequential:
    model = Sequential()
    model.add(Dense(500, input_shape=(784,)))
    model.add(Activation("relu"))
    model.add(Dense(500))
    model.add(Activation("relu"))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


def test_course_network_has_kerass_parameter_count():
    model = course_network()
    assert model.built
    assert model.count_params() == 648_010
    assert [l.count_params() for l in model.layers] == [392_500, 0, 250_500, 0, 5_010, 0]


def test_summary_prints_kerass_table(capsys):
    course_network().summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential' in out
    assert "Layer (type)" in out and "Output Shape" in out and "Param #" in out
    assert "(None, 500)" in out and "392,500" in out
    assert " Total params: 648,010 (2.47 MB)" in out
    assert " Trainable params: 648,010 (2.47 MB)" in out
    assert " Non-trainable params: 0 (0.00 B)" in out


def test_summary_of_unbuilt_model_says_how_to_build(capsys):
    model = Sequential([Dense(3), Dense(2)])
    model.summary()
    out = capsys.readouterr().out
    assert "0 (unbuilt)" in out and "not built yet" in out


def test_layers_list_constructor_input_and_add_pop():
    model = Sequential([Input(shape=(4,)), Dense(3, name="first"), Dense(2)])
    assert [l.name for l in model.layers][0] == "first"
    assert model.get_layer("first") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    popped = model.pop()
    assert isinstance(popped, Dense) and len(model.layers) == 1
    with pytest.raises(ValueError, match="No layer named 'missing'"):
        model.get_layer("missing")


def test_add_rejects_what_is_not_a_layer():
    with pytest.raises(TypeError, match="layer instance"):
        Sequential().add("dense")


def test_add_with_misfitting_shape_names_layer_and_shapes():
    model = Sequential([Input(shape=(28, 28)), Flatten(), Dense(10)])
    assert model.layer_output_shapes == [(None, 784), (None, 10)]
    built = Dense(5, name="built")
    built.build((None, 784))
    model = Sequential([Input(shape=(785,))])
    with pytest.raises(
        ValueError,
        match=r"layer 'built'.*Expected shape \(None, 784\), "
        r"received shape \(None, 785\)",
    ):
        model.add(built)
    assert model.layers == []


def test_build_from_data_when_no_input_shape():
    model = Sequential([Dense(3), Dense(2)])
    assert not model.built
    model.build((None, 4))
    assert model.built and model.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_get_set_weights_roundtrip_and_errors():
    model = course_network()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(784, 500), (500,), (500, 500), (500,), (500, 10), (10,)]
    other = course_network()
    other.set_weights(weights)
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))


def test_config_roundtrip_rebuilds_same_architecture():
    model = course_network()
    clone = Sequential.from_config(model.get_config())
    assert [type(l).__name__ for l in clone.layers] == [type(l).__name__ for l in model.layers]
    assert clone.count_params() == 648_010


def test_sequential_nests_inside_functional_model():
    inner = Sequential([Dense(4, input_shape=(3,), activation="relu")])
    inputs = Input(shape=(3,))
    outputs = Dense(2)(inner(inputs))
    model = Model(inputs, outputs)
    x = np.ones((2, 3), np.float32)
    assert model.predict(x, verbose=0).shape == (2, 2)


def test_call_on_tensor_records_gradients_for_every_weight():
    model = Sequential([Dense(4, input_shape=(3,), activation="tanh"), Dropout(0.5), Dense(1)])
    out = model(np.ones((2, 3), np.float32), training=True)
    ops.sum(out).backward()
    assert all(w.grad is not None and w.grad.shape == w.shape for w in model.trainable_weights)
