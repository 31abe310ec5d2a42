"""The ADB transport message codec, as a pure state machine (bytes in, messages out, no I/O).

Every ADB message is a 24-byte little-endian header (command, arg0, arg1,
data_length, data_check, magic) followed by ``data_length`` payload bytes.
``magic`` is ``command ^ 0xFFFFFFFF``. ``data_check`` is the plain byte sum of
the payload (adb calls it crc32, it never was one). Since protocol version
0x01000001 (Android 9) adb neither fills it in nor checks it, so once a peer
negotiates that version the codec stops both computing and verifying it.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

HEADER = struct.Struct("<6I")

VERSION_MIN = 0x01000000
VERSION_SKIP_CHECKSUM = 0x01000001
VERSION = VERSION_SKIP_CHECKSUM  # the newest version this codec speaks

MAX_PAYLOAD_V1 = 4 * 1024  # what protocol 0x01000000 peers were limited to
MAX_PAYLOAD = 1024 * 1024  # adb's absolute limit, used until a CNXN narrows it

_U32 = 0xFFFFFFFF


def _tag(name: bytes) -> int:
    return int.from_bytes(name, "little")


class Command(enum.IntEnum):
    """The transport commands a device handles (SYNC is obsolete and refused)."""

    CNXN = _tag(b"CNXN")
    AUTH = _tag(b"AUTH")
    OPEN = _tag(b"OPEN")
    OKAY = _tag(b"OKAY")
    WRTE = _tag(b"WRTE")
    CLSE = _tag(b"CLSE")


SYNC = _tag(b"SYNC")


class AuthType(enum.IntEnum):
    """arg0 of an AUTH message."""

    TOKEN = 1
    SIGNATURE = 2
    RSAPUBLICKEY = 3


@dataclass(frozen=True, slots=True)
class Message:
    command: Command
    arg0: int
    arg1: int
    data: bytes = b""


class WireError(Exception):
    """The byte stream is not ADB; the connection cannot continue."""


class BadMagic(WireError):
    pass


class BadChecksum(WireError):
    pass


class PayloadTooLarge(WireError):
    pass


class UnsupportedCommand(WireError):
    pass


def checksum(data: bytes) -> int:
    return sum(data) & _U32


def command_name(value: int) -> str:
    return value.to_bytes(4, "little").decode("latin-1")


class Codec:
    """One side of an ADB transport: decodes what the peer sends, encodes what we send.

    Starts at the oldest protocol (checksums on, adb's absolute payload limit)
    and moves to the negotiated one when :meth:`negotiate` is called with the
    peer's CNXN arguments. After a :class:`WireError` it stays failed.
    """

    def __init__(self) -> None:
        self.version = VERSION_MIN
        self.max_payload = MAX_PAYLOAD
        self._buffer = bytearray()
        self._header: tuple[Command, int, int, int, int] | None = None
        self._error: WireError | None = None

    @property
    def uses_checksums(self) -> bool:
        return self.version < VERSION_SKIP_CHECKSUM

    def negotiate(self, peer_version: int, peer_max_payload: int) -> None:
        """Adopt the lower of both sides' version and payload limit, as adbd does."""
        self.version = min(peer_version, VERSION)
        self.max_payload = min(peer_max_payload, MAX_PAYLOAD)

    def encode(self, message: Message) -> bytes:
        if len(message.data) > self.max_payload:
            raise ValueError(f"payload of {len(message.data)} bytes exceeds the negotiated {self.max_payload}")
        check = checksum(message.data) if self.uses_checksums else 0
        header = HEADER.pack(message.command, message.arg0, message.arg1, len(message.data), check, message.command ^ _U32)
        return header + message.data

    def feed(self, data: bytes) -> list[Message]:
        """Take more bytes from the peer; return every message they complete."""
        if self._error is not None:
            raise self._error
        self._buffer += data
        messages: list[Message] = []
        try:
            while (message := self._next()) is not None:
                messages.append(message)
        except WireError as error:
            self._error = error
            raise
        return messages

    def _next(self) -> Message | None:
        if self._header is None:
            if len(self._buffer) < HEADER.size:
                return None
            self._header = self._parse_header(bytes(self._buffer[: HEADER.size]))
            del self._buffer[: HEADER.size]
        command, arg0, arg1, length, check = self._header
        if len(self._buffer) < length:
            return None
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._header = None
        self._verify(data, check)
        return Message(command, arg0, arg1, data)

    def _parse_header(self, raw: bytes) -> tuple[Command, int, int, int, int]:
        command, arg0, arg1, length, check, magic = HEADER.unpack(raw)
        if magic != command ^ _U32:
            raise BadMagic(f"magic {magic:#010x} does not match command {command:#010x}")
        if command == SYNC:
            raise UnsupportedCommand("SYNC is obsolete and not spoken by any adb since 2012")
        try:
            known = Command(command)
        except ValueError:
            raise UnsupportedCommand(f"unknown command {command_name(command)!r} ({command:#010x})") from None
        # Checked on the header so a hostile length never makes us buffer it.
        if length > self.max_payload:
            raise PayloadTooLarge(f"payload of {length} bytes exceeds {self.max_payload}")
        return known, arg0, arg1, length, check

    def _verify(self, data: bytes, check: int) -> None:
        # Zero is what a sender that skips checksums writes: accept it even before
        # negotiation, from hosts that omit it in their first CNXN (adb itself still
        # fills it in there). Any other value must be right.
        if self.uses_checksums and check != 0 and check != checksum(data):
            raise BadChecksum(f"payload checksum {checksum(data):#x} != header {check:#x}")
