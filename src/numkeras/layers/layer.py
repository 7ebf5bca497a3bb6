"""The layer: a function with weights, built lazily from the shape of its first input.

A subclass validates and stores its configuration in ``__init__``, creates its weights in
``build(input_shape)`` with :meth:`Layer.add_weight`, and computes in ``call(inputs)`` with
``numkeras.ops``, so its gradient needs no extra code. Called on arrays or tensors, a layer
computes; called on the symbolic tensors of ``Input(...)``, it records a node of a model's graph.

As in Keras 3, ``call`` receives ``training`` and ``mask`` only when its signature names them,
and a layer called without ``training`` inherits the value of the layer that calls it, so a
``Dropout`` inside a custom layer or a subclassed model knows whether the model is training.
Layers and variables assigned to attributes (directly, or in lists, tuples and dicts) are
tracked: their weights are the layer's weights.

Masks travel with tensors as in Keras 3: a layer that ``supports_masking`` attaches
``compute_mask(inputs, mask)`` to its outputs (``Tensor._keras_mask``), and a layer whose
``call`` names ``mask`` receives the mask of its input when it is called on that input alone.
So a mask from ``Embedding(mask_zero=True)`` or ``Masking`` reaches an RNN, and the loss, in a
subclassed, Sequential or functional model alike.
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend, legacy, registry
from ..ops.core import Tensor, Variable, as_array, no_grad
from . import auto_config
from .symbolic import KerasTensor, Node, is_symbolic, leaves, map_leaves

Shape = tuple[int | None, ...]

_name_counts: defaultdict[str, int] = defaultdict(int)


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``, ... as Keras names layers and models."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name: str) -> str:
    """Keras's default-name rule: ``Conv2D`` -> ``conv2d``, ``LeakyReLU`` -> ``leaky_re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class InputSpec:
    """What a layer accepts: an exact rank, a minimum rank, and fixed sizes on some axes."""

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}

    def check(self, layer: Layer, shape: Shape) -> None:
        """Raise a ValueError naming ``layer``, the expected and the given shape, on a misfit."""
        problem = None
        if self.ndim is not None and len(shape) != self.ndim:
            problem = f"expected ndim={self.ndim}, found ndim={len(shape)}"
        elif self.min_ndim is not None and len(shape) < self.min_ndim:
            problem = f"expected min_ndim={self.min_ndim}, found ndim={len(shape)}"
        else:
            for axis, size in self.axes.items():
                if shape[axis] is not None and shape[axis] != size:
                    problem = f"expected axis {axis} of the input shape to have value {size}"
                    break
        if problem:
            expected = layer._expected_shape_text()
            expected = f" Expected shape {expected}," if expected else ""
            raise ValueError(
                f"Input of layer '{layer.name}' ({type(layer).__name__}) is incompatible with the "
                f"layer: {problem}.{expected} received shape {_shape_text(shape)}."
            )


def _shape_text(shape: Shape) -> str:
    return (
        "("
        + ", ".join("None" if n is None else str(n) for n in shape)
        + (",)" if len(shape) == 1 else ")")
    )


def _marks_built(build: Callable) -> Callable:
    """Wrap a subclass's ``build`` so that calling it directly also marks the layer built."""

    @functools.wraps(build)
    def wrapped(self: Layer, input_shape: Any = None, *args: Any, **kwargs: Any) -> None:
        result = build(self, input_shape, *args, **kwargs)
        if input_shape is not None:
            self._build_shape = input_shape
        self.built = True
        return result

    return wrapped


class _CallContext:
    """What the layer calls in progress share: the ``training`` flag of the outermost call that
    gave one, and the outermost layer (whose tree's added losses each new call clears)."""

    training: bool | None = None
    entry: Layer | None = None
    #: Whether any layer ever called add_loss: until then no call needs to clear losses.
    losses_added = False


_CONTEXT = _CallContext()


def _keras3_add_weight(
    shape: Any = None,
    initializer: Any = None,
    dtype: Any = None,
    trainable: bool = True,
    autocast: bool = True,
    regularizer: Any = None,
    constraint: Any = None,
    aggregation: str = "none",
    name: str | None = None,
) -> None:
    """Keras 3's ``add_weight`` signature (only bound, never called)."""


def _keras2_add_weight(
    name: str | None = None,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool = True,
    constraint: Any = None,
) -> None:
    """Keras 2's ``add_weight`` signature, name first (only bound, never called)."""


_ADD_WEIGHT_SIGNATURES = (
    inspect.signature(_keras3_add_weight),
    inspect.signature(_keras2_add_weight),
)


def weight_arguments(args: tuple, kwargs: dict[str, Any], layer_dtype: str) -> dict[str, Any]:
    """The arguments of an ``add_weight(*args, **kwargs)`` call by Keras 3's names, defaults
    resolved: Keras 3's order (``shape`` first), or Keras 2's when the first positional
    argument is the weight's name (a string). ``shape`` becomes a tuple (``()`` when None),
    ``dtype`` defaults to ``layer_dtype``, and ``initializer`` to ``'glorot_uniform'`` for
    floats and ``'zeros'`` otherwise, as in Keras 3."""
    keras2 = bool(args) and isinstance(args[0], str)
    bound = _ADD_WEIGHT_SIGNATURES[keras2].bind(*args, **kwargs)
    arguments = {k: p.default for k, p in _ADD_WEIGHT_SIGNATURES[0].parameters.items()}
    arguments.update(bound.arguments)
    arguments["shape"] = () if arguments["shape"] is None else tuple(arguments["shape"])
    arguments["dtype"] = arguments["dtype"] or layer_dtype
    if arguments["initializer"] is None:
        float_dtype = np.dtype(arguments["dtype"]).kind == "f"
        arguments["initializer"] = "glorot_uniform" if float_dtype else "zeros"
    return arguments


_BASE_ARGUMENTS = {
    "name",
    "trainable",
    "dtype",
    "input_shape",
    "batch_input_shape",
    "batch_size",
    "input_dim",
    "activity_regularizer",
    "weights",
}

#: Attributes of a layer that refer to things it does not own, never walked for tracking.
_UNTRACKED = frozenset(
    {
        "_inbound_nodes",
        "_weights",
        "_regularized",
        "_call_losses",
        "_initial_weights",
        "_build_shape",
        "batch_input_shape",
    }
)


class Layer:
    """Base class of every layer.

    Args:
        name: unique name; defaults to the snake-cased class name, numbered (``dense_1``).
        trainable: whether the optimizer updates the layer's weights.
        dtype: dtype of the weights; defaults to ``numkeras.backend.floatx()``.
        input_shape: shape of one sample (without the batch axis), so that a ``Sequential``
            whose first layer this is is built at once (Keras 1's ``input_dim=n`` means
            ``input_shape=(n,)``).
        activity_regularizer: a penalty on the layer's output, added to the training loss.
        weights: Keras 2's initial weights, a list of arrays in the order of
            :meth:`get_weights`, set once the layer is built.
    """

    _call_takes_training = True
    _call_takes_mask = False
    #: Whether the layer passes a mask on to its outputs with :meth:`compute_mask` (Keras 3's
    #: default: False, unless the class defines ``compute_mask``).
    supports_masking = False
    #: The ``__init__`` signature that a user's subclass without a ``get_config`` of its own is
    #: described by (see :mod:`.auto_config`); None for every other class.
    _init_signature: inspect.Signature | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "compute_mask" in cls.__dict__ and "supports_masking" not in cls.__dict__:
            cls.supports_masking = True
        if "__init__" in cls.__dict__:
            cls.__init__ = legacy.accepts_keras1_names(
                cls.__dict__["__init__"], cls.__name__, also=_BASE_ARGUMENTS
            )
        # Found once per class: recording a construction's arguments then costs one binding.
        describes_itself = registry.is_own(cls) or cls.get_config is not Layer.get_config
        cls._init_signature = None if describes_itself else inspect.signature(cls.__init__)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])
        if "call" in cls.__dict__:
            parameters = inspect.signature(cls.__dict__["call"]).parameters
            cls._call_takes_training = "training" in parameters
            cls._call_takes_mask = "mask" in parameters
        # Only numkeras's own layers are registered by name: a file must not reach the
        # application's classes, nor replace numkeras's, unless the user registers them.
        if registry.is_own(cls):
            registry.register(cls)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        # Keras 3 records the constructor's arguments here, before any __init__ runs (so a
        # subclass's __init__ may call its base's however it likes).
        layer = super().__new__(cls)
        if cls._init_signature is not None:
            # Put in place directly: a tuple attribute would be walked for sublayers.
            layer.__dict__["_auto_config"] = auto_config.record(cls._init_signature, args, kwargs)
        return layer

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: str | None = None,
        input_shape: tuple[int | None, ...] | None = None,
        batch_input_shape: tuple[int | None, ...] | None = None,
        batch_size: int | None = None,
        input_dim: int | None = None,
        activity_regularizer: Any = None,
        weights: list[Any] | None = None,
        **kwargs: Any,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {sorted(kwargs)}."
            )
        if input_dim is not None:
            legacy.warn(
                f"`{type(self).__name__}(input_dim={input_dim})` is the Keras 1 "
                f"spelling; use `input_shape=({input_dim},)`."
            )
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size, *tuple(input_shape))
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype or backend.floatx()
        from .. import regularizers  # imported here: regularizers import ops, not layers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec: InputSpec | None = None
        self._build_shape: Any = None
        self._weights: list[Variable] = []
        self._regularized: list[tuple[Variable, Callable]] = []
        self._call_losses: list[Tensor] = []
        self._inbound_nodes: list[Node] = []
        self._initial_weights = None if weights is None else list(weights)

    def __setattr__(self, name: str, value: Any) -> None:
        # Remember which attributes may hold layers or variables, so that tracking walks those
        # only (a container is walked when asked, so what is appended later is found too).
        if isinstance(value, (Layer, Variable, list, tuple, dict)) and name not in _UNTRACKED:
            self.__dict__.setdefault("_tracked_names", {})[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.get("_tracked_names", {}).pop(name, None)
        object.__delattr__(self, name)

    def _tracked(self) -> tuple[list[Layer], list[Variable]]:
        """The layers and the variables held in the layer's attributes (in lists, tuples and
        dicts too), each once, in the order the attributes were first set."""
        layers: list[Layer] = []
        variables: list[Variable] = []
        seen: set[int] = {id(self)}
        held = self.__dict__
        stack = [held[n] for n in reversed(held.get("_tracked_names", ())) if n in held]
        while stack:
            value = stack.pop()
            if isinstance(value, (list, tuple)):
                stack.extend(reversed(value))
            elif isinstance(value, dict):
                stack.extend(reversed(list(value.values())))
            elif id(value) not in seen and isinstance(value, (Layer, Variable)):
                seen.add(id(value))
                (layers if isinstance(value, Layer) else variables).append(value)
        return layers, variables

    @property
    def _sublayers(self) -> list[Layer]:
        """The layers this layer holds in its attributes (Keras's ``_layers``)."""
        return self._tracked()[0]

    # -- weights -------------------------------------------------------------------------------
    def add_weight(self, *args: Any, **kwargs: Any) -> Variable:
        """Create a weight, tracked by the layer, as Keras 3's ``add_weight``.

        Keras 3's arguments (``shape`` first): ``shape`` (default ``()``), ``initializer``
        (a name, an initializer or a callable ``f(shape, dtype)``; default
        ``'glorot_uniform'`` for floats, ``'zeros'`` otherwise), ``dtype`` (default the
        layer's), ``trainable=True``, ``regularizer``, ``constraint`` and ``name``;
        ``autocast`` and ``aggregation`` are accepted. Keras 2's order, the name first
        (``add_weight('kernel', shape, ...)``), is accepted too.
        """
        from .. import constraints, initializers, regularizers

        spec = weight_arguments(args, kwargs, self.dtype)
        value = initializers.get(spec["initializer"])(spec["shape"], dtype=spec["dtype"])
        trainable = bool(spec["trainable"])
        count = len(self._weights)
        name = spec["name"] or ("variable" if count == 0 else f"variable_{count}")
        var = Variable(
            value,
            name=f"{self.name}/{name}",
            trainable=trainable and self.trainable,
            constraint=constraints.get(spec["constraint"]),
        )
        var.layer_trainable = trainable  # the weight's own flag, kept when the layer is frozen
        self._weights.append(var)
        regularizer = regularizers.get(spec["regularizer"])
        if regularizer is not None:
            self._regularized.append((var, regularizer))
        return var

    def _add_configured_weight(self, name: str, shape: tuple, **kwargs: Any) -> Variable:
        """:meth:`add_weight` of ``name`` with the layer's ``<name>_initializer``,
        ``<name>_regularizer`` and ``<name>_constraint`` (those it has)."""
        for kind in ("initializer", "regularizer", "constraint"):
            if hasattr(self, f"{name}_{kind}"):
                kwargs.setdefault(kind, getattr(self, f"{name}_{kind}"))
        return self.add_weight(shape=shape, name=name, **kwargs)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (False) or unfreeze the layer's weights and those of the layers it holds, as
        for transfer learning; compile again for ``fit`` to see it."""
        self._trainable = bool(value)
        for var in self._weights:
            var.trainable = var.requires_grad = self._trainable and var.layer_trainable
        for layer in self._sublayers:
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """The layer's own weights (in creation order), then those of the variables and layers
        its attributes hold, each once."""
        if "_tracked_names" not in self.__dict__:
            return list(self._weights)
        layers, variables = self._tracked()
        return distinct([*self._weights, *variables, *(w for l in layers for w in l.weights)])

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable]

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        """Keras 3's name of :attr:`trainable_weights`."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """Keras 3's name of :attr:`non_trainable_weights`."""
        return self.non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in creation order."""
        return [backend.to_numpy(w.data).copy() for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrite the weights, in the order of :meth:`get_weights`, checking count and shapes."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays "
                f"({[w.name for w in own]}), received {len(weights)}."
            )
        for var, value in zip(own, weights):
            if tuple(np.shape(value)) != var.shape:
                raise ValueError(
                    f"Weight {var.name!r} of layer '{self.name}' has shape {var.shape}, "
                    f"received a value of shape {tuple(np.shape(value))}."
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. Call it on "
                "data or give the model an input shape first."
            )
        return int(sum(w.size for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """The penalties this layer adds to the training loss: its weight regularizers', those
        of its last call (activity regularizer, :meth:`add_loss`), and those of the layers it
        holds."""
        own = [reg(var) for var, reg in self._regularized] + self._call_losses
        if "_tracked_names" not in self.__dict__:
            return own
        return own + [loss for layer in self._sublayers for loss in layer.losses]

    def add_loss(self, loss: Any) -> None:
        """Add ``loss`` (a scalar tensor computed in ``call``, e.g. a VAE's KL term) to the
        training loss. Each call of the outermost layer clears those of the call before."""
        from .. import ops

        _CallContext.losses_added = True
        self._call_losses.append(ops.convert_to_tensor(loss))

    def _clear_call_losses(self) -> None:
        self._call_losses = []
        if "_tracked_names" in self.__dict__:
            for layer in self._sublayers:
                layer._clear_call_losses()

    # -- the graph it is part of -----------------------------------------------------------------
    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call in a graph (a list for several), as
        Keras 3 gives it."""
        tensors = self._first_node("input").inputs
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call in a graph, e.g. to build a feature
        extractor ``Model(model.inputs, model.get_layer('hidden').output)``."""
        tensors = self._first_node("output").outputs
        return tensors[0] if len(tensors) == 1 else tensors

    def _first_node(self, what: str) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has no {what}: it was never called on symbolic inputs "
                "(Input(...) or another layer's output)."
            )
        return self._inbound_nodes[0]

    # -- building and calling ------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, maybe None)."""

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """The layer's computation on ``inputs`` (Tensors); the identity by default."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape``; by default found by running the layer on zeros."""
        return self._probed_output_shape(input_shape, {})

    def _probed_output_shape(self, input_shape: Any, arguments: dict[str, Any]) -> Any:
        """The output shape of a call on zeros of ``input_shape``, with ``arguments`` whose
        symbolic tensors are replaced by zeros of their shapes and dtypes."""
        kwargs = map_leaves(arguments, lambda t: probe_inputs(t.shape, t.dtype))
        training = kwargs.pop("training", False)
        with no_grad():
            out = self._call_with(probe_inputs(input_shape, self.dtype), (), kwargs, training)
        batch = (input_shape[0] if is_shape_list(input_shape) else input_shape)[0]
        if isinstance(out, (list, tuple)):
            return [(batch, *o.shape[1:]) for o in out]
        return (batch, *out.shape[1:])

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs for ``inputs`` whose mask is ``mask`` (Keras 3's
        ``compute_mask``): ``mask`` itself by default, used only if :attr:`supports_masking`."""
        return mask

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self.build(input_shape)
            self.built = True
            if self._initial_weights is not None:
                weights, self._initial_weights = self._initial_weights, None
                self.set_weights(weights)

    def _check_inputs(self, shapes: Any) -> None:
        if self.input_spec is not None and not is_shape_list(shapes):
            self.input_spec.check(self, shapes)

    def _expected_shape_text(self) -> str:
        shape = self._build_shape
        if shape is None or is_shape_list(shape):
            return ""
        return _shape_text((None, *shape[1:]))

    def __call__(self, inputs: Any, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """Build the layer on its first input's shape, then ``call`` it.

        ``training`` defaults to that of the layer calling this one (False outside any); it
        and ``mask`` reach ``call`` only where its signature names them, as in Keras. Without
        an explicit ``mask``, ``call`` gets the mask the inputs carry, as Keras 3 gives it: only
        when no other argument is a tensor (with ``initial_state=`` given, the mask is not
        passed on).
        """
        if is_symbolic(inputs):
            # A training flag given here is the call's own, which the node keeps as Keras 3's
            # does: Dropout(0.5)(x, training=True) drops whenever the model gets no flag.
            return self._call_symbolic(inputs, args, {**kwargs, "training": training})
        if kwargs.get("mask") is not None:
            kwargs = {**kwargs, "mask": as_mask(kwargs["mask"])}
        if isinstance(inputs, (list, tuple)):
            inputs = [self._cast(x) for x in inputs]
            shapes: Any = [x.shape for x in inputs]
        else:
            inputs = self._cast(inputs)
            shapes = inputs.shape
        self._check_inputs(shapes)
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        context = _CONTEXT
        outer_training, outer_entry = context.training, context.entry
        if training is None:
            training = outer_training
        if outer_entry is None:
            # Each outermost call starts its tree's added losses afresh; a layer called twice
            # under it (shared) keeps both calls' losses, as in Keras.
            context.entry = self
            if context.losses_added:
                self._clear_call_losses()
        context.training = training
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = input_masks(inputs)
            if self._call_takes_mask and not any(map(_is_tensor, leaves((args, kwargs)))):
                kwargs = {**kwargs, "mask": previous_mask}
        try:
            outputs = self._call_with(inputs, args, kwargs, training)
        finally:
            context.training, context.entry = outer_training, outer_entry
        self._attach_masks(inputs, outputs, previous_mask)
        if self.activity_regularizer is not None:
            for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                # Divided by the batch size, as Keras 3 does, so that the penalty's strength
                # does not depend on it.
                penalty = self.activity_regularizer(output)
                self.add_loss(
                    penalty / output.shape[0] if output.ndim and output.shape[0] else penalty
                )
        return outputs

    def _attach_masks(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Give ``outputs`` the masks of :meth:`compute_mask` (those that have none yet), as
        Keras 3 does after a call; a layer without masking support drops the mask, with
        Keras 3's warning."""
        if previous_mask is None and type(self).compute_mask is Layer.compute_mask:
            return  # the hot path: no mask in, and the default passes None on
        if not self.supports_masking:
            if any(m is not None for m in leaves(previous_mask)):
                warnings.warn(
                    f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input "
                    "with a mask attached to it. However, this layer does not support masking "
                    "and will therefore destroy the mask information. Downstream layers will "
                    "not see the mask.",
                    stacklevel=3,
                )
            return
        flat_outputs = list(leaves(outputs))
        if all(getattr(o, "_keras_mask", None) is not None for o in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for output, mask in zip(flat_outputs, leaves(masks)):
            if isinstance(output, Tensor) and output._keras_mask is None and mask is not None:
                output._keras_mask = mask

    def _call_with(self, inputs: Any, args: tuple, kwargs: dict, training: bool | None) -> Any:
        """``call(inputs, ...)``, given ``training`` only if it takes it, ``mask`` likewise."""
        if "mask" in kwargs and not self._call_takes_mask:
            kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
        if self._call_takes_training:
            return self.call(inputs, *args, training=training, **kwargs)
        return self.call(inputs, *args, **kwargs)

    def _cast(self, x: Any) -> Tensor:
        """``x`` as a Tensor of the layer's dtype (numbers of other types are cast)."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.dtype.kind in "biuf" and x.dtype != self.dtype:
            from .. import ops

            mask, x = x._keras_mask, ops.cast(x, self.dtype)
            x._keras_mask = mask  # a cast value is the same sequence: its mask still holds
        return x

    def _call_symbolic(self, inputs: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Record the call as a node of a graph: ``inputs`` and the other arguments, named
        (``initial_state=[h, c]``, ``mask=m``), for the graph to pass on each run."""
        arguments = self._named_arguments(args, kwargs or {})
        many = isinstance(inputs, (list, tuple))
        shapes = [t.shape for t in inputs] if many else inputs.shape
        self._check_inputs(shapes)
        if not self.built:
            self._maybe_build(shapes)
            self._check_inputs(shapes)
        if arguments and type(self).compute_output_shape is Layer.compute_output_shape:
            out_shape = self._probed_output_shape(shapes, arguments)
        else:
            out_shape = self.compute_output_shape(shapes)
        if is_shape_list(out_shape):
            outputs: Any = [KerasTensor(s, self.dtype) for s in out_shape]
        else:
            outputs = KerasTensor(out_shape, self.dtype)
        Node(
            self,
            list(inputs) if many else [inputs],
            outputs if isinstance(outputs, list) else [outputs],
            arguments,
        )
        return outputs

    def _named_arguments(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments of a symbolic call after its inputs, by the names of ``call``'s
        parameters (None values left out), checked to be what a graph can hold and save:
        symbolic tensors, lists of them, or plain values."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if args:
            names = [
                p.name
                for p in inspect.signature(self.call).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ][1:]
            if len(args) > len(names):
                raise TypeError(
                    f"Layer '{self.name}' was called on symbolic inputs with {len(args)} more "
                    f"positional argument(s), but its call() names {len(names)} after the "
                    f"inputs ({names}). Pass them by name."
                )
            positional = dict(zip(names, args))
            twice = sorted(set(positional) & set(kwargs))
            if twice:
                raise TypeError(f"Layer '{self.name}' got multiple values for argument(s) {twice}.")
            kwargs.update({k: v for k, v in positional.items() if v is not None})
        for name, value in kwargs.items():
            values = list(leaves(value))
            symbolic = [isinstance(v, KerasTensor) for v in values]
            plain = all(v is None or isinstance(v, (bool, int, float, str)) for v in values)
            if not (all(symbolic) or plain):
                raise TypeError(
                    f"Layer '{self.name}' was called on symbolic inputs with {name}="
                    f"{value!r:.100}: a model's graph takes, besides the inputs, symbolic tensors "
                    "(Input(...) or layer outputs), lists of them, or plain values (numbers, "
                    "strings, booleans). Make an array an Input of the model instead."
                )
        return kwargs

    # -- configuration -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (weights excluded).

        A subclass extends it with its own arguments (``{**super().get_config(), ...}``). As in
        Keras 3, a user's subclass that defines no ``get_config`` is described by the arguments
        it was constructed with, when they are plain JSON data (see :mod:`.auto_config`), and
        otherwise raises NotImplementedError saying why.
        """
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
        }
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = registry.serialize(self.activity_regularizer)
        signature = type(self)._init_signature
        if signature is None:
            return config
        return auto_config.config(self, config, signature, self.__dict__.get("_auto_config"))

    def _serialized(self, *names: str) -> dict[str, Any]:
        """``{name: config}`` of the initializers, regularizers and constraints of ``names``,
        for :meth:`get_config`."""
        return {name: registry.serialize(getattr(self, name)) for name in names}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the layer was built for, to build it again after
        :meth:`from_config` (Keras 3's name); None before it is built."""
        if not self.built or self._build_shape is None:
            return None
        shape = self._build_shape
        return {
            "build_input_shape": [list(s) for s in shape] if is_shape_list(shape) else list(shape)
        }

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Build the layer from :meth:`get_build_config`'s result."""
        shape = config["build_input_shape"]
        self._maybe_build([tuple(s) for s in shape] if is_shape_list(shape) else tuple(shape))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


#: The initializers, regularizers and constraints of a layer with a kernel and a bias.
KERNEL_AND_BIAS_OBJECTS = (
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "bias_constraint",
)


def distinct(variables: Any) -> list[Variable]:
    """``variables`` without repeats (by identity), in order."""
    seen: set[int] = set()
    return [v for v in variables if not (id(v) in seen or seen.add(id(v)))]


def probe_inputs(input_shape: Any, dtype: str) -> Any:
    """Zeros of ``input_shape`` (a list of shapes for several inputs), a batch of 1 where the
    batch axis is None: what a layer is run on to learn its output shape or build itself."""

    def zeros(shape: Shape) -> Tensor:
        return Tensor(np.zeros(tuple(1 if n is None else n for n in shape), dtype))

    return [zeros(s) for s in input_shape] if is_shape_list(input_shape) else zeros(input_shape)


def is_shape_list(shape: Any) -> bool:
    """Whether ``shape`` is a list of shapes (a layer with several inputs) rather than one shape."""
    return isinstance(shape, list) and bool(shape) and isinstance(shape[0], (tuple, list))


def _is_tensor(value: Any) -> bool:
    """Whether ``value`` is a tensor or an array, as Keras 3 counts a call's tensor arguments."""
    return isinstance(value, (Tensor, KerasTensor)) or any(
        hasattr(value, protocol) for protocol in ("__array_interface__", "__cuda_array_interface__")
    )


def as_mask(mask: Any) -> Any:
    """``mask`` with each array in it (alone, or in a list with Tensors and None) made a
    boolean Tensor, as Keras 3 converts a call's array arguments; anything else as it is."""
    if isinstance(mask, (list, tuple)):
        return [as_mask(m) for m in mask]
    if _is_tensor(mask) and not isinstance(mask, (Tensor, KerasTensor)):
        return Tensor(as_array(mask).astype(bool))
    return mask


def input_masks(inputs: Any) -> Any:
    """The masks that ``inputs`` carry (``Tensor._keras_mask``): one, or a list for a list of
    inputs, as Keras 3 reads them."""
    if isinstance(inputs, (list, tuple)):
        return [getattr(x, "_keras_mask", None) for x in inputs]
    return getattr(inputs, "_keras_mask", None)
