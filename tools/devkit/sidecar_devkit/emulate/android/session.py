"""One host connection to the fake adbd: CNXN handshake, AUTH, then multiplexed shell streams.

The device side of adb's transport protocol, as adbd plays it:

* host CNXN -> negotiate version and payload size -> AUTH TOKEN (20 random bytes);
* AUTH SIGNATURE verifying against a trusted key -> device CNXN (online);
  otherwise a fresh AUTH TOKEN, so the host tries its next key;
* AUTH RSAPUBLICKEY -> the "Allow USB debugging?" prompt: if the user allows,
  the key is trusted from then on and the device sends CNXN;
* OPEN(host_id, 0, "shell:<cmd>") -> recorded, then OKAY(our_id, host_id),
  WRTE chunks (each waiting for the host's OKAY, adb's flow control), CLSE.
  ``shell,v2,...:<cmd>`` (what adb asks for when the device's banner lists
  ``shell_v2``) frames the output in the shell protocol: stdout packets, then an
  exit packet. The emulated programs merge stderr into stdout and report no
  status of their own, so every command exits 0 there (a real device would say
  1 for, e.g., ``ls /data/anr`` as the shell user).
  Any other service is recorded and refused with CLSE(0, host_id); an OPEN
  before authorisation is recorded and otherwise ignored.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import struct
from dataclasses import dataclass, field

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

from . import shell
from .adbkey import TOKEN_BYTES, AdbPublicKey, BadPublicKey, parse_public_key, signs_token
from .profiles import DeviceProfile, Disconnect, Hang
from .record import ServiceRecord
from .wire import AuthType, Codec, Command, Message, command_name

logger = logging.getLogger(__name__)

# shell[,arg,...]:<cmd> and exec:<cmd> (shell without a pty; neither uses one here)
_SERVICE = re.compile(r"^(?P<name>shell|exec)(?:,(?P<args>[^:]*))?:(?P<command>.*)$", re.DOTALL)
_V2_PACKET = 1024  # bytes of output per shell-protocol packet
_STDOUT, _EXIT = 1, 3  # shell protocol packet ids


class Device:
    """What every connection to one fake device shares: its profile, record and trusted keys."""

    def __init__(self, profile: DeviceProfile, record: ServiceRecord) -> None:
        self.profile = profile
        self.record = record
        self.trusted_keys: list[AdbPublicKey] = [parse_public_key(k.encode()) for k in profile.auth.trusted_keys]

    def banner(self) -> bytes:
        props = self.profile.props
        identity = "".join(f"{name}={props.get(name, '')};" for name in ("ro.product.name", "ro.product.model", "ro.product.device"))
        return f"device::{identity}features={','.join(self.profile.features)}".encode()


@dataclass(eq=False)
class _Stream:
    local_id: int
    remote_id: int
    shell_v2: bool = False  # output framed in the shell protocol
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    acked: anyio.Event = field(default_factory=anyio.Event)


class Session:
    def __init__(self, transport: anyio.abc.SocketStream, device: Device) -> None:
        self._transport = transport
        self._device = device
        self._codec = Codec()
        self._send_lock = anyio.Lock()
        self._online = False
        self._token: bytes | None = None  # the AUTH challenge outstanding, if any
        self._streams: dict[int, _Stream] = {}
        self._last_id = 0
        self._tasks: anyio.abc.TaskGroup | None = None

    async def run(self) -> None:
        """Serve until the host disconnects, or a fault drops the connection."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            async for chunk in self._transport:
                self._ack_promptly()
                for message in self._codec.feed(chunk):
                    await self._handle(message)
            tasks.cancel_scope.cancel()  # the host is gone: stop streams still producing

    def _ack_promptly(self) -> None:
        # adb clients write a header and its payload in two send()s; with Nagle on
        # their side, the payload waits for our ACK of the header, which Linux
        # delays by up to 40 ms. Quick ACKs (re-armed after every read, as the
        # kernel drops the mode on its own) keep each message from stalling.
        if hasattr(socket, "TCP_QUICKACK"):
            raw = self._transport.extra(SocketAttribute.raw_socket)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    async def _handle(self, message: Message) -> None:
        logger.debug("<- %s %#x %#x %d bytes", command_name(message.command), message.arg0, message.arg1, len(message.data))
        if message.command is Command.CNXN:
            await self._on_connect(message)
        elif message.command is Command.AUTH:
            await self._on_auth(message)
        elif message.command is Command.OPEN:
            await self._on_open(message)
        elif not self._online:
            logger.debug("ignoring %s before the host is authorised", command_name(message.command))
        elif message.command is Command.OKAY:
            self._on_okay(message)
        elif message.command is Command.WRTE:
            await self._on_write(message)
        else:
            self._on_close(message)

    # --- handshake ---------------------------------------------------------

    async def _on_connect(self, message: Message) -> None:
        # A CNXN restarts the transport, as in adbd: streams of the old one are gone.
        self._close_all_streams()
        self._online = False
        self._codec.negotiate(message.arg0, message.arg1)
        logger.info("host CNXN %r: version %#x, max payload %d", message.data.rstrip(b"\0"), self._codec.version, self._codec.max_payload)
        if self._device.profile.auth.required:
            await self._challenge()
        else:
            await self._go_online()

    async def _on_auth(self, message: Message) -> None:
        if self._token is None:
            return
        if message.arg0 == AuthType.SIGNATURE:
            if any(signs_token(key, self._token, message.data) for key in self._device.trusted_keys):
                await self._go_online()
            else:
                await self._challenge()  # the host tries its next key, then offers its public key
        elif message.arg0 == AuthType.RSAPUBLICKEY:
            await self._on_public_key(message.data)

    async def _on_public_key(self, data: bytes) -> None:
        try:
            key = parse_public_key(data)
        except BadPublicKey as error:
            logger.warning("host offered an unusable public key: %s", error)
            return
        if not self._device.profile.auth.user_allows:
            logger.info("user leaves the debugging prompt for %s unanswered", key.comment)
            return
        logger.info("user allows USB debugging for %s", key.comment)
        self._device.trusted_keys.append(key)
        await self._go_online()

    async def _challenge(self) -> None:
        self._token = os.urandom(TOKEN_BYTES)
        await self._send(Command.AUTH, AuthType.TOKEN, 0, self._token)

    async def _go_online(self) -> None:
        self._token = None
        self._online = True
        await self._send(Command.CNXN, self._codec.version, self._codec.max_payload, self._device.banner())

    # --- streams -----------------------------------------------------------

    async def _on_open(self, message: Message) -> None:
        service = message.data.rstrip(b"\0").decode("utf-8", "replace")
        self._device.record.append(service)  # even unauthorised: the record is of what hosts asked for
        if not self._online:
            logger.info("ignoring OPEN %r before the host is authorised", service)
            return
        match = _SERVICE.fullmatch(service)
        args = set((match["args"] or "").split(",")) if match else set()
        shell_v2 = "v2" in args
        if match is None or not match["command"] or (shell_v2 and "shell_v2" not in self._device.profile.features):
            logger.info("refusing service %r", service)
            await self._send(Command.CLSE, 0, message.arg0)
            return
        self._last_id += 1
        stream = _Stream(self._last_id, message.arg0, shell_v2)
        self._streams[stream.local_id] = stream
        await self._send(Command.OKAY, stream.local_id, stream.remote_id)
        assert self._tasks is not None
        self._tasks.start_soon(self._serve, stream, match["command"])

    def _on_okay(self, message: Message) -> None:
        stream = self._streams.get(message.arg1)
        if stream is not None and stream.remote_id == message.arg0:
            stream.acked.set()

    async def _on_write(self, message: Message) -> None:
        # Input for a command: none of the emulated ones read stdin, but adb still wants it acknowledged.
        stream = self._streams.get(message.arg1)
        if stream is not None:
            await self._send(Command.OKAY, stream.local_id, stream.remote_id)

    def _on_close(self, message: Message) -> None:
        # The host closed the stream (e.g. it gave up waiting): stop the command, send nothing back.
        stream = self._streams.pop(message.arg1, None)
        if stream is not None:
            stream.scope.cancel()

    def _close_all_streams(self) -> None:
        for stream in self._streams.values():
            stream.scope.cancel()
        self._streams.clear()

    async def _serve(self, stream: _Stream, command: str) -> None:
        with stream.scope:
            fault = self._device.profile.faults.get(command)
            if isinstance(fault, Hang):
                logger.info("hanging on %r as the profile asks", command)
                await anyio.sleep_forever()
            result = shell.run(self._device.profile, command)
            output = _framed(result.output) if stream.shell_v2 else result.output
            if isinstance(fault, Disconnect):
                await self._write(stream, output[: fault.after_bytes])
                self._drop_connection(fault)
                return
            await self._write(stream, output)
            if result.keeps_running:
                await anyio.sleep_forever()
            if stream.shell_v2:
                await self._write(stream, struct.pack("<BIB", _EXIT, 1, 0))
            self._streams.pop(stream.local_id, None)
            await self._send(Command.CLSE, stream.local_id, stream.remote_id)

    async def _write(self, stream: _Stream, data: bytes) -> None:
        size = self._codec.max_payload
        for start in range(0, len(data), size):
            stream.acked = anyio.Event()
            await self._send(Command.WRTE, stream.local_id, stream.remote_id, data[start : start + size])
            await stream.acked.wait()

    def _drop_connection(self, fault: Disconnect) -> None:
        logger.info("dropping the connection (%s) as the profile asks", "reset" if fault.abort else "close")
        if fault.abort:
            # Linger 0: close() sends RST instead of FIN.
            raw = self._transport.extra(SocketAttribute.raw_socket)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        assert self._tasks is not None
        self._tasks.cancel_scope.cancel()  # the server then closes the socket

    async def _send(self, command: Command, arg0: int, arg1: int, data: bytes = b"") -> None:
        logger.debug("-> %s %#x %#x %d bytes", command_name(command), arg0, arg1, len(data))
        async with self._send_lock:
            await self._transport.send(self._codec.encode(Message(command, arg0, arg1, data)))


def _framed(output: bytes) -> bytes:
    """``output`` as shell-protocol stdout packets (id, little-endian length, bytes)."""
    return b"".join(struct.pack("<BI", _STDOUT, len(part)) + part for part in (output[i : i + _V2_PACKET] for i in range(0, len(output), _V2_PACKET)))
