"""Hostile and broken Keras 3 ``.keras`` files for the regression corpus (see make_corpus.py).

Each one starts from the real bytes of a ``.keras`` file that numkeras writes (Keras 3's
layout: ``metadata.json``, ``config.json``, ``model.weights.h5`` and numkeras's ``numkeras/``
members) and puts in one attack or defect, with h5py where the HDF5 member is changed. Needs
h5py, not Keras.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from numkeras.layers import Dense, Dropout
from numkeras.models import Sequential

_DATE = (1980, 1, 1, 0, 0, 0)
_WEIGHTS = "model.weights.h5"
_KERNEL = "layers/dense/vars/0"
#: A Lambda layer as Keras 3 writes it: its function as marshalled bytecode (base64), which
#: Keras would unmarshal and run outside safe mode.
_LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {
        "name": "lambda",
        "trainable": True,
        "function": {
            "class_name": "__lambda__",
            "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAAC", "defaults": None, "closure": None},
        },
        "arguments": {},
    },
    "registered_name": None,
}


def _members() -> dict[str, bytes]:
    """The members of a small trained model saved as ``.keras`` by numkeras, date fixed."""
    rng = np.random.default_rng(0)
    model = Sequential(
        [
            Dense(4, activation="relu", input_shape=(3,), name="dense"),
            Dropout(0.25, name="dropout"),
            Dense(2, name="dense_1"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.random((8, 3)), rng.random((8, 2)), epochs=1, verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.keras"
        model.save(path)
        with zipfile.ZipFile(path) as archive:
            found = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(found["metadata.json"])
    found["metadata.json"] = json.dumps({**meta, "date_saved": "2025-01-01@00:00:00"}).encode()
    return found


def _zip(members: dict[str, bytes], deflated: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED
            archive.writestr(info, data)
    return out.getvalue()


def _h5_edited(members: dict[str, bytes], edit: Callable[[Any], None]) -> dict[str, bytes]:
    """``members`` with ``model.weights.h5`` changed by ``edit(h5py.File)``."""
    buffer = io.BytesIO(members[_WEIGHTS])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    return {**members, _WEIGHTS: buffer.getvalue()}


def _replace(path: str, make: Callable[[Any, str], None]) -> Callable[[Any], None]:
    def edit(f: Any) -> None:
        del f[path]
        make(f, path)

    return edit


def _config_edited(members: dict[str, bytes], edit: Callable[[dict], None]) -> dict[str, bytes]:
    config = json.loads(members["config.json"])
    edit(config)
    return {**members, "config.json": json.dumps(config).encode()}


def files() -> dict[str, tuple[bytes, str]]:
    """File name -> (the file's bytes, a piece of the ModelFileError message loading raises)."""
    base = _members()

    def with_lambda(config: dict) -> None:
        config["config"]["layers"].insert(2, _LAMBDA)

    def with_unknown_class(config: dict) -> None:  # the Dropout layer (after InputLayer, Dense)
        config["config"]["layers"][2]["class_name"] = "Evil"

    def with_huge_units(config: dict) -> None:
        config["config"]["layers"][1]["config"]["units"] = 10**9

    def soft(f: Any, path: str) -> None:
        f[path] = h5py.SoftLink("/layers/dense_1/vars/0")

    def external(f: Any, path: str) -> None:
        f[path] = h5py.ExternalLink("/etc/passwd.h5", "/kernel")

    def huge(f: Any, path: str) -> None:  # declared, never written: takes no space
        f.create_dataset(path, shape=(2**40,), dtype="float32", chunks=(1024,))

    def wrong_shape(f: Any, path: str) -> None:
        f.create_dataset(path, data=np.zeros((4, 3), np.float32))

    def strings(f: Any, path: str) -> None:
        f.create_dataset(path, data=np.array([b"abc"] * 3, dtype="S3"))

    bomb = {**base, _WEIGHTS: base[_WEIGHTS] + bytes(32 * 2**20)}
    cases = {
        "keras_lambda_layer.keras": (
            _zip(_config_edited(base, with_lambda)),
            "holds Python bytecode, which numkeras never runs",
        ),
        "keras_unknown_class.keras": (
            _zip(_config_edited(base, with_unknown_class)),
            "'Evil' ('dropout') is a class numkeras does not have",
        ),
        "keras_wrong_weight_shape.keras": (
            _zip(_h5_edited(base, _replace(_KERNEL, wrong_shape))),
            f"has shape (4, 3) at '{_KERNEL}'",
        ),
        "keras_string_dataset.keras": (
            _zip(_h5_edited(base, _replace(_KERNEL, strings))),
            "expected a float or int dataset",
        ),
        "keras_huge_declared_dataset.keras": (
            _zip(_h5_edited(base, _replace(_KERNEL, huge))),
            "has shape (1099511627776,)",
        ),
        "keras_soft_link.keras": (
            _zip(_h5_edited(base, _replace(_KERNEL, soft))),
            "link of type SoftLink",
        ),
        "keras_external_link.keras": (
            _zip(_h5_edited(base, _replace(_KERNEL, external))),
            "link of type ExternalLink",
        ),
        "keras_truncated_weights.keras": (
            _zip({**base, _WEIGHTS: base[_WEIGHTS][: len(base[_WEIGHTS]) // 2]}),
            "is not a readable HDF5 file",
        ),
        "keras_deflate_bomb.keras": (_zip(bomb, deflated=(_WEIGHTS,)), "zip bomb"),
        "keras_path_traversal.keras": (
            _zip({**base, "../../evil.json": b"{}"}),
            "unexpected member '../../evil.json'",
        ),
        "keras_assets_member.keras": (
            _zip({**base, "assets/vocabulary.txt": b"a\nb\n"}),
            "unexpected member 'assets/vocabulary.txt'",
        ),
        "keras_missing_weights.keras": (
            _zip({k: v for k, v in base.items() if k != _WEIGHTS}),
            "member 'model.weights.h5' is missing",
        ),
        "keras_config_not_json.keras": (
            _zip({**base, "config.json": b'{"class_name": "Sequential", "config": '}),
            "member 'config.json'",
        ),
        "keras_huge_units.keras": (
            _zip(_config_edited(base, with_huge_units)),
            "asks for more than",
        ),
    }
    return cases
