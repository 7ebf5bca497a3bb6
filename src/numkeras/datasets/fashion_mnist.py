"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grayscale.

A drop-in replacement for MNIST, with the same shapes and file format, but harder. Labels:
0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
9 Ankle boot.

``load_data()`` behaves as Keras's. It looks, in order: an explicit ``path``; numkeras's cache
(``$NUMKERAS_HOME/datasets/fashion-mnist``, default ``~/.numkeras/datasets/fashion-mnist``);
Keras's cache (``$KERAS_HOME/datasets/fashion-mnist``, default ``~/.keras/...``); the folder
where Debian's ``dataset-fashion-mnist`` package installs it; then it downloads the four IDX
files from the mirrors below, checking SHA-256 sums.

Fashion-MNIST: Zalando SE, MIT licence (https://github.com/zalandoresearch/fashion-mnist).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from numkeras.datasets._fetch import DataFile
from numkeras.datasets._loader import DatasetSpec, LoadedData, load_explicit, load_full

#: SHA-256 of each published .gz (as Keras and Zalando list them), and of its decompressed data
#: with that data's size in bytes.
FILES = {
    "x_train": DataFile(
        "train-images-idx3-ubyte.gz",
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        47_040_016,
    ),
    "y_train": DataFile(
        "train-labels-idx1-ubyte.gz",
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        60_008,
    ),
    "x_test": DataFile(
        "t10k-images-idx3-ubyte.gz",
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        7_840_016,
    ),
    "y_test": DataFile(
        "t10k-labels-idx1-ubyte.gz",
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        10_008,
    ),
}
MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

#: Folders where system packages install the four files. Debian re-compresses them, so they
#: are recognised by the checksum of their content (``DataFile.raw_sha256``).
SYSTEM_DIRS = {
    "the folder of the Debian package dataset-fashion-mnist": Path(
        "/usr/share/datasets/fashion-mnist"
    ),
}

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load(path: str | os.PathLike[str] | None = None, *, timeout: float | None = None) -> LoadedData:
    """Load Fashion-MNIST and say where it came from.

    Args:
        path: a Keras-style ``.npz`` or a folder with the four IDX files (``.gz`` or not);
            ``None`` (the default) searches the caches and system folders, then downloads.
        timeout: seconds to wait for a mirror at each step; defaults to ``TIMEOUT``.

    Returns:
        A :class:`LoadedData`: the four uint8 arrays, ``.data`` in Keras's tuple form and
        ``.source``, one line saying where they came from.

    Raises:
        DatasetUnavailableError: Fashion-MNIST is nowhere to be had; the message lists what
            was tried and where to put the files by hand.
    """
    if path is not None:
        return load_explicit(_spec(), Path(path).expanduser())
    return load_full(_spec(), TIMEOUT if timeout is None else timeout)


def load_data(
    path: str | os.PathLike[str] | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    ``x_train`` is uint8 of shape (60000, 28, 28) with pixels 0-255, ``y_train`` uint8 of shape
    (60000,) with labels 0-9; the test arrays have 10000 rows. See :func:`load` for ``path``.
    """
    return load(path).data


def _spec() -> DatasetSpec:
    # Built at call time from the module constants, so a test can swap mirrors or folders.
    return DatasetSpec(
        title="Fashion-MNIST",
        module="fashion_mnist",
        folder="fashion-mnist",
        files=FILES,
        mirrors=MIRRORS,
        system_dirs=SYSTEM_DIRS,
        hint="On Debian or Ubuntu, `apt-get install dataset-fashion-mnist` installs the files "
        "where numkeras finds them.",
    )
