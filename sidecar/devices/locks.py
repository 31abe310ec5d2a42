"""Operations on one device run one at a time; different devices run in parallel.

Phones handle one debugging conversation poorly (adbd and lockdownd serialize
anyway, and two concurrent sessions can confuse both), so each device gets a lock.
A device's lock exists while someone holds it or waits for it, and is dropped when
the last of them leaves: a process that meets many devices (or a host that names
many made-up ones) keeps no state for devices nobody is using.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class _DeviceLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = anyio.Lock()
        self.users = 0  # the holder and the waiters


class DeviceLocks:
    """A plain object (it holds no resources): the server keeps one for the process's lifetime."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], _DeviceLock] = {}

    @asynccontextmanager
    async def lock(self, platform: str, device_id: str) -> AsyncIterator[None]:
        """Hold the device's lock for the ``async with`` block (waiting for it first)."""
        key = (platform, device_id)
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _DeviceLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]
