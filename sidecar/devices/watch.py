"""``devices/watch``: the full device list now, and again after every change, until cancelled.

One task per source, each sending its own full listing whenever it may have changed:

* Android: the adb server's ``host:track-devices-l`` (a block per change) while a server
  runs; otherwise a low-rate libusb poll, which also looks for a server appearing;
* the Android TCP endpoints the host named: polled, cheaply (a TCP connect) once ready;
* iOS: usbmuxd's ``Listen`` (an event per attach and detach), reconnected if usbmuxd restarts.

The listings are merged exactly as ``devices/list`` merges them, and a report goes out only
when the merged list differs from the last one sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn

import anyio
from anyio.abc import ObjectSendStream

from ..hostconfig import HostConfig
from .android import presence as android
from .android.adbserver import client as adb_server
from .discovery import Listing, loads, merge, server_address
from .types import DevicesListParams, DeviceSummary, DevicesWatchReport, Warning

log = logging.getLogger(__name__)

USB_POLL_S = 1.0  # libusb enumeration and "has an adb server started?": both cheap
TCP_POLL_S = 5.0
USBMUXD_RETRY_S = 2.0

Emit = Callable[[Listing], Awaitable[None]]


async def watch(params: DevicesListParams, config: HostConfig, lock: android.Lock, report: Callable[[DevicesWatchReport], None]) -> NoReturn:
    warnings: list[Warning] = []
    sources: dict[str, Callable[[Emit], Coroutine[Any, Any, NoReturn]]] = {}
    if loads("adb_shell", warnings):
        sources["android"] = lambda emit: _android(config, lock, emit)
        if params.android_tcp:
            sources["tcp"] = lambda emit: _tcp(params.android_tcp, config, emit)
    if loads("pymobiledevice3", warnings):
        sources["ios"] = lambda emit: _ios(params.usbmux_address, config, emit)
    send, receive = anyio.create_memory_object_stream[tuple[str, Listing]](max_buffer_size=64)
    async with anyio.create_task_group() as tg, receive:
        for name, source in sources.items():
            tg.start_soon(source, _emitter(name, send.clone()))
        send.close()
        if not sources:
            report(DevicesWatchReport([], warnings))
            await anyio.sleep_forever()
        latest: dict[str, Listing] = {}
        sent: Listing | None = None
        async for name, listing in receive:
            latest[name] = listing
            if latest.keys() < sources.keys():
                continue  # the first report is as complete as devices/list
            current = merge(latest.values(), warnings)
            if current != sent:
                report(DevicesWatchReport(*current))
                sent = current
    raise AssertionError("device sources never end")


def _emitter(name: str, send: ObjectSendStream[tuple[str, Listing]]) -> Emit:
    async def emit(listing: Listing) -> None:
        await send.send((name, listing))

    return emit


async def _android(config: HostConfig, lock: android.Lock, emit: Emit) -> NoReturn:
    seen = android.Seen()
    address, warnings = server_address(config)
    while True:
        if address is not None:
            try:
                async for listed in adb_server.track(address):
                    await emit((await android.from_server(listed, address, config, seen), warnings))
            except adb_server.NoServer:
                pass
            except (adb_server.ServerRefused, adb_server.ServerLost) as exc:
                log.info("adb server at %s stopped tracking (%s); looking on USB directly", address.spec, exc)
        devices, usb_warnings = await android.from_usb(config, seen, lock)
        await emit((devices, warnings + usb_warnings))
        await anyio.sleep(USB_POLL_S)


async def _tcp(addresses: list[str], config: HostConfig, emit: Emit) -> NoReturn:
    seen = android.Seen()
    while True:
        for address in addresses:
            if seen.get((address, "tcp")) and not await android.tcp_reachable(address, min(2.0, config.device_timeout_s)):
                seen.forget((address, "tcp"))
        await emit((await android.from_tcp(addresses, config, seen), []))
        await anyio.sleep(TCP_POLL_S)


async def _ios(address_hint: str | None, config: HostConfig, emit: Emit) -> NoReturn:
    from .ios import presence as ios

    known: dict[str, DeviceSummary] = {}
    while True:
        try:
            async for attached in ios.listen(address_hint):
                await emit((await ios.summaries(attached, address_hint, config, known), []))
        except ios.NoUsbmuxd as exc:
            known.clear()
            await emit(([], [ios.no_usbmuxd_warning(exc)]))
        await anyio.sleep(USBMUXD_RETRY_S)
