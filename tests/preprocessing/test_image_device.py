"""The course's "more training data" on the device: a model trained from
``ImageDataGenerator.flow`` under the strict stand-in gets the CPU's result to the bit.

The generator works on the host, as Keras's does (it prepares NumPy batches, and its random
draws come from numkeras's stream or its seed); the batches reach the device only through the
data feed's explicit copies, so a step that touched the host implicitly would raise.
"""

from __future__ import annotations

import numpy as np
import pytest

import numkeras
import strict_cuda
from numkeras import backend, layers
from numkeras.preprocessing import ImageDataGenerator
from numkeras.utils import to_categorical


def _images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = (rng.random((40, 12, 12, 1)) * 255).astype(np.float32)
    return x, to_categorical(rng.integers(0, 3, 40), 3)


@pytest.mark.parametrize(
    "settings",
    [
        # The course's shifts and rotations, with zoom and flips, from numkeras's stream.
        dict(rotation_range=15, width_shift_range=0.1, height_shift_range=2, zoom_range=0.1),
        # Feature-wise statistics fitted on the host, then applied to each batch.
        dict(featurewise_center=True, featurewise_std_normalization=True, horizontal_flip=True),
    ],
)
def test_training_from_flow_on_the_device_is_the_cpus(stand_in, settings):
    x, y = _images()

    def train():
        backend.set_random_seed(0)
        datagen = ImageDataGenerator(rescale=1 / 255, **settings)
        datagen.fit(x)
        model = numkeras.Sequential(
            [
                layers.Input((12, 12, 1)),
                layers.Conv2D(3, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            datagen.flow(x, y, batch_size=16),
            epochs=2,
            validation_data=datagen.flow(x[:16], y[:16], batch_size=8, shuffle=False),
            verbose=0,
        )
        scored = model.evaluate(datagen.flow(x, y, batch_size=16, seed=1), verbose=0)
        return model.get_weights(), history.history, scored

    on_device = train()
    copies = [entry for entry in strict_cuda.log if entry[0] == "copy"]
    # Images and labels of 3 + 2 batches per epoch, then 3 to evaluate: all pinned, all ahead.
    assert len(copies) == 2 * (2 * 5 + 3) and all(pinned for *_, pinned in copies)
    backend.set_device("cpu")
    on_cpu = train()
    for ours, reference in zip(on_device[0], on_cpu[0], strict=True):
        np.testing.assert_array_equal(ours, reference)
    assert on_device[1] == on_cpu[1] and on_device[2] == on_cpu[2]


def test_images_on_the_device_are_taken_once_to_the_host(stand_in):
    x, y = _images()
    datagen = ImageDataGenerator(featurewise_center=True, rotation_range=10)
    datagen.fit(stand_in.asarray(x))
    mean = datagen.mean
    datagen.fit(x)
    np.testing.assert_array_equal(mean, datagen.mean)
    batches = datagen.flow(stand_in.asarray(x), stand_in.asarray(y), batch_size=8, seed=2)
    from_host = datagen.flow(x, y, batch_size=8, seed=2)
    (images, labels), (host_images, host_labels) = next(zip(batches, from_host))
    assert type(images) is np.ndarray
    np.testing.assert_array_equal(images, host_images)
    np.testing.assert_array_equal(labels, host_labels)
