"""Operations on one device run one at a time; different devices run in parallel.

Phones handle one debugging conversation poorly (adbd and lockdownd serialize
anyway, and two concurrent sessions can confuse both), so each device gets a lock
that lives as long as the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ..server.server import Server


class DeviceLocks:
    def __init__(self, server: Server) -> None:
        self._locks: dict[tuple[str, str], anyio.Lock] = {}

    async def run(self) -> None:
        await anyio.sleep_forever()  # holds no resources; exists for the process's lifetime

    def lock(self, platform: str, device_id: str) -> anyio.Lock:
        return self._locks.setdefault((platform, device_id), anyio.Lock())
