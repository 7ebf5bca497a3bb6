"""Drawings of a model's graph: Keras 3's ``plot_model`` and ``model_to_dot``, and a text form.

``model_to_dot`` gives a ``pydot.Dot`` (graphviz's dot language) with one box per layer and one
edge per tensor passed between layers, as Keras 3 draws them: a ``Sequential`` model as the chain
of its layers, a functional model as its graph from the ``InputLayer``\\ s (op nodes such as
``a + b`` included), a subclassed model as one box, since its ``call`` is Python code whose
connections cannot be read; numkeras lists the layers it holds inside that box.
``plot_model`` writes the drawing to a file through graphviz's ``dot`` program (``pip install
pydot``, or ``numkeras[plot]``, and graphviz's system package, e.g. ``apt-get install
graphviz``). A ``to_file`` ending in ``.txt`` writes :func:`model_to_text`'s rendering instead,
which needs neither: numkeras's own addition, for machines without graphviz.
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import os
from pathlib import Path
from typing import Any

from ..layers.core import InputLayer

#: The edge routings that graphviz's ``splines`` attribute accepts (Keras 3's argument).
_SPLINES = ("ortho", "curved", "polyline", "spline", "line", "true", "false", "none")
_RANKDIRS = ("TB", "LR", "BT", "RL")


@dataclasses.dataclass
class _Box:
    """One layer as drawn, and the graph inside it when it is a nested model drawn expanded."""

    layer: Any
    kind: str
    #: The symbolic tensors of the layer's first call in the model; None where unknown.
    inputs: list[Any] | None
    outputs: list[Any] | None
    inner: _Graph | None = None


@dataclasses.dataclass
class _Graph:
    """A model as drawn: boxes in the order the layers run, and edges between layers."""

    boxes: list[_Box]
    edges: list[tuple[Any, Any]]


# -- reading the model -----------------------------------------------------------------------------
def _model_classes() -> tuple[type, type, type]:
    # Imported when used: utils stands beside models, and models import utils.
    from ..models.model import Functional, Model
    from ..models.sequential import Sequential

    return Model, Functional, Sequential


def _kind(layer: Any) -> str:
    """The type shown for a layer; an op node (``a + b``) shows its op, as in Keras 3."""
    return getattr(layer, "op_type", None) or type(layer).__name__


def _producer(tensor: Any) -> Any:
    """The layer whose call made ``tensor``: an ``InputLayer`` for a model's input."""
    return tensor.node.layer if tensor.node else tensor._input_layer


def _tensors(model: Any, layer: Any) -> tuple[list[Any] | None, list[Any] | None]:
    """The input and output tensors of ``layer``'s first call inside ``model``."""
    for node in model._nodes:
        if node.layer is layer:
            return node.inputs, node.outputs
    if isinstance(layer, InputLayer):
        return None, [layer.output]
    return None, None


def _first_layer(model: Any, input_index: int) -> Any:
    """The innermost layer that receives input ``input_index`` of a nested model."""
    _, functional, sequential = _model_classes()
    while isinstance(model, functional):
        if isinstance(model, sequential):
            model = model.layers[0]
        else:
            model = model.inputs[input_index]._input_layer
        input_index = 0
    return model


def _last_layer(model: Any, output_index: int) -> Any:
    """The innermost layer that makes output ``output_index`` of a nested model."""
    _, functional, _ = _model_classes()
    while isinstance(model, functional):
        tensor = model.outputs[output_index]
        model = _producer(tensor)
        output_index = tensor.node.outputs.index(tensor) if tensor.node else 0
    return model


def _describe(model: Any, expand_nested: bool) -> _Graph:
    """The boxes and edges of ``model`` (see the module docstring)."""
    base, functional, sequential = _model_classes()
    if not isinstance(model, base):
        raise TypeError(f"model must be a numkeras Model. Received: model={model!r:.100}")
    if not model.built:
        raise ValueError(
            f"The model '{model.name}' has not been built yet, so it has no graph to draw: "
            "build it first by calling build() or by calling the model on a batch of data."
        )
    if not isinstance(model, functional):
        return _Graph([_Box(model, _kind(model), None, None)], [])
    layers = model.layers if isinstance(model, sequential) else model.operations

    def box(layer: Any) -> _Box:
        nested = expand_nested and isinstance(layer, functional)
        inner = _describe(layer, expand_nested) if nested else None
        return _Box(layer, _kind(layer), *_tensors(model, layer), inner=inner)

    # Each link is (source layer, its output index, destination layer, its input index).
    if isinstance(model, sequential):
        links = [(a, 0, b, 0) for a, b in zip(layers, layers[1:])]
    else:
        links = [
            (_producer(t), t.node.outputs.index(t) if t.node else 0, node.layer, i)
            for node in model._nodes
            for i, t in enumerate(node.parents)
        ]
    edges: list[tuple[Any, Any]] = []
    for source, out_index, destination, in_index in links:
        if expand_nested:
            # An expanded model has no box of its own: its edges go to the layers inside it.
            source = _last_layer(source, out_index)
            destination = _first_layer(destination, in_index)
        if (source, destination) not in edges:
            edges.append((source, destination))
    return _Graph([box(layer) for layer in layers], edges)


def _listing(tensors: list[Any] | None, attribute: str) -> str:
    """One tensor's shape or dtype as Keras 3 shows it, ``(None, 4)``; a list for several."""
    if not tensors:
        return "?"
    values = [getattr(t, attribute) for t in tensors]
    return str(values[0]) if len(values) == 1 else str(values)


def _activation_name(layer: Any) -> str | None:
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "name", None) or getattr(activation, "__name__", str(activation))


@dataclasses.dataclass(frozen=True)
class _Show:
    """What each box shows besides the layer's type (``plot_model``'s ``show_*`` arguments)."""

    shapes: bool
    dtype: bool
    layer_names: bool
    activations: bool
    trainable: bool

    def facts(self, box: _Box) -> list[tuple[str, str]]:
        """The box's lines below its title, as (label, value); the trainable flag, which
        Keras 3 shows as a coloured cell, has an empty label."""
        found = []
        activation = _activation_name(box.layer) if self.activations else None
        if activation:
            found.append(("Activation", activation))
        if self.shapes:
            if not isinstance(box.layer, InputLayer):
                found.append(("Input shape", _listing(box.inputs, "shape")))
            found.append(("Output shape", _listing(box.outputs, "shape")))
        if self.dtype:
            found.append(("Output dtype", _listing(box.outputs, "dtype")))
        if self.trainable and box.layer.weights:
            found.append(("", "Trainable" if box.layer.trainable else "Non-trainable"))
        return found

    def title(self, box: _Box) -> str:
        return f"{box.layer.name} ({box.kind})" if self.layer_names else box.kind

    def html_title(self, box: _Box) -> str:
        """Keras 3's title: the name in bold and the type after it, or the type in bold."""
        if self.layer_names:
            return f"<b>{html.escape(box.layer.name)}</b> ({html.escape(box.kind)})"
        return f"<b>{html.escape(box.kind)}</b>"


def _sublayers(layer: Any) -> list[Any]:
    """The layers a subclassed model holds, which its box lists."""
    base, functional, _ = _model_classes()
    if isinstance(layer, base) and not isinstance(layer, functional):
        return list(layer.layers)
    return []


# -- dot ---------------------------------------------------------------------------------------
def _import_pydot() -> Any:
    try:
        return importlib.import_module("pydot")
    except ImportError as error:
        raise ImportError(
            "model_to_dot and plot_model need pydot: install it with `pip install pydot` (or "
            "`pip install numkeras[plot]`), and graphviz's `dot` program (e.g. `apt-get install "
            "graphviz`). Without them, plot_model(model, to_file='model.txt') writes the graph "
            "as text."
        ) from error


def _html_label(box: _Box, show: _Show) -> str:
    """Keras 3's HTML-like table: the title on black, the activation, then one cell per fact;
    a subclassed model's layers below, one row each."""
    rows, cells = [], []
    for label, value in show.facts(box):
        if label == "Activation":
            rows.append(f"Activation: <b>{html.escape(value)}</b>")
        elif label:
            cells.append(
                f'<td bgcolor="white"><font point-size="14">{label}: '
                f"<b>{html.escape(value)}</b></font></td>"
            )
        else:
            colour = "forestgreen" if value == "Trainable" else "firebrick"
            cells.append(
                f'<td bgcolor="{colour}"><font point-size="14" color="white">'
                f"<b>{value}</b></font></td>"
            )
    rows.extend(html.escape(f"{l.name} ({_kind(l)})") for l in _sublayers(box.layer))
    span = max(1, len(cells))
    table = [
        f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
        f"{show.html_title(box)}</font></td></tr>",
        *(
            f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">{row}</font></td></tr>'
            for row in rows
        ),
    ]
    if cells:
        table.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        + "".join(table)
        + "</table>>"
    )


def _fill_dot(pydot: Any, dot: Any, graph: _Graph, show: _Show) -> None:
    for box in graph.boxes:
        if box.inner is not None:
            cluster = pydot.Cluster(
                graph_name=str(id(box.layer)), style="dashed", label=box.layer.name
            )
            cluster.set("labeljust", "l")
            _fill_dot(pydot, cluster, box.inner, show)
            dot.add_subgraph(cluster)
            continue
        node = pydot.Node(str(id(box.layer)), label=_html_label(box, show))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for source, destination in graph.edges:
        dot.add_edge(pydot.Edge(str(id(source)), str(id(destination)), penwidth="2"))


def _check_choice(value: Any, allowed: tuple[str, ...], argument: str) -> None:
    if value not in allowed:
        raise ValueError(f"{argument} must be one of {allowed}. Received: {argument}={value!r}")


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> Any:
    """The model's graph as a ``pydot.Dot`` (a ``pydot.Cluster`` with ``subgraph=True``), as
    Keras 3's ``keras.utils.model_to_dot`` with the same defaults.

    Args:
        model: a built ``Sequential``, functional or subclassed model.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: title each box ``name (Type)`` rather than ``Type``.
        rankdir: graphviz's direction: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: draw nested ``Sequential`` and functional models as dashed clusters of
            their layers rather than as one box.
        dpi: the image's resolution, dots per inch.
        subgraph: return a ``pydot.Cluster`` to add to another graph.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how edges are routed (graphviz's ``splines``): ``"ortho"`` (right angles),
            ``"curved"``, ``"polyline"``, ``"spline"``, ``"line"``.
    """
    _check_choice(rankdir, _RANKDIRS, "rankdir")
    _check_choice(splines, _SPLINES, "splines")
    graph = _describe(model, expand_nested)
    pydot = _import_pydot()
    show = _Show(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed", label=model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot(graph_type="digraph")
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    _fill_dot(pydot, dot, graph, show)
    return dot


# -- text --------------------------------------------------------------------------------------
def _sources(graph: _Graph, found: dict[int, list[str]]) -> dict[int, list[str]]:
    """The names of the layers feeding each layer (by id), over nested graphs too: an edge
    into an expanded model belongs to the graph around it."""
    for source, destination in graph.edges:
        found.setdefault(id(destination), []).append(source.name)
    for box in graph.boxes:
        if box.inner is not None:
            _sources(box.inner, found)
    return found


def _text_lines(
    graph: _Graph, show: _Show, sources: dict[int, list[str]], indent: str
) -> list[str]:
    lines = []
    for box in graph.boxes:
        if box.inner is not None:
            lines.append(f"{indent}[{box.layer.name} ({box.kind})")
            lines.extend(_text_lines(box.inner, show, sources, indent + "    "))
            lines.append(f"{indent}]")
            continue
        line = indent + show.title(box)
        if id(box.layer) in sources:
            line += " <- " + ", ".join(sources[id(box.layer)])
        facts = [f"{label}: {value}" if label else value for label, value in show.facts(box)]
        if facts:
            line += "  [" + "; ".join(facts) + "]"
        lines.append(line)
        lines.extend(f"{indent}    {l.name} ({_kind(l)})" for l in _sublayers(box.layer))
    return lines


def model_to_text(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    expand_nested: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> str:
    """The model's graph as text, one line per layer in the order they run, with the layers
    that feed it after ``<-``; needs neither pydot nor graphviz (numkeras's own)::

        Model: "functional" (Functional)
        input_layer (InputLayer)
        dense (Dense) <- input_layer
        dense_1 (Dense) <- input_layer
        concatenate (Concatenate) <- dense, dense_1

    An expanded nested model's lines sit between ``[name (Type)`` and ``]``, indented; a
    subclassed model's layers are listed, indented, under its line. The arguments are
    :func:`model_to_dot`'s.
    """
    graph = _describe(model, expand_nested)
    show = _Show(show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    header = f'Model: "{model.name}" ({type(model).__name__})'
    lines = _text_lines(graph, show, _sources(graph, {}), "")
    return "\n".join([header, *lines]) + "\n"


# -- files -------------------------------------------------------------------------------------
def _check_graphviz(pydot: Any) -> None:
    """Raise ImportError unless graphviz's ``dot`` program runs."""
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException) as error:
        raise ImportError(
            "plot_model needs graphviz's `dot` program, which was not found or did not run: "
            "install graphviz (e.g. `apt-get install graphviz`, `brew install graphviz`, "
            "`conda install graphviz`; see https://graphviz.org/download/). Without it, "
            "plot_model(model, to_file='model.txt') writes the graph as text."
        ) from error


def plot_model(
    model: Any,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> Any:
    """Draw the model's graph into ``to_file``, as Keras 3's ``keras.utils.plot_model``.

    The file's extension picks graphviz's output format (``.png``, ``.svg``, ``.pdf``, ``.dot``,
    ...; none means PNG). ``.txt`` writes :func:`model_to_text`'s rendering, which needs neither
    pydot nor graphviz. Otherwise a missing pydot or ``dot`` program raises ``ImportError``
    saying what to install, as in Keras 3. ``show_layer_names`` defaults to False here and True
    in ``model_to_dot``, as in Keras 3. The other arguments are :func:`model_to_dot`'s.

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed and the file is an
        image, so that a notebook shows it; else None.
    """
    path = Path(to_file)
    extension = path.suffix[1:].lower() or "png"
    if extension == "txt":
        _check_choice(rankdir, _RANKDIRS, "rankdir")
        text = model_to_text(
            model,
            show_shapes=show_shapes,
            show_dtype=show_dtype,
            show_layer_names=show_layer_names,
            expand_nested=expand_nested,
            show_layer_activations=show_layer_activations,
            show_trainable=show_trainable,
        )
        path.write_text(text, encoding="utf-8")
        return None
    pydot = _import_pydot()
    _check_graphviz(pydot)
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    dot.write(str(path), format=extension)
    if extension in ("png", "jpg", "jpeg", "gif"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=str(path))
    return None
