"""Lambda: a Python function as a layer, as Keras 3's ``keras.layers.Lambda``.

>>> from numkeras import ops
>>> def scaled_tanh(x, scale):
...     return ops.tanh(x) * scale
>>> Lambda(scaled_tanh, arguments={"scale": 2.0})(ops.zeros((1, 3))).shape
(1, 3)

The function computes with ``numkeras.ops`` (or tensor arithmetic), so a model trains through
it with no extra code. Unlike Keras, which saves a lambda expression's bytecode, numkeras never
saves code: a Lambda's config names its function, which must therefore be a named function
(``def``), and loading a model file with a Lambda needs ``safe_mode=False`` and the function in
``custom_objects`` (see ``numkeras.saving.load_model``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import registry
from .layer import Layer, is_shape_list

#: What ``output_shape`` may be: a sample shape, a list of them, or ``f(input_shape)``.
OutputShape = tuple[int | None, ...] | list[tuple[int | None, ...]] | Callable[[Any], Any] | None


class Lambda(Layer):
    """``function(inputs, **arguments)`` as a layer.

    ``function`` also gets ``mask=`` and ``training=`` when its signature names them, as in
    Keras 3. The output shape is ``(batch, *output_shape)`` for a tuple ``output_shape`` (a
    list of such tuples for several outputs), ``output_shape(input_shape)`` for a function,
    and otherwise found by running the layer on zeros.

    Args:
        function: the function to apply; its first argument is the layer's input (a tensor, or
            a list of them for several inputs). To save the layer it must be a named function
            (``def``), not a ``lambda`` expression: the config names it, never holds its code.
        output_shape: the output shape without the batch axis, or a function of the input
            shape giving the whole output shape. Default None: inferred.
        mask: None (default), or ``f(inputs, mask)`` returning the output mask, for
            :meth:`compute_mask`; without one, the layer drops its input's mask.
        arguments: keyword arguments for ``function`` (default none); JSON values, to save.
        **kwargs: the arguments of :class:`Layer`.

    Raises:
        TypeError: ``function``, ``output_shape``, ``mask`` or ``arguments`` has the wrong type.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: OutputShape = None,
        mask: Callable[[Any, Any], Any] | None = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        _check_callable(function, "function", optional=False)
        _check_callable(mask, "mask", optional=True)
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"arguments must be a dict of keyword arguments for the function. "
                f"Received: arguments={arguments!r:.100}"
            )
        self.function = function
        self._output_shape = _checked_output_shape(output_shape)
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = dict(arguments or {})
        # As Keras 3: the function gets mask= and training= only if its signature names them.
        parameters = _parameters(function)
        self._passes = [name for name in ("mask", "training") if name in parameters]

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        """``function(inputs, **arguments)``, with ``mask``/``training`` where it takes them."""
        given = {"mask": mask, "training": training}
        return self.function(inputs, **self.arguments, **{k: given[k] for k in self._passes})

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = (input_shape[0] if is_shape_list(input_shape) else input_shape)[0]
        if isinstance(self._output_shape, list):
            return [(batch, *shape) for shape in self._output_shape]
        return (batch, *self._output_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask, ``mask(inputs, mask)``: None without a ``mask`` function."""
        return None if self.mask is None else self.mask(inputs, mask)

    def named_objects(self) -> dict[str, Any]:
        """The functions its config names, by those names: a custom-object scope in which
        :meth:`from_config` rebuilds this layer in this process (``clone_model`` uses it)."""
        functions = (self.function, self._output_shape, self.mask)
        return {f.__name__: f for f in functions if callable(f)}

    def get_config(self) -> dict[str, Any]:
        """The base config, the function's name, ``arguments``, and ``output_shape`` and
        ``mask`` where given (a function by its name).

        Raises:
            TypeError: a function is a ``lambda`` expression or has no usable name.
        """
        config = {
            **super().get_config(),
            "function": self._name_of(self.function, "function"),
            "arguments": dict(self.arguments),
        }
        if callable(self._output_shape):
            config["output_shape"] = self._name_of(self._output_shape, "output_shape")
        elif self._output_shape is not None:
            shapes = self._output_shape
            config["output_shape"] = (
                [list(s) for s in shapes] if isinstance(shapes, list) else list(shapes)
            )
        if self.mask is not None:
            config["mask"] = self._name_of(self.mask, "mask")
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Lambda:
        """The layer of ``config``, its functions found by name in ``custom_objects`` or an
        active ``custom_object_scope``, and only there: a config never reaches a function by
        itself.

        Raises:
            ValueError: a name is not an identifier, or no custom object has it.
        """
        functions = {
            argument: _custom_function(name, argument, custom_objects)
            for argument, name in named_functions(config).items()
        }
        return cls(**{**config, **functions})

    def _name_of(self, function: Callable[..., Any], argument: str) -> str:
        name = getattr(function, "__name__", None)
        if not (isinstance(name, str) and name.isidentifier()):
            what = "is a lambda expression" if name == "<lambda>" else "has no name"
            raise TypeError(
                f"Lambda layer '{self.name}' cannot be saved: its {argument} {function!r:.100} "
                f"{what}. A config names a Lambda's functions and never holds their code "
                "(Keras saves a lambda's bytecode; numkeras never does): use a named function "
                "(def), and pass it in custom_objects when loading."
            )
        return name


def named_functions(config: dict[str, Any]) -> dict[str, Any]:
    """The entries of a Lambda's config that name functions: ``function`` (whatever it holds),
    and ``output_shape`` and ``mask`` where they are strings."""
    return {
        argument: config.get(argument)
        for argument in ("function", "output_shape", "mask")
        if argument == "function" or isinstance(config.get(argument), str)
    }


def _check_callable(value: Any, argument: str, optional: bool) -> None:
    if not (callable(value) or (optional and value is None)):
        expected = "a function or None" if optional else "a function"
        raise TypeError(f"{argument} must be {expected}. Received: {argument}={value!r:.100}")


def _checked_output_shape(value: Any) -> OutputShape:
    """``output_shape`` as a tuple, a list of tuples, a function or None (JSON gives lists)."""
    if value is None or callable(value):
        return value
    if _is_shape(value):
        return tuple(value)
    if isinstance(value, (list, tuple)) and value and all(_is_shape(s) for s in value):
        return [tuple(s) for s in value]
    raise TypeError(
        "output_shape must be a shape without the batch axis (a tuple of ints and None), a "
        f"list of them, or a function of the input shape. Received: output_shape={value!r:.100}"
    )


def _is_shape(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        n is None or (isinstance(n, int) and not isinstance(n, bool) and n >= 0) for n in value
    )


def _parameters(function: Callable[..., Any]) -> Any:
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature takes neither
        return {}


def _custom_function(
    name: Any, argument: str, custom_objects: Mapping[str, Any] | None
) -> Callable[..., Any]:
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(
            f"A Lambda config's {argument} must be the name of a function (a Python "
            f"identifier). Received: {argument}={name!r:.100}"
        )
    function = registry.custom_object(name, custom_objects)
    if not callable(function):
        raise ValueError(
            f"A Lambda config names the {argument} {name!r}, which is not among the custom "
            f"objects: pass custom_objects={{{name!r}: your_function}} (or use "
            "numkeras.saving.custom_object_scope)."
        )
    return function
