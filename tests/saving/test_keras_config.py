"""Config translation between numkeras and Keras 3 / 2 / 1, checked against real Keras 3.

Whole models both ways (Keras builds what to_keras writes and predicts the same; numkeras
rebuilds what Keras writes and predicts the same); every class both libraries have, both ways;
the tables' one-sided keys; Keras 1 and 2 configs written as their .h5 files hold them; and
hostile configs (code, unknown classes, damage anywhere), refused with ModelFileError.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import numkeras
from numkeras import registry
from numkeras.saving import keras_config_tables as tables
from numkeras.saving.archive import ModelFileError
from numkeras.saving.keras_config import compile_config_from_keras2, from_keras, to_keras
from numkeras.saving.model_file import _compile_config
from numkeras.saving.rebuild import Rebuilder, check_config


def _cnn(layers, models):
    return models.Sequential(
        [
            layers.Input((12, 12, 1)),
            layers.Conv2D(4, 3, activation="relu", name="conv"),
            layers.MaxPooling2D(name="pool"),
            layers.BatchNormalization(name="bn"),
            layers.Flatten(name="flat"),
            layers.Dropout(0.5, name="drop"),
            layers.Dense(10, name="dense"),
            layers.Activation("softmax", name="softmax"),
        ],
        name="cnn",
    )


def _two_branch(layers, models):
    a, b = layers.Input((8,), name="a"), layers.Input((6,), name="b")
    x = layers.Dense(4, activation="tanh", name="d1")(a)
    y = layers.Dense(4, name="d2")(b)
    joined = layers.Concatenate(name="cat")([x, y])
    summed = layers.Add(name="add")([x, y])
    out = layers.Dense(1, name="out")(layers.Concatenate(name="both")([joined, summed]))
    return models.Model(inputs=[a, b], outputs=out, name="two")


def _masked_rnn(layers, models):
    tokens = layers.Input((5,), dtype="int32", name="tokens")
    x = layers.Embedding(10, 4, mask_zero=True, name="embed")(tokens)
    x = layers.LSTM(3, return_sequences=True, name="lstm")(x)
    x = layers.Bidirectional(layers.GRU(2), name="bi")(x)
    x = layers.Dropout(0.1, name="drop")(x)
    return models.Model(tokens, layers.Dense(1, name="out")(x), name="masked")


BUILDERS = [_cnn, _two_branch, _masked_rnn]


def _numkeras_config(model) -> dict:
    """What save_model writes to config.json."""
    return {**registry.serialize(model), "compile_config": _compile_config(model)}


def _keras_config(model) -> dict:
    """What Keras 3 writes to config.json, through JSON as a file holds it."""
    import keras

    config = {
        **keras.saving.serialize_keras_object(model),
        "compile_config": model.get_compile_config() if model.compiled else None,
    }
    return json.loads(json.dumps(config))


def _rebuild(config: dict):
    check_config(config, None, "m.keras")
    return Rebuilder(None, 2**30, "too big", "m.keras").build_model(config)


def _architecture(model) -> list:
    """Each layer's class, name, output shape and weight shapes: what two models share when
    they are the same network."""
    return [
        (
            type(layer).__name__,
            layer.name,
            tuple(layer.output.shape),
            [tuple(w.shape) for w in layer.weights],
        )
        for layer in model.layers
    ]


def _sample_inputs(model):
    """A batch for ``model``: token ids (some of them the padding 0) for integer inputs."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 3, size=(3, *t.shape[1:])).astype("int32")
        if "int" in str(t.dtype)
        else rng.normal(size=(3, *t.shape[1:])).astype("float32")
        for t in model.inputs
    ]
    return arrays if len(arrays) > 1 else arrays[0]


@pytest.mark.parametrize("build", BUILDERS)
def test_to_keras_builds_the_same_model_in_keras(keras, build):
    model = build(numkeras.layers, numkeras.models)
    model.compile(
        optimizer=numkeras.optimizers.Adam(0.002),
        loss=numkeras.losses.MeanSquaredError(),
        metrics=["accuracy", numkeras.metrics.MeanAbsoluteError()],
    )
    config = json.loads(json.dumps(to_keras(_numkeras_config(model))))
    kmodel = keras.saving.deserialize_keras_object(config)
    kmodel.compile_from_config(config["compile_config"])

    assert _architecture(kmodel) == _architecture(model)
    kmodel.set_weights(model.get_weights())
    inputs = _sample_inputs(model)
    np.testing.assert_allclose(kmodel.predict(inputs, verbose=0), model.predict(inputs), atol=1e-5)
    assert isinstance(kmodel.optimizer, keras.optimizers.Adam)
    assert kmodel.optimizer.learning_rate.numpy() == pytest.approx(0.002)
    assert isinstance(kmodel.loss, keras.losses.MeanSquaredError)


@pytest.mark.parametrize("build", BUILDERS)
def test_to_keras_writes_what_keras_writes(keras, build):
    """Entries, modules, registered names and dtype policies as Keras 3's own config has them
    (Keras fills in the keys it alone has when it builds the layer, and the ops that compute
    masks, which Keras writes as graph nodes, when it calls the layers)."""
    ours = to_keras(_numkeras_config(build(numkeras.layers, numkeras.models)))
    keras.backend.clear_session()  # Keras numbers its input layers' names per session
    theirs = _keras_config(build(keras.layers, keras.models))

    def entries(config):
        return [
            (
                layer["module"],
                layer["class_name"],
                layer["registered_name"],
                layer["config"]["name"],
            )
            for layer in config["config"]["layers"]
            if not layer["module"].startswith("keras.src.ops")
        ]

    assert (ours["module"], ours["class_name"], ours["registered_name"]) == (
        theirs["module"],
        theirs["class_name"],
        theirs["registered_name"],
    )
    assert entries(ours) == entries(theirs)
    dense = next(l for l in ours["config"]["layers"] if l["class_name"] == "Dense")
    theirs_dense = next(l for l in theirs["config"]["layers"] if l["class_name"] == "Dense")
    assert dense["config"]["dtype"] == theirs_dense["config"]["dtype"]


@pytest.mark.parametrize("build", BUILDERS)
def test_from_keras_rebuilds_the_same_model(keras, build):
    kmodel = build(keras.layers, keras.models)
    kmodel.compile(
        optimizer=keras.optimizers.RMSprop(0.01, rho=0.8),
        loss="categorical_crossentropy",
        metrics=["accuracy", keras.metrics.MeanSquaredError()],
    )
    config = from_keras(_keras_config(kmodel), "m.keras")
    model = _rebuild(config)

    assert _architecture(model) == _architecture(kmodel)
    model.set_weights(kmodel.get_weights())
    inputs = _sample_inputs(model)
    np.testing.assert_allclose(model.predict(inputs), kmodel.predict(inputs, verbose=0), atol=1e-5)
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "RMSprop"
    assert compile_config["optimizer"]["config"]["rho"] == pytest.approx(0.8)
    assert compile_config["loss"] == "categorical_crossentropy"
    assert compile_config["metrics"][0] == "accuracy"
    assert compile_config["metrics"][1]["module"] == "numkeras.metrics"
    model.compile(
        optimizer=numkeras.optimizers.deserialize(compile_config["optimizer"]),
        loss=compile_config["loss"],
        metrics=[numkeras.metrics.deserialize(compile_config["metrics"][1])],
    )


def test_from_keras_leaves_masks_and_training_flags_to_numkeras(keras):
    """Keras 3 writes the mask an Embedding makes as a NotEqual op feeding the next calls'
    ``mask`` argument, and the ``training`` flag of each call: numkeras carries masks with
    tensors and sets the flag on every run, so the model comes out without them (and predicts
    as Keras does: test_from_keras_rebuilds_the_same_model)."""
    config = from_keras(_keras_config(_masked_rnn(keras.layers, keras.models)), "m.keras")
    layers = config["config"]["layers"]
    assert [layer["name"] for layer in layers] == ["tokens", "embed", "lstm", "bi", "drop", "out"]
    assert all(isinstance(node, list) for layer in layers for node in layer["inbound_nodes"])


def test_from_keras_gives_no_compile_config_for_an_uncompiled_model(keras):
    config = _keras_config(_cnn(keras.layers, keras.models))
    assert from_keras(config, "m.keras")["compile_config"] is None
    # Keras 3.15's model.save writes an uncompiled model's compile_config as {}.
    assert from_keras({**config, "compile_config": {}}, "m.keras")["compile_config"] is None


def test_call_arguments_go_to_keras_as_keras_reads_them(keras):
    """Plain call arguments ride on the input references; a call with tensors among its
    keyword arguments (an encoder's states as a decoder's initial_state) is written in
    Keras 3's own form, with each tensor's shape, and both directions predict the same."""
    layers = numkeras.layers
    x, y = layers.Input((4, 3), name="x"), layers.Input((5, 3), name="y")
    _, h, c = layers.LSTM(2, return_state=True, name="encoder")(x)
    seq = layers.LSTM(2, name="decoder")(y, initial_state=[h, c])
    out = layers.Dropout(0.5, name="drop")(layers.Dense(2, name="d")(seq), training=False)
    model = numkeras.Model([x, y], out)
    config = json.loads(json.dumps(to_keras(_numkeras_config(model))))
    entries = {entry["name"]: entry for entry in config["config"]["layers"]}
    assert entries["drop"]["inbound_nodes"] == [[["d", 0, 0, {"training": False}]]]
    (call,) = entries["decoder"]["inbound_nodes"]
    state = {"shape": [None, 2], "dtype": "float32", "keras_history": ["encoder", 0, 1]}
    assert call["kwargs"]["initial_state"][0] == {"class_name": "__keras_tensor__", "config": state}

    kmodel = keras.saving.deserialize_keras_object(config)
    kmodel.set_weights(model.get_weights())
    inputs = _sample_inputs(model)
    np.testing.assert_allclose(kmodel.predict(inputs, verbose=0), model.predict(inputs), atol=1e-5)
    back = _rebuild(from_keras(_keras_config(kmodel), "m.keras"))
    back.set_weights(kmodel.get_weights())
    np.testing.assert_allclose(back.predict(inputs), model.predict(inputs), atol=1e-6)


def test_round_trip_through_keras_gives_numkeras_config_back():
    model = _two_branch(numkeras.layers, numkeras.models)
    model.compile(optimizer="sgd", loss="mse")
    config = _numkeras_config(model)
    back = from_keras(json.loads(json.dumps(to_keras(config))), "m.keras")
    assert back["config"] == config["config"]
    assert back["compile_config"]["optimizer"] == config["compile_config"]["optimizer"]


@pytest.mark.parametrize(
    "function",
    [
        {"class_name": "__lambda__", "config": {"code": "4wEAAAAA", "defaults": None}},
        ["4wEAAAAA", None, None],
    ],
)
def test_lambda_layers_are_refused_whatever_they_hold(function):
    lam = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {"name": "square", "function": function, "function_type": "lambda"},
    }
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [lam]}}
    with pytest.raises(ModelFileError, match=r"m\.keras.*Lambda layer 'square'.*bytecode"):
        from_keras(config, "m.keras")


@pytest.mark.parametrize(
    "held",
    [
        {"class_name": "__bytes__", "config": {"value": "x"}},
        {"class_name": "__numpy__", "config": {"value": [1], "dtype": "int8"}},
        {"class_name": "function", "config": {"code": "4wEAAAAA"}},
    ],
)
def test_python_objects_anywhere_in_a_config_are_refused(held):
    name = held["class_name"]
    dense = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": "d", "units": 2, "activation": held},
    }
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense]}}
    with pytest.raises(ModelFileError, match=rf"m\.keras: layer 'd' holds a '{name}' object"):
        from_keras(config, "m.keras")


def test_a_class_numkeras_lacks_is_refused_by_name():
    layer = {
        "module": "keras.layers",
        "class_name": "MultiHeadAttention",
        "config": {"name": "mha"},
    }
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [layer]}}
    with pytest.raises(ModelFileError, match=r"m\.keras: 'MultiHeadAttention' \('mha'\)"):
        from_keras(config, "m.keras")


def test_every_keras_class_numkeras_lacks_is_refused_by_name(keras):
    """Each of Keras 3's objects of a class numkeras does not have (those its defaults build,
    and a few that need arguments), where a model config holds such an object, is refused
    with a ModelFileError naming it."""
    objects = [
        ("schedules", keras.optimizers.schedules.CosineDecayRestarts(0.1, 10)),
        ("layers", keras.layers.MultiHeadAttention(2, 4)),
    ]
    for family in FAMILIES:
        module = _module(keras, family)
        for name in sorted(dir(module)):
            cls = getattr(module, name)
            try:
                objects.append((family, cls()))
            except Exception:  # not a class, abstract, or needs arguments
                continue
    refused = []
    for family, obj in objects:
        try:
            entry = json.loads(json.dumps(keras.saving.serialize_keras_object(obj), default=str))
        except (TypeError, ValueError, NotImplementedError):  # not an object a config holds
            continue
        name = entry.get("class_name")
        ours = registry.own_classes(f"numkeras.{family}")
        if not isinstance(entry.get("config"), dict) or name in {
            *ours,
            *tables.KERAS_NAMES.values(),
        }:
            continue
        with pytest.raises(ModelFileError, match=rf"'{name}'"):
            from_keras(_in_model(entry, family), "m.keras")
        refused.append(name)
    assert {"Dice", "Lion", "AUC", "Attention", "CosineDecayRestarts", "MultiHeadAttention"} <= set(
        refused
    )


def test_a_layer_keras_lacks_is_refused_on_export():
    model = numkeras.Sequential([numkeras.layers.Input((6,)), numkeras.layers.Maxout(2, name="mx")])
    with pytest.raises(ValueError, match=r"Keras 3 has no Maxout layer \(layer 'mx'\).*\.numkeras"):
        to_keras(_numkeras_config(model))


def test_a_keras_option_numkeras_lacks_is_refused(keras):
    layer = keras.layers.BatchNormalization(renorm=True, name="bn")
    model = keras.Sequential([keras.layers.Input((4,)), layer])
    with pytest.raises(ModelFileError, match=r"BatchNormalization 'bn' has renorm=True"):
        from_keras(_keras_config(model), "m.keras")


def test_a_mixed_precision_policy_is_refused(keras):
    model = keras.Sequential(
        [keras.layers.Input((4,)), keras.layers.Dense(2, dtype="mixed_float16", name="d")]
    )
    with pytest.raises(ModelFileError, match=r"layer 'd' has the dtype policy 'mixed_float16'"):
        from_keras(_keras_config(model), "m.keras")


def test_keras2_training_config_becomes_a_compile_config():
    training = {
        "optimizer_config": {"class_name": "Custom>Adam", "config": {"learning_rate": 0.01}},
        "loss": "categorical_crossentropy",
        "metrics": [
            {
                "class_name": "MeanMetricWrapper",
                "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"},
            }
        ],
        "weighted_metrics": None,
        "loss_weights": None,
        "sample_weight_mode": None,
    }
    assert compile_config_from_keras2(training, "m.h5") == {
        "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
        "loss": "categorical_crossentropy",
        "metrics": ["categorical_accuracy"],
        "loss_weights": None,
        "weighted_metrics": None,
    }


def test_functions_keras_names_become_names(keras):
    """Keras 3 writes a function given to compile or a layer as {"class_name": "function",
    "config": name}: a name, which numkeras resolves itself (never importing Keras's module)."""
    kmodel = keras.Sequential(
        [keras.layers.Input((3,)), keras.layers.Dense(2, activation=keras.activations.tanh)]
    )
    kmodel.compile(
        optimizer="adam",
        loss=keras.losses.mean_squared_error,
        metrics=[keras.metrics.categorical_accuracy],
    )
    config = from_keras(_keras_config(kmodel), "m.keras")
    assert config["config"]["layers"][0]["config"]["activation"] == "tanh"
    assert config["compile_config"]["loss"] == "mean_squared_error"
    assert config["compile_config"]["metrics"] == ["categorical_accuracy"]


def test_classes_the_user_registered_keep_their_key(keras):
    @numkeras.saving.register_keras_serializable(package="kc_test")
    class Doubled(numkeras.layers.Dense):
        pass

    @keras.saving.register_keras_serializable(package="kc_test")
    class KDoubled(keras.layers.Dense):
        pass

    model = numkeras.Sequential([numkeras.layers.Input((3,)), Doubled(2, name="twice")])
    config = to_keras(_numkeras_config(model))
    entry = config["config"]["layers"][1]
    assert (entry["class_name"], entry["registered_name"]) == ("Doubled", "kc_test>Doubled")
    back = from_keras(json.loads(json.dumps(config)), "m.keras")
    assert back["config"]["layers"][0]["class_name"] == "kc_test>Doubled"
    assert type(_rebuild(back).layers[0]) is Doubled


class _Scale(numkeras.layers.Layer):
    """A user's layer that numkeras's registry does not know."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor


@pytest.mark.parametrize(
    "entry",
    [
        # Keras 3: the bare class name, and the registered name beside it.
        {"module": None, "class_name": "Scale", "registered_name": "pkg>Scale"},
        # Keras 2 (and Keras 3's legacy .h5): the registered name as the class name.
        {"class_name": "pkg>Scale"},
    ],
)
@pytest.mark.parametrize("key", ["pkg>Scale", "Scale"])
def test_a_class_in_custom_objects_is_found_as_keras_finds_it(entry, key):
    scale = {**entry, "config": {"name": "scale", "trainable": True, "factor": 2.0}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [scale]}}
    with pytest.raises(ModelFileError, match="does not have; pass your own class in custom_"):
        from_keras(config, "m.keras")
    back = from_keras(config, "m.keras", custom_objects={key: _Scale})
    assert back["config"]["layers"][0]["class_name"] == key
    check_config(back, {key: _Scale}, "m.keras")
    with registry.custom_object_scope({key: _Scale}):  # as load_model rebuilds it
        model = Rebuilder({key: _Scale}, 2**30, "too big", "m.keras").build_model(back)
    assert type(model.layers[0]) is _Scale and model.layers[0].factor == 2.0


def test_a_junk_registered_name_leaves_the_class_name_to_custom_objects():
    for junk in _JUNK:
        scale = {"class_name": "Scale", "registered_name": junk, "config": {"name": "scale"}}
        config = {"class_name": "Sequential", "config": {"name": "s", "layers": [scale]}}
        translated = from_keras(config, "m.keras", custom_objects={"Scale": _Scale})
        assert translated["config"]["layers"][0]["class_name"] == "Scale"


def test_a_subclassed_model_keeps_its_key_and_build_shape(keras):
    @numkeras.saving.register_keras_serializable(package="kc_test")
    class Scaled(numkeras.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units, self.dense = units, numkeras.layers.Dense(units)

        def call(self, x):
            return self.dense(x) * 2.0

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = Scaled(3)
    model(np.ones((1, 4), "float32"))
    config = to_keras({**_numkeras_config(model), "build_config": model.get_build_config()})
    assert (config["class_name"], config["registered_name"]) == ("Scaled", "kc_test>Scaled")
    assert config["build_config"] == {"input_shape": [1, 4]}
    back = from_keras(json.loads(json.dumps(config)), "m.keras")
    assert back["class_name"] == "kc_test>Scaled"
    assert back["build_config"] == {"build_input_shape": [1, 4]}
    config["build_config"] = {"shapes_dict": {"x_shape": [1, 4]}}
    with pytest.raises(ModelFileError, match=r"build_config .*input shape alone"):
        from_keras(config, "m.keras")


# -- every class both libraries have ---------------------------------------------------------------
#: Constructor calls (given the module, numkeras's or Keras's) for the classes whose defaults do
#: not make an instance, or whose defaults Keras stores in another form (a rotation factor of
#: 0.1 as [-0.1, 0.1]); names are fixed, so that the configs compare.
LAYERS = {
    "Activation": lambda L: L.Activation("tanh"),
    "AlphaDropout": lambda L: L.AlphaDropout(0.1, seed=2),
    "AveragePooling1D": lambda L: L.AveragePooling1D(3, strides=2),
    "AveragePooling2D": lambda L: L.AveragePooling2D((2, 3), padding="same"),
    "Bidirectional": lambda L: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum"),
    "CenterCrop": lambda L: L.CenterCrop(3, 4),
    "Conv1D": lambda L: L.Conv1D(4, 3, strides=2),
    "Conv1DTranspose": lambda L: L.Conv1DTranspose(4, 3, strides=2),
    "Conv2D": lambda L: L.Conv2D(4, (3, 2), padding="same", activation="relu"),
    "Conv2DTranspose": lambda L: L.Conv2DTranspose(4, (3, 2), strides=2, padding="same"),
    "Convolution2D": lambda L: L.Convolution2D(4, 3),
    "Dense": lambda L: L.Dense(3, activation="relu", kernel_regularizer="l2", use_bias=False),
    "DropConnect": lambda L: L.DropConnect(4, rate=0.2, seed=3),
    "Maxout": lambda L: L.Maxout(4, pieces=2),
    "DepthwiseConv1D": lambda L: L.DepthwiseConv1D(3, depth_multiplier=2),
    "DepthwiseConv2D": lambda L: L.DepthwiseConv2D((3, 2), padding="same"),
    "Dot": lambda L: L.Dot((1, 2), normalize=True),
    "Dropout": lambda L: L.Dropout(0.3, seed=1),
    "Embedding": lambda L: L.Embedding(50, 4, mask_zero=True),
    "Flatten": lambda L: L.Flatten(data_format="channels_last"),
    "GaussianDropout": lambda L: L.GaussianDropout(0.2, seed=4),
    "GaussianNoise": lambda L: L.GaussianNoise(0.1, seed=3),
    "GRU": lambda L: L.GRU(4, reset_after=False, return_sequences=True),
    "GRUCell": lambda L: L.GRUCell(4, reset_after=False, recurrent_dropout=0.1, seed=1),
    "InputLayer": lambda L: L.InputLayer(shape=(3,)),
    "IntegerLookup": lambda L: L.IntegerLookup(vocabulary=[7, 3], mask_token=0),
    "LSTM": lambda L: L.LSTM(4, unit_forget_bias=False, return_state=True),
    "LSTMCell": lambda L: L.LSTMCell(4, unit_forget_bias=False, dropout=0.2, seed=1),
    "Masking": lambda L: L.Masking(0.5),
    "Permute": lambda L: L.Permute((2, 1)),
    "RandomContrast": lambda L: L.RandomContrast([0.1, 0.2], seed=1),
    "RandomFlip": lambda L: L.RandomFlip("horizontal", seed=2),
    "RandomRotation": lambda L: L.RandomRotation([-0.1, 0.2], fill_mode="constant", seed=1),
    "RandomTranslation": lambda L: L.RandomTranslation(0.1, (-0.2, 0.1), seed=1),
    "RandomZoom": lambda L: L.RandomZoom(0.1, seed=2),
    "RepeatVector": lambda L: L.RepeatVector(3),
    "Rescaling": lambda L: L.Rescaling(2.0, offset=0.5),
    "Reshape": lambda L: L.Reshape((2, -1)),
    "Resizing": lambda L: L.Resizing(3, 4, interpolation="nearest"),
    "RNN": lambda L: L.RNN([L.LSTMCell(3), L.GRUCell(2)], go_backwards=True),
    "SeparableConv1D": lambda L: L.SeparableConv1D(4, 3, strides=2),
    "SeparableConv2D": lambda L: L.SeparableConv2D(4, 3, depth_multiplier=2),
    "SimpleRNN": lambda L: L.SimpleRNN(4, activation="relu", go_backwards=True),
    "SimpleRNNCell": lambda L: L.SimpleRNNCell(4, activation="relu", seed=1),
    "SpatialDropout1D": lambda L: L.SpatialDropout1D(0.2, seed=1),
    "SpatialDropout2D": lambda L: L.SpatialDropout2D(0.2, seed=1),
    "StackedRNNCells": lambda L: L.StackedRNNCells([L.SimpleRNNCell(2)]),
    "StringLookup": lambda L: L.StringLookup(vocabulary=["a", "b"]),
    "TextVectorization": lambda L: L.TextVectorization(vocabulary=["the", "cat"]),
    "TimeDistributed": lambda L: L.TimeDistributed(L.Dense(3, activation="relu")),
}
OBJECTS = {
    "Constant": lambda M: M.Constant(0.5),
    "CosineDecay": lambda M: M.CosineDecay(0.1, 100, alpha=0.1),
    "ExponentialDecay": lambda M: M.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    "InverseSqrtDecay": lambda M: M.InverseSqrtDecay(0.1),
    "InverseTimeDecay": lambda M: M.InverseTimeDecay(0.1, 1, 0.01),
    "L1L2": lambda M: M.L1L2(0.01, 0.02),
    "MaxNorm": lambda M: M.MaxNorm(2.0, axis=1),
    "PiecewiseConstantDecay": lambda M: M.PiecewiseConstantDecay([10], [0.1, 0.01]),
    "Precision": lambda M: M.Precision(thresholds=0.4, name="p"),
    "TopKCategoricalAccuracy": lambda M: M.TopKCategoricalAccuracy(k=3),
}
#: Keys compared apart: names (nested objects, optimizers and metrics number theirs in each
#: library's own sequence), and zero_output_for_mask, which Keras 3's Bidirectional sets on
#: the layers it wraps (its bookkeeping, not a user's choice).
_NOT_COMPARED = {"name", "zero_output_for_mask"}
#: Classes tested elsewhere: abstract bases and wrappers of a function, which no model config
#: holds by themselves; Lambda (test_lambda_*); InputLayer, which a Sequential holds as its
#: input shape (the model tests).
_TESTED_APART = {
    "Loss",
    "Metric",
    "LossFunctionWrapper",
    "MeanMetricWrapper",
    "Lambda",
    "InputLayer",
}
#: The class Keras 3 writes for one of its aliases.
_KERAS_WRITES = {"Convolution2D": "Conv2D"}

#: Where a model config holds an object of each family: (package, slot).
FAMILIES = {
    "layers": "layer",
    "initializers": "kernel_initializer",
    "regularizers": "kernel_regularizer",
    "constraints": "kernel_constraint",
    "losses": "loss",
    "metrics": "metrics",
    "optimizers": "optimizer",
    "schedules": "learning_rate",
}


def _classes():
    return [
        pytest.param(family, name, id=f"{family}.{name}")
        for family in FAMILIES
        for name in registry.own_classes(f"numkeras.{family}")
        if hasattr(_module(numkeras, family), name) and name not in _TESTED_APART
    ]


def _module(lib, family):
    if family == "schedules":
        return lib.optimizers.schedules
    return getattr(lib, family)


def _make(lib, family, name):
    own = {"OrthogonalInitializer": "Orthogonal", "IdentityInitializer": "Identity"}
    if lib.__name__ == "keras" and family == "initializers":
        name = own.get(name, name)
    module = _module(lib, family)
    build = (LAYERS if family == "layers" else OBJECTS).get(name)
    obj = build(module) if build else getattr(module, name)()
    if family == "layers":
        obj.name = "x"
    return obj


def _in_model(entry, family):
    """A model config that holds ``entry`` (an object's config) where its family belongs."""
    slot = FAMILIES[family]
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2}}
    layers, compile_config = [dense], {"optimizer": {"class_name": "SGD", "config": {}}}
    if family == "layers":
        layers = [entry]
    elif slot.startswith("kernel"):
        dense["config"][slot] = entry
    elif slot == "learning_rate":
        compile_config["optimizer"]["config"] = {"learning_rate": entry}
    else:
        compile_config[slot] = [entry] if slot == "metrics" else entry
    return {
        "class_name": "Sequential",
        "config": {"name": "s", "layers": layers},
        "compile_config": compile_config,
    }


def _taken_out(config, family):
    """The object :func:`_in_model` put into ``config``."""
    slot, layer = FAMILIES[family], config["config"]["layers"][-1]
    if family == "layers":
        return layer
    if slot.startswith("kernel"):
        return layer["config"][slot]
    if slot == "learning_rate":
        return config["compile_config"]["optimizer"]["config"]["learning_rate"]
    held = config["compile_config"][slot]
    return held[0] if slot == "metrics" else held


def _comparable(config):
    config = json.loads(json.dumps(config, default=lambda o: o.tolist()))
    if isinstance(config, dict):
        for key in _NOT_COMPARED:
            config.pop(key, None)
        return {k: _comparable(v) for k, v in config.items()}
    return [_comparable(v) for v in config] if isinstance(config, list) else config


def _keras_or_skip(keras, family, name):
    try:
        return _make(keras, family, name)
    except ImportError as error:  # Keras 3's lookup layers are TensorFlow code
        pytest.skip(f"Keras 3 builds {name} only with TensorFlow: {error}")


@pytest.mark.parametrize(("family", "name"), _classes())
def test_every_class_goes_to_keras(keras, family, name):
    ours = _make(numkeras, family, name)
    model = _in_model(registry.serialize(ours), family)
    if name in tables.KERAS_LACKS.get(f"numkeras.{family}", ()):
        with pytest.raises(ValueError, match=f"Keras 3 has no {name} .*save to a .numkeras"):
            to_keras(model)
        return
    theirs = _keras_or_skip(keras, family, name)
    exported = _taken_out(json.loads(json.dumps(to_keras(model))), family)
    rebuilt = keras.saving.deserialize_keras_object(exported)
    assert type(rebuilt) is type(theirs)
    assert _comparable(rebuilt.get_config()) == _comparable(theirs.get_config())


@pytest.mark.parametrize(("family", "name"), _classes())
def test_every_class_comes_from_keras(keras, family, name):
    if name in tables.KERAS_LACKS.get(f"numkeras.{family}", ()):
        assert not hasattr(_module(keras, family), name)
        return
    theirs = _keras_or_skip(keras, family, name)
    config = _in_model(keras.saving.serialize_keras_object(theirs), family)
    imported = _taken_out(from_keras(json.loads(json.dumps(config)), "m.keras"), family)
    rebuilt = registry.deserialize(imported)
    ours = _make(numkeras, family, name)
    assert type(rebuilt).__name__ == _KERAS_WRITES.get(name, name)
    assert _comparable(rebuilt.get_config()) == _comparable(ours.get_config())


#: A class of each family whose config shows the family's keys.
_FAMILY_EXAMPLE = {"layers": "Dense", "optimizers": "Adam"}


def _table_keys(side):
    """(family, class, key) for every key of the tables that only ``side`` has."""
    found = [
        (family, name, key)
        for (family, name), keys in tables.CLASS_KEYS.items()
        for key in getattr(keys, side)
    ]
    found += [
        (family, _FAMILY_EXAMPLE[family.partition(".")[2]], key)
        for family, keys in tables.FAMILY_KEYS.items()
        for key in getattr(keys, side)
    ]
    return [
        pytest.param(family.partition(".")[2], name, key, id=f"{name}.{key}")
        for family, name, key in found
    ]


@pytest.mark.parametrize(("family", "name", "key"), _table_keys("keras_only"))
def test_keras_only_options_at_other_values_are_refused(keras, family, name, key):
    entry = keras.saving.serialize_keras_object(_make(keras, family, name))
    entry["config"][key] = "other"
    config = json.loads(json.dumps(_in_model(entry, family)))
    with pytest.raises(ModelFileError, match=rf"{name} .*has {key}='other', which numkeras"):
        from_keras(config, "m.keras")


@pytest.mark.parametrize(("family", "name", "key"), _table_keys("numkeras_only"))
def test_numkeras_only_options_at_other_values_are_refused_on_export(family, name, key):
    entry = registry.serialize(_make(numkeras, family, name))
    entry["config"][key] = "other"
    with pytest.raises(ValueError, match=rf"{name} .*no equivalent of {key}='other'.*numkeras"):
        to_keras(_in_model(entry, family))


# -- Keras 1 and Keras 2 configs, as the model_config of their .h5 files holds them --------------
def _keras1_dense(name, units, input_dim, first=False):
    config = {
        "name": name,
        "output_dim": units,
        "init": "glorot_uniform",
        "activation": "linear",
        "W_regularizer": None,
        "b_regularizer": None,
        "activity_regularizer": None,
        "W_constraint": None,
        "b_constraint": None,
        "bias": True,
        "input_dim": input_dim,
        "trainable": True,
    }
    if first:
        config |= {"batch_input_shape": [None, input_dim], "input_dtype": "float32"}
    return {"class_name": "Dense", "config": config}


def _keras1_activation(name, activation):
    return {"class_name": "Activation", "config": {"name": name, "activation": activation}}


#: The course's MLP as Keras 1.2 saved it: a Sequential's config was its list of layers.
KERAS1_MLP = {
    "class_name": "Sequential",
    "config": [
        _keras1_dense("dense_1", 500, 784, first=True),
        _keras1_activation("activation_1", "sigmoid"),
        _keras1_dense("dense_2", 500, 500),
        _keras1_activation("activation_2", "sigmoid"),
        _keras1_dense("dense_3", 10, 500),
        _keras1_activation("activation_3", "softmax"),
    ],
}

#: A Keras 1 CNN with its Keras 1 names (Convolution2D, border_mode, dim_ordering, p).
KERAS1_CNN = {
    "class_name": "Sequential",
    "config": [
        {
            "class_name": "Convolution2D",
            "config": {
                "name": "convolution2d_1",
                "trainable": True,
                "batch_input_shape": [None, 28, 28, 1],
                "input_dtype": "float32",
                "nb_filter": 8,
                "nb_row": 3,
                "nb_col": 3,
                "init": "he_normal",
                "activation": "relu",
                "border_mode": "same",
                "subsample": [1, 1],
                "dim_ordering": "tf",
                "W_regularizer": {"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01},
                "b_regularizer": None,
                "activity_regularizer": None,
                "W_constraint": None,
                "b_constraint": None,
                "bias": True,
            },
        },
        {
            "class_name": "MaxPooling2D",
            "config": {
                "name": "maxpooling2d_1",
                "trainable": True,
                "pool_size": [2, 2],
                "strides": [2, 2],
                "border_mode": "valid",
                "dim_ordering": "tf",
            },
        },
        {
            "class_name": "BatchNormalization",
            "config": {
                "name": "batchnormalization_1",
                "epsilon": 0.001,
                "mode": 0,
                "axis": -1,
                "momentum": 0.99,
                "gamma_regularizer": None,
                "beta_regularizer": None,
            },
        },
        {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": True}},
        {"class_name": "Dropout", "config": {"name": "dropout_1", "trainable": True, "p": 0.5}},
        _keras1_dense("dense_1", 10, 1568),
    ],
}

#: A Keras 1 functional model merging two branches with Merge(mode="concat").
KERAS1_TWO_BRANCH = {
    "class_name": "Model",
    "config": {
        "name": "model_1",
        "input_layers": [["input_1", 0, 0], ["input_2", 0, 0]],
        "output_layers": [["dense_3", 0, 0]],
        "layers": [
            {
                "class_name": "InputLayer",
                "name": "input_1",
                "config": {
                    "batch_input_shape": [None, 8],
                    "input_dtype": "float32",
                    "sparse": False,
                    "name": "input_1",
                },
                "inbound_nodes": [],
            },
            {
                "class_name": "InputLayer",
                "name": "input_2",
                "config": {
                    "batch_input_shape": [None, 6],
                    "input_dtype": "float32",
                    "sparse": False,
                    "name": "input_2",
                },
                "inbound_nodes": [],
            },
            {**_keras1_dense("dense_1", 4, 8), "name": "dense_1"}
            | {"inbound_nodes": [[["input_1", 0, 0]]]},
            {**_keras1_dense("dense_2", 4, 6), "name": "dense_2"}
            | {"inbound_nodes": [[["input_2", 0, 0]]]},
            {
                "class_name": "Merge",
                "name": "merge_1",
                "config": {
                    "name": "merge_1",
                    "layers": None,
                    "mode": "concat",
                    "mode_type": "raw",
                    "concat_axis": -1,
                    "dot_axes": -1,
                    "output_shape": None,
                    "output_shape_type": "raw",
                    "output_mask": None,
                    "output_mask_type": "raw",
                    "arguments": {},
                },
                "inbound_nodes": [[["dense_1", 0, 0], ["dense_2", 0, 0]]],
            },
            {**_keras1_dense("dense_3", 1, 8), "name": "dense_3"}
            | {"inbound_nodes": [[["merge_1", 0, 0]]]},
        ],
    },
}


def _keras2_initializer(mode="fan_avg", distribution="uniform"):
    return {
        "class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": mode, "distribution": distribution, "seed": None},
    }


def _keras2_layer(class_name, name, **config):
    return {
        "class_name": class_name,
        "config": {"name": name, "trainable": True, "dtype": "float32", **config},
    }


def _keras2_dense(name, units, activation="linear", **extra):
    return _keras2_layer(
        "Dense",
        name,
        units=units,
        activation=activation,
        use_bias=True,
        kernel_initializer=_keras2_initializer(),
        bias_initializer={"class_name": "Zeros", "config": {}},
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **extra,
    )


def _keras2_input(name, shape):
    return {
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": [None, *shape],
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "name": name,
        },
    }


#: The MNIST CNN as tf.keras 2.x saved it.
KERAS2_CNN = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential_1",
        "layers": [
            _keras2_input("conv2d_1_input", (28, 28, 1)),
            _keras2_layer(
                "Conv2D",
                "conv2d_1",
                batch_input_shape=[None, 28, 28, 1],
                filters=8,
                kernel_size=[3, 3],
                strides=[1, 1],
                padding="valid",
                data_format="channels_last",
                dilation_rate=[1, 1],
                activation="relu",
                use_bias=True,
                kernel_initializer=_keras2_initializer(),
                bias_initializer={"class_name": "Zeros", "config": {}},
                kernel_regularizer={"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.001}},
                bias_regularizer=None,
                activity_regularizer=None,
                kernel_constraint={"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}},
                bias_constraint=None,
            ),
            _keras2_layer(
                "MaxPooling2D",
                "max_pooling2d_1",
                pool_size=[2, 2],
                padding="valid",
                strides=[2, 2],
                data_format="channels_last",
            ),
            _keras2_layer(
                "BatchNormalization",
                "batch_normalization_1",
                axis=-1,
                momentum=0.99,
                epsilon=0.001,
                center=True,
                scale=True,
                beta_initializer={"class_name": "Zeros", "config": {}},
                gamma_initializer={"class_name": "Ones", "config": {}},
                moving_mean_initializer={"class_name": "Zeros", "config": {}},
                moving_variance_initializer={"class_name": "Ones", "config": {}},
                beta_regularizer=None,
                gamma_regularizer=None,
                beta_constraint=None,
                gamma_constraint=None,
            ),
            _keras2_layer("Flatten", "flatten_1", data_format="channels_last"),
            _keras2_layer("Dropout", "dropout_1", rate=0.5, noise_shape=None, seed=None),
            _keras2_dense("dense_1", 10, "softmax"),
        ],
    },
}

#: A two-branch functional model as tf.keras 2.x saved it ("Functional", 4-part references).
KERAS2_TWO_BRANCH = {
    "class_name": "Functional",
    "config": {
        "name": "model",
        "layers": [
            {**_keras2_input("a", (8,)), "name": "a", "inbound_nodes": []},
            {**_keras2_input("b", (6,)), "name": "b", "inbound_nodes": []},
            {**_keras2_dense("d1", 4, "tanh"), "name": "d1", "inbound_nodes": [[["a", 0, 0, {}]]]},
            {**_keras2_dense("d2", 4), "name": "d2", "inbound_nodes": [[["b", 0, 0, {}]]]},
            {
                **_keras2_layer("Concatenate", "cat", axis=-1),
                "name": "cat",
                "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}]]],
            },
            {
                **_keras2_layer("Add", "add"),
                "name": "add",
                "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}]]],
            },
            {
                **_keras2_layer("Concatenate", "both", axis=-1),
                "name": "both",
                "inbound_nodes": [[["cat", 0, 0, {}], ["add", 0, 0, {}]]],
            },
            {**_keras2_dense("out", 1), "name": "out", "inbound_nodes": [[["both", 0, 0, {}]]]},
        ],
        "input_layers": [["a", 0, 0], ["b", 0, 0]],
        "output_layers": [["out", 0, 0]],
    },
}

KERAS2_TRAINING = {
    "optimizer_config": {
        "class_name": "Adam",
        "config": {
            "lr": 0.0010000000474974513,
            "beta_1": 0.8999999761581421,
            "beta_2": 0.9990000128746033,
            "decay": 0.0,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
    },
    "loss": {
        "class_name": "CategoricalCrossentropy",
        "config": {
            "reduction": "auto",
            "name": "categorical_crossentropy",
            "from_logits": False,
            "label_smoothing": 0,
        },
    },
    "metrics": ["accuracy"],
    "weighted_metrics": None,
    "loss_weights": None,
    "sample_weight_mode": None,
}


def _summary(model) -> list:
    """Each layer's class, output shape and weight shapes."""
    return [
        (type(layer).__name__, tuple(layer.output.shape), [tuple(w.shape) for w in layer.weights])
        for layer in model.layers
    ]


#: Keras 1 layer configs (as Keras 1.2 wrote them) and the numkeras layer each one means.
KERAS1_LAYERS = [
    (
        "Convolution1D",
        {
            "nb_filter": 4,
            "filter_length": 3,
            "subsample_length": 2,
            "border_mode": "same",
            "init": "uniform",
            "W_constraint": {"name": "MaxNorm", "m": 2, "axis": 0},
        },
        lambda L: L.Conv1D(
            4,
            3,
            strides=2,
            padding="same",
            kernel_initializer="uniform",
            kernel_constraint=numkeras.constraints.MaxNorm(2, axis=0),
        ),
    ),
    (
        "AtrousConvolution2D",
        {"nb_filter": 2, "nb_row": 3, "nb_col": 3, "atrous_rate": [2, 2], "dim_ordering": "tf"},
        lambda L: L.Conv2D(2, (3, 3), dilation_rate=(2, 2), data_format="channels_last"),
    ),
    (
        "Embedding",
        {
            "input_dim": 100,
            "output_dim": 8,
            "init": "uniform",
            "input_length": 5,
            "mask_zero": False,
            "dropout": 0.0,
            "W_regularizer": {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01},
        },
        lambda L: L.Embedding(
            100,
            8,
            embeddings_initializer="uniform",
            input_length=5,
            embeddings_regularizer=numkeras.regularizers.L1L2(0.0, 0.01),
        ),
    ),
    (
        "LSTM",
        {
            "output_dim": 4,
            "init": "glorot_uniform",
            "inner_init": "orthogonal",
            "forget_bias_init": "one",
            "activation": "tanh",
            "inner_activation": "hard_sigmoid",
            "W_regularizer": None,
            "U_regularizer": None,
            "b_regularizer": None,
            "dropout_W": 0.1,
            "dropout_U": 0.2,
            "return_sequences": True,
            "go_backwards": False,
            "stateful": False,
            "unroll": False,
            "consume_less": "gpu",
            "input_dim": 3,
            "input_length": 5,
        },
        lambda L: L.LSTM(
            4,
            kernel_initializer="glorot_uniform",
            recurrent_initializer="orthogonal",
            unit_forget_bias=True,
            recurrent_activation="hard_sigmoid",
            dropout=0.1,
            recurrent_dropout=0.2,
            return_sequences=True,
        ),
    ),
    (
        "BatchNormalization",
        {"epsilon": 1e-3, "mode": 0, "axis": -1, "momentum": 0.9, "beta_init": "zero"},
        lambda L: L.BatchNormalization(momentum=0.9, beta_initializer="zero"),
    ),
    (
        "MaxPooling1D",
        {"pool_length": 2, "stride": None, "border_mode": "valid"},
        lambda L: L.MaxPooling1D(pool_size=2, strides=None, padding="valid"),
    ),
]


@pytest.mark.parametrize(("class_name", "config", "expected"), KERAS1_LAYERS)
def test_keras1_layers_mean_their_modern_layers(class_name, config, expected):
    layer = {"class_name": class_name, "config": {"name": "k1", "trainable": True, **config}}
    spec = from_keras({"class_name": "Sequential", "config": [layer]}, "k1.h5")
    ours = registry.deserialize(spec["config"]["layers"][0])
    want = expected(numkeras.layers)
    assert type(ours) is type(want)
    assert _comparable(ours.get_config()) == _comparable(want.get_config())


@pytest.mark.parametrize(
    ("class_name", "config", "message"),
    [
        ("BatchNormalization", {"mode": 2}, r"BatchNormalization 'k1' has mode=2"),
        ("Embedding", {"input_dim": 9, "output_dim": 2, "dropout": 0.5}, r"has dropout=0.5"),
        ("Dense", {"output_dim": 2, "W_regularizer": {"name": "Odd"}}, r"kernel_regularizer"),
        ("Dense", {"output_dim": 2, "units": 3}, r"Dense 'k1'.*both.*output_dim"),
    ],
)
def test_keras1_options_numkeras_lacks_are_refused(class_name, config, message):
    layer = {"class_name": class_name, "config": {"name": "k1", **config}}
    with pytest.raises(ModelFileError, match=message):
        from_keras({"class_name": "Sequential", "config": [layer]}, "k1.h5")


def test_keras1_mlp_rebuilds_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the file spelled Keras 1's names, not the user
        model = _rebuild(from_keras(KERAS1_MLP, "mlp.h5"))
    assert _summary(model) == [
        ("Dense", (None, 500), [(784, 500), (500,)]),
        ("Activation", (None, 500), []),
        ("Dense", (None, 500), [(500, 500), (500,)]),
        ("Activation", (None, 500), []),
        ("Dense", (None, 10), [(500, 10), (10,)]),
        ("Activation", (None, 10), []),
    ]
    assert [layer.name for layer in model.layers][:2] == ["dense_1", "activation_1"]
    assert model.layers[-1].get_config()["activation"] == "softmax"


def test_keras1_cnn_maps_its_names():
    model = _rebuild(from_keras(KERAS1_CNN, "cnn.h5"))
    conv = model.layers[0]
    assert _summary(model)[0] == ("Conv2D", (None, 28, 28, 8), [(3, 3, 1, 8), (8,)])
    assert (conv.padding, conv.kernel_regularizer.get_config()) == (
        "same",
        numkeras.regularizers.L1L2(0.0, 0.01).get_config(),
    )
    assert model.layers[4].rate == 0.5
    assert _summary(model)[-1] == ("Dense", (None, 10), [(1568, 10), (10,)])


def test_keras1_merge_becomes_a_merge_layer():
    model = _rebuild(from_keras(KERAS1_TWO_BRANCH, "two.h5"))
    merged = model.get_layer("merge_1")
    assert type(merged).__name__ == "Concatenate"
    assert tuple(model.output.shape) == (None, 1)
    assert [tuple(t.shape) for t in model.inputs] == [(None, 8), (None, 6)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "cos"}, r"Merge layer 'merge_1' has mode='cos'"),
        ({"output_shape": [4]}, r"Merge layer 'merge_1' has output_shape=\[4\]"),
        ({"mode": ["4wEAAAAA", None, None], "mode_type": "lambda"}, r"Merge layer 'merge_1'.*"),
    ],
)
def test_keras1_merge_that_does_more_is_refused(change, message):
    config = json.loads(json.dumps(KERAS1_TWO_BRANCH))
    config["config"]["layers"][4]["config"] |= change
    with pytest.raises(ModelFileError, match=message):
        from_keras(config, "two.h5")


def test_theano_dimension_ordering_is_refused():
    config = json.loads(json.dumps(KERAS1_CNN))
    config["config"][0]["config"]["dim_ordering"] = "th"
    with pytest.raises(ModelFileError, match=r"Conv2D 'convolution2d_1' has dim_ordering='th'"):
        from_keras(config, "cnn.h5")


@pytest.mark.parametrize("config", [KERAS2_CNN, KERAS2_TWO_BRANCH], ids=["cnn", "two_branch"])
def test_keras2_configs_rebuild_as_keras3_reads_them(keras, config):
    from keras.src.legacy.saving import saving_utils

    theirs = saving_utils.model_from_config(json.loads(json.dumps(config)))
    ours = _rebuild(from_keras(json.loads(json.dumps(config)), "m.h5"))
    assert _architecture(ours) == _architecture(theirs)
    ours.set_weights(theirs.get_weights())
    inputs = _sample_inputs(ours)
    np.testing.assert_allclose(ours.predict(inputs), theirs.predict(inputs, verbose=0), atol=1e-5)


def test_keras2_decay_becomes_the_schedule_keras2_applied():
    training = json.loads(json.dumps(KERAS2_TRAINING))
    training["optimizer_config"] = {"class_name": "SGD", "config": {"lr": 0.1, "decay": 0.01}}
    config = {**KERAS2_CNN, "compile_config": compile_config_from_keras2(training, "m.h5")}
    optimizer_config = from_keras(config, "m.h5")["compile_config"]["optimizer"]
    assert optimizer_config["config"] == {
        "learning_rate": {
            "module": "numkeras.schedules",
            "class_name": "InverseTimeDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.01},
        }
    }
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer = numkeras.optimizers.deserialize(optimizer_config)
    optimizer.iterations = 10
    assert optimizer.learning_rate == pytest.approx(0.1 / (1 + 0.01 * 10))


def test_keras2_sequential_without_input_layer_takes_the_first_layers_shape():
    """Keras 2.0-2.3 gave a Sequential's input shape as its first layer's batch_input_shape."""
    config = json.loads(json.dumps(KERAS2_CNN))
    del config["config"]["layers"][0]
    with_input = _rebuild(from_keras(json.loads(json.dumps(KERAS2_CNN)), "m.h5"))
    assert _architecture(_rebuild(from_keras(config, "m.h5"))) == _architecture(with_input)


def test_keras2_training_config_compiles_as_keras2_did():
    config = {**KERAS2_CNN, "compile_config": compile_config_from_keras2(KERAS2_TRAINING, "m.h5")}
    compile_config = from_keras(config, "m.h5")["compile_config"]
    assert compile_config["optimizer"] == {
        "module": "numkeras.optimizers",
        "class_name": "Adam",
        "config": {
            "learning_rate": 0.001,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
    }
    numkeras.optimizers.deserialize(compile_config["optimizer"])
    loss = numkeras.losses.deserialize(compile_config["loss"])
    assert loss.get_config() == numkeras.losses.CategoricalCrossentropy().get_config()
    assert compile_config["metrics"] == ["accuracy"]


# -- hostile configs ------------------------------------------------------------------------------
_JUNK = [None, 0, -1, 2.5, True, "x", "", [], {}, [None], {"class_name": 3}, {"config": []}]


def _paths(value, path=()):
    """Every place in a JSON tree, as the keys and indices that lead there."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(config, path, junk):
    config = json.loads(json.dumps(config))
    if not path:
        return junk
    holder = config
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = junk
    return config


def test_any_damaged_config_raises_model_file_error_or_translates(keras):
    """Every place of real Keras 3, 2 and 1 configs replaced by junk of every kind: from_keras
    either translates the config or refuses it with ModelFileError, never another error."""
    kmodel = _two_branch(keras.layers, keras.models)
    kmodel.compile(optimizer="adam", loss="mse", metrics=["mae"])
    configs = [_keras_config(kmodel), _keras_config(_masked_rnn(keras.layers, keras.models))]
    configs += [KERAS1_MLP, KERAS1_TWO_BRANCH, KERAS2_CNN]
    rng = np.random.default_rng(0)
    tried = 0
    for config in configs:
        paths = list(_paths(config))
        for index in rng.choice(len(paths), size=min(len(paths), 40), replace=False):
            for junk in _JUNK:
                try:
                    from_keras(_replaced(config, paths[index], junk), "m.keras")
                except ModelFileError:
                    pass
                tried += 1
    for path in _paths(KERAS2_TRAINING):
        for junk in _JUNK:
            try:
                training = compile_config_from_keras2(
                    _replaced(KERAS2_TRAINING, path, junk), "m.h5"
                )
                from_keras({**KERAS1_MLP, "compile_config": training}, "m.h5")
            except ModelFileError:
                pass
            tried += 1
    assert tried > 2000


def test_deep_nesting_is_refused_before_it_is_walked():
    deep = {"name": "d", "units": 2}
    for _ in range(10_000):
        deep = {"class_name": "L1L2", "config": {"l1": deep}}
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": deep}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [dense]}}
    with pytest.raises(ModelFileError, match="nests deeper than 64 levels"):
        from_keras(config, "m.keras")
