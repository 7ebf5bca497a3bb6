"""The direction of imports inside numkeras: a part stands above what it uses, never below.

Every module's imports are read with ``ast`` (those inside functions too, relative ones resolved
against the module's package), and each rule names the modules it binds and what they must not
import. A failure lists each offending import as ``module imports target (file:line)``.

* The engine (``ops/``, ``backend/`` but for its ``keras2`` module, ``kernels.py``, its C
  extensions and its CUDA twins ``cuda_kernels.py``, ``blas.py``, ``nest.py``) imports nothing
  of numkeras above it.
  ``numkeras.backend.keras2`` holds Keras 2's ``K.*`` functions, which wrap ops, losses and
  layers: it stands above the engine, and the backend package's lazy ``__getattr__`` that loads
  it on first use (so that ``from numkeras import backend as K; K.sum(x)`` works as in Keras 2,
  while the engine never calls it) is the one upward import the engine may make.
* Layers never import models: a layer never knows which model holds it.
* Saving never imports models: models use saving, and know themselves by what they have.
* The library never imports its tools (``cli``, ``serve``, ``recipe``): they stand on top of it.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "numkeras"

ENGINE = (
    "numkeras.ops",
    "numkeras.backend",
    "numkeras.kernels",
    "numkeras._kernels",
    "numkeras._conv_kernels",
    "numkeras._recurrent_kernels",
    "numkeras.cuda_kernels",
    "numkeras.blas",
    "numkeras.nest",
)
#: Modules inside an engine package that stand above the engine.
ABOVE_ENGINE = ("numkeras.backend.keras2",)
#: The upward imports that the rules allow, as (importer, target): the lazy hook to Keras 2's K.*.
LAZY_HOOKS = (("numkeras.backend", "numkeras.backend.keras2"),)
TOOLS = ("numkeras.cli", "numkeras.serve", "numkeras.recipe")
#: ``python -m numkeras`` runs the command line, so it stands above the tools.
ENTRY_POINTS = ("numkeras.__main__",)


@dataclasses.dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to a full module name."""

    module: str
    target: str
    where: str

    def __str__(self) -> str:
        return f"{self.module} imports {self.target} ({self.where})"


def within(name: str, prefixes: Iterable[str]) -> bool:
    """Whether module ``name`` is one of ``prefixes`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def module_name(path: Path) -> str:
    """``src/numkeras/ops/core.py`` -> ``numkeras.ops.core``; a package is its ``__init__``."""
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(
    source: str, module: str, is_package: bool, known: set[str], where: str = ""
) -> list[Import]:
    """Every import in ``source``, the text of ``module``, at any depth (inside functions and
    ``if`` blocks too). Relative imports are resolved against the module's package;
    ``from package import name`` targets ``package.name`` when that is a module in ``known``,
    else ``package``."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        at = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, at) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            if node.level == 0:
                base = node.module or ""
            elif node.module:
                base = f"{base}.{node.module}"
            for alias in node.names:
                inner = f"{base}.{alias.name}"
                found.append(Import(module, inner if inner in known else base, at))
    return found


def library_imports() -> list[Import]:
    """The imports of every module of the numkeras package."""
    files = sorted(PACKAGE.rglob("*.py"))
    # The C extensions (built from their sources) are modules too.
    known = {module_name(f) for f in files} | {f"numkeras.{c.stem}" for c in PACKAGE.glob("*.c")}
    return [
        found
        for f in files
        for found in imports_in(
            f.read_text(encoding="utf-8"),
            module_name(f),
            f.name == "__init__.py",
            known,
            str(f.relative_to(SOURCE.parent)),
        )
    ]


def in_engine(name: str) -> bool:
    """Whether module ``name`` is part of the engine."""
    return within(name, ENGINE) and not within(name, ABOVE_ENGINE)


def violations(
    imports: Iterable[Import],
    importers: Iterable[str],
    forbidden: Callable[[str], bool],
    exempt: Iterable[str] = (),
    allowed: Iterable[tuple[str, str]] = (),
) -> list[str]:
    """The imports by modules within ``importers`` (and not within ``exempt``) whose target
    is ``forbidden``, but for the ``(module, target)`` pairs ``allowed``, each as
    ``module imports target (file:line)``."""
    importers, exempt, allowed = tuple(importers), tuple(exempt), set(allowed)
    return [
        str(i)
        for i in imports
        if within(i.module, importers)
        and not within(i.module, exempt)
        and forbidden(i.target)
        and (i.module, i.target) not in allowed
    ]


RULES = {
    "the engine imports nothing above it": dict(
        importers=ENGINE,
        exempt=ABOVE_ENGINE,
        forbidden=lambda target: within(target, ["numkeras"]) and not in_engine(target),
        allowed=LAZY_HOOKS,
    ),
    "layers do not import models": dict(
        importers=["numkeras.layers"], forbidden=lambda target: within(target, ["numkeras.models"])
    ),
    "saving does not import models": dict(
        importers=["numkeras.saving"], forbidden=lambda target: within(target, ["numkeras.models"])
    ),
    "the library does not import cli, serve or recipe": dict(
        importers=["numkeras"],
        exempt=TOOLS + ENTRY_POINTS,
        forbidden=lambda target: within(target, TOOLS),
    ),
}


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return library_imports()


@pytest.mark.parametrize("rule", list(RULES))
def test_imports_point_down(imports, rule):
    wrong = violations(imports, **RULES[rule])
    assert not wrong, f"{rule}, but:\n" + "\n".join(wrong)


def test_every_module_is_read(imports):
    # Guards the rules against passing on nothing: each part of the package has imports.
    modules = {i.module for i in imports}
    for part in (
        "numkeras.ops.core",
        "numkeras.layers.core",
        "numkeras.saving.rebuild",
        "numkeras.callbacks.callback",
        "numkeras.recipe.dropout",
        "numkeras.cli",
    ):
        assert part in modules


def test_imports_are_resolved_at_any_depth():
    source = (
        "import numpy as np\n"
        "from . import core, helper\n"
        "from ..models import model\n"
        "from numkeras.layers import Dense\n"
        "def late():\n"
        "    if True:\n"
        "        from ..layers.core import Dense\n"
    )
    known = {"numkeras.saving.core", "numkeras.models.model", "numkeras.layers.core"}
    found = imports_in(source, "numkeras.saving.rebuild", False, known, "rebuild.py")
    assert [(i.target, i.where) for i in found] == [
        ("numpy", "rebuild.py:1"),
        ("numkeras.saving.core", "rebuild.py:2"),
        ("numkeras.saving", "rebuild.py:2"),
        ("numkeras.models.model", "rebuild.py:3"),
        ("numkeras.layers", "rebuild.py:4"),
        ("numkeras.layers.core", "rebuild.py:7"),
    ]
    in_package = imports_in("from . import core\n", "numkeras.saving", True, known)
    assert [i.target for i in in_package] == ["numkeras.saving.core"]


def test_a_violation_names_the_module_and_the_import():
    imports = [
        Import("numkeras.ops.core", "numkeras.layers.core", "numkeras/ops/core.py:9"),
        Import("numkeras.ops.core", "numkeras.backend", "numkeras/ops/core.py:3"),
        Import("numkeras.recipe.lab", "numkeras.cli", "numkeras/recipe/lab.py:4"),
        Import("numkeras.metrics", "numkeras.recipe", "numkeras/metrics.py:12"),
    ]
    assert violations(imports, **RULES["the engine imports nothing above it"]) == [
        "numkeras.ops.core imports numkeras.layers.core (numkeras/ops/core.py:9)"
    ]
    assert violations(imports, **RULES["the library does not import cli, serve or recipe"]) == [
        "numkeras.metrics imports numkeras.recipe (numkeras/metrics.py:12)"
    ]


def test_the_engine_rule_names_the_keras2_backend_as_above_it(imports):
    # The hook is really there (the allowance is not stale), and it is the only way in: an op
    # importing the Keras 2 functions is a violation, while their own imports are not the
    # engine's.
    assert any((i.module, i.target) in LAZY_HOOKS for i in imports)
    rule = RULES["the engine imports nothing above it"]
    candidates = [
        Import("numkeras.backend", "numkeras.backend.keras2", "numkeras/backend/__init__.py:9"),
        Import("numkeras.ops.nn", "numkeras.backend.keras2", "numkeras/ops/nn.py:5"),
        Import("numkeras.backend.keras2", "numkeras.losses", "numkeras/backend/keras2.py:7"),
        Import("numkeras.backend", "numkeras.losses", "numkeras/backend/__init__.py:3"),
    ]
    assert violations(candidates, **rule) == [
        "numkeras.ops.nn imports numkeras.backend.keras2 (numkeras/ops/nn.py:5)",
        "numkeras.backend imports numkeras.losses (numkeras/backend/__init__.py:3)",
    ]
