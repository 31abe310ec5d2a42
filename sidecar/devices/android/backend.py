"""The Android backend: one connected device, offering the read-only operations and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ...hostconfig import HostConfig
from ..logfile import LogFile
from ..types import BasicInfo, DeepSignals, DeviceRef, LogsCollectParams, Warning
from . import inspect, logs
from .adb import AdbSession, open_session
from .inspect import Report


class AndroidDevice:
    def __init__(self, session: AdbSession) -> None:
        self._session = session

    async def basic(self, report: Report) -> tuple[BasicInfo, list[Warning]]:
        probe = inspect.Probe(self._session, report)
        info = await inspect.basic(probe)
        return info, probe.findings.seal(info)

    async def deep(self, report: Report) -> tuple[DeepSignals, list[Warning]]:
        probe = inspect.Probe(self._session, report)
        signals = await inspect.deep(probe)
        return signals, probe.findings.seal(signals)

    async def collect_logs(self, params: LogsCollectParams, log: LogFile, report: Report) -> list[Warning]:
        return await logs.collect(self._session, params, log, report)


@asynccontextmanager
async def connect(ref: DeviceRef, config: HostConfig) -> AsyncIterator[AndroidDevice]:
    async with open_session(ref, config) as session:
        yield AndroidDevice(session)
