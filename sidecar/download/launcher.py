"""How the sidecar starts download workers fast: a service, started by the first download method.

A worker that imports yt-dlp itself spends most of a short download doing so. Instead:

* **fork** (Linux, the default there): a template process (``template``) has yt-dlp imported
  and warmed up, and forks one worker per probe or job. The sidecar gives it the child's end of
  a new socket pair; the child reads its request from it and writes its events back.
* **spare** (elsewhere, where forking a process that holds system frameworks is not safe, and
  Windows, which has no fork): one warm spare worker waits, yt-dlp imported, for its request;
  each job takes it and a new spare starts behind it.

``SIDECAR_DOWNLOAD_LAUNCH=fork|spare`` chooses by hand (the spare way works everywhere).

Either way a worker is its own process in its own session, as before: cancel, the address
guard, the temp dir and EOF-as-death work as they did. The service starts with the first
download method (never with the sidecar: its cold start is unchanged) and stops with it,
killing whatever it started: the template (which kills and reaps its children when its
channel closes) or the spare.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal, Protocol

import anyio
from anyio.abc import Process, UNIXSocketStream
from anyio.streams.buffered import BufferedByteReceiveStream
from anyio.streams.stapled import StapledByteStream

from ..protocol.errors import RpcError
from .child import Worker, kill_group, own_group
from .messages import WorkerRequest, current_log_level

if TYPE_CHECKING:
    from ..server.services import ServiceHost

log = logging.getLogger(__name__)

LAUNCH_ENV = "SIDECAR_DOWNLOAD_LAUNCH"
Mode = Literal["fork", "spare"]
WORKER_MODULE = "sidecar.download.worker"
TEMPLATE_MODULE = "sidecar.download.template"
ANSWER_BOUND = 120.0  # the template answers a fork at once, unless it is still warming up on a busy machine
STOP_BOUND = 3.0  # for the template or a spare to end once told to


def mode() -> Mode:
    chosen = os.environ.get(LAUNCH_ENV)
    if chosen in ("fork", "spare"):
        return chosen  # type: ignore[return-value]
    # Linux only: elsewhere a forked child of a process that loaded system frameworks (macOS) may crash.
    return "fork" if sys.platform == "linux" else "spare"


def warm_argv(module: str, ffmpeg: str | None) -> list[str]:
    argv = [sys.executable, "-I", "-m", module, "--log-level", current_log_level()]
    return argv + (["--ffmpeg", ffmpeg] if ffmpeg else [])


class Launcher:
    """The service that starts workers (one per sidecar process)."""

    def __init__(self, host: ServiceHost) -> None:
        self._way = _way(mode(), host.session.host_config.ffmpeg_location)

    @classmethod
    def standalone(cls, way: Mode, ffmpeg: str | None = None) -> Launcher:
        """A launcher outside a server (tests, tools): ``run()`` it in a task group of your own."""
        launcher = cls.__new__(cls)
        launcher._way = _way(way, ffmpeg)
        return launcher

    async def run(self) -> None:
        try:
            async with anyio.create_task_group() as tasks:
                try:
                    await self._way.prepare(tasks)
                except OSError as exc:  # each spawn tries again, and fails as a job's error if it must
                    log.error("cannot start the download launcher: %s", exc)
                await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await self._way.close()

    @contextlib.asynccontextmanager
    async def spawn(self, request: WorkerRequest, grace: float = 0) -> AsyncIterator[Worker]:
        """A worker doing ``request`` for the ``async with`` block: it has the request, its events
        are to be read. Leaving the block stops it (interrupt, ``grace`` seconds, kill) and reaps it."""
        try:
            worker = await self._way.start()
        except OSError as exc:
            raise _unavailable(f"cannot start a download worker: {exc}") from None
        async with worker:  # a worker whose request did not go out is killed at once (grace 0)
            await worker.send_request(request)
            worker.grace = grace
            yield worker


def _way(way: Mode, ffmpeg: str | None) -> _Way:
    return _ForkServer(ffmpeg) if way == "fork" else _Spares(ffmpeg)


class _Way(Protocol):
    async def prepare(self, tasks: anyio.abc.TaskGroup) -> None:
        """Get ready for the first job (the template or the first spare warms up meanwhile)."""

    async def start(self) -> Worker:
        """A new worker, waiting for its request."""

    async def close(self) -> None:
        """Stop whatever this way started."""


# ---- fork: the template


class _Exit:
    """A forked worker's end, as the template reports it (the template is its parent and reaps it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._reaped = anyio.Event()

    def reaped(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
            self._reaped.set()

    async def wait(self) -> int:
        await self._reaped.wait()
        assert self.returncode is not None
        return self.returncode


class _Template:
    """One template process and its control channel."""

    def __init__(self, process: Process, control: UNIXSocketStream) -> None:
        self.process = process
        self._control = control
        self._reports = BufferedByteReceiveStream(control)
        self._started_send, self._started = anyio.create_memory_object_stream[_Exit](1)
        self._children: dict[int, _Exit] = {}
        self._lock = anyio.Lock()
        self._closed = False
        self.gone = anyio.Event()

    @classmethod
    async def start(cls, ffmpeg: str | None) -> _Template:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # In the sidecar's process group (the host's kill of the group reaches it); fd 1 is stderr.
            process = await anyio.open_process(warm_argv(TEMPLATE_MODULE, ffmpeg), stdin=theirs.fileno(), stdout=2, stderr=None)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        log.info("download template started (pid %d)", process.pid)
        return cls(process, await UNIXSocketStream.from_socket(ours))

    async def serve(self) -> None:
        """Take the template's reports until it closes the channel (it ended, or was told to)."""
        try:
            with self._started_send:
                while True:
                    kind, pid, *code = (await self._reports.receive_until(b"\n", 64)).split()
                    if kind == b"started":
                        exit = _Exit(int(pid))
                        if exit.pid > 0:
                            self._children[exit.pid] = exit
                        await self._started_send.send(exit)
                    elif kind == b"exited" and (child := self._children.pop(int(pid), None)):
                        child.reaped(int(code[0]))
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError, anyio.BrokenResourceError, ValueError, IndexError):
            pass
        finally:
            self.gone.set()
            self._lose_children()

    async def fork(self) -> Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # Shielded: an answer left unread would be taken as the next fork's.
        with anyio.CancelScope(shield=True):
            try:
                async with self._lock:
                    try:
                        await self._control.send_fds(b"F", [theirs.fileno()])
                    finally:
                        theirs.close()
                    with anyio.fail_after(ANSWER_BOUND):
                        exit = await self._started.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError, TimeoutError):
                ours.close()
                await self.close()
                raise _unavailable("the download template stopped answering") from None
        if exit.pid <= 0:
            ours.close()
            raise _unavailable("the download template could not start a worker")
        channel = await UNIXSocketStream.from_socket(ours)
        return Worker(exit, channel, _nothing)

    def _lose_children(self) -> None:
        # The template is gone, and with it what would reap and report its children: stop them.
        for exit in self._children.values():
            with contextlib.suppress(ProcessLookupError):
                kill_group(exit.pid, signal.SIGKILL)
            exit.reaped(-signal.SIGKILL)
        self._children.clear()

    async def close(self) -> None:
        """Stop every child and the template (it kills and reaps what is left when its channel closes)."""
        if self._closed:
            return
        self._closed = True
        self._lose_children()
        self._started.close()
        await self._control.aclose()
        with anyio.move_on_after(STOP_BOUND):
            await self.process.wait()
        if self.process.returncode is None:
            self.process.kill()
        await self.process.aclose()


class _ForkServer:
    def __init__(self, ffmpeg: str | None) -> None:
        self._ffmpeg = ffmpeg
        self._template: _Template | None = None
        self._lock = anyio.Lock()
        self._tasks: anyio.abc.TaskGroup | None = None

    async def prepare(self, tasks: anyio.abc.TaskGroup) -> None:
        self._tasks = tasks  # where each template's reports are read, for as long as it lives
        await self._current()

    async def start(self) -> Worker:
        return await (await self._current()).fork()

    async def _current(self) -> _Template:
        """The running template; a new one if there is none yet or the last one ended."""
        async with self._lock:
            if self._template is None or self._template.gone.is_set():
                if self._template is not None:
                    log.warning("the download template ended (exit code %s); starting another", self._template.process.returncode)
                    await self._template.close()
                template = self._template = await _Template.start(self._ffmpeg)
                assert self._tasks is not None
                self._tasks.start_soon(template.serve, name=f"download template {template.process.pid}")
            return self._template

    async def close(self) -> None:
        if self._template is not None:
            await self._template.close()


async def _nothing() -> None:
    pass


def _unavailable(message: str) -> RpcError:
    return RpcError("download_failed", message, "Retry; the sidecar log has details.", retryable=True)


# ---- spare: a warm worker waiting


class _Spares:
    def __init__(self, ffmpeg: str | None) -> None:
        self._argv = [*warm_argv(WORKER_MODULE, ffmpeg), "--warm"]
        self._spare: Process | None = None
        self._lock = anyio.Lock()

    async def prepare(self, tasks: anyio.abc.TaskGroup) -> None:
        async with self._lock:
            if self._spare is None:
                self._spare = await self._spawn()

    async def start(self) -> Worker:
        async with self._lock:
            process = self._spare or await self._spawn()
            self._spare = None
            with anyio.CancelScope(shield=True):  # the taken one must reach the caller, which stops it
                try:
                    self._spare = await self._spawn()  # the next job's, warming up while this one works
                except OSError as exc:
                    log.warning("cannot start a spare download worker: %s", exc)
        assert process.stdin is not None and process.stdout is not None
        return Worker(process, StapledByteStream(process.stdin, process.stdout), process.aclose)

    async def _spawn(self) -> Process:
        return await anyio.open_process(self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, **own_group())

    async def close(self) -> None:
        if self._spare is not None:
            spare, self._spare = self._spare, None
            assert spare.stdin is not None
            await spare.stdin.aclose()  # a spare that sees EOF before its request ends
            with anyio.move_on_after(STOP_BOUND):
                await spare.wait()
            if spare.returncode is None:
                spare.kill()
            await spare.aclose()
