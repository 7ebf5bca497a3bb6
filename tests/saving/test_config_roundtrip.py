"""``from_config(get_config())`` for every public registered class, through JSON.

Every class a config may name registers itself; this test finds them all in the registry (after
importing every public module), builds each one (with the arguments of ``EXAMPLES`` where it has
required ones), and checks that its config survives JSON and rebuilds an equal object. A new
class with required arguments needs an entry in ``EXAMPLES``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import numkeras
from numkeras import losses, metrics, registry
from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential
from numkeras.saving.archive import json_default

_MODULES = [
    "activations",
    "callbacks",
    "constraints",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "schedules",
]
for _module in _MODULES:
    importlib.import_module(f"numkeras.{_module}")
for _info in pkgutil.iter_modules(importlib.import_module("numkeras.layers").__path__):
    importlib.import_module(f"numkeras.layers.{_info.name}")


def _functional() -> Model:
    inputs = Input(shape=(3,))
    return Model(inputs, [Dense(2, name="a")(inputs), Dense(1, name="b")(inputs)])


def step_schedule(epoch: int) -> float:
    return 0.1 / (1 + epoch)


EXAMPLES: dict[str, Callable[[], Any]] = {
    "Activation": lambda: _make("Activation", "tanh"),
    "AlphaDropout": lambda: _make("AlphaDropout", 0.1, noise_shape=(None, 1), seed=2),
    "AnnealedDropout": lambda: _make("AnnealedDropout", 5, final_rate=0.1),
    "Bidirectional": lambda: _make(
        "Bidirectional", _make("GRU", 3, return_sequences=True), merge_mode="sum"
    ),
    "Conv1D": lambda: _make("Conv1D", 4, 3, strides=2),
    "Conv1DTranspose": lambda: _make("Conv1DTranspose", 4, 3, strides=2, output_padding=1),
    "Conv2D": lambda: _make("Conv2D", 4, (3, 2), padding="same", activation="relu"),
    "Conv2DTranspose": lambda: _make("Conv2DTranspose", 4, (3, 2), strides=2, padding="same"),
    "Convolution2D": lambda: _make("Convolution2D", 4, kernel_size=3),
    "Dense": lambda: Dense(3, activation="relu", kernel_regularizer="l2", use_bias=False),
    "DepthwiseConv1D": lambda: _make("DepthwiseConv1D", 3, depth_multiplier=2),
    "DepthwiseConv2D": lambda: _make("DepthwiseConv2D", (3, 2), padding="same"),
    "Dropout": lambda: _make("Dropout", 0.3, seed=1),
    "StringLookup": lambda: _make(
        "StringLookup", vocabulary=["a", "b"], idf_weights=[0.5, 1.5], output_mode="tf_idf"
    ),
    "TextVectorization": lambda: _make(
        "TextVectorization", vocabulary=["the", "cat"], ngrams=2, output_sequence_length=4
    ),
    "DropConnect": lambda: _make("DropConnect", 4, rate=0.2, seed=3),
    "Embedding": lambda: _make("Embedding", 50, 4, mask_zero=True),
    "Dot": lambda: _make("Dot", (1, 2), normalize=True),
    "GaussianDropout": lambda: _make("GaussianDropout", 0.2, seed=4),
    "GaussianNoise": lambda: _make("GaussianNoise", 0.1),
    "GRU": lambda: _make("GRU", 4, reset_after=False, return_sequences=True),
    "GRUCell": lambda: _make("GRUCell", 4, reset_after=False, recurrent_dropout=0.1),
    "InputLayer": lambda: _make("InputLayer", shape=(3,)),
    "IntegerLookup": lambda: _make("IntegerLookup", vocabulary=[7, 3], mask_token=0),
    "LSTM": lambda: _make("LSTM", 4, unit_forget_bias=False, return_state=True),
    "LSTMCell": lambda: _make("LSTMCell", 4, unit_forget_bias=False, dropout=0.2),
    "Lambda": lambda: _make("Lambda", step_schedule, output_shape=(3,), arguments={"a": 1}),
    "Maxout": lambda: _make("Maxout", 4, pieces=2),
    "OpLayer": lambda: _make(
        "OpLayer", "getitem", [{"__tensor__": 0}, {"__tuple__": [{"__slice__": [None, 2, None]}]}]
    ),
    "Permute": lambda: _make("Permute", (2, 1)),
    "RandomContrast": lambda: _make("RandomContrast", 0.2, seed=1),
    "RandomRotation": lambda: _make("RandomRotation", 0.1, fill_mode="constant"),
    "RandomTranslation": lambda: _make("RandomTranslation", 0.1, (-0.2, 0.1)),
    "RandomZoom": lambda: _make("RandomZoom", 0.1, seed=2),
    "RNN": lambda: _make("RNN", [_make("LSTMCell", 3), _make("GRUCell", 2)], go_backwards=True),
    "RepeatVector": lambda: _make("RepeatVector", 3),
    "Reshape": lambda: _make("Reshape", (2, -1)),
    "Rescaling": lambda: _make("Rescaling", [1.0, 2.0], offset=0.5),
    "CenterCrop": lambda: _make("CenterCrop", 3, 4),
    "Resizing": lambda: _make("Resizing", 3, 4, interpolation="nearest"),
    "SimpleRNN": lambda: _make("SimpleRNN", 4, activation="relu", go_backwards=True),
    "SimpleRNNCell": lambda: _make("SimpleRNNCell", 4, activation="relu", seed=1),
    "SeparableConv1D": lambda: _make("SeparableConv1D", 4, 3, strides=2),
    "SeparableConv2D": lambda: _make("SeparableConv2D", 4, 3, depth_multiplier=2),
    "SpatialDropout1D": lambda: _make("SpatialDropout1D", 0.2),
    "SpatialDropout2D": lambda: _make("SpatialDropout2D", 0.2),
    "StackedRNNCells": lambda: _make("StackedRNNCells", [_make("SimpleRNNCell", 2)]),
    "TimeDistributed": lambda: _make("TimeDistributed", Dense(3, activation="relu")),
    "CosineDecay": lambda: _make("CosineDecay", 0.1, 100),
    "ExponentialDecay": lambda: _make("ExponentialDecay", 0.1, 10, 0.5, staircase=True),
    "InverseSqrtDecay": lambda: _make("InverseSqrtDecay", 0.1),
    "InverseTimeDecay": lambda: _make("InverseTimeDecay", 0.1, 1, 0.01),
    "PiecewiseConstantDecay": lambda: _make("PiecewiseConstantDecay", [10], [0.1, 0.01]),
    "LossFunctionWrapper": lambda: losses.LossFunctionWrapper(losses.mean_squared_error),
    "MeanMetricWrapper": lambda: metrics.MeanMetricWrapper(metrics.accuracy),
    "CSVLogger": lambda: _make("CSVLogger", "log.csv", separator=";"),
    "ModelCheckpoint": lambda: _make("ModelCheckpoint", "m.numkeras", save_best_only=True),
    "LearningRateScheduler": lambda: _make("LearningRateScheduler", step_schedule),
    "Model": _functional,  # Model(inputs, outputs) makes a Functional; Model rebuilds one
    "Functional": _functional,
    "Sequential": lambda: Sequential([Dense(2, input_shape=(3,)), Dense(1)]),
}


def _make(name: str, *args: Any, **kwargs: Any) -> Any:
    return registry.registered_class(name)(*args, **kwargs)


def _public() -> list[str]:
    """The key ("numkeras.layers>Dense") of every public class numkeras registers."""
    return sorted(
        key
        for key, cls in registry._CLASSES.items()
        if not cls.__name__.startswith("_") and registry.is_own(cls)
    )


def _json(config: Any) -> str:
    return json.dumps(config, default=json_default, sort_keys=True)


@pytest.mark.parametrize("name", _public())
def test_config_round_trip(name: str) -> None:
    cls = registry.registered_class(name)
    try:
        obj = EXAMPLES[cls.__name__]() if cls.__name__ in EXAMPLES else cls()
    except TypeError as e:
        pytest.fail(
            f"{name} needs constructor arguments ({e}): add an example to EXAMPLES in {__name__}"
        )
    text = _json(obj.get_config())
    # A config names the user's functions (a Lambda's): they come from custom objects.
    with registry.custom_object_scope({"step_schedule": step_schedule}):
        rebuilt = cls.from_config(json.loads(text))
    assert isinstance(obj, cls)
    assert type(rebuilt) is type(obj)
    assert _json(rebuilt.get_config()) == text


def test_every_public_module_was_searched() -> None:
    assert {
        "numkeras.layers>Dense",
        "numkeras.optimizers>Adam",
        "numkeras.losses>MeanSquaredError",
        "numkeras.metrics>MeanSquaredError",
        "numkeras.initializers>GlorotUniform",
        "numkeras.regularizers>L2",
        "numkeras.models>Sequential",
    } <= set(_public())
    assert numkeras.__version__
