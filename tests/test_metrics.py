"""Metrics: exact epoch figures over uneven batches, weights, names, resolution and configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numkeras import losses, metrics, ops

RNG = np.random.default_rng(7)
N, C = 8, 4
LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype=np.float32)[LABELS]
PROBS = RNG.dirichlet(np.ones(C), N).astype(np.float32)
BINARY = RNG.integers(0, 2, (N, 1)).astype(np.float32)
BINARY_PROBS = RNG.uniform(0, 1, (N, 1)).astype(np.float32)
WEIGHTS = RNG.uniform(0, 2, N)


def _hits(labels, scores, k):
    """Whether each label is among the k top scores, counting ties as in (by sorting)."""
    kth = np.sort(scores, axis=-1)[:, -k]
    return scores[np.arange(len(labels)), labels] >= kth


# Each case: a fresh metric, its targets, predictions, and the per-sample values by hand.
CASES = {
    "categorical_accuracy": (
        metrics.CategoricalAccuracy,
        ONE_HOT,
        PROBS,
        PROBS.argmax(-1) == LABELS,
    ),
    "sparse_categorical_accuracy": (
        metrics.SparseCategoricalAccuracy,
        LABELS,
        PROBS,
        PROBS.argmax(-1) == LABELS,
    ),
    "binary_accuracy": (
        metrics.BinaryAccuracy,
        BINARY,
        BINARY_PROBS,
        (BINARY_PROBS > 0.5) == BINARY,
    ),
    "accuracy": (metrics.Accuracy, LABELS, PROBS.argmax(-1), PROBS.argmax(-1) == LABELS),
    "top_k": (
        lambda: metrics.TopKCategoricalAccuracy(k=2),
        ONE_HOT,
        PROBS,
        _hits(LABELS, PROBS, 2),
    ),
    "sparse_top_k": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
        LABELS,
        PROBS,
        _hits(LABELS, PROBS, 2),
    ),
    "mean_squared_error": (
        metrics.MeanSquaredError,
        ONE_HOT,
        PROBS,
        ((ONE_HOT - PROBS) ** 2).mean(-1),
    ),
    "mean_absolute_error": (
        metrics.MeanAbsoluteError,
        ONE_HOT,
        PROBS,
        np.abs(ONE_HOT - PROBS).mean(-1),
    ),
}


def _per_sample(values):
    return np.asarray(values, dtype=np.float64).reshape(N, -1).mean(-1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_uneven_batches_give_the_exact_full_data_value(name):
    make, y_true, y_pred, hand = CASES[name]
    metric = make()
    metric.update_state(y_true[:3], y_pred[:3])
    metric.update_state(y_true[3:], y_pred[3:])
    batched = metric.result()
    assert isinstance(batched, float)
    assert batched == pytest.approx(_per_sample(hand).mean(), rel=1e-6)
    whole = make()
    whole.update_state(y_true, y_pred)
    assert whole.result() == pytest.approx(batched, rel=1e-12)
    # ...which an average of the two batch averages would not be:
    first, second = _per_sample(hand)[:3].mean(), _per_sample(hand)[3:].mean()
    if first != second:
        assert batched != pytest.approx((first + second) / 2, rel=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_weights_give_the_weighted_mean(name):
    make, y_true, y_pred, hand = CASES[name]
    metric = make()
    metric.update_state(y_true[:3], y_pred[:3], sample_weight=WEIGHTS[:3])
    metric.update_state(y_true[3:], y_pred[3:], sample_weight=WEIGHTS[3:, None])  # (n, 1) too
    expected = (_per_sample(hand) * WEIGHTS).sum() / WEIGHTS.sum()
    assert metric.result() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_reset_state_and_call(name):
    make, y_true, y_pred, hand = CASES[name]
    metric = make()
    metric.update_state(y_true[:2], y_pred[:2])
    metric.reset_state()
    assert metric.result() == 0.0
    assert metric(y_true[2:], y_pred[2:]) == pytest.approx(_per_sample(hand)[2:].mean(), rel=1e-6)


def test_mean_of_values():
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state(np.array([[4.0, 6.0]]))  # a sample of two values counts as two values
    assert mean.result() == pytest.approx(16 / 5)
    mean.reset_state()
    mean.update_state([1.0, 3.0], sample_weight=[3.0, 1.0])
    assert mean.result() == pytest.approx(1.5)
    assert mean.name == "mean"


def test_weights_of_temporal_values():
    values = RNG.uniform(size=(N, 5))
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=WEIGHTS)
    assert mean.result() == pytest.approx((values.mean(-1) * WEIGHTS).sum() / WEIGHTS.sum())
    with pytest.raises(ValueError, match="sample_weight"):
        mean.update_state(values, sample_weight=np.ones(3))


def test_binary_accuracy_threshold_and_n_1_shapes():
    y_true = np.array([1.0, 0.0, 1.0, 0.0])
    y_pred = np.array([[0.8], [0.6], [0.3], [0.1]])  # (n, 1) against (n,) targets
    assert metrics.BinaryAccuracy()(y_true, y_pred) == pytest.approx(0.5)
    assert metrics.BinaryAccuracy(threshold=0.7)(y_true, y_pred) == pytest.approx(0.75)


def test_top_k_counts_ties_as_in():
    y_pred = np.array([[0.4, 0.4, 0.2], [0.5, 0.3, 0.2]])
    assert metrics.SparseTopKCategoricalAccuracy(k=1)([1, 1], y_pred) == pytest.approx(0.5)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy([1, 2], y_pred, k=2), [1.0, 0.0]
    )
    np.testing.assert_array_equal(
        metrics.top_k_categorical_accuracy(np.eye(3)[[2, 2]], y_pred, k=5), [1.0, 1.0]
    )


def test_loss_functions_as_metrics():
    y = RNG.uniform(0.5, 2, (N, C)).astype(np.float32)
    for name in ("mape", "msle", "kld", "poisson", "hinge", "binary_crossentropy", "log_cosh"):
        metric = metrics.get(name)
        assert metric.name == name
        metric.update_state(y[:3], PROBS[:3])
        metric.update_state(y[3:], PROBS[3:])
        expected = losses.get(name)(y, PROBS).numpy().mean()
        assert metric.result() == pytest.approx(expected, rel=1e-5), name


def test_metrics_read_arrays_and_record_no_tape():
    seen = []

    def spy(y_true, y_pred):
        seen.append((type(y_true), type(y_pred), ops.is_grad_enabled()))
        return ops.mean(ops.square(y_pred - y_true), axis=-1)  # ops work on arrays too

    logits = ops.Variable(RNG.standard_normal((N, C)).astype(np.float32))
    probs = ops.softmax(logits)  # a Tensor on the tape
    metric = metrics.get(spy)
    metric.update_state(ONE_HOT, probs)
    assert seen == [(np.ndarray, np.ndarray, False)]
    assert metric.name == "spy"
    assert metric.result() == pytest.approx(((ONE_HOT - probs.numpy()) ** 2).mean(), rel=1e-6)
    crossentropy = metrics.get("categorical_crossentropy")
    crossentropy.update_state(ONE_HOT, probs)
    assert crossentropy.result() == pytest.approx(
        losses.categorical_crossentropy(ONE_HOT, probs.numpy()).numpy().mean(), rel=1e-6
    )


# --------------------------------------------------------------------------------------------
# Precision and recall
# --------------------------------------------------------------------------------------------
def test_precision_and_recall_against_hand_counts():
    y_true = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    y_pred = np.array([0.9, 0.8, 0.4, 0.6, 0.2, 0.55, 0.1, 0.3])
    # At 0.5: predicted positive = {0, 1, 3, 5}; TP = {0, 3}, FP = {1, 5}, FN = {2, 6}.
    precision, recall = metrics.Precision(), metrics.Recall()
    for metric in (precision, recall):
        metric.update_state(y_true[:3], y_pred[:3])
        metric.update_state(y_true[3:], y_pred[3:])
    assert precision.result() == pytest.approx(2 / 4)
    assert recall.result() == pytest.approx(2 / 4)
    # At 0.35: positive = {0, 1, 2, 3, 5}: TP 3, FP 2, FN 1. At 0.95 nothing is predicted.
    several = metrics.Precision(thresholds=[0.35, 0.5, 0.95])
    several.update_state(y_true, y_pred)
    assert several.result() == pytest.approx([3 / 5, 2 / 4, 0.0])
    recalls = metrics.Recall(thresholds=[0.35, 0.95])
    recalls.update_state(y_true, y_pred)
    assert recalls.result() == pytest.approx([3 / 4, 0.0])


def test_weighted_precision_and_recall():
    y_true = np.array([[1], [0], [1], [1]])
    y_pred = np.array([[0.9], [0.8], [0.4], [0.6]])
    w = np.array([1.0, 3.0, 2.0, 0.5])
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(y_true, y_pred, sample_weight=w)
    recall.update_state(y_true, y_pred, sample_weight=w)
    assert precision.result() == pytest.approx((1 + 0.5) / (1 + 3 + 0.5))  # TP / (TP + FP)
    assert recall.result() == pytest.approx((1 + 0.5) / (1 + 2 + 0.5))  # TP / (TP + FN)


def test_precision_class_id_and_top_k():
    y_true = np.array([[0, 1, 0], [1, 0, 0], [0, 1, 0]])
    y_pred = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.5, 0.4, 0.1]])
    per_class = metrics.Precision(class_id=1)
    per_class.update_state(y_true, y_pred)
    assert per_class.result() == pytest.approx(1.0)  # class 1 predicted once (> 0.5), correctly
    recall = metrics.Recall(class_id=1)
    recall.update_state(y_true, y_pred)
    assert recall.result() == pytest.approx(0.5)
    top1 = metrics.Precision(top_k=1)  # each row's top score is its one positive prediction
    top1.update_state(y_true, y_pred)
    assert top1.result() == pytest.approx(2 / 3)


def test_precision_with_nothing_counted_is_zero_and_bad_thresholds_raise():
    assert metrics.Precision().result() == 0.0
    assert metrics.Recall(thresholds=[0.2, 0.4]).result() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"thresholds.*Received: thresholds=1.5"):
        metrics.Precision(thresholds=1.5)


# --------------------------------------------------------------------------------------------
# Names and resolution
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["acc", "accuracy", "Accuracy", "mse", "mae", "precision"])
def test_a_metric_is_named_by_the_string_written(written):
    assert metrics.get(written, loss="categorical_crossentropy").name == written


@pytest.mark.parametrize(
    "loss, y_true_shape, y_pred_shape, expected",
    [
        ("binary_crossentropy", None, None, metrics.BinaryAccuracy),
        (losses.BinaryCrossentropy(True), (100, 10), (None, 10), metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", None, None, metrics.SparseCategoricalAccuracy),
        ("scce", (100, 10), (None, 10), metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", None, None, metrics.CategoricalAccuracy),
        (losses.CategoricalCrossentropy, (100, 1), (None, 1), metrics.CategoricalAccuracy),
        ("mse", (100,), (None, 1), metrics.BinaryAccuracy),
        (None, (100, 1), (None, 1), metrics.BinaryAccuracy),
        (None, (100,), (None, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (100, 1), (None, 10), metrics.SparseCategoricalAccuracy),
        (None, (100, 10), (None, 10), metrics.CategoricalAccuracy),
        (None, None, None, metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_resolution_table(loss, y_true_shape, y_pred_shape, expected):
    for written in ("accuracy", "acc"):
        metric = metrics.get(written, loss, y_true_shape, y_pred_shape)
        assert type(metric) is expected
        assert metric.name == written


@pytest.mark.parametrize(
    "loss, y_true_shape, y_pred_shape, expected",
    [
        ("binary_crossentropy", None, None, losses.binary_crossentropy),
        (None, (100,), (None, 10), losses.sparse_categorical_crossentropy),
        (None, (100, 10), (None, 10), losses.categorical_crossentropy),
    ],
)
def test_crossentropy_resolution(loss, y_true_shape, y_pred_shape, expected):
    for written in ("crossentropy", "ce"):
        metric = metrics.get(written, loss, y_true_shape, y_pred_shape)
        assert metric.fn is expected and metric.name == written


def test_get_classes_instances_functions_and_losses():
    instance = metrics.Precision(thresholds=0.3)
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    assert type(metrics.get("SparseCategoricalAccuracy")) is metrics.SparseCategoricalAccuracy
    assert metrics.get(None) is None
    from_loss = metrics.get(losses.Huber(delta=2.0))
    assert from_loss.fn is losses.huber and from_loss.fn_kwargs == {"delta": 2.0}
    assert from_loss.name == "huber_loss"


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'.*accuracy.*precision"):
        metrics.get("acuracy")


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="avg"),
        metrics.Accuracy(),
        metrics.BinaryAccuracy(threshold=0.3),
        metrics.CategoricalAccuracy(name="acc"),
        metrics.SparseCategoricalAccuracy(),
        metrics.TopKCategoricalAccuracy(k=3),
        metrics.SparseTopKCategoricalAccuracy(k=2),
        metrics.Precision(thresholds=[0.2, 0.6], class_id=1),
        metrics.Recall(top_k=2),
        metrics.MeanSquaredError(name="mse"),
        metrics.MeanAbsoluteError(),
        metrics.MeanMetricWrapper(losses.hinge, name="h"),
        metrics.get("categorical_crossentropy"),
    ],
    ids=lambda metric: f"{type(metric).__name__}-{metric.name}",
)
def test_config_round_trip(metric):
    config = json.loads(json.dumps(metrics.serialize(metric)))
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()


def test_metric_classes_win_over_loss_classes_of_the_same_name():
    rebuilt = metrics.deserialize({"class_name": "MeanSquaredError", "config": {"name": "mse"}})
    assert isinstance(rebuilt, metrics.MeanSquaredError)


def test_custom_metric_functions_need_custom_objects():
    def hit_rate(y_true, y_pred):
        return (y_pred.argmax(-1) == y_true.argmax(-1)).astype(np.float32)

    config = metrics.serialize(metrics.get(hit_rate))
    assert config["config"] == {"name": "hit_rate", "dtype": "float32", "fn": "hit_rate"}
    with pytest.raises(ValueError, match=r"custom_objects=\{'hit_rate': hit_rate\}"):
        metrics.deserialize(config)
    rebuilt = metrics.deserialize(config, custom_objects={"hit_rate": hit_rate})
    assert rebuilt.fn is hit_rate


def test_subclassing_metric():
    class Largest(metrics.Metric):
        def __init__(self, name=None):
            super().__init__(name)
            self.largest = -np.inf

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.largest = max(self.largest, float(np.max(np.abs(y_true - y_pred))))

        def reset_state(self):
            self.largest = -np.inf

        def result(self):
            return self.largest

    metric = metrics.get(Largest)
    assert metric.name == "largest"
    metric.update_state(ONE_HOT[:3], PROBS[:3])
    metric.update_state(ONE_HOT[3:], PROBS[3:])
    assert metric.result() == pytest.approx(np.abs(ONE_HOT - PROBS).max())
    assert metrics.get(metric) is metric


def test_cosine_similarity_metric_is_positive_where_the_loss_is_negative():
    y = RNG.standard_normal((N, C))
    metric = metrics.get("cosine_similarity")
    metric.update_state(y, 2 * y)
    assert metric.result() == pytest.approx(1.0)
    assert losses.cosine_similarity(y, 2 * y).numpy().mean() == pytest.approx(-1.0)


def test_mean_is_named_by_its_snake_case_name_as_in_keras():
    assert type(metrics.get("mean")) is metrics.Mean


def test_a_loss_given_as_a_metric_survives_save_and_load(tmp_path):
    from numkeras.layers import Dense
    from numkeras.models import Sequential, load_model

    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(
        optimizer="sgd",
        loss="mse",
        metrics=[losses.MeanSquaredError(reduction="sum"), metrics.MeanSquaredError()],
    )
    x, y = RNG.uniform(size=(6, 3)).astype(np.float32), RNG.uniform(size=(6, 2))
    model.save(tmp_path / "m.numkeras")
    loaded = load_model(tmp_path / "m.numkeras")  # the loss's config once failed as a metric's
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0))


# --------------------------------------------------------------------------------------------
# Metrics of one's own, by subclassing Metric as in Keras 3 (the same code runs on both)
# --------------------------------------------------------------------------------------------
def binary_true_positives(k):
    """The Keras documentation's BinaryTruePositives (thresholded at 0.5), written against
    ``k``, which is ``keras`` or ``numkeras``."""

    class BinaryTruePositives(k.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = k.ops.cast(y_true, "bool")
            y_pred = k.ops.greater(y_pred, 0.5)
            values = k.ops.cast(k.ops.logical_and(y_true, y_pred), self.dtype)
            if sample_weight is not None:
                sample_weight = k.ops.cast(sample_weight, self.dtype)
                values = k.ops.multiply(values, k.ops.reshape(sample_weight, k.ops.shape(values)))
            self.true_positives.assign(self.true_positives + k.ops.sum(values))

        def result(self):
            return self.true_positives

    return BinaryTruePositives


def categorical_true_positives(k):
    """The Keras guide's CategoricalTruePositives (integer labels), written against ``k``."""

    class CategoricalTruePositives(k.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = k.ops.argmax(y_pred, axis=-1)
            values = k.ops.equal(k.ops.cast(k.ops.reshape(y_true, (-1,)), "int32"), y_pred)
            values = k.ops.cast(values, "float32")
            if sample_weight is not None:
                values = k.ops.multiply(values, k.ops.cast(sample_weight, "float32"))
            self.true_positives.assign_add(k.ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


@pytest.mark.parametrize("make", [binary_true_positives, categorical_true_positives])
def test_subclassed_metrics_compute_what_keras_computes(make, keras):
    import numkeras

    y_true = [BINARY, BINARY[::-1]] if make is binary_true_positives else [LABELS, LABELS[::-1]]
    y_pred = [BINARY_PROBS, BINARY_PROBS[::-1]] if make is binary_true_positives else [PROBS] * 2
    ours, theirs = make(numkeras)(), make(keras)()
    for metric in (ours, theirs):
        metric.update_state(y_true[0], y_pred[0])
        metric.update_state(y_true[1], y_pred[1], sample_weight=WEIGHTS)
    assert float(ours.result()) == pytest.approx(float(theirs.result()), rel=1e-6)
    assert float(ours.result()) > 0
    ours.reset_state()
    assert float(ours.result()) == 0.0
    assert ours.variables == [ours.true_positives] and not ours.true_positives.trainable


def _counts(model, x, y):
    """Each model's true positives counted by hand from its predictions."""
    probs = model.predict(x, verbose=0)
    if probs.shape[-1] == 1:
        return float(((probs > 0.5) & (y > 0)).sum())
    return float((probs.argmax(-1) == y).sum())


@pytest.mark.parametrize("make", [binary_true_positives, categorical_true_positives])
def test_subclassed_metrics_in_compile_fit_and_evaluate(make):
    import numkeras
    from numkeras.layers import Dense
    from numkeras.models import Sequential
    from numkeras.optimizers import SGD

    x = RNG.standard_normal((40, 5)).astype(np.float32)
    if make is binary_true_positives:
        y, units, loss = (x[:, :1] > 0).astype(np.float32), 1, "binary_crossentropy"
    else:
        y, units, loss = RNG.integers(0, C, 40), C, "sparse_categorical_crossentropy"
    model = Sequential([Dense(units, activation="sigmoid" if units == 1 else "softmax")])
    # A learning rate of 0 keeps the predictions of the whole epoch those counted by hand.
    model.compile(optimizer=SGD(learning_rate=0.0), loss=loss, metrics=[make(numkeras)()])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    expected = _counts(model, x, y)
    assert expected > 0
    assert history.history[make(numkeras)().name] == [expected, expected]  # reset each epoch
    assert model.evaluate(x, y, verbose=0)[1] == expected


def test_add_weight_takes_keras2_order_and_variables_track_held_metrics():
    class Counts(metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = self.add_weight("seen", initializer="zeros")
            self.per_class = self.add_weight(name="per_class", shape=(C,), dtype="int32")
            self.average = metrics.Mean()

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.seen.assign_add(len(y_true))
            self.per_class.assign_add(np.bincount(y_true, minlength=C))
            self.average.update_state(y_pred)

        def result(self):
            return self.per_class

    metric = Counts()
    metric.update_state(LABELS, PROBS)
    metric.update_state(LABELS, ops.convert_to_tensor(PROBS))
    assert metric.variables == [metric.seen, metric.per_class]  # Mean keeps float64 sums
    assert metric.seen.name == "seen" and metric.seen.shape == () and metric.seen.item() == 2 * N
    assert metric.per_class.dtype == np.int32
    np.testing.assert_array_equal(np.asarray(metric.result()), 2 * np.bincount(LABELS, minlength=C))
    assert metric.average.result() == pytest.approx(PROBS.mean())
    metric.reset_state()
    assert metric.seen.item() == 0 and not np.asarray(metric.per_class).any()
    assert metric.average.result() == 0.0
    keras3_order = metric.add_weight((2,), "ones", "float64", "total")
    assert keras3_order.name == "total" and keras3_order.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(keras3_order), [1.0, 1.0])


def test_reset_state_zeroes_variables_whatever_their_initializer_as_keras(keras):
    import numkeras

    def starting_at_one(k):
        class StartsAtOne(k.metrics.Metric):
            def __init__(self):
                super().__init__(name="starts_at_one", dtype="float64")
                self.value = self.add_variable(shape=(2,), initializer="ones", name="value")

            def result(self):
                return self.value

        return StartsAtOne()

    ours, theirs = starting_at_one(numkeras), starting_at_one(keras)
    assert ours.dtype == theirs.dtype == "float64" and ours.value.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(ours.result()), np.asarray(theirs.result()))
    ours.value.assign_sub(np.array([0.5, 2.0]))
    np.testing.assert_array_equal(np.asarray(ours.result()), [0.5, -1.0])
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_array_equal(np.asarray(ours.result()), np.asarray(theirs.result()))
    np.testing.assert_array_equal(np.asarray(ours.result()), [0.0, 0.0])


def test_metric_config_dtype_and_name_as_keras(keras):
    import numkeras

    ours, theirs = binary_true_positives(numkeras)(), binary_true_positives(keras)()
    assert (
        ours.get_config()
        == theirs.get_config()
        == {
            "name": "binary_true_positives",
            "dtype": "float32",
        }
    )
    rebuilt = type(ours).from_config({"name": "tp", "dtype": "float64"})
    assert rebuilt.name == "tp" and rebuilt.dtype == "float64"
    assert rebuilt.true_positives.dtype == np.float64
    assert metrics.Mean(dtype="float64").get_config() == {"name": "mean", "dtype": "float64"}


def test_mistakes_in_a_subclass_get_clear_errors():
    class Forgetful(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match=r"must call super\(\).__init__\(\)"):
        Forgetful()
    metric = metrics.Metric(name="m")
    with pytest.raises(
        ValueError, match="aggregation must be one of .*Received: aggregation='max'"
    ):
        metric.add_variable((), "zeros", aggregation="max")
    with pytest.raises(ValueError, match="needs an initializer, e.g. 'zeros'"):
        metric.add_variable((), None)
    with pytest.raises(ValueError, match="dtype must name a NumPy dtype.*Received: dtype='real'"):
        metrics.Metric(dtype="real")
    with pytest.raises(NotImplementedError, match=r"must implement update_state"):
        metric.update_state(LABELS, PROBS)


def test_keras2_short_names_of_metric_functions():
    for alias, function in {
        "mse": losses.mean_squared_error,
        "mae": losses.mean_absolute_error,
        "mape": losses.mean_absolute_percentage_error,
        "msle": losses.mean_squared_logarithmic_error,
    }.items():
        assert getattr(metrics, alias) is getattr(metrics, alias.upper()) is function
        assert getattr(metrics, function.__name__) is function
    metric = metrics.get(metrics.mse)
    metric.update_state(ONE_HOT, PROBS)
    assert metric.result() == pytest.approx(np.mean((ONE_HOT - PROBS) ** 2), rel=1e-6)
