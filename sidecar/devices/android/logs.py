"""Android log collection: logcat buffers, and crash files where the shell may read them."""

from __future__ import annotations

import anyio

from ..logfile import LogFile
from ..types import LogsCollectParams, Warning
from . import commands, parse
from .adb import AdbSession
from .inspect import Report

_BUFFERS = {"default": ("main", "system", "crash"), "system": ("system",), "all": ("main", "system", "crash", "events")}


async def collect(session: AdbSession, params: LogsCollectParams, log: LogFile, report: Report) -> list[Warning]:
    if params.scope == "crash":
        return await _crashes(session, log, report)
    follow = params.duration_s is not None and params.max_lines is None
    command = commands.logcat(_BUFFERS[params.scope], dump=not follow, max_lines=params.max_lines, since=params.since)
    # A following logcat never ends by itself: the duration ends it (a dump ends at the present).
    with anyio.move_on_after(params.duration_s if follow else float("inf")):
        await _stream(session, command, log, report, params.duration_s)
    return []


async def _stream(session: AdbSession, command: commands.Command, log: LogFile, report: Report, duration: float | None) -> None:
    started = anyio.current_time()
    async for chunk in session.stream(command, window_s=duration or 0.0):
        if not log.write(chunk):
            return
        elapsed = anyio.current_time() - started
        report(f"{log.bytes} bytes, {log.lines} lines", min(99.0, 100 * elapsed / duration) if duration else None)


async def _crashes(session: AdbSession, log: LogFile, report: Report) -> list[Warning]:
    """The crash buffer, then every ANR trace and tombstone the shell can read."""
    warnings: list[Warning] = []
    log.write(b"===== logcat crash buffer =====\n")
    await _stream(session, commands.logcat(("crash",), dump=True), log, report, None)
    for directory in commands.CRASH_DIRS:
        names = parse.listing(await session.run(commands.list_dir(directory)))
        if names is None:
            warnings.append(Warning("permission_denied", f"{directory} is not readable without root", "crash_files"))
            continue
        for name in names:
            text = await session.run(commands.read_crash_file(directory, name))  # type: ignore[arg-type]
            if not log.write(f"\n===== {directory}/{name} =====\n{text}".encode()):
                return warnings
            report(f"copied {directory}/{name}", None)
    return warnings
