"""The list of every service a fake device was asked to open, in arrival order.

Tests compare it against the product's allowlist, so it records requests as
received, before any decision to serve or refuse them. It lives in memory and,
optionally, as JSON Lines (``{"service": "shell:getprop ro.product.model"}``)
flushed line by line so another process can follow it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec


class ServiceRequest(msgspec.Struct, frozen=True):
    service: str


_encoder = msgspec.json.Encoder()


class ServiceRecord:
    """Appended to by the server's event loop, read from the test's thread."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._services: list[str] = []
        self._lock = threading.Lock()
        if path is not None:
            path.write_bytes(b"")  # a fresh record per run, present before the first request

    def append(self, service: str) -> None:
        with self._lock:
            self._services.append(service)
            if self._path is not None:
                with self._path.open("ab") as file:
                    file.write(_encoder.encode(ServiceRequest(service)) + b"\n")

    @property
    def services(self) -> list[str]:
        with self._lock:
            return list(self._services)
