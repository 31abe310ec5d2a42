"""Pure codecs for the iOS wire protocols the fake speaks (bytes in, messages out; no I/O).

* usbmux: a 16-byte little-endian header (total length including the header,
  protocol version, message type, tag) then the payload. Modern clients send
  version 1 / type 8 (plist) packets whose payload is an XML plist.
* lockdown (and every plist service behind it): a 4-byte big-endian length then
  an XML or binary plist.
* AFC: a 40-byte little-endian header (magic, entire length, header+params
  length, packet number, opcode) then the parameters and data.

Decoders buffer partial input, so any chunking of a stream decodes the same.
Malformed input raises :class:`WireError`: the fake then drops the connection,
as the real daemons do.
"""

from __future__ import annotations

import plistlib
import struct
from dataclasses import dataclass
from typing import Any

USBMUX_HEADER = struct.Struct("<IIII")
USBMUX_VERSION_BINARY = 0
USBMUX_VERSION_PLIST = 1
USBMUX_MESSAGE_RESULT = 1
USBMUX_MESSAGE_PLIST = 8

LOCKDOWN_HEADER = struct.Struct(">I")

AFC_MAGIC = b"CFA6LPAA"
AFC_HEADER = struct.Struct("<8sQQQQ")

# Far above anything a client sends the fake; a larger length means a desynchronised stream.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class WireError(ValueError):
    """The peer sent bytes that are not a valid frame."""


def _check_size(size: int, minimum: int) -> None:
    if size < minimum or size > MAX_MESSAGE_BYTES:
        raise WireError(f"frame length {size} outside [{minimum}, {MAX_MESSAGE_BYTES}]")


def decode_plist(data: bytes) -> dict[str, Any]:
    """A dictionary-rooted plist, XML or binary (plistlib detects which)."""
    try:
        value = plistlib.loads(data)
    except Exception as exc:  # plistlib raises several unrelated types on garbage
        raise WireError(f"not a plist: {exc}") from exc
    if not isinstance(value, dict):
        raise WireError(f"plist root is {type(value).__name__}, not a dict")
    return value


# --- usbmux -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsbmuxPacket:
    version: int
    message: int
    tag: int
    payload: bytes

    def plist(self) -> dict[str, Any]:
        return decode_plist(self.payload)


def encode_usbmux(packet: UsbmuxPacket) -> bytes:
    length = USBMUX_HEADER.size + len(packet.payload)
    return USBMUX_HEADER.pack(length, packet.version, packet.message, packet.tag) + packet.payload


def encode_usbmux_plist(tag: int, message: dict[str, Any]) -> bytes:
    """A version-1 plist packet, the form usbmuxd answers plist clients in."""
    payload = plistlib.dumps(message, fmt=plistlib.FMT_XML)
    return encode_usbmux(UsbmuxPacket(USBMUX_VERSION_PLIST, USBMUX_MESSAGE_PLIST, tag, payload))


class UsbmuxDecoder:
    """Splits a usbmuxd client stream into packets, one at a time.

    One at a time because a successful Connect ends the usbmux protocol on that
    socket: whatever follows belongs to the device, so it must stay unparsed.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_packet(self) -> UsbmuxPacket | None:
        if len(self._buf) < USBMUX_HEADER.size:
            return None
        length, version, message, tag = USBMUX_HEADER.unpack_from(self._buf)
        _check_size(length, USBMUX_HEADER.size)
        if len(self._buf) < length:
            return None
        payload = bytes(self._buf[USBMUX_HEADER.size : length])
        del self._buf[:length]
        return UsbmuxPacket(version, message, tag, payload)

    def take_rest(self) -> bytes:
        """Unparsed bytes: once a Connect succeeds they belong to the tunnel."""
        rest = bytes(self._buf)
        self._buf.clear()
        return rest


# --- lockdown / plist services ----------------------------------------------


def encode_plist_message(message: dict[str, Any], fmt: plistlib.PlistFormat = plistlib.FMT_XML) -> bytes:
    payload = plistlib.dumps(message, fmt=fmt)
    return LOCKDOWN_HEADER.pack(len(payload)) + payload


class PlistMessageDecoder:
    """Splits a lockdownd-style stream (u32 big-endian length + plist) into dictionaries."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buf += data
        messages: list[dict[str, Any]] = []
        while len(self._buf) >= LOCKDOWN_HEADER.size:
            (length,) = LOCKDOWN_HEADER.unpack_from(self._buf)
            _check_size(length, 1)
            end = LOCKDOWN_HEADER.size + length
            if len(self._buf) < end:
                break
            payload = bytes(self._buf[LOCKDOWN_HEADER.size : end])
            del self._buf[:end]
            messages.append(decode_plist(payload))
        return messages


# --- AFC --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AfcPacket:
    packet_num: int
    operation: int
    params: bytes
    data: bytes = b""


def encode_afc(packet: AfcPacket) -> bytes:
    this_length = AFC_HEADER.size + len(packet.params)
    entire_length = this_length + len(packet.data)
    header = AFC_HEADER.pack(AFC_MAGIC, entire_length, this_length, packet.packet_num, packet.operation)
    return header + packet.params + packet.data


class AfcDecoder:
    """Splits an AFC stream into packets (parameters and bulk data kept apart)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[AfcPacket]:
        self._buf += data
        packets: list[AfcPacket] = []
        while len(self._buf) >= AFC_HEADER.size:
            magic, entire, this, packet_num, operation = AFC_HEADER.unpack_from(self._buf)
            if magic != AFC_MAGIC:
                raise WireError(f"bad AFC magic {magic!r}")
            _check_size(entire, AFC_HEADER.size)
            if not AFC_HEADER.size <= this <= entire:
                raise WireError(f"AFC header length {this} outside [{AFC_HEADER.size}, {entire}]")
            if len(self._buf) < entire:
                break
            params = bytes(self._buf[AFC_HEADER.size : this])
            body = bytes(self._buf[this:entire])
            del self._buf[:entire]
            packets.append(AfcPacket(packet_num, operation, params, body))
        return packets


def afc_strings(params: bytes) -> list[str]:
    """NUL-terminated UTF-8 strings, as AFC path parameters are sent."""
    if not params.endswith(b"\x00"):
        raise WireError("AFC string parameter is not NUL-terminated")
    try:
        return params[:-1].decode("utf-8").split("\x00")
    except UnicodeDecodeError as exc:
        raise WireError(f"AFC string parameter is not UTF-8: {exc}") from exc


def afc_key_values(pairs: dict[str, str]) -> bytes:
    """The NUL-separated key/value list AFC uses for file info and device info."""
    return b"".join(f"{key}\x00{value}\x00".encode() for key, value in pairs.items())
