"""The example programs, imported as modules so that a test can call their ``main`` with its
own budget (running them as scripts is ``python examples/<name>.py``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def example() -> Callable[[str], ModuleType]:
    """``example("mnist_lstm")`` is ``examples/mnist_lstm.py`` as a module (its ``__main__``
    block does not run)."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
