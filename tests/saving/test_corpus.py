"""The regression corpus: every hostile or broken file in tests/saving_corpus/ is refused.

Each file must raise ModelFileError with the expected words, run no payload (the pickled one
would change floatx), and create no file (some name callbacks that would write one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from numkeras import backend
from numkeras.models import load_model
from numkeras.saving import ModelFileError

CORPUS = Path(__file__).resolve().parents[1] / "saving_corpus"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".numkeras", ".keras", ".h5")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFileError, match=None) as caught:
        load_model(CORPUS / name)
    assert EXPECTED[name] in str(caught.value)
    assert backend.floatx() == "float32"
    assert list(tmp_path.iterdir()) == []
