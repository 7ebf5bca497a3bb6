"""The suite runs on the CPU even where CuPy finds a GPU, unless the environment asks for one.

``tests/conftest.py`` pins ``NUMKERAS_DEVICE=cpu`` before numkeras is imported; these tests load
it in a fresh process, next to a fake CuPy that claims a GPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
FAKE_CUPY = "class cuda:\n    class runtime:\n        getDeviceCount = staticmethod(lambda: 1)\n"


def _device_in_a_session(tmp_path: Path, **env: str) -> str:
    """The device that numkeras chooses in a fresh process that first loads the suite's conftest,
    as pytest does, with a fake CuPy that sees one GPU and ``env`` in the environment."""
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(FAKE_CUPY)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMKERAS_")}
    environment.update(env, PYTHONPATH=os.pathsep.join([str(tmp_path), str(TESTS), *sys.path]))
    done = subprocess.run(
        [sys.executable, "-c", "import conftest, numkeras; print(numkeras.config.device())"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("env", "device"),
    [({}, "cpu"), ({"NUMKERAS_DEVICE": "gpu"}, "gpu"), ({"NUMKERAS_BACKEND": "cupy"}, "gpu")],
)
def test_the_suite_is_pinned_to_the_cpu_unless_the_environment_names_a_device(
    tmp_path, env, device
):
    assert _device_in_a_session(tmp_path, **env) == device
