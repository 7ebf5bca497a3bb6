"""Watch the gradient flow through a network while it trains: the course's vanishing gradient.

With sigmoid units, every layer multiplies the backward signal by σ'(z) <= 1/4, so the layers
near the input get the smallest gradients and learn slowest while the layers near the output
have already converged. :class:`GradientFlow` records, for every layer and every epoch, how large
the gradients and the weight updates were, so the effect can be seen (and plotted with
:func:`numkeras.utils.plot_model_gradients`) instead of guessed.

>>> import numpy as np
>>> from numkeras.models import Sequential
>>> from numkeras.layers import Dense
>>> model = Sequential([Dense(4, activation="sigmoid", input_shape=(3,)), Dense(2)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> flow = GradientFlow()
>>> _ = model.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=2, verbose=0, callbacks=[flow])
>>> list(flow.history["gradient"]) == [layer.name for layer in model.layers]
True
>>> len(flow.history["update"][model.layers[0].name])
2
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..backend import get_array_module, to_numpy
from ..callbacks import Callback, Logs


class GradientFlow(Callback):
    """Records, per layer and per epoch, the mean absolute gradient and weight-update size.

    For a layer whose trainable arrays hold ``n`` numbers ``w`` in all (kernel and bias
    together), a measured training step contributes

    * ``gradient = Σ |∂L/∂w| / n``, the mean absolute gradient of the step's loss, and
    * ``update = Σ |w_after - w_before| / n``, the mean absolute change the optimizer made;

    an epoch's value is the mean over the steps measured in it. The update is what the layer
    actually learns per step: it is the gradient times the learning rate for plain SGD, and
    differs from it for momentum or adaptive optimizers.

    Measuring a step costs a few passes over the weights (a copy before the step, two
    reductions after it): measuring every step slows training by 10-20% (measured on the
    course's 784-500-500-10 network and on an 8-layer one), one step in ten by under 5%, which
    is the default. The first step of every epoch is always measured.

    Results are in ``history``: ``history["gradient"][layer_name]`` and
    ``history["update"][layer_name]`` list one float per epoch, layers in the order the model
    applies them (input side first). Only layers with trainable weights appear.

    Args:
        every: measure one training step out of ``every`` (counted within each epoch: steps
            0, every, 2·every, ...). Defaults to ``10``; ``1`` measures every step.
        layers: which layers to watch: a list of layer names or layer objects. Defaults to
            ``None``, every layer with trainable weights.

    The callback reads ``model.last_gradients``, which the training loop keeps after each step
    (the gradients aligned with ``model.trainable_weights``).
    """

    def __init__(self, every: int = 10, layers: Iterable[Any] | None = None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer. Received: every={every!r}")
        self.every = every
        self.layers = None if layers is None else [getattr(l, "name", l) for l in layers]
        self.history: dict[str, dict[str, list[float]]] = {"gradient": {}, "update": {}}
        self.epoch: list[int] = []

    # -- which weights belong to which layer ---------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None:
        position = {id(w): i for i, w in enumerate(self.model.trainable_weights)}
        watched = [
            l for l in self.model.layers if any(id(w) in position for w in l.trainable_weights)
        ]
        if self.layers is not None:
            by_name = {l.name: l for l in watched}
            unknown = [name for name in self.layers if name not in by_name]
            if unknown:
                raise ValueError(
                    f"GradientFlow got layers the model has no trainable weights "
                    f"in: {unknown}. Layers with trainable weights: "
                    f"{sorted(by_name)}. Received: layers={self.layers}"
                )
            watched = [by_name[name] for name in self.layers]
        self._names = [l.name for l in watched]
        self._indices = [
            [position[id(w)] for w in l.trainable_weights if id(w) in position] for l in watched
        ]
        self._sizes = [
            sum(int(self.model.trainable_weights[i].data.size) for i in idx)
            for idx in self._indices
        ]
        variables = self.model.trainable_weights
        self._xp = get_array_module(*(v.data for v in variables))
        # One scratch array per weight: it holds the weights before the step, then the
        # difference, then |gradient|, so a measured step allocates nothing.
        self._scratch = {
            i: get_array_module(variables[i].data).empty_like(variables[i].data)
            for idx in self._indices
            for i in idx
        }
        self._measuring = False
        for name in self._names:
            self.history["gradient"].setdefault(name, [])
            self.history["update"].setdefault(name, [])

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        # The sums stay on the weights' device until the epoch ends (no sync per step), in
        # float64 as Python's floats were, so the CPU's figures keep their bits.
        self._gradient_sums = self._xp.zeros(len(self._names), dtype="float64")
        self._update_sums = self._xp.zeros(len(self._names), dtype="float64")
        self._measured = 0

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._measuring = batch % self.every == 0
        if self._measuring:
            variables = self.model.trainable_weights
            for i, scratch in self._scratch.items():
                scratch[...] = variables[i].data

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._measuring:
            return
        gradients = getattr(self.model, "last_gradients", None)
        if gradients is None:
            raise RuntimeError(
                "GradientFlow needs model.last_gradients, the gradients of the "
                "last training step, which this model's training loop does "
                "not keep."
            )
        variables = self.model.trainable_weights
        for k, idx in enumerate(self._indices):
            for i in idx:
                scratch = self._scratch[i]
                xp = get_array_module(scratch)
                xp.subtract(variables[i].data, scratch, out=scratch)
                xp.abs(scratch, out=scratch)
                self._update_sums[k] += scratch.sum()
                xp.abs(gradients[i], out=scratch)
                self._gradient_sums[k] += scratch.sum()
        self._measured += 1

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self._measured:  # the epoch was stopped before its first step
            return
        self.epoch.append(epoch)
        gradient_sums = to_numpy(self._gradient_sums).tolist()
        update_sums = to_numpy(self._update_sums).tolist()
        for k, name in enumerate(self._names):
            scale = self._measured * self._sizes[k]
            self.history["gradient"][name].append(gradient_sums[k] / scale)
            self.history["update"][name].append(update_sums[k] / scale)

    def plot(self, path: str | os.PathLike[str]) -> Path:
        """Draw the recorded flow into a PNG; see :func:`numkeras.utils.plot_model_gradients`."""
        from ..utils.gradient_plot import plot_model_gradients

        return plot_model_gradients(self, path)
