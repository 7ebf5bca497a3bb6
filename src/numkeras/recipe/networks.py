"""The course's networks, built and compiled in one call."""

from __future__ import annotations

from typing import Any

from .. import optimizers
from ..layers import Activation, Dense, Dropout
from ..models import Sequential


def course_mlp(
    activation: str = "relu",
    loss: str = "categorical_crossentropy",
    optimizer: str = "adam",
    learning_rate: float | None = None,
    dropout: float = 0.2,
    hidden: tuple[int, ...] = (500, 500),
    input_dim: int = 28 * 28,
    classes: int = 10,
) -> Sequential:
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
    return compile_course_style(model, loss, optimizer, learning_rate)


#: The hidden units ``deep_mlp`` can use, by name; Maxout replaces the Dense layer itself.
DEEP_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "maxout")


def deep_mlp(
    activation: str = "sigmoid",
    depth: int = 8,
    width: int = 64,
    optimizer: Any = "sgd",
    learning_rate: float | None = None,
    pieces: int = 2,
    input_dim: int = 28 * 28,
    classes: int = 10,
) -> Sequential:
    """The course's deep network for the vanishing-gradient demo, compiled with cross-entropy.

    ``depth`` hidden layers of ``width`` units, then a 10-way softmax. ``activation`` is one of
    :data:`DEEP_ACTIVATIONS`: ``'sigmoid'``, ``'tanh'`` and ``'relu'`` follow each Dense layer;
    ``'leaky_relu'`` is ``LeakyReLU(negative_slope=0.01)``, the course's ``a = 0.01 z``;
    ``'prelu'`` learns that slope per unit (``PReLU``); ``'maxout'`` replaces each Dense layer
    by ``Maxout(width, pieces)`` (the course's groups of 2). ``learning_rate`` defaults as in
    :func:`course_mlp` (0.1 for plain SGD).
    """
    from ..layers import LeakyReLU, Maxout, PReLU

    if activation not in DEEP_ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {DEEP_ACTIVATIONS}. Received: activation={activation!r}"
        )
    model = Sequential()
    for i in range(depth):
        shape = {"input_shape": (input_dim,)} if i == 0 else {}
        if activation == "maxout":
            model.add(Maxout(width, pieces=pieces, **shape))
            continue
        model.add(Dense(width, **shape))
        model.add(
            {"leaky_relu": lambda: LeakyReLU(negative_slope=0.01), "prelu": PReLU}.get(
                activation, lambda: Activation(activation)
            )()
        )
    model.add(Dense(classes))
    model.add(Activation("softmax"))
    return compile_course_style(model, "categorical_crossentropy", optimizer, learning_rate)


def compile_course_style(
    model: Sequential, loss: str, optimizer: Any, learning_rate: Any = None
) -> Sequential:
    """Compile ``model`` with ``loss``, ``optimizer`` and accuracy, as the course's networks are.

    ``learning_rate`` (a float or a schedule) defaults to the optimizer's Keras default,
    except plain SGD named ``'sgd'``, which gets the slides' 0.1.
    """
    if learning_rate is None and optimizer == "sgd":
        learning_rate = 0.1
    opt = optimizers.get(optimizer)
    if learning_rate is not None:
        opt.learning_rate = learning_rate
    model.compile(loss=loss, optimizer=opt, metrics=["accuracy"])
    return model
