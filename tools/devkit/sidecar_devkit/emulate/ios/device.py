"""One emulated device: its profile, its open service ports and what it records.

usbmuxd's ``Connect`` hands a client socket to whatever listens on a device port:
lockdownd on 62078, or a service lockdownd started. Handlers get the stream as a
:class:`Channel` that first replays bytes usbmuxd had already read past the
``Connect`` packet.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anyio.abc import ByteStream

from sidecar_devkit.emulate.ios.profile import DeviceProfile
from sidecar_devkit.emulate.ios.record import Received, Recorder
from sidecar_devkit.emulate.ios.wire import PlistMessageDecoder, encode_plist_message

logger = logging.getLogger(__name__)

LOCKDOWN_PORT = 62078
# Real lockdownd hands out ephemeral ports in this range.
FIRST_SERVICE_PORT = 49152


class Channel:
    """A client stream as seen from the device side."""

    def __init__(self, stream: ByteStream, pending: bytes = b"") -> None:
        self._stream = stream
        self._pending = pending
        self._plists = PlistMessageDecoder()
        self._messages: deque[dict[str, Any]] = deque()

    async def receive(self) -> bytes:
        """Next bytes from the client; raises anyio.EndOfStream once it closes."""
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return await self._stream.receive()

    async def send(self, data: bytes) -> None:
        await self._stream.send(data)

    async def receive_plist(self) -> dict[str, Any]:
        """Next length-prefixed plist message, as lockdownd and its plist services frame them."""
        while not self._messages:
            self._messages.extend(self._plists.feed(await self.receive()))
        return self._messages.popleft()

    async def send_plist(self, message: dict[str, Any]) -> None:
        await self.send(encode_plist_message(message))


Handler = Callable[[Channel, "EmulatedDevice"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StartedService:
    name: str
    handler: Handler


class EmulatedDevice:
    def __init__(
        self,
        profile: DeviceProfile,
        recorder: Recorder,
        device_id: int,
        lockdown: Handler,
        services: Mapping[str, Handler],
    ) -> None:
        self.profile = profile
        self.device_id = device_id
        self._recorder = recorder
        self._lockdown = lockdown
        self._services = services
        self._started: dict[int, StartedService] = {}
        self._next_port = itertools.count(FIRST_SERVICE_PORT)

    @property
    def udid(self) -> str:
        return self.profile.udid

    def record(self, entry: Received) -> None:
        self._recorder.add(entry)

    def start_service(self, name: str) -> int | None:
        """The port a new instance of ``name`` listens on, or None if the device has no such service."""
        handler = self._services.get(name)
        if handler is None:
            return None
        port = next(self._next_port)
        self._started[port] = StartedService(name, handler)
        logger.debug("%s: started %s on port %d", self.udid, name, port)
        return port

    def accept(self, port: int) -> Handler | None:
        """The handler behind ``port``; a started service port takes one connection, as on a device."""
        if port == LOCKDOWN_PORT:
            return self._lockdown
        started = self._started.pop(port, None)
        return None if started is None else started.handler
