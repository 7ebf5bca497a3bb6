"""The workbench the recipe's experiments share: the data, the sizes, and one way to train.

Every run of every experiment goes through :meth:`Lab.train`, so all runs are measured alike:
the random stream is reseeded before the model is built (two settings of one experiment start
from the same weights and see the same batches), training time per epoch excludes validation,
accuracies are evaluated after training on the training samples and on the whole test set, and
:func:`~numkeras.recipe.diagnose` gives its verdict on every history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import backend
from ..callbacks import Callback, Logs
from ..utils import to_categorical
from .diagnose import diagnose
from .results import Run


@dataclass(frozen=True)
class Scale:
    """How big the experiments are.

    Attributes:
        train_size: training digits for the experiments on optimization (None: all).
        epochs: their epochs.
        hidden: their hidden layers (the course's network is ``(500, 500)``).
        deep_depth, deep_width: the deep network of the activation experiment.
        deep_epochs: its epochs.
        small_train: training digits for the overfitting and augmentation experiments.
        wide: the wide hidden layers of the overfitting experiment.
        overfit_epochs: epochs of the overfitting and augmentation experiments.
        validation_size: held-out digits that early stopping watches.
        curve_test: test digits evaluated after every epoch for the learning curves (None:
            all); final accuracies always use the whole test set.
        batch_size: the mini-batch size, the course's 100.
    """

    train_size: int | None
    epochs: int
    hidden: tuple[int, ...]
    deep_depth: int
    deep_width: int
    deep_epochs: int
    small_train: int
    wide: tuple[int, ...]
    overfit_epochs: int
    validation_size: int
    curve_test: int | None
    batch_size: int = 100


#: ``--quick``: the packaged sample in a few minutes on two cores.
QUICK = Scale(
    train_size=5000,
    epochs=10,
    hidden=(128, 128),
    deep_depth=8,
    deep_width=64,
    deep_epochs=10,
    small_train=1000,
    wide=(512, 512),
    overfit_epochs=30,
    validation_size=1000,
    curve_test=2000,
)
#: The course's sizes: its 784-500-500-10 network, all the training data, 20 epochs.
FULL = Scale(
    train_size=None,
    epochs=20,
    hidden=(500, 500),
    deep_depth=8,
    deep_width=128,
    deep_epochs=20,
    small_train=1000,
    wide=(1000, 1000),
    overfit_epochs=50,
    validation_size=5000,
    curve_test=None,
)


class EpochTimer(Callback):
    """Training seconds of each epoch, from its first step to its validation (excluded)."""

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()
        self._stop: float | None = None

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if self._stop is None:
            self._stop = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.seconds.append((self._stop or time.perf_counter()) - self._start)


class Lab:
    """MNIST prepared for the experiments, and :meth:`train` to run one setting.

    The training pool is shuffled once with ``seed``; the experiments on optimization use its
    first ``scale.train_size`` digits, the overfitting and augmentation experiments its first
    ``scale.small_train``, and early stopping watches its last ``scale.validation_size``
    (never trained on in those experiments). Images are scaled to [0, 1] floats: ``x_*`` are
    flat (784 values), ``images_*`` 28x28x1; ``y_*`` are one-hot.
    """

    def __init__(
        self, data: Any, scale: Scale, seed: int, log: Callable[[str], None] = lambda line: None
    ):
        self.data, self.scale, self.seed, self.log = data, scale, seed, log
        (x_pool, labels_pool), (x_test, labels_test) = data.data
        order = np.random.default_rng(seed).permutation(len(x_pool))
        floatx = backend.floatx()
        pool = (x_pool[order].astype(floatx) / 255).reshape(len(x_pool), -1)
        labels = labels_pool[order].astype(np.int64)
        n = len(pool) if scale.train_size is None else min(scale.train_size, len(pool))
        small = min(scale.small_train, len(pool) - scale.validation_size)
        self.x_train, self.labels_train = pool[:n], labels[:n]
        self.x_small, self.labels_small = pool[:small], labels[:small]
        self.x_val, self.labels_val = (
            pool[-scale.validation_size :],
            labels[-scale.validation_size :],
        )
        self.x_test = (x_test.astype(floatx) / 255).reshape(len(x_test), -1)
        self.labels_test = labels_test.astype(np.int64)
        self.y_train, self.y_small, self.y_val, self.y_test = (
            to_categorical(y, 10)
            for y in (self.labels_train, self.labels_small, self.labels_val, self.labels_test)
        )
        curve = len(self.x_test) if scale.curve_test is None else scale.curve_test
        self.curve_data = (self.x_test[:curve], self.y_test[:curve])

    @staticmethod
    def images(x: np.ndarray) -> np.ndarray:
        """Flat digits as 28x28x1 images, for augmentation."""
        return x.reshape(len(x), 28, 28, 1)

    def train(
        self,
        setting: str,
        code: str,
        build: Callable[[], Any],
        x: Any,
        y: Any,
        *,
        epochs: int,
        batch_size: int | None = None,
        shuffle: bool = True,
        callbacks: Sequence[Callback] = (),
        validation_data: Any = None,
        test_data: Any = None,
        fit_data: Any = None,
        steps_per_epoch: int | None = None,
    ) -> Run:
        """Build a model with ``build()`` after reseeding, train it on ``x``, ``y``, measure it.

        ``validation_data`` defaults to the test digits of the learning curves, ``test_data``
        to the whole test set (pass both as images for a model that takes images).
        ``fit_data`` (a generator of augmented batches) replaces ``x``, ``y`` for training
        only; the training accuracy is still measured on ``x``, ``y``.
        """
        backend.set_random_seed(self.seed)
        model = build()
        timer = EpochTimer()
        start = time.perf_counter()
        history = model.fit(
            *((fit_data,) if fit_data is not None else (x, y)),
            batch_size=None if fit_data is not None else batch_size or self.scale.batch_size,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            shuffle=shuffle,
            verbose=0,
            callbacks=[*callbacks, timer],
            validation_batch_size=1000,
            validation_data=self.curve_data if validation_data is None else validation_data,
        )
        seconds = time.perf_counter() - start
        _, train_accuracy = model.evaluate(x, y, batch_size=1000, verbose=0)
        x_test, y_test = (self.x_test, self.y_test) if test_data is None else test_data
        test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
        run = Run(
            setting=setting,
            code=code,
            train_accuracy=float(train_accuracy),
            test_accuracy=float(test_accuracy),
            test_loss=float(test_loss),
            seconds=seconds,
            seconds_per_epoch=float(np.mean(timer.seconds)),
            epochs=len(history.epoch),
            diagnosis=diagnose(history).verdict,
            history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        )
        self.log(
            f"  {setting:<28} train {run.train_accuracy:.3f}  test {run.test_accuracy:.3f}"
            f"  {run.seconds:6.1f} s  {run.diagnosis}"
        )
        return run

    def describe(self) -> dict[str, Any]:
        """The sizes used, for the report."""
        return {
            **asdict(self.scale),
            "train_digits": len(self.x_train),
            "small_train_digits": len(self.x_small),
            "test_digits": len(self.x_test),
            "curve_test_digits": len(self.curve_data[0]),
        }
