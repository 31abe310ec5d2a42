"""Debian's adb server, started on a private port with its own HOME (so its own ~/.android/adbkey),
as a user's PC runs one. Only the server started here is ever killed, on its own port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class AdbServer:
    def __init__(self, home: Path) -> None:
        if shutil.which("adb") is None:
            raise RuntimeError("Debian's adb is not installed (requirements/apt.txt lists it; run ./scripts/setup)")
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "ADB_VENDOR_KEYS": ""}
        self.env.pop("ADB_SERVER_SOCKET", None)
        started = self("start-server")
        assert started.returncode == 0, started.stderr

    @property
    def spec(self) -> str:
        return f"tcp:{self.port}"

    @property
    def public_key(self) -> str:
        """The key this server signs with (made by start-server), as a device's adb_keys lists it."""
        return (self.home / ".android" / "adbkey.pub").read_text()

    def __call__(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """The user's own ``adb`` command against this server."""
        return subprocess.run(["adb", "-P", str(self.port), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    def connect(self, serial: str) -> None:
        self("connect", serial)
        waited = self("-s", serial, "wait-for-device", timeout=20)
        assert waited.returncode == 0, waited.stderr

    def state(self, serial: str) -> str | None:
        """The device's state as ``adb devices`` prints it (get-state fails for an unauthorized one)."""
        lines = (line.split("\t") for line in self("devices").stdout.splitlines()[1:])
        return next((fields[1] for fields in lines if len(fields) == 2 and fields[0] == serial), None)

    def wait_for_state(self, serial: str, state: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.state(serial) != state:
            assert time.monotonic() < deadline, f"{serial} never reached {state!r}"
            time.sleep(0.1)

    def kill(self) -> None:
        self("kill-server")
