"""plot_model, model_to_dot and model_to_text: the graph's boxes and edges, compared with Keras 3's
model_to_dot on the same architectures; the image through graphviz; the errors and the text."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys

import pytest

from numkeras import layers, models
from numkeras.utils import model_to_dot, model_to_text, plot_model

# pydot is in the test extra; without it the text rendering and the errors are still tested.
needs_pydot = pytest.mark.skipif(
    importlib.util.find_spec("pydot") is None, reason="pydot is not installed"
)
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None or importlib.util.find_spec("pydot") is None,
    reason="graphviz's `dot` program or pydot is not installed",
)


def branched(lib):
    """Two inputs, a branch each, merged by Concatenate, two outputs: in numkeras or Keras."""
    a = lib.layers.Input(shape=(4,), name="a")
    b = lib.layers.Input(shape=(3,), name="b")
    left = lib.layers.Dense(5, activation="relu", name="left")(a)
    right = lib.layers.Dense(5, name="right")(b)
    merged = lib.layers.Concatenate(name="merged")([left, right])
    out = lib.layers.Dense(2, activation="softmax", name="out")(merged)
    side = lib.layers.Dense(1, name="side")(left)
    return lib.models.Model([a, b], [out, side], name="branched")


def chain(lib):
    return lib.models.Sequential(
        [
            lib.layers.Input(shape=(6,)),
            lib.layers.Dense(4, name="hidden"),
            lib.layers.Dropout(0.5, name="drop"),
            lib.layers.Dense(2, name="top"),
        ]
    )


class _Numkeras:
    layers = layers
    models = models


def structure(dot):
    """(box titles, edges between titles) of a pydot graph, clusters included; a title is the
    bold text of Keras's label: ``name`` or the type."""
    titles = {}
    edges = set()
    graphs = [dot]
    while graphs:
        graph = graphs.pop()
        graphs.extend(graph.get_subgraphs())
        for node in graph.get_nodes():
            label = node.get("label")
            if label:
                titles[node.get_name()] = re.search(r"<b>(.*?)</b>\s*(\(\w+\))?", label).group(0)
        edges |= {(e.get_source(), e.get_destination()) for e in graph.get_edges()}
    named = {(titles[s], titles[d]) for s, d in edges}
    return sorted(titles.values()), named


@needs_pydot
@pytest.mark.parametrize("architecture", [branched, chain])
def test_same_boxes_and_edges_as_keras(keras, architecture):
    ours = structure(model_to_dot(architecture(_Numkeras), show_shapes=True))
    theirs = structure(keras.utils.model_to_dot(architecture(keras), show_shapes=True))
    # Keras names a Sequential's InputLayer anew; both leave it out of the drawing.
    assert ours == theirs


@needs_pydot
def test_branched_graph_boxes_edges_and_facts():
    dot = model_to_dot(
        branched(_Numkeras),
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
        rankdir="LR",
    )
    titles, edges = structure(dot)
    assert edges == {
        ("<b>a</b> (InputLayer)", "<b>left</b> (Dense)"),
        ("<b>b</b> (InputLayer)", "<b>right</b> (Dense)"),
        ("<b>left</b> (Dense)", "<b>merged</b> (Concatenate)"),
        ("<b>right</b> (Dense)", "<b>merged</b> (Concatenate)"),
        ("<b>merged</b> (Concatenate)", "<b>out</b> (Dense)"),
        ("<b>left</b> (Dense)", "<b>side</b> (Dense)"),
    }
    source = dot.to_string()
    assert "rankdir=LR" in source
    assert "Input shape: <b>[(None, 5), (None, 5)]</b>" in source
    assert "Output shape: <b>(None, 10)</b>" in source
    assert "Activation: <b>softmax</b>" in source
    assert "Output dtype: <b>float32</b>" in source
    assert "Trainable" in source


@needs_pydot
def test_op_nodes_are_boxes_and_show_layer_names_false_shows_types():
    x = layers.Input(shape=(3,))
    y = layers.Dense(3)(x)
    model = models.Model(x, y + x)
    titles, edges = structure(model_to_dot(model, show_layer_names=False))
    assert titles == ["<b>Add</b>", "<b>Dense</b>", "<b>InputLayer</b>"]
    assert ("<b>InputLayer</b>", "<b>Add</b>") in edges
    assert len(edges) == 3


def nested():
    inner = models.Sequential([layers.Dense(3, name="in_1"), layers.Dense(2, name="in_2")])
    x = layers.Input(shape=(4,), name="x")
    h = layers.Dense(4, name="first")(x)
    return models.Model(x, layers.Dense(1, name="last")(inner(h)))


@needs_pydot
def test_expand_nested_draws_a_cluster_and_connects_the_layers_inside():
    model = nested()
    _, collapsed = structure(model_to_dot(model))
    assert ("<b>first</b> (Dense)", f"<b>{model.layers[2].name}</b> (Sequential)") in collapsed
    dot = model_to_dot(model, expand_nested=True)
    assert len(dot.get_subgraphs()) == 1
    _, edges = structure(dot)
    assert edges == {
        ("<b>x</b> (InputLayer)", "<b>first</b> (Dense)"),
        ("<b>first</b> (Dense)", "<b>in_1</b> (Dense)"),
        ("<b>in_1</b> (Dense)", "<b>in_2</b> (Dense)"),
        ("<b>in_2</b> (Dense)", "<b>last</b> (Dense)"),
    }


class TwoLayers(models.Model):
    def __init__(self):
        super().__init__(name="two")
        self.hidden = layers.Dense(4, name="sub_hidden")
        self.top = layers.Dense(1, name="sub_top")

    def call(self, inputs):
        return self.top(self.hidden(inputs))


@needs_pydot
def test_a_subclassed_model_is_one_box_that_lists_its_layers():
    model = TwoLayers()
    model.build((None, 3))
    dot = model_to_dot(model)
    (node,) = dot.get_nodes()[1:]  # the first is the node defaults
    assert "<b>two</b> (TwoLayers)" in node.get("label")
    assert "sub_hidden (Dense)" in node.get("label")
    assert "sub_top (Dense)" in node.get("label")
    assert model_to_text(model).splitlines()[1:] == [
        "two (TwoLayers)",
        "    sub_hidden (Dense)",
        "    sub_top (Dense)",
    ]


def test_text_rendering():
    text = model_to_text(branched(_Numkeras), show_shapes=True)
    assert text.splitlines() == [
        'Model: "branched" (Functional)',
        "a (InputLayer)  [Output shape: (None, 4)]",
        "b (InputLayer)  [Output shape: (None, 3)]",
        "left (Dense) <- a  [Input shape: (None, 4); Output shape: (None, 5)]",
        "right (Dense) <- b  [Input shape: (None, 3); Output shape: (None, 5)]",
        "merged (Concatenate) <- left, right  "
        "[Input shape: [(None, 5), (None, 5)]; Output shape: (None, 10)]",
        "out (Dense) <- merged  [Input shape: (None, 10); Output shape: (None, 2)]",
        "side (Dense) <- left  [Input shape: (None, 5); Output shape: (None, 1)]",
    ]
    expanded = model_to_text(nested(), expand_nested=True).splitlines()
    assert expanded[3].endswith(" (Sequential)") and expanded[3].startswith("[")
    assert expanded[4:] == [
        "    in_1 (Dense) <- first",
        "    in_2 (Dense) <- in_1",
        "]",
        "last (Dense) <- in_2",
    ]


def test_plot_model_txt_writes_the_text_without_pydot(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # import pydot now raises ImportError
    model = chain(_Numkeras)
    plot_model(model, to_file=tmp_path / "model.txt", show_layer_names=True)
    assert (tmp_path / "model.txt").read_text() == model_to_text(model)


@needs_dot
def test_plot_model_writes_an_image(tmp_path):
    png = tmp_path / "model.png"
    plot_model(branched(_Numkeras), to_file=png, show_shapes=True, dpi=50)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "model.svg"
    plot_model(nested(), to_file=svg, expand_nested=True, show_layer_names=True)
    drawing = svg.read_text()
    assert drawing.startswith("<?xml") and "<svg" in drawing
    assert ">in_2<" in drawing  # graphviz writes the bold name as a text element of its own


@needs_pydot
def test_missing_dot_program_raises_import_error_naming_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program on an empty PATH
    with pytest.raises(ImportError, match="install graphviz.*to_file='model.txt'"):
        plot_model(chain(_Numkeras), to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def test_missing_pydot_raises_import_error_naming_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # import pydot now raises ImportError
    model = chain(_Numkeras)
    with pytest.raises(ImportError, match=r"pip install pydot.*to_file='model.txt'"):
        plot_model(model, to_file=tmp_path / "model.png")
    with pytest.raises(ImportError, match=r"pip install pydot"):
        model_to_dot(model)


def test_bad_arguments_and_unbuilt_models_are_refused():
    model = chain(_Numkeras)
    with pytest.raises(ValueError, match="rankdir must be one of .* Received: rankdir='XY'"):
        model_to_dot(model, rankdir="XY")
    with pytest.raises(ValueError, match="splines must be one of"):
        model_to_dot(model, splines="wavy")
    with pytest.raises(ValueError, match="has not been built yet"):
        model_to_text(models.Sequential([layers.Dense(2)]))
    with pytest.raises(TypeError, match="model must be a numkeras Model"):
        model_to_text(layers.Dense(2))
