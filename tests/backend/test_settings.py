"""The engine package ``numkeras.backend``: its settings, and Keras 2's K.* loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from numkeras import backend, layers, losses, ops
from numkeras.backend import keras2


def test_epsilon_defaults_to_keras_and_is_the_one_that_losses_clip_with():
    assert backend.epsilon() == 1e-7
    backend.set_epsilon(1e-3)
    assert backend.epsilon() == 1e-3
    loss = losses.binary_crossentropy(np.array([[1.0]]), np.array([[0.0]]))
    np.testing.assert_allclose(loss.numpy(), [-np.log(1e-3)], rtol=1e-6)


@pytest.mark.parametrize("value", [0, -1e-7, "1e-7", True, None])
def test_set_epsilon_refuses_what_is_not_a_positive_number(value):
    with pytest.raises(ValueError, match=r"epsilon must be a positive number. Received: value="):
        backend.set_epsilon(value)


def test_image_data_format_is_the_default_of_the_layers_made_after_it():
    assert backend.image_data_format() == "channels_last"
    assert layers.Conv2D(2, 3).data_format == "channels_last"
    backend.set_image_data_format("Channels_First")  # any case, as in Keras
    assert backend.image_data_format() == "channels_first"
    assert layers.Conv2D(2, 3).data_format == "channels_first"
    assert layers.MaxPooling2D().data_format == "channels_first"
    # an op given no data_format follows it too: (batch, channels, rows, cols)
    pooled = ops.max_pool(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    assert pooled.shape == (1, 1, 2, 2)
    assert layers.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"


@pytest.mark.parametrize("value", ["nhwc", "tf", None])
def test_set_image_data_format_names_the_two_formats(value):
    with pytest.raises(ValueError, match=r"'channels_last' or 'channels_first'. Received: data_f"):
        backend.set_image_data_format(value)


def test_backend_names_the_array_module():
    assert backend.backend() in ("numpy", "cupy")
    assert backend.xp().__name__ == backend.backend()
    with pytest.raises(ValueError, match=r"'numpy' or 'cupy'. Received: backend='jax'"):
        backend.set_backend("jax")


def test_every_keras2_function_is_reached_through_the_package():
    # None is shadowed by an engine name (the engine's uniform draws were once named
    # random_uniform, which hid Keras 2's K.random_uniform).
    for name in keras2.__all__:
        assert getattr(backend, name) is getattr(keras2, name), name
    assert set(keras2.__all__) <= set(dir(backend))
    with pytest.raises(AttributeError, match="has no attribute 'placeholder'"):
        backend.placeholder  # noqa: B018  (Keras 2's graph-mode placeholder has no meaning here)


def test_the_engine_loads_keras2_only_when_a_user_asks_for_it():
    code = (
        "import sys\n"
        "import numkeras\n"
        "assert 'numkeras.backend' not in sys.modules\n"
        "from numkeras import backend as K, ops\n"
        "ops.sum(ops.square([1.0, 2.0])).backward()\n"
        "assert K.floatx() == 'float32'\n"
        "assert 'numkeras.backend.keras2' not in sys.modules\n"
        "assert 'numkeras.losses' not in sys.modules\n"
        "assert float(K.sum([1.0, 2.0]).item()) == 3.0\n"
        "assert 'numkeras.backend.keras2' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
