"""W4: a fresh process that runs the W1 script until its first training step ends.

    python benchmarks/startup.py

Prints the wall-clock time (``time.time()``) at which each phase ends: numkeras imported,
Fashion-MNIST loaded, model built and compiled, first step done; then exits at once. ``run.py``
subtracts the moment it started the process. Nothing is imported before the clock starts that
the W1 script would not import itself.
"""

import time

import numkeras  # noqa: F401  (the phase being timed)

marks = {"import": time.time()}

import json  # noqa: E402
import os  # noqa: E402

from common import fashion_mnist  # noqa: E402

from numkeras.callbacks import LambdaCallback  # noqa: E402
from numkeras.layers import Activation, Dense  # noqa: E402
from numkeras.models import Sequential  # noqa: E402

data = fashion_mnist()
marks["data"] = time.time()
model = Sequential()
model.add(Dense(500, input_shape=(784,)))
model.add(Activation("relu"))
model.add(Dense(500))
model.add(Activation("relu"))
model.add(Dense(10))
model.add(Activation("softmax"))
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
marks["compile"] = time.time()


def first_step_done(batch: int, logs: dict) -> None:
    marks["first_step"] = time.time()
    print("RESULT " + json.dumps(marks), flush=True)
    os._exit(0)


model.fit(
    data["x_train"],
    data["t_train"],
    batch_size=100,
    epochs=1,
    verbose=0,
    callbacks=[LambdaCallback(on_train_batch_end=first_step_done)],
)
