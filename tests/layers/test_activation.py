"""Activation layers and Maxout: formulas, gradients, shapes, Keras defaults and names, configs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numkeras import backend, constraints, initializers, regularizers
from numkeras.layers import Input, Layer
from numkeras.layers.activation import ELU, LeakyReLU, Maxout, MaxoutDense, PReLU, ReLU, Softmax
from numkeras.ops import Variable
from numkeras.ops.nn import Softmax as SoftmaxOp
from numkeras.utils.gradient_check import check_gradients


def away_from(x: np.ndarray, *kinks: float, margin: float = 0.1) -> np.ndarray:
    """``x`` with the values within ``margin`` of a kink moved 3·margin to its right, so that
    finite differences never straddle a kink."""
    x = x.copy()
    for kink in kinks:
        x[np.abs(x - kink) < margin] = kink + 3 * margin
    return x


def gradcheck_layer(make: Callable[[], Layer], x: np.ndarray, weights: list | None = None) -> None:
    """Build ``make()`` in float64 on ``x`` and check the gradients of input and weights."""
    with backend.floatx_scope("float64"):
        layer = make()
        xv = Variable(np.asarray(x, np.float64))
        layer(xv)
        if weights is not None:
            layer.set_weights(weights)
        check_gradients(lambda: layer(xv, training=True), xv, *layer.trainable_weights)


def torch_out(fn: Callable, x: np.ndarray, *args) -> np.ndarray:
    return fn(torch.from_numpy(x), *args).numpy()


rng = np.random.default_rng(0)
X = rng.standard_normal((5, 6)).astype(np.float32)


# -- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, kinks",
    [
        ({}, [0.0]),
        ({"max_value": 1.0}, [0.0, 1.0]),
        ({"negative_slope": 0.1}, [0.0]),
        ({"threshold": 0.5}, [0.5]),
        ({"max_value": 1.5, "negative_slope": 0.2, "threshold": -0.5}, [-0.5, 1.5]),
    ],
)
def test_relu_gradients(kwargs, kinks):
    gradcheck_layer(lambda: ReLU(**kwargs), away_from(2 * rng.standard_normal((4, 5)), *kinks))


def test_leaky_relu_gradients():
    gradcheck_layer(lambda: LeakyReLU(0.2), away_from(rng.standard_normal((4, 5)), 0.0))


@pytest.mark.parametrize(
    "shape, shared_axes", [((4, 5), None), ((3, 2, 2, 3), [1, 2]), ((3, 4, 2), 1)]
)
def test_prelu_gradients_reach_input_and_alpha(shape, shared_axes):
    # Random slopes (not the zeros default), so both branches carry a gradient.
    x = away_from(rng.standard_normal(shape), 0.0)
    alpha_shape = tuple(
        1 if i + 1 in np.atleast_1d(shared_axes or []) else n for i, n in enumerate(shape[1:])
    )
    alpha = rng.uniform(0.1, 0.5, alpha_shape)
    gradcheck_layer(lambda: PReLU(shared_axes=shared_axes), x, [alpha])


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_gradients(alpha):
    gradcheck_layer(lambda: ELU(alpha), away_from(rng.standard_normal((4, 5)), 0.0))


@pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((3, 4, 5), 1), ((3, 4, 5), (1, 2))])
def test_softmax_gradients(shape, axis):
    gradcheck_layer(lambda: Softmax(axis), rng.standard_normal(shape))


@pytest.mark.parametrize("shape, use_bias", [((4, 6), True), ((4, 6), False), ((2, 3, 6), True)])
def test_maxout_gradients_reach_input_kernel_and_bias(shape, use_bias):
    gradcheck_layer(
        lambda: Maxout(3, pieces=2, use_bias=use_bias, bias_initializer="random_normal"),
        rng.standard_normal(shape),
    )


# -- formulas and references -------------------------------------------------------------------
def test_relu_formula_with_all_options():
    layer = ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)
    x = np.array([[-3.0, 0.5, 1.0, 1.5, 2.0, 5.0]], np.float32)
    # up to 1: 0.5 (x - 1) (so 0 at the threshold itself, as in Keras); 1 to 2: x; from 2 on: 2
    np.testing.assert_allclose(layer(x).numpy(), [[-2.0, -0.25, 0.0, 1.5, 2.0, 2.0]])


def test_relu_matches_torch():
    np.testing.assert_allclose(ReLU()(X).numpy(), torch_out(F.relu, X))
    np.testing.assert_allclose(ReLU(max_value=6.0)(6 * X).numpy(), torch_out(F.relu6, 6 * X))
    np.testing.assert_allclose(ReLU(threshold=0.3)(X).numpy(), torch_out(F.threshold, X, 0.3, 0.0))


@pytest.mark.parametrize("slope", [0.3, 0.01, 0.0])
def test_leaky_relu_matches_torch(slope):
    np.testing.assert_allclose(LeakyReLU(slope)(X).numpy(), torch_out(F.leaky_relu, X, slope))


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_elu_matches_torch(alpha):
    np.testing.assert_allclose(
        ELU(alpha)(X).numpy(), torch_out(F.elu, X, alpha), rtol=1e-6, atol=1e-7
    )


def test_elu_does_not_overflow_on_large_inputs():
    out = ELU()(np.array([[1000.0, -1000.0]], np.float32)).numpy()
    np.testing.assert_array_equal(out, [[1000.0, -1.0]])


def test_prelu_matches_torch_forward_and_gradients():
    alpha = rng.uniform(0.05, 0.5, 6).astype(np.float32)
    layer = PReLU()
    layer(X)
    layer.set_weights([alpha])
    x = Variable(X)
    r = rng.standard_normal(X.shape).astype(np.float32)
    out = layer(x)
    (out * r).sum().backward()

    tx = torch.tensor(X, requires_grad=True)
    ta = torch.tensor(alpha, requires_grad=True)
    t_out = F.prelu(tx, ta)
    (t_out * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.alpha.grad, ta.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_prelu_with_shared_axes_is_torch_prelu_per_channel():
    images = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)  # channels last
    alpha = rng.uniform(0.05, 0.5, 3).astype(np.float32)
    layer = PReLU(shared_axes=[1, 2])
    layer(images)
    assert layer.alpha.shape == (1, 1, 3)
    layer.set_weights([alpha.reshape(1, 1, 3)])
    nchw = torch.from_numpy(images).permute(0, 3, 1, 2)
    expected = F.prelu(nchw, torch.from_numpy(alpha)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(layer(images).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_matches_torch_and_is_the_fusable_op(axis):
    np.testing.assert_allclose(
        Softmax(axis)(X).numpy(), torch_out(torch.softmax, X, axis), rtol=1e-6, atol=1e-7
    )
    # The fused softmax cross-entropy recognises a softmax output by the op that made it.
    assert isinstance(Softmax(axis)(Variable(X)).creator, SoftmaxOp)


def test_softmax_over_two_axes_sums_to_one_over_both():
    out = Softmax(axis=(1, 2))(rng.standard_normal((2, 3, 4))).numpy()
    np.testing.assert_allclose(out.sum(axis=(1, 2)), [1.0, 1.0], rtol=1e-6)


def maxout_by_hand(x, kernel, bias, pieces, units):
    z = x @ kernel + bias
    return z.reshape(*x.shape[:-1], pieces, units).max(axis=-2)


def test_maxout_is_the_max_of_linear_pieces():
    layer = Maxout(4, pieces=3, bias_initializer="random_normal")
    out = layer(X).numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, maxout_by_hand(X, kernel, bias, 3, 4), rtol=1e-6)


def test_maxout_runs_keras1_maxout_dense_weights():
    # Keras 1: output = max_p (x @ W[p] + b[p]) with W (nb_feature, input_dim, output_dim).
    w1 = rng.standard_normal((3, 6, 4)).astype(np.float32)
    b1 = rng.standard_normal((3, 4)).astype(np.float32)
    keras1 = np.max(np.einsum("bi,pio->bpo", X, w1) + b1, axis=1)
    layer = Maxout(4, pieces=3)
    layer(X)
    layer.set_weights([w1.transpose(1, 0, 2).reshape(6, -1), b1.reshape(-1)])
    np.testing.assert_allclose(layer(X).numpy(), keras1, rtol=1e-5, atol=1e-6)


def test_maxout_with_one_piece_is_linear():
    layer = Maxout(3, pieces=1, bias_initializer="random_normal")
    out = layer(X).numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, X @ kernel + bias, rtol=1e-6)


def test_maxout_gradient_goes_to_the_winning_piece_only():
    layer = Maxout(1, pieces=2, use_bias=False)
    layer(np.ones((1, 1), np.float32))
    layer.set_weights([np.array([[1.0, 3.0]], np.float32)])  # piece 2 wins for x > 0
    x = Variable(np.array([[2.0]], np.float32))
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.kernel.grad, [[0.0, 2.0]])
    np.testing.assert_array_equal(x.grad, [[3.0]])


# -- shapes, dtypes, parameter counts ------------------------------------------------------------
ALL_LAYERS = [
    lambda: ReLU(),
    lambda: ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
    lambda: LeakyReLU(),
    lambda: PReLU(),
    lambda: PReLU(shared_axes=[1]),
    lambda: ELU(),
    lambda: Softmax(),
    lambda: Softmax(axis=1),
    lambda: Maxout(3),
    lambda: Maxout(2, pieces=5),
]


@pytest.mark.parametrize("make", ALL_LAYERS)
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 6)])
def test_compute_output_shape_agrees_with_call_and_with_symbolic_calls(make, shape):
    layer = make()
    out = layer(rng.standard_normal(shape).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *out.shape[1:])
    assert make()(Input(shape[1:])).shape == (None, *out.shape[1:])


def test_parameter_counts():
    prelu = PReLU()
    prelu(np.zeros((1, 500), np.float32))
    assert prelu.count_params() == 500
    shared = PReLU(shared_axes=[1, 2])
    shared(np.zeros((1, 28, 28, 32), np.float32))
    assert shared.count_params() == 32
    maxout = Maxout(500, pieces=4)
    maxout(np.zeros((1, 784), np.float32))
    assert maxout.kernel.shape == (784, 2000)
    assert maxout.count_params() == 784 * 2000 + 2000
    for layer in (ReLU(), LeakyReLU(), ELU(), Softmax()):
        layer(X)
        assert layer.count_params() == 0 and layer.weights == []


# -- Keras defaults ------------------------------------------------------------------------------
def test_keras_defaults():
    relu = ReLU()
    assert (relu.max_value, relu.negative_slope, relu.threshold) == (None, 0.0, 0.0)
    assert LeakyReLU().negative_slope == 0.3
    assert ELU().alpha == 1.0
    assert Softmax().axis == -1
    prelu = PReLU()
    prelu(X)
    np.testing.assert_array_equal(prelu.alpha.numpy(), np.zeros(6))
    assert prelu.alpha.dtype == np.float32
    maxout = Maxout(50)
    assert (maxout.pieces, maxout.use_bias) == (4, True)
    assert isinstance(maxout.kernel_initializer, initializers.GlorotUniform)


def test_maxout_kernel_is_glorot_uniform_and_bias_zero():
    maxout = Maxout(100, pieces=4)
    maxout(np.zeros((1, 300), np.float32))
    kernel, bias = maxout.get_weights()
    limit = np.sqrt(6 / (300 + 400))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit
    assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.03)
    np.testing.assert_array_equal(bias, np.zeros(400))


def test_layers_are_the_keras_names():
    assert MaxoutDense is Maxout
    from numkeras import registry

    for cls in (ReLU, LeakyReLU, PReLU, ELU, Softmax, Maxout):
        assert registry.registered_class(cls.__name__) is cls


# -- Keras 1 names -------------------------------------------------------------------------------
def assert_warned_once_each(record, *modern: str) -> None:
    messages = [str(w.message) for w in record]
    for name in modern:
        assert sum(f"{name}=" in m for m in messages) == 1, (name, messages)


def test_keras1_maxout_dense():
    with pytest.warns(UserWarning) as record:
        layer = MaxoutDense(
            output_dim=5,
            nb_feature=3,
            init="uniform",
            W_regularizer=regularizers.l2(0.01),
            b_regularizer="l1",
        )
    assert_warned_once_each(
        record, "units", "pieces", "kernel_initializer", "kernel_regularizer", "bias_regularizer"
    )
    assert (layer.units, layer.pieces) == (5, 3)
    layer(np.zeros((2, 8), np.float32))
    assert np.abs(layer.kernel.numpy()).max() <= 0.05  # Keras's 'uniform': U(-0.05, 0.05)
    assert len(layer.losses) == 2


def test_keras1_leaky_relu_alpha_is_the_negative_slope():
    with pytest.warns(UserWarning) as record:
        layer = LeakyReLU(alpha=0.1)
    assert_warned_once_each(record, "negative_slope")
    assert layer.negative_slope == 0.1


def test_keras1_prelu_init_is_the_alpha_initializer():
    with pytest.warns(UserWarning) as record:
        layer = PReLU(init="one")
    assert_warned_once_each(record, "alpha_initializer")
    layer(X)
    np.testing.assert_array_equal(layer.alpha.numpy(), np.ones(6))


def test_elu_alpha_is_not_renamed():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ELU(alpha=0.5).alpha == 0.5


# -- configs -------------------------------------------------------------------------------------
CONFIGURED = [
    lambda: ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="r"),
    lambda: LeakyReLU(0.2, input_shape=(6,)),
    lambda: PReLU(
        alpha_initializer="ones",
        alpha_regularizer=regularizers.L2(0.1),
        alpha_constraint="non_neg",
        shared_axes=[1],
    ),
    lambda: ELU(0.7, trainable=False),
    lambda: Softmax(axis=(1, 2)),
    lambda: Maxout(
        7,
        pieces=2,
        kernel_initializer="he_normal",
        bias_initializer="ones",
        kernel_regularizer=regularizers.L1L2(0.1, 0.2),
        bias_regularizer="l2",
        kernel_constraint=constraints.MaxNorm(3.0),
        bias_constraint="non_neg",
        use_bias=True,
        activity_regularizer="l1",
    ),
    lambda: Maxout(2, use_bias=False),
]


@pytest.mark.parametrize("make", CONFIGURED)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    assert type(rebuilt).from_config(rebuilt.get_config()).get_config() == config


def test_config_is_plain_json():
    import json

    for make in CONFIGURED:
        config = make().get_config()
        assert json.loads(json.dumps(config)) == config


# -- regularizers, constraints, freezing, weights ------------------------------------------------
def test_regularizer_penalties_appear_in_losses():
    prelu = PReLU(alpha_initializer="ones", alpha_regularizer=regularizers.L2(0.5))
    prelu(X)
    assert [loss.item() for loss in prelu.losses] == pytest.approx([0.5 * 6])
    maxout = Maxout(
        2,
        pieces=2,
        kernel_regularizer=regularizers.L1(0.1),
        bias_initializer="ones",
        bias_regularizer=regularizers.L2(0.2),
    )
    maxout(X)
    kernel, _ = maxout.get_weights()
    assert [loss.item() for loss in maxout.losses] == pytest.approx(
        [0.1 * np.abs(kernel).sum(), 0.2 * 4], rel=1e-6
    )


def test_constraints_are_stored_on_the_variables():
    prelu = PReLU(alpha_constraint="non_neg")
    prelu(X)
    assert isinstance(prelu.alpha.constraint, constraints.NonNeg)
    maxout = Maxout(2, kernel_constraint=constraints.MaxNorm(2.0), bias_constraint="non_neg")
    maxout(X)
    assert isinstance(maxout.kernel.constraint, constraints.MaxNorm)
    assert maxout.kernel.constraint.max_value == 2.0
    assert isinstance(maxout.bias.constraint, constraints.NonNeg)


@pytest.mark.parametrize("make", [lambda **kw: PReLU(**kw), lambda **kw: Maxout(3, **kw)])
def test_trainable_false_freezes_the_weights(make):
    layer = make(trainable=False)
    layer(X)
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == len(layer.weights) > 0
    x = Variable(X)
    layer(x).sum().backward()
    assert all(w.grad is None for w in layer.weights)
    assert x.grad is not None
    layer.trainable = True
    assert layer.trainable_weights == layer.weights


def test_set_weights_checks_count_and_shapes():
    maxout = Maxout(3, pieces=2, name="mx")
    maxout(X)
    with pytest.raises(ValueError, match=r"'mx'.*2 weight arrays.*received 1"):
        maxout.set_weights([np.zeros((6, 6))])
    with pytest.raises(ValueError, match=r"'mx'.*\(6, 6\).*\(6, 5\)"):
        maxout.set_weights([np.zeros((6, 5)), np.zeros(6)])
    prelu = PReLU(name="pr")
    prelu(X)
    with pytest.raises(ValueError, match=r"'pr'.*\(6,\).*\(5,\)"):
        prelu.set_weights([np.zeros(5)])


@pytest.mark.parametrize("make", [lambda: Maxout(3, name="bad_in"), lambda: PReLU(name="bad_in")])
def test_an_input_of_the_wrong_last_dimension_is_refused(make):
    layer = make()
    layer(X)
    with pytest.raises(
        ValueError,
        match=r"'bad_in'.*Expected shape \(None, 6\), received shape "
        r"\(5, 4\)",
    ):
        layer(np.zeros((5, 4), np.float32))


def test_prelu_shares_alpha_only_along_the_shared_axes():
    layer = PReLU(shared_axes=[1], name="p_shared")
    layer(np.zeros((2, 3, 4), np.float32))
    layer(np.zeros((2, 7, 4), np.float32))  # axis 1 is shared, so its size is free
    with pytest.raises(ValueError, match="p_shared"):
        layer(np.zeros((2, 3, 5), np.float32))


# -- bad arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, received",
    [
        (lambda: Maxout(0), "units=0"),
        (lambda: Maxout(2.5), "units=2.5"),
        (lambda: Maxout(3, pieces=0), "pieces=0"),
        (lambda: ReLU(max_value=-1.0), "max_value=-1.0"),
        (lambda: ReLU(negative_slope=-0.1), "negative_slope=-0.1"),
        (lambda: ReLU(threshold=None), "threshold=None"),
        (lambda: LeakyReLU(-0.3), "negative_slope=-0.3"),
        (lambda: LeakyReLU(None), "negative_slope=None"),
        (lambda: ELU("big"), "alpha='big'"),
        (lambda: PReLU(shared_axes=[0]), "shared_axes=[0]"),
        (lambda: Softmax(axis="last"), "axis='last'"),
        (lambda: Maxout(3, kernel_initializer="nope"), "nope"),
        (lambda: PReLU(alpha_regularizer="nope"), "nope"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_value(make, received):
    with pytest.raises(ValueError, match=received.replace("[", r"\[").replace(".", r"\.")):
        make()


def test_prelu_shared_axes_beyond_the_input_rank_is_refused():
    with pytest.raises(ValueError, match=r"shared_axes=\[2\] for inputs of shape \(5, 6\)"):
        PReLU(shared_axes=[2])(X)


def test_maxout_needs_a_known_last_dimension():
    with pytest.raises(ValueError, match=r"'open_end'.*input_shape=\(None, None\)"):
        Maxout(3, name="open_end")(Input((None,)))


def test_integer_arguments_may_be_numpy_integers():
    layer = Maxout(np.int64(3), pieces=np.int32(2))
    assert (layer.units, layer.pieces) == (3, 2) and type(layer.units) is int
    assert LeakyReLU(np.float32(0.5)).negative_slope == 0.5


def test_prelu_needs_known_sizes_on_the_axes_it_does_not_share():
    with pytest.raises(ValueError, match=r"input_shape=\(None, None, 3\)"):
        PReLU()(Input((None, 3)))
    assert PReLU(shared_axes=1)(Input((None, 3))).shape == (None, None, 3)


@pytest.mark.parametrize("axis", [2, -3, 10**9, (1, 2)])
def test_softmax_refuses_an_axis_out_of_the_inputs_rank(axis):
    with pytest.raises(ValueError, match=r"Softmax\): axis=.* is out of range .* \[-2, 2\)"):
        Softmax(axis=axis)(Input((3,)))


@pytest.mark.parametrize("axis", [1, -1, -2, (0, 1)])
def test_softmax_accepts_every_axis_of_its_inputs(axis):
    assert Softmax(axis=axis)(np.ones((2, 3), np.float32)).shape == (2, 3)
