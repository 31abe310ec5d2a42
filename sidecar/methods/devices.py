"""Device methods: devices/list, devices/watch, inspect/basic, inspect/deep, logs/collect. Read-only, always.

Android goes through the allowlisted adb session, iOS through read-only lockdown
calls; both backends are imported on first use. Operations on one device are
serialized (``DeviceLocks``); different devices run in parallel.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import msgspec

from ..backends import load
from ..devices.redact import redact
from ..devices.types import (
    DeviceRef,
    DevicesListParams,
    DevicesListResult,
    DevicesWatchParams,
    DevicesWatchReport,
    DevicesWatchResult,
    InspectBasicResult,
    InspectDeepResult,
    InspectParams,
    LogsCollectParams,
    LogsCollectProgress,
    LogsCollectResult,
    Warning,
)
from ..server.context import RequestContext
from ..server.table import MethodTable

table = MethodTable()
_CLIENTS = {"android": "adb_shell", "ios": "pymobiledevice3"}  # the backend each platform needs


@table.method("devices/list", requires=("device.inspect",))
async def devices_list(ctx: RequestContext, params: DevicesListParams) -> DevicesListResult:
    """Connected devices with the hints that reach them: Android through the adb server (else USB), the Android TCP endpoints given, iOS through usbmuxd."""
    from ..devices.discovery import list_devices

    devices, warnings = await list_devices(params, ctx.session.host_config, _usb_lock(ctx))
    return DevicesListResult(devices, warnings)  # device ids address devices, so they are never redacted


@table.method("devices/watch", requires=("device.inspect",))
async def devices_watch(ctx: RequestContext[DevicesWatchReport], params: DevicesWatchParams) -> DevicesWatchResult:
    """Report the full device list (a DevicesWatchReport in each $/progress report's detail) now and on every change, until cancelled (-32800)."""
    from ..devices.watch import watch

    def report(current: DevicesWatchReport) -> None:
        ctx.report(message=f"{len(current.devices)} devices", detail=current)

    await watch(params, ctx.session.host_config, _usb_lock(ctx), report)


def _usb_lock(ctx: RequestContext[Any]) -> Callable[[str], AbstractAsyncContextManager[None]]:
    """Listing opens a directly attached Android device, as inspection does: one at a time per device."""
    locks = ctx.control.device_locks
    return lambda serial: locks.lock("android", serial)


@table.method("inspect/basic", requires=("device.inspect",))
async def inspect_basic(ctx: RequestContext, params: InspectParams) -> InspectBasicResult:
    """Identity, lock and management state, and battery level of one device."""
    data, warnings = await _inspect(ctx, params, "basic")
    if ctx.policy.redact_identifiers:
        data = msgspec.structs.replace(data, serial=redact(data.serial))
    return InspectBasicResult(data, warnings)


@table.method("inspect/deep", requires=("device.inspect",))
async def inspect_deep(ctx: RequestContext, params: InspectParams) -> InspectDeepResult:
    """Battery, storage, security, developer, package, root and supervision signals of one device."""
    data, warnings = await _inspect(ctx, params, "deep")
    return InspectDeepResult(data, warnings)


@table.method("logs/collect", requires=("device.logs",))
async def logs_collect(ctx: RequestContext[LogsCollectProgress], params: LogsCollectParams) -> LogsCollectResult:
    """Stream a device's log (or its crash reports) into a file under the policy's logs root."""
    from ..devices.logfile import LogFile

    log = LogFile.for_device(ctx.policy, params.device_id, params.scope)
    log.open()
    try:
        async with _device(ctx, params) as device:
            warnings = await device.collect_logs(
                params, log, lambda message, percentage: ctx.report(message, percentage, LogsCollectProgress(log.bytes, log.lines))
            )
        path = await log.publish()
    except BaseException:
        log.abort()  # cancelled or failed: no half-written log is left behind
        raise
    if log.truncated:
        warnings.append(Warning("truncated", f"the log reached the policy's limit of {log.limit} bytes and was cut", "bytes"))
    return LogsCollectResult(str(path), log.bytes, log.lines, log.sha256, log.truncated, warnings)


async def _inspect(ctx: RequestContext[None], ref: DeviceRef, depth: str) -> tuple[Any, list[Warning]]:
    async with _device(ctx, ref) as device:
        found: tuple[Any, list[Warning]] = await (device.basic if depth == "basic" else device.deep)(_reporter(ctx))
        return found


@asynccontextmanager
async def _device(ctx: RequestContext[Any], ref: DeviceRef) -> AsyncIterator[Any]:
    """The platform backend's connected device, holding that device's lock."""
    load(_CLIENTS[ref.platform])
    backend = importlib.import_module(f"sidecar.devices.{ref.platform}.backend")
    async with ctx.control.device_locks.lock(ref.platform, ref.device_id), backend.connect(ref, ctx.session.host_config) as device:
        yield device


def _reporter(ctx: RequestContext[None]) -> Callable[[str, float | None], None]:
    return lambda message, percentage: ctx.report(message=message, percentage=percentage)
