"""The download worker: one child process per probe or download job, yt-dlp embedded as a library.

A worker is started one of three ways (``launcher`` chooses): forked from the template
process (``template``), which has yt-dlp imported and warmed up already; as a warm spare,
``python -I -m sidecar.download.worker --warm``, which warms up before its request comes;
or cold, ``python -I -m sidecar.download.worker``. However it started, it has its own
session and process group, reads one request line from the sidecar, writes event lines
back on a private channel (a pipe or a socket, never the protocol stream) and logs to
stderr (the sidecar's log).

Like the sidecar, a spawned worker keeps a private duplicate of stdout for its events and
points fd 1 at stderr, so nothing yt-dlp, ffmpeg or a C library prints can corrupt the event
stream. It keeps reading its request channel: EOF there means the sidecar is gone, even if
it was killed outright, and the worker then interrupts itself (as a cancel's SIGINT does) so
it never outlives the sidecar. It removes its temp dir however it ends.
"""

from __future__ import annotations

import _thread
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import get_args

import msgspec

from .. import logs
from ..logs import LOG_LEVELS, LogLevel
from ..process import exit_now, take_over_stdio
from ..protocol.errors import RpcError
from .messages import DownloadRequest, Failed, FailureKind, Probed, WorkerEvent, WorkerRequest
from .netguard import AddressGuard
from .paths import remove_tree
from .urls import address_allowed

log = logging.getLogger("sidecar.download.worker")
INTERRUPTED = 130  # the shell convention for "ended by SIGINT"


class EventWriter:
    """One JSON line per event on the private pipe; whole lines, even from yt-dlp's helper threads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._encode = msgspec.json.Encoder().encode

    def __call__(self, event: WorkerEvent) -> None:
        data = self._encode(event) + b"\n"
        with self._lock:
            while data:
                data = data[os.write(self._fd, data) :]


def main() -> None:
    fds = take_over_stdio()
    if "--warm" in sys.argv[1:]:
        logs.configure(log_level_argument(sys.argv))
        preload(ffmpeg_argument(sys.argv))
    serve(fds.read_fd, fds.write_fd)


def preload(ffmpeg_location: str | None) -> None:
    """Import yt-dlp and do its first-use work now, before a request comes (a warm spare, the template)."""
    os.environ["YTDLP_NO_PLUGINS"] = "1"  # before yt-dlp loads: plugins are code from the user's folders
    from . import embed

    embed.warm_up(ffmpeg_location)


def serve(read_fd: int, write_fd: int) -> None:
    """Read the request from ``read_fd``, do it, write events to ``write_fd``, and end the process."""
    line = _read_line(read_fd)
    if line is None:
        log.info("no request came: the sidecar closed the channel first (a spare it no longer needs)")
        exit_now(0)
        return
    request = msgspec.json.decode(line, type=WorkerRequest)
    logs.configure(request.log_level)
    os.environ["YTDLP_NO_PLUGINS"] = "1"  # before yt-dlp loads (if it has not): plugins are code from the user's folders
    threading.Thread(target=_interrupt_at_eof, args=(read_fd,), name="parent watch", daemon=True).start()
    emit = EventWriter(write_fd)
    interrupted = False
    try:
        code = run(request, emit)
    except KeyboardInterrupt:
        log.info("interrupted")
        interrupted, code = True, INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second interrupt (a cancel and the sidecar's end at once) must not cut the cleanup short
        # Interrupted, a resumable job's partial files stay for the job that resumes it (the sidecar
        # removes them itself when the interruption was a cancel).
        if isinstance(request, DownloadRequest) and not (interrupted and request.keep_partial):
            remove_tree(Path(request.temp_dir))
    exit_now(code)


def log_level_argument(argv: list[str]) -> LogLevel:
    """``--log-level LEVEL`` from a warm process's command line (the request, which names the level, comes later)."""
    level = _argument(argv, "--log-level") or "info"
    return next((known for known in LOG_LEVELS if known == level), "info")


def ffmpeg_argument(argv: list[str]) -> str | None:
    """``--ffmpeg LOCATION``: the host's configured ffmpeg, whose version the warm-up asks once for every job."""
    return _argument(argv, "--ffmpeg")


def _argument(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def run(request: WorkerRequest, emit: EventWriter) -> int:
    """Do the request; report a failure as an event. Returns the exit code."""
    with AddressGuard(lambda address: address_allowed(address, request.policy.allow_private_networks)) as guard:
        try:
            from . import embed  # yt-dlp loads here, in the worker only

            if isinstance(request, DownloadRequest):
                embed.download(request, emit)
            else:
                emit(Probed(embed.probe(request)))
            return 0
        except RpcError as error:
            emit(Failed(_failure_kind(error.kind), error.data.message, error.data.retryable))
        except Exception as exc:  # noqa: BLE001 (yt-dlp's DownloadError and anything under it: reported as the job's failure)
            emit(_failure(exc, guard))
        return 1


def _failure(exc: Exception, guard: AddressGuard) -> Failed:
    if guard.refusals:
        return Failed("policy_denied", guard.refusals[-1], False)
    from yt_dlp.utils import DownloadError

    if not isinstance(exc, DownloadError):
        log.error("download worker failed", exc_info=exc)
        return Failed("io_error" if isinstance(exc, OSError) else "download_failed", str(exc) or type(exc).__name__, False)
    return Failed("download_failed", str(exc).removeprefix("ERROR: "), _retryable(exc))


def _retryable(exc: BaseException) -> bool:
    """Network trouble and server-side HTTP errors may pass; client-side HTTP errors and the rest will not."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, HTTPError):
            return cause.status >= 500 or cause.status in (408, 429)
        if isinstance(cause, (TransportError, ConnectionError, TimeoutError)):
            return True
        exc_info = getattr(cause, "exc_info", None)
        cause = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__ or (exc_info[1] if exc_info else None)
    return False


def _failure_kind(kind: str) -> FailureKind:
    return kind if kind in get_args(FailureKind) else "download_failed"  # type: ignore[return-value]


def _read_line(fd: int) -> bytes | None:
    """The request line; None at EOF before it."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(fd, 1)  # byte by byte: what follows the line is the EOF watch's
        if not chunk:
            return None
        line += chunk
    return line


def _interrupt_at_eof(fd: int) -> None:
    while os.read(fd, 4096):
        pass
    # Aimed at the main thread, so a blocking read there is interrupted too (a process-wide
    # kill could be taken by this thread and leave the main thread waiting for data).
    main = threading.main_thread().ident  # never None: the main thread is running (it started this one)
    if hasattr(signal, "pthread_kill") and main is not None:
        signal.pthread_kill(main, signal.SIGINT)
    else:
        _thread.interrupt_main()


if __name__ == "__main__":
    main()
