"""``numkeras.config``: Keras 3's names for the settings that ``numkeras.backend`` holds."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import numkeras
from numkeras import backend, config, layers
from numkeras import backend as K


@pytest.fixture(autouse=True)
def _restored_settings(monkeypatch):
    for name in ("_FLOATX", "_EPSILON", "_IMAGE_DATA_FORMAT", "_XP"):
        monkeypatch.setattr(backend, name, getattr(backend, name))


def test_names_and_arguments_are_keras_configs(keras):
    # Keras chooses its device through its backend framework; numkeras has these two instead.
    for name in set(config.__all__) - {"device", "set_device"}:
        ours = inspect.signature(getattr(config, name)).parameters
        theirs = inspect.signature(getattr(keras.config, name)).parameters
        assert list(ours) == list(theirs), name
    assert numkeras.config is config


def test_config_and_backend_share_one_setting_each():
    for name in config.__all__:
        assert getattr(config, name) is getattr(backend, name), name
    assert (config.floatx(), config.epsilon(), config.image_data_format()) == (
        "float32",
        1e-7,
        "channels_last",
    )
    assert config.backend() == backend.backend()


def test_a_setting_made_through_config_is_what_the_library_uses():
    config.set_floatx("float64")
    assert K.floatx() == "float64"
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.kernel.dtype == np.float64
    config.set_epsilon(1e-4)
    assert K.epsilon() == 1e-4
    config.set_image_data_format("channels_first")
    assert layers.Conv2D(1, 3).data_format == "channels_first"


def test_settings_refuse_bad_values_by_name():
    with pytest.raises(ValueError, match="Received: value='float8'"):
        config.set_floatx("float8")
    with pytest.raises(ValueError, match="Received: value=-1"):
        config.set_epsilon(-1)
    with pytest.raises(ValueError, match="Received: data_format='nchw'"):
        config.set_image_data_format("nchw")
