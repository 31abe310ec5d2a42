"""The server process: the running pieces, built whole inside one task group, and the stop sequence.

:func:`serve_fds` opens the task group and builds :class:`Serving` in it: transport,
progress, dispatcher, device locks and services exist together from the first line
on, and end with the task group. The lifecycle phase is the pure state table of
``sidecar.protocol.lifecycle``; ``Serving`` feeds it events and carries out its actions.

Stopping (EOF, ``exit``, a signal, host death, a closed stdout) is the table's ``stop``
action: in-flight requests are cancelled and answered (-32800) while the host may still
read, the output is drained briefly, then the task group is cancelled. The whole
sequence is bounded so the process is gone well within a second.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from ..devices.locks import DeviceLocks
from ..process import ProtocolFds
from ..protocol.framing import Frame, header_encoder, make_decoder
from ..protocol.jsonrpc import RequestId
from ..protocol.lifecycle import Action, Event, IllegalEvent, Lifecycle
from .dispatcher import Dispatcher
from .host_watch import HostWatch
from .progress import ProgressHub
from .services import S
from .session import ServerConfig, Session
from .table import MethodTable
from .transport import FdReader, FrameWriter

log = logging.getLogger(__name__)

CANCEL_GRACE = 0.5  # for cancelled handlers to answer
DRAIN_GRACE = 0.3  # for the host to read what is left


async def serve_fds(config: ServerConfig, table: MethodTable, fds: ProtocolFds, watch: HostWatch) -> int:
    """Serve the protocol on ``fds`` until stopped; return the exit code."""
    reader = FdReader(fds.read_fd)
    try:
        async with anyio.create_task_group() as tg:
            serving = Serving(config, table, fds.write_fd, watch, tg)
            # Both watches are started before the first byte is read: a host may signal, or be
            # gone already, at any time.
            await tg.start(serving.watch_signals, name="signals")
            await tg.start(watch.watch, lambda: serving.session.host_pid, serving.stop, name="host watch")
            tg.start_soon(serving.writer.run, name="writer")
            tg.start_soon(serving.progress.run, name="progress")
            tg.start_soon(serving.read_loop, reader, name="reader")
            await serving.run_until_stopped()
            tg.cancel_scope.cancel()
    finally:
        reader.close()
    return serving.lifecycle.exit_code


class Serving:
    """The running server: what handlers (as :class:`~.context.Control`) and services
    (as :class:`~.services.ServiceHost`) see of it. Complete once constructed."""

    def __init__(self, config: ServerConfig, table: MethodTable, write_fd: int, watch: HostWatch, tg: anyio.abc.TaskGroup) -> None:
        self.session = Session(config)
        self.table = table
        self.lifecycle = Lifecycle()
        self.device_locks = DeviceLocks()
        self.shutting_down = anyio.Event()  # set when new work stops being accepted
        self._stop_requested = anyio.Event()
        self._watch = watch
        self._tg = tg
        self._services: dict[type, Any] = {}
        self.writer = FrameWriter(write_fd, header_encoder(config.framing), on_broken=lambda: self.stop("host closed stdout"))
        self.progress = ProgressHub(self.writer, max_frame=config.max_frame_bytes)
        self.dispatcher = Dispatcher(self, self.lifecycle, config, self.writer.send_nowait, self.writer.wait_uncongested, self.progress, tg)

    # ---- Control: what handlers may do

    @property
    def initialized(self) -> bool:
        return self.lifecycle.initialized

    @property
    def inflight(self) -> int:
        return self.dispatcher.inflight

    def service(self, cls: type[S]) -> S:
        """The one instance of ``cls`` in this process, created and started in the server's
        task group on first use, so it is cancelled (and cleans up) when the server stops."""
        instance = self._services.get(cls)
        if instance is None:
            instance = self._services[cls] = cls(self)
            self._tg.start_soon(instance.run, name=f"service {cls.__name__}")
        return instance

    def begin_session(self) -> None:
        self._handle(Event.INITIALIZE)

    def cancel(self, request_id: RequestId) -> None:
        self.dispatcher.cancel(request_id)

    async def shut_down(self) -> None:
        self._handle(Event.SHUTDOWN)
        await self.dispatcher.cancel_all()

    def exit(self) -> None:
        self._handle(Event.EXIT, "exit notification")

    def stop(self, reason: str) -> None:
        """Begin the stop sequence (end of input, a signal, the host gone); the first way out wins."""
        self._handle(Event.STOP, reason)

    # ---- the table's actions

    def _handle(self, event: Event, reason: str | None = None) -> None:
        try:
            action = self.lifecycle.handle(event)
        except IllegalEvent as illegal:
            raise illegal.error from None
        if action is Action.NOTHING:
            return
        self.shutting_down.set()
        if action is Action.STOP:
            log.info("stopping: %s", reason)
            self._stop_requested.set()

    # ---- the tasks

    async def run_until_stopped(self) -> None:
        await self._stop_requested.wait()
        with anyio.move_on_after(CANCEL_GRACE):
            await self.dispatcher.cancel_all()
        with anyio.move_on_after(DRAIN_GRACE):
            await self.writer.drain()

    async def read_loop(self, reader: FdReader) -> None:
        config = self.session.config
        decoder = make_decoder(config.framing, config.max_frame_bytes)
        dispatcher, writer = self.dispatcher, self.writer
        while not self._stop_requested.is_set():
            data = await reader.read()
            if not data:
                truncated = decoder.eof()
                if truncated is not None:
                    log.warning("input ended inside a frame (%d bytes buffered)", truncated.buffered)
                self.stop("end of input")
                return
            writer.hold()  # the replies to one read go out together: a write per read, not per reply
            for event in decoder.feed(data):
                if type(event) is Frame:
                    dispatcher.handle_frame(event.payload)
                else:
                    dispatcher.handle_framing_error(event)  # type: ignore[arg-type]  # `type() is` is the fast test; it does not narrow
                # Backpressure, per frame (one read can hold thousands): while the host is
                # not reading our output, stop handling its input, and so stop reading it.
                if writer.congested:
                    await writer.wait_uncongested()
            writer.flush()

    async def watch_signals(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Turn SIGTERM, SIGINT and SIGHUP into stops; started once they are caught."""
        with _signal_receiver() as signals:
            task_status.started()
            async for signum in signals:
                if signum == signal.SIGHUP and not self._watch.parent_gone():
                    continue  # a hangup while the parent lives (a closed terminal, a stray kill) is not the host going
                self.stop("host process exited" if signum == signal.SIGHUP else f"received {signal.Signals(signum).name}")


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
