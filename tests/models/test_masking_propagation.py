"""Masks travel with tensors as in Keras 3: from Embedding(mask_zero=True) or Masking through the
layers that support masking to a layer whose call takes ``mask`` and to the loss and metrics,
in subclassed, Sequential and functional models alike, fused Dense included."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import numkeras
from numkeras import layers, losses, metrics, models, ops
from numkeras.models import fusion

IDS = np.array([[1, 2, 0, 0], [3, 1, 4, 0], [2, 0, 0, 0]])
MASK = (IDS != 0).tolist()


class MaskReader(layers.Layer):
    """Records the mask its call receives; passes its input on, and so its mask."""

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(mask)
        return inputs


def _stack(kind: str, stack: list) -> models.Model:
    """``stack`` (an Embedding first) as a Sequential, functional or subclassed model."""
    if kind == "sequential":
        return models.Sequential([layers.Input((4,), dtype="int32"), *stack])
    if kind == "functional":
        x = inputs = layers.Input((4,), dtype="int32")
        for layer in stack:
            x = layer(x)
        return models.Model(inputs, x)

    class Stacked(models.Model):
        def __init__(self):
            super().__init__()
            self.stack = stack

        def call(self, inputs):
            for layer in self.stack:
                inputs = layer(inputs)
            return inputs

    return Stacked()


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_the_mask_reaches_call_through_layers_that_support_masking(kind):
    reader = MaskReader()
    stack = [
        layers.Embedding(5, 3, mask_zero=True),
        layers.Dense(4, activation="relu"),  # fused with its activation in a graph
        layers.Dropout(0.5),
        layers.LayerNormalization(),
        reader,
    ]
    out = _stack(kind, stack)(IDS, training=True)
    mask = reader.seen[-1]
    assert isinstance(mask, ops.Tensor) and mask.dtype == bool
    assert mask.data.tolist() == MASK
    assert out._keras_mask.data.tolist() == MASK


def test_a_fused_dense_and_activation_pass_the_mask_on():
    model = _stack("sequential", [layers.Embedding(5, 3, mask_zero=True), layers.Dense(2)])
    model.add(layers.Activation("relu"))
    plan = fusion.fuse(model._graph())
    assert [call.activation for call in plan] == [None, "relu"]  # the Activation is dropped
    assert model(IDS)._keras_mask.data.tolist() == MASK


def test_supports_masking_defaults_as_in_keras():
    class WithComputeMask(layers.Layer):
        def compute_mask(self, inputs, mask=None):
            return mask

    assert not layers.Layer().supports_masking
    assert WithComputeMask().supports_masking  # defining compute_mask implies support
    assert layers.Dense(2).supports_masking and layers.Dropout(0.1).supports_masking
    assert not layers.Flatten().supports_masking
    assert layers.Embedding(2, 2).supports_masking  # and gives a mask only with mask_zero


def test_a_layer_without_masking_support_drops_the_mask_with_keras_warning():
    embedded = layers.Embedding(5, 3, mask_zero=True)(IDS)
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.Flatten()(embedded)
    assert out._keras_mask is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Flatten()(layers.Embedding(5, 3)(IDS))  # no mask, no warning


def test_an_op_node_drops_the_mask_silently_as_keras_ops_do():
    inputs = layers.Input((4,), dtype="int32")
    model = models.Model(inputs, layers.Embedding(5, 3, mask_zero=True)(inputs) * 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model(IDS)._keras_mask is None


def test_an_explicit_mask_wins_and_arrays_become_boolean_tensors():
    reader = MaskReader()
    embedded = layers.Embedding(5, 3, mask_zero=True)(IDS)
    given = np.ones((3, 4), np.int32)
    out = reader(embedded, mask=given)
    assert reader.seen[0].dtype == bool and reader.seen[0].data.all()
    assert out._keras_mask.data.tolist() == MASK  # the output's own mask was already there


def test_with_another_tensor_argument_the_mask_is_not_passed_on_as_in_keras():
    # Keras 3 fills in ``mask`` only for a call whose sole tensor argument is the input (an
    # RNN called with initial_state=[h, c] gets no mask unless given one).
    class WithState(layers.Layer):
        supports_masking = True

        def call(self, inputs, state=None, mask=None):
            self.seen = mask
            return inputs

    layer = WithState()
    embedded = layers.Embedding(5, 3, mask_zero=True)(IDS)
    layer(embedded, state=np.zeros((3, 2), np.float32))
    assert layer.seen is None
    layer(embedded, state=None)
    assert layer.seen.data.tolist() == MASK


def test_a_model_call_takes_a_mask_for_its_inputs():
    reader = MaskReader()
    inputs = layers.Input((4, 3))
    model = models.Model(inputs, reader(layers.Dense(3)(inputs)))
    x = np.ones((3, 4, 3), np.float32)
    seq = models.Sequential([layers.Input((4, 3)), reader])
    for model_ in (model, seq):
        # A model does not support masking itself, so Keras 3's warning comes with the mask.
        with pytest.warns(UserWarning, match=f"'{model_.name}'.*does not support masking"):
            model_(x, mask=IDS != 0)
        assert reader.seen[-1].data.tolist() == MASK


# -- losses and metrics ------------------------------------------------------------------------
def test_the_mask_weighs_the_loss_as_keras_folds_it_into_sample_weight():
    values = ops.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    mask = np.array([[True, False], [True, True]])
    reduce = losses.reduce_weighted_values
    assert float(reduce(values, None, "sum_over_batch_size", mask)) == pytest.approx(8 / 3)
    assert float(reduce(values, None, "sum", mask)) == pytest.approx(8)
    weighted = reduce(values, np.array([1.0, 2.0]), "sum_over_batch_size", mask)
    assert float(weighted) == pytest.approx((1 + 6 + 8) / 3)
    assert float(reduce(values, None, "mean_with_sample_weight", mask)) == pytest.approx(8 / 3)
    nothing = np.zeros((2, 2), bool)  # no unmasked value: 0, as Keras's divide_no_nan
    assert float(reduce(values, None, "sum_over_batch_size", nothing)) == 0.0


def test_a_masked_output_counts_its_unmasked_values_in_loss_and_accuracy():
    probs = ops.Tensor(np.array([[[0.9, 0.1], [0.2, 0.8]]], np.float32))
    probs._keras_mask = ops.Tensor(np.array([[True, False]]))
    labels = np.array([[0, 0]])
    loss = losses.SparseCategoricalCrossentropy()(labels, probs)
    assert float(loss) == pytest.approx(-np.log(0.9), rel=1e-6)
    accuracy = metrics.SparseCategoricalAccuracy()
    accuracy.update_state(labels, probs)
    assert accuracy.result() == 1.0  # the wrong, masked step is not counted


def _twins(keras, head: str):
    """The same masked sequence classifier in Keras and numkeras, on Keras's weights."""

    def build(lib):
        inputs = lib.Input((4,), dtype="int32")
        x = lib.layers.Embedding(5, 3, mask_zero=True)(inputs)
        dense = lib.layers.Dense(3, activation="softmax")
        x = dense(x) if head == "dense" else lib.layers.TimeDistributed(dense)(x)
        model = lib.Model(inputs, x)
        model.compile(
            optimizer=lib.optimizers.SGD(0.5),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    theirs, ours = build(keras), build(numkeras)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


@pytest.mark.parametrize("head", ["dense", "time_distributed"])
def test_loss_accuracy_and_one_sgd_step_match_keras_on_a_masked_sequence(keras, head):
    theirs, ours = _twins(keras, head)
    labels = np.array([[0, 2, 1, 1], [1, 0, 2, 2], [2, 2, 0, 0]])
    want = theirs.evaluate(IDS, labels, verbose=0)
    got = ours.evaluate(IDS, labels, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # The step's loss only: Keras on JAX loses the mask of the outputs that its gradient
    # function returns, so its training accuracy counts the masked steps (its test step, as
    # its TensorFlow and torch trainers, does not); numkeras counts them in neither.
    want_loss = theirs.train_on_batch(IDS, labels)[0]
    got_loss = ours.train_on_batch(IDS, labels)[0]
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5, atol=1e-6)
    for got_w, want_w in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got_w, want_w, atol=1e-5)


def test_the_masked_loss_differentiates_to_zero_at_masked_steps():
    embedding = layers.Embedding(5, 3, mask_zero=True)
    dense = layers.Dense(1)
    out = dense(embedding(IDS))
    loss = losses.MeanSquaredError()(np.ones((3, 4, 1), np.float32), out)
    loss.backward()
    # Id 0 appears only at masked steps: its embedding row gets no gradient.
    np.testing.assert_array_equal(embedding.embeddings.grad[0], 0.0)
    assert np.abs(embedding.embeddings.grad[1:]).sum() > 0
    assert float(loss) == pytest.approx(
        float(ops.mean(ops.square(out.data[IDS != 0] - 1.0))), rel=1e-6
    )


def test_embedding_then_masked_average_pooling_trains_as_keras(keras):
    # The bag-of-embeddings sentiment model: the mean over the real words only.
    def build(lib):
        model = lib.Sequential(
            [
                lib.Input((4,), dtype="int32"),
                lib.layers.Embedding(5, 3, mask_zero=True),
                lib.layers.GlobalAveragePooling1D(),
                lib.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="binary_crossentropy")
        return model

    theirs, ours = build(keras), build(numkeras)
    ours.set_weights(theirs.get_weights())
    labels = np.array([[1.0], [0.0], [1.0]], np.float32)
    np.testing.assert_allclose(
        ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), atol=1e-6
    )
    np.testing.assert_allclose(
        ours.train_on_batch(IDS, labels), theirs.train_on_batch(IDS, labels), rtol=1e-5
    )
    for got, want in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_embedding_mask_reaches_an_lstm_and_the_loss_as_in_keras(keras, return_sequences):
    # Padded sentences: the LSTM carries its state over the padding, the loss leaves it out.
    def build(lib):
        model = lib.Sequential(
            [
                lib.Input((4,), dtype="int32"),
                lib.layers.Embedding(5, 3, mask_zero=True),
                lib.layers.LSTM(4, return_sequences=return_sequences),
                lib.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
        return model

    theirs, ours = build(keras), build(numkeras)
    ours.set_weights(theirs.get_weights())
    labels = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0]])
    labels = labels if return_sequences else labels[:, :1]
    want = theirs.predict(IDS, verbose=0)
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), want, atol=1e-6)
    np.testing.assert_allclose(
        ours.train_on_batch(IDS, labels), theirs.train_on_batch(IDS, labels), rtol=1e-5
    )
    for got, want_w in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, want_w, atol=1e-6)
