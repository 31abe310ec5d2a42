"""Fixtures for download tests: a local media server, and real sidecars that never use the machine's ffmpeg."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sidecar.download.presets import FFMPEG_ENV
from sidecar_devkit.client import SidecarProcess

from ..conftest import PRODUCT_ARGV, REPO
from .mediaserver import MediaServer

StartSidecar = Callable[..., SidecarProcess]


@pytest.fixture
def media() -> Iterator[MediaServer]:
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """The policy's downloads root (the ``policy`` fixture's roots are under tmp_path/roots)."""
    return tmp_path / "roots" / "downloads"


@pytest.fixture
def start_sidecar(tmp_path: Path, policy: dict) -> Iterator[StartSidecar]:
    """Start initialized product sidecars (``python -I -m sidecar``), with policy changes as keywords."""
    started: list[SidecarProcess] = []

    def start(**policy_changes: object) -> SidecarProcess:
        # Deterministic presets whatever the machine has: ffmpeg points at nothing.
        env = {**os.environ, FFMPEG_ENV: str(tmp_path / "no-ffmpeg")}
        with open(tmp_path / f"sidecar-{len(started)}.log", "wb") as stderr:  # the child keeps its own copy
            process = SidecarProcess(PRODUCT_ARGV, stderr=stderr, env=env, cwd=str(REPO))
        started.append(process)
        process.initialize(policy | policy_changes)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.close()
        else:
            process.wait_or_kill()


@pytest.fixture
def downloader(start_sidecar: StartSidecar) -> SidecarProcess:
    """An initialized product sidecar that may download from loopback (the development policy allows private networks)."""
    return start_sidecar()
