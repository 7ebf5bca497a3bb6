"""Op nodes: a ``numkeras.ops`` function applied to symbolic tensors, as a layer of the graph.

Keras 3 users write ``a + b``, ``x[:, 0]`` and ``ops.concatenate([a, b], axis=-1)`` on the
symbolic tensors of a functional model. Each such call becomes an :class:`OpLayer`: a weightless
layer that holds the function's name and its other arguments, applies the function in ``call``
and records a node like any layer, so that ``Model(inputs, outputs)`` trains through it, and
saves and loads it.

Importing this module (``numkeras.layers`` does, so it happens before any symbolic tensor can
exist) registers the handler that ``numkeras.ops.dispatch`` hands failed calls to: any public
function of ``numkeras.ops`` (those in ``ops.__all__``, new ones too) called on KerasTensors
records an op node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..ops import dispatch
from ..ops.core import Tensor, no_grad
from .layer import Layer, unique_name
from .op_arguments import CallTemplate, contains_symbolic, encode_call

Shape = tuple[int | None, ...]

#: The sizes that the None axes of an op node's inputs take, in turn, to find its output shape.
_PROBE_SIZES = (2, 3)


class OpLayer(Layer):
    """``numkeras.ops.<function>(*call_args, **call_kwargs)`` as a weightless layer: the op
    node that ``a + b`` or ``ops.concatenate([a, b])`` records on symbolic tensors.

    Unlike other layers it keeps its inputs' dtypes, and its symbolic outputs carry the dtypes
    the op gives (``ops.argmax`` gives int32), so integer results flow through a graph as in
    Keras.

    Args:
        function: the name of a public function of ``numkeras.ops`` (one of ``ops.__all__``).
        call_args: its positional arguments in JSON form (``numkeras.layers.op_arguments``),
            with ``{"__tensor__": i}`` where the layer's ``i``-th input goes.
        call_kwargs: its keyword arguments in the same form (default: none).
        **kwargs: the arguments of :class:`Layer`; ``name`` defaults to the function's name,
            numbered (``add``, ``add_1``, ...), as Keras 3 names its op nodes.

    Raises:
        ValueError: ``function`` is not a public function of ``numkeras.ops``, or the
            arguments are not in the JSON form.
    """

    def __init__(
        self,
        function: str,
        call_args: list[Any],
        call_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        # A model file names the function: only numkeras.ops's public functions may be named,
        # never an arbitrary attribute.
        if not (isinstance(function, str) and function in ops.__all__):
            raise ValueError(
                "function must be the name of a public function of numkeras.ops (one of "
                f"numkeras.ops.__all__). Received: function={function!r:.100}"
            )
        template = CallTemplate(
            call_args, {} if call_kwargs is None else call_kwargs, f"Op node {function!r}"
        )
        super().__init__(**{**kwargs, "name": kwargs.get("name") or unique_name(function)})
        self.function = function
        self.template = template
        self._op = getattr(ops, function)

    @property
    def op_type(self) -> str:
        """The op's name as Keras 3 shows an op node's type: ``add`` -> ``Add``."""
        return "".join(part.capitalize() for part in self.function.split("_"))

    def _cast(self, x: Any) -> Tensor:
        # The op decides its dtypes (ops.take needs integer indices), not the layer.
        return x if isinstance(x, Tensor) else Tensor(x)

    def _call_symbolic(self, inputs: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        many = isinstance(inputs, (list, tuple))
        self._input_dtypes = [t.dtype for t in (inputs if many else [inputs])]
        outputs = super()._call_symbolic(inputs, args, kwargs)
        for tensor, dtype in zip(
            outputs if isinstance(outputs, list) else [outputs], self._output_dtypes
        ):
            tensor.dtype = dtype
        return outputs

    def call(self, inputs: Any) -> Any:
        """The op applied to ``inputs`` (one tensor, or a list when it takes several)."""
        args, kwargs = self.template.fill(inputs if self.template.count > 1 else [inputs])
        return self._op(*args, **kwargs)

    def _attach_masks(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Nothing: Keras 3's op nodes are not layers, and pass no mask on without a warning."""

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape (a list of them for several outputs), found by applying the op to
        zeros twice: with every None axis of the inputs at 2, then at 3. An output axis whose
        size changes between the two is None."""
        shapes = input_shape if self.template.count > 1 else [input_shape]
        (many, first), (_, second) = (self._probe(shapes, size) for size in _PROBE_SIZES)
        if [len(s) for s in first] != [len(s) for s in second]:
            raise ValueError(
                f"Op node '{self.name}' ({self.function}) gives outputs whose rank depends on "
                f"the size of its inputs' None axes ({first} and {second}), so it cannot be "
                "part of a model's graph."
            )
        found = [tuple(a if a == b else None for a, b in zip(*pair)) for pair in zip(first, second)]
        return found if many else found[0]

    def _probe(self, shapes: list[Shape], size: int) -> tuple[bool, list[tuple[int, ...]]]:
        """Whether the op gives several outputs, and their shapes, on zeros of ``shapes`` with
        each None axis at ``size``."""
        dtypes = getattr(self, "_input_dtypes", None) or [self.dtype] * len(shapes)
        zeros = [
            Tensor(np.zeros([size if n is None else n for n in s], dtype))
            for s, dtype in zip(shapes, dtypes)
        ]
        # Zeros divide by zero, take the log of zero, ...: only the shapes matter here.
        with no_grad(), np.errstate(all="ignore"):
            out = self.call(zeros if self.template.count > 1 else zeros[0])
        many = isinstance(out, (list, tuple))
        outputs = out if many else [out]
        if not all(isinstance(o, Tensor) for o in outputs):
            raise TypeError(
                f"Op node '{self.name}': numkeras.ops.{self.function} returned "
                f"{type(out).__name__}, not tensors, so it cannot be part of a model's graph."
            )
        self._output_dtypes = [str(o.dtype) for o in outputs]
        return many, [o.shape for o in outputs]

    def get_config(self) -> dict[str, Any]:
        call_args, call_kwargs = self.template.to_json()
        return {
            **super().get_config(),
            "function": self.function,
            "call_args": call_args,
            "call_kwargs": call_kwargs,
        }


def record_op(function: str, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``numkeras.ops.<function>(*args, **kwargs)`` on symbolic tensors: the output(s) of a new
    :class:`OpLayer` called on the KerasTensors found among the arguments."""
    call_args, call_kwargs, tensors = encode_call(args, kwargs, f"numkeras.ops.{function}")
    layer = OpLayer(function, call_args, call_kwargs)
    return layer(tensors if len(tensors) > 1 else tensors[0])


dispatch.set_handler(contains_symbolic, record_op)
