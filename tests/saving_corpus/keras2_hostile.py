"""Hostile and broken Keras 2 HDF5 model files, forged with h5py, for the saving corpus.

:func:`files` gives each file's name, its bytes and a piece of the ModelFileError message that
``numkeras.models.load_model`` must raise for it. :func:`h5_model` forges Keras 2's (or Keras
1's) whole-model layout from a config and arrays, so that valid files can be made too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import h5py
import numpy as np

#: Layer name -> its weights as (name in the file, array), in Keras's order.
Weights = dict[str, list[tuple[str, np.ndarray]]]


def h5_model(
    config: Any,
    weights: Weights,
    keras_version: str | None = "2.4.0",
    backend: str = "tensorflow",
    training_config: Any = None,
    edit: Callable[[h5py.File], None] | None = None,
) -> bytes:
    """A whole-model HDF5 file in Keras 2's layout: root attributes ``model_config`` (and
    ``training_config``), group ``model_weights`` listing ``weights``' layers, each layer's
    group listing its weights and holding them as datasets. ``keras_version=None`` writes it as
    Keras 1 did, with no version on the weights group; ``edit`` spoils the open file last."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode("utf-8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf-8")
        group = f.create_group("model_weights")
        if keras_version is not None:
            for node in (f, group):
                node.attrs["keras_version"] = keras_version.encode("utf-8")
                node.attrs["backend"] = backend.encode("utf-8")
        write_weights(group, weights)
        if edit is not None:
            edit(f)
    return buffer.getvalue()


def write_weights(group: h5py.Group, weights: Weights) -> None:
    """``weights`` in Keras 2's layout in ``group``: the root of a weights-only file, or a
    whole-model file's ``model_weights``."""
    group.attrs["layer_names"] = np.array([name.encode() for name in weights])
    for name, arrays in weights.items():
        layer = group.create_group(name)
        layer.attrs["weight_names"] = np.array([w.encode() for w, _ in arrays], dtype="S")
        for weight, array in arrays:
            layer.create_dataset(weight, data=array)


def dense(name: str, units: int, activation: str = "linear") -> dict:
    """A Keras 2 Dense layer's config."""
    config = {
        "name": name,
        "trainable": True,
        "dtype": "float32",
        "units": units,
        "activation": activation,
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    return {"class_name": "Dense", "config": config}


def sequential(inputs: int, *layers: dict) -> dict:
    """A tf.keras 2 Sequential model's config, taking vectors of ``inputs`` values."""
    shape = {"batch_input_shape": [None, inputs], "dtype": "float32", "name": "dense_1_input"}
    first = {"class_name": "InputLayer", "config": shape}
    return {
        "class_name": "Sequential",
        "config": {"name": "sequential_1", "layers": [first, *layers]},
    }


def mlp_weights(kernel: tuple[int, int] = (4, 3)) -> Weights:
    """Weights for ``mlp_config()``'s two Dense layers, named as tf.keras 2 names them."""
    rng = np.random.default_rng(0)
    return {
        "dense_1": [
            ("dense_1/kernel:0", rng.normal(size=kernel).astype("float32")),
            ("dense_1/bias:0", np.zeros(3, "float32")),
        ],
        "dense_2": [
            ("dense_2/kernel:0", rng.normal(size=(3, 2)).astype("float32")),
            ("dense_2/bias:0", np.zeros(2, "float32")),
        ],
    }


def mlp_config(*extra: dict) -> dict:
    """Dense(3, relu) on 4 inputs, then ``extra`` layers, then Dense(2, softmax)."""
    return sequential(4, dense("dense_1", 3, "relu"), *extra, dense("dense_2", 2, "softmax"))


def mlp(edit: Callable[[h5py.File], None] | None = None, **changes: Any) -> bytes:
    """The valid two-layer Keras 2 model file, with ``changes`` to h5_model's arguments."""
    return h5_model(**{"config": mlp_config(), "weights": mlp_weights(), "edit": edit, **changes})


def _replace(path: str, **dataset: Any) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        del f[path]
        if "link" in dataset:
            f[path] = dataset["link"]
        elif dataset:
            f.create_dataset(path, **dataset)

    return edit


_KERNEL = "model_weights/dense_1/dense_1/kernel:0"
#: A Keras 2 Lambda layer: its function is marshalled Python bytecode (here harmless bytes).
_LAMBDA = {
    "class_name": "Lambda",
    "config": {
        "name": "lambda_1",
        "function": ["ZmFrZSBieXRlY29kZQ==", None, None],
        "function_type": "lambda",
        "output_shape": None,
        "arguments": {},
    },
}


def files() -> dict[str, tuple[bytes, str]]:
    """Each hostile file's name -> (its bytes, a piece of the message that refuses it)."""
    valid = mlp()
    unknown = {"class_name": "FancyLayer", "config": {"name": "fancy_1"}}
    return {
        "keras2_truncated.h5": (valid[: len(valid) // 2], "not a readable HDF5 file"),
        "keras2_not_hdf5.h5": (b"\x89HDF\r\n\x1a\n" + b"\0" * 100, "not a readable HDF5 file"),
        "keras2_huge_dataset.h5": (
            mlp(_replace(_KERNEL, shape=(2**20, 2**20), dtype="float32", chunks=(1, 1))),
            "over the size limit",
        ),
        "keras2_external_link.h5": (
            mlp(_replace(_KERNEL, link=h5py.ExternalLink("/etc/passwd", "/x"))),
            "link of type ExternalLink",
        ),
        "keras2_soft_link.h5": (
            mlp(_replace(_KERNEL, link=h5py.SoftLink("/model_weights/dense_2/dense_2/kernel:0"))),
            "link of type SoftLink",
        ),
        "keras2_lambda.h5": (
            h5_model(mlp_config(_LAMBDA), mlp_weights()),
            "Lambda",
        ),
        "keras2_unknown_class.h5": (h5_model(mlp_config(unknown), mlp_weights()), "FancyLayer"),
        "keras2_wrong_shape.h5": (mlp(weights=mlp_weights(kernel=(3, 4))), "shapes [(3, 4), (3,)]"),
        "keras2_string_dataset.h5": (
            mlp(_replace(_KERNEL, data=np.array([b"abc"] * 12).reshape(4, 3))),
            "expected a float or int dataset",
        ),
        "keras2_object_dataset.h5": (
            mlp(
                _replace(
                    _KERNEL,
                    data=np.array(["a"] * 12, dtype=object).reshape(4, 3),
                    dtype=h5py.string_dtype(),
                )
            ),
            "expected a float or int dataset",
        ),
        "keras2_no_model_weights.h5": (
            mlp(_replace("model_weights")),
            "no group at 'model_weights'",
        ),
        "keras2_config_not_json.h5": (
            mlp(lambda f: f.attrs.__setitem__("model_config", b"{'class_name': 'Dense'")),
            "attribute 'model_config'",
        ),
        "keras2_no_model_config.h5": (
            mlp(lambda f: f.attrs.__delitem__("model_config")),
            "no 'model_config' attribute",
        ),
    }
