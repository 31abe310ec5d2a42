"""adb's smart-socket protocol as a pure state machine (bytes in, events out, no I/O).

A client writes one request: its length as 4 hex digits, then the service name
(``host:devices-l``, ``host:transport:<serial>``, ``shell,v2,raw:<command>``...). The
server answers ``OKAY`` or ``FAIL`` followed by a hex-length-prefixed message. What
follows an ``OKAY`` depends on the service, so each request says what it expects:

* ``BLOCK``: one hex-length-prefixed block, then the server closes (``host:devices-l``);
* ``BLOCKS``: such blocks for ever, one per change (``host:track-devices-l``);
* ``SWITCH``: nothing; the connection now talks to one device and takes the next request
  (``host:transport:<serial>``);
* ``STREAM``: raw bytes until the connection closes (a shell's output).

``feed(b"")`` means the server closed the connection.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

MAX_REQUEST = 0xFFFF  # four hex digits
_STATUS = 4
_LENGTH = 4


class Expect(enum.Enum):
    BLOCK = "block"
    BLOCKS = "blocks"
    SWITCH = "switch"
    STREAM = "stream"


@dataclass(frozen=True, slots=True)
class Okay:
    pass


@dataclass(frozen=True, slots=True)
class Fail:
    """The server (or the device behind it) refused; ``message`` is adb's own text."""

    message: str


@dataclass(frozen=True, slots=True)
class Block:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Output:
    data: bytes


@dataclass(frozen=True, slots=True)
class Closed:
    """The server closed the connection where that is a normal end (after a block, or a stream)."""


Event = Okay | Fail | Block | Output | Closed


class ProtocolError(Exception):
    """The peer is not an adb server, or broke its protocol; the connection cannot continue."""


class _Phase(enum.Enum):
    IDLE = "idle"  # may send a request
    STATUS = "status"  # waiting for OKAY/FAIL
    FAIL_MESSAGE = "fail"  # reading FAIL's message
    BLOCKS = "blocks"  # reading length-prefixed blocks
    STREAM = "stream"  # raw bytes
    DONE = "done"  # nothing more may come


def encode_request(service: str) -> bytes:
    data = service.encode("utf-8")
    if not data or len(data) > MAX_REQUEST:
        raise ValueError(f"an adb request is 1 to {MAX_REQUEST} bytes, not {len(data)}")
    return b"%04x" % len(data) + data


class ClientConnection:
    """One client connection to the adb server, from the client's side."""

    def __init__(self) -> None:
        self._phase = _Phase.IDLE
        self._expect: Expect | None = None
        self._buffer = bytearray()
        self._single_block = False

    @property
    def idle(self) -> bool:
        """Whether a request may be sent now (at the start, or after a transport switch)."""
        return self._phase is _Phase.IDLE

    def request(self, service: str, expect: Expect) -> bytes:
        if self._phase is not _Phase.IDLE:
            raise RuntimeError(f"cannot send a request while {self._phase.value}")
        self._phase, self._expect = _Phase.STATUS, expect
        return encode_request(service)

    def feed(self, data: bytes) -> list[Event]:
        """Take bytes from the server (``b""``: it closed the connection); return the events they complete."""
        if not data:
            return self._eof()
        if self._phase in (_Phase.IDLE, _Phase.DONE):
            raise ProtocolError(f"the server sent {len(data)} unexpected bytes")
        if self._phase is _Phase.STREAM:
            return [Output(bytes(data))]
        self._buffer += data
        events: list[Event] = []
        while (event := self._next()) is not None:
            events.append(event)
        return events

    def _next(self) -> Event | None:
        if self._phase is _Phase.STATUS:
            return self._status()
        if self._phase is _Phase.FAIL_MESSAGE:
            message = self._length_prefixed()
            if message is None:
                return None
            self._phase = _Phase.DONE
            return Fail(message.decode("utf-8", "replace"))
        if self._phase is _Phase.BLOCKS:
            payload = self._length_prefixed()
            if payload is None:
                return None
            if self._single_block:
                self._phase = _Phase.DONE
            return Block(payload)
        if self._phase is _Phase.STREAM and self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return Output(data)
        if self._phase in (_Phase.IDLE, _Phase.DONE) and self._buffer:
            raise ProtocolError(f"the server sent {len(self._buffer)} unexpected bytes")
        return None

    def _status(self) -> Event | None:
        if len(self._buffer) < _STATUS:
            return None
        status = bytes(self._buffer[:_STATUS])
        del self._buffer[:_STATUS]
        if status == b"FAIL":
            self._phase = _Phase.FAIL_MESSAGE
            return self._next()
        if status != b"OKAY":
            raise ProtocolError(f"expected OKAY or FAIL, got {status!r}")
        expect = self._expect
        self._phase = {
            Expect.BLOCK: _Phase.BLOCKS,
            Expect.BLOCKS: _Phase.BLOCKS,
            Expect.SWITCH: _Phase.IDLE,
            Expect.STREAM: _Phase.STREAM,
        }[expect or Expect.BLOCK]
        self._single_block = expect is Expect.BLOCK
        return Okay()

    def _length_prefixed(self) -> bytes | None:
        if len(self._buffer) < _LENGTH:
            return None
        try:
            length = int(bytes(self._buffer[:_LENGTH]), 16)
        except ValueError:
            raise ProtocolError(f"bad hex length {bytes(self._buffer[:_LENGTH])!r}") from None
        if len(self._buffer) < _LENGTH + length:
            return None
        payload = bytes(self._buffer[_LENGTH : _LENGTH + length])
        del self._buffer[: _LENGTH + length]
        return payload

    def _eof(self) -> list[Event]:
        phase, self._phase = self._phase, _Phase.DONE
        if self._buffer and phase is not _Phase.STREAM:
            raise ProtocolError(f"the server closed the connection inside a reply ({len(self._buffer)} bytes pending)")
        if phase in (_Phase.STATUS, _Phase.FAIL_MESSAGE) or (phase is _Phase.BLOCKS and self._single_block):
            raise ProtocolError(f"the server closed the connection while {phase.value}")
        return [Closed()]
