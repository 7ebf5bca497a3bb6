"""Where dataset files live, how they are checked, and how they are downloaded.

Every file is identified by checksum constants in the code: SHA-256, or MD5 where that is all
Keras publishes (its word indexes). A download goes through
:func:`numkeras.utils.io_utils.atomic_write`: it lands in a temporary file beside its final name,
is checked, fsynced and only then renamed, so the cache never holds a partial or wrong file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numkeras.datasets._idx import read_content
from numkeras.utils.io_utils import atomic_write, file_digest

_CHUNK = 1 << 16
# Some servers refuse the default "Python-urllib" agent.
_USER_AGENT = "numkeras"

#: What a failed download raises: network errors (URLError, HTTPError and timeouts are OSError),
#: a connection cut mid-body (http.client.HTTPException), a checksum mismatch (ChecksumError, a
#: ValueError) and a malformed URL (ValueError).
DOWNLOAD_ERRORS = (OSError, http.client.HTTPException, ValueError)


class ChecksumError(ValueError):
    """A downloaded file is not the one its checksums describe."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, with the checksums that identify it.

    ``sha256`` is the digest of the file as published; None for a file whose publisher gives
    only ``md5`` (Keras's ``imdb_word_index.json`` and ``reuters_word_index.json``), which then
    identifies it. For a gzipped file ``raw_sha256`` is the
    digest of its decompressed content and ``raw_size`` that content's length in bytes:
    re-packagers (Debian, some mirrors) re-compress the same data, which changes the first
    digest but not the second, and either one identifies the data. ``raw_size`` bounds what is
    decompressed to check the second, so a small file that inflates to gigabytes costs little.
    """

    name: str
    sha256: str | None
    raw_sha256: str | None = None
    raw_size: int | None = None
    md5: str | None = None

    def __post_init__(self) -> None:
        if (self.sha256 is None) == (self.md5 is None):
            raise ValueError(
                f"DataFile {self.name!r} needs sha256 or md5, one of them. "
                f"Received: sha256={self.sha256!r}, md5={self.md5!r}"
            )
        if self.sha256 is None and self.raw_sha256 is not None:
            raise ValueError(
                f"DataFile {self.name!r}: raw_sha256 checks a gzipped file beside its sha256; "
                f"an md5-identified file has none. Received: raw_sha256={self.raw_sha256!r}"
            )
        if (self.raw_sha256 is None) != (self.raw_size is None):
            raise ValueError(
                f"DataFile {self.name!r} needs raw_sha256 and raw_size together, "
                f"or neither. Received: raw_sha256={self.raw_sha256!r}, "
                f"raw_size={self.raw_size!r}"
            )
        if self.raw_size is not None and self.raw_size < 0:
            raise ValueError(
                f"DataFile {self.name!r} needs a raw_size of 0 bytes or more. "
                f"Received: raw_size={self.raw_size!r}"
            )

    @property
    def checksum(self) -> tuple[str, str]:
        """The published checksum: ``(algorithm, hex digest)``, SHA-256 where known."""
        if self.sha256 is not None:
            return "sha256", self.sha256
        assert self.md5 is not None  # __post_init__ requires one of the two
        return "md5", self.md5


def numkeras_cache_dir() -> Path:
    """numkeras's dataset cache: ``$NUMKERAS_HOME/datasets``, default ``~/.numkeras/datasets``."""
    home = os.environ.get("NUMKERAS_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".numkeras") / "datasets"


def keras_cache_dir() -> Path:
    """Keras's dataset cache: ``$KERAS_HOME/datasets``, default ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".keras") / "datasets"


def mismatch(path: Path, expected: DataFile) -> str | None:
    """Why ``path`` is not the file ``expected`` describes, or None when it is.

    A gzipped file passes when its own digest or its decompressed content's digest matches;
    an uncompressed copy of a ``.gz`` file passes when its digest matches ``raw_sha256``.
    A file published with an MD5 only passes when its MD5 matches.
    """
    if expected.sha256 is None:
        digest = file_digest(path, hashlib.md5(usedforsecurity=False))
        return None if digest == expected.md5 else wrong_digest(digest, expected)
    digest = sha256(path)
    if digest in (expected.sha256, expected.raw_sha256):
        return None
    if verified_content(path, expected) is not None:
        return None
    return wrong_digest(digest, expected)


def verified_content(path: Path, expected: DataFile) -> bytearray | None:
    """The content of ``path`` (decompressed if it is gzipped) if its digest is ``raw_sha256``.

    Decompresses at most ``raw_size + 1`` bytes, so time and memory stay bounded by the
    expected size whatever the file holds. None when ``expected`` has no content digest, or
    the content is not the expected one (a damaged gzip stream included).
    """
    if expected.raw_sha256 is None or expected.raw_size is None:
        return None
    try:
        # One byte past the expected size tells a longer content from the right one.
        content = read_content(path, expected.raw_size + 1)
    except ValueError:  # a damaged gzip stream is simply not the expected content
        return None
    if hashlib.sha256(content).hexdigest() != expected.raw_sha256:
        return None
    return content


def wrong_digest(digest: str, expected: DataFile) -> str:
    """What :func:`mismatch` says of a file whose digest (by ``expected``'s published
    algorithm) is ``digest``."""
    algorithm, published = expected.checksum
    return f"{algorithm} {digest} does not match the expected {published}"


def download(url: str, target: Path, expected: DataFile, timeout: float) -> None:
    """Download ``url`` to ``target`` with a progress bar, keeping it only if it is ``expected``.

    Args:
        url: where to fetch the file.
        target: its place in the cache; its folder must exist.
        expected: the checksums it must match.
        timeout: seconds to wait for the server at each step (connecting, each read), so a
            mirror that hangs fails instead of blocking forever.

    Raises:
        One of ``DOWNLOAD_ERRORS``; ``target`` is then unchanged and no temporary file remains.
    """
    from tqdm.auto import tqdm  # only downloads need it; keeps `import numkeras` quick

    print(f"Downloading data from {url}", file=sys.stderr)
    with _urlopen(url, timeout) as response:
        size = response.headers.get("Content-Length")
        with (
            atomic_write(target, "wb") as out,
            tqdm(
                total=int(size) if size and size.isdigit() else None,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=target.name,
                disable=None,
            ) as bar,
        ):
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
            out.flush()
            problem = mismatch(Path(out.name), expected)
            if problem is not None:
                raise ChecksumError(f"corrupted download: {problem}")


def describe_error(error: BaseException, timeout: float) -> str:
    """A short account of why a download failed, for the list of what was tried."""
    if isinstance(error, ChecksumError):
        return str(error)
    reason = getattr(error, "reason", None)
    if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError):
        return f"no answer within the timeout of {timeout:g} s"
    if hasattr(error, "code"):  # HTTPError
        return f"HTTP error {error.code} {getattr(error, 'msg', '')}".rstrip()
    if reason is not None:  # URLError: DNS failure, connection refused, ...
        return f"unreachable ({reason})"
    return f"{type(error).__name__}: {error}"


def _urlopen(url: str, timeout: float) -> Any:
    # Imported here: urllib.request pulls in http, ssl and email, which only downloads need.
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)


def sha256(path: Path) -> str:
    """The SHA-256 hex digest of the file ``path``."""
    return file_digest(path, hashlib.sha256())
