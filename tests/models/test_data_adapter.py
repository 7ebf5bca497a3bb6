"""The one entry point of data preparation: arrays, generators, Sequences, validation data,
class and sample weights, each turned into epochs of (xs, ys, sample_weight) batches."""

import numpy as np
import pytest

from numkeras import backend
from numkeras.layers import Dense, Input
from numkeras.models import Model, Sequential
from numkeras.models import data_adapter as da


def regressor(inputs=2, outputs=3):
    model = Sequential([Dense(outputs, input_shape=(inputs,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def numbered(n=10, features=2):
    """Samples whose first feature is their index, and one-hot targets of three classes."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    return x, np.eye(3, dtype=np.float32)[np.arange(n) % 3]


def first_features(adapter):
    return [xb[0][:, 0].copy() for xb, _, _ in adapter]


# -- arrays -----------------------------------------------------------------------------------
def test_arrays_give_batches_of_batch_size_and_a_smaller_last_one():
    x, y = numbered(10)
    adapter = da.get_data_adapter(regressor(), x, y, batch_size=4)
    assert adapter.steps == 3
    batches = list(adapter)
    assert [len(xb[0]) for xb, _, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([yb[0] for _, yb, _ in batches]), y)
    assert all(sw is None for _, _, sw in batches)


def test_the_default_batch_size_is_keras_s_32():
    x, y = numbered(70)
    assert da.get_data_adapter(regressor(), x, y).steps == 3


@pytest.mark.parametrize(("steps", "expected"), [(2, 2), (1.5, 2), (10, 3)])
def test_steps_caps_the_batches_of_an_epoch_and_a_fraction_means_one_more(steps, expected):
    x, y = numbered(10)
    adapter = da.get_data_adapter(regressor(), x, y, batch_size=4, steps=steps)
    assert adapter.steps == expected == len(list(adapter))


def test_unshuffled_batches_are_views_of_the_data():
    x, y = numbered(10)
    (xb, yb, _), *_ = da.get_data_adapter(regressor(), x, y, batch_size=4)
    assert np.shares_memory(xb[0], x) and np.shares_memory(yb[0], y)


def test_shuffling_draws_one_permutation_per_epoch_from_numkeras_s_stream():
    x, y = numbered(10)
    backend.set_random_seed(3)
    adapter = da.get_data_adapter(regressor(), x, y, batch_size=4, shuffle=True)
    epochs = [np.concatenate(first_features(adapter)) for _ in range(2)]
    after = backend.rng().random()
    backend.set_random_seed(3)
    regressor()  # the same initializer draws as above
    expected = [backend.rng().permutation(10) for _ in range(2)]
    np.testing.assert_array_equal(epochs, expected)
    assert backend.rng().random() == after  # nothing else drawn: exact resume relies on it


def test_shuffled_batches_are_taken_into_buffers_reused_across_steps():
    x, y = numbered(12)
    adapter = da.get_data_adapter(regressor(), x, y, batch_size=4, shuffle=True)
    first = [(id(xb[0]), id(yb[0])) for xb, yb, _ in adapter]
    second = [(id(xb[0]), id(yb[0])) for xb, yb, _ in adapter]
    assert len(set(first)) == 1 and first == second


def test_a_dict_or_list_of_arrays_gives_one_array_per_input():
    a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
    model = Model([a, b], [Dense(1)(a), Dense(1)(b)])
    xa, xb = np.ones((6, 2), np.float32), np.zeros((6, 3), np.float32)
    for x in ([xa, xb], {"a": xa, "b": xb}):
        ((inputs, targets, _),) = da.get_data_adapter(model, x, batch_size=6)
        assert [i.shape for i in inputs] == [(6, 2), (6, 3)] and targets is None


def test_arrays_are_converted_once_to_floatx():
    x = np.arange(8, dtype=np.int64).reshape(4, 2)
    ((xb, yb, _),) = da.get_data_adapter(regressor(), x, [[0.0, 1.0, 0.0]] * 4)
    assert xb[0].dtype == yb[0].dtype == np.float32


def test_input_shape_mismatch_names_x_and_suggests_flattening():
    with pytest.raises(
        ValueError,
        match=r"x has samples of shape \(1, 2\).*expects samples of "
        r"shape \(2,\).*Flatten the samples first",
    ):
        da.get_data_adapter(regressor(), np.ones((4, 1, 2)), np.ones((4, 3)))


def test_prediction_lets_nan_through_and_training_does_not():
    x = np.array([[np.nan, 1.0]], np.float32)
    ((xb, _, _),) = da.get_data_adapter(regressor(), x, check_finite=False)
    assert np.isnan(xb[0][0, 0])
    with pytest.raises(
        ValueError,
        match=r"x contains NaN or inf values \(the first at index "
        r"\(0, 0\)\)",
    ):
        da.get_data_adapter(regressor(), x, np.ones((1, 3)))


# -- class and sample weights -----------------------------------------------------------------
def test_class_weight_becomes_per_sample_weights_times_sample_weight():
    x, y = numbered(6)
    sample_weight = np.arange(1, 7, dtype=np.float32)
    ((_, _, sw),) = da.get_data_adapter(
        regressor(), x, y, sample_weight, batch_size=6, class_weight={0: 2.0, 2: 0.5}
    )
    np.testing.assert_allclose(sw, np.array([2, 1, 0.5, 2, 1, 0.5]) * sample_weight)


def test_class_weight_with_integer_labels_uses_the_model_s_output_units():
    weights = da.class_weights_to_sample_weights({3: 4.0}, np.array([0.0, 3.0]), None, units=5)
    np.testing.assert_array_equal(weights, [1.0, 4.0])
    with pytest.raises(ValueError, match=r"keys \[5\] outside the valid class indices 0 to 4"):
        da.class_weights_to_sample_weights({5: 1.0}, np.array([0.0, 3.0]), None, units=5)


def test_class_weight_needs_one_target_array():
    x, _ = numbered(6)
    with pytest.raises(ValueError, match="class_weight needs exactly one target array y"):
        da.prepare_arrays(regressor(), x, None, class_weight={0: 1.0})


# -- validation data --------------------------------------------------------------------------
def test_validation_split_keeps_the_last_fraction_of_every_array_unshuffled():
    x, y = numbered(10)
    sw = np.arange(10.0)
    (tx, ty, tsw), (vx, vy, vsw) = da.split_validation([x, x + 1], y, sw, 0.2)
    assert len(tx) == 2 and len(vx) == 2
    np.testing.assert_array_equal(tx[1], x[:8] + 1)
    np.testing.assert_array_equal(vx[0], x[8:])
    np.testing.assert_array_equal(ty, y[:8])
    np.testing.assert_array_equal(vy, y[8:])
    np.testing.assert_array_equal(tsw, sw[:8])
    np.testing.assert_array_equal(vsw, sw[8:])


def test_validation_split_that_leaves_a_side_empty_is_refused():
    x, y = numbered(3)
    with pytest.raises(ValueError, match="leaves no training or no validation sample out of 3"):
        da.split_validation(x, y, None, 0.9)


def fit_adapters(model, x, y=None, **given):
    arguments = dict(
        batch_size=4,
        shuffle=False,
        class_weight=None,
        steps_per_epoch=None,
        validation_split=0.0,
        validation_data=None,
        validation_steps=None,
        validation_batch_size=None,
    )
    return da.get_fit_adapters(model, x, y, None, **{**arguments, **given})


def test_fit_adapters_split_validation_from_the_training_arrays():
    x, y = numbered(10)
    train, validation = fit_adapters(
        regressor(), x, y, validation_split=0.2, validation_batch_size=1
    )
    assert train.num_samples == 8 and validation.num_samples == 2
    assert validation.steps == 2 and not validation.shuffle
    assert fit_adapters(regressor(), x, y)[1] is None


def test_fit_adapters_prefer_validation_data_to_validation_split():
    x, y = numbered(10)
    train, validation = fit_adapters(
        regressor(), x, y, validation_split=0.5, validation_data=(x[:3], y[:3], np.ones(3))
    )
    assert train.num_samples == 10 and validation.num_samples == 3
    assert validation.batch_size == 4
    np.testing.assert_array_equal(validation.sample_weight, np.ones(3))


def test_validation_split_needs_arrays():
    x, y = numbered(8)
    with pytest.raises(ValueError, match="validation_split needs arrays"):
        fit_adapters(regressor(), iter([(x, y)]), validation_split=0.5)


# -- generators and Sequences -----------------------------------------------------------------
def test_a_generator_continues_across_epochs_and_runs_dry():
    x, y = numbered(8)
    adapter = da.get_data_adapter(
        regressor(), ((x[i : i + 2], y[i : i + 2]) for i in (0, 2, 4)), steps=2
    )
    assert len(list(adapter)) == 2 and not adapter.ran_dry
    ((xb, _, _),) = adapter
    np.testing.assert_array_equal(xb[0][:, 0], [4, 5])
    assert adapter.ran_dry


def test_a_generator_item_may_bring_sample_weights():
    x, y = numbered(4)
    ((xb, yb, sw),) = da.get_data_adapter(regressor(), iter([(x, y, [1, 2, 3, 4])]))
    assert xb[0].shape == (4, 2) and yb[0].shape == (4, 3)
    np.testing.assert_array_equal(sw, [1, 2, 3, 4])


def test_a_generator_refuses_targets_beside_it_naming_the_argument():
    x, y = numbered(4)
    with pytest.raises(
        ValueError,
        match="When validation_data is a generator.*sample_weight "
        "must be None. Received: sample_weight of type ndarray",
    ):
        da.get_data_adapter(
            regressor(), iter([(x, y)]), sample_weight=np.ones(4), argument="validation_data"
        )


class Batches:
    """A Sequence of two batches that counts its epochs."""

    def __init__(self):
        self.x, self.y = numbered(4)
        self.epochs_ended = 0

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return self.x[2 * index : 2 * index + 2], self.y[2 * index : 2 * index + 2]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_a_sequence_gives_its_length_in_steps_every_epoch():
    sequence = Batches()
    adapter = da.get_data_adapter(regressor(), sequence)
    assert adapter.steps == 2
    for _ in range(2):
        assert [b[0][0][:, 0].tolist() for b in adapter] == [[0, 1], [2, 3]]
    assert sequence.epochs_ended == 2 and not adapter.ran_dry
