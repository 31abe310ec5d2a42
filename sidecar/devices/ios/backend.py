"""The iOS backend: one lockdown connection, offering the read-only operations and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ...hostconfig import HostConfig
from ..logfile import LogFile
from ..types import BasicInfo, DeepSignals, DeviceRef, LogsCollectParams, Warning
from . import inspect, logs
from .inspect import Report
from .lockdown import open_lockdown


class IosDevice:
    def __init__(self, lockdown: Any, label: str, timeout_s: float) -> None:
        self._lockdown = lockdown
        self._label = label
        self._timeout_s = timeout_s

    async def basic(self, report: Report) -> tuple[BasicInfo, list[Warning]]:
        return await inspect.basic(inspect.Probe(self._lockdown, self._label, self._timeout_s, report))

    async def deep(self, report: Report) -> tuple[DeepSignals, list[Warning]]:
        return await inspect.deep(inspect.Probe(self._lockdown, self._label, self._timeout_s, report))

    async def collect_logs(self, params: LogsCollectParams, log: LogFile, report: Report) -> list[Warning]:
        return await logs.collect(self._lockdown, self._label, self._timeout_s, params, log, report)


@asynccontextmanager
async def connect(ref: DeviceRef, config: HostConfig) -> AsyncIterator[IosDevice]:
    async with open_lockdown(ref, config) as lockdown:
        yield IosDevice(lockdown, ref.device_id, config.device_timeout_s)
