"""The log of every request the fake iOS device received.

Tests read it to prove the product sent nothing outside its read-only allowlist;
``refused`` marks requests the fake did not carry out because they are outside
that allowlist (writes, pairing, erasing, anything unknown).
Entries are appended in arrival order, in memory and, when a path is given, as
JSON lines another process can tail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

Layer = Literal["usbmux", "lockdown", "service"]


@dataclass(frozen=True, slots=True)
class Received:
    """One request.

    ``request`` is the usbmux MessageType, the lockdown Request, the service
    command (diagnostics ``Request``, MCInstall ``RequestType``, AFC opcode
    name) or ``"connect"`` for stream services that take no commands.
    ``service`` names the service a ``service``-layer request went to, or the
    one a lockdown ``StartService`` asked for. ``argument`` carries what else
    identifies the request: a usbmux port, an IORegistry class, an AFC path.
    """

    layer: Layer
    request: str
    udid: str | None = None
    service: str | None = None
    domain: str | None = None
    key: str | None = None
    argument: str | None = None
    refused: bool = False


class Recorder:
    def __init__(self, path: Path | None = None) -> None:
        self._entries: list[Received] = []
        self._path = path
        if path is not None:
            path.write_text("", encoding="utf-8")  # a record covers one run

    def add(self, entry: Received) -> None:
        self._entries.append(entry)
        logger.debug("received %s", entry)
        if self._path is not None:
            # Small appends from a test fake: a blocking write keeps the file in arrival order.
            with self._path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(asdict(entry)) + "\n")

    def entries(self) -> list[Received]:
        """A snapshot; the servers may keep appending from their own thread."""
        return list(self._entries)


def read_record(path: Path) -> list[Received]:
    """Entries written to a JSON-lines record by another process."""
    with path.open(encoding="utf-8") as f:
        return [Received(**json.loads(line)) for line in f if line.strip()]
