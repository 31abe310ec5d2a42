"""Byte transport over the protocol fds: one reader, and one writer that owns the output.

On POSIX both fds are non-blocking and driven by the event loop
(``anyio.wait_readable``/``wait_writable``), so the hot path is one ``read`` and
one ``writev`` per message with no threads and no extra copies. Windows pipes
cannot be polled, so there the same work runs in anyio worker threads.

The writer is the only code that writes protocol bytes. Frames are appended
whole, in order, from the event-loop thread, so they can never interleave. Its
buffer is bounded by a high-water mark: callers that produce output wait while
the host is not reading, which stops the reader, which stops the host's writes.

Two things keep the per-message cost near the pipe's own: the reader keeps its fd
registered with the event loop between reads (anyio's ``wait_readable`` registers
and unregisters it on every wait), and the replies to what one read brought are
held and written together when the reader is done with it (one write per read,
not one per reply; on the serial path that is the same single write).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import Callable
from itertools import islice

import anyio
import anyio.lowlevel

WINDOWS = sys.platform == "win32"
READ_CHUNK = 1024 * 1024
# Linux pipes hold 64 KiB by default: a large response then costs a wakeup per 64 KiB on
# both sides. 1 MiB is the most an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1024 * 1024
_F_SETPIPE_SZ = 1031
DEFAULT_HIGH_WATER = 4 * 1024 * 1024
# While replies are held, write once this much is queued, so the host reads while we work.
FLUSH_BYTES = 64 * 1024
_MAX_IOVECS = 1024  # Linux's IOV_MAX; a longer writev fails with EINVAL


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
        self._readiness: _Readiness | None = None
        self._pollable = True
        _prepare(fd)

    async def read(self) -> bytes:
        """The next bytes from the fd; ``b""`` at end of file. Always yields to the event loop
        once, so a host that never pauses cannot starve the other tasks (handlers, writer, signals)."""
        if WINDOWS:
            return await anyio.to_thread.run_sync(os.read, self._fd, READ_CHUNK, abandon_on_cancel=True)
        while True:
            # Wait first, then read: the wait is the yield, and on the serial path (the host
            # waits for our answer) it saves the read that would only have found nothing.
            await self._wait()
            try:
                return os.read(self._fd, READ_CHUNK)
            except BlockingIOError:  # woken, but another reader of the description took it
                continue
            except OSError:  # e.g. EIO from a vanished terminal: treat as end of input
                return b""

    async def _wait(self) -> None:
        if self._pollable:
            if self._readiness is None:
                self._readiness = _Readiness.for_running_loop(self._fd)
            try:
                if self._readiness.loop is None:
                    await anyio.wait_readable(self._fd)
                else:
                    await self._readiness.wait()
                return
            except PermissionError:  # epoll refuses regular files and /dev/null, which never block
                self._pollable = False
        await anyio.lowlevel.checkpoint()

    def close(self) -> None:
        if self._readiness is not None:
            self._readiness.close()
        # The fd may share its open file description with a terminal; leave it as we found it.
        if not WINDOWS:
            try:
                os.set_blocking(self._fd, True)
            except OSError:
                pass


class _Readiness:
    """Readability of one fd from asyncio's selector, kept registered while it is being read.

    The selector is level-triggered: a registered fd that is readable wakes the loop on every
    turn. So a wake-up that finds nobody waiting (the reader is busy, or held back by a host
    that does not read our output) unregisters the fd, and the next wait registers it again.
    ``loop`` is None when the running loop cannot watch fds (another anyio backend).
    """

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop | None) -> None:
        self._fd = fd
        self.loop = loop
        self._registered = False
        self._waiter: asyncio.Future[None] | None = None

    @classmethod
    def for_running_loop(cls, fd: int) -> _Readiness:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio
            return cls(fd, None)
        return cls(fd, loop if isinstance(loop, asyncio.SelectorEventLoop) else None)

    async def wait(self) -> None:
        assert self.loop is not None
        if not self._registered:
            self.loop.add_reader(self._fd, self._ready)
            self._registered = True
        waiter = self._waiter = self.loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _ready(self) -> None:
        waiter = self._waiter
        if waiter is None:
            self.close()
        elif not waiter.done():  # done: the reader has been woken and will read on its next turn
            waiter.set_result(None)

    def close(self) -> None:
        if self._registered and self.loop is not None:
            self.loop.remove_reader(self._fd)
            self._registered = False


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
        self.congested = False  # more than the high-water mark is queued (an attribute: the reader reads it per frame)
        self._broken = False
        self._held = False
        self._held_frames = bytearray()  # small frames queued while held, joined into one chunk
        self._data_ready = anyio.Event()
        self._space = anyio.Event()
        self._space_wanted = False  # someone waits on ``_space`` (a new Event per write would cost more than the write)
        _prepare(fd)

    @property
    def idle(self) -> bool:
        return not self._chunks and not self._held_frames

    def hold(self) -> None:
        """Queue frames instead of writing each at once (a write per ``FLUSH_BYTES``), until :meth:`flush`."""
        self._held = True

    def flush(self) -> None:
        """Stop holding, and write what is queued now as far as the fd takes it (the flusher writes the rest)."""
        self._held = False
        self._release_held()
        if self._chunks:
            self._write_queued()

    def send_nowait(self, payload: bytes) -> None:
        """Queue one frame; write it at once when nothing is queued before it and frames are not held."""
        if self._broken:
            return
        size = len(payload)
        header = self._header(size)
        if self._held:
            # Small frames are copied into one buffer (a few large writes, and no per-frame bookkeeping);
            # a large one is queued as it is, behind them.
            if size < FLUSH_BYTES:
                held = self._held_frames
                held += header
                held += payload
                if len(held) < FLUSH_BYTES:
                    return
                self._release_held()
            else:
                self._release_held()
                self._append(header, payload)
            self._write_queued()
            return
        if self._chunks or WINDOWS:
            self._append(header, payload)
            self._data_ready.set()
            return
        written = self._write([header, payload])
        if written < len(header):
            self._append(header[written:], payload)
        elif written < len(header) + size:
            self._append(memoryview(payload)[written - len(header) :])
        if self._chunks:
            self._data_ready.set()

    async def send(self, payload: bytes) -> None:
        self.send_nowait(payload)
        await self.wait_uncongested()

    async def wait_uncongested(self) -> None:
        while self.congested and not self._broken:
            self._space_wanted = True
            await self._space.wait()

    async def drain(self) -> None:
        """Wait until everything queued has been written (or the host is gone)."""
        self.flush()
        while self._chunks and not self._broken:
            self._space_wanted = True
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
                written = self._write(list(islice(self._chunks, _MAX_IOVECS)))
            self._consume(written)

    def _release_held(self) -> None:
        if self._held_frames:
            self._append(self._held_frames)  # never resized again: a fresh buffer takes its place
            self._held_frames = bytearray()

    def _write_queued(self) -> None:
        if not WINDOWS:
            self._consume(self._write(list(islice(self._chunks, _MAX_IOVECS))))
        if self._chunks:
            self._data_ready.set()

    def _append(self, *parts: bytes | bytearray | memoryview) -> None:
        for part in parts:
            if len(part):
                self._chunks.append(memoryview(part))
                self._buffered += len(part)
        self.congested = self._buffered > self._high_water

    def _write(self, parts: list[bytes | memoryview]) -> int:
        try:
            return os.writev(self._fd, parts)
        except BlockingIOError:
            return 0
        except (BrokenPipeError, ConnectionResetError, OSError):
            self._break()
            return 0

    def _consume(self, written: int) -> None:
        self._buffered -= written
        self.congested = self._buffered > self._high_water
        while written and self._chunks:
            head = self._chunks[0]
            if written >= len(head):
                written -= len(head)
                self._chunks.popleft()
            else:
                self._chunks[0] = head[written:]
                written = 0
        if self._space_wanted and (self._buffered <= self._high_water // 2 or not self._chunks):
            self._space_wanted = False
            self._space.set()
            self._space = anyio.Event()

    def _break(self) -> None:
        """The host closed its end: nothing more can be said, so stop the server."""
        if self._broken:
            return
        self._broken = True
        self._chunks.clear()
        self._held_frames = bytearray()
        self._buffered = 0
        self.congested = False
        self._space.set()
        self._on_broken()
