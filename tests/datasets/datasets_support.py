"""Constants and helpers shared by the dataset tests (fixtures are in conftest.py)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from numkeras.datasets import mnist

# The real MNIST files packaged with numkeras (tests/conftest.py's mnist_dir, for session fixtures).
SAMPLE_MNIST = mnist.SAMPLE_DIR

# From numkeras/datasets/data/README.md: the sha256 of the 10k training files (the gzip files).
TRAIN_10K_IMAGES_SHA256 = "6f8d561a9789b119611b60d7ed16a95ab361419a8692b65d8d1c00a267f30af1"
TRAIN_10K_LABELS_SHA256 = "6a4b6227e4d6a2f4c6e5e45a715db07f0f0c9ce94065aaa18b213daf103dafd3"

# The packaged files under the names of the full dataset, as a mirror would serve them.
SERVED_AS = {
    "train-images-idx3-ubyte.gz": "train-10k-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz": "train-10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz": "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz": "t10k-labels-idx1-ubyte.gz",
}
HANG_SECONDS = 10.0  # how long a hanging mirror keeps a request open; far past the test timeout
TEST_TIMEOUT = 0.5


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden temporary files included), relative names, sorted."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def write_idx(
    path: Path, array: np.ndarray, type_code: int = 0x08, compress: bool = True, tail: bytes = b""
) -> Path:
    """Write ``array`` as an IDX file (gzipped unless told otherwise), plus ``tail`` bytes."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    data = header + array.tobytes() + tail
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_gzip_bomb(path: Path, header: bytes, size: int) -> Path:
    """A small gzip file whose content is ``header`` and then ``size`` zero bytes or more.

    Built from one compressed 16 MiB block of zeros repeated as gzip members (which a reader
    decompresses one after the other), so 200 MB cost about 200 KB and a few milliseconds.
    """
    block = 16 << 20
    member = gzip.compress(bytes(block), compresslevel=9)
    path.write_bytes(gzip.compress(header) + member * -(-size // block))
    return path
