"""Small files in CIFAR's real formats: Python 2 pickles of batches, in a .tar.gz like Keras's.

The published batches were written by Python 2's cPickle, protocol 2, whose ``str`` (the keys,
the raw image bytes) is the STRING opcodes; Python 3's pickle cannot write those, so
:func:`py2_pickle` writes them as cPickle did, opcode by opcode. :func:`py3_pickle` is
``pickle.dumps``, for files a Python 3 program re-saved.
"""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def py2_pickle(value: object) -> bytes:
    """``value`` (dicts, lists, ints, bytes, uint8 arrays) as Python 2's cPickle.dumps(value, 2)
    writes it, each container and string memoized (BINPUT) as cPickle does."""
    out, memo = [b"\x80\x02"], [0]

    def put() -> None:
        memo[0] += 1
        out.append(b"q" + bytes([memo[0]]) if memo[0] < 256 else b"r" + struct.pack("<I", memo[0]))

    def string(data: bytes) -> None:
        out.append(
            b"U" + bytes([len(data)]) if len(data) < 256 else b"T" + struct.pack("<i", len(data))
        )
        out.append(data)
        put()

    def integer(n: int) -> None:
        if 0 <= n < 256:
            out.append(b"K" + bytes([n]))
        elif 0 <= n < 65536:
            out.append(b"M" + struct.pack("<H", n))
        else:
            out.append(b"J" + struct.pack("<i", n))

    def save(v: object) -> None:
        if isinstance(v, dict):
            out.append(b"}")
            put()
            out.append(b"(")
            for key, item in v.items():
                save(key)
                save(item)
            out.append(b"u")
        elif isinstance(v, list):
            out.append(b"]")
            put()
            out.append(b"(")
            for item in v:
                save(item)
            out.append(b"e")
        elif isinstance(v, bytes):
            string(v)
        elif isinstance(v, int):
            integer(v)
        elif isinstance(v, np.ndarray) and v.dtype == np.uint8:
            out.append(b"cnumpy.core.multiarray\n_reconstruct\n")
            put()
            out.append(b"cnumpy\nndarray\n")
            put()
            out.append(b"K\x00\x85")
            string(b"b")
            out.append(b"\x87R")
            put()
            out.append(b"(K\x01")
            for n in v.shape:
                integer(n)
            out.append(b"\x86" if v.ndim == 2 else b"\x85")
            out.append(b"cnumpy\ndtype\n")
            put()
            string(b"u1")
            out.append(b"K\x00K\x01\x87R")
            put()
            out.append(b"(K\x03")
            string(b"|")
            out.append(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
            string(v.tobytes())
            out.append(b"tb")
        else:
            raise TypeError(f"py2_pickle does not write {type(v).__name__}")

    save(value)
    out.append(b".")
    return b"".join(out)


def py3_pickle(value: object) -> bytes:
    return pickle.dumps(value, protocol=4)


def batch(n: int, seed: int, labels: dict[str, int]) -> dict[bytes, object]:
    """A CIFAR batch of ``n`` images and random labels: ``labels`` maps each label key to its
    class count. The pixels repeat a random run of a prime length, so that every image differs
    and yet a full-size archive compresses quickly."""
    rng = np.random.default_rng(seed)
    found: dict[bytes, object] = {b"batch_label": f"batch {seed}".encode()}
    for key, classes in labels.items():
        found[key.encode()] = [int(c) for c in rng.integers(0, classes, n)]
    found[b"data"] = np.resize(rng.integers(0, 256, 4099, dtype=np.uint8), (n, 3072))
    found[b"filenames"] = [f"image_{seed}_{i}.png".encode() for i in range(n)]
    return found


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    """A .tar.gz holding ``members`` (name -> content), as the CIFAR archives are laid out."""
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def cifar10_members(
    per_batch: int, test: int, dump: Callable[[object], bytes] = py2_pickle
) -> dict[str, bytes]:
    members = {
        f"cifar-10-batches-py/data_batch_{i}": dump(batch(per_batch, i, {"labels": 10}))
        for i in range(1, 6)
    }
    members["cifar-10-batches-py/test_batch"] = dump(batch(test, 0, {"labels": 10}))
    members["cifar-10-batches-py/readme.html"] = b"<html></html>"
    return members


def cifar100_members(train: int, test: int, dump: Callable[[object], bytes] = py2_pickle):
    labels = {"fine_labels": 100, "coarse_labels": 20}
    return {
        "cifar-100-python/train": dump(batch(train, 1, labels)),
        "cifar-100-python/test": dump(batch(test, 2, labels)),
    }
