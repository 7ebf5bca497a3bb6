"""Keras 3's ``.weights.h5`` files: write them for real Keras, read the ones it writes.

Keras 3 (``keras/src/saving/saving_lib.py``) stores a model's variables in HDF5 groups named
after each object's class, not its name: a Sequential or functional model's layers sit under
``layers/<snake_case class name>`` (``dense``, then ``dense_1``, ... for the second one of a
class in the same container), each layer's variables as datasets ``vars/0``, ``vars/1``, ... in
the order the layer made them, a recurrent layer's under ``<layer>/cell/vars``, a nested model's
under its own ``layers`` group, and a subclassed model's layers under the attribute that holds
them (see :func:`entries`). The file is read as untrusted input: every dataset is checked
(a plain dataset in this file, numeric, of the target weight's shape) before any is read, and
nothing is assigned unless the whole file checks out.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np

from ..layers.layer import Layer
from ..utils.io_utils import atomic_write
from . import archive
from . import format as fmt
from .archive import ModelFileError

SUFFIX = ".weights.h5"
_INSTALL = "pip install 'numkeras[interop]'"
#: Layers whose own weights are in Keras's order and shapes (checked against real Keras 3).
_MAPPED = {"Dense", "Conv1D", "Conv2D", "BatchNormalization", "Embedding"}
#: Recurrent cells whose weights Keras stores under ``<layer>/cell/vars``.
_MAPPED_CELLS = {"LSTMCell", "GRUCell", "SimpleRNNCell"}
_CONTAINERS = {"Sequential", "Functional"}

Entry = tuple[str, Layer]  # (the group holding the layer's ``vars``, the layer)


def _h5py() -> Any:
    """h5py, imported on first use so that ``import numkeras`` does not pay for it."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            f"Reading and writing Keras '{SUFFIX}' files needs h5py: {_INSTALL}"
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
    found.append((path, obj))
    prefix = f"{path}/" if path else ""
    for attr, child in _children(obj):
        if isinstance(child, Layer):
            _visit(child, prefix + attr, found, seen)
        else:
            _visit_list(child, prefix + attr, found, seen)


def _visit_list(items: Any, path: str, found: list[Entry], seen: set[int]) -> None:
    """A list of layers, each named after its class: ``dense``, ``dense_1``, ..."""
    used: dict[str, int] = {}
    for item in items:
        name = snake_case(type(item).__name__)
        used[name] = used.get(name, -1) + 1
        _visit(item, f"{path}/{name}" + (f"_{used[name]}" if used[name] else ""), found, seen)


def _children(obj: Layer) -> list[tuple[str, Any]]:
    """The attributes Keras walks into from ``obj``: layers, and lists of layers."""
    kind = type(obj).__name__
    if kind in _CONTAINERS:
        return [("layers", obj.layers)]
    if isinstance(getattr(obj, "cell", None), Layer):
        if type(obj.cell).__name__ not in _MAPPED_CELLS:
            raise ValueError(
                f"Layer {obj.name!r} has a {type(obj.cell).__name__}, whose weights numkeras "
                f"cannot map to Keras's '{SUFFIX}' layout (mapped: {sorted(_MAPPED_CELLS)})."
            )
        return [("cell", obj.cell)]
    if _is_model(obj):
        held = {id(w) for layer in obj.layers for w in layer.weights}
        if any(id(w) not in held for w in obj.weights):
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
    if obj.weights and kind not in _MAPPED | _MAPPED_CELLS:
        raise ValueError(
            f"Layer {obj.name!r} ({kind}) has weights that numkeras cannot map to Keras's "
            f"'{SUFFIX}' layout yet (mapped: {sorted(_MAPPED | _MAPPED_CELLS)})."
        )
    return []


def _is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model, known by what it has (saving does not import models)."""
    return hasattr(obj, "layers") and callable(getattr(obj, "fit", None))


def _own_weights(obj: Any) -> list[Any]:
    """The variables Keras stores in ``obj``'s own ``vars`` group (none for models and
    recurrent layers, whose weights belong to their layers and cells)."""
    if _is_model(obj) or isinstance(getattr(obj, "cell", None), Layer):
        return []
    return list(obj.weights)


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    h5py = _h5py()
    from .weights import check_overwrite

    found = entries(model)
    check_overwrite(filepath, overwrite)
    # Built in memory, then written through atomic_write (which writes only): a failed save
    # leaves no half-written file.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, obj in found:
            group = f.require_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = obj.name
            for i, var in enumerate(_own_weights(obj)):
                group.create_dataset(str(i), data=np.asarray(var.data))
        f.require_group("layers")
    with atomic_write(filepath) as handle:
        handle.write(buffer.getbuffer())


def load_weights(model: Any, filepath: str) -> None:
    """Read a Keras 3 ``.weights.h5`` file into ``model``; raise ModelFileError if it does not
    fit, changing no weight."""
    h5py = _h5py()
    what = fmt.describe(filepath, "Weights file")
    found = entries(model)
    try:
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise ModelFileError(f"{what} is not a readable HDF5 file: {e}") from e
    # Every dataset is checked before any is read, and all are read before any is assigned;
    # HDF5 raises errors of many types on a corrupt file, each reported as a ModelFileError.
    with f, archive.file_errors(what):
        datasets = [
            (var, _dataset(f, f"{path}/vars/{i}" if path else f"vars/{i}", var, what))
            for path, obj in found
            for i, var in enumerate(_checked_vars(f, path, obj, what))
        ]
        values = [(var, np.asarray(ds[()], dtype=var.data.dtype)) for var, ds in datasets]
    for var, value in values:
        var.assign(value)


def _checked_vars(f: Any, path: str, obj: Any, what: str) -> list[Any]:
    """``obj``'s weights, once its ``vars`` group is known to hold exactly that many datasets."""
    own = _own_weights(obj)
    if not own:  # nothing to read: an object without weights needs no group
        return own
    group_path = f"{path}/vars" if path else "vars"
    group = _plain(f, group_path, what, "group")
    if len(group) != len(own):
        raise ModelFileError(
            f"{what} holds {len(group)} weights at {group_path!r} where layer {obj.name!r} has "
            f"{len(own)}."
        )
    return own


def _plain(f: Any, path: str, what: str, expected: str) -> Any:
    """The object at ``path``, after checking every link on the way is a hard link in this
    file (an external or soft link could point anywhere)."""
    h5py = _h5py()
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
    """The dataset at ``path`` for weight ``var``, once it is known to be a plain numeric
    dataset of ``var``'s shape (its data not yet read)."""
    ds = _plain(f, path, what, "dataset")
    if ds.is_virtual or ds.external:
        raise ModelFileError(f"{what} has a virtual or external dataset at {path!r}.")
    if ds.dtype.kind not in "fiu":
        raise ModelFileError(
            f"{what} has dtype {ds.dtype} at {path!r}; expected a float or int dataset."
        )
    if tuple(ds.shape) != tuple(var.shape):
        raise ModelFileError(
            f"{what} has shape {tuple(ds.shape)} at {path!r}; weight {var.name!r} has shape "
            f"{tuple(var.shape)}."
        )
    if ds.size * ds.dtype.itemsize > archive.LIMITS.max_member_bytes:
        raise ModelFileError(f"{what} has a dataset over the size limit at {path!r}.")
    return ds


__all__ = ["SUFFIX", "entries", "load_weights", "save_weights", "snake_case"]
