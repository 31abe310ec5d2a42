"""The bundled runtime, built once per test session by the real command, then moved to a path with
spaces and non-ASCII characters before anything runs it; and helpers to run it with a given environment."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarProcess
from tools.runtime_build.common import host_target

from ..conftest import REPO

TARGET = host_target()
BUILD_TIMEOUT = 900  # seconds; a warm build takes well under one minute on an idle 2-core machine


@dataclass(frozen=True)
class Built:
    out: Path  # where build_runtime.py wrote: the archive and size report are still here
    built_at: Path  # where the runtime was built (gone: it was moved away)
    root: Path  # the runtime, after the move

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python3"


def build_runtime(out: Path) -> None:
    """The real command, with the fast xz level (the budget check is then conservative)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "build_runtime.py"), "--out", str(out), "--xz-preset", "0"], cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    assert done.returncode == 0, f"build_runtime.py failed:\n{done.stderr}"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("runtime-build")
    build_runtime(out)
    moved = tmp_path_factory.mktemp("installed") / "Runtime Ø ü" / TARGET
    moved.parent.mkdir()
    (out / TARGET).rename(moved)
    return Built(out, out / TARGET, moved)


def run_python(built: Built, code: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Run ``code`` in the runtime as the host starts it (-I), with ``env`` (empty by default); the JSON it prints."""
    done = subprocess.run([str(built.python), "-I", "-c", code], env=env or {}, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def runtime_sidecar(built: Built, tmp_path: Path) -> Iterator[SidecarProcess]:
    """The product sidecar from the moved runtime (`python3 -I -m sidecar`), with an empty environment."""
    with open(tmp_path / "sidecar.stderr.log", "wb") as stderr:
        process = SidecarProcess([str(built.python), "-I", "-m", "sidecar"], stderr=stderr, env={}, cwd=str(tmp_path))
    yield process
    if process.proc.poll() is None:
        process.close()
    else:
        process.wait_or_kill()
