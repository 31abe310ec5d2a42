"""Byte transport over the protocol fds: one reader, and one writer that owns the output.

On POSIX both fds are non-blocking and driven by the event loop
(``anyio.wait_readable``/``wait_writable``), so the hot path is one ``read`` and
one ``writev`` per message with no threads and no extra copies. Windows pipes
cannot be polled, so there the same work runs in anyio worker threads.

The writer is the only code that writes protocol bytes. Frames are appended
whole, in order, from the event-loop thread, so they can never interleave. Its
buffer is bounded by a high-water mark: callers that produce output wait while
the host is not reading, which stops the reader, which stops the host's writes.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable

import anyio
import anyio.lowlevel

WINDOWS = sys.platform == "win32"
READ_CHUNK = 1024 * 1024
# Linux pipes hold 64 KiB by default: a large response then costs a wakeup per 64 KiB on
# both sides. 1 MiB is the most an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1024 * 1024
_F_SETPIPE_SZ = 1031
DEFAULT_HIGH_WATER = 4 * 1024 * 1024
_MAX_IOVECS = 64


def _prepare(fd: int) -> None:
    """Make ``fd`` non-blocking and, if it is a Linux pipe, larger (best effort)."""
    if WINDOWS:
        return
    os.set_blocking(fd, False)
    if sys.platform.startswith("linux"):
        import fcntl

        try:
            fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:  # not a pipe, or over the system limit: the default size works too
            pass


class FdReader:
    def __init__(self, fd: int) -> None:
        self._fd = fd
        _prepare(fd)

    async def read(self) -> bytes:
        """The next bytes from the fd; ``b""`` at end of file. Always yields to the event loop
        once, so a host that never pauses cannot starve the other tasks (handlers, writer, signals)."""
        if WINDOWS:
            return await anyio.to_thread.run_sync(os.read, self._fd, READ_CHUNK, abandon_on_cancel=True)
        waited = False
        while True:
            try:
                data = os.read(self._fd, READ_CHUNK)
            except BlockingIOError:
                await anyio.wait_readable(self._fd)
                waited = True
                continue
            except OSError:  # e.g. EIO from a vanished terminal: treat as end of input
                return b""
            if not waited:  # the input was already there: yield anyway (the serial path has waited)
                await anyio.lowlevel.checkpoint()
            return data

    def close(self) -> None:
        # The fd may share its open file description with a terminal; leave it as we found it.
        if not WINDOWS:
            try:
                os.set_blocking(self._fd, True)
            except OSError:
                pass


class FrameWriter:
    """Frames payloads and writes them to ``fd`` in order, with a bounded buffer."""

    def __init__(
        self,
        fd: int,
        header: Callable[[int], bytes],
        on_broken: Callable[[], None],
        high_water: int = DEFAULT_HIGH_WATER,
    ) -> None:
        self._fd = fd
        self._header = header
        self._on_broken = on_broken
        self._high_water = high_water
        self._chunks: deque[memoryview] = deque()
        self._buffered = 0
        self._broken = False
        self._data_ready = anyio.Event()
        self._space = anyio.Event()
        _prepare(fd)

    @property
    def congested(self) -> bool:
        return self._buffered > self._high_water

    @property
    def idle(self) -> bool:
        return not self._chunks

    def send_nowait(self, payload: bytes) -> None:
        """Queue one frame; write it at once when nothing is queued before it."""
        if self._broken:
            return
        header = self._header(len(payload))
        if self._chunks or WINDOWS:
            self._append(header, payload)
            return
        written = self._write([header, payload])
        if written < len(header):
            self._append(header[written:], payload)
        elif written < len(header) + len(payload):
            self._append(memoryview(payload)[written - len(header) :])

    async def send(self, payload: bytes) -> None:
        self.send_nowait(payload)
        await self.wait_uncongested()

    async def wait_uncongested(self) -> None:
        while self.congested and not self._broken:
            await self._space.wait()

    async def drain(self) -> None:
        """Wait until everything queued has been written (or the host is gone)."""
        while self._chunks and not self._broken:
            await self._space.wait()

    async def run(self) -> None:
        """The flusher: writes queued frames whenever the fd can take them."""
        while True:
            if not self._chunks:
                await self._data_ready.wait()
                self._data_ready = anyio.Event()
                continue
            if WINDOWS:
                chunk = self._chunks[0]
                written = await anyio.to_thread.run_sync(os.write, self._fd, chunk, abandon_on_cancel=True)
            else:
                await anyio.wait_writable(self._fd)
                written = self._write(list(self._chunks)[:_MAX_IOVECS])
            self._consume(written)

    def _append(self, *parts: bytes | memoryview) -> None:
        for part in parts:
            if len(part):
                self._chunks.append(memoryview(part))
                self._buffered += len(part)
        self._data_ready.set()

    def _write(self, parts: list) -> int:
        try:
            return os.writev(self._fd, parts)
        except BlockingIOError:
            return 0
        except (BrokenPipeError, ConnectionResetError, OSError):
            self._break()
            return 0

    def _consume(self, written: int) -> None:
        self._buffered -= written
        while written and self._chunks:
            head = self._chunks[0]
            if written >= len(head):
                written -= len(head)
                self._chunks.popleft()
            else:
                self._chunks[0] = head[written:]
                written = 0
        if self._buffered <= self._high_water // 2 or not self._chunks:
            self._space.set()
            self._space = anyio.Event()

    def _break(self) -> None:
        """The host closed its end: nothing more can be said, so stop the server."""
        if self._broken:
            return
        self._broken = True
        self._chunks.clear()
        self._buffered = 0
        self._space.set()
        self._on_broken()
