"""Exporting a model for inference elsewhere: ``model.export(filepath, format="onnx")``.

Keras 3's ``Model.export`` writes several formats; numkeras writes ONNX (with the ``onnx``
package: ``pip install 'numkeras[interop]'``), which ONNX Runtime and most serving stacks run.
The other Keras formats need TensorFlow, OpenVINO, LiteRT or PyTorch and are refused by name.
Nothing here is imported by ``import numkeras``.
"""

from __future__ import annotations

import os
from typing import Any

#: Keras 3's export formats; numkeras writes the first only.
WRITTEN = ("onnx",)
KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")


def export_model(
    model: Any,
    filepath: str | os.PathLike[str],
    format: str = "tf_saved_model",
    verbose: bool | None = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> None:
    """Export ``model`` as an inference artifact: Keras 3's ``Model.export``, same arguments.

    ``format="onnx"`` writes an ONNX file (:func:`numkeras.export.onnx.export_onnx`, which
    takes ``opset_version`` among ``kwargs``). Keras's default, ``"tf_saved_model"``, and its
    other formats raise a ValueError naming the format and what numkeras writes.
    """
    if format not in WRITTEN:
        known = (
            "a Keras 3 format that numkeras cannot write"
            if format in KERAS_FORMATS
            else ("not an export format")
        )
        raise ValueError(
            f"format={format!r} is {known}: numkeras exports to {list(WRITTEN)} only, e.g. "
            "model.export('model.onnx', format='onnx')."
        )
    unknown = sorted(set(kwargs) - {"opset_version"})
    if unknown:
        raise TypeError(
            f"export(format='onnx') takes opset_version besides its arguments. Received: {unknown}"
        )
    from .onnx import export_onnx

    export_onnx(model, filepath, verbose, input_signature, **kwargs)
