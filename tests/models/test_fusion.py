"""One fusion pass for every model: a functional model and a Sequential one of the same layers
run the same fused ops and train to the same bits; the pass itself on functional graphs."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import backend, ops
from numkeras.layers import Activation, Dense, Input
from numkeras.models import Model, Sequential, fusion
from numkeras.ops import nn
from numkeras.optimizers import Adam

RNG = np.random.default_rng(0)
X = RNG.standard_normal((12, 4)).astype(np.float32)


def _layers(hidden: str, output: str) -> list:
    """The course's spelling, each Dense then its Activation, and a Dense with its own."""
    return [Dense(6), Activation(hidden), Dense(5, activation=hidden), Dense(3), Activation(output)]


def _sequential(hidden: str, output: str) -> Sequential:
    return Sequential([Input(shape=(4,)), *_layers(hidden, output)])


def _functional(hidden: str, output: str) -> Model:
    x = inputs = Input(shape=(4,))
    for layer in _layers(hidden, output):
        x = layer(x)
    return Model(inputs, x)


def _twins(hidden: str, output: str) -> tuple[Sequential, Model]:
    backend.set_random_seed(3)
    sequential, functional = _sequential(hidden, output), _functional(hidden, output)
    functional.set_weights(sequential.get_weights())
    return sequential, functional


def _targets(output: str) -> tuple[np.ndarray, str]:
    if output == "softmax":
        return np.eye(3, dtype=np.float32)[RNG.integers(0, 3, len(X))], "categorical_crossentropy"
    return RNG.integers(0, 2, (len(X), 3)).astype(np.float32), "binary_crossentropy"


STYLES = [("relu", "softmax"), ("sigmoid", "softmax"), ("relu", "sigmoid"), ("sigmoid", "sigmoid")]


@pytest.mark.parametrize("hidden, output", STYLES)
def test_functional_and_sequential_models_have_the_same_plan(hidden, output):
    sequential, functional = _twins(hidden, output)
    for model in (sequential, functional):
        plan = model._call_plan()
        assert [type(call.layer).__name__ for call in plan] == [
            "Dense",
            "Dense",
            "Dense",
            "Activation",
        ]
        assert [call.activation for call in plan] == [hidden, hidden, None, None]


@pytest.mark.parametrize("hidden, output", STYLES)
def test_functional_and_sequential_models_train_to_the_same_bits(hidden, output):
    y, loss = _targets(output)
    sequential, functional = _twins(hidden, output)
    histories, grads = [], []
    for model in (sequential, functional):
        model.compile(optimizer=Adam(0.01), loss=loss)
        histories.append(
            model.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
        )
        grads.append([g.copy() for g in model.last_gradients])
    assert histories[0] == histories[1]
    for a, b in zip(grads[0], grads[1], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(sequential.get_weights(), functional.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("hidden, output", STYLES)
def test_the_fused_ops_run_whichever_way_the_model_is_written(hidden, output, monkeypatch):
    """Per step: two Dense ops with the hidden activation fused, and the cross-entropy fused
    with the output activation, found from the logits mark on the model's output."""
    calls: list[str] = []

    def spy(op_class, label):
        forward = op_class.forward

        def counted(self, *args):
            calls.append(label(self))
            return forward(self, *args)

        monkeypatch.setattr(op_class, "forward", counted)

    spy(nn.Dense, lambda op: f"dense:{op.activation}")
    spy(nn.SoftmaxCrossEntropy, lambda op: "softmax_cross_entropy")
    spy(nn.SigmoidBinaryCrossEntropy, lambda op: "sigmoid_cross_entropy")
    y, loss = _targets(output)
    for model in _twins(hidden, output):
        calls.clear()
        model.compile(optimizer="sgd", loss=loss)
        model.train_on_batch(X, y)
        assert sorted(calls) == sorted(
            [f"dense:{hidden}", f"dense:{hidden}", "dense:None", f"{output}_cross_entropy"]
        )


def test_dense_output_read_twice_keeps_its_activation_apart():
    inputs = Input(shape=(4,))
    z = Dense(3)(inputs)
    model = Model(inputs, [Activation("relu")(z), Activation("sigmoid")(z)])
    assert [call.activation for call in model._call_plan()] == [None, None, None]


def test_dense_output_that_leaves_the_model_is_not_fused_with_its_activation():
    inputs = Input(shape=(4,))
    z = Dense(3)(inputs)
    model = Model(inputs, [z, Activation("relu")(z)])
    assert [call.activation for call in model._call_plan()] == [None, None]


def test_a_sigmoid_that_leaves_the_model_keeps_its_logits_mark():
    inputs = Input(shape=(4,))
    hidden = Dense(5, activation="sigmoid")(inputs)
    probs = Dense(2, activation="sigmoid")(hidden)
    model = Model(inputs, [probs, Activation("sigmoid")(hidden)])
    assert [call.activation for call in model._call_plan()] == ["sigmoid", None, None]
    out, side = model(X, training=True)
    for t in (out, side):
        assert t._keras_logits.activation == "sigmoid"
        np.testing.assert_array_equal(ops.sigmoid(t._keras_logits.logits).numpy(), t.numpy())


def test_interleaved_branches_fuse_and_give_the_values_of_the_unfused_calls():
    """Each branch's Activation comes after the other branch's Dense: the fused op runs at its
    Dense's place and writes where the Activation wrote."""
    dense_a, dense_b = Dense(3), Dense(3)
    for layer in (dense_a, dense_b):
        layer.build((None, 4))
    act_a, act_b = Activation("relu"), Activation("relu")
    graph = fusion.Graph(
        [
            fusion.Call(dense_a, ("x",), ("za",)),
            fusion.Call(dense_b, ("x",), ("zb",)),
            fusion.Call(act_a, ("za",), ("a",)),
            fusion.Call(act_b, ("zb",), ("b",)),
        ],
        ("x",),
        ("a", "b"),
    )
    plan = fusion.fuse(graph)
    assert plan == [
        fusion.Call(dense_a, ("x",), ("a",), "relu"),
        fusion.Call(dense_b, ("x",), ("b",), "relu"),
    ]
    fused, unfused = {"x": X}, {"x": X}
    fusion.run(plan, fused, training=True)
    fusion.run(graph.calls, unfused, training=True)
    for key in ("a", "b"):
        np.testing.assert_array_equal(fused[key].numpy(), unfused[key].numpy())


def test_an_unbuilt_dense_or_one_with_an_activity_regularizer_runs_as_it_is():
    unbuilt = Dense(3, activation="relu")
    regularized = Dense(3, activation="relu", activity_regularizer="l2")
    regularized.build((None, 4))
    graph = fusion.Graph(
        [
            fusion.Call(unbuilt, (0,), (1,)),
            fusion.Call(Activation("relu"), (1,), (2,)),
            fusion.Call(regularized, (2,), (3,)),
        ],
        (0,),
        (3,),
    )
    assert fusion.fuse(graph) == graph.calls


def test_nested_sequential_keeps_its_final_sigmoid_for_the_outer_loss():
    inner = Sequential(
        [Input(shape=(4,)), Dense(5), Activation("relu"), Dense(2), Activation("sigmoid")]
    )
    inputs = Input(shape=(4,))
    model = Model(inputs, inner(inputs))
    out = model(X, training=True)
    assert out._keras_logits.activation == "sigmoid"
