"""Fuzzing ``load_model`` (2,100 cases) and ``load_weights`` (300 cases) with broken files, and
Keras's formats (1,800 cases).

Model files are mutated byte by byte, truncated, spliced together, and taken apart and repacked
with mutated JSON members or replaced, renamed, dropped and added members; weights files are
mutated and truncated. Keras 3 ``.keras`` files written by numkeras get their ``config.json``
mutated and their ``model.weights.h5`` member's bytes flipped or cut, and a Keras 2 ``.h5`` file
its bytes flipped or cut: HDF5 is a large C library reading untrusted bytes there.

Every case must either load a model or raise ``ModelFileError``: never another exception, never
a hang (each case has a deadline), never a memory blow-up (the peak memory of the whole run is
checked). The runs are derandomized so that a failure reproduces; the nastiest cases found are
kept in tests/saving_corpus/. The JSON value count that guards the parser is checked against
what random documents really hold.
"""

from __future__ import annotations

import functools
import io
import json
import resource
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numkeras.models import Model, load_model
from numkeras.saving import ModelFileError
from numkeras.saving.archive import count_json_values
from saving_corpus import keras2_hostile

from .helpers import functional_model, members, npy_bytes, pack, saved_bytes, tiny_model

pytestmark = pytest.mark.filterwarnings("ignore")

CASES = {
    "bytes": 600,
    "truncated": 300,
    "spliced": 300,
    "json": 600,
    "members": 300,
    "weights": 300,
    "keras_json": 600,
    "keras_h5_member": 600,
    "keras2_h5": 600,
}
_SETTINGS = dict(
    derandomize=True, database=None, deadline=2000, suppress_health_check=list(HealthCheck)
)

#: Values that configs are mutated to: edge numbers, other types, names of classes of all kinds.
_NASTY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([0, -1, 10**9, 2**31, 2**63, 1e308, float("nan"), float("inf"), -0.0]),
    st.text(max_size=12),
    st.sampled_from(
        [
            "Dense",
            "Sequential",
            "Model",
            "Adam",
            "ModelCheckpoint",
            "CSVLogger",
            "InputLayer",
            "../../etc/passwd",
            "os.system",
            "__import__",
            "float64",
            "object",
            "relu",
            "<lambda>",
            "weights/0.npy",
            "optimizer/0.npy",
        ]
    ),
    st.lists(st.one_of(st.none(), st.integers(-3, 10**6)), max_size=4),
    st.builds(
        lambda name, config: {"class_name": name, "config": config},
        st.sampled_from(["Dense", "Sequential", "ModelCheckpoint", "Adam", "Nope"]),
        st.dictionaries(
            st.sampled_from(["units", "name", "filepath", "rate"]),
            st.integers(-2, 10**7),
            max_size=2,
        ),
    ),
)


@functools.cache
def bases() -> tuple[bytes, ...]:
    """Valid files to start from: trained Sequential, multi-output functional, uncompiled."""
    return (
        saved_bytes(tiny_model()),
        saved_bytes(functional_model()),
        saved_bytes(tiny_model(compiled=False)),
    )


@functools.cache
def keras_bases() -> tuple[bytes, ...]:
    """The same models as :func:`bases`, saved in Keras 3's ``.keras`` format."""
    return tuple(
        saved_bytes(model, ".keras")
        for model in (tiny_model(), functional_model(), tiny_model(compiled=False))
    )


@functools.cache
def weights_base() -> tuple[Model, bytes]:
    model = tiny_model()
    return model, saved_bytes(model, ".weights.npz")


def outcome(data: bytes) -> str:
    """``"loaded"`` or ``"rejected"``; any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = load_model(io.BytesIO(data))
        except ModelFileError:
            return "rejected"
    assert isinstance(model, Model)
    return "loaded"


def weights_outcome(data: bytes) -> str:
    model, _ = weights_base()
    try:
        model.load_weights(io.BytesIO(data))
    except ModelFileError:
        return "rejected"
    return "loaded"


def run(kind: str, strategy: st.SearchStrategy[bytes], check=outcome) -> None:
    seen: dict[str, int] = {"loaded": 0, "rejected": 0}

    @settings(max_examples=CASES[kind], **_SETTINGS)
    @given(strategy)
    def case(data: bytes) -> None:
        seen[check(data)] += 1

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    case()
    growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert sum(seen.values()) >= CASES[kind], seen
    assert growth_mib < 256, f"peak memory grew by {growth_mib:.0f} MiB"
    assert seen["rejected"] > 0


@st.composite
def flipped_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(bases())))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with up to 8 bytes overwritten, then maybe cut short."""
    damaged = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        damaged[draw(st.integers(0, len(damaged) - 1))] = draw(st.integers(0, 255))
    return bytes(damaged[: draw(st.sampled_from([len(damaged), draw(st.integers(0, len(data)))]))])


@st.composite
def damaged_h5_member(draw: st.DrawFn) -> bytes:
    contents = members(draw(st.sampled_from(keras_bases())))
    contents["model.weights.h5"] = _damaged(draw, contents["model.weights.h5"])
    return pack(contents)


@st.composite
def damaged_keras2_h5(draw: st.DrawFn) -> bytes:
    return _damaged(draw, keras2_hostile.mlp())


@st.composite
def broken_weights(draw: st.DrawFn) -> bytes:
    data = bytearray(weights_base()[1])
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(bases()))
    cut = draw(st.integers(0, len(data) - 1))
    return data[cut:] if draw(st.booleans()) else data[:cut]


@st.composite
def spliced(draw: st.DrawFn) -> bytes:
    first, second = draw(st.sampled_from(bases())), draw(st.sampled_from(bases()))
    return first[: draw(st.integers(0, len(first)))] + second[draw(st.integers(0, len(second))) :]


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) into a JSON value, the root included."""
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else (enumerate(value) if isinstance(value, list) else ())
    )
    for key, child in items:
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, files: tuple[bytes, ...] | None = None) -> bytes:
    contents = members(draw(st.sampled_from(files or bases())))
    # config.json is where the rebuilding code meets untrusted values: mutate it most.
    name = draw(
        st.sampled_from(["config.json"] * 4 + sorted(n for n in contents if n.endswith(".json")))
    )
    document = json.loads(contents[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            document = draw(_NASTY)
            continue
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_NASTY)
    contents[name] = json.dumps(document).encode()
    return pack(contents)


@st.composite
def mutated_members(draw: st.DrawFn) -> bytes:
    contents = members(draw(st.sampled_from(bases())))
    names = sorted(contents)
    name = draw(st.sampled_from(names))
    action = draw(st.sampled_from(["drop", "rename", "swap", "npy", "garbage", "add"]))
    if action == "drop":
        del contents[name]
    elif action == "rename":
        contents[draw(st.sampled_from([*names, "../x.npy", "/abs.json", "weights/99.npy"]))] = (
            contents.pop(name)
        )
    elif action == "swap":
        other = draw(st.sampled_from(names))
        contents[name], contents[other] = contents[other], contents[name]
    elif action == "npy":
        import numpy as np

        shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
        dtype = draw(st.sampled_from(["float32", "float64", ">f4", "int8", "bool", "U3"]))
        contents[name] = npy_bytes(np.zeros(shape, dtype=dtype))
    elif action == "garbage":
        contents[name] = draw(st.binary(max_size=64))
    else:
        contents[draw(st.text(min_size=1, max_size=12))] = draw(st.binary(max_size=16))
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    return pack(contents, compression)


def test_bases_load() -> None:
    assert [outcome(data) for data in bases()] == ["loaded"] * 3


def test_fuzz_flipped_bytes() -> None:
    run("bytes", flipped_bytes())


def test_fuzz_truncated() -> None:
    run("truncated", truncated())


def test_fuzz_spliced() -> None:
    run("spliced", spliced())


def test_fuzz_mutated_json() -> None:
    run("json", mutated_json())


def test_fuzz_mutated_members() -> None:
    run("members", mutated_members())


def test_fuzz_weights_files() -> None:
    run("weights", broken_weights(), weights_outcome)


def test_keras_bases_load() -> None:
    assert [outcome(data) for data in keras_bases()] == ["loaded"] * 3
    assert outcome(keras2_hostile.mlp()) == "loaded"


def test_fuzz_keras_config() -> None:
    run("keras_json", mutated_json(keras_bases()))


def test_fuzz_keras_weights_member() -> None:
    run("keras_h5_member", damaged_h5_member())


def test_fuzz_keras2_h5() -> None:
    run("keras2_h5", damaged_keras2_h5())


def test_fuzz_case_count() -> None:
    assert sum(CASES[k] for k in ("bytes", "truncated", "spliced", "json", "members")) >= 2000


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.sampled_from('a"\\,:[]{}/é\n'), max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.sampled_from('k"\\,:[{'), max_size=4), inner, max_size=4
        )
    ),
    max_leaves=30,
)


def _values_and_empties(value: object) -> tuple[int, int]:
    """How many values and keys ``value`` holds, and how many empty lists and dicts."""
    if not isinstance(value, (list, dict)):
        return 1, 0
    children = [*value.values(), *([None] * len(value))] if isinstance(value, dict) else value
    counts = [_values_and_empties(child) for child in children]
    return 1 + sum(c for c, _ in counts), (not value) + sum(e for _, e in counts)


@settings(max_examples=500, derandomize=True, database=None)
@given(_JSON, st.booleans())
def test_json_values_are_counted_exactly(value: object, ascii_only: bool) -> None:
    values, empties = _values_and_empties(value)
    text = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert count_json_values(text) == values + empties
