"""Write the regression corpus: hostile and broken model files, and what loading each must say.

Run from the repository root (``.venv/bin/python tests/saving_corpus/make_corpus.py``) to
regenerate the files; tests/saving/test_corpus.py loads every one of them. Each file is a small,
valid model file with one attack or defect put in; ``expected.json`` maps each file name to a
piece of the ModelFileError message it must raise.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import keras2_hostile  # noqa: E402
import keras_hostile  # noqa: E402

import numkeras  # noqa: E402
from numkeras import backend  # noqa: E402
from saving import forge  # noqa: E402
from saving.helpers import members, npy_bytes, pack, saved_bytes, tiny_model  # noqa: E402


class _Payload:
    """Unpickling this would call numkeras.backend.set_floatx('float16'): a visible side effect."""

    def __reduce__(self):
        return (backend.set_floatx, ("float16",))


def _with(base: dict[str, bytes], **changes: bytes | None) -> dict[str, bytes]:
    contents = dict(base)
    for name, data in changes.items():
        name = name.replace("__", "/").replace("_DOT_", ".")
        if data is None:
            contents.pop(name, None)
        else:
            contents[name] = data
    return contents


def _config(base: dict[str, bytes], edit) -> bytes:
    config = json.loads(base["config.json"])
    edit(config)
    return json.dumps(config).encode()


def _patch_central(data: bytes, name: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of ``name``'s central directory entry (offset from its signature)."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + length] == name.encode():
            struct.pack_into(fmt, out, at + offset, value)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise KeyError(name)


def _saved(model: object, suffix: str = ".numkeras") -> dict[str, bytes]:
    """The members of ``model`` saved, with a fixed date so that the corpus is reproducible."""
    contents = members(saved_bytes(model, suffix))
    meta = json.loads(contents["metadata.json"])
    contents["metadata.json"] = json.dumps({**meta, "date_saved": "2025-01-01@00:00:00"}).encode()
    return contents


def _interleaved_graph(calls: int) -> dict[str, bytes]:
    """Two layers calling each other in turn: rebuilding it takes time quadratic in ``calls``."""
    from numkeras.layers import Activation, Input
    from numkeras.models import Model

    inputs = Input((3,))
    base = _saved(Model(inputs, Activation("relu", name="b")(Activation("relu", name="a")(inputs))))
    config = json.loads(base["config.json"])
    specs = {spec["name"]: spec for spec in config["config"]["layers"]}
    first = config["config"]["input_layers"][0]
    specs["a"]["inbound_nodes"] = [[first]] + [[["b", k, 0]] for k in range(calls - 1)]
    specs["b"]["inbound_nodes"] = [[["a", k, 0]] for k in range(calls)]
    config["config"]["output_layers"] = [["b", calls - 1, 0]]
    return {**base, "config.json": json.dumps(config).encode()}


def cases() -> dict[str, tuple[bytes, str]]:
    backend.set_random_seed(0)
    base = _saved(tiny_model())
    layers = lambda c: c["config"]["layers"]  # noqa: E731
    object_array = np.array([_Payload()], dtype=object)
    found: dict[str, tuple[bytes, str]] = {}

    def add(
        name: str,
        contents: dict[str, bytes] | bytes,
        message: str,
        compression: int = zipfile.ZIP_STORED,
    ) -> None:
        data = contents if isinstance(contents, bytes) else pack(contents, compression)
        found[name] = (data, message)

    # Pickle payloads: object arrays in a weight and in an optimizer slot.
    add(
        "pickle_in_weight.numkeras",
        _with(base, weights__0_DOT_npy=npy_bytes(object_array, allow_pickle=True)),
        "only numeric arrays",
    )
    add(
        "pickle_in_optimizer_slot.numkeras",
        _with(base, optimizer__0_DOT_npy=npy_bytes(object_array, allow_pickle=True)),
        "only numeric arrays",
    )
    # Path traversal: member names and manifest entries that point outside the archive.
    add(
        "path_traversal_member.numkeras",
        {**base, "../../evil.json": b"{}"},
        "unexpected member '../../evil.json'",
    )
    add(
        "absolute_path_member.numkeras",
        {**base, "/tmp/evil.npy": base["weights/0.npy"]},
        "unexpected member '/tmp/evil.npy'",
    )
    add("dotdot_inside_folder.numkeras", {**base, "weights/../../x.npy": b""}, "unexpected member")
    manifest = json.loads(base["weights.json"])
    manifest["layers"][0]["weights"][0] = "../../etc/passwd"
    add(
        "manifest_traversal.numkeras",
        _with(base, weights_DOT_json=json.dumps(manifest).encode()),
        "exactly once",
    )
    # Zip bombs: a huge compression ratio, a forged size, a forged member count.
    add(
        "zip_bomb_ratio.numkeras",
        _with(base, config_DOT_json=b"{" + b" " * (8 * 2**20) + b"}"),
        "zip bomb",
        zipfile.ZIP_DEFLATED,
    )
    deflated = pack(base, zipfile.ZIP_DEFLATED)
    add(
        "zip_bomb_forged_size.numkeras",
        _patch_central(deflated, "config.json", 24, "<I", 0xFFFFFFFF),
        "zip bomb",
    )
    many = bytearray(deflated)
    end = many.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", many, end + 8, 0xFFFF, 0xFFFF)
    add("zip_bomb_member_count.numkeras", bytes(many), "65535 members")
    # Forged ZIP64 end records: zipfile reads the one right before the locator.
    whole = pack(base)
    count, size, offset = forge.directory(whole)
    true_record = forge.zip64_end_record(count, size, offset)
    million = forge.zip64_end_record(10**6, 46 * 10**6, offset)
    add(
        "zip64_forged_end_record.numkeras",
        forge.with_zip64_end(whole, [true_record, million], 0),
        "ZIP64 end record is not where its locator says",
    )
    add("zip64_member_count.numkeras", forge.with_zip64_end(whole, [million], 0), "1000000 members")
    add(
        "zip64_contradicts_end_record.numkeras",
        forge.with_zip64_end(whole, [true_record], 0, (count - 1, size)),
        "contradicts",
    )
    # Arrays: numkeras stores them, so a compressed one (inflating up to max_ratio) is refused.
    add(
        "deflated_npy.numkeras",
        pack(base, zipfile.ZIP_DEFLATED, zipfile.ZIP_DEFLATED),
        "member 'weights/0.npy' is compressed",
    )
    # JSON that parses into ~44 times its size: the 86 KB file holding 16 MiB, and a
    # document within max_json_bytes refused for its number of values before it is parsed.
    add(
        "json_size_bomb.numkeras",
        _with(base, config_DOT_json=forge.nested_lists(16 * 2**20)),
        "more than the limit of 4194304",
        zipfile.ZIP_DEFLATED,
    )
    add(
        "json_value_bomb.numkeras",
        _with(base, config_DOT_json=forge.nested_lists(4 * 2**20)),
        "JSON values and keys, more than the limit",
        zipfile.ZIP_DEFLATED,
    )
    # Wrong shapes and dtypes.
    kernel = np.zeros((4, 3), np.float32)
    add(
        "wrong_shape.numkeras",
        _with(base, weights__0_DOT_npy=npy_bytes(kernel)),
        "has shape (3, 4) and dtype float32, the file holds shape (4, 3)",
    )
    add(
        "wrong_dtype.numkeras",
        _with(base, weights__0_DOT_npy=npy_bytes(np.zeros((3, 4), np.float64))),
        "the file holds shape (3, 4) and dtype float64",
    )
    add(
        "big_endian.numkeras",
        _with(base, weights__0_DOT_npy=npy_bytes(np.zeros((3, 4), ">f4"))),
        "native byte order",
    )
    add(
        "wrong_slot_shape.numkeras",
        _with(base, optimizer__0_DOT_npy=npy_bytes(np.zeros((2, 2), np.float32))),
        "optimizer state that does not fit",
    )
    header = npy_bytes(np.zeros(3, np.float32)).replace(b"(3,)", b"(%d,)" % 2**40)
    add(
        "npy_huge_declared_shape.numkeras",
        _with(base, weights__1_DOT_npy=header),
        "declares an array of shape",
    )
    # Unknown and out-of-place class names.
    add(
        "unknown_class.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base, lambda c: layers(c)[0].update(class_name="UnregisteredLayer")
            ),
        ),
        "neither a numkeras class nor in custom_objects",
    )
    # A Lambda names a function: refused in safe mode, and a name must be an identifier.
    add(
        "lambda_layer.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base,
                lambda c: layers(c)[0].update(
                    class_name="Lambda", config={"name": "l", "function": "exec"}
                ),
            ),
        ),
        "As in Keras's safe mode, this is refused by default",
    )
    add(
        "lambda_dotted_function.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base,
                lambda c: layers(c)[0].update(
                    class_name="Lambda", config={"name": "l", "function": "os.system"}
                ),
            ),
        ),
        "not a Python identifier",
    )
    add(
        "dotted_class.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base,
                lambda c: layers(c)[0].update(
                    class_name="os.system", config={"command": "echo pwned"}
                ),
            ),
        ),
        "neither a numkeras class",
    )
    add(
        "callback_as_layer.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base,
                lambda c: layers(c)[0].update(
                    class_name="CSVLogger", config={"filename": "pwned.csv"}
                ),
            ),
        ),
        "not part of a model",
    )
    add(
        "callback_as_initializer.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base,
                lambda c: layers(c)[0]["config"].update(
                    kernel_initializer={
                        "class_name": "ModelCheckpoint",
                        "config": {"filepath": "pwned.numkeras"},
                    }
                ),
            ),
        ),
        "not part of a model",
    )
    add(
        "optimizer_as_layer.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base, lambda c: layers(c)[0].update(class_name="Adam", config={})
            ),
        ),
        "where a layer belongs",
    )
    add(
        "layer_as_model.numkeras",
        _with(base, config_DOT_json=_config(base, lambda c: c.update(class_name="Dense"))),
        "not a model",
    )
    # Configs that would make numkeras allocate without bound.
    add(
        "huge_units.numkeras",
        _with(
            base,
            config_DOT_json=_config(base, lambda c: layers(c)[0]["config"].update(units=10**9)),
        ),
        "asks for more than",
    )
    add(
        "huge_input_shape.numkeras",
        _with(
            base,
            config_DOT_json=_config(
                base, lambda c: c["config"].update(build_input_shape=[None, 100000, 100000])
            ),
        ),
        "more than the limit",
    )
    add(
        "graph_too_large.numkeras",
        _interleaved_graph(2500),
        "more than 4096 layers",
        zipfile.ZIP_DEFLATED,
    )
    add(
        "deep_json.numkeras",
        _with(base, config_DOT_json=b"[" * 200_000 + b"]" * 200_000),
        "config.json",
        zipfile.ZIP_DEFLATED,
    )
    add(
        "nested_json.numkeras",
        _with(base, config_DOT_json=b"[" * 100 + b"]" * 100),
        "deeper than the limit of 64",
    )
    add(
        "huge_json_integer.numkeras",
        _with(
            base,
            config_DOT_json=base["config.json"].replace(b'"units": 4', b'"units": ' + b"9" * 5000),
        ),
        "config.json",
    )
    # Truncated, foreign and future files.
    add("truncated_half.numkeras", whole[: len(whole) // 2], "not a zip archive")
    add("truncated_tail.numkeras", whole[:-10], "not a zip archive")
    add("empty.numkeras", b"", "not a zip archive")
    add("hdf5.keras", b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5")
    keras_meta = json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@10:00:00"})
    add(
        "keras_file.keras",
        {
            "metadata.json": keras_meta.encode(),
            "config.json": b'{"class_name": "Sequential", "config": {}}',
            "model.weights.h5": b"\x89HDF\r\n\x1a\n",
        },
        "config has no list of layers",
    )
    meta = json.loads(base["metadata.json"])
    add(
        "newer_format.numkeras",
        _with(base, metadata_DOT_json=json.dumps({**meta, "format_version": 2}).encode()),
        "newer numkeras",
    )
    add(
        "weights_file_as_model.numkeras",
        _saved(tiny_model(), ".weights.npz"),
        "where a model file is needed",
    )
    add("no_metadata.numkeras", _with(base, metadata_DOT_json=None), "no metadata.json")
    add("encrypted_member.numkeras", _patch_central(whole, "config.json", 8, "<H", 1), "encrypted")
    add("lzma_member.numkeras", base, "compression method", zipfile.ZIP_LZMA)
    dup = io.BytesIO()
    with zipfile.ZipFile(dup, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        for name, data in [*base.items(), ("config.json", b"{}")]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    add("duplicate_member.numkeras", dup.getvalue(), "same name")
    add(
        "bad_rng_state.numkeras",
        _with(base, training_DOT_json=base["training.json"].replace(b'"PCG64"', b'"MT19937"')),
        "random-stream state",
    )
    return found


def main() -> None:
    expected = {}
    for name, (data, message) in {
        **cases(),
        **keras_hostile.files(),
        **keras2_hostile.files(),
    }.items():
        (HERE / name).write_bytes(data)
        expected[name] = message
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(
        f"wrote {len(expected)} files with numkeras {numkeras.__version__}; "
        f"no payload ran: floatx={backend.floatx()}"
    )


if __name__ == "__main__":
    main()
