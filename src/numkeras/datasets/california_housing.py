"""California housing prices: 20,640 census block groups of 8 features, targets in dollars.

From the StatLib repository, derived from the 1990 U.S. census. The features: MedInc, HouseAge,
AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude; the target is the median house
value. ``version="small"`` keeps the first 600 samples, Keras's stand-in for Boston housing.

``load_data()`` behaves as Keras's: the same file (``california_housing.npz``, SHA-256
checked), the same shuffle and split. It looks in numkeras's cache (``$NUMKERAS_HOME/datasets``),
then Keras's (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``), then downloads into
numkeras's cache.
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
    "california_housing.npz", "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
)

#: How many of the first samples ``version="small"`` keeps.
SMALL_SIZE = 600

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load_data(
    version: str = "large",
    path: str | os.PathLike[str] = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> Split:
    """Load California housing as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    The samples (all 20,640, or the first 600 for ``version="small"``) are shuffled with
    ``np.random.RandomState(seed)``; the first ``int(n * (1 - test_split))`` train, the rest
    test. ``x`` has shape (samples, 8), ``y`` shape (samples,), in the file's dtypes.

    Args:
        version: ``"large"`` (the default, 20,640 samples) or ``"small"`` (600).
        path: an existing ``.npz`` with arrays ``x`` and ``y``, read as it is; otherwise, as in
            Keras, the file's name in the caches (default ``"california_housing.npz"``).
        test_split: the fraction of samples kept for the test set, in [0, 1). Default 0.2.
        seed: the seed of the shuffle before the split. Default 113.

    Raises:
        DatasetUnavailableError: the file is in no cache and cannot be downloaded.
        ValueError: ``version`` or ``test_split`` is not one Keras accepts, or the file is not
            such an ``.npz``.
    """
    if version not in ("large", "small"):
        raise ValueError(f"version must be 'large' or 'small'. Received: version={version!r}")
    check_test_split(test_split)
    x, y = read_xy(find_npz("California housing", FILE, MIRRORS, path, TIMEOUT))
    if version == "small":
        x, y = x[:SMALL_SIZE], y[:SMALL_SIZE]
    return shuffle_split(x, y, test_split, seed)
