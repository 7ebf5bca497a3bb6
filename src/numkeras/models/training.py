"""Step 2 and step 3 of the course: ``compile`` (goodness of function) and ``fit`` (pick the best).

:class:`Trainer` gives a model Keras's ``compile``, ``fit``, ``evaluate``, ``predict`` and the
``*_on_batch`` methods. It needs only what every model has: ``__call__(inputs, training)``,
``trainable_weights``, ``losses`` and the shapes of its inputs, so Sequential, functional and
subclassed models share one loop. As in Keras 3, the loop calls :meth:`Trainer.train_step`,
:meth:`Trainer.test_step` and :meth:`Trainer.predict_step` on each batch, which a model may
override, and the default steps use :meth:`Trainer.compute_loss` and
:meth:`Trainer.compute_metrics`, which it may override too. The default training step is: forward
on the tape, loss, one backward pass, one optimizer update in place.

This module is the loop alone (steps, callbacks, logs): every batch it runs on comes from
:mod:`.data_adapter`, which prepares arrays, generators, ``Sequence`` objects, validation data and
class and sample weights.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend, legacy
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..callbacks import state as callback_state
from ..ops import scratch
from ..ops.core import Tensor, as_array, no_grad
from ..utils import kinds
from ..utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from . import arguments
from . import data_adapter as da


class Trainer:
    """Keras's training API, mixed into every model."""

    optimizer: Any = None
    stop_training: bool = False
    history: Any = None
    #: The gradients of the last training step, aligned with ``trainable_weights``.
    last_gradients: list | None = None
    #: The callbacks of the running ``fit``, whose states a checkpoint written now records.
    _fit_callbacks: list | None = None
    #: The samples of the steps since the metrics' last reset: under data parallelism, the
    #: weight of this rank's logs among the ranks'.
    _samples_in_logs: int = 0

    # -- compile -------------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        run_eagerly: bool | None = None,
        jit_compile: Any = None,
        **kwargs: Any,
    ) -> None:
        """Choose how to train: the optimizer, the loss to minimise and the metrics to report.

        Args:
            optimizer: name (``'sgd'``, ``'adam'``, ...), class or instance. Defaults to
                ``'rmsprop'`` as in Keras.
            loss: name (``'mse'``, ``'categorical_crossentropy'``, ...), a loss instance, or a
                function ``f(y_true, y_pred)`` built from ``numkeras.ops``; one per output (a
                list or a dict by output name) for models with several outputs.
            metrics: list of names (``'accuracy'``, ``'acc'``, ...), metric instances or functions;
                the names become the keys of ``History.history``.
            loss_weights: weights of the outputs' losses in the total loss: a number, or one
                per output (a list, or a dict by output name); each finite and >= 0.
                Defaults to 1 for every output.
            run_eagerly, jit_compile: accepted for Keras programs; numkeras always runs its
                steps eagerly in NumPy, with no compiler.

        ``loss`` may be None when the loss comes from elsewhere: :meth:`add_loss` in a layer, or
        a ``train_step`` of the model's own. A subclassed model that has not run yet learns its
        number of outputs on its first batch, and the per-output arguments are checked then.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}.")
        n_out = self._num_outputs()
        # Checked before anything is set, so that a refused compile changes nothing.
        resolved = None if n_out is None else self._compiled_losses(loss, loss_weights, n_out)
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self._losses, self._loss_weights = resolved or (None, None)
        self._metric_specs = metrics
        self._metrics: list[list[Any]] | None = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_metrics = CompileMetrics(self) if metrics else None
        self._step_arena = scratch.StepArena()
        self.compiled = True

    def _compiled_losses(
        self, loss: Any, loss_weights: Any, n_out: int
    ) -> tuple[list[Any], list[float]]:
        """The loss (None where there is none) and its weight for each of ``n_out`` outputs."""
        weights = (
            [1.0] * n_out
            if loss_weights is None
            else self._checked_loss_weights(loss_weights, n_out)
        )
        losses = [
            None if l is None else losses_module.as_loss(l)
            for l in self._per_output(loss, "loss", n_out)
        ]
        return losses, weights

    def _resolve_losses(self, n_out: int) -> None:
        """Resolve compile's losses once a subclassed model's outputs are known."""
        if self._losses is None:
            self._losses, self._loss_weights = self._compiled_losses(
                self.loss, self.loss_weights, n_out
            )

    def _checked_loss_weights(self, loss_weights: Any, n_out: int) -> list[float]:
        weights = self._per_output(loss_weights, "loss_weights", n_out)
        for w in weights:
            if not kinds.is_number(w):
                raise TypeError(
                    f"loss_weights must be numbers, one per output. Received: "
                    f"loss_weights={loss_weights!r}"
                )
            if not (math.isfinite(w) and w >= 0):
                raise ValueError(
                    f"loss_weights must be finite and >= 0. Received: loss_weights={loss_weights!r}"
                )
        return [float(w) for w in weights]

    def _per_output(self, spec: Any, argument: str, n_out: int) -> list[Any]:
        if isinstance(spec, dict):
            names = self.output_names
            missing = [n for n in names if n not in spec]
            unknown = [k for k in spec if k not in names]
            if missing or unknown:
                raise ValueError(
                    f"{argument} needs one entry per output, by name {names}: missing "
                    f"{missing}, unknown {unknown}. Received keys: {list(spec)}"
                )
            return [spec[n] for n in names]
        if isinstance(spec, (list, tuple)):
            if len(spec) != n_out:
                raise ValueError(
                    f"{argument} needs one entry per output ({n_out}). "
                    f"Received {len(spec)} entries."
                )
            return list(spec)
        return [spec] * n_out

    def _require_compiled(self, method: str) -> None:
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"You must call compile() before {method}(), e.g. "
                "model.compile(optimizer='adam', loss='categorical_crossentropy', "
                "metrics=['accuracy'])."
            )

    def _build_metrics(self, ys: list[np.ndarray], y_preds: list[Any]) -> None:
        """Resolve the metrics once the shapes of targets and outputs are known."""
        if self._metrics is not None:
            return
        self._resolve_losses(len(y_preds))
        specs = self._metric_specs or []
        per_output = (
            self._per_output(specs, "metrics", len(ys))
            if isinstance(specs, dict)
            else [specs] * len(ys)
        )
        self._metrics = []
        for i, (spec, y, p, loss) in enumerate(zip(per_output, ys, y_preds, self._losses)):
            spec = spec if isinstance(spec, (list, tuple)) else [spec]
            built = []
            for m in spec:
                metric = metrics_module.get(
                    m, loss=loss, y_true_shape=y.shape, y_pred_shape=p.shape
                )
                if len(ys) > 1:
                    metric.name = f"{self.output_names[i]}_{metric.name}"
                built.append(metric)
            self._metrics.append(built)

    @property
    def metrics(self) -> list[Any]:
        """The metrics that each epoch resets and the logs report, as Keras 3 lists them: the
        loss tracker (``'loss'``), the compiled metrics as one :class:`CompileMetrics`, then
        the ``Metric`` objects the model holds in its attributes (a custom ``train_step``'s
        trackers)."""
        found: list[Any] = []
        if getattr(self, "compiled", False):
            if self._tracks_loss():
                found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
        held = [
            v
            for k, v in vars(self).items()
            if isinstance(v, metrics_module.Metric) and not k.startswith("_")
        ]
        found.extend(m for m in held if all(m is not f for f in found))
        return found

    def _tracks_loss(self) -> bool:
        """Whether the steps report a ``'loss'``: a loss was compiled, or the default steps run
        (their loss may come from add_loss alone)."""
        default = type(self).train_step is Trainer.train_step
        return self.loss is not None or default

    @property
    def metrics_names(self) -> list[str]:
        """The keys of the logs, in order: :attr:`metrics`' names, each compiled metric's own."""
        return list(self.get_metrics_result())

    def get_metrics_result(self) -> dict[str, float]:
        """``{name: result}`` of every metric in :attr:`metrics`, the compiled metrics' dict
        flattened into it."""
        return _float_logs({m.name: m.result() for m in self.metrics})

    def reset_metrics(self) -> None:
        """Reset every metric in :attr:`metrics` (fit does at each epoch's start)."""
        for metric in self.metrics:
            metric.reset_state()
        self._samples_in_logs = 0

    # -- one step ------------------------------------------------------------------------------
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        """The total loss of a batch: each output's compiled loss times its weight, plus the
        model's :attr:`losses` (regularizers, :meth:`add_loss`). Override it to change the
        loss and keep the rest of the default steps."""
        y_preds = _as_list(y_pred)
        self._resolve_losses(len(y_preds))
        compiled = [l is not None for l in self._losses]
        total = None
        if any(compiled):
            if y is None:
                raise ValueError(
                    "The compiled loss needs targets: pass y, or a generator that yields "
                    "(x, y) pairs."
                )
            ys = _as_list(y)
            for loss, weight, y_true, p in zip(self._losses, self._loss_weights, ys, y_preds):
                if loss is None:
                    continue
                term = loss(y_true, p, sample_weight=sample_weight)
                if weight != 1.0:
                    term = term * weight
                total = term if total is None else total + term
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError(
                "No loss to compute. Provide a `loss` argument in `compile()`, add one with "
                "add_loss(), or override train_step()."
            )
        return total

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, float]:
        """Update the compiled metrics with a batch and return every metric's result
        (:meth:`get_metrics_result`)."""
        if y is not None and self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data: Any) -> dict[str, float]:
        """One training step on ``data`` (``(x, y)`` or ``(x, y, sample_weight)``; ``x`` alone
        when fit has no targets, see ``utils.pack_x_y_sample_weight``): forward,
        :meth:`compute_loss`, backward, one optimizer update, then :meth:`compute_metrics`.
        ``fit`` calls it once per batch; override it for a custom step, and return the
        logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        # The ops draw their arrays from the model's arena: a warm step maps no fresh memory.
        with scratch.step_arena(self._step_arena):
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            loss.backward()
        grads = [
            v.grad if v.grad is not None else backend.get_array_module(v.data).zeros_like(v.data)
            for v in variables
        ]
        with _interrupts_deferred():
            self.optimizer.apply(grads, variables)
        for v in variables:
            v.grad = None
        # Kept until the next step, for callbacks that watch the gradients (GradientFlow).
        self.last_gradients = grads
        self._loss_tracker.update_state(_scalar(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, float]:
        """One evaluation step on ``data``, as :meth:`train_step` without the update; runs
        with no tape."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(_scalar(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for the inputs of ``data`` (``x``, or ``(x,)`` for several
        inputs); runs with no tape."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _run_step(self, step: Any, xs: list[Any], ys: Any, sw: Any) -> dict[str, float]:
        """``step`` (train_step or test_step) on a batch of the loop, its logs as floats."""
        logs = _float_logs(step(_step_data(xs, ys, sw)))
        self._samples_in_logs += _batch_size(xs)
        return logs

    def _predict_batch(self, xs: list[Any]) -> list[np.ndarray]:
        with no_grad():
            out = self.predict_step(_step_data(xs, None, None))
        return [backend.to_numpy(as_array(p)) for p in _as_list(out)]

    # -- fit -----------------------------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: float | None = None,
        validation_steps: float | None = None,
        validation_batch_size: int | None = None,
        validation_freq: Any = 1,
    ) -> Any:
        """Train the model for ``epochs`` passes over the data, one update per mini-batch.

        Every argument is checked first (:mod:`.arguments`): a wrong type raises a TypeError,
        a wrong value a ValueError, both naming the argument. The data goes through
        :func:`.data_adapter.get_fit_adapters`. Keras 1's ``nb_epoch`` is accepted with a
        warning.

        Args:
            x: the input data: a NumPy array (or a nested list of numbers), a list of arrays
                or a dict of them for a model with several inputs, or a generator, iterator or
                ``Sequence`` (``__len__`` and ``__getitem__``) that yields ``(x, y)`` or
                ``(x, y, sample_weight)`` batches.
            y: the targets, in the form of ``x`` (one array, or one per output); None when
                ``x`` is a generator or ``Sequence``, which yields its own.
            batch_size: samples per update. Defaults to 32 (the last batch of an epoch may be
                smaller). Not used with a generator or ``Sequence``.
            epochs: the index of the epoch at which training stops (not a number of further
                epochs): with ``initial_epoch=3, epochs=6`` epochs 3 to 5 run. Defaults to 1.
            verbose: ``0`` silent, ``1`` a progress bar, ``2`` one line per epoch, or
                ``'auto'`` (1). Defaults to ``'auto'``.
            callbacks: a list of :class:`~numkeras.callbacks.Callback` instances, called at
                the start and end of training, of each epoch and of each batch. A ``History``
                (and a progress bar unless ``verbose=0``) is added. Defaults to None.
            validation_split: a fraction in [0, 1) of the arrays kept aside to measure the
                loss and metrics on after each epoch: the *last* samples of ``x`` and ``y``,
                taken before any shuffling. Not available with a generator. Defaults to 0.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight_val)`` or a
                generator or ``Sequence`` of such batches to evaluate on after each epoch;
                overrides ``validation_split``. Defaults to None.
            shuffle: whether to shuffle the training samples anew before every epoch (arrays
                only). Defaults to True.
            class_weight: a dict from class index to the weight of that class's samples in the
                loss (1 for a class not in it), e.g. to pay more attention to a rare class.
                Needs one target array. Defaults to None.
            sample_weight: an array of one weight per training sample, multiplying its term in
                the loss (and in the weighted metrics). Defaults to None.
            initial_epoch: the epoch at which to start, to resume an earlier run. After
                ``load_model`` of a checkpoint, such a fit continues the checkpoint's
                EarlyStopping, ModelCheckpoint and ReduceLROnPlateau states in the callbacks
                of the same class and monitor (see :mod:`numkeras.callbacks.state`), and its
                random stream. Defaults to 0.
            steps_per_epoch: the batches in one epoch; a fraction means one more. Defaults to
                None: every batch of the arrays, the length of a ``Sequence``, or a generator
                until it is exhausted. A generator that runs out of batches ends training
                with a warning, as in Keras.
            validation_steps: the batches of each validation, as ``steps_per_epoch``.
                Defaults to None: all of them.
            validation_batch_size: samples per validation batch. Defaults to None:
                ``batch_size``.
            validation_freq: validate after every n-th epoch (an int), or after the epochs
                listed (1-based, e.g. ``[1, 5, 10]``). Defaults to 1.

        Returns:
            The ``History`` callback (also ``model.history``): its ``.history`` maps
            ``'loss'``, each metric and each ``'val_*'`` to one value per epoch, each an exact
            average over that epoch's samples.
        """
        self._require_compiled("fit")
        arguments.check(
            x=x,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
        )
        train, validation = da.get_fit_adapters(
            self,
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            shuffle=shuffle,
            class_weight=class_weight,
            steps_per_epoch=steps_per_epoch,
            validation_split=validation_split,
            validation_data=validation_data,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
        )
        replicas = _data_parallel()
        if replicas is not None:
            validation = _distribute_fit(replicas, self, train, validation)
        cbs = _callback_list(self, callbacks, verbose, epochs, train.steps, add_history=True)
        # A checkpoint's callback states are for the fit that resumes from it, and only that.
        resumed = self.__dict__.pop("_resumed_callback_states", None)
        self.stop_training = False
        self._fit_callbacks = cbs.callbacks
        try:
            cbs.on_train_begin()
            if initial_epoch > 0 and resumed:
                callback_state.restore(cbs.callbacks, resumed)
            logs = self._fit_epochs(
                train, validation, cbs, range(initial_epoch, epochs), validation_freq
            )
            cbs.on_train_end(logs)
        finally:
            self._fit_callbacks = None
        return self.history

    def _fit_epochs(
        self, train: Any, val_batches: Any, cbs: Any, epochs: range, validation_freq: Any
    ) -> dict[str, float]:
        """Run ``epochs``; the logs of the last one that ran.

        A generator that runs out of batches ends training with a warning, as in Keras: the
        epoch it cut short counts (its metrics cover the steps that ran), one it left with no
        step at all does not, so the History holds exactly the epochs that trained.
        """
        logs: dict[str, float] = {}
        for epoch in epochs:
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            epoch_logs: dict[str, float] = {}
            for step, (xb, yb, swb) in enumerate(train):
                cbs.on_train_batch_begin(step)
                epoch_logs = self._train_batch(xb, yb, swb)
                cbs.on_train_batch_end(step, epoch_logs)
                if self.stop_training:
                    break
            total = None if train.steps is None else train.steps * len(epochs)
            if _ran_dry(train, "x", "training", _needed("`steps_per_epoch * epochs`", total)):
                self.stop_training = True
                if not epoch_logs:
                    break
            logs = dict(epoch_logs)
            if val_batches is not None and _due(validation_freq, epoch):
                val_logs = self._run_evaluation(val_batches, cbs)
                needed = _needed("`validation_steps` for each validation", val_batches.steps)
                if _ran_dry(val_batches, "validation_data", "training", needed):
                    self.stop_training = True
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        return logs

    def _run_evaluation(self, batches: Any, cbs: Any) -> dict[str, float]:
        self.reset_metrics()
        cbs.on_test_begin()
        logs: dict[str, float] = {}
        for step, (xb, yb, swb) in enumerate(batches):
            cbs.on_test_batch_begin(step)
            with no_grad():
                logs = self._run_step(self.test_step, xb, yb, swb)
            cbs.on_test_batch_end(step, logs)
        replicas = _data_parallel()
        if replicas is not None:
            logs = replicas.global_logs(logs, self._samples_in_logs)
        cbs.on_test_end(logs)
        return logs

    # -- data parallelism (numkeras.distribution): the loop's only points of contact -----------
    def _train_batch(self, xs: list[Any], ys: Any, sw: Any) -> dict[str, float]:
        """One training step; under data parallelism, on this rank's share of the batch (maybe
        none of a short last batch), its optimizer updates averaged over the ranks, with the
        logs of the whole batch."""
        replicas = _data_parallel()
        if replicas is None:
            return self._run_step(self.train_step, xs, ys, sw)
        count = len(xs[0])
        with replicas.averaging_gradients(count) as applied:
            if count:
                logs = self._run_step(self.train_step, xs, ys, sw)
            else:
                # No gradient of its own, yet this rank takes part in the step's update.
                variables = self.trainable_weights
                with _interrupts_deferred():
                    self.optimizer.apply([None] * len(variables), variables)
                logs = self.get_metrics_result()
        if applied:
            # What callbacks that watch the gradients (GradientFlow) see: the global ones.
            self.last_gradients = applied[-1]
        return replicas.global_logs(logs, self._samples_in_logs)

    def _test_batch(self, xs: list[Any], ys: Any, sw: Any) -> dict[str, float]:
        """One evaluation step without a tape; under data parallelism, on this rank's share
        of the batch, with the logs of the whole batch."""
        replicas = _data_parallel()
        logs: dict[str, float] = {}
        if replicas is None or len(xs[0]):
            with no_grad():
                logs = self._run_step(self.test_step, xs, ys, sw)
        if replicas is None:
            return logs
        return replicas.global_logs(logs, self._samples_in_logs)

    # -- evaluate and predict ------------------------------------------------------------------
    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: float | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
    ) -> Any:
        """The loss and metrics on ``x`` and ``y``, computed in batches without a tape.

        Every argument is checked first, as in :meth:`fit`; the data goes through
        :func:`.data_adapter.get_data_adapter`.

        Args:
            x: the input data: an array, a list or dict of arrays (one per input), or a
                generator or ``Sequence`` that yields ``(x, y)`` or ``(x, y, sample_weight)``
                batches.
            y: the targets, in the form of ``x``; None when ``x`` is a generator or
                ``Sequence``.
            batch_size: samples per batch. Defaults to 32. The values do not depend on it:
                each is an exact average over all the samples.
            verbose: ``0`` silent, ``1`` a progress bar, ``2`` one line, or ``'auto'`` (1).
                Defaults to ``'auto'``.
            sample_weight: an array of one weight per sample, for the loss and the weighted
                metrics. Defaults to None.
            steps: the batches to evaluate; a fraction means one more. Defaults to None: all of
                them (a generator: until it is exhausted). A generator that runs out first
                gives the values of the batches it gave, with a warning.
            callbacks: a list of :class:`~numkeras.callbacks.Callback` instances, called at
                the start and end of the evaluation and of each batch. Defaults to None.
            return_dict: return a dict from name to value instead of a list. Defaults to False.

        Returns:
            The loss alone when the model has no metrics, else ``[loss, *metrics]`` (so
            ``score[0]`` is the loss and ``score[1]`` the accuracy), or with ``return_dict`` a
            dict keyed by ``'loss'`` and the metrics' names.
        """
        self._require_compiled("evaluate")
        arguments.check(
            x=x,
            batch_size=batch_size,
            verbose=verbose,
            steps=steps,
            callbacks=callbacks,
            return_dict=return_dict,
        )
        batches = da.get_data_adapter(self, x, y, sample_weight, batch_size=batch_size, steps=steps)
        batches = _shard(_data_parallel(), batches, "evaluate")
        cbs = _callback_list(self, callbacks, verbose, 1, batches.steps)
        logs = self._run_evaluation(batches, cbs)
        if not logs:
            raise ValueError(_NO_BATCH.format(method="evaluate"))
        _ran_dry(batches, "x", "evaluation", _needed("`steps`", batches.steps))
        return _format(logs, return_dict)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: float | None = None,
        callbacks: list | None = None,
    ) -> Any:
        """The model's outputs for ``x``, computed in batches without a tape.

        Every argument is checked first, as in :meth:`fit`; the data goes through
        :func:`.data_adapter.get_data_adapter`. As in Keras, a NaN or inf in ``x`` is not an
        error here: it shows in the outputs.

        Args:
            x: the input data: an array, a list or dict of arrays (one per input), or a
                generator or ``Sequence`` that yields batches of inputs (or ``(x, y)`` pairs,
                whose ``y`` is ignored).
            batch_size: samples per batch. Defaults to 32; the outputs do not depend on it.
            verbose: ``0`` silent, ``1`` a progress bar, ``2`` one line, or ``'auto'`` (1).
                Defaults to ``'auto'``.
            steps: the batches to predict; a fraction means one more. Defaults to None: all of
                them (a generator: until it is exhausted). A generator that runs out first
                gives the outputs of the batches it gave, with a warning.
            callbacks: a list of :class:`~numkeras.callbacks.Callback` instances, called at
                the start and end of the prediction and of each batch (whose logs hold the
                batch's ``'outputs'``). Defaults to None.

        Returns:
            A NumPy array of outputs, one row per sample, or a list of them for a model with
            several outputs.
        """
        arguments.check(
            x=x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks
        )
        batches = da.get_data_adapter(
            self, x, batch_size=batch_size, steps=steps, check_finite=False
        )
        replicas = _data_parallel()
        batches = _shard(replicas, batches, "predict")
        cbs = _callback_list(self, callbacks, verbose, 1, batches.steps)
        cbs.on_predict_begin()
        chunks: list[list[np.ndarray]] = []
        for step, (xb, _, _) in enumerate(batches):
            cbs.on_predict_batch_begin(step)
            out = self._predict_batch(xb)
            chunks.append(out)
            cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        outputs = [np.concatenate(parts) for parts in zip(*chunks)]
        if replicas is not None:
            outputs = replicas.gather_rows(outputs if chunks else None)
        if not outputs:
            raise ValueError(_NO_BATCH.format(method="predict"))
        _ran_dry(batches, "x", "prediction", _needed("`steps`", batches.steps))
        return outputs[0] if len(outputs) == 1 else outputs

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One update on one batch; returns the batch's loss (and metrics).

        Under data parallelism (``numkeras.distribution``) every rank passes the same whole
        batch and trains on its share, as in one step of ``fit`` (the first call makes the
        ranks' weights and optimizer state rank 0's); the result is the whole batch's.
        """
        self._require_compiled("train_on_batch")
        arguments.check(x=x, class_weight=class_weight, return_dict=return_dict)
        xs, ys, sw = da.prepare_arrays(self, x, y, sample_weight, class_weight)
        replicas = _data_parallel()
        if replicas is not None:
            replicas.synchronize(self)
        self.reset_metrics()
        return _format(self._train_batch(*_share(replicas, xs, ys, sw)), return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) on one batch, without updating anything; under data
        parallelism, each rank's share of the same whole batch, the result the whole
        batch's."""
        self._require_compiled("test_on_batch")
        xs, ys, sw = da.prepare_arrays(self, x, y, sample_weight)
        self.reset_metrics()
        return _format(self._test_batch(*_share(_data_parallel(), xs, ys, sw)), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for one batch."""
        xs, _, _ = da.prepare_arrays(self, x, check_finite=False)
        out = self._predict_batch(xs)
        return out[0] if len(out) == 1 else out

    # -- Keras 2's generator methods: fit, evaluate and predict take generators themselves -------
    # ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are accepted and have no
    # effect: numkeras reads the generator in the training process.
    def fit_generator(
        self,
        generator: Any,
        steps_per_epoch: int | None = None,
        epochs: int = 1,
        verbose: Any = 1,
        callbacks: list | None = None,
        validation_data: Any = None,
        validation_steps: int | None = None,
        class_weight: dict | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ) -> Any:
        """Keras 2's name for :meth:`fit` on a generator or ``Sequence``."""
        _renamed("fit_generator", "fit")
        return self.fit(
            generator,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            class_weight=class_weight,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
        )

    def evaluate_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks: list | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
    ) -> Any:
        """Keras 2's name for :meth:`evaluate` on a generator or ``Sequence``."""
        _renamed("evaluate_generator", "evaluate")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks: list | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
    ) -> Any:
        """Keras 2's name for :meth:`predict` on a generator or ``Sequence``."""
        _renamed("predict_generator", "predict")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> Any:
        """Keras 1's class predictions: the argmax, or ``p > 0.5`` for a single sigmoid unit."""
        p = self.predict(x, batch_size=batch_size, verbose=verbose)
        return (p > 0.5).astype("int32")[:, 0] if p.shape[-1] == 1 else p.argmax(axis=-1)

    def predict_proba(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> Any:
        """Keras 1's name for :meth:`predict` on a model with probability outputs."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)


Trainer.fit = legacy.accepts_keras1_names(Trainer.fit, "fit")


class CompileMetrics(metrics_module.Metric):
    """The metrics given to ``compile``, as one metric in ``model.metrics`` (Keras 3's
    ``compile_metrics``): each is made once the first batch shows the shapes of targets and
    outputs, so a step that updates every metric of ``model.metrics`` updates them all, and
    its result is the dict of their results."""

    def __init__(self, model: Trainer):
        super().__init__(name="compile_metrics")
        self._model = model

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        ys, y_preds = _as_list(y_true), _as_list(y_pred)
        self._model._build_metrics(ys, y_preds)
        for group, y, p in zip(self._model._metrics, ys, y_preds):
            # A masked output stays a Tensor, whose mask the metrics read (as Keras 3's).
            p = p if getattr(p, "_keras_mask", None) is not None else as_array(p)
            for metric in group:
                metric.update_state(y, p, sample_weight=sample_weight)

    def result(self) -> dict[str, Any]:
        return {m.name: m.result() for group in self._model._metrics or [] for m in group}

    def reset_state(self) -> None:
        for group in self._model._metrics or []:
            for metric in group:
                metric.reset_state()


_NO_BATCH = (
    "{method}() got no batch: x ran out of data before its first one (a generator exhausted "
    "by earlier calls?)."
)


def _renamed(old: str, new: str) -> None:
    legacy.warn(f"`model.{old}` is the Keras 2 name; use `model.{new}`, which takes generators.")


def _verbosity(verbose: Any) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _callback_list(
    model: Any,
    callbacks: list | None,
    verbose: Any,
    epochs: int,
    steps: int | None,
    add_history: bool = False,
) -> callbacks_module.CallbackList:
    """The user's callbacks, with a progress bar unless ``verbose`` is 0 (and a History)."""
    return callbacks_module.CallbackList(
        callbacks,
        add_history=add_history,
        # Under data parallelism the ranks' logs are the same, and rank 0 alone shows them.
        add_progbar=_verbosity(verbose) != 0 and _is_chief(),
        model=model,
        verbose=_verbosity(verbose),
        epochs=epochs,
        steps=steps,
    )


def _data_parallel() -> Any:
    """The active ``numkeras.distribution.DataParallel``, or None. A program that never
    imported ``numkeras.distribution`` has none, and the loop does not import it."""
    module = sys.modules.get("numkeras.distribution.data_parallel")
    return None if module is None else module.active()


def _is_chief() -> bool:
    replicas = _data_parallel()
    return replicas is None or replicas.rank == 0


def _check_arrays(batches: Any, method: str) -> None:
    if not isinstance(batches, da.ArrayBatches):
        raise ValueError(
            f"{method}() under DataParallel needs arrays, which it splits between the ranks. "
            f"Received: data of type {type(batches).__name__} (a generator or Sequence)."
        )


def _distribute_fit(replicas: Any, model: Any, train: Any, validation: Any) -> Any:
    """Set up fit under data parallelism: the ranks share out every batch, shuffled in one
    order, draw dropout masks from streams of their own, start from rank 0's weights and
    optimizer state, and each validates on its share of the validation data (returned)."""
    _check_arrays(train, "fit")
    smallest = min(train.batch_size, train.num_samples)
    if smallest < replicas.num_replicas:
        raise ValueError(
            f"fit() under DataParallel needs batch_size and the number of samples to be at "
            f"least the number of ranks ({replicas.num_replicas}), so every rank has samples. "
            f"Received: batch_size={train.batch_size}, samples={train.num_samples}"
        )
    # Drawn only to shuffle, so that an unshuffled fit leaves rank 0's random stream alone.
    train.distribute(replicas, replicas.shared_seed() if train.shuffle else 0)
    replicas.split_random_streams()
    replicas.broadcast_state(model)
    return _shard(replicas, validation, "fit")


def _share(replicas: Any, xs: list[Any], ys: Any, sw: Any) -> tuple[list[Any], Any, Any]:
    """A batch given whole to every rank: itself in one process, else this rank's share."""
    if replicas is None:
        return xs, ys, sw
    part = slice(*replicas.share(0, len(xs[0])))
    return (
        [x[part] for x in xs],
        None if ys is None else [y[part] for y in ys],
        None if sw is None else sw[part],
    )


def _shard(replicas: Any, batches: Any, method: str) -> Any:
    """``batches`` itself in one process; under data parallelism, this rank's share."""
    if replicas is None or batches is None:
        return batches
    _check_arrays(batches, method)
    return batches.shard(replicas)


def _needed(expression: str, count: int | None) -> str:
    return expression if count is None else f"{expression} ({count})"


def _ran_dry(batches: Any, argument: str, activity: str, needed: str) -> bool:
    """Whether ``batches`` ran out of data in its last pass; if so, warn as Keras does."""
    if batches.ran_dry:
        warnings.warn(
            f"Your input ran out of data; interrupting {activity}. Make sure that your dataset "
            f"or generator ({argument}) can generate at least {needed} batches.",
            stacklevel=3,
        )
    return batches.ran_dry


def _due(validation_freq: Any, epoch: int) -> bool:
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def _format(logs: dict[str, float], return_dict: bool) -> Any:
    """``logs`` as evaluate returns them: the dict, or its values (one alone as itself)."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _batch_size(x: Any) -> int:
    return len(x[0] if isinstance(x, (list, tuple)) else x)


def _scalar(value: Any) -> Any:
    """A metric's result as a Python float when it is one number (a Python number rounded to
    floatx, as an array of it would be)."""
    if type(value) is float:
        # Every step's logs are floats already: rounded on the host, with no device trip.
        return float(np.asarray(value, dtype=backend.floatx()))
    array = np.asarray(backend.to_numpy(as_array(value)))
    return float(array) if array.size == 1 else array


def _float_logs(logs: Any) -> dict[str, Any]:
    """A step's logs with each value a float where it is one number (Tensors included), and
    a dict of results (``compile_metrics``'s) flattened into them, as Keras does."""
    if not isinstance(logs, dict):
        raise TypeError(
            "train_step() and test_step() must return a dict of logs, e.g. "
            f"{{'loss': loss}}. Received: {type(logs).__name__}"
        )
    flat: dict[str, Any] = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_float_logs(value))
        else:
            flat[key] = _scalar(value)
    return flat


def _step_data(xs: list[Any], ys: Any, sw: Any) -> Any:
    """A batch of the loop as a step receives it (:func:`pack_x_y_sample_weight`); ``x`` and
    ``y`` are arrays, or lists of them for several inputs or outputs."""
    x = xs[0] if len(xs) == 1 else list(xs)
    y = None if ys is None else (ys[0] if len(ys) == 1 else list(ys))
    return pack_x_y_sample_weight(x, y, sw)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C that arrives mid-update until every weight is updated.

    So an interrupted ``fit`` leaves the weights of the last completed step, never a mix.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])
