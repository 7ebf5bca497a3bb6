"""Helpers shared by the tests of the convolutional layers (conv, pooling, normalization,
reshaping, regularization): a float64 gradient check of a layer and a config round trip."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from numkeras import backend, registry
from numkeras.layers import Layer
from numkeras.ops import Variable
from numkeras.utils.gradient_check import check_gradients


def gradcheck_layer(make: Callable[[], Layer], x: np.ndarray, training: bool = True) -> Layer:
    """Build ``make()`` in float64 on ``x``, check the gradients of the input and the trainable
    weights by finite differences, and return the layer."""
    with backend.floatx_scope("float64"):
        layer = make()
        xv = Variable(np.asarray(x, np.float64))
        layer(xv)
        check_gradients(lambda: layer(xv, training=training), xv, *layer.trainable_weights)
    return layer


def round_trip(layer: Layer) -> Layer:
    """Rebuild ``layer`` from its JSON-ready config, directly and through the registry."""
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    via_registry = registry.deserialize({"class_name": type(layer).__name__, "config": config})
    assert type(via_registry) is type(layer)
    return rebuilt
