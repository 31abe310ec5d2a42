"""The command line people use (``python -m sidecar_devkit call``): spawns a sidecar, initializes it, calls,
and shows the answer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import REPO

pytestmark = pytest.mark.e2e


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sidecar_devkit", *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_call_prints_the_result_as_json(tmp_path) -> None:
    done = run("call", "health", "--root", str(tmp_path), cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "ok" and result["initialized"] is True


def test_call_shows_a_readable_error_and_fails(tmp_path) -> None:
    done = run("call", "inspect/basic", '{"device_id": "x", "platform": "windows-phone"}', "--root", str(tmp_path), cwd=REPO)
    assert done.returncode == 1 and done.stdout == ""
    assert "error (invalid_params)" in done.stderr and "suggestion:" in done.stderr


def test_call_rejects_params_that_are_not_json(tmp_path) -> None:
    done = run("call", "health", "{not json", cwd=REPO)
    assert done.returncode != 0 and "not valid JSON" in done.stderr


def test_the_server_command_line_no_longer_offers_call(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "sidecar", "call", "health"], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 2 and "invalid choice: 'call'" in done.stderr
