"""What the recipe's experiments produce: plain data, written to the report and to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Run:
    """One setting of an experiment, trained and measured.

    Attributes:
        setting: the setting's name as the table shows it, e.g. ``"cross-entropy"``.
        code: the switch that makes this setting, as a user writes it.
        train_accuracy: accuracy on the training samples, evaluated after training (no
            dropout, no augmentation), as the course's ``model.evaluate(x_train, y_train)``.
        test_accuracy: accuracy on the test set, evaluated after training.
        test_loss: the loss on the test set.
        seconds: wall time of ``fit``, validation included.
        seconds_per_epoch: training time per epoch, validation excluded.
        epochs: epochs run (fewer than asked when early stopping stopped the run).
        diagnosis: :func:`numkeras.recipe.diagnose`'s verdict on the run's history.
        history: ``History.history``: per-epoch ``loss``, ``accuracy``, ``val_*``.
    """

    setting: str
    code: str
    train_accuracy: float
    test_accuracy: float
    test_loss: float
    seconds: float
    seconds_per_epoch: float
    epochs: int
    diagnosis: str
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Training accuracy minus test accuracy: how much the run overfits."""
        return self.train_accuracy - self.test_accuracy


@dataclass
class Claim:
    """One claim of the course, checked against the numbers of an experiment.

    Attributes:
        text: the claim, e.g. ``"cross-entropy reaches a higher training accuracy than MSE"``.
        reproduced: whether the numbers bear it out.
        evidence: the numbers compared, e.g. ``"0.912 vs 0.114"``.
        setting: the setting (table row) the claim is about, if one.
    """

    text: str
    reproduced: bool
    evidence: str
    setting: str | None = None


@dataclass
class ExperimentResult:
    """One experiment: the course's tip, its "before" and "after" runs, and the claims checked."""

    name: str
    title: str
    course_says: str
    setup: str
    runs: list[Run] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Extra per-run data the figures need (e.g. gradient-flow records), by setting.
    extras: dict[str, Any] = field(default_factory=dict)

    def run(self, setting: str) -> Run:
        """The run of ``setting``."""
        for run in self.runs:
            if run.setting == setting:
                return run
        raise KeyError(
            f"Experiment {self.name!r} has no setting {setting!r}; it has "
            f"{[r.setting for r in self.runs]}"
        )


@dataclass
class RecipeResults:
    """Everything one ``numkeras recipe`` run produced."""

    seed: int
    quick: bool
    data_source: str
    is_sample: bool
    scale: dict[str, Any]
    experiments: list[ExperimentResult] = field(default_factory=list)
    seconds: float = 0.0
    machine: dict[str, Any] = field(default_factory=dict)

    @property
    def claims(self) -> list[tuple[str, Claim]]:
        """Every claim checked, with the name of its experiment."""
        return [(e.name, c) for e in self.experiments for c in e.claims]

    def to_dict(self) -> dict[str, Any]:
        """The results as JSON-ready data."""
        return asdict(self)
