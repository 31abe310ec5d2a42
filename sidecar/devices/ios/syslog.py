"""Splitting the iOS syslog relay stream into lines. Pure: bytes in, lines out.

The relay sends each line terminated by a NUL byte (sometimes with a newline
before it). pymobiledevice3's own ``watch()`` repeats lines when a read ends
exactly at a terminator, so the sidecar splits the raw stream itself.
"""

from __future__ import annotations

MAX_LINE = 64 * 1024  # a relay line longer than this is cut, so memory stays bounded


class SyslogSplitter:
    def __init__(self) -> None:
        self._partial = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines (without terminator, one trailing newline stripped), in order."""
        lines = []
        start = 0
        while (end := data.find(b"\x00", start)) >= 0:
            self._partial += data[start:end]
            line = bytes(self._partial).rstrip(b"\n")
            self._partial.clear()
            if line:
                lines.append(line)
            start = end + 1
        self._partial += data[start:]
        while len(self._partial) > MAX_LINE:
            lines.append(bytes(self._partial[:MAX_LINE]))
            del self._partial[:MAX_LINE]
        return lines
