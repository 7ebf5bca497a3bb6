"""scikit-learn estimators around a compiled numkeras model, as Keras 3's ``keras.wrappers``.

Each wrapper takes ``model``: a compiled model, which ``fit`` trains a fresh clone of
(``numkeras.models.clone_model``: same architecture and compile settings, new weights), or a
callable ``model(X=X, y=y, **model_kwargs)`` that builds and compiles one from the data, so that
its input and output sizes can follow them. ``fit`` validates ``X`` and ``y`` as scikit-learn
does, encodes the target (one-hot for a classifier) and calls ``model.fit(X, y, **fit_kwargs,
**kwargs)``. The wrappers work with ``clone``, ``GridSearchCV``, ``cross_val_score`` and
pipelines.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ..models import Model, clone_model


class SKLBase(BaseEstimator):
    """What the three wrappers share: building, compiling checks, fitting and predicting.

    Args:
        model: a compiled ``Model`` (cloned by each ``fit``, so the model given is never
            trained), or a callable ``model(X=X, y=y, **model_kwargs)`` returning one, where
            ``y`` is the encoded target the model is trained on.
        warm_start: if True, a second ``fit`` goes on training the model of the first rather
            than a new one. Keras 3's default: False.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``model.fit`` (``epochs``, ``batch_size``,
            ``verbose``, ...); those given to ``fit`` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: ``model.fit``'s ``History.history`` dict: each metric's value per epoch.
        n_features_in_: the number of features ``X`` had in ``fit``.
    """

    #: Whether ``y`` may have several columns (a regressor's several outputs).
    _multi_output = True

    def __init__(
        self,
        model: Model | Any,
        warm_start: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        fit_kwargs: dict[str, Any] | None = None,
    ):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # Weights start random and batches are shuffled: two fits differ.
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> SKLBase:
        # A model given as an instance is never trained (fit trains a clone of it), so the
        # clone may share it; this spares a deep copy, which a model's arrays make costly.
        return type(self)(**self.get_params(deep=False))

    def _build_model(self, X: np.ndarray, y: np.ndarray) -> Model:
        """The model to train: the last fit's (warm start), a clone, or the callable's."""
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise TypeError(
                "model must be a compiled numkeras Model or a callable returning one. "
                f"Received: model={self.model!r:.100}"
            )
        if not isinstance(model, Model):
            raise TypeError(
                f"The model callable must return a numkeras Model. Received: {type(model).__name__}"
            )
        if not (model.compiled and model.loss is not None and model.optimizer is not None):
            raise RuntimeError(
                "The model must be compiled with a loss and an optimizer before it is "
                f"wrapped: call model.compile(loss=..., optimizer=...). Model: '{model.name}'"
            )
        return model

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SKLBase:
        """Train the model on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or
        (n_samples, n_outputs); ``kwargs`` go to ``model.fit`` after ``fit_kwargs``."""
        X, y = validate_data(self, X, y, reset=True, multi_output=self._multi_output)
        target = self._encode_target(y)
        model = self._build_model(X, target)
        history = model.fit(X, target, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        self.history_ = history.history
        return self

    @property
    def epoch_(self) -> int:
        """The number of epochs the last ``fit`` ran (0 before any)."""
        values = next(iter(getattr(self, "history_", {}).values()), [])
        return len(values)

    def _raw_predict(self, X: Any) -> np.ndarray:
        """The fitted model's outputs for ``X``, validated as in ``fit``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def _encode_target(self, y: np.ndarray) -> np.ndarray:
        """The target as the model is trained on it: a column per output, (n, 1) for 1-D
        ``y``. Remembers ``y``'s rank so that ``predict`` gives it back."""
        type_of_target(y, input_name="y", raise_unknown=True)
        self._target_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions for ``X``, with the rank ``y`` had in ``fit``."""
        output = self._raw_predict(X)
        if self._target_ndim == 1 and output.ndim == 2 and output.shape[1] == 1:
            return output[:, 0]
        return output


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A classifier from a compiled model, as Keras 3's ``keras.wrappers.SKLearnClassifier``.

    The labels (any values scikit-learn calls binary or multiclass: ints, strings, ...) are
    one-hot encoded in sorted order (``classes_``), so the model has one output unit per class,
    softmax usually, trained with ``categorical_crossentropy``. ``predict`` gives the class of
    the largest output; ``predict_proba`` and ``decision_function`` the outputs themselves
    (probabilities when the last activation is softmax). ``score`` is the accuracy. Arguments
    and attributes are :class:`SKLBase`'s, and ``classes_``.

    Example::

        def build(X, y, hidden=16):
            inputs = Input(shape=(X.shape[1],))
            h = Dense(hidden, activation='relu')(inputs)
            model = Model(inputs, Dense(y.shape[1], activation='softmax')(h))
            model.compile(loss='categorical_crossentropy', optimizer='adam')
            return model

        clf = SKLearnClassifier(build, model_kwargs={'hidden': 32}, fit_kwargs={'epochs': 20})
        cross_val_score(clf, X, y, cv=3)
    """

    _multi_output = False

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # A few epochs on sklearn's tiny check sets need not reach its accuracy bar.
        tags.classifier_tags.poor_score = True
        return tags

    def _encode_target(self, y: np.ndarray) -> np.ndarray:
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"SKLearnClassifier supports binary and multiclass targets only. Received a "
                f"target of type {kind!r}."
            )
        encoder = OneHotEncoder(sparse_output=False, dtype=np.float32)
        onehot = encoder.fit_transform(np.asarray(y).reshape(-1, 1))
        self.classes_ = encoder.categories_[0]
        if len(self.classes_) < 2:
            raise ValueError(
                "SKLearnClassifier cannot train with only one class in y. Received the class: "
                f"{self.classes_[0]!r}"
            )
        return onehot

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs for ``X``, one column per class of ``classes_``."""
        return self._raw_predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``, one column per class of ``classes_``: the class
        probabilities when the model ends in softmax (numkeras's addition to Keras 3)."""
        return self._raw_predict(X)

    def predict(self, X: Any) -> np.ndarray:
        """The class of ``classes_`` whose output is largest, for each sample of ``X``."""
        outputs = self._raw_predict(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(outputs, axis=1)]


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A regressor from a compiled model, as Keras 3's ``keras.wrappers.SKLearnRegressor``.

    The target is given to the model as it is, a 1-D ``y`` as one column, and ``predict``
    returns the shape ``y`` had. ``score`` is R². Arguments and attributes are
    :class:`SKLBase`'s.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions for ``X`` in float64, as scikit-learn's regressors give
        (exact: every float32 is a float64), with the shape ``y`` had in ``fit``."""
        return super().predict(X).astype(np.float64)


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A transformer from a compiled model, as Keras 3's ``keras.wrappers.SKLearnTransformer``:
    ``fit`` trains the model on ``(X, y)`` as :class:`SKLearnRegressor` does, and
    ``transform(X)`` is the model's output (an embedding, say), for a pipeline's next step.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # The output is the model's float32, whatever X's dtype.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def transform(self, X: Any) -> np.ndarray:
        """The fitted model's outputs for ``X``."""
        return self._raw_predict(X)
