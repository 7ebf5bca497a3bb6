"""Small models and tools to take numkeras files apart and put them back together."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import numpy as np

from numkeras.layers import Dense, Dropout, Input
from numkeras.models import Model, Sequential

X = np.random.default_rng(0).random((16, 3), dtype=np.float32)
Y = np.eye(2, dtype=np.float32)[np.arange(16) % 2]


def tiny_model(compiled: bool = True, trained: bool = True) -> Sequential:
    """Dense(4, relu) -> Dropout -> Dense(2, softmax) on 3 inputs, Adam, one epoch trained."""
    model = Sequential(
        [
            Dense(4, activation="relu", input_shape=(3,)),
            Dropout(0.25),
            Dense(2, activation="softmax"),
        ]
    )
    if compiled:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        if trained:
            model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    return model


def functional_model() -> Model:
    """Two outputs from one shared hidden layer, compiled with a loss per output."""
    inputs = Input(shape=(3,))
    hidden = Dense(5, activation="tanh", name="hidden")(inputs)
    first = Dense(2, activation="softmax", name="first")(hidden)
    second = Dense(1, name="second")(hidden)
    model = Model(inputs, [first, second])
    model.compile(
        optimizer="sgd",
        loss=["categorical_crossentropy", "mse"],
        loss_weights=[1.0, 0.5],
        metrics={"first": ["accuracy"], "second": []},
    )
    model.fit(X, [Y, X[:, :1]], batch_size=8, epochs=1, verbose=0)
    return model


def saved_bytes(model: Model, suffix: str = ".numkeras") -> bytes:
    """The bytes of ``model.save`` (or ``save_weights`` for a ``.weights.npz`` suffix)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"m{suffix}"
        (model.save_weights if suffix.endswith(".weights.npz") else model.save)(path)
        return path.read_bytes()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pack(
    contents: dict[str, bytes],
    compression: int = zipfile.ZIP_STORED,
    npy_compression: int = zipfile.ZIP_STORED,
) -> bytes:
    """A zip of ``contents`` (name -> bytes) in that order; ``.npy`` members are stored, as
    numkeras writes them, unless ``npy_compression`` says otherwise."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in contents.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                data,
                compress_type=npy_compression if name.endswith(".npy") else compression,
            )
    return out.getvalue()


def edited(data: bytes, **json_edits: Callable[[object], object]) -> bytes:
    """``data`` repacked with JSON members edited: ``edited(data, config=fn)`` edits config."""
    contents = members(data)
    for stem, edit in json_edits.items():
        name = f"{stem}.json"
        contents[name] = json.dumps(edit(json.loads(contents[name]))).encode()
    return pack(contents)


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=allow_pickle)
    return out.getvalue()
