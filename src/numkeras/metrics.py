"""Metrics: figures that judge a model during training and evaluation, as Keras 3 computes them.

A metric is stateful. ``update_state(y_true, y_pred, sample_weight=None)`` adds a batch,
``result()`` gives the figure for everything seen since ``reset_state()``, so an epoch's accuracy
is the exact (sample-weighted) average over all its samples, not an average of batch averages.
The built-in metrics read plain arrays (a Tensor's ``.data``), never record a tape, and keep
their state as float64 sums (Keras keeps float32 variables), so ``result()`` is a Python float
and their ``variables`` list is empty (a deliberate difference: see docs/keras-differences.md).
A metric of one's own subclasses :class:`Metric` as in Keras 3, with its state in variables made
by ``add_variable``.

Most metrics are the mean of a per-sample value, so one class, :class:`MeanMetricWrapper`, serves
them all: accuracies, and every loss function used as a metric (``'mse'``, ``'mae'``, ...).
:func:`get` turns what a user writes in ``compile(metrics=[...])`` into a metric; ``'accuracy'``
(or ``'acc'``) picks binary, sparse-categorical or categorical accuracy from the loss and the
shapes, as Keras does, and the metric is named by the string written (``'acc'`` stays ``'acc'``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import backend, initializers, losses, registry
from .backend import get_array_module
from .losses import (  # the loss functions are metric functions too, as in Keras
    align_sample_weight,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)
from .ops import Variable, as_array, no_grad
from .per_sample import FunctionTable, FunctionWrapper, snake_case

Shape = tuple[Any, ...]

#: The metric functions by name, filed where they are defined (the loss functions are metrics
#: too: see ``MeanMetricWrapper.functions``).
FUNCTIONS = FunctionTable()


# --------------------------------------------------------------------------------------------
# Per-sample metric functions (arrays in, arrays out)
# --------------------------------------------------------------------------------------------
def _arrays(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Targets and predictions as arrays (a Tensor's data, no tape), targets in y_pred's dtype."""
    y_pred = as_array(y_pred)
    return as_array(y_true, y_pred.dtype), y_pred


def _labels(y_true: Any, y_pred: Any) -> Any:
    """Class labels of shape ``y_pred.shape[:-1]`` (a trailing axis of 1 dropped)."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        return y_true.reshape(y_true.shape[:-1])
    return y_true


def _in_top_k(labels: Any, y_pred: Any, k: int) -> Any:
    """Whether each label's score is among the ``k`` largest of its row (ties count as in,
    as in Keras's ``in_top_k``): fewer than ``k`` scores beat it."""
    xp = get_array_module(y_pred)
    index = labels.astype(xp.intp)[..., None]
    score = xp.take_along_axis(y_pred, index, axis=-1)
    return (y_pred > score).sum(axis=-1) < k


def _floats(matches: Any) -> Any:
    return matches.astype(backend.floatx())


@FUNCTIONS.add
def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where ``y_pred`` equals ``y_true`` exactly, else 0 (element-wise)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_arrays(y_true, y_pred))
    return _floats(y_true == y_pred)


@FUNCTIONS.add
def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1 where ``(y_pred > threshold)`` equals the 0/1 label ``y_true``, else 0 (element-wise).
    ``threshold`` defaults to ``0.5``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_arrays(y_true, y_pred))
    return _floats(y_true == (y_pred > threshold))


@FUNCTIONS.add
def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample, 1 where ``argmax(y_pred) == argmax(y_true)`` over the last axis (one-hot)."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _floats(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1))


@FUNCTIONS.add
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample, 1 where ``argmax(y_pred)`` equals the integer label ``y_true``."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _floats(_labels(y_true, y_pred) == y_pred.argmax(axis=-1))


@FUNCTIONS.add
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Per sample, 1 where the one-hot target's class is among the ``k`` (default 5) top scores."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _floats(_in_top_k(y_true.argmax(axis=-1), y_pred, k))


@FUNCTIONS.add
def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Per sample, 1 where the integer label is among the ``k`` (default 5) top scores."""
    y_true, y_pred = _arrays(y_true, y_pred)
    return _floats(_in_top_k(_labels(y_true, y_pred), y_pred, k))


@FUNCTIONS.add
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Per-sample cosine similarity ``Σ l2_normalize(y_true) · l2_normalize(y_pred)`` in [-1, 1]
    (the negative of the loss of the same name)."""
    with no_grad():
        return -losses.cosine_similarity(*_arrays(y_true, y_pred), axis=axis).data


# --------------------------------------------------------------------------------------------
# Metric classes
# --------------------------------------------------------------------------------------------
#: How a variable's values from several replicas combine (Keras's ``aggregation``).
AGGREGATIONS = ("sum", "mean", "none", "only_first_replica")


def _dtype_name(dtype: Any) -> str:
    """``dtype`` (None: floatx) as a NumPy dtype name; a ValueError when it names none."""
    try:
        return np.dtype(backend.floatx() if dtype is None else dtype).name
    except TypeError:
        raise ValueError(
            f"dtype must name a NumPy dtype such as 'float32'. Received: dtype={dtype!r}"
        ) from None


@registry.register
class Metric:
    """Base class of stateful metrics, as Keras 3's ``keras.metrics.Metric``.

    A subclass makes its state in ``__init__`` with :meth:`add_variable` (or Keras 2's
    :meth:`add_weight`), adds each batch to it in ``update_state(y_true, y_pred,
    sample_weight=None)`` (with :mod:`numkeras.ops` or array math, e.g.
    ``self.total.assign_add(ops.sum(values))``) and computes the figure from it in
    ``result()``, which may return a number, an array or a Tensor (the training loop logs its
    ``float``). The default :meth:`reset_state` zeroes every variable, as Keras 3's does, so a
    subclass whose variables start at zero needs none.

    Args:
        name: the name shown in logs and History. Defaults to the class name in snake case.
        dtype: the default dtype of the variables, also ``self.dtype``. Defaults to None:
            ``backend.floatx()`` (float32). The built-in metrics sum in float64 whatever it is.
    """

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = _dtype_name(dtype)
        self._variables: list[Variable] = []

    @property
    def dtype(self) -> str:
        """The default dtype of the metric's variables, e.g. ``'float32'``."""
        return self._dtype

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """A new state variable, not trainable, tracked in :attr:`variables`.

        Args:
            shape: its shape, e.g. ``()`` for a count.
            initializer: its first value: an initializer's name (``'zeros'``), an initializer
                or a function ``(shape, dtype) -> array``.
            dtype: Defaults to None: ``self.dtype``.
            aggregation: how several replicas' values combine, one of ``'sum'`` (the
                default), ``'mean'``, ``'none'``, ``'only_first_replica'``; kept as the
                variable's ``aggregation``.
            name: the variable's name. Defaults to None.
        """
        if "_variables" not in vars(self):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before "
                "add_variable: the variables are kept there."
            )
        if aggregation not in AGGREGATIONS:
            raise ValueError(
                f"aggregation must be one of {list(AGGREGATIONS)}. "
                f"Received: aggregation={aggregation!r}"
            )
        initialize = initializers.get(initializer)
        if initialize is None:
            raise ValueError(
                "A metric variable needs an initializer, e.g. 'zeros'. Received: initializer=None"
            )
        dtype = np.dtype(_dtype_name(self.dtype if dtype is None else dtype))
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        # Initializers draw floats: an integer count starts from its float value, cast.
        value = initialize(shape, dtype if dtype.kind == "f" else None)
        variable = Variable(np.asarray(value).astype(dtype), name=name, trainable=False)
        variable.aggregation = aggregation
        self._variables.append(variable)
        return variable

    def add_weight(self, *args: Any, **kwargs: Any) -> Variable:
        """Keras 3's ``add_weight(shape=(), initializer='zeros', dtype=None, name=None,
        aggregation='sum')``: :meth:`add_variable` with zeros as the default first value.

        Keras 2's order, the name first (``add_weight('total', (2,))``), is taken too: a first
        positional argument that is a string is the name.
        """
        if args and isinstance(args[0], str):
            return self._add_weight(*args[1:], name=args[0], **kwargs)
        return self._add_weight(*args, **kwargs)

    def _add_weight(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        name: str | None = None,
        aggregation: str = "sum",
    ) -> Variable:
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    @property
    def variables(self) -> list[Variable]:
        """The state: the variables this metric added, then those of the metrics it holds as
        attributes."""
        found = list(self._variables)
        for metric in self._held_metrics():
            found += metric.variables
        return found

    def _held_metrics(self) -> list[Metric]:
        return [value for value in vars(self).values() if isinstance(value, Metric)]

    def reset_state(self) -> None:
        """Start again: every variable back to zeros (Keras 3's rule, whatever its initializer)
        and every metric held as an attribute reset."""
        for variable in self._variables:
            variable.data.fill(0)
        for metric in self._held_metrics():
            metric.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_state(y_true, y_pred, "
            "sample_weight=None)."
        )

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update the state with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


@registry.register
class Mean(Metric):
    """The weighted mean ``Σ w·v / Σ w`` of every value given since the last reset.

    ``sample_weight`` (default 1 for each value) of shape ``(n,)`` weighs whole samples; values
    with more axes count each of their entries with their sample's weight. The sums are kept in
    float64 so that an epoch's figure stays exact over many batches.
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.total: Any = 0.0
        self.count: Any = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = as_array(values)
        if sample_weight is None:
            self.total += values.sum(dtype="float64")
            self.count += values.size
            return
        xp = get_array_module(values)
        weights = xp.broadcast_to(align_sample_weight(sample_weight, values), values.shape)
        self.total += (values * weights).sum(dtype="float64")
        self.count += weights.sum(dtype="float64")

    def result(self) -> float:
        """The mean so far (0.0 before any value, as Keras's ``divide_no_nan``)."""
        # The sums stay on the device while batches come in; only the result crosses.
        count = backend.to_numpy(self.count)
        return float(backend.to_numpy(self.total) / count) if count else 0.0


@registry.register
class MeanMetricWrapper(FunctionWrapper, Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over every sample seen: the metric form of
    any per-sample function (an accuracy, a loss function, the user's own function).

    Its config names ``fn`` (see :mod:`numkeras.per_sample`) among the metric functions, the
    loss functions and their aliases, and ``custom_objects``.
    """

    kind = "metric"
    functions = {**losses.LossFunctionWrapper.functions, **FUNCTIONS}

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
        self.fn = fn
        self.fn_kwargs = kwargs
        super().__init__(name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        # A masked output (Tensor._keras_mask) counts its unmasked values only, as in Keras 3.
        mask = getattr(y_pred, "_keras_mask", None)
        y_true, y_pred = _arrays(y_true, y_pred)
        with no_grad():
            values = self.fn(y_true, y_pred, **self.fn_kwargs)
        weights = losses.apply_mask(sample_weight, mask, "sum", backend.floatx())
        super().update_state(values, weights)


class _FixedFunctionMetric(MeanMetricWrapper):
    """A metric class around one function without options; its name defaults to the function's."""

    def __init__(self, name: str | None = None, dtype: Any = None):
        super().__init__(type(self).function, name, dtype)


@registry.register
class Accuracy(_FixedFunctionMetric):
    """How often predictions equal targets exactly; see :func:`accuracy`."""

    function = staticmethod(accuracy)


@registry.register
class CategoricalAccuracy(_FixedFunctionMetric):
    """How often the arg-max class matches a one-hot target; see :func:`categorical_accuracy`."""

    function = staticmethod(categorical_accuracy)


@registry.register
class SparseCategoricalAccuracy(_FixedFunctionMetric):
    """How often the arg-max class matches an integer label;
    see :func:`sparse_categorical_accuracy`."""

    function = staticmethod(sparse_categorical_accuracy)


@registry.register
class MeanSquaredError(_FixedFunctionMetric):
    """Mean of ``(y_true - y_pred)²`` over all samples; see :func:`losses.mean_squared_error`."""

    function = staticmethod(losses.mean_squared_error)


@registry.register
class MeanAbsoluteError(_FixedFunctionMetric):
    """Mean of ``|y_true - y_pred|`` over all samples; see :func:`losses.mean_absolute_error`."""

    function = staticmethod(losses.mean_absolute_error)


@registry.register
class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches a 0/1 label (``threshold=0.5``);
    see :func:`binary_accuracy`."""

    function = staticmethod(binary_accuracy)

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


@registry.register
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often a one-hot target's class is among the ``k`` (default 5) top scores."""

    function = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


@registry.register
class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often an integer label is among the ``k`` (default 5) top scores."""

    function = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(
        self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None
    ):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)


class _ConfusionMetric(Metric):
    """Weighted counts of true positives, false positives and false negatives, per threshold.

    A prediction is positive when ``y_pred > threshold``; a target is positive when non-zero.
    ``thresholds`` (default 0.5) may be a float or a list (then ``result`` is a list).
    ``top_k`` keeps only each row's ``k`` largest scores as candidates (the default threshold
    becomes -inf); ``class_id`` restricts the counts to one class of a multi-class output.
    """

    def __init__(
        self,
        thresholds: float | list[float] | None = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        default = 0.5 if top_k is None else -np.inf
        cuts = np.atleast_1d(np.asarray(default if thresholds is None else thresholds, float))
        if thresholds is not None and (cuts.ndim != 1 or ((cuts < 0) | (cuts > 1)).any()):
            raise ValueError(
                f"thresholds must be a float or a list of floats in [0, 1]. "
                f"Received: thresholds={thresholds!r}"
            )
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer. Received: top_k={top_k!r}")
        self.thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self._cuts = cuts
        super().__init__(name, dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.true_positives: Any = 0.0
        self.false_positives: Any = 0.0
        self.false_negatives: Any = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = squeeze_or_expand_to_same_rank(*_arrays(y_true, y_pred))
        xp = get_array_module(y_pred)
        weights = (
            xp.ones_like(y_pred)
            if sample_weight is None
            else xp.broadcast_to(align_sample_weight(sample_weight, y_pred), y_pred.shape)
        )
        if self.top_k is not None:
            top = xp.argpartition(-y_pred, self.top_k - 1, axis=-1)[..., : self.top_k]
            kept = xp.zeros(y_pred.shape, bool)
            xp.put_along_axis(kept, top, True, axis=-1)
            y_pred = xp.where(kept, y_pred, -xp.inf)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            weights = weights[..., self.class_id]
        positive = (y_true != 0).reshape(-1)
        weights = weights.reshape(-1).astype("float64")
        on_positives = weights * positive
        predicted = (y_pred.reshape(1, -1) > xp.asarray(self._cuts)[:, None]).astype("float64")
        true_positives = predicted @ on_positives
        self.true_positives = self.true_positives + true_positives
        self.false_positives = self.false_positives + predicted @ (weights - on_positives)
        self.false_negatives = self.false_negatives + (on_positives.sum() - true_positives)

    def _ratio(self, hits: Any, misses: Any) -> float | list[float]:
        """``hits / (hits + misses)`` per threshold, 0 where nothing was counted."""
        hits = np.zeros(len(self._cuts)) + backend.to_numpy(hits)
        total = hits + backend.to_numpy(misses)
        ratio = np.divide(hits, total, out=np.zeros_like(hits), where=total > 0)
        scalar = self.thresholds is None or np.ndim(self.thresholds) == 0
        return float(ratio[0]) if scalar else ratio.tolist()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@registry.register
class Precision(_ConfusionMetric):
    """Precision ``TP / (TP + FP)``: the fraction of predicted positives that are positive.

    Defaults: ``thresholds=None`` (0.5), ``top_k=None``, ``class_id=None``, name ``'precision'``.
    """

    def result(self) -> float | list[float]:
        return self._ratio(self.true_positives, self.false_positives)


@registry.register
class Recall(_ConfusionMetric):
    """Recall ``TP / (TP + FN)``: the fraction of positives that are predicted positive.

    Defaults: ``thresholds=None`` (0.5), ``top_k=None``, ``class_id=None``, name ``'recall'``.
    """

    def result(self) -> float | list[float]:
        return self._ratio(self.true_positives, self.false_negatives)


# --------------------------------------------------------------------------------------------
# Names and lookup
# --------------------------------------------------------------------------------------------
#: Every metric class by name: the classes registered in this module.
CLASSES: dict[str, type] = registry.own_classes(registry.package_of(Metric))
# What 'accuracy' and 'crossentropy' mean for each kind of target (see _target_kind).
_BY_TARGETS: dict[str, dict[str, Any]] = {
    "accuracy": {
        "binary": BinaryAccuracy,
        "sparse": SparseCategoricalAccuracy,
        "categorical": CategoricalAccuracy,
    },
    "crossentropy": {
        "binary": losses.binary_crossentropy,
        "sparse": losses.sparse_categorical_crossentropy,
        "categorical": losses.categorical_crossentropy,
    },
}
_BY_TARGETS["acc"] = _BY_TARGETS["accuracy"]
_BY_TARGETS["ce"] = _BY_TARGETS["crossentropy"]
# The classes a user may name: all but the two that compute nothing by themselves.
_USABLE = {name: cls for name, cls in CLASSES.items() if cls not in (Metric, MeanMetricWrapper)}
# Names a user may write: every function; each class by its snake-case name (as Keras 3's
# metrics.get) and by the names of the function it always wraps ('mse' for MeanSquaredError);
# what 'accuracy' and 'crossentropy' mean without targets; and the class names.
_TABLE: dict[str, Any] = {
    **MeanMetricWrapper.functions,
    **{snake_case(name): cls for name, cls in _USABLE.items()},
    **{
        name: cls
        for cls in _USABLE.values()
        for name, fn in MeanMetricWrapper.functions.items()
        if fn is getattr(cls, "function", None)
    },
    **{name: table["categorical"] for name, table in _BY_TARGETS.items()},
    **_USABLE,
}


def _target_kind(loss: Any, y_true_shape: Shape | None, y_pred_shape: Shape | None) -> str:
    """``'binary'``, ``'sparse'`` or ``'categorical'``: the loss decides when it is a
    cross-entropy, else the shapes (a last output axis of 1 is binary; labels one rank short of
    the output, or with a last axis of 1 against several outputs, are sparse)."""
    fn = losses.function_of(loss) if loss is not None else None
    y_true_shape = None if y_true_shape is None else tuple(y_true_shape)
    y_pred_shape = None if y_pred_shape is None else tuple(y_pred_shape)
    for kind, crossentropy in _BY_TARGETS["crossentropy"].items():
        if fn is crossentropy:
            return kind
    if y_pred_shape:
        if y_pred_shape[-1] == 1:
            return "binary"
        if y_true_shape is not None and (
            len(y_true_shape) < len(y_pred_shape)
            or (y_true_shape[-1:] == (1,) and y_pred_shape[-1] != 1)
        ):
            return "sparse"
    return "categorical"


def _as_metric(found: Any) -> Metric:
    """A metric object from what a name or identifier resolved to."""
    if isinstance(found, type):
        return found()
    if isinstance(found, Metric):
        return found
    if isinstance(found, losses.LossFunctionWrapper):
        return MeanMetricWrapper(found.fn, found.name, **found.fn_kwargs)
    if isinstance(found, losses.Loss):
        return MeanMetricWrapper(found.call, found.name)
    if callable(found):
        return MeanMetricWrapper(found)
    raise ValueError(f"A metric must be a Metric or a callable. Received: metric={found!r}")


#: What a metric slot (``compile(metrics=[...])``) accepts from a config: a metric, or a loss
#: (averaged as a metric, as Keras does with a loss given as a metric).
FAMILY = registry.Family("metric", (Metric, losses.Loss))


def get(
    identifier: Any,
    loss: Any = None,
    y_true_shape: Shape | None = None,
    y_pred_shape: Shape | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Metric | None:
    """The :class:`Metric` that ``identifier`` names, as ``compile(metrics=[...])`` needs.

    A name (case-insensitive) gives a fresh metric named by that string, so History keys are
    what the user wrote; ``'accuracy'``/``'acc'`` and ``'crossentropy'``/``'ce'`` become the
    binary, sparse-categorical or categorical kind according to ``loss`` and the shapes of the
    targets and the model output (None where unknown). A class or config gives an instance, a
    Metric is returned as it is, a function or a loss becomes a :class:`MeanMetricWrapper` named
    after it. Unknown names raise a ValueError that lists the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        by_targets = _BY_TARGETS.get(identifier.lower())
        if by_targets is not None:
            found = by_targets[_target_kind(loss, y_true_shape, y_pred_shape)]
        else:
            found = registry.resolve(identifier, _TABLE, FAMILY, None, custom_objects)
        metric = _as_metric(found)
        metric.name = identifier
        return metric
    if isinstance(identifier, dict):
        return _as_metric(registry.deserialize(identifier, custom_objects, FAMILY))
    return _as_metric(identifier)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Metric | None:
    """Rebuild a metric from :func:`serialize`'s output."""
    return get(config, custom_objects=custom_objects)


def serialize(metric: Any) -> Any:
    """A JSON-ready description of ``metric``: its class name and config."""
    return registry.serialize(metric)


# Keras 2's short names of the loss functions that are metrics too, in both its spellings.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

__all__ = [
    *CLASSES,
    *FUNCTIONS,
    # Keras offers these loss functions as metric functions too.
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "mse",
    "MSE",
    "mae",
    "MAE",
    "mape",
    "MAPE",
    "msle",
    "MSLE",
    "get",
    "serialize",
    "deserialize",
    "CLASSES",
    "FUNCTIONS",
]
