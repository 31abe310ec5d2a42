"""Talking to the user's adb server over anyio streams: list, track, and run allowlisted shells.

Every request opens its own connection, as adb's own client does; a connection that
has switched to a device (``host:transport:<serial>``) carries exactly one service.
Nothing here can start, kill or reconfigure the server, and the only device service
it opens is a shell running an allowlisted :class:`Command`'s line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc

from ..commands import Command
from . import shellv2
from .address import ServerAddress
from .listing import ServerDevice, parse_devices
from .wire import (
    Block,
    ClientConnection,
    Closed,
    Expect,
    Fail,
    Okay,
    Output,
    ProtocolError,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2.0
_READ = 65536


class NoServer(Exception):
    """Nothing answers at the server's address: no adb server runs there."""


class ServerRefused(Exception):
    """The server (or the device behind it) answered FAIL; the message is adb's own."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServerLost(Exception):
    """The server closed the connection, broke its protocol, or went silent."""


async def connect(address: ServerAddress, timeout_s: float = CONNECT_TIMEOUT_S) -> anyio.abc.ByteStream:
    """A connection to the server, or ``NoServer``."""
    errors: list[str] = []
    with anyio.move_on_after(timeout_s):
        if address.kind == "tcp":
            for host in address.hosts:
                try:
                    return await anyio.connect_tcp(host, address.port)
                except OSError as exc:
                    errors.append(f"{host}: {exc.strerror or exc}")
        else:
            path = "\0" + address.path if address.kind == "abstract" else address.path
            try:
                return await anyio.connect_unix(path)
            except OSError as exc:
                errors.append(exc.strerror or str(exc))
    raise NoServer(f"no adb server at {address.spec} ({'; '.join(errors) or 'connect timed out'})")


async def is_running(address: ServerAddress) -> bool:
    try:
        stream = await connect(address)
    except NoServer:
        return False
    await stream.aclose()
    return True


class _Conversation:
    """One connection to the server and its codec, with every read bounded by ``silence_s``."""

    def __init__(self, stream: anyio.abc.ByteStream, silence_s: float) -> None:
        self._stream = stream
        self._codec = ClientConnection()
        self._silence_s = silence_s
        self._events: list[object] = []

    async def send(self, service: str, expect: Expect) -> None:
        try:
            await self._stream.send(self._codec.request(service, expect))
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise ServerLost(f"the adb server dropped the connection ({exc})") from exc

    async def next_event(self) -> object:
        while not self._events:
            try:
                with anyio.fail_after(self._silence_s):
                    data = await self._stream.receive(_READ)
            except anyio.EndOfStream:
                data = b""
            except TimeoutError:
                raise ServerLost(f"no answer for {self._silence_s:g} s") from None
            except (OSError, anyio.BrokenResourceError) as exc:
                raise ServerLost(f"the connection broke ({exc})") from exc
            try:
                self._events.extend(self._codec.feed(data))
            except ProtocolError as exc:
                raise ServerLost(f"the adb server broke its protocol: {exc}") from exc
        return self._events.pop(0)

    async def status(self) -> None:
        """Wait for OKAY; a FAIL raises ``ServerRefused`` with adb's message."""
        event = await self.next_event()
        if isinstance(event, Fail):
            raise ServerRefused(event.message)
        if not isinstance(event, Okay):
            raise ServerLost(f"expected OKAY, got {event!r}")


@asynccontextmanager
async def _conversation(address: ServerAddress, silence_s: float) -> AsyncIterator[_Conversation]:
    stream = await connect(address)
    try:
        yield _Conversation(stream, silence_s)
    finally:
        with anyio.CancelScope(shield=True):
            await stream.aclose()


async def query(address: ServerAddress, service: str, timeout_s: float) -> str:
    """A host service that answers one block (``host:devices-l``, ``host-serial:<s>:features``...)."""
    async with _conversation(address, timeout_s) as talk:
        await talk.send(service, Expect.BLOCK)
        await talk.status()
        event = await talk.next_event()
        if not isinstance(event, Block):
            raise ServerLost(f"expected a reply block, got {event!r}")
        return event.payload.decode("utf-8", "replace")


async def devices(address: ServerAddress, timeout_s: float) -> list[ServerDevice]:
    return parse_devices(await query(address, "host:devices-l", timeout_s))


async def features(address: ServerAddress, serial: str, timeout_s: float) -> frozenset[str]:
    """The features the device announced to the server (``shell_v2``, ``cmd``...)."""
    text = await query(address, f"host-serial:{serial}:features", timeout_s)
    return frozenset(name for name in text.strip().split(",") if name)


async def track(address: ServerAddress) -> AsyncIterator[list[ServerDevice]]:
    """The device list now, then again after every change, until the server goes away (``ServerLost``)."""
    async with _conversation(address, float("inf")) as talk:
        await talk.send("host:track-devices-l", Expect.BLOCKS)
        await talk.status()
        while True:
            event = await talk.next_event()
            if isinstance(event, Closed):
                raise ServerLost("the adb server stopped (its device tracking ended)")
            assert isinstance(event, Block)
            yield parse_devices(event.payload.decode("utf-8", "replace"))


class ServerShell:
    """Runs allowlisted commands on one device through the server: a ``host:transport:<serial>``
    switch, then ``shell,v2,raw:`` when the device offers the shell protocol (separate streams,
    a definite end and an exit status), else the plain ``shell:`` service."""

    def __init__(self, address: ServerAddress, serial: str, shell_v2: bool) -> None:
        self._address = address
        self._serial = serial
        self.shell_v2 = shell_v2

    async def output(self, command: Command, silence_s: float) -> AsyncGenerator[bytes, None]:
        """The command's stdout and stderr, in the order they arrive."""
        if not isinstance(command, Command):
            raise TypeError("only allowlisted commands may be sent to a device")
        service = f"shell,v2,raw:{command.line}" if self.shell_v2 else f"shell:{command.line}"
        async with _conversation(self._address, silence_s) as talk:
            await talk.send(f"host:transport:{self._serial}", Expect.SWITCH)
            await talk.status()
            await talk.send(service, Expect.STREAM)
            await talk.status()
            chunks = _v2_output(talk) if self.shell_v2 else _raw_output(talk)
            async for chunk in chunks:
                yield chunk


async def _raw_output(talk: _Conversation) -> AsyncIterator[bytes]:
    # The plain shell ends when the device closes the stream; a lost device looks the same.
    while isinstance(event := await talk.next_event(), Output):
        yield event.data


async def _v2_output(talk: _Conversation) -> AsyncIterator[bytes]:
    decoder = shellv2.Decoder()
    while isinstance(event := await talk.next_event(), Output):
        try:
            packets = decoder.feed(event.data)
        except shellv2.ShellProtocolError as exc:
            raise ServerLost(str(exc)) from exc
        for packet in packets:
            if packet.id in (shellv2.PacketId.STDOUT, shellv2.PacketId.STDERR):
                yield packet.data
            elif packet.id == shellv2.PacketId.EXIT:
                log.debug("exit status %d", shellv2.exit_status(packet))
                return
    raise ServerLost("the device went away before the command ended")
