"""Callbacks: objects that ``fit``, ``evaluate`` and ``predict`` call at fixed points of the loop.

Step 3 of the course (pick the best function) in practice: stop when the validation loss stops
improving (:class:`EarlyStopping`), keep the best model on disk (:class:`ModelCheckpoint`), lower
the learning rate on a plateau (:class:`ReduceLROnPlateau`), record the learning curves
(:class:`History`, :class:`CSVLogger`), anneal the dropout rates (:class:`AnnealedDropout`, the
course's Recipe of Deep Learning). Names, arguments, defaults and messages are Keras 3's.

One module per family, as Keras 3's: ``callback`` (the base class and its hooks),
``callback_list``, ``history``, ``progbar_logger``, ``monitor_callback`` (what the callbacks
that watch a logged value share), ``early_stopping``, ``model_checkpoint``,
``reduce_lr_on_plateau``, ``learning_rate_scheduler``, ``terminate_on_nan``, ``csv_logger``,
``lambda_callback`` and ``annealed_dropout``.
"""

from __future__ import annotations

from .annealed_dropout import AnnealedDropout
from .callback import Callback, Logs, state_fields
from .callback_list import CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "AnnealedDropout",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "Logs",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "state_fields",
]
