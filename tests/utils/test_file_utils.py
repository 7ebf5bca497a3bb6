"""get_file against a local HTTP server: cache, hashes, extraction, refusals."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from numkeras.utils import get_file

CONTENT = b"numkeras " * 1000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A local server of a plain file, a tar.gz and a zip, and hostile archives."""
    root = tmp_path_factory.mktemp("site")
    (root / "data.txt").write_bytes(CONTENT)
    with tarfile.open(root / "pack.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("pack/inner.txt")
        info.size = len(CONTENT)
        tar.addfile(info, io.BytesIO(CONTENT))
    with zipfile.ZipFile(root / "pack.zip", "w") as zipped:
        zipped.writestr("pack/inner.txt", CONTENT)
    with zipfile.ZipFile(root / "evil.zip", "w") as zipped:
        zipped.writestr("../escaped.txt", b"x")
    with tarfile.open(root / "link.tar", "w") as tar:
        info = tarfile.TarInfo("pack/link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_downloads_once_into_the_cache_and_checks_the_hash(site, tmp_path):
    digest = hashlib.sha256(CONTENT).hexdigest()
    path = get_file("data.txt", f"{site}/data.txt", file_hash=digest, cache_dir=tmp_path)
    assert Path(path) == tmp_path / "datasets" / "data.txt"
    assert Path(path).read_bytes() == CONTENT
    # Cached: a dead origin is not asked again.
    again = get_file("data.txt", "http://127.0.0.1:9/gone", file_hash=digest, cache_dir=tmp_path)
    assert again == path


def test_the_name_defaults_to_the_url_and_md5_is_recognised(site, tmp_path):
    md5 = hashlib.md5(CONTENT).hexdigest()
    path = get_file(origin=f"{site}/data.txt", md5_hash=md5, cache_dir=tmp_path)
    assert Path(path).name == "data.txt"


def test_a_wrong_hash_keeps_nothing_and_a_stale_cache_is_replaced(site, tmp_path):
    with pytest.raises(ValueError, match="does not match file_hash"):
        get_file("data.txt", f"{site}/data.txt", file_hash="0" * 64, cache_dir=tmp_path)
    assert os.listdir(tmp_path / "datasets") == []
    stale = tmp_path / "datasets" / "data.txt"
    stale.write_bytes(b"old")
    digest = hashlib.sha256(CONTENT).hexdigest()
    get_file("data.txt", f"{site}/data.txt", file_hash=digest, cache_dir=tmp_path)
    assert stale.read_bytes() == CONTENT


@pytest.mark.parametrize("archive", ["pack.tar.gz", "pack.zip"])
def test_archives_are_extracted_where_keras_puts_them(site, tmp_path, archive):
    folder = get_file(archive, f"{site}/{archive}", extract=True, cache_dir=tmp_path)
    assert Path(folder) == tmp_path / "datasets" / "pack_extracted"
    assert (Path(folder) / "pack" / "inner.txt").read_bytes() == CONTENT


def test_untar_is_keras1s_extract(site, tmp_path):
    folder = get_file("pack", f"{site}/pack.tar.gz", untar=True, cache_dir=tmp_path)
    assert (Path(folder) / "pack" / "inner.txt").is_file()
    assert (tmp_path / "datasets" / "pack_archive").is_file()


@pytest.mark.parametrize(
    "archive, message", [("evil.zip", "outside its folder"), ("link.tar", "neither a file")]
)
def test_hostile_archives_are_refused_and_leave_nothing(site, tmp_path, archive, message):
    with pytest.raises(ValueError, match=message):
        get_file(archive, f"{site}/{archive}", extract=True, cache_dir=tmp_path)
    assert not (tmp_path / "escaped.txt").exists()
    assert sorted(os.listdir(tmp_path / "datasets")) == [archive]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fname": "x"}, "needs origin"),
        ({"fname": "a/b", "origin": "http://h/x"}, "not a path"),
        ({"origin": "http://h/x", "hash_algorithm": "sha1"}, "hash_algorithm"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_file(cache_dir=tmp_path, **kwargs)


def test_the_default_cache_is_keras_home(site, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    path = get_file("data.txt", f"{site}/data.txt")
    assert Path(path) == tmp_path / "keras-home" / "datasets" / "data.txt"
