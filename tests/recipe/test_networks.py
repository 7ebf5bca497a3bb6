"""deep_mlp: the course's deep network with each of its activations."""

import pytest

from numkeras.layers import Activation, Dense, LeakyReLU, Maxout, PReLU
from numkeras.optimizers import SGD
from numkeras.recipe.networks import DEEP_ACTIVATIONS, deep_mlp


@pytest.mark.parametrize("activation", DEEP_ACTIVATIONS)
def test_deep_mlp_has_depth_hidden_layers_and_a_softmax(activation):
    model = deep_mlp(activation, depth=3, width=8, input_dim=5)
    kinds = [type(layer) for layer in model.layers]
    if activation == "maxout":
        assert kinds == [Maxout] * 3 + [Dense, Activation]
        assert model.layers[0].pieces == 2
    else:
        unit = {"leaky_relu": LeakyReLU, "prelu": PReLU}.get(activation, Activation)
        assert kinds == [Dense, unit] * 3 + [Dense, Activation]
    assert model.layer_output_shapes[-1] == (None, 10)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    assert isinstance(model.optimizer, SGD) and model.optimizer.learning_rate == 0.1


def test_leaky_relu_has_the_course_slope_and_bad_names_are_rejected():
    model = deep_mlp("leaky_relu", depth=1, width=4)
    assert model.layers[1].negative_slope == 0.01
    with pytest.raises(ValueError, match="Received: activation='swish'"):
        deep_mlp("swish")
