"""The shell protocol (adb's ``shell,v2:`` service) as a pure codec.

Each packet is one id byte, a 4-byte little-endian length, then that many bytes.
The device sends stdout (1) and stderr (2) packets in the order it produced them,
then one exit packet (3) holding the status byte; the host may send stdin (0),
close-stdin (4) and window-size (5) packets (the sidecar sends none).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

HEADER = struct.Struct("<BI")


class PacketId(enum.IntEnum):
    STDIN = 0
    STDOUT = 1
    STDERR = 2
    EXIT = 3
    CLOSE_STDIN = 4
    WINDOW_SIZE_CHANGE = 5


@dataclass(frozen=True, slots=True)
class Packet:
    id: int
    data: bytes


class ShellProtocolError(Exception):
    pass


def encode(packet_id: int, data: bytes = b"") -> bytes:
    return HEADER.pack(packet_id, len(data)) + data


class Decoder:
    """Packets out of a byte stream cut anywhere. ``limit`` bounds one packet (adb's is 1 MiB)."""

    def __init__(self, limit: int = 1024 * 1024) -> None:
        self._buffer = bytearray()
        self._limit = limit

    def feed(self, data: bytes) -> list[Packet]:
        self._buffer += data
        packets = []
        while len(self._buffer) >= HEADER.size:
            packet_id, length = HEADER.unpack_from(self._buffer)
            if length > self._limit:
                raise ShellProtocolError(f"a shell packet of {length} bytes exceeds {self._limit}")
            if len(self._buffer) < HEADER.size + length:
                break
            packets.append(Packet(packet_id, bytes(self._buffer[HEADER.size : HEADER.size + length])))
            del self._buffer[: HEADER.size + length]
        return packets

    @property
    def pending(self) -> int:
        """Bytes of an incomplete packet (non-zero at the end of the stream means it was cut)."""
        return len(self._buffer)


def exit_status(packet: Packet) -> int:
    if packet.id != PacketId.EXIT or len(packet.data) != 1:
        raise ShellProtocolError(f"not an exit packet: id {packet.id}, {len(packet.data)} bytes")
    return packet.data[0]
