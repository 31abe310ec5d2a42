"""The fake adbd's TCP server, and a blocking handle on it for tests and development tools.

``serve_adbd`` is the anyio task (start it with ``task_group.start``; it reports
the bound port). ``running_adbd`` runs it on an event loop of its own in a
background thread owned by an anyio blocking portal, for synchronous callers
such as pytest tests and the adb-shell library::

    with running_adbd(profile=FRP_LOCKED) as adbd:
        device = AdbDeviceTcp(adbd.host, adbd.port)
        ...
        assert adbd.received == ["shell:getprop ro.frp.pst"]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
import anyio.abc
from anyio.abc import SocketAttribute
from anyio.from_thread import start_blocking_portal

from .profiles import PIXEL, DeviceProfile
from .record import ServiceRecord
from .session import Device, Session
from .wire import WireError

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"  # loopback only: the fake is never reachable from the network


async def serve_adbd(
    profile: DeviceProfile,
    record: ServiceRecord,
    port: int = 0,
    *,
    task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Accept adb hosts on ``HOST:port`` (0: the OS picks) until cancelled."""
    device = Device(profile, record)
    async with await anyio.create_tcp_listener(local_host=HOST, local_port=port) as listener:
        bound = listener.extra(SocketAttribute.local_port)
        logger.info("fake adbd %r listening on %s:%d", profile.name, HOST, bound)
        task_status.started(bound)
        await listener.serve(partial(_serve_connection, device))


async def _serve_connection(device: Device, transport: anyio.abc.SocketStream) -> None:
    async with transport:
        try:
            await Session(transport, device).run()
        except* (WireError, anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError) as group:
            # The host broke the protocol or the connection: adbd drops that transport and carries on.
            logger.info("connection dropped: %r", group.exceptions[0])


@dataclass(frozen=True)
class RunningAdbd:
    host: str
    port: int
    profile: DeviceProfile
    record: ServiceRecord

    @property
    def serial(self) -> str:
        """The serial adb gives a TCP device: ``host:port``."""
        return f"{self.host}:{self.port}"

    @property
    def received(self) -> list[str]:
        """Every service requested so far (``shell:<command>``, ...), in arrival order."""
        return self.record.services


@contextmanager
def running_adbd(profile: DeviceProfile = PIXEL, record_path: Path | None = None, *, port: int = 0) -> Iterator[RunningAdbd]:
    """Run a fake device on loopback for the duration of the ``with`` block."""
    record = ServiceRecord(record_path)
    with start_blocking_portal() as portal:
        server, bound = portal.start_task(serve_adbd, profile, record, port)
        try:
            yield RunningAdbd(HOST, bound, profile, record)
        finally:
            # Stop serving (the portal then joins its thread). A server that already
            # ended crashed: re-raise its error so the caller's test fails on it.
            if not server.cancel():
                server.result()
