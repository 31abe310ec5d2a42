"""iOS log collection: the live syslog relay, and crash reports copied read-only (never erased)."""

from __future__ import annotations

from typing import Any

import anyio

from ...protocol.errors import RpcError
from ..logfile import LogFile
from ..types import LogsCollectParams, Warning
from .inspect import Report
from .lockdown import step
from .syslog import SyslogSplitter

# The relay is live only (no history), so a collection is always bounded in time: the
# requested duration, or this long (a line limit may end it sooner).
DEFAULT_DURATION_S = 10.0
_CHUNK = 64 * 1024


async def collect(lockdown: Any, label: str, timeout_s: float, params: LogsCollectParams, log: LogFile, report: Report) -> list[Warning]:
    if not getattr(lockdown, "paired", False):
        raise RpcError(
            "device_unauthorized",
            f"iOS device {label} is not paired with this computer, so its logs cannot be read",
            "Unlock the iPhone, connect it once to Finder (macOS) or Apple Devices/iTunes (Windows) and tap Trust on "
            "'Trust This Computer?', then retry. The sidecar never pairs by itself.",
            retryable=True,
        )
    if params.scope == "crash":
        return await _crash_reports(lockdown, label, timeout_s, log, report)
    warnings = []
    if params.since is not None:
        warnings.append(Warning("not_supported", "the iOS syslog relay is live only; 'since' was ignored", "since"))
    duration = params.duration_s or DEFAULT_DURATION_S
    with anyio.move_on_after(duration):
        await _syslog(lockdown, label, params.max_lines, duration, timeout_s, log, report)
    return warnings


async def _syslog(lockdown: Any, label: str, max_lines: int | None, duration: float, timeout_s: float, log: LogFile, report: Report) -> None:
    from pymobiledevice3.services.syslog import SyslogService

    splitter = SyslogSplitter()
    started = anyio.current_time()
    async with SyslogService(lockdown) as syslog:
        while True:
            chunk = await step(syslog.service.recv_any(_CHUNK), label, duration + timeout_s)
            if not chunk:
                return
            for line in splitter.feed(chunk):
                if not log.write(line + b"\n") or (max_lines is not None and log.lines >= max_lines):
                    return
            report(f"{log.lines} lines", min(99.0, 100 * (anyio.current_time() - started) / duration))


async def _crash_reports(lockdown: Any, label: str, timeout_s: float, log: LogFile, report: Report) -> list[Warning]:
    from pymobiledevice3.services.crash_reports import CrashReportsManager

    async with CrashReportsManager(lockdown) as crashes:
        entries = await step(crashes.ls("/", depth=-1), label, timeout_s)
        for entry in sorted(entries):
            info = await step(crashes.afc.stat(entry), label, timeout_s)
            if info.get("st_ifmt") != "S_IFREG":
                continue
            contents = await step(crashes.afc.get_file_contents(entry), label, timeout_s)
            if not log.write(f"\n===== {entry} ({len(contents)} bytes) =====\n".encode() + contents + b"\n"):
                break
            report(f"copied {entry}", None)
    return []
