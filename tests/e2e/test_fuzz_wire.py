"""The wire fuzzer (bench/fuzz_wire.py), a bounded run: both framings, every answer checked against its oracle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("seed", [1, 20261122])
def test_fuzzed_frames_in_both_framings_are_each_answered_as_the_protocol_says(seed: int) -> None:
    # About a second per framing; the long run (>= 1 M frames) is documented in BENCHMARKS.md.
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "fuzz_wire.py"), "--frames", "6000", "--seed", str(seed)],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "length: 3001 frames" in run.stdout and "lsp: 3001 frames" in run.stdout
