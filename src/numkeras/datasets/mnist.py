"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale.

``load_data()`` behaves as Keras's. It looks, in order: an explicit ``path``; numkeras's cache
(``$NUMKERAS_HOME/datasets``, default ``~/.numkeras/datasets``); Keras's cache
(``$KERAS_HOME/datasets/mnist.npz``, default ``~/.keras/datasets``); then it downloads Keras's
``mnist.npz`` or the four original IDX files from the mirrors below, checking SHA-256 sums.

A real sample ships inside the package (10,000 training digits and the official 10,000 test
digits), so the course's ``(x_train, y_train), (x_test, y_test) = mnist.load_data()`` runs with no
network at all: when full MNIST cannot be had, ``load_data()`` returns the sample with a one-time
warning (``load()`` says so in its ``source`` instead). ``load_data(sample=True)`` takes the
sample at once; ``load_data(sample=False)`` raises rather than fall back.

MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from numkeras.datasets._fetch import DataFile, numkeras_cache_dir
from numkeras.datasets._loader import (
    DatasetSpec,
    DatasetUnavailableError,
    LoadedData,
    counts,
    load_explicit,
    load_full,
    load_verified_folder,
)

#: Keras's one-file MNIST (the file ``keras.datasets.mnist.load_data`` downloads and caches).
NPZ = DataFile("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
NPZ_MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)

#: The original IDX files: SHA-256 of the published .gz, and of its decompressed content with
#: that content's size in bytes.
FILES = {
    "x_train": DataFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        47_040_016,
    ),
    "y_train": DataFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        60_008,
    ),
    "x_test": DataFile(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        7_840_016,
    ),
    "y_test": DataFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        10_008,
    ),
}
# yann.lecun.com, the original home, now refuses downloads (HTTP 403), so it is not listed.
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

#: The sample packaged in numkeras/datasets/data (see the README there for its provenance).
SAMPLE_DIR = Path(__file__).parent / "data"
SAMPLE_FILES = {
    "x_train": DataFile(
        "train-10k-images-idx3-ubyte.gz",
        "6f8d561a9789b119611b60d7ed16a95ab361419a8692b65d8d1c00a267f30af1",
        "b93364de842ca418a0adbfffb659384ff2739b51b8be0e68b7b41dbb4f5b894e",
        7_840_016,
    ),
    "y_train": DataFile(
        "train-10k-labels-idx1-ubyte.gz",
        "6a4b6227e4d6a2f4c6e5e45a715db07f0f0c9ce94065aaa18b213daf103dafd3",
        "2e08ad127756a509f0ef279317181bb40cd8b020d9655dce0700fe663fa0cf75",
        10_008,
    ),
    "x_test": DataFile(
        "t10k-images-idx3-ubyte.gz",
        "9fe7630f90c0e670227960a294637bc2e78a29d724810e24204eb342c9f033a1",
        FILES["x_test"].raw_sha256,
        FILES["x_test"].raw_size,
    ),
    "y_test": DataFile(
        "t10k-labels-idx1-ubyte.gz",
        "2c54c993d38068b3c3adb720a5cdee07065a066a7b36e7d1df720548d6359eba",
        FILES["y_test"].raw_sha256,
        FILES["y_test"].raw_size,
    ),
}

#: Seconds to wait for a mirror at each step (connecting, each read) before trying the next.
TIMEOUT = 30.0


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    sample: bool | None = None,
    timeout: float | None = None,
) -> LoadedData:
    """Load MNIST and say where it came from.

    Args:
        path: a Keras-style ``mnist.npz`` or a folder with the four IDX files (``.gz`` or not).
            ``None`` (the default) searches the caches and then downloads.
        sample: ``None`` (the default) gives full MNIST when it is cached or downloadable and
            the packaged sample otherwise; ``True`` always gives the sample; ``False`` gives
            full MNIST or raises.
        timeout: seconds to wait for a mirror at each step; defaults to ``TIMEOUT``.

    Returns:
        A :class:`LoadedData`: the four uint8 arrays, ``.data`` in Keras's tuple form,
        ``.source`` (one line to print: which data, from where) and ``.is_sample``.

    Raises:
        DatasetUnavailableError: ``sample=False`` and full MNIST is nowhere to be had.
        FileNotFoundError, ValueError: ``path`` is missing or does not hold MNIST-style data;
            ``sample`` is not None, True or False.
    """
    if sample is not None and not isinstance(sample, bool):
        raise ValueError(
            f"sample must be None (the full set, else the sample), True or False. "
            f"Received: sample={sample!r}"
        )
    if path is not None and _is_keras_default(path):
        path = None
    if path is not None:
        if sample:
            raise ValueError(
                f"Pass either path or sample=True, not both. Received: "
                f"path={str(path)!r}, sample={sample!r}"
            )
        return load_explicit(_spec(), Path(path).expanduser())
    if sample:
        return _load_sample()
    try:
        return load_full(_spec(), TIMEOUT if timeout is None else timeout)
    except DatasetUnavailableError as error:
        if sample is False:
            raise
        return _load_sample(
            reason="full MNIST is not cached and could not be downloaded", tried=error.tried
        )


def load_data(
    path: str | os.PathLike[str] | None = None, *, sample: bool | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    ``x_train`` is uint8 of shape (60000, 28, 28) with pixels 0-255, ``y_train`` uint8 of shape
    (60000,) with digits 0-9; the test arrays have 10000 rows. The data comes from ``path``,
    the caches or a download (see the module docstring); use :func:`load` to learn which.

    Args:
        path: a Keras-style ``mnist.npz`` or a folder with the four IDX files; ``None`` (the
            default) searches the caches, then downloads.
        sample: ``None`` (the default) gives full MNIST when it is cached or downloadable, and
            otherwise the sample packaged with numkeras (10,000 training digits and the
            official 10,000 test digits) with a warning, once per process, that says what was
            tried and how to get the full set; ``True`` gives the sample at once, without
            warning; ``False`` gives full MNIST or raises.

    Raises:
        DatasetUnavailableError: ``sample=False`` and full MNIST is not cached and cannot be
            downloaded; the message lists what was tried and where to put the files by hand.
    """
    loaded = load(path, sample=sample)
    if loaded.is_sample and sample is None:
        _warn_of_the_sample(loaded)
    return loaded.data


def _is_keras_default(path: str | os.PathLike[str]) -> bool:
    # Keras's load_data(path="mnist.npz") names a file inside its cache, not in the working
    # folder; code written for Keras that passes it means "the usual place".
    return os.fspath(path) == NPZ.name and not Path(path).exists()


def _spec() -> DatasetSpec:
    # Built at call time from the module constants, so a test can swap mirrors or checksums.
    return DatasetSpec(
        title="MNIST",
        module="mnist",
        folder="mnist",
        files=FILES,
        mirrors=MIRRORS,
        npz=NPZ,
        npz_mirrors=NPZ_MIRRORS,
        hint="With no network, numkeras.datasets.mnist.load_data() (sample=None, the default) "
        "falls back to the real MNIST sample packaged with numkeras (10,000 training + "
        "10,000 test digits), and load_data(sample=True) loads it at once.",
    )


def _load_sample(reason: str = "", tried: tuple[str, ...] = ()) -> LoadedData:
    arrays = load_verified_folder(SAMPLE_DIR, SAMPLE_FILES)
    note = f"; {reason}" if reason else ""
    return LoadedData(
        *arrays,
        source=f"MNIST sample packaged with numkeras ({counts(arrays)}; the full training set "
        f"has 60,000){note}",
        is_sample=True,
        tried=tried,
    )


#: Whether load_data() has said, in this process, that it returned the sample.
_warned_of_the_sample = False


def _warn_of_the_sample(loaded: LoadedData) -> None:
    # Once per process: a notebook that reloads the data in every cell needs to read it once.
    global _warned_of_the_sample
    if _warned_of_the_sample:
        return
    _warned_of_the_sample = True
    tried = "".join(f"\n  - {entry}" for entry in loaded.tried)
    warnings.warn(
        f"Full MNIST is not on this machine and could not be downloaded, so load_data() returns "
        f"the MNIST sample packaged with numkeras: {len(loaded.x_train):,} training digits "
        f"instead of 60,000, and the official {len(loaded.x_test):,} test digits. Tried, in "
        f"order:{tried}\n"
        f"To get the full set, connect to a network, or put {NPZ.name} (or the four IDX files "
        f"in a folder mnist) in {numkeras_cache_dir()} (that is $NUMKERAS_HOME/datasets), or "
        f"pass load_data(path=...) a {NPZ.name} or such a folder. load_data(sample=True) loads "
        f"the sample without this warning; load_data(sample=False) raises instead.",
        UserWarning,
        stacklevel=3,
    )
