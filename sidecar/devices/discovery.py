"""``devices/list``: what is connected, per backend, without failing the whole call for one backend."""

from __future__ import annotations

import logging
from typing import Any

import anyio

from ..protocol.errors import RpcError
from .android import commands, parse
from .android.adb import Unauthorized, open_session
from .ios.lockdown import open_lockdown, step, usbmux_address
from ..backends import load
from ..server.session import HostConfig
from .types import ConnectionHints, DeviceRef, DevicesListParams, DeviceSummary, Warning

log = logging.getLogger(__name__)


async def list_devices(params: DevicesListParams, config: HostConfig) -> tuple[list[DeviceSummary], list[Warning]]:
    found: list[DeviceSummary] = []
    warnings: list[Warning] = []
    android, ios = _loads("adb_shell", warnings), _loads("pymobiledevice3", warnings)
    async with anyio.create_task_group() as tg:
        for address in params.android_tcp if android else ():
            ref = DeviceRef(device_id=address, platform="android", hints=ConnectionHints(connection="tcp", address=address))
            tg.start_soon(_android_summary, ref, config, found)
        if android:
            tg.start_soon(_android_usb, config, found, warnings)
        if ios:
            tg.start_soon(_ios, params.usbmux_address, config, found, warnings)
    return sorted(found, key=lambda d: (d.platform, d.device_id)), warnings


def _loads(backend: str, warnings: list[Warning]) -> bool:
    """Whether ``backend`` loads; if not, the devices it serves are listed as a warning instead."""
    try:
        load(backend)
    except RpcError as error:
        warnings.append(Warning("backend_unavailable", error.data.message))
        return False
    return True


async def _android_summary(ref: DeviceRef, config: HostConfig, found: list[DeviceSummary]) -> None:
    connection = ref.hints.connection
    try:
        async with open_session(ref, config) as session:
            props = parse.getprop_listing(await session.run(commands.GETPROP_ALL))
    except RpcError as error:
        state = "unauthorized" if isinstance(error, Unauthorized) else "offline"
        found.append(DeviceSummary(ref.device_id, "android", connection, None, None, state))
        return
    found.append(DeviceSummary(ref.device_id, "android", connection, props.get("ro.product.model"), props.get("ro.build.version.release"), "ready"))


async def _android_usb(config: HostConfig, found: list[DeviceSummary], warnings: list[Warning]) -> None:
    try:
        serials = await anyio.to_thread.run_sync(_usb_serials)
    except (ImportError, OSError) as exc:
        warnings.append(Warning("backend_unavailable", f"Android over USB is unavailable here (libusb: {exc})"))
        return
    for serial in serials:
        await _android_summary(DeviceRef(device_id=serial, platform="android"), config, found)


def _usb_serials() -> list[str]:
    from adb_shell.transport.usb_transport import UsbTransport  # needs libusb1; imported on first use

    return [transport.serial_number for transport in UsbTransport.find_all_adb_devices()]


async def _ios(address_hint: str | None, config: HostConfig, found: list[DeviceSummary], warnings: list[Warning]) -> None:
    from pymobiledevice3.usbmux import list_devices as usbmux_devices

    address = usbmux_address(address_hint)
    try:
        devices = await step(usbmux_devices(usbmux_address=address), "usbmuxd", min(5.0, config.device_timeout_s))
    except RpcError as error:
        warnings.append(Warning("backend_unavailable", f"iOS devices cannot be listed: no usbmuxd reachable ({error.data.message})"))
        return
    for device in devices:
        found.append(await _ios_summary(device, address, config))


async def _ios_summary(device: Any, address: str | None, config: HostConfig) -> DeviceSummary:
    connection = "usb" if getattr(device, "connection_type", "USB") == "USB" else "tcp"
    ref = DeviceRef(device_id=device.serial, platform="ios", hints=ConnectionHints(connection="usb", usbmux_address=address))
    try:
        async with open_lockdown(ref, config) as lockdown:
            values = await step(lockdown.get_value(), device.serial, config.device_timeout_s)
            state = "ready" if lockdown.paired else "unpaired"
    except RpcError:
        return DeviceSummary(device.serial, "ios", connection, None, None, "offline")
    return DeviceSummary(device.serial, "ios", connection, values.get("ProductType"), values.get("ProductVersion"), state)
