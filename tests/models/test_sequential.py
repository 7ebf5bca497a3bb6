import numpy as np
import pytest

import numkeras
from numkeras import ops
from numkeras.layers import Activation, Dense, Dropout, Flatten, Input
from numkeras.models import Model, Sequential, load_model


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


# -- the graph of a Sequential model (Keras 3: a Sequential that knows its input is functional)


@pytest.fixture(params=["numkeras", "keras"])
def library(request):
    return numkeras if request.param == "numkeras" else request.getfixturevalue("keras")


# Keras warns when a one-input model is given its input bare, as the guide does.
@pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
def test_feature_extraction_from_every_layer_as_in_the_guide(library):
    # keras.io's "The Sequential model", feature extraction: a model of every layer's output.
    model = library.Sequential(
        [library.Input(shape=(3,)), library.layers.Dense(4), library.layers.Dense(2)]
    )
    extractor = library.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(1).random((5, 3), dtype=np.float32)
    hidden, out = (np.asarray(f) for f in extractor(x))
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(hidden, x @ kernel + bias, rtol=1e-5)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-5)


def assert_one_chain(model: Sequential) -> None:
    """Each layer has one node, called on the output of the layer before it, and the model's
    inputs and outputs are the chain's ends."""
    assert all(len(layer._inbound_nodes) == 1 for layer in model.layers)
    previous = model.inputs[0]
    for layer in model.layers:
        # The node, not layer.input: a model's input is its own, as Keras's Functional.input.
        (node,) = layer._inbound_nodes
        assert node.inputs == [previous]
        (previous,) = node.outputs
    assert model.outputs == [previous]


def with_input() -> Sequential:
    return Sequential([Input(shape=(4,)), Dense(3), Dense(2)])


def with_input_shape() -> Sequential:
    return Sequential([Dense(3, input_shape=(4,)), Dense(2)])


def built_by_build() -> Sequential:
    model = Sequential([Dense(3), Dense(2)])
    model.build((None, 4))
    return model


def built_by_fit() -> Sequential:
    model = Sequential([Dense(3), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 4), np.float32), np.ones((8, 2), np.float32), verbose=0)
    return model


def built_by_a_call() -> Sequential:
    model = Sequential([Dense(3), Dense(2)])
    model(np.ones((2, 4), np.float32))
    return model


@pytest.mark.parametrize(
    "make", [with_input, with_input_shape, built_by_build, built_by_fit, built_by_a_call]
)
def test_every_way_of_building_gives_each_layer_its_node(make):
    model = make()
    assert_one_chain(model)
    assert model.inputs[0].shape == (None, 4) and model.outputs[0].shape == (None, 2)
    assert model.inputs[0] is model.inputs[0]  # stable, not made anew on each access
    assert model.layer_output_shapes == [(None, 3), (None, 2)]


def test_the_given_input_is_the_models_input():
    entry = Input(shape=(4,))
    model = Sequential([entry, Dense(2)])
    assert model.inputs == [entry]


def test_add_extends_the_chain_and_pop_shortens_it():
    model = with_input()
    first, second = model.layers
    third = Dense(5)
    model.add(third)
    assert_one_chain(model)
    assert second.output is third.input and model.outputs == [third.output]
    assert model.pop() is third and third._inbound_nodes == []
    assert_one_chain(model)
    model.pop()
    assert second._inbound_nodes == [] and model.outputs == [first.output]
    model.add(second)  # a popped layer can be added again: it gets one node, not two
    assert_one_chain(model)
    assert model.predict(np.ones((2, 4), np.float32), verbose=0).shape == (2, 2)


def test_popping_every_layer_leaves_no_graph_and_adding_rebuilds_it():
    model = with_input()
    entry = model.inputs[0]
    model.pop()
    model.pop()
    assert not model.built
    with pytest.raises(ValueError, match="not been built"):
        _ = model.outputs
    model.add(Dense(6))
    assert_one_chain(model)
    assert model.inputs == [entry]


def test_building_again_never_gives_a_layer_a_second_node():
    model = Sequential([Flatten(), Dense(2)])
    model.build((None, 3, 4))
    model.build((None, 3, 4))
    assert_one_chain(model)
    model.build((None, 12))  # another input shape: the graph is made anew
    assert_one_chain(model)
    assert model.inputs[0].shape == (None, 12)


def test_a_misfitting_layer_leaves_the_chain_as_it_was():
    model = with_input()
    outputs = model.outputs
    misfit = Dense(1)
    misfit.build((None, 7))
    with pytest.raises(ValueError, match="Expected shape"):
        model.add(misfit)
    assert misfit._inbound_nodes == [] and len(model.layers) == 2
    assert model.outputs == outputs
    assert_one_chain(model)


def test_config_and_model_file_are_unchanged_by_the_graph(tmp_path):
    model = with_input()
    config = model.get_config()
    assert set(config) == {"name", "trainable", "layers", "build_input_shape"}
    assert [spec["class_name"] for spec in config["layers"]] == ["Dense", "Dense"]
    model.save(tmp_path / "stack.numkeras")
    loaded = load_model(tmp_path / "stack.numkeras")
    assert type(loaded) is Sequential
    assert_one_chain(loaded)


def test_nested_sequential_models_are_graphs_too():
    inner = Sequential([Dense(3, input_shape=(4,), activation="relu")])
    outer = Sequential([Input(shape=(4,)), inner, Dense(2)])
    assert_one_chain(outer)
    assert_one_chain(inner)
    # The nested model's output in the outer graph is what the next layer reads.
    extractor = Model(outer.inputs, outer.layers[1].input)
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(extractor.predict(x, verbose=0), inner.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["numkeras", "keras"])
def test_the_output_of_a_layer_also_called_elsewhere_is_its_first_calls(name, request):
    library = numkeras if name == "numkeras" else request.getfixturevalue("keras")
    dense = library.layers.Dense(2)
    model = library.Sequential([library.Input(shape=(3,)), dense])
    other = library.Input(shape=(3,))
    library.Model(other, dense(other))
    assert dense.output is model.outputs[0]
