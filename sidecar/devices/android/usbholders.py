"""Which programs hold a USB device open, read from /proc (Linux only; elsewhere nothing is known).

libusb says only "busy" when another program has claimed the phone's debugging interface.
The technician needs to know which program: usually an adb server (Android Studio,
platform-tools, scrcpy, a vendor suite) that the sidecar did not find at its address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    name: str  # the program's name as the kernel knows it (comm), e.g. "adb"

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


def holders(node: str, proc: Path = PROC) -> list[Holder]:
    """Processes with ``node`` (e.g. ``/dev/bus/usb/001/007``) open; the ones we may not inspect are skipped."""
    found = []
    for entry in _pids(proc):
        try:
            fds = os.listdir(entry / "fd")
        except OSError:
            continue
        if any(_points_to(entry / "fd" / fd, node) for fd in fds):
            found.append(Holder(int(entry.name), _name(entry)))
    return found


def _pids(proc: Path) -> list[Path]:
    try:
        return [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def _points_to(link: Path, node: str) -> bool:
    try:
        return os.readlink(link) == node
    except OSError:
        return False


def _name(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip() or "?"
    except OSError:
        return "?"
