"""``devices/list``: what is connected, per backend, without failing the whole call for one backend.

Android phones are listed by the user's adb server when one runs (it owns their USB
interfaces), else found on USB with libusb; the TCP endpoints the host names are tried
directly; iOS devices come from usbmuxd. Every entry carries the hints that reach it.
A backend that cannot be used is a warning, never a failed call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterable

import anyio

from ..backends import load
from ..hostconfig import HostConfig
from ..protocol.errors import RpcError
from .android import presence as android
from .android.adb import configured_server
from .android.adbserver import client as adb_server
from .android.adbserver.address import ServerAddress
from .types import DevicesListParams, DeviceSummary, Warning

log = logging.getLogger(__name__)

Listing = tuple[list[DeviceSummary], list[Warning]]


async def list_devices(params: DevicesListParams, config: HostConfig, lock: android.Lock) -> Listing:
    parts: list[Listing] = []
    warnings: list[Warning] = []
    has_android, has_ios = loads("adb_shell", warnings), loads("pymobiledevice3", warnings)

    async with anyio.create_task_group() as tg:
        if has_android:
            tg.start_soon(_into, parts, android_listing(config, lock, android.Seen()))
            tg.start_soon(_into, parts, tcp_listing(params.android_tcp, config, android.Seen()))
        if has_ios:
            tg.start_soon(_into, parts, ios_listing(params.usbmux_address, config))
    return merge(parts, warnings)


async def _into(parts: list[Listing], listing: Awaitable[Listing]) -> None:
    parts.append(await listing)


def merge(parts: Iterable[Listing], warnings: list[Warning] | None = None) -> Listing:
    """One list: sorted, and a device reached both through the adb server and directly shown once (the server's)."""
    by_id: dict[tuple[str, str], DeviceSummary] = {}
    all_warnings = list(warnings or ())
    for devices, part_warnings in parts:
        all_warnings += part_warnings
        for device in devices:
            key = (device.platform, device.device_id)
            if key not in by_id or device.hints.adb_server:
                by_id[key] = device
    return sorted(by_id.values(), key=lambda d: (d.platform, d.device_id)), all_warnings


def loads(backend: str, warnings: list[Warning]) -> bool:
    """Whether ``backend`` loads; if not, the devices it serves are listed as a warning instead."""
    try:
        load(backend)
    except RpcError as error:
        warnings.append(Warning("backend_unavailable", error.data.message))
        return False
    return True


def server_address(config: HostConfig) -> tuple[ServerAddress | None, list[Warning]]:
    try:
        return configured_server(config), []
    except RpcError as error:
        return None, [Warning("backend_unavailable", f"{error.data.message}; Android phones on USB are reached directly")]


async def android_listing(config: HostConfig, lock: android.Lock, seen: android.Seen) -> Listing:
    """Through the adb server when one answers, else libusb."""
    address, warnings = server_address(config)
    if address is not None:
        try:
            listed = await adb_server.devices(address, config.device_timeout_s)
        except adb_server.NoServer:
            pass  # the usual case on a PC without Android tools: go direct, silently
        except (adb_server.ServerRefused, adb_server.ServerLost) as exc:
            warnings.append(Warning("backend_unavailable", f"the adb server at {address.spec} did not list its devices ({exc})"))
            return [], warnings
        else:
            return await android.from_server(listed, address, config, seen), warnings
    devices, usb_warnings = await android.from_usb(config, seen, lock)
    return devices, warnings + usb_warnings


async def tcp_listing(addresses: list[str], config: HostConfig, seen: android.Seen) -> Listing:
    return await android.from_tcp(addresses, config, seen), []


async def ios_listing(address_hint: str | None, config: HostConfig) -> Listing:
    from .ios import presence as ios

    try:
        attached = await ios.attached(address_hint, min(5.0, config.device_timeout_s))
    except ios.NoUsbmuxd as exc:
        return [], [ios.no_usbmuxd_warning(exc)]
    return await ios.summaries(attached, address_hint, config, {}), []
