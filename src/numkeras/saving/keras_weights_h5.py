"""Keras 3's ``.weights.h5`` files: write them for real Keras, read the ones it writes.

Keras 3 (``keras/src/saving/saving_lib.py``) stores a model's variables in HDF5 groups named
after each object's class, not its name: a Sequential or functional model's layers sit under
``layers/<snake_case class name>`` (``dense``, then ``dense_1``, ... for the second one of a
class in the same container), each layer's variables as datasets ``vars/0``, ``vars/1``, ... in
the order the layer made them; a layer holding layers stores them in sub-groups named after the
attribute (a recurrent layer's ``cell``, StackedRNNCells' ``cells/lstm_cell``...,
Bidirectional's ``backward_layer`` and ``forward_layer``, TimeDistributed's ``layer``: the
:data:`LAYOUTS` table), a nested model's under its own ``layers`` group, and a subclassed
model's layers under the attribute that holds them (see :func:`entries`). The file is read as
untrusted input: every dataset is checked (a plain dataset in this file, numeric, of the
target weight's shape) before any is read, and nothing is assigned unless the whole file
checks out. :func:`write_model` and :func:`read_model` work on an open h5py File or Group, so
that a ``.keras`` file's ``model.weights.h5`` member shares them.
"""

from __future__ import annotations

import io
import re
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..layers.layer import Layer
from ..utils.io_utils import atomic_write
from . import archive
from . import format as fmt
from .archive import ModelFileError

SUFFIX = ".weights.h5"
_INSTALL = "pip install 'numkeras[interop]'"


class Layout(NamedTuple):
    """How Keras 3 stores one kind of layer in a weights file."""

    #: Keras's class, whose snake_case name is the layer's group (``conv2d``, ``conv2d_1``...).
    keras_class: str
    #: Attributes holding layers that Keras stores in sub-groups of the layer's group, named
    #: after the attribute, in Keras's walk order (sorted names); a list becomes one sub-group
    #: per item, each named after its class. The layer's own weights are the rest, in ``vars``.
    children: tuple[str, ...] = ()


def _layouts() -> dict[str, Layout]:
    """numkeras's class name -> Layout, for every layer whose weights have Keras's order and
    shapes (checked against real Keras 3 in tests/saving/test_keras_weights_h5.py)."""
    same = (
        "Dense Conv1D Conv2D Conv1DTranspose Conv2DTranspose DepthwiseConv1D DepthwiseConv2D "
        "SeparableConv1D SeparableConv2D BatchNormalization LayerNormalization "
        "GroupNormalization Normalization Embedding PReLU SimpleRNNCell LSTMCell GRUCell"
    ).split()
    table = {name: Layout(name) for name in same}
    table["Convolution2D"] = Layout("Conv2D")  # Keras 1's spelling; Keras 3 has one class
    for name in ("RNN", "SimpleRNN", "LSTM", "GRU"):
        table[name] = Layout(name, ("cell",))
    table["StackedRNNCells"] = Layout("StackedRNNCells", ("cells",))
    table["Bidirectional"] = Layout("Bidirectional", ("backward_layer", "forward_layer"))
    table["TimeDistributed"] = Layout("TimeDistributed", ("layer",))
    for name in ("Sequential", "Functional"):
        table[name] = Layout(name, ("layers",))
    return table


LAYOUTS = _layouts()


class Entry(NamedTuple):
    """One object that the file holds a ``vars`` group for."""

    path: str  #: the group holding the object's ``vars`` ("" for the model itself)
    obj: Any  #: the model or layer
    weights: list[Any]  #: its own variables, stored as ``vars/0``, ``vars/1``, ...


def require_h5py(needed_for: str = f"Keras's '{SUFFIX}' files") -> Any:
    """h5py, imported on first use so that ``import numkeras`` does not pay for it; without it,
    an ImportError saying that ``needed_for`` needs it, how to get it, and how to do without."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            f"{needed_for} needs h5py: {_INSTALL}, or save to numkeras's own format "
            "('.numkeras', '.weights.npz'), which needs no HDF5."
        ) from e
    return h5py


def snake_case(name: str) -> str:
    """A class name as Keras names its group: ``BatchNormalization`` -> ``batch_normalization``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def entries(model: Any) -> list[Entry]:
    """Every object whose ``vars`` group the file holds, with that group's path, in order.

    Follows Keras's walk: a Sequential or functional model's ``layers``; a subclassed model's
    public attributes in name order (``layers`` among them), each layer at the path of the
    first attribute that reaches it. Raises ValueError naming a layer with weights that
    numkeras cannot map to Keras's layout.
    """
    found: list[Entry] = []
    _visit(model, "", found, set())
    return found


def _visit(obj: Layer, path: str, found: list[Entry], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    children = _children(obj)
    found.append(Entry(path, obj, _own_weights(obj, [child for _, child in children])))
    prefix = f"{path}/" if path else ""
    for attr, child in children:
        if isinstance(child, Layer):
            _visit(child, prefix + attr, found, seen)
        else:
            _visit_list(child, prefix + attr, found, seen)


def _visit_list(items: Any, path: str, found: list[Entry], seen: set[int]) -> None:
    """A list of layers, each named after its Keras class: ``dense``, ``dense_1``, ..."""
    used: dict[str, int] = {}
    for item in items:
        name = snake_case(keras_class(item))
        used[name] = used.get(name, -1) + 1
        _visit(item, f"{path}/{name}" + (f"_{used[name]}" if used[name] else ""), found, seen)


def keras_class(obj: Any) -> str:
    """The name of Keras 3's class for ``obj`` (a model or user class keeps its own)."""
    layout = LAYOUTS.get(type(obj).__name__)
    return layout.keras_class if layout else type(obj).__name__


def _children(obj: Layer) -> list[tuple[str, Any]]:
    """The attributes Keras walks into from ``obj``: layers, and lists of layers."""
    layout = LAYOUTS.get(type(obj).__name__)
    if layout is not None:
        return [(attr, getattr(obj, attr)) for attr in layout.children]
    if _is_model(obj):
        if _own_weights(obj, [obj.layers]):
            raise ValueError(
                f"Model {obj.name!r} holds weights of its own (add_weight), which numkeras "
                f"cannot map to Keras's '{SUFFIX}' layout yet."
            )
        attrs = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
        attrs["layers"] = obj.layers
        return [
            (k, v)
            for k, v in sorted(attrs.items())
            if isinstance(v, Layer)
            or (isinstance(v, (list, tuple)) and v and all(isinstance(i, Layer) for i in v))
        ]
    if obj.weights:
        raise ValueError(
            f"Layer {obj.name!r} ({type(obj).__name__}) has weights that numkeras cannot map "
            f"to Keras's '{SUFFIX}' layout (Keras 3 has no such layer, or it is not mapped; "
            f"mapped: {', '.join(sorted(LAYOUTS))})."
        )
    return []


def _is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model, known by what it has (saving does not import models)."""
    return hasattr(obj, "layers") and callable(getattr(obj, "fit", None))


def _own_weights(obj: Any, children: list[Any]) -> list[Any]:
    """The variables Keras stores in ``obj``'s own ``vars`` group: those that none of its
    ``children`` (layers, or lists of layers) holds, in the order ``obj`` made them."""
    held = set()
    for child in children:
        for layer in child if isinstance(child, (list, tuple)) else [child]:
            held.update(id(w) for w in layer.weights)
    return [w for w in obj.weights if id(w) not in held]


def write_model(model: Any, f: Any) -> None:
    """Write ``model``'s weights into the writable h5py File or Group ``f`` in Keras 3's layout
    (the whole ``.weights.h5`` file, or the ``model.weights.h5`` member of a ``.keras`` zip)."""
    for entry in entries(model):
        group = f.require_group(_vars_path(entry.path))
        group.attrs["name"] = entry.obj.name
        for i, var in enumerate(entry.weights):
            group.create_dataset(str(i), data=backend.to_numpy(var.data))
    f.require_group("layers")


def read_model(model: Any, f: Any, what: str) -> list[tuple[Any, np.ndarray]]:
    """Check and read ``model``'s weights from the open h5py File or Group ``f`` (Keras 3's
    layout), returning ``(variable, value)`` pairs to assign; nothing is assigned here.

    Every dataset is checked (a hard link in ``f``, numeric, of its weight's shape, under the
    size limit) before any is read, so a bad file costs no reading; groups that Keras writes
    and numkeras has no weights for (a Dropout's empty ``vars``, a seed generator's state) are
    ignored. Raises ModelFileError naming ``what`` for any problem, HDF5's own errors included.
    """
    datasets = _datasets(model, f, what)
    with archive.file_errors(what):
        return [(var, np.asarray(ds[()], dtype=var.data.dtype)) for var, ds in datasets]


def declared_bytes(f: Any, what: str) -> int:
    """The bytes that all datasets in the h5py File or Group ``f`` declare (their shapes times
    their item sizes, no data read): an upper bound on the weights a file can fill, for the
    memory budget of rebuilding a model from its config. Only hard links are walked."""
    h5py = require_h5py()
    sizes: list[int] = []

    def add(_: str, node: Any) -> None:
        if isinstance(node, h5py.Dataset):
            sizes.append(node.size * node.dtype.itemsize)

    with archive.file_errors(what):
        f.visititems(add)
    return sum(sizes)


def _datasets(model: Any, f: Any, what: str) -> list[tuple[Any, Any]]:
    """Each of ``model``'s weights with its dataset in ``f``, all checked, none read."""
    found = entries(model)
    # HDF5 raises errors of many types on a corrupt file, each reported as a ModelFileError.
    with archive.file_errors(what):
        return [
            (var, _dataset(f, f"{_vars_path(entry.path)}/{i}", var, what))
            for entry in found
            for i, var in enumerate(_checked_vars(f, entry, what))
        ]


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    h5py = require_h5py()
    from .weights import check_overwrite

    entries(model)  # an unmappable layer is refused before the old file is touched
    check_overwrite(filepath, overwrite)
    # Built in memory, then written through atomic_write (which writes only): a failed save
    # leaves no half-written file.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write_model(model, f)
    with atomic_write(filepath) as handle:
        handle.write(buffer.getbuffer())


def load_weights(model: Any, filepath: str) -> None:
    """Read a Keras 3 ``.weights.h5`` file into ``model``; raise ModelFileError if it does not
    fit, changing no weight."""
    what = fmt.describe(filepath, "Weights file")
    with open_h5(filepath, what) as f:
        values = read_model(model, f, what)
    assign(values)


def assign(values: list[tuple[Any, np.ndarray]]) -> None:
    """Give each weight its value: the pairs that :func:`read_model` (or another reader of
    Keras's files) returns once everything is checked and read."""
    for var, value in values:
        var.assign(value)


def open_h5(source: Any, what: str) -> Any:
    """``source`` (a path or binary file object) opened read-only as an h5py File; a file that
    HDF5 cannot open raises ModelFileError naming ``what``."""
    h5py = require_h5py()
    try:
        return h5py.File(source, "r")
    except FileNotFoundError:
        raise
    except Exception as e:  # HDF5 fails on damaged bytes with errors of several types
        raise ModelFileError(f"{what} is not a readable HDF5 file: {type(e).__name__}: {e}") from e


def _checked_vars(f: Any, entry: Entry, what: str) -> list[Any]:
    """``entry``'s weights, once its ``vars`` group is known to hold exactly that many
    datasets."""
    own, obj = entry.weights, entry.obj
    if not own:  # nothing to read: an object without weights needs no group
        return own
    group_path = _vars_path(entry.path)
    group = _plain(f, group_path, what, "group")
    if len(group) != len(own):
        raise ModelFileError(
            f"{what} holds {len(group)} weights at {group_path!r} where layer {obj.name!r} has "
            f"{len(own)}."
        )
    return own


def checked_group(f: Any, path: str, what: str) -> Any:
    """The group at ``path`` in ``f``, reached through hard links only (see :func:`_plain`)."""
    return _plain(f, path, what, "group")


def _plain(f: Any, path: str, what: str, expected: str) -> Any:
    """The object at ``path``, after checking every link on the way is a hard link in this
    file (an external or soft link could point anywhere)."""
    h5py = require_h5py()
    node = f
    for part in path.split("/"):
        if part not in node:
            raise ModelFileError(f"{what} has no {expected} at {path!r}.")
        link = node.get(part, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise ModelFileError(
                f"{what} has a link of type {type(link).__name__} at {path!r}; only plain "
                "groups and datasets are read."
            )
        node = node[part]
    wanted = h5py.Group if expected == "group" else h5py.Dataset
    if not isinstance(node, wanted):
        raise ModelFileError(f"{what} has no {expected} at {path!r}.")
    return node


def _dataset(f: Any, path: str, var: Any, what: str) -> Any:
    """The dataset at ``path`` for weight ``var``, checked by :func:`checked_dataset`."""
    return checked_dataset(f, path, tuple(var.shape), what, f"weight {var.name!r}")


def checked_dataset(f: Any, path: str, shape: tuple[int, ...] | None, what: str, owner: str) -> Any:
    """The dataset at ``path`` in ``f``, its data not yet read, once it is known to be a plain
    dataset of this file (hard links only, neither virtual nor external), numeric (float or
    int), of ``shape`` (unless None) and under the size limit. ``owner`` names what it is for
    in the ModelFileError (``"weight 'kernel'"``)."""
    ds = _plain(f, path, what, "dataset")
    if ds.is_virtual or ds.external:
        raise ModelFileError(f"{what} has a virtual or external dataset at {path!r}.")
    if ds.dtype.kind not in "fiu":
        raise ModelFileError(
            f"{what} has dtype {ds.dtype} at {path!r}; expected a float or int dataset."
        )
    if shape is not None and tuple(ds.shape) != tuple(shape):
        raise ModelFileError(
            f"{what} has shape {tuple(ds.shape)} at {path!r}; {owner} has shape {tuple(shape)}."
        )
    if ds.size * ds.dtype.itemsize > archive.LIMITS.max_member_bytes:
        raise ModelFileError(f"{what} has a dataset over the size limit at {path!r}.")
    return ds


__all__ = [
    "SUFFIX",
    "assign",
    "checked_dataset",
    "checked_group",
    "declared_bytes",
    "entries",
    "load_weights",
    "open_h5",
    "read_model",
    "require_h5py",
    "save_weights",
    "snake_case",
    "write_model",
]
