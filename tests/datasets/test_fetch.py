"""The downloader against a local HTTP server: mirror order, checksums, timeouts, atomic cache."""

from __future__ import annotations

import errno
import os
import socket
import tracemalloc

import pytest
from datasets_support import SERVED_AS, TEST_TIMEOUT, files_under, sha256, write_gzip_bomb

from numkeras.datasets import DatasetUnavailableError, _fetch

IDX_NAMES = sorted(SERVED_AS)


def test_working_mirror_fills_the_cache_and_the_next_load_uses_it(local_mnist, server, isolated):
    local_mnist.MIRRORS = (server.url("ok"),)
    first = local_mnist.load(sample=False)
    assert first.source.startswith(
        f"MNIST (10,000 training + 10,000 test images) downloaded from {server.url('ok')} into "
    )
    assert first.x_train.shape == (10000, 28, 28) and first.y_test.shape == (10000,)
    cache = isolated / "numkeras-home" / "datasets"
    assert files_under(cache) == [f"mnist/{name}" for name in IDX_NAMES]

    local_mnist.MIRRORS = (server.url("missing"),)
    server.requests.clear()
    second = local_mnist.load(sample=False)
    assert second.source.startswith(
        f"MNIST (10,000 training + 10,000 test images) from the numkeras cache {cache / 'mnist'}"
    )
    assert server.requests == []


def test_mirrors_are_tried_in_order_past_404_corruption_and_a_hang(local_mnist, server, isolated):
    local_mnist.MIRRORS = tuple(server.url(m) for m in ("missing", "corrupt", "hang", "ok"))
    loaded = local_mnist.load(sample=False)
    assert loaded.source.startswith(
        f"MNIST (10,000 training + 10,000 test images) downloaded from {server.url('ok')}"
    )
    first = "train-images-idx3-ubyte.gz"
    assert loaded.tried[-3:] == (
        f"{server.url('missing')}{first}: HTTP error 404 Not Found",
        f"{server.url('corrupt')}{first}: corrupted download: sha256 "
        f"{sha256(_corrupted(server, first))} does not match the expected "
        f"{local_mnist.FILES['x_train'].sha256}",
        f"{server.url('hang')}{first}: no answer within the timeout of {TEST_TIMEOUT:g} s",
    )
    cache = isolated / "numkeras-home" / "datasets"
    assert files_under(cache) == [f"mnist/{name}" for name in IDX_NAMES]
    for name in IDX_NAMES:
        assert sha256(cache / "mnist" / name) == sha256(server.root / name)


def test_failed_and_corrupted_downloads_leave_nothing_in_the_cache(local_mnist, server, isolated):
    local_mnist.NPZ_MIRRORS = (server.url("corrupt"), server.url("stall"))
    local_mnist.MIRRORS = tuple(server.url(m) for m in ("missing", "corrupt", "hang", "stall"))
    with pytest.raises(DatasetUnavailableError) as caught:
        local_mnist.load(sample=False)
    assert len(caught.value.tried) == 3 + 2 + 4
    assert "no answer within the timeout" in caught.value.tried[-1]  # the stalled body
    assert files_under(isolated / "numkeras-home") == []


def test_partly_cached_files_are_kept_and_only_the_rest_downloaded(local_mnist, server, isolated):
    folder = isolated / "numkeras-home" / "datasets" / "mnist"
    folder.mkdir(parents=True)
    for name in IDX_NAMES[:2]:
        (folder / name).write_bytes((server.root / name).read_bytes())
    local_mnist.MIRRORS = (server.url("ok"),)
    local_mnist.load(sample=False)
    assert sorted(server.requests) == [f"/ok/{name}" for name in IDX_NAMES[2:]]


def test_a_cached_file_with_a_wrong_checksum_is_ignored_and_replaced(local_mnist, server, isolated):
    folder = isolated / "numkeras-home" / "datasets" / "mnist"
    folder.mkdir(parents=True)
    for name in IDX_NAMES:
        (folder / name).write_bytes((server.root / name).read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"stale")
    local_mnist.MIRRORS = (server.url("ok"),)
    loaded = local_mnist.load(sample=False)
    assert any("ignored, t10k-labels-idx1-ubyte.gz: sha256" in line for line in loaded.tried)
    assert server.requests == ["/ok/t10k-labels-idx1-ubyte.gz"]
    assert sha256(folder / "t10k-labels-idx1-ubyte.gz") == sha256(
        server.root / "t10k-labels-idx1-ubyte.gz"
    )


def test_keras_npz_is_downloaded_first(local_mnist, server, isolated, capsys):
    local_mnist.NPZ_MIRRORS = (server.url("ok"),)
    local_mnist.MIRRORS = (server.url("ok"),)
    loaded = local_mnist.load(sample=False)
    assert loaded.source.endswith(
        f"downloaded from {server.url('ok')}mnist.npz into "
        f"{isolated / 'numkeras-home' / 'datasets' / 'mnist.npz'}"
    )
    assert server.requests == ["/ok/mnist.npz"]
    assert f"Downloading data from {server.url('ok')}mnist.npz" in capsys.readouterr().err


def test_corrupted_npz_falls_through_to_the_idx_mirrors(local_mnist, server, isolated):
    local_mnist.NPZ_MIRRORS = (server.url("corrupt"),)
    local_mnist.MIRRORS = (server.url("ok"),)
    loaded = local_mnist.load(sample=False)
    assert "corrupted download" in loaded.tried[-1]
    assert files_under(isolated / "numkeras-home" / "datasets") == [
        f"mnist/{name}" for name in IDX_NAMES
    ]


def test_download_keeps_the_previous_file_when_the_new_one_is_corrupt(server, tmp_path):
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(b"previous")
    expected = _fetch.DataFile(target.name, sha256(server.root / target.name))
    with pytest.raises(ValueError, match="corrupted download"):
        _fetch.download(server.url("corrupt") + target.name, target, expected, TEST_TIMEOUT)
    assert target.read_bytes() == b"previous"
    assert files_under(tmp_path) == [target.name]


def test_mismatch_accepts_the_published_or_the_content_digest(mnist_dir, tmp_path):
    import gzip

    labels = mnist_dir / "t10k-labels-idx1-ubyte.gz"
    published = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    content = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    # The shared file wraps the official content in another gzip header than the published one.
    assert _fetch.mismatch(labels, _fetch.DataFile(labels.name, published)) is not None
    by_content = _fetch.DataFile(labels.name, published, content, 10008)
    assert _fetch.mismatch(labels, by_content) is None
    unpacked = tmp_path / "t10k-labels-idx1-ubyte"
    unpacked.write_bytes(gzip.decompress(labels.read_bytes()))
    assert _fetch.mismatch(unpacked, by_content) is None
    # The same content with one byte more is another file, although its first bytes match.
    longer = tmp_path / "longer.gz"
    longer.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes()) + b"\x00"))
    assert _fetch.mismatch(longer, by_content) == _fetch.wrong_digest(sha256(longer), by_content)


def test_a_content_digest_needs_its_size(tmp_path):
    with pytest.raises(
        ValueError,
        match="needs raw_sha256 and raw_size together, or neither. "
        "Received: raw_sha256='ab', raw_size=None",
    ):
        _fetch.DataFile("x.gz", "0" * 64, "ab")
    with pytest.raises(ValueError, match="raw_size of 0 bytes or more. Received: raw_size=-1"):
        _fetch.DataFile("x.gz", "0" * 64, "ab", -1)


def test_a_file_published_with_an_md5_only_is_checked_by_it(tmp_path):
    import hashlib

    path = tmp_path / "words.json"
    path.write_bytes(b'{"the": 1}')
    digest = hashlib.md5(b'{"the": 1}', usedforsecurity=False).hexdigest()
    assert _fetch.mismatch(path, _fetch.DataFile(path.name, None, md5=digest)) is None
    wrong = _fetch.DataFile(path.name, None, md5="0" * 32)
    assert _fetch.mismatch(path, wrong) == f"md5 {digest} does not match the expected {'0' * 32}"
    with pytest.raises(ValueError, match="needs sha256 or md5, one of them"):
        _fetch.DataFile("x", None)
    with pytest.raises(ValueError, match="needs sha256 or md5, one of them"):
        _fetch.DataFile("x", "0" * 64, md5="0" * 32)
    with pytest.raises(ValueError, match="an md5-identified file has none"):
        _fetch.DataFile("x.gz", None, "ab", 3, md5="0" * 32)


def test_a_gzip_bomb_in_the_cache_is_refused_before_it_is_parsed(local_mnist, server, isolated):
    folder = isolated / "numkeras-home" / "datasets" / "mnist"
    folder.mkdir(parents=True)
    for name in IDX_NAMES:
        (folder / name).write_bytes((server.root / name).read_bytes())
    # 200 MB of labels in a 200 KB file: parsed before its checksum, it would cost 200 MB.
    bomb = write_gzip_bomb(
        folder / "t10k-labels-idx1-ubyte.gz",
        b"\x00\x00\x08\x01" + (200_000_000).to_bytes(4, "big"),
        200_000_000,
    )
    problem = f"sha256 {sha256(bomb)} does not match the expected"
    local_mnist.MIRRORS = (server.url("ok"),)
    tracemalloc.start()
    try:
        loaded = local_mnist.load(sample=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert any(f"ignored, t10k-labels-idx1-ubyte.gz: {problem}" in line for line in loaded.tried)
    assert server.requests == ["/ok/t10k-labels-idx1-ubyte.gz"]  # replaced by a good copy
    assert loaded.y_test.shape == (10000,)
    assert peak < 40_000_000  # the 10k sample's arrays and buffers, nothing like the bomb


def test_each_failed_mirror_says_why_at_once(local_mnist, server, capsys):
    with socket.socket() as closed:  # bound but not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/"
        local_mnist.MIRRORS = (server.url("missing"), refused, server.url("ok"))
        local_mnist.load(sample=False)
    first = "train-images-idx3-ubyte.gz"
    err = capsys.readouterr().err.splitlines()
    assert err[:4] == [
        f"Downloading data from {server.url('missing')}{first}",
        "  failed: HTTP error 404 Not Found",
        f"Downloading data from {refused}{first}",
        f"  failed: unreachable ([Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)})",
    ]
    assert err[4] == f"Downloading data from {server.url('ok')}{first}"
    assert not any("failed" in line for line in err[4:])


def test_cache_folders_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMKERAS_HOME", str(tmp_path / "nk"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    assert _fetch.numkeras_cache_dir() == tmp_path / "nk" / "datasets"
    assert _fetch.keras_cache_dir() == tmp_path / "k" / "datasets"
    monkeypatch.delenv("NUMKERAS_HOME")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert _fetch.numkeras_cache_dir() == tmp_path / "h" / ".numkeras" / "datasets"
    assert _fetch.keras_cache_dir() == tmp_path / "h" / ".keras" / "datasets"


def _corrupted(server, name):
    # What the corrupting mirror serves, to name its digest in the expected message.
    data = (server.root / name).read_bytes()
    path = server.root.parent / f"corrupted-{name}"
    path.write_bytes(data[:-20] + bytes(b ^ 0xFF for b in data[-20:]))
    return path
