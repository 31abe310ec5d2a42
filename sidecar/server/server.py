"""The server process: wires transport, dispatcher and watchers together and owns the stop sequence.

Every task belongs to one task group. Stopping (EOF, ``exit``, a signal, host
death, a closed stdout) goes through :meth:`Server.request_stop`: in-flight
requests are cancelled and answered (-32800) while the host may still read,
the output is drained briefly, then the task group is cancelled. The whole
sequence is bounded so the process is gone well within a second.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import anyio

from ..protocol.framing import Frame, header_encoder, make_decoder
from .dispatcher import Dispatcher
from .host_watch import HostWatch
from .progress import ProgressHub
from .session import ServerConfig, Session
from .stdio import ProtocolFds
from .table import MethodTable
from .transport import FdReader, FrameWriter

log = logging.getLogger(__name__)


class Service(Protocol):
    """A process-wide helper that outlives single requests (download jobs, per-device locks)."""

    def __init__(self, server: Server) -> None: ...

    async def run(self) -> None:
        """Runs until the server stops; cancellation is the stop signal (clean up in ``finally``)."""
        ...


S = TypeVar("S", bound=Service)

CANCEL_GRACE = 0.5  # for cancelled handlers to answer
DRAIN_GRACE = 0.3  # for the host to read what is left


class Server:
    def __init__(self, config: ServerConfig, table: MethodTable, fds: ProtocolFds, watch: HostWatch) -> None:
        self.session = Session(config)
        self.table = table
        self.exit_code = 0
        self._fds = fds
        self._watch = watch
        self._stop_reason: str | None = None
        self._stop_requested: anyio.Event | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._services: dict[type, Any] = {}
        self.dispatcher: Dispatcher | None = None
        self.progress: ProgressHub | None = None  # for work that outlives its request (download jobs)
        self.shutting_down: anyio.Event | None = None  # set when new work stops being accepted

    def request_stop(self, reason: str, exit_code: int = 0) -> None:
        """Begin the stop sequence; the first reason wins."""
        if self._stop_reason is not None:
            return
        log.info("stopping: %s", reason)
        self._stop_reason = reason
        self.exit_code = exit_code
        self.begin_shutdown()
        if self._stop_requested is not None:
            self._stop_requested.set()

    def begin_shutdown(self) -> None:
        """Stop accepting new work; services waiting on ``shutting_down`` wind their work down."""
        self.session.shutdown_requested = True
        if self.shutting_down is not None:
            self.shutting_down.set()

    def service(self, cls: type[S]) -> S:
        """The one instance of ``cls`` in this process, created and started in the server's
        task group on first use, so it is cancelled (and cleans up) when the server stops."""
        instance = self._services.get(cls)
        if instance is None:
            assert self._task_group is not None, "services exist only while the server runs"
            instance = self._services[cls] = cls(self)
            self._task_group.start_soon(instance.run, name=f"service {cls.__name__}")
        return instance

    async def run(self) -> int:
        self._stop_requested = anyio.Event()
        self.shutting_down = anyio.Event()
        config = self.session.config
        writer = FrameWriter(self._fds.write_fd, header_encoder(config.framing), on_broken=lambda: self.request_stop("host closed stdout"))
        hub = self.progress = ProgressHub(writer, max_frame=config.max_frame_bytes)
        reader = FdReader(self._fds.read_fd)
        try:
            # Signals are caught from before the first byte is read (a host may signal at any time).
            with _signal_receiver() as signals:
                async with anyio.create_task_group() as tg:
                    self._task_group = tg
                    self.dispatcher = Dispatcher(self, self.table, writer, hub, tg)
                    tg.start_soon(self._watch_signals, signals, name="signals")
                    tg.start_soon(writer.run, name="writer")
                    tg.start_soon(hub.run, name="progress")
                    tg.start_soon(self._read_loop, reader, writer, name="reader")
                    tg.start_soon(self._watch.watch, lambda: self.session.host_pid, self.request_stop, name="host watch")
                    await self._serve_until_stopped(writer, tg)
        finally:
            reader.close()
        return self.exit_code

    async def _serve_until_stopped(self, writer: FrameWriter, tg: anyio.abc.TaskGroup) -> None:
        assert self._stop_requested is not None
        if self._stop_reason is not None:  # asked to stop before the loop ran
            self._stop_requested.set()
        await self._stop_requested.wait()
        await self._wind_down(writer)
        tg.cancel_scope.cancel()

    async def _wind_down(self, writer: FrameWriter) -> None:
        assert self.dispatcher is not None
        with anyio.move_on_after(CANCEL_GRACE):
            await self.dispatcher.cancel_all()
        with anyio.move_on_after(DRAIN_GRACE):
            await writer.drain()

    async def _read_loop(self, reader: FdReader, writer: FrameWriter) -> None:
        config = self.session.config
        decoder = make_decoder(config.framing, config.max_frame_bytes)
        dispatcher = self.dispatcher
        assert dispatcher is not None
        while self._stop_reason is None:
            data = await reader.read()
            if not data:
                truncated = decoder.eof()
                if truncated is not None:
                    log.warning("input ended inside a frame (%d bytes buffered)", truncated.buffered)
                self.request_stop("end of input")
                return
            for event in decoder.feed(data):
                if type(event) is Frame:
                    dispatcher.handle_frame(event.payload)
                else:
                    dispatcher.handle_framing_error(event)
                # Backpressure, per frame (one read can hold thousands): while the host is
                # not reading our output, stop handling its input, and so stop reading it.
                if writer.congested:
                    await writer.wait_uncongested()

    async def _watch_signals(self, signals: Any) -> None:
        async for signum in signals:
            if signum == signal.SIGHUP and not self._watch.parent_gone():
                continue  # parent thread exited, not the parent process (see host_watch)
            self.request_stop("host process exited" if signum == signal.SIGHUP else f"received {signal.Signals(signum).name}")


@contextmanager
def _signal_receiver() -> Iterator[Any]:
    """SIGTERM, SIGINT and SIGHUP as an async iterator; on Windows (no such delivery) an empty one."""
    if sys.platform == "win32":
        yield _no_signals()
        return
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
        yield signals


async def _no_signals() -> AsyncIterator[int]:
    await anyio.sleep_forever()
    yield 0  # unreachable; makes this an async generator
