"""A phone that answers with output captured from a real one (tests/corpus), for in-process inspection.

This stands in for the ADB session only: the inspection code above it runs as in the product.
End-to-end tests use the emulated phones over the real ADB wire protocol instead; this double
exists so every real capture (hundreds) can run through the real inspection code in milliseconds.
A command without a capture answers as a real shell answers an unknown program.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import msgspec

from sidecar.devices.android import inspect
from sidecar.devices.android.commands import Command
from sidecar.devices.findings import Findings, null_fields


class CapturedSession:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs  # command line -> what the phone printed
        self.label = "captured phone"
        self.timeout_s = 1.0

    async def run(self, command: Command) -> str:
        assert isinstance(command, Command)
        return self.outputs.get(command.line, f"/system/bin/sh: {command.argv[0]}: inaccessible or not found\n")

    async def stream(self, command: Command, window_s: float = 0.0) -> AsyncIterator[bytes]:
        yield (await self.run(command)).encode()


def inspect_captured(outputs: dict[str, str], depth: str) -> tuple[Any, Findings]:
    """Run the product's inspection (``basic`` or ``deep``) on captured outputs; the result and its findings, unsealed."""
    probe = inspect.Probe(CapturedSession(outputs), lambda message, step: None)  # type: ignore[arg-type]
    run: Callable[[inspect.Probe], Any] = inspect.basic if depth == "basic" else inspect.deep
    return anyio.run(run, probe), probe.findings


def unexplained_nulls(result: msgspec.Struct, findings: Findings) -> list[str]:
    """Null fields that no warning names (nor a parent's), and that the platform does have."""
    return [field for field in null_fields(result) if not findings.explained(field)]
