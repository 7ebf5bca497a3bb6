"""AnnealedDropout: the dropout rates of a model lowered linearly, epoch by epoch."""

from __future__ import annotations

import numpy as np
import pytest

from numkeras import registry
from numkeras.callbacks import AnnealedDropout, Callback
from numkeras.callbacks.annealed_dropout import dropout_layers
from numkeras.layers import Dense, Dropout, Input
from numkeras.layers.dropconnect import DropConnect
from numkeras.models import Sequential

rng = np.random.default_rng(0)
X = rng.standard_normal((32, 6)).astype(np.float32)
Y = rng.standard_normal((32, 2)).astype(np.float32)


class RecordRates(Callback):
    """The rate of every dropout layer at the start of each epoch (after AnnealedDropout)."""

    def __init__(self):
        self.rates: list[list[float]] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append([layer.rate for layer in dropout_layers(self.model)])


def model_with(*layers) -> Sequential:
    model = Sequential([Input((6,)), *layers, Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_schedule_is_linear_then_flat():
    annealing = AnnealedDropout(final_epoch=4)
    assert [annealing.rate(e, 0.5) for e in range(7)] == [0.5, 0.375, 0.25, 0.125, 0, 0, 0]
    to_tenth = AnnealedDropout(final_epoch=2, final_rate=0.1)
    assert [to_tenth.rate(e, 0.5) for e in range(4)] == pytest.approx([0.5, 0.3, 0.1, 0.1])


def test_fit_anneals_every_dropout_layer_and_logs_the_rate():
    model = model_with(Dense(8), Dropout(0.5), DropConnect(8, rate=0.2), Dropout(0.3))
    record = RecordRates()
    history = model.fit(
        X, Y, epochs=6, verbose=0, callbacks=[AnnealedDropout(final_epoch=4), record]
    )
    expected = [[r * (1 - min(e / 4, 1)) for r in (0.5, 0.2, 0.3)] for e in range(6)]
    np.testing.assert_allclose(record.rates, expected, atol=1e-12)
    np.testing.assert_allclose(
        history.history["dropout_rate"], [sum(rates) / 3 for rates in expected], atol=1e-12
    )


def test_original_rates_come_back_after_training_so_fits_repeat():
    model = model_with(Dense(8), Dropout(0.4))
    annealing, record = AnnealedDropout(final_epoch=2), RecordRates()
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[annealing, record])
    assert model.layers[1].rate == 0.4
    assert model.get_config()["layers"][1]["config"]["rate"] == 0.4
    record.rates.clear()
    model.fit(X, Y, epochs=4, initial_epoch=1, verbose=0, callbacks=[annealing, record])
    np.testing.assert_allclose(record.rates, [[0.2], [0.0], [0.0]], atol=1e-12)


def test_initial_rate_overrides_each_layers_own():
    model = model_with(Dropout(0.1), Dense(4), Dropout(0.6))
    record = RecordRates()
    model.fit(
        X,
        Y,
        epochs=3,
        verbose=0,
        callbacks=[AnnealedDropout(2, final_rate=0.2, initial_rate=0.8), record],
    )
    np.testing.assert_allclose(record.rates, [[0.8, 0.8], [0.5, 0.5], [0.2, 0.2]])


def test_layers_of_nested_models_are_found():
    inner = Sequential([Input((6,)), Dense(4), Dropout(0.5)])
    outer = Sequential([Input((6,)), inner, Dropout(0.25), Dense(2)])
    assert [layer.rate for layer in dropout_layers(outer)] == [0.5, 0.25]


def test_verbose_prints_the_rate(capsys):
    model = model_with(Dropout(0.5))
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[AnnealedDropout(2, verbose=1)])
    out = capsys.readouterr().out
    assert "Epoch 1: AnnealedDropout setting dropout rate to 0.5." in out
    assert "Epoch 2: AnnealedDropout setting dropout rate to 0.25." in out


def test_a_model_without_dropout_is_refused():
    with pytest.raises(ValueError, match="found no layer with a dropout rate"):
        model_with(Dense(3)).fit(X, Y, verbose=0, callbacks=[AnnealedDropout(3)])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(final_epoch=0), "final_epoch must be a positive integer"),
        (dict(final_epoch=2.5), "final_epoch must be a positive integer"),
        (dict(final_epoch=3, final_rate=1.0), r"final_rate must be a number in \[0, 1\)"),
        (dict(final_epoch=3, initial_rate=-0.2), r"initial_rate must be a number in \[0, 1\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AnnealedDropout(**kwargs)


def test_config_round_trip():
    annealing = AnnealedDropout(5, final_rate=0.1, initial_rate=0.5, verbose=1)
    rebuilt = registry.deserialize(registry.serialize(annealing))
    assert isinstance(rebuilt, AnnealedDropout) and rebuilt.get_config() == annealing.get_config()
