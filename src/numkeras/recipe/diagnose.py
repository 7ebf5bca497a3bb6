"""The course's Recipe of Deep Learning as a function: what went wrong with a training run.

The recipe is a flowchart. First ask whether the network does well on its *training* data; if
not, the problem is not overfitting, and the fixes are about optimization (the loss, the
activation, the learning rate). Only once training is good ask whether it does well on data it
has not seen; if not, that is overfitting, and the fixes are about generalization (early
stopping, regularization, dropout, more data). :func:`diagnose` walks this flowchart on the
``History`` of a finished ``fit`` and says where the run stands and what to try next.

>>> verdict = diagnose({"loss": [2.1, 1.2, 0.4], "accuracy": [0.60, 0.90, 0.99],
...                     "val_loss": [2.0, 1.5, 1.3], "val_accuracy": [0.55, 0.80, 0.82]})
>>> verdict.verdict
'overfitting'
>>> verdict.advice[0].startswith("early stopping")
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The verdicts, in the order the flowchart reaches them.
DIVERGED = "diverged"
POOR_TRAINING = "poor_training"
NO_VALIDATION = "no_validation"
OVERFITTING = "overfitting"
GOOD = "good"

#: History keys recognised as accuracy, in the order they are looked for.
ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "binary_accuracy",
)

#: The course's fixes for each problem, by a short key; the model, when known, can make a fix
#: more specific (see :func:`_specific_advice`).
_ADVICE = {
    "lower_lr": "lower the learning rate (e.g. divide it by 10), or use an adaptive one "
    "(optimizer='adam') or gradient clipping (clipnorm=1.0)",
    "more_epochs": "train for more epochs: the training score was still improving",
    "loss": "with a softmax output use loss='categorical_crossentropy' rather than 'mse': "
    "cross-entropy keeps a large gradient when the output is wrong",
    "activation": "use ReLU, leaky ReLU or Maxout rather than sigmoid in hidden layers: with "
    "sigmoid the gradient vanishes on its way to the input layers",
    "optimizer": "use an adaptive learning rate (optimizer='adam', 'rmsprop', 'adagrad') or "
    "momentum (SGD(momentum=0.9)) to get past plateaus and saddle points",
    "lr_range": "check the learning rate: too small does not move, too large does not settle",
    "early_stopping": "early stopping: EarlyStopping(monitor='val_loss', "
    "restore_best_weights=True) keeps the model of the best validation epoch",
    "regularization": "regularization: kernel_regularizer=regularizers.l2(1e-4) on the Dense "
    "layers (weight decay)",
    "dropout": "dropout: Dropout(0.5) after the hidden layers (expect training accuracy to "
    "drop and test accuracy to rise)",
    "data": "more training data, or augmented data (shifted, rotated copies: ImageDataGenerator)",
    "validation": "measure it: pass validation_split=0.1 or validation_data=(x_val, y_val) to "
    "fit, then diagnose again",
}
_FLOW = {
    DIVERGED: ("lower_lr",),
    POOR_TRAINING: ("more_epochs", "loss", "activation", "optimizer", "lr_range"),
    OVERFITTING: ("early_stopping", "regularization", "dropout", "data"),
    NO_VALIDATION: ("validation",),
    GOOD: (),
}


@dataclass(frozen=True)
class Diagnosis:
    """Where a training run stands on the course's flowchart.

    Attributes:
        verdict: ``'diverged'`` (the training loss blew up or became NaN), ``'poor_training'``
            (not good on the training data: not overfitting), ``'overfitting'`` (good on the
            training data, much worse on validation data), ``'no_validation'`` (good on the
            training data, nothing to judge generalization by) or ``'good'`` (both good).
        stage: the flowchart's question still open: ``'training'`` (good results on the
            training data?), ``'testing'`` (good results on unseen data?) or ``'done'``.
        summary: one sentence with the numbers behind the verdict.
        advice: what to try next, most specific first; empty when done.
        evidence: the numbers the verdict is based on.
    """

    verdict: str
    stage: str
    summary: str
    advice: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the run is done: good on training and on validation data."""
        return self.verdict == GOOD

    def __str__(self) -> str:
        lines = [f"{self.verdict}: {self.summary}"]
        lines += [f"  - {item}" for item in self.advice]
        return "\n".join(lines)


def diagnose(
    history: Any,
    *,
    model: Any = None,
    metric: str | None = None,
    target: float | None = None,
    max_gap: float = 0.05,
    diverge_ratio: float = 1.5,
    reference_loss: float | None = None,
    patience: int = 3,
    min_delta: float = 0.005,
) -> Diagnosis:
    """Walk the course's flowchart on a finished training run.

    1. **Diverged?** The training loss is NaN or infinite; or its last value is more than
       ``diverge_ratio`` times its lowest one (it went up); or some epoch's value is more than
       ``diverge_ratio`` times ``reference_loss``, the loss of an untrained model (it blew up,
       often to leave the network stuck at chance level afterwards). The learning rate is
       too large.
    2. **Good on training data?** The training ``metric``'s last value is worse than
       ``target``: *not* overfitting. The run is *stuck* if the metric moved less than
       ``min_delta`` over the last ``patience`` epochs, else it was still improving.
       Fixes: more epochs, cross-entropy instead of MSE with softmax, ReLU/Maxout instead of
       sigmoid, an adaptive learning rate or momentum.
    3. **Good on validation data?** The validation metric is worse than the training one by
       more than ``max_gap`` (for accuracy, a difference of fractions: 0.05 = 5 points):
       overfitting. Fixes: early stopping, regularization, dropout, more or augmented data.
       With no validation values in the history the question stays open.
    4. Otherwise: done.

    Args:
        history: the ``History`` returned by ``fit`` (anything with a ``.history`` dict), or
            the dict itself, mapping ``'loss'``, metrics and ``'val_*'`` to per-epoch values.
        model: the trained model, to make the advice specific (e.g. name the MSE loss that
            should be cross-entropy). Defaults to ``history.model`` when there is one.
        metric: the history key to judge by. Defaults to the first accuracy key found
            (``'accuracy'``, ``'acc'``, ...), else ``'loss'``. Keys with ``'loss'`` or
            ``'error'`` in their name are lower-is-better, others higher-is-better.
        target: the metric's level that counts as good on the training data. Defaults to
            ``0.95`` for an accuracy; required for other metrics.
        max_gap: how much worse validation may be than training before it is overfitting.
            Defaults to ``0.05``.
        diverge_ratio: how many times its lowest value (or ``reference_loss``) the training
            loss may reach before the run counts as diverged. Defaults to ``1.5``.
        reference_loss: the loss of an untrained model. Defaults to ``ln K`` (the
            cross-entropy of a uniform guess) when the model is known to train ``K`` classes
            with cross-entropy, else ``None`` (no blow-up check).
        patience: epochs over which a training metric that moved less than ``min_delta`` is
            stuck. Defaults to ``3``.
        min_delta: see ``patience``. Defaults to ``0.005``.

    Returns:
        A :class:`Diagnosis`; ``str()`` of it is the verdict with plain advice.

    Raises:
        ValueError: the history has no ``'loss'`` or no ``metric``, or ``target`` is needed
            and missing.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs.get("loss"):
        keys = sorted(logs) if isinstance(logs, Mapping) else type(history).__name__
        raise ValueError(
            f"diagnose needs a History (or its dict) with a non-empty 'loss' "
            f"curve. Received: {keys}"
        )
    model = model if model is not None else getattr(history, "model", None)
    metric = metric or next((k for k in ACCURACY_KEYS if k in logs), "loss")
    if metric not in logs:
        raise ValueError(
            f"The history has no {metric!r} curve. Received: metric={metric!r}, keys {sorted(logs)}"
        )
    higher_is_better = not any(word in metric for word in ("loss", "error"))
    if target is None:
        if metric not in ACCURACY_KEYS:
            raise ValueError(
                f"Pass target= (the level of {metric!r} that counts as good on "
                f"the training data). Received: metric={metric!r}, target=None"
            )
        target = 0.95
    sign = 1.0 if higher_is_better else -1.0
    loss = [float(v) for v in logs["loss"]]
    train = [float(v) for v in logs[metric]]
    val = [float(v) for v in logs.get(f"val_{metric}", [])]
    evidence: dict[str, Any] = {
        "epochs": len(loss),
        "metric": metric,
        "target": target,
        "loss_first": loss[0],
        "loss_last": loss[-1],
        "loss_min": min(loss),
        f"train_{metric}": train[-1],
        f"val_{metric}": val[-1] if val else None,
    }

    if not all(math.isfinite(v) for v in loss):
        first = next(i for i, v in enumerate(loss) if not math.isfinite(v))
        return _verdict(
            DIVERGED,
            "training",
            f"the training loss became {loss[first]} in epoch {first + 1}",
            evidence,
            model,
        )
    if loss[-1] > diverge_ratio * min(loss):
        return _verdict(
            DIVERGED,
            "training",
            f"the training loss rose to {loss[-1]:.4g}, "
            f"{loss[-1] / min(loss):.1f} times its lowest ({min(loss):.4g})",
            evidence,
            model,
        )
    if reference_loss is None and model is not None:
        reference_loss = _uniform_guess_loss(model)
    if reference_loss is not None and max(loss) > diverge_ratio * reference_loss:
        peak = loss.index(max(loss))
        return _verdict(
            DIVERGED,
            "training",
            f"the training loss blew up to {loss[peak]:.4g} "
            f"in epoch {peak + 1}, {loss[peak] / reference_loss:.3g} times the loss "
            f"of an untrained model ({reference_loss:.4g})",
            evidence,
            model,
        )

    if sign * (train[-1] - target) < 0:
        recent = train[-(patience + 1) :]
        moved = sign * (recent[-1] - recent[0])
        stuck = len(train) > patience and moved < min_delta
        evidence["stuck"] = stuck
        how = (
            f"stuck: it moved {moved:+.4g} over the last {patience} epochs"
            if stuck
            else "still improving"
        )
        return _verdict(
            POOR_TRAINING,
            "training",
            f"training {metric} is {train[-1]:.4g}, short of the target {target:g} "
            f"({how}); this is not overfitting: fix training first",
            evidence,
            model,
            skip=("more_epochs",) if stuck else (),
        )

    if not val:
        return _verdict(
            NO_VALIDATION,
            "testing",
            f"training {metric} is {train[-1]:.4g} (target {target:g} reached); "
            "the history has no validation values to judge generalization by",
            evidence,
            model,
        )
    gap = sign * (train[-1] - val[-1])
    evidence["gap"] = gap
    if "val_loss" in logs:
        val_loss = [float(v) for v in logs["val_loss"]]
        evidence["best_val_loss_epoch"] = val_loss.index(min(val_loss)) + 1
    if gap > max_gap:
        best = evidence.get("best_val_loss_epoch")
        when = (
            f"; the validation loss was lowest in epoch {best} of {len(loss)}"
            if best and best < len(loss)
            else ""
        )
        return _verdict(
            OVERFITTING,
            "testing",
            f"training {metric} {train[-1]:.4g} but validation {val[-1]:.4g}, "
            f"a gap of {gap:.4g} (more than {max_gap:g}){when}",
            evidence,
            model,
        )
    return _verdict(
        GOOD,
        "done",
        f"training {metric} {train[-1]:.4g} and validation {val[-1]:.4g}: good on both",
        evidence,
        model,
    )


def _verdict(
    verdict: str,
    stage: str,
    summary: str,
    evidence: dict[str, Any],
    model: Any,
    skip: Sequence[str] = (),
) -> Diagnosis:
    specific = _specific_advice(model) if model is not None else {}
    keys = [k for k in _FLOW[verdict] if k not in skip]
    # Fixes that the model shows to apply come first, in their specific wording.
    ordered = [k for k in keys if k in specific] + [k for k in keys if k not in specific]
    advice = tuple(specific.get(k, _ADVICE[k]) for k in ordered)
    return Diagnosis(verdict, stage, summary, advice, evidence)


def _specific_advice(model: Any) -> dict[str, str]:
    """The fixes that a look at the model shows to apply, worded for it."""
    from .. import losses

    found: dict[str, str] = {}
    layers = list(getattr(model, "layers", []))
    activations = [_activation_name(layer) for layer in layers]
    if (
        activations
        and activations[-1] == "softmax"
        and losses.function_of(getattr(model, "loss", None)) is losses.mean_squared_error
    ):
        found["loss"] = (
            "the model trains a softmax output with MSE: use "
            "loss='categorical_crossentropy', which keeps a large gradient when the "
            "output is wrong"
        )
    saturating = [a for a in activations[:-1] if a in ("sigmoid", "hard_sigmoid", "tanh")]
    if len(saturating) >= 2:
        found["activation"] = (
            f"the model has {len(saturating)} {saturating[0]} hidden layers, "
            "through which the gradient vanishes: use ReLU, leaky ReLU or "
            "Maxout"
        )
    optimizer = getattr(model, "optimizer", None)
    if type(optimizer).__name__ == "SGD" and not getattr(optimizer, "momentum", 0.0):
        found["optimizer"] = (
            "the model uses plain SGD: try an adaptive learning rate "
            "(optimizer='adam') or momentum (SGD(momentum=0.9))"
        )
    rate = getattr(optimizer, "learning_rate", None)
    if isinstance(rate, (int, float)):
        found["lower_lr"] = (
            f"the learning rate is {rate:g}: try {rate / 10:g}, or an adaptive "
            "one (optimizer='adam'), or gradient clipping (clipnorm=1.0)"
        )
    return found


def _uniform_guess_loss(model: Any) -> float | None:
    """ln K for a model that trains K > 1 classes with cross-entropy, else None."""
    from .. import losses

    if losses.function_of(getattr(model, "loss", None)) not in (
        losses.categorical_crossentropy,
        losses.sparse_categorical_crossentropy,
    ):
        return None
    units = next(
        (
            getattr(l, "units", None)
            for l in reversed(getattr(model, "layers", []))
            if getattr(l, "units", None)
        ),
        None,
    )
    return math.log(units) if units and units > 1 else None


def _activation_name(layer: Any) -> str | None:
    if type(layer).__name__ == "Softmax":
        return "softmax"
    try:
        name = layer.get_config().get("activation")
    except (AttributeError, NotImplementedError):
        return None
    return name if isinstance(name, str) else None
