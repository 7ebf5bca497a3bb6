"""Subclassed models: layers made in __init__, a call, built on first use; and the mixed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import numkeras
from numkeras import layers
from numkeras.models.model import Functional

RNG = np.random.default_rng(0)
X = RNG.random((64, 6)).astype("float32")
Y = (X.sum(axis=1) > 3).astype("int64")


class MLP(numkeras.Model):
    def __init__(self, units: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.drop = layers.Dropout(0.5)
        self.out = layers.Dense(2, activation="softmax")

    def call(self, inputs, training=None):
        return self.out(self.drop(self.hidden(inputs), training=training))


@numkeras.saving.register_keras_serializable(package="tests")
class SavableMLP(MLP):
    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_compile_before_build_then_fit_evaluate_predict():
    model = MLP()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert not model.built
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    assert model.built and history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(X, Y, verbose=0)
    assert 0 <= accuracy <= 1 and np.isfinite(loss)
    assert model.predict(X, verbose=0).shape == (64, 2)


def test_build_with_an_input_shape_creates_the_weights_and_summary_counts_them():
    model = MLP(8)
    model.build((None, 6))
    assert [w.shape for w in model.weights] == [(6, 8), (8,), (8, 2), (2,)]
    assert model.count_params() == 6 * 8 + 8 + 8 * 2 + 2
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "dense" in text and "Total params: 74" in text


def test_an_unbuilt_model_says_how_to_build_it():
    with pytest.raises(ValueError, match="model.build"):
        MLP().count_params()


def test_a_model_without_call_says_so():
    with pytest.raises(NotImplementedError, match="without a call"):
        numkeras.Model()(X)


def test_training_reaches_the_layers_it_holds():
    model = MLP()
    model(X)
    assert np.array_equal(np.asarray(model(X)), np.asarray(model(X, training=False)))
    assert not np.array_equal(np.asarray(model(X, training=True)), np.asarray(model(X)))


def test_nested_subclassed_models_track_their_weights():
    class Outer(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [MLP(4), MLP(4)]

        def call(self, inputs):
            return self.blocks[1](self.blocks[0](inputs))

    outer = Outer()
    outer(X)
    assert len(outer.weights) == 8 and outer.layers == outer.blocks


def test_freezing_recompiling_and_training_the_top_only():
    model = MLP(8)
    model.build((None, 6))
    model.hidden.trainable = False
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    frozen = model.hidden.get_weights()
    top = model.out.get_weights()
    model.fit(X, Y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, model.hidden.get_weights()))
    assert not np.array_equal(top[0], model.out.get_weights()[0])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Non-trainable params: 56" in line for line in lines)


def test_save_weights_and_load_weights(tmp_path):
    model = MLP()
    model.build((None, 6))
    model.save_weights(tmp_path / "w.weights.npz")
    twin = MLP()
    twin.build((None, 6))
    twin.load_weights(tmp_path / "w.weights.npz")
    assert np.array_equal(twin.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_registered_subclass_with_get_config_saves_and_loads(tmp_path):
    model = SavableMLP(8)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.numkeras")
    loaded = numkeras.models.load_model(tmp_path / "m.numkeras")
    assert type(loaded) is SavableMLP and loaded.units == 8
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    loaded.fit(X, Y, epochs=1, verbose=0)  # the optimizer state came back too


def test_saving_an_unregistered_or_undescribable_subclass_says_what_to_do(tmp_path):
    model = MLP()
    model.build((None, 6))
    with pytest.raises(TypeError, match="register_keras_serializable"):
        model.save(tmp_path / "m.numkeras")

    @numkeras.saving.register_keras_serializable(package="tests")
    class Wrapper(numkeras.Model):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, inputs):
            return self.inner(inputs)

    model = Wrapper(layers.Dense(2))  # a layer argument: no config, as in Keras 3
    model.build((None, 6))
    with pytest.raises(NotImplementedError, match=r"Wrapper defines no get_config.*inner="):
        model.save(tmp_path / "m.numkeras")
    assert not (tmp_path / "m.numkeras").exists()


def test_a_registered_subclass_without_get_config_saves_by_its_init_arguments(tmp_path):
    # Keras 3's automatic config: the arguments MLP.__init__ was called with (defaults too).
    @numkeras.saving.register_keras_serializable(package="tests")
    class NoConfig(MLP):
        pass

    model = NoConfig(8, name="auto")
    assert model.get_config() == {"units": 8, "name": "auto", "trainable": True, "dtype": "float32"}
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.numkeras")
    loaded = numkeras.models.load_model(tmp_path / "m.numkeras")
    assert type(loaded) is NoConfig and loaded.units == 8 and loaded.name == "auto"
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_functional_model_inside_a_subclassed_one_and_the_reverse():
    inputs = numkeras.Input((6,))
    trunk = numkeras.Model(inputs, layers.Dense(4)(inputs))

    class Head(numkeras.Model):
        def __init__(self):
            super().__init__()
            self.trunk = trunk
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(self.trunk(inputs))

    head = Head()
    head.compile(optimizer="sgd", loss="mse")
    head.fit(X, Y, epochs=1, verbose=0)
    assert len(head.weights) == 4

    inputs = numkeras.Input((6,))
    outer = numkeras.Model(inputs, layers.Dense(1)(MLP(4)(inputs)))
    outer.compile(optimizer="sgd", loss="mse")
    outer.fit(X, Y, epochs=1, verbose=0)
    assert len(outer.weights) == 6 and outer.layers[1].built


def test_model_of_inputs_and_outputs_is_functional_and_a_subclass_may_be_built_so():
    inputs = numkeras.Input((6,))
    outputs = layers.Dense(2)(inputs)
    assert type(numkeras.Model(inputs, outputs)) is Functional
    assert type(numkeras.Model(inputs=inputs, outputs=outputs)) is Functional

    class Wrapped(numkeras.Model):
        def __init__(self):
            inputs = numkeras.Input((6,))
            super().__init__(inputs, layers.Dense(3)(inputs))

        def describe(self):
            return "mine"

    wrapped = Wrapped()
    assert isinstance(wrapped, Wrapped) and isinstance(wrapped, Functional)
    assert wrapped.describe() == "mine" and type(wrapped).__name__ == "Wrapped"
    assert wrapped.predict(X, verbose=0).shape == (64, 3)


def test_fit_generator_and_friends_are_keras2_names_with_a_warning():
    model = numkeras.Sequential([layers.Input((6,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    def batches():
        while True:
            yield X[:16], Y[:16, None].astype("float32")

    with pytest.warns(UserWarning, match="fit_generator"):
        model.fit_generator(batches(), steps_per_epoch=2, epochs=1, verbose=0, workers=4)
    with pytest.warns(UserWarning, match="evaluate_generator"):
        assert np.isfinite(model.evaluate_generator(batches(), steps=2))
    with pytest.warns(UserWarning, match="predict_generator"):
        assert model.predict_generator(batches(), steps=2).shape == (32, 1)


def test_on_train_end_gets_the_last_epochs_logs_with_validation():
    seen = {}

    class Spy(numkeras.callbacks.Callback):
        def on_train_end(self, logs=None):
            seen.update(logs)

    model = MLP()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(X, Y, epochs=2, validation_split=0.25, verbose=0, callbacks=[Spy()])
    assert set(seen) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert seen["val_loss"] == history.history["val_loss"][-1]


def test_a_subclass_get_config_extends_the_base_config():
    class Tower(numkeras.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    config = Tower(units=3, name="tower").get_config()
    assert config["units"] == 3 and config["name"] == "tower" and config["trainable"]
    assert Tower.from_config(config).units == 3


def test_weights_a_subclassed_model_holds_itself_are_saved(tmp_path):
    @numkeras.saving.register_keras_serializable(package="tests")
    class Shifted(MLP):
        def build(self, input_shape):
            self.shift = self.add_weight(shape=(2,), initializer="random_normal", name="shift")

        def call(self, inputs, training=None):
            return super().call(inputs, training) + self.shift

        def get_config(self):
            return {"units": self.units}

    model = Shifted(4)
    model(X)
    assert model.weights[0] is model.shift and len(model.weights) == 5
    model.save_weights(tmp_path / "w.weights.npz")
    model.save(tmp_path / "m.numkeras")
    twin = Shifted(4)
    twin(X)
    twin.load_weights(tmp_path / "w.weights.npz")
    loaded = numkeras.models.load_model(tmp_path / "m.numkeras")
    for other in (twin, loaded):
        assert np.array_equal(other.shift.numpy(), model.shift.numpy())
        assert np.array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
