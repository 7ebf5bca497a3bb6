"""The fresh-clone promise: nothing in src/, tests/ or the Makefile names a path outside the repo.

A user's clone holds the repository and nothing beside it, so a path that climbs out of it (to a
sibling data folder, say) works on the developers' machines only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {
    ".py",
    ".c",
    ".h",
    ".md",
    ".txt",
    ".toml",
    ".cfg",
    ".ini",
    ".sh",
    ".js",
    ".html",
    ".css",
    ".json",
    ".yaml",
    ".yml",
}
# Built outputs that setuptools and pytest write: not part of a clone.
SKIPPED_FOLDERS = {"__pycache__", ".pytest_cache", ".hypothesis"}

# What climbs out: the folder beside the repository (as a path or a pathlib join), a ".." path
# component, and parents[...] or .parent chains that go past the top. Strings such as
# "../../etc/passwd" in tests of the file formats are data, not paths, so only the Makefile,
# which runs commands, is held to "no ../ at all".
CLIMB = re.compile(r"\.\.[/\\]+shared\b|/\s*[\"']shared[\"']|[\"']\.\.[\"']")
MAKEFILE_CLIMB = re.compile(r"\.\.[/\\]")
PARENTS = re.compile(r"\bparents\[(\d+)\]")
PARENT_CHAIN = re.compile(r"__file__\)?(?:\.resolve\(\))?((?:\.parent\b)+)")


def _scanned() -> list[Path]:
    # This file is left out: its test cases are climbs, written down as data.
    files = [REPO / "Makefile"]
    for top in ("src", "tests"):
        for path in sorted((REPO / top).rglob("*")):
            parts = set(path.relative_to(REPO).parts)
            if (
                path.is_file()
                and path.suffix in TEXT_SUFFIXES
                and not parts & SKIPPED_FOLDERS
                and not any(part.endswith(".egg-info") for part in parts)
                and path != Path(__file__).resolve()
            ):
                files.append(path)
    return files


def outside_paths(path: Path, repo: Path = REPO) -> list[str]:
    """``line number: text`` of each line of ``path`` that names a place outside ``repo``."""
    # parents[depth - 1], or depth times .parent, is the repository itself.
    depth = len(path.relative_to(repo).parts)
    climb = MAKEFILE_CLIMB if path.name == "Makefile" else CLIMB
    found = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        climbs = [int(n) >= depth for n in PARENTS.findall(line)]
        climbs += [chain.count(".parent") > depth for chain in PARENT_CHAIN.findall(line)]
        if climb.search(line) or any(climbs):
            found.append(f"{number}: {line.strip()}")
    return found


def test_no_path_reaches_outside_the_repository():
    found = {
        str(path.relative_to(REPO)): lines for path in _scanned() if (lines := outside_paths(path))
    }
    assert found == {}


@pytest.mark.parametrize(
    "line, climbs",
    [
        ('DATA = Path(__file__).resolve().parents[3] / "data"', True),  # above the repository
        ('DATA = Path(__file__).resolve().parents[2] / "data"', False),  # the repository itself
        ('MNIST = REPO / "{up}" / "shared" / "data"', True),
        ('MNIST = REPO.parent / "shared" / "data"', True),
        ("cp {up}/shared/data/mnist/*.gz .", True),
        ('FUZZ = ["../../etc/passwd", "../x.npy"]  # archive member names', False),
        ("ROOT = Path(__file__).parent.parent.parent.parent", True),
        ("ROOT = Path(__file__).parent.parent.parent", False),
        ('PReLU(shared_axes=[1, 2]); names=("shared", "head")', False),
    ],
)
def test_the_scan_tells_a_climb_from_a_path_inside(tmp_path, line, climbs):
    # A stand-in repository holding one file two folders deep, as tests/datasets/x.py is.
    path = tmp_path / "tests" / "datasets" / "x.py"
    path.parent.mkdir(parents=True)
    # "{up}" stands for "..", so that this file does not itself name the folder beside a clone.
    path.write_text(line.replace("{up}", "..") + "\n")
    assert bool(outside_paths(path, tmp_path)) == climbs


def test_the_makefile_may_not_climb_at_all(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text("data:\n\tcp -r ../data .\n")
    assert outside_paths(makefile, tmp_path) == ["2: cp -r ../data ."]
