"""The course's Recipe of Deep Learning as experiments on MNIST, each tip "before" against "after".

The first half of the recipe gets good results on the *training* data: a better loss
(:func:`loss`), mini-batches (:func:`batch`) that are shuffled (:func:`shuffle`), a new
activation function (:func:`activation`), a good learning rate (:func:`learning_rate`) and an
adaptive optimizer (:func:`optimizer`). The second half gets good results on the *testing* data
once training is good: early stopping, regularization and dropout (:func:`overfitting`), and
more data made by augmentation (:func:`augmentation`).

Each experiment trains a few settings that differ by one switch, then checks the course's
claims against the numbers: a claim is "reproduced" when the numbers bear it out, computed here,
never written in by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import optimizers, regularizers, schedules
from ..callbacks import EarlyStopping
from ..layers import Activation, Dense, Dropout, Flatten
from ..layers.dropconnect import DropConnect
from ..models import Sequential
from .dropout import AnnealedDropout
from .gradient_flow import GradientFlow
from .lab import Lab
from .networks import compile_course_style, course_mlp, deep_mlp
from .results import Claim, ExperimentResult, Run


@dataclass(frozen=True)
class Experiment:
    """One experiment: its name (for ``--only``), what the course says, and the code."""

    name: str
    title: str
    course_says: str
    body: Callable[[Lab, ExperimentResult], None]

    def __call__(self, lab: Lab) -> ExperimentResult:
        result = ExperimentResult(self.name, self.title, self.course_says, setup="")
        self.body(lab, result)
        return result


#: The experiments in the course's order, by name.
EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, title: str, course_says: str) -> Callable:
    """Register the decorated ``body(lab, result)`` as the experiment ``name``."""

    def register(body: Callable[[Lab, ExperimentResult], None]) -> Callable:
        EXPERIMENTS[name] = Experiment(name, title, course_says, body)
        return body

    return register


def better(
    text: str, after: Run, before: Run, attribute: str = "train_accuracy", lower: bool = False
) -> Claim:
    """The claim that ``after`` beats ``before`` on ``attribute`` (higher, or ``lower``)."""
    a, b = getattr(after, attribute), getattr(before, attribute)
    holds = a < b if lower else a > b
    label = attribute.replace("_", " ")
    return Claim(text, bool(holds), f"{label} {a:.3f} vs {b:.3f}", setting=after.setting)


def _network(scale_hidden: tuple[int, ...]) -> str:
    return "784-" + "-".join(map(str, scale_hidden)) + "-10"


def _digits(x: Any) -> str:
    return f"{len(x):,} training digits"


# -- the first half: good results on the training data ------------------------------------------
@experiment(
    "loss",
    "Cross-entropy instead of mean squared error",
    "With a softmax output, the total loss of MSE is flat far from the target, so "
    "gradient descent barely moves; cross-entropy keeps a steep slope there. Use "
    "categorical_crossentropy.",
)
def loss(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"The course's first network: {_network(s.hidden)} with sigmoid hidden "
        f"units and a softmax output, SGD (learning rate 0.1), batch "
        f"{s.batch_size}, {s.epochs} epochs, {_digits(lab.x_train)}."
    )
    for setting, name in (("MSE", "mse"), ("cross-entropy", "categorical_crossentropy")):
        build = functools.partial(
            course_mlp, activation="sigmoid", loss=name, optimizer="sgd", hidden=s.hidden, dropout=0
        )
        result.runs.append(
            lab.train(setting, f"loss='{name}'", build, lab.x_train, lab.y_train, epochs=s.epochs)
        )
    mse, ce = result.runs
    result.claims.append(better("cross-entropy trains better than MSE", ce, mse))


@experiment(
    "batch",
    "Mini-batches instead of the full batch",
    "Update after every mini-batch of 100: an epoch then makes many updates instead of "
    "one, so at the same number of epochs it learns much more, while a larger batch "
    "makes each epoch faster through parallel computation. A very large batch "
    "performs worse.",
)
def batch(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    n = len(lab.x_train)
    result.setup = (
        f"{_network(s.hidden)} ReLU network, softmax with cross-entropy, SGD "
        f"(learning rate 0.1), {s.epochs} epochs, {_digits(lab.x_train)}."
    )
    build = functools.partial(course_mlp, optimizer="sgd", hidden=s.hidden, dropout=0)
    for setting, size in ((f"mini-batch ({s.batch_size})", s.batch_size), (f"full batch ({n})", n)):
        result.runs.append(
            lab.train(
                setting,
                f"batch_size={size}",
                build,
                lab.x_train,
                lab.y_train,
                epochs=s.epochs,
                batch_size=size,
            )
        )
    mini, full = result.runs
    result.claims.append(better("mini-batches learn more at the same number of epochs", mini, full))
    result.claims.append(
        better(
            "a full-batch epoch is faster than an epoch of mini-batches",
            full,
            mini,
            "seconds_per_epoch",
            lower=True,
        )
    )


@experiment(
    "shuffle",
    "Shuffle the training data every epoch",
    "Keras shuffles the training examples for each epoch (shuffle=True, the default). "
    "On data sorted by class, batches that each hold one digit pull the network back "
    "and forth; shuffled batches each show every class.",
)
def shuffle(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"The training digits sorted by class (all 0s, then all 1s, ...); "
        f"{_network(s.hidden)} ReLU network, cross-entropy, SGD (learning rate "
        f"0.1), batch {s.batch_size}, {s.epochs} epochs, {_digits(lab.x_train)}."
    )
    order = lab.labels_train.argsort(kind="stable")
    x, y = lab.x_train[order], lab.y_train[order]
    build = functools.partial(course_mlp, optimizer="sgd", hidden=s.hidden, dropout=0)
    for setting, flag in (("not shuffled", False), ("shuffled every epoch", True)):
        result.runs.append(
            lab.train(setting, f"shuffle={flag}", build, x, y, epochs=s.epochs, shuffle=flag)
        )
    fixed, shuffled = result.runs
    result.claims.append(
        better("shuffling every epoch trains better on class-sorted data", shuffled, fixed)
    )


@experiment(
    "activation",
    "ReLU and its relatives instead of sigmoid in a deep network",
    "Deeper is not always better: with sigmoid units the gradient shrinks on its way "
    "back, so the layers near the input learn very slowly and stay almost random while "
    "the layers near the output converge (the vanishing gradient). ReLU, leaky ReLU, "
    "parametric ReLU and Maxout pass the gradient through unshrunk.",
)
def activation(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"A deep network: {s.deep_depth} hidden layers of {s.deep_width} units "
        f"(Maxout: {s.deep_width} units of 2 pieces), softmax with cross-entropy, "
        f"SGD (learning rate 0.1), batch {s.batch_size}, {s.deep_epochs} epochs, "
        f"{_digits(lab.x_train)}. The GradientFlow callback records each layer's "
        f"mean |gradient| and mean |weight update| per epoch."
    )
    flows = {}
    for setting, name, code in (
        ("sigmoid", "sigmoid", "Activation('sigmoid')"),
        ("ReLU", "relu", "Activation('relu')"),
        ("leaky ReLU", "leaky_relu", "LeakyReLU(negative_slope=0.01)"),
        ("PReLU", "prelu", "PReLU()"),
        ("Maxout", "maxout", "Maxout(units, pieces=2)"),
    ):
        build = functools.partial(deep_mlp, activation=name, depth=s.deep_depth, width=s.deep_width)
        # Only the layers with units (Dense, Maxout): PReLU's slopes are not a layer of depth.
        flow = _UnitLayersFlow()
        result.runs.append(
            lab.train(
                setting,
                code,
                build,
                lab.x_train,
                lab.y_train,
                epochs=s.deep_epochs,
                callbacks=[flow],
            )
        )
        flows[setting] = flow.history
    result.extras["gradient_flow"] = flows
    sigmoid_run = result.runs[0]
    for run in result.runs[1:]:
        result.claims.append(
            better(f"{run.setting} trains the deep network better than sigmoid", run, sigmoid_run)
        )
    ratios = {setting: _input_to_output_ratio(flow) for setting, flow in flows.items()}
    result.claims.append(
        Claim(
            "with sigmoid the layers near the input get the smallest gradients, far smaller than "
            "with ReLU (first-epoch mean |gradient| of the first layer over the last)",
            ratios["sigmoid"] < 1 and ratios["sigmoid"] < ratios["ReLU"],
            f"first/last layer {ratios['sigmoid']:.2g} (sigmoid) vs {ratios['ReLU']:.2g} (ReLU)",
        )
    )


class _UnitLayersFlow(GradientFlow):
    """GradientFlow over the layers that have units (Dense, Maxout), chosen once the model is
    known."""

    def on_train_begin(self, logs: Any = None) -> None:
        self.layers = [l.name for l in self.model.layers if hasattr(l, "units")]
        super().on_train_begin(logs)


def _input_to_output_ratio(flow: dict[str, dict[str, list[float]]]) -> float:
    first_epoch = [values[0] for values in flow["gradient"].values()]
    return first_epoch[0] / first_epoch[-1]


@experiment(
    "learning_rate",
    "A learning rate that is neither too large nor too small",
    "Too large a learning rate makes the loss jump up or blow up, too small a one makes "
    "it crawl; set it carefully. Better still, decay it: large at first, far from the "
    "minimum, smaller later, e.g. 1/t decay, eta_t = eta / sqrt(t + 1).",
)
def learning_rate(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"{_network(s.hidden)} ReLU network, cross-entropy, SGD at different "
        f"learning rates, batch {s.batch_size}, {s.epochs} epochs, "
        f"{_digits(lab.x_train)}. The 1/t decay starts at the too-large rate and "
        f"counts t in updates (InverseSqrtDecay)."
    )
    large, small, right = 3.0, 0.001, 0.1
    for setting, rate, code in (
        (f"too large ({large:g})", large, f"SGD(learning_rate={large:g})"),
        (f"too small ({small:g})", small, f"SGD(learning_rate={small:g})"),
        (f"about right ({right:g})", right, f"SGD(learning_rate={right:g})"),
        (
            f"1/t decay from {large:g}",
            schedules.InverseSqrtDecay(large),
            f"SGD(learning_rate=InverseSqrtDecay({large:g}))",
        ),
    ):
        build = functools.partial(
            course_mlp, optimizer="sgd", learning_rate=rate, hidden=s.hidden, dropout=0
        )
        result.runs.append(
            lab.train(setting, code, build, lab.x_train, lab.y_train, epochs=s.epochs)
        )
    too_large, too_small, about_right, decayed = result.runs
    result.claims += [
        better("a well-chosen learning rate beats one that is too large", about_right, too_large),
        better("a well-chosen learning rate beats one that is too small", about_right, too_small),
        better("1/t decay makes the too-large starting rate train", decayed, too_large),
    ]


@experiment(
    "optimizer",
    "Adaptive learning rates and momentum",
    "Plain gradient descent gets stuck on plateaus and crawls; momentum keeps it "
    "moving, and adaptive learning rates (Adagrad, RMSprop, Adadelta, Adam, Nadam) give "
    "each parameter its own step. Adam = RMSprop + momentum.",
)
def optimizer(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"{_network(s.hidden)} ReLU network, cross-entropy, batch {s.batch_size}, "
        f"{s.epochs} epochs, {_digits(lab.x_train)}; every optimizer at its "
        "Keras 3 defaults, as compile(optimizer='adam') gives it (SGD: learning "
        "rate 0.01; Adagrad, RMSprop, Adadelta, Adam, Nadam: 0.001)."
    )
    for setting, opt, code in (
        ("SGD", optimizers.SGD(), "optimizer='sgd'"),
        ("SGD with momentum", optimizers.SGD(momentum=0.9), "SGD(momentum=0.9)"),
        ("Adagrad", optimizers.Adagrad(), "optimizer='adagrad'"),
        ("RMSprop", optimizers.RMSprop(), "optimizer='rmsprop'"),
        ("Adadelta", optimizers.Adadelta(), "optimizer='adadelta'"),
        ("Adam", optimizers.Adam(), "optimizer='adam'"),
        ("Nadam", optimizers.Nadam(), "optimizer='nadam'"),
    ):
        build = functools.partial(course_mlp, optimizer=opt, hidden=s.hidden, dropout=0)
        result.runs.append(
            lab.train(setting, code, build, lab.x_train, lab.y_train, epochs=s.epochs)
        )
    sgd = result.run("SGD")
    result.claims += [
        better("Adam beats plain SGD at the same number of epochs", result.run("Adam"), sgd),
        better("momentum beats plain SGD", result.run("SGD with momentum"), sgd),
    ]
    result.notes.append(
        "Keras 3's default learning rate of Adagrad and Adadelta is 0.001; "
        "Keras 1's was 0.01 and 1.0. At 0.001 both move slowly, which the "
        "table shows as it is."
    )


# -- the second half: good results on the testing data ------------------------------------------
def _mlp(
    hidden: tuple[int, ...],
    *,
    dropout: float = 0.0,
    dropconnect: float = 0.0,
    regularizer: Any = None,
    images: bool = False,
) -> Sequential:
    """A ReLU network with a softmax output, compiled with cross-entropy and Adam.

    ``dropout`` adds a Dropout layer after each hidden layer; ``dropconnect`` makes the hidden
    layers DropConnect layers of that rate; ``images`` takes 28x28x1 images (Flatten first).
    """
    model = Sequential([Flatten(input_shape=(28, 28, 1))] if images else [])
    for i, units in enumerate(hidden):
        first = {"input_shape": (28 * 28,)} if i == 0 and not images else {}
        if dropconnect:
            first["rate"] = dropconnect
        layer = DropConnect if dropconnect else Dense
        model.add(layer(units, kernel_regularizer=regularizer, **first))
        model.add(Activation("relu"))
        if dropout:
            model.add(Dropout(dropout))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return compile_course_style(model, "categorical_crossentropy", "adam")


@experiment(
    "overfitting",
    "Early stopping, regularization and dropout against overfitting",
    "When training is good but testing is not, the network overfits. Stop at the epoch "
    "where the validation loss is lowest (early stopping), keep the weights small "
    "(L2 regularization, weight decay), or drop out units while training (dropout): "
    "training gets worse, testing better, the gap narrows. The course's demo uses "
    "dropout 0.8; DropConnect drops weights instead of units, annealed dropout lowers "
    "the rate as training goes.",
)
def overfitting(lab: Lab, result: ExperimentResult) -> None:
    s = lab.scale
    result.setup = (
        f"A setting that overfits: {_digits(lab.x_small)} and a wide "
        f"{_network(s.wide)} ReLU network, cross-entropy, Adam, batch "
        f"{s.batch_size}, {s.overfit_epochs} epochs. Early stopping watches the "
        f"loss on {len(lab.x_val):,} held-out validation digits (patience 3, best "
        "weights restored); the test digits are never used to choose anything."
    )
    x, y = lab.x_small, lab.y_small
    settings = [
        ("no regularization", "", {}, {}),
        (
            "early stopping",
            "EarlyStopping(patience=3, restore_best_weights=True)",
            {},
            {
                "callbacks": [EarlyStopping(patience=3, restore_best_weights=True)],
                "validation_data": (lab.x_val, lab.y_val),
            },
        ),
        ("L2 (1e-3)", "kernel_regularizer=l2(1e-3)", {"regularizer": regularizers.L2(1e-3)}, {}),
        ("dropout 0.5", "Dropout(0.5)", {"dropout": 0.5}, {}),
        ("dropout 0.8 (course's demo)", "Dropout(0.8)", {"dropout": 0.8}, {}),
        ("DropConnect 0.5", "DropConnect(units, rate=0.5)", {"dropconnect": 0.5}, {}),
        (
            "annealed dropout 0.5 to 0",
            f"Dropout(0.5), AnnealedDropout({s.overfit_epochs - 1})",
            {"dropout": 0.5},
            {"callbacks": [AnnealedDropout(final_epoch=s.overfit_epochs - 1)]},
        ),
    ]
    for setting, code, net, fit in settings:
        build = functools.partial(_mlp, s.wide, **net)
        result.runs.append(lab.train(setting, code, build, x, y, epochs=s.overfit_epochs, **fit))
    base = result.runs[0]
    for run in result.runs[1:]:
        if run.setting == "early stopping":
            result.claims.append(
                better("early stopping gives a lower test loss", run, base, "test_loss", lower=True)
            )
        else:
            result.claims.append(
                better(f"{run.setting} narrows the train-test gap", run, base, "gap", lower=True)
            )
    result.claims.append(
        better("dropout raises test accuracy", result.run("dropout 0.5"), base, "test_accuracy")
    )
    result.notes.append(
        "The early-stopping run's curves show the held-out validation digits; "
        "the other runs' show test digits."
    )


@experiment(
    "augmentation",
    "More data by augmentation",
    "More training data is the surest way to generalize better, and new data can be "
    "made from the data at hand: shifted and slightly rotated (up to 15 degrees) "
    "copies of the digits are still the same digits.",
)
def augmentation(lab: Lab, result: ExperimentResult) -> None:
    from ..preprocessing import ImageDataGenerator

    s = lab.scale
    result.setup = (
        f"{_digits(lab.x_small)} and a {_network(s.hidden)} ReLU network, "
        f"cross-entropy, Adam, batch {s.batch_size}, {s.overfit_epochs} epochs; "
        "the augmented run sees a new random shift (up to 10% of the width and "
        "height) and rotation (up to 15 degrees) of every digit in every epoch."
    )
    images, y = lab.images(lab.x_small), lab.y_small
    curve = (lab.images(lab.curve_data[0]), lab.curve_data[1])
    test = (lab.images(lab.x_test), lab.y_test)
    build = functools.partial(_mlp, s.hidden, images=True)
    result.runs.append(_train_images(lab, "no augmentation", "", build, images, y, curve, test))
    generator = ImageDataGenerator(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1)
    result.runs.append(
        _train_images(
            lab,
            "shift and rotation",
            "ImageDataGenerator(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1)",
            build,
            images,
            y,
            curve,
            test,
            generator=generator,
        )
    )
    plain, augmented = result.runs
    result.claims.append(
        better("augmentation raises test accuracy", augmented, plain, "test_accuracy")
    )


def _train_images(
    lab: Lab,
    setting: str,
    code: str,
    build: Callable[[], Any],
    images: Any,
    y: Any,
    curve: Any,
    test: Any,
    generator: Any = None,
) -> Run:
    s = lab.scale
    fit: dict[str, Any] = {}
    if generator is not None:
        steps = -(-len(images) // s.batch_size)
        fit = {
            "fit_data": generator.flow(images, y, batch_size=s.batch_size, seed=lab.seed),
            "steps_per_epoch": steps,
        }
    return lab.train(
        setting,
        code,
        build,
        images,
        y,
        epochs=s.overfit_epochs,
        validation_data=curve,
        test_data=test,
        **fit,
    )
