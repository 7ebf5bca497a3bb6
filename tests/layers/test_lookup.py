"""StringLookup and IntegerLookup: Keras 3's vocabularies and outputs (recorded from Keras, see
text_layers_keras.py), the vocabulary's sources, configs, models and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from keras_twin_support import KERAS_NUMPY2_WARNING
from text_layers_keras import CASES, assert_same_result, cases_of, recorded, result

import numkeras
from numkeras import layers
from numkeras.layers import IntegerLookup, StringLookup
from numkeras.saving.archive import json_default

LOOKUP_CASES = cases_of("StringLookup", "IntegerLookup")


@pytest.mark.parametrize("case", LOOKUP_CASES)
def test_vocabulary_and_outputs_are_kerass(case):
    assert_same_result(result(numkeras, case), recorded()[case])


def test_adapt_orders_by_count_then_by_decreasing_token_and_cuts_at_max_tokens():
    layer = StringLookup(max_tokens=4)
    layer.adapt(np.array([["b", "a", "c", "a", "d", "c", "b", "e"]]))
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["c", "b", "a"]
    assert layer.vocabulary_size() == 4
    # adapt starts afresh each time, as Keras's does.
    layer.adapt(["z", "z", "y"])
    assert layer.get_vocabulary() == ["[UNK]", "z", "y"]


def test_adapt_reads_generators_and_datasets_of_batches_with_steps():
    batches = [np.array([["x", "y"]]), (np.array([["y", "z"]]), np.array([1])), [["w", "w"]]]
    layer = StringLookup()
    layer.adapt(iter(batches), steps=2)
    assert layer.get_vocabulary() == ["[UNK]", "y", "z", "x"]

    class Batches(numkeras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return np.array([[3, 3, 4]]) if index == 0 else np.array([[4, 4, 5]])

    numbers = IntegerLookup()
    numbers.adapt(Batches())
    assert numbers.get_vocabulary() == [-1, 4, 3, 5]


def test_idf_weights_follow_kerass_formula_with_the_mean_for_oov():
    layer = IntegerLookup(output_mode="tf_idf")
    layer.adapt(np.array([[1, 1, 2], [2, 3, 3], [2, 2, 2]]))
    assert layer.get_vocabulary() == [-1, 2, 3, 1]
    idf = np.log(1 + 3 / (1 + np.array([3, 1, 1])))
    expected = np.concatenate([[idf.mean()], idf]) * [1, 1, 0, 2]
    np.testing.assert_allclose(layer(np.array([7, 2, 1, 1])).numpy(), expected, rtol=1e-6)


def test_vocabulary_files_with_or_without_special_tokens(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("[UNK]\nnaïve\ncafé\n\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(words))
    assert layer.get_vocabulary() == ["[UNK]", "naïve", "café"]
    assert layer([["café", "x"]]).numpy().tolist() == [[2, 0]]
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("7\n3\n")
    assert IntegerLookup(vocabulary=numbers, mask_token=0).get_vocabulary() == [0, -1, 7, 3]
    numbers.write_text("7\nseven\n")
    with pytest.raises(ValueError, match="one integer per line. Found: 'seven'"):
        IntegerLookup(vocabulary=numbers)
    with pytest.raises(ValueError, match="vocabulary file .*missing.txt' does not exist"):
        StringLookup(vocabulary=str(tmp_path / "missing.txt"))


def test_set_vocabulary_replaces_it_and_pads_idf_weights():
    layer = StringLookup(output_mode="tf_idf", max_tokens=5, pad_to_max_tokens=True)
    layer.set_vocabulary(["a", "b"], idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(layer(["b", "b", "q"]).numpy(), [2.0, 0.0, 6.0, 0.0, 0.0])
    assert layer.compute_output_shape((None, 3)) == (None, 5)


def test_bytes_and_object_arrays_are_decoded_and_scalars_stay_scalars():
    layer = StringLookup(vocabulary=["é", "b"], encoding="utf-8")
    assert layer(np.array([["é".encode(), b"b"]])).numpy().tolist() == [[1, 2]]
    assert layer(np.array(["b", b"\xc3\xa9"], dtype=object)).numpy().tolist() == [2, 1]
    assert layer("b").numpy() == 2
    inverse = StringLookup(vocabulary=["é", "b"], invert=True)
    assert inverse(np.array([2, 1, 0])).tolist() == ["b", "é", "[UNK]"]


def test_integer_lookup_takes_exact_floats_and_keras_2_names():
    with pytest.warns(UserWarning, match="mask_token"):
        layer = IntegerLookup(vocabulary=[4, 8], mask_value=0)
    with pytest.warns(UserWarning, match="oov_token"):
        assert IntegerLookup(oov_value=-7).oov_token == -7
    assert layer(np.array([[8.0, 0.0, 5.0]])).numpy().tolist() == [[3, 0, 1]]
    with pytest.raises(ValueError, match="inputs must hold integers. Received: dtype float"):
        layer(np.array([1.5]))


def test_config_round_trip_keeps_the_adapted_vocabulary_and_idf_weights():
    layer = StringLookup(output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True, name="sl")
    layer.adapt(np.array([["a", "b", "a"], ["c", "c", "a"]]))
    config = json.loads(json.dumps(layer.get_config(), default=json_default))
    assert config["vocabulary"] == ["[UNK]", "a", "c", "b"]
    assert config["vocabulary_size"] == 4 and len(config["idf_weights"]) == 4
    rebuilt = StringLookup.from_config(config)
    probe = np.array([["a", "b", "z"], ["c", "a", "c"]])
    np.testing.assert_array_equal(rebuilt(probe).numpy(), layer(probe).numpy())
    assert rebuilt.get_config() == config
    with pytest.raises(ValueError, match="was given its vocabulary .*adapt\\(\\) cannot replace"):
        rebuilt.adapt(probe)


#: Configs that Keras 3.15.1 wrote (get_config() less its dtype policy).
KERAS_CONFIGS = {
    StringLookup: {"name": "string_lookup", "trainable": True, "invert": False,
                   "max_tokens": None, "num_oov_indices": 1, "oov_token": "[UNK]",
                   "mask_token": "", "output_mode": "int", "sparse": False,
                   "pad_to_max_tokens": False, "idf_weights": None, "vocabulary": ["a", "b"],
                   "vocabulary_size": 4, "oov_method": "floormod", "salt": None,
                   "encoding": "utf-8"},
    IntegerLookup: {"name": "integer_lookup", "trainable": True, "invert": False,
                    "max_tokens": None, "num_oov_indices": 2, "oov_token": -1,
                    "mask_token": None, "output_mode": "int", "sparse": False,
                    "pad_to_max_tokens": False, "vocabulary_dtype": "int64",
                    "idf_weights": None, "vocabulary": [3, 4], "vocabulary_size": 4,
                    "oov_method": "floormod", "salt": None},
}  # fmt: skip


@pytest.mark.parametrize("cls", list(KERAS_CONFIGS), ids=lambda c: c.__name__)
def test_kerass_configs_load_and_ours_have_its_keys(cls):
    keras_config = KERAS_CONFIGS[cls]
    layer = cls.from_config(keras_config)
    assert layer.vocabulary_size() == keras_config["vocabulary_size"]
    assert set(layer.get_config()) == set(keras_config) | {"dtype"}


def test_a_lookup_in_a_functional_model_trains_saves_and_loads(tmp_path):
    ids = np.array([[10, 20, 30], [30, 30, 99], [20, 10, 10], [99, 20, 30]])
    lookup = IntegerLookup(mask_token=0)
    lookup.adapt(ids)
    inputs = layers.Input(shape=(3,), dtype="int64")
    indices = lookup(inputs)
    assert indices.shape == (None, 3)
    hidden = layers.Flatten()(layers.Embedding(lookup.vocabulary_size(), 2)(indices))
    model = numkeras.Model(inputs, layers.Dense(1)(hidden))
    assert all("lookup" not in w.name for w in model.trainable_weights)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(ids, np.ones((4, 1)), epochs=2, verbose=0)
    path = tmp_path / "model.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()


def test_symbolic_string_inputs_and_output_shapes():
    inputs = layers.Input(shape=(4,), dtype="string")
    hot = StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    assert hot(inputs).shape == (None, 4, 3)
    assert hot.compute_output_shape((None, 1)) == (None, 3)
    bag = StringLookup(output_mode="count")
    assert bag.compute_output_shape((None, 4)) == (None, None)
    model = numkeras.Model(inputs, StringLookup(vocabulary=["a", "b"])(inputs))
    assert model(np.array([["b", "a", "q", "b"]])).numpy().tolist() == [[2, 1, 0, 2]]


@pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)
def test_training_through_a_lookup_matches_keras_embedding_on_kerass_indices(keras):
    """Forward and one SGD step of IntegerLookup → Embedding → Dense in numkeras equal Keras's
    Embedding → Dense fed the indices that Keras's IntegerLookup gives (recorded)."""
    case = recorded()["integer_oov_buckets_mask"]
    _, arguments, _, inputs = CASES["integer_oov_buckets_mask"]
    values, indices = np.array(inputs), np.array(case["output"])
    size = len(case["vocabulary"])
    theirs = keras.Sequential(
        [
            keras.Input(values.shape[1:]),
            keras.layers.Embedding(size, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    ours = numkeras.Sequential(
        [
            layers.Input(values.shape[1:], dtype="int64"),
            IntegerLookup(**arguments, vocabulary=case["vocabulary"]),
            layers.Embedding(size, 3),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(values).numpy(), np.asarray(theirs(indices)), atol=1e-6)
    y = np.random.default_rng(0).standard_normal((len(values), 2)).astype(np.float32)
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    theirs.train_on_batch(indices, y)
    ours.compile(optimizer=numkeras.optimizers.SGD(0.1), loss="mse")
    ours.train_on_batch(values, y)
    for got, want in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StringLookup(sparse=True), "no sparse tensors; use sparse=False"),
        (lambda: StringLookup(salt=3), "salt .* not supported; use salt=None"),
        (lambda: StringLookup(max_tokens=1), "greater than 1, or None. Received: max_tokens=1"),
        (lambda: StringLookup(pad_to_max_tokens=True), "pad_to_max_tokens=True needs max_tokens"),
        (lambda: StringLookup(num_oov_indices=-1), "integer >= 0. Received: num_oov_indices=-1"),
        (lambda: StringLookup(output_mode="dense"), "output_mode must be one of"),
        (lambda: StringLookup(invert=True, output_mode="count"), "invert=True needs output_mode"),
        (
            lambda: StringLookup(vocabulary=["a"], idf_weights=[1.0]),
            "only for output_mode='tf_idf'",
        ),
        (lambda: StringLookup(output_mode="tf_idf", vocabulary=["a"]), "needs idf_weights"),
        (lambda: StringLookup(vocabulary=["a", "b", "a"]), "repeats the tokens \\['a'\\]"),
        (lambda: StringLookup(vocabulary=["a", ""], mask_token=""), "holds mask_token=''"),
        (lambda: StringLookup(vocabulary=["a", "b"], max_tokens=2), "3 indices .* max_tokens=2"),
        (lambda: StringLookup(vocabulary=[]), "non-empty 1-D list of tokens"),
        (lambda: IntegerLookup(oov_method="hash"), "oov_method must be .floormod. or .farmhash."),
        (lambda: IntegerLookup(vocabulary_dtype="int32"), "only vocabulary_dtype='int64'"),
        (lambda: IntegerLookup(vocabulary=["a"]), "vocabulary must hold integers"),
        (lambda: IntegerLookup(vocabulary=[1, 2], vocabulary_size=5), "vocabulary_size=5 does"),
    ],
)
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_calls_say_what_is_wrong():
    with pytest.raises(ValueError, match="num_oov_indices=0, .*found \\['q'\\]"):
        StringLookup(num_oov_indices=0, vocabulary=["a"])(["a", "q"])
    with pytest.raises(RuntimeError, match="needs its vocabulary before it is called"):
        StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="inputs must hold strings. Received: dtype int64"):
        StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(ValueError, match="takes integer indices. Received: inputs of dtype <U1"):
        StringLookup(vocabulary=["a"], invert=True)(["a"])
