"""The course's networks, built and compiled in one call."""

from __future__ import annotations

from .. import optimizers
from ..layers import Activation, Dense, Dropout
from ..models import Sequential


def course_mlp(activation: str = "relu", loss: str = "categorical_crossentropy",
               optimizer: str = "adam", learning_rate: float | None = None,
               dropout: float = 0.2, hidden: tuple[int, ...] = (500, 500),
               input_dim: int = 28 * 28, classes: int = 10) -> Sequential:
    """The course's MNIST network, 784-500-500-10 with a softmax output, compiled.

    ``activation``, ``loss``, ``optimizer`` and ``dropout`` (after each hidden layer; 0 for
    none) are the knobs that the course's Recipe of Deep Learning turns. ``learning_rate``
    defaults to the optimizer's Keras default, except plain SGD, which gets the slides' 0.1.
    """
    model = Sequential()
    for i, units in enumerate(hidden):
        model.add(Dense(units, input_shape=(input_dim,)) if i == 0 else Dense(units))
        model.add(Activation(activation))
        if dropout:
            model.add(Dropout(dropout))
    model.add(Dense(classes))
    model.add(Activation("softmax"))
    if learning_rate is None and optimizer == "sgd":
        learning_rate = 0.1
    opt = optimizers.get(optimizer)
    if learning_rate is not None:
        opt.learning_rate = learning_rate
    model.compile(loss=loss, optimizer=opt, metrics=["accuracy"])
    return model
