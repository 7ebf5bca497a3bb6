"""The settings that a backend test changes are restored after it."""

from __future__ import annotations

import pytest

from numkeras import backend


@pytest.fixture(autouse=True)
def _restored_settings(monkeypatch):
    for name in ("_FLOATX", "_EPSILON", "_IMAGE_DATA_FORMAT", "_XP"):
        monkeypatch.setattr(backend, name, getattr(backend, name))
