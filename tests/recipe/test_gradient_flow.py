"""GradientFlow: the recorded gradients and updates are the real ones, per layer and epoch."""

import numpy as np
import pytest

from numkeras.backend import set_device, set_random_seed
from numkeras.callbacks import Callback
from numkeras.layers import Activation, Dense
from numkeras.models import Sequential
from numkeras.optimizers import SGD, Adam
from numkeras.recipe import GradientFlow
from numkeras.recipe.networks import deep_mlp


def linear_problem(n=32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
    return x, y


def test_one_step_per_epoch_records_the_exact_gradient_and_update():
    x, y = linear_problem()
    model = Sequential([Dense(1, input_shape=(3,))])
    lr = 0.1
    model.compile(optimizer=SGD(lr), loss="mse")
    w, b = (v.copy() for v in model.get_weights())
    flow = GradientFlow()
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0, callbacks=[flow])
    # d/dw mean((xw + b - y)^2) = 2/n x^T r, d/db = 2/n sum r: the layer's 4 numbers together.
    r = x @ w + b - y
    grads = np.concatenate([(2 / len(x) * x.T @ r).ravel(), [2 / len(x) * r.sum()]])
    name = model.layers[0].name
    assert list(flow.history["gradient"]) == [name]
    assert flow.history["gradient"][name][0] == pytest.approx(np.abs(grads).mean(), rel=1e-5)
    # Plain SGD: the update is the learning rate times the gradient.
    assert flow.history["update"][name][0] == pytest.approx(lr * np.abs(grads).mean(), rel=1e-5)
    assert flow.epoch == [0]


class StepRecorder(Callback):
    """The gradients and updates of every step, measured independently of GradientFlow."""

    def on_train_begin(self, logs=None):
        self.gradients, self.updates = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.before = [w.data.copy() for w in self.model.trainable_weights]

    def on_train_batch_end(self, batch, logs=None):
        weights = self.model.trainable_weights
        self.gradients.append([np.abs(g).sum() for g in self.model.last_gradients])
        self.updates.append([np.abs(w.data - b).sum() for w, b in zip(weights, self.before)])


def test_epoch_values_are_the_mean_over_measured_steps_per_layer():
    x, y = linear_problem(64)
    model = Sequential([Dense(5, input_shape=(3,), activation="tanh"), Dense(1)])
    model.compile(optimizer=Adam(0.01), loss="mse")
    recorder = StepRecorder()
    flow = GradientFlow(every=3)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[recorder, flow])
    sizes = [w.data.size for w in model.trainable_weights]
    for epoch in range(2):
        steps = [epoch * 8 + s for s in (0, 3, 6)]  # 8 steps per epoch, every third measured
        for k, layer in enumerate(model.layers):
            n = sizes[2 * k] + sizes[2 * k + 1]
            grad = (
                np.mean(
                    [recorder.gradients[s][2 * k] + recorder.gradients[s][2 * k + 1] for s in steps]
                )
                / n
            )
            update = (
                np.mean(
                    [recorder.updates[s][2 * k] + recorder.updates[s][2 * k + 1] for s in steps]
                )
                / n
            )
            assert flow.history["gradient"][layer.name][epoch] == pytest.approx(grad, rel=1e-5)
            assert flow.history["update"][layer.name][epoch] == pytest.approx(update, rel=1e-5)


def test_sigmoid_gradient_vanishes_towards_the_input():
    rng = np.random.default_rng(1)
    x = rng.random((200, 20)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 200)]
    ratios = {}
    for activation in ("sigmoid", "relu"):
        model = deep_mlp(activation, depth=6, width=32, input_dim=20)
        flow = GradientFlow(layers=[l for l in model.layers if isinstance(l, Dense)])
        model.fit(x, y, batch_size=50, epochs=1, verbose=0, callbacks=[flow])
        gradients = [values[0] for values in flow.history["gradient"].values()]
        assert len(gradients) == 7
        ratios[activation] = gradients[0] / gradients[-1]
    assert ratios["sigmoid"] < 0.01 < ratios["relu"]


def test_on_the_device_the_flow_is_the_cpus_to_the_bit(stand_in):
    # The strict stand-in refuses any trip to the host: the sums stay on the device until
    # the epoch ends.
    rng = np.random.default_rng(2)
    x = rng.random((120, 20)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 120)]

    def flow():
        set_random_seed(0)
        model = deep_mlp("sigmoid", depth=3, width=16, input_dim=20)
        flow = GradientFlow(every=2)
        model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[flow])
        # The values per layer, in order (the layers' names count on across models).
        return {kind: list(layers.values()) for kind, layers in flow.history.items()}

    on_device = flow()
    set_device("cpu")
    on_cpu = flow()
    assert on_device == on_cpu
    assert all(type(v) is float for kind in on_device.values() for vs in kind for v in vs)


def test_layers_chosen_by_name_or_object_in_the_given_order():
    model = Sequential([Dense(4, input_shape=(3,)), Activation("relu"), Dense(2), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = linear_problem(8)
    first, _, second, third = model.layers
    flow = GradientFlow(layers=[third, first.name])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[flow])
    assert list(flow.history["gradient"]) == [third.name, first.name]
    assert all(len(v) == 2 for v in flow.history["update"].values())


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="every must be a positive integer. Received: every=0"):
        GradientFlow(every=0)
    model = Sequential([Dense(4, input_shape=(3,)), Activation("relu"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = linear_problem(8)
    with pytest.raises(ValueError, match="no trainable weights in: \\['activation"):
        model.fit(x, y, verbose=0, callbacks=[GradientFlow(layers=[model.layers[1]])])


def test_a_loop_without_last_gradients_is_reported():
    class NoGradients:
        layers = []
        trainable_weights = []

    flow = GradientFlow()
    flow.set_model(NoGradients())
    flow.on_train_begin()
    flow.on_epoch_begin(0)
    flow.on_train_batch_begin(0)
    with pytest.raises(RuntimeError, match="model.last_gradients"):
        flow.on_train_batch_end(0)


def test_plot_writes_a_png(tmp_path):
    x, y = linear_problem(16)
    model = Sequential([Dense(4, input_shape=(3,), activation="sigmoid"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    flow = GradientFlow()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[flow])
    path = flow.plot(tmp_path / "flow.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
