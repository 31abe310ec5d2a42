"""Following a download job over the real protocol, and looking at the processes it leaves."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sidecar_devkit.client import SidecarProcess

WAIT = 30.0  # generous bounds: these tests prove outcomes, not speed


def progress_of(sidecar: SidecarProcess, token: object) -> list[dict[str, Any]]:
    """The $/progress values seen so far for ``token``, in order."""
    return [n["params"]["value"] for n in sidecar.notifications if n.get("method") == "$/progress" and n["params"]["token"] == token]


def wait_progress(sidecar: SidecarProcess, token: object, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Read notifications until one for ``token`` matches; return it."""
    deadline = time.monotonic() + WAIT
    while True:
        for value in progress_of(sidecar, token):
            if matches(value):
                return value
        message = sidecar.read_message(timeout=max(0.0, deadline - time.monotonic()))
        assert "id" not in message, f"unexpected response while following {token!r}: {message}"
        sidecar.notifications.append(message)


def wait_end(sidecar: SidecarProcess, token: object) -> dict[str, Any]:
    return wait_progress(sidecar, token, lambda value: value["kind"] == "end")


def wait_bytes(sidecar: SidecarProcess, token: object) -> dict[str, Any]:
    """The first report that shows bytes downloaded."""
    return wait_progress(
        sidecar, token, lambda value: value["kind"] == "report" and (((value.get("detail") or {}).get("progress") or {}).get("downloaded_bytes") or 0) > 0
    )


def job(sidecar: SidecarProcess, job_id: str) -> dict[str, Any]:
    return next(entry for entry in sidecar.request("download/list")["jobs"] if entry["job_id"] == job_id)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces; the parent pid is the 2nd field after it.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: with the fork server, the template and the workers it forked."""
    found, todo = [], [pid]
    while todo:
        below = children(todo.pop())
        found += below
        todo += below
    return found


def writer_into(root: Path) -> int:
    """The one process with a file under ``root`` open for writing: the worker downloading there
    (however it was started: forked from the template, a spare, spawned)."""
    holders = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target.startswith(str(root) + os.sep) and int(Path(f"/proc/{entry}/fdinfo/{fd}").read_text().split()[3], 8) & os.O_ACCMODE != os.O_RDONLY:
                    holders.add(int(entry))
        except OSError:
            continue
    assert len(holders) == 1, f"processes writing under {root}: {holders}"
    return holders.pop()


def gone(pid: int) -> bool:
    """Wait (bounded) until process ``pid`` no longer exists (or is a zombie nobody has reaped yet)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def group_gone(pgid: int) -> bool:
    """Wait (bounded) until no process is left in group ``pgid``."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def leftovers(root: Path) -> list[str]:
    """Partial or temporary files and the job temp dirs anywhere under ``root``."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.name.startswith(".sidecar-download-") or path.suffix in (".part", ".ytdl", ".temp") or "-Frag" in path.name
    )
