"""The development tools stay out of the product: no module of the sidecar imports the devkit (the
import arrow runs one way, devkit -> sidecar), and the sidecar's own wheel, the one the runtime
installs, carries none of it. (The built runtime is checked in tests/runtime/test_contents.py.)"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from tools.runtime_build.install import sidecar_wheel

from ..conftest import REPO

DEVKIT = "sidecar_devkit"
MOVED = ("sidecar/emulate/", "sidecar/client.py", "sidecar/demo.py")  # where the devkit's modules lived


def imported_modules(path: Path) -> set[str]:
    """Absolute module names ``path`` imports, at any depth (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_module_of_the_sidecar_imports_the_devkit() -> None:
    offenders = [
        str(path.relative_to(REPO)) for path in sorted((REPO / "sidecar").rglob("*.py")) if any(name.split(".")[0] == DEVKIT for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_sidecar_wheel_the_runtime_installs_carries_no_development_tools(tmp_path: Path) -> None:
    names = zipfile.ZipFile(sidecar_wheel(tmp_path)).namelist()
    assert "sidecar/server/run.py" in names
    assert [name for name in names if name.startswith((DEVKIT, *MOVED))] == []
