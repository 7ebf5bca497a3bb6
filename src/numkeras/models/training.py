"""Step 2 and step 3 of the course: ``compile`` (goodness of function) and ``fit`` (pick the best).

:class:`Trainer` gives a model Keras's ``compile``, ``fit``, ``evaluate``, ``predict`` and the
``*_on_batch`` methods. It needs only what every model has: ``__call__(inputs, training)``,
``trainable_weights``, ``losses`` and the shapes of its inputs, so ``Sequential`` and functional
models share one loop. Each training step is: forward on the tape, loss, one backward pass, one
optimizer update in place.
"""

from __future__ import annotations

import contextlib
import math
import reprlib
import signal
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend, callback_state, legacy
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..ops.core import Tensor, no_grad
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

    # -- compile -------------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
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
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}.")
        if loss is None:
            raise ValueError(
                "compile() needs a loss, e.g. loss='categorical_crossentropy'. Received: loss=None"
            )
        n_out = self._num_outputs()
        # Checked before anything is set, so that a refused compile changes nothing.
        weights = [1.0] * n_out if loss_weights is None else self._checked_loss_weights(
            loss_weights, n_out)
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        self._losses = [losses_module.as_loss(l) for l in self._per_output(loss, "loss", n_out)]
        self.loss_weights = loss_weights
        self._loss_weights = weights
        self._metric_specs = metrics
        self._metrics: list[list[Any]] | None = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.compiled = True

    def _checked_loss_weights(self, loss_weights: Any, n_out: int) -> list[float]:
        weights = self._per_output(loss_weights, "loss_weights", n_out)
        for w in weights:
            if not arguments.is_number(w):
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
    def metrics_names(self) -> list[str]:
        names = ["loss"]
        for group in self._metrics or []:
            names.extend(m.name for m in group)
        return names

    # -- one step ------------------------------------------------------------------------------
    def _forward(self, xs: list[Any], training: bool) -> list[Tensor]:
        out = self(xs if len(xs) > 1 else xs[0], training=training)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def _total_loss(self, ys: list[Any], y_preds: list[Tensor], sw: Any) -> Tensor:
        total = None
        for loss, weight, y, p in zip(self._losses, self._loss_weights, ys, y_preds):
            term = loss(y, p, sample_weight=sw)
            if weight != 1.0:
                term = term * weight
            total = term if total is None else total + term
        for penalty in self.losses:
            total = total + penalty
        return total

    def _update_metrics(
        self, loss_value: float, ys: list[Any], y_preds: list[Any], sw: Any, batch: int
    ) -> dict[str, float]:
        self._loss_tracker.update_state(loss_value, sample_weight=batch)
        for group, y, p in zip(self._metrics, ys, y_preds):
            for metric in group:
                metric.update_state(y, p.data, sample_weight=sw)
        return self._results()

    def _results(self) -> dict[str, float]:
        logs = {"loss": float(self._loss_tracker.result())}
        for group in self._metrics:
            for metric in group:
                logs[metric.name] = float(metric.result())
        return logs

    def _reset_metrics(self) -> None:
        self._loss_tracker.reset_state()
        for group in self._metrics or []:
            for metric in group:
                metric.reset_state()

    def _train_step(self, xs: list[Any], ys: list[Any], sw: Any) -> dict[str, float]:
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        y_preds = self._forward(xs, training=True)
        self._build_metrics(ys, y_preds)
        loss = self._total_loss(ys, y_preds, sw)
        loss.backward()
        grads = [v.grad if v.grad is not None else np.zeros_like(v.data) for v in variables]
        with _interrupts_deferred():
            self.optimizer.apply(grads, variables)
        for v in variables:
            v.grad = None
        # Kept until the next step, for callbacks that watch the gradients (GradientFlow).
        self.last_gradients = grads
        return self._update_metrics(float(loss.data), ys, y_preds, sw, len(xs[0]))

    def _test_step(self, xs: list[Any], ys: list[Any], sw: Any) -> dict[str, float]:
        with no_grad():
            y_preds = self._forward(xs, training=False)
            self._build_metrics(ys, y_preds)
            loss = self._total_loss(ys, y_preds, sw)
        return self._update_metrics(float(loss.data), ys, y_preds, sw, len(xs[0]))

    # -- data ----------------------------------------------------------------------------------
    def _prepare_arrays(
        self, x: Any, y: Any, sample_weight: Any, class_weight: Any = None,
        check_finite: bool = True,
    ) -> tuple[list, list | None, Any]:
        xs = [da.as_floatx(a, "x", check_finite) for a in da.to_list(x)]
        ys = None if y is None else [da.as_floatx(a, "y") for a in da.to_list(y)]
        sw = None if sample_weight is None else da.as_floatx(sample_weight, "sample_weight")
        da.check_sample_counts(xs, ys, sw)
        self._check_input_shapes(xs)
        if ys is not None and getattr(self, "_losses", None):
            self._check_target_shapes(xs, ys)
        if class_weight is not None:
            if ys is None or len(ys) != 1:
                raise ValueError("class_weight needs exactly one target array y.")
            shapes = self._output_shapes()
            units = shapes[0][-1] if shapes and shapes[0][-1] is not None else None
            sw = _class_weights_to_sample_weights(class_weight, ys[0], sw, units)
        return xs, ys, sw

    def _check_input_shapes(self, xs: list[np.ndarray]) -> None:
        """Compare the data's sample shapes with the model's input shapes, naming ``x``."""
        if not self._ensure_built(xs):
            return
        for i, (x, shape) in enumerate(zip(xs, self._input_shapes())):
            expected = tuple(shape[1:])
            if len(x.shape[1:]) != len(expected) or any(
                e is not None and e != g for e, g in zip(expected, x.shape[1:])
            ):
                name = "x" if len(xs) == 1 else f"x[{i}]"
                hint = ""
                if len(expected) == 1 and x.ndim > 2 and math.prod(x.shape[1:]) == expected[0]:
                    hint = f" Flatten the samples first: {name}.reshape(-1, {expected[0]})."
                raise ValueError(
                    f"{name} has samples of shape {tuple(x.shape[1:])}, but the model expects "
                    f"samples of shape {expected} (batch axis excluded). Received: "
                    f"{name}.shape={x.shape}.{hint}"
                )

    def _check_target_shapes(self, xs: list[np.ndarray], ys: list[np.ndarray]) -> None:
        shapes = self._output_shapes()
        if shapes is None:
            return
        if len(ys) != len(shapes):
            raise ValueError(
                f"The model has {len(shapes)} output(s) but received {len(ys)} target array(s) y."
            )
        for loss, y, shape in zip(self._losses, ys, shapes):
            losses_module.check_target_shape(loss, y.shape, (len(y), *shape[1:]))

    def _batches(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: int | None,
        shuffle: bool,
        steps: int | None,
        argument: str = "x",
        class_weight: Any = None,
        check_finite: bool = True,
    ) -> Any:
        if da.is_generator_like(x):
            given = {"y": y, "sample_weight": sample_weight, "class_weight": class_weight}
            for name, value in given.items():
                if value is not None:
                    raise ValueError(
                        f"When {argument} is a generator or Sequence it yields the targets and "
                        f"sample weights too: {name} must be None. Received: {name} of type "
                        f"{type(value).__name__}"
                    )
            return da.GeneratorBatches(x, steps, argument)
        xs, ys, sw = self._prepare_arrays(x, y, sample_weight, class_weight, check_finite)
        return da.ArrayBatches(xs, ys, sw, _batch_size(batch_size), shuffle, steps)

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
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: Any = 1,
    ) -> Any:
        """Train the model for ``epochs`` passes over the data, in shuffled mini-batches.

        Every epoch the training samples are reshuffled (``shuffle=True``) and cut into batches
        of ``batch_size`` (default 32; the last batch may be smaller); the parameters are updated
        once per batch. ``validation_split`` keeps the *last* fraction of ``x`` and ``y`` aside,
        before shuffling, as Keras does; ``validation_data=(x_val, y_val)`` overrides it.
        Metrics are exact averages over the epoch's samples. Returns the ``History``, whose
        ``.history`` maps ``'loss'``, each metric and each ``'val_*'`` to per-epoch values.
        Keras 1's ``nb_epoch`` is accepted with a warning.

        ``epochs`` is the index at which training stops: ``initial_epoch=3, epochs=6`` trains
        epochs 3 to 5. After ``load_model`` of a checkpoint, such a fit continues the
        checkpoint's EarlyStopping, ModelCheckpoint and ReduceLROnPlateau states in the
        callbacks of the same class and monitor (see :mod:`numkeras.callback_state`). A
        generator that runs out of batches ends training with a warning, as in Keras. Every
        argument is checked first (:mod:`.arguments`): a wrong type raises a TypeError, a
        wrong value a ValueError, naming the argument.
        """
        self._require_compiled("fit")
        arguments.check(
            x=x, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
            class_weight=class_weight, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_batch_size=validation_batch_size, validation_freq=validation_freq,
        )
        val = None
        if validation_data is None and validation_split:
            if da.is_generator_like(x):
                raise ValueError(
                    "validation_split needs arrays; with a generator, pass validation_data instead."
                )
            (x, y, sample_weight), (vx, vy, vsw) = _split(x, y, sample_weight, validation_split)
            val = (vx, vy, vsw)
        elif validation_data is not None:
            val = _unpack_validation(validation_data)
        train = self._batches(
            x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight=class_weight
        )
        val_batches = (
            None
            if val is None
            else self._batches(
                *val,
                validation_batch_size or batch_size,
                False,
                validation_steps,
                argument="validation_data",
            )
        )

        cbs = callbacks_module.CallbackList(
            callbacks,
            add_history=True,
            add_progbar=_verbosity(verbose) != 0,
            model=self,
            verbose=_verbosity(verbose),
            epochs=epochs,
            steps=train.steps,
        )
        # A checkpoint's callback states are for the fit that resumes from it, and only that.
        resumed = self.__dict__.pop("_resumed_callback_states", None)
        self.stop_training = False
        self._fit_callbacks = cbs.callbacks
        try:
            cbs.on_train_begin()
            if initial_epoch > 0 and resumed:
                callback_state.restore(cbs.callbacks, resumed)
            logs = self._fit_epochs(
                train, val_batches, cbs, range(initial_epoch, epochs), validation_freq
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
            self._reset_metrics()
            cbs.on_epoch_begin(epoch)
            epoch_logs: dict[str, float] = {}
            for step, (xb, yb, swb) in enumerate(train):
                if yb is None:
                    raise ValueError(
                        "fit() needs targets: pass y, or a generator that yields (x, y) pairs."
                    )
                cbs.on_train_batch_begin(step)
                epoch_logs = self._train_step(xb, yb, swb)
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
        self._reset_metrics()
        cbs.on_test_begin()
        logs: dict[str, float] = {}
        for step, (xb, yb, swb) in enumerate(batches):
            if yb is None:
                raise ValueError(
                    "evaluate() needs targets: pass y, or a generator that yields (x, y) pairs."
                )
            cbs.on_test_batch_begin(step)
            logs = self._test_step(xb, yb, swb)
            cbs.on_test_batch_end(step, logs)
        cbs.on_test_end(logs)
        return logs

    # -- evaluate and predict ------------------------------------------------------------------
    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
    ) -> Any:
        """Loss and metrics on ``x``, ``y``, computed without a tape in batches.

        Returns the loss alone when the model has no metrics, else ``[loss, *metrics]`` (so
        ``score[0]`` is the loss and ``score[1]`` the accuracy), or a dict with ``return_dict``.
        """
        self._require_compiled("evaluate")
        arguments.check(
            x=x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks,
            return_dict=return_dict,
        )
        batches = self._batches(x, y, sample_weight, batch_size, False, steps)
        cbs = callbacks_module.CallbackList(
            callbacks,
            add_progbar=_verbosity(verbose) != 0,
            model=self,
            verbose=_verbosity(verbose),
            epochs=1,
            steps=batches.steps,
        )
        logs = self._run_evaluation(batches, cbs)
        if not logs:
            raise ValueError(_NO_BATCH.format(method="evaluate"))
        _ran_dry(batches, "x", "evaluation", _needed("`steps`", batches.steps))
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: list | None = None,
    ) -> Any:
        """The model's outputs for ``x``, computed in batches without a tape (NumPy arrays).

        As in Keras, a NaN or inf in ``x`` is not an error here: it shows in the outputs.
        """
        arguments.check(x=x, batch_size=batch_size, verbose=verbose, steps=steps,
                        callbacks=callbacks)
        batches = self._batches(x, None, None, batch_size, False, steps, check_finite=False)
        cbs = callbacks_module.CallbackList(
            callbacks,
            add_progbar=_verbosity(verbose) != 0,
            model=self,
            verbose=_verbosity(verbose),
            epochs=1,
            steps=batches.steps,
        )
        cbs.on_predict_begin()
        chunks: list[list[np.ndarray]] = []
        with no_grad():
            for step, (xb, _, _) in enumerate(batches):
                cbs.on_predict_batch_begin(step)
                out = [backend.to_numpy(p.data) for p in self._forward(xb, training=False)]
                chunks.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not chunks:
            raise ValueError(_NO_BATCH.format(method="predict"))
        _ran_dry(batches, "x", "prediction", _needed("`steps`", batches.steps))
        outputs = [np.concatenate(parts) for parts in zip(*chunks)]
        return outputs[0] if len(outputs) == 1 else outputs

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One update on one batch; returns the batch's loss (and metrics)."""
        self._require_compiled("train_on_batch")
        arguments.check(x=x, class_weight=class_weight, return_dict=return_dict)
        xs, ys, sw = self._prepare_arrays(x, y, sample_weight, class_weight)
        self._reset_metrics()
        return _format(self._train_step(xs, ys, sw), self.metrics_names, return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) on one batch, without updating anything."""
        self._require_compiled("test_on_batch")
        xs, ys, sw = self._prepare_arrays(x, y, sample_weight)
        self._reset_metrics()
        return _format(self._test_step(xs, ys, sw), self.metrics_names, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for one batch."""
        xs, _, _ = self._prepare_arrays(x, None, None, check_finite=False)
        with no_grad():
            out = [backend.to_numpy(p.data) for p in self._forward(xs, training=False)]
        return out[0] if len(out) == 1 else out

    def predict_classes(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> Any:
        """Keras 1's class predictions: the argmax, or ``p > 0.5`` for a single sigmoid unit."""
        p = self.predict(x, batch_size=batch_size, verbose=verbose)
        return (p > 0.5).astype("int32")[:, 0] if p.shape[-1] == 1 else p.argmax(axis=-1)

    def predict_proba(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> Any:
        """Keras 1's name for :meth:`predict` on a model with probability outputs."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)


Trainer.fit = legacy.accepts_keras1_names(Trainer.fit, "fit")

_NO_BATCH = (
    "{method}() got no batch: x ran out of data before its first one (a generator exhausted "
    "by earlier calls?)."
)


def _batch_size(batch_size: int | None) -> int:
    return 32 if batch_size is None else int(batch_size)


def _verbosity(verbose: Any) -> int:
    return 1 if verbose == "auto" else int(verbose)


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


def _split(x: Any, y: Any, sw: Any, fraction: float) -> tuple[tuple, tuple]:
    xs, ys = da.to_list(x), da.to_list(y)
    arrays = [
        *map(np.asarray, xs),
        *(map(np.asarray, ys) if ys else []),
        None if sw is None else np.asarray(sw),
    ]
    train, val = da.split_validation(arrays, fraction)
    nx, ny = len(xs), len(ys or [])

    def pack(parts: list) -> tuple:
        px, py = parts[:nx], parts[nx : nx + ny]
        return (px if nx > 1 else px[0], (py if ny > 1 else py[0]) if ny else None, parts[-1])

    return pack(train), pack(val)


def _unpack_validation(data: Any) -> tuple:
    """``validation_data`` (checked by :mod:`.arguments`) as (x, y, sample_weight)."""
    if da.is_generator_like(data):
        return data, None, None
    return (data[0], data[1], data[2] if len(data) == 3 else None)


def _class_weights_to_sample_weights(
    class_weight: dict, y: np.ndarray, sw: Any, units: int | None
) -> np.ndarray:
    """Each sample's weight: its class's entry in ``class_weight`` (1 for a class not in it),
    times ``sw``. The classes are y's columns when one-hot, else the model's output units
    (two for a single sigmoid unit; ``units`` None: the labels present)."""
    one_hot = y.ndim > 1 and y.shape[-1] > 1
    labels = (y.argmax(axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    if one_hot:
        n_classes = y.shape[-1]
    else:
        n_classes = max(units, 2) if units is not None else max(int(labels.max()) + 1, 2)
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(
                f"class_weight needs class indices in [0, {n_classes}) in y. Received labels "
                f"from {labels.min()} to {labels.max()}"
            )
    outside = sorted(int(k) for k in class_weight if not 0 <= k < n_classes)
    if outside:
        raise ValueError(
            f"class_weight has keys {outside} outside the valid class indices 0 to "
            f"{n_classes - 1} (the model has {n_classes} classes). Received: "
            f"class_weight={reprlib.repr(class_weight)}"
        )
    table = np.ones(n_classes, dtype=backend.floatx())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    weights = table[labels]
    return weights if sw is None else weights * sw


def _format(logs: dict[str, float], names: list[str], return_dict: bool) -> Any:
    if return_dict:
        return logs
    values = [logs[n] for n in names]
    return values[0] if len(values) == 1 else values


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
