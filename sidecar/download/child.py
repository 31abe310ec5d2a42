"""A download worker seen from the sidecar: read, stopped, however it was started (``launcher``).

Every worker leads a session of its own (POSIX), so signals reach it and anything it starts
(ffmpeg) as one group, and a Ctrl-C meant for the host's terminal does not. Stopping sends
SIGINT to the group, waits a grace period (which :meth:`Worker.hurry` cuts short when the
sidecar itself is stopping), then SIGKILLs the group. Its request channel stays open until
it is reaped: the worker takes EOF there as the sidecar's death.

A worker is an async context manager: however its block ends (an answer, an error, a
cancel), it is stopped and reaped before the block's owner goes on.

On Windows there are no POSIX groups: a spawned worker gets a new process group, CTRL_BREAK
as the interrupt and TerminateProcess as the kill, which does not reach its children.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol, Self, cast

import anyio
import msgspec
from anyio.abc import ByteStream, Process
from anyio.streams.buffered import BufferedByteReceiveStream

from .messages import WorkerEvent, WorkerRequest

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 16 * 1024 * 1024
WINDOWS = sys.platform == "win32"

_decode_event = msgspec.json.Decoder(WorkerEvent).decode
encode_request = msgspec.json.Encoder().encode


class Reapable(Protocol):
    """What the sidecar knows of a worker's process: its id, and its exit once it has been reaped."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...


class Worker:
    def __init__(self, process: Reapable, channel: ByteStream, release: Callable[[], Awaitable[None]]) -> None:
        self._process = process
        self._channel = channel  # the request went out on it; events come back on it
        self._output = BufferedByteReceiveStream(channel)
        self._release = release  # what is left to free once the worker is reaped
        self._grace: anyio.CancelScope | None = None
        self._hurried = False
        self.grace = 0.0  # seconds between the interrupt and the kill when its block ends

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        with anyio.CancelScope(shield=True):  # a cancelled owner still reaps its worker
            await self.stop(self.grace)

    @property
    def pid(self) -> int:
        return self._process.pid

    async def send_request(self, request: WorkerRequest) -> None:
        """The worker's one request."""
        await self._channel.send(encode_request(request) + b"\n")

    async def events(self) -> AsyncGenerator[WorkerEvent, None]:
        """The worker's events until it closes its output."""
        while True:
            try:
                line = await self._output.receive_until(b"\n", MAX_EVENT_BYTES)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return
            try:
                yield _decode_event(line)
            except msgspec.DecodeError as exc:
                log.warning("download worker %d sent an unreadable event: %s", self.pid, exc)

    async def wait(self) -> int:
        return await self._process.wait()

    async def stop(self, grace: float) -> None:
        """Interrupt, allow ``grace`` seconds, kill; returns once the worker is reaped."""
        if self._process.returncode is None and grace > 0 and not self._hurried:
            self._signal(interrupt=True)
            with anyio.move_on_after(grace) as self._grace:
                await self._process.wait()
        if self._process.returncode is None:
            self._signal(interrupt=False)
        await self._process.wait()
        await self._channel.aclose()
        await self._release()

    def hurry(self) -> None:
        """Skip what is left of the grace period, or all of it if the stop has not begun: the sidecar is stopping."""
        self._hurried = True
        if self._grace is not None:
            self._grace.cancel()

    def _signal(self, interrupt: bool) -> None:
        try:
            if WINDOWS:
                process = cast(Process, self._process)  # Windows workers are spawned (no fork there)
                if interrupt:
                    process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
                else:
                    process.kill()
            else:
                kill_group(self.pid, signal.SIGINT if interrupt else signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone


def kill_group(pid: int, signum: int) -> None:
    """Signal the group a worker leads (pgid == pid; the group also holds its ffmpeg)."""
    os.killpg(pid, signum)


def own_group() -> dict[str, Any]:
    """How a spawned worker gets a process group of its own."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}
