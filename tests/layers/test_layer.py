"""The Layer base class as Keras 3 users write their own: call signatures, add_weight, tracking,
add_loss, freezing, initial weights and the graph properties."""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
from numkeras import layers, ops
from numkeras.layers.layer import weight_arguments
from numkeras.utils.gradient_check import check_gradients


class Scale(layers.Layer):
    """A custom layer whose call takes no ``training`` argument."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w


class Probe(layers.Layer):
    """Records the ``training`` and ``mask`` values its call receives."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs, training=None, mask=None):
        self.seen.append((training, mask))
        return inputs


def test_call_without_training_argument_is_called_without_it():
    layer = Scale()
    out = layer(np.ones((2, 3), "float32"), training=True)
    assert np.array_equal(np.asarray(out), np.ones((2, 3)))


def test_training_and_mask_reach_a_call_that_names_them():
    probe = Probe()
    probe(np.ones((1, 2)), training=True, mask="m")
    assert probe.seen == [(True, "m")]


def test_a_mask_is_dropped_for_a_call_that_does_not_take_it():
    Scale()(np.ones((1, 2)), mask=np.ones((1,)))


def test_training_flows_from_the_outer_call_to_inner_layers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Probe()

        def call(self, inputs, training=None):
            return self.inner(inputs)

    outer = Outer()
    outer(np.ones((1, 2)), training=True)
    outer(np.ones((1, 2)))
    assert [t for t, _ in outer.inner.seen] == [True, None]


def test_dropout_in_a_custom_layer_follows_the_outer_training_flag():
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5)

        def call(self, inputs):
            return self.drop(inputs)

    block, x = Block(), np.ones((4, 100), "float32")
    assert np.array_equal(np.asarray(block(x)), x)
    assert (np.asarray(block(x, training=True)) == 0).any()


def test_add_weight_takes_keras3_and_keras2_orders():
    layer = layers.Layer(name="l")
    keras3 = layer.add_weight((2, 3), "zeros", name="k3")
    keras2 = layer.add_weight("k2", (4,), "float64", "ones")
    scalar = layer.add_weight()
    assert keras3.shape == (2, 3) and keras3.name == "l/k3" and not keras3.numpy().any()
    assert keras2.shape == (4,) and keras2.dtype == np.float64 and keras2.numpy().all()
    assert scalar.shape == () and scalar.dtype == np.float32
    assert layer.weights == [keras3, keras2, scalar]


def test_add_weight_defaults_as_keras3():
    spec = weight_arguments((), {"shape": [3], "dtype": "int32"}, "float32")
    assert spec["initializer"] == "zeros" and spec["shape"] == (3,)
    assert weight_arguments((), {}, "float32")["initializer"] == "glorot_uniform"
    frozen = layers.Layer().add_weight(shape=(2,), trainable=False)
    assert not frozen.trainable


def test_add_weight_names_a_wrong_argument():
    with pytest.raises(TypeError, match="unexpected"):
        layers.Layer().add_weight(shape=(2,), colour="red")


def test_layers_and_variables_in_attributes_lists_and_dicts_are_tracked():
    class Holder(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(2)
            self.stack = [layers.Dense(3), (layers.Dense(4),)]
            self.by_name = {"last": layers.Dense(5)}
            self.extra = ops.Variable(np.zeros(2, "float32"))

        def call(self, inputs):
            x = self.first(inputs)
            for layer in (self.stack[0], self.stack[1][0], self.by_name["last"]):
                x = layer(x)
            return x

    holder = Holder()
    holder(np.ones((1, 6), "float32"))
    assert [l.units for l in holder._sublayers] == [2, 3, 4, 5]
    assert holder.weights[0] is holder.extra and len(holder.weights) == 9
    holder.stack.append(layers.Dense(1))  # appended later, found too
    assert len(holder._sublayers) == 5


def test_freezing_a_layer_freezes_the_layers_it_holds():
    class Holder(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = [layers.Dense(2)]

        def call(self, inputs):
            return self.inner[0](inputs)

    holder = Holder()
    holder(np.ones((1, 3), "float32"))
    holder.trainable = False
    assert holder.trainable_weights == [] and len(holder.non_trainable_weights) == 2
    holder.trainable = True
    assert len(holder.trainable_weights) == 2


class ActivityPenalty(layers.Layer):
    def call(self, inputs):
        self.add_loss(0.5 * ops.sum(ops.square(inputs)))
        return inputs


def test_add_loss_is_cleared_by_each_outermost_call_and_collected_from_sublayers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.penalty = ActivityPenalty()

        def call(self, inputs):
            return self.penalty(inputs)

    outer = Outer()
    outer(np.ones((1, 2), "float32"))
    outer(np.full((1, 2), 2.0, "float32"))
    assert [float(l) for l in outer.losses] == [4.0]


def test_add_loss_trains_the_model_and_counts_in_the_reported_loss():
    model = numkeras.Sequential([layers.Input((2,)), ActivityPenalty(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    with_penalty = model.evaluate(x, y, verbose=0)
    plain = float(np.mean(np.square(model.predict(x, verbose=0))))
    assert with_penalty == pytest.approx(plain + 0.5 * 8, rel=1e-5)  # 0.5 * sum of 8 ones
    before = model.get_weights()[0].copy()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(model.get_weights()[0], before)


def test_gradient_of_a_custom_layer_matches_finite_differences():
    with numkeras.backend.floatx_scope("float64"):
        layer = Scale()
        x = ops.Variable(np.random.default_rng(0).standard_normal((3, 4)))
        layer(x)
        check_gradients(lambda: layer(x), x, layer.w)


def test_constructor_weights_are_set_once_built():
    dense = layers.Dense(2, weights=[np.ones((3, 2)), np.full(2, 5.0)])
    out = dense(np.ones((1, 3), "float32"))
    assert np.allclose(np.asarray(out), 8.0)


def test_input_and_output_give_a_feature_extractor():
    inputs = numkeras.Input((4,))
    hidden = layers.Dense(3, name="hidden")
    outputs = layers.Dense(1)(hidden(inputs))
    model = numkeras.Model(inputs, outputs)
    assert hidden.input is inputs
    features = numkeras.Model(model.inputs, model.get_layer("hidden").output)
    x = np.ones((2, 4), "float32")
    assert np.allclose(features.predict(x, verbose=0), np.asarray(hidden(x)))


def test_output_of_a_layer_never_called_is_refused_and_of_one_called_twice_is_the_first():
    dense = layers.Dense(2)
    with pytest.raises(AttributeError, match="never called"):
        _ = dense.output
    a, b = numkeras.Input((3,)), numkeras.Input((3,))
    first, _ = dense(a), dense(b)
    assert dense.output is first and dense.input is a


def test_symbolic_calls_name_positional_arguments_and_refuse_arrays():
    x = numkeras.Input((2,))
    out = Probe()(x, False)  # the second positional parameter of Probe.call is training
    assert out.node.arguments == {"training": False}
    with pytest.raises(TypeError, match="more positional argument"):
        Probe()(x, True, None, 3)
    with pytest.raises(TypeError, match=r"mask=.*Make an array an Input"):
        Probe()(x, mask=np.ones((1, 2), bool))


def test_build_config_rebuilds_a_layer():
    dense = layers.Dense(2)
    dense(np.ones((1, 3), "float32"))
    twin = layers.Dense.from_config(dense.get_config())
    twin.build_from_config(dense.get_build_config())
    assert [w.shape for w in twin.weights] == [(3, 2), (2,)]


# -- Keras 3's automatic config of a subclass without get_config ---------------------------------
class Shift(layers.Layer):
    """Adds ``offset``; configured only by its __init__ arguments (no get_config)."""

    def __init__(self, offset=0.0, axes=(1,), options=None, **kwargs):
        super().__init__(**kwargs)
        self.offset, self.axes, self.options = offset, axes, options

    def call(self, inputs):
        return inputs + self.offset


def test_a_subclass_without_get_config_is_described_by_its_init_arguments():
    shift = Shift(2.5, options={"mode": ["a", None]}, name="shift", trainable=False)
    config = shift.get_config()
    assert config == {
        "offset": 2.5,
        "axes": (1,),
        "options": {"mode": ["a", None]},
        "name": "shift",
        "trainable": False,
        "dtype": "float32",
    }
    twin = Shift.from_config(config)
    assert (twin.offset, twin.axes, twin.options, twin.trainable) == (
        2.5,
        (1,),
        shift.options,
        False,
    )
    # numkeras's own layers describe themselves: nothing is recorded when they are made.
    assert not hasattr(layers.Dense(2), "_auto_config")


def test_the_base_keys_an_init_cannot_take_are_left_out():
    class Fixed(layers.Layer):
        def __init__(self, size=3):
            super().__init__()
            self.size = size

    assert Fixed(size=4).get_config() == {"size": 4}
    assert Fixed.from_config(Fixed(size=4).get_config()).size == 4
    assert Probe().get_config() == {}


def test_a_subclass_with_its_own_get_config_keeps_it():
    class Own(Shift):
        def get_config(self):
            return {**super().get_config(), "offset": self.offset}

    config = {"name": "own", "trainable": True, "dtype": "float32", "offset": 1.5}
    assert Own(1.5, axes=(2,), name="own").get_config() == config


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda: Shift(np.ones(2)), r"its argument offset=array"),
        (lambda: Shift(layers.Dense(2)), r"its argument offset=<Dense"),
        (lambda: Shift(options={1: "a"}), r"its argument options=\{1: 'a'\} is not plain"),
        (lambda: Shift(activity_regularizer=numkeras.regularizers.L2()), "activity_regularizer="),
    ],
)
def test_a_subclass_with_other_arguments_says_to_define_get_config(make, why):
    layer = make()
    with pytest.raises(NotImplementedError, match=f"Shift defines no get_config.*{why}"):
        layer.get_config()


def test_positional_only_and_star_args_leave_no_config():
    class PositionalOnly(layers.Layer):
        def __init__(self, size, /, **kwargs):
            super().__init__(**kwargs)

    class StarArgs(layers.Layer):
        def __init__(self, *sizes, **kwargs):
            super().__init__(**kwargs)
            self.sizes = sizes

    with pytest.raises(NotImplementedError, match="positional-only parameters"):
        PositionalOnly(3).get_config()
    with pytest.raises(NotImplementedError, match=r"given values for \*sizes"):
        StarArgs(1, 2).get_config()
    assert StarArgs(name="s").get_config()["name"] == "s"
