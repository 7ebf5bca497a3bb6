"""The merge layers: values and shapes against real Keras 3, shape errors as Keras raises them,
gradients, configs, the lowercase functions, Keras 1's ``merge``, and the two-input, two-output
model of Keras's functional API guide trained in both libraries."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import numkeras
from numkeras import backend
from numkeras.layers import Input, merging
from numkeras.ops import Variable
from numkeras.utils.gradient_check import check_gradients

rng = np.random.default_rng(0)

ELEMENT_WISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

#: Sample shapes of the inputs (batch axis excluded) and the layer that merges them.
VALUE_CASES: list[tuple[str, dict[str, Any], list[tuple[int, ...]]]] = [
    *[(name, {}, [(3, 4), (3, 4)]) for name in ELEMENT_WISE],
    ("Add", {}, [(4,), (1,), (4,)]),  # a (None, 1) input broadcasts, as in Keras
    ("Multiply", {}, [(4,), (2, 4)]),  # a lower rank gains axes after the batch axis
    ("Average", {}, [(2, 1), (2, 3), (1, 3)]),
    ("Maximum", {}, [(3,), (3,), (3,)]),
    ("Minimum", {}, [(2, 3), (3,)]),
    ("Subtract", {}, [(3, 1), (3, 2)]),
    ("Concatenate", {}, [(3, 4), (3, 2)]),
    ("Concatenate", {"axis": 1}, [(3, 4), (1, 4), (2, 4)]),
    ("Concatenate", {"axis": -2}, [(2, 5), (3, 5)]),
    ("Dot", {"axes": 1}, [(5,), (5,)]),
    ("Dot", {"axes": -1}, [(3, 4), (2, 5, 4)]),
    ("Dot", {"axes": (2, 2)}, [(3, 4), (5, 4)]),
    ("Dot", {"axes": [1, 2]}, [(3, 4), (5, 3)]),
    ("Dot", {"axes": (1, 1), "normalize": True}, [(3, 4), (3, 2)]),
    ("Dot", {"axes": -1, "normalize": True}, [(6,), (6,)]),
]


def _inputs(shapes: list[tuple[int, ...]], batch: int = 2) -> list[np.ndarray]:
    return [rng.standard_normal((batch, *s)).astype(np.float32) for s in shapes]


def _case_id(case: tuple) -> str:
    name, kwargs, shapes = case
    return f"{name}{kwargs or ''}{shapes}"


@pytest.mark.parametrize("case", VALUE_CASES, ids=_case_id)
def test_values_and_shapes_match_keras(keras, case):
    name, kwargs, shapes = case
    xs = _inputs(shapes)
    ours = getattr(merging, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    out = ours(xs)
    np.testing.assert_allclose(out.numpy(), np.asarray(theirs(xs)), rtol=1e-5, atol=1e-6)
    assert out.shape == ours.compute_output_shape([x.shape for x in xs])
    symbolic = getattr(merging, name)(**kwargs)([Input(s) for s in shapes])
    assert symbolic.shape == theirs.compute_output_shape([(None, *s) for s in shapes])


#: Input shapes (batch included) that Keras 3 refuses or accepts, with the layer given them.
SHAPE_CASES = [
    ("Add", {}, [(None, 3), (None, 4)]),
    ("Add", {}, [(None, 1), (None, 4)]),
    ("Add", {}, [(1, 4), (8, 4)]),
    ("Add", {}, [(None, 2, 3), (None, 3)]),
    ("Multiply", {}, [(None, 2, 3), (None, 2)]),
    ("Subtract", {}, [(None, 3), (None, 3), (None, 3)]),
    ("Subtract", {}, [(None, 3)]),
    ("Concatenate", {}, [(None, 3, 4), (None, 2, 5)]),
    ("Concatenate", {}, [(None, 3, 4), (None, 5)]),
    ("Concatenate", {"axis": 1}, [(None, None, 4), (None, 2, 4)]),
    ("Dot", {"axes": 1}, [(None, 3), (None, 4)]),
    ("Dot", {"axes": 1}, [(None, 3), (None, 3), (None, 3)]),
    ("Dot", {"axes": (1, 2)}, [(None, 3, 4), (None, 5, 3)]),
]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=_case_id)
def test_shape_errors_as_keras(keras, case):
    name, kwargs, shapes = case

    def outcome(library: Any) -> Any:
        layer = getattr(library.layers, name)(**kwargs)
        try:
            layer.build(shapes)
            return tuple(layer.compute_output_shape(shapes))
        except ValueError as error:
            return error

    theirs, ours = outcome(keras), outcome(numkeras)
    if isinstance(theirs, ValueError):
        assert isinstance(ours, ValueError), f"Keras refuses {shapes}, numkeras gave {ours}"
        # The error names the layer's class and the shapes it received.
        assert name in str(ours) and f"input_shape={shapes}" in str(ours)
    else:
        assert ours == theirs


def test_a_merge_layer_needs_a_list():
    with pytest.raises(
        ValueError, match=r"Add 'plus' must be called on a list of inputs.*\(2, 3\)"
    ):
        merging.Add(name="plus")(np.zeros((2, 3), np.float32))


def test_later_calls_are_checked_too():
    # NumPy would broadcast a batch of 1 against one of 8: the layer refuses it on every call.
    layer = merging.Add()
    layer([np.ones((8, 4), np.float32)] * 2)
    with pytest.raises(ValueError, match=r"different batch sizes.*\[\(1, 4\), \(8, 4\)\]"):
        layer([np.ones((1, 4), np.float32), np.ones((8, 4), np.float32)])


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"Dot 'd': axes must be an int or a pair.*axes='a'"):
        merging.Dot("a", name="d")
    with pytest.raises(ValueError, match=r"axes must hold two axes.*axes=\(1, 2, 3\)"):
        merging.Dot((1, 2, 3))
    with pytest.raises(TypeError, match=r"axis must be an int.*axis=1.5"):
        merging.Concatenate(axis=1.5)
    with pytest.raises(ValueError, match=r"Dot 'd0': axes=0 must name a non-batch axis"):
        merging.Dot(0, name="d0")([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match=r"axis 3 in range"):
        merging.Concatenate(axis=3)([Input((3,)), Input((3,))])


GRADIENT_CASES = [
    *[(name, {}, [(2, 3), (2, 3)]) for name in ELEMENT_WISE],
    ("Add", {}, [(3,), (1,), (3,)]),
    ("Multiply", {}, [(3,), (2, 3)]),
    ("Average", {}, [(2, 1), (2, 3), (1, 3)]),
    ("Maximum", {}, [(2, 3), (3,), (2, 3)]),
    ("Concatenate", {"axis": 1}, [(2, 3), (1, 3)]),
    ("Dot", {"axes": 1}, [(4,), (4,)]),
    ("Dot", {"axes": (2, 1)}, [(3, 4), (4, 2)]),
    ("Dot", {"axes": (1, 1), "normalize": True}, [(3, 4), (3, 2)]),
    ("Dot", {"axes": -1, "normalize": True}, [(5,), (5,)]),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=_case_id)
def test_gradients(case):
    name, kwargs, shapes = case
    with backend.floatx_scope("float64"):
        layer = getattr(merging, name)(**kwargs)
        xs = [Variable(x.astype(np.float64)) for x in _inputs(shapes, batch=3)]
        check_gradients(lambda: layer(xs), *xs)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.layers.Add(name="a"),
        lambda lib: lib.layers.Concatenate(axis=1, name="c"),
        lambda lib: lib.layers.Dot((1, 2), normalize=True, name="d"),
    ],
)
def test_config_round_trip_with_keras_keys(keras, make):
    layer = make(numkeras)
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    extra = {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")}
    expected = {k: v for k, v in make(keras).get_config().items() if k in extra}
    assert json.loads(json.dumps(expected)) == extra


def test_keras_defaults_and_lowercase_functions():
    assert merging.Concatenate().axis == -1
    assert merging.Dot(1).normalize is False
    a, b = Input((3,)), Input((3,))
    assert numkeras.layers.concatenate([a, b]).shape == (None, 6)
    assert numkeras.layers.concatenate([a, b], axis=0, name="joined").node.layer.name == "joined"
    assert numkeras.layers.dot([a, b], axes=1, normalize=True).shape == (None, 1)
    xs = _inputs([(3,), (3,)])
    for name in ELEMENT_WISE:
        function = getattr(numkeras.layers, name.lower())
        assert function.__name__ == name.lower()
        expected = getattr(merging, name)()(xs).numpy()
        np.testing.assert_array_equal(function(xs).numpy(), expected)


@pytest.mark.parametrize(
    "mode, kwargs, modern",
    [
        ("concat", {"concat_axis": 1}, lambda: merging.Concatenate(axis=1)),
        ("sum", {}, merging.Add),
        ("mul", {}, merging.Multiply),
        ("ave", {}, merging.Average),
        ("max", {}, merging.Maximum),
        ("dot", {"dot_axes": 1}, lambda: merging.Dot(1)),
        ("cos", {}, lambda: merging.Dot(-1, normalize=True)),
    ],
)
def test_keras1_merge_maps_to_the_modern_layer(mode, kwargs, modern):
    xs = _inputs([(4,), (4,)])
    with pytest.warns(UserWarning, match=rf"merge\(mode='{mode}'\)` is the Keras 1 API; use"):
        out = numkeras.layers.merge(xs, mode=mode, **kwargs)
    np.testing.assert_array_equal(out.numpy(), modern()(xs).numpy())
    with pytest.warns(UserWarning):
        named = numkeras.layers.merge([Input((4,)), Input((4,))], mode=mode, name=f"m_{mode}")
    assert named.node.layer.name == f"m_{mode}"


def test_keras1_merge_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of.*mode='avg'"):
        numkeras.layers.merge(_inputs([(2,), (2,)]), mode="avg")


# -- Keras's functional API guide: a model with two inputs and two outputs ----------------------
def guide_model(lib: Any) -> Any:
    """Keras's "multi-input and multi-output models" shape, smaller: a title and a body branch,
    concatenated, predicting a priority (sigmoid) and a department (softmax)."""
    title, body = lib.Input((6,), name="title"), lib.Input((4,), name="body")
    features = lib.layers.concatenate(
        [lib.layers.Dense(5, activation="relu")(title), lib.layers.Dense(3)(body)]
    )
    priority = lib.layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = lib.layers.Dense(3, activation="softmax", name="department")(features)
    return lib.Model(inputs=[title, body], outputs=[priority, department])


def guide_compile(model: Any, lib: Any, learning_rate: float) -> None:
    model.compile(
        optimizer=lib.optimizers.SGD(learning_rate),
        loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.2},
        metrics={"priority": ["accuracy"], "department": ["accuracy"]},
    )


def guide_data(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    title = rng.standard_normal((n, 6)).astype(np.float32)
    body = rng.standard_normal((n, 4)).astype(np.float32)
    priority = (title[:, :1] + body[:, :1] > 0).astype(np.float32)
    department = np.eye(3, dtype=np.float32)[np.argmax(body[:, 1:], axis=1)]
    return [title, body], [priority, department]


def test_two_input_two_output_model_trains():
    model = guide_model(numkeras)
    guide_compile(model, numkeras, learning_rate=0.1)
    x, y = guide_data(256)
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert {"priority_accuracy", "department_accuracy"} <= set(history.history)
    assert history.history["priority_accuracy"][-1] > 0.8


def test_two_input_two_output_model_matches_keras(keras):
    theirs, ours = guide_model(keras), guide_model(numkeras)
    ours.set_weights(theirs.get_weights())
    x, y = guide_data(16)
    for got, want in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    for model, lib in ((theirs, keras), (ours, numkeras)):
        guide_compile(model, lib, learning_rate=0.5)
        model.train_on_batch(x, y)
    for got, want in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_two_input_two_output_model_saves_and_loads(tmp_path):
    model = guide_model(numkeras)
    path = tmp_path / "guide.numkeras"
    model.save(path)
    loaded = numkeras.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers].count("Concatenate") == 1
    x, _ = guide_data(4)
    for got, want in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_array_equal(got, want)


MASK_A = np.array([[True, False, True], [False, False, True]])
MASK_B = np.array([[False, False, True], [True, False, False]])


@pytest.mark.parametrize(
    "name, kwargs, masks",
    [
        ("Add", {}, [MASK_A, MASK_B]),  # every input masked: the or of the masks
        ("Multiply", {}, [MASK_A, None]),  # an unmasked input: no mask
        ("Concatenate", {}, [MASK_A, None]),  # along features: the or, unmasked as all True
        ("Concatenate", {}, [MASK_A, MASK_B]),
        ("Concatenate", {"axis": 1}, [MASK_A, None]),  # along time: the masks joined
        ("Concatenate", {}, [None, None]),
        ("Dot", {"axes": 2}, [MASK_A, MASK_B]),  # no steps left: no mask
    ],
)
def test_output_masks_match_keras(keras, name, kwargs, masks):
    xs = [rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in masks]
    want = getattr(keras.layers, name)(**kwargs).compute_mask(xs, masks)
    inputs = []
    for x, m in zip(xs, masks):
        tensor = numkeras.ops.convert_to_tensor(x)
        tensor._keras_mask = None if m is None else numkeras.ops.convert_to_tensor(m)
        inputs.append(tensor)
    out = getattr(merging, name)(**kwargs)(inputs)
    if want is None:
        assert out._keras_mask is None
    else:
        np.testing.assert_array_equal(out._keras_mask.data, np.asarray(want))


def test_a_mask_per_input_is_required():
    with pytest.raises(ValueError, match="one mask \\(or None\\) per input: a list of 2"):
        merging.Add().compute_mask([np.ones((1, 2))] * 2, [MASK_A])
