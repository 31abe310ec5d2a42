"""The host watch's wait between looks ends when the watched process exits (Linux pidfd), and never on its own."""

from __future__ import annotations

import subprocess
import sys

import anyio

from sidecar.server.host_watch import exit_notice

NOTICE_TIMEOUT = 10  # a bound for failure, not a measured time


def test_the_notice_comes_when_the_process_exits() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])

    async def main() -> None:
        with exit_notice(child.pid) as exited:
            child.kill()
            with anyio.fail_after(NOTICE_TIMEOUT):
                await exited()

    try:
        anyio.run(main)
    finally:
        child.kill()
        child.wait()


def test_no_notice_while_the_process_lives_or_when_it_cannot_be_watched() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])

    async def waits_out(pid: int) -> bool:
        with exit_notice(pid) as exited, anyio.move_on_after(0.3) as scope:
            await exited()
        return scope.cancelled_caught

    try:
        assert anyio.run(waits_out, child.pid)
        assert anyio.run(waits_out, -1)  # no such process: the polling decides, the notice never comes
    finally:
        child.kill()
        child.wait()
