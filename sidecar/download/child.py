"""A download worker seen from the sidecar: spawned in a process group of its own, read, stopped.

The worker gets a new session (POSIX), so signals reach it and anything it starts
(ffmpeg) as one group, and a Ctrl-C meant for the host's terminal does not. Stopping
sends SIGINT to the group, waits a grace period (which :meth:`Worker.hurry` cuts short
when the sidecar itself is stopping), then SIGKILLs the group. Its stdin stays open
until it is reaped: the worker takes EOF there as the sidecar's death.

On Windows there are no POSIX groups: the worker gets a new process group, CTRL_BREAK
as the interrupt and TerminateProcess as the kill, which does not reach its children.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from .messages import WorkerEvent, WorkerRequest

log = logging.getLogger(__name__)

WORKER_ARGV = [sys.executable, "-I", "-m", "sidecar.download.worker"]
MAX_EVENT_BYTES = 16 * 1024 * 1024
WINDOWS = sys.platform == "win32"

_decode_event = msgspec.json.Decoder(WorkerEvent).decode
_encode = msgspec.json.Encoder().encode


class Worker:
    def __init__(self, process: Process) -> None:
        self._process = process
        assert process.stdout is not None
        self._output = BufferedByteReceiveStream(process.stdout)
        self._grace: anyio.CancelScope | None = None

    @classmethod
    async def spawn(cls, request: WorkerRequest) -> Worker:
        process = await anyio.open_process(WORKER_ARGV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, **_own_group())
        worker = cls(process)
        try:
            assert process.stdin is not None
            await process.stdin.send(_encode(request) + b"\n")
        except BaseException:
            with anyio.CancelScope(shield=True):
                await worker.stop(grace=0)
            raise
        return worker

    @property
    def pid(self) -> int:
        return self._process.pid

    async def events(self) -> AsyncIterator[WorkerEvent]:
        """The worker's events until it closes its output."""
        while True:
            try:
                line = await self._output.receive_until(b"\n", MAX_EVENT_BYTES)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError):
                return
            try:
                yield _decode_event(line)
            except msgspec.DecodeError as exc:
                log.warning("download worker %d sent an unreadable event: %s", self.pid, exc)

    async def wait(self) -> int:
        return await self._process.wait()

    async def stop(self, grace: float) -> None:
        """Interrupt, allow ``grace`` seconds, kill; returns once the worker is reaped."""
        if self._process.returncode is None and grace > 0:
            self._signal(interrupt=True)
            with anyio.move_on_after(grace) as self._grace:
                await self._process.wait()
        if self._process.returncode is None:
            self._signal(interrupt=False)
        await self._process.wait()
        await self._process.aclose()

    def hurry(self) -> None:
        """Skip what is left of the grace period: the sidecar is stopping."""
        if self._grace is not None:
            self._grace.cancel()

    def _signal(self, interrupt: bool) -> None:
        try:
            if WINDOWS:
                if interrupt:
                    self._process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
                else:
                    self._process.kill()
            else:
                # The worker leads its own group (pgid == pid); the group also holds its ffmpeg.
                os.killpg(self._process.pid, signal.SIGINT if interrupt else signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone


def _own_group() -> dict[str, Any]:
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}
