"""``model.export("m.onnx", format="onnx")``: a model's inference graph as an ONNX file.

The exporter walks the model's recorded graph (Sequential, functional, functional subclasses,
models nested in either), turns each layer call into ONNX nodes with the converter registered
for its class (:data:`numkeras.export.onnx_graph.CONVERTERS`), and stores the current weights
as float32 constants. It reads the model's configuration and weights, never runs its code, so
a subclassed model whose ``call`` is Python code has no graph to export.

The file's inputs are named after the model's inputs, its outputs after the layers that make
them; the batch axis (and any other axis the model leaves as None, such as the time axis of a
sequence) is dynamic. Every unsupported layer is named in one ValueError before anything is
written, and the file is written atomically (a failure leaves no file behind).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..utils.io_utils import atomic_write
from . import onnx_activations, onnx_conv, onnx_layers, onnx_recurrent  # noqa: F401 (register)
from .onnx_graph import GraphBuilder, Shape, Unsupported, converter_for

#: The opsets written: 18 (reductions and Split take their axes as inputs) up to onnx's newest.
MIN_OPSET = 18
DEFAULT_OPSET = 18


def require_onnx() -> Any:
    """The onnx package, imported on first use so that ``import numkeras`` does not pay for it."""
    try:
        import onnx
    except ImportError as e:
        raise ImportError(
            "Exporting to ONNX needs the onnx package: pip install 'numkeras[interop]'"
        ) from e
    return onnx


def export_onnx(
    model: Any,
    filepath: str | os.PathLike[str],
    verbose: bool | None = None,
    input_signature: Any = None,
    opset_version: int | None = None,
) -> None:
    """Write ``model``'s inference graph to the ONNX file ``filepath``.

    Args:
        model: a built Sequential or functional model (or a functional subclass).
        filepath: the ``.onnx`` file to write (replaced atomically).
        verbose: print where the file went; None means True, as in Keras.
        input_signature: None (the model's input shapes), or one shape per input (a tuple, or
            an object with ``.shape``, such as ``Input(...)``) to fix sizes the model leaves as
            None, e.g. ``[(1, 28, 28, 1)]``.
        opset_version: the ONNX opset, 18 (the default) up to the installed onnx's newest.

    Raises:
        ValueError: a subclassed model without a graph, a model not built, an input signature
            that does not fit the inputs, an opset out of range, or layers with no ONNX form
            (all named at once).
    """
    onnx = require_onnx()
    opset = _opset(onnx, opset_version)
    _check_graph(model, ValueError)
    declared = _declared_shapes(model, input_signature)
    g = GraphBuilder(onnx, opset)
    input_names = [g.fresh(_input_name(t, i)) for i, t in enumerate(model.inputs)]
    output_names = [g.fresh(name) for name in model.output_names]
    problems: list[str] = []
    results = _convert_model(g, model, input_names, problems)
    if problems:
        raise ValueError(
            f"Model '{model.name}' cannot be exported to ONNX: {len(problems)} layer(s) have no "
            "ONNX equivalent: " + "; ".join(problems) + ". Save it with model.save() instead."
        )
    proto = _model_proto(g, model, input_names, declared, results, output_names)
    onnx.checker.check_model(proto)
    with atomic_write(filepath) as stream:
        stream.write(proto.SerializeToString())
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'.")


def _model_proto(
    g: GraphBuilder,
    model: Any,
    input_names: list[str],
    declared: list[Shape],
    results: list[str],
    output_names: list[str],
) -> Any:
    """The ONNX model: ``g``'s nodes and weights, the declared inputs, and each result
    renamed to its output's name."""
    onnx = g.onnx
    helper = onnx.helper
    for result, name in zip(results, output_names, strict=True):
        g.nodes.append(helper.make_node("Identity", [result], [name], name=f"{name}/output"))
    graph = helper.make_graph(
        g.live_nodes(output_names),
        model.name,
        [
            helper.make_tensor_value_info(name, _element_type(onnx, t.dtype), _dims(shape, name))
            for name, t, shape in zip(input_names, model.inputs, declared, strict=True)
        ],
        [
            helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, _dims(t.shape, None))
            for name, t in zip(output_names, model.outputs, strict=True)
        ],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", g.opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="numkeras")
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto


def _opset(onnx: Any, opset_version: Any) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return DEFAULT_OPSET
    if (
        isinstance(opset_version, bool)
        or not isinstance(opset_version, int)
        or not MIN_OPSET <= opset_version <= newest
    ):
        raise ValueError(
            f"opset_version must be an integer from {MIN_OPSET} to {newest} (the installed "
            f"onnx's newest). Received: opset_version={opset_version!r}"
        )
    return opset_version


def _check_graph(model: Any, error: type[Exception]) -> None:
    """Raise ``error`` unless ``model`` is a built model whose graph numkeras recorded."""
    from ..models.model import Functional
    from ..models.sequential import Sequential

    if not isinstance(model, Functional) or type(model).call not in (
        Functional.call,
        Sequential.call,
    ):
        raise error(
            f"Model '{model.name}' ({type(model).__name__}) is a subclassed model: its call() "
            "is Python code, of which numkeras records no graph to export. Build it with "
            "Sequential or the functional API, Model(inputs, outputs)"
        )
    if not model.built:
        raise error(
            f"Model '{model.name}' is not built, so its input shape is unknown: give it an "
            "Input(shape=...) first, or call model.build(input_shape) before exporting it"
        )


def _input_name(tensor: Any, index: int) -> str:
    return tensor.name or f"input_{index}"


def _declared_shapes(model: Any, input_signature: Any) -> list[Shape]:
    """The shape each graph input declares: the model's, or ``input_signature``'s, which must
    have each input's rank and agree with every size the model knows."""
    shapes = [t.shape for t in model.inputs]
    if input_signature is None:
        return shapes
    given = input_signature
    if len(shapes) == 1 and not (isinstance(given, (list, tuple)) and _is_shape_list(given)):
        given = [given]
    given = [getattr(item, "shape", item) for item in given]
    fits = len(given) == len(shapes) and all(
        isinstance(s, (list, tuple))
        and len(s) == len(expected)
        and all(
            (n is None or isinstance(n, (int, np.integer)) and n > 0) and (e is None or n == e)
            for n, e in zip(s, expected)
        )
        for s, expected in zip(given, shapes)
    )
    if not fits:
        raise ValueError(
            f"input_signature must give one shape per model input, each of the input's rank "
            f"and agreeing with its known sizes: {shapes}. Received: "
            f"input_signature={input_signature!r:.200}"
        )
    return [tuple(None if n is None else int(n) for n in s) for s in given]


def _is_shape_list(value: Sequence[Any]) -> bool:
    """Whether ``value`` is a list of shapes (or of objects with ``.shape``), not one shape."""
    return all(hasattr(item, "shape") or isinstance(item, (list, tuple)) for item in value)


def _dims(shape: Shape, name: str | None) -> list[Any]:
    """ONNX dimensions: known sizes, "batch" for the batch axis, and a named dynamic size for
    another unknown axis of an input (an output's is left unnamed)."""
    return [
        n if n is not None else "batch" if axis == 0 else name and f"{name}_dim{axis}"
        for axis, n in enumerate(shape)
    ]


def _element_type(onnx: Any, dtype: Any) -> int:
    """ONNX's element type of an input of ``dtype``: integer ids keep theirs, every float
    becomes float32 (the exported graph's arithmetic)."""
    numpy_dtype = np.dtype(dtype)
    if numpy_dtype.kind in "iu":
        return onnx.helper.np_dtype_to_tensor_dtype(numpy_dtype)
    return onnx.TensorProto.FLOAT


def _convert_model(
    g: GraphBuilder, model: Any, inputs: list[str], problems: list[str]
) -> list[str]:
    """Convert ``model``'s layer calls in order; the ONNX names of its outputs."""
    values = dict(zip((id(t) for t in model.inputs), inputs, strict=True))
    for node in model._nodes:
        names = [values[id(t)] for t in node.inputs]
        outputs = _convert_call(g, node, names, [t.shape for t in node.inputs], problems)
        values.update(zip((id(t) for t in node.outputs), outputs, strict=True))
    return [values[id(t)] for t in model.outputs]


def _convert_call(
    g: GraphBuilder, node: Any, inputs: list[str], shapes: list[Shape], problems: list[str]
) -> list[str]:
    """One layer call as ONNX nodes: its converter's, or a nested model's graph. A layer that
    cannot be converted is added to ``problems`` and gets placeholder outputs, so that the
    walk goes on and every such layer is reported."""
    layer = node.layer
    try:
        if node.arguments:
            raise Unsupported(
                f"it is called with {sorted(node.arguments)}, which the export does not carry"
            )
        if _is_model(layer):
            _check_graph(layer, Unsupported)
            outputs = _convert_model(g, layer, inputs, problems)
        else:
            convert = converter_for(layer)
            if convert is None:
                raise Unsupported("numkeras has no ONNX converter for this layer")
            result = convert(g, layer, inputs, shapes)
            outputs = [result] if isinstance(result, str) else list(result)
    except Unsupported as reason:
        problems.append(f"'{layer.name}' ({type(layer).__name__}): {reason}")
        return [g.fresh(f"{layer.name}/unconverted") for _ in node.outputs]
    if getattr(layer, "supports_masking", False) and any(x in g.masked for x in inputs):
        g.masked.update(outputs)
    return outputs


def _is_model(layer: Any) -> bool:
    from ..models.model import Model

    return isinstance(layer, Model)
