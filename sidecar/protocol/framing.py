"""Message framing on a byte stream, as pure state machines (bytes in, events out).

Two framings exist, chosen once per process:

* ``length`` (default): a 4-byte unsigned big-endian length N, then N bytes of
  payload. This is what tokio-util's ``LengthDelimitedCodec`` speaks by default.
* ``lsp``: the Language Server Protocol base protocol, ``Content-Length: N``
  headers ended by an empty line, then N bytes of payload.

Decoders never hold more than one frame (plus one read) in memory: a frame that
declares more than ``max_frame_bytes`` is reported as :class:`FrameTooLarge` at
once and its body is discarded as it streams past, so the stream stays in sync.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Literal, Protocol

import msgspec

FramingName = Literal["length", "lsp"]

DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
LENGTH_HEADER_BYTES = 4
MAX_LENGTH_PREFIX = 2**32 - 1
# An LSP header block longer than this is garbage, not a header we are still receiving.
MAX_LSP_HEADER_BYTES = 8 * 1024


# The events are msgspec structs: one is made per message, and a struct is made in under a third
# of the time of a dataclass or a named tuple. They hold no references, so the GC need not track them.


class Frame(msgspec.Struct, frozen=True, gc=False):
    """One complete payload."""

    payload: bytes


class FrameTooLarge(msgspec.Struct, frozen=True, gc=False):
    """A frame declared ``size`` bytes, over ``limit``; its body is being skipped."""

    size: int
    limit: int


class BadHeader(msgspec.Struct, frozen=True, gc=False):
    """An LSP header block that cannot be understood; it has been discarded."""

    reason: str


class Truncated(msgspec.Struct, frozen=True, gc=False):
    """The stream ended inside a frame (reported by ``Decoder.eof``)."""

    buffered: int


Event = Frame | FrameTooLarge | BadHeader


class Decoder(Protocol):
    def feed(self, data: bytes) -> list[Event]: ...

    def eof(self) -> Truncated | None: ...


_read_length = struct.Struct(">I").unpack_from


class LengthPrefixedDecoder:
    """Decodes ``u32 big-endian length || payload`` frames.

    The frames a read holds whole are cut straight from it; only an unfinished frame is
    buffered, and it is not looked at again until the bytes it needs have arrived.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._max = max_frame_bytes
        self._buf = bytearray()
        self._need = LENGTH_HEADER_BYTES  # bytes the buffered frame needs before it can be cut
        self._skip = 0  # bytes of an oversized body still to discard

    def feed(self, data: bytes) -> list[Event]:
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        if self._buf:
            self._buf += data
            if len(self._buf) < self._need:
                return []
            data = bytes(self._buf)
            self._buf.clear()
        events: list[Event] = []
        pos, end = 0, len(data)
        while end - pos >= LENGTH_HEADER_BYTES:
            (size,) = _read_length(data, pos)
            body = pos + LENGTH_HEADER_BYTES
            if size > self._max:
                events.append(FrameTooLarge(size, self._max))
                pos = body + min(size, end - body)
                self._skip = size - (pos - body)
                continue
            if end - body < size:
                break
            pos = body + size
            events.append(Frame(data[body:pos]))
        if pos < end:
            self._buf += memoryview(data)[pos:]
            self._need = LENGTH_HEADER_BYTES if end - pos < LENGTH_HEADER_BYTES else LENGTH_HEADER_BYTES + _read_length(data, pos)[0]
        return events

    def eof(self) -> Truncated | None:
        if self._buf or self._skip:
            return Truncated(len(self._buf))
        return None


class LspDecoder:
    """Decodes LSP base-protocol frames (``Content-Length`` header, blank line, body)."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self._max = max_frame_bytes
        self._buf = bytearray()
        self._skip = 0
        self._body_size: int | None = None  # set once a header block is parsed

    def feed(self, data: bytes) -> list[Event]:
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        self._buf += data
        events: list[Event] = []
        while self._step(events):
            pass
        return events

    def _step(self, events: list[Event]) -> bool:
        """Consume one header block or one body from the buffer; False when more bytes are needed."""
        buf = self._buf
        if self._body_size is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_LSP_HEADER_BYTES:
                    events.append(BadHeader(f"no end of header within {MAX_LSP_HEADER_BYTES} bytes"))
                    buf.clear()  # resync on the next header; a late terminator costs one more BadHeader
                return False
            header = bytes(buf[:end])
            del buf[: end + 4]
            size_or_reason = _content_length(header)
            if isinstance(size_or_reason, str):
                events.append(BadHeader(size_or_reason))
            elif size_or_reason > self._max:
                events.append(FrameTooLarge(size_or_reason, self._max))
                dropped = min(size_or_reason, len(buf))
                del buf[:dropped]
                self._skip = size_or_reason - dropped
                return not self._skip
            else:
                self._body_size = size_or_reason
            return True
        if len(buf) < self._body_size:
            return False
        events.append(Frame(bytes(buf[: self._body_size])))
        del buf[: self._body_size]
        self._body_size = None
        return True

    def eof(self) -> Truncated | None:
        if self._buf or self._skip or self._body_size is not None:
            return Truncated(len(self._buf))
        return None


def _content_length(header: bytes) -> int | str:
    """The Content-Length of an LSP header block, or the reason it has none."""
    size: int | None = None
    for line in header.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if not sep:
            return f"malformed header line {line[:80]!r}"
        if name.strip().lower() == b"content-length":
            text = value.strip()
            if not text.isdigit():
                return f"invalid Content-Length {text[:40]!r}"
            size = int(text)
    if size is None:
        return "missing Content-Length header"
    return size


# A C function, not a Python one: it is called for every message written.
length_header: Callable[[int], bytes] = struct.Struct(">I").pack


def lsp_header(size: int) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % size


def make_decoder(framing: FramingName, max_frame_bytes: int) -> Decoder:
    if framing == "lsp":
        return LspDecoder(max_frame_bytes)
    return LengthPrefixedDecoder(max_frame_bytes)


def header_encoder(framing: FramingName) -> Callable[[int], bytes]:
    """The function that makes the header to put before a payload of a given size."""
    return lsp_header if framing == "lsp" else length_header
