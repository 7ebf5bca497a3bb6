"""Boston housing prices: 506 samples of 13 attributes, targets in thousands of dollars.

From the StatLib library (Carnegie Mellon University). Keras warns, and so does numkeras: the
attribute "B" encodes an assumption about racial self-segregation, so the dataset is best used
to illustrate ethical issues in data science; ``california_housing`` (``version="small"``) is
its suggested replacement.

``load_data()`` behaves as Keras's: the same file (``boston_housing.npz``, SHA-256 checked), the
same shuffle and split. It looks in numkeras's cache (``$NUMKERAS_HOME/datasets``), then Keras's
(``$KERAS_HOME/datasets``, default ``~/.keras/datasets``), then downloads into numkeras's cache.
"""

from __future__ import annotations

import os

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._regression import (
    MIRRORS,
    Split,
    check_test_split,
    find_npz,
    read_xy,
    shuffle_split,
)

FILE = DataFile(
    "boston_housing.npz", "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
)

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load_data(
    path: str | os.PathLike[str] = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> Split:
    """Load Boston housing as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The 506 samples are shuffled with ``np.random.RandomState(seed)``; the first
    ``int(506 * (1 - test_split))`` (404 by default) train, the rest test. ``x`` has shape
    (samples, 13) and ``y`` shape (samples,), in the file's dtypes.

    Args:
        path: an existing ``.npz`` with arrays ``x`` and ``y``, read as it is; otherwise, as in
            Keras, the file's name in the caches (default ``"boston_housing.npz"``).
        test_split: the fraction of samples kept for the test set, in [0, 1). Default 0.2.
        seed: the seed of the shuffle before the split. Default 113.

    Raises:
        DatasetUnavailableError: the file is in no cache and cannot be downloaded.
        ValueError: ``test_split`` is outside [0, 1), or the file is not such an ``.npz``.
    """
    check_test_split(test_split)
    x, y = read_xy(find_npz("Boston housing", FILE, MIRRORS, path, TIMEOUT))
    return shuffle_split(x, y, test_split, seed)
