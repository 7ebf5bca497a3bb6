"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, in 100 classes that are
grouped into 20 superclasses.

``load_data()`` behaves as Keras's: the same archive (``cifar-100-python.tar.gz``, SHA-256
checked), the same arrays. It looks in numkeras's cache (``$NUMKERAS_HOME/datasets``), then in
Keras's (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``) for the archive Keras keeps
there, then downloads it into numkeras's cache. The batches in the archive are Python pickles;
numkeras reads them with a restricted reader that builds plain data and numeric arrays only, so
nothing in the file can run.

CIFAR-100: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""

from __future__ import annotations

import numpy as np

from numkeras.datasets._cifar import images_and_labels, read_batches
from numkeras.datasets._fetch import DataFile
from numkeras.datasets._single_file import SingleFileSpec, locate

FILE = DataFile(
    "cifar-100-python.tar.gz", "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
)
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
#: The archive's names in Keras's cache: Keras 3.7 and later, then Keras 2 and early Keras 3.
KERAS_NAMES = ("cifar-100-python-target_archive", "cifar-100-python.tar.gz")
TRAIN = "cifar-100-python/train"
TEST = "cifar-100-python/test"
#: How many classes each label mode has.
CLASSES = {"fine": 100, "coarse": 20}

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    ``x_train`` is uint8 of shape (50000, 32, 32, 3) (``(50000, 3, 32, 32)`` when
    ``image_data_format()`` is ``"channels_first"``) with pixels 0-255; ``y_train`` has shape
    (50000, 1) and Keras's dtype, int64; the test arrays have 10000 rows.

    Args:
        label_mode: ``"fine"`` (the default: the 100 classes, 0-99) or ``"coarse"`` (the 20
            superclasses, 0-19).

    Raises:
        DatasetUnavailableError: the archive is in no cache and cannot be downloaded.
        ValueError: ``label_mode`` is neither, or the archive does not hold CIFAR-100's batches.
    """
    if not isinstance(label_mode, str) or label_mode not in CLASSES:
        raise ValueError(
            f"label_mode must be 'fine' or 'coarse'. Received: label_mode={label_mode!r}"
        )
    archive = locate(
        SingleFileSpec(title="CIFAR-100", file=FILE, mirrors=MIRRORS, keras_names=KERAS_NAMES),
        TIMEOUT,
    )
    batches = read_batches(archive, (TRAIN, TEST))
    key, classes = f"{label_mode}_labels", CLASSES[label_mode]
    train = images_and_labels([batches[TRAIN]], key, classes, f"{archive}: {TRAIN}")
    test = images_and_labels([batches[TEST]], key, classes, f"{archive}: {TEST}")
    return train, test
