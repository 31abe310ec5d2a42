"""Shared fixtures: the real sidecar spawned over pipes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarProcess, development_policy

REPO = Path(__file__).resolve().parent.parent
# The product entry point, exactly as the host spawns it (isolated mode).
PRODUCT_ARGV = [sys.executable, "-I", "-m", "sidecar"]
# The same server with test-only methods (tests/support/testserver.py).
TEST_ARGV = [sys.executable, "-m", "tests.support.testserver"]

Spawn = Callable[..., SidecarProcess]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start sidecars; every one is stopped (and reaped) when the test ends."""
    started: list[SidecarProcess] = []

    def start(*options: str, product: bool = False, framing: str = "length", stderr_name: str | None = None) -> SidecarProcess:
        argv = (PRODUCT_ARGV if product else TEST_ARGV) + ["--framing", framing, *options]
        with open(tmp_path / (stderr_name or f"stderr-{len(started)}.log"), "wb") as stderr:  # the child keeps its own copy
            process = SidecarProcess(argv, framing=framing, stderr=stderr, cwd=str(REPO))
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
        process.wait_or_kill()


@pytest.fixture
def policy(tmp_path: Path) -> dict:
    return development_policy(str(tmp_path / "roots"))


@pytest.fixture
def sidecar(spawn: Spawn, policy: dict) -> SidecarProcess:
    """An initialized test sidecar with every capability."""
    process = spawn()
    process.initialize(policy)
    return process
