"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

``load_data()`` behaves as Keras's: the same archive (``cifar-10-python.tar.gz``, SHA-256
checked), the same arrays. It looks in numkeras's cache (``$NUMKERAS_HOME/datasets``), then in
Keras's (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``) for the archive Keras keeps
there, then downloads it into numkeras's cache. The batches in the archive are Python pickles;
numkeras reads them with a restricted reader that builds plain data and numeric arrays only, so
nothing in the file can run.

CIFAR-10: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
"""

from __future__ import annotations

import numpy as np

from numkeras.datasets._cifar import images_and_labels, read_batches
from numkeras.datasets._fetch import DataFile
from numkeras.datasets._single_file import SingleFileSpec, locate

FILE = DataFile(
    "cifar-10-python.tar.gz", "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
)
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
#: The archive's names in Keras's cache: Keras 3.7 and later, then Keras 2 and early Keras 3.
KERAS_NAMES = ("cifar-10-batches-py-target_archive", "cifar-10-batches-py.tar.gz")
TRAIN = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
TEST = "cifar-10-batches-py/test_batch"
CLASSES = 10

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    ``x_train`` is uint8 of shape (50000, 32, 32, 3) (``(50000, 3, 32, 32)`` when
    ``image_data_format()`` is ``"channels_first"``) with pixels 0-255; ``y_train`` uint8 of
    shape (50000, 1) with labels 0-9; the test arrays have 10000 rows.

    Raises:
        DatasetUnavailableError: the archive is in no cache and cannot be downloaded.
        ValueError: the archive does not hold CIFAR-10's batches.
    """
    archive = locate(
        SingleFileSpec(title="CIFAR-10", file=FILE, mirrors=MIRRORS, keras_names=KERAS_NAMES),
        TIMEOUT,
    )
    batches = read_batches(archive, (*TRAIN, TEST))
    where = str(archive)
    x_train, y_train = images_and_labels([batches[n] for n in TRAIN], "labels", CLASSES, where)
    x_test, y_test = images_and_labels([batches[TEST]], "labels", CLASSES, where)
    # Keras fills uint8 label arrays for CIFAR-10 (and int64 ones for CIFAR-100).
    return (x_train, y_train.astype(np.uint8)), (x_test, y_test.astype(np.uint8))
