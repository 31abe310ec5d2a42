"""Android log collection: logcat buffers, and crash files where the shell may read them.

logcat's options depend on the Android generation, so the invocation is chosen from the
device's SDK level: the crash buffer exists from Android 5, ``-T`` (since) likewise, and
only one ``-b`` per buffer is understood everywhere. A logcat that refuses anyway (its
first line says so) fails the call instead of being published as a one-line log.
"""

from __future__ import annotations

import anyio

from ...protocol.errors import RpcError
from ..logfile import LogFile
from ..types import LogsCollectParams, Warning
from . import commands, parse
from .adb import AdbSession
from .inspect import Report
from .logcat_refusal import logcat_refusal
from .shell_errors import PtyLineEnds, lf, shell_error

_BUFFERS = {"default": ("main", "system", "crash"), "system": ("system",), "all": ("main", "system", "crash", "events")}
_LOGD_SDK = 21  # Android 5: logd, with the crash buffer and -T
_NO_PTY_SDK = 24  # Android 7: adbd runs non-interactive commands without a pty (no \r\n)
_PEEK = 4096  # enough to hold logcat's first line, where a refusal is said


async def collect(session: AdbSession, params: LogsCollectParams, log: LogFile, report: Report) -> list[Warning]:
    sdk = await _sdk(session)
    if params.scope == "crash":
        return await _crashes(session, sdk, log, report)
    warnings: list[Warning] = []
    buffers, since = _BUFFERS[params.scope], params.since
    if sdk is None or sdk < _LOGD_SDK:
        buffers = tuple(b for b in buffers if b != "crash") or ("main",)
        if since is not None:
            warnings.append(Warning("not_supported", "logcat before Android 5 cannot start at a time; the whole buffer was read", "since"))
            since = None
    follow = params.duration_s is not None and params.max_lines is None
    command = commands.logcat(buffers, dump=not follow, max_lines=params.max_lines, since=since)
    # A following logcat never ends by itself: the duration ends it (a dump ends at the present).
    with anyio.move_on_after(params.duration_s if follow else float("inf")):
        await _stream(session, command, sdk, log, report, params.duration_s)
    return warnings


async def _stream(session: AdbSession, command: commands.Command, sdk: int | None, log: LogFile, report: Report, duration: float | None) -> None:
    started = anyio.current_time()
    line_ends = PtyLineEnds() if sdk is None or sdk < _NO_PTY_SDK else None
    head: bytes | None = b""  # the start of the output, held until its first line shows it is not a refusal
    async for chunk in session.stream(command, window_s=duration or 0.0):
        data = line_ends.feed(chunk) if line_ends else chunk
        if head is not None:
            head += data
            if b"\n" not in head and len(head) < _PEEK:
                continue
            _refuse_if_refused(command, head)
            data, head = head, None
        if not log.write(data):
            return
        elapsed = anyio.current_time() - started
        report(f"{log.bytes} bytes, {log.lines} lines", min(99.0, 100 * elapsed / duration) if duration else None)
    if head:  # output shorter than one line
        _refuse_if_refused(command, head)
        log.write(head)
    if line_ends:
        log.write(line_ends.end())


async def _sdk(session: AdbSession) -> int | None:
    output = lf(await session.run(commands.getprop("ro.build.version.sdk")))
    return None if shell_error(output) else parse.as_int(output.strip())


def _refuse_if_refused(command: commands.Command, head: bytes) -> None:
    text = head.decode("utf-8", "replace")
    refusal = logcat_refusal(text) or (text.strip().split("\n", 1)[0] if shell_error(text) else None)
    if refusal is not None:
        raise RpcError(
            "device_refused",
            f"the device's logcat refused `{command.line}`: {refusal[:200]}",
            "Report this with the device's model and Android version; other scopes may still work.",
        )


async def _crashes(session: AdbSession, sdk: int | None, log: LogFile, report: Report) -> list[Warning]:
    """The crash buffer (Android 5 on), then every ANR trace and tombstone the shell can read.

    A file that cannot be read is a warning; the files before and after it are kept."""
    warnings: list[Warning] = []
    if sdk is not None and sdk >= _LOGD_SDK:
        log.write(b"===== logcat crash buffer =====\n")
        await _stream(session, commands.logcat(("crash",), dump=True), sdk, log, report, None)
    else:
        warnings.append(Warning("not_supported", "Android before 5 has no crash log buffer", "crash_buffer"))
    for directory in commands.CRASH_DIRS:
        listed = lf(await session.run(commands.list_dir(directory)))
        if shell_error(listed) is not None:
            warnings.append(Warning("permission_denied", f"{directory} cannot be listed: {listed.strip()[:200]}", "crash_files"))
            continue
        for name in parse.listing(listed):
            if not commands.is_crash_file_name(name):
                warnings.append(Warning("partial_data", f"skipped {directory}/{name[:80]!r}: not a crash file name", "crash_files"))
                continue
            text = lf(await session.run(commands.read_crash_file(directory, name)))
            if shell_error(text) is not None:
                warnings.append(Warning("permission_denied", f"{directory}/{name} cannot be read: {text.strip()[:200]}", "crash_files"))
                continue
            if not log.write(f"\n===== {directory}/{name} =====\n{text}".encode()):
                return warnings
            report(f"copied {directory}/{name}", None)
    return warnings
