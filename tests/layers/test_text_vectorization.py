"""TextVectorization: Keras 3's vocabularies and outputs (recorded from Keras, see
text_layers_keras.py), use in a model, the saved vocabulary, configs and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from text_layers_keras import TEXTS, assert_same_result, cases_of, recorded, result

import numkeras
from numkeras import layers, registry
from numkeras.layers import TextVectorization
from numkeras.saving.archive import json_default

TEXT_CASES = cases_of("TextVectorization")


@pytest.mark.parametrize("case", TEXT_CASES)
def test_vocabulary_and_outputs_are_kerass(case):
    assert_same_result(result(numkeras, case), recorded()[case])


def test_standardize_and_split_as_tensorflow_does():
    layer = TextVectorization(
        vocabulary=["éa", "x", "yz"], standardize="lower_and_strip_punctuation"
    )
    # ASCII letters are lower-cased and ASCII punctuation removed (not replaced by a space);
    # tokens lie between runs of ASCII whitespace, so a no-break space stays inside one.
    assert layer._token_lists(np.array(["É,a X\t\n yZ!", "x\u00a0yz"])) == [
        ["Éa", "x", "yz"],
        ["x\u00a0yz"],
    ]
    assert layer(["éa X. yz"]).numpy().tolist() == [[2, 3, 4]]


def test_functions_standardize_and_split_and_scalars():
    def shout(texts):
        return np.char.upper(texts)

    def on_commas(texts):
        return [text.split(",") for text in texts]

    layer = TextVectorization(standardize=shout, split=on_commas, ngrams=(2,))
    layer.adapt(["a,b,c", "b,c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B C", "A B"]
    assert layer("b,c,a").numpy().tolist() == [2, 1]


def test_adapt_reads_batches_with_steps_and_bytes():
    layer = TextVectorization()
    batches = iter([np.array([b"one two", b"two"]), (["three"], [1]), ["four"]])
    layer.adapt(batches, steps=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "two", "three", "one"]
    layer.adapt(np.array(["b a", "a"]), batch_size=1)
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    assert layer.vocabulary_size() == 4
    layer.set_vocabulary(["z"])
    assert layer(np.array([["z y"]])).numpy().tolist() == [[2, 1]]


def _text_model(vectorizer: TextVectorization) -> numkeras.Model:
    inputs = layers.Input(shape=(1,), dtype="string")
    indices = vectorizer(inputs)
    assert indices.shape == (None, vectorizer.output_sequence_length)
    hidden = layers.GlobalAveragePooling1D()(
        layers.Embedding(vectorizer.vocabulary_size(), 4)(indices)
    )
    return numkeras.Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))


def test_first_layer_of_a_model_with_its_vocabulary_saved_in_the_file(tmp_path):
    vectorizer = TextVectorization(max_tokens=10, output_sequence_length=6, output_mode="int")
    vectorizer.adapt(TEXTS)
    model = _text_model(vectorizer)
    texts = np.array(TEXTS)[:, None]
    path = tmp_path / "text.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    assert loaded.layers[1].get_vocabulary() == vectorizer.get_vocabulary()
    np.testing.assert_array_equal(loaded(texts).numpy(), model(texts).numpy())


def test_tf_idf_weights_are_saved_in_the_file(tmp_path):
    vectorizer = TextVectorization(output_mode="tf_idf", max_tokens=9, pad_to_max_tokens=True)
    vectorizer.adapt(TEXTS)
    inputs = layers.Input(shape=(1,), dtype="string")
    encoded = vectorizer(inputs)
    assert encoded.shape == (None, 9)
    model = numkeras.Model(inputs, layers.Dense(2)(encoded))
    model.save(tmp_path / "tf_idf.numkeras")
    loaded = numkeras.models.load_model(tmp_path / "tf_idf.numkeras")
    texts = np.array(TEXTS)[:, None]
    np.testing.assert_array_equal(loaded(texts).numpy(), model(texts).numpy())


def test_preprocessing_before_fit_trains_on_the_indices():
    # Texts vectorized ahead of fit, as Keras's dataset.map(vectorizer) does.
    vectorizer = TextVectorization(output_sequence_length=5)
    vectorizer.adapt(TEXTS)
    inputs = layers.Input(shape=(5,), dtype="int64")
    pooled = layers.GlobalAveragePooling1D()(
        layers.Embedding(vectorizer.vocabulary_size(), 3)(inputs)
    )
    model = numkeras.Model(inputs, layers.Dense(1)(pooled))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(vectorizer(TEXTS).numpy(), np.ones((4, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_config_round_trip_names_functions_found_in_custom_objects():
    def keep(texts):
        return texts

    layer = TextVectorization(standardize=keep, ngrams=2, output_mode="count", name="tv")
    layer.adapt(["a b", "b"])
    config = json.loads(json.dumps(layer.get_config(), default=json_default))
    assert config["standardize"] == "keep" and config["vocabulary"] == ["[UNK]", "b", "a b", "a"]
    with registry.custom_object_scope({"keep": keep}):
        rebuilt = TextVectorization.from_config(config)
    assert rebuilt.get_config() == config
    np.testing.assert_array_equal(rebuilt(["a b b"]).numpy(), layer(["a b b"]).numpy())
    with pytest.raises(ValueError, match="names the standardize function 'keep'"):
        TextVectorization.from_config(config)
    with pytest.raises(TypeError, match="named functions"):
        TextVectorization(split=lambda texts: texts).get_config()


def test_a_keras_config_loads_and_ours_has_its_keys():
    # Written by Keras 3.15.1 (get_config() less its dtype policy).
    keras_config = {"name": "text_vectorization", "trainable": True, "max_tokens": None,
                    "standardize": "lower_and_strip_punctuation", "split": "whitespace",
                    "ngrams": [1, 2], "output_mode": "int", "output_sequence_length": 3,
                    "pad_to_max_tokens": False, "sparse": False, "ragged": False,
                    "vocabulary": ["the", "cat"], "idf_weights": None, "encoding": "utf-8",
                    "vocabulary_size": 4}  # fmt: skip
    layer = TextVectorization.from_config(keras_config)
    assert layer(["the cat"]).numpy().tolist() == [[2, 3, 1]]  # "the cat" is no known bigram
    assert set(layer.get_config()) == set(keras_config) | {"dtype"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"standardize": "upper"}, "standardize must be one of .* Received: standardize='upper'"),
        ({"split": "comma"}, "split must be one of .* Received: split='comma'"),
        ({"ngrams": 0}, "ngrams must be None, an integer >= 1, or a tuple"),
        ({"output_mode": "one_hot"}, "output_mode must be one of"),
        ({"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length must"),
        ({"ragged": True}, "no ragged tensors; use ragged=False"),
        ({"sparse": True}, "no sparse tensors; use sparse=False"),
        ({"pad_to_max_tokens": True}, "pad_to_max_tokens=True needs max_tokens"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments, message):
    with pytest.raises(ValueError, match=message):
        TextVectorization(**arguments)


def test_bad_inputs_say_what_is_wrong():
    layer = TextVectorization(vocabulary=["a"])
    with pytest.raises(
        ValueError, match=r"shape \(batch,\) or \(batch, 1\). Received: shape \(1, 2\)"
    ):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="inputs must hold strings. Received: dtype float"):
        layer(np.array([1.0, 2.0]))


def test_fit_and_predict_on_string_arrays():
    vectorizer = TextVectorization(max_tokens=10, output_sequence_length=6)
    vectorizer.adapt(TEXTS)
    model = _text_model(vectorizer)
    texts = np.array(TEXTS)[:, None]
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(texts, np.array([1.0, 0.0, 1.0, 0.0]), epochs=5, batch_size=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(model.predict(texts, verbose=0), model(texts).numpy(), rtol=1e-6)
    model.evaluate(texts, np.ones(4), verbose=0)
